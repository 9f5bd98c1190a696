/**
 * Opening what a command runs on: a backend of the selected kind (native QNN with the
 * user's libraries, or the mock backend from a signature file) and a context loaded from
 * a binary (the bundled example when no file is given).
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { PRIORITY_VALUES, priorityValue, type QnnPriority } from '../backend/qnn/htp-configs.js';
import type { QnnLoadContextOptions } from '../backend/qnn/QnnContext.js';
import type { Backend, Context } from '../backend/types.js';
import type { CommandContext } from './context.js';
import { usageError } from './exit-codes.js';
import { requireFile } from './files.js';
import { addLibraryOptions, librarySelection } from './options.js';
import type { BackendSelection } from './runtime.js';
import { readSignatureFile } from './signature.js';
import { isModelPath } from '../backend/model-source.js';

export interface TargetOptions {
  backend?: string;
  system?: string;
  logLevel?: string;
  /** A signature file; `true` for a bare `--mock` (manifests that name their own signatures). */
  mock?: string | true;
  /** Absolute path of a recording for the mock backend. */
  replay?: string;
  /** Force QNN_CONTEXT_CONFIG_PERSISTENT_BINARY on or off; undefined follows the library default. */
  persistentBinary?: boolean;
  /** Context priority (QNN_CONTEXT_CONFIG_OPTION_PRIORITY) and every graph's (graphSetConfig). */
  priority?: QnnPriority;
  graphPriority?: QnnPriority;
}

/**
 * --backend, --system, --log-level and --mock <signature.json>. `optionalSignature`: a bare
 * `--mock` is allowed (`run` with a manifest that names its graphs' signatures).
 */
/** A priority option: the API's own message for a level QNN lacks (e.g. "realtime"), not just the choices. */
function priorityOption(flags: string, description: string): Option {
  return new Option(flags, `${description}: ${Object.keys(PRIORITY_VALUES).join(', ')}`).argParser((value: string) => {
    try {
      priorityValue(value, flags.split(' ')[0]!);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
    return value as QnnPriority;
  });
}

export function addTargetOptions(cmd: Command, { optionalSignature = false } = {}): Command {
  return addLibraryOptions(cmd)
    .option(
      optionalSignature ? '--mock [signature.json]' : '--mock <signature.json>',
      `use the mock backend with this signature file (from \`inspect --json\`) instead of the QNN libraries${optionalSignature ? "; a manifest that names its graphs' signatures needs no file" : ''}`,
    )
    .option('--persistent-binary', 'let the backend use the binary in place (QNN_CONTEXT_CONFIG_PERSISTENT_BINARY; the file stays mapped): the default where the backend supports it')
    .option('--no-persistent-binary', 'make the backend copy the binary and unmap the file right after loading')
    .addOption(priorityOption('--priority <level>', "the context's priority (QNN_CONTEXT_CONFIG_OPTION_PRIORITY)"))
    .addOption(priorityOption('--graph-priority <level>', "every graph's execution priority, set with graphSetConfig after loading"));
}

/** The context/graph configs the target options ask for. */
function configOptions(opts: TargetOptions): QnnLoadContextOptions {
  return {
    ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
    ...(opts.graphPriority !== undefined ? { graphConfig: { priority: opts.graphPriority } } : {}),
  };
}

export function backendSelection(ctx: CommandContext, opts: TargetOptions): BackendSelection {
  if (opts.mock === true) throw usageError('--mock needs a signature file (qnn-node inspect --json) for a context binary: --mock <signature.json>');
  if (opts.mock !== undefined) {
    return { kind: 'mock', signature: readSignatureFile(ctx.resolve(opts.mock)), ...(opts.replay !== undefined ? { recording: opts.replay } : {}) };
  }
  return { kind: 'qnn', ...librarySelection(opts) };
}

export interface OpenTarget {
  readonly binary: string;
  readonly selection: BackendSelection;
  readonly backend: Backend;
  readonly context: Context;
  /** Disposes the context and the backend (always call, also after errors). */
  close(): Promise<void>;
}

/** The binary a command works on: the user's file, or the bundled example. */
export async function resolveBinary(ctx: CommandContext, file: string | undefined): Promise<string> {
  const binary = file !== undefined ? ctx.resolve(file) : await (await ctx.runtime()).exampleBinary();
  requireFile(binary, isModelPath(binary) ? 'model' : 'context binary');
  return binary;
}

/**
 * Opens the backend and loads `binary` into a context; a model (.dlc, .so, .dll) is
 * composed on the backend instead (docs/models.md), with the same configs.
 */
export async function openTarget(ctx: CommandContext, binary: string, opts: TargetOptions): Promise<OpenTarget> {
  const selection = backendSelection(ctx, opts);
  const runtime = await ctx.runtime();
  const backend = await runtime.openBackend(selection, binary);
  let context: Context;
  try {
    const options: QnnLoadContextOptions = {
      ...(selection.kind === 'mock' ? { graphs: selection.signature.graphs } : opts.persistentBinary !== undefined ? { persistentBinary: opts.persistentBinary } : {}),
      ...configOptions(opts),
    };
    if (isModelPath(binary)) {
      if (typeof backend.composeModel !== 'function') throw usageError(`${binary} is a model, and the ${backend.kind} backend cannot compose models; give a context binary`);
      const { persistentBinary: _ignored, graphs: _graphs, ...configs } = options as QnnLoadContextOptions & { graphs?: unknown };
      context = await backend.composeModel(binary, configs);
    } else {
      context = await backend.loadContext(binary, options);
    }
  } catch (error) {
    await backend.dispose().catch(() => {});
    throw error;
  }
  return {
    binary,
    selection,
    backend,
    context,
    async close() {
      try {
        await context.dispose();
      } finally {
        await backend.dispose();
      }
    },
  };
}
