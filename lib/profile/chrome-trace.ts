/**
 * Profile events → the Chrome trace event format (JSON object form), which chrome://tracing
 * and ui.perfetto.dev open: time events become complete events ("ph": "X", ts/dur in µs),
 * the other units (cycles, bytes, counts) become args of the event they belong to, or
 * instant events ("ph": "i") at the top level. Each track (a graph, a pipeline stage) is a
 * thread of one process.
 */
import type { ProfileEvent } from './types.js';

export interface TraceTrack {
  /** Shown as the thread name (e.g. 'stage vision / graph encoder'). */
  readonly name: string;
  /** Where the track's first event starts, µs on the trace's clock (default 0). */
  readonly startUs?: number;
  readonly events: readonly ProfileEvent[];
  /** Added to every top-level event's args (e.g. { step: 3 }). */
  readonly args?: Readonly<Record<string, unknown>>;
}

export interface ChromeTraceEvent {
  name: string;
  cat?: string;
  ph: 'X' | 'i' | 'M';
  ts?: number;
  dur?: number;
  s?: 'g' | 'p' | 't';
  pid: number;
  tid: number;
  args?: Record<string, unknown>;
}

export interface ChromeTrace {
  traceEvents: ChromeTraceEvent[];
  displayTimeUnit: 'ms' | 'ns';
  otherData?: Record<string, unknown>;
}

export interface ChromeTraceOptions {
  /** The process name shown (default 'qnn-node'). */
  readonly processName?: string;
  readonly pid?: number;
  readonly otherData?: Record<string, unknown>;
}

const isTracks = (x: readonly ProfileEvent[] | readonly TraceTrack[]): x is readonly TraceTrack[] =>
  x.length > 0 && 'events' in x[0] && !('typeName' in x[0]);

/** µs to ns precision: keeps the JSON short. */
const round = (us: number): number => Math.round(us * 1000) / 1000;

/** The earliest timestamp among events that have one (extended event data). */
function earliest(events: readonly ProfileEvent[]): number | undefined {
  let min: number | undefined;
  for (const e of events) {
    if (e.timestamp !== undefined && (min === undefined || e.timestamp < min)) min = e.timestamp;
    const c = earliest(e.children);
    if (c !== undefined && (min === undefined || c < min)) min = c;
  }
  return min;
}

export function toChromeTrace(input: readonly ProfileEvent[] | readonly TraceTrack[], options: ChromeTraceOptions = {}): ChromeTrace {
  const pid = options.pid ?? 1;
  const tracks: readonly TraceTrack[] = isTracks(input) ? input : [{ name: 'qnn', events: input as readonly ProfileEvent[] }];
  const out: ChromeTraceEvent[] = [{ name: 'process_name', ph: 'M', pid, tid: 0, args: { name: options.processName ?? 'qnn-node' } }];
  const tids = new Map<string, number>();
  for (const track of tracks) {
    let tid = tids.get(track.name);
    if (tid === undefined) {
      tid = tids.size + 1;
      tids.set(track.name, tid);
      out.push({ name: 'thread_name', ph: 'M', pid, tid, args: { name: track.name } });
    }
    const start = track.startUs ?? 0;
    // Backend timestamps are on the backend's clock: shift them so the track starts at `start`.
    const origin = earliest(track.events);
    const place = (e: ProfileEvent, fallback: number): number => (e.timestamp !== undefined && origin !== undefined ? start + (e.timestamp - origin) : fallback);
    const emit = (events: readonly ProfileEvent[], at: number, depth: number, extra?: Readonly<Record<string, unknown>>): Record<string, unknown> => {
      // Non-time sub-events end up as args of their parent.
      const parentArgs: Record<string, unknown> = {};
      let cursor = at;
      for (const e of events) {
        const args: Record<string, unknown> = { type: e.typeName, ...(extra ?? {}) };
        if (e.unit === 'us') {
          const ts = round(place(e, cursor));
          out.push({ name: e.name, cat: e.typeName, ph: 'X', ts, dur: Math.max(0, e.value), pid, tid, args });
          Object.assign(args, emit(e.children, ts, depth + 1));
          cursor = Math.max(cursor, ts + Math.max(0, e.value));
        } else if (depth > 0) {
          // A node's unitless sub-event names its op type (the reference backend's convention).
          if (e.unit === 'none') parentArgs[e.typeName === 'node' ? 'op' : e.typeName] = e.name;
          else parentArgs[e.name] = `${e.value} ${e.unit}`;
          Object.assign(parentArgs, emit(e.children, cursor, depth + 1));
        } else {
          Object.assign(args, { value: e.value, unit: e.unit }, emit(e.children, cursor, depth + 1));
          out.push({ name: e.name, cat: e.typeName, ph: 'i', s: 't', ts: round(place(e, cursor)), pid, tid, args });
        }
      }
      return parentArgs;
    };
    emit(track.events, start, 0, track.args);
  }
  return { traceEvents: out, displayTimeUnit: 'ms', ...(options.otherData ? { otherData: options.otherData } : {}) };
}
