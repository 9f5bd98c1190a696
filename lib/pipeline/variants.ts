/**
 * Manifest variants: one manifest, several builds of the same model (FP16 and FP32
 * context binaries, w8a8 and float, …) selected by one switch — `Pipeline.load(…, {
 * variant })`, `runManifest(…, { variant })`, `qnn-node run --variant <name>`.
 *
 * ```jsonc
 * "params": { "dtype": "float16" },
 * "defaultVariant": "fp16",
 * "variants": {
 *   "fp16": {},
 *   "fp32": { "params": { "dtype": "float32" },
 *             "contexts": { "llm": { "binary": "fp32/llm.bin", "signature": "llm.fp32.signature.json" } } }
 * }
 * ```
 *
 * A variant replaces param defaults and context fields (binary, signature, names); it is
 * applied to the validated manifest before anything is resolved or loaded, so only the
 * selected variant's files are checked and opened.
 */
import { describeValue, invalidArg } from '../errors.js';
import { DTYPES } from '../tensor/dtypes.js';
import type { ContextEntry, PipelineManifest, Step } from './manifest.js';
import { isLoopStep, isOpStep } from './manifest.js';
import type { ManifestIssue } from './validate.js';

type ParamValue = number | string | boolean | readonly number[];

/** What a variant may change in one context. */
export interface VariantContextEntry {
  readonly binary?: string;
  readonly signature?: ContextEntry['signature'];
  /** The context's name table (manifest name → name in the binary), see ContextEntry. */
  readonly names?: Readonly<Record<string, string>>;
}

export interface VariantEntry {
  readonly description?: string;
  /** New defaults of params the manifest declares (same type). */
  readonly params?: Readonly<Record<string, ParamValue>>;
  /** Field replacements of contexts the manifest declares. */
  readonly contexts?: Readonly<Record<string, VariantContextEntry>>;
}

/** The manifest fields of variants (mirrors schema/manifest.schema.json). */
export interface ManifestVariants {
  readonly variants?: Readonly<Record<string, VariantEntry>>;
  /** The variant used when the caller names none. */
  readonly defaultVariant?: string;
}

function kindOf(v: unknown): string {
  return Array.isArray(v) ? 'list' : typeof v;
}

/** Rules a schema cannot state: variants name declared contexts and params, with the params' types. */
export function variantIssues(manifest: PipelineManifest & ManifestVariants): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const variants = manifest.variants ?? {};
  const names = Object.keys(variants);
  const list = (xs: readonly string[]): string => xs.map((x) => JSON.stringify(x)).join(', ') || '(none)';
  if (manifest.defaultVariant !== undefined && !Object.hasOwn(variants, manifest.defaultVariant)) {
    issues.push({ path: '/defaultVariant', expected: `a variant of the manifest (${list(names)})`, received: JSON.stringify(manifest.defaultVariant) });
  }
  const params = manifest.params ?? {};
  for (const [name, variant] of Object.entries(variants)) {
    for (const [p, value] of Object.entries(variant.params ?? {})) {
      const path = `/variants/${name}/params/${p}`;
      if (!Object.hasOwn(params, p)) issues.push({ path, expected: `a param declared in /params (${list(Object.keys(params))})`, received: JSON.stringify(p) });
      else if (kindOf(params[p]) !== kindOf(value)) issues.push({ path, expected: `a ${kindOf(params[p])} like /params/${p}`, received: describeValue(value) });
    }
    for (const c of Object.keys(variant.contexts ?? {})) {
      if (!Object.hasOwn(manifest.contexts, c)) issues.push({ path: `/variants/${name}/contexts/${c}`, expected: `a context of the manifest (${list(Object.keys(manifest.contexts))})`, received: JSON.stringify(c) });
    }
  }
  issues.push(...dtypeParamIssues(manifest));
  return issues;
}

/** An op's `dtype` may be "$param" (so a variant can switch host tensors to float32): every value it can take by default must be a dtype. */
function dtypeParamIssues(manifest: PipelineManifest & ManifestVariants): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const candidates = (p: string): [string, unknown][] => [
    [`/params/${p}`, manifest.params?.[p]],
    ...Object.entries(manifest.variants ?? {})
      .filter(([, v]) => v.params !== undefined && Object.hasOwn(v.params, p))
      .map(([n, v]): [string, unknown] => [`/variants/${n}/params/${p}`, v.params![p]]),
  ];
  const walk = (steps: readonly Step[], base: string): void =>
    steps.forEach((step, i) => {
      if (isLoopStep(step)) return walk(step.steps, `${base}/${i}/steps`);
      if (!isOpStep(step) || typeof step.dtype !== 'string' || !step.dtype.startsWith('$')) return;
      for (const [path, value] of candidates(step.dtype.slice(1))) {
        if (value !== undefined && !(typeof value === 'string' && Object.hasOwn(DTYPES, value))) {
          issues.push({ path, expected: `a dtype (${step.dtype} is the dtype of ${base}/${i})`, received: describeValue(value) });
        }
      }
    });
  walk(manifest.steps, '/steps');
  return issues;
}

/**
 * The manifest as the selected variant makes it: `requested` (the caller's choice), else
 * `defaultVariant`, else the manifest as written. A requested name the manifest does not
 * declare is ERR_INVALID_ARG naming `label` and the variants there are.
 */
export function applyVariant(
  manifest: PipelineManifest,
  requested: unknown,
  label = 'options.variant',
): { readonly manifest: PipelineManifest; readonly variant: string | undefined } {
  const m = manifest as PipelineManifest & ManifestVariants;
  const variants = m.variants ?? {};
  if (requested !== undefined && (typeof requested !== 'string' || !Object.hasOwn(variants, requested))) {
    const names = Object.keys(variants);
    throw invalidArg(names.length ? `one of the manifest's variants (${names.map((n) => JSON.stringify(n)).join(', ')})` : 'no variant (the manifest declares none)', label, requested);
  }
  const name = (requested as string | undefined) ?? m.defaultVariant;
  if (name === undefined) return { manifest, variant: undefined };
  const variant = variants[name];
  const overrides = variant.contexts ?? {};
  // fromEntries defines own properties: a context may be named "__proto__".
  const contexts: Record<string, ContextEntry> = Object.fromEntries(
    Object.entries(manifest.contexts).map(([c, entry]) => [c, Object.hasOwn(overrides, c) ? ({ ...entry, ...overrides[c] } as ContextEntry) : entry]),
  );
  const params = variant.params ? { ...manifest.params, ...variant.params } : manifest.params;
  return { manifest: { ...manifest, contexts, ...(params ? { params } : {}) }, variant: name };
}

/** The binary of each context under a variant, for callers that read the raw JSON (the CLI picks libraries from it). */
export function variantBinaries(raw: unknown, requested: string | undefined): unknown[] {
  const m = (raw ?? {}) as { contexts?: Record<string, { binary?: unknown }>; variants?: Record<string, VariantEntry>; defaultVariant?: unknown };
  const name = requested ?? (typeof m.defaultVariant === 'string' ? m.defaultVariant : undefined);
  const variant = name !== undefined && m.variants && Object.hasOwn(m.variants, name) ? m.variants[name] : undefined;
  return Object.entries(m.contexts ?? {}).map(([c, entry]) => {
    const over = variant?.contexts && Object.hasOwn(variant.contexts, c) ? variant.contexts[c] : undefined;
    return over?.binary ?? entry?.binary;
  });
}
