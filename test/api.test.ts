// The public API: tensor(), module classes, options, dtypes, and errors that name the op and argument.

import { expect, test } from 'vitest';
import {
  BCELoss, MultiLabelMarginLoss, SoftMarginLoss, binaryCrossEntropy, binaryCrossEntropyBackward, multilabelMarginLoss,
  multilabelMarginLossBackward, softMarginLoss, softMarginLossBackward,
  BCEWithLogitsLoss, LossArgumentError, MultiLabelSoftMarginLoss, binaryCrossEntropyWithLogits as bce,
  binaryCrossEntropyWithLogitsBackward as bceBackward, multilabelSoftMarginLoss as mlsml,
  multilabelSoftMarginLossBackward as mlsmlBackward, tensor, type Tensor,
} from '../ts/index.ts';

const x = tensor([[0.5, -1, 2], [3, 0, -0.25]]);
const y = tensor([[1, 0, 1], [0, 0.5, 1]]);

test('tensor() infers shape, defaults to float32, keeps typed-array dtypes', () => {
  const t = tensor([[1, 2, 3], [4, 5, 6]]);
  expect(t.shape).toEqual([2, 3]);
  expect(t.data).toBeInstanceOf(Float32Array);
  expect(tensor(2.5).shape).toEqual([]);
  expect(tensor(new Float64Array([1, 2, 3, 4]), { shape: [2, 2] }).data).toBeInstanceOf(Float64Array);
  expect(tensor([0.1], { dtype: 'float64' }).data[0]).toBe(0.1);
  expect(tensor([0.1]).data[0]).toBe(Math.fround(0.1));
  expect(tensor([], { shape: [0, 3] }).shape).toEqual([0, 3]);
  expect(() => tensor([[1, 2], [3]])).toThrow(/ragged/);
  expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow(/shape \[2, 2\] holds 4 values, got 3/);
});

test('outputs keep the input dtype; mean and sum are 0-d', () => {
  expect(bce(x, y).shape).toEqual([]);
  expect(bce(x, y, { reduction: 'none' }).shape).toEqual([2, 3]);
  expect(bce(x, y).data).toBeInstanceOf(Float32Array);
  expect(mlsml(x, y, { reduction: 'none' }).shape).toEqual([2]);
  expect(mlsml(tensor([0.5, -1]), tensor([1, 0]), { reduction: 'none' }).shape).toEqual([]);
});

test('empty input: mean is NaN, sum is 0, none is empty', () => {
  const e = tensor([], { shape: [0, 3] });
  expect(bce(e, e).data[0]).toBeNaN();
  expect(bce(e, e, { reduction: 'sum' }).data[0]).toBe(0);
  expect(bce(e, e, { reduction: 'none' }).shape).toEqual([0, 3]);
  expect(mlsml(e, e).data[0]).toBeNaN();
  expect(mlsml(e, e, { reduction: 'none' }).shape).toEqual([0]);
});

test('torch returns NaN for x = +inf, y = 1 and x = -inf, y = 0 (every release)', () => {
  for (const torchVersion of ['1.13.0a0', '2.6.0', '2.14.1+debian']) {
    const out = bce(tensor([Infinity, -Infinity]), tensor([1, 0]), { reduction: 'none', torchVersion });
    expect(out.data[0]).toBeNaN();
    expect(out.data[1]).toBeNaN();
  }
});

test('mixed float32/float64 arguments promote to float64', () => {
  const w = tensor([1, 2, 3], { dtype: 'float64' });
  expect(bce(x, y, { weight: w }).data).toBeInstanceOf(Float64Array);
  expect(mlsml(x, y, { weight: w }).data).toBeInstanceOf(Float64Array);
  expect(bceBackward(tensor(1), x, y, { weight: w }).data).toBeInstanceOf(Float64Array);
});

test('module classes hold their options', () => {
  const w = tensor([1, 2, 3]);
  const m = new BCEWithLogitsLoss({ weight: w, reduction: 'sum' });
  expect(m.forward(x, y).data[0]).toBe(bce(x, y, { weight: w, reduction: 'sum' }).data[0]);
  expect(m.backward(tensor(1), x, y).data).toEqual(bceBackward(tensor(1), x, y, { weight: w, reduction: 'sum' }).data);
  const k = new MultiLabelSoftMarginLoss({ reduction: 'none' });
  expect(k.forward(x, y).data).toEqual(mlsml(x, y, { reduction: 'none' }).data);
  expect(k.backward(tensor([1, 2]), x, y).data).toEqual(mlsmlBackward(tensor([1, 2]), x, y, { reduction: 'none' }).data);
});

test('tensor() makes index tensors from Int32Array or dtype int64', () => {
  expect(tensor(new Int32Array([3, 0, -1, 1])).data).toBeInstanceOf(Int32Array);
  expect(tensor([[3, 0, -1, 1]], { dtype: 'int64' }).shape).toEqual([1, 4]);
  expect(() => tensor([0.5], { dtype: 'int64' })).toThrow(/integers/);
});

test('the porting-reference losses: values, module classes, gradients', () => {
  const p = tensor([[0.2, 0.7, 0.9]]);
  const t = tensor([[0, 1, 1]]);
  // -(log(0.8) + log(0.7) + log(0.9)) / 3 in float32
  expect(binaryCrossEntropy(p, t).data[0]).toBeCloseTo(-(Math.log(0.8) + Math.log(0.7) + Math.log(0.9)) / 3, 6);
  expect(binaryCrossEntropy(tensor([0, 1]), tensor([1, 0]), { reduction: 'none' }).data).toEqual(new Float32Array([100, 100]));
  expect(new BCELoss({ reduction: 'sum' }).forward(p, t).data[0]).toBe(binaryCrossEntropy(p, t, { reduction: 'sum' }).data[0]);
  expect(new BCELoss().backward(tensor(1), p, t).shape).toEqual([1, 3]);
  const s = tensor([[1, -1, 1]]);
  expect(softMarginLoss(x, s, { reduction: 'none' }).shape).toEqual([2, 3]); // target broadcasts
  expect(new SoftMarginLoss().forward(x, s).data[0]).toBe(softMarginLoss(x, s).data[0]);
  expect(new SoftMarginLoss().backward(tensor(1), x, s).shape).toEqual([2, 3]);
  const labels = tensor(new Int32Array([3, 0, -1, 1]), { shape: [1, 4] });
  const scores = tensor([[0.1, 0.2, 0.4, 0.8]]);
  expect(multilabelMarginLoss(scores, labels).data[0]).toBe(Math.fround(0.85)); // torch's documented example
  expect(new MultiLabelMarginLoss({ reduction: 'none' }).forward(scores, labels).shape).toEqual([1]);
  expect(Array.from(new MultiLabelMarginLoss().backward(tensor(1), scores, labels).data)).toEqual(
    Array.from(multilabelMarginLossBackward(tensor(1), scores, labels).data),
  );
  expect(softMarginLossBackward(tensor(1), x, s).data).toBeInstanceOf(Float32Array);
  expect(binaryCrossEntropyBackward(tensor(1), p, t).data).toBeInstanceOf(Float32Array);
});

const errors: [string, () => unknown, RegExp, string][] = [
  ['non-Tensor input', () => bce([1, 2] as unknown as Tensor, y), /binaryCrossEntropyWithLogits: argument 'input' must be a Tensor/, 'TypeError'],
  ['target shape', () => bce(x, tensor([1, 0, 1])), /binaryCrossEntropyWithLogits: target shape \[3\] must equal input shape \[2, 3\]/, 'ValueError'],
  ['weight broadcast', () => bce(x, y, { weight: tensor([1, 2]) }), /binaryCrossEntropyWithLogits: weight shape \[2\] must broadcast to input shape \[2, 3\]/, 'RuntimeError'],
  ['weight grows input', () => bce(tensor([1, 2, 3]), tensor([1, 0, 1]), { weight: tensor([[1, 2, 3], [4, 5, 6]]) }), /weight shape \[2, 3\] must broadcast to input shape \[3\]/, 'RuntimeError'],
  ['posWeight broadcast', () => bce(x, y, { posWeight: tensor([1, 2]) }), /binaryCrossEntropyWithLogits: posWeight shape \[2\] must broadcast/, 'RuntimeError'],
  ['reduction', () => bce(x, y, { reduction: 'average' as 'mean' }), /binaryCrossEntropyWithLogits: reduction "average" is not valid/, 'ValueError'],
  ['unknown option', () => bce(x, y, { pos_weight: tensor([1]) } as object), /binaryCrossEntropyWithLogits: unknown option 'pos_weight'/, 'TypeError'],
  ['torchVersion', () => bce(x, y, { torchVersion: 'latest' }), /binaryCrossEntropyWithLogits: torchVersion "latest" is not a torch.__version__ string/, 'ValueError'],
  ['torch too old', () => bce(x, y, { torchVersion: '1.4.0' }), /older than 1.5/, 'ValueError'],
  ['gradOutput shape', () => bceBackward(tensor([1, 2]), x, y), /binaryCrossEntropyWithLogitsBackward: gradOutput shape \[2\] must equal the forward output's shape \[\]/, 'RuntimeError'],
  ['MLSML 0-d input', () => mlsml(tensor(1), tensor(1)), /multilabelSoftMarginLoss: input must have at least 1 dimension/, 'IndexError'],
  ['MLSML 1-D before 1.11', () => mlsml(tensor([1, 2]), tensor([1, 0]), { torchVersion: '1.10.2' }), /before torch 1.11/, 'IndexError'],
  ['MLSML target broadcast', () => mlsml(x, tensor([1, 0])), /multilabelSoftMarginLoss: target shape \[2\] is not broadcastable with \[2, 3\]/, 'RuntimeError'],
  ['MLSML weight broadcast', () => mlsml(x, y, { weight: tensor([1, 2]) }), /multilabelSoftMarginLoss: weight shape \[2\] is not broadcastable/, 'RuntimeError'],
  ['MLSML gradOutput shape', () => mlsmlBackward(tensor([1, 2, 3]), x, y, { reduction: 'none' }), /multilabelSoftMarginLossBackward: gradOutput shape \[3\] must equal/, 'RuntimeError'],
  ['BCELoss input above 1', () => binaryCrossEntropy(tensor([0.5, 1.5]), tensor([0, 1])), /binaryCrossEntropy: every element of input must be between 0 and 1, got 1.5 at 1/, 'RuntimeError'],
  ['BCELoss NaN input', () => binaryCrossEntropy(tensor([NaN]), tensor([0])), /every element of input must be between 0 and 1, got NaN/, 'RuntimeError'],
  ['BCELoss target outside [0, 1] (torch 2.x)', () => binaryCrossEntropy(tensor([0.5]), tensor([1.5]), { torchVersion: '2.6.0' }), /every element of target must be between 0 and 1/, 'RuntimeError'],
  ['BCELoss target shape', () => binaryCrossEntropy(tensor([0.5, 0.5]), tensor([[0, 1]])), /binaryCrossEntropy: target shape \[1, 2\] must equal input shape \[2\]/, 'ValueError'],
  ['BCELoss weight', () => binaryCrossEntropy(tensor([[0.5, 0.5, 0.5]]), tensor([[0, 1, 1]]), { weight: tensor([1, 2]) }), /binaryCrossEntropy: weight shape \[2\] must broadcast/, 'RuntimeError'],
  ['SoftMarginLoss target shape', () => softMarginLoss(tensor([1, 2, 3]), tensor([1, -1])), /softMarginLoss: target shape \[2\] must broadcast to input shape \[3\]/, 'RuntimeError'],
  ['SoftMarginLoss unknown option', () => softMarginLoss(x, y, { weight: tensor([1]) } as object), /softMarginLoss: unknown option 'weight'/, 'TypeError'],
  ['MultiLabelMarginLoss float target', () => multilabelMarginLoss(x, y as never), /multilabelMarginLoss: argument 'target' must hold class indices \(Int32Array data, torch.long\), got a float tensor/, 'RuntimeError'],
  ['MultiLabelMarginLoss index = C', () => multilabelMarginLoss(tensor([[0.1, 0.2]]), tensor([[2, -1]], { dtype: 'int64' })), /multilabelMarginLoss: target index 2 at 0 is out of range for 2 classes/, 'RuntimeError'],
  ['MultiLabelMarginLoss index < -1', () => multilabelMarginLoss(tensor([[0.1, 0.2]]), tensor([[-2, 0]], { dtype: 'int64' })), /target index -2 at 0 is out of range/, 'RuntimeError'],
  ['MultiLabelMarginLoss 3-D input', () => multilabelMarginLoss(tensor([[[0.1]]]), tensor([[[0]]], { dtype: 'int64' })), /multilabelMarginLoss: input must be a non-empty vector or an \(N, C\) matrix/, 'RuntimeError'],
  ['MultiLabelMarginLoss target shape', () => multilabelMarginLoss(tensor([[0.1, 0.2]]), tensor([[0, 1, -1]], { dtype: 'int64' })), /target shape \[1, 3\] is inconsistent with input shape \[1, 2\]/, 'RuntimeError'],
  ['MultiLabelMarginLoss gradOutput', () => multilabelMarginLossBackward(tensor([1, 2]), tensor([[0.1, 0.2]]), tensor([[0, -1]], { dtype: 'int64' }), { reduction: 'none' }), /multilabelMarginLossBackward: gradOutput shape \[2\] must equal the forward output's shape \[1\]/, 'RuntimeError'],
  ['MLSML non-Tensor weight', () => mlsml(x, y, { weight: [1, 2, 3] as unknown as Tensor }), /argument 'weight' must be a Tensor/, 'TypeError'],
];

test.each(errors)('error: %s', (_, call, message, torchType) => {
  let thrown: unknown;
  try {
    call();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(LossArgumentError);
  expect((thrown as Error).message).toMatch(message);
  expect((thrown as LossArgumentError).torchErrorType).toBe(torchType);
});
