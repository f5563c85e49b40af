// AssemblyScript, compiled by `npm run build:wasm` into ../kernels-binary.ts: the float32 hot loops
// of the ports as WebAssembly SIMD. Each f32x4 operation is one float32 tensor op of ATen's, in
// ATen's order, so every lane rounds where torch rounds; the formulas, and the torch source they
// mirror, are documented in ../../losses/*.ts, whose JS loops compute the same ops (for float64,
// and as the reference these kernels are tested against).
//
// Constants are loaded from memory (v128.load32_splat, one instruction): V8 rebuilds a v128.const
// inside a loop with three instructions at every use, which cost a third of the exp's time.

// @ts-ignore: decorator
@inline function k(at: usize): v128 {
  return v128.load32_splat(at);
}

const ZERO: usize = memory.data<f32>([0]);
const HALF: usize = memory.data<f32>([0.5]);
const ONE: usize = memory.data<f32>([1]);
const TWO: usize = memory.data<f32>([2]);
const NAN: usize = memory.data<f32>([NaN]);
const NEG_INF: usize = memory.data<f32>([-Infinity]);

// ---- exp and log1p: float32 in and out, float64 inside ----
// Evaluated in float64 (two f64x2 halves per f32x4) to a relative error near 1e-14 and rounded
// once, so they return the correctly rounded float32 except within 1e-14 of a rounding midpoint,
// as V8's Math.exp / Math.log1p do after Math.fround.

// @ts-ignore: decorator
@inline function k64(at: usize): v128 {
  return v128.load64_splat(at);
}

const EXP_MAX: usize = memory.data<f64>([120]); // beyond +-120 float32 results are inf or 0 anyway
const EXP_MIN: usize = memory.data<f64>([-120]);
const LOG2E: usize = memory.data<f64>([1.4426950408889634]);
const SHIFTER: usize = memory.data<f64>([6755399441055744]); // 1.5 * 2^52: adding it rounds to an integer, kept in the low bits
// fdlibm's split of ln 2: LN2_HI has 32 significant bits, so n * LN2_HI is exact for |n| < 2^20.
const LN2_HI: usize = memory.data<f64>([6.93147180369123816490e-01]);
const LN2_LO: usize = memory.data<f64>([1.90821492927058770002e-10]);
// exp(r) = sum r^i / i!, i <= 11: truncation below 7e-15 for |r| <= ln2 / 2
const EXP_C: usize = memory.data<f64>([
  1, 1, 1 / 2.0, 1 / 6.0, 1 / 24.0, 1 / 120.0, 1 / 720.0, 1 / 5040.0,
  1 / 40320.0, 1 / 362880.0, 1 / 3628800.0, 1 / 39916800.0,
]);

// @ts-ignore: decorator
@inline function expC(i: i32): v128 {
  return k64(EXP_C + (<usize>i << 3));
}

/** exp of each f64 lane: x = n ln 2 + r, |r| <= ln2 / 2, then 2^n added to the exponent field. */
// @ts-ignore: decorator
@inline function exp64(v: v128): v128 {
  v = f64x2.pmax(f64x2.pmin(v, k64(EXP_MAX)), k64(EXP_MIN)); // NaN stays NaN
  const t = f64x2.add(f64x2.mul(v, k64(LOG2E)), k64(SHIFTER));
  const n = f64x2.sub(t, k64(SHIFTER));
  const r = f64x2.sub(f64x2.sub(v, f64x2.mul(n, k64(LN2_HI))), f64x2.mul(n, k64(LN2_LO)));
  // Estrin's scheme: a short dependency chain
  const r2 = f64x2.mul(r, r);
  const r4 = f64x2.mul(r2, r2);
  const p01 = f64x2.add(expC(0), f64x2.mul(r, expC(1)));
  const p23 = f64x2.add(expC(2), f64x2.mul(r, expC(3)));
  const p45 = f64x2.add(expC(4), f64x2.mul(r, expC(5)));
  const p67 = f64x2.add(expC(6), f64x2.mul(r, expC(7)));
  const p89 = f64x2.add(expC(8), f64x2.mul(r, expC(9)));
  const q0 = f64x2.add(p01, f64x2.mul(p23, r2));
  const q1 = f64x2.add(p45, f64x2.mul(p67, r2));
  const p = f64x2.add(q0, f64x2.mul(r4, f64x2.add(q1, f64x2.mul(p89, r4))));
  // t's low bits hold n (|n| <= 174): shifted into the exponent field, the add scales by 2^n
  return i64x2.add(p, i64x2.shl(t, 52));
}

const ONE64: usize = memory.data<f64>([1]);
const HALF64: usize = memory.data<f64>([0.5]);
const TWO64: usize = memory.data<f64>([2]);
const SQRT2_M1: usize = memory.data<f64>([0.41421356237309503]);
const LN2: usize = memory.data<f64>([0.6931471805599453]);
// 2 atanh(u) = sum 2 u^(2i+1) / (2i + 1), i <= 7: truncation below 4e-14 for |u| <= 0.172
const ATANH_C: usize = memory.data<f64>([2, 2 / 3.0, 2 / 5.0, 2 / 7.0, 2 / 9.0, 2 / 11.0, 2 / 13.0, 2 / 15.0]);

// @ts-ignore: decorator
@inline function atanhC(i: i32): v128 {
  return k64(ATANH_C + (<usize>i << 3));
}

/**
 * log1p of each f64 lane in [0, 1] (or NaN): above sqrt 2 - 1, log1p(e) = ln 2 + log1p((1 + e) / 2 - 1)
 * (exact: e has float32 precision); then log1p(f) = 2 atanh(f / (2 + f)).
 */
// @ts-ignore: decorator
@inline function log1p64(e: v128): v128 {
  const big = f64x2.gt(e, k64(SQRT2_M1));
  const f = v128.bitselect(f64x2.sub(f64x2.mul(f64x2.add(e, k64(ONE64)), k64(HALF64)), k64(ONE64)), e, big);
  const u = f64x2.div(f, f64x2.add(k64(TWO64), f));
  const w = f64x2.mul(u, u);
  const w2 = f64x2.mul(w, w);
  const w4 = f64x2.mul(w2, w2);
  const q0 = f64x2.add(atanhC(0), f64x2.mul(w, atanhC(1)));
  const q1 = f64x2.add(atanhC(2), f64x2.mul(w, atanhC(3)));
  const q2 = f64x2.add(atanhC(4), f64x2.mul(w, atanhC(5)));
  const p = f64x2.add(f64x2.add(q0, f64x2.mul(q1, w2)), f64x2.mul(w4, q2));
  return f64x2.add(f64x2.mul(p, u), v128.and(big, k64(LN2)));
}

// @ts-ignore: decorator
@inline function highHalf(v: v128): v128 {
  return v128.shuffle<f32>(v, v, 2, 3, 0, 1);
}

// @ts-ignore: decorator
@inline function joinHalves(lo: v128, hi: v128): v128 {
  return v128.shuffle<f32>(lo, hi, 0, 1, 4, 5);
}

/** float32(exp(x)) of each lane. */
// @ts-ignore: decorator
@inline function exp32(x: v128): v128 {
  const lo = f32x4.demote_f64x2_zero(exp64(f64x2.promote_low_f32x4(x)));
  const hi = f32x4.demote_f64x2_zero(exp64(f64x2.promote_low_f32x4(highHalf(x))));
  return joinHalves(lo, hi);
}

/** float32(log1p(a)) of each lane, for a in [0, 1] or NaN; so also log(s) = log1p(s - 1) for s in [1, 2]. */
// @ts-ignore: decorator
@inline function log1p32(a: v128): v128 {
  const lo = f32x4.demote_f64x2_zero(log1p64(f64x2.promote_low_f32x4(a)));
  const hi = f32x4.demote_f64x2_zero(log1p64(f64x2.promote_low_f32x4(highHalf(a))));
  return joinHalves(lo, hi);
}

/** For `npm run verify:wasm-math` and the tests: out[i] = exp(in[i]) (op 0) or log1p(in[i]) (op 1), n a multiple of 4. */
export function elementary(op: i32, input: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) {
    const at = <usize>i << 2;
    const v = v128.load(input + at);
    v128.store(out + at, op == 0 ? exp32(v) : log1p32(v));
  }
}

// ---- elementwise kernels over a chunk ----
// JS copies a chunk of `count` elements (flat index start ... start + count - 1 of a rows x classes
// tensor) of each per-element array into module memory and calls a kernel, which walks it as row
// segments. An operand (weight, pos_weight, gradOutput) is (ptr, rowStride, colStride, elemStride)
// in floats: the value for (row, col) at chunk offset i is at ptr + 4 * (row * rowStride +
// col * colStride + i * elemStride): per class (0, 1, 0), per row (1, 0, 0), one value (0, 0, 0),
// or copied with the chunk (0, 0, 1). Along a segment its lanes step by colStride + elemStride,
// 0 (splat) or 1 (vector). A segment's last len % 4 values are staged in SCRATCH, zero-padded, and
// run through the same lane arithmetic.

const SCRATCH: usize = memory.data(16 * 8, 16);

// @ts-ignore: decorator
@inline function lanes(ptr: usize, step: i32): v128 {
  return step ? v128.load(ptr) : v128.load32_splat(ptr);
}

/** Copies `count` (< 4) floats, `step` apart, from ptr into scratch slot `slot`, zero-padded. */
function stage(slot: i32, ptr: usize, count: i32, step: i32): v128 {
  const at = SCRATCH + (<usize>slot << 4);
  v128.store(at, f32x4.splat(0));
  for (let i = 0; i < count; i++) store<f32>(at + (<usize>i << 2), load<f32>(ptr + (<usize>(i * step) << 2)));
  return v128.load(at);
}

function unstage(v: v128, ptr: usize, count: i32): void {
  v128.store(SCRATCH, v);
  for (let i = 0; i < count; i++) store<f32>(ptr + (<usize>i << 2), load<f32>(SCRATCH + (<usize>i << 2)));
}

/** The address of an operand's value for (row, col) at chunk offset i. */
// @ts-ignore: decorator
@inline function operandAt(ptr: usize, rowStride: i32, colStride: i32, elemStride: i32, row: i32, col: i32, i: i32): usize {
  return ptr + (<usize>(row * rowStride + col * colStride + i * elemStride) << 2);
}

// ---- BCEWithLogits (../../losses/bce_with_logits.ts) ----

export const HAS_WEIGHT = 1;
export const HAS_POS_WEIGHT = 2;
/** torch >= 2.3 builds the loss on log_sigmoid; before, on max_val and log(exp(-m) + exp(-x - m)). */
export const USES_LOG_SIGMOID = 4;

/** One vector of losses before the weight (p is pos_weight, unused without HAS_POS_WEIGHT). */
// @ts-ignore: decorator
@inline function bceWithLogitsLanes(x: v128, y: v128, p: v128, flags: i32): v128 {
  const linear = f32x4.mul(f32x4.sub(k(ONE), y), x);
  const lw = f32x4.add(f32x4.mul(f32x4.sub(p, k(ONE)), y), k(ONE)); // (pos_weight - 1) * y + 1
  // e = exp(-|x|) serves both formulas: before 2.3, exp(-m) + exp(-x - m) is exactly 1 + e (one of
  // the two arguments is 0), except at x = -inf, where -x - m = inf - inf makes it NaN.
  const e = exp32(f32x4.neg(f32x4.abs(x)));
  if (flags & USES_LOG_SIGMOID) {
    const logSigmoid = f32x4.sub(f32x4.pmin(x, k(ZERO)), log1p32(e)); // min(x, 0) - log1p(e); pmin keeps NaN
    return f32x4.sub(linear, flags & HAS_POS_WEIGHT ? f32x4.mul(logSigmoid, lw) : logSigmoid);
  }
  const m = f32x4.pmax(f32x4.neg(x), k(ZERO)); // max(-x, 0); pmax keeps NaN
  const s = v128.bitselect(k(NAN), f32x4.add(k(ONE), e), f32x4.eq(x, k(NEG_INF)));
  const logTerm = log1p32(f32x4.sub(s, k(ONE))); // log(s), s in [1, 2]
  if (flags & HAS_POS_WEIGHT) return f32x4.add(linear, f32x4.mul(lw, f32x4.add(logTerm, m)));
  return f32x4.add(f32x4.add(linear, m), logTerm);
}

function bceWithLogitsSegment(x: usize, y: usize, out: usize, len: i32, w: usize, wStep: i32, p: usize, pStep: i32, flags: i32): void {
  const weighted = flags & HAS_WEIGHT;
  const vectorEnd = len & ~3;
  for (let i = 0; i < vectorEnd; i += 4) {
    const at = <usize>i << 2;
    let l = bceWithLogitsLanes(v128.load(x + at), v128.load(y + at), lanes(p + at * <usize>pStep, pStep), flags);
    if (weighted) l = f32x4.mul(l, lanes(w + at * <usize>wStep, wStep));
    v128.store(out + at, l);
  }
  const tail = len - vectorEnd;
  if (tail) {
    const at = <usize>vectorEnd << 2;
    let l = bceWithLogitsLanes(stage(0, x + at, tail, 1), stage(1, y + at, tail, 1), stage(2, p + at * <usize>pStep, tail, pStep), flags);
    if (weighted) l = f32x4.mul(l, stage(3, w + at * <usize>wStep, tail, wStep));
    unstage(l, out + at, tail);
  }
}

/** Losses times weight of a chunk (see above) into out. */
export function bceWithLogitsForward(
  x: usize, y: usize, out: usize, start: i32, count: i32, classes: i32,
  w: usize, wRow: i32, wCol: i32, wElem: i32, p: usize, pRow: i32, pCol: i32, pElem: i32, flags: i32,
): void {
  let row = start / classes;
  let col = start % classes;
  for (let i = 0; i < count; row++, col = 0) {
    const len = min(classes - col, count - i);
    const at = <usize>i << 2;
    bceWithLogitsSegment(
      x + at, y + at, out + at, len,
      operandAt(w, wRow, wCol, wElem, row, col, i), wCol | wElem,
      operandAt(p, pRow, pCol, pElem, row, col, i), pCol | pElem, flags,
    );
    i += len;
  }
}

/**
 * One vector of d loss / d x: ((t + 1 - y) sigmoid(x) - t) * grad with t = pos_weight * y
 * (without pos_weight: (sigmoid(x) - y) * grad); sigmoid(x) = 1 / (1 + exp(-x)).
 */
// @ts-ignore: decorator
@inline function bceWithLogitsGradLanes(x: v128, y: v128, p: v128, grad: v128, flags: i32): v128 {
  const sigmoid = f32x4.div(k(ONE), f32x4.add(k(ONE), exp32(f32x4.neg(x))));
  let g: v128;
  if (flags & HAS_POS_WEIGHT) {
    const t = f32x4.mul(p, y);
    g = f32x4.sub(f32x4.mul(f32x4.sub(f32x4.add(t, k(ONE)), y), sigmoid), t);
  } else {
    g = f32x4.sub(sigmoid, y);
  }
  return f32x4.mul(g, grad);
}

function bceWithLogitsGradSegment(
  x: usize, y: usize, out: usize, len: i32, g: usize, gStep: i32, w: usize, wStep: i32, p: usize, pStep: i32, flags: i32, divisor: f32,
): void {
  const weighted = flags & HAS_WEIGHT;
  const mean = divisor != 0;
  const d = f32x4.splat(divisor);
  const vectorEnd = len & ~3;
  for (let i = 0; i < vectorEnd; i += 4) {
    const at = <usize>i << 2;
    let v = bceWithLogitsGradLanes(v128.load(x + at), v128.load(y + at), lanes(p + at * <usize>pStep, pStep), lanes(g + at * <usize>gStep, gStep), flags);
    if (weighted) v = f32x4.mul(v, lanes(w + at * <usize>wStep, wStep));
    if (mean) v = f32x4.div(v, d);
    v128.store(out + at, v);
  }
  const tail = len - vectorEnd;
  if (tail) {
    const at = <usize>vectorEnd << 2;
    let v = bceWithLogitsGradLanes(stage(0, x + at, tail, 1), stage(1, y + at, tail, 1), stage(2, p + at * <usize>pStep, tail, pStep), stage(4, g + at * <usize>gStep, tail, gStep), flags);
    if (weighted) v = f32x4.mul(v, stage(3, w + at * <usize>wStep, tail, wStep));
    if (mean) v = f32x4.div(v, d);
    unstage(v, out + at, tail);
  }
}

/** The input gradient of a chunk, times weight, divided by `divisor` unless it is 0 (reduction 'mean'). */
export function bceWithLogitsBackward(
  x: usize, y: usize, out: usize, start: i32, count: i32, classes: i32,
  g: usize, gRow: i32, gCol: i32, gElem: i32, w: usize, wRow: i32, wCol: i32, wElem: i32,
  p: usize, pRow: i32, pCol: i32, pElem: i32, flags: i32, divisor: f32,
): void {
  let row = start / classes;
  let col = start % classes;
  for (let i = 0; i < count; row++, col = 0) {
    const len = min(classes - col, count - i);
    const at = <usize>i << 2;
    bceWithLogitsGradSegment(
      x + at, y + at, out + at, len,
      operandAt(g, gRow, gCol, gElem, row, col, i), gCol | gElem,
      operandAt(w, wRow, wCol, wElem, row, col, i), wCol | wElem,
      operandAt(p, pRow, pCol, pElem, row, col, i), pCol | pElem, flags, divisor,
    );
    i += len;
  }
}

// ---- MultiLabelSoftMarginLoss (../../losses/multilabel_soft_margin.ts), torch >= 1.11 ----

/** -(y * log_sigmoid(x) + (1 - y) * log_sigmoid(-x)): both log_sigmoids share log1p(exp(-|x|)). */
// @ts-ignore: decorator
@inline function multilabelSoftMarginLanes(x: v128, y: v128): v128 {
  const l = log1p32(exp32(f32x4.neg(f32x4.abs(x))));
  const pos = f32x4.sub(f32x4.pmin(x, k(ZERO)), l);
  const neg = f32x4.sub(f32x4.pmin(f32x4.neg(x), k(ZERO)), l);
  return f32x4.neg(f32x4.add(f32x4.mul(y, pos), f32x4.mul(f32x4.sub(k(ONE), y), neg)));
}

function multilabelSoftMarginSegment(x: usize, y: usize, out: usize, len: i32, w: usize, wStep: i32, weighted: i32): void {
  const vectorEnd = len & ~3;
  for (let i = 0; i < vectorEnd; i += 4) {
    const at = <usize>i << 2;
    let l = multilabelSoftMarginLanes(v128.load(x + at), v128.load(y + at));
    if (weighted) l = f32x4.mul(l, lanes(w + at * <usize>wStep, wStep));
    v128.store(out + at, l);
  }
  const tail = len - vectorEnd;
  if (tail) {
    const at = <usize>vectorEnd << 2;
    let l = multilabelSoftMarginLanes(stage(0, x + at, tail, 1), stage(1, y + at, tail, 1));
    if (weighted) l = f32x4.mul(l, stage(3, w + at * <usize>wStep, tail, wStep));
    unstage(l, out + at, tail);
  }
}

/**
 * Per-sample losses of a chunk of whole rows: each row's weighted element losses (in scratch),
 * summed over the classes in ATen's order and divided by the class count, into out[row].
 */
export function multilabelSoftMarginForward(
  x: usize, y: usize, out: usize, start: i32, count: i32, classes: i32,
  w: usize, wRow: i32, wCol: i32, wElem: i32, flags: i32, scratch: usize,
): void {
  const firstRow = start / classes;
  const rows = count / classes;
  for (let r = 0; r < rows; r++) {
    const i = r * classes;
    const at = <usize>i << 2;
    multilabelSoftMarginSegment(x + at, y + at, scratch + at, classes, operandAt(w, wRow, wCol, wElem, firstRow + r, 0, i), wCol | wElem, flags & HAS_WEIGHT);
    sumBegin(classes);
    store<f32>(out + (<usize>r << 2), sumChunk(scratch + at, classes) / <f32>classes);
  }
}

/**
 * One vector of the input gradient from the per-element upstream gradient g (the sample's
 * gradient / C, times weight): log_sigmoid_backward(x, -g y) - log_sigmoid_backward(-x, -g (1 - y)),
 * which share z = exp(-|x|) and q = z / (1 + z); each term is (1 - q) where its argument is
 * negative, else q.
 */
// @ts-ignore: decorator
@inline function multilabelSoftMarginGradLanes(x: v128, y: v128, g: v128): v128 {
  const gl = f32x4.neg(g);
  const towardPos = f32x4.mul(gl, y);
  const towardNeg = f32x4.mul(gl, f32x4.sub(k(ONE), y));
  const z = exp32(f32x4.neg(f32x4.abs(x)));
  const q = f32x4.div(z, f32x4.add(k(ONE), z));
  const p = f32x4.sub(k(ONE), q);
  const a = v128.bitselect(p, q, f32x4.lt(x, k(ZERO)));
  const b = v128.bitselect(p, q, f32x4.gt(x, k(ZERO)));
  return f32x4.sub(f32x4.mul(a, towardPos), f32x4.mul(b, towardNeg));
}

function multilabelSoftMarginGradSegment(x: usize, y: usize, out: usize, len: i32, g: usize, gStep: i32, w: usize, wStep: i32, weighted: i32): void {
  const vectorEnd = len & ~3;
  for (let i = 0; i < vectorEnd; i += 4) {
    const at = <usize>i << 2;
    let upstream = lanes(g + at * <usize>gStep, gStep);
    if (weighted) upstream = f32x4.mul(upstream, lanes(w + at * <usize>wStep, wStep));
    v128.store(out + at, multilabelSoftMarginGradLanes(v128.load(x + at), v128.load(y + at), upstream));
  }
  const tail = len - vectorEnd;
  if (tail) {
    const at = <usize>vectorEnd << 2;
    let upstream = stage(4, g + at * <usize>gStep, tail, gStep);
    if (weighted) upstream = f32x4.mul(upstream, stage(3, w + at * <usize>wStep, tail, wStep));
    unstage(multilabelSoftMarginGradLanes(stage(0, x + at, tail, 1), stage(1, y + at, tail, 1), upstream), out + at, tail);
  }
}

/** The input gradient of a chunk; g is each sample's gradient divided by the class count. */
export function multilabelSoftMarginBackward(
  x: usize, y: usize, out: usize, start: i32, count: i32, classes: i32,
  g: usize, gRow: i32, gCol: i32, gElem: i32, w: usize, wRow: i32, wCol: i32, wElem: i32, flags: i32,
): void {
  let row = start / classes;
  let col = start % classes;
  for (let i = 0; i < count; row++, col = 0) {
    const len = min(classes - col, count - i);
    const at = <usize>i << 2;
    multilabelSoftMarginGradSegment(
      x + at, y + at, out + at, len,
      operandAt(g, gRow, gCol, gElem, row, col, i), gCol | gElem,
      operandAt(w, wRow, wCol, wElem, row, col, i), wCol | wElem, flags & HAS_WEIGHT,
    );
    i += len;
  }
}

// ---- Tensor.sum() of float32: ATen's cascade_sum (../../numerics.ts atenRowSum explains it) ----

const LEVELS = 4;
const ILP = 4;
/** acc[level][ilp row][lane] with lanes <= 8: the cascade's partial sums. */
const ACC: usize = memory.data(LEVELS * ILP * 8 * 4, 16);

/** acc[0][i] += the i-th value of each of `count` rows of `width` (4 or 32) floats at ptr. */
function addRows(ptr: usize, count: i32, width: i32): void {
  if (width == 4) {
    let a = v128.load(ACC);
    for (let j = 0; j < count; j++, ptr += 16) a = f32x4.add(a, v128.load(ptr));
    v128.store(ACC, a);
    return;
  }
  let a0 = v128.load(ACC, 0), a1 = v128.load(ACC, 16), a2 = v128.load(ACC, 32), a3 = v128.load(ACC, 48);
  let a4 = v128.load(ACC, 64), a5 = v128.load(ACC, 80), a6 = v128.load(ACC, 96), a7 = v128.load(ACC, 112);
  for (let j = 0; j < count; j++, ptr += 128) {
    a0 = f32x4.add(a0, v128.load(ptr, 0));
    a1 = f32x4.add(a1, v128.load(ptr, 16));
    a2 = f32x4.add(a2, v128.load(ptr, 32));
    a3 = f32x4.add(a3, v128.load(ptr, 48));
    a4 = f32x4.add(a4, v128.load(ptr, 64));
    a5 = f32x4.add(a5, v128.load(ptr, 80));
    a6 = f32x4.add(a6, v128.load(ptr, 96));
    a7 = f32x4.add(a7, v128.load(ptr, 112));
  }
  v128.store(ACC, a0, 0); v128.store(ACC, a1, 16); v128.store(ACC, a2, 32); v128.store(ACC, a3, 48);
  v128.store(ACC, a4, 64); v128.store(ACC, a5, 80); v128.store(ACC, a6, 96); v128.store(ACC, a7, 112);
}

/** acc[to] += acc[from] over `width` floats; then acc[from] = 0 when `clear`. */
function addLevel(to: i32, from: i32, width: i32, clear: bool): void {
  const t = ACC + (<usize>(to * width) << 2);
  const f = ACC + (<usize>(from * width) << 2);
  for (let i = 0; i < width; i += 4) {
    const at = <usize>i << 2;
    v128.store(t + at, f32x4.add(v128.load(t + at), v128.load(f + at)));
    if (clear) v128.store(f + at, f32x4.splat(0));
  }
}

/** c10 CeilLog2. */
function ceilLog2(x: i32): i32 {
  return x <= 1 ? 0 : 32 - clz(x - 1);
}

// The sum streams: sumBegin(n), then sumChunk for consecutive chunks of the values. Every chunk but
// the last must hold a multiple of SUM_CHUNK_ALIGN values, so that each of the cascade's level
// steps (at most 64 rows of 32 values) lies inside one chunk.
export const SUM_CHUNK_ALIGN = 2048;

let sumLength = 0;
let sumSeen = 0;
let sumLanes = 8;
let sumVectors = 0;
/** multi_row_sum's rows of ILP vectors, its level power, and the rows added so far. */
let sumRows = 0;
let sumLevelPower = 4;
let sumRowsDone = 0;

/** Starts Tensor.sum() of `length` float32 values, in ATen's order (cascade_sum, 8 lanes). */
export function sumBegin(length: i32): void {
  sumLength = length;
  sumSeen = 0;
  // a row shorter than one vector goes through the scalar row_sum (one lane)
  sumLanes = length < 8 ? 1 : 8;
  sumVectors = length / sumLanes;
  sumRows = sumVectors / ILP;
  sumLevelPower = max(4, ceilLog2(sumRows) / LEVELS);
  sumRowsDone = 0;
  memory.fill(ACC, 0, LEVELS * ILP * 8 * 4);
}

/** Adds the next `count` values, at ptr; after the last chunk, returns the sum (else 0). */
export function sumChunk(ptr: usize, count: i32): f32 {
  const lanes = sumLanes;
  const width = ILP * lanes;
  const levelStep = 1 << sumLevelPower;
  const levelMask = levelStep - 1;
  const chunkStart = sumSeen;
  sumSeen += count;
  // multi_row_sum: level steps of rows into acc[0], carried up a level at each step boundary
  while (sumRowsDone + levelStep <= sumRows && (sumRowsDone + levelStep) * width <= sumSeen) {
    addRows(ptr + (<usize>(sumRowsDone * width - chunkStart) << 2), levelStep, width);
    sumRowsDone += levelStep;
    for (let level = 1; level < LEVELS; level++) {
      addLevel(level, level - 1, width, true);
      if ((sumRowsDone & (levelMask << (level * sumLevelPower))) != 0) break;
    }
  }
  if (sumSeen < sumLength) return 0;
  // The last chunk holds the rest: the remaining rows, then the levels folded into acc[0] ...
  addRows(ptr + (<usize>(sumRowsDone * width - chunkStart) << 2), sumRows - sumRowsDone, width);
  for (let level = 1; level < LEVELS; level++) addLevel(0, level, width, false);
  // ... row_sum's vectors after the last full row, into the first ILP accumulator, then the ILP
  // accumulators added together ...
  for (let vi = sumRows * ILP; vi < sumVectors; vi++) {
    for (let lane = 0; lane < lanes; lane++) {
      const a = ACC + (<usize>lane << 2);
      store<f32>(a, load<f32>(a) + load<f32>(ptr + (<usize>(vi * lanes + lane - chunkStart) << 2)));
    }
  }
  for (let i = 1; i < ILP; i++) {
    for (let lane = 0; lane < lanes; lane++) {
      const a = ACC + (<usize>lane << 2);
      store<f32>(a, load<f32>(a) + load<f32>(ACC + (<usize>(i * lanes + lane) << 2)));
    }
  }
  // ... and for a vectorized row, the scalar tail, then the lanes. The output was zero-filled and
  // accumulated into (so -0 becomes +0).
  if (lanes == 1) return <f32>0 + load<f32>(ACC);
  let total: f32 = 0;
  for (let i = sumVectors * lanes; i < sumLength; i++) total += load<f32>(ptr + (<usize>(i - chunkStart) << 2));
  for (let lane = 0; lane < lanes; lane++) total += load<f32>(ACC + (<usize>lane << 2));
  return <f32>0 + total;
}

/** Tensor.sum() of `length` contiguous float32 values at ptr, in one chunk. */
export function sumFloat32(ptr: usize, length: i32): f32 {
  sumBegin(length);
  return sumChunk(ptr, length);
}

/** The first byte JS may use for arrays: everything above the kernels' static data. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}
