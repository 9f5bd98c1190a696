import { expect, it } from 'vitest';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import type { Profile } from '../../lib/profile/types.js';
import { ADD, describeNative, tempDir, withEnv, writeBinary } from './helpers.js';
import { withJournal } from './journal.js';

describeNative('profiling (reference backend)', () => {
  const dir = tempDir();
  const addPath = writeBinary(dir, 'add.bin', ADD);
  it('smoke', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(addPath, { profile: 'detailed' });
    console.log(JSON.stringify(ctx.loadProfile, null, 1));
    const g = ctx.graphs[0];
    let got: Profile | undefined;
    const ins = Object.fromEntries(g.inputs.map((s) => [s.name, Tensor.zeros('float32', s.dims)]));
    await g.run(ins, { profile: 'detailed', onProfile: (p) => (got = p) });
    console.log(JSON.stringify(got, null, 1));
  });
});
