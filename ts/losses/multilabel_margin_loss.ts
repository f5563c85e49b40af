// nn.MultiLabelMarginLoss / F.multilabel_margin_loss, forward and input gradient.
//
// Mirrors aten/src/ATen/native/LossMultiLabelMargin.cpp. Each row's target lists class indices,
// ended by the first -1. For every listed class j and every class i not listed:
//   z = 1 - x[j] + x[i]  (in the input's dtype);  loss += z when z > 0     (so a NaN z adds nothing)
// A row's sum accumulates in float64 (acc_type on CPU) and is returned in the input's dtype, then
// divided by C. 'none' on a 2-D input divides each row in the dtype; otherwise the rows are summed
// in float64, divided by C (and by N for 'mean') in float64, and rounded once.
// Backward: g = dtype(1 / (N * C)) for 'mean', dtype(1 / C) otherwise; for every z > 0,
// grad[j] -= g and grad[i] += g in the dtype, in the loops' order; then grad *= grad_output. (Each
// element only ever takes the same g, so its count of updates gives its value: see Rise.)

import { checkGradOutput, prepare, torchDTypeName, type CommonOptions, type LossSignature, type Prepared } from '../loss-args.ts';
import { makeTensor } from '../reduction.ts';
import { LossArgumentError, allocate, formatShape, isIndexTensor, type FloatArray, type IndexTensor, type Tensor } from '../tensor.ts';
import { lossModule } from '../loss-module.ts';

export type MultiLabelMarginOptions = CommonOptions;

const OP = 'multilabelMarginLoss';
const SIGNATURE = { tensorOptions: [], target: 'class indices' } as const satisfies LossSignature;

interface Args extends Prepared {
  readonly x: ArrayLike<number>;
  readonly labels: Int32Array;
  readonly rows: number;
  readonly classes: number;
  /** 'none' on a 2-D input gives one loss per row; otherwise torch takes its scalar path. */
  readonly perRow: boolean;
}

function check(
  op: string,
  args: { input: Tensor; target: IndexTensor; gradOutput?: Tensor },
  options: MultiLabelMarginOptions | undefined,
): Args {
  // The reduction first (functional.py's get_enum), then ATen's shape, dtype and range checks.
  const p = prepare(op, SIGNATURE, args, options);
  const { input, target } = p;
  const rank = input.shape.length;
  const emptyBatch = p.torch.mlmlAcceptsEmptyBatch ? 'C > 0' : 'N > 0 and C > 0 before torch 1.8';
  const matrixOk = rank === 2 && input.shape[1]! > 0 && (p.torch.mlmlAcceptsEmptyBatch || input.shape[0]! > 0);
  if (!(rank === 0 || (rank === 1 && input.shape[0]! > 0) || matrixOk)) {
    const torchMessage = p.torch.mlmlAcceptsEmptyBatch
      ? 'Expected non-empty vector or matrix with optional 0-dim batch size, but got: '
      : 'non-empty vector or matrix expected, got size: ';
    throw new LossArgumentError(
      `${op}: ${torchMessage}${formatShape(input.shape)} (input must be a non-empty vector or an (N, C) matrix with ${emptyBatch})`,
    );
  }
  const rows = rank === 2 ? input.shape[0]! : 1;
  const classes = rank === 0 ? 1 : input.shape[rank - 1]!;
  const consistent =
    rank <= 1
      ? target.shape.length <= 1 && target.data.length === classes
      : target.shape.length === 2 && target.shape[0] === rows && target.shape[1] === classes;
  if (!consistent) {
    const torchMessage = p.torch.mlmlTargetSizeNamesInput
      ? `inconsistent target size: ${formatShape(target.shape)} for input of size: ${formatShape(input.shape)}`
      : `inconsistent size ${formatShape(target.shape)} for argument #2 'target'`;
    throw new LossArgumentError(
      `${op}: ${torchMessage} (target shape ${formatShape(target.shape)} is inconsistent with input shape ${formatShape(input.shape)})`,
    );
  }
  if (!isIndexTensor(target)) {
    throw new LossArgumentError(
      `${op}: argument 'target' must hold class indices (Int32Array data, torch.long), got a float tensor (torch: expected scalar type Long but found ${torchDTypeName(target)})`,
    );
  }
  // Stryker disable next-line EqualityOperator: one more pass only writes past the end of a typed array (ignored) and reads undefined
  for (let i = 0; i < target.data.length; i++) {
    const t = target.data[i]!;
    if (t < -1 || t >= classes)
      throw new LossArgumentError(
        `${op}: argument #2 'target' is out of range (target index ${t} at ${i} is out of range for ${classes} classes; -1 ends a row)`,
      );
  }
  return Object.assign(p, { x: input.data, labels: target.data, rows, classes, perRow: p.reduction === 'none' && rank === 2 }); // not a spread: see binary_cross_entropy_with_logits.ts
}

/**
 * The classes `row` does not list, in order, into `unlisted` and their x into `unlistedX`
 * (contiguous for the pair loops; returns their count); `listed` is scratch. Every (listed j,
 * unlisted i) pair is then visited as torch's loops do: j in the target's order (repeats
 * included), i ascending.
 */
function unlistedClasses(a: Args, row: number, listed: Uint8Array, unlisted: Int32Array, unlistedX: Float64Array): number {
  const base = row * a.classes;
  listed.fill(0);
  for (let k = 0; k < a.classes; k++) {
    const t = a.labels[base + k]!;
    if (t < 0) break;
    listed[t] = 1;
  }
  let count = 0;
  for (let i = 0; i < a.classes; i++) {
    if (!listed[i]) {
      unlisted[count] = i;
      unlistedX[count++] = a.x[base + i]!;
    }
  }
  return count;
}

/**
 * Below this magnitude in every element of a row, no z = 1 - x[j] + x[i] is NaN or -inf (in either
 * dtype: |1 - x[j]| + |x[i]| stays below the largest finite float32), so z * (z > 0) is z where z > 0
 * and a zero otherwise, which adds nothing to a sum from +0: the pair loop then needs no branch.
 */
const BRANCHLESS_BOUND = 2 ** 126;

/** Whether every element of the row at base is below BRANCHLESS_BOUND in magnitude (false for a NaN). */
function rowBounded(x: ArrayLike<number>, base: number, classes: number): boolean {
  for (let i = base; i < base + classes; i++) if (!(Math.abs(x[i]!) < BRANCHLESS_BOUND)) return false;
  return true;
}

/**
 * One row's sum of max(0, 1 - x[j] + x[i]) over its (listed j, unlisted i) pairs, in a float64
 * accumulator. The row loops are functions of their own: inside the port's function V8 compiled
 * them on stack replacement, deoptimized at the first statement after them (no type feedback yet)
 * and started over every call, boxing each float: 5 MB of garbage and ~50 ns per element at (1000, 100).
 * A row of bounded values adds z * +(z > 0): V8 compiles `z > 0 ? z : 0` to a branch, which about
 * half the pairs mispredict (2.7-3.8 against 7.0-9.5 ns a pair here: docs/performance.md, 2026-12-03 third session).
 */
function rowSum(a: Args, row: number, listed: Uint8Array, unlisted: Int32Array, unlistedX: Float64Array): number {
  const { x, labels, classes, round: r } = a;
  const count = unlistedClasses(a, row, listed, unlisted, unlistedX);
  const base = row * classes;
  const float32 = a.dtype === 'float32';
  const branchless = rowBounded(x, base, classes);
  let s = 0; // float64 accumulator
  for (let k = 0; k < classes; k++) {
    const j = labels[base + k]!;
    if (j < 0) break;
    const h = r(1 - x[base + j]!);
    // z = 1 - x[j] + x[i]; a NaN z adds nothing. One loop per dtype and kind: no call in the pair loop.
    if (float32 && branchless) {
      for (let u = 0; u < count; u++) {
        const z = Math.fround(h + unlistedX[u]!);
        // Stryker disable next-line EqualityOperator: z >= 0 adds a zero z, which changes no sum
        s += z * +(z > 0);
      }
    } else if (branchless) {
      for (let u = 0; u < count; u++) {
        const z = h + unlistedX[u]!;
        // Stryker disable next-line EqualityOperator: z >= 0 adds a zero z, which changes no sum
        s += z * +(z > 0);
      }
    } else if (float32) {
      for (let u = 0; u < count; u++) {
        const z = Math.fround(h + unlistedX[u]!);
        // Stryker disable next-line EqualityOperator: z >= 0 adds a zero z, which changes no sum
        s += z > 0 ? z : 0;
      }
    } else {
      for (let u = 0; u < count; u++) {
        const z = h + unlistedX[u]!;
        // Stryker disable next-line EqualityOperator: z >= 0 adds a zero z, which changes no sum
        s += z > 0 ? z : 0;
      }
    }
  }
  return r(s);
}

export function multilabelMarginLoss(input: Tensor, target: IndexTensor, options?: MultiLabelMarginOptions): Tensor {
  const a = check(OP, { input, target }, options);
  const { classes, round: r } = a;
  const rowSums = new Float64Array(a.rows);
  const listed = new Uint8Array(classes);
  const unlisted = new Int32Array(classes);
  const unlistedX = new Float64Array(classes);
  // Stryker disable next-line EqualityOperator: one more pass only writes past the end of a typed array (ignored) and reads undefined
  for (let row = 0; row < a.rows; row++) rowSums[row] = rowSum(a, row, listed, unlisted, unlistedX);
  if (a.perRow)
    return makeTensor(
      rowSums.map((s) => r(s / classes)),
      [a.rows],
      a.dtype,
    );
  let total = 0;
  for (const s of rowSums) total += s;
  total /= classes;
  if (a.reduction === 'mean') total /= a.rows;
  return makeTensor([r(total)], [], a.dtype);
}

/**
 * The values torch's gradient elements pass through: rise[k] = dtype(rise[k - 1] + g) from rise[0]
 * = 0, grown on demand. A listed class only ever takes -g and an unlisted one only +g (the two are
 * disjoint), each update rounded in the dtype, so an element that took k updates holds -rise[k] or
 * rise[k] (rounding to nearest is symmetric in sign): its count of pairs with z > 0 decides it, not
 * the order, and the pair loop counts instead of running a chain of rounded adds per element.
 */
class Rise {
  private values = new Float64Array(64);
  private known = 1;
  private readonly g: number;
  private readonly r: (v: number) => number;
  constructor(g: number, r: (v: number) => number) {
    this.g = g;
    this.r = r;
  }

  at(k: number): number {
    if (k >= this.known) {
      if (k >= this.values.length) {
        const grown = new Float64Array(Math.max(k + 1, this.values.length * 2));
        grown.set(this.values.subarray(0, this.known));
        this.values = grown;
      }
      for (let i = this.known; i <= k; i++) this.values[i] = this.r(this.values[i - 1]! + this.g);
      this.known = k + 1;
    }
    return this.values[k]!;
  }
}

/**
 * One row's gradient before grad_output into grad: each listed class -rise[its pairs with z > 0]
 * (repeats of a class in the target add up), each unlisted one rise[its pairs]; +0 for none, as
 * the zeroed gradient torch starts from. The scratch arrays as rowSum's, and per class counts.
 */
function rowGradient(
  a: Args,
  row: number,
  rise: Rise,
  grad: FloatArray,
  listed: Uint8Array,
  unlisted: Int32Array,
  unlistedX: Float64Array,
  listedPairs: Int32Array,
  unlistedPairs: Int32Array,
): void {
  const { x, labels, classes, round: r } = a;
  const count = unlistedClasses(a, row, listed, unlisted, unlistedX);
  const base = row * classes;
  const float32 = a.dtype === 'float32';
  unlistedPairs.fill(0, 0, count);
  let k = 0;
  for (; k < classes; k++) {
    const j = labels[base + k]!;
    if (j < 0) break;
    listedPairs[j] = 0;
  }
  for (let l = 0; l < k; l++) {
    const j = labels[base + l]!;
    const h = r(1 - x[base + j]!);
    let pairs = 0;
    // one loop per dtype: no call in the pair loop; a NaN z counts as z <= 0, as in torch
    if (float32) {
      for (let u = 0; u < count; u++) {
        const hit = +(Math.fround(h + unlistedX[u]!) > 0); // no branch (see rowSum)
        pairs += hit;
        unlistedPairs[u] += hit;
      }
    } else {
      for (let u = 0; u < count; u++) {
        const hit = +(h + unlistedX[u]! > 0);
        pairs += hit;
        unlistedPairs[u] += hit;
      }
    }
    listedPairs[j] += pairs;
  }
  for (let l = 0; l < k; l++) {
    const j = labels[base + l]!;
    const n = listedPairs[j]!;
    grad[base + j] = n === 0 ? 0 : -rise.at(n);
  }
  for (let u = 0; u < count; u++) grad[base + unlisted[u]!] = rise.at(unlistedPairs[u]!);
}

/** d loss / d input for a gradOutput shaped like the forward output. */
export function multilabelMarginLossBackward(
  gradOutput: Tensor,
  input: Tensor,
  target: IndexTensor,
  options?: MultiLabelMarginOptions,
): Tensor {
  const op = `${OP}Backward`;
  const a = check(op, { input, target, gradOutput }, options);
  checkGradOutput(op, gradOutput, a.perRow ? [a.rows] : []);
  const { x, classes, round: r } = a;
  const rise = new Rise(r(a.reduction === 'mean' ? 1 / (a.rows * classes) : 1 / classes), r);
  const grad = allocate(a.dtype, x.length);
  const listed = new Uint8Array(classes);
  const unlisted = new Int32Array(classes);
  const unlistedX = new Float64Array(classes);
  const listedPairs = new Int32Array(classes);
  const unlistedPairs = new Int32Array(classes);
  // Stryker disable next-line EqualityOperator: one more pass only writes past the end of a typed array (ignored) and reads undefined
  for (let row = 0; row < a.rows; row++) rowGradient(a, row, rise, grad, listed, unlisted, unlistedX, listedPairs, unlistedPairs);
  const go = gradOutput.data;
  // Stryker disable next-line EqualityOperator: one more pass only writes past the end of a typed array (ignored) and reads undefined
  for (let k = 0; k < grad.length; k++) grad[k] = r(grad[k]! * go[a.perRow ? Math.floor(k / classes) : 0]!);
  return makeTensor(grad, input.shape, a.dtype);
}

/** nn.MultiLabelMarginLoss: the options fixed at construction, as torch's module. */
export const MultiLabelMarginLoss = lossModule<MultiLabelMarginOptions, IndexTensor>(
  'MultiLabelMarginLoss',
  multilabelMarginLoss,
  multilabelMarginLossBackward,
);
export type MultiLabelMarginLoss = InstanceType<typeof MultiLabelMarginLoss>;
