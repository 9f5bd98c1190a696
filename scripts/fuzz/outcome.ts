/**
 * What one fuzz case can end in, and how an error is judged. A typed error (one of the
 * library's error classes with a documented string `code`) is the expected way to refuse
 * bad input; everything else is a finding.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { QnnNodeError, QnnRangeError, QnnTypeError } from '../../lib/errors.js';

export type Outcome =
  /** The input was accepted and every entry point finished. */
  | 'ok'
  /** Refused with a typed error. */
  | 'typed'
  /** Refused with something else: a bare TypeError/RangeError, a Node ERR_*, an undocumented code. */
  | 'untyped'
  /** The worker process died (signal or abnormal exit) while running the case. */
  | 'crash'
  /** The case did not finish within the time limit. */
  | 'hang'
  /** The worker's resident memory passed the limit while running the case. */
  | 'memory'
  /** File contents from outside the input's folder showed up in a result or an error. */
  | 'escape';

export const OUTCOMES: readonly Outcome[] = ['ok', 'typed', 'untyped', 'crash', 'hang', 'memory', 'escape'];
export const FINDINGS: ReadonlySet<Outcome> = new Set<Outcome>(['untyped', 'crash', 'hang', 'memory', 'escape']);

/** The result of one case as a worker reports it. */
export interface CaseResult {
  readonly outcome: Outcome;
  /** Which entry point gave the outcome (e.g. 'loadContext', 'cli inspect'). */
  readonly entry?: string;
  /** Error code, when there was one. */
  readonly code?: string;
  readonly message?: string;
  readonly stack?: string;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The codes docs/errors.md documents, read from lib/errors.ts so the list never drifts. */
export const KNOWN_CODES: ReadonlySet<string> = (() => {
  const source = readFileSync(path.join(repoRoot, 'lib', 'errors.ts'), 'utf8');
  const union = source.slice(source.indexOf('export type ErrorCode'), source.indexOf(';', source.indexOf('export type ErrorCode')));
  return new Set([...union.matchAll(/'([A-Z0-9_]+)'/g)].map((m) => m[1]));
})();

/** True for an error the library raised on purpose: its own classes, with a documented code. */
export function isTypedError(error: unknown): boolean {
  if (!(error instanceof QnnNodeError || error instanceof QnnTypeError || error instanceof QnnRangeError)) return false;
  return typeof error.code === 'string' && KNOWN_CODES.has(error.code);
}

/**
 * Classifies what an entry point threw. `native`: the error comes straight from the addon,
 * whose contract is a plain Error with a documented `code` (lib/ wraps it in its classes).
 */
export function judgeError(entry: string, error: unknown, options: { native?: boolean } = {}): CaseResult {
  const e = error instanceof Error ? error : undefined;
  const code = typeof (error as { code?: unknown } | null)?.code === 'string' ? String((error as { code: string }).code) : undefined;
  const typed = options.native ? e !== undefined && code !== undefined && KNOWN_CODES.has(code) : isTypedError(error);
  return {
    outcome: typed ? 'typed' : 'untyped',
    entry,
    ...(code !== undefined ? { code } : {}),
    message: e ? `${e.name}: ${e.message}`.slice(0, 2000) : String(error).slice(0, 2000),
    ...(e?.stack ? { stack: e.stack.slice(0, 4000) } : {}),
  };
}

const SEVERITY: Readonly<Record<Outcome, number>> = { ok: 0, typed: 1, untyped: 2, escape: 3, hang: 4, memory: 4, crash: 5 };

/** The worse of two results (a case with several entry points reports its worst). */
export function worse(a: CaseResult, b: CaseResult): CaseResult {
  return SEVERITY[b.outcome] > SEVERITY[a.outcome] ? b : a;
}
