/**
 * `qnn-node generate-context [model] -o model.bin`: the Node equivalent of the SDK's
 * qnn-context-binary-generator. Composes a DLC (through QnnModelDlc) or a model library on
 * the backend, finalizes every graph, and writes the context binary atomically; progress on
 * stderr, the compose / finalize / serialize timings on stdout (and in --json). Without a
 * model: the bundled reference example DLC on the reference backend.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { modelFormatOf } from '../../backend/model-source.js';
import type { BackendDescription, ComposeOptions, ComposeProgress, ModelFormat } from '../../backend/types.js';
import { QnnNodeError } from '../../errors.js';
import type { CommandContext } from '../context.js';
import { usageError } from '../exit-codes.js';
import { requireFile } from '../files.js';
import { formatBytes, formatMs } from '../output/format.js';
import { toJson } from '../output/json.js';
import { createProgress, type Progress } from '../output/progress.js';
import { addTargetOptions, backendSelection, type TargetOptions } from '../target.js';

interface GenerateOptions extends TargetOptions {
  output?: string;
  format?: ModelFormat;
  modelDlc?: string;
  json?: boolean;
  quiet?: boolean;
}

export interface GenerateReport {
  readonly model: string;
  readonly format: ModelFormat;
  readonly output: string;
  readonly bytes: number;
  readonly backend: BackendDescription | { readonly kind: string };
  readonly graphs: readonly string[];
  /** Milliseconds: compose entry point, graphFinalize of every graph, contextGetBinary + write, all. */
  readonly timings: { readonly composeMs: number; readonly finalizeMs: number; readonly serializeMs: number; readonly totalMs: number };
}

export function renderGenerate(r: GenerateReport): string {
  const t = r.timings;
  return (
    `${r.output}: ${formatBytes(r.bytes)} context binary from ${r.model} (${r.format === 'dlc' ? 'DLC' : 'model library'}) on ${r.backend.kind}` +
    `${'buildId' in r.backend ? ` ${r.backend.buildId}` : ''}\n` +
    `graphs: ${r.graphs.join(', ')}\n` +
    `compose ${formatMs(t.composeMs)} ms, finalize ${formatMs(t.finalizeMs)} ms, serialize ${formatMs(t.serializeMs)} ms (total ${formatMs(t.totalMs)} ms)\n`
  );
}

/** Progress on stderr: a line for compose, then a bar (or lines) over the graphs being finalized. */
function composeProgress(ctx: CommandContext, model: string, quiet: boolean): { onProgress: (p: ComposeProgress) => void; stop(): void } {
  let bar: Progress | undefined;
  return {
    onProgress(p) {
      if (quiet) return;
      if (p.phase === 'compose') {
        ctx.io.stderr.write(`compose: ${path.basename(model)}\n`);
        return;
      }
      bar ??= createProgress(ctx.io, 'finalize', p.count, { plainLines: p.count });
      bar.tick(1, `${p.graph ?? ''} (${formatMs(p.elapsedMs)} ms)`);
    },
    stop() {
      bar?.stop();
    },
  };
}

export function registerGenerateContext(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('generate-context')
    .description('compose a DLC or model library on the backend, finalize it and write its context binary (like qnn-context-binary-generator); default: the bundled reference example DLC')
    .argument('[model]', 'model: a .dlc (composed through QnnModelDlc) or a model library (.so / .dll from qnn-model-lib-generator)')
    .option('-o, --output <file>', 'the context binary to write (default: <model name>.bin in the working directory)')
    .addOption(new Option('--format <format>', 'how to compose the model (default by extension: .dlc → dlc, else library)').choices(['dlc', 'library']))
    .option('--model-dlc <lib>', 'the QnnModelDlc library for a DLC (default: beside the backend, then $QNN_SDK_ROOT/lib/<platform>, then the search path)')
    .option('--json', 'print the report as JSON')
    .option('-q, --quiet', 'no progress output');
  addTargetOptions(cmd).action(async (file: string | undefined, opts: GenerateOptions) => {
    if (opts.persistentBinary !== undefined) throw usageError('--persistent-binary applies to loading context binaries, not to composing a model');
    const runtime = await ctx.runtime();
    let model: string;
    if (file !== undefined) {
      model = ctx.resolve(file);
    } else {
      if (!runtime.exampleModel) throw usageError('generate-context needs a model (.dlc or a model library)');
      model = await runtime.exampleModel();
    }
    requireFile(model, 'model');
    const format = modelFormatOf(model, opts.format, '--format');
    const output = ctx.resolve(opts.output ?? `${path.basename(model).replace(/^lib/, '').replace(/\.[^.]+$/, '')}.bin`);
    if (output === model) throw usageError(`-o ${opts.output}: the output would overwrite the model`);
    const selection = backendSelection(ctx, opts);
    const backend = await runtime.openBackend(selection, model);
    const progress = composeProgress(ctx, model, opts.quiet === true || opts.json === true);
    try {
      if (typeof backend.composeModel !== 'function') throw new QnnNodeError('UNSUPPORTED_FEATURE', `The ${backend.kind} backend cannot compose models`, { details: { backend: backend.kind } });
      const options: ComposeOptions = {
        format,
        ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
        ...(opts.graphPriority !== undefined ? { graphConfig: { priority: opts.graphPriority } } : {}),
        ...(opts.modelDlc !== undefined ? { modelDlc: ctx.resolve(opts.modelDlc) } : {}),
        onProgress: progress.onProgress,
      };
      const t0 = performance.now();
      const context = await backend.composeModel(model, options);
      try {
        progress.stop();
        if (typeof context.saveBinary !== 'function') throw new QnnNodeError('UNSUPPORTED_FEATURE', `The ${backend.kind} backend's contexts cannot be saved as binaries`, { details: { backend: backend.kind } });
        if (!opts.quiet && !opts.json) ctx.io.stderr.write(`serialize: ${output}\n`);
        fs.mkdirSync(path.dirname(output), { recursive: true });
        const saved = await context.saveBinary(output);
        const c = context.composeTimings;
        const report: GenerateReport = {
          model,
          format,
          output: saved.path,
          bytes: saved.bytes,
          backend: backend.describe?.() ?? { kind: backend.kind },
          graphs: context.graphs.map((g) => g.name),
          timings: { composeMs: c?.composeMs ?? 0, finalizeMs: c?.finalizeMs ?? 0, serializeMs: saved.serializeMs, totalMs: performance.now() - t0 },
        };
        ctx.io.stdout.write(opts.json ? toJson(report) : renderGenerate(report));
      } finally {
        await context.dispose();
      }
    } finally {
      progress.stop();
      await backend.dispose();
    }
  });
}
