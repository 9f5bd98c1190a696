/**
 * Shared helpers of the opt-in conformance suite (test/conformance). The suite runs only
 * when QNN_SDK_ROOT points at a QNN / QAIRT SDK; nothing from that SDK is part of this
 * repository. See docs/conformance.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SDK_ROOT = process.env.QNN_SDK_ROOT ? resolve(process.env.QNN_SDK_ROOT) : undefined;

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** The SDK's host library folder (x86_64 Linux builds of the QNN libraries). */
export const SDK_LIB_DIR =
  process.env.QNN_SDK_LIB_DIR ?? (SDK_ROOT ? join(SDK_ROOT, 'lib', 'x86_64-linux-clang') : undefined);

/** `<sdk>/include/QNN`, where QnnInterface.h lives. */
export const SDK_INCLUDE_DIR = SDK_ROOT ? join(SDK_ROOT, 'include', 'QNN') : undefined;

/** Path of an SDK host library, or undefined when the SDK does not ship it. */
export function sdkLibrary(name: string): string | undefined {
  if (!SDK_LIB_DIR) return undefined;
  const p = join(SDK_LIB_DIR, name);
  return existsSync(p) && statSync(p).size > 0 ? p : undefined;
}

/** True when this host can run the SDK's x86_64 Linux libraries at all. */
export const HOST_RUNS_SDK_LIBS = process.platform === 'linux' && process.arch === 'x64';

/** The C++ compiler to build throwaway probes with, or undefined when none works. */
export function cxxCompiler(): string | undefined {
  for (const cxx of [process.env.CXX, 'c++', 'g++', 'clang++']) {
    if (!cxx) continue;
    try {
      execFileSync(cxx, ['--version'], { stdio: 'ignore' });
      return cxx;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/** Every `.h` file under `dir`, recursively. */
export function headerFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...headerFiles(p));
    else if (entry.name.endsWith('.h')) out.push(p);
  }
  return out;
}

/** The text of every header under `dir`, concatenated (for "is this name declared" checks). */
export function headerText(dir: string): string {
  return headerFiles(dir)
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
}

/** QNN_API_VERSION_{MAJOR,MINOR} as the SDK's QnnCommon.h declares them, or undefined. */
export function sdkHeaderCoreVersion(): [number, number] | undefined {
  if (!SDK_INCLUDE_DIR) return undefined;
  const p = join(SDK_INCLUDE_DIR, 'QnnCommon.h');
  if (!existsSync(p)) return undefined;
  const text = readFileSync(p, 'utf8');
  const major = /#define\s+QNN_API_VERSION_MAJOR\s+(\d+)/.exec(text);
  const minor = /#define\s+QNN_API_VERSION_MINOR\s+(\d+)/.exec(text);
  return major && minor ? [Number(major[1]), Number(minor[1])] : undefined;
}
