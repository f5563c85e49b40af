// BCELoss' range check, as torch runs it: element by element, the input before the target at the same
// index (the target only from torch 2.0), 0 and 1 themselves allowed, NaN not. The outcomes below are
// torch's: 2.6.0+debian (the trixie chroot) and 1.13.0a0 (Debian's python3-torch), e.g.
//   F.binary_cross_entropy(torch.tensor([0.5, 1.5, 0.5, 0.5]), torch.tensor([0.5, 0.5, 0.5, 2.0]))
//   -> RuntimeError: all elements of input should be between 0 and 1
// on each float32 path (kernels and JS loops) and in float64.

import { afterEach, describe, expect, test } from 'vitest';
import { binaryCrossEntropy, binaryCrossEntropyBackward, LossArgumentError, tensor } from '../ts/index.ts';
import { useFloat32Kernels } from '../ts/wasm/float32-kernels.ts';

afterEach(() => useFloat32Kernels(true));

function outcome(x: number[], y: number[], dtype: 'float32' | 'float64', torchVersion: string): string {
  try {
    return String(binaryCrossEntropy(tensor(x, { dtype }), tensor(y, { dtype }), { reduction: 'sum', torchVersion }).data[0]);
  } catch (e) {
    expect(e).toBeInstanceOf(LossArgumentError);
    expect((e as LossArgumentError).torchErrorType).toBe('RuntimeError');
    return (e as Error).message;
  }
}

const PATHS = [
  ['float32', true, 'kernels'],
  ['float32', false, 'JS loops'],
  ['float64', false, 'float64'],
] as const;

for (const [dtype, kernels, path] of PATHS) {
  describe(`[${path}]`, () => {
    test('torch 2.6: the first bad element wins, the input before the target at the same index', () => {
      useFloat32Kernels(kernels);
      const v = '2.6.0+debian';
      // torch: 200.69314575195312 (both logs clamped at -100, plus log 2)
      expect(outcome([0, 1, 0.5], [1, 0, 0.5], dtype, v)).toBe(dtype === 'float32' ? '200.69314575195312' : String(200 + Math.log(2)));
      expect(outcome([1.5, 0.5], [2, 0.5], dtype, v)).toBe(
        'binaryCrossEntropy: all elements of input should be between 0 and 1 (got 1.5 at index 0)',
      );
      expect(outcome([0.5, 1.5, 0.5, 0.5], [0.5, 0.5, 0.5, 2], dtype, v)).toBe(
        'binaryCrossEntropy: all elements of input should be between 0 and 1 (got 1.5 at index 1)',
      );
      expect(outcome([0.5, 1.5], [-1, 0.5], dtype, v)).toBe(
        'binaryCrossEntropy: all elements of target should be between 0 and 1 (got -1 at index 0)',
      );
      expect(outcome([0.5, NaN], [0.5, 0.5], dtype, v)).toBe(
        'binaryCrossEntropy: all elements of input should be between 0 and 1 (got NaN at index 1)',
      );
      expect(outcome([0.5, 0.5], [0.5, NaN], dtype, v)).toBe(
        'binaryCrossEntropy: all elements of target should be between 0 and 1 (got NaN at index 1)',
      );
      expect(outcome([0.5, 0.5, 0.5], [0.5, 0.5, -0.5], dtype, v)).toBe(
        'binaryCrossEntropy: all elements of target should be between 0 and 1 (got -0.5 at index 2)',
      );
    });

    test('torch 1.13 checks only the input: a target outside [0, 1] computes', () => {
      useFloat32Kernels(kernels);
      // torch 1.13: F.binary_cross_entropy([0.5, 0.5], [2.0, -1.0], reduction='sum') = 1.3862943649291992
      expect(outcome([0.5, 0.5], [2, -1], dtype, '1.13.0a0')).toBe(dtype === 'float32' ? '1.3862943649291992' : String(2 * Math.log(2)));
      expect(outcome([0.5, 1.5], [-1, 0.5], dtype, '1.13.0a0')).toBe(
        'binaryCrossEntropy: all elements of input should be between 0 and 1 (got 1.5 at index 1)',
      );
    });

    test('the backward checks the same way', () => {
      useFloat32Kernels(kernels);
      const x = tensor([0.5, 0.5, 0.5], { dtype });
      const y = tensor([0.5, 0.5, 2], { dtype });
      expect(() => binaryCrossEntropyBackward(tensor(1, { dtype }), x, y, { reduction: 'sum', torchVersion: '2.6.0+debian' })).toThrow(
        'binaryCrossEntropyBackward: all elements of target should be between 0 and 1 (got 2 at index 2)',
      );
      expect(() => binaryCrossEntropyBackward(tensor(1, { dtype }), x, y, { reduction: 'sum', torchVersion: '1.13.0a0' })).not.toThrow();
    });
  });
}
