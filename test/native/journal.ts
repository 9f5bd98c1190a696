/**
 * The reference backend's call journal (QNN_REFERENCE_JOURNAL): one JSON object per call
 * that carries configurations, so tests assert exactly what reached the backend.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { withEnv } from './helpers.js';

export interface JournalEntry {
  call: string;
  [field: string]: unknown;
}

export class Journal {
  constructor(readonly file: string) {}

  /** Every entry written so far (optionally only one call). */
  entries(call?: string): JournalEntry[] {
    if (!existsSync(this.file)) return [];
    const all = readFileSync(this.file, 'utf8')
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as JournalEntry);
    return call === undefined ? all : all.filter((e) => e.call === call);
  }

  clear(): void {
    rmSync(this.file, { force: true });
  }
}

/** Runs `fn` with the journal on, writing to a fresh file in `dir`. */
export async function withJournal<T>(dir: string, fn: (journal: Journal) => Promise<T> | T): Promise<T> {
  const journal = new Journal(path.join(dir, `journal-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.jsonl`));
  journal.clear();
  return withEnv({ QNN_REFERENCE_JOURNAL: journal.file }, () => fn(journal));
}
