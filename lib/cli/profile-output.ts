/**
 * The CLI's profiling options (--profile, --trace) and output: the per-op table and the
 * Chrome-trace file (docs/profiling.md).
 */
import { writeFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { toChromeTrace, type TraceTrack } from '../profile/chrome-trace.js';
import type { OpTable } from '../profile/op-table.js';
import { PROFILE_LEVELS, type ProfileLevel } from '../profile/types.js';
import { usageError } from './exit-codes.js';
import { formatUs } from './output/format.js';
import { formatTable } from './output/table.js';

export interface ProfileCliOptions {
  /** false: `run manifest.json --no-profile` (the manifest's profile off for this run). */
  profile?: ProfileLevel | false;
  trace?: string;
}

/** Adds --profile <level> and --trace <file>. */
export function addProfileOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--profile <level>', 'profile the runs with the QNN profile API and print a per-op table').choices([...PROFILE_LEVELS]))
    .option('--trace <file>', 'with --profile: write the events as a Chrome trace (JSON; chrome://tracing, ui.perfetto.dev)');
}

/** --trace needs --profile. */
export function checkProfileOptions(opts: ProfileCliOptions): void {
  if (opts.trace !== undefined && !opts.profile) throw usageError('--trace needs --profile basic|detailed|optrace');
}

/** The per-op table: op name, count, total and mean (µs, or cycles for HTP node events), share of execute. */
export function renderOpTable(table: OpTable, title: string, groupHeader = 'graph', maxRows = 30): string {
  const shown = table.rows.slice(0, maxRows);
  const more = table.rows.length - shown.length;
  const grouped = table.rows.some((r) => r.group !== undefined);
  const withOp = table.rows.some((r) => r.op !== undefined);
  const withUnit = table.rows.some((r) => r.unit !== 'us');
  const what = table.granularity === 'node' ? 'per op' : 'top-level events (no per-op events at this level: use --profile detailed)';
  const cycles = table.executeCycles !== undefined ? `, ${table.executeCycles} accelerator cycles` : '';
  const value = (r: OpTable['rows'][number], v: number): string => (r.unit === 'us' ? formatUs(v) : String(Math.round(v)));
  return (
    `${title}: ${what}, execute ${formatUs(table.executeUs)} µs in total${cycles}\n` +
    formatTable(
      [
        ...(grouped ? [groupHeader] : []),
        table.granularity === 'node' ? 'op name' : 'event',
        ...(withOp ? ['op'] : []),
        ...(withUnit
          ? [{ header: 'count', align: 'right' as const }, 'unit', ...['total', 'mean', '% of execute'].map((header) => ({ header, align: 'right' as const }))]
          : ['count', 'total µs', 'mean µs', '% of execute'].map((header) => ({ header, align: 'right' as const }))),
      ],
      shown.map((r) => [
        ...(grouped ? [r.group ?? ''] : []),
        r.name,
        ...(withOp ? [r.op ?? ''] : []),
        r.count,
        ...(withUnit ? [r.unit === 'us' ? 'µs' : r.unit] : []),
        value(r, r.total),
        value(r, r.mean),
        r.percent.toFixed(1),
      ]),
    ) +
    (more > 0 ? `… ${more} more row(s) (--json lists them all)\n` : '')
  );
}

/** Writes the tracks as a Chrome trace JSON file. */
export async function writeTrace(file: string, tracks: readonly TraceTrack[], otherData: Record<string, unknown>): Promise<void> {
  await writeFile(file, JSON.stringify(toChromeTrace(tracks, { otherData })));
}
