/**
 * Reads a context binary's info with QnnSystem in a throwaway child process, bounded in
 * time and memory. Vendor code cannot be fixed: one-byte mutations of a real binary make
 * SDK 2.25's libQnnSystem segfault inside strlen/memcpy or allocate without end. A Node
 * worker would not help (a SIGSEGV kills the whole process), so the read runs in a child
 * (binary-info-child.cjs) that limits itself (address space, CPU time, death with the
 * parent) and is killed after a wall-clock timeout. A crash or timeout becomes
 * BINARY_INVALID: "libQnnSystem crashed / timed out reading this file".
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { QnnNodeError, QnnRangeError, QnnTypeError } from '../../errors.js';
import { loadAddon, loadedAddonPath } from '../../native/binding.js';
import type { NativeBinaryInfo, NativeError } from '../../native/AddonTypes.js';
import { fromNative } from './errors.js';

/** Bounds of one isolated read. */
export interface IsolationLimits {
  /** Wall-clock limit of the child, ms (default 15000). */
  readonly timeoutMs?: number;
  /**
   * Address space the child may add to what Node itself uses, bytes, on top of the binary's
   * own size (default 1 GiB; Linux only — elsewhere only the time limit applies).
   */
  readonly memoryBytes?: number;
}

export const DEFAULT_ISOLATION: Required<IsolationLimits> = Object.freeze({ timeoutMs: 15_000, memoryBytes: 1 << 30 });

/** Checks an `isolate` option: true / false / undefined / { timeoutMs?, memoryBytes? }. */
export function isolationOption(value: unknown, name: string): Required<IsolationLimits> | false {
  if (value === undefined || value === true) return DEFAULT_ISOLATION;
  if (value === false) return false;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new QnnTypeError('ERR_INVALID_ARG', `Expected a boolean or { timeoutMs, memoryBytes } for ${name} but received ${typeof value}`, { name });
  }
  const v = value as IsolationLimits;
  for (const [key, max] of [['timeoutMs', 24 * 3600_000], ['memoryBytes', Number.MAX_SAFE_INTEGER]] as const) {
    const x = v[key];
    if (x !== undefined && (!Number.isSafeInteger(x) || x < 1 || x > max)) {
      throw new QnnRangeError('ERR_OUT_OF_RANGE', `Expected an integer from 1 to ${max} for ${name}.${key} but received ${String(x)}`, { name: `${name}.${key}` });
    }
  }
  return { timeoutMs: v.timeoutMs ?? DEFAULT_ISOLATION.timeoutMs, memoryBytes: v.memoryBytes ?? DEFAULT_ISOLATION.memoryBytes };
}

/** The child's entry script: next to this module (dist/ and lib/ both hold it). */
function childScript(): string {
  return fileURLToPath(new URL('./binary-info-child.cjs', import.meta.url));
}

/** The addon file this process loaded (the child loads the same build). */
function addonPath(): string {
  loadAddon();
  return loadedAddonPath() as string;
}

/** limitProcess's largest CPU-time limit, s. */
const MAX_CPU_SECONDS = 86_400;

const STDERR_KEEP = 4096;

/** Rebuilds the child's serialized error as this process's error classes. */
function errorFromChild(e: Record<string, unknown>): Error {
  const revive = (v: unknown): unknown => (typeof v === 'object' && v !== null && typeof (v as { bigint?: unknown }).bigint === 'string' ? BigInt((v as { bigint: string }).bigint) : v);
  const base = e.isTypeError ? new TypeError(String(e.message)) : e.isRangeError ? new RangeError(String(e.message)) : new Error(String(e.message));
  const native = Object.assign(base, {
    code: e.code,
    status: revive(e.status),
    statusName: e.statusName,
    apiFunction: e.apiFunction,
    backendMessage: e.backendMessage,
    details: e.details,
  }) as NativeError;
  return fromNative(native, 'QnnSystem');
}

/** Signals in a human word. */
function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal === 'SIGSEGV' || signal === 'SIGBUS') return `${signal}: an invalid memory access`;
  if (signal === 'SIGABRT') return 'SIGABRT: it aborted';
  if (signal) return signal;
  return `exit code ${code}`;
}

/**
 * readBinaryInfo(systemPath, source, sdkMinor) in a child process. Resolves to what the
 * addon returns; rejects with the addon's error (LIBRARY_LOAD_FAILED, BINARY_INVALID…) or,
 * when the child dies or overruns, BINARY_INVALID with details { isolated: true, outcome }.
 */
export function readBinaryInfoIsolated(
  systemPath: string,
  source: string | Uint8Array,
  sdkMinor: number | undefined,
  binaryBytes: number,
  limits: Required<IsolationLimits>,
  abort?: AbortSignal,
): Promise<NativeBinaryInfo> {
  const script = childScript();
  if (!existsSync(script)) {
    return Promise.reject(new QnnNodeError('ADDON_NOT_FOUND', `The isolated reader's child script is missing: ${script} (reinstall qnn-node)`, { details: { path: script } }));
  }
  const request = {
    addon: addonPath(),
    system: systemPath,
    ...(typeof source === 'string' ? { path: source } : {}),
    ...(sdkMinor !== undefined ? { sdkMinor } : {}),
    // A path is mapped after the limit is set, so its size is added; bytes are already in.
    memoryBytes: Math.min(Number.MAX_SAFE_INTEGER, limits.memoryBytes + (typeof source === 'string' ? binaryBytes : 0)),
    cpuSeconds: Math.min(MAX_CPU_SECONDS, Math.ceil(limits.timeoutMs / 1000) + 1),
    parentPid: process.pid,
  };
  const started = Date.now();
  if (abort?.aborted) return Promise.reject(new QnnNodeError('ABORTED', 'The isolated QnnSystem read was aborted before it started', { cause: abort.reason, details: { isolated: true } }));
  return new Promise((resolve, reject) => {
    // ELECTRON_RUN_AS_NODE: inside Electron, execPath is the app; this makes it plain Node.
    const child = spawn(process.execPath, [script], {
      stdio: ['pipe', 'ignore', 'pipe', 'pipe'],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      windowsHide: true,
    });
    let stderr = '';
    let answer = '';
    let timedOut = false;
    let settled = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, limits.timeoutMs);
    const onAbort = (): void => {
      child.kill('SIGKILL');
      settle(() => reject(new QnnNodeError('ABORTED', `The isolated QnnSystem read of ${typeof source === 'string' ? source : 'the given bytes'} was aborted`, { cause: abort?.reason, details: { isolated: true } })));
    };
    abort?.addEventListener('abort', onAbort, { once: true });
    function settle(finish: () => void): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      abort?.removeEventListener('abort', onAbort);
      finish();
    }
    /** The child's complete answer, settled as soon as it is there (true), else false. */
    const settleWithAnswer = (): boolean => {
      if (!answer) return false;
      try {
        const message = JSON.parse(answer) as { ok: boolean; info?: NativeBinaryInfo; error?: Record<string, unknown> };
        if (message.ok && message.info) settle(() => resolve(message.info as NativeBinaryInfo));
        else if (!message.ok && message.error) settle(() => reject(errorFromChild(message.error as Record<string, unknown>)));
        else return false;
        return true;
      } catch {
        return false; // torn: the exit tells what happened
      }
    };
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEEP);
    });
    const results = child.stdio[3] as NodeJS.ReadableStream | null;
    results?.setEncoding('utf8');
    results?.on('data', (chunk: string) => {
      answer += chunk;
    });
    // The answer counts once it is complete, even if the child then hangs on its way out
    // (vendor destructors) or a descendant keeps the pipes open.
    results?.on('end', () => {
      if (!timedOut && settleWithAnswer()) child.kill('SIGKILL');
    });
    // EPIPE when the child dies before reading all the bytes: its exit tells the story.
    child.stdin?.on('error', () => {});
    child.stdin?.end(typeof source === 'string' ? `${JSON.stringify(request)}\n` : Buffer.concat([Buffer.from(`${JSON.stringify(request)}\n`), source]));
    child.on('error', (cause) => {
      settle(() => reject(new QnnNodeError('LIBRARY_LOAD_FAILED', `Could not start the isolated QnnSystem reader (${process.execPath}): ${cause.message}`, { cause, details: { library: 'system' } })));
    });
    child.on('close', (code, signal) => {
      if (settled || (!timedOut && settleWithAnswer())) return;
      const elapsedMs = Date.now() - started;
      const library = path.basename(systemPath);
      const outOfMemory = /out of memory|bad_alloc|Cannot allocate memory|allocation failed/i.test(stderr);
      const cpuLimit = signal === 'SIGXCPU';
      const outcome: 'timeout' | 'crash' = timedOut || cpuLimit ? 'timeout' : 'crash';
      const why =
        outcome === 'timeout'
          ? `timed out reading this file (no answer within ${limits.timeoutMs} ms${cpuLimit ? ', CPU time limit reached' : ''}; the reader process was killed)`
          : `crashed reading this file (${describeExit(code, signal)}${outOfMemory ? `; it ran out of its ${Math.round(limits.memoryBytes / 2 ** 20)} MiB memory limit` : ''})`;
      const label = typeof source === 'string' ? source : 'the given bytes';
      settle(() => reject(
        new QnnNodeError('BINARY_INVALID', `libQnnSystem ${why}: ${label} is malformed or not a context binary this QnnSystem (${library}) can read. The read ran in an isolated process; this process is unaffected.`, {
          details: {
            isolated: true,
            outcome,
            ...(typeof source === 'string' ? { path: source } : {}),
            systemPath,
            exitCode: code,
            signal,
            elapsedMs,
            timeoutMs: limits.timeoutMs,
            memoryBytes: limits.memoryBytes,
            ...(stderr ? { stderr } : {}),
          },
        }),
      ));
    });
  });
}
