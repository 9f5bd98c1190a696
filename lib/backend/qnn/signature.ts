/**
 * readContextSignature: the graphs and tensors of a context binary read with QnnSystem
 * only — no backend library, no context (like qnn-context-binary-utility).
 *
 * By default the vendor library reads the binary in an isolated child process
 * (isolated-reader.ts): a malformed binary that crashes or hangs it gives BINARY_INVALID
 * instead of taking this process down. `isolate: false` reads in-process (faster, and
 * trusts the file).
 */
import { QnnNodeError, invalidArg } from '../../errors.js';
import { loadAddon, referenceBackendPaths } from '../../native/binding.js';
import type { NativeBinaryInfo } from '../../native/AddonTypes.js';
import { isResizableBuffer } from '../../tensor/resizable.js';
import type { ContextSignature } from '../types.js';
import { checkBinaryStructure, readBinaryHead } from './binary-header.js';
import { explainVersionMismatch, producerFrom, systemReader } from './binary-producer.js';
import { withCallerStack } from './errors.js';
import { isolationOption, readBinaryInfoIsolated, type IsolationLimits } from './isolated-reader.js';
import { existing, libraryCandidates, libraryLoadError, type Attempt } from './libraries.js';
import { specOf } from './QnnGraph.js';

export interface ReadContextSignatureOptions {
  /**
   * The QnnSystem library: a path, a file name (looked up in $QNN_SDK_ROOT/lib/<platform>
   * and on the library search path, as Qnn.load does), or 'reference' for the project's
   * reference system library. Default: libQnnSystem.so / QnnSystem.dll.
   */
  readonly system?: string;
  /** Overrides the QNN_SDK_ROOT environment variable. */
  readonly sdkRoot?: string;
  /**
   * The QNN SDK minor version (2.<minor>) the QnnSystem library comes from. Never needed to
   * read a binary: at System API 1.1 (SDK 2.x up to 2.27) the GraphInfo layout is decided
   * from the data; the SDK version only settles the (theoretical) case where both layouts
   * fit and disagree, and names the library's SDK in version-mismatch errors.
   */
  readonly sdkMinor?: number;
  /**
   * Read in an isolated child process (default: true), bounded by `timeoutMs` (default
   * 15000) and `memoryBytes` (address space beyond Node's own and the binary's size,
   * default 1 GiB, Linux). A crash or timeout inside QnnSystem → BINARY_INVALID. `false`:
   * read in this process (no process start-up, ~100 ms faster; a malformed binary can
   * crash the process inside the vendor library).
   */
  readonly isolate?: boolean | IsolationLimits;
}

function checkOptions(source: unknown, options: unknown): ReadContextSignatureOptions {
  if (typeof source !== 'string' && !(source instanceof Uint8Array)) throw invalidArg('a file path or a Uint8Array', 'source', source);
  if (typeof source === 'string' && source.length === 0) throw invalidArg('a non-empty file path', 'source', source);
  if (typeof source !== 'string' && isResizableBuffer(source as Uint8Array)) throw invalidArg('a fixed-length ArrayBuffer', 'source', source);
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) throw invalidArg('an options object', 'options', options);
  const opts = (options ?? {}) as ReadContextSignatureOptions;
  for (const key of ['system', 'sdkRoot'] as const) {
    if (opts[key] !== undefined && (typeof opts[key] !== 'string' || opts[key].length === 0)) throw invalidArg('a non-empty string', `options.${key}`, opts[key]);
  }
  if (opts.sdkMinor !== undefined && (!Number.isInteger(opts.sdkMinor) || opts.sdkMinor < 1 || opts.sdkMinor > 1000)) {
    throw invalidArg('an integer from 1 to 1000', 'options.sdkMinor', opts.sdkMinor);
  }
  return opts;
}

/** The graph and tensor signatures of a context binary (a path, or its bytes), read by QnnSystem alone. */
export async function readContextSignature(source: string | Uint8Array, options?: ReadContextSignatureOptions): Promise<ContextSignature> {
  const callSite = new Error();
  const opts = checkOptions(source, options);
  const isolation = isolationOption(opts.isolate, 'options.isolate');
  const addon = loadAddon();
  const readBinaryInfo = addon.readBinaryInfo;
  if (typeof readBinaryInfo !== 'function') throw new QnnNodeError('NO_PROVIDER', 'This build of the qnn-node addon has no readBinaryInfo (rebuild it)');
  // Structure first: obvious garbage never reaches the vendor library.
  const head = await withCallerStack(async () => {
    const h = await readBinaryHead(source);
    checkBinaryStructure(h);
    return h;
  }, callSite);
  const textProducer = producerFrom(head.head, 'text');
  const sdkRoot = opts.sdkRoot ?? (process.env.QNN_SDK_ROOT || undefined);
  const given = opts.system === 'reference' ? referenceBackendPaths().system : opts.system;
  const attempts: Attempt[] = [];
  const candidates = existing(libraryCandidates(given, 'QnnSystem', sdkRoot), attempts);
  for (const candidate of candidates) {
    let info: NativeBinaryInfo;
    try {
      info = await withCallerStack(
        () => (isolation ? readBinaryInfoIsolated(candidate.path, source, opts.sdkMinor, head.size, isolation) : readBinaryInfo(candidate.path, source, opts.sdkMinor)),
        callSite,
        'QnnSystem',
      );
    } catch (error) {
      const e = error as QnnNodeError;
      if (e.code === 'LIBRARY_LOAD_FAILED') {
        attempts.push({ candidate, reason: String(e.details?.loaderError ?? e.message) });
        continue;
      }
      const reader = systemReader(e, opts.sdkMinor, candidate.path);
      if (reader) explainVersionMismatch(e, textProducer, reader);
      throw error;
    }
    const producer = producerFrom(info.buildId, 'binary-info') ?? textProducer;
    return {
      format: 'qnn-node-signature',
      version: 1,
      source: typeof source === 'string' ? source : 'memory',
      ...(producer ? { producer } : {}),
      graphs: info.graphs.map((g) => ({ name: g.name, inputs: g.inputs.map((t) => specOf(g.name, t)), outputs: g.outputs.map((t) => specOf(g.name, t)) })),
    };
  }
  const err = libraryLoadError('system', attempts);
  const frames = (callSite.stack ?? '').split('\n').slice(1).join('\n');
  if (frames) err.stack = `${err.name}: ${err.message}\n${frames}`;
  throw err;
}
