/**
 * Per-op summary of profiled runs: each node event (QNN_PROFILE_EVENTTYPE_NODE in µs, at
 * any depth) by name, with its count, total and mean time and its share of the runs'
 * execute time. A profile without node events (level 'basic') is summarized by its
 * top-level time events instead.
 */
import { EVENT_TYPE } from './event-names.js';
import type { ProfileEvent } from './types.js';

export interface OpRow {
  /** The node's identifier (its name in the graph), or the event's name. */
  readonly name: string;
  /** The op type, when the backend names it (a unitless sub-event of the node). */
  readonly op?: string;
  /** Times it ran over all the runs summarized. */
  readonly count: number;
  readonly totalUs: number;
  readonly meanUs: number;
  /** totalUs as a share of the execute time of the same runs (0–100). */
  readonly percent: number;
  /** Optional grouping (a pipeline stage / graph). */
  readonly group?: string;
}

export interface OpTable {
  readonly rows: readonly OpRow[];
  /** Sum of the top-level execute events' time, µs. */
  readonly executeUs: number;
  /** 'node': per-op rows; 'top-level': no node events were recorded (basic level). */
  readonly granularity: 'node' | 'top-level';
}

function collectNodes(events: readonly ProfileEvent[], into: ProfileEvent[]): void {
  for (const e of events) {
    if (e.type === EVENT_TYPE.node && e.unit === 'us') into.push(e);
    else collectNodes(e.children, into);
  }
}

/** The runs' profiles (each an event list), optionally tagged with a group. */
export function summarizeOps(runs: readonly (readonly ProfileEvent[])[], group?: (run: number) => string | undefined): OpTable {
  let executeUs = 0;
  let anyNode = false;
  const perRun = runs.map((events) => {
    for (const e of events) if (e.type === EVENT_TYPE.execute && e.unit === 'us') executeUs += e.value;
    const nodes: ProfileEvent[] = [];
    collectNodes(events, nodes);
    if (nodes.length) anyNode = true;
    return nodes;
  });
  const acc = new Map<string, { name: string; op?: string; group?: string; count: number; totalUs: number }>();
  runs.forEach((events, i) => {
    const g = group?.(i);
    const chosen = anyNode ? perRun[i] : events.filter((e) => e.unit === 'us');
    for (const e of chosen) {
      const key = `${g ?? ''}\u0000${e.name}`;
      let row = acc.get(key);
      if (!row) {
        const op = e.children.find((c) => c.unit === 'none')?.name;
        row = { name: e.name, ...(op ? { op } : {}), ...(g !== undefined ? { group: g } : {}), count: 0, totalUs: 0 };
        acc.set(key, row);
      }
      row.count++;
      row.totalUs += e.value;
    }
  });
  const rows = [...acc.values()]
    .map((r) => ({ ...r, meanUs: r.totalUs / r.count, percent: executeUs > 0 ? (100 * r.totalUs) / executeUs : 0 }))
    .sort((a, b) => b.totalUs - a.totalUs);
  return { rows, executeUs, granularity: anyNode ? 'node' : 'top-level' };
}
