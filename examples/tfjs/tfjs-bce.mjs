// Example 4: TensorFlow.js as a third-party implementation. tf.losses.sigmoidCrossEntropy
// (relu(x) - x * y + log1p(exp(-|x|)), float32 on the cpu backend) adapted to torch's
// binary_cross_entropy_with_logits: weight as its `weights`, torch's reductions mapped to TF's
// (NONE, SUM; 'mean' as TF's MEAN without weights, and as the mean of the weighted losses with them,
// which is torch's mean: TF's MEAN divides by the sum of the weights), the gradient by tf.grad with
// torch's grad_output. What TensorFlow.js cannot take is declined as unsupported, not failed:
// pos_weight (sigmoidCrossEntropy has none) and float64 (TensorFlow.js has no float64 tensors).
//
//   npx torch-loss-parity check --impl examples/tfjs/tfjs-bce.mjs
//
// @tensorflow/tfjs is a devDependency of torch-loss-parity.

import * as tf from '@tensorflow/tfjs';

await tf.setBackend('cpu');

function unsupported(why) {
  return Object.assign(new Error(why), { unsupported: true });
}

function loss(x, y, weight, reduction) {
  if (reduction === 'none') return tf.losses.sigmoidCrossEntropy(y, x, weight, 0, tf.Reduction.NONE);
  if (reduction === 'sum') return tf.losses.sigmoidCrossEntropy(y, x, weight, 0, tf.Reduction.SUM);
  if (reduction === 'mean') {
    return weight
      ? tf.mean(tf.losses.sigmoidCrossEntropy(y, x, weight, 0, tf.Reduction.NONE))
      : tf.losses.sigmoidCrossEntropy(y, x, undefined, 0, tf.Reduction.MEAN);
  }
  throw new Error(`${reduction} is not a valid value for reduction`);
}

function inputs([input, target], kwargs) {
  if (input.dtype !== 'float32' || target.dtype !== 'float32' || (kwargs.weight && kwargs.weight.dtype !== 'float32'))
    throw unsupported('TensorFlow.js has no float64 tensors');
  if (kwargs.pos_weight) throw unsupported('tf.losses.sigmoidCrossEntropy has no pos_weight');
  const t = (s) => tf.tensor(s.data, s.shape, 'float32');
  return { x: t(input), y: t(target), weight: kwargs.weight ? t(kwargs.weight) : undefined, reduction: kwargs.reduction ?? 'mean' };
}

const result = (t) => ({ shape: t.shape, data: t.dataSync() });

export function binary_cross_entropy_with_logits(args, kwargs) {
  return tf.tidy(() => {
    const { x, y, weight, reduction } = inputs(args, kwargs);
    return result(loss(x, y, weight, reduction));
  });
}

export function binary_cross_entropy_with_logits_backward(gradOutput, args, kwargs) {
  return tf.tidy(() => {
    const { x, y, weight, reduction } = inputs(args, kwargs);
    const dy = tf.tensor(gradOutput.data, gradOutput.shape, 'float32');
    return result(tf.grad((logits) => loss(logits, y, weight, reduction))(x, dy));
  });
}
