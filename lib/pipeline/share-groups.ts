/**
 * Loading a manifest's contexts, with `contexts.<name>.shareGroup`: the contexts that name
 * the same group are loaded together, in manifest order, as one HTP spill-fill group
 * (backend.loadContexts(..., { shareResources: true })), at the position of the group's
 * first context. Validation of the groups: shareGroupIssues (called by validate.ts).
 */
import { QnnNodeError } from '../errors.js';
import type { Backend, Context, GraphSignature } from '../backend/types.js';
import type { PipelineManifest } from './manifest.js';

export interface ShareGroupIssue {
  readonly path: string;
  readonly expected: string;
  readonly received: string;
}

/** A group named by one context only shares nothing: most likely a typo. */
export function shareGroupIssues(manifest: PipelineManifest): ShareGroupIssue[] {
  const members = new Map<string, string[]>();
  for (const [name, entry] of Object.entries(manifest.contexts)) {
    if (entry.shareGroup !== undefined) members.set(entry.shareGroup, [...(members.get(entry.shareGroup) ?? []), name]);
  }
  const issues: ShareGroupIssue[] = [];
  for (const [name, entry] of Object.entries(manifest.contexts)) {
    if (entry.spillFillBytes !== undefined && entry.shareGroup === undefined) {
      issues.push({ path: `/contexts/${name}/spillFillBytes`, expected: 'spillFillBytes only with a shareGroup', received: String(entry.spillFillBytes) });
    }
  }
  for (const [group, names] of members) {
    if (names.length < 2) {
      issues.push({ path: `/contexts/${names[0]}/shareGroup`, expected: 'a share group named by at least two contexts', received: JSON.stringify(group) });
    }
  }
  return issues;
}

/** The group's spill-fill size from its contexts' `spillFillBytes` (the largest wins), if any gives one. */
function groupSpillFill(manifest: PipelineManifest, group: readonly string[]): { spillFillBytes?: number } {
  const sizes = group.map((n) => manifest.contexts[n]!.spillFillBytes).filter((b): b is number => b !== undefined);
  return sizes.length ? { spillFillBytes: Math.max(...sizes) } : {};
}

/** loadContexts' "no spill-fill size" refusal, reworded to name the manifest field that fixes it. */
function nameManifestField(error: unknown, group: readonly string[]): unknown {
  if (!(error instanceof QnnNodeError) || error.code !== 'UNSUPPORTED_OPTION') return error;
  const details = error.details as { missing?: unknown; index?: unknown } | undefined;
  if (details?.missing !== 'spillFillBytes' || typeof details.index !== 'number') return error;
  const name = group[details.index] ?? group[0]!;
  return new QnnNodeError(
    'UNSUPPORTED_OPTION',
    `The share group needs the spill-fill size of every context, and QnnSystem reports none for context ${JSON.stringify(name)}; set /contexts/${name}/spillFillBytes (the group takes the largest)`,
    { details: { ...(error.details as object), field: `/contexts/${name}/spillFillBytes` }, cause: error },
  );
}

/**
 * Loads every context of the manifest into `into` (so the caller can dispose what was
 * loaded when a later one fails), each on its backend (`backendOf`). `loadOne` loads a
 * context alone (a binary or a model); a share group's binaries (`binary(name)`, with
 * `graphs(name)`) go to its backend's loadContexts together.
 */
export async function loadManifestContexts(
  manifest: PipelineManifest,
  backendOf: (name: string) => Promise<Backend>,
  loadOne: (name: string, backend: Backend) => Promise<Context>,
  binary: (name: string) => string,
  graphs: (name: string) => readonly GraphSignature[] | undefined,
  into: Map<string, Context>,
): Promise<void> {
  const options = (name: string) => {
    const g = graphs(name);
    return g ? { graphs: g } : {};
  };
  const entries = Object.entries(manifest.contexts);
  for (const [name, entry] of entries) {
    if (into.has(name)) continue;
    const backend = await backendOf(name);
    if (entry.shareGroup === undefined) {
      into.set(name, await loadOne(name, backend));
      continue;
    }
    const group = entries.filter(([, e]) => e.shareGroup === entry.shareGroup).map(([n]) => n);
    if (!backend.loadContexts) {
      throw new QnnNodeError('UNSUPPORTED_OPTION', `The ${backend.kind} backend cannot load contexts as a share group (/contexts/${name}/shareGroup)`, {
        details: { option: 'shareGroup' },
      });
    }
    const loaded = await backend.loadContexts(
      group.map((n) => ({ source: binary(n), ...options(n) })),
      { shareResources: true, ...groupSpillFill(manifest, group) },
    ).catch((error: unknown) => {
      throw nameManifestField(error, group);
    });
    group.forEach((n, i) => into.set(n, loaded[i]!));
  }
}
