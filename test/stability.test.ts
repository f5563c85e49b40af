// Numerical-stability properties over the whole float range (fast-check; FC_RUNS scales the runs,
// a failure prints the seed and the shrunk case). Float64 gradients against finite differences
// live in gradients.test.ts.

import fc from 'fast-check';
import { expect, test } from 'vitest';
import {
  binaryCrossEntropyWithLogits as bce,
  binaryCrossEntropyWithLogitsBackward as bceBackward,
  multilabelSoftMarginLoss as mlsml,
  multilabelSoftMarginLossBackward as mlsmlBackward,
  type DType,
  type Tensor,
} from '../ts/index.ts';
import {
  FC_RUNS,
  classLayout,
  dtype,
  dyadicTarget,
  logit,
  mlsmlAccepts,
  mlsmlClassDim,
  numel,
  posWeightValue,
  reduction,
  shape,
  target,
  torchVersion,
  values,
  weightValue,
} from './arbitraries.ts';

const FLOAT_MAX: Record<DType, number> = { float32: 3.4028234663852886e38, float64: Number.MAX_VALUE };
const EPS: Record<DType, number> = { float32: 2 ** -23, float64: 2 ** -52 };
const make = (data: number[], s: readonly number[], d: DType): Tensor => ({
  data: d === 'float32' ? Float32Array.from(data) : Float64Array.from(data),
  shape: s,
});
const as64 = (t: Tensor): Tensor => ({ data: Float64Array.from(t.data), shape: t.shape });
const runs = { numRuns: FC_RUNS };

/** A BCE case with every option: shapes 0-d..3-D, weight and pos_weight in any broadcast layout. */
const bceCase = (maxAbs = Infinity, minRank = 0) =>
  fc.tuple(dtype, shape(minRank, 3, 5)).chain(([d, s]) =>
    fc.record({
      d: fc.constant(d),
      s: fc.constant(s),
      x: values(numel(s), logit(d, maxAbs)),
      y: values(numel(s), target),
      wShape: classLayout(s),
      pwShape: classLayout(s),
      w: values(numel(s), weightValue),
      pw: values(numel(s), posWeightValue),
      useWeight: fc.boolean(),
      usePosWeight: fc.boolean(),
      reduction,
      torchVersion,
      go: fc.double({ min: -4, max: 4, noNaN: true }),
    }),
  );
type BceCase = ReturnType<typeof bceCase> extends fc.Arbitrary<infer T> ? T : never;

function tensors(k: BceCase) {
  const weight = k.useWeight ? make(k.w.slice(0, numel(k.wShape)), k.wShape, k.d) : undefined;
  const posWeight = k.usePosWeight ? make(k.pw.slice(0, numel(k.pwShape)), k.pwShape, k.d) : undefined;
  return { x: make(k.x, k.s, k.d), y: make(k.y, k.s, k.d), weight, posWeight };
}

function options(k: BceCase, withPosWeight = true) {
  const { weight, posWeight } = tensors(k);
  return { torchVersion: k.torchVersion, ...(weight ? { weight } : {}), ...(posWeight && withPosWeight ? { posWeight } : {}) };
}

test("finite inputs: per-element losses are >= 0 and finite, gradients finite, wherever torch's float64 intermediates are", () => {
  fc.assert(
    fc.property(bceCase(), (k) => {
      const { x, y } = tensors(k);
      const o = options(k);
      const loss = bce(x, y, { ...o, reduction: 'none' }).data;
      // float64 losses on the same values, with and without the weight: an unweighted loss that
      // overflows stays inf (or NaN for weight 0: inf * 0), in torch as here.
      const pw64 = o.posWeight ? { posWeight: as64(o.posWeight) } : {};
      const exact = bce(as64(x), as64(y), { ...o, ...pw64, ...(o.weight ? { weight: as64(o.weight) } : {}), reduction: 'none' }).data;
      const unweighted = bce(as64(x), as64(y), { torchVersion: k.torchVersion, ...pw64, reduction: 'none' }).data;
      const grad = bceBackward(make(Array(numel(k.s)).fill(k.go), k.s, k.d), x, y, { ...o, reduction: 'none' }).data;
      const pw = o.posWeight ? expandAll(o.posWeight, k.s) : Array(numel(k.s)).fill(1);
      for (let i = 0; i < loss.length; i++) {
        // torch's formula also overflows in its largest intermediate, lw * (|x| + log 2).
        const lw = Math.abs((pw[i]! - 1) * y.data[i]! + 1);
        const intermediate = Math.max(exact[i]!, unweighted[i]!, lw * (Math.abs(x.data[i]!) + 1));
        if (!(intermediate < FLOAT_MAX[k.d] / 2)) continue;
        expect(loss[i]).toBeGreaterThanOrEqual(0);
        expect(Number.isFinite(loss[i])).toBe(true);
        expect(Number.isFinite(grad[i])).toBe(true);
      }
      const mx = x.shape.length ? x : make(k.x, [1], k.d);
      if (mlsmlAccepts(k.torchVersion, mx.shape)) {
        const m = mlsml(mx, x.shape.length ? y : make(k.y, [1], k.d), { torchVersion: k.torchVersion, reduction: 'none' }).data;
        for (const v of m) expect(v).toBeGreaterThanOrEqual(0);
      }
    }),
    runs,
  );
});

test('monotonicity: for y = 1 the loss does not increase with x, for y = 0 it does not decrease', () => {
  fc.assert(
    fc.property(
      dtype,
      torchVersion,
      fc.array(logit('float32'), { minLength: 2, maxLength: 40 }),
      fc.boolean(),
      fc.option(posWeightValue, { nil: undefined }),
      (d, v, xs, positive, pw) => {
        const sorted = [...xs].sort((a, b) => a - b);
        const y = positive ? 1 : 0;
        const o = { torchVersion: v, reduction: 'none' as const, ...(pw === undefined ? {} : { posWeight: make([pw], [], d) }) };
        const loss = bce(
          make(sorted, [sorted.length], d),
          make(
            sorted.map(() => y),
            [sorted.length],
            d,
          ),
          o,
        ).data;
        const m = mlsml(
          make(sorted, [sorted.length, 1], d),
          make(
            sorted.map(() => y),
            [sorted.length, 1],
            d,
          ),
          { torchVersion: v, reduction: 'none' },
        ).data;
        for (let i = 1; i < loss.length; i++) {
          if (positive) {
            expect(loss[i]).toBeLessThanOrEqual(loss[i - 1]!);
            expect(m[i]).toBeLessThanOrEqual(m[i - 1]!);
          } else {
            expect(loss[i]).toBeGreaterThanOrEqual(loss[i - 1]!);
            expect(m[i]).toBeGreaterThanOrEqual(m[i - 1]!);
          }
        }
      },
    ),
    runs,
  );
});

test('symmetry: MLSML(x, y) equals MLSML(-x, 1 - y) exactly in float64', () => {
  fc.assert(
    fc.property(
      shape(1, 3, 5)
        .chain((s) => fc.tuple(fc.constant(s), values(numel(s), logit('float64')), values(numel(s), dyadicTarget), reduction, torchVersion))
        .filter(([s, , , , v]) => mlsmlAccepts(v, s)),
      ([s, x, y, red, v]) => {
        const a = mlsml(make(x, s, 'float64'), make(y, s, 'float64'), { reduction: red, torchVersion: v }).data;
        const b = mlsml(
          make(
            x.map((t) => -t),
            s,
            'float64',
          ),
          make(
            y.map((t) => 1 - t),
            s,
            'float64',
          ),
          { reduction: red, torchVersion: v },
        ).data;
        expect(Array.from(b)).toEqual(Array.from(a));
      },
    ),
    runs,
  );
});

test('identities: MLSML mean = BCEWithLogits mean, MLSML sum = BCEWithLogits sum / C (same weight)', () => {
  fc.assert(
    fc.property(bceCase(1e4, 2), (k) => {
      const { x, y } = tensors(k);
      const o = options(k, false);
      const C = k.s[mlsmlClassDim(k.torchVersion, k.s)]!;
      // Beyond the usual tolerance, each loss may carry its formula's forward error (see the bound
      // below): torch 1.x's float32 BCEWithLogits cancels (1 - y) * x against max(-x, 0), so at
      // x = -1e4, y = 6e-9 it gives exactly 0 where MLSML keeps y * |x| = 6e-5.
      const n = numel(k.s);
      const w = o.weight ? expandAll(o.weight, k.s) : Array(n).fill(1);
      let forwardError = 0;
      for (let i = 0; i < n; i++) forwardError += 8 * EPS[k.d] * (Math.abs(x.data[i]!) + 1) * Math.abs(w[i]!);
      const near = (a: number, b: number, scale: number) =>
        expect(Math.abs(a - b)).toBeLessThanOrEqual(
          (k.d === 'float32' ? 1e-5 + 1e-5 * Math.abs(b) : 1e-12 + 1e-12 * Math.abs(b)) + forwardError / scale,
        );
      near(mlsml(x, y, { ...o, reduction: 'mean' }).data[0]!, bce(x, y, { ...o, reduction: 'mean' }).data[0]!, n);
      near(mlsml(x, y, { ...o, reduction: 'sum' }).data[0]!, bce(x, y, { ...o, reduction: 'sum' }).data[0]! / C, C);
    }),
    runs,
  );
});

test('gradient bound: |grad| <= |weight| * max(1, pos_weight) * |grad_output| / n', () => {
  fc.assert(
    fc.property(bceCase(Infinity, 1), (k) => {
      const { x, y } = tensors(k);
      const o = options(k);
      const n = numel(k.s);
      const go = make(k.reduction === 'none' ? Array(n).fill(k.go) : [k.go], k.reduction === 'none' ? k.s : [], k.d);
      const grad = bceBackward(go, x, y, { ...o, reduction: k.reduction }).data;
      const g0 = Math.abs(go.data[0]!); // grad_output as the dtype stores it
      const tiny = k.d === 'float32' ? 1.401298464324817e-45 : 5e-324; // subnormal results round by up to one ULP per op
      const w = o.weight ? expandAll(o.weight, k.s) : Array(n).fill(1);
      const pw = o.posWeight ? expandAll(o.posWeight, k.s) : Array(n).fill(1);
      const divisor = k.reduction === 'mean' ? n : 1;
      grad.forEach((g, i) =>
        expect(Math.abs(g)).toBeLessThanOrEqual(
          ((Math.abs(w[i]!) * Math.max(1, pw[i]!) * g0) / divisor) * (1 + 4 * EPS[k.d]) +
            2 * tiny * (1 + Math.abs(w[i]!) * Math.max(1, pw[i]!)),
        ),
      );
      // MLSML: d/dx = w * (sigmoid(x) - y) * grad / (C * samples for mean)
      if (!mlsmlAccepts(k.torchVersion, k.s)) return;
      const classDim = mlsmlClassDim(k.torchVersion, k.s);
      const C = k.s[classDim]!;
      const mo = { torchVersion: k.torchVersion, ...(o.weight ? { weight: o.weight } : {}) };
      const samples = n / C;
      const mgo = make(
        k.reduction === 'none' ? Array(samples).fill(k.go) : [k.go],
        k.reduction === 'none' ? k.s.filter((_, i) => i !== classDim) : [],
        k.d,
      );
      const mgrad = mlsmlBackward(mgo, x, y, { ...mo, reduction: k.reduction }).data;
      const mdiv = C * (k.reduction === 'mean' ? samples : 1);
      mgrad.forEach((g, i) =>
        expect(Math.abs(g)).toBeLessThanOrEqual(((Math.abs(w[i]!) * g0) / mdiv) * (1 + 8 * EPS[k.d]) + 2 * tiny * (1 + Math.abs(w[i]!))),
      );
    }),
    runs,
  );
});

/**
 * Forward-error bound of torch's float32 formula against the float64 result on the same (float32)
 * values. Each ATen op rounds once (relative error <= eps/2), and the formula cancels terms of
 * size |x| and |lw * log_sigmoid(x)|, so the error is a few float32 ULPs of its largest
 * intermediate term, not of the result:  |f32 - f64| <= 4 eps32 (|x| + |lw| (|x| + 1) + 1) |w|.
 */
test('float32 stays within its forward-error bound of the float64 result', () => {
  fc.assert(
    fc.property(bceCase(1e30), (k) => {
      const t = tensors({ ...k, d: 'float32' });
      const o = options({ ...k, d: 'float32' });
      const got = bce(t.x, t.y, { ...o, reduction: 'none' }).data;
      const o64 = {
        torchVersion: k.torchVersion,
        ...(o.weight ? { weight: as64(o.weight) } : {}),
        ...(o.posWeight ? { posWeight: as64(o.posWeight) } : {}),
      };
      const want = bce(as64(t.x), as64(t.y), { ...o64, reduction: 'none' }).data;
      const w = o.weight ? expandAll(o.weight, k.s) : Array(numel(k.s)).fill(1);
      const pw = o.posWeight ? expandAll(o.posWeight, k.s) : Array(numel(k.s)).fill(1);
      for (let i = 0; i < got.length; i++) {
        if (!(want[i]! < FLOAT_MAX.float32 / 2)) continue;
        const x = Math.abs(t.x.data[i]!);
        const lw = Math.abs((pw[i]! - 1) * t.y.data[i]! + 1);
        const bound = 4 * EPS.float32 * (x + lw * (x + 1) + 1) * Math.abs(w[i]!) + 1e-44;
        expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(bound);
      }
    }),
    runs,
  );
});

/** The values of a broadcastable tensor laid out as `full`. */
function expandAll(t: Tensor, full: readonly number[]): number[] {
  const out: number[] = [];
  const n = numel(full);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let offset = 0;
    let stride = 1;
    for (let d = full.length - 1; d >= 0; d--) {
      const idx = rem % full[d]!;
      rem = Math.floor(rem / full[d]!);
      const td = d - (full.length - t.shape.length);
      if (td >= 0) {
        if (t.shape[td]! !== 1) offset += idx * stride;
        stride *= t.shape[td]!;
      }
    }
    out.push(t.data[offset]!);
  }
  return out;
}
