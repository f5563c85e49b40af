// SoftMarginLoss where SLEEF's old log1p overflows: exp(-x * y) above 1e38 (float32) / 1e307
// (float64) gives inf in torch 2.0-2.7 under a vectorized CPU capability, and the true value under
// ATEN_CPU_CAPABILITY=default and in every other release. Values from real torch:
//   F.soft_margin_loss(torch.tensor([-88.5, 0.5]), torch.tensor([1., 1.]), reduction='none')
//   2.6.0+debian (AVX2):                          [inf, 0.4740769863128662]
//   2.6.0+debian, ATEN_CPU_CAPABILITY=default:    [88.5, 0.4740769863128662]
//   2.14.1+debian and 1.13.0a0:                   [88.5, 0.4740769863128662]
// and in float64 with x = -708: inf or 708.0, and 0.4740769841801067.

import { afterEach, describe, expect, test } from 'vitest';
import { softMarginLoss, tensor, type CpuCapability } from '../ts/index.ts';
import { useFloat32Kernels } from '../ts/wasm/float32-kernels.ts';

afterEach(() => useFloat32Kernels(true));

const CASES = {
  float32: { x: -88.5, big: 88.5, half: 0.4740769863128662 },
  float64: { x: -708, big: 708, half: 0.4740769841801067 },
} as const;

const RUNS: [torchVersion: string, capability: CpuCapability | undefined, overflows: boolean][] = [
  ['2.6.0+debian', undefined, true], // torch 2.x picks a vectorized capability by default
  ['2.6.0+debian', 'avx2', true],
  ['2.6.0+debian', 'default', false],
  ['2.14.1+debian', undefined, false],
  ['2.14.1+debian', 'avx2', false],
  ['1.13.0a0', undefined, false], // before 2.0: log(1 + exp(-x * y)), no log1p
];

for (const [dtype, kernels, path] of [
  ['float32', true, 'kernels'],
  ['float32', false, 'JS loops'],
  ['float64', false, 'float64'],
] as const) {
  describe(`[${path}]`, () => {
    for (const [torchVersion, cpuCapability, overflows] of RUNS) {
      test(`torch ${torchVersion} ${cpuCapability ?? '(its default capability)'}: ${overflows ? 'inf' : 'finite'}`, () => {
        useFloat32Kernels(kernels);
        const { x, big, half } = CASES[dtype];
        const input = tensor([x, 0.5], { dtype });
        const target = tensor([1, 1], { dtype });
        const options = cpuCapability ? { torchVersion, cpuCapability } : { torchVersion };
        expect(Array.from(softMarginLoss(input, target, { ...options, reduction: 'none' }).data)).toEqual([
          overflows ? Infinity : big,
          half,
        ]);
        expect(softMarginLoss(input, target, { ...options, reduction: 'sum' }).data[0]).toBe(
          overflows ? Infinity : dtype === 'float32' ? Math.fround(big + half) : big + half,
        );
      });
    }
  });
}
