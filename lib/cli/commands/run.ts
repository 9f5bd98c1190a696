/**
 * `qnn-node run [context.bin | manifest.json]`: runs every graph of a context binary (or
 * the graphs named with --graph) once with inputs from files, prints the outputs and the
 * timings, and optionally writes the outputs as .npy and a replayable recording. A
 * manifest (.json) is handed to the pipeline runner. Without an argument: the bundled
 * reference example with generated inputs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Option, type Command } from 'commander';
import type { ComposeTimings, ContextOrigin, ContextSignature, LoadTimings, TensorMap, TensorSpec } from '../../backend/types.js';
import { QnnNodeError } from '../../errors.js';
import { writeNpySync } from '../../tensor/npy.js';
import { Tensor } from '../../tensor/Tensor.js';
import type { CommandContext } from '../context.js';
import { usageError } from '../exit-codes.js';
import { fillTensor, FILL_MODES, type FillMode } from '../fill.js';
import { assignInputs, readInputFile } from '../inputs.js';
import { collect, librarySelection, nonNegativeInt } from '../options.js';
import { formatDims, formatMs } from '../output/format.js';
import { toJson } from '../output/json.js';
import { formatTable } from '../output/table.js';
import { RecordingWriter, safeName } from '../recording.js';
import type { ManifestRunResult } from '../runtime.js';
import { normalizeSignature, readSignatureFile, selectGraphs } from '../signature.js';
import { addTargetOptions, openTarget, resolveBinary, type TargetOptions } from '../target.js';
import { nameRecord } from '../../pipeline/records.js';
import type { PerfProfile } from '../../backend/power.js';
import { addPerfProfileOption, perfRunOptions } from '../perf-profile.js';
import { addSharedMemoryOption, renderSharedMemory, sharedMemoryRunOptions } from '../shared-memory.js';
import type { SharedMemoryReport } from '../../pipeline/shared-alloc.js';
import { RunProfiler } from '../../pipeline/profiling.js';
import { renderPipelineProfile, summarizePipelineProfile, writePipelineTrace, type PipelineProfileSummary } from '../pipeline-profile.js';
import { addProfileOptions, checkProfileOptions, type ProfileCliOptions } from '../profile-output.js';

interface RunOptions extends TargetOptions, ProfileCliOptions {
  input?: string[];
  graph?: string[];
  outputDir?: string;
  record?: string;
  replay?: string;
  fill?: FillMode;
  seed: number;
  sync?: boolean;
  json?: boolean;
  head: number;
  allowRoot?: string[];
  param?: string[];
  variant?: string;
  perfProfile?: PerfProfile;
  adapter?: string;
  stageBackend?: string[];
  /** false with --no-shared-memory. */
  sharedMemory?: boolean;
}

export interface OutputSummary {
  readonly name: string;
  readonly dtype: string;
  readonly dims: readonly number[];
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  /** The first values (dequantized). */
  readonly head: readonly number[];
  /** Where the .npy was written (--output-dir). */
  readonly file?: string;
}

export interface GraphRunReport {
  readonly graph: string;
  readonly executeMs: number;
  /** Inputs and where each came from: a file, or "generated (random, seed 0)". */
  readonly inputs: readonly { readonly name: string; readonly source: string }[];
  readonly outputs: readonly OutputSummary[];
}

export interface RunReport {
  readonly binary: string;
  readonly backend: string;
  readonly mode: 'sync' | 'async';
  readonly loadTimings?: LoadTimings;
  /** Where the context came from: a binary, or a model composed on the backend. */
  readonly origin?: ContextOrigin;
  /** A model's compose / finalize phases. */
  readonly composeTimings?: ComposeTimings;
  readonly loadMs: number;
  readonly graphs: readonly GraphRunReport[];
  readonly recording?: string;
  /** --profile: per-graph and per-op summaries. */
  readonly profile?: PipelineProfileSummary;
}

function values(t: Tensor): Float64Array {
  try {
    return t.toFloat64();
  } catch {
    // Quantized without parameters: the stored integers.
    return Float64Array.from(t.data as ArrayLike<number>, Number);
  }
}

export function summarizeOutput(name: string, t: Tensor, headCount: number): OutputSummary {
  const v = values(t);
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
  }
  return { name, dtype: t.dtype, dims: [...t.dims], min, max, mean: v.length ? sum / v.length : Number.NaN, head: Array.from(v.subarray(0, headCount)) };
}

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : Number(x.toPrecision(5)).toString());

export function renderRun(report: RunReport): string {
  let out = `${report.binary} (${report.backend} backend, ${report.mode})\n`;
  const t = report.loadTimings;
  const c = report.composeTimings;
  if (report.origin && report.origin.kind !== 'binary') {
    out += `composed from a ${report.origin.kind === 'dlc' ? 'DLC' : 'model library'} on the backend (not a context binary; qnn-node generate-context saves one)\n`;
  }
  out += c
    ? `compose ${formatMs(c.totalMs)} ms (compose ${formatMs(c.composeMs)}, finalize ${formatMs(c.finalizeMs)})\n`
    : t
    ? `load ${formatMs(t.totalMs)} ms (map ${formatMs(t.mapMs)}, create ${formatMs(t.createMs)}, retrieve ${formatMs(t.retrieveMs)})\n`
    : `load ${formatMs(report.loadMs)} ms\n`;
  for (const g of report.graphs) {
    out += `\nGraph ${g.graph}: execute ${formatMs(g.executeMs)} ms\n`;
    for (const i of g.inputs) out += `  input ${i.name}: ${i.source}\n`;
    out += formatTable(
      ['output', 'dtype', 'shape', { header: 'min', align: 'right' }, { header: 'max', align: 'right' }, { header: 'mean', align: 'right' }, 'first values', ...(g.outputs.some((o) => o.file) ? ['file'] : [])],
      g.outputs.map((o) => [o.name, o.dtype, formatDims(o.dims), fmt(o.min), fmt(o.max), fmt(o.mean), o.head.map(fmt).join(' '), o.file]),
    );
  }
  if (report.recording) out += `\nrecorded to ${report.recording}\n`;
  return out;
}

export interface ManifestReport {
  readonly manifest: string;
  readonly text: string;
  readonly tokens: readonly number[];
  readonly outputs: Readonly<Record<string, unknown>>;
  readonly timings: ManifestRunResult['timings'];
  readonly recording?: string;
  /** --profile: per-stage and per-op summaries (lib/cli/pipeline-profile.ts). */
  readonly profile?: PipelineProfileSummary;
  /** The LoRA adapter in effect at the end, per context that declares adapters. */
  readonly adapters?: Readonly<Record<string, string | null>>;
  /** What the run allocated in shared memory (result.sharedMemory). */
  readonly sharedMemory?: SharedMemoryReport;
}

function describeValue(name: string, value: unknown, headCount: number, outputDir: string | undefined): unknown {
  if (value instanceof Tensor) {
    const summary = summarizeOutput(name, value, headCount);
    if (!outputDir) return summary;
    const file = path.join(outputDir, `${safeName(name)}.npy`);
    writeNpySync(file, value);
    return { ...summary, file };
  }
  if (outputDir && typeof value === 'string') {
    const file = path.join(outputDir, `${safeName(name)}.txt`);
    fs.writeFileSync(file, value);
  }
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
  return value;
}

function renderManifest(report: ManifestReport, streamed: boolean): string {
  let out = '';
  if (report.text && !streamed) out += `${report.text}\n`;
  if (streamed) out += '\n';
  const rows = Object.entries(report.outputs).map(([name, v]) => {
    const o = v as Partial<OutputSummary>;
    if (o && typeof o === 'object' && 'dtype' in o && o.dims && o.head) {
      return [name, o.dtype, formatDims(o.dims), o.head.map(fmt).join(' '), o.file];
    }
    return [name, typeof v, '', typeof v === 'string' ? v.slice(0, 60) : JSON.stringify(v)?.slice(0, 60), undefined];
  });
  if (rows.length > 0) out += `\n${formatTable(['output', 'type', 'shape', 'value', ...(rows.some((r) => r[4]) ? ['file'] : [])], rows)}`;
  const t = report.timings;
  out += `\ntotal ${formatMs(t.totalMs)} ms (graphs ${formatMs(t.graphMs)}, host ops ${formatMs(t.hostMs)}, overhead ${formatMs(t.overheadMs)})\n`;
  out += formatTable(
    ['step', 'kind', 'name', { header: 'calls', align: 'right' }, { header: 'total ms', align: 'right' }, { header: 'mean ms', align: 'right' }, { header: 'max ms', align: 'right' }],
    t.steps.map((s) => [s.path, s.kind, s.name, s.calls, formatMs(s.totalMs), formatMs(s.meanMs), formatMs(s.maxMs)]),
  );
  if (report.adapters) out += `\nadapters: ${Object.entries(report.adapters).map(([c, a]) => `${c}=${a ?? '(base)'}`).join(', ')}\n`;
  if (report.sharedMemory) out += renderSharedMemory(report.sharedMemory);
  if (report.recording) out += `\nrecorded to ${report.recording}\n`;
  return out;
}

async function runManifestCommand(ctx: CommandContext, manifest: string, opts: RunOptions): Promise<void> {
  // Null prototype: `--input __proto__=x` names an input like any other.
  const inputs = nameRecord<string>();
  for (const spec of opts.input ?? []) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw usageError(`--input ${JSON.stringify(spec)}: a manifest takes name=value inputs`);
    inputs[spec.slice(0, eq)] = spec.slice(eq + 1);
  }
  const stageBackends = nameRecord<string>();
  for (const spec of opts.stageBackend ?? []) {
    const eq = spec.indexOf('=');
    if (eq <= 0 || eq === spec.length - 1) throw usageError(`--stage-backend ${JSON.stringify(spec)}: expected name=library (a name of the manifest's backends)`);
    const lib = spec.slice(eq + 1);
    // A path is resolved here; a bare name ('reference', libQnnCpu.so) is searched like --backend.
    stageBackends[spec.slice(0, eq)] = /[\\/]/.test(lib) ? ctx.resolve(lib) : lib;
  }
  const params = nameRecord<string>();
  for (const spec of opts.param ?? []) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw usageError(`--param ${JSON.stringify(spec)}: expected name=value (the value as JSON, or text)`);
    params[spec.slice(0, eq)] = spec.slice(eq + 1);
  }
  if (opts.graph !== undefined || opts.fill !== undefined || opts.sync) throw usageError('--graph, --fill and --sync apply to context binaries; a manifest names its own graphs and inputs');
  const allowedRoots = (opts.allowRoot ?? []).map((dir) => ctx.resolve(dir));
  for (const [i, dir] of allowedRoots.entries()) {
    if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw usageError(`--allow-root ${JSON.stringify(opts.allowRoot![i])}: not a folder`);
  }
  const runtime = await ctx.runtime();
  const streamed = !opts.json;
  let wroteText = false;
  const record = opts.record !== undefined ? ctx.resolve(opts.record) : undefined;
  const result = await runtime.runManifest(manifest, {
    inputs,
    resolve: ctx.resolve,
    seed: opts.seed,
    ...(opts.param !== undefined ? { params } : {}),
    ...(allowedRoots.length ? { allowedRoots } : {}),
    ...(opts.variant !== undefined ? { variant: opts.variant } : {}),
    ...(opts.adapter !== undefined ? { adapter: opts.adapter } : {}),
    ...(opts.stageBackend !== undefined ? { stageBackends } : {}),
    ...(record !== undefined ? { record } : {}),
    ...perfRunOptions(opts.perfProfile),
    ...(opts.profile !== undefined ? { profile: opts.profile } : {}),
    ...sharedMemoryRunOptions(opts.sharedMemory),
    backend:
      opts.mock !== undefined || opts.replay !== undefined
        ? {
            kind: 'mock',
            // A bare --mock: the manifest's own signatures (inline or its contexts' signature files).
            ...(typeof opts.mock === 'string' ? { signature: readSignatureFile(ctx.resolve(opts.mock)) } : {}),
            ...(opts.replay !== undefined ? { recording: ctx.resolve(opts.replay) } : {}),
          }
        : { kind: 'qnn', ...librarySelection(opts) },
    ...(streamed
      ? {
          onText: (text: string) => {
            wroteText = true;
            ctx.io.stdout.write(text);
          },
        }
      : {}),
  });
  const outputDir = opts.outputDir !== undefined ? ctx.resolve(opts.outputDir) : undefined;
  if (outputDir) fs.mkdirSync(outputDir, { recursive: true });
  const report: ManifestReport = {
    manifest,
    text: result.text,
    tokens: result.tokens,
    outputs: Object.fromEntries(Object.entries(result.outputs).map(([k, v]) => [k, describeValue(k, v, opts.head, outputDir)])),
    timings: result.timings,
    ...(record !== undefined ? { recording: record } : {}),
    ...(result.profile ? { profile: summarizePipelineProfile(result.profile) } : {}),
    ...(result.adapters ? { adapters: result.adapters } : {}),
    ...(result.sharedMemory ? { sharedMemory: result.sharedMemory } : {}),
  };
  ctx.io.stdout.write(opts.json ? toJson(report) : renderManifest(report, wroteText));
  if (result.profile && !opts.json) ctx.io.stdout.write(renderPipelineProfile(report.profile!));
  if (result.profile && opts.trace) await writePipelineTrace(ctx.resolve(opts.trace), result.profile, manifest);
}

export function registerRun(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('run')
    .description('run a context binary (every graph, or --graph) or a pipeline manifest (.json); default: the bundled reference example')
    .argument('[target]', 'context binary (.bin), model (.dlc or model library .so/.dll: composed on the backend first) or pipeline manifest (.json)')
    .option('-i, --input <name=file>', 'input from .npy, .raw/.bin (dtype and shape from the graph), .png/.jpg, .txt/.csv or .json; repeatable; graph/name=file for one graph', collect)
    .option('-g, --graph <name>', 'run only this graph (repeatable; default: every graph)', collect)
    .option('-o, --output-dir <dir>', 'write every output as <graph>.<output>.npy')
    .option('--record <dir>', 'write a recording (inputs, outputs, index.json, signature.json) the mock backend can replay')
    .option('--replay <dir>', 'run on the mock backend, answering from a recording (binaries: with --mock; manifests: alone)')
    .addOption(new Option('--fill <mode>', 'generate inputs not given with --input (default for the bundled example: random)').choices([...FILL_MODES]))
    .option('--seed <n>', 'seed of generated inputs (binaries) or of sampling (manifests)', nonNegativeInt, 0)
    .option('--sync', 'execute with runSync on this thread instead of run (worker thread)')
    .option('--head <n>', 'how many leading values of each output to print', nonNegativeInt, 8)
    .option('--json', 'print the report as JSON')
    .option('--allow-root <dir>', "manifests: also allow files under this folder (default: only the manifest's own folder); repeatable", collect)
    .option('--param <name=value>', 'manifests: override a manifest param (value as JSON when it parses, else text; same type as the default); repeatable', collect)
    .option('--variant <name>', "manifests: the variant to run (e.g. fp32; default: the manifest's defaultVariant)")
    .option('--stage-backend <name=lib>', "manifests: load the manifest's backend <name> from this library (a path; default: the library the manifest names, found like --backend); repeatable", collect)
    .option('--adapter <name>', 'manifests: the LoRA adapter (a name in contexts.<c>.adapters) for every context that declares it; steps naming their own win');
  addPerfProfileOption(cmd, "HTP performance profile of every graph run (manifests: replaces the manifest's perfProfile; steps naming their own keep it)");
  addProfileOptions(cmd);
  cmd.option('--no-profile', "manifests: no profiling for this run even when the manifest's profile asks for it");
  addSharedMemoryOption(cmd);
  addTargetOptions(cmd, { optionalSignature: true }).action(async (argument: string | undefined, opts: RunOptions) => {
    checkProfileOptions(opts);
    let file = argument;
    // `run --mock manifest.json`: the optional value took the manifest.
    if (file === undefined && typeof opts.mock === 'string' && isPipelineManifest(ctx.resolve(opts.mock))) [file, opts.mock] = [opts.mock, true];
    const isManifest = file !== undefined && path.extname(file).toLowerCase() === '.json';
    if (isManifest && (opts.priority ?? opts.graphPriority) !== undefined) throw usageError('--priority and --graph-priority apply to context binaries, not manifests');
    if (isManifest) return runManifestCommand(ctx, ctx.resolve(file!), opts);
    if (opts.allowRoot !== undefined) throw usageError('--allow-root applies to pipeline manifests (.json)');
    if (opts.param !== undefined) throw usageError('--param applies to pipeline manifests (.json)');
    if (opts.variant !== undefined) throw usageError('--variant applies to pipeline manifests (.json)');
    if (opts.adapter !== undefined) throw usageError('--adapter applies to pipeline manifests (.json); for a binary use ctx.applyBinarySection / ctx.useAdapter');
    if (opts.sharedMemory === false) throw usageError('--no-shared-memory applies to pipeline manifests (.json)');
    if (opts.stageBackend !== undefined) throw usageError('--stage-backend applies to pipeline manifests (.json)');
    if (opts.replay !== undefined && opts.mock === undefined) throw usageError('--replay needs --mock <signature.json>');
    const binary = await resolveBinary(ctx, file);
    const fill: FillMode | undefined = opts.fill ?? (file === undefined ? 'random' : undefined);
    const t0 = performance.now();
    const target = await openTarget(ctx, binary, { ...opts, ...(opts.replay !== undefined ? { replay: ctx.resolve(opts.replay) } : {}) });
    const loadMs = performance.now() - t0;
    try {
      const full: ContextSignature = normalizeSignature(
        { format: 'qnn-node-signature', version: 1, graphs: target.context.graphs.map((g) => ({ name: g.name, inputs: g.inputs, outputs: g.outputs })) },
        binary,
      );
      const selected = selectGraphs(full, opts.graph);
      const assignments = assignInputs(opts.input ?? [], selected.graphs, ctx.resolve);
      const recorder = opts.record !== undefined ? new RecordingWriter(ctx.resolve(opts.record), path.basename(binary)) : undefined;
      const outputDir = opts.outputDir !== undefined ? ctx.resolve(opts.outputDir) : undefined;
      if (outputDir) fs.mkdirSync(outputDir, { recursive: true });
      const graphs: GraphRunReport[] = [];
      // --profile: each graph's run is profiled like a pipeline step (lib/pipeline/profiling.ts).
      const profiler = opts.profile ? new RunProfiler(opts.profile, performance.now()) : undefined;
      for (const sig of selected.graphs) {
        const graph = target.context.graph(sig.name);
        const inputs = nameRecord<Tensor>() as TensorMap; // input names come from the binary
        const sources: { name: string; source: string }[] = [];
        for (const spec of graph.inputs) {
          const given = assignments.find((a) => a.graph === sig.name && a.input === spec.name);
          if (given) {
            inputs[spec.name] = readInputFile(given.file, spec);
            sources.push({ name: spec.name, source: given.file });
          } else if (fill) {
            inputs[spec.name] = fillTensor(spec, fill, opts.seed);
            sources.push({ name: spec.name, source: `generated (${fill}${fill === 'random' ? `, seed ${opts.seed}` : ''})` });
          } else {
            throw missingInput(sig.name, spec, graph.inputs);
          }
        }
        const e0 = performance.now();
        const perf = perfRunOptions(opts.perfProfile);
        const runOptions = profiler ? profiler.graphOptions(perf) : perf;
        const outputs = opts.sync ? graph.runSync(inputs, runOptions) : await graph.run(inputs, runOptions);
        const executeMs = performance.now() - e0;
        profiler?.graphDone('graph', sig.name, [], e0, executeMs);
        recorder?.add(sig.name, inputs, outputs, executeMs);
        const summaries = graph.outputs.map((spec) => {
          const t = outputs[spec.name];
          const summary = summarizeOutput(spec.name, t, opts.head);
          if (!outputDir) return summary;
          const out = path.join(outputDir, `${safeName(sig.name)}.${safeName(spec.name)}.npy`);
          writeNpySync(out, t);
          return { ...summary, file: out };
        });
        graphs.push({ graph: sig.name, executeMs, inputs: sources, outputs: summaries });
      }
      recorder?.finish(full);
      const report: RunReport = {
        binary,
        backend: target.backend.kind,
        mode: opts.sync ? 'sync' : 'async',
        ...(target.context.loadTimings && !target.context.composeTimings ? { loadTimings: target.context.loadTimings } : {}),
        ...(target.context.origin ? { origin: target.context.origin } : {}),
        ...(target.context.composeTimings ? { composeTimings: target.context.composeTimings } : {}),
        loadMs,
        graphs,
        ...(recorder ? { recording: recorder.dir } : {}),
        ...(profiler ? { profile: summarizePipelineProfile(profiler.result()) } : {}),
      };
      ctx.io.stdout.write(opts.json ? toJson(report) : renderRun(report));
      if (report.profile && !opts.json) ctx.io.stdout.write(renderPipelineProfile(report.profile));
      if (profiler && opts.trace) await writePipelineTrace(ctx.resolve(opts.trace), profiler.result(), binary);
    } finally {
      await target.close();
    }
  });
}

/** Whether a file is a pipeline manifest (not a signature JSON): its "format" says so. */
function isPipelineManifest(file: string): boolean {
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { format?: unknown })?.format === 'qnn-node-pipeline';
  } catch {
    return false;
  }
}

function missingInput(graph: string, spec: TensorSpec, all: readonly TensorSpec[]): QnnNodeError {
  return new QnnNodeError(
    'MISSING_INPUT',
    `Graph ${graph} needs input ${spec.name} (${spec.dtype} ${formatDims(spec.dims)}); give --input ${spec.name}=<file> or --fill random|zeros|ones`,
    { details: { graph, input: spec.name, inputs: all.map((s) => s.name) } },
  );
}
