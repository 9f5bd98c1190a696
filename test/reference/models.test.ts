/**
 * The model libraries (native/reference-backend/models) against the model probe's recording
 * table: what the test model library and the QnnModelDlc stand-in send through the QNN API
 * (graphs, tensors, static data, nodes, params, configs), the GraphInfo_t they return, the
 * by-value table size check, logging, debug mode, op validation and the stand-in's errors
 * on hostile files. Missing probe: skipped locally, a failure when CI is set.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { referenceBackendPaths } from '../../lib/native/binding.js';
import { crc32 } from '../../lib/reference/format.js';
import { DLC_HEADER, DLC_HEADER_SIZE, referenceDlcBody, writeReferenceDlc } from '../../lib/reference/dlc.js';
import type { ReferenceBinaryDesc } from '../../lib/reference/writer.js';
import { Prng } from '../../lib/random.js';
import { hexBytes, modelProbe, modelProbeCandidates, runProbe, type ProbeRun, type ProbeTensor } from './model-probe.js';
import { QNN_DTYPE, TENSOR_TYPE, TEST_MODEL_GRAPHS, expectedF16Mul, expectedMlp, expectedU8Add } from './test-model-spec.js';

const dir = mkdtempSync(join(tmpdir(), 'qnn-models-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let libs: ReturnType<typeof referenceBackendPaths> | undefined;
try {
  libs = referenceBackendPaths();
} catch {
  libs = undefined;
}
const ready = modelProbe !== undefined && libs !== undefined;
const fake = (lib: string, args: string[] = [], env: Record<string, string | undefined> = {}): ProbeRun =>
  runProbe(['--model', lib, '--fake', ...args], { QNN_NODE_TEST_MODEL_GRAPHS: undefined, QNN_NODE_MODEL_NODE_VALIDATION: undefined, ...env });
const fakeDlc = (file: string, args: string[] = []): ProbeRun => runProbe(['--dlc-lib', libs!.modelDlc, '--dlc', file, '--fake', ...args]);

function expectClean(r: ProbeRun): void {
  expect(r.signal, r.stderr).toBeNull();
  expect(r.status, r.stderr).toBe(0);
}

describe('model libraries (model probe, recording table)', () => {
  it('finds the probe executable', () => {
    if (!modelProbe && process.env.CI) expect.fail(`qnnref_model_probe not found (tried ${modelProbeCandidates.join(', ')})`);
  });

  it.skipIf(!ready)('the test model library composes f32_mlp, u8_add and f16_mul exactly as specified', () => {
    const r = fake(libs!.testModel);
    expectClean(r);
    expect(r.of('entryPoints')[0]).toMatchObject({ composeGraphs: true, freeGraphsInfo: true, composeGraphsFromDlc: false });
    const c = r.compose();
    expect(c.rc).toBe(0);
    expect(c.slots).toBe(71);
    expect(r.of('graphCreate').map((g) => g.graph)).toEqual(TEST_MODEL_GRAPHS.map((g) => g.name));
    for (const spec of TEST_MODEL_GRAPHS) {
      const created = r.of('tensorCreateGraphTensor').filter((e) => e.graph === spec.name).map((e) => e.tensor);
      expect(created.map((t) => t.name)).toEqual(spec.tensors.map((t) => t.name));
      for (const [i, t] of spec.tensors.entries()) {
        const got = created[i];
        expect(got.version).toBe(2);
        expect({ type: got.type, dtype: got.dtype, dims: got.dims }).toEqual({ type: t.type, dtype: t.dtype, dims: t.dims });
        if (t.quant) expect(got.quant).toEqual({ encoding: 'scale-offset', scale: expect.closeTo(t.quant.scale, 9), offset: t.quant.offset });
        else expect(got.quant).toBeNull();
        if (t.data) expect(hexBytes(got.data!)).toEqual(t.data);
        else expect(got.data).toBeUndefined();
      }
      const ids = new Map(created.map((t) => [t.name, t.id]));
      const nodes = r.of('graphAddNode').filter((e) => e.graph === spec.name).map((e) => e.op);
      expect(nodes.map((n) => ({ name: n.name, type: n.type, inputs: n.inputs, outputs: n.outputs, package: n.package }))).toEqual(
        spec.nodes.map((n) => ({ name: n.name, type: n.type, inputs: n.inputs, outputs: n.outputs, package: 'qti.aisw' })),
      );
      for (const [i, n] of spec.nodes.entries()) {
        expect(nodes[i].inputIds).toEqual(n.inputs.map((name) => ids.get(name)));
        expect(nodes[i].params).toEqual(n.params.map((p) => ({ name: p.name, scalar: { dtype: p.dtype, value: p.value } })));
      }
      // Every node was validated before it was added.
      expect(r.of('backendValidateOpConfig').filter((e) => spec.nodes.some((n) => n.name === e.op.name)).map((e) => e.accepted)).toEqual(
        spec.nodes.map(() => true),
      );
      // GraphInfo_t: copies of the created app tensors, with the backend's ids.
      const info = c.graphs.find((g) => g.name === spec.name)!;
      const strip = (t: ProbeTensor) => ({ id: t.id, name: t.name, type: t.type, dtype: t.dtype, dims: t.dims, quant: t.quant });
      expect(info.inputs.map(strip)).toEqual(spec.inputs.map((n) => strip(created.find((t) => t.name === n)!)));
      expect(info.outputs.map(strip)).toEqual(spec.outputs.map((n) => strip(created.find((t) => t.name === n)!)));
    }
    expect(r.of('free')[0]).toEqual({ event: 'free', rc: 0, cleared: true });
  });

  it.skipIf(!ready)('the core-2.14 copy takes a 55-slot table (v1 tensors) and refuses a 71-slot one by its trailing arguments', () => {
    const ok = fake(libs!.testModelOldCore, ['--slots', '55']);
    expectClean(ok);
    expect(ok.compose()).toMatchObject({ rc: 0, slots: 55 });
    expect(ok.compose().graphs.map((g) => g.name)).toEqual(['f32_mlp', 'u8_add', 'f16_mul']);
    expect(new Set(ok.of('tensorCreateGraphTensor').map((e) => e.tensor.version))).toEqual(new Set([1]));

    const wrong = fake(libs!.testModelOldCore, ['--slots', '71']);
    expectClean(wrong);
    expect(wrong.compose().rc).toBe(8); // MODEL_INVALID_ARGUMENT_ERROR
    expect(wrong.of('graphCreate')).toEqual([]);
    expect(wrong.stderr).toMatch(/not the 55-slot table of core API 2\.14/);

    const short = fake(libs!.testModel, ['--slots', '55']);
    expect(short.compose().rc).toBe(8);
    expect(short.stderr).toMatch(/not the 71-slot table of core API 2\.32/);
  });

  it.skipIf(!ready)('garbage debug or maxLogLevel is refused with MODEL_INVALID_ARGUMENT_ERROR and a log line', () => {
    const badDebug = fake(libs!.testModel, ['--raw-debug', '7']);
    expect(badDebug.compose().rc).toBe(8);
    expect(badDebug.stderr).toMatch(/debug is not 0 or 1 \(debug=7/);
    const badLevel = fake(libs!.testModel, ['--raw-log-level', '4096']);
    expect(badLevel.compose().rc).toBe(8);
    expect(badLevel.stderr).toMatch(/maxLogLevel is beyond/);
  });

  it.skipIf(!ready)('logs through the callback up to maxLogLevel only', () => {
    const quiet = fake(libs!.testModel, ['--log-level', '1']);
    expect(quiet.compose().rc).toBe(0);
    expect(quiet.of('log')).toEqual([]);
    const loud = fake(libs!.testModel, ['--log-level', '5']);
    const levels = new Set(loud.of('log').map((l) => l.level));
    expect(levels).toEqual(new Set([3, 5]));
    expect(loud.of('log').map((l) => l.message)).toContain("QnnModel_composeGraphs: composed graph 'u8_add' (5 tensors, 2 nodes)");
  });

  it.skipIf(!ready)('debug makes intermediates APP_READ graph outputs, as generated code does', () => {
    const r = fake(libs!.testModel, ['--debug', '1']);
    const mlp = r.compose().graphs.find((g) => g.name === 'f32_mlp')!;
    expect(mlp.outputs.map((t) => [t.name, t.type])).toEqual([
      ['fc_matmul_out', TENSOR_TYPE.APP_READ],
      ['fc_add_out', TENSOR_TYPE.APP_READ],
      ['output', TENSOR_TYPE.APP_READ],
    ]);
  });

  it.skipIf(!ready)('graph configs reach only the graph they name', () => {
    const r = fake(libs!.testModel, ['--config-graph', 'u8_add']);
    expect(r.of('graphCreate').map((g) => [g.graph, g.configs])).toEqual([
      ['f32_mlp', 0],
      ['u8_add', 1],
      ['f16_mul', 0],
    ]);
  });

  it.skipIf(!ready)('a node the backend refuses stops composition with MODEL_GRAPH_OP_VALIDATION_ERROR before graphAddNode', () => {
    const r = fake(libs!.testModel, ['--log-level', '1'], { QNN_NODE_TEST_MODEL_GRAPHS: 'f32_mlp,invalid_op' });
    expectClean(r);
    expect(r.compose().rc).toBe(11);
    expect(r.of('graphAddNode').map((e) => e.op.name)).toEqual(['fc_matmul', 'fc_bias_add', 'fc_relu']);
    expect(r.of('log').map((l) => l.message)).toContain("graph 'invalid_op': backendValidateOpConfig refused node 'no_such_op' (op QnnNodeNoSuchOp) with 4004");
    // Validation off (generated code's DO_GRAPH_NODE_VALIDATIONS=0): graphAddNode refuses it.
    const off = fake(libs!.testModel, [], { QNN_NODE_TEST_MODEL_GRAPHS: 'invalid_op', QNN_NODE_MODEL_NODE_VALIDATION: '0' });
    expect(off.of('backendValidateOpConfig')).toEqual([]);
    expect(off.of('graphAddNode').map((e) => e.op.name)).toEqual(['no_such_op']);
    expect(off.compose().rc).toBe(4); // MODEL_GRAPH_ERROR
    const unknown = fake(libs!.testModel, [], { QNN_NODE_TEST_MODEL_GRAPHS: 'f32_mlp,nope' });
    expect(unknown.compose().rc).toBe(8);
  });
});

// A DLC exercising what the stand-in translates: statics (float, per-axis quantized), every
// param kind, several graphs sharing a static.
const W = Float32Array.from({ length: 12 }, (_, i) => (i - 6) / 4);
const DLC_DESC: ReferenceBinaryDesc = {
  statics: [
    { name: 'w', dtype: 'float32', dims: [4, 3], data: W },
    {
      name: 'wq',
      dtype: 'ufixed8',
      dims: [2, 3],
      quant: { encoding: 'axis-scale-offset', axis: 0, scales: [0.5, 0.25], offsets: [-8, -16] },
      data: Uint8Array.from([1, 2, 3, 4, 5, 6]),
    },
  ],
  graphs: [
    {
      name: 'proj',
      inputs: [{ name: 'x', dtype: 'float32', dims: [2, 4] }],
      outputs: [{ name: 'p', dtype: 'float32', dims: [3, 2] }],
      tensors: [
        { name: 'xw', dtype: 'float32', dims: [2, 3] },
        { name: 's', dtype: 'float32', dims: [2, 3] },
      ],
      nodes: [
        { op: 'MatMul', name: 'mm', inputs: ['x', 'w'], outputs: ['xw'], params: { transpose_in0: false, transpose_in1: false } },
        { op: 'Softmax', name: 'sm', inputs: ['xw'], outputs: ['s'], params: { axis: 1, beta: { float: 0.5 } } },
        { op: 'Transpose', name: 'tr', inputs: ['s'], outputs: ['p'], params: { perm: [1, 0] } },
      ],
    },
    {
      name: 'deq',
      inputs: [],
      outputs: [{ name: 'r', dtype: 'float32', dims: [2, 3] }],
      nodes: [{ op: 'Dequantize', name: 'dq', inputs: ['wq'], outputs: ['r'] }],
    },
  ],
};

describe('the QnnModelDlc stand-in (model probe, recording table)', () => {
  it('writeReferenceDlc lays out the QNNRDLC1 header around a reference model', () => {
    const bytes = writeReferenceDlc(DLC_DESC);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe('QNNRDLC1');
    expect(view.getUint32(DLC_HEADER.version, true)).toBe(1);
    expect(view.getUint32(DLC_HEADER.headerSize, true)).toBe(64);
    expect(Number(view.getBigUint64(DLC_HEADER.bodyOffset, true))).toBe(64);
    expect(Number(view.getBigUint64(DLC_HEADER.bodySize, true))).toBe(bytes.length - 64);
    expect(view.getUint32(DLC_HEADER.graphCount, true)).toBe(2);
    const body = referenceDlcBody(bytes);
    expect(new TextDecoder().decode(body.subarray(0, 8))).toBe('QNNREF01');
    expect(view.getUint32(DLC_HEADER.bodyCrc, true)).toBe(crc32(body));
    const damaged = bytes.slice();
    damaged[DLC_HEADER_SIZE + 200] ^= 1;
    expect(() => referenceDlcBody(damaged)).toThrow(/body CRC/);
  });

  it.skipIf(!ready)('exports the three entry points; composeGraphs without a path is refused', () => {
    const r = runProbe(['--model', libs!.modelDlc, '--fake', '--log-level', '1']);
    expect(r.of('entryPoints')[0]).toMatchObject({ composeGraphs: true, composeGraphsFromDlc: true, freeGraphsInfo: true });
    expect(r.compose().rc).toBe(8);
    expect(r.of('log')[0].message).toMatch(/call QnnModel_composeGraphsFromDlc with the DLC's path/);
  });

  it.skipIf(!ready)('composes every graph of a reference DLC through the table', () => {
    const file = join(dir, 'model.dlc');
    writeFileSync(file, writeReferenceDlc(DLC_DESC));
    const r = fakeDlc(file);
    expectClean(r);
    const c = r.compose();
    expect(c.rc).toBe(0);
    expect(c.graphs.map((g) => [g.name, g.inputs.map((t) => t.name), g.outputs.map((t) => t.name)])).toEqual([
      ['proj', ['x'], ['p']],
      ['deq', [], ['r']],
    ]);
    const tensors = (g: string) => r.of('tensorCreateGraphTensor').filter((e) => e.graph === g).map((e) => e.tensor);
    expect(tensors('proj').map((t) => [t.name, t.type])).toEqual([
      ['x', TENSOR_TYPE.APP_WRITE],
      ['p', TENSOR_TYPE.APP_READ],
      ['w', TENSOR_TYPE.STATIC],
      ['xw', TENSOR_TYPE.NATIVE],
      ['s', TENSOR_TYPE.NATIVE],
      ['tr.perm', TENSOR_TYPE.STATIC], // array params travel as STATIC tensor params
    ]);
    const w = tensors('proj').find((t) => t.name === 'w')!;
    expect(hexBytes(w.data!)).toEqual(new Uint8Array(W.buffer));
    const wq = tensors('deq').find((t) => t.name === 'wq')!;
    expect(wq).toMatchObject({ dtype: QNN_DTYPE.ufixed8, dims: [2, 3], quant: { encoding: 'axis-scale-offset', axis: 0, scales: [0.5, 0.25], offsets: [-8, -16] } });
    expect(hexBytes(wq.data!)).toEqual(Uint8Array.from([1, 2, 3, 4, 5, 6]));
    const ops = r.of('graphAddNode').map((e) => e.op);
    expect(ops.map((o) => [o.name, o.type, o.inputs, o.outputs])).toEqual([
      ['mm', 'MatMul', ['x', 'w'], ['xw']],
      ['sm', 'Softmax', ['xw'], ['s']],
      ['tr', 'Transpose', ['s'], ['p']],
      ['dq', 'Dequantize', ['wq'], ['r']],
    ]);
    expect(ops[0].params).toEqual([
      { name: 'transpose_in0', scalar: { dtype: QNN_DTYPE.bool8, value: 0 } },
      { name: 'transpose_in1', scalar: { dtype: QNN_DTYPE.bool8, value: 0 } },
    ]);
    expect(ops[1].params).toEqual([
      { name: 'axis', scalar: { dtype: QNN_DTYPE.int32, value: 1 } },
      { name: 'beta', scalar: { dtype: QNN_DTYPE.float32, value: 0.5 } },
    ]);
    expect(ops[2].params).toEqual([{ name: 'perm', tensor: expect.objectContaining({ name: 'tr.perm', type: TENSOR_TYPE.STATIC, dtype: QNN_DTYPE.int32, dims: [2], data: '0100000000000000' }) }]);
    expect(r.of('free')[0]).toEqual({ event: 'free', rc: 0, cleared: true });
  });

  it.skipIf(!ready)('a missing file is MODEL_FILE_ERROR, a bad one MODEL_INVALID_ARGUMENT_ERROR, each with a log line naming path and offset', () => {
    const missing = fakeDlc(join(dir, 'absent.dlc'), ['--log-level', '1']);
    expect(missing.compose().rc).toBe(9);
    expect(missing.of('log').map((l) => l.message)).toEqual([`QnnModel_composeGraphsFromDlc: cannot read DLC file '${join(dir, 'absent.dlc')}'`]);
    const good = writeReferenceDlc(DLC_DESC);
    const cases: [string, Uint8Array, RegExp][] = [
      ['magic', Uint8Array.from([...new TextEncoder().encode('QNNREF01'), ...good.subarray(8)]), /at offset 0: magic is not QNNRDLC1/],
      ['short', good.subarray(0, 40), /at offset 40: file of 40 bytes is shorter than the 64-byte QNNRDLC1 header/],
      ['truncated', good.subarray(0, good.length - 10), /at offset 24: body size/],
      ['crc', (() => { const b = good.slice(); b[300] ^= 0x40; return b; })(), /at offset 32: body CRC-32 mismatch/],
    ];
    for (const [name, bytes, message] of cases) {
      const file = join(dir, `${name}.dlc`);
      writeFileSync(file, bytes);
      const r = fakeDlc(file, ['--log-level', '1']);
      expectClean(r);
      expect(r.compose().rc, name).toBe(8);
      expect(r.of('log').map((l) => l.message).join('\n'), name).toMatch(message);
      expect(r.of('log')[0].message).toContain(file);
    }
  });

  it.skipIf(!ready)('hostile DLCs (mutated bodies with a fixed-up CRC) never crash the stand-in', { timeout: 120_000 }, () => {
    const good = writeReferenceDlc(DLC_DESC);
    const rng = new Prng(1313);
    const outcomes = new Map<number, number>();
    for (let i = 0; i < 150; i++) {
      const b = good.slice();
      const flips = 1 + (rng.nextUint32() % 4);
      for (let k = 0; k < flips; k++) {
        const at = DLC_HEADER_SIZE + (rng.nextUint32() % (b.length - DLC_HEADER_SIZE));
        b[at] = rng.nextUint32() % 3 === 0 ? 0xff : rng.nextUint32() & 0xff;
      }
      new DataView(b.buffer).setUint32(DLC_HEADER.bodyCrc, crc32(b.subarray(DLC_HEADER_SIZE)), true);
      const file = join(dir, `fuzz-${i}.dlc`);
      writeFileSync(file, b);
      const r = fakeDlc(file, ['--log-level', '0']);
      expect(r.signal, `case ${i}: ${r.stderr}`).toBeNull();
      expect(r.status, `case ${i}: ${r.stderr}`).toBe(0);
      const rc = r.compose().rc;
      expect([0, 8], `case ${i}`).toContain(rc);
      outcomes.set(rc, (outcomes.get(rc) ?? 0) + 1);
      rmSync(file);
    }
    // Most mutations hit metadata the parser rejects; some land in static data and compose.
    expect(outcomes.get(8)).toBeGreaterThan(0);
  });
});

describe('model libraries composed, finalized and executed on the reference backend (model probe)', () => {
  const onReference = (args: string[], env: Record<string, string | undefined> = {}): ProbeRun =>
    runProbe([...args, '--backend', libs!.backend, '--execute', '--binary', join(dir, 'composed.bin'), '--log-level', '2'], {
      QNN_NODE_TEST_MODEL_GRAPHS: undefined,
      QNN_REFERENCE_API_VERSION: undefined,
      QNN_REFERENCE_FAIL: undefined,
      ...env,
    });

  it.skipIf(!ready)('f32_mlp, u8_add and f16_mul compute what their formulas say, and the context serializes', () => {
    const r = onReference(['--model', libs!.testModel]);
    expectClean(r);
    expect(r.compose()).toMatchObject({ rc: 0, slots: 71 });
    expect(r.of('finalize').map((f) => [f.graph, f.rc])).toEqual([
      ['f32_mlp', 0],
      ['u8_add', 0],
      ['f16_mul', 0],
    ]);
    const run = (g: string) => r.of('execute').find((e) => e.graph === g)!;
    const mlp = run('f32_mlp');
    expect(mlp.rc).toBe(0);
    expectedMlp(mlp.inputs[0].values).forEach((v, j) => expect(mlp.outputs[0].values[j]).toBeCloseTo(v, 5));
    const u8 = run('u8_add');
    const want = expectedU8Add(u8.inputs[0].values, u8.inputs[1].values);
    u8.outputs[0].values.forEach((q, k) => expect(Math.abs(q - want[k]), `sum[${k}]`).toBeLessThanOrEqual(1));
    const f16 = run('f16_mul');
    expect(f16.outputs[0].values).toEqual(expectedF16Mul(f16.inputs[0].values, f16.inputs[1].values));
    expect(r.of('binary')[0].rc).toBe(0);
    expect(r.of('binary')[0].size).toBeGreaterThan(0);
  });

  it.skipIf(!ready)('the core-2.14 copy composes on the backend emulating core 2.14; the current library is refused there', () => {
    const env = { QNN_REFERENCE_API_VERSION: 'core=2.14.0,system=1.1.0,backend=5.20.0' };
    const old = onReference(['--model', libs!.testModelOldCore], env);
    expectClean(old);
    expect(old.of('backend')[0].core).toBe('2.14.0');
    expect(old.compose()).toMatchObject({ rc: 0, slots: 55 });
    const mlp = old.of('execute').find((e) => e.graph === 'f32_mlp')!;
    expectedMlp(mlp.inputs[0].values).forEach((v, j) => expect(mlp.outputs[0].values[j]).toBeCloseTo(v, 5));
    const current = onReference(['--model', libs!.testModel], env);
    expect(current.compose()).toMatchObject({ rc: 8, slots: 55 });
  });

  it.skipIf(!ready)('the reference backend refuses the unknown op at backendValidateOpConfig', () => {
    const r = onReference(['--model', libs!.testModel], { QNN_NODE_TEST_MODEL_GRAPHS: 'invalid_op' });
    expect(r.compose().rc).toBe(11);
    expect(r.of('log').map((l) => l.message).join('\n')).toMatch(/backendValidateOpConfig refused node 'no_such_op' \(op QnnNodeNoSuchOp\)/);
  });

  it.skipIf(!ready)('a reference DLC composes and runs through the stand-in', () => {
    const file = join(dir, 'run.dlc');
    writeFileSync(file, writeReferenceDlc(DLC_DESC));
    const r = onReference(['--dlc-lib', libs!.modelDlc, '--dlc', file]);
    expectClean(r);
    expect(r.compose().rc).toBe(0);
    const proj = r.of('execute').find((e) => e.graph === 'proj')!;
    expect(proj.rc).toBe(0);
    // p = transpose(softmax(0.5 * x·w, axis 1))
    const x = proj.inputs[0].values;
    const p = proj.outputs[0].values;
    for (let row = 0; row < 2; row++) {
      const logits = [0, 1, 2].map((c) => 0.5 * [0, 1, 2, 3].reduce((acc, k) => acc + x[row * 4 + k] * W[k * 3 + c], 0));
      const max = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - max));
      const sum = e.reduce((a, b) => a + b, 0);
      e.forEach((v, c) => expect(p[c * 2 + row]).toBeCloseTo(v / sum, 5));
    }
    const deq = r.of('execute').find((e) => e.graph === 'deq')!;
    expect(deq.outputs[0].values).toEqual([1, 2, 3, 4, 5, 6].map((q, i) => (i < 3 ? 0.5 * (q - 8) : 0.25 * (q - 16))));
  });
});
