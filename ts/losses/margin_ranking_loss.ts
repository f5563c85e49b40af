// nn.MarginRankingLoss / F.margin_ranking_loss, forward and the gradients of input1 and input2.
//
// Checks, in torch's order: torch/nn/functional.py's reduction (_Reduction.get_enum: ValueError);
// its dim check: torch >= 1.11 (pytorch#64975) "All input tensors should have same dimension"
// (0-d tensors allowed), before "margin_ranking_loss does not support scalars" for any 0-d one
// (dims may differ); then torch.margin_ranking_loss's argument parser (margin must be a float:
// TypeError); then ATen's broadcasting (RuntimeError, infer_size's message).
//
// A composite in aten/src/ATen/native/Loss.cpp margin_ranking_loss, each op rounded to its dtype:
//   d = input1 - input2                  (broadcast; promote(input1, input2))
//   u = -target * d + margin             (broadcast with target; promote(all three); margin a
//                                         Scalar rounded to that dtype; an int64 target promotes to it)
//   loss = u.clamp_min_(0)               (NaN stays NaN), then apply_loss_reduction (mean: sum / numel).
// Backward: autograd through those ops (tools/autograd/derivatives.yaml):
//   mean: g / numel (MeanBackward: grad.expand / numel);  clamp_min_: where(u >= 0, g, 0), from
//   torch 2.14 where(u > 0, g, 0) (pytorch#191142; clampMinGradZeroAtMin); + margin passes g;
//   mul: gd = g * (-target), summed to d's shape (sum_to in ATen's order, ../sum-to.ts);
//   sub: input1's gd summed to its shape, input2's -gd summed to its shape.
// target is differentiated by torch too (when it requires grad) but no golden asks for it: the
// backward returns the gradients of input1 and input2. Elementwise ops are exact per element, so
// only the reductions and sums depend on ATen's lane order.
// Speed: three tensors of one shape and dtype (the common case) run one fused loop per dtype, the
// losses streamed into the cascade sum (../numerics.ts CascadeStream32/64), the clamp's select
// by a table rather than a branch; the same ops per element, so the same values. float32 of that
// case runs those loops as WebAssembly SIMD (../wasm/vectors.ts, ../wasm/assembly/vectors.ts: the
// sum streamed in the module over ATen's 8 or 16 lanes), bit for bit the JS loops' values.

import { broadcastShapes, expandTo, inferSizeMismatch } from '../broadcast.ts';
import { checkGradOutput, prepare, sameShape, torchSize, type CommonOptions, type LossSignature } from '../loss-args.ts';
import { lossModule3 } from '../loss-module.ts';
import { stream32, stream64, useDType, type Round } from '../numerics.ts';
import { floatArgument } from '../pointwise-loss.ts';
import { applyReduction, makeTensor, reducedTotal } from '../reduction.ts';
import { atenSumTo } from '../sum-to.ts';
import {
  LossArgumentError,
  allocate,
  checkAnyTensor,
  checkElementCount,
  checkTensor,
  isIndexTensor,
  numel,
  type DType,
  type IndexTensor,
  type Tensor,
} from '../tensor.ts';
import { sumLanes, type TorchRelease } from '../torch-version.ts';
import { vectorKernels } from '../wasm/vectors.ts';

export interface MarginRankingOptions extends CommonOptions {
  /** The margin (torch's default 0). */
  margin?: number;
}

/** The gradients by torch's argument names. */
export type MarginRankingGrads = {
  readonly input1: Tensor;
  readonly input2: Tensor;
};

const OP = 'marginRankingLoss';
const SIGNATURE = { tensorOptions: [], target: 'float', options: ['margin'] } as const satisfies LossSignature;

const f64 = (t: Tensor | IndexTensor) => t.data instanceof Float64Array;

interface Plan {
  readonly torch: TorchRelease;
  readonly reduction: 'none' | 'mean' | 'sum';
  /** promote(input1, input2): input1 - input2's dtype. */
  readonly dDtype: DType;
  /** promote(input1, input2, target): the loss's dtype. */
  readonly dtype: DType;
  /** Rounds to the loss's dtype (useDType's switch: set again before each phase). */
  readonly r: Round;
  /** Rounds to d's dtype, by itself (not the global switch). */
  readonly rd: (x: number) => number;
  readonly lanes: number;
  readonly dLanes: number;
  readonly margin: number;
  readonly dShape: readonly number[];
  readonly outShape: readonly number[];
  readonly gradOutput: Tensor | null;
}

function plan(
  op: string,
  args: { input1: unknown; input2: unknown; target: unknown; gradOutput?: unknown },
  options: MarginRankingOptions | undefined,
): Plan {
  checkTensor(args.input1, op, 'input1');
  checkTensor(args.input2, op, 'input2');
  checkAnyTensor(args.target, op, 'target');
  const c = prepare(
    op,
    SIGNATURE,
    { input: args.input1, target: args.target, ...('gradOutput' in args ? { gradOutput: args.gradOutput } : {}) },
    options,
  );
  const input1 = args.input1;
  const input2 = args.input2;
  const target = args.target;
  const torch = c.torch;
  const sizes = () => `input1: ${torchSize(input1.shape)}, input2: ${torchSize(input2.shape)}, target: ${torchSize(target.shape)} `;
  if (torch.marginRankingSameDim) {
    if (input1.shape.length !== input2.shape.length || input1.shape.length !== target.shape.length) {
      throw new LossArgumentError(`${op}: margin_ranking_loss : All input tensors should have same dimension but got sizes: ${sizes()}`);
    }
  } else if (input1.shape.length === 0 || input2.shape.length === 0 || target.shape.length === 0) {
    throw new LossArgumentError(`${op}: margin_ranking_loss does not support scalars, got sizes: ${sizes()}`);
  }
  const given = c.extra.margin;
  const margin = floatArgument(op, 'margin_ranking_loss', 'margin', 4, given === undefined ? 0 : given);
  const dShape = broadcastShapes(input1.shape, input2.shape);
  if (dShape === null) throw new LossArgumentError(`${op}: input1 - input2: ${inferSizeMismatch(input1.shape, input2.shape)}`);
  const outShape = broadcastShapes(target.shape, dShape);
  if (outShape === null) throw new LossArgumentError(`${op}: -target * (input1 - input2): ${inferSizeMismatch(target.shape, dShape)}`);
  checkElementCount(op, 'the broadcast shape', outShape);
  const dDtype: DType = f64(input1) || f64(input2) ? 'float64' : 'float32';
  const dtype: DType = dDtype === 'float64' || f64(target) ? 'float64' : 'float32';
  const r = useDType(dtype);
  return {
    torch,
    reduction: c.reduction,
    dDtype,
    dtype,
    r,
    rd: dDtype === 'float32' ? Math.fround : (x: number) => x,
    lanes: sumLanes(dtype, torch, c.capability),
    dLanes: sumLanes(dDtype, torch, c.capability),
    margin: r(margin),
    dShape,
    outShape,
    gradOutput: (c.gradOutput as Tensor | null) ?? null,
  };
}

/** A tensor's values read over `full` (itself when the shapes agree, else expanded). */
function over(t: Tensor | IndexTensor, full: readonly number[]): ArrayLike<number> {
  if (sameShape(t.shape, full)) return t.data;
  const asFloat = isIndexTensor(t) ? { data: Float64Array.from(t.data), shape: t.shape } : t;
  return expandTo(asFloat, full);
}

/** u = -target * (input1 - input2) + margin over the broadcast shape, before the clamp. */
function unclamped(p: Plan, input1: Tensor, input2: Tensor, target: Tensor | IndexTensor): { u: Float64Array; nt: Float64Array } {
  const { rd, margin } = p;
  const r = useDType(p.dtype);
  const a = over(input1, p.outShape);
  const b = over(input2, p.outShape);
  const t = over(target, p.outShape);
  const n = numel(p.outShape);
  const u = new Float64Array(n);
  const nt = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = rd(a[i]! - b[i]!);
    const negT = r(-t[i]!);
    nt[i] = negT;
    u[i] = r(r(negT * d) + margin);
  }
  return { u, nt };
}

/**
 * The common case, input1, input2 and target of one shape and one float dtype: one fused loop per
 * dtype over the three arrays (the same ops per element, so the same roundings), the losses
 * streamed into the reduction, the gradients written directly. Null otherwise.
 */
function sameLayout(p: Plan, input1: Tensor, input2: Tensor, target: Tensor | IndexTensor): 'float32' | 'float64' | null {
  if (isIndexTensor(target) || !sameShape(input1.shape, p.outShape) || !sameShape(input2.shape, p.outShape)) return null;
  if (!sameShape(target.shape, p.outShape)) return null;
  const dt = p.dtype;
  return f64(input1) === (dt === 'float64') && f64(input2) === (dt === 'float64') && f64(target) === (dt === 'float64') ? dt : null;
}

/**
 * Selections by table: pick[Number(condition)] compiles without a branch, where `condition ? a : b`
 * is a branch that random targets and signs mispredict about half the time (several times the
 * arithmetic's cost). The values are the same: slot 0 is written with the value kept when the
 * condition is false, slot 1 holds the other.
 */
const pick = new Float64Array(2);

/** The losses start .. start + count - 1 into out[0 .. count). */
function losses32(a: Float32Array, b: Float32Array, t: Float32Array, m: number, out: Float32Array, start: number, count: number): void {
  const f = Math.fround;
  const s = pick;
  s[1] = 0;
  if (m === 0) {
    // + margin exact for a zero margin (the default): the float sum needs no rounding (-0 + +0 still +0)
    for (let j = start, end = start + count, i = 0; j < end; j++, i++) {
      const u = f(-t[j]! * f(a[j]! - b[j]!)) + m;
      s[0] = u;
      out[i] = s[Number(u < 0)]!;
    }
    return;
  }
  for (let j = start, end = start + count, i = 0; j < end; j++, i++) {
    const u = f(f(-t[j]! * f(a[j]! - b[j]!)) + m);
    s[0] = u;
    out[i] = s[Number(u < 0)]!; // u < 0 ? 0 : u (NaN stays NaN)
  }
}

function losses64(a: Float64Array, b: Float64Array, t: Float64Array, m: number, out: Float64Array, start: number, count: number): void {
  const s = pick;
  s[1] = 0;
  for (let j = start, end = start + count, i = 0; j < end; j++, i++) {
    const u = -t[j]! * (a[j]! - b[j]!) + m;
    s[0] = u;
    out[i] = s[Number(u < 0)]!;
  }
}

/** 'none': the losses as the output; else streamed into the cascade sum (no input-sized temporary). */
function forward32(p: Plan, a: Float32Array, b: Float32Array, t: Float32Array): Tensor {
  const n = a.length;
  const k = vectorKernels();
  if (p.reduction === 'none') {
    const out = allocate('float32', n) as Float32Array;
    if (k) k.marginRankingLosses(a, b, t, p.margin, out);
    else losses32(a, b, t, p.margin, out, 0, n);
    return makeTensor(out, p.outShape, 'float32');
  }
  if (k?.sums(n, p.lanes)) return reducedTotal(k.marginRankingSum(a, b, t, p.margin, p.lanes), n, p.reduction, 'float32');
  const c = stream32.begin(n, p.lanes);
  for (let count = stream32.next(); count > 0; count = stream32.next()) {
    losses32(a, b, t, p.margin, c, stream32.start, count);
    stream32.push(count);
  }
  return reducedTotal(stream32.end(), n, p.reduction, 'float32');
}

function forward64(p: Plan, a: Float64Array, b: Float64Array, t: Float64Array): Tensor {
  const n = a.length;
  if (p.reduction === 'none') {
    const out = allocate('float64', n) as Float64Array;
    losses64(a, b, t, p.margin, out, 0, n);
    return makeTensor(out, p.outShape, 'float64');
  }
  const c = stream64.begin(n, p.lanes);
  for (let count = stream64.next(); count > 0; count = stream64.next()) {
    losses64(a, b, t, p.margin, c, stream64.start, count);
    stream64.push(count);
  }
  return reducedTotal(stream64.end(), n, p.reduction, 'float64');
}

/** gd = g * (-target) where the clamp passes g; input1's gradient gd, input2's -gd. */
function backward32(
  p: Plan,
  go: ArrayLike<number>,
  gMean: number,
  a: Float32Array,
  b: Float32Array,
  t: Float32Array,
  g1: Float32Array,
  g2: Float32Array,
): void {
  const m = p.margin;
  const f = Math.fround;
  const strict = p.torch.clampMinGradZeroAtMin;
  const zeroMargin = m === 0;
  const perElement = p.reduction === 'none';
  const s = pick;
  s[0] = 0;
  s[1] = gMean;
  for (let i = 0; i < g1.length; i++) {
    const nt = -t[i]!;
    const w = f(nt * f(a[i]! - b[i]!));
    const u = zeroMargin ? w + m : f(w + m); // a zero margin's sum is exact
    if (perElement) s[1] = f(go[i]!);
    const v = f(s[Number(strict ? u > 0 : u >= 0)]! * nt); // (clamp passes ? g : 0) * (-target)
    g1[i] = v;
    g2[i] = -v;
  }
}

function backward64(
  p: Plan,
  go: ArrayLike<number>,
  gMean: number,
  a: Float64Array,
  b: Float64Array,
  t: Float64Array,
  g1: Float64Array,
  g2: Float64Array,
): void {
  const m = p.margin;
  const strict = p.torch.clampMinGradZeroAtMin;
  const perElement = p.reduction === 'none';
  const s = pick;
  s[0] = 0;
  s[1] = gMean;
  for (let i = 0; i < g1.length; i++) {
    const nt = -t[i]!;
    const u = nt * (a[i]! - b[i]!) + m;
    if (perElement) s[1] = go[i]!;
    const v = s[Number(strict ? u > 0 : u >= 0)]! * nt; // (clamp passes ? g : 0) * (-target)
    g1[i] = v;
    g2[i] = -v;
  }
}

/**
 * The margin ranking loss max(0, -target * (input1 - input2) + margin), reduced. input1, input2
 * and target broadcast (torch >= 1.11: of one dim; before, no 0-d tensor); target is usually +-1
 * (an IndexTensor is torch.long, promoted to the loss's dtype).
 */
export function marginRankingLoss(input1: Tensor, input2: Tensor, target: Tensor | IndexTensor, options?: MarginRankingOptions): Tensor {
  const p = plan(OP, { input1, input2, target }, options);
  const same = sameLayout(p, input1, input2, target);
  if (same === 'float32') return forward32(p, input1.data as Float32Array, input2.data as Float32Array, target.data as Float32Array);
  if (same === 'float64') return forward64(p, input1.data as Float64Array, input2.data as Float64Array, target.data as Float64Array);
  const { u } = unclamped(p, input1, input2, target);
  const r = useDType(p.dtype);
  const losses = allocate(p.dtype, u.length);
  for (let i = 0; i < u.length; i++) {
    const v = u[i]!;
    losses[i] = v < 0 ? 0 : v;
  }
  return applyReduction(losses, p.outShape, p.reduction, p.dtype, p.lanes, r);
}

/** d loss / d input1 and d loss / d input2 for a gradOutput shaped like the forward output. */
export function marginRankingLossBackward(
  gradOutput: Tensor,
  input1: Tensor,
  input2: Tensor,
  target: Tensor | IndexTensor,
  options?: MarginRankingOptions,
): MarginRankingGrads {
  const op = `${OP}Backward`;
  const p = plan(op, { input1, input2, target, gradOutput }, options);
  checkGradOutput(op, gradOutput, p.reduction === 'none' ? p.outShape : []);
  const { rd } = p;
  const go = gradOutput.data;
  const same = sameLayout(p, input1, input2, target);
  if (same !== null) {
    const r = useDType(same);
    const n = input1.data.length;
    const gMean = p.reduction === 'mean' ? r(r(go[0]!) / r(n)) : p.reduction === 'sum' ? r(go[0]!) : 0;
    const g1 = allocate(same, n);
    const g2 = allocate(same, n);
    if (same === 'float32') {
      const [a, b, t] = [input1.data, input2.data, target.data] as Float32Array[];
      const k = vectorKernels();
      if (k) {
        const perElement = p.reduction === 'none' ? go : null;
        k.marginRankingGrads(
          a!,
          b!,
          t!,
          perElement,
          gMean,
          p.margin,
          p.torch.clampMinGradZeroAtMin,
          g1 as Float32Array,
          g2 as Float32Array,
        );
      } else backward32(p, go, gMean, a!, b!, t!, g1 as Float32Array, g2 as Float32Array);
    } else {
      const [a, b, t] = [input1.data, input2.data, target.data] as Float64Array[];
      backward64(p, go, gMean, a!, b!, t!, g1 as Float64Array, g2 as Float64Array);
    }
    return { input1: makeTensor(g1, input1.shape, same), input2: makeTensor(g2, input2.shape, same) };
  }
  const { u, nt } = unclamped(p, input1, input2, target);
  const r = useDType(p.dtype);
  const n = u.length;
  const gMean = p.reduction === 'mean' ? r(r(go[0]!) / r(n)) : p.reduction === 'sum' ? r(go[0]!) : 0;
  const strict = p.torch.clampMinGradZeroAtMin;
  // mul's gradient for d, g * (-target), then cast to d's dtype (mul_tensor_backward's .to(self's dtype))
  const gd = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const g = p.reduction === 'none' ? r(go[i]!) : gMean;
    const v = u[i]!;
    const gc = (strict ? v > 0 : v >= 0) ? g : 0;
    gd[i] = rd(r(gc * nt[i]!));
  }
  const sumRound = useDType(p.dDtype);
  const gD = atenSumTo(gd, p.outShape, p.dShape, p.dDtype, p.dLanes, sumRound);
  const neg = new Float64Array(gD.length);
  for (let i = 0; i < neg.length; i++) neg[i] = -gD[i]!;
  const grad = (values: ArrayLike<number>, t: Tensor) => {
    const dtype: DType = f64(t) ? 'float64' : 'float32';
    const summed = atenSumTo(values, p.dShape, t.shape, p.dDtype, p.dLanes, sumRound);
    return makeTensor(summed, t.shape, dtype);
  };
  return { input1: grad(gD, input1), input2: grad(neg, input2) };
}

/**
 * nn.MarginRankingLoss(margin, size_average, reduce, reduction): the options fixed at
 * construction, as torch's module; forward(input1, input2, target).
 */
export const MarginRankingLoss = lossModule3<MarginRankingOptions, Tensor, Tensor | IndexTensor, MarginRankingGrads>(
  'MarginRankingLoss',
  marginRankingLoss,
  marginRankingLossBackward,
  true,
);
export type MarginRankingLoss = InstanceType<typeof MarginRankingLoss>;
