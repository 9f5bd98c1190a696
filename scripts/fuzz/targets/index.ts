import { binariesTarget } from './binaries.js';
import { manifestsTarget } from './manifests.js';
import { npyTarget } from './npy.js';
import { sectionsTarget } from './sections.js';
import type { FuzzTarget, TargetName } from './types.js';

export * from './types.js';

export const TARGETS: Readonly<Record<TargetName, FuzzTarget>> = { binaries: binariesTarget, manifests: manifestsTarget, npy: npyTarget, sections: sectionsTarget };
