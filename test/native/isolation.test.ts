/**
 * Isolation of the vendor binary reader (issue 9 item 1): a QnnSystem library that crashes,
 * aborts, hangs or eats memory on a binary must give BINARY_INVALID in bounded time while
 * this process survives. The reference system library misbehaves on demand:
 * QNN_REFERENCE_SYSTEM_FAULT=<mode>:<graph> on binaries holding that graph (a test knob).
 */
import { expect, it } from 'vitest';
import { Qnn, readContextSignature } from '../../lib/backend/qnn/index.js';
import { QnnNodeError, QnnStatusError } from '../../lib/errors.js';
import { ADD, describeNative, tempDir, withEnv, writeBinary } from './helpers.js';

describeNative('isolated binary reading (QnnSystem in a child process)', () => {
  const dir = tempDir();
  const victim = writeBinary(dir, 'victim.bin', { ...ADD, graphs: ADD.graphs.map((g) => ({ ...g, name: 'victim' })) });
  const healthy = writeBinary(dir, 'healthy.bin', ADD);

  async function failure(p: Promise<unknown>): Promise<QnnNodeError> {
    const e = await p.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(e).toBeInstanceOf(QnnNodeError);
    return e as QnnNodeError;
  }

  for (const [mode, outcome, text] of [
    ['crash', 'crash', /libQnnSystem crashed reading this file \(SIGSEGV/],
    ['abort', 'crash', /libQnnSystem crashed reading this file \(SIGABRT/],
    ['hang', 'timeout', /libQnnSystem timed out reading this file \(no answer within 2000 ms/],
  ] as const) {
    it(`${mode} inside QnnSystem → BINARY_INVALID (${outcome}), in bounded time, and this process goes on`, async () => {
      await withEnv({ QNN_REFERENCE_SYSTEM_FAULT: `${mode}:victim` }, async () => {
        const t0 = Date.now();
        const err = await failure(readContextSignature(victim, { system: 'reference', isolate: { timeoutMs: 2000 } }));
        const elapsed = Date.now() - t0;
        expect(err.code).toBe('BINARY_INVALID');
        expect(err.message).toMatch(text);
        expect(err.details).toMatchObject({ isolated: true, outcome, path: victim });
        expect(elapsed).toBeLessThan(2000 + 8000);
        // the knob only hits the marked binary; this process still reads others
        const ok = await readContextSignature(healthy, { system: 'reference', isolate: false });
        expect(ok.graphs.map((g) => g.name)).toEqual(['add']);
      });
    });
  }

  // The memory limit is Linux-only (RLIMIT_AS); elsewhere this would eat the machine's memory.
  // Under AddressSanitizer (npm run test:sanitize) an allocation failing at the limit aborts
  // the child with an out-of-memory report instead of throwing, so the outcome differs there.
  it.skipIf(process.platform !== 'linux' || process.env.QNN_NODE_SANITIZED === '1')('a library that allocates without end is stopped by the memory limit', async () => {
    await withEnv({ QNN_REFERENCE_SYSTEM_FAULT: 'hog:victim' }, async () => {
      const t0 = Date.now();
      const err = await failure(readContextSignature(victim, { system: 'reference', isolate: { timeoutMs: 4000, memoryBytes: 256 << 20 } }));
      expect(err.code).toBe('BINARY_INVALID');
      // the allocator gives up at the limit (256 MiB beyond Node's own) and the library
      // spins: the timeout ends it
      expect(err.details).toMatchObject({ isolated: true, outcome: 'timeout', memoryBytes: 256 << 20 });
      expect(err.message).toMatch(/libQnnSystem timed out reading this file/);
      expect(Date.now() - t0).toBeLessThan(15_000);
    });
  });

  it('bytes are read in the child too', async () => {
    const { readFileSync } = await import('node:fs');
    await withEnv({ QNN_REFERENCE_SYSTEM_FAULT: 'crash:victim' }, async () => {
      const err = await failure(readContextSignature(new Uint8Array(readFileSync(victim)), { system: 'reference' }));
      expect(err).toMatchObject({ code: 'BINARY_INVALID', details: { isolated: true, outcome: 'crash' } });
      expect(err.message).toContain('the given bytes');
    });
    const sig = await readContextSignature(new Uint8Array(readFileSync(healthy)), { system: 'reference' });
    expect(sig.graphs.map((g) => g.name)).toEqual(['add']);
  });

  it('errors of the library in the child arrive as in-process (codes, status, details)', async () => {
    await withEnv({ QNN_REFERENCE_FAIL: 'systemContextGetBinaryInfo=30010' }, async () => {
      const isolated = await failure(readContextSignature(healthy, { system: 'reference' }));
      const inProcess = await failure(readContextSignature(healthy, { system: 'reference', isolate: false }));
      expect(isolated.code).toBe('BINARY_INVALID');
      expect(isolated.message).toBe(inProcess.message);
      expect(isolated.details.status).toBe(inProcess.details.status);
      expect(typeof isolated.details.status).toBe('bigint');
    });
    const missing = await failure(readContextSignature(healthy, { system: '/nonexistent/libQnnSystem.so' }));
    expect(missing.code).toBe('LIBRARY_LOAD_FAILED');
  });

  it('bad isolate options → typed errors', async () => {
    await expect(readContextSignature(healthy, { system: 'reference', isolate: 'yes' as unknown as boolean })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    await expect(readContextSignature(healthy, { system: 'reference', isolate: { timeoutMs: 0 } })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(readContextSignature(healthy, { system: 'reference', isolate: { memoryBytes: 1.5 } })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
  });

  it("loadContext({ validate: 'isolated' }) checks the binary in a child first; the default trusts it", async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await withEnv({ QNN_REFERENCE_SYSTEM_FAULT: 'crash:victim' }, async () => {
      const err = await failure(qnn.loadContext(victim, { validate: 'isolated', isolation: { timeoutMs: 5000 } }));
      expect(err).toMatchObject({ code: 'BINARY_INVALID', details: { isolated: true, outcome: 'crash' } });
    });
    await using ctx = await qnn.loadContext(healthy, { validate: 'isolated' });
    expect(ctx.info.validated).toBe('isolated');
    await using plain = await qnn.loadContext(healthy);
    expect(plain.info.validated).toBeUndefined();
    await expect(qnn.loadContext(healthy, { validate: 'strict' as 'isolated' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
  });

  it("validate: 'isolated' with caller graphs: a QnnSystem refusal loads unvalidated; the caller's signatures serve", async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    const { graphs } = await readContextSignature(healthy, { system: 'reference', isolate: false });
    await withEnv({ QNN_REFERENCE_FAIL: 'systemContextGetBinaryInfo=30010' }, async () => {
      await using ctx = await qnn.loadContext(healthy, { validate: 'isolated', graphs });
      // QnnSystem refused to read it, so nothing was validated: the info must not say it was
      expect(ctx.info.validated).toBeUndefined();
      expect(ctx.graphs.map((g) => g.name)).toEqual(['add']);
    });
  });

  it('a timeout of loadContext stops the isolated reader at once', async () => {
    const { childPids } = await import('../../lib/cli/abandoned-children.js');
    await using qnn = await Qnn.load({ backend: 'reference' });
    await withEnv({ QNN_REFERENCE_SYSTEM_FAULT: 'hang:victim' }, async () => {
      const t0 = Date.now();
      const err = await failure(qnn.loadContext(victim, { validate: 'isolated', isolation: { timeoutMs: 60_000 }, timeoutMs: 300 }));
      expect(err.code).toBe('TIMEOUT');
      expect(Date.now() - t0).toBeLessThan(10_000);
      // the hanging reader was killed with the give-up, not left to its own 60 s limit
      const deadline = Date.now() + 5000;
      while (childPids().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(childPids()).toEqual([]);
    });
  });

  it.skipIf(process.platform === 'win32')('a FIFO as the binary is refused at once (opening it must not wait for a writer)', async () => {
    const { execFileSync } = await import('node:child_process');
    const fifo = `${dir}/pipe.bin`;
    execFileSync('mkfifo', [fifo]);
    await expect(readContextSignature(fifo, { system: 'reference' })).rejects.toMatchObject({ code: 'FILE_NOT_FOUND', message: /not a regular file/ });
    await using qnn = await Qnn.load({ backend: 'reference' });
    await expect(qnn.loadContext(fifo)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });

  it('ctx.info.producer; a backend refusing a newer binary names both SDKs', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    const produced = writeBinary(dir, 'produced.bin', { ...ADD, producer: 'v2.25.0.240728104910_97711' });
    await using ctx = await qnn.loadContext(produced);
    expect(ctx.info.producer).toEqual({ buildId: 'v2.25.0.240728104910_97711', sdkVersion: '2.25.0', bestEffort: true, source: 'text' });
    // the reference backend emulates SDK 2.43 (backend API 5.43) by default
    const newer = writeBinary(dir, 'newer.bin', { ...ADD, producer: 'v2.48.0.251020123456_123456' });
    const err = await failure(qnn.loadContext(newer, { graphs: [{ name: 'add', inputs: [], outputs: [] }] }));
    expect(err).toBeInstanceOf(QnnStatusError);
    expect((err as QnnStatusError).statusCode).toBe(5005);
    expect(err.message).toContain('QNN SDK 2.48.0');
    expect(err.message).toContain(qnn.info.backendPath);
    expect(err.message).toMatch(/Fix: use the libraries of QNN SDK 2\.48 or newer/);
  });
});
