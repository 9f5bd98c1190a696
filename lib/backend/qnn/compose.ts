/**
 * Qnn#composeModel: a DLC (through libQnnModelDlc) or a model library made by
 * qnn-model-lib-generator, composed on the loaded backend and finalized graph by graph on
 * a worker thread (native/addon/ContextCompose.cc). The context runs like a loaded one;
 * getBinary / saveBinary turn it into a context binary. docs/native-runtime.md.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { QnnNodeError, invalidArg } from '../../errors.js';
import type { NativeAddon, NativeComposeProgress, NativeContext, NativeRuntime } from '../../native/AddonTypes.js';
import { profileLevelOption } from '../../profile/options.js';
import { modelFormatOf } from '../model-source.js';
import type { ComposeOptions, ComposeProgress, ModelFormat } from '../types.js';
import { fromNative, withCallerStack } from './errors.js';
import { contextConfigPlan } from './htp-configs.js';
import { libraryCandidates, libraryFileName } from './libraries.js';
import type { QnnInfo } from './Qnn.js';
import { QnnContext } from './QnnContext.js';
import { checkProfileFor } from './qnn-power.js';

export interface DlcCandidate {
  readonly path: string;
  readonly origin: string;
}

/**
 * Where libQnnModelDlc is looked for, like QnnSystem: the path given (only that), else
 * beside the backend library (the reference backend: its modeldlc/ stand-in), else
 * $QNN_SDK_ROOT/lib/<platform>, else the loader's search path.
 */
export function modelDlcCandidates(
  given: string | undefined,
  info: Pick<QnnInfo, 'backendPath' | 'reference'>,
  sdkRoot: string | undefined,
  platform: string = process.platform,
  arch: string = process.arch,
): DlcCandidate[] {
  if (given !== undefined) return [{ path: path.resolve(given), origin: 'options.modelDlc' }];
  const fileName = libraryFileName('QnnModelDlc', platform);
  const folder = path.dirname(info.backendPath);
  const list: DlcCandidate[] = [];
  if (info.reference) list.push({ path: path.join(folder, 'modeldlc', fileName), origin: "the reference backend's stand-in" });
  list.push({ path: path.join(folder, fileName), origin: 'beside the backend library' });
  for (const c of libraryCandidates(undefined, 'QnnModelDlc', sdkRoot, platform, arch)) list.push({ path: c.path, origin: c.origin });
  return list;
}

function checkSource(source: unknown): string {
  if (typeof source !== 'string' || source.length === 0 || source.includes('\0')) throw invalidArg('a file path (a .dlc or a model library)', 'source', source);
  const resolved = path.resolve(source);
  if (!existsSync(resolved)) throw new QnnNodeError('FILE_NOT_FOUND', `Model file not found: ${resolved}`, { details: { path: resolved } });
  if (!statSync(resolved).isFile()) throw new QnnNodeError('NOT_A_FILE', `Not a regular file: ${resolved}`, { details: { path: resolved } });
  return resolved;
}

/**
 * Progress: the addon's live events (a thread-safe function, which may arrive after the
 * promise settled) deduplicated against the full list in the result, replayed in order.
 */
function progressRelay(onProgress: ((p: ComposeProgress) => void) | undefined) {
  let delivered = 0;
  let closed = false;
  const deliver = (e: NativeComposeProgress): void => {
    if (!onProgress || closed || e.seq <= delivered) return;
    delivered = e.seq;
    const p: ComposeProgress = { phase: e.phase, ...(e.graph !== undefined ? { graph: e.graph } : {}), index: e.index, count: e.count, elapsedMs: e.elapsedMs };
    try {
      onProgress(p);
    } catch (error) {
      process.emitWarning(`qnn-node: the onProgress callback threw: ${(error as Error)?.message ?? String(error)}`);
    }
  };
  return {
    live: onProgress ? deliver : undefined,
    finish(all: readonly NativeComposeProgress[] | undefined): void {
      for (const e of all ?? []) deliver(e);
      closed = true;
    },
    close(): void {
      closed = true;
    },
  };
}

/** @internal Qnn#composeModel's work, after the backend's own checks. */
export async function composeContext(
  addon: NativeAddon,
  runtime: NativeRuntime,
  info: QnnInfo,
  sdkRoot: string | undefined,
  source: unknown,
  options: ComposeOptions | undefined,
  onDispose: () => void,
): Promise<QnnContext> {
  const callSite = new Error();
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) throw invalidArg('an options object', 'options', options);
  const file = checkSource(source);
  const format = modelFormatOf(file, options?.format);
  if (options?.onProgress !== undefined && typeof options.onProgress !== 'function') throw invalidArg('a function', 'options.onProgress', options.onProgress);
  const modelDlc = options?.modelDlc;
  if (modelDlc !== undefined && (typeof modelDlc !== 'string' || modelDlc.length === 0 || modelDlc.includes('\0'))) {
    throw invalidArg('a non-empty library path', 'options.modelDlc', modelDlc);
  }
  if (modelDlc !== undefined && format !== 'dlc') throw invalidArg("format 'dlc' (a model library composes itself)", 'options.modelDlc', modelDlc);
  const perfProfile = checkProfileFor(info.power, options?.perfProfile, 'options.perfProfile', 'give the context the performance profile');
  const profileLevel = profileLevelOption(options?.profile, 'options.profile');
  const configs = contextConfigPlan(options, info);
  const candidates = format === 'dlc' ? modelDlcCandidates(modelDlc, info, sdkRoot) : undefined;
  let native: NativeContext;
  try {
    native = new addon.Context(runtime);
  } catch (e) {
    throw fromNative(e, 'QNN backend');
  }
  const relay = progressRelay(options?.onProgress);
  let result;
  try {
    if (profileLevel !== undefined) native.setLoadProfile(profileLevel);
    result = await withCallerStack(() => native.compose(file, format, candidates?.map((c) => ({ ...c })), configs, relay.live), callSite, 'QNN context');
  } catch (error) {
    relay.close();
    native.dispose();
    throw error;
  }
  relay.finish(result.progress);
  try {
    if (perfProfile !== undefined) native.setPerfProfile(perfProfile);
    return QnnContext.fromComposed(native, result, { kind: format, path: file }, perfProfile, onDispose, info.coreApiVersion);
  } catch (e) {
    native.dispose();
    throw e;
  }
}
