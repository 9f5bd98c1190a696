/**
 * A small fixed-width table formatter (no dependency: the CLI's tables are a handful of
 * rows of short cells). Columns are padded to their widest cell; numeric columns align
 * right.
 */

export type Cell = string | number | bigint | boolean | null | undefined;

export interface Column {
  readonly header: string;
  /** 'right' for numbers; the default is right for columns whose cells are all numbers. */
  readonly align?: 'left' | 'right';
}

export function cellText(cell: Cell): string {
  if (cell === null || cell === undefined) return '';
  return String(cell);
}

/** Formats rows under headers; returns lines joined by "\n" with a trailing newline. */
export function formatTable(columns: readonly (string | Column)[], rows: readonly (readonly Cell[])[]): string {
  const cols: Column[] = columns.map((c) => (typeof c === 'string' ? { header: c } : c));
  const texts = rows.map((row) => cols.map((_, i) => cellText(row[i])));
  const widths = cols.map((c, i) => Math.max(c.header.length, ...texts.map((r) => r[i].length)));
  const aligns = cols.map((c, i) => {
    if (c.align) return c.align;
    const numeric = rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || typeof r[i] === 'bigint' || r[i] === undefined || r[i] === null);
    return numeric ? 'right' : 'left';
  });
  const pad = (s: string, i: number) => (aligns[i] === 'right' ? s.padStart(widths[i]) : s.padEnd(widths[i]));
  const line = (cells: string[]) => cells.map(pad).join('  ').trimEnd();
  const out = [line(cols.map((c) => c.header)), line(widths.map((w) => '-'.repeat(w))), ...texts.map(line)];
  return `${out.join('\n')}\n`;
}

/** A Markdown table (for the README and docs/benchmarks.md). */
export function formatMarkdownTable(columns: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const out = [`| ${columns.map(esc).join(' | ')} |`, `|${columns.map(() => '---').join('|')}|`];
  for (const row of rows) out.push(`| ${columns.map((_, i) => esc(cellText(row[i]))).join(' | ')} |`);
  return `${out.join('\n')}\n`;
}
