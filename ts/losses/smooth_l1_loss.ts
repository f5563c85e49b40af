// nn.SmoothL1Loss / F.smooth_l1_loss, forward and input gradient; beta from torch 1.7 (pytorch#44433).
//
// functional.py: warn if target.size() != input.size(); torch.broadcast_tensors(input, target)
// (RuntimeError on incompatible shapes); _Reduction.get_enum(reduction); the argument parser
// (beta must be a float); ATen's TORCH_CHECK(beta >= 0) (pytorch#45532; NaN fails it too).
// Forward, aten/src/ATen/native/cpu/BinaryOpsKernel.cpp smooth_l1_kernel, in the dtype, with
// b = beta rounded to the dtype (scalar_t beta_val(beta)); both lambdas round alike:
//   z = |a - t|;  loss = z < b ? 0.5 * z * z / b : z - 0.5 * b      (((0.5 * z) * z) / b, each op rounded)
// then apply_loss_reduction (ATen's cascade sum; mean = sum / numel). beta == 0 gives z, as l1_loss.
// Backward, cpu/PointwiseOpsKernel.cpp smooth_l1_backward_cpu_kernel, norm = 1 / numel ('mean')
// or 1, rounded to the dtype. Its two lambdas round differently:
//   vectorized:  x = a - t;  (norm * (|x| >= b ? sign : x / b)) * grad       (sign: x > 0 ? 1 : -1)
//   scalar:      x <= -beta ? -norm * grad : x >= beta ? norm * grad : ((norm * x) * grad) / beta
// where the scalar lambda compares with, and divides by, the double beta (a float32 quotient is
// the double one rounded). cpu_kernel_vec runs the scalar one on each inner row's tail
// (../pointwise-loss.ts scalarTail: 2 * 8 float32 / 2 * 4 float64 elements per step under AVX2,
// 16 / 8 lanes under AVX-512 (from the source, not measured: this machine has no AVX-512)).
// beta == 0:
//   torch 1.7-1.12: Loss.cpp runs l1_loss_backward: sign(a - t) * (grad / numel or grad) (sign(NaN) = 0);
//   torch 1.13-2.0: the kernel above with b = 0: -norm * grad where a == t (x <= -0), NaN for NaN;
//   torch >= 2.1:   functional.py calls l1_loss (pytorch#97022): autograd of mean(|a - t|):
//                   (grad / numel or grad) * sgn(a - t).
// Dtypes: an int64 target is converted to the input's dtype; a float64 target with a float32 input
// computes in float64 and the gradient is rounded to float32 (before 1.10 the backward's
// TensorIterator raised "Found dtype Long/Double but expected Float", pytorch#61112). A gradient
// over a broadcast input is summed back to the input's shape (autograd's sum_to).
// float32 input and target of one shape run as WebAssembly SIMD (../wasm/assembly/kernels.ts
// SMOOTH_L1, SMOOTH_L1_GRAD, L1_GRAD: the same ops lane-wise; the backward's scalar tail in JS).
// float64 (input, target and gradOutput float64) makes the same calls in float64 form (values not
// rounded to float32), for kernelsFor('float64'): ../wasm/float64-kernels.ts, the same ops in f64x2.

import { checkGradOutput, prepare, sameShape, torchDTypeName, type Checked, type CommonOptions, type LossSignature } from '../loss-args.ts';
import { lossModule } from '../loss-module.ts';
import { round, useDType } from '../numerics.ts';
import {
  broadcastInputTarget,
  elementLanes,
  expanded,
  floatArgument,
  scalarTail,
  sumToInput,
  warnIfSizesDiffer,
} from '../pointwise-loss.ts';
import { applyReduction, makeTensor } from '../reduction.ts';
import {
  LossArgumentError,
  allocate,
  dtypeOf,
  isIndexTensor,
  numel,
  type DType,
  type FloatArray,
  type IndexTensor,
  type Tensor,
} from '../tensor.ts';
import { vectorLanes } from '../torch-version.ts';
import { gradOutputOperand, kernelsFor, perElement, type Flag, type Float32Kernels } from '../wasm/float32-kernels.ts';

export interface SmoothL1LossOptions extends CommonOptions {
  /** Where the loss turns from quadratic to linear; >= 0, default 1 (torch >= 1.7). */
  beta?: number;
}

const OP = 'smoothL1Loss';
const SIGNATURE = {
  tensorOptions: [],
  target: 'float or integer',
  options: ['beta'],
  // functional.py broadcasts input and target before _Reduction.get_enum: a shape error comes first.
  reductionDeferred: true,
} as const satisfies LossSignature;

/** How the release computes beta == 0 (and any other beta: 'kernel'). */
type Path = 'kernel' | 'l1_loss_backward' | 'l1_loss';

interface Args {
  readonly c: Checked<Tensor>;
  /** The broadcast shape of input and target (the loss's shape for 'none'). */
  readonly shape: number[];
  readonly beta: number;
  readonly path: Path;
  /** The target was torch.long (converted to the dtype by prepare). */
  readonly integerTarget: boolean;
}

function check(
  op: string,
  args: { input: Tensor; target: Tensor | IndexTensor; gradOutput?: Tensor },
  options: SmoothL1LossOptions | undefined,
  warn: boolean,
): Args {
  const c = prepare(op, SIGNATURE, args, options);
  const given = c.extra.beta;
  if (given !== undefined && !c.torch.smoothL1HasBeta) {
    throw new LossArgumentError(
      `${op}: beta needs torch 1.7 or later (torch ${c.torch.version}: smooth_l1_loss() got an unexpected keyword argument 'beta')`,
      'TypeError',
    );
  }
  if (warn) warnIfSizesDiffer(c.input.shape, c.target.shape);
  const shape = broadcastInputTarget(op, c.input.shape, c.target.shape);
  if (c.reductionError) throw c.reductionError;
  const beta = given === undefined ? 1 : given;
  const callsL1Loss = c.torch.smoothL1ZeroBetaCallsL1Loss && beta === 0; // functional.py: `if beta == 0.0` (-0.0 too)
  if (!callsL1Loss) {
    const b = floatArgument(op, 'smooth_l1_loss', 'beta', 4, beta);
    if (!(b >= 0)) {
      throw new LossArgumentError(`${op}: beta is ${b}: smooth_l1_loss does not support negative values for beta.`, 'RuntimeError');
    }
  }
  const b = Number(beta);
  const path: Path = callsL1Loss ? 'l1_loss' : b === 0 && c.torch.smoothL1ZeroBetaIsL1InAten ? 'l1_loss_backward' : 'kernel';
  return { c, shape, beta: b, path, integerTarget: isIndexTensor(args.target) };
}

/** The float32 kernels, for input and target of one shape (no broadcast) computing in float32. */
function kernels(c: Checked<Tensor>): Float32Kernels | null {
  return sameShape(c.input.shape, c.target.shape) ? kernelsFor(c.dtype) : null;
}

/** The kernels' flags for beta: BETA_ONE where beta (in the dtype) is 1, whose divisions leave every value as it is. */
function betaFlags(beta: number, dtype: DType): Flag[] {
  return (dtype === 'float32' ? Math.fround(beta) : beta) === 1 ? ['BETA_ONE'] : [];
}

/** loss = z < b ? 0.5 * z * z / b : z - 0.5 * b, z = |a - t|, per element of the broadcast shape. */
export function smoothL1Loss(input: Tensor, target: Tensor | IndexTensor, options?: SmoothL1LossOptions): Tensor {
  const { c, shape, beta } = check(OP, { input, target }, options, true);
  const n = numel(shape);
  const fast = kernels(c)?.tryRun(
    {
      op: 'SMOOTH_L1',
      input: c.input.data,
      classes: n,
      operands: { target: perElement(c.target, n) },
      flags: betaFlags(beta, c.dtype),
      scalar: c.dtype === 'float32' ? Math.fround(beta) : beta,
      results: 'elements',
      sumLanes: c.lanes,
    },
    c.reduction,
    shape,
  );
  if (fast) return fast;
  const r = useDType(c.dtype);
  const a = expanded(c.input, shape);
  const t = expanded(c.target, shape);
  const losses = allocate(c.dtype, n);
  // beta 0 (the l1_loss paths): z - 0.5 * 0 is z, as |a - t|.
  const b = r(beta);
  const half = r(0.5 * b);
  for (let i = 0; i < n; i++) {
    const z = Math.abs(r(a[i]! - t[i]!));
    losses[i] = z < b ? r(r(r(0.5 * z) * z) / b) : r(z - half);
  }
  return applyReduction(losses, shape, c.reduction, c.dtype, c.lanes, r);
}

/** d loss / d input for a gradOutput shaped like the forward output; the input's shape and dtype. */
export function smoothL1LossBackward(
  gradOutput: Tensor,
  input: Tensor,
  target: Tensor | IndexTensor,
  options?: SmoothL1LossOptions,
): Tensor {
  const op = `${OP}Backward`;
  const a = check(op, { input, target, gradOutput }, options, false);
  const { c, shape, path } = a;
  checkGradOutput(op, gradOutput, c.reduction === 'none' ? shape : []);
  const inputDType = dtypeOf(input);
  if (path === 'kernel' && !c.torch.smoothL1BackwardPromotes) {
    // The backward's TensorIterator (output grad_input, input, target, grad_output) wants one dtype.
    const found = a.integerTarget
      ? 'Long'
      : dtypeOf(target as Tensor) !== inputDType
        ? torchDTypeName(target)
        : dtypeOf(gradOutput) !== inputDType
          ? torchDTypeName(gradOutput)
          : null;
    if (found !== null) {
      throw new LossArgumentError(
        `${op}: the target's dtype must be the input's in torch ${c.torch.version}: Found dtype ${found} but expected ${torchDTypeName(input)}`,
      );
    }
  }
  const fast = kernels(c) && c.dtype === inputDType ? kernelGradient(a, gradOutput) : null;
  if (fast) return fast;
  const grad = gradient(a, gradOutput);
  // The gradient is computed in the common dtype and cast to the input's, then summed back to its shape.
  const r = useDType(inputDType);
  if (inputDType !== c.dtype) for (let i = 0; i < grad.length; i++) grad[i] = r(grad[i]!);
  const lanes = vectorLanes(inputDType);
  const summed = sumToInput(grad, shape, input.shape, inputDType, lanes, r);
  return makeTensor(summed, input.shape, inputDType);
}

/** The gradient by the float32 kernels (input, target and gradOutput float32, of one shape), or null. */
function kernelGradient(args: Args, gradOutput: Tensor): Tensor | null {
  const { c, shape, beta, path } = args;
  const k = kernelsFor(c.dtype)!;
  const r = useDType(c.dtype);
  const scalarOf = (v: number) => ({
    data: c.dtype === 'float32' ? new Float32Array([v]) : new Float64Array([v]),
    rowStride: 0,
    colStride: 0,
  });
  const n = numel(shape);
  const target = perElement(c.target, n);
  if (path !== 'kernel') {
    const go = gradOutput.data;
    const g = c.reduction === 'mean' ? scalarOf(go[0]! / n) : gradOutputOperand(gradOutput, c.reduction, n);
    return k.tryRun(
      { op: 'L1_GRAD', input: c.input.data, classes: n, operands: { target, gradOutput: g }, flags: [], results: 'elements' },
      'none',
      shape,
    );
  }
  const norm = r(c.reduction === 'mean' ? 1 / n : 1);
  const out = k.tryRun(
    {
      op: 'SMOOTH_L1_GRAD',
      input: c.input.data,
      classes: n,
      operands: {
        target,
        beta: scalarOf(beta),
        gradOutput: gradOutputOperand(gradOutput, c.reduction, n),
      },
      flags: betaFlags(beta, c.dtype),
      scalar: norm,
      results: 'elements',
    },
    'none',
    shape,
  );
  if (!out) return null;
  // The scalar lambda's elements: each inner row's last rowLength - vectorEnd.
  const { rowLength, vectorEnd } = kernelLayout(args, gradOutput);
  const [a, t, go, grad] = [c.input.data, c.target.data, gradOutput.data, out.data];
  const goStep = c.reduction === 'none' ? 1 : 0;
  useDType(c.dtype);
  for (let start = 0; start < n; start += rowLength) {
    for (let i = start + vectorEnd; i < Math.min(n, start + rowLength); i++)
      grad[i] = scalarLambda(r(a[i]! - t[i]!), go[i * goStep]!, norm, beta);
  }
  return out;
}

/** smooth_l1_backward's scalar lambda (its comparisons and division with the double beta). */
function scalarLambda(x: number, g: number, norm: number, beta: number): number {
  if (x <= -beta) return round(-norm * g);
  if (x >= beta) return round(norm * g);
  return round(round(round(norm * x) * g) / beta);
}

/** The gradient over the broadcast shape, in the op's dtype (a float64 array for a float32 input promoted). */
function gradient(args: Args, gradOutput: Tensor): FloatArray {
  const { c, shape, beta, path } = args;
  const r = useDType(c.dtype);
  const n = numel(shape);
  const a = expanded(c.input, shape);
  const t = expanded(c.target, shape);
  const go = gradOutput.data;
  const goStep = c.reduction === 'none' ? 1 : 0;
  const grad: FloatArray = c.dtype === dtypeOf(c.input) ? allocate(c.dtype, n) : new Float64Array(n);
  if (path !== 'kernel') {
    // sign(a - t) times grad / numel ('mean') or grad: l1_loss_backward (1.7-1.12) and autograd of l1_loss (>= 2.1) agree.
    const g0 = c.reduction === 'mean' ? r(go[0]! / n) : 0;
    for (let i = 0; i < n; i++) {
      const x = r(a[i]! - t[i]!);
      const s = x > 0 ? 1 : x < 0 ? -1 : 0; // sign(NaN) = 0
      grad[i] = r(s * (c.reduction === 'mean' ? g0 : go[i * goStep]!));
    }
    return grad;
  }
  const norm = r(c.reduction === 'mean' ? 1 / n : 1);
  const b = r(beta);
  const { rowLength, vectorEnd } = kernelLayout(args, gradOutput);
  for (let i = 0, col = 0; i < n; i++, col++) {
    if (col === rowLength) col = 0;
    const x = r(a[i]! - t[i]!);
    const g = go[i * goStep]!;
    if (col < vectorEnd) {
      const out = Math.abs(x) >= b ? (x > 0 ? 1 : -1) : r(x / b);
      grad[i] = r(r(norm * out) * g);
    } else {
      grad[i] = scalarLambda(x, g, norm, beta);
    }
  }
  return grad;
}

/** The backward TensorIterator's inner rows (output, input, target, grad_output); converted operands are dense. */
function kernelLayout(args: Args, gradOutput: Tensor): { rowLength: number; vectorEnd: number } {
  const { c, shape } = args;
  const converted = (t: Tensor | IndexTensor, isInteger: boolean) => isInteger || dtypeOf(t as Tensor) !== c.dtype;
  const operand = (t: Tensor, isInteger: boolean) => (converted(t, isInteger) ? ('dense' as const) : t.shape);
  return scalarTail(
    shape,
    [operand(c.input, false), operand(c.target, args.integerTarget), c.reduction === 'none' ? 'dense' : gradOutput.shape],
    elementLanes(c.dtype, c.capability),
  );
}

/** nn.SmoothL1Loss: the options (reduction, beta; legacy sizeAverage / reduce) fixed at construction. */
export const SmoothL1Loss = lossModule<SmoothL1LossOptions, Tensor | IndexTensor>('SmoothL1Loss', smoothL1Loss, smoothL1LossBackward);
export type SmoothL1Loss = InstanceType<typeof SmoothL1Loss>;
