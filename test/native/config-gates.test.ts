/**
 * The native config path under hostile or out-of-range input and under backends whose
 * reported version / id the HTP configs do not fit: typed errors before anything reaches
 * the backend, and no load attempted twice for a config the retry cannot fix.
 */
import { expect, it } from 'vitest';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { QnnStatusError } from '../../lib/errors.js';
import { loadAddon, referenceBackendPaths } from '../../lib/native/binding.js';
import { ADD, describeNative, tempDir, withEnv, writeBinary } from './helpers.js';
import { withJournal } from './journal.js';

const SIG = [
  {
    name: 'add',
    inputs: [
      { name: 'a', dataType: 0x0232, dims: [2, 3] },
      { name: 'b', dataType: 0x0232, dims: [2, 3] },
    ],
    outputs: [{ name: 'out', dataType: 0x0232, dims: [2, 3] }],
  },
];

describeNative('native context configs: gates and parsing', () => {
  const dir = tempDir();
  const bin = writeBinary(dir, 'add.bin', ADD);

  /** Loads `bin` through the addon with a config plan; the error, or undefined. */
  async function loadWith(configs: unknown, env: Record<string, string> = {}): Promise<unknown> {
    return withEnv(env, async () => {
      const addon = loadAddon();
      const rt = new addon.Runtime();
      try {
        await rt.load({ backendPath: referenceBackendPaths().backend });
        const ctx = new addon.Context(rt);
        try {
          await ctx.load(bin, SIG as never, false, configs as never);
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

  it('a float beyond the 32-bit range is refused, not converted', async () => {
    for (const value of [[1e300, 1], [1, -1e39]]) {
      const err = await loadWith({ graphs: [{ custom: [{ option: 11, value }] }] });
      expect(err, JSON.stringify(value)).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
      expect((err as Error).message).toMatch(/32-bit float .* for configs\.graphs\[0\]\.custom\[0\]\.value\[[01]\] but received number -?1e\+?(300|39)/);
    }
    // The largest float is fine.
    await withJournal(dir, async (j) => {
      expect(await loadWith({ graphs: [{ custom: [{ option: 11, value: [3.4028234663852886e38, 1] }] }] })).toBeUndefined();
      expect(j.entries('graphSetConfig')).toHaveLength(1);
    });
  });

  it('an element getter growing a config array cannot pass the caps', async () => {
    // 64 custom configs (the cap); reading the last appends a 65th, invalid one.
    const custom: unknown[] = Array.from({ length: 64 }, () => ({ option: 6, value: 4 }));
    Object.defineProperty(custom, 63, {
      get() {
        custom.push('not a config');
        return { option: 6, value: 4 };
      },
      enumerable: true,
      configurable: true,
    });
    expect(await loadWith({ graphs: [{ custom }] })).toBeUndefined();
    expect(custom.length).toBe(65);
    // The same for the 4096 graph configs.
    const graphs: unknown[] = Array.from({ length: 4096 }, () => ({}));
    Object.defineProperty(graphs, 4095, {
      get() {
        graphs.push('not a graph config');
        return {};
      },
      enumerable: true,
      configurable: true,
    });
    expect(await loadWith({ graphs })).toBeUndefined();
    expect(graphs.length).toBe(4097);
  });

  it('HTP configs are refused for an HTP backend at another API major, naming the versions', async () => {
    for (const [configs, option] of [
      [{ custom: [{ option: 1, value: true, name: 'weightSharing' }] }, 'weightSharing'],
      [{ graphs: [{ custom: [{ option: 6, value: 4, name: 'numHvxThreads' }] }] }, 'numHvxThreads'],
      [{ group: { maxSpillFill: 10 } }, 'REGISTER_MULTI_CONTEXTS'],
    ] as const) {
      await withJournal(dir, async (j) => {
        const err = await loadWith(configs, { QNN_REFERENCE_API_VERSION: 'backend=6.50.0' });
        expect(err, option).toMatchObject({ code: 'UNSUPPORTED_OPTION', details: { option, backendApiVersion: '6.50.0' } });
        expect((err as Error).message).toMatch(/laid out for HTP backend API 5\.x; the loaded backend reports 6\.50\.0/);
        expect(j.entries('graphSetConfig')).toEqual([]);
      });
    }
  });

  it('HTP configs are refused for a backend that is not HTP, whatever minor it reports', async () => {
    const env = { QNN_REFERENCE_BACKEND_ID: '3', QNN_REFERENCE_API_VERSION: 'backend=5.43.0' };
    await withJournal(dir, async (j) => {
      const err = await loadWith({ custom: [{ option: 1, value: true, name: 'weightSharing', since: 25 }] }, env);
      expect(err).toMatchObject({ code: 'UNSUPPORTED_OPTION', details: { option: 'weightSharing', backendApiVersion: '5.43.0', requiredBackendApiVersion: '5.25' } });
      expect((err as Error).message).toMatch(/weightSharing is an HTP option; the loaded backend "\w+" reports backend id 3, not libQnnHtp \(6\)/);
      expect(j.entries('contextCreateFromBinary')).toEqual([]);
    });
    // Device configs at deviceCreate: the same gate, before any HTP struct is laid out.
    const addon = loadAddon();
    await withEnv(env, async () => {
      const rt = new addon.Runtime();
      const err = await (async () => rt.load({ backendPath: referenceBackendPaths().backend, device: true, deviceConfigs: [{ option: 0, value: 57, name: 'socModel' }] as never }))().catch((e: unknown) => e);
      rt.dispose();
      expect(err).toMatchObject({ code: 'UNSUPPORTED_OPTION', details: { option: 'socModel' } });
    });
    // Without HTP configs the backend loads contexts as before.
    expect(await loadWith(undefined, env)).toBeUndefined();
  });

  it('the default load retries without PERSISTENT_BINARY only when that config alone was sent', async () => {
    await withEnv({ QNN_REFERENCE_FAIL: 'contextCreateFromBinary=5010' }, async () => {
      const lines: string[] = [];
      await using qnn = await Qnn.load({ backend: 'reference', logLevel: 'error', onLog: (_level, msg) => lines.push(msg) });
      const attempts = async (options: object): Promise<number> => {
        lines.length = 0;
        const err = await qnn.loadContext(bin, options).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(QnnStatusError);
        expect((err as QnnStatusError).statusCode).toBe(5010);
        await new Promise((r) => setTimeout(r, 50)); // log lines cross threads
        return lines.filter((l) => l.includes('contextCreateFromBinary')).length;
      };
      expect(await attempts({})).toBe(2);
      // With a priority (or any other config) the rejection may be that config's: no retry.
      expect(await attempts({ priority: 'high' })).toBe(1);
      expect(await attempts({ htp: { ioMemEstimation: true } })).toBe(1);
    });
  });
});
