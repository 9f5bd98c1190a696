/**
 * Whole files as bytes through the native addon's memory mapping (`addon.mapFile`): no
 * read, no copy, pages come from the page cache on first touch. The mapping is private
 * and copy-on-write (mmap MAP_PRIVATE + PROT_READ|PROT_WRITE / MapViewOfFile
 * FILE_MAP_COPY), so writing into the bytes never segfaults and never modifies the file;
 * it is unmapped when the returned bytes (and every view of them) are garbage-collected.
 *
 * Without the addon (or with QNN_NODE_NO_MMAP=1) `mapFileReadOnly` returns undefined and
 * callers fall back to reading the file. Do not truncate a file while it is mapped:
 * touching a page past the new end is a SIGBUS on POSIX. On Windows a mapped file cannot
 * be replaced or truncated until the mapping is collected.
 */
import { fromNative } from '../backend/qnn/errors.js';
import { invalidArg } from '../errors.js';
import type { NativeAddon } from './AddonTypes.js';
import { loadAddon } from './binding.js';

export interface MappedFile {
  readonly path: string;
  /** The whole file. Writes stay in private pages of this process. */
  readonly bytes: Uint8Array;
  /** true: memory-mapped; false: the runtime refuses external buffers, the bytes were copied once. */
  readonly mapped: boolean;
}

type MapFn = NonNullable<NativeAddon['mapFile']>;
let mapFn: MapFn | null | undefined;

function nativeMapFile(): MapFn | null {
  if (mapFn !== undefined) return mapFn;
  try {
    const addon = loadAddon();
    mapFn = typeof addon.mapFile === 'function' ? addon.mapFile.bind(addon) : null;
  } catch {
    mapFn = null; // no addon for this platform: callers read instead
  }
  return mapFn;
}

/** True when `mapFileReadOnly` maps (the addon is loaded, has mapFile, QNN_NODE_NO_MMAP unset). */
export function mappingAvailable(): boolean {
  return !process.env.QNN_NODE_NO_MMAP && nativeMapFile() !== null;
}

/**
 * Maps the whole file at `path`, or returns undefined when mapping is not available (see
 * `mappingAvailable`). Throws ERR_INVALID_ARG (TypeError) for a non-string or empty path,
 * and QnnNodeErrors FILE_NOT_FOUND, NOT_A_FILE (a directory, device or FIFO), FILE_EMPTY
 * (a zero-length file cannot be mapped) or MAP_FAILED, each with `details.path`.
 */
export function mapFileReadOnly(path: string): MappedFile | undefined {
  if (typeof path !== 'string' || path.length === 0) throw invalidArg('a non-empty file path string', 'path', path);
  if (!mappingAvailable()) return undefined;
  let result: ReturnType<MapFn>;
  try {
    result = nativeMapFile()!(path);
  } catch (error) {
    throw fromNative(error, `mapping of ${path}`);
  }
  return { path, bytes: new Uint8Array(result.buffer, 0, result.byteLength), mapped: result.mapped };
}
