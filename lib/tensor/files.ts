import { QnnNodeError } from '../errors.js';

/** Rethrows an fs error, as FILE_NOT_FOUND (naming the path) when it is ENOENT. */
export function notFound(path: string, error: unknown): never {
  if ((error as { code?: unknown } | null)?.code === 'ENOENT') {
    throw new QnnNodeError('FILE_NOT_FOUND', `File not found: ${path}`, { cause: error, details: { path } });
  }
  throw error;
}
