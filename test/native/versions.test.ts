import { expect, it } from 'vitest';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { QnnNodeError } from '../../lib/errors.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { SHARED, W, describeNative, matmul, planReferenceBinary, tempDir, withEnv, writeBinary } from './helpers.js';

/**
 * The reference backend emulates older QNN releases (QNN_REFERENCE_API_VERSION, read at
 * getProviders time): exact table sizes behind a guard page (an over-read crashes), old
 * tensor / GraphInfo strides, BinaryInfo versions.
 */
describeNative('version gating', () => {
  const dir = tempDir();
  const sharedPath = writeBinary(dir, 'shared.bin', SHARED);
  const x1 = Float32Array.from([0.5, -1, 2, 3]);
  const expected = matmul(x1, W, 1, 4, 4);

  async function loadAndRun(version: string): Promise<Qnn['info']> {
    return withEnv({ QNN_REFERENCE_API_VERSION: version }, async () => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(sharedPath);
      expect(ctx.graphs.map((g) => g.name)).toEqual(['prefill', 'decode', 'relu']);
      // The 2nd and 3rd GraphInfo entries are only right with the right stride.
      expect(ctx.graph('decode').inputs[0].dims).toEqual([1, 4]);
      expect(ctx.graph('relu').inputs[0].dtype).toBe('float16');
      const { y } = await ctx.graph('decode').run({ x: new Tensor('float32', x1, [1, 4]) });
      y.data.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
      return qnn.info;
    });
  }

  for (const core of ['2.7.0', '2.13.0', '2.13.9']) {
    it(`refuses core API ${core} with UNSUPPORTED_VERSION (before touching the table)`, async () => {
      const err = await withEnv({ QNN_REFERENCE_API_VERSION: `core=${core},system=1.1.0,backend=5.20.0` }, () =>
        Qnn.load({ backend: 'reference' }).catch((e) => e),
      );
      expect(err).toBeInstanceOf(QnnNodeError);
      expect(err.code).toBe('UNSUPPORTED_VERSION');
      expect(err.message).toContain(`core API ${core}`);
      expect(err.message).toContain('x >= 14');
      expect(err.details.minimumCoreApi).toBe('2.14.0');
      expect(err.details.reportedCoreApi).toBe(core);
    });
  }

  it('accepts core 2.14 (55 slots) and runs', async () => {
    const info = await loadAndRun('core=2.14.0,system=1.1.0,backend=5.20.0');
    expect(info.coreApiVersion).toBe('2.14.0');
    expect(info.coreTableSlots).toBe(55);
    expect(info.graphInfoStride).toBe(48);
  });

  it('accepts core 2.32 (71 slots)', async () => {
    const info = await loadAndRun('core=2.32.0,system=1.7.0,backend=5.43.0');
    expect(info.coreTableSlots).toBe(71);
    expect(info.graphInfoStride).toBe(88);
  });

  it('reads System 1.1 GraphInfo with stride 48 (HTP backend API ≤ 5.23)', async () => {
    const info = await loadAndRun('core=2.18.0,system=1.1.0,backend=5.23.0');
    expect(info.systemApiVersion).toBe('1.1.0');
    expect(info.graphInfoStride).toBe(48);
  });

  it('reads System 1.1 GraphInfo with stride 64 (HTP backend API 5.24–5.27)', async () => {
    const info = await loadAndRun('core=2.18.0,system=1.1.0,backend=5.25.0');
    expect(info.graphInfoStride).toBe(64);
  });

  it('reads System 1.2 (BinaryInfo V3, stride 88)', async () => {
    const info = await loadAndRun('core=2.21.0,system=1.2.0,backend=5.28.0');
    expect(info.systemApiVersion).toBe('1.2.0');
    expect(info.graphInfoStride).toBe(88);
  });

  it('reads System 1.7 with a forced BinaryInfo V1 and V2', async () => {
    await loadAndRun('core=2.32.0,system=1.7.0,backend=5.43.0,binaryinfo=1');
    await loadAndRun('core=2.32.0,system=1.7.0,backend=5.43.0,binaryinfo=2');
  });

  it('treats System 1.0 as unavailable and falls back to caller signatures', async () => {
    const layout = planReferenceBinary(SHARED);
    await withEnv({ QNN_REFERENCE_API_VERSION: 'core=2.20.0,system=1.0.0,backend=5.27.0' }, async () => {
      await using qnn = await Qnn.load({ backend: 'reference', system: false });
      expect(qnn.info.systemApiVersion).toBeNull();
      await using ctx = await qnn.loadContext(sharedPath, {
        graphs: [
          {
            name: 'decode',
            inputs: [{ name: 'x', id: layout.graphs.decode.x, dtype: 'float32', dims: [1, 4] }],
            outputs: [{ name: 'y', id: layout.graphs.decode.y, dtype: 'float32', dims: [1, 4] }],
          },
        ],
      });
      const { y } = await ctx.graph('decode').run({ x: new Tensor('float32', x1, [1, 4]) });
      y.data.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
      // Explicitly asking for a System library that is too old is an error.
      const err = await Qnn.load({ backend: 'reference' }).catch((e) => e);
      expect(err.code).toBe('UNSUPPORTED_VERSION');
      expect(err.message).toContain('System API 1.0.0');
    });
  });
});
