// The CTC loss's WebAssembly module (ts/wasm/assembly/ctc.ts) against the JS loops it replaces,
// bit for bit: its exp / log against V8's and ../ts/libm.ts's, then ctcLoss / ctcLossBackward with
// the module on and off over random shapes and lengths, impossible alignments, -inf / +inf / NaN
// / huge log_probs, blank positions, repeated labels, zero_infinity, both target layouts, unbatched
// input, the backward's reuse of the forward's log_alpha; and the committed binary against its source.

import { readFileSync } from 'node:fs';
import { afterEach, expect, test } from 'vitest';
import { buildWasm, kernelsModuleSource } from '../scripts/build-wasm.ts';
import { ctcLoss, ctcLossBackward, type CtcLossOptions, type IndexTensor, type Tensor } from '../ts/index.ts';
import { glibcExpf, glibcLogf } from '../ts/libm.ts';
import { ctcExports, ctcModuleOn } from '../ts/wasm/ctc.ts';
import { useFloat32Kernels } from '../ts/wasm/float32-kernels.ts';

afterEach(() => useFloat32Kernels(true));

/** A deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Same bits, but any NaN equals any NaN (JS does not keep NaN payloads). */
function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): string | null {
  if (a.length !== b.length) return `length ${a.length} vs ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (!(Object.is(x, y) || (x !== x && y !== y))) return `at ${i}: ${x} vs ${y}`;
  }
  return null;
}

test('the module loads here, and useFloat32Kernels(false) switches it off (the JS loops run)', () => {
  expect(ctcModuleOn()).toBe(true);
  useFloat32Kernels(false);
  expect(ctcModuleOn()).toBe(false);
  expect(ctcExports()).toBeNull();
  useFloat32Kernels(true);
  expect(ctcModuleOn()).toBe(true);
});

test("the module's float64 exp / log (scalar and two lanes) are V8's Math.exp / Math.log (fdlibm), bit for bit", () => {
  const e = ctcExports()!;
  const f64 = new Float64Array(1);
  const u32 = new Uint32Array(f64.buffer);
  const next = rng(1);
  const args: number[] = [
    0,
    -0,
    1,
    -1,
    0.5,
    2,
    Infinity,
    -Infinity,
    NaN,
    709.78,
    709.79,
    -745.13,
    -745.14,
    -708.4,
    1e-310,
    5e-324,
    2 ** -1022,
    2 ** -28,
    0.34657,
    1.03972,
  ];
  for (let i = 0; i < 100_000; i++) {
    u32[0] = next() * 2 ** 32;
    u32[1] = next() * 2 ** 32;
    args.push(f64[0]!, -next() * 60, -next() * 800, next() * 4, next() * 1e-5, 1 + (next() - 0.5) * 2 ** -18);
  }
  args.push(709.782712893384, -709, -740, -1e-310, -(2 ** -28), 2 ** -29, 0.3465736, 1.0397208, -0.34657, -1.03972);
  args.push(1 + 2 ** -52, 1 - 2 ** -53, 1 + 2 ** -21, 1 - 2 ** -21, 1.0000001, 0.9999999);
  const lanes = new Float64Array(e.memory.buffer, e.heapBase(), 2);
  for (let i = 0; i + 2 <= args.length; i += 2) {
    for (const [fn, ref] of [
      [e.mathExp2, Math.exp],
      [e.mathLog2, Math.log],
    ] as const) {
      lanes[0] = args[i]!;
      lanes[1] = args[i + 1]!;
      fn(e.heapBase());
      for (let j = 0; j < 2; j++) {
        const want = ref(args[i + j]!);
        if (!(Object.is(lanes[j], want) || (lanes[j] !== lanes[j] && want !== want)))
          expect.fail(`${ref.name}(${args[i + j]}), two lanes: ${lanes[j]} vs ${want}`);
      }
    }
  }
  // the restricted two-lane ones the states use, over their ranges: exp of [-inf, 0] (and NaN), log of [1, 3] (and NaN)
  const nonPositive = args.filter((x) => !(x > 0));
  nonPositive.push(-(2 ** -28), -(2 ** -29), -(2 ** -1074), -745.1332191019411, -708.3964185322641, -1e300);
  const oneToThree = [1, 3, 2, 1 + 2 ** -52, 2 - 2 ** -52, 2 + 2 ** -51, 1 + 2 ** -20, 1 + 2 ** -21, 2 + 2 ** -20, NaN];
  for (let i = 0; i < 100_000; i++) oneToThree.push(1 + next() * 2, 1 + next() * 2 ** -19, 2 + next() * 2 ** -18);
  for (const [fn, ref, xs] of [
    [e.mathExpNonPositive2, Math.exp, nonPositive],
    [e.mathLogOneToThree2, Math.log, oneToThree],
  ] as const) {
    for (let i = 0; i + 2 <= xs.length; i += 2) {
      lanes[0] = xs[i]!;
      lanes[1] = xs[i + 1]!;
      fn(e.heapBase());
      for (let j = 0; j < 2; j++) {
        const want = ref(xs[i + j]!);
        if (!(Object.is(lanes[j], want) || (lanes[j] !== lanes[j] && want !== want)))
          expect.fail(`restricted ${ref.name}(${xs[i + j]}): ${lanes[j]} vs ${want}`);
      }
    }
  }
  for (const x of args) {
    const exp = e.mathExp(x);
    const log = e.mathLog(x);
    if (!(Object.is(exp, Math.exp(x)) || (exp !== exp && Number.isNaN(Math.exp(x))))) expect.fail(`exp(${x}): ${exp} vs ${Math.exp(x)}`);
    if (!(Object.is(log, Math.log(x)) || (log !== log && Number.isNaN(Math.log(x))))) expect.fail(`log(${x}): ${log} vs ${Math.log(x)}`);
  }
});

test("the module's glibc expf / logf (scalar and four lanes) are ../ts/libm.ts's, bit for bit", () => {
  const e = ctcExports()!;
  const buffer = e.memory.buffer;
  const at = e.heapBase();
  const lanes = new Float32Array(buffer, at, 4);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const next = rng(2);
  const args: number[] = [
    0,
    -0,
    1,
    -1,
    Infinity,
    -Infinity,
    NaN,
    88.72283172607422,
    88.72284,
    -103.97207641601562,
    -103.9721,
    1e-40,
    -1e-40,
  ];
  args.push(fromBits(0x4202422f), fromBits(0xc27c65d9)); // the FMA build's two arguments
  for (let i = 0; i < 100_000; i++) {
    u32[0] = next() * 2 ** 32;
    args.push(f32[0]!, Math.fround(-next() * 110), Math.fround(next() * 3), Math.fround(next() * 1e-38));
  }
  const same = (x: number, y: number) => Object.is(x, y) || (x !== x && y !== y);
  for (let i = 0; i + 4 <= args.length; i += 4) {
    for (const [fn, scalar, ref] of [
      [e.glibcExpf4, e.glibcExpf, glibcExpf],
      [e.glibcLogf4, e.glibcLogf, glibcLogf],
    ] as const) {
      lanes.set(args.slice(i, i + 4));
      fn(at);
      for (let j = 0; j < 4; j++) {
        const x = Math.fround(args[i + j]!);
        const want = ref(x);
        if (!same(lanes[j]!, want) || !same(scalar(x), want)) expect.fail(`${ref.name}(${x}): ${lanes[j]} / ${scalar(x)} vs ${want}`);
      }
    }
  }
  // the restricted four-lane ones the states use, over their ranges: expf of [-inf, 0] (and NaN), logf of [1, 3] (and NaN)
  const nonPositive = args.filter((x) => !(x > 0)).map(Math.fround);
  const oneToThree = [1, 3, 2, NaN, Math.fround(1 + 2 ** -23), Math.fround(2 - 2 ** -22)];
  for (let i = 0; i < 100_000; i++) oneToThree.push(Math.fround(1 + next() * 2));
  for (const [fn, ref, xs] of [
    [e.glibcExpfNonPositive4, glibcExpf, nonPositive],
    [e.glibcLogfOneToThree4, glibcLogf, oneToThree],
  ] as const) {
    for (let i = 0; i + 4 <= xs.length; i += 4) {
      lanes.set(xs.slice(i, i + 4));
      fn(at);
      for (let j = 0; j < 4; j++)
        if (!same(lanes[j]!, ref(xs[i + j]!))) expect.fail(`restricted ${ref.name}(${xs[i + j]}): ${lanes[j]} vs ${ref(xs[i + j]!)}`);
    }
  }
  function fromBits(bits: number): number {
    u32[0] = bits;
    return f32[0]!;
  }
});

interface Case {
  readonly logProbs: Tensor;
  readonly targets: IndexTensor;
  readonly inputLengths: IndexTensor | number[];
  readonly targetLengths: IndexTensor | number[];
  readonly options: CtcLossOptions;
  readonly gradOutput: Tensor;
}

/** A random call: shapes, lengths (some alignments impossible), labels (repeats, the blank), special values. */
function drawCase(next: () => number, float32: boolean, special: number): Case {
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const T = int(1, 40);
  const N = int(1, 6);
  const C = int(2, 9);
  const S = int(0, 11);
  const blank = [0, C - 1, int(0, C - 1)][int(0, 2)]!;
  const unbatched = N === 1 && next() < 0.3;
  const Arr = float32 ? Float32Array : Float64Array;
  const lp = new Arr(T * N * C);
  for (let r = 0; r < T * N; r++) {
    const scale = [1, 6, 30][int(0, 2)]!;
    let max = -Infinity;
    const v: number[] = [];
    for (let c = 0; c < C; c++) {
      v.push((next() - 0.5) * scale);
      max = Math.max(max, v[c]!);
    }
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(v[c]! - max);
    for (let c = 0; c < C; c++) lp[r * C + c] = next() < 0.1 ? -Infinity : v[c]! - max - Math.log(sum);
  }
  // special values: 0 none, 1 -inf rows, 2 +inf, 3 NaN, 4 huge (> 1e30: no band; or about it), 5 +-0
  const count = int(1, 4);
  for (let k = 0; k < count && special > 0; k++) {
    const i = int(0, lp.length - 1);
    lp[i] = [0, -Infinity, Infinity, NaN, [1e31, 1e30, 9.9999993e29][int(0, 2)]!, next() < 0.5 ? 0 : -0][special]!;
  }
  if (special === 1) for (let c = 0; c < C; c++) lp[int(0, T * N - 1) * C + c] = -Infinity;
  const tl = Int32Array.from({ length: N }, () => int(0, S));
  const il = Int32Array.from({ length: N }, () => (next() < 0.15 ? 0 : next() < 0.5 ? T : int(0, T)));
  const labelOf = () => (next() < 0.1 ? blank : next() < 0.3 ? 1 % C : int(0, C - 1));
  let targets: IndexTensor;
  if (next() < 0.5) {
    const total = tl.reduce((a, b) => a + b, 0);
    targets = { data: Int32Array.from({ length: total }, labelOf), shape: [total] };
  } else {
    targets = { data: Int32Array.from({ length: N * S }, labelOf), shape: [N, S] };
  }
  const reduction = (['none', 'sum', 'mean'] as const)[int(0, 2)]!;
  const asLists = next() < 0.3;
  const outN = reduction === 'none' && !unbatched ? [N] : [];
  const go = new Arr(outN.length ? N : 1);
  for (let i = 0; i < go.length; i++) go[i] = (next() - 0.3) * 3;
  return {
    logProbs: { data: lp, shape: unbatched ? [T, C] : [T, N, C] },
    targets: unbatched && targets.shape.length === 2 ? { data: targets.data, shape: [S] } : targets,
    inputLengths: asLists ? [...il] : { data: il, shape: [N] },
    targetLengths: asLists ? [...tl] : { data: tl, shape: [N] },
    options: { reduction, blank, zeroInfinity: next() < 0.4 },
    gradOutput: { data: go, shape: outN },
  };
}

function run(c: Case, on: boolean): { loss: ArrayLike<number>; grad: ArrayLike<number> } | string {
  useFloat32Kernels(on);
  try {
    const loss = ctcLoss(c.logProbs, c.targets, c.inputLengths, c.targetLengths, c.options).data;
    const grad = ctcLossBackward(c.gradOutput, c.logProbs, c.targets, c.inputLengths, c.targetLengths, c.options).data;
    return { loss, grad };
  } catch (error) {
    return String(error);
  } finally {
    useFloat32Kernels(true);
  }
}

for (const dtype of ['float32', 'float64'] as const) {
  test(`ctcLoss / ctcLossBackward ${dtype}: the module's results are the JS loops', bit for bit (random, special values, every option)`, () => {
    const next = rng(dtype === 'float32' ? 15 : 16);
    let compared = 0;
    for (let i = 0; i < 1200; i++) {
      const c = drawCase(next, dtype === 'float32', i % 6);
      const js = run(c, false);
      const wasm = run(c, true);
      if (typeof js === 'string' || typeof wasm === 'string') {
        expect(wasm).toEqual(js); // the same argument errors (a unbatched case of 2-D targets, say)
        continue;
      }
      const why = sameValues(wasm.loss, js.loss) ?? sameValues(wasm.grad, js.grad);
      if (why !== null) expect.fail(`case ${i} (${JSON.stringify({ shape: c.logProbs.shape, options: c.options })}): ${why}`);
      compared++;
    }
    expect(compared).toBeGreaterThan(1000);
  });
}

test('the bench shape (T=50, N=16, C=20, S=10), both dtypes: same loss and gradient with the module on and off', () => {
  const next = rng(3);
  for (const float32 of [true, false]) {
    const T = 50;
    const N = 16;
    const C = 20;
    const S = 10;
    const lp = new (float32 ? Float32Array : Float64Array)(T * N * C);
    for (let r = 0; r < T * N; r++) {
      let sum = 0;
      for (let c = 0; c < C; c++) {
        lp[r * C + c] = (next() - 0.5) * 6;
        sum += Math.exp(lp[r * C + c]!);
      }
      for (let c = 0; c < C; c++) lp[r * C + c] = lp[r * C + c]! - Math.log(sum);
    }
    const c: Case = {
      logProbs: { data: lp, shape: [T, N, C] },
      targets: { data: Int32Array.from({ length: N * S }, () => 1 + Math.floor(next() * (C - 1))), shape: [N, S] },
      inputLengths: { data: new Int32Array(N).fill(T), shape: [N] },
      targetLengths: { data: new Int32Array(N).fill(S), shape: [N] },
      options: { reduction: 'mean' },
      gradOutput: { data: new (float32 ? Float32Array : Float64Array)([1]), shape: [] },
    };
    const js = run(c, false);
    const wasm = run(c, true);
    if (typeof js === 'string' || typeof wasm === 'string') expect.fail(String(js));
    expect(sameValues(wasm.loss, js.loss)).toBeNull();
    expect(sameValues(wasm.grad, js.grad)).toBeNull();
  }
});

test("the backward reuses the forward's log_alpha only for bit-identical arguments, with the module or the JS loops on either side", () => {
  const next = rng(4);
  for (let i = 0; i < 60; i++) {
    const float32 = i % 2 === 0;
    const c = drawCase(next, float32, 0);
    const { logProbs, targets, inputLengths, targetLengths, options, gradOutput } = c;
    const reference = run(c, false); // forward and backward in JS, from scratch
    if (typeof reference === 'string') continue;
    for (const [forwardOn, backwardOn] of [
      [true, false],
      [false, true],
      [true, true],
    ]) {
      useFloat32Kernels(forwardOn);
      ctcLoss(logProbs, targets, inputLengths, targetLengths, options);
      useFloat32Kernels(backwardOn);
      const grad = ctcLossBackward(gradOutput, logProbs, targets, inputLengths, targetLengths, options).data;
      useFloat32Kernels(true);
      expect(sameValues(grad, reference.grad)).toBeNull();
    }
    // log_probs changed in place after the forward (one value's bits; +0 to -0 too): the backward computes again
    const data = logProbs.data;
    const j = Math.floor(next() * data.length);
    const old = data[j]!;
    const changedValue = Object.is(old, 0) ? -0 : old - 0.25;
    data[j] = changedValue;
    const changed = run(c, false);
    data[j] = old;
    ctcLoss(logProbs, targets, inputLengths, targetLengths, options);
    data[j] = changedValue;
    const grad = ctcLossBackward(gradOutput, logProbs, targets, inputLengths, targetLengths, options).data;
    data[j] = old;
    if (typeof changed !== 'string') expect(sameValues(grad, changed.grad)).toBeNull();
  }
});

test('ts/wasm/ctc-binary.ts is the build of ts/wasm/assembly/ctc.ts (npm run build:wasm)', async () => {
  const committed = readFileSync(new URL('../ts/wasm/ctc-binary.ts', import.meta.url), 'utf8');
  expect(committed === kernelsModuleSource(await buildWasm('ctc'), 'ctc')).toBe(true);
}, 300_000);
