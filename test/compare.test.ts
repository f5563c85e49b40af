// compareTensor's error distribution (the HTML report's histograms): bins by their edges, counts
// per element, the worst element, and the default path unchanged.

import { expect, test } from 'vitest';
import { compareTensor, elementRatio, RATIO_BEYOND, RATIO_UPPER, ratioBin, ULP_UPPER, ulpBin, ulpDistance } from '../ts/golden/compare.ts';

test('every ULP bin holds its upper edge and the integer after the previous edge, and nothing else', () => {
  expect(ulpBin(0)).toBe(0);
  for (let i = 1; i < ULP_UPPER.length - 1; i++) {
    expect(ulpBin(ULP_UPPER[i]!), `upper edge of bin ${i}`).toBe(i);
    expect(ulpBin(ULP_UPPER[i - 1]! + 1), `first value of bin ${i}`).toBe(i);
  }
  expect(ulpBin(2 ** 40 + 1)).toBe(ULP_UPPER.length - 1);
  expect(ulpBin(2 ** 62)).toBe(ULP_UPPER.length - 1);
  expect(ULP_UPPER.slice(0, 6)).toEqual([0, 1, 2, 4, 8, 16]);
});

test('every |diff| / tolerance bin holds its upper edge and values just past the previous edge', () => {
  expect(ratioBin(0)).toBe(0);
  expect(ratioBin(1e-300)).toBe(1);
  for (let i = 1; i < RATIO_UPPER.length - 1; i++) {
    expect(ratioBin(RATIO_UPPER[i]!), `upper edge ${RATIO_UPPER[i]}`).toBe(i);
    if (i > 1) expect(ratioBin(RATIO_UPPER[i - 1]! * 1.0001), `just past ${RATIO_UPPER[i - 1]}`).toBe(i);
  }
  expect(RATIO_UPPER[RATIO_BEYOND - 1]).toBe(1);
  expect(ratioBin(1.0000001)).toBe(RATIO_BEYOND);
  expect(ratioBin(11)).toBe(RATIO_BEYOND + 1);
  expect(ratioBin(Infinity)).toBe(RATIO_BEYOND + 1);
});

const tol = { rtol: 1e-7, atol: 1e-7 };

test('the distribution counts every element once and finds the one nearest the tolerance', () => {
  const want = [1, 2, 1e-9, Number.NaN, 4, 0];
  const next = (v: number, k: number) => {
    const b = new Float64Array([v]);
    const u = new BigInt64Array(b.buffer);
    u[0]! += BigInt(k);
    return b[0]!;
  };
  const gotValues = [1, next(2, 3), 5e-8, Number.NaN, 4 + 4e-7, 0];
  const got = { data: Float64Array.from(gotValues), shape: [6] };
  const wantJson = { shape: [6], dtype: 'float64' as const, data: want.map((v) => (Number.isNaN(v) ? ('NaN' as const) : v)) };
  const cmp = compareTensor(got, wantJson, tol, 'float64', { distribution: true });
  const d = cmp.distribution!;
  // Every element once in the ratio histogram (the matching NaN as exact).
  expect(d.ratio.reduce((a, b) => a + b, 0)).toBe(6);
  expect(d.ratio[0]).toBe(3); // 1 == 1, NaN == NaN, 0 == 0
  // rtol governs for |want| > 1 only (1e-7 * |want| > 1e-7): 2 (3 ULP) and 4 (beyond tolerance).
  expect(d.ulp.reduce((a, b) => a + b, 0)).toBe(2);
  expect(d.ulp[ulpBin(3)]).toBe(1);
  expect(d.ulp[ulpBin(ulpDistance(4 + 4e-7, 4, 'float64'))]).toBe(1);
  // 4 + 4e-7 against 4: |diff| 4e-7 of a tolerance atol + rtol * 4 = 5e-7, the nearest to failing.
  expect(cmp.ok).toBe(true);
  expect(d.worst!.index).toBe(4);
  expect(d.worst!.want).toBe(4);
  expect(d.worst!.tolerance).toBeCloseTo(5e-7, 20);
  expect(elementRatio(d.worst!)).toBeCloseTo(0.8, 6);
  // 0.8 and 5e-8 against 1e-9 (0.49) share the decade (0.1, 1]; 3 ULP of 2 is 4.4e-9 of its tolerance.
  expect(d.ratio[ratioBin(0.8)]).toBe(2);
  expect(d.ratio[ratioBin(4.4e-9)]).toBe(1);
});

test('a mismatched NaN is infinitely far; an exact tensor has an exact worst element', () => {
  const nan = compareTensor(
    { data: Float32Array.from([1, Number.NaN]), shape: [2] },
    { shape: [2], dtype: 'float32', data: [1, 2] },
    tol,
    'float32',
    {
      distribution: true,
    },
  );
  expect(nan.ok).toBe(false);
  expect(nan.distribution!.ratio[RATIO_BEYOND + 1]).toBe(1);
  expect(nan.distribution!.worst!.index).toBe(1);
  expect(elementRatio(nan.distribution!.worst!)).toBe(Infinity);
  const same = compareTensor(
    { data: Float32Array.from([3, 4]), shape: [2] },
    { shape: [2], dtype: 'float32', data: [3, 4] },
    tol,
    'float32',
    {
      distribution: true,
    },
  );
  expect(same.distribution!.ratio[0]).toBe(2);
  expect(elementRatio(same.distribution!.worst!)).toBe(0);
});

test('without the option there is no distribution, and the figures are the same', () => {
  const got = { data: Float32Array.from([1.0000001, 2, 3]), shape: [3] };
  const want = { shape: [3], dtype: 'float32' as const, data: [1, 2, 3.000001] };
  const plain = compareTensor(got, want, { rtol: 1.3e-6, atol: 1e-5 }, 'float32');
  const detailed = compareTensor(got, want, { rtol: 1.3e-6, atol: 1e-5 }, 'float32', { distribution: true });
  expect(plain.distribution).toBeUndefined();
  const { distribution: _, ...rest } = detailed;
  expect(rest).toEqual(plain);
});

test("a dtype other than the golden tensor's fails, as assert_close(check_dtype=True) does", () => {
  const got = { data: Float64Array.from([1, 2]), shape: [2] };
  const cmp = compareTensor(got, { shape: [2], dtype: 'float32', data: [1, 2] }, tol, 'float32');
  expect(cmp.ok).toBe(false);
  expect(cmp.message).toBe('dtype float64 != expected float32');
});

test('a float32 tensor of a float64 case (a mixed-dtype gradient) is compared as float32 values, in float32 ULP', () => {
  const tol = { atol: 1e-5, rtol: 1.3e-6 };
  // JSON holds float32 values as their shortest decimals: 0.1 stands for fround(0.1)
  const want = { shape: [3], dtype: 'float32' as const, data: [0.1, 20.3, -7.7] };
  const exact = compareTensor({ data: Float32Array.from([0.1, 20.3, -7.7]), shape: [3] }, want, tol, 'float64');
  expect([exact.ok, exact.maxAbs, exact.maxUlp]).toEqual([true, 0, 0]);
  const oneUlp = compareTensor({ data: Float32Array.from([0.1, Math.fround(20.3) + 2 ** -19, -7.7]), shape: [3] }, want, tol, 'float64');
  expect(oneUlp.maxUlp).toBe(1);
});
