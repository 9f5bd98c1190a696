/**
 * `npm run bench [-- <section>...] [--json] [--iterations N] [--warmup N] [--min-time MS]`
 *
 * Runs every section listed below (or only the named ones) and prints a table per
 * section, or one JSON document with --json. Benchmarks are not tests: nothing here
 * fails on a slow machine. To add a section, write scripts/bench/<name>.ts (see
 * harness.ts) and add one line to SECTIONS.
 */

import { createBench, printTable, type BenchSection, type CaseResult, type MeasureOptions } from './harness.js';

const SECTIONS: Record<string, () => Promise<{ default: BenchSection }>> = {
  tensor: () => import('./tensor.js'),
  hostops: () => import('./hostops.js'),
  binding: () => import('./binding.js'),
  load: () => import('./load.js'),
  pipeline: () => import('./pipeline.js'),
  sampling: () => import('./sampling.js'),
  profiling: () => import('./profiling.js'),
  shared: () => import('./shared.js'),
};

function parseArgs(argv: string[]): { names: string[]; json: boolean; options: MeasureOptions } {
  const names: string[] = [];
  let json = false;
  const options: { iterations?: number; warmup?: number; minTimeMs?: number } = {};
  const num = (flag: string, value: string | undefined): number => {
    const n = Number(value);
    if (value === undefined || !Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a non-negative number, got ${value}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (a === '--iterations') options.iterations = num(a, argv[++i]);
    else if (a === '--warmup') options.warmup = num(a, argv[++i]);
    else if (a === '--min-time') options.minTimeMs = num(a, argv[++i]);
    else if (a === '--help' || a === '-h') {
      console.log(`usage: npm run bench -- [${Object.keys(SECTIONS).join('|')}]... [--json] [--iterations N] [--warmup N] [--min-time MS]`);
      process.exit(0);
    } else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else names.push(a);
  }
  return { names, json, options };
}

async function main(): Promise<void> {
  const { names, json, options } = parseArgs(process.argv.slice(2));
  const unknown = names.filter((n) => !(n in SECTIONS));
  if (unknown.length > 0) throw new Error(`unknown section(s) ${unknown.join(', ')}; known: ${Object.keys(SECTIONS).join(', ')}`);
  const selected = names.length > 0 ? names : Object.keys(SECTIONS);
  const all: CaseResult[] = [];
  for (const name of selected) {
    const section = (await SECTIONS[name]()).default;
    const bench = createBench(section.name, options);
    await section.run(bench);
    all.push(...bench.results);
    if (!json) printTable(`${section.name}: ${section.description}`, bench.results);
  }
  if (json) {
    const env = { node: process.version, platform: process.platform, arch: process.arch, date: new Date().toISOString() };
    console.log(JSON.stringify({ env, results: all }, null, 2));
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
