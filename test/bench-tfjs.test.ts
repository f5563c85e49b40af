// The bench's TensorFlow.js counterparts (scripts/bench.ts TFJS_COUNTERPARTS) compute the port's
// loss: on the bench's own float32 inputs (1e3 elements) TF.js's value and its tf.grad w.r.t. the
// input agree with the port's forward and backward within float32 rounding (logLoss: its 1e-7
// epsilon). No timing here.

import { expect, test } from 'vitest';
import { benchInputs, loadTfjs, TFJS_COUNTERPARTS } from '../scripts/bench.ts';
import { LOSSES, type LossEntry, type LossStem } from '../ts/losses/registry.ts';
import type { Tensor } from '../ts/tensor.ts';

const loaded = await loadTfjs();

test('TensorFlow.js loads (a devDependency)', () => {
  expect(loaded.why).toBeUndefined();
});

const stems = Object.keys(TFJS_COUNTERPARTS) as LossStem[];

test.each(stems)('%s: the TF.js counterpart gives the port loss and gradient on the bench inputs', (stem) => {
  const tf = loaded.tf!;
  const entry: LossEntry = LOSSES[stem];
  const { args, options } = benchInputs(entry, 1000, 'float32');
  // TF.js has no pos_weight: its BCEWithLogits is the port's without it
  const { posWeight: _, ...withoutPosWeight } = options;
  const opt = { ...withoutPosWeight, torchVersion: '2.14.1' };
  const port = entry.forward(...args, opt).data[0]!;
  const go: Tensor = { data: new Float32Array([1]), shape: [] };
  const portGrad = (entry.backward(go, ...args, opt) as Tensor).data;
  const c = TFJS_COUNTERPARTS[stem]!.build(tf, args as Tensor[], options);
  const value = tf.tidy(() => c.loss(c.input).dataSync()[0]!);
  const grad = tf.tidy(() =>
    tf
      .grad((v) => c.loss(v))(c.input)
      .dataSync(),
  );
  tf.dispose(c.held);
  const rtol = stem === 'binary_cross_entropy' ? 1e-3 : 1e-5;
  expect(Math.abs(value - port)).toBeLessThanOrEqual(rtol * Math.abs(port));
  expect(grad.length).toBe(portGrad.length);
  const scale = Math.max(...Array.from(portGrad, Math.abs));
  let worst = 0;
  for (let i = 0; i < grad.length; i++) worst = Math.max(worst, Math.abs(grad[i]! - portGrad[i]!));
  expect(worst).toBeLessThanOrEqual(rtol * scale);
});
