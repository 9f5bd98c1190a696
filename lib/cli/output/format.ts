/** Number formatting shared by the commands' tables. */

/** Milliseconds with a precision that suits their size: 0.012, 1.23, 12.3, 1234. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const a = Math.abs(ms);
  if (a >= 1000) return ms.toFixed(0);
  if (a >= 100) return ms.toFixed(1);
  if (a >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

/** Microseconds: 0.41, 3.2, 17, 1234. */
export function formatUs(us: number): string {
  if (!Number.isFinite(us)) return String(us);
  const a = Math.abs(us);
  if (a >= 100) return us.toFixed(0);
  if (a >= 10) return us.toFixed(1);
  return us.toFixed(2);
}

/** Bytes as B / KiB / MiB / GiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${units[u]}`;
}

export function formatDims(dims: readonly number[]): string {
  return `[${dims.join(', ')}]`;
}
