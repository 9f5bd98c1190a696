/**
 * The runtime `qnn-node` uses outside tests: the native QNN backend (lib/backend/qnn),
 * the mock backend from a signature file, and the pipeline runner for manifests.
 *
 * Default libraries (no --backend): a reference-backend binary (magic "QNNREF01", e.g. the
 * bundled example) runs on the bundled reference backend; anything else on libQnnHtp /
 * libQnnSystem found through QNN_SDK_ROOT or the library search path (Qnn.load's rules).
 */
import fs from 'node:fs';
import os from 'node:os';
import { MockBackend } from '../backend/mock/MockBackend.js';
import { Qnn, readContextSignature, type QnnInfo, type QnnLoadOptions, type QnnLogLevel } from '../backend/qnn/index.js';
import { libraryCandidates } from '../backend/qnn/libraries.js';
import type { Backend, ContextSignature } from '../backend/types.js';
import { QnnNodeError } from '../errors.js';
import { addonCandidates, loadAddon, referenceBackendPaths } from '../native/binding.js';
import { exampleBinaryPath } from './example.js';
import type { BackendSelection, CliRuntime, InspectOptions, LibraryReport, LibrarySelection, ManifestRunOptions, ManifestRunResult, RuntimeReport } from './runtime.js';
import { packageVersion } from './version.js';

const REFERENCE_MAGIC = 'QNNREF01';

/** True when the file starts with the reference backend's magic. */
export function isReferenceBinary(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(REFERENCE_MAGIC.length);
    fs.readSync(fd, head, 0, head.length, 0);
    return head.toString('latin1') === REFERENCE_MAGIC;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Qnn.load options for what the user selected (and the binary it will load). */
export function loadOptions(sel: LibrarySelection, binary?: string): QnnLoadOptions {
  const backend = sel.backend ?? (binary !== undefined && isReferenceBinary(binary) ? 'reference' : undefined);
  return {
    ...(backend !== undefined ? { backend } : {}),
    ...(sel.system !== undefined ? { system: sel.system } : {}),
    ...(sel.logLevel !== undefined ? { logLevel: sel.logLevel as QnnLogLevel, onLog: (level, message) => process.stderr.write(`[qnn ${level}] ${message}\n`) } : {}),
  };
}

function realpath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/**
 * How a loaded library was found: the flag named a path; else it is the first existing
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

function librariesOf(info: QnnInfo, sel: LibrarySelection, backendRequested: string | undefined): LibraryReport[] {
  const libs: LibraryReport[] = [
    { role: 'backend', requested: backendRequested ?? 'libQnnHtp', path: info.backendPath, source: sourceOf(backendRequested, info.backendPath, info.reference, 'QnnHtp') },
  ];
  if (info.systemPath) {
    const referenceSystem = info.reference && sel.system === undefined;
    libs.push({ role: 'system', requested: sel.system ?? 'libQnnSystem', path: info.systemPath, source: referenceSystem ? 'bundled-reference' : sourceOf(sel.system, info.systemPath, false, 'QnnSystem') });
  } else {
    libs.push({ role: 'system', requested: sel.system ?? 'libQnnSystem', source: 'not-found', ...(info.systemError ? { tried: [info.systemError] } : {}) });
  }
  return libs;
}

function backendFacts(info: QnnInfo): Record<string, unknown> {
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
    headers: info.sdkHeaders ? 'QNN SDK headers' : "the project's own QNN declarations",
    providers: info.providers.map((p) => `${p.name} (id ${p.backendId}, core ${p.coreApiVersion}, backend ${p.backendApiVersion})`),
  };
}

function failedLibraries(error: unknown, sel: LibrarySelection): LibraryReport[] {
  const details = (error as { details?: { tried?: unknown; library?: unknown } }).details;
  const role = details?.library === 'system' ? 'system' : 'backend';
  const requested = role === 'system' ? (sel.system ?? 'libQnnSystem') : (sel.backend ?? 'libQnnHtp');
  const tried = Array.isArray(details?.tried)
    ? details.tried.map((t: unknown) => (typeof t === 'string' ? t : `${(t as { path?: string }).path} [${(t as { origin?: string }).origin}]: ${(t as { reason?: string }).reason}`))
    : [];
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

async function report(sel: LibrarySelection): Promise<RuntimeReport> {
  const version = packageVersion();
  let addon: string | undefined;
  try {
    loadAddon();
    addon = addonCandidates().find((c) => fs.existsSync(c));
  } catch (error) {
    const e = error as QnnNodeError;
    return { qnnNode: { version }, platform: platformFacts(), libraries: [], error: { code: e.code ?? 'ADDON_NOT_FOUND', message: e.message } };
  }
  const qnnNode = { version, ...(addon ? { addon } : {}) };
  const tryLoad = async (opts: QnnLoadOptions): Promise<QnnInfo> => {
    const qnn = await Qnn.load(opts);
    try {
      return qnn.info;
    } finally {
      await qnn.dispose();
    }
  };
  const requested = sel.backend;
  try {
    const info = await tryLoad(loadOptions(sel));
    return { qnnNode, platform: platformFacts(), libraries: librariesOf(info, sel, requested), backend: backendFacts(info) };
  } catch (error) {
    const e = error as QnnNodeError;
    const libraries = failedLibraries(error, sel);
    if (requested !== undefined) {
      return { qnnNode, platform: platformFacts(), libraries, error: { code: e.code ?? 'LIBRARY_LOAD_FAILED', message: e.message } };
    }
    // No QNN libraries here: say so, and report the bundled reference backend, which the
    // CLI uses for reference binaries (the bundled example).
    try {
      const info = await tryLoad({ backend: 'reference', ...(sel.logLevel ? { logLevel: sel.logLevel as QnnLogLevel } : {}) });
      return {
        qnnNode,
        platform: platformFacts(),
        libraries: [...libraries, ...librariesOf(info, {}, 'reference')],
        backend: { note: 'no QNN backend library found; these are the bundled reference backend (a CPU test double)', ...backendFacts(info) },
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
        error: { code: r.code ?? 'LIBRARY_LOAD_FAILED', message: `${e.message}\n${r.message}` },
      };
    }
  }
}

async function openBackend(selection: BackendSelection, binary?: string): Promise<Backend> {
  if (selection.kind === 'mock') {
    return new MockBackend({ signatures: selection.signature, ...(selection.recording !== undefined ? { recording: selection.recording } : {}) });
  }
  return Qnn.load(loadOptions(selection, binary));
}

async function inspect(file: string, sel: LibrarySelection, options?: InspectOptions): Promise<ContextSignature> {
  if (options?.systemOnly) {
    // QnnSystem alone: --system, else the reference system library for reference binaries,
    // else libQnnSystem found like Qnn.load finds it. Isolated unless --in-process.
    const system = sel.system ?? (isReferenceBinary(file) ? 'reference' : undefined);
    return readContextSignature(file, {
      ...(system !== undefined ? { system } : {}),
      ...(options.sdkMinor !== undefined ? { sdkMinor: options.sdkMinor } : {}),
      isolate: !options.inProcess,
    });
  }
  const qnn = await Qnn.load(loadOptions(sel, file));
  try {
    const ctx = await qnn.loadContext(file, { validate: options?.inProcess ? 'none' : 'isolated' });
    try {
      return {
        format: 'qnn-node-signature',
        version: 1,
        source: file,
        ...(ctx.info.producer ? { producer: ctx.info.producer } : {}),
        graphs: ctx.graphs.map((g) => ({ name: g.name, inputs: g.inputs, outputs: g.outputs })),
      };
    } finally {
      await ctx.dispose();
    }
  } finally {
    await qnn.dispose();
  }
}

async function runManifest(file: string, options: ManifestRunOptions): Promise<ManifestRunResult> {
  const { runManifestFile } = await import('./manifest.js');
  return runManifestFile(file, options);
}

export async function createDefaultRuntime(): Promise<CliRuntime> {
  return {
    openBackend,
    inspect,
    report,
    exampleBinary: async () => exampleBinaryPath(),
    runManifest,
  };
}
