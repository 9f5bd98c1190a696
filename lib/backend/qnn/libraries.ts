/**
 * Where the QNN libraries are looked for (docs/native-runtime.md), and the loader error
 * that lists what was tried and how to fix it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { QnnNodeError } from '../../errors.js';

/** Library folders of a QNN / QAIRT SDK for this host, most specific first. */
export function sdkLibFolders(platform: string = process.platform, arch: string = process.arch): string[] {
  if (platform === 'android') return ['aarch64-android'];
  if (platform === 'win32') {
    if (arch === 'arm64') return ['arm64x-windows-msvc', 'aarch64-windows-msvc'];
    return ['x86_64-windows-msvc'];
  }
  if (platform === 'linux') {
    if (arch === 'arm64') return ['aarch64-oe-linux-gcc11.2', 'aarch64-ubuntu-gcc9.4', 'aarch64-android'];
    return ['x86_64-linux-clang'];
  }
  return [];
}

export function libraryFileName(base: 'QnnHtp' | 'QnnSystem' | string, platform: string = process.platform): string {
  if (platform === 'win32') return `${base}.dll`;
  if (platform === 'darwin') return `lib${base}.dylib`;
  return `lib${base}.so`;
}

/** The default library of a role on `platform`: libQnnHtp.so / QnnHtp.dll, libQnnSystem.so / QnnSystem.dll. */
export function defaultLibraryName(role: 'backend' | 'system', platform: string = process.platform): string {
  return libraryFileName(role === 'backend' ? 'QnnHtp' : 'QnnSystem', platform);
}

export interface Candidate {
  /** What goes to the loader: an absolute path, or a bare name for the platform search. */
  readonly path: string;
  /** Where it came from, for messages. */
  readonly origin: string;
  /** Absolute paths are checked for existence before loading; bare names are not. */
  readonly bare: boolean;
}

function hasSeparator(p: string): boolean {
  return p.includes('/') || p.includes('\\');
}

/**
 * Candidates for one library: an explicit `given` path (only that), else a bare name given
 * (the SDK folder first, then the platform search), else `$QNN_SDK_ROOT/lib/<folder>/<default>`
 * followed by the default name on the platform search path.
 */
export function libraryCandidates(
  given: string | undefined,
  defaultBase: string,
  sdkRoot: string | undefined,
  platform: string = process.platform,
  arch: string = process.arch,
): Candidate[] {
  if (given !== undefined && hasSeparator(given)) return [{ path: path.resolve(given), origin: 'the path given', bare: false }];
  const fileName = given ?? libraryFileName(defaultBase, platform);
  const list: Candidate[] = [];
  if (sdkRoot) {
    for (const folder of sdkLibFolders(platform, arch)) {
      list.push({ path: path.join(sdkRoot, 'lib', folder, fileName), origin: `QNN_SDK_ROOT (lib/${folder})`, bare: false });
    }
  }
  list.push({ path: fileName, origin: platform === 'win32' ? 'the DLL search path (PATH)' : 'the library search path', bare: true });
  return list;
}

export interface Attempt {
  readonly candidate: Candidate;
  readonly reason: string;
}

/** Filters out absolute candidates that do not exist (recording them as tried). */
export function existing(candidates: readonly Candidate[], attempts: Attempt[]): Candidate[] {
  return candidates.filter((c) => {
    if (c.bare || existsSync(c.path)) return true;
    attempts.push({ candidate: c, reason: 'not found' });
    return false;
  });
}

/** The sharp-style loader error: what was tried, then the fixes. */
export function libraryLoadError(
  kind: 'backend' | 'system',
  attempts: readonly Attempt[],
  cause?: unknown,
  platform: string = process.platform,
  arch: string = process.arch,
): QnnNodeError {
  const name = defaultLibraryName(kind, platform);
  const envVar = platform === 'win32' ? 'PATH' : platform === 'darwin' ? 'DYLD_LIBRARY_PATH' : 'LD_LIBRARY_PATH';
  const folder = sdkLibFolders(platform, arch)[0] ?? '<platform folder>';
  const option = kind === 'backend' ? 'backend' : 'system';
  const lines = [
    `Could not load the QNN ${kind === 'backend' ? 'backend' : 'System'} library (${name}).`,
    'Tried:',
    ...attempts.map((a) => `  - ${a.candidate.path} [${a.candidate.origin}]: ${a.reason}`),
    'Possible fixes:',
    `  - pass the library's full path: Qnn.load({ ${option}: '/path/to/${name}' })`,
    `  - set QNN_SDK_ROOT to your QNN / QAIRT SDK folder (libraries in $QNN_SDK_ROOT/lib/${folder})`,
    `  - add the folder that holds ${name} to ${envVar}`,
  ];
  if (platform === 'linux' || platform === 'android') {
    lines.push('  - on Android also pass adspLibraryPath (the folder of the libQnnHtpV??Skel.so files)');
  }
  lines.push("  - no Qualcomm libraries? Qnn.load({ backend: 'reference' }) runs the project's CPU reference backend");
  return new QnnNodeError('LIBRARY_LOAD_FAILED', lines.join('\n'), {
    cause,
    details: { library: kind, tried: attempts.map((a) => ({ path: a.candidate.path, origin: a.candidate.origin, reason: a.reason })) },
  });
}
