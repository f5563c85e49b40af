// nn.BCEWithLogitsLoss / F.binary_cross_entropy_with_logits, forward and input gradient.
//
// Mirrors aten/src/ATen/native/Loss.cpp binary_cross_entropy_with_logits, op by op, so float32
// results round where ATen's do. lw = (pos_weight - 1) * y + 1 (pos_weight broadcast along the
// trailing, class, dim):
//   torch >= 2.3 (pytorch#115539):  loss = (1 - y) * x - lw * log_sigmoid(x)
//   torch <  2.3:                   m = max(-x, 0)
//       without pos_weight:         loss = (1 - y) * x + m + Math.log(Math.exp(-m) + Math.exp(-x - m))
//       with pos_weight:            loss = (1 - y) * x + lw * (Math.log(Math.exp(-m) + Math.exp(-x - m)) + m)
//   then loss *= weight, then apply_loss_reduction.
// The backward is binary_cross_entropy_with_logits_backward (Loss.cpp in 1.x, FunctionsManual.cpp
// in 2.x), the same in every release:
//   t = pos_weight * y;  g = ((t + 1 - y) * sigmoid(x) - t) * grad   (without: (sigmoid(x) - y) * grad)
//   g *= weight;  g /= numel for 'mean'.
// float32 runs as WebAssembly SIMD (../wasm/assembly/kernels.ts, the same ops lane-wise); the JS
// loops below compute float64, and float32 where WebAssembly SIMD is unavailable.

import { broadcastOrThrow, checkBroadcastableTo, loopOperand, rowColOperand, rowsAndClasses, type RowColOperand } from '../broadcast.ts';
import {
  checkGradOutput,
  checkTargetShapeEqualsInput,
  prepare,
  type Checked,
  type CommonOptions,
  type LossSignature,
} from '../loss-args.ts';
import { binaryMeta, commonDType, metaOf, mixesDTypes, roundingOf, type Meta } from '../mixed-ops.ts';
import { logSigmoid, maximum, sigmoid, useDType, type Round } from '../numerics.ts';
import { applyReduction, makeTensor } from '../reduction.ts';
import { LossArgumentError, allocate, isIndexTensor, type FloatArray, type Tensor } from '../tensor.ts';
import { sumLanes, type TorchRelease } from '../torch-version.ts';
import { lossModule } from '../loss-module.ts';
import { expOp, logOp, logSigmoidMath, sigmoidExps, type LogSigmoidMath, type UnaryOp } from '../unary-ops.ts';
import { gradOutputOperand, kernelsFor, perElement, type Flag, type KernelCall } from '../wasm/float32-kernels.ts';

export interface BCEWithLogitsOptions extends CommonOptions {
  weight?: Tensor;
  posWeight?: Tensor;
}

const OP = 'binaryCrossEntropyWithLogits';
const SIGNATURE = { tensorOptions: ['weight', 'posWeight'], target: 'float' } as const satisfies LossSignature;

interface Args extends Checked<Tensor> {
  readonly rows: number;
  readonly classes: number;
  readonly weightOperand: RowColOperand | null;
  readonly posWeightOperand: RowColOperand | null;
}

function check(op: string, args: { input: Tensor; target: Tensor; gradOutput?: Tensor }, options: BCEWithLogitsOptions | undefined): Args {
  const c = prepare(op, SIGNATURE, args, options);
  const { input, target, weight, posWeight } = c;
  checkTargetShapeEqualsInput(op, target, input); // functional.py: "Target size (...) must be the same as input size (...)"
  // (pos_weight - 1).mul(target) broadcasts, pos_weight being tensor a; the product then goes in
  // place into the input-shaped loss (2.x: log_sigmoid_input.mul_(log_weight), 1.x: .add_(...)
  // after (1 - target).mul_(input), which refuses a long target first), as loss.mul_(weight) does.
  if (posWeight) broadcastOrThrow(op, posWeight.shape, input.shape, 'posWeight');
  if (posWeight && c.torch.bceUsesLogSigmoid) checkBroadcastableTo(op, 'posWeight', posWeight.shape, input.shape);
  if (isIndexTensor(target)) {
    // ATen: (1 - target).mul_(input) on a long target
    throw new LossArgumentError(
      `${op}: result type ${c.dtype === 'float64' ? 'Double' : 'Float'} can't be cast to the desired output type Long (target must be a float tensor, torch.long is not accepted)`,
    );
  }
  if (posWeight && !c.torch.bceUsesLogSigmoid) checkBroadcastableTo(op, 'posWeight', posWeight.shape, input.shape);
  if (weight) checkBroadcastableTo(op, 'weight', weight.shape, input.shape);
  const { rows, classes } = rowsAndClasses(input.shape);
  // Object.assign onto the fresh checked object, not a spread into a new one: the spread cost about 5 us per call (V8), more than a small loss itself.
  return Object.assign(c, {
    target,
    rows,
    classes,
    weightOperand: weight ? rowColOperand(weight, input.shape) : null,
    posWeightOperand: posWeight ? rowColOperand(posWeight, input.shape) : null,
  });
}

/** One element's loss before weight and reduction, in the given release's op order; lw is 1 without pos_weight; exp, log: at::exp / at::log; m: log_sigmoid's. */
function elementLoss(
  x: number,
  y: number,
  hasPosWeight: boolean,
  lw: number,
  r: Round,
  torch: TorchRelease,
  exp: UnaryOp,
  log: UnaryOp,
  lsMath: LogSigmoidMath,
): number {
  const linear = r(r(1 - y) * x);
  if (torch.bceUsesLogSigmoid) {
    const ls = logSigmoid(x, r, torch, lsMath);
    return r(linear - (hasPosWeight ? r(ls * lw) : ls));
  }
  const m = maximum(-x, 0);
  const logTerm = log(r(exp(-m) + exp(r(-x - m))));
  if (!hasPosWeight) return r(r(linear + m) + logTerm);
  return r(linear + r(lw * r(logTerm + m)));
}

type Kernel = 'BCE_WITH_LOGITS' | 'BCE_WITH_LOGITS_GRAD';

function kernelCall(a: Args, op: Kernel, gradOutput: RowColOperand | null = null): KernelCall<Kernel> {
  const flags: Flag[] = a.capability === 'default' ? ['USES_GLIBC'] : [];
  if (a.weightOperand) flags.push('HAS_WEIGHT');
  if (a.posWeightOperand) flags.push('HAS_POS_WEIGHT');
  if (a.torch.bceUsesLogSigmoid) flags.push('USES_LOG_SIGMOID');
  const scalar = a.reduction === 'mean' ? a.input.data.length : 0; // the gradient's 'mean' divisor
  return {
    op,
    input: a.input.data,
    classes: a.classes,
    operands: { target: perElement(a.target, a.classes), weight: a.weightOperand, posWeight: a.posWeightOperand, gradOutput },
    flags,
    scalar,
    // Stryker disable next-line StringLiteral: '' is not 'row means', so it reads as 'elements'
    results: 'elements',
    sumLanes: a.lanes,
  };
}

/**
 * The dtypes of Loss.cpp's ops when the arguments mix float32 and float64. The loss is built in
 * place on (1 - target), so it has the target's dtype: `(1 - target).mul_(input)` computes in
 * result_type(target, input) and stores the target's dtype, and so do the add_ / sub_ / mul_(weight)
 * that follow. log_weight = (pos_weight - 1).mul(target).add_(1) has result_type(pos_weight, target);
 * 1.x's log_weight.mul_(log term) stays in it, 2.3's log_sigmoid(input).mul_(log_weight) in the input's.
 */
interface MixedPlan {
  readonly X: Meta;
  readonly T: Meta;
  /** log_weight's (and the backward's pos_weight * target's) meta; null without pos_weight. */
  readonly A: Meta | null;
  readonly rX: Round;
  readonly rT: Round;
  readonly rA: Round;
  readonly rP: Round;
  /** Rounding of ops computing in result_type(target, input), (target, log_weight), (log_weight, input), (target, weight). */
  readonly rTX: Round;
  readonly rTA: Round;
  readonly rAX: Round;
  readonly rTW: Round;
}

function mixedPlan(a: Args): MixedPlan {
  const X = metaOf(a.input);
  const T = metaOf(a.target);
  const P = a.posWeight ? metaOf(a.posWeight) : null;
  const A = P ? binaryMeta(P, T) : null;
  return {
    X,
    T,
    A,
    rX: roundingOf(X.dtype),
    rT: roundingOf(T.dtype),
    rA: roundingOf(A ? A.dtype : X.dtype),
    rP: roundingOf(P ? P.dtype : X.dtype),
    rTX: roundingOf(commonDType(T, X)),
    rTA: roundingOf(A ? commonDType(T, A) : T.dtype),
    rAX: roundingOf(A ? commonDType(A, X) : X.dtype),
    rTW: roundingOf(a.weight ? commonDType(T, metaOf(a.weight)) : T.dtype),
  };
}

function mixedForward(a: Args): Tensor {
  const { rows, classes, torch } = a;
  const { X, T, rX, rT, rA, rP, rTX, rTA, rAX, rTW } = mixedPlan(a);
  // max_val and the exp_ / log_ on it keep the input's dtype
  const exp = expOp(X.dtype, a.capability);
  const log = logOp(X.dtype, a.capability);
  const ls = logSigmoidMath(X.dtype, a.capability, torch); // log_sigmoid(input) in the input's dtype
  const x = a.input.data;
  const y = a.target.data;
  const [w, wRowStride, wColStride] = loopOperand(a.weightOperand, 1);
  const [p, pRowStride, pColStride] = loopOperand(a.posWeightOperand, 1);
  const hasPosWeight = a.posWeightOperand !== null;
  const hasWeight = a.weightOperand !== null;
  const losses = allocate(T.dtype, x.length);
  for (let row = 0, i = 0; row < rows; row++) {
    for (let col = 0; col < classes; col++, i++) {
      const xi = x[i]!;
      const yi = y[i]!;
      // (pos_weight - 1).mul(target).add_(1)
      const lw = hasPosWeight ? rA(rA(rA(rP(p[row * pRowStride + col * pColStride]! - 1)) * rA(yi)) + 1) : 1;
      const linear = rT(rT(1 - yi) * rTX(xi)); // (1 - target).mul_(input)
      let loss: number;
      if (torch.bceUsesLogSigmoid) {
        let lsx = logSigmoid(xi, rX, torch, ls);
        if (hasPosWeight) lsx = rX(lsx * rAX(lw)); // log_sigmoid_input.mul_(log_weight)
        loss = rT(linear - rTX(lsx)); // .sub_(log_sigmoid_input)
      } else {
        const m = maximum(-xi, 0);
        const logTerm = log(rX(exp(-m) + exp(rX(-xi - m))));
        if (hasPosWeight) {
          const lwi = rA(lw * rAX(rX(logTerm + m))); // log_weight.mul_(log term .add_(max_val))
          loss = rT(linear + rTA(lwi));
        } else {
          loss = rT(rT(linear + rTX(m)) + rTX(logTerm)); // .add_(max_val).add_(log term)
        }
      }
      losses[i] = hasWeight ? rT(loss * rTW(w[row * wRowStride + col * wColStride]!)) : loss; // loss.mul_(weight)
    }
  }
  return applyReduction(losses, a.input.shape, a.reduction, T.dtype, sumLanes(T.dtype, torch, a.capability), useDType(T.dtype));
}

/**
 * The backward's dtypes (Loss.cpp in 1.x, FunctionsManual.cpp in 2.x): t = pos_weight.mul(target)
 * and t.add(1).sub_(target).mul_(sigmoid).sub_(t) in result_type(pos_weight, target); without
 * pos_weight 1.7's sigmoid(input) - target is out of place (result_type(input, target)), 1.13's and
 * 2.x's input.sigmoid().sub_(target) in place (the input's dtype): measured on the goldens' mixed
 * cases, each release bit for bit under its form in more cases than under the other (1.7 15 / 13 of
 * 18, 1.13 15 / 13, 2.6 12 / 10). The in-place form is taken from 1.12 (composite compliance's
 * rewrite; 1.8-1.12 not measured). Then .mul_(grad), .mul_(weight) and the
 * 'mean' division in that dtype, and the engine casts the result to the input's dtype.
 */
function mixedBackward(a: Args, gradOutput: Tensor): Tensor {
  const { rows, classes, torch } = a;
  const { X, T, A, rX, rA } = mixedPlan(a);
  const inPlace = torch.major > 1 || torch.minor >= 12;
  const S: Meta = A ?? (inPlace ? X : binaryMeta(X, T));
  const rS = roundingOf(S.dtype);
  const rSX = roundingOf(commonDType(S, X));
  const rST = roundingOf(commonDType(S, T));
  const rSG = roundingOf(commonDType(S, metaOf(gradOutput)));
  const rSW = roundingOf(a.weight ? commonDType(S, metaOf(a.weight)) : S.dtype);
  const x = a.input.data;
  const y = a.target.data;
  const go = gradOutput.data;
  const goStep = a.reduction === 'none' ? 1 : 0;
  const n = x.length;
  const [w, wRowStride, wColStride] = loopOperand(a.weightOperand, 1);
  const [p, pRowStride, pColStride] = loopOperand(a.posWeightOperand, 1);
  const hasPosWeight = a.posWeightOperand !== null;
  const exps = sigmoidExps(X.dtype, a.capability, n);
  const grad = allocate(X.dtype, n);
  for (let row = 0, i = 0; row < rows; row++) {
    for (let col = 0; col < classes; col++, i++) {
      const s = sigmoid(x[i]!, rX, i < exps.vectorEnd ? exps.vector : exps.scalar);
      let g: number;
      if (hasPosWeight) {
        const t = rA(rA(p[row * pRowStride + col * pColStride]!) * rA(y[i]!));
        g = rS(rS(rS(rS(t + 1) - rST(y[i]!)) * rSX(s)) - t);
      } else if (S === X) {
        g = rS(s - rST(y[i]!));
      } else {
        g = rS(rS(s) - rS(y[i]!));
      }
      g = rS(g * rSG(go[i * goStep]!));
      if (a.weightOperand) g = rS(g * rSW(w[row * wRowStride + col * wColStride]!));
      if (a.reduction === 'mean') g = rS(g / n);
      grad[i] = rX(g);
    }
  }
  return makeTensor(grad, a.input.shape, X.dtype);
}

export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options?: BCEWithLogitsOptions): Tensor {
  const a = check(OP, { input, target }, options);
  if (mixesDTypes(input, a.target, a.weight, a.posWeight)) return mixedForward(a);
  const fast = kernelsFor(a.dtype)?.tryRun(kernelCall(a, 'BCE_WITH_LOGITS'), a.reduction, input.shape);
  if (fast) return fast;
  const { rows, classes, round: r, torch } = a;
  const x = input.data;
  const y = a.target.data;
  const [w, wRowStride, wColStride] = loopOperand(a.weightOperand, 1); // without a weight, * 1 changes nothing
  const [p, pRowStride, pColStride] = loopOperand(a.posWeightOperand, 1);
  const hasPosWeight = a.posWeightOperand !== null;
  const exp = expOp(a.dtype, a.capability);
  const log = logOp(a.dtype, a.capability);
  const ls = logSigmoidMath(a.dtype, a.capability, torch);
  const losses = allocate(a.dtype, x.length);
  // Stryker disable next-line EqualityOperator: one more pass only writes past the end of a typed array (ignored) and reads undefined
  for (let row = 0, i = 0; row < rows; row++) {
    const wRow = row * wRowStride;
    const pRow = row * pRowStride;
    for (let col = 0; col < classes; col++, i++) {
      const lw = hasPosWeight ? r(r(r(p[pRow + col * pColStride]! - 1) * y[i]!) + 1) : 1;
      losses[i] = r(elementLoss(x[i]!, y[i]!, hasPosWeight, lw, r, torch, exp, log, ls) * w[wRow + col * wColStride]!);
    }
  }
  return applyReduction(losses, input.shape, a.reduction, a.dtype, a.lanes, r);
}

/** d loss / d input for a gradOutput shaped like the forward output. */
export function binaryCrossEntropyWithLogitsBackward(
  gradOutput: Tensor,
  input: Tensor,
  target: Tensor,
  options?: BCEWithLogitsOptions,
): Tensor {
  const op = `${OP}Backward`;
  const a = check(op, { input, target, gradOutput }, options);
  checkGradOutput(op, gradOutput, a.reduction === 'none' ? input.shape : []);
  if (mixesDTypes(input, a.target, a.weight, a.posWeight)) return mixedBackward(a, gradOutput);
  const n = a.input.data.length;
  const exps = sigmoidExps(a.dtype, a.capability, n);
  const fast = kernelsFor(a.dtype)?.tryRun(
    kernelCall(a, 'BCE_WITH_LOGITS_GRAD', gradOutputOperand(gradOutput, a.reduction, a.classes)),
    'none',
    input.shape,
  );
  // The kernels compute with the vectorized lambda's sigmoid throughout: the scalar tail again here.
  if (fast) {
    gradients(a, gradOutput, exps, fast.data, exps.vectorEnd);
    return fast;
  }
  const grad = allocate(a.dtype, n);
  gradients(a, gradOutput, exps, grad, 0);
  return makeTensor(grad, input.shape, a.dtype);
}

/** The one-dtype backward of elements from..n into grad. */
function gradients(a: Args, gradOutput: Tensor, exps: ReturnType<typeof sigmoidExps>, grad: FloatArray, from: number): void {
  const { classes, round: r } = a;
  const x = a.input.data;
  const y = a.target.data;
  const go = gradOutput.data;
  const goStep = a.reduction === 'none' ? 1 : 0;
  const mean = a.reduction === 'mean';
  const n = x.length;
  const [w, wRowStride, wColStride] = loopOperand(a.weightOperand, 1);
  const [p, pRowStride, pColStride] = loopOperand(a.posWeightOperand, 1);
  const hasPosWeight = a.posWeightOperand !== null;
  // Stryker disable next-line EqualityOperator: one more pass only writes past the end of a typed array (ignored) and reads undefined
  for (let row = Math.floor(from / Math.max(1, classes)), i = from; i < n; row++) {
    const wRow = row * wRowStride;
    const pRow = row * pRowStride;
    for (let col = i - row * classes; col < classes; col++, i++) {
      const s = sigmoid(x[i]!, r, i < exps.vectorEnd ? exps.vector : exps.scalar);
      let g: number;
      if (hasPosWeight) {
        const t = r(p[pRow + col * pColStride]! * y[i]!);
        g = r(r(r(r(t + 1) - y[i]!) * s) - t);
      } else {
        g = r(s - y[i]!);
      }
      g = r(r(g * go[i * goStep]!) * w[wRow + col * wColStride]!);
      grad[i] = mean ? r(g / n) : g;
    }
  }
}

/** nn.BCEWithLogitsLoss: the options fixed at construction, as torch's module. */
export const BCEWithLogitsLoss = lossModule<BCEWithLogitsOptions, Tensor>(
  'BCEWithLogitsLoss',
  binaryCrossEntropyWithLogits,
  binaryCrossEntropyWithLogitsBackward,
);
export type BCEWithLogitsLoss = InstanceType<typeof BCEWithLogitsLoss>;
