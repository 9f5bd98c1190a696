/**
 * QNN status codes by component: the ranges QnnCommon.h / QnnSystemCommon.h reserve
 * (mirrors native/qnn/qnn_status_names.h), so an unknown code still says whose it is.
 */
export interface QnnStatusRange {
  readonly min: number;
  readonly max: number;
  readonly component: string;
}

/** Sub-ranges (Saver inside backend, system context inside system) come first. */
const RANGES: readonly QnnStatusRange[] = [
  { min: 1000, max: 1999, component: 'common' },
  { min: 2000, max: 2999, component: 'property' },
  { min: 3000, max: 3999, component: 'op package' },
  { min: 4950, max: 4998, component: 'backend (Saver)' },
  { min: 4000, max: 4999, component: 'backend' },
  { min: 5000, max: 5999, component: 'context' },
  { min: 6000, max: 6999, component: 'graph' },
  { min: 7000, max: 7999, component: 'tensor' },
  { min: 8000, max: 8999, component: 'memory' },
  { min: 9000, max: 9999, component: 'signal' },
  { min: 10000, max: 10999, component: 'error' },
  { min: 11000, max: 11999, component: 'log' },
  { min: 12000, max: 12999, component: 'profile' },
  { min: 13000, max: 13999, component: 'performance infrastructure' },
  { min: 14000, max: 14999, component: 'device' },
  { min: 15000, max: 15999, component: 'global config' },
  { min: 30000, max: 30999, component: 'system context' },
  { min: 30000, max: 49999, component: 'system' },
  { min: 60000, max: 60999, component: 'interface' },
];

/** The most specific range holding `code` (the low 16 bits of a status), if any. */
export function qnnStatusRange(code: number): QnnStatusRange | undefined {
  const c = code & 0xffff;
  return RANGES.find((r) => c >= r.min && c <= r.max);
}

/** "QNN_GRAPH_ERROR_INVALID_NAME (6003)", or for an unknown name "unknown status 4960 (in the QNN backend (Saver) range 4950-4998)". */
export function describeQnnStatus(code: number, name?: string): string {
  const c = code & 0xffff;
  if (name && name !== 'QNN_UNKNOWN_ERROR') return `${name} (${c})`;
  const range = qnnStatusRange(c);
  return `unknown status ${c} (in ${range ? `the QNN ${range.component} range ${range.min}-${range.max}` : 'no range the QNN headers reserve'})`;
}
