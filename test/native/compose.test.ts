// Issue 13: model libraries and DLCs composed on the reference backend (test model library
// and the reference libQnnModelDlc stand-in), finalized, run, serialized and reloaded.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { Qnn, type QnnContext } from '../../lib/backend/qnn/index.js';
import type { ComposeProgress, TensorMap } from '../../lib/backend/types.js';
import { referenceBackendPaths } from '../../lib/native/binding.js';
import { writeReferenceDlc } from '../../lib/reference/dlc.js';
import { encodeReferenceBinary, type ReferenceBinaryDesc } from '../../lib/reference/writer.js';
import { numberToHalf, halfToNumber } from '../../lib/tensor/fp16.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { expectedF16Mul, expectedMlp, expectedU8Add } from '../reference/test-model-spec.js';
import { describeNative, tempDir, withEnv } from './helpers.js';
import { withJournal } from './journal.js';

const MLP_IN = [0.5, -1, 2, 0.25, 1.5, -0.75, 1, 3];
const A = Array.from({ length: 16 }, (_, k) => 100 + 7 * k);
const B = Array.from({ length: 16 }, (_, k) => 200 - 9 * k);
const X = [0.5, 1, -2, 3, 1.25, -0.5, 2, 4];
const Y = [2, 0.5, 0.25, -1, 4, 2, -0.5, 1];

function inputsFor(graph: string): TensorMap {
  switch (graph) {
    case 'f32_mlp':
      return { input: new Tensor('float32', Float32Array.from(MLP_IN), [1, 8]) };
    case 'u8_add':
      return { in_a: new Tensor('ufixed8', Uint8Array.from(A), [1, 16]), in_b: new Tensor('ufixed8', Uint8Array.from(B), [1, 16]) };
    default:
      return { x: new Tensor('float16', Uint16Array.from(X, numberToHalf), [2, 4]), y: new Tensor('float16', Uint16Array.from(Y, numberToHalf), [2, 4]) };
  }
}

/** Every graph run once: output bytes by graph and output name. */
async function runAll(ctx: QnnContext): Promise<Record<string, Record<string, number[]>>> {
  const out: Record<string, Record<string, number[]>> = {};
  for (const g of ctx.graphs) {
    const result = await g.run(inputsFor(g.name));
    out[g.name] = Object.fromEntries(Object.entries(result).map(([k, t]) => [k, Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))]));
  }
  return out;
}

const strip = (ctx: QnnContext) => ctx.graphs.map((g) => ({ name: g.name, inputs: g.inputs, outputs: g.outputs }));

/** A small two-graph model for the DLC path (and the same as a context binary). */
const W = Float32Array.from({ length: 12 }, (_, i) => (i % 5) - 2 + i / 8);
const DLC_MODEL: ReferenceBinaryDesc = {
  statics: [{ name: 'w', dtype: 'float32', dims: [4, 3], data: W }],
  graphs: [
    {
      name: 'proj',
      inputs: [{ name: 'x', dtype: 'float32', dims: [2, 4] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: [2, 3] }],
      tensors: [{ name: 'xw', dtype: 'float32', dims: [2, 3] }],
      nodes: [
        { op: 'MatMul', name: 'mm', inputs: ['x', 'w'], outputs: ['xw'], params: { transpose_in0: false, transpose_in1: false } },
        { op: 'Relu', name: 'act', inputs: ['xw'], outputs: ['y'] },
      ],
    },
    {
      name: 'neg',
      inputs: [{ name: 'a', dtype: 'float32', dims: [3] }],
      outputs: [{ name: 'b', dtype: 'float32', dims: [3] }],
      nodes: [{ op: 'ElementWiseNeg', name: 'n', inputs: ['a'], outputs: ['b'] }],
    },
  ],
};

describeNative('composeModel (issue 13)', () => {
  const dir = tempDir();
  const ref = referenceBackendPaths();

  it('a model library composes f32_mlp, u8_add and f16_mul, which run like retrieved graphs and equal the same graphs loaded from the saved binary', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    const events: ComposeProgress[] = [];
    await using ctx = await qnn.composeModel(ref.testModel, { onProgress: (p) => events.push(p) });
    expect(ctx.origin).toEqual({ kind: 'library', path: ref.testModel });
    expect(ctx.info.graphSource).toBe('composed');
    expect(events.map((e) => [e.phase, e.graph ?? null, e.index, e.count])).toEqual([
      ['compose', null, 0, 1],
      ['finalize', 'f32_mlp', 0, 3],
      ['finalize', 'u8_add', 1, 3],
      ['finalize', 'f16_mul', 2, 3],
    ]);
    const t = ctx.composeTimings!;
    expect(t.composeMs).toBeGreaterThan(0);
    expect(t.finalizeMs).toBeGreaterThanOrEqual(0);
    expect(t.totalMs).toBeGreaterThanOrEqual(t.composeMs + t.finalizeMs);
    expect(ctx.graphs.map((g) => g.name)).toEqual(['f32_mlp', 'u8_add', 'f16_mul']);
    expect(ctx.graph('u8_add').inputs[0]).toMatchObject({ name: 'in_a', dtype: 'ufixed8', dims: [1, 16], quant: { encoding: 'scale-offset', scale: Math.fround(0.05), offset: -128 }, role: 'APP_WRITE' });
    expect(ctx.graph('f16_mul').outputs[0]).toMatchObject({ name: 'product', dtype: 'float16', dims: [2, 4], role: 'APP_READ' });
    expect(typeof ctx.graph('f32_mlp').inputs[0].id).toBe('number');

    const mlp = await ctx.graph('f32_mlp').run(inputsFor('f32_mlp'));
    Array.from(mlp.output.data as Float32Array).forEach((v, j) => expect(v).toBeCloseTo(expectedMlp(MLP_IN)[j], 5));
    const u8 = ctx.graph('u8_add').runSync(inputsFor('u8_add'));
    expect(Array.from(u8.sum.data as Uint8Array)).toEqual(expectedU8Add(A, B));
    const f16 = await ctx.graph('f16_mul').run(inputsFor('f16_mul'));
    expect(Array.from(f16.product.data as Uint16Array, halfToNumber)).toEqual(expectedF16Mul(X, Y));

    // Saved, reloaded: the same graphs (QnnSystem reads them back), the same results, and
    // the reloaded context serializes to the same bytes.
    const file = path.join(dir, 'testmodel.bin');
    const saved = await ctx.saveBinary(file);
    expect(saved.bytes).toBe(readFileSync(file).byteLength);
    await using reloaded = await qnn.loadContext(file);
    expect(reloaded.origin).toEqual({ kind: 'binary', path: file });
    expect(strip(reloaded)).toEqual(strip(ctx));
    expect(await runAll(reloaded)).toEqual(await runAll(ctx));
    expect(Buffer.from(await reloaded.getBinary()).equals(readFileSync(file))).toBe(true);
    expect(Buffer.from(await ctx.getBinary()).equals(readFileSync(file))).toBe(true);
  });

  it('a DLC composes through the reference libQnnModelDlc (by extension, or format: dlc) like the same model loaded as a binary', async () => {
    const dlc = path.join(dir, 'model.dlc');
    writeFileSync(dlc, writeReferenceDlc(DLC_MODEL));
    const renamed = path.join(dir, 'model.bin-like');
    writeFileSync(renamed, writeReferenceDlc(DLC_MODEL));
    const bin = path.join(dir, 'model.bin');
    writeFileSync(bin, encodeReferenceBinary(DLC_MODEL));
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using composed = await qnn.composeModel(dlc);
    await using explicit = await qnn.composeModel(renamed, { format: 'dlc', modelDlc: ref.modelDlc });
    await using loaded = await qnn.loadContext(bin);
    expect(composed.origin).toEqual({ kind: 'dlc', path: dlc });
    expect(explicit.origin).toEqual({ kind: 'dlc', path: renamed });
    const x = new Tensor('float32', Float32Array.from([1, 2, 3, 4, -1, 0.5, 2, -3]), [2, 4]);
    const a = new Tensor('float32', Float32Array.from([1, -2, 3]), [3]);
    for (const ctx of [composed, explicit]) {
      expect(ctx.graphs.map((g) => g.name)).toEqual(['proj', 'neg']);
      expect(Array.from((await ctx.graph('proj').run({ x })).y.data)).toEqual(Array.from((await loaded.graph('proj').run({ x })).y.data));
      expect(Array.from((await ctx.graph('neg').run({ a })).b.data)).toEqual([-1, 2, -3]);
    }
    // Saved and reloaded.
    const saved = await composed.saveBinary(path.join(dir, 'from-dlc.bin'));
    await using again = await qnn.loadContext(saved.path);
    expect(strip(again)).toEqual(strip(composed));
    expect(Array.from((await again.graph('proj').run({ x })).y.data)).toEqual(Array.from((await composed.graph('proj').run({ x })).y.data));
  });

  it('passes a table of the reported core size: the core-2.14 copy composes on a backend emulating core 2.14 (55 slots); the 2.32 library is refused there by its trailing arguments', async () => {
    await withEnv({ QNN_REFERENCE_API_VERSION: 'core=2.14.0,system=1.1.0,backend=5.20.0' }, async () => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      expect(qnn.info.coreApiVersion).toBe('2.14.0');
      expect(qnn.info.coreTableSlots).toBe(55);
      await using ctx = await qnn.composeModel(ref.testModelOldCore);
      expect(ctx.graphs.map((g) => g.name)).toEqual(['f32_mlp', 'u8_add', 'f16_mul']);
      const u8 = await ctx.graph('u8_add').run(inputsFor('u8_add'));
      expect(Array.from(u8.sum.data as Uint8Array)).toEqual(expectedU8Add(A, B));
      const wrong = await qnn.composeModel(ref.testModel).catch((e: unknown) => e);
      expect(wrong).toMatchObject({ code: 'MODEL_COMPOSE_FAILED', details: { modelError: 'MODEL_INVALID_ARGUMENT_ERROR', modelErrorValue: '8' } });
    });
  });

  it('an op the backend lacks is MODEL_COMPOSE_FAILED with the ModelError_t, the backend\'s log lines and its status message', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    // Validated first (backendValidateOpConfig), as generated code does.
    const validated = await withEnv({ QNN_NODE_TEST_MODEL_GRAPHS: 'f32_mlp,invalid_op' }, () => qnn.composeModel(ref.testModel).catch((e: unknown) => e));
    expect(validated).toMatchObject({
      code: 'MODEL_COMPOSE_FAILED',
      details: { modelError: 'MODEL_GRAPH_OP_VALIDATION_ERROR', modelErrorValue: '11', apiFunction: 'backendValidateOpConfig', statusName: 'QNN_BACKEND_ERROR_OP_PACKAGE_NOT_FOUND' },
    });
    const details = (validated as { details: { backendMessages: string[]; backendMessage?: string } }).details;
    expect(details.backendMessages.some((m) => m.startsWith('error: ') && m.includes('QnnNodeNoSuchOp'))).toBe(true);
    expect(details.backendMessage).toContain('QnnNodeNoSuchOp');
    expect(String((validated as Error).message)).toContain('QnnNodeNoSuchOp');
    // Not validated: graphAddNode refuses it.
    const added = await withEnv({ QNN_NODE_TEST_MODEL_GRAPHS: 'invalid_op', QNN_NODE_MODEL_NODE_VALIDATION: '0' }, () => qnn.composeModel(ref.testModel).catch((e: unknown) => e));
    expect(added).toMatchObject({ code: 'MODEL_COMPOSE_FAILED', details: { apiFunction: 'graphAddNode' } });
    // A DLC naming an op the stand-in's reader does not know: its own message.
    const bad = path.join(dir, 'bad-op.dlc');
    const model: ReferenceBinaryDesc = { graphs: [{ name: 'g', inputs: [{ name: 'x', dtype: 'float32', dims: [2] }], outputs: [{ name: 'y', dtype: 'float32', dims: [2] }], nodes: [{ op: 'Frobnicate' as 'Relu', name: 'frob', inputs: ['x'], outputs: ['y'] }] }] };
    writeFileSync(bad, writeReferenceDlc(model));
    const dlcErr = await qnn.composeModel(bad).catch((e: unknown) => e);
    expect(dlcErr).toMatchObject({ code: 'MODEL_COMPOSE_FAILED', details: { modelError: 'MODEL_INVALID_ARGUMENT_ERROR' } });
    expect((dlcErr as { details: { backendMessages: string[] } }).details.backendMessages.join('\n')).toContain("unsupported op 'Frobnicate'");
    // The backend is fine afterwards.
    await using ok = await qnn.composeModel(ref.testModel);
    expect(ok.graphs).toHaveLength(3);
  });

  it('sends named graph configs with graphCreate and the common one with graphSetConfig before finalize; an unknown graph name is UNKNOWN_GRAPH', async () => {
    await withJournal(dir, async (journal) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.composeModel(ref.testModel, { priority: 'low', graphConfig: { priority: 'normal_high' }, graphConfigs: { u8_add: { priority: 'high' } } });
      expect(ctx.graphs).toHaveLength(3);
      const created = journal.entries('graphCreate');
      expect(created.find((e) => e.graph === 'u8_add')?.configs).toEqual([{ option: 'PRIORITY', priority: 200 }]);
      expect(created.find((e) => e.graph === 'f32_mlp')?.configs).toEqual([]);
      const set = journal.entries('graphSetConfig');
      expect(set.map((e) => [e.graph, e.configs])).toEqual([
        ['f32_mlp', [{ option: 'PRIORITY', priority: 150 }]],
        ['f16_mul', [{ option: 'PRIORITY', priority: 150 }]],
      ]);
      // Set before the graph was finalized.
      const order = journal.entries().filter((e) => e.call === 'graphSetConfig' || e.call === 'graphFinalize').map((e) => `${e.call}:${e.graph}`);
      expect(order.indexOf('graphSetConfig:f32_mlp')).toBeLessThan(order.indexOf('graphFinalize:f32_mlp'));
      await expect(qnn.composeModel(ref.testModel, { graphConfigs: { nope: { priority: 'high' } } })).rejects.toMatchObject({ code: 'UNKNOWN_GRAPH', details: { graph: 'nope' } });
    });
  });

  it('profiles the finalize calls with options.profile (ctx.loadProfile)', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.composeModel(ref.testModel, { profile: 'basic' });
    const events = ctx.loadProfile!.events;
    expect(events.length).toBe(3);
    expect(events.map((e) => [e.type, e.typeName])).toEqual([[300, 'finalize'], [300, 'finalize'], [300, 'finalize']]);
    await using plain = await qnn.composeModel(ref.testModel);
    expect(plain.loadProfile).toBeUndefined();
  });

  it('disposing the backend while a composition runs frees the late context; a disposed context refuses runs', async () => {
    const qnn = await Qnn.load({ backend: 'reference' });
    const pending = qnn.composeModel(ref.testModel);
    const disposing = qnn.dispose();
    const ctx = await pending.catch((e: unknown) => e);
    await disposing;
    if (ctx instanceof Error) expect(ctx).toMatchObject({ code: 'DISPOSED' });
    else expect(() => (ctx as QnnContext).graph('f32_mlp')).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    await expect(qnn.composeModel(ref.testModel)).rejects.toMatchObject({ code: 'DISPOSED' });
  });
});
