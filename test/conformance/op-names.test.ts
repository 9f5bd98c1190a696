/**
 * Conformance: the op types and op params the reference backend executes carry the names
 * the real SDK defines (QnnOpDef.h in $QNN_SDK_ROOT), so a graph written for the reference
 * backend names its ops as a QNN converter would, and docs/reference-backend.md's op table
 * speaks QNN's vocabulary. Only the names are compared; nothing of the header is kept.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REFERENCE_OPS } from '../../lib/reference/format.js';
import { SDK_INCLUDE_DIR } from './helpers.js';

const OP_DEF = SDK_INCLUDE_DIR ? join(SDK_INCLUDE_DIR, 'QnnOpDef.h') : undefined;

/** The params each op reads in native/reference-backend/src/model_nodes.cc (`findParam`). */
const REFERENCE_PARAMS: Readonly<Record<string, readonly string[]>> = {
  MatMul: ['transpose_in0', 'transpose_in1'],
  Gather: ['axis'],
  Softmax: ['beta', 'axis'],
  Concat: ['axis'],
  Transpose: ['perm'],
  StridedSlice: ['ranges'],
  ReduceMean: ['axes', 'keep_dims'],
  RmsNorm: ['epsilon', 'axes'],
};

/** op name → the param names QnnOpDef.h defines for it (`QNN_OP_<X> "Name"`, `QNN_OP_<X>_PARAM_<Y> "name"`). */
function sdkOps(text: string): Map<string, Set<string>> {
  const macroToOp = new Map<string, string>();
  const params: [string, string][] = [];
  for (const m of text.matchAll(/^#define\s+QNN_OP_([A-Z0-9_]+)\s+"([^"]+)"/gm)) {
    const [, macro, value] = m;
    const at = macro.indexOf('_PARAM_');
    if (at >= 0) params.push([macro.slice(0, at), value]);
    else macroToOp.set(macro, value);
  }
  const ops = new Map<string, Set<string>>([...macroToOp.values()].map((op) => [op, new Set<string>()]));
  for (const [macro, param] of params) {
    const op = macroToOp.get(macro);
    if (op) ops.get(op)!.add(param);
  }
  return ops;
}

describe.skipIf(!OP_DEF || !existsSync(OP_DEF))('conformance: reference-backend op names vs QnnOpDef.h in QNN_SDK_ROOT', () => {
  const ops = sdkOps(OP_DEF ? readFileSync(OP_DEF, 'utf8') : '');

  it('parses the SDK op list', () => {
    expect(ops.size).toBeGreaterThan(50);
  });

  it('every op the reference backend executes is a QNN op of that exact name', () => {
    const unknown = REFERENCE_OPS.filter((op) => !ops.has(op));
    expect(unknown).toEqual([]);
  });

  it("every param the reference backend reads is one of that op's QNN params", () => {
    const wrong = Object.entries(REFERENCE_PARAMS).flatMap(([op, names]) => names.filter((p) => !ops.get(op)?.has(p)).map((p) => `${op}.${p}`));
    expect(wrong).toEqual([]);
  });
});
