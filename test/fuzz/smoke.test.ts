/**
 * The fuzz smoke that runs with `npm test`: a fixed seed, a few hundred cases over the
 * three targets (scripts/fuzz; the long runs are `npm run fuzz`, docs/hardening.md).
 * Every case must end in success or a typed error: no crash, hang, memory blow-up,
 * escape from the manifest folder or untyped error. A finding's input is saved in
 * fuzz-crashes/ and the assertion message carries its repro line.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FINDINGS } from '../../scripts/fuzz/outcome.js';
import { repoRoot, runFuzz } from '../../scripts/fuzz/supervisor.js';
import type { TargetName } from '../../scripts/fuzz/targets/types.js';
import { describeNative } from '../native/helpers.js';

export const SMOKE_SEED = 20261201;
const OUT = path.join(repoRoot, 'fuzz-crashes');

async function smoke(target: TargetName, cases: number): Promise<void> {
  const report = await runFuzz({ targets: [target], cases, seed: SMOKE_SEED, out: OUT, jobs: 1, timeoutMs: 10_000 });
  const counts = report.counts[target];
  expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(cases);
  // Most mutations are refused, but some must get through, or the target tests nothing.
  expect(counts.ok, JSON.stringify(counts)).toBeGreaterThan(0);
  expect(counts.typed, JSON.stringify(counts)).toBeGreaterThan(0);
  const findings = report.findings.map((f) => `${f.outcome} in ${f.entry ?? '?'}${f.code ? ` (${f.code})` : ''}: ${f.message ?? ''}\n  ${f.repro}`);
  expect(findings).toEqual([]);
  for (const outcome of FINDINGS) expect(counts[outcome], outcome).toBe(0);
}

describeNative('fuzz smoke: reference binaries', () => {
  it('200 mutated binaries through readBinaryInfo, readContextSignature, loadContext + run/runSync and the CLI inspect', { timeout: 120_000 }, () => smoke('binaries', 200));
});

describeNative('fuzz smoke: binary sections', () => {
  it('150 mutated sections through applyBinarySection (zero-copy and copying contexts, whole and per graph), runs and readBinarySection', { timeout: 120_000 }, () => smoke('sections', 150));
});

describe('fuzz smoke: manifests and .npy', () => {
  it('100 mutated manifests through Pipeline.load + run on the mock backend', { timeout: 120_000 }, () => smoke('manifests', 100));
  it('300 mutated .npy files through parseNpy and readNpy', { timeout: 60_000 }, () => smoke('npy', 300));
});
