/** RFC 4180 CSV: fields with a comma, quote or line break are quoted, quotes doubled. */
import { cellText, type Cell } from './table.js';

export function csvField(cell: Cell): string {
  const s = cellText(cell);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}
