/**
 * Conformance: profiling through the REAL libQnnSaver of $QNN_SDK_ROOT (opt-in; see
 * docs/conformance.md and docs/profiling.md). Saver records the calls it receives, so it
 * shows what the runtime passes: the level given to profileCreate, the same handle reaching
 * contextCreateFromBinary / graphExecute, profileFree after every profiled call (also when
 * reading fails), the ENABLE_OPTRACE config. Saver itself keeps no events: it answers
 * profileGetEvents with QNN_SAVER_ERROR_DUMMY_RETVALUE (4950) and profileSetConfig with
 * QNN_COMMON_ERROR_INVALID_ARGUMENT (measured with SDK 2.25), which the runtime reports as
 * typed QNN errors naming the call.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { QnnStatusError } from '../../lib/errors.js';
import { addonAvailable } from '../../lib/native/binding.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { HOST_RUNS_SDK_LIBS, SDK_ROOT, sdkLibrary } from './helpers.js';

const SAVER = sdkLibrary('libQnnSaver.so');
const HTP_QEMU = sdkLibrary('libQnnHtpQemu.so');
const ready = Boolean(SDK_ROOT && SAVER) && HOST_RUNS_SDK_LIBS && addonAvailable();
const htpReady = Boolean(SDK_ROOT && HTP_QEMU) && HOST_RUNS_SDK_LIBS && addonAvailable();

const BINARY = new Uint8Array(200).map((_, i) => (i * 11 + 5) & 0xff);
const SIG = {
  name: 'profiled',
  inputs: [{ name: 'x', id: 3, dtype: 'float32' as const, dims: [1, 4] }],
  outputs: [{ name: 'y', id: 4, dtype: 'float32' as const, dims: [1, 4] }],
};

/** The QNN calls of Saver's recording, in order, with their argument text. */
function calls(work: string): string[] {
  const source = readFileSync(join(work, 'saver_output', 'saver_output.c'), 'utf8');
  return [...source.matchAll(/interface\.(\w+)\(([^;]*)\);/g)].map((m) => `${m[1]}(${m[2]})`);
}

describe.skipIf(!ready)('conformance: profiling through the real libQnnSaver', () => {
  let cwd = '';
  let work = '';
  beforeAll(() => {
    cwd = process.cwd();
    work = mkdtempSync(join(tmpdir(), 'qnn-node-conformance-profile-'));
    process.chdir(work); // Saver writes saver_output/ here
  });
  afterAll(() => {
    if (cwd) process.chdir(cwd);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('profileCreate(level) → the handle reaches contextCreateFromBinary and graphExecute → profileFree, also when reading fails', async () => {
    const qnn = await Qnn.load({ backend: SAVER!, system: false });
    try {
      const load = await qnn.loadContext(BINARY, { graphs: [SIG], profile: 'basic' }).catch((e: unknown) => e);
      expect(load).toBeInstanceOf(QnnStatusError);
      expect(load).toMatchObject({ apiFunction: 'profileGetEvents', statusCode: 4950 });

      const ctx = await qnn.loadContext(BINARY, { graphs: [SIG] });
      const g = ctx.graph('profiled');
      const x = { x: new Tensor('float32', Float32Array.of(1, 2, 3, 4), [1, 4]) };
      const run = await g.run(x, { profile: 'detailed' }).catch((e: unknown) => e);
      expect(run).toMatchObject({ code: 'QNN_ERROR', apiFunction: 'profileGetEvents' });
      await g.run(x); // unprofiled: no profile call at all
      await ctx.dispose();
    } finally {
      await qnn.dispose();
    }
    const list = calls(work);
    const created = list.filter((c) => c.startsWith('profileCreate'));
    expect(created.map((c) => /\(QnnProfile_Level_t\)(\d+)/.exec(c)?.[1])).toEqual(['1', '2']);
    const handles = created.map((c) => /&(profile_\d+)/.exec(c)![1]);
    expect(list.find((c) => c.startsWith('contextCreateFromBinary'))).toContain(`, ${handles[0]})`);
    const executes = list.filter((c) => c.startsWith('graphExecute'));
    expect(executes).toHaveLength(2);
    expect(executes[0]).toContain(handles[1]);
    expect(executes[1]).not.toMatch(/profile_\d+/);
    expect(list.filter((c) => c.startsWith('profileFree')).map((c) => /\((profile_\d+)\)/.exec(c)?.[1])).toEqual(handles);
  });

  it("optrace: Saver refuses ENABLE_OPTRACE in profileSetConfig; the handle is still freed", async () => {
    const qnn = await Qnn.load({ backend: SAVER!, system: false });
    try {
      const e = await qnn.loadContext(BINARY, { graphs: [SIG], profile: 'optrace' }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(QnnStatusError);
      expect(e).toMatchObject({ apiFunction: 'profileSetConfig' });
      expect((e as Error).message).toContain("profile 'optrace' of the context load");
    } finally {
      await qnn.dispose();
    }
    const list = calls(work);
    const last = list.slice(list.map((c) => c.startsWith('profileCreate')).lastIndexOf(true));
    expect(last[0]).toMatch(/\(QnnProfile_Level_t\)2/);
    expect(last.some((c) => c.startsWith('profileFree'))).toBe(true);
    expect(last.some((c) => c.startsWith('contextCreateFromBinary'))).toBe(false);
  });
});

/**
 * The real HTP host code (libQnnHtpQemu, device: false): it takes profileCreate at both
 * levels and profileSetConfig(ENABLE_OPTRACE) — the load then fails only where the HTP
 * parses the bytes (contextCreateFromBinary, 30001). A real binary cannot be loaded here:
 * without the Hexagon emulator the call spins (docs/conformance.md).
 */
describe.skipIf(!htpReady)('conformance: profiling on the real HTP host code (libQnnHtpQemu)', () => {
  for (const level of ['basic', 'detailed', 'optrace'] as const) {
    it(`profile '${level}': profileCreate${level === 'optrace' ? ' and ENABLE_OPTRACE are' : ' is'} accepted; the load fails in contextCreateFromBinary`, async () => {
      const qnn = await Qnn.load({ backend: HTP_QEMU!, system: false, device: false });
      try {
        const e = await qnn.loadContext(new Uint8Array(256).fill(7), { graphs: [SIG], profile: level }).catch((x: unknown) => x);
        expect(e).toBeInstanceOf(QnnStatusError);
        expect(e).toMatchObject({ apiFunction: 'contextCreateFromBinary', statusCode: 30001 });
      } finally {
        await qnn.dispose();
      }
    });
  }
});
