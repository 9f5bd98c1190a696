import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MockBackend } from '../../lib/backend/mock/MockBackend.js';
import type { ContextSignature } from '../../lib/backend/types.js';
import { cli, GRAPHS, testEnv, type TestEnv } from './helpers.js';

let env: TestEnv;
beforeEach(() => {
  env = testEnv();
});
afterEach(() => env.cleanup());

describe('qnn-node inspect', () => {
  it('prints graphs and tensors as a table', async () => {
    const bin = env.binary('model.bin');
    const r = await cli(env, ['inspect', 'model.bin']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(bin);
    expect(r.stdout).toContain('2 graphs');
    expect(r.stdout).toContain('Graph add (2 inputs, 1 output)');
    expect(r.stdout).toMatch(/in\s+x\s+1001\s+float32\s+\[1, 4\]/);
    expect(r.stdout).toMatch(/out\s+z\s+1003\s+float32\s+\[1, 4\]/);
    expect(r.stdout).toMatch(/in\s+q\s+1010\s+ufixed8\s+\[1, 8\]\s+scale=0\.5 offset=-2/);
  });

  it('inspects the bundled example without an argument', async () => {
    const r = await cli(env, ['inspect']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(env.example);
  });

  it('--json prints a signature file the mock backend loads', async () => {
    env.binary('model.bin');
    const r = await cli(env, ['inspect', 'model.bin', '--json']);
    expect(r.code).toBe(0);
    const sig = JSON.parse(r.stdout) as ContextSignature;
    expect(sig.format).toBe('qnn-node-signature');
    expect(sig.version).toBe(1);
    expect(sig.source).toBe(path.join(env.dir, 'model.bin'));
    expect(sig.graphs).toEqual(GRAPHS);
    const file = env.file('sig.json', r.stdout);
    const mock = new MockBackend();
    const ctx = await mock.loadContext(file);
    expect(ctx.graphs.map((g) => g.name)).toEqual(['add', 'dequant']);
    await mock.dispose();
  });

  it('-o writes the signature to a file', async () => {
    env.binary('model.bin');
    const r = await cli(env, ['inspect', 'model.bin', '-o', 'out/sig.json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const sig = JSON.parse(fs.readFileSync(path.join(env.dir, 'out/sig.json'), 'utf8')) as ContextSignature;
    expect(sig.graphs).toHaveLength(2);
  });

  it('--graph narrows to one graph', async () => {
    env.binary('model.bin');
    const r = await cli(env, ['inspect', 'model.bin', '--json', '--graph', 'dequant']);
    expect((JSON.parse(r.stdout) as ContextSignature).graphs.map((g) => g.name)).toEqual(['dequant']);
  });

  it('fails with UNKNOWN_GRAPH naming the graphs there are', async () => {
    env.binary('model.bin');
    const r = await cli(env, ['inspect', 'model.bin', '--graph', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[UNKNOWN_GRAPH]');
    expect(r.stderr).toContain('add, dequant');
  });

  it('fails with FILE_NOT_FOUND for a missing file', async () => {
    const r = await cli(env, ['inspect', 'missing.bin']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[FILE_NOT_FOUND]');
    expect(r.stderr).toContain('missing.bin');
    expect(r.stdout).toBe('');
  });

  it('fails with FILE_NOT_FOUND for a directory', async () => {
    fs.mkdirSync(path.join(env.dir, 'adir'));
    const r = await cli(env, ['inspect', 'adir']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not a regular file');
  });

  it('reports a corrupt binary with the runtime error code', async () => {
    env.file('corrupt.bin', 'garbage garbage garbage');
    const r = await cli(env, ['inspect', 'corrupt.bin']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[BINARY_INVALID]');
  });
});
