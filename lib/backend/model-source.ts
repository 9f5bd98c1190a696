/**
 * What every backend's composeModel and loadModel agree on about a model source: its
 * format (explicit, else by extension: `.dlc` is a DLC, anything else a model library).
 */
import { invalidArg } from '../errors.js';
import type { ModelFormat } from './types.js';

export const MODEL_FORMATS: readonly ModelFormat[] = ['dlc', 'library'];

/** The format of `source`: `format` when given (checked), else `.dlc` → 'dlc', else 'library'. */
export function modelFormatOf(source: string, format: unknown, name = 'options.format'): ModelFormat {
  if (format !== undefined) {
    if (!MODEL_FORMATS.includes(format as ModelFormat)) throw invalidArg(`one of ${MODEL_FORMATS.map((f) => `'${f}'`).join(', ')}`, name, format);
    return format as ModelFormat;
  }
  return source.toLowerCase().endsWith('.dlc') ? 'dlc' : 'library';
}

/** Whether a path names a model rather than a context binary (.dlc, .so, .dll, .dylib). */
export function isModelPath(file: string): boolean {
  return /\.(dlc|so|dll|dylib)$/i.test(file) || /\.so\.\d+(\.\d+)*$/i.test(file);
}
