#!/usr/bin/env node
/**
 * `qnn-node`: inspect, run and benchmark QNN context binaries.
 *
 * `main(argv, io, runtime)` runs one command line in process and resolves to the exit
 * code (docs/cli.md "Exit codes"); it never calls process.exit. Run as the package's bin,
 * this file calls it with the process's argv and streams.
 */
import fs from 'node:fs';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { abandonedNativeCalls, exitDespiteAbandonedCalls } from '../backend/qnn/deadline.js';
import { endAbandonedChildren } from './abandoned-children.js';
import { createContext } from './context.js';
import { EXIT_OK, EXIT_USAGE, exitCodeFor } from './exit-codes.js';
import { processIO, type CliIO } from './io.js';
import type { CliRuntime } from './runtime.js';
import { packageVersion } from './version.js';
import { registerInfo } from './commands/info.js';
import { registerInspect } from './commands/inspect.js';
import { registerRun } from './commands/run.js';
import { registerGenerateContext } from './commands/generate-context.js';
import { registerBenchLoad } from './commands/bench-load.js';
import { registerBenchRun } from './commands/bench-run.js';

export { EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_ENVIRONMENT, exitCodeFor } from './exit-codes.js';
export type { CliIO } from './io.js';
export type { CliRuntime } from './runtime.js';

export { packageVersion };

/** The runtime `main` uses when none is injected: native QNN, mock backend, pipeline runner. */
async function defaultRuntime(): Promise<CliRuntime> {
  const { createDefaultRuntime } = await import('./default-runtime.js');
  return createDefaultRuntime();
}

/** Builds the commander program; exported for `--help` rendering in docs and tests. */
export function buildProgram(io: CliIO, runtime: () => Promise<CliRuntime>, setExitCode: (code: number) => void): Command {
  const program = new Command('qnn-node');
  let verbose = false;
  program
    .description('Inspect, run and benchmark Qualcomm QNN context binaries from Node.js.')
    .version(packageVersion(), '-V, --version', 'print the qnn-node version')
    .option('-v, --verbose', 'print error details and stack traces')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      getOutHelpWidth: () => io.stdout.columns ?? 100,
      getErrHelpWidth: () => io.stderr.columns ?? 100,
    })
    .hook('preAction', (thisCommand) => {
      verbose = Boolean(thisCommand.opts().verbose);
    })
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 runtime failure, 2 usage error, 3 QNN libraries or addon not found / unsupported.\n' +
        'Without a file argument, inspect, run and bench use the bundled reference example, generate-context its DLC.',
    );

  const ctx = createContext(io, runtime, () => verbose, setExitCode);
  registerInfo(program, ctx);
  registerInspect(program, ctx);
  registerRun(program, ctx);
  registerGenerateContext(program, ctx);
  const bench = program
    .command('bench')
    .description('benchmarks: context load phases (bench load) and execute latency (bench run)');
  registerBenchLoad(bench, ctx);
  registerBenchRun(bench, ctx);
  return program;
}

function describeError(error: unknown, verbose: boolean): string {
  if (!(error instanceof Error)) return `qnn-node: ${String(error)}\n`;
  const code = (error as { code?: unknown }).code;
  let text = `qnn-node: ${error.message}${typeof code === 'string' ? ` [${code}]` : ''}\n`;
  if (verbose) {
    const details = (error as { details?: unknown }).details;
    if (details && typeof details === 'object' && Object.keys(details).length > 0) text += `details: ${JSON.stringify(details, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`;
    if (error.stack) text += `${error.stack}\n`;
    if (error.cause instanceof Error) text += `caused by: ${error.cause.stack ?? error.cause.message}\n`;
  }
  return text;
}

/**
 * Runs one command line (without the node and script path) and resolves to the exit code.
 * `runtime` replaces the native runtime (tests, embedding).
 */
export async function main(argv: readonly string[], io: CliIO = processIO(), runtime?: CliRuntime | (() => Promise<CliRuntime>)): Promise<number> {
  let exitCode: number = EXIT_OK;
  const getRuntime = typeof runtime === 'function' ? runtime : runtime ? () => Promise.resolve(runtime) : defaultRuntime;
  const program = buildProgram(io, getRuntime, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successes; everything commander rejects is a usage error
      // (commander has already printed its message).
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) return EXIT_OK;
      return EXIT_USAGE;
    }
    io.stderr.write(describeError(error, program.opts().verbose === true));
    return exitCodeFor(error);
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return fs.realpathSync(script) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

/** Exits with `code` once stdout and stderr have written what they hold. */
function exitWhenFlushed(code: number): void {
  endAbandonedChildren();
  // An empty write's callback runs after everything written before it (pipes are
  // asynchronous on macOS and Windows, TTYs on Windows).
  let left = 2;
  for (const s of [process.stdout, process.stderr]) s.write('', () => --left === 0 && exitDespiteAbandonedCalls(code));
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // A timed-out / aborted backend call keeps its worker thread (and the event loop)
      // until it returns, which may be never: leave once the output is flushed.
      if (abandonedNativeCalls() > 0) exitWhenFlushed(code);
    },
    (error: unknown) => {
      process.stderr.write(`qnn-node: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
