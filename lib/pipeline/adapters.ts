/**
 * LoRA adapters in pipeline manifests (docs/adapters.md): `contexts.<c>.adapters` names
 * each context's binary sections, registered on the loaded context; the adapter in effect
 * while a graph step runs is the step's `adapter` (a name, "$param" or null), else the
 * run's (`PipelineRunOptions.adapter`, CLI `run --adapter`) when this context declares it
 * (null: every context with adapters returns to its base), else the context's default
 * `adapter`. A switch applies only on a change (Context#useAdapter).
 */
import { QnnNodeError } from '../errors.js';
import type { Context } from '../backend/types.js';
import type { FileRef } from './assets.js';
import { manifestError, type ManifestIssue } from './validate.js';
import type { ContextEntry, GraphStep, PipelineManifest } from './manifest.js';

export type AdapterEntry = string | { readonly path: string; readonly graph?: string; readonly base?: boolean };

/** What a graph node needs to switch adapters (absent when its context declares none). */
export interface NodeAdapter {
  readonly context: Context;
  readonly contextName: string;
  readonly declared: ReadonlySet<string>;
  /** The step's choice: a name, "$param" or null (undefined: not set). */
  readonly step?: string | null;
  /** The context's default `adapter`. */
  readonly fallback?: string | null;
}

const pathOf = (e: AdapterEntry): string => (typeof e === 'string' ? e : e.path);

/** The section files of every context (`/contexts/<c>/adapters/<name>`). */
export function adapterFiles(manifest: PipelineManifest, at: (p: string, pointer: string) => FileRef): FileRef[] {
  const refs: FileRef[] = [];
  for (const [c, entry] of Object.entries(manifest.contexts)) {
    for (const [name, a] of Object.entries(entry.adapters ?? {})) refs.push(at(pathOf(a), `/contexts/${c}/adapters/${name}${typeof a === 'string' ? '' : '/path'}`));
  }
  return refs;
}

/** Registers each context's adapters (paths as resolved and checked at load). */
export function registerAdapters(manifest: PipelineManifest, contexts: ReadonlyMap<string, Context>, resolved: ReadonlyMap<string, string>, source: string): void {
  for (const [c, entry] of Object.entries(manifest.contexts)) {
    const adapters = Object.entries(entry.adapters ?? {});
    const issues: ManifestIssue[] = [];
    const bases = adapters.filter(([, a]) => typeof a !== 'string' && a.base === true);
    if (bases.length > 1) issues.push({ path: `/contexts/${c}/adapters`, expected: 'at most one adapter with base: true', received: bases.map(([n]) => JSON.stringify(n)).join(', ') });
    if (entry.adapter !== undefined && entry.adapter !== null && !Object.hasOwn(entry.adapters ?? {}, entry.adapter)) {
      issues.push({ path: `/contexts/${c}/adapter`, expected: `an adapter of context ${c} (${list(Object.keys(entry.adapters ?? {}))})`, received: JSON.stringify(entry.adapter) });
    }
    if (issues.length) throw manifestError(issues, source);
    const ctx = contexts.get(c)!;
    for (const [name, a] of adapters) {
      const pointer = `/contexts/${c}/adapters/${name}${typeof a === 'string' ? '' : '/path'}`;
      try {
        ctx.loadAdapter(name, resolved.get(pointer)!, typeof a === 'string' ? {} : { ...(a.graph !== undefined ? { graph: a.graph } : {}), ...(a.base ? { base: true } : {}) });
      } catch (error) {
        if (error instanceof QnnNodeError && error.code === 'UNKNOWN_GRAPH') {
          throw manifestError([{ path: `${pointer.replace(/\/path$/, '')}/graph`, expected: `a graph of context ${c}`, received: JSON.stringify((a as { graph?: string }).graph) }], source);
        }
        throw error;
      }
    }
  }
}

/** The adapter part of a graph node: checked against the context's adapters at compile time. */
export function nodeAdapter(step: GraphStep, contextName: string, entry: ContextEntry, context: Context, path: string, source: string): NodeAdapter | undefined {
  const declared = new Set(Object.keys(entry.adapters ?? {}));
  if (declared.size === 0) {
    if (step.adapter !== undefined && step.adapter !== null) {
      throw manifestError([{ path: `${path}/adapter`, expected: `an adapter of context ${contextName} (it declares none)`, received: JSON.stringify(step.adapter) }], source);
    }
    return undefined;
  }
  if (typeof step.adapter === 'string' && !step.adapter.startsWith('$') && !declared.has(step.adapter)) {
    throw manifestError([{ path: `${path}/adapter`, expected: `an adapter of context ${contextName} (${list([...declared])}) or "$param"`, received: JSON.stringify(step.adapter) }], source);
  }
  return {
    context,
    contextName,
    declared,
    ...(step.adapter !== undefined ? { step: step.adapter } : {}),
    ...(entry.adapter !== undefined ? { fallback: entry.adapter } : {}),
  };
}

/** A run's `adapter` option: a name some context declares, or null. */
export function checkRunAdapter(manifest: PipelineManifest, adapter: unknown): string | null | undefined {
  if (adapter === undefined || adapter === null) return adapter;
  if (typeof adapter !== 'string' || adapter.length === 0) throw new QnnNodeError('ERR_INVALID_ARG', `Expected an adapter name or null for options.adapter but received ${JSON.stringify(adapter)}`);
  const all = Object.entries(manifest.contexts).flatMap(([c, e]) => Object.keys(e.adapters ?? {}).map((n) => `${c}/${n}`));
  if (!Object.values(manifest.contexts).some((e) => Object.hasOwn(e.adapters ?? {}, adapter))) {
    throw new QnnNodeError('UNKNOWN_ADAPTER', `No context of the manifest declares adapter ${JSON.stringify(adapter)}; the adapters are ${all.length ? list(all) : '(none)'}`, {
      details: { adapter, adapters: all },
    });
  }
  return adapter;
}

/** Switches the node's context to the adapter this step wants (no-op when it is in effect). */
export async function switchAdapter(node: NodeAdapter, runAdapter: string | null | undefined, params: ReadonlyMap<string, unknown>, signal: AbortSignal): Promise<void> {
  let wanted: string | null | undefined;
  if (node.step !== undefined) {
    wanted = node.step;
    if (typeof wanted === 'string' && wanted.startsWith('$')) {
      const v = params.get(wanted.slice(1));
      if (v !== null && typeof v !== 'string') throw new QnnNodeError('ERR_INVALID_ARG', `Expected an adapter name for param ${wanted} (the adapter of a step of context ${node.contextName}) but received ${JSON.stringify(v)}`);
      wanted = v === '' ? null : v;
    }
  } else if (runAdapter === null || (runAdapter !== undefined && node.declared.has(runAdapter))) {
    wanted = runAdapter;
  } else {
    wanted = node.fallback;
  }
  if (wanted === undefined || wanted === node.context.activeAdapter) return;
  await node.context.useAdapter(wanted, { signal });
}

/** The adapter in effect on each context that declares adapters (for the run's result). */
export function adaptersInEffect(manifest: PipelineManifest, contexts: ReadonlyMap<string, Context>): Record<string, string | null> | undefined {
  const out: Record<string, string | null> = {};
  let any = false;
  for (const [c, e] of Object.entries(manifest.contexts)) {
    if (Object.keys(e.adapters ?? {}).length === 0) continue;
    out[c] = contexts.get(c)!.activeAdapter;
    any = true;
  }
  return any ? out : undefined;
}

function list(names: readonly string[]): string {
  return names.map((n) => JSON.stringify(n)).join(', ');
}
