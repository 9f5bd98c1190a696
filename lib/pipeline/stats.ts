/**
 * Normalization statistics files (the `stats` asset): per-feature vectors such as
 * `observation.state` → { mean, std, min, max }, read in the formats LeRobot ships:
 *
 * - **safetensors** — a policy's `policy_preprocessor_step_<n>_normalizer_processor.safetensors`
 *   / `policy_postprocessor_step_<n>_unnormalizer_processor.safetensors` (LeRobot ≥ 0.4):
 *   flat keys `<feature>.<stat>` (`observation.state.mean`, `action.std`).
 * - **JSON** — a dataset's `meta/stats.json` (nested `{ "<feature>": { "mean": [...] } }`) or
 *   the same flat keys as the safetensors file.
 *
 * safetensors is a tiny format (u64 little-endian header length, a JSON header of
 * `{ name: { dtype, shape, data_offsets } }`, then the bytes): a 40-line reader here
 * instead of a dependency. Values are read as float64 (F64, F32, F16, BF16 accepted).
 */
import { QnnNodeError } from '../errors.js';
import { halfToNumber } from '../tensor/fp16.js';

/** feature → statistic → values. */
export type NormStats = ReadonlyMap<string, ReadonlyMap<string, Float64Array>>;

function invalid(message: string): QnnNodeError {
  return new QnnNodeError('ASSET_INVALID', message);
}

const ELEMENT: Readonly<Record<string, { bytes: number; read: (v: DataView, at: number) => number }>> = {
  F64: { bytes: 8, read: (v, at) => v.getFloat64(at, true) },
  F32: { bytes: 4, read: (v, at) => v.getFloat32(at, true) },
  F16: { bytes: 2, read: (v, at) => halfToNumber(v.getUint16(at, true)) },
  BF16: { bytes: 2, read: (v, at) => new Float32Array(new Uint32Array([v.getUint16(at, true) << 16]).buffer)[0] },
};

/** Every tensor of a safetensors file, flattened to float64, by name. */
export function parseSafetensors(bytes: Uint8Array): Map<string, Float64Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8) throw invalid(`a safetensors file needs an 8-byte header length; the file has ${bytes.byteLength} bytes`);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.byteLength - 8) throw invalid(`safetensors header of ${headerLength} bytes does not fit in a file of ${bytes.byteLength} bytes`);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, headerLength).toString('utf8'));
  } catch {
    throw invalid('the safetensors header is not valid JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw invalid('the safetensors header is not a JSON object of tensors');
  const data = 8 + headerLength;
  const out = new Map<string, Float64Array>();
  for (const [index, [name, entry]] of Object.entries(header as Record<string, unknown>).entries()) {
    if (name === '__metadata__') continue;
    // Numbers only: a message never quotes the file (docs/pipelines.md, trust model).
    const bad = (): QnnNodeError => invalid(`safetensors header entry ${index}: its offsets and shape do not match the ${bytes.byteLength}-byte file`);
    if (typeof entry !== 'object' || entry === null) throw bad();
    const t = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const kind = typeof t.dtype === 'string' && Object.hasOwn(ELEMENT, t.dtype) ? ELEMENT[t.dtype] : undefined;
    // Integer and bool tensors (counts) are not statistics: skipped.
    if (!kind) continue;
    const [begin, end] = Array.isArray(t.data_offsets) ? (t.data_offsets as unknown[]) : [];
    const shape = Array.isArray(t.shape) ? (t.shape as unknown[]) : [NaN];
    if (!shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) throw bad();
    const n = shape.reduce<number>((a, d) => a * (d as number), 1);
    if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || !Number.isSafeInteger(n) || (end as number) - (begin as number) !== n * kind.bytes || data + (end as number) > bytes.byteLength || (begin as number) < 0) {
      throw bad();
    }
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = kind.read(view, data + (begin as number) + i * kind.bytes);
    out.set(name, values);
  }
  return out;
}

/** Nests flat `<feature>.<stat>` keys (the stat is after the last dot, as LeRobot splits them). */
function nest(flat: Iterable<[string, Float64Array]>): Map<string, Map<string, Float64Array>> {
  const out = new Map<string, Map<string, Float64Array>>();
  for (const [key, values] of flat) {
    const dot = key.lastIndexOf('.');
    if (dot <= 0) continue;
    const feature = key.slice(0, dot);
    if (!out.has(feature)) out.set(feature, new Map());
    out.get(feature)!.set(key.slice(dot + 1), values);
  }
  return out;
}

function numbers(v: unknown): Float64Array | undefined {
  // Stats of images are nested [[[..]]] per channel: flattened.
  const flat = Array.isArray(v) ? (v as unknown[]).flat(3) : typeof v === 'number' ? [v] : undefined;
  return flat && flat.every((x) => typeof x === 'number') ? Float64Array.from(flat as number[]) : undefined;
}

/** Stats from a parsed JSON value: nested (`meta/stats.json`) or flat keys. */
export function statsFromJson(json: unknown): NormStats {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalid('a stats JSON must be an object of features');
  const flat: [string, Float64Array][] = [];
  for (const [key, value] of Object.entries(json)) {
    const direct = numbers(value);
    if (direct) flat.push([key, direct]);
    else if (typeof value === 'object' && value !== null) {
      for (const [stat, v] of Object.entries(value)) {
        const n = numbers(v);
        if (n) flat.push([`${key}.${stat}`, n]);
      }
    }
  }
  return nest(flat);
}

/** Stats from a file's bytes; `format` by default from the file name. */
export function parseStats(bytes: Uint8Array, path: string, format?: 'json' | 'safetensors'): NormStats {
  if ((format ?? (path.toLowerCase().endsWith('.safetensors') ? 'safetensors' : 'json')) === 'safetensors') return nest(parseSafetensors(bytes));
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    throw invalid('not valid JSON');
  }
  return statsFromJson(json);
}
