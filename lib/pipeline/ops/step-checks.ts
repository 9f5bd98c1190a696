/**
 * Load-time checks of built-in op steps that a JSON Schema cannot express (one param
 * against another, a param naming an asset of the right type and shape). Params given as
 * "$name" are only known at run and are checked there.
 */
import type { AssetEntry, OpStep } from '../manifest.js';

export interface StepIssue {
  readonly path: string;
  readonly expected: string;
  readonly received: string;
}

const known = (v: unknown): v is number => typeof v === 'number';

type Check = (step: Readonly<Record<string, unknown>>, path: string, assets: Readonly<Record<string, AssetEntry>>) => StepIssue[];

/** A param naming a tensor asset (with `rank` dims when the manifest declares a shape). */
function tensorAsset(step: Readonly<Record<string, unknown>>, key: string, path: string, assets: Readonly<Record<string, AssetEntry>>, ranks: readonly number[]): StepIssue[] {
  const name = step[key];
  if (name === undefined || (typeof name === 'string' && name.startsWith('$'))) return [];
  const asset = typeof name === 'string' && Object.hasOwn(assets, name) ? assets[name] : undefined;
  const tensors = Object.entries(assets).filter(([, a]) => a.type === 'tensor').map(([n]) => JSON.stringify(n));
  if (!asset || asset.type !== 'tensor') return [{ path: `${path}/${key}`, expected: `the name of a tensor asset (${tensors.join(', ') || 'none'})`, received: JSON.stringify(name) }];
  if (asset.shape && !ranks.includes(asset.shape.length)) {
    return [{ path: `${path}/${key}`, expected: `a tensor asset of rank ${ranks.join(' or ')}`, received: `asset ${JSON.stringify(name)} of shape [${asset.shape.join(', ')}]` }];
  }
  return [];
}

const CHECKS: Readonly<Record<string, Check>> = {
  matmul: (step, path, assets) => {
    const issues = [...tensorAsset(step, 'weight', path, assets, [2, 3, 4, 5, 6]), ...tensorAsset(step, 'bias', path, assets, [1, 2])];
    const w = assets[step.weight as string];
    const b = step.bias === undefined ? undefined : assets[step.bias as string];
    if (!issues.length && w?.type === 'tensor' && w.shape && b?.type === 'tensor' && b.shape) {
      const n = step.transposeWeight === true ? w.shape[0] : w.shape[w.shape.length - 1];
      const size = b.shape.reduce((x, y) => x * y, 1);
      if (size !== n) issues.push({ path: `${path}/bias`, expected: `a bias of ${n} elements (the weight's output columns)`, received: `asset ${JSON.stringify(step.bias)} of shape [${b.shape.join(', ')}]` });
    }
    return issues;
  },
  pos_embed_add: (step, path, assets) => {
    const issues = tensorAsset(step, 'table', path, assets, [2]);
    const { gridHeight, gridWidth } = step;
    const merge = step.mergeSize ?? 2;
    for (const [key, v] of [['gridHeight', gridHeight], ['gridWidth', gridWidth]] as const) {
      if (known(v) && known(merge) && v % merge !== 0) issues.push({ path: `${path}/${key}`, expected: `a multiple of mergeSize ${merge}`, received: String(v) });
    }
    const t = assets[step.table as string];
    if (!issues.length && t?.type === 'tensor' && t.shape?.length === 2) {
      const side = Math.round(Math.sqrt(t.shape[0]));
      if (side * side !== t.shape[0]) issues.push({ path: `${path}/table`, expected: 'a table of G x G rows (a square grid)', received: `asset ${JSON.stringify(step.table)} of shape [${t.shape.join(', ')}]` });
      else if (step.interpolate === 'none' && known(gridHeight) && known(gridWidth) && (gridHeight !== side || gridWidth !== side)) {
        issues.push({ path: `${path}/interpolate`, expected: `"bilinear" (the table's grid is ${side}x${side}, the image's ${gridWidth}x${gridHeight})`, received: '"none"' });
      }
    }
    return issues;
  },
  rope_table: (step, path) => {
    const { headDim, sections } = step;
    if (!known(headDim) || !Array.isArray(sections) || !sections.every(known)) return [];
    const sum = (sections as number[]).reduce((a, b) => a + b, 0);
    return sum === headDim / 2 ? [] : [{ path: `${path}/sections`, expected: `sections [t, h, w] summing to headDim/2 = ${headDim / 2}`, received: `[${(sections as number[]).join(', ')}] (sum ${sum})` }];
  },
};

/** Issues of one op step (empty for ops without extra checks). */
export function stepIssues(op: OpStep, path: string, assets: Readonly<Record<string, AssetEntry>>): StepIssue[] {
  const check = Object.hasOwn(CHECKS, op.op) ? CHECKS[op.op] : undefined;
  return check ? check(op as unknown as Record<string, unknown>, path, assets) : [];
}

export { tensorAsset as tensorAssetIssues };
