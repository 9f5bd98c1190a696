/** Typed QNN profiling events (docs/profiling.md). */

/** QNN's profiling levels: 'optrace' is 'detailed' plus HTP's op trace (core API 2.18+). */
export type ProfileLevel = 'basic' | 'detailed' | 'optrace';
export const PROFILE_LEVELS: readonly ProfileLevel[] = ['basic', 'detailed', 'optrace'];

/** QNN_PROFILE_EVENTUNIT_*; 'unknown' for a code qnn-node does not know. */
export type ProfileUnit = 'us' | 'bytes' | 'cycles' | 'count' | 'object' | 'none' | 'backend' | 'unknown';

export interface ProfileEvent {
  /** The backend's identifier when it gave one, else the event type's name. */
  readonly name: string;
  readonly unit: ProfileUnit;
  /** In `unit` (microseconds for 'us'). */
  readonly value: number;
  /** QNN_PROFILE_EVENTTYPE_* or a backend's own code (HTP: 1002…). */
  readonly type: number;
  /** The type's name, e.g. 'execute', 'node', 'htp.accel_execute_time'; 'type <n>' when unknown. */
  readonly typeName: string;
  readonly identifier?: string;
  /** Extended event data only: the backend's timestamp (the reference backend: µs of a monotonic clock). */
  readonly timestamp?: number;
  readonly children: readonly ProfileEvent[];
}

/** The events of one profiled load or run. */
export interface Profile {
  readonly level: ProfileLevel;
  /** Read with profileGetExtendedEventData (timestamps present). */
  readonly extended: boolean;
  /** true for the mock backend: events built from JS timings of what it simulated, not from QNN. */
  readonly synthetic?: boolean;
  readonly events: readonly ProfileEvent[];
}
