// nn.HuberLoss / F.huber_loss, forward and input gradient (torch >= 1.9, pytorch#50553); weight
// from torch 2.6 (pytorch#132049, functional.py only: nn.HuberLoss takes none).
//
// functional.py: warn if target.size() != input.size(); torch.broadcast_tensors(input, target)
// (RuntimeError on incompatible shapes); without weight, _Reduction.get_enum(reduction), the
// argument parser (delta must be a float) and ATen's TORCH_CHECK(delta > 0) (NaN fails it too).
// Forward, aten/src/ATen/native/cpu/BinaryOpsKernel.cpp huber_kernel, with d = delta in the
// computing dtype (both lambdas round alike):
//   z = |a - t|;  loss = z < d ? 0.5 * z * z : d * (z - 0.5 * d)        (each op rounded)
// The output is empty_like(input) (Loss.cpp huber_loss): a float64 target with a float32 input
// computes in float64 and rounds each loss to float32 once; then apply_loss_reduction in the
// input's dtype (ATen's cascade sum; mean = sum / numel).
// Backward, cpu/PointwiseOpsKernel.cpp huber_backward_cpu_kernel, norm = 1 / numel ('mean') or 1
// in the dtype. Its two lambdas round differently:
//   vectorized:  x = a - t;  (norm * (|x| >= d ? +-d : x)) * grad
//   scalar:      x <= -delta ? (-norm * grad) * delta : x >= delta ? (norm * grad) * delta : (norm * x) * grad
// where the scalar lambda compares with, and multiplies by, the double delta (a float32 product is
// the double one rounded); cpu_kernel_vec runs it on each inner row's tail (../pointwise-loss.ts).
// Its TensorIterator does not promote: an int64 or float64 target with a float32 input (or float32
// with float64) raises "Found dtype Long but expected Float" in the backward, every release.
// With weight (2.6+): weight.size() must equal input.size() (ValueError, before delta is checked);
// loss = huber_loss(reduction='none') * weight, then 'none' / torch.sum / .mean() checked in Python
// after computing ("Invalid reduction mode: ..."; 'elementwise_mean' is one); its backward is
// autograd's: (grad / numel for 'mean') * weight, then the kernel above with norm = 1.
// A gradient over a broadcast input is summed back to the input's shape (autograd's sum_to).
// float32 input and target of one shape without a weight run as WebAssembly SIMD
// (../wasm/assembly/kernels.ts HUBER, HUBER_GRAD: the same ops lane-wise; the backward's scalar tail in JS).
// float64 (input, target and gradOutput float64) makes the same calls in float64 form (values not
// rounded to float32), for kernelsFor('float64'): ../wasm/float64-kernels.ts, the same ops in f64x2.

import {
  checkGradOutput,
  copyOptions,
  prepare,
  releaseNamed,
  sameShape,
  torchDTypeName,
  type Checked,
  type CommonOptions,
  type LossSignature,
  type Reduction,
} from '../loss-args.ts';
import { lossModule } from '../loss-module.ts';
import { mean, round, sum, useDType } from '../numerics.ts';
import {
  broadcastInputTarget,
  elementLanes,
  expanded,
  floatArgument,
  pythonTypeName,
  scalarTail,
  sumToInput,
  warnIfSizesDiffer,
} from '../pointwise-loss.ts';
import { makeTensor } from '../reduction.ts';
import {
  LossArgumentError,
  allocate,
  dtypeOf,
  formatShape,
  isIndexTensor,
  numel,
  type DType,
  type FloatArray,
  type IndexTensor,
  type Tensor,
} from '../tensor.ts';
import { vectorLanes } from '../torch-version.ts';
import { gradOutputOperand, kernelsFor, perElement, type Float32Kernels } from '../wasm/float32-kernels.ts';

export interface HuberLossOptions extends CommonOptions {
  /** Where the loss turns from quadratic to linear; > 0, default 1. */
  delta?: number;
  /** Per-element weights of the input's shape (torch >= 2.6; F.huber_loss only). */
  weight?: Tensor;
}

const OP = 'huberLoss';
const SIGNATURE = {
  tensorOptions: ['weight'],
  target: 'float or integer',
  options: ['delta'],
  // functional.py broadcasts input and target before _Reduction.get_enum: a shape error comes first.
  reductionDeferred: true,
  // F.huber_loss has no size_average / reduce
  legacyReduction: false,
} as const satisfies LossSignature;

interface Args {
  readonly c: Checked<Tensor>;
  /** The broadcast shape of input and target. */
  readonly shape: number[];
  readonly delta: number;
  /** The dtype the kernel computes in (input and target promoted) and the loss's dtype (the input's). */
  readonly kernelDType: DType;
  readonly lossDType: DType;
  /** The target was torch.long (converted to the dtype by prepare). */
  readonly integerTarget: boolean;
  readonly weight: Tensor | null;
  /** With weight: the reduction functional.py applies itself. */
  readonly weightedReduction: Reduction;
}

function promoted(a: DType, b: DType): DType {
  return a === 'float64' || b === 'float64' ? 'float64' : 'float32';
}

/**
 * torch's result_type of the losses (over `shape`) times the weight: a 0-d weight (a 0-d input)
 * with dimensioned losses does not raise their dtype (same category), else the wider dtype.
 */
function weightedDType(lossDType: DType, weight: Tensor, shape: readonly number[]): DType {
  return weight.shape.length === 0 && shape.length > 0 ? lossDType : promoted(lossDType, dtypeOf(weight));
}

/** The weight broadcast to `shape` as the multiply reads it: cast to the op's dtype. */
function weightValues(weight: Tensor, shape: readonly number[], dtype: DType): FloatArray {
  const w = expanded(weight, shape);
  return dtype === 'float32' && !(w instanceof Float32Array) ? Float32Array.from(w) : w;
}

function check(
  op: string,
  args: { input: Tensor; target: Tensor | IndexTensor; gradOutput?: Tensor },
  options: HuberLossOptions | undefined,
  warn: boolean,
): Args {
  // Before 1.9 the lookup of F.huber_loss fails before Python binds or checks any argument.
  const copy = copyOptions(options, ['reduction', 'delta', 'weight', 'torchVersion', 'cpuCapability']);
  const named = releaseNamed(op, copy);
  const c = named && !named.huberLossExists ? null : prepare(op, SIGNATURE, args, copy);
  if (c === null || !c.torch.huberLossExists) {
    throw new LossArgumentError(
      `${op}: huber_loss was added in torch 1.9 (pytorch#50553); torch ${(c?.torch ?? named)!.version} has no F.huber_loss: module 'torch.nn.functional' has no attribute 'huber_loss'`,
      'AttributeError',
    );
  }
  const weight = c.weight;
  if (weight !== null && !c.torch.huberLossHasWeight) {
    throw new LossArgumentError(
      `${op}: weight needs torch 2.6 or later (torch ${c.torch.version}: huber_loss() got an unexpected keyword argument 'weight')`,
      'TypeError',
    );
  }
  if (warn) warnIfSizesDiffer(c.input.shape, c.target.shape);
  const shape = broadcastInputTarget(op, c.input.shape, c.target.shape);
  let weightedReduction: Reduction = 'none';
  if (weight === null) {
    if (c.reductionError) throw c.reductionError;
  } else if (weight.shape.length !== c.input.shape.length || weight.shape.some((d, i) => d !== c.input.shape[i])) {
    throw new LossArgumentError(
      `${op}: weight shape ${formatShape(weight.shape)} is not the input's ${formatShape(c.input.shape)}: Weights and input must have the same size.`,
      'ValueError',
    );
  }
  const given = c.extra.delta;
  const delta = floatArgument(op, 'huber_loss', 'delta', 4, given === undefined ? 1 : given);
  if (!(delta > 0)) {
    throw new LossArgumentError(`${op}: delta is ${delta}: huber_loss does not support non-positive values for delta.`, 'RuntimeError');
  }
  if (weight !== null) {
    // Checked after computing the weighted loss, in Python: f"Invalid reduction mode: {reduction}. ..."
    const r = c.reductionGiven === undefined ? 'mean' : c.reductionGiven;
    if (r !== 'none' && r !== 'mean' && r !== 'sum') {
      const shown = r === null ? 'None' : typeof r === 'string' ? r : String(r);
      throw new LossArgumentError(
        `${op}: reduction ${JSON.stringify(r) ?? String(r)} (a ${pythonTypeName(r)}) with weight: Invalid reduction mode: ${shown}. Expected one of 'none', 'mean', 'sum'.`,
        'ValueError',
      );
    }
    weightedReduction = r;
  }
  const lossDType = dtypeOf(c.input);
  const kernelDType = promoted(lossDType, isIndexTensor(args.target) ? lossDType : dtypeOf(args.target as Tensor));
  return { c, shape, delta, kernelDType, lossDType, integerTarget: isIndexTensor(args.target), weight, weightedReduction };
}

/** The float32 kernels, for float32 input and target of one shape (no broadcast) without a weight. */
function kernels(a: Args): Float32Kernels | null {
  return a.weight === null && a.kernelDType === a.lossDType && sameShape(a.c.input.shape, a.c.target.shape)
    ? kernelsFor(a.kernelDType)
    : null;
}

/** The per-element losses over the broadcast shape, in the loss's dtype. */
function elementLosses(a: Args): FloatArray {
  const { c, shape, delta, kernelDType, lossDType } = a;
  const n = numel(shape);
  const x = expanded(c.input, shape);
  const t = expanded(c.target, shape);
  const losses = allocate(lossDType, n); // a float32 array rounds a float64 result once, as the cast to the output
  const r = useDType(kernelDType);
  const d = r(delta);
  const half = r(0.5 * d);
  for (let i = 0; i < n; i++) {
    const z = Math.abs(r(x[i]! - t[i]!));
    losses[i] = z < d ? r(r(0.5 * z) * z) : r(d * r(z - half));
  }
  return losses;
}

/** loss = z < delta ? 0.5 * z * z : delta * (z - 0.5 * delta), z = |a - t|, per element of the broadcast shape. */
export function huberLoss(input: Tensor, target: Tensor | IndexTensor, options?: HuberLossOptions): Tensor {
  const a = check(OP, { input, target }, options, true);
  const n = numel(a.shape);
  const fast = kernels(a)?.tryRun(
    {
      op: 'HUBER',
      input: a.c.input.data,
      classes: n,
      operands: { target: perElement(a.c.target, n) },
      flags: [],
      scalar: a.kernelDType === 'float32' ? Math.fround(a.delta) : a.delta,
      results: 'elements',
      sumLanes: vectorLanes(a.kernelDType),
    },
    a.c.reduction,
    a.shape,
  );
  if (fast) return fast;
  const losses = elementLosses(a);
  const { c, shape, weight } = a;
  let dtype = a.lossDType;
  let values: FloatArray = losses;
  let reduction = c.reduction;
  if (weight !== null) {
    dtype = weightedDType(dtype, weight, shape);
    const r = useDType(dtype);
    const w = weightValues(weight, shape, dtype);
    values = allocate(dtype, losses.length);
    for (let i = 0; i < losses.length; i++) values[i] = r(losses[i]! * w[i]!);
    reduction = a.weightedReduction;
  }
  if (reduction === 'none') return makeTensor(values, shape, dtype);
  const r = useDType(dtype);
  const lanes = vectorLanes(dtype);
  return makeTensor([reduction === 'mean' ? mean(values, lanes, r) : sum(values, lanes, r)], [], dtype);
}

/** d loss / d input for a gradOutput shaped like the forward output; the input's shape and dtype. */
export function huberLossBackward(gradOutput: Tensor, input: Tensor, target: Tensor | IndexTensor, options?: HuberLossOptions): Tensor {
  const op = `${OP}Backward`;
  const a = check(op, { input, target, gradOutput }, options, false);
  const { c, shape, weight, lossDType } = a;
  const reduction = weight === null ? c.reduction : a.weightedReduction;
  checkGradOutput(op, gradOutput, reduction === 'none' ? shape : []);
  const n = numel(shape);
  let go: FloatArray = gradOutput.data;
  let goStep = reduction === 'none' ? 1 : 0;
  let norm = reduction === 'mean' ? 1 / n : 1;
  if (weight !== null) {
    // autograd through torch.sum / .mean() and `* weight`, in the weighted dtype, then cast to the loss's.
    const wd = weightedDType(lossDType, weight, shape);
    const r = useDType(wd);
    const w = weightValues(weight, shape, wd);
    const g0 = reduction === 'mean' ? r(gradOutput.data[0]! / n) : 0;
    const upstream = allocate(lossDType, n);
    for (let i = 0; i < n; i++) upstream[i] = r((reduction === 'mean' ? g0 : gradOutput.data[i * goStep]!) * w[i]!);
    go = upstream;
    goStep = 1;
    norm = 1;
  }
  // huber_loss_backward's TensorIterator (grad_input, input, target, grad_output) wants one dtype.
  const found = a.integerTarget
    ? 'Long'
    : dtypeOf(target as Tensor) !== lossDType
      ? torchDTypeName(target)
      : (go instanceof Float32Array ? 'float32' : 'float64') !== lossDType
        ? go instanceof Float32Array
          ? 'Float'
          : 'Double'
        : null;
  if (found !== null) {
    throw new LossArgumentError(
      `${op}: the target and gradOutput must have the input's dtype: Found dtype ${found} but expected ${torchDTypeName(input)}`,
    );
  }
  const r = useDType(lossDType);
  const x = expanded(c.input, shape);
  const t = expanded(c.target, shape);
  const normT = r(norm);
  const delta = a.delta;
  const d = r(delta);
  const { rowLength, vectorEnd } = scalarTail(
    shape,
    [c.input.shape, c.target.shape, goStep === 1 ? 'dense' : gradOutput.shape],
    elementLanes(lossDType, c.capability),
  );
  const fast = kernels(a)?.tryRun(
    {
      op: 'HUBER_GRAD',
      input: x,
      classes: n,
      operands: {
        target: perElement(c.target, n),
        delta: { data: lossDType === 'float32' ? new Float32Array([d]) : new Float64Array([d]), rowStride: 0, colStride: 0 },
        gradOutput: gradOutputOperand(gradOutput, reduction, n),
      },
      flags: [],
      scalar: normT,
      results: 'elements',
    },
    'none',
    input.shape,
  );
  if (fast) {
    // The scalar lambda's elements: each inner row's last rowLength - vectorEnd.
    const grad = fast.data;
    for (let start = 0; start < n; start += rowLength) {
      for (let i = start + vectorEnd; i < Math.min(n, start + rowLength); i++)
        grad[i] = scalarLambda(r(x[i]! - t[i]!), go[i * goStep]!, normT, delta);
    }
    return fast;
  }
  const grad = allocate(lossDType, n);
  for (let i = 0, col = 0; i < n; i++, col++) {
    if (col === rowLength) col = 0;
    const xi = r(x[i]! - t[i]!);
    const g = go[i * goStep]!;
    if (col < vectorEnd) {
      const out = Math.abs(xi) >= d ? (xi > 0 ? d : -d) : xi;
      grad[i] = r(r(normT * out) * g);
    } else {
      grad[i] = scalarLambda(xi, g, normT, delta);
    }
  }
  const summed = sumToInput(grad, shape, input.shape, lossDType, vectorLanes(lossDType), r);
  return makeTensor(summed, input.shape, lossDType);
}

/** huber_backward's scalar lambda (its comparisons and products with the double delta), in the dtype `round` is set to. */
function scalarLambda(xi: number, g: number, normT: number, delta: number): number {
  if (xi <= -delta) return round(round(-normT * g) * delta);
  if (xi >= delta) return round(round(normT * g) * delta);
  return round(round(normT * xi) * g);
}

const HuberLossBase = lossModule<Omit<HuberLossOptions, 'weight'>, Tensor | IndexTensor>('HuberLoss', huberLoss, huberLossBackward);

/**
 * nn.HuberLoss: reduction and delta fixed at construction. Its __init__ takes neither the legacy
 * size_average / reduce nor weight (torch: "__init__() got an unexpected keyword argument").
 */
export class HuberLoss extends HuberLossBase {
  constructor(options?: Omit<HuberLossOptions, 'weight'>) {
    if (options !== null && typeof options === 'object') {
      for (const [key, torchName] of [
        ['sizeAverage', 'size_average'],
        ['reduce', 'reduce'],
        ['weight', 'weight'],
      ] as const) {
        if ((options as Record<string, unknown>)[key] !== undefined) {
          throw new LossArgumentError(
            `HuberLoss: unknown option '${key}' (torch: HuberLoss.__init__() got an unexpected keyword argument '${torchName}')`,
            'TypeError',
          );
        }
      }
    }
    super(options);
  }
}
