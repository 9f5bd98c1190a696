/**
 * Exit codes `qnn-node` promises to scripts (docs/cli.md "Exit codes"):
 *
 * | code | meaning |
 * |---|---|
 * | 0 | success |
 * | 1 | runtime failure: a file is missing or malformed, a binary is corrupt, a graph or input is unknown, QNN returned an error |
 * | 2 | usage error: unknown command or option, a missing or malformed argument |
 * | 3 | environment: the addon or a QNN library cannot be found or loaded, or its version is unsupported |
 */
import type { ErrorCode } from '../errors.js';
import { QnnNodeError } from '../errors.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_ENVIRONMENT = 3;

export type ExitCode = typeof EXIT_OK | typeof EXIT_FAILURE | typeof EXIT_USAGE | typeof EXIT_ENVIRONMENT;

const ENVIRONMENT_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'ADDON_NOT_FOUND',
  'LIBRARY_LOAD_FAILED',
  'SYMBOL_NOT_FOUND',
  'NO_PROVIDER',
  'UNSUPPORTED_VERSION',
]);

const USAGE_CODES: ReadonlySet<string> = new Set<ErrorCode>(['CLI_USAGE']);

/** The exit code for an error that ended a command. */
export function exitCodeFor(error: unknown): ExitCode {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code === 'string') {
    if (USAGE_CODES.has(code)) return EXIT_USAGE;
    if (ENVIRONMENT_CODES.has(code)) return EXIT_ENVIRONMENT;
  }
  return EXIT_FAILURE;
}

/** A bad command line: exit code 2. */
export function usageError(message: string, details: Record<string, unknown> = {}): QnnNodeError {
  return new QnnNodeError('CLI_USAGE', message, { details });
}
