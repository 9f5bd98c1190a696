/**
 * `qnn-node info`: which QNN libraries are found and how, what they report (versions,
 * build ids, backend id, platform and device facts), and the host platform.
 */
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { EXIT_OK, exitCodeFor } from '../exit-codes.js';
import { addLibraryOptions, librarySelection } from '../options.js';
import { toJson } from '../output/json.js';
import { formatTable } from '../output/table.js';
import type { DevicePlatformReport, RuntimeReport } from '../runtime.js';

interface InfoOptions {
  json?: boolean;
  backend?: string;
  system?: string;
  logLevel?: string;
  device?: boolean;
  timeout?: number;
  allowReference?: boolean;
}

const SOURCE_TEXT: Record<string, string> = {
  flag: 'command-line flag',
  QNN_SDK_ROOT: 'QNN_SDK_ROOT',
  'search-path': 'library search path',
  'bundled-reference': 'bundled reference backend',
  'not-found': 'not found',
};

/** Renders nested facts as indented "key: value" lines. */
function renderFacts(value: unknown, indent: string): string {
  if (value === null || value === undefined) return '';
  let out = '';
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      out += `${indent}${key}:\n${renderFacts(v, `${indent}  `)}`;
    } else if (Array.isArray(v)) {
      const simple = v.every((x) => x === null || typeof x !== 'object');
      if (simple) out += `${indent}${key}: ${v.join(', ')}\n`;
      else v.forEach((x, i) => (out += `${indent}${key}[${i}]:\n${renderFacts(x, `${indent}  `)}`));
    } else {
      out += `${indent}${key}: ${String(v)}\n`;
    }
  }
  return out;
}

/** The hardware devices of `backend.platform`: one line per device. */
function renderPlatform(platform: DevicePlatformReport | null, error: unknown): string {
  let out = '';
  if (platform === null) out += '  not reported\n';
  else if (platform.devices.length === 0) out += `  no hardware devices (platform info version ${platform.version})\n`;
  for (const d of platform?.devices ?? []) {
    const cores = d.cores.length === 0 ? '' : ` (types ${d.cores.map((c) => c.type).join(', ')})`;
    out += `  device ${d.id}: type ${d.type}, ${d.cores.length} core${d.cores.length === 1 ? '' : 's'}${cores}${d.hasExtension ? ', extension' : ''}\n`;
  }
  if (typeof error === 'string') out += `  error: ${error}\n`;
  return out;
}

export function renderInfo(report: RuntimeReport): string {
  let out = `qnn-node ${report.qnnNode.version}\n`;
  if (report.qnnNode.addon) out += `  addon: ${report.qnnNode.addon}\n`;
  if (report.qnnNode.buildId) out += `  build: ${report.qnnNode.buildId}\n`;
  out += `\nPlatform\n${renderFacts(report.platform, '  ')}`;
  out += '\nLibraries\n';
  out += formatTable(
    ['role', 'found via', 'path'],
    report.libraries.map((l) => [l.role, SOURCE_TEXT[l.source] ?? l.source, l.path ?? `${l.requested} (not found)`]),
  );
  for (const l of report.libraries) {
    if (l.source === 'not-found' && l.tried && l.tried.length > 0) out += `  ${l.role} candidates tried:\n${l.tried.map((t) => `    ${t}\n`).join('')}`;
    if (l.error) {
      out += `  ${l.role} ${l.path ?? l.requested} was found but not used [${l.error.code}]\n`;
      if (l.reported && Object.keys(l.reported).length > 0) out += `  it reports:\n${renderFacts(l.reported, '    ')}`;
    }
  }
  if (report.backend) {
    const { platform, platformError, ...facts } = report.backend;
    out += `\nBackend\n${renderFacts(facts, '  ')}`;
    if (platform !== undefined) out += `\nDevice platform\n${renderPlatform(platform as DevicePlatformReport | null, platformError)}`;
  }
  if (report.error) out += `\nError [${report.error.code}]: ${report.error.message}\n`;
  return out;
}

export function registerInfo(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('info')
    .description('show which QNN libraries are found and how, their versions, build ids, backend id and device info')
    .option('--json', 'print the report as JSON')
    .option('--allow-reference', 'without --backend: accept the bundled reference backend when the default QNN library is found but cannot be used (exit 0)');
  addLibraryOptions(cmd).action(async (opts: InfoOptions) => {
    const runtime = await ctx.runtime();
    const report = await runtime.report(librarySelection(opts), opts.allowReference ? { allowReference: true } : {});
    ctx.io.stdout.write(opts.json ? toJson(report) : renderInfo(report));
    ctx.setExitCode(report.error ? exitCodeFor(report.error) : EXIT_OK);
  });
}
