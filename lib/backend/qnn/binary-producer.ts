/**
 * The QNN SDK build that made a context binary, and what to say when a library of another
 * SDK cannot read it.
 *
 * Real context binaries record their producer's build id as text
 * (`v2.25.0.240728104910_97711`), and QnnSystem returns it as the binary info's buildId.
 * Neither is documented as "the producer", so it is reported best effort and labelled so.
 */
import type { QnnNodeError } from '../../errors.js';
import type { BinaryProducer } from '../types.js';

const BUILD_ID = /v(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,20}_\d{1,12}/;

/** A producer from a build id string ('binary-info') or the first one in a binary's head ('text'). */
export function producerFrom(text: string | Uint8Array | null | undefined, source: BinaryProducer['source']): BinaryProducer | undefined {
  if (text === null || text === undefined) return undefined;
  const str = typeof text === 'string' ? text : new TextDecoder('latin1').decode(text);
  const m = BUILD_ID.exec(str);
  if (!m) return undefined;
  return Object.freeze({ buildId: m[0], sdkVersion: `${Number(m[1])}.${Number(m[2])}.${Number(m[3])}`, bestEffort: true as const, source });
}

/** "QNN SDK 2.25.0 (build v2.25.0.…; best effort: …)" */
export function describeProducer(p: BinaryProducer): string {
  const where = p.source === 'binary-info' ? "QnnSystem's binary info" : 'text found in the binary';
  return `QNN SDK ${p.sdkVersion} (build ${p.buildId}; best effort, from ${where})`;
}

function sdkMinorOf(p: BinaryProducer): number {
  return Number(p.sdkVersion.split('.')[1]);
}

/** The SDK minor of a build id such as `v2.25.0.240728104910_97711`, if it is one. */
export function sdkMinorOfBuildId(buildId: string | null | undefined): number | undefined {
  const m = /^v2\.(\d{1,3})\./.exec(buildId ?? '');
  return m ? Number(m[1]) : undefined;
}

/** What tried to read the binary. */
export interface BinaryReader {
  /** "QnnSystem library /x/libQnnSystem.so (System API 1.1.0)", "backend /x/libQnnHtp.so (build v2.25.0…, core API 2.18.0)". */
  readonly description: string;
  /** The reader's SDK minor when known (sdkMinor option, a v2.x build id). */
  readonly sdkMinor?: number;
  /** The newest SDK minor the reader can come from, when its API version tells (System API 1.1: 27). */
  readonly maxSdkMinor?: number;
}

/**
 * Adds to `error` (a library's refusal to read the binary) which SDK made the binary, which
 * library tried to read it and what to do — unless the reader is known to be as new as the
 * producer (then the versions are not the cause). Returns whether it did.
 */
export function explainVersionMismatch(error: QnnNodeError, producer: BinaryProducer | undefined, reader: BinaryReader): boolean {
  if (!producer) return false;
  const made = sdkMinorOf(producer);
  const [major] = producer.sdkVersion.split('.');
  if (reader.sdkMinor !== undefined && reader.sdkMinor >= made) return false;
  const certain = (reader.sdkMinor !== undefined && reader.sdkMinor < made) || (reader.maxSdkMinor !== undefined && reader.maxSdkMinor < made);
  const readerSdk = reader.sdkMinor !== undefined ? `QNN SDK ${major}.${reader.sdkMinor}` : reader.maxSdkMinor !== undefined ? `QNN SDK ${major}.${reader.maxSdkMinor} or older` : 'an unknown QNN SDK';
  const fix = `use the libraries of QNN SDK ${major}.${made} or newer (--system / --backend, or QNN_SDK_ROOT), or regenerate the binary with the SDK you have`;
  const note = certain
    ? `The binary was made by ${describeProducer(producer)}, newer than the ${reader.description}, which is from ${readerSdk}: libraries cannot read binaries made by a newer SDK. Fix: ${fix}.`
    : `The binary was made by ${describeProducer(producer)}; it was read by the ${reader.description} (${readerSdk}). If that is older than SDK ${major}.${made}, this is why: libraries cannot read binaries made by a newer SDK. Fix: ${fix}.`;
  const first = `${error.name}: ${error.message}`;
  error.message = `${error.message}\n${note}`;
  if (error.stack?.startsWith(first)) error.stack = `${error.name}: ${error.message}${error.stack.slice(first.length)}`;
  Object.assign(error.details, { producer, reader: reader.description, ...(reader.sdkMinor !== undefined ? { readerSdkMinor: reader.sdkMinor } : {}) });
  return true;
}

/**
 * The QnnSystem library described by the details of its refusal (systemPath, systemApi),
 * or undefined when `error` is not QnnSystem refusing to read a binary.
 */
export function systemReader(error: unknown, sdkMinor: number | undefined, fallbackPath?: string): BinaryReader | undefined {
  const details = (error as { code?: unknown; details?: Record<string, unknown> } | null)?.details;
  if ((error as { code?: unknown } | null)?.code !== 'BINARY_INVALID' || details?.apiFunction !== 'systemContextGetBinaryInfo') return undefined;
  const api = String(details.systemApi ?? '');
  return {
    description: `QnnSystem library ${String(details.systemPath ?? fallbackPath ?? '')}${api ? ` (System API ${api})` : ''}`,
    ...(sdkMinor !== undefined ? { sdkMinor } : {}),
    // System API 1.1 shipped with SDK 2.13 to 2.27 (docs/qnn-abi.md).
    ...(api.startsWith('1.1.') ? { maxSdkMinor: 27 } : {}),
  };
}
