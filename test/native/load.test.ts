import path from 'node:path';
import { expect, it } from 'vitest';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { createBackend, registeredBackends } from '../../lib/backend/registry.js';
import { QnnNodeError, QnnStatusError } from '../../lib/errors.js';
import { loadAddon, referenceBackendPaths } from '../../lib/native/binding.js';
import { describeNative, tempDir, withEnv } from './helpers.js';

describeNative('Qnn.load', () => {
  it('loads the reference backend and reports what it loaded', async () => {
    const ref = referenceBackendPaths();
    const qnn = await Qnn.load({ backend: 'reference' });
    try {
      expect(qnn.kind).toBe('qnn');
      expect(qnn.info.reference).toBe(true);
      expect(qnn.info.backendPath).toBe(ref.backend);
      expect(qnn.info.systemPath).toBe(ref.system);
      expect(qnn.info.providerName).toBe('QNN_NODE_REFERENCE');
      expect(qnn.info.backendId).toBe(0x4e52);
      expect(qnn.info.coreApiVersion).toBe('2.32.0');
      expect(qnn.info.backendApiVersion).toBe('5.43.0');
      expect(qnn.info.systemApiVersion).toBe('1.7.0');
      expect(qnn.info.buildId).toMatch(/^qnn-node reference/);
      expect(qnn.info.systemError).toBeNull();
      expect(qnn.info.graphInfoStride).toBe(88);
      expect(qnn.info.coreTableSlots).toBe(71);
      expect(qnn.info.device).toBe(true);
      // g_platform in native/reference-backend/src/backend_device.cc: one device, one core, all ids/types 0.
      expect(qnn.info.platform).toEqual({ version: 1, devices: [{ id: 0, type: 0, cores: [{ id: 0, type: 0 }], hasExtension: false }] });
      expect(qnn.info.platformError).toBeNull();
      expect(qnn.info.providers).toHaveLength(1);
    } finally {
      await qnn.dispose();
    }
  });

  it('loads by explicit paths and can skip QnnSystem', async () => {
    const ref = referenceBackendPaths();
    await using qnn = await Qnn.load({ backend: ref.backend, system: false, device: false });
    expect(qnn.info.reference).toBe(false);
    expect(qnn.info.systemPath).toBeNull();
    expect(qnn.info.systemApiVersion).toBeNull();
    expect(qnn.info.systemError).toMatch(/no QnnSystem/);
    expect(qnn.info.device).toBe(false);
  });

  it('finds the backend by file name in $QNN_SDK_ROOT/lib/<platform folder>', async () => {
    const ref = referenceBackendPaths();
    // An SDK-shaped folder: <root>/lib/<folder>/ → the build folder.
    const { symlinkSync, mkdirSync } = await import('node:fs');
    const { sdkLibFolders } = await import('../../lib/backend/qnn/libraries.js');
    const root = tempDir();
    mkdirSync(path.join(root, 'lib'), { recursive: true });
    symlinkSync(path.dirname(ref.backend), path.join(root, 'lib', sdkLibFolders()[0]));
    await using qnn = await Qnn.load({ backend: path.basename(ref.backend), system: path.basename(ref.system), sdkRoot: root });
    expect(qnn.info.backendPath).toBe(ref.backend);
    expect(qnn.info.systemPath).toBe(ref.system);
  });

  it('is registered as the "qnn" backend', async () => {
    expect(registeredBackends()).toContain('qnn');
    const b = await createBackend('qnn', { backend: 'reference' });
    expect(b.kind).toBe('qnn');
    await b.dispose();
  });

  it('fails with LIBRARY_LOAD_FAILED listing what it tried and the fixes', async () => {
    const err = await withEnv({ QNN_SDK_ROOT: '/nonexistent/sdk' }, () => Qnn.load().catch((e) => e));
    expect(err).toBeInstanceOf(QnnNodeError);
    expect(err.code).toBe('LIBRARY_LOAD_FAILED');
    expect(err.message).toContain('Tried:');
    expect(err.message).toContain('/nonexistent/sdk/lib/');
    expect(err.message).toMatch(/libQnnHtp\.so \[the library search path\]: .*cannot open shared object file/);
    expect(err.message).toContain('Possible fixes:');
    expect(err.message).toContain("backend: 'reference'");
    expect(err.details.tried.length).toBeGreaterThanOrEqual(2);
    // The stack points at the caller, not at the native completion.
    expect(err.stack).toContain('load.test.ts');
  });

  it('fails for a missing explicit path', async () => {
    const err = await Qnn.load({ backend: '/nonexistent/libQnnHtp.so' }).catch((e) => e);
    expect(err.code).toBe('LIBRARY_LOAD_FAILED');
    expect(err.message).toContain('/nonexistent/libQnnHtp.so [the path given]: not found');
  });

  it('fails with SYMBOL_NOT_FOUND for a library that is not a QNN backend', async () => {
    const ref = referenceBackendPaths();
    const err = await Qnn.load({ backend: ref.system }).catch((e) => e);
    expect(err).toBeInstanceOf(QnnNodeError);
    expect(err.code).toBe('SYMBOL_NOT_FOUND');
    expect(err.message).toContain('QnnInterface_getProviders');
  });

  it('fails when an explicitly requested QnnSystem cannot be used', async () => {
    const ref = referenceBackendPaths();
    const missing = await Qnn.load({ backend: ref.backend, system: '/nonexistent/libQnnSystem.so' }).catch((e) => e);
    expect(missing.code).toBe('LIBRARY_LOAD_FAILED');
    expect(missing.message).toContain('System library');
    const wrong = await Qnn.load({ backend: ref.backend, system: ref.backend }).catch((e) => e);
    expect(wrong.code).toBe('SYMBOL_NOT_FOUND');
    expect(wrong.message).toContain('QnnSystemInterface_getProviders');
  });

  it('reports backendCreate failures as QnnStatusError with the backend message', async () => {
    const err = await withEnv({ QNN_REFERENCE_FAIL: 'backendCreate=4000' }, () => Qnn.load({ backend: 'reference' }).catch((e) => e));
    expect(err).toBeInstanceOf(QnnStatusError);
    expect(err.code).toBe('QNN_ERROR');
    expect(err.statusCode).toBe(4000);
    expect(err.statusName).toBe('QNN_BACKEND_ERROR_CANNOT_INITIALIZE');
    expect(err.apiFunction).toBe('backendCreate');
    expect(err.backendMessage).toContain('failure injected');
    expect(typeof err.status).toBe('bigint');
  });

  it('makes the device optional unless required', async () => {
    await withEnv({ QNN_REFERENCE_FAIL: 'deviceCreate=14002' }, async () => {
      const qnn = await Qnn.load({ backend: 'reference' });
      expect(qnn.info.device).toBe(false);
      expect(qnn.info.deviceError).toContain('deviceCreate');
      await qnn.dispose();
      const err = await Qnn.load({ backend: 'reference', device: true }).catch((e) => e);
      expect(err).toBeInstanceOf(QnnStatusError);
      expect(err.statusCode).toBe(14002);
    });
  });

  it('records a deviceGetPlatformInfo failure in platformError and still loads', async () => {
    await withEnv({ QNN_REFERENCE_FAIL: 'deviceGetPlatformInfo=14002' }, async () => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      expect(qnn.info.platform).toBeNull();
      expect(qnn.info.platformError).toContain('deviceGetPlatformInfo failed with QNN_DEVICE_ERROR_HARDWARE_UNAVAILABLE (14002)');
      expect(qnn.info.device).toBe(true);
      expect(qnn.info.backendId).toBe(0x4e52);
    });
  });

  it('exports adspLibraryPath as ADSP_LIBRARY_PATH before loading the backend', async () => {
    await withEnv({ ADSP_LIBRARY_PATH: undefined }, async () => {
      await using qnn = await Qnn.load({ backend: 'reference', adspLibraryPath: '/vendor/dsp/cdsp;/data/local/tmp' });
      expect(qnn.info.backendId).toBe(0x4e52);
      expect(process.env.ADSP_LIBRARY_PATH).toBe('/vendor/dsp/cdsp;/data/local/tmp');
    });
  });

  it('rejects bad options with ERR_INVALID_ARG before loading anything', async () => {
    for (const bad of [42, 'x', null, { backend: 42 }, { backend: '' }, { system: true }, { logLevel: 'loud' }, { onLog: 'x' }, { device: 'yes' }]) {
      const err = await Qnn.load(bad as never).catch((e) => e);
      expect(err).toBeInstanceOf(TypeError);
      expect(err.code).toBe('ERR_INVALID_ARG');
      expect(err.message).toMatch(/^Expected .* for options/);
    }
  });

  it('delivers backend log lines to onLog on the main thread, filtered by level', async () => {
    const lines: [string, string][] = [];
    const qnn = await Qnn.load({ backend: 'reference', logLevel: 'debug', onLog: (level, msg) => lines.push([level, msg]) });
    expect(qnn.info.logging).toBe(true);
    await qnn.dispose();
    await new Promise((r) => setTimeout(r, 50));
    expect(lines.some(([level]) => level === 'info')).toBe(true);

    const errorsOnly: [string, string][] = [];
    const quiet = await Qnn.load({ backend: 'reference', logLevel: 'error', onLog: (level, msg) => errorsOnly.push([level, msg]) });
    await quiet.dispose();
    await new Promise((r) => setTimeout(r, 50));
    expect(errorsOnly.filter(([level]) => level !== 'error')).toEqual([]);
  });

  it('survives a throwing onLog callback', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const qnn = await Qnn.load({
        backend: 'reference',
        logLevel: 'info',
        onLog: () => {
          throw new Error('boom');
        },
      });
      await qnn.dispose();
      await new Promise((r) => setTimeout(r, 50));
      expect(warnings.some((w) => w.includes('boom'))).toBe(true);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describeNative('native module hardening', () => {
  const addon = loadAddon();
  const junk: unknown[] = [undefined, null, 0, -1, 1e300, NaN, 'x', '', {}, [], () => 1, Symbol('s'), 10n, new Uint8Array(4), new ArrayBuffer(2)];

  it('Runtime#load validates every argument', async () => {
    for (const v of junk) {
      const rt = new addon.Runtime();
      let err: unknown;
      try {
        await rt.load(v as never);
      } catch (e) {
        err = e;
      }
      expect(err, String(v)).toBeInstanceOf(Error);
      expect((err as { code?: string }).code).toMatch(/ERR_INVALID_ARG|LIBRARY_LOAD_FAILED/);
    }
    for (const opts of [{ backendPath: 1 }, { backendPath: 'a\0b' }, { backendPath: 'x', logLevel: 1e300 }, { backendPath: 'x', logLevel: -1 }, { backendPath: 'x', onLog: 5 }, { backendPath: 'x', device: 3 }, { backendPath: 'x', systemPath: {} }]) {
      const rt = new addon.Runtime();
      expect(() => rt.load(opts as never)).toThrow(expect.objectContaining({ code: expect.stringMatching(/ERR_INVALID_ARG|ERR_OUT_OF_RANGE/) }));
    }
  });

  it('Context and Graph constructors refuse anything but their parents', () => {
    for (const v of junk) {
      expect(() => new addon.Context(v as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
      expect(() => new addon.Graph(v as never, 0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    }
    // A runtime that never loaded cannot make contexts.
    expect(() => new addon.Context(new addon.Runtime())).toThrow(TypeError);
  });

  it('Context#load and Graph#run validate sources and buffers', async () => {
    const ref = referenceBackendPaths();
    const rt = new addon.Runtime();
    await rt.load({ backendPath: ref.backend, systemPath: ref.system });
    const { encodeReferenceBinary } = await import('../../lib/reference/writer.js');
    const { ADD } = await import('./helpers.js');
    for (const v of [undefined, null, 1, {}, [], '', 'a\0b', new ArrayBuffer(0)]) {
      const ctx = new addon.Context(rt);
      expect(() => ctx.load(v as never)).toThrow(expect.objectContaining({ code: expect.stringMatching(/ERR_INVALID_ARG|BINARY_INVALID/) }));
    }
    const ctx = new addon.Context(rt);
    expect(() => ctx.load(encodeReferenceBinary(ADD), 'graphs' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    const ctx2 = new addon.Context(rt);
    const res = await ctx2.load(encodeReferenceBinary(ADD));
    const g = res.graphs[0].handle;
    const ok = () => [new Float32Array(6), new Float32Array(6)];
    expect(() => g.run(undefined as never, [new Float32Array(6)])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    expect(() => g.run([1, 2] as never, [new Float32Array(6)])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    expect(() => g.run(ok(), [])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    expect(() => g.run([new Float32Array(5), new Float32Array(6)], [new Float32Array(6)])).toThrow(expect.objectContaining({ code: 'SIZE_MISMATCH' }));
    const detached = new Float32Array(6);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    expect(detached.byteLength).toBe(0);
    expect(() => g.runSync([detached, new Float32Array(6)], [new Float32Array(6)])).toThrow(expect.objectContaining({ code: 'SIZE_MISMATCH' }));
    expect(() => g.runSync([new Float32Array(6), new Float32Array(6)], [detached])).toThrow(expect.objectContaining({ code: 'SIZE_MISMATCH' }));
    expect(() => new addon.Graph(ctx2, 1e300)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new addon.Graph(ctx2, -1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    const out = new Float32Array(6);
    await g.run([new Float32Array(6).fill(1), new Float32Array(6).fill(2)], [out]);
    expect([...out]).toEqual([3, 3, 3, 3, 3, 3]);
    expect(ctx2.dispose()).toBe(true);
    expect(() => g.runSync(ok(), [new Float32Array(6)])).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    expect(ctx2.dispose()).toBe(true);
    rt.dispose();
    rt.dispose();
    expect(rt.disposed).toBe(true);
  });
});
