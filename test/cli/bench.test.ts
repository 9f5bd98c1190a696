import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LoadBenchReport } from '../../lib/cli/bench/load-bench.js';
import type { BenchRunReport } from '../../lib/cli/commands/bench-run.js';
import { cli, testEnv, type TestEnv } from './helpers.js';

let env: TestEnv;
beforeEach(() => {
  env = testEnv();
});
afterEach(() => env.cleanup());

describe('qnn-node bench run', () => {
  it('measures every graph in both modes for a fixed count', async () => {
    const r = await cli(env, ['bench', 'run', '--count', '30', '--warmup', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as BenchRunReport;
    expect(report.limit).toEqual({ count: 30 });
    expect(report.results.map((x) => [x.graph, x.mode, x.count, x.warmup])).toEqual([
      ['add', 'sync', 30, 2],
      ['add', 'async', 30, 2],
      ['dequant', 'sync', 30, 2],
      ['dequant', 'async', 30, 2],
    ]);
    for (const x of report.results) {
      expect(x.us.min).toBeGreaterThan(0);
      expect(x.us.min).toBeLessThanOrEqual(x.us.median);
      expect(x.us.median).toBeLessThanOrEqual(x.us.p95);
      expect(x.us.p95).toBeLessThanOrEqual(x.us.max);
      expect(x.runsPerSecond).toBeGreaterThan(0);
    }
  });

  it('runs for a duration instead of a count', async () => {
    const r = await cli(env, ['bench', 'run', '--duration', '60ms', '--graph', 'add', '--mode', 'sync', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as BenchRunReport;
    expect(report.limit).toEqual({ durationMs: 60 });
    expect(report.results).toHaveLength(1);
    expect(report.results[0].elapsedMs).toBeGreaterThanOrEqual(60);
    expect(report.results[0].count).toBeGreaterThan(1);
  });

  it('prints CSV with a header and one row per graph and mode', async () => {
    const r = await cli(env, ['bench', 'run', '-n', '5', '--csv', '--mode', 'async']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('graph,mode,count,min_us,median_us,mean_us,p95_us,p99_us,max_us,runs_per_s');
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 3).join(','))).toEqual(['add,async,5', 'dequant,async,5']);
  });

  it('prints a table and plain progress lines when not a TTY', async () => {
    const r = await cli(env, ['bench', 'run', '-n', '8', '--graph', 'add']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/graph\s+mode\s+count\s+min\s+median/);
    expect(r.stdout).toMatch(/add\s+sync\s+8/);
    expect(r.stderr).toContain('add sync: 8/8');
    const quiet = await cli(env, ['bench', 'run', '-n', '8', '--graph', 'add', '-q']);
    expect(quiet.stderr).toBe('');
  });

  it('shows a progress bar on a TTY, plain lines when CI is set', async () => {
    const tty = await cli(env, ['bench', 'run', '-n', '400', '--graph', 'add', '--mode', 'sync'], { isTTY: true });
    expect(tty.code).toBe(0);
    expect(tty.stderr).toContain('\u001b['); // cursor control of the bar
    expect(tty.stderr).not.toContain('add sync: 400/400');
    const ci = await cli(env, ['bench', 'run', '-n', '400', '--graph', 'add', '--mode', 'sync'], { isTTY: true, env: { CI: 'true' } });
    expect(ci.stderr).not.toContain('\u001b[');
    expect(ci.stderr).toContain('add sync: 400/400');
  });

  it('rejects --count with --duration, and --json with --csv', async () => {
    expect((await cli(env, ['bench', 'run', '-n', '5', '-d', '1s'])).code).toBe(2);
    expect((await cli(env, ['bench', 'run', '--json', '--csv'])).code).toBe(2);
    expect((await cli(env, ['bench', 'run', '-d', 'soon'])).code).toBe(2);
  });

  it('fails on an unknown graph and a missing file', async () => {
    let r = await cli(env, ['bench', 'run', '--graph', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[UNKNOWN_GRAPH]');
    r = await cli(env, ['bench', 'run', 'missing.bin']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[FILE_NOT_FOUND]');
    expect(env.counts.opened).toBe(env.counts.disposed);
  });
});

describe('qnn-node bench load (in process)', () => {
  it('times phases over repetitions and reports the floor', async () => {
    const big = env.file('big.bin', Buffer.concat([Buffer.from('FAKEBIN1'), Buffer.alloc(4 << 20)]));
    const r = await cli(env, ['bench', 'load', 'big.bin', '--no-isolate', '-r', '3', '-w', '1', '--floor', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as LoadBenchReport;
    expect(report).toMatchObject({ repeat: 3, warmup: 1, isolated: false, cache: 'warm' });
    expect(report.results.map((x) => [x.kind, x.samples.length, x.fileBytes])).toEqual([
      ['read', 3, fs.statSync(big).size],
      ['load', 3, fs.statSync(big).size],
    ]);
    const load = report.results[1];
    for (const key of ['mapMs', 'createMs', 'retrieveMs', 'loadMs', 'firstExecuteMs', 'peakRssBytes'] as const) {
      const s = load.summary[key]!;
      expect(s.count, key).toBe(3);
      expect(s.min, key).toBeLessThanOrEqual(s.median);
      expect(s.median, key).toBeLessThanOrEqual(s.max);
    }
    expect(load.samples[0].firstExecuteGraph).toBe('add');
    expect(load.mbPerSecond).toBeGreaterThan(0);
    expect(report.results[0].summary.firstExecuteMs).toBeUndefined();
    expect(env.counts.opened).toBe(1);
    expect(env.counts.disposed).toBe(1);
  });

  it('--no-execute skips the first execute; --graph picks it', async () => {
    let r = await cli(env, ['bench', 'load', '--no-isolate', '-r', '1', '-w', '0', '--no-execute', '--json']);
    expect((JSON.parse(r.stdout) as LoadBenchReport).results[0].summary.firstExecuteMs).toBeUndefined();
    r = await cli(env, ['bench', 'load', '--no-isolate', '-r', '1', '-w', '0', '--graph', 'dequant', '--json']);
    expect((JSON.parse(r.stdout) as LoadBenchReport).results[0].samples[0].firstExecuteGraph).toBe('dequant');
    r = await cli(env, ['bench', 'load', '--no-isolate', '-r', '1', '-w', '0', '--graph', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[UNKNOWN_GRAPH]');
  });

  it('prints one CSV row per sample and a table by default', async () => {
    env.binary('a.bin');
    env.binary('b.bin');
    const csv = await cli(env, ['bench', 'load', 'a.bin', 'b.bin', '--no-isolate', '-r', '2', '-w', '0', '--csv']);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toBe('file,kind,rep,cache,cache_method,file_bytes,map_ms,create_ms,retrieve_ms,compose_ms,finalize_ms,serialize_ms,load_ms,first_execute_ms,peak_rss_bytes,baseline_rss_bytes,isolated');
    expect(lines).toHaveLength(5);
    const table = await cli(env, ['bench', 'load', 'a.bin', '--no-isolate', '-r', '2', '-w', '0']);
    expect(table.stdout).toMatch(/a\.bin\s+load total/);
    expect(table.stdout).toMatch(/a\.bin\s+first execute/);
    expect(table.stdout).toContain('MB/s');
    expect(table.stdout).toContain('warm cache');
  });

  it('fails on a missing file before loading anything, and on a corrupt binary', async () => {
    let r = await cli(env, ['bench', 'load', 'missing.bin', '--no-isolate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[FILE_NOT_FOUND]');
    expect(env.counts.opened).toBe(0);
    env.file('corrupt.bin', 'nope');
    r = await cli(env, ['bench', 'load', 'corrupt.bin', '--no-isolate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[BINARY_INVALID]');
    expect(env.counts.opened).toBe(env.counts.disposed);
  });

  it('--cold evicts before every repetition or says why it cannot', async () => {
    const r = await cli(env, ['bench', 'load', '--no-isolate', '-r', '2', '-w', '0', '--cold', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as LoadBenchReport;
    if (report.cache === 'cold') {
      expect(report.coldUnavailable).toBeUndefined();
      for (const s of report.results[0].samples) {
        expect(s.cache?.requested).toBe('cold');
        expect(['fadvise', 'drop_caches']).toContain(s.cache?.method);
      }
    } else {
      expect(report.coldUnavailable).toMatch(/cannot|not writable|no bench harness/);
      expect(r.stderr).toContain('--cold: cannot evict the page cache here');
    }
  });

  it('rejects --json with --csv and a zero repeat', async () => {
    expect((await cli(env, ['bench', 'load', '--json', '--csv'])).code).toBe(2);
    expect((await cli(env, ['bench', 'load', '-r', '0'])).code).toBe(2);
  });
});
