/**
 * Files a manifest names stay inside its folder (symlinks followed) unless the caller
 * allows other roots; errors never quote a file's content; an image input's default is
 * relative to the manifest.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MockBackend, Pipeline, Tensor } from '../../lib/index.js';
import { pngBytes, tempDir } from './fixtures.js';

const SECRET = 'SECRET-4b1d-do-not-print';
const ECHO = { name: 'echo', inputs: [{ name: 'x', dtype: 'float32', dims: [1] }], outputs: [{ name: 'y', dtype: 'float32', dims: [1] }] };

let root: string;
let dir: string;
let outside: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir: root, cleanup } = tempDir());
  dir = join(root, 'pipeline');
  outside = join(root, 'elsewhere');
  mkdirSync(dir);
  mkdirSync(outside);
  writeFileSync(join(dir, 'm.bin'), 'placeholder');
  writeFileSync(join(outside, 'secret.txt'), `${SECRET}\n`);
});
afterEach(() => cleanup());

function manifest(extra: Record<string, unknown>, contexts: Record<string, unknown> = { m: { binary: 'm.bin', signature: [ECHO] } }): Record<string, unknown> {
  return { format: 'qnn-node-pipeline', version: 1, contexts, steps: [], ...extra };
}

/** Writes the manifest into the pipeline folder and loads it by path (its folder is the root). */
function load(m: Record<string, unknown>, options: Record<string, unknown> = {}): Promise<Pipeline> {
  const file = join(dir, 'manifest.json');
  writeFileSync(file, JSON.stringify(m));
  return Pipeline.load(file, { backend: new MockBackend(), ...options });
}

async function failure(p: Promise<unknown>): Promise<Error & { code?: string; details?: Record<string, unknown>; cause?: unknown }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

describe('path confinement', () => {
  it('rejects ../ and absolute asset paths outside the manifest folder', async () => {
    for (const path of ['../elsewhere/secret.txt', join(outside, 'secret.txt')]) {
      const e = await failure(load(manifest({ assets: { leak: { type: 'file', path } } })));
      expect(e.code, path).toBe('PATH_NOT_ALLOWED');
      expect(e.details).toMatchObject({ pointer: '/assets/leak/path', path });
      expect(e.message).toContain('/assets/leak/path');
    }
  });

  it('follows symlinks before deciding', async () => {
    symlinkSync(join(outside, 'secret.txt'), join(dir, 'innocent.txt'));
    symlinkSync(outside, join(dir, 'sub'));
    for (const path of ['innocent.txt', 'sub/secret.txt']) {
      const e = await failure(load(manifest({ assets: { leak: { type: 'file', path } } })));
      expect(e.code, path).toBe('PATH_NOT_ALLOWED');
    }
    // A symlink that stays inside is fine.
    writeFileSync(join(dir, 'real.txt'), 'ok');
    symlinkSync(join(dir, 'real.txt'), join(dir, 'alias.txt'));
    await using p = await load(manifest({ assets: { ok: { type: 'file', path: 'alias.txt' } } }));
    expect(p.openedAssets.path('ok')).toBe(join(dir, 'real.txt'));
  });

  it('confines context binaries, signature files and tokenizer configs', async () => {
    const bin = await failure(load(manifest({}, { m: { binary: '../elsewhere/secret.txt', signature: [ECHO] } })));
    expect(bin.code).toBe('PATH_NOT_ALLOWED');
    expect(bin.details?.pointer).toBe('/contexts/m/binary');
    const sig = await failure(load(manifest({}, { m: { binary: 'm.bin', signature: '../elsewhere/secret.txt' } })));
    expect(sig.code).toBe('PATH_NOT_ALLOWED');
    expect(sig.details?.pointer).toBe('/contexts/m/signature');
    writeFileSync(join(dir, 'tokenizer.json'), '{}');
    const cfg = await failure(load(manifest({ assets: { tok: { type: 'tokenizer', path: 'tokenizer.json', config: '/etc/hostname' } } })));
    expect(cfg.code).toBe('PATH_NOT_ALLOWED');
    expect(cfg.details?.pointer).toBe('/assets/tok/config');
  });

  it('allowedRoots replaces the default root', async () => {
    const m = manifest({ assets: { data: { type: 'file', path: join(outside, 'secret.txt') } } });
    await using p = await load(m, { allowedRoots: [dir, outside] });
    expect(p.openedAssets.path('data')).toBe(join(outside, 'secret.txt'));
    // Explicit roots are the whole list: the manifest folder is not added.
    const e = await failure(load(manifest({}), { allowedRoots: [outside] }));
    expect(e.code).toBe('PATH_NOT_ALLOWED');
    expect(e.details?.pointer).toBe('/contexts/m/binary');
    const bad = await failure(load(m, { allowedRoots: [join(root, 'missing')] }));
    expect(bad.code).toBe('ERR_INVALID_ARG');
    expect(bad.message).toContain('options.allowedRoots[0]');
  });
});

describe('errors never quote file content', () => {
  it('a tokenizer.json that is not JSON', async () => {
    writeFileSync(join(dir, 'tokenizer.json'), `${SECRET} and more`);
    const e = await failure(load(manifest({ assets: { tok: { type: 'tokenizer', path: 'tokenizer.json' } } })));
    expect(e.code).toBe('ASSET_INVALID');
    expect(e.message).toContain('tokenizer.json');
    expect(e.message).not.toContain('SECRET');
    expect(JSON.stringify(e.details)).not.toContain('SECRET');
    expect(String((e.cause as Error | undefined)?.message ?? '')).not.toContain('SECRET');
  });

  it('a JSON tokenizer file the tokenizer library rejects', async () => {
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({ model: { type: SECRET } }));
    const e = await failure(load(manifest({ assets: { tok: { type: 'tokenizer', path: 'tokenizer.json' } } })));
    expect(e.code).toBe('ASSET_INVALID');
    expect(e.message).not.toContain('SECRET');
    expect(e.cause).toBeUndefined();
  });

  it('a signature file that is not JSON', async () => {
    writeFileSync(join(dir, 'sig.json'), `${SECRET} and more`);
    const e = await failure(load(manifest({}, { m: { binary: 'm.bin', signature: 'sig.json' } })));
    expect(e.message).toContain('sig.json');
    expect(e.message).not.toContain('SECRET');
    expect(e.cause).toBeUndefined();
  });

  it('a .npy tensor asset whose header is garbage', async () => {
    const header = `{${SECRET}}`.padEnd(118, ' ');
    const bytes = Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0, 118, 0]), Buffer.from(`${header.slice(0, 117)}\n`, 'latin1')]);
    writeFileSync(join(dir, 't.npy'), bytes);
    const e = await failure(load(manifest({ assets: { t: { type: 'tensor', path: 't.npy' } } })));
    expect(e.code).toBe('ASSET_INVALID');
    expect(e.message).toContain('NPY_MALFORMED');
    expect(e.message).not.toContain('SECRET');
    expect(JSON.stringify(e.details)).not.toContain('SECRET');
  });
});

describe('image paths', () => {
  const imageManifest = (extra: Record<string, unknown> = {}) =>
    manifest({
      inputs: { img: { type: 'image', default: 'photo.png' } },
      steps: [{ op: 'image', inputs: { image: 'img' }, output: 'px', width: 2, height: 2, dtype: 'float32', rescale: 1, layout: 'NHWC' }],
      outputs: { px: 'px' },
      ...extra,
    });

  it("an image input's default resolves against the manifest folder, not the working directory", async () => {
    writeFileSync(join(dir, 'photo.png'), pngBytes(2, 2, () => [10, 20, 30]));
    await using p = await load(imageManifest());
    const px = (await p.run()).outputs.px as Tensor;
    expect(Array.from(px.toFloat32().subarray(0, 3))).toEqual([10, 20, 30]);
  });

  it('a default outside the folder is PATH_NOT_ALLOWED at load; a path the caller passes is the caller’s', async () => {
    writeFileSync(join(outside, 'photo.png'), pngBytes(2, 2, () => [1, 2, 3]));
    const e = await failure(load(imageManifest({ inputs: { img: { type: 'image', default: '../elsewhere/photo.png' } } })));
    expect(e.code).toBe('PATH_NOT_ALLOWED');
    expect(e.details?.pointer).toBe('/inputs/img/default');
    await using p = await load(imageManifest({ inputs: { img: { type: 'image' } } }));
    const px = (await p.run({ img: join(outside, 'photo.png') })).outputs.px as Tensor;
    expect(Array.from(px.toFloat32().subarray(0, 3))).toEqual([1, 2, 3]);
  });

  it('null for an image input is "not given": the default, resolved in the manifest folder, never a caller path', async () => {
    writeFileSync(join(dir, 'photo.png'), pngBytes(2, 2, () => [10, 20, 30]));
    await using p = await load(imageManifest());
    // The working directory is not the manifest folder: resolving the default as the caller's path would miss it.
    expect(process.cwd()).not.toBe(dir);
    const px = (await p.run({ img: null as unknown as string })).outputs.px as Tensor;
    expect(Array.from(px.toFloat32().subarray(0, 3))).toEqual([10, 20, 30]);
    await using bare = await load(imageManifest({ inputs: { img: { type: 'image' } } }));
    const e = await failure(bare.run({ img: null as unknown as string }));
    expect(e.code).toBe('ERR_INVALID_ARG');
    expect(e.message).toMatch(/inputs\.img.*null/);
  });

  it('a path a manifest step makes up cannot leave the folder', async () => {
    writeFileSync(join(outside, 'photo.png'), pngBytes(2, 2, () => [1, 2, 3]));
    const m = manifest({
      steps: [
        { op: 'set', value: join(outside, 'photo.png'), output: 'img' },
        { op: 'image', inputs: { image: 'img' }, output: 'px', width: 2, height: 2, dtype: 'float32' },
      ],
      outputs: { px: 'px' },
    });
    await using p = await load(m);
    const e = await failure(p.run());
    expect(e.code).toBe('PATH_NOT_ALLOWED');
    expect(e.details?.pointer).toBe('/steps/1');
  });
});
