/**
 * Mutated reference binaries through every entry point that reads a context binary:
 * the addon's readBinaryInfo (QnnSystem only, in process), readContextSignature,
 * Qnn.load({ backend: 'reference' }).loadContext + run / runSync with inputs of the
 * declared shapes, and the CLI's `inspect` (with the backend and --system-only).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Qnn, readContextSignature, type QnnLoadContextOptions, type ReadContextSignatureOptions } from '../../../lib/backend/qnn/index.js';
import type { TensorSpec } from '../../../lib/backend/types.js';
import { captureIO } from '../../../lib/cli/io.js';
import { buildProgram, main } from '../../../lib/cli/main.js';
import { loadAddon, referenceBackendPaths } from '../../../lib/native/binding.js';
import { Prng, hashString } from '../../../lib/random.js';
import { Tensor } from '../../../lib/tensor/Tensor.js';
import { DTYPES } from '../../../lib/tensor/dtypes.js';
import { KNOWN_CODES, judgeError, worse, type CaseResult } from '../outcome.js';
import { casePrng } from '../mutate.js';
import { mutateBinary } from './binary-mutations.js';
import type { CaseRunner, FuzzInput, FuzzTarget, RunnerOptions } from './types.js';

/** One input in this many also goes through the isolated (child process) readers. */
const ISOLATED_EVERY = 20;

/** `isolate` selects the in-process reader where readContextSignature isolates by default. */
type SignatureOptions = ReadContextSignatureOptions & { readonly isolate?: boolean };

/** Inputs above this many bytes per graph are not built (that is the fuzzer's memory, not the library's). */
const MAX_INPUT_BYTES = 16 << 20;

/** A tensor of the declared shape with small random values, or undefined when it is too big to build. */
function inputFor(spec: TensorSpec, rng: Prng): Tensor | undefined {
  const info = DTYPES[spec.dtype];
  if (info === undefined) return undefined;
  let elements = 1;
  for (const d of spec.dims) elements *= d;
  if (!Number.isSafeInteger(elements) || (elements * info.bits) / 8 > MAX_INPUT_BYTES) return undefined;
  const t = Tensor.zeros(spec.dtype, spec.dims, spec.quant ? { quant: spec.quant } : {});
  const bytes = t.bytes;
  if (info.float) {
    const f = new Float32Array(t.size);
    for (let i = 0; i < f.length; i++) f[i] = rng.next() * 8 - 4;
    bytes.set(Tensor.fromFloat32(spec.dtype, f, spec.dims, spec.quant ? { quant: spec.quant } : {}).bytes);
  } else {
    // Small non-negative integers (valid Gather indices), now and then a hostile one.
    for (let i = 0; i < bytes.length; i++) bytes[i] = rng.nextUint32() % 16 === 0 ? rng.nextUint32() & 0xff : i % Math.max(1, info.bits / 8) === 0 ? rng.nextUint32() & 3 : 0;
  }
  return t;
}

/** The CLI's exit code and stderr, judged like an exception: a documented `[CODE]` is a typed refusal. */
function judgeCli(entry: string, exitCode: number, stderr: string): CaseResult {
  if (exitCode === 0) return { outcome: 'ok', entry };
  const code = /\[([A-Z0-9_]+)\]\s*$/.exec(stderr)?.[1];
  if (code !== undefined && KNOWN_CODES.has(code) && exitCode !== 2) return { outcome: 'typed', entry, code };
  return { outcome: 'untyped', entry, ...(code ? { code } : {}), message: `exit ${exitCode}: ${stderr.slice(-2000)}` };
}

async function attempt(entry: string, fn: () => Promise<unknown> | unknown, native = false): Promise<CaseResult> {
  try {
    await fn();
    return { outcome: 'ok', entry };
  } catch (error) {
    return judgeError(entry, error, { native });
  }
}

class BinaryRunner implements CaseRunner {
  readonly #file: string;
  readonly #system = referenceBackendPaths().system;
  /** Whether this CLI reads binaries in a child process by default and has --in-process. */
  readonly #cliInProcess = (() => {
    const program = buildProgram(captureIO(), () => Promise.reject(new Error('not run')), () => {});
    return program.commands.find((c) => c.name() === 'inspect')?.options.some((o) => o.long === '--in-process') ?? false;
  })();
  constructor(
    readonly qnn: Qnn,
    workDir: string,
  ) {
    this.#file = path.join(workDir, 'case.bin');
  }

  async run(input: FuzzInput): Promise<CaseResult> {
    const bytes = input.bytes;
    const rng = new Prng(hashString(input.note) ^ bytes.length);
    const addon = loadAddon();
    const results: CaseResult[] = [];
    results.push(await attempt('readBinaryInfo', () => addon.readBinaryInfo!(this.#system, bytes), true));
    // The isolated paths (a child process per call) run for one input in ISOLATED_EVERY;
    // the in-process ones for every input.
    const isolated = hashString(input.note, bytes.length) % ISOLATED_EVERY === 0;
    results.push(await attempt('readContextSignature in process', () => readContextSignature(bytes, { system: 'reference', isolate: false } as SignatureOptions)));
    if (isolated) results.push(await attempt('readContextSignature', () => readContextSignature(bytes, { system: 'reference' })));
    results.push(
      await attempt(isolated ? "loadContext validate: 'isolated'" : 'loadContext', async () => {
        const ctx = await this.qnn.loadContext(bytes, (isolated ? { validate: 'isolated' } : {}) as QnnLoadContextOptions);
        try {
          for (const graph of ctx.graphs) {
            const inputs: Record<string, Tensor> = {};
            let complete = true;
            for (const spec of graph.inputs) {
              const t = inputFor(spec, rng);
              if (t === undefined) complete = false;
              else inputs[spec.name] = t;
            }
            if (!complete) continue;
            results.push(await attempt(`run ${graph.name}`, () => graph.run(inputs)));
            results.push(await attempt(`runSync ${graph.name}`, () => graph.runSync(inputs)));
          }
        } finally {
          await ctx.dispose();
        }
      }),
    );
    writeFileSync(this.#file, bytes);
    const inProcess = this.#cliInProcess && !isolated ? ['--in-process'] : [];
    for (const [entry, argv] of [
      ['cli inspect', ['inspect', this.#file, '--backend', 'reference', '--json', ...inProcess]],
      ['cli inspect --system-only', ['inspect', this.#file, '--system-only', '--system', this.#system, '--json', ...inProcess]],
    ] as const) {
      const io = captureIO();
      try {
        results.push(judgeCli(entry, await main(argv, io), io.stderrText()));
      } catch (error) {
        results.push({ ...judgeError(entry, error), outcome: 'untyped' });
      }
    }
    return results.reduce(worse, { outcome: 'ok' });
  }

  async close(): Promise<void> {
    await this.qnn.dispose();
  }
}

export const binariesTarget: FuzzTarget = {
  name: 'binaries',
  ext: 'bin',
  generate(seed, index) {
    return mutateBinary(casePrng('binaries', seed, index));
  },
  async open(options: RunnerOptions) {
    return new BinaryRunner(await Qnn.load({ backend: 'reference' }), options.workDir);
  },
};
