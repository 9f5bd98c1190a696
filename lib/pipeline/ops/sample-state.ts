/**
 * The scratch memory of one Sampler (reused across calls: a decode loop allocates nothing
 * per token) and the small results its passes hand to each other.
 */
export class SamplerState {
  scratch = new Float32Array(0);
  /** Candidate token ids (collection pass), then the same ids ordered best first. */
  cand = new Int32Array(0);
  order = new Int32Array(0);
  /** Selected tokens (best first) and their unnormalised probabilities. */
  selIdx = new Int32Array(0);
  selW = new Float64Array(0);
  /** Per-call weight of every half key relative to a reference logit. */
  wt: Float64Array | undefined;
  keyCount: Int32Array | undefined;
  coarse = new Float64Array(1024);
  coarseN = new Int32Array(1024);
  blockZ = new Float64Array(0);
  /** Penalised tokens: marks (by id) and their new values. */
  marks = new Int32Array(0);
  z = 0;
  maxKey = 0;
  minKey = 0;
  ms = -1;
  fpow = new Float64Array(64);
  vRef = 0;
  wThr = 0;
  invT = 0;
  exId: number[] = [];
  exVal: number[] = [];
  rowW = new Float64Array(0);
  exPacked = new Float64Array(0);
}

/** Room for n selected tokens. */
export function ensure(s: SamplerState, n: number): void {
  if (s.selIdx.length < n) {
    s.selIdx = new Int32Array(n);
    s.selW = new Float64Array(n);
  }
}
