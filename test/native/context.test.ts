import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { Qnn, type QnnContext } from '../../lib/backend/qnn/index.js';
import { QnnNodeError, QnnStatusError } from '../../lib/errors.js';
import { encodeReferenceBinary } from '../../lib/reference/writer.js';
import { Tensor } from '../../lib/tensor/Tensor.js';
import { ADD, QUANT, SHARED, describeNative, planReferenceBinary, tempDir, withEnv, writeBinary } from './helpers.js';

describeNative('QnnContext', () => {
  const dir = tempDir();
  const addPath = writeBinary(dir, 'add.bin', ADD);
  const sharedPath = writeBinary(dir, 'shared.bin', SHARED);

  it('loads a binary from a path (memory-mapped) with per-phase timings', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(addPath);
    expect(ctx.info.mapped).toBe(true);
    expect(ctx.info.graphSource).toBe('system');
    expect(ctx.info.persistentBinary).toBe(true); // the default on every core API qnn-node accepts
    expect(ctx.info.binaryBytes).toBe(readFileSync(addPath).byteLength);
    const t = ctx.loadTimings;
    for (const k of ['mapMs', 'createMs', 'retrieveMs', 'totalMs'] as const) {
      expect(t[k]).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(t[k])).toBe(true);
    }
    expect(t.totalMs).toBeGreaterThanOrEqual(t.createMs);
    expect(ctx.graphs.map((g) => g.name)).toEqual(['add']);
  });

  it('loads a binary from memory, also with the persistent-binary config', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    const bytes = encodeReferenceBinary(ADD);
    await using a = await qnn.loadContext(bytes);
    expect(a.info.mapped).toBe(false);
    expect(a.info.source).toBe('memory');
    await using b = await qnn.loadContext(Buffer.from(bytes), { persistentBinary: true });
    expect(b.info.persistentBinary).toBe(true);
    await using c = await qnn.loadContext(addPath, { persistentBinary: true });
    expect(c.info.mapped).toBe(true);
  });

  // Whether `file` is mapped into this process (Linux: /proc/self/maps); undefined elsewhere.
  const isMapped = (file: string): boolean | undefined => {
    if (process.platform !== 'linux') return undefined;
    return readFileSync('/proc/self/maps', 'utf8').includes(file);
  };

  it('uses the persistent-binary config by default: the file stays mapped until dispose; false opts out', async () => {
    const file = writeBinary(dir, 'persistent-default.bin', ADD);
    const optOut = writeBinary(dir, 'persistent-off.bin', ADD);
    await using qnn = await Qnn.load({ backend: 'reference' });
    const ctx = await qnn.loadContext(file);
    expect(ctx.info.persistentBinary).toBe(true);
    expect(ctx.info.persistentNote).toBeUndefined();
    if (isMapped(file) !== undefined) expect(isMapped(file)).toBe(true);
    const a = new Tensor('float32', new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    const out = ctx.graph('add').runSync({ a, b: a });
    expect([...(out.out.data as Float32Array)]).toEqual([2, 4, 6, 8, 10, 12]); // weights / code read in place
    await ctx.dispose();
    if (isMapped(file) !== undefined) expect(isMapped(file)).toBe(false);

    const copy = await qnn.loadContext(optOut, { persistentBinary: false });
    expect(copy.info.persistentBinary).toBe(false);
    if (isMapped(optOut) !== undefined) expect(isMapped(optOut)).toBe(false); // released right after create
    await copy.dispose();

    // Bytes: copied by default (they only need to live during the call); true pins them.
    await using mem = await qnn.loadContext(encodeReferenceBinary(ADD));
    expect(mem.info.persistentBinary).toBe(false);
    await using pinned = await qnn.loadContext(encodeReferenceBinary(ADD), { persistentBinary: true });
    expect(pinned.info.persistentBinary).toBe(true);
  });

  it('defaults to persistent on the oldest core API it accepts (emulated 2.14)', async () => {
    await withEnv({ QNN_REFERENCE_API_VERSION: 'core=2.14.0,system=1.1.0,backend=5.20.0' }, async () => {
      await using qnn = await Qnn.load({ backend: 'reference' });
      expect(qnn.info.coreApiVersion).toBe('2.14.0');
      await using ctx = await qnn.loadContext(addPath);
      expect(ctx.info.persistentBinary).toBe(true);
    });
  });

  it('retries a default load once without the config when the backend rejects it as an invalid config', async () => {
    // The injected failure hits every contextCreateFromBinary, so the retry fails too: the
    // default makes two calls (two ERROR lines), an explicit true or false one.
    await withEnv({ QNN_REFERENCE_FAIL: 'contextCreateFromBinary=5010' }, async () => {
      const lines: string[] = [];
      await using qnn = await Qnn.load({ backend: 'reference', logLevel: 'error', onLog: (_level, msg) => lines.push(msg) });
      const count = async (options: { persistentBinary?: boolean }): Promise<number> => {
        lines.length = 0;
        const err = await qnn.loadContext(addPath, options).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(QnnStatusError);
        expect((err as QnnStatusError).statusCode).toBe(5010);
        await new Promise((r) => setTimeout(r, 50)); // log lines cross threads
        return lines.filter((l) => l.includes('contextCreateFromBinary')).length;
      };
      expect(await count({})).toBe(2);
      expect(await count({ persistentBinary: true })).toBe(1);
      expect(await count({ persistentBinary: false })).toBe(1);
    });
  });

  it('exposes every graph of a weight-shared multi-graph context with the binary\'s tensor ids', async () => {
    const layout = planReferenceBinary(SHARED);
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(sharedPath);
    expect(ctx.graphs.map((g) => g.name)).toEqual(['prefill', 'decode', 'relu']);
    const prefill = ctx.graph('prefill');
    expect(prefill.inputs).toEqual([{ name: 'x', id: layout.graphs.prefill.x, dtype: 'float32', dims: [3, 4], role: 'APP_WRITE' }]);
    expect(prefill.outputs).toEqual([{ name: 'y', id: layout.graphs.prefill.y, dtype: 'float32', dims: [3, 4], role: 'APP_READ' }]);
    expect(ctx.graph('decode').inputs[0].dims).toEqual([1, 4]);
    expect(ctx.graph('relu').inputs[0].dtype).toBe('float16');
    // Ids come from the binary, not 0..n.
    expect(prefill.inputs[0].id).toBeGreaterThanOrEqual(1000);
    expect(Object.isFrozen(prefill.inputs[0].dims)).toBe(true);
  });

  it('reports quantization parameters', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(encodeReferenceBinary(QUANT));
    const spec = ctx.graph('dequant').inputs[0];
    expect(spec.dtype).toBe('ufixed8');
    expect(spec.quant).toEqual({ encoding: 'scale-offset', scale: 0.5, offset: -10 });
  });

  it('throws UNKNOWN_GRAPH listing the graphs there are', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await using ctx = await qnn.loadContext(sharedPath);
    const err = (() => {
      try {
        ctx.graph('nope');
      } catch (e) {
        return e as QnnNodeError;
      }
    })();
    expect(err).toBeInstanceOf(QnnNodeError);
    expect(err!.code).toBe('UNKNOWN_GRAPH');
    expect(err!.message).toContain('"prefill", "decode", "relu"');
    expect(err!.details.graphs).toEqual(['prefill', 'decode', 'relu']);
  });

  it('fails with FILE_NOT_FOUND / BINARY_INVALID for missing, empty, corrupt and truncated files', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    const missing = await qnn.loadContext(path.join(dir, 'missing.bin')).catch((e) => e);
    expect(missing.code).toBe('FILE_NOT_FOUND');
    expect(missing.stack).toContain('context.test.ts');

    const empty = path.join(dir, 'empty.bin');
    writeFileSync(empty, '');
    expect((await qnn.loadContext(empty).catch((e) => e)).code).toBe('BINARY_INVALID');

    const bytes = encodeReferenceBinary(ADD);
    const corrupt = Uint8Array.from(bytes);
    corrupt[200] ^= 0xff; // inside the checksummed metadata
    const c = await qnn.loadContext(corrupt).catch((e) => e);
    expect(c.code).toBe('BINARY_INVALID');
    expect(c.message).toContain('QnnSystem could not read the context binary');
    expect(typeof c.details.status).toBe('bigint');
    expect(c.details.statusName).toBe('QNN_SYSTEM_CONTEXT_ERROR_MALFORMED_BINARY');

    const truncated = bytes.subarray(0, 100);
    expect((await qnn.loadContext(truncated).catch((e) => e)).code).toBe('BINARY_INVALID');

    const garbage = new Uint8Array(4096).fill(7);
    expect((await qnn.loadContext(garbage).catch((e) => e)).code).toBe('BINARY_INVALID');
  });

  it('reports a corrupt binary as the backend\'s QNN_ERROR when only the backend reads it', async () => {
    const layout = planReferenceBinary(ADD);
    const graphs = [
      {
        name: 'add',
        inputs: [
          { name: 'a', id: layout.graphs.add.a, dtype: 'float32' as const, dims: [2, 3] },
          { name: 'b', id: layout.graphs.add.b, dtype: 'float32' as const, dims: [2, 3] },
        ],
        outputs: [{ name: 'out', id: layout.graphs.add.out, dtype: 'float32' as const, dims: [2, 3] }],
      },
    ];
    await using qnn = await Qnn.load({ backend: 'reference', system: false });
    const corrupt = Uint8Array.from(encodeReferenceBinary(ADD));
    corrupt[200] ^= 0xff;
    const err = await qnn.loadContext(corrupt, { graphs }).catch((e) => e);
    expect(err).toBeInstanceOf(QnnStatusError);
    expect(err.statusCode).toBe(5005);
    expect(err.statusName).toBe('QNN_CONTEXT_ERROR_CREATE_FROM_BINARY');
    expect(err.apiFunction).toBe('contextCreateFromBinary');
    expect(err.backendMessage).toBeTruthy();
  });

  it('accepts caller graph signatures when QnnSystem is not loaded', async () => {
    const layout = planReferenceBinary(ADD);
    await using qnn = await Qnn.load({ backend: 'reference', system: false });
    const none = await qnn.loadContext(addPath).catch((e) => e);
    expect(none.code).toBe('NO_PROVIDER');
    expect(none.message).toContain('options.graphs');
    const ctx: QnnContext = await qnn.loadContext(addPath, {
      graphs: [
        {
          name: 'add',
          inputs: [
            { name: 'a', id: layout.graphs.add.a, dtype: 'float32', dims: [2, 3] },
            { name: 'b', id: layout.graphs.add.b, dtype: 'float32', dims: [2, 3] },
          ],
          outputs: [{ name: 'out', id: layout.graphs.add.out, dtype: 'float32', dims: [2, 3] }],
        },
      ],
    });
    expect(ctx.info.graphSource).toBe('caller');
    const { Tensor } = await import('../../lib/tensor/Tensor.js');
    const { out } = await ctx.graph('add').run({
      a: new Tensor('float32', new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]),
      b: new Tensor('float32', new Float32Array([10, 20, 30, 40, 50, 60]), [2, 3]),
    });
    expect([...out.data]).toEqual([11, 22, 33, 44, 55, 66]);
    await ctx.dispose();
    const bad = await qnn.loadContext(addPath, { graphs: [{ name: 'add', inputs: 'x' }] as never }).catch((e) => e);
    expect(bad.code).toBe('ERR_INVALID_ARG');
  });

  it('maps graphRetrieve failures of unknown caller graphs to QnnStatusError', async () => {
    await using qnn = await Qnn.load({ backend: 'reference', system: false });
    const err = await qnn
      .loadContext(addPath, { graphs: [{ name: 'nope', inputs: [], outputs: [{ name: 'o', dtype: 'float32', dims: [1] }] }] })
      .catch((e) => e);
    expect(err).toBeInstanceOf(QnnStatusError);
    expect(err.statusCode).toBe(6003);
    expect(err.statusName).toBe('QNN_GRAPH_ERROR_INVALID_NAME');
    expect(err.message).toContain('"nope"');
  });

  it('rejects bad sources with ERR_INVALID_ARG', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    for (const bad of [undefined, null, 1, {}, [1, 2], '']) {
      const err = await qnn.loadContext(bad as never).catch((e) => e);
      expect(err.code).toBe('ERR_INVALID_ARG');
    }
  });

  it('uses QnnSystem fault injection: a failing binary-info read falls back to caller graphs', async () => {
    const layout = planReferenceBinary(ADD);
    await using qnn = await Qnn.load({ backend: 'reference' });
    await withEnv({ QNN_REFERENCE_FAIL: 'systemContextGetBinaryInfo=30010' }, async () => {
      const err = await qnn.loadContext(addPath).catch((e) => e);
      expect(err.code).toBe('BINARY_INVALID');
      const ctx = await qnn.loadContext(addPath, {
        graphs: [
          {
            name: 'add',
            inputs: [
              { name: 'a', id: layout.graphs.add.a, dtype: 'float32', dims: [2, 3] },
              { name: 'b', id: layout.graphs.add.b, dtype: 'float32', dims: [2, 3] },
            ],
            outputs: [{ name: 'out', id: layout.graphs.add.out, dtype: 'float32', dims: [2, 3] }],
          },
        ],
      });
      expect(ctx.info.graphSource).toBe('caller');
      expect(ctx.info.systemNote).toContain('systemContextGetBinaryInfo');
      await ctx.dispose();
    });
  });
});
