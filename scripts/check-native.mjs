// Load check run by scripts/install.cjs in a child process: does the addon that the package
// would load here (node-gyp-build: build/Release, then prebuilds/<platform>-<arch>/) load,
// and does the reference backend next to it load through it? Prints one JSON line; exit 0
// when both work. A prebuild made for a newer glibc/libstdc++ (or for glibc on musl) fails
// here, at install time, instead of at run time.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(process.argv[2] ?? '.');
const out = {};
const entry = path.join(root, 'dist', 'backend', 'qnn', 'index.js');
try {
  if (!existsSync(entry)) {
    // A checkout installed from elsewhere than its own folder (a workspace): `prepare`
    // compiles dist/ only after this script, so check the native files directly.
    const require = createRequire(path.join(root, 'package.json'));
    const addon = require(require('node-gyp-build').path(root));
    const dir = path.dirname(require('node-gyp-build').path(root));
    const names = process.platform === 'win32' ? ['QnnReference.dll', 'QnnReferenceSystem.dll'] : process.platform === 'darwin' ? ['libQnnReference.dylib', 'libQnnReferenceSystem.dylib'] : ['libQnnReference.so', 'libQnnReferenceSystem.so'];
    const missing = names.filter((n) => !existsSync(path.join(dir, n)));
    if (typeof addon.Runtime !== 'function' || missing.length > 0) throw new Error(`the reference backend is missing next to the addon: ${missing.join(', ')}`);
    out.backend = path.join(dir, names[0]);
    out.system = path.join(dir, names[1]);
    out.ok = true;
    process.stdout.write(`${JSON.stringify(out)}\n`);
    process.exit(0);
  }
  const { Qnn } = await import(pathToFileURL(entry).href);
  const qnn = await Qnn.load({ backend: 'reference', device: false });
  out.backend = qnn.info.backendPath;
  out.system = qnn.info.systemPath;
  await qnn.dispose();
  out.ok = true;
} catch (e) {
  out.ok = false;
  const first = (x) => String(x?.message ?? x).split('\n')[0];
  // The loader's own reason (e.g. dlopen's "version `GLIBCXX_3.4.32' not found") is the cause.
  out.error = `${e?.code ? `${e.code}: ` : ''}${first(e)}${e?.cause ? ` (${first(e.cause)})` : ''}`;
  out.detail = String(e?.message ?? e);
}
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exitCode = out.ok ? 0 : 1;
