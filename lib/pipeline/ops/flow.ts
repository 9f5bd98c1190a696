/**
 * `flow_time`: the time schedule of flow-matching Euler integration, as LeRobot's SmolVLA
 * samples actions (src/lerobot/policies/smolvla/modeling_smolvla.py, `VLAFlowMatching.
 * sample_actions`): `dt = −1 / num_steps`, `time` starts at 1 and after each step
 * `x_t += dt · v_t; time += dt` (float32), while `time >= −dt / 2` — so step i sees
 * t_i = 1 + i·dt accumulated in float32, for i = 0 … num_steps − 1, and the loop ends at t = 0.
 * The graph receives t itself: the sinusoidal time embedding (`create_sinusoidal_pos_embedding`)
 * is inside the action-expert graph.
 *
 * Inputs: `step` (the loop index). Params: `num_steps`, optional `dt` (default −1/num_steps),
 * `start` (default 1), `dtype`, `dims` (default [1]). Outputs by role: `t` (a tensor filled
 * with t_step) and `dt` (a number, for `add`'s alpha).
 */
import { Tensor } from '../../tensor/Tensor.js';
import type { HostOpFn } from '../hostops.js';
import { fillValue, finiteParam, floatDtypeParam, toNumbers } from './tensor.js';

export const flowTime: HostOpFn = (ctx) => {
  const raw = ctx.inputs.step;
  const step = typeof raw === 'number' ? raw : raw instanceof Tensor && raw.size === 1 ? toNumbers(raw)[0] : NaN;
  if (!Number.isSafeInteger(step) || step < 0) throw ctx.fail(`expected a whole number >= 0 for inputs.step but received ${typeof raw === 'number' ? raw : typeof raw}`);
  const numSteps = ctx.params.num_steps as number;
  if (!Number.isSafeInteger(numSteps) || numSteps < 1) throw ctx.fail(`expected a whole number >= 1 for num_steps but received ${String(numSteps)}`);
  const dt = Math.fround(finiteParam(ctx, 'dt', -1 / numSteps));
  // float32 accumulation, exactly as the reference loop (time += dt in float32)
  let t = Math.fround(finiteParam(ctx, 'start', 1));
  for (let i = 0; i < step; i++) t = Math.fround(t + dt);
  const out = ctx.outputTensor(floatDtypeParam(ctx, 'float32'), (ctx.params.dims as number[] | undefined) ?? [1], 't');
  return { t: fillValue(out, t), dt };
};
