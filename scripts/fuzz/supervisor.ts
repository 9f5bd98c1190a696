/**
 * The fuzz supervisor: hands cases to worker processes one at a time, so that a native
 * crash, a hang or a memory blow-up is attributed to the case that caused it. A worker
 * runs up to `batch` cases and is then replaced; when one dies, its in-flight case is run
 * again alone in a fresh worker to tell a reproducible crash from one that needs the
 * earlier cases of the batch. Every finding's input is saved with a note and a repro line.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FINDINGS, OUTCOMES, type CaseResult, type Outcome } from './outcome.js';
import type { FromWorker, ToWorker, WorkerConfig } from './protocol.js';
import { TARGETS, type FuzzInput, type TargetName } from './targets/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');

export interface FuzzOptions {
  readonly targets: readonly TargetName[];
  /** Cases per target. */
  readonly cases: number;
  readonly seed: number;
  /** Where findings are saved (created when there is one). */
  readonly out: string;
  /** Worker processes run in parallel. */
  readonly jobs?: number;
  /** Cases per worker before it is replaced. */
  readonly batch?: number;
  /** Milliseconds one case may take. */
  readonly timeoutMs?: number;
  /** Milliseconds before a manifest run's AbortSignal fires. */
  readonly abortMs?: number;
  /** Resident memory (MB) a worker may reach while running a case. */
  readonly maxRssMb?: number;
  /** Run only these case indices (repro of a saved finding). */
  readonly only?: readonly number[];
  /** Extra environment of the workers (e.g. sanitizer settings). */
  readonly env?: Readonly<Record<string, string>>;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

export interface Finding {
  readonly target: TargetName;
  readonly seed: number;
  readonly index: number;
  readonly outcome: Outcome;
  readonly entry?: string;
  readonly code?: string;
  readonly message?: string;
  readonly note: string;
  /** The saved input. */
  readonly file: string;
  readonly repro: string;
}

export interface FuzzReport {
  readonly seed: number;
  readonly cases: number;
  readonly ms: number;
  /** Outcome counts per target. */
  readonly counts: Readonly<Record<string, Readonly<Record<Outcome, number>>>>;
  readonly findings: readonly Finding[];
}

type CaseEnd =
  | { readonly kind: 'result'; readonly result: CaseResult; readonly ms: number }
  | { readonly kind: 'died'; readonly outcome: 'crash' | 'hang' | 'memory'; readonly detail: string };

/** One worker process of one target. */
class Worker {
  readonly child: ChildProcess;
  #stderr = '';
  #waiting: ((end: CaseEnd) => void) | undefined;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly ready: Promise<void>;

  constructor(
    readonly target: TargetName,
    readonly options: FuzzOptions,
    workDir: string,
  ) {
    const config: WorkerConfig = { target, workDir, abortMs: options.abortMs ?? 500 };
    this.child = fork(path.join(here, 'worker.ts'), [], {
      cwd: repoRoot,
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...options.env, QNN_NODE_FUZZ_WORKER: JSON.stringify(config) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.#stderr = (this.#stderr + d.toString()).slice(-16_000);
    });
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (m: FromWorker): void => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'failed') reject(new Error(`the ${target} fuzz worker could not start:\n${m.message}`));
        else this.#waiting?.({ kind: 'result', result: m.result, ms: m.ms });
      };
      this.child.on('message', onMessage);
      this.child.on('exit', (code, signal) => {
        this.#exit = { code, signal };
        reject(new Error(`the ${target} fuzz worker exited before it was ready (code ${code}, signal ${signal}):\n${this.#stderr}`));
        this.#waiting?.({ kind: 'died', outcome: 'crash', detail: `worker died (code ${code}, signal ${signal})\n${this.#stderr}` });
      });
    });
    this.ready.catch(() => {});
  }

  get alive(): boolean {
    return this.#exit === undefined;
  }

  /** Runs one case; resolves with its result or with how the worker died. */
  run(message: ToWorker): Promise<CaseEnd> {
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    const maxRss = (this.options.maxRssMb ?? 2048) * 1024 * 1024;
    return new Promise((resolve) => {
      let settled = false;
      const finish = (end: CaseEnd): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearInterval(poll);
        this.#waiting = undefined;
        resolve(end);
      };
      const kill = (outcome: 'hang' | 'memory', detail: string): void => {
        this.child.kill('SIGKILL');
        finish({ kind: 'died', outcome, detail: `${detail}\n${this.#stderr}` });
      };
      const timer = setTimeout(() => kill('hang', `no result after ${timeoutMs} ms`), timeoutMs);
      const poll = setInterval(() => {
        const rss = residentBytes(this.child.pid);
        if (rss > maxRss) kill('memory', `resident memory ${Math.round(rss / 2 ** 20)} MB passed ${Math.round(maxRss / 2 ** 20)} MB`);
      }, 100);
      this.#waiting = finish;
      if (!this.alive) finish({ kind: 'died', outcome: 'crash', detail: `worker had exited\n${this.#stderr}` });
      else this.child.send(message);
    });
  }

  stderrTail(): string {
    return this.#stderr;
  }

  async close(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'exit' } satisfies ToWorker);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

function residentBytes(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096;
  } catch {
    return 0;
  }
}

function emptyCounts(): Record<Outcome, number> {
  return Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
}

function repoRelative(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

/** Saves a finding's input and notes; returns the Finding. */
function save(options: FuzzOptions, target: TargetName, index: number, result: CaseResult, extra: string): Finding {
  const t = TARGETS[target];
  let input: FuzzInput;
  try {
    input = t.generate(options.seed, index);
  } catch (error) {
    // A bug of the fuzzer's own generator: still recorded, with no input to save.
    input = { bytes: new Uint8Array(0), note: `the generator failed: ${error instanceof Error ? error.stack : String(error)}` };
  }
  const dir = path.join(options.out, target);
  mkdirSync(dir, { recursive: true });
  const stem = `${result.outcome}-s${options.seed}-c${index}`;
  const file = path.join(dir, `${stem}.${t.ext}`);
  writeFileSync(file, input.bytes);
  const repro = `npm run fuzz -- --target ${target} --replay ${repoRelative(file)}${input.base ? ` --base ${input.base}` : ''}   # or: npm run fuzz -- --target ${target} --seed ${options.seed} --case ${index}`;
  const notes = [
    `target: ${target}`,
    `seed: ${options.seed}, case: ${index}`,
    `outcome: ${result.outcome}${result.entry ? ` (in ${result.entry})` : ''}${result.code ? ` code ${result.code}` : ''}`,
    `mutation: ${input.note}`,
    ...(input.base ? [`base: ${input.base} (the manifest goes in that seed folder; see scripts/fuzz/targets/manifest-seeds.ts)`] : []),
    `repro: ${repro}`,
    '',
    result.message ?? '',
    result.stack ?? '',
    extra,
  ];
  writeFileSync(path.join(dir, `${stem}.txt`), `${notes.join('\n')}\n`);
  return {
    target,
    seed: options.seed,
    index,
    outcome: result.outcome,
    ...(result.entry ? { entry: result.entry } : {}),
    ...(result.code ? { code: result.code } : {}),
    ...(result.message ? { message: result.message.slice(0, 300) } : {}),
    note: input.note,
    file,
    repro,
  };
}

/** Runs the cases of one target on `jobs` workers. */
async function fuzzTarget(options: FuzzOptions, target: TargetName, counts: Record<Outcome, number>, findings: Finding[], scratch: string): Promise<void> {
  const queue = options.only ? [...options.only] : Array.from({ length: options.cases }, (_, i) => i);
  const total = queue.length;
  const batch = options.batch ?? 200;
  let workers = 0;
  let done = 0;
  const newWorker = async (): Promise<Worker> => {
    const dir = path.join(scratch, `${target}-${workers++}`);
    mkdirSync(dir, { recursive: true });
    const w = new Worker(target, options, dir);
    await w.ready;
    return w;
  };
  const record = (index: number, result: CaseResult, extra = ''): void => {
    counts[result.outcome]++;
    done++;
    if (FINDINGS.has(result.outcome)) {
      const f = save(options, target, index, result, extra);
      findings.push(f);
      options.log?.(`  ${target} case ${index}: ${result.outcome}${result.entry ? ` in ${result.entry}` : ''} → ${repoRelative(f.file)}`);
    }
    if (done % 100 === 0) options.log?.(`  ${target}: ${done}/${total}`);
  };
  const slot = async (): Promise<void> => {
    while (queue.length > 0) {
      const worker = await newWorker();
      const history: number[] = [];
      while (queue.length > 0 && history.length < batch && worker.alive) {
        const index = queue.shift()!;
        history.push(index);
        const end = await worker.run({ type: 'case', seed: options.seed, index });
        if (end.kind === 'result') {
          record(index, end.result);
          continue;
        }
        if (end.outcome !== 'crash') {
          record(index, { outcome: end.outcome, entry: 'worker' }, end.detail);
          break;
        }
        // Crashed: does the case crash alone, in a fresh worker?
        const alone = await newWorker();
        const again = await alone.run({ type: 'case', seed: options.seed, index });
        await alone.close();
        const reproduced = again.kind === 'died' && again.outcome === 'crash';
        const note = reproduced ? 'crashes when run alone' : `did not crash when run alone (${again.kind === 'result' ? again.result.outcome : again.outcome}); earlier cases in the crashed worker: ${history.slice(0, -1).join(', ') || 'none'}`;
        record(index, { outcome: 'crash', entry: 'worker', message: note }, end.detail);
        break;
      }
      await worker.close();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.jobs ?? 1, total)) }, slot));
}

/** Runs the fuzzer. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const start = performance.now();
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'qnn-node-fuzz-'));
  const counts: Record<string, Record<Outcome, number>> = {};
  const findings: Finding[] = [];
  try {
    for (const target of options.targets) {
      counts[target] = emptyCounts();
      options.log?.(`${target}: ${options.only ? options.only.length : options.cases} cases, seed ${options.seed}`);
      await fuzzTarget(options, target, counts[target], findings, scratch);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const report: FuzzReport = { seed: options.seed, cases: options.only ? options.only.length : options.cases, ms: Math.round(performance.now() - start), counts, findings };
  if (findings.length > 0) writeFileSync(path.join(options.out, `report-s${options.seed}.json`), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

/** Runs one saved input (a finding's file) in a supervised worker. */
export async function replay(options: FuzzOptions, target: TargetName, file: string, base?: string): Promise<CaseEnd> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'qnn-node-fuzz-'));
  try {
    const worker = new Worker(target, options, scratch);
    await worker.ready;
    const end = await worker.run({ type: 'replay', file: path.resolve(file), ...(base ? { base } : {}) });
    await worker.close();
    return end;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
