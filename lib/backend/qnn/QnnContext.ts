/** A QNN context created from a context binary, with its retrieved graphs. */
import { DisposedError, QnnNodeError, QnnStatusError, invalidArg } from '../../errors.js';
import { DTYPES } from '../../tensor/dtypes.js';
import { isResizableBuffer } from '../../tensor/resizable.js';
import type { NativeAddon, NativeContext, NativeGraphSignature, NativeRuntime, NativeTensorSignature } from '../../native/AddonTypes.js';
import { checkSignature } from '../validate.js';
import type { PerfProfile } from '../power.js';
import type { BinaryProducer, ComposeTimings, Context, ContextOrigin, GraphSignature, LoadContextOptions, LoadTimings, SavedBinary, TensorSpec } from '../types.js';
import type { NativeContextLoadResult } from '../../native/AddonTypes.js';
import { checkTargetPath, saveContextBinary, serializeContext } from './context-binary.js';
import { checkBinaryStructure, readBinaryHead } from './binary-header.js';
import { explainVersionMismatch, producerFrom, sdkMinorOfBuildId, systemReader } from './binary-producer.js';
import { fromNative, withCallerStack } from './errors.js';
import { contextConfigPlan } from './htp-configs.js';
import { isolationOption, readBinaryInfoIsolated, type IsolationLimits } from './isolated-reader.js';
import type { QnnInfo } from './Qnn.js';
import { QnnGraph, type GraphOwner } from './QnnGraph.js';
import { checkProfileFor } from './qnn-power.js';
import { decodeProfile } from '../../profile/decode.js';
import { profileLevelOption } from '../../profile/options.js';
import type { Profile } from '../../profile/types.js';
import { ContextSections } from './context-sections.js';
import type { AdapterSwitch, ApplySectionOptions, ApplySectionResult, LoadAdapterOptions, SectionSource, UseAdapterOptions } from '../sections.js';

function tensorSignature(spec: TensorSpec, where: string): NativeTensorSignature {
  const info = DTYPES[spec.dtype];
  if (!info) throw invalidArg('a dtype name', `${where}.dtype`, spec.dtype);
  const out: NativeTensorSignature = { name: spec.name, dataType: info.qnnCode, dims: [...spec.dims] };
  if (spec.id !== undefined) out.id = spec.id;
  const q = spec.quant;
  if (q) {
    out.quant =
      q.encoding === 'axis-scale-offset'
        ? { axis: q.axis, scales: [...q.scales], offsets: [...q.offsets], ...(q.bitwidth ? { bitwidth: q.bitwidth } : {}) }
        : { scale: q.scale, offset: q.offset, ...(q.bitwidth ? { bitwidth: q.bitwidth } : {}) };
  }
  return out;
}

function graphSignatures(graphs: readonly GraphSignature[] | undefined): NativeGraphSignature[] | undefined {
  if (graphs === undefined) return undefined;
  if (!Array.isArray(graphs)) throw invalidArg('an array of graph signatures', 'options.graphs', graphs);
  return graphs.map((g, i) => {
    const sig = checkSignature(g, `options.graphs[${i}]`);
    return {
      name: sig.name,
      inputs: sig.inputs.map((t, j) => tensorSignature(t, `options.graphs[${i}].inputs[${j}]`)),
      outputs: sig.outputs.map((t, j) => tensorSignature(t, `options.graphs[${i}].outputs[${j}]`)),
    };
  });
}

/**
 * Before any vendor call: the structural checks, the producer, and with validate:
 * 'isolated' a QnnSystem read in a child process.
 */
async function checkBeforeLoad(
  source: string | Uint8Array,
  options: QnnLoadContextOptions | undefined,
  runtimeInfo: QnnInfo | undefined,
  callSite: Error,
  abandon: AbortSignal | undefined,
): Promise<{ producer?: BinaryProducer; validated: boolean }> {
  const validate = options?.validate ?? 'none';
  if (validate !== 'none' && validate !== 'isolated') throw invalidArg("'none' or 'isolated'", 'options.validate', validate);
  const limits = isolationOption(options?.isolation, 'options.isolation');
  return withCallerStack(async () => {
    const head = await readBinaryHead(source);
    checkBinaryStructure(head);
    const producer = producerFrom(head.head, 'text');
    const systemPath = runtimeInfo?.systemPath;
    // Without QnnSystem the load never calls it: there is nothing to isolate.
    if (validate !== 'isolated' || !systemPath || limits === false) return { ...(producer ? { producer } : {}), validated: false };
    const sdkMinor = sdkMinorOfBuildId(runtimeInfo?.buildId);
    try {
      await readBinaryInfoIsolated(systemPath, source, sdkMinor, head.size, limits, abandon);
    } catch (error) {
      // QnnSystem answered that it cannot read the binary: a caller's graph signatures may
      // still make the load work (as in-process), unvalidated. A crash or timeout of the
      // reader, or a reader that could not run, is final.
      const e = error as QnnNodeError;
      const refused = e.code === 'BINARY_INVALID' && e.details?.isolated !== true;
      if (!refused || options?.graphs === undefined) {
        explainRefusal(error, producer, runtimeInfo);
        throw error;
      }
      return { ...(producer ? { producer } : {}), validated: false };
    }
    return { ...(producer ? { producer } : {}), validated: true };
  }, callSite, 'QNN context');
}

/**
 * QnnSystem (getBinaryInfo) or the backend (contextCreateFromBinary, 5000 family) refused
 * the binary: name the SDK versions when they may be why. The libraries of one runtime are
 * taken to come from the backend's SDK (its build id).
 */
function explainRefusal(error: unknown, producer: BinaryProducer | undefined, info: QnnInfo | undefined): void {
  if (!info) return;
  const sdkMinor = sdkMinorOfBuildId(info.buildId);
  const system = systemReader(error, sdkMinor, info.systemPath ?? undefined);
  if (system) {
    explainVersionMismatch(error as QnnNodeError, producer, system);
    return;
  }
  if (!(error instanceof QnnStatusError) || error.apiFunction !== 'contextCreateFromBinary') return;
  if (error.statusCode < 5000 || error.statusCode > 5999) return;
  explainVersionMismatch(error, producer, {
    description: `backend ${info.backendPath} (build ${info.buildId}, core API ${info.coreApiVersion}, backend API ${info.backendApiVersion})`,
    ...(sdkMinor !== undefined ? { sdkMinor } : {}),
  });
}

/** LoadContextOptions plus what only the QNN backend understands. */
export interface QnnLoadContextOptions extends LoadContextOptions {
  /**
   * QNN_CONTEXT_CONFIG_PERSISTENT_BINARY: the backend may use the binary in place (no copy
   * of the weights) and it stays memory-mapped / pinned until the context is disposed.
   * Default for a file path: on when the backend's core API has the config (every core API
   * qnn-node accepts), with one plain retry if the backend refuses the config itself
   * (`info.persistentNote` says why it is off). Default for in-memory bytes: off (the
   * bytes only need to live during the call). `false`: the backend copies, and the
   * mapping / pin is dropped as soon as the context is created. `true`: always pass it
   * (bytes must then not be transferred until the context is disposed).
   */
  readonly persistentBinary?: boolean;
  /**
   * 'isolated': before loading, QnnSystem reads the binary in an isolated child process
   * (bounded by `isolation`, as readContextSignature does), so a binary that crashes or
   * hangs QnnSystem fails with BINARY_INVALID instead of taking this process down.
   * Default 'none': QnnSystem and the backend read the binary in this process, and a
   * malformed binary can crash it inside the vendor libraries (docs/native-runtime.md).
   * Either way the cheap structural checks run first. The backend's own parse
   * (contextCreateFromBinary) always runs in this process.
   */
  readonly validate?: 'none' | 'isolated';
  /** Limits of the isolated validation (default { timeoutMs: 15000, memoryBytes: 1 GiB }). */
  readonly isolation?: IsolationLimits;
}

/** How a context came to be: which source, and where its graph signatures came from. */
export interface QnnContextInfo {
  /** The binary's path, or 'memory'. */
  readonly source: string;
  /** The file was memory-mapped (true) or the bytes were used in place (false). */
  readonly mapped: boolean;
  /** The binary stays mapped / pinned for the context's lifetime. */
  readonly persistentBinary: boolean;
  /** With the default persistentBinary: why the config was not used (old core API, refused). */
  readonly persistentNote?: string;
  readonly binaryBytes: number;
  /** 'system': QnnSystem read the binary; 'caller': options.graphs; 'composed': the model (composeModel). */
  readonly graphSource: 'system' | 'caller' | 'composed';
  /** Why QnnSystem's info was not used, when it was not. */
  readonly systemNote?: string;
  /** The SDK build that made the binary, best effort (text found in the binary). */
  readonly producer?: BinaryProducer;
  /** validate: 'isolated' ran (QnnSystem read the binary in a child process first). */
  readonly validated?: 'isolated';
  /** The performance profile voted while this context's graphs run (loadContext's perfProfile). */
  readonly perfProfile?: PerfProfile;
}

/** @internal A spill-fill group registration (REGISTER_MULTI_CONTEXTS) for one load. */
export interface SpillFillGroupRequest {
  /** The group's first context (undefined: this load opens the group). */
  readonly first: QnnContext | undefined;
  readonly maxSpillFill: number | bigint;
}

export class QnnContext implements Context, GraphOwner {
  readonly graphs: readonly QnnGraph[];
  readonly loadTimings: LoadTimings;
  readonly info: QnnContextInfo;
  #loadProfile: Profile | undefined;
  readonly #native: NativeContext;
  /** Runs queued or executing on any graph; dispose() waits for 0. */
  #active = 0;
  #idle: (() => void)[] = [];
  #disposing: Promise<void> | undefined;
  #onDispose: (() => void) | undefined;
  readonly #sections: ContextSections;
  #origin: ContextOrigin = Object.freeze({ kind: 'binary' as const });
  #composeTimings: ComposeTimings | undefined;

  private constructor(native: NativeContext, graphs: (owner: QnnContext) => QnnGraph[], timings: LoadTimings, info: QnnContextInfo, coreApiVersion?: string) {
    this.#native = native;
    this.graphs = Object.freeze(graphs(this));
    this.loadTimings = Object.freeze({ ...timings });
    this.info = Object.freeze(info);
    const graphNames = Object.freeze(this.graphs.map((g) => g.name));
    const self = this;
    this.#sections = new ContextSections(native, {
      get disposed() {
        return self.disposed;
      },
      graphNames,
      coreApiVersion,
      waitForRuns: () => this.#waitForRuns(),
    });
  }

  /** @internal Used by Qnn#loadContext. */
  static async create(
    addon: NativeAddon,
    runtime: NativeRuntime,
    source: string | Uint8Array,
    options: QnnLoadContextOptions | undefined,
    onDispose: () => void,
    runtimeInfo?: QnnInfo,
    abandon?: AbortSignal,
    group?: SpillFillGroupRequest,
  ): Promise<QnnContext> {
    const callSite = new Error();
    if (typeof source !== 'string' && !(source instanceof Uint8Array)) throw invalidArg('a file path or a Uint8Array', 'source', source);
    if (typeof source === 'string' && source.length === 0) throw invalidArg('a non-empty file path', 'source', source);
    if (typeof source !== 'string' && isResizableBuffer(source)) throw invalidArg('a fixed-length ArrayBuffer', 'source', source);
    if (options !== undefined && (typeof options !== 'object' || options === null)) throw invalidArg('an options object', 'options', options);
    const graphs = graphSignatures(options?.graphs);
    const perfProfile = runtimeInfo && checkProfileFor(runtimeInfo.power, options?.perfProfile, 'options.perfProfile', 'give the context the performance profile');
    const persistentOption = options?.persistentBinary;
    if (persistentOption !== undefined && typeof persistentOption !== 'boolean') {
      throw invalidArg('a boolean', 'options.persistentBinary', persistentOption);
    }
    // In-memory bytes default to a copy: they then only need to live during the call (a
    // persistent pin would forbid transferring them until the context is disposed).
    const persistent = persistentOption ?? (typeof source === 'string' ? undefined : false);
    const configPlan = contextConfigPlan(options, runtimeInfo ?? { backendApiVersion: '0.0.0' });
    const configs =
      group === undefined
        ? configPlan
        : { custom: [], graphs: [], ...configPlan, group: { first: group.first ? group.first.#native : null, maxSpillFill: group.maxSpillFill } };
    const loadProfileLevel = profileLevelOption(options?.profile, 'options.profile');
    const check = await checkBeforeLoad(source, options, runtimeInfo, callSite, abandon);
    // The caller gave up (timeout / abort) while the checks ran: never reach the backend.
    if (abandon?.aborted) throw new QnnNodeError('ABORTED', 'Qnn#loadContext was given up before the backend was called', { details: { operation: 'Qnn#loadContext' } });
    let native: NativeContext;
    try {
      native = new addon.Context(runtime);
    } catch (e) {
      throw fromNative(e, 'QNN backend');
    }
    if (loadProfileLevel !== undefined) native.setLoadProfile(loadProfileLevel);
    const result = await withCallerStack(() => native.load(source, graphs, persistent, configs), callSite, 'QNN context').catch((error: unknown) => {
      explainRefusal(error, check.producer, runtimeInfo);
      throw error;
    });
    let ctx: QnnContext;
    try {
      if (perfProfile !== undefined) native.setPerfProfile(perfProfile);
      ctx = new QnnContext(
        native,
        (owner) => result.graphs.map((g) => new QnnGraph(owner, g)),
        result.timings,
        {
          source: typeof source === 'string' ? source : 'memory',
          mapped: result.mapped,
          persistentBinary: result.persistentBinary,
          ...(result.persistentNote ? { persistentNote: result.persistentNote } : {}),
          binaryBytes: result.binaryBytes,
          graphSource: result.graphsFromSystem ? 'system' : 'caller',
          ...(result.systemNote ? { systemNote: result.systemNote } : {}),
          ...(check.producer ? { producer: check.producer } : {}),
          ...(check.validated ? { validated: 'isolated' as const } : {}),
          ...(perfProfile !== undefined ? { perfProfile } : {}),
        },
        runtimeInfo?.coreApiVersion,
      );
    } catch (e) {
      native.dispose();
      throw e;
    }
    if (result.loadProfile) ctx.#loadProfile = decodeProfile(result.loadProfile);
    ctx.#origin = Object.freeze({ kind: 'binary' as const, ...(typeof source === 'string' ? { path: source } : {}) });
    ctx.#onDispose = onDispose;
    return ctx;
  }

  /** @internal composeModel (compose.ts): a context the model composed, already finalized. */
  static fromComposed(
    native: NativeContext,
    result: NativeContextLoadResult & { composeTimings: ComposeTimings },
    origin: ContextOrigin & { path: string },
    perfProfile: PerfProfile | undefined,
    onDispose: () => void,
    coreApiVersion: string,
  ): QnnContext {
    const ctx = new QnnContext(
      native,
      (owner) => result.graphs.map((g) => new QnnGraph(owner, g)),
      result.timings,
      {
        source: origin.path,
        mapped: false,
        persistentBinary: false,
        binaryBytes: 0,
        graphSource: 'composed',
        ...(perfProfile !== undefined ? { perfProfile } : {}),
      },
      coreApiVersion,
    );
    if (result.loadProfile) ctx.#loadProfile = decodeProfile(result.loadProfile);
    ctx.#origin = Object.freeze({ ...origin });
    ctx.#composeTimings = Object.freeze({ ...result.composeTimings });
    ctx.#onDispose = onDispose;
    return ctx;
  }

  /** Where the context came from: a binary (path or bytes), a DLC or a model library. */
  get origin(): ContextOrigin {
    return this.#origin;
  }

  /** composeModel's phases (composed contexts only). */
  get composeTimings(): ComposeTimings | undefined {
    return this.#composeTimings;
  }

  /**
   * The context serialized by the backend (contextGetBinarySize + contextGetBinary, on a
   * worker): a context binary loadContext takes. BINARY_SERIALIZE_UNSUPPORTED when the
   * backend cannot (no such functions, or QNN_COMMON_ERROR_NOT_SUPPORTED like QnnCpu).
   */
  async getBinary(): Promise<Uint8Array> {
    const callSite = new Error();
    return (await this.#whileLive(() => serializeContext(this.#native, callSite))).bytes;
  }

  /** getBinary written to `target` atomically (a temporary file, then a rename). */
  async saveBinary(target: string): Promise<SavedBinary> {
    const callSite = new Error();
    const file = checkTargetPath(target, 'path');
    return this.#whileLive(() => saveContextBinary(this.#native, file, callSite));
  }

  /** Runs `work` as a run of this context: dispose() waits for it. */
  async #whileLive<T>(work: () => Promise<T>): Promise<T> {
    if (this.disposed) throw new DisposedError('QNN context');
    this.runStarted();
    try {
      return await work();
    } finally {
      this.runSettled();
    }
  }

  /** The events of contextCreateFromBinary when loaded with options.profile. */
  get loadProfile(): Profile | undefined {
    return this.#loadProfile;
  }

  get disposed(): boolean {
    return this.#disposing !== undefined;
  }

  /** @internal */
  runGate(): Promise<void> | undefined {
    return this.#sections.gate();
  }

  async #waitForRuns(): Promise<void> {
    while (this.#active > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  /**
   * Applies a binary section (contextApplyBinarySection, core API 2.18+): a file
   * (memory-mapped for the call) or bytes (pinned for the call), for the whole context or
   * `options.graph`. Waits for the runs in flight; runs requested after it start once it
   * has settled. docs/adapters.md.
   */
  applyBinarySection(source: SectionSource, options?: ApplySectionOptions): Promise<ApplySectionResult> {
    return this.#sections.applyBinarySection(source, options);
  }

  /** The current updatable section (contextGetBinarySection), e.g. to keep the base weights. */
  readBinarySection(options?: { graph?: string }): Promise<Uint8Array> {
    return this.#sections.readBinarySection(options);
  }

  /** Registers an adapter's section under `name` (nothing is applied until useAdapter). */
  loadAdapter(name: string, source: SectionSource, options?: LoadAdapterOptions): void {
    this.#sections.loadAdapter(name, source, options);
  }

  /** Makes `name` (null: the base weights) the adapter in effect; applies only on a change. */
  useAdapter(name: string | null, options?: UseAdapterOptions): Promise<AdapterSwitch> {
    return this.#sections.useAdapter(name, options);
  }

  /** The adapter in effect (null: the weights the context was loaded with, or its base adapter). */
  get activeAdapter(): string | null {
    return this.#sections.activeAdapter;
  }

  /** @internal */
  runStarted(): void {
    this.#active++;
  }

  /** @internal */
  runSettled(): void {
    if (--this.#active === 0 && this.#idle.length > 0) {
      const waiters = this.#idle;
      this.#idle = [];
      for (const w of waiters) w();
    }
  }

  graph(name: string): QnnGraph {
    if (this.disposed) throw new DisposedError('QNN context');
    if (typeof name !== 'string') throw invalidArg('a graph name', 'name', name);
    const g = this.graphs.find((x) => x.name === name);
    if (!g) {
      const names = this.graphs.map((x) => x.name);
      throw new QnnNodeError('UNKNOWN_GRAPH', `No graph ${JSON.stringify(name)} in this context; its graphs are ${names.map((n) => JSON.stringify(n)).join(', ')}`, {
        details: { graph: name, graphs: names },
      });
    }
    return g;
  }

  /** Idempotent: waits for the runs in flight, then frees the context (contextFree, unmap). */
  dispose(): Promise<void> {
    if (!this.#disposing) {
      this.#disposing = (async () => {
        while (this.#active > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
        this.#native.dispose();
        this.#onDispose?.();
      })();
    }
    return this.#disposing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}
