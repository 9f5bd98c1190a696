/**
 * The CLI from source (lib/cli/main.ts under tsx) in a child process, for what only a real
 * process shows: exit codes, a stalled vendor call given up on, a killed child. Killed with
 * SIGKILL after `killAfterMs` so a hang fails the test instead of stalling the run.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CliChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
  /** True when the child was killed after `killAfterMs`. */
  killed: boolean;
  pid: number;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cliEntry = path.join(repoRoot, 'lib', 'cli', 'main.ts');

export function cliChild(args: string[], options: { env?: Record<string, string>; killAfterMs: number }): Promise<CliChildResult> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const env = { ...process.env, ...options.env };
    const child = spawn(process.execPath, ['--import', 'tsx', cliEntry, ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, options.killAfterMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - start, killed, pid: child.pid ?? -1 });
    });
  });
}
