import { describe, expect, it } from 'vitest';
import { MockBackend } from '../../../lib/backend/mock/MockBackend.js';
import { readSignatureFile } from '../../../lib/backend/signature.js';

const GRAPHS = [{ name: 'g', inputs: [{ name: 'x', dtype: 'float32', dims: [2] }], outputs: [{ name: 'y', dtype: 'float32', dims: [2] }] }];
const PRODUCER = { buildId: 'v2.25.0.240728104910_97711', sdkVersion: '2.25.0', bestEffort: true, source: 'binary-info' };
const bytes = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));

describe('signature files carry the binary\'s producer (best effort)', () => {
  it('reads it back, and the mock backend still loads the file', async () => {
    const sig = readSignatureFile(bytes({ format: 'qnn-node-signature', version: 1, producer: PRODUCER, graphs: GRAPHS }));
    expect(sig.producer).toEqual(PRODUCER);
    await using mock = new MockBackend({ signatures: sig });
    await using ctx = await mock.loadContext('model.bin');
    expect(ctx.graphs.map((g) => g.name)).toEqual(['g']);
  });

  it('refuses a malformed producer with BINARY_INVALID', () => {
    for (const producer of ['v2.25', { buildId: 'x' }, { ...PRODUCER, bestEffort: false }, { ...PRODUCER, source: 'guess' }]) {
      expect(() => readSignatureFile(bytes({ format: 'qnn-node-signature', version: 1, producer, graphs: GRAPHS }))).toThrow(expect.objectContaining({ code: 'BINARY_INVALID' }));
    }
  });
});
