// nn.SoftMarginLoss / F.soft_margin_loss, forward and input gradient (targets usually +-1).
//
// Mirrors aten/src/ATen/native/Loss.cpp soft_margin_loss_out, op by op (torch overflows to inf
// where exp does):
//   torch >= 2.0 (pytorch#92145):  loss = Math.log1p(Math.exp(-x * y))    (old SLEEF log1p: inf above 1e38)
//   before:                        loss = Math.log(1 + Math.exp(-x * y))
//   then apply_loss_reduction.      (y broadcasts to x's shape)
// Backward, soft_margin_loss_backward_out:
//   z = Math.exp(-y * x);  g = y * z * (-norm) / (1 + z) * grad,   norm = 1 / numel for 'mean', else 1
// where -norm is a float Scalar rounded to the dtype before it multiplies.
// float32 runs as WebAssembly SIMD (../wasm/assembly/kernels.ts, the same ops lane-wise).

import { checkBroadcastableTo, loopOperand, rowColOperand, rowsAndClasses, type RowColOperand } from '../broadcast.ts';
import { checkGradOutput, prepare, type CommonOptions, type LossSignature } from '../loss-args.ts';
import { tensorLog1p } from '../numerics.ts';
import { applyReduction, makeTensor } from '../reduction.ts';
import { allocate, type IndexTensor, type Tensor } from '../tensor.ts';
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
  const flags: Flag[] = [];
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

/** A torch.long target (an IndexTensor) is converted to the input's dtype, as torch does. */
export function softMarginLoss(input: Tensor, target: Tensor | IndexTensor, options?: SoftMarginOptions): Tensor {
  const a = check(OP, { input, target }, options);
  const fast = kernelsFor(a.dtype)?.tryRun(kernelCall(a, 'SOFT_MARGIN'), a.reduction, input.shape);
  if (fast) return fast;
  const { rows, classes, dtype, capability, round: r, torch } = a;
  const x = input.data;
  const [y, yRowStride, yColStride] = loopOperand(a.y, 1);
  const usesLog1p = torch.softMarginUsesLog1p;
  const losses = allocate(dtype, x.length);
  // Stryker disable next-line EqualityOperator: one more pass only writes past the end of a typed array (ignored) and reads undefined
  for (let row = 0, i = 0; row < rows; row++) {
    const yRow = row * yRowStride;
    for (let col = 0; col < classes; col++, i++) {
      const e = r(Math.exp(r(-x[i]! * y[yRow + col * yColStride]!)));
      losses[i] = usesLog1p ? tensorLog1p(e, dtype, torch, capability, r) : r(Math.log(r(1 + e)));
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
  const grad = allocate(a.dtype, x.length);
  // Stryker disable next-line EqualityOperator: one more pass only writes past the end of a typed array (ignored) and reads undefined
  for (let row = 0, i = 0; row < rows; row++) {
    const yRow = row * yRowStride;
    for (let col = 0; col < classes; col++, i++) {
      const yi = y[yRow + col * yColStride]!;
      const z = r(Math.exp(r(-yi * x[i]!)));
      const g = r(r(yi * z) * minusNorm);
      grad[i] = r(r(g / r(z + 1)) * go[i * goStep]!);
    }
  }
  return makeTensor(grad, input.shape, a.dtype);
}

/** nn.SoftMarginLoss: the options fixed at construction, as torch's module. */
export const SoftMarginLoss = lossModule<SoftMarginOptions, Tensor | IndexTensor>('SoftMarginLoss', softMarginLoss, softMarginLossBackward);
export type SoftMarginLoss = InstanceType<typeof SoftMarginLoss>;
