/**
 * Composing models on the mock backend, and the mock's own context binary.
 *
 * A test describes each model it lets the mock compose with `MockBackend({ models })`: the
 * model file's path (resolved against the working directory) → its graph signatures, the
 * functions that compute them (over the backend's `graphs` option, for this model's
 * contexts only) and simulated phase times. composeModel checks the file exists, validates
 * the options like the QNN backend, reports progress (compose, then finalize per graph),
 * records every call (MockBackend#modelLog) and gives a context whose getBinary returns a
 * mock binary: `QNNMOCK1` + JSON `{ format: "qnn-node-mock-binary", version: 1, source,
 * graphs }`. loadContext accepts it back (bytes or a file) and re-attaches the model's
 * compute functions, so compose → save → load round-trips the graphs and their results.
 */
import { readFileSync, openSync, readSync, closeSync } from 'node:fs';
import { resolve } from 'node:path';
import { QnnNodeError, invalidArg } from '../../errors.js';
import { isSignatureFile } from '../signature.js';
import { checkSignature } from '../validate.js';
import type { ComposeOptions, ContextSignature, GraphSignature, ModelFormat } from '../types.js';
import type { MockGraphFn } from './MockBackend.js';

/** One model the mock can compose (MockBackendOptions.models, keyed by file path). */
export interface MockModel {
  /** The graphs the model composes (signatures or a signature file object). */
  readonly graphs: readonly GraphSignature[] | ContextSignature;
  /** Implementations by graph name for this model's contexts (over the backend's `graphs` option). */
  readonly compute?: Readonly<Record<string, MockGraphFn>>;
  /** Simulated time of the compose call (ms, default 0). */
  readonly composeMs?: number;
  /** Simulated time of each graph's finalize (ms, default 0). */
  readonly finalizeMs?: number;
}

/** A model as the backend keeps it: checked, graphs as a list. */
export interface CheckedMockModel {
  readonly path: string;
  readonly graphs: readonly GraphSignature[];
  readonly compute: ReadonlyMap<string, MockGraphFn>;
  readonly composeMs: number;
  readonly finalizeMs: number;
}

/** One call the mock received for models (in order): what tests assert. */
export type MockModelRecord =
  | {
      readonly call: 'compose';
      readonly source: string;
      readonly format: ModelFormat;
      /** The options as given, without onProgress. */
      readonly options: Omit<ComposeOptions, 'onProgress'>;
    }
  | { readonly call: 'finalize'; readonly source: string; readonly graph: string }
  | { readonly call: 'serialize'; readonly source: string; readonly bytes: number; readonly path?: string };

const nonNegative = (v: unknown, name: string): number => {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw invalidArg('a number of milliseconds >= 0', name, v);
  return v;
};

/** Validates MockBackendOptions.models into absolute path → model. */
export function checkMockModels(models: unknown): Map<string, CheckedMockModel> {
  const out = new Map<string, CheckedMockModel>();
  if (models === undefined) return out;
  if (typeof models !== 'object' || models === null || Array.isArray(models)) throw invalidArg('an object of models by file path', 'options.models', models);
  for (const [file, m] of Object.entries(models as Record<string, unknown>)) {
    const name = `options.models[${JSON.stringify(file)}]`;
    if (typeof m !== 'object' || m === null) throw invalidArg('a { graphs, compute?, composeMs?, finalizeMs? } model', name, m);
    const model = m as MockModel;
    const list = isSignatureFile(model.graphs) ? model.graphs.graphs : model.graphs;
    if (!Array.isArray(list) || list.length === 0) throw invalidArg('a non-empty array of graph signatures or a signature file object', `${name}.graphs`, model.graphs);
    list.forEach((g, i) => checkSignature(g, `${name}.graphs[${i}]`));
    const compute = new Map<string, MockGraphFn>();
    if (model.compute !== undefined) {
      if (typeof model.compute !== 'object' || model.compute === null) throw invalidArg('an object of functions by graph name', `${name}.compute`, model.compute);
      for (const [g, fn] of Object.entries(model.compute)) {
        if (typeof fn !== 'function') throw invalidArg('a function', `${name}.compute.${g}`, fn);
        compute.set(g, fn);
      }
    }
    const path = resolve(file);
    out.set(path, { path, graphs: list, compute, composeMs: nonNegative(model.composeMs, `${name}.composeMs`), finalizeMs: nonNegative(model.finalizeMs, `${name}.finalizeMs`) });
  }
  return out;
}

export const MOCK_BINARY_MAGIC = 'QNNMOCK1';

/** What a mock binary holds. */
export interface MockBinary {
  readonly format: 'qnn-node-mock-binary';
  readonly version: 1;
  /** The model it was composed from (its compute functions come back on load), or the context's source. */
  readonly source: string;
  /** The backend build that made it (describe().buildId). */
  readonly buildId: string;
  readonly graphs: readonly GraphSignature[];
}

export function encodeMockBinary(binary: Omit<MockBinary, 'format' | 'version'>): Uint8Array {
  const body: MockBinary = { format: 'qnn-node-mock-binary', version: 1, source: binary.source, buildId: binary.buildId, graphs: binary.graphs };
  return new Uint8Array(Buffer.from(MOCK_BINARY_MAGIC + JSON.stringify(body), 'utf8'));
}

function startsWithMagic(bytes: Uint8Array): boolean {
  return bytes.byteLength >= MOCK_BINARY_MAGIC.length && Buffer.from(bytes.buffer, bytes.byteOffset, MOCK_BINARY_MAGIC.length).toString('latin1') === MOCK_BINARY_MAGIC;
}

/** Whether a file starts with the mock binary magic (false when it cannot be read). */
function fileIsMockBinary(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const head = Buffer.alloc(MOCK_BINARY_MAGIC.length);
    const n = readSync(fd, head, 0, head.length, 0);
    return n === head.length && head.toString('latin1') === MOCK_BINARY_MAGIC;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The mock binary in `source` (bytes or a file), or undefined when it is not one; BINARY_INVALID when damaged. */
export function readMockBinary(source: string | Uint8Array): MockBinary | undefined {
  let bytes: Uint8Array;
  if (typeof source === 'string') {
    if (!fileIsMockBinary(source)) return undefined;
    bytes = readFileSync(source);
  } else {
    if (!startsWithMagic(source)) return undefined;
    bytes = source;
  }
  const label = typeof source === 'string' ? source : 'the given bytes';
  let parsed: MockBinary;
  try {
    parsed = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + MOCK_BINARY_MAGIC.length, bytes.byteLength - MOCK_BINARY_MAGIC.length).toString('utf8')) as MockBinary;
  } catch (cause) {
    throw new QnnNodeError('BINARY_INVALID', `${label} is a damaged mock context binary: ${(cause as Error).message}`, { cause, details: { path: label } });
  }
  if (parsed?.format !== 'qnn-node-mock-binary' || parsed.version !== 1 || typeof parsed.source !== 'string' || !Array.isArray(parsed.graphs)) {
    throw new QnnNodeError('BINARY_INVALID', `${label} is a damaged mock context binary (expected { format: "qnn-node-mock-binary", version: 1, source, graphs })`, { details: { path: label } });
  }
  parsed.graphs.forEach((g, i) => checkSignature(g, `${label}: graphs[${i}]`));
  return parsed;
}

/** composeModel's onProgress, checked. */
export function progressCallback(options: ComposeOptions): ComposeOptions['onProgress'] {
  const fn = options.onProgress;
  if (fn !== undefined && typeof fn !== 'function') throw invalidArg('a function', 'options.onProgress', fn);
  return fn;
}

/** UNKNOWN_GRAPH for a graphConfigs key the model does not compose. */
export function checkGraphConfigNames(options: ComposeOptions, graphs: readonly GraphSignature[], source: string): void {
  if (typeof options.graphConfigs !== 'object' || options.graphConfigs === null) return;
  for (const name of Object.keys(options.graphConfigs)) {
    if (!graphs.some((g) => g.name === name)) {
      throw new QnnNodeError('UNKNOWN_GRAPH', `options.graphConfigs names graph ${JSON.stringify(name)}, which ${source} does not compose; its graphs are ${graphs.map((g) => JSON.stringify(g.name)).join(', ')}`, {
        details: { graph: name, graphs: graphs.map((g) => g.name) },
      });
    }
  }
}

/** The options worth recording (functions dropped). */
export function recordedOptions(options: ComposeOptions): Omit<ComposeOptions, 'onProgress'> {
  const { onProgress: _ignored, ...rest } = options;
  return rest;
}
