// functional.py's optional `weight` of mse_loss and l1_loss (torch >= 2.6, pytorch#132049; the
// module classes do not take it). With a weight, functional.py computes the loss itself instead of
// calling ATen's op:
//   if weight.size() != input.size(): raise ValueError("Weights and input must have the same size.")
//   weighted = errors * weight              (errors: (a - t) ** 2 or |a - t| over the broadcast shape)
//   'none': weighted;  'sum': torch.sum(weighted);  'mean': torch.sum(weighted) / torch.sum(weight)
//   else: raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")
// so reduction is not _Reduction.get_enum's ('elementwise_mean' and None are invalid here).
// Type promotion as torch: weighted has the dtype of errors and weight promoted; torch.sum(weight)
// sums in the weight's dtype. The gradient is autograd's through those ops: DivBackward0
// (grad / sum(weight)), SumBackward0 (expand), MulBackward0 (grad * weight, cast to the errors'
// dtype); the loss continues from there, and gradientToInput casts to the input's dtype and sums
// a broadcast input back to its shape (ExpandBackward0: ./sum-to.ts, ATen's order).

import type { Reduction } from './loss-args.ts';
import { sum, useDType } from './numerics.ts';
import { expanded } from './pointwise-loss.ts';
import { makeTensor } from './reduction.ts';
import { atenSumTo } from './sum-to.ts';
import {
  LossArgumentError,
  allocate,
  checkTensor,
  dtypeOf,
  formatShape,
  numel,
  type DType,
  type FloatArray,
  type Tensor,
} from './tensor.ts';
import { vectorLanes } from './torch-version.ts';

/** The larger of two float dtypes (torch's promotion). */
export function promote(a: DType, b: DType): DType {
  return a === 'float64' || b === 'float64' ? 'float64' : 'float32';
}

/** The weight option as given: null when absent or null; a TypeError on a release without it. */
export function weightOption(op: string, torchName: string, given: unknown, available: boolean, version: string): Tensor | null {
  if (given === undefined) return null;
  if (!available) {
    throw new LossArgumentError(
      `${op}: weight needs torch 2.6 or later (torch ${version}: ${torchName}() got an unexpected keyword argument 'weight')`,
      'TypeError',
    );
  }
  if (given === null) return null;
  checkTensor(given, op, 'weight');
  return given;
}

/** functional.py: the weight must have the input's size (not the broadcast size). */
export function checkWeightShape(op: string, weight: Tensor, inputShape: readonly number[]): void {
  const w = weight.shape;
  if (w.length !== inputShape.length || w.some((d, i) => d !== inputShape[i])) {
    throw new LossArgumentError(
      `${op}: weight shape ${formatShape(w)} must equal input shape ${formatShape(inputShape)}: Weights and input must have the same size.`,
      'ValueError',
    );
  }
}

/** Python's str() of a reduction value, as the f-string shows it. */
function pythonStr(value: unknown): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  return typeof value === 'string' ? value : String(value);
}

/** The weighted path's own reduction check (raised after the loss is computed, so after every shape check). */
export function weightedReduction(op: string, given: unknown): Reduction {
  const value = given === undefined ? 'mean' : given;
  if (value === 'none' || value === 'mean' || value === 'sum') return value;
  throw new LossArgumentError(
    `${op}: reduction ${JSON.stringify(value) ?? String(value)} is not valid with a weight: Invalid reduction mode: ${pythonStr(value)}. Expected one of 'none', 'mean', 'sum'.`,
    'ValueError',
  );
}

/**
 * torch's result_type for errors (over `shape`) times the weight: a 0-d weight (the input is 0-d)
 * with dimensioned errors does not raise their dtype (same category), and is cast to theirs.
 */
function weightedDType(errorsDType: DType, weight: Tensor, shape: readonly number[]): DType {
  return weight.shape.length === 0 && shape.length > 0 ? errorsDType : promote(errorsDType, dtypeOf(weight));
}

/** The weight broadcast to `shape`, as the multiply reads it: cast to its common dtype `dtype`. */
function weightValues(weight: Tensor, shape: readonly number[], dtype: DType): FloatArray {
  const w = expanded(weight, shape);
  return dtype === 'float32' && !(w instanceof Float32Array) ? Float32Array.from(w) : w;
}

/** errors * weight over `shape` (the weight broadcast from the input's shape), reduced as functional.py does. */
export function weightedForward(
  errors: FloatArray,
  errorsDType: DType,
  shape: readonly number[],
  weight: Tensor,
  reduction: Reduction,
): Tensor {
  const wt = dtypeOf(weight);
  const dtype = weightedDType(errorsDType, weight, shape);
  const w = weightValues(weight, shape, dtype);
  let r = useDType(dtype);
  const n = errors.length;
  const weighted = allocate(dtype, n);
  for (let i = 0; i < n; i++) weighted[i] = r(errors[i]! * w[i]!);
  if (reduction === 'none') return makeTensor(weighted, shape, dtype);
  const total = sum(weighted, vectorLanes(dtype), r);
  if (reduction === 'sum') return makeTensor([total], [], dtype);
  // torch.sum(weighted) / torch.sum(weight): two 0-d tensors, promoted.
  const weightSum = sum(weight.data, vectorLanes(wt), useDType(wt));
  const meanDType = promote(dtype, wt);
  r = useDType(meanDType);
  return makeTensor([r(total / weightSum)], [], meanDType);
}

/**
 * d loss / d errors over `shape`, in the errors' dtype `errorsDType`: gradOutput (its element, or
 * the 0-d value divided by torch.sum(weight) for 'mean', cast to the weighted loss's dtype) times
 * the weight.
 */
export function weightedGradient(
  gradOutput: Tensor,
  weight: Tensor,
  shape: readonly number[],
  reduction: Reduction,
  errorsDType: DType,
): FloatArray {
  const wt = dtypeOf(weight);
  const dtype = weightedDType(errorsDType, weight, shape);
  const n = numel(shape);
  const go = gradOutput.data;
  // DivBackward0 (grad / sum(weight), promoted) or SumBackward0, cast to the weighted loss's dtype.
  let g0 = go[0]!;
  if (reduction === 'mean' && n > 0) {
    const weightSum = sum(weight.data, vectorLanes(wt), useDType(wt));
    g0 = useDType(promote(dtypeOf(gradOutput), wt))(g0 / weightSum);
  }
  const r = useDType(dtype);
  g0 = r(g0);
  // MulBackward0: grad * weight in that dtype; the typed array casts to the errors' dtype.
  const w = weightValues(weight, shape, dtype);
  const grad = allocate(errorsDType, n);
  if (reduction === 'none') for (let i = 0; i < n; i++) grad[i] = r(r(go[i]!) * w[i]!);
  else for (let i = 0; i < n; i++) grad[i] = r(g0 * w[i]!);
  return grad;
}

/**
 * The gradient over the broadcast `shape` as the input's: cast to its dtype (autograd's engine,
 * validate_outputs) and summed back to its shape (ExpandBackward0's sum_to, ATen's order).
 */
export function gradientToInput(grad: FloatArray, shape: readonly number[], input: Tensor): Tensor {
  const dtype = dtypeOf(input);
  const cast = dtype === 'float32' && grad instanceof Float64Array ? Float32Array.from(grad) : grad;
  const summed = atenSumTo(cast, shape, input.shape, dtype, vectorLanes(dtype), useDType(dtype));
  return makeTensor(summed, input.shape, dtype);
}
