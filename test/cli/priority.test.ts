/**
 * run / bench run --priority and --graph-priority: the configs reach the reference
 * backend (its journal); a manifest refuses them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { captureIO } from '../../lib/cli/io.js';
import { main } from '../../lib/cli/main.js';
import { describeNative } from '../native/helpers.js';
import { withJournal } from '../native/journal.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnn-cli-priority-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[]) {
  const io = captureIO({ cwd: dir, env: {} });
  const code = await main(argv, io);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

describeNative('qnn-node run --priority / --graph-priority', () => {
  it('sends the context priority and every graph priority to the backend', async () => {
    await withJournal(dir, async (j) => {
      const r = await run(['run', '--backend', 'reference', '--priority', 'high', '--graph-priority', 'low', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(j.entries('contextCreateFromBinary')[0]!.configs).toContainEqual({ option: 'PRIORITY', priority: 200 });
      const sets = j.entries('graphSetConfig');
      expect(sets.length).toBeGreaterThan(0);
      for (const s of sets) expect(s.configs).toEqual([{ option: 'PRIORITY', priority: 0 }]);
    });
  });

  it('refuses an unknown level and the options on a manifest', async () => {
    const bad = await run(['run', '--backend', 'reference', '--priority', 'realtime']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/realtime/);
    // The API's message, not only commander's list of choices.
    expect(bad.stderr).toContain('(QNN defines no realtime priority)');
    const graph = await run(['run', '--backend', 'reference', '--graph-priority', 'urgent']);
    expect(graph.stderr).toMatch(/Expected one of low, normal, normal_high, high \(QNN defines no realtime priority\) for --graph-priority but received "urgent"/);
    const manifest = path.join(dir, 'm.json');
    fs.writeFileSync(manifest, '{}');
    const m = await run(['run', manifest, '--priority', 'high']);
    expect(m.code).not.toBe(0);
    expect(m.stderr).toMatch(/apply to context binaries, not manifests/);
  });
});
