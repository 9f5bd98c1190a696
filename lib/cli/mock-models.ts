/**
 * `qnn-node run manifest.json --mock`: the mock backend composes a manifest's model
 * contexts (`contexts.<c>.model`) from their signatures — the context's `signature`
 * (a file inside the allowed roots, a signature object or inline graphs), else the
 * `--mock <signature.json>` file — as MockBackend `models` (lib/backend/mock/compose.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { MockModel } from '../backend/mock/compose.js';
import { readSignatureFile } from '../backend/signature.js';
import type { ContextSignature, GraphSignature } from '../backend/types.js';
import type { PathPolicy } from '../pipeline/paths.js';

export function mockModels(file: string, policy: PathPolicy, fallback: ContextSignature | undefined): Record<string, MockModel> {
  let raw: { contexts?: Record<string, { model?: unknown; signature?: unknown }> };
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof raw;
  } catch {
    return {}; // the runner reports the manifest's problems
  }
  const models: Record<string, MockModel> = {};
  for (const entry of Object.values(raw?.contexts ?? {})) {
    if (typeof entry?.model !== 'string') continue;
    const sig = entry.signature;
    let graphs: readonly GraphSignature[] | undefined;
    if (typeof sig === 'string') {
      const p = path.resolve(path.dirname(file), sig);
      if (policy.allows(p) && fs.existsSync(p)) graphs = readSignatureFile(p).graphs;
    } else if (Array.isArray(sig)) {
      graphs = sig as GraphSignature[];
    } else if (typeof sig === 'object' && sig !== null) {
      graphs = (sig as ContextSignature).graphs;
    }
    graphs ??= fallback?.graphs;
    if (graphs) models[path.resolve(path.dirname(file), entry.model)] = { graphs };
  }
  return models;
}
