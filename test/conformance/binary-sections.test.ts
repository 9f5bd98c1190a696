/**
 * Conformance: which real QNN libraries of $QNN_SDK_ROOT expose the binary-section slots
 * (core API 2.18+: contextGetBinarySectionSize 59, contextGetBinarySection 60,
 * contextApplyBinarySection 61), and that the runtime refuses a NULL slot cleanly.
 *
 * - libQnnSaver: a context through Saver, then applyBinarySection → UNSUPPORTED_FEATURE
 *   when Saver leaves slot 61 NULL (SDK 2.25 does), or Saver's own answer otherwise.
 * - every backend library of the SDK: a compiled probe reads the provider table
 *   (QnnInterface_getProviders) and reports slots 59-61 (no device or context is created:
 *   libQnnHtpQemu's deviceCreate never returns on a host without the emulated DSP).
 * Opt-in: skipped unless QNN_SDK_ROOT holds the x86_64 host libraries.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { addonAvailable } from '../../lib/native/binding.js';
import { encodeReferenceBinary } from '../../lib/reference/writer.js';
import { HOST_RUNS_SDK_LIBS, SDK_LIB_DIR, SDK_ROOT, cxxCompiler, sdkLibrary } from './helpers.js';

const SAVER = sdkLibrary('libQnnSaver.so');
const BACKENDS = ['libQnnSaver.so', 'libQnnHtpQemu.so', 'libQnnHtp.so', 'libQnnCpu.so', 'libQnnGpu.so'].filter((n) => sdkLibrary(n));
const CXX = cxxCompiler();
const ready = Boolean(SDK_ROOT) && HOST_RUNS_SDK_LIBS;

const PROBE = `
#include <dlfcn.h>
#include <cstdint>
#include <cstdio>
#include <cstring>
typedef uint64_t (*GetProviders)(const void*** list, uint32_t* n);
int main(int, char** argv) {
  void* h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!h) { std::printf("dlopen-failed\\n"); return 0; }
  GetProviders gp = reinterpret_cast<GetProviders>(dlsym(h, "QnnInterface_getProviders"));
  const void** list = nullptr;
  uint32_t n = 0;
  if (!gp || gp(&list, &n) != 0 || n == 0) { std::printf("no-providers\\n"); return 0; }
  const unsigned char* p = static_cast<const unsigned char*>(list[0]);
  uint32_t v[6];
  std::memcpy(v, p + 16, sizeof v);
  std::printf("core %u.%u.%u\\n", v[0], v[1], v[2]);
  if (v[0] != 2 || v[1] < 18) return 0;  // the table has no slot 59+
  for (int s = 59; s <= 61; ++s) {
    void* f;
    std::memcpy(&f, p + 40 + s * 8, sizeof f);
    std::printf("slot %d %s\\n", s, f ? "set" : "null");
  }
  return 0;
}
`;

describe.skipIf(!ready)('conformance: binary-section slots of the real libraries', () => {
  let cwd = '';
  let work = '';

  beforeAll(() => {
    cwd = process.cwd();
    work = mkdtempSync(join(tmpdir(), 'qnn-node-sections-'));
    process.chdir(work); // Saver writes saver_output/ here
  });

  afterAll(() => {
    if (cwd) process.chdir(cwd);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it.skipIf(!CXX || BACKENDS.length === 0)('reports slots 59-61 of every backend library in the SDK', () => {
    writeFileSync(join(work, 'probe.cc'), PROBE);
    execFileSync(CXX!, ['-std=c++17', '-o', join(work, 'probe'), join(work, 'probe.cc'), '-ldl']);
    for (const name of BACKENDS) {
      const out = execFileSync(join(work, 'probe'), [sdkLibrary(name)!], { env: { ...process.env, LD_LIBRARY_PATH: SDK_LIB_DIR }, timeout: 30_000 }).toString();
      console.info(`${name}: ${out.trim().replace(/\n/g, ', ')}`);
      const core = /core 2\.(\d+)/.exec(out);
      if (core && Number(core[1]) >= 18) expect(out).toMatch(/slot 59 (set|null)\nslot 60 (set|null)\nslot 61 (set|null)/);
    }
  });

  it.skipIf(!SAVER || !addonAvailable())('applyBinarySection through libQnnSaver: refused cleanly when slot 61 is NULL', async () => {
    const desc = {
      statics: [{ name: 'w', dtype: 'float32' as const, dims: [2, 2], data: new Float32Array(4), updatable: true }],
      graphs: [
        {
          name: 'g',
          inputs: [{ name: 'x', dtype: 'float32' as const, dims: [1, 2] }],
          outputs: [{ name: 'y', dtype: 'float32' as const, dims: [1, 2] }],
          nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
        },
      ],
    };
    const qnn = await Qnn.load({ backend: SAVER!, system: false });
    try {
      const ctx = await qnn.loadContext(encodeReferenceBinary(desc), { graphs: [{ name: 'g', inputs: desc.graphs[0].inputs, outputs: desc.graphs[0].outputs }] });
      const result = await ctx.applyBinarySection(new Uint8Array(64)).then(
        () => 'applied',
        (e: { code: string; message: string }) => e,
      );
      console.info(`libQnnSaver (core API ${qnn.info.coreApiVersion}) applyBinarySection: ${typeof result === 'string' ? result : `${result.code}: ${result.message}`}`);
      if (typeof result !== 'string' && result.code === 'UNSUPPORTED_FEATURE') {
        expect(result.message).toMatch(/contextApplyBinarySection is not available: the backend reports core API 2\.\d+\.\d+/);
      }
      await ctx.dispose();
    } finally {
      await qnn.dispose();
    }
  });
});
