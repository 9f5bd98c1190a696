/**
 * The recording folder the pipeline runner writes (`record` option) and the mock backend
 * replays: one `.npy` file per tensor plus `index.json`:
 *
 * ```json
 * { "format": "qnn-node-recording", "version": 1,
 *   "calls": [ { "seq": 0, "context": "llm", "graph": "decode", "step": "/steps/4", "iteration": [3],
 *                "inputs": { "x": { "file": "0000-decode-in-x.npy", "dtype": "float16", "dims": [1, 8] } },
 *                "outputs": { "y": { "file": "0000-decode-out-y.npy", "dtype": "float16", "dims": [1, 8] } } } ] }
 * ```
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QnnNodeError } from '../../errors.js';
import { isIntegerDType } from '../../tensor/convert.js';
import type { DType, QuantParams } from '../../tensor/dtypes.js';
import { readNpySync } from '../../tensor/npy.js';
import type { Tensor } from '../../tensor/Tensor.js';

/** One recorded tensor: the .npy file (relative to the folder) plus what .npy cannot hold. */
export interface RecordedTensor {
  readonly file: string;
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly quant?: QuantParams;
}

export interface RecordedCall {
  readonly seq: number;
  readonly context: string;
  readonly graph: string;
  /** JSON pointer of the manifest step that ran the graph. */
  readonly step?: string;
  /** Loop iteration indices, outermost first. */
  readonly iteration?: readonly number[];
  readonly inputs: Readonly<Record<string, RecordedTensor>>;
  readonly outputs: Readonly<Record<string, RecordedTensor>>;
  /** Milliseconds the graph took when recorded. */
  readonly ms?: number;
}

export interface RecordingIndex {
  readonly format: 'qnn-node-recording';
  readonly version: 1;
  readonly calls: readonly RecordedCall[];
}

export interface Tolerance {
  /** Absolute tolerance for float tensors (default 1e-3). */
  readonly atol?: number;
  /** Relative tolerance for float tensors (default 1e-3). */
  readonly rtol?: number;
}

export function readRecordingIndex(dir: string): RecordingIndex {
  const file = join(dir, 'index.json');
  let parsed: RecordingIndex;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as RecordingIndex;
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
    throw new QnnNodeError(missing ? 'FILE_NOT_FOUND' : 'RECORDING_MISMATCH', `Cannot read recording index ${file}: ${(cause as Error).message}`, {
      cause,
      details: { path: file },
    });
  }
  if (parsed?.format !== 'qnn-node-recording' || parsed.version !== 1 || !Array.isArray(parsed.calls)) {
    throw new QnnNodeError('RECORDING_MISMATCH', `${file} is not a qnn-node recording (format "qnn-node-recording", version 1)`, {
      details: { path: file, format: parsed?.format, version: parsed?.version },
    });
  }
  return parsed;
}

/** Replays calls graph by graph, in recorded order. */
export class RecordingReplayer {
  private readonly byGraph = new Map<string, RecordedCall[]>();
  private readonly next = new Map<string, number>();

  constructor(
    readonly dir: string,
    private readonly tolerance: Tolerance = {},
  ) {
    for (const call of readRecordingIndex(dir).calls) {
      const list = this.byGraph.get(call.graph) ?? [];
      list.push(call);
      this.byGraph.set(call.graph, list);
    }
  }

  has(graph: string): boolean {
    return this.byGraph.has(graph);
  }

  /** The next recorded call of `graph`, with its inputs checked against `inputs`. */
  take(graph: string, inputs: Readonly<Record<string, Tensor>>): Record<string, Tensor> {
    const calls = this.byGraph.get(graph) ?? [];
    const index = this.next.get(graph) ?? 0;
    const call = calls[index];
    if (!call) {
      throw new QnnNodeError('RECORDING_MISMATCH', `Graph ${JSON.stringify(graph)} was called ${index + 1} times but the recording in ${this.dir} has ${calls.length} calls of it`, {
        details: { graph, call: index, recorded: calls.length },
      });
    }
    this.next.set(graph, index + 1);
    for (const [name, rec] of Object.entries(call.inputs)) {
      const actual = Object.prototype.hasOwnProperty.call(inputs, name) ? inputs[name] : undefined;
      if (actual === undefined) continue; // the signature check reports missing inputs
      compareTensor(this.load(rec), actual, { graph, call: index, tensor: name, file: rec.file }, this.tolerance);
    }
    const outputs = Object.create(null) as Record<string, Tensor>; // a name may be '__proto__'
    for (const [name, rec] of Object.entries(call.outputs)) outputs[name] = this.load(rec);
    return outputs;
  }

  private load(rec: RecordedTensor): Tensor {
    return readNpySync(join(this.dir, rec.file), { dtype: rec.dtype, quant: rec.quant });
  }
}

/** Throws RECORDING_MISMATCH naming the tensor and the error when `actual` differs from `expected`. */
export function compareTensor(
  expected: Tensor,
  actual: Tensor,
  where: { graph: string; call: number; tensor: string; file: string },
  tolerance: Tolerance = {},
): void {
  const label = `input ${JSON.stringify(where.tensor)} of graph ${JSON.stringify(where.graph)} (call ${where.call}, ${where.file})`;
  if (expected.dtype !== actual.dtype || expected.size !== actual.size) {
    throw new QnnNodeError(
      'RECORDING_MISMATCH',
      `Recorded ${label} is ${expected.dtype} [${expected.dims.join(', ')}] but received ${actual.dtype} [${actual.dims.join(', ')}]`,
      { details: { ...where, expected: { dtype: expected.dtype, dims: [...expected.dims] }, received: { dtype: actual.dtype, dims: [...actual.dims] } } },
    );
  }
  if (isIntegerDType(expected.dtype) && !expected.quant) {
    const a = expected.data;
    const b = actual.data;
    for (let i = 0; i < a.length; i++) {
      if (a[i] !== b[i]) {
        throw new QnnNodeError('RECORDING_MISMATCH', `Recorded ${label} differs at element ${i}: expected ${String(a[i])}, received ${String(b[i])}`, {
          details: { ...where, index: i, expected: String(a[i]), received: String(b[i]) },
        });
      }
    }
    return;
  }
  const atol = tolerance.atol ?? 1e-3;
  const rtol = tolerance.rtol ?? 1e-3;
  const a = expected.toFloat32();
  const b = actual.toFloat32();
  let worst = -1;
  let worstExcess = 0;
  let maxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    const diff = Math.abs(a[i] - b[i]);
    if (!(diff <= atol + rtol * Math.abs(a[i])) && !(Number.isNaN(a[i]) && Number.isNaN(b[i])) && a[i] !== b[i]) {
      const excess = Number.isNaN(diff) ? Infinity : diff - (atol + rtol * Math.abs(a[i]));
      if (worst < 0 || excess > worstExcess) {
        worst = i;
        worstExcess = excess;
      }
    }
    if (diff > maxAbs) maxAbs = diff;
  }
  if (worst >= 0) {
    throw new QnnNodeError(
      'RECORDING_MISMATCH',
      `Recorded ${label} differs: max abs error ${maxAbs} (worst at element ${worst}: expected ${a[worst]}, received ${b[worst]}; atol ${atol}, rtol ${rtol})`,
      { details: { ...where, maxAbsError: maxAbs, index: worst, expected: a[worst], received: b[worst], atol, rtol } },
    );
  }
}
