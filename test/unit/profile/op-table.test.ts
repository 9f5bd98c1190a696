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
      { name: 'proj', op: 'MatMul', count: 2, totalUs: 80, meanUs: 40, percent: (100 * 80) / 120 },
      { name: 'act', count: 2, totalUs: 20, meanUs: 10, percent: (100 * 20) / 120 },
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
    expect(basic.rows).toEqual([{ name: 'graphExecute', count: 2, totalUs: 16, meanUs: 8, percent: 100 }]);
    expect(summarizeOps([]).rows).toEqual([]);
  });
});
