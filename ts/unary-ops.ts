// ATen's exp, log and xlogy tensor ops on one element, as the CPU kernels compute them.
//
// at::exp / at::log run every element through Vectorized<scalar_t>::exp() / log() (vec::map
// loads the tail as a partial vector): SLEEF's u10 functions under ATEN_CPU_CAPABILITY avx2 and
// avx512, std::exp / std::log (glibc) under 'default'. at::xlogy's CPU kernel is scalar
// (BinaryOpsKernel.cpp xlogy_kernel: NaN if y is NaN, 0 if x == 0, else x * std::log(y)), so it
// takes glibc's logf under every capability. Measured with torch 1.7, 1.13, 2.6 and 2.14 (avx2 and
// default; avx512 cannot run here and is taken to be SLEEF's 16-lane functions, the same algorithm).
// float64 uses Math.exp / Math.log, within 1 ULP of SLEEF's and glibc's double functions.

import { glibcExpf, glibcLogf, sleefExpf, sleefLog1pfBounded, sleefLog1pfOverflowing, sleefLogf } from './libm.ts';
import type { DType } from './tensor.ts';
import type { CpuCapability, TorchRelease } from './torch-version.ts';

export type UnaryOp = (x: number) => number;

const identityExp: UnaryOp = Math.exp;
const identityLog: UnaryOp = Math.log;
const identityLog1p: UnaryOp = Math.log1p;

/** at::exp on one element of a tensor of `dtype` under `capability`. */
export function expOp(dtype: DType, capability: CpuCapability): UnaryOp {
  if (dtype === 'float64') return identityExp;
  return capability === 'default' ? glibcExpf : sleefExpf;
}

/** at::log on one element of a tensor of `dtype` under `capability`. */
export function logOp(dtype: DType, capability: CpuCapability): UnaryOp {
  if (dtype === 'float64') return identityLog;
  return capability === 'default' ? glibcLogf : sleefLogf;
}

/**
 * at::log1p (Vectorized<float>::log1p) on one float32 element under avx2 / avx512: SLEEF's
 * log1pf (../libm.ts sleefLog1pf; the bundled or system SLEEF before 3.8, torch before 2.8
 * (Debian's 2.6: 3.6.1), inf above 1e38; 3.8 on (Debian's 2.14: 3.9.0), logf there). float64 and
 * 'default' (std::log1p: glibc's log1pf, not ported) take Math.log1p, rounded by the caller.
 * (sleefLog1pOverflows is false before 2.0, where SLEEF 3.5 overflowed too: no loss passes log1p
 * an argument above 1 there.)
 */
export function log1pOp(dtype: DType, capability: CpuCapability, torch: TorchRelease): UnaryOp {
  if (dtype === 'float64' || capability === 'default') return identityLog1p;
  return torch.sleefLog1pOverflows ? sleefLog1pfOverflowing : sleefLog1pfBounded;
}

/** The exp, log and log1p of ATen's vectorized log_sigmoid kernel (Activation.cpp log_sigmoid_cpu_kernel). */
export interface LogSigmoidMath {
  readonly exp: UnaryOp;
  readonly log: UnaryOp;
  readonly log1p: UnaryOp;
}

/** V8's Math.exp / log / log1p: float64, and float32 under 'default' (where glibc's log1pf is not ported). */
export const V8_MATH: LogSigmoidMath = Object.freeze({ exp: identityExp, log: identityLog, log1p: identityLog1p });
const SLEEF_MATH_OVERFLOWING: LogSigmoidMath = Object.freeze({ exp: sleefExpf, log: sleefLogf, log1p: sleefLog1pfOverflowing });
const SLEEF_MATH: LogSigmoidMath = Object.freeze({ exp: sleefExpf, log: sleefLogf, log1p: sleefLog1pfBounded });

/**
 * log_sigmoid's math for `dtype` under `capability`: every element runs through Vectorized<float>
 * (the tail as a partial vector), so under avx2 / avx512 SLEEF's expf, logf and log1pf; V8's
 * otherwise (float64; 'default', unchanged).
 */
export function logSigmoidMath(dtype: DType, capability: CpuCapability, torch: TorchRelease): LogSigmoidMath {
  if (dtype === 'float64' || capability === 'default') return V8_MATH;
  return torch.sleefLog1pOverflows ? SLEEF_MATH_OVERFLOWING : SLEEF_MATH;
}

/** Elements per Vectorized<scalar_t> in ATen's elementwise kernels: 32-byte vectors, 64-byte under AVX-512. */
export function elementLanes(dtype: DType, capability: CpuCapability): number {
  return (capability === 'avx512' ? 64 : 32) / (dtype === 'float32' ? 4 : 8);
}

/**
 * input.sigmoid() of a contiguous tensor of n elements, cpu/UnaryOpsKernel.cpp sigmoid_kernel: a
 * cpu_kernel_vec whose vectorized lambda, 1 / (1 + at::exp(0 - x)), runs 2 * lanes elements at a
 * time up to vectorEnd, and whose scalar lambda, 1 / (1 + std::exp(-x)), runs the rest (glibc's
 * expf for float32; Math.exp for float64 in both).
 */
export function sigmoidExps(dtype: DType, capability: CpuCapability, n: number): { vectorEnd: number; vector: UnaryOp; scalar: UnaryOp } {
  const block = 2 * elementLanes(dtype, capability);
  // the scalar lambda's std::exp is what 'default' runs everywhere
  return { vectorEnd: n - (n % block), vector: expOp(dtype, capability), scalar: expOp(dtype, 'default') };
}

/** std::log in a scalar kernel (xlogy): glibc's logf for float32. */
export function scalarLogOp(dtype: DType): UnaryOp {
  return dtype === 'float64' ? identityLog : glibcLogf;
}

/** xlogy(x, x), as xlogy_kernel computes it, with `log` from scalarLogOp and `r` the dtype's rounding. */
export function xlogx(x: number, log: UnaryOp, r: (v: number) => number): number {
  if (x !== x) return NaN;
  if (x === 0) return 0;
  return r(x * log(x));
}
