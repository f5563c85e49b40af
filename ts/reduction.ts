// apply_loss_reduction (aten/src/ATen/native/Loss.cpp) and building result tensors.

import { allocate, numel, type DType, type FloatArray, type Tensor } from './tensor.ts';
import { mean, meanOf, streamSum32, streamSum64, sum, useDType, type Fill32, type Fill64, type Round } from './numerics.ts';
import type { Reduction } from './loss-args.ts';

/** A frozen tensor over `values`: no copy when they are already a typed array of the dtype. */
export function makeTensor(values: ArrayLike<number>, shape: readonly number[], dtype: DType): Tensor {
  // Stryker disable next-line StringLiteral,EqualityOperator: a wrong fits only copies what it could have kept
  const fits = dtype === 'float32' ? values instanceof Float32Array : values instanceof Float64Array;
  const data = fits ? (values as FloatArray) : dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
  return Object.freeze({ data, shape: Object.freeze([...shape]) });
}

/** 'none' keeps the per-element losses (no copy); 'mean' and 'sum' give a 0-d tensor. */
export function applyReduction(
  losses: ArrayLike<number>,
  shape: readonly number[],
  reduction: Reduction,
  dtype: DType,
  lanes: number,
  r: Round,
): Tensor {
  if (reduction === 'none') return makeTensor(losses, shape, dtype);
  return makeTensor([reduction === 'mean' ? mean(losses, lanes, r) : sum(losses, lanes, r)], [], dtype);
}

/**
 * applyReduction of the float32 losses that `fill` writes in order: 'none' fills the output itself,
 * 'mean' and 'sum' stream them into the cascade sum (numerics.ts streamSum32): same values, no
 * input-sized temporary.
 */
export function reduceFilled32(shape: readonly number[], reduction: Reduction, lanes: number, fill: Fill32): Tensor {
  const n = numel(shape);
  if (reduction === 'none') {
    const out = allocate('float32', n) as Float32Array;
    fill(out, 0, n);
    return makeTensor(out, shape, 'float32');
  }
  const total = streamSum32(n, lanes, fill);
  return makeTensor([reduction === 'mean' ? meanOf(total, n, useDType('float32')) : total], [], 'float32');
}

/** reduceFilled32 for float64 losses. */
export function reduceFilled64(shape: readonly number[], reduction: Reduction, lanes: number, fill: Fill64): Tensor {
  const n = numel(shape);
  if (reduction === 'none') {
    const out = allocate('float64', n) as Float64Array;
    fill(out, 0, n);
    return makeTensor(out, shape, 'float64');
  }
  const total = streamSum64(n, lanes, fill);
  return makeTensor([reduction === 'mean' ? meanOf(total, n, useDType('float64')) : total], [], 'float64');
}
