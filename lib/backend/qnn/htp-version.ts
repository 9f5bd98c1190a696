/**
 * Which HTP options the loaded backend has, from the versions it reports: one gate for the
 * power configs and the context/graph/device custom configs. An HTP backend is backend id 6
 * (QNN_BACKEND_ID_HTP) or the reference backend (0x4E52, which emulates HTP); its backend
 * API is 5.<SDK minor>, and the options' layouts qnn-node knows are those of major 5. An
 * option the reported version lacks is refused with UNSUPPORTED_OPTION, details
 * { option, backendApiVersion, requiredBackendApiVersion } (docs/errors.md).
 */
import { QnnNodeError } from '../../errors.js';

export const HTP_BACKEND_ID = 6;
export const REFERENCE_BACKEND_ID = 0x4e52;
export const HTP_API_MAJOR = 5;

/** What the backend reported. Without backendId (the mock, before a load) it is taken as HTP. */
export interface ReportedBackend {
  readonly backendApiVersion: string;
  readonly backendId?: number;
}

export function isHtpBackendId(id: number): boolean {
  return id === HTP_BACKEND_ID || id === REFERENCE_BACKEND_ID;
}

/** The HTP API minor (5.<minor>), or undefined when the backend is not HTP or not major 5. */
export function htpApiMinor(reported: ReportedBackend): number | undefined {
  if (reported.backendId !== undefined && !isHtpBackendId(reported.backendId)) return undefined;
  const m = /^(\d+)\.(\d+)/.exec(reported.backendApiVersion);
  if (!m || Number(m[1]) !== HTP_API_MAJOR) return undefined;
  return Number(m[2]);
}

/** true when the option (from HTP 5.`sinceMinor`) exists for the reported backend. */
export function htpHas(reported: ReportedBackend, sinceMinor: number): boolean {
  const minor = htpApiMinor(reported);
  return minor !== undefined && minor >= sinceMinor;
}

/**
 * Refuses `what` (an option, a field value) when the reported backend lacks it: not HTP, an
 * HTP API major other than 5, or a minor below `sinceMinor`.
 */
export function requireHtpOption(what: string, option: string, sinceMinor: number, reported: ReportedBackend, details: Record<string, unknown> = {}): void {
  if (htpHas(reported, sinceMinor)) return;
  const { backendApiVersion, backendId } = reported;
  const required = `${HTP_API_MAJOR}.${sinceMinor}`;
  const why =
    backendId !== undefined && !isHtpBackendId(backendId)
      ? `the loaded backend (id ${backendId}, backend API ${backendApiVersion}) is not HTP`
      : htpApiMinor(reported) === undefined
        ? `qnn-node knows the HTP backend API ${HTP_API_MAJOR}.x layouts and the backend reports ${backendApiVersion}`
        : `the loaded backend reports ${backendApiVersion}`;
  throw new QnnNodeError('UNSUPPORTED_OPTION', `${what} needs HTP backend API ${required} (QNN SDK 2.${sinceMinor}) or newer; ${why}`, {
    details: { ...details, option, backendApiVersion, requiredBackendApiVersion: required },
  });
}
