// apply_loss_reduction (aten/src/ATen/native/Loss.cpp) and building result tensors.

import { allocate, type DType, type Tensor } from './tensor.ts';
import { mean, sum, type Round } from './numerics.ts';
import type { Reduction } from './loss-args.ts';

export function makeTensor(values: ArrayLike<number>, shape: readonly number[], dtype: DType): Tensor {
  const data = allocate(dtype, values.length);
  data.set(values);
  return Object.freeze({ data, shape: Object.freeze([...shape]) });
}

/** 'none' keeps the per-element losses; 'mean' and 'sum' give a 0-d tensor. */
export function applyReduction(losses: Float64Array, shape: readonly number[], reduction: Reduction, dtype: DType, lanes: number, r: Round): Tensor {
  if (reduction === 'none') return makeTensor(losses, shape, dtype);
  return makeTensor([reduction === 'mean' ? mean(losses, lanes, r) : sum(losses, lanes, r)], [], dtype);
}
