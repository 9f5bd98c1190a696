/**
 * Opt-in conformance (QNN_SDK_ROOT): the context and graph configs qnn-node sends, as the
 * real libQnnSaver records them (saver_output/saver_output.c). Saver (x86_64, SDK 2.25)
 * reports backend API 1.1.0 — it is not the HTP — so HTP custom configs are refused before
 * they reach it (UNSUPPORTED_OPTION naming the option and 1.1.0); the core configs
 * (context priority at contextCreateFromBinary, graph priority through graphSetConfig after
 * graphRetrieve) reach it and are recorded as written. Measured: docs/configs.md.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCode } from '../../lib/errors.js';
import { Qnn } from '../../lib/backend/qnn/index.js';
import { addonAvailable } from '../../lib/native/binding.js';
import { HOST_RUNS_SDK_LIBS, SDK_LIB_DIR, SDK_ROOT, sdkLibrary } from './helpers.js';

const SAVER = sdkLibrary('libQnnSaver.so');
const ready = Boolean(SDK_ROOT && SAVER) && HOST_RUNS_SDK_LIBS && Boolean(SDK_LIB_DIR && existsSync(SDK_LIB_DIR)) && addonAvailable();

// Saver does not parse the binary: any bytes with caller signatures reach it.
const BINARY = new Uint8Array(200).map((_, i) => (i * 11 + 5) & 0xff);
const GRAPH = 'configs_probe';
const signature = {
  name: GRAPH,
  inputs: [{ name: 'x', id: 3, dtype: 'float32' as const, dims: [1, 4] }],
  outputs: [{ name: 'y', id: 4, dtype: 'float32' as const, dims: [1, 4] }],
};

describe.skipIf(!ready)('conformance: context and graph configs through the real QnnSaver', () => {
  let cwd = '';
  let work = '';
  beforeAll(() => {
    cwd = process.cwd();
    work = mkdtempSync(join(tmpdir(), 'qnn-node-saver-configs-'));
    process.chdir(work); // Saver writes saver_output/ here
  });
  afterAll(() => {
    if (cwd) process.chdir(cwd);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('records the context priority at contextCreateFromBinary and the graph priority through graphSetConfig', async () => {
    const qnn = await Qnn.load({ backend: SAVER!, system: false });
    try {
      const ctx = await qnn.loadContext(BINARY, { graphs: [signature], priority: 'high', graphConfig: { priority: 'normal_high' } });
      await ctx.dispose();
    } finally {
      await qnn.dispose();
    }
    const source = readFileSync(join(work, 'saver_output', 'saver_output.c'), 'utf8');
    const mine = source.slice(source.lastIndexOf('contextCreateFromBinary') - 400);
    expect(mine).toMatch(/QNN_CONTEXT_CONFIG_OPTION_PRIORITY, \.priority=\(Qnn_Priority_t\)200/);
    expect(mine).toMatch(/QNN_GRAPH_CONFIG_OPTION_PRIORITY, \.priority=\(Qnn_Priority_t\)150/);
    const calls = [...mine.matchAll(/interface\.(\w+)\(/g)].map((m) => m[1]);
    expect(calls.indexOf('graphSetConfig')).toBeGreaterThan(calls.indexOf('graphRetrieve'));
  });

  it('refuses HTP custom configs for a backend that is not the HTP (Saver reports backend API 1.1.0)', async () => {
    const qnn = await Qnn.load({ backend: SAVER!, system: false });
    try {
      expect(qnn.info.backendApiVersion).toBe('1.1.0');
      const e = await qnn.loadContext(BINARY, { graphs: [signature], htp: { ioMemEstimation: true } }).catch((x: unknown) => x);
      expect(hasCode(e, 'UNSUPPORTED_OPTION')).toBe(true);
      expect(String((e as Error).message)).toMatch(/ioMemEstimation .*\(id 2, backend API 1\.1\.0\) is not HTP/);
    } finally {
      await qnn.dispose();
    }
    const d = await Qnn.load({ backend: SAVER!, system: false, deviceConfig: { htp: { socModel: 57 } } }).catch((x: unknown) => x);
    expect(hasCode(d, 'UNSUPPORTED_OPTION')).toBe(true);
  });
});
