/**
 * The raw escape hatch of the HTP custom configs (review item 7): `htp.raw: [{ option, bytes }]`
 * reaches the backend as option + union bytes in the reported version's layout, next to
 * the named keys; sizes and pointer-carrying options are refused with typed errors.
 */
import { afterAll, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { hasCode } from '../../lib/errors.js';
import { ADD, describeNative, tempDir, withEnv, writeBinary } from './helpers.js';
import { withJournal } from './journal.js';

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const u32 = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v]).buffer);
const u64 = (v: bigint): Uint8Array => new Uint8Array(new BigUint64Array([v]).buffer);

describeNative('raw HTP custom configs', () => {
  it('context and graph: option + bytes reach the backend, next to the named keys', async () => {
    const bin = writeBinary(dir, 'raw.bin', ADD);
    await withEnv({ QNN_REFERENCE_API_VERSION: 'backend=5.43.0' }, () =>
      withJournal(dir, async (j) => {
        await using qnn = await Qnn.load({ backend: 'reference' });
        await using _ctx = await qnn.loadContext(bin, {
          htp: { weightSharing: false, raw: [{ option: 3, bytes: u64(77n) }, { option: 1, bytes: new Uint8Array([1]) }] },
          graphConfig: { htp: { raw: [{ option: 8, bytes: u32(2) }] } },
        });
        const custom = (j.entries('contextCreateFromBinary')[0]!.configs as { htpOption?: string }[]).filter((c) => c.htpOption);
        expect(custom).toEqual([
          { option: 'CUSTOM', htpOption: 'WEIGHT_SHARING_ENABLED', value: false },
          { option: 'CUSTOM', htpOption: 'FILE_READ_MEMORY_BUDGET', fileReadMemoryBudgetInMb: 77 },
          { option: 'CUSTOM', htpOption: 'WEIGHT_SHARING_ENABLED', value: true },
        ]);
        expect(JSON.stringify(j.entries('graphSetConfig')[0]!.configs)).toContain('"numCores":2');
      }),
    );
  });

  it('an option the backend does not know is sent and refused by it (the hatch is open)', async () => {
    const bin = writeBinary(dir, 'raw2.bin', ADD);
    await using qnn = await Qnn.load({ backend: 'reference' });
    const err = await qnn.loadContext(bin, { htp: { raw: [{ option: 99, bytes: new Uint8Array([1]) }] } }).catch((e: unknown) => e);
    expect(hasCode(err, 'QNN_ERROR')).toBe(true);
    expect((err as Error).message).toContain('unknown HTP context config option 99');
  });

  it('device: the bytes land at the union offset of the reported layout (12 bytes through 5.43, 16 from 5.44)', async () => {
    for (const [backend, bytes] of [
      ['5.43.0', 12],
      ['5.44.0', 16],
    ] as const) {
      await withEnv({ QNN_REFERENCE_API_VERSION: `backend=${backend}` }, () =>
        withJournal(dir, async (j) => {
          await using _qnn = await Qnn.load({ backend: 'reference', deviceConfig: { htp: { raw: [{ option: 0, bytes: u32(57) }] } } });
          expect(j.entries('deviceCreate')[0]!.configs).toEqual([{ option: 0, htpOption: 'SOC', layoutBytes: bytes, socModel: 57 }]);
        }),
      );
    }
  });

  it('refuses bytes that do not fit the layout, pointer-carrying options and junk, with typed errors', async () => {
    const bin = writeBinary(dir, 'raw3.bin', ADD);
    await withEnv({ QNN_REFERENCE_API_VERSION: 'backend=5.25.0' }, async () => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      const cases: [unknown, string, RegExp][] = [
        [{ htp: { raw: [{ option: 3, bytes: new Uint8Array(17) }] } }, 'ERR_OUT_OF_RANGE', /1 to 16 bytes .* for options\.htp\.raw\[0\]\.bytes/],
        [{ graphConfig: { htp: { raw: [{ option: 8, bytes: new Uint8Array(9) }] } } }, 'ERR_OUT_OF_RANGE', /1 to 8 bytes .*backend API 5\.25\.0/],
        [{ htp: { raw: [{ option: 2, bytes: new Uint8Array(8) }] } }, 'UNSUPPORTED_OPTION', /carries a pointer or handle/],
        [{ htp: { raw: [{ option: 1.5, bytes: new Uint8Array(1) }] } }, 'ERR_INVALID_ARG', /options\.htp\.raw\[0\]\.option/],
        [{ htp: { raw: [{ option: 1, bytes: [1] }] } }, 'ERR_INVALID_ARG', /a Uint8Array for options\.htp\.raw\[0\]\.bytes/],
        [{ htp: { raw: { option: 1 } } }, 'ERR_INVALID_ARG', /options\.htp\.raw/],
      ];
      for (const [options, code, message] of cases) {
        const err = await qnn.loadContext(bin, options as never).catch((e: unknown) => e);
        expect(err, JSON.stringify(options)).toMatchObject({ code });
        expect((err as Error).message).toMatch(message);
      }
    });
    // Backend configs: no named option, raw only; the native builder checks the size again.
    const backendRaw = await Qnn.load({ backend: 'reference', backendConfig: { htp: { raw: [{ option: 1, bytes: new Uint8Array(9) }] } } }).catch((e: unknown) => e);
    expect(hasCode(backendRaw, 'ERR_OUT_OF_RANGE')).toBe(true);
  });

  it('the native parser survives junk raw entries (plans sent past the TS checks)', async () => {
    const { loadAddon, referenceBackendPaths } = await import('../../lib/native/binding.js');
    const addon = loadAddon();
    const runtime = new addon.Runtime();
    const paths = referenceBackendPaths();
    for (const junk of [{ option: 1, raw: 'x' }, { option: 1, raw: new Uint8Array(0) }, { option: 1, raw: new Uint8Array(49) }, { option: -1, raw: new Uint8Array(1) }, { option: 0, raw: new Uint8Array(9) }]) {
      const err = await Promise.resolve()
        .then(() => runtime.load({ backendPath: paths.backend, device: true, deviceConfigs: [junk] } as never))
        .catch((e: unknown) => e);
      expect(err, JSON.stringify(junk)).toHaveProperty('code');
    }
    // 9 bytes pass the parser (48 is the largest union) but not the device layout's 8-byte union.
    const tooLong = await Promise.resolve()
      .then(() => runtime.load({ backendPath: paths.backend, device: true, deviceConfigs: [{ option: 0, raw: new Uint8Array(9) }] } as never))
      .catch((e: unknown) => e);
    expect(tooLong).toMatchObject({ code: 'UNSUPPORTED_OPTION', message: expect.stringMatching(/has 9 bytes; the union of the layout of backend API .* has 8/) });
    runtime.dispose();
  });
});
