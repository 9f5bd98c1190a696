/**
 * Image files as graph inputs (`qnn-node run --input pixel_values=photo.jpg`): PNG or JPEG,
 * decoded and resized (bilinear) to the input's height and width by the pipeline's image
 * ops, laid out NCHW or NHWC by where the 3-channel axis is, and scaled: float and
 * quantized inputs get values in [0, 1] (quantized with the input's parameters), 8-bit
 * integer inputs get 0..255. Model-specific normalization (mean/std) belongs in a
 * pipeline manifest.
 */
import type { TensorSpec } from '../backend/types.js';
import { QnnNodeError } from '../errors.js';
import { decodeImage, resizeRgb } from '../pipeline/ops/image.js';
import { DTYPES } from '../tensor/dtypes.js';
import { Tensor } from '../tensor/Tensor.js';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

/** Where height and width sit in the input's dims ([1,3,H,W] / [1,H,W,3], or without the batch). */
export function imageLayout(dims: readonly number[]): { layout: 'NCHW' | 'NHWC'; height: number; width: number } | undefined {
  const d = dims.length === 3 ? [1, ...dims] : dims;
  if (d.length !== 4 || d[0] !== 1) return undefined;
  if (d[1] === 3) return { layout: 'NCHW', height: d[2], width: d[3] };
  if (d[3] === 3) return { layout: 'NHWC', height: d[1], width: d[2] };
  return undefined;
}

/** The image file as a tensor for `spec` (see the module comment). */
export function imageFileToTensor(file: string, spec: TensorSpec): Tensor {
  const layout = imageLayout(spec.dims);
  if (!layout) {
    throw new QnnNodeError('SHAPE_MISMATCH', `Input ${spec.name} has dims [${spec.dims.join(', ')}], not an image layout ([1,3,H,W] or [1,H,W,3]); cannot feed ${file}`, {
      details: { input: spec.name, dims: spec.dims, path: file },
    });
  }
  const info = DTYPES[spec.dtype];
  const eightBit = !info.float && !info.quantized && info.bits === 8 && spec.dtype !== 'bool';
  if (!info.float && !info.quantized && !eightBit) {
    throw new QnnNodeError('DTYPE_MISMATCH', `Input ${spec.name} is ${spec.dtype}; images feed float, quantized or 8-bit integer inputs`, {
      details: { input: spec.name, dtype: spec.dtype, path: file },
    });
  }
  let pixels: Float32Array; // HWC, 0..255
  try {
    pixels = resizeRgb(decodeImage(file), layout.width, layout.height, 'bilinear');
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    if (code === 'FILE_NOT_FOUND') throw cause;
    throw new QnnNodeError('ASSET_INVALID', `Cannot read image ${file}: ${(cause as Error).message}`, { cause, details: { path: file, input: spec.name } });
  }
  const { height: H, width: W } = layout;
  const hw = H * W;
  const values = new Float32Array(hw * 3);
  for (let i = 0; i < hw; i++) {
    for (let c = 0; c < 3; c++) {
      const v = pixels[i * 3 + c];
      values[layout.layout === 'NCHW' ? c * hw + i : i * 3 + c] = eightBit ? Math.round(v) : v / 255;
    }
  }
  return Tensor.fromFloat32(spec.dtype, values, spec.dims, spec.quant ? { quant: spec.quant } : {});
}
