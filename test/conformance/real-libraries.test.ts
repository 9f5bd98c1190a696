/**
 * Conformance: the runtime against REAL Qualcomm libraries from the SDK in $QNN_SDK_ROOT
 * (lib/x86_64-linux-clang): libQnnSystem, libQnnSaver and libQnnHtpQemu, which run on an
 * x86_64 Linux host. Opt-in: skipped unless QNN_SDK_ROOT is set (see docs/conformance.md).
 *
 * Expectations are derived from the SDK's own headers in the same folder (core / System API
 * version, build id, GraphInfo size), so the suite works for any SDK release that ships
 * these host libraries, not just the one it was first run with.
 *
 * Saver records every QNN call it receives as C source (saver_output/saver_output.c) plus
 * the tensor data (params.bin) in the CURRENT DIRECTORY, and keeps that location for the
 * life of the process; the suite therefore switches to a temp directory before the first
 * Saver load (vitest runs each file in its own process with the default forks pool).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hasCode, QnnStatusError } from '../../lib/errors.js';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { addonAvailable } from '../../lib/native/binding.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { HOST_RUNS_SDK_LIBS, SDK_INCLUDE_DIR, SDK_LIB_DIR, SDK_ROOT, sdkLibrary } from './helpers.js';

// ---- what the SDK's headers say about its own libraries ------------------------------------

function headerFile(rel: string): string {
  const p = join(SDK_INCLUDE_DIR ?? '', rel);
  return existsSync(p) ? readFileSync(p, 'utf8') : '';
}
function defineNumber(text: string, name: string): number | undefined {
  const m = new RegExp(`#define\\s+${name}\\s+(\\d+)`).exec(text);
  return m ? Number(m[1]) : undefined;
}

const SDK = (() => {
  const common = headerFile('QnnCommon.h');
  const systemCommon = headerFile('System/QnnSystemCommon.h');
  const systemContext = headerFile('System/QnnSystemContext.h');
  const iface = headerFile('QnnInterface.h');
  const build = /#define\s+QNN_SDK_BUILD_ID\s+"([^"]+)"/.exec(headerFile('QnnSdkBuildId.h'));
  // The core function table: the pointer members of the struct the header names
  // QNN_INTERFACE_VER_TYPE (one "…Fn_t name;" line per slot).
  const table = /typedef\s+struct\s*\{([^}]*)\}\s*QNN_INTERFACE_VER_TYPE\s*;/.exec(iface);
  const slots = table ? (table[1].match(/Fn_t\s+\w+\s*;/g) ?? []).length : undefined;
  // GraphInfo grew: V1 only = 48 bytes, +V2 = 64, +V3 = 88 (docs/qnn-abi.md).
  const graphInfoStride = /GraphInfoV3_t/.test(systemContext) ? 88 : /GraphInfoV2_t/.test(systemContext) ? 64 : 48;
  return {
    coreMajor: defineNumber(common, 'QNN_API_VERSION_MAJOR'),
    coreMinor: defineNumber(common, 'QNN_API_VERSION_MINOR'),
    systemMajor: defineNumber(systemCommon, 'QNN_SYSTEM_API_VERSION_MAJOR'),
    systemMinor: defineNumber(systemCommon, 'QNN_SYSTEM_API_VERSION_MINOR'),
    buildId: build?.[1],
    coreSlots: slots,
    graphInfoStride,
  };
})();

/** The runtime refuses core API older than this (native/qnn/qnn_abi_compat.h). */
const MIN_CORE_MINOR = 14;
const sdkCoreSupported = SDK.coreMajor === 2 && (SDK.coreMinor ?? 0) >= MIN_CORE_MINOR;

const SYSTEM = sdkLibrary('libQnnSystem.so');
const SAVER = sdkLibrary('libQnnSaver.so');
const HTP_QEMU = sdkLibrary('libQnnHtpQemu.so');

// A headers-only SDK folder (no lib/x86_64-linux-clang) runs only abi-layout.test.ts.
const hasLibDir = Boolean(SDK_LIB_DIR && existsSync(SDK_LIB_DIR));
const ready = Boolean(SDK_ROOT) && HOST_RUNS_SDK_LIBS && hasLibDir && addonAvailable();

function versionParts(v: string | null | undefined): number[] {
  return (v ?? '').split('.').map(Number);
}

// ---- Saver's recording ----------------------------------------------------------------------

interface RecordedTensor {
  id: number;
  name: string;
  type: number;
  dataFormat: number;
  dataType: number;
  rank: number;
  memType: number;
  dims: number[];
  quantDefinition: number;
  quantEncoding: number;
  scale: number;
  offset: number;
  bufferBytes: number;
}

/** The V1 tensors Saver recorded, by their C variable prefix, in recording order. */
function recordedTensors(source: string): RecordedTensor[] {
  const out: RecordedTensor[] = [];
  const tensorRe =
    /Qnn_TensorV1_t\s+(\w+)_v1\s*=\s*\{\s*(\d+),\s*"([^"]*)",\s*\(Qnn_TensorType_t\)(\d+),\s*(\d+),\s*\(Qnn_DataType_t\)(\d+),\s*\w+,\s*(\d+),\s*\w+,\s*\(Qnn_TensorMemType_t\)(\d+),\s*\w+\s*\}/g;
  for (const m of source.matchAll(tensorRe)) {
    const v = m[1];
    const dims = new RegExp(`uint32_t\\s+${v}_dims\\[\\]\\s*=\\s*\\{([^}]*)\\}`).exec(source);
    const quant = new RegExp(
      `${v}_quantizeParams\\s*=\\s*\\{\\s*\\(Qnn_Definition_t\\)(\\d+),\\s*\\(Qnn_QuantizationEncoding_t\\)(\\d+),\\s*\\.scaleOffsetEncoding\\s*=\\s*\\{\\s*([-+\\d.eE]+),\\s*(-?\\d+)\\s*\\}`,
    ).exec(source);
    const buf = new RegExp(`${v}_clientBuf\\s*=\\s*\\{[^,]*,\\s*(\\d+)\\s*\\}`).exec(source);
    out.push({
      id: Number(m[2]),
      name: m[3],
      type: Number(m[4]),
      dataFormat: Number(m[5]),
      dataType: Number(m[6]),
      rank: Number(m[7]),
      memType: Number(m[8]),
      dims: dims ? dims[1].split(',').map((s) => Number(s.trim())) : [],
      quantDefinition: quant ? Number(quant[1]) : -1,
      quantEncoding: quant ? Number(quant[2]) : -1,
      scale: quant ? Number(quant[3]) : NaN,
      offset: quant ? Number(quant[4]) : NaN,
      bufferBytes: buf ? Number(buf[1]) : -1,
    });
  }
  return out;
}

/** The QNN functions Saver recorded, in call order. */
function recordedCalls(source: string): string[] {
  return [...source.matchAll(/interface\.(\w+)\(/g)].map((m) => m[1]);
}

// ---- the suite ---------------------------------------------------------------------------------

describe.skipIf(!SDK_ROOT)('conformance: real QNN libraries from QNN_SDK_ROOT', () => {
  let cwd = '';
  let work = '';

  beforeAll(() => {
    cwd = process.cwd();
    work = mkdtempSync(join(tmpdir(), 'qnn-node-conformance-'));
    process.chdir(work); // Saver writes saver_output/ here
  });

  afterAll(() => {
    if (cwd) process.chdir(cwd);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  // The SDK's host libraries are x86_64 Linux builds: elsewhere only abi-layout runs.
  it.skipIf(!HOST_RUNS_SDK_LIBS || !hasLibDir)('can run: addon built, SDK headers and host libraries present', () => {
    expect(addonAvailable(), 'build the addon first (npm run build:native)').toBe(true);
    expect(SDK_INCLUDE_DIR && existsSync(SDK_INCLUDE_DIR), `${SDK_INCLUDE_DIR} exists`).toBeTruthy();
    expect(SYSTEM, 'libQnnSystem.so in the SDK').toBeTruthy();
  });

  describe.skipIf(!ready)('loading', () => {
    it.skipIf(!SYSTEM || !SAVER || !sdkCoreSupported)('libQnnSystem loads and reports the System API version of its headers', async () => {
      const qnn = await Qnn.load({ backend: SAVER!, system: SYSTEM! });
      try {
        expect(qnn.info.systemPath).toBe(SYSTEM);
        expect(qnn.info.systemError).toBeNull();
        expect(qnn.info.systemApiVersion).toMatch(/^\d+\.\d+\.\d+$/);
        const [major, minor] = versionParts(qnn.info.systemApiVersion);
        expect([major, minor]).toEqual([SDK.systemMajor, SDK.systemMinor]);
        console.info(`libQnnSystem: System API ${qnn.info.systemApiVersion}`);
      } finally {
        await qnn.dispose();
      }
    });

    it.skipIf(!SYSTEM || !SAVER || !sdkCoreSupported)('the runtime reads the GraphInfo array of this QnnSystem with the SDK\'s stride', async () => {
      // libQnnSystem's binary info is an array of QnnSystemContext_GraphInfo_t; reading it
      // with another stride misreads every graph after the first.
      const qnn = await Qnn.load({ backend: SAVER!, system: SYSTEM! });
      try {
        expect(qnn.info.graphInfoStride).toBe(SDK.graphInfoStride);
      } finally {
        await qnn.dispose();
      }
    });

    it.skipIf(!SAVER)('libQnnSaver as the backend loads (or is refused as too old) with the versions of its headers', async () => {
      const load = Qnn.load({ backend: SAVER!, system: false });
      if (!sdkCoreSupported) {
        // Core API < 2.14: a different table / tensor layout; the runtime must refuse it.
        await expect(load).rejects.toMatchObject({ code: 'UNSUPPORTED_VERSION' });
        const e = (await load.catch((x: unknown) => x)) as { details: Record<string, unknown> };
        expect(String(e.details.reportedCoreApi)).toMatch(new RegExp(`^${SDK.coreMajor}\\.${SDK.coreMinor}\\.`));
        return;
      }
      const qnn = await load;
      try {
        const { info } = qnn;
        expect(info.backendPath).toBe(SAVER);
        expect(info.reference).toBe(false);
        expect(info.providerName).toMatch(/SAVER/);
        expect(versionParts(info.coreApiVersion).slice(0, 2)).toEqual([SDK.coreMajor, SDK.coreMinor]);
        expect(info.backendApiVersion).toMatch(/^\d+\.\d+\.\d+$/);
        if (SDK.buildId) expect(info.buildId).toBe(SDK.buildId);
        // Slots the runtime may read: exactly the table of this core version (or all the
        // project knows, for SDKs newer than its declarations).
        if (SDK.coreSlots !== undefined) expect(info.coreTableSlots).toBe(Math.min(SDK.coreSlots, 71));
        console.info(
          `libQnnSaver: core API ${info.coreApiVersion}, backend API ${info.backendApiVersion}, build ${info.buildId}, ` +
            `backend id ${info.backendId}, ${info.coreTableSlots} table slots`,
        );
      } finally {
        await qnn.dispose();
      }
    });

    it.skipIf(!HTP_QEMU || !sdkCoreSupported)('libQnnHtpQemu as the backend loads (device disabled) and reports its versions', async () => {
      // device: false — with a device, QnnDevice_create of the QEMU backend forks a helper
      // process from the worker thread; in a multi-threaded process like node the child
      // deadlocks before exec and the parent waits for it forever (observed with SDK 2.25).
      const qnn = await Qnn.load({ backend: HTP_QEMU!, system: SYSTEM ?? false, device: false });
      try {
        expect(qnn.info.providerName).toMatch(/HTP/);
        expect(versionParts(qnn.info.coreApiVersion).slice(0, 2)).toEqual([SDK.coreMajor, SDK.coreMinor]);
        if (SDK.buildId) expect(qnn.info.buildId).toBe(SDK.buildId);
        expect(qnn.info.device).toBe(false);
        console.info(
          `libQnnHtpQemu: core API ${qnn.info.coreApiVersion}, backend API ${qnn.info.backendApiVersion}, backend id ${qnn.info.backendId}`,
        );
      } finally {
        await qnn.dispose();
      }
    });

    it.skipIf(!SYSTEM || !SAVER || !sdkCoreSupported)('bare library names resolve in <sdkRoot>/lib/x86_64-linux-clang, QnnSystem by default', async () => {
      const qnn = await Qnn.load({ backend: 'libQnnSaver.so', sdkRoot: SDK_ROOT! });
      try {
        expect(qnn.info.backendPath).toBe(SAVER);
        expect(qnn.info.systemPath).toBe(SYSTEM);
      } finally {
        await qnn.dispose();
      }
    });

    it.skipIf(!SYSTEM)('libQnnSystem given as the backend fails with SYMBOL_NOT_FOUND, not a crash', async () => {
      await expect(Qnn.load({ backend: SYSTEM!, system: false })).rejects.toMatchObject({ code: 'SYMBOL_NOT_FOUND' });
    });

    it('a backend path that does not exist fails with LIBRARY_LOAD_FAILED', async () => {
      await expect(Qnn.load({ backend: join(SDK_ROOT!, 'lib', 'no-such-dir', 'libQnnHtp.so'), system: false })).rejects.toMatchObject({
        code: 'LIBRARY_LOAD_FAILED',
      });
    });
  });

  describe.skipIf(!ready || !SAVER || !sdkCoreSupported)('contexts through libQnnSaver (what the runtime passes to a real backend)', () => {
    const BINARY = new Uint8Array(200).map((_, i) => (i * 7 + 3) & 0xff);
    const GRAPH = 'conformance_graph';
    const signature = {
      name: GRAPH,
      inputs: [
        { name: 'in_f32', id: 17, dtype: 'float32' as const, dims: [1, 4] },
        { name: 'in_u8', id: 23, dtype: 'ufixed8' as const, dims: [2, 3], quant: { encoding: 'scale-offset' as const, scale: 0.25, offset: -128 } },
      ],
      outputs: [{ name: 'out_f32', id: 42, dtype: 'float32' as const, dims: [1, 4] }],
    };

    it.skipIf(!SYSTEM)('a binary QnnSystem cannot parse and no graph signatures: BINARY_INVALID naming the System status', async () => {
      const qnn = await Qnn.load({ backend: SAVER!, system: SYSTEM });
      try {
        const e = await qnn.loadContext(BINARY).catch((x: unknown) => x);
        expect(hasCode(e, 'BINARY_INVALID') || hasCode(e, 'QNN_ERROR'), String(e)).toBe(true);
        expect(String((e as Error).message)).toMatch(/30010|MALFORMED/);
      } finally {
        await qnn.dispose();
      }
    });

    it('createFromBinary, graphRetrieve and graphExecute reach Saver with exactly the structs the project means', async () => {
      const qnn = await Qnn.load({ backend: SAVER!, system: SYSTEM ?? false });
      const input = new Float32Array([1.5, -2, 3.25, 4]);
      const quantized = new Uint8Array([0, 1, 2, 250, 254, 255]);
      try {
        const ctx = await qnn.loadContext(BINARY, { graphs: [signature] });
        expect(ctx.info.graphSource).toBe('caller');
        const graph = ctx.graph(GRAPH);
        const inputs = {
          in_f32: new Tensor('float32', input, [1, 4]),
          in_u8: new Tensor('ufixed8', quantized, [2, 3], { quant: signature.inputs[1].quant }),
        };
        await graph.run(inputs);
        graph.runSync(inputs);
        await ctx.dispose();
      } finally {
        await qnn.dispose();
      }

      const source = readFileSync(join(work, 'saver_output', 'saver_output.c'), 'utf8');
      const params = readFileSync(join(work, 'saver_output', 'params.bin'));
      const calls = recordedCalls(source);
      expect(source).toContain(`"${GRAPH}"`);
      // This test's part of the recording starts at its graphRetrieve.
      const mine = source.slice(source.lastIndexOf('contextCreateFromBinary'));
      const tensors = recordedTensors(mine);
      expect(tensors.length, 'two executions × (2 inputs + 1 output)').toBe(6);
      for (const run of [0, 1]) {
        const [a, b, o] = tensors.slice(run * 3, run * 3 + 3);
        expect(a).toMatchObject({ id: 17, name: 'in_f32', type: 0, dataType: 0x232, rank: 2, dims: [1, 4], memType: 0, bufferBytes: 16 });
        expect(b).toMatchObject({ id: 23, name: 'in_u8', type: 0, dataType: 0x408, rank: 2, dims: [2, 3], memType: 0, bufferBytes: 6 });
        expect(b).toMatchObject({ quantDefinition: 1, quantEncoding: 0, scale: 0.25, offset: -128 });
        expect(o).toMatchObject({ id: 42, name: 'out_f32', type: 1, dataType: 0x232, rank: 2, dims: [1, 4], memType: 0, bufferBytes: 16 });
      }
      // The binary reached contextCreateFromBinary byte for byte, and the input data each
      // graphExecute: Saver appends them to params.bin in that order.
      const bin = Buffer.from(BINARY);
      const at = params.indexOf(bin);
      expect(at, 'the context binary is in params.bin').toBeGreaterThanOrEqual(0);
      const firstRun = params.subarray(at + bin.length);
      expect(Buffer.compare(firstRun.subarray(0, 16), Buffer.from(input.buffer))).toBe(0);
      expect(Buffer.compare(firstRun.subarray(16, 22), Buffer.from(quantized))).toBe(0);
      // Teardown order: context first; device and backend (when already freed) after it.
      const tail = calls.slice(calls.lastIndexOf('contextCreateFromBinary'));
      expect(tail).toContain('contextFree');
      const positions = ['contextFree', 'deviceFree', 'backendFree'].map((f) => tail.indexOf(f)).filter((i) => i >= 0);
      expect(positions).toEqual([...positions].sort((x, y) => x - y));
    });

    it('Qnn#dispose() frees the device and the backend at once, even while a disposed context object is still referenced', async () => {
      // Saver starts a fresh recording at each backendCreate after a complete teardown and
      // records deviceFree/backendFree when the runtime really calls them.
      const qnn = await Qnn.load({ backend: SAVER!, system: false });
      const ctx = await qnn.loadContext(BINARY, { graphs: [{ ...signature, name: 'dispose_probe' }] });
      await ctx.dispose();
      await qnn.dispose();
      const calls = recordedCalls(readFileSync(join(work, 'saver_output', 'saver_output.c'), 'utf8'));
      const tail = calls.slice(calls.lastIndexOf('contextCreateFromBinary'));
      expect(tail).toContain('contextFree');
      expect(tail, 'backendFree recorded right after Qnn#dispose() (not deferred to GC / exit)').toContain('backendFree');
      expect(ctx.graphs.length).toBe(1); // keeps `ctx` referenced until here
    });
  });

  describe.skipIf(!ready || !HTP_QEMU || !sdkCoreSupported)('contexts through libQnnHtpQemu', () => {
    it('a binary the real HTP code cannot parse fails with a QnnStatusError, not a crash', async () => {
      const qnn = await Qnn.load({ backend: HTP_QEMU!, system: SYSTEM ?? false, device: false });
      try {
        const e = await qnn
          .loadContext(new Uint8Array(4096).fill(7), {
            graphs: [{ name: 'g', inputs: [{ name: 'x', dtype: 'float32', dims: [4] }], outputs: [{ name: 'y', dtype: 'float32', dims: [4] }] }],
          })
          .catch((x: unknown) => x);
        expect(e).toBeInstanceOf(QnnStatusError);
        expect((e as QnnStatusError).apiFunction).toBe('contextCreateFromBinary');
        console.info(`libQnnHtpQemu contextCreateFromBinary(junk): ${(e as Error).message}`);
      } finally {
        await qnn.dispose();
      }
    });
  });
});
