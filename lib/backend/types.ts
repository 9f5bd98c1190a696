/**
 * The interface every backend implements: the native QNN runtime (`Qnn`) and the
 * pure-TypeScript mock (`MockBackend`). The pipeline runner, the CLI and most tests
 * only ever see these types, so they never know which backend they have.
 */
import type { DType, QuantParams } from '../tensor/dtypes.js';
import type { PerfProfile } from './power.js';
import type { AdapterSwitch, ApplySectionOptions, ApplySectionResult, LoadAdapterOptions, UseAdapterOptions } from './sections.js';
import type { Tensor } from '../tensor/Tensor.js';
import type { AllocTensorOptions } from '../tensor/shared.js';
import type { ContextConfigOptions } from './qnn/htp-configs.js';
import type { Profile, ProfileLevel } from '../profile/types.js';

/** QNN's tensor role in a graph (Qnn_TensorType_t), as the binary declares it. */
export type TensorRole = 'APP_WRITE' | 'APP_READ' | 'APP_READWRITE' | 'NATIVE' | 'STATIC' | 'NULL' | 'UNDEFINED';

/** What a graph declares about one input or output tensor. */
export interface TensorSpec {
  readonly name: string;
  /** The QNN tensor id from the binary (not 0..n); absent for hand-written signatures. */
  readonly id?: number;
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly quant?: QuantParams;
  readonly role?: TensorRole;
}

export interface GraphSignature {
  readonly name: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}

/**
 * The signature file (`qnn-node inspect --json`, consumed by the mock backend):
 * `{ "format": "qnn-node-signature", "version": 1, "graphs": [...] }`.
 */
/**
 * The QNN SDK build that made a context binary, best effort: real binaries record it as
 * text and QnnSystem returns it as the binary info's buildId, but neither is documented as
 * the producer.
 */
export interface BinaryProducer {
  /** The build id as found, e.g. `v2.25.0.240728104910_97711`. */
  readonly buildId: string;
  /** The SDK version it names, e.g. `2.25.0`. */
  readonly sdkVersion: string;
  /** Always true: a label, not a guarantee. */
  readonly bestEffort: true;
  /** 'binary-info': QnnSystem's buildId for the binary; 'text': the first build id in the file's first MiB. */
  readonly source: 'binary-info' | 'text';
}

export interface ContextSignature {
  readonly format: 'qnn-node-signature';
  readonly version: 1;
  /** Where the signature came from (a binary's path, a manifest), for messages only. */
  readonly source?: string;
  /** The SDK build that made the binary, when known (best effort). */
  readonly producer?: BinaryProducer;
  readonly graphs: readonly GraphSignature[];
}

export type TensorMap = Record<string, Tensor>;

export interface RunOptions {
  /**
   * Tensors to write outputs into (zero copy: the same objects come back). Outputs not
   * named here are allocated.
   */
  readonly outputs?: TensorMap;
  readonly signal?: AbortSignal;
  /**
   * The performance profile of this run (docs/power.md): voted before it executes when it
   * differs from the vote in place (else no call). Default: the context's, else the
   * backend's profile.
   */
  readonly perfProfile?: PerfProfile;
  /** After the run, vote again what was in place before it (default false: the run's profile stays). */
  readonly restorePerfProfile?: boolean;
  /**
   * Profile this run with the QNN profile API (docs/profiling.md). The result is still the
   * output map: the events go to `onProfile` (called before the run resolves) and to
   * `graph.lastProfile`. Off (undefined) costs nothing.
   */
  readonly profile?: ProfileLevel;
  readonly onProfile?: (profile: Profile) => void;
}

export interface Graph {
  readonly name: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /**
   * Executes on a worker thread; inputs and outputs stay pinned until it settles. The
   * result is a null-prototype object of output tensors by name (so an output may be named
   * `__proto__` or `constructor`). Input names are matched as own properties only.
   *
   * Buffer contract: the ArrayBuffers of the input and output tensors belong to the run
   * until the promise settles. Transferring one before then (a postMessage transfer list,
   * structuredClone with `transfer`, ArrayBuffer#transfer) is not supported: it can crash
   * the process (the native backend writes into memory it no longer owns). When the
   * process survives, the run rejects with `BUFFER_DETACHED` rather than resolving.
   */
  run(inputs: TensorMap, options?: RunOptions): Promise<TensorMap>;
  /** Executes on the calling thread (same result shape as run). */
  runSync(inputs: TensorMap, options?: RunOptions): TensorMap;
  /** The events of this graph's latest profiled run (options.profile), if any. */
  readonly lastProfile?: Profile;
}

/** Milliseconds spent in each phase of loading a context. */
export interface LoadTimings {
  /** Opening and memory-mapping (or receiving) the binary. */
  readonly mapMs: number;
  /** contextCreateFromBinary. */
  readonly createMs: number;
  /** Binary info + graphRetrieve for every graph. */
  readonly retrieveMs: number;
  readonly totalMs: number;
}

export interface Context extends AsyncDisposable {
  readonly graphs: readonly Graph[];
  /** The graph of that name; throws UNKNOWN_GRAPH naming the graphs there are. */
  graph(name: string): Graph;
  readonly loadTimings?: LoadTimings;
  /** The events of contextCreateFromBinary when loaded with options.profile. */
  readonly loadProfile?: Profile;
  /** Idempotent; waits for in-flight runs; every later call throws DISPOSED. */
  dispose(): Promise<void>;
  /**
   * Binary sections and adapters (docs/adapters.md): apply a section (a file or bytes) to
   * the whole context or one graph; register adapters and switch between them. Applies
   * wait for the runs in flight; runs requested later start after them.
   */
  applyBinarySection(source: string | Uint8Array, options?: ApplySectionOptions): Promise<ApplySectionResult>;
  loadAdapter(name: string, source: string | Uint8Array, options?: LoadAdapterOptions): void;
  useAdapter(name: string | null, options?: UseAdapterOptions): Promise<AdapterSwitch>;
  /** The adapter in effect; null: the base weights. */
  readonly activeAdapter: string | null;
  /** The context serialized (contextGetBinary): BINARY_SERIALIZE_UNSUPPORTED when the backend cannot. */
  getBinary?(): Promise<Uint8Array>;
  /** getBinary written atomically (temp file + rename). */
  saveBinary?(path: string): Promise<SavedBinary>;
  /** Milliseconds of composeModel's phases (composed contexts only). */
  readonly composeTimings?: ComposeTimings;
  /** Where the context came from (optional until every backend sets it). */
  readonly origin?: ContextOrigin;
}

export interface LoadContextOptions extends ContextConfigOptions {
  /**
   * Graph signatures supplied by the caller: used when QnnSystem is unavailable or cannot
   * read the binary (QNN backend), and as the graphs of a mock context.
   */
  readonly graphs?: readonly GraphSignature[];
  /** The performance profile voted while this context's graphs run (runs may name their own). */
  readonly perfProfile?: PerfProfile;
  /** Profile the load (QNN profile API): the events are in `ctx.loadProfile`. */
  readonly profile?: ProfileLevel;
}

/** One binary of loadContexts: a path, bytes, or either with its own graph signatures. */
export type ContextSource =
  | string
  | Uint8Array
  | { readonly source: string | Uint8Array; readonly graphs?: readonly GraphSignature[] };

export interface LoadContextsOptions extends LoadContextOptions {
  /** One HTP spill-fill group for all the contexts (REGISTER_MULTI_CONTEXTS). Default false. */
  readonly shareResources?: boolean;
  /**
   * The group's spill-fill buffer in bytes. Default: the largest the binaries declare
   * (QnnSystem's binary info); required when it cannot tell.
   */
  readonly spillFillBytes?: number;
}

/** How a model source is composed: a DLC through QnnModelDlc, or a model library's own entry point. */
export type ModelFormat = 'dlc' | 'library';

/** Reported as composition advances: once per phase start, once per finalized graph. */
export interface ComposeProgress {
  readonly phase: 'compose' | 'finalize';
  /** The graph being finalized (finalize phase only). */
  readonly graph?: string;
  /** 0-based index of the graph (finalize), else 0. */
  readonly index: number;
  /** How many graphs (finalize), else 1. */
  readonly count: number;
  /** Since the composition started. */
  readonly elapsedMs: number;
}

/** Milliseconds spent composing a model on the backend (docs/native-runtime.md). */
export interface ComposeTimings {
  /** The model's compose entry point (QnnModel_composeGraphs / composeGraphsFromDlc). */
  readonly composeMs: number;
  /** graphFinalize of every graph. */
  readonly finalizeMs: number;
  /** Library load to graphs ready. */
  readonly totalMs: number;
}

/**
 * composeModel's options: the context configs loadContext takes (`graphConfigs` per graph
 * name are sent with the compose call as GraphConfigInfo_t), plus the model's format.
 */
export interface ComposeOptions extends ContextConfigOptions {
  /** Default by extension: `.dlc` → 'dlc', anything else → 'library'. */
  readonly format?: ModelFormat;
  /** The performance profile voted while this context's graphs run. */
  readonly perfProfile?: PerfProfile;
  /** Profile graphFinalize (QNN profile API): the events are in `ctx.loadProfile`. */
  readonly profile?: ProfileLevel;
  readonly onProgress?: (progress: ComposeProgress) => void;
  /** QnnModelDlc library path (DLC format); default: searched like QnnSystem. */
  readonly modelDlc?: string;
}

/** What saveBinary wrote. */
export interface SavedBinary {
  readonly path: string;
  readonly bytes: number;
  /** contextGetBinarySize + contextGetBinary. */
  readonly serializeMs: number;
}

/** Where a context came from. */
export interface ContextOrigin {
  readonly kind: 'binary' | 'dlc' | 'library';
  /** The file (absent for a binary given as bytes). */
  readonly path?: string;
}

/** What identifies a backend build (cache keys, messages). */
export interface BackendDescription {
  /** 'qnn' or 'mock'. */
  readonly kind: string;
  readonly buildId: string;
  readonly coreApiVersion?: string;
  readonly backendApiVersion?: string;
  /** The backend library's path (QNN). */
  readonly library?: string;
}

export interface Backend extends AsyncDisposable {
  /** 'qnn' for the native runtime, 'mock' for the TypeScript one. */
  readonly kind: string;
  /** A context binary by path (memory-mapped) or in memory. */
  loadContext(source: string | Uint8Array, options?: LoadContextOptions): Promise<Context>;
  /**
   * Several binaries in order; `shareResources: true` makes them one HTP spill-fill group
   * (docs/configs.md). Returns the contexts in the order given.
   */
  loadContexts?(sources: readonly ContextSource[], options?: LoadContextsOptions): Promise<Context[]>;
  /**
   * A tensor in memory the backend can use without copying (QNN: rpcmem registered with
   * memRegister; docs/shared-memory.md), else a plain zero-filled tensor: same API.
   */
  allocTensor?<T extends DType>(dtype: T, dims: readonly number[], options?: AllocTensorOptions): Tensor<T>;
  /** Whether allocTensor gives shared memory, and why not (one line) when it does not. */
  readonly sharedMemory?: { readonly available: boolean; readonly reason: string | null };
  /**
   * A DLC (through QnnModelDlc) or model library composed on this backend, every graph
   * finalized: runs like a loaded binary's context (docs/native-runtime.md). Optional until
   * every backend implements it.
   */
  composeModel?(source: string, options?: ComposeOptions): Promise<Context>;
  /** The backend's identity: what a context binary made here depends on. */
  describe?(): BackendDescription;
  /** Idempotent; disposes every context this backend created. */
  dispose(): Promise<void>;
}
