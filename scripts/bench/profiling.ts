/**
 * What profiling costs (docs/profiling.md): runSync on the reference backend with the
 * `profile` option absent, against the same runs with `profile: undefined` passed (off:
 * must cost one branch, ratio ≈ 1.00), and with 'basic' / 'detailed' on (one profile
 * handle created, read and freed per run; the detailed level also times every node).
 * The graphs: the bundled example's `add` (1 node) and `embed_head` (3 nodes).
 */
import { Qnn } from '../../lib/backend/qnn/index.js';
import type { Graph, TensorMap } from '../../lib/backend/types.js';
import { exampleBinaryPath } from '../../lib/cli/example.js';
import { fillTensor } from '../../lib/cli/fill.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import type { Bench, BenchSection } from './harness.js';

const BATCH = 1000;

function cases(bench: Bench, graph: Graph): void {
  const inputs: TensorMap = Object.fromEntries(graph.inputs.map((s) => [s.name, fillTensor(s, 'random')]));
  const outputs: TensorMap = Object.fromEntries(graph.outputs.map((s) => [s.name, Tensor.zeros(s.dtype, s.dims)]));
  const name = (what: string) => `runSync ${graph.name} ×${BATCH}, ${what}`;
  const perCall = (ms: number) => `${((ms / BATCH) * 1000).toFixed(2)} µs/call`;
  const absent = { outputs };
  const off = { outputs, profile: undefined };
  const basic = { outputs, profile: 'basic' as const };
  const detailed = { outputs, profile: 'detailed' as const };
  const run = (options: object) => () => {
    for (let i = 0; i < BATCH; i++) graph.runSync(inputs, options);
  };
  const opts = { warmup: 10, iterations: 40 };
  const base = bench.case(name('profile absent'), run(absent), opts);
  (base as { note?: string }).note = perCall(base.stats.median);
  const offCase = bench.case(name('profile: undefined (off)'), run(off), { ...opts, baseline: name('profile absent') });
  (offCase as { note?: string }).note = `${perCall(offCase.stats.median)}; off must cost nothing: ratio ≈ 1.00`;
  // Measured once more after the off case: the spread of the same work in one process.
  const again = bench.case(name('profile absent (again)'), run(absent), { ...opts, baseline: name('profile absent') });
  (again as { note?: string }).note = `${perCall(again.stats.median)}; run-to-run noise`;
  for (const [label, options] of [
    ['basic', basic],
    ['detailed', detailed],
  ] as const) {
    const c = bench.case(name(`profile '${label}'`), run(options), { ...opts, baseline: name('profile absent') });
    (c as { note?: string }).note = `${perCall(c.stats.median)}; +${(((c.stats.median - base.stats.median) / BATCH) * 1000).toFixed(2)} µs/run (create + read + free a profile)`;
  }
}

const section: BenchSection = {
  name: 'profiling',
  description: 'runSync with the profile option absent vs off (undefined) vs basic/detailed, reference backend',
  async run(bench) {
    const qnn = await Qnn.load({ backend: 'reference' });
    try {
      const ctx = await qnn.loadContext(exampleBinaryPath());
      cases(bench, ctx.graph('add'));
      cases(bench, ctx.graph('embed_head'));
      await ctx.dispose();
    } finally {
      await qnn.dispose();
    }
  },
};

export default section;
