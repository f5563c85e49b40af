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

/**
 * A shape that broadcasts to `full` by torch's rule: some leading dims dropped, each kept dim
 * either `full`'s or 1 (scalar, C, 1xC, Nx1, full, 1x1, ...).
 */
export function broadcastLayout(full: readonly number[]): fc.Arbitrary<number[]> {
  return fc
    .tuple(fc.integer({ min: 0, max: full.length }), fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }))
    .map(([kept, ones]) => full.slice(full.length - kept).map((d, i) => (ones[full.length - kept + i] ? 1 : d)));
}

/** Two shapes that broadcast together, and the shape they broadcast to (torch.broadcast_shapes). */
export function broadcastPair(minRank = 0, maxRank = 3, maxDim = 5): fc.Arbitrary<{ a: number[]; b: number[]; shape: number[] }> {
  return shape(minRank, maxRank, maxDim).chain((full) =>
    fc.tuple(broadcastLayout(full), broadcastLayout(full)).map(([a, b]) => {
      const rank = Math.max(a.length, b.length);
      const at = (s: number[], d: number) => s[s.length - rank + d] ?? 1;
      return { a, b, shape: Array.from({ length: rank }, (_, d) => Math.max(at(a, d), at(b, d))) };
    }),
  );
}

/** A tensor { shape, dtype, data } (a typed array of the dtype) of the given shape with values from `arb`. */
export function tensorOf(
  shapeOf: readonly number[],
  dtypeOf: DType,
  arb: fc.Arbitrary<number> = logit(dtypeOf),
): fc.Arbitrary<{ shape: number[]; dtype: DType; data: Float32Array | Float64Array }> {
  return values(numel(shapeOf), arb).map((v) => ({
    shape: [...shapeOf],
    dtype: dtypeOf,
    data: dtypeOf === 'float32' ? Float32Array.from(v) : Float64Array.from(v),
  }));
}
