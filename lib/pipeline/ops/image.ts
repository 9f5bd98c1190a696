/**
 * Image preprocessing in pure JS (runs on Termux too): decode JPEG (jpeg-js) or PNG
 * (pngjs), resize (nearest, bilinear, bicubic; half-pixel centres like PIL / torch
 * align_corners=False, no antialias), rescale and normalise, lay out as NCHW or NHWC in
 * the graph's dtype.
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { QnnNodeError, invalidArg } from '../../errors.js';
import type { DType } from '../../tensor/dtypes.js';
import { Tensor } from '../../tensor/Tensor.js';
import type { RawImage } from '../hostops.js';
import { readRegularFile } from '../paths.js';

export type ResizeMethod = 'nearest' | 'bilinear' | 'bicubic';

function isRawImage(v: unknown): v is RawImage {
  const r = v as RawImage;
  return typeof r === 'object' && r !== null && !(v instanceof Uint8Array) && typeof r.width === 'number' && typeof r.height === 'number' && r.data instanceof Uint8Array;
}

/**
 * What decoding may allocate: `maxBytes` for any one buffer (a file read, decoded pixels),
 * `check` called with each buffer's size before it is allocated (throws when over).
 */
export interface ImageBudget {
  readonly maxBytes: number;
  check(bytes: number, what: string): void;
}

const UNBOUNDED: ImageBudget = { maxBytes: Number.MAX_SAFE_INTEGER, check: () => undefined };

const PNG_CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * Checks the decoded size a PNG IHDR or JPEG SOF header declares before any decoding, so
 * a small file that inflates to gigabytes (a decompression bomb) is refused up front.
 */
function checkDeclaredSize(buf: Buffer, budget: ImageBudget): void {
  if (buf.length >= 26 && buf.toString('latin1', 12, 16) === 'IHDR') {
    const width = buf.readUInt32BE(16);
    const height = buf.readUInt32BE(20);
    const bitsPerPixel = (PNG_CHANNELS[buf[25]] ?? 4) * Math.max(8, buf[24]);
    budget.check(height * (1 + Math.ceil((width * bitsPerPixel) / 8)), `the inflated data of a ${width}x${height} PNG`);
    budget.check(width * height * 4, `${width}x${height} decoded RGBA pixels`);
    return;
  }
  // JPEG: walk the marker segments to the frame header (SOF0..SOF15 but DHT, JPG, DAC).
  let i = 2;
  while (i + 9 < buf.length && buf[i] === 0xff) {
    const marker = buf[i + 1];
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const height = buf.readUInt16BE(i + 5);
      const width = buf.readUInt16BE(i + 7);
      const components = buf[i + 9] || 3;
      budget.check(width * height * Math.max(3, components), `${width}x${height} decoded JPEG pixels`);
      return;
    }
    if (marker === 0xda) return; // scan data before any frame header: jpeg-js refuses it
    i += 2 + buf.readUInt16BE(i + 2);
  }
}

/**
 * Decodes a path, encoded bytes (JPEG / PNG) or raw pixels into RGB pixels, within
 * `budget` (the file size, the size its header declares, the RGB copy).
 */
export function decodeImage(source: string | Uint8Array | RawImage, budget: ImageBudget = UNBOUNDED): RawImage {
  if (isRawImage(source)) {
    const { width, height, channels, data } = source;
    if (![1, 3, 4].includes(channels) || !Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
      throw invalidArg('{ width, height, channels: 1 | 3 | 4, data }', 'image', source);
    }
    if (data.length !== width * height * channels) {
      throw new QnnNodeError('SIZE_MISMATCH', `A ${width}x${height} image with ${channels} channels needs ${width * height * channels} bytes but data has ${data.length}`, {
        details: { expected: width * height * channels, actual: data.length },
      });
    }
    if (channels !== 3) budget.check(width * height * 3, `${width}x${height} RGB pixels`);
    return toRgb(source);
  }
  let bytes: Uint8Array;
  if (typeof source === 'string') {
    bytes = readRegularFile(source, `image ${source}`, budget.maxBytes);
  } else if (source instanceof Uint8Array) {
    bytes = source;
  } else {
    throw invalidArg('an image path, JPEG/PNG bytes or { width, height, channels, data }', 'image', source);
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const isPng = buf[0] === 0x89 && buf[1] === 0x50 && buf[2] === 0x4e && buf[3] === 0x47;
  const isJpeg = buf[0] === 0xff && buf[1] === 0xd8;
  if (isPng || isJpeg) checkDeclaredSize(buf, budget);
  try {
    if (isPng) {
      const png = PNG.sync.read(buf);
      budget.check(png.width * png.height * 3, `${png.width}x${png.height} RGB pixels`);
      return toRgb({ width: png.width, height: png.height, channels: 4, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) });
    }
    if (isJpeg) {
      // jpeg-js's own guards, from the same budget (it counts its component buffers too).
      const img = jpeg.decode(buf, {
        useTArray: true,
        formatAsRGBA: false,
        maxResolutionInMP: budget.maxBytes / 3 / 1e6,
        maxMemoryUsageInMB: Math.max(1, Math.ceil(budget.maxBytes / (1024 * 1024))),
      });
      return { width: img.width, height: img.height, channels: 3, data: img.data };
    }
  } catch (cause) {
    throw new QnnNodeError('ERR_INVALID_ARG', `Cannot decode image${typeof source === 'string' ? ` ${source}` : ''}: ${(cause as Error).message}`, { cause });
  }
  throw invalidArg('JPEG or PNG data', typeof source === 'string' ? `image ${source}` : 'image', bytes.subarray(0, 8));
}

function toRgb(img: RawImage): RawImage {
  if (img.channels === 3) return img;
  const n = img.width * img.height;
  const out = new Uint8Array(n * 3);
  const c = img.channels;
  for (let i = 0; i < n; i++) {
    // Alpha is ignored (composited over nothing); grey is replicated.
    const s = i * c;
    out[i * 3] = img.data[s];
    out[i * 3 + 1] = img.data[c === 1 ? s : s + 1];
    out[i * 3 + 2] = img.data[c === 1 ? s : s + 2];
  }
  return { width: img.width, height: img.height, channels: 3, data: out };
}

function cubic(x: number): number {
  // Keys kernel with a = -0.5 (PIL's bicubic).
  const a = -0.5;
  const t = Math.abs(x);
  if (t <= 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
  return 0;
}

/** Per output coordinate: source indices and weights along one axis. */
function axisTaps(outSize: number, inSize: number, method: ResizeMethod): { idx: Int32Array; w: Float32Array; taps: number } {
  const taps = method === 'nearest' ? 1 : method === 'bilinear' ? 2 : 4;
  const idx = new Int32Array(outSize * taps);
  const w = new Float32Array(outSize * taps);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale - 0.5;
    if (method === 'nearest') {
      idx[o] = Math.min(inSize - 1, Math.floor((o + 0.5) * scale));
      w[o] = 1;
    } else if (method === 'bilinear') {
      const f = Math.floor(center);
      const frac = center - f;
      idx[o * 2] = Math.min(inSize - 1, Math.max(0, f));
      idx[o * 2 + 1] = Math.min(inSize - 1, Math.max(0, f + 1));
      w[o * 2] = 1 - frac;
      w[o * 2 + 1] = frac;
    } else {
      const f = Math.floor(center);
      let sum = 0;
      for (let k = 0; k < 4; k++) {
        const src = f - 1 + k;
        const weight = cubic(center - src);
        idx[o * 4 + k] = Math.min(inSize - 1, Math.max(0, src));
        w[o * 4 + k] = weight;
        sum += weight;
      }
      for (let k = 0; k < 4; k++) w[o * 4 + k] /= sum;
    }
  }
  return { idx, w, taps };
}

/** Resizes RGB pixels to width x height; returns float RGB values (0..255, not clamped for bicubic). */
export function resizeRgb(img: RawImage, width: number, height: number, method: ResizeMethod = 'bilinear', budget: ImageBudget = UNBOUNDED): Float32Array {
  const rgb = toRgb(img);
  // Separable passes: a source-height x output-width float32 RGB stage, then the output.
  budget.check(rgb.height * width * 12, `resize staging of ${width}x${rgb.height} float32 RGB pixels`);
  budget.check(height * width * 12, `${width}x${height} float32 RGB pixels`);
  const xs = axisTaps(width, rgb.width, method);
  const ys = axisTaps(height, rgb.height, method);
  // Separable: horizontal pass into a float buffer, then vertical.
  const tmp = new Float32Array(rgb.height * width * 3);
  const src = rgb.data;
  for (let y = 0; y < rgb.height; y++) {
    const row = y * rgb.width * 3;
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < xs.taps; k++) {
        const s = row + xs.idx[x * xs.taps + k] * 3;
        const wt = xs.w[x * xs.taps + k];
        r += src[s] * wt;
        g += src[s + 1] * wt;
        b += src[s + 2] * wt;
      }
      const d = (y * width + x) * 3;
      tmp[d] = r;
      tmp[d + 1] = g;
      tmp[d + 2] = b;
    }
  }
  const out = new Float32Array(height * width * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < ys.taps; k++) {
        const s = (ys.idx[y * ys.taps + k] * width + x) * 3;
        const wt = ys.w[y * ys.taps + k];
        r += tmp[s] * wt;
        g += tmp[s + 1] * wt;
        b += tmp[s + 2] * wt;
      }
      const d = (y * width + x) * 3;
      out[d] = r;
      out[d + 1] = g;
      out[d + 2] = b;
    }
  }
  return out;
}

export interface PreprocessOptions {
  readonly width: number;
  readonly height: number;
  readonly resize?: ResizeMethod;
  /** Multiplies pixel values (0..255) first; default 1/255. */
  readonly rescale?: number;
  /** Per-channel (or one for all) mean subtracted after rescaling; default 0. */
  readonly mean?: readonly number[];
  /** Per-channel (or one for all) std divided by; default 1. */
  readonly std?: readonly number[];
  readonly layout?: 'NCHW' | 'NHWC';
  readonly dtype: DType;
  /** Bounds every buffer decoding and resizing allocate (default: unbounded). */
  readonly budget?: ImageBudget;
}

/** Decode + resize + (x * rescale - mean) / std → [1,3,H,W] or [1,H,W,3] in `dtype`. */
export function preprocessImage(source: string | Uint8Array | RawImage, options: PreprocessOptions): Tensor {
  const { width, height, resize = 'bilinear', rescale = 1 / 255, mean = [0], std = [1], layout = 'NCHW', dtype, budget = UNBOUNDED } = options;
  for (const [k, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(v) || v <= 0) throw invalidArg('a positive integer', k, v);
  }
  if (![1, 3].includes(mean.length)) throw invalidArg('1 or 3 values', 'mean', mean);
  if (![1, 3].includes(std.length) || std.some((s) => s === 0)) throw invalidArg('1 or 3 non-zero values', 'std', std);
  const pixels = resizeRgb(decodeImage(source, budget), width, height, resize, budget);
  const hw = width * height;
  const f = new Float32Array(hw * 3);
  for (let c = 0; c < 3; c++) {
    const m = mean.length === 3 ? mean[c] : mean[0];
    const s = std.length === 3 ? std[c] : std[0];
    for (let i = 0; i < hw; i++) {
      const v = (pixels[i * 3 + c] * rescale - m) / s;
      f[layout === 'NCHW' ? c * hw + i : i * 3 + c] = v;
    }
  }
  return Tensor.fromFloat32(dtype, f, layout === 'NCHW' ? [1, 3, height, width] : [1, height, width, 3]);
}
