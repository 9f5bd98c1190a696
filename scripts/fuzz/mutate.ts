/**
 * Byte-level mutations shared by the targets, all driven by a seeded Prng so that a case
 * is reproducible from (target, seed, index) alone.
 */
import { Prng, hashString } from '../../lib/random.js';

/** The PRNG of one case: independent streams per target, seed and index. */
export function casePrng(target: string, seed: number, index: number): Prng {
  return new Prng(hashString(`${target}:${seed}:${index}`));
}

export function randInt(rng: Prng, n: number): number {
  return n <= 0 ? 0 : rng.nextUint32() % n;
}

export function pick<T>(rng: Prng, list: readonly T[]): T {
  return list[randInt(rng, list.length)];
}

/** 32-bit values that tend to break size and index arithmetic. */
export const INTERESTING_U32: readonly number[] = [
  0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 127, 128, 255, 256, 1000, 1024, 4096, 0x7fff, 0x8000, 0xffff, 0x10000,
  0x100000, 0x1000000, 0x3fffffff, 0x40000000, 0x7ffffffe, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffff0, 0xfffffffe, 0xffffffff,
];

/** float32 bit patterns: NaN, ±Inf, -0, the extremes, a denormal. */
export const INTERESTING_F32_BITS: readonly number[] = [0x7fc00000, 0x7f800000, 0xff800000, 0x80000000, 0x7f7fffff, 0xff7fffff, 0x00000001, 0x3f800000, 0xbf800000];

/** A u32 worth writing somewhere: interesting, small, or near an existing value. */
export function interestingU32(rng: Prng, near?: number): number {
  const r = randInt(rng, 10);
  if (r < 5) return pick(rng, INTERESTING_U32);
  if (r < 7) return randInt(rng, 64);
  if (r < 9 && near !== undefined) return (near + randInt(rng, 17) - 8) >>> 0;
  return pick(rng, INTERESTING_F32_BITS);
}

/** One random byte-level change: a bit flip, an interesting byte, a u32 write, a block copy or delete. */
export function mutateBytes(rng: Prng, bytes: Uint8Array, range: readonly [number, number] = [0, bytes.length]): Uint8Array {
  const [lo, hi] = range;
  if (hi <= lo) return bytes;
  const at = lo + randInt(rng, hi - lo);
  const out = new Uint8Array(bytes);
  switch (randInt(rng, 6)) {
    case 0:
      out[at] ^= 1 << randInt(rng, 8);
      return out;
    case 1:
      out[at] = pick(rng, [0, 1, 0x7f, 0x80, 0xfe, 0xff, 0x20, 0x30]);
      return out;
    case 2: {
      const aligned = Math.min(at & ~3, Math.max(0, hi - 4));
      if (aligned + 4 <= out.length) new DataView(out.buffer).setUint32(aligned, interestingU32(rng, new DataView(out.buffer).getUint32(aligned, true)), true);
      return out;
    }
    case 3: {
      const len = 1 + randInt(rng, 32);
      const from = lo + randInt(rng, hi - lo);
      out.copyWithin(at, from, Math.min(from + len, hi));
      return out;
    }
    case 4: {
      const len = 1 + randInt(rng, 16);
      return Uint8Array.from([...out.subarray(0, at), ...out.subarray(Math.min(at + len, out.length))]);
    }
    default: {
      const len = 1 + randInt(rng, 16);
      const insert = Uint8Array.from({ length: len }, () => rng.nextUint32() & 0xff);
      return Uint8Array.from([...out.subarray(0, at), ...insert, ...out.subarray(at)]);
    }
  }
}
