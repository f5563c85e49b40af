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
import { logSigmoid, maximum, sigmoid, type Round } from '../numerics.ts';
import { applyReduction, makeTensor } from '../reduction.ts';
import { LossArgumentError, allocate, isIndexTensor, type Tensor } from '../tensor.ts';
import type { TorchRelease } from '../torch-version.ts';
import { lossModule } from '../loss-module.ts';
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

/** One element's loss before weight and reduction, in the given release's op order; lw is 1 without pos_weight. */
function elementLoss(x: number, y: number, hasPosWeight: boolean, lw: number, r: Round, torch: TorchRelease): number {
  const linear = r(r(1 - y) * x);
  if (torch.bceUsesLogSigmoid) {
    const ls = logSigmoid(x, r, torch);
    return r(linear - (hasPosWeight ? r(ls * lw) : ls));
  }
  const m = maximum(-x, 0);
  const logTerm = r(Math.log(r(r(Math.exp(-m)) + r(Math.exp(r(-x - m))))));
  if (!hasPosWeight) return r(r(linear + m) + logTerm);
  return r(linear + r(lw * r(logTerm + m)));
}

type Kernel = 'BCE_WITH_LOGITS' | 'BCE_WITH_LOGITS_GRAD';

function kernelCall(a: Args, op: Kernel, gradOutput: RowColOperand | null = null): KernelCall<Kernel> {
  const flags: Flag[] = [];
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

export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options?: BCEWithLogitsOptions): Tensor {
  const a = check(OP, { input, target }, options);
  const fast = kernelsFor(a.dtype)?.tryRun(kernelCall(a, 'BCE_WITH_LOGITS'), a.reduction, input.shape);
  if (fast) return fast;
  const { rows, classes, round: r, torch } = a;
  const x = input.data;
  const y = a.target.data;
  const [w, wRowStride, wColStride] = loopOperand(a.weightOperand, 1); // without a weight, * 1 changes nothing
  const [p, pRowStride, pColStride] = loopOperand(a.posWeightOperand, 1);
  const hasPosWeight = a.posWeightOperand !== null;
  const losses = allocate(a.dtype, x.length);
  // Stryker disable next-line EqualityOperator: one more pass only writes past the end of a typed array (ignored) and reads undefined
  for (let row = 0, i = 0; row < rows; row++) {
    const wRow = row * wRowStride;
    const pRow = row * pRowStride;
    for (let col = 0; col < classes; col++, i++) {
      const lw = hasPosWeight ? r(r(r(p[pRow + col * pColStride]! - 1) * y[i]!) + 1) : 1;
      losses[i] = r(elementLoss(x[i]!, y[i]!, hasPosWeight, lw, r, torch) * w[wRow + col * wColStride]!);
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
  const fast = kernelsFor(a.dtype)?.tryRun(
    kernelCall(a, 'BCE_WITH_LOGITS_GRAD', gradOutputOperand(gradOutput, a.reduction, a.classes)),
    'none',
    input.shape,
  );
  if (fast) return fast;
  const { rows, classes, round: r } = a;
  const x = input.data;
  const y = a.target.data;
  const go = gradOutput.data;
  const goStep = a.reduction === 'none' ? 1 : 0;
  const mean = a.reduction === 'mean';
  const n = x.length;
  const [w, wRowStride, wColStride] = loopOperand(a.weightOperand, 1);
  const [p, pRowStride, pColStride] = loopOperand(a.posWeightOperand, 1);
  const hasPosWeight = a.posWeightOperand !== null;
  const grad = allocate(a.dtype, n);
  // Stryker disable next-line EqualityOperator: one more pass only writes past the end of a typed array (ignored) and reads undefined
  for (let row = 0, i = 0; row < rows; row++) {
    const wRow = row * wRowStride;
    const pRow = row * pRowStride;
    for (let col = 0; col < classes; col++, i++) {
      const s = sigmoid(x[i]!, r);
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
  return makeTensor(grad, input.shape, a.dtype);
}

/** nn.BCEWithLogitsLoss: the options fixed at construction, as torch's module. */
export const BCEWithLogitsLoss = lossModule<BCEWithLogitsOptions, Tensor>(
  'BCEWithLogitsLoss',
  binaryCrossEntropyWithLogits,
  binaryCrossEntropyWithLogitsBackward,
);
export type BCEWithLogitsLoss = InstanceType<typeof BCEWithLogitsLoss>;
