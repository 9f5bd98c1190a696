/**
 * The CLI's window on the world: where it writes, which environment it sees and where
 * relative paths start. `main(argv, io)` takes one of these so tests run the CLI in
 * process and read what it printed.
 */
import process from 'node:process';

/** The part of a writable stream the CLI uses. */
export interface CliStream {
  write(chunk: string): unknown;
  /** True when the stream is a terminal (progress bars, colours). */
  readonly isTTY?: boolean;
  /** Terminal width when `isTTY`. */
  readonly columns?: number;
}

export interface CliIO {
  readonly stdout: CliStream;
  readonly stderr: CliStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The directory relative paths are resolved against. */
  readonly cwd: string;
}

/** The real process streams, environment and working directory. */
export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** Collects everything written; what tests (and `captureIO().text()`) read back. */
export interface CapturedIO extends CliIO {
  readonly out: string[];
  readonly err: string[];
  stdoutText(): string;
  stderrText(): string;
}

export function captureIO(options: { env?: Record<string, string | undefined>; cwd?: string; isTTY?: boolean } = {}): CapturedIO {
  const out: string[] = [];
  const err: string[] = [];
  const isTTY = options.isTTY ?? false;
  return {
    stdout: { write: (s: string) => out.push(s), isTTY, columns: 100 },
    stderr: { write: (s: string) => err.push(s), isTTY, columns: 100 },
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    out,
    err,
    stdoutText: () => out.join(''),
    stderrText: () => err.join(''),
  };
}

/** Progress and colours only on a terminal, and never when `CI` is set. */
export function isInteractive(io: CliIO, stream: CliStream = io.stderr): boolean {
  const ci = io.env.CI;
  return stream.isTTY === true && (ci === undefined || ci === '' || ci === '0' || ci === 'false');
}
