/**
 * Backends per stage: a manifest's `backends` map names QNN backend libraries (by name,
 * never by path) and `contexts.<c>.backend` picks one, so e.g. a vision stage runs on
 * QnnHtp while an FP32 fallback stage runs on QnnCpu. Each named backend is opened once,
 * on first use, and the ones the pipeline opened are disposed with it (the caller's own
 * `backends` and the default backend stay the caller's).
 *
 * How a name becomes a backend, in order: the caller's `backends[name]`; the caller's
 * `openBackend(name, entry)`; else, by the default backend's kind — QNN: Qnn.load with the
 * library (`reference`, a base name such as QnnCpu → libQnnCpu.so / QnnCpu.dll, or a file
 * name); mock: a fork of the mock with the same options, labelled with the name.
 */
import { QnnNodeError, invalidArg } from '../errors.js';
import { libraryFileName } from '../backend/qnn/libraries.js';
import { MockBackend } from '../backend/mock/MockBackend.js';
import type { Backend } from '../backend/types.js';
import type { BackendEntry, PipelineManifest } from './manifest.js';

export type OpenStageBackend = (name: string, entry: BackendEntry) => Promise<Backend>;

/** The library Qnn.load gets for a manifest's backend name: 'reference', a file name, or a base name made a file name. */
export function backendLibraryName(backend: string, platform: string = process.platform): string {
  if (backend === 'reference' || backend.includes('.')) return backend;
  return libraryFileName(backend, platform);
}

function defaultOpener(fallback: Backend): OpenStageBackend {
  return async (name, entry) => {
    if (fallback instanceof MockBackend) return fallback.fork({ name });
    if (fallback.kind === 'qnn') {
      const { Qnn } = await import('../backend/qnn/Qnn.js');
      return Qnn.load({ backend: backendLibraryName(entry.backend) });
    }
    throw new QnnNodeError('UNSUPPORTED_FEATURE', `The manifest names backend ${JSON.stringify(name)} (${entry.backend}), and a ${fallback.kind} backend cannot open it: pass options.backends or options.openBackend`, {
      details: { backend: name, library: entry.backend },
    });
  };
}

/** The backends of one pipeline: the default one and the named ones, opened once each. */
export class StageBackends {
  readonly #opened = new Map<string, Promise<Backend>>();
  readonly #owned: Promise<Backend>[] = [];
  readonly #given: Readonly<Record<string, Backend>>;
  readonly #open: OpenStageBackend;

  constructor(
    readonly fallback: Backend,
    private readonly manifest: PipelineManifest,
    given: unknown,
    open: unknown,
  ) {
    if (given !== undefined && (typeof given !== 'object' || given === null || Array.isArray(given))) throw invalidArg('an object of Backends by name', 'options.backends', given);
    for (const [name, b] of Object.entries((given ?? {}) as Record<string, unknown>)) {
      if (typeof b !== 'object' || b === null || typeof (b as Backend).loadContext !== 'function') throw invalidArg('a Backend', `options.backends.${name}`, b);
    }
    if (open !== undefined && typeof open !== 'function') throw invalidArg('a function', 'options.openBackend', open);
    this.#given = (given ?? {}) as Record<string, Backend>;
    this.#open = (open as OpenStageBackend | undefined) ?? defaultOpener(fallback);
  }

  /** The backend of context `name`: its manifest backend, else the default. */
  for(context: string): Promise<Backend> {
    const name = this.manifest.contexts[context]?.backend;
    return name === undefined ? Promise.resolve(this.fallback) : this.named(name);
  }

  /** The backend a name of /backends stands for (opened on first use). */
  named(name: string): Promise<Backend> {
    if (Object.hasOwn(this.#given, name)) return Promise.resolve(this.#given[name]!);
    let p = this.#opened.get(name);
    if (!p) {
      const entry = this.manifest.backends![name]!;
      p = this.#open(name, entry);
      this.#opened.set(name, p);
      this.#owned.push(p);
    }
    return p;
  }

  /** Which backend each named entry resolved to (kind and description), for reports. */
  async describe(): Promise<Record<string, { kind: string; library?: string; buildId?: string }>> {
    const out: Record<string, { kind: string; library?: string; buildId?: string }> = {};
    for (const name of Object.keys(this.manifest.backends ?? {})) {
      if (!Object.hasOwn(this.#given, name) && !this.#opened.has(name)) continue;
      const b = await this.named(name);
      const d = b.describe?.();
      out[name] = { kind: b.kind, ...(d?.library ? { library: d.library } : {}), ...(d?.buildId ? { buildId: d.buildId } : {}) };
    }
    return out;
  }

  /** Disposes the backends this pipeline opened (not the caller's). */
  async dispose(): Promise<void> {
    const owned = this.#owned.splice(0);
    const settled = await Promise.allSettled(owned);
    await Promise.allSettled(settled.filter((s): s is PromiseFulfilledResult<Backend> => s.status === 'fulfilled').map((s) => s.value.dispose()));
  }
}
