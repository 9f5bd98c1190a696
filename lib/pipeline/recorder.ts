/**
 * Writes every graph call of a run to a folder: one .npy per input and output tensor and
 * index.json (the format in lib/backend/mock/recording.ts, which the mock backend replays).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordedCall, RecordedTensor, RecordingIndex } from '../backend/mock/recording.js';
import type { TensorMap } from '../backend/types.js';
import { writeNpySync } from '../tensor/npy.js';
import type { Tensor } from '../tensor/Tensor.js';
import { nameRecord } from './records.js';

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

export class Recorder {
  private readonly calls: RecordedCall[] = [];

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private write(seq: number, graph: string, role: 'in' | 'out', name: string, t: Tensor): RecordedTensor {
    const file = `${String(seq).padStart(4, '0')}-${safe(graph)}-${role}-${safe(name)}.npy`;
    writeNpySync(join(this.dir, file), t);
    return t.quant ? { file, dtype: t.dtype, dims: [...t.dims], quant: t.quant } : { file, dtype: t.dtype, dims: [...t.dims] };
  }

  record(call: { context: string; graph: string; step: string; iteration: readonly number[]; inputs: TensorMap; outputs: TensorMap; ms: number }): void {
    const seq = this.calls.length;
    // Null prototype: tensor names come from the binary ("__proto__" is a name like any other).
    const inputs = nameRecord<RecordedTensor>();
    const outputs = nameRecord<RecordedTensor>();
    for (const [k, t] of Object.entries(call.inputs)) inputs[k] = this.write(seq, call.graph, 'in', k, t);
    for (const [k, t] of Object.entries(call.outputs)) outputs[k] = this.write(seq, call.graph, 'out', k, t);
    this.calls.push({ seq, context: call.context, graph: call.graph, step: call.step, iteration: [...call.iteration], inputs, outputs, ms: call.ms });
  }

  /** Writes index.json (also after a failed or aborted run: what ran is recorded). */
  flush(): void {
    const index: RecordingIndex = { format: 'qnn-node-recording', version: 1, calls: this.calls };
    writeFileSync(join(this.dir, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
  }
}
