/**
 * Files a manifest names (context binaries, signatures, assets): checked for existence
 * and size before anything loads or runs (ASSET_MISSING / ASSET_INVALID), then opened.
 *
 * Embedding tables are memory-mapped when the native addon is present
 * (lib/native/mapped-file.ts: a private copy-on-write mapping, whatever `load` says): a
 * gather is then a plain typed-array copy per row (subarray + set) with no system call,
 * a 600 MB table costs address space but no heap, and only the rows touched are ever
 * paged in. Without the addon (or with QNN_NODE_NO_MMAP=1) `load` picks the fallback:
 * `lazy` (the default for large files) = one positional read (pread) per gathered row
 * straight into the output tensor; `memory` = the whole table read once.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { QnnNodeError, outOfRange } from '../errors.js';
import { mapFileReadOnly } from '../native/mapped-file.js';
import { DTYPES, byteLengthOf, type DType } from '../tensor/dtypes.js';
import { float16ToFloat32 } from '../tensor/fp16.js';
import { parseNpy } from '../tensor/npy.js';
import { parseRaw } from '../tensor/raw.js';
import { Tensor } from '../tensor/Tensor.js';
import type { AssetEntry, PipelineManifest } from './manifest.js';
import { elementCount } from '../tensor/shape.js';
import { PathPolicy, readRegularFile } from './paths.js';
import { parseStats, type NormStats } from './stats.js';
import { adapterFiles } from './adapters.js';

const LAZY_THRESHOLD = 64 * 1024 * 1024;

export interface FileRef {
  /** JSON pointer of the manifest field naming the file. */
  readonly pointer: string;
  readonly path: string;
  /** Exact byte size the file must have, when the manifest implies one. */
  readonly size?: number;
  /** Minimum byte size (an embedding table at an offset). */
  readonly minSize?: number;
}

/** Every file the manifest refers to (confined to the policy's roots), with the size it must have when known. */
export function manifestFiles(manifest: PipelineManifest, policy: PathPolicy): FileRef[] {
  const refs: FileRef[] = [];
  const at = (p: string, pointer: string): { pointer: string; path: string } => ({ pointer, path: policy.resolve(p, pointer) });
  for (const [name, ctx] of Object.entries(manifest.contexts)) {
    if (ctx.binary !== undefined) refs.push(at(ctx.binary, `/contexts/${name}/binary`));
    if (ctx.model !== undefined) refs.push(at(ctx.model, `/contexts/${name}/model`));
    if (typeof ctx.signature === 'string') refs.push(at(ctx.signature, `/contexts/${name}/signature`));
  }
  refs.push(...adapterFiles(manifest, at));
  for (const [name, asset] of Object.entries(manifest.assets ?? {})) {
    const ref = at(asset.path, `/assets/${name}/path`);
    if (asset.type === 'embedding') {
      const bytes = byteLengthOf(asset.dtype, elementCount(asset.shape));
      refs.push(asset.offset ? { ...ref, minSize: asset.offset + bytes } : { ...ref, size: bytes });
    } else if (asset.type === 'tensor' && !asset.path.endsWith('.npy') && asset.dtype && asset.shape) {
      refs.push({ ...ref, size: byteLengthOf(asset.dtype, elementCount(asset.shape)) });
    } else if (asset.type === 'file' && asset.size !== undefined) {
      refs.push({ ...ref, size: asset.size });
    } else {
      refs.push(ref);
    }
    if (asset.type === 'tokenizer' && asset.config) refs.push(at(asset.config, `/assets/${name}/config`));
  }
  // An image input's default is a file the manifest names too (checked for place, not existence: the caller may always pass another).
  for (const [name, input] of Object.entries(manifest.inputs ?? {})) {
    if (input.type === 'image' && typeof input.default === 'string') policy.resolve(input.default, `/inputs/${name}/default`);
  }
  return refs;
}

/**
 * Stats every file: all missing ones are reported together (ASSET_MISSING), then every
 * size problem (ASSET_INVALID). Nothing is read.
 */
export function checkFiles(refs: readonly FileRef[]): void {
  const missing: FileRef[] = [];
  const wrong: (FileRef & { actual: number })[] = [];
  for (const ref of refs) {
    let size: number;
    try {
      const st = statSync(ref.path);
      if (!st.isFile()) {
        wrong.push({ ...ref, actual: -1 });
        continue;
      }
      size = st.size;
    } catch {
      missing.push(ref);
      continue;
    }
    if ((ref.size !== undefined && size !== ref.size) || (ref.minSize !== undefined && size < ref.minSize)) wrong.push({ ...ref, actual: size });
  }
  if (missing.length) {
    const list = missing.map((m) => `${m.path} (${m.pointer})`);
    throw new QnnNodeError('ASSET_MISSING', `Missing file${missing.length > 1 ? 's' : ''}: ${list.slice(0, 5).join(', ')}${missing.length > 5 ? `, … (${missing.length})` : ''}`, {
      details: { missing: missing.map((m) => ({ path: m.path, pointer: m.pointer })) },
    });
  }
  if (wrong.length) {
    const w = wrong[0];
    const expected = w.size !== undefined ? `${w.size} bytes` : w.minSize !== undefined ? `at least ${w.minSize} bytes` : 'a regular file';
    const received = w.actual < 0 ? 'not a regular file' : `${w.actual} bytes`;
    throw new QnnNodeError('ASSET_INVALID', `File ${w.path} (${w.pointer}) has the wrong size: expected ${expected} but received ${received}${wrong.length > 1 ? ` (and ${wrong.length - 1} more)` : ''}`, {
      details: { invalid: wrong.map((x) => ({ path: x.path, pointer: x.pointer, expected: x.size ?? x.minSize, actual: x.actual })) },
    });
  }
}

export interface EmbeddingTableOptions {
  /** Memory-map the file when the native addon is available (default true); false = always use `mode`. */
  readonly map?: boolean;
  /** The most bytes `memory` mode reads into the heap (default unbounded): LIMIT_EXCEEDED over it. */
  readonly maxBytes?: number;
}

/**
 * A [vocab, hidden] table of float16 or float32 rows: memory-mapped when the native addon
 * is available (`mapped`), else read per row (`lazy`, pread) or read whole (`memory`).
 * Gathered rows are always copied into the caller's tensor, never views of the file.
 */
export class EmbeddingTable {
  readonly vocab: number;
  readonly hidden: number;
  readonly rowBytes: number;
  /** true: rows come from a memory mapping of the file (copy-on-write; the file is never written). */
  readonly mapped: boolean;
  private fd: number | undefined;
  private memory: Uint8Array | undefined;
  private scratch: Uint8Array | undefined;
  private closed = false;

  constructor(
    readonly path: string,
    readonly dtype: 'float16' | 'float32',
    shape: readonly [number, number],
    private readonly offset: number,
    readonly mode: 'lazy' | 'memory',
    options: EmbeddingTableOptions = {},
  ) {
    [this.vocab, this.hidden] = shape;
    this.rowBytes = this.hidden * (DTYPES[dtype].bits / 8);
    const end = offset + this.vocab * this.rowBytes;
    const mapping = options.map === false ? undefined : mapFileReadOnly(path);
    this.mapped = mapping?.mapped === true;
    if (mapping) {
      if (mapping.bytes.byteLength < end) {
        throw new QnnNodeError('FILE_TRUNCATED', `Embedding table ${path} has ${mapping.bytes.byteLength} bytes but [${this.vocab}, ${this.hidden}] ${dtype} at offset ${offset} needs ${end}`, {
          details: { path, expected: end, actual: mapping.bytes.byteLength },
        });
      }
      this.memory = mapping.bytes.subarray(offset, end);
    } else if (mode === 'memory') {
      const file = readRegularFile(path, `embedding table ${path}`, options.maxBytes ?? Number.MAX_SAFE_INTEGER);
      this.memory = file.subarray(offset, end);
    } else {
      // Non-blocking open and a check on the descriptor: a FIFO must not hang the event loop.
      const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      if (!fstatSync(fd).isFile()) {
        closeSync(fd);
        throw new QnnNodeError('FILE_NOT_FOUND', `Cannot read embedding table ${path}: not a regular file`, { details: { path } });
      }
      this.fd = fd;
    }
  }

  /** Copies the raw bytes of row `id` into `dst` at `dstOffset`. */
  readRow(id: number, dst: Uint8Array, dstOffset: number): void {
    if (this.closed) throw new QnnNodeError('DISPOSED', `Embedding table ${this.path} has been closed`);
    if (!Number.isInteger(id) || id < 0 || id >= this.vocab) throw outOfRange(`a token id from 0 to ${this.vocab - 1}`, `the id gathered from ${this.path}`, id);
    if (this.memory) {
      dst.set(this.memory.subarray(id * this.rowBytes, (id + 1) * this.rowBytes), dstOffset);
      return;
    }
    const n = readSync(this.fd!, dst, dstOffset, this.rowBytes, this.offset + id * this.rowBytes);
    if (n !== this.rowBytes) throw new QnnNodeError('FILE_TRUNCATED', `Short read of row ${id} from ${this.path}: ${n} of ${this.rowBytes} bytes`, { details: { path: this.path, id } });
  }

  /**
   * Gathers rows `ids` into `out` ([.., n, hidden] of any float dtype; the table's dtype
   * is a straight byte copy, others are converted).
   */
  gather(ids: ArrayLike<number>, out: Tensor): Tensor {
    const n = ids.length;
    if (out.size !== n * this.hidden) {
      throw new QnnNodeError('SIZE_MISMATCH', `Gathering ${n} rows of ${this.hidden} needs ${n * this.hidden} elements but the output has ${out.size}`, {
        details: { expected: n * this.hidden, actual: out.size },
      });
    }
    if (out.dtype === this.dtype) {
      const bytes = out.bytes;
      for (let i = 0; i < n; i++) this.readRow(ids[i], bytes, i * this.rowBytes);
      return out;
    }
    const scratch = (this.scratch ??= new Uint8Array(this.rowBytes));
    const f32 = new Float32Array(this.hidden);
    for (let i = 0; i < n; i++) {
      this.readRow(ids[i], scratch, 0);
      if (this.dtype === 'float16') float16ToFloat32(new Uint16Array(scratch.buffer, scratch.byteOffset, this.hidden), f32);
      else f32.set(new Float32Array(scratch.buffer, scratch.byteOffset, this.hidden));
      const row = Tensor.fromFloat32(out.dtype, f32, [this.hidden], out.quant ? { quant: out.quant } : {});
      out.bytes.set(row.bytes, i * row.byteLength);
    }
    return out;
  }

  /** Closes the file; a mapping is dropped and unmapped when the garbage collector frees it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.fd !== undefined) closeSync(this.fd);
    this.memory = undefined;
  }
}

/** A JSON file's value (a regular file of at most `maxBytes`); a syntax error says where the file is, never what it holds. */
export function parseJsonFile(path: string, maxBytes = Number.MAX_SAFE_INTEGER): object {
  const text = readRegularFile(path, path, maxBytes).toString('utf8');
  try {
    return JSON.parse(text) as object;
  } catch {
    throw new QnnNodeError('ASSET_INVALID', `${path} is not valid JSON`, { details: { path } });
  }
}

const MESSAGES_WITHOUT_CONTENT: ReadonlySet<string> = new Set(['SHAPE_MISMATCH', 'SIZE_MISMATCH', 'FILE_TRUNCATED', 'LIMIT_EXCEEDED', 'FILE_NOT_FOUND']);

/** A reason for a failed read that never quotes the file: the message of our numeric checks, else the error's code or class. */
export function withoutFileContent(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && MESSAGES_WITHOUT_CONTENT.has(code)) return (error as Error).message;
  if (error instanceof QnnNodeError && error.code === 'ASSET_INVALID') return error.message;
  // File system errors name the path and the failing call, never the content.
  if (typeof (error as NodeJS.ErrnoException)?.syscall === 'string') return (error as Error).message;
  const kind = typeof code === 'string' ? code : error instanceof Error ? error.name : typeof error;
  return `${kind} (the parser's message is not shown: it may quote the file)`;
}

/** The opened assets of one pipeline, by manifest name. */
export class PipelineAssets {
  private readonly tokenizers = new Map<string, Tokenizer>();
  private readonly tables = new Map<string, EmbeddingTable>();
  private readonly tensors = new Map<string, Tensor>();
  private readonly statsFiles = new Map<string, NormStats>();
  private readonly paths = new Map<string, string>();
  private readonly configs = new Map<string, string>();

  private readonly maxBytes: number;

  /**
   * `files`: the folder relative paths start from (and the only folder files may come from),
   * or a PathPolicy. `options.resolved`: paths already resolved by manifestFiles, by JSON
   * pointer (used as they are, so the file checked is the file opened);
   * `options.maxBytes`: the largest file read into memory.
   */
  constructor(
    private readonly entries: Readonly<Record<string, AssetEntry>>,
    files: string | PathPolicy,
    options: { readonly resolved?: ReadonlyMap<string, string>; readonly maxBytes?: number } = {},
  ) {
    const policy = typeof files === 'string' ? new PathPolicy(files) : files;
    const path = (p: string, pointer: string): string => options.resolved?.get(pointer) ?? policy.resolve(p, pointer);
    this.maxBytes = options.maxBytes ?? Number.MAX_SAFE_INTEGER;
    for (const [name, entry] of Object.entries(entries)) {
      this.paths.set(name, path(entry.path, `/assets/${name}/path`));
      if (entry.type === 'tokenizer' && entry.config) this.configs.set(name, path(entry.config, `/assets/${name}/config`));
    }
  }

  /** Opens everything (tokenizers parsed, tables opened, tensors read). ASSET_INVALID on unreadable content. */
  open(): void {
    for (const [name, entry] of Object.entries(this.entries)) {
      const path = this.paths.get(name)!;
      try {
        if (entry.type === 'tokenizer') {
          const json = parseJsonFile(path, this.maxBytes);
          const configPath = this.configs.get(name);
          const config = configPath !== undefined ? parseJsonFile(configPath, this.maxBytes) : {};
          this.tokenizers.set(name, new Tokenizer(json, config));
        } else if (entry.type === 'embedding') {
          const bytes = byteLengthOf(entry.dtype, entry.shape[0] * entry.shape[1]);
          const mode = entry.load ?? (bytes > LAZY_THRESHOLD ? 'lazy' : 'memory');
          this.tables.set(name, new EmbeddingTable(path, entry.dtype, entry.shape, entry.offset ?? 0, mode, { maxBytes: this.maxBytes }));
        } else if (entry.type === 'tensor') {
          const bytes = new Uint8Array(readRegularFile(path, path, this.maxBytes));
          const tensor = path.endsWith('.npy')
            ? parseNpy(bytes, entry.dtype ? { dtype: entry.dtype } : {})
            : parseRaw(bytes, { dtype: entry.dtype ?? 'float32', dims: entry.shape ?? [bytes.byteLength / (DTYPES[entry.dtype ?? 'float32'].bits / 8)] }, path);
          if (entry.shape && (tensor.dims.length !== entry.shape.length || tensor.dims.some((d, i) => d !== entry.shape![i]))) {
            throw new QnnNodeError('SHAPE_MISMATCH', `shape [${tensor.dims.join(', ')}] differs from the manifest's [${entry.shape.join(', ')}]`);
          }
          this.tensors.set(name, tensor);
        } else if (entry.type === 'stats') {
          this.statsFiles.set(name, parseStats(new Uint8Array(readRegularFile(path, path, this.maxBytes)), path, entry.format));
        }
      } catch (cause) {
        this.close();
        // Parser messages can quote the file (JSON.parse, .npy headers, tokenizer fields):
        // only our own size / shape messages, which hold numbers, are passed on.
        const reason = withoutFileContent(cause);
        throw new QnnNodeError('ASSET_INVALID', `Asset ${JSON.stringify(name)} (${path}, /assets/${name}) cannot be read as a ${entry.type}: ${reason}`, {
          details: { asset: name, path, pointer: `/assets/${name}`, reason },
        });
      }
    }
  }

  private missing(name: string, type: string): QnnNodeError {
    const names = Object.entries(this.entries).filter(([, e]) => e.type === type).map(([n]) => n);
    return new QnnNodeError('ASSET_MISSING', `No ${type} asset ${JSON.stringify(name)}; ${type} assets: ${names.join(', ') || 'none'}`, { details: { asset: name, type } });
  }

  tokenizer(name: string): Tokenizer {
    const t = this.tokenizers.get(name);
    if (!t) throw this.missing(name, 'tokenizer');
    return t;
  }

  embedding(name: string): EmbeddingTable {
    const t = this.tables.get(name);
    if (!t) throw this.missing(name, 'embedding');
    return t;
  }

  tensor(name: string): Tensor {
    const t = this.tensors.get(name);
    if (!t) throw this.missing(name, 'tensor');
    return t;
  }

  /** A loaded tensor asset's dtype and dims (for the load-time type check); undefined for another name. */
  tensorType(name: string): { readonly dtype: Tensor['dtype']; readonly dims: readonly number[] } | undefined {
    const t = this.tensors.get(name);
    return t ? { dtype: t.dtype, dims: t.dims } : undefined;
  }

  /** Normalization statistics: feature → statistic → values. */
  stats(name: string): NormStats {
    const s = this.statsFiles.get(name);
    if (!s) throw this.missing(name, 'stats');
    return s;
  }

  /** The absolute path of any asset. */
  path(name: string): string {
    const p = this.paths.get(name);
    if (!p) throw this.missing(name, 'any');
    return p;
  }

  has(name: string): boolean {
    return this.paths.has(name);
  }

  close(): void {
    for (const t of this.tables.values()) t.close();
    this.tables.clear();
  }
}

export type { DType };
