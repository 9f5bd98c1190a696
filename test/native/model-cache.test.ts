// loadModel (first-run caching) on the reference backend: the bundled example DLC composed
// and saved once, then loaded from the binary with identical results; a different backend
// library (a copy under another name) rebuilds, naming it.
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { loadModel } from '../../lib/backend/model-cache.js';
import { committedExampleDlcPath } from '../../lib/cli/example-dlc.js';
import { referenceBackendPaths } from '../../lib/native/binding.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { describeNative, tempDir } from './helpers.js';

describeNative('loadModel on the reference backend', () => {
  const dir = tempDir();
  const dlc = path.join(dir, 'example.dlc');
  copyFileSync(committedExampleDlcPath(), dlc);
  const cache = path.join(dir, 'cache', 'example.bin');
  const x = () => new Tensor('float32', Float32Array.from([1, 2, 3, 4]), [1, 4]);
  const y = () => new Tensor('float32', Float32Array.from([10, 20, 30, 40]), [1, 4]);

  it('composes and saves once, then loads the binary with the same results', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    const first = await loadModel(qnn, dlc, { cache });
    expect(first.cache.status).toBe('created');
    expect(first.origin).toEqual({ kind: 'dlc', path: dlc });
    expect(first.cache.composeTimings?.totalMs).toBeGreaterThanOrEqual(0);
    const a = await first.graph('add').run({ x: x(), y: y() });
    const second = await loadModel(qnn, dlc, { cache });
    expect(second.cache).toEqual({ status: 'hit', reason: null, binaryPath: cache, metaPath: `${cache}.json` });
    expect(second.origin).toEqual({ kind: 'binary', path: cache });
    expect(second.graphs.map((g) => [g.name, g.inputs, g.outputs])).toEqual(first.graphs.map((g) => [g.name, g.inputs, g.outputs]));
    const b = await second.graph('add').run({ x: x(), y: y() });
    expect(Array.from(b.z.data as Float32Array)).toEqual(Array.from(a.z.data as Float32Array));
    expect(Array.from(b.z.data as Float32Array)).toEqual([11, 22, 33, 44]);
  });

  it('rebuilds for another backend library and for a changed model', async () => {
    const ref = referenceBackendPaths();
    const copy = path.join(dir, 'libQnnReferenceCopy.so');
    copyFileSync(ref.backend, copy);
    await using other = await Qnn.load({ backend: copy, system: ref.system });
    const rebuilt = await loadModel(other, dlc, { cache, modelDlc: ref.modelDlc });
    expect(rebuilt.cache).toMatchObject({ status: 'rebuilt', reason: expect.stringMatching(/^the backend library changed \(".*libQnnReference\.so" → ".*libQnnReferenceCopy\.so"\)$/) });
    writeFileSync(dlc, 'not a DLC any more');
    await expect(loadModel(other, dlc, { cache, modelDlc: ref.modelDlc })).rejects.toMatchObject({ code: expect.stringMatching(/MODEL_COMPOSE_FAILED|BINARY_INVALID|QNN_ERROR/) });
  });
});
