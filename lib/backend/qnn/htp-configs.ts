/**
 * Context and graph configs, and the typed escape hatch for HTP custom configs
 * (`{ htp: { … } }`): validates what the caller asks for against the option tables of the
 * HTP headers (SDK 2.25 and 2.43 measured) and the reported backend API version, and
 * turns it into the plan the native layer lays out per version
 * (native/addon/ContextConfigs.cc). Layouts: docs/qnn-abi.md; behaviour: docs/configs.md.
 */
import { QnnNodeError, invalidArg, outOfRange } from '../../errors.js';
import { checkBool, checkObject, checkUint } from '../option-checks.js';
import { requireHtpOption, type ReportedBackend } from './htp-version.js';
import { rawCustomConfigs, type RawCustomConfig } from './raw-custom-configs.js';

/** Qnn_Priority_t. QNN defines no "realtime" level. */
export type QnnPriority = 'low' | 'normal' | 'normal_high' | 'high';
export const PRIORITY_VALUES: Readonly<Record<QnnPriority, number>> = Object.freeze({ low: 0, normal: 100, normal_high: 150, high: 200 });

/** HTP context custom configs sent at contextCreateFromBinary. */
export interface HtpContextConfig {
  readonly weightSharing?: boolean;
  /** QNN_HTP_CONTEXT_CONFIG_OPTION_FILE_READ_MEMORY_BUDGET, in MiB (0: off). */
  readonly fileReadMemoryBudgetMb?: number;
  readonly dspMemoryProfiling?: boolean;
  readonly ioMemEstimation?: boolean;
  readonly prepareOnly?: boolean;
  readonly initAcceleration?: boolean;
  readonly skipValidationOnBinarySection?: boolean;
  readonly useExtendedUdma?: boolean;
  readonly loraWeightSharing?: boolean;
  /** Expert escape hatch: options qnn-node has no name for (raw-custom-configs.ts, docs/configs.md). */
  readonly raw?: readonly RawCustomConfig[];
}

/** HTP graph custom configs that apply to a retrieved (finalized) graph, via graphSetConfig. */
export interface HtpGraphConfig {
  /** HVX threads to reserve; takes effect only before the graph's first execution. */
  readonly numHvxThreads?: number;
  readonly numCores?: number;
  readonly parallelExecution?: {
    readonly concurrency: 'none' | 'all_shared';
    readonly vtcmSizeBytes: number;
    readonly vtcmOffsetBytes: number;
    readonly vtcmTotalBytes: number;
  };
  readonly hmxBounding?: { readonly targetHmxFreqHz: number; readonly targetDspCoreFreqHz: number };
  /** Expert escape hatch: options qnn-node has no name for (raw-custom-configs.ts, docs/configs.md). */
  readonly raw?: readonly RawCustomConfig[];
}

/** HTP device custom configs sent at deviceCreate (Qnn.load). */
export interface HtpDeviceConfig {
  readonly socModel?: number;
  readonly arch?: { readonly arch: 0 | 68 | 69 | 73 | 75 | 79 | 81 | 85; readonly deviceId?: number };
  readonly signedProcessDomain?: { readonly enabled: boolean; readonly deviceId?: number };
  readonly securePd?: { readonly enabled: boolean; readonly deviceId?: number };
  /** Expert escape hatch: options qnn-node has no name for (raw-custom-configs.ts, docs/configs.md). */
  readonly raw?: readonly RawCustomConfig[];
}

/** The HTP headers (2.25, 2.43) define no backend custom config: only the raw escape hatch. */
export interface HtpBackendConfig {
  readonly raw?: readonly RawCustomConfig[];
}

export interface GraphConfig {
  readonly priority?: QnnPriority;
  readonly htp?: HtpGraphConfig;
}

/** One entry the native layer lays out: option number, typed value, name and version gate. */
export interface NativeCustomConfig {
  readonly option: number;
  readonly value: boolean | number | bigint | readonly (number | boolean)[];
  readonly name: string;
  readonly since: number;
  /** A raw entry: the union's bytes, laid out as given (value is then 0). */
  readonly raw?: Uint8Array;
}

export type Family = 'context' | 'graph' | 'device' | 'backend';

interface OptionSpec {
  readonly option: number;
  /** Backend API minor (= SDK minor) of the earliest measured header set that has it. */
  readonly since: number;
  readonly value: (v: unknown, name: string) => NativeCustomConfig['value'];
}

const bool = checkBool;
const uint = (max: number) => (v: unknown, name: string): number => checkUint(v, name, 0, max);
const u32 = uint(0xffffffff);
const positiveFloat = (v: unknown, name: string): number => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw invalidArg('a positive finite number', name, v);
  return v;
};
const object = (v: unknown, name: string, what: string): Record<string, unknown> => checkObject(v, name, what);
const ARCHES = [0, 68, 69, 73, 75, 79, 81, 85];
const deviceId = (o: Record<string, unknown>, name: string): number => (o.deviceId === undefined ? 0 : u32(o.deviceId, `${name}.deviceId`));

const CONTEXT_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  weightSharing: { option: 1, since: 25, value: bool },
  fileReadMemoryBudgetMb: { option: 3, since: 25, value: uint(Number.MAX_SAFE_INTEGER) },
  dspMemoryProfiling: { option: 4, since: 25, value: bool },
  ioMemEstimation: { option: 6, since: 25, value: bool },
  prepareOnly: { option: 7, since: 43, value: bool },
  initAcceleration: { option: 8, since: 43, value: bool },
  skipValidationOnBinarySection: { option: 9, since: 43, value: bool },
  useExtendedUdma: { option: 11, since: 43, value: bool },
  loraWeightSharing: { option: 13, since: 43, value: bool },
};

const GRAPH_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  numHvxThreads: { option: 6, since: 25, value: uint(64) },
  numCores: { option: 8, since: 43, value: uint(16) },
  parallelExecution: {
    option: 9,
    since: 43,
    value: (v, name) => {
      const o = object(v, name, 'a { concurrency, vtcmSizeBytes, vtcmOffsetBytes, vtcmTotalBytes } object');
      if (o.concurrency !== 'none' && o.concurrency !== 'all_shared') throw invalidArg("'none' or 'all_shared'", `${name}.concurrency`, o.concurrency);
      const size = u32(o.vtcmSizeBytes, `${name}.vtcmSizeBytes`);
      const offset = u32(o.vtcmOffsetBytes, `${name}.vtcmOffsetBytes`);
      const total = u32(o.vtcmTotalBytes, `${name}.vtcmTotalBytes`);
      if (size + offset > total) throw outOfRange('vtcmSizeBytes + vtcmOffsetBytes <= vtcmTotalBytes', name, v);
      return [o.concurrency === 'all_shared' ? 1 : 0, size, offset, total];
    },
  },
  hmxBounding: {
    option: 11,
    since: 43,
    value: (v, name) => {
      const o = object(v, name, 'a { targetHmxFreqHz, targetDspCoreFreqHz } object');
      return [positiveFloat(o.targetHmxFreqHz, `${name}.targetHmxFreqHz`), positiveFloat(o.targetDspCoreFreqHz, `${name}.targetDspCoreFreqHz`)];
    },
  },
};

const DEVICE_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  socModel: { option: 0, since: 25, value: u32 },
  arch: {
    option: 1,
    since: 25,
    value: (v, name) => {
      const o = object(v, name, 'an { arch, deviceId? } object');
      if (!ARCHES.includes(o.arch as number)) throw invalidArg(`one of ${ARCHES.join(', ')}`, `${name}.arch`, o.arch);
      return [deviceId(o, name), o.arch as number];
    },
  },
  signedProcessDomain: {
    option: 2,
    since: 25,
    value: (v, name) => {
      const o = object(v, name, 'an { enabled, deviceId? } object');
      return [deviceId(o, name), bool(o.enabled, `${name}.enabled`)];
    },
  },
  securePd: {
    option: 3,
    since: 43,
    value: (v, name) => {
      const o = object(v, name, 'an { enabled, deviceId? } object');
      return [deviceId(o, name), bool(o.enabled, `${name}.enabled`)];
    },
  },
};

/** Options the headers define that qnn-node refuses, and why. */
const REFUSED: Readonly<Record<Family, Readonly<Record<string, string>>>> = {
  context: {
    shareResources: 'the HTP honours SHARE_RESOURCES only in contextCreateFromBinaryListAsync, which qnn-node does not use; use qnn.loadContexts([...], { shareResources: true }) for a spill-fill group',
    shareResourcesOptimizationType: 'the HTP honours it only with SHARE_RESOURCES in contextCreateFromBinaryListAsync',
    registerMultiContexts: 'spill-fill groups are registered by qnn.loadContexts([...], { shareResources: true })',
    registerConcurrentResourceSharing: 'concurrent resource sharing needs context handles qnn-node does not expose',
  },
  graph: Object.fromEntries(
    [
      'optimization',
      'precision',
      'vtcmSizeMb',
      'vtcmSizeBytes',
      'foldReluActivationIntoConvOff',
      'shortDepthConvOnHmxOff',
      'finalizeConfig',
      'weightsPacking',
      'assumeSameQuant',
      'shareIoBuffer',
      'advancedActivationFusion',
      'highPrecisionSigmoid',
      'monolithicLstm',
    ].map((k) => [k, 'it applies when a graph is finalized (at prepare time); the graphs of a context binary are already finalized, so set it when the binary is made']),
  ),
  device: {},
  backend: {},
};

const TABLES: Readonly<Record<Family, Readonly<Record<string, OptionSpec>>>> = {
  context: CONTEXT_OPTIONS,
  graph: GRAPH_OPTIONS,
  device: DEVICE_OPTIONS,
  backend: {},
};

/** The minor of a "5.43.0"-style backend API version (HTP: the SDK minor). */
export function backendMinor(version: string): number {
  const m = /^\d+\.(\d+)/.exec(version);
  return m ? Number(m[1]) : 0;
}

/**
 * Validates `htp` (the `{ htp: {…} }` escape hatch of one config family) into native
 * entries. With `reported`, options the backend lacks are refused here (UNSUPPORTED_OPTION,
 * htp-version.ts); without it (Qnn.load, before the version is known) each entry carries
 * its gate and the native layer refuses it.
 */
export function htpCustomConfigs(family: Family, htp: unknown, name: string, reported?: ReportedBackend): NativeCustomConfig[] {
  if (htp === undefined) return [];
  const o = object(htp, name, `an HTP ${family} config object`);
  const table = TABLES[family];
  const out: NativeCustomConfig[] = [];
  for (const [key, value] of Object.entries(o)) {
    if (value === undefined) continue;
    const where = `${name}.${key}`;
    if (key === 'raw') {
      out.push(...rawCustomConfigs(family, value, where, reported));
      continue;
    }
    const refused = REFUSED[family][key];
    if (refused) throw new QnnNodeError('UNSUPPORTED_OPTION', `${where} cannot be set here: ${refused}`, { details: { option: key } });
    const spec = table[key];
    if (!spec) {
      const known = Object.keys(table);
      throw invalidArg(
        known.length ? `one of the HTP ${family} options ${[...known, 'raw'].join(', ')}` : `only raw (the HTP headers define no ${family} custom config)`,
        name,
        key,
      );
    }
    const v = spec.value(value, where);
    if (reported !== undefined) requireHtpOption(`The HTP ${family} option ${key}`, key, spec.since, reported);
    out.push({ option: spec.option, value: v, name: key, since: spec.since });
  }
  return out;
}

export function priorityValue(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(v in PRIORITY_VALUES)) {
    throw invalidArg(`one of ${Object.keys(PRIORITY_VALUES).join(', ')} (QNN defines no realtime priority)`, name, v);
  }
  return PRIORITY_VALUES[v as QnnPriority];
}

export interface NativeGraphConfigPlan {
  readonly name?: string;
  readonly priority?: number;
  readonly custom: NativeCustomConfig[];
}

/** What NativeContext#load receives as its configs argument. */
export interface NativeContextConfigPlan {
  readonly priority?: number;
  readonly custom: NativeCustomConfig[];
  readonly group?: { readonly first: unknown; readonly maxSpillFill: number | bigint };
  readonly graphs: NativeGraphConfigPlan[];
}

function graphPlan(g: unknown, name: string, reported: ReportedBackend, graphName?: string): NativeGraphConfigPlan {
  const o = object(g, name, 'a { priority?, htp? } graph config');
  for (const k of Object.keys(o)) if (k !== 'priority' && k !== 'htp') throw invalidArg("'priority' or 'htp'", name, k);
  const priority = priorityValue(o.priority, `${name}.priority`);
  return {
    ...(graphName !== undefined ? { name: graphName } : {}),
    ...(priority !== undefined ? { priority } : {}),
    custom: htpCustomConfigs('graph', o.htp, `${name}.htp`, reported),
  };
}

/** The config options of loadContext (QnnLoadContextOptions' part this module owns). */
export interface ContextConfigOptions {
  /** QNN_CONTEXT_CONFIG_OPTION_PRIORITY: the default priority of the context's graphs. */
  readonly priority?: QnnPriority;
  /** HTP context custom configs. */
  readonly htp?: HtpContextConfig;
  /** Every graph's configs, set with graphSetConfig after graphRetrieve. */
  readonly graphConfig?: GraphConfig;
  /** Per graph name (over graphConfig). An unknown graph name fails the load (UNKNOWN_GRAPH). */
  readonly graphConfigs?: Readonly<Record<string, GraphConfig>>;
}

/** undefined when nothing is asked (the load then costs nothing extra). */
export function contextConfigPlan(options: ContextConfigOptions | undefined, reported: ReportedBackend): NativeContextConfigPlan | undefined {
  if (!options) return undefined;
  const priority = priorityValue(options.priority, 'options.priority');
  const custom = htpCustomConfigs('context', options.htp, 'options.htp', reported);
  const graphs: NativeGraphConfigPlan[] = [];
  if (options.graphConfig !== undefined) graphs.push(graphPlan(options.graphConfig, 'options.graphConfig', reported));
  if (options.graphConfigs !== undefined) {
    const per = object(options.graphConfigs, 'options.graphConfigs', 'an object of graph configs by graph name');
    for (const [graphName, g] of Object.entries(per)) {
      object(g, `options.graphConfigs[${JSON.stringify(graphName)}]`, 'a { priority?, htp? } graph config');
      const base = options.graphConfig as GraphConfig | undefined;
      const merged = { ...base, ...(g as GraphConfig), htp: { ...base?.htp, ...(g as GraphConfig | undefined)?.htp } };
      graphs.push(graphPlan(merged, `options.graphConfigs[${JSON.stringify(graphName)}]`, reported, graphName));
    }
  }
  if (priority === undefined && custom.length === 0 && graphs.every((g) => g.priority === undefined && g.custom.length === 0)) return undefined;
  return { ...(priority !== undefined ? { priority } : {}), custom, graphs };
}
