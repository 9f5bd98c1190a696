/**
 * Conformance: the test model library composed on the real libQnnSaver (SDK x86_64 Linux
 * host library in $QNN_SDK_ROOT), through the model probe, and Saver's recording of every
 * tensor and node checked against the specification (test/reference/test-model-spec.ts);
 * and the real libQnnModelDlc.so: loads, exports its three entry points, and answers our
 * calls. Opt-in: skipped unless QNN_SDK_ROOT is set (docs/conformance.md).
 *
 * Measured with SDK 2.25 (Saver reports core API 2.18, a 62-slot table):
 * - the library built for the newest table (71 slots) refuses Saver's 62-slot table with
 *   MODEL_INVALID_ARGUMENT_ERROR (its trailing arguments arrive shifted);
 * - Saver refuses a STATIC FLOAT_16 tensor (it cannot store fp16 data) at tensorCreateGraphTensor (7999, "Invalid
 *   Qnn_DataType_t provided: 534"), so f16_mul cannot be recorded; f32_mlp and u8_add are;
 * - libQnnModelDlc's QnnModel_composeGraphs returns MODEL_NO_ERROR with no graphs, and its
 *   composeGraphsFromDlc answers MODEL_GRAPH_ERROR (4) for a missing or non-DLC file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceBackendPaths } from '../../lib/native/binding.js';
import { writeReferenceDlc } from '../../lib/reference/dlc.js';
import { exampleDescription } from '../../lib/cli/example.js';
import { modelProbe, runProbe } from '../reference/model-probe.js';
import { TEST_MODEL_GRAPHS } from '../reference/test-model-spec.js';
import { HOST_RUNS_SDK_LIBS, SDK_ROOT, cxxCompiler, sdkLibrary } from './helpers.js';
import { buildTestModelForCore } from './model-lib-build.js';
import { readSaverRecording } from './saver-recording.js';

const SAVER = sdkLibrary('libQnnSaver.so');
const MODEL_DLC = sdkLibrary('libQnnModelDlc.so');
const CXX = cxxCompiler();
const ready = Boolean(SDK_ROOT) && HOST_RUNS_SDK_LIBS && Boolean(SAVER) && modelProbe !== undefined && CXX !== undefined;

describe.skipIf(!ready)('conformance: the test model library composed on the real libQnnSaver', () => {
  let work = '';
  let lib = '';
  let coreMinor = 0;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'qnn-node-model-saver-'));
  });
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the library built for the newest table refuses Saver\'s smaller table', () => {
    const r = runProbe(['--model', referenceBackendPaths().testModel, '--backend', SAVER!], {}, { cwd: work });
    const backend = r.of('backend')[0];
    console.info(`libQnnSaver: core ${backend.core}, backend API ${backend.backendApi}, ${r.of('buildId')[0]?.id}`);
    coreMinor = Number(backend.core.split('.')[1]);
    expect(r.compose()).toMatchObject({ rc: 8, slots: expect.any(Number) });
    expect(r.compose().slots).toBeLessThan(71);
    expect(r.stderr).toMatch(/not the 71-slot table of core API 2\.32/);
  });

  it('records every tensor and node of f32_mlp and u8_add exactly as the library composed them', { timeout: 120_000 }, () => {
    lib = buildTestModelForCore(CXX!, coreMinor, join(work, `libQnnNodeTestModelCore2${coreMinor}.so`));
    const r = runProbe(['--model', lib, '--backend', SAVER!, '--execute', '--log-level', '3'], { QNN_NODE_TEST_MODEL_GRAPHS: 'f32_mlp,u8_add' }, { cwd: work });
    expect(r.status, r.stderr).toBe(0);
    expect(r.compose().rc).toBe(0);
    const rec = readSaverRecording(join(work, 'saver_output'));
    const specs = TEST_MODEL_GRAPHS.filter((g) => g.name !== 'f16_mul');
    expect(rec.graphs).toEqual(specs.map((g) => g.name));
    expect(rec.finalized).toEqual(rec.graphs);
    expect(rec.executed).toEqual(rec.graphs);
    for (const spec of specs) {
      const tensors = rec.tensors.filter((t) => t.graph === spec.name).map((t) => t.tensor);
      expect(tensors.map((t) => t.name)).toEqual(spec.tensors.map((t) => t.name));
      for (const [i, t] of spec.tensors.entries()) {
        const got = tensors[i];
        expect({ type: got.type, dtype: got.dtype, dims: got.dims }, t.name).toEqual({ type: t.type, dtype: Number(t.dtype), dims: t.dims });
        if (t.quant) expect(got.quant, t.name).toEqual({ definition: 1, encoding: 0, scale: expect.closeTo(t.quant.scale, 8), offset: t.quant.offset });
        else expect(got.quant, t.name).toBeNull();
        if (t.data) expect(got.data, t.name).toEqual(t.data);
      }
      const nodes = rec.nodes.filter((n) => n.graph === spec.name).map((n) => n.op);
      expect(nodes).toEqual(
        spec.nodes.map((n) => ({
          name: n.name,
          package: 'qti.aisw',
          type: n.type,
          inputs: n.inputs,
          outputs: n.outputs,
          params: n.params.map((p) => ({ name: p.name, kind: 'scalar', dtype: Number(p.dtype), value: p.value })),
        })),
      );
      // Each node was validated (backendValidateOpConfig) before graphAddNode, with the same config.
      expect(rec.validated.filter((v) => spec.nodes.some((n) => n.name === v.name))).toEqual(nodes);
    }
  });

  it('f16_mul: Saver 2.25 takes fp16 app tensors but refuses the static fp16 gain, and the refusal comes back as MODEL_TENSOR_ERROR', () => {
    const r = runProbe(['--model', lib, '--backend', SAVER!, '--backend-log', '1', '--log-level', '1'], { QNN_NODE_TEST_MODEL_GRAPHS: 'f16_mul' }, { cwd: work });
    const rc = r.compose().rc;
    if (rc === 0) {
      // A Saver that records fp16: then its recording must match too.
      const rec = readSaverRecording(join(work, 'saver_output'));
      expect(rec.tensors.map((t) => t.tensor.name)).toEqual(TEST_MODEL_GRAPHS[2].tensors.map((t) => t.name));
      return;
    }
    expect(rc).toBe(1);
    expect(r.of('log').map((l) => l.message)).toContain("graph 'f16_mul': tensorCreateGraphTensor('gain') failed with 7999");
    expect(r.of('backendLog').map((l) => l.message).join('\n')).toMatch(/Invalid Qnn_DataType_t provided: 534/);
  });
});

describe.skipIf(!(ready && MODEL_DLC))('conformance: the real libQnnModelDlc.so', () => {
  let work = '';
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'qnn-node-modeldlc-'));
  });
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('loads and exports QnnModel_composeGraphsFromDlc, QnnModel_composeGraphs and QnnModel_freeGraphsInfo', () => {
    const r = runProbe(['--model', MODEL_DLC!, '--backend', SAVER!, '--log-level', '5'], {}, { cwd: work });
    expect(r.of('entryPoints')[0]).toEqual({ event: 'entryPoints', composeGraphs: true, composeGraphsFromDlc: true, freeGraphsInfo: true });
    // Measured: composeGraphs (no path) succeeds with zero graphs; callers must treat 0 graphs as a failure.
    expect(r.compose()).toMatchObject({ rc: 0, graphs: [] });
  });

  it('composeGraphsFromDlc logs through our callback and refuses a missing file and a non-DLC file', () => {
    const ours = join(work, 'reference.dlc');
    writeFileSync(ours, writeReferenceDlc(exampleDescription()));
    for (const file of [join(work, 'absent.dlc'), ours]) {
      const r = runProbe(['--dlc-lib', MODEL_DLC!, '--dlc', file, '--backend', SAVER!, '--log-level', '5'], {}, { cwd: work });
      expect(r.status, r.stderr).toBe(0);
      expect(r.compose()).toMatchObject({ rc: 4, graphs: [] }); // MODEL_GRAPH_ERROR
      expect(r.of('log').map((l) => l.message)).toContain(`Failed to open dlc ${file}`);
    }
  });
});
