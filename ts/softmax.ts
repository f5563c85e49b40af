// log_softmax and its backward over one dimension, as ATen's CPU kernels compute them.
//
// The tensor is viewed as (outer, dim, inner), contiguous. aten/src/ATen/native/SoftMax.cpp
// log_softmax_cpu_out dispatches on whether `dim` is the last dimension:
//
// - last dim: cpu/SoftMaxKernel.cpp _vec_log_softmax_lastdim, per row of `dim` values, with
//   Vectorized<float> of L lanes (8 under avx2 and default, 16 under avx512; 4 / 8 for double):
//     max = vec::reduce_all(maximum)         the row in vectors, the tail in the first lanes,
//     sum = vec::map_reduce_all(exp(x - max), +)      then the lanes folded (foldLanes)
//     out = x - max - log(sum)               (in this order: pytorch#11752)
//   backward _vec_host_softmax_backward_lastdim: s = vec::reduce_all(+, grad);
//     grad_input = grad - exp(output) * s.
// - other dims, before torch.logSoftmaxInnerVectorized (forward) / logSoftmaxBackwardInnerVectorized
//   (backward): SoftMax.cpp host_softmax, per (outer, inner) column, scalar, a double accumulator
//   (acc_type<float, false>): max = std::max fold (a NaN wins only first); sum(double) +=
//   std::exp(x - max); out = x - max - std::log(sum); host_softmax_backward: s(double) += grad;
//   grad_input = grad - std::exp(output) * s.
//   From then on _vec_logsoftmax / _vec_log_softmax_backward, vectorized across `inner` (a float
//   accumulator per column; columns past the last full vector of L are a scalar tail, std::exp):
//     max = blendv(max, x, x > max) from -inf (NaN never wins); sum += exp(x - max); log(sum).
//
// exp / log are the kernel's (./libm.ts): SLEEF's under avx2 / avx512, glibc's (std::) under
// 'default' and in the scalar tails. vec_reduce_all folds the L lanes in order, ((a0 + a1) + a2)
// ..., before torch.vecReduceAllPairwise and always for double and 'default'; after it avx2 /
// avx512 fold float lanes pairwise (VecReduceAllSIMD: lane i with lane i ^ L/2, then i ^ L/4, ...
// 1). Rows shorter than L fold in order everywhere. The avx2 / avx512 builds contract the
// vectorized backwards' grad - exp(output) * s into one fused multiply-add (fusedBackward).
// All of this is measured bit for bit on float32 against torch 1.7, 1.13, 2.6 and 2.14 under avx2
// and default. Under avx512 the kernels run 16 float lanes where the release has AVX-512 builds of
// them (torch.avx512Kernels, from 1.10; 1.7 runs its avx2 kernels): from the source, unverified
// (no AVX-512 CPU here).
// float64 uses Math.exp / Math.log (SLEEF's and glibc's double exp / log are not ported): within
// a few ULP.
// float32 over the last dim (rows of at least L values) runs as WebAssembly SIMD
// (./wasm/assembly/kernels.ts logSoftmaxRows, logSoftmaxBackwardRows: the same ops and lane order,
// SLEEF's / glibc's exp and log and the backward's FMA bit for bit; rows four at a time, one vector
// log for the four; SLEEF's exp without its range cases where the row's min and max put every
// argument within [-87, 0]: the same floats); float64 over the last dim (4 or
// 8 lanes) as f64x2 (./wasm/assembly/float64.ts logSoftmaxRows64, logSoftmaxBackwardRows64, and as
// float32 the picked values and nll_loss's fused backward: logSoftmaxRowsPicked64,
// logSoftmaxNllBackwardRows64; these loops' operations, Math.exp and Math.log included, bit for bit
// under 'default'; under avx2 / avx512 their exp is SLEEF's double exp, torch's, within a few ULP of
// these loops' Math.exp: test/wasm-float64.test.ts).

import { fma32, glibcExpf, glibcLogf, sleefExpf, sleefLogf } from './libm.ts';
import { allocate, type DType, type FloatArray } from './tensor.ts';
import type { CpuCapability, TorchRelease } from './torch-version.ts';
import { kernelsFor, type Flag, type Float32Kernels } from './wasm/float32-kernels.ts';
import { float64Kernels, type Float64Kernels } from './wasm/float64-kernels.ts';
import { kernelsEnabled } from './wasm/kernel-switch.ts';

/** How the kernels run for one call: derived from the dtype, release and CPU capability. */
export interface SoftmaxKernel {
  readonly dtype: DType;
  /** Vectorized<scalar_t>::size(): 8 float / 4 double lanes (avx2, default), 16 / 8 (avx512). */
  readonly lanes: number;
  /** Vectorized exp / log are SLEEF's (avx2, avx512) rather than std:: ('default'). */
  readonly sleef: boolean;
  /** vec_reduce_all folds the lanes pairwise (else in order). */
  readonly pairwise: boolean;
  /** The forward over a non-last dim is _vec_logsoftmax (else host_softmax, double accumulator). */
  readonly innerVectorized: boolean;
  /** The backward over a non-last dim is _vec_log_softmax_backward (else host_softmax_backward). */
  readonly backwardInnerVectorized: boolean;
  /**
   * The vectorized backwards' grad - exp(output) * sum is one fused multiply-add: the avx2 / avx512
   * kernels are built with -mfma and contract it (seen in 1.7 through 2.14); 'default' does not.
   */
  readonly fusedBackward: boolean;
}

export function softmaxKernel(dtype: DType, torch: TorchRelease, capability: CpuCapability): SoftmaxKernel {
  const simd = capability !== 'default';
  return {
    dtype,
    lanes: (dtype === 'float32' ? 8 : 4) * (capability === 'avx512' && torch.avx512Kernels ? 2 : 1),
    sleef: simd,
    pairwise: simd && dtype === 'float32' && torch.vecReduceAllPairwise,
    innerVectorized: torch.logSoftmaxInnerVectorized,
    backwardInnerVectorized: torch.logSoftmaxBackwardInnerVectorized,
    fusedBackward: simd,
  };
}

const fr = Math.fround;
const id = (x: number) => x;
const lanesAcc = new Float64Array(16);

/** vec::maximum: NaN if either is NaN, else a > b ? a : b (so max(+0, -0) is -0, the second). */
function vmax(a: number, b: number): number {
  return a !== a || b !== b ? NaN : a > b ? a : b;
}

/**
 * vec_reduce_all over the L accumulator lanes: pairwise (lane i with lane i ^ k for k = L/2 .. 1,
 * the lane's own value first) or in order.
 */
function foldLanes(L: number, pairwise: boolean, add: boolean, r: (x: number) => number): number {
  const a = lanesAcc;
  if (pairwise) {
    for (let k = L >> 1; k >= 1; k >>= 1) {
      // every lane becomes f(v[i], v[i ^ k]); only lane 0's chain is read at the end, but the
      // lanes it reads were computed from their own partners, so compute all of 0 .. 2k.
      for (let i = 0; i < k; i++) {
        const x = a[i]!;
        const y = a[i + k]!;
        a[i] = add ? r(x + y) : vmax(x, y);
      }
    }
    return a[0]!;
  }
  let acc = a[0]!;
  for (let i = 1; i < L; i++) acc = add ? r(acc + a[i]!) : vmax(acc, a[i]!);
  return acc;
}

/** vec::reduce_all(maximum) over x[off .. off + n). */
function rowMax(x: FloatArray, off: number, n: number, L: number, pairwise: boolean): number {
  if (n < L) {
    let acc = x[off]!;
    for (let i = 1; i < n; i++) acc = vmax(acc, x[off + i]!);
    return acc;
  }
  const a = lanesAcc;
  for (let l = 0; l < L; l++) a[l] = x[off + l]!;
  const full = n - (n % L);
  let d = L;
  for (; d < full; d += L) for (let l = 0; l < L; l++) a[l] = vmax(a[l]!, x[off + d + l]!);
  for (let l = 0; d + l < n; l++) a[l] = vmax(a[l]!, x[off + d + l]!);
  return foldLanes(L, pairwise, false, id);
}

/** vec::reduce_all(+) over x[off .. off + n). */
function rowSum(x: FloatArray, off: number, n: number, L: number, pairwise: boolean, r: (v: number) => number): number {
  if (n < L) {
    let acc = x[off]!;
    for (let i = 1; i < n; i++) acc = r(acc + x[off + i]!);
    return acc;
  }
  const a = lanesAcc;
  for (let l = 0; l < L; l++) a[l] = x[off + l]!;
  const full = n - (n % L);
  let d = L;
  for (; d < full; d += L) for (let l = 0; l < L; l++) a[l] = r(a[l]! + x[off + d + l]!);
  for (let l = 0; d + l < n; l++) a[l] = r(a[l]! + x[off + d + l]!);
  return foldLanes(L, pairwise, true, r);
}

/** vec::map_reduce_all(exp(x - max), +) over x[off .. off + n). */
function rowExpSum(
  x: FloatArray,
  off: number,
  n: number,
  L: number,
  pairwise: boolean,
  r: (v: number) => number,
  max: number,
  exp: (v: number) => number,
): number {
  if (n < L) {
    let acc = exp(r(x[off]! - max));
    for (let i = 1; i < n; i++) acc = r(acc + exp(r(x[off + i]! - max)));
    return acc;
  }
  const a = lanesAcc;
  for (let l = 0; l < L; l++) a[l] = exp(r(x[off + l]! - max));
  const full = n - (n % L);
  let d = L;
  for (; d < full; d += L) for (let l = 0; l < L; l++) a[l] = r(a[l]! + exp(r(x[off + d + l]! - max)));
  for (let l = 0; d + l < n; l++) a[l] = r(a[l]! + exp(r(x[off + d + l]! - max)));
  return foldLanes(L, pairwise, true, r);
}

function mathFor(k: SoftmaxKernel) {
  if (k.dtype === 'float64') return { r: id, vexp: Math.exp, vlog: Math.log, sexp: Math.exp };
  return {
    r: fr,
    vexp: k.sleef ? sleefExpf : glibcExpf,
    vlog: k.sleef ? sleefLogf : glibcLogf,
    sexp: glibcExpf, // std::exp in scalar tails
  };
}

/** The float32 kernels for a last-dim log_softmax (or backward) of rows of `dim`, and their flags; else null. */
function rowKernels(k: SoftmaxKernel, dim: number, lastDim: boolean, backward: boolean): { kernels: Float32Kernels; flags: Flag[] } | null {
  if (k.dtype !== 'float32' || !lastDim || dim < k.lanes || (k.lanes !== 8 && k.lanes !== 16)) return null;
  const kernels = kernelsFor('float32');
  if (!kernels) return null;
  const flags: Flag[] = [];
  if (k.pairwise) flags.push('SOFTMAX_PAIRWISE');
  if (k.lanes === 16) flags.push('SOFTMAX_LANES16');
  if (!k.sleef) flags.push('USES_GLIBC');
  if (backward && k.fusedBackward) flags.push('SOFTMAX_FUSED');
  return { kernels, flags };
}

/** The float64 kernels for a last-dim log_softmax (or backward), lanes folded in order (as doubles always are), else null. */
function rowKernels64(k: SoftmaxKernel, lastDim: boolean): Float64Kernels | null {
  return k.dtype === 'float64' && lastDim && !k.pairwise && kernelsEnabled() ? float64Kernels() : null;
}

/** log_softmax of a contiguous (outer, dim, inner) tensor over `dim`; `lastDim`: no dimension follows it. */
export function logSoftmax(x: FloatArray, outer: number, dim: number, inner: number, lastDim: boolean, k: SoftmaxKernel): FloatArray {
  const fast = x instanceof Float32Array ? rowKernels(k, dim, lastDim, false) : null;
  const byKernel = fast?.kernels.logSoftmaxRows(x as Float32Array, outer, dim, fast.flags);
  if (byKernel) return byKernel;
  const byKernel64 =
    x instanceof Float64Array && x.length > 0 ? rowKernels64(k, lastDim)?.logSoftmaxRows(x, outer, dim, k.lanes, !k.sleef) : null;
  if (byKernel64) return byKernel64;
  const out = allocate(k.dtype, x.length);
  if (x.length === 0) return out;
  const { r, vexp, vlog, sexp } = mathFor(k);
  const L = k.lanes;
  if (lastDim) {
    for (let row = 0; row < outer; row++) {
      const off = row * dim;
      const max = rowMax(x, off, dim, L, k.pairwise);
      const lse = vlog(rowExpSum(x, off, dim, L, k.pairwise, r, max, vexp));
      for (let i = off; i < off + dim; i++) out[i] = r(r(x[i]! - max) - lse);
    }
    return out;
  }
  const maxes = new Float64Array(inner);
  const sums = new Float64Array(inner);
  const stride = dim * inner;
  if (!k.innerVectorized) {
    // host_softmax: std::max (keeps the first operand unless it is less), double sum, std::log.
    for (let o = 0; o < outer; o++) {
      const base = o * stride;
      for (let j = 0; j < inner; j++) {
        let max = x[base + j]!;
        for (let d = 1; d < dim; d++) {
          const v = x[base + d * inner + j]!;
          if (max < v) max = v;
        }
        let sum = 0;
        for (let d = 0; d < dim; d++) sum += sexp(r(x[base + d * inner + j]! - max));
        const lse = Math.log(sum);
        for (let d = 0; d < dim; d++) {
          const i = base + d * inner + j;
          out[i] = r(r(x[i]! - max) - lse);
        }
      }
    }
    return out;
  }
  // _vec_logsoftmax: columns j < vectorEnd go through Vectorized exp, the rest through std::exp.
  const vectorEnd = inner - (inner % L);
  for (let o = 0; o < outer; o++) {
    const base = o * stride;
    maxes.fill(-Infinity);
    sums.fill(0);
    for (let d = 0; d < dim; d++) {
      const row = base + d * inner;
      for (let j = 0; j < inner; j++) {
        const v = x[row + j]!;
        if (v > maxes[j]!) maxes[j] = v;
      }
    }
    for (let d = 0; d < dim; d++) {
      const row = base + d * inner;
      for (let j = 0; j < inner; j++) {
        const e = (j < vectorEnd ? vexp : sexp)(r(x[row + j]! - maxes[j]!));
        sums[j] = r(sums[j]! + e);
      }
    }
    for (let j = 0; j < inner; j++) sums[j] = vlog(sums[j]!);
    for (let d = 0; d < dim; d++) {
      const row = base + d * inner;
      for (let j = 0; j < inner; j++) out[row + j] = r(r(x[row + j]! - maxes[j]!) - sums[j]!);
    }
  }
  return out;
}

/**
 * For class-index targets over the last dim: of log_softmax(x), only each row's value at its target
 * (targets[row], where in [0, dim)) written into into[row] (`outer` values, `into` of x's dtype), by
 * the float32 or float64 kernels (into[row] of a row without one untouched); false, with nothing
 * written, where they do not run (then compute logSoftmax).
 */
export function logSoftmaxAt(
  x: FloatArray,
  outer: number,
  dim: number,
  lastDim: boolean,
  k: SoftmaxKernel,
  targets: Int32Array,
  into: FloatArray,
): boolean {
  if (targets.length !== outer) return false;
  if (x instanceof Float64Array && into instanceof Float64Array) {
    return x.length > 0 && (rowKernels64(k, lastDim)?.logSoftmaxRowsAt(x, outer, dim, k.lanes, targets, into, !k.sleef) ?? false);
  }
  const fast = x instanceof Float32Array && into instanceof Float32Array ? rowKernels(k, dim, lastDim, false) : null;
  return fast?.kernels.logSoftmaxRowsAt(x as Float32Array, outer, dim, fast.flags, targets, into as Float32Array) ?? false;
}

/** logSoftmaxBackward(grad, logSoftmax(x)): the float32 and float64 kernels keep the forward's output in the module. */
export function logSoftmaxBackwardOfInput(
  grad: FloatArray,
  x: FloatArray,
  outer: number,
  dim: number,
  inner: number,
  lastDim: boolean,
  k: SoftmaxKernel,
): FloatArray {
  const fast = grad instanceof Float32Array && x instanceof Float32Array ? rowKernels(k, dim, lastDim, true) : null;
  const byKernel = fast?.kernels.logSoftmaxBackwardOfInputRows(grad as Float32Array, x as Float32Array, outer, dim, fast.flags);
  if (byKernel) return byKernel;
  const byKernel64 =
    grad instanceof Float64Array && x instanceof Float64Array && x.length > 0
      ? rowKernels64(k, lastDim)?.logSoftmaxBackwardOfInputRows(grad, x, outer, dim, k.lanes, !k.sleef)
      : null;
  if (byKernel64) return byKernel64;
  return logSoftmaxBackward(grad, logSoftmax(x, outer, dim, inner, lastDim, k), outer, dim, inner, lastDim, k);
}

/** Whether logSoftmaxNllBackward runs (the float32 kernels, last dim, at least the kernel's lanes; the float64 ones, last dim, dim >= 1). */
export function logSoftmaxNllBackwardRuns(k: SoftmaxKernel, dim: number, lastDim: boolean): boolean {
  if (k.dtype === 'float64') return dim >= 1 && rowKernels64(k, lastDim) !== null && (k.lanes === 4 || k.lanes === 8);
  return rowKernels(k, dim, lastDim, true) !== null;
}

/**
 * logSoftmaxBackwardOfInput(grad, x) for a grad (of x's dtype) that is +0 but at one column per
 * row (of the last dim): vals[row] at cols[row], -1 for none (nll_loss's gradient of class-index
 * targets), through the float32 or float64 kernels without materializing it: the same values; null
 * where they do not run (then materialize it and call logSoftmaxBackwardOfInput).
 */
export function logSoftmaxNllBackward(
  x: FloatArray,
  cols: Int32Array,
  vals: FloatArray,
  outer: number,
  dim: number,
  lastDim: boolean,
  k: SoftmaxKernel,
): FloatArray | null {
  if (cols.length !== outer) return null;
  if (x instanceof Float64Array && vals instanceof Float64Array) {
    return x.length > 0
      ? (rowKernels64(k, lastDim)?.logSoftmaxNllBackwardRows(x, cols, vals, outer, dim, k.lanes, !k.sleef) ?? null)
      : null;
  }
  const fast = x instanceof Float32Array && vals instanceof Float32Array ? rowKernels(k, dim, lastDim, true) : null;
  return fast?.kernels.logSoftmaxNllBackwardRows(x as Float32Array, cols, vals as Float32Array, outer, dim, fast.flags) ?? null;
}

/** d log_softmax: grad - exp(output) * sum(grad) over `dim`, for gradient `grad` of the output. */
export function logSoftmaxBackward(
  grad: FloatArray,
  output: FloatArray,
  outer: number,
  dim: number,
  inner: number,
  lastDim: boolean,
  k: SoftmaxKernel,
): FloatArray {
  const fast = grad instanceof Float32Array && output instanceof Float32Array ? rowKernels(k, dim, lastDim, true) : null;
  const byKernel = fast?.kernels.logSoftmaxBackwardRows(grad as Float32Array, output as Float32Array, outer, dim, fast.flags);
  if (byKernel) return byKernel;
  const byKernel64 =
    grad instanceof Float64Array && output instanceof Float64Array && output.length > 0
      ? rowKernels64(k, lastDim)?.logSoftmaxBackwardRows(grad, output, outer, dim, k.lanes, !k.sleef)
      : null;
  if (byKernel64) return byKernel64;
  const gi = allocate(k.dtype, output.length);
  if (output.length === 0) return gi;
  const { r, vexp, sexp } = mathFor(k);
  const L = k.lanes;
  if (lastDim) {
    for (let row = 0; row < outer; row++) {
      const off = row * dim;
      const s = rowSum(grad, off, dim, L, k.pairwise, r);
      if (k.fusedBackward && k.dtype === 'float32') for (let i = off; i < off + dim; i++) gi[i] = fma32(-vexp(output[i]!), s, grad[i]!);
      else for (let i = off; i < off + dim; i++) gi[i] = r(grad[i]! - r(vexp(output[i]!) * s));
    }
    return gi;
  }
  const stride = dim * inner;
  if (!k.backwardInnerVectorized) {
    for (let o = 0; o < outer; o++) {
      const base = o * stride;
      for (let j = 0; j < inner; j++) {
        let s = 0;
        for (let d = 0; d < dim; d++) s += grad[base + d * inner + j]!;
        for (let d = 0; d < dim; d++) {
          const i = base + d * inner + j;
          gi[i] = r(grad[i]! - sexp(output[i]!) * s);
        }
      }
    }
    return gi;
  }
  const sums = new Float64Array(inner);
  const vectorEnd = inner - (inner % L);
  for (let o = 0; o < outer; o++) {
    const base = o * stride;
    sums.fill(0);
    for (let d = 0; d < dim; d++) {
      const row = base + d * inner;
      for (let j = 0; j < inner; j++) sums[j] = r(sums[j]! + grad[row + j]!);
    }
    for (let d = 0; d < dim; d++) {
      const row = base + d * inner;
      for (let j = 0; j < inner; j++) {
        const i = row + j;
        const e = (j < vectorEnd ? vexp : sexp)(output[i]!);
        gi[i] = k.fusedBackward && k.dtype === 'float32' ? fma32(-e, sums[j]!, grad[i]!) : r(grad[i]! - r(e * sums[j]!));
      }
    }
  }
  return gi;
}
