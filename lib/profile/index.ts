export type { Profile, ProfileEvent, ProfileLevel, ProfileUnit } from './types.js';
export { PROFILE_LEVELS } from './types.js';
export { eventTypeName, eventUnitName } from './event-names.js';
export { toChromeTrace, type ChromeTrace, type ChromeTraceEvent, type ChromeTraceOptions, type TraceTrack } from './chrome-trace.js';
export { summarizeOps, type OpRow, type OpTable } from './op-table.js';
