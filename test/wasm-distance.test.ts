// The float32 WebAssembly SIMD loops of pairwise_distance's p = 2 norm and of the triplet losses'
// backward (ts/wasm/assembly/distance.ts) against the JS loops they replace, bit for bit: random,
// extreme and non-finite values, zero norms, row sizes that are not multiples of 4, 8 or 16, rows
// across chunk boundaries, every release's and capability's order (8 or 16 lanes, 1.13's fused lanes,
// the fused tail), every reduction; both builds (relaxed SIMD's fused multiply-add where it is
// proven here, and the plain build's exact one, also through its scalar redo); the committed
// binaries against their source.

import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { kernelsModuleSource, startBuild } from '../scripts/build-wasm.ts';
import {
  pairwiseDistance,
  pairwiseDistanceBackward,
  tripletMarginLoss,
  tripletMarginLossBackward,
  tripletMarginWithDistanceLoss,
  tripletMarginWithDistanceLossBackward,
  type Tensor,
} from '../ts/index.ts';
import { CHUNK, CHUNK64, DistanceKernels, loadDistanceKernels } from '../ts/wasm/distance.ts';
import { useFloat32KernelBuild, useFloat32Kernels, type KernelBuild } from '../ts/wasm/float32-kernels.ts';
import { relaxedSimdFused } from '../ts/wasm/module.ts';

afterEach(() => {
  useFloat32Kernels(true);
  useFloat32KernelBuild('auto');
  vi.restoreAllMocks();
});

/** Counts the module's calls (the tests make sure the kernels ran, not only the JS loops twice). */
function spyKernels() {
  return {
    norms: vi.spyOn(DistanceKernels.prototype, 'rowNorms'),
    tripletNorms: vi.spyOn(DistanceKernels.prototype, 'tripletNorms'),
    triplet: vi.spyOn(DistanceKernels.prototype, 'tripletGrads'),
    pairwise: vi.spyOn(DistanceKernels.prototype, 'pairwiseGrads'),
  };
}

/** A deterministic generator of values in [0, 1). */
function random(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
}

const SPECIAL = [0, -0, Infinity, -Infinity, NaN, 1e-30, -1e-30, 1e-45, -1e-45, 3e38, -3e38, 1e19, -1e19, 1, -1, 0.5];

/** Values: mostly random over 12 orders of magnitude, some special (`specials` of them in 16). */
function values(n: number, seed: number, specials = 1): Float32Array {
  const rand = random(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] =
      rand() * 16 < specials ? SPECIAL[Math.floor(rand() * SPECIAL.length)]! : (rand() - 0.5) * 10 * 10 ** Math.floor(rand() * 12 - 6);
  }
  return out;
}

/** The first element where the two differ, as bits (any NaN equals any NaN), or -1. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i]!, b[i]!];
    if (!(Object.is(x, y) || (x !== x && y !== y))) return i;
  }
  return -1;
}

/** Runs f with the kernels on, then with the JS loops. */
function both<T>(f: () => T): [kernel: T, js: T] {
  useFloat32Kernels(true);
  const k = f();
  useFloat32Kernels(false);
  const j = f();
  useFloat32Kernels(true);
  return [k, j];
}

const RELEASES = ['1.13', '2.6', '2.14.1'];
const CAPABILITIES = ['avx2', 'avx512', 'default'] as const;
/** Row sizes: under, at and over the lanes, tails of every length, a row over a chunk. */
const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 23, 31, 32, 33, 100, 129];

const builds: KernelBuild[] = relaxedSimdFused() ? ['plain', 'fma'] : ['plain'];

for (const build of builds) {
  describe(`the ${build} build`, () => {
    test('pairwise_distance p = 2 equals the JS loops (forward and backward)', () => {
      useFloat32KernelBuild(build);
      const spy = spyKernels();
      let seed = 1;
      for (const torchVersion of RELEASES) {
        for (const cpuCapability of CAPABILITIES) {
          for (const D of [...SIZES, CHUNK + 3]) {
            const rows = D > CHUNK ? 2 : 19;
            const x1 = values(rows * D, seed++);
            const x2 = values(rows * D, seed++);
            x2.set(x1.subarray(0, D)); // a zero difference but for eps
            const go: Tensor = { data: values(rows, seed++), shape: [rows] };
            const args = [
              { data: x1, shape: [rows, D] },
              { data: x2, shape: [rows, D] },
            ] as const;
            const opts = { torchVersion, cpuCapability };
            const [k, j] = both(() => pairwiseDistance(...args, opts).data);
            expect(firstDifference(k, j), `${torchVersion} ${cpuCapability} D=${D}`).toBe(-1);
            const [kb, jb] = both(() => pairwiseDistanceBackward(go, ...args, opts));
            expect(firstDifference(kb.x1.data, jb.x1.data), `x1 ${torchVersion} ${cpuCapability} D=${D}`).toBe(-1);
            expect(firstDifference(kb.x2.data, jb.x2.data), `x2 ${torchVersion} ${cpuCapability} D=${D}`).toBe(-1);
          }
        }
      }
      // every call but 2.x's D = 1 (|x|) ran in the module
      expect(spy.norms).toHaveBeenCalledTimes(RELEASES.length * CAPABILITIES.length * (SIZES.length + 1) - 2 * CAPABILITIES.length);
      expect(spy.pairwise).toHaveBeenCalledTimes(RELEASES.length * CAPABILITIES.length * (SIZES.length + 1) - 2 * CAPABILITIES.length);
    });

    test('triplet_margin_loss equals the JS loops: every reduction, margin, release, capability, row size', () => {
      useFloat32KernelBuild(build);
      const spy = spyKernels();
      let seed = 100;
      for (const torchVersion of RELEASES) {
        for (const cpuCapability of CAPABILITIES) {
          for (const D of SIZES) {
            for (const reduction of ['mean', 'sum', 'none'] as const) {
              const rows = Math.ceil((2.5 * CHUNK) / D) + 1; // across chunks, a partial last one
              const [a, p, n] = [values(rows * D, seed++), values(rows * D, seed++), values(rows * D, seed++)];
              p.set(a.subarray(0, D)); // a zero norm
              n.set(a.subarray(D, 2 * D), D);
              if (rows > 3) {
                // three equal rows: both norms sqrt(D) eps
                a.fill(0, 2 * D, 3 * D);
                p.fill(0, 2 * D, 3 * D);
                n.fill(0, 2 * D, 3 * D);
              }
              const T = (x: Float32Array): Tensor => ({ data: x, shape: [rows, D] });
              const go: Tensor =
                reduction === 'none' ? { data: values(rows, seed++), shape: [rows] } : { data: new Float32Array([0.75]), shape: [] };
              const opts = { torchVersion, cpuCapability, reduction, margin: seed % 2 ? 1 : 0.25 };
              const [kf, jf] = both(() => tripletMarginLoss(T(a), T(p), T(n), opts).data);
              expect(firstDifference(kf, jf), `forward ${torchVersion} ${cpuCapability} D=${D} ${reduction}`).toBe(-1);
              const [kb, jb] = both(() => tripletMarginLossBackward(go, T(a), T(p), T(n), opts));
              for (const name of ['anchor', 'positive', 'negative'] as const) {
                expect(firstDifference(kb[name].data, jb[name].data), `${name} ${torchVersion} ${cpuCapability} D=${D} ${reduction}`).toBe(
                  -1,
                );
              }
            }
          }
        }
      }
      // every call but 2.x's D = 1 (|x|) ran in the module
      const calls = 3 * (RELEASES.length * CAPABILITIES.length * SIZES.length - 2 * CAPABILITIES.length);
      expect(spy.triplet).toHaveBeenCalledTimes(calls);
      expect(spy.tripletNorms).toHaveBeenCalledTimes(calls);
    });

    test('triplet_margin_with_distance_loss (the default distance) equals the JS loops', () => {
      useFloat32KernelBuild(build);
      const spy = spyKernels();
      let seed = 7000;
      for (const torchVersion of [...RELEASES, '1.7']) {
        for (const D of [3, 8, 17, 100]) {
          for (const reduction of ['mean', 'sum', 'none'] as const) {
            const rows = 41;
            const [a, p, n] = [values(rows * D, seed++), values(rows * D, seed++), values(rows * D, seed++)];
            p.set(a.subarray(0, D));
            const T = (x: Float32Array): Tensor => ({ data: x, shape: [rows, D] });
            const go: Tensor =
              reduction === 'none' ? { data: values(rows, seed++), shape: [rows] } : { data: new Float32Array([-2]), shape: [] };
            const opts = { torchVersion, reduction, margin: 0.5 };
            const [kf, jf] = both(() => tripletMarginWithDistanceLoss(T(a), T(p), T(n), opts).data);
            expect(firstDifference(kf, jf), `forward ${torchVersion} D=${D} ${reduction}`).toBe(-1);
            const [kb, jb] = both(() => tripletMarginWithDistanceLossBackward(go, T(a), T(p), T(n), opts));
            for (const name of ['anchor', 'positive', 'negative'] as const) {
              expect(firstDifference(kb[name].data, jb[name].data), `${name} ${torchVersion} D=${D} ${reduction}`).toBe(-1);
            }
          }
        }
      }
      // 1.7 (no vectorized norm) in the JS loops
      expect(spy.tripletNorms).toHaveBeenCalledTimes(RELEASES.length * 4 * 3);
      expect(spy.triplet).toHaveBeenCalledTimes(RELEASES.length * 4 * 3);
    });

    test('3-d operands and a float64 gradOutput for "sum" equal the JS loops', () => {
      useFloat32KernelBuild(build);
      const shape = [3, 5, 19];
      const size = 3 * 5 * 19;
      const [a, p, n] = [values(size, 1), values(size, 2), values(size, 3)];
      const T = (x: Float32Array): Tensor => ({ data: x, shape });
      for (const g of [0.1, 0.5]) {
        const go: Tensor = { data: new Float64Array([g]), shape: [] };
        const opts = { torchVersion: '1.13', reduction: 'sum' as const };
        const [kb, jb] = both(() => tripletMarginLossBackward(go, T(a), T(p), T(n), opts));
        for (const name of ['anchor', 'positive', 'negative'] as const) expect(firstDifference(kb[name].data, jb[name].data)).toBe(-1);
      }
    });
  });
}

// ---- float64 (./assembly/distance.ts's float64 section: the same code in both builds) ----

const SPECIAL64 = [0, -0, Infinity, -Infinity, NaN, 1e-300, -1e-300, 5e-324, 1e160, -1e160, 1e-170, 1e300, 1, -1, 0.5];

/** float64 values: mostly random over 24 orders of magnitude (fma64's splits and two-sums), some special. */
function values64(n: number, seed: number, specials = 1): Float64Array {
  const rand = random(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    out[i] =
      rand() * 16 < specials
        ? SPECIAL64[Math.floor(rand() * SPECIAL64.length)]!
        : (rand() - 0.5) * 10 * 10 ** Math.floor(rand() * 24 - 12) + rand() * 1e-9;
  }
  return out;
}

function spyKernels64() {
  return {
    norms: vi.spyOn(DistanceKernels.prototype, 'rowNorms64'),
    tripletNorms: vi.spyOn(DistanceKernels.prototype, 'tripletNorms64'),
    triplet: vi.spyOn(DistanceKernels.prototype, 'tripletGrads64'),
    pairwise: vi.spyOn(DistanceKernels.prototype, 'pairwiseGrads64'),
  };
}

/** Releases for float64: 1.7 (dim 1, the serial chain; its backward the old norm_backward: JS), 1.13 (serial), 2.x (the lanes). */
const RELEASES64 = ['1.7', '1.13', '2.6', '2.14.1'];
/** Whether the float64 forward kernel takes a row of D (2.x's D = 1 is |x|), and the backward (not 1.7's). */
const takes64 = (v: string, D: number) => !(v.startsWith('2.') && D === 1);
const takesBackward64 = (v: string, D: number) => takes64(v, D) && v !== '1.7';

for (const build of builds) {
  describe(`the ${build} build, float64`, () => {
    test('pairwise_distance p = 2 equals the JS loops (forward and backward)', () => {
      useFloat32KernelBuild(build);
      const spy = spyKernels64();
      let seed = 5;
      let [forward, backward] = [0, 0];
      for (const torchVersion of RELEASES64) {
        for (const cpuCapability of CAPABILITIES) {
          for (const D of [...SIZES, CHUNK64 + 3]) {
            for (const rows of D > CHUNK64 ? [2] : [1, 2, 3, 5, 19, Math.ceil((2.5 * CHUNK64) / D) + 1]) {
              const x1 = values64(rows * D, seed++);
              const x2 = values64(rows * D, seed++);
              x2.set(x1.subarray(0, D)); // a zero difference but for eps
              const go: Tensor = { data: values64(rows, seed++), shape: [rows] };
              const args = [
                { data: x1, shape: [rows, D] },
                { data: x2, shape: [rows, D] },
              ] as const;
              const opts = { torchVersion, cpuCapability };
              const what = `${torchVersion} ${cpuCapability} D=${D} rows=${rows}`;
              const [k, j] = both(() => pairwiseDistance(...args, opts).data);
              expect(firstDifference(k, j), what).toBe(-1);
              const [kb, jb] = both(() => pairwiseDistanceBackward(go, ...args, opts));
              expect(firstDifference(kb.x1.data, jb.x1.data), `x1 ${what}`).toBe(-1);
              expect(firstDifference(kb.x2.data, jb.x2.data), `x2 ${what}`).toBe(-1);
              expect(kb.x1.data).toBeInstanceOf(Float64Array);
              if (takes64(torchVersion, D)) forward++;
              if (takesBackward64(torchVersion, D)) backward++;
            }
          }
        }
      }
      expect(spy.norms).toHaveBeenCalledTimes(forward);
      expect(spy.pairwise).toHaveBeenCalledTimes(backward);
    });

    test('triplet_margin_loss equals the JS loops: every reduction, margin, release, capability, row size', () => {
      useFloat32KernelBuild(build);
      const spy = spyKernels64();
      let seed = 300;
      let [forward, backward] = [0, 0];
      for (const torchVersion of RELEASES64) {
        for (const cpuCapability of CAPABILITIES) {
          for (const D of SIZES) {
            for (const reduction of ['mean', 'sum', 'none'] as const) {
              const rows = Math.ceil((2.5 * CHUNK64) / D) + 1 + (seed % 4); // across chunks, a partial last one, every rows % 4
              const [a, p, n] = [values64(rows * D, seed++), values64(rows * D, seed++), values64(rows * D, seed++)];
              p.set(a.subarray(0, D)); // a zero norm
              n.set(a.subarray(D, 2 * D), D);
              a.fill(0, 2 * D, 3 * D);
              p.fill(0, 2 * D, 3 * D);
              n.fill(0, 2 * D, 3 * D);
              const T = (x: Float64Array): Tensor => ({ data: x, shape: [rows, D] });
              const go: Tensor =
                reduction === 'none' ? { data: values64(rows, seed++), shape: [rows] } : { data: new Float64Array([0.7]), shape: [] };
              const opts = { torchVersion, cpuCapability, reduction, margin: seed % 2 ? 1 : 0.3 };
              const what = `${torchVersion} ${cpuCapability} D=${D} ${reduction}`;
              const [kf, jf] = both(() => tripletMarginLoss(T(a), T(p), T(n), opts).data);
              expect(firstDifference(kf, jf), `forward ${what}`).toBe(-1);
              const [kb, jb] = both(() => tripletMarginLossBackward(go, T(a), T(p), T(n), opts));
              for (const name of ['anchor', 'positive', 'negative'] as const) {
                expect(firstDifference(kb[name].data, jb[name].data), `${name} ${what}`).toBe(-1);
              }
              if (takes64(torchVersion, D)) forward++;
              if (takesBackward64(torchVersion, D)) backward++;
            }
          }
        }
      }
      expect(spy.tripletNorms).toHaveBeenCalledTimes(forward);
      expect(spy.triplet).toHaveBeenCalledTimes(backward);
    });

    test('triplet_margin_with_distance_loss (the default distance) equals the JS loops', () => {
      useFloat32KernelBuild(build);
      const spy = spyKernels64();
      let seed = 9000;
      let [forward, backward] = [0, 0];
      for (const torchVersion of RELEASES64) {
        for (const D of [1, 3, 8, 17, 100]) {
          for (const reduction of ['mean', 'sum', 'none'] as const) {
            const rows = 41;
            const [a, p, n] = [values64(rows * D, seed++), values64(rows * D, seed++), values64(rows * D, seed++)];
            p.set(a.subarray(0, D));
            const T = (x: Float64Array): Tensor => ({ data: x, shape: [rows, D] });
            // a float32 gradOutput of a float64 loss: its values as float64
            const go: Tensor =
              reduction === 'none' ? { data: values(rows, seed++), shape: [rows] } : { data: new Float64Array([-2.5]), shape: [] };
            const opts = { torchVersion, reduction, margin: 0.5 };
            const [kf, jf] = both(() => tripletMarginWithDistanceLoss(T(a), T(p), T(n), opts).data);
            expect(firstDifference(kf, jf), `forward ${torchVersion} D=${D} ${reduction}`).toBe(-1);
            const [kb, jb] = both(() => tripletMarginWithDistanceLossBackward(go, T(a), T(p), T(n), opts));
            for (const name of ['anchor', 'positive', 'negative'] as const) {
              expect(firstDifference(kb[name].data, jb[name].data), `${name} ${torchVersion} D=${D} ${reduction}`).toBe(-1);
            }
            if (takes64(torchVersion, D)) forward++;
            if (takesBackward64(torchVersion, D)) backward++;
          }
        }
      }
      expect(spy.tripletNorms).toHaveBeenCalledTimes(forward);
      expect(spy.triplet).toHaveBeenCalledTimes(backward);
    });

    test('3-d float64 operands equal the JS loops; swap, p = 1, mixed dtypes and broadcasts stay in them', () => {
      useFloat32KernelBuild(build);
      const spy = spyKernels64();
      const shape = [3, 5, 19];
      const size = 3 * 5 * 19;
      const [a, p, n] = [values64(size, 1), values64(size, 2), values64(size, 3)];
      const T = (x: Float64Array): Tensor => ({ data: x, shape });
      const go: Tensor = { data: new Float64Array([0.1]), shape: [] };
      for (const torchVersion of ['1.13', '2.6']) {
        const opts = { torchVersion, reduction: 'sum' as const };
        const [kf, jf] = both(() => tripletMarginLoss(T(a), T(p), T(n), opts).data);
        expect(firstDifference(kf, jf)).toBe(-1);
        const [kb, jb] = both(() => tripletMarginLossBackward(go, T(a), T(p), T(n), opts));
        for (const name of ['anchor', 'positive', 'negative'] as const) expect(firstDifference(kb[name].data, jb[name].data)).toBe(-1);
      }
      expect(spy.triplet).toHaveBeenCalledTimes(2);
      spy.triplet.mockClear();
      spy.tripletNorms.mockClear();
      tripletMarginLossBackward(go, T(a), T(p), T(n), { swap: true });
      tripletMarginLossBackward(go, T(a), T(p), T(n), { p: 1 });
      tripletMarginLossBackward(go, T(a), T(p), { data: Float32Array.from(n), shape });
      tripletMarginLossBackward(go, T(a), T(p), { data: n.subarray(0, 19), shape: [1, 1, 19] });
      tripletMarginLoss(T(a), T(p), T(n), { swap: true });
      expect(spy.triplet).not.toHaveBeenCalled();
      expect(spy.tripletNorms).not.toHaveBeenCalled();
    });

    test('float64 swap and broadcast forwards (rowNorms64 per pair, on the broadcast operands) equal the JS loops', () => {
      useFloat32KernelBuild(build);
      const spy = spyKernels64();
      const rows = 23;
      const D = 9;
      const [a, p, n] = [values64(rows * D, 21), values64(rows * D, 22), values64(rows * D, 23)];
      const T = (x: Float64Array, shape = [rows, D]): Tensor => ({ data: x, shape });
      const row: Tensor = { data: n.subarray(0, D), shape: [1, D] };
      for (const torchVersion of ['1.13', '2.6']) {
        for (const reduction of ['none', 'sum'] as const) {
          const opts = { torchVersion, reduction };
          const [ks, js] = both(() => tripletMarginLoss(T(a), T(p), T(n), { ...opts, swap: true }).data);
          expect(firstDifference(ks, js), `swap ${torchVersion} ${reduction}`).toBe(-1);
          const [kb, jb] = both(() => tripletMarginLoss(T(a), T(p), row, opts).data);
          expect(firstDifference(kb, jb), `broadcast ${torchVersion} ${reduction}`).toBe(-1);
          const [kd, jd] = both(() => pairwiseDistance(T(a), row, { torchVersion, keepdim: true }).data);
          expect(firstDifference(kd, jd), `pairwise broadcast ${torchVersion}`).toBe(-1);
        }
      }
      // swap: three pairs; the broadcast: two; pairwise_distance: one (per release and reduction but the last)
      expect(spy.norms).toHaveBeenCalledTimes(2 * 2 * (3 + 2 + 1));
      expect(spy.tripletNorms).not.toHaveBeenCalled();
    });

    test('float64 past the cap: the JS loops run (the same values)', () => {
      useFloat32KernelBuild(build);
      const kernels = loadDistanceKernels('plain')!; // float64's module whatever the float32 build
      const rows = 7;
      const D = 13;
      const [a, p, n] = [values64(rows * D, 11), values64(rows * D, 12), values64(rows * D, 13)];
      const T = (x: Float64Array): Tensor => ({ data: x, shape: [rows, D] });
      const go: Tensor = { data: new Float64Array([1]), shape: [] };
      const spy = spyKernels64();
      const inModule = tripletMarginLossBackward(go, T(a), T(p), T(n));
      const forward = tripletMarginLoss(T(a), T(p), T(n), { reduction: 'none' }).data;
      const previous = kernels.useCap(64);
      try {
        const js = tripletMarginLossBackward(go, T(a), T(p), T(n));
        for (const name of ['anchor', 'positive', 'negative'] as const)
          expect(firstDifference(inModule[name].data, js[name].data)).toBe(-1);
        expect(firstDifference(forward, tripletMarginLoss(T(a), T(p), T(n), { reduction: 'none' }).data)).toBe(-1);
        expect(spy.triplet).toHaveBeenCalledTimes(2);
        expect(spy.triplet.mock.results.map((r) => r.value)).toEqual([true, false]);
      } finally {
        kernels.useCap(previous);
      }
    });
  });
}

test("the plain build's exact redo of fused-lane rows (its path for a float32 rounding midpoint) equals the JS loops", () => {
  useFloat32KernelBuild('plain');
  const kernels = loadDistanceKernels('plain')!;
  const previous = kernels.useExactLanes(true);
  try {
    let seed = 500;
    for (const cpuCapability of CAPABILITIES) {
      for (const D of [8, 9, 16, 17, 100]) {
        const rows = 13;
        const [a, p, n] = [values(rows * D, seed++, 3), values(rows * D, seed++, 3), values(rows * D, seed++, 3)];
        const T = (x: Float32Array): Tensor => ({ data: x, shape: [rows, D] });
        const go: Tensor = { data: values(rows, seed++), shape: [rows] };
        const opts = { torchVersion: '1.13', cpuCapability, reduction: 'none' as const };
        const [kf, jf] = both(() => pairwiseDistance(T(a), T(p), { torchVersion: '1.13', cpuCapability }).data);
        expect(firstDifference(kf, jf)).toBe(-1);
        const [kb, jb] = both(() => tripletMarginLossBackward(go, T(a), T(p), T(n), opts));
        for (const name of ['anchor', 'positive', 'negative'] as const) expect(firstDifference(kb[name].data, jb[name].data)).toBe(-1);
      }
    }
  } finally {
    kernels.useExactLanes(previous);
  }
});

test('past the cap the JS loops run (the same values)', () => {
  const kernels = loadDistanceKernels(relaxedSimdFused() ? 'fma' : 'plain')!;
  const previous = kernels.useCap(1024);
  try {
    const D = 300;
    const [a, p, n] = [values(4 * D, 1), values(4 * D, 2), values(4 * D, 3)];
    const T = (x: Float32Array): Tensor => ({ data: x, shape: [4, D] });
    const go: Tensor = { data: new Float32Array([1]), shape: [] };
    const [kb, jb] = both(() => tripletMarginLossBackward(go, T(a), T(p), T(n), { torchVersion: '2.14.1' }));
    expect(firstDifference(kb.anchor.data, jb.anchor.data)).toBe(-1);
    const [kf, jf] = both(() => pairwiseDistance(T(a), T(p), { torchVersion: '2.14.1' }).data);
    expect(firstDifference(kf, jf)).toBe(-1);
  } finally {
    kernels.useCap(previous);
  }
});

test('ts/wasm/distance-binary.ts and distance-fma-binary.ts are the builds of ts/wasm/assembly/distance.ts', async () => {
  // both compile at once (../scripts/build-wasm.ts buildWasm: child processes, or its cache)
  const [plainBuild, fmaBuild] = [startBuild('distance'), startBuild('distance', true)];
  const plain = readFileSync(new URL('../ts/wasm/distance-binary.ts', import.meta.url), 'utf8');
  expect(plain === kernelsModuleSource(await plainBuild, 'distance')).toBe(true);
  const fma = readFileSync(new URL('../ts/wasm/distance-fma-binary.ts', import.meta.url), 'utf8');
  expect(fma === kernelsModuleSource(await fmaBuild, 'distance', true)).toBe(true);
}, 300_000);
