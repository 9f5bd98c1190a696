/**
 * npm run fuzz -- --cases N [--seed S] [--target binaries|manifests|npy|sections|all] [--out dir]
 *
 * Mutated reference binaries, manifests and .npy files through qnn-node's entry points,
 * each case in a supervised worker process (scripts/fuzz/supervisor.ts). Prints the
 * outcome counts per target and every finding (crash, hang, memory, escape, untyped
 * error) with its saved input; exits 1 when there is a finding. docs/hardening.md.
 */
import { parseArgs } from 'node:util';
import { FINDINGS, OUTCOMES } from './outcome.js';
import { replay, runFuzz, type FuzzOptions } from './supervisor.js';
import { TARGET_NAMES, type TargetName } from './targets/types.js';

const USAGE = `usage: npm run fuzz -- [--cases N] [--seed S] [--target binaries|manifests|npy|sections|all] [--out dir]
                       [--jobs N] [--batch N] [--timeout ms] [--abort-ms ms] [--max-rss-mb MB] [--json]
       npm run fuzz -- --target T --seed S --case I[,I...]    run chosen cases again
       npm run fuzz -- --target T --replay file [--base B]   run a saved input`;

function int(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) {
    process.stderr.write(`Expected an integer >= ${min} for --${name} but received ${JSON.stringify(value)}\n${USAGE}\n`);
    process.exit(2);
  }
  return n;
}

const { values } = parseArgs({
  options: {
    cases: { type: 'string' },
    seed: { type: 'string' },
    target: { type: 'string', default: 'all' },
    out: { type: 'string', default: 'fuzz-crashes' },
    jobs: { type: 'string' },
    batch: { type: 'string' },
    timeout: { type: 'string' },
    'abort-ms': { type: 'string' },
    'max-rss-mb': { type: 'string' },
    case: { type: 'string', multiple: true },
    replay: { type: 'string' },
    base: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const targets: TargetName[] = values.target === 'all' ? [...TARGET_NAMES] : values.target.split(',').map((t) => t.trim() as TargetName);
for (const t of targets) {
  if (!TARGET_NAMES.includes(t)) {
    process.stderr.write(`Expected one of ${TARGET_NAMES.join(', ')}, all for --target but received ${JSON.stringify(t)}\n${USAGE}\n`);
    process.exit(2);
  }
}
const only = values.case?.flatMap((c) => c.split(',')).map((c) => int('case', c, 0));
const options: FuzzOptions = {
  targets,
  cases: int('cases', values.cases, 1000, 1),
  seed: int('seed', values.seed, 1),
  out: values.out,
  jobs: int('jobs', values.jobs, 2, 1),
  batch: int('batch', values.batch, 200, 1),
  timeoutMs: int('timeout', values.timeout, 10_000, 100),
  abortMs: int('abort-ms', values['abort-ms'], 500, 1),
  maxRssMb: int('max-rss-mb', values['max-rss-mb'], 2048, 64),
  ...(only ? { only } : {}),
  log: (line) => process.stderr.write(`${line}\n`),
};

if (values.replay !== undefined) {
  if (targets.length !== 1) {
    process.stderr.write(`--replay needs one --target\n${USAGE}\n`);
    process.exit(2);
  }
  const end = await replay(options, targets[0], values.replay, values.base);
  const outcome = end.kind === 'result' ? end.result.outcome : end.outcome;
  process.stdout.write(`${JSON.stringify(end.kind === 'result' ? { ...end.result, ms: Math.round(end.ms) } : end, null, 2)}\n`);
  process.exit(FINDINGS.has(outcome) ? 1 : 0);
}

const report = await runFuzz(options);
if (values.json) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  const rows = Object.entries(report.counts).map(([t, c]) => [t, ...OUTCOMES.map((o) => String(c[o]))]);
  const header = ['target', ...OUTCOMES];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  process.stdout.write(`seed ${report.seed}, ${report.cases} cases per target, ${(report.ms / 1000).toFixed(1)} s\n${line(header)}\n${rows.map(line).join('\n')}\n`);
  for (const f of report.findings) process.stdout.write(`\n${f.outcome} ${f.target} case ${f.index}${f.entry ? ` (${f.entry})` : ''}${f.code ? ` ${f.code}` : ''}: ${f.message ?? ''}\n  input: ${f.file}\n  repro: ${f.repro}\n`);
  process.stdout.write(report.findings.length === 0 ? '\nno findings\n' : `\n${report.findings.length} finding(s) saved in ${options.out}\n`);
}
process.exit(report.findings.length > 0 ? 1 : 0);
