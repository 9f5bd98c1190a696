/**
 * Types-only description of the native module (build/Release/qnn_node.node). Nothing here
 * runs; lib/native/binding.ts is the one place that loads the module. Public code never
 * sees these: lib/backend/qnn wraps them with typed errors and Tensors.
 *
 * Conventions: every method validates its arguments again in C++ (TypeError with
 * `code: 'ERR_INVALID_ARG'`); failures carry `code` and, for QNN statuses, `status`
 * (bigint), `statusName`, `apiFunction` and `backendMessage`.
 */

import type { NativeContextConfigPlan, NativeCustomConfig } from '../backend/qnn/htp-configs.js';

/** QNN log levels as numbers: 1 error, 2 warn, 3 info, 4 verbose, 5 debug (0 = off). */
export type NativeLogLevel = 0 | 1 | 2 | 3 | 4 | 5;

export interface NativeRuntimeOptions {
  /** A full path or a bare file name resolved by the platform's library search. */
  backendPath: string;
  /** QnnSystem library; omitted = no binary info (callers must supply graph signatures). */
  systemPath?: string;
  /** Fail the load when QnnSystem cannot be used (otherwise `systemError` says why). */
  systemRequired?: boolean;
  logLevel?: NativeLogLevel;
  /** Called on the main thread (through an unref'd thread-safe function). */
  onLog?: (level: number, message: string) => void;
  /** true: deviceCreate must succeed; false: never create a device; undefined: best effort. */
  device?: boolean;
  /** The rpcmem library (libcdsprpc or the reference stand-in); omitted: the platform's libcdsprpc by name. */
  rpcmemLibrary?: string;
  /** Android: exported as ADSP_LIBRARY_PATH before the backend is loaded. */
  adspLibraryPath?: string;
  /** HTP custom configs for backendCreate / deviceCreate (gated natively by `since`). */
  backendConfigs?: NativeCustomConfig[];
  deviceConfigs?: NativeCustomConfig[];
}

export interface NativeProviderInfo {
  name: string;
  backendId: number;
  coreApiVersion: string;
  backendApiVersion: string;
}

/** deviceGetPlatformInfo, copied at load (ids and types as the backend numbers them). */
export interface NativePlatformInfo {
  /** QnnDevice_PlatformInfo_t version tag. */
  version: number;
  devices: {
    id: number;
    type: number;
    cores: { id: number; type: number }[];
    /** The backend attached a (backend-specific, not read) deviceInfoExtension. */
    hasExtension: boolean;
  }[];
}

export interface NativeRuntimeInfo {
  backendPath: string;
  /** Shared tensors: usable (rpcmem loaded and probed, memRegister present) or why not. */
  sharedMemory: { available: boolean; reason: string | null; library: string | null; descriptor: 'shared-buffer' | 'ion' | null };
  systemPath: string | null;
  buildId: string;
  backendId: number;
  providerName: string;
  coreApiVersion: string;
  backendApiVersion: string;
  systemApiVersion: string | null;
  systemProviderName: string | null;
  systemError: string | null;
  /** Bytes between QnnSystemContext_GraphInfo_t entries (88 / 64 / 48); null without QnnSystem. */
  graphInfoStride: number | null;
  device: boolean;
  deviceError: string | null;
  /** null when the backend has no deviceGetPlatformInfo or it failed. */
  platform: NativePlatformInfo | null;
  /** The failure status (name and code) or what could not be read; null when none. */
  platformError: string | null;
  /** Slots of the core function table read for the reported core version. */
  coreTableSlots: number;
  /** The HTP perf infrastructure is usable (a device, deviceGetInfrastructure, the HTP layout). */
  powerAvailable: boolean;
  /** Why power votes are unavailable; null when they are available. */
  powerError: string | null;
  logging: boolean;
  providers: NativeProviderInfo[];
}

/** Quantization as the native layer reports/accepts it (encoding: Qnn_QuantizationEncoding_t). */
export interface NativeQuant {
  encoding?: number;
  bitwidth?: number;
  scale?: number;
  offset?: number;
  axis?: number;
  scales?: number[];
  offsets?: number[];
}

export interface NativeTensorInfo {
  name: string;
  id: number;
  /** Qnn_TensorType_t */
  type: number;
  /** Qnn_DataType_t */
  dataType: number;
  tensorVersion: number;
  dims: number[];
  byteSize: number;
  quant?: NativeQuant;
}

/** A caller-supplied graph signature (when QnnSystem cannot read the binary). */
export interface NativeGraphSignature {
  name: string;
  inputs: NativeTensorSignature[];
  outputs: NativeTensorSignature[];
}

export interface NativeTensorSignature {
  name: string;
  id?: number;
  dataType: number;
  dims: number[];
  quant?: NativeQuant;
}

export interface NativeLoadTimings {
  mapMs: number;
  createMs: number;
  retrieveMs: number;
  totalMs: number;
}

export interface NativeGraphInfo {
  name: string;
  inputs: NativeTensorInfo[];
  outputs: NativeTensorInfo[];
  handle: NativeGraph;
}

export interface NativeContextLoadResult {
  timings: NativeLoadTimings;
  /** true when the graphs came from QnnSystem's binary info, false when from the caller. */
  graphsFromSystem: boolean;
  /** Why QnnSystem's info was not used, when it was not. */
  systemNote: string | null;
  /** true when the binary was memory-mapped from a file. */
  mapped: boolean;
  /** The binary stays mapped/pinned until the context is freed (QNN_CONTEXT_CONFIG_PERSISTENT_BINARY). */
  persistentBinary: boolean;
  /** persistentBinary left undefined and the config not used: why (old core API, refused by the backend). */
  persistentNote?: string;
  binaryBytes: number;
  graphs: NativeGraphInfo[];
  loadProfile?: NativeProfile;
}

export interface NativeRuntime {
  load(options: NativeRuntimeOptions): Promise<NativeRuntimeInfo>;
  /** Drops the runtime's own hold; contexts keep it alive until they are freed. */
  dispose(): void;
  readonly disposed: boolean;
  /**
   * The instance performance profile (null: clear it, no vote): voted now on the pool when
   * it differs from the vote in place. POWER_UNAVAILABLE without power control ('default'
   * and null resolve without a call).
   */
  setPerfProfile(profile: string | null): Promise<void>;
  /** Raw power configs (17 words each, lib/backend/qnn/power-configs.ts) on (deviceId, coreId). */
  setPowerConfig(configs: Uint32Array, deviceId?: number, coreId?: number): Promise<void>;
  /**
   * One rpcmem block (zero-filled) behind an external ArrayBuffer; runs pass views into it
   * as registered memhandles. SHARED_MEMORY_UNAVAILABLE / EXTERNAL_BUFFERS_FORBIDDEN /
   * SHARED_ALLOC_FAILED.
   */
  allocShared(bytes: number): { buffer: ArrayBuffer; fd: number };
  /** Detaches the block's ArrayBuffer and releases it (after the runs using it). false: not a live block. */
  freeShared(buffer: ArrayBuffer): boolean;
}

export interface NativeContext {
  /**
   * A path (memory-mapped) or bytes (pinned). `persistentBinary: false`: the mapping / pin
   * is released as soon as contextCreateFromBinary returns (the backend copies); `true`:
   * the backend may keep pointers into the binary until the context is freed (bytes must
   * then not be transferred until then); undefined: for a path, `true` when the core API
   * has the config, with one plain retry if the backend refuses it; for bytes, `false`.
   * Graph signatures are read before the bytes' pointer is taken; resizable / growable
   * buffers are refused (ERR_INVALID_ARG).
   */
  load(
    source: string | ArrayBufferView | ArrayBuffer,
    graphs?: NativeGraphSignature[],
    persistentBinary?: boolean,
    /** Context/graph configs and a spill-fill group (lib/backend/qnn/htp-configs.ts builds them). */
    configs?: NativeContextConfigPlan,
  ): Promise<NativeContextLoadResult>;
  /** Before load(): profile contextCreateFromBinary (the result then has loadProfile). */
  setLoadProfile(level: 'basic' | 'detailed' | 'optrace' | undefined): void;
  /** true: freed now; false: freed when the runs in flight settle. */
  dispose(): boolean;
  /** The profile voted while this context's graphs run (null: none). POWER_UNAVAILABLE without power control. */
  setPerfProfile(profile: string | null): void;
  readonly pendingRuns: number;
  /**
   * contextApplyBinarySection (core 2.18+): a path (memory-mapped for the call) or bytes
   * (pinned for the call); `graph` is an index into the load result's graphs (omitted:
   * the whole context). Waits for runs executing on the context's graphs. On a persistent
   * context the mapping / bytes stay referenced until the context is freed (`retained`).
   * Throws UNSUPPORTED_FEATURE synchronously on core < 2.18 or a NULL slot.
   */
  applyBinarySection(source: string | ArrayBufferView | ArrayBuffer, graph?: number): Promise<NativeSectionApplyResult>;
  /** contextGetBinarySectionSize + contextGetBinarySection: the current updatable section. */
  readBinarySection(graph?: number): Promise<Uint8Array>;
  /**
   * Instead of load(): a model library (`format` 'library') or a DLC through the first of
   * `dlcLibraries` that loads, composed on the backend and finalized graph by graph
   * (native/addon/ContextCompose.cc). setLoadProfile before it profiles the finalize calls.
   */
  compose(
    source: string,
    format: 'dlc' | 'library',
    dlcLibraries: { path: string; origin: string }[] | undefined,
    configs?: NativeContextConfigPlan,
    onProgress?: (event: NativeComposeProgress) => void,
  ): Promise<NativeComposeResult>;
  /** contextGetBinarySize + contextGetBinary on a worker (BINARY_SERIALIZE_UNSUPPORTED when the backend cannot). */
  getBinary(): Promise<{ bytes: Uint8Array; serializeMs: number }>;
}

/** One composition step (seq counts from 1 in the order they happened). */
export interface NativeComposeProgress {
  seq: number;
  phase: 'compose' | 'finalize';
  graph?: string;
  index: number;
  count: number;
  elapsedMs: number;
}

export interface NativeComposeResult extends NativeContextLoadResult {
  composeTimings: { composeMs: number; finalizeMs: number; totalMs: number };
  /** The library the loader opened (the model library, or libQnnModelDlc). */
  modelLibrary: string;
  /** Every progress event, in order (a late thread-safe call may not have delivered them all yet). */
  progress: NativeComposeProgress[];
}

export interface NativeSectionApplyResult {
  applyMs: number;
  sectionBytes: number;
  mapped: boolean;
  retained: boolean;
}

/** Per-run options (native/addon/RunOptions.h); every field optional. */
export interface NativeRunOptions {
  // ---- power ----
  /** A profile name (lib/backend/power.ts): voted before graphExecute when it differs from the vote in place. */
  perfProfile?: string;
  /** After the run, vote again what was in place before it (when no other run is in flight). */
  restorePerfProfile?: boolean;

  // ---- profiling ----
  profile?: 'basic' | 'detailed' | 'optrace';
}

/** What a run hands back besides its outputs (undefined when nothing was asked for). */
export interface NativeRunResult {
  // ---- profiling ----
  profile?: NativeProfile;
}

/** One event as the addon reads it (native/addon/Profiling.h): raw QNN codes. */
export interface NativeProfileEvent {
  type: number;
  unit: number;
  value: number;
  identifier?: string;
  timestamp?: number;
  children: NativeProfileEvent[];
}

export interface NativeProfile {
  level: string;
  extended: boolean;
  events: NativeProfileEvent[];
}

export interface NativeGraph {
  /** Buffers in the order of the graph's inputs/outputs; outputs are written in place. */
  run(inputs: ArrayBufferView[], outputs: ArrayBufferView[], options?: NativeRunOptions): Promise<NativeRunResult | undefined>;
  runSync(inputs: ArrayBufferView[], outputs: ArrayBufferView[], options?: NativeRunOptions): NativeRunResult | undefined;
}

/** What `readBinaryInfo` resolves to. */
export interface NativeBinaryInfo {
  systemPath: string;
  systemApiVersion: string;
  /** The GraphInfo stride read with (88 / 64 / 48); null for one graph at System 1.1 without an SDK version (not needed). */
  graphInfoStride: number | null;
  /** How the stride was decided: 'system-api', 'single-graph', 'data', 'sdk-version' or 'agree'. */
  graphInfoStrideSource: string;
  /** The binary info's buildId (for real binaries: the SDK build that made it), or null. */
  buildId: string | null;
  binaryBytes: number;
  /** The spill-fill buffer the binary needs (HTP hardware / graph blobs), null when the info has none. */
  spillFillBytes: number | null;
  graphs: { name: string; inputs: NativeTensorInfo[]; outputs: NativeTensorInfo[] }[];
}

/** What `mapFile` returns. */
export interface NativeMappedFile {
  /**
   * The whole file. `mapped: true`: an external ArrayBuffer over a private copy-on-write
   * mapping (mmap MAP_PRIVATE + PROT_READ|PROT_WRITE / MapViewOfFile FILE_MAP_COPY) —
   * writes land in private pages and never reach the file; unmapped by the buffer's
   * finalizer once it and every view of it are garbage-collected.
   */
  buffer: ArrayBuffer;
  byteLength: number;
  /** false: the runtime refuses external buffers (V8 sandbox): the bytes were copied. */
  mapped: boolean;
}

export interface NativeAddon {
  Runtime: (new () => NativeRuntime) & {
    /**
     * Ends the process now with `code`, skipping exit-time destructors: libuv joins its
     * worker threads at exit, so a backend call that never returns would hold exit forever.
     */
    exitProcess(code: number): never;
  };
  Context: new (runtime: NativeRuntime) => NativeContext;
  Graph: (new (context: NativeContext, index: number) => NativeGraph) & {
    /** A promise settled by a no-op napi_async_work: the pool round trip of `run` without QNN (benchmarks only). */
    asyncFloor(): Promise<void>;
  };
  /**
   * Maps a whole file (see NativeMappedFile). Errors carry `code` and `details.path`:
   * ERR_INVALID_ARG (TypeError: not a string, empty), FILE_NOT_FOUND, NOT_A_FILE
   * (directory, device, FIFO), FILE_EMPTY, MAP_FAILED (permissions, address space).
   * Absent from builds older than this function.
   */
  mapFile?: (path: string) => NativeMappedFile;
  /**
   * Reads a context binary's graphs with QnnSystem only (no backend, no context): loads
   * `systemPath` (System API 1.x, x >= 1), maps the file (or reads the bytes, pinned until
   * settled), calls systemContextGetBinaryInfo and deep-copies. `sdkMinor` decides the
   * GraphInfo layout at System 1.1 (refused with UNSUPPORTED_VERSION without it). Errors:
   * LIBRARY_LOAD_FAILED (details.library 'system'), UNSUPPORTED_VERSION, FILE_NOT_FOUND,
   * BINARY_INVALID. Absent from builds older than this function.
   */
  readBinaryInfo?: (systemPath: string, source: string | ArrayBufferView | ArrayBuffer, sdkMinor?: number) => Promise<NativeBinaryInfo>;
  /**
   * Resource limits a process puts on itself (the isolated binary reader's child):
   * `memoryBytes` more address space than it uses now (Linux), `cpuSeconds` of CPU time
   * (POSIX), death with `parentPid` (Linux). Returns what was applied (null / false: not
   * on this platform). Absent from builds older than this function.
   */
  limitProcess?: (options: { memoryBytes?: number; cpuSeconds?: number; parentPid?: number }) => {
    addressSpaceBytes: number | null;
    cpuSeconds: number | null;
    dieWithParent: boolean;
  };
  /**
   * C = A·B (+ bias) in float32 on the libuv pool and up to `threads` (default
   * min(hardware threads, 8)) cores: a [m × k], weight from hostMatmulWeight, bias [n] or
   * null, out [m × n]. a and bias are copied at the call; the result is copied into out
   * when the work is done (the worker touches no JS memory). Errors: ERR_INVALID_ARG
   * (TypeError: not a Float32Array, resizable, not a hostMatmulWeight), ERR_OUT_OF_RANGE
   * (RangeError: m, k, n, threads), SIZE_MISMATCH, BUFFER_DETACHED (an argument detached
   * before the call: TypeError; out detached while the matmul was in flight: rejects).
   * Absent from builds older than this function.
   */
  hostMatmul?: (a: Float32Array, weight: NativeMatmulWeightHandle, bias: Float32Array | null, out: Float32Array, m: number, k: number, n: number, threads?: number) => Promise<void>;
  /**
   * Copies a [k × n] weight packed in panels of 16 columns (lib/native/host-matmul.ts
   * packMatmulWeight) into native memory owned by the returned handle (and by any matmul
   * using it), so it cannot be transferred or freed while a matmul runs.
   */
  hostMatmulWeight?: (packed: Float32Array, k: number, n: number) => NativeMatmulWeightHandle;
  napiVersion: number;
  /** Compiled against the real QNN SDK headers (QNN_SDK_ROOT) rather than the project's. */
  sdkHeaders: boolean;
  minCoreApi: string;
}

/** A native error before lib/backend/qnn/errors.ts converts it. */
export interface NativeError extends Error {
  code?: string;
  status?: bigint;
  statusName?: string;
  apiFunction?: string;
  backendMessage?: string;
  details?: Record<string, string | string[]>;
}

/** A packed matmul weight in native memory (addon.hostMatmulWeight); opaque besides its shape. */
export interface NativeMatmulWeightHandle {
  readonly k: number;
  readonly n: number;
}
