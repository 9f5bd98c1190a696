/**
 * Binary sections and adapters, backend-independent parts: option checks, the adapter
 * registry of a context, and the queue that serializes section applies against runs.
 *
 * Semantics (docs/adapters.md): a section applied to a context replaces the data of the
 * updatable tensors it names (QnnContext_applyBinarySection). QNN has no "unapply": the
 * weights a context was loaded with come back only by applying a section that holds them,
 * so `useAdapter(null)` applies the context's base adapter (`loadAdapter(name, source,
 * { base: true })`; `readBinarySection()` can capture one where the backend allows it).
 *
 * Ordering: operations on one context are first-in first-out. A switch waits for the runs
 * already started or queued on the context's graphs, and runs requested after it start
 * once it has settled (with the new weights if it succeeded, the old ones if it failed:
 * QNN leaves the context as it was).
 */
import { QnnNodeError, invalidArg } from '../errors.js';
import { isResizableBuffer } from '../tensor/resizable.js';

/** A binary section: a file (memory-mapped for the call) or bytes (pinned for the call). */
export type SectionSource = string | Uint8Array;

export interface ApplySectionOptions {
  /** The graph the section is for (omitted: the whole context, where the backend supports it). */
  readonly graph?: string;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

export interface ApplySectionResult {
  /** Time inside contextApplyBinarySection. */
  readonly applyMs: number;
  readonly sectionBytes: number;
  /** The section came from a file, memory-mapped. */
  readonly mapped: boolean;
  /** The backend may keep pointers into it: kept mapped / referenced until the context is disposed. */
  readonly retained: boolean;
}

export interface LoadAdapterOptions {
  /** The graph its section is for (omitted: the whole context). */
  readonly graph?: string;
  /** The section of the weights the context was loaded with: what `useAdapter(null)` applies. */
  readonly base?: boolean;
}

export interface UseAdapterOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

export interface AdapterSwitch {
  /** The adapter in effect afterwards (null: the base weights). */
  readonly adapter: string | null;
  /** false when it already was in effect (nothing was applied). */
  readonly applied: boolean;
  /** The apply, when one ran. */
  readonly result?: ApplySectionResult;
}

/** Checks a section source (an empty path, a resizable buffer…). */
export function checkSectionSource(source: unknown, name: string): SectionSource {
  if (typeof source === 'string') {
    if (source.length === 0 || source.includes('\0')) throw invalidArg('a non-empty file path', name, source);
    return source;
  }
  if (!(source instanceof Uint8Array)) throw invalidArg('a file path or a Uint8Array', name, source);
  if (isResizableBuffer(source)) throw invalidArg('a fixed-length ArrayBuffer', name, source);
  if (source.byteLength === 0) throw invalidArg('a non-empty binary section', name, source);
  return source;
}

export function checkObjectOptions<T extends object>(options: unknown, name = 'options'): Partial<T> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) throw invalidArg('an options object', name, options);
  return options as Partial<T>;
}

export function checkGraphOption(graph: unknown, graphs: readonly string[], name: string): string | undefined {
  if (graph === undefined) return undefined;
  if (typeof graph !== 'string') throw invalidArg('a graph name', name, graph);
  if (!graphs.includes(graph)) {
    throw new QnnNodeError('UNKNOWN_GRAPH', `No graph ${JSON.stringify(graph)} in this context (${name}); its graphs are ${graphs.map((n) => JSON.stringify(n)).join(', ')}`, {
      details: { graph, graphs: [...graphs] },
    });
  }
  return graph;
}

interface Adapter {
  readonly source: SectionSource;
  readonly graph?: string;
}

/** The adapters of one context and which one is in effect. */
export class AdapterSet {
  readonly #adapters = new Map<string, Adapter>();
  #base: string | undefined;
  #active: string | null = null;

  get active(): string | null {
    return this.#active;
  }

  get names(): readonly string[] {
    return [...this.#adapters.keys()];
  }

  get base(): string | undefined {
    return this.#base;
  }

  add(name: unknown, source: unknown, options: unknown, graphs: readonly string[]): void {
    if (typeof name !== 'string' || name.length === 0) throw invalidArg('a non-empty adapter name', 'name', name);
    const src = checkSectionSource(source, 'source');
    const o = checkObjectOptions<LoadAdapterOptions>(options);
    const graph = checkGraphOption(o.graph, graphs, 'options.graph');
    if (o.base !== undefined && typeof o.base !== 'boolean') throw invalidArg('a boolean', 'options.base', o.base);
    if (this.#active === name) throw invalidArg('the name of an adapter that is not in effect (switch away first)', 'name', name);
    this.#adapters.set(name, { source: src, ...(graph !== undefined ? { graph } : {}) });
    if (o.base === true) this.#base = name;
    else if (this.#base === name) this.#base = undefined;
  }

  /**
   * What switching to `name` applies: undefined when it is already in effect. Throws
   * UNKNOWN_ADAPTER / NO_BASE_ADAPTER.
   */
  plan(name: unknown): Adapter | undefined {
    if (name !== null && typeof name !== 'string') throw invalidArg('an adapter name or null', 'name', name);
    if (name === this.#active || (name !== null && name === this.#base && this.#active === null)) return undefined;
    if (name === null) {
      if (this.#base === undefined) {
        throw new QnnNodeError(
          'NO_BASE_ADAPTER',
          `Cannot return to the base weights from adapter ${JSON.stringify(this.#active)}: QNN cannot undo a binary section, and this context has no base adapter. ` +
            'Load the section of the base weights with loadAdapter(name, source, { base: true }) (readBinarySection() captures one where the backend allows it).',
          { details: { active: this.#active } },
        );
      }
      return this.#adapters.get(this.#base);
    }
    const a = this.#adapters.get(name);
    if (!a) {
      const known = this.names;
      throw new QnnNodeError('UNKNOWN_ADAPTER', `No adapter ${JSON.stringify(name)} on this context; its adapters are ${known.length ? known.map((n) => JSON.stringify(n)).join(', ') : '(none)'}`, {
        details: { adapter: name, adapters: known },
      });
    }
    return a;
  }

  /** Records a successful switch. */
  switched(name: string | null): void {
    // Switching to the base adapter by name is the same state as null.
    this.#active = name !== null && name === this.#base ? null : name;
  }
}

/**
 * FIFO of section applies against runs: `gate()` is undefined while no apply is pending
 * (a run then costs one branch), else a promise the run waits for before it starts.
 */
export class SectionQueue {
  #tail: Promise<void> = Promise.resolve();
  #pending = 0;

  constructor(private readonly waitForRuns: () => Promise<void>) {}

  gate(): Promise<void> | undefined {
    return this.#pending > 0 ? this.#tail : undefined;
  }

  get pending(): number {
    return this.#pending;
  }

  /** Runs `op` after everything queued before it and after the runs in flight. */
  enqueue<T>(op: () => Promise<T>): Promise<T> {
    this.#pending++;
    const result = this.#tail.then(async () => {
      await this.waitForRuns();
      return op();
    });
    this.#tail = result.then(
      () => {
        this.#pending--;
      },
      () => {
        this.#pending--;
      },
    );
    return result;
  }
}
