// What torch/nn/functional.py's pointwise losses (smooth_l1_loss, huber_loss) share: the size
// warning, torch.broadcast_tensors(input, target), and where ATen's cpu_kernel_vec runs a kernel's
// scalar lambda instead of its vectorized one (kernels whose two lambdas round differently), and
// autograd's sum_to for an input that the broadcast grew; how the argument parser reads a float.

import { atenSumTo } from './sum-to.ts';
import { sameShape } from './loss-args.ts';
import type { Round } from './numerics.ts';
import { LossArgumentError, numel, type DType, type FloatArray, type Tensor } from './tensor.ts';
import { warn } from './warnings.ts';

/** A shape as torch prints a torch.Size: `torch.Size([2, 3])`, `torch.Size([])`. */
export function torchSize(shape: readonly number[]): string {
  return `torch.Size([${shape.join(', ')}])`;
}

/**
 * functional.py's UserWarning when target.size() != input.size() (the same words in torch 1.7
 * through 2.14), emitted as a Node process warning where there is one.
 */
export function warnIfSizesDiffer(input: readonly number[], target: readonly number[]): void {
  if (sameShape(input, target)) return;
  warn(
    `Using a target size (${torchSize(target)}) that is different to the input size (${torchSize(input)}). ` +
      'This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.',
    'UserWarning',
  );
}

/**
 * torch.broadcast_tensors(input, target)'s shape (ATen infer_size: tensor a is the input, b the
 * target; the dimension is counted in the broadcast shape), or torch's RuntimeError.
 */
export function broadcastInputTarget(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    const sizeA = a[a.length - n + i] ?? 1;
    const sizeB = b[b.length - n + i] ?? 1;
    if (sizeA !== sizeB && sizeA !== 1 && sizeB !== 1) {
      throw new LossArgumentError(
        `${op}: input and target do not broadcast: The size of tensor a (${sizeA}) must match the size of tensor b (${sizeB}) at non-singleton dimension ${i}`,
      );
    }
    out[i] = sizeA === 1 ? sizeB : sizeA;
  }
  return out;
}

/** The values of `t` as broadcast to `shape` (its own data when the shapes are equal). */
export function expanded(t: Tensor, shape: readonly number[]): FloatArray {
  if (sameShape(t.shape, shape)) return t.data;
  const out = new Float64Array(numel(shape));
  const strides = broadcastStrides(t.shape, shape);
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = t.data[offset]!;
    for (let d = rank - 1; d >= 0; d--) {
      offset += strides[d]!;
      if (++index[d]! < shape[d]!) break;
      offset -= strides[d]! * shape[d]!;
      index[d] = 0;
    }
  }
  return out;
}

/** Element strides of a contiguous tensor of `own` shape expanded to `shape` (0 along broadcast dims). */
function broadcastStrides(own: readonly number[], shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(0);
  let stride = 1;
  for (let i = own.length - 1; i >= 0; i--) {
    const j = shape.length - own.length + i;
    strides[j] = own[i] === 1 && shape[j] !== 1 ? 0 : stride;
    stride *= own[i]!;
  }
  return strides;
}

/**
 * Where cpu_kernel_vec (aten/src/ATen/native/cpu/Loops.h, VectorizedLoop2d) computes with the scalar
 * lambda, for a TensorIterator whose output is contiguous in `shape` and whose inputs have the
 * `operands` shapes broadcast to it ('dense': a contiguous tensor of `shape`, e.g. a dtype-converted
 * copy). The output is the first operand, so the iterator keeps the dims in order (size-1 dims
 * aside) and coalesces the innermost ones while every operand is contiguous across them: its inner
 * rows are `rowLength` consecutive elements. A row runs vectorized, 2 * `lanes` elements at a time,
 * when every operand is contiguous in it or exactly one input is a broadcast scalar (stride 0), and
 * the last rowLength % (2 * lanes) elements run the scalar lambda (vectorized_loop's tail); any
 * other row (two stride-0 inputs) runs the scalar lambda throughout (basic_loop).
 * Elements i with i % rowLength >= vectorEnd are scalar.
 */
export function scalarTail(
  shape: readonly number[],
  operands: readonly (readonly number[] | 'dense')[],
  lanes: number,
): { rowLength: number; vectorEnd: number } {
  const rank = shape.length;
  if (rank === 0) return { rowLength: 1, vectorEnd: 0 };
  const strides = operands.map((o) => (o === 'dense' ? broadcastStrides(shape, shape) : broadcastStrides(o, shape)));
  const out = broadcastStrides(shape, shape);
  let size = shape[rank - 1]!;
  let inner = strides.map((s) => s[rank - 1]!);
  let outInner = out[rank - 1]!;
  for (let d = rank - 2; d >= 0; d--) {
    const next = shape[d]!;
    const fits = size === 1 || next === 1 || (size * outInner === out[d] && strides.every((s, k) => size * inner[k]! === s[d]));
    if (!fits) break;
    if (size === 1) {
      inner = strides.map((s) => s[d]!);
      outInner = out[d]!;
    }
    size *= next;
  }
  const contiguous = inner.filter((s) => s === 1).length;
  const broadcastScalars = inner.filter((s) => s === 0).length;
  const vectorized = outInner === 1 && (contiguous === inner.length || (broadcastScalars === 1 && contiguous === inner.length - 1));
  // A row of one element (or a 0-d iterator) holds no full vector either way.
  return { rowLength: size, vectorEnd: vectorized ? size - (size % (2 * lanes)) : 0 };
}

/**
 * autograd's sum_to (ExpandBackward) of a gradient computed over the broadcast `shape` down to the
 * input's `inputShape`, in ATen's sum order (./sum-to.ts); the gradient itself when nothing grew.
 */
export function sumToInput(
  grad: FloatArray,
  shape: readonly number[],
  inputShape: readonly number[],
  dtype: DType,
  lanes: number,
  r: Round,
): FloatArray {
  if (sameShape(shape, inputShape)) return grad;
  return atenSumTo(grad, shape, inputShape, dtype, lanes, r);
}

/** Python's name for a JS value's type, as the argument parser names it ("must be float, not str"). */
export function pythonTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'dict';
  return typeof value;
}

/**
 * A float argument as the Python argument parser reads it (`op`: torch's function name; position:
 * its place in torch._C._nn's signature): numbers, and booleans as 0 / 1 (Python's bool is an int).
 */
export function floatArgument(op: string, torchOp: string, name: string, position: number, value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  throw new LossArgumentError(
    `${op}: ${name} must be a number (torch: ${torchOp}(): argument '${name}' (position ${position}) must be float, not ${pythonTypeName(value)})`,
    'TypeError',
  );
}

export { elementLanes } from './unary-ops.ts';
