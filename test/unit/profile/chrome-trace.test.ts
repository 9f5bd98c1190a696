import { describe, expect, it } from 'vitest';
import { toChromeTrace, type ChromeTrace } from '../../../lib/profile/chrome-trace.js';
import { eventTypeName, eventUnitName } from '../../../lib/profile/event-names.js';
import type { ProfileEvent, ProfileUnit } from '../../../lib/profile/types.js';
import { traceShapeErrors } from './trace-shape.js';

function ev(type: number, name: string, unit: ProfileUnit, value: number, children: ProfileEvent[] = [], timestamp?: number): ProfileEvent {
  return { name, identifier: name, type, typeName: eventTypeName(type), unit, value, children, ...(timestamp !== undefined ? { timestamp } : {}) };
}

const within = (child: { ts?: number; dur?: number }, parent: { ts?: number; dur?: number }) =>
  child.ts! >= parent.ts! && child.ts! + child.dur! <= parent.ts! + parent.dur! + 1e-9;

describe('toChromeTrace', () => {
  const detailed = [
    ev(400, 'graphExecute', 'us', 50, [
      ev(404, 'proj', 'us', 20, [ev(404, 'MatMul', 'none', 0)]),
      ev(404, 'bias', 'us', 10, [ev(404, 'ElementWiseAdd', 'none', 0)]),
      ev(3003, 'cycles', 'cycles', 12345),
    ]),
    ev(100, 'vtcm', 'bytes', 4096),
  ];

  it('complete events in µs with pid/tid/args, children inside their parent, non-time events as args or instants', () => {
    const trace = toChromeTrace(detailed);
    expect(traceShapeErrors(JSON.parse(JSON.stringify(trace)))).toEqual([]);
    const xs = trace.traceEvents.filter((e) => e.ph === 'X');
    expect(xs.map((e) => [e.name, e.dur])).toEqual([
      ['graphExecute', 50],
      ['proj', 20],
      ['bias', 10],
    ]);
    const [exec, proj, bias] = xs;
    expect(within(proj, exec) && within(bias, exec)).toBe(true);
    expect(bias.ts).toBeGreaterThanOrEqual(proj.ts! + proj.dur!); // laid out in order without timestamps
    expect(proj.args).toMatchObject({ type: 'node', op: 'MatMul' });
    expect(exec.args).toMatchObject({ type: 'execute', cycles: '12345 cycles' });
    const instant = trace.traceEvents.find((e) => e.ph === 'i')!;
    expect(instant).toMatchObject({ name: 'vtcm', s: 't', args: { value: 4096, unit: 'bytes' } });
    expect(trace.traceEvents.filter((e) => e.ph === 'M').map((e) => [e.name, e.args?.name])).toEqual([
      ['process_name', 'qnn-node'],
      ['thread_name', 'qnn'],
    ]);
  });

  it('places events by their extended-data timestamps, shifted to the track start', () => {
    const timed = [ev(400, 'graphExecute', 'us', 30, [ev(404, 'a', 'us', 5, [], 1_000_010), ev(404, 'b', 'us', 5, [], 1_000_020)], 1_000_000)];
    const trace = toChromeTrace([{ name: 'graph g', startUs: 500, events: timed, args: { run: 3 } }]);
    expect(traceShapeErrors(trace)).toEqual([]);
    const xs = trace.traceEvents.filter((e) => e.ph === 'X');
    expect(xs.map((e) => [e.name, e.ts])).toEqual([
      ['graphExecute', 500],
      ['a', 510],
      ['b', 520],
    ]);
    expect(xs[0].args).toMatchObject({ run: 3 });
    expect(xs[1].args).not.toHaveProperty('run');
  });

  it('one thread per track name; tracks with the same name share it', () => {
    const one = [ev(400, 'graphExecute', 'us', 1)];
    const trace: ChromeTrace = toChromeTrace(
      [
        { name: 'stage a', startUs: 0, events: one },
        { name: 'stage b', startUs: 10, events: one },
        { name: 'stage a', startUs: 20, events: one },
      ],
      { processName: 'pipeline', otherData: { manifest: 'm.json' } },
    );
    expect(traceShapeErrors(trace)).toEqual([]);
    expect(trace.traceEvents.filter((e) => e.ph === 'X').map((e) => [e.tid, e.ts])).toEqual([
      [1, 0],
      [2, 10],
      [1, 20],
    ]);
    expect(trace.otherData).toEqual({ manifest: 'm.json' });
    expect(trace.traceEvents[0].args).toEqual({ name: 'pipeline' });
  });

  it('the shape check rejects what Perfetto would not read', () => {
    expect(traceShapeErrors([])).toEqual(['not a JSON object']);
    expect(traceShapeErrors({ traceEvents: [{ name: 'x', ph: 'X', ts: 1, pid: 1, tid: 1 }] })).toEqual(['traceEvents[0].dur']);
    expect(traceShapeErrors({ traceEvents: [{ name: 'x', ph: 'B', ts: 1, pid: 1, tid: 1 }] })).toEqual(['traceEvents[0].ph B']);
  });
});

describe('event names', () => {
  it('decodes core, HTP and unknown types and units', () => {
    expect([100, 400, 404, 500, 3004, 3003, 1004, 5001, 777].map(eventTypeName)).toEqual([
      'init',
      'execute',
      'node',
      'deinit',
      'htp.accel_execute_time',
      'htp.accel_execute_cycles',
      'htp.context_load_accel_time',
      'htp.node_wait',
      'type 777',
    ]);
    expect([1, 2, 3, 4, 5, 6, 1000, 9].map(eventUnitName)).toEqual(['us', 'bytes', 'cycles', 'count', 'object', 'none', 'backend', 'unknown']);
  });

  it('draws cycle-unit node events (HTP detailed) scaled by accelerator time ÷ cycles, raw cycles in args', () => {
    const htp = [
      ev(400, 'graphExecute', 'us', 100, [
        ev(3004, 'accel', 'us', 40),
        ev(3003, 'accel cycles', 'cycles', 4000, [ev(404, 'conv', 'cycles', 3000, [ev(404, 'Conv2d', 'none', 0)]), ev(404, 'relu', 'cycles', 1000)]),
      ]),
    ];
    const trace = toChromeTrace(htp);
    expect(traceShapeErrors(trace)).toEqual([]);
    const xs = trace.traceEvents.filter((e) => e.ph === 'X');
    expect(xs.map((e) => [e.name, e.dur])).toEqual([
      ['graphExecute', 100],
      ['accel', 40],
      ['accel cycles', 40],
      ['conv', 30],
      ['relu', 10],
    ]);
    expect(xs[3].args).toMatchObject({ type: 'node', cycles: 3000, op: 'Conv2d' });
    expect(within(xs[3], xs[2]) && within(xs[4], xs[2])).toBe(true);
  });

  it('keeps every non-time sub-event when names repeat', () => {
    const dup = [ev(400, 'graphExecute', 'us', 10, [ev(404, 'n', 'us', 5, [ev(5001, 'wait', 'count', 1), ev(5001, 'wait', 'count', 2)])])];
    const node = toChromeTrace(dup).traceEvents.find((e) => e.name === 'n')!;
    expect(node.args).toMatchObject({ wait: '1 count', 'wait #2': '2 count' });
  });
});
