/**
 * The runtime `qnn-node` uses outside tests: the native QNN backend (lib/backend/qnn),
 * the mock backend from a signature file, and the pipeline runner for manifests.
 *
 * Default libraries (no --backend): a reference-backend binary (magic "QNNREF01", e.g. the
 * bundled example) runs on the bundled reference backend; anything else on libQnnHtp /
 * libQnnSystem found through QNN_SDK_ROOT or the library search path (Qnn.load's rules).
 */
import fs from 'node:fs';
import { MockBackend } from '../backend/mock/MockBackend.js';
import { Qnn, readContextSignature, type QnnLoadOptions, type QnnLogLevel } from '../backend/qnn/index.js';
import type { Backend, ContextSignature } from '../backend/types.js';
import { exampleBinaryPath } from './example.js';
import { exampleDlcPath } from './example-dlc.js';
import { isModelPath } from '../backend/model-source.js';
import { buildReport } from './info-report.js';
import type { BackendSelection, CliRuntime, InspectOptions, LibrarySelection, ManifestRunOptions, ManifestRunResult, ReportOptions, RuntimeReport } from './runtime.js';

const REFERENCE_MAGIC = 'QNNREF01';
/** The reference DLC stand-in's files (lib/reference/dlc.ts): composed on the reference backend by default too. */
const REFERENCE_DLC_MAGIC = 'QNNRDLC1';

/** True when the file starts with the reference backend's magic (a reference binary or a reference DLC). */
export function isReferenceBinary(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(REFERENCE_MAGIC.length);
    fs.readSync(fd, head, 0, head.length, 0);
    const magic = head.toString('latin1');
    return magic === REFERENCE_MAGIC || magic === REFERENCE_DLC_MAGIC;
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
    ...(sel.device === false ? { device: false } : {}),
    ...(sel.timeoutMs !== undefined ? { timeoutMs: sel.timeoutMs, contextTimeoutMs: sel.timeoutMs } : {}),
  };
}

async function openBackend(selection: BackendSelection, binary?: string): Promise<Backend> {
  if (selection.kind === 'mock') {
    // A model file on the mock: it composes the signature's graphs (mock/compose.ts).
    const models = binary !== undefined && isModelPath(binary) ? { models: { [binary]: { graphs: selection.signature } } } : {};
    return new MockBackend({ signatures: selection.signature, ...models, ...(selection.recording !== undefined ? { recording: selection.recording } : {}) });
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
    // A model is composed on the backend (nothing to validate in a child: it is not a binary).
    const ctx = isModelPath(file) ? await qnn.composeModel(file) : await qnn.loadContext(file, { validate: options?.inProcess ? 'none' : 'isolated' });
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

export interface DefaultRuntimeOptions {
  /** The platform whose library names `info` uses (tests inject 'win32'); default: this one. */
  readonly platform?: string;
}

export async function createDefaultRuntime(options: DefaultRuntimeOptions = {}): Promise<CliRuntime> {
  const report = (sel: LibrarySelection, reportOptions: ReportOptions = {}): Promise<RuntimeReport> =>
    buildReport(sel, reportOptions, { loadOptions: (s) => loadOptions(s), ...(options.platform ? { platform: options.platform } : {}) });
  return {
    openBackend,
    inspect,
    report,
    exampleBinary: async () => exampleBinaryPath(),
    exampleModel: async () => exampleDlcPath(),
    runManifest,
  };
}
