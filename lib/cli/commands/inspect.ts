/**
 * `qnn-node inspect [context.bin]`: the graphs of a context binary and their input and
 * output tensors (name, id, dtype, shape, quantization). `--json` prints the signature
 * file the mock backend consumes (ContextSignature). Without an argument: the bundled
 * reference example.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { describeProducer } from '../../backend/qnn/binary-producer.js';
import type { ContextSignature } from '../../backend/types.js';
import type { CommandContext } from '../context.js';
import { requireFile } from '../files.js';
import { usageError } from '../exit-codes.js';
import { isModelPath, modelFormatOf } from '../../backend/model-source.js';
import { addLibraryOptions, collect, librarySelection } from '../options.js';
import { formatDims } from '../output/format.js';
import { toJson } from '../output/json.js';
import { formatTable } from '../output/table.js';
import { describeQuant, normalizeSignature, selectGraphs } from '../signature.js';

interface InspectOptions {
  json?: boolean;
  output?: string;
  graph?: string[];
  backend?: string;
  system?: string;
  logLevel?: string;
  systemOnly?: boolean;
  sdkVersion?: number;
  inProcess?: boolean;
}

/** commander argParser for --sdk-version: "2.25", "2.25.0" or a build id "v2.25.0.…" → 25. */
export function sdkMinorArg(value: string): number {
  const m = /^v?2\.(\d{1,3})(?:\.\d+)*(?:[._]\w*)*$/.exec(value.trim());
  const minor = m ? Number(m[1]) : NaN;
  if (!(minor >= 1 && minor <= 1000)) throw new InvalidArgumentError('expected a QNN SDK version such as 2.25 or 2.25.0');
  return minor;
}

export function renderSignature(sig: ContextSignature): string {
  let out = sig.source ? `${sig.source}\n` : '';
  if (sig.producer) out += `producer: ${describeProducer(sig.producer)}\n`;
  out += `${sig.graphs.length} graph${sig.graphs.length === 1 ? '' : 's'}\n`;
  for (const g of sig.graphs) {
    out += `\nGraph ${g.name} (${g.inputs.length} input${g.inputs.length === 1 ? '' : 's'}, ${g.outputs.length} output${g.outputs.length === 1 ? '' : 's'})\n`;
    const rows = [...g.inputs.map((t) => ['in', t] as const), ...g.outputs.map((t) => ['out', t] as const)].map(([dir, t]) => [
      dir,
      t.name,
      t.id,
      t.dtype,
      formatDims(t.dims),
      describeQuant(t.quant),
    ]);
    out += formatTable(['', 'name', { header: 'id', align: 'right' }, 'dtype', 'shape', 'quantization'], rows);
  }
  return out;
}

export function registerInspect(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('inspect')
    .description('list the graphs and tensors of a context binary (default: the bundled reference example)')
    .argument('[context]', 'context binary (.bin), or a model (.dlc / model library .so, .dll) composed on the backend')
    .option('--json', 'print the signature file (ContextSignature) the mock backend consumes')
    .option('-o, --output <file>', 'write the JSON signature to a file instead of stdout (implies --json)')
    .option('-g, --graph <name>', 'only this graph (repeatable)', collect)
    .option('--system-only', 'read the binary with the QnnSystem library alone (no backend, no context; --backend is ignored), like qnn-context-binary-utility')
    .option('--sdk-version <version>', 'the QNN SDK version (2.<minor>) the QnnSystem library comes from; only needed if its GraphInfo layout cannot be told from the data', sdkMinorArg)
    .option('--in-process', 'let QnnSystem read the binary in this process (faster; by default it reads in an isolated child process, so a malformed binary cannot crash qnn-node)');
  addLibraryOptions(cmd).action(async (file: string | undefined, opts: InspectOptions) => {
    const runtime = await ctx.runtime();
    const binary = file !== undefined ? ctx.resolve(file) : await runtime.exampleBinary();
    const model = isModelPath(binary);
    requireFile(binary, model ? 'model' : 'context binary');
    if (model && opts.systemOnly) throw usageError('--system-only reads context binaries; a model (.dlc / model library) is composed on a backend');
    const inspectOptions = {
      ...(opts.systemOnly ? { systemOnly: true } : {}),
      ...(opts.sdkVersion !== undefined ? { sdkMinor: opts.sdkVersion } : {}),
      ...(opts.inProcess ? { inProcess: true } : {}),
    };
    const sig = selectGraphs(normalizeSignature(await runtime.inspect(binary, librarySelection(opts), Object.keys(inspectOptions).length ? inspectOptions : undefined), binary), opts.graph);
    if (opts.output !== undefined) {
      const target = ctx.resolve(opts.output);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, toJson(sig));
      ctx.io.stderr.write(`wrote ${target}\n`);
    } else if (opts.json) {
      ctx.io.stdout.write(toJson(sig));
    } else {
      if (model) ctx.io.stdout.write(`composed from a ${modelFormatOf(binary, undefined) === 'dlc' ? 'DLC' : 'model library'} on the backend (not a context binary; qnn-node generate-context saves one)\n`);
      ctx.io.stdout.write(renderSignature(sig));
    }
  });
}
