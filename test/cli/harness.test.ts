/**
 * native/bench-harness (qnn-bench-harness): the C++ floor of the binding benchmark and the
 * page-cache eviction of `bench load --cold`. Runs when the harness is built (the native
 * build with add_subdirectory(native/bench-harness), or standalone into build-bench/).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findBenchHarness } from '../../lib/cli/bench/paths.js';
import { evictFromPageCache } from '../../lib/cli/bench/page-cache.js';
import { committedExamplePath } from '../../lib/cli/example.js';
import { referenceBackendPaths } from '../../lib/native/binding.js';
import { nativeReady } from '../native/helpers.js';

const harness = findBenchHarness();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnn-harness-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe.runIf(harness !== undefined && process.platform === 'linux')('qnn-bench-harness', () => {
  const h = harness!;

  it('evicts a file from the page cache and says how much was resident', () => {
    const file = path.join(dir, 'data.bin');
    fs.writeFileSync(file, Buffer.alloc(8 << 20, 7));
    fs.readFileSync(file); // resident now
    const before = JSON.parse(execFileSync(h, ['resident', file], { encoding: 'utf8' })) as { resident: number };
    expect(before.resident).toBeGreaterThan(0.5);
    const evicted = evictFromPageCache(file, { QNN_NODE_BENCH_HARNESS: h });
    expect(evicted.method).toBe('fadvise');
    expect(evicted.residentAfter).toBe(0);
    const after = JSON.parse(execFileSync(h, ['resident', file], { encoding: 'utf8' })) as { resident: number };
    expect(after.resident).toBe(0);
  });

  it('reads a file into memory (the load floor)', () => {
    const file = path.join(dir, 'read.bin');
    fs.writeFileSync(file, Buffer.alloc(1 << 20, 1));
    const r = JSON.parse(execFileSync(h, ['read', file], { encoding: 'utf8' })) as { bytes: number; readMs: number };
    expect(r.bytes).toBe(1 << 20);
    expect(r.readMs).toBeGreaterThan(0);
  });

  it('reports errors as JSON with exit code 1', () => {
    const r = spawnSync(h, ['evict', path.join(dir, 'missing')], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).error).toContain('missing');
    expect(spawnSync(h, [], { encoding: 'utf8' }).status).toBe(2);
  });

  it.runIf(nativeReady)('executes a graph of the reference backend directly', () => {
    const ref = referenceBackendPaths();
    const args = ['exec', '--backend', ref.backend, '--system', ref.system, '--binary', committedExamplePath(), '--count', '500', '--warmup', '10', '--batch', '100'];
    const r = JSON.parse(execFileSync(h, [...args, '--graph', 'add'], { encoding: 'utf8' })) as {
      graph: string;
      count: number;
      us: { min: number; median: number; max: number };
      batchMedianUs: number;
      createMs: number;
    };
    expect(r.graph).toBe('add');
    expect(r.count).toBe(500);
    expect(r.us.min).toBeGreaterThan(0);
    expect(r.us.min).toBeLessThanOrEqual(r.us.median);
    expect(r.batchMedianUs).toBeGreaterThan(0);
    expect(r.createMs).toBeGreaterThan(0);
    const embed = JSON.parse(execFileSync(h, [...args, '--graph', 'embed_head'], { encoding: 'utf8' })) as { graph: string };
    expect(embed.graph).toBe('embed_head');
    const unknown = spawnSync(h, [...args, '--graph', 'nope'], { encoding: 'utf8' });
    expect(unknown.status).toBe(1);
    expect(JSON.parse(unknown.stdout).error).toContain('nope');
  });
});
