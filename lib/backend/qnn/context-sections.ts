/**
 * Binary sections and adapters of a QnnContext (docs/adapters.md): applying sections
 * through contextApplyBinarySection (core API 2.18+), reading the updatable section back,
 * and switching adapters between runs, serialized against the context's runs.
 */
import { DisposedError, QnnNodeError } from '../../errors.js';
import type { NativeContext } from '../../native/AddonTypes.js';
import {
  AdapterSet,
  SectionQueue,
  checkGraphOption,
  checkObjectOptions,
  checkSectionSource,
  type AdapterSwitch,
  type ApplySectionOptions,
  type ApplySectionResult,
  type SectionSource,
  type UseAdapterOptions,
} from '../sections.js';
import { checkDeadline, throwIfAborted, withDeadline, type DeadlineOptions } from './deadline.js';
import { withCallerStack } from './errors.js';

const SECTIONS_SINCE_CORE_MINOR = 18;

export interface SectionHost {
  readonly disposed: boolean;
  readonly graphNames: readonly string[];
  /** The core API the backend reports ('2.25.0'), when known. */
  readonly coreApiVersion: string | undefined;
  /** Resolves when no run is started or queued on the context's graphs. */
  waitForRuns(): Promise<void>;
}

export class ContextSections {
  readonly #native: NativeContext;
  readonly #host: SectionHost;
  readonly #queue: SectionQueue;
  readonly #adapters = new AdapterSet();

  constructor(native: NativeContext, host: SectionHost) {
    this.#native = native;
    this.#host = host;
    this.#queue = new SectionQueue(() => host.waitForRuns());
  }

  /** undefined while no apply is pending; else what a new run waits for. */
  gate(): Promise<void> | undefined {
    return this.#queue.gate();
  }

  get activeAdapter(): string | null {
    return this.#adapters.active;
  }

  get adapters(): readonly string[] {
    return this.#adapters.names;
  }

  /** UNSUPPORTED_FEATURE at once on a core API older than 2.18 (a NULL slot is found at the call). */
  #checkCore(fn: string): void {
    const v = this.#host.coreApiVersion;
    const m = v === undefined ? undefined : /^(\d+)\.(\d+)/.exec(v);
    if (m && (Number(m[1]) !== 2 || Number(m[2]) < SECTIONS_SINCE_CORE_MINOR)) {
      throw new QnnNodeError(
        'UNSUPPORTED_FEATURE',
        `${fn} is not available: the backend reports core API ${v} and binary sections need core API 2.18 or newer (QNN SDK 2.25+)`,
        { details: { function: fn, coreApiVersion: v, minimumCoreApi: '2.18.0' } },
      );
    }
  }

  applyBinarySection(source: unknown, options: unknown): Promise<ApplySectionResult> {
    const what = 'QnnContext#applyBinarySection';
    let src: SectionSource;
    let graph: string | undefined;
    let deadline: DeadlineOptions;
    try {
      if (this.#host.disposed) throw new DisposedError('QNN context');
      src = checkSectionSource(source, 'source');
      const o = checkObjectOptions<ApplySectionOptions>(options);
      graph = checkGraphOption(o.graph, this.#host.graphNames, 'options.graph');
      deadline = this.#deadline(o);
      this.#checkCore('contextApplyBinarySection');
      throwIfAborted(deadline.signal, what);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#apply(src, graph, deadline, what);
  }

  loadAdapter(name: unknown, source: unknown, options: unknown): void {
    if (this.#host.disposed) throw new DisposedError('QNN context');
    this.#checkCore('contextApplyBinarySection');
    this.#adapters.add(name, source, options, this.#host.graphNames);
  }

  useAdapter(name: unknown, options: unknown): Promise<AdapterSwitch> {
    const what = 'QnnContext#useAdapter';
    let deadline: DeadlineOptions;
    try {
      if (this.#host.disposed) throw new DisposedError('QNN context');
      deadline = this.#deadline(checkObjectOptions<UseAdapterOptions>(options));
      if (name !== null && typeof name !== 'string') this.#adapters.plan(name); // throws the typed error
      throwIfAborted(deadline.signal, what);
    } catch (e) {
      return Promise.reject(e);
    }
    const target = name as string | null;
    // Decided when the switch's turn comes: switches queued before it change what is active.
    let abandoned = false;
    const work = this.#queue.enqueue(async (): Promise<AdapterSwitch> => {
      const adapter = this.#adapters.plan(target);
      if (!adapter) return { adapter: this.#adapters.active, applied: false };
      if (abandoned) throw notStarted(what);
      const result = await this.#call(adapter.source, adapter.graph);
      this.#adapters.switched(target);
      return { adapter: this.#adapters.active, applied: true, result };
    });
    return withDeadline(work, deadline, what, {
      onAbandon: () => {
        abandoned = true;
      },
    });
  }

  readBinarySection(options: unknown): Promise<Uint8Array> {
    let graph: string | undefined;
    try {
      if (this.#host.disposed) throw new DisposedError('QNN context');
      const o = checkObjectOptions<{ graph?: string }>(options);
      graph = checkGraphOption(o.graph, this.#host.graphNames, 'options.graph');
      this.#checkCore('contextGetBinarySection');
    } catch (e) {
      return Promise.reject(e);
    }
    const callSite = new Error();
    return this.#queue.enqueue(async () => {
      if (this.#host.disposed) throw new DisposedError('QNN context');
      const bytes = await withCallerStack(() => this.#native.readBinarySection(this.#index(graph)), callSite, 'QNN context');
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    });
  }

  #deadline(o: { signal?: unknown; timeoutMs?: unknown }): DeadlineOptions {
    checkDeadline(o as Record<string, unknown>);
    return { ...(o.signal ? { signal: o.signal as AbortSignal } : {}), ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs as number } : {}) };
  }

  #index(graph: string | undefined): number | undefined {
    return graph === undefined ? undefined : this.#host.graphNames.indexOf(graph);
  }

  #apply(source: SectionSource, graph: string | undefined, deadline: DeadlineOptions, what: string): Promise<ApplySectionResult> {
    let abandoned = false;
    const work = this.#queue.enqueue(async () => {
      if (abandoned) throw notStarted(what);
      return this.#call(source, graph);
    });
    return withDeadline(work, deadline, what, {
      onAbandon: () => {
        abandoned = true;
      },
    });
  }

  async #call(source: SectionSource, graph: string | undefined): Promise<ApplySectionResult> {
    if (this.#host.disposed) throw new DisposedError('QNN context');
    const callSite = new Error();
    const r = await withCallerStack(() => this.#native.applyBinarySection(source, this.#index(graph)), callSite, 'QNN context');
    return Object.freeze({ applyMs: r.applyMs, sectionBytes: r.sectionBytes, mapped: r.mapped, retained: r.retained });
  }
}

function notStarted(what: string): QnnNodeError {
  return new QnnNodeError('ABORTED', `${what} was given up before the backend was called`, { details: { operation: what } });
}
