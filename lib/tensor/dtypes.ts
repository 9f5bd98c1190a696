/**
 * The data types a QNN context binary can declare for graph inputs and outputs, with
 * their numeric `Qnn_DataType_t` codes (QnnTypes.h: the high byte is the family, the low
 * byte the bit width written in hex-looking decimal, e.g. 0x0216 = float, 16 bits).
 */

export type DType =
  | 'float32'
  | 'float16'
  | 'float64'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool'
  | 'ufixed4'
  | 'ufixed8'
  | 'ufixed16'
  | 'ufixed32'
  | 'sfixed4'
  | 'sfixed8'
  | 'sfixed16'
  | 'sfixed32';

/** The typed array that holds a dtype's storage. fp16 is stored as raw bits in a Uint16Array. */
export type TypedArrayFor<T extends DType> = T extends 'float32'
  ? Float32Array
  : T extends 'float64'
    ? Float64Array
    : T extends 'float16' | 'uint16' | 'ufixed16'
      ? Uint16Array
      : T extends 'int8' | 'sfixed8' | 'sfixed4'
        ? Int8Array
        : T extends 'int16' | 'sfixed16'
          ? Int16Array
          : T extends 'int32' | 'sfixed32'
            ? Int32Array
            : T extends 'uint32' | 'ufixed32'
              ? Uint32Array
              : T extends 'int64'
                ? BigInt64Array
                : T extends 'uint64'
                  ? BigUint64Array
                  : T extends 'uint8' | 'ufixed8' | 'ufixed4' | 'bool'
                    ? Uint8Array
                    : never;

export type AnyTypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

type TypedArrayConstructor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

export interface DTypeInfo {
  readonly dtype: DType;
  /** Numeric Qnn_DataType_t value. */
  readonly qnnCode: number;
  /** Name of the Qnn_DataType_t enumerator. */
  readonly qnnName: string;
  /** Bits per element as stored (4 for the packed 4-bit types: two elements per byte). */
  readonly bits: number;
  /** The typed array used for storage (packed 4-bit types use a byte array of ceil(n/2)). */
  readonly arrayType: TypedArrayConstructor;
  /** Quantized fixed-point: values mean scale * (q + offset). */
  readonly quantized: boolean;
  readonly signed: boolean;
  readonly float: boolean;
  /** NumPy descr for .npy files (little-endian), or undefined where NumPy has no such type. */
  readonly npyDescr: string | undefined;
}

function info(
  dtype: DType,
  qnnCode: number,
  qnnName: string,
  bits: number,
  arrayType: TypedArrayConstructor,
  flags: { quantized?: boolean; signed?: boolean; float?: boolean },
  npyDescr: string | undefined,
): DTypeInfo {
  return Object.freeze({
    dtype,
    qnnCode,
    qnnName,
    bits,
    arrayType,
    quantized: flags.quantized ?? false,
    signed: flags.signed ?? false,
    float: flags.float ?? false,
    npyDescr,
  });
}

export const DTYPES: Readonly<Record<DType, DTypeInfo>> = Object.freeze({
  int8: info('int8', 0x0008, 'QNN_DATATYPE_INT_8', 8, Int8Array, { signed: true }, '|i1'),
  int16: info('int16', 0x0016, 'QNN_DATATYPE_INT_16', 16, Int16Array, { signed: true }, '<i2'),
  int32: info('int32', 0x0032, 'QNN_DATATYPE_INT_32', 32, Int32Array, { signed: true }, '<i4'),
  int64: info('int64', 0x0064, 'QNN_DATATYPE_INT_64', 64, BigInt64Array, { signed: true }, '<i8'),
  uint8: info('uint8', 0x0108, 'QNN_DATATYPE_UINT_8', 8, Uint8Array, {}, '|u1'),
  uint16: info('uint16', 0x0116, 'QNN_DATATYPE_UINT_16', 16, Uint16Array, {}, '<u2'),
  uint32: info('uint32', 0x0132, 'QNN_DATATYPE_UINT_32', 32, Uint32Array, {}, '<u4'),
  uint64: info('uint64', 0x0164, 'QNN_DATATYPE_UINT_64', 64, BigUint64Array, {}, '<u8'),
  float16: info('float16', 0x0216, 'QNN_DATATYPE_FLOAT_16', 16, Uint16Array, { signed: true, float: true }, '<f2'),
  float32: info('float32', 0x0232, 'QNN_DATATYPE_FLOAT_32', 32, Float32Array, { signed: true, float: true }, '<f4'),
  float64: info('float64', 0x0264, 'QNN_DATATYPE_FLOAT_64', 64, Float64Array, { signed: true, float: true }, '<f8'),
  sfixed4: info('sfixed4', 0x0304, 'QNN_DATATYPE_SFIXED_POINT_4', 4, Int8Array, { quantized: true, signed: true }, undefined),
  sfixed8: info('sfixed8', 0x0308, 'QNN_DATATYPE_SFIXED_POINT_8', 8, Int8Array, { quantized: true, signed: true }, '|i1'),
  sfixed16: info('sfixed16', 0x0316, 'QNN_DATATYPE_SFIXED_POINT_16', 16, Int16Array, { quantized: true, signed: true }, '<i2'),
  sfixed32: info('sfixed32', 0x0332, 'QNN_DATATYPE_SFIXED_POINT_32', 32, Int32Array, { quantized: true, signed: true }, '<i4'),
  ufixed4: info('ufixed4', 0x0404, 'QNN_DATATYPE_UFIXED_POINT_4', 4, Uint8Array, { quantized: true }, undefined),
  ufixed8: info('ufixed8', 0x0408, 'QNN_DATATYPE_UFIXED_POINT_8', 8, Uint8Array, { quantized: true }, '|u1'),
  ufixed16: info('ufixed16', 0x0416, 'QNN_DATATYPE_UFIXED_POINT_16', 16, Uint16Array, { quantized: true }, '<u2'),
  ufixed32: info('ufixed32', 0x0432, 'QNN_DATATYPE_UFIXED_POINT_32', 32, Uint32Array, { quantized: true }, '<u4'),
  bool: info('bool', 0x0508, 'QNN_DATATYPE_BOOL_8', 8, Uint8Array, {}, '|b1'),
});

export const ALL_DTYPES: readonly DType[] = Object.freeze(Object.keys(DTYPES) as DType[]);

const BY_QNN_CODE = new Map<number, DTypeInfo>(Object.values(DTYPES).map((d) => [d.qnnCode, d]));

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPES, value);
}

/** The dtype for a numeric Qnn_DataType_t, or undefined for codes the library does not handle. */
export function dtypeFromQnnCode(code: number): DType | undefined {
  return BY_QNN_CODE.get(code)?.dtype;
}

/** Bytes needed to store `elements` values of `dtype` (packed 4-bit: two per byte, rounded up). */
export function byteLengthOf(dtype: DType, elements: number): number {
  const bits = DTYPES[dtype].bits;
  return bits === 4 ? Math.ceil(elements / 2) : elements * (bits / 8);
}

/**
 * QNN quantization parameters. Values of a quantized tensor mean
 * `real = scale * (q + offset)` (QNN's convention: offset is minus the zero point).
 */
export type QuantParams =
  | {
      readonly encoding: 'scale-offset';
      readonly scale: number;
      readonly offset: number;
      /** Bit width when it differs from the storage type's (QNN's bw-scale-offset encodings). */
      readonly bitwidth?: number;
    }
  | {
      readonly encoding: 'axis-scale-offset';
      /** The dimension the scales/offsets run along (e.g. output channels). */
      readonly axis: number;
      readonly scales: readonly number[] | Float32Array;
      readonly offsets: readonly number[] | Int32Array;
      readonly bitwidth?: number;
    };
