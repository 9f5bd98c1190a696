/** QNN status codes by component (lib/backend/qnn/status.ts, native/qnn/qnn_status_names.h). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fromNative } from '../../lib/backend/qnn/errors.js';
import { describeQnnStatus, qnnStatusRange } from '../../lib/backend/qnn/status.js';
import { QnnStatusError } from '../../lib/errors.js';

const header = readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'qnn', 'qnn_status_names.h'), 'utf8');

describe('QNN status ranges', () => {
  it('an unknown code names its number and its component range', () => {
    expect(describeQnnStatus(4960)).toBe('unknown status 4960 (in the QNN backend (Saver) range 4950-4998)');
    expect(describeQnnStatus(4013)).toBe('unknown status 4013 (in the QNN backend range 4000-4999)');
    expect(describeQnnStatus(14099)).toBe('unknown status 14099 (in the QNN device range 14000-14999)');
    expect(describeQnnStatus(31000)).toBe('unknown status 31000 (in the QNN system range 30000-49999)');
    expect(describeQnnStatus(20001)).toBe('unknown status 20001 (in no range the QNN headers reserve)');
    expect(describeQnnStatus(6003, 'QNN_GRAPH_ERROR_INVALID_NAME')).toBe('QNN_GRAPH_ERROR_INVALID_NAME (6003)');
    // The full error handle: the code is its low 16 bits.
    expect(qnnStatusRange(Number((7n << 32n) | 5005n) & 0xffff)?.component).toBe('context');
  });

  it('the TS ranges are the native table\'s', () => {
    const native = [...header.matchAll(/\{\s*(\d+)u\s*,\s*(\d+)u\s*,\s*"([^"]+)"\s*\}/g)].map((m) => ({ min: Number(m[1]), max: Number(m[2]), component: m[3] }));
    expect(native.length).toBeGreaterThan(10);
    for (const r of native) {
      // Each range's bounds resolve to it, unless a more specific range listed first covers them.
      for (const code of [r.min, r.max]) {
        const first = native.find((n) => code >= n.min && code <= n.max)!;
        expect(qnnStatusRange(code), `code ${code}`).toEqual(first);
      }
    }
  });

  it('a native status error without a message still names the range', () => {
    const e = fromNative(Object.assign(new Error(''), { code: 'QNN_ERROR', status: 4960n, statusName: 'QNN_UNKNOWN_ERROR', apiFunction: 'backendCreate' }));
    expect(e).toBeInstanceOf(QnnStatusError);
    expect(e.message).toBe('backendCreate failed with unknown status 4960 (in the QNN backend (Saver) range 4950-4998)');
  });
});
