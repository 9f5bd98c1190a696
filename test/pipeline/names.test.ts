/**
 * Names that come from manifests are data: "__proto__", "constructor", "toString" and
 * "valueOf" name outputs, inputs, roles and ops like any other name.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MockBackend, Pipeline, type HostOpFn } from '../../lib/index.js';
import { tempDir } from './fixtures.js';

const ECHO = { name: 'echo', inputs: [{ name: 'x', dtype: 'float32', dims: [1] }], outputs: [{ name: 'y', dtype: 'float32', dims: [1] }] };

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  writeFileSync(join(dir, 'm.bin'), 'placeholder');
});
afterEach(() => cleanup());

/** Loads manifest JSON text from a file: JSON.parse makes "__proto__" an ordinary own key. */
function load(json: string, options: Record<string, unknown> = {}): Promise<Pipeline> {
  const file = join(dir, 'manifest.json');
  writeFileSync(file, json);
  return Pipeline.load(file, { backend: new MockBackend(), ...options });
}

const head = `"format": "qnn-node-pipeline", "version": 1, "contexts": { "m": { "binary": "m.bin", "signature": ${JSON.stringify([ECHO])} } }`;

describe('names that are Object.prototype keys', () => {
  it('an output named __proto__ is in the result', async () => {
    await using p = await load(`{ ${head}, "steps": [{ "op": "set", "value": 7, "output": "seven" }], "outputs": { "__proto__": "seven", "constructor": "seven" } }`);
    const { outputs } = await p.run();
    expect(Object.hasOwn(outputs, '__proto__')).toBe(true);
    expect(outputs.__proto__).toBe(7);
    expect(outputs.constructor).toBe(7);
    expect(Object.keys(outputs).sort()).toEqual(['__proto__', 'constructor']);
  });

  it('inputs named constructor and toString use their defaults', async () => {
    await using p = await load(
      `{ ${head}, "inputs": { "constructor": { "type": "number", "default": 3 }, "toString": { "type": "text", "default": "hi" } }, "steps": [], "outputs": { "a": "constructor", "b": "toString" } }`,
    );
    const { outputs } = await p.run();
    expect(outputs.a).toBe(3);
    expect(outputs.b).toBe('hi');
    expect((await p.run({ constructor: 4 })).outputs.a).toBe(4);
  });

  it('run({ valueOf: 5 }) is an unknown input', async () => {
    await using p = await load(`{ ${head}, "inputs": { "n": { "type": "number", "default": 1 } }, "steps": [] }`);
    await expect(p.run({ valueOf: 5 } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('inputs.valueOf') });
    await expect(p.run({ toString: 'x' } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
  });

  it('a custom op role named __proto__ reaches the op, and an op may be named constructor', async () => {
    let seen: unknown;
    const constructorOp: HostOpFn = (ctx) => {
      seen = Object.hasOwn(ctx.inputs, '__proto__') ? ctx.inputs.__proto__ : 'missing';
      return Object.hasOwn(ctx.params, 'toString') ? (ctx.params.toString as unknown as number) : -1;
    };
    await using p = await load(
      `{ ${head}, "steps": [{ "op": "set", "value": 5, "output": "five" }, { "op": "constructor", "inputs": { "__proto__": "five" }, "toString": 9, "output": "out" }], "outputs": { "out": "out" } }`,
      { hostOps: { constructor: constructorOp } },
    );
    expect((await p.run()).outputs.out).toBe(9);
    expect(seen).toBe(5);
  });
});
