// nn.CrossEntropyLoss / F.cross_entropy, forward and input gradient.
//
// torch < 1.10: torch/nn/functional.py cross_entropy = nll_loss(log_softmax(input, 1), target, ...).
// torch >= 1.10: aten/src/ATen/native/LossNLL.cpp cross_entropy_loss (pytorch#61044, #63122), with
// class_dim = 1, or 0 for a (C) input (pytorch#71055 class indices 1.11, #77653 probabilities 1.12):
//   target shaped like input (class probabilities, cross_entropy_loss_prob_target):
//     p = log_softmax(input, class_dim);  t = ls > 0 ? target * (1 - ls) + ls / C : target
//     'none': -(p * t [* w]).sum(class_dim);  'sum': -(p * t [* w]).sum();
//     'mean': -(p * t [* w]).sum() / (numel / C)   (NaN for an empty input)
//   class indices with label_smoothing ls > 0 (cross_entropy_loss_label_smoothing):
//     p = log_softmax(input, class_dim);  nll = nll_loss_nd(p, target, weight, reduction, ignore_index)
//     smooth = -(p [* w]).sum(class_dim), 0 where target == ignore_index; ret = smooth ('none'),
//     smooth.sum() ('sum'), for 'mean' smooth.sum() / (weights of the kept targets).sum() with a
//     weight, else smooth.sum() / (kept targets).count  (torch >= 2.0; before: see SmoothingMean)
//     loss = (1 - ls) * nll + ret * (ls / C)
//   otherwise: nll_loss_nd(log_softmax(input, class_dim), target, weight, reduction, ignore_index)
// Every tensor op rounds to the dtype (scalars like 1 - ls and ls / C are rounded to float32 first,
// as ATen's CPU scalar operands); sums are ATen's cascade sums (../sum-to.ts, ../numerics.ts);
// log_softmax and its backward are ../softmax.ts (lane order, SLEEF or glibc exp/log per
// cpuCapability); nll_loss_nd is ./nll_loss.ts.
// Backward: autograd through the same graph: the nll branch's nll_loss_backward(grad * (1 - ls)),
// the smoothing branch's (grad * (ls / C)) [/ divisor], masked, negated, expanded [* w], their sum
// into log_softmax_backward; probabilities: -(grad / divisor) * w * t.

import { atenSumTo } from '../sum-to.ts';
import { checkGradOutput, prepare, sameShape, type CommonOptions, type LossSignature, type Reduction } from '../loss-args.ts';
import { sum as atenSum, type Round } from '../numerics.ts';
import { makeTensor } from '../reduction.ts';
import {
  logSoftmax,
  logSoftmaxAt,
  logSoftmaxBackward,
  logSoftmaxBackwardOfInput,
  logSoftmaxNllBackward,
  logSoftmaxNllBackwardRuns,
  softmaxKernel,
} from '../softmax.ts';
import {
  LossArgumentError,
  allocate,
  dtypeOf,
  formatShape,
  isIndexTensor,
  type DType,
  type FloatArray,
  type IndexTensor,
  type Tensor,
} from '../tensor.ts';
import { sumLanes, type CpuCapability, type TorchRelease } from '../torch-version.ts';
import { lossModule } from '../loss-module.ts';
import { DEFAULT_IGNORE_INDEX, nllLossCore, nllLossCoreBackward, nllLossCoreBackwardAtRows, parseIgnoreIndex } from './nll_loss.ts';

export interface CrossEntropyOptions extends CommonOptions {
  /** A (C) float tensor of the input's dtype: each class's weight. */
  weight?: Tensor | null;
  /** A class-index target equal to it adds nothing (any int64; default -100). Must be negative with probability targets. */
  ignoreIndex?: number;
  /** Mixes the target with the uniform distribution: (1 - ls) * target + ls / C (torch >= 1.10; 0 <= ls <= 1). */
  labelSmoothing?: number;
}

const OP = 'crossEntropyLoss';
const SIGNATURE = {
  tensorOptions: ['weight'],
  target: 'class indices',
  options: ['ignoreIndex', 'labelSmoothing'],
  reductionDeferred: true,
} as const satisfies LossSignature;

const ident: Round = (x) => x;
const rounder = (dtype: DType): Round => (dtype === 'float32' ? Math.fround : ident);

/** A double as C++'s ostream << prints it (%g, 6 significant digits): torch's messages. */
function cppDouble(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const exp = Math.floor(Math.log10(Math.abs(Number(x.toPrecision(6)))));
  if (exp < -5 || exp >= 6) {
    const [m, e] = x.toExponential(5).split('e') as [string, string];
    const mant = m.replace(/\.?0+$/, '');
    const n = Number(e);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  return x
    .toPrecision(6)
    .replace(/(\.\d*?)0+$/, '$1')
    .replace(/\.$/, '');
}

/** Python's type name of a JS value, as the argument parser's TypeError names it. */
function pythonTypeName(value: unknown): string {
  if (value === null) return 'NoneType';
  if (typeof value === 'string') return 'str';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

/** Where the input's classes are: (outer, C, inner) around class_dim, and whether it is the last dim. */
interface Layout {
  readonly classDim: number;
  readonly outer: number;
  readonly classes: number;
  readonly inner: number;
  readonly lastDim: boolean;
  /** The shape without the class dim (the 'none' output of the probability path). */
  readonly reducedShape: readonly number[];
}

function layoutOf(shape: readonly number[]): Layout {
  const classDim = shape.length === 1 ? 0 : 1;
  const outer = classDim === 0 ? 1 : shape[0]!;
  const classes = shape[classDim]!;
  let inner = 1;
  const reducedShape: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (i > classDim) inner *= shape[i]!;
    if (i !== classDim) reducedShape.push(shape[i]!);
  }
  return { classDim, outer, classes, inner, lastDim: classDim === shape.length - 1, reducedShape };
}

/** torch's label_smoothing range check (a module function: no closure made per call). */
function checkSmoothingRange(op: string, ls: number): void {
  if (!(ls <= 1)) {
    throw new LossArgumentError(`${op}: label_smoothing must be between 0.0 and 1.0. Got: ${cppDouble(ls)}`, 'RuntimeError');
  }
}

/** "Dimension out of range" for log_softmax(input, 1) / input.size(1) of a 0-d or (C) input. */
function dimensionError(op: string, rank: number): LossArgumentError {
  const lo = rank === 0 ? -1 : -rank;
  const hi = rank === 0 ? 0 : rank - 1;
  return new LossArgumentError(
    `${op}: the input needs a class dimension 1 (torch: Dimension out of range (expected to be in range of [${lo}, ${hi}], but got 1))`,
    'IndexError',
  );
}

type Path = 'probabilities' | 'smoothing' | 'indices';

interface Checked {
  readonly op: string;
  readonly input: Tensor;
  readonly target: Tensor | IndexTensor;
  readonly weight: Tensor | null;
  readonly reduction: Reduction;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  readonly torch: TorchRelease;
  readonly capability: CpuCapability;
  readonly path: Path;
  readonly layout: Layout;
  /** For nll_loss_nd: the prepared call and the argument error it raises in its own order (before 1.10). */
  readonly prepared: Parameters<typeof nllLossCore>[6];
  readonly deferred: LossArgumentError | null;
}

/** Every check, in torch's order (Python binding, functional.py, then ATen's cross_entropy_loss). */
function check(
  op: string,
  args: { input: Tensor; target: Tensor | IndexTensor; gradOutput?: Tensor },
  options: CrossEntropyOptions | undefined,
): Checked {
  const c = prepare(op, SIGNATURE, args, options);
  const torch = c.torch;
  const givenSmoothing = c.extra.labelSmoothing;
  if (givenSmoothing !== undefined && !torch.crossEntropyHasLabelSmoothing) {
    throw new LossArgumentError(
      `${op}: labelSmoothing needs torch >= 1.10 (torch ${torch.version}: cross_entropy() got an unexpected keyword argument 'label_smoothing')`,
      'TypeError',
    );
  }
  const input = c.input;
  const target = c.target;
  const rank = input.shape.length;
  const aten = torch.crossEntropyProbabilityTargets; // torch >= 1.10: torch._C._nn.cross_entropy_loss
  const fn = aten ? 'cross_entropy_loss' : rank === 4 ? 'nll_loss2d' : 'nll_loss';
  const ignore = parseIgnoreIndex(op, c.extra.ignoreIndex, torch, torch.nllLossNdInAten && !aten ? 'nll_loss_nd' : fn);
  const ignoreIndex = ignore instanceof LossArgumentError ? DEFAULT_IGNORE_INDEX : ignore;
  const base: CheckedBase = {
    op,
    input,
    target,
    weight: c.weight,
    reduction: c.reduction,
    ignoreIndex,
    torch,
    capability: c.capability,
    prepared: c,
  };
  if (!aten) {
    // functional.py: log_softmax(input, 1) runs first; nll_loss then checks (and reads reduction and ignore_index) in its own order.
    if (rank < 2) throw dimensionError(op, rank);
    return checked(base, 0, 'indices', layoutOf(input.shape), c.reductionError ?? (ignore instanceof LossArgumentError ? ignore : null));
  }
  // _Reduction.get_enum(reduction) in Python, then the argument parser (ignore_index, label_smoothing).
  if (c.reductionError) throw c.reductionError;
  if (ignore instanceof LossArgumentError) throw ignore;
  let ls = 0;
  if (givenSmoothing !== undefined) {
    if (typeof givenSmoothing === 'boolean') ls = givenSmoothing ? 1 : 0;
    else if (typeof givenSmoothing === 'number') ls = givenSmoothing;
    else {
      throw new LossArgumentError(
        `${op}: labelSmoothing must be a number (torch: cross_entropy_loss(): argument 'label_smoothing' (position 6) must be float, not ${pythonTypeName(givenSmoothing)})`,
        'TypeError',
      );
    }
  }
  const sameSizes = sameShape(input.shape, target.shape);
  if (sameSizes) {
    if (isIndexTensor(target)) {
      throw new LossArgumentError(
        `${op}: a target shaped like the input holds class probabilities (torch: Expected floating point type for target with class probabilities, got Long)`,
      );
    }
    if (ignoreIndex >= 0) {
      throw new LossArgumentError(
        `${op}: ignoreIndex ${ignoreIndex} with probability targets (torch: ignore_index is not supported for floating point target)`,
      );
    }
    if (rank === 0) {
      // input.size(class_dim = 1) of a 0-d tensor
      throw new LossArgumentError(
        `${op}: the input needs a class dimension 1 (torch: Dimension specified as 1 but tensor has no dimensions)`,
        'IndexError',
      );
    }
    if (rank === 1 && !torch.crossEntropyNoBatchDimProbTargets) throw dimensionError(op, rank);
    const layout = layoutOf(input.shape);
    const w = c.weight;
    if (w !== null && !(w.shape.length === 1 && w.data.length === layout.classes)) {
      throw new LossArgumentError(
        `${op}: cross_entropy: weight tensor should be defined either for all ${layout.classes} classes or no classes but got weight tensor of shape: ${formatShape(w.shape)}`,
      );
    }
    if (ls > 0) checkSmoothingRange(op, ls);
    return checked(base, ls, 'probabilities', layout, null);
  }
  if (ls > 0) checkSmoothingRange(op, ls);
  if (rank === 0 || (rank === 1 && !torch.crossEntropyAcceptsNoBatchDim)) throw dimensionError(op, rank);
  return checked(base, ls, ls > 0 ? 'smoothing' : 'indices', layoutOf(input.shape), null);
}

type CheckedBase = Omit<Checked, 'labelSmoothing' | 'path' | 'layout' | 'deferred'>;

/** base and the rest as one Checked, written out: an object spread here cost ~2 us a call (V8 20, measured at 1e3 elements). */
function checked(base: CheckedBase, labelSmoothing: number, path: Path, layout: Layout, deferred: LossArgumentError | null): Checked {
  const { op, input, target, weight, reduction, ignoreIndex, torch, capability, prepared } = base;
  return { op, input, target, weight, reduction, ignoreIndex, labelSmoothing, torch, capability, path, layout, prepared, deferred };
}

/** log_softmax(input, class_dim) as the release and CPU capability compute it. */
function logProbs(a: Checked): Tensor {
  const { input, layout: l } = a;
  const k = softmaxKernel(dtypeOf(input), a.torch, a.capability);
  return makeTensor(logSoftmax(input.data, l.outer, l.classes, l.inner, l.lastDim, k), input.shape, dtypeOf(input));
}

/**
 * log_softmax(input, class_dim) for class-index targets, where the float32 or float64 kernels run:
 * each row's log-probability at its target (row r's at r; a row without one, 0), all that nll_loss
 * reads (nllLossCore's `picked`); else null (then logProbs).
 */
function logProbsAtTargets(a: Checked): FloatArray | null {
  const { input, layout: l, target } = a;
  if (!isIndexTensor(target) || !l.lastDim || target.data.length !== l.outer) return null;
  const into = input.data instanceof Float64Array ? new Float64Array(l.outer) : new Float32Array(l.outer);
  const k = softmaxKernel(dtypeOf(input), a.torch, a.capability);
  return logSoftmaxAt(input.data, l.outer, l.classes, l.lastDim, k, target.data, into) ? into : null;
}

/** Tensor.sum(class_dim) of a contiguous tensor shaped like the input. */
function sumClasses(values: ArrayLike<number>, shape: readonly number[], l: Layout, dtype: DType, lanes: number, r: Round): FloatArray {
  const keep = shape.map((d, i) => (i === l.classDim ? 1 : d));
  return atenSumTo(values, shape, keep, dtype, lanes, r);
}

// --- class probabilities -------------------------------------------------------------------------

interface ProbabilityTerms {
  readonly dtype: DType;
  /** The dtype of p * t (before the weight). */
  readonly ptDtype: DType;
  /** The target after label smoothing, in the target's dtype. */
  readonly t: FloatArray;
  /** (p * t) [* w], in the promoted dtype. */
  readonly products: FloatArray;
  /** numel / C, what 'mean' divides by. */
  readonly divisor: number;
}

function probabilityTerms(a: Checked, p: Tensor): ProbabilityTerms {
  const target = a.target as Tensor;
  const tDtype = dtypeOf(target);
  // torch's type promotion, op by op: p * t, then * w
  const ptDtype: DType = dtypeOf(p) === 'float64' || tDtype === 'float64' ? 'float64' : 'float32';
  const dtype: DType = ptDtype === 'float64' || (a.weight !== null && dtypeOf(a.weight) === 'float64') ? 'float64' : 'float32';
  const r = rounder(dtype);
  const rpt = rounder(ptDtype);
  const rt = rounder(tDtype);
  const C = a.layout.classes;
  const ls = a.labelSmoothing;
  let t: FloatArray = target.data;
  if (ls > 0) {
    const keep = rt(1 - ls);
    const add = rt(ls / C);
    t = allocate(tDtype, target.data.length);
    for (let i = 0; i < t.length; i++) t[i] = rt(rt(target.data[i]! * keep) + add);
  }
  const products = allocate(dtype, p.data.length);
  const x = p.data;
  const w = a.weight?.data ?? null;
  const { inner } = a.layout;
  for (let i = 0; i < products.length; i++) {
    const v = rpt(x[i]! * t[i]!);
    products[i] = w === null ? v : r(v * w[Math.floor(i / inner) % C]!);
  }
  return { dtype, ptDtype, t, products, divisor: C === 0 ? 0 : p.data.length / C };
}

function probabilityLoss(a: Checked): Tensor {
  const p = logProbs(a);
  const { dtype, products, divisor } = probabilityTerms(a, p);
  const r = rounder(dtype);
  if (a.reduction === 'none') {
    const s = sumClasses(products, a.input.shape, a.layout, dtype, sumLanes(dtype, a.torch, a.capability), r);
    for (let i = 0; i < s.length; i++) s[i] = -s[i]!;
    return makeTensor(s, a.layout.reducedShape, dtype);
  }
  const s = -atenSum(products, sumLanes(dtype, a.torch, a.capability), r);
  if (a.reduction === 'sum') return makeTensor([s], [], dtype);
  return makeTensor([products.length === 0 ? NaN : r(s / divisor)], [], dtype);
}

function probabilityBackward(a: Checked, gradOutput: Tensor): Tensor {
  const p = logProbs(a);
  const { dtype, ptDtype, t, divisor } = probabilityTerms(a, p);
  const r = rounder(dtype);
  const rpt = rounder(ptDtype); // autograd casts each gradient to its tensor's dtype
  const go = gradOutput.data;
  const n = p.data.length;
  const { classes: C, inner } = a.layout;
  const w = a.weight?.data ?? null;
  const gp = allocate(dtypeOf(p), n); // the gradient reaching log_softmax's output, in its dtype
  const g0 = a.reduction === 'mean' ? -r(go[0]! / divisor) : a.reduction === 'sum' ? -go[0]! : 0;
  for (let i = 0; i < n; i++) {
    let g = g0;
    if (a.reduction === 'none') {
      const outerIdx = Math.floor(i / (C * inner));
      g = -go[outerIdx * inner + (i % inner)]!;
    }
    if (w !== null) g = rpt(r(g * w[Math.floor(i / inner) % C]!));
    gp[i] = rpt(g * t[i]!);
  }
  return softmaxBackward(a, gp, p);
}

// --- class indices with label smoothing ----------------------------------------------------------

interface SmoothingTerms {
  readonly dtype: DType;
  /** -(p [* w]).sum(class_dim), 0 where the target is ignored (when the release masks it). */
  readonly smooth: FloatArray;
  readonly ignored: Uint8Array;
  /** What 'mean' divides the smoothing sum by, and the sum it divides. */
  readonly divisor: number;
  readonly meanSum: number;
}

/**
 * smooth_loss.masked_fill_(target == ignore_index, 0) in place: a (C) input's smooth_loss is 0-d,
 * so a (1) target (which nll_loss_nd takes from torch 2.10, nllLoss1dTargetMustBeSize1) cannot
 * broadcast into it. Before 2.10 nll_loss_nd rejected that target first.
 */
function checkSmoothingMask(a: Checked): void {
  if (a.input.shape.length === 1 && a.target.shape.length === 1) {
    throw new LossArgumentError(
      `${a.op}: a (C) input takes a 0-d target with label smoothing (torch: output with shape [] doesn't match the broadcast shape ${formatShape(a.target.shape)})`,
    );
  }
}

function smoothingTerms(a: Checked, p: Tensor): SmoothingTerms {
  checkSmoothingMask(a);
  const dtype = dtypeOf(p);
  const r = rounder(dtype);
  const labels = a.target.data;
  const { classes: C, inner } = a.layout;
  const w = a.weight?.data ?? null;
  let weighted: ArrayLike<number> = p.data;
  if (w !== null) {
    const pw = allocate(dtype, p.data.length);
    for (let i = 0; i < pw.length; i++) pw[i] = r(p.data[i]! * w[Math.floor(i / inner) % C]!);
    weighted = pw;
  }
  const smooth = sumClasses(weighted, a.input.shape, a.layout, dtype, sumLanes(dtype, a.torch, a.capability), r);
  const ignored = new Uint8Array(smooth.length);
  const masks = a.torch.crossEntropySmoothingExcludesIgnored || a.ignoreIndex >= 0;
  for (let i = 0; i < smooth.length; i++) {
    smooth[i] = -smooth[i]!;
    if (labels[i] === a.ignoreIndex) {
      ignored[i] = 1;
      if (masks) smooth[i] = 0;
    }
  }
  let divisor = smooth.length;
  let meanSum = 0;
  if (a.reduction === 'mean') {
    if (w !== null) {
      // weight.gather(0, target[kept].flatten()).sum() (before 1.11: every target)
      const kept: number[] = [];
      for (let i = 0; i < smooth.length; i++) {
        if (ignored[i] && a.torch.crossEntropySmoothingGathersKeptWeights) continue;
        const t = labels[i]!;
        if (t < 0 || t >= C) {
          throw new LossArgumentError(
            `${a.op}: index ${t} is out of bounds for dimension 0 with size ${C} (weight.gather of the ignored targets, torch 1.10)`,
          );
        }
        kept.push(w[t]!);
      }
      divisor = atenSum(kept, sumLanes(dtype, a.torch, a.capability), r);
      meanSum = atenSum(smooth, sumLanes(dtype, a.torch, a.capability), r);
    } else if (a.torch.crossEntropySmoothingExcludesIgnored) {
      divisor = smooth.length - ignored.reduce((s, v) => s + v, 0);
      if (a.torch.crossEntropySmoothingMaskedFill) {
        meanSum = atenSum(smooth, sumLanes(dtype, a.torch, a.capability), r);
      } else {
        // smooth.masked_select(~ignored).mean()
        const kept = allocate(dtype, divisor);
        for (let i = 0, k = 0; i < smooth.length; i++) if (!ignored[i]) kept[k++] = smooth[i]!;
        meanSum = atenSum(kept, sumLanes(dtype, a.torch, a.capability), r);
      }
    } else {
      meanSum = atenSum(smooth, sumLanes(dtype, a.torch, a.capability), r); // smooth.mean()
    }
  }
  return { dtype, smooth, ignored, divisor, meanSum };
}

function smoothingLoss(a: Checked): Tensor {
  const p = logProbs(a);
  const nll = nllLossCore(a.op, p, a.target, a.weight, a.ignoreIndex, a.reduction, a.prepared);
  const { dtype, smooth, divisor, meanSum } = smoothingTerms(a, p);
  const r = rounder(dtype);
  const keep = r(1 - a.labelSmoothing);
  const spread = r(a.labelSmoothing / a.layout.classes);
  if (a.reduction === 'none') {
    const out = allocate(dtype, smooth.length);
    for (let i = 0; i < out.length; i++) out[i] = r(r(nll.data[i]! * keep) + r(smooth[i]! * spread));
    return makeTensor(out, nll.shape, dtype);
  }
  const ret = a.reduction === 'sum' ? atenSum(smooth, sumLanes(dtype, a.torch, a.capability), r) : r(meanSum / divisor);
  return makeTensor([r(r(nll.data[0]! * keep) + r(ret * spread))], [], dtype);
}

function smoothingBackward(a: Checked, gradOutput: Tensor): Tensor {
  const p = logProbs(a);
  const dtype = dtypeOf(p);
  const r = rounder(dtype);
  // MulBackward1 (grad * scalar): before torch mulScalarBackwardWrapsScalar a 0-d double tensor,
  // so a 0-d grad (the reductions, a (C) input) times it computes in double and rounds once.
  const doubleScalar = !a.torch.mulScalarBackwardWrapsScalar && gradOutput.shape.length === 0;
  const keep = doubleScalar ? 1 - a.labelSmoothing : r(1 - a.labelSmoothing);
  const spread = doubleScalar ? a.labelSmoothing / a.layout.classes : r(a.labelSmoothing / a.layout.classes);
  const go = gradOutput.data;
  if (a.input.shape.length === 1 && a.target.shape.length === 1) {
    // the forward raises: nll_loss_nd's checks, then the smoothing mask's
    nllLossCore(a.op, p, a.target, a.weight, a.ignoreIndex, a.reduction, a.prepared);
    checkSmoothingMask(a);
  }
  const gNll = allocate(dtype, go.length);
  for (let i = 0; i < go.length; i++) gNll[i] = r(go[i]! * keep);
  // nll_loss_nd's checks (the forward's), then the gradOutput's shape, then its gradient
  const gp = nllLossCoreBackward(
    a.op,
    makeTensor(gNll, gradOutput.shape, dtype),
    p,
    a.target,
    a.weight,
    a.ignoreIndex,
    a.reduction,
    a.prepared,
  ).data as FloatArray;
  const { smooth, ignored, divisor } = smoothingTerms(a, p);
  const { classes: C, inner } = a.layout;
  const w = a.weight?.data ?? null;
  const masks = a.torch.crossEntropySmoothingExcludesIgnored || a.ignoreIndex >= 0;
  // d ret / d smooth, per smooth element
  const gs = allocate(dtype, smooth.length);
  for (let i = 0; i < gs.length; i++) {
    let g = r((a.reduction === 'none' ? go[i]! : go[0]!) * spread);
    if (a.reduction === 'mean') g = r(g / divisor);
    gs[i] = masks && ignored[i] ? 0 : -g;
  }
  for (let i = 0; i < gp.length; i++) {
    const j = Math.floor(i / (C * inner)) * inner + (i % inner);
    const g = w === null ? gs[j]! : r(gs[j]! * w[Math.floor(i / inner) % C]!);
    gp[i] = r(gp[i]! + g);
  }
  return softmaxBackward(a, gp, p);
}

// --- class indices -------------------------------------------------------------------------------

function softmaxBackward(a: Checked, gp: FloatArray, p: Tensor): Tensor {
  const l = a.layout;
  const k = softmaxKernel(dtypeOf(p), a.torch, a.capability);
  const g = logSoftmaxBackward(gp, p.data, l.outer, l.classes, l.inner, l.lastDim, k);
  return makeTensor(g, a.input.shape, dtypeOf(p));
}

function outputShape(a: Checked): readonly number[] {
  if (a.reduction !== 'none') return [];
  if (a.path === 'probabilities') return a.layout.reducedShape;
  return a.input.shape.length === 1 ? [] : a.input.shape.filter((_, i) => i !== 1);
}

/**
 * F.cross_entropy: `input` holds logits, (C), (N, C) or (N, C, d1, ..., dk); `target` class indices
 * (an IndexTensor, torch.long) or, shaped like the input, class probabilities (a float Tensor).
 */
export function crossEntropyLoss(input: Tensor, target: Tensor | IndexTensor, options?: CrossEntropyOptions): Tensor {
  const a = check(OP, { input, target }, options);
  if (a.path === 'probabilities') return probabilityLoss(a);
  if (a.path === 'smoothing') return smoothingLoss(a);
  // nll_loss_nd reads only the shape and dtype of the log-probabilities (the input's) and the picked values
  const picked = logProbsAtTargets(a);
  if (picked) return nllLossCore(a.op, a.input, a.target, a.weight, a.ignoreIndex, a.reduction, a.prepared, a.deferred, picked);
  return nllLossCore(a.op, logProbs(a), a.target, a.weight, a.ignoreIndex, a.reduction, a.prepared, a.deferred);
}

/** d loss / d input for a gradOutput shaped like the forward output. */
export function crossEntropyLossBackward(
  gradOutput: Tensor,
  input: Tensor,
  target: Tensor | IndexTensor,
  options?: CrossEntropyOptions,
): Tensor {
  const op = `${OP}Backward`;
  const a = check(op, { input, target, gradOutput }, options);
  if (a.path === 'probabilities') {
    checkGradOutput(op, gradOutput, outputShape(a));
    return probabilityBackward(a, gradOutput);
  }
  if (a.path === 'smoothing') return smoothingBackward(a, gradOutput);
  // nll_loss_nd's backward reads only the shape and dtype of the log-probabilities (the input's):
  // log_softmax and its backward then run together, its output kept in the module.
  const l = a.layout;
  const k = softmaxKernel(dtypeOf(a.input), a.torch, a.capability);
  // (N, C): nll_loss's gradient as its one value per row, which the kernels spread themselves (it
  // is never materialized: no 4 or 8 bytes per element allocated, zeroed and copied in).
  const dtype = dtypeOf(a.input);
  const byRows = logSoftmaxNllBackwardRuns(k, l.classes, l.lastDim)
    ? nllLossCoreBackwardAtRows(op, gradOutput, a.input, a.target, a.weight, a.ignoreIndex, a.reduction, a.prepared, a.deferred)
    : null;
  if (byRows) {
    const g = logSoftmaxNllBackward(a.input.data, byRows.cols, byRows.vals, l.outer, l.classes, l.lastDim, k);
    if (g) return makeTensor(g, a.input.shape, dtype);
    const gp = allocate(dtype, a.input.data.length);
    for (let row = 0; row < byRows.cols.length; row++)
      if (byRows.cols[row]! >= 0) gp[row * l.classes + byRows.cols[row]!] = byRows.vals[row]!;
    const gi = logSoftmaxBackwardOfInput(gp, a.input.data, l.outer, l.classes, l.inner, l.lastDim, k);
    return makeTensor(gi, a.input.shape, dtype);
  }
  const gp = nllLossCoreBackward(op, gradOutput, a.input, a.target, a.weight, a.ignoreIndex, a.reduction, a.prepared, a.deferred);
  const g = logSoftmaxBackwardOfInput(gp.data as FloatArray, a.input.data, l.outer, l.classes, l.inner, l.lastDim, k);
  return makeTensor(g, a.input.shape, dtypeOf(a.input));
}

/** nn.CrossEntropyLoss: the options fixed at construction, as torch's module. */
export const CrossEntropyLoss = lossModule<CrossEntropyOptions, Tensor | IndexTensor>(
  'CrossEntropyLoss',
  crossEntropyLoss,
  crossEntropyLossBackward,
);
export type CrossEntropyLoss = InstanceType<typeof CrossEntropyLoss>;
