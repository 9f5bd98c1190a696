/**
 * Profile events → the Chrome trace event format (JSON object form), which chrome://tracing
 * and ui.perfetto.dev open: time events become complete events ("ph": "X", ts/dur in µs),
 * the other units (cycles, bytes, counts) become args of the event they belong to, or
 * instant events ("ph": "i") at the top level. Node events in processor cycles (HTP at the
 * detailed level) and the accelerator-cycles event above them are drawn as complete events
 * too, their cycles scaled to µs by the run's accelerator time ÷ accelerator cycles (HTP
 * events 3004 / 3003; without 3004, the execute event's time ÷ cycles); args keep the raw
 * cycles. Each track (a graph, a pipeline stage) is a thread of one process.
 */
import { EVENT_TYPE, HTP_EVENT_TYPE } from './event-names.js';
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

function sumOf(events: readonly ProfileEvent[], type: number, unit: string): number {
  let sum = 0;
  for (const e of events) sum += (e.type === type && e.unit === unit ? e.value : 0) + sumOf(e.children, type, unit);
  return sum;
}

/** µs per cycle within one top-level event, when its profile says (undefined otherwise). */
function cycleScale(e: ProfileEvent): number | undefined {
  const cycles = sumOf([e], HTP_EVENT_TYPE.accelExecuteCycles, 'cycles');
  if (cycles <= 0) return undefined;
  const accelUs = sumOf([e], HTP_EVENT_TYPE.accelExecuteTime, 'us');
  if (accelUs > 0) return accelUs / cycles;
  return e.unit === 'us' && e.value > 0 ? e.value / cycles : undefined;
}

/** A cycles event drawn on the time line: a node, or the accelerator-cycles event holding nodes. */
const drawnInCycles = (e: ProfileEvent): boolean =>
  e.unit === 'cycles' && (e.type === EVENT_TYPE.node || (e.type === HTP_EVENT_TYPE.accelExecuteCycles && e.children.some((c) => c.type === EVENT_TYPE.node)));

/** `key`, or `key #2`, `key #3`… when `into` already has it (node names may repeat). */
function uniqueKey(into: Record<string, unknown>, key: string): string {
  if (!(key in into)) return key;
  let n = 2;
  while (`${key} #${n}` in into) n++;
  return `${key} #${n}`;
}

/** Copies `from` into `into` without overwriting: a repeated key gets a suffix. */
function mergeUnique(into: Record<string, unknown>, from: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(from)) into[uniqueKey(into, k)] = v;
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
    const emit = (events: readonly ProfileEvent[], at: number, depth: number, scale: number | undefined, extra?: Readonly<Record<string, unknown>>): Record<string, unknown> => {
      // Non-time sub-events end up as args of their parent.
      const parentArgs: Record<string, unknown> = {};
      let cursor = at;
      for (const e of events) {
        const args: Record<string, unknown> = { type: e.typeName, ...(extra ?? {}) };
        const eScale = depth === 0 ? cycleScale(e) : scale;
        const durUs = e.unit === 'us' ? e.value : eScale !== undefined && drawnInCycles(e) ? e.value * eScale : undefined;
        if (durUs !== undefined) {
          const ts = round(place(e, cursor));
          if (e.unit === 'cycles') args.cycles = e.value;
          out.push({ name: e.name, cat: e.typeName, ph: 'X', ts, dur: Math.max(0, round(durUs)), pid, tid, args });
          mergeUnique(args, emit(e.children, ts, depth + 1, eScale));
          cursor = Math.max(cursor, ts + Math.max(0, round(durUs)));
        } else if (depth > 0) {
          // A node's unitless sub-event names its op type (the reference backend's convention).
          if (e.unit === 'none') parentArgs[uniqueKey(parentArgs, e.typeName === 'node' ? 'op' : e.typeName)] = e.name;
          else parentArgs[uniqueKey(parentArgs, e.name)] = `${e.value} ${e.unit}`;
          mergeUnique(parentArgs, emit(e.children, cursor, depth + 1, eScale));
        } else {
          Object.assign(args, { value: e.value, unit: e.unit });
          mergeUnique(args, emit(e.children, cursor, depth + 1, eScale));
          out.push({ name: e.name, cat: e.typeName, ph: 'i', s: 't', ts: round(place(e, cursor)), pid, tid, args });
        }
      }
      return parentArgs;
    };
    emit(track.events, start, 0, undefined, track.args);
  }
  return { traceEvents: out, displayTimeUnit: 'ms', ...(options.otherData ? { otherData: options.otherData } : {}) };
}
