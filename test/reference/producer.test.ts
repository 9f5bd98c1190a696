import { describe, expect, it } from 'vitest';
import { parseReferenceBinary } from '../../lib/reference/reader.js';
import { encodeReferenceBinary } from '../../lib/reference/writer.js';

const DESC = {
  graphs: [{ name: 'g', inputs: [{ name: 'a', dtype: 'float32' as const, dims: [2] }], outputs: [{ name: 'o', dtype: 'float32' as const, dims: [2] }], nodes: [{ op: 'Relu', inputs: ['a'], outputs: ['o'] }] }],
};

describe('reference writer: producer (the SDK build a binary claims it was made by)', () => {
  it('is stored as text and read back; absent by default', () => {
    const producer = 'v2.33.0.250220031845_105259';
    const bytes = encodeReferenceBinary({ ...DESC, producer });
    expect(parseReferenceBinary(bytes).producer).toBe(producer);
    expect(new TextDecoder('latin1').decode(bytes)).toContain(producer);
    expect(parseReferenceBinary(encodeReferenceBinary(DESC)).producer).toBeUndefined();
  });

  it('must be a QNN SDK build id', () => {
    for (const bad of ['2.33', 'v2.33.0', 'hello', 42]) {
      expect(() => encodeReferenceBinary({ ...DESC, producer: bad as string })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    }
  });
});
