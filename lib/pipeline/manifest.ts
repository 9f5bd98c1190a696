/**
 * The pipeline manifest (`schema/manifest.schema.json` is the normative description; these
 * types mirror it). A manifest names context binaries, assets, typed inputs, the steps
 * that run graphs and host ops (with loops), and the outputs. It never names a native
 * library by path: the default backend is the caller's choice, and `backends` names
 * further QNN backend libraries by name only (the caller may map a name to a path).
 */
import type { DType } from '../tensor/dtypes.js';
import type { ContextSignature, GraphSignature } from '../backend/types.js';
import type { VariantEntry } from './variants.js';
import type { PerfProfile } from '../backend/power.js';
import type { AdapterEntry } from './adapters.js';
import type { GraphConfig, HtpContextConfig, QnnPriority } from '../backend/qnn/htp-configs.js';
import type { ModelFormat } from '../backend/types.js';

/** "$name": a run parameter. */
export type ParamRef = `$${string}`;
export type NumberOrParam = number | ParamRef;
/** A value name, a number literal or a "$param". */
export type ValueOrNumber = string | number;

export interface ContextEntry {
  /** Context binary, relative to the manifest (exactly one of binary and model). */
  readonly binary?: string;
  /** A DLC or model library composed on the context's backend at load (docs/models.md). */
  readonly model?: string;
  /** With model: the context binary written on the first load and read afterwards (lib/backend/model-cache.ts). */
  readonly cache?: string;
  /** With model: 'dlc' or 'library' (default by extension). */
  readonly format?: ModelFormat;
  /** A name in the manifest's `backends` (default: the pipeline's backend). */
  readonly backend?: string;
  /** The context's priority. */
  readonly priority?: QnnPriority;
  /** Graph configs by graph name (compose-time for a model, graphSetConfig for a binary). */
  readonly graphConfigs?: Readonly<Record<string, GraphConfig>>;
  /** HTP context custom configs. */
  readonly htp?: HtpContextConfig;
  /** Graphs the pipeline uses (checked at load). */
  readonly graphs?: readonly string[];
  /** A signature JSON path (relative), an inline signature file object or inline graph signatures. */
  readonly signature?: string | readonly GraphSignature[] | ContextSignature;
  /**
   * Name table: the name the steps use -> the name in the binary (as `qnn-node inspect`
   * prints it), for this context's graph names and its graphs' tensor names.
   */
  readonly names?: Readonly<Record<string, string>>;
  /**
   * Contexts naming the same group are loaded together as one HTP spill-fill group
   * (qnn.loadContexts with shareResources), e.g. the parts of a split LLM.
   */
  readonly shareGroup?: string;
  /** LoRA adapters: name -> section file (relative), or { path, graph?, base? } (lib/pipeline/adapters.ts). */
  readonly adapters?: Readonly<Record<string, AdapterEntry>>;
  /** The adapter this context's steps use when neither the step nor the run names one (null: the base). */
  readonly adapter?: string | null;
  /** With shareGroup: this context's spill-fill buffer in bytes (the group takes the largest). */
  readonly spillFillBytes?: number;
}

/** A backend a manifest names: a QNN backend library by name (never a path). */
export interface BackendEntry {
  /** 'reference', a base name (QnnCpu → libQnnCpu.so / QnnCpu.dll) or a file name. */
  readonly backend: string;
  readonly description?: string;
}

export type AssetEntry =
  | { readonly type: 'tokenizer'; readonly path: string; readonly config?: string; readonly description?: string }
  | {
      readonly type: 'embedding';
      readonly path: string;
      readonly dtype: 'float16' | 'float32';
      /** [vocab, hidden] */
      readonly shape: readonly [number, number];
      readonly offset?: number;
      /** The fallback when the table cannot be memory-mapped (no native addon): per-row reads or one whole read. */
      readonly load?: 'lazy' | 'memory';
      readonly description?: string;
    }
  | { readonly type: 'tensor'; readonly path: string; readonly dtype?: DType; readonly shape?: readonly number[]; readonly description?: string }
  | { readonly type: 'file'; readonly path: string; readonly size?: number; readonly description?: string }
  /** Normalization statistics (lib/pipeline/stats.ts): LeRobot stats JSON or normalizer safetensors. */
  | { readonly type: 'stats'; readonly path: string; readonly format?: 'json' | 'safetensors'; readonly description?: string };

export interface InputEntry {
  readonly type: 'image' | 'text' | 'tensor' | 'number';
  readonly dtype?: DType;
  readonly shape?: readonly number[];
  readonly default?: number | string;
  readonly description?: string;
}

export interface GraphStep {
  /** Graph name, or "context/graph". */
  readonly graph: string;
  readonly context?: string;
  /** Graph input name -> value name. */
  readonly inputs: Readonly<Record<string, string>>;
  /** Graph output name -> value name. */
  readonly outputs?: Readonly<Record<string, string>>;
  /** Write outputs into tensors already bound to those names (default true). */
  readonly reuseOutputs?: boolean;
  /** The performance profile of this graph's runs (default: the manifest's). */
  readonly perfProfile?: PerfProfile;
  /** The adapter in effect while this step runs: a name of its context's adapters, "$param" or null (the base). */
  readonly adapter?: string | null;
  readonly name?: string;
  readonly description?: string;
}

export interface OpStep {
  readonly op: string;
  readonly inputs?: Readonly<Record<string, ValueOrNumber>> | readonly string[];
  readonly output?: string;
  readonly outputs?: Readonly<Record<string, string>>;
  readonly name?: string;
  /** Op parameters. */
  readonly [param: string]: unknown;
}

export interface Condition {
  /** The value tested (a number, e.g. the last sampled token). */
  readonly value: string;
  /** Holds when the value is one of these (e.g. stop token ids). */
  readonly in?: readonly number[] | ParamRef;
  /** Holds when the value is >= this. */
  readonly gte?: NumberOrParam;
}

export interface LoopStep {
  readonly loop: {
    /** A fixed number of iterations. */
    readonly count?: NumberOrParam;
    /** At most this many iterations (with `until`). */
    readonly max?: NumberOrParam;
    /** Checked before every iteration; the loop ends when it holds. */
    readonly until?: Condition;
    /** Binds the 0-based iteration number to this name. */
    readonly index?: string;
  };
  readonly steps: readonly Step[];
  readonly name?: string;
  readonly description?: string;
}

export interface BreakStep {
  /** Leaves the innermost loop when the condition holds. */
  readonly break: Condition;
  readonly name?: string;
}

export type Step = GraphStep | OpStep | LoopStep | BreakStep;

export interface PipelineManifest {
  readonly $schema?: string;
  readonly format: 'qnn-node-pipeline';
  readonly version: 1;
  readonly name?: string;
  readonly description?: string;
  readonly params?: Readonly<Record<string, number | string | boolean | readonly number[]>>;
  readonly contexts: Readonly<Record<string, ContextEntry>>;
  /** Named backends for contexts that name one (lib/pipeline/backends.ts). */
  readonly backends?: Readonly<Record<string, BackendEntry>>;
  readonly assets?: Readonly<Record<string, AssetEntry>>;
  readonly inputs?: Readonly<Record<string, InputEntry>>;
  readonly steps: readonly Step[];
  /** Output name -> value name. */
  readonly outputs?: Readonly<Record<string, string>>;
  /** Builds of the same model selected by one switch (lib/pipeline/variants.ts). */
  readonly variants?: Readonly<Record<string, VariantEntry>>;
  /** The variant used when the caller names none. */
  readonly defaultVariant?: string;
  /** The performance profile of every graph step that names none (docs/power.md). */
  readonly perfProfile?: PerfProfile;
  /** Profile every run of this manifest (QNN profile API) unless the run says otherwise. */
  readonly profile?: 'basic' | 'detailed' | 'optrace';
  /** Allocate graph-fed values (KV caches, stage-to-stage tensors) in the backend's shared memory: 'auto' (default) when available, 'off' never. */
  readonly sharedMemory?: 'auto' | 'off';
}

export function isGraphStep(step: Step): step is GraphStep {
  return typeof (step as GraphStep).graph === 'string';
}
export function isLoopStep(step: Step): step is LoopStep {
  return typeof (step as LoopStep).loop === 'object' && (step as LoopStep).loop !== null;
}
export function isBreakStep(step: Step): step is BreakStep {
  return typeof (step as BreakStep).break === 'object' && (step as BreakStep).break !== null;
}
export function isOpStep(step: Step): step is OpStep {
  return typeof (step as OpStep).op === 'string';
}

/** Keys of an op step that are not op parameters. */
export const OP_STEP_KEYS: ReadonlySet<string> = new Set(['op', 'inputs', 'output', 'outputs', 'name', 'description']);
