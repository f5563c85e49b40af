// F.cosine_similarity(x1, x2, dim=1, eps=1e-8) (aten/src/ATen/native/Distance.cpp cosine_similarity),
// forward and its gradients (autograd through the composite), per release. Shared by
// cosine_embedding_loss's tests and tripletMarginWithDistanceLoss's built-in cosine distance.
//
// Three forms, each tensor op rounded to its dtype in this order (S is the broadcast shape, d the
// reduced dim, K is S with size 1 at d; T the promotion of x1's and x2's dtypes, the output's):
//   sums then divide (torch < 1.12; measured in 1.7): w12 = sum(x1 * x2, d) (x1 * x2 broadcast, in T),
//     w1 = sum(x1 * x1, d), w2 = sum(x2 * x2, d) (each over its own shape, d wrapped per tensor, in its
//     own dtype), n12 = (w1 * w2).clamp_min_(eps * eps).sqrt_() (T), w12.div_(n12) (in place: n12 must
//     broadcast to w12).
//   normalize first (pytorch#31378, torch 1.12; measured in 1.13): x1, x2 converted to T (x.to(T): a
//     float32 operand of a float64 one is float64 from here on), then expanded to S;
//     s = pow(x, 2).sum(d, keepdim) (cascade sum); no_grad s.clamp_min_(eps * eps); n = s.sqrt_();
//     ((x1 / n1) * (x2 / n2)).sum(d).
//   vector norm (torch >= 2.0, assumed; measured in 2.6 and 2.14; the follow-up of pytorch#78064; only
//     integer operands are converted): expand_outplace(x1, x2) (both expanded unless their shapes are
//     equal); n = linalg_vector_norm(x, 2, d, keepdim).clone(); no_grad n.clamp_min_(eps); x / n, each
//     in its operand's dtype; ((x1 / n1) * (x2 / n2)).sum(d) in T.
// Mixed float32 / float64 operands measured bit for bit in 1.7 (sums), 1.13 (converted) and 2.6 / 2.14
// (own dtypes), broadcast or not, each gradient in its operand's dtype.
// The sums are ATen's cascade sums (../sum-to.ts atenSumTo: Tensor.sum(dim) order). linalg_vector_norm's
// 2-norm (cpu/ReduceOpsKernel.cpp norm_kernel_tensor_iterator_impl): over a contiguous last dim,
// binary_kernel_reduce_lastdim's vectorized loop (lane-wise acc += x * x, each product rounded, no
// FMA; the lanes folded in order into lane 0, then the scalar tail, then sqrt); any other layout
// (a middle dim, or a dim the operand was broadcast along) binary_kernel_reduce's one sequential
// accumulator in the dtype. Both measured against torch 2.6 and 2.14 on values spread over 12
// orders of magnitude, and at ATEN_CPU_CAPABILITY=avx512, which runs the same AVX2 kernel (no AVX-512 build).
// Backward (tools/autograd/derivatives.yaml, FunctionsManual.cpp): SumBackward expands; MulBackward
// grad * other; DivBackward grad / other and -grad * ((self / other) / other) (measured in 1.7 too);
// SqrtBackward grad / (2 * result); ClampMinBackward (1.7 only)
// grad * (self >= min); PowBackward grad * (2 * self); LinalgVectorNormBackward
// grad * (self / norm).masked_fill_(norm == 0, 0); the clamps under no_grad pass nothing; each
// gradient reaching an operand is summed to its shape (ATen's order) in the dtype of the op that made
// it, then cast to the operand's (the engine's validate_outputs; 1.13: ToCopyBackward), before the
// contributions are added in the operand's dtype.

import { broadcastShapes, expandTo, inferSizeMismatch } from './broadcast.ts';
import { fma32, fma64 } from './libm.ts';
import { useDType, type Round } from './numerics.ts';
import { atenSumTo } from './sum-to.ts';
import { LossArgumentError, allocate, checkTensor, formatShape, numel, type DType, type FloatArray, type Tensor } from './tensor.ts';
import { CPU_CAPABILITIES, sumLanes, torchRelease, type CpuCapability, type TorchRelease } from './torch-version.ts';

export interface CosineSimilarityOptions {
  /** The dim reduced (torch's dim; default 1; negative counts from the end). */
  dim?: number;
  /** The smallest norm divided by (torch's eps; default 1e-8). */
  eps?: number;
  /** The torch release whose arithmetic to follow (a torch.__version__ string); default the newest. */
  torchVersion?: string;
  /** The ATEN_CPU_CAPABILITY torch ran with; default what that release picks on an AVX-512 machine. */
  cpuCapability?: CpuCapability;
}

/** The gradients by torch's argument names. */
export interface CosineSimilarityGrads {
  readonly x1: Tensor;
  readonly x2: Tensor;
}

/**
 * What autograd hands each operand's gradient buffer, in the order it arrives: under torch >= 2.0
 * operands of one shape (expand_outplace leaves both as they are) are each used twice, by the
 * division (its DivBackward runs first: created later) and by linalg_vector_norm, so each buffer
 * gets those two terms one after the other; operands of different shapes are both expanded (one
 * to its own size) and each ExpandBackward hands on one term, their sum; 1.12 and 1.13 expand
 * always (one term); under 1.7 the operand is used directly by x * x (two equal terms: that branch
 * was created later, so runs first) and by x1 * x2 (then its term). A loss that adds other
 * gradients into the same buffer (the triplet loss with this distance) adds them in this order:
 * over float32 the order can decide the result. Each term is in the dtype its op ran in (1.13's
 * converted operand: the common one); the buffer casts it to the operand's.
 */
export interface CosineSimilarityGradTerms {
  readonly x1: readonly FloatArray[];
  readonly x2: readonly FloatArray[];
}

const OP = 'cosineSimilarity';
const OPTIONS = ['dim', 'eps', 'torchVersion', 'cpuCapability'];

/** ATen's maybe_wrap_dim: dim for a tensor of `rank` dims (0-d counts as 1-D), or torch's IndexError. */
export function wrapDim(op: string, dim: number, rank: number): number {
  const r = Math.max(rank, 1);
  if (dim < -r || dim >= r) {
    throw new LossArgumentError(
      `${op}: Dimension out of range (expected to be in range of [${-r}, ${r - 1}], but got ${dim})`,
      'IndexError',
    );
  }
  return dim < 0 ? dim + r : dim;
}

function keepShape(shape: readonly number[], d: number): number[] {
  return shape.length === 0 ? [] : shape.map((s, i) => (i === d ? 1 : s));
}

function dropDim(shape: readonly number[], d: number): number[] {
  return shape.length === 0 ? [] : shape.filter((_, i) => i !== d);
}

/** Tensor.sum(d, keepdim=True) in ATen's order (0-d: the value itself). */
function sumDim(values: ArrayLike<number>, shape: readonly number[], d: number, dtype: DType, lanes: number, r: Round): FloatArray {
  if (shape.length === 0) {
    const out = allocate(dtype, 1);
    out[0] = r(0 + values[0]!);
    return out;
  }
  if (shape[d] === 1) {
    // a reduction over one element: the zero-filled output plus the value
    const out = allocate(dtype, values.length);
    for (let i = 0; i < out.length; i++) out[i] = r(0 + values[i]!);
    return out;
  }
  return atenSumTo(values, shape, keepShape(shape, d), dtype, lanes, r);
}

/** values (laid out as `from`, which broadcasts to `to`) expanded to `to`. */
function expand(values: FloatArray, from: readonly number[], to: readonly number[]): FloatArray {
  if (from.length === to.length && from.every((s, i) => s === to[i])) return values;
  return expandTo({ data: values, shape: from }, to);
}

/** autograd's sum_to: `values` laid out as `full` summed to `shape` (ATen's order); the values when nothing is reduced. */
function sumTo(values: FloatArray, full: readonly number[], shape: readonly number[], dtype: DType, lanes: number, r: Round): FloatArray {
  if (full.length === shape.length && full.every((s, i) => s === shape[i])) return values;
  return atenSumTo(values, full, shape, dtype, lanes, r);
}

/**
 * linalg_vector_norm(x, 2, d, keepdim=True) of `x` laid out as S, in the kernel's order: the
 * vectorized last-dim loop when d is the innermost non-trivial dim and x was not broadcast along it
 * (`contiguous`), else one sequential accumulator per output.
 */
function vectorNorm2(
  x: FloatArray,
  shape: readonly number[],
  d: number,
  contiguous: boolean,
  lanes: number,
  fmaTail: boolean,
  oneIsAbs: boolean,
  dtype: DType,
  r: Round,
): FloatArray {
  const rank = shape.length;
  const D = rank === 0 ? 1 : shape[d]!;
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < rank; i++) {
    if (i < d) outer *= shape[i]!;
    else if (i > d) inner *= shape[i]!;
  }
  const out = allocate(dtype, outer * inner);
  // A reduced dim of size 1 is |x|, without the kernel's x * x (so 1e300 does not overflow):
  // vectorNormOfOneIsAbs, ../pairwise-distance.ts (not for a 0-d input, which runs the kernel).
  if (D === 1 && rank > 0 && oneIsAbs) {
    for (let i = 0; i < out.length; i++) out[i] = Math.abs(x[i]!);
    return out;
  }
  if (inner === 1 && contiguous) {
    const acc = new Float64Array(lanes);
    const body = D - (D % lanes);
    for (let o = 0; o < outer; o++) {
      const base = o * D;
      acc.fill(0);
      for (let k = 0; k < body; k += lanes) {
        for (let l = 0; l < lanes; l++) {
          const v = x[base + k + l]!;
          acc[l] = r(acc[l]! + r(v * v));
        }
      }
      let b = acc[0]!;
      for (let l = 1; l < lanes; l++) b = r(b + acc[l]!);
      // The scalar tail, as GCC compiled it for the AVX2 / AVX-512 builds: the products of whole
      // groups of 4 in an SSE multiply (each rounded), the last D % 4 as FMAs (measured in 2.6 and
      // 2.14 under AVX2: 300 rows each of D = 3, 7, 13; the 'default' build has no FMA).
      const plain = body + (fmaTail ? D - body - ((D - body) % 4) : D - body);
      for (let k = body; k < D; k++) {
        const v = x[base + k]!;
        b = k < plain ? r(b + r(v * v)) : dtype === 'float32' ? fma32(v, v, b) : fma64(v, v, b);
      }
      out[o] = r(Math.sqrt(b));
    }
    return out;
  }
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let a = 0;
      for (let k = 0; k < D; k++) {
        const v = x[(o * D + k) * inner + i]!;
        a = r(a + r(v * v));
      }
      out[o * inner + i] = r(Math.sqrt(a));
    }
  }
  return out;
}

/** Everything checked, with the shapes and constants the computation needs. */
interface Plan {
  readonly torch: TorchRelease;
  /** The output's dtype: the promotion of x1's and x2's. */
  readonly dtype: DType;
  /** The dtypes x1's and x2's own ops (squares, norm, quotient) run in: each operand's, but the common one under 1.12 and 1.13's conversion. */
  readonly t1: DType;
  readonly t2: DType;
  /** x1's and x2's own dtypes: their gradients' (the engine casts to them). */
  readonly own1: DType;
  readonly own2: DType;
  readonly r: Round;
  readonly lanes: number;
  readonly lanes1: number;
  readonly lanes2: number;
  readonly normLanes1: number;
  readonly normLanes2: number;
  /** The norm's scalar tail ends in FMAs (the AVX2 / AVX-512 builds). */
  readonly fmaTail: boolean;
  readonly x1: Tensor;
  readonly x2: Tensor;
  readonly eps: number;
  /** The broadcast shape, the reduced dim in it, and the output's shape. */
  readonly S: readonly number[];
  readonly d: number;
  readonly outShape: readonly number[];
  /** Sums then divide (< 1.12): the dims wrapped for x1 and x2 alone, and the shapes of w1, w2, n12. */
  readonly d1: number;
  readonly d2: number;
}

interface ReadOptions {
  readonly dim: unknown;
  readonly eps: unknown;
  readonly torchVersion: string | undefined;
  readonly cpuCapability: CpuCapability | undefined;
}

const NO_OPTIONS: ReadOptions = { dim: undefined, eps: undefined, torchVersion: undefined, cpuCapability: undefined };

function readOptions(op: string, options: unknown): ReadOptions {
  if (options === undefined) return NO_OPTIONS;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new LossArgumentError(`${op}: options must be an object`, 'TypeError');
  }
  const given = options as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!OPTIONS.includes(key) && given[key] !== undefined) {
      throw new LossArgumentError(`${op}: cosine_similarity() got an unexpected keyword argument '${key}'`, 'TypeError');
    }
  }
  return {
    dim: given.dim,
    eps: given.eps,
    torchVersion: given.torchVersion as string | undefined,
    cpuCapability: given.cpuCapability as CpuCapability | undefined,
  };
}

function plan(op: string, x1: unknown, x2: unknown, options: unknown): Plan {
  const o = readOptions(op, options);
  checkTensor(x1, op, 'x1');
  checkTensor(x2, op, 'x2');
  const dim = o.dim === undefined ? 1 : o.dim;
  if (typeof dim !== 'number' || !Number.isInteger(dim)) {
    const type = dim === null ? 'NoneType' : typeof dim === 'number' ? 'float' : typeof dim;
    throw new LossArgumentError(`${op}: cosine_similarity(): argument 'dim' must be int, not ${type}`, 'TypeError');
  }
  const eps = o.eps === undefined ? 1e-8 : o.eps;
  if (typeof eps !== 'number') {
    throw new LossArgumentError(
      `${op}: cosine_similarity(): argument 'eps' must be float, not ${eps === null ? 'NoneType' : typeof eps}`,
      'TypeError',
    );
  }
  const torch = torchRelease(o.torchVersion, op);
  const capability = o.cpuCapability === undefined ? torch.defaultCpuCapability : o.cpuCapability;
  if (!CPU_CAPABILITIES.includes(capability)) {
    throw new LossArgumentError(
      `${op}: cpuCapability ${JSON.stringify(capability)} is not one of ${CPU_CAPABILITIES.join(', ')}`,
      'ValueError',
    );
  }
  const own1: DType = x1.data instanceof Float64Array ? 'float64' : 'float32';
  const own2: DType = x2.data instanceof Float64Array ? 'float64' : 'float32';
  const dtype: DType = own1 === 'float64' || own2 === 'float64' ? 'float64' : 'float32';
  if (torch.cosineSimilarityRejectsNegativeEps && !(eps >= 0)) {
    throw new LossArgumentError(`${op}: eps must be non-negative, got: ${Number.isNaN(eps) ? 'nan' : eps}`);
  }
  const S = broadcastShapes(x1.shape, x2.shape);
  if (S === null) throw new LossArgumentError(`${op}: ${inferSizeMismatch(x1.shape, x2.shape)}`);
  const d = wrapDim(op, dim, S.length);
  let d1 = d;
  let d2 = d;
  let outShape = dropDim(S, d);
  if (!torch.cosineSimilarityNormalizesFirst) {
    d1 = wrapDim(op, dim, x1.shape.length);
    d2 = wrapDim(op, dim, x2.shape.length);
    const w1 = dropDim(x1.shape, d1);
    const w2 = dropDim(x2.shape, d2);
    const n12 = broadcastShapes(w1, w2);
    if (n12 === null) throw new LossArgumentError(`${op}: ${inferSizeMismatch(w1, w2)}`);
    // w12.div_(n12): in place, so n12 must broadcast to w12's shape without growing it
    const grown = broadcastShapes(outShape, n12);
    if (grown === null) throw new LossArgumentError(`${op}: ${inferSizeMismatch(outShape, n12)}`);
    if (grown.length !== outShape.length || grown.some((s, i) => s !== outShape[i])) {
      throw new LossArgumentError(
        `${op}: output with shape ${formatShape(outShape)} doesn't match the broadcast shape ${formatShape(grown)}`,
      );
    }
    outShape = [...outShape];
  }
  // clamp_min_'s Scalar (eps * eps before the vector norm) converted to the dtype: c10's checked cast
  // (from 2.0 each norm is clamped in its own operand's dtype)
  const min = torch.cosineSimilarityUsesVectorNorm ? eps : eps * eps;
  const clampedIn32 = torch.cosineSimilarityUsesVectorNorm ? own1 === 'float32' || own2 === 'float32' : dtype === 'float32';
  if (clampedIn32 && Number.isFinite(min) && Math.abs(min) > 3.4028234663852886e38) {
    // torch 1.7's c10 message adds the value (eps * eps), as C++ streams print a double
    const value = torch.cosineSimilarityNormalizesFirst ? '' : `: ${cppDouble(min)}`;
    throw new LossArgumentError(`${op}: value cannot be converted to type float without overflow${value}`);
  }
  // torch 1.12 and 1.13 convert both operands to the common dtype first (x.to(dtype): a ToCopyBackward
  // that sums the gradient in it and casts it back); 1.7's sums and 2.x's norms keep each operand's own.
  const converted = torch.cosineSimilarityNormalizesFirst && !torch.cosineSimilarityUsesVectorNorm;
  const as = (x: Tensor, t: DType): Tensor =>
    !converted || t === dtype ? x : { data: dtype === 'float64' ? Float64Array.from(x.data) : Float32Array.from(x.data), shape: x.shape };
  const t1 = converted ? dtype : own1;
  const t2 = converted ? dtype : own2;
  // The norm's lanes are the sum kernel's (sumLanes, as ./pairwise-distance.ts's norm): at
  // ATEN_CPU_CAPABILITY=avx512, torch 2.6 and 2.14 reduce in AVX2's 8 float32 / 4 float64 lanes
  // (measured at D = 16, 40, 100, 200 rows each: all agree; with 16 / 8 lanes none did), as their sums
  // do (avx512SumKernel). golden/torch-2.14.1+debian-avx512 holds such cases.
  const normLanes = (t: DType) => sumLanes(t, torch, capability);
  const r = useDType(dtype);
  return {
    torch,
    dtype,
    t1,
    t2,
    own1,
    own2,
    r,
    lanes: sumLanes(dtype, torch, capability),
    lanes1: sumLanes(t1, torch, capability),
    lanes2: sumLanes(t2, torch, capability),
    normLanes1: normLanes(t1),
    normLanes2: normLanes(t2),
    fmaTail: capability !== 'default',
    x1: as(x1, own1),
    x2: as(x2, own2),
    eps,
    S,
    d,
    outShape,
    d1,
    d2,
  };
}

/** A double as `std::ostream << v` prints it (6 significant digits, %g style: 1e+78, 0.0001, 123457). */
function cppDouble(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  if (v === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(v)));
  if (exp < -5 || exp >= 6) {
    const [m, e] = v.toExponential(5).split('e');
    const mant = m!.replace(/\.?0+$/, '');
    const n = Number(e);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  return String(Number(v.toPrecision(6)));
}

/** Whether `shape` (aligned to S's rank) was broadcast along d. */
function broadcastAlong(shape: readonly number[], S: readonly number[], d: number): boolean {
  if (S.length === 0) return false;
  const s = shape[shape.length - S.length + d] ?? 1;
  return s === 1 && S[d] !== 1;
}

/** The forward's intermediates, as the backward needs them. */
interface Forward {
  readonly out: FloatArray;
  // sums then divide
  readonly a?: FloatArray; // x1 * x2 summed: w12 (before the divide)
  readonly w1?: FloatArray;
  readonly w2?: FloatArray;
  readonly m?: FloatArray; // w1 * w2 (broadcast to n12's shape)
  readonly n12?: FloatArray;
  readonly n12Shape?: readonly number[];
  // normalize first / vector norm
  readonly e1?: FloatArray; // x1 and x2 expanded to S
  readonly e2?: FloatArray;
  readonly n1?: FloatArray; // the norms divided by (clamped), shape K
  readonly n2?: FloatArray;
  readonly raw1?: FloatArray | undefined; // vector norm: the norms before the clamp (saved by LinalgVectorNormBackward)
  readonly raw2?: FloatArray | undefined;
  readonly u?: FloatArray; // x1 / n1 and x2 / n2 (S)
  readonly v?: FloatArray;
}

function forward(p: Plan): Forward {
  const { dtype, lanes, S, d } = p;
  // round is one function whose dtype useDType switches: each op below is preceded by its dtype's
  if (!p.torch.cosineSimilarityNormalizesFirst) {
    const x1 = p.x1.data;
    const x2 = p.x2.data;
    const e1 = expand(x1, p.x1.shape, S);
    const e2 = expand(x2, p.x2.shape, S);
    let r = useDType(dtype);
    const prod = allocate(dtype, numel(S));
    for (let i = 0; i < prod.length; i++) prod[i] = r(e1[i]! * e2[i]!);
    const w12 = sumDim(prod, S, d, dtype, lanes, r);
    // w1 = sum(x1 * x1), w2 = sum(x2 * x2): each in its operand's dtype
    r = useDType(p.t1);
    const q1 = allocate(p.t1, x1.length);
    for (let i = 0; i < q1.length; i++) q1[i] = r(x1[i]! * x1[i]!);
    const w1 = sumDim(q1, p.x1.shape, p.d1, p.t1, p.lanes1, r);
    r = useDType(p.t2);
    const q2 = allocate(p.t2, x2.length);
    for (let i = 0; i < q2.length; i++) q2[i] = r(x2[i]! * x2[i]!);
    const w2 = sumDim(q2, p.x2.shape, p.d2, p.t2, p.lanes2, r);
    r = useDType(dtype);
    const w1Shape = dropDim(p.x1.shape, p.d1);
    const w2Shape = dropDim(p.x2.shape, p.d2);
    const n12Shape = broadcastShapes(w1Shape, w2Shape)!;
    const a1 = expand(w1, w1Shape, n12Shape);
    const a2 = expand(w2, w2Shape, n12Shape);
    const min = r(p.eps * p.eps);
    const m = allocate(dtype, numel(n12Shape));
    const n12 = allocate(dtype, m.length);
    for (let i = 0; i < m.length; i++) {
      m[i] = r(a1[i]! * a2[i]!);
      const c = min !== min && p.torch.clampNanMinIsNan ? NaN : m[i]! < min ? min : m[i]!; // NaN self stays NaN
      n12[i] = r(Math.sqrt(c));
    }
    const nOut = expand(n12, n12Shape, p.outShape);
    const out = allocate(dtype, w12.length);
    for (let i = 0; i < out.length; i++) out[i] = r(w12[i]! / nOut[i]!);
    return { out, a: w12, w1, w2, m, n12, n12Shape };
  }
  const e1 = expand(p.x1.data, p.x1.shape, S);
  const e2 = expand(p.x2.data, p.x2.shape, S);
  const K = keepShape(S, d);
  let n1: FloatArray;
  let n2: FloatArray;
  let raw1: FloatArray | undefined;
  let raw2: FloatArray | undefined;
  // the two operands' norms and quotients: in their own dtypes from 2.0 (in the converted, common one before)
  const t1 = p.t1;
  const t2 = p.t2;
  if (p.torch.cosineSimilarityUsesVectorNorm) {
    const oneIsAbs = p.torch.vectorNormOfOneIsAbs;
    const clamp = (raw: FloatArray, t: DType): FloatArray => {
      const min = useDType(t)(p.eps);
      const nanMin = min !== min && p.torch.clampNanMinIsNan;
      return raw.map((x) => (nanMin ? NaN : x < min ? min : x));
    };
    raw1 = vectorNorm2(e1, S, d, !broadcastAlong(p.x1.shape, S, d), p.normLanes1, p.fmaTail, oneIsAbs, t1, useDType(t1));
    n1 = clamp(raw1, t1);
    raw2 = vectorNorm2(e2, S, d, !broadcastAlong(p.x2.shape, S, d), p.normLanes2, p.fmaTail, oneIsAbs, t2, useDType(t2));
    n2 = clamp(raw2, t2);
  } else {
    const r = useDType(dtype);
    const sq1 = e1.map((x) => r(x * x));
    const sq2 = e2.map((x) => r(x * x));
    const s1 = sumDim(sq1, S, d, dtype, lanes, r);
    const s2 = sumDim(sq2, S, d, dtype, lanes, r);
    const min = r(p.eps * p.eps);
    const nanMin = min !== min && p.torch.clampNanMinIsNan;
    n1 = s1.map((x) => r(Math.sqrt(nanMin ? NaN : x < min ? min : x)));
    n2 = s2.map((x) => r(Math.sqrt(nanMin ? NaN : x < min ? min : x)));
  }
  const b1 = expand(n1, K, S);
  const b2 = expand(n2, K, S);
  const n = numel(S);
  // x1 / n1 and x2 / n2 each in its operand's dtype (a Float32Array store rounds once), their product in the output's
  const u = allocate(t1, n);
  const v = allocate(t2, n);
  const w = allocate(dtype, n);
  const r = useDType(dtype);
  if (t1 === dtype && t2 === dtype) {
    for (let i = 0; i < n; i++) {
      u[i] = r(e1[i]! / b1[i]!);
      v[i] = r(e2[i]! / b2[i]!);
      w[i] = r(u[i]! * v[i]!);
    }
  } else {
    for (let i = 0; i < n; i++) {
      u[i] = e1[i]! / b1[i]!;
      v[i] = e2[i]! / b2[i]!;
      w[i] = u[i]! * v[i]!;
    }
  }
  const out = sumDim(w, S, d, dtype, lanes, r);
  return { out, e1, e2, n1, n2, raw1, raw2, u, v };
}

/**
 * F.cosine_similarity(x1, x2, dim, eps): the cosine of x1 and x2 (broadcast) along dim, in the
 * float arithmetic of `torchVersion`. The output has the broadcast shape without dim.
 */
export function cosineSimilarity(x1: Tensor, x2: Tensor, options?: CosineSimilarityOptions): Tensor {
  const p = plan(OP, x1, x2, options);
  const f = forward(p);
  return Object.freeze({ data: f.out, shape: Object.freeze([...p.outShape]) });
}

/** The gradients of sum(gradOutput * cosineSimilarity(x1, x2)) with respect to x1 and x2, as torch's autograd computes them. */
export function cosineSimilarityBackward(
  gradOutput: Tensor,
  x1: Tensor,
  x2: Tensor,
  options?: CosineSimilarityOptions,
): CosineSimilarityGrads {
  const op = 'cosineSimilarityBackward';
  checkTensor(gradOutput, op, 'gradOutput');
  const p = plan(op, x1, x2, options);
  if (gradOutput.shape.length !== p.outShape.length || gradOutput.shape.some((s, i) => s !== p.outShape[i])) {
    throw new LossArgumentError(
      `${op}: gradOutput shape ${formatShape(gradOutput.shape)} must equal the forward output's shape ${formatShape(p.outShape)}`,
    );
  }
  const f = forward(p);
  const g = p.dtype === 'float32' ? Float32Array.from(gradOutput.data, Math.fround) : gradOutput.data;
  return backward(p, f, g).grads;
}

/** cosineSimilarityBackward's gradients, and the terms autograd adds into each operand's buffer (CosineSimilarityGradTerms). */
export function cosineSimilarityGradTerms(
  gradOutput: Tensor,
  x1: Tensor,
  x2: Tensor,
  options?: CosineSimilarityOptions,
): { grads: CosineSimilarityGrads; terms: CosineSimilarityGradTerms } {
  const p = plan('cosineSimilarityBackward', x1, x2, options);
  const f = forward(p);
  const g = p.dtype === 'float32' ? Float32Array.from(gradOutput.data, Math.fround) : gradOutput.data;
  return backward(p, f, g);
}

/** The backward from the output's gradient `g` (shape outShape), for losses that compose cosine similarity. */
function backward(p: Plan, f: Forward, g: ArrayLike<number>): { grads: CosineSimilarityGrads; terms: CosineSimilarityGradTerms } {
  const { dtype, lanes, S, d, t1, t2 } = p;
  const n = numel(S);
  const K = keepShape(S, d);
  const gw = expand(
    Float64Array.from(g) as unknown as FloatArray,
    p.outShape.length === 0 && S.length === 0 ? [] : keepShapeOut(p.outShape, S, d),
    S,
  );
  // each operand's gradient in its own dtype (1.12 / 1.13: ToCopyBackward casts the common dtype's sum)
  const make = (values: FloatArray, shape: readonly number[], own: DType): Tensor =>
    Object.freeze({ data: own === 'float32' ? Float32Array.from(values) : Float64Array.from(values), shape: Object.freeze([...shape]) });
  // round is one function whose dtype useDType switches: each op below is preceded by its dtype's
  let r = useDType(dtype);
  if (!p.torch.cosineSimilarityNormalizesFirst) {
    // out = w12 / n12 (in place on w12; the original w12 saved)
    const nShape = f.n12Shape!;
    const nOut = expand(f.n12!, nShape, p.outShape);
    const w12 = f.a!;
    const gW12 = allocate(dtype, w12.length);
    const gN = allocate(dtype, w12.length);
    for (let i = 0; i < w12.length; i++) {
      const gi = g[i]!;
      gW12[i] = r(gi / nOut[i]!);
      gN[i] = r(-gi * r(r(w12[i]! / nOut[i]!) / nOut[i]!));
    }
    const gn12 = sumTo(gN, p.outShape, nShape, dtype, lanes, r);
    // sqrt_, clamp_min_, then m = w1 * w2
    const min = r(p.eps * p.eps);
    const gm = allocate(dtype, gn12.length);
    for (let i = 0; i < gm.length; i++) {
      const gs = r(gn12[i]! / r(2 * f.n12![i]!));
      const mi = f.m![i]!;
      gm[i] = r(gs * (mi >= min ? 1 : 0));
    }
    const w1Shape = dropDim(p.x1.shape, p.d1);
    const w2Shape = dropDim(p.x2.shape, p.d2);
    const a1 = expand(f.w1!, w1Shape, nShape);
    const a2 = expand(f.w2!, w2Shape, nShape);
    // MulBackward of w1 * w2: in the product's dtype, summed to w1's (w2's) shape, then cast to its dtype
    const gw1 = sumTo(
      gm.map((x, i) => r(x * a2[i]!)),
      nShape,
      w1Shape,
      dtype,
      lanes,
      r,
    );
    const gw2 = sumTo(
      gm.map((x, i) => r(x * a1[i]!)),
      nShape,
      w2Shape,
      dtype,
      lanes,
      r,
    );
    // w12 = sum(x1 * x2, d): the products' gradients in the common dtype, summed to each shape
    const e1 = expand(p.x1.data, p.x1.shape, S);
    const e2 = expand(p.x2.data, p.x2.shape, S);
    const gp = expand(gW12, keepShapeOut(p.outShape, S, d), S);
    const gp1 = sumTo(
      gp.map((x, i) => r(x * e2[i]!)),
      S,
      p.x1.shape,
      dtype,
      lanes,
      r,
    );
    const gp2 = sumTo(
      gp.map((x, i) => r(x * e1[i]!)),
      S,
      p.x2.shape,
      dtype,
      lanes,
      r,
    );
    // SumBackward (expand along d), then MulBackward of x * x (two equal contributions), in the operand's
    // dtype, then w12's branch (cast to it) added: the operand's buffer receives q, q (w1's branch runs first:
    // created later), then w12's term
    const own = (x: Tensor, gwx: FloatArray, gpx: FloatArray, t: DType, dd: number) => {
      const rr = useDType(t);
      const gq = expand(gwx.map(rr), keepShape(x.shape, dd), x.shape);
      const out = allocate(t, x.data.length);
      const q = allocate(t, x.data.length);
      const gpc = allocate(t, x.data.length);
      for (let i = 0; i < out.length; i++) {
        q[i] = rr(gq[i]! * x.data[i]!);
        gpc[i] = rr(gpx[i]!);
        out[i] = rr(rr(q[i]! + q[i]!) + gpc[i]!);
      }
      return { out, terms: [q, q, gpc] };
    };
    const g1 = own(p.x1, gw1, gp1, t1, p.d1);
    const g2 = own(p.x2, gw2, gp2, t2, p.d2);
    return {
      grads: { x1: make(g1.out, p.x1.shape, p.own1), x2: make(g2.out, p.x2.shape, p.own2) },
      terms: { x1: g1.terms, x2: g2.terms },
    };
  }
  // out = sum(u * v, d), u = e1 / n1, v = e2 / n2
  const u = f.u!;
  const v = f.v!;
  const e1 = f.e1!;
  const e2 = f.e2!;
  const b1 = expand(f.n1!, K, S);
  const b2 = expand(f.n2!, K, S);
  // MulBackward of u * v: in the output's dtype, cast to u's (v's)
  const gu = allocate(t1, n);
  const gv = allocate(t2, n);
  if (t1 === dtype && t2 === dtype) {
    for (let i = 0; i < n; i++) {
      gu[i] = r(gw[i]! * v[i]!);
      gv[i] = r(gw[i]! * u[i]!);
    }
  } else {
    // (the Float32Array of a float32 operand rounds the float64 product once)
    for (let i = 0; i < n; i++) {
      gu[i] = gw[i]! * v[i]!;
      gv[i] = gw[i]! * u[i]!;
    }
  }
  // DivBackward, the norm's backward and the sum to the operand's shape, in the operand's dtype
  const operand = (
    x: Tensor,
    e: FloatArray,
    b: FloatArray,
    gq: FloatArray,
    n0: FloatArray,
    raw: FloatArray | undefined,
    t: DType,
    tl: number,
  ) => {
    r = useDType(t);
    const gDiv = allocate(t, n);
    const gnFull = allocate(t, n);
    for (let i = 0; i < n; i++) {
      gDiv[i] = r(gq[i]! / b[i]!);
      gnFull[i] = r(-gq[i]! * r(r(e[i]! / b[i]!) / b[i]!));
    }
    const gn = sumTo(gnFull, S, K, t, tl, r);
    const ga = allocate(t, n);
    let direct: FloatArray[] = [];
    if (p.torch.cosineSimilarityUsesVectorNorm) {
      // LinalgVectorNormBackward (through clone): grad * (self / norm).masked_fill_(norm == 0, 0)
      const rw = expand(raw!, K, S);
      const c = expand(gn, K, S);
      const norm = allocate(t, n);
      for (let i = 0; i < n; i++) {
        norm[i] = r(c[i]! * (rw[i] === 0 ? 0 : r(e[i]! / rw[i]!)));
        ga[i] = r(gDiv[i]! + norm[i]!);
      }
      // operands of one shape (expand_outplace leaves both as they are) reach their buffers as the two terms,
      // DivBackward's first; where the shapes differ it expands both (one of them to its own size), and each
      // ExpandBackward hands on their sum
      const x1s = p.x1.shape;
      const x2s = p.x2.shape;
      if (x1s.length === x2s.length && x1s.every((s, i) => s === x2s[i])) direct = [gDiv, norm];
    } else {
      // SqrtBackward (result n), then SumBackward (keepdim: expand), then PowBackward: grad * (2 * self)
      const gs = gn.map((y, i) => r(y / r(2 * n0[i]!)));
      const c = expand(gs, K, S);
      for (let i = 0; i < n; i++) ga[i] = r(gDiv[i]! + r(c[i]! * r(2 * e[i]!)));
    }
    // ExpandBackward: summed to the operand's shape
    const total = sumTo(ga, S, x.shape, t, tl, r);
    return { total, terms: direct.length ? direct : [total] };
  };
  const o1 = operand(p.x1, e1, b1, gu, f.n1!, f.raw1, t1, p.lanes1);
  const o2 = operand(p.x2, e2, b2, gv, f.n2!, f.raw2, t2, p.lanes2);
  return {
    grads: { x1: make(o1.total, p.x1.shape, p.own1), x2: make(o2.total, p.x2.shape, p.own2) },
    terms: { x1: o1.terms, x2: o2.terms },
  };
}

/** The output's shape with d kept as 1 (to expand a gradient of the output over S). */
function keepShapeOut(outShape: readonly number[], S: readonly number[], d: number): number[] {
  if (S.length === 0) return [];
  const k = [...outShape];
  k.splice(d, 0, 1);
  return k;
}
