/** Reading, narrowing and describing signature files (ContextSignature). */
import type { ContextSignature, TensorSpec } from '../backend/types.js';
import { readSignatureFile as readMockSignature } from '../backend/signature.js';
import { QnnNodeError } from '../errors.js';
import type { QuantParams } from '../tensor/dtypes.js';
import { requireFile } from './files.js';

/** Reads and checks a signature file (the mock backend's reader; BINARY_INVALID when malformed). */
export function readSignatureFile(file: string): ContextSignature {
  requireFile(file, 'signature file');
  return readMockSignature(file);
}


/** "scale=0.0078 offset=-128", "per-axis(0): 64 scales", or "" for none. */
export function describeQuant(quant: QuantParams | undefined): string {
  if (!quant) return '';
  const bw = quant.bitwidth !== undefined ? ` bw=${quant.bitwidth}` : '';
  if (quant.encoding === 'scale-offset') return `scale=${Number(quant.scale.toPrecision(6))} offset=${quant.offset}${bw}`;
  return `axis=${quant.axis} scales=${quant.scales.length}${bw}`;
}

/** The signature with graphs narrowed to `names` (UNKNOWN_GRAPH naming the graphs there are). */
export function selectGraphs(sig: ContextSignature, names: readonly string[] | undefined): ContextSignature {
  if (!names || names.length === 0) return sig;
  const graphs = names.map((name) => {
    const g = sig.graphs.find((x) => x.name === name);
    if (!g) {
      throw new QnnNodeError('UNKNOWN_GRAPH', `No graph named ${JSON.stringify(name)}; the binary has: ${sig.graphs.map((x) => x.name).join(', ')}`, {
        details: { graph: name, graphs: sig.graphs.map((x) => x.name) },
      });
    }
    return g;
  });
  return { ...sig, graphs };
}

/** A plain JSON-safe copy (typed-array quant scales become arrays) in field order. */
export function normalizeSignature(sig: ContextSignature, source?: string): ContextSignature {
  const tensor = (t: TensorSpec): TensorSpec => ({
    name: t.name,
    ...(t.id !== undefined ? { id: t.id } : {}),
    dtype: t.dtype,
    dims: [...t.dims],
    ...(t.quant
      ? {
          quant:
            t.quant.encoding === 'scale-offset'
              ? { ...t.quant }
              : { ...t.quant, scales: Array.from(t.quant.scales), offsets: Array.from(t.quant.offsets) },
        }
      : {}),
    ...(t.role !== undefined ? { role: t.role } : {}),
  });
  return {
    format: 'qnn-node-signature',
    version: 1,
    ...(source ?? sig.source ? { source: source ?? sig.source } : {}),
    ...(sig.producer ? { producer: { ...sig.producer } } : {}),
    graphs: sig.graphs.map((g) => ({ name: g.name, inputs: g.inputs.map(tensor), outputs: g.outputs.map(tensor) })),
  };
}
