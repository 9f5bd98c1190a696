import { describe, expect, it } from 'vitest';
import { eventTypeName } from '../../../lib/profile/event-names.js';
import { summarizeOps } from '../../../lib/profile/op-table.js';
import type { ProfileEvent, ProfileUnit } from '../../../lib/profile/types.js';

function ev(type: number, name: string, unit: ProfileUnit, value: number, children: ProfileEvent[] = []): ProfileEvent {
  return { name, type, typeName: eventTypeName(type), unit, value, children };
}
const run = (a: number, b: number) => [ev(400, 'graphExecute', 'us', a + b + 10, [ev(404, 'proj', 'us', a, [ev(404, 'MatMul', 'none', 0)]), ev(404, 'act', 'us', b)])];

describe('summarizeOps', () => {
  it('per op over runs: count, total, mean, share of execute, sorted by total', () => {
    const t = summarizeOps([run(30, 10), run(50, 10)]);
    expect(t.granularity).toBe('node');
    expect(t.executeUs).toBe(120);
    expect(t.rows).toEqual([
      { name: 'proj', op: 'MatMul', count: 2, unit: 'us', total: 80, mean: 40, totalUs: 80, meanUs: 40, percent: (100 * 80) / 120 },
      { name: 'act', count: 2, unit: 'us', total: 20, mean: 10, totalUs: 20, meanUs: 10, percent: (100 * 20) / 120 },
    ]);
  });

  it('groups rows (stages) and falls back to top-level events without node events', () => {
    const grouped = summarizeOps([run(1, 2), run(3, 4)], (i) => (i === 0 ? 'a' : 'b'));
    expect(grouped.rows.map((r) => [r.group, r.name, r.count])).toEqual([
      ['b', 'act', 1],
      ['b', 'proj', 1],
      ['a', 'act', 1],
      ['a', 'proj', 1],
    ]);
    const basic = summarizeOps([[ev(400, 'graphExecute', 'us', 7)], [ev(400, 'graphExecute', 'us', 9)]]);
    expect(basic.granularity).toBe('top-level');
    expect(basic.rows).toEqual([{ name: 'graphExecute', count: 2, unit: 'us', total: 16, mean: 8, totalUs: 16, meanUs: 8, percent: 100 }]);
    expect(summarizeOps([]).rows).toEqual([]);
  });

  // HTP at detailed: node events in cycles below accel_execute_cycles (3003), next to accel_execute_time (3004).
  const htpRun = (a: number, b: number) => [
    ev(400, 'graphExecute', 'us', 100, [
      ev(3004, 'accel', 'us', 50),
      ev(3003, 'cycles', 'cycles', a + b, [ev(404, 'conv', 'cycles', a, [ev(404, 'Conv2d', 'none', 0)]), ev(404, 'relu', 'cycles', b)]),
    ]),
  ];

  it('counts cycle-unit node events (HTP detailed): unit, share of accelerator cycles, µs estimate', () => {
    const t = summarizeOps([htpRun(3000, 1000), htpRun(5000, 1000)]);
    expect(t.granularity).toBe('node');
    expect(t.executeCycles).toBe(10000);
    const usPerCycle = 100 / 10000;
    expect(t.rows).toEqual([
      { name: 'conv', op: 'Conv2d', count: 2, unit: 'cycles', total: 8000, mean: 4000, totalUs: 8000 * usPerCycle, meanUs: 4000 * usPerCycle, percent: 80 },
      { name: 'relu', count: 2, unit: 'cycles', total: 2000, mean: 1000, totalUs: 2000 * usPerCycle, meanUs: 1000 * usPerCycle, percent: 20 },
    ]);
  });

  it('cycle rows without an accelerator time pair carry no µs estimate', () => {
    const t = summarizeOps([[ev(400, 'graphExecute', 'us', 9, [ev(3003, 'c', 'cycles', 40, [ev(404, 'n', 'cycles', 40)])])]]);
    expect(t.rows).toEqual([{ name: 'n', count: 1, unit: 'cycles', total: 40, mean: 40, percent: 100 }]);
  });
});
