// float32 runs in the WebAssembly kernels, float64 in the JS loops (README "Performance"): every
// float32 forward and backward hands its call to the kernels and returns what they computed, and
// falls back to the JS loops only when the kernels decline (tryRun returns null). The two paths give
// the same values (test/wasm-kernels.test.ts), so only dispatch itself can show which one ran.

import { afterEach, expect, test, vi } from 'vitest';
import {
  binaryCrossEntropy,
  binaryCrossEntropyBackward,
  binaryCrossEntropyWithLogits,
  binaryCrossEntropyWithLogitsBackward,
  multilabelSoftMarginLoss,
  multilabelSoftMarginLossBackward,
  softMarginLoss,
  softMarginLossBackward,
  tensor,
  type Tensor,
} from '../ts/index.ts';
import { float32Kernels, type Float32Kernels } from '../ts/wasm/float32-kernels.ts';

afterEach(() => vi.restoreAllMocks());

const kernels = float32Kernels() as Float32Kernels;
const probabilities = [
  [0.25, 0.5, 0.75],
  [0.125, 0.875, 0.5],
];
const logits = [
  [0.5, -1, 2],
  [3, 0, -0.25],
];

type Call = (dtype: 'float32' | 'float64') => Tensor;
const t = (values: number[][], dtype: 'float32' | 'float64') => tensor(values, { dtype });
const g = (dtype: 'float32' | 'float64') => tensor(1.5, { dtype });
const calls: [string, string, Call][] = [
  ['BINARY_CROSS_ENTROPY', 'binaryCrossEntropy', (d) => binaryCrossEntropy(t(probabilities, d), t(probabilities, d), { reduction: 'sum' })],
  [
    'BINARY_CROSS_ENTROPY_GRAD',
    'binaryCrossEntropyBackward',
    (d) => binaryCrossEntropyBackward(g(d), t(probabilities, d), t(probabilities, d), { reduction: 'sum' }),
  ],
  ['BCE_WITH_LOGITS', 'binaryCrossEntropyWithLogits', (d) => binaryCrossEntropyWithLogits(t(logits, d), t(probabilities, d))],
  [
    'BCE_WITH_LOGITS_GRAD',
    'binaryCrossEntropyWithLogitsBackward',
    (d) => binaryCrossEntropyWithLogitsBackward(g(d), t(logits, d), t(probabilities, d)),
  ],
  ['SOFT_MARGIN', 'softMarginLoss', (d) => softMarginLoss(t(logits, d), t(probabilities, d), { reduction: 'sum' })],
  [
    'SOFT_MARGIN_GRAD',
    'softMarginLossBackward',
    (d) => softMarginLossBackward(g(d), t(logits, d), t(probabilities, d), { reduction: 'sum' }),
  ],
  ['MULTILABEL_SOFT_MARGIN', 'multilabelSoftMarginLoss', (d) => multilabelSoftMarginLoss(t(logits, d), t(probabilities, d))],
  [
    'MULTILABEL_SOFT_MARGIN_GRAD',
    'multilabelSoftMarginLossBackward',
    (d) => multilabelSoftMarginLossBackward(g(d), t(logits, d), t(probabilities, d)),
  ],
];

for (const [op, name, call] of calls) {
  test(`${name}: float32 returns the kernels' result (${op}); float64 never asks them`, () => {
    const tryRun = vi.spyOn(kernels, 'tryRun');
    const out = call('float32');
    expect(tryRun).toHaveBeenCalledTimes(1);
    expect(tryRun.mock.calls[0]![0].op).toBe(op);
    expect(out).toBe(tryRun.mock.results[0]!.value);
    tryRun.mockClear();
    const reference = call('float64');
    expect(tryRun).not.toHaveBeenCalled();
    // the kernels declining is not an error: the JS loops compute the same float32 values
    tryRun.mockReturnValue(null);
    const fallback = call('float32');
    expect(tryRun).toHaveBeenCalledTimes(1);
    expect(fallback.shape).toEqual(out.shape);
    expect(Array.from(fallback.data)).toEqual(Array.from(out.data));
    expect(fallback.data).toBeInstanceOf(Float32Array);
    expect(reference.data).toBeInstanceOf(Float64Array);
  });
}

test('MultiLabelSoftMarginLoss leaves to the JS loops what the kernels do not compute: torch < 1.11, no classes, a target or weight that grows the input', () => {
  const tryRun = vi.spyOn(kernels, 'tryRun');
  const x = tensor(logits);
  const y = tensor(probabilities);
  multilabelSoftMarginLoss(x, y, { torchVersion: '1.10.2' });
  multilabelSoftMarginLossBackward(tensor(1), x, y, { torchVersion: '1.10.2' });
  multilabelSoftMarginLoss(tensor([[], []]), tensor([[], []]), { reduction: 'none' });
  multilabelSoftMarginLossBackward(tensor([1, 1]), tensor([[], []]), tensor([[], []]), { reduction: 'none' });
  multilabelSoftMarginLoss(x, tensor([0.25, 0.5, 1]));
  multilabelSoftMarginLossBackward(tensor(1), x, tensor([0.25, 0.5, 1]));
  const growing = { weight: tensor([[[1, 2, 3]], [[0.5, 1, 2]]]) }; // [2, 1, 3]: the loss grows to [2, 2, 3]
  multilabelSoftMarginLoss(x, y, growing);
  multilabelSoftMarginLossBackward(tensor(1), x, y, growing);
  const wide = tensor([logits, logits]); // torch < 1.11 sums over dim 1, which is not the last of a 3-D input
  multilabelSoftMarginLoss(wide, wide, { torchVersion: '1.10.2' });
  expect(tryRun).not.toHaveBeenCalled();
  multilabelSoftMarginLoss(x, y, { torchVersion: '1.11.0' });
  expect(tryRun).toHaveBeenCalledTimes(1);
});
