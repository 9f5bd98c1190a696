/**
 * `qnn-node bench run [context.bin]`: execute latency per graph, synchronous (runSync)
 * and asynchronous (run, awaited one at a time), after a warm-up, for a fixed count or a
 * duration. Inputs are generated; outputs are preallocated once and reused, so the
 * figures are execute + binding cost, not allocation.
 */
import { performance } from 'node:perf_hooks';
import { Option, type Command } from 'commander';
import type { Graph, TensorMap } from '../../backend/types.js';
import { Tensor } from '../../tensor/Tensor.js';
import type { CommandContext } from '../context.js';
import { usageError } from '../exit-codes.js';
import { fillTensor, FILL_MODES, type FillMode } from '../fill.js';
import { durationMs, nonNegativeInt, positiveInt, collect } from '../options.js';
import { formatCsv } from '../output/csv.js';
import { formatUs } from '../output/format.js';
import { toJson } from '../output/json.js';
import { createProgress } from '../output/progress.js';
import { formatTable } from '../output/table.js';
import { summarize, type Summary } from '../stats.js';
import { addTargetOptions, openTarget, resolveBinary, type TargetOptions } from '../target.js';
import { selectGraphs } from '../signature.js';
import type { PerfProfile } from '../../backend/power.js';
import { addPerfProfileOption, perfRunOptions } from '../perf-profile.js';
import { profiledTable, profiledTracks, profileRuns, type ProfiledRun } from '../bench/profile-runs.js';
import { addProfileOptions, checkProfileOptions, renderOpTable, writeTrace, type ProfileCliOptions } from '../profile-output.js';
import type { OpTable } from '../../profile/op-table.js';

export type RunMode = 'sync' | 'async';

const DEFAULT_PROFILE_RUNS = 20;

interface BenchRunOptions extends TargetOptions, ProfileCliOptions {
  profileRuns?: number;
  graph?: string[];
  count?: number;
  duration?: number;
  warmup: number;
  mode: 'sync' | 'async' | 'both';
  fill: FillMode;
  seed: number;
  json?: boolean;
  csv?: boolean;
  quiet?: boolean;
  perfProfile?: PerfProfile;
}

export interface LatencyResult {
  readonly graph: string;
  readonly mode: RunMode;
  readonly warmup: number;
  readonly count: number;
  /** Wall time of the measured loop. */
  readonly elapsedMs: number;
  readonly runsPerSecond: number;
  /** Per-execute latency in microseconds. */
  readonly us: Summary;
}

export interface BenchRunReport {
  readonly binary: string;
  readonly backend: string;
  readonly limit: { readonly count: number } | { readonly durationMs: number };
  readonly results: readonly LatencyResult[];
  /** --perf-profile: the profile every run named (voted once, on the first run). */
  readonly perfProfile?: PerfProfile;
  /** --profile: the per-op table of the profiled pass (after the latency loops). */
  readonly profile?: {
    readonly level: string;
    readonly runs: number;
    readonly synthetic: boolean;
    /** The perf profile the profiled runs voted (--perf-profile), absent without one. */
    readonly perfProfile?: PerfProfile;
    readonly table: OpTable;
  };
}

/** How long the loop goes on: a fixed count or a duration. */
export type Limit = { readonly count: number } | { readonly durationMs: number };

/** Measures one graph in one mode; `onProgress(fraction)` is called every so often. */
export async function measureLatency(
  graph: Graph,
  inputs: TensorMap,
  outputs: TensorMap,
  mode: RunMode,
  warmup: number,
  limit: Limit,
  onProgress: (done: number) => void = () => {},
  perfProfile?: PerfProfile,
): Promise<LatencyResult> {
  const options = { outputs, ...perfRunOptions(perfProfile) };
  for (let i = 0; i < warmup; i++) {
    if (mode === 'sync') graph.runSync(inputs, options);
    else await graph.run(inputs, options);
  }
  const samples: number[] = [];
  const start = performance.now();
  const byCount = 'count' in limit;
  const step = byCount ? Math.max(1, Math.floor(limit.count / 100)) : 0;
  let lastReport = start;
  for (let i = 0; ; i++) {
    if (byCount ? i >= limit.count : performance.now() - start >= limit.durationMs) break;
    const t0 = performance.now();
    if (mode === 'sync') graph.runSync(inputs, options);
    else await graph.run(inputs, options);
    const t1 = performance.now();
    samples.push((t1 - t0) * 1000);
    if (byCount ? (i + 1) % step === 0 : t1 - lastReport >= limit.durationMs / 100) {
      lastReport = t1;
      onProgress(byCount ? i + 1 : Math.min(t1 - start, limit.durationMs));
    }
  }
  const elapsedMs = performance.now() - start;
  return {
    graph: graph.name,
    mode,
    warmup,
    count: samples.length,
    elapsedMs,
    runsPerSecond: samples.length / (elapsedMs / 1000),
    us: summarize(samples),
  };
}

const CSV_HEADER = ['graph', 'mode', 'count', 'min_us', 'median_us', 'mean_us', 'p95_us', 'p99_us', 'max_us', 'runs_per_s'];

function rows(report: BenchRunReport): (string | number)[][] {
  return report.results.map((r) => [r.graph, r.mode, r.count, r.us.min, r.us.median, r.us.mean, r.us.p95, r.us.p99, r.us.max, r.runsPerSecond]);
}

export function renderBenchRun(report: BenchRunReport): string {
  const limit = 'count' in report.limit ? `${report.limit.count} runs` : `${report.limit.durationMs} ms`;
  const perf = report.perfProfile ? `, perf profile ${report.perfProfile}` : '';
  return (
    `${report.binary} (${report.backend} backend, ${limit} per graph and mode${perf}, latency in µs)\n` +
    formatTable(
      ['graph', 'mode', ...['count', 'min', 'median', 'mean', 'p95', 'p99', 'max', 'runs/s'].map((header) => ({ header, align: 'right' as const }))],
      report.results.map((r) => [
        r.graph,
        r.mode,
        r.count,
        formatUs(r.us.min),
        formatUs(r.us.median),
        formatUs(r.us.mean),
        formatUs(r.us.p95),
        formatUs(r.us.p99),
        formatUs(r.us.max),
        r.runsPerSecond.toFixed(0),
      ]),
    )
  );
}

const OP_CSV_HEADER = ['group', 'name', 'op', 'count', 'unit', 'total', 'mean', 'percent'];

/** The latency rows; with --profile, a blank line and the per-op table as a second CSV block. */
export function benchRunCsv(report: BenchRunReport): string {
  const latency = formatCsv(CSV_HEADER, rows(report));
  if (!report.profile) return latency;
  const ops = report.profile.table.rows.map((r) => [r.group ?? '', r.name, r.op ?? '', r.count, r.unit, r.total, r.mean, r.percent]);
  return `${latency}\n${formatCsv(OP_CSV_HEADER, ops)}`;
}

export function registerBenchRun(bench: Command, ctx: CommandContext): void {
  const cmd = bench
    .command('run')
    .description('execute latency per graph (runSync and run), after a warm-up, for --count runs or --duration')
    .argument('[context]', 'context binary (default: the bundled reference example)')
    .option('-g, --graph <name>', 'only this graph (repeatable; default: every graph)', collect)
    .option('-n, --count <n>', 'measured runs per graph and mode (default 1000 unless --duration)', positiveInt)
    .option('-d, --duration <time>', 'measure for this long per graph and mode instead of a count (500ms, 2s, 1m)', durationMs)
    .option('-w, --warmup <n>', 'unmeasured runs first', nonNegativeInt, 20)
    .addOption(new Option('--mode <mode>', 'which API to time').choices(['sync', 'async', 'both']).default('both'))
    .addOption(new Option('--fill <mode>', 'generated input values').choices([...FILL_MODES]).default('random'))
    .option('--seed <n>', 'seed of random inputs', nonNegativeInt, 0)
    .option('--json', 'print the report as JSON')
    .option('--csv', 'print the results as CSV')
    .option('-q, --quiet', 'no progress output')
    .option('--profile-runs <n>', `with --profile: profiled runs per graph, after the latency loops (default ${DEFAULT_PROFILE_RUNS})`, positiveInt);
  addProfileOptions(cmd);
  addPerfProfileOption(cmd, 'HTP performance profile of every measured run (voted on the first run; the warm-up absorbs the switch)');
  addTargetOptions(cmd).action(async (file: string | undefined, opts: BenchRunOptions) => {
    checkProfileOptions(opts);
    if (opts.profileRuns !== undefined && opts.profile === undefined) throw usageError('--profile-runs needs --profile basic|detailed|optrace');
    const profileRunCount = opts.profileRuns ?? DEFAULT_PROFILE_RUNS;
    if (opts.count !== undefined && opts.duration !== undefined) throw usageError('--count and --duration cannot be used together');
    if (opts.json && opts.csv) throw usageError('--json and --csv cannot be used together');
    const limit: Limit = opts.duration !== undefined ? { durationMs: opts.duration } : { count: opts.count ?? 1000 };
    const binary = await resolveBinary(ctx, file);
    const target = await openTarget(ctx, binary, opts);
    try {
      const graphNames = selectGraphs(
        { format: 'qnn-node-signature', version: 1, graphs: target.context.graphs.map((g) => ({ name: g.name, inputs: g.inputs, outputs: g.outputs })) },
        opts.graph,
      ).graphs.map((g) => g.name);
      const modes: RunMode[] = opts.mode === 'both' ? ['sync', 'async'] : [opts.mode];
      const results: LatencyResult[] = [];
      const profiled: ProfiledRun[] = [];
      const origin = performance.now();
      for (const name of graphNames) {
        const graph = target.context.graph(name);
        const inputs: TensorMap = Object.fromEntries(graph.inputs.map((s) => [s.name, fillTensor(s, opts.fill, opts.seed)]));
        const outputs: TensorMap = Object.fromEntries(graph.outputs.map((s) => [s.name, Tensor.zeros(s.dtype, s.dims, s.quant ? { quant: s.quant } : {})]));
        for (const mode of modes) {
          const total = 'count' in limit ? limit.count : limit.durationMs;
          const progress = createProgress(ctx.io, `${name} ${mode}`, total, { quiet: opts.quiet, plainLines: 4 });
          let reported = 0;
          try {
            results.push(
              await measureLatency(
                graph,
                inputs,
                outputs,
                mode,
                opts.warmup,
                limit,
                (done) => {
                  progress.tick(Math.round(done) - reported);
                  reported = Math.round(done);
                },
                opts.perfProfile,
              ),
            );
          } finally {
            progress.stop();
          }
        }
        if (opts.profile) profiled.push(...(await profileRuns(graph, inputs, outputs, opts.profile, profileRunCount, origin, opts.perfProfile)));
      }
      const profile = opts.profile
        ? {
            level: opts.profile,
            runs: profileRunCount,
            synthetic: profiled.some((r) => r.profile.synthetic === true),
            ...perfRunOptions(opts.perfProfile),
            table: profiledTable(profiled),
          }
        : undefined;
      const report: BenchRunReport = { binary, backend: target.backend.kind, limit, results, ...perfRunOptions(opts.perfProfile), ...(profile ? { profile } : {}) };
      if (opts.json) ctx.io.stdout.write(toJson(report));
      else if (opts.csv) ctx.io.stdout.write(benchRunCsv(report));
      else {
        ctx.io.stdout.write(renderBenchRun(report));
        if (profile) {
          const perf = profile.perfProfile ? `, perf profile ${profile.perfProfile}` : '';
          const title = `\nprofile '${profile.level}', ${profile.runs} run(s) per graph${perf}${profile.synthetic ? ' (synthetic: mock backend, JS timings)' : ''}`;
          ctx.io.stdout.write(renderOpTable(profile.table, title));
        }
      }
      if (opts.trace) {
        await writeTrace(ctx.resolve(opts.trace), profiledTracks(profiled), {
          binary,
          backend: target.backend.kind,
          level: opts.profile,
          ...perfRunOptions(opts.perfProfile),
        });
      }
    } finally {
      await target.close();
    }
  });
}
