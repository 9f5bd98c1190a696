/** Checks a Chrome trace against the JSON format Perfetto imports (used by the profile and CLI tests). */
/**
 * The JSON object form of the trace event format as Perfetto's importer reads it: a
 * `traceEvents` array; every event has a string name and `ph`, integer pid/tid; complete
 * events ('X') a numeric ts and a non-negative dur (µs); instant events ('i') a ts and a
 * scope s ∈ {g, p, t}; metadata events ('M') process_name / thread_name with args.name.
 */
export function traceShapeErrors(trace: unknown): string[] {
  const errors: string[] = [];
  if (typeof trace !== 'object' || trace === null || Array.isArray(trace)) return ['not a JSON object'];
  const t = trace as Record<string, unknown>;
  if (!Array.isArray(t.traceEvents)) return ['traceEvents is not an array'];
  if (t.displayTimeUnit !== undefined && t.displayTimeUnit !== 'ms' && t.displayTimeUnit !== 'ns') errors.push('displayTimeUnit');
  t.traceEvents.forEach((raw, i) => {
    const e = raw as Record<string, unknown>;
    const where = `traceEvents[${i}]`;
    if (typeof e.name !== 'string') errors.push(`${where}.name`);
    if (!Number.isInteger(e.pid) || !Number.isInteger(e.tid)) errors.push(`${where} pid/tid`);
    if (e.args !== undefined && (typeof e.args !== 'object' || e.args === null)) errors.push(`${where}.args`);
    switch (e.ph) {
      case 'X':
        if (typeof e.ts !== 'number' || !Number.isFinite(e.ts)) errors.push(`${where}.ts`);
        if (typeof e.dur !== 'number' || !(e.dur >= 0)) errors.push(`${where}.dur`);
        break;
      case 'i':
        if (typeof e.ts !== 'number') errors.push(`${where}.ts`);
        if (!['g', 'p', 't'].includes(e.s as string)) errors.push(`${where}.s`);
        break;
      case 'M':
        if (!['process_name', 'thread_name', 'process_sort_index', 'thread_sort_index'].includes(e.name as string)) errors.push(`${where} metadata name`);
        if (typeof (e.args as { name?: unknown } | undefined)?.name !== 'string' && !String(e.name).endsWith('sort_index')) errors.push(`${where}.args.name`);
        break;
      default:
        errors.push(`${where}.ph ${String(e.ph)}`);
    }
  });
  return errors;
}

