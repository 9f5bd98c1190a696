/**
 * Manifest contexts made from models (`contexts.<c>.model`, docs/models.md): a DLC or model
 * library composed on the context's backend at load — through the first-run cache when the
 * context names a `cache` binary (lib/backend/model-cache.ts) — and the configs a context
 * may give (priority, graphConfigs, htp) for models and binaries alike. Also the manifest
 * rules a schema cannot state about models and named backends.
 */
import { QnnNodeError } from '../errors.js';
import { loadModel, type ModelCacheInfo } from '../backend/model-cache.js';
import type { Backend, ComposeOptions, Context, LoadContextOptions } from '../backend/types.js';
import type { ContextEntry, PipelineManifest } from './manifest.js';
import type { ManifestIssue } from './validate.js';
import type { VariantEntry } from './variants.js';

/** How each context was loaded (Pipeline#contextLoads). */
export interface ContextLoadInfo {
  /** The manifest backend name, or null for the pipeline's backend. */
  readonly backend: string | null;
  readonly kind: 'binary' | 'model';
  /** The binary or model file. */
  readonly path: string;
  /** The first-run cache's outcome (model contexts with `cache`). */
  readonly cache?: ModelCacheInfo;
}

const list = (xs: Iterable<string>): string => [...xs].map((x) => JSON.stringify(x)).join(', ') || '(none)';

/** Exactly one of binary and model; model-only fields only with model; backends that exist; share groups on one backend. */
export function modelContextIssues(manifest: PipelineManifest & { readonly variants?: Readonly<Record<string, VariantEntry>> }): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const backends = Object.keys(manifest.backends ?? {});
  for (const [name, entry] of Object.entries(manifest.contexts)) {
    const at = `/contexts/${name}`;
    if (entry.binary !== undefined && entry.model !== undefined) {
      issues.push({ path: `${at}/model`, expected: 'either "binary" or "model", not both', received: `binary ${JSON.stringify(entry.binary)} and model ${JSON.stringify(entry.model)}` });
    }
    if (entry.model === undefined) {
      for (const key of ['cache', 'format'] as const) {
        if (entry[key] !== undefined) issues.push({ path: `${at}/${key}`, expected: `"${key}" only with "model"`, received: JSON.stringify(entry[key]) });
      }
    } else if (entry.shareGroup !== undefined) {
      issues.push({ path: `${at}/shareGroup`, expected: 'a shareGroup only on binary contexts (a composed model is not loaded from a binary list)', received: JSON.stringify(entry.shareGroup) });
    }
    if (entry.backend !== undefined && !backends.includes(entry.backend)) {
      issues.push({ path: `${at}/backend`, expected: `a backend of /backends (${list(backends)})`, received: JSON.stringify(entry.backend) });
    }
  }
  const groups = new Map<string, [string, string | undefined]>();
  for (const [name, entry] of Object.entries(manifest.contexts)) {
    if (entry.shareGroup === undefined) continue;
    const first = groups.get(entry.shareGroup);
    if (!first) groups.set(entry.shareGroup, [name, entry.backend]);
    else if (first[1] !== entry.backend) {
      issues.push({ path: `/contexts/${name}/backend`, expected: `the backend of the other contexts of share group ${JSON.stringify(entry.shareGroup)} (${JSON.stringify(first[0])} uses ${first[1] ?? 'the default'})`, received: JSON.stringify(entry.backend ?? null) });
    }
  }
  for (const [v, variant] of Object.entries(manifest.variants ?? {})) {
    for (const [c, over] of Object.entries(variant.contexts ?? {})) {
      if (over.binary !== undefined && Object.hasOwn(manifest.contexts, c) && manifest.contexts[c]!.model !== undefined) {
        issues.push({ path: `/variants/${v}/contexts/${c}/binary`, expected: `no binary (context ${JSON.stringify(c)} is composed from a model)`, received: JSON.stringify(over.binary) });
      }
    }
  }
  return issues;
}

/** The configs a context entry gives, as loadContext / composeModel options. */
export function contextConfigOptions(entry: ContextEntry): LoadContextOptions {
  return {
    ...(entry.priority !== undefined ? { priority: entry.priority } : {}),
    ...(entry.graphConfigs !== undefined ? { graphConfigs: entry.graphConfigs } : {}),
    ...(entry.htp !== undefined ? { htp: entry.htp } : {}),
  };
}

/**
 * Composes a model context on `backend`: through loadModel when `cachePath` is given, else
 * composeModel directly. UNSUPPORTED_FEATURE (naming the context) when the backend cannot compose.
 */
export async function loadModelContext(
  name: string,
  entry: ContextEntry,
  backend: Backend,
  modelPath: string,
  cachePath: string | undefined,
): Promise<{ context: Context; cache?: ModelCacheInfo }> {
  if (typeof backend.composeModel !== 'function') {
    throw new QnnNodeError('UNSUPPORTED_FEATURE', `/contexts/${name}/model: the ${backend.kind} backend cannot compose models (no composeModel); give a context binary instead`, {
      details: { context: name, backend: backend.kind },
    });
  }
  const options: ComposeOptions = { ...contextConfigOptions(entry), ...(entry.format !== undefined ? { format: entry.format } : {}) };
  if (cachePath === undefined) return { context: await backend.composeModel(modelPath, options) };
  const context = await loadModel(backend, modelPath, { ...options, cache: cachePath });
  return { context, cache: context.cache };
}
