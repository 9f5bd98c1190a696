/**
 * `quantize` with `"like": { "graph": "ctx/graph", "input": "name" }`: the dtype, scale and
 * offset come from that graph input's signature (what `qnn-node inspect` prints for a
 * quantized binary), resolved at load — so a w8a8 manifest never copies encodings by hand
 * and a re-export with new encodings needs no manifest edit.
 */
import { describeValue } from '../errors.js';
import { findGraph, NO_NAMES, type GraphRefEnv } from './graph-ref.js';
import { manifestError } from './validate.js';

/** Replaces params.like with the graph input's dtype, scale and offset (MANIFEST_INVALID naming `/like` otherwise). */
export function resolveQuantLike(params: Record<string, unknown>, path: string, env: GraphRefEnv): void {
  const like = params.like as { graph: string; context?: string; input: string };
  for (const key of ['dtype', 'scale', 'offset']) {
    if (params[key] !== undefined) throw manifestError([{ path: `${path}/${key}`, expected: `no ${key} next to "like" (the graph input's encoding is used)`, received: describeValue(params[key]) }], env.source);
  }
  const [ctxName, graph] = findGraph(env, like, `${path}/like`);
  const names = env.names?.get(ctxName) ?? NO_NAMES;
  const spec = graph.inputs.find((s) => s.name === names.real(like.input));
  if (!spec) {
    throw manifestError([{ path: `${path}/like/input`, expected: `an input of graph ${ctxName}/${names.logical(graph.name)} (${graph.inputs.map((s) => names.label(s.name)).join(', ')})`, received: JSON.stringify(like.input) }], env.source);
  }
  const quant = spec.quant;
  if (quant?.encoding !== 'scale-offset') {
    throw manifestError(
      [{ path: `${path}/like`, expected: `a graph input with a scale-offset encoding to quantize like`, received: `input ${names.label(spec.name)} of ${ctxName}/${names.logical(graph.name)}: ${spec.dtype}${quant ? ` (${quant.encoding})` : ', not quantized'}` }],
      env.source,
    );
  }
  delete params.like;
  params.dtype = spec.dtype;
  params.scale = quant.scale;
  params.offset = quant.offset;
}
