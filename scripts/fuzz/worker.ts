/**
 * A fuzz worker: opens one target's runner, then runs the cases the supervisor sends, one
 * at a time, and reports each outcome. A native crash kills only this process; the
 * supervisor knows which case was running. Started by supervisor.ts with `--import tsx`.
 */
import { readFileSync } from 'node:fs';
import type { FromWorker, ToWorker, WorkerConfig } from './protocol.js';
import { TARGETS, type CaseRunner, type FuzzInput } from './targets/index.js';

const config = JSON.parse(process.env.QNN_NODE_FUZZ_WORKER ?? '{}') as WorkerConfig;
const target = TARGETS[config.target];

function send(message: FromWorker): Promise<void> {
  return new Promise((resolve) => process.send!(message, () => resolve()));
}

// An error that escapes a case (a rejected promise nobody awaited, a throw from a
// callback) is a finding of the case that was running.
let current: ((error: unknown) => void) | undefined;
process.on('uncaughtException', (error) => (current ? current(error) : process.exit(70)));
process.on('unhandledRejection', (error) => (current ? current(error) : process.exit(71)));

async function runOne(runner: CaseRunner, input: FuzzInput): Promise<void> {
  const start = performance.now();
  const escaped = new Promise<never>((_, reject) => (current = reject));
  try {
    const result = await Promise.race([runner.run(input), escaped]);
    await send({ type: 'result', result, ms: performance.now() - start });
  } catch (error) {
    const e = error as Error;
    await send({ type: 'result', result: { outcome: 'untyped', entry: 'uncaught', message: `${e?.name}: ${e?.message}`, stack: e?.stack }, ms: performance.now() - start });
  } finally {
    current = undefined;
  }
}

async function start(): Promise<void> {
  let runner: CaseRunner;
  try {
    runner = await target.open({ workDir: config.workDir, abortMs: config.abortMs });
  } catch (error) {
    await send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.exit(1);
  }
  const queue: ToWorker[] = [];
  let busy = false;
  const pump = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    for (let m = queue.shift(); m !== undefined; m = queue.shift()) {
      if (m.type === 'exit') {
        await runner.close().catch(() => {});
        process.exit(0);
      }
      // Self-test of the supervisor (test/fuzz/harness.test.ts): this case dies like a native crash.
      if (m.type === 'case' && process.env.QNN_NODE_FUZZ_CRASH_CASE === String(m.index)) process.kill(process.pid, 'SIGSEGV');
      let input: FuzzInput;
      try {
        input = m.type === 'case' ? target.generate(m.seed, m.index) : { bytes: new Uint8Array(readFileSync(m.file)), ...(m.base ? { base: m.base } : {}), note: `replay of ${m.file}` };
      } catch (error) {
        const e = error as Error;
        await send({ type: 'result', result: { outcome: 'untyped', entry: 'the fuzzer (generating the input)', message: `${e?.name}: ${e?.message}`, stack: e?.stack }, ms: 0 });
        continue;
      }
      await runOne(runner, input);
    }
    busy = false;
  };
  process.on('message', (m: ToWorker) => {
    queue.push(m);
    void pump();
  });
  await send({ type: 'ready' });
}

// Without a supervisor there is nobody to report to.
process.on('disconnect', () => process.exit(0));

void start();
