/** Option declarations and parsers shared by several commands. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { MAX_TIMEOUT_MS } from '../backend/qnn/deadline.js';
import { defaultLibraryName } from '../backend/qnn/libraries.js';
import type { LibrarySelection } from './runtime.js';

export const LOG_LEVELS = ['error', 'warn', 'info', 'verbose', 'debug'] as const;

/** Adds --backend, --system, --log-level, --no-device and --timeout. */
export function addLibraryOptions(cmd: Command, platform: string = process.platform): Command {
  return cmd
    .option(
      '--backend <lib>',
      `QNN backend library: a path, a name looked up in $QNN_SDK_ROOT/lib/<platform> and the library search path, or 'reference' (default: the bundled reference backend for reference binaries such as the bundled example, else ${defaultLibraryName('backend', platform)})`,
    )
    .option('--system <lib>', `QnnSystem library: a path or a name (default: ${defaultLibraryName('system', platform)} found like the backend; the reference system library with the reference backend)`)
    .addOption(new Option('--log-level <level>', 'QNN log level').choices([...LOG_LEVELS]))
    .option('--no-device', 'load the backend without creating a QNN device (a backend whose deviceCreate hangs or fails, e.g. libQnnHtpQemu)')
    .option('--timeout <duration>', 'give up on loading the libraries, and on each context, after this long (e.g. 30s); the process then exits', durationMs);
}

export function librarySelection(opts: { backend?: string; system?: string; logLevel?: string; device?: boolean; timeout?: number }): LibrarySelection {
  return {
    ...(opts.backend !== undefined ? { backend: opts.backend } : {}),
    ...(opts.system !== undefined ? { system: opts.system } : {}),
    ...(opts.logLevel !== undefined ? { logLevel: opts.logLevel } : {}),
    ...(opts.device === false ? { device: false as const } : {}),
    ...(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {}),
  };
}

/** commander argParser for a positive integer. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** commander argParser for a non-negative integer. */
export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

/** A duration: "500ms", "2s", "1.5s", "1m" or plain seconds; returns milliseconds. */
export function durationMs(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(value);
  if (!m) throw new InvalidArgumentError('expected a duration such as 500ms, 2s or 1m');
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
  if (!(ms > 0)) throw new InvalidArgumentError('expected a duration greater than zero');
  if (ms > MAX_TIMEOUT_MS) throw new InvalidArgumentError(`expected a duration of at most ${MAX_TIMEOUT_MS} ms (about 24 days)`);
  return ms;
}

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
