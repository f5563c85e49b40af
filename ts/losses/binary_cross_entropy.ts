// nn.BCELoss / F.binary_cross_entropy on probabilities, forward and input gradient.
//
// Mirrors aten/src/ATen/native/Loss.cpp binary_cross_entropy_out_cpu, op by op:
//   loss = (y - 1) * max(log1p(-x), -100) - y * max(log(x), -100)     (torch clamps the logs at -100)
//   loss *= weight; apply_loss_reduction.
// A scalar cpu_kernel, so the logs are glibc's (logf, log1pf for float32) under every CPU capability;
// before torch 2.0 (torchRelease.bceUsesLog1p) the first term is log(1 - x), 1 - x rounded first.
// Every element of x must lie in [0, 1] (and of y too, from torch 2.x); NaN fails that check.
// Backward, binary_cross_entropy_backward_out_cpu:
//   g = grad * (x - y) / max((1 - x) * x, 1e-12);  g *= weight;  g /= numel for 'mean'.
// float32 runs as WebAssembly SIMD (../wasm/assembly/kernels.ts, the same ops lane-wise).

import {
  broadcastShapesMismatch,
  checkBroadcastableTo,
  inferSizeMismatch,
  loopOperand,
  rowColOperand,
  rowsAndClasses,
  type RowColOperand,
} from '../broadcast.ts';
import {
  checkGradOutput,
  checkTargetShapeEqualsInput,
  prepare,
  torchDTypeName,
  type Checked,
  type CommonOptions,
  type LossSignature,
} from '../loss-args.ts';
import { commonDType, metaOf, mixesDTypes, roundingOf } from '../mixed-ops.ts';
import { useDType, type Round } from '../numerics.ts';
import { sumLanes } from '../torch-version.ts';
import { scalarLogOp } from '../unary-ops.ts';
import { applyReduction, makeTensor } from '../reduction.ts';
import { LossArgumentError, allocate, formatShape, isIndexTensor, type FloatArray, type Tensor } from '../tensor.ts';
import { lossModule } from '../loss-module.ts';
import { gradOutputOperand, kernelsFor, perElement, type Flag, type KernelCall } from '../wasm/float32-kernels.ts';
import { float64Kernels } from '../wasm/float64-kernels.ts';

export interface BCELossOptions extends CommonOptions {
  weight?: Tensor;
}

const OP = 'binaryCrossEntropy';
const SIGNATURE = { tensorOptions: ['weight'], target: 'float' } as const satisfies LossSignature;
/** Loss.cpp's `constexpr float EPSILON = 1e-12`: a float, so a float64 gradient's floor is 9.99999996e-13. */
const EPSILON = Math.fround(1e-12);

interface Args extends Checked<Tensor> {
  readonly rows: number;
  readonly classes: number;
  readonly weightOperand: RowColOperand | null;
}

function check(op: string, args: { input: Tensor; target: Tensor; gradOutput?: Tensor }, options: BCELossOptions | undefined): Args {
  const c = prepare(op, SIGNATURE, args, options);
  const { input, target, weight } = c;
  checkTargetShapeEqualsInput(
    op,
    target,
    input,
    (t, i) => `Using a target size (${t}) that is different to the input size (${i}) is deprecated. Please ensure they have the same size.`,
  );
  // functional.py broadcasts target.size() with weight.size() (then expands weight to that)
  if (weight) {
    const mismatch = c.torch.bceWeightUsesBroadcastShapes
      ? broadcastShapesMismatch(target.shape, weight.shape)
      : inferSizeMismatch(target.shape, weight.shape);
    if (mismatch !== null)
      throw new LossArgumentError(
        `${op}: weight shape ${formatShape(weight.shape)} does not broadcast with target shape ${formatShape(target.shape)}: ${mismatch}`,
      );
  }
  if (isIndexTensor(target)) {
    // ATen's binary_cross_entropy (a TensorIterator with check_all_same_dtype)
    throw new LossArgumentError(
      `${op}: Found dtype Long but expected ${torchDTypeName(input)} (target must be a float tensor, torch.long is not accepted)`,
    );
  }
  if (target.data instanceof Float64Array !== input.data instanceof Float64Array) {
    // the same check on a float target of the other dtype (1.7 through 2.14: measured)
    throw new LossArgumentError(
      `${op}: Found dtype ${torchDTypeName(target)} but expected ${torchDTypeName(input)} (the target must have the input's dtype)`,
    );
  }
  // The kernel's range checks: the first element outside [0, 1], input before target at the same index.
  const badInput = firstOutsideUnit(input.data);
  const badTarget = c.torch.bceChecksTargetRange ? firstOutsideUnit(target.data, badInput < 0 ? Infinity : badInput) : -1;
  if (badTarget >= 0)
    throw new LossArgumentError(
      `${op}: all elements of target should be between 0 and 1 (got ${target.data[badTarget]} at index ${badTarget})`,
    );
  if (badInput >= 0)
    throw new LossArgumentError(
      `${op}: all elements of input should be between 0 and 1 (got ${input.data[badInput]} at index ${badInput})`,
    );
  // then loss.mul_(weight), in place: the weight must not grow the input
  if (weight) checkBroadcastableTo(op, 'weight', weight.shape, input.shape);
  const { rows, classes } = rowsAndClasses(input.shape);
  return Object.assign(c, { target, rows, classes, weightOperand: weight ? rowColOperand(weight, input.shape) : null }); // not a spread: see binary_cross_entropy_with_logits.ts
}

/** The index of the first value outside [0, 1] (NaN included) before `end`, or -1. */
function firstOutsideUnit(values: FloatArray, end = Infinity): number {
  if (!(values instanceof Float32Array)) {
    // the float64 kernels (as kernelsFor('float64') finds them: off with useFloat32Kernels(false))
    const kernels64 = kernelsFor('float64') ? float64Kernels() : null;
    return kernels64 ? kernels64.firstOutsideUnit(values, end) : firstOutside64(values, end);
  }
  // Stryker disable next-line StringLiteral: no kernels for "": the JS loop finds the same index
  const kernels = kernelsFor('float32');
  return kernels ? kernels.firstOutsideUnit(values, end) : firstOutside32(values, end);
}

// One loop per array type: a loop that sees both runs about 10x slower (4.7 ns per element at 1e6).
function firstOutside32(v: Float32Array, end: number): number {
  for (let i = 0, n = Math.min(v.length, end); i < n; i++) if (!(v[i]! >= 0 && v[i]! <= 1)) return i;
  return -1;
}

/** As firstOutside32, eight values a test (one branch for the eight, the index found by the plain loop): 0.53 vs 0.9 ns per value at 1e6; the float64 kernels' firstOutsideUnit where they load. */
function firstOutside64(v: Float64Array, end: number): number {
  const n = Math.min(v.length, end);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const v0 = v[i]!;
    const v1 = v[i + 1]!;
    const v2 = v[i + 2]!;
    const v3 = v[i + 3]!;
    const v4 = v[i + 4]!;
    const v5 = v[i + 5]!;
    const v6 = v[i + 6]!;
    const v7 = v[i + 7]!;
    if (!(v0 >= 0 && v0 <= 1 && v1 >= 0 && v1 <= 1 && v2 >= 0 && v2 <= 1 && v3 >= 0 && v3 <= 1)) break;
    if (!(v4 >= 0 && v4 <= 1 && v5 >= 0 && v5 <= 1 && v6 >= 0 && v6 <= 1 && v7 >= 0 && v7 <= 1)) break;
  }
  for (; i < n; i++) if (!(v[i]! >= 0 && v[i]! <= 1)) return i;
  return -1;
}

/** std::max(a, b): b only when a < b (so a NaN or -0 first argument survives). */
// Stryker disable next-line EqualityOperator: on a tie a and b are the same number (never -0 against 0 here)
const stdMax = (a: number, b: number) => (a < b ? b : a);

type Kernel = 'BINARY_CROSS_ENTROPY' | 'BINARY_CROSS_ENTROPY_GRAD';

function kernelCall(a: Args, op: Kernel, gradOutput: RowColOperand | null = null): KernelCall<Kernel> {
  const scalar = a.reduction === 'mean' ? a.input.data.length : 0; // the gradient's 'mean' divisor
  const flags: Flag[] = a.weightOperand ? ['HAS_WEIGHT'] : [];
  if (op === 'BINARY_CROSS_ENTROPY' && !a.torch.bceUsesLog1p) flags.push('BCE_LOG_ONE_MINUS');
  return {
    op,
    input: a.input.data,
    classes: a.classes,
    operands: { target: perElement(a.target, a.classes), weight: a.weightOperand, gradOutput },
    flags,
    scalar,
    // Stryker disable next-line StringLiteral: '' is not 'row means', so it reads as 'elements'
    results: 'elements',
    sumLanes: a.lanes,
  };
}

/**
 * A weight of the other float dtype: the kernel computes in the input's dtype (target and input
 * must share it), then loss.mul_(weight) and grad_input.mul_(weight) compute in result_type(input,
 * weight expanded to the target's shape) and keep the input's dtype, as the reduction and the
 * gradient's 'mean' div_ do.
 */
function weightRounding(a: Args): Round {
  const weight = a.weight;
  if (!weight) return roundingOf(metaOf(a.input).dtype); // * 1
  const expandedZeroDim = a.target.shape.length === 0 && weight.shape.length === 0; // weight.expand(infer_size(target, weight))
  return roundingOf(commonDType(metaOf(a.input), { dtype: metaOf(weight).dtype, zeroDim: expandedZeroDim }));
}

/**
 * The element loss as each release's kernel writes it (a scalar cpu_kernel: glibc's logf / log under
 * every CPU capability): std::log1p(-x) from torchRelease.bceUsesLog1p, std::log(1 - x) before.
 */
function elementLoss(x: number, y: number, r: Round, log: (v: number) => number, usesLog1p: boolean): number {
  const logOneMinus = stdMax(usesLog1p ? r(Math.log1p(-x)) : log(r(1 - x)), -100);
  const logX = stdMax(log(x), -100);
  return r(r(r(y - 1) * logOneMinus) - r(y * logX));
}

/** The JS loops (the kernels' reference and fallback), each op in its tensors' dtype: one dtype, or a weight of the other. */
function jsForward(a: Args): Tensor {
  const { rows, classes, torch } = a;
  const X = metaOf(a.input);
  const rX = roundingOf(X.dtype);
  const rXW = weightRounding(a);
  const log = scalarLogOp(X.dtype);
  const x = a.input.data;
  const y = a.target.data;
  const [w, wRowStride, wColStride] = loopOperand(a.weightOperand, 1);
  const losses = allocate(X.dtype, x.length);
  for (let row = 0, i = 0; row < rows; row++) {
    for (let col = 0; col < classes; col++, i++)
      losses[i] = rX(elementLoss(x[i]!, y[i]!, rX, log, torch.bceUsesLog1p) * rXW(w[row * wRowStride + col * wColStride]!));
  }
  return applyReduction(losses, a.input.shape, a.reduction, X.dtype, sumLanes(X.dtype, torch, a.capability), useDType(X.dtype));
}

/** The backward's JS loops, as jsForward. */
function jsBackward(a: Args, gradOutput: Tensor): Tensor {
  const { rows, classes } = a;
  const X = metaOf(a.input);
  const rX = roundingOf(X.dtype);
  const rXW = weightRounding(a);
  const x = a.input.data;
  const y = a.target.data;
  const go = gradOutput.data;
  const goStep = a.reduction === 'none' ? 1 : 0;
  const n = x.length;
  const eps = rX(EPSILON);
  const [w, wRowStride, wColStride] = loopOperand(a.weightOperand, 1);
  const grad = allocate(X.dtype, n);
  for (let row = 0, i = 0; row < rows; row++) {
    for (let col = 0; col < classes; col++, i++) {
      const xi = x[i]!;
      const denominator = stdMax(rX(rX(1 - xi) * xi), eps);
      const g = rX(rX(rX(go[i * goStep]! * rX(xi - y[i]!)) / denominator) * rXW(w[row * wRowStride + col * wColStride]!));
      grad[i] = a.reduction === 'mean' ? rX(g / n) : g;
    }
  }
  return makeTensor(grad, a.input.shape, X.dtype);
}

export function binaryCrossEntropy(input: Tensor, target: Tensor, options?: BCELossOptions): Tensor {
  const a = check(OP, { input, target }, options);
  if (mixesDTypes(input, a.weight)) return jsForward(a);
  const fast = kernelsFor(a.dtype)?.tryRun(kernelCall(a, 'BINARY_CROSS_ENTROPY'), a.reduction, input.shape);
  return fast ?? jsForward(a);
}

/** d loss / d input for a gradOutput shaped like the forward output. */
export function binaryCrossEntropyBackward(gradOutput: Tensor, input: Tensor, target: Tensor, options?: BCELossOptions): Tensor {
  const op = `${OP}Backward`;
  const a = check(op, { input, target, gradOutput }, options);
  checkGradOutput(op, gradOutput, a.reduction === 'none' ? input.shape : []);
  if (mixesDTypes(input, a.weight)) return jsBackward(a, gradOutput);
  const fast = kernelsFor(a.dtype)?.tryRun(
    kernelCall(a, 'BINARY_CROSS_ENTROPY_GRAD', gradOutputOperand(gradOutput, a.reduction, a.classes)),
    'none',
    input.shape,
  );
  return fast ?? jsBackward(a, gradOutput);
}

/** nn.BCELoss: the options fixed at construction, as torch's module. */
export const BCELoss = lossModule<BCELossOptions, Tensor>('BCELoss', binaryCrossEntropy, binaryCrossEntropyBackward);
export type BCELoss = InstanceType<typeof BCELoss>;
