// nn.L1Loss / F.l1_loss, forward and input gradient.
//
// functional.py (1.7 through 2.14): warn (UserWarning) if target.size() != input.size();
// torch.broadcast_tensors(input, target) (RuntimeError "The size of tensor a (..) must match the
// size of tensor b (..) at non-singleton dimension .."); then _Reduction.get_enum(reduction) as the
// argument of torch._C._nn.l1_loss, so a bad reduction is reported after a shape error.
// Forward, aten/src/ATen/native/Loss.cpp l1_loss, in input and target promoted (an int64 target
// takes the input's dtype; float32 with float64 computes in float64):
//   loss = |a - t|        then apply_loss_reduction (ATen's cascade sum; 'mean' = sum / numel)
// Backward:
//   torch >= 1.13 (l1LossIsComposite, pytorch#79804): l1_loss is sub, abs, mean / sum, and autograd
//     runs MeanBackward0 (grad / numel) or SumBackward0, AbsBackward0 (grad * sgn(a - t), in the
//     promoted dtype), SubBackward0, then casts to the input's dtype;
//   before: Loss.cpp l1_loss_backward_out: at::sub_out(grad_input, input, target).sign_().mul_(norm),
//     norm = grad_output / numel ('mean') or grad_output: the difference is rounded to the input's
//     dtype before its sign is taken.
// sign and sgn are (0 < x) - (x < 0): 0 for -0 and NaN. An int64 target works in every release.
// An input that the broadcast grew gets its gradient summed back (ExpandBackward0, ../sum-to.ts).
// weight (F.l1_loss only, torch >= 2.6, pytorch#132049): functional.py computes
// torch.abs(a - t) * weight itself and reduces it (none / sum / sum over sum(weight)); autograd
// through it: AbsBackward0 is grad * sgn(a - t), see ../loss-weight.ts.
// float32 input, target (and grad_output) of one shape, without a weight, run as WebAssembly SIMD
// (../wasm/assembly/kernels.ts L1, L1_GRAD: the same ops lane-wise; the sum streamed inside).
// float64 (input, target and gradOutput float64) makes the same calls in float64 form (values not
// rounded to float32), for kernelsFor('float64'): ../wasm/float64-kernels.ts, the same ops in f64x2.

import { checkGradOutput, prepare, sameShape, type Checked, type CommonOptions, type LossSignature, type Reduction } from '../loss-args.ts';
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
  numel,
  toFloatTensor,
  type DType,
  type FloatArray,
  type IndexTensor,
  type Tensor,
} from '../tensor.ts';
import { kernelsFor, perElement, type Float32Kernels } from '../wasm/float32-kernels.ts';

export interface L1LossOptions extends CommonOptions {
  /** Per-element weights of the input's shape (F.l1_loss from torch 2.6; null is torch's None). */
  weight?: Tensor | null;
}

const OP = 'l1Loss';
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
}

function check(
  op: string,
  args: { input: Tensor; target: Tensor | IndexTensor; gradOutput?: Tensor },
  options: L1LossOptions | undefined,
  warn: boolean,
): Args {
  const c = prepare(op, SIGNATURE, args, options);
  const weight = weightOption(op, 'l1_loss', c.extra.weight, c.torch.mseAndL1LossHaveWeight, c.torch.version);
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
  return { c, shape, dtype, target: t, weight, reduction };
}

/** The float32 kernels, for input and target of one shape (no broadcast) without a weight, computing in float32. */
function kernels(a: Args): Float32Kernels | null {
  return a.weight === null && sameShape(a.c.input.shape, a.target.shape) ? kernelsFor(a.dtype) : null;
}

/** sign / sgn of a real: (0 < x) - (x < 0), so 0 for -0 and NaN (Math.sign gives -0 and NaN). */
function sign(x: number): number {
  return x > 0 ? 1 : x < 0 ? -1 : 0;
}

/** |input - target| over the broadcast shape, in the promoted dtype. */
function absoluteErrors(a: Args): FloatArray {
  const { c, shape, dtype } = a;
  const r = useDType(dtype);
  const x = expanded(c.input, shape);
  const y = expanded(a.target, shape);
  const n = numel(shape);
  const out = allocate(dtype, n);
  for (let i = 0; i < n; i++) out[i] = Math.abs(r(x[i]! - y[i]!));
  return out;
}

/** |input - target|, reduced; an int64 target is converted to the input's dtype, as torch does. */
export function l1Loss(input: Tensor, target: Tensor | IndexTensor, options?: L1LossOptions): Tensor {
  const a = check(OP, { input, target }, options, true);
  const n = numel(a.shape);
  const fast = kernels(a)?.tryRun(
    {
      op: 'L1',
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
  const errors = absoluteErrors(a);
  if (a.weight) return weightedForward(errors, a.dtype, a.shape, a.weight, a.reduction);
  return applyReduction(errors, a.shape, a.reduction, a.dtype, a.c.lanes, useDType(a.dtype));
}

/** d loss / d input for a gradOutput shaped like the forward output; the input's shape and dtype. */
export function l1LossBackward(gradOutput: Tensor, input: Tensor, target: Tensor | IndexTensor, options?: L1LossOptions): Tensor {
  const op = `${OP}Backward`;
  const a = check(op, { input, target, gradOutput }, options, false);
  const { c, shape, weight, reduction } = a;
  checkGradOutput(op, gradOutput, reduction === 'none' ? shape : []);
  const x = expanded(c.input, shape);
  const y = expanded(a.target, shape);
  const n = numel(shape);
  const go = gradOutput.data;
  const goStep = reduction === 'none' ? 1 : 0;
  if (weight) {
    // AbsBackward0: grad * sgn(a - t), in the dtype of a - t.
    const g = weightedGradient(gradOutput, weight, shape, reduction, a.dtype);
    const r = useDType(a.dtype);
    for (let i = 0; i < n; i++) g[i] = r(g[i]! * sign(r(x[i]! - y[i]!)));
    return gradientToInput(g, shape, input);
  }
  const goDType = dtypeOf(gradOutput);
  // 'mean': grad / numel (MeanBackward0, or l1_loss_backward's norm), a tensor op in grad_output's dtype.
  let g0 = go[0]!;
  if (reduction === 'mean') {
    const rg = useDType(goDType);
    g0 = rg(g0 / rg(n));
  }
  if (goDType === 'float32' || (goDType === 'float64' && dtypeOf(input) === 'float64')) {
    // Both branches below: sgn(a - t) (of the difference in the dtype) times grad (g0 for 'mean').
    const one = goDType === 'float32' ? new Float32Array([g0]) : new Float64Array([g0]);
    const gradOperand = reduction === 'none' ? perElement(gradOutput, n) : { data: one, rowStride: 0, colStride: 0 };
    const fast = kernels(a)?.tryRun(
      {
        op: 'L1_GRAD',
        input: x,
        classes: n,
        operands: { target: perElement(a.target, n), gradOutput: gradOperand },
        flags: [],
        results: 'elements',
      },
      'none',
      input.shape,
    );
    if (fast) return fast;
  }
  if (c.torch.l1LossIsComposite) {
    // AbsBackward0: grad * sgn(a - t) in the promoted dtype of both (exact: sgn is -1, 0 or 1);
    // the engine casts it to the input's dtype.
    const r = useDType(a.dtype);
    const grad = allocate(promote(goDType, a.dtype), n);
    if (reduction === 'mean') for (let i = 0; i < n; i++) grad[i] = g0 * sign(r(x[i]! - y[i]!));
    else for (let i = 0; i < n; i++) grad[i] = go[i * goStep]! * sign(r(x[i]! - y[i]!));
    return gradientToInput(grad, shape, input);
  }
  // l1_loss_backward: sub_out into grad_input, whose dtype (the input's) rounds the difference,
  // then sign_ and mul_(norm) (exact: sign is -1, 0 or 1; cast back to the input's dtype).
  const grad = allocate(dtypeOf(input), n);
  for (let i = 0; i < n; i++) {
    grad[i] = x[i]! - y[i]!;
    grad[i] = sign(grad[i]!) * (reduction === 'mean' ? g0 : go[i * goStep]!);
  }
  return gradientToInput(grad, shape, input);
}

const L1LossModule = lossModule<CommonOptions, Tensor | IndexTensor>('L1Loss', l1Loss, l1LossBackward);

/** nn.L1Loss: the options (reduction; legacy sizeAverage / reduce) fixed at construction; no weight, as torch's module. */
export class L1Loss extends L1LossModule {
  constructor(options?: ConstructorParameters<typeof L1LossModule>[0]) {
    super(options);
    if ((this.options as L1LossOptions).weight !== undefined) {
      throw new LossArgumentError(
        "L1Loss: unknown option 'weight' (torch: L1Loss.__init__() got an unexpected keyword argument 'weight')",
        'TypeError',
      );
    }
  }
}
