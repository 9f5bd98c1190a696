/**
 * Binary sections and adapters on the mock backend: validated like the QNN backend's
 * (sources, graph names, adapter names, ordering against runs) and recorded in
 * MockBackend#sectionLog; graphs see the adapter in effect as `call.adapter`. No weights
 * change (a mock graph computes what its implementation says).
 */
import { stat } from 'node:fs/promises';
import { DisposedError, QnnNodeError } from '../../errors.js';
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

export interface MockSectionRecord {
  /** The context's source (path or 'memory'). */
  readonly context: string;
  readonly graph?: string;
  /** The adapter switched to (null: the base), when the apply was an adapter switch. */
  readonly adapter?: string | null;
  readonly sectionBytes: number;
}

export interface MockSectionHost {
  readonly source: string;
  readonly graphs: readonly { readonly name: string }[];
  readonly isDisposed: boolean;
  readonly backend: { readonly sectionLog: MockSectionRecord[] };
}

async function sectionBytes(source: SectionSource): Promise<number> {
  if (typeof source !== 'string') return source.byteLength;
  try {
    const s = await stat(source);
    if (!s.isFile()) throw new QnnNodeError('NOT_A_FILE', `Binary section is not a regular file: ${source}`, { details: { path: source } });
    if (s.size === 0) throw new QnnNodeError('FILE_EMPTY', `Binary section is empty: ${source}`, { details: { path: source } });
    return s.size;
  } catch (e) {
    if (e instanceof QnnNodeError) throw e;
    throw new QnnNodeError('FILE_NOT_FOUND', `Binary section not found: ${source}`, { details: { path: source }, cause: e });
  }
}

export class MockSections {
  readonly #queue: SectionQueue;
  readonly #adapters = new AdapterSet();

  constructor(
    private readonly host: MockSectionHost,
    waitForRuns: () => Promise<void>,
  ) {
    this.#queue = new SectionQueue(waitForRuns);
  }

  gate(): Promise<void> | undefined {
    return this.#queue.gate();
  }

  get activeAdapter(): string | null {
    return this.#adapters.active;
  }

  #names(): string[] {
    return this.host.graphs.map((g) => g.name);
  }

  #live(): void {
    if (this.host.isDisposed) throw new DisposedError(`Mock context ${this.host.source}`);
  }

  async #apply(source: SectionSource, graph: string | undefined, adapter?: string | null): Promise<ApplySectionResult> {
    this.#live();
    const bytes = await sectionBytes(source);
    this.host.backend.sectionLog.push(
      Object.freeze({ context: this.host.source, ...(graph !== undefined ? { graph } : {}), ...(adapter !== undefined ? { adapter } : {}), sectionBytes: bytes }),
    );
    return Object.freeze({ applyMs: 0, sectionBytes: bytes, mapped: typeof source === 'string', retained: false });
  }

  applyBinarySection(source: unknown, options: unknown): Promise<ApplySectionResult> {
    try {
      this.#live();
      const src = checkSectionSource(source, 'source');
      const o = checkObjectOptions<ApplySectionOptions>(options);
      const graph = checkGraphOption(o.graph, this.#names(), 'options.graph');
      if (o.signal?.aborted) throw new QnnNodeError('ABORTED', 'MockContext#applyBinarySection was aborted. Nothing was started.', { cause: o.signal.reason });
      return this.#queue.enqueue(() => this.#apply(src, graph));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  loadAdapter(name: unknown, source: unknown, options: unknown): void {
    this.#live();
    this.#adapters.add(name, source, options, this.#names());
  }

  useAdapter(name: unknown, options: unknown): Promise<AdapterSwitch> {
    try {
      this.#live();
      const o = checkObjectOptions<UseAdapterOptions>(options);
      if (name !== null && typeof name !== 'string') this.#adapters.plan(name);
      if (o.signal?.aborted) throw new QnnNodeError('ABORTED', 'MockContext#useAdapter was aborted. Nothing was started.', { cause: o.signal.reason });
    } catch (e) {
      return Promise.reject(e);
    }
    const target = name as string | null;
    return this.#queue.enqueue(async (): Promise<AdapterSwitch> => {
      const adapter = this.#adapters.plan(target);
      if (!adapter) return { adapter: this.#adapters.active, applied: false };
      const result = await this.#apply(adapter.source, adapter.graph, target);
      this.#adapters.switched(target);
      return { adapter: this.#adapters.active, applied: true, result };
    });
  }
}
