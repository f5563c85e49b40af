// The shared numerics against exact references: ATen's float sums (fixtures produced by real torch,
// python/sum_fixture.py), log_sigmoid against float64 math for every release's formula, the
// release predicates at their boundaries.

import { readFileSync, readdirSync } from 'node:fs';
import { expect, test } from 'vitest';
import {
  atenRowSum,
  logSigmoid,
  logSigmoidBackward,
  logSigmoidBackwardDifference,
  logSigmoidOfNegative,
  logSigmoidPair,
  maximum,
  mean,
  minimum,
  sigmoid,
  sum,
  tensorLog1p,
  useDType,
} from '../ts/numerics.ts';
import { compareTorchVersions, torchRelease, vectorLanes, type CpuCapability } from '../ts/torch-version.ts';

const fixtures = new URL('./fixtures/', import.meta.url).pathname;
const sumFiles = readdirSync(fixtures).filter((f) => f.startsWith('torch-sums-'));

/** python/sum_fixture.py's value(i). */
const value = (i: number) => {
  const e = (i % 11) - 5;
  return (((i * 7919) % 1000) + 1) * (e >= 0 ? 10 ** e : 1 / 10 ** -e) * (i % 3 ? 1 : -1);
};

for (const file of sumFiles) {
  const fixture = JSON.parse(readFileSync(fixtures + file, 'utf8')) as {
    torch: string;
    cpu_capability: CpuCapability;
    sums: { dtype: 'float32' | 'float64'; n: number; sum: number; mean: number; row_sums: number[] }[];
  };
  test(`ATen cascade sums equal torch ${fixture.torch} (${fixture.cpu_capability}) exactly: ${file}`, () => {
    for (const s of fixture.sums) {
      const r = useDType(s.dtype);
      const lanes = vectorLanes(s.dtype); // the same under every capability: that is what these fixtures show
      const data = s.dtype === 'float32' ? new Float32Array(s.n) : new Float64Array(s.n);
      for (let i = 0; i < s.n; i++) data[i] = value(i);
      const where = `${s.dtype} n=${s.n}`;
      expect(sum(data, lanes, r), `${where} sum`).toBe(s.sum);
      expect(mean(data, lanes, r), `${where} mean`).toBe(s.mean);
      const cols = s.row_sums.length === 1 ? s.n : Math.floor(s.n / 4);
      s.row_sums.forEach((want, row) => expect(atenRowSum(data, row * cols, cols, lanes, r), `${where} row ${row}`).toBe(want));
      if (s.row_sums.length === 0) expect(s.n).toBeGreaterThan(1e6); // the large case checks the whole sum only
    }
  });
}

test("vec::minimum / maximum propagate NaN from either side and keep ATen's choice on ties", () => {
  expect(minimum(NaN, 1)).toBeNaN();
  expect(minimum(1, NaN)).toBeNaN();
  expect(maximum(NaN, 1)).toBeNaN();
  expect(maximum(1, NaN)).toBeNaN();
  expect(minimum(-2, 3)).toBe(-2);
  expect(maximum(-2, 3)).toBe(3);
  expect(Object.is(minimum(-0, 0), 0)).toBe(true); // _mm256_min_ps returns the second operand on ties
  expect(Object.is(minimum(0, -0), -0)).toBe(true);
  expect(Object.is(maximum(-0, 0), 0)).toBe(true);
  expect(Object.is(maximum(0, -0), -0)).toBe(true);
});

test('log_sigmoid, its backward and the pair helpers match float64 math in every release', () => {
  const r = useDType('float64');
  for (const version of ['1.5.0', '1.10.2', '1.13.0a0', '2.14.1']) {
    const torch = torchRelease(version);
    for (const x of [-30, -17, -3.5, -1, -0.25, 0, 0.25, 1, 3.5, 17, 30]) {
      const exact = -Math.log1p(Math.exp(-Math.abs(x))) + Math.min(x, 0);
      expect(logSigmoid(x, r, torch), `${version} ls(${x})`).toBeCloseTo(exact, 12);
      expect(logSigmoidPair(x, r, torch)).toBe(logSigmoid(x, r, torch));
      expect(logSigmoidOfNegative).toBe(logSigmoid(-x, r, torch));
      const d = 1 / (1 + Math.exp(x)); // d/dx log_sigmoid(x) = sigmoid(-x)
      expect(logSigmoidBackward(x, 2, r, torch), `${version} ls'(${x})`).toBeCloseTo(2 * d, 12);
      expect(logSigmoidBackwardDifference(x, 2, 3, r, torch)).toBe(
        r(logSigmoidBackward(x, 2, r, torch) - logSigmoidBackward(-x, 3, r, torch)),
      );
      expect(sigmoid(x, r)).toBeCloseTo(1 - d, 14);
    }
  }
});

test('SLEEF log1p overflows above 1e38 / 1e307 only for torch 2.0-2.7 with vectorized kernels', () => {
  const cases: [string, CpuCapability, 'float32' | 'float64', number, number][] = [
    ['2.6.0', 'avx2', 'float32', 1e38, Math.log1p(1e38)],
    ['2.6.0', 'avx2', 'float32', 1.0000001e38, Infinity],
    ['2.6.0', 'avx512', 'float64', 1e307, Math.log1p(1e307)],
    ['2.6.0', 'avx512', 'float64', 1.0000001e307, Infinity],
    ['2.6.0', 'default', 'float32', 3e38, Math.log1p(3e38)],
    ['2.7.1', 'avx2', 'float32', 2e38, Infinity],
    ['2.8.0', 'avx2', 'float32', 2e38, Math.log1p(2e38)],
    ['1.13.0a0', 'avx2', 'float32', 2e38, Math.log1p(2e38)],
    ['2.0.0', 'avx2', 'float64', 2e307, Infinity],
  ];
  for (const [version, capability, dtype, v, want] of cases) {
    const r = useDType(dtype);
    expect(tensorLog1p(v, dtype, torchRelease(version), capability, r), `${version} ${capability} ${dtype} ${v}`).toBe(r(want));
  }
});

test('release predicates change exactly at the releases that changed torch', () => {
  const at = (v: string) => torchRelease(v);
  expect([at('1.10.2').logSigmoidUsesLog1p, at('1.11.0').logSigmoidUsesLog1p]).toEqual([false, true]);
  expect([at('1.10.2').mlsmlAccepts1d, at('1.11.0').mlsmlAccepts1d]).toEqual([false, true]);
  expect([at('1.7.0a0').mlmlAcceptsEmptyBatch, at('1.8.0').mlmlAcceptsEmptyBatch]).toEqual([false, true]);
  expect([at('2.2.2').bceUsesLogSigmoid, at('2.3.0').bceUsesLogSigmoid, at('3.0.0').bceUsesLogSigmoid]).toEqual([false, true, true]);
  expect([at('1.13.1').bceChecksTargetRange, at('2.0.0').bceChecksTargetRange]).toEqual([false, true]);
  expect([at('1.13.1').softMarginUsesLog1p, at('2.0.0').softMarginUsesLog1p]).toEqual([false, true]);
  expect([
    at('1.13.1').sleefLog1pOverflows,
    at('2.0.0').sleefLog1pOverflows,
    at('2.7.9').sleefLog1pOverflows,
    at('2.8.0').sleefLog1pOverflows,
    at('3.0.0').sleefLog1pOverflows,
  ]).toEqual([false, true, true, false, false]);
  expect([at('1.13.1').defaultCpuCapability, at('2.0.0').defaultCpuCapability]).toEqual(['avx2', 'avx512']);
  expect(at('10.2.0').logSigmoidUsesLog1p && at('10.2.0').bceUsesLogSigmoid).toBe(true);
  expect(at('2.6.0+debian')).toBe(at('2.6.0+debian')); // parsed once
  expect(at('2.6.0+debian')).toMatchObject({ major: 2, minor: 6, version: '2.6.0+debian' });
  expect(torchRelease().version).toBe('2.14.1');
});

test('torch versions order by major, minor, patch', () => {
  const sorted = ['torch-2.14.1+debian', 'torch-1.13.0a0', 'torch-2.6.0+debian', '1.5.0', '2.10.0'].sort(compareTorchVersions);
  expect(sorted).toEqual(['1.5.0', 'torch-1.13.0a0', 'torch-2.6.0+debian', '2.10.0', 'torch-2.14.1+debian']);
  expect(compareTorchVersions('2.6', '2.6.0+debian')).toBe(0);
});

test('torch.__version__ strings parse; anything else is an error naming the op', () => {
  for (const v of [
    '1.13.0a0',
    '2.6.0+debian',
    '2.14.1+debian',
    '1.5.0',
    '2.6',
    '2.7.0rc1',
    '2.1.0.dev20230601+cpu',
    '1.13.1+cu117',
    '12.34.56',
    '2.6.10',
    '1.13.0a12',
    '2.0.0.post1+cu118',
    '2.6.0+debian.1',
    '2.5.0rc10',
  ]) {
    expect(() => torchRelease(v), v).not.toThrow();
  }
  expect(torchRelease('12.34.56')).toMatchObject({ major: 12, minor: 34 });
  for (const v of [
    'v2.6',
    'latest',
    '2',
    '',
    '2.6.0 ',
    'x2.6.0',
    '2.6.0+',
    '2.6.0-debian',
    '1.x.0',
    '2.6.0.',
    '2.6.0+deb ian',
    '2.6.0rc-1',
    '2.a.0',
  ]) {
    expect(() => torchRelease(v, 'someOp'), JSON.stringify(v)).toThrow(/^someOp: torchVersion .* is not a torch.__version__ string/);
  }
  expect(() => torchRelease(2 as unknown as string)).toThrow(/not a torch.__version__ string/);
  expect(() => torchRelease('1.4.0')).toThrow(/^torchVersion: torchVersion '1.4.0' is older than 1.5/);
  expect(() => torchRelease('bad')).toThrow(/^torchVersion: torchVersion "bad"/);
  expect(() => torchRelease('0.9.0')).toThrow(/older than 1.5/);
});

test('ATen sums with 32-byte vectors', () => {
  expect([vectorLanes('float32'), vectorLanes('float64')]).toEqual([8, 4]);
});
