/**
 * An independent, straightforward float64 implementation of the golden tiny Qwen3
 * (examples/tiny-qwen3), written for the test only: it shares no code with the runner,
 * the generator or the library — its own .npy reader, its own half-float decoding, its
 * own rope, attention, RMSNorm and SwiGLU, one token at a time with a growing KV list.
 * It reads what the generator wrote: weights/<name>.npy (float32, x · W layout) and the
 * raw f16 embedding table embed_f16.bin.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Array64 {
  readonly data: Float64Array;
  readonly dims: number[];
}

/** IEEE half bits → number (subnormals, infinities and NaN included). */
export function halfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** A little-endian float32 / float16 C-order .npy file (format versions 1-3). */
export function readNpy64(path: string): Array64 {
  const bytes = readFileSync(path);
  if (bytes.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${path}: not a .npy file`);
  const major = bytes[6];
  const headerLen = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = bytes.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${path}: Fortran order`);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)![1];
  const dims = shape.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const body = start + headerLen;
  const data = new Float64Array(count);
  if (descr === '<f4') for (let i = 0; i < count; i++) data[i] = bytes.readFloatLE(body + 4 * i);
  else if (descr === '<f2') for (let i = 0; i < count; i++) data[i] = halfBits(bytes.readUInt16LE(body + 2 * i));
  else throw new Error(`${path}: dtype ${descr}`);
  return { data, dims };
}

export interface GoldenConfig {
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly vocab: number;
  readonly hidden: number;
  readonly theta: number;
  readonly eps: number;
}

function rmsNorm(x: Float64Array, gain: Float64Array, eps: number): Float64Array {
  let ss = 0;
  for (const v of x) ss += v * v;
  const r = 1 / Math.sqrt(ss / x.length + eps);
  return x.map((v, i) => v * r * gain[i]);
}

/** y = x · W, W [in, out] row-major. */
function dot(x: Float64Array, w: Array64): Float64Array {
  const [n, m] = w.dims;
  const y = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    for (let j = 0; j < m; j++) y[j] += xi * w.data[i * m + j];
  }
  return y;
}

/** HF rotate_half rope on one head vector at `pos`. */
function rope(v: Float64Array, pos: number, theta: number): Float64Array {
  const d = v.length;
  const half = d / 2;
  const out = new Float64Array(d);
  for (let i = 0; i < half; i++) {
    const angle = pos * theta ** (-(2 * i) / d);
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    out[i] = v[i] * c - v[i + half] * s;
    out[i + half] = v[i + half] * c + v[i] * s;
  }
  return out;
}

export class GoldenQwen3 {
  private readonly w = new Map<string, Array64>();
  private readonly embed: Float64Array;
  /** keys[layer][kvHead] = list of roped key vectors, one per position; same for values. */
  private readonly keys: Float64Array[][][];
  private readonly values: Float64Array[][][];

  constructor(dir: string, private readonly c: GoldenConfig) {
    const names = ['input_norm', 'q_proj', 'k_proj', 'v_proj', 'o_proj', 'q_norm', 'k_norm', 'post_norm', 'gate_proj', 'up_proj', 'down_proj'];
    for (let l = 0; l < c.layers; l++) for (const n of names) this.w.set(`${l}.${n}`, readNpy64(join(dir, 'weights', `layers.${l}.${n}.npy`)));
    this.w.set('final_norm', readNpy64(join(dir, 'weights', 'final_norm.npy')));
    this.w.set('lm_head', readNpy64(join(dir, 'weights', 'lm_head.npy')));
    const raw = readFileSync(join(dir, 'embed_f16.bin'));
    if (raw.length !== c.vocab * c.hidden * 2) throw new Error(`embed_f16.bin has ${raw.length} bytes`);
    this.embed = Float64Array.from({ length: c.vocab * c.hidden }, (_, i) => halfBits(raw.readUInt16LE(2 * i)));
    this.keys = Array.from({ length: c.layers }, () => Array.from({ length: c.kvHeads }, () => []));
    this.values = Array.from({ length: c.layers }, () => Array.from({ length: c.kvHeads }, () => []));
  }

  /** Feeds one token at the next position (= the number of tokens fed so far); returns its logits. */
  step(token: number): Float64Array {
    const c = this.c;
    const pos = this.keys[0][0].length;
    const W = (l: number, n: string): Array64 => this.w.get(`${l}.${n}`)!;
    let x = this.embed.slice(token * c.hidden, (token + 1) * c.hidden);
    const rep = c.heads / c.kvHeads;
    for (let l = 0; l < c.layers; l++) {
      const xn = rmsNorm(x, W(l, 'input_norm').data, c.eps);
      const q = dot(xn, W(l, 'q_proj'));
      const k = dot(xn, W(l, 'k_proj'));
      const v = dot(xn, W(l, 'v_proj'));
      const head = (t: Float64Array, h: number): Float64Array => t.slice(h * c.headDim, (h + 1) * c.headDim);
      for (let g = 0; g < c.kvHeads; g++) {
        this.keys[l][g].push(rope(rmsNorm(head(k, g), W(l, 'k_norm').data, c.eps), pos, c.theta));
        this.values[l][g].push(head(v, g));
      }
      const attn = new Float64Array(c.heads * c.headDim);
      for (let h = 0; h < c.heads; h++) {
        const qh = rope(rmsNorm(head(q, h), W(l, 'q_norm').data, c.eps), pos, c.theta);
        const K = this.keys[l][Math.floor(h / rep)];
        const V = this.values[l][Math.floor(h / rep)];
        const scores = K.map((kj) => kj.reduce((s, kv, d) => s + kv * qh[d], 0) / Math.sqrt(c.headDim));
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const z = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j < V.length; j++) for (let d = 0; d < c.headDim; d++) attn[h * c.headDim + d] += (e[j] / z) * V[j][d];
      }
      x = x.map((xv, i) => xv + dot(attn, W(l, 'o_proj'))[i]);
      const hn = rmsNorm(x, W(l, 'post_norm').data, c.eps);
      const gate = dot(hn, W(l, 'gate_proj'));
      const up = dot(hn, W(l, 'up_proj'));
      const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]);
      const down = dot(act, W(l, 'down_proj'));
      x = x.map((xv, i) => xv + down[i]);
    }
    const xf = rmsNorm(x, this.w.get('final_norm')!.data, c.eps);
    return dot(xf, this.w.get('lm_head')!);
  }
}

/** First index of the maximum. */
export function argmax64(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}
