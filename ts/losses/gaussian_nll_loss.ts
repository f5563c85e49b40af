// nn.GaussianNLLLoss / F.gaussian_nll_loss, forward and the gradients of input and var.
//
// A composite in torch/nn/functional.py (no ATen kernel of its own); each tensor op below rounds
// to the dtype, in this order (torch >= 1.9, pytorch#56469):
//   checks (torch >= 2.6, pytorch#138931): var < 0 anywhere -> ValueError; var's size; reduction;
//          (1.9 to 2.5): var's size; reduction; var < 0 anywhere.
//   var's size: equal to input's; or input.shape[:-1] (unsqueezed to input.shape[:-1] + (1,)); or
//          input.shape[:-1] + (1,) (before pytorch#147522), or input's rank with the var sizes at the
//          dims that differ from input adding up to 1 (after it); else "var is of incorrect size".
//   v = var.clone().clamp_(min=eps)   (no_grad: the gradient passes as if v were var; eps is a
//          Scalar rounded to the dtype; std::max(v, eps), so NaN var stays NaN, and a NaN eps leaves
//          var as it is, until clamp_(min=nan) became NaN everywhere: clampNanMinIsNan)
//   d = input - target;  s = d ** 2 (pow_tensor_scalar with exponent 2: d * d);  q = s / v
//   loss = 0.5 * (log(v) + q);  full: loss += 0.5 * math.log(2 * math.pi) (a Python double, rounded to the dtype)
//   then loss.mean() (sum, then / numel) or loss.sum() (ATen's cascade sum), or 'none'.
// torch 1.8 (pytorch#49807) viewed input, target and var as (N, -1), required input and target
// of the same size, and returned per row 0.5 * (log(v) + q).sum(dim=1) (+ 0.5 * D * log(2 pi)).
//
// log is ATen's (../unary-ops.ts: SLEEF's logf under avx2 / avx512, glibc's under 'default').
// Backward: autograd through exactly those ops (tools/autograd/derivatives.yaml, FunctionsManual.cpp):
//   mean: g / numel (MeanBackward: grad.expand(sizes) / numel);  full's += passes grad through;
//   gb = g * 0.5;  log(v): gb summed to v's shape (sum_to), / v;
//   q = s / v: self gb / v (summed to s's shape), other -gb * ((s / v) / v) (summed to v's shape);
//   var's gradient: the two added (InputBuffer), through clone (the clamp is not differentiated) and unsqueeze;
//   s = d ** 2: gs * (2 * d.pow(1));  d = input - target: summed to input's shape.
// The sums to a broadcast argument's shape follow ATen's sum order (../sum-to.ts).
// float32 input, target and var of one shape (torch >= 1.9) run as WebAssembly SIMD
// (../wasm/assembly/kernels.ts GAUSSIAN_NLL and its gradients: the same ops lane-wise, log as
// SLEEF's or glibc's logf bit for bit; the sum streamed inside); float64 ones as
// ../wasm/assembly/float64.ts's (Math.log's bits, two lanes at a time).

import { broadcastShapes, expandTo, rowColOperand, type RowColOperand } from '../broadcast.ts';
import { checkGradOutput, copyOptions, prepare, releaseNamed, sameShape, type CommonOptions, type LossSignature } from '../loss-args.ts';
import { lossModule3 } from '../loss-module.ts';
import { useDType, type Round } from '../numerics.ts';
import { dtypeOfData, resultType } from '../promotion.ts';
import { applyReduction, makeTensor } from '../reduction.ts';
import { atenSumTo } from '../sum-to.ts';
import { logOp, type UnaryOp } from '../unary-ops.ts';
import {
  LossArgumentError,
  allocate,
  checkAnyTensor,
  checkElementCount,
  formatShape,
  isIndexTensor,
  numel,
  type DType,
  type FloatArray,
  type IndexTensor,
  type Tensor,
} from '../tensor.ts';
import { sumLanes, type CpuCapability, type TorchRelease } from '../torch-version.ts';
import { kernelsFor, perElement, type Flag, type Float32Kernels } from '../wasm/float32-kernels.ts';

export interface GaussianNllOptions extends CommonOptions {
  /** Include the constant term 0.5 * log(2 * pi) (torch's full; default false). */
  full?: boolean;
  /** var is clamped to at least eps, without gradient (default 1e-6). */
  eps?: number;
}

/** var: a tensor, or (torch >= 2.6) a number, used as var * ones_like(input) (no gradient). */
export type GaussianNllVar = Tensor | IndexTensor | number;

/** The gradients by torch's argument names; var's is null when var was a number. */
export type GaussianNllGrads<V extends Tensor | null = Tensor> = {
  readonly input: Tensor;
  readonly var: V;
};

const OP = 'gaussianNllLoss';
const SIGNATURE = {
  tensorOptions: [],
  target: 'float or integer',
  // functional.py checks `reduction + " is not valid"` itself, after var's size.
  reductionCheckedLast: true,
  options: ['full', 'eps'],
  // F.gaussian_nll_loss has no size_average / reduce
  legacyReduction: false,
} as const satisfies LossSignature;

/** 0.5 * math.log(2 * math.pi) and math.log(2 * math.pi) as Python computes them (doubles). */
const HALF_LOG_2PI = 0.9189385332046727;
const LOG_2PI = 1.8378770664093453;

/** torch's infer_size: the broadcast shape, or its RuntimeError (checked from the last dim). */
function broadcastOrThrow(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  for (let i = n - 1; i >= 0; i--) {
    const offset = n - 1 - i;
    const sa = a[a.length - 1 - offset] ?? 1;
    const sb = b[b.length - 1 - offset] ?? 1;
    if (sa !== sb && sa !== 1 && sb !== 1) {
      throw new LossArgumentError(
        `${op}: The size of tensor a (${sa}) must match the size of tensor b (${sb}) at non-singleton dimension ${i}`,
      );
    }
  }
  return broadcastShapes(a, b)!;
}

/** `data` (shaped `shape`) read as `full`: itself when the shapes agree, else expanded. */
function over(data: ArrayLike<number>, shape: readonly number[], full: readonly number[]): ArrayLike<number> {
  return sameShape(shape, full) ? data : expandTo({ data: data as FloatArray, shape }, full);
}

/** The var shape torch computes with (unsqueezed where functional.py unsqueezes it), or null: "var is of incorrect size". */
function effectiveVarShape(torch: TorchRelease, input: readonly number[], v: readonly number[]): readonly number[] | null {
  if (sameShape(v, input)) return v;
  const lead = input.slice(0, -1);
  if (sameShape(lead, v)) return [...v, 1];
  if (torch.gaussianNllVarOneMismatchedDim) {
    if (input.length !== v.length) return null;
    let sum = 0;
    for (let i = 0; i < v.length; i++) if (v[i] !== input[i]) sum += v[i]!;
    return sum === 1 ? v : null;
  }
  return sameShape(lead, v.slice(0, -1)) && v[v.length - 1] === 1 ? v : null;
}

function anyNegative(data: ArrayLike<number>): boolean {
  const kernels = data instanceof Float32Array ? kernelsFor('float32') : null;
  if (kernels) return kernels.firstNegative(data as Float32Array) >= 0;
  for (let i = 0; i < data.length; i++) if (data[i]! < 0) return true;
  return false;
}

const incorrectSize = (op: string, v: readonly number[], input: readonly number[]) =>
  new LossArgumentError(`${op}: var is of incorrect size (var ${formatShape(v)}, input ${formatShape(input)})`, 'ValueError');
const negativeVar = (op: string) => new LossArgumentError(`${op}: var has negative entry/entries`, 'ValueError');

/** The computation torch runs, after every check: shapes, data and constants. */
interface Plan {
  readonly dtype: DType;
  readonly round: Round;
  readonly lanes: number;
  readonly reduction: 'none' | 'mean' | 'sum';
  /** at::log of one element: SLEEF's logf under avx2 / avx512, glibc's under 'default' (float32). */
  readonly log: UnaryOp;
  readonly full: boolean;
  /** torch 1.8: rows of (N, D), each summed (before the 0.5). */
  readonly rowSums: boolean;
  readonly x: ArrayLike<number>;
  readonly xShape: readonly number[];
  readonly t: ArrayLike<number>;
  readonly tShape: readonly number[];
  /**
   * var clamped to eps: clampedVar(p) computes it at its first call and keeps it here (a field and
   * a module function: an object literal with a getter took ~1 us of a call to create, a closure
   * per call ~0.3 us under tsx's keepNames).
   */
  vClamped: Float64Array | null;
  /** var's values before the clamp, eps rounded to the dtype, and whether clamp_(min=nan) makes every value NaN. */
  readonly varValues: ArrayLike<number>;
  readonly eps: number;
  readonly nanEverywhere: boolean;
  readonly capability: CpuCapability;
  readonly vShape: readonly number[];
  /** input - target's shape, and the loss's (before any row sum). */
  readonly sShape: readonly number[];
  readonly outShape: readonly number[];
  /** Whether var is a tensor whose gradient is asked for. */
  readonly varIsTensor: boolean;
  /** Arguments of more than one float dtype: each op in its own operands' dtype (see Mixed). */
  readonly mixed: Mixed | null;
}

/**
 * The dtypes of a call whose tensors mix float32 and float64 (torch's type promotion per op, 0-d
 * tensors outranked by dimensioned ones): d = input - target and d ** 2 in `sub`; var's clamp and
 * log in var's dtype; s / var, log(var) + q, 0.5 *, the constant and the reduction in the result
 * dtype (the Plan's dtype). The backward runs each node in its forward dtype and casts each
 * gradient to its argument's dtype (autograd's validate_outputs, after the broadcast's sum_to).
 */
interface Mixed {
  readonly input: DType;
  readonly sub: DType;
  readonly var: DType;
  readonly rInput: Round;
  readonly rSub: Round;
  readonly rVar: Round;
  /** The result's rounding (fround or none, not numerics.ts's switched round). */
  readonly rOut: Round;
  readonly lanesSub: number;
}

const keep: Round = (x) => x;
const roundOf = (d: DType): Round => (d === 'float32' ? Math.fround : keep);
/** result_type of two float tensors of dtypes a, b, dimensioned or 0-d. */
const promote = (a: DType, aDims: boolean, b: DType, bDims: boolean): DType => (a === b ? a : aDims === bDims ? 'float64' : aDims ? a : b);

function plan(
  op: string,
  args: { input: Tensor; target: Tensor | IndexTensor; variance: unknown; gradOutput?: Tensor },
  options: GaussianNllOptions | undefined,
): Plan & { gradOutput: Tensor | null } {
  // Before 1.8 the lookup of F.gaussian_nll_loss fails before Python binds or checks any argument.
  const copy = copyOptions(options, ['reduction', 'full', 'eps', 'torchVersion', 'cpuCapability']);
  const named = releaseNamed(op, copy);
  const c =
    named && !named.gaussianNllLossExists
      ? null
      : prepare(
          op,
          SIGNATURE,
          { input: args.input, target: args.target, ...('gradOutput' in args ? { gradOutput: args.gradOutput } : {}) },
          copy,
        );
  const torch = c?.torch ?? named!;
  if (c === null || !torch.gaussianNllLossExists) {
    throw new LossArgumentError(
      `${op}: torch ${torch.version} has no gaussian_nll_loss (module 'torch.nn.functional' has no attribute 'gaussian_nll_loss'); F.gaussian_nll_loss and nn.GaussianNLLLoss were added in torch 1.8 (pytorch#49807)`,
      'AttributeError',
    );
  }
  const variance = args.variance;
  if (typeof variance !== 'number') checkAnyTensor(variance, op, 'var');
  const full = c.extra.full ?? false;
  if (typeof full !== 'boolean') throw new LossArgumentError(`${op}: full must be a boolean, got ${typeof full}`, 'TypeError');
  const eps = c.extra.eps === undefined ? 1e-6 : c.extra.eps;
  if (eps !== null && typeof eps !== 'number') {
    throw new LossArgumentError(
      `${op}: eps must be a number, got ${typeof eps} (torch: clamp_() received an invalid combination of arguments)`,
      'TypeError',
    );
  }
  const input = c.input;
  const target = c.target as Tensor;
  const varTensor = typeof variance === 'number' ? null : (variance as Tensor | IndexTensor);
  const dtype: DType = c.dtype === 'float64' || varTensor?.data instanceof Float64Array ? 'float64' : 'float32';
  const reductionError = c.reductionError;

  const x: ArrayLike<number> = input.data;
  let xShape: readonly number[] = input.shape;
  const t: ArrayLike<number> = target.data;
  let tShape: readonly number[] = target.shape;
  let vData: ArrayLike<number>;
  let vShape: readonly number[];
  let rowSums = false;
  if (!torch.gaussianNllElementwise) {
    // torch 1.8: input.view(input.size(0), -1), target likewise, then var.view(input.size(0), -1).
    const rows = (shape: readonly number[], what: string): [number, number] => {
      if (shape.length === 0)
        throw new LossArgumentError(`${op}: ${what}: dimension specified as 0 but tensor has no dimensions`, 'IndexError');
      const n = shape[0]!;
      if (n === 0) {
        throw new LossArgumentError(
          `${op}: ${what}: cannot reshape tensor of 0 elements into shape [0, -1] because the unspecified dimension size -1 can be any value and is ambiguous`,
        );
      }
      return [n, numel(shape) / n];
    };
    const [n, d] = rows(input.shape, 'input');
    const [nt, dt] = rows(target.shape, 'target');
    if (n !== nt || d !== dt) {
      throw new LossArgumentError(`${op}: input and target must have same size (viewed as [${n}, ${d}] and [${nt}, ${dt}])`, 'ValueError');
    }
    if (varTensor === null)
      throw new LossArgumentError(
        `${op}: 'float' object has no attribute 'view' (AttributeError: var must be a tensor before torch 2.6)`,
        'TypeError',
      );
    const k = varTensor.data.length;
    if (k % n !== 0) throw new LossArgumentError(`${op}: shape '[${n}, -1]' is invalid for input of size ${k}`);
    if (k / n !== d && k / n !== 1) throw incorrectSize(op, varTensor.shape, input.shape);
    if (reductionError) throw reductionError;
    if (anyNegative(varTensor.data)) throw negativeVar(op);
    xShape = [n, d];
    tShape = [n, d];
    vShape = [n, k / n];
    vData = varTensor.data;
    rowSums = true;
  } else if (varTensor === null) {
    if (!torch.gaussianNllAcceptsFloatVar) {
      throw new LossArgumentError(
        `${op}: 'float' object has no attribute 'size' (AttributeError: var must be a tensor before torch 2.6, pytorch#138931)`,
        'TypeError',
      );
    }
    const value = variance as number;
    if (value < 0) throw negativeVar(op);
    // var * torch.ones_like(input): the input's shape and dtype.
    vData = new Float64Array(input.data.length).fill(input.data instanceof Float32Array ? Math.fround(value) : value);
    vShape = input.shape;
    if (reductionError) throw reductionError;
  } else {
    if (torch.gaussianNllAcceptsFloatVar && anyNegative(varTensor.data)) throw negativeVar(op);
    const shape = effectiveVarShape(torch, input.shape, varTensor.shape);
    if (shape === null) throw incorrectSize(op, varTensor.shape, input.shape);
    if (reductionError) throw reductionError;
    if (!torch.gaussianNllAcceptsFloatVar && anyNegative(varTensor.data)) throw negativeVar(op);
    vShape = shape;
    vData = varTensor.data;
  }
  // Type promotion per op, for arguments of more than one float dtype (torch >= 1.9's formula).
  let mixed: Mixed | null = null;
  let dtypeUsed = dtype;
  if (!rowSums) {
    const dIn = dtypeOfData(input.data) as DType;
    const dSub = resultType(input, args.target as Tensor | IndexTensor);
    const dVar = varTensor === null || isIndexTensor(varTensor) ? dIn : (dtypeOfData(varTensor.data) as DType);
    const sDims = broadcastShapes(xShape, tShape)?.length !== 0;
    const dOut = promote(dSub, sDims, dVar, vShape.length > 0);
    if (!(dIn === dtype && dSub === dtype && dVar === dtype && dOut === dtype)) {
      mixed = {
        input: dIn,
        sub: dSub,
        var: dVar,
        rInput: roundOf(dIn),
        rSub: roundOf(dSub),
        rVar: roundOf(dVar),
        rOut: roundOf(dOut),
        lanesSub: sumLanes(dSub, c.torch, c.capability),
      };
      dtypeUsed = dOut;
    }
  }
  // var.clamp_(min=eps)
  if (eps === null) throw new LossArgumentError(`${op}: eps is None (null): torch.clamp: At least one of 'min' or 'max' must not be None`);
  if (varTensor !== null && isIndexTensor(varTensor)) {
    throw new LossArgumentError(
      `${op}: var holds integers (torch.long): clamp_(min=eps): result type Float can't be cast to the desired output type long int`,
    );
  }
  const sShape = rowSums ? xShape : broadcastOrThrow(op, xShape, tShape);
  const outShape = rowSums ? xShape : broadcastOrThrow(op, sShape, vShape);
  checkElementCount(op, 'the broadcast shape', outShape);
  const r = useDType(dtypeUsed);
  // clamp_ runs in var's dtype (eps a Scalar rounded to it)
  const rClamp = mixed ? mixed.rVar : r;
  const epsR = rClamp(eps);
  const nanEverywhere = torch.clampNanMinIsNan && epsR !== epsR;
  return {
    dtype: dtypeUsed,
    round: r,
    lanes: sumLanes(dtypeUsed, c.torch, c.capability),
    reduction: c.reduction,
    log: logOp(mixed ? mixed.var : dtype, c.capability),
    full,
    rowSums,
    x,
    xShape,
    t,
    tShape,
    vClamped: null,
    varValues: vData,
    eps: epsR,
    nanEverywhere,
    capability: c.capability,
    vShape,
    sShape,
    outShape,
    varIsTensor: varTensor !== null,
    mixed,
    gradOutput: c.gradOutput,
  };
}

/** var.clamp_(min=eps) in var's dtype (eps rounded to it), computed once per plan. */
function clampedVar(p: Plan): Float64Array {
  if (p.vClamped !== null) return p.vClamped;
  const rClamp = p.mixed ? p.mixed.rVar : p.round;
  const vData = p.varValues;
  const v = new Float64Array(vData.length);
  for (let i = 0; i < v.length; i++) {
    const value = rClamp(vData[i]!);
    v[i] = p.nanEverywhere ? NaN : value < p.eps ? p.eps : value;
  }
  p.vClamped = v;
  return v;
}

/** A per-element operand of rows of `classes` (a module function: no closure per call). */
function rowOperand(data: FloatArray, classes: number): RowColOperand {
  return { data, rowStride: classes, colStride: 1 };
}

/**
 * The kernels, for input, target and var (a tensor) of one shape and one dtype (float32, or
 * float64: log is Math.log there under every capability), elementwise (torch >= 1.9), unless
 * clamp_(min=nan) makes var NaN; with the call's operands and row length. `varBroadcasts`: the
 * forward of float64 may also take a var that broadcasts to the input (one dim fewer, a last dim of
 * 1, ...: a per-row or other RowColOperand; log(v) of each var element is the same for every
 * element it reaches).
 */
function kernels(
  p: Plan,
  varBroadcasts = false,
): {
  k: Float32Kernels;
  operands: { target: RowColOperand; var: RowColOperand; eps: RowColOperand };
  flags: Flag[];
  classes: number;
} | null {
  const n = p.x.length;
  const varSame = sameShape(p.vShape, p.outShape);
  if (p.mixed || p.rowSums || p.nanEverywhere || !p.varIsTensor || !sameShape(p.xShape, p.outShape) || !sameShape(p.tShape, p.outShape))
    return null;
  if (!varSame && !(varBroadcasts && p.dtype === 'float64')) return null;
  const Data = p.dtype === 'float32' ? Float32Array : Float64Array;
  if (!(p.x instanceof Data && p.t instanceof Data && p.varValues instanceof Data)) return null;
  const k = kernelsFor(p.dtype);
  if (!k) return null;
  const flags: Flag[] = p.capability === 'default' ? ['USES_GLIBC'] : []; // float64: fdlibm's log (else SLEEF's, fma build) in ../wasm/assembly/float64.ts
  if (p.full) flags.push('FULL');
  // one row of n when var is the input's shape (the chunks then walked whole), else rows of the last dim
  const classes = varSame ? n : p.outShape.length === 0 ? 1 : p.outShape[p.outShape.length - 1]!;
  const variance = varSame
    ? rowOperand(p.varValues as FloatArray, classes)
    : rowColOperand({ data: p.varValues, shape: p.vShape }, p.outShape);
  return {
    k,
    operands: { target: rowOperand(p.t as FloatArray, classes), var: variance, eps: { data: Data.of(p.eps), rowStride: 0, colStride: 0 } },
    flags,
    classes,
  };
}

/** The forward's shared intermediates: d = input - target (over s's shape), log(v), and the loss terms. */
function intermediates(p: Plan) {
  const r = p.round;
  const xs = over(p.x, p.xShape, p.sShape);
  const ts = over(p.t, p.tShape, p.sShape);
  const d = new Float64Array(numel(p.sShape));
  const s = new Float64Array(d.length);
  if (p.mixed) {
    // input - target in their promoted dtype (each operand rounded to it as it enters), then d ** 2
    const rs = p.mixed.rSub;
    for (let i = 0; i < d.length; i++) {
      d[i] = rs(rs(xs[i]!) - rs(ts[i]!));
      s[i] = rs(d[i]! * d[i]!);
    }
  } else {
    for (let i = 0; i < d.length; i++) {
      d[i] = r(xs[i]! - ts[i]!);
      s[i] = r(d[i]! * d[i]!);
    }
  }
  const rLog = p.mixed ? p.mixed.rVar : r;
  const v = clampedVar(p);
  const logV = new Float64Array(v.length);
  for (let i = 0; i < logV.length; i++) logV[i] = rLog(p.log(v[i]!));
  return {
    d,
    s,
    logV,
    sOut: over(s, p.sShape, p.outShape),
    vOut: over(v, p.vShape, p.outShape),
    logOut: over(logV, p.vShape, p.outShape),
  };
}

/** The per-row constant 1.8 adds with full: 0.5 * D * math.log(2 * math.pi). */
function fullConstant(p: Plan): number {
  return p.round(p.rowSums ? 0.5 * p.xShape[1]! * LOG_2PI : HALF_LOG_2PI);
}

function forwardLoss(p: Plan): Tensor {
  const fast = kernels(p, true);
  if (fast) {
    const out = fast.k.tryRun(
      {
        op: 'GAUSSIAN_NLL',
        input: p.x as Float32Array,
        classes: fast.classes,
        operands: fast.operands,
        flags: fast.flags,
        scalar: p.full ? fullConstant(p) : 0,
        results: 'elements',
        sumLanes: p.lanes,
      },
      p.reduction,
      p.outShape,
    );
    if (out) return out;
  }
  const { sOut, vOut, logOut } = intermediates(p);
  const r = p.mixed ? p.mixed.rOut : p.round;
  const n = numel(p.outShape);
  const terms = p.rowSums ? new Float64Array(n) : allocate(p.dtype, n);
  if (p.mixed) {
    // each operand rounded to the result dtype as it enters s / v and log(v) + q
    for (let e = 0; e < n; e++) terms[e] = r(0.5 * r(r(logOut[e]!) + r(r(sOut[e]!) / r(vOut[e]!))));
  } else {
    for (let e = 0; e < n; e++) {
      const b = r(logOut[e]! + r(sOut[e]! / vOut[e]!));
      terms[e] = p.rowSums ? b : r(0.5 * b);
    }
  }
  let losses: ArrayLike<number> = terms;
  let shape = p.outShape;
  if (p.rowSums) {
    // (...).view(N, -1).sum(dim=1), then 0.5 *
    const rows = atenSumTo(terms, p.outShape, [p.outShape[0]!, 1], p.dtype, p.lanes, r);
    for (let i = 0; i < rows.length; i++) rows[i] = r(0.5 * rows[i]!);
    losses = rows;
    shape = [p.outShape[0]!];
  }
  if (p.full) {
    const cst = fullConstant(p);
    const out = losses as FloatArray;
    for (let i = 0; i < out.length; i++) out[i] = r(out[i]! + cst);
  }
  return applyReduction(losses, shape, p.reduction, p.dtype, p.lanes, r);
}

function lossShape(p: Plan): readonly number[] {
  return p.rowSums ? [p.outShape[0]!] : p.outShape;
}

/**
 * Gaussian negative log likelihood of `target` under N(input, var): 0.5 * (log(max(var, eps)) +
 * (input - target)^2 / max(var, eps)) (+ 0.5 * log(2 pi) with full), reduced. var has input's
 * shape, or one dim fewer, or a last dim of 1 (torch >= 2.7 also one other dim of 1), or is a number (torch >= 2.6).
 */
export function gaussianNllLoss(
  input: Tensor,
  target: Tensor | IndexTensor,
  variance: GaussianNllVar,
  options?: GaussianNllOptions,
): Tensor {
  return forwardLoss(plan(OP, { input, target, variance }, options));
}

/** d loss / d input and d loss / d var (null when var is a number) for a gradOutput shaped like the forward output. */
export function gaussianNllLossBackward(
  gradOutput: Tensor,
  input: Tensor,
  target: Tensor | IndexTensor,
  variance: Tensor | IndexTensor,
  options?: GaussianNllOptions,
): GaussianNllGrads;
export function gaussianNllLossBackward(
  gradOutput: Tensor,
  input: Tensor,
  target: Tensor | IndexTensor,
  variance: number,
  options?: GaussianNllOptions,
): GaussianNllGrads<null>;
export function gaussianNllLossBackward(
  gradOutput: Tensor,
  input: Tensor,
  target: Tensor | IndexTensor,
  variance: GaussianNllVar,
  options?: GaussianNllOptions,
): GaussianNllGrads<Tensor | null>;
export function gaussianNllLossBackward(
  gradOutput: Tensor,
  input: Tensor,
  target: Tensor | IndexTensor,
  variance: GaussianNllVar,
  options?: GaussianNllOptions,
): GaussianNllGrads<Tensor | null> {
  const op = `${OP}Backward`;
  const p = plan(op, { input, target, variance, gradOutput }, options);
  checkGradOutput(op, gradOutput, p.reduction === 'none' ? lossShape(p) : []);
  const fast = gradOutput.data instanceof Float32Array || p.dtype === 'float64' ? kernels(p) : null;
  if (fast) {
    const n = p.x.length;
    const go = gradOutput.data;
    // each element's g: grad_output's, or its one value (divided by numel for 'mean')
    const one =
      p.dtype === 'float32'
        ? Float32Array.of(p.reduction === 'mean' ? Math.fround(go[0]! / Math.fround(n)) : go[0]!)
        : Float64Array.of(p.reduction === 'mean' ? go[0]! / n : go[0]!);
    const g = p.reduction === 'none' ? perElement(gradOutput, n) : { data: one, rowStride: 0, colStride: 0 };
    const call = {
      input: p.x as Float32Array,
      classes: n,
      operands: { ...fast.operands, gradOutput: g },
      flags: fast.flags,
      results: 'elements',
    } as const;
    // both gradients from one pass over the arrays (each chunk copied into the module once)
    const both = fast.k.tryRunBoth({ ...call, op: 'GAUSSIAN_NLL_GRAD' }, 'GAUSSIAN_NLL_VAR_GRAD', input.shape, (variance as Tensor).shape);
    if (both) return { input: both[0], var: both[1] };
  }
  if (p.mixed) return mixedBackward(p, p.mixed, gradOutput, input, variance);
  const r = useDType(p.dtype);
  const { d, sOut, vOut } = intermediates(p);
  const go = gradOutput.data;
  const n = numel(p.outShape);
  // gb: the gradient of log(v) + q, element by element of the loss before reduction.
  const gb = new Float64Array(n);
  if (p.rowSums) {
    const rows = p.outShape[0]!;
    const cols = rows === 0 ? 0 : n / rows;
    for (let i = 0; i < rows; i++) {
      const g = p.reduction === 'none' ? go[i]! : p.reduction === 'mean' ? r(go[0]! / r(rows)) : go[0]!;
      const gRow = r(g * 0.5);
      gb.fill(gRow, i * cols, (i + 1) * cols);
    }
  } else {
    const gMean = p.reduction === 'mean' ? r(go[0]! / r(n)) : go[0]!;
    for (let e = 0; e < n; e++) gb[e] = r((p.reduction === 'none' ? go[e]! : gMean) * 0.5);
  }
  const gs = new Float64Array(n);
  const gvDiv = new Float64Array(n);
  for (let e = 0; e < n; e++) {
    const v = vOut[e]!;
    gs[e] = r(gb[e]! / v);
    gvDiv[e] = r(-gb[e]! * r(r(sOut[e]! / v) / v));
  }
  const gsS = atenSumTo(gs, p.outShape, p.sShape, 'float64', p.lanes, r);
  const gd = new Float64Array(gsS.length);
  for (let i = 0; i < gd.length; i++) gd[i] = r(gsS[i]! * r(2 * d[i]!));
  const gx = atenSumTo(gd, p.sShape, p.xShape, p.dtype, p.lanes, r);
  const inputGrad = makeTensor(gx, input.shape, p.dtype);
  if (!p.varIsTensor) return { input: inputGrad, var: null };
  const ga =
    p.rowSums && p.vShape[1] === 1 && p.xShape[1] !== 1
      ? sumOfExpandedRows(gb, p.xShape[0]!, p.xShape[1]!, p.lanes, r)
      : atenSumTo(gb, p.outShape, p.vShape, 'float64', p.lanes, r);
  const gvd = atenSumTo(gvDiv, p.outShape, p.vShape, 'float64', p.lanes, r);
  const v = clampedVar(p);
  const gv = allocate(p.dtype, v.length);
  for (let i = 0; i < gv.length; i++) gv[i] = r(r(ga[i]! / v[i]!) + gvd[i]!);
  return { input: inputGrad, var: makeTensor(gv, (variance as Tensor).shape, p.dtype) };
}

/**
 * The backward of arguments of more than one dtype (torch >= 1.9's formula): every node in its
 * forward dtype, each gradient summed to its operand's shape in the node's dtype, then cast to the
 * operand's (autograd's validate_outputs), the input's and var's in their own dtypes.
 */
function mixedBackward(p: Plan, m: Mixed, gradOutput: Tensor, input: Tensor, variance: GaussianNllVar): GaussianNllGrads<Tensor | null> {
  const { d, sOut, vOut } = intermediates(p);
  const r = m.rOut;
  const go = gradOutput.data;
  const n = numel(p.outShape);
  const gMean = p.reduction === 'mean' ? r(r(go[0]!) / r(n)) : r(go[0]!);
  // gb: MulBackward of 0.5 * (log(v) + q), in the result dtype
  const gb = new Float64Array(n);
  for (let e = 0; e < n; e++) gb[e] = r((p.reduction === 'none' ? r(go[e]!) : gMean) * 0.5);
  // q = s / v: self's gradient gb / v, other's -gb * ((s / v) / v), in the result dtype
  const gq = new Float64Array(n);
  const gvDiv = new Float64Array(n);
  for (let e = 0; e < n; e++) {
    const v = r(vOut[e]!);
    gq[e] = r(gb[e]! / v);
    gvDiv[e] = r(-gb[e]! * r(r(r(sOut[e]!) / v) / v));
  }
  // to s (d ** 2, in sub's dtype): summed to s's shape, cast; then PowBackward grad * (2 * d)
  const gsS = atenSumTo(gq, p.outShape, p.sShape, 'float64', p.lanes, r);
  const rs = m.rSub;
  const gd = new Float64Array(gsS.length);
  for (let i = 0; i < gd.length; i++) gd[i] = rs(rs(gsS[i]!) * rs(2 * d[i]!));
  const gxSub = atenSumTo(gd, p.sShape, p.xShape, 'float64', m.lanesSub, rs);
  const gx = allocate(m.input, gxSub.length);
  for (let i = 0; i < gx.length; i++) gx[i] = m.rInput(gxSub[i]!);
  const inputGrad = makeTensor(gx, input.shape, m.input);
  if (!p.varIsTensor) return { input: inputGrad, var: null };
  // to var: log(v)'s gradient (gb summed to v's shape, cast, / v in var's dtype) plus the division's (summed, cast)
  const rv = m.rVar;
  const ga = atenSumTo(gb, p.outShape, p.vShape, 'float64', p.lanes, r);
  const gvd = atenSumTo(gvDiv, p.outShape, p.vShape, 'float64', p.lanes, r);
  const v = clampedVar(p);
  const gv = allocate(m.var, v.length);
  for (let i = 0; i < gv.length; i++) gv[i] = rv(rv(rv(ga[i]!) / v[i]!) + rv(gvd[i]!));
  return { input: inputGrad, var: makeTensor(gv, (variance as Tensor).shape, m.var) };
}

/** multi_row_sum of one column holding `size` copies of `value` (SumKernel.cpp's 4-level cascade). */
function cascadeOfCopies(value: number, size: number, r: Round): number {
  const levelPower = Math.max(4, Math.floor((size <= 1 ? 0 : Math.ceil(Math.log2(size))) / 4));
  const step = 2 ** levelPower;
  const acc = [0, 0, 0, 0];
  let i = 0;
  while (i + step <= size) {
    for (let j = 0; j < step; j++, i++) acc[0] = r(acc[0]! + value);
    for (let level = 1; level < 4; level++) {
      acc[level] = r(acc[level]! + acc[level - 1]!);
      acc[level - 1] = 0;
      if ((i & ((step - 1) * 2 ** (level * levelPower))) !== 0) break;
    }
  }
  for (; i < size; i++) acc[0] = r(acc[0]! + value);
  return r(r(r(acc[0]! + acc[1]!) + acc[2]!) + acc[3]!);
}

/** row_sum of `size` copies of `value`: four interleaved cascades, the tail into the first, then added. */
function rowSumOfCopies(value: number, size: number, r: Round): number {
  const ilp = Math.floor(size / 4);
  const part = cascadeOfCopies(value, ilp, r);
  let p0 = part;
  for (let i = ilp * 4; i < size; i++) p0 = r(p0 + value);
  return r(r(r(p0 + part) + part) + part);
}

/**
 * torch 1.8's gradient of log(var) for a (N, 1) var: SumBackward1 hands on grad.unsqueeze(1).expand(N, D)
 * (stride 0 along each row) and sum_to reduces it over that stride-0 dim: cascade_sum's
 * vectorized_outer_sum when N >= lanes (the first groups of 4 vectors without the 4-way split),
 * else scalar_inner_sum.
 */
function sumOfExpandedRows(gb: Float64Array, rows: number, cols: number, lanes: number, r: Round): Float64Array {
  const out = new Float64Array(rows);
  const grouped = rows >= lanes ? Math.floor(rows / (4 * lanes)) * 4 * lanes : 0;
  for (let n = 0; n < rows; n++) {
    const g = gb[n * cols]!;
    out[n] = r(0 + (n < grouped ? cascadeOfCopies(g, cols, r) : rowSumOfCopies(g, cols, r)));
  }
  return out;
}

/** nn.GaussianNLLLoss(full, eps, reduction): the options fixed at construction, as torch's module. */
export const GaussianNLLLoss = lossModule3<GaussianNllOptions, Tensor | IndexTensor, GaussianNllVar, GaussianNllGrads<Tensor | null>>(
  'GaussianNLLLoss',
  gaussianNllLoss,
  gaussianNllLossBackward,
);
export type GaussianNLLLoss = InstanceType<typeof GaussianNLLLoss>;
