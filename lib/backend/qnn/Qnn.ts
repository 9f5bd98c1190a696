/**
 * The native QNN backend: loads the user's QNN libraries (libQnnHtp + libQnnSystem, or the
 * project's reference backend) and creates contexts from context binaries.
 *
 * ```ts
 * await using qnn = await Qnn.load({ backend: 'reference' });
 * await using ctx = await qnn.loadContext('model.bin');
 * const { logits } = await ctx.graph('main').run({ pixel_values });
 * ```
 */
import { DisposedError, QnnNodeError, invalidArg } from '../../errors.js';
import { loadAddon, referenceBackendPaths } from '../../native/binding.js';
import type { NativeAddon, NativeLogLevel, NativePlatformInfo, NativeRuntime, NativeRuntimeInfo } from '../../native/AddonTypes.js';
import { registerBackend } from '../registry.js';
import type { Backend, BackendDescription, ComposeOptions, ContextSource } from '../types.js';
import { composeContext } from './compose.js';
import { toInfo } from './qnn-info.js';
import { checkDeadline, throwIfAborted, DEVICE_HANG_HINT, withDeadline, type DeadlineOptions } from './deadline.js';
import { withCallerStack } from './errors.js';
import { backendMinor, htpCustomConfigs, type HtpBackendConfig, type HtpDeviceConfig } from './htp-configs.js';
import { checkBinaryStructure, readBinaryHead } from './binary-header.js';
import { sdkMinorOfBuildId } from './binary-producer.js';
import { isolationOption, readBinaryInfoIsolated } from './isolated-reader.js';
import { existing, libraryCandidates, libraryLoadError, type Attempt, type Candidate } from './libraries.js';
import { QnnContext, type QnnLoadContextOptions, type SpillFillGroupRequest } from './QnnContext.js';
import { loadContextGroup, type LoadContextsOptions } from './shared-contexts.js';
import { checkPerfProfile, checkPerfProfileOrNull, type PerfProfile } from '../power.js';
import { encodePowerConfigs, type PowerConfig, type PowerTarget } from './power-configs.js';
import { checkProfileFor, powerInfoOf, powerUnavailable, type QnnPowerInfo } from './qnn-power.js';
import { nativeBlocks, referenceRpcmemPath, sharedMemoryInfoOf } from './shared-memory.js';
import { SharedAllocator, type AllocTensorOptions, type SharedMemoryInfo, type TensorPool, type TensorPoolOptions } from '../../tensor/shared.js';
import type { DType } from '../../tensor/dtypes.js';
import type { Tensor } from '../../tensor/Tensor.js';

export type QnnLogLevel = 'off' | 'error' | 'warn' | 'info' | 'verbose' | 'debug';
const LOG_LEVELS: readonly QnnLogLevel[] = ['off', 'error', 'warn', 'info', 'verbose', 'debug'];

export interface QnnLoadOptions {
  /**
   * The backend library: a path, a file name (looked up in $QNN_SDK_ROOT/lib/<platform>
   * and on the library search path), or 'reference' for the project's CPU reference
   * backend (build/Release or prebuilds). Default: libQnnHtp.so / QnnHtp.dll.
   */
  readonly backend?: string;
  /**
   * The QnnSystem library (reads the graphs of context binaries). Default: libQnnSystem.so /
   * QnnSystem.dll found like the backend, optional (a failure is reported in info.systemError);
   * a value given explicitly must load. false: do not load QnnSystem (pass graph signatures
   * to loadContext instead).
   */
  readonly system?: string | false;
  /** Overrides the QNN_SDK_ROOT environment variable. */
  readonly sdkRoot?: string;
  /** QNN's log level (default 'warn' when onLog is given, else 'off'). */
  readonly logLevel?: QnnLogLevel;
  /** Receives the backend's log lines on the main thread, from any backend thread. */
  readonly onLog?: (level: Exclude<QnnLogLevel, 'off'>, message: string) => void;
  /** Android: sets ADSP_LIBRARY_PATH (the folder of the HTP skel libraries) before loading. */
  readonly adspLibraryPath?: string;
  /** true: a QNN device must be created; false: never; default: when the backend offers one. */
  readonly device?: boolean;
  /**
   * Gives up on the load after this many milliseconds (TIMEOUT). The backend call cannot be
   * interrupted: it finishes in its worker thread and what it created is freed then.
   */
  readonly timeoutMs?: number;
  /** Gives up on the load when this signal aborts (ABORTED), like timeoutMs. */
  readonly signal?: AbortSignal;
  /** The default timeoutMs of this backend's loadContext calls (each call may give its own). */
  readonly contextTimeoutMs?: number;
  /** backendCreate's configs: `{ htp: {} }` (the HTP headers define no backend custom config). */
  readonly backendConfig?: { readonly htp?: HtpBackendConfig };
  /** deviceCreate's configs: HTP device custom configs (SoC, arch, process domains). */
  readonly deviceConfig?: { readonly htp?: HtpDeviceConfig };
  /**
   * The instance performance profile (docs/power.md), voted right after the load and for
   * every run whose context and call name none. POWER_UNAVAILABLE without power control.
   */
  readonly perfProfile?: PerfProfile;
  /**
   * The rpcmem library for shared tensors (docs/shared-memory.md). Default: the platform's
   * libcdsprpc by name (libcdsprpc.so, /vendor/lib64/libcdsprpc.so; libcdsprpc.dll); for
   * backend 'reference', its stand-in. A failure is not fatal: qnn.info.sharedMemory says why.
   */
  readonly rpcmemLibrary?: string;
}

/** Qnn#loadContext options: the context's own, plus a time limit / abort signal. */
export type QnnLoadContextCallOptions = QnnLoadContextOptions & DeadlineOptions;

/** deviceGetPlatformInfo as copied at load (Qnn#info.platform). */
export interface QnnPlatformInfo {
  readonly version: number;
  readonly devices: readonly {
    readonly id: number;
    readonly type: number;
    readonly cores: readonly { readonly id: number; readonly type: number }[];
    /** Whether the backend attached a deviceInfoExtension (its layout is SDK-specific and not read). */
    readonly hasExtension: boolean;
  }[];
}

/** What was loaded (Qnn#info). */
export interface QnnInfo {
  readonly backendPath: string;
  readonly systemPath: string | null;
  readonly reference: boolean;
  readonly buildId: string;
  readonly backendId: number;
  readonly providerName: string;
  readonly coreApiVersion: string;
  readonly backendApiVersion: string;
  readonly systemApiVersion: string | null;
  /** Why QnnSystem is not in use, when it is not. */
  readonly systemError: string | null;
  readonly graphInfoStride: number | null;
  readonly device: boolean;
  readonly deviceError: string | null;
  /** The platform and hardware devices deviceGetPlatformInfo reports; null when not reported. */
  readonly platform: QnnPlatformInfo | null;
  /** Why the platform info is missing or partial (status name and code, unknown version…). */
  readonly platformError: string | null;
  readonly logging: boolean;
  readonly coreTableSlots: number;
  readonly providers: readonly { name: string; backendId: number; coreApiVersion: string; backendApiVersion: string }[];
  /** The addon was compiled against the real SDK headers (QNN_SDK_ROOT at build time). */
  readonly sdkHeaders: boolean;
  /** HTP power control (perf profiles, raw power configs): available or why not. */
  readonly power: QnnPowerInfo;
  /** Shared tensors (allocTensor / createTensorPool): available or why not. */
  readonly sharedMemory: SharedMemoryInfo;
}

function checkOptions(options: unknown): QnnLoadOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw invalidArg('an options object', 'options', options);
  const o = options as Record<string, unknown>;
  for (const key of ['backend', 'sdkRoot', 'adspLibraryPath', 'rpcmemLibrary'] as const) {
    if (o[key] !== undefined && (typeof o[key] !== 'string' || (o[key] as string).length === 0)) {
      throw invalidArg('a non-empty string', `options.${key}`, o[key]);
    }
  }
  if (o.system !== undefined && o.system !== false && (typeof o.system !== 'string' || o.system.length === 0)) {
    throw invalidArg('a non-empty string or false', 'options.system', o.system);
  }
  if (o.logLevel !== undefined && !LOG_LEVELS.includes(o.logLevel as QnnLogLevel)) {
    throw invalidArg(`one of ${LOG_LEVELS.join(', ')}`, 'options.logLevel', o.logLevel);
  }
  if (o.onLog !== undefined && typeof o.onLog !== 'function') throw invalidArg('a function', 'options.onLog', o.onLog);
  if (o.device !== undefined && typeof o.device !== 'boolean') throw invalidArg('a boolean', 'options.device', o.device);
  checkDeadline(o);
  checkDeadline(o, 'options', 'contextTimeoutMs');
  for (const key of ['backendConfig', 'deviceConfig'] as const) {
    const c = o[key];
    if (c === undefined) continue;
    if (typeof c !== 'object' || c === null || Array.isArray(c)) throw invalidArg('a { htp } config object', `options.${key}`, c);
    for (const k of Object.keys(c)) if (k !== 'htp') throw invalidArg("'htp'", `options.${key}`, k);
  }
  if (o.device === false && (o.deviceConfig as { htp?: object } | undefined)?.htp) {
    throw invalidArg('no deviceConfig (device: false creates no device)', 'options.deviceConfig', o.deviceConfig);
  }
  if (o.perfProfile !== undefined) checkPerfProfile(o.perfProfile, 'options.perfProfile');
  return o as QnnLoadOptions;
}

export class Qnn implements Backend {
  readonly kind = 'qnn';
  readonly info: QnnInfo;
  readonly #addon: NativeAddon;
  readonly #runtime: NativeRuntime;
  readonly #contexts = new Set<QnnContext>();
  readonly #loading = new Set<Promise<unknown>>();
  readonly #contextTimeoutMs: number | undefined;
  #sdkRoot: string | undefined;
  #disposing: Promise<void> | undefined;
  #perfProfile: PerfProfile | undefined;
  readonly #shared: SharedAllocator;

  private constructor(addon: NativeAddon, runtime: NativeRuntime, info: QnnInfo, contextTimeoutMs: number | undefined) {
    this.#addon = addon;
    this.#runtime = runtime;
    this.info = info;
    this.#contextTimeoutMs = contextTimeoutMs;
    this.#shared = new SharedAllocator(nativeBlocks(runtime, info.sharedMemory, () => this.disposed));
  }

  /** Loads the QNN libraries and creates the log, backend and (optional) device. */
  static async load(options?: QnnLoadOptions): Promise<Qnn> {
    const callSite = new Error();
    const opts = checkOptions(options);
    const addon = loadAddon();
    const sdkRoot = opts.sdkRoot ?? (process.env.QNN_SDK_ROOT || undefined);
    const reference = opts.backend === 'reference';
    let backends: Candidate[];
    let systems: Candidate[];
    let systemRequired = opts.system !== undefined && opts.system !== false;
    let rpcmemLibrary = opts.rpcmemLibrary;
    if (reference) {
      const ref = referenceBackendPaths();
      rpcmemLibrary ??= referenceRpcmemPath(ref);
      backends = [{ path: ref.backend, origin: 'the reference backend', bare: false }];
      systems = opts.system === false ? [] : libraryCandidates(opts.system ?? ref.system, 'QnnSystem', sdkRoot);
      systemRequired = opts.system !== false;
    } else {
      backends = libraryCandidates(opts.backend, 'QnnHtp', sdkRoot);
      systems = opts.system === false ? [] : libraryCandidates(opts.system, 'QnnSystem', sdkRoot);
    }
    const systemAttempts: Attempt[] = [];
    const systemList = existing(systems, systemAttempts);
    if (systemRequired && systemList.length === 0) throw libraryLoadError('system', systemAttempts);
    // The first system candidate that exists goes to the native side (a bare name is
    // resolved by the platform there); a failure is fatal only when it was asked for.
    const systemPath = systemList[0]?.path;
    // Gated natively: the reported version is known only once the library is loaded.
    const backendConfigs = htpCustomConfigs('backend', opts.backendConfig?.htp, 'options.backendConfig.htp');
    const deviceConfigs = htpCustomConfigs('device', opts.deviceConfig?.htp, 'options.deviceConfig.htp');

    const level: QnnLogLevel = opts.logLevel ?? (opts.onLog ? 'warn' : 'off');
    const onLog = opts.onLog;
    const logSink = onLog
      ? (n: number, message: string): void => {
          try {
            onLog((LOG_LEVELS[n] ?? 'debug') as Exclude<QnnLogLevel, 'off'>, message);
          } catch (error) {
            process.emitWarning(`qnn-node: the onLog callback threw: ${(error as Error)?.message ?? String(error)}`);
          }
        }
      : undefined;

    throwIfAborted(opts.signal, 'Qnn.load');
    const attempts: Attempt[] = [];
    // Set when the deadline gives up: stop trying candidates, drop the one loading.
    let abandoned = false;
    let loadingRuntime: NativeRuntime | undefined;
    let loadingPath: string | undefined;
    const work = (async (): Promise<Qnn> => {
      for (const candidate of existing(backends, attempts)) {
        if (abandoned) break;
        const runtime = new addon.Runtime();
        loadingRuntime = runtime;
        loadingPath = candidate.path;
        try {
          const info = await withCallerStack(
            () => runtime.load({
              backendPath: candidate.path,
              ...(systemPath ? { systemPath } : {}),
              systemRequired,
              logLevel: LOG_LEVELS.indexOf(level) as NativeLogLevel,
              ...(logSink ? { onLog: logSink } : {}),
              ...(opts.device !== undefined ? { device: opts.device } : {}),
              ...(opts.adspLibraryPath ? { adspLibraryPath: opts.adspLibraryPath } : {}),
              ...(rpcmemLibrary ? { rpcmemLibrary } : {}),
              ...(backendConfigs.length ? { backendConfigs } : {}),
              ...(deviceConfigs.length ? { deviceConfigs } : {}),
            }),
            callSite,
            'QNN runtime',
          );
          const qnn = new Qnn(addon, runtime, toInfo(info, reference, addon.sdkHeaders, runtime), opts.contextTimeoutMs);
          qnn.#sdkRoot = sdkRoot;
          if (opts.perfProfile !== undefined) await qnn.#applyLoadProfile(opts.perfProfile, callSite);
          return qnn;
        } catch (error) {
          runtime.dispose();
          const e = error as QnnNodeError;
          const isBackendLoad = e.code === 'LIBRARY_LOAD_FAILED' && e.details?.library === 'backend';
          if (!isBackendLoad) throw error;
          attempts.push({ candidate, reason: String(e.details?.loaderError ?? e.message) });
        } finally {
          loadingRuntime = undefined;
        }
      }
      const err = libraryLoadError('backend', attempts);
      const frames = (callSite.stack ?? '').split('\n').slice(1).join('\n');
      if (frames) err.stack = `${err.name}: ${err.message}\n${frames}`;
      throw err;
    })();
    return withDeadline(work, opts, 'Qnn.load', {
      onAbandon: () => {
        abandoned = true;
        // A disposed Runtime frees what its load creates as soon as the load returns.
        loadingRuntime?.dispose();
      },
      onLate: (qnn) => void qnn.dispose(),
      // The library that was loading when the limit passed.
      details: () => (loadingPath ? { library: 'backend', path: loadingPath } : {}),
      hint: DEVICE_HANG_HINT,
    });
  }

  get disposed(): boolean {
    return this.#disposing !== undefined;
  }

  /** Qnn.load's perfProfile: a refusal disposes the runtime (the load fails). */
  async #applyLoadProfile(profile: PerfProfile, callSite: Error): Promise<void> {
    try {
      checkProfileFor(this.info.power, profile, 'options.perfProfile', 'set the performance profile');
      await withCallerStack(() => this.#runtime.setPerfProfile(profile), callSite, 'QNN runtime');
      this.#perfProfile = profile;
    } catch (error) {
      this.#runtime.dispose();
      throw error;
    }
  }

  /** The instance performance profile (Qnn.load / setPerfProfile), or undefined. */
  get perfProfile(): PerfProfile | undefined {
    return this.#perfProfile;
  }

  /**
   * Sets the instance performance profile and votes it now when it differs from the vote in
   * place; runs whose context and call name none use it. null clears it without a vote.
   * POWER_UNAVAILABLE without power control (qnn.info.power.reason says why).
   */
  async setPerfProfile(profile: PerfProfile | null): Promise<void> {
    const callSite = new Error();
    if (this.disposed) throw new DisposedError('QNN backend');
    const p = checkPerfProfileOrNull(profile, 'profile') === null ? null : checkProfileFor(this.info.power, profile, 'profile', 'set the performance profile');
    await withCallerStack(() => this.#runtime.setPerfProfile(p ?? null), callSite, 'QNN runtime');
    this.#perfProfile = p ?? undefined;
  }

  /**
   * Raw HTP power configs for experts (docs/power.md), checked field by field against the
   * reported backend API version and voted now on `target` (default device 0, core 0). The
   * vote stays until a profile replaces it; the instance profile is cleared.
   */
  async setPowerConfig(configs: readonly PowerConfig[], target?: PowerTarget): Promise<void> {
    const callSite = new Error();
    if (this.disposed) throw new DisposedError('QNN backend');
    if (target !== undefined && (typeof target !== 'object' || target === null)) throw invalidArg('an object { deviceId, coreId }', 'target', target);
    const words = encodePowerConfigs(configs, this.info);
    if (!this.info.power.available) throw powerUnavailable(this.info.power, 'set power configs');
    await withCallerStack(() => this.#runtime.setPowerConfig(words, target?.deviceId, target?.coreId), callSite, 'QNN runtime');
    this.#perfProfile = undefined;
  }

  /** Whether allocTensor gives shared (rpcmem) tensors, and why not (= info.sharedMemory). */
  get sharedMemory(): SharedMemoryInfo {
    return this.info.sharedMemory;
  }

  /**
   * A zero-filled tensor in rpcmem shared memory (one block, or carved from `options.pool`)
   * that runs hand to QNN as a registered memhandle, without copies; a plain tensor when
   * shared memory is unavailable (`fallback: 'error'` throws instead). Free it with
   * freeTensor (or let it be collected). See docs/shared-memory.md.
   */
  allocTensor<T extends DType>(dtype: T, dims: readonly number[], options?: AllocTensorOptions): Tensor<T> {
    return this.#shared.allocTensor(dtype, dims, options);
  }

  /** One shared block carved into many tensors (one fd, registered per offset). */
  createTensorPool(options: TensorPoolOptions): TensorPool {
    if (this.disposed) throw new DisposedError('QNN backend');
    return this.#shared.createTensorPool(options);
  }

  /**
   * Releases a shared tensor now: its views become empty, its registrations are
   * deregistered; a run in flight keeps the memory until it settles (and then rejects with
   * BUFFER_DETACHED). false for a plain or already-freed tensor.
   */
  freeTensor(tensor: Tensor): boolean {
    return this.#shared.freeTensor(tensor);
  }

  /** A context from a binary: a path (memory-mapped) or bytes (used in place, pinned). */
  /**
   * Several context binaries in order (e.g. the 3–5 parts of a split LLM). With
   * `shareResources: true` they form one HTP spill-fill group (REGISTER_MULTI_CONTEXTS):
   * the first context opens it with the largest spill-fill buffer any part needs, the
   * others join it. A failure disposes the contexts already loaded. See docs/configs.md.
   */
  loadContexts(sources: readonly ContextSource[], options?: LoadContextsOptions): Promise<QnnContext[]> {
    return loadContextGroup(this, sources, options);
  }

  /**
   * @internal The spill-fill buffer a binary needs, from QnnSystem's binary info (null
   * when it reports none, or when no QnnSystem is loaded). The binary gets the structural
   * checks of loadContext first, and with validate: 'isolated' QnnSystem reads it in a
   * child process, as loadContext would.
   */
  async spillFillBytesOf(source: string | Uint8Array, options?: QnnLoadContextOptions): Promise<number | null> {
    const read = this.#addon.readBinaryInfo;
    const systemPath = this.info.systemPath;
    if (!systemPath || typeof read !== 'function') return null;
    const head = await readBinaryHead(source);
    checkBinaryStructure(head);
    const sdkMinor = sdkMinorOfBuildId(this.info.buildId) ?? (backendMinor(this.info.backendApiVersion) || undefined);
    const limits = isolationOption(options?.isolation, 'options.isolation');
    const isolated = options?.validate === 'isolated' && limits !== false;
    const info = isolated ? await readBinaryInfoIsolated(systemPath, source, sdkMinor, head.size, limits) : await read(systemPath, source, sdkMinor);
    return info.spillFillBytes ?? null;
  }

  /** @internal loadContexts: one load joining (or opening) a spill-fill group. */
  loadGroupMember(source: string | Uint8Array, options: QnnLoadContextCallOptions | undefined, group: SpillFillGroupRequest): Promise<QnnContext> {
    return this.#load(source, options, group);
  }

  async loadContext(source: string | Uint8Array, options?: QnnLoadContextCallOptions): Promise<QnnContext> {
    return this.#load(source, options, undefined);
  }

  async #load(source: string | Uint8Array, options: QnnLoadContextCallOptions | undefined, group: SpillFillGroupRequest | undefined): Promise<QnnContext> {
    if (this.disposed) throw new DisposedError('QNN backend');
    // signal / timeoutMs are this method's; the rest (or a non-object, which create() rejects) goes on.
    const isObject = typeof options === 'object' && options !== null;
    const { signal, timeoutMs, ...rest } = isObject ? options : ({} as QnnLoadContextCallOptions);
    if (isObject) checkDeadline({ signal, timeoutMs });
    const limit = timeoutMs ?? this.#contextTimeoutMs;
    const deadline: DeadlineOptions = { ...(signal ? { signal } : {}), ...(limit !== undefined ? { timeoutMs: limit } : {}) };
    const contextOptions = isObject ? (rest as QnnLoadContextOptions) : options;
    throwIfAborted(signal, 'Qnn#loadContext');
    // Aborted when the deadline gives up: stops an isolated validation and keeps the
    // backend from being called at all if it has not been yet.
    const abandon = new AbortController();
    const pending = QnnContext.create(this.#addon, this.#runtime, source, contextOptions, () => this.#contexts.delete(ctx!), this.info, abandon.signal, group);
    let ctx: QnnContext | undefined;
    this.#loading.add(pending);
    try {
      ctx = await withDeadline(pending, deadline, 'Qnn#loadContext', {
        // The late context is freed on arrival; Qnn#dispose() does not wait for it.
        onAbandon: () => {
          abandon.abort();
          this.#loading.delete(pending);
        },
        onLate: (late) => void late.dispose(),
      });
    } finally {
      this.#loading.delete(pending);
    }
    return this.#keep(ctx);
  }

  /** Tracks a context that finished loading, unless this backend was disposed meanwhile. */
  async #keep(ctx: QnnContext): Promise<QnnContext> {
    if (this.disposed) {
      await ctx.dispose();
      throw new DisposedError('QNN backend');
    }
    this.#contexts.add(ctx);
    return ctx;
  }

  /**
   * A DLC (composed by libQnnModelDlc) or a model library made by qnn-model-lib-generator
   * (its QnnModel_composeGraphs), composed on this backend and finalized graph by graph,
   * on a worker thread. The context runs like a loaded binary's; `saveBinary` turns it into
   * one. Format by extension (.dlc) unless options.format says. docs/native-runtime.md.
   */
  async composeModel(source: string, options?: ComposeOptions): Promise<QnnContext> {
    if (this.disposed) throw new DisposedError('QNN backend');
    let ctx: QnnContext | undefined;
    const pending = composeContext(this.#addon, this.#runtime, this.info, this.#sdkRoot, source, options, () => this.#contexts.delete(ctx!));
    this.#loading.add(pending);
    try {
      ctx = await pending;
    } finally {
      this.#loading.delete(pending);
    }
    return this.#keep(ctx);
  }

  /** What identifies this backend build (a context binary made here depends on it). */
  describe(): BackendDescription {
    return Object.freeze({
      kind: this.kind,
      buildId: this.info.buildId,
      coreApiVersion: this.info.coreApiVersion,
      backendApiVersion: this.info.backendApiVersion,
      library: this.info.backendPath,
    });
  }

  /** Idempotent: disposes every context (after their runs), then releases the runtime. */
  dispose(): Promise<void> {
    if (!this.#disposing) {
      this.#disposing = (async () => {
        while (this.#loading.size > 0) await Promise.allSettled([...this.#loading]);
        await Promise.allSettled([...this.#contexts].map((c) => c.dispose()));
        this.#contexts.clear();
        this.#runtime.dispose();
      })();
    }
    return this.#disposing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}

registerBackend('qnn', (options) => Qnn.load(options as QnnLoadOptions));
