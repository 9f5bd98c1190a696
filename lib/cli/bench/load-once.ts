/**
 * One repetition of the load benchmark: load a context binary (timing its phases), run
 * the first execute, and note the peak resident memory. Runs in a fresh child process
 * per repetition (load-child.ts) unless the user asks for in-process runs, so every peak
 * is that one load's.
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { QnnLoadContextOptions } from '../../backend/qnn/QnnContext.js';
import type { Backend, TensorMap } from '../../backend/types.js';
import { QnnNodeError } from '../../errors.js';
import { fillTensor } from '../fill.js';
import { isModelPath } from '../../backend/model-source.js';
import type { Context } from '../../backend/types.js';
import type { EvictResult } from './page-cache.js';

export interface LoadJob {
  readonly binary: string;
  /** Run the first execute of this graph (default: the first graph); null = skip. */
  readonly executeGraph?: string | null;
  /** Also time reading the file into memory (the floor) — in place of loading it. */
  readonly floor?: boolean;
  /** Ask the backend to use the binary in place (QNN_CONTEXT_CONFIG_PERSISTENT_BINARY). */
  readonly persistentBinary?: boolean;
}

export interface LoadSample {
  readonly kind: 'load' | 'read';
  readonly fileBytes: number;
  /** Phases as the runtime reports them (load samples only). */
  readonly mapMs?: number;
  readonly createMs?: number;
  readonly retrieveMs?: number;
  /** A model (.dlc / model library) instead of a binary: composeModel's phases and getBinary's time. */
  readonly composeMs?: number;
  readonly finalizeMs?: number;
  /** contextGetBinarySize + contextGetBinary; absent when the backend cannot serialize (QnnCpu). */
  readonly serializeMs?: number;
  /** The runtime's total, or the wall time around loadContext when it reports none. */
  readonly loadMs: number;
  /** Wall time around loadContext / the read. */
  readonly wallMs: number;
  readonly firstExecuteMs?: number;
  readonly firstExecuteGraph?: string;
  /** process.resourceUsage().maxRSS at the end, in bytes. */
  readonly peakRssBytes: number;
  /** Resident set size just before the load, in bytes. */
  readonly baselineRssBytes: number;
  readonly isolated: boolean;
  /** Whether the context kept using the mapped binary (QnnContext#info), load samples only. */
  readonly persistentBinary?: boolean;
  readonly cache?: EvictResult & { readonly requested: 'cold' | 'warm' };
}

function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** Reads the whole file into one buffer (the floor a loader is compared with). */
export function readFloor(file: string, isolated: boolean): LoadSample {
  const baselineRssBytes = process.memoryUsage.rss();
  const t0 = performance.now();
  const fd = fs.openSync(file, 'r');
  let total = 0;
  try {
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.allocUnsafeSlow(size);
    while (total < size) {
      const n = fs.readSync(fd, buf, total, Math.min(size - total, 1 << 30), total);
      if (n === 0) break;
      total += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  const wallMs = performance.now() - t0;
  return { kind: 'read', fileBytes: total, loadMs: wallMs, wallMs, peakRssBytes: peakRss(), baselineRssBytes, isolated };
}

/** Loads `job.binary` on `backend` once; disposes the context before returning. */
export async function loadOnce(backend: Backend, job: LoadJob, isolated: boolean): Promise<LoadSample> {
  const fileBytes = fs.statSync(job.binary).size;
  const baselineRssBytes = process.memoryUsage.rss();
  const t0 = performance.now();
  const options: QnnLoadContextOptions = job.persistentBinary !== undefined ? { persistentBinary: job.persistentBinary } : {};
  const model = isModelPath(job.binary);
  const context = model ? await composeOn(backend, job.binary) : await backend.loadContext(job.binary, options);
  const wallMs = performance.now() - t0;
  try {
    const timings = model ? undefined : context.loadTimings;
    const phases = model ? await modelPhases(context) : {};
    const persistentBinary = (context as { info?: { persistentBinary?: boolean } }).info?.persistentBinary;
    let firstExecuteMs: number | undefined;
    let firstExecuteGraph: string | undefined;
    if (job.executeGraph !== null && context.graphs.length > 0) {
      const graph = job.executeGraph === undefined ? context.graphs[0] : context.graph(job.executeGraph);
      const inputs: TensorMap = Object.fromEntries(graph.inputs.map((s) => [s.name, fillTensor(s, 'random')]));
      const e0 = performance.now();
      await graph.run(inputs);
      firstExecuteMs = performance.now() - e0;
      firstExecuteGraph = graph.name;
    }
    return {
      kind: 'load',
      fileBytes,
      ...(timings ? { mapMs: timings.mapMs, createMs: timings.createMs, retrieveMs: timings.retrieveMs } : {}),
      ...phases,
      loadMs: (model ? context.composeTimings?.totalMs : timings?.totalMs) ?? wallMs,
      wallMs,
      ...(firstExecuteMs !== undefined ? { firstExecuteMs, firstExecuteGraph } : {}),
      peakRssBytes: peakRss(),
      baselineRssBytes,
      isolated,
      ...(persistentBinary !== undefined ? { persistentBinary } : {}),
    };
  } finally {
    await context.dispose();
  }
}

function composeOn(backend: Backend, file: string): Promise<Context> {
  if (typeof backend.composeModel !== 'function') {
    throw new QnnNodeError('UNSUPPORTED_FEATURE', `The ${backend.kind} backend cannot compose models, so ${file} cannot be benchmarked`, { details: { path: file } });
  }
  return backend.composeModel(file);
}

/** compose / finalize from the context, serialize timed with getBinary (skipped where the backend cannot serialize). */
async function modelPhases(context: Context): Promise<Pick<LoadSample, 'composeMs' | 'finalizeMs' | 'serializeMs'>> {
  const t = context.composeTimings;
  let serializeMs: number | undefined;
  if (typeof context.getBinary === 'function') {
    const s0 = performance.now();
    try {
      await context.getBinary();
      serializeMs = performance.now() - s0;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'BINARY_SERIALIZE_UNSUPPORTED') throw error;
    }
  }
  return { ...(t ? { composeMs: t.composeMs, finalizeMs: t.finalizeMs } : {}), ...(serializeMs !== undefined ? { serializeMs } : {}) };
}

export const RESULT_MARKER = 'QNN_NODE_BENCH_RESULT ';

/** Parses the child's result line; rethrows its error with the same code. */
export function parseChildOutput(stdout: string, stderr: string, exitCode: number | null): LoadSample {
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
  if (!line) {
    throw new QnnNodeError('QNN_ERROR', `bench child process exited with ${exitCode} and no result${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-5).join(' | ')}` : ''}`, {
      details: { exitCode, stderr },
    });
  }
  const parsed = JSON.parse(line.slice(RESULT_MARKER.length)) as { sample?: LoadSample; error?: { code: string; message: string; details?: Record<string, unknown> } };
  if (parsed.error) {
    throw new QnnNodeError(parsed.error.code as never, parsed.error.message, { details: parsed.error.details ?? {} });
  }
  return parsed.sample as LoadSample;
}
