/**
 * The manifest's name table: `contexts.<ctx>.names` maps the names the steps use (logical
 * names) to the names in the context binary (as `qnn-node inspect` prints them). It applies
 * to that context's graph names (`graphs`, step `graph` refs) and to its graphs' input and
 * output tensor names (step `inputs` / `outputs` keys). Signatures keep the binary's names,
 * so renaming a tensor in a new export is a one-line change in the table.
 */
import type { Context } from '../backend/types.js';
import type { PipelineManifest } from './manifest.js';
import { manifestError, type ManifestIssue } from './validate.js';

/** One context's table, checked against the loaded context. */
export class ContextNames {
  private readonly toReal: ReadonlyMap<string, string>;
  private readonly toLogical: ReadonlyMap<string, string>;

  constructor(table: Readonly<Record<string, string>> = {}) {
    this.toReal = new Map(Object.entries(table));
    this.toLogical = new Map(Object.entries(table).map(([logical, real]) => [real, logical]));
  }

  /** The binary's name for a name used in the steps (itself when not in the table). */
  real(name: string): string {
    return this.toReal.get(name) ?? name;
  }

  /** The name the steps use for a binary name (itself when not in the table). */
  logical(real: string): string {
    return this.toLogical.get(real) ?? real;
  }

  /** `"logical" (binary name "real")`, or `"real"` when the table does not rename it. */
  label(real: string): string {
    const logical = this.toLogical.get(real);
    return logical === undefined ? JSON.stringify(real) : `${JSON.stringify(logical)} (binary name ${JSON.stringify(real)})`;
  }
}

/** Every name a context binary has: graph names and its graphs' tensor names. */
function realNames(ctx: Context): Set<string> {
  const out = new Set<string>();
  for (const g of ctx.graphs) {
    out.add(g.name);
    for (const t of [...g.inputs, ...g.outputs]) out.add(t.name);
  }
  return out;
}

/**
 * Checks every context's `names` against the loaded context (MANIFEST_INVALID with the
 * table's pointer): each mapped name exists in the binary, no two names map to one binary
 * name, and no name in the table is also a different name of the binary (it would hide it).
 */
export function checkNameTables(manifest: PipelineManifest, contexts: ReadonlyMap<string, Context>, source: string): Map<string, ContextNames> {
  const out = new Map<string, ContextNames>();
  const issues: ManifestIssue[] = [];
  for (const [ctxName, ctx] of contexts) {
    const table = manifest.contexts[ctxName]?.names ?? {};
    const real = realNames(ctx);
    const seen = new Map<string, string>();
    for (const [logical, binaryName] of Object.entries(table)) {
      const path = `/contexts/${ctxName}/names/${logical.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (!real.has(binaryName)) {
        issues.push({
          path,
          expected: `a graph or tensor name of context ${ctxName} for ${JSON.stringify(logical)} (as qnn-node inspect prints them: ${[...real].map((n) => JSON.stringify(n)).join(', ')})`,
          received: JSON.stringify(binaryName),
        });
      }
      const other = seen.get(binaryName);
      if (other !== undefined) {
        issues.push({ path, expected: `one name per binary name (${JSON.stringify(other)} already maps to ${JSON.stringify(binaryName)})`, received: `${JSON.stringify(logical)} -> ${JSON.stringify(binaryName)}` });
      }
      seen.set(binaryName, logical);
      if (logical !== binaryName && real.has(logical)) {
        issues.push({
          path,
          expected: `a name that is not also a different name in context ${ctxName} (${JSON.stringify(logical)} is a name in the binary; mapping it to ${JSON.stringify(binaryName)} would hide it)`,
          received: `${JSON.stringify(logical)} -> ${JSON.stringify(binaryName)}`,
        });
      }
    }
    out.set(ctxName, new ContextNames(table));
  }
  if (issues.length) throw manifestError(issues, source);
  return out;
}
