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
