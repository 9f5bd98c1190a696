/**
 * HTP power votes end to end against the reference backend's perf infrastructure: the exact
 * configs each profile sends (from the call journal), switching only on change, restoring,
 * concurrent runs, raw configs, refusals without power control, and teardown.
 */
import { expect, it } from 'vitest';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { PERF_PROFILES, type PerfProfile } from '../../lib/backend/power.js';
import { loadAddon, referenceBackendPaths } from '../../lib/native/binding.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { withJournal, type Journal, type JournalEntry } from './journal.js';
import { ADD, SHARED, describeNative, tempDir, withEnv, writeBinary } from './helpers.js';

// The table of docs/power.md, written out independently of native/addon/PowerVotes.cc:
// [dcvsEnable, powerMode, sleepLatency, corner, rpcControlLatency, rpcPollingTime].
const TABLE: Record<PerfProfile, [number, number, number, number, number, number]> = {
  burst: [0, 0x10, 40, 0xa0, 100, 9999],
  sustained_high_performance: [0, 0x10, 100, 0x80, 100, 9999],
  high_performance: [0, 0x10, 100, 0x80, 100, 9999],
  balanced: [1, 0x10, 1000, 0x70, 100, 0],
  low_balanced: [1, 0x10, 1000, 0x60, 100, 0],
  high_power_saver: [1, 0x10, 1000, 0x50, 100, 0],
  power_saver: [1, 0x10, 1000, 0x40, 100, 0],
  low_power_saver: [1, 0x10, 1000, 0x30, 100, 0],
  extreme_power_saver: [1, 0x04, 1000, 0x10, 100, 0],
  default: [1, 0x01, 65535, 0x10, 0, 0],
};

function expectedConfigs(profile: PerfProfile, id: number): unknown[] {
  const [dcvsEnable, powerMode, sleepLatency, corner, latency, polling] = TABLE[profile];
  return [
    {
      option: 'DCVS_V3',
      contextId: id,
      setDcvsEnable: 1,
      dcvsEnable,
      powerMode,
      setSleepLatency: 1,
      sleepLatency,
      setSleepDisable: 0,
      sleepDisable: 0,
      setBusParams: 1,
      busVoltageCornerMin: corner,
      busVoltageCornerTarget: corner,
      busVoltageCornerMax: corner,
      setCoreParams: 1,
      coreVoltageCornerMin: corner,
      coreVoltageCornerTarget: corner,
      coreVoltageCornerMax: corner,
    },
    { option: 'RPC_CONTROL_LATENCY', rpcControlLatency: latency },
    { option: 'RPC_POLLING_TIME', rpcPollingTime: polling },
  ];
}

const POWER_CALLS = new Set(['createPowerConfigId', 'setPowerConfig', 'destroyPowerConfigId']);
const powerCalls = (j: Journal): JournalEntry[] => j.entries().filter((e) => POWER_CALLS.has(e.call));

/** The profile each setPowerConfig voted, recognised by its DCVS config. */
function votedProfiles(j: Journal): string[] {
  return j.entries('setPowerConfig').map((e) => {
    const configs = e.configs as { option: string; sleepLatency?: number; busVoltageCornerMin?: number; powerMode?: number }[];
    const dcvs = configs.find((c) => c.option === 'DCVS_V3');
    const match = PERF_PROFILES.find((p) => {
      const [, mode, sleep, corner] = TABLE[p];
      return dcvs?.powerMode === mode && dcvs.sleepLatency === sleep && dcvs.busVoltageCornerMin === corner;
    });
    // sustained_high_performance and high_performance send the same configs.
    return match === 'sustained_high_performance' ? 'high_performance' : (match ?? 'custom');
  });
}

const a = new Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
const b = new Tensor('float32', Float32Array.from([6, 5, 4, 3, 2, 1]), [2, 3]);

describeNative('HTP power votes', () => {
  const dir = tempDir();
  const addPath = writeBinary(dir, 'add.bin', ADD);
  const sharedPath = writeBinary(dir, 'shared.bin', SHARED);

  it('reports power control and the raw options of each backend API version', async () => {
    for (const [backend, options] of [
      ['5.20.0', ['dcvsV3', 'rpcControlLatencyUs', 'rpcPollingTimeUs', 'hmxTimeoutIntervalUs']],
      ['5.25.0', ['dcvsV3', 'rpcControlLatencyUs', 'rpcPollingTimeUs', 'hmxTimeoutIntervalUs', 'hmxV2']],
      ['5.43.0', ['dcvsV3', 'rpcControlLatencyUs', 'rpcPollingTimeUs', 'hmxTimeoutIntervalUs', 'hmxV2', 'adaptivePollingTimeUs', 'ddrPerfMode']],
    ] as const) {
      await withEnv({ QNN_REFERENCE_API_VERSION: `backend=${backend}` }, async () => {
        await using qnn = await Qnn.load({ backend: 'reference' });
        expect(qnn.info.power).toEqual({ available: true, reason: null, options });
      });
    }
  });

  for (const backend of ['5.20.0', '5.25.0', '5.43.0']) {
    it(`sends each profile's exact configs (backend API ${backend})`, async () => {
      await withEnv({ QNN_REFERENCE_API_VERSION: `backend=${backend}` }, () =>
        withJournal(dir, async (j) => {
          for (const profile of PERF_PROFILES.filter((p) => p !== 'default')) {
            j.clear();
            const qnn = await Qnn.load({ backend: 'reference', perfProfile: profile });
            expect(qnn.perfProfile).toBe(profile);
            const calls = powerCalls(j);
            expect(calls[0]).toMatchObject({ call: 'createPowerConfigId', deviceId: 0, coreId: 0, status: 0 });
            const id = calls[0].powerConfigId as number;
            expect(calls.slice(1)).toEqual([{ call: 'setPowerConfig', powerConfigId: id, status: 0, configs: expectedConfigs(profile, id) }]);
            // dispose: release, then the id goes, then the device.
            j.clear();
            await qnn.dispose();
            expect(j.entries().map((e) => e.call)).toEqual(['setPowerConfig', 'destroyPowerConfigId', 'deviceFree']);
            expect(j.entries('setPowerConfig')[0].configs).toEqual(expectedConfigs('default', id));
            expect(j.entries('destroyPowerConfigId')[0]).toMatchObject({ powerConfigId: id, status: 0 });
          }
        }),
      );
    });
  }

  it("'default' with nothing voted calls nothing; after a vote it releases", async () => {
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference', perfProfile: 'default' });
      expect(powerCalls(j)).toEqual([]);
      await qnn.setPerfProfile('burst');
      await qnn.setPerfProfile('default');
      expect(votedProfiles(j)).toEqual(['burst', 'default']);
      await qnn.setPerfProfile('default');
      expect(votedProfiles(j)).toEqual(['burst', 'default']);
    });
  });

  it('a run without perfProfile journals nothing but its graphExecute entries', async () => {
    await withJournal(dir, async (j) => {
      {
        await using qnn = await Qnn.load({ backend: 'reference' });
        await using ctx = await qnn.loadContext(addPath);
        const g = ctx.graph('add');
        j.clear(); // the load's own calls (backendCreate, configs) are not the runs'
        await g.run({ a, b });
        g.runSync({ a, b }, { outputs: { out: Tensor.zeros('float32', [2, 3]) } });
        expect(j.entries().filter((e) => e.call !== 'graphExecute')).toEqual([]);
        // Each execute journals its staged RAW copies: a and b in (2 × 24 bytes), out (24) out.
        const executes = j.entries('graphExecute');
        expect(executes).toEqual([0, 1].map(() => ({ call: 'graphExecute', graph: 'add', rawBytesIn: 48, rawBytesOut: 24, memHandleTensors: 0 })));
      }
      expect(powerCalls(j)).toEqual([]);
      expect(j.entries().filter((e) => e.call !== 'graphExecute').map((e) => e.call)).toEqual(['contextFree', 'deviceFree']);
    });
  });

  it('a run may both vote a profile and be profiled: the vote precedes the profiled execute, and both restore', async () => {
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(addPath);
      const g = ctx.graph('add');
      j.clear();
      let events: readonly { typeName: string }[] = [];
      const { out } = await g.run({ a, b }, { perfProfile: 'burst', restorePerfProfile: true, profile: 'basic', onProfile: (p) => (events = p.events) });
      expect([...out.data]).toEqual([7, 7, 7, 7, 7, 7]);
      expect(events.map((e) => e.typeName)).toContain('execute');
      const calls = j.entries().map((e) => e.call);
      expect(calls.indexOf('setPowerConfig')).toBeLessThan(calls.indexOf('profileCreate'));
      expect(calls.filter((c) => c === 'setPowerConfig')).toHaveLength(2); // burst, then the restore
      expect(calls.filter((c) => c === 'profileFree')).toHaveLength(1);
      g.runSync({ a, b }, { perfProfile: 'burst', profile: 'detailed' });
      expect(g.lastProfile?.events.length).toBeGreaterThan(0);
      expect(votedProfiles(j)).toEqual(['burst', 'default', 'burst']);
    });
  });

  it('switches per run only when the profile changes, and restores when asked', async () => {
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(addPath);
      const g = ctx.graph('add');
      const { out } = await g.run({ a, b }, { perfProfile: 'burst' });
      expect([...out.data]).toEqual([7, 7, 7, 7, 7, 7]);
      await g.run({ a, b }, { perfProfile: 'burst' });
      g.runSync({ a, b }, { perfProfile: 'burst' });
      expect(votedProfiles(j)).toEqual(['burst']);
      expect(j.entries('createPowerConfigId')).toHaveLength(1);
      // A run in power_saver that restores: two votes, back to burst.
      await g.run({ a, b }, { perfProfile: 'power_saver', restorePerfProfile: true });
      expect(votedProfiles(j)).toEqual(['burst', 'power_saver', 'burst']);
      // Unchanged profile + restore: no call at all.
      await g.run({ a, b }, { perfProfile: 'burst', restorePerfProfile: true });
      // No profile anywhere: nothing.
      await g.run({ a, b });
      expect(votedProfiles(j)).toEqual(['burst', 'power_saver', 'burst']);
      // Without restore the run's profile stays.
      await g.run({ a, b }, { perfProfile: 'balanced' });
      await g.run({ a, b });
      expect(votedProfiles(j)).toEqual(['burst', 'power_saver', 'burst', 'balanced']);
      // Restoring to "nothing voted before" releases.
      j.clear();
      await using qnn2 = await Qnn.load({ backend: 'reference' });
      await using ctx2 = await qnn2.loadContext(addPath);
      await ctx2.graph('add').run({ a, b }, { perfProfile: 'high_performance', restorePerfProfile: true });
      expect(votedProfiles(j)).toEqual(['high_performance', 'default']);
    });
  });

  it('a context profile applies while its graphs run; the instance profile to the others', async () => {
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference', perfProfile: 'low_balanced' });
      await using fast = await qnn.loadContext(addPath, { perfProfile: 'sustained_high_performance' });
      await using plain = await qnn.loadContext(sharedPath);
      expect(fast.info.perfProfile).toBe('sustained_high_performance');
      const x = new Tensor('float32', Float32Array.from([1, 2, 3, 4]), [1, 4]);
      await fast.graph('add').run({ a, b });
      await fast.graph('add').run({ a, b });
      await plain.graph('decode').run({ x });
      await fast.graph('add').run({ a, b }, { perfProfile: 'burst' });
      await fast.graph('add').run({ a, b });
      expect(votedProfiles(j)).toEqual(['low_balanced', 'high_performance', 'low_balanced', 'burst', 'high_performance']);
      await qnn.setPerfProfile('extreme_power_saver');
      await plain.graph('decode').run({ x });
      expect(votedProfiles(j).slice(5)).toEqual(['extreme_power_saver']);
      // null clears the instance profile without a vote: runs of `plain` then leave the vote alone.
      await qnn.setPerfProfile(null);
      expect(qnn.perfProfile).toBeUndefined();
      await fast.graph('add').run({ a, b });
      await plain.graph('decode').run({ x });
      expect(votedProfiles(j).slice(5)).toEqual(['extreme_power_saver', 'high_performance']);
    });
  });

  it('concurrent runs vote the highest profile in flight, then restore', async () => {
    await withEnv({ QNN_REFERENCE_EXECUTE_DELAY_MS: '150' }, () =>
      withJournal(dir, async (j) => {
        await using qnn = await Qnn.load({ backend: 'reference' });
        await using ctx = await qnn.loadContext(sharedPath);
        const x3 = new Tensor('float32', new Float32Array(12), [3, 4]);
        const x1 = new Tensor('float32', new Float32Array(4), [1, 4]);
        const [r1, r2] = await Promise.all([
          ctx.graph('prefill').run({ x: x3 }, { perfProfile: 'burst', restorePerfProfile: true }),
          ctx.graph('decode').run({ x: x1 }, { perfProfile: 'power_saver', restorePerfProfile: true }),
        ]);
        expect(r1.y.dims).toEqual([3, 4]);
        expect(r2.y.dims).toEqual([1, 4]);
        const votes = votedProfiles(j);
        // Whichever run the pool started first: burst is in place while both run, and
        // the end restores the state before them (nothing voted → released).
        expect([
          ['burst', 'power_saver', 'default'],
          ['burst', 'default'],
          ['power_saver', 'burst', 'power_saver', 'default'],
          ['power_saver', 'burst', 'default'],
        ]).toContainEqual(votes);
        expect(j.entries('createPowerConfigId')).toHaveLength(1);
      }),
    );
  });

  it('sends raw configs field by field in the layout of the reported version', async () => {
    await withEnv({ QNN_REFERENCE_API_VERSION: 'backend=5.43.0' }, () =>
      withJournal(dir, async (j) => {
        await using qnn = await Qnn.load({ backend: 'reference', perfProfile: 'burst' });
        await qnn.setPowerConfig([
          { dcvsV3: { dcvsEnable: true, powerMode: 'duty_cycle', bus: { min: 'svs', target: 'nom', max: 'turbo_l4' } } },
          { rpcControlLatencyUs: 250 },
          { rpcPollingTimeUs: 0 },
          { hmxTimeoutIntervalUs: 5000 },
          { hmxV2: { corner: { min: 'turbo', target: 'max', max: 'max' }, perfMode: 'low' } },
          { adaptivePollingTimeUs: 300 },
          { ddrPerfMode: true },
        ]);
        expect(qnn.perfProfile).toBeUndefined();
        const set = j.entries('setPowerConfig');
        const id = set[0].powerConfigId;
        expect(set[1]).toEqual({
          call: 'setPowerConfig',
          powerConfigId: id,
          status: 0,
          configs: [
            {
              option: 'DCVS_V3', contextId: id, setDcvsEnable: 1, dcvsEnable: 1, powerMode: 0x20, setSleepLatency: 0, sleepLatency: 0,
              setSleepDisable: 0, sleepDisable: 0, setBusParams: 1, busVoltageCornerMin: 0x40, busVoltageCornerTarget: 0x60,
              busVoltageCornerMax: 0x94, setCoreParams: 0, coreVoltageCornerMin: 0, coreVoltageCornerTarget: 0, coreVoltageCornerMax: 0,
            },
            { option: 'RPC_CONTROL_LATENCY', rpcControlLatency: 250 },
            { option: 'RPC_POLLING_TIME', rpcPollingTime: 0 },
            { option: 'HMX_TIMEOUT_INTERVAL_US', hmxTimeoutIntervalUs: 5000 },
            { option: 'HMX_V2', hmxPickDefault: 0, hmxVoltageCornerMin: 0x280, hmxVoltageCornerTarget: 0xffff, hmxVoltageCornerMax: 0xffff, hmxPerfMode: 1 },
            { option: 'ADAPTIVE_POLLING_TIME', adaptivePollingTime: 300 },
            { option: 'DDR_PERF_MODE', ddrPerfMode: 1 },
          ],
        });
        // A profile replaces the raw vote (always sent: the raw state is not a profile).
        await qnn.setPerfProfile('burst');
        expect(votedProfiles(j)).toEqual(['burst', 'custom', 'burst']);
      }),
    );
  });

  it('validates raw configs field by field, naming the field and the value', async () => {
    await withEnv({ QNN_REFERENCE_API_VERSION: 'backend=5.25.0' }, async () => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      const cases: [unknown, string, RegExp][] = [
        ['burst', 'ERR_INVALID_ARG', /an array of power configs for configs but received "burst"/],
        [[], 'ERR_OUT_OF_RANGE', /1 to 64 power configs for configs/],
        [[{ rpcPollingTimeUs: 10000 }], 'ERR_OUT_OF_RANGE', /integer from 0 to 9999 for configs\[0\]\.rpcPollingTimeUs but received number 10000/],
        [[{ rpcControlLatencyUs: -1 }], 'ERR_OUT_OF_RANGE', /configs\[0\]\.rpcControlLatencyUs but received number -1/],
        [[{ rpcControlLatencyUs: 1.5 }], 'ERR_INVALID_ARG', /configs\[0\]\.rpcControlLatencyUs but received number 1\.5/],
        [[{ dcvsV3: { sleepLatencyUs: 5 } }], 'ERR_OUT_OF_RANGE', /10 to 65535 for configs\[0\]\.dcvsV3\.sleepLatencyUs but received number 5/],
        [[{ dcvsV3: { bus: { min: 'nom', target: 'svs', max: 'max' } } }], 'ERR_OUT_OF_RANGE', /min <= target <= max for configs\[0\]\.dcvsV3\.bus but received "nom\/svs\/max"/],
        [[{ dcvsV3: { core: { min: 'svs', target: 'fast', max: 'max' } } }], 'ERR_INVALID_ARG', /configs\[0\]\.dcvsV3\.core\.target but received "fast"/],
        [[{ dcvsV3: { dcvsEnable: true } }], 'ERR_INVALID_ARG', /dcvsEnable and powerMode together .* for configs\[0\]\.dcvsV3\.powerMode/],
        [[{ dcvsV3: { dcvsEnable: 1, powerMode: 'performance' } }], 'ERR_INVALID_ARG', /a boolean for configs\[0\]\.dcvsV3\.dcvsEnable but received number 1/],
        [[{ dcvsV3: { voltage: 3 } }], 'ERR_INVALID_ARG', /configs\[0\]\.dcvsV3\.voltage but received number 3/],
        [[{ rpcControlLatencyUs: 1, rpcPollingTimeUs: 1 }], 'ERR_INVALID_ARG', /exactly one of .* for configs\[0\]/],
        [[{ turbo: true }], 'ERR_INVALID_ARG', /exactly one of .* for configs\[0\]/],
        [[{ dcvsV3: { bus: { min: 'svs', target: 'turbo_l5', max: 'max' } } }], 'UNSUPPORTED_OPTION', /"turbo_l5" \(configs\[0\]\.dcvsV3\.bus\.target\) needs HTP backend API 5\.43 \(QNN SDK 2\.43\) or newer; the loaded backend reports 5\.25\.0/],
        [[{ adaptivePollingTimeUs: 100 }], 'UNSUPPORTED_OPTION', /adaptivePollingTimeUs \(ADAPTIVE_POLLING_TIME\) needs HTP backend API 5\.43 \(QNN SDK 2\.43\) or newer; the loaded backend reports 5\.25\.0/],
      ];
      for (const [configs, code, message] of cases) {
        const err = await qnn.setPowerConfig(configs as never).catch((e: unknown) => e);
        expect(err, JSON.stringify(configs)).toMatchObject({ code });
        expect((err as Error).message).toMatch(message);
      }
    });
    await withEnv({ QNN_REFERENCE_API_VERSION: 'backend=5.20.0' }, async () => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      const err = await qnn.setPowerConfig([{ hmxV2: { pickDefault: true } }]).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'UNSUPPORTED_OPTION', details: { option: 'HMX_V2', backendApiVersion: '5.20.0', requiredBackendApiVersion: '5.25' } });
    });
  });

  it('rejects a malformed config at the backend as HTP does (raw words past the TypeScript checks)', async () => {
    const addon = loadAddon();
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      // The native runtime behind qnn: reach it through a fresh one (the same library).
      const runtime = new addon.Runtime();
      await runtime.load({ backendPath: qnn.info.backendPath, device: true });
      const words = (option: number, ...values: number[]): Uint32Array => {
        const w = new Uint32Array(17);
        w[0] = option;
        w.set(values, 1);
        return w;
      };
      // RPC polling above 9999 µs; a bus corner that is no corner; a power mode that is none.
      const bad = [words(3, 10000), words(1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x33, 0x40, 0x40), words(1, 0, 1, 1, 0x3)];
      for (const w of bad) {
        const err = await runtime.setPowerConfig(w).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'QNN_ERROR', apiFunction: 'setPowerConfig', statusName: 'QNN_HTP_PERF_INFRASTRUCTURE_ERROR_INVALID_INPUT' });
      }
      expect(j.entries('setPowerConfig').map((e) => e.status)).toEqual([13001, 13001, 13001]);
      expect((j.entries('setPowerConfig')[1].configs as { busVoltageCornerMin: number }[])[0].busVoltageCornerMin).toBe(0x33);
      // Not an option of any release: refused before the backend.
      const err = await runtime.setPowerConfig(words(9, 1)).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'UNSUPPORTED_OPTION', details: { option: '9' } });
      runtime.dispose();
    });
  });

  it('without a device or perf infrastructure: info says why, profiles are refused', async () => {
    const cases: [Record<string, string>, { device?: boolean }, RegExp][] = [
      [{}, { device: false }, /device: false/],
      [{ QNN_REFERENCE_NO_DSP: '1' }, {}, /no QNN device: deviceCreate failed with QNN_DEVICE_ERROR_INVALID_CONFIG \(14001\)/],
      [{ QNN_REFERENCE_PERF_INFRA: 'missing' }, {}, /no deviceGetInfrastructure in its function table/],
      [{ QNN_REFERENCE_PERF_INFRA: 'other-type' }, {}, /infrastructure type 1, not the HTP perf infrastructure \(0\)/],
      [{ QNN_REFERENCE_PERF_INFRA: 'no-power-fns' }, {}, /the HTP perf infrastructure has no createPowerConfigId/],
      [{ QNN_REFERENCE_FAIL: 'deviceGetInfrastructure=1000' }, {}, /deviceGetInfrastructure failed with QNN_DEVICE_ERROR_UNSUPPORTED_FEATURE \(1000\)/],
    ];
    for (const [env, options, reason] of cases) {
      await withEnv(env, async () => {
        const refused = await Qnn.load({ backend: 'reference', ...options, perfProfile: 'burst' }).catch((e: unknown) => e);
        expect(refused, JSON.stringify(env)).toMatchObject({ code: 'POWER_UNAVAILABLE' });
        expect((refused as Error).message).toMatch(reason);
        await using qnn = await Qnn.load({ backend: 'reference', ...options });
        expect(qnn.info.power.available).toBe(false);
        expect(qnn.info.power.reason).toMatch(reason);
        expect(qnn.info.power.options).toEqual([]);
        await expect(qnn.setPerfProfile('balanced')).rejects.toMatchObject({ code: 'POWER_UNAVAILABLE' });
        await expect(qnn.setPowerConfig([{ rpcPollingTimeUs: 9999 }])).rejects.toMatchObject({ code: 'POWER_UNAVAILABLE' });
        await qnn.setPerfProfile('default'); // nothing to release: fine
        if (env.QNN_REFERENCE_NO_DSP) return; // no context without a DSP either
        await expect(qnn.loadContext(addPath, { perfProfile: 'burst' })).rejects.toMatchObject({ code: 'POWER_UNAVAILABLE' });
        await using ctx = await qnn.loadContext(addPath);
        const run = await ctx.graph('add').run({ a, b }, { perfProfile: 'burst' }).catch((e: unknown) => e);
        expect(run).toMatchObject({ code: 'POWER_UNAVAILABLE' });
        expect((run as Error).message).toMatch(reason);
        expect(() => ctx.graph('add').runSync({ a, b }, { perfProfile: 'high_performance' })).toThrow(/power control is unavailable/);
        await ctx.graph('add').run({ a, b }, { perfProfile: 'default' });
      });
    }
  });

  it('refuses bad profile names and options with typed errors', async () => {
    await expect(Qnn.load({ backend: 'reference', perfProfile: 'turbo' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    await using qnn = await Qnn.load({ backend: 'reference' });
    await expect(qnn.setPerfProfile('fast' as never)).rejects.toThrow(/Expected one of burst, .* for profile but received "fast"/);
    await expect(qnn.loadContext(addPath, { perfProfile: 3 as never })).rejects.toThrow(/for options\.perfProfile but received number 3/);
    await using ctx = await qnn.loadContext(addPath);
    await expect(ctx.graph('add').run({ a, b }, { perfProfile: 'max' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    await expect(ctx.graph('add').run({ a, b }, { restorePerfProfile: 'yes' as never })).rejects.toThrow(/a boolean for options\.restorePerfProfile/);
  });

  it('the native layer checks the power arguments again (any JS value)', async () => {
    const addon = loadAddon();
    const runtime = new addon.Runtime();
    const paths = referenceBackendPaths();
    await runtime.load({ backendPath: paths.backend, systemPath: paths.system });
    const context = new addon.Context(runtime);
    await context.load(addPath);
    const graph = new addon.Graph(context, 0);
    const bufs = (): [Float32Array[], Float32Array[]] => [[new Float32Array(6), new Float32Array(6)], [new Float32Array(6)]];
    for (const options of [{ perfProfile: 5 }, { perfProfile: 'fast' }, { perfProfile: {} }, { restorePerfProfile: 1 }, 'burst']) {
      expect(() => graph.runSync(...bufs(), options as never), JSON.stringify(options)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    }
    const getter = { get perfProfile(): string { throw new Error('getter'); } };
    expect(() => graph.runSync(...bufs(), getter as never)).toThrow('getter');
    expect(() => context.setPerfProfile(7 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    expect(() => runtime.setPerfProfile(Symbol('x') as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    expect(() => runtime.setPowerConfig(new Float32Array(17) as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    expect(() => runtime.setPowerConfig(new Uint32Array(5))).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => runtime.setPowerConfig(new Uint32Array(17 * 65))).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => runtime.setPowerConfig(new Uint32Array(17), -1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    // A core the platform does not have: createPowerConfigId refuses it.
    const w = new Uint32Array(17);
    w[0] = 2;
    await expect(runtime.setPowerConfig(w, 0, 3)).rejects.toMatchObject({ code: 'QNN_ERROR', apiFunction: 'createPowerConfigId' });
    graph.runSync(...bufs(), { perfProfile: 'burst', restorePerfProfile: true });
    context.dispose();
    runtime.dispose();
  });

  it('a failing vote fails the run; a failing restore is reported', async () => {
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(addPath);
      const err = await withEnv({ QNN_REFERENCE_FAIL: 'setPowerConfig=13006' }, () =>
        ctx.graph('add').run({ a, b }, { perfProfile: 'burst' }).catch((e: unknown) => e),
      );
      expect(err).toMatchObject({ code: 'QNN_ERROR', apiFunction: 'setPowerConfig', statusName: 'QNN_HTP_PERF_INFRASTRUCTURE_ERROR_FAILED' });
      // Nothing was voted: the next run votes burst.
      await ctx.graph('add').run({ a, b }, { perfProfile: 'burst' });
      expect(j.entries('setPowerConfig').map((e) => e.status)).toEqual([13006, 0]);
    });
  });
});
