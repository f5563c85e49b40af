// nn.MultiMarginLoss / F.multi_margin_loss, forward and input gradient.
//
// Mirrors aten/src/ATen/native/LossMultiMargin.cpp (multi_margin_loss_cpu_kernel and
// multi_margin_loss_inner_sum_cpu; multi_margin_loss_backward_cpu_kernel), the same arithmetic from
// torch 1.7 to 2.14 (measured). All in the input's dtype (scalar_t), margin converted to it once:
//   per row, y = target, for every class d != y in order:
//     z = (margin - x[y]) + x[d];  if z > 0: h = z (p = 1) or z * z (p = 2); h *= weight[y]; sum += h
//   (a NaN z adds nothing), then sum /= C: one loss per row in the dtype.
// 'none' with a 1-D target gives those (N,) (a (C) input with a (1,) target: (1,)); otherwise
// (a 0-d target, or 'mean' / 'sum') the row losses are added in float64 (acc_type), divided by N
// in float64 for 'mean', and rounded once.
// Backward: g = dtype(1 / (N * C)) for 'mean', dtype(1 / C) otherwise; per row, for d != y with
// z > 0: h = g (p = 1) or (2 * g) * z (p = 2), h *= weight[y]; grad[d] = h, grad[y] -= h (in d's
// order); then every element times grad_output (the one value, or its row's).
//
// Checks in torch's order: functional.py's _Reduction.get_enum, p (1 or 2: ValueError), weight.dim()
// == 1 (ValueError), the argument parser (margin a Number: TypeError), then ATen: the input's rank
// and sizes, the target's size, weight.numel() == C (torch >= 2.1, pytorch#104852), an empty input
// returns here, then target dtype (Long), weight dtype (the input's), margin's conversion to float
// (c10's checked_convert: finite beyond FLT_MAX overflows), each row's target in [0, C) ("target out of range").
// A torch.long input fails at the kernel's dtype dispatch, after the weight-size check and the empty
// return (NotImplementedError from 2.8, dispatchRaisesNotImplementedError). Release differences
// (ts/torch-version.ts): multiMarginAcceptsEmptyBatch (1.8), multiMarginTargetSizeSaysExpected and
// multiMarginChecksWeightSize (2.1), multiMarginTargetSizeMessageDescriptive (2.11). Before 2.1 a
// weight shorter than C is read past its end where a target indexes there: this port throws instead.
// An empty batch's 'mean' / 'sum' is memory torch never wrote (1.8 to 2.14): this port gives the
// kernel's unrun loop's values, NaN ('mean', 0 / 0) and 0 ('sum').
// Speed: two rows per loop (each row's sum its own chain, in class order), z > 0 selected by a
// table (adding +0 changes no sum), grad_output's product in the gradient loop: same values.
// float32 runs those loops as WebAssembly SIMD (../wasm/vectors.ts, ../wasm/assembly/vectors.ts:
// four rows at a time, one per lane), bit for bit the JS loops' values.

import {
  checkGradOutput,
  copyOptions,
  prepare,
  torchDTypeName,
  type CommonOptions,
  type LossSignature,
  type Prepared,
} from '../loss-args.ts';
import { lossModule } from '../loss-module.ts';
import { useDType } from '../numerics.ts';
import { makeTensor } from '../reduction.ts';
import {
  LossArgumentError,
  allocate,
  checkAnyTensor,
  dtypeOf,
  formatShape,
  isIndexTensor,
  toFloatTensor,
  type IndexTensor,
  type Tensor,
} from '../tensor.ts';
import { vectorKernels } from '../wasm/vectors.ts';

export interface MultiMarginOptions extends CommonOptions {
  /** 1 or 2 (torch: `p != 1 and p != 2` raises ValueError; True is 1). Default 1. */
  p?: number | boolean;
  /** Any number (non-finite included); converted to the input's dtype. Default 1. */
  margin?: number | boolean;
  /** A per-class weight (C), of the input's dtype; weight[target] scales each row's terms. (An IndexTensor is torch.long: torch's dtype error.) */
  weight?: Tensor | IndexTensor | null;
}

const OP = 'multiMarginLoss';
const SIGNATURE = { tensorOptions: ['weight'], target: 'class indices', options: ['p', 'margin'] } as const satisfies LossSignature;
const FLT_MAX = 3.4028234663852886e38;

interface Args extends Prepared {
  readonly x: ArrayLike<number>;
  readonly labels: Int32Array;
  readonly rows: number;
  readonly classes: number;
  readonly p: 1 | 2;
  /** margin in the input's dtype. */
  readonly margin: number;
  readonly w: ArrayLike<number> | null;
  /** 'none' with a 1-D target: one loss per row, shape (N,); otherwise a 0-d result. */
  readonly perRow: boolean;
  readonly empty: boolean;
}

/** Python's type name of a value torch's argument parser rejects as a Number. */
function pythonTypeName(value: unknown): string {
  if (value === null) return 'NoneType';
  if (typeof value === 'string') return 'str';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'dict';
  return typeof value;
}

function check(
  op: string,
  args: { input: Tensor | IndexTensor; target: IndexTensor; gradOutput?: Tensor },
  options: MultiMarginOptions | undefined,
): Args {
  // A torch.long input or weight gets as far as the kernel's dtype dispatch / data_ptr: checked as
  // float32 stand-ins until then.
  checkAnyTensor(args.input, op, 'input');
  const intInput = isIndexTensor(args.input);
  const opts = copyOptions(options, ['weight']);
  const givenWeight = opts !== null && typeof opts === 'object' ? (opts as Record<string, unknown>).weight : undefined;
  let intWeight = false;
  if (givenWeight !== undefined && givenWeight !== null) {
    checkAnyTensor(givenWeight, op, 'weight');
    if (isIndexTensor(givenWeight)) {
      intWeight = true;
      (opts as Record<string, unknown>).weight = toFloatTensor(givenWeight, 'float32');
    }
  }
  const input = intInput ? toFloatTensor(args.input as IndexTensor, 'float32') : (args.input as Tensor);
  const pr = prepare(op, SIGNATURE, { ...args, input }, opts);
  const { target, weight, torch } = pr;
  // functional.py: p, then weight.dim()
  const pGiven = pr.extra.p === undefined ? 1 : pr.extra.p;
  const p = pGiven === true ? 1 : pGiven;
  if (p !== 1 && p !== 2) {
    throw new LossArgumentError(`${op}: only p == 1 and p == 2 supported (got p = ${String(pGiven)})`, 'ValueError');
  }
  if (weight !== null && weight.shape.length !== 1) {
    throw new LossArgumentError(`${op}: weight must be one-dimensional (got shape ${formatShape(weight.shape)})`, 'ValueError');
  }
  // torch._C._nn.multi_margin_loss's parser: margin is a Number (a bool is one)
  const marginGiven = pr.extra.margin === undefined ? 1 : pr.extra.margin;
  if (typeof marginGiven !== 'number' && typeof marginGiven !== 'boolean') {
    throw new LossArgumentError(
      `${op}: multi_margin_loss(): argument 'margin' (position 4) must be Number, not ${pythonTypeName(marginGiven)}`,
      'TypeError',
    );
  }
  const marginValue = Number(marginGiven);
  // ATen: multi_margin_loss_shape_check
  const shape = input.shape;
  const rank = shape.length;
  const valid =
    rank === 0 ||
    (rank === 1 && shape[0]! !== 0) ||
    (rank === 2 && shape[1]! !== 0 && (torch.multiMarginAcceptsEmptyBatch || shape[0]! !== 0));
  if (!valid) {
    const torchMessage = torch.multiMarginAcceptsEmptyBatch
      ? 'Expected non-empty vector or matrix with optional 0-dim batch size, but got: '
      : 'non-empty vector or matrix expected, got size: ';
    const batch = torch.multiMarginAcceptsEmptyBatch ? '' : ', N > 0 before torch 1.8';
    throw new LossArgumentError(
      `${op}: ${torchMessage}${formatShape(shape)} (input must be 0-d, a non-empty (C) vector or an (N, C) matrix with C > 0${batch})`,
    );
  }
  const rows = rank === 2 ? shape[0]! : 1;
  const classes = rank === 0 ? 1 : shape[rank - 1]!;
  if (!(target.shape.length <= 1 && target.data.length === rows)) {
    const got = formatShape(target.shape);
    const torchMessage = torch.multiMarginTargetSizeMessageDescriptive
      ? `multi_margin_loss: target tensor should be 1-D with size equal to the number of input samples (batch size). Expected target size [${rows}], but got ${got}. Input has shape ${formatShape(shape)}.`
      : torch.multiMarginTargetSizeSaysExpected
        ? `inconsistent target size, expected ${rows} but got ${got}`
        : `inconsistent target size, got: ${got}`;
    throw new LossArgumentError(`${op}: ${torchMessage} (the target holds one class index per sample: ${rows}, 0-d or 1-D)`);
  }
  if (weight !== null && torch.multiMarginChecksWeightSize && weight.data.length !== classes) {
    throw new LossArgumentError(
      `${op}: inconsistent weight size, expected ${classes} but got ${formatShape(weight.shape)} (weight holds one value per class)`,
    );
  }
  const dtype = dtypeOf(input);
  const round = useDType(dtype); // prepare promoted to float64 for a float64 weight: torch keeps the input's dtype
  const perRow = pr.reduction === 'none' && target.shape.length > 0;
  const empty = input.data.length === 0;
  const base = Object.assign(pr, { dtype, round, x: input.data, labels: new Int32Array(0), rows, classes, p: p as 1 | 2, perRow, empty }); // not a spread: see binary_cross_entropy_with_logits.ts
  if (empty) return Object.assign(base, { margin: 0, w: null });
  if (intInput) {
    throw new LossArgumentError(
      `${op}: "multi_margin_loss_cpu_kernel" not implemented for 'Long' (input must be float32 or float64)`,
      torch.dispatchRaisesNotImplementedError ? 'NotImplementedError' : 'RuntimeError',
    );
  }
  // the kernel's data_ptr<int64_t>(), data_ptr<scalar_t>() and margin.to<scalar_t>(), in that order
  if (!isIndexTensor(target)) {
    throw new LossArgumentError(
      `${op}: argument 'target' must hold class indices (Int32Array data, torch.long), got a float tensor (torch: expected scalar type Long but found ${torchDTypeName(target)})`,
    );
  }
  if (weight !== null && (intWeight || dtypeOf(weight) !== dtype)) {
    throw new LossArgumentError(
      `${op}: weight must have the input's dtype ${dtype} (torch: expected scalar type ${torchDTypeName(input)} but found ${intWeight ? 'Long' : torchDTypeName(weight)})`,
    );
  }
  if (dtype === 'float32' && Number.isFinite(marginValue) && Math.abs(marginValue) > FLT_MAX) {
    throw new LossArgumentError(
      `${op}: value cannot be converted to type float without overflow (margin ${marginValue} is beyond float32's range)`,
    );
  }
  const labels = target.data;
  for (let t = 0; t < rows; t++) {
    const y = labels[t]!;
    if (!(y >= 0 && y < classes)) {
      throw new LossArgumentError(`${op}: target out of range (target ${y} of sample ${t} is not a class index in [0, ${classes}))`);
    }
    if (weight !== null && y >= weight.data.length) {
      // torch < 2.1 reads weight[y] past the weight's end: memory it never wrote
      throw new LossArgumentError(
        `${op}: inconsistent weight size, expected ${classes} but got ${formatShape(weight.shape)} (target ${y} reads past the weight's end, which torch ${torch.version} does without a check: undefined)`,
      );
    }
  }
  return Object.assign(base, { labels, margin: round(marginValue), w: weight === null ? null : weight.data });
}

/**
 * Each row's loss in the dtype, as multi_margin_inner_sum_cpu, into `out`. Without a weight the
 * terms are multiplied by 1, which changes no value (NaN and inf included): one loop for both.
 */
function rowLosses(a: Args): Float64Array | Float32Array {
  const k = a.dtype === 'float32' ? vectorKernels() : null;
  if (k) {
    // the same loop in WebAssembly SIMD, four rows at a time (../wasm/assembly/vectors.ts multiMarginRows)
    const out = new Float32Array(a.rows);
    if (k.multiMarginRows(a.x as Float32Array, a.labels, a.classes, a.w as Float32Array | null, a.margin, a.p === 2, out)) return out;
  }
  const out = new Float64Array(a.rows);
  const wy = a.w;
  if (a.dtype === 'float32') rowLosses32(a.x as Float32Array, a.labels, a.classes, a.margin, wy, a.p, out);
  else rowLosses64(a.x as Float64Array, a.labels, a.classes, a.margin, wy, a.p, out);
  return out;
}

/**
 * Selections by table: pick[Number(z > 0)] compiles without a branch, where `if (z > 0)` is one
 * that random logits mispredict about half the time. Slot 0 holds 0: adding (or subtracting) +0
 * to a sum that starts at +0 changes no value (such a sum is never -0; NaN stays NaN), and a
 * gradient element that gets no term is 0, as before, times grad_output.
 */
const pick = new Float64Array(4);

function rowLosses32(
  x: Float32Array,
  labels: Int32Array,
  classes: number,
  margin: number,
  w: ArrayLike<number> | null,
  p: 1 | 2,
  out: Float64Array,
): void {
  const f = Math.fround;
  const c = f(classes); // sum /= dim: the int64 dim converted to float (inexact beyond 2^24 classes)
  const s = pick;
  s[0] = 0;
  s[2] = 0;
  // two rows at a time: each row's sum is its own chain of adds in class order, so two chains
  // overlap (the kernel's order per row; the target's class adds +0 by the table)
  let t = 0;
  for (; t + 1 < out.length; t += 2) {
    const b0 = t * classes;
    const b1 = b0 + classes;
    const y0 = labels[t]!;
    const y1 = labels[t + 1]!;
    const h0 = f(margin - x[b0 + y0]!);
    const h1 = f(margin - x[b1 + y1]!);
    const w0 = w === null ? 1 : w[y0]!;
    const w1 = w === null ? 1 : w[y1]!;
    let sum0 = 0;
    let sum1 = 0;
    for (let k = 0; k < classes; k++) {
      const z0 = f(h0 + x[b0 + k]!);
      const z1 = f(h1 + x[b1 + k]!);
      s[1] = p === 1 ? f(z0 * w0) : f(f(z0 * z0) * w0);
      s[3] = p === 1 ? f(z1 * w1) : f(f(z1 * z1) * w1);
      sum0 = f(sum0 + s[Number(z0 > 0) & Number(k !== y0)]!);
      sum1 = f(sum1 + s[2 + (Number(z1 > 0) & Number(k !== y1))]!);
    }
    out[t] = f(sum0 / c);
    out[t + 1] = f(sum1 / c);
  }
  for (; t < out.length; t++) {
    const base = t * classes;
    const skip = base + labels[t]!;
    const end = base + classes;
    const h0 = f(margin - x[skip]!);
    const wy = w === null ? 1 : w[labels[t]!]!;
    let sum = 0;
    // the classes before the target's, then after it (the kernel's `if (d == target_idx) continue`)
    for (let k = base, stop = skip; ; k = skip + 1, stop = end) {
      if (p === 1) {
        for (; k < stop; k++) {
          const z = f(h0 + x[k]!);
          s[1] = f(z * wy);
          sum = f(sum + s[Number(z > 0)]!);
        }
      } else {
        for (; k < stop; k++) {
          const z = f(h0 + x[k]!);
          s[1] = f(f(z * z) * wy);
          sum = f(sum + s[Number(z > 0)]!);
        }
      }
      if (stop === end) break;
    }
    out[t] = f(sum / c);
  }
}

function rowLosses64(
  x: Float64Array,
  labels: Int32Array,
  classes: number,
  margin: number,
  w: ArrayLike<number> | null,
  p: 1 | 2,
  out: Float64Array,
): void {
  const s = pick;
  s[0] = 0;
  s[2] = 0;
  // two rows at a time: each row's sum is its own chain of adds in class order, so two chains
  // overlap (the kernel's order per row; the target's class adds +0 by the table)
  let t = 0;
  for (; t + 1 < out.length; t += 2) {
    const b0 = t * classes;
    const b1 = b0 + classes;
    const y0 = labels[t]!;
    const y1 = labels[t + 1]!;
    const h0 = margin - x[b0 + y0]!;
    const h1 = margin - x[b1 + y1]!;
    const w0 = w === null ? 1 : w[y0]!;
    const w1 = w === null ? 1 : w[y1]!;
    let sum0 = 0;
    let sum1 = 0;
    for (let k = 0; k < classes; k++) {
      const z0 = h0 + x[b0 + k]!;
      const z1 = h1 + x[b1 + k]!;
      s[1] = p === 1 ? z0 * w0 : z0 * z0 * w0;
      s[3] = p === 1 ? z1 * w1 : z1 * z1 * w1;
      sum0 = sum0 + s[Number(z0 > 0) & Number(k !== y0)]!;
      sum1 = sum1 + s[2 + (Number(z1 > 0) & Number(k !== y1))]!;
    }
    out[t] = sum0 / classes;
    out[t + 1] = sum1 / classes;
  }
  for (; t < out.length; t++) {
    const base = t * classes;
    const skip = base + labels[t]!;
    const end = base + classes;
    const h0 = margin - x[skip]!;
    const wy = w === null ? 1 : w[labels[t]!]!;
    let sum = 0;
    for (let k = base, stop = skip; ; k = skip + 1, stop = end) {
      if (p === 1) {
        for (; k < stop; k++) {
          const z = h0 + x[k]!;
          s[1] = z * wy;
          sum += s[Number(z > 0)]!;
        }
      } else {
        for (; k < stop; k++) {
          const z = h0 + x[k]!;
          s[1] = z * z * wy;
          sum += s[Number(z > 0)]!;
        }
      }
      if (stop === end) break;
    }
    out[t] = sum / classes;
  }
}

export function multiMarginLoss(input: Tensor | IndexTensor, target: IndexTensor, options?: MultiMarginOptions): Tensor {
  const a = check(OP, { input, target }, options);
  if (a.perRow) return makeTensor(a.empty ? [] : rowLosses(a), [a.rows], a.dtype);
  if (a.empty) return makeTensor([a.reduction === 'mean' ? Number.NaN : 0], [], a.dtype);
  let total = 0; // float64 (acc_type)
  for (const s of rowLosses(a)) total += s;
  if (a.reduction === 'mean') total /= a.rows;
  return makeTensor([a.round(total)], [], a.dtype);
}

/**
 * multi_margin_loss_backward_cpu_kernel's rows: h = g (p = 1) or (2 * g) * z (p = 2; 2 * g is
 * exact), times weight[y] (1 without a weight: no change), then each element times grad_output
 * (`go[0]`, or its row's `go[t]` when perRow), which torch does as a second pass over the
 * gradient: the same product per element.
 */
function gradRows32(x: Float32Array, a: Args, g: number, go: ArrayLike<number>, grad: Float32Array): void {
  const { labels, classes, margin, w, p, perRow } = a;
  const f = Math.fround;
  const g2 = 2 * g;
  const s = pick;
  s[0] = 0;
  s[2] = 0;
  // two rows at a time (each row's gy its own chain, in class order; the target's class subtracts +0)
  let t = 0;
  for (; t + 1 < a.rows; t += 2) {
    const b0 = t * classes;
    const b1 = b0 + classes;
    const y0 = labels[t]!;
    const y1 = labels[t + 1]!;
    const h00 = f(margin - x[b0 + y0]!);
    const h01 = f(margin - x[b1 + y1]!);
    const w0 = w === null ? 1 : w[y0]!;
    const w1 = w === null ? 1 : w[y1]!;
    const hw0 = f(g * w0);
    const hw1 = f(g * w1);
    const out0 = go[perRow ? t : 0]!;
    const out1 = go[perRow ? t + 1 : 0]!;
    let gy0 = 0;
    let gy1 = 0;
    for (let k = 0; k < classes; k++) {
      const z0 = f(h00 + x[b0 + k]!);
      const z1 = f(h01 + x[b1 + k]!);
      s[1] = p === 1 ? hw0 : f(f(g2 * z0) * w0);
      s[3] = p === 1 ? hw1 : f(f(g2 * z1) * w1);
      const e0 = s[Number(z0 > 0) & Number(k !== y0)]!;
      const e1 = s[2 + (Number(z1 > 0) & Number(k !== y1))]!;
      gy0 = f(gy0 - e0);
      gy1 = f(gy1 - e1);
      grad[b0 + k] = e0 * out0;
      grad[b1 + k] = e1 * out1;
    }
    grad[b0 + y0] = gy0 * out0;
    grad[b1 + y1] = gy1 * out1;
  }
  for (; t < a.rows; t++) {
    const base = t * classes;
    const skip = base + labels[t]!;
    const end = base + classes;
    const h0 = f(margin - x[skip]!);
    const wy = w === null ? 1 : w[labels[t]!]!;
    const h1 = f(g * wy);
    const out = go[perRow ? t : 0]!; // not rounded: the product is
    let gy = 0;
    for (let k = base, stop = skip; ; k = skip + 1, stop = end) {
      for (; k < stop; k++) {
        const z = f(h0 + x[k]!);
        s[1] = p === 1 ? h1 : f(f(g2 * z) * wy);
        const h = s[Number(z > 0)]!;
        gy = f(gy - h);
        grad[k] = h * out;
      }
      if (stop === end) break;
    }
    grad[skip] = gy * out;
  }
}

function gradRows64(x: Float64Array, a: Args, g: number, go: ArrayLike<number>, grad: Float64Array): void {
  const { labels, classes, margin, w, p, perRow } = a;
  const g2 = 2 * g;
  const s = pick;
  s[0] = 0;
  s[2] = 0;
  // two rows at a time (each row's gy its own chain, in class order; the target's class subtracts +0)
  let t = 0;
  for (; t + 1 < a.rows; t += 2) {
    const b0 = t * classes;
    const b1 = b0 + classes;
    const y0 = labels[t]!;
    const y1 = labels[t + 1]!;
    const h00 = margin - x[b0 + y0]!;
    const h01 = margin - x[b1 + y1]!;
    const w0 = w === null ? 1 : w[y0]!;
    const w1 = w === null ? 1 : w[y1]!;
    const hw0 = g * w0;
    const hw1 = g * w1;
    const out0 = go[perRow ? t : 0]!;
    const out1 = go[perRow ? t + 1 : 0]!;
    let gy0 = 0;
    let gy1 = 0;
    for (let k = 0; k < classes; k++) {
      const z0 = h00 + x[b0 + k]!;
      const z1 = h01 + x[b1 + k]!;
      s[1] = p === 1 ? hw0 : g2 * z0 * w0;
      s[3] = p === 1 ? hw1 : g2 * z1 * w1;
      const e0 = s[Number(z0 > 0) & Number(k !== y0)]!;
      const e1 = s[2 + (Number(z1 > 0) & Number(k !== y1))]!;
      gy0 = gy0 - e0;
      gy1 = gy1 - e1;
      grad[b0 + k] = e0 * out0;
      grad[b1 + k] = e1 * out1;
    }
    grad[b0 + y0] = gy0 * out0;
    grad[b1 + y1] = gy1 * out1;
  }
  for (; t < a.rows; t++) {
    const base = t * classes;
    const skip = base + labels[t]!;
    const end = base + classes;
    const h0 = margin - x[skip]!;
    const wy = w === null ? 1 : w[labels[t]!]!;
    const h1 = g * wy;
    const out = go[perRow ? t : 0]!;
    let gy = 0;
    for (let k = base, stop = skip; ; k = skip + 1, stop = end) {
      for (; k < stop; k++) {
        const z = h0 + x[k]!;
        s[1] = p === 1 ? h1 : g2 * z * wy;
        const h = s[Number(z > 0)]!;
        gy -= h;
        grad[k] = h * out;
      }
      if (stop === end) break;
    }
    grad[skip] = gy * out;
  }
}

/** d loss / d input for a gradOutput shaped like the forward output. */
export function multiMarginLossBackward(
  gradOutput: Tensor,
  input: Tensor | IndexTensor,
  target: IndexTensor,
  options?: MultiMarginOptions,
): Tensor {
  const op = `${OP}Backward`;
  const a = check(op, { input, target, gradOutput }, options);
  checkGradOutput(op, gradOutput, a.perRow ? [a.rows] : []);
  const grad = allocate(a.dtype, a.x.length);
  if (a.empty) return makeTensor(grad, input.shape, a.dtype);
  const g = a.round(a.reduction === 'mean' ? 1 / (a.rows * a.classes) : 1 / a.classes);
  const go = gradOutput.data;
  const k = a.dtype === 'float32' && go instanceof Float32Array ? vectorKernels() : null;
  const w = a.w as Float32Array | null;
  if (
    k?.multiMarginGrad(
      a.x as Float32Array,
      a.labels,
      a.classes,
      w,
      a.margin,
      a.p === 2,
      g,
      go as Float32Array,
      a.perRow,
      grad as Float32Array,
    )
  ) {
    // the same loop in WebAssembly SIMD, four rows at a time (../wasm/assembly/vectors.ts multiMarginGrad)
  } else if (a.dtype === 'float32') gradRows32(a.x as Float32Array, a, g, go, grad as Float32Array);
  else gradRows64(a.x as Float64Array, a, g, go, grad as Float64Array);
  return makeTensor(grad, input.shape, a.dtype);
}

/** nn.MultiMarginLoss: the options fixed at construction, as torch's module. */
export const MultiMarginLoss = lossModule<MultiMarginOptions, IndexTensor>('MultiMarginLoss', multiMarginLoss, multiMarginLossBackward);
export type MultiMarginLoss = InstanceType<typeof MultiMarginLoss>;
