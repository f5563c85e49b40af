// The float64 WebAssembly kernels (ts/wasm/float64-kernels.ts) against the JS float64 loops they
// stand for, bit for bit: ATen's float64 sum, each kernel of mse, l1, smooth_l1 and huber against
// the port's JS forward (every reduction) and backward (the vectorized lambda's elements; the port
// recomputes each inner row's scalar tail), on random, extreme and non-finite data, lengths that
// are not multiples of 2, 4, 8 or 16 and across chunks and cascade levels; the calls the kernels
// must refuse; log_softmax over the last dim (4 and 8 lanes, forward and backward); and the
// committed binary against its source.

import { readFileSync } from 'node:fs';
import { expect, test, vi } from 'vitest';
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
  multilabelSoftMarginLoss,
  multilabelSoftMarginLossBackward,
  poissonNllLoss,
  poissonNllLossBackward,
  smoothL1Loss,
  smoothL1LossBackward,
  softMarginLoss,
  softMarginLossBackward,
  type Tensor,
} from '../ts/index.ts';
import { sum } from '../ts/numerics.ts';
import {
  logSoftmax,
  logSoftmaxAt,
  logSoftmaxBackward,
  logSoftmaxBackwardOfInput,
  logSoftmaxNllBackward,
  softmaxKernel,
} from '../ts/softmax.ts';
import { torchRelease } from '../ts/torch-version.ts';
import { numel } from '../ts/tensor.ts';
import { elementLanes, scalarTail } from '../ts/pointwise-loss.ts';
import type { CpuCapability } from '../ts/torch-version.ts';
import type { RowColOperand } from '../ts/broadcast.ts';
import { kernelsFor, useFloat32Kernels, type KernelCall } from '../ts/wasm/float32-kernels.ts';
import {
  CHUNK64,
  FLOAT64_OPS,
  Float64Kernels,
  POISSON_NLL_EPS,
  POISSON_NLL_EPS_FULL,
  POISSON_NLL_EPS_GRAD,
  POISSON_NLL_FULL,
  SOFT_MARGIN_LOG1P,
  float64Kernels,
  loadFloat64Kernels,
  useFloat64ArenaCap,
} from '../ts/wasm/float64-kernels.ts';
import { KERNEL_OPS } from '../ts/wasm/kernel-ops.ts';
import { relaxedSimdFused } from '../ts/wasm/module.ts';
import { buildWasm, kernelsModuleSource } from '../scripts/build-wasm.ts';

const kernels = float64Kernels()!;
const identity = (v: number) => v;
type Reduction = 'none' | 'mean' | 'sum';
const REDUCTIONS: readonly Reduction[] = ['none', 'mean', 'sum'];

/** A small deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const next1 = random(17);

const EXTREMES = [0, -0, 1, -1, 0.5, 1e308, -1e308, Number.MAX_VALUE, -Number.MAX_VALUE, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-310];
const NON_FINITE = [Infinity, -Infinity, NaN];

/** n values: mostly random of many magnitudes, with extremes (and non-finite ones when asked) mixed in. */
function values(n: number, seed: number, nonFinite = true): Float64Array {
  const next = random(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = next();
    if (u < 0.04) out[i] = EXTREMES[Math.floor(next() * EXTREMES.length)]!;
    else if (nonFinite && u < 0.06) out[i] = NON_FINITE[Math.floor(next() * NON_FINITE.length)]!;
    else if (u < 0.5) out[i] = (next() - 0.5) * 4;
    else out[i] = (next() - 0.5) * 10 ** (next() * 40 - 20);
  }
  return out;
}

/** A target near the input: x - y lands on +-beta / +-delta exactly for some elements, and on 0. */
function targetNear(x: Float64Array, seed: number, edge: number): Float64Array {
  const next = random(seed);
  const y = values(x.length, seed + 1);
  for (let i = 0; i < x.length; i++) {
    const u = next();
    if (u < 0.1) y[i] = x[i]!;
    else if (u < 0.2) y[i] = x[i]! - edge;
    else if (u < 0.3) y[i] = x[i]! + edge;
    else if (u < 0.6) y[i] = x[i]! + (next() - 0.5) * 3 * edge;
  }
  return y;
}

/** Each value equal, as Object.is (NaN equals NaN; +0 is not -0): the first difference, or null. */
function firstDifference(got: ArrayLike<number>, want: ArrayLike<number>, upTo = want.length): string | null {
  if (got.length !== want.length) return `length ${got.length} vs ${want.length}`;
  for (let i = 0; i < upTo; i++) if (!Object.is(got[i], want[i])) return `at ${i}: ${got[i]} vs ${want[i]}`;
  return null;
}

/** The gap from |v| to the next double up (its ULP; 2^-1074 at 0). */
function ulpOf(v: number): number {
  const a = Math.min(Math.abs(v), Number.MAX_VALUE); // an infinite scale: the largest double's ULP
  if (a !== a) return 0;
  ULP_F[0] = a;
  ULP_I[0]! += 1n;
  return ULP_F[0]! - a;
}
const ULP_F = new Float64Array(1);
const ULP_I = new BigInt64Array(ULP_F.buffer);

/**
 * Where the kernels' exp (or, in the relaxed-SIMD build, log) is SLEEF's (a call without USES_GLIBC:
 * avx2, avx512, torch's) and the JS loops' V8's Math.exp (fdlibm), the two differ by at most 1 ULP
 * for normal results (log: 43,502 of 1.6 million doubles differ, none by more; exp: 1.6
 * million random and edge doubles: 125,761 differ, none by more; plus SLEEF's inf from 709.78271114955743
 * where Math.exp is finite up to 709.782712893384). The values computed from them then differ by at
 * most SLEEF_ULPS ULP of the larger of the two, or of `scale` (an element's terms' magnitude, where an
 * op after the exp cancels), the same non-finite values and NaNs; the first element that does not, or null.
 * 4: log_softmax's y = (x - max) - lse carries lse's error (its sum of exps each within 1 ULP: about
 * 2^-52 absolute) into exp(y), which adds its own ULP and the backward's product its rounding; the
 * tests below see 4 at most (the last test checks it).
 */
const SLEEF_ULPS = 4;
/** The most ULPs firstBeyond has seen (the last test reports it). */
let sleefUlpsSeen = 0;
function firstBeyond(got: ArrayLike<number>, want: ArrayLike<number>, sleefExp: boolean, scale?: (i: number) => number): string | null {
  if (!sleefExp) return firstDifference(got, want);
  if (got.length !== want.length) return `length ${got.length} vs ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const [a, b] = [got[i]!, want[i]!];
    if (Object.is(a, b)) continue;
    const ulps = Math.abs(a - b) / ulpOf(Math.max(Math.abs(a), Math.abs(b), scale ? scale(i) : 0));
    if (!(ulps <= SLEEF_ULPS)) return `at ${i}: ${a} vs ${b} (${ulps} ULP)`;
    sleefUlpsSeen = Math.max(sleefUlpsSeen, ulps);
  }
  return null;
}

const LENGTHS = [
  0,
  1,
  2,
  3,
  4,
  5,
  7,
  8,
  9,
  15,
  16,
  17,
  31,
  33,
  63,
  64,
  65,
  255,
  256,
  257,
  1023,
  4097,
  CHUNK64 - 1,
  CHUNK64,
  CHUNK64 + 1,
  3 * CHUNK64 + 17,
  65536 + 5,
];

/** The JS loops' result (the kernels switched off, should kernelsFor('float64') return them). */
function js<T>(f: () => T): T {
  useFloat32Kernels(false);
  try {
    return f();
  } finally {
    useFloat32Kernels(true);
  }
}

const tensor = (data: Float64Array | Float32Array, shape: readonly number[] = [data.length]): Tensor => ({ data, shape });
const perElement = (t: Float64Array | Float32Array) => ({ data: t, rowStride: t.length, colStride: 1 });
const one = (v: number) => ({ data: new Float64Array([v]), rowStride: 0, colStride: 0 });

test('the module loads (WebAssembly SIMD is available here), once; its ops are those of kernel-ops.ts', () => {
  expect(kernels).toBeInstanceOf(Float64Kernels);
  expect(float64Kernels()).toBe(kernels);
  const exports = kernels.exports as unknown as Record<string, WebAssembly.Global>;
  for (const op of FLOAT64_OPS) expect(exports[op]!.value, op).toBe(KERNEL_OPS[op].id);
  const own = {
    POISSON_NLL_EPS,
    POISSON_NLL_FULL,
    POISSON_NLL_EPS_FULL,
    POISSON_NLL_EPS_GRAD,
    SOFT_MARGIN_LOG1P,
  };
  for (const [name, id] of Object.entries(own)) expect(exports[name]!.value, name).toBe(id);
});

// 300 s as the other builds' tests: the build may still be queued behind the others (wasm-builds.setup.ts);
// one CI run under load waited 60 s for this one.
test('the committed float64-binary.ts is built from ts/wasm/assembly/float64.ts', async () => {
  expect(readFileSync(new URL('../ts/wasm/float64-binary.ts', import.meta.url), 'utf8')).toBe(
    kernelsModuleSource(await buildWasm('float64'), 'float64'),
  );
}, 300_000);

test('the committed float64-fma-binary.ts is its relaxed-SIMD build (`// wasm-variant: fma`)', async () => {
  expect(readFileSync(new URL('../ts/wasm/float64-fma-binary.ts', import.meta.url), 'utf8')).toBe(
    kernelsModuleSource(await buildWasm('float64', true), 'float64', true),
  );
}, 300_000);

/** test/fixtures/sleef-exp64.json (python/sleef_exp64_fixture.py): libsleef's exp of each x, as IEEE bits in hex. */
const SLEEF_EXP64 = JSON.parse(readFileSync(new URL('./fixtures/sleef-exp64.json', import.meta.url), 'utf8')) as {
  source: string;
  x: string[];
  fma: string[];
  plain: string[];
  log_x: string[];
  log_fma: string[];
  log1p_x: string[];
  log1p_fma: string[];
};
const fromHex = (hex: string[]) => new Float64Array(BigUint64Array.from(hex, (h) => BigInt(`0x${h}`)).buffer);

test("the module's SLEEF exp (the calls without USES_GLIBC) is libsleef's bit for bit: the relaxed-SIMD build Sleef_expd1_u10purecfma's (avx2 / avx512's, torch's), the plain build Sleef_expd1_u10purec's", () => {
  const x = fromHex(SLEEF_EXP64.x);
  expect(x.length).toBeGreaterThan(1500);
  // the fused build only where relaxed_madd is proven fused (x86 with FMA3: this machine)
  expect(relaxedSimdFused()).toBe(true);
  for (const build of ['fma', 'plain'] as const) {
    const want = fromHex(SLEEF_EXP64[build]);
    const got = loadFloat64Kernels(build)!.elementary('sleefExp', x);
    expect(firstDifference(got, want), `${build} (${SLEEF_EXP64.source})`).toBeNull();
  }
  // the two forms differ (by 1 ULP) on some: each build is tested against its own
  const [fma, plain] = [fromHex(SLEEF_EXP64.fma), fromHex(SLEEF_EXP64.plain)];
  expect(fma.some((v, i) => !Object.is(v, plain[i]))).toBe(true);
  // the ports' default build is the fused one here, so the losses' float64 exp is torch's
  expect(kernels.elementary('sleefExp', x)).toEqual(loadFloat64Kernels('fma')!.elementary('sleefExp', x));
});

test("the module's SLEEF log (the relaxed-SIMD build's, without USES_GLIBC) is libsleef's Sleef_logd1_u10purecfma bit for bit (avx2 / avx512's, torch's); the plain build's is Math.log's", () => {
  const x = fromHex(SLEEF_EXP64.log_x);
  expect(x.length).toBeGreaterThan(1500);
  expect(
    firstDifference(loadFloat64Kernels('fma')!.elementary('sleefLog', x), fromHex(SLEEF_EXP64.log_fma)),
    SLEEF_EXP64.source,
  ).toBeNull();
  expect(firstDifference(loadFloat64Kernels('plain')!.elementary('sleefLog', x), x.map(Math.log))).toBeNull();
});

test("the module's SLEEF log1p (the relaxed-SIMD build's, without USES_GLIBC) is libsleef's Sleef_log1pd1_u10purecfma bit for bit up to 1e307; above it (SLEEF < 3.8's inf: LOG1P_OVERFLOWS) Math.log1p's; the plain build's is Math.log1p's", () => {
  const x = fromHex(SLEEF_EXP64.log1p_x);
  expect(x.length).toBeGreaterThan(1500);
  const fma = loadFloat64Kernels('fma')!;
  expect(firstDifference(fma.elementary('sleefLog1p', x), fromHex(SLEEF_EXP64.log1p_fma)), SLEEF_EXP64.source).toBeNull();
  const big = Float64Array.of(1.0000000000000002e307, 5e307, 1.7976931348623157e308, Infinity);
  expect(firstDifference(fma.elementary('sleefLog1p', big), big.map(Math.log1p))).toBeNull();
  expect(firstDifference(loadFloat64Kernels('plain')!.elementary('sleefLog1p', x), x.map(Math.log1p))).toBeNull();
});

test("the module's sum is ATen's float64 cascade sum as ts/numerics.ts computes it (4 lanes), bit for bit", () => {
  let seed = 1;
  for (const n of [...LENGTHS, 4096 * 16 + 15, 16 * 4096 * 16, 16 * 4096 * 16 + 9]) {
    for (const nonFinite of [false, true]) {
      const v = values(n, seed++, nonFinite);
      expect(Object.is(kernels.sum(v), sum(v, 4, identity)), `n ${n}`).toBe(true);
    }
  }
  // Cancellation: the order of the adds decides every bit.
  const next = random(99);
  const big = Float64Array.from({ length: 100_003 }, (_, i) => (i % 2 ? -1 : 1) * 1e16 + (next() - 0.5) * 1e3);
  expect(kernels.sum(big)).toBe(sum(big, 4, identity));
  // -0 sums to +0 (the output is zero-filled, then accumulated into); NaN and inf propagate.
  for (const n of [0, 1, 3, 4, 17, 100]) expect(Object.is(kernels.sum(new Float64Array(n).fill(-0)), 0)).toBe(true);
  expect(kernels.sum(Float64Array.of(1, Infinity, -Infinity, 2, 3))).toBeNaN();
  expect(kernels.sum(Float64Array.of(1, Infinity, 2, 3, 4))).toBe(Infinity);
});

test('a sum of more than 2^19 cascade rows (level power 5) matches too', () => {
  const n = 16 * (2 ** 19 + 3) + 7;
  const next = random(7);
  const v = Float64Array.from({ length: n }, () => (next() * 2 - 1) * 2 ** Math.floor(next() * 30)); // cancelling, of many magnitudes: the grouping of the adds shows in the result
  expect(Object.is(kernels.sum(v), sum(v, 4, identity))).toBe(true);
}, 30_000);

/** The kernel call the port makes in float64 (see /work/brief/f64-hook.md). */
function forwardCall(op: 'MSE' | 'L1' | 'SMOOTH_L1' | 'HUBER', x: Float64Array, y: Float64Array | Float32Array, scalar = 0): KernelCall {
  return { op, input: x, classes: x.length, operands: { target: perElement(y) }, flags: [], scalar, results: 'elements', sumLanes: 4 };
}

type Forward = (input: Tensor, target: Tensor, options: Record<string, unknown>) => Tensor;
const FORWARDS: [name: string, op: 'MSE' | 'L1' | 'SMOOTH_L1' | 'HUBER', loss: Forward, parameter: string | null, values: number[]][] = [
  ['mse_loss', 'MSE', mseLoss as Forward, null, [0]],
  ['l1_loss', 'L1', l1Loss as Forward, null, [0]],
  ['smooth_l1_loss', 'SMOOTH_L1', smoothL1Loss as Forward, 'beta', [1, 0.1, 0.5, 0, 1e-300, 3.7, 1e300, Infinity]],
  ['huber_loss', 'HUBER', huberLoss as Forward, 'delta', [1, 0.1, 0.5, 1e-300, 3.7, 1e300, Infinity]],
];

test.each(FORWARDS)(
  '%s forward: the kernel gives the JS float64 loop, bit for bit, for every reduction',
  (name, op, loss, parameter, parameters) => {
    let seed = 100;
    for (const p of parameters) {
      for (const n of LENGTHS) {
        const x = values(n, seed++);
        const y = targetNear(x, seed++, p === 0 || !Number.isFinite(p) ? 1 : p);
        for (const reduction of REDUCTIONS) {
          const options: Record<string, unknown> = { reduction, ...(parameter ? { [parameter]: p } : {}) };
          const want = js(() => loss(tensor(x), tensor(y), options));
          const got = kernels.tryRun(forwardCall(op, x, y, p), reduction, [n]);
          expect(got, `${name} ${parameter} ${p} n ${n} ${reduction}`).not.toBeNull();
          expect(got!.shape).toEqual(want.shape);
          expect(got!.data).toBeInstanceOf(Float64Array);
          expect(firstDifference(got!.data, want.data), `${name} ${parameter} ${p} n ${n} ${reduction}`).toBeNull();
        }
      }
    }
  },
);

test('mse_loss and l1_loss forward with a float32 target promoted to float64, and an n-d shape', () => {
  for (const [op, loss] of [
    ['MSE', mseLoss],
    ['L1', l1Loss],
  ] as const) {
    const x = values(6 * 7 * 5, 3);
    const y = Float32Array.from(values(6 * 7 * 5, 4));
    for (const reduction of REDUCTIONS) {
      const want = js(() => loss(tensor(x, [6, 7, 5]), tensor(y, [6, 7, 5]), { reduction }));
      const got = kernels.tryRun(forwardCall(op, x, y), reduction, reduction === 'none' ? [6, 7, 5] : []);
      expect(got!.shape).toEqual(want.shape);
      expect(firstDifference(got!.data, want.data), `${op} ${reduction}`).toBeNull();
    }
  }
});

/** The elements of a dense 1-D float64 backward that cpu_kernel_vec gives the vectorized lambda (the rest: the scalar one, in the port's JS). */
function vectorEnd(n: number, reduction: Reduction, capability: CpuCapability): number {
  return scalarTail([n], [[n], [n], reduction === 'none' ? 'dense' : []], elementLanes('float64', capability)).vectorEnd;
}

type Backward = (gradOutput: Tensor, input: Tensor, target: Tensor, options: Record<string, unknown>) => Tensor;

test('mse_loss backward: MSE_GRAD gives the JS float64 loop, every reduction', () => {
  let seed = 300;
  for (const n of LENGTHS) {
    const x = values(n, seed++);
    const y = targetNear(x, seed++, 1);
    for (const reduction of REDUCTIONS) {
      const go = reduction === 'none' ? values(n, seed++) : Float64Array.of(values(1, seed++, false)[0]!);
      const want = js(() =>
        (mseLossBackward as Backward)(tensor(go, reduction === 'none' ? [n] : []), tensor(x), tensor(y), { reduction }),
      );
      const norm = reduction === 'mean' ? 2 / n : 2;
      const got = kernels.tryRun(
        {
          op: 'MSE_GRAD',
          input: x,
          classes: n,
          operands: { target: perElement(y), gradOutput: reduction === 'none' ? perElement(go) : one(go[0]!) },
          flags: [],
          scalar: norm,
          results: 'elements',
        },
        'none',
        [n],
      );
      expect(firstDifference(got!.data, want.data), `n ${n} ${reduction}`).toBeNull();
    }
  }
});

test('l1_loss backward: L1_GRAD gives the JS float64 loops of every release (composite from 1.13, l1_loss_backward before)', () => {
  let seed = 400;
  for (const torchVersion of ['1.7', '1.12', '1.13', '2.14']) {
    for (const n of LENGTHS) {
      const x = values(n, seed++);
      const y = targetNear(x, seed++, 1);
      for (const reduction of REDUCTIONS) {
        const go = reduction === 'none' ? values(n, seed++) : Float64Array.of(values(1, seed++, false)[0]!);
        const want = js(() =>
          (l1LossBackward as Backward)(tensor(go, reduction === 'none' ? [n] : []), tensor(x), tensor(y), { reduction, torchVersion }),
        );
        const g = reduction === 'none' ? perElement(go) : one(reduction === 'mean' ? go[0]! / n : go[0]!);
        const got = kernels.tryRun(
          { op: 'L1_GRAD', input: x, classes: n, operands: { target: perElement(y), gradOutput: g }, flags: [], results: 'elements' },
          'none',
          [n],
        );
        expect(firstDifference(got!.data, want.data), `${torchVersion} n ${n} ${reduction}`).toBeNull();
      }
    }
  }
});

const BACKWARDS: [name: string, op: 'SMOOTH_L1_GRAD' | 'HUBER_GRAD', loss: Backward, parameter: string, values: number[]][] = [
  ['smooth_l1_loss', 'SMOOTH_L1_GRAD', smoothL1LossBackward as Backward, 'beta', [1, 0.1, 0.5, 1e-300, 3.7, 1e300, Infinity]],
  ['huber_loss', 'HUBER_GRAD', huberLossBackward as Backward, 'delta', [1, 0.1, 0.5, 1e-300, 3.7, 1e300, Infinity]],
];

test.each(BACKWARDS)(
  "%s backward: the kernel gives the JS float64 loop's vectorized lambda on its elements, every reduction, avx2 and avx512",
  (name, op, loss, parameter, parameters) => {
    let seed = 500;
    for (const capability of ['avx2', 'avx512'] as const) {
      for (const p of parameters) {
        for (const n of LENGTHS) {
          const x = values(n, seed++);
          const y = targetNear(x, seed++, Number.isFinite(p) ? p : 1);
          for (const reduction of REDUCTIONS) {
            const go = reduction === 'none' ? values(n, seed++) : Float64Array.of(values(1, seed++, false)[0]!);
            const options = { reduction, [parameter]: p, cpuCapability: capability };
            const want = js(() => loss(tensor(go, reduction === 'none' ? [n] : []), tensor(x), tensor(y), options));
            const got = kernels.tryRun(
              {
                op,
                input: x,
                classes: n,
                operands: { target: perElement(y), [parameter]: one(p), gradOutput: reduction === 'none' ? perElement(go) : one(go[0]!) },
                flags: [],
                scalar: reduction === 'mean' ? 1 / n : 1,
                results: 'elements',
              } as KernelCall,
              'none',
              [n],
            );
            const end = vectorEnd(n, reduction, capability);
            expect(firstDifference(got!.data, want.data, end), `${name} ${capability} ${parameter} ${p} n ${n} ${reduction}`).toBeNull();
          }
        }
      }
    }
  },
);

test('smooth_l1_loss backward with beta = 0: SMOOTH_L1_GRAD is the 1.13-2.0 kernel path, L1_GRAD the 1.7-1.12 and 2.1+ ones', () => {
  let seed = 700;
  for (const n of [0, 1, 7, 8, 9, 100, CHUNK64 + 3]) {
    const x = values(n, seed++);
    const y = targetNear(x, seed++, 1);
    for (const reduction of REDUCTIONS) {
      const go = reduction === 'none' ? values(n, seed++) : Float64Array.of(values(1, seed++, false)[0]!);
      const gradOutput = reduction === 'none' ? perElement(go) : one(go[0]!);
      const goTensor = tensor(go, reduction === 'none' ? [n] : []);
      for (const torchVersion of ['1.7', '2.1', '2.14']) {
        const want = js(() => (smoothL1LossBackward as Backward)(goTensor, tensor(x), tensor(y), { reduction, beta: 0, torchVersion }));
        const g = reduction === 'mean' ? one(go[0]! / n) : gradOutput;
        const got = kernels.tryRun(
          { op: 'L1_GRAD', input: x, classes: n, operands: { target: perElement(y), gradOutput: g }, flags: [], results: 'elements' },
          'none',
          [n],
        );
        expect(firstDifference(got!.data, want.data), `${torchVersion} n ${n} ${reduction}`).toBeNull();
      }
      const want = js(() =>
        (smoothL1LossBackward as Backward)(goTensor, tensor(x), tensor(y), { reduction, beta: 0, torchVersion: '1.13' }),
      );
      const got = kernels.tryRun(
        {
          op: 'SMOOTH_L1_GRAD',
          input: x,
          classes: n,
          operands: { target: perElement(y), beta: one(0), gradOutput },
          flags: [],
          scalar: reduction === 'mean' ? 1 / n : 1,
          results: 'elements',
        },
        'none',
        [n],
      );
      expect(firstDifference(got!.data, want.data, vectorEnd(n, reduction, 'avx2')), `1.13 n ${n} ${reduction}`).toBeNull();
    }
  }
});

test('tryRun returns null, for the JS loops, for what the module does not compute exactly as they do', () => {
  const x = values(100, 1);
  const y = values(100, 2);
  const call = forwardCall('MSE', x, y);
  expect(kernels.tryRun(call, 'mean', [])).not.toBeNull();
  // every op of kernel-ops.ts is one of FLOAT64_OPS now: an op it lacks stands in as a name outside them
  expect(kernels.tryRun({ ...call, op: 'NO_SUCH_OP' as KernelCall['op'] }, 'mean', [])).toBeNull();
  expect(kernels.tryRun({ ...call, results: 'row means' }, 'mean', [])).toBeNull();
  expect(kernels.tryRun({ ...call, sumLanes: 8 }, 'mean', [])).toBeNull(); // avx512's sum lanes (torch 1.10-2.0)
  expect(kernels.tryRun({ ...call, sumLanes: 8 }, 'none', [100])).not.toBeNull(); // no sum: the lanes do not matter
  expect(
    kernels.tryRun({ ...call, operands: { target: { data: y, rowStride: 0, colStride: 1 } }, classes: 10 }, 'mean', []),
  ).not.toBeNull(); // per class
  expect(
    kernels.tryRun({ ...call, operands: { target: { data: y.subarray(0, 9), rowStride: 0, colStride: 1 } }, classes: 10 }, 'mean', []),
  ).toBeNull(); // short of its layout
  expect(kernels.tryRun({ ...call, operands: { target: { data: y.subarray(0, 10), rowStride: 0, colStride: 1 } } }, 'mean', [])).toBeNull();
  expect(kernels.tryRun({ ...call, operands: {} }, 'mean', [])).toBeNull();
  // A one-value operand in a Float32Array is a float32 port's call (its value rounded to float32): refused.
  const gradCall = (gradOutput: RowColOperand | null): KernelCall => ({
    op: 'MSE_GRAD',
    input: x,
    classes: 100,
    operands: { target: perElement(y), gradOutput },
    flags: [],
    scalar: 2,
    results: 'elements',
  });
  expect(kernels.tryRun(gradCall(one(0.1)), 'none', [100])).not.toBeNull();
  expect(kernels.tryRun(gradCall({ data: new Float32Array([0.1]), rowStride: 0, colStride: 0 }), 'none', [100])).toBeNull();
  expect(kernels.tryRun(gradCall(null), 'none', [100])).toBeNull();
  expect(kernels.tryRunBoth({ ...call, op: 'NO_SUCH_OP' as KernelCall['op'] }, 'MSE_GRAD', [100], [100])).toBeNull();
  // Beyond the cap on module memory: null before any work.
  const previous = useFloat64ArenaCap(1024);
  try {
    expect(kernels.tryRun(call, 'mean', [])).toBeNull();
  } finally {
    useFloat64ArenaCap(previous);
  }
  expect(kernels.tryRun(call, 'mean', [])).not.toBeNull();
});

type Layout = 'one' | 'class' | 'row' | 'element' | 'class32' | 'row32';
const LAYOUTS: readonly Layout[] = ['one', 'class', 'row', 'element', 'class32', 'row32'];

/** An operand of `layout` over rows x classes, and its values expanded to one per element. */
function operandOf(layout: Layout, rows: number, classes: number, seed: number): [RowColOperand, Float64Array] {
  const n = rows * classes;
  const [length, rowStride, colStride] =
    layout === 'one'
      ? [1, 0, 0]
      : layout === 'class' || layout === 'class32'
        ? [classes, 0, 1]
        : layout === 'element'
          ? [n, classes, 1]
          : [rows, 1, 0];
  let data: Float64Array | Float32Array = values(length, seed);
  if (layout.endsWith('32')) data = Float32Array.from(data);
  const expanded = new Float64Array(n);
  for (let r = 0, i = 0; r < rows; r++) for (let c = 0; c < classes; c++, i++) expanded[i] = data[r * rowStride + c * colStride]!;
  return [{ data, rowStride, colStride }, expanded];
}

const LAYOUT_SHAPES: readonly [rows: number, classes: number][] = [
  [0, 5],
  [1, 1],
  [1, 7],
  [3, 5],
  [7, 3],
  [4, 16],
  [5, 17],
  [1000, 1],
  [2, CHUNK64 + 3],
  [CHUNK64 + 5, 2],
  [3, 3 * CHUNK64 + 1],
];

test('every operand slot may be per element, one value, per class or per row (float64 or float32 data): the bits of the operand expanded per element', () => {
  let seed = 3000;
  const cases: [op: 'MSE' | 'MSE_GRAD' | 'SMOOTH_L1_GRAD' | 'HUBER_GRAD', name: string][] = [
    ['MSE', 'target'],
    ['MSE_GRAD', 'target'],
    ['MSE_GRAD', 'gradOutput'],
    ['SMOOTH_L1_GRAD', 'beta'],
    ['HUBER_GRAD', 'delta'],
  ];
  for (const [rows, classes] of LAYOUT_SHAPES) {
    const n = rows * classes;
    const x = values(n, seed++);
    for (const [op, name] of cases) {
      for (const layout of LAYOUTS) {
        const [operand, expanded] = operandOf(layout, rows, classes, seed++);
        if (layout === 'one' && operand.data instanceof Float32Array) continue;
        const elements = (data: Float64Array): RowColOperand => ({ data, rowStride: classes, colStride: 1 });
        const base: Record<string, RowColOperand> = { target: elements(values(n, seed++)), gradOutput: elements(values(n, seed++)) };
        if (op === 'SMOOTH_L1_GRAD') base.beta = one(0.5);
        if (op === 'HUBER_GRAD') base.delta = one(0.5);
        const call = (o: RowColOperand): KernelCall =>
          ({
            op,
            input: x,
            classes,
            operands: { ...base, [name]: o },
            flags: [],
            scalar: 0.7,
            results: 'elements',
            sumLanes: 4,
          }) as KernelCall;
        for (const reduction of op === 'MSE' ? REDUCTIONS : (['none'] as const)) {
          const where = `${op} ${name} ${layout} (${rows}, ${classes}) ${reduction}`;
          const got = kernels.tryRun(call(operand), reduction, [rows, classes]);
          const want = kernels.tryRun(call(elements(expanded)), reduction, [rows, classes]);
          expect(got, where).not.toBeNull();
          expect(firstDifference(got!.data, want!.data), where).toBeNull();
        }
      }
    }
  }
});

test("results are the call's own arrays, not views of the module's memory; a fresh instance gives the same", () => {
  const x = values(CHUNK64 + 5, 11);
  const y = values(CHUNK64 + 5, 12);
  const first = kernels.tryRun(forwardCall('MSE', x, y), 'none', [x.length])!;
  const copy = Float64Array.from(first.data);
  kernels.tryRun(forwardCall('L1', y, x), 'none', [x.length]);
  expect(first.data.buffer).not.toBe(kernels.exports.memory.buffer);
  expect(firstDifference(first.data, copy)).toBeNull();
  const fresh = loadFloat64Kernels()!;
  expect(fresh).not.toBe(kernels);
  expect(firstDifference(fresh.tryRun(forwardCall('MSE', x, y), 'none', [x.length])!.data, copy)).toBeNull();
  expect(
    Object.is(fresh.tryRun(forwardCall('MSE', x, y), 'sum', [])!.data[0], kernels.tryRun(forwardCall('MSE', x, y), 'sum', [])!.data[0]),
  ).toBe(true);
});

test("the module's exp and log are V8's Math.exp and Math.log bit for bit: specials, the branch edges, random bits, subnormal and overflowing results", () => {
  const next = random(42);
  const words = new Uint32Array(2);
  const asDouble = new Float64Array(words.buffer);
  const special = [
    0,
    -0,
    1,
    -1,
    Infinity,
    -Infinity,
    NaN,
    709.782712893384, // fdlibm o_threshold 7.09782712893383973096e+02
    709.7827128933841,
    709.79,
    -745.1332191019411,
    -745.1332191019412,
  ];
  special.push(-745.14, -708.4, -708.39, 1000, -1000, 2 ** -28, -(2 ** -28), 2 ** -29, 5e-324, 2 ** -53, -(2 ** -54), 0.5, -0.5);
  special.push(0.34657359027997264, 0.3465735902799727, -0.34657359027997264, 1.0397207708399179, 1.039720770839918, -1.039720770839918);
  const draws: (() => number)[] = [
    () => (next() - 0.5) * 1500,
    () => (next() - 0.5) * 4,
    () => (next() - 0.5) * 2 ** (next() * 60 - 50),
    () => -708 - next() * 38,
    () => 709 + next(),
    () => {
      words[0] = Math.floor(next() * 2 ** 32);
      words[1] = Math.floor(next() * 2 ** 32);
      return asDouble[0]!;
    },
  ];
  const v = Float64Array.from([...special, ...draws.flatMap((draw) => Array.from({ length: 200_000 }, draw))]);
  const got = kernels.elementary('exp', v);
  for (let i = 0; i < v.length; i++) if (!Object.is(got[i], Math.exp(v[i]!))) expect(`exp(${v[i]}) = ${got[i]}`).toBe(`${Math.exp(v[i]!)}`);
  // log: the same arguments (negative ones give NaN), positive ones of every magnitude, and near 1
  const positive = draws.flatMap((draw) => Array.from({ length: 100_000 }, () => Math.abs(draw())));
  positive.push(...Array.from({ length: 100_000 }, () => 1 + (next() - 0.5) * 2 ** -(next() * 40)));
  positive.push(...Array.from({ length: 2098 }, (_, i) => 2 ** (i - 1074)));
  const w = Float64Array.from([...special, ...v.subarray(special.length, special.length + 200_000), ...positive]);
  const logs = kernels.elementary('log', w);
  for (let i = 0; i < w.length; i++)
    if (!Object.is(logs[i], Math.log(w[i]!))) expect(`log(${w[i]}) = ${logs[i]}`).toBe(`${Math.log(w[i]!)}`);
});

test("the module's log1p is V8's Math.log1p bit for bit: specials, fdlibm's branch edges (every low word of some), random bits, all magnitudes", () => {
  const next = random(43);
  const words = new Uint32Array(2);
  const asDouble = new Float64Array(words.buffer);
  const ofWords = (high: number, low: number) => {
    words[1] = high;
    words[0] = low;
    return asDouble[0]!;
  };
  const bits = () => ofWords(Math.floor(next() * 2 ** 32), Math.floor(next() * 2 ** 32));
  const ulpBelowOne = 1 - 2 ** -53;
  const special = [
    0,
    -0,
    1,
    -1,
    -ulpBelowOne,
    -1 + 2 ** -52,
    -1 - 2 ** -52,
    Infinity,
    -Infinity,
    NaN,
    5e-324,
    -5e-324,
    2.2250738585072014e-308,
  ];
  special.push(
    -2.2250738585072014e-308,
    1e-310,
    -1e-310,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    2 ** 53,
    2 ** 53 - 1,
    2 ** 53 + 2,
    2 ** 1023,
  );
  special.push(
    2 ** -29,
    -(2 ** -29),
    2 ** -29 * ulpBelowOne,
    2 ** -54,
    -(2 ** -54),
    2 ** -54 * ulpBelowOne,
    2 ** -1074,
    Math.SQRT2 - 1,
    Math.SQRT1_2 - 1,
  );
  // high words where the branches change (x < 0.41422, x > -0.2929, |x| < 2^-29, < 2^-54, x < 2^53, x <= -1, inf), and their neighbours
  const edges = [0x3fda827a, 0xbfd2bec4, 0x3e200000, 0xbe200000, 0x3c900000, 0xbc900000, 0x43400000, 0xbff00000, 0x7ff00000, 0x00100000];
  const edgeValues: number[] = [];
  for (const edge of edges) {
    for (const high of [edge - 1, edge, edge + 1]) {
      for (let low = 0; low < 4096; low++) edgeValues.push(ofWords(high >>> 0, low), ofWords(high >>> 0, (0xffffffff - low) >>> 0));
      for (let i = 0; i < 4096; i++) edgeValues.push(ofWords(high >>> 0, Math.floor(next() * 2 ** 32)));
    }
  }
  // u = 1 + x whose mantissa is at 0x6a09e (u ~ sqrt(2): u / 2 normalized) and where |f| < 2^-20 (hu == 0) after it
  for (let e = -60; e < 60; e++) {
    for (const m of [0x6a09d, 0x6a09e, 0x6a09f, 0, 1, 0xfffff, 0xffffe, 0xffffd, 0xffffc]) {
      for (let i = 0; i < 32; i++) edgeValues.push(ofWords(((1023 + e) << 20) | m, Math.floor(next() * 2 ** 32)) - 1);
    }
  }
  const draws: (() => number)[] = [
    bits,
    () => (next() - 0.5) * 2 ** (next() * 160 - 120),
    () => -1 + next() * 2 ** -(next() * 60),
    () => (next() - 0.5) * 3,
    () => next() * 2 ** (next() * 2098 - 1074),
  ];
  const v = Float64Array.from([...special, ...edgeValues, ...draws.flatMap((draw) => Array.from({ length: 600_000 }, draw))]);
  const got = kernels.elementary('log1p', v);
  for (let i = 0; i < v.length; i++)
    if (!Object.is(got[i], Math.log1p(v[i]!))) expect(`log1p(${v[i]}) = ${got[i]}`).toBe(`${Math.log1p(v[i]!)}`);
  expect(v.length).toBeGreaterThan(3_000_000);
});

test("the module's log1p is V8's Math.log1p bit for bit: specials, the branch edges (2^-54, 2^-29, sqrt(2) - 1, sqrt(2)/2 - 1, -1, 2^53), every binade, random bits", () => {
  const next = random(43);
  const words = new Uint32Array(2);
  const asDouble = new Float64Array(words.buffer);
  const v = [
    0,
    -0,
    1,
    -1,
    -1 + 2 ** -53,
    -0.5,
    -2,
    Infinity,
    -Infinity,
    NaN,
    2 ** 53,
    2 ** 53 - 1,
    2 ** 53 + 2,
    Number.MAX_VALUE,
    5e-324,
    -5e-324,
  ];
  v.push(2 ** -29, -(2 ** -29), 2 ** -30, 2 ** -54, -(2 ** -54), 2 ** -55, 0.41421356237309503, 0.414213562373095, 0.4142135623730951);
  v.push(-0.2928932188134524, -0.29289321881345254, -0.2928932188134525, 2 ** -20, 1 - 2 ** -53, 2 ** 20, 0.5);
  for (let e = -1074; e < 1024; e++) v.push(2 ** e, -(2 ** e), 2 ** e * 1.4142135, 2 ** e * 1.4142136 - 1, 2 ** e * (1 + next()));
  for (let i = 0; i < 100_000; i++) {
    v.push(next() * 2 - 1, (next() - 0.5) * 2 ** (next() * 80 - 60), next() * 1e6, -next(), Math.exp(-next() * 40));
    words[0] = Math.floor(next() * 2 ** 32);
    words[1] = Math.floor(next() * 2 ** 32);
    v.push(asDouble[0]!);
  }
  const w = Float64Array.from(v);
  const got = kernels.elementary('log1p', w);
  for (let i = 0; i < w.length; i++)
    if (!Object.is(got[i], Math.log1p(w[i]!))) expect(`log1p(${w[i]}) = ${got[i]}`).toBe(`${Math.log1p(w[i]!)}`);
});

test('poisson_nll_loss: POISSON_NLL and POISSON_NLL_GRAD give the JS float64 loops, log_input and not, full and not, every reduction', () => {
  let seed = 1500;
  const forms = [
    [true, false],
    [false, false],
    [true, true],
    [false, true],
  ] as const;
  for (const n of LENGTHS) {
    for (const [logInput, full] of forms) {
      // exp overflows and underflows too; log of negatives; counts (Stirling's term above 1) and other targets
      const x = Float64Array.from(values(n, seed++), (v, i) => (i % 3 ? (logInput ? v : Math.abs(v)) : v * 300));
      const y = Float64Array.from(values(n, seed++), (v, i) => (i % 4 ? v : Math.round(Math.abs(v) * 10)));
      for (const reduction of REDUCTIONS) {
        for (const cpuCapability of ['avx2', 'default'] as const) {
          const options = { reduction, cpuCapability, logInput, full, eps: 1e-8 };
          const flags = [
            ...(cpuCapability === 'default' ? ['USES_GLIBC'] : []),
            ...(logInput ? ['LOG_INPUT'] : []),
            ...(full ? ['FULL'] : []),
          ] as KernelCall['flags'];
          const where = `n ${n} ${reduction} ${cpuCapability} log_input ${logInput} full ${full}`;
          const want = js(() => poissonNllLoss(tensor(x), tensor(y), options));
          const call: KernelCall = {
            op: 'POISSON_NLL',
            input: x,
            classes: n,
            operands: { target: perElement(y) },
            flags,
            scalar: 1e-8,
            results: 'elements',
            sumLanes: 4,
          };
          expect(
            firstBeyond(
              kernels.tryRun(call, reduction, [n])!.data,
              want.data,
              cpuCapability !== 'default',
              reducedScale(poissonTerms(x, y), n, reduction),
            ),
            where,
          ).toBeNull();
          const go = reduction === 'none' ? values(n, seed++) : Float64Array.of(values(1, seed++, false)[0]!);
          const wantGrad = js(() => poissonNllLossBackward(tensor(go, reduction === 'none' ? [n] : []), tensor(x), tensor(y), options));
          const g = reduction === 'none' ? perElement(go) : one(reduction === 'mean' ? go[0]! / n : go[0]!);
          const gradCall: KernelCall = {
            op: 'POISSON_NLL_GRAD',
            input: x,
            classes: n,
            operands: { target: perElement(y), gradOutput: g },
            flags: flags.filter((f) => f !== 'FULL'),
            scalar: 1e-8,
            results: 'elements',
          };
          expect(
            firstBeyond(
              kernels.tryRun(gradCall, 'none', [n])!.data,
              wantGrad.data,
              cpuCapability !== 'default',
              (i) => Math.abs(g.data[i] ?? g.data[0]!) * (Math.exp(x[i]!) + Math.abs(y[i]!)),
            ),
            `grad ${where}`,
          ).toBeNull();
        }
      }
    }
  }
});

test("soft_margin_loss: SOFT_MARGIN's three forms (log(1 + e) before 2.0, log1p(e), log1p(e) that overflows above 1e307) and SOFT_MARGIN_GRAD give the JS float64 loops, every reduction", () => {
  let seed = 1700;
  const forms = [
    ['1.13', 'avx2', []],
    ['2.6', 'default', ['USES_LOG1P', 'USES_GLIBC']],
    ['2.6', 'avx2', ['USES_LOG1P', 'LOG1P_OVERFLOWS']],
    ['2.14', 'avx512', ['USES_LOG1P']],
  ] as const;
  for (const n of LENGTHS) {
    for (const [torchVersion, cpuCapability, flags] of forms) {
      // -x y over exp's whole range, past its overflow (e above 1e307 from -x y = 706.9), and +-1 targets
      const x = Float64Array.from(values(n, seed++), (v, i) => (i % 3 === 0 ? v : i % 3 === 1 ? (next1() - 0.5) * 1440 : v * 100));
      const y = Float64Array.from(values(n, seed++), (v, i) => (i % 2 ? (i % 4 === 1 ? 1 : -1) : v));
      for (const reduction of REDUCTIONS) {
        const options = { reduction, torchVersion, cpuCapability };
        const where = `n ${n} ${reduction} ${torchVersion} ${cpuCapability}`;
        const want = js(() => softMarginLoss(tensor(x), tensor(y), options));
        const call: KernelCall = {
          op: 'SOFT_MARGIN',
          input: x,
          classes: n,
          operands: { target: perElement(y) },
          flags: [...flags],
          scalar: 0,
          results: 'elements',
          sumLanes: 4,
        };
        expect(
          firstBeyond(
            kernels.tryRun(call, reduction, [n])!.data,
            want.data,
            cpuCapability !== 'default',
            reducedScale(() => 1, n, reduction),
          ),
          where,
        ).toBeNull();
        const go = reduction === 'none' ? values(n, seed++) : Float64Array.of(values(1, seed++, false)[0]!);
        const wantGrad = js(() => softMarginLossBackward(tensor(go, reduction === 'none' ? [n] : []), tensor(x), tensor(y), options));
        const gradCall: KernelCall = {
          op: 'SOFT_MARGIN_GRAD',
          input: x,
          classes: n,
          operands: { target: perElement(y), gradOutput: reduction === 'none' ? perElement(go) : one(go[0]!) },
          flags: [...flags],
          scalar: reduction === 'mean' ? -1 / n : -1,
          results: 'elements',
        };
        expect(
          firstBeyond(
            kernels.tryRun(gradCall, 'none', [n])!.data,
            wantGrad.data,
            cpuCapability !== 'default',
            subnormalExpScale(wantGrad.data, x, y),
          ),
          `grad ${where}`,
        ).toBeNull();
      }
    }
  }
  // exp(-x y) about 1e307 (-x y = 706.9...), where the overflowing log1p turns inf
  const x = Float64Array.from({ length: 4001 }, (_, i) => -706.5 - i / 4000);
  const y = new Float64Array(x.length).fill(1);
  for (const [torchVersion, cpuCapability] of [
    ['2.6', 'avx2'],
    ['2.6', 'default'],
    ['2.14', 'avx2'],
    ['1.13', 'avx2'],
  ] as const) {
    const options = { reduction: 'none', torchVersion, cpuCapability } as const;
    const want = js(() => softMarginLoss(tensor(x), tensor(y), options));
    expect(
      firstBeyond(softMarginLoss(tensor(x), tensor(y), options).data, want.data, cpuCapability !== 'default'),
      `${torchVersion} ${cpuCapability}`,
    ).toBeNull();
    expect(want.data.includes(Infinity)).toBe(torchVersion === '2.6' && cpuCapability === 'avx2');
  }
});

/** n probabilities in [0, 1]: random of many magnitudes, 0, 1, and values next to them (log1p(-x) and log(x) below -100, 1 - x rounding to 1). */
function probabilities(n: number, seed: number): Float64Array {
  const next = random(seed);
  const edges = [0, 1, 0.5, 5e-324, 1e-300, 1e-44, 3.7e-44, 1 - 2 ** -53, 1 - 1e-44, 1 - 3e-44, 2 ** -1022, 1e-12, 1 - 1e-12, 1e-6];
  return Float64Array.from({ length: n }, () => {
    const u = next();
    return u < 0.15 ? edges[Math.floor(next() * edges.length)]! : u < 0.3 ? next() ** 40 : u < 0.4 ? 1 - next() ** 40 : next();
  });
}

test('soft_margin_loss float64 with a target that broadcasts (per class, per row, one value) over odd rows: the kernels (row segments) give the JS loops', () => {
  let seed = 2000;
  const spy = vi.spyOn(Float64Kernels.prototype, 'tryRun');
  try {
    for (const [rows, classes] of [
      [3, 5],
      [7, 1],
      [2, 17],
      [5, 2 * CHUNK64 + 3],
      [CHUNK64 + 1, 3],
    ] as const) {
      const shape = [rows, classes];
      const x = Float64Array.from(values(rows * classes, seed++), (v, i) => (i % 3 ? v : v * 300));
      for (const targetShape of [[classes], [1, classes], [rows, 1], [1], []]) {
        const y = Float64Array.from(
          values(Math.max(1, rows * classes), seed++, false).subarray(
            0,
            targetShape.reduce((p, d) => p * d, 1),
          ),
          (v, i) => (i % 2 ? v : Math.sign(v)),
        );
        for (const torchVersion of ['1.13', '2.6']) {
          for (const reduction of REDUCTIONS) {
            const options = { reduction, torchVersion };
            const where = `(${rows}, ${classes}) target [${targetShape}] ${torchVersion} ${reduction}`;
            const go = reduction === 'none' ? values(rows * classes, seed++) : Float64Array.of(values(1, seed++, false)[0]!);
            const goTensor = tensor(go, reduction === 'none' ? shape : []);
            const before = spy.mock.results.filter((r) => r.value !== null).length;
            const on = [
              softMarginLoss(tensor(x, shape), tensor(y, targetShape), options),
              softMarginLossBackward(goTensor, tensor(x, shape), tensor(y, targetShape), options),
            ];
            expect(spy.mock.results.filter((r) => r.value !== null).length - before, where).toBe(2);
            const off = js(() => [
              softMarginLoss(tensor(x, shape), tensor(y, targetShape), options),
              softMarginLossBackward(goTensor, tensor(x, shape), tensor(y, targetShape), options),
            ]);
            for (let k = 0; k < 2; k++)
              expect(
                firstBeyond(
                  on[k]!.data,
                  off[k]!.data,
                  true /* avx2 by default */,
                  reducedScale(() => 1 + Math.abs(go[0]!), rows * classes, reduction),
                ),
                `${k ? 'backward' : 'forward'} ${where}`,
              ).toBeNull();
          }
        }
      }
    }
  } finally {
    spy.mockRestore();
  }
});

test('binary_cross_entropy: BINARY_CROSS_ENTROPY and its GRAD give the JS float64 loops, without a weight and with one of every layout, every reduction', () => {
  let seed = 1900;
  for (const [rows, classes] of [
    [1, 0],
    [1, 1],
    [1, 2],
    [1, 7],
    [1, 64],
    [3, 5],
    [1, 1023],
    [4, 1025],
    [1, CHUNK64 + 1],
    [3, CHUNK64 + 5],
    [2 * CHUNK64 + 3, 1],
    [37, 229],
  ] as const) {
    const n = rows * classes;
    const shape = rows === 1 ? [classes] : [rows, classes];
    const x = probabilities(n, seed++);
    const y = Float64Array.from(probabilities(n, seed++), (v, i) => (i % 3 ? Math.round(v) : v));
    const w = values(n, seed++, false);
    const weights: [name: string, weight: Tensor | undefined][] = [
      ['none', undefined],
      ['per element', tensor(w, shape)],
      ['per class', tensor(w.subarray(0, classes), [classes])],
      ['per row', tensor(w.subarray(0, rows), rows === 1 ? [1] : [rows, 1])],
      ['one value', tensor(w.subarray(0, Math.min(1, n)), [])],
    ];
    for (const [name, weight] of weights) {
      if (weight && weight.data.length === 0) continue;
      for (const reduction of REDUCTIONS) {
        for (const torchVersion of ['1.7', '2.14']) {
          const options = { reduction, torchVersion, ...(weight ? { weight } : {}) };
          const where = `(${rows}, ${classes}) weight ${name} ${reduction} ${torchVersion}`;
          const spy = vi.spyOn(Float64Kernels.prototype, 'tryRun');
          try {
            const on = binaryCrossEntropy(tensor(x, shape), tensor(y, shape), options);
            const want = js(() => binaryCrossEntropy(tensor(x, shape), tensor(y, shape), options));
            expect(firstDifference(on.data, want.data), where).toBeNull();
            const go = reduction === 'none' ? values(n, seed++) : Float64Array.of(values(1, seed++, false)[0]!);
            const goTensor = tensor(go, reduction === 'none' ? shape : []);
            const onGrad = binaryCrossEntropyBackward(goTensor, tensor(x, shape), tensor(y, shape), options);
            const wantGrad = js(() => binaryCrossEntropyBackward(goTensor, tensor(x, shape), tensor(y, shape), options));
            expect(firstDifference(onGrad.data, wantGrad.data), `grad ${where}`).toBeNull();
            expect(
              spy.mock.results.map((r) => r.value !== null),
              where,
            ).toEqual([true, true]);
          } finally {
            spy.mockRestore();
          }
        }
      }
    }
  }
});

test("multilabel_soft_margin_loss: MULTILABEL_SOFT_MARGIN's per-sample means (rowMeans64: each row's sum in Tensor.sum()'s order) and its GRAD give the JS float64 loops, every release, capability, weight layout and reduction", () => {
  let seed = 2100;
  let ran = 0;
  const spy = vi.spyOn(Float64Kernels.prototype, 'tryRun');
  try {
    // classes under, at and past 4 and 16 (the sum's vector and row), rows past a chunk, a row of a whole chunk and of more (the JS loops)
    for (const [rows, classes] of [
      [1, 1],
      [5, 1],
      [3, 2],
      [4, 3],
      [7, 4],
      [3, 5],
      [2, 15],
      [3, 16],
      [2, 17],
      [5, 33],
      [40, 100],
      [3, 257],
      [2, CHUNK64],
      [2, CHUNK64 + 1],
      [CHUNK64 + 3, 2],
      [0, 5],
    ] as const) {
      const shape = [rows, classes];
      const n = rows * classes;
      const x = Float64Array.from(values(n, seed++), (v, i) => (i % 3 ? v : v * 300));
      const y = Float64Array.from(values(n, seed++, false), (v, i) => (i % 2 ? Math.round(Math.abs(v) % 2) : v));
      const w = values(Math.max(n, rows, classes), seed++, false);
      const weights: (Tensor | undefined)[] = [
        undefined,
        tensor(w.subarray(0, classes), [classes]),
        tensor(w.subarray(0, n), shape),
        tensor(w.subarray(0, rows), [rows, 1]),
      ];
      for (const weight of weights) {
        for (const torchVersion of ['1.7', '1.13', '2.14']) {
          for (const cpuCapability of ['avx2', 'avx512', 'default'] as const) {
            for (const reduction of REDUCTIONS) {
              const options = { reduction, torchVersion, cpuCapability, ...(weight ? { weight } : {}) };
              const where = `(${rows}, ${classes}) weight [${weight?.shape}] ${torchVersion} ${cpuCapability} ${reduction}`;
              const go = reduction === 'none' ? values(rows, seed++) : Float64Array.of(values(1, seed++, false)[0]!);
              const goTensor = tensor(go, reduction === 'none' ? [rows] : []);
              const before = spy.mock.results.filter((r) => r.value !== null).length;
              const on = [
                multilabelSoftMarginLoss(tensor(x, shape), tensor(y, shape), options),
                multilabelSoftMarginLossBackward(goTensor, tensor(x, shape), tensor(y, shape), options),
              ];
              ran += spy.mock.results.filter((r) => r.value !== null).length - before;
              const off = js(() => [
                multilabelSoftMarginLoss(tensor(x, shape), tensor(y, shape), options),
                multilabelSoftMarginLossBackward(goTensor, tensor(x, shape), tensor(y, shape), options),
              ]);
              for (let k = 0; k < 2; k++) {
                expect(on[k]!.shape, where).toEqual(off[k]!.shape);
                expect(firstDifference(on[k]!.data, off[k]!.data), `${k ? 'backward' : 'forward'} ${where}`).toBeNull();
              }
            }
          }
        }
      }
    }
  } finally {
    spy.mockRestore();
  }
  expect(ran, 'the kernels ran').toBeGreaterThan(600);
});

// Through the public API: once ts/wasm/float32-kernels.ts kernelsFor('float64') returns these
// kernels (/work/brief/f64-hook.md), every float64 call of the four losses gives the same bits with
// the kernels on and off (useFloat32Kernels switches both), the backwards' scalar tails included.
const hooked = kernelsFor('float64') !== null;

test.skipIf(!hooked)('kernelsFor(float64) gives these kernels, and useFloat32Kernels(false) switches them off', () => {
  expect(kernelsFor('float64')).toBe(kernels as unknown);
  useFloat32Kernels(false);
  try {
    expect(kernelsFor('float64')).toBeNull();
  } finally {
    useFloat32Kernels(true);
  }
});

type Loss = (input: Tensor, target: Tensor, options: Record<string, unknown>) => Tensor;
const API: [name: string, forward: Loss, backward: Backward, parameter: string | null, values: number[]][] = [
  ['mse_loss', mseLoss as Loss, mseLossBackward as Backward, null, [0]],
  ['l1_loss', l1Loss as Loss, l1LossBackward as Backward, null, [0]],
  ['smooth_l1_loss', smoothL1Loss as Loss, smoothL1LossBackward as Backward, 'beta', [1, 0.1, 0, 3.7]],
  ['huber_loss', huberLoss as Loss, huberLossBackward as Backward, 'delta', [1, 0.1, 3.7]],
  ['poisson_nll_loss', poissonNllLoss as Loss, poissonNllLossBackward as Backward, 'log_input', [1, 0]],
  ['soft_margin_loss', softMarginLoss as Loss, softMarginLossBackward as Backward, null, [0]],
];

test.skipIf(!hooked).each(API)(
  '%s float64 through the API: the same bits with the kernels on and off, every release, capability, reduction and shape',
  (name, forward, backward, parameter, parameters) => {
    const spy = vi.spyOn(Float64Kernels.prototype, 'tryRun');
    let ran = 0;
    let seed = 900;
    try {
      for (const torchVersion of ['1.7', '1.12', '1.13', '2.1', '2.6', '2.14']) {
        if (name === 'huber_loss' && torchVersion === '1.7') continue;
        for (const cpuCapability of ['avx2', 'avx512', 'default'] as const) {
          for (const p of parameters) {
            for (const shape of [[CHUNK64 + 13], [3, 5, 7], [4, 1, 9], [1], [0], [], [2, 3 * CHUNK64 + 1]]) {
              const n = numel(shape);
              const x = values(n, seed++);
              const y = targetNear(x, seed++, p === 0 ? 1 : p);
              for (const reduction of REDUCTIONS) {
                const options = {
                  reduction,
                  torchVersion,
                  cpuCapability,
                  ...(parameter === 'log_input' ? { logInput: p === 1, full: shape.length === 2 } : parameter ? { [parameter]: p } : {}),
                };
                const go = reduction === 'none' ? values(n, seed++) : Float64Array.of(values(1, seed++, false)[0]!);
                const args = [tensor(go, reduction === 'none' ? shape : []), tensor(x, shape), tensor(y, shape)] as const;
                const before = spy.mock.results.filter((r) => r.value !== null).length;
                const on = [forward(args[1], args[2], options), backward(...args, options)];
                ran += spy.mock.results.filter((r) => r.value !== null).length - before;
                useFloat32Kernels(false);
                const off = [forward(args[1], args[2], options), backward(...args, options)];
                useFloat32Kernels(true);
                const where = `${torchVersion} ${cpuCapability} ${parameter} ${p} [${shape}] ${reduction}`;
                for (let k = 0; k < 2; k++) {
                  expect(on[k]!.shape, where).toEqual(off[k]!.shape);
                  expect(on[k]!.data.constructor, where).toBe(off[k]!.data.constructor);
                  // SLEEF's exp in the kernels (poisson_nll's log_input forms, soft_margin) but under 'default'
                  const sleefExp = cpuCapability !== 'default' && (name === 'soft_margin_loss' || name === 'poisson_nll_loss');
                  // soft_margin's log(1 + e) (before 2.0): 1 + e's rounding; poisson's exp(x) - y x: its terms
                  const terms = name === 'soft_margin_loss' ? () => 1 : p === 1 ? poissonTerms(x, y) : poissonEpsTerms(x, y);
                  const scale = k === 0 ? reducedScale(terms, n, reduction) : (i: number) => Math.abs(go[i] ?? go[0]!) * (1 + terms(i));
                  expect(firstBeyond(on[k]!.data, off[k]!.data, sleefExp, scale), `${k ? 'backward' : 'forward'} ${where}`).toBeNull();
                }
              }
            }
          }
        }
      }
    } finally {
      spy.mockRestore();
      useFloat32Kernels(true);
    }
    expect(ran, 'the kernels ran').toBeGreaterThan(100);
  },
);

test.skipIf(!hooked)(
  'float64 with float32 operands (promoted, or cast back to a float32 input) gives the same bits with the kernels on and off',
  () => {
    let seed = 1200;
    for (const [, forward, backward, parameter, parameters] of API.filter(([name]) => name !== 'poisson_nll_loss')) {
      for (const torchVersion of ['1.13', '2.14']) {
        const p = parameters[parameters.length - 1]!;
        const n = 1001;
        const x64 = values(n, seed++);
        const y64 = targetNear(x64, seed++, p || 1);
        const [x32, y32] = [Float32Array.from(x64), Float32Array.from(y64)];
        for (const [x, y, go] of [
          [x64, y32, values(n, seed++)],
          [x32, y64, values(n, seed++)],
          [x64, y64, Float32Array.from(values(n, seed++))],
        ] as const) {
          for (const reduction of REDUCTIONS) {
            const options = { reduction, torchVersion, ...(parameter ? { [parameter]: p } : {}) };
            const sleefExp = forward === (softMarginLoss as Loss); // SLEEF's exp in the kernels (the default capability: avx2 / avx512)
            const g = reduction === 'none' ? go : go.subarray(0, 1);
            const run = () => {
              const out: (Tensor | string)[] = [forward(tensor(x), tensor(y), options)];
              try {
                out.push(backward(tensor(g, reduction === 'none' ? [n] : []), tensor(x), tensor(y), options));
              } catch (e) {
                out.push(String(e));
              }
              return out;
            };
            const on = run();
            useFloat32Kernels(false);
            const off = run();
            useFloat32Kernels(true);
            for (let k = 0; k < 2; k++) {
              const [a, b] = [on[k]!, off[k]!];
              if (typeof a === 'string' || typeof b === 'string') expect(a).toEqual(b);
              else {
                expect(a.data.constructor).toBe(b.data.constructor);
                expect(
                  firstBeyond(
                    a.data,
                    b.data,
                    sleefExp,
                    reducedScale(() => 1, n, reduction),
                  ),
                ).toBeNull();
              }
            }
          }
        }
      }
    }
  },
);

/** An elementwise loss's per-element terms' magnitude `terms`, summed for 'mean' / 'sum' (its non-finite terms left out). */
function reducedScale(terms: (i: number) => number, n: number, reduction: Reduction): (i: number) => number {
  if (reduction === 'none') return terms;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const t = terms(i);
    if (Number.isFinite(t)) total += t;
  }
  return () => (reduction === 'mean' ? total / n : total);
}

/** poisson_nll's x - y log(x + eps) (+ Stirling's term): its terms' magnitude. */
const poissonEpsTerms = (x: ArrayLike<number>, y: ArrayLike<number>) => (i: number) =>
  Math.abs(x[i]!) + Math.abs(y[i]!) * (Math.abs(Math.log(Math.abs(x[i]!) + 1e-8)) + Math.abs(Math.log(Math.abs(y[i]!))) + 2);

/**
 * soft_margin's gradient ((y z) s) / (z + 1) g, z = exp(-y x): |result| 2^-1022 / |y z| where z or
 * y z is subnormal (its ULP, 2^-1074, is then more than 2^-52 of it: z's 1 ULP becomes more), else |result|.
 */
const subnormalExpScale = (want: ArrayLike<number>, x: ArrayLike<number>, y: ArrayLike<number>) => (i: number) => {
  const z = Math.exp(-y[i]! * x[i]!);
  return Math.abs(want[i]!) * Math.max(1, 2 ** -1022 / z, 2 ** -1022 / Math.abs(y[i]! * z));
};

/** poisson_nll's exp(x) - y x (+ Stirling's term, no larger than the result and y x): its terms' magnitude. */
const poissonTerms = (x: ArrayLike<number>, y: ArrayLike<number>) => (i: number) =>
  Math.exp(x[i]!) + 2 * Math.abs(y[i]! * x[i]!) + Math.abs(y[i]!);

/**
 * log_softmax's (x - max) - lse: an element's terms' magnitude, |x - max| + |out| + 1 (lse is the log
 * of a sum >= 1 whose exps each differ by up to 1 ULP: lse by up to about 2^-52).
 */
function forwardScale(x: ArrayLike<number>, out: ArrayLike<number>, dim: number): (i: number) => number {
  return (i) => {
    const row = Math.floor(i / dim) * dim;
    let max = -Infinity;
    for (let j = row; j < row + dim; j++) max = Math.max(max, x[j]!);
    return Math.abs(x[i]! - max) + Math.abs(out[i]!) + 1;
  };
}

/**
 * log_softmax's backward g - exp(y) s (s the row's sum of g): an element's terms' magnitude,
 * |g| + exp(y) |s| (1 + |y|): y = (x - max) - lse rounds to its own ULP, about |y| 2^-52, so a
 * change of lse within its ULP may move y by that, exp(y) by that relative.
 */
function backwardScale(g: ArrayLike<number>, y: ArrayLike<number>, dim: number): (i: number) => number {
  return (i) => {
    const row = Math.floor(i / dim) * dim;
    let s = 0;
    for (let j = row; j < row + dim; j++) s += g[j]!;
    return Math.abs(g[i]!) + Math.exp(y[i]!) * Math.abs(s) * (1 + Math.abs(y[i]!));
  };
}

test('log_softmax float64 over the last dim (4 and 8 lanes): the kernels give the JS loops (bit for bit under "default", within firstBeyond\'s bound with SLEEF\'s exp), forward and backward, and cross_entropy uses them', () => {
  const spy = vi.spyOn(Float64Kernels.prototype, 'logSoftmaxRows');
  const spyBackward = vi.spyOn(Float64Kernels.prototype, 'logSoftmaxBackwardRows');
  let seed = 4100;
  let compared = 0;
  try {
    for (const capability of ['avx2', 'avx512', 'default'] as const) {
      const k = softmaxKernel('float64', torchRelease('2.14'), capability);
      // dims under, at and past 4 and 8 lanes and their tails; whole chunks of rows and a row of more than a chunk
      for (const [rows, dim] of [
        [1, 1],
        [3, 2],
        [5, 3],
        [2, 4],
        [4, 5],
        [3, 7],
        [2, 8],
        [3, 9],
        [2, 15],
        [7, 16],
        [3, 17],
        [40, 100],
        [3, CHUNK64 + 5],
        [CHUNK64, 3],
      ] as const) {
        const x = values(rows * dim, seed++);
        const g = values(rows * dim, seed++, false);
        useFloat32Kernels(false);
        const js = logSoftmax(x, rows, dim, 1, true, k);
        const jsBackward = logSoftmaxBackward(g, js, rows, dim, 1, true, k);
        useFloat32Kernels(true);
        const wasm = logSoftmax(x, rows, dim, 1, true, k);
        const wasmBackward = logSoftmaxBackward(g, js, rows, dim, 1, true, k);
        const sleefExp = capability !== 'default';
        expect(firstBeyond(wasm, js, sleefExp, forwardScale(x, js, dim)), `${capability} (${rows}, ${dim})`).toBeNull();
        expect(
          firstBeyond(wasmBackward, jsBackward, sleefExp, backwardScale(g, js, dim)),
          `${capability} (${rows}, ${dim}) backward`,
        ).toBeNull();
        compared += js.length;
      }
    }
    expect(spy.mock.results.filter((r) => r.value !== null).length).toBe(3 * 14);
    expect(spyBackward.mock.results.filter((r) => r.value !== null).length).toBe(3 * 14);
    // through the API: cross_entropy's forward and backward of float64 with class probabilities reach the module
    spy.mockClear();
    spyBackward.mockClear();
    const x = tensor(values(6 * 11, seed++), [6, 11]);
    const target = tensor(values(6 * 11, seed++, false), [6, 11]);
    crossEntropyLoss(x, target);
    crossEntropyLossBackward(tensor(Float64Array.of(1), []), x, target);
    expect(spy).toHaveBeenCalled();
    expect(spyBackward).toHaveBeenCalled();
  } finally {
    useFloat32Kernels(true);
    spy.mockRestore();
    spyBackward.mockRestore();
  }
  expect(compared).toBeGreaterThan(60_000);
});

/**
 * Rows of log_softmax inputs whose x - max (max 0 in a row of them) and (x - max) - lse land on
 * the edges of expNonPositive64's fast pairs and fdlibm's exp branches: -707 and below, -2^-28 and
 * the tiny arguments above it, +-0, the ln2 / 2 and 1.5 ln2 high words, the underflow threshold.
 */
function expEdgeRows(rows: number, dim: number, seed: number): Float64Array {
  const next = random(seed);
  const bits = new BigInt64Array(1);
  const asDouble = new Float64Array(bits.buffer);
  const fromBits = (b: bigint) => {
    bits[0] = b;
    return asDouble[0]!;
  };
  const edges = [
    -707,
    -707.0000000000001,
    -706.9999999999999,
    -745.1332191019411,
    -708.3964185322641,
    -(2 ** -28),
    -(2 ** -28) * (1 + 2 ** -52),
    -(2 ** -28) * (1 - 2 ** -53),
    -1e-12,
    -5e-324,
    -0,
    0,
    fromBits(0xbfd62e42ffffffffn),
    fromBits(0xbfd62e4300000000n),
    fromBits(0xbff0a2b1ffffffffn),
    fromBits(0xbff0a2b200000000n),
    -Math.LN2 / 2,
    -1.5 * Math.LN2,
    -Math.LN2,
  ];
  const out = new Float64Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < dim; j++) {
      const u = next();
      out[r * dim + j] = u < 0.6 ? edges[Math.floor(next() * edges.length)]! : u < 0.9 ? -next() * 720 : (next() - 0.5) * 1e-8;
    }
    out[r * dim + Math.floor(next() * dim)] = 0; // the row's max: x - max is x
  }
  return out;
}

test("log_softmax float64, cross_entropy's class-index forms (the picked values, nll_loss's gradient spread in the module, the forward kept in the module): the kernels give the JS loops bit for bit", () => {
  const spies = (['logSoftmaxRowsAt', 'logSoftmaxNllBackwardRows', 'logSoftmaxBackwardOfInputRows'] as const).map((name) =>
    vi.spyOn(Float64Kernels.prototype, name),
  );
  let seed = 5100;
  let compared = 0;
  const SENTINEL = 12345.5;
  try {
    for (const capability of ['avx2', 'avx512', 'default'] as const) {
      const k = softmaxKernel('float64', torchRelease('2.14'), capability);
      for (const [rows, dim] of [
        [1, 1],
        [9, 1],
        [3, 2],
        [5, 3],
        [2, 4],
        [4, 5],
        [3, 7],
        [2, 8],
        [3, 9],
        [2, 15],
        [7, 16],
        [3, 17],
        [40, 100],
        [2, CHUNK64 + 5],
        [CHUNK64 + 3, 3],
      ] as const) {
        for (const edges of [false, true]) {
          const next = random(seed);
          const x = edges ? expEdgeRows(rows, dim, seed++) : values(rows * dim, seed++);
          // one column per row (-1, or a target outside [0, dim): none), its value of every kind
          const cols = Int32Array.from({ length: rows }, () => {
            const u = next();
            return u < 0.1 ? -1 : u < 0.15 ? dim + Math.floor(next() * 3) : Math.floor(next() * dim);
          });
          const special = [0, -0, NaN, Infinity, -Infinity, 1e-300, -1e300];
          const vals = Float64Array.from({ length: rows }, () =>
            next() < 0.2 ? special[Math.floor(next() * special.length)]! : (next() - 0.5) * 4,
          );
          const gp = new Float64Array(rows * dim);
          for (let r = 0; r < rows; r++) if (cols[r]! >= 0 && cols[r]! < dim) gp[r * dim + cols[r]!] = vals[r]!;
          const hits = cols.map((c) => (c >= 0 && c < dim ? c : -1));
          useFloat32Kernels(false);
          const js = logSoftmax(x, rows, dim, 1, true, k);
          const jsBackward = logSoftmaxBackward(gp, js, rows, dim, 1, true, k);
          const jsPicked = Float64Array.from({ length: rows }, (_, r) => (hits[r]! >= 0 ? js[r * dim + hits[r]!]! : SENTINEL));
          const into = new Float64Array(rows).fill(SENTINEL);
          expect(logSoftmaxAt(x, rows, dim, true, k, cols, into), 'no kernels').toBe(false);
          expect(logSoftmaxNllBackward(x, hits, vals, rows, dim, true, k)).toBeNull();
          useFloat32Kernels(true);
          const where = `${capability} (${rows}, ${dim})${edges ? ' exp edges' : ''}`;
          expect(logSoftmaxAt(x, rows, dim, true, k, cols, into), where).toBe(true);
          const sleefExp = capability !== 'default';
          const fwdScale = forwardScale(x, js, dim);
          const pickedScale = (r: number) => (hits[r]! >= 0 ? fwdScale(r * dim + hits[r]!) : 0);
          expect(firstBeyond(into, jsPicked, sleefExp, pickedScale), `${where} picked`).toBeNull();
          const spread = logSoftmaxNllBackward(x, hits, vals, rows, dim, true, k);
          expect(spread, where).not.toBeNull();
          const bwdScale = backwardScale(gp, js, dim);
          expect(firstBeyond(spread!, jsBackward, sleefExp, bwdScale), `${where} nll backward`).toBeNull();
          const ofInput = logSoftmaxBackwardOfInput(gp, x, rows, dim, 1, true, k);
          expect(firstBeyond(ofInput, jsBackward, sleefExp, bwdScale), `${where} backward of input`).toBeNull();
          compared += 2 * js.length + rows;
        }
      }
    }
    for (const spy of spies) expect(spy.mock.results.filter((r) => r.value !== null && r.value !== false).length).toBe(3 * 15 * 2);
    // empty: the JS loops
    const k = softmaxKernel('float64', torchRelease('2.14'), 'avx2');
    expect(logSoftmaxAt(new Float64Array(0), 3, 0, true, k, new Int32Array(3), new Float64Array(3))).toBe(false);
    expect(logSoftmaxNllBackward(new Float64Array(0), new Int32Array(0), new Float64Array(0), 0, 4, true, k)).toBeNull();
  } finally {
    useFloat32Kernels(true);
    for (const spy of spies) spy.mockRestore();
  }
  expect(compared).toBeGreaterThan(200_000);
});

test('cross_entropy float64 with class indices through the API: the kernels on and off give the same bits, every reduction, weight, ignore_index, (C) input, release and capability', () => {
  const spies = (['logSoftmaxRowsAt', 'logSoftmaxNllBackwardRows'] as const).map((name) => vi.spyOn(Float64Kernels.prototype, name));
  let seed = 5200;
  try {
    for (const [rows, C] of [
      [4, 0],
      [0, 5],
      [5, 1],
      [6, 3],
      [9, 4],
      [7, 9],
      [12, 17],
      [30, 100],
    ] as const) {
      const next = random(seed);
      const input = tensor(values(rows * C, seed++), [rows, C]);
      const special = [0, -0, Infinity, NaN, 1e-300];
      const weight = tensor(
        Float64Array.from({ length: C }, (_, i) => (i < special.length && C > 8 ? special[i]! : next() * 3 - 1)),
        [C],
      );
      const labels = { data: Int32Array.from({ length: rows }, () => (next() < 0.15 ? -100 : Math.floor(next() * C))), shape: [rows] };
      const allIgnored = { data: new Int32Array(rows).fill(-100), shape: [rows] };
      for (const [torchVersion, cpuCapability] of [
        ['1.7.0', 'avx2'],
        ['1.13.0', 'avx2'],
        ['2.6.0', 'default'],
        ['2.14.1', 'avx512'],
      ] as const) {
        for (const reduction of REDUCTIONS) {
          const grads =
            reduction === 'none' ? [tensor(values(rows, seed++), [rows])] : [-0, NaN, 1.5].map((g) => tensor(Float64Array.of(g), []));
          for (const [name, target, extra] of [
            ['indices', labels, {}],
            ['indices, weight', labels, { weight }],
            ['ignore_index 0', { data: labels.data.map((t) => (t < 0 ? 0 : t)), shape: [rows] }, { ignoreIndex: 0 }],
            ['all ignored', allIgnored, { weight }],
          ] as const) {
            const options = { reduction, torchVersion, cpuCapability, ...extra };
            const where = `(${rows}, ${C}) ${torchVersion} ${cpuCapability} ${name} ${reduction}`;
            sameOnAndOff(
              where,
              () => [crossEntropyLoss(input, target, options), ...grads.map((g) => crossEntropyLossBackward(g, input, target, options))],
              cpuCapability !== 'default',
            );
          }
        }
        if (torchVersion !== '1.7.0') {
          const one = tensor(input.data.slice(0, C), [C]);
          const t = { data: Int32Array.of(Math.max(0, labels.data[0]!)), shape: [] };
          const options = { torchVersion, cpuCapability };
          sameOnAndOff(
            `(${C}) ${torchVersion}`,
            () => [crossEntropyLoss(one, t, options), crossEntropyLossBackward(tensor(Float64Array.of(0.5), []), one, t, options)],
            cpuCapability !== 'default',
          );
        }
      }
    }
    expect(spies[0]).toHaveBeenCalled();
    expect(spies[1]).toHaveBeenCalled();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
});

// ---- binary_cross_entropy_with_logits, kl_div, gaussian_nll_loss: float64 through the API, the
// kernels (BCE_WITH_LOGITS*, KL_DIV*, GAUSSIAN_NLL*) on and off, every release's formula ----

/**
 * Runs `f` with the kernels on and off: the same shapes, dtypes and bits (or the same error); with
 * sleefExp (the kernels' exp is SLEEF's, the JS loops' Math.exp) values within firstBeyond's bound,
 * each element's scale 1 + the largest magnitude of its result (a sum's, or log_softmax's backward
 * cancellation: its terms are up to that large).
 */
function sameOnAndOff(where: string, f: () => Tensor[], sleefExp = false): void {
  const run = () => {
    try {
      return f();
    } catch (e) {
      return String(e);
    }
  };
  const on = run();
  useFloat32Kernels(false);
  let off: Tensor[] | string;
  try {
    off = run();
  } finally {
    useFloat32Kernels(true);
  }
  if (typeof on === 'string' || typeof off === 'string') {
    expect(on, where).toEqual(off);
    return;
  }
  expect(on.length, where).toBe(off.length);
  for (let k = 0; k < on.length; k++) {
    expect(on[k]!.shape, where).toEqual(off[k]!.shape);
    expect(on[k]!.data.constructor, where).toBe(off[k]!.data.constructor);
    const data = off[k]!.data;
    let top = 0;
    for (let i = 0; i < data.length; i++) if (Number.isFinite(data[i]!)) top = Math.max(top, Math.abs(data[i]!));
    expect(
      firstBeyond(on[k]!.data, data, sleefExp, () => 1 + top),
      `${k} ${where}`,
    ).toBeNull();
  }
}

/** How many calls of the kernels' tryRun / tryRunBoth `f` makes that they compute (not null). */
function kernelRuns(f: () => void): number {
  const spies = [vi.spyOn(Float64Kernels.prototype, 'tryRun'), vi.spyOn(Float64Kernels.prototype, 'tryRunBoth')];
  try {
    f();
    return spies.reduce((count, spy) => count + spy.mock.results.filter((r) => r.value !== null).length, 0);
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

const SHAPES: readonly (readonly number[])[] = [
  [CHUNK64 + 13],
  [3, 5, 7],
  [4, 1, 9],
  [6, 2],
  [1],
  [0],
  [],
  [2, 3 * CHUNK64 + 1],
  [CHUNK64 + 5, 3],
];

/** Weight shapes for an input of `shape` (broadcast to it): per class, one value, per element, per row, a leading 1. */
function weightShapes(shape: readonly number[]): (readonly number[])[] {
  const classes = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  const out: (readonly number[])[] = [[classes], [1], [], shape];
  if (shape.length >= 2) out.push([...shape.slice(0, -1), 1], [1, ...shape.slice(1)]);
  return out;
}

/** Logits with every branch: around 0, large of both signs (exp over / underflows), extremes, +-inf, NaN. */
function logits(n: number, seed: number): Float64Array {
  const next = random(seed + 7);
  return Float64Array.from(values(n, seed), (v, i) => (i % 5 === 0 ? (next() - 0.5) * 1600 : i % 5 === 1 ? (next() - 0.5) * 80 : v));
}

test('binary_cross_entropy_with_logits float64: BCE_WITH_LOGITS and its gradient give the JS loops, every release, weight and pos_weight layout, reduction', () => {
  let seed = 5000;
  const runs = kernelRuns(() => {
    for (const torchVersion of ['1.7', '1.13', '2.3', '2.14']) {
      for (const cpuCapability of ['avx2', 'avx512', 'default'] as const) {
        for (const shape of SHAPES) {
          const n = numel(shape);
          const x = tensor(logits(n, seed++), shape);
          const y = tensor(
            Float64Array.from(values(n, seed++), (v, i) => (i % 3 ? Math.abs(v) % 1 : v)),
            shape,
          );
          const layouts: [string, Record<string, Tensor>][] = [['none', {}]];
          for (const ws of weightShapes(shape)) {
            const w = () => tensor(values(numel(ws), seed++, false), ws);
            layouts.push([`weight [${ws}]`, { weight: w() }], [`posWeight [${ws}]`, { posWeight: w() }]);
            layouts.push([`both [${ws}]`, { weight: w(), posWeight: w() }]);
          }
          layouts.push(['weight float32', { weight: tensor(Float32Array.from(values(n, seed++)), shape) }]);
          for (const [layout, weights] of layouts) {
            for (const reduction of REDUCTIONS) {
              const options = { reduction, torchVersion, cpuCapability, ...weights };
              const go = tensor(
                reduction === 'none' ? values(n, seed++) : Float64Array.of(values(1, seed++, false)[0]!),
                reduction === 'none' ? shape : [],
              );
              sameOnAndOff(`${torchVersion} ${cpuCapability} [${shape}] ${layout} ${reduction}`, () => [
                binaryCrossEntropyWithLogits(x, y, options),
                binaryCrossEntropyWithLogitsBackward(go, x, y, options),
              ]);
            }
          }
        }
      }
    }
  });
  expect(runs, 'the kernels ran').toBeGreaterThan(1500);
}, 120_000);

test('kl_div float64: KL_DIV and KL_DIV_GRAD give the JS loops, every release (where / xlogy), log_target and not, every reduction and batchmean', () => {
  let seed = 6000;
  const runs = kernelRuns(() => {
    for (const torchVersion of ['1.7', '1.12', '1.13', '2.14']) {
      for (const cpuCapability of ['avx2', 'avx512', 'default'] as const) {
        for (const shape of SHAPES) {
          const n = numel(shape);
          const x = tensor(values(n, seed++), shape);
          for (const logTarget of [false, true]) {
            // probabilities, zeros (xlogy's 0), negatives (NaN from 1.13, 0 before), log-probabilities that exp over / underflows
            const next = random(seed++);
            const t = Float64Array.from(values(n, seed++), (v, i) =>
              i % 7 === 0
                ? 0
                : i % 7 === 1
                  ? -0
                  : i % 7 === 2
                    ? logTarget
                      ? (next() - 0.5) * 1600
                      : -next()
                    : logTarget
                      ? v
                      : Math.abs(v),
            );
            const y = tensor(t, shape);
            for (const reduction of [...REDUCTIONS, 'batchmean'] as const) {
              const options = { reduction, torchVersion, cpuCapability, logTarget };
              const go = tensor(
                reduction === 'none' ? values(n, seed++) : Float64Array.of(values(1, seed++, false)[0]!),
                reduction === 'none' ? shape : [],
              );
              sameOnAndOff(
                `${torchVersion} ${cpuCapability} [${shape}] log_target ${logTarget} ${reduction}`,
                () => [klDivLoss(x, y, options), klDivLossBackward(go, x, y, options)],
                logTarget && cpuCapability !== 'default',
              );
            }
          }
        }
      }
    }
    // a target that broadcasts, a float32 target: the JS loops (the kernels refuse), the same values
    const x = tensor(values(4 * 9, seed++), [4, 9]);
    for (const y of [
      tensor(Float64Array.from(values(9, seed++), Math.abs), [9]),
      tensor(Float32Array.from(values(36, seed++), Math.abs), [4, 9]),
    ]) {
      for (const reduction of REDUCTIONS) {
        const go = tensor(reduction === 'none' ? values(36, seed++) : Float64Array.of(0.5), reduction === 'none' ? [4, 9] : []);
        sameOnAndOff(`broadcast / float32 target ${reduction}`, () => [
          klDivLoss(x, y, { reduction }),
          klDivLossBackward(go, x, y, { reduction }),
        ]);
      }
    }
  });
  expect(runs, 'the kernels ran').toBeGreaterThan(800);
}, 120_000);

test('gaussian_nll_loss float64: GAUSSIAN_NLL and both gradients (tryRunBoth) give the JS loops, every release, full and not, eps, every reduction', () => {
  let seed = 7000;
  const runs = kernelRuns(() => {
    for (const torchVersion of ['1.9', '1.13', '2.6', '2.14']) {
      for (const cpuCapability of ['avx2', 'avx512', 'default'] as const) {
        for (const shape of SHAPES) {
          const n = numel(shape);
          const x = tensor(values(n, seed++), shape);
          const y = tensor(targetNear(x.data as Float64Array, seed++, 1), shape);
          // var: zeros and tiny ones (clamped to eps), +inf, NaN, ordinary and huge ones
          const v = tensor(
            Float64Array.from(values(n, seed++), (u, i) => (i % 11 === 0 ? 0 : i % 11 === 1 ? 1e-300 : Math.abs(u))),
            shape,
          );
          for (const full of [false, true]) {
            for (const eps of [1e-6, 0.5, NaN]) {
              for (const reduction of REDUCTIONS) {
                const options = { reduction, torchVersion, cpuCapability, full, eps };
                const go = tensor(
                  reduction === 'none' ? values(n, seed++) : Float64Array.of(values(1, seed++, false)[0]!),
                  reduction === 'none' ? shape : [],
                );
                sameOnAndOff(
                  `${torchVersion} ${cpuCapability} [${shape}] full ${full} eps ${eps} ${reduction}`,
                  () => {
                    const grads = gaussianNllLossBackward(go, x, y, v, options);
                    return [gaussianNllLoss(x, y, v, options), grads.input, grads.var];
                  },
                  cpuCapability !== 'default' && relaxedSimdFused(), // SLEEF's log (the fma build)
                );
              }
            }
          }
        }
      }
    }
  });
  expect(runs, 'the kernels ran').toBeGreaterThan(1500);
  // var of one dim fewer, a last dim of 1, (2.7+) a leading dim of 1: the forward's kernel takes it
  // per row / per class (the backward runs the JS loops: var's gradient sums over the broadcast);
  // one value (2.6+), a float32 var: the JS loops; the same values every time
  const broadcastRuns = kernelRuns(() => {
    for (const [rows, cols] of [
      [5, 7],
      [3, CHUNK64 + 3],
      [CHUNK64 + 1, 2],
    ] as const) {
      const n = rows * cols;
      const x = tensor(values(n, seed++), [rows, cols]);
      const y = tensor(values(n, seed++), [rows, cols]);
      for (const v of [
        tensor(Float64Array.from(values(rows, seed++), Math.abs), [rows]),
        tensor(
          Float64Array.from(values(rows, seed++), (u, i) => (i % 3 ? Math.abs(u) : 0)),
          [rows, 1],
        ),
        tensor(Float64Array.from(values(cols, seed++), Math.abs), [1, cols]),
        tensor(Float32Array.from(values(n, seed++), Math.abs), [rows, cols]),
        0.7,
      ]) {
        for (const torchVersion of ['1.13', '2.14']) {
          for (const full of [false, true]) {
            for (const reduction of REDUCTIONS) {
              const options = { reduction, torchVersion, full };
              const go = tensor(reduction === 'none' ? values(n, seed++) : Float64Array.of(0.5), reduction === 'none' ? [rows, cols] : []);
              sameOnAndOff(
                `var ${typeof v === 'number' ? v : `[${v.shape}]`} (${rows}, ${cols}) ${torchVersion} full ${full} ${reduction}`,
                () => {
                  const grads = gaussianNllLossBackward(go, x, y, v, options);
                  return [gaussianNllLoss(x, y, v, options), grads.input, ...(grads.var ? [grads.var] : [])];
                },
                relaxedSimdFused(), // avx2 / avx512 by default: SLEEF's log (the fma build)
              );
            }
          }
        }
      }
    }
  });
  // per (rows, cols): [rows] and [rows, 1] under both releases, [1, cols] under 2.14, x 2 full x 3 reductions
  expect(broadcastRuns, 'the forward kernel ran for broadcast var').toBe(3 * 5 * 6);
}, 120_000);

test("firstBeyond's bound held where the kernels' exp is SLEEF's (the tests above, in order): the most ULPs seen", () => {
  console.log(`SLEEF exp vs Math.exp through the losses: at most ${sleefUlpsSeen} ULP (bound ${SLEEF_ULPS})`);
  expect(sleefUlpsSeen).toBeGreaterThan(0);
  expect(sleefUlpsSeen).toBeLessThanOrEqual(SLEEF_ULPS);
});
