/** Where the CLI finds its own files: the package root, the bench harness, the load child. */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The package root (lib/cli/bench and dist/cli/bench are both three levels down). */
export function packageRoot(): string {
  return fileURLToPath(new URL('../../../', import.meta.url));
}

/** True when running from TypeScript sources (tsx, vitest) rather than dist/. */
export function runningFromSources(): boolean {
  return import.meta.url.endsWith('.ts');
}

/**
 * The command that starts a node process running one of the CLI's own modules: the .js
 * file under dist/, or the .ts source through tsx's loader when running from sources.
 */
export function nodeModuleCommand(moduleBase: string): { command: string; args: string[] } {
  const here = path.dirname(fileURLToPath(import.meta.url));
  if (runningFromSources()) {
    const tsx = createRequire(import.meta.url).resolve('tsx');
    return { command: process.execPath, args: ['--import', pathToFileURL(tsx).href, path.join(here, `${moduleBase}.ts`)] };
  }
  return { command: process.execPath, args: [path.join(here, `${moduleBase}.js`)] };
}

export const HARNESS_NAME = process.platform === 'win32' ? 'qnn-bench-harness.exe' : 'qnn-bench-harness';

/** Candidate locations of the C++ bench harness, in the order they are tried. */
export function benchHarnessCandidates(env: Readonly<Record<string, string | undefined>> = process.env): string[] {
  const root = packageRoot();
  return [
    ...(env.QNN_NODE_BENCH_HARNESS ? [env.QNN_NODE_BENCH_HARNESS] : []),
    path.join(root, 'build', 'Release', HARNESS_NAME),
    path.join(root, 'build', 'native', 'bench-harness', HARNESS_NAME),
    path.join(root, 'build-bench', HARNESS_NAME),
  ];
}

/** The built bench harness, or undefined. */
export function findBenchHarness(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  return benchHarnessCandidates(env).find((p) => {
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  });
}
