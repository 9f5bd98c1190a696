/** lib/tensor public surface: Tensor, dtypes, fp16, quantization, .npy/.raw I/O, metrics. */
export * from './dtypes.js';
export { elementCount, sameDims } from './shape.js';
export { Tensor, checkDims, type TensorOptions, type ConvertOptions, type TensorData } from './Tensor.js';
export { float16ToFloat32, float32ToFloat16, float16ToFloat64, float64ToFloat16, halfToNumber, numberToHalf } from './fp16.js';
export { quantize, dequantize, intRange, normalizeQuant, roundHalfEven, pack4, unpack4, type NormalizedQuant } from './quantize.js';
export { parseNpy, encodeNpy, readNpy, readNpySync, writeNpy, writeNpySync, type ParseNpyOptions, type EncodeNpyOptions } from './npy.js';
export { parseRaw, readRaw, readRawSync, writeRaw, writeRawSync, type RawOptions } from './raw.js';
export { compare, argmax, topK, type CompareResult, type MetricInput, type TopK } from './metrics.js';
export { tensorSharedInfo, type SharedTensorInfo, type SharedMemoryInfo, type AllocTensorOptions, type TensorPool, type TensorPoolOptions } from './shared.js';
