/**
 * Per-op summary of profiled runs: each node event (QNN_PROFILE_EVENTTYPE_NODE at any depth,
 * in µs or — as HTP reports them at the detailed level — in processor cycles) by name, with
 * its count, total and mean and its share of the runs' execute time (µs rows) or of the
 * accelerator's execute cycles (cycle rows, HTP event 3003). A profile without node events
 * (level 'basic') is summarized by its top-level time events instead.
 */
import { EVENT_TYPE, HTP_EVENT_TYPE } from './event-names.js';
import type { ProfileEvent } from './types.js';

/** The units a per-op row can be in. */
export type OpUnit = 'us' | 'cycles';

export interface OpRow {
  /** The node's identifier (its name in the graph), or the event's name. */
  readonly name: string;
  /** The op type, when the backend names it (a unitless sub-event of the node). */
  readonly op?: string;
  /** Times it ran over all the runs summarized. */
  readonly count: number;
  /** The unit of total and mean. */
  readonly unit: OpUnit;
  readonly total: number;
  readonly mean: number;
  /**
   * µs rows: total and mean. Cycle rows: estimated from the runs' accelerator time ÷
   * accelerator cycles (HTP events 3004 / 3003), absent when the backend reports no such pair.
   */
  readonly totalUs?: number;
  readonly meanUs?: number;
  /** total as a share of the execute time (µs) or accelerator cycles (cycles) of the same runs (0–100). */
  readonly percent: number;
  /** Optional grouping (a pipeline stage / graph). */
  readonly group?: string;
}

export interface OpTable {
  readonly rows: readonly OpRow[];
  /** Sum of the top-level execute events' time, µs. */
  readonly executeUs: number;
  /** Sum of the accelerator execute cycles events (HTP 3003), when any were recorded. */
  readonly executeCycles?: number;
  /** 'node': per-op rows; 'top-level': no node events were recorded (basic level). */
  readonly granularity: 'node' | 'top-level';
}

const isOpUnit = (unit: string): unit is OpUnit => unit === 'us' || unit === 'cycles';

function collectNodes(events: readonly ProfileEvent[], into: ProfileEvent[]): void {
  for (const e of events) {
    if (e.type === EVENT_TYPE.node && isOpUnit(e.unit)) into.push(e);
    else collectNodes(e.children, into);
  }
}

/** Sums the values of events of `type` in `unit` at any depth. */
function sumOf(events: readonly ProfileEvent[], type: number, unit: string): number {
  let sum = 0;
  for (const e of events) sum += (e.type === type && e.unit === unit ? e.value : 0) + sumOf(e.children, type, unit);
  return sum;
}

/** The runs' profiles (each an event list), optionally tagged with a group. */
export function summarizeOps(runs: readonly (readonly ProfileEvent[])[], group?: (run: number) => string | undefined): OpTable {
  let executeUs = 0;
  let executeCycles = 0;
  let accelUs = 0;
  let anyNode = false;
  let anyCycles = false;
  const perRun = runs.map((events) => {
    for (const e of events) if (e.type === EVENT_TYPE.execute && e.unit === 'us') executeUs += e.value;
    executeCycles += sumOf(events, HTP_EVENT_TYPE.accelExecuteCycles, 'cycles');
    accelUs += sumOf(events, HTP_EVENT_TYPE.accelExecuteTime, 'us');
    const nodes: ProfileEvent[] = [];
    collectNodes(events, nodes);
    if (nodes.length) anyNode = true;
    if (nodes.some((n) => n.unit === 'cycles')) anyCycles = true;
    return nodes;
  });
  const usPerCycle = executeCycles > 0 && accelUs > 0 ? accelUs / executeCycles : undefined;
  const acc = new Map<string, { name: string; op?: string; group?: string; unit: OpUnit; count: number; total: number }>();
  runs.forEach((events, i) => {
    const g = group?.(i);
    const chosen = anyNode ? perRun[i] : events.filter((e) => e.unit === 'us');
    for (const e of chosen) {
      const unit = e.unit as OpUnit;
      const key = `${g ?? ''}\u0000${unit}\u0000${e.name}`;
      let row = acc.get(key);
      if (!row) {
        const op = e.children.find((c) => c.unit === 'none')?.name;
        row = { name: e.name, ...(op ? { op } : {}), ...(g !== undefined ? { group: g } : {}), unit, count: 0, total: 0 };
        acc.set(key, row);
      }
      row.count++;
      row.total += e.value;
    }
  });
  const rows = [...acc.values()]
    .map((r): OpRow => {
      const mean = r.total / r.count;
      const scale = r.unit === 'us' ? 1 : usPerCycle;
      const whole = r.unit === 'us' ? executeUs : executeCycles;
      return {
        ...r,
        mean,
        ...(scale !== undefined ? { totalUs: r.total * scale, meanUs: mean * scale } : {}),
        percent: whole > 0 ? (100 * r.total) / whole : 0,
      };
    })
    // Cycle rows by cycles, µs rows by µs: each unit sorts within itself, µs rows first.
    .sort((a, b) => (a.unit === b.unit ? b.total - a.total : a.unit === 'us' ? -1 : 1));
  return { rows, executeUs, ...(anyCycles || executeCycles > 0 ? { executeCycles } : {}), granularity: anyNode ? 'node' : 'top-level' };
}
