// nn.HingeEmbeddingLoss / F.hinge_embedding_loss, forward and input gradient (targets usually +-1).
//
// Checks, in torch's order: torch/nn/functional.py's reduction (_Reduction.get_enum: ValueError);
// torch.hinge_embedding_loss's argument parser (margin must be a float: TypeError); ATen's
// broadcasting of target with input in at::where (RuntimeError, infer_size's message, the target
// being tensor a).
//
// A composite in aten/src/ATen/native/Loss.cpp hinge_embedding_loss (the same ops in 1.7 to 2.14;
// 1.7's where is _s_where after expand_outplace), each op rounded to the input's dtype:
//   margin_clamp = (margin - self).clamp_min_(0)    (margin a Scalar rounded to the dtype; NaN stays NaN)
//   output = where(target != 1, margin_clamp, 0) + where(target != -1, self, 0)
//   then apply_loss_reduction. The output has broadcast(input, target)'s shape and the input's
//   dtype: target is only compared, exactly, with 1 and -1 (a float64 or int64 target is not
//   rounded to the input's dtype), so a target of neither adds both terms.
// Backward: autograd through those ops:
//   mean: g / numel; each where: where(cond, g, 0), summed to the input's shape (sum_to, ATen's
//   order: ../sum-to.ts); clamp_min_: where(u >= 0, ., 0) with u = margin - self, from torch 2.14
//   where(u > 0, ., 0) (pytorch#191142; clampMinGradZeroAtMin); rsub: negated; the two added.
// Speed: a target of the input's shape and dtype runs one fused loop per dtype, the losses
// streamed into the cascade sum (../numerics.ts CascadeStream32/64), the where()s and the clamp
// selected by a table rather than branches; the same ops per element, so the same values. float32
// of that case runs those loops as WebAssembly SIMD (../wasm/vectors.ts, ../wasm/assembly/vectors.ts:
// the sum streamed in the module over ATen's 8 or 16 lanes), bit for bit the JS loops' values.

import { broadcastShapes, expandTo, inferSizeMismatch } from '../broadcast.ts';
import { checkGradOutput, prepare, sameShape, type CommonOptions, type LossSignature } from '../loss-args.ts';
import { lossModule } from '../loss-module.ts';
import { stream32, stream64, useDType, type Round } from '../numerics.ts';
import { floatArgument } from '../pointwise-loss.ts';
import { applyReduction, makeTensor, reducedTotal } from '../reduction.ts';
import { atenSumTo } from '../sum-to.ts';
import {
  LossArgumentError,
  allocate,
  checkElementCount,
  dtypeOf,
  isIndexTensor,
  numel,
  type DType,
  type IndexTensor,
  type Tensor,
} from '../tensor.ts';
import { sumLanes, type TorchRelease } from '../torch-version.ts';
import { vectorKernels } from '../wasm/vectors.ts';

export interface HingeEmbeddingOptions extends CommonOptions {
  /** The margin (torch's default 1). */
  margin?: number;
}

const OP = 'hingeEmbeddingLoss';
const SIGNATURE = { tensorOptions: [], target: 'float', options: ['margin'] } as const satisfies LossSignature;

interface Plan {
  readonly torch: TorchRelease;
  readonly reduction: 'none' | 'mean' | 'sum';
  readonly dtype: DType;
  readonly r: Round;
  readonly lanes: number;
  readonly margin: number;
  readonly outShape: readonly number[];
}

function plan(
  op: string,
  args: { input: Tensor; target: Tensor | IndexTensor; gradOutput?: Tensor },
  options: HingeEmbeddingOptions | undefined,
): Plan {
  const c = prepare(op, SIGNATURE, args, options);
  const given = c.extra.margin;
  const margin = floatArgument(op, 'hinge_embedding_loss', 'margin', 3, given === undefined ? 1 : given);
  const input = c.input;
  const target = c.target;
  const outShape = broadcastShapes(target.shape, input.shape);
  if (outShape === null) {
    throw new LossArgumentError(`${op}: where(target != 1, ...): ${inferSizeMismatch(target.shape, input.shape)}`);
  }
  checkElementCount(op, 'the broadcast shape', outShape);
  // The input's dtype alone (prepare's dtype would count a float64 target or gradOutput).
  const dtype = dtypeOf(input);
  const r = useDType(dtype);
  return { torch: c.torch, reduction: c.reduction, dtype, r, lanes: sumLanes(dtype, c.torch, c.capability), margin: r(margin), outShape };
}

/** A tensor's values read over `full` (itself when the shapes agree, else expanded). */
function over(t: Tensor | IndexTensor, full: readonly number[]): ArrayLike<number> {
  if (sameShape(t.shape, full)) return t.data;
  const asFloat = isIndexTensor(t) ? { data: Float64Array.from(t.data), shape: t.shape } : t;
  return expandTo(asFloat, full);
}

/**
 * The common case, a float target of the input's shape and dtype: one fused loop per dtype (the
 * same ops per element, so the same roundings), the losses streamed into the reduction, the
 * gradient written directly (both sums to the input's shape are the identity). Null otherwise.
 */
function sameLayout(p: Plan, input: Tensor, target: Tensor | IndexTensor): 'float32' | 'float64' | null {
  if (isIndexTensor(target) || !sameShape(input.shape, p.outShape) || !sameShape(target.shape, p.outShape)) return null;
  const dt = p.dtype;
  return target.data instanceof Float64Array === (dt === 'float64') ? dt : null;
}

/**
 * Selections by table: pick[k + Number(condition)] compiles without a branch, where
 * `condition ? a : b` is a branch that random targets mispredict about half the time (several
 * times the arithmetic's cost). The same values: the odd slots hold 0 (or g), the even ones the
 * value kept when the condition is false.
 */
const pick = new Float64Array(6);

/** The losses start .. start + count - 1 into out[0 .. count). */
function losses32(x: Float32Array, t: Float32Array, m: number, out: Float32Array, start: number, count: number): void {
  const f = Math.fround;
  const s = pick;
  s.fill(0);
  for (let j = start, end = start + count, i = 0; j < end; j++, i++) {
    const xi = x[j]!;
    const ti = t[j]!;
    const u = f(m - xi);
    s[0] = u;
    s[2] = s[Number(u < 0)]!; // clamp_min_(0): NaN stays NaN
    s[4] = xi;
    out[i] = s[2 + Number(ti === 1)]! + s[4 + Number(ti === -1)]!; // where(t != 1, clamped, 0) + where(t != -1, x, 0)
  }
}

function losses64(x: Float64Array, t: Float64Array, m: number, out: Float64Array, start: number, count: number): void {
  const s = pick;
  s.fill(0);
  for (let j = start, end = start + count, i = 0; j < end; j++, i++) {
    const xi = x[j]!;
    const ti = t[j]!;
    const u = m - xi;
    s[0] = u;
    s[2] = s[Number(u < 0)]!;
    s[4] = xi;
    out[i] = s[2 + Number(ti === 1)]! + s[4 + Number(ti === -1)]!;
  }
}

/** 'none': the losses as the output; else streamed into the cascade sum (no input-sized temporary). */
function forward32(p: Plan, x: Float32Array, t: Float32Array): Tensor {
  const n = x.length;
  const k = vectorKernels();
  if (p.reduction === 'none') {
    const out = allocate('float32', n) as Float32Array;
    if (k) k.hingeLosses(x, t, p.margin, out);
    else losses32(x, t, p.margin, out, 0, n);
    return makeTensor(out, p.outShape, 'float32');
  }
  if (k?.sums(n, p.lanes)) return reducedTotal(k.hingeSum(x, t, p.margin, p.lanes), n, p.reduction, 'float32');
  const c = stream32.begin(n, p.lanes);
  for (let count = stream32.next(); count > 0; count = stream32.next()) {
    losses32(x, t, p.margin, c, stream32.start, count);
    stream32.push(count);
  }
  return reducedTotal(stream32.end(), n, p.reduction, 'float32');
}

function forward64(p: Plan, x: Float64Array, t: Float64Array): Tensor {
  const n = x.length;
  if (p.reduction === 'none') {
    const out = allocate('float64', n) as Float64Array;
    losses64(x, t, p.margin, out, 0, n);
    return makeTensor(out, p.outShape, 'float64');
  }
  const c = stream64.begin(n, p.lanes);
  for (let count = stream64.next(); count > 0; count = stream64.next()) {
    losses64(x, t, p.margin, c, stream64.start, count);
    stream64.push(count);
  }
  return reducedTotal(stream64.end(), n, p.reduction, 'float64');
}

/** g where target != -1, minus g where target != 1 and the clamp passes it. */
function backward32(p: Plan, go: ArrayLike<number>, gMean: number, x: Float32Array, t: Float32Array, grad: Float32Array): void {
  const m = p.margin;
  const f = Math.fround;
  const strict = p.torch.clampMinGradZeroAtMin;
  const perElement = p.reduction === 'none';
  const s = pick;
  s[0] = 0;
  s[1] = gMean;
  for (let i = 0; i < grad.length; i++) {
    if (perElement) s[1] = f(go[i]!);
    const ti = t[i]!;
    const u = f(m - x[i]!);
    const gm = s[Number(ti !== 1) & Number(strict ? u > 0 : u >= 0)]!;
    grad[i] = s[Number(ti !== -1)]! + -gm;
  }
}

function backward64(p: Plan, go: ArrayLike<number>, gMean: number, x: Float64Array, t: Float64Array, grad: Float64Array): void {
  const m = p.margin;
  const strict = p.torch.clampMinGradZeroAtMin;
  const perElement = p.reduction === 'none';
  const s = pick;
  s[0] = 0;
  s[1] = gMean;
  for (let i = 0; i < grad.length; i++) {
    if (perElement) s[1] = go[i]!;
    const ti = t[i]!;
    const u = m - x[i]!;
    const gm = s[Number(ti !== 1) & Number(strict ? u > 0 : u >= 0)]!;
    grad[i] = s[Number(ti !== -1)]! + -gm;
  }
}

/**
 * The hinge embedding loss: input where target is 1, max(0, margin - input) where it is -1 (both
 * added for any other target), reduced. target broadcasts with input (and may grow the output).
 */
export function hingeEmbeddingLoss(input: Tensor, target: Tensor | IndexTensor, options?: HingeEmbeddingOptions): Tensor {
  const p = plan(OP, { input, target }, options);
  const same = sameLayout(p, input, target);
  if (same === 'float32') return forward32(p, input.data as Float32Array, target.data as Float32Array);
  if (same === 'float64') return forward64(p, input.data as Float64Array, target.data as Float64Array);
  const { r, margin } = p;
  const x = over(input, p.outShape);
  const t = over(target, p.outShape);
  const n = numel(p.outShape);
  const losses = allocate(p.dtype, n);
  for (let i = 0; i < n; i++) {
    const xi = x[i]!;
    const ti = t[i]!;
    const u = r(margin - xi);
    const clamped = u < 0 ? 0 : u;
    losses[i] = r((ti !== 1 ? clamped : 0) + (ti !== -1 ? xi : 0));
  }
  return applyReduction(losses, p.outShape, p.reduction, p.dtype, p.lanes, r);
}

/** d loss / d input for a gradOutput shaped like the forward output. */
export function hingeEmbeddingLossBackward(
  gradOutput: Tensor,
  input: Tensor,
  target: Tensor | IndexTensor,
  options?: HingeEmbeddingOptions,
): Tensor {
  const op = `${OP}Backward`;
  const p = plan(op, { input, target, gradOutput }, options);
  checkGradOutput(op, gradOutput, p.reduction === 'none' ? p.outShape : []);
  const { r, margin } = p;
  const go = gradOutput.data;
  const n = numel(p.outShape);
  const gMean = p.reduction === 'mean' ? r(r(go[0]!) / r(n)) : p.reduction === 'sum' ? r(go[0]!) : 0;
  const same = sameLayout(p, input, target);
  if (same !== null) {
    const grad = allocate(same, n);
    const k = same === 'float32' ? vectorKernels() : null;
    if (k) {
      const perElement = p.reduction === 'none' ? go : null;
      k.hingeGrads(
        input.data as Float32Array,
        target.data as Float32Array,
        perElement,
        gMean,
        margin,
        p.torch.clampMinGradZeroAtMin,
        grad as Float32Array,
      );
    } else if (same === 'float32') backward32(p, go, gMean, input.data as Float32Array, target.data as Float32Array, grad as Float32Array);
    else backward64(p, go, gMean, input.data as Float64Array, target.data as Float64Array, grad as Float64Array);
    return makeTensor(grad, input.shape, same);
  }
  const t = over(target, p.outShape);
  const gSelf = new Float64Array(n);
  const gMargin = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const g = p.reduction === 'none' ? r(go[i]!) : gMean;
    const ti = t[i]!;
    gSelf[i] = ti !== -1 ? g : 0;
    gMargin[i] = ti !== 1 ? g : 0;
  }
  const selfSum = atenSumTo(gSelf, p.outShape, input.shape, p.dtype, p.lanes, r);
  const marginSum = atenSumTo(gMargin, p.outShape, input.shape, p.dtype, p.lanes, r);
  const strict = p.torch.clampMinGradZeroAtMin;
  const x = input.data;
  const grad = allocate(p.dtype, x.length);
  for (let i = 0; i < x.length; i++) {
    const u = r(margin - x[i]!);
    const gm = (strict ? u > 0 : u >= 0) ? marginSum[i]! : 0;
    grad[i] = r(selfSum[i]! + -gm);
  }
  return makeTensor(grad, input.shape, p.dtype);
}

/** nn.HingeEmbeddingLoss(margin, size_average, reduce, reduction): the options fixed at construction, as torch's module. */
export const HingeEmbeddingLoss = lossModule<HingeEmbeddingOptions, Tensor | IndexTensor>(
  'HingeEmbeddingLoss',
  hingeEmbeddingLoss,
  hingeEmbeddingLossBackward,
);
export type HingeEmbeddingLoss = InstanceType<typeof HingeEmbeddingLoss>;
