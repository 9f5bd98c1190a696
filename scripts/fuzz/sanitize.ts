/**
 * npm run test:sanitize [-- --no-build] [--fuzz-cases N]
 *
 * The native suites under AddressSanitizer + UndefinedBehaviorSanitizer:
 *   1. builds the addon and the reference backend with -DQNN_NODE_SANITIZE=ON into
 *      build-sanitize/ (cmake-js; compile and link options, since cmake-js overwrites
 *      CMAKE_CXX_FLAGS);
 *   2. runs the reference backend's C++ tests (ctest: unit, fixtures, smoke);
 *   3. runs the vitest suites that load the addon, with QNN_NODE_ADDON and
 *      QNN_NODE_REFERENCE_DIR pointing at the sanitized build and libasan + libubsan
 *      preloaded into node;
 *   4. runs the binaries fuzzer (scripts/fuzz) on the sanitized build.
 * Sanitizer reports go to files in build-sanitize/sanitizer-reports (a report in a child
 * process a test expected to fail is still caught); the script exits 1 when a step fails
 * or any report exists. docs/hardening.md.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot, runFuzz } from './supervisor.js';

/** Test files that load the addon or the reference backend. */
// (test/reference/backend.test.ts runs the qnnref_smoke executable, which step 2 runs
// sanitized already; its guard-page checks need handle_segv=0, which node should not get.)
export const NATIVE_TEST_FILES = [
  'test/native',
  'test/cli/native.test.ts',
  'test/cli/e2e.test.ts',
  'test/cli/harness.test.ts',
  'test/pipeline/reference.test.ts',
];

const { values } = parseArgs({
  options: {
    'no-build': { type: 'boolean', default: false },
    'fuzz-cases': { type: 'string', default: '300' },
    'fuzz-seed': { type: 'string', default: '9' },
  },
});

const buildDir = path.join(repoRoot, 'build-sanitize');
const release = path.join(buildDir, 'Release');
const reports = path.join(buildDir, 'sanitizer-reports');
const started = performance.now();
const summary: string[] = [];
let failed = false;

function step(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const t = performance.now();
  process.stderr.write(`\n== ${name}: ${command} ${args.join(' ')}\n`);
  const r = spawnSync(command, args, { cwd: repoRoot, env, stdio: 'inherit' });
  const ok = r.status === 0 && r.signal === null;
  summary.push(`${ok ? 'ok  ' : 'FAIL'} ${name} (${((performance.now() - t) / 1000).toFixed(0)} s)`);
  if (!ok) failed = true;
  return ok;
}

function runtimeLibrary(name: string): string {
  const p = execFileSync('gcc', [`-print-file-name=${name}`], { encoding: 'utf8' }).trim();
  if (!path.isAbsolute(p) || !existsSync(p)) throw new Error(`gcc does not know ${name} (install g++ with its sanitizer runtimes)`);
  return p;
}

if (!values['no-build'] || !existsSync(path.join(release, 'qnn_node.node'))) {
  if (!step('build (ASan + UBSan)', 'npx', ['cmake-js', 'compile', '--out', 'build-sanitize', '--CDQNN_NODE_SANITIZE=ON'])) process.exit(1);
}

rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });
const sanitizerEnv: Record<string, string> = {
  ASAN_OPTIONS: `detect_leaks=0:abort_on_error=1:log_path=${path.join(reports, 'asan')}`,
  UBSAN_OPTIONS: `halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=${path.join(reports, 'ubsan')}`,
};
const nodeEnv: Record<string, string> = {
  ...sanitizerEnv,
  LD_PRELOAD: [runtimeLibrary('libasan.so'), runtimeLibrary('libubsan.so')].join(' '),
  QNN_NODE_ADDON: path.join(release, 'qnn_node.node'),
  QNN_NODE_REFERENCE_DIR: release,
  // Tests whose outcome ASan itself changes read this (see test/native/isolation.test.ts).
  QNN_NODE_SANITIZED: '1',
  CI: 'true',
};

// The C++ tests are sanitized executables: no preload, and leaks count. The smoke test
// checks that reads past the tables hit guard pages (a SIGSEGV in a forked child), so
// ASan leaves SIGSEGV/SIGBUS alone there; its instrumentation still catches bad accesses.
step('reference backend C++ tests (ctest)', 'ctest', ['--test-dir', path.join(buildDir, 'native', 'reference-backend'), '--output-on-failure'], {
  ...process.env,
  ...sanitizerEnv,
  ASAN_OPTIONS: `detect_leaks=1:abort_on_error=1:handle_segv=0:handle_sigbus=0:log_path=${path.join(reports, 'asan')}`,
});

const vitestJson = path.join(buildDir, 'vitest-sanitize.json');
step('native vitest suites', 'npx', ['vitest', 'run', '--pool=forks', '--testTimeout=180000', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`, ...NATIVE_TEST_FILES], { ...process.env, ...nodeEnv });
let tests = 'unknown';
try {
  const r = JSON.parse(readFileSync(vitestJson, 'utf8')) as { numTotalTests: number; numPassedTests: number; numFailedTests: number; numPendingTests: number };
  tests = `${r.numTotalTests} tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`;
} catch {
  /* vitest did not get far enough to write its report */
}

{
  const t = performance.now();
  const seed = Number(values['fuzz-seed']);
  const report = await runFuzz({
    targets: ['binaries'],
    cases: Number(values['fuzz-cases']),
    seed,
    out: path.join(buildDir, 'fuzz-findings'),
    jobs: 2,
    timeoutMs: 60_000,
    env: nodeEnv,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const c = report.counts.binaries;
  const ok = report.findings.length === 0;
  if (!ok) failed = true;
  summary.push(`${ok ? 'ok  ' : 'FAIL'} binaries fuzz, seed ${seed}: ${report.cases} cases, ${c.ok} ok, ${c.typed} typed, ${report.findings.length} findings (${((performance.now() - t) / 1000).toFixed(0)} s)`);
}

const reportFiles = readdirSync(reports);
for (const f of reportFiles) process.stderr.write(`\n== sanitizer report ${f}\n${readFileSync(path.join(reports, f), 'utf8')}`);
if (reportFiles.length > 0) failed = true;
process.stdout.write(
  `\nsanitize (ASan + UBSan), ${((performance.now() - started) / 1000).toFixed(0)} s\n${summary.join('\n')}\nvitest: ${tests}\nsanitizer reports: ${reportFiles.length}${reportFiles.length ? ` (${reports})` : ''}\n`,
);
process.exit(failed ? 1 : 0);
