// The public API: tensor(), module classes, options, dtypes, and errors that name the op and argument.

import { expect, test } from 'vitest';
import {
  BCELoss,
  MultiLabelMarginLoss,
  SoftMarginLoss,
  binaryCrossEntropy,
  binaryCrossEntropyBackward,
  multilabelMarginLoss,
  multilabelMarginLossBackward,
  softMarginLoss,
  softMarginLossBackward,
  BCEWithLogitsLoss,
  LossArgumentError,
  MultiLabelSoftMarginLoss,
  binaryCrossEntropyWithLogits as bce,
  dtypeOf,
  binaryCrossEntropyWithLogitsBackward as bceBackward,
  multilabelSoftMarginLoss as mlsml,
  multilabelSoftMarginLossBackward as mlsmlBackward,
  tensor,
  type Tensor,
} from '../ts/index.ts';

const x = tensor([
  [0.5, -1, 2],
  [3, 0, -0.25],
]);
const y = tensor([
  [1, 0, 1],
  [0, 0.5, 1],
]);

test('tensor() infers shape, defaults to float32, keeps typed-array dtypes', () => {
  const t = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
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

test("mixed float32/float64 arguments: torch's dtypes (in-place ops keep their tensor's, out-of-place ones promote)", () => {
  const w = tensor([1, 2, 3], { dtype: 'float64' });
  // BCEWithLogits builds its loss in place on (1 - target): the target's dtype; mlsm promotes; each gradient the input's dtype
  expect(bce(x, y, { weight: w }).data).toBeInstanceOf(Float32Array);
  expect(mlsml(x, y, { weight: w }).data).toBeInstanceOf(Float64Array);
  expect(bceBackward(tensor(1), x, y, { weight: w }).data).toBeInstanceOf(Float32Array);
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
  expect(tensor(new Float64Array([3, -1]), { dtype: 'int64' }).data).toEqual(new Int32Array([3, -1]));
  expect(tensor(new Int32Array([3, -1]), { dtype: 'float64' }).data).toEqual(new Float64Array([3, -1]));
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
  [
    'non-Tensor input',
    () => bce([1, 2] as unknown as Tensor, y),
    /binaryCrossEntropyWithLogits: argument 'input' must be a Tensor/,
    'TypeError',
  ],
  [
    'target shape',
    () => bce(x, tensor([1, 0, 1])),
    /^binaryCrossEntropyWithLogits: Target size \(torch\.Size\(\[3\]\)\) must be the same as input size \(torch\.Size\(\[2, 3\]\)\)$/,
    'ValueError',
  ],
  [
    'weight broadcast',
    () => bce(x, y, { weight: tensor([1, 2]) }),
    /^binaryCrossEntropyWithLogits: weight shape \[2\] must broadcast to input shape \[2, 3\]: The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 1$/,
    'RuntimeError',
  ],
  [
    'weight grows input',
    () =>
      bce(tensor([1, 2, 3]), tensor([1, 0, 1]), {
        weight: tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]),
      }),
    /weight shape \[2, 3\] must broadcast to input shape \[3\] without growing it: output with shape \[3\] doesn't match the broadcast shape \[2, 3\]$/,
    'RuntimeError',
  ],
  [
    'posWeight broadcast',
    () => bce(x, y, { posWeight: tensor([1, 2]) }),
    /^binaryCrossEntropyWithLogits: posWeight: shapes \[2\] and \[2, 3\] do not broadcast: The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 1$/,
    'RuntimeError',
  ],
  [
    'reduction',
    () => bce(x, y, { reduction: 'average' as 'mean' }),
    /^binaryCrossEntropyWithLogits: average is not a valid value for reduction \(reduction must be 'none', 'mean' or 'sum', got "average"\)$/,
    'ValueError',
  ],
  [
    'unknown option',
    () => bce(x, y, { pos_weight: tensor([1]) } as object),
    /binaryCrossEntropyWithLogits: unknown option 'pos_weight'/,
    'TypeError',
  ],
  [
    'torchVersion',
    () => bce(x, y, { torchVersion: 'latest' }),
    /binaryCrossEntropyWithLogits: torchVersion "latest" is not a torch.__version__ string/,
    'ValueError',
  ],
  ['torch too old', () => bce(x, y, { torchVersion: '1.4.0' }), /older than 1.5/, 'ValueError'],
  [
    'gradOutput shape',
    () => bceBackward(tensor([1, 2]), x, y),
    /binaryCrossEntropyWithLogitsBackward: gradOutput shape \[2\] must equal the forward output's shape \[\] \(torch\.autograd: Mismatch in shape: grad_output\[0\] has a shape of torch\.Size\(\[2\]\) and output\[0\] has a shape of torch\.Size\(\[\]\)\.\)$/,
    'RuntimeError',
  ],
  [
    'MLSML 0-d input',
    () => mlsml(tensor(1), tensor(1)),
    /^multilabelSoftMarginLoss: Dimension specified as -1 but tensor has no dimensions \(input must have at least 1 dimension/,
    'IndexError',
  ],
  [
    'MLSML 1-D before 1.11',
    () => mlsml(tensor([1, 2]), tensor([1, 0]), { torchVersion: '1.10.2' }),
    /^multilabelSoftMarginLoss: Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\) \(before torch 1.11 the input must be at least 2-D \(N, C\); got 1-D\)$/,
    'IndexError',
  ],
  [
    'MLSML target broadcast',
    () => mlsml(x, tensor([1, 0])),
    /^multilabelSoftMarginLoss: target: shapes \[2\] and \[2, 3\] do not broadcast: The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 1$/,
    'RuntimeError',
  ],
  [
    'MLSML weight broadcast',
    () => mlsml(x, y, { weight: tensor([1, 2]) }),
    /^multilabelSoftMarginLoss: weight: shapes \[2, 3\] and \[2\] do not broadcast: The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 1$/,
    'RuntimeError',
  ],
  [
    'MLSML gradOutput shape',
    () => mlsmlBackward(tensor([1, 2, 3]), x, y, { reduction: 'none' }),
    /multilabelSoftMarginLossBackward: gradOutput shape \[3\] must equal/,
    'RuntimeError',
  ],
  [
    'BCELoss input above 1',
    () => binaryCrossEntropy(tensor([0.5, 1.5]), tensor([0, 1])),
    /^binaryCrossEntropy: all elements of input should be between 0 and 1 \(got 1\.5 at index 1\)$/,
    'RuntimeError',
  ],
  [
    'BCELoss NaN input',
    () => binaryCrossEntropy(tensor([NaN]), tensor([0])),
    /all elements of input should be between 0 and 1 \(got NaN at index 0\)$/,
    'RuntimeError',
  ],
  [
    'BCELoss target outside [0, 1] (torch 2.x)',
    () => binaryCrossEntropy(tensor([0.5]), tensor([1.5]), { torchVersion: '2.6.0' }),
    /^binaryCrossEntropy: all elements of target should be between 0 and 1 \(got 1\.5 at index 0\)$/,
    'RuntimeError',
  ],
  [
    'BCELoss target shape',
    () => binaryCrossEntropy(tensor([0.5, 0.5]), tensor([[0, 1]])),
    /^binaryCrossEntropy: Using a target size \(torch\.Size\(\[1, 2\]\)\) that is different to the input size \(torch\.Size\(\[2\]\)\) is deprecated\. Please ensure they have the same size\.$/,
    'ValueError',
  ],
  [
    'BCELoss weight',
    () => binaryCrossEntropy(tensor([[0.5, 0.5, 0.5]]), tensor([[0, 1, 1]]), { weight: tensor([1, 2]) }),
    /^binaryCrossEntropy: weight shape \[2\] does not broadcast with target shape \[1, 3\]: Attempting to broadcast a dimension of length 2 at -1! Mismatching argument at index 1 had torch\.Size\(\[2\]\); but expected shape should be broadcastable to \[1, 3\]$/,
    'RuntimeError',
  ],
  [
    'SoftMarginLoss target shape',
    () => softMarginLoss(tensor([1, 2, 3]), tensor([1, -1])),
    /^softMarginLoss: target shape \[2\] must broadcast to input shape \[3\]: The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 0$/,
    'RuntimeError',
  ],
  [
    'SoftMarginLoss unknown option',
    () => softMarginLoss(x, y, { weight: tensor([1]) } as object),
    /softMarginLoss: unknown option 'weight'/,
    'TypeError',
  ],
  [
    'MultiLabelMarginLoss float target',
    () => multilabelMarginLoss(x, y as never),
    /^multilabelMarginLoss: argument 'target' must hold class indices \(Int32Array data, torch.long\), got a float tensor \(torch: expected scalar type Long but found Float\)$/,
    'RuntimeError',
  ],
  [
    'MultiLabelMarginLoss index = C',
    () => multilabelMarginLoss(tensor([[0.1, 0.2]]), tensor([[2, -1]], { dtype: 'int64' })),
    /^multilabelMarginLoss: argument #2 'target' is out of range \(target index 2 at 0 is out of range for 2 classes; -1 ends a row\)$/,
    'RuntimeError',
  ],
  [
    'MultiLabelMarginLoss index < -1',
    () => multilabelMarginLoss(tensor([[0.1, 0.2]]), tensor([[-2, 0]], { dtype: 'int64' })),
    /argument #2 'target' is out of range \(target index -2 at 0 is out of range/,
    'RuntimeError',
  ],
  [
    'MultiLabelMarginLoss 3-D input',
    () => multilabelMarginLoss(tensor([[[0.1]]]), tensor([[[0]]], { dtype: 'int64' })),
    /^multilabelMarginLoss: Expected non-empty vector or matrix with optional 0-dim batch size, but got: \[1, 1, 1\] \(input must be a non-empty vector or an \(N, C\) matrix with C > 0\)$/,
    'RuntimeError',
  ],
  [
    'MultiLabelMarginLoss target shape',
    () => multilabelMarginLoss(tensor([[0.1, 0.2]]), tensor([[0, 1, -1]], { dtype: 'int64' })),
    /^multilabelMarginLoss: inconsistent target size: \[1, 3\] for input of size: \[1, 2\] \(target shape \[1, 3\] is inconsistent with input shape \[1, 2\]\)$/,
    'RuntimeError',
  ],
  [
    'MultiLabelMarginLoss gradOutput',
    () => multilabelMarginLossBackward(tensor([1, 2]), tensor([[0.1, 0.2]]), tensor([[0, -1]], { dtype: 'int64' }), { reduction: 'none' }),
    /^multilabelMarginLossBackward: gradOutput shape \[2\] must equal the forward output's shape \[1\] \(torch\.autograd: Mismatch in shape/,
    'RuntimeError',
  ],
  [
    'MLSML non-Tensor weight',
    () => mlsml(x, y, { weight: [1, 2, 3] as unknown as Tensor }),
    /argument 'weight' must be a Tensor/,
    'TypeError',
  ],
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

test('tensor() rejects what is not a tensor, naming the problem', () => {
  expect(() => tensor([[1, 2], [3]])).toThrow(
    /^tensor: nested arrays are ragged: expected a sequence of length 2 at dim 1 \(got length 1\)$/,
  );
  expect(() => tensor([[1, 2], 3] as never)).toThrow(/ragged: expected a sequence of length 2 at dim 1 \(got a number\)/);
  expect(() => tensor([1, [2]] as never)).toThrow(/ragged: expected a number at dim 1 \(got length 1\)/);
  expect(() => tensor([1, 'a' as unknown as number])).toThrow(/^tensor: values must be numbers, got string at element 1$/);
  expect(() => tensor('1' as unknown as number)).toThrow(
    /tensor: values must be a number, nested number arrays or a Float32Array\/Float64Array\/Int32Array, got string/,
  );
  expect(() => tensor([1, 2], { shape: [-2, -1] })).toThrow(/tensor: shape must be an array of non-negative integers, got \[-2,-1\]/);
  expect(() => tensor([1, 2], { shape: [1.5] })).toThrow(/non-negative integers/);
  expect(() => tensor(new Int32Array([1, 2, 3]), { shape: [2] })).toThrow(/tensor: shape \[2\] holds 2 values, got 3/);
  expect(() => tensor([2 ** 31], { dtype: 'int64' })).toThrow(
    /^tensor: values must be numbers \(int64: integers that fit in 32 bits\), got 2147483648 at element 0$/,
  );
  expect(() => tensor([-(2 ** 31) + 1, 2 ** 31 - 1], { dtype: 'int64' })).not.toThrow();
  expect(tensor([], { shape: [0] }).shape).toEqual([0]);
  expect(tensor([[]]).shape).toEqual([1, 0]);
  expect(tensor(new Float32Array([1, 2])).shape).toEqual([2]);
  expect(tensor(new Float32Array([0.1]), { dtype: 'float64' }).data).toEqual(new Float64Array([Math.fround(0.1)]));
  expect(tensor(new Int32Array([5])).shape).toEqual([1]);
  expect(() => tensor([1], { shape: [1] })).not.toThrow();
});

test('malformed Tensor arguments are named, with what was found', () => {
  const cases: [unknown, RegExp][] = [
    [null, /argument 'input' must be a Tensor \(Float32Array or Float64Array data\), got null/],
    [[1, 2], /got an array \(wrap it with tensor\(\)\)/],
    [{ data: [1, 2], shape: [2] }, /got Object/],
    [3, /got number/],
    [{ data: new Float32Array(2), shape: [-2] }, /argument 'input' has an invalid shape \[-2\]/],
    [{ data: new Float32Array(2), shape: [0.5, 4] }, /has an invalid shape \[0.5,4\]/],
    [{ data: new Float32Array(2), shape: 'x' }, /has an invalid shape "x"/],
    [{ data: new Float32Array(2), shape: [3] }, /argument 'input' has shape \[3\] but 2 values/],
  ];
  for (const [value, message] of cases) expect(() => bce(value as Tensor, y)).toThrow(message);
  const labels = (t: unknown) => () => multilabelMarginLoss(tensor([[0.1, 0.2]]), t as never);
  expect(labels(null)).toThrow(/argument 'target' must be a Tensor \(Float32Array, Float64Array or Int32Array \(int64\) data\), got null/);
  expect(labels([0, 1])).toThrow(/got an array/);
  expect(labels({ data: new Int32Array(2), shape: [3] })).toThrow(/argument 'target' has shape \[3\] but 2 values/);
  expect(labels({ data: new Int32Array(2), shape: [-1, -2] })).toThrow(/argument 'target' has an invalid shape \[-1,-2\]/);
  expect(labels({ data: new Int32Array(2), shape: 'x' })).toThrow(/argument 'target' has an invalid shape "x"/);
  expect(new LossArgumentError('m').name).toBe('LossArgumentError');
  expect(new LossArgumentError('m').torchErrorType).toBe('RuntimeError');
});

test('options: objects only; unknown keys named unless undefined; cpuCapability checked; promotion from any argument', () => {
  expect(() => bce(x, y, null as never)).toThrow(/binaryCrossEntropyWithLogits: options must be an object, got null/);
  expect(() => bce(x, y, 3 as never)).toThrow(/options must be an object, got number/);
  expect(() => bce(x, y, { extra: undefined } as object)).not.toThrow();
  expect(() => bce(x, y, { cpuCapability: 'sse2' as never })).toThrow(
    /binaryCrossEntropyWithLogits: cpuCapability "sse2" is not one of default, avx2, avx512/,
  );
  expect(
    bce(
      x,
      tensor(
        [
          [1, 0, 1],
          [0, 0.5, 1],
        ],
        { dtype: 'float64' },
      ),
    ).data,
  ).toBeInstanceOf(Float64Array); // a float64 target: the loss is (1 - target).mul_(input)...
  expect(bce(x, y, { posWeight: tensor([1, 2, 3], { dtype: 'float64' }) }).data).toBeInstanceOf(Float32Array); // the target's dtype
  expect(dtypeOf(tensor([1], { dtype: 'float64' }))).toBe('float64');
  expect(dtypeOf(tensor([1]))).toBe('float32');
});

test('pre-1.11 MultiLabelSoftMarginLoss sums dim 1 of a 3-D input', () => {
  const input = tensor(
    Float64Array.from({ length: 24 }, (_, i) => Math.sin(i) * 3),
    { shape: [2, 3, 4] },
  );
  const target = tensor(
    Float64Array.from({ length: 24 }, (_, i) => (i % 5) / 4),
    { shape: [2, 3, 4] },
  );
  const out = mlsml(input, target, { reduction: 'none', torchVersion: '1.10.2' });
  expect(out.shape).toEqual([2, 4]);
  const ls = (v: number) => Math.min(v, 0) - Math.log1p(Math.exp(-Math.abs(v)));
  for (let n = 0; n < 2; n++) {
    for (let k = 0; k < 4; k++) {
      let s = 0;
      for (let c = 0; c < 3; c++) {
        const i = n * 12 + c * 4 + k;
        const yv = target.data[i]!;
        s += -(yv * ls(input.data[i]!) + (1 - yv) * ls(-input.data[i]!));
      }
      expect(out.data[n * 4 + k]).toBeCloseTo(s / 3, 12);
    }
  }
});

test('every backward validates gradOutput as a Tensor, names its own op, and promotes to its dtype', () => {
  const p = tensor([[0.2, 0.7, 0.9]]);
  const t = tensor([[0, 1, 1]]);
  const labels = tensor([[2, -1, 0]], { dtype: 'int64' });
  const backwards: [string, (go: Tensor) => Tensor][] = [
    ['binaryCrossEntropyWithLogitsBackward', (go) => bceBackward(go, p, t)],
    ['multilabelSoftMarginLossBackward', (go) => mlsmlBackward(go, p, t)],
    ['binaryCrossEntropyBackward', (go) => binaryCrossEntropyBackward(go, p, t)],
    ['softMarginLossBackward', (go) => softMarginLossBackward(go, p, t)],
    ['multilabelMarginLossBackward', (go) => multilabelMarginLossBackward(go, p, labels)],
  ];
  for (const [op, backward] of backwards) {
    expect(() => backward([1] as unknown as Tensor), op).toThrow(new RegExp(`^${op}: argument 'gradOutput' must be a Tensor`));
    expect(() => backward(tensor([1, 2])), op).toThrow(
      new RegExp(
        `^${op}: gradOutput shape \\[2\\] must equal the forward output's shape \\[\\] \\(torch\\.autograd: Mismatch in shape: grad_output\\[0\\] has a shape of torch\\.Size\\(\\[2\\]\\) and output\\[0\\] has a shape of torch\\.Size\\(\\[\\]\\)\\.\\)$`,
      ),
    );
    expect(backward(tensor(1, { dtype: 'float64' })).data, op).toBeInstanceOf(Float64Array);
  }
  expect(() => binaryCrossEntropyBackward(tensor(1), p, tensor([0, 1, 1]))).toThrow(
    /^binaryCrossEntropyBackward: Using a target size \(torch\.Size\(\[3\]\)\)/,
  );
  expect(() => softMarginLossBackward(tensor(1), p, tensor([1, 1]))).toThrow(
    /^softMarginLossBackward: target shape \[2\] must broadcast to input shape \[1, 3\]: The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 1$/,
  );
});

test('MultiLabelMarginLoss accepts the shapes torch accepts and rejects the rest', () => {
  const ok = (input: Tensor, target: number[], shape: number[]) => multilabelMarginLoss(input, tensor(new Int32Array(target), { shape }));
  expect(ok(tensor(0.5), [0], []).data[0]).toBe(0); // 0-d: one class, listed
  expect(ok(tensor([0.1, 0.2, 0.4, 0.8]), [3, 0, -1, 1], [4]).data[0]).toBe(Math.fround(0.85));
  expect(ok(tensor([0.1, 0.2, 0.4, 0.8]), [3, 0, -1, 1], [4]).shape).toEqual([]);
  expect(multilabelMarginLoss(tensor([0.1, 0.2, 0.4, 0.8]), tensor(new Int32Array([3, 0, -1, 1])), { reduction: 'none' }).shape).toEqual(
    [],
  );
  expect(
    multilabelMarginLoss(tensor([], { shape: [0, 4] }), tensor(new Int32Array(0), { shape: [0, 4] }), { reduction: 'none' }).shape,
  ).toEqual([0]);
  const bad: [Tensor, number[], number[], RegExp][] = [
    [
      tensor([], { shape: [0] }),
      [],
      [0],
      /Expected non-empty vector or matrix with optional 0-dim batch size, but got: \[0\] \(input must/,
    ],
    [
      tensor([], { shape: [2, 0] }),
      [],
      [2, 0],
      /Expected non-empty vector or matrix with optional 0-dim batch size, but got: \[2, 0\] \(input/,
    ],
    [
      tensor([0.1, 0.2]),
      [0, -1],
      [1, 2],
      /inconsistent target size: \[1, 2\] for input of size: \[2\] \(target shape \[1, 2\] is inconsistent/,
    ],
    [tensor([0.1, 0.2]), [0], [1], /inconsistent target size: \[1\] for input of size: \[2\] \(target shape \[1\] is inconsistent/],
    [tensor(0.5), [0, 0], [2], /inconsistent target size: \[2\] for input of size: \[\] \(target shape \[2\] is inconsistent with input/],
    [
      tensor([[0.1, 0.2]]),
      [0, -1],
      [2],
      /inconsistent target size: \[2\] for input of size: \[1, 2\] \(target shape \[2\] is inconsistent/,
    ],
    [tensor([[0.1, 0.2]]), [0, -1], [2, 1], /inconsistent target size: \[2, 1\] for input of size: \[1, 2\]/],
    [tensor([[0.1, 0.2]]), [0, -1, 1, 1], [1, 4], /inconsistent target size: \[1, 4\] for input of size: \[1, 2\]/],
    [tensor([[0.1, 0.2]]), [-1, 2], [1, 2], /argument #2 'target' is out of range \(target index 2 at 1 is out of range for 2 classes/],
  ];
  for (const [input, target, shape, message] of bad) expect(() => ok(input, target, shape)).toThrow(message);
});
