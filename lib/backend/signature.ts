/**
 * The signature file: `{ "format": "qnn-node-signature", "version": 1, "graphs": [...] }`,
 * written by `qnn-node inspect --json`, read by the mock backend and by manifests.
 */
import { readFileSync } from 'node:fs';
import { QnnNodeError } from '../errors.js';
import type { ContextSignature } from './types.js';
import { checkSignature } from './validate.js';

export function isSignatureFile(value: unknown): value is ContextSignature {
  return typeof value === 'object' && value !== null && (value as ContextSignature).format === 'qnn-node-signature' && Array.isArray((value as ContextSignature).graphs);
}

/** Reads `{ format: "qnn-node-signature", version: 1, graphs }` from a file path or bytes. */
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
  parsed.graphs.forEach((g, i) => checkSignature(g, `${label}: graphs[${i}]`));
  return parsed;
}
