/**
 * Load-stage diagnostics against the reference backend (issue 8 §3): every load error says
 * which library was loaded and what it reported; unknown statuses name their range; a
 * context failure after a failed deviceCreate says so; loads can time out or be aborted.
 */
import { expect, it } from 'vitest';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { QnnNodeError, QnnStatusError } from '../../lib/errors.js';
import { ADD, describeNative, tempDir, withEnv, writeBinary } from './helpers.js';

const dir = tempDir();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function loadError(env: Record<string, string>, options: Parameters<typeof Qnn.load>[0] = { backend: 'reference' }): Promise<QnnNodeError> {
  return withEnv(env, async () => {
    const qnn = await Qnn.load(options).catch((e: unknown) => e);
    if (qnn instanceof Qnn) {
      await qnn.dispose();
      throw new Error('Qnn.load succeeded');
    }
    return qnn as QnnNodeError;
  });
}

describeNative('load-stage errors carry what was loaded', () => {
  it('a backendCreate failure names the library, provider, API versions and build id', async () => {
    const e = await loadError({ QNN_REFERENCE_FAIL: 'backendCreate=4000' });
    expect(e).toBeInstanceOf(QnnStatusError);
    expect(e.details).toMatchObject({
      library: 'backend',
      stage: 'backendCreate',
      providerName: 'QNN_NODE_REFERENCE',
      coreApiVersion: '2.32.0',
      backendApiVersion: '5.43.0',
      backendId: String(0x4e52),
    });
    expect(String(e.details.path)).toMatch(/libQnnReference\.(so|dylib)$|QnnReference\.dll$/);
    expect(String(e.details.buildId)).toContain('qnn-node reference');
    expect(String(e.details.providers)).toContain('QNN_NODE_REFERENCE');
  });

  it('a refused core API keeps the reported versions and the build id', async () => {
    const e = await loadError({ QNN_REFERENCE_API_VERSION: 'core=2.10.0,backend=5.10.0' });
    expect(e.code).toBe('UNSUPPORTED_VERSION');
    expect(e.details).toMatchObject({ library: 'backend', stage: 'version', reportedCoreApi: '2.10.0' });
    expect(String(e.details.buildId)).toContain('core 2.10.0');
    expect(String(e.details.providers)).toContain('backend API 5.10.0');
  });

  it('a required deviceCreate failure carries the same facts', async () => {
    const e = await loadError({ QNN_REFERENCE_FAIL: 'deviceCreate=14002' }, { backend: 'reference', device: true });
    expect(e.details).toMatchObject({ stage: 'deviceCreate', providerName: 'QNN_NODE_REFERENCE', coreApiVersion: '2.32.0' });
  });
});

describeNative('status codes', () => {
  it('an unknown code prints its number and the range it belongs to', async () => {
    const e = (await loadError({ QNN_REFERENCE_FAIL: 'backendCreate=4960' })) as QnnStatusError;
    expect(e.statusCode).toBe(4960);
    expect(e.message).toContain('unknown status 4960 (in the QNN backend (Saver) range 4950-4998)');
    expect(e.details.statusRange).toBe('backend (Saver) 4950-4998');
    const outside = (await loadError({ QNN_REFERENCE_FAIL: 'backendCreate=20001' })) as QnnStatusError;
    expect(outside.message).toContain('unknown status 20001 (in no range the QNN headers reserve)');
  });

  it('4950 is Saver\'s QNN_SAVER_ERROR_DUMMY_RETVALUE', async () => {
    const e = (await loadError({ QNN_REFERENCE_FAIL: 'backendCreate=4950' })) as QnnStatusError;
    expect(e.statusName).toBe('QNN_SAVER_ERROR_DUMMY_RETVALUE');
  });
});

describeNative('a backend without a device (an HTP without a reachable DSP)', () => {
  it('loadContext\'s 14001 carries the deviceCreate failure and what the HTP needs', async () => {
    const file = writeBinary(dir, 'add.bin', ADD);
    await withEnv({ QNN_REFERENCE_NO_DSP: '1' }, async () => {
      const qnn = await Qnn.load({ backend: 'reference' });
      try {
        expect(qnn.info.device).toBe(false);
        expect(qnn.info.deviceError).toContain('14001');
        const e = (await qnn.loadContext(file).catch((x: unknown) => x)) as QnnStatusError;
        expect(e).toBeInstanceOf(QnnStatusError);
        expect(e.statusCode).toBe(14001);
        expect(e.apiFunction).toBe('contextCreateFromBinary');
        expect(e.message).toContain('deviceCreate had failed at Qnn.load (deviceCreate failed with QNN_DEVICE_ERROR_INVALID_CONFIG (14001)');
        expect(e.message).toContain('/dev/fastrpc-*');
        expect(e.message).toContain('ADSP_LIBRARY_PATH');
        expect(e.message).toContain('Windows');
        expect(e.details).toMatchObject({ cause: 'no-device', deviceStatus: '14001', deviceStatusName: 'QNN_DEVICE_ERROR_INVALID_CONFIG' });
      } finally {
        await qnn.dispose();
      }
    });
  });

  it('device: false says the device was skipped', async () => {
    const file = writeBinary(dir, 'add2.bin', ADD);
    await withEnv({ QNN_REFERENCE_NO_DSP: '1' }, async () => {
      const qnn = await Qnn.load({ backend: 'reference', device: false });
      try {
        const e = (await qnn.loadContext(file).catch((x: unknown) => x)) as QnnStatusError;
        expect(e.message).toContain('loaded with device: false (--no-device)');
        expect(e.details.cause).toBe('no-device');
      } finally {
        await qnn.dispose();
      }
    });
  });
});

describeNative('load time limits and abort signals', () => {
  it('Qnn.load rejects with TIMEOUT at once while deviceCreate stalls, and frees the late backend', async () => {
    const logs: string[] = [];
    await withEnv({ QNN_REFERENCE_DELAY_MS: 'deviceCreate=1200' }, async () => {
      const t0 = performance.now();
      const e = (await Qnn.load({ backend: 'reference', timeoutMs: 100, logLevel: 'info', onLog: (_l, m) => logs.push(m) }).catch((x: unknown) => x)) as QnnNodeError;
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(e.code).toBe('TIMEOUT');
      expect(e.message).toContain('Qnn.load did not finish within 100 ms');
      expect(e.message).toContain('device: false');
      expect(e.details).toMatchObject({ operation: 'Qnn.load', timeoutMs: 100 });
    });
    // The stalled call returns later; what it created is torn down then.
    for (let i = 0; i < 40 && !logs.some((l) => l.includes('backend freed')); i++) await sleep(100);
    expect(logs.some((l) => l.includes('backend created'))).toBe(true);
    expect(logs.some((l) => l.includes('backend freed'))).toBe(true);
  });

  it('device: false skips the stalling deviceCreate', async () => {
    await withEnv({ QNN_REFERENCE_DELAY_MS: 'deviceCreate=5000' }, async () => {
      const qnn = await Qnn.load({ backend: 'reference', device: false, timeoutMs: 2000 });
      expect(qnn.info.device).toBe(false);
      await qnn.dispose();
    });
  });

  it('an AbortSignal rejects with ABORTED (also when it has already aborted)', async () => {
    const already = await Qnn.load({ backend: 'reference', signal: AbortSignal.abort() }).catch((x: unknown) => x);
    expect((already as QnnNodeError).code).toBe('ABORTED');
    await withEnv({ QNN_REFERENCE_DELAY_MS: 'backendCreate=600' }, async () => {
      const ac = new AbortController();
      const pending = Qnn.load({ backend: 'reference', signal: ac.signal });
      setTimeout(() => ac.abort(new Error('user gave up')), 50);
      const e = (await pending.catch((x: unknown) => x)) as QnnNodeError;
      expect(e.code).toBe('ABORTED');
      expect((e.cause as Error).message).toBe('user gave up');
    });
    await sleep(700);
  });

  it('loadContext takes { timeoutMs, signal }; Qnn.load({ contextTimeoutMs }) sets the default', async () => {
    const file = writeBinary(dir, 'add3.bin', ADD);
    const qnn = await Qnn.load({ backend: 'reference', contextTimeoutMs: 100 });
    try {
      await withEnv({ QNN_REFERENCE_DELAY_MS: 'contextCreateFromBinary=800' }, async () => {
        const t0 = performance.now();
        const byDefault = (await qnn.loadContext(file).catch((x: unknown) => x)) as QnnNodeError;
        expect(byDefault.code).toBe('TIMEOUT');
        expect(byDefault.message).toContain('Qnn#loadContext did not finish within 100 ms');
        const own = (await qnn.loadContext(file, { timeoutMs: 50 }).catch((x: unknown) => x)) as QnnNodeError;
        expect(own.code).toBe('TIMEOUT');
        expect(own.details.timeoutMs).toBe(50);
        const aborted = (await qnn.loadContext(file, { signal: AbortSignal.abort(), timeoutMs: 5000 }).catch((x: unknown) => x)) as QnnNodeError;
        expect(aborted.code).toBe('ABORTED');
        expect(performance.now() - t0).toBeLessThan(700);
      });
      // Without the delay a context loads within the default limit.
      const ctx = await qnn.loadContext(file, { timeoutMs: 5000 });
      expect(ctx.graphs.map((g) => g.name)).toEqual(['add']);
      await ctx.dispose();
    } finally {
      const t0 = performance.now();
      await qnn.dispose(); // does not wait for the abandoned loads
      expect(performance.now() - t0).toBeLessThan(700);
    }
    await sleep(900);
  });

  it('rejects a bad timeoutMs / signal with a typed error', async () => {
    await expect(Qnn.load({ backend: 'reference', timeoutMs: -1 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: 'Expected a positive number of milliseconds for options.timeoutMs but received number -1' });
    await expect(Qnn.load({ backend: 'reference', signal: 'x' as unknown as AbortSignal })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    await expect(Qnn.load({ backend: 'reference', contextTimeoutMs: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    // Node fires a timer past 2^31 - 1 ms at once: such a limit would give up immediately.
    await expect(Qnn.load({ backend: 'reference', timeoutMs: 2 ** 31 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(Qnn.load({ backend: 'reference', contextTimeoutMs: 3e9 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE', message: /options\.contextTimeoutMs/ });
    // An already-aborted signal starts nothing.
    await expect(Qnn.load({ backend: 'reference', signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED', message: /Nothing was started/ });
    const qnn = await Qnn.load({ backend: 'reference' });
    try {
      await expect(qnn.loadContext('x.bin', { timeoutMs: Number.NaN })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
      await expect(qnn.loadContext('x.bin', { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
    } finally {
      await qnn.dispose();
    }
  });
});
