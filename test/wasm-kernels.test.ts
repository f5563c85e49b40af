// The float32 WebAssembly kernels against the JS loops they replace (bit for bit but for rare
// midpoint ties of exp / log, over every operand layout, chunk boundaries, non-finite values),
// their sum against torch, their exp / log / log1p against V8's, and the committed binaries against
// their source. Every kernel test runs under both builds of the module (ts/wasm/float32-kernels.ts
// KernelBuild): the relaxed-SIMD one (fused multiply-adds, where they are fused here) and the plain one.

import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  binaryCrossEntropy,
  binaryCrossEntropyBackward,
  binaryCrossEntropyWithLogits,
  binaryCrossEntropyWithLogitsBackward,
  crossEntropyLoss,
  crossEntropyLossBackward,
  gaussianNllLoss,
  gaussianNllLossBackward,
  huberLoss,
  huberLossBackward,
  klDivLoss,
  klDivLossBackward,
  l1Loss,
  l1LossBackward,
  mseLoss,
  mseLossBackward,
  poissonNllLoss,
  poissonNllLossBackward,
  smoothL1Loss,
  smoothL1LossBackward,
  multilabelSoftMarginLoss,
  multilabelSoftMarginLossBackward,
  softMarginLoss,
  softMarginLossBackward,
  type IndexTensor,
  type Tensor,
} from '../ts/index.ts';
import { numel } from '../ts/tensor.ts';
import {
  CHUNK,
  Float32Kernels,
  float32KernelBuild,
  float32Kernels,
  type KernelBuild,
  kernelsFor,
  loadFloat32Kernels,
  preferredKernelBuild,
  useFloat32KernelBuild,
  useFloat32Kernels,
} from '../ts/wasm/float32-kernels.ts';
import { relaxedSimdFused } from '../ts/wasm/module.ts';
import { FMA_MODULES, kernelOpsSource, kernelsModuleSource, startBuild } from '../scripts/build-wasm.ts';
import { glibcExpf, glibcLogf, sleefExpf, sleefLog1pfBounded, sleefLog1pfOverflowing, sleefLogf } from '../ts/libm.ts';
import { KERNEL_FLAGS, KERNEL_OPS } from '../ts/wasm/kernel-ops.ts';

afterEach(() => useFloat32Kernels(true));

// The two builds the last tests compare the committed binaries with, started now: they compile in
// child processes (or come from ../scripts/build-wasm.ts's cache) while the tests below run.
const plainBuild = startBuild('kernels');
const fmaBuild = startBuild('kernels', true);

test('ts/wasm/kernel-ops.ts is generated from the kernels source, and names every op and flag the module exports', () => {
  const source = readFileSync(new URL('../ts/wasm/assembly/kernels.ts', import.meta.url), 'utf8');
  expect(readFileSync(new URL('../ts/wasm/kernel-ops.ts', import.meta.url), 'utf8')).toBe(kernelOpsSource(source));
  const exports = loadFloat32Kernels('plain')!.exports as unknown as Record<string, unknown>;
  for (const [name, op] of Object.entries(KERNEL_OPS)) expect((exports[name] as WebAssembly.Global).value, name).toBe(op.id);
  for (const [name, bit] of Object.entries(KERNEL_FLAGS)) expect((exports[name] as WebAssembly.Global).value, name).toBe(bit);
  // Every exported global but the sum's chunk alignment is an op or a flag of the table.
  const globals = Object.keys(exports).filter((name) => exports[name] instanceof WebAssembly.Global && name !== 'SUM_CHUNK_ALIGN');
  expect(globals.sort()).toEqual([...Object.keys(KERNEL_OPS), ...Object.keys(KERNEL_FLAGS)].sort());
  // Op ids and flag bits are distinct, and every kernel names its target.
  expect(new Set(Object.values(KERNEL_OPS).map((o) => o.id)).size).toBe(Object.keys(KERNEL_OPS).length);
  expect(new Set(Object.values(KERNEL_FLAGS)).size).toBe(Object.keys(KERNEL_FLAGS).length);
  for (const op of Object.values(KERNEL_OPS)) expect(op.operands[0]).toEqual({ name: 'target', slot: 'y' });
});

test("the relaxed-SIMD build loads exactly where relaxed SIMD's multiply-add is proven fused; it can be forced off", () => {
  // x86 with FMA3 (this machine, CI's), on Node 20 after the flag the probe sets
  expect(relaxedSimdFused()).toBe(true);
  expect(preferredKernelBuild()).toBe('fma');
  const previous = useFloat32KernelBuild('plain');
  try {
    expect(float32KernelBuild()).toBe('plain');
    useFloat32KernelBuild('fma');
    expect(float32KernelBuild()).toBe('fma');
    useFloat32Kernels(false);
    expect(float32KernelBuild()).toBeNull();
  } finally {
    useFloat32Kernels(true);
    useFloat32KernelBuild(previous);
  }
  expect(loadFloat32Kernels('plain')!.build).toBe('plain');
  expect(loadFloat32Kernels('fma')!.build).toBe('fma');
});

/** The builds every kernel test below runs under: the relaxed-SIMD one where its multiply-add is fused here, and the plain one. */
const BUILDS: KernelBuild[] = relaxedSimdFused() ? ['fma', 'plain'] : ['plain'];

for (const build of BUILDS)
  describe(`the ${build} build`, () => {
    let kernels!: Float32Kernels;
    let previousBuild: KernelBuild | 'auto';
    beforeAll(() => {
      previousBuild = useFloat32KernelBuild(build);
      kernels = float32Kernels()!;
    });
    afterAll(() => {
      useFloat32KernelBuild(previousBuild);
    });

    test('this build runs', () => {
      expect(kernels.build).toBe(build);
    });

    test('WebAssembly SIMD is available here, so float32 runs the kernels; useFloat32Kernels(false) switches them off', () => {
      expect(kernels).toBeInstanceOf(Float32Kernels);
      expect(float32Kernels()).toBe(kernels); // one instance
      useFloat32Kernels(false);
      expect(float32Kernels()).toBeNull(); // so the comparisons below do run the JS loops
      useFloat32Kernels(true);
      expect(float32Kernels()).toBe(kernels);
      // the ports ask kernelsFor(dtype): float32 gets the kernels (else it silently runs the JS loops, 10x slower), float64 the float64 kernels
      expect(kernelsFor('float32')).toBe(kernels);
      expect(kernelsFor('float64')).not.toBeNull(); // ts/wasm/float64-kernels.ts (test/wasm-float64.test.ts)
    });

    test('elementary returns copies: a later call does not change an earlier result', () => {
      const first = kernels.elementary('exp', new Float32Array([0, 1, 2]));
      const copy = first.slice();
      kernels.elementary('exp', new Float32Array([5, 6, 7]));
      expect(first).toEqual(copy);
      expect(first.buffer).not.toBe(kernels.exports.memory.buffer);
    });

    /** A deterministic generator of float32 test values. */
    function random(seed: number) {
      return () => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed / 2147483648;
      };
    }

    const SPECIAL = [0, -0, Infinity, -Infinity, NaN, 88.72, -88.72, 100, -104, -110, 1e-30, -1e-30, 3e38, -3e38, 20, -20, 1, -1];

    function tensorOf(shape: number[], fill: (i: number) => number): Tensor {
      const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
      for (let i = 0; i < data.length; i++) data[i] = fill(i);
      return { data, shape };
    }

    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    /** Distance in float32 steps (a and b of one sign or zero). */
    function ulps(a: number, b: number): number {
      const ordinal = (v: number) => {
        f32[0] = v;
        return u32[0]! & 0x80000000 ? -(u32[0]! & 0x7fffffff) : u32[0]!;
      };
      return Math.abs(ordinal(a) - ordinal(b));
    }

    /**
     * Both paths' results, element by element, as bits (NaN with NaN). exp, log and log1p round like
     * V8's except within ~1e-10 of a rounding midpoint (npm run verify:wasm-math: about 1 argument in
     * 10^6), so an element may sit one float apart, or a few after later ops: up to one element in
     * 10^4 (at least 1) may, never among the first `exact` (the special values).
     */
    function expectSameBits(run: () => Tensor, what: string, exact = SPECIAL.length): void {
      useFloat32Kernels(true);
      const wasm = run();
      useFloat32Kernels(false);
      const js = run();
      useFloat32Kernels(true);
      expect(wasm.shape, what).toEqual(js.shape);
      expect(wasm.data).toBeInstanceOf(Float32Array);
      let near = 0;
      for (let i = 0; i < js.data.length; i++) {
        const [a, b] = [wasm.data[i]!, js.data[i]!];
        if (Object.is(a, b) || (a !== a && b !== b)) continue;
        if ((js.shape.length === 0 || i >= exact) && Number.isFinite(a) && Number.isFinite(b) && ulps(a, b) <= 4) near++;
        else expect.fail(`${what}: element ${i}: kernel ${a}, JS ${b}`);
      }
      expect(near, `${what}: elements a few floats apart`).toBeLessThanOrEqual(Math.max(1, js.data.length / 1e4));
    }

    interface Layout {
      name: string;
      shape: number[];
      /** Operand shapes that broadcast to the input: scalar, per class, per row, full, expanded. */
      operands: number[][];
    }

    const LAYOUTS: Layout[] = [
      { name: '2-D, classes a multiple of 4', shape: [6, 8], operands: [[], [8], [6, 1], [6, 8]] },
      { name: '2-D, odd class count', shape: [5, 7], operands: [[7], [5, 1], [1, 7], [5, 7]] },
      { name: 'one class', shape: [9, 1], operands: [[1], [9, 1]] },
      { name: '1-D', shape: [37], operands: [[], [37]] },
      { name: '3-D, row operand expanded', shape: [3, 4, 5], operands: [[5], [4, 5], [3, 4, 1], [3, 1, 5]] },
      {
        name: 'rows crossing chunk boundaries',
        shape: [Math.ceil((2 * CHUNK + 9) / 7), 7],
        operands: [[7], [Math.ceil((2 * CHUNK + 9) / 7), 1]],
      },
      { name: 'one row longer than a chunk', shape: [CHUNK * 2 + 3], operands: [[], [CHUNK * 2 + 3]] },
    ];

    function inputs(layout: Layout, seed: number) {
      const rand = random(seed);
      const input = tensorOf(layout.shape, (i) => (i < SPECIAL.length ? SPECIAL[i]! : (rand() - 0.5) * (rand() < 0.1 ? 300 : 12)));
      const target = tensorOf(layout.shape, () => (rand() < 0.3 ? rand() : rand() < 0.5 ? 1 : 0));
      return { input, target, rand };
    }

    for (const layout of LAYOUTS) {
      test(`BCEWithLogits kernels equal the JS loops: ${layout.name}`, () => {
        const { input, target, rand } = inputs(layout, 11);
        const operand = (shape: number[]) => tensorOf(shape, () => rand() * 3);
        const optionSets: Record<string, Tensor | undefined>[] = [{}];
        for (const s of layout.operands)
          optionSets.push(
            { weight: operand(s) },
            { posWeight: operand(s) },
            { weight: operand(s), posWeight: operand(layout.operands[0]!) },
          );
        for (const torchVersion of ['1.13.0', '2.14.1']) {
          for (const tensors of optionSets) {
            for (const reduction of ['none', 'mean', 'sum'] as const) {
              const options = { ...tensors, reduction, torchVersion };
              const what = `${torchVersion} ${reduction} ${Object.entries(tensors)
                .map(([k, t]) => `${k}[${t!.shape}]`)
                .join(' ')}`;
              expectSameBits(() => binaryCrossEntropyWithLogits(input, target, options), `forward ${what}`);
              const gradOutput =
                reduction === 'none' ? tensorOf(layout.shape, () => rand() - 0.5) : { data: new Float32Array([0.75]), shape: [] };
              expectSameBits(() => binaryCrossEntropyWithLogitsBackward(gradOutput, input, target, options), `backward ${what}`);
            }
          }
        }
      });

      test(`MultiLabelSoftMargin kernels equal the JS loops: ${layout.name}`, () => {
        const { input, target, rand } = inputs(layout, 12);
        const classes = layout.shape[layout.shape.length - 1]!;
        const weights = [undefined, tensorOf([classes], () => rand() + 0.5), tensorOf(layout.shape, () => rand() + 0.5)];
        const sampleShape = layout.shape.slice(0, -1);
        for (const torchVersion of ['1.13.0', '2.14.1']) {
          for (const weight of weights) {
            for (const reduction of ['none', 'mean', 'sum'] as const) {
              const options = { ...(weight ? { weight } : {}), reduction, torchVersion };
              const what = `${torchVersion} ${reduction} weight[${weight?.shape ?? '-'}]`;
              expectSameBits(() => multilabelSoftMarginLoss(input, target, options), `forward ${what}`);
              const gradOutput =
                reduction === 'none' ? tensorOf(sampleShape, () => rand() - 0.5) : { data: new Float32Array([1.25]), shape: [] };
              expectSameBits(() => multilabelSoftMarginLossBackward(gradOutput, input, target, options), `backward ${what}`);
            }
          }
        }
      });

      test(`SoftMargin kernels equal the JS loops: ${layout.name}`, () => {
        const { input, rand } = inputs(layout, 13);
        const targets = [
          tensorOf(layout.shape, () => (rand() < 0.5 ? -1 : 1)),
          ...layout.operands.map((s) => tensorOf(s, () => (rand() < 0.2 ? rand() * 4 - 2 : rand() < 0.5 ? -1 : 1))),
        ];
        for (const [torchVersion, cpuCapability] of [
          ['1.13.0', 'avx2'],
          ['2.6.0', 'avx512'],
          ['2.6.0', 'default'],
          ['2.14.1', 'avx512'],
        ] as const) {
          for (const target of targets) {
            for (const reduction of ['none', 'mean', 'sum'] as const) {
              const options = { reduction, torchVersion, cpuCapability };
              const what = `${torchVersion} ${cpuCapability} ${reduction} target[${target.shape}]`;
              expectSameBits(() => softMarginLoss(input, target, options), `forward ${what}`);
              const gradOutput =
                reduction === 'none' ? tensorOf(layout.shape, () => rand() - 0.5) : { data: new Float32Array([0.5]), shape: [] };
              expectSameBits(() => softMarginLossBackward(gradOutput, input, target, options), `backward ${what}`);
            }
          }
        }
      });

      test(`BCELoss kernels equal the JS loops: ${layout.name}`, () => {
        const rand = random(14);
        const EDGES = [0, 1, 1e-30, 1 - 2 ** -24, 0.5, 2 ** -126, 1e-45, 0.9999];
        const input = tensorOf(layout.shape, (i) => (i < EDGES.length ? EDGES[i]! : rand() ** (rand() < 0.2 ? 30 : 1)));
        const exact = EDGES.length;
        const target = tensorOf(layout.shape, () => (rand() < 0.3 ? rand() : rand() < 0.5 ? 1 : 0));
        const weights = [undefined, ...layout.operands.map((s) => tensorOf(s, () => rand() + 0.5))];
        for (const torchVersion of ['1.13.0', '2.14.1']) {
          for (const weight of weights) {
            for (const reduction of ['none', 'mean', 'sum'] as const) {
              const options = { ...(weight ? { weight } : {}), reduction, torchVersion };
              const what = `${torchVersion} ${reduction} weight[${weight?.shape ?? '-'}]`;
              expectSameBits(() => binaryCrossEntropy(input, target, options), `forward ${what}`, exact);
              const gradOutput =
                reduction === 'none' ? tensorOf(layout.shape, () => rand() - 0.5) : { data: new Float32Array([2]), shape: [] };
              expectSameBits(() => binaryCrossEntropyBackward(gradOutput, input, target, options), `backward ${what}`);
            }
          }
        }
      });
    }

    test('operands shaped like the input are streamed in chunks, so memory stays at a few chunks; small ones are placed whole', () => {
      const fresh = loadFloat32Kernels(build)!;
      const rows = 4096;
      const classes = 100; // 409600 elements: 1.6 MB per array
      const rand = random(21);
      const input = tensorOf([rows, classes], () => rand() * 8 - 4);
      const target = tensorOf([rows, classes], () => (rand() < 0.5 ? 1 : 0));
      const weight = tensorOf([rows, classes], () => rand() + 0.5);
      const posWeight = tensorOf([classes], () => rand() * 3);
      const call = {
        op: 'BCE_WITH_LOGITS',
        input: input.data,
        classes,
        results: 'elements',
        flags: ['HAS_WEIGHT', 'HAS_POS_WEIGHT'],
        operands: {
          target: { data: target.data, rowStride: classes, colStride: 1 },
          weight: { data: weight.data, rowStride: classes, colStride: 1 },
          posWeight: { data: posWeight.data, rowStride: 0, colStride: 1 },
        },
      } as const;
      const initial = fresh.exports.memory.buffer.byteLength;
      // the module's initial 4 MiB hold less than the three per-element arrays placed whole (4.9 MB)
      expect(initial).toBeLessThan(input.data.byteLength + target.data.byteLength + weight.data.byteLength);
      const got = fresh.run(call, 'none', input.shape);
      expect(fresh.exports.memory.buffer.byteLength, 'the module did not grow: the arrays went through in chunks').toBe(initial);
      const want = binaryCrossEntropyWithLogits(input, target, { weight, posWeight, reduction: 'none', torchVersion: '1.13.0' }); // the call's flags: no log_sigmoid
      let differ = 0;
      for (let i = 0; i < want.data.length; i++) if (!Object.is(got.data[i], want.data[i])) differ++;
      expect(differ).toBe(0);
      expect(fresh.run(call, 'sum', []).data[0]).toBe(
        binaryCrossEntropyWithLogits(input, target, { weight, posWeight, reduction: 'sum', torchVersion: '1.13.0' }).data[0],
      );
      expect(fresh.sum(new Float32Array(0))).toBe(0);
    });

    test('empty tensors: kernels and JS loops agree (0, NaN mean, empty none)', () => {
      for (const shape of [[0], [3, 0], [0, 5]]) {
        const input = tensorOf(shape, () => 0);
        for (const reduction of ['none', 'mean', 'sum'] as const) {
          expectSameBits(() => binaryCrossEntropyWithLogits(input, input, { reduction }), `BCEWithLogits [${shape}] ${reduction}`);
          expectSameBits(() => multilabelSoftMarginLoss(input, input, { reduction }), `MLSML [${shape}] ${reduction}`);
        }
      }
    });

    /** python/sum_fixture.py's value(i). */
    const value = (i: number) => {
      const e = (i % 11) - 5;
      return (((i * 7919) % 1000) + 1) * (e >= 0 ? 10 ** e : 1 / 10 ** -e) * (i % 3 ? 1 : -1);
    };

    const fixtures = new URL('./fixtures/', import.meta.url).pathname;
    for (const file of readdirSync(fixtures).filter((f) => f.startsWith('torch-sums-'))) {
      test(`the module's streamed float32 sum equals torch exactly: ${file}`, () => {
        const fixture = JSON.parse(readFileSync(fixtures + file, 'utf8')) as { sums: { dtype: string; n: number; sum: number }[] };
        for (const s of fixture.sums.filter((f) => f.dtype === 'float32')) {
          const data = new Float32Array(s.n);
          for (let i = 0; i < s.n; i++) data[i] = value(i);
          expect(kernels.sum(data), `n=${s.n}`).toBe(s.sum);
        }
      });
    }

    test("exp, log and log1p round as V8's Math functions do, on special and 2^20 sampled arguments", () => {
      const n = 1 << 20;
      const rand = random(5);
      const MAX = 3.4028234663852886e38;
      const FUNCTIONS = [
        ['exp', Math.exp, -110, 100, [...SPECIAL, -103.97, -87.34, 88.7228, 88.7229, -745, 710]],
        ['log1p-unit', Math.log1p, 0, 1, [0, 1, 0.41421357, 0.4142135, 1e-30, 1e-45, 0.5, NaN]],
        ['log', Math.log, 0, MAX, [0, -0, 1, Infinity, NaN, -1, -Infinity, 1e-45, 2 ** -126, MAX, 0.70710677, 1.4142135, 2]],
        ['log1p', Math.log1p, -1, MAX, [0, -0, -1, -2, Infinity, NaN, -0.29289323, 0.41421357, 1e-45, -1e-30, MAX, 2 ** 24, 2 ** 30]],
        ['log-ge1', Math.log, 1, MAX, [1, 1.0000001, 1.9999999, 2, 2.0000002, Infinity, NaN, MAX, 2 ** 24, 2 ** 24 + 2, 2 ** 30]],
      ] as const;
      for (const [fn, reference, from, to, special] of FUNCTIONS) {
        // uniform over [from, to] where it is short, else uniform in the exponent (from 1 up for log-ge1)
        const draw = () =>
          to - from <= 300
            ? from + (to - from) * rand() ** (fn === 'log1p-unit' ? 8 : 1)
            : from >= 1
              ? 2 ** (rand() * 127)
              : rand() < 0.5 && from < 0
                ? -rand()
                : 2 ** (rand() * 250 - 125);
        const args = new Float32Array(n);
        for (let i = 0; i < n; i++) args[i] = i < special.length ? special[i]! : draw();
        const results = kernels.elementary(fn, args);
        let differ = 0;
        for (let i = 0; i < n; i++) {
          const x = args[i]!;
          const [got, want] = [results[i]!, Math.fround(reference(x))];
          if (Object.is(got, want) || (got !== got && want !== want)) continue;
          expect(i, `${fn} of the special argument ${x}`).toBeGreaterThanOrEqual(special.length);
          expect(Math.abs(got - reference(x)) / Math.abs(reference(x)), `${fn} at ${x}`).toBeLessThan(1.2e-7); // still within one float32 ULP
          differ++;
        }
        // The exhaustive check (npm run verify:wasm-math) finds at most 5e-8 of the arguments rounded otherwise.
        expect(differ, fn).toBeLessThanOrEqual(5);
      }
    });

    test("BCELoss' range check in the module finds the first value outside [0, 1] where the JS loop does", () => {
      const firstOutside = (v: Float32Array, end: number) => {
        for (let i = 0; i < Math.min(v.length, end); i++) if (!(v[i]! >= 0 && v[i]! <= 1)) return i;
        return -1;
      };
      const n = 2 * CHUNK + 7; // two whole chunks and a tail that is not a whole vector
      const bad = [NaN, -1e-45, 1.0000001, -Infinity, Infinity, -1, 2];
      const good = [0, -0, 1, 1e-45, 0.5, 0.99999994];
      const rand = random(11);
      for (const at of [0, 1, 3, 4, CHUNK - 1, CHUNK, CHUNK + 2, n - 5, n - 1, -1]) {
        const values = new Float32Array(n).map(() => good[Math.floor(rand() * good.length)]!);
        if (at >= 0) values[at] = bad[Math.floor(rand() * bad.length)]!;
        if (at >= 0 && at + 9 < n) values[at + 9] = NaN; // a later one does not count
        for (const end of [Infinity, n, at + 1, at, 5]) {
          expect(kernels.firstOutsideUnit(values, end), `bad value at ${at}, end ${end}`).toBe(firstOutside(values, end));
        }
      }
      expect(kernels.firstOutsideUnit(new Float32Array(0))).toBe(-1);
    });

    // ---- issue 14's kernels: bit for bit the JS loops, every element ----

    /**
     * Both paths' results (a tensor, or a record of tensors), element by element as bits (NaN with
     * NaN): no exceptions. The kernels path must have run a kernel (a port that silently kept its JS
     * loop would compare the JS loop with itself).
     */
    function expectIdentical(run: () => Tensor | Record<string, Tensor | null>, what: string): void {
      useFloat32Kernels(true);
      let ran = 0;
      const spied = [
        'tryRun',
        'tryRunBoth',
        'logSoftmaxRows',
        'logSoftmaxBackwardRows',
        'logSoftmaxRowsAt',
        'logSoftmaxBackwardOfInputRows',
        'logSoftmaxNllBackwardRows',
      ] as const;
      const originals = spied.map((name) => kernels[name]);
      spied.forEach((name, i) => {
        const original = originals[i] as (...args: unknown[]) => unknown;
        (kernels as unknown as Record<string, unknown>)[name] = function (this: Float32Kernels, ...args: unknown[]) {
          const out = original.apply(this, args);
          if (out) ran++;
          return out;
        };
      });
      let wasm: ReturnType<typeof run>;
      try {
        wasm = run();
      } finally {
        spied.forEach((name) => delete (kernels as unknown as Record<string, unknown>)[name]);
      }
      expect(ran, `${what}: a kernel ran`).toBeGreaterThan(0);
      useFloat32Kernels(false);
      const js = run();
      useFloat32Kernels(true);
      const tensors = (r: Tensor | Record<string, Tensor | null>): [string, Tensor | null][] =>
        'data' in r && 'shape' in r ? [['', r as Tensor]] : Object.entries(r as Record<string, Tensor | null>);
      const [w, j] = [tensors(wasm), tensors(js)];
      expect(w.map(([k]) => k)).toEqual(j.map(([k]) => k));
      for (let t = 0; t < w.length; t++) {
        const [name, a] = w[t]!;
        const b = j[t]![1];
        if (a === null || b === null) {
          expect(a, `${what} ${name}`).toBe(b);
          continue;
        }
        expect(a.shape, `${what} ${name}`).toEqual(b.shape);
        expect(a.data.constructor, `${what} ${name}`).toBe(b.data.constructor);
        for (let i = 0; i < b.data.length; i++) {
          const x: number = a.data[i]!;
          const y: number = b.data[i]!;
          if (!(Object.is(x, y) || (x !== x && y !== y))) expect.fail(`${what} ${name}: element ${i}: kernel ${x}, JS ${y}`);
        }
      }
    }

    /** Shapes for the randomized comparisons: several chunks and a tail that is not a whole vector, small, 0-d, empty. */
    const NEW_SHAPES = [[3 * CHUNK + 13], [2 * CHUNK + 9 * 32 + 8 + 5], [Math.ceil((2 * CHUNK + 5) / 100), 100], [7, 5], [], [0], [4, 0]];
    const EXTREMES = [
      0,
      -0,
      Infinity,
      -Infinity,
      NaN,
      1e-45,
      -1e-45,
      1.1754943508222875e-38,
      3.4028234663852886e38,
      -3.4028234663852886e38,
      1,
      -1,
      0.5,
      88.72,
      -103.9,
      100,
      -104,
      1e-30,
    ];

    /** Random float32 values: mostly moderate, some large, some tiny, the extremes first. */
    function values(shape: number[], rand: () => number, kind: 'real' | 'positive' = 'real'): Tensor {
      return tensorOf(shape, (i) => {
        if (i < EXTREMES.length && rand() < 0.7) return kind === 'positive' ? Math.abs(EXTREMES[i]!) : EXTREMES[i]!;
        const m = rand() < 0.1 ? 2 ** (rand() * 200 - 100) : (rand() - 0.5) * 12;
        return kind === 'positive' ? Math.abs(m) : m;
      });
    }

    function gradOutputFor(reduction: 'none' | 'mean' | 'sum', shape: number[], rand: () => number): Tensor {
      return reduction === 'none' ? values(shape, rand) : { data: new Float32Array([rand() < 0.5 ? -0.75 : 1.5]), shape: [] };
    }

    test("SLEEF's and glibc's float32 exp and log, and SLEEF's log1pf, in the module equal ../ts/libm.ts exactly, on special and 2^20 sampled arguments", () => {
      const n = 1 << 20;
      const rand = random(41);
      const f32 = new Float32Array(n);
      const u32 = new Uint32Array(f32.buffer);
      const special = [...SPECIAL, ...EXTREMES, -88.72283, 88.72284, -103.97208, -103.97207, 0x4202422f, 0xc27c65d9].map((v) =>
        Math.fround(v),
      );
      // uniform over the bit patterns (every exponent, both signs), the specials first, and the two glibc FMA arguments by their bits
      for (let i = 0; i < n; i++) u32[i] = Math.floor(rand() * 2 ** 32);
      f32.set(special.slice(0, -2));
      u32[special.length - 2] = 0x4202422f;
      u32[special.length - 1] = 0xc27c65d9;
      for (const [fn, reference] of [
        ['sleef-expf', sleefExpf],
        ['sleef-logf', sleefLogf],
        ['glibc-expf', glibcExpf],
        ['glibc-logf', glibcLogf],
        ['sleef-expf-pair', sleefExpf],
        ['sleef-logf-pair', sleefLogf],
        ['sleef-log1pf', sleefLog1pfOverflowing],
        ['sleef-log1pf-bounded', sleefLog1pfBounded],
      ] as const) {
        for (const args of [f32, f32.map((v) => (v !== v ? v : v % 110))]) {
          const results = kernels.elementary(fn, args);
          for (let i = 0; i < n; i++) {
            const [got, want] = [results[i]!, Math.fround(reference(args[i]!))];
            if (!(Object.is(got, want) || (got !== got && want !== want))) expect.fail(`${fn}(${args[i]}): kernel ${got}, libm.ts ${want}`);
          }
        }
      }
      // SoftMarginLoss' log(1 + e): SLEEF's logf without its cases below 1, on arguments >= 1 (|v| and 1 + |v|) or NaN
      const fromOne = f32.map((v) => (v !== v ? v : Math.abs(v) < 1 ? 1 + Math.abs(v) : Math.abs(v)));
      const results = kernels.elementary('sleef-logf-pair-ge1', fromOne);
      for (let i = 0; i < n; i++) {
        const [got, want] = [results[i]!, Math.fround(sleefLogf(fromOne[i]!))];
        if (!(Object.is(got, want) || (got !== got && want !== want)))
          expect.fail(`sleef-logf-pair-ge1(${fromOne[i]}): kernel ${got}, libm.ts ${want}`);
      }
    });

    test("CrossEntropyLoss's log_softmax rows at the edge of SLEEF's exp range (the kernels skip its range checks where x - max, or x - max - lse, stays within [-87, 0]) equal the JS loops", () => {
      const rand = random(61);
      const step = (v: number, k: number) => {
        // the float32 k steps from v (v > 0)
        f32[0] = v;
        u32[0] = u32[0]! + k;
        return f32[0]!;
      };
      for (const C of [8, 9, 15, 16, 17, 100, 103]) {
        const rows: number[][] = [];
        for (const top of [0, -0, 3.5, -40, 1e-40, 60]) {
          // one value min - max away from the max (around -87 and past SLEEF's -104 / +100), the rest in between
          for (const below of [86, 87, 88, 103, 105]) {
            for (const k of [-2, -1, 0, 1, 2]) {
              const gap = step(below, k);
              const row = Array.from({ length: C }, () => top - rand() * gap);
              row[Math.floor(rand() * C)] = top;
              row[Math.floor(rand() * C)] = Math.fround(top - gap);
              rows.push(row);
              // many values at the max: lse = log(count) pushes (x - max) - lse past -87 where x - max is not
              const flat = Array.from({ length: C }, (_, i) => (i % 5 === 4 ? Math.fround(top - gap + 4) : top));
              rows.push(flat);
            }
          }
        }
        rows.push(Array.from({ length: C }, (_, i) => (i === 3 ? NaN : -i)));
        rows.push(Array.from({ length: C }, (_, i) => (i === 1 ? -Infinity : -i)));
        rows.push(Array.from({ length: C }, (_, i) => (i === 2 ? Infinity : -i)));
        const input: Tensor = { data: Float32Array.from(rows.flat()), shape: [rows.length, C] };
        const labels: IndexTensor = {
          data: Int32Array.from(rows, () => (rand() < 0.1 ? -100 : Math.floor(rand() * C))),
          shape: [rows.length],
        };
        for (const [torchVersion, cpuCapability] of [
          ['1.7.0', 'avx2'],
          ['1.13.0', 'avx2'],
          ['2.6.0', 'default'],
          ['2.14.1', 'avx512'],
        ] as const) {
          if (cpuCapability === 'avx512' && C < 16) continue;
          for (const reduction of ['none', 'mean'] as const) {
            const g: Tensor = reduction === 'none' ? values([rows.length], rand) : { data: new Float32Array([1.5]), shape: [] };
            const what = `${torchVersion} ${cpuCapability} ${reduction} C=${C}`;
            expectIdentical(() => crossEntropyLoss(input, labels, { reduction, torchVersion, cpuCapability }), `forward ${what}`);
            expectIdentical(
              () => crossEntropyLossBackward(g, input, labels, { reduction, torchVersion, cpuCapability }),
              `backward ${what}`,
            );
            if (torchVersion !== '1.7.0') {
              // label smoothing: the whole log_softmax (logSoftmaxRows) and its backward
              const options = { reduction, torchVersion, cpuCapability, labelSmoothing: 0.2 };
              expectIdentical(() => crossEntropyLoss(input, labels, options), `smoothing forward ${what}`);
              expectIdentical(() => crossEntropyLossBackward(g, input, labels, options), `smoothing backward ${what}`);
            }
          }
        }
      }
    });

    for (const shape of NEW_SHAPES) {
      test(`MSELoss and L1Loss kernels equal the JS loops bit for bit: [${shape}]`, () => {
        const rand = random(51);
        const input = values(shape, rand);
        const target = values(shape, rand);
        for (const torchVersion of ['1.12.0', '1.13.0', '2.14.1']) {
          for (const reduction of ['none', 'mean', 'sum'] as const) {
            const options = { reduction, torchVersion };
            const gradOutput = gradOutputFor(reduction, shape, rand);
            const what = `${torchVersion} ${reduction}`;
            expectIdentical(() => mseLoss(input, target, options), `mse forward ${what}`);
            expectIdentical(() => mseLossBackward(gradOutput, input, target, options), `mse backward ${what}`);
            expectIdentical(() => l1Loss(input, target, options), `l1 forward ${what}`);
            expectIdentical(() => l1LossBackward(gradOutput, input, target, options), `l1 backward ${what}`);
          }
        }
      });

      test(`SmoothL1Loss and HuberLoss kernels equal the JS loops bit for bit: [${shape}]`, () => {
        const rand = random(53);
        const input = values(shape, rand);
        const target = values(shape, rand);
        for (const [torchVersion, cpuCapability] of [
          ['1.12.0', 'avx2'],
          ['1.13.0', 'avx2'],
          ['2.0.0', 'default'],
          ['2.14.1', 'avx512'],
        ] as const) {
          for (const reduction of ['none', 'mean', 'sum'] as const) {
            const gradOutput = gradOutputFor(reduction, shape, rand);
            for (const beta of [1, 0, 0.5, 0.7, 2, 1e-3]) {
              const options = { reduction, torchVersion, cpuCapability, beta };
              const what = `${torchVersion} ${cpuCapability} beta=${beta} ${reduction}`;
              expectIdentical(() => smoothL1Loss(input, target, options), `smooth_l1 forward ${what}`);
              expectIdentical(() => smoothL1LossBackward(gradOutput, input, target, options), `smooth_l1 backward ${what}`);
            }
            for (const delta of [1, 0.5, 0.7, 2, 1e-3]) {
              const options = { reduction, torchVersion, cpuCapability, delta };
              const what = `${torchVersion} ${cpuCapability} delta=${delta} ${reduction}`;
              expectIdentical(() => huberLoss(input, target, options), `huber forward ${what}`);
              expectIdentical(() => huberLossBackward(gradOutput, input, target, options), `huber backward ${what}`);
            }
          }
        }
      });

      test(`PoissonNLLLoss and KLDivLoss kernels equal the JS loops bit for bit: [${shape}]`, () => {
        const rand = random(54);
        const input = values(shape, rand);
        const rates = values(shape, rand, 'positive');
        const counts = tensorOf(shape, (i) => (i < EXTREMES.length && rand() < 0.5 ? EXTREMES[i]! : Math.floor(rand() * 6)));
        const probabilities = tensorOf(shape, (i) => (i < EXTREMES.length && rand() < 0.5 ? EXTREMES[i]! : rand() < 0.1 ? 0 : rand()));
        const logProbabilities = values(shape, rand);
        for (const [torchVersion, cpuCapability] of [
          ['1.12.0', 'avx2'],
          ['1.13.0', 'avx2'],
          ['2.6.0', 'default'],
          ['2.14.1', 'avx512'],
        ] as const) {
          for (const reduction of ['none', 'mean', 'sum'] as const) {
            const gradOutput = gradOutputFor(reduction, shape, rand);
            for (const logInput of [true, false]) {
              for (const full of [false, true]) {
                for (const eps of [1e-8, 0.001]) {
                  const options = { reduction, torchVersion, cpuCapability, logInput, full, eps };
                  const what = `${torchVersion} ${cpuCapability} logInput=${logInput} full=${full} eps=${eps} ${reduction}`;
                  const x = logInput ? input : rates;
                  expectIdentical(() => poissonNllLoss(x, counts, options), `poisson forward ${what}`);
                  expectIdentical(() => poissonNllLossBackward(gradOutput, x, counts, options), `poisson backward ${what}`);
                }
              }
            }
          }
          for (const reduction of ['none', 'mean', 'sum', 'batchmean'] as const) {
            const gradOutput = gradOutputFor(reduction === 'batchmean' ? 'sum' : reduction, shape, rand);
            for (const logTarget of [false, true]) {
              const options = { reduction, torchVersion, cpuCapability, logTarget };
              const what = `${torchVersion} ${cpuCapability} logTarget=${logTarget} ${reduction}`;
              const target = logTarget ? logProbabilities : probabilities;
              expectIdentical(() => klDivLoss(input, target, options), `kl_div forward ${what}`);
              expectIdentical(() => klDivLossBackward(gradOutput, input, target, options), `kl_div backward ${what}`);
            }
          }
        }
      });

      test(`CrossEntropyLoss's log_softmax kernels equal the JS loops bit for bit: [${shape}]`, () => {
        const rand = random(55);
        // rows of C classes (the shape's last dim where it is at least 16, the avx512 lane count: shorter rows run the JS loops)
        const C = shape.length === 2 && shape[1]! >= 16 ? shape[1]! : 19;
        const n = numel(shape);
        const rows = Math.floor(n / C);
        const input = values([rows, C], rand);
        const labels: IndexTensor = { data: new Int32Array(rows).map(() => (rand() < 0.1 ? -100 : Math.floor(rand() * C))), shape: [rows] };
        const probabilities = tensorOf([rows, C], () => rand());
        const weight = tensorOf([C], () => rand() + 0.5);
        for (const [torchVersion, cpuCapability] of [
          ['1.7.0', 'avx2'],
          ['1.13.0', 'avx2'],
          ['2.6.0', 'default'],
          ['2.14.1', 'avx2'],
          ['2.14.1', 'avx512'],
        ] as const) {
          for (const reduction of ['none', 'mean', 'sum'] as const) {
            for (const [name, target, extra] of [
              ['indices', labels, {}],
              ['indices, weight', labels, { weight }],
              ['label smoothing', labels, { labelSmoothing: 0.1 }],
              ['probabilities', probabilities, {}],
            ] as const) {
              if (torchVersion === '1.7.0' && name !== 'indices' && name !== 'indices, weight') continue;
              const options = { reduction, torchVersion, cpuCapability, ...extra };
              const gradOutput = gradOutputFor(reduction, reduction === 'none' ? (name === 'probabilities' ? [rows] : [rows]) : [], rand);
              const what = `${torchVersion} ${cpuCapability} ${name} ${reduction}`;
              expectIdentical(() => crossEntropyLoss(input, target, options), `forward ${what}`);
              expectIdentical(() => crossEntropyLossBackward(gradOutput, input, target, options), `backward ${what}`);
            }
          }
        }
      });

      test(`CrossEntropyLoss with class indices (gradient spread in the module, target values picked) equals the JS loops: [${shape}]`, () => {
        const rand = random(57);
        const C = shape.length === 2 && shape[1]! >= 8 ? shape[1]! : [8, 9, 13, 17, 1001][numel(shape) % 5]!;
        const rows = Math.max(1, Math.floor(numel(shape) / C));
        const input = values([rows, C], rand);
        const special = [0, -0, Infinity, -Infinity, NaN, 1e-40, -3e38];
        const weight = tensorOf([C], (i) => (i < special.length ? special[i]! : rand() * 3 - 1));
        const ignored = (t: number) => (rand() < 0.15 ? -100 : t);
        const labels: IndexTensor = { data: new Int32Array(rows).map(() => ignored(Math.floor(rand() * C))), shape: [rows] };
        const allIgnored: IndexTensor = { data: new Int32Array(rows).fill(-100), shape: [rows] };
        for (const [torchVersion, cpuCapability] of [
          ['1.7.0', 'avx2'],
          ['1.13.0', 'avx2'],
          ['2.6.0', 'default'],
          ['2.14.1', 'avx512'],
        ] as const) {
          if (cpuCapability === 'avx512' && C < 16) continue; // rows shorter than the lanes run the JS loops
          for (const reduction of ['none', 'mean', 'sum'] as const) {
            const grads: Tensor[] =
              reduction === 'none'
                ? [values([rows], rand)]
                : [-0, NaN, Infinity, 1.5].map((g) => ({ data: new Float32Array([g]), shape: [] }));
            for (const [name, target, extra] of [
              ['indices', labels, {}],
              ['indices, weight', labels, { weight }],
              ['indices, ignore_index 0', { data: labels.data.map((t) => (t < 0 ? 0 : t)), shape: [rows] }, { ignoreIndex: 0 }],
              ['all ignored', allIgnored, { weight }],
            ] as const) {
              const options = { reduction, torchVersion, cpuCapability, ...extra };
              const what = `${torchVersion} ${cpuCapability} ${name} ${reduction} C=${C}`;
              expectIdentical(() => crossEntropyLoss(input, target, options), `forward ${what}`);
              for (const g of grads)
                expectIdentical(() => crossEntropyLossBackward(g, input, target, options), `backward ${what} grad ${g.data[0]}`);
            }
          }
          // a (C) input: one row, no batch dimension
          if (torchVersion !== '1.7.0') {
            const one: Tensor = { data: input.data.slice(0, C), shape: [C] };
            const t: IndexTensor = { data: new Int32Array([labels.data[0]! < 0 ? 3 : labels.data[0]!]), shape: [] };
            const g: Tensor = { data: new Float32Array([0.5]), shape: [] };
            expectIdentical(() => crossEntropyLoss(one, t, { torchVersion, cpuCapability }), `(C) forward ${torchVersion}`);
            expectIdentical(() => crossEntropyLossBackward(g, one, t, { torchVersion, cpuCapability }), `(C) backward ${torchVersion}`);
          }
        }
      });

      test(`GaussianNLLLoss kernels equal the JS loops bit for bit: [${shape}]`, () => {
        const rand = random(52);
        const input = values(shape, rand);
        const target = values(shape, rand);
        const variance = values(shape, rand, 'positive');
        for (const [torchVersion, cpuCapability] of [
          ['1.13.0', 'avx2'],
          ['2.14.1', 'default'],
          ['2.14.1', 'avx512'],
        ] as const) {
          for (const [full, eps] of [
            [false, 1e-6],
            [true, 0.25],
            [true, 0],
          ] as const) {
            for (const reduction of ['none', 'mean', 'sum'] as const) {
              const options = { reduction, torchVersion, cpuCapability, full, eps };
              const gradOutput = gradOutputFor(reduction, shape, rand);
              const what = `${torchVersion} ${cpuCapability} full=${full} eps=${eps} ${reduction}`;
              expectIdentical(() => gaussianNllLoss(input, target, variance, options), `forward ${what}`);
              expectIdentical(() => gaussianNllLossBackward(gradOutput, input, target, variance, options), `backward ${what}`);
            }
          }
        }
      });
    }

    test("a 'mean' / 'sum' (or MultiLabelSoftMargin's row means) over ATen's 16 avx512 lanes (torch 1.10 to 2.0) runs the JS loops: both paths agree", () => {
      const rand = random(61);
      const shape = [100, 100];
      const logits = values(shape, rand);
      const labels = tensorOf(shape, () => (rand() < 0.5 ? 1 : 0));
      const probabilities = tensorOf(shape, () => rand());
      for (const reduction of ['none', 'mean', 'sum'] as const) {
        const options = { reduction, torchVersion: '1.13.0', cpuCapability: 'avx512' } as const;
        const same = (run: () => Tensor, what: string) => {
          useFloat32Kernels(true);
          const a = run();
          useFloat32Kernels(false);
          const b = run();
          useFloat32Kernels(true);
          expect(Array.from(a.data), `${what} ${reduction}`).toEqual(Array.from(b.data));
        };
        same(() => binaryCrossEntropyWithLogits(logits, labels, options), 'BCEWithLogits');
        same(() => multilabelSoftMarginLoss(logits, labels, options), 'MultiLabelSoftMargin');
        same(() => softMarginLoss(logits, labels, options), 'SoftMargin');
        same(() => binaryCrossEntropy(probabilities, labels, options), 'BCELoss');
        same(() => mseLoss(logits, probabilities, options), 'MSELoss');
        same(() => poissonNllLoss(logits, labels, options), 'PoissonNLLLoss');
      }
    });
  });

// Last: the builds started at the top (see there).
test('ts/wasm/kernels-binary.ts is the build of ts/wasm/assembly/kernels.ts (npm run build:wasm)', async () => {
  const committed = readFileSync(new URL('../ts/wasm/kernels-binary.ts', import.meta.url), 'utf8');
  expect(committed === kernelsModuleSource(await plainBuild)).toBe(true);
}, 300_000);

test('ts/wasm/kernels-fma-binary.ts is its relaxed-SIMD build (the source asks for it: `// wasm-variant: fma`)', async () => {
  expect(FMA_MODULES).toContain('kernels');
  const committed = readFileSync(new URL('../ts/wasm/kernels-fma-binary.ts', import.meta.url), 'utf8');
  expect(committed === kernelsModuleSource(await fmaBuild, 'kernels', true)).toBe(true);
}, 300_000);
