// apply_loss_reduction (aten/src/ATen/native/Loss.cpp) and building result tensors.

import type { DType, FloatArray, Tensor } from './tensor.ts';
import { mean, meanOf, sum, useDType, type Round } from './numerics.ts';
import type { Reduction } from './loss-args.ts';

/** A frozen tensor over `values`: no copy when they are already a typed array of the dtype. */
export function makeTensor(values: ArrayLike<number>, shape: readonly number[], dtype: DType): Tensor {
  // Stryker disable next-line StringLiteral,EqualityOperator: a wrong fits only copies what it could have kept
  const fits = dtype === 'float32' ? values instanceof Float32Array : values instanceof Float64Array;
  let data = values as FloatArray;
  if (!fits) {
    // allocated, then set: TypedArray.from (and the constructor given an array) take the iterator
    // path, about 1 us for the one value of a 'mean' (measured on Node 20)
    data = dtype === 'float32' ? new Float32Array(values.length) : new Float64Array(values.length);
    data.set(values);
  }
  return Object.freeze({ data, shape: shape.length === 0 ? SCALAR_SHAPE : Object.freeze([...shape]) });
}

/** The shape of every 0-d result (frozen, so it can be shared). */
const SCALAR_SHAPE: readonly number[] = Object.freeze([]);

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

/** A 'mean' or 'sum' of `count` losses from their sum (a CascadeStream's): applyReduction's result. */
export function reducedTotal(total: number, count: number, reduction: 'mean' | 'sum', dtype: DType): Tensor {
  return makeTensor([reduction === 'mean' ? meanOf(total, count, useDType(dtype)) : total], [], dtype);
}
