import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from 'commander';
import { captureIO, isInteractive } from '../../lib/cli/io.js';
import { durationMs, positiveInt } from '../../lib/cli/options.js';
import { formatCsv } from '../../lib/cli/output/csv.js';
import { formatBytes, formatMs, formatUs } from '../../lib/cli/output/format.js';
import { toJson } from '../../lib/cli/output/json.js';
import { createProgress } from '../../lib/cli/output/progress.js';
import { formatMarkdownTable, formatTable } from '../../lib/cli/output/table.js';
import { quantileSorted, summarize } from '../../lib/cli/stats.js';

describe('CLI output helpers', () => {
  it('aligns table columns, numbers to the right', () => {
    const text = formatTable(['name', 'n'], [
      ['a', 1],
      ['longer', 100],
    ]);
    expect(text).toBe('name      n\n------  ---\na         1\nlonger  100\n');
  });

  it('escapes pipes in markdown tables', () => {
    expect(formatMarkdownTable(['a', 'b'], [['x|y', 2]])).toBe('| a | b |\n|---|---|\n| x\\|y | 2 |\n');
  });

  it('quotes CSV fields that need it', () => {
    expect(formatCsv(['a', 'b'], [['x,y', 'say "hi"'], [1, undefined]])).toBe('a,b\n"x,y","say ""hi"""\n1,\n');
  });

  it('writes bigints and typed arrays in JSON', () => {
    expect(JSON.parse(toJson({ b: 5n, t: new Float32Array([1, 2]) }))).toEqual({ b: '5', t: [1, 2] });
  });

  it('summarizes with interpolated quantiles', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    const s = summarize([5, 1, 4, 2, 3]);
    expect(s).toMatchObject({ count: 5, min: 1, median: 3, mean: 3, max: 5 });
    expect(s.p95).toBeCloseTo(4.8);
    expect(Number.isNaN(summarize([]).median)).toBe(true);
  });

  it('formats times and sizes', () => {
    expect(formatMs(0.01234)).toBe('0.012');
    expect(formatMs(12.345)).toBe('12.35');
    expect(formatMs(1234.5)).toBe('1235');
    expect(formatUs(3.14159)).toBe('3.14');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(1024 ** 3)).toBe('1.00 GiB');
  });

  it('parses durations and counts, rejecting nonsense', () => {
    expect(durationMs('500ms')).toBe(500);
    expect(durationMs('2s')).toBe(2000);
    expect(durationMs('1.5')).toBe(1500);
    expect(durationMs('1m')).toBe(60_000);
    expect(() => durationMs('0s')).toThrow(InvalidArgumentError);
    expect(() => durationMs('fast')).toThrow(InvalidArgumentError);
    expect(positiveInt('12')).toBe(12);
    expect(() => positiveInt('0')).toThrow(InvalidArgumentError);
    expect(() => positiveInt('1.5')).toThrow(InvalidArgumentError);
  });

  it('is interactive only on a TTY without CI', () => {
    expect(isInteractive(captureIO({ isTTY: true }))).toBe(true);
    expect(isInteractive(captureIO({ isTTY: false }))).toBe(false);
    expect(isInteractive(captureIO({ isTTY: true, env: { CI: 'true' } }))).toBe(false);
    expect(isInteractive(captureIO({ isTTY: true, env: { CI: '0' } }))).toBe(true);
  });

  it('prints at most plainLines progress lines when not interactive, always the last', () => {
    const io = captureIO();
    const p = createProgress(io, 'work', 100, { plainLines: 4 });
    for (let i = 0; i < 100; i++) p.tick();
    p.stop();
    expect(io.stderrText()).toBe('work: 25/100\nwork: 50/100\nwork: 75/100\nwork: 100/100\n');
    const quiet = captureIO();
    const q = createProgress(quiet, 'work', 10, { quiet: true });
    q.tick(10);
    expect(quiet.stderrText()).toBe('');
  });
});
