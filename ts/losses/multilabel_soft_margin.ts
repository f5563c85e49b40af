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

import { broadcastOrThrow, expandTo, sumTo } from '../broadcast.ts';
import { asFloat64, checkGradOutput, prepare, type CommonOptions, type Prepared } from '../loss-args.ts';
import { atenRowSum, logSigmoid, logSigmoidBackward } from '../numerics.ts';
import { applyReduction, makeTensor } from '../reduction.ts';
import { LossArgumentError, numel, type Tensor } from '../tensor.ts';

export interface MultiLabelSoftMarginOptions extends CommonOptions {
  weight?: Tensor;
}

const OP = 'multilabelSoftMarginLoss';
const OPTIONS = ['weight', 'reduction', 'torchVersion', 'cpuCapability'];

interface Args extends Prepared {
  /** broadcast(input, target): the shape of -(y * ls(x) + ...). */
  readonly lossShape: readonly number[];
  /** broadcast(lossShape, weight): the shape summed over the class dim. */
  readonly fullShape: readonly number[];
  readonly classDim: number;
  readonly classes: number;
  /** The shape after summing over the class dim ('none' output shape). */
  readonly sampleShape: readonly number[];
  readonly x: Float64Array;
  readonly y: Float64Array; // expanded to lossShape
  readonly weight: Float64Array | null; // expanded to fullShape
}

function check(op: string, input: Tensor, target: Tensor, options: MultiLabelSoftMarginOptions | undefined, extra: Record<string, unknown> = {}): Args {
  const p = prepare(op, { input, target, weight: options?.weight, ...extra }, options, OPTIONS);
  const lossShape = broadcastOrThrow(op, input.shape, target.shape, 'target');
  const fullShape = options?.weight ? broadcastOrThrow(op, lossShape, options.weight.shape, 'weight') : lossShape;
  const classDim = p.torch.mlsmlAccepts1d ? input.shape.length - 1 : 1;
  if (classDim < 0 || classDim >= input.shape.length) {
    throw new LossArgumentError(
      p.torch.mlsmlAccepts1d
        ? `${op}: input must have at least 1 dimension (the class dim), got a 0-d tensor`
        : `${op}: input must be at least 2-D (N, C) before torch 1.11, got ${input.shape.length}-D`,
      'IndexError',
    );
  }
  return {
    ...p,
    lossShape,
    fullShape,
    classDim,
    classes: input.shape[classDim]!,
    sampleShape: fullShape.filter((_, i) => i !== classDim),
    x: asFloat64(input),
    y: expandTo(target, lossShape),
    weight: options?.weight ? expandTo(options.weight, fullShape) : null,
  };
}

/** Splits fullShape around the class dim: element (o, c, i) is at (o * classes + c) * inner + i. */
function layout(a: Args): { outer: number; inner: number; extent: number } {
  return {
    outer: numel(a.fullShape.slice(0, a.classDim)),
    extent: a.fullShape[a.classDim]!,
    inner: numel(a.fullShape.slice(a.classDim + 1)),
  };
}

export function multilabelSoftMarginLoss(input: Tensor, target: Tensor, options?: MultiLabelSoftMarginOptions): Tensor {
  const a = check(OP, input, target, options);
  const { round: r, torch } = a;
  const lossLen = numel(a.lossShape);
  // log_sigmoid(x) and log_sigmoid(-x) on the input's shape, then expanded like the product with y.
  const xl = expandTo({ data: a.x, shape: input.shape }, a.lossShape);
  const elementwise = new Float64Array(lossLen);
  for (let i = 0; i < lossLen; i++) {
    const x = xl[i]!;
    const y = a.y[i]!;
    elementwise[i] = -r(r(y * logSigmoid(x, r, torch)) + r(r(1 - y) * logSigmoid(-x, r, torch)));
  }
  let full: Float64Array = elementwise;
  if (a.weight) {
    full = expandTo({ data: elementwise, shape: a.lossShape }, a.fullShape);
    for (let i = 0; i < full.length; i++) full[i] = r(full[i]! * a.weight[i]!);
  }
  const { outer, inner, extent } = layout(a);
  const perSample = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      // The class dim is the contiguous one unless a pre-1.11 3-D input sums dim 1; ATen then runs an
      // outer reduction, approximated here by a float64 sum rounded once.
      let s: number;
      if (inner === 1) s = atenRowSum(full, o * extent, extent, a.lanes, r);
      else {
        s = 0;
        for (let c = 0; c < extent; c++) s += full[(o * extent + c) * inner + i]!;
        s = r(s);
      }
      perSample[o * inner + i] = r(s / a.classes);
    }
  }
  return applyReduction(perSample, a.sampleShape, a.reduction, a.dtype, a.lanes, r);
}

/** d loss / d input for a gradOutput shaped like the forward output. */
export function multilabelSoftMarginLossBackward(gradOutput: Tensor, input: Tensor, target: Tensor, options?: MultiLabelSoftMarginOptions): Tensor {
  const op = `${OP}Backward`;
  const a = check(op, input, target, options, { gradOutput });
  checkGradOutput(op, gradOutput, a.reduction === 'none' ? a.sampleShape : []);
  const { round: r, torch } = a;
  const go = asFloat64(gradOutput);
  const { outer, inner, extent } = layout(a);
  const samples = outer * inner;
  const meanGrad = a.reduction === 'mean' ? r(go[0]! / samples) : go[0]!;
  // SumBackward + DivBackward: every element of a sample's row gets grad / C.
  const gradFull = new Float64Array(numel(a.fullShape));
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const g = r((a.reduction === 'none' ? go[o * inner + i]! : meanGrad) / a.classes);
      for (let c = 0; c < extent; c++) gradFull[(o * extent + c) * inner + i] = g;
    }
  }
  let gradLoss: Float64Array = gradFull;
  if (a.weight) {
    for (let i = 0; i < gradFull.length; i++) gradFull[i] = r(gradFull[i]! * a.weight[i]!);
    gradLoss = sumTo(gradFull, a.fullShape, a.lossShape, r);
  }
  // NegBackward, then the two products' gradients, each summed to the input's shape.
  const gradPos = new Float64Array(gradLoss.length);
  const gradNeg = new Float64Array(gradLoss.length);
  for (let i = 0; i < gradLoss.length; i++) {
    const g = -gradLoss[i]!;
    const y = a.y[i]!;
    gradPos[i] = r(g * y);
    gradNeg[i] = r(g * r(1 - y));
  }
  const towardPos = sumTo(gradPos, a.lossShape, input.shape, r);
  const towardNeg = sumTo(gradNeg, a.lossShape, input.shape, r);
  const grad = new Float64Array(a.x.length);
  for (let i = 0; i < grad.length; i++) {
    const x = a.x[i]!;
    grad[i] = r(logSigmoidBackward(x, towardPos[i]!, r, torch) - logSigmoidBackward(-x, towardNeg[i]!, r, torch));
  }
  return makeTensor(grad, input.shape, a.dtype);
}

/** nn.MultiLabelSoftMarginLoss: the options fixed at construction, as torch's module. */
export class MultiLabelSoftMarginLoss {
  constructor(readonly options: MultiLabelSoftMarginOptions = {}) {}
  forward(input: Tensor, target: Tensor): Tensor {
    return multilabelSoftMarginLoss(input, target, this.options);
  }
  backward(gradOutput: Tensor, input: Tensor, target: Tensor): Tensor {
    return multilabelSoftMarginLossBackward(gradOutput, input, target, this.options);
  }
}
