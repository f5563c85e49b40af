// The float32 WebAssembly SIMD loops of margin_ranking_loss and cosine_embedding_loss
// (ts/wasm/assembly/vectors.ts) against the JS loops they replace, bit for bit: random, extreme and
// non-finite values, lengths and row sizes that are not multiples of 4, 8, 16, 32 or 64, across
// chunk boundaries, every release's rules (the clamp's gradient, the sum lanes), every reduction;
// their streamed sum against atenRowSum; the committed binary against its source.

import { readFileSync } from 'node:fs';
import { afterEach, expect, test, vi } from 'vitest';
import { buildWasm, kernelsModuleSource } from '../scripts/build-wasm.ts';
import {
  cosineEmbeddingLoss,
  cosineEmbeddingLossBackward,
  hingeEmbeddingLoss,
  hingeEmbeddingLossBackward,
  marginRankingLoss,
  marginRankingLossBackward,
  multiMarginLoss,
  multiMarginLossBackward,
  crossEntropyLoss,
  nllLoss,
  type IndexTensor,
  type Tensor,
} from '../ts/index.ts';
import { atenRowSum, useDType } from '../ts/numerics.ts';
import { useFloat32Kernels } from '../ts/wasm/float32-kernels.ts';
import { CHUNK, VectorKernels, vectorKernels } from '../ts/wasm/vectors.ts';

afterEach(() => {
  useFloat32Kernels(true);
  vi.restoreAllMocks();
});

const kernels = vectorKernels()!;

/** A deterministic generator of values in [0, 1). */
function random(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
}

const SPECIAL = [0, -0, Infinity, -Infinity, NaN, 1e-30, -1e-30, 1e-45, -1e-45, 3e38, -3e38, 1e19, -1e19, 1, -1, 0.5];

/** Values: mostly random over 12 orders of magnitude, some special (`specials` of them in 16). */
function values(n: number, seed: number, specials = 2): Float32Array {
  const rand = random(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] =
      rand() * 16 < specials ? SPECIAL[Math.floor(rand() * SPECIAL.length)]! : (rand() - 0.5) * 10 * 10 ** Math.floor(rand() * 12 - 6);
  }
  return out;
}

/** Targets: mostly +-1, some 0, 2, 0.5 and NaN (which select neither branch). */
function targets(n: number, seed: number): Float32Array {
  const rand = random(seed);
  const pool = [1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 0, 2, 0.5, NaN, -0];
  return Float32Array.from({ length: n }, () => pool[Math.floor(rand() * pool.length)]!);
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

/** run() with the kernels, then with the JS loops: every returned tensor bit for bit. */
function expectSame(run: () => Tensor[], what: string): void {
  useFloat32Kernels(true);
  const wasm = run();
  useFloat32Kernels(false);
  const js = run();
  useFloat32Kernels(true);
  for (let k = 0; k < js.length; k++) {
    expect(wasm[k]!.shape, what).toEqual(js[k]!.shape);
    expect(wasm[k]!.data, what).toBeInstanceOf(Float32Array);
    const at = firstDifference(wasm[k]!.data, js[k]!.data);
    if (at >= 0) expect.fail(`${what}: result ${k} element ${at}: kernel ${wasm[k]!.data[at]}, JS ${js[k]!.data[at]}`);
  }
}

test('WebAssembly SIMD is available here; useFloat32Kernels(false) switches the module off too', () => {
  expect(kernels).toBeInstanceOf(VectorKernels);
  expect(vectorKernels()).toBe(kernels); // one instance
  useFloat32Kernels(false);
  expect(vectorKernels()).toBeNull();
  useFloat32Kernels(true);
  expect(vectorKernels()).toBe(kernels);
});

test('ts/wasm/vectors-binary.ts is the build of ts/wasm/assembly/vectors.ts (npm run build:wasm)', async () => {
  const committed = readFileSync(new URL('../ts/wasm/vectors-binary.ts', import.meta.url), 'utf8');
  expect(committed === kernelsModuleSource(await buildWasm('vectors'), 'vectors')).toBe(true);
}, 120_000);

test("the module's streamed sum is atenRowSum's, over 8 and 16 lanes, any length, in blocks of any multiple of the ILP row", () => {
  const { exports } = kernels;
  const base = exports.heapBase();
  const lengths = [
    8,
    9,
    15,
    16,
    17,
    31,
    32,
    33,
    63,
    64,
    65,
    127,
    511,
    512,
    513,
    2047,
    2048,
    2049,
    4096 + 37,
    16 * 64 * 16 + 5,
    70_001,
    1 << 17,
  ];
  const r = useDType('float32');
  for (const lanes of [8, 16]) {
    for (const n of lengths) {
      for (const [seed, specials] of [
        [n, 0],
        [n + 1, 3],
      ] as const) {
        const v = values(n, seed, specials);
        const want = atenRowSum(v, 0, n, lanes, r);
        const pages = Math.ceil((base + n * 4) / 65536) - exports.memory.buffer.byteLength / 65536;
        if (pages > 0) exports.memory.grow(pages);
        new Float32Array(exports.memory.buffer).set(v, base / 4);
        const rand = random(seed + 7);
        exports.sumBegin(n, lanes);
        let got = 0;
        for (let at = 0; at < n; ) {
          // blocks of 1 to 40 ILP rows, the last one the rest
          const count = Math.min(n - at, 4 * lanes * (1 + Math.floor(rand() * 40)));
          got = exports.sumAdd(base + at * 4, count);
          if (at + count < n) expect(got).toBe(0);
          at += count;
        }
        expect(
          Object.is(got, want) || (got !== got && want !== want),
          `lanes ${lanes} n ${n} specials ${specials}: ${got} vs ${want}`,
        ).toBe(true);
      }
    }
  }
});

const RELEASES = ['1.7.1', '1.13.0', '2.6.0', '2.14.1'];
// 1.13 under avx512 sums over 16 lanes (avx512SumKernel), 2.14 under avx512 over 8
const CAPABILITIES = ['avx2', 'avx512', 'default'] as const;

test('margin_ranking_loss: the module runs float32 of one shape (spied), and equals the JS loops bit for bit', () => {
  const sum = vi.spyOn(VectorKernels.prototype, 'marginRankingSum');
  const none = vi.spyOn(VectorKernels.prototype, 'marginRankingLosses');
  const grads = vi.spyOn(VectorKernels.prototype, 'marginRankingGrads');
  const lengths = [1, 3, 7, 8, 15, 16, 17, 33, 63, 64, 65, 100, 1001, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 29];
  for (const n of lengths) {
    const shape = n % 2 === 0 ? [2, n / 2] : [n];
    const t = (data: Float32Array): Tensor => ({ data, shape });
    const [a, b, y] = [t(values(n, n)), t(values(n, n + 1)), t(targets(n, n + 2))];
    const goNone = t(values(n, n + 3));
    for (const torchVersion of RELEASES) {
      for (const cpuCapability of CAPABILITIES) {
        for (const reduction of ['none', 'mean', 'sum'] as const) {
          for (const margin of [0, -0, 0.7, -1.5, 1e30]) {
            const o = { reduction, margin, torchVersion, cpuCapability };
            const go: Tensor = reduction === 'none' ? goNone : { data: new Float32Array([reduction === 'mean' ? 1 : -2.5]), shape: [] };
            expectSame(
              () => {
                const g = marginRankingLossBackward(go, a, b, y, o);
                return [marginRankingLoss(a, b, y, o), g.input1, g.input2];
              },
              `n ${n} ${JSON.stringify(o)}`,
            );
          }
        }
      }
    }
  }
  expect(sum).toHaveBeenCalled();
  expect(none).toHaveBeenCalled();
  expect(grads).toHaveBeenCalled();
});

test('margin_ranking_loss: the clamp at exactly 0, and the gradient where u is 0 (>= before 2.14, > from 2.14)', () => {
  // u = -t (a - b) + m is exactly 0, -0, a tiny positive or negative value, or NaN
  const a = new Float32Array([1, 2, 0.5, -0, 0, 1e-45, 3, NaN, Infinity, Infinity, 0.25, 5]);
  const b = new Float32Array([1, 2, 0.5, 0, -0, 0, 3.5, 1, Infinity, 1, 0.25, 5]);
  const y = new Float32Array([1, -1, 1, 1, -1, -1, 1, 1, 1, -1, -0, 0]);
  const n = a.length;
  const t = (data: Float32Array): Tensor => ({ data, shape: [n] });
  for (const torchVersion of RELEASES) {
    for (const reduction of ['none', 'mean', 'sum'] as const) {
      for (const margin of [0, -0, 0.5, -0.5]) {
        const o = { reduction, margin, torchVersion };
        const go: Tensor = reduction === 'none' ? t(values(n, 5)) : { data: new Float32Array([1]), shape: [] };
        expectSame(() => {
          const g = marginRankingLossBackward(go, t(a), t(b), t(y), o);
          return [marginRankingLoss(t(a), t(b), t(y), o), g.input1, g.input2];
        }, JSON.stringify(o));
      }
    }
  }
});

test('margin_ranking_loss: a float64 gradOutput for reduction none is rounded to float32 per element as the JS loop does', () => {
  const n = 37;
  const t = (data: Float32Array): Tensor => ({ data, shape: [n] });
  const [a, b, y] = [t(values(n, 1, 0)), t(values(n, 2, 0)), t(targets(n, 3))];
  const go: Tensor = { data: Float64Array.from({ length: n }, (_, i) => 1 / (i + 3)), shape: [n] };
  expectSame(() => {
    const g = marginRankingLossBackward(go, a, b, y, { reduction: 'none' });
    return [g.input1, g.input2];
  }, 'float64 gradOutput');
});

test('hinge_embedding_loss: the module runs float32 of one shape (spied), and equals the JS loops bit for bit', () => {
  const sum = vi.spyOn(VectorKernels.prototype, 'hingeSum');
  const none = vi.spyOn(VectorKernels.prototype, 'hingeLosses');
  const grads = vi.spyOn(VectorKernels.prototype, 'hingeGrads');
  const lengths = [1, 3, 7, 8, 15, 16, 17, 33, 63, 64, 65, 100, 1001, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 29];
  for (const n of lengths) {
    const shape = n % 2 === 0 ? [2, n / 2] : [n];
    const t = (data: Float32Array): Tensor => ({ data, shape });
    const [x, y] = [t(values(n, n + 5)), t(targets(n, n + 6))];
    const goNone = t(values(n, n + 7));
    for (const torchVersion of RELEASES) {
      for (const cpuCapability of CAPABILITIES) {
        for (const reduction of ['none', 'mean', 'sum'] as const) {
          for (const margin of [1, 0, -0, 0.7, -1.5, 1e30]) {
            const o = { reduction, margin, torchVersion, cpuCapability };
            const go: Tensor = reduction === 'none' ? goNone : { data: new Float32Array([reduction === 'mean' ? 1 : -2.5]), shape: [] };
            expectSame(() => [hingeEmbeddingLoss(x, y, o), hingeEmbeddingLossBackward(go, x, y, o)], `n ${n} ${JSON.stringify(o)}`);
          }
        }
      }
    }
  }
  // the clamp at exactly 0 (margin - x = 0, -0), and x's where() for targets of neither sign
  const x = t12(new Float32Array([1, 1, 1, -0, 0, 2, NaN, Infinity, -Infinity, 1e-45, 1, 0.5]));
  const y = t12(new Float32Array([-1, 1, 0, -1, -1, -1, -1, -1, 1, -1, NaN, 2]));
  for (const torchVersion of RELEASES) {
    for (const reduction of ['none', 'mean', 'sum'] as const) {
      for (const margin of [1, 0, -0, 2]) {
        const o = { reduction, margin, torchVersion };
        const go: Tensor = reduction === 'none' ? t12(values(12, 9)) : { data: new Float32Array([1]), shape: [] };
        expectSame(() => [hingeEmbeddingLoss(x, y, o), hingeEmbeddingLossBackward(go, x, y, o)], `edges ${JSON.stringify(o)}`);
      }
    }
  }
  expect(sum).toHaveBeenCalled();
  expect(none).toHaveBeenCalled();
  expect(grads).toHaveBeenCalled();
});

test('multi_margin_loss: the module runs float32 rows four at a time (spied), and equals the JS loops bit for bit', () => {
  const rowsSpy = vi.spyOn(VectorKernels.prototype, 'multiMarginRows');
  const gradSpy = vi.spyOn(VectorKernels.prototype, 'multiMarginGrad');
  // classes not a multiple of 4, rows not a multiple of 4, chunks of whole rows (2049 and 9000 classes: 4 rows a chunk)
  for (const C of [1, 2, 3, 4, 5, 7, 8, 9, 17, 100, 101, 2049, 9000]) {
    for (const rows of C > 1000 ? [1, 5, 9] : [1, 3, 4, 5, 8, 9, 83]) {
      const n = rows * C;
      const rand = random(C * 31 + rows);
      const x: Tensor = {
        data: values(n, C * 13 + rows, 3).map((v) => (Math.abs(v) < 1e3 && rand() < 0.7 ? (rand() - 0.5) * 4 : v)),
        shape: [rows, C],
      };
      const y: IndexTensor = { data: Int32Array.from({ length: rows }, () => Math.floor(rand() * C)), shape: [rows] };
      const weights = [
        null,
        { data: Float32Array.from({ length: C }, (_, i) => (i % 7 === 3 ? -0.5 : i % 11 === 5 ? 0 : rand() * 2)), shape: [C] },
      ];
      const goNone: Tensor = { data: values(rows, rows + 3, 1), shape: [rows] };
      for (const torchVersion of ['1.13.0', '2.14.1']) {
        for (const reduction of ['none', 'mean', 'sum'] as const) {
          for (const p of [1, 2]) {
            for (const weight of weights) {
              for (const margin of reduction === 'mean' ? [1, 0, -0.5, 0.3, 1e30] : [1, 0.3]) {
                const o = { reduction, p, margin, weight, torchVersion };
                const go: Tensor = reduction === 'none' ? goNone : { data: new Float32Array([reduction === 'mean' ? 1 : -1.5]), shape: [] };
                expectSame(
                  () => [multiMarginLoss(x, y, o), multiMarginLossBackward(go, x, y, o)],
                  `C ${C} rows ${rows} ${JSON.stringify({ ...o, weight: weight !== null })}`,
                );
              }
            }
          }
        }
      }
    }
  }
  expect(rowsSpy).toHaveBeenCalled();
  expect(gradSpy).toHaveBeenCalled();
});

test('multi_margin_loss: a (C) input with a 0-d target, and a float64 gradOutput (the JS loop), agree', () => {
  const C = 13;
  const x: Tensor = { data: values(C, 4, 2), shape: [C] };
  const y: IndexTensor = { data: new Int32Array([5]), shape: [] };
  for (const reduction of ['none', 'mean', 'sum'] as const) {
    const go: Tensor = { data: new Float32Array([0.75]), shape: [] };
    expectSame(() => [multiMarginLoss(x, y, { reduction }), multiMarginLossBackward(go, x, y, { reduction })], reduction);
  }
  const rows = 6;
  const x2: Tensor = { data: values(rows * C, 5, 0), shape: [rows, C] };
  const y2: IndexTensor = { data: Int32Array.from({ length: rows }, (_, i) => (i * 5) % C), shape: [rows] };
  const go64: Tensor = { data: Float64Array.from({ length: rows }, (_, i) => 1 / (i + 3)), shape: [rows] };
  expectSame(() => [multiMarginLossBackward(go64, x2, y2, { reduction: 'none' })], 'float64 gradOutput');
});

function t12(data: Float32Array): Tensor {
  return { data, shape: [12] };
}

/** Each release's rules once (target dim checks, the clamp's gradient), the sum's 8 and 16 lanes. */
const COSINE_RULES = [
  ['1.7.1', 'avx2'],
  ['1.9.0', 'avx512'],
  ['1.13.0', 'avx512'],
  ['1.13.0', 'default'],
  ['2.6.0', 'avx2'],
  ['2.14.1', 'avx512'],
] as const;

test('cosine_embedding_loss: the module runs float32 rows (spied) and equals the JS loops bit for bit', () => {
  const losses = vi.spyOn(VectorKernels.prototype, 'cosineLosses');
  const lossSum = vi.spyOn(VectorKernels.prototype, 'cosineLossSum');
  const sums = vi.spyOn(VectorKernels.prototype, 'cosineRowSums');
  const backward = vi.spyOn(VectorKernels.prototype, 'cosineBackward');
  // the module takes D >= lanes with fewer than 16 whole ILP rows (D < 512 for 8 lanes, 1024 for 16); larger and smaller D run the JS loops
  const dims = [1, 5, 8, 9, 15, 16, 17, 33, 47, 63, 64, 65, 100, 129, 255, 511, 512, 1023, 1024];
  for (const D of dims) {
    for (const rows of [1, 83, D < 100 ? 300 : 20]) {
      const n = rows * D;
      for (const specials of [0, 3]) {
        const shape = [rows, D];
        const a: Tensor = { data: values(n, D * 7 + rows + specials, specials), shape };
        const b: Tensor = { data: values(n, D * 11 + rows + specials, specials), shape };
        // one target per row (the forward all in the module), or one for all rows (broadcast: the module's row sums, then the JS chain)
        const y: Tensor =
          rows === 83 && specials === 3 ? { data: new Float32Array([-1]), shape: [1] } : { data: targets(rows, D + rows), shape: [rows] };
        const goNone: Tensor = { data: values(rows, D + 1, specials), shape: [rows] };
        for (const [torchVersion, cpuCapability] of specials === 0 ? COSINE_RULES : COSINE_RULES.slice(2, 4)) {
          for (const reduction of ['none', 'mean', 'sum'] as const) {
            for (const margin of reduction === 'mean' ? [0, 0.3, -0.5] : [0.3]) {
              const o = { reduction, margin, torchVersion, cpuCapability };
              const go: Tensor = reduction === 'none' ? goNone : { data: new Float32Array([1.25]), shape: [] };
              expectSame(
                () => {
                  const g = cosineEmbeddingLossBackward(go, a, b, y, o);
                  return [cosineEmbeddingLoss(a, b, y, o), g.input1, g.input2];
                },
                `D ${D} rows ${rows} specials ${specials} ${JSON.stringify(o)}`,
              );
            }
          }
        }
      }
    }
  }
  expect(losses).toHaveBeenCalled();
  expect(lossSum).toHaveBeenCalled();
  expect(sums).toHaveBeenCalled();
  expect(backward).toHaveBeenCalled();
});

test('cosine_embedding_loss: 1-D inputs with a 0-d target (torch >= 1.11), equal and orthogonal rows, zero rows', () => {
  for (const D of [8, 13, 40, 100]) {
    const x = values(D, D, 1);
    const zero = new Float32Array(D);
    const neg = x.map((v) => -v);
    for (const [name, second] of [
      ['equal', x],
      ['negated', neg],
      ['zero', zero],
    ] as const) {
      for (const target of [1, -1]) {
        for (const torchVersion of ['1.13.0', '2.14.1']) {
          const o = { reduction: 'mean' as const, margin: 0.1, torchVersion };
          const a: Tensor = { data: x, shape: [D] };
          const b: Tensor = { data: second, shape: [D] };
          const y: Tensor = { data: new Float32Array([target]), shape: [] };
          const go: Tensor = { data: new Float32Array([1]), shape: [] };
          expectSame(() => {
            const g = cosineEmbeddingLossBackward(go, a, b, y, o);
            return [cosineEmbeddingLoss(a, b, y, o), g.input1, g.input2];
          }, `D ${D} ${name} target ${target} ${torchVersion}`);
        }
      }
    }
  }
});

test('cosine_embedding_loss: an int64 or float64 target (compared in its own dtype: the JS chain between the module sums and gradients) agrees', () => {
  const [rows, D] = [37, 20];
  const a: Tensor = { data: values(rows * D, 11, 1), shape: [rows, D] };
  const b: Tensor = { data: values(rows * D, 12, 1), shape: [rows, D] };
  const pool = [1, -1, 0, 2, 1, -1];
  const targetsOf: (Tensor | IndexTensor)[] = [
    { data: Int32Array.from({ length: rows }, (_, i) => pool[i % pool.length]!), shape: [rows] },
    // 1 + 2^-40 is neither 1 nor -1 in float64 (though it rounds to 1 in float32)
    { data: Float64Array.from({ length: rows }, (_, i) => (i % 5 === 4 ? 1 + 2 ** -40 : pool[i % pool.length]!)), shape: [rows] },
  ];
  for (const y of targetsOf) {
    for (const reduction of ['none', 'mean', 'sum'] as const) {
      const go: Tensor = reduction === 'none' ? { data: values(rows, 13, 0), shape: [rows] } : { data: new Float32Array([1]), shape: [] };
      const o = { reduction, margin: 0.2 };
      expectSame(() => {
        const g = cosineEmbeddingLossBackward(go, a, b, y, o);
        return [cosineEmbeddingLoss(a, b, y, o), g.input1, g.input2];
      }, `${y.data.constructor.name} ${reduction}`);
    }
  }
});

test("nll_loss's cascade: the module runs float32 and float64 (spied), and equals the JS loops bit for bit (cross_entropy's picked values too)", () => {
  const spy = vi.spyOn(VectorKernels.prototype, 'nllCascade');
  /** The loss under both, or both errors' messages. */
  const both = (run: () => Tensor): void => {
    const outcome = () => {
      try {
        const t = run();
        return { value: t.data[0], dtype: t.data.constructor.name };
      } catch (e) {
        return { error: (e as Error).message };
      }
    };
    useFloat32Kernels(true);
    const wasm = outcome();
    useFloat32Kernels(false);
    const js = outcome();
    useFloat32Kernels(true);
    expect(wasm.error).toBe(js.error);
    expect(wasm.dtype).toBe(js.dtype);
    if (!Object.is(wasm.value, js.value)) expect.fail(`kernel ${wasm.value}, JS ${js.value}`);
  };
  let seed = 1;
  // counts around the cascade's blocks of 16 (four at a time in the module) and its levels
  for (const rows of [0, 1, 2, 15, 16, 17, 32, 33, 48, 63, 64, 65, 66, 80, 81, 97, 255, 256, 257, 1000, 4097]) {
    for (const C of [1, 3, 100]) {
      for (const ignoring of ['none', 'some', 'level-ups', 'runs', 'all'] as const) {
        const rand = random(seed++);
        const ignore = ignoring === 'some' && rand() < 0.5 ? 0 : -100;
        const y = Int32Array.from({ length: rows }, (_, i) => {
          const hit =
            ignoring === 'all' ||
            (ignoring === 'some' && rand() < 0.2) ||
            (ignoring === 'level-ups' && i % 16 === 0 && rand() < 0.7) ||
            (ignoring === 'runs' && Math.floor(i / 13) % 3 === 1);
          return hit ? ignore : Math.floor(rand() * C);
        });
        for (const dtype of ['float32', 'float64'] as const) {
          const f32 = dtype === 'float32';
          const picked = values(rows * C, seed++, 1);
          const x: Tensor = { data: f32 ? picked : Float64Array.from(picked), shape: [rows, C] };
          const target: IndexTensor = { data: y, shape: [rows] };
          const classW = Array.from({ length: C }, (_, c) => (c % 7 === 3 ? -0 : c % 11 === 5 ? 0 : c % 13 === 4 ? Infinity : rand() * 2));
          const w = f32 ? Float32Array.from(classW) : Float64Array.from(classW);
          for (const weight of [null, { data: w, shape: [C] }]) {
            for (const reduction of ['mean', 'sum'] as const) {
              for (const torchVersion of ['1.13.0', '2.14.1']) {
                const o = { weight, reduction, ignoreIndex: ignore, torchVersion };
                both(() => nllLoss(x, target, o));
                if (dtype === 'float32' && C > 1) both(() => crossEntropyLoss(x, target, o));
              }
            }
          }
        }
      }
    }
  }
  expect(spy).toHaveBeenCalled();
  expect(spy.mock.results.some((r) => r.value !== null)).toBe(true);
  spy.mockClear();
  // an out-of-bounds target: the module returns null and the JS loop raises torch's IndexError (in
  // the serial blocks, and in the f32x4 / f64x2 blocks of 4 x 16 from 81 targets; among ignored ones too)
  for (const [rows, at] of [
    [40, 37],
    [200, 0],
    [200, 1],
    [200, 70],
    [200, 129],
    [200, 199],
  ] as const) {
    for (const f64 of [false, true]) {
      const x: Tensor = { data: f64 ? Float64Array.from(values(rows * 5, 7)) : values(rows * 5, 7), shape: [rows, 5] };
      for (const bad of [5, -1, 1000, -(2 ** 31), 2 ** 31 - 1]) {
        const y = Int32Array.from({ length: rows }, (_, i) => (i === at ? bad : i % 7 === 3 ? -100 : i % 5));
        for (const weight of [null, { data: f64 ? Float64Array.from(values(5, 8, 1)) : values(5, 8, 1), shape: [5] }]) {
          both(() => nllLoss(x, { data: y, shape: [rows] }, { weight }));
          expect(() => nllLoss(x, { data: y, shape: [rows] }, { weight })).toThrow(/out of bounds/);
        }
      }
    }
  }
  expect(spy.mock.results.every((r) => r.value === null)).toBe(true);
  const x: Tensor = { data: values(40 * 5, 7), shape: [40, 5] };
  // an ignore_index outside int32 (no label equals it): the JS loop
  spy.mockClear();
  both(() => nllLoss(x, { data: Int32Array.from({ length: 40 }, (_, i) => i % 5), shape: [40] }, { ignoreIndex: 2 ** 40 }));
  expect(spy).not.toHaveBeenCalled();
});

test('past the module-memory cap the JS loops run, with the same values', () => {
  const previous = kernels.useCap(1024);
  try {
    const sums = vi.spyOn(VectorKernels.prototype, 'cosineLossSum');
    const D = 100;
    const rows = 50;
    const a: Tensor = { data: values(rows * D, 1), shape: [rows, D] };
    const b: Tensor = { data: values(rows * D, 2), shape: [rows, D] };
    const y: Tensor = { data: targets(rows, 3), shape: [rows] };
    const go: Tensor = { data: new Float32Array([1]), shape: [] };
    expectSame(() => {
      const g = cosineEmbeddingLossBackward(go, a, b, y, { reduction: 'sum' });
      return [cosineEmbeddingLoss(a, b, y, { reduction: 'sum' }), g.input1, g.input2];
    }, 'over the cap');
    expect(sums).toHaveBeenCalled();
    expect(sums.mock.results.every((r) => r.value === null)).toBe(true);
  } finally {
    kernels.useCap(previous);
  }
});

/** float64 values: mostly random over 24 orders of magnitude, some special (squares that overflow or underflow too). */
function values64(n: number, seed: number, specials = 2): Float64Array {
  const rand = random(seed);
  const pool = [0, -0, Infinity, -Infinity, NaN, 1e-300, -5e-324, 1e160, -1e160, 1e-170, 1e300, 1, -1, 0.5];
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = rand() * 16 < specials ? pool[Math.floor(rand() * pool.length)]! : (rand() - 0.5) * 10 * 10 ** Math.floor(rand() * 24 - 12);
  }
  return out;
}

test('cosine_embedding_loss float64: the module row sums (cosineRowSums64, spied) equal the JS loops bit for bit', () => {
  const sums = vi.spyOn(VectorKernels.prototype, 'cosineRowSums64');
  let expected = 0;
  const dims = [1, 3, 4, 5, 8, 9, 15, 16, 17, 33, 63, 64, 65, 100, 129, 255, 256, 511, 512];
  for (const D of dims) {
    for (const rows of [1, 83, Math.ceil((2.5 * CHUNK) / D) + 1]) {
      const n = rows * D;
      for (const specials of [0, 3]) {
        const shape = [rows, D];
        const a: Tensor = { data: values64(n, D * 7 + rows + specials, specials), shape };
        const b: Tensor = { data: values64(n, D * 11 + rows + specials, specials), shape };
        const y: Tensor = { data: Float64Array.from(targets(rows, D + rows)), shape: [rows] };
        for (const [torchVersion, cpuCapability] of specials === 0 ? COSINE_RULES : COSINE_RULES.slice(2, 4)) {
          for (const reduction of ['none', 'mean', 'sum'] as const) {
            const o = { reduction, margin: 0.3, torchVersion, cpuCapability };
            const lanes = cpuCapability === 'avx512' && !torchVersion.startsWith('1.7') ? 8 : 4;
            if (D >= lanes && Math.floor(D / lanes / 4) < 16) expected++;
            useFloat32Kernels(true);
            const k = cosineEmbeddingLoss(a, b, y, o);
            useFloat32Kernels(false);
            const j = cosineEmbeddingLoss(a, b, y, o);
            useFloat32Kernels(true);
            expect(k.shape).toEqual(j.shape);
            expect(k.data).toBeInstanceOf(Float64Array);
            const at = firstDifference(k.data, j.data);
            if (at >= 0) expect.fail(`D ${D} rows ${rows} ${JSON.stringify(o)}: element ${at}: kernel ${k.data[at]}, JS ${j.data[at]}`);
          }
        }
      }
    }
  }
  expect(sums).toHaveBeenCalledTimes(expected);
});
