/** What every command gets: the IO, the runtime seam, and path resolution. */
import path from 'node:path';
import type { CliIO } from './io.js';
import type { CliRuntime } from './runtime.js';

export interface CommandContext {
  readonly io: CliIO;
  /** The runtime, created on first use (commands that only print help never load the addon). */
  runtime(): Promise<CliRuntime>;
  /** A user path resolved against the CLI's working directory. */
  resolve(p: string): string;
  /** Global `--verbose`. */
  verbose(): boolean;
  /** Sets the exit code for a command that finishes without throwing (e.g. `info` that found nothing). */
  setExitCode(code: number): void;
}

export function createContext(
  io: CliIO,
  runtime: () => Promise<CliRuntime>,
  verbose: () => boolean,
  setExitCode: (code: number) => void,
): CommandContext {
  let cached: Promise<CliRuntime> | undefined;
  return {
    io,
    runtime: () => (cached ??= runtime()),
    resolve: (p: string) => path.resolve(io.cwd, p),
    verbose,
    setExitCode,
  };
}
