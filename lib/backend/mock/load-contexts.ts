/**
 * How the mock backend loads contexts beyond their signatures: the options a QNN load
 * validates (configs with every version gate open, the context's perfProfile, the load
 * profile), and loadContexts — the QNN backend's option checks (shared-contexts.ts), a
 * shared group id with shareResources, and the parts already loaded disposed when a later
 * one fails.
 */
import type { Context, ContextSource, LoadContextOptions, LoadContextsOptions } from '../types.js';
import type { PerfProfile } from '../power.js';
import { contextConfigPlan, type NativeContextConfigPlan } from '../qnn/htp-configs.js';
import { checkLoadContextsOptions, contextSources } from '../qnn/shared-contexts.js';
import { profileLevelOption } from '../../profile/options.js';
import type { ProfileLevel } from '../../profile/types.js';
import type { MockPowerLog } from './power.js';

/** The backend API version the mock validates configs against: every option is known. */
const MOCK_BACKEND_API_VERSION = '5.99.0';

export interface MockLoadSettings {
  readonly configs: NativeContextConfigPlan | undefined;
  readonly perfProfile: PerfProfile | undefined;
  readonly profileLevel: ProfileLevel | undefined;
}

/** Validates a load's options like the QNN backend (no version gate: the mock emulates no version). */
export function mockLoadSettings(options: LoadContextOptions, power: MockPowerLog): MockLoadSettings {
  return {
    configs: contextConfigPlan(options, { backendApiVersion: MOCK_BACKEND_API_VERSION }),
    perfProfile: power.contextProfile(options.perfProfile),
    profileLevel: profileLevelOption(options.profile, 'options.profile'),
  };
}

/** A mock context as loadContexts sees it. */
export interface GroupableContext extends Context {
  shareGroup: number | undefined;
}

/** Loads in order; with shareResources the contexts record one shared group id (`nextGroup()`). */
export async function loadMockContexts(
  load: (source: string | Uint8Array, options: LoadContextOptions) => Promise<GroupableContext>,
  nextGroup: () => number,
  sources: readonly ContextSource[],
  options: LoadContextsOptions | undefined,
): Promise<Context[]> {
  const parts = contextSources(sources);
  const { shareResources, common } = checkLoadContextsOptions<LoadContextOptions>(options);
  const group = shareResources ? nextGroup() : undefined;
  const out: GroupableContext[] = [];
  try {
    for (const p of parts) {
      const c = await load(p.source, p.graphs ? { ...common, graphs: p.graphs } : common);
      if (group !== undefined) c.shareGroup = group;
      out.push(c);
    }
  } catch (error) {
    // Later parts first, as the QNN backend does.
    for (const c of out.reverse()) await c.dispose();
    throw error;
  }
  return out;
}
