/**
 * Shared setup of the native suites: they run against the built addon and the reference
 * backend (build/Release, `npm run build:native`). Without them the suites are skipped
 * locally but FAIL when CI is set, so a broken build can never pass as "skipped".
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, it } from 'vitest';
import { loadAddon, referenceBackendPaths } from '../../lib/native/binding.js';
import { encodeReferenceBinary, planReferenceBinary, type ReferenceBinaryDesc } from '../../lib/reference/writer.js';

function probe(): unknown {
  try {
    loadAddon();
    referenceBackendPaths();
    return undefined;
  } catch (e) {
    return e;
  }
}

export const nativeError = probe();
export const nativeReady = nativeError === undefined;

/** describe() for suites that need the addon + reference backend. */
export function describeNative(name: string, fn: () => void): void {
  if (nativeReady) {
    describe(name, fn);
  } else if (process.env.CI) {
    describe(name, () => {
      it('has the native addon and the reference backend', () => {
        throw nativeError;
      });
    });
  } else {
    describe.skip(name, fn);
  }
}

export const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');

/** A temp folder removed after the file's tests. */
export function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qnn-node-native-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function writeBinary(dir: string, name: string, desc: ReferenceBinaryDesc): string {
  const file = path.join(dir, name);
  writeFileSync(file, encodeReferenceBinary(desc));
  return file;
}

/** Runs `fn` with env vars set, restoring them afterwards (the reference backend reads them per call). */
export async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T> | T): Promise<T> {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

// ---- binaries ----------------------------------------------------------------------------

/** out = a + b, float32 [2, 3]. */
export const ADD: ReferenceBinaryDesc = {
  description: 'add',
  graphs: [
    {
      name: 'add',
      inputs: [
        { name: 'a', dtype: 'float32', dims: [2, 3] },
        { name: 'b', dtype: 'float32', dims: [2, 3] },
      ],
      outputs: [{ name: 'out', dtype: 'float32', dims: [2, 3] }],
      nodes: [{ op: 'ElementWiseAdd', inputs: ['a', 'b'], outputs: ['out'] }],
    },
  ],
};

export const W = Float32Array.from({ length: 16 }, (_, i) => (i % 5) - 2 + i / 16);

/** Three graphs over one STATIC weight (weight sharing): prefill [3,4]·W, decode [1,4]·W, relu. */
export const SHARED: ReferenceBinaryDesc = {
  description: 'weight-shared',
  statics: [{ name: 'w', dtype: 'float32', dims: [4, 4], data: W }],
  graphs: [
    {
      name: 'prefill',
      inputs: [{ name: 'x', dtype: 'float32', dims: [3, 4] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: [3, 4] }],
      nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
    },
    {
      name: 'decode',
      inputs: [{ name: 'x', dtype: 'float32', dims: [1, 4] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: [1, 4] }],
      nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
    },
    {
      name: 'relu',
      inputs: [{ name: 'x', dtype: 'float16', dims: [8] }],
      outputs: [{ name: 'y', dtype: 'float16', dims: [8] }],
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
    },
  ],
};

/** ufixed8 input (scale 0.5, offset -10) → Dequantize → float32. */
export const QUANT: ReferenceBinaryDesc = {
  description: 'quant',
  graphs: [
    {
      name: 'dequant',
      inputs: [{ name: 'q', dtype: 'ufixed8', dims: [4], quant: { encoding: 'scale-offset', scale: 0.5, offset: -10 } }],
      outputs: [{ name: 'f', dtype: 'float32', dims: [4] }],
      nodes: [{ op: 'Dequantize', inputs: ['q'], outputs: ['f'] }],
    },
  ],
};

/** A MatMul heavy enough to take a noticeable time on the CPU: [m, k] · [k, n]. */
export function heavy(m: number, k: number, n: number): ReferenceBinaryDesc {
  return {
    description: 'heavy',
    statics: [{ name: 'w', dtype: 'float32', dims: [k, n], fill: 0.001 }],
    graphs: [
      {
        name: 'mm',
        inputs: [{ name: 'x', dtype: 'float32', dims: [m, k] }],
        outputs: [{ name: 'y', dtype: 'float32', dims: [m, n] }],
        nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
      },
    ],
  };
}

export function matmul(x: Float32Array, w: Float32Array, m: number, k: number, n: number): Float32Array {
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += x[i * k + t] * w[t * n + j];
      out[i * n + j] = s;
    }
  return out;
}

export { planReferenceBinary };

// ---- child processes ---------------------------------------------------------------------

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a TypeScript fixture in a fresh Node process (tsx loader). */
export function runChild(script: string, args: string[] = [], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(here, 'fixtures', script), ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child ${script} timed out after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - start });
    });
  });
}
