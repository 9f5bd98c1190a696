/**
 * The pipeline runner: loads a manifest on any Backend (load.ts: files checked before
 * anything loads; contexts on their own backends), then runs it — graph steps, host ops, loops — streaming token and step events,
 * honouring an AbortSignal, timing every step and optionally recording every graph call.
 *
 * Zero-copy rules: graph outputs are written into the tensors already bound to their
 * value names when the pipeline allocated them with the same dtype and dims (so a KV
 * cache or a decode-step input is allocated once per run, not once per token); values
 * the caller passed in are never written to (they are copied first when an op writes in
 * place); `reshape` returns views that share memory with their source.
 */
import { DisposedError, QnnNodeError, invalidArg } from '../errors.js';
import type { Backend, Context } from '../backend/types.js';
import type { PipelineAssets } from './assets.js';
import { bindInputs, resolveParams, type PipelineInputs } from './bind.js';
import { loopCountParams, type Node } from './compile.js';
import { adaptersInEffect, checkRunAdapter } from './adapters.js';
import type { PipelineEvent, PipelineResult } from './events.js';
import type { PipelineValue } from './hostops.js';
import type { PipelineManifest } from './manifest.js';
import type { PipelineLimits } from './limits.js';
import type { PathPolicy } from './paths.js';
import { RunState, abortError } from './run-state.js';
import { eventStream } from './stream.js';
import type { StaticTypeCheck, GraphInputType } from './typecheck.js';
import { runPerfProfile } from './power.js';
import type { PerfProfile } from '../backend/power.js';
import { nameRecord } from './records.js';
import { RunProfiler, runProfileLevel } from './profiling.js';
import type { ProfileLevel } from '../profile/types.js';
import { SharedRunAllocator, graphFedValues, sharedMemoryMode, type SharedMemoryMode } from './shared-alloc.js';
import { loadPipeline, type LoadedPipeline, type PipelineOptions } from './load.js';
import type { StageBackends } from './backends.js';
import type { ContextLoadInfo } from './model-contexts.js';

export type { PipelineOptions } from './load.js';
export type { ContextLoadInfo } from './model-contexts.js';
export type { PipelineInputs } from './bind.js';

export interface PipelineRunOptions {
  readonly signal?: AbortSignal;
  /** Overrides of the manifest's params. */
  readonly params?: Readonly<Record<string, unknown>>;
  /** Seed of every PRNG in the run (sampling, noise); default 0. */
  readonly seed?: number;
  /** A folder to record every graph call into (.npy per tensor + index.json). */
  readonly record?: string;
  /** Called for every event (token, step, done) as it happens. */
  readonly onEvent?: (event: PipelineEvent) => void;
  /** Replaces the manifest's perfProfile for this run (graph steps naming their own keep it). */
  readonly perfProfile?: PerfProfile;
  /**
   * Profile every graph step (QNN profile API); default: the manifest's `profile`; false:
   * no profiling even when the manifest asks. The events are in result.profile.
   */
  readonly profile?: ProfileLevel | false;
  /** The LoRA adapter for every context that declares it (null: the base weights); steps' own `adapter` wins (docs/adapters.md). */
  readonly adapter?: string | null;
  /** Replaces the manifest's sharedMemory for this run ('off': plain tensors only). */
  readonly sharedMemory?: SharedMemoryMode;
}

export class Pipeline implements AsyncDisposable {
  /** The manifest with the selected variant applied. */
  readonly manifest: PipelineManifest;
  /** The selected variant (undefined for a manifest without variants). */
  readonly variant: string | undefined;
  readonly baseDir: string;
  readonly backend: Backend;
  /** Milliseconds spent loading (validation, file checks, assets, contexts). */
  readonly loadMs: number;
  private readonly contexts: ReadonlyMap<string, Context>;
  private readonly assets: PipelineAssets;
  private readonly files: PathPolicy;
  /** Params used as loop counts: overrides must be whole numbers. */
  private readonly countParams: ReadonlyMap<string, string>;
  /** The limits in force (the caller's over the defaults). */
  readonly limits: Required<PipelineLimits>;
  private readonly nodes: readonly Node[];
  private readonly types: StaticTypeCheck;
  private readonly nodeCount: number;
  /** Values bound to a graph input: what shared memory holds (lib/pipeline/shared-alloc.ts). */
  private readonly graphFed: ReadonlySet<string>;
  private readonly active = new Set<AbortController>();
  private disposed = false;

  /** How each context was loaded: its backend name, binary or model, the first-run cache's outcome (lib/pipeline/model-contexts.ts). */
  readonly contextLoads: Readonly<Record<string, ContextLoadInfo>>;
  /** The default backend and the manifest's named ones (lib/pipeline/backends.ts). */
  private readonly backends: StageBackends;

  private constructor(init: LoadedPipeline) {
    this.types = init.types;
    this.files = init.files;
    this.countParams = loopCountParams(init.nodes);
    this.limits = init.limits;
    this.manifest = init.manifest;
    this.variant = init.variant;
    this.baseDir = init.baseDir;
    this.backend = init.backends.fallback;
    this.backends = init.backends;
    this.contexts = init.contexts;
    this.contextLoads = init.contextLoads;
    this.assets = init.assets;
    this.nodes = init.nodes;
    this.nodeCount = init.nodeCount;
    this.graphFed = graphFedValues(init.nodes);
    this.loadMs = init.loadMs;
  }

  /**
   * Validates the manifest (MANIFEST_INVALID), checks every file it names (ASSET_MISSING /
   * ASSET_INVALID), opens assets, loads the contexts on `options.backend` and checks every
   * graph step's bindings against the graphs' signatures — all before anything runs.
   */
  static async load(manifest: string | PipelineManifest | Record<string, unknown>, options: PipelineOptions): Promise<Pipeline> {
    return new Pipeline(await loadPipeline(manifest, options));
  }

  /** The backend a manifest backend name stands for (opened on first use; lib/pipeline/backends.ts). */
  namedBackend(name: string): Promise<Backend> {
    if (this.disposed) throw new DisposedError('Pipeline');
    if (!Object.hasOwn(this.manifest.backends ?? {}, name)) throw invalidArg(`a backend of the manifest (${Object.keys(this.manifest.backends ?? {}).join(', ') || 'none'})`, 'name', name);
    return this.backends.named(name);
  }

  /** A loaded context by manifest name. */
  context(name: string): Context {
    if (this.disposed) throw new DisposedError('Pipeline');
    const c = this.contexts.get(name);
    if (!c) throw invalidArg(`a context of the manifest (${[...this.contexts.keys()].join(', ')})`, 'name', name);
    return c;
  }

  /** Runs the pipeline to the end; events go to `options.onEvent`. */
  async run(inputs: PipelineInputs = {}, options: PipelineRunOptions = {}): Promise<PipelineResult> {
    return this.execute(inputs, options, options.onEvent, options.onEvent !== undefined);
  }

  /**
   * Runs the pipeline as an async iterator of events: token events as they are sampled,
   * a step event after every step, then one done event with the result. Leaving the loop
   * early (break / return) aborts the run.
   */
  stream(inputs: PipelineInputs = {}, options: PipelineRunOptions = {}): AsyncIterableIterator<PipelineEvent> {
    return eventStream((signal, push) => this.execute(inputs, { ...options, signal }, push, true), options);
  }

  private async execute(
    inputs: PipelineInputs,
    options: PipelineRunOptions,
    listener: ((e: PipelineEvent) => void) | undefined,
    stepEvents: boolean,
  ): Promise<PipelineResult> {
    if (this.disposed) throw new DisposedError('Pipeline');
    if (typeof options !== 'object' || options === null) throw invalidArg('an options object', 'options', options);
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed)) throw invalidArg('an integer', 'options.seed', seed);
    const profileLevel = runProfileLevel(options.profile, this.manifest.profile);
    const shared = new SharedRunAllocator(this.backend, this.graphFed, sharedMemoryMode(options.sharedMemory, this.manifest.sharedMemory));
    const params = resolveParams(this.manifest, options.params, this.countParams, this.limits);
    const adapter = checkRunAdapter(this.manifest, options.adapter);
    if (options.params !== undefined) this.types.checkRun(params); // an override may change a param a type depends on
    const { values, callerPaths } = bindInputs(this.manifest, inputs, this.files);
    const controller = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
    if (signal.aborted) throw abortError(signal);
    const run = new RunState({
      assets: this.assets,
      files: this.files,
      limits: this.limits,
      values,
      callerPaths,
      params,
      seed,
      signal,
      listener,
      stepEvents,
      nodeCount: this.nodeCount,
      record: options.record,
      perfProfile: runPerfProfile(options.perfProfile, this.manifest.perfProfile),
      ...(profileLevel ? { profiler: new RunProfiler(profileLevel, performance.now()) } : {}),
      adapter,
      shared,
    });
    this.active.add(controller);
    let kept: unknown;
    try {
      await run.execNodes(this.nodes, []);
      // Null prototype: an output may be named "__proto__" or "constructor".
      const outputs = nameRecord<PipelineValue>();
      for (const [name, ref] of Object.entries(this.manifest.outputs ?? {})) outputs[name] = values.get(ref)!;
      const adapters = adaptersInEffect(this.manifest, this.contexts);
      kept = outputs;
      const result: PipelineResult = {
        outputs,
        tokens: run.tokens,
        text: run.text,
        timings: run.timings(this.nodes),
        ...(run.profiler ? { profile: run.profiler.result() } : {}),
        ...(adapters ? { adapters } : {}),
        sharedMemory: shared.report(),
      };
      listener?.({ type: 'done', result });
      return result;
    } catch (error) {
      if (signal.aborted && !(error instanceof QnnNodeError && error.code === 'ABORTED')) throw abortError(signal);
      throw error;
    } finally {
      run.recorder?.flush();
      values.clear();
      shared.release(kept);
      this.active.delete(controller);
    }
  }

  /** @internal What the load-time type check knows about every graph input binding. */
  staticGraphInputs(): GraphInputType[] {
    return this.types.graphInputs();
  }

  /** @internal */
  get openedAssets(): PipelineAssets {
    return this.assets;
  }

  /** Aborts running runs, waits for them, disposes the contexts and the backends it opened, closes assets. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const c of this.active) c.abort(new DisposedError('Pipeline'));
    await Promise.allSettled([...this.contexts.values()].map((c) => c.dispose()));
    await this.backends.dispose();
    this.assets.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/**
 * Loads a manifest, runs it once and disposes everything (also on failure or abort).
 */
export async function runManifest(
  manifest: string | PipelineManifest | Record<string, unknown>,
  options: PipelineOptions & PipelineRunOptions & { readonly inputs?: PipelineInputs },
): Promise<PipelineResult> {
  const pipeline = await Pipeline.load(manifest, options);
  try {
    return await pipeline.run(options.inputs ?? {}, options);
  } finally {
    await pipeline.dispose();
  }
}
