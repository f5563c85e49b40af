// Example 2: BCEWithLogitsLoss as a textbook (and many a port) writes it, in plain JavaScript:
//
//   loss = max(x, 0) - x * y + log1p(exp(-|x|))          the numerically stable form
//   with pos_weight p:  loss *= 1 + (p - 1) * y          applied to the whole loss
//
// computed in JavaScript numbers (float64) and stored in the input's dtype, weights and pos_weight
// broadcast as NumPy broadcasts, 'mean' as the sum over the element count. Its bugs are the usual
// ones: torch applies pos_weight only to the log-sigmoid term, (1 - y) * x + (1 + (p - 1) y) *
// (log1p(exp(-|x|)) + max(-x, 0)), which agrees with the whole-loss factor for hard targets (0 or
// 1) only; x * y with an infinite logit and y = 0 is NaN where torch has 0... Check it with
//
//   npx torch-loss-parity check --impl examples/textbook-bce/bce.mjs
//
// and the report names exactly those cases (test/check.test.ts says which, by rule).

/** NumPy broadcasting of two shapes, or a throw naming them. */
function broadcastShapes(a, b) {
  const n = Math.max(a.length, b.length);
  const out = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`shapes [${a}] and [${b}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** The flat index into a tensor of `shape` for each element of `outShape` it broadcasts to. */
function broadcastIndex(shape, outShape) {
  const size = outShape.reduce((p, d) => p * d, 1);
  const index = new Int32Array(size);
  const offset = outShape.length - shape.length;
  for (let i = 0; i < size; i++) {
    let rest = i;
    let flat = 0;
    let stride = 1;
    for (let d = outShape.length - 1; d >= 0; d--) {
      const coord = rest % outShape[d];
      rest = Math.floor(rest / outShape[d]);
      const k = d - offset;
      if (k >= 0) {
        if (shape[k] !== 1) flat += coord * stride;
        stride *= shape[k];
      }
    }
    index[i] = flat;
  }
  return index;
}

function like(input, values, shape) {
  const data = input.data instanceof Float32Array ? Float32Array.from(values) : Float64Array.from(values);
  return { shape, data };
}

function checkArgs(input, target, reduction) {
  if (!['none', 'mean', 'sum'].includes(reduction)) throw new Error(`${reduction} is not a valid value for reduction`);
  if (input.shape.length !== target.shape.length || input.shape.some((d, i) => d !== target.shape[i])) {
    throw new Error(`target shape [${target.shape}] must be the input's [${input.shape}]`);
  }
}

/** Per element: the weight and the pos_weight factor (1 + (p - 1) y). */
function factors(input, target, kwargs) {
  const { weight = null, pos_weight = null } = kwargs;
  let shape = input.shape;
  if (weight) shape = broadcastShapes(shape, weight.shape);
  if (pos_weight) shape = broadcastShapes(shape, pos_weight.shape);
  if (shape.length !== input.shape.length || shape.some((d, i) => d !== input.shape[i]))
    throw new Error('weights must broadcast to the input');
  const w = weight ? broadcastIndex(weight.shape, shape) : null;
  const p = pos_weight ? broadcastIndex(pos_weight.shape, shape) : null;
  return (i) => ({ w: w ? weight.data[w[i]] : 1, f: p ? 1 + (pos_weight.data[p[i]] - 1) * target.data[i] : 1 });
}

function reduce(input, values, reduction) {
  if (reduction === 'none') return like(input, values, input.shape);
  let sum = 0;
  for (const v of values) sum += v;
  return like(input, [reduction === 'mean' ? sum / values.length : sum], []);
}

export function binary_cross_entropy_with_logits([input, target], kwargs) {
  const reduction = kwargs.reduction ?? 'mean';
  checkArgs(input, target, reduction);
  const at = factors(input, target, kwargs);
  const n = input.data.length;
  const loss = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = input.data[i];
    const y = target.data[i];
    const { w, f } = at(i);
    loss[i] = w * f * (Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x))));
  }
  return reduce(input, loss, reduction);
}

/** d loss / dx = w f (sigmoid(x) - y), times the incoming gradient (divided by n for 'mean'). */
export function binary_cross_entropy_with_logits_backward(gradOutput, [input, target], kwargs) {
  const reduction = kwargs.reduction ?? 'mean';
  checkArgs(input, target, reduction);
  const at = factors(input, target, kwargs);
  const n = input.data.length;
  const grad = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = input.data[i];
    const { w, f } = at(i);
    const g = reduction === 'none' ? gradOutput.data[i] : reduction === 'mean' ? gradOutput.data[0] / n : gradOutput.data[0];
    grad[i] = g * w * f * (1 / (1 + Math.exp(-x)) - target.data[i]);
  }
  return like(input, grad, input.shape);
}
