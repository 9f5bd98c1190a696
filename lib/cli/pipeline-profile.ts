/** `qnn-node run <manifest> --profile`: the per-stage and per-op tables and the trace of a run. */
import type { OpTable } from '../profile/op-table.js';
import { pipelineOpTable, pipelineTracks, stageTable, type PipelineProfile, type StageRow } from '../pipeline/profiling.js';
import { formatMs, formatUs } from './output/format.js';
import { formatTable } from './output/table.js';
import { renderOpTable, writeTrace } from './profile-output.js';

export interface PipelineProfileSummary {
  readonly level: string;
  readonly synthetic: boolean;
  readonly stages: readonly StageRow[];
  readonly ops: OpTable;
}

export function summarizePipelineProfile(profile: PipelineProfile): PipelineProfileSummary {
  return { level: profile.level, synthetic: profile.synthetic, stages: stageTable(profile), ops: pipelineOpTable(profile) };
}

export function renderPipelineProfile(summary: PipelineProfileSummary): string {
  const origin = summary.synthetic ? ' (synthetic: mock backend, JS timings)' : '';
  let out = `\nprofile '${summary.level}'${origin}: per stage\n`;
  out += formatTable(
    ['stage', 'kind', ...['calls', 'total ms', 'execute µs', '% of run'].map((header) => ({ header, align: 'right' as const }))],
    summary.stages.map((r) => [r.stage, r.kind, r.calls, formatMs(r.totalMs), r.executeUs !== undefined ? formatUs(r.executeUs) : '', r.percent.toFixed(1)]),
  );
  if (summary.ops.rows.length > 0) out += `\n${renderOpTable(summary.ops, 'graph steps', 'stage')}`;
  return out;
}

export async function writePipelineTrace(file: string, profile: PipelineProfile, manifest: string): Promise<void> {
  await writeTrace(file, pipelineTracks(profile), { manifest, level: profile.level, synthetic: profile.synthetic });
}
