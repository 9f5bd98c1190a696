import { expect, it } from 'vitest';
import { Qnn } from '../../lib/backend/qnn/index.js';
import type { Graph, TensorMap } from '../../lib/backend/types.js';
import { QnnNodeError } from '../../lib/errors.js';
import { loadAddon, referenceBackendPaths } from '../../lib/native/binding.js';
import type { NativeGraph } from '../../lib/native/AddonTypes.js';
import type { Profile, ProfileEvent } from '../../lib/profile/types.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import type { ReferenceBinaryDesc } from '../../lib/reference/writer.js';
import { describeNative, tempDir, withEnv, writeBinary } from './helpers.js';
import { withJournal } from './journal.js';

/** Three nodes in one graph: y = relu(x·w + b). */
const CHAIN: ReferenceBinaryDesc = {
  statics: [
    { name: 'w', dtype: 'float32', dims: [4, 4], fill: 0.25 },
    { name: 'b', dtype: 'float32', dims: [1, 4], fill: -0.5 },
  ],
  graphs: [
    {
      name: 'chain',
      inputs: [{ name: 'x', dtype: 'float32', dims: [1, 4] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: [1, 4] }],
      tensors: [
        { name: 'xw', dtype: 'float32', dims: [1, 4] },
        { name: 'xwb', dtype: 'float32', dims: [1, 4] },
      ],
      nodes: [
        { name: 'proj', op: 'MatMul', inputs: ['x', 'w'], outputs: ['xw'] },
        { name: 'bias', op: 'ElementWiseAdd', inputs: ['xw', 'b'], outputs: ['xwb'] },
        { name: 'act', op: 'Relu', inputs: ['xwb'], outputs: ['y'] },
      ],
    },
  ],
};

const inputs = (_g: Graph): TensorMap => ({ x: new Tensor('float32', Float32Array.from([1, 2, 3, 4]), [1, 4]) });

/** Every event of a tree, depth first. */
function flatten(events: readonly ProfileEvent[]): ProfileEvent[] {
  return events.flatMap((e) => [e, ...flatten(e.children)]);
}

describeNative('profiling on the reference backend', () => {
  const dir = tempDir();
  const chainPath = writeBinary(dir, 'chain.bin', CHAIN);

  async function profiledRun(level: 'basic' | 'detailed', env: Record<string, string | undefined> = {}): Promise<{ profile: Profile; last: Profile | undefined }> {
    return withEnv(env, async () => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(chainPath);
      const g = ctx.graph('chain');
      let got: Profile | undefined;
      const { y } = await g.run(inputs(g), { profile: level, onProfile: (p) => (got = p) });
      expect(Array.from(y.data as Float32Array)).toEqual([2, 2, 2, 2]); // the run itself is unchanged
      return { profile: got!, last: g.lastProfile };
    });
  }

  it('basic: one top-level execute event in µs, no sub-events', async () => {
    const { profile, last } = await profiledRun('basic');
    expect(last).toBe(profile);
    expect(profile.level).toBe('basic');
    expect(profile.events).toHaveLength(1);
    const [e] = profile.events;
    expect(e).toMatchObject({ name: 'graphExecute', identifier: 'graphExecute', type: 400, typeName: 'execute', unit: 'us' });
    expect(e.value).toBeGreaterThanOrEqual(0);
    expect(e.children).toEqual([]);
  });

  it('detailed: a node event per op, named after the node, with its op type below it', async () => {
    const { profile } = await profiledRun('detailed');
    const [exec] = profile.events;
    expect(exec.typeName).toBe('execute');
    expect(exec.children.map((c) => [c.name, c.typeName, c.unit])).toEqual([
      ['proj', 'node', 'us'],
      ['bias', 'node', 'us'],
      ['act', 'node', 'us'],
    ]);
    expect(exec.children.map((c) => c.children.map((o) => [o.name, o.unit]))).toEqual([[['MatMul', 'none']], [['ElementWiseAdd', 'none']], [['Relu', 'none']]]);
    const nodeUs = exec.children.reduce((s, c) => s + c.value, 0);
    expect(nodeUs).toBeLessThanOrEqual(exec.value + exec.children.length); // integer µs each
  });

  for (const core of ['2.14.0', '2.25.0', '2.32.0']) {
    it(`core ${core}: extended event data (timestamps) when the backend has the slot, plain data without it`, async () => {
      const version = { QNN_REFERENCE_API_VERSION: `core=${core},system=1.3.0,backend=5.${core === '2.14.0' ? 20 : 40}.0` };
      const ext = await profiledRun('detailed', { ...version, QNN_REFERENCE_PROFILE_EXTENDED: undefined });
      expect(ext.profile.extended).toBe(true);
      const all = flatten(ext.profile.events);
      expect(all.every((e) => typeof e.timestamp === 'number')).toBe(true);
      const [exec] = ext.profile.events;
      const starts = exec.children.map((c) => c.timestamp!);
      expect(starts).toEqual([...starts].sort((a, b) => a - b));
      expect(starts[0]).toBeGreaterThanOrEqual(exec.timestamp!);

      const plain = await profiledRun('detailed', { ...version, QNN_REFERENCE_PROFILE_EXTENDED: '0' });
      expect(plain.profile.extended).toBe(false);
      expect(flatten(plain.profile.events).some((e) => e.timestamp !== undefined)).toBe(false);
      expect(plain.profile.events[0].children.map((c) => c.name)).toEqual(['proj', 'bias', 'act']);
    });
  }

  it('profiles the context load (ctx.loadProfile): basic top-level, detailed with what the load did', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using basic = await qnn.loadContext(chainPath, { profile: 'basic' });
    expect(basic.loadProfile?.events.map((e) => [e.name, e.typeName, e.unit, e.children.length])).toEqual([['contextCreateFromBinary', 'init', 'us', 0]]);
    await using detailed = await qnn.loadContext(chainPath, { profile: 'detailed' });
    const [init] = detailed.loadProfile!.events;
    expect(init.children.map((c) => [c.name, c.unit])).toEqual([
      ['static data (zero-copy)', 'bytes'],
      ["graph 'chain' nodes", 'count'],
    ]);
    expect(init.children[0].value).toBeGreaterThanOrEqual(80); // w and b (the data section is aligned)
    expect(init.children[1].value).toBe(3);
    await using plain = await qnn.loadContext(chainPath);
    expect(plain.loadProfile).toBeUndefined();
  });

  it('a run without profile calls no profile function; a profiled one creates and frees one handle', async () => {
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(chainPath);
      const g = ctx.graph('chain');
      await g.run(inputs(g));
      g.runSync(inputs(g), {});
      await g.run(inputs(g), { outputs: undefined });
      expect(j.entries().filter((e) => e.call.startsWith('profile'))).toEqual([]);
      expect(g.lastProfile).toBeUndefined();

      await g.run(inputs(g), { profile: 'detailed' });
      g.runSync(inputs(g), { profile: 'basic' });
      expect(g.lastProfile?.level).toBe('basic');
      expect(j.entries('profileCreate').map((e) => [e.level, e.levelName, e.result])).toEqual([
        [2, 'detailed', 'ok'],
        [1, 'basic', 'ok'],
      ]);
      expect(j.entries('profileFree').map((e) => [e.events, e.recorded, e.result])).toEqual([
        [1, 7, 'ok'],
        [1, 1, 'ok'],
      ]);
      expect(j.entries('profileSetConfig')).toEqual([]);
    });
  });

  it('frees the profile when the run fails', async () => {
    await withJournal(dir, async (j) => {
      await withEnv({ QNN_REFERENCE_FAIL: 'graphExecute=1002' }, async () => {
        await using qnn = await Qnn.load({ backend: 'reference' });
        await using ctx = await qnn.loadContext(chainPath);
        const g = ctx.graph('chain');
        const err = await g.run(inputs(g), { profile: 'detailed', onProfile: () => expect.fail('no profile for a failed run') }).catch((e) => e);
        expect(err).toBeInstanceOf(QnnNodeError);
        expect(err.code).toBe('QNN_ERROR');
      });
      expect(j.entries('profileCreate')).toHaveLength(1);
      expect(j.entries('profileFree')).toHaveLength(1);
    });
  });

  it("optrace: profileSetConfig(ENABLE_OPTRACE) on core 2.18+, refused by name and version before", async () => {
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(chainPath);
      const g = ctx.graph('chain');
      let got: Profile | undefined;
      await g.run(inputs(g), { profile: 'optrace', onProfile: (p) => (got = p) });
      expect(got?.level).toBe('optrace');
      expect(got?.events[0].children).toHaveLength(3);
      expect(j.entries('profileCreate').map((e) => e.level)).toEqual([2]);
      expect(j.entries('profileSetConfig')).toEqual([{ call: 'profileSetConfig', configs: [{ call: 'config', option: 2, enableOptrace: 1 }], result: 'ok' }]);
    });
    await withJournal(dir, async (j) => {
      await withEnv({ QNN_REFERENCE_API_VERSION: 'core=2.17.0,system=1.3.0,backend=5.24.0' }, async () => {
        await using qnn = await Qnn.load({ backend: 'reference' });
        await using ctx = await qnn.loadContext(chainPath);
        const g = ctx.graph('chain');
        const err = await g.run(inputs(g), { profile: 'optrace' }).catch((e) => e);
        expect(err).toBeInstanceOf(QnnNodeError);
        expect(err.code).toBe('UNSUPPORTED_VERSION');
        expect(err.message).toContain("profile 'optrace'");
        expect(err.message).toContain('core API 2.18');
        expect(err.message).toContain('core API 2.17.0');
        const load = await qnn.loadContext(chainPath, { profile: 'optrace' }).catch((e) => e);
        expect(load.code).toBe('UNSUPPORTED_VERSION');
        expect(load.message).toContain('context load');
      });
      expect(j.entries().filter((e) => e.call.startsWith('profile'))).toEqual([]);
    });
  });

  it('typed errors for bad levels, from JS and from the addon itself', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(chainPath);
    const g = ctx.graph('chain');
    for (const bad of ['verbose', 'Basic', 2, null, {}, true]) {
      const err = await g.run(inputs(g), { profile: bad as never }).catch((e) => e);
      expect(err).toBeInstanceOf(TypeError);
      expect(err.code).toBe('ERR_INVALID_ARG');
      expect(err.message).toMatch(/^Expected one of 'basic', 'detailed', 'optrace' for options.profile but received /);
      expect(() => g.runSync(inputs(g), { profile: bad as never })).toThrow(/options.profile/);
    }
    const cb = await g.run(inputs(g), { profile: 'basic', onProfile: 'log' as never }).catch((e) => e);
    expect(cb.message).toBe('Expected a function for options.onProfile but received "log"');
    const load = await qnn.loadContext(chainPath, { profile: 'full' as never }).catch((e) => e);
    expect([load.code, load.message]).toEqual(['ERR_INVALID_ARG', `Expected one of 'basic', 'detailed', 'optrace' for options.profile but received "full"`]);

    // The addon checks on its own (any JS value, getters included).
    const addon = loadAddon();
    const rt = new addon.Runtime();
    const paths = referenceBackendPaths();
    await rt.load({ backendPath: paths.backend, systemPath: paths.system });
    const native = new addon.Context(rt);
    for (const bad of [3, 'BASIC', Symbol('x'), { toString: () => 'basic' }]) {
      expect(() => native.setLoadProfile(bad as never)).toThrow(/^Expected 'basic', 'detailed' or 'optrace' for options.profile but received/);
    }
    const { graphs } = await native.load(chainPath);
    const ng = graphs[0].handle as NativeGraph;
    const x = new Float32Array([1, 2, 3, 4]);
    const y = new Float32Array(4);
    const getter = { get profile() { return 42; } };
    for (const bad of [{ profile: 1 }, { profile: 'x' }, getter, 'basic', [1]]) {
      expect(() => ng.runSync([x], [y], bad as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
      await expect(Promise.resolve().then(() => ng.run([x], [y], bad as never))).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    }
    expect(() => native.setLoadProfile('basic')).toThrow(/before the QNN context is loaded/);
    const result = ng.runSync([x], [y], { profile: 'basic' });
    expect(result?.profile?.events[0]).toMatchObject({ type: 400, unit: 1, identifier: 'graphExecute' });
    expect(ng.runSync([x], [y])).toBeUndefined();
    expect(ng.runSync([x], [y], {})).toBeUndefined();
    native.dispose();
    rt.dispose();
  });
});
