/**
 * The expert escape hatch of the HTP custom configs: `htp: { raw: [{ option, bytes }] }` in
 * backendConfig / deviceConfig / a context's htp / a graph's htp sends an option qnn-node
 * has no name for (e.g. one a newer SDK added) as the option number plus the bytes of the
 * config's union, copied as given into the custom config struct of the reported version's
 * layout (native/addon/RawCustomConfigs.cc). No meaning is checked: only the size against
 * that layout's union, and options whose union carries a pointer are refused. docs/configs.md.
 */
import { QnnNodeError, invalidArg, outOfRange } from '../../errors.js';
import { checkKeys, checkObject, checkUint } from '../option-checks.js';
import type { Family, NativeCustomConfig } from './htp-configs.js';
import { htpApiMinor, requireHtpOption, type ReportedBackend } from './htp-version.js';

export interface RawCustomConfig {
  /** The family's option number (QnnHtpContext_ConfigOption_t, QnnHtpGraph_ConfigOption_t, …). */
  readonly option: number;
  /** The union's bytes, little-endian as the target lays them out; the rest is zero. */
  readonly bytes: Uint8Array;
}

const MAX_RAW = 64;

/** Options whose union holds a pointer or a handle: bytes from JS cannot carry one safely. */
const POINTER_OPTIONS: Readonly<Record<Family, readonly number[]>> = {
  context: [2 /* REGISTER_MULTI_CONTEXTS */, 12 /* REGISTER_CONCURRENT_RESOURCE_SHARING */],
  graph: [7 /* FINALIZE_CONFIG */],
  device: [],
  backend: [],
};

/**
 * Bytes of the family's custom-config union in the reported version's layout (docs/qnn-abi.md);
 * without a version (Qnn.load) the largest any layout has — the native builder checks again.
 */
export function rawUnionBytes(family: Family, reported?: ReportedBackend): number {
  const minor = reported ? htpApiMinor(reported) : undefined;
  switch (family) {
    case 'context':
      return 16; // 24-byte struct, union at 8 (2.25, 2.43)
    case 'graph':
      return minor === undefined ? 48 : minor >= 43 ? 48 : 8; // 56 bytes in 2.43, 16 in 2.25; union at 8
    case 'device':
      return 8; // 12 bytes, union at 4 through 5.43; 16 bytes, union at 8 from 5.44
    case 'backend':
      return 8; // no HTP layout: option, then an 8-byte union at 8
  }
}

export function rawCustomConfigs(family: Family, value: unknown, name: string, reported?: ReportedBackend): NativeCustomConfig[] {
  if (!Array.isArray(value)) throw invalidArg('an array of { option, bytes } raw custom configs', name, value);
  if (value.length > MAX_RAW) throw outOfRange(`at most ${MAX_RAW} raw custom configs`, name, value);
  // Raw bytes only mean something in an HTP 5.x layout.
  if (reported !== undefined) requireHtpOption(`A raw HTP ${family} custom config (${name})`, 'raw', 0, reported);
  const limit = rawUnionBytes(family, reported);
  return value.map((entry: unknown, i) => {
    const where = `${name}[${i}]`;
    const o = checkObject(entry, where, 'an { option, bytes } object');
    checkKeys(o, ['option', 'bytes'], where);
    const option = checkUint(o.option, `${where}.option`);
    if (POINTER_OPTIONS[family].includes(option)) {
      throw new QnnNodeError('UNSUPPORTED_OPTION', `${where}.option ${option} cannot be sent raw: its ${family} config carries a pointer or handle`, {
        details: { option: `raw ${option}` },
      });
    }
    const bytes = o.bytes;
    if (!(bytes instanceof Uint8Array)) throw invalidArg('a Uint8Array', `${where}.bytes`, bytes);
    if (bytes.length === 0 || bytes.length > limit) {
      const layout = reported ? ` in the layout of backend API ${reported.backendApiVersion}` : '';
      throw outOfRange(`1 to ${limit} bytes (the HTP ${family} custom config union${layout})`, `${where}.bytes`, bytes);
    }
    return { option, value: 0, name: `raw option ${option}`, since: 0, raw: new Uint8Array(bytes) };
  });
}
