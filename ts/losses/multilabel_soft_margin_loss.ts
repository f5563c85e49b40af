// nn.MultiLabelSoftMarginLoss / F.multilabel_soft_margin_loss, forward and input gradient.
//
// A composite in torch/nn/functional.py, so float32 rounds after each of its tensor ops:
//   loss = -(y * log_sigmoid(x) + (1 - y) * log_sigmoid(-x))      (y and weight broadcast)
//   loss = loss * weight
//   loss = loss.sum(dim=class_dim) / C     class_dim = x.dim() - 1 (torch < 1.11: dim 1, 2-D+ only)
//   then loss (none), loss.mean() or loss.sum().
// The gradient is what autograd computes back through those ops: MeanBackward (grad / count),
// DivBackward (grad / C), SumBackward (expand), MulBackward (grad * weight, then sum_to),
// NegBackward, MulBackward (grad * y, grad * (1 - y), then sum_to the input's shape),
// log_sigmoid_backward for both terms, and NegBackward on -x before the two are accumulated.
//
// The common layout (target shaped like the input, class dim last) runs row by row with no
// input-sized temporaries, for float32 as WebAssembly SIMD (../wasm/assembly/kernels.ts, torch >=
// 1.11); a target or weight that grows the input takes the general path.

import { broadcastOrThrow, expandTo, loopOperand, rowColOperand, sumTo } from '../broadcast.ts';
import { checkGradOutput, prepare, sameShape, type Checked, type CommonOptions, type LossSignature } from '../loss-args.ts';
import { binaryMeta, commonDType, metaOf, mixesDTypes, roundingOf, type Meta } from '../mixed-ops.ts';
import { atenRowSum, logSigmoidBackwardDifference, logSigmoidOfNegative, logSigmoidPair, useDType, type Round } from '../numerics.ts';
import { sumLanes } from '../torch-version.ts';
import { applyReduction, makeTensor } from '../reduction.ts';
import { LossArgumentError, allocate, checkElementCount, numel, type IndexTensor, type Tensor } from '../tensor.ts';
import type { TorchRelease } from '../torch-version.ts';
import { lossModule } from '../loss-module.ts';
import { kernelsFor, perElement, type Flag, type Float32Kernels } from '../wasm/float32-kernels.ts';
import { logSigmoidMath, type LogSigmoidMath } from '../unary-ops.ts';

export interface MultiLabelSoftMarginOptions extends CommonOptions {
  weight?: Tensor;
}

const OP = 'multilabelSoftMarginLoss';
const SIGNATURE = { tensorOptions: ['weight'], target: 'float or integer', reductionCheckedLast: true } as const satisfies LossSignature;

interface Args extends Checked<Tensor> {
  /** broadcast(input, target): the shape of -(y * ls(x) + ...). */
  readonly lossShape: readonly number[];
  /** broadcast(lossShape, weight): the shape summed over the class dim. */
  readonly fullShape: readonly number[];
  readonly classDim: number;
  readonly classes: number;
  /** The shape after summing over the class dim ('none' output shape). */
  readonly sampleShape: readonly number[];
  /** fullShape splits as outer x extent x inner around the class dim; extent is C unless a target or weight grew the input. */
  readonly outer: number;
  readonly extent: number;
  readonly inner: number;
  /** Nothing broadcasts beyond the input and the class dim is the contiguous last one. */
  readonly rowwise: boolean;
}

function check(
  op: string,
  args: { input: Tensor; target: Tensor | IndexTensor; gradOutput?: Tensor },
  options: MultiLabelSoftMarginOptions | undefined,
): Args {
  // functional.py's order: the broadcasts, the class dim, then (after computing) the reduction.
  const p = prepare(op, SIGNATURE, args, options);
  const { input, target, weight } = p;
  // target * logsigmoid(input): target is tensor a; then loss * weight: the loss is.
  const lossShape = broadcastOrThrow(op, target.shape, input.shape, 'target');
  const fullShape = weight ? broadcastOrThrow(op, lossShape, weight.shape, 'weight') : lossShape;
  const classDim = p.torch.mlsmlAccepts1d ? input.shape.length - 1 : 1;
  if (classDim < 0 || classDim >= input.shape.length) {
    // >= 1.11: input.size(input.dim() - 1); before, loss.sum(dim=1) and input.size(1), on a tensor of
    // at most one dim (a 0-d one wraps as 1-D)
    throw new LossArgumentError(
      p.torch.mlsmlAccepts1d
        ? `${op}: Dimension specified as -1 but tensor has no dimensions (input must have at least 1 dimension, the class dim; got a 0-d tensor)`
        : `${op}: Dimension out of range (expected to be in range of [-1, 0], but got 1) (before torch 1.11 the input must be at least 2-D (N, C); got ${input.shape.length}-D)`,
      'IndexError',
    );
  }
  const sampleShape = fullShape.filter((_, i) => i !== classDim);
  // Broadcasting can grow the loss past the input, and an empty class dim leaves samples: torch allocates both.
  checkElementCount(op, 'the broadcast loss (input, target and weight)', fullShape);
  checkElementCount(op, 'the per-sample loss', sampleShape);
  if (p.reductionError) throw p.reductionError;
  const inner = numel(fullShape.slice(classDim + 1));
  return Object.assign(p, {
    // not a spread: see binary_cross_entropy_with_logits.ts
    lossShape,
    fullShape,
    classDim,
    classes: input.shape[classDim]!,
    sampleShape,
    outer: numel(fullShape.slice(0, classDim)),
    extent: fullShape[classDim]!,
    inner,
    rowwise: classDim === input.shape.length - 1 && sameShape(fullShape, input.shape) && sameShape(target.shape, input.shape),
  });
}

/** -(y * log_sigmoid(x) + (1 - y) * log_sigmoid(-x)), before the weight. */
function elementLoss(x: number, y: number, r: Round, torch: TorchRelease, m: LogSigmoidMath): number {
  const pos = logSigmoidPair(x, r, torch, m);
  return -r(r(y * pos) + r(r(1 - y) * logSigmoidOfNegative));
}

/** The per-sample losses: each row's class sum (ATen's order) divided by C. */
function perSampleLosses(a: Args): ArrayLike<number> {
  const { input, target, weight } = a;
  const r = a.round;
  const C = a.classes;
  const m = logSigmoidMath(a.dtype, a.capability, a.torch);
  const perSample = allocate(a.dtype, a.outer * a.inner);
  // Stryker disable next-line ConditionalExpression,BlockStatement: the general path computes the same values for this layout (only slower)
  if (a.rowwise) {
    const { outer, lanes, torch } = a;
    const x = input.data;
    const y = target.data;
    const [w, wRowStride, wColStride] = loopOperand(weight ? rowColOperand(weight, input.shape) : null, 1); // without a weight, * 1 changes nothing
    const row = allocate(a.dtype, C);
    // Stryker disable next-line EqualityOperator: one more pass only writes past the end of a typed array (ignored) and reads undefined
    for (let o = 0, i = 0; o < outer; o++) {
      const wRow = o * wRowStride;
      for (let c = 0; c < C; c++, i++) row[c] = r(elementLoss(x[i]!, y[i]!, r, torch, m) * w[wRow + c * wColStride]!);
      perSample[o] = r(atenRowSum(row, 0, C, lanes, r) / C);
    }
    return perSample;
  }
  // General layout: materialize the broadcast operands.
  const x = expandTo(input, a.lossShape);
  const y = expandTo(target, a.lossShape);
  let full: Float64Array = new Float64Array(x.length);
  // Stryker disable next-line EqualityOperator: one more pass only writes past the end of a typed array (ignored) and reads undefined
  for (let i = 0; i < x.length; i++) full[i] = elementLoss(x[i]!, y[i]!, r, a.torch, m);
  if (weight) {
    full = expandTo({ data: full, shape: a.lossShape }, a.fullShape);
    const w = expandTo(weight, a.fullShape);
    // Stryker disable next-line EqualityOperator: one more pass only writes past the end of a typed array (ignored) and reads undefined
    for (let i = 0; i < full.length; i++) full[i] = r(full[i]! * w[i]!);
  }
  // torch sums the (possibly grown) loss over dim input.dim() - 1, then divides by the input's C.
  const extent = a.extent;
  // Stryker disable next-line EqualityOperator: one more pass only writes past the end of a typed array (ignored) and reads undefined
  for (let o = 0; o < a.outer; o++) {
    // Stryker disable next-line EqualityOperator: the extra pass writes the next outer index's first sample, which its own pass overwrites (or past the end)
    for (let i = 0; i < a.inner; i++) {
      // A summed dim that is not the contiguous one (pre-1.11 3-D input, or broadcasting) is an
      // outer reduction in ATen, approximated here by a float64 sum rounded once.
      let s: number;
      if (a.inner === 1) s = atenRowSum(full, o * extent, extent, a.lanes, r);
      else {
        s = 0;
        for (let c = 0; c < extent; c++) s += full[(o * extent + c) * a.inner + i]!;
        s = r(s);
      }
      perSample[o * a.inner + i] = r(s / C);
    }
  }
  return perSample;
}

/**
 * The float32 kernels, where they apply: the row-by-row layout with at least one class (no class
 * gives 0 / 0 per sample) and torch's log1p-based log_sigmoid (>= 1.11).
 */
function rowwiseKernels(a: Args): Float32Kernels | null {
  return a.rowwise && a.classes > 0 && a.torch.logSigmoidUsesLog1p ? kernelsFor(a.dtype) : null;
}

/** The kernels' flags: HAS_WEIGHT, and USES_GLIBC under 'default' (log_sigmoid's exp and log1p V8's there, else SLEEF's). */
function kernelFlags(a: Args, weighted: boolean): Flag[] {
  const flags: Flag[] = a.capability === 'default' ? ['USES_GLIBC'] : [];
  if (weighted) flags.push('HAS_WEIGHT');
  return flags;
}

/**
 * Mixed float32 / float64 arguments: each of functional.py's ops in its own dtype. log_sigmoid(input)
 * and log_sigmoid(-input) in the input's; target * ls, (1 - target) * ls_neg (1 - target in the
 * target's dtype), their sum and negation in A = result_type(target, input); loss * weight in
 * B = result_type(A, weight), as the class sum, / C and the reduction. The backward is autograd's
 * through the same ops: each gradient in its op's dtype, summed to its operand's shape there, then
 * cast to the operand's dtype.
 */
interface MixedDTypes {
  readonly X: Meta;
  readonly T: Meta;
  readonly A: Meta;
  readonly B: Meta;
}

function mixedDTypes(a: Args): MixedDTypes {
  const X = metaOf(a.input);
  const T = metaOf(a.target);
  const A = binaryMeta(T, X);
  return { X, T, A, B: a.weight ? binaryMeta(A, metaOf(a.weight)) : A };
}

function mixedForward(a: Args): Tensor {
  const { A, B, X, T } = mixedDTypes(a);
  const { torch } = a;
  const rX = roundingOf(X.dtype);
  const rT = roundingOf(T.dtype);
  const rA = roundingOf(A.dtype);
  const rB = roundingOf(B.dtype);
  const x = expandTo(a.input, a.lossShape);
  const y = expandTo(a.target, a.lossShape);
  let full: Float64Array = new Float64Array(x.length);
  const m = logSigmoidMath(X.dtype, a.capability, torch); // log_sigmoid(input), log_sigmoid(-input): the input's dtype
  for (let i = 0; i < x.length; i++) {
    const pos = logSigmoidPair(x[i]!, rX, torch, m);
    full[i] = -rA(rA(rA(y[i]!) * pos) + rA(rA(rT(1 - y[i]!)) * logSigmoidOfNegative));
  }
  if (a.weight) {
    full = expandTo({ data: full, shape: a.lossShape }, a.fullShape);
    const w = expandTo(a.weight, a.fullShape);
    for (let i = 0; i < full.length; i++) full[i] = rB(rB(full[i]!) * rB(w[i]!));
  }
  const lanes = sumLanes(B.dtype, torch, a.capability);
  const C = a.classes;
  const perSample = allocate(B.dtype, a.outer * a.inner);
  for (let o = 0; o < a.outer; o++) {
    for (let i = 0; i < a.inner; i++) {
      let sum: number;
      if (a.inner === 1) sum = atenRowSum(full, o * a.extent, a.extent, lanes, rB);
      else {
        sum = 0;
        for (let c = 0; c < a.extent; c++) sum += full[(o * a.extent + c) * a.inner + i]!;
        sum = rB(sum);
      }
      perSample[o * a.inner + i] = rB(sum / C);
    }
  }
  return applyReduction(perSample, a.sampleShape, a.reduction, B.dtype, lanes, useDType(B.dtype));
}

function mixedBackward(a: Args, gradOutput: Tensor): Tensor {
  const { A, X, T } = mixedDTypes(a);
  const { torch } = a;
  const G = metaOf(gradOutput);
  const rG = roundingOf(G.dtype);
  const rX = roundingOf(X.dtype);
  const rT = roundingOf(T.dtype);
  const rA = roundingOf(A.dtype);
  const C = a.classes;
  const go = gradOutput.data;
  const samples = a.outer * a.inner;
  const meanGrad = a.reduction === 'mean' ? rG(go[0]! / samples) : go[0]!;
  const gradFull = new Float64Array(numel(a.fullShape));
  for (let o = 0; o < a.outer; o++) {
    for (let i = 0; i < a.inner; i++) {
      const g = rG((a.reduction === 'none' ? go[o * a.inner + i]! : meanGrad) / C);
      for (let c = 0; c < a.extent; c++) gradFull[(o * a.extent + c) * a.inner + i] = g;
    }
  }
  // MulBackward of loss * weight: grad * weight in result_type(grad, weight), summed to the loss's shape, cast to A
  let gradLoss: Float64Array = gradFull;
  if (a.weight) {
    const full: Meta = { dtype: G.dtype, zeroDim: a.fullShape.length === 0 };
    const rGW = roundingOf(commonDType(full, metaOf(a.weight)));
    const w = expandTo(a.weight, a.fullShape);
    for (let i = 0; i < gradFull.length; i++) gradFull[i] = rGW(rGW(gradFull[i]!) * rGW(w[i]!));
    gradLoss = sumTo(gradFull, a.fullShape, a.lossShape, rGW).map(rA);
  }
  // NegBackward, AddBackward, then MulBackward of target * ls and (1 - target) * ls_neg: in result_type(A, target)
  const rAT = roundingOf(commonDType(A, T));
  const y = expandTo(a.target, a.lossShape);
  const gradPos = new Float64Array(gradLoss.length);
  const gradNeg = new Float64Array(gradLoss.length);
  for (let i = 0; i < gradLoss.length; i++) {
    const g = -gradLoss[i]!;
    gradPos[i] = rAT(rAT(g) * rAT(y[i]!));
    gradNeg[i] = rAT(rAT(g) * rAT(rT(1 - y[i]!)));
  }
  const towardPos = sumTo(gradPos, a.lossShape, a.input.shape, rAT);
  const towardNeg = sumTo(gradNeg, a.lossShape, a.input.shape, rAT);
  const x = a.input.data;
  const grad = allocate(X.dtype, x.length);
  for (let i = 0; i < grad.length; i++)
    grad[i] = logSigmoidBackwardDifference(
      x[i]!,
      rX(towardPos[i]!),
      rX(towardNeg[i]!),
      rX,
      torch,
      logSigmoidMath(X.dtype, a.capability, torch),
    );
  return makeTensor(grad, a.input.shape, X.dtype);
}

/** A torch.long target (an IndexTensor) is converted to the input's dtype, as torch does. */
export function multilabelSoftMarginLoss(input: Tensor, target: Tensor | IndexTensor, options?: MultiLabelSoftMarginOptions): Tensor {
  const a = check(OP, { input, target }, options);
  if (mixesDTypes(input, a.target, a.weight)) return mixedForward(a);
  const k = rowwiseKernels(a);
  if (k) {
    const weight = a.weight ? rowColOperand(a.weight, input.shape) : null;
    const call = {
      op: 'MULTILABEL_SOFT_MARGIN',
      input: input.data,
      classes: a.classes,
      operands: { target: perElement(a.target, a.classes), weight },
      flags: kernelFlags(a, weight !== null),
      results: 'row means',
      sumLanes: a.lanes,
    } as const;
    const fast = k.tryRun(call, a.reduction, a.sampleShape);
    if (fast) return fast;
  }
  return applyReduction(perSampleLosses(a), a.sampleShape, a.reduction, a.dtype, a.lanes, a.round);
}

/** d loss / d input for a gradOutput shaped like the forward output. */
export function multilabelSoftMarginLossBackward(
  gradOutput: Tensor,
  input: Tensor,
  target: Tensor | IndexTensor,
  options?: MultiLabelSoftMarginOptions,
): Tensor {
  const op = `${OP}Backward`;
  const a = check(op, { input, target, gradOutput }, options);
  checkGradOutput(op, gradOutput, a.reduction === 'none' ? a.sampleShape : []);
  const mixed = mixesDTypes(input, a.target, a.weight);
  // Stryker disable next-line ConditionalExpression: without the early return the loops visit no element and give the same empty gradient
  if (input.data.length === 0) {
    const dtype = mixed ? metaOf(input).dtype : a.dtype;
    return makeTensor(allocate(dtype, 0), input.shape, dtype); // nothing to visit, however many samples
  }
  if (mixed) return mixedBackward(a, gradOutput);
  const { round: r, torch } = a;
  const m = logSigmoidMath(a.dtype, a.capability, torch);
  const C = a.classes;
  const go = gradOutput.data;
  const samples = a.outer * a.inner;
  const meanGrad = a.reduction === 'mean' ? r(go[0]! / samples) : go[0]!;
  // MeanBackward, then SumBackward + DivBackward: every class of a sample gets grad / C.
  const sampleGrad = (s: number) => r((a.reduction === 'none' ? go[s]! : meanGrad) / C);

  const k = rowwiseKernels(a);
  if (k) {
    const samples = a.dtype === 'float64' ? new Float64Array(a.outer) : new Float32Array(a.outer); // each sample's gradient in the dtype
    // Stryker disable next-line EqualityOperator: one more pass only writes past the end of a typed array (ignored) and reads undefined
    for (let o = 0; o < a.outer; o++) samples[o] = sampleGrad(o);
    const weight = a.weight ? rowColOperand(a.weight, input.shape) : null;
    const perRow = { data: samples, rowStride: 1, colStride: 0 };
    const call = {
      op: 'MULTILABEL_SOFT_MARGIN_GRAD',
      input: input.data,
      classes: C,
      operands: { target: perElement(a.target, C), weight, rowGradient: perRow },
      flags: kernelFlags(a, weight !== null),
      results: 'elements',
    } as const;
    const fast = k.tryRun(call, 'none', input.shape);
    if (fast) return fast;
  }
  if (a.rowwise) {
    const x = input.data;
    const y = a.target.data;
    const [w, wRowStride, wColStride] = loopOperand(a.weight ? rowColOperand(a.weight, input.shape) : null, 1);
    const grad = allocate(a.dtype, x.length);
    for (let o = 0, i = 0; o < a.outer; o++) {
      const g = sampleGrad(o);
      const wRow = o * wRowStride;
      for (let c = 0; c < C; c++, i++) {
        const gl = -r(g * w[wRow + c * wColStride]!); // MulBackward, NegBackward
        grad[i] = logSigmoidBackwardDifference(x[i]!, r(gl * y[i]!), r(gl * r(1 - y[i]!)), r, torch, m);
      }
    }
    return makeTensor(grad, input.shape, a.dtype);
  }

  // General layout: the same steps on materialized broadcast operands, with sum_to where autograd has it.
  const gradFull = new Float64Array(numel(a.fullShape));
  // Stryker disable next-line EqualityOperator: one more pass only writes past the end of a typed array (ignored) and reads undefined
  for (let o = 0; o < a.outer; o++) {
    for (let i = 0; i < a.inner; i++) {
      const g = sampleGrad(o * a.inner + i);
      // Stryker disable next-line EqualityOperator: the extra pass writes the next outer index's first class, which its own pass overwrites (or past the end)
      for (let c = 0; c < a.extent; c++) gradFull[(o * a.extent + c) * a.inner + i] = g;
    }
  }
  let gradLoss: Float64Array = gradFull;
  if (a.weight) {
    const w = expandTo(a.weight, a.fullShape);
    // Stryker disable next-line EqualityOperator: one more pass only writes past the end of a typed array (ignored) and reads undefined
    for (let i = 0; i < gradFull.length; i++) gradFull[i] = r(gradFull[i]! * w[i]!);
    gradLoss = sumTo(gradFull, a.fullShape, a.lossShape, r);
  }
  const y = expandTo(a.target, a.lossShape);
  const gradPos = new Float64Array(gradLoss.length);
  const gradNeg = new Float64Array(gradLoss.length);
  // Stryker disable next-line EqualityOperator: one more pass only writes past the end of a typed array (ignored) and reads undefined
  for (let i = 0; i < gradLoss.length; i++) {
    const g = -gradLoss[i]!;
    gradPos[i] = r(g * y[i]!);
    gradNeg[i] = r(g * r(1 - y[i]!));
  }
  const towardPos = sumTo(gradPos, a.lossShape, input.shape, r);
  const towardNeg = sumTo(gradNeg, a.lossShape, input.shape, r);
  const x = input.data;
  const grad = allocate(a.dtype, x.length);
  // Stryker disable next-line EqualityOperator: one more pass only writes past the end of a typed array (ignored) and reads undefined
  for (let i = 0; i < grad.length; i++) grad[i] = logSigmoidBackwardDifference(x[i]!, towardPos[i]!, towardNeg[i]!, r, torch, m);
  return makeTensor(grad, input.shape, a.dtype);
}

/** nn.MultiLabelSoftMarginLoss: the options fixed at construction, as torch's module. */
export const MultiLabelSoftMarginLoss = lossModule<MultiLabelSoftMarginOptions, Tensor | IndexTensor>(
  'MultiLabelSoftMarginLoss',
  multilabelSoftMarginLoss,
  multilabelSoftMarginLossBackward,
);
export type MultiLabelSoftMarginLoss = InstanceType<typeof MultiLabelSoftMarginLoss>;
