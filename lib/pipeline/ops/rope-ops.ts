/**
 * The `rope_table` and `mrope_positions` host ops (step formats: schema/manifest.schema.json
 * $defs/op_rope_table and op_mrope_positions; docs/pipelines.md).
 */
import { Tensor } from '../../tensor/Tensor.js';
import type { HostOpFn } from '../hostops.js';
import { mropeLength, writeMropePositions, type MropeLayout } from './mrope-layout.js';
import { checkedParam, describeInput, hasInput, param, sequenceLength, wholeNumber } from './op-args.js';
import { checkRopeOptions, rangePositions, tensorPositions, writeRopeTables, type RopePositions, type RopeTableOptions } from './rope.js';
import { QnnNodeError } from '../../errors.js';

const isBool = (v: unknown): boolean => typeof v === 'boolean';

/**
 * rope_table: inputs.positions = an integer tensor [1, n] / [3, 1, n] or a number (the first
 * position; `length` positions from it). Outputs by role: cos, sin ([1, n, width]).
 */
export const ropeTable: HostOpFn = (ctx) => {
  const options: RopeTableOptions = {
    headDim: wholeNumber(ctx, 'headDim', 2),
    theta: checkedParam(ctx, 'theta', 10000, 'a finite number > 1', (v) => typeof v === 'number' && Number.isFinite(v) && v > 1),
    dtype: checkedParam(ctx, 'dtype', 'float32' as const, '"float16" or "float32"', (v) => v === 'float16' || v === 'float32'),
    duplicate: checkedParam(ctx, 'duplicate', false, 'a boolean', isBool),
    sections: ctx.params.sections as number[] | undefined,
    interleaved: checkedParam(ctx, 'interleaved', false, 'a boolean', isBool),
  };
  try {
    checkRopeOptions(options, 'params');
  } catch (cause) {
    throw ctx.fail((cause as Error).message, { cause });
  }
  const src = ctx.inputs.positions;
  let positions: RopePositions;
  if (typeof src === 'number' || (src instanceof Tensor && src.size === 1 && hasInput(ctx, 'positions') && ctx.params.length !== undefined)) {
    const start = wholeNumber(ctx, 'positions', 0);
    const length = wholeNumber(ctx, 'length', 1);
    ctx.checkAllocation(length * 8, `${length} positions`);
    positions = rangePositions(start, length);
  } else if (src instanceof Tensor) {
    ctx.checkAllocation(src.size * 8, `${src.size} positions`);
    try {
      positions = tensorPositions(src);
    } catch (cause) {
      throw ctx.fail((cause as Error).message, { cause });
    }
    if (positions.rows.length === 3 && !options.sections) throw ctx.fail(`expected one row of positions [1, n] (or sections [t, h, w] for three rows) for inputs.positions but received ${describeInput(src)}`);
  } else {
    throw ctx.fail(`expected an integer tensor [1, n] or [3, 1, n] or a start number for inputs.positions but received ${describeInput(src)}`);
  }
  const width = options.duplicate ? options.headDim : options.headDim / 2;
  const dims = [1, positions.length, width];
  const cos = ctx.outputTensor(options.dtype!, dims, 'cos');
  const sin = ctx.outputTensor(options.dtype!, dims, 'sin');
  writeRopeTables(positions, options, cos, sin);
  return { cos, sin };
};

/**
 * mrope_positions: inputs.prefix / inputs.suffix = the text before / after the vision
 * tokens (token tensors, lists or counts); params gridHeight, gridWidth (the merged grid),
 * temporal, start, size (pad to a fixed length), dtype. Outputs by role: positions
 * [3, 1, size], next (the first decode position), length (prompt tokens), delta.
 */
export const mropePositions: HostOpFn = (ctx) => {
  const layout: MropeLayout = {
    prefix: hasInput(ctx, 'prefix') ? sequenceLength(ctx, 'prefix') : wholeNumber(ctx, 'prefix', 0, 0),
    suffix: hasInput(ctx, 'suffix') ? sequenceLength(ctx, 'suffix') : wholeNumber(ctx, 'suffix', 0, 0),
    gridHeight: wholeNumber(ctx, 'gridHeight', 1),
    gridWidth: wholeNumber(ctx, 'gridWidth', 1),
    temporal: wholeNumber(ctx, 'temporal', 1, 1),
    start: wholeNumber(ctx, 'start', 0, 0),
  };
  const length = mropeLength(layout);
  const size = param<number | undefined>(ctx, 'size', undefined) ?? length;
  if (!Number.isSafeInteger(size) || size < length) {
    throw new QnnNodeError('LIMIT_EXCEEDED', `${ctx.path}: the prompt takes ${length} positions (${layout.prefix} text + ${(layout.temporal ?? 1) * layout.gridHeight * layout.gridWidth} vision + ${layout.suffix} text) but size is ${size}`, {
      details: { path: ctx.path, length, size },
    });
  }
  const dtype = checkedParam(ctx, 'dtype', 'int32' as const, '"int32" or "int64"', (v) => v === 'int32' || v === 'int64');
  const positions = ctx.outputTensor(dtype, [3, 1, size], 'positions');
  ctx.checkAllocation(size * 3 * 8, `staging for ${size} x 3 positions`);
  const r = writeMropePositions(layout, positions);
  return { positions, next: r.next, length: r.length, delta: r.delta };
};
