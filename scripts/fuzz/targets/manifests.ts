/**
 * Mutated manifests through Pipeline.load + run on the mock backend, each run with an
 * AbortSignal that fires after a short time (so a run that respects it always ends).
 * Every seed folder sits in a world folder whose secret.txt holds a canary: if the canary
 * (or /etc/passwd) shows up in a result or an error, the manifest escaped its folder.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MockBackend } from '../../../lib/backend/mock/MockBackend.js';
import { Pipeline } from '../../../lib/pipeline/runner.js';
import { Tensor } from '../../../lib/tensor/Tensor.js';
import { isDType } from '../../../lib/tensor/dtypes.js';
import { pngBytes } from '../../../test/pipeline/fixtures.js';
import { judgeError, type CaseResult } from '../outcome.js';
import { casePrng, pick } from '../mutate.js';
import { mutateManifest } from './json-mutations.js';
import { MANIFEST_SEEDS } from './manifest-seeds.js';
import type { CaseRunner, FuzzInput, FuzzTarget, RunnerOptions } from './types.js';

// Error messages quote a few characters at most (a JSON parse error: the first 10), so
// the marks are short prefixes: secret.txt's first 8 bytes, /etc/passwd's first line.
const CANARY = 'QNNFUZZC-secret-outside-the-manifest-folder';
const CANARY_MARK = CANARY.slice(0, 8);
const PASSWD = 'root:x:0';
const IMAGE = pngBytes(8, 8, (x, y) => [x * 30, y * 30, 90]);

/** Pipeline inputs for what the (mutated) manifest declares; what cannot be built is left out. */
function inputsFor(manifest: unknown): Record<string, unknown> {
  const declared = (manifest as { inputs?: unknown } | null)?.inputs;
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  if (declared === null || typeof declared !== 'object') return out;
  for (const [name, spec] of Object.entries(declared as Record<string, unknown>)) {
    const s = spec as { type?: unknown; dtype?: unknown; shape?: unknown } | null;
    if (s === null || typeof s !== 'object') continue;
    if (s.type === 'image') out[name] = IMAGE;
    else if (s.type === 'text') out[name] = 'describe this image';
    else if (s.type === 'tensor' && isDType(s.dtype) && Array.isArray(s.shape) && s.shape.every((d) => Number.isInteger(d) && d >= 0 && d < 1e6)) {
      const n = s.shape.reduce((a: number, b: number) => a * b, 1);
      if (n <= 1 << 20) out[name] = Tensor.zeros(s.dtype, s.shape as number[]);
    }
  }
  return out;
}

/** True when a canary is anywhere in `value` (strings, tensors, bytes, nested objects). */
function leaks(value: unknown, seen = new Set<unknown>(), budget = { left: 20000 }): boolean {
  if (budget.left-- <= 0) return false;
  if (typeof value === 'string') return value.includes(CANARY_MARK) || value.includes(PASSWD);
  if (value === null || typeof value !== 'object' || seen.has(value)) return false;
  seen.add(value);
  if (value instanceof Tensor) return leaks(value.bytes, seen, budget);
  if (ArrayBuffer.isView(value)) {
    const b = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return b.includes(CANARY_MARK) || b.includes(PASSWD);
  }
  if (value instanceof Map) return [...value.entries()].some((e) => leaks(e, seen, budget));
  for (const k of Reflect.ownKeys(value)) {
    let v: unknown;
    try {
      v = (value as Record<string | symbol, unknown>)[k];
    } catch {
      continue;
    }
    if (leaks(v, seen, budget)) return true;
  }
  return false;
}

function errorText(error: unknown): string {
  let text = '';
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) text += `${e.message}\n${JSON.stringify((e as { details?: unknown }).details ?? null, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)) ?? ''}\n`;
  return text;
}

class ManifestRunner implements CaseRunner {
  constructor(
    readonly world: string,
    readonly abortMs: number,
  ) {}

  async run(input: FuzzInput): Promise<CaseResult> {
    const file = path.join(this.world, input.base ?? 'tiny-llm', 'manifest.json');
    writeFileSync(file, input.bytes);
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(input.bytes));
    } catch {
      parsed = undefined;
    }
    let stage = 'Pipeline.load';
    try {
      const pipeline = await Pipeline.load(file, { backend: new MockBackend({ seed: 0 }) });
      let escaped = false;
      try {
        stage = 'pipeline.run';
        escaped = leaks(await pipeline.run(inputsFor(parsed) as never, { signal: AbortSignal.timeout(this.abortMs) }));
      } finally {
        await pipeline.dispose();
      }
      if (escaped) return { outcome: 'escape', entry: stage, message: 'file contents from outside the manifest folder in the result' };
      return { outcome: 'ok', entry: stage };
    } catch (error) {
      if (leaks(errorText(error))) return { ...judgeError(stage, error), outcome: 'escape' };
      return judgeError(stage, error);
    }
  }

  async close(): Promise<void> {}
}

export const manifestsTarget: FuzzTarget = {
  name: 'manifests',
  ext: 'json',
  generate(seed, index) {
    const rng = casePrng('manifests', seed, index);
    const base = pick(rng, MANIFEST_SEEDS);
    const { text, note } = mutateManifest(rng, base.manifest);
    return { bytes: new TextEncoder().encode(text), base: base.name, note: `${base.name}: ${note}` };
  },
  async open(options: RunnerOptions) {
    const world = path.join(options.workDir, 'world');
    mkdirSync(world, { recursive: true });
    writeFileSync(path.join(world, 'secret.txt'), `${CANARY}\n`);
    for (const seed of MANIFEST_SEEDS) {
      const dir = path.join(world, seed.name);
      mkdirSync(dir, { recursive: true });
      seed.prepare(dir);
    }
    return new ManifestRunner(world, options.abortMs);
  },
};
