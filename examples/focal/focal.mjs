// A JavaScript port of the sigmoid focal loss (torchvision.ops.sigmoid_focal_loss), as a user of
// torch-loss-parity writes one: plain loops, float32 arithmetic rounded after every operation
// (Math.fround), float64 as JavaScript numbers. It follows torch 1.13, whose goldens are in
// ./golden (made by ./sigmoid_focal_loss.py), and the conformance spec's contract
// (docs/conformance-spec.md): `sigmoid_focal_loss(args, kwargs)` with args [inputs, targets] as
// { shape, dtype, data } and torch's keyword names, and `sigmoid_focal_loss_backward(gradOutput,
// args, kwargs)` for the gradient of inputs.
//
// Forward, element by element, in torch's op order:
//   p = 1 / (1 + exp(-x))                                   torch.sigmoid
//   m = max(-x, 0); ce = (1 - t) * x + m + log(exp(-m) + exp(-x - m))
//                                                           BCE-with-logits as torch 1.13 computes it
//   p_t = p * t + (1 - p) * (1 - t); loss = ce * (1 - p_t) ** gamma
//   alpha >= 0: loss = (alpha * t + (1 - alpha) * (1 - t)) * loss
// then 'mean' or 'sum'. The backward is the chain rule back through the same ops, as autograd runs it.

/** A torch-like error: `name` is the Python exception type torch raises. */
class TorchError extends Error {
  constructor(type, message) {
    super(message);
    this.name = type;
  }
}

const TYPE_NAMES = { float32: 'Float', float64: 'Double', int64: 'Long', int32: 'Int', bool: 'Bool' };
const torchSize = (shape) => `torch.Size([${shape.join(', ')}])`;

/** The arguments checked in torch's order; the options with torchvision's defaults. */
function prepare([inputs, targets], kwargs) {
  const { alpha = 0.25, gamma = 2, reduction = 'none' } = kwargs;
  if (inputs.shape.length !== targets.shape.length || inputs.shape.some((d, i) => d !== targets.shape[i])) {
    throw new TorchError(
      'ValueError',
      `Target size (${torchSize(targets.shape)}) must be the same as input size (${torchSize(inputs.shape)})`,
    );
  }
  if (targets.dtype !== 'float32' && targets.dtype !== 'float64') {
    throw new TorchError(
      'RuntimeError',
      `result type ${TYPE_NAMES[inputs.dtype]} can't be cast to the desired output type ${TYPE_NAMES[targets.dtype]}`,
    );
  }
  // torchvision checks the reduction last, after computing the loss: the same error either way.
  if (!['none', 'mean', 'sum'].includes(reduction)) {
    throw new TorchError(
      'ValueError',
      `Invalid Value for arg 'reduction': '${reduction} \n Supported reduction modes: 'none', 'mean', 'sum'`,
    );
  }
  const f32 = inputs.dtype === 'float32';
  return {
    x: inputs.data,
    t: targets.data,
    shape: inputs.shape,
    dtype: inputs.dtype,
    f32,
    r: f32 ? Math.fround : (v) => v,
    alpha,
    gamma,
    reduction,
  };
}

/** q ** e as torch's pow(tensor, scalar) computes it: 0 and 1 exactly, 0.5 / 2 / 3 / -0.5 / -1 / -2 by sqrt and products. */
function power(q, e, r) {
  if (e === 0) return 1;
  if (e === 1) return q;
  if (e === 0.5) return r(Math.sqrt(q));
  if (e === 2) return r(q * q);
  if (e === 3) return r(r(q * q) * q);
  if (e === -0.5) return r(1 / r(Math.sqrt(q)));
  if (e === -1) return r(1 / q);
  if (e === -2) return r(1 / r(q * q));
  return r(q ** e);
}

/** The per-element values both directions need. */
function elementwise(c) {
  const { x, t, r, alpha, gamma } = c;
  const n = x.length;
  const p = new Float64Array(n);
  const ce = new Float64Array(n);
  const q = new Float64Array(n);
  const w = new Float64Array(n);
  const alphaT = new Float64Array(n);
  const a = r(alpha);
  const oneMinusA = r(1 - alpha);
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    const ti = t[i];
    p[i] = r(1 / r(1 + r(Math.exp(-xi))));
    const m = Math.max(-xi, 0);
    const logTerm = r(Math.log(r(r(Math.exp(-m)) + r(Math.exp(r(-xi - m))))));
    ce[i] = r(r(r(r(1 - ti) * xi) + m) + logTerm);
    const pt = r(r(p[i] * ti) + r(r(1 - p[i]) * r(1 - ti)));
    q[i] = r(1 - pt);
    w[i] = power(q[i], gamma, r);
    alphaT[i] = r(r(a * ti) + r(oneMinusA * r(1 - ti)));
  }
  return { p, ce, q, w, alphaT };
}

const typed = (c, n) => (c.f32 ? new Float32Array(n) : new Float64Array(n));

export function sigmoid_focal_loss(args, kwargs) {
  const c = prepare(args, kwargs);
  const { ce, w, alphaT } = elementwise(c);
  const n = c.x.length;
  const loss = typed(c, n);
  for (let i = 0; i < n; i++) {
    const l = c.r(ce[i] * w[i]);
    loss[i] = c.alpha >= 0 ? c.r(alphaT[i] * l) : l;
  }
  if (c.reduction === 'none') return { shape: [...c.shape], dtype: c.dtype, data: loss };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += loss[i];
  const value = c.reduction === 'sum' ? c.r(sum) : c.r(c.r(sum) / n);
  return { shape: [], dtype: c.dtype, data: c.f32 ? Float32Array.of(value) : Float64Array.of(value) };
}

export function sigmoid_focal_loss_backward(gradOutput, args, kwargs) {
  const c = prepare(args, kwargs);
  const { p, ce, q, w, alphaT } = elementwise(c);
  const { t, r, gamma } = c;
  const n = c.x.length;
  const grad = typed(c, n);
  const gammaT = r(gamma);
  for (let i = 0; i < n; i++) {
    // d loss / d (the unreduced element): the output's gradient, expanded ('sum') or divided ('mean').
    const go = c.reduction === 'none' ? gradOutput.data[i] : gradOutput.data[0];
    const g = c.reduction === 'mean' ? r(go / n) : go;
    const gL = c.alpha >= 0 ? r(g * alphaT[i]) : g;
    const gCe = r(gL * w[i]);
    const gW = r(gL * ce[i]);
    // pow's backward: gamma * q ** (gamma - 1), then times the incoming gradient (0 when gamma is 0).
    const gQ = gamma === 0 ? 0 : r(gW * r(gammaT * power(q[i], gamma - 1, r)));
    const gPt = -gQ;
    // p enters twice: p * t and (1 - p) * (1 - t).
    const gP = r(r(gPt * t[i]) + -r(gPt * r(1 - t[i])));
    const fromSigmoid = r(r(gP * r(1 - p[i])) * p[i]);
    const fromCe = r(r(p[i] - t[i]) * gCe);
    grad[i] = r(fromSigmoid + fromCe);
  }
  return { shape: [...c.shape], dtype: c.dtype, data: grad };
}
