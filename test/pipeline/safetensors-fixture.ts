/** Writes a safetensors file (8-byte LE header length, JSON header, data) as LeRobot's normalizer files are: F32 tensors by name. */
import { writeFileSync } from 'node:fs';

export function safetensorsBytes(tensors: Record<string, ArrayLike<number>>, dtype: 'F32' | 'F64' = 'F32'): Uint8Array {
  const size = dtype === 'F32' ? 4 : 8;
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let at = 0;
  for (const [name, v] of Object.entries(tensors)) {
    header[name] = { dtype, shape: [v.length], data_offsets: [at, at + v.length * size] };
    at += v.length * size;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const out = new Uint8Array(8 + json.length + at);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let p = 8 + json.length;
  for (const v of Object.values(tensors)) {
    for (let i = 0; i < v.length; i++, p += size) {
      if (dtype === 'F32') view.setFloat32(p, v[i], true);
      else view.setFloat64(p, v[i], true);
    }
  }
  return out;
}

export function writeSafetensors(path: string, tensors: Record<string, ArrayLike<number>>, dtype: 'F32' | 'F64' = 'F32'): void {
  writeFileSync(path, safetensorsBytes(tensors, dtype));
}
