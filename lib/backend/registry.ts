/**
 * Backends by name (onnxruntime's backend-impl pattern): the runner and the CLI ask for
 * a backend by kind and get whichever implementation was registered under it.
 */
import { QnnNodeError, invalidArg } from '../errors.js';
import type { Backend } from './types.js';

export type BackendFactory = (options: Record<string, unknown>) => Promise<Backend>;

const factories = new Map<string, BackendFactory>();

export function registerBackend(kind: string, factory: BackendFactory): void {
  if (typeof kind !== 'string' || kind.length === 0) throw invalidArg('a non-empty string', 'kind', kind);
  if (typeof factory !== 'function') throw invalidArg('a function', 'factory', factory);
  factories.set(kind, factory);
}

export function registeredBackends(): string[] {
  return [...factories.keys()];
}

export async function createBackend(kind: string, options: Record<string, unknown> = {}): Promise<Backend> {
  const factory = factories.get(kind);
  if (!factory) {
    throw new QnnNodeError('ERR_INVALID_ARG', `Unknown backend ${JSON.stringify(kind)}; registered: ${registeredBackends().join(', ') || 'none'}`, {
      details: { kind, registered: registeredBackends() },
    });
  }
  return factory(options);
}
