/**
 * Manifests are untrusted data (docs/pipelines.md "Trust model"): deep nesting, null
 * inputs, growing lists, widening casts, image bombs and special files all end in typed
 * errors within the configured limits, never a stack overflow, a hang or an unbounded allocation.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { describe, expect, it, vi } from 'vitest';
import { MockBackend, Pipeline, Tensor, validateManifest } from '../../lib/index.js';
import { EmbeddingTable, PipelineAssets } from '../../lib/pipeline/assets.js';
import { PathPolicy } from '../../lib/pipeline/paths.js';
import { EXAMPLES, pngBytes } from './fixtures.js';
import { ECHO, failure, manifest, useManifestFolder } from './echo-pipeline.js';

const folder = useManifestFolder();
const load = folder.load;

function nested(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

describe('deep nesting', () => {
  it('an op param nested 2,000 arrays deep is MANIFEST_INVALID naming the pointer and the limit', async () => {
    const e = await failure(load(manifest([{ op: 'set', value: nested(2000), output: 'v' }])));
    expect(e).not.toBeInstanceOf(RangeError);
    expect(e.code).toBe('MANIFEST_INVALID');
    expect(e.message).toMatch(/at most 64 levels/);
    expect(String(e.details?.path)).toMatch(/^\/steps\/0\/value(\/0)+$/);
  });

  it('loops nested 1,000 deep are MANIFEST_INVALID, from a file too', async () => {
    let steps: unknown[] = [];
    for (let i = 0; i < 1000; i++) steps = [{ loop: { count: 1 }, steps }];
    const path = join(folder.dir, 'deep.json');
    writeFileSync(path, JSON.stringify(manifest(steps)));
    const e = await failure(Pipeline.load(path, { backend: new MockBackend() }));
    expect(e.code).toBe('MANIFEST_INVALID');
    expect(String(e.details?.path)).toMatch(/^\/steps\/0\/steps\/0/);
    expect(() => validateManifest(manifest(steps))).toThrow(expect.objectContaining({ code: 'MANIFEST_INVALID' }));
  });

  it('64 levels load and run, 65 do not', async () => {
    // root(1) → steps(2) → step(3) → deep: arrays 4..64 (61 of them).
    const keep = { keep: (ctx: { params: Record<string, unknown> }) => ctx.params.deep as number[] };
    await using p = await load(manifest([{ op: 'keep', deep: nested(61), output: 'v' }], { outputs: { v: 'v' } }), { hostOps: keep });
    await expect(p.run()).resolves.toBeDefined();
    const e = await failure(load(manifest([{ op: 'keep', deep: nested(62), output: 'v' }]), { hostOps: keep }));
    expect(e.code).toBe('MANIFEST_INVALID');
  });

  it('every example manifest is within the depth limit', () => {
    for (const name of readdirSync(EXAMPLES).filter((n) => existsSync(join(EXAMPLES, n, 'manifest.json')))) {
      const m = JSON.parse(readFileSync(join(EXAMPLES, name, 'manifest.json'), 'utf8')) as unknown;
      expect(() => validateManifest(m), name).not.toThrow();
    }
  });
});

describe('append', () => {
  it('a list param is fresh on every run: appending never changes the default', async () => {
    // A host op that appends to the list it is handed, as append does to a list value.
    const grow = (ctx: { inputs: Record<string, unknown> }) => (ctx.inputs.list as number[]).push(3);
    const m = manifest([{ op: 'grow', inputs: { list: '$history' }, output: 'n' }], { params: { history: [1, 2] }, outputs: { n: 'n' } });
    await using p = await load(m, { hostOps: { grow } });
    expect((await p.run()).outputs.n).toBe(3);
    expect((await p.run()).outputs.n).toBe(3);
    expect((m.params as { history: number[] }).history).toEqual([1, 2]);
    const mine = [7];
    expect((await p.run({}, { params: { history: mine } })).outputs.n).toBe(2);
    expect(mine).toEqual([7]);
  });

  it('a growing list is bounded by maxAllocationBytes (8 bytes a number)', async () => {
    const m = manifest(
      [{ op: 'set', value: [], output: 'xs' }, { loop: { count: 20 }, steps: [{ op: 'append', inputs: { list: 'xs', value: 1 } }] }, { op: 'length', inputs: { input: 'xs' }, output: 'n' }],
      { outputs: { n: 'n' } },
    );
    await using p = await load(m, { limits: { maxAllocationBytes: 80 } });
    const e = await failure(p.run());
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.message).toMatch(/a list of 10 \+ 1 numbers needs 88 bytes/);
    await using roomy = await load(m, { limits: { maxAllocationBytes: 160 } });
    expect((await roomy.run()).outputs.n).toBe(20);
  });

  it('appends a 500,000-element tensor without spreading it into call arguments', async () => {
    const m = manifest(
      [
        { op: 'set', value: [], output: 'xs' },
        { op: 'fill', value: 2, dims: [500_000], dtype: 'int32', output: 't' },
        { op: 'append', inputs: { list: 'xs', value: 't' } },
        { op: 'length', inputs: { input: 'xs' }, output: 'n' },
      ],
      { outputs: { n: 'n' } },
    );
    await using p = await load(m);
    expect((await p.run()).outputs.n).toBe(500_000);
  });
});

describe('conversions are bounded by maxAllocationBytes', () => {
  const limits = { maxAllocationBytes: 500 };
  const int8 = (): Tensor => new Tensor('int8', new Int8Array(100).fill(3), [100]);

  it('cast int8 → float64 (8x the input) is LIMIT_EXCEEDED before converting', async () => {
    await using p = await load(manifest([{ op: 'cast', inputs: { input: 'x' }, dtype: 'float64', output: 'y' }], { inputs: { x: { type: 'tensor', dtype: 'int8', shape: [100] } }, outputs: { y: 'y' } }), { limits });
    const e = await failure(p.run({ x: int8() }));
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.message).toMatch(/float64 tensor \[100\] needs 800 bytes/);
    await using roomy = await load(manifest([{ op: 'cast', inputs: { input: 'x' }, dtype: 'float64', output: 'y' }], { inputs: { x: { type: 'tensor', dtype: 'int8', shape: [100] } }, outputs: { y: 'y' } }), { limits: { maxAllocationBytes: 800 } });
    expect(((await roomy.run({ x: int8() })).outputs.y as Tensor).dtype).toBe('float64');
  });

  it('quantize and dequantize stage float64 within the limit', async () => {
    const x = new Tensor('float16', new Uint16Array(100), [100]);
    await using q = await load(manifest([{ op: 'quantize', inputs: { input: 'x' }, dtype: 'ufixed8', scale: 0.1, offset: 0, output: 'y' }], { inputs: { x: { type: 'tensor', dtype: 'float16', shape: [100] } }, outputs: { y: 'y' } }), { limits });
    expect((await failure(q.run({ x }))).code).toBe('LIMIT_EXCEEDED');
    const u8 = new Tensor('ufixed8', new Uint8Array(100), [100], { quant: { encoding: 'scale-offset', scale: 0.1, offset: 0 } });
    await using d = await load(manifest([{ op: 'dequantize', inputs: { input: 'x' }, dtype: 'float32', output: 'y' }], { inputs: { x: { type: 'tensor', dtype: 'ufixed8', shape: [100] } }, outputs: { y: 'y' } }), { limits });
    expect((await failure(d.run({ x: u8 }))).code).toBe('LIMIT_EXCEEDED');
  });

  it('token ids read from a tensor count against the limit', async () => {
    const m = manifest([{ op: 'sample', inputs: { logits: 'l', history: 'h' }, output: 't' }], { inputs: { l: { type: 'tensor', dtype: 'float32', shape: [1, 3] }, h: { type: 'tensor', dtype: 'int32', shape: [100] } }, outputs: { t: 't' } });
    await using p = await load(m, { limits });
    const l = new Tensor('float32', new Float32Array([0, 1, 0]), [1, 3]);
    const e = await failure(p.run({ l, h: new Tensor('int32', new Int32Array(100), [100]) }));
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.message).toMatch(/100 token ids/);
    await using roomy = await load(m, { limits: { maxAllocationBytes: 800 } });
    expect((await roomy.run({ l, h: new Tensor('int32', new Int32Array(100), [100]) })).outputs.t).toBe(1);
  });
});

describe('images are bounded before they are decoded', () => {
  const imageStep = (extra: Record<string, unknown> = {}) =>
    manifest([{ op: 'image', inputs: { image: 'img' }, output: 'px', width: 2, height: 2, dtype: 'float32', ...extra }], {
      inputs: { img: { type: 'image', default: 'photo.png' } },
      outputs: { px: 'px' },
    });

  it('a PNG whose decoded pixels exceed the limit is refused from its header, whatever the output size', async () => {
    writeFileSync(join(folder.dir, 'photo.png'), pngBytes(64, 64, () => [1, 2, 3]));
    await using p = await load(imageStep(), { limits: { maxAllocationBytes: 10_000 } });
    const e = await failure(p.run());
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.message).toMatch(/64x64 PNG needs 16448 bytes/);
  });

  it('a forged IHDR declaring 100000x100000 is LIMIT_EXCEEDED, not decoded', async () => {
    const png = pngBytes(2, 2, () => [1, 2, 3]);
    png.writeUInt32BE(100_000, 16);
    png.writeUInt32BE(100_000, 20);
    await using p = await load(imageStep());
    const e = await failure(p.run({ img: png }));
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.message).toMatch(/100000x100000/);
  });

  it('the resize stage (source height x output width) is checked', async () => {
    // 1x1000 source → 2x2: decoded 4,000 bytes, output 48, but the stage is 1000 x 2 x 12 = 24,000.
    writeFileSync(join(folder.dir, 'photo.png'), pngBytes(1, 1000, () => [1, 2, 3]));
    await using p = await load(imageStep(), { limits: { maxAllocationBytes: 10_000 } });
    const e = await failure(p.run());
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.message).toMatch(/resize staging .* needs 24000 bytes/);
  });

  it('a JPEG is checked from its frame header and jpeg-js gets limits from the budget', async () => {
    const rgba = Buffer.alloc(64 * 64 * 4, 128);
    const jpg = jpeg.encode({ width: 64, height: 64, data: rgba }, 90).data;
    await using p = await load(imageStep(), { limits: { maxAllocationBytes: 10_000 } });
    const e = await failure(p.run({ img: jpg }));
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.message).toMatch(/64x64 decoded JPEG pixels needs 12288 bytes/);
    await using roomy = await load(imageStep(), { limits: { maxAllocationBytes: 100_000 } });
    expect(((await roomy.run({ img: jpg })).outputs.px as Tensor).dims).toEqual([1, 3, 2, 2]);
  });

  it('an image file larger than the limit is not read', async () => {
    writeFileSync(join(folder.dir, 'photo.png'), Buffer.concat([pngBytes(2, 2, () => [1, 2, 3]), Buffer.alloc(20_000)]));
    await using p = await load(imageStep(), { limits: { maxAllocationBytes: 10_000 } });
    const e = await failure(p.run());
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.message).toMatch(/reading .*photo\.png needs 200\d\d bytes/);
  });
});

describe('special files are refused without blocking', () => {
  it('a FIFO named as an image is FILE_NOT_FOUND (not a regular file) instead of blocking the event loop', async () => {
    execFileSync('mkfifo', [join(folder.dir, 'pipe.png')]);
    const m = manifest([{ op: 'image', inputs: { image: 'img' }, output: 'px', width: 2, height: 2, dtype: 'float32' }], {
      inputs: { img: { type: 'image', default: 'pipe.png' } },
      outputs: { px: 'px' },
    });
    await using p = await load(m);
    const e = await failure(p.run());
    expect(e.code).toBe('FILE_NOT_FOUND');
    expect(e.message).toMatch(/not a regular file/);
  }, 5000);
});

describe('files a manifest names are read as regular files within the limit', () => {
  it('a FIFO swapped in after the load-time check fails to open instead of blocking (tensor asset, lazy table)', () => {
    execFileSync('mkfifo', [join(folder.dir, 'fifo.bin')]);
    const assets = new PipelineAssets({ t: { type: 'tensor', path: 'fifo.bin', dtype: 'float32', shape: [1] } }, folder.dir);
    expect(() => assets.open()).toThrow(expect.objectContaining({ code: 'ASSET_INVALID', message: expect.stringMatching(/not a regular file/) }));
    expect(() => new EmbeddingTable(join(folder.dir, 'fifo.bin'), 'float32', [1, 1], 0, 'lazy', { map: false })).toThrow(expect.objectContaining({ code: 'FILE_NOT_FOUND' }));
    expect(() => new EmbeddingTable(join(folder.dir, 'fifo.bin'), 'float32', [1, 1], 0, 'memory', { map: false })).toThrow(expect.objectContaining({ code: 'FILE_NOT_FOUND' }));
  }, 5000);

  it('a tensor asset or signature file over maxAllocationBytes is refused before it is read', async () => {
    writeFileSync(join(folder.dir, 't.bin'), Buffer.alloc(4000));
    const withTensor = manifest([], { assets: { t: { type: 'tensor', path: 't.bin', dtype: 'float32', shape: [1000] } } });
    const e = await failure(load(withTensor, { limits: { maxAllocationBytes: 1000 } }));
    expect(e.code).toBe('ASSET_INVALID');
    expect(e.message).toMatch(/needs 4000 bytes, over the limit of 1000/);
    writeFileSync(join(folder.dir, 'sig.json'), JSON.stringify({ format: 'qnn-node-signature', version: 1, graphs: [ECHO], pad: 'x'.repeat(2000) }));
    const withSignature = { format: 'qnn-node-pipeline', version: 1, contexts: { m: { binary: 'm.bin', signature: 'sig.json' } }, steps: [] };
    expect((await failure(load(withSignature, { limits: { maxAllocationBytes: 1000 } }))).code).toBe('LIMIT_EXCEEDED');
    await using ok = await load(withSignature);
    expect(ok.context('m').graphs[0].name).toBe('echo');
  });
});

describe('paths are resolved once, at load', () => {
  it('each file the manifest names is resolved exactly once (the checked path is the opened path)', async () => {
    writeFileSync(join(folder.dir, 'sig.json'), JSON.stringify({ format: 'qnn-node-signature', version: 1, graphs: [ECHO] }));
    writeFileSync(join(folder.dir, 't.bin'), Buffer.alloc(8));
    const spy = vi.spyOn(PathPolicy.prototype, 'resolve');
    try {
      await using p = await load({
        format: 'qnn-node-pipeline',
        version: 1,
        contexts: { m: { binary: 'm.bin', signature: 'sig.json' } },
        assets: { t: { type: 'tensor', path: 't.bin', dtype: 'float32', shape: [2] } },
        steps: [],
      });
      const pointers = spy.mock.calls.map((c) => c[1]).sort();
      expect(pointers).toEqual(['/assets/t/path', '/contexts/m/binary', '/contexts/m/signature']);
    } finally {
      spy.mockRestore();
    }
  });
});
