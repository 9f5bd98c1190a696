/**
 * First-run caching of composed models (docs/models.md): `loadModel(backend, 'model.dlc',
 * { cache: 'model.bin' })` composes and finalizes the model and writes the context binary
 * the first time; later calls load the binary, which skips composition (on HTP: the
 * 30–60 s of graph preparation a card's first run pays).
 *
 * Beside the binary, `model.bin.json` records what the binary was made from: the source
 * (path, size, mtime, sha256), the backend's describe() and the normalized configs. Any
 * difference rebuilds it, and `cache.reason` names what changed. Size + mtime equal to the
 * record skip hashing the source; otherwise its sha256 decides. Both files are written
 * atomically (temp + rename, binary first), so a crash or a concurrent writer leaves the
 * old pair or the new one; a damaged binary or record is rebuilt, never an error. Calls in
 * one process for the same cache path take turns, so the second one hits.
 */
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { QnnNodeError, invalidArg } from '../errors.js';
import { writeFileAtomic } from './atomic-file.js';
import { modelFormatOf } from './model-source.js';
import type { Backend, BackendDescription, ComposeOptions, ComposeTimings, Context, LoadContextOptions, ModelFormat, SavedBinary } from './types.js';

export interface LoadModelOptions extends ComposeOptions {
  /** The context binary to write on the first run and load afterwards (its record: `<cache>.json`). */
  readonly cache: string;
}

export type ModelCacheStatus = 'hit' | 'created' | 'rebuilt';

export interface ModelCacheInfo {
  /** hit: the binary was loaded; created: there was none; rebuilt: it was stale or damaged. */
  readonly status: ModelCacheStatus;
  /** Why it was rebuilt (what changed), or why it was created; null on a hit. */
  readonly reason: string | null;
  readonly binaryPath: string;
  readonly metaPath: string;
  /** Composition phases (created / rebuilt only). */
  readonly composeTimings?: ComposeTimings;
  /** What writing the binary cost (created / rebuilt only). */
  readonly saved?: SavedBinary;
}

/** The context loadModel returns: a context like any other, plus what the cache did. */
export type CachedModelContext = Context & { readonly cache: ModelCacheInfo };

/** The record beside the binary (`<cache>.json`). */
export interface ModelCacheRecord {
  readonly format: 'qnn-node-model-cache';
  readonly version: 1;
  readonly source: { readonly path: string; readonly format: ModelFormat; readonly bytes: number; readonly mtimeMs: number; readonly sha256: string };
  readonly backend: BackendDescription;
  /** The options that shape the binary, normalized (sorted keys, no undefined). */
  readonly configs: Readonly<Record<string, unknown>>;
  readonly binary: { readonly bytes: number; readonly mtimeMs: number };
  readonly createdAt: string;
  readonly composeTimings?: ComposeTimings;
  readonly serializeMs?: number;
}

/** Options that do not change what is composed: run-time votes, profiling, callbacks. */
const RUNTIME_ONLY = new Set(['cache', 'onProgress', 'perfProfile', 'profile']);

/** The value with object keys sorted and undefined members dropped (stable JSON). */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = normalize(v);
    }
    return out;
  }
  return value;
}

/** The options that shape the binary, normalized (format resolved, runtime-only options dropped). */
export function cacheConfigs(source: string, options: ComposeOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (!RUNTIME_ONLY.has(k) && v !== undefined) out[k] = v;
  out.format = modelFormatOf(source, options.format);
  return normalize(out) as Record<string, unknown>;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function readRecord(metaPath: string): ModelCacheRecord | string {
  let text: string;
  try {
    text = readFileSync(metaPath, 'utf8');
  } catch {
    return 'no cache record';
  }
  try {
    const r = JSON.parse(text) as ModelCacheRecord;
    if (r?.format !== 'qnn-node-model-cache' || r.version !== 1 || typeof r.source?.sha256 !== 'string' || typeof r.binary?.bytes !== 'number' || typeof r.backend !== 'object' || r.backend === null) {
      return `cache record ${metaPath} is not a qnn-node-model-cache record`;
    }
    return r;
  } catch (cause) {
    return `cache record ${metaPath} is damaged (${(cause as Error).message})`;
  }
}

/** Millisecond precision: copies and utimes keep no more on every file system. */
const sameTime = (a: number, b: number): boolean => Math.abs(a - b) < 1;
const short = (hex: string): string => hex.slice(0, 12);
const shown = (v: unknown): string => (v === undefined ? '(none)' : JSON.stringify(v));

/** Why the record does not describe what would be built now; null when it does. */
async function staleness(record: ModelCacheRecord, now: { source: string; format: ModelFormat; stat: { size: number; mtimeMs: number }; backend: BackendDescription; configs: Record<string, unknown> }, binaryPath: string): Promise<{ reason: string | null; sha256?: string }> {
  const binary = statSync(binaryPath, { throwIfNoEntry: false });
  if (!binary?.isFile()) return { reason: 'the cache binary is missing' };
  if (binary.size !== record.binary.bytes || !sameTime(binary.mtimeMs, record.binary.mtimeMs)) {
    return { reason: `the cache binary changed since it was written (${record.binary.bytes} bytes → ${binary.size} bytes${binary.size === record.binary.bytes ? ', modified' : ''})` };
  }
  if (record.source.path !== now.source) return { reason: `the source path changed (${record.source.path} → ${now.source})` };
  const b = record.backend as unknown as Record<string, unknown>;
  const n = now.backend as unknown as Record<string, unknown>;
  for (const key of [...new Set([...Object.keys(b), ...Object.keys(n)])].sort()) {
    if (b[key] !== n[key]) return { reason: `the backend ${key} changed (${shown(b[key])} → ${shown(n[key])})` };
  }
  const before = JSON.stringify(record.configs);
  const after = JSON.stringify(now.configs);
  if (before !== after) {
    const keys = [...new Set([...Object.keys(record.configs ?? {}), ...Object.keys(now.configs)])].sort();
    const changed = keys.filter((k) => JSON.stringify(record.configs?.[k]) !== JSON.stringify(now.configs[k]));
    return { reason: `the configs changed (${changed.map((k) => `${k}: ${shown(record.configs?.[k])} → ${shown(now.configs[k])}`).join('; ')})` };
  }
  if (now.stat.size === record.source.bytes && sameTime(now.stat.mtimeMs, record.source.mtimeMs)) return { reason: null };
  const sha256 = await sha256Of(now.source);
  if (sha256 !== record.source.sha256) return { reason: `the source content changed (sha256 ${short(record.source.sha256)}… → ${short(sha256)}…)`, sha256 };
  return { reason: null, sha256 };
}

/** Cache paths in use in this process: calls for the same path take turns. */
const inFlight = new Map<string, Promise<unknown>>();

async function exclusive<T>(key: string, task: () => Promise<T>): Promise<T> {
  const before = inFlight.get(key) ?? Promise.resolve();
  const mine = before.catch(() => undefined).then(task);
  const tail = mine.catch(() => undefined);
  inFlight.set(key, tail);
  try {
    return await mine;
  } finally {
    if (inFlight.get(key) === tail) inFlight.delete(key);
  }
}

function withCache(context: Context, info: ModelCacheInfo): CachedModelContext {
  Object.defineProperty(context, 'cache', { value: Object.freeze(info), enumerable: true, configurable: true });
  return context as CachedModelContext;
}

/** The options loadContext takes from ComposeOptions (configs, perfProfile, profile). */
function loadOptionsOf(options: ComposeOptions): LoadContextOptions {
  const { format: _f, onProgress: _p, modelDlc: _m, cache: _c, ...rest } = options as ComposeOptions & { cache?: string };
  return rest;
}

/**
 * Loads `source` (a DLC or model library) on `backend` through a context-binary cache:
 * composes, finalizes and saves it when the cache is missing, stale or damaged, else loads
 * the binary. Returns the context with `cache` saying which happened and why.
 */
export async function loadModel(backend: Backend, source: string, options: LoadModelOptions): Promise<CachedModelContext> {
  if (typeof backend !== 'object' || backend === null || typeof backend.loadContext !== 'function') throw invalidArg('a Backend', 'backend', backend);
  if (typeof source !== 'string' || source.length === 0) throw invalidArg('a model file path (.dlc or a model library)', 'source', source);
  if (typeof options !== 'object' || options === null) throw invalidArg('an options object with cache', 'options', options);
  if (typeof options.cache !== 'string' || options.cache.length === 0) throw invalidArg('a context binary path', 'options.cache', options.cache);
  if (typeof backend.composeModel !== 'function') {
    throw new QnnNodeError('UNSUPPORTED_FEATURE', `The ${backend.kind} backend cannot compose models (no composeModel): load a context binary instead`, { details: { backend: backend.kind } });
  }
  const sourcePath = resolve(source);
  const binaryPath = resolve(options.cache);
  if (binaryPath === sourcePath) throw invalidArg(`a cache path other than the model itself`, 'options.cache', options.cache);
  const metaPath = `${binaryPath}.json`;
  const format = modelFormatOf(sourcePath, options.format);
  const configs = cacheConfigs(sourcePath, options);
  return exclusive(binaryPath, async () => {
    const stat = statSync(sourcePath, { throwIfNoEntry: false });
    if (!stat?.isFile()) throw new QnnNodeError('FILE_NOT_FOUND', `Model file ${sourcePath} does not exist`, { details: { path: sourcePath } });
    const description = backend.describe?.() ?? { kind: backend.kind, buildId: 'unknown' };
    const record = readRecord(metaPath);
    let reason: string | null;
    let sha256: string | undefined;
    const existed = statSync(binaryPath, { throwIfNoEntry: false }) !== undefined || statSync(metaPath, { throwIfNoEntry: false }) !== undefined;
    if (typeof record === 'string') {
      reason = record;
    } else {
      ({ reason, sha256 } = await staleness(record, { source: sourcePath, format, stat, backend: description, configs }, binaryPath));
    }
    if (reason === null) {
      try {
        const context = await backend.loadContext(binaryPath, loadOptionsOf(options));
        // Same content under a new mtime (a touch, a copy): remember it so later hits skip hashing.
        if (typeof record !== 'string' && sha256 !== undefined && !sameTime(stat.mtimeMs, record.source.mtimeMs)) {
          writeFileAtomic(metaPath, `${JSON.stringify({ ...record, source: { ...record.source, bytes: stat.size, mtimeMs: stat.mtimeMs } }, null, 2)}\n`);
        }
        return withCache(context, { status: 'hit', reason: null, binaryPath, metaPath });
      } catch (error) {
        // A binary the backend refuses (damaged, or from a build the record does not tell apart) is rebuilt.
        const code = (error as { code?: unknown }).code;
        reason = `the cache binary could not be loaded (${typeof code === 'string' ? `${code}: ` : ''}${(error as Error).message.split('\n')[0]})`;
      }
    }
    const { cache: _cache, ...composeOptions } = options;
    const context = await backend.composeModel!(sourcePath, composeOptions);
    try {
      const saved = await saveComposed(context, binaryPath);
      const written = statSync(binaryPath);
      const meta: ModelCacheRecord = {
        format: 'qnn-node-model-cache',
        version: 1,
        source: { path: sourcePath, format, bytes: stat.size, mtimeMs: stat.mtimeMs, sha256: sha256 ?? (await sha256Of(sourcePath)) },
        backend: normalize(description) as BackendDescription,
        configs,
        binary: { bytes: written.size, mtimeMs: written.mtimeMs },
        createdAt: new Date().toISOString(),
        ...(context.composeTimings ? { composeTimings: context.composeTimings } : {}),
        serializeMs: saved.serializeMs,
      };
      writeFileAtomic(metaPath, `${JSON.stringify(meta, null, 2)}\n`);
      return withCache(context, {
        status: existed ? 'rebuilt' : 'created',
        reason: existed ? reason : `no cache at ${binaryPath}`,
        binaryPath,
        metaPath,
        ...(context.composeTimings ? { composeTimings: context.composeTimings } : {}),
        saved,
      });
    } catch (error) {
      await context.dispose();
      throw error;
    }
  });
}

async function saveComposed(context: Context, binaryPath: string): Promise<SavedBinary> {
  if (typeof context.saveBinary !== 'function') {
    throw new QnnNodeError('UNSUPPORTED_FEATURE', `The backend's contexts have no saveBinary, so ${binaryPath} cannot be written; compose without a cache (backend.composeModel)`, { details: { path: binaryPath } });
  }
  // Every backend's saveBinary writes a temporary file beside the target: the folder must exist.
  mkdirSync(dirname(binaryPath), { recursive: true });
  return context.saveBinary(binaryPath);
}
