/** A composable model for the mock backend: one graph with a result no seeded default produces. */
import type { GraphSignature, TensorMap } from '../../lib/index.js';

export const MLP: GraphSignature = {
  name: 'f32_mlp',
  inputs: [{ name: 'x', dtype: 'float32', dims: [1, 4] }],
  outputs: [{ name: 'y', dtype: 'float32', dims: [1, 4] }],
};

/** y = 2x + 1. */
export function mlp(inputs: TensorMap, outputs: TensorMap): void {
  const x = inputs.x.data as Float32Array;
  const y = outputs.y.data as Float32Array;
  for (let i = 0; i < y.length; i++) y[i] = 2 * x[i] + 1;
}
