/**
 * Power votes around runs in flight (reference backend's perf infrastructure + journal):
 * the instance profile waits for the runs, a restore asked by any run of a batch is
 * honoured, a profile replacing raw configs drops their id, and the HTP version gate.
 */
import { expect, it } from 'vitest';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { loadAddon } from '../../lib/native/binding.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { withJournal, type Journal } from './journal.js';
import { SHARED, describeNative, tempDir, withEnv, writeBinary } from './helpers.js';

// DCVS v3 [powerMode, sleepLatency, corner] of the profiles used here (docs/power.md).
const DCVS: Record<string, [number, number, number]> = {
  burst: [0x10, 40, 0xa0],
  balanced: [0x10, 1000, 0x70],
  power_saver: [0x10, 1000, 0x40],
  default: [0x01, 65535, 0x10],
};

function voted(j: Journal): string[] {
  return j.entries('setPowerConfig').map((e) => {
    const dcvs = (e.configs as { option: string; powerMode?: number; sleepLatency?: number; busVoltageCornerMin?: number }[]).find((c) => c.option === 'DCVS_V3');
    const hit = Object.entries(DCVS).find(([, [mode, sleep, corner]]) => dcvs?.powerMode === mode && dcvs.sleepLatency === sleep && dcvs.busVoltageCornerMin === corner);
    return hit?.[0] ?? 'custom';
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describeNative('power votes with runs in flight', () => {
  const dir = tempDir();
  const sharedPath = writeBinary(dir, 'shared.bin', SHARED);
  const x3 = new Tensor('float32', new Float32Array(12), [3, 4]);
  const x1 = new Tensor('float32', new Float32Array(4), [1, 4]);

  it('setPerfProfile during a run does not override its vote: voted when the run ends', async () => {
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(sharedPath);
      const run = withEnv({ QNN_REFERENCE_EXECUTE_DELAY_MS: '400' }, async () => {
        const p = ctx.graph('prefill').run({ x: x3 }, { perfProfile: 'burst' });
        await sleep(150); // the run is in graphExecute
        return p;
      });
      await sleep(200);
      await qnn.setPerfProfile('power_saver');
      expect(voted(j)).toEqual(['burst']); // the run in flight keeps burst
      await run;
      expect(voted(j)).toEqual(['burst', 'power_saver']);
      expect(qnn.perfProfile).toBe('power_saver');
    });
  });

  it("a run's restore is honoured when another run without restore ends last", async () => {
    await withJournal(dir, async (j) => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(sharedPath);
      // The long run (no restore) reads the 400 ms delay; the short one, started while it
      // runs, none: the short run (restore) ends first.
      process.env.QNN_REFERENCE_EXECUTE_DELAY_MS = '400';
      let long: Promise<unknown>;
      try {
        long = ctx.graph('prefill').run({ x: x3 }, { perfProfile: 'balanced' });
        await sleep(150);
      } finally {
        delete process.env.QNN_REFERENCE_EXECUTE_DELAY_MS;
      }
      ctx.graph('decode').runSync({ x: x1 }, { perfProfile: 'burst', restorePerfProfile: true });
      expect(voted(j)).toEqual(['balanced', 'burst', 'balanced']);
      await long;
      // Nothing was voted before the batch: the restore releases.
      expect(voted(j)).toEqual(['balanced', 'burst', 'balanced', 'default']);
    });
  });

  it('a profile replacing raw configs destroys their power config id (dropping what no profile sends)', async () => {
    await withEnv({ QNN_REFERENCE_API_VERSION: 'backend=5.43.0' }, () =>
      withJournal(dir, async (j) => {
        await using qnn = await Qnn.load({ backend: 'reference' });
        await qnn.setPowerConfig([{ hmxV2: { corner: { min: 'turbo', target: 'max', max: 'max' }, perfMode: 'low' } }, { ddrPerfMode: true }]);
        const rawId = j.entries('createPowerConfigId')[0]!.powerConfigId;
        j.clear();
        await qnn.setPerfProfile('burst');
        const calls = j.entries().map((e) => e.call);
        expect(calls).toEqual(['destroyPowerConfigId', 'createPowerConfigId', 'setPowerConfig']);
        expect(j.entries('destroyPowerConfigId')[0]).toMatchObject({ powerConfigId: rawId, status: 0 });
        const freshId = j.entries('createPowerConfigId')[0]!.powerConfigId;
        expect(freshId).not.toBe(rawId);
        expect(voted(j)).toEqual(['burst']);
        // Between profiles the id stays.
        j.clear();
        await qnn.setPerfProfile('balanced');
        expect(j.entries().map((e) => e.call)).toEqual(['setPowerConfig']);
      }),
    );
  });

  it('native raw power options the version lacks: UNSUPPORTED_OPTION with the required version', async () => {
    const addon = loadAddon();
    const words = (option: number, ...values: number[]): Uint32Array => {
      const w = new Uint32Array(17);
      w[0] = option;
      w.set(values, 1);
      return w;
    };
    for (const [version, option, name, required] of [
      ['5.20.0', 5, 'HMX_V2', '5.25'],
      ['5.25.0', 7, 'DDR_PERF_MODE', '5.43'],
    ] as const) {
      await withEnv({ QNN_REFERENCE_API_VERSION: `backend=${version}` }, async () => {
        await using qnn = await Qnn.load({ backend: 'reference' });
        const runtime = new addon.Runtime();
        await runtime.load({ backendPath: qnn.info.backendPath, device: true });
        const err = await runtime.setPowerConfig(words(option, 1)).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'UNSUPPORTED_OPTION', details: { option: name, backendApiVersion: version, requiredBackendApiVersion: required } });
        expect((err as Error).message).toMatch(new RegExp(`${name} needs backend API ${required.replace('.', '\\.')}`));
        runtime.dispose();
      });
    }
  });

  it('an HTP backend at another API major has no power control (its layouts are unknown)', async () => {
    await withEnv({ QNN_REFERENCE_API_VERSION: 'backend=6.50.0' }, async () => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      expect(qnn.info.power.available).toBe(false);
      expect(qnn.info.power.reason).toMatch(/backend API 6\.50\.0: qnn-node knows the perf infrastructure of HTP backend API 5\.x only/);
    });
  });
});
