/**
 * What `qnn-node info` reports: the libraries found (and how), what they say about
 * themselves, and — when a library was found but not used (refused version, a failing
 * backendCreate, a library that does not load) — which one and why.
 *
 * Without --backend, a machine with no QNN library at all gets the bundled reference
 * backend's facts and exit 0; a machine whose libQnnHtp was found but not used gets the
 * same facts plus an error (exit non-zero) unless `--allow-reference` accepts the fallback.
 */
import fs from 'node:fs';
import os from 'node:os';
import { Qnn, type QnnInfo, type QnnLoadOptions, type QnnLogLevel } from '../backend/qnn/index.js';
import { defaultLibraryName, libraryCandidates } from '../backend/qnn/libraries.js';
import type { QnnNodeError } from '../errors.js';
import { loadAddon, loadedAddonPath, referenceBackendPaths } from '../native/binding.js';
import type { LibraryReport, LibrarySelection, ReportOptions, RuntimeReport } from './runtime.js';
import { packageVersion } from './version.js';

export interface ReportEnvironment {
  /** The platform whose library names messages use (tests inject 'win32'). */
  readonly platform?: string;
  /** Qnn.load options for a selection (default-runtime's loadOptions). */
  readonly loadOptions: (sel: LibrarySelection) => QnnLoadOptions;
}

function realpath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/**
 * How a library was found: the flag named a path; else it is the first existing
 * QNN_SDK_ROOT candidate (compared by real path: the runtime reports resolved paths), or
 * it came from the platform's search path.
 */
function sourceOf(requested: string | undefined, loadedPath: string, reference: boolean, defaultBase: string): LibraryReport['source'] {
  if (reference) return 'bundled-reference';
  if (requested !== undefined && (requested.includes('/') || requested.includes('\\'))) return 'flag';
  const loaded = realpath(loadedPath);
  const fromSdk = libraryCandidates(requested, defaultBase, process.env.QNN_SDK_ROOT || undefined).find((c) => !c.bare && fs.existsSync(c.path));
  if (fromSdk && realpath(fromSdk.path) === loaded) return 'QNN_SDK_ROOT';
  return 'search-path';
}

/** The libraries of a successful load. */
export function librariesOf(info: QnnInfo, sel: LibrarySelection, backendRequested: string | undefined, platform: string = process.platform): LibraryReport[] {
  const libs: LibraryReport[] = [
    {
      role: 'backend',
      requested: backendRequested ?? defaultLibraryName('backend', platform),
      path: info.backendPath,
      source: sourceOf(backendRequested, info.backendPath, info.reference, 'QnnHtp'),
    },
  ];
  const system = sel.system ?? defaultLibraryName('system', platform);
  if (info.systemPath) {
    const referenceSystem = info.reference && sel.system === undefined;
    libs.push({ role: 'system', requested: system, path: info.systemPath, source: referenceSystem ? 'bundled-reference' : sourceOf(sel.system, info.systemPath, false, 'QnnSystem') });
  } else {
    libs.push({ role: 'system', requested: system, source: 'not-found', ...(info.systemError ? { tried: [info.systemError] } : {}) });
  }
  return libs;
}

export function backendFacts(info: QnnInfo): Record<string, unknown> {
  return {
    providerName: info.providerName,
    backendId: `0x${info.backendId.toString(16)} (${info.backendId})`,
    buildId: info.buildId,
    coreApiVersion: info.coreApiVersion,
    backendApiVersion: info.backendApiVersion,
    systemApiVersion: info.systemApiVersion ?? 'none',
    ...(info.systemError ? { systemError: info.systemError } : {}),
    graphInfoStride: info.graphInfoStride ?? undefined,
    coreTableSlots: info.coreTableSlots,
    device: info.device ? 'created' : 'none',
    ...(info.deviceError ? { deviceError: info.deviceError } : {}),
    platform: info.platform,
    ...(info.platformError ? { platformError: info.platformError } : {}),
    power: info.power.available ? `perf profiles and raw configs (${info.power.options.join(', ')})` : `unavailable: ${info.power.reason}`,
    sharedMemory: info.sharedMemory.available
      ? `rpcmem tensors, registered as ${info.sharedMemory.descriptor} (${info.sharedMemory.library})`
      : `unavailable: ${info.sharedMemory.reason}`,
    headers: info.sdkHeaders ? 'QNN SDK headers' : "the project's own QNN declarations",
    providers: info.providers.map((p) => `${p.name} (id ${p.backendId}, core ${p.coreApiVersion}, backend ${p.backendApiVersion})`),
  };
}

/** What a library reported before it was refused (the native load-stage error details). */
const REPORTED_KEYS = ['stage', 'providerName', 'backendId', 'coreApiVersion', 'backendApiVersion', 'buildId', 'providers', 'reportedCoreApi', 'minimumCoreApi', 'reportedSystemApi', 'statusRange'];

function reportedFacts(details: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of REPORTED_KEYS) if (typeof details[key] === 'string' && details[key] !== '') out[key] = details[key] as string;
  return out;
}

interface Tried {
  readonly path?: string;
  readonly origin?: string;
  readonly reason?: string;
}

/**
 * The library entry of a failed load: found and refused (the error names its path), or
 * not found / not loadable (the candidates tried).
 */
export function failedLibraries(error: unknown, sel: LibrarySelection, platform: string = process.platform): LibraryReport[] {
  const e = error as QnnNodeError;
  const details = (e?.details ?? {}) as Record<string, unknown>;
  const role = details.library === 'system' ? 'system' : 'backend';
  const given = role === 'system' ? sel.system : sel.backend;
  const requested = given ?? defaultLibraryName(role, platform);
  const failure = { code: String(e?.code ?? 'LIBRARY_LOAD_FAILED'), message: String(e?.message ?? error) };
  if (e?.code !== 'LIBRARY_LOAD_FAILED' && typeof details.path === 'string') {
    const reference = given === 'reference';
    const reported = reportedFacts(details);
    return [
      {
        role,
        requested,
        path: details.path,
        source: sourceOf(given, details.path, reference, role === 'backend' ? 'QnnHtp' : 'QnnSystem'),
        error: failure,
        ...(Object.keys(reported).length > 0 ? { reported } : {}),
      },
    ];
  }
  const attempts: Tried[] = Array.isArray(details.tried) ? (details.tried as Tried[]) : [];
  const tried = attempts.map((t) => (typeof t === 'string' ? t : `${t.path} [${t.origin}]: ${t.reason}`));
  // A file that exists but does not load (wrong architecture, a missing dependency) was found.
  const found = attempts.find((t) => typeof t === 'object' && t.reason !== 'not found' && t.path && fs.existsSync(t.path));
  if (found?.path) return [{ role, requested, path: found.path, source: sourceOf(given, found.path, false, role === 'backend' ? 'QnnHtp' : 'QnnSystem'), tried, error: failure }];
  return [{ role, requested, source: 'not-found', tried }];
}

function platformFacts(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    os: `${process.platform} ${os.release()}`,
    arch: process.arch,
    node: process.version,
    napi: process.versions.napi,
    cpu: cpus.length ? `${cpus[0].model.trim()} × ${cpus.length}` : 'unknown',
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    QNN_SDK_ROOT: process.env.QNN_SDK_ROOT || '(not set)',
  };
}

async function loadInfo(opts: QnnLoadOptions): Promise<QnnInfo> {
  const qnn = await Qnn.load(opts);
  try {
    return qnn.info;
  } finally {
    await qnn.dispose();
  }
}

/** `qnn-node info`'s report for a library selection. */
export async function buildReport(sel: LibrarySelection, options: ReportOptions, env: ReportEnvironment): Promise<RuntimeReport> {
  const platform = env.platform ?? process.platform;
  const version = packageVersion();
  try {
    loadAddon();
  } catch (error) {
    const e = error as QnnNodeError;
    return { qnnNode: { version }, platform: platformFacts(), libraries: [], error: { code: e.code ?? 'ADDON_NOT_FOUND', message: e.message } };
  }
  const addon = loadedAddonPath();
  const qnnNode = { version, ...(addon ? { addon } : {}) };
  const requested = sel.backend;
  try {
    const info = await loadInfo(env.loadOptions(sel));
    return { qnnNode, platform: platformFacts(), libraries: librariesOf(info, sel, requested, platform), backend: backendFacts(info) };
  } catch (error) {
    const e = error as QnnNodeError;
    const libraries = failedLibraries(error, sel, platform);
    const failure = { code: e.code ?? 'LIBRARY_LOAD_FAILED', message: e.message };
    if (requested !== undefined) {
      const refused = libraries.find((l) => l.error && l.reported);
      return { qnnNode, platform: platformFacts(), libraries, ...(refused?.reported ? { backend: refused.reported } : {}), error: failure };
    }
    // The default libraries were not used. Report the bundled reference backend, which the
    // CLI uses for reference binaries (the bundled example); say why the default was not used.
    const unused = libraries.find((l) => l.path !== undefined);
    const name = defaultLibraryName(unused?.role ?? 'backend', platform);
    const note = unused
      ? `${name} was found at ${unused.path} but not used (${failure.code}); these are the bundled reference backend (a CPU test double)`
      : `no QNN backend library found (${name}); these are the bundled reference backend (a CPU test double)`;
    // Found but unusable is an error unless the user accepts the fallback.
    const unusedError = unused && !options.allowReference
      ? {
          error: {
            code: failure.code,
            message: `${name} was found at ${unused.path} but not used:\n${failure.message}\n` +
              'Fix the library (see the message above), select one with --backend, or pass --allow-reference to accept the bundled reference backend.',
          },
        }
      : {};
    try {
      const info = await loadInfo({ backend: 'reference', ...(sel.logLevel ? { logLevel: sel.logLevel as QnnLogLevel } : {}) });
      return {
        qnnNode,
        platform: platformFacts(),
        libraries: [...libraries, ...librariesOf(info, {}, 'reference', platform)],
        backend: { note, ...backendFacts(info) },
        ...unusedError,
      };
    } catch (refError) {
      const r = refError as QnnNodeError;
      let refPath: string | undefined;
      try {
        refPath = referenceBackendPaths().backend;
      } catch {
        /* not built */
      }
      return {
        qnnNode,
        platform: platformFacts(),
        libraries: [...libraries, { role: 'backend', requested: 'reference', source: refPath ? 'bundled-reference' : 'not-found', ...(refPath ? { path: refPath } : {}) }],
        error: { code: (unused ? failure.code : r.code) ?? 'LIBRARY_LOAD_FAILED', message: `${e.message}\n${r.message}` },
      };
    }
  }
}
