/**
 * `run <manifest> --no-shared-memory`: the run option reaches the pipeline (its report says
 * 'off for this run'), the report line names what was shared, and binaries refuse the flag.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureIO } from '../../lib/cli/io.js';
import { main } from '../../lib/cli/main.js';

async function run(argv: string[], cwd: string) {
  const io = captureIO({ cwd, env: {} });
  const code = await main(argv, io);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnn-cli-shared-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
fs.writeFileSync(path.join(dir, 'm.bin'), '');
fs.writeFileSync(
  path.join(dir, 'm.json'),
  JSON.stringify({
    format: 'qnn-node-pipeline',
    version: 1,
    contexts: { m: { binary: 'm.bin', signature: [{ name: 'g', inputs: [{ name: 'x', dtype: 'float32', dims: [1, 2] }], outputs: [{ name: 'y', dtype: 'float32', dims: [1, 2] }] }] } },
    steps: [
      { op: 'fill', output: 'x', dtype: 'float32', dims: [1, 2], value: 1 },
      { graph: 'g', inputs: { x: 'x' }, outputs: { y: 'y' } },
    ],
    outputs: { y: 'y' },
  }),
);

describe('run --no-shared-memory', () => {
  it('turns sharing off for the run and reports why nothing was shared', async () => {
    const on = await run(['run', 'm.json', '--mock', '--json'], dir);
    expect(on.code, on.stderr).toBe(0);
    expect(JSON.parse(on.stdout).sharedMemory).toEqual({ mode: 'auto', enabled: false, reason: 'mock backend', tensors: 0, bytes: 0, plainFallbacks: 0 });
    const off = await run(['run', 'm.json', '--mock', '--no-shared-memory', '--json'], dir);
    expect(off.code, off.stderr).toBe(0);
    expect(JSON.parse(off.stdout).sharedMemory).toEqual({ mode: 'off', enabled: false, reason: 'off for this run', tensors: 0, bytes: 0, plainFallbacks: 0 });
    const text = await run(['run', 'm.json', '--mock', '--no-shared-memory'], dir);
    expect(text.stdout).toContain('shared memory: none (off for this run)');
  });

  it('is a usage error for a context binary', async () => {
    const r = await run(['run', 'm.bin', '--mock', 'x.json', '--no-shared-memory'], dir);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--no-shared-memory applies to pipeline manifests (.json)');
  });
});

describe('info', () => {
  it('says whether shared tensors are available, through which rpcmem library, or why not', async () => {
    const on = await run(['info', '--json', '--backend', 'reference'], dir);
    expect(on.code, on.stderr).toBe(0);
    expect((JSON.parse(on.stdout) as { backend: { sharedMemory: string } }).backend.sharedMemory).toMatch(
      /^rpcmem tensors, registered as shared-buffer \(.*rpcmem[/\\](lib)?cdsprpc\.(so|dll)\)$/,
    );
    process.env.QNN_REFERENCE_RPCMEM_FAIL_ALLOC = '1';
    try {
      const off = await run(['info', '--backend', 'reference'], dir);
      expect(off.code, off.stderr).toBe(0);
      expect(off.stdout).toContain('sharedMemory: unavailable: rpcmem_alloc failed (no DSP access)');
    } finally {
      delete process.env.QNN_REFERENCE_RPCMEM_FAIL_ALLOC;
    }
  });
});
