/**
 * The load benchmark behind `qnn-node bench load` and the `npm run bench` load section:
 * repetitions of loading each binary (fresh child process per repetition by default),
 * optionally from a cold page cache, optionally against the floor of reading the file.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { Backend } from '../../backend/types.js';
import { summarize, type Summary } from '../stats.js';
import type { LibrarySelection } from '../runtime.js';
import { loadOnce, parseChildOutput, readFloor, type LoadJob, type LoadSample } from './load-once.js';
import { coldCacheUnavailable, evictFromPageCache } from './page-cache.js';
import { nodeModuleCommand } from './paths.js';

export interface LoadBenchOptions {
  readonly repeat: number;
  readonly warmup: number;
  readonly cold: boolean;
  /** Fresh child process per repetition (default); false = in this process with `backend`. */
  readonly isolate: boolean;
  /** Also measure reading each file into memory. */
  readonly floor: boolean;
  /** Graph for the first execute; null = no execute; undefined = the first graph. */
  readonly executeGraph?: string | null;
  /** Load with QNN_CONTEXT_CONFIG_PERSISTENT_BINARY (the backend uses the binary in place). */
  readonly persistentBinary?: boolean;
  readonly libraries: LibrarySelection;
  /** Needed when !isolate. */
  readonly backend?: Backend;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Called after every repetition (progress). */
  readonly onSample?: (file: string, kind: 'load' | 'read', sample: LoadSample, warmup: boolean) => void;
}

export interface PhaseSummaries {
  readonly mapMs?: Summary;
  readonly createMs?: Summary;
  readonly retrieveMs?: Summary;
  /** Models (.dlc / model libraries): composeModel's phases and getBinary. */
  readonly composeMs?: Summary;
  readonly finalizeMs?: Summary;
  readonly serializeMs?: Summary;
  readonly loadMs: Summary;
  readonly firstExecuteMs?: Summary;
  readonly peakRssBytes: Summary;
  /** Peak resident memory above the pre-load resident size. */
  readonly peakRssDeltaBytes: Summary;
}

export interface FileLoadResult {
  readonly binary: string;
  readonly kind: 'load' | 'read';
  readonly fileBytes: number;
  readonly samples: readonly LoadSample[];
  readonly summary: PhaseSummaries;
  /** File size (10^6 bytes) over the median load time. */
  readonly mbPerSecond: number;
}

export interface LoadBenchReport {
  readonly repeat: number;
  readonly persistentBinary: boolean;
  readonly warmup: number;
  readonly isolated: boolean;
  readonly cache: 'warm' | 'cold';
  /** Set when --cold was asked for but no method can evict the page cache here. */
  readonly coldUnavailable?: string;
  readonly results: readonly FileLoadResult[];
}

function runChild(job: LoadJob, libraries: LibrarySelection, env: Readonly<Record<string, string | undefined>>): Promise<LoadSample> {
  const { command, args } = nodeModuleCommand('load-child');
  return new Promise((resolve, reject) => {
    execFile(
      command,
      [...args, JSON.stringify({ job, libraries })],
      { env: { ...process.env, ...env } as NodeJS.ProcessEnv, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        try {
          resolve(parseChildOutput(stdout, stderr, error ? ((error as { code?: number }).code ?? 1) : 0));
        } catch (e) {
          reject(e);
        }
      },
    );
  });
}

function summaries(samples: readonly LoadSample[]): PhaseSummaries {
  const pick = (f: (s: LoadSample) => number | undefined): Summary | undefined => {
    const values = samples.map(f).filter((v): v is number => v !== undefined);
    return values.length === samples.length && values.length > 0 ? summarize(values) : undefined;
  };
  const opt = (key: keyof PhaseSummaries, f: (s: LoadSample) => number | undefined) => {
    const s = pick(f);
    return s ? { [key]: s } : {};
  };
  return {
    ...opt('mapMs', (s) => s.mapMs),
    ...opt('createMs', (s) => s.createMs),
    ...opt('retrieveMs', (s) => s.retrieveMs),
    ...opt('composeMs', (s) => s.composeMs),
    ...opt('finalizeMs', (s) => s.finalizeMs),
    ...opt('serializeMs', (s) => s.serializeMs),
    loadMs: summarize(samples.map((s) => s.loadMs)),
    ...opt('firstExecuteMs', (s) => s.firstExecuteMs),
    peakRssBytes: summarize(samples.map((s) => s.peakRssBytes)),
    peakRssDeltaBytes: summarize(samples.map((s) => s.peakRssBytes - s.baselineRssBytes)),
  };
}

export async function benchLoad(binaries: readonly string[], options: LoadBenchOptions): Promise<LoadBenchReport> {
  const env = options.env ?? process.env;
  const coldUnavailable = options.cold ? coldCacheUnavailable(env) : undefined;
  const cold = options.cold && coldUnavailable === undefined;
  const results: FileLoadResult[] = [];
  const kinds: ('load' | 'read')[] = options.floor ? ['read', 'load'] : ['load'];
  for (const binary of binaries) {
    const fileBytes = fs.statSync(binary).size;
    for (const kind of kinds) {
      const samples: LoadSample[] = [];
      for (let rep = 0; rep < options.warmup + options.repeat; rep++) {
        const warm = rep < options.warmup;
        const cache = cold ? { requested: 'cold' as const, ...evictFromPageCache(binary, env) } : { requested: 'warm' as const, method: 'none' as const };
        const job: LoadJob = { binary, executeGraph: options.executeGraph, floor: kind === 'read', ...(options.persistentBinary !== undefined ? { persistentBinary: options.persistentBinary } : {}) };
        let sample: LoadSample;
        if (options.isolate) {
          sample = await runChild(job, options.libraries, env);
        } else if (kind === 'read') {
          sample = readFloor(binary, false);
        } else {
          if (!options.backend) throw new Error('benchLoad: in-process runs need a backend');
          sample = await loadOnce(options.backend, job, false);
        }
        sample = { ...sample, cache };
        options.onSample?.(binary, kind, sample, warm);
        if (!warm) samples.push(sample);
      }
      const summary = summaries(samples);
      results.push({ binary, kind, fileBytes, samples, summary, mbPerSecond: fileBytes / 1e6 / (summary.loadMs.median / 1000) });
    }
  }
  return {
    repeat: options.repeat,
    // What the contexts actually did (the backend may refuse the config), else what was asked.
    persistentBinary: results.some((r) => r.kind === 'load' && r.samples.some((s) => s.persistentBinary !== undefined))
      ? results.every((r) => r.kind !== 'load' || r.samples.every((s) => s.persistentBinary === true))
      : options.persistentBinary !== false,
    warmup: options.warmup,
    isolated: options.isolate,
    cache: cold ? 'cold' : 'warm',
    ...(coldUnavailable !== undefined ? { coldUnavailable } : {}),
    results,
  };
}
