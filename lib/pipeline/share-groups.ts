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
  for (const [group, names] of members) {
    if (names.length < 2) {
      issues.push({ path: `/contexts/${names[0]}/shareGroup`, expected: 'a share group named by at least two contexts', received: JSON.stringify(group) });
    }
  }
  return issues;
}

/**
 * Loads every context of the manifest into `into` (so the caller can dispose what was
 * loaded when a later one fails). `binary(name)` / `graphs(name)` give each context's
 * resolved binary and its signatures.
 */
export async function loadManifestContexts(
  manifest: PipelineManifest,
  backend: Backend,
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
    if (entry.shareGroup === undefined) {
      into.set(name, await backend.loadContext(binary(name), options(name)));
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
      { shareResources: true },
    );
    group.forEach((n, i) => into.set(n, loaded[i]!));
  }
}
