/**
 * readContextSignature: the graphs and tensors of a context binary read with QnnSystem
 * only — no backend library, no context (like qnn-context-binary-utility).
 */
import { QnnNodeError, invalidArg } from '../../errors.js';
import { loadAddon, referenceBackendPaths } from '../../native/binding.js';
import { isResizableBuffer } from '../../tensor/resizable.js';
import type { ContextSignature } from '../types.js';
import { withCallerStack } from './errors.js';
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
   * The QNN SDK minor version (2.<minor>) the binary's QnnSystem comes from. Needed only for
   * System API 1.1 libraries (SDK 2.x up to 2.27), whose GraphInfo layout it decides;
   * without it those are refused (UNSUPPORTED_VERSION).
   */
  readonly sdkMinor?: number;
}

/** The graph and tensor signatures of a context binary (a path, or its bytes), read by QnnSystem alone. */
export async function readContextSignature(source: string | Uint8Array, options?: ReadContextSignatureOptions): Promise<ContextSignature> {
  const callSite = new Error();
  if (typeof source !== 'string' && !(source instanceof Uint8Array)) throw invalidArg('a file path or a Uint8Array', 'source', source);
  if (typeof source === 'string' && source.length === 0) throw invalidArg('a non-empty file path', 'source', source);
  if (typeof source !== 'string' && isResizableBuffer(source)) throw invalidArg('a fixed-length ArrayBuffer', 'source', source);
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) throw invalidArg('an options object', 'options', options);
  const opts = options ?? {};
  for (const key of ['system', 'sdkRoot'] as const) {
    if (opts[key] !== undefined && (typeof opts[key] !== 'string' || opts[key].length === 0)) throw invalidArg('a non-empty string', `options.${key}`, opts[key]);
  }
  if (opts.sdkMinor !== undefined && (!Number.isInteger(opts.sdkMinor) || opts.sdkMinor < 1 || opts.sdkMinor > 1000)) {
    throw invalidArg('an integer from 1 to 1000', 'options.sdkMinor', opts.sdkMinor);
  }
  const addon = loadAddon();
  const readBinaryInfo = addon.readBinaryInfo;
  if (typeof readBinaryInfo !== 'function') throw new QnnNodeError('NO_PROVIDER', 'This build of the qnn-node addon has no readBinaryInfo (rebuild it)');
  const sdkRoot = opts.sdkRoot ?? (process.env.QNN_SDK_ROOT || undefined);
  const given = opts.system === 'reference' ? referenceBackendPaths().system : opts.system;
  const attempts: Attempt[] = [];
  const candidates = existing(libraryCandidates(given, 'QnnSystem', sdkRoot), attempts);
  for (const candidate of candidates) {
    try {
      const info = await withCallerStack(() => readBinaryInfo(candidate.path, source, opts.sdkMinor), callSite, 'QnnSystem');
      return {
        format: 'qnn-node-signature',
        version: 1,
        source: typeof source === 'string' ? source : 'memory',
        graphs: info.graphs.map((g) => ({ name: g.name, inputs: g.inputs.map((t) => specOf(g.name, t)), outputs: g.outputs.map((t) => specOf(g.name, t)) })),
      };
    } catch (error) {
      const e = error as QnnNodeError;
      if (e.code !== 'LIBRARY_LOAD_FAILED') throw error;
      attempts.push({ candidate, reason: String(e.details?.loaderError ?? e.message) });
    }
  }
  const err = libraryLoadError('system', attempts);
  const frames = (callSite.stack ?? '').split('\n').slice(1).join('\n');
  if (frames) err.stack = `${err.name}: ${err.message}\n${frames}`;
  throw err;
}
