/**
 * Runs the model probe (native/reference-backend/test/model_probe.cc) and parses its JSON
 * lines. Used by test/reference/models.test.ts and the model conformance tests.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../..');

const candidates = [
  process.env.QNNREF_MODEL_PROBE,
  join(repoRoot, 'build/native/reference-backend/qnnref_model_probe'),
  join(repoRoot, 'build-ref/qnnref_model_probe'),
  join(repoRoot, 'build/Release/qnnref_model_probe'),
].filter((p): p is string => typeof p === 'string' && p.length > 0);

/** The probe executable, or undefined when it was not built. */
export const modelProbe: string | undefined = candidates.find((p) => existsSync(p));
export const modelProbeCandidates = candidates;

export interface ProbeTensor {
  version: number;
  id: number;
  name: string;
  type: number;
  dtype: string;
  dims: number[];
  quant: null | { encoding: string; scale?: number; offset?: number; axis?: number; scales?: number[]; offsets?: number[] };
  data?: string;
}
export interface ProbeParam {
  name: string;
  scalar?: { dtype: string; value: number };
  tensor?: ProbeTensor;
}
export interface ProbeOp {
  name: string;
  package: string;
  type: string;
  inputs: string[];
  inputIds: number[];
  outputs: string[];
  params: ProbeParam[];
}
export interface ProbeGraphInfo {
  name: string;
  inputs: ProbeTensor[];
  outputs: ProbeTensor[];
}
export type ProbeEvent =
  | { event: 'entryPoints'; composeGraphs: boolean; composeGraphsFromDlc: boolean; freeGraphsInfo: boolean }
  | { event: 'backend'; provider: string; backendId: number; core: string; backendApi: string }
  | { event: 'buildId'; id: string }
  | { event: 'setup'; rc: number; ms: number }
  | { event: 'log' | 'backendLog'; level: number; message: string }
  | { event: 'graphCreate'; graph: string; configs: number }
  | { event: 'tensorCreateGraphTensor'; graph: string; tensor: ProbeTensor }
  | { event: 'backendValidateOpConfig'; op: ProbeOp; accepted: boolean }
  | { event: 'graphAddNode'; graph: string; op: ProbeOp }
  | { event: 'compose'; rc: number; slots: number; ms: number; graphs: ProbeGraphInfo[] }
  | { event: 'finalize'; graph: string; rc: number; ms: number }
  | {
      event: 'execute';
      graph: string;
      rc: number;
      ms: number;
      inputs: { name: string; values: number[] }[];
      outputs: { name: string; values: number[] }[];
    }
  | { event: 'binary'; rc: number; size: number }
  | { event: 'free'; rc: number; cleared: boolean }
  | { event: 'error'; stage: string; message?: string }
  | { event: 'done' };

export interface ProbeRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  events: ProbeEvent[];
  stdout: string;
  stderr: string;
  of<K extends ProbeEvent['event']>(kind: K): Extract<ProbeEvent, { event: K }>[];
  compose(): Extract<ProbeEvent, { event: 'compose' }>;
}

export function runProbe(args: string[], env: Record<string, string | undefined> = {}, options: { cwd?: string; command?: string[] } = {}): ProbeRun {
  const command = options.command ?? [modelProbe!];
  const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete merged[k];
  const r = spawnSync(command[0], [...command.slice(1), ...args], { encoding: 'utf8', env: merged, cwd: options.cwd, timeout: 120_000, maxBuffer: 64 << 20 });
  const events: ProbeEvent[] = [];
  for (const line of (r.stdout ?? '').split('\n')) {
    const t = line.trim();
    if (t.startsWith('{')) events.push(JSON.parse(t) as ProbeEvent);
  }
  const run: ProbeRun = {
    status: r.status,
    signal: r.signal,
    events,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
    of: (kind) => events.filter((e) => e.event === kind) as never,
    compose: () => {
      const c = events.find((e) => e.event === 'compose');
      if (!c) throw new Error(`the probe printed no compose event (status ${r.status}):\n${r.stdout}\n${r.stderr}`);
      return c as Extract<ProbeEvent, { event: 'compose' }>;
    },
  };
  return run;
}

/** Bytes of a hex string (the probe prints static data as hex). */
export function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
