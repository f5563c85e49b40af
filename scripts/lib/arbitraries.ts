// fast-check arbitraries shared by the property tests, the live-torch test and `torch-loss-parity
// fuzz` (so they ship with the CLI): shapes 0-d to 3-D, values over the whole float range weighted
// toward the places losses break, every option layout.

import fc from 'fast-check';
import type { DType } from '../../ts/index.ts';

export const FC_RUNS = Number(process.env.FC_RUNS ?? 1000);

/** Values where exp/log1p/sigmoid change regime, in float32 and float64. */
export const EXTREMES: Record<DType, number[]> = {
  float32: [0, -0, 1e-45, -1e-45, 1.1754942e-38, -1e-40, 1, -1, 17, -17, 88.72, -88.72, 103.97, -103.97, 1e4, -1e4, 3e38, -3e38],
  float64: [
    0, -0, 5e-324, -5e-324, 2.2250738585072014e-308, -1e-310, 1, -1, 17, -17, 36.8, -36.8, 709.78, -709.78, 745.13, -745.13, 1e4, -1e4,
    1e300, -1e300,
  ],
};

export function logit(dtype: DType, maxAbs = Infinity): fc.Arbitrary<number> {
  const whole =
    dtype === 'float32' ? fc.float({ noNaN: true, noDefaultInfinity: true }) : fc.double({ noNaN: true, noDefaultInfinity: true });
  return fc
    .oneof(
      { weight: 3, arbitrary: fc.constantFrom(...EXTREMES[dtype]) },
      { weight: 2, arbitrary: whole },
      { weight: 5, arbitrary: fc.double({ min: -30, max: 30, noNaN: true }) },
    )
    .map((v) => (dtype === 'float32' ? Math.fround(v) : v))
    .filter((v) => Math.abs(v) <= maxAbs);
}

/** Hard labels, soft probabilities, and dyadic values (for which 1 - (1 - y) == y exactly). */
export const target = fc.oneof(
  fc.constantFrom(0, 1),
  fc.double({ min: 0, max: 1, noNaN: true }),
  fc.integer({ min: 0, max: 64 }).map((k) => k / 64),
);
export const dyadicTarget = fc.oneof(
  fc.constantFrom(0, 1),
  fc.integer({ min: 0, max: 64 }).map((k) => k / 64),
);
export const weightValue = fc.oneof(fc.constant(0), fc.constant(1), fc.double({ min: 0, max: 10, noNaN: true }));
export const posWeightValue = fc.oneof(fc.constantFrom(0, 1, 1e3), fc.double({ min: 0, max: 1e3, noNaN: true }));
export const reduction = fc.constantFrom('none' as const, 'mean' as const, 'sum' as const);
export const dtype = fc.constantFrom('float32' as const, 'float64' as const);
// 1.10 and 2.2 exercise the pre-log1p log_sigmoid and the pre-2.3 BCEWithLogits formulas.
export const torchVersion = fc.constantFrom('1.10.2', '1.13.0a0', '2.2.2', '2.6.0+debian', '2.14.1+debian');

export function shape(minRank = 0, maxRank = 3, maxDim = 5): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });
}

/** A shape that broadcasts to `full` along the trailing dims: scalar, C, 1xC, full, Nx1 ... */
export function classLayout(full: readonly number[]): fc.Arbitrary<number[]> {
  const c = full.length ? full[full.length - 1]! : 1;
  const options: number[][] = [[], [...full]];
  if (full.length >= 1) options.push([c]);
  if (full.length >= 2) options.push([1, c], [...full.slice(0, -1), 1]);
  return fc.constantFrom(...options);
}

export function values(n: number, arb: fc.Arbitrary<number>): fc.Arbitrary<number[]> {
  return fc.array(arb, { minLength: n, maxLength: n });
}

export const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** MultiLabelSoftMarginLoss's class dim: the last from torch 1.11, dim 1 (2-D and up) before. */
export function mlsmlClassDim(version: string, shape: readonly number[]): number {
  return Number(version.split('.')[0]) > 1 || Number(version.split('.')[1]) >= 11 ? shape.length - 1 : 1;
}
/** Whether torch `version` accepts an input of this rank for MultiLabelSoftMarginLoss. */
export function mlsmlAccepts(version: string, shape: readonly number[]): boolean {
  const d = mlsmlClassDim(version, shape);
  return d >= 0 && d < shape.length;
}
