/**
 * A one-graph manifest on the mock backend, loaded from a fresh folder per test: what the
 * limits and untrusted-manifest suites build their hostile manifests on.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { MockBackend, Pipeline } from '../../lib/index.js';
import { tempDir } from './fixtures.js';

export const ECHO = { name: 'echo', inputs: [{ name: 'x', dtype: 'float32', dims: [1] }], outputs: [{ name: 'y', dtype: 'float32', dims: [1] }] } as const;

/** A manifest whose context `m` (m.bin, signature ECHO) runs `steps`. */
export function manifest(steps: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { format: 'qnn-node-pipeline', version: 1, contexts: { m: { binary: 'm.bin', signature: [ECHO] } }, steps, ...extra };
}

/** The error `p` rejects with (fails the test when it resolves). */
export async function failure(p: Promise<unknown>): Promise<Error & { code?: string; details?: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

/** Registers beforeEach/afterEach: each test gets a folder holding a placeholder m.bin. */
export function useManifestFolder(): { readonly dir: string; load(m: Record<string, unknown>, options?: Record<string, unknown>): Promise<Pipeline> } {
  let dir = '';
  let cleanup = (): void => {};
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    writeFileSync(join(dir, 'm.bin'), 'placeholder');
  });
  afterEach(() => cleanup());
  return {
    get dir() {
      return dir;
    },
    load: (m, options = {}) => Pipeline.load(m, { backend: new MockBackend(), baseDir: dir, ...options }),
  };
}
