/**
 * `qnn-node run --record <dir>`: the recording folder the mock backend replays
 * (lib/backend/mock/recording.ts): one .npy per tensor plus index.json, and the
 * context's signature.json next to it, so `qnn-node run --mock <dir>/signature.json
 * --replay <dir>` reproduces the run without the device.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ContextSignature, TensorMap } from '../backend/types.js';
import type { RecordedCall, RecordedTensor, RecordingIndex } from '../backend/mock/recording.js';
import { writeNpySync } from '../tensor/npy.js';
import { toJson } from './output/json.js';

/** A tensor or graph name made safe for a file name. */
export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_');
}

export class RecordingWriter {
  private readonly calls: RecordedCall[] = [];

  constructor(
    readonly dir: string,
    private readonly contextName: string,
  ) {
    fs.mkdirSync(dir, { recursive: true });
  }

  private writeTensors(seq: number, graph: string, dir: 'in' | 'out', tensors: TensorMap): Record<string, RecordedTensor> {
    const out: Record<string, RecordedTensor> = {};
    for (const [name, t] of Object.entries(tensors)) {
      const file = `${String(seq).padStart(4, '0')}-${safeName(graph)}-${dir}-${safeName(name)}.npy`;
      writeNpySync(path.join(this.dir, file), t);
      out[name] = { file, dtype: t.dtype, dims: [...t.dims], ...(t.quant ? { quant: t.quant } : {}) };
    }
    return out;
  }

  add(graph: string, inputs: TensorMap, outputs: TensorMap, ms: number): void {
    const seq = this.calls.length;
    this.calls.push({
      seq,
      context: this.contextName,
      graph,
      inputs: this.writeTensors(seq, graph, 'in', inputs),
      outputs: this.writeTensors(seq, graph, 'out', outputs),
      ms,
    });
  }

  /** Writes index.json and signature.json. */
  finish(signature: ContextSignature): void {
    const index: RecordingIndex = { format: 'qnn-node-recording', version: 1, calls: this.calls };
    fs.writeFileSync(path.join(this.dir, 'index.json'), toJson(index));
    fs.writeFileSync(path.join(this.dir, 'signature.json'), toJson(signature));
  }
}
