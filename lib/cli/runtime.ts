/**
 * The seam between the CLI commands and everything they drive. Each command receives a
 * `CliRuntime`; `main()` builds the real one (native QNN runtime, mock backend, pipeline
 * runner) lazily, tests inject their own. Nothing here knows how a backend works.
 */
import type { QnnPlatformInfo } from '../backend/qnn/Qnn.js';
import type { Backend, ContextSignature } from '../backend/types.js';
import type { PipelineResult } from '../pipeline/events.js';
import type { ProfileLevel } from '../profile/types.js';
import type { PerfProfile } from '../backend/power.js';

/** Which QNN libraries to use, as the user asked on the command line. */
export interface LibrarySelection {
  /** `--backend <path|name>`: the QNN backend library (libQnnHtp.so, libQnnCpu.so, libQnnReference.so…). */
  readonly backend?: string;
  /** `--system <path|name>`: the QnnSystem library (reads binary metadata). */
  readonly system?: string;
  /** `--log-level`: the QNN log level handed to the backend. */
  readonly logLevel?: string;
  /** `--no-device`: load without creating a QNN device (Qnn.load's device: false). */
  readonly device?: false;
  /** `--timeout`: give up on loading the libraries and each context after this many ms. */
  readonly timeoutMs?: number;
}

/** `qnn-node info` options beyond the library selection. */
export interface ReportOptions {
  /** `--allow-reference`: a default library that was found but not used is not an error. */
  readonly allowReference?: boolean;
}

/** What the user selected: the native runtime with libraries, or the mock backend with a signature. */
export type BackendSelection =
  | ({ readonly kind: 'qnn' } & LibrarySelection)
  | {
      readonly kind: 'mock';
      readonly signature: ContextSignature;
      /** A recording folder to answer from (MockBackend's `recording` option). */
      readonly recording?: string;
    };

/** How a library was found. */
export type LibrarySource = 'flag' | 'QNN_SDK_ROOT' | 'search-path' | 'bundled-reference' | 'not-found';

export interface LibraryReport {
  readonly role: 'backend' | 'system';
  /** What was asked for or searched (a path or a bare library name). */
  readonly requested: string;
  /** The file that was (or would be) loaded; undefined when nothing was found. */
  readonly path?: string;
  readonly source: LibrarySource;
  /** Candidates tried, in order, when resolution had to search. */
  readonly tried?: readonly string[];
  /** Found but not used: why (the load error). */
  readonly error?: { readonly code: string; readonly message: string };
  /** What the library reported before it was refused (provider, API versions, build id…). */
  readonly reported?: Readonly<Record<string, string>>;
}

/** `backend.platform` in the report: the hardware devices deviceGetPlatformInfo reports. */
export type DevicePlatformReport = QnnPlatformInfo;

/** What `qnn-node info` reports. Every field past `platform` is whatever the runtime can tell. */
export interface RuntimeReport {
  readonly qnnNode: { readonly version: string; readonly addon?: string; readonly buildId?: string };
  readonly platform: Readonly<Record<string, unknown>>;
  readonly libraries: readonly LibraryReport[];
  /**
   * Versions, build ids, backend id and device facts as the loaded libraries report them;
   * `platform` (a DevicePlatformReport or null) and `platformError` when the runtime has them.
   */
  readonly backend?: Readonly<Record<string, unknown>>;
  /** Why loading failed, when it did (`info` still prints what it found). */
  readonly error?: { readonly code: string; readonly message: string };
}

/** Result of running a pipeline manifest: lib/pipeline's PipelineResult. */
export type ManifestRunResult = PipelineResult;

export interface ManifestRunOptions {
  /** `--input name=value` as typed: text, a number, an image path, a tensor file (.npy / .raw). */
  readonly inputs: Readonly<Record<string, string>>;
  /** Resolves file paths given as input values. */
  readonly resolve: (p: string) => string;
  /** Record every graph call into this folder. */
  readonly record?: string;
  readonly seed?: number;
  /** `--param name=value` as typed (the value is JSON when it parses as JSON), checked against the manifest's params. */
  readonly params?: Readonly<Record<string, string>>;
  /** The native runtime with these libraries, or the mock backend. */
  readonly backend:
    | ({ readonly kind: 'qnn' } & LibrarySelection)
    | { readonly kind: 'mock'; readonly signature?: ContextSignature; readonly recording?: string };
  /** Streamed text of emit steps, as it is produced. */
  readonly onText?: (text: string) => void;
  /** `--allow-root`: folders the manifest's files may come from besides its own folder. */
  readonly allowedRoots?: readonly string[];
  /** `--variant`: the manifest variant to run (default: its defaultVariant). */
  readonly variant?: string;
  /** `--perf-profile`: replaces the manifest's perfProfile for this run. */
  readonly perfProfile?: PerfProfile;
  /** `--profile`: profile every graph step (result.profile); `--no-profile` (false): not even when the manifest says so. */
  readonly profile?: ProfileLevel | false;
  /** `--adapter`: the LoRA adapter for every context that declares it (docs/adapters.md). */
  readonly adapter?: string;
  /** `--stage-backend name=lib`: the library (a path or name) a manifest backend name loads; others as the manifest names them. */
  readonly stageBackends?: Readonly<Record<string, string>>;
  /** `--no-shared-memory`: 'off' replaces the manifest's sharedMemory. */
  readonly sharedMemory?: 'off';
}

/** How `inspect` reads a binary. */
export interface InspectOptions {
  /** Read by QnnSystem alone (no backend, no context). */
  readonly systemOnly?: boolean;
  /** `--sdk-version 2.<minor>`: the SDK the QnnSystem library comes from. */
  readonly sdkMinor?: number;
  /** `--in-process`: let the vendor library read the binary in this process (no isolation). */
  readonly inProcess?: boolean;
}

export interface CliRuntime {
  /**
   * A backend of the selected kind; the caller disposes it. `binary` is the file it will
   * load, when known: it decides the default libraries (a reference binary → the bundled
   * reference backend).
   */
  openBackend(selection: BackendSelection, binary?: string): Promise<Backend>;
  /**
   * Graph and tensor signatures of a context binary (without executing anything).
   * `systemOnly`: read by QnnSystem alone (no backend, no context; `libraries.backend` unused).
   */
  inspect(path: string, libraries: LibrarySelection, options?: InspectOptions): Promise<ContextSignature>;
  /** Which libraries are found and what they report (`qnn-node info`). */
  report(libraries: LibrarySelection, options?: ReportOptions): Promise<RuntimeReport>;
  /** The bundled reference example binary (default of inspect / run / bench). */
  exampleBinary(): Promise<string>;
  /** The bundled reference example DLC (default of generate-context); optional for injected runtimes. */
  exampleModel?(): Promise<string>;
  /** Runs a pipeline manifest (`qnn-node run manifest.json`). */
  runManifest(path: string, options: ManifestRunOptions): Promise<ManifestRunResult>;
}
