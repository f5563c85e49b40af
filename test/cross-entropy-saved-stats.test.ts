// cross_entropy's backward with class indices reuses the forward's per-row statistics (max, min,
// log-sum) where a row's fingerprint is unchanged (./../ts/wasm/row-stats.ts): the backward after a
// forward on the same array gives the bits of a backward without one (every reduction, weight,
// ignore_index, capability, float32 and float64), also after the input is changed in place (one
// element, a whole row, the tail element of a row whose length is not a multiple of 4), after a
// forward on another array, and with other targets than the forward's.

import { afterEach, expect, test, vi } from 'vitest';
import { crossEntropyLoss, crossEntropyLossBackward, type Tensor } from '../ts/index.ts';
import { REDUCTIONS } from '../ts/loss-args.ts';
import { RowStatsCache } from '../ts/wasm/row-stats.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

type DType = 'float32' | 'float64';
const make = (dtype: DType, n: number) => (dtype === 'float32' ? new Float32Array(n) : new Float64Array(n));

let seed = 4242;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};

function logits(dtype: DType, rows: number, dim: number): Tensor {
  const data = make(dtype, rows * dim);
  for (let i = 0; i < data.length; i++) data[i] = (random() - 0.5) * 30;
  if (rows > 3) {
    data[dim + 1] = Number.NaN; // row 1 holds a NaN
    data[2 * dim] = Number.POSITIVE_INFINITY; // row 2 an inf
    data[3 * dim + 2] = -1e30; // row 3 a huge negative (SLEEF's range checks)
  }
  return { data, shape: [rows, dim] };
}

/** The bits of each result's data (NaN payloads and the sign of zero included). */
function bits(t: Tensor): string {
  const d = t.data;
  const u =
    d instanceof Float32Array ? new Uint32Array(d.buffer, d.byteOffset, d.length) : new Uint32Array(d.buffer, d.byteOffset, d.length * 2);
  return `${t.shape.join('x')}:${Array.from(u, (v) => v.toString(16)).join(',')}`;
}

/** The input's values in a new array (no forward ever ran on it): the backward recomputes every row. */
const copyOf = (x: Tensor): Tensor => ({ data: x.data.slice(), shape: x.shape });

const settings = [
  { torchVersion: '1.13.0', cpuCapability: 'avx2' },
  { torchVersion: '2.14.1', cpuCapability: 'avx512' },
  { torchVersion: '2.6.0', cpuCapability: 'default' },
] as const;

function hits(spy: { mock: { results: { value: unknown }[] } }): number {
  return spy.mock.results.filter((r) => r.value !== null).length;
}

for (const dtype of ['float32', 'float64'] as const) {
  const dims = dtype === 'float32' ? [16, 19, 100, 103] : [1, 3, 7, 16, 103];

  test(`${dtype}: the backward after a forward gives the bits of one without (weights, ignore_index, every reduction, capability)`, () => {
    const lookup = vi.spyOn(RowStatsCache.prototype, 'lookup');
    let compared = 0;
    for (const dim of dims) {
      const rows = 37;
      const x = logits(dtype, rows, dim);
      const weight = { data: make(dtype, dim).map(() => random() * 2), shape: [dim] };
      const labels = { data: Int32Array.from({ length: rows }, () => (random() < 0.2 ? -100 : Math.floor(random() * dim))), shape: [rows] };
      for (const setting of settings) {
        for (const reduction of REDUCTIONS) {
          const zeroIgnored = { data: labels.data.map((t) => (t < 0 ? 0 : t)), shape: [rows] };
          for (const [target, extra] of [
            [labels, {}],
            [labels, { weight }],
            [zeroIgnored, { ignoreIndex: 0 }],
          ] as const) {
            const options = { reduction, ...setting, ...extra };
            const g: Tensor =
              reduction === 'none'
                ? { data: make(dtype, rows).map(() => random()), shape: [rows] }
                : { data: make(dtype, 1).fill(0.75), shape: [] };
            const fresh = bits(crossEntropyLossBackward(g, copyOf(x), target, options));
            const forward = crossEntropyLoss(x, target, options);
            expect(bits(crossEntropyLossBackward(g, x, target, options)), `${dim} ${JSON.stringify(options)}`).toBe(fresh);
            // the forward's bits are not changed by saving
            expect(bits(forward)).toBe(bits(crossEntropyLoss(copyOf(x), target, options)));
            compared++;
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(100);
    // the saved statistics were found (not only today's path compared with itself)
    expect(hits(lookup)).toBeGreaterThan(compared / 2);
  });

  test(`${dtype}: an input changed in place between the forward and the backward (one element, a row, a row's tail element) gives the fresh backward's bits`, () => {
    const lookup = vi.spyOn(RowStatsCache.prototype, 'lookup');
    for (const dim of dims) {
      const rows = 23;
      for (const setting of settings) {
        const options = { reduction: 'sum' as const, ...setting };
        const labels = { data: Int32Array.from({ length: rows }, (_, r) => r % dim), shape: [rows] };
        const g: Tensor = { data: make(dtype, 1).fill(1), shape: [] };
        const changes: [string, (d: Float32Array | Float64Array) => void][] = [
          ['one element, to a new max', (d) => (d[5 * dim + (dim >> 1)] = 40)],
          ['one element, by one ulp', (d) => (d[7 * dim] = d[7 * dim]! * (1 + 2 ** -20))],
          ['one element, the sign of zero', (d) => (d[9 * dim + 1] = Object.is(d[9 * dim + 1], -0) ? 0 : -0)],
          ['one element, a NaN', (d) => (d[4 * dim] = Number.NaN)],
          ['a whole row', (d) => d.fill(3.5, 6 * dim, 7 * dim)],
          ['a row, permuted', (d) => d.subarray(8 * dim, 9 * dim).reverse()],
          ["a row's tail element", (d) => (d[11 * dim + dim - 1] = 50)],
          ['the last row, its last element', (d) => (d[rows * dim - 1] = -60)],
        ];
        for (const [what, change] of changes) {
          const x = logits(dtype, rows, dim);
          x.data[9 * dim + 1] = -0;
          crossEntropyLoss(x, labels, options);
          change(x.data);
          const fresh = bits(crossEntropyLossBackward(g, copyOf(x), labels, options));
          expect(bits(crossEntropyLossBackward(g, x, labels, options)), `${dtype} ${dim} ${setting.cpuCapability} ${what}`).toBe(fresh);
        }
      }
    }
    expect(hits(lookup)).toBeGreaterThan(0);
  });

  test(`${dtype}: a forward on another array in between, other targets than the forward's, another shape`, () => {
    for (const dim of dims) {
      const rows = 29;
      for (const setting of settings) {
        const options = { reduction: 'mean' as const, ...setting };
        const g: Tensor = { data: make(dtype, 1).fill(-2), shape: [] };
        const x = logits(dtype, rows, dim);
        const y = logits(dtype, rows, dim);
        // the forward skips rows whose target is ignored: the backward's targets hit them
        const forwardLabels = { data: Int32Array.from({ length: rows }, (_, r) => (r % 3 === 0 ? -100 : r % dim)), shape: [rows] };
        const labels = { data: Int32Array.from({ length: rows }, (_, r) => (r * 7) % dim), shape: [rows] };
        const freshX = bits(crossEntropyLossBackward(g, copyOf(x), labels, options));
        const freshY = bits(crossEntropyLossBackward(g, copyOf(y), labels, options));
        crossEntropyLoss(x, forwardLabels, options);
        crossEntropyLoss(y, labels, options);
        expect(bits(crossEntropyLossBackward(g, x, labels, options))).toBe(freshX);
        expect(bits(crossEntropyLossBackward(g, y, labels, options))).toBe(freshY);
        crossEntropyLoss(x, forwardLabels, options);
        expect(bits(crossEntropyLossBackward(g, x, labels, options))).toBe(freshX);
        // the same array viewed as fewer, longer rows
        if (dim * 2 >= 16 && rows % 2 === 0) {
          const wide = { data: x.data, shape: [rows / 2, dim * 2] };
          const wideLabels = { data: labels.data.subarray(0, rows / 2), shape: [rows / 2] };
          expect(bits(crossEntropyLossBackward(g, wide, wideLabels, options))).toBe(
            bits(crossEntropyLossBackward(g, copyOf(wide), wideLabels, options)),
          );
        }
      }
    }
  });
}

test('forwards stop saving while no backward asks (forward-only callers pay no fingerprint pass), and save again after a backward', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    const commit = vi.spyOn(RowStatsCache.prototype, 'commit');
    const x = logits(dtype, 12, 40);
    const target = { data: Int32Array.from({ length: 12 }, (_, r) => r), shape: [12] };
    const g: Tensor = { data: make(dtype, 1).fill(1), shape: [] };
    const fresh = bits(crossEntropyLossBackward(g, copyOf(x), target)); // a backward asked: the next forward saves
    crossEntropyLoss(x, target);
    expect(commit).toHaveBeenCalledTimes(1);
    crossEntropyLoss(x, target); // the first one's statistics went unread: this and later forwards save nothing
    crossEntropyLoss(x, target);
    expect(commit).toHaveBeenCalledTimes(1);
    expect(bits(crossEntropyLossBackward(g, x, target))).toBe(fresh); // recomputed (nothing saved since)
    crossEntropyLoss(x, target);
    expect(commit).toHaveBeenCalledTimes(2);
    const lookup = vi.spyOn(RowStatsCache.prototype, 'lookup');
    expect(bits(crossEntropyLossBackward(g, x, target))).toBe(fresh);
    expect(hits(lookup)).toBe(1);
    vi.restoreAllMocks();
  }
});

test('K-dim inputs (N, C, d1): the backward after a forward gives the bits of one without', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    const [N, C, d1] = [5, 17, 6];
    const data = make(dtype, N * C * d1).map(() => (random() - 0.5) * 20);
    const x = { data, shape: [N, C, d1] };
    const target = { data: Int32Array.from({ length: N * d1 }, () => Math.floor(random() * C)), shape: [N, d1] };
    for (const setting of settings)
      for (const reduction of REDUCTIONS) {
        const options = { reduction, ...setting };
        const g: Tensor =
          reduction === 'none' ? { data: make(dtype, N * d1).fill(0.5), shape: [N, d1] } : { data: make(dtype, 1).fill(1), shape: [] };
        const fresh = bits(crossEntropyLossBackward(g, copyOf(x), target, options));
        crossEntropyLoss(x, target, options);
        expect(bits(crossEntropyLossBackward(g, x, target, options))).toBe(fresh);
      }
  }
});
