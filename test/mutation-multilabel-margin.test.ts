// MultiLabelMarginLoss on rows whose target has no -1: every one of the C entries is a label
// (repeats allowed), so the label scan ends at the row's end, not at a -1, and must not read into
// the next row. Values from torch 1.13.0a0 (Debian's python3-torch):
//   x = [[0.1, 0.2, 0.4, 0.8], [0.3, -0.2, 0.5, 0.1], [0.7, 0.6, -0.4, 0.2]]
//   y = [[3, 3, 0, 1], [2, 0, 1, 3], [0, 2, -1, 1]]
//   F.multilabel_margin_loss(x, y, reduction=...) and the gradient of its sum.

import { expect, test } from 'vitest';
import { multilabelMarginLoss, multilabelMarginLossBackward, tensor } from '../ts/index.ts';

const X = [
  [0.1, 0.2, 0.4, 0.8],
  [0.3, -0.2, 0.5, 0.1],
  [0.7, 0.6, -0.4, 0.2],
];
const Y = tensor(
  [
    [3, 3, 0, 1],
    [2, 0, 1, 3],
    [0, 2, -1, 1],
  ],
  { dtype: 'int64' },
);

const TORCH = {
  float32: {
    none: [0.925000011920929, 0, 1.25],
    sum: 2.174999952316284,
    mean: 0.7250000238418579,
    meanGrad: [-0.0833333358168602, 0.3333333432674408, 0.1666666716337204],
  },
  float64: {
    none: [0.925, 0, 1.25],
    sum: 2.175,
    mean: 0.725,
    meanGrad: [-0.08333333333333333, 0.3333333333333333, 0.16666666666666666],
  },
} as const;

for (const dtype of ['float32', 'float64'] as const) {
  test(`${dtype}: rows listing all C classes (no -1) as torch 1.13`, () => {
    const x = tensor(X, { dtype });
    const want = TORCH[dtype];
    expect(Array.from(multilabelMarginLoss(x, Y, { reduction: 'none' }).data)).toEqual(want.none);
    expect(multilabelMarginLoss(x, Y, { reduction: 'sum' }).data[0]).toBe(want.sum);
    expect(multilabelMarginLoss(x, Y).data[0]).toBe(want.mean);
    // torch: the gradient of the sum (and of the 'none' losses' sum) is [-0.25, -0.25, 1, -0.5, 0 x 4, -0.5, 0.5, -0.5, 0.5]
    const sumGrad = [-0.25, -0.25, 1, -0.5, 0, 0, 0, 0, -0.5, 0.5, -0.5, 0.5];
    expect(Array.from(multilabelMarginLossBackward(tensor(1, { dtype }), x, Y, { reduction: 'sum' }).data)).toEqual(sumGrad);
    expect(Array.from(multilabelMarginLossBackward(tensor([1, 1, 1], { dtype }), x, Y, { reduction: 'none' }).data)).toEqual(sumGrad);
    const [a, b, c] = want.meanGrad;
    expect(Array.from(multilabelMarginLossBackward(tensor(1, { dtype }), x, Y).data)).toEqual([a, a, b, -c, 0, 0, 0, 0, -c, c, -c, c]);
  });
}

// The backward counts each element's pairs with z > 0 and reads the value that many rounded
// updates of g reach (ts/losses/multilabel_margin_loss.ts Rise). Against torch's loop as written
// (LossMultiLabelMargin.cpp multilabel_margin_loss_backward_out_frame: grad[j] -= g, grad[d] += g,
// each rounded in the dtype, in the loops' order), bit for bit: many classes (so k g is inexact
// and the count's value matters), repeated labels, NaN and inf inputs, every reduction.
function torchLoopGradient(
  x: Float32Array | Float64Array,
  labels: Int32Array,
  rows: number,
  C: number,
  reduction: string,
  go: ArrayLike<number>,
) {
  const f32 = x instanceof Float32Array;
  const r = f32 ? Math.fround : (v: number) => v;
  const g = r(reduction === 'mean' ? 1 / (rows * C) : 1 / C);
  const grad = f32 ? new Float32Array(x.length) : new Float64Array(x.length);
  for (let n = 0; n < rows; n++) {
    const base = n * C;
    const isTarget = new Uint8Array(C);
    for (let k = 0; k < C && labels[base + k]! >= 0; k++) isTarget[labels[base + k]!] = 1;
    for (let k = 0; k < C; k++) {
      const t = labels[base + k]!;
      if (t < 0) break;
      const h = r(1 - x[base + t]!);
      for (let d = 0; d < C; d++) {
        if (isTarget[d]) continue;
        if (r(h + x[base + d]!) > 0) {
          grad[base + t] = r(grad[base + t]! - g);
          grad[base + d] = r(grad[base + d]! + g);
        }
      }
    }
  }
  for (let i = 0; i < grad.length; i++) grad[i] = r(grad[i]! * go[reduction === 'none' ? Math.floor(i / C) : 0]!);
  return grad;
}

/** torch's forward loop (multilabel_margin_loss_forward_out_frame): per row, sum += z for z > 0 in acc_type (double), in the loops' order. */
function torchLoopRowSums(x: Float32Array | Float64Array, labels: Int32Array, rows: number, C: number): number[] {
  const r = x instanceof Float32Array ? Math.fround : (v: number) => v;
  const sums: number[] = [];
  for (let n = 0; n < rows; n++) {
    const base = n * C;
    const isTarget = new Uint8Array(C);
    for (let k = 0; k < C && labels[base + k]! >= 0; k++) isTarget[labels[base + k]!] = 1;
    let sum = 0;
    for (let k = 0; k < C; k++) {
      const t = labels[base + k]!;
      if (t < 0) break;
      for (let d = 0; d < C; d++) {
        if (isTarget[d]) continue;
        const z = r(r(1 - x[base + t]!) + x[base + d]!);
        if (z > 0) sum += z;
      }
    }
    sums.push(sum);
  }
  return sums;
}

test("forward (no branch in bounded rows) and backward (by counting) give the bits of torch's loops (many classes, repeated labels, non-finite and huge inputs)", () => {
  let seed = 99;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  let compared = 0;
  for (const dtype of ['float32', 'float64'] as const) {
    for (const [rows, C] of [
      [3, 7],
      [5, 64],
      [4, 300],
      [2, 1000],
    ] as const) {
      for (const reduction of ['none', 'sum', 'mean'] as const) {
        const x = dtype === 'float32' ? new Float32Array(rows * C) : new Float64Array(rows * C);
        for (let i = 0; i < x.length; i++) x[i] = (random() - 0.5) * 3;
        x[1] = Number.NaN;
        x[C + 2] = Number.POSITIVE_INFINITY;
        x[x.length - 1] = Number.NEGATIVE_INFINITY;
        x[2 * C + 3] = dtype === 'float32' ? 3e38 : 1.7e308; // finite, but 1 - x[j] + x[i] can overflow to -inf
        const labels = new Int32Array(rows * C).fill(-1);
        for (let n = 0; n < rows; n++) {
          const listed = n === rows - 1 ? C : Math.floor(random() * Math.min(C, 40)); // the last row lists C labels, no -1
          for (let k = 0; k < listed; k++) labels[n * C + k] = random() < 0.3 && k > 0 ? labels[n * C + k - 1]! : Math.floor(random() * C);
        }
        const go = reduction === 'none' ? Array.from({ length: rows }, () => random() * 4 - 2) : [1.75];
        const input = { data: x, shape: [rows, C] };
        const target = { data: labels, shape: [rows, C] };
        const gradOutput = reduction === 'none' ? tensor(go, { dtype }) : tensor(go[0]!, { dtype });
        const got = multilabelMarginLossBackward(gradOutput, input, target, { reduction }).data;
        const want = torchLoopGradient(x, labels, rows, C, reduction, gradOutput.data);
        const differ = Array.from(want).flatMap((w, i) =>
          Object.is(w, got[i]) ? [] : [`${dtype} ${rows}x${C} ${reduction} [${i}]: ${got[i]} want ${w}`],
        );
        expect(differ.slice(0, 5)).toEqual([]);
        // the forward: each row's sum, and the reductions of the sums, as torch rounds them
        const r = dtype === 'float32' ? Math.fround : (v: number) => v;
        const sums = torchLoopRowSums(x, labels, rows, C);
        const forward = multilabelMarginLoss(input, target, { reduction }).data;
        const total = sums.reduce((p, v) => p + r(v), 0) / C; // each row returned in the dtype, then summed in float64
        const wantForward = reduction === 'none' ? sums.map((v) => r(r(v) / C)) : [r(reduction === 'mean' ? total / rows : total)];
        expect(Array.from(forward), `${dtype} ${rows}x${C} ${reduction} forward`).toEqual(wantForward);
        compared++;
      }
    }
  }
  expect(compared).toBe(24);
});
