/**
 * The addon does not trust what QnnSystem returns (issue 9 item 1): a malformed binary can
 * make the vendor library hand back uninitialised entries (a Qnn_TensorVersion_t of
 * 0xBEBEBEBE was observed) or wild pointers. Every enum, count, rank and string is checked
 * and read through the kernel; a violation is BINARY_INVALID naming graph, tensor and
 * field. The reference system library returns such garbage under a test knob
 * (QNN_REFERENCE_SYSTEM_FAULT=<mode>:<graph>). These reads run IN this process: the addon
 * itself must survive them.
 */
import { expect, it } from 'vitest';
import { Qnn, readContextSignature } from '../../lib/backend/qnn/index.js';
import type { QnnNodeError } from '../../lib/errors.js';
import { ADD, describeNative, tempDir, withEnv, writeBinary } from './helpers.js';

describeNative("QnnSystem's answer is validated, not trusted", () => {
  const dir = tempDir();
  const victim = writeBinary(dir, 'victim.bin', { ...ADD, graphs: ADD.graphs.map((g) => ({ ...g, name: 'victim' })) });

  const cases: [mode: string, field: string, problem: RegExp, tensor?: string][] = [
    ['tensor-version', 'version', /3200171710 \(0xBEBEBEBE\) is not a tensor version/, 'inputs[0]'],
    ['tensor-type', 'type', /0xBEBEBEBE\) is not a tensor type/, 'inputs[0] "a"'],
    ['data-format', 'dataFormat', /0xBEBEBEBE\) is not a tensor data format/, 'inputs[0] "a"'],
    ['data-type', 'dataType', /0xBEBEBEBE\) is not a QNN data type/, 'inputs[0] "a"'],
    ['undefined-type', 'dataType', /is QNN_DATATYPE_UNDEFINED/, 'inputs[0] "a"'],
    ['rank', 'rank', /0xBEBEBEBE\) exceeds 64/, 'inputs[0] "a"'],
    ['wild-name', 'name', /points to unreadable memory/, 'inputs[0]'],
    ['long-name', 'name', /is not a string of at most 16384 bytes/, 'inputs[0]'],
    ['wild-dims', 'dimensions', /points to unreadable memory/, 'inputs[0] "a"'],
    ['quant-definition', 'quantizeParams.encodingDefinition', /0xBEBEBEBE\) is not a QNN definition/, 'inputs[0] "a"'],
    ['quant-encoding', 'quantizeParams.quantizationEncoding', /0xBEBEBEBE\) is not a quantization encoding/, 'inputs[0] "a"'],
    ['axis-count', 'quantizeParams.scaleOffset', /points to unreadable memory/, 'inputs[0] "a"'],
    ['num-inputs', 'numGraphInputs', /0xBEBEBEBE\) exceeds 65536/],
    ['wild-inputs', 'inputs', /points to unreadable memory \(2 tensors\)/],
    ['graph-version', 'version', /0xBEBEBEBE\) is not a GraphInfo version/],
    ['wild-graph-name', 'graphName', /points to unreadable memory/],
    ['num-graphs', 'numGraphs', /0xBEBEBEBE\) is not from 1 to 4096/],
  ];

  for (const [mode, field, problem, tensor] of cases) {
    it(`${mode} → BINARY_INVALID naming ${field}`, async () => {
      await withEnv({ QNN_REFERENCE_SYSTEM_FAULT: `${mode}:victim` }, async () => {
        const err = (await readContextSignature(victim, { system: 'reference', isolate: false }).catch((e: unknown) => e)) as QnnNodeError;
        expect(err.code, String(err)).toBe('BINARY_INVALID');
        expect(err.message).toContain('QnnSystem returned malformed information for this context binary');
        expect(err.message).toMatch(problem);
        expect(err.details.field).toBe(field);
        if (tensor !== undefined) {
          expect(err.details).toMatchObject({ graph: 'graph "victim"', tensor });
        }
      });
    });
  }

  it('loadContext reads the same validated answer (in-process) and fails the same way', async () => {
    await using qnn = await Qnn.load({ backend: 'reference' });
    await withEnv({ QNN_REFERENCE_SYSTEM_FAULT: 'wild-name:victim' }, async () => {
      await expect(qnn.loadContext(victim)).rejects.toMatchObject({ code: 'BINARY_INVALID', details: { field: 'name' } });
    });
    await using ctx = await qnn.loadContext(victim);
    expect(ctx.graphs.map((g) => g.name)).toEqual(['victim']);
  });
});
