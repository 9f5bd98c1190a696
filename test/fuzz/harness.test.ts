/**
 * The fuzz harness itself (scripts/fuzz): inputs are reproducible, errors are judged as
 * documented, and the supervisor attributes a crash or a hang to the case that caused it
 * and saves that case's input.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QnnNodeError, QnnRangeError, invalidArg } from '../../lib/errors.js';
import { encodeReferenceBinary } from '../../lib/reference/writer.js';
import { judgeError } from '../../scripts/fuzz/outcome.js';
import { replay, runFuzz } from '../../scripts/fuzz/supervisor.js';
import { TARGETS, TARGET_NAMES } from '../../scripts/fuzz/targets/index.js';
import { basic } from '../reference/fixtures.js';
import { describeNative } from '../native/helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'qnn-fuzz-harness-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fuzz inputs and judgement', () => {
  it('a case is the same bytes for the same (target, seed, index) and differs across seeds', () => {
    for (const name of TARGET_NAMES) {
      const t = TARGETS[name];
      const a = t.generate(7, 3);
      expect(Buffer.compare(a.bytes, t.generate(7, 3).bytes), name).toBe(0);
      const others = [1, 2, 3, 4, 5].map((s) => t.generate(s, 3).bytes);
      expect(others.some((b) => Buffer.compare(a.bytes, b) !== 0), name).toBe(true);
    }
  });

  it('typed errors are the library classes with documented codes; everything else is a finding', () => {
    expect(judgeError('x', new QnnNodeError('BINARY_INVALID', 'bad')).outcome).toBe('typed');
    expect(judgeError('x', invalidArg('a number', 'n', 'a')).outcome).toBe('typed');
    expect(judgeError('x', new QnnRangeError('ERR_OUT_OF_RANGE', 'big')).outcome).toBe('typed');
    expect(judgeError('x', new RangeError('Array buffer allocation failed')).outcome).toBe('untyped');
    expect(judgeError('x', new TypeError("Cannot read properties of undefined (reading 'replace')")).outcome).toBe('untyped');
    // A Node error with a code of its own (even one that looks like ours) is not typed.
    const nodeError = Object.assign(new RangeError('out of range'), { code: 'ERR_OUT_OF_RANGE' });
    expect(judgeError('x', nodeError).outcome).toBe('untyped');
    expect(judgeError('x', new QnnNodeError('NOT_A_CODE' as never, 'made up')).outcome).toBe('untyped');
    // Straight from the addon, a plain Error with a documented code is its contract.
    const native = Object.assign(new Error('malformed'), { code: 'BINARY_INVALID' });
    expect(judgeError('x', native, { native: true }).outcome).toBe('typed');
    expect(judgeError('x', new Error('no code'), { native: true }).outcome).toBe('untyped');
  });
});

describe('fuzz supervisor', () => {
  it('attributes a worker that dies to its case, saves that input and goes on with the rest', { timeout: 60_000 }, async () => {
    const out = path.join(dir, 'crash');
    const report = await runFuzz({ targets: ['npy'], cases: 6, seed: 1, out, env: { QNN_NODE_FUZZ_CRASH_CASE: '3' } });
    const total = Object.values(report.counts.npy).reduce((a, b) => a + b, 0);
    expect(total).toBe(6);
    expect(report.counts.npy.crash).toBe(1);
    const crash = report.findings.find((f) => f.outcome === 'crash')!;
    expect(crash).toMatchObject({ target: 'npy', seed: 1, index: 3, message: 'crashes when run alone' });
    expect(Buffer.compare(readFileSync(crash.file), TARGETS.npy.generate(1, 3).bytes)).toBe(0);
    const notes = readFileSync(crash.file.replace(/\.npy$/, '.txt'), 'utf8');
    expect(notes).toContain('--seed 1 --case 3');
    expect(notes).toContain('signal SIGSEGV');
  });
});

describeNative('fuzz supervisor on the reference backend', () => {
  it('a case that outlives the time limit is a hang, and the worker is killed', { timeout: 60_000 }, async () => {
    const file = path.join(dir, 'basic.bin');
    writeFileSync(file, encodeReferenceBinary(basic));
    const options = { targets: ['binaries' as const], cases: 1, seed: 1, out: path.join(dir, 'hang'), timeoutMs: 1500 };
    expect(await replay(options, 'binaries', file)).toMatchObject({ kind: 'result', result: { outcome: 'ok' } });
    const slow = await replay({ ...options, env: { QNN_REFERENCE_EXECUTE_DELAY_MS: '5000' } }, 'binaries', file);
    expect(slow).toMatchObject({ kind: 'died', outcome: 'hang' });
  });
});
