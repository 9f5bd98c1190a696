/** File checks shared by the commands, so a missing file fails the same way everywhere. */
import fs from 'node:fs';
import { QnnNodeError } from '../errors.js';

/** Throws FILE_NOT_FOUND unless `file` is an existing regular file. */
export function requireFile(file: string, what = 'file'): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (cause) {
    throw new QnnNodeError('FILE_NOT_FOUND', `${what} not found: ${file}`, { cause, details: { path: file } });
  }
  if (!stat.isFile()) throw new QnnNodeError('FILE_NOT_FOUND', `${what} is not a regular file: ${file}`, { details: { path: file } });
}
