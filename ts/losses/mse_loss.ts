// nn.MSELoss / F.mse_loss, forward and input gradient.
//
// functional.py (1.7 through 2.14): warn (UserWarning) if target.size() != input.size();
// torch.broadcast_tensors(input, target) (RuntimeError "The size of tensor a (..) must match the
// size of tensor b (..) at non-singleton dimension .."); then _Reduction.get_enum(reduction) as the
// argument of torch._C._nn.mse_loss, so a bad reduction is reported after a shape error.
// Forward, aten/src/ATen/native/Loss.cpp mse_loss: a TensorIterator binary op (input and target
// promoted: an int64 target computes in the input's dtype, float32 with float64 in float64) running
// cpu/BinaryOpsKernel.cpp mse_kernel, whose scalar and vectorized lambdas round alike:
//   diff = a - t;  loss = diff * diff
// then apply_loss_reduction (ATen's cascade sum; 'mean' = sum / numel, NaN when empty).
// Backward, Loss.cpp mse_loss_backward_out with norm = 2 / numel ('mean') or 2 (a double Scalar,
// rounded to the dtype by value.to<scalar_t>()), cpu/PointwiseOpsKernel.cpp mse_backward_cpu_kernel:
//   grad = norm * (a - t) * grad_output                  ((norm * (a - t)) * g, each op rounded)
// Its TensorIterator promotes from torch 2.12 (mseLossBackwardPromotes, pytorch#175743: computes
// in the common dtype, cast to the input's); before, a target or grad_output of another dtype than
// the input raises "Found dtype Long but expected Float" (the forward ran: TORCH-FACTS).
// An input that the broadcast grew gets its gradient summed back (ExpandBackward0, ../sum-to.ts).
// weight (F.mse_loss only, torch >= 2.6, pytorch#132049): functional.py computes
// torch.pow(a - t, 2) * weight itself (pow with exponent 2 is base * base) and reduces it (none /
// sum / sum over sum(weight)); autograd: PowBackward0 is grad * (2.0 * (a - t)), see ../loss-weight.ts.
// float32 input and target of one shape, without a weight, run as WebAssembly SIMD
// (../wasm/assembly/kernels.ts MSE, MSE_GRAD: the same ops lane-wise; the sum streamed inside).
// float64 (input, target and gradOutput float64) makes the same calls in float64 form (values not
// rounded to float32), for kernelsFor('float64'): ../wasm/float64-kernels.ts, the same ops in f64x2.

import {
  checkGradOutput,
  prepare,
  sameShape,
  torchDTypeName,
  type Checked,
  type CommonOptions,
  type LossSignature,
  type Reduction,
} from '../loss-args.ts';
import { lossModule } from '../loss-module.ts';
import {
  checkWeightShape,
  gradientToInput,
  promote,
  weightOption,
  weightedForward,
  weightedGradient,
  weightedReduction,
} from '../loss-weight.ts';
import { useDType } from '../numerics.ts';
import { broadcastInputTarget, expanded, warnIfSizesDiffer } from '../pointwise-loss.ts';
import { applyReduction } from '../reduction.ts';
import {
  LossArgumentError,
  allocate,
  checkElementCount,
  dtypeOf,
  isIndexTensor,
  toFloatTensor,
  numel,
  type DType,
  type FloatArray,
  type IndexTensor,
  type Tensor,
} from '../tensor.ts';
import { kernelsFor, perElement, type Float32Kernels } from '../wasm/float32-kernels.ts';

export interface MseLossOptions extends CommonOptions {
  /** Per-element weights of the input's shape (F.mse_loss from torch 2.6; null is torch's None). */
  weight?: Tensor | null;
}

const OP = 'mseLoss';
const SIGNATURE = {
  tensorOptions: [],
  target: 'float or integer',
  options: ['weight'],
  // functional.py broadcasts input and target before _Reduction.get_enum: a shape error comes first.
  reductionDeferred: true,
} as const satisfies LossSignature;

interface Args {
  readonly c: Checked<Tensor>;
  /** The broadcast shape of input and target (the loss's shape for 'none'). */
  readonly shape: number[];
  /** input and target promoted (an int64 target takes the input's dtype): input - target's dtype. */
  readonly dtype: DType;
  /** The target as input - target reads it: an int64 target converted to `dtype`. */
  readonly target: Tensor;
  readonly weight: Tensor | null;
  readonly reduction: Reduction;
  /** The target was torch.long (converted to the input's dtype by prepare). */
  readonly integerTarget: boolean;
}

function check(
  op: string,
  args: { input: Tensor; target: Tensor | IndexTensor; gradOutput?: Tensor },
  options: MseLossOptions | undefined,
  warn: boolean,
): Args {
  const c = prepare(op, SIGNATURE, args, options);
  const weight = weightOption(op, 'mse_loss', c.extra.weight, c.torch.mseAndL1LossHaveWeight, c.torch.version);
  if (warn) warnIfSizesDiffer(c.input.shape, c.target.shape);
  const shape = broadcastInputTarget(op, c.input.shape, c.target.shape);
  checkElementCount(op, 'the broadcast of input and target', shape);
  let reduction = c.reduction;
  if (weight) {
    checkWeightShape(op, weight, c.input.shape);
    reduction = weightedReduction(op, c.reductionGiven);
  } else if (c.reductionError) {
    throw c.reductionError;
  }
  const integerTarget = isIndexTensor(args.target);
  const dtype = integerTarget ? dtypeOf(c.input) : promote(dtypeOf(c.input), dtypeOf(c.target));
  const t = integerTarget ? toFloatTensor(args.target as IndexTensor, dtype) : c.target;
  return { c, shape, dtype, target: t, weight, reduction, integerTarget };
}

/** The float32 kernels, for input and target of one shape (no broadcast) without a weight, computing in float32. */
function kernels(a: Args): Float32Kernels | null {
  return a.weight === null && sameShape(a.c.input.shape, a.target.shape) ? kernelsFor(a.dtype) : null;
}

/** diff * diff over the broadcast shape, diff = input - target, in the promoted dtype. */
function squaredErrors(a: Args): FloatArray {
  const { c, shape, dtype } = a;
  const r = useDType(dtype);
  const x = expanded(c.input, shape);
  const y = expanded(a.target, shape);
  const n = numel(shape);
  const out = allocate(dtype, n);
  for (let i = 0; i < n; i++) {
    const d = r(x[i]! - y[i]!);
    out[i] = r(d * d);
  }
  return out;
}

/** (input - target) ** 2, reduced; an int64 target is converted to the input's dtype, as torch does. */
export function mseLoss(input: Tensor, target: Tensor | IndexTensor, options?: MseLossOptions): Tensor {
  const a = check(OP, { input, target }, options, true);
  const n = numel(a.shape);
  const fast = kernels(a)?.tryRun(
    {
      op: 'MSE',
      input: a.c.input.data,
      classes: n,
      operands: { target: perElement(a.target, n) },
      flags: [],
      results: 'elements',
      sumLanes: a.c.lanes,
    },
    a.reduction,
    a.shape,
  );
  if (fast) return fast;
  const errors = squaredErrors(a);
  if (a.weight) return weightedForward(errors, a.dtype, a.shape, a.weight, a.reduction);
  return applyReduction(errors, a.shape, a.reduction, a.dtype, a.c.lanes, useDType(a.dtype));
}

/** d loss / d input for a gradOutput shaped like the forward output; the input's shape and dtype. */
export function mseLossBackward(gradOutput: Tensor, input: Tensor, target: Tensor | IndexTensor, options?: MseLossOptions): Tensor {
  const op = `${OP}Backward`;
  const a = check(op, { input, target, gradOutput }, options, false);
  const { c, shape, weight, reduction } = a;
  checkGradOutput(op, gradOutput, reduction === 'none' ? shape : []);
  const x = expanded(c.input, shape);
  const n = numel(shape);
  if (weight) {
    // PowBackward0 of (a - t) ** 2: grad * (2.0 * (a - t)), in the dtype of a - t.
    const y = expanded(a.target, shape);
    const g = weightedGradient(gradOutput, weight, shape, reduction, a.dtype);
    const r = useDType(a.dtype);
    for (let i = 0; i < n; i++) g[i] = r(g[i]! * r(2 * r(x[i]! - y[i]!)));
    return gradientToInput(g, shape, input);
  }
  const inputDType = dtypeOf(input);
  if (!c.torch.mseLossBackwardPromotes) {
    // mse_loss_backward's TensorIterator (grad_input, input, target, grad_output) wants one dtype.
    const found = a.integerTarget
      ? 'Long'
      : dtypeOf(target as Tensor) !== inputDType
        ? torchDTypeName(target)
        : dtypeOf(gradOutput) !== inputDType
          ? torchDTypeName(gradOutput)
          : null;
    if (found !== null) {
      throw new LossArgumentError(
        `${op}: torch ${c.torch.version}'s mse_loss_backward needs the target and gradOutput in the input's dtype (newer torch promotes, pytorch#175743): Found dtype ${found} but expected ${torchDTypeName(input)}`,
      );
    }
  }
  // The iterator's common dtype: input and target promoted, and grad_output where it is
  // dimensioned ('none'; a 0-d one of the same category does not raise it). The target is cast
  // to it; the result is cast to the input's dtype by the typed array.
  const goCounts = reduction === 'none' || shape.length === 0;
  const common = goCounts ? promote(a.dtype, dtypeOf(gradOutput)) : a.dtype;
  const y = expanded(a.integerTarget ? toFloatTensor(target as IndexTensor, common) : a.target, shape);
  const r = useDType(common);
  const norm = r(reduction === 'mean' ? 2 / n : 2);
  const go = gradOutput.data;
  if (common === 'float32' || (common === 'float64' && inputDType === 'float64')) {
    const g0 = common === 'float32' ? new Float32Array([go[0]!]) : new Float64Array([go[0]!]);
    const gradOperand = reduction === 'none' ? perElement(gradOutput, n) : { data: g0, rowStride: 0, colStride: 0 };
    const fast = kernels(a)?.tryRun(
      {
        op: 'MSE_GRAD',
        input: x,
        classes: n,
        operands: { target: perElement(a.target, n), gradOutput: gradOperand },
        flags: [],
        scalar: norm,
        results: 'elements',
      },
      'none',
      input.shape,
    );
    if (fast) return fast;
  }
  const grad = allocate(common, n);
  if (reduction === 'none') for (let i = 0; i < n; i++) grad[i] = r(r(norm * r(x[i]! - y[i]!)) * go[i]!);
  else {
    const g = r(go[0]!);
    for (let i = 0; i < n; i++) grad[i] = r(r(norm * r(x[i]! - y[i]!)) * g);
  }
  return gradientToInput(grad, shape, input);
}

const MseLossModule = lossModule<CommonOptions, Tensor | IndexTensor>('MSELoss', mseLoss, mseLossBackward);

/** nn.MSELoss: the options (reduction; legacy sizeAverage / reduce) fixed at construction; no weight, as torch's module. */
export class MSELoss extends MseLossModule {
  constructor(options?: ConstructorParameters<typeof MseLossModule>[0]) {
    super(options);
    if ((this.options as MseLossOptions).weight !== undefined) {
      throw new LossArgumentError(
        "MSELoss: unknown option 'weight' (torch: MSELoss.__init__() got an unexpected keyword argument 'weight')",
        'TypeError',
      );
    }
  }
}
