/**
 * Test runtime for the CLI: the mock backend stands in for the native one, signatures of
 * "binaries" come from a table keyed by path. Only test code: the shipped CLI gets the
 * real runtime (lib/cli/default-runtime.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockBackend } from '../../lib/backend/mock/MockBackend.js';
import type { ContextSignature, GraphSignature } from '../../lib/backend/types.js';
import { QnnNodeError } from '../../lib/errors.js';
import { captureIO, type CapturedIO } from '../../lib/cli/io.js';
import { main } from '../../lib/cli/main.js';
import { runManifestFile } from '../../lib/cli/manifest.js';
import type { CliRuntime, RuntimeReport } from '../../lib/cli/runtime.js';

export const GRAPHS: GraphSignature[] = [
  {
    name: 'add',
    inputs: [
      { name: 'x', id: 1001, dtype: 'float32', dims: [1, 4] },
      { name: 'y', id: 1002, dtype: 'float32', dims: [1, 4] },
    ],
    outputs: [{ name: 'z', id: 1003, dtype: 'float32', dims: [1, 4] }],
  },
  {
    name: 'dequant',
    inputs: [{ name: 'q', id: 1010, dtype: 'ufixed8', dims: [1, 8], quant: { encoding: 'scale-offset', scale: 0.5, offset: -2 } }],
    outputs: [{ name: 'r', id: 1011, dtype: 'float32', dims: [1, 8] }],
  },
];

export const MAGIC = 'FAKEBIN1';

export interface TestEnv {
  readonly dir: string;
  readonly example: string;
  /** Writes a fake binary the test runtime accepts. */
  binary(name: string): string;
  /** Writes a file with the given content. */
  file(name: string, content: string | Uint8Array): string;
  runtime: CliRuntime;
  /** How many backends were opened / disposed. */
  readonly counts: { opened: number; disposed: number };
  cleanup(): void;
}

export function testEnv(report?: Partial<RuntimeReport>): TestEnv {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnn-cli-'));
  const counts = { opened: 0, disposed: 0 };
  const write = (name: string, content: string | Uint8Array) => {
    const p = path.join(dir, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
    return p;
  };
  const binary = (name: string) => write(name, `${MAGIC}${'\0'.repeat(56)}`);
  const check = (p: string) => {
    const head = fs.readFileSync(p).subarray(0, MAGIC.length).toString('latin1');
    if (head !== MAGIC) throw new QnnNodeError('BINARY_INVALID', `${p} is not a context binary`, { details: { path: p } });
  };
  const example = binary('example.bin');
  const runtime: CliRuntime = {
    async openBackend(selection) {
      counts.opened++;
      const mock =
        selection.kind === 'mock'
          ? new MockBackend({ signatures: selection.signature, ...(selection.recording ? { recording: selection.recording } : {}) })
          : new MockBackend({ signatures: GRAPHS });
      const loadContext = mock.loadContext.bind(mock);
      const dispose = mock.dispose.bind(mock);
      return Object.assign(mock, {
        loadContext: async (source: string | Uint8Array, options?: { graphs?: readonly GraphSignature[] }) => {
          if (typeof source === 'string' && selection.kind === 'qnn') check(source);
          return loadContext(source, options);
        },
        dispose: async () => {
          counts.disposed++;
          return dispose();
        },
      });
    },
    async inspect(p): Promise<ContextSignature> {
      check(p);
      return { format: 'qnn-node-signature', version: 1, source: p, graphs: GRAPHS };
    },
    async report(): Promise<RuntimeReport> {
      return {
        qnnNode: { version: '9.9.9' },
        platform: { os: 'testos', arch: 'testarch' },
        libraries: [
          { role: 'backend', requested: 'libQnnReference.so', path: '/x/libQnnReference.so', source: 'bundled-reference' },
          { role: 'system', requested: 'libQnnReferenceSystem.so', path: '/x/libQnnReferenceSystem.so', source: 'bundled-reference' },
        ],
        backend: { id: 4242, coreApiVersion: '2.32.0' },
        ...report,
      };
    },
    async exampleBinary() {
      return example;
    },
    async runManifest(p, options) {
      // The real manifest path, with the mock backend standing in for the native one.
      const backend = options.backend.kind === 'mock' ? options.backend : { kind: 'mock' as const, signature: { format: 'qnn-node-signature' as const, version: 1 as const, graphs: GRAPHS } };
      counts.opened++;
      try {
        return await runManifestFile(p, { ...options, backend });
      } finally {
        counts.disposed++;
      }
    },
  };
  return {
    dir,
    example,
    binary,
    file: write,
    runtime,
    counts,
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly io: CapturedIO;
}

/** Runs the CLI in process with the test runtime. */
export async function cli(env: TestEnv, argv: string[], options: { env?: Record<string, string>; isTTY?: boolean } = {}): Promise<CliResult> {
  const io = captureIO({ cwd: env.dir, env: options.env ?? {}, isTTY: options.isTTY });
  const code = await main(argv, io, env.runtime);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText(), io };
}
