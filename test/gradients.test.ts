// float64 gradients against central finite differences of the forward (issue: gradients).
// Logits stay away from overflow; the losses are smooth everywhere else.

import fc from 'fast-check';
import { expect, test } from 'vitest';
import {
  binaryCrossEntropyWithLogits as bce, binaryCrossEntropyWithLogitsBackward as bceBackward,
  multilabelSoftMarginLoss as mlsml, multilabelSoftMarginLossBackward as mlsmlBackward, type Tensor,
} from '../ts/index.ts';
import { FC_RUNS, classLayout, numel, posWeightValue, reduction, shape, target, torchVersion, values, weightValue } from './arbitraries.ts';

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
      pw: values(64, posWeightValue.filter((v) => v <= 50)),
    }),
  );

function gradOutputFor(outShape: readonly number[], seed: number): Tensor {
  return f64(Array.from({ length: numel(outShape) }, (_, i) => seed + 0.25 * Math.sin(i + 1)), outShape);
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
    fc.property(gradCase(1), (k) => {
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
    }),
    { numRuns: Math.ceil(FC_RUNS / 4) },
  );
});
