/**
 * Context load: a 256 MiB and a 1 GiB reference binary (one fp16 weight table used by a
 * Gather graph — the shape of an LLM embedding), generated into a temp dir and deleted
 * afterwards. Timed in this process with a warm page cache:
 * - floor: reading the whole file into one buffer (open + read),
 * - `qnn.loadContext(path)` + dispose on the reference backend (map, create, retrieve),
 *   the default (QNN_CONTEXT_CONFIG_PERSISTENT_BINARY: the backend uses the mapped file in
 *   place) and with `persistentBinary: false` (the backend copies the weights; the
 *   default before 2026-11-22).
 * Target: load within 10% of the floor. Then, in a fresh child process per measurement
 * (qnn-node bench load's machinery): peak resident memory of a load vs of the read
 * (target: peak ≤ file size + 10%, i.e. no second copy), and one cold-cache load per file
 * when the page cache can be dropped (posix_fadvise through the bench harness, else
 * drop_caches as root).
 *
 * QNN_NODE_BENCH_LOAD_SIZES=256,1024 (MiB) overrides the sizes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { benchLoad } from '../../lib/cli/bench/load-bench.js';
import { readFloor } from '../../lib/cli/bench/load-once.js';
import { formatBytes } from '../../lib/cli/output/format.js';
import { writeReferenceBinary } from '../../lib/reference/writer.js';
import type { BenchSection } from './harness.js';

const HIDDEN = 2048;

export async function writeLoadBinary(file: string, mib: number): Promise<number> {
  const rows = Math.floor((mib * 2 ** 20) / (HIDDEN * 2));
  await writeReferenceBinary(file, {
    description: `qnn-node load benchmark, ${mib} MiB`,
    statics: [{ name: 'table', dtype: 'float16', dims: [rows, HIDDEN], fill: 0.5 }],
    graphs: [
      {
        name: 'probe',
        inputs: [{ name: 'ids', dtype: 'int32', dims: [1, 1] }],
        outputs: [{ name: 'rows', dtype: 'float16', dims: [1, 1, HIDDEN] }],
        nodes: [{ op: 'Gather', inputs: ['table', 'ids'], outputs: ['rows'], params: { axis: 0 } }],
      },
    ],
  });
  return fs.statSync(file).size;
}

function sizes(): number[] {
  const env = process.env.QNN_NODE_BENCH_LOAD_SIZES;
  return env ? env.split(',').map((s) => Number(s.trim())).filter((n) => n > 0) : [256, 1024];
}

const section: BenchSection = {
  name: 'load',
  description: 'context load of large reference binaries vs reading the file into memory (warm cache; peak RSS and cold runs in child processes)',
  async run(bench) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnn-bench-load-'));
    const qnn = await Qnn.load({ backend: 'reference' });
    try {
      for (const mib of sizes()) {
        const file = path.join(dir, `load-${mib}MiB.bin`);
        const bytes = await writeLoadBinary(file, mib);
        const label = mib >= 1024 ? `${mib / 1024} GiB` : `${mib} MiB`;
        const floorName = `read ${label} into memory (floor)`;
        const opts = { warmup: 1, iterations: 5, minTimeMs: 0 };
        bench.case(floorName, () => readFloor(file, false).fileBytes, opts);
        // Peak memory of the read, each in a fresh process.
        const floorIsolated = await benchLoad([file], { repeat: 1, warmup: 0, cold: false, isolate: true, floor: true, executeGraph: null, libraries: { backend: 'reference' } });
        const readPeak = floorIsolated.results.find((r) => r.kind === 'read')!.summary.peakRssDeltaBytes.max;
        (bench.results.find((r) => r.name === floorName) as { note?: string }).note =
          `${bytes.toLocaleString('en-US')} bytes; peak RSS +${formatBytes(readPeak)} = ${(readPeak / bytes).toFixed(2)}× file`;
        for (const persistentBinary of [undefined, false]) {
          let phases = { mapMs: 0, createMs: 0, retrieveMs: 0 };
          const load = await bench.caseAsync(
            `loadContext ${label}${persistentBinary === false ? ' persistentBinary: false (copy)' : ' (default: persistent)'} + dispose`,
            async () => {
              const ctx = await qnn.loadContext(file, persistentBinary === undefined ? {} : { persistentBinary });
              phases = ctx.loadTimings;
              await ctx.dispose();
            },
            { ...opts, baseline: floorName },
          );
          // Peak memory (with the first execute) and a cold load, each in a fresh process.
          const common = { repeat: 1, warmup: 0, isolate: true, floor: false, executeGraph: 'probe', persistentBinary, libraries: { backend: 'reference' } } as const;
          const isolated = await benchLoad([file], { ...common, cold: false });
          const cold = await benchLoad([file], { ...common, cold: true });
          const coldText =
            cold.cache === 'cold'
              ? `cold (${cold.results[0].samples[0].cache?.method}) ${cold.results[0].summary.loadMs.median.toFixed(0)} ms`
              : `cold: unavailable (${cold.coldUnavailable})`;
          const peak = isolated.results[0].summary.peakRssDeltaBytes.max;
          // Notes are filled in once the case and its child-process runs are measured.
          (load as { note?: string }).note =
            `map ${phases.mapMs.toFixed(1)} / create ${phases.createMs.toFixed(1)} / retrieve ${phases.retrieveMs.toFixed(2)} ms; ` +
            `first execute ${isolated.results[0].summary.firstExecuteMs?.median.toFixed(2)} ms; peak RSS +${formatBytes(peak)} = ${(peak / bytes).toFixed(2)}× file; ${coldText}`;
        }
        fs.rmSync(file, { force: true });
      }
    } finally {
      await qnn.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default section;
