/**
 * Progress for anything that takes more than a moment: a cli-progress bar on a terminal,
 * plain "label: 3/10" lines otherwise (not a TTY, or `CI` set) so logs stay readable.
 * Always on stderr, so stdout carries only the result (a table, JSON or CSV).
 */
import cliProgress from 'cli-progress';
import { isInteractive, type CliIO } from '../io.js';

export interface Progress {
  /** Advances by `n` (default 1) and optionally renames the current step. */
  tick(n?: number, step?: string): void;
  /** Finishes the bar (idempotent). */
  stop(): void;
}

export interface ProgressOptions {
  /** Nothing at all (e.g. `--quiet`). */
  readonly quiet?: boolean;
  /** Plain mode: print at most this many lines between start and end (default 10). */
  readonly plainLines?: number;
}

const SILENT: Progress = { tick() {}, stop() {} };

export function createProgress(io: CliIO, label: string, total: number, options: ProgressOptions = {}): Progress {
  if (options.quiet || total <= 0) return SILENT;
  if (isInteractive(io)) {
    const bar = new cliProgress.SingleBar(
      {
        stream: io.stderr as unknown as NodeJS.WritableStream,
        format: `${label} [{bar}] {value}/{total} {step}`,
        hideCursor: true,
        clearOnComplete: true,
        barsize: 30,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { step: '' });
    let stopped = false;
    return {
      tick(n = 1, step = '') {
        if (!stopped) bar.increment(n, { step });
      },
      stop() {
        if (!stopped) {
          stopped = true;
          bar.stop();
        }
      },
    };
  }
  const every = Math.max(1, Math.ceil(total / (options.plainLines ?? 10)));
  let done = 0;
  let lastPrinted = 0;
  let stopped = false;
  return {
    tick(n = 1, step = '') {
      if (stopped) return;
      done = Math.min(total, done + n);
      if (done - lastPrinted >= every || done === total) {
        lastPrinted = done;
        io.stderr.write(`${label}: ${done}/${total}${step ? ` ${step}` : ''}\n`);
      }
    },
    stop() {
      stopped = true;
    },
  };
}
