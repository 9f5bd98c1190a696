/**
 * The signature file: `{ "format": "qnn-node-signature", "version": 1, "producer"?, "graphs": [...] }`,
 * written by `qnn-node inspect --json`, read by the mock backend and by manifests.
 */
import { readFileSync } from 'node:fs';
import { QnnNodeError } from '../errors.js';
import type { BinaryProducer, ContextSignature } from './types.js';
import { checkSignature } from './validate.js';

export function isSignatureFile(value: unknown): value is ContextSignature {
  return typeof value === 'object' && value !== null && (value as ContextSignature).format === 'qnn-node-signature' && Array.isArray((value as ContextSignature).graphs);
}

/** The optional `producer` of a signature file (the SDK build that made the binary, best effort). */
function isProducer(value: unknown): value is BinaryProducer {
  const p = value as BinaryProducer;
  return (
    typeof value === 'object' && value !== null && typeof p.buildId === 'string' && typeof p.sdkVersion === 'string' && p.bestEffort === true && (p.source === 'binary-info' || p.source === 'text')
  );
}

/** Reads `{ format: "qnn-node-signature", version: 1, producer?, graphs }` from a file path or bytes. */
export function readSignatureFile(source: string | Uint8Array): ContextSignature {
  const label = typeof source === 'string' ? source : 'the given bytes';
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof source === 'string' ? readFileSync(source, 'utf8') : new TextDecoder().decode(source));
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new QnnNodeError('FILE_NOT_FOUND', `Signature file ${label} does not exist`, { cause, details: { path: label } });
    }
    throw new QnnNodeError('BINARY_INVALID', `${label} is not a signature JSON: ${(cause as Error).message}`, { cause, details: { path: label } });
  }
  if (!isSignatureFile(parsed) || parsed.version !== 1) {
    throw new QnnNodeError('BINARY_INVALID', `${label} is not a signature JSON ({ "format": "qnn-node-signature", "version": 1, "graphs": [...] })`, {
      details: { path: label },
    });
  }
  const producer = (parsed as { producer?: unknown }).producer;
  if (producer !== undefined && !isProducer(producer)) {
    throw new QnnNodeError('BINARY_INVALID', `${label}: "producer" must be { "buildId": string, "sdkVersion": string, "bestEffort": true, "source": "binary-info" | "text" }`, {
      details: { path: label },
    });
  }
  parsed.graphs.forEach((g, i) => checkSignature(g, `${label}: graphs[${i}]`));
  return parsed;
}
