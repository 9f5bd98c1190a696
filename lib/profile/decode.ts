/** The addon's raw profile (numbers) → typed events. */
import type { NativeProfile, NativeProfileEvent } from '../native/AddonTypes.js';
import { eventTypeName, eventUnitName } from './event-names.js';
import type { Profile, ProfileEvent, ProfileLevel } from './types.js';

function decodeEvent(e: NativeProfileEvent): ProfileEvent {
  const typeName = eventTypeName(e.type);
  return Object.freeze({
    name: e.identifier ?? typeName,
    unit: eventUnitName(e.unit),
    value: e.value,
    type: e.type,
    typeName,
    ...(e.identifier !== undefined ? { identifier: e.identifier } : {}),
    ...(e.timestamp !== undefined ? { timestamp: e.timestamp } : {}),
    children: Object.freeze(e.children.map(decodeEvent)),
  });
}

export function decodeProfile(raw: NativeProfile): Profile {
  return Object.freeze({
    level: raw.level as ProfileLevel,
    extended: raw.extended,
    events: Object.freeze(raw.events.map(decodeEvent)),
  });
}
