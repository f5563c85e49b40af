// float64 gradients against central finite differences of the forward (issue: gradients).
// Logits stay away from overflow; the losses are smooth everywhere else.

import fc from 'fast-check';
import { expect, test } from 'vitest';
import {
  binaryCrossEntropy,
  binaryCrossEntropyBackward,
  ctcLoss,
  ctcLossBackward,
  multilabelMarginLoss,
  multilabelMarginLossBackward,
  softMarginLoss,
  softMarginLossBackward,
  binaryCrossEntropyWithLogits as bce,
  binaryCrossEntropyWithLogitsBackward as bceBackward,
  multilabelSoftMarginLoss as mlsml,
  multilabelSoftMarginLossBackward as mlsmlBackward,
  type Tensor,
} from '../ts/index.ts';
import {
  FC_RUNS,
  classLayout,
  mlsmlAccepts,
  numel,
  posWeightValue,
  reduction,
  shape,
  target,
  torchVersion,
  values,
  weightValue,
} from './arbitraries.ts';

const f64 = (data: number[], s: readonly number[]): Tensor => ({ data: Float64Array.from(data), shape: s });

/** d/dx_i of sum(gradOutput * f(x)) by central differences. */
function finiteDifference(f: (x: Tensor) => Tensor, x: Tensor, gradOutput: Tensor): number[] {
  return Array.from(x.data, (xi, i) => {
    const h = 1e-6 * Math.max(1, Math.abs(xi));
    const at = (v: number) => {
      const data = Float64Array.from(x.data);
      data[i] = v;
      const out = f({ data, shape: x.shape }).data;
      let s = 0;
      for (let k = 0; k < out.length; k++) s += out[k]! * gradOutput.data[k]!;
      return s;
    };
    return (at(xi + h) - at(xi - h)) / (2 * h);
  });
}

const gradCase = (minRank: number) =>
  shape(minRank, 3, 4).chain((s) =>
    fc.record({
      s: fc.constant(s),
      x: values(numel(s), fc.double({ min: -8, max: 8, noNaN: true })),
      y: values(numel(s), target),
      wShape: classLayout(s),
      pwShape: classLayout(s),
      reduction,
      torchVersion,
      seedGrad: fc.double({ min: -2, max: 2, noNaN: true }),
      useWeight: fc.boolean(),
      usePosWeight: fc.boolean(),
      w: values(64, weightValue),
      pw: values(
        64,
        posWeightValue.filter((v) => v <= 50),
      ),
    }),
  );

function gradOutputFor(outShape: readonly number[], seed: number): Tensor {
  return f64(
    Array.from({ length: numel(outShape) }, (_, i) => seed + 0.25 * Math.sin(i + 1)),
    outShape,
  );
}

function close(got: ArrayLike<number>, want: number[]): void {
  want.forEach((w, i) => expect(Math.abs(got[i]! - w)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(w))));
}

test('BCEWithLogits float64 gradient equals central finite differences', () => {
  fc.assert(
    fc.property(gradCase(0), (k) => {
      const options = {
        reduction: k.reduction,
        torchVersion: k.torchVersion,
        ...(k.useWeight ? { weight: f64(k.w.slice(0, numel(k.wShape)), k.wShape) } : {}),
        ...(k.usePosWeight ? { posWeight: f64(k.pw.slice(0, numel(k.pwShape)), k.pwShape) } : {}),
      };
      const x = f64(k.x, k.s);
      const y = f64(k.y, k.s);
      const f = (xx: Tensor) => bce(xx, y, options);
      const go = gradOutputFor(f(x).shape, k.seedGrad);
      close(bceBackward(go, x, y, options).data, finiteDifference(f, x, go));
    }),
    { numRuns: Math.ceil(FC_RUNS / 4) },
  );
});

test('MultiLabelSoftMarginLoss float64 gradient equals central finite differences', () => {
  fc.assert(
    fc.property(
      gradCase(1).filter((k) => mlsmlAccepts(k.torchVersion, k.s)),
      (k) => {
        const options = {
          reduction: k.reduction,
          torchVersion: k.torchVersion,
          ...(k.useWeight ? { weight: f64(k.w.slice(0, numel(k.wShape)), k.wShape) } : {}),
        };
        const x = f64(k.x, k.s);
        const y = f64(k.y, k.s);
        const f = (xx: Tensor) => mlsml(xx, y, options);
        const go = gradOutputFor(f(x).shape, k.seedGrad);
        close(mlsmlBackward(go, x, y, options).data, finiteDifference(f, x, go));
      },
    ),
    { numRuns: Math.ceil(FC_RUNS / 4) },
  );
});

test('BCELoss float64 gradient equals central finite differences (inputs inside (0, 1))', () => {
  fc.assert(
    fc.property(gradCase(0), fc.array(fc.double({ min: 0.02, max: 0.98, noNaN: true }), { minLength: 64, maxLength: 64 }), (k, p) => {
      const options = {
        reduction: k.reduction,
        torchVersion: k.torchVersion,
        ...(k.useWeight ? { weight: f64(k.w.slice(0, numel(k.wShape)), k.wShape) } : {}),
      };
      const x = f64(p.slice(0, numel(k.s)), k.s);
      const y = f64(k.y, k.s);
      const f = (xx: Tensor) => binaryCrossEntropy(xx, y, options);
      const go = gradOutputFor(f(x).shape, k.seedGrad);
      close(binaryCrossEntropyBackward(go, x, y, options).data, finiteDifference(f, x, go));
    }),
    { numRuns: Math.ceil(FC_RUNS / 4) },
  );
});

test('SoftMarginLoss float64 gradient equals central finite differences', () => {
  fc.assert(
    fc.property(gradCase(0), fc.array(fc.constantFrom(-1, 1), { minLength: 64, maxLength: 64 }), (k, signs) => {
      const options = { reduction: k.reduction, torchVersion: k.torchVersion };
      const x = f64(k.x, k.s);
      const y = f64(signs.slice(0, numel(k.s)), k.s);
      const f = (xx: Tensor) => softMarginLoss(xx, y, options);
      const go = gradOutputFor(f(x).shape, k.seedGrad);
      close(softMarginLossBackward(go, x, y, options).data, finiteDifference(f, x, go));
    }),
    { numRuns: Math.ceil(FC_RUNS / 4) },
  );
});

test('MultiLabelMarginLoss float64 gradient equals central finite differences (away from the hinge)', () => {
  const mlmCase = fc
    .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }))
    .chain(([n, c]) =>
      fc.record({
        n: fc.constant(n),
        c: fc.constant(c),
        x: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: n * c, maxLength: n * c }),
        labels: fc.array(fc.integer({ min: -1, max: c - 1 }), { minLength: n * c, maxLength: n * c }),
        reduction,
        seedGrad: fc.double({ min: -2, max: 2, noNaN: true }),
      }),
    )
    .filter((k) => {
      // Finite differences need every margin 1 - x_j + x_i of a row clear of the hinge at 0.
      for (let row = 0; row < k.n; row++) {
        for (let j = 0; j < k.c; j++)
          for (let i = 0; i < k.c; i++) if (Math.abs(1 - k.x[row * k.c + j]! + k.x[row * k.c + i]!) < 0.01) return false;
      }
      return true;
    });
  fc.assert(
    fc.property(mlmCase, (k) => {
      const x = f64(k.x, [k.n, k.c]);
      const labels = { data: Int32Array.from(k.labels), shape: [k.n, k.c] };
      const f = (xx: Tensor) => multilabelMarginLoss(xx, labels, { reduction: k.reduction });
      const go = gradOutputFor(f(x).shape, k.seedGrad);
      close(multilabelMarginLossBackward(go, x, labels, { reduction: k.reduction }).data, finiteDifference(f, x, go));
    }),
    { numRuns: Math.ceil(FC_RUNS / 4) },
  );
});

test('CTCLoss float64 gradient, through log_softmax, equals central finite differences (feasible alignments)', () => {
  // torch's _ctc_loss_backward returns exp(lp) - exp(log_alpha_beta + nll - lp): the gradient with
  // respect to the logits u of lp = log_softmax(u) (the exp(lp) term is log_softmax's share), so it is
  // checked there: d/du = g - softmax(u) * sum_c g, against finite differences of ctc(log_softmax(u)).
  const ctcCase = fc
    .record({
      t: fc.integer({ min: 1, max: 6 }),
      n: fc.integer({ min: 1, max: 3 }),
      c: fc.integer({ min: 2, max: 5 }),
    })
    .chain(({ t, n, c }) =>
      fc.record({
        t: fc.constant(t),
        n: fc.constant(n),
        c: fc.constant(c),
        u: fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: t * n * c, maxLength: t * n * c }),
        blank: fc.integer({ min: 0, max: c - 1 }),
        // per sample: label draws (mapped off the blank), a target length and an input length, as fractions
        labels: fc.array(fc.array(fc.integer({ min: 0, max: c - 2 }), { minLength: 3, maxLength: 3 }), { minLength: n, maxLength: n }),
        tlDraw: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n }),
        ilDraw: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }),
        padded: fc.boolean(),
        reduction,
        zeroInfinity: fc.boolean(),
        seedGrad: fc.double({ min: -2, max: 2, noNaN: true }),
      }),
    )
    .map((k) => {
      // Target lengths that fit T (a label, plus a blank between repeats), input lengths from the minimum up to T.
      const targets: number[][] = [];
      const il: number[] = [];
      for (let b = 0; b < k.n; b++) {
        const labels = k.labels[b]!.map((v) => (v >= k.blank ? v + 1 : v));
        let tl = k.tlDraw[b]!;
        const need = (len: number) => len + labels.slice(0, len).filter((v, i) => i > 0 && v === labels[i - 1]).length;
        while (tl > 0 && need(tl) > k.t) tl--;
        const min = Math.max(1, need(tl));
        targets.push(labels.slice(0, tl));
        il.push(min + Math.floor(k.ilDraw[b]! * (k.t - min + 1 - 1e-9)));
      }
      return { ...k, targets, il };
    });
  fc.assert(
    fc.property(ctcCase, (k) => {
      const { t, n, c } = k;
      const tl = k.targets.map((v) => v.length);
      const s = Math.max(1, ...tl);
      const targets = k.padded
        ? {
            data: Int32Array.from(k.targets.flatMap((v) => [...v, ...Array<number>(s - v.length).fill(k.blank === 0 ? 1 : 0)])),
            shape: [n, s],
          }
        : { data: Int32Array.from(k.targets.flat()), shape: [tl.reduce((a, b) => a + b, 0)] };
      const inputLengths = { data: Int32Array.from(k.il), shape: [n] };
      const targetLengths = { data: Int32Array.from(tl), shape: [n] };
      const options = { blank: k.blank, reduction: k.reduction, zeroInfinity: k.zeroInfinity };
      const logSoftmax = (u: Tensor): Tensor => {
        const out = new Float64Array(u.data.length);
        for (let r = 0; r < t * n; r++) {
          let m = -Infinity;
          for (let j = 0; j < c; j++) m = Math.max(m, u.data[r * c + j]!);
          let e = 0;
          for (let j = 0; j < c; j++) e += Math.exp(u.data[r * c + j]! - m);
          for (let j = 0; j < c; j++) out[r * c + j] = u.data[r * c + j]! - m - Math.log(e);
        }
        return { data: out, shape: u.shape };
      };
      const f = (u: Tensor) => ctcLoss(logSoftmax(u), targets, inputLengths, targetLengths, options);
      const u = f64(k.u, [t, n, c]);
      const out = f(u);
      for (const v of out.data) expect(Number.isFinite(v)).toBe(true);
      const go = gradOutputFor(out.shape, k.seedGrad);
      const lp = logSoftmax(u);
      const g = ctcLossBackward(go, lp, targets, inputLengths, targetLengths, options).data;
      const du = new Float64Array(g.length);
      for (let r = 0; r < t * n; r++) {
        let sum = 0;
        for (let j = 0; j < c; j++) sum += g[r * c + j]!;
        for (let j = 0; j < c; j++) du[r * c + j] = g[r * c + j]! - Math.exp(lp.data[r * c + j]!) * sum;
      }
      close(du, finiteDifference(f, u, go));
    }),
    { numRuns: Math.ceil(FC_RUNS / 4) },
  );
});
