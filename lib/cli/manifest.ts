/**
 * `qnn-node run manifest.json`: runs a pipeline manifest through lib/pipeline's runner.
 * `--input name=value` strings become the manifest's typed inputs: text as is, numbers
 * parsed, images as paths (the runner decodes them), tensors from .npy files (or raw
 * files with the dtype and shape the manifest declares).
 */
import fs from 'node:fs';
import path from 'node:path';
import { MockBackend } from '../backend/mock/MockBackend.js';
import { Qnn } from '../backend/qnn/index.js';
import type { Backend } from '../backend/types.js';
import { QnnNodeError } from '../errors.js';
import type { InputEntry } from '../pipeline/manifest.js';
import { runManifest, type PipelineInputs } from '../pipeline/index.js';
import { PathPolicy } from '../pipeline/paths.js';
import { parseManifestText } from '../pipeline/validate.js';
import { readNpySync } from '../tensor/npy.js';
import { readRawSync } from '../tensor/raw.js';
import type { PipelineValue } from '../pipeline/hostops.js';
import { loadOptions } from './default-runtime.js';
import type { ManifestRunOptions, ManifestRunResult } from './runtime.js';
import { nameRecord } from '../pipeline/records.js';
import { variantBinaries, type VariantEntry } from '../pipeline/variants.js';
import { backendLibraryName } from '../pipeline/backends.js';
import { mockModels } from './mock-models.js';

/** Own properties only: input names come from the file and may be "constructor". */
function ownEntry<T>(obj: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

interface Declared {
  inputs: Record<string, InputEntry>;
  params: Record<string, unknown>;
  /** Contexts that name no signature under the selected variant (the mock backend then needs a signature file). */
  unsigned: string[];
  /** The selected variant (the requested one or the manifest's default), when the manifest declares it. */
  variant: string | undefined;
  binaries: string[];
}

function declaredInputs(file: string, roots: PathPolicy, variant?: string): Declared {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
    throw new QnnNodeError(missing ? 'FILE_NOT_FOUND' : 'MANIFEST_INVALID', `${missing ? 'Manifest not found' : 'Manifest cannot be read'}: ${file}`, {
      cause,
      details: { path: file },
    });
  }
  const raw = parseManifestText(text, file); // MANIFEST_INVALID naming file:line:column
  const m = (raw ?? {}) as { inputs?: Record<string, InputEntry>; params?: Record<string, unknown>; contexts?: Record<string, { binary?: unknown; signature?: unknown }> };
  const unsigned = unsignedContexts(raw, variant);
  // The selected variant's binaries: they pick the backend libraries.
  // A model context's file picks them too (a reference DLC → the reference backend).
  const models = Object.values(m.contexts ?? {}).map((c) => (c as { model?: unknown }).model);
  const binaries = [...variantBinaries(raw, variant), ...models]
    .filter((b): b is string => typeof b === 'string')
    .map((b) => path.resolve(path.dirname(file), b))
    // Only a binary the runner may open can pick the backend (it reads the file's magic).
    .filter((b) => roots.allows(b));
  return { inputs: m.inputs ?? {}, params: m.params ?? {}, unsigned, variant: selectedVariant((raw ?? {}) as RawVariants, variant), binaries };
}

type RawVariants = { contexts?: Record<string, { signature?: unknown }>; variants?: Record<string, VariantEntry>; defaultVariant?: unknown };

/** The variant a run selects (`requested`, else defaultVariant) when the manifest declares it; else undefined. */
function selectedVariant(m: RawVariants, requested: string | undefined): string | undefined {
  const name = requested ?? (typeof m.defaultVariant === 'string' ? m.defaultVariant : undefined);
  return name !== undefined && typeof m.variants === 'object' && m.variants !== null && Object.hasOwn(m.variants, name) ? name : undefined;
}

/**
 * Contexts that name no signature in the manifest as the selected variant makes it (a
 * variant's context entry replaces the manifest's signature). A variant the manifest lacks
 * is left to the runner, which names the variants there are.
 */
export function unsignedContexts(raw: unknown, requested: string | undefined): string[] {
  const m = (raw ?? {}) as RawVariants;
  const name = selectedVariant(m, requested);
  if (name === undefined && (requested !== undefined || m.defaultVariant !== undefined)) return [];
  const variant = name !== undefined ? m.variants![name] : undefined;
  return Object.entries(m.contexts ?? {})
    .filter(([c, entry]) => {
      const over = variant?.contexts && Object.hasOwn(variant.contexts, c) ? variant.contexts[c] : undefined;
      return (over?.signature ?? entry?.signature) === undefined;
    })
    .map(([c]) => c);
}

function kindOf(v: unknown): string {
  return Array.isArray(v) ? 'list' : v === null ? 'null' : typeof v;
}

/**
 * Converts one `--param name=value`: JSON when the text parses as JSON (numbers, booleans,
 * lists), else the text itself; it must have the type of the manifest's default (a string
 * default takes the text as typed, so `--param mode=1` stays "1").
 */
export function manifestParam(name: string, text: string, params: Readonly<Record<string, unknown>>): unknown {
  if (!Object.hasOwn(params, name)) {
    const known = Object.keys(params);
    throw new QnnNodeError('CLI_USAGE', `--param ${name}: expected a param of the manifest (${known.length ? known.join(', ') : 'it declares none'}) but received ${JSON.stringify(name)}`, {
      details: { param: name, params: known },
    });
  }
  const fallback = params[name];
  let value: unknown = text;
  if (typeof fallback !== 'string') {
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
  }
  if (kindOf(value) !== kindOf(fallback) || (Array.isArray(value) && !value.every((x) => typeof x === 'number'))) {
    throw new QnnNodeError(
      'CLI_USAGE',
      `--param ${name}: expected a ${kindOf(fallback)}${Array.isArray(fallback) ? ' of numbers' : ''} like the default (${JSON.stringify(fallback)}) but received ${JSON.stringify(text)}`,
      { details: { param: name, expected: kindOf(fallback), received: text } },
    );
  }
  return value;
}

/** Converts one `--input` string to the value the manifest input expects. */
export function manifestInput(name: string, value: string, spec: InputEntry | undefined, resolve: (p: string) => string): PipelineValue {
  switch (spec?.type) {
    case 'number': {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw new QnnNodeError('CLI_USAGE', `--input ${name}: expected a number, got ${JSON.stringify(value)}`);
      return n;
    }
    case 'image':
      return resolve(value);
    case 'tensor': {
      const file = resolve(value);
      if (!fs.existsSync(file)) throw new QnnNodeError('FILE_NOT_FOUND', `Input file not found: ${file}`, { details: { path: file, input: name } });
      if (file.toLowerCase().endsWith('.npy')) return readNpySync(file);
      if (!spec.dtype || !spec.shape) throw new QnnNodeError('CLI_USAGE', `--input ${name}: a raw tensor file needs the manifest to declare dtype and shape; use .npy`);
      return readRawSync(file, { dtype: spec.dtype, dims: spec.shape });
    }
    default:
      return value; // text, and inputs the runner will reject by name
  }
}

export async function runManifestFile(file: string, options: ManifestRunOptions): Promise<ManifestRunResult> {
  const allowedRoots = [path.dirname(file), ...(options.allowedRoots ?? [])];
  const policy = new PathPolicy(path.dirname(file), allowedRoots);
  const { inputs: declared, params: declaredParams, unsigned, variant, binaries } = declaredInputs(file, policy, options.variant);
  const inputs = nameRecord<PipelineValue>();
  for (const [name, value] of Object.entries(options.inputs)) inputs[name] = manifestInput(name, value, ownEntry(declared, name), options.resolve);
  const params = nameRecord<unknown>();
  for (const [name, text] of Object.entries(options.params ?? {})) params[name] = manifestParam(name, text, declaredParams);
  const sel = options.backend;
  if (sel.kind === 'mock' && !sel.signature && unsigned.length > 0) {
    throw new QnnNodeError(
      'CLI_USAGE',
      `--mock without a signature file: context${unsigned.length > 1 ? 's' : ''} ${unsigned.map((n) => JSON.stringify(n)).join(', ')} of ${file} name${unsigned.length > 1 ? '' : 's'} no signature${variant !== undefined ? ` in variant ${JSON.stringify(variant)}` : ''}; give --mock <signature.json> (qnn-node inspect --json) or a "signature" in the manifest`,
      { details: { contexts: unsigned, ...(variant !== undefined ? { variant } : {}) } },
    );
  }
  const backend: Backend =
    sel.kind === 'mock'
      ? new MockBackend({
          ...(sel.signature ? { signatures: sel.signature } : {}),
          models: mockModels(file, policy, sel.signature),
          ...(sel.recording ? { recording: sel.recording } : {}),
        })
      : await Qnn.load(loadOptions(sel, binaries[0]));
  try {
    return await runManifest(file, {
      backend,
      allowedRoots,
      // --stage-backend name=lib: a manifest backend name loaded from a library the user names (a path).
      ...(sel.kind === 'qnn' && options.stageBackends
        ? { openBackend: (name: string, entry: { backend: string }) => Qnn.load(loadOptions({ ...sel, backend: Object.hasOwn(options.stageBackends!, name) ? options.stageBackends![name] : backendLibraryName(entry.backend) })) }
        : {}),
      inputs: inputs as PipelineInputs,
      ...(options.record !== undefined ? { record: options.record } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.params !== undefined ? { params } : {}),
      ...(options.variant !== undefined ? { variant: options.variant } : {}),
      ...(options.perfProfile !== undefined ? { perfProfile: options.perfProfile } : {}),
      ...(options.profile !== undefined ? { profile: options.profile } : {}),
      ...(options.adapter !== undefined ? { adapter: options.adapter } : {}),
      ...(options.sharedMemory !== undefined ? { sharedMemory: options.sharedMemory } : {}),
      ...(options.onText ? { onEvent: (e) => (e.type === 'token' && e.text ? options.onText!(e.text) : undefined) } : {}),
    });
  } finally {
    await backend.dispose();
  }
}
