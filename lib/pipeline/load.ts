/**
 * Loading a pipeline (the load half of the runner): validates the manifest, checks every
 * file it names, opens assets, loads each context on its backend (a binary, or a model
 * composed or taken from the first-run cache), checks name tables and graph lists,
 * compiles the steps and type-checks them — all before anything runs. runner.ts wraps
 * the result in a Pipeline; on failure everything loaded so far is released here.
 */
import { dirname, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { QnnNodeError, invalidArg } from '../errors.js';
import { readSignatureFile } from '../backend/signature.js';
import type { Backend, Context, ContextSignature, GraphSignature } from '../backend/types.js';
import { PipelineAssets, checkFiles, manifestFiles, withoutFileContent } from './assets.js';
import { checkCustomOpSchemas, compile, type Node } from './compile.js';
import { nodeAdapter, registerAdapters, type NodeAdapter } from './adapters.js';
import { resolveHostOps, type HostOpDefinition, type HostOpFn } from './hostops.js';
import type { GraphStep, PipelineManifest } from './manifest.js';
import { resolveLimits, type PipelineLimits } from './limits.js';
import { BUILTIN_HOST_OPS } from './ops/builtin.js';
import { PathPolicy, readRegularFile } from './paths.js';
import { manifestError, parseManifestText, validateManifest } from './validate.js';
import { checkNameTables } from './names.js';
import { StaticTypeCheck } from './typecheck.js';
import { applyVariant } from './variants.js';
import { loadManifestContexts } from './share-groups.js';
import { StageBackends, type OpenStageBackend } from './backends.js';
import { contextConfigOptions, loadModelContext, type ContextLoadInfo } from './model-contexts.js';

export interface PipelineOptions {
  /** Where graphs run (a Qnn instance, a MockBackend, anything implementing Backend); contexts naming a manifest backend run there instead. */
  readonly backend: Backend;
  /**
   * Backends for the manifest's `backends` names, owned by the caller (not disposed). A
   * name not given here is opened with `openBackend` (lib/pipeline/backends.ts).
   */
  readonly backends?: Readonly<Record<string, Backend>>;
  /** Opens a manifest-named backend (the pipeline disposes it); default: by the default backend's kind (QNN: Qnn.load; mock: a fork). */
  readonly openBackend?: OpenStageBackend;
  /** Base for relative paths; default the manifest's folder (or the working directory for an object). */
  readonly baseDir?: string;
  /** Host ops for this pipeline (on top of the built-ins and registerHostOp). */
  readonly hostOps?: Readonly<Record<string, HostOpFn | HostOpDefinition>>;
  /**
   * Folders the files a manifest names may come from (symlinks followed); default: only
   * `baseDir` (the manifest's folder). Anything else is PATH_NOT_ALLOWED at load.
   */
  readonly allowedRoots?: readonly string[];
  /** Bounds on loop iterations, allocations and event-loop blocking (see PipelineLimits). */
  readonly limits?: PipelineLimits;
  /** The manifest variant to load (default: its `defaultVariant`); see lib/pipeline/variants.ts. */
  readonly variant?: string;
}

/** Everything a Pipeline is made of. */
export interface LoadedPipeline {
  readonly manifest: PipelineManifest;
  readonly variant: string | undefined;
  readonly baseDir: string;
  readonly backends: StageBackends;
  readonly contexts: Map<string, Context>;
  readonly contextLoads: Readonly<Record<string, ContextLoadInfo>>;
  readonly assets: PipelineAssets;
  readonly files: PathPolicy;
  readonly limits: Required<PipelineLimits>;
  readonly nodes: Node[];
  readonly types: StaticTypeCheck;
  readonly nodeCount: number;
  readonly loadMs: number;
}

/** A signature file's graphs; a parse failure names the file, never its content. */
function readSignature(path: string, pointer: string, maxBytes: number): readonly GraphSignature[] {
  try {
    return readSignatureFile(readRegularFile(path, `${pointer} ${path}`, maxBytes)).graphs;
  } catch (cause) {
    const code = cause instanceof QnnNodeError ? cause.code : 'ASSET_INVALID';
    throw new QnnNodeError(code, `Signature file ${path} (${pointer}) is not a signature JSON ({ "format": "qnn-node-signature", "version": 1, "graphs": [...] }): ${withoutFileContent(cause)}`, {
      details: { path, pointer },
    });
  }
}

function readManifest(manifest: unknown, baseDirOption: string | undefined): { source: string; raw: unknown; baseDir: string } {
  if (typeof manifest === 'string') {
    const source = resolve(manifest);
    let text: string;
    try {
      text = readFileSync(source, 'utf8');
    } catch (cause) {
      throw new QnnNodeError('ASSET_MISSING', `Cannot read manifest ${source}: ${(cause as Error).message}`, { cause, details: { path: source } });
    }
    return { source, raw: parseManifestText(text, source), baseDir: baseDirOption ?? dirname(source) };
  }
  if (typeof manifest === 'object' && manifest !== null) return { source: '(object)', raw: manifest, baseDir: baseDirOption ?? process.cwd() };
  throw invalidArg('a manifest path or object', 'manifest', manifest);
}

export async function loadPipeline(manifest: string | PipelineManifest | Record<string, unknown>, options: PipelineOptions): Promise<LoadedPipeline> {
  const start = performance.now();
  if (typeof options !== 'object' || options === null) throw invalidArg('{ backend }', 'options', options);
  const { backend } = options;
  if (typeof backend !== 'object' || backend === null || typeof backend.loadContext !== 'function') throw invalidArg('a Backend', 'options.backend', backend);
  const { source, raw, baseDir } = readManifest(manifest, options.baseDir);
  const limits = resolveLimits(options.limits);
  const files = new PathPolicy(baseDir, options.allowedRoots);
  const ops = resolveHostOps(BUILTIN_HOST_OPS, options.hostOps);
  const { manifest: valid, variant } = applyVariant(validateManifest(raw, { source, hostOps: new Set(ops.keys()) }), options.variant);
  checkCustomOpSchemas(valid, ops, source);
  const backends = new StageBackends(backend, valid, options.backends, options.openBackend);
  // Resolved once: the paths checked here are the paths opened below.
  const refs = manifestFiles(valid, files);
  checkFiles(refs);
  const resolved = new Map(refs.map((r) => [r.pointer, r.path]));
  // A cache binary need not exist yet, but must lie inside the allowed roots like any file.
  for (const [name, entry] of Object.entries(valid.contexts)) {
    if (entry.cache !== undefined) resolved.set(`/contexts/${name}/cache`, files.resolve(entry.cache, `/contexts/${name}/cache`));
  }
  const assets = new PipelineAssets(valid.assets ?? {}, files, { resolved, maxBytes: limits.maxAllocationBytes });
  assets.open();
  const contexts = new Map<string, Context>();
  const contextLoads: Record<string, ContextLoadInfo> = Object.create(null) as Record<string, ContextLoadInfo>;
  try {
    const graphsOf = (name: string): readonly GraphSignature[] | undefined => {
      const entry = valid.contexts[name]!;
      if (typeof entry.signature === 'string') return readSignature(resolved.get(`/contexts/${name}/signature`)!, `/contexts/${name}/signature`, limits.maxAllocationBytes);
      if (Array.isArray(entry.signature)) return entry.signature;
      return (entry.signature as ContextSignature | undefined)?.graphs;
    };
    const loadOne = async (name: string, on: Backend): Promise<Context> => {
      const entry = valid.contexts[name]!;
      const where = { backend: entry.backend ?? null };
      if (entry.model !== undefined) {
        const path = resolved.get(`/contexts/${name}/model`)!;
        const { context, cache } = await loadModelContext(name, entry, on, path, resolved.get(`/contexts/${name}/cache`));
        contextLoads[name] = { ...where, kind: 'model', path, ...(cache ? { cache } : {}) };
        return context;
      }
      const path = resolved.get(`/contexts/${name}/binary`)!;
      const graphs = graphsOf(name);
      const context = await on.loadContext(path, { ...contextConfigOptions(entry), ...(graphs ? { graphs } : {}) });
      contextLoads[name] = { ...where, kind: 'binary', path };
      return context;
    };
    await loadManifestContexts(valid, (name) => backends.for(name), loadOne, (name) => resolved.get(`/contexts/${name}/binary`)!, graphsOf, contexts);
    registerAdapters(valid, contexts, resolved, source);
    const names = checkNameTables(valid, contexts, source);
    for (const [name, entry] of Object.entries(valid.contexts)) {
      const ctx = contexts.get(name)!;
      const table = names.get(name)!;
      entry.graphs?.forEach((g, i) => {
        if (!ctx.graphs.some((x) => x.name === table.real(g))) {
          throw manifestError([{ path: `/contexts/${name}/graphs/${i}`, expected: `a graph of ${entry.binary ?? entry.model} (${ctx.graphs.map((x) => table.label(x.name)).join(', ')})`, received: JSON.stringify(g) }], source);
        }
      });
    }
    const counter = { n: 0 };
    const adapterFor = (step: GraphStep, c: string, path: string): NodeAdapter | undefined => nodeAdapter(step, c, valid.contexts[c], contexts.get(c)!, path, source);
    const nodes = compile(valid.steps, '/steps', { contexts, ops, source, limits, names, adapterFor }, counter);
    const types = new StaticTypeCheck(nodes, { manifest: valid, names, tensorAsset: (n) => assets.tensorType(n) }, source);
    types.check();
    return { manifest: valid, variant, baseDir, backends, contexts, contextLoads, assets, files, limits, nodes, types, nodeCount: counter.n, loadMs: performance.now() - start };
  } catch (error) {
    await Promise.allSettled([...contexts.values()].map((c) => c.dispose()));
    await backends.dispose();
    assets.close();
    throw error;
  }
}
