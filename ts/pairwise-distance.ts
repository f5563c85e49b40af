// F.pairwise_distance(x1, x2, p, eps, keepdim) / nn.PairwiseDistance, forward and backward, per release.
//
// aten/src/ATen/native/Distance.cpp pairwise_distance:
//   diff = x1 - x2 + eps          (two float ops: the difference rounded, then + eps as a wrapped
//                                  number, i.e. eps rounded to the dtype; x1 and x2 broadcast; the
//                                  dtype is their promotion, and so is everything after it)
//   norm(diff, p, dim, keepdim)   dim = the broadcast shape's last dim (torch >= 1.11, pytorch#64882:
//                                  "innermost_dim"); before, dim 1 (1-D / 0-d inputs raise IndexError
//                                  "Dimension out of range", a 3-D input reduces dim 1).
// at::norm runs aten/src/ATen/native/cpu/ReduceOpsKernel.cpp norm_kernel_tensor_iterator_impl (from
// torch 2.0, at::norm is linalg_vector_norm underneath: same kernel, its own empty-dim errors):
//   p == 2 over a contiguous last dim (normTwoLastDimVectorized; float64 normTwoLastDimVectorizedDouble):
//          binary_kernel_reduce_lastdim's loop, Vectorized lanes (8 float32 / 4 float64; 16 / 8 where
//          the release runs AVX-512 builds of the kernel, as sumLanes) accumulating x * x (a product
//          then a sum, each rounded; one fused multiply-add in Debian's 1.13, normTwoLanesFused), the
//          lanes folded into lane 0 in order, then the scalar tail added to lane 0: whole groups of 4
//          squares as plain products, the last (tail % 4) fused (as GCC compiled the loop; measured
//          in 1.13, 2.6 and 2.14 on rows of 3 to 23 elements; not under 'default'), then sqrt.
//   otherwise binary_kernel_reduce, one accumulator of the dtype (acc_t = float for float), the
//   reduced elements in order:
//     p == 0: acc + (x == 0 ? 0 : 1);  p == 1: acc + |x|;  p == 2: fma(x, x, acc) (GCC contracts it), sqrt;
//     p == inf: max(acc, |x|) from 0;  p == -inf: min(acc, |x|) from inf (NaN-propagating; 1.7 starts
//       at FLT_MIN / FLT_MAX, normMaxFromSmallestNormal);
//     other p: acc + pow(|x|, p), then pow(acc, 1 / p)   (powf for float, glibc's pow for double:
//       ./libm-pow.ts; p a C float until 2.0, normKernelFloatP: float(p) for float64 too).
//   an empty reduced dim gives 0; linalg.vector_norm (>= 2.0) raises for p < 0 / inf there, and
//   returns |x| for a reduced dim of size 1 (vectorNormOfOneIsAbs; not for a 0-d input).
// Measured (test/pairwise-distance.test.ts, fixtures from torch 1.7, 1.13, 2.6 and 2.14, AVX2; values
// spread over 8 orders of magnitude): float32 bit-exact for p = 2, 1, inf, -inf, 0 and nearly always
// for powf-based p (1 ULP at most: V8's pow rounded vs glibc's powf); float64 bit-exact for pow-based
// p too since glibc's pow is ported (V8's ** was a few ULP off, which d(a, p) - d(a, n) in
// triplet_margin_loss amplified to 5e-7 relative: fuzz seed 132393275). Unmeasured: 'default' and
// 'avx512' (from the source).
// Backward: norm_backward (torch/csrc/autograd/FunctionsManual.cpp), grad and norm unsqueezed at dim
// (unless keepdim), then per release (normBackwardMaskedTwo: the >= 1.10 form):
//   p == 0: zeros;  p == 1: sgn(x) * g;
//   p == 2: g * (x / n).masked_fill_(n == 0, 0)                       (before: x * (g / n masked));
//   p == inf: mask = |x| == n or isnan(|x|); sgn(x) * ((g / mask.sum(dim)) * mask)   (before: sign(x) * (|x| == n) * (g masked));
//   p < 1:  (sgn(x) * |x|^(p-1) masked_fill(x == 0, 0)) * g * n^(1-p)  (before: as 1 <= p < 2);
//   p < 2:  (sgn(x) * |x|^(p-1)) * (g / n^(p-1) masked_fill(n == 0, 0));
//   p > 2:  (x * |x|^(p-2)) * (g / n^(p-1) masked_fill(n == 0, 0));
//   each ^ is Tensor.pow(Scalar): sqrt, rsqrt, reciprocal, x * x, x * x * x, 1 / (x * x) for the exponents
//   0.5, -0.5, -1, 2, 3, -2 (pow_tensor_scalar_kernel), else pow (SLEEF's powf in the vectorized
//   body, std::pow for a tail: within 1 ULP of the port's, so the gradients for such p agree to
//   assert_close's tolerance, not bit for bit).
// then the sub's gradients: x1's is the result summed to x1's shape, x2's its negation summed to
// x2's (autograd's sum_to, ../sum-to.ts), each in the difference's dtype and then cast to its
// operand's (the engine's validate_outputs: a float32 x1 of a float64 x2 gets the float64 difference,
// norm and gradient, rounded once to float32 at the end; measured in 1.7, 1.13, 2.6 and 2.14).
// float32 p = 2 over the vectorized last dim (torch >= 1.11) runs as WebAssembly SIMD where it can
// (./wasm/distance.ts: the forward's norms, and the backward of operands of one shape), the same
// floats as these loops, which stay the reference and run everything else; float64 p = 2 over the
// last dim likewise (float64NormRule: the serial fma chain before 2.0, two rows per f64x2, and the
// 2.x lanes; fma64's Dekker split and two-sum op for op).

import { broadcastShapes, expandTo, inferSizeMismatch } from './broadcast.ts';
import { fma32, fma64 } from './libm.ts';
import { glibcPow } from './libm-pow.ts';
import { useDType, type Round } from './numerics.ts';
import { makeTensor } from './reduction.ts';
import { atenSumTo } from './sum-to.ts';
import {
  LossArgumentError,
  allocate,
  checkElementCount,
  checkTensor,
  formatShape,
  numel,
  type DType,
  type FloatArray,
  type Tensor,
} from './tensor.ts';
import { CPU_CAPABILITIES, sumLanes, torchRelease, type CpuCapability, type TorchRelease } from './torch-version.ts';
import { distanceKernels, distanceKernels64, type NormRule, type NormRule64 } from './wasm/distance.ts';

export interface PairwiseDistanceOptions {
  /** The norm degree (default 2). */
  p?: number;
  /** Added to x1 - x2 before the norm (default 1e-6). */
  eps?: number;
  /** Keep the reduced last dim as size 1 (default false). */
  keepdim?: boolean;
  torchVersion?: string;
  cpuCapability?: CpuCapability;
}

/** x1 - x2 + eps, broadcast, and where its norm reduces. */
export interface NormPlan {
  /** x1 - x2's dtype: the promotion of x1's and x2's (every op of the distance runs in it). */
  readonly dtype: DType;
  /** x1's and x2's own dtypes: the engine casts each operand's gradient to it. */
  readonly d1: DType;
  readonly d2: DType;
  readonly round: Round;
  readonly torch: TorchRelease;
  readonly capability: CpuCapability;
  readonly p: number;
  /** The difference (broadcast shape `full`), rounded to the dtype; empty when planned with `forwardOnly` and the norm fused it. */
  readonly diff: Float64Array;
  readonly full: readonly number[];
  readonly dim: number;
  /** Elements before, along and after the reduced dim. */
  readonly outer: number;
  readonly size: number;
  readonly inner: number;
  readonly outShape: readonly number[];
  /** The norm per output element (outer * inner), rounded to the dtype. */
  readonly norm: Float64Array;
}

const OP = 'pairwiseDistance';

function formatP(p: number): string {
  if (p === Infinity) return 'inf';
  if (p === -Infinity) return '-inf';
  return Number.isInteger(p) ? String(p) : String(p);
}

/** Checks x1, x2 and p, eps, keepdim as torch's Python binding and ATen do; computes diff and its norm. */
export function planPairwiseDistance(
  op: string,
  x1: unknown,
  x2: unknown,
  p: unknown,
  eps: unknown,
  keepdim: unknown,
  torch: TorchRelease,
  capability: CpuCapability,
  names: readonly [string, string] = ['x1', 'x2'],
  forwardOnly = false,
): NormPlan {
  checkTensor(x1, op, names[0]);
  checkTensor(x2, op, names[1]);
  for (const [name, value] of [
    ['p', p],
    ['eps', eps],
  ] as const) {
    if (typeof value !== 'number') {
      throw new LossArgumentError(
        `${op}: ${name} must be a number (torch: argument '${name}' must be float), got ${typeof value}`,
        'TypeError',
      );
    }
  }
  if (typeof keepdim !== 'boolean') {
    throw new LossArgumentError(
      `${op}: keepdim must be a boolean (torch: argument 'keepdim' must be bool), got ${typeof keepdim}`,
      'TypeError',
    );
  }
  const pv = p as number;
  const d1: DType = x1.data instanceof Float64Array ? 'float64' : 'float32';
  const d2: DType = x2.data instanceof Float64Array ? 'float64' : 'float32';
  const dtype: DType = d1 === 'float64' || d2 === 'float64' ? 'float64' : 'float32';
  const full = broadcastShapes(x1.shape, x2.shape);
  if (full === null) throw new LossArgumentError(`${op}: ${inferSizeMismatch(x1.shape, x2.shape)}`);
  checkElementCount(op, 'x1 - x2', full);
  const nd = full.length;
  let dim: number;
  if (torch.pairwiseDistanceInnermostDim) {
    dim = Math.max(nd - 1, 0);
  } else {
    if (nd < 2) {
      const lo = -Math.max(nd, 1);
      throw new LossArgumentError(
        `${op}: Dimension out of range (expected to be in range of [${lo}, ${-lo - 1}], but got 1) (torch ${torch.version} reduces dim 1)`,
        'IndexError',
      );
    }
    dim = 1;
  }
  const size = nd === 0 ? 1 : full[dim]!;
  if (size === 0 && torch.vectorNormRejectsEmpty && (pv < 0 || pv === Infinity)) {
    throw new LossArgumentError(
      `${op}: linalg.vector_norm cannot compute the ${formatP(pv)} norm on the dimension ${dim}because this dimension is empty and the operation does not have an identity`,
    );
  }
  const r = useDType(dtype);
  const epsR = r(eps as number);
  const n = numel(full);
  const a = sameAs(x1.shape, full) ? x1.data : expandTo(x1, full);
  const b = sameAs(x2.shape, full) ? x2.data : expandTo(x2, full);
  let outer = 1;
  for (let i = 0; i < dim; i++) outer *= full[i]!;
  let inner = 1;
  for (let i = dim + 1; i < nd; i++) inner *= full[i]!;
  const outShape = nd === 0 ? [] : keepdim ? full.map((d, i) => (i === dim ? 1 : d)) : full.filter((_, i) => i !== dim);
  // Forward only, float64 rows of the p = 2 norm over the last dim: the WebAssembly loop (../wasm/distance.ts
  // rowNorms64), computeNorms' values, no difference kept.
  if (forwardOnly && n > 0 && dtype === 'float64' && a instanceof Float64Array && b instanceof Float64Array) {
    const rule = float64NormRule(torch, capability, pv, size, nd);
    const kernels = rule && distanceKernels64();
    const norm = new Float64Array(outer * inner);
    if (kernels?.takes64(rule!) && kernels.rowNorms64(a, b, outer, size, epsR, rule!, norm)) {
      const diff = new Float64Array(0);
      return { dtype, d1, d2, round: r, torch, capability, p: pv, diff, full, dim, outer, size, inner, outShape, norm };
    }
  }
  // Forward only, the p = 2 last-dim kernel computes each row's difference as it needs it (the same values).
  const fused = forwardOnly && n > 0 && fusesDiff(dtype, torch, capability, pv, full);
  const diff = new Float64Array(fused ? 0 : n);
  // One loop per dtype (no rounding call per element); the same two rounded ops.
  if (fused) {
    // computed row by row in computeNorms
  } else if (a instanceof Float32Array && b instanceof Float32Array) diff32(a, b, epsR, diff);
  else if (a instanceof Float64Array && b instanceof Float64Array && dtype === 'float64') diff64(a, b, epsR, diff);
  else for (let i = 0; i < n; i++) diff[i] = r(r(a[i]! - b[i]!) + epsR);
  const norm = new Float64Array(outer * inner);
  const plan = { dtype, d1, d2, round: r, torch, capability, p: pv, diff, full, dim, outer, size, inner, outShape, norm };
  computeNorms(plan, fused ? { a, b, eps: epsR } : null);
  return plan;
}

/** Whether computeNorms takes its p = 2 last-dim vectorized path (which can compute the difference row by row). */
function fusesDiff(dtype: DType, torch: TorchRelease, capability: CpuCapability, p: number, full: readonly number[]): boolean {
  const nd = full.length;
  if (!torch.pairwiseDistanceInnermostDim || nd === 0) return false;
  const size = full[nd - 1]!;
  if (size === 0 || (size === 1 && torch.vectorNormOfOneIsAbs)) return false;
  const pk = torch.normKernelFloatP || dtype === 'float32' ? Math.fround(p) : p;
  void capability;
  return pk === 2 && (dtype === 'float32' ? torch.normTwoLastDimVectorized : torch.normTwoLastDimVectorizedDouble);
}

/** x1 - x2 + eps's operands (broadcast to the full shape), for a norm that computes the difference per row. */
interface DiffSource {
  readonly a: ArrayLike<number>;
  readonly b: ArrayLike<number>;
  readonly eps: number;
}

/** Row `o` of x1 - x2 + eps into `row`, as planPairwiseDistance computes the whole difference. */
function diffRow(src: DiffSource, o: number, row: Float64Array, float32: boolean): void {
  const { a, b, eps } = src;
  const size = row.length;
  const base = o * size;
  if (a instanceof Float32Array && b instanceof Float32Array) {
    const fr = Math.fround;
    for (let k = 0; k < size; k++) row[k] = fr(fr(a[base + k]! - b[base + k]!) + eps);
  } else if (a instanceof Float64Array && b instanceof Float64Array && !float32) {
    for (let k = 0; k < size; k++) row[k] = a[base + k]! - b[base + k]! + eps;
  } else if (float32) {
    const fr = Math.fround;
    for (let k = 0; k < size; k++) row[k] = fr(fr(a[base + k]! - b[base + k]!) + eps);
  } else {
    for (let k = 0; k < size; k++) row[k] = a[base + k]! - b[base + k]! + eps;
  }
}

/** (a - b) + eps in float32, each op rounded (one monomorphic loop). */
function diff32(a: Float32Array, b: Float32Array, eps: number, out: Float64Array): void {
  const fr = Math.fround;
  for (let i = 0; i < out.length; i++) out[i] = fr(fr(a[i]! - b[i]!) + eps);
}

/** (a - b) + eps in float64. */
function diff64(a: Float64Array, b: Float64Array, eps: number, out: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = a[i]! - b[i]! + eps;
}

function sameAs(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function nanMax(acc: number, v: number): number {
  return acc !== acc || v !== v ? NaN : acc > v ? acc : v;
}
function nanMin(acc: number, v: number): number {
  return acc !== acc || v !== v ? NaN : acc < v ? acc : v;
}

/**
 * How the float32 p = 2 norm over the last dim (size elements, of an nd-dim difference) runs under
 * `torch` / `capability` in computeNorms' vectorized branch, for ../wasm/distance.ts; null where
 * another loop runs (p not 2 once a C float, before torch 1.11's innermost dim and vectorized loop,
 * an empty dim, 2.x's |x| for a dim of size 1, a 0-d difference).
 */
export function float32NormRule(torch: TorchRelease, capability: CpuCapability, p: number, size: number, nd: number): NormRule | null {
  if (Math.fround(p) !== 2 || nd === 0 || !torch.pairwiseDistanceInnermostDim || !torch.normTwoLastDimVectorized) return null;
  if (size === 0 || (size === 1 && torch.vectorNormOfOneIsAbs)) return null;
  return {
    lanes: sumLanes('float32', torch, capability),
    fusedLanes: torch.normTwoLanesFused && capability !== 'default',
    fusedTail: capability !== 'default',
  };
}

/**
 * How the float64 p = 2 norm over the last dim (size elements, of an nd-dim difference) runs under
 * `torch` / `capability` in computeNorms, for ../wasm/distance.ts: the general loop's serial fma
 * chain (before normTwoLastDimVectorizedDouble, torch 2.0) or the vectorized lanes (unfused: no
 * release fuses the float64 lanes); null where another loop runs (p not 2, the reduced dim not the
 * last, an empty dim, 2.x's |x| for a dim of size 1, a 0-d difference).
 */
export function float64NormRule(torch: TorchRelease, capability: CpuCapability, p: number, size: number, nd: number): NormRule64 | null {
  if (nd === 0 || size === 0 || (size === 1 && torch.vectorNormOfOneIsAbs)) return null;
  if (!torch.pairwiseDistanceInnermostDim && nd !== 2) return null; // dim 1 is the last only for 2-D
  if ((torch.normKernelFloatP ? Math.fround(p) : p) !== 2) return null;
  if (!torch.normTwoLastDimVectorizedDouble) return { serial: true, lanes: 1, fusedTail: false };
  if (torch.normTwoLanesFused && capability !== 'default') return null;
  return { serial: false, lanes: sumLanes('float64', torch, capability), fusedTail: capability !== 'default' };
}

/** The norm kernel per output element, in ATen's order (see the header). */
function computeNorms(plan: NormPlan, src: DiffSource | null): void {
  const { diff, outer, size, inner, norm, torch, dtype } = plan;
  const r = useDType(dtype);
  if (size === 0) {
    norm.fill(0);
    return;
  }
  // The accumulator: the dtype's (1.7), else double for float32 too (linalg_vector_norm's acc type).
  const inDouble = dtype === 'float64';
  const ra: Round = inDouble ? (v) => v : Math.fround;
  const p = torch.normKernelFloatP ? Math.fround(plan.p) : ra(plan.p);
  const fma = inDouble ? fma64 : fma32;
  const lastDimVector =
    p === 2 && inner === 1 && (dtype === 'float32' ? torch.normTwoLastDimVectorized : torch.normTwoLastDimVectorizedDouble);
  const lanesFused = torch.normTwoLanesFused && plan.capability !== 'default';
  const tailFused = plan.capability !== 'default';
  const tailGroup = 4;
  const lanes = sumLanes(dtype, torch, plan.capability);
  const acc = new Float64Array(lanes);
  const invP = ra(1 / p);
  // float64: glibc's pow (std::pow; V8's ** differs in the last bit for ~5% of arguments); float32: powf, as
  // the double pow rounded (glibc's powf differs for ~0.06% of them, by 1 ULP).
  const pow = inDouble ? glibcPow : (a: number, b: number) => Math.fround(a ** b);
  const abs1 = size === 1 && plan.full.length > 0 && torch.vectorNormOfOneIsAbs;
  if (lastDimVector && !abs1) {
    // float32 rows of x1 and x2 as they are (forward only): the WebAssembly loop (../wasm/distance.ts), the same floats.
    if (src !== null && !inDouble && src.a instanceof Float32Array && src.b instanceof Float32Array) {
      const rule = float32NormRule(torch, plan.capability, p, size, plan.full.length);
      const kernels = rule && distanceKernels();
      if (kernels?.takes(rule!) && kernels.rowNorms(src.a, src.b, outer, size, src.eps, rule!, norm)) return;
    }
    // The same order as the general loop's lastDimVector branch below, one loop per dtype and fusion.
    const vec = size - (size % lanes);
    const plainEnd = vec + Math.floor((size - vec) / tailGroup) * tailGroup;
    const fr = Math.fround;
    const row = src === null ? null : new Float64Array(size);
    for (let o = 0; o < outer; o++) {
      let x = diff;
      let base = o * size;
      if (row !== null) {
        diffRow(src!, o, row, !inDouble);
        x = row;
        base = 0;
      }
      acc.fill(0);
      if (!inDouble && !lanesFused && lanes === 8) {
        // The 8 float32 lanes unrolled into locals (the same adds).
        let a0 = 0;
        let a1 = 0;
        let a2 = 0;
        let a3 = 0;
        let a4 = 0;
        let a5 = 0;
        let a6 = 0;
        let a7 = 0;
        for (let d = 0; d < vec; d += 8) {
          const at = base + d;
          const v0 = x[at]!;
          const v1 = x[at + 1]!;
          const v2 = x[at + 2]!;
          const v3 = x[at + 3]!;
          const v4 = x[at + 4]!;
          const v5 = x[at + 5]!;
          const v6 = x[at + 6]!;
          const v7 = x[at + 7]!;
          a0 = fr(a0 + fr(v0 * v0));
          a1 = fr(a1 + fr(v1 * v1));
          a2 = fr(a2 + fr(v2 * v2));
          a3 = fr(a3 + fr(v3 * v3));
          a4 = fr(a4 + fr(v4 * v4));
          a5 = fr(a5 + fr(v5 * v5));
          a6 = fr(a6 + fr(v6 * v6));
          a7 = fr(a7 + fr(v7 * v7));
        }
        acc[0] = a0;
        acc[1] = a1;
        acc[2] = a2;
        acc[3] = a3;
        acc[4] = a4;
        acc[5] = a5;
        acc[6] = a6;
        acc[7] = a7;
      } else if (inDouble && lanes === 4) {
        // The 4 float64 lanes unrolled into locals (the same adds, or fma64s).
        let a0 = 0;
        let a1 = 0;
        let a2 = 0;
        let a3 = 0;
        for (let d = 0; d < vec; d += 4) {
          const at = base + d;
          const v0 = x[at]!;
          const v1 = x[at + 1]!;
          const v2 = x[at + 2]!;
          const v3 = x[at + 3]!;
          if (lanesFused) {
            a0 = fma64(v0, v0, a0);
            a1 = fma64(v1, v1, a1);
            a2 = fma64(v2, v2, a2);
            a3 = fma64(v3, v3, a3);
          } else {
            a0 += v0 * v0;
            a1 += v1 * v1;
            a2 += v2 * v2;
            a3 += v3 * v3;
          }
        }
        acc[0] = a0;
        acc[1] = a1;
        acc[2] = a2;
        acc[3] = a3;
      } else if (!inDouble && !lanesFused) {
        for (let d = 0; d < vec; d += lanes) {
          const at = base + d;
          for (let l = 0; l < lanes; l++) {
            const v = x[at + l]!;
            acc[l] = fr(acc[l]! + fr(v * v));
          }
        }
      } else if (!inDouble) {
        for (let d = 0; d < vec; d += lanes) {
          const at = base + d;
          for (let l = 0; l < lanes; l++) {
            const v = x[at + l]!;
            acc[l] = fma32(v, v, acc[l]!);
          }
        }
      } else if (!lanesFused) {
        for (let d = 0; d < vec; d += lanes) {
          const at = base + d;
          for (let l = 0; l < lanes; l++) {
            const v = x[at + l]!;
            acc[l] = acc[l]! + v * v;
          }
        }
      } else {
        for (let d = 0; d < vec; d += lanes) {
          const at = base + d;
          for (let l = 0; l < lanes; l++) {
            const v = x[at + l]!;
            acc[l] = fma64(v, v, acc[l]!);
          }
        }
      }
      let total = acc[0]!;
      for (let l = 1; l < lanes; l++) total = ra(total + acc[l]!);
      for (let d = vec; d < size; d++) {
        const v = x[base + d]!;
        total = tailFused && d >= plainEnd ? fma(v, v, total) : ra(total + ra(v * v));
      }
      norm[o] = r(ra(Math.sqrt(total)));
    }
    return;
  }
  if (src !== null) throw new Error('pairwise-distance: a fused difference outside the p = 2 last-dim kernel');
  const x = diff;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let total: number;
      if (abs1 && p !== 0) {
        total = Math.abs(x[base]!);
      } else if (lastDimVector) {
        acc.fill(0);
        const vec = size - (size % lanes);
        for (let d = 0; d < vec; d += lanes) {
          for (let l = 0; l < lanes; l++) {
            const v = x[base + d + l]!;
            acc[l] = lanesFused ? fma(v, v, acc[l]!) : ra(acc[l]! + ra(v * v));
          }
        }
        total = acc[0]!;
        for (let l = 1; l < lanes; l++) total = ra(total + acc[l]!);
        // The scalar tail as GCC compiled it: whole groups of 4 squares as plain (SSE) products,
        // the rest fused into the sum (so a float64 tail, under 4 elements, is all fused).
        const plainEnd = vec + Math.floor((size - vec) / tailGroup) * tailGroup;
        for (let d = vec; d < size; d++) {
          const v = x[base + d]!;
          total = tailFused && d >= plainEnd ? fma(v, v, total) : ra(total + ra(v * v));
        }
        total = ra(Math.sqrt(total));
      } else if (p === 0) {
        total = 0;
        for (let k = 0; k < size; k++) total = ra(total + (x[base + k * inner] === 0 ? 0 : 1));
      } else if (p === 1) {
        total = 0;
        for (let k = 0; k < size; k++) total = ra(total + Math.abs(x[base + k * inner]!));
      } else if (p === 2) {
        total = 0;
        for (let k = 0; k < size; k++) {
          const v = x[base + k * inner]!;
          total = fma(v, v, total);
        }
        total = ra(Math.sqrt(total));
      } else if (p === Infinity) {
        // 1.7: from numeric_limits<acc_t>::min() (the smallest normal), later 0.
        total = torch.normMaxFromSmallestNormal ? (inDouble ? 2.2250738585072014e-308 : 1.1754943508222875e-38) : 0;
        for (let k = 0; k < size; k++) total = nanMax(total, Math.abs(x[base + k * inner]!));
      } else if (p === -Infinity) {
        // 1.7: from numeric_limits<acc_t>::max(), later inf.
        total = torch.normMaxFromSmallestNormal ? (inDouble ? Number.MAX_VALUE : 3.4028234663852886e38) : Infinity;
        for (let k = 0; k < size; k++) total = nanMin(total, Math.abs(x[base + k * inner]!));
      } else {
        total = 0;
        for (let k = 0; k < size; k++) total = ra(total + pow(Math.abs(x[base + k * inner]!), p));
        total = pow(total, invP);
      }
      norm[o * inner + i] = r(total);
    }
  }
}

/**
 * Tensor.pow(Scalar) as ATen's pow_tensor_scalar_kernel computes one element: exponent 0.5 is sqrt,
 * -0.5 rsqrt (1 / sqrt, rounded twice), -1 reciprocal, 2 x * x, 3 x * x * x, -2 1 / (x * x), else pow.
 */
export function powTensorScalar(x: number, e: number, r: (v: number) => number): number {
  if (e === 0.5) return r(Math.sqrt(x));
  if (e === -0.5) return r(1 / r(Math.sqrt(x)));
  if (e === -1) return r(1 / x);
  if (e === 2) return r(x * x);
  if (e === 3) return r(r(x * x) * x);
  if (e === -2) return r(1 / r(x * x));
  return r(x ** e);
}

/**
 * norm_backward's gradient of the difference (shape plan.full) for a gradient of the norm
 * (one value per output element), per release (see the header).
 */
export function normBackward(plan: NormPlan, grad: ArrayLike<number>): Float64Array {
  const { diff: x, outer, size, inner, norm, torch, p } = plan;
  const r = useDType(plan.dtype);
  const out = new Float64Array(x.length);
  if (p === 0 || size === 0) return out;
  const newer = torch.normBackwardMaskedTwo;
  // sgn / sign of a real number: (0 < x) - (x < 0), so NaN gives 0.
  const sgn = (v: number) => (v > 0 ? 1 : v < 0 ? -1 : 0);
  const pow = (a: number, b: number) => powTensorScalar(a, b, r);
  const pm1 = p - 1;
  const pm2 = p - 2;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const j = o * inner + i;
      const g = grad[j]!;
      const n = norm[j]!;
      const base = o * size * inner + i;
      if (p === 1) {
        for (let k = 0; k < size; k++) out[base + k * inner] = r(sgn(x[base + k * inner]!) * g);
      } else if (p === 2) {
        if (newer) {
          if (n === 0) {
            for (let k = 0; k < size; k++) out[base + k * inner] = r(g * 0);
          } else if (plan.dtype === 'float32') {
            const fr = Math.fround;
            for (let k = 0; k < size; k++) {
              const e = base + k * inner;
              out[e] = fr(g * fr(x[e]! / n));
            }
          } else {
            for (let k = 0; k < size; k++) {
              const e = base + k * inner;
              out[e] = g * (x[e]! / n);
            }
          }
        } else {
          const s = n === 0 ? 0 : r(g / n);
          for (let k = 0; k < size; k++) out[base + k * inner] = r(x[base + k * inner]! * s);
        }
      } else if (p === Infinity || p === -Infinity) {
        if (newer) {
          let count = 0;
          for (let k = 0; k < size; k++) {
            const a = Math.abs(x[base + k * inner]!);
            if (a === n || a !== a) count++;
          }
          const gc = r(g / count);
          for (let k = 0; k < size; k++) {
            const e = base + k * inner;
            const a = Math.abs(x[e]!);
            const m = a === n || a !== a ? 1 : 0;
            out[e] = r(sgn(x[e]!) * r(gc * m));
          }
        } else {
          const s = n === 0 ? 0 : g;
          for (let k = 0; k < size; k++) {
            const e = base + k * inner;
            out[e] = r(r(sgn(x[e]!) * (Math.abs(x[e]!) === n ? 1 : 0)) * s);
          }
        }
      } else if (p < 1 && newer) {
        const np = pow(n, r(1 - p));
        for (let k = 0; k < size; k++) {
          const e = base + k * inner;
          const v = x[e]!;
          const scaled = v === 0 ? 0 : r(sgn(v) * pow(Math.abs(v), pm1));
          out[e] = r(r(scaled * g) * np);
        }
      } else {
        const s = n === 0 ? 0 : r(g / pow(n, pm1));
        for (let k = 0; k < size; k++) {
          const e = base + k * inner;
          const v = x[e]!;
          const scaled = p < 2 ? r(sgn(v) * pow(Math.abs(v), pm1)) : r(v * pow(Math.abs(v), pm2));
          out[e] = r(scaled * s);
        }
      }
    }
  }
  return out;
}

/**
 * The sub's gradients: grad of diff summed to x1's shape, and its negation summed to x2's, each
 * summed in the difference's dtype and then cast to its operand's (the engine's validate_outputs:
 * sum_to, then the dtype), so a float32 operand of a float64 difference gets float32 values.
 */
export function subGradients(
  plan: NormPlan,
  gradDiff: Float64Array,
  x1Shape: readonly number[],
  x2Shape: readonly number[],
): { x1: FloatArray; x2: FloatArray } {
  const r = useDType(plan.dtype);
  const lanes = sumLanes(plan.dtype, plan.torch, plan.capability);
  const x1 = castGrad(atenSumTo(gradDiff, plan.full, x1Shape, plan.dtype, lanes, r), plan.d1);
  // Nothing to sum when x2 has the full shape (atenSumTo would copy the negation as it is).
  if (sameAs(x2Shape, plan.full)) return { x1, x2: negated(gradDiff, allocate(plan.d2, gradDiff.length)) };
  const neg = negated(gradDiff, new Float64Array(gradDiff.length));
  return { x1, x2: castGrad(atenSumTo(neg, plan.full, x2Shape, plan.dtype, lanes, r), plan.d2) };
}

/**
 * -values into out. A function of its own: written inline above, V8 compiled the loop on stack
 * replacement and deoptimized at the return after it every call, boxing each element in the
 * interpreter (5 MB of garbage per float64 triplet backward of (1000, 100)).
 */
function negated(values: Float64Array, out: FloatArray): FloatArray {
  for (let i = 0; i < out.length; i++) out[i] = -values[i]!;
  return out;
}

/** A gradient cast to its operand's dtype (Tensor.to: round to nearest; the values themselves when it is theirs). */
export function castGrad(values: FloatArray, dtype: DType): FloatArray {
  if (dtype === 'float64' ? values instanceof Float64Array : values instanceof Float32Array) return values;
  return dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values);
}

interface Read {
  torch: TorchRelease;
  capability: CpuCapability;
  p: unknown;
  eps: unknown;
  keepdim: unknown;
}

function readOptions(op: string, options: unknown): Read {
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
    throw new LossArgumentError(`${op}: options must be an object`, 'TypeError');
  }
  const o = (options ?? {}) as Record<string, unknown>;
  const allowed = ['p', 'eps', 'keepdim', 'torchVersion', 'cpuCapability'];
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key) && o[key] !== undefined) {
      throw new LossArgumentError(`${op}: unknown option '${key}' (expected ${allowed.join(', ')})`, 'TypeError');
    }
  }
  const torch = torchRelease(o.torchVersion as string | undefined, op);
  const capability = (o.cpuCapability ?? torch.defaultCpuCapability) as CpuCapability;
  if (!CPU_CAPABILITIES.includes(capability)) {
    throw new LossArgumentError(
      `${op}: cpuCapability ${JSON.stringify(capability)} is not one of ${CPU_CAPABILITIES.join(', ')}`,
      'ValueError',
    );
  }
  return { torch, capability, p: o.p ?? 2, eps: o.eps ?? 1e-6, keepdim: o.keepdim ?? false };
}

/** F.pairwise_distance(x1, x2, p=2, eps=1e-6, keepdim=False). */
export function pairwiseDistance(x1: Tensor, x2: Tensor, options?: PairwiseDistanceOptions): Tensor {
  const o = readOptions(OP, options);
  const plan = planPairwiseDistance(OP, x1, x2, o.p, o.eps, o.keepdim, o.torch, o.capability, undefined, true);
  return makeTensor(plan.norm, plan.outShape, plan.dtype);
}

/**
 * pairwiseDistanceBackward through ../wasm/distance.ts pairwiseGrads (the same floats as
 * normBackward and subGradients), where it takes the call: float32 x1 and x2 of one shape, p = 2
 * (the release's vectorized last-dim norm, norm_backward's newer form). null where the JS loops run.
 */
function pairwiseGradsKernel(op: string, gradOutput: Tensor, x1: Tensor, x2: Tensor, o: Read): { x1: Tensor; x2: Tensor } | null {
  const a = x1.data;
  const b = x2.data;
  if (a instanceof Float64Array && b instanceof Float64Array) return pairwiseGradsKernel64(op, gradOutput, a, b, x1.shape, x2.shape, o);
  if (!(a instanceof Float32Array && b instanceof Float32Array) || o.p !== 2 || !o.torch.normBackwardMaskedTwo) return null;
  if (typeof o.eps !== 'number' || typeof o.keepdim !== 'boolean') return null; // planPairwiseDistance raises
  const shape = x1.shape;
  if (!sameAs(shape, x2.shape) || shape.length === 0 || a.length === 0) return null;
  const D = shape[shape.length - 1]!;
  const rule = float32NormRule(o.torch, o.capability, 2, D, shape.length);
  const kernels = rule && distanceKernels();
  if (!kernels?.takes(rule!)) return null;
  const outShape = o.keepdim ? shape.map((d, i) => (i === shape.length - 1 ? 1 : d)) : shape.slice(0, -1);
  if (!sameAs(gradOutput.shape, outShape)) {
    throw new LossArgumentError(
      `${op}: gradOutput shape ${formatShape(gradOutput.shape)} must equal the forward output's shape ${formatShape(outShape)}`,
    );
  }
  const go = gradOutput.data instanceof Float32Array ? gradOutput.data : Float32Array.from(gradOutput.data);
  const g1 = new Float32Array(a.length);
  const g2 = new Float32Array(a.length);
  if (!kernels!.pairwiseGrads(a, b, a.length / D, D, Math.fround(o.eps), rule!, go, g1, g2)) return null;
  return { x1: makeTensor(g1, shape, 'float32'), x2: makeTensor(g2, shape, 'float32') };
}

/** pairwiseGradsKernel's float64 twin (../wasm/distance.ts pairwiseGrads64): float64 x1 and x2 of one shape, p = 2. */
function pairwiseGradsKernel64(
  op: string,
  gradOutput: Tensor,
  a: Float64Array,
  b: Float64Array,
  shape: readonly number[],
  shape2: readonly number[],
  o: Read,
): { x1: Tensor; x2: Tensor } | null {
  if (o.p !== 2 || !o.torch.normBackwardMaskedTwo || typeof o.eps !== 'number' || typeof o.keepdim !== 'boolean') return null;
  if (!sameAs(shape, shape2) || shape.length === 0 || a.length === 0) return null;
  const D = shape[shape.length - 1]!;
  const rule = float64NormRule(o.torch, o.capability, 2, D, shape.length);
  const kernels = rule && distanceKernels64();
  if (!kernels?.takes64(rule!)) return null;
  const outShape = o.keepdim ? shape.map((d, i) => (i === shape.length - 1 ? 1 : d)) : shape.slice(0, -1);
  if (!sameAs(gradOutput.shape, outShape)) {
    throw new LossArgumentError(
      `${op}: gradOutput shape ${formatShape(gradOutput.shape)} must equal the forward output's shape ${formatShape(outShape)}`,
    );
  }
  const go = gradOutput.data instanceof Float64Array ? gradOutput.data : Float64Array.from(gradOutput.data);
  const g1 = new Float64Array(a.length);
  const g2 = new Float64Array(a.length);
  if (!kernels!.pairwiseGrads64(a, b, a.length / D, D, o.eps, rule!, go, g1, g2)) return null;
  return { x1: makeTensor(g1, shape, 'float64'), x2: makeTensor(g2, shape, 'float64') };
}

/** The gradients of pairwise_distance with respect to x1 and x2, for gradOutput shaped like its output. */
export function pairwiseDistanceBackward(
  gradOutput: Tensor,
  x1: Tensor,
  x2: Tensor,
  options?: PairwiseDistanceOptions,
): { x1: Tensor; x2: Tensor } {
  const op = `${OP}Backward`;
  const o = readOptions(op, options);
  checkTensor(gradOutput, op, 'gradOutput');
  const kernel = pairwiseGradsKernel(op, gradOutput, x1, x2, o);
  if (kernel !== null) return kernel;
  const plan = planPairwiseDistance(op, x1, x2, o.p, o.eps, o.keepdim, o.torch, o.capability);
  if (!sameAs(gradOutput.shape, plan.outShape)) {
    throw new LossArgumentError(
      `${op}: gradOutput shape ${formatShape(gradOutput.shape)} must equal the forward output's shape ${formatShape(plan.outShape)}`,
    );
  }
  const r = useDType(plan.dtype);
  const g = new Float64Array(gradOutput.data.length);
  for (let i = 0; i < g.length; i++) g[i] = r(gradOutput.data[i]!);
  const gd = normBackward(plan, g);
  const { x1: g1, x2: g2 } = subGradients(plan, gd, x1.shape, x2.shape);
  return { x1: makeTensor(g1, x1.shape, plan.d1), x2: makeTensor(g2, x2.shape, plan.d2) };
}
