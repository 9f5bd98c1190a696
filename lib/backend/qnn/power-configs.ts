/**
 * Raw HTP power configs for experts (`qnn.setPowerConfig([...])`): checked field by field
 * against what the reported backend API version has, then encoded as the words of
 * QnnHtpPerfInfrastructure_PowerConfig_t (68 bytes in every release: the option, then
 * the union's sixteen 4-byte words) for native/addon/PowerVotes.cc. docs/power.md.
 */
import { invalidArg, outOfRange } from '../../errors.js';
import { checkBool as bool, checkKeys, checkUint as uint, isPlainObject } from '../option-checks.js';
import { htpApiMinor, requireHtpOption, type ReportedBackend } from './htp-version.js';

export type VoltageCorner =
  | 'disable' | 'min' | 'svs2' | 'svs' | 'svs_plus' | 'nom' | 'nom_plus'
  | 'turbo' | 'turbo_plus' | 'turbo_l2' | 'turbo_l3' | 'turbo_l4' | 'turbo_l5' | 'max';
export type HmxVoltageCorner =
  | 'disable' | 'min' | 'low_svs_d2' | 'low_svs_d1' | 'low_svs' | 'low_svs_l0' | 'svs' | 'svs_l0' | 'svs_l1'
  | 'svs_l2' | 'nom' | 'nom_l1' | 'nom_l2' | 'turbo' | 'turbo_l1' | 'turbo_l2' | 'turbo_l3' | 'max';
export type PowerMode = 'adjust_up_down' | 'adjust_only_up' | 'power_saver' | 'power_saver_aggressive' | 'performance' | 'duty_cycle';

export interface CornerRange<C extends string> {
  readonly min: C;
  readonly target: C;
  readonly max: C;
}

/** DCVS v3. A group left out is not voted (its set* flag is 0). */
export interface DcvsV3Config {
  /** With powerMode (both or neither): take part in DCVS or not. */
  readonly dcvsEnable?: boolean;
  readonly powerMode?: PowerMode;
  /** 10–65535 µs. */
  readonly sleepLatencyUs?: number;
  readonly sleepDisable?: boolean;
  readonly bus?: CornerRange<VoltageCorner>;
  readonly core?: CornerRange<VoltageCorner>;
}

/** HMX V2 voting (backend API 5.25+; only some chips). */
export interface HmxV2Config {
  readonly pickDefault?: boolean;
  readonly corner?: CornerRange<HmxVoltageCorner>;
  readonly perfMode?: 'high' | 'low';
}

/** One power config: an object with exactly one of these keys. */
export type PowerConfig =
  | { readonly dcvsV3: DcvsV3Config }
  | { readonly rpcControlLatencyUs: number }
  | { readonly rpcPollingTimeUs: number }
  | { readonly hmxTimeoutIntervalUs: number }
  | { readonly hmxV2: HmxV2Config }
  | { readonly adaptivePollingTimeUs: number }
  | { readonly ddrPerfMode: boolean };

/** Where raw configs go (default device 0, core 0 — where the profiles vote). */
export interface PowerTarget {
  readonly deviceId?: number;
  readonly coreId?: number;
}

interface OptionInfo {
  readonly option: number;
  /** The HTP API minor (backend API 5.x) from which the option exists (measured from SDK headers). */
  readonly sinceMinor: number;
  readonly qnnName: string;
}

const OPTIONS: Record<string, OptionInfo> = {
  dcvsV3: { option: 1, sinceMinor: 0, qnnName: 'DCVS_V3' },
  rpcControlLatencyUs: { option: 2, sinceMinor: 0, qnnName: 'RPC_CONTROL_LATENCY' },
  rpcPollingTimeUs: { option: 3, sinceMinor: 0, qnnName: 'RPC_POLLING_TIME' },
  hmxTimeoutIntervalUs: { option: 4, sinceMinor: 0, qnnName: 'HMX_TIMEOUT_INTERVAL_US' },
  hmxV2: { option: 5, sinceMinor: 25, qnnName: 'HMX_V2' },
  adaptivePollingTimeUs: { option: 6, sinceMinor: 43, qnnName: 'ADAPTIVE_POLLING_TIME' },
  ddrPerfMode: { option: 7, sinceMinor: 43, qnnName: 'DDR_PERF_MODE' },
};

/** [value, since minor]: ascending, so corner order is value order. */
const CORNERS: Record<VoltageCorner, readonly [number, number]> = {
  disable: [0x10, 0], min: [0x20, 0], svs2: [0x30, 0], svs: [0x40, 0], svs_plus: [0x50, 0], nom: [0x60, 0],
  nom_plus: [0x70, 0], turbo: [0x80, 0], turbo_plus: [0x90, 0], turbo_l2: [0x92, 0], turbo_l3: [0x93, 0],
  turbo_l4: [0x94, 43], turbo_l5: [0x95, 43], max: [0xa0, 0],
};
const HMX_CORNERS: Record<HmxVoltageCorner, readonly [number, number]> = {
  disable: [0, 25], min: [0x100, 25], low_svs_d2: [0x134, 25], low_svs_d1: [0x138, 25], low_svs: [0x140, 25],
  low_svs_l0: [0x14c, 43], svs: [0x180, 25], svs_l0: [0x190, 43], svs_l1: [0x1c0, 25], svs_l2: [0x1e0, 43],
  nom: [0x200, 25], nom_l1: [0x240, 25], nom_l2: [0x250, 43], turbo: [0x280, 25], turbo_l1: [0x2a0, 25],
  turbo_l2: [0x2b0, 25], turbo_l3: [0x2c0, 25], max: [0xffff, 25],
};
const POWER_MODES: Record<PowerMode, number> = {
  adjust_up_down: 0x1, adjust_only_up: 0x2, power_saver: 0x4, power_saver_aggressive: 0x8, performance: 0x10, duty_cycle: 0x20,
};
const WORDS = 17;
const MAX_CONFIGS = 64;
const MAX_RPC_POLLING_US = 9999;

/** The raw config keys the reported backend takes (none when it is not HTP 5.x). */
export function powerOptionsFor(reported: ReportedBackend): string[] {
  const minor = htpApiMinor(reported) ?? -1;
  return Object.entries(OPTIONS)
    .filter(([, info]) => minor >= info.sinceMinor)
    .map(([key]) => key);
}

/** min/target/max as enum values, in order (min ≤ target ≤ max), all 'disable' or none. */
function cornerRange<C extends string>(
  value: unknown,
  name: string,
  table: Record<C, readonly [number, number]>,
  reported: ReportedBackend,
  disable: C,
): [number, number, number] {
  if (!isPlainObject(value)) throw invalidArg('an object { min, target, max }', name, value);
  checkKeys(value, ['min', 'target', 'max'], name);
  const names = Object.keys(table).join(', ');
  const out = (['min', 'target', 'max'] as const).map((k) => {
    const v = value[k];
    if (typeof v !== 'string' || !Object.prototype.hasOwnProperty.call(table, v)) throw invalidArg(`one of ${names}`, `${name}.${k}`, v);
    const [code, since] = table[v as C];
    requireHtpOption(`The voltage corner ${JSON.stringify(v)} (${name}.${k})`, String(v), since, reported, { field: `${name}.${k}` });
    return code;
  }) as [number, number, number];
  const disabled = (['min', 'target', 'max'] as const).filter((k) => value[k] === disable).length;
  if (disabled !== 0 && disabled !== 3) {
    throw outOfRange(`all three corners ${JSON.stringify(disable)} or none`, name, `${value.min}/${value.target}/${value.max}`);
  }
  if (!(out[0] <= out[1] && out[1] <= out[2])) {
    throw outOfRange('corners ordered min <= target <= max', name, `${value.min}/${value.target}/${value.max}`);
  }
  return out;
}

function encodeDcvs(value: unknown, name: string, reported: ReportedBackend, words: Uint32Array): void {
  if (!isPlainObject(value)) throw invalidArg('a DCVS v3 object', name, value);
  checkKeys(value, ['dcvsEnable', 'powerMode', 'sleepLatencyUs', 'sleepDisable', 'bus', 'core'], name);
  // words[0] is contextId: the native side writes the power config id there.
  if ((value.dcvsEnable === undefined) !== (value.powerMode === undefined)) {
    const missing = value.dcvsEnable === undefined ? 'dcvsEnable' : 'powerMode';
    throw invalidArg('dcvsEnable and powerMode together (or neither)', `${name}.${missing}`, value[missing]);
  }
  if (value.dcvsEnable !== undefined) {
    words[1] = 1;
    words[2] = bool(value.dcvsEnable, `${name}.dcvsEnable`) ? 1 : 0;
    const mode = value.powerMode;
    if (typeof mode !== 'string' || !Object.prototype.hasOwnProperty.call(POWER_MODES, mode)) {
      throw invalidArg(`one of ${Object.keys(POWER_MODES).join(', ')}`, `${name}.powerMode`, mode);
    }
    words[3] = POWER_MODES[mode as PowerMode];
  }
  if (value.sleepLatencyUs !== undefined) {
    words[4] = 1;
    words[5] = uint(value.sleepLatencyUs, `${name}.sleepLatencyUs`, 10, 65535);
  }
  if (value.sleepDisable !== undefined) {
    words[6] = 1;
    words[7] = bool(value.sleepDisable, `${name}.sleepDisable`) ? 1 : 0;
  }
  for (const [key, at] of [['bus', 8], ['core', 12]] as const) {
    if (value[key] === undefined) continue;
    words[at] = 1;
    words.set(cornerRange(value[key], `${name}.${key}`, CORNERS, reported, 'disable'), at + 1);
  }
}

function encodeHmxV2(value: unknown, name: string, reported: ReportedBackend, words: Uint32Array): void {
  if (!isPlainObject(value)) throw invalidArg('an HMX V2 object', name, value);
  checkKeys(value, ['pickDefault', 'corner', 'perfMode'], name);
  words[0] = value.pickDefault === undefined ? 0 : bool(value.pickDefault, `${name}.pickDefault`) ? 1 : 0;
  if (value.corner !== undefined) words.set(cornerRange(value.corner, `${name}.corner`, HMX_CORNERS, reported, 'disable'), 1);
  if (value.perfMode !== undefined && value.perfMode !== 'high' && value.perfMode !== 'low') {
    throw invalidArg("'high' or 'low'", `${name}.perfMode`, value.perfMode);
  }
  words[4] = value.perfMode === 'low' ? 1 : 0;
}

/**
 * Checks `configs` for the reported backend API version and encodes them (17 words per
 * config). Errors name the offending field: ERR_INVALID_ARG / ERR_OUT_OF_RANGE, and
 * UNSUPPORTED_OPTION for an option or corner the reported backend lacks (htp-version.ts).
 */
export function encodePowerConfigs(configs: unknown, reported: ReportedBackend, name = 'configs'): Uint32Array {
  if (!Array.isArray(configs)) throw invalidArg('an array of power configs', name, configs);
  if (configs.length === 0 || configs.length > MAX_CONFIGS) throw outOfRange(`1 to ${MAX_CONFIGS} power configs`, name, configs);
  const out = new Uint32Array(configs.length * WORDS);
  configs.forEach((config: unknown, i) => {
    const where = `${name}[${i}]`;
    if (!isPlainObject(config)) throw invalidArg('a power config object', where, config);
    const keys = Object.keys(config);
    if (keys.length !== 1 || !Object.prototype.hasOwnProperty.call(OPTIONS, keys[0])) {
      throw invalidArg(`an object with exactly one of ${Object.keys(OPTIONS).join(', ')}`, where, config);
    }
    const key = keys[0];
    const info = OPTIONS[key];
    requireHtpOption(`The power config option ${key} (${info.qnnName})`, info.qnnName, info.sinceMinor, reported, { field: where });
    const words = out.subarray(i * WORDS + 1, (i + 1) * WORDS);
    out[i * WORDS] = info.option;
    const value = config[key];
    const field = `${where}.${key}`;
    switch (key) {
      case 'dcvsV3':
        encodeDcvs(value, field, reported, words);
        break;
      case 'hmxV2':
        encodeHmxV2(value, field, reported, words);
        break;
      case 'rpcPollingTimeUs':
        words[0] = uint(value, field, 0, MAX_RPC_POLLING_US);
        break;
      case 'ddrPerfMode':
        words[0] = bool(value, field) ? 1 : 0;
        break;
      default:
        words[0] = uint(value, field);
    }
  });
  return out;
}
