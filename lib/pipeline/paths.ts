/**
 * Path confinement: every file a manifest names (context binaries, signatures, assets,
 * an image input's default) must resolve — after following symlinks — inside the
 * pipeline's allowed roots: the manifest's own folder unless the caller passes
 * `allowedRoots`. Paths are resolved once, at load (manifestFiles), and the resolved real
 * path is the one checked and opened, so a symlink swapped in later cannot redirect a read.
 * An image input's default is checked at load and resolved again by each run that uses
 * it, like a path a step computes (the image op): once per use, and that path is opened.
 *
 * Files are read with readRegularFile: opened without blocking and checked on the open
 * descriptor, so a FIFO or device put in the folder cannot hang the event loop and a
 * huge file is refused before it is read.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { QnnNodeError, invalidArg } from '../errors.js';
import { allocationError } from './limits.js';

/**
 * The bytes of a regular file of at most `maxBytes`: FILE_NOT_FOUND when it cannot be
 * opened or is not a regular file (a FIFO, a device, a folder), LIMIT_EXCEEDED when larger.
 * `what` names the file in messages (e.g. "image /x/a.png" or "/assets/tok/path").
 */
export function readRegularFile(path: string, what: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (cause) {
    throw new QnnNodeError('FILE_NOT_FOUND', `Cannot read ${what}: ${(cause as Error).message}`, { cause, details: { path } });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new QnnNodeError('FILE_NOT_FOUND', `Cannot read ${what}: ${path} is not a regular file`, { details: { path } });
    if (st.size > maxBytes) throw allocationError(what, `reading ${path}`, st.size, maxBytes);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The real path of `p`, following symlinks as far as the path exists (the rest is appended as is). */
function realpathAsFarAsExists(p: string): string {
  const tail: string[] = [];
  let head = p;
  for (;;) {
    try {
      const real = realpathSync(head);
      return tail.length ? join(real, ...tail.reverse()) : real;
    } catch {
      const parent = dirname(head);
      if (parent === head) return p;
      tail.push(basename(head));
      head = parent;
    }
  }
}

function inside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

export class PathPolicy {
  /** Real paths of the allowed roots. */
  readonly roots: readonly string[];

  /**
   * @param baseDir what relative manifest paths are relative to
   * @param roots folders files may come from (default: baseDir); checked to exist
   */
  constructor(
    readonly baseDir: string,
    roots?: readonly string[],
  ) {
    if (roots !== undefined && (!Array.isArray(roots) || roots.length === 0)) throw invalidArg('a non-empty array of folder paths', 'options.allowedRoots', roots);
    const list = roots ?? [baseDir];
    this.roots = list.map((r, i) => {
      if (typeof r !== 'string' || r.length === 0) throw invalidArg('a folder path', `options.allowedRoots[${i}]`, r);
      try {
        return realpathSync(resolve(r));
      } catch {
        throw invalidArg('an existing folder', roots === undefined ? 'the manifest folder' : `options.allowedRoots[${i}]`, r);
      }
    });
  }

  /** Whether an absolute path (symlinks followed) lies inside an allowed root. */
  allows(path: string): boolean {
    const real = realpathAsFarAsExists(resolve(path));
    return this.roots.some((r) => inside(real, r));
  }

  /**
   * The real path to open for `p` as named at `pointer` in the manifest (relative to the
   * base folder); PATH_NOT_ALLOWED when it lies outside every allowed root.
   */
  resolve(p: string, pointer: string): string {
    const absolute = isAbsolute(p) ? p : resolve(this.baseDir, p);
    const real = realpathAsFarAsExists(absolute);
    if (!this.roots.some((r) => inside(real, r))) {
      const where = this.roots.length === 1 ? this.roots[0] : `one of ${this.roots.join(', ')}`;
      throw new QnnNodeError(
        'PATH_NOT_ALLOWED',
        `Expected a path inside ${where} for ${pointer} but received ${JSON.stringify(p)}${real !== absolute ? ` (resolves to ${real})` : ''}; pass allowedRoots (CLI: --allow-root) to allow other folders`,
        { details: { pointer, path: p, resolved: real, allowedRoots: [...this.roots] } },
      );
    }
    return real;
  }
}
