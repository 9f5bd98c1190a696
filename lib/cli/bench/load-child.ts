/**
 * Child process of `qnn-node bench load`: one repetition in a fresh process, so the peak
 * resident memory it reports belongs to that load alone. Argument: the job as JSON
 * ({ job, libraries }). Prints one line `QNN_NODE_BENCH_RESULT {"sample": …}` or
 * `… {"error": {code, message}}`.
 */
import process from 'node:process';
import type { LibrarySelection } from '../runtime.js';
import { loadOnce, readFloor, RESULT_MARKER, type LoadJob } from './load-once.js';

interface ChildArgs {
  readonly job: LoadJob;
  readonly libraries: LibrarySelection;
}

async function child(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as ChildArgs;
  try {
    if (args.job.floor) {
      process.stdout.write(`${RESULT_MARKER}${JSON.stringify({ sample: readFloor(args.job.binary, true) })}\n`);
      return;
    }
    const { createDefaultRuntime } = await import('../default-runtime.js');
    const runtime = await createDefaultRuntime();
    const backend = await runtime.openBackend({ kind: 'qnn', ...args.libraries }, args.job.binary);
    try {
      const sample = await loadOnce(backend, args.job, true);
      process.stdout.write(`${RESULT_MARKER}${JSON.stringify({ sample })}\n`);
    } finally {
      await backend.dispose();
    }
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown; details?: unknown };
    const code = typeof e.code === 'string' ? e.code : 'QNN_ERROR';
    process.stdout.write(
      `${RESULT_MARKER}${JSON.stringify({ error: { code, message: String(e.message ?? error), details: e.details ?? {} } }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`,
    );
    process.exitCode = 1;
  }
}

void child();
