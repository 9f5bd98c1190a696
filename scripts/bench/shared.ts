/**
 * Shared memory at decode (docs/benchmarks.md, `shared`): one decode step at Qwen3-VL's KV
 * shapes ([28, 2, 8, 512, 128] fp16, 58,720,256 B; one new row [28, 2, 8, 1, 128] =
 * 114,688 B per step) on the reference backend — `graph.run` of a step that reads the
 * whole cache, then kv_write of the new row at the next slot — with raw client buffers
 * against the same step with the cache and the host-made row in shared memory
 * (`qnn.allocTensor`), as the pipeline runner allocates them. Floors in the same run:
 * execute time shared ≤ raw (ratio ≤ 1) and host bytes copied per step: only the new row's
 * (kv_write) plus the raw output, counted from the reference backend's call journal
 * (graphExecute rawBytesIn / rawBytesOut).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Qnn } from '../../lib/backend/qnn/index.js';
import type { Backend, Graph, TensorMap } from '../../lib/backend/types.js';
import { kvWrite } from '../../lib/pipeline/ops/tensor.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import type { Bench, BenchSection } from './harness.js';
import { kvDecodeBinary, kvRowDims } from './kv-decode-graph.js';

const KV = [28, 2, 8, 512, 128];
const ROW = kvRowDims(KV);
const KV_BYTES = KV.reduce((a, b) => a * b, 2);
const ROW_BYTES = ROW.reduce((a, b) => a * b, 2);
const fmt = (n: number) => n.toLocaleString('en-US');

interface StepIo {
  readonly inputs: TensorMap;
  readonly outputs: TensorMap;
}

/** One decode step: execute, then write the new row into the cache at the next slot. */
function stepper(graph: Graph, io: StepIo): () => Promise<void> {
  let slot = 0;
  return async () => {
    await graph.run(io.inputs, { outputs: io.outputs });
    kvWrite(io.inputs.past_kv, io.outputs.new_kv, 3, slot);
    slot = (slot + 1) % KV[3];
  };
}

/** graphExecute's raw bytes of one step, from the reference backend's journal (null: no counters). */
async function copiedBytes(step: () => Promise<void>): Promise<{ in: number; out: number; memHandles: number } | null> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qnn-bench-shared-')), 'journal.jsonl');
  const before = process.env.QNN_REFERENCE_JOURNAL;
  process.env.QNN_REFERENCE_JOURNAL = file;
  try {
    await step();
  } finally {
    if (before === undefined) delete process.env.QNN_REFERENCE_JOURNAL;
    else process.env.QNN_REFERENCE_JOURNAL = before;
  }
  const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  const exec = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.call === 'graphExecute' && typeof e.rawBytesIn === 'number');
  return exec ? { in: exec.rawBytesIn as number, out: exec.rawBytesOut as number, memHandles: exec.memHandleTensors as number } : null;
}

function bytesNote(b: { in: number; out: number; memHandles: number } | null): string {
  if (!b) return 'bytes: the reference backend journals no graphExecute copy counters';
  const host = b.in + b.out + ROW_BYTES;
  return `host bytes copied/step ${fmt(host)} (execute in ${fmt(b.in)} + out ${fmt(b.out)}, kv_write ${fmt(ROW_BYTES)}; ${b.memHandles} memhandle tensors); floor ${fmt(ROW_BYTES)} (the new row)`;
}

async function cases(bench: Bench, qnn: Qnn): Promise<void> {
  const ctx = await qnn.loadContext(kvDecodeBinary(KV, 'slice'));
  try {
    const graph = ctx.graph('kv_step');
    const raw: StepIo = {
      inputs: { past_kv: Tensor.zeros('float16', KV), x: Tensor.zeros('float16', ROW) },
      outputs: { new_kv: Tensor.zeros('float16', ROW) },
    };
    const rawStep = stepper(graph, raw);
    const rawBytes = await copiedBytes(rawStep);
    const rawName = `decode step, raw buffers (KV [${KV.join(', ')}] fp16, ${fmt(KV_BYTES)} B)`;
    const backend: Backend = qnn;
    const shared = backend.sharedMemory;
    const skip = typeof backend.allocTensor !== 'function' ? 'this build has no qnn.allocTensor' : shared?.available !== true ? (shared?.reason ?? 'shared memory unavailable') : null;
    await bench.caseAsync(rawName, rawStep, { note: `${bytesNote(rawBytes)}${skip ? `; shared case skipped: ${skip}` : ''}` });
    if (skip) {
      console.error(`bench shared: the shared-memory case is skipped: ${skip}`);
      return;
    }
    // As the pipeline runner allocates: the cache and the host-made row shared, new_kv (read only by kv_write) plain.
    const io: StepIo = {
      inputs: { past_kv: backend.allocTensor!('float16', KV), x: backend.allocTensor!('float16', ROW) },
      outputs: { new_kv: Tensor.zeros('float16', ROW) },
    };
    const sharedStep = stepper(graph, io);
    const sharedBytes = await copiedBytes(sharedStep);
    await bench.caseAsync('decode step, KV + row in shared memory', sharedStep, { baseline: rawName, note: `${bytesNote(sharedBytes)}; floor: ratio ≤ 1` });
  } finally {
    await ctx.dispose();
  }
}

const section: BenchSection = {
  name: 'shared',
  description: 'a decode step at Qwen3-VL KV shapes on the reference backend: raw client buffers vs the KV cache in shared memory (bytes copied per step, execute time)',
  async run(bench) {
    const qnn = await Qnn.load({ backend: 'reference' });
    try {
      await cases(bench, qnn);
    } finally {
      await qnn.dispose();
    }
  },
};

export default section;
