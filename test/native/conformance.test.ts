/**
 * Conformance against REAL Qualcomm libraries, when a QNN SDK with x86_64 host libraries
 * is given: QNN_NODE_CONFORMANCE_SDK=<sdk root> (needs lib/x86_64-linux-clang/libQnnSaver.so
 * and libQnnSystem.so; on Debian also libc++1-14, libc++abi1-14, libunwind-14). Not part of
 * CI (no Qualcomm files in the repository); skipped without the variable.
 */
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { encodeReferenceBinary } from '../../lib/reference/writer.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { ADD, nativeReady, planReferenceBinary, repoRoot } from './helpers.js';

const sdk = process.env.QNN_NODE_CONFORMANCE_SDK;
const lib = sdk ? path.join(sdk, 'lib', 'x86_64-linux-clang') : '';
const ready = nativeReady && !!sdk && existsSync(path.join(lib, 'libQnnSaver.so')) && existsSync(path.join(lib, 'libQnnSystem.so'));

describe.skipIf(!ready)('conformance with real QNN libraries', () => {
  it('loads libQnnSaver + libQnnSystem, gates by their versions and executes through the saver', async () => {
    const qnn = await Qnn.load({ backend: 'libQnnSaver.so', system: 'libQnnSystem.so', sdkRoot: sdk });
    try {
      const [major, minor] = qnn.info.coreApiVersion.split('.').map(Number);
      expect(major).toBe(2);
      expect(minor).toBeGreaterThanOrEqual(14);
      expect(qnn.info.providerName).toBe('SAVER_QTI_AISW');
      expect(qnn.info.buildId).toMatch(/^v2\./);
      expect([48, 64, 88]).toContain(qnn.info.graphInfoStride);
      const layout = planReferenceBinary(ADD);
      // The real QnnSystem cannot read a reference binary: the caller's signatures are used.
      const ctx = await qnn.loadContext(encodeReferenceBinary(ADD), {
        graphs: [
          {
            name: 'add',
            inputs: [
              { name: 'a', id: layout.graphs.add.a, dtype: 'float32', dims: [2, 3] },
              { name: 'b', id: layout.graphs.add.b, dtype: 'float32', dims: [2, 3] },
            ],
            outputs: [{ name: 'out', id: layout.graphs.add.out, dtype: 'float32', dims: [2, 3] }],
          },
        ],
      });
      expect(ctx.info.graphSource).toBe('caller');
      expect(ctx.info.systemNote).toContain('QNN_SYSTEM_CONTEXT_ERROR_MALFORMED_BINARY');
      const a = new Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
      await ctx.graph('add').run({ a, b: a }); // the saver records, it does not compute
      await ctx.dispose();
    } finally {
      await qnn.dispose();
      rmSync(path.join(repoRoot, 'saver_output'), { recursive: true, force: true });
    }
  });
});
