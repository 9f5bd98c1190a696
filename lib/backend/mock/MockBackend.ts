/**
 * MockBackend: the Backend interface in pure TypeScript, for CI and for developing
 * pipelines without a device. A mock context's graphs come from signatures (passed as
 * `loadContext(..., { graphs })`, read from a signature JSON, or given to the backend);
 * each graph is computed by, in order of precedence:
 *
 * 1. a user JS function registered for the graph name (`graphs` option),
 * 2. a recording folder written by the pipeline runner (`recording` option): inputs are
 *    checked against the recorded ones (RECORDING_MISMATCH), recorded outputs come back,
 * 3. deterministic seeded values (same seed, graph and call number → same outputs).
 *
 * Every run validates inputs and caller-supplied outputs against the signature with the
 * QNN backend's error codes (UNKNOWN_INPUT, MISSING_INPUT, DTYPE_MISMATCH, SIZE_MISMATCH,
 * SHAPE_MISMATCH, UNKNOWN_OUTPUT) and writes into caller-supplied output tensors (the
 * same objects come back), like the native backend.
 */
import { DisposedError, QnnNodeError, describeValue, invalidArg } from '../../errors.js';
import { Tensor } from '../../tensor/Tensor.js';
import { SharedAllocator, plainBlocks, type AllocTensorOptions, type TensorPool, type TensorPoolOptions } from '../../tensor/shared.js';
import type { DType } from '../../tensor/dtypes.js';
import { registerBackend } from '../registry.js';
import type {
  Backend,
  Context,
  ContextSignature,
  Graph,
  GraphSignature,
  ContextSource,
  LoadContextOptions,
  LoadContextsOptions,
  LoadTimings,
  RunOptions,
  TensorMap,
  TensorSpec,
  BackendDescription,
  ComposeOptions,
  ComposeTimings,
  ContextOrigin,
  SavedBinary,
} from '../types.js';
import { Prng } from '../../random.js';
import { RecordingReplayer, type Tolerance } from './recording.js';
import { mockLoadProfile } from './profiling.js';
import type { Profile } from '../../profile/types.js';
import { isSignatureFile, readSignatureFile } from '../signature.js';
import { MockPowerLog, type MockPerfProfileRecord } from './power.js';
import type { PerfProfile } from '../power.js';
import { checkSignature } from '../validate.js';
import type { NativeContextConfigPlan } from '../qnn/htp-configs.js';
import { loadMockContexts, mockLoadSettings } from './load-contexts.js';
import type { AdapterSwitch, ApplySectionOptions, ApplySectionResult, LoadAdapterOptions, UseAdapterOptions } from '../sections.js';
import { MockSections, type MockSectionRecord } from './sections.js';
import { MockCallState, MockGraph, delay, hasOwn } from './MockGraph.js';
import { checkGraphConfigNames, checkMockModels, encodeMockBinary, progressCallback, readMockBinary, recordedOptions, type CheckedMockModel, type MockModel, type MockModelRecord } from './compose.js';
import { modelFormatOf } from '../model-source.js';
import { writeFileAtomic } from '../atomic-file.js';
import { statSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';

/** What a graph implementation is told about the call. */
export interface MockCall {
  readonly graph: GraphSignature;
  /** 0 for the first call of this graph (per backend), then 1, 2, … */
  readonly index: number;
  /** A PRNG seeded from the backend seed, the graph name and the call index. */
  readonly rng: Prng;
  readonly signal: AbortSignal | undefined;
  /** The adapter in effect on the graph's context (null: the base weights). */
  readonly adapter: string | null;
}

/**
 * Computes a graph. `outputs` holds a tensor for every declared output (the caller's when
 * given, else zeros): fill them in place, or return tensors (copied into caller buffers).
 * Return a promise only from graphs run with `run` (runSync throws on one).
 */
export type MockGraphFn = (inputs: TensorMap, outputs: TensorMap, call: MockCall) => void | TensorMap | Promise<void | TensorMap>;

export interface MockBackendOptions {
  /** Implementations by graph name. */
  readonly graphs?: Readonly<Record<string, MockGraphFn>>;
  /** A recording folder (the runner's `record` output) to replay. */
  readonly recording?: string;
  /** Tolerance when checking float inputs against the recording. */
  readonly tolerance?: Tolerance;
  /** Seed of the default outputs (default 0). */
  readonly seed?: number;
  /** Signatures for contexts loaded without `options.graphs` and without a signature JSON. */
  readonly signatures?: readonly GraphSignature[] | ContextSignature;
  /** Reject inputs whose dims differ from the signature even when the element count matches (default true). */
  readonly strictShapes?: boolean;
  /** Simulated device time per run in ms (all graphs, or by graph name). */
  readonly latencyMs?: number | Readonly<Record<string, number>>;
  /** The backend's performance profile (recorded per run; there is no device to vote on). */
  readonly perfProfile?: PerfProfile;
  /** Models composeModel accepts, by file path (mock/compose.ts). */
  readonly models?: Readonly<Record<string, MockModel>>;
  /** describe().buildId (default 'mock'): what a cached binary depends on. */
  readonly buildId?: string;
  /** A label for this backend (describe().library is `mock:<name>`), e.g. one per pipeline stage. */
  readonly name?: string;
}

/** What a mock context knows beyond its signatures. */
interface MockContextExtras {
  readonly origin: ContextOrigin;
  readonly composeTimings?: ComposeTimings;
  /** Implementations of this context's model (over the backend's). */
  readonly impls?: ReadonlyMap<string, MockGraphFn>;
  /** The model key written into its binary (compute functions come back on load). */
  readonly modelKey?: string;
}

function freezeSignature(sig: GraphSignature): GraphSignature {
  const spec = (s: TensorSpec): TensorSpec => Object.freeze({ ...s, dims: Object.freeze([...s.dims]) });
  return Object.freeze({ name: sig.name, inputs: Object.freeze(sig.inputs.map(spec)), outputs: Object.freeze(sig.outputs.map(spec)) });
}

export class MockContext implements Context {
  readonly graphs: readonly Graph[];
  /** The context/graph configs asked for (validated; recorded, no effect). */
  configs: NativeContextConfigPlan | undefined;
  /** The spill-fill group it was loaded into by loadContexts (undefined: none). */
  shareGroup: number | undefined;
  readonly loadTimings: LoadTimings;
  /** Synthetic (mock/profiling.ts) when loaded with options.profile. */
  loadProfile: Profile | undefined;
  private disposed = false;
  private inflight = 0;
  private idle: (() => void)[] = [];
  readonly origin: ContextOrigin;
  readonly composeTimings: ComposeTimings | undefined;
  readonly impls: ReadonlyMap<string, MockGraphFn> | undefined;
  readonly #modelKey: string;

  constructor(
    readonly backend: MockBackend,
    signatures: readonly GraphSignature[],
    readonly source: string,
    loadMs: number,
    readonly perfProfile: PerfProfile | undefined,
    extras: MockContextExtras = { origin: { kind: 'binary' } },
  ) {
    this.graphs = Object.freeze(signatures.map((s) => new MockGraph(freezeSignature(s), this)));
    this.loadTimings = Object.freeze({ mapMs: 0, createMs: 0, retrieveMs: loadMs, totalMs: loadMs });
    this.origin = Object.freeze({ ...extras.origin });
    this.composeTimings = extras.composeTimings && Object.freeze({ ...extras.composeTimings });
    this.impls = extras.impls;
    this.#modelKey = extras.modelKey ?? source;
  }

  /** A mock binary (mock/compose.ts) the mock's loadContext accepts back. */
  async getBinary(): Promise<Uint8Array> {
    return this.#serialize(undefined).bytes;
  }

  /** getBinary written atomically (temp file + rename). */
  async saveBinary(path: string): Promise<SavedBinary> {
    if (typeof path !== 'string' || path.length === 0) throw invalidArg('a file path', 'path', path);
    const target = resolvePath(path);
    const { bytes, ms } = this.#serialize(target);
    writeFileAtomic(target, bytes);
    return { path: target, bytes: bytes.byteLength, serializeMs: ms };
  }

  #serialize(path: string | undefined): { bytes: Uint8Array; ms: number } {
    if (this.disposed) throw new DisposedError(`Mock context ${this.source}`);
    const t0 = performance.now();
    const bytes = encodeMockBinary({ source: this.#modelKey, buildId: this.backend.describe().buildId, graphs: this.graphs.map((g) => (g as MockGraph).signature) });
    this.backend.modelLog.push({ call: 'serialize', source: this.#modelKey, bytes: bytes.byteLength, ...(path !== undefined ? { path } : {}) });
    return { bytes, ms: performance.now() - t0 };
  }

  graph(name: string): Graph {
    if (this.disposed) throw new DisposedError(`Mock context ${this.source}`);
    const g = this.graphs.find((x) => x.name === name);
    if (!g) {
      throw new QnnNodeError('UNKNOWN_GRAPH', `Context ${this.source} has no graph ${JSON.stringify(name)}; its graphs are ${this.graphs.map((x) => JSON.stringify(x.name)).join(', ')}`, {
        details: { graph: name, graphs: this.graphs.map((x) => x.name) },
      });
    }
    return g;
  }

  begin(graph: MockGraph, options: RunOptions): MockCallState {
    if (this.disposed) throw new DisposedError(`Graph ${JSON.stringify(graph.name)}`);
    if (typeof options !== 'object' || options === null) throw invalidArg('an options object', 'options', options);
    this.backend.power.recordRun(graph.name, options, this.perfProfile);
    this.inflight++;
    return new MockCallState(graph, this.backend, options, this.sections.activeAdapter);
  }

  end(): void {
    this.inflight--;
    if (this.inflight === 0) for (const resolve of this.idle.splice(0)) resolve();
  }

  /** Binary sections and adapters: accepted and recorded (MockBackend#sectionLog), no weights change. */
  readonly sections = new MockSections(this, () => this.#waitForRuns());

  async #waitForRuns(): Promise<void> {
    while (this.inflight > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  applyBinarySection(source: string | Uint8Array, options?: ApplySectionOptions): Promise<ApplySectionResult> {
    return this.sections.applyBinarySection(source, options);
  }

  loadAdapter(name: string, source: string | Uint8Array, options?: LoadAdapterOptions): void {
    this.sections.loadAdapter(name, source, options);
  }

  useAdapter(name: string | null, options?: UseAdapterOptions): Promise<AdapterSwitch> {
    return this.sections.useAdapter(name, options);
  }

  get activeAdapter(): string | null {
    return this.sections.activeAdapter;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.inflight > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    this.backend.forget(this);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

export class MockBackend implements Backend {
  readonly kind = 'mock';
  readonly seed: number;
  readonly strictShapes: boolean;
  readonly replayer: RecordingReplayer | undefined;
  private readonly impls: Map<string, MockGraphFn>;
  private readonly models: ReadonlyMap<string, CheckedMockModel>;
  private readonly buildId: string;
  private readonly label: string | undefined;
  /** Every compose, finalize and serialize call, in order (mock/compose.ts). */
  readonly modelLog: MockModelRecord[] = [];
  private readonly defaultSignatures: readonly GraphSignature[] | undefined;
  private groups = 0;
  private readonly latency: number | Readonly<Record<string, number>>;
  private readonly calls = new Map<string, number>();
  private readonly contexts = new Set<MockContext>();
  private disposed = false;
  /** @internal The performance profiles of the runs (mock/power.ts). */
  readonly power = new MockPowerLog();
  readonly #shared = new SharedAllocator(plainBlocks('mock backend'));

  readonly #options: MockBackendOptions;

  constructor(options: MockBackendOptions = {}) {
    if (typeof options !== 'object' || options === null) throw invalidArg('an options object', 'options', options);
    this.#options = options;
    const { graphs = {}, recording, tolerance, seed = 0, signatures, strictShapes = true, latencyMs = 0, perfProfile, models, buildId = 'mock', name } = options;
    if (typeof buildId !== 'string' || buildId.length === 0) throw invalidArg('a non-empty string', 'options.buildId', buildId);
    if (name !== undefined && (typeof name !== 'string' || name.length === 0)) throw invalidArg('a non-empty string', 'options.name', name);
    this.buildId = buildId;
    this.label = name;
    this.models = checkMockModels(models);
    if (perfProfile !== undefined) this.power.setBackendProfile(perfProfile, 'options.perfProfile');
    if (!Number.isInteger(seed)) throw invalidArg('an integer', 'options.seed', seed);
    for (const [name, fn] of Object.entries(graphs)) {
      if (typeof fn !== 'function') throw invalidArg('a function', `options.graphs.${name}`, fn);
    }
    this.impls = new Map(Object.entries(graphs));
    this.seed = seed;
    this.strictShapes = strictShapes;
    this.latency = latencyMs;
    this.replayer = recording === undefined ? undefined : new RecordingReplayer(recording, tolerance);
    if (signatures !== undefined) {
      const list = isSignatureFile(signatures) ? signatures.graphs : signatures;
      if (!Array.isArray(list)) throw invalidArg('an array of graph signatures or a signature file object', 'options.signatures', signatures);
      list.forEach((g, i) => checkSignature(g, `options.signatures[${i}]`));
      this.defaultSignatures = list;
    }
  }

  /** Registers (or replaces) the implementation of a graph by name. */
  setGraph(name: string, fn: MockGraphFn): void {
    if (typeof name !== 'string' || name.length === 0) throw invalidArg('a non-empty string', 'name', name);
    if (typeof fn !== 'function') throw invalidArg('a function', 'fn', fn);
    this.impls.set(name, fn);
  }

  /** Sets the backend's performance profile (null clears it), as Qnn#setPerfProfile does; recorded per run. */
  async setPerfProfile(profile: PerfProfile | null): Promise<void> {
    if (this.disposed) throw new DisposedError('MockBackend');
    this.power.setBackendProfile(profile, 'profile');
  }

  /** The backend's performance profile, or undefined. */
  get perfProfile(): PerfProfile | undefined {
    return this.power.backendProfile;
  }

  /** The performance profile each run resolved to (run, context or backend), in run order. */
  perfProfileRecords(): readonly MockPerfProfileRecord[] {
    return this.power.records();
  }

  /** How many times each graph has run on this backend. */
  callCounts(): Record<string, number> {
    return Object.fromEntries(this.calls);
  }

  async loadContext(source: string | Uint8Array, options: LoadContextOptions = {}): Promise<Context> {
    if (this.disposed) throw new DisposedError('MockBackend');
    if (typeof source !== 'string' && !(source instanceof Uint8Array)) throw invalidArg('a path or a Uint8Array', 'source', source);
    if (typeof options !== 'object' || options === null) throw invalidArg('an options object', 'options', options);
    const start = performance.now();
    const mockBinary = readMockBinary(source);
    let signatures: readonly GraphSignature[] | undefined = options.graphs;
    if (signatures !== undefined) {
      if (!Array.isArray(signatures)) throw invalidArg('an array of graph signatures', 'options.graphs', signatures);
      signatures.forEach((g, i) => checkSignature(g, `options.graphs[${i}]`));
    } else if (mockBinary) {
      signatures = mockBinary.graphs;
    } else if (typeof source === 'string' ? source.endsWith('.json') : source[0] === 0x7b /* '{' */) {
      signatures = readSignatureFile(source).graphs;
    } else {
      signatures = this.defaultSignatures;
    }
    if (signatures === undefined || signatures.length === 0) {
      throw invalidArg(
        'graph signatures (options.graphs, a signature JSON as source, or the backend option signatures)',
        `the mock context ${typeof source === 'string' ? source : 'from bytes'}`,
        signatures,
      );
    }
    const settings = mockLoadSettings(options, this.power);
    const label = typeof source === 'string' ? source : `<${describeValue(source)}>`;
    const context = new MockContext(this, signatures, label, performance.now() - start, settings.perfProfile, {
      origin: typeof source === 'string' ? { kind: 'binary', path: resolvePath(source) } : { kind: 'binary' },
      ...(mockBinary ? { modelKey: mockBinary.source, ...(this.models.get(mockBinary.source) ? { impls: this.models.get(mockBinary.source)!.compute } : {}) } : {}),
    });
    context.configs = settings.configs;
    if (settings.profileLevel) context.loadProfile = mockLoadProfile(settings.profileLevel, start, performance.now(), context.graphs.map((g) => g.name));
    this.contexts.add(context);
    return context;
  }

  /**
   * A model of `options.models` composed (mock/compose.ts): the file must exist, the options
   * are validated like the QNN backend's, progress is reported and every call recorded.
   */
  async composeModel(source: string, options: ComposeOptions = {}): Promise<Context> {
    if (this.disposed) throw new DisposedError('MockBackend');
    if (typeof source !== 'string' || source.length === 0) throw invalidArg('a model file path (.dlc or a model library)', 'source', source);
    if (typeof options !== 'object' || options === null) throw invalidArg('an options object', 'options', options);
    const format = modelFormatOf(source, options.format);
    const onProgress = progressCallback(options);
    const path = resolvePath(source);
    if (!statSync(path, { throwIfNoEntry: false })?.isFile()) {
      throw new QnnNodeError('FILE_NOT_FOUND', `Model file ${path} does not exist`, { details: { path } });
    }
    const model = this.models.get(path);
    if (!model) {
      const known = [...this.models.keys()];
      throw invalidArg(`a model the mock backend was given (options.models: ${known.length ? known.map((k) => JSON.stringify(k)).join(', ') : 'none'})`, 'source', source);
    }
    const settings = mockLoadSettings(options, this.power);
    checkGraphConfigNames(options, model.graphs, path);
    const start = performance.now();
    const elapsed = (): number => performance.now() - start;
    this.modelLog.push({ call: 'compose', source: path, format, options: recordedOptions(options) });
    onProgress?.({ phase: 'compose', index: 0, count: 1, elapsedMs: 0 });
    if (model.composeMs > 0) await delay(model.composeMs, undefined);
    const composeMs = elapsed();
    for (const [index, g] of model.graphs.entries()) {
      if (this.disposed) throw new DisposedError('MockBackend');
      onProgress?.({ phase: 'finalize', graph: g.name, index, count: model.graphs.length, elapsedMs: elapsed() });
      if (model.finalizeMs > 0) await delay(model.finalizeMs, undefined);
      this.modelLog.push({ call: 'finalize', source: path, graph: g.name });
    }
    const totalMs = elapsed();
    const context = new MockContext(this, model.graphs, path, totalMs, settings.perfProfile, {
      origin: { kind: format, path },
      composeTimings: { composeMs, finalizeMs: totalMs - composeMs, totalMs },
      impls: model.compute,
      modelKey: path,
    });
    context.configs = settings.configs;
    if (settings.profileLevel) context.loadProfile = mockLoadProfile(settings.profileLevel, start, performance.now(), context.graphs.map((g) => g.name));
    this.contexts.add(context);
    return context;
  }

  /** A new mock backend with this one's options (and `overrides`): a second backend side by side, e.g. one per pipeline stage. */
  fork(overrides: MockBackendOptions = {}): MockBackend {
    return new MockBackend({ ...this.#options, ...overrides });
  }

  /** The mock's identity: `buildId` and `name` from the options. */
  describe(): BackendDescription {
    return { kind: 'mock', buildId: this.buildId, ...(this.label !== undefined ? { library: `mock:${this.label}` } : {}) };
  }

  /** Loads in order (mock/load-contexts.ts); with shareResources the contexts record one shared group id. */
  loadContexts(sources: readonly ContextSource[], options?: LoadContextsOptions): Promise<Context[]> {
    return loadMockContexts((source, o) => this.loadContext(source, o) as Promise<MockContext>, () => ++this.groups, sources, options);
  }

  /** @internal */
  implementation(graph: string): MockGraphFn | undefined {
    return this.impls.get(graph);
  }

  /** @internal */
  nextCallIndex(graph: string): number {
    const n = this.calls.get(graph) ?? 0;
    this.calls.set(graph, n + 1);
    return n;
  }

  /** @internal */
  latencyFor(graph: string): number {
    if (typeof this.latency === 'number') return this.latency;
    return hasOwn(this.latency, graph) ? this.latency[graph] : 0;
  }

  /** @internal */
  forget(context: MockContext): void {
    this.contexts.delete(context);
  }

  /** Every binary section applied to this backend's contexts (adapter switches included), in order. */
  readonly sectionLog: MockSectionRecord[] = [];
  /** The mock has no shared memory: plain tensors, same API as Qnn#allocTensor. */
  get sharedMemory(): { readonly available: boolean; readonly reason: string | null } {
    return this.#shared.info;
  }

  allocTensor<T extends DType>(dtype: T, dims: readonly number[], options?: AllocTensorOptions): Tensor<T> {
    return this.#shared.allocTensor(dtype, dims, options);
  }

  createTensorPool(options: TensorPoolOptions): TensorPool {
    return this.#shared.createTensorPool(options);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all([...this.contexts].map((c) => c.dispose()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

registerBackend('mock', async (options) => new MockBackend(options as MockBackendOptions));
