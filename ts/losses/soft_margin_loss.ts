// nn.SoftMarginLoss / F.soft_margin_loss, forward and input gradient (targets usually +-1).
//
// Mirrors aten/src/ATen/native/Loss.cpp soft_margin_loss_out, op by op (torch overflows to inf
// where exp does), exp and log being at::exp / at::log (../unary-ops.ts: SLEEF's for float32,
// glibc's under 'default'; a float32 case's every bit, torch 1.7 and 1.13):
//   torch >= 2.0 (pytorch#92145):  loss = log1p(exp(-x * y))    (old SLEEF log1p: inf above 1e38)
//   before:                        loss = log(1 + exp(-x * y))
//   then apply_loss_reduction.      (y broadcasts to x's shape)
// Backward, soft_margin_loss_backward_out:
//   z = exp(-y * x);  g = y * z * (-norm) / (1 + z) * grad,   norm = 1 / numel for 'mean', else 1
// where -norm is a float Scalar rounded to the dtype before it multiplies.
// float32 runs as WebAssembly SIMD (../wasm/assembly/kernels.ts, the same ops lane-wise).

import { checkBroadcastableTo, loopOperand, rowColOperand, rowsAndClasses, type RowColOperand } from '../broadcast.ts';
import { checkGradOutput, prepare, sameShape, type CommonOptions, type LossSignature } from '../loss-args.ts';
import { binaryMeta, commonDType, metaOf, mixesDTypes, roundingOf } from '../mixed-ops.ts';
import { tensorLog1p, useDType } from '../numerics.ts';
import { sumLanes } from '../torch-version.ts';
import { expOp, logOp } from '../unary-ops.ts';
import { applyReduction, makeTensor } from '../reduction.ts';
import { LossArgumentError, allocate, type IndexTensor, type Tensor } from '../tensor.ts';
import { lossModule } from '../loss-module.ts';
import { gradOutputOperand, kernelsFor, type Flag, type KernelCall } from '../wasm/float32-kernels.ts';

export type SoftMarginOptions = CommonOptions;

const OP = 'softMarginLoss';
const SIGNATURE = { tensorOptions: [], target: 'float or integer' } as const satisfies LossSignature;

function check(
  op: string,
  args: { input: Tensor; target: Tensor | IndexTensor; gradOutput?: Tensor },
  options: SoftMarginOptions | undefined,
) {
  const c = prepare(op, SIGNATURE, args, options);
  // at::neg_out(output, input).mul_(target) is in-place on the input's shape (a torch.long target converts to its dtype).
  checkBroadcastableTo(op, 'target', c.target.shape, c.input.shape);
  const { rows, classes } = rowsAndClasses(c.input.shape);
  return Object.assign(c, { rows, classes, y: rowColOperand(c.target, c.input.shape) }); // not a spread: see binary_cross_entropy_with_logits.ts
}

type Args = ReturnType<typeof check>;

type Kernel = 'SOFT_MARGIN' | 'SOFT_MARGIN_GRAD';

function kernelCall(a: Args, op: Kernel, gradOutput: RowColOperand | null = null, minusNorm = 0): KernelCall<Kernel> {
  const flags: Flag[] = a.capability === 'default' ? ['USES_GLIBC'] : []; // float64: fdlibm's exp (else SLEEF's) in ../wasm/assembly/float64.ts
  if (a.torch.softMarginUsesLog1p) flags.push('USES_LOG1P');
  if (a.torch.sleefLog1pOverflows && a.capability !== 'default') flags.push('LOG1P_OVERFLOWS');
  return {
    op,
    input: a.input.data,
    classes: a.classes,
    operands: { target: a.y, gradOutput },
    flags,
    scalar: minusNorm,
    // Stryker disable next-line StringLiteral: '' is not 'row means', so it reads as 'elements'
    results: 'elements',
    sumLanes: a.lanes,
  };
}

/**
 * A target of the other float dtype: the forward is built in place on neg_out(output, input), so
 * the loss keeps the input's dtype, its `.mul_(target)` computing in result_type(input, target);
 * exp_, log (log1p) and the reduction stay in the input's dtype.
 */
function mixedForward(a: Args): Tensor {
  const { rows, classes, torch, capability } = a;
  const X = metaOf(a.input);
  const rX = roundingOf(X.dtype);
  const rXT = roundingOf(commonDType(X, metaOf(a.target)));
  const exp = expOp(X.dtype, capability);
  const log = logOp(X.dtype, capability);
  const x = a.input.data;
  const [y, yRowStride, yColStride] = loopOperand(a.y, 1);
  const losses = allocate(X.dtype, x.length);
  for (let row = 0, i = 0; row < rows; row++) {
    for (let col = 0; col < classes; col++, i++) {
      const e = exp(rX(-x[i]! * rXT(y[row * yRowStride + col * yColStride]!)));
      losses[i] = torch.softMarginUsesLog1p ? tensorLog1p(e, X.dtype, torch, capability, rX) : log(rX(1 + e));
    }
  }
  return applyReduction(losses, a.input.shape, a.reduction, X.dtype, sumLanes(X.dtype, torch, capability), useDType(X.dtype));
}

/**
 * soft_margin_loss_backward_out's dtypes: z = exp(-target * input) in result_type(target, input);
 * mul_out(grad_input, target, z) computes in result_type(target, z) into the input's dtype; the
 * .mul_(-norm), .div_(z.add_(1)) and .mul_(grad_output) are in place on it.
 */
function mixedBackward(op: string, a: Args, gradOutput: Tensor): Tensor {
  const { rows, classes } = a;
  const X = metaOf(a.input);
  const T = metaOf(a.target);
  // torch 1.7 (measured; 1.13 computes): mul_out(grad_input, target, z) with a float32 input and a
  // float64 target that broadcasts (a dimensioned one of another shape) asserts in cpu_kernel.
  if (
    a.torch.major === 1 &&
    a.torch.minor < 8 &&
    X.dtype === 'float32' &&
    T.dtype === 'float64' &&
    !T.zeroDim &&
    !sameShape(a.target.shape, a.input.shape)
  ) {
    throw new LossArgumentError(
      `${op}: !needs_dynamic_casting<func_t>::check(iter) INTERNAL ASSERT FAILED at "../aten/src/ATen/native/cpu/Loops.h":218, please report a bug to PyTorch. (torch 1.7: a float64 target broadcast against a float32 input)`,
    );
  }
  const Z = binaryMeta(T, X);
  const rX = roundingOf(X.dtype);
  const rZ = roundingOf(Z.dtype);
  const rTZ = roundingOf(commonDType(T, Z));
  const rXZ = roundingOf(commonDType(X, Z));
  const rXG = roundingOf(commonDType(X, metaOf(gradOutput)));
  const exp = expOp(Z.dtype, a.capability);
  const x = a.input.data;
  const go = gradOutput.data;
  const goStep = a.reduction === 'none' ? 1 : 0;
  const minusNorm = rX(a.reduction === 'mean' ? -1 / x.length : -1);
  const [y, yRowStride, yColStride] = loopOperand(a.y, 1);
  const grad = allocate(X.dtype, x.length);
  for (let row = 0, i = 0; row < rows; row++) {
    for (let col = 0; col < classes; col++, i++) {
      const yi = y[row * yRowStride + col * yColStride]!;
      const z = exp(rZ(rZ(-yi) * rZ(x[i]!)));
      const g = rX(rX(rTZ(rTZ(yi) * rTZ(z))) * minusNorm);
      grad[i] = rX(rX(g / rXZ(rZ(z + 1))) * rXG(go[i * goStep]!));
    }
  }
  return makeTensor(grad, a.input.shape, X.dtype);
}

/** A torch.long target (an IndexTensor) is converted to the input's dtype, as torch does. */
export function softMarginLoss(input: Tensor, target: Tensor | IndexTensor, options?: SoftMarginOptions): Tensor {
  const a = check(OP, { input, target }, options);
  if (mixesDTypes(input, a.target)) return mixedForward(a);
  const fast = kernelsFor(a.dtype)?.tryRun(kernelCall(a, 'SOFT_MARGIN'), a.reduction, input.shape);
  if (fast) return fast;
  const { rows, classes, dtype, capability, round: r, torch } = a;
  const x = input.data;
  const [y, yRowStride, yColStride] = loopOperand(a.y, 1);
  const usesLog1p = torch.softMarginUsesLog1p;
  const exp = expOp(dtype, capability);
  const log = logOp(dtype, capability);
  const losses = allocate(dtype, x.length);
  // Stryker disable next-line EqualityOperator: one more pass only writes past the end of a typed array (ignored) and reads undefined
  for (let row = 0, i = 0; row < rows; row++) {
    const yRow = row * yRowStride;
    for (let col = 0; col < classes; col++, i++) {
      const e = exp(r(-x[i]! * y[yRow + col * yColStride]!));
      losses[i] = usesLog1p ? tensorLog1p(e, dtype, torch, capability, r) : log(r(1 + e));
    }
  }
  return applyReduction(losses, input.shape, a.reduction, a.dtype, a.lanes, r);
}

/** d loss / d input for a gradOutput shaped like the forward output. */
export function softMarginLossBackward(
  gradOutput: Tensor,
  input: Tensor,
  target: Tensor | IndexTensor,
  options?: SoftMarginOptions,
): Tensor {
  const op = `${OP}Backward`;
  const a = check(op, { input, target, gradOutput }, options);
  checkGradOutput(op, gradOutput, a.reduction === 'none' ? input.shape : []);
  if (mixesDTypes(input, a.target)) return mixedBackward(op, a, gradOutput);
  const r = a.round;
  const x = input.data;
  const go = gradOutput.data;
  const minusNorm = r(a.reduction === 'mean' ? -1 / x.length : -1);
  const fast = kernelsFor(a.dtype)?.tryRun(
    kernelCall(a, 'SOFT_MARGIN_GRAD', gradOutputOperand(gradOutput, a.reduction, a.classes), minusNorm),
    'none',
    input.shape,
  );
  if (fast) return fast;
  const { rows, classes } = a;
  const [y, yRowStride, yColStride] = loopOperand(a.y, 1);
  const goStep = a.reduction === 'none' ? 1 : 0;
  const exp = expOp(a.dtype, a.capability);
  const grad = allocate(a.dtype, x.length);
  // Stryker disable next-line EqualityOperator: one more pass only writes past the end of a typed array (ignored) and reads undefined
  for (let row = 0, i = 0; row < rows; row++) {
    const yRow = row * yRowStride;
    for (let col = 0; col < classes; col++, i++) {
      const yi = y[yRow + col * yColStride]!;
      const z = exp(r(-yi * x[i]!));
      const g = r(r(yi * z) * minusNorm);
      grad[i] = r(r(g / r(z + 1)) * go[i * goStep]!);
    }
  }
  return makeTensor(grad, input.shape, a.dtype);
}

/** nn.SoftMarginLoss: the options fixed at construction, as torch's module. */
export const SoftMarginLoss = lossModule<SoftMarginOptions, Tensor | IndexTensor>('SoftMarginLoss', softMarginLoss, softMarginLossBackward);
export type SoftMarginLoss = InstanceType<typeof SoftMarginLoss>;
