// nn.TripletMarginLoss / F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap), forward
// and the gradients of anchor, positive and negative.
//
// torch/nn/functional.py: _Reduction.get_enum(reduction); margin <= 0 -> ValueError "margin must be
// greater than 0, got ..." (tripletMarginRejectsNonPositiveMargin, torch >= 2.6); then ATen's
// aten/src/ATen/native/Loss.cpp triplet_margin_loss, each tensor op rounded to the dtype:
//   anchor, positive and negative of one number of dims (tripletMarginChecksDims; its wording per
//   tripletMarginDimsMessageNamesTensors), else RuntimeError;
//   dist_pos = pairwise_distance(anchor, positive, p, eps)    (../pairwise-distance.ts: x1 - x2 + eps,
//   dist_neg = pairwise_distance(anchor, negative, p, eps)     then the norm over the last dim; 1.7: dim 1)
//   swap: dist_swap = pairwise_distance(positive, negative, p, eps); dist_neg = at::min(dist_neg, dist_swap)
//   output = clamp_min(margin + dist_pos - dist_neg, 0)        (margin a wrapped number: rounded to the dtype)
//   apply_loss_reduction: 'mean' sum / numel, 'sum' (ATen's cascade sum), 'none'.
// Mixed float32 / float64 arguments (measured bit for bit in 1.7, 1.13, 2.6 and 2.14.1, swap, every
// p, eps, broadcasts and reductions): each distance runs in its own pair's promoted dtype; margin +
// dist_pos in dist_pos's (a float32 d(a, p) adds float32(margin) in float32), - dist_neg and
// everything after it, the output, in the promotion of all three; min(d(a, n), d(p, n)) is exact in it.
// Backward: autograd through those ops (tools/autograd/derivatives.yaml):
//   mean: g / numel;  clamp_min: g where x >= 0 (torch 2.14: x > 0, clampMinGradZeroAtMin), else 0 (NaN: 0);
//   dist_pos += g, dist_neg += -g;  min(a, b) (minimumGradSplitsTies, torch >= 1.10 assumed):
//   where(a == b, g / 2, g) masked to 0 where a > b (for a) / a < b (for b); before (measured in 1.7),
//   a tie's gradient goes to b: a gets g unless a >= b, b gets g unless a < b (NaN: both get g);  each pairwise_distance: norm_backward, then the sub's two gradients
//   (summed to each operand's shape); an operand's contributions added (two each).
//   Each gradient is summed to its tensor's shape in the dtype of the op that made it, then cast to the
//   tensor's dtype (the engine's validate_outputs): a distance's in its dtype, each argument's in its own
//   (torch returns every leaf's gradient in that leaf's dtype), the two contributions added in it.
// float32 operands of one shape with p = 2 (no swap) run as WebAssembly SIMD (../wasm/distance.ts:
// both norms per row in one pass for the forward, the whole backward in one pass): tripletKernelRule;
// float64 operands so too (tripletKernelRule64, the module's float64 loops: the same floats).

import { checkGradOutput, prepare, type CommonOptions, type LossSignature } from '../loss-args.ts';
import { lossModule3 } from '../loss-module.ts';
import { useDType } from '../numerics.ts';
import { float32NormRule, float64NormRule, normBackward, planPairwiseDistance, subGradients, type NormPlan } from '../pairwise-distance.ts';
import { applyReduction, makeTensor } from '../reduction.ts';
import { LossArgumentError, checkTensor, type DType, type FloatArray, type Tensor } from '../tensor.ts';
import { sumLanes, type CpuCapability, type TorchRelease } from '../torch-version.ts';
import type { Reduction } from '../loss-args.ts';
import { distanceKernels, distanceKernels64, type NormRule, type NormRule64, type TripletRule } from '../wasm/distance.ts';

export interface TripletMarginOptions extends CommonOptions {
  /** Default 1; torch >= 2.6 rejects margin <= 0. */
  margin?: number;
  /** The norm degree of the pairwise distance (default 2). */
  p?: number;
  /** Added to the differences before the norm (default 1e-6). */
  eps?: number;
  /** Use min(d(a, n), d(p, n)) as the negative distance (default false). */
  swap?: boolean;
}

/** The gradients by torch's argument names. */
export type TripletGrads = {
  readonly anchor: Tensor;
  readonly positive: Tensor;
  readonly negative: Tensor;
};

const OP = 'tripletMarginLoss';
const SIGNATURE = {
  tensorOptions: [],
  target: 'float',
  options: ['margin', 'p', 'eps', 'swap'],
} as const satisfies LossSignature;

/** A golden case's p: a number, or "inf" / "-inf" / "nan" as the case modules record them (JSON has no infinity). */
export function decodeP(value: unknown): unknown {
  if (value === 'inf') return Infinity;
  if (value === '-inf') return -Infinity;
  if (value === 'nan') return NaN;
  return value;
}

/** Python's str() of a float margin in torch's f-string. */
export function pythonFloat(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return Number.isInteger(v) ? `${v}.0` : String(v);
}

/** The margin check of functional.py (torch >= 2.6). */
export function checkMargin(op: string, torch: TorchRelease, margin: number): void {
  if (torch.tripletMarginRejectsNonPositiveMargin && margin <= 0) {
    throw new LossArgumentError(`${op}: margin must be greater than 0, got ${pythonFloat(margin)}`, 'ValueError');
  }
}

export function checkNumber(op: string, name: string, value: unknown, type = 'float'): void {
  if (typeof value !== 'number') {
    throw new LossArgumentError(
      `${op}: ${name} must be a number (torch: argument '${name}' must be ${type}), got ${typeof value}`,
      'TypeError',
    );
  }
}

/** Each distance's own dtype (d(a, p), d(a, n), d(p, n)): its pair's promotion for pairwise_distance. */
export interface DistanceDTypes {
  readonly pos: DType;
  readonly neg: DType;
  readonly swap: DType | null;
}

const promote2 = (a: DType, b: DType): DType => (a === 'float64' || b === 'float64' ? 'float64' : 'float32');

/** The distances' combination after the distances: what both triplet losses share. */
export interface TripletCore {
  /** The loss's dtype: the promotion of the distances' (margin + d_pos - d_neg and after). */
  readonly dtype: DType;
  /** Each distance's dtype, and min(d_neg, d_swap)'s (d_neg's without swap). */
  readonly dtypes: DistanceDTypes;
  readonly negMin: DType;
  readonly torch: TorchRelease;
  readonly capability: CpuCapability;
  readonly reduction: Reduction;
  readonly shape: readonly number[];
  /** margin + dist_pos - dist_neg (after any swap), before the clamp. */
  readonly pre: Float64Array;
  readonly losses: Float64Array;
  /** Which of dist_neg / dist_swap the min took, per element: the min's gradient split. */
  readonly dPos: ArrayLike<number>;
  readonly dNeg: ArrayLike<number>;
  readonly dSwap: ArrayLike<number> | null;
}

/**
 * clamp(margin + d_pos - d_neg, 0) in the order of the release's composite: 'aten' (ATen's
 * triplet_margin_loss and functional.py from 2.6: (d_pos + margin) - d_neg) or 'old-python'
 * (triplet_margin_with_distance_loss before 2.6: (d_pos - d_neg) + margin).
 */
export function tripletCore(
  dtype: DType,
  torch: TorchRelease,
  capability: CpuCapability,
  reduction: Reduction,
  margin: number,
  dPos: ArrayLike<number>,
  dNeg0: ArrayLike<number>,
  dSwap: ArrayLike<number> | null,
  shape: readonly number[],
  order: 'aten' | 'old-python',
  distanceDTypes?: DistanceDTypes,
): TripletCore {
  const dtypes = distanceDTypes ?? { pos: dtype, neg: dtype, swap: dSwap === null ? null : dtype };
  const negMin = dtypes.swap === null ? dtypes.neg : promote2(dtypes.neg, dtypes.swap);
  const r = useDType(dtype);
  const m = r(margin);
  const n = dPos.length;
  const pre = new Float64Array(n);
  const losses = new Float64Array(n);
  const base = { dtype, dtypes, negMin, torch, capability, reduction, shape, pre, losses, dPos, dNeg: dNeg0, dSwap };
  if (dtypes.pos !== dtype && order === 'aten') {
    // a float32 d_pos of a float64 loss: margin + d_pos in float32 (margin rounded to it), then - d_neg in float64
    const fr = Math.fround;
    const mp = fr(margin);
    for (let i = 0; i < n; i++) {
      let dn = dNeg0[i]!;
      if (dSwap !== null) {
        const s = dSwap[i]!;
        dn = dn !== dn || s !== s ? NaN : s < dn ? s : dn;
      }
      const v = fr(dPos[i]! + mp) - dn;
      pre[i] = v;
      losses[i] = v !== v ? v : v < 0 ? 0 : v;
    }
    return base;
  }
  // Otherwise every op after the distances runs in the loss's dtype (min's values are exact in it).
  if (dSwap === null && dPos instanceof Float64Array && dNeg0 instanceof Float64Array) {
    // The same ops, one monomorphic loop per order and dtype (no swap).
    coreLoop(dtype === 'float32', order === 'aten', m, dPos, dNeg0, pre, losses);
    return base;
  }
  for (let i = 0; i < n; i++) {
    let dn = dNeg0[i]!;
    if (dSwap !== null) {
      const s = dSwap[i]!;
      dn = dn !== dn || s !== s ? NaN : s < dn ? s : dn;
    }
    const v = order === 'aten' ? r(r(dPos[i]! + m) - dn) : r(r(dPos[i]! - dn) + m);
    pre[i] = v;
    losses[i] = v !== v ? v : v < 0 ? 0 : v;
  }
  return base;
}

/** tripletCore's loop without a swap: pre = (d_pos + m) - d_neg ('aten') or (d_pos - d_neg) + m, losses = clamp(pre, 0). */
function coreLoop(
  float32: boolean,
  aten: boolean,
  m: number,
  dPos: Float64Array,
  dNeg: Float64Array,
  pre: Float64Array,
  losses: Float64Array,
): void {
  const fr = Math.fround;
  const n = pre.length;
  for (let i = 0; i < n; i++) {
    const v = float32
      ? aten
        ? fr(fr(dPos[i]! + m) - dNeg[i]!)
        : fr(fr(dPos[i]! - dNeg[i]!) + m)
      : aten
        ? dPos[i]! + m - dNeg[i]!
        : dPos[i]! - dNeg[i]! + m;
    pre[i] = v;
    losses[i] = v !== v ? v : v < 0 ? 0 : v;
  }
}

export function reduceCore(core: TripletCore): Tensor {
  const r = useDType(core.dtype);
  return applyReduction(core.losses, core.shape, core.reduction, core.dtype, sumLanes(core.dtype, core.torch, core.capability), r);
}

/**
 * The gradients of the three distances (d_pos, d_neg, d_swap) for a gradOutput of the loss.
 * `clampGradZeroAtMin`: the clamp's gradient is 0 where its input equals 0.
 */
export function coreBackward(
  core: TripletCore,
  gradOutput: Tensor,
  clampGradZeroAtMin: boolean,
): { gPos: Float64Array; gNeg: Float64Array; gSwap: Float64Array | null } {
  const r = useDType(core.dtype);
  const n = core.losses.length;
  const go = gradOutput.data;
  const gMean = core.reduction === 'mean' ? r(go[0]! / n) : go[0]!;
  const gPos = new Float64Array(n);
  const gNeg = new Float64Array(n);
  const gSwap = core.dSwap === null ? null : new Float64Array(n);
  const splits = core.torch.minimumGradSplitsTies;
  const minInOther = gSwap !== null && core.negMin !== core.dtype; // only float32 under a float64 loss
  for (let i = 0; i < n; i++) {
    const g0 = core.reduction === 'none' ? r(go[i]!) : gMean;
    const x = core.pre[i]!;
    const g = (clampGradZeroAtMin ? x > 0 : x >= 0) ? g0 : 0;
    gPos[i] = g;
    const gn = -g;
    if (gSwap === null) {
      gNeg[i] = gn;
      continue;
    }
    const a = core.dNeg[i]!;
    const b = core.dSwap![i]!;
    if (minInOther) {
      // min(d_neg, d_swap) of another dtype than the loss (a distance function's choice): its gradient cast to it first
      const gm = Math.fround(gn);
      const h = splits && a === b ? Math.fround(gm / 2) : gm;
      gNeg[i] = splits ? (a > b ? 0 : h) : a >= b ? 0 : h;
      gSwap[i] = a < b ? 0 : h;
    } else if (splits) {
      const h = a === b ? r(gn / 2) : gn;
      gNeg[i] = a > b ? 0 : h;
      gSwap[i] = a < b ? 0 : h;
    } else {
      gNeg[i] = a >= b ? 0 : gn;
      gSwap[i] = a < b ? 0 : gn;
    }
  }
  return { gPos, gNeg, gSwap };
}

/**
 * A distance's gradient (coreBackward's, laid out as the loss's shape) as the engine hands it to the
 * distance: summed to the distance's shape in the dtype of the op that produced it (the loss's; with
 * swap, min's for d_neg and d_swap), then cast to the distance's own dtype.
 */
export function distanceGrad(core: TripletCore, which: 'pos' | 'neg' | 'swap', g: Float64Array, to: readonly number[]): Float64Array {
  const from = core.dSwap !== null && which !== 'pos' ? core.negMin : core.dtype;
  const own = which === 'pos' ? core.dtypes.pos : which === 'neg' ? core.dtypes.neg : core.dtypes.swap!;
  const summed = sumBack(from, g, core.shape, to, 0);
  if (own === from || own === 'float64') return summed;
  const out = summed === g ? new Float64Array(g.length) : summed;
  for (let i = 0; i < out.length; i++) out[i] = Math.fround(summed[i]!);
  return out;
}

/** A tensor's float dtype. */
export const dtypeOf = (t: Tensor): DType => (t.data instanceof Float64Array ? 'float64' : 'float32');

/** Adds two gradient contributions of one operand (autograd's InputBuffer), rounded to the dtype. */
export function addGrads(dtype: DType, a: FloatArray, b: FloatArray): FloatArray {
  if (dtype === 'float64' || a instanceof Float32Array) {
    // A Float32Array store rounds as r would (float64: r is the identity): the same values.
    for (let i = 0; i < a.length; i++) a[i] = a[i]! + b[i]!;
    return a;
  }
  const r = useDType(dtype);
  for (let i = 0; i < a.length; i++) a[i] = r(a[i]! + b[i]!);
  return a;
}

/**
 * How ../wasm/distance.ts computes a triplet loss's pairwise_distance(p) distances, where it takes the
 * call: float32 anchor, positive and negative of one shape (rows of its last dim), no swap, p = 2 in
 * the release's vectorized last-dim norm (the forward: p = 2 once a C float; the backward: p = 2 and
 * norm_backward's newer form). null where the JS loops run.
 */
export function tripletKernelRule(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  swap: boolean,
  torch: TorchRelease,
  capability: CpuCapability,
  p: number,
  backward: boolean,
): NormRule | null {
  const a = anchor.data;
  if (swap || (backward && (p !== 2 || !torch.normBackwardMaskedTwo))) return null;
  if (!(a instanceof Float32Array && positive.data instanceof Float32Array && negative.data instanceof Float32Array)) return null;
  const shape = anchor.shape;
  const same = (s: readonly number[]) => s.length === shape.length && s.every((d, i) => d === shape[i]);
  if (!same(positive.shape) || !same(negative.shape) || shape.length === 0 || a.length === 0) return null;
  const norm = float32NormRule(torch, capability, p, shape[shape.length - 1]!, shape.length);
  return norm !== null && distanceKernels()?.takes(norm) === true ? norm : null;
}

/**
 * tripletKernelRule's float64 twin: float64 anchor, positive and negative of one shape, no swap, p = 2
 * as computeNorms runs it in float64 (../pairwise-distance.ts float64NormRule; the backward: p = 2
 * and norm_backward's newer form). null where the JS loops run.
 */
export function tripletKernelRule64(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  swap: boolean,
  torch: TorchRelease,
  capability: CpuCapability,
  p: number,
  backward: boolean,
): NormRule64 | null {
  const a = anchor.data;
  if (swap || (backward && (p !== 2 || !torch.normBackwardMaskedTwo))) return null;
  if (!(a instanceof Float64Array && positive.data instanceof Float64Array && negative.data instanceof Float64Array)) return null;
  const shape = anchor.shape;
  const same = (s: readonly number[]) => s.length === shape.length && s.every((d, i) => d === shape[i]);
  if (!same(positive.shape) || !same(negative.shape) || shape.length === 0 || a.length === 0) return null;
  const norm = float64NormRule(torch, capability, p, shape[shape.length - 1]!, shape.length);
  return norm !== null && distanceKernels64()?.takes64(norm) === true ? norm : null;
}

/** Whether tripletGradsKernel takes the operands (before its gradOutput checks): see there. */
export function tripletGradsKernelTakes(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  swap: boolean,
  torch: TorchRelease,
  capability: CpuCapability,
  p = 2,
): boolean {
  return (
    tripletKernelRule(anchor, positive, negative, swap, torch, capability, p, true) !== null ||
    tripletKernelRule64(anchor, positive, negative, swap, torch, capability, p, true) !== null
  );
}

/**
 * A triplet loss's two distances d(a, p) and d(a, n) (pairwise_distance(p, eps)) in one pass of
 * ../wasm/distance.ts tripletNorms, where tripletKernelRule takes the call (else null), and their shape.
 */
export function tripletNormsKernel(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  swap: boolean,
  torch: TorchRelease,
  capability: CpuCapability,
  p: number,
  eps: number,
): { dPos: Float64Array; dNeg: Float64Array; shape: number[]; dtype: DType } | null {
  const rule64 = tripletKernelRule64(anchor, positive, negative, swap, torch, capability, p, false);
  if (rule64 !== null) {
    const shape = anchor.shape;
    const D = shape[shape.length - 1]!;
    const rows = anchor.data.length / D;
    const dPos = new Float64Array(rows);
    const dNeg = new Float64Array(rows);
    const data = (t: Tensor) => t.data as Float64Array;
    if (!distanceKernels64()!.tripletNorms64(data(anchor), data(positive), data(negative), rows, D, eps, rule64, dPos, dNeg)) return null;
    return { dPos, dNeg, shape: shape.slice(0, -1), dtype: 'float64' };
  }
  const rule = tripletKernelRule(anchor, positive, negative, swap, torch, capability, p, false);
  if (rule === null) return null;
  const shape = anchor.shape;
  const D = shape[shape.length - 1]!;
  const rows = anchor.data.length / D;
  const dPos = new Float64Array(rows);
  const dNeg = new Float64Array(rows);
  const data = (t: Tensor) => t.data as Float32Array;
  if (!distanceKernels()!.tripletNorms(data(anchor), data(positive), data(negative), rows, D, Math.fround(eps), rule, dPos, dNeg)) {
    return null;
  }
  return { dPos, dNeg, shape: shape.slice(0, -1), dtype: 'float32' };
}

/**
 * The three gradients of a triplet loss with pairwise_distance(p, eps) distances, computed in one
 * pass by ../wasm/distance.ts tripletGrads (the same floats as coreBackward, normBackward,
 * subGradients and addGrads), where it takes the call: float32 anchor, positive and negative of one
 * shape (rows of its last dim D), p = 2 (the release's vectorized last-dim norm, norm_backward's
 * newer form), no swap, and a gradOutput whose value(s) the float32 kernel holds exactly. The
 * arguments are checked (but for gradOutput's shape, checked here); null where the JS loops run.
 */
export function tripletGradsKernel(
  op: string,
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  gradOutput: Tensor,
  torch: TorchRelease,
  capability: CpuCapability,
  reduction: Reduction,
  margin: number,
  p: number,
  eps: number,
  swap: boolean,
  rule: TripletRule,
): TripletGrads | null {
  const norm64 = tripletKernelRule64(anchor, positive, negative, swap, torch, capability, p, true);
  if (norm64 !== null) return tripletGradsKernel64(op, anchor, positive, negative, gradOutput, reduction, margin, eps, norm64, rule);
  const norm = tripletKernelRule(anchor, positive, negative, swap, torch, capability, p, true);
  if (norm === null) return null;
  const a = anchor.data as Float32Array;
  const pd = positive.data as Float32Array;
  const nd = negative.data as Float32Array;
  const shape = anchor.shape;
  const D = shape[shape.length - 1]!;
  const kernels = distanceKernels()!;
  const rows = a.length / D;
  const outShape = shape.slice(0, -1);
  checkGradOutput(op, gradOutput, reduction === 'none' ? outShape : []);
  const go = gradOutput.data;
  let g = 0;
  let perRow: Float32Array | null = null;
  if (reduction === 'none') perRow = go instanceof Float32Array ? go : Float32Array.from(go);
  else if (reduction === 'mean') g = Math.fround(go[0]! / rows);
  else {
    g = go[0]!;
    if (Math.fround(g) !== g && g === g) return null; // a float64 gradOutput the float32 kernel cannot hold
  }
  const ga = new Float32Array(a.length);
  const gp = new Float32Array(a.length);
  const gn = new Float32Array(a.length);
  const m = Math.fround(margin);
  if (!kernels.tripletGrads(a, pd, nd, rows, D, Math.fround(eps), m, g, perRow, norm, rule, ga, gp, gn)) return null;
  return {
    anchor: makeTensor(ga, shape, 'float32'),
    positive: makeTensor(gp, shape, 'float32'),
    negative: makeTensor(gn, shape, 'float32'),
  };
}

/** tripletGradsKernel's float64 twin (../wasm/distance.ts tripletGrads64): the same floats as the JS loops. */
function tripletGradsKernel64(
  op: string,
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  gradOutput: Tensor,
  reduction: Reduction,
  margin: number,
  eps: number,
  norm: NormRule64,
  rule: TripletRule,
): TripletGrads | null {
  const a = anchor.data as Float64Array;
  const shape = anchor.shape;
  const D = shape[shape.length - 1]!;
  const rows = a.length / D;
  checkGradOutput(op, gradOutput, reduction === 'none' ? shape.slice(0, -1) : []);
  const go = gradOutput.data;
  let g = 0;
  let perRow: Float64Array | null = null;
  if (reduction === 'none') perRow = go instanceof Float64Array ? go : Float64Array.from(go);
  else g = reduction === 'mean' ? go[0]! / rows : go[0]!;
  const ga = new Float64Array(a.length);
  const gp = new Float64Array(a.length);
  const gn = new Float64Array(a.length);
  const pd = positive.data as Float64Array;
  const nd = negative.data as Float64Array;
  if (!distanceKernels64()!.tripletGrads64(a, pd, nd, rows, D, eps, margin, g, perRow, norm, rule, ga, gp, gn)) return null;
  return {
    anchor: makeTensor(ga, shape, 'float64'),
    positive: makeTensor(gp, shape, 'float64'),
    negative: makeTensor(gn, shape, 'float64'),
  };
}

interface Plan {
  readonly core: TripletCore;
  readonly pos: NormPlan;
  readonly neg: NormPlan;
  readonly swap: NormPlan | null;
  readonly gradOutput: Tensor | null;
}

function plan(
  op: string,
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  options: TripletMarginOptions | undefined,
  gradOutput?: Tensor,
):
  | Plan
  | { grads: TripletGrads }
  | { core: TripletCore } /* where the kernels computed the gradients or (forward) the distances: nothing else planned */ {
  const c = prepare(op, SIGNATURE, { input: anchor, target: positive, ...(gradOutput === undefined ? {} : { gradOutput }) }, options);
  checkTensor(negative, op, 'negative');
  const torch = c.torch;
  const margin = c.extra.margin ?? 1;
  const p = c.extra.p ?? 2;
  const eps = c.extra.eps ?? 1e-6;
  const swap = c.extra.swap ?? false;
  checkNumber(op, 'margin', margin);
  checkNumber(op, 'p', p);
  checkNumber(op, 'eps', eps);
  if (typeof swap !== 'boolean') throw new LossArgumentError(`${op}: swap must be a boolean, got ${typeof swap}`, 'TypeError');
  checkMargin(op, torch, margin as number);
  const dims = [anchor.shape.length, positive.shape.length, negative.shape.length];
  if (torch.tripletMarginChecksDims && !(dims[0] === dims[1] && dims[1] === dims[2])) {
    throw new LossArgumentError(
      torch.tripletMarginDimsMessageNamesTensors
        ? `${op}: The anchor, positive, and negative tensors are expected to have the same number of dimensions, but got: anchor ${dims[0]}D, positive ${dims[1]}D, and negative ${dims[2]}D inputs`
        : `${op}: All inputs should have same dimension but got ${dims[0]}D, ${dims[1]}D and ${dims[2]}D inputs.`,
    );
  }
  const cap = c.capability;
  if (gradOutput !== undefined) {
    const grads = tripletGradsKernel(
      op,
      anchor,
      positive,
      negative,
      gradOutput,
      torch,
      cap,
      c.reduction,
      margin as number,
      p as number,
      eps as number,
      swap,
      {
        oldOrder: false,
        strict: torch.clampMinGradZeroAtMin,
      },
    );
    if (grads !== null) return { grads };
  } else {
    const d = tripletNormsKernel(anchor, positive, negative, swap, torch, cap, p as number, eps as number);
    if (d !== null) return { core: tripletCore(d.dtype, torch, cap, c.reduction, margin as number, d.dPos, d.dNeg, null, d.shape, 'aten') };
  }
  // The forward alone needs no differences kept (pairwise-distance.ts computes them row by row where it can).
  const fwd = op === OP; // tripletMarginLoss, not its backward
  const pos = planPairwiseDistance(op, anchor, positive, p, eps, false, torch, cap, ['anchor', 'positive'], fwd);
  const neg = planPairwiseDistance(op, anchor, negative, p, eps, false, torch, cap, ['anchor', 'negative'], fwd);
  const sw = swap ? planPairwiseDistance(op, positive, negative, p, eps, false, torch, cap, ['positive', 'negative'], fwd) : null;
  const dtype: DType = [anchor, positive, negative].some((t) => t.data instanceof Float64Array) ? 'float64' : 'float32';
  const shape = broadcastOut(op, pos.outShape, neg.outShape, sw?.outShape);
  const core = tripletCore(
    dtype,
    torch,
    cap,
    c.reduction,
    margin as number,
    expandTo(pos.norm, pos.outShape, shape),
    expandTo(neg.norm, neg.outShape, shape),
    sw === null ? null : expandTo(sw.norm, sw.outShape, shape),
    shape,
    'aten',
    { pos: pos.dtype, neg: neg.dtype, swap: sw === null ? null : sw.dtype },
  );
  return { core, pos, neg, swap: sw, gradOutput: c.gradOutput };
}

/** The broadcast shape of the distances (they broadcast when the operands do only partly). */
export function broadcastOut(op: string, a: readonly number[], b: readonly number[], c?: readonly number[]): number[] {
  let out = [...a];
  for (const s of c === undefined ? [b] : [b, c]) {
    const n = Math.max(out.length, s.length);
    const next: number[] = [];
    for (let i = 0; i < n; i++) {
      const x = out[out.length - n + i] ?? 1;
      const y = s[s.length - n + i] ?? 1;
      if (x !== y && x !== 1 && y !== 1) {
        throw new LossArgumentError(
          `${op}: The size of tensor a (${x}) must match the size of tensor b (${y}) at non-singleton dimension ${i}`,
        );
      }
      next.push(x === 1 ? y : x);
    }
    out = next;
  }
  return out;
}

/** `values` (shaped `from`) read at every index of the broadcast shape `to`. */
export function expandTo(values: ArrayLike<number>, from: readonly number[], to: readonly number[]): ArrayLike<number> {
  if (from.length === to.length && from.every((d, i) => d === to[i])) return values;
  const n = to.reduce((x, y) => x * y, 1);
  const out = new Float64Array(n);
  const lead = to.length - from.length;
  const strides = new Array<number>(to.length).fill(0);
  let s = 1;
  for (let i = from.length - 1; i >= 0; i--) {
    strides[i + lead] = from[i] === 1 ? 0 : s;
    s *= from[i]!;
  }
  const idx = new Array<number>(to.length).fill(0);
  for (let k = 0; k < n; k++) {
    let off = 0;
    for (let d = 0; d < to.length; d++) off += idx[d]! * strides[d]!;
    out[k] = values[off]!;
    for (let d = to.length - 1; d >= 0; d--) {
      if (++idx[d]! < to[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** A distance's gradient summed back from the broadcast output shape to the distance's own shape. */
export function sumBack(dtype: DType, g: Float64Array, to: readonly number[], from: readonly number[], lanes: number): Float64Array {
  if (from.length === to.length && from.every((d, i) => d === to[i])) return g;
  // Rare (anchor and positive broadcast against negative only partly); a plain sum in ATen's order.
  const out = new Float64Array(from.reduce((x, y) => x * y, 1));
  const idxMap = expandTo(
    Float64Array.from({ length: out.length }, (_, i) => i),
    from,
    to,
  );
  const r = useDType(dtype);
  void lanes;
  for (let k = 0; k < g.length; k++) {
    const j = idxMap[k]!;
    out[j] = r(out[j]! + g[k]!);
  }
  return out;
}

/** F.triplet_margin_loss(anchor, positive, negative, margin=1, p=2, eps=1e-6, swap=False, reduction='mean'). */
export function tripletMarginLoss(anchor: Tensor, positive: Tensor, negative: Tensor, options?: TripletMarginOptions): Tensor {
  return reduceCore((plan(OP, anchor, positive, negative, options) as { core: TripletCore }).core);
}

/** d loss / d anchor, positive and negative, for gradOutput shaped like the forward output. */
export function tripletMarginLossBackward(
  gradOutput: Tensor,
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  options?: TripletMarginOptions,
): TripletGrads {
  const op = `${OP}Backward`;
  const planned = plan(op, anchor, positive, negative, options, gradOutput);
  if ('grads' in planned) return planned.grads;
  const pl = planned as Plan;
  const core = pl.core;
  checkGradOutput(op, gradOutput, core.reduction === 'none' ? core.shape : []);
  const g = coreBackward(core, gradOutput, core.torch.clampMinGradZeroAtMin);
  // each distance's backward in its own dtype; subGradients casts to each operand's, whose buffer adds them
  const gp = subGradients(pl.pos, normBackward(pl.pos, distanceGrad(core, 'pos', g.gPos, pl.pos.outShape)), anchor.shape, positive.shape);
  const gn = subGradients(pl.neg, normBackward(pl.neg, distanceGrad(core, 'neg', g.gNeg, pl.neg.outShape)), anchor.shape, negative.shape);
  const [da, dp, dn] = [anchor, positive, negative].map(dtypeOf) as [DType, DType, DType];
  let gPositive = gp.x2;
  let gNegative = gn.x2;
  if (pl.swap !== null) {
    const gs = subGradients(
      pl.swap,
      normBackward(pl.swap, distanceGrad(core, 'swap', g.gSwap!, pl.swap.outShape)),
      positive.shape,
      negative.shape,
    );
    gPositive = addGrads(dp, gPositive, gs.x1);
    gNegative = addGrads(dn, gNegative, gs.x2);
  }
  return {
    anchor: makeTensor(addGrads(da, gp.x1, gn.x1), anchor.shape, da),
    positive: makeTensor(gPositive, positive.shape, dp),
    negative: makeTensor(gNegative, negative.shape, dn),
  };
}

/** nn.TripletMarginLoss(margin, p, eps, swap, reduction; size_average / reduce as torch's _Loss). */
export const TripletMarginLoss = lossModule3<TripletMarginOptions, Tensor, Tensor, TripletGrads>(
  'TripletMarginLoss',
  tripletMarginLoss,
  tripletMarginLossBackward,
  true,
);
export type TripletMarginLoss = InstanceType<typeof TripletMarginLoss>;
