// Shared numerics: float32 rounding, ATen's log_sigmoid and sigmoid kernels, reductions.
//
// Parity with torch's float32 means rounding after every tensor op ATen performs, in ATen's order.
// Each formula below takes a `round` that is Math.fround for float32 and the identity for float64,
// so one formula serves both dtypes.

import type { DType } from './tensor.ts';
import type { CpuCapability, TorchRelease } from './torch-version.ts';

export type Round = (x: number) => number;

const identity: Round = (x) => x;

export function roundFor(dtype: DType): Round {
  return dtype === 'float32' ? Math.fround : identity;
}

/** vec::minimum / maximum: NaN-propagating, unlike a bare comparison. */
export function minimum(a: number, b: number): number {
  return a !== a ? a : a < b ? a : b;
}
export function maximum(a: number, b: number): number {
  return a !== a ? a : a > b ? a : b;
}

/** The buffer z that ATen's log_sigmoid stores for its backward. */
function logSigmoidBuffer(x: number, r: Round, torch: TorchRelease): number {
  if (torch.logSigmoidUsesLog1p) return r(Math.exp(-Math.abs(x)));
  const m = maximum(-x, 0);
  return r(r(Math.exp(-m)) + r(Math.exp(r(-x - m))));
}

/**
 * log(sigmoid(x)) as aten/src/ATen/native/cpu/Activation.cpp log_sigmoid_cpu_kernel computes it:
 * torch >= 1.11: min(x, 0) - log1p(z), z = exp(-|x|);
 * before: -(m + log(z)), m = max(-x, 0), z = exp(-m) + exp(-x - m).
 */
export function logSigmoid(x: number, r: Round, torch: TorchRelease): number {
  const z = logSigmoidBuffer(x, r, torch);
  if (torch.logSigmoidUsesLog1p) return r(minimum(x, 0) - r(Math.log1p(z)));
  return -r(maximum(-x, 0) + r(Math.log(z)));
}

/**
 * log_sigmoid_backward_cpu_kernel: (max_deriv - sign * q) * grad, with max_deriv, sign = 1, 1 for
 * x < 0 and 0, -1 otherwise; q = z / (1 + z) (torch >= 1.11) or (z - 1) / z (before).
 */
export function logSigmoidBackward(x: number, grad: number, r: Round, torch: TorchRelease): number {
  const z = logSigmoidBuffer(x, r, torch);
  const q = torch.logSigmoidUsesLog1p ? r(z / r(1 + z)) : r(r(z - 1) / z);
  const d = x < 0 ? r(1 - q) : q;
  return r(d * grad);
}

/**
 * The log1p_ / log1p tensor op: vectorized (SLEEF) for every element under avx2/avx512, std::log1p
 * under 'default'. Old SLEEF overflows to inf above 1e38 (float32) and 1e307 (float64).
 */
export function tensorLog1p(v: number, dtype: DType, torch: TorchRelease, capability: CpuCapability, r: Round): number {
  if (torch.sleefLog1pOverflows && capability !== 'default' && v > (dtype === 'float32' ? 1e38 : 1e307)) return Infinity;
  return r(Math.log1p(v));
}

/** sigmoid_kernel (cpu/UnaryOpsKernel.cpp): 1 / (1 + exp(-x)). */
export function sigmoid(x: number, r: Round): number {
  return r(1 / r(1 + r(Math.exp(-x))));
}

/**
 * ATen's float sum (aten/src/ATen/native/cpu/SumKernel.cpp, cascade_sum) over one contiguous row:
 * the accumulator has the input's dtype, so float32 sums round after every add, in this order.
 * A row of at least one vector (`lanes` elements) is summed lane by lane (vectorized_inner_sum),
 * then the scalar tail, then the lanes; a shorter row goes through row_sum directly.
 */
export function atenRowSum(values: ArrayLike<number>, offset: number, length: number, lanes: number, r: Round): number {
  if (length < lanes) return rowSum((i) => values[offset + i]!, length, r);
  const vectors = Math.floor(length / lanes);
  let total = 0;
  for (let k = vectors * lanes; k < length; k++) total = r(total + values[offset + k]!);
  for (let lane = 0; lane < lanes; lane++) {
    total = r(total + rowSum((v) => values[offset + v * lanes + lane]!, vectors, r));
  }
  return r(0 + total); // CastStoreAccumulate: the output was zero-filled, then += (so -0 becomes +0)
}

/** row_sum: four interleaved partial sums (ILP), the tail into the first, then combined. */
function rowSum(load: (i: number) => number, size: number, r: Round): number {
  const ilp = 4;
  const rows = Math.floor(size / ilp);
  const partial = multiRowSum((i, k) => load(i * ilp + k), rows, ilp, r);
  for (let i = rows * ilp; i < size; i++) partial[0] = r(partial[0]! + load(i));
  for (let k = 1; k < ilp; k++) partial[0] = r(partial[0]! + partial[k]!);
  return partial[0]!;
}

/** multi_row_sum: a 4-level cascade over chunks of 2^level_power rows, nrows sums at once. */
function multiRowSum(load: (i: number, k: number) => number, size: number, nrows: number, r: Round): number[] {
  const levels = 4;
  const levelPower = Math.max(4, Math.floor(ceilLog2(size) / levels));
  const levelStep = 2 ** levelPower;
  const levelMask = levelStep - 1;
  const acc = Array.from({ length: levels }, () => new Array<number>(nrows).fill(0));
  let i = 0;
  while (i + levelStep <= size) {
    for (let j = 0; j < levelStep; j++, i++) {
      for (let k = 0; k < nrows; k++) acc[0]![k] = r(acc[0]![k]! + load(i, k));
    }
    for (let j = 1; j < levels; j++) {
      for (let k = 0; k < nrows; k++) {
        acc[j]![k] = r(acc[j]![k]! + acc[j - 1]![k]!);
        acc[j - 1]![k] = 0;
      }
      if ((i & (levelMask * 2 ** (j * levelPower))) !== 0) break;
    }
  }
  for (; i < size; i++) {
    for (let k = 0; k < nrows; k++) acc[0]![k] = r(acc[0]![k]! + load(i, k));
  }
  for (let j = 1; j < levels; j++) {
    for (let k = 0; k < nrows; k++) acc[0]![k] = r(acc[0]![k]! + acc[j]![k]!);
  }
  return acc[0]!;
}

/** c10 utils::CeilLog2: ceil(log2(x)), 0 for x <= 1. */
function ceilLog2(x: number): number {
  return x <= 1 ? 0 : Math.ceil(Math.log2(x));
}

/** Tensor.sum() of a contiguous tensor: one row. */
export function sum(values: ArrayLike<number>, lanes: number, r: Round): number {
  return atenRowSum(values, 0, values.length, lanes, r);
}

/** Tensor.mean() on CPU: sum, then div_ by the count (NaN for an empty tensor, as torch). */
export function mean(values: ArrayLike<number>, lanes: number, r: Round): number {
  return r(sum(values, lanes, r) / values.length);
}
