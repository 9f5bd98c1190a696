/**
 * Resolving a manifest's graph reference ("graph", "context/graph" or a `context` field)
 * to a loaded graph, through each context's name table.
 */
import type { Context, Graph } from '../backend/types.js';
import { ContextNames } from './names.js';
import { manifestError } from './validate.js';

/** The table of a context without `names`: every name is the binary's. */
export const NO_NAMES = new ContextNames();

export interface GraphRefEnv {
  readonly contexts: ReadonlyMap<string, Context>;
  readonly source: string;
  /** Each context's name table (steps' names -> the binary's names). */
  readonly names?: ReadonlyMap<string, ContextNames>;
}

export function findGraph(env: GraphRefEnv, step: { graph: string; context?: string }, path: string): [string, Graph] {
  const { contexts, source } = env;
  const names = (ctx: string): ContextNames => env.names?.get(ctx) ?? NO_NAMES;
  let ctxName = step.context;
  let graphName = step.graph;
  if (ctxName === undefined && graphName.includes('/') && contexts.has(graphName.slice(0, graphName.indexOf('/')))) {
    ctxName = graphName.slice(0, graphName.indexOf('/'));
    graphName = graphName.slice(graphName.indexOf('/') + 1);
  }
  const candidates = [...contexts].filter(([n, c]) => (ctxName === undefined || n === ctxName) && c.graphs.some((g) => g.name === names(n).real(graphName)));
  if (candidates.length === 1) return [candidates[0][0], candidates[0][1].graph(names(candidates[0][0]).real(graphName))];
  const all = [...contexts].flatMap(([n, c]) => c.graphs.map((g) => `${n}/${names(n).logical(g.name)}`));
  if (candidates.length === 0) {
    throw manifestError([{ path: `${path}/graph`, expected: `a graph of the loaded contexts (${all.map((x) => JSON.stringify(x)).join(', ')})`, received: JSON.stringify(step.graph) }], source);
  }
  throw manifestError([{ path: `${path}/graph`, expected: `"context/graph" or a context field: ${candidates.map(([n]) => JSON.stringify(`${n}/${graphName}`)).join(' and ')} both exist`, received: JSON.stringify(step.graph) }], source);
}

