/**
 * Qnn#loadContexts: several context binaries loaded together, in order, optionally as
 * one HTP spill-fill group (QNN_HTP_CONTEXT_CONFIG_OPTION_REGISTER_MULTI_CONTEXTS), the
 * way onnxruntime's QNN EP shares one spill-fill buffer across the parts of a split LLM
 * (`enable_htp_spill_fill_buffer`): the first context registers a new group with the
 * largest spill-fill buffer any part needs (QnnSystem's binary info: the HTP hardware
 * blob, or each graph's blob from BinaryInfo V3), the next ones name the first context's
 * handle.
 */
import { QnnNodeError, invalidArg } from '../../errors.js';
import { profileLevelOption } from '../../profile/options.js';
import { checkUint } from '../option-checks.js';
import type { ContextSource, GraphSignature, LoadContextsOptions as BaseLoadContextsOptions } from '../types.js';
import { contextConfigPlan, type ContextConfigOptions } from './htp-configs.js';
import type { QnnContext } from './QnnContext.js';
import type { Qnn, QnnLoadContextCallOptions } from './Qnn.js';
import { checkProfileFor } from './qnn-power.js';

export type LoadContextsOptions = BaseLoadContextsOptions & QnnLoadContextCallOptions;

interface Part {
  readonly source: string | Uint8Array;
  readonly graphs?: readonly GraphSignature[];
}

/** Validates loadContexts' sources (shared with the mock backend). */
export function contextSources(sources: unknown): Part[] {
  if (!Array.isArray(sources) || sources.length === 0) throw invalidArg('a non-empty array of context binaries', 'sources', sources);
  return (sources as ContextSource[]).map((s, i) => {
    const part = typeof s === 'object' && s !== null && !(s instanceof Uint8Array) ? s : { source: s };
    const src = part.source as unknown;
    if (!(typeof src === 'string' && src.length > 0) && !(src instanceof Uint8Array)) throw invalidArg('a file path, a Uint8Array or { source, graphs? }', `sources[${i}]`, s);
    return part;
  });
}

/** loadContexts' own options, checked (shared with the mock backend); `common` goes to every load. */
export interface CheckedLoadContextsOptions<T> {
  readonly shareResources: boolean;
  readonly spillFillBytes?: number;
  readonly common: T;
}

export function checkLoadContextsOptions<T extends object>(options: unknown): CheckedLoadContextsOptions<T> {
  if (options === undefined) return { shareResources: false, common: {} as T };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw invalidArg('an options object', 'options', options);
  const { shareResources, spillFillBytes, ...common } = options as Record<string, unknown>;
  if (shareResources !== undefined && typeof shareResources !== 'boolean') throw invalidArg('a boolean', 'options.shareResources', shareResources);
  if (spillFillBytes !== undefined && shareResources !== true) throw invalidArg('shareResources: true with spillFillBytes', 'options.shareResources', shareResources);
  return {
    shareResources: shareResources === true,
    ...(spillFillBytes !== undefined ? { spillFillBytes: checkUint(spillFillBytes, 'options.spillFillBytes', 0, Number.MAX_SAFE_INTEGER) } : {}),
    common: common as T,
  };
}

/**
 * What every part's load would refuse anyway (configs, perfProfile, profile level), checked
 * once before any binary is read for its spill-fill size.
 */
function checkCommonOptions(qnn: Qnn, common: QnnLoadContextCallOptions): void {
  contextConfigPlan(common as ContextConfigOptions, qnn.info);
  checkProfileFor(qnn.info.power, common.perfProfile, 'options.perfProfile', 'give the contexts the performance profile');
  profileLevelOption(common.profile, 'options.profile');
}

async function groupSpillFill(qnn: Qnn, sources: readonly (string | Uint8Array)[], explicit: number | undefined, common: QnnLoadContextCallOptions): Promise<number> {
  if (explicit !== undefined) return explicit;
  let max = 0;
  for (let i = 0; i < sources.length; i++) {
    const bytes = await qnn.spillFillBytesOf(sources[i]!, common);
    if (bytes === null) {
      throw new QnnNodeError(
        'UNSUPPORTED_OPTION',
        `shareResources needs the spill-fill size of every binary, and QnnSystem reports none for sources[${i}]; pass options.spillFillBytes`,
        { details: { option: 'shareResources', missing: 'spillFillBytes', index: i, source: typeof sources[i] === 'string' ? sources[i] : 'memory' } },
      );
    }
    max = Math.max(max, bytes);
  }
  return max;
}

export async function loadContextGroup(qnn: Qnn, sourcesArg: unknown, options: LoadContextsOptions | undefined): Promise<QnnContext[]> {
  const parts = contextSources(sourcesArg);
  const sources = parts.map((p) => p.source);
  const { shareResources, spillFillBytes, common } = checkLoadContextsOptions<QnnLoadContextCallOptions>(options);
  const contexts: QnnContext[] = [];
  try {
    if (!shareResources) {
      for (const p of parts) contexts.push(await qnn.loadContext(p.source, p.graphs ? { ...common, graphs: p.graphs } : common));
      return contexts;
    }
    checkCommonOptions(qnn, common);
    const maxSpillFill = await groupSpillFill(qnn, sources, spillFillBytes, common);
    for (const p of parts) {
      contexts.push(await qnn.loadGroupMember(p.source, p.graphs ? { ...common, graphs: p.graphs } : common, { first: contexts[0], maxSpillFill }));
    }
    return contexts;
  } catch (error) {
    // Later parts first: the group's first context goes last.
    for (const c of contexts.reverse()) await c.dispose();
    throw error;
  }
}
