/**
 * Conformance: the project's own QNN declarations (native/qnn/) against the real headers
 * of the SDK in $QNN_SDK_ROOT.
 *
 * test/conformance/abi/layout_dump.cc is compiled twice — against native/qnn/ and, with
 * QNN_NODE_USE_SDK_HEADERS, against $QNN_SDK_ROOT/include/QNN — and the printed sizes,
 * field offsets, function-table slots and enumerator values are compared:
 *
 * - a field, slot or enumerator both sides declare must have the same offset/index/value;
 * - types whose layout never changed across releases must have the same size;
 * - types that grew between releases (the provider structs and their tables,
 *   Qnn_Tensor_t, QnnSystemContext_GraphInfo_t) may be larger in the project (it declares
 *   the newest layout it knows) but never smaller, and the SDK's size must be one of the
 *   strides docs/qnn-abi.md lists, so the runtime's version logic knows it;
 * - the functions the addon calls have the same C++ type (parameters and return), compared
 *   as demangled typeid names;
 * - core-table slots are compared only from core API 2.9 on (before that the table had a
 *   different order, which the runtime must refuse rather than call).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cxxCompiler, headerText, REPO_ROOT, SDK_INCLUDE_DIR, SDK_ROOT, sdkHeaderCoreVersion } from './helpers.js';

interface Dump {
  sizes: Map<string, number>;
  /** offset and member size, or null when that side does not declare the field */
  offsets: Map<string, [number, number] | null>;
  slots: Map<string, number | null>;
  tables: Map<string, { offset: number; slots: number }>;
  enums: Map<string, bigint>;
  versions: Map<string, [number, number]>;
  functions: Map<string, string>;
}

function parseDump(text: string): Dump {
  const d: Dump = {
    sizes: new Map(),
    offsets: new Map(),
    slots: new Map(),
    tables: new Map(),
    enums: new Map(),
    versions: new Map(),
    functions: new Map(),
  };
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    switch (f[0]) {
      case 'size':
        d.sizes.set(f[1], Number(f[2]));
        break;
      case 'off':
        d.offsets.set(f[1], f[2] === 'ABSENT' ? null : [Number(f[2]), Number(f[3])]);
        break;
      case 'slot':
        d.slots.set(`${f[1]}.${f[2]}`, f[3] === 'ABSENT' ? null : Number(f[3]));
        break;
      case 'tbl':
        d.tables.set(f[1], { offset: Number(f[2]), slots: Number(f[3]) });
        break;
      case 'enum':
        d.enums.set(f[1], BigInt(f[2]));
        break;
      case 'fn':
        d.functions.set(`${f[1]}.${f[2]}`, f.slice(3).join(' '));
        break;
      case 'ver':
        d.versions.set(f[1], [Number(f[2]), Number(f[3])]);
        break;
      default:
        break;
    }
  }
  return d;
}

/** Types whose size is the same in every SDK release (docs/qnn-abi.md). */
const STABLE_SIZES = [
  'Qnn_Version_t',
  'Qnn_ApiVersion_t',
  'Qnn_ScaleOffset_t',
  'Qnn_QuantizeParams_t',
  'Qnn_ClientBuffer_t',
  'Qnn_TensorV1_t',
  'QnnSystemContext_GraphInfoV1_t',
  'QnnSystemContext_BinaryInfo_t',
  'QnnHtpPerfInfrastructure_DcvsV3_t',
  'QnnHtpPerfInfrastructure_PowerConfig_t',
  'QnnHtpDevice_PerfInfrastructure_t',
  'QnnHtpDevice_Infrastructure_t',
  'QnnContext_Config_t',
  'QnnBackend_Config_t',
  'QnnDevice_Config_t',
  'QnnBackend_OperationName_t',
  'QnnHtpContext_CustomConfig_t',
  'QnnHtpContext_GroupRegistration_t',
  'QnnHtpGraph_OptimizationOption_t',
  'QnnProfile_EventData_t',
  'QnnProfile_ExtendedEventData_t',
  'QnnProfile_Config_t',
  'Qnn_MemShape_t',
  'Qnn_MemIonInfo_t',
  'Qnn_MemDmaBufInfo_t',
  'Qnn_MemDescriptor_t',
  'QnnHtpMem_SharedBufferConfig_t',
  'QnnMemHtp_Descriptor_t',
];

/** Types that grew between releases, with every size a release has had. */
const GROWING_SIZES: Record<string, number[] | undefined> = {
  QnnInterface_t: undefined, // 40 + 8 × slots
  QnnSystemInterface_t: undefined, // 32 + 8 × slots
  Qnn_Tensor_t: [120, 144],
  QnnSystemContext_GraphInfo_t: [48, 64, 88],
  QnnHtpGraph_CustomConfig_t: [16, 56], // SDK 2.25, 2.43
  QnnHtpDevice_CustomConfig_t: [12, 16], // through SDK 2.43, from 2.44
};

/** native/qnn/qnn_status_names.h: the code → name table error messages use (plain numbers). */
const STATUS_TABLE: [number, string][] = (() => {
  try {
    const text = readFileSync(join(REPO_ROOT, 'native', 'qnn', 'qnn_status_names.h'), 'utf8');
    return [...text.matchAll(/\{\s*(\d+)u?\s*,\s*"(QNN_[A-Z0-9_]+)"\s*\}/g)].map((m) => [Number(m[1]), m[2]] as [number, string]);
  } catch {
    return [];
  }
})();

const headerVersion = SDK_ROOT ? sdkHeaderCoreVersion() : undefined;
// Building against SDK headers needs core API 2.11+ headers (QnnError.h, the error-message
// slots); older SDKs are still run by the library tests, just not compiled against.
const headersUsable = headerVersion !== undefined && (headerVersion[0] > 2 || headerVersion[1] >= 11);
const cxx = headersUsable ? cxxCompiler() : undefined;

describe.skipIf(!SDK_ROOT || !headersUsable)('conformance: QNN declarations vs the SDK headers in QNN_SDK_ROOT', () => {
  let work = '';
  let project: Dump;
  let sdk: Dump;

  beforeAll(() => {
    if (!cxx) return;
    work = mkdtempSync(join(tmpdir(), 'qnn-node-abi-'));
    // Enumerators and numeric #defines the project declares, restricted to the names the
    // SDK also declares (older SDKs lack newer names).
    const ours = headerText(join(REPO_ROOT, 'native', 'qnn'));
    const theirs = headerText(SDK_INCLUDE_DIR!);
    const names = new Set<string>();
    for (const m of ours.matchAll(/^\s+(QNN_[A-Z0-9_]+)\s*(?:=|,)/gm)) names.add(m[1]);
    for (const m of ours.matchAll(/^#define\s+(QNN_[A-Z0-9_]+)\s+[-(0-9]/gm)) names.add(m[1]);
    for (const [, name] of STATUS_TABLE) names.add(name);
    const skip = /^(QNN_API_VERSION_|QNN_SYSTEM_API_VERSION_|QNN_HTP_API_VERSION_|QNN_NODE_)/;
    let enumNames = [...names].filter((n) => !skip.test(n) && new RegExp(`\\b${n}\\b`).test(theirs)).sort();
    const writeEnums = (file: string, list: string[]) =>
      writeFileSync(file, `${list.map((n) => `  std::printf("enum ${n} %lld\\n", (long long)(${n}));`).join('\n')}\n`);

    const src = join(REPO_ROOT, 'test', 'conformance', 'abi', 'layout_dump.cc');
    const build = (out: string, enumsFile: string, extra: string[]) => {
      execFileSync(
        cxx,
        ['-std=c++20', '-o', out, `-I${join(REPO_ROOT, 'native')}`, `-DQN_ENUMS_FILE="${enumsFile}"`, ...extra, src],
        { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
      );
      return parseDump(execFileSync(out, { encoding: 'utf8' }));
    };
    const projectEnums = join(work, 'enums-project.inc');
    writeEnums(projectEnums, enumNames);
    project = build(join(work, 'project'), projectEnums, []);

    // A name the SDK declares only in a header qnn_api.h does not include is dropped (and
    // reported) rather than failing the comparison.
    const sdkEnums = join(work, 'enums-sdk.inc');
    for (let attempt = 0; ; attempt++) {
      writeEnums(sdkEnums, enumNames);
      try {
        sdk = build(join(work, 'sdk'), sdkEnums, ['-DQNN_NODE_USE_SDK_HEADERS', `-I${SDK_INCLUDE_DIR}`]);
        break;
      } catch (e) {
        const stderr = String((e as { stderr?: unknown }).stderr ?? '');
        const missing = new Set(
          [...stderr.matchAll(/[‘'](QNN_[A-Z0-9_]+)[’'] was not declared|undeclared identifier '(QNN_[A-Z0-9_]+)'/g)].map((m) => m[1] ?? m[2]),
        );
        if (attempt >= 3 || missing.size === 0) throw e;
        console.info(`not declared by the headers qnn_api.h includes (skipped): ${[...missing].join(', ')}`);
        enumNames = enumNames.filter((n) => !missing.has(n));
      }
    }
  }, 120_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it.skipIf(!cxx)('every field both declare sits at the same offset with the same size', () => {
    const mismatches: string[] = [];
    for (const [field, theirs] of sdk.offsets) {
      const ours = project.offsets.get(field);
      if (!theirs || !ours) continue;
      if (ours[0] !== theirs[0] || ours[1] !== theirs[1]) {
        mismatches.push(`${field}: SDK offset ${theirs[0]} size ${theirs[1]}, project offset ${ours[0]} size ${ours[1]}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it.skipIf(!cxx)('fields the addon reads exist on both sides', () => {
    const required = [
      'Qnn_Tensor_t.v1.id',
      'Qnn_Tensor_t.v1.name',
      'Qnn_Tensor_t.v1.dataType',
      'Qnn_Tensor_t.v1.quantizeParams',
      'Qnn_Tensor_t.v1.dimensions',
      'Qnn_Tensor_t.v1.clientBuf',
      'QnnSystemContext_GraphInfo_t.graphInfoV1.graphName',
      'QnnSystemContext_BinaryInfo_t.contextBinaryInfoV1.graphs',
      'Qnn_Tensor_t.v1.memType',
      'Qnn_Tensor_t.v1.memHandle',
      'Qnn_MemDescriptor_t.memShape',
      'Qnn_MemDescriptor_t.dataType',
      'Qnn_MemDescriptor_t.memType',
      'Qnn_MemDescriptor_t.ionInfo.fd',
      'Qnn_MemDescriptor_t.customInfo',
      'QnnMemHtp_Descriptor_t.type',
      'QnnMemHtp_Descriptor_t.size',
      'QnnMemHtp_Descriptor_t.sharedBufferConfig',
      'QnnHtpMem_SharedBufferConfig_t.fd',
      'QnnHtpMem_SharedBufferConfig_t.offset',
    ];
    for (const f of required) {
      expect(sdk.offsets.get(f), `SDK ${f}`).toBeTruthy();
      expect(project.offsets.get(f), `project ${f}`).toBeTruthy();
    }
  });

  it.skipIf(!cxx)('stable types have the same size', () => {
    for (const t of STABLE_SIZES) expect(sdk.sizes.get(t), `SDK size of ${t}`).toBeGreaterThan(0);
    const mismatches = STABLE_SIZES.filter((t) => sdk.sizes.get(t) !== project.sizes.get(t)).map(
      (t) => `${t}: SDK ${sdk.sizes.get(t)}, project ${project.sizes.get(t)}`,
    );
    expect(mismatches).toEqual([]);
  });

  it.skipIf(!cxx)('grown types are never smaller in the project, and the SDK size is a known stride', () => {
    for (const [type, known] of Object.entries(GROWING_SIZES)) {
      const theirs = sdk.sizes.get(type)!;
      const ours = project.sizes.get(type)!;
      expect(ours, type).toBeGreaterThanOrEqual(theirs);
      if (known) expect(known, `${type} size ${theirs} is not a stride the runtime knows`).toContain(theirs);
    }
  });

  it.skipIf(!cxx)('function tables start at the same offset; slots both declare have the same index', () => {
    for (const t of ['core', 'system']) {
      expect(project.tables.get(t)!.offset, `${t} table offset`).toBe(sdk.tables.get(t)!.offset);
    }
    const [, coreMinor] = sdk.versions.get('core')!;
    const mismatches: string[] = [];
    for (const [slot, theirs] of sdk.slots) {
      if (theirs === null) continue;
      if (slot.startsWith('core.') && coreMinor < 9) continue; // pre-2.9 order: must be refused, not mapped
      const ours = project.slots.get(slot);
      const table = slot.split('.')[0];
      if (ours === null || ours === undefined) {
        // An SDK newer than the project's declarations may append slots past the end.
        if (theirs < project.tables.get(table)!.slots) mismatches.push(`${slot}: SDK slot ${theirs}, project has none`);
      } else if (ours !== theirs) {
        mismatches.push(`${slot}: SDK slot ${theirs}, project slot ${ours}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it.skipIf(!cxx)('the functions the addon calls have the same parameter and return types', () => {
    expect(sdk.functions.size).toBeGreaterThan(10);
    const mismatches: string[] = [];
    for (const [fn, theirs] of sdk.functions) {
      const ours = project.functions.get(fn);
      if (ours !== theirs) mismatches.push(`${fn}: SDK ${theirs} | project ${ours}`);
    }
    expect(mismatches).toEqual([]);
  });

  it.skipIf(!cxx)('enumerators and status codes have the SDK values', () => {
    expect(sdk.enums.size).toBeGreaterThan(50);
    const mismatches: string[] = [];
    for (const [name, theirs] of sdk.enums) {
      const ours = project.enums.get(name);
      if (ours !== theirs) mismatches.push(`${name}: SDK ${theirs}, project ${ours}`);
    }
    expect(mismatches).toEqual([]);
  });

  it.skipIf(!cxx || STATUS_TABLE.length === 0)('the status-name table (qnn_status_names.h) gives each name the SDK\'s value', () => {
    const mismatches: string[] = [];
    let checked = 0;
    for (const [code, name] of STATUS_TABLE) {
      const theirs = sdk.enums.get(name);
      if (theirs === undefined) continue; // a name this SDK does not declare
      checked++;
      if (theirs !== BigInt(code)) mismatches.push(`${name}: SDK ${theirs}, table ${code}`);
    }
    expect(checked).toBeGreaterThan(20);
    expect(mismatches).toEqual([]);
  });

  it.skipIf(!cxx)('the project declares an API version at least as new as the SDK headers', () => {
    const [sMaj, sMin] = sdk.versions.get('core')!;
    const [pMaj, pMin] = project.versions.get('core')!;
    // Informational: a newer SDK is fine (its extra slots are appended), but worth seeing.
    console.info(`core API: SDK headers ${sMaj}.${sMin}, project declarations ${pMaj}.${pMin}`);
    expect(pMaj).toBe(sMaj);
  });
});
