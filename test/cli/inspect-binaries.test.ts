/**
 * `qnn-node inspect` on binaries that used to defeat it (issues 8 §2 and 9 item 1), against
 * the real runtime with the reference libraries: System API 1.1 without an SDK version,
 * the producer, a binary from a newer SDK, and a binary that crashes QnnSystem.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { ContextSignature } from '../../lib/backend/types.js';
import { captureIO } from '../../lib/cli/io.js';
import { main } from '../../lib/cli/main.js';
import { encodeReferenceBinary } from '../../lib/reference/writer.js';
import { ADD, SHARED, describeNative, withEnv } from '../native/helpers.js';

async function run(argv: string[], cwd: string) {
  const io = captureIO({ cwd, env: {} });
  const code = await main(argv, io);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnn-cli-binaries-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, bytes: Uint8Array) => {
  fs.writeFileSync(path.join(dir, name), bytes);
  return path.join(dir, name);
};

describeNative('qnn-node inspect: real-world binaries', () => {
  const shared = write('shared.bin', encodeReferenceBinary(SHARED));
  const produced = write('produced.bin', encodeReferenceBinary({ ...ADD, producer: 'v2.25.0.240728104910_97711' }));
  const newer = write('newer.bin', encodeReferenceBinary({ ...ADD, producer: 'v2.33.0.250220031845_105259' }));
  const victim = write('victim.bin', encodeReferenceBinary({ ...ADD, graphs: ADD.graphs.map((g) => ({ ...g, name: 'victim' })) }));

  it('--system-only at System API 1.1 reads several graphs without the SDK version', async () => {
    const expected = JSON.parse((await run(['inspect', shared, '--system-only', '--json'], dir)).stdout) as ContextSignature;
    for (const backend of ['5.23.0', '5.25.0']) {
      await withEnv({ QNN_REFERENCE_API_VERSION: `core=2.18.0,system=1.1.0,backend=${backend}` }, async () => {
        const r = await run(['inspect', shared, '--system-only', '--json'], dir);
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout)).toEqual(expected);
        const pinned = await run(['inspect', shared, '--system-only', '--json', '--sdk-version', '2.25', '--in-process'], dir);
        expect(pinned.code, pinned.stderr).toBe(0);
        expect(JSON.parse(pinned.stdout)).toEqual(expected);
      });
    }
  });

  it('--sdk-version takes 2.<minor>[.patch] or a build id, and refuses anything else', async () => {
    for (const v of ['2.25', '2.25.0', 'v2.25.0.240728104910_97711']) {
      const r = await run(['inspect', shared, '--system-only', '--sdk-version', v], dir);
      expect(r.code, `${v}: ${r.stderr}`).toBe(0);
    }
    const bad = await run(['inspect', shared, '--system-only', '--sdk-version', 'latest'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('expected a QNN SDK version such as 2.25');
  });

  it('prints the producer, labelled best effort, in text and JSON, with and without --system-only', async () => {
    for (const extra of [[], ['--system-only'], ['--in-process']]) {
      const table = await run(['inspect', produced, ...extra], dir);
      expect(table.code, table.stderr).toBe(0);
      expect(table.stdout).toMatch(/producer: QNN SDK 2\.25\.0 \(build v2\.25\.0\.240728104910_97711; best effort/);
      const json = JSON.parse((await run(['inspect', produced, '--json', ...extra], dir)).stdout) as ContextSignature;
      expect(json.producer).toMatchObject({ buildId: 'v2.25.0.240728104910_97711', sdkVersion: '2.25.0', bestEffort: true });
    }
  });

  it('a binary from a newer SDK: the error names both SDK versions and the fix', async () => {
    await withEnv({ QNN_REFERENCE_API_VERSION: 'core=2.18.0,system=1.1.0,backend=5.25.0' }, async () => {
      const sys = await run(['inspect', newer, '--system-only'], dir);
      expect(sys.code).toBe(1);
      expect(sys.stderr).toContain('QNN SDK 2.33.0');
      expect(sys.stderr).toContain('System API 1.1.0');
      expect(sys.stderr).toContain('[BINARY_INVALID]');
      // with a backend: QnnSystem refuses first (no graph signatures to fall back on)
      const full = await run(['inspect', newer], dir);
      expect(full.code).not.toBe(0);
      expect(full.stderr).toContain('QNN SDK 2.33.0');
    });
  });

  it('a binary that crashes QnnSystem: BINARY_INVALID, and qnn-node itself survives (both paths)', async () => {
    await withEnv({ QNN_REFERENCE_SYSTEM_FAULT: 'crash:victim' }, async () => {
      for (const extra of [['--system-only'], []]) {
        const r = await run(['inspect', victim, ...extra], dir);
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toContain('libQnnSystem crashed reading this file');
        expect(r.stderr).toContain('[BINARY_INVALID]');
      }
    });
  });
});
