/** One HTP version gate and one set of value checks for power configs and custom configs (review items 5, 6). */
import { describe, expect, it } from 'vitest';
import { contextConfigPlan, htpCustomConfigs } from '../../../lib/backend/qnn/htp-configs.js';
import { encodePowerConfigs, powerOptionsFor } from '../../../lib/backend/qnn/power-configs.js';

const catchErr = (fn: () => unknown): Record<string, unknown> => {
  try {
    fn();
  } catch (e) {
    return e as Record<string, unknown>;
  }
  throw new Error('expected a throw');
};

describe('HTP version gate (power configs and custom configs agree)', () => {
  it('an option the version lacks: UNSUPPORTED_OPTION with the same details on both paths', () => {
    const power = catchErr(() => encodePowerConfigs([{ hmxV2: { pickDefault: true } }], { backendApiVersion: '5.20.0', backendId: 6 }));
    expect(power).toMatchObject({ code: 'UNSUPPORTED_OPTION', details: { option: 'HMX_V2', backendApiVersion: '5.20.0', requiredBackendApiVersion: '5.25' } });
    const ctx = catchErr(() => contextConfigPlan({ htp: { prepareOnly: true } }, { backendApiVersion: '5.25.0', backendId: 6 }));
    expect(ctx).toMatchObject({ code: 'UNSUPPORTED_OPTION', details: { option: 'prepareOnly', backendApiVersion: '5.25.0', requiredBackendApiVersion: '5.43' } });
  });

  it('config gates check the major and the backend id, not only the minor', () => {
    // A 6.x HTP: layouts unknown, refused cleanly instead of sent in 5.x layouts.
    const major6 = catchErr(() => contextConfigPlan({ htp: { weightSharing: true } }, { backendApiVersion: '6.1.0', backendId: 6 }));
    expect(major6).toMatchObject({ code: 'UNSUPPORTED_OPTION', details: { backendApiVersion: '6.1.0', requiredBackendApiVersion: '5.25' } });
    expect(String(major6.message)).toContain('HTP backend API 5.x layouts');
    // A backend that is not HTP with a high minor gets no HTP struct.
    const other = catchErr(() => contextConfigPlan({ graphConfig: { htp: { numHvxThreads: 2 } } }, { backendApiVersion: '5.43.0', backendId: 3 }));
    expect(other).toMatchObject({ code: 'UNSUPPORTED_OPTION', details: { option: 'numHvxThreads' } });
    expect(String(other.message)).toContain('is not HTP');
    expect(catchErr(() => encodePowerConfigs([{ rpcPollingTimeUs: 100 }], { backendApiVersion: '6.0.0', backendId: 6 }))).toMatchObject({ code: 'UNSUPPORTED_OPTION' });
    expect(powerOptionsFor({ backendApiVersion: '6.0.0', backendId: 6 })).toEqual([]);
    expect(powerOptionsFor({ backendApiVersion: '5.43.0', backendId: 0x4e52 })).toContain('ddrPerfMode');
    // The reference backend (0x4E52) counts as HTP.
    expect(contextConfigPlan({ htp: { weightSharing: true } }, { backendApiVersion: '5.25.0', backendId: 0x4e52 })?.custom).toHaveLength(1);
  });

  it('the same bad value gets the same code in power configs and custom configs', () => {
    const reported = { backendApiVersion: '5.43.0', backendId: 6 };
    expect(catchErr(() => encodePowerConfigs([{ rpcControlLatencyUs: 1.5 }], reported)).code).toBe('ERR_INVALID_ARG');
    expect(catchErr(() => htpCustomConfigs('graph', { numHvxThreads: 1.5 }, 'htp', reported)).code).toBe('ERR_INVALID_ARG');
    expect(catchErr(() => encodePowerConfigs([{ rpcControlLatencyUs: -1 }], reported)).code).toBe('ERR_OUT_OF_RANGE');
    expect(catchErr(() => htpCustomConfigs('graph', { numHvxThreads: -1 }, 'htp', reported)).code).toBe('ERR_OUT_OF_RANGE');
  });
});
