/**
 * One error hierarchy for the whole library. Every error a user can see carries a
 * string `code` (stable, documented in docs/errors.md) so scripts can branch on it.
 *
 * Bad arguments stay TypeError / RangeError (what Node users expect) but carry a code
 * too, and use one message format: "Expected <what> for <name> but received <value>".
 */

export type ErrorCode =
  // arguments and data
  | 'ERR_INVALID_ARG'
  | 'ERR_OUT_OF_RANGE'
  | 'DTYPE_MISMATCH'
  | 'SHAPE_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'UNSUPPORTED_DTYPE'
  | 'UNSUPPORTED_CONVERSION'
  | 'NPY_MALFORMED'
  | 'NPY_UNSUPPORTED'
  | 'FILE_NOT_FOUND'
  | 'FILE_TRUNCATED'
  | 'FILE_EMPTY'
  | 'NOT_A_FILE'
  | 'MAP_FAILED'
  // native runtime
  | 'LIBRARY_LOAD_FAILED'
  | 'SYMBOL_NOT_FOUND'
  | 'NO_PROVIDER'
  | 'UNSUPPORTED_VERSION'
  | 'UNSUPPORTED_OPTION'
  | 'QNN_ERROR'
  | 'BINARY_INVALID'
  | 'UNKNOWN_GRAPH'
  | 'UNSUPPORTED_FEATURE'
  | 'UNKNOWN_ADAPTER'
  | 'NO_BASE_ADAPTER'
  | 'UNKNOWN_INPUT'
  | 'MISSING_INPUT'
  | 'UNKNOWN_OUTPUT'
  | 'DISPOSED'
  | 'BUFFER_DETACHED'
  | 'ADDON_NOT_FOUND'
  | 'POWER_UNAVAILABLE'
  // shared tensors (docs/shared-memory.md)
  | 'SHARED_MEMORY_UNAVAILABLE'
  | 'EXTERNAL_BUFFERS_FORBIDDEN'
  | 'SHARED_ALLOC_FAILED'
  | 'POOL_EXHAUSTED'
  // model composition: model libraries, DLC, context binaries made from them (docs/native-runtime.md)
  | 'MODEL_LIBRARY_INVALID'
  | 'MODEL_COMPOSE_FAILED'
  | 'HTP_PREPARE_MISSING'
  | 'MODEL_DLC_LIBRARY_MISSING'
  | 'BINARY_SERIALIZE_UNSUPPORTED'
  // pipelines
  | 'MANIFEST_INVALID'
  | 'ASSET_MISSING'
  | 'ASSET_INVALID'
  | 'HOST_OP_FAILED'
  | 'UNKNOWN_HOST_OP'
  | 'RECORDING_MISMATCH'
  | 'ABORTED'
  | 'TIMEOUT'
  | 'LIMIT_EXCEEDED'
  | 'PATH_NOT_ALLOWED'
  // CLI
  | 'CLI_USAGE';

/** Renders a user value for an error message without dumping huge arrays. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'symbol') return value.toString();
  if (Array.isArray(value)) {
    const head = value.slice(0, 8).map((v) => (typeof v === 'object' && v !== null ? '…' : String(v))).join(', ');
    return `array [${head}${value.length > 8 ? `, … (${value.length} items)` : ''}]`;
  }
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as unknown as { length?: number }).length ?? value.byteLength})`;
  if (value instanceof ArrayBuffer) return `ArrayBuffer(${value.byteLength})`;
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `${name} instance` : 'object';
}

export interface QnnNodeErrorOptions {
  cause?: unknown;
  /** Structured facts about the failure (offending values, paths, versions). */
  details?: Record<string, unknown>;
}

/** Base class of every non-argument error the library throws. */
export class QnnNodeError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: QnnNodeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'QnnNodeError';
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** A QNN API call returned a non-success status. */
export class QnnStatusError extends QnnNodeError {
  /** The full Qnn_ErrorHandle_t value as the backend returned it. */
  readonly status: bigint;
  /** The low 16 bits: the QNN error code (e.g. 6003). */
  readonly statusCode: number;
  /** The code's name from the QNN headers, e.g. `QNN_GRAPH_ERROR_INVALID_TENSOR`. */
  readonly statusName: string;
  /** The QNN function that failed, e.g. `graphExecute`. */
  readonly apiFunction: string;
  /** The backend's own message (QnnError_getMessage) when it offers one. */
  readonly backendMessage: string | undefined;

  constructor(
    init: { status: bigint; statusName: string; apiFunction: string; backendMessage?: string; message?: string },
    options: QnnNodeErrorOptions = {},
  ) {
    const statusCode = Number(init.status & 0xffffn);
    const message =
      init.message ??
      `${init.apiFunction} failed with ${init.statusName} (${statusCode})${init.backendMessage ? `: ${init.backendMessage}` : ''}`;
    super('QNN_ERROR', message, options);
    this.name = 'QnnStatusError';
    this.status = init.status;
    this.statusCode = statusCode;
    this.statusName = init.statusName;
    this.apiFunction = init.apiFunction;
    this.backendMessage = init.backendMessage;
  }
}

/** The object was disposed; nothing on it can be used any more. */
export class DisposedError extends QnnNodeError {
  constructor(what: string) {
    super('DISPOSED', `${what} has been disposed`);
    this.name = 'DisposedError';
  }
}

export class QnnTypeError extends TypeError {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'TypeError';
    this.code = code;
    this.details = details;
  }
}

export class QnnRangeError extends RangeError {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'RangeError';
    this.code = code;
    this.details = details;
  }
}

/** "Expected <what> for <name> but received <value>" as a TypeError with code ERR_INVALID_ARG. */
export function invalidArg(what: string, name: string, value: unknown): QnnTypeError {
  return new QnnTypeError('ERR_INVALID_ARG', `Expected ${what} for ${name} but received ${describeValue(value)}`, {
    name,
  });
}

/** "Expected <what> for <name> but received <value>" as a RangeError with code ERR_OUT_OF_RANGE. */
export function outOfRange(what: string, name: string, value: unknown): QnnRangeError {
  return new QnnRangeError('ERR_OUT_OF_RANGE', `Expected ${what} for ${name} but received ${describeValue(value)}`, {
    name,
  });
}

/** True for any error this library threw with the given code. */
export function hasCode(error: unknown, code: ErrorCode): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
