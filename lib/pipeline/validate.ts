/**
 * Manifest validation: the JSON Schema (schema/manifest.schema.json, via ajv) and then
 * the checks a schema cannot express (names defined before use, known ops, contexts,
 * assets and params that exist). Every failure is MANIFEST_INVALID and names the JSON
 * path, what was expected and what was received.
 */
import { readFileSync } from 'node:fs';
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import { QnnNodeError, describeValue } from '../errors.js';
import {
  OP_STEP_KEYS,
  isBreakStep,
  isGraphStep,
  isLoopStep,
  type Condition,
  type OpStep,
  type PipelineManifest,
  type Step,
} from './manifest.js';
import { depthIssue } from './depth.js';
import { stepIssues } from './ops/step-checks.js';
import { variantIssues } from './variants.js';
import { shareGroupIssues } from './share-groups.js';
import { modelContextIssues } from './model-contexts.js';
import { jsonErrorOffset, lineColumn } from './json-position.js';

type AjvClass = typeof AjvModule.default;
const Ajv: AjvClass = ((AjvModule as unknown as { default?: AjvClass }).default ?? AjvModule) as AjvClass;

/** The manifest JSON Schema as an object (also published as schema/manifest.schema.json). */
export const manifestSchema: Readonly<Record<string, unknown>> = JSON.parse(
  readFileSync(new URL('../../schema/manifest.schema.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

let compiled: ValidateFunction | undefined;
const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });

function validator(): ValidateFunction {
  compiled ??= ajv.compile(manifestSchema);
  return compiled;
}

/** One manifest problem: where (a JSON pointer), what was expected, what was there. */
export interface ManifestIssue {
  readonly path: string;
  readonly expected: string;
  readonly received: string;
  /** The error code when it is not MANIFEST_INVALID (an unknown host op is UNKNOWN_HOST_OP). */
  readonly code?: 'UNKNOWN_HOST_OP';
}

export function manifestError(issues: readonly ManifestIssue[], source: string): QnnNodeError {
  const [first] = issues;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  return new QnnNodeError(
    first.code ?? 'MANIFEST_INVALID',
    `Invalid manifest ${source} at ${first.path || '/'}: expected ${first.expected} but received ${first.received}${more}`,
    { details: { source, path: first.path, expected: first.expected, received: first.received, issues } },
  );
}

function pointerGet(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function describeJson(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    return `an object with keys ${keys.length ? keys.map((k) => JSON.stringify(k)).join(', ') : '(none)'}`;
  }
  return describeValue(value);
}

function expectedOf(error: ErrorObject, siblings: readonly ErrorObject[]): string {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type':
      return `a value of type ${String(p.type)}`;
    case 'const':
      return JSON.stringify(p.allowedValue);
    case 'enum':
      return `one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'required':
      return `property ${JSON.stringify(p.missingProperty)}`;
    case 'additionalProperties':
      return `no property ${JSON.stringify(p.additionalProperty)} (allowed: ${Object.keys((error.parentSchema?.properties as object) ?? {}).join(', ') || 'none'})`;
    case 'pattern':
      return `a string matching ${String(p.pattern)}`;
    case 'anyOf':
    case 'oneOf': {
      const alternatives = siblings.filter((e) => e !== error && e.instancePath === error.instancePath && !COMBINATORS.has(e.keyword)).map((e) => expectedOf(e, []));
      return alternatives.length ? [...new Set(alternatives)].join(' or ') : (error.message ?? 'a matching value');
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `a number ${String(p.comparison)} ${String(p.limit)}`;
    case 'minItems':
    case 'maxItems':
    case 'minProperties':
      return `a value that ${error.message ?? 'is in range'}`;
    default:
      return error.message ?? error.keyword;
  }
}

const COMBINATORS = new Set(['anyOf', 'oneOf', 'allOf', 'if']);
const KEYWORD_RANK: Record<string, number> = { if: 9, anyOf: 5, oneOf: 5, allOf: 8 };

/** Schema errors as issues, the most specific first. */
function issuesFromAjv(errors: readonly ErrorObject[], manifest: unknown): ManifestIssue[] {
  const useful = errors.filter((e) => e.keyword !== 'if');
  const depth = (e: ErrorObject): number => (e.instancePath === '' ? 0 : e.instancePath.split('/').length);
  // Deeper paths first; at equal depth, concrete keywords before combinators. For an
  // additionalProperties error, point at the offending property itself.
  const sorted = [...useful].sort((a, b) => depth(b) - depth(a) || (KEYWORD_RANK[a.keyword] ?? 0) - (KEYWORD_RANK[b.keyword] ?? 0));
  const seen = new Set<string>();
  const issues: ManifestIssue[] = [];
  for (const e of sorted) {
    // Branch errors of an anyOf/oneOf are summarised by the combinator's own error.
    if (!COMBINATORS.has(e.keyword) && useful.some((c) => (c.keyword === 'anyOf' || c.keyword === 'oneOf') && c.instancePath === e.instancePath)) continue;
    let path = e.instancePath;
    let received = describeJson(pointerGet(manifest, e.instancePath));
    if (e.keyword === 'additionalProperties') {
      const extra = String((e.params as { additionalProperty: unknown }).additionalProperty);
      path = `${e.instancePath}/${extra}`;
      received = `property ${JSON.stringify(extra)} = ${describeJson(pointerGet(manifest, path))}`;
    }
    const issue = { path, expected: expectedOf(e, useful), received };
    const key = `${issue.path}|${issue.expected}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

/**
 * Parses manifest JSON text; a syntax error is MANIFEST_INVALID naming `file:line:column`
 * (1-based, found by our own scanner: Node's messages differ between versions).
 */
export function parseManifestText(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    const stop = jsonErrorOffset(text) ?? { offset: 0, what: (cause as Error).message };
    const { line, column } = lineColumn(text, stop.offset);
    throw new QnnNodeError('MANIFEST_INVALID', `Invalid manifest ${source}:${line}:${column}: not valid JSON: ${stop.what}`, {
      cause,
      details: { source, path: '', line, column, offset: stop.offset, expected: 'JSON text', received: stop.what },
    });
  }
}

export interface SemanticContext {
  /** Host op names that exist (built-in plus registered plus passed to the runner). */
  readonly hostOps: ReadonlySet<string>;
}

/**
 * Checks a parsed manifest against the schema and the semantic rules. Returns it typed;
 * throws MANIFEST_INVALID listing every problem found (the first in the message).
 */
export function validateManifest(value: unknown, options: { source?: string; hostOps?: ReadonlySet<string> } = {}): PipelineManifest {
  const source = options.source ?? '(object)';
  const tooDeep = depthIssue(value);
  if (tooDeep) throw manifestError([tooDeep], source);
  const validate = validator();
  if (!validate(value)) throw manifestError(issuesFromAjv(validate.errors ?? [], value), source);
  const manifest = value as PipelineManifest;
  const issues = semanticIssues(manifest, options.hostOps);
  if (issues.length) throw manifestError(issues, source);
  return manifest;
}

function paramName(ref: unknown): string | undefined {
  return typeof ref === 'string' && ref.startsWith('$') ? ref.slice(1) : undefined;
}

/** Names a step reads, as [JSON pointer, name] pairs. Number literals and params are skipped. */
function stepReads(step: Step, path: string): [string, string][] {
  const out: [string, string][] = [];
  const add = (p: string, v: unknown): void => {
    if (typeof v === 'string' && !v.startsWith('$')) out.push([p, v]);
  };
  if (isGraphStep(step)) {
    for (const [k, v] of Object.entries(step.inputs)) add(`${path}/inputs/${k}`, v);
  } else if (isBreakStep(step)) {
    add(`${path}/break/value`, step.break.value);
  } else if (!isLoopStep(step)) {
    const inputs = (step as OpStep).inputs;
    if (Array.isArray(inputs)) inputs.forEach((v, i) => add(`${path}/inputs/${i}`, v));
    else if (inputs) for (const [k, v] of Object.entries(inputs)) add(`${path}/inputs/${k}`, v);
  }
  return out;
}

function stepWrites(step: Step): string[] {
  if (isGraphStep(step)) return Object.values(step.outputs ?? {});
  if (isLoopStep(step)) return step.loop.index ? [step.loop.index] : [];
  if (isBreakStep(step)) return [];
  const op = step as OpStep;
  return [...(op.output ? [op.output] : []), ...Object.values(op.outputs ?? {})];
}

const BUILTIN_ASSET_PARAMS: ReadonlyMap<string, readonly (readonly [param: string, type: string])[]> = new Map([
  ['tokenize', [['tokenizer', 'tokenizer']]],
  ['detokenize', [['tokenizer', 'tokenizer']]],
  ['emit', [['tokenizer', 'tokenizer']]],
  ['embed', [['table', 'embedding']]],
  ['topk', [['labels', 'file']]],
  ['normalize', [['stats', 'stats'], ['mean', 'tensor'], ['std', 'tensor']]],
]);

function semanticIssues(manifest: PipelineManifest, hostOps: ReadonlySet<string> | undefined): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const params = new Set(Object.keys(manifest.params ?? {}));
  const assets = manifest.assets ?? {};
  const contexts = Object.keys(manifest.contexts);
  const defined = new Set<string>(Object.keys(manifest.inputs ?? {}));
  const list = (xs: Iterable<string>): string => [...xs].map((x) => JSON.stringify(x)).join(', ') || '(none)';

  const checkParams = (node: unknown, path: string): void => {
    if (typeof node === 'string') {
      const p = paramName(node);
      if (p !== undefined && !params.has(p)) issues.push({ path, expected: `a declared param (params: ${list(params)})`, received: JSON.stringify(node) });
    } else if (Array.isArray(node)) {
      node.forEach((v, i) => checkParams(v, `${path}/${i}`));
    } else if (typeof node === 'object' && node !== null) {
      for (const [k, v] of Object.entries(node)) if (k !== 'steps') checkParams(v, `${path}/${k}`);
    }
  };

  const checkCondition = (cond: Condition, path: string, scope: Set<string>): void => {
    if (!scope.has(cond.value)) issues.push({ path: `${path}/value`, expected: 'a value defined by an earlier step or a pipeline input', received: JSON.stringify(cond.value) });
    if (cond.in === undefined && cond.gte === undefined) issues.push({ path, expected: 'a condition with "in" or "gte"', received: describeJson(cond) });
  };

  const walk = (steps: readonly Step[], base: string, scope: Set<string>, inLoop: boolean): void => {
    steps.forEach((step, i) => {
      const path = `${base}/${i}`;
      checkParams(step, path);
      for (const [p, name] of stepReads(step, path)) {
        if (!scope.has(name)) issues.push({ path: p, expected: `a value defined by an earlier step or a pipeline input (defined here: ${list(scope)})`, received: JSON.stringify(name) });
      }
      if (isGraphStep(step)) {
        const ctx = step.context ?? (step.graph.includes('/') ? step.graph.slice(0, step.graph.indexOf('/')) : undefined);
        if (ctx !== undefined && !contexts.includes(ctx)) {
          issues.push({ path: `${path}/${step.context ? 'context' : 'graph'}`, expected: `a context of the manifest (${list(contexts)})`, received: JSON.stringify(ctx) });
        }
      } else if (isLoopStep(step)) {
        const { count, max, until } = step.loop;
        if ((count === undefined) === (max === undefined)) {
          issues.push({ path: `${path}/loop`, expected: 'exactly one of "count" or "max"', received: describeJson(step.loop) });
        }
        if (until && count !== undefined) issues.push({ path: `${path}/loop/until`, expected: '"until" only with "max"', received: describeJson(until) });
        for (const [key, ref] of [['count', count], ['max', max]] as const) {
          const p = paramName(ref);
          const d = p !== undefined && Object.hasOwn(manifest.params ?? {}, p) ? manifest.params![p] : undefined;
          if (d !== undefined && !(Number.isSafeInteger(d) && (d as number) >= 0)) {
            issues.push({ path: `${path}/loop/${key}`, expected: `a param whose default is a whole number >= 0 ($${p} is a loop bound)`, received: `${JSON.stringify(ref)} = ${describeJson(d)}` });
          }
        }
        const inner = new Set(scope);
        if (step.loop.index) inner.add(step.loop.index);
        if (until) checkCondition(until, `${path}/loop/until`, inner);
        walk(step.steps, `${path}/steps`, inner, true);
        // Values first bound inside a loop exist after it (the loop ran at least once) —
        // and, for the until check, before the next iteration.
        for (const n of inner) scope.add(n);
      } else if (isBreakStep(step)) {
        if (!inLoop) issues.push({ path, expected: 'a break step inside a loop', received: 'a break step outside any loop' });
        checkCondition(step.break, `${path}/break`, scope);
      } else {
        const op = step as OpStep;
        if (hostOps && !hostOps.has(op.op)) {
          issues.push({ path: `${path}/op`, expected: `a built-in or registered host op (${list([...hostOps].sort())})`, received: JSON.stringify(op.op), code: 'UNKNOWN_HOST_OP' });
        }
        for (const [param, type] of BUILTIN_ASSET_PARAMS.get(op.op) ?? []) {
          const value = op[param];
          if (typeof value === 'string') {
            const asset = Object.hasOwn(assets, value) ? assets[value] : undefined;
            if (!asset || asset.type !== type) {
              const ofType = Object.entries(assets).filter(([, a]) => a.type === type).map(([n]) => n);
              issues.push({ path: `${path}/${param}`, expected: `the name of a ${type} asset (${list(ofType)})`, received: JSON.stringify(value) });
            }
          }
        }
        issues.push(...stepIssues(op, path, assets));
        for (const key of Object.keys(op)) if (!OP_STEP_KEYS.has(key) && key.startsWith('$')) issues.push({ path: `${path}/${key}`, expected: 'an op parameter name', received: JSON.stringify(key) });
      }
      for (const name of stepWrites(step)) scope.add(name);
    });
  };
  walk(manifest.steps, '/steps', defined, false);
  issues.push(...variantIssues(manifest));
  issues.push(...shareGroupIssues(manifest));
  issues.push(...modelContextIssues(manifest));
  for (const [name, ref] of Object.entries(manifest.outputs ?? {})) {
    if (!defined.has(ref)) issues.push({ path: `/outputs/${name}`, expected: `a value defined by a step or a pipeline input (${list(defined)})`, received: JSON.stringify(ref) });
  }
  for (const [name, input] of Object.entries(manifest.inputs ?? {})) {
    if (input.default !== undefined) {
      const ok = input.type === 'text' || input.type === 'image' ? typeof input.default === 'string' : input.type === 'number' && typeof input.default === 'number';
      if (!ok) issues.push({ path: `/inputs/${name}/default`, expected: `a default suited to a ${input.type} input`, received: describeJson(input.default) });
    }
  }
  return issues;
}
