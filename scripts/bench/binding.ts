/**
 * Binding overhead per execute: `graph.runSync()` and `graph.run()` on the bundled
 * example's trivial `add` graph (float32 [1,4] + [1,4]) on the reference backend, against
 * the floor — native/bench-harness calling graphExecute on the same backend, binary and
 * graph directly from C++. Each JS case times batches of calls (per-call = median / batch)
 * with preallocated outputs, as the harness does. Targets: runSync within 2 µs of the
 * floor, run within 20 µs.
 *
 * Needs the addon, the reference backend and the harness built (npm run build:native;
 * the harness also standalone: cmake -S native/bench-harness -B build-bench).
 */
import { execFileSync } from 'node:child_process';
import { Qnn } from '../../lib/backend/qnn/index.js';
import type { TensorMap } from '../../lib/backend/types.js';
import { findBenchHarness, benchHarnessCandidates } from '../../lib/cli/bench/paths.js';
import { exampleBinaryPath } from '../../lib/cli/example.js';
import { fillTensor } from '../../lib/cli/fill.js';
import { loadAddon, referenceBackendPaths } from '../../lib/native/binding.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import type { BenchSection } from './harness.js';

export interface HarnessExecResult {
  readonly graph: string;
  readonly count: number;
  readonly us: { readonly min: number; readonly median: number; readonly mean: number; readonly p95: number; readonly max: number };
  readonly batch: number;
  /** Median over batches of the per-call mean: the floor the JS cases are compared with. */
  readonly batchMedianUs: number;
  readonly createMs: number;
  readonly retrieveMs: number;
  readonly mapMs: number;
}

/** Runs the C++ harness's exec mode and parses its JSON. */
export function harnessExec(binary: string, graph: string, count: number, warmup: number): HarnessExecResult {
  const harness = findBenchHarness();
  if (!harness) throw new Error(`the bench harness is not built; tried ${benchHarnessCandidates().join(', ')} (cmake -S native/bench-harness -B build-bench && cmake --build build-bench)`);
  const ref = referenceBackendPaths();
  const out = execFileSync(
    harness,
    ['exec', '--backend', ref.backend, '--system', ref.system, '--binary', binary, '--graph', graph, '--count', String(count), '--warmup', String(warmup), '--batch', String(BATCH_SYNC)],
    { encoding: 'utf8' },
  );
  const parsed = JSON.parse(out) as HarnessExecResult & { error?: string };
  if (parsed.error) throw new Error(`bench harness: ${parsed.error}`);
  return parsed;
}

const BATCH_SYNC = 1000;
const BATCH_ASYNC = 100;

const section: BenchSection = {
  name: 'binding',
  description: "per-execute overhead of runSync/run on the reference backend's trivial graph vs C++ calling graphExecute (the floor)",
  async run(bench) {
    const binary = exampleBinaryPath();
    const floor = harnessExec(binary, 'add', 200_000, 2_000);
    const floorUs = floor.batchMedianUs;
    const qnn = await Qnn.load({ backend: 'reference' });
    try {
      const ctx = await qnn.loadContext(binary);
      const graph = ctx.graph('add');
      const inputs: TensorMap = Object.fromEntries(graph.inputs.map((s) => [s.name, fillTensor(s, 'random')]));
      const outputs: TensorMap = Object.fromEntries(graph.outputs.map((s) => [s.name, Tensor.zeros(s.dtype, s.dims)]));
      const options = { outputs };
      // Notes are filled in after each case, once its per-call figure is known.
      const vs = (perCallUs: number, target: number) =>
        `${perCallUs.toFixed(2)} µs/call; floor ${floorUs.toFixed(2)} µs (C++ graphExecute); +${(perCallUs - floorUs).toFixed(2)} µs (target ≤ ${target})`;

      const sync = bench.case(
        `runSync add ×${BATCH_SYNC}`,
        () => {
          for (let i = 0; i < BATCH_SYNC; i++) graph.runSync(inputs, options);
        },
        { warmup: 20, iterations: 50 },
      );
      const syncUs = (sync.stats.median / BATCH_SYNC) * 1000;
      (sync as { note?: string }).note = vs(syncUs, 2);

      const syncAlloc = bench.case(
        `runSync add ×${BATCH_SYNC} (outputs allocated)`,
        () => {
          for (let i = 0; i < BATCH_SYNC; i++) graph.runSync(inputs);
        },
        { warmup: 20, iterations: 50, baseline: `runSync add ×${BATCH_SYNC}` },
      );
      (syncAlloc as { note?: string }).note = `${((syncAlloc.stats.median / BATCH_SYNC) * 1000).toFixed(2)} µs/call`;

      const asyncCase = await bench.caseAsync(
        `run add ×${BATCH_ASYNC} (awaited in turn)`,
        async () => {
          for (let i = 0; i < BATCH_ASYNC; i++) await graph.run(inputs, options);
        },
        { warmup: 10, iterations: 50 },
      );
      const asyncUs = (asyncCase.stats.median / BATCH_ASYNC) * 1000;
      (asyncCase as { note?: string }).note = vs(asyncUs, 20);

      // The libuv part of `run`: a promise settled by a no-op napi_async_work (no QNN, no
      // validation), awaited in turn like the case above.
      const { Graph } = loadAddon();
      const floorCase = await bench.caseAsync(
        `no-op napi_async_work ×${BATCH_ASYNC} (awaited in turn; the pool round trip)`,
        async () => {
          for (let i = 0; i < BATCH_ASYNC; i++) await Graph.asyncFloor();
        },
        { warmup: 10, iterations: 50 },
      );
      const poolUs = (floorCase.stats.median / BATCH_ASYNC) * 1000;
      (floorCase as { note?: string }).note =
        `${poolUs.toFixed(2)} µs/call; run − this = ${(asyncUs - poolUs).toFixed(2)} µs (qnn-node's own share incl. graphExecute ${floorUs.toFixed(2)} µs)`;
      await ctx.dispose();
    } finally {
      await qnn.dispose();
    }
  },
};

export default section;
