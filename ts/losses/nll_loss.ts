// nn.NLLLoss / F.nll_loss, forward and input gradient, and the core cross_entropy builds on.
//
// For ts/losses/cross_entropy.ts (stable signature; tell its owner before changing it):
//   nllLossCore(op, logProbs, target, weight, ignoreIndex, reduction, c, deferred = null, picked = null): Tensor
//   nllLossCoreBackward(op, gradOutput, logProbs, target, weight, ignoreIndex, reduction, c, deferred = null): Tensor
// run every check of nll_loss_nd (dimensions, batch size, K-dim target size, target rank and dtype,
// weight shape and dtype, target bounds) in the release's order (c.torch), then compute in
// logProbs' dtype. `deferred` is an argument error the caller found (an invalid reduction, a bad
// ignore_index: see parseIgnoreIndex) that torch raises at the start from 1.9 and, before 1.9 (when
// functional.py checked shapes first, as cross_entropy's F.nll_loss call did), after those checks.
// `target` may be a float Tensor: the core raises torch's dtype error at the release's point.
// `picked` ((C) or (N, C) log-probabilities only, of their dtype): each target's log-probability, target
// i's at i, which the forward reads instead of logProbs.data (then only logProbs' shape and dtype
// are read: cross_entropy computes no other value of log_softmax).
//
// Mirrors aten/src/ATen/native/LossNLL.cpp (nll_loss_nd, nll_loss_forward meta and
// nll_loss_out_frame, nll_loss_backward_out_frame) and LossNLL2d.cpp (check_inputs_nll_loss2d,
// nll_loss2d_forward_out_frame, nll_loss2d_backward_out_frame); before 1.9, torch/nn/functional.py's
// nll_loss did the dimension, batch and target-size checks (pytorch#53789).
//   (C) and (N, C) inputs go to nll_loss, (N, C, H, W) to nll_loss2d, other ranks to nll_loss2d on
//   views (N, C, 1, -1) / (N, 1, -1) ((N, C, 0, 0) / (N, 0, 0) when empty), 'none' viewed back.
// Per target t (skipped when t == ignore_index; else 0 <= t < C or IndexError):
//   'none' (2-D and spatial):  loss = -x[t] * w[t]           (w = 1 without a weight; ignored: 0)
//   reductions (and (C) inputs, whose 'none' is a scalar too), in the dtype:
//     torch >= 1.9 (pytorch#55841): 8-level cascade of partial sums, a level every 16 targets:
//       loss_partial[0] -= x[t] * w[t];  weight_partial[0] += w[t]   (no weight: -= x[t]; total = count)
//     before: output -= x[t] * w[t];  total += w[t]   (one running sum; no weight: w = 1)
//     'mean': output / total; before 1.11 only where total != 0 or the input is empty (else the
//     sum, 0 when all are ignored); from 1.11 (pytorch#64572) always (NaN for a zero total), and an
//     empty target returns NaN ('mean') or 0 before reading the target.
// Backward (grad_input zero but at each non-ignored (b, t)):
//   'none': -w[t] * grad[b]
//   torch >= 1.11: g = -(grad / total) for 'mean', -grad otherwise; grad_input = w[t] * g (no weight: g)
//   before: zeros when total <= 0; nll_loss: (-w[t] * grad) / total for 'mean';
//           nll_loss2d: (-w[t] / (total or 1)) * grad
// float32 rounds after every op, as ATen's scalar loops do (no vectorized kernel here).

import {
  checkGradOutput,
  prepare,
  torchDTypeName,
  type CommonOptions,
  type LossSignature,
  type Prepared,
  type Reduction,
} from '../loss-args.ts';
import { useDType, type Round } from '../numerics.ts';
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
import { lossModule } from '../loss-module.ts';
import type { TorchRelease } from '../torch-version.ts';
import { vectorKernels } from '../wasm/vectors.ts';

export interface NllLossOptions extends CommonOptions {
  /** A (C) float tensor of the input's dtype: each class's weight. */
  weight?: Tensor | null;
  /** A target equal to it adds nothing (any int64; default -100). */
  ignoreIndex?: number;
}

const OP = 'nllLoss';
const SIGNATURE = {
  tensorOptions: ['weight'],
  target: 'class indices',
  options: ['ignoreIndex'],
  reductionDeferred: true,
} as const satisfies LossSignature;

export const DEFAULT_IGNORE_INDEX = -100;

/** Python's type name of a JS value, as the argument parser's TypeError shows it. */
function pythonTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'number') return 'float';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'str';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'bigint') return 'bigint';
  return (value as object).constructor?.name ?? typeof value;
}

/**
 * ignore_index as torch's argument parser reads an int: an integer number within int64, else the
 * error it raises (TypeError "must be int, not float"; the overflow a RuntimeError or, from 2.10,
 * a ValueError), returned for the caller to throw where torch does. `fn` is the parsed function's
 * name in the message ('nll_loss_nd', 'cross_entropy_loss', ...); undefined gives `fallback`.
 */
export function parseIgnoreIndex(
  op: string,
  value: unknown,
  torch: TorchRelease,
  fn: string,
  fallback = DEFAULT_IGNORE_INDEX,
): number | LossArgumentError {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    return new LossArgumentError(
      `${op}: ignoreIndex must be an integer (torch: ${fn}(): argument 'ignore_index' (position 5) must be int, not ${pythonTypeName(value)})`,
      'TypeError',
    );
  }
  if (value >= 2 ** 63 || value < -(2 ** 63)) {
    return torch.intArgOverflowIsValueError
      ? new LossArgumentError(`${op}: ignoreIndex ${value} is outside int64 (torch: Overflow when unpacking long long)`, 'ValueError')
      : new LossArgumentError(`${op}: ignoreIndex ${value} is outside int64 (torch: Overflow when unpacking long)`, 'RuntimeError');
  }
  return value;
}

/** What the checks found: the kernel (nll_loss or nll_loss2d) and its layout. */
interface Plan {
  readonly dtype: DType;
  readonly round: Round;
  readonly torch: TorchRelease;
  readonly reduction: Reduction;
  readonly ignoreIndex: number;
  /** nll_loss2d (the (N, C, H, W) layout, also for other ranks through views) or nll_loss. */
  readonly spatial: boolean;
  /** A (C) input: one target (the first), and a scalar output whatever the reduction. */
  readonly noBatch: boolean;
  readonly classes: number;
  /** Values per class plane of one sample: H * W for nll_loss2d, 1 for nll_loss. */
  readonly map: number;
  /** Targets the kernel reads: N * map (1 for a (C) input). */
  readonly count: number;
  /** The target's element count (torch's target.numel(), which the reductions look at). */
  readonly targetNumel: number;
  readonly inputNumel: number;
  /** The output's shape for 'none' (the scalar [] for a (C) input). */
  readonly noneShape: readonly number[];
  readonly inputShape: readonly number[];
  /** The log-probabilities the forward reads: the input's, or (xMap 0) one value per target, each target's at its index. */
  readonly x: FloatArray;
  /** map, as x is indexed (indexOf): 0 when x holds one value per target. */
  readonly xMap: number;
  readonly labels: Int32Array;
  readonly w: FloatArray | null;
}

/** The index into the input of target number `i` (of `count`) when it is class `t`, for the plan's map and classes (map 0: i, one value per target). */
function indexOf(map: number, classes: number, i: number, t: number): number {
  if (map === 1) return i * classes + t;
  if (map === 0) return i;
  const b = Math.floor(i / map);
  return (b * classes + t) * map + (i - b * map);
}

const fmt = formatShape;

function dtypeError(expected: Tensor, found: Tensor | IndexTensor): LossArgumentError {
  return new LossArgumentError(`expected scalar type ${torchDTypeName(expected)} but found ${torchDTypeName(found)}`);
}

/**
 * All of nll_loss_nd's checks, in the release's order; returns the plan for the kernels. Every
 * message starts with `${op}: ` and contains torch's own wording.
 */
function plan(
  op: string,
  input: Tensor,
  target: IndexTensor | Tensor,
  weight: Tensor | null,
  ignoreIndex: number,
  reduction: Reduction,
  torch: TorchRelease,
  deferred: LossArgumentError | null,
  backward: boolean,
  picked: FloatArray | null = null,
): Plan {
  const inPython = !torch.nllLossNdInAten; // functional.py's checks, before get_enum and the argument parser
  if (!inPython && deferred) throw deferred;
  const shape = input.shape;
  const rank = shape.length;
  const tShape = target.shape;
  const minRank = torch.nllLossAcceptsNoBatchDim ? 1 : 2;
  if (rank < minRank) throw fail(op, `Expected ${minRank} or more dimensions (got ${rank})`, 'ValueError');
  if (rank !== 1) {
    let targetBatch: number;
    if (tShape.length === 0) {
      if (inPython) throw fail(op, 'target is 0-d (torch: dimension specified as 0 but tensor has no dimensions)', 'IndexError');
      // nll_loss_nd reads target.sizes()[0] past a 0-d tensor's sizes: undefined behaviour, 0 in every build seen.
      targetBatch = 0;
    } else {
      targetBatch = tShape[0]!;
    }
    if (shape[0] !== targetBatch) {
      throw fail(op, `Expected input batch_size (${shape[0]}) to match target batch_size (${targetBatch}).`, 'ValueError');
    }
  }
  if (rank <= 2) {
    if (inPython && deferred) throw deferred;
    const layout = checkClasses(op, input, target, weight, reduction, torch, backward);
    return planOf(input, torch, reduction, ignoreIndex, layout, picked ?? input.data, picked !== null ? 0 : layout.xMap);
  }
  if (rank === 4) {
    if (inPython && deferred) throw deferred;
    const layout = checkSpatial(op, input, shape, target, tShape, weight, reduction, torch, tShape, backward);
    return planOf(input, torch, reduction, ignoreIndex, layout, input.data, layout.xMap);
  }
  // dim == 3 or dim > 4: nll_loss2d on views.
  const n = shape[0]!;
  const c = shape[1]!;
  const outSize = [n, ...shape.slice(2)];
  if (tShape.length === 0) {
    // target.sizes().slice(1) of a 0-d tensor (reached only with N == 0): 1.13 and 2.x raise differently.
    throw fail(op, `Expected target size ${fmt(outSize)}, got [] (torch 2.x: ArrayRef: invalid slice, N = 1; size = 0)`);
  }
  const tail = tShape.slice(1);
  if (tail.length !== rank - 2 || tail.some((d, i) => d !== shape[i + 2])) {
    if (inPython) {
      throw fail(op, `Expected target size (${outSize.join(', ')}), got torch.Size([${tShape.join(', ')}])`, 'ValueError');
    }
    throw fail(op, `Expected target size ${fmt(outSize)}, got ${fmt(tShape)}`);
  }
  if (inPython && deferred) throw deferred;
  const inputNumel = numel(shape);
  const targetNumel = numel(tShape);
  const inputView = inputNumel > 0 ? [n, c, 1, inputNumel / (n * c)] : [n, c, 0, 0];
  const targetView = targetNumel > 0 ? [n, 1, targetNumel / n] : [n, 0, 0];
  const layout = checkSpatial(op, input, inputView, target, targetView, weight, reduction, torch, outSize, backward);
  return planOf(input, torch, reduction, ignoreIndex, layout, input.data, layout.xMap);
}

/** What checkClasses / checkSpatial find: the kernel's layout (one object shape for both). */
type Layout = Pick<
  Plan,
  'spatial' | 'noBatch' | 'classes' | 'map' | 'xMap' | 'count' | 'targetNumel' | 'inputNumel' | 'noneShape' | 'labels' | 'w'
>;

/**
 * The plan as one object literal, always of the same shape: merging the checks' layout into a base
 * object with Object.assign (and the picked values over it) took ~7% of a cross_entropy forward at
 * 1e3 (docs/performance.md h-nll3).
 */
function planOf(
  input: Tensor,
  torch: TorchRelease,
  reduction: Reduction,
  ignoreIndex: number,
  l: Layout,
  x: FloatArray,
  xMap: number,
): Plan {
  const dtype = dtypeOf(input);
  return {
    dtype,
    round: useDType(dtype),
    torch,
    reduction,
    ignoreIndex,
    spatial: l.spatial,
    noBatch: l.noBatch,
    classes: l.classes,
    map: l.map,
    count: l.count,
    targetNumel: l.targetNumel,
    inputNumel: l.inputNumel,
    noneShape: l.noneShape,
    inputShape: input.shape,
    x,
    xMap,
    labels: l.labels,
    w: l.w,
  };
}

/** An argument error of `op` with torch's message (a module function: a closure per call cost ~0.3 us under tsx's keepNames). */
function fail(op: string, message: string, type: 'RuntimeError' | 'ValueError' | 'IndexError' = 'RuntimeError'): LossArgumentError {
  return new LossArgumentError(`${op}: ${message}`, type);
}

/**
 * The target dtype check of the kernel (before 2.11): a forward reduction over an empty target
 * returns before it from 1.11 (the backward kernels always read the target).
 */
function checkTargetDtypeInKernel(
  op: string,
  target: IndexTensor | Tensor,
  scalarPath: boolean,
  torch: TorchRelease,
  backward: boolean,
): void {
  if (isIndexTensor(target)) return;
  if (!backward && scalarPath && torch.nllLossMeanOfNothingIsNan && target.data.length === 0) return;
  throw new LossArgumentError(
    `${op}: argument 'target' must hold class indices (Int32Array data, torch.long), got a float tensor (torch: expected scalar type Long but found ${torchDTypeName(target)})`,
  );
}

function checkTargetDtypeInMeta(op: string, target: IndexTensor | Tensor, torch: TorchRelease): void {
  if (torch.nllLossChecksTargetDtype && !isIndexTensor(target)) {
    throw new LossArgumentError(
      `${op}: argument 'target' must hold class indices (Int32Array data, torch.long), got a float tensor (torch: expected target dtype to be Long or Byte, but got ${torchDTypeName(target)})`,
    );
  }
}

function checkWeightDtype(op: string, input: Tensor, weight: Tensor | null): void {
  if (weight !== null && dtypeOf(weight) !== dtypeOf(input)) {
    throw new LossArgumentError(`${op}: weight must have the input's dtype (torch: ${dtypeError(input, weight).message})`);
  }
}

/** The first target the kernel reads that is neither ignored nor a class: torch's IndexError. */
function checkBounds(op: string, labels: Int32Array, count: number, classes: number, ignoreIndex: number): void {
  for (let i = 0; i < count; i++) {
    const t = labels[i]!;
    if (t !== ignoreIndex && (t < 0 || t >= classes)) {
      throw new LossArgumentError(`${op}: Target ${t} is out of bounds. (${classes} classes, ignoreIndex ${ignoreIndex})`, 'IndexError');
    }
  }
}

/** nll_loss_forward's meta checks and the kernel's, for (C) and (N, C) inputs. */
function checkClasses(
  op: string,
  input: Tensor,
  target: IndexTensor | Tensor,
  weight: Tensor | null,
  reduction: Reduction,
  torch: TorchRelease,
  backward: boolean,
): Layout {
  const shape = input.shape;
  const rank = shape.length;
  const tShape = target.shape;
  const tRank = tShape.length;
  if (torch.nllLossAcceptsNoBatchDim ? tRank > 1 : tRank !== 1) {
    throw fail(
      op,
      `${torch.nllLossAcceptsNoBatchDim ? '0D or 1D' : '1D'} target tensor expected, multi-target not supported (got target shape ${fmt(tShape)})`,
    );
  }
  checkTargetDtypeInMeta(op, target, torch);
  if (torch.nllLoss1dTargetMustBeSize1 && rank === 1 && tRank === 1 && tShape[0] !== 1) {
    throw fail(op, `For 1D input, 1D target must have size 1, but got target size: ${tShape[0]}`, 'ValueError');
  }
  const noBatch = rank === 1;
  // The backward meta kept the older check: a (C) input with a (1) target passes the forward from
  // 2.10 but not the backward (unless C == 1).
  const sizesChecked = torch.nllLoss1dTargetMustBeSize1 && !backward ? noBatch : noBatch && tRank === 0;
  if (!sizesChecked) {
    if (tRank === 0) throw fail(op, 'target is 0-d (torch: Dimension specified as 0 but tensor has no dimensions)', 'IndexError');
    if (shape[0] !== tShape[0]) throw fail(op, `size mismatch (got input: ${fmt(shape)}, target: ${fmt(tShape)})`);
  }
  const classes = shape[rank - 1]!;
  if (weight !== null && !((!torch.nllLossWeightMustBe1d || weight.shape.length === 1) && weight.data.length === classes)) {
    throw fail(
      op,
      `weight tensor should be defined either for all ${classes} classes or no classes but got weight tensor of shape: ${fmt(weight.shape)}`,
    );
  }
  checkWeightDtype(op, input, weight);
  const scalarPath = reduction !== 'none' || noBatch;
  checkTargetDtypeInKernel(op, target, scalarPath, torch, backward);
  const labels = target.data as Int32Array;
  const count = noBatch ? (labels.length > 0 ? 1 : 0) : shape[0]!;
  return {
    spatial: false,
    noBatch,
    classes,
    map: 1,
    xMap: 1,
    count,
    targetNumel: labels.length,
    inputNumel: input.data.length,
    noneShape: noBatch ? [] : [shape[0]!],
    labels,
    w: weight === null ? null : weight.data,
  };
}

/** check_inputs_nll_loss2d and the kernel's checks, on the (N, C, H, W) / (N, H, W) shapes (or views). */
function checkSpatial(
  op: string,
  input: Tensor,
  shape: readonly number[],
  target: IndexTensor | Tensor,
  tShape: readonly number[],
  weight: Tensor | null,
  reduction: Reduction,
  torch: TorchRelease,
  noneShape: readonly number[],
  backward: boolean,
): Layout {
  if (tShape.length !== 3) {
    throw fail(op, `only batches of spatial targets supported (3D tensors) but got targets of dimension: ${tShape.length}`);
  }
  checkTargetDtypeInMeta(op, target, torch);
  const classes = shape[1]!;
  if (weight !== null && weight.data.length !== classes) {
    throw fail(
      op,
      `weight tensor should be defined either for all or no classes (${classes} classes, weight of shape ${fmt(weight.shape)})`,
    );
  }
  if (shape[0] !== tShape[0] || shape[2] !== tShape[1] || shape[3] !== tShape[2]) {
    throw fail(op, `size mismatch (got input: ${fmt(shape)} , target: ${fmt(tShape)}`);
  }
  checkWeightDtype(op, input, weight);
  checkTargetDtypeInKernel(op, target, reduction !== 'none', torch, backward);
  const labels = target.data as Int32Array;
  const map = shape[2]! * shape[3]!;
  return {
    spatial: true,
    noBatch: false,
    classes,
    map,
    xMap: map,
    count: shape[0]! * map,
    targetNumel: labels.length,
    inputNumel: input.data.length,
    noneShape,
    labels,
    w: weight === null ? null : weight.data,
  };
}

/** Checks and plans; then the target bounds, as the kernel meets them. */
function planChecked(
  op: string,
  input: Tensor,
  target: IndexTensor | Tensor,
  weight: Tensor | null,
  ignoreIndex: number,
  reduction: Reduction,
  torch: TorchRelease,
  deferred: LossArgumentError | null,
  backward: boolean,
): Plan {
  const p = plan(op, input, target, weight, ignoreIndex, reduction, torch, deferred, backward);
  // A reduction over an empty target returns before the loop from 1.11 (and reads nothing before).
  checkBounds(op, p.labels, p.count, p.classes, ignoreIndex);
  return p;
}

const LEVELS = 8;

/** c10's CeilLog2 (aten/src/ATen/native/cpu/utils.h): 1 for x <= 2. */
function ceilLog2(x: number): number {
  return x <= 2 ? 1 : Math.ceil(Math.log2(x));
}

const lossPartial = new Float64Array(LEVELS);
const weightPartial = new Float64Array(LEVELS);

/**
 * The reductions' loop: the sum of -x[t] * w[t] and of w[t] over the targets not ignored, as
 * [loss, totalWeight], in the release's order and the dtype's rounding.
 */
function accumulate(p: Plan, op: string): [number, number] {
  const { labels, x, w, round: r, ignoreIndex, count, xMap: map, classes } = p;
  if (!p.torch.nllLossUsesCascadeSum) {
    let loss = 0;
    let total = 0;
    for (let i = 0; i < count; i++) {
      const t = labels[i]!;
      if (t === ignoreIndex) continue;
      const wt = w === null ? 1 : w[t]!;
      total = r(total + wt);
      loss = r(loss - r(x[indexOf(map, classes, i, t)]! * wt));
    }
    return [loss, total];
  }
  // The cascade: level 0 sums the targets in order (loss_partial[0] -= x[t] * w[t]) and goes up a
  // level after every target i that is a multiple of levelStep and not ignored (torch's loop
  // `continue`s past an ignored one). So level 0 restarts from 0 at each block of levelStep targets
  // (block k >= 1: targets levelStep (k - 1) + 1 ... levelStep k; block 0: target 0) unless the
  // block before it ended on an ignored target. Each block's sums from 0 are taken first, four
  // quarters of the blocks at once (blockSums: four dependency chains of float32 subtractions and
  // roundings in flight, not one), then the blocks go up the levels in order; a block that
  // continues the one before is summed again from there. Every sum is then the one torch's single
  // loop computes. The targets' bounds are checked on the way (torch checks them in its loop too).
  const levelPower = Math.max(4, Math.floor(ceilLog2(count) / LEVELS));
  // The same sums in WebAssembly (../wasm/vectors.ts nllCascade), one target per row: only the
  // picked values are read (gathered into the module), and float32 rounds in f32 ops, not a
  // Math.fround per op. null (an out-of-bounds target, or past the module's cap): the loop below.
  const kernels = map <= 1 && (ignoreIndex | 0) === ignoreIndex ? vectorKernels() : null;
  const done = kernels?.nllCascade(labels, x, map === 0 ? 0 : classes, w, count, classes, ignoreIndex, levelPower);
  if (done) return [done[0], w === null ? r(count - done[2]) : done[1]];
  const S = 2 ** levelPower;
  lossPartial.fill(0);
  weightPartial.fill(0);
  // the full blocks 1 ... full; blocks 1 ... 4 q summed four at a time, the rest one by one
  const full = count > 0 ? Math.floor((count - 1) / S) : 0;
  const q = map <= 1 ? full >> 2 : 0;
  outOfBounds = false;
  let ignored = q > 0 ? blockSums(p, S, q) : 0;
  // level 0 where the last block did not go up a level (else 0)
  let carrying = false;
  let loss0 = 0;
  let weight0 = 0;
  for (let k = 0; S * (k - 1) + 1 < count; k++) {
    const from = k === 0 ? 0 : S * (k - 1) + 1;
    let l = blockLoss[k]!;
    let wt = blockWeight[k]!;
    if (k === 0 || k > 4 * q) {
      level0(p, from, Math.min(S * k + 1, count), carrying ? loss0 : 0, carrying ? weight0 : 0);
      ignored += level0Ignored;
      l = level0Loss;
      wt = level0Weight;
    } else if (carrying) {
      level0(p, from, S * k + 1, loss0, weight0); // the ignored ones are counted
      l = level0Loss;
      wt = level0Weight;
    }
    const end = S * k;
    if (end < count && labels[end] !== ignoreIndex) {
      levelUp(r, l, wt, end, S);
      carrying = false;
    } else {
      loss0 = l;
      weight0 = wt;
      carrying = true;
    }
  }
  // the bounds checked on the way (they were read anyway): torch's IndexError for the first bad one
  if (outOfBounds) checkBounds(op, labels, count, classes, ignoreIndex);
  lossPartial[0] = carrying ? loss0 : 0;
  weightPartial[0] = carrying ? weight0 : 0;
  let loss = 0;
  let total = 0;
  for (let j = 0; j < LEVELS; j++) {
    loss = r(loss + lossPartial[j]!);
    total = r(total + weightPartial[j]!);
  }
  return [loss, w === null ? r(count - ignored) : total];
}

/** The cascade's level up after target i (a multiple of step): level 0's sums (l, wt) into level 1, then up while the next levelPower bits of i are zero. */
function levelUp(r: Round, l: number, wt: number, i: number, step: number): void {
  weightPartial[1] = r(weightPartial[1]! + wt);
  lossPartial[1] = r(lossPartial[1]! + l);
  // i / step is an integer below 2^28 (i < 2^32): bit operations test its digits (a float % calls fmod)
  let q = i / step;
  for (let j = 1; j + 1 < LEVELS; j++) {
    if ((q & (step - 1)) !== 0) break;
    weightPartial[j + 1] = r(weightPartial[j + 1]! + weightPartial[j]!);
    lossPartial[j + 1] = r(lossPartial[j + 1]! + lossPartial[j]!);
    weightPartial[j] = 0;
    lossPartial[j] = 0;
    q /= step;
  }
}

// Each block's level-0 sums from 0 (blockSums), reused between calls; level0's results.
let blockLoss = new Float64Array(0);
let blockWeight = new Float64Array(0);
let level0Loss = 0;
let level0Weight = 0;
let level0Ignored = 0;
/** A target read by level0 or blockSums is neither ignored nor a class. */
let outOfBounds = false;

/** Level 0's sums continued from (loss, weight) over targets [from, to): into level0Loss / level0Weight, the ignored ones counted in level0Ignored. */
function level0(p: Plan, from: number, to: number, loss: number, weight: number): void {
  const { labels, x, w, round: r, ignoreIndex, xMap: map, classes } = p;
  let ignored = 0;
  for (let i = from; i < to; i++) {
    const t = labels[i]!;
    if (t === ignoreIndex) {
      ignored++;
      continue;
    }
    if (t < 0 || t >= classes) outOfBounds = true;
    const v = x[indexOf(map, classes, i, t)]!;
    if (w !== null) {
      const wt = w[t]!;
      loss = r(loss - r(v * wt));
      weight = r(weight + wt);
    } else {
      loss = r(loss - v);
    }
  }
  level0Loss = loss;
  level0Weight = weight;
  level0Ignored = ignored;
}

/**
 * Level 0's sums from 0 of blocks 1 ... 4 q (of `step` targets; one target per row: map 1 or xMap 0) into
 * blockLoss / blockWeight [k]: blocks k, k + q, k + 2 q and k + 3 q at once (four dependency chains
 * in flight). Returns how many of their targets are ignored. Rounds with Math.fround itself
 * (float32): ../numerics.ts round, three times a target, took a third of the loop.
 */
function blockSums(p: Plan, step: number, q: number): number {
  const { labels, x, w, ignoreIndex, classes } = p;
  const f32 = p.dtype === 'float32';
  // target i's value at x[i * rs + t * cs]: the input's (map 1), or one per target (xMap 0)
  const rs = p.xMap === 0 ? 1 : classes;
  const cs = p.xMap === 0 ? 0 : 1;
  if (blockLoss.length <= 4 * q) {
    blockLoss = new Float64Array(4 * q + 1);
    blockWeight = new Float64Array(4 * q + 1);
  }
  const offset = q * step;
  let ignored = 0;
  let la = 0;
  let wa = 0;
  let lb = 0;
  let wb = 0;
  let lc = 0;
  let wc = 0;
  let ld = 0;
  let wd = 0;
  for (let ia = 1; ia <= offset; ia++) {
    const ib = ia + offset;
    const ic = ib + offset;
    const id = ic + offset;
    const ta = labels[ia]!;
    const tb = labels[ib]!;
    const tc = labels[ic]!;
    const td = labels[id]!;
    if (ta === ignoreIndex) ignored++;
    else if (ta < 0 || ta >= classes) outOfBounds = true;
    else if (w === null) la = f32 ? Math.fround(la - x[ia * rs + ta * cs]!) : la - x[ia * rs + ta * cs]!;
    else {
      const wt = w[ta]!;
      la = f32 ? Math.fround(la - Math.fround(x[ia * rs + ta * cs]! * wt)) : la - x[ia * rs + ta * cs]! * wt;
      wa = f32 ? Math.fround(wa + wt) : wa + wt;
    }
    if (tb === ignoreIndex) ignored++;
    else if (tb < 0 || tb >= classes) outOfBounds = true;
    else if (w === null) lb = f32 ? Math.fround(lb - x[ib * rs + tb * cs]!) : lb - x[ib * rs + tb * cs]!;
    else {
      const wt = w[tb]!;
      lb = f32 ? Math.fround(lb - Math.fround(x[ib * rs + tb * cs]! * wt)) : lb - x[ib * rs + tb * cs]! * wt;
      wb = f32 ? Math.fround(wb + wt) : wb + wt;
    }
    if (tc === ignoreIndex) ignored++;
    else if (tc < 0 || tc >= classes) outOfBounds = true;
    else if (w === null) lc = f32 ? Math.fround(lc - x[ic * rs + tc * cs]!) : lc - x[ic * rs + tc * cs]!;
    else {
      const wt = w[tc]!;
      lc = f32 ? Math.fround(lc - Math.fround(x[ic * rs + tc * cs]! * wt)) : lc - x[ic * rs + tc * cs]! * wt;
      wc = f32 ? Math.fround(wc + wt) : wc + wt;
    }
    if (td === ignoreIndex) ignored++;
    else if (td < 0 || td >= classes) outOfBounds = true;
    else if (w === null) ld = f32 ? Math.fround(ld - x[id * rs + td * cs]!) : ld - x[id * rs + td * cs]!;
    else {
      const wt = w[td]!;
      ld = f32 ? Math.fround(ld - Math.fround(x[id * rs + td * cs]! * wt)) : ld - x[id * rs + td * cs]! * wt;
      wd = f32 ? Math.fround(wd + wt) : wd + wt;
    }
    if ((ia & (step - 1)) === 0) {
      // the end of blocks k, k + q, k + 2 q, k + 3 q
      const k = ia / step;
      blockLoss[k] = la;
      blockWeight[k] = wa;
      blockLoss[k + q] = lb;
      blockWeight[k + q] = wb;
      blockLoss[k + 2 * q] = lc;
      blockWeight[k + 2 * q] = wc;
      blockLoss[k + 3 * q] = ld;
      blockWeight[k + 3 * q] = wd;
      la = 0;
      wa = 0;
      lb = 0;
      wb = 0;
      lc = 0;
      wc = 0;
      ld = 0;
      wd = 0;
    }
  }
  return ignored;
}

/** The reductions' total weight, as the forward leaves it for the backward. */
function totalWeight(p: Plan): number {
  if (p.torch.nllLossMeanOfNothingIsNan && p.targetNumel === 0) return 0;
  if (!p.torch.nllLossUsesCascadeSum) return accumulate(p, OP)[1]; // the bounds are checked
  // accumulate's weight sums alone (they do not depend on the loss's): the same cascade, no reads of the input
  const { labels, w, round: r, ignoreIndex, count } = p;
  if (w === null) {
    let ignored = 0;
    for (let i = 0; i < count; i++) if (labels[i] === ignoreIndex) ignored++;
    return r(count - ignored);
  }
  const levelPower = Math.max(4, Math.floor(ceilLog2(count) / LEVELS));
  const levelStep = 2 ** levelPower;
  const levelMask = levelStep - 1;
  weightPartial.fill(0);
  let weight0 = 0;
  for (let i = 0; i < count; i++) {
    const t = labels[i]!;
    if (t === ignoreIndex) continue;
    weight0 = r(weight0 + w[t]!);
    if ((i & levelMask) !== 0) continue;
    weightPartial[1] = r(weightPartial[1]! + weight0);
    weight0 = 0;
    let q = Math.floor(i / levelStep);
    for (let j = 1; j + 1 < LEVELS; j++) {
      if (q % levelStep !== 0) break;
      weightPartial[j + 1] = r(weightPartial[j + 1]! + weightPartial[j]!);
      weightPartial[j] = 0;
      q = Math.floor(q / levelStep);
    }
  }
  weightPartial[0] = weight0;
  let total = 0;
  for (let j = 0; j < LEVELS; j++) total = r(total + weightPartial[j]!);
  return total;
}

function forward(p: Plan, op: string): Tensor {
  const { labels, x, w, round: r, ignoreIndex, dtype, xMap: map, classes } = p;
  if (p.reduction === 'none' && !p.noBatch) {
    const out = allocate(dtype, p.count);
    for (let i = 0; i < p.count; i++) {
      const t = labels[i]!;
      if (t === ignoreIndex) continue; // 0
      const v = x[indexOf(map, classes, i, t)]!;
      out[i] = w === null ? -v : r(-v * w[t]!);
    }
    return makeTensor(out, p.noneShape, dtype);
  }
  const mean = p.reduction === 'mean';
  if (p.torch.nllLossMeanOfNothingIsNan && p.targetNumel === 0) return makeTensor([mean ? NaN : 0], [], dtype);
  let [loss, total] = accumulate(p, op);
  if (mean && (p.torch.nllLossMeanOfNothingIsNan || total !== 0 || p.inputNumel === 0)) loss = r(loss / total);
  return makeTensor([loss], [], dtype);
}

/**
 * The gradient's values that may be nonzero (every other value is +0), one per sample i that is not
 * ignored, at flat index `at` of the input: with `cols` null, out[at] = value (out the
 * input-sized gradient); else out[i] = value and cols[i] = at - i * classes (its column: a layout of
 * one sample per row; the caller fills cols with -1 first).
 */
function gradients(p: Plan, gradOutput: Tensor, out: FloatArray, cols: Int32Array | null): void {
  const { labels, w, round: r, ignoreIndex, count, map, classes } = p;
  const go = gradOutput.data;
  if (p.reduction === 'none' && !p.noBatch) {
    for (let i = 0; i < count; i++) {
      const t = labels[i]!;
      if (t === ignoreIndex) continue;
      put(out, cols, classes, i, indexOf(map, classes, i, t), w === null ? -go[i]! : r(-w[t]! * go[i]!));
    }
    return;
  }
  const mean = p.reduction === 'mean';
  const g0 = go[0]!;
  const total = totalWeight(p);
  if (p.torch.nllLossMeanOfNothingIsNan) {
    const g = mean ? -r(g0 / total) : -g0;
    for (let i = 0; i < count; i++) {
      const t = labels[i]!;
      if (t === ignoreIndex) continue;
      put(out, cols, classes, i, indexOf(map, classes, i, t), w === null ? g : r(w[t]! * g));
    }
    return;
  }
  if (total <= 0) return;
  for (let i = 0; i < count; i++) {
    const t = labels[i]!;
    if (t === ignoreIndex) continue;
    const wt = w === null ? 1 : w[t]!;
    let g: number;
    if (p.spatial) g = r(r(-wt / (mean ? total : 1)) * g0);
    else {
      g = r(-wt * g0);
      if (mean) g = r(g / total);
    }
    put(out, cols, classes, i, indexOf(map, classes, i, t), g);
  }
}

/** gradients' store of target i's value g at flat index `at` (see there; a module function, not a closure made per call). */
function put(out: FloatArray, cols: Int32Array | null, classes: number, i: number, at: number, g: number): void {
  if (cols === null) out[at] = g;
  else {
    out[i] = g;
    cols[i] = at - i * classes;
  }
}

function backward(p: Plan, gradOutput: Tensor): Tensor {
  const grad = allocate(p.dtype, p.inputNumel);
  gradients(p, gradOutput, grad, null);
  return makeTensor(grad, p.inputShape, p.dtype);
}

/**
 * nll_loss_nd on log-probabilities: every check (in `c.torch`'s order), then the loss in logProbs'
 * dtype. `deferred`: see the header.
 */
export function nllLossCore(
  op: string,
  logProbs: Tensor,
  target: IndexTensor | Tensor,
  weight: Tensor | null,
  ignoreIndex: number,
  reduction: Reduction,
  c: Prepared,
  deferred: LossArgumentError | null = null,
  picked: FloatArray | null = null,
): Tensor {
  // the cascade's reductions check the bounds in their loop (accumulate)
  const p = plan(op, logProbs, target, weight, ignoreIndex, reduction, c.torch, deferred, false, picked);
  if (picked !== null && (p.xMap !== 0 || picked.length < p.count || picked instanceof Float64Array !== (p.dtype === 'float64'))) {
    throw new Error(`${op}: internal: picked log-probabilities need a (C) or (N, C) input, its dtype and one value per target`);
  }
  if ((p.reduction === 'none' && !p.noBatch) || !p.torch.nllLossUsesCascadeSum) checkBounds(op, p.labels, p.count, p.classes, ignoreIndex);
  return forward(p, op);
}

/** d nll_loss_nd / d logProbs for a gradOutput shaped like the forward output (same checks first). */
export function nllLossCoreBackward(
  op: string,
  gradOutput: Tensor,
  logProbs: Tensor,
  target: IndexTensor | Tensor,
  weight: Tensor | null,
  ignoreIndex: number,
  reduction: Reduction,
  c: Prepared,
  deferred: LossArgumentError | null = null,
): Tensor {
  const p = planChecked(op, logProbs, target, weight, ignoreIndex, reduction, c.torch, deferred, true);
  checkGradOutput(op, gradOutput, reduction === 'none' ? p.noneShape : []);
  if (dtypeOf(gradOutput) !== p.dtype) {
    throw new LossArgumentError(`${op}: gradOutput must have the input's dtype (torch: ${dtypeError(logProbs, gradOutput).message})`);
  }
  return backward(p, gradOutput);
}

/**
 * nllLossCoreBackward's gradient of an (N, C) or (C) input (one target per row) as what it holds:
 * per row, the column of its one value (-1: the row is all +0) and the value (in the input's
 * dtype); every other value +0. The same checks first; null for other layouts (then
 * nllLossCoreBackward).
 * cross_entropy's backward hands these to log_softmax's backward without materializing the gradient.
 */
export function nllLossCoreBackwardAtRows(
  op: string,
  gradOutput: Tensor,
  logProbs: Tensor,
  target: IndexTensor | Tensor,
  weight: Tensor | null,
  ignoreIndex: number,
  reduction: Reduction,
  c: Prepared,
  deferred: LossArgumentError | null = null,
): { cols: Int32Array; vals: FloatArray } | null {
  const p = planChecked(op, logProbs, target, weight, ignoreIndex, reduction, c.torch, deferred, true);
  checkGradOutput(op, gradOutput, reduction === 'none' ? p.noneShape : []);
  if (dtypeOf(gradOutput) !== p.dtype) {
    throw new LossArgumentError(`${op}: gradOutput must have the input's dtype (torch: ${dtypeError(logProbs, gradOutput).message})`);
  }
  if (p.map !== 1 || p.inputShape.length > 2) return null;
  const rows = p.inputShape.length === 2 ? p.inputShape[0]! : 1;
  const cols = new Int32Array(rows).fill(-1);
  const vals = p.dtype === 'float64' ? new Float64Array(rows) : new Float32Array(rows);
  gradients(p, gradOutput, vals, cols);
  return { cols, vals };
}

/** The name torch's argument parser gives nll_loss's ignore_index errors. */
function parsedFunction(torch: TorchRelease, rank: number): string {
  if (torch.nllLossNdInAten) return 'nll_loss_nd';
  return rank === 2 || rank < 2 ? 'nll_loss' : 'nll_loss2d';
}

function check(op: string, args: { input: Tensor; target: IndexTensor; gradOutput?: Tensor }, options: NllLossOptions | undefined) {
  const c = prepare(op, SIGNATURE, args, options);
  const ignore = parseIgnoreIndex(op, c.extra.ignoreIndex, c.torch, parsedFunction(c.torch, c.input.shape.length));
  // get_enum(reduction) is an argument of the call whose parser then reads ignore_index.
  const deferred = c.reductionError ?? (ignore instanceof LossArgumentError ? ignore : null);
  return { c, ignoreIndex: ignore instanceof LossArgumentError ? DEFAULT_IGNORE_INDEX : ignore, deferred };
}

/** F.nll_loss: `input` holds log-probabilities, `target` class indices (torch.long: an IndexTensor). */
export function nllLoss(input: Tensor, target: IndexTensor, options?: NllLossOptions): Tensor {
  const { c, ignoreIndex, deferred } = check(OP, { input, target }, options);
  return nllLossCore(OP, c.input, c.target, c.weight, ignoreIndex, c.reduction, c, deferred);
}

/** d loss / d input for a gradOutput shaped like the forward output. */
export function nllLossBackward(gradOutput: Tensor, input: Tensor, target: IndexTensor, options?: NllLossOptions): Tensor {
  const op = `${OP}Backward`;
  const { c, ignoreIndex, deferred } = check(op, { input, target, gradOutput }, options);
  return nllLossCoreBackward(op, gradOutput, c.input, c.target, c.weight, ignoreIndex, c.reduction, c, deferred);
}

/** nn.NLLLoss: the options fixed at construction, as torch's module. */
export const NLLLoss = lossModule<NllLossOptions, IndexTensor>('NLLLoss', nllLoss, nllLossBackward);
export type NLLLoss = InstanceType<typeof NLLLoss>;
