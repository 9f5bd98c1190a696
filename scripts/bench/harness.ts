/**
 * A small timing harness for `npm run bench` sections.
 *
 * A section module (scripts/bench/<name>.ts) default-exports a BenchSection:
 *
 *   import type { BenchSection } from './harness.js';
 *   const section: BenchSection = {
 *     name: 'tensor',
 *     description: 'fp16 and quantization throughput',
 *     async run(bench) {
 *       const src = new Float32Array(1 << 20);
 *       const dst = new Float32Array(src.length);
 *       bench.case('copy 4 MiB', () => dst.set(src));                          // a baseline
 *       bench.case('my op', () => myOp(src, dst), { baseline: 'copy 4 MiB' });   // + ratio
 *       await bench.caseAsync('load', () => load(), { iterations: 5 });
 *     },
 *   };
 *   export default section;
 *
 * and gets one line in scripts/bench/index.ts. Each case runs `warmup` untimed calls,
 * then `iterations` timed calls (at least; it keeps going until `minTimeMs` has passed,
 * up to `maxIterations`), and reports the median, min and p95 per call in milliseconds.
 * `baseline` names a case measured earlier in the same section, in the same process:
 * ratio = median / baseline median, so figures from different machines compare.
 */

export interface MeasureOptions {
  /** Untimed calls first (JIT warm-up). Default 10. */
  readonly warmup?: number;
  /** Minimum timed calls. Default 30. */
  readonly iterations?: number;
  /** Keep sampling until this much time was spent timing. Default 200 ms. */
  readonly minTimeMs?: number;
  /** Hard cap on timed calls. Default 10,000. */
  readonly maxIterations?: number;
}

export interface Stats {
  /** Milliseconds per call. */
  readonly median: number;
  readonly min: number;
  readonly p95: number;
  readonly mean: number;
  readonly samples: number;
}

export interface CaseOptions extends MeasureOptions {
  /** Name of an earlier case in the same section to report a ratio against. */
  readonly baseline?: string;
  /** Free text shown in the table (e.g. sizes). */
  readonly note?: string;
}

export interface CaseResult {
  readonly section: string;
  readonly name: string;
  readonly stats: Stats;
  readonly baseline?: string;
  /** median / baseline median. */
  readonly ratio?: number;
  readonly note?: string;
}

export interface Bench {
  readonly section: string;
  /** Times a synchronous function. */
  case(name: string, fn: () => unknown, options?: CaseOptions): CaseResult;
  /** Times an async function (each call awaited before the next). */
  caseAsync(name: string, fn: () => Promise<unknown>, options?: CaseOptions): Promise<CaseResult>;
  /** Results so far, in order. */
  readonly results: readonly CaseResult[];
}

export interface BenchSection {
  readonly name: string;
  readonly description: string;
  run(bench: Bench): void | Promise<void>;
}

/** Values the timed functions return go here so the JIT cannot drop the work. */
export let sink: unknown;

const DEFAULTS: Required<MeasureOptions> = { warmup: 10, iterations: 30, minTimeMs: 200, maxIterations: 10_000 };

function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function summarize(samples: number[]): Stats {
  const s = samples.slice().sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], p95: at(0.95), mean: s.reduce((a, b) => a + b, 0) / s.length, samples: s.length };
}

/** Times `fn` (see MeasureOptions). */
export function measure(fn: () => unknown, options: MeasureOptions = {}): Stats {
  const o = { ...DEFAULTS, ...options };
  for (let i = 0; i < o.warmup; i++) sink = fn();
  const samples: number[] = [];
  const start = nowMs();
  while (samples.length < o.maxIterations && (samples.length < o.iterations || nowMs() - start < o.minTimeMs)) {
    const t0 = nowMs();
    sink = fn();
    samples.push(nowMs() - t0);
  }
  return summarize(samples);
}

/** Times an async `fn`, one call at a time. */
export async function measureAsync(fn: () => Promise<unknown>, options: MeasureOptions = {}): Promise<Stats> {
  const o = { ...DEFAULTS, ...options };
  for (let i = 0; i < o.warmup; i++) sink = await fn();
  const samples: number[] = [];
  const start = nowMs();
  while (samples.length < o.maxIterations && (samples.length < o.iterations || nowMs() - start < o.minTimeMs)) {
    const t0 = nowMs();
    sink = await fn();
    samples.push(nowMs() - t0);
  }
  return summarize(samples);
}

/** A Bench that records results for `section`, with default measure options. */
export function createBench(section: string, defaults: MeasureOptions = {}): Bench {
  const results: CaseResult[] = [];
  const finish = (name: string, stats: Stats, options: CaseOptions): CaseResult => {
    let ratio: number | undefined;
    if (options.baseline !== undefined) {
      const base = results.find((r) => r.name === options.baseline);
      if (base === undefined) throw new Error(`bench ${section}: baseline '${options.baseline}' was not measured before '${name}'`);
      ratio = stats.median / base.stats.median;
    }
    const result: CaseResult = { section, name, stats, baseline: options.baseline, ratio, note: options.note };
    results.push(result);
    return result;
  };
  return {
    section,
    results,
    case(name, fn, options = {}) {
      return finish(name, measure(fn, { ...defaults, ...options }), options);
    },
    async caseAsync(name, fn, options = {}) {
      return finish(name, await measureAsync(fn, { ...defaults, ...options }), options);
    },
  };
}

function fmtMs(ms: number): string {
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(4);
}

/** Prints results as an aligned text table. */
export function printTable(title: string, results: readonly CaseResult[], out: (line: string) => void = console.log): void {
  const rows = [
    ['case', 'median ms', 'min ms', 'p95 ms', 'n', 'ratio', 'note'],
    ...results.map((r) => [
      r.name,
      fmtMs(r.stats.median),
      fmtMs(r.stats.min),
      fmtMs(r.stats.p95),
      String(r.stats.samples),
      r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x ${r.baseline}`,
      r.note ?? '',
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  out(`\n## ${title}`);
  for (const [i, row] of rows.entries()) {
    out(row.map((cell, c) => (c >= 1 && c <= 4 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd());
    if (i === 0) out(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}
