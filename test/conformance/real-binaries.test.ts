/**
 * Conformance: REAL context binaries read by the REAL libQnnSystem (issues 8 §2, 9 item 1).
 * Opt-in: needs QNN_SDK_ROOT (an SDK with x86_64 host libraries) and
 * QNN_CONFORMANCE_BINARIES, a folder holding the public LiteRT test binaries
 * simple_model_qualcomm.bin (SDK 2.25) and simple_add_uint16_qualcomm.bin (SDK 2.33); see
 * docs/conformance.md for where to get them. Nothing real is committed.
 *
 * QNN_CONFORMANCE_MUTATIONS=<n> sets how many one-byte mutations of the 2.25 binary are
 * read (default 120); the summary line printed at the end gives the figures.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readContextSignature } from '../../lib/backend/qnn/index.js';
import { checkBinaryStructure } from '../../lib/backend/qnn/binary-header.js';
import { captureIO } from '../../lib/cli/io.js';
import { main } from '../../lib/cli/main.js';
import { QnnNodeError } from '../../lib/errors.js';
import { addonAvailable } from '../../lib/native/binding.js';
import { HOST_RUNS_SDK_LIBS, sdkLibrary } from './helpers.js';

const BIN_DIR = process.env.QNN_CONFORMANCE_BINARIES;
const SIMPLE = BIN_DIR ? join(BIN_DIR, 'simple_model_qualcomm.bin') : undefined;
const NEWER = BIN_DIR ? join(BIN_DIR, 'simple_add_uint16_qualcomm.bin') : undefined;
const SYSTEM = sdkLibrary('libQnnSystem.so');
const ready = Boolean(SYSTEM && SIMPLE && existsSync(SIMPLE)) && HOST_RUNS_SDK_LIBS && addonAvailable();
const MUTATIONS = Number(process.env.QNN_CONFORMANCE_MUTATIONS ?? 120);

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe.skipIf(!ready)('conformance: real context binaries through the real libQnnSystem', () => {
  const system = SYSTEM!;

  it('reads the SDK 2.25 binary without being told the SDK version (one graph: the GraphInfo stride does not matter)', async () => {
    for (const isolate of [true, false]) {
      const sig = await readContextSignature(SIMPLE!, { system, isolate });
      expect(sig.graphs.map((g) => g.name)).toEqual(['simple']);
      const [g] = sig.graphs;
      expect(g.inputs.map((t) => [t.name, t.dtype, t.dims])).toEqual([
        ['serving_default_x_0', 'float32', [2]],
        ['serving_default_y_0', 'float32', [2]],
      ]);
      expect(g.outputs.map((t) => [t.name, t.dtype, t.dims])).toEqual([['PartitionedCall_0', 'float32', [2]]]);
      expect(sig.producer).toMatchObject({ buildId: 'v2.25.0.240728104910_97711', sdkVersion: '2.25.0', bestEffort: true });
    }
  });

  it('qnn-node inspect --system-only --system <libQnnSystem> lists the graph and tensors (exit 0)', async () => {
    const io = captureIO({ cwd: process.cwd(), env: {} });
    const code = await main(['inspect', SIMPLE!, '--system-only', '--system', system], io);
    expect(code, io.stderrText()).toBe(0);
    expect(io.stdoutText()).toMatch(/Graph simple \(2 inputs, 1 output\)/);
    expect(io.stdoutText()).toMatch(/out\s+PartitionedCall_0\s+\d+\s+float32\s+\[2\]/);
    expect(io.stdoutText()).toContain('producer: QNN SDK 2.25.0');
  });

  it.skipIf(!NEWER || !existsSync(NEWER))('the SDK 2.33 binary: 30010, and the error names both SDK versions and the fix', async () => {
    const err = (await readContextSignature(NEWER!, { system }).catch((e: unknown) => e)) as QnnNodeError;
    expect(err).toMatchObject({ code: 'BINARY_INVALID', details: { statusName: 'QNN_SYSTEM_CONTEXT_ERROR_MALFORMED_BINARY' } });
    expect(err.message).toContain('QNN SDK 2.33.0 (build v2.33.0.250220031845_105259');
    expect(err.message).toContain('System API 1.1.0');
    expect(err.message).toContain('QNN SDK 2.27 or older');
    expect(err.message).toContain('use the libraries of QNN SDK 2.33 or newer');
  });

  it('the structural checks accept both real binaries and refuse a truncated one without the library', async () => {
    for (const file of [SIMPLE!, NEWER].filter((f): f is string => Boolean(f && existsSync(f)))) {
      const bytes = new Uint8Array(readFileSync(file));
      expect(checkBinaryStructure({ head: bytes, size: bytes.length, label: file })).toBe('qnn-context-binary');
    }
    const bytes = new Uint8Array(readFileSync(SIMPLE!));
    await expect(readContextSignature(bytes.subarray(0, bytes.length - 1), { system: '/nonexistent/libQnnSystem.so' })).rejects.toMatchObject({
      code: 'BINARY_INVALID',
      details: { check: 'structure' },
    });
  });

  it(`${MUTATIONS} one-byte mutations: BINARY_INVALID or a clean read, each in bounded time, and this process survives`, async () => {
    const original = new Uint8Array(readFileSync(SIMPLE!));
    const metadata = Number(new DataView(original.buffer).getBigUint64(24, true)); // the section QnnSystem parses
    const random = prng(2025);
    // Mutations that crashed libQnnSystem 2.25 in a fork-per-case survey (SIGSEGV), then random ones.
    const cases: [number, number][] = [[182, 125], [282, 216], [381, 241], [382, 139], [494, 39], [283, 183]];
    while (cases.length < MUTATIONS) {
      const pos = random() < 0.85 ? Math.floor(random() * metadata) : Math.floor(random() * original.length);
      let value = Math.floor(random() * 256);
      if (value === original[pos]) value ^= 0x80;
      cases.push([pos, value]);
    }
    const timeoutMs = 10_000;
    const counts = { read: 0, structure: 0, refused: 0, malformedAnswer: 0, crashed: 0, timedOut: 0, other: 0 };
    let maxMs = 0;
    const failures: string[] = [];
    const fields = new Set<string>();
    const vendorFailures: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const [pos, value] = cases[next++];
        const bytes = original.slice();
        bytes[pos] = value;
        const t0 = Date.now();
        try {
          await readContextSignature(bytes, { system, isolate: { timeoutMs } });
          counts.read++;
        } catch (e) {
          const err = e as QnnNodeError;
          if (err.code !== 'BINARY_INVALID') {
            counts.other++;
            failures.push(`@${pos}=${value}: ${err.code} ${err.message}`);
          } else if (err.details?.check === 'structure') counts.structure++;
          else if (err.details?.outcome === 'crash') {
            counts.crashed++;
            vendorFailures.push(`@${pos}=${value}: ${String(err.details.signal ?? err.details.exitCode)}`);
          } else if (err.details?.outcome === 'timeout') {
            counts.timedOut++;
            vendorFailures.push(`@${pos}=${value}: timeout`);
          }
          else if (err.details?.field !== undefined) {
            counts.malformedAnswer++;
            fields.add(String(err.details.field));
          }
          else counts.refused++;
        }
        maxMs = Math.max(maxMs, Date.now() - t0);
      }
    };
    await Promise.all([worker(), worker()]);
    console.log(`[conformance] ${cases.length} mutations of ${SIMPLE}: ${JSON.stringify(counts)}; slowest ${maxMs} ms (timeout ${timeoutMs} ms); malformed answers caught in: ${[...fields].join(', ')}; vendor failures: ${vendorFailures.join(', ')}`);
    expect(failures).toEqual([]);
    expect(counts.crashed + counts.timedOut).toBeGreaterThan(0); // the vendor library did fail on some: isolation was exercised
    expect(maxMs).toBeLessThan(timeoutMs + 10_000);
    // still alive and still reading
    const sig = await readContextSignature(SIMPLE!, { system });
    expect(sig.graphs.map((g) => g.name)).toEqual(['simple']);
  }, 600_000);
});
