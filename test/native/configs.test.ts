/**
 * Context/graph/device configs and spill-fill groups, end to end against the reference
 * backend: the exact configs that reach it (its journal), per emulated version, and the
 * refusals.
 */
import { afterAll, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { loadAddon, referenceBackendPaths } from '../../lib/native/binding.js';
import { parseReferenceBinary } from '../../lib/reference/reader.js';
import { readFileSync } from 'node:fs';
import { hasCode } from '../../lib/errors.js';
import { ADD, describeNative, tempDir, withEnv, writeBinary } from './helpers.js';
import { withJournal } from './journal.js';

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const part = (name: string, spillFillBytes: number): string => writeBinary(dir, `${name}.bin`, { ...ADD, description: name, spillFillBytes });

function withVersion<T>(backend: string, fn: () => Promise<T>): Promise<T> {
  return withEnv({ QNN_REFERENCE_API_VERSION: `backend=${backend}` }, fn);
}

describeNative('context and graph configs', () => {
  it('sends priority and HTP context configs at contextCreateFromBinary, graph configs through graphSetConfig', async () => {
    const bin = part('cfg', 0);
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(bin, {
        persistentBinary: false,
        priority: 'high',
        htp: { fileReadMemoryBudgetMb: 64, ioMemEstimation: true },
        graphConfig: { priority: 'low', htp: { numHvxThreads: 4 } },
      });
      expect(ctx.graphs.length).toBe(1);
      const [create] = j.entries('contextCreateFromBinary');
      expect(create!.configs).toEqual([
        { option: 'PRIORITY', priority: 200 },
        { option: 'CUSTOM', htpOption: 'FILE_READ_MEMORY_BUDGET', fileReadMemoryBudgetInMb: 64 },
        { option: 'CUSTOM', htpOption: 'IO_MEM_ESTIMATION', value: true },
      ]);
      const [set] = j.entries('graphSetConfig');
      expect(set).toMatchObject({
        graph: 'add',
        configs: [
          { option: 'PRIORITY', priority: 0 },
          { option: 'CUSTOM', htpOption: 'NUM_HVX_THREADS', numHvxThreads: 4 },
        ],
      });
    });
  });

  it('calls nothing extra when no config is asked for', async () => {
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(part('plain', 0), { persistentBinary: false });
      expect(ctx.graphs.length).toBe(1);
      expect(j.entries('contextCreateFromBinary')[0]!.configs).toEqual([]);
      expect(j.entries('graphSetConfig')).toEqual([]);
    });
  });

  it('sends 2.43 graph options to a 5.43 backend and refuses them on 5.25 naming option and version', async () => {
    const bin = part('v43', 0);
    await withVersion('5.43.0', () =>
      withJournal(dir, async (j) => {
        await using qnn = await Qnn.load({ backend: 'reference' });
        await using _ctx = await qnn.loadContext(bin, {
          graphConfigs: { add: { htp: { numCores: 2, hmxBounding: { targetHmxFreqHz: 1.5e9, targetDspCoreFreqHz: 1e9 } } } },
        });
        expect(j.entries('graphSetConfig')[0]!.configs).toEqual([
          { option: 'CUSTOM', htpOption: 'NUM_CORES', numCores: 2 },
          { option: 'CUSTOM', htpOption: 'HMX_BOUNDING', targetHmxFreqHz: 1.5e9, targetDspCoreFreq: 1e9 },
        ]);
      }),
    );
    await withVersion('5.25.0', async () => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      const err = await qnn.loadContext(bin, { graphConfig: { htp: { numCores: 2 } } }).catch((e: unknown) => e);
      expect(hasCode(err, 'UNSUPPORTED_OPTION')).toBe(true);
      expect(String((err as Error).message)).toMatch(/numCores needs HTP backend API 5\.43.*reports 5\.25\.0/);
      const err2 = await qnn.loadContext(bin, { htp: { initAcceleration: true } }).catch((e: unknown) => e);
      expect((err2 as Error).message).toMatch(/initAcceleration needs HTP backend API 5\.43/);
    });
  });

  it('refuses prepare-time graph options, unknown keys and bad values with typed errors', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    const bin = part('bad', 0);
    const prep = await qnn.loadContext(bin, { graphConfig: { htp: { precision: 'fp16' } as never } }).catch((e: unknown) => e);
    expect(hasCode(prep, 'UNSUPPORTED_OPTION')).toBe(true);
    const unknown = await qnn.loadContext(bin, { htp: { nope: true } as never }).catch((e: unknown) => e);
    expect(hasCode(unknown, 'ERR_INVALID_ARG')).toBe(true);
    expect((unknown as Error).message).toMatch(/Expected one of the HTP context options .* for options\.htp but received "nope"/);
    const hvx = await qnn.loadContext(bin, { graphConfig: { htp: { numHvxThreads: -1 } } }).catch((e: unknown) => e);
    expect(hasCode(hvx, 'ERR_OUT_OF_RANGE')).toBe(true);
    const prio = await qnn.loadContext(bin, { priority: 'realtime' as never }).catch((e: unknown) => e);
    expect((prio as Error).message).toMatch(/Expected one of low, normal, normal_high, high .* for options\.priority but received "realtime"/);
    const graph = await qnn.loadContext(bin, { graphConfigs: { nosuch: { priority: 'low' } } }).catch((e: unknown) => e);
    expect(hasCode(graph, 'UNKNOWN_GRAPH')).toBe(true);
  });

  it('refuses graph configs cleanly when the backend has no graphSetConfig', async () => {
    await withEnv({ QNN_REFERENCE_NULL_SLOTS: 'graphSetConfig' }, async () => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      const err = await qnn.loadContext(part('noslot', 0), { graphConfig: { priority: 'low' } }).catch((e: unknown) => e);
      expect(hasCode(err, 'UNSUPPORTED_OPTION')).toBe(true);
      expect((err as Error).message).toMatch(/graphSetConfig/);
    });
  });

  it('lays device custom configs out per version: 12 bytes through 5.43, 16 from 5.44', async () => {
    for (const [backend, bytes] of [
      ['5.43.0', 12],
      ['5.44.0', 16],
    ] as const) {
      await withVersion(backend, () =>
        withJournal(dir, async (j) => {
          await using _qnn = await Qnn.load({ backend: 'reference', deviceConfig: { htp: { socModel: 57, arch: { arch: 75, deviceId: 0 } } } });
          expect(j.entries('deviceCreate')[0]!.configs).toEqual([
            { option: 0, htpOption: 'SOC', layoutBytes: bytes, socModel: 57 },
            { option: 0, htpOption: 'ARCH', layoutBytes: bytes, deviceId: 0, arch: 75 },
          ]);
        }),
      );
    }
    await withVersion('5.25.0', async () => {
      const err = await Qnn.load({ backend: 'reference', deviceConfig: { htp: { securePd: { enabled: true } } } }).catch((e: unknown) => e);
      expect(hasCode(err, 'UNSUPPORTED_OPTION')).toBe(true);
      expect((err as Error).message).toMatch(/securePd needs backend API 5\.43.*reports 5\.25\.0/);
    });
    const bad = await Qnn.load({ backend: 'reference', backendConfig: { htp: { x: 1 } as never } }).catch((e: unknown) => e);
    expect(hasCode(bad, 'ERR_INVALID_ARG')).toBe(true);
  });
});

describeNative('qnn.loadContexts: spill-fill groups', () => {
  it('loads in order into one group sized to the largest part, the first context opening it', async () => {
    const parts = [part('p1', 1000), part('p2', 5000), part('p3', 3000)];
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      const contexts = await qnn.loadContexts(parts, { shareResources: true, persistentBinary: false });
      expect(contexts.map((c) => c.info.source)).toEqual(parts);
      const registrations = j.entries('contextCreateFromBinary').map((e) => (e.configs as { htpOption?: string }[]).find((c) => c.htpOption === 'REGISTER_MULTI_CONTEXTS'));
      expect(registrations).toEqual([
        { option: 'CUSTOM', htpOption: 'REGISTER_MULTI_CONTEXTS', firstGroupHandle: null, maxSpillFillBuffer: 5000 },
        { option: 'CUSTOM', htpOption: 'REGISTER_MULTI_CONTEXTS', firstGroupHandle: 'set', maxSpillFillBuffer: 5000 },
        { option: 'CUSTOM', htpOption: 'REGISTER_MULTI_CONTEXTS', firstGroupHandle: 'set', maxSpillFillBuffer: 5000 },
      ]);
      const groups = j.entries('spillFillGroup');
      expect(groups.map((g) => [g.opened, g.bytes, g.binaryNeeds, g.members])).toEqual([
        [true, 5000, 1000, 1],
        [false, 5000, 5000, 2],
        [false, 5000, 3000, 3],
      ]);
      expect(new Set(groups.map((g) => g.group)).size).toBe(1);
      for (const c of contexts.reverse()) await c.dispose();
      expect(j.entries('spillFillLeave').at(-1)).toMatchObject({ released: true });
    });
  });

  it('a group too small for a part is refused by the backend, and the loaded parts are disposed', async () => {
    const parts = [part('s1', 1000), part('s2', 5000)];
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      const err = await qnn.loadContexts(parts, { shareResources: true, spillFillBytes: 1000 }).catch((e: unknown) => e);
      expect(hasCode(err, 'QNN_ERROR')).toBe(true);
      expect((err as Error).message).toMatch(/5000-byte spill-fill buffer; its group allocated 1000/);
      // The first part was loaded, then freed when the second failed.
      expect(j.entries('contextFree')).toEqual([{ call: 'contextFree', graphs: 1 }]);
    });
  });

  it('a context joining a group whose first context was freed is refused', async () => {
    const [a, b] = [part('f1', 10), part('f2', 10)];
    await using qnn = await Qnn.load({ backend: 'reference' });
    const [first] = await qnn.loadContexts([a], { shareResources: true });
    await first!.dispose();
    const err = await qnn.loadGroupMember(b, {}, { first: first!, maxSpillFill: 10 }).catch((e: unknown) => e);
    expect(hasCode(err, 'DISPOSED')).toBe(true);
  });

  it("with validate: 'isolated' QnnSystem reads every part's spill-fill size in a child process", async () => {
    const parts = [part('i1', 300), part('i2', 700)];
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      const cs = await qnn.loadContexts(parts, { shareResources: true, validate: 'isolated' });
      expect(cs.every((c) => c.info.validated === 'isolated')).toBe(true);
      expect(j.entries('spillFillGroup').map((g) => g.bytes)).toEqual([700, 700]);
    });
  });

  it('without shareResources loads in order with no group registration', async () => {
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      const cs = await qnn.loadContexts([part('n1', 7), part('n2', 9)]);
      expect(cs.length).toBe(2);
      expect(j.entries('spillFillGroup')).toEqual([]);
    });
  });
});

describeNative('configs: spill-fill sizes and the native layer under junk', () => {
  it('reads the spill-fill size from BinaryInfo V2 (hardware blob) as from V3 (graph blobs)', async () => {
    const bin = part('v2', 4096);
    expect(parseReferenceBinary(readFileSync(bin)).spillFillBytes).toBe(4096);
    for (const version of ['system=1.1.0,backend=5.25.0', 'system=1.7.0,backend=5.43.0']) {
      await withEnv({ QNN_REFERENCE_API_VERSION: version }, async () => {
        await using qnn = await Qnn.load({ backend: 'reference' });
        expect(await qnn.spillFillBytesOf(bin)).toBe(4096);
      });
    }
  });

  it('the addon refuses malformed config plans with typed errors, never a crash', async () => {
    const addon = loadAddon();
    const { backend } = referenceBackendPaths();
    const bad = [
      { backendConfigs: [{ option: 0, value: 1 }] },
      { deviceConfigs: [{ option: 99, value: 1 }] },
      { deviceConfigs: [{ option: 1, value: [1] }] },
      { deviceConfigs: 'x' },
      { deviceConfigs: [{ option: 0, value: 1, since: -1 }] },
    ];
    for (const extra of bad) {
      const rt = new addon.Runtime();
      await expect((async () => rt.load({ backendPath: backend, ...(extra as object) }))()).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_/) });
      rt.dispose();
    }
    const rt = new addon.Runtime();
    await rt.load({ backendPath: backend });
    const bin = part('junk', 0);
    const sig = [{ name: 'add', inputs: [{ name: 'a', dataType: 0x0232, dims: [2, 3] }, { name: 'b', dataType: 0x0232, dims: [2, 3] }], outputs: [{ name: 'out', dataType: 0x0232, dims: [2, 3] }] }];
    const junk: unknown[] = [
      7,
      [],
      { priority: 5 },
      { priority: 'high' },
      { custom: [{ option: 2, value: true }] },
      { custom: [{ option: 3, value: -1 }] },
      { custom: [{ option: 3, value: 2n ** 70n }] },
      { group: { first: {}, maxSpillFill: 1 } },
      { group: { maxSpillFill: 'x' } },
      { graphs: [{ custom: [{ option: 9, value: [1, 2] }] }] },
      { graphs: [{ name: '', priority: 0 }] },
      { graphs: [{ custom: [{ option: 11, value: [Number.NaN, 1] }] }] },
    ];
    for (const j of junk) {
      const ctx = new addon.Context(rt);
      expect(() => ctx.load(bin, sig as never, false, j as never), JSON.stringify(j, (_, v) => (typeof v === 'bigint' ? String(v) : v))).toThrow(
        expect.objectContaining({ code: expect.stringMatching(/^ERR_/) }),
      );
      ctx.dispose();
    }
    rt.dispose();
  });
});

describeNative('the reference backend refuses configs the way the HTP does (plans sent past the TS checks)', () => {
  const sig = [{ name: 'add', inputs: [{ name: 'a', dataType: 0x0232, dims: [2, 3] }, { name: 'b', dataType: 0x0232, dims: [2, 3] }], outputs: [{ name: 'out', dataType: 0x0232, dims: [2, 3] }] }];

  async function loadWith(configs: unknown, version = 'backend=5.43.0'): Promise<unknown> {
    return withEnv({ QNN_REFERENCE_API_VERSION: version }, async () => {
      const addon = loadAddon();
      const rt = new addon.Runtime();
      try {
        await rt.load({ backendPath: referenceBackendPaths().backend });
        const ctx = new addon.Context(rt);
        try {
          await ctx.load(part('raw', 0), sig as never, false, configs as never);
          return undefined;
        } catch (e) {
          return e;
        } finally {
          ctx.dispose();
        }
      } finally {
        rt.dispose();
      }
    });
  }

  it('an option the emulated version lacks, a prepare-time graph option, SHARE_RESOURCES at createFromBinary', async () => {
    const old = await loadWith({ graphs: [{ custom: [{ option: 8, value: 2 }] }] }, 'backend=5.25.0');
    expect(old).toMatchObject({ code: 'QNN_ERROR', statusName: 'QNN_GRAPH_ERROR_INVALID_ARGUMENT' });
    expect(String((old as Error).message)).toMatch(/NUM_CORES \(8\) is not known to backend API 5\.25\.0/);
    const prep = await loadWith({ graphs: [{ custom: [{ option: 2, value: 1 }] }] });
    expect(prep).toMatchObject({ code: 'QNN_ERROR', statusName: 'QNN_GRAPH_ERROR_GRAPH_FINALIZED' });
    const share = await loadWith({ custom: [{ option: 5, value: true }] });
    expect(share).toMatchObject({ code: 'QNN_ERROR', statusName: 'QNN_CONTEXT_ERROR_UNSUPPORTED_FEATURE' });
    const ctxOld = await loadWith({ custom: [{ option: 8, value: true }] }, 'backend=5.25.0');
    expect(String((ctxOld as Error).message)).toMatch(/INIT_ACCELERATION \(8\) is not known to backend API 5\.25\.0/);
  });

  it('reads device configs at the offset of the emulated layout: an unknown arch is refused under both', async () => {
    for (const version of ['backend=5.43.0', 'backend=5.44.0']) {
      await withEnv({ QNN_REFERENCE_API_VERSION: version }, async () => {
        const rt = new (loadAddon().Runtime)();
        const err = await (async () => rt.load({ backendPath: referenceBackendPaths().backend, device: true, deviceConfigs: [{ option: 1, value: [0, 77] }] as never }))().catch((e: unknown) => e);
        rt.dispose();
        expect(String((err as Error).message)).toMatch(/unknown HTP arch 77/);
      });
    }
  });
});
