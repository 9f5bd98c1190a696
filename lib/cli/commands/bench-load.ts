/**
 * `qnn-node bench load [context.bin...]`: how long loading takes, phase by phase (open/map,
 * create from binary, graph retrieve, first execute), over repetitions, with MB/s and
 * peak resident memory; each repetition in a fresh child process by default so the peaks
 * are honest; `--cold` evicts the file from the page cache before each repetition.
 */
import path from 'node:path';
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { usageError } from '../exit-codes.js';
import { benchLoad, type LoadBenchReport } from '../bench/load-bench.js';
import { requireFile } from '../files.js';
import { addLibraryOptions, librarySelection, nonNegativeInt, positiveInt } from '../options.js';
import { formatCsv } from '../output/csv.js';
import { formatBytes, formatMs } from '../output/format.js';
import { toJson } from '../output/json.js';
import { createProgress } from '../output/progress.js';
import { formatTable, type Cell } from '../output/table.js';
import type { Summary } from '../stats.js';

interface BenchLoadOptions {
  repeat: number;
  warmup: number;
  cold?: boolean;
  isolate: boolean;
  floor?: boolean;
  execute: boolean;
  graph?: string;
  persistentBinary?: boolean;
  json?: boolean;
  csv?: boolean;
  quiet?: boolean;
  backend?: string;
  system?: string;
  logLevel?: string;
}

const PHASES = [
  ['mapMs', 'open/map'],
  ['createMs', 'create from binary'],
  ['retrieveMs', 'graph retrieve'],
  ['composeMs', 'compose (model)'],
  ['finalizeMs', 'finalize (model)'],
  ['loadMs', 'load total'],
  ['serializeMs', 'serialize (model)'],
  ['firstExecuteMs', 'first execute'],
] as const;

export function renderBenchLoad(report: LoadBenchReport): string {
  const right = (header: string) => ({ header, align: 'right' as const });
  const phaseRows: Cell[][] = [];
  for (const r of report.results) {
    const name = path.basename(r.binary);
    if (r.kind === 'read') {
      phaseRows.push([name, 'read file (floor)', ...cells(r.summary.loadMs)]);
      continue;
    }
    for (const [key, label] of PHASES) {
      const s = r.summary[key];
      if (s) phaseRows.push([name, label, ...cells(s)]);
    }
  }
  let out = `${report.repeat} repetition${report.repeat === 1 ? '' : 's'} (+${report.warmup} warm-up), ${report.isolated ? 'fresh process each' : 'in process'}, ${report.cache} cache${report.persistentBinary ? ', persistent binary' : ', binary copied'}; times in ms\n`;
  if (report.coldUnavailable) out += `cold cache not available: ${report.coldUnavailable} (runs are warm)\n`;
  out += formatTable(['file', 'phase', right('min'), right('median'), right('p95'), right('max')], phaseRows);
  out += '\n';
  out += formatTable(
    ['file', 'what', right('size'), right('MB/s'), right('peak RSS'), right('peak - before'), right('peak/size')],
    report.results.map((r) => [
      path.basename(r.binary),
      r.kind === 'read' ? 'read (floor)' : 'load',
      formatBytes(r.fileBytes),
      r.mbPerSecond.toFixed(0),
      formatBytes(r.summary.peakRssBytes.max),
      formatBytes(r.summary.peakRssDeltaBytes.max),
      (r.summary.peakRssDeltaBytes.max / r.fileBytes).toFixed(2),
    ]),
  );
  return out;
}

function cells(s: Summary): string[] {
  return [formatMs(s.min), formatMs(s.median), formatMs(s.p95), formatMs(s.max)];
}

const CSV_HEADER = [
  'file',
  'kind',
  'rep',
  'cache',
  'cache_method',
  'file_bytes',
  'map_ms',
  'create_ms',
  'retrieve_ms',
  'compose_ms',
  'finalize_ms',
  'serialize_ms',
  'load_ms',
  'first_execute_ms',
  'peak_rss_bytes',
  'baseline_rss_bytes',
  'isolated',
];

export function benchLoadCsv(report: LoadBenchReport): string {
  const rows: Cell[][] = [];
  for (const r of report.results) {
    r.samples.forEach((s, rep) =>
      rows.push([
        r.binary,
        r.kind,
        rep,
        s.cache?.requested ?? report.cache,
        s.cache?.method ?? 'none',
        s.fileBytes,
        s.mapMs,
        s.createMs,
        s.retrieveMs,
        s.composeMs,
        s.finalizeMs,
        s.serializeMs,
        s.loadMs,
        s.firstExecuteMs,
        s.peakRssBytes,
        s.baselineRssBytes,
        s.isolated,
      ]),
    );
  }
  return formatCsv(CSV_HEADER, rows);
}

export function registerBenchLoad(bench: Command, ctx: CommandContext): void {
  const cmd = bench
    .command('load')
    .description('time loading context binaries phase by phase, with MB/s and peak resident memory (default: the bundled example)')
    .argument('[contexts...]', 'context binaries, or models (.dlc / model libraries: composed each repetition, with compose, finalize and serialize phases)')
    .option('-r, --repeat <n>', 'measured repetitions per file', positiveInt, 5)
    .option('-w, --warmup <n>', 'unmeasured repetitions first', nonNegativeInt, 1)
    .option('--cold', 'evict each file from the page cache before every repetition (posix_fadvise via the bench harness, else drop_caches as root)')
    .option('--no-isolate', 'run repetitions in this process instead of a fresh child process each (peak memory then accumulates)')
    .option('--floor', 'also time reading each file into memory, the floor a load is compared with')
    .option('--no-execute', 'skip the first execute')
    .option('-g, --graph <name>', 'graph for the first execute (default: the first graph)')
    .option('--persistent-binary', 'let the backend use the binary in place (QNN_CONTEXT_CONFIG_PERSISTENT_BINARY; the file stays mapped): the default where the backend supports it')
    .option('--no-persistent-binary', 'make the backend copy the binary and unmap the file right after loading')
    .option('--json', 'print the report (with every sample) as JSON')
    .option('--csv', 'print every sample as CSV')
    .option('-q, --quiet', 'no progress output');
  addLibraryOptions(cmd).action(async (files: string[], opts: BenchLoadOptions) => {
    if (opts.json && opts.csv) throw usageError('--json and --csv cannot be used together');
    const runtime = await ctx.runtime();
    const binaries = files.length > 0 ? files.map((f) => ctx.resolve(f)) : [await runtime.exampleBinary()];
    for (const b of binaries) requireFile(b, 'context binary');
    const libraries = librarySelection(opts);
    const backend = opts.isolate ? undefined : await runtime.openBackend({ kind: 'qnn', ...libraries }, binaries[0]);
    const perFile = (opts.warmup + opts.repeat) * (opts.floor ? 2 : 1);
    const progress = createProgress(ctx.io, 'bench load', perFile * binaries.length, { quiet: opts.quiet, plainLines: perFile * binaries.length });
    try {
      const report = await benchLoad(binaries, {
        repeat: opts.repeat,
        warmup: opts.warmup,
        cold: opts.cold === true,
        isolate: opts.isolate,
        floor: opts.floor === true,
        executeGraph: opts.execute ? opts.graph : null,
        ...(opts.persistentBinary !== undefined ? { persistentBinary: opts.persistentBinary } : {}),
        libraries,
        env: ctx.io.env,
        ...(backend ? { backend } : {}),
        onSample: (file, kind, sample, warm) =>
          progress.tick(1, `${path.basename(file)} ${kind}${warm ? ' (warm-up)' : ''} ${formatMs(sample.loadMs)} ms`),
      });
      progress.stop();
      if (report.coldUnavailable) ctx.io.stderr.write(`qnn-node: warning: --cold: cannot evict the page cache here (${report.coldUnavailable}); the runs are warm\n`);
      const stuck = Math.max(0, ...report.results.flatMap((r) => r.samples.map((s) => s.cache?.residentAfter ?? 0)));
      if (stuck > 0.01) ctx.io.stderr.write(`qnn-node: warning: --cold: up to ${(stuck * 100).toFixed(0)}% of a file stayed in the page cache (mapped by another process?)\n`);
      if (opts.json) ctx.io.stdout.write(toJson(report));
      else if (opts.csv) ctx.io.stdout.write(benchLoadCsv(report));
      else ctx.io.stdout.write(renderBenchLoad(report));
    } finally {
      progress.stop();
      await backend?.dispose();
    }
  });
}
