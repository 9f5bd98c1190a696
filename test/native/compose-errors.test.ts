// Issue 13: what composeModel / getBinary refuse, each with its typed error, and the
// native entry points (compose, getBinary) surviving any JS value.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { modelDlcCandidates } from '../../lib/backend/qnn/compose.js';
import { loadAddon, referenceBackendPaths } from '../../lib/native/binding.js';
import type { NativeContext } from '../../lib/native/AddonTypes.js';
import { ADD, describeNative, tempDir, withEnv, writeBinary } from './helpers.js';

describeNative('composeModel refusals (issue 13)', () => {
  const dir = tempDir();
  const ref = referenceBackendPaths();

  it('a missing model file is FILE_NOT_FOUND; a file that is no library is LIBRARY_LOAD_FAILED naming the loader error', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await expect(qnn.composeModel(path.join(dir, 'nope.so'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND', details: { path: path.join(dir, 'nope.so') } });
    const junk = path.join(dir, 'libjunk.so');
    writeFileSync(junk, 'not an ELF file');
    const err = await qnn.composeModel(junk).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'LIBRARY_LOAD_FAILED', details: { library: 'model', path: junk } });
    expect(String((err as Error).message)).toContain(junk);
  });

  it('a library without QnnModel_composeGraphs is MODEL_LIBRARY_INVALID naming the symbol', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    // The rpcmem stand-in: a real shared library, but no model library.
    const err = await qnn.composeModel(ref.rpcmem).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MODEL_LIBRARY_INVALID', details: { symbol: 'QnnModel_composeGraphs' } });
    expect(String((err as Error).message)).toContain('QnnModel_composeGraphs');
    // libQnnModelDlc has no such problem as a DLC composer, but the test model library
    // lacks QnnModel_composeGraphsFromDlc: given as the DLC library it is refused by name.
    const dlc = path.join(dir, 'm.dlc');
    writeFileSync(dlc, 'QNNRDLC1');
    const viaDlc = await qnn.composeModel(dlc, { modelDlc: ref.testModel }).catch((e: unknown) => e);
    expect(viaDlc).toMatchObject({ code: 'MODEL_LIBRARY_INVALID', details: { symbol: 'QnnModel_composeGraphsFromDlc', path: ref.testModel } });
  });

  it('libQnnModelDlc nowhere to be found is MODEL_DLC_LIBRARY_MISSING listing every place looked at', async () => {
    // A copy of the backend in a folder without modeldlc/, and an SDK root without it.
    const backendDir = path.join(dir, 'lonely');
    mkdirSync(path.join(backendDir, 'sdk', 'lib'), { recursive: true });
    const backend = path.join(backendDir, 'libQnnReference.so');
    copyFileSync(ref.backend, backend);
    const dlc = path.join(dir, 'x.dlc');
    writeFileSync(dlc, 'QNNRDLC1');
    await using qnn = await Qnn.load({ backend, system: ref.system, sdkRoot: path.join(backendDir, 'sdk') });
    const err = await qnn.composeModel(dlc).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MODEL_DLC_LIBRARY_MISSING' });
    const message = String((err as Error).message);
    expect(message).toContain(path.join(backendDir, 'libQnnModelDlc.so'));
    expect(message).toContain(path.join(backendDir, 'sdk', 'lib'));
    expect(message).toContain('the library search path');
    const tried = String((err as { details: { tried: string } }).details.tried).split('\n');
    expect(tried).toEqual(modelDlcCandidates(undefined, qnn.info, path.join(backendDir, 'sdk')).map((c) => c.path));
    // An explicit path is the only candidate.
    const explicit = await qnn.composeModel(dlc, { modelDlc: path.join(dir, 'none', 'libQnnModelDlc.so') }).catch((e: unknown) => e);
    expect(explicit).toMatchObject({ code: 'MODEL_DLC_LIBRARY_MISSING', details: { tried: path.join(dir, 'none', 'libQnnModelDlc.so') } });
  });

  it('on an HTP backend (id 6) without libQnnHtpPrepare it is HTP_PREPARE_MISSING naming the file; with one beside the backend the check passes', async () => {
    const htpDir = path.join(dir, 'htp');
    mkdirSync(htpDir, { recursive: true });
    const backend = path.join(htpDir, 'libQnnReference.so');
    copyFileSync(ref.backend, backend);
    await withEnv({ QNN_REFERENCE_BACKEND_ID: '6' }, async () => {
      await using qnn = await Qnn.load({ backend, system: ref.system });
      expect(qnn.info.backendId).toBe(6);
      const err = await qnn.composeModel(ref.testModel).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'HTP_PREPARE_MISSING', details: { file: 'libQnnHtpPrepare.so' } });
      expect(String((err as Error).message)).toContain(path.join(htpDir, 'libQnnHtpPrepare.so'));
      // Any loadable library under that name passes the check (the next refusal is another one).
      copyFileSync(ref.rpcmem, path.join(htpDir, 'libQnnHtpPrepare.so'));
      const next = await qnn.composeModel(ref.rpcmem).catch((e: unknown) => e);
      expect(next).toMatchObject({ code: 'MODEL_LIBRARY_INVALID' });
    });
    // Not HTP: no such check.
    await using cpu = await Qnn.load({ backend: 'reference' });
    expect(cpu.info.backendId).not.toBe(6);
    await expect(cpu.composeModel(ref.rpcmem)).rejects.toMatchObject({ code: 'MODEL_LIBRARY_INVALID' });
  });

  it('refuses bad options with typed errors before any native call', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    const bad: [unknown, unknown, string][] = [
      [undefined, undefined, 'ERR_INVALID_ARG'],
      [42, undefined, 'ERR_INVALID_ARG'],
      ['', undefined, 'ERR_INVALID_ARG'],
      ['a\0b', undefined, 'ERR_INVALID_ARG'],
      [dir, undefined, 'NOT_A_FILE'],
      [ref.testModel, 7, 'ERR_INVALID_ARG'],
      [ref.testModel, { format: 'onnx' }, 'ERR_INVALID_ARG'],
      [ref.testModel, { onProgress: 'x' }, 'ERR_INVALID_ARG'],
      [ref.testModel, { modelDlc: ref.modelDlc }, 'ERR_INVALID_ARG'],
      [ref.testModel, { format: 'dlc', modelDlc: 5 }, 'ERR_INVALID_ARG'],
      [ref.testModel, { profile: 'loud' }, 'ERR_INVALID_ARG'],
      [ref.testModel, { perfProfile: 'warp' }, 'ERR_INVALID_ARG'],
      [ref.testModel, { priority: 'realtime' }, 'ERR_INVALID_ARG'],
      [ref.testModel, { graphConfigs: 3 }, 'ERR_INVALID_ARG'],
    ];
    for (const [source, options, code] of bad) {
      await expect(qnn.composeModel(source as string, options as object)).rejects.toMatchObject({ code });
    }
  });

  it('the native compose / getBinary survive any JS value', async () => {
    const addon = loadAddon();
    const rt = new addon.Runtime();
    await rt.load({ backendPath: ref.backend });
    const values: unknown[] = [undefined, null, 0, -1, NaN, 'x', '', 'a\0', true, 1n, Symbol('s'), {}, [], [1], () => 1, new Uint8Array(4), { path: 1 }, [{ path: 'a' }], [{ path: 'a', origin: 1 }], new Array(20).fill({ path: 'a', origin: 'b' }), { group: { maxSpillFill: 1 } }, { graphs: 'x' }, { custom: [{ option: 3, value: -1 }] }];
    for (const a of values) {
      for (const b of values) {
        const ctx = new addon.Context(rt) as NativeContext;
        try {
          await (ctx.compose as (...args: unknown[]) => Promise<unknown>)(a, 'library', b);
        } catch (e) {
          expect(typeof (e as { code?: unknown }).code).toBe('string');
        }
        ctx.dispose();
      }
      const ctx = new addon.Context(rt) as NativeContext;
      for (const args of [[ref.testModel, a], [ref.testModel, 'dlc', a], [ref.testModel, 'library', undefined, a], [ref.testModel, 'library', undefined, undefined, a]]) {
        try {
          await (ctx.compose as (...x: unknown[]) => Promise<unknown>)(...args);
        } catch (e) {
          expect(typeof (e as { code?: unknown }).code).toBe('string');
        }
      }
      ctx.dispose();
    }
    // getBinary before load, on a disposed context, with junk receivers.
    const fresh = new addon.Context(rt) as NativeContext;
    expect(() => fresh.getBinary()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    fresh.dispose();
    expect(() => fresh.getBinary()).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    for (const receiver of [{}, null, 3, rt]) {
      expect(() => Reflect.apply(fresh.getBinary, receiver, [])).toThrow();
      expect(() => Reflect.apply(fresh.compose, receiver, [ref.testModel, 'library'])).toThrow();
    }
    rt.dispose();
  });

  it('getBinary is BINARY_SERIALIZE_UNSUPPORTED naming the backend when its table lacks the slots or it answers 1000', async () => {
    const bin = writeBinary(dir, 'add.bin', ADD);
    await withEnv({ QNN_REFERENCE_NULL_SLOTS: '11,12' }, async () => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(bin);
      const err = await ctx.getBinary().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'BINARY_SERIALIZE_UNSUPPORTED', details: { backendPath: qnn.info.backendPath } });
      expect(String((err as Error).message)).toContain(qnn.info.backendPath);
      await expect(ctx.saveBinary(path.join(dir, 'never.bin'))).rejects.toMatchObject({ code: 'BINARY_SERIALIZE_UNSUPPORTED' });
      expect(() => readFileSync(path.join(dir, 'never.bin'))).toThrow();
    });
    await withEnv({ QNN_REFERENCE_FAIL: 'contextGetBinarySize=1000' }, async () => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      await using ctx = await qnn.loadContext(bin);
      await expect(ctx.getBinary()).rejects.toMatchObject({ code: 'BINARY_SERIALIZE_UNSUPPORTED' });
    });
  });
});
