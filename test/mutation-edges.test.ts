// Edges the goldens do not reach, with torch 1.13.0a0's answers (Debian's python3-torch) unless said.

import { afterEach, expect, test } from 'vitest';
import {
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  multilabelMarginLoss,
  multilabelMarginLossBackward,
  softMarginLoss,
  tensor,
  type Tensor,
} from '../ts/index.ts';
import { useFloat32Kernels } from '../ts/wasm/float32-kernels.ts';

afterEach(() => useFloat32Kernels(true));

test('reduced results are 0-d tensors over a typed array of the dtype, on both float32 paths', () => {
  for (const kernels of [true, false]) {
    useFloat32Kernels(kernels);
    for (const dtype of ['float32', 'float64'] as const) {
      const x = tensor([0.25, 0.75], { dtype });
      for (const reduction of ['mean', 'sum'] as const) {
        for (const out of [binaryCrossEntropy(x, x, { reduction }), softMarginLoss(x, x, { reduction })]) {
          expect(out.shape).toEqual([]);
          expect(out.data).toBeInstanceOf(dtype === 'float32' ? Float32Array : Float64Array);
        }
      }
    }
  }
});

test('float64 BCELoss checks the float64 values: 1 + 2^-40 is outside [0, 1] (it would round to 1 in float32)', () => {
  // torch: F.binary_cross_entropy(torch.tensor([1 + 2**-40], dtype=torch.float64), ...) raises
  // "all elements of input should be between 0 and 1"
  const above = 1 + 2 ** -40;
  const x = tensor([0.5, above], { dtype: 'float64' });
  const y = tensor([0.5, 0.5], { dtype: 'float64' });
  expect(() => binaryCrossEntropy(x, y)).toThrow(
    `binaryCrossEntropy: all elements of input should be between 0 and 1 (got ${above} at index 1)`,
  );
  expect(() => binaryCrossEntropy(y, x, { torchVersion: '2.6.0+debian' })).toThrow(
    `binaryCrossEntropy: all elements of target should be between 0 and 1 (got ${above} at index 1)`,
  );
});

test('BCEWithLogits names the dtype torch names when it rejects a torch.long target', () => {
  // torch: "result type Float can't be cast to the desired output type Long" (Double for float64)
  const long = tensor([1], { dtype: 'int64' }) as unknown as Tensor;
  for (const [dtype, name] of [
    ['float32', 'Float'],
    ['float64', 'Double'],
  ] as const) {
    expect(() => binaryCrossEntropyWithLogits(tensor([0.5], { dtype }), long)).toThrow(
      `binaryCrossEntropyWithLogits: result type ${name} can't be cast to the desired output type Long (target must be a float tensor, torch.long is not accepted)`,
    );
  }
});

test('MultiLabelMarginLoss: a margin of exactly 0 adds nothing and takes no gradient (torch: if (z > 0))', () => {
  // x = [[1, 0, 0.5]], y = [[0, -1, 0]]: z = 1 - 1 + 0 = 0 for class 1, 0.5 for class 2
  // torch float64: loss (sum) 0.16666666666666666, grad [-1/3, 0, 1/3]
  for (const dtype of ['float32', 'float64'] as const) {
    const x = tensor([[1, 0, 0.5]], { dtype });
    const y = tensor([[0, -1, 0]], { dtype: 'int64' });
    const third = dtype === 'float32' ? Math.fround(1 / 3) : 1 / 3;
    expect(multilabelMarginLoss(x, y, { reduction: 'sum' }).data[0]).toBe(dtype === 'float32' ? Math.fround(0.5 / 3) : 0.16666666666666666);
    expect(Array.from(multilabelMarginLossBackward(tensor(1, { dtype }), x, y, { reduction: 'sum' }).data)).toEqual([-third, 0, third]);
  }
});

test("MultiLabelMarginLoss: a 2-D input's target must have its shape, not only its size", () => {
  // torch 1.13: RuntimeError "inconsistent size [3, 2] for argument #2 'target'" (and for [6], [2, 3, 1]);
  // 2.6 and 2.14: "inconsistent target size: [3, 2] for input of size: [2, 3]"
  for (const shape of [[3, 2], [6], [2, 3, 1]]) {
    const target = tensor(new Int32Array(6), { shape });
    const input = tensor(new Float32Array(6), { shape: [2, 3] });
    const s = `[${shape.join(', ')}]`;
    const why = `(target shape ${s} is inconsistent with input shape [2, 3])`;
    expect(() => multilabelMarginLoss(input, target, { torchVersion: '1.13.0a0' })).toThrow(
      `multilabelMarginLoss: inconsistent size ${s} for argument #2 'target' ${why}`,
    );
    expect(() => multilabelMarginLoss(input, target)).toThrow(
      `multilabelMarginLoss: inconsistent target size: ${s} for input of size: [2, 3] ${why}`,
    );
  }
});
