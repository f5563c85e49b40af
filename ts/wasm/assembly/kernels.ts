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

// ---- exp, log and log1p: float64 inside, float32 in and out ----
// Tang's table methods evaluated in float64 (two f64x2 halves per f32x4) to a relative error
// below 2^-42 and rounded once, so they return the correctly rounded float32 except within that
// of a rounding midpoint: `npm run verify:wasm-math`, over every float32 argument, finds 112 of
// 2.2e9 exp arguments, 6 of 1.1e9 log1p on [0, 1], 2 of 2.1e9 log, 16 of 3.2e9 log1p and 1 of
// 1.1e9 log on [1, inf] rounded otherwise than V8's Math.exp / Math.log / Math.log1p, each a tie
// (0.500 ULP).

// @ts-ignore: decorator
@inline function k64(at: usize): v128 {
  return v128.load64_splat(at);
}

const EXP_MAX: usize = memory.data<f32>([120]); // beyond +-120 float32 results are inf or 0 anyway
const EXP_MIN: usize = memory.data<f32>([-120]);
const SHIFTER: usize = memory.data<f64>([6755399441055744]); // 1.5 * 2^52: adding it rounds to an integer, kept in the low bits
const LOG2E_256: usize = memory.data<f64>([369.3299304675746]); // 256 / ln 2
const LN2_256: usize = memory.data<f64>([0.0027076061740622863]); // ln 2 / 256
const EIGHT_BITS: usize = memory.data<i64>([255]);
// exp(r) = 1 + r + r^2/2 + r^3/6: truncation below 2^-42 for |r| <= ln 2 / 512
const EXP_C2: usize = memory.data<f64>([1 / 2.0]);
const EXP_C3: usize = memory.data<f64>([1 / 6.0]);
// 2^(j / 256), j = 0 ... 255 (AssemblyScript's Math.pow, musl's: within an ULP of float64), with
// j << 44 taken off their bits, so that adding (256 n + j) << 44 multiplies by 2^n.
const EXP2_SCALED: usize = memory.data(256 * 8, 8);
for (let j = 0; j < 256; j++) {
  store<i64>(EXP2_SCALED + (<usize>j << 3), reinterpret<i64>(Math.pow(2, <f64>j / 256)) - (<i64>j << 44));
}

/**
 * exp of each f64 lane (|v| <= 120): v = (256 n + j) ln 2 / 256 + r, |r| <= ln 2 / 512, and
 * exp(v) = 2^n 2^(j / 256) exp(r) (Tang's method). n ln 2 / 256 is rounded once: below 2^-46 of
 * the result.
 */
// @ts-ignore: decorator
@inline function exp64(v: v128): v128 {
  const t = f64x2.add(f64x2.mul(v, k64(LOG2E_256)), k64(SHIFTER)); // 256 n + j in the low bits
  const r = f64x2.sub(v, f64x2.mul(f64x2.sub(t, k64(SHIFTER)), k64(LN2_256)));
  const j = v128.and(t, k64(EIGHT_BITS));
  let scale = v128.load64_zero(EXP2_SCALED + (<usize>i64x2.extract_lane(j, 0) << 3));
  scale = v128.load64_lane(EXP2_SCALED + (<usize>i64x2.extract_lane(j, 1) << 3), scale, 1);
  scale = i64x2.add(scale, i64x2.shl(t, 44));
  const low = f64x2.add(k64(ONE64), r);
  const high = f64x2.add(k64(EXP_C2), f64x2.mul(r, k64(EXP_C3)));
  return f64x2.mul(f64x2.add(low, f64x2.mul(f64x2.mul(r, r), high)), scale);
}

const ONE64: usize = memory.data<f64>([1]);
const LN2: usize = memory.data<f64>([0.6931471805599453]);

// log1p(f) for f in [-1/2, 1], by a table like exp's: with j = f * 128 rounded (-64 ... 128) and
// inv the inverse of 1 + j / 128 rounded to 12 bits, log1p(f) = -log(inv) + log1p(r), where
// r = (1 + f) inv - 1 = f inv + (inv - 1) is exact for a float32 f (both terms are, and so is their
// sum: 36 bits) and |r| < 2^-7; j = 0 has inv = 1, r = f. log1p(r) = r - r^2/2 + ... + r^5/5 leaves
// below 2^-42 of the result. Every log and log1p below is exponent ln 2 + this: no division (the
// atanh series this replaced spent as long on its division as on the rest).
const LOG1P_C: usize = memory.data<f64>([-1 / 2.0, 1 / 3.0, -1 / 4.0, 1 / 5.0]);
/** {inv, -log(inv)} at j & 255: j = 0 ... 128, and -64 ... -1 at 192 ... 255; the rest (a NaN's bits only) as j = 0. */
const LOG1P_TABLE: usize = memory.data(256 * 16, 16);
for (let index = 0; index < 256; index++) {
  const j = index < 192 ? index : index - 256;
  const inv = j == 0 || j > 128 ? 1.0 : Math.round(4096 / (1 + j / 128.0)) / 4096;
  store<f64>(LOG1P_TABLE + (<usize>index << 4), inv);
  store<f64>(LOG1P_TABLE + (<usize>index << 4) + 8, -Math.log(inv));
}
const ONE_TWENTY_EIGHT: usize = memory.data<f32>([128]);
const ROUNDER: usize = memory.data<f32>([12582912]); // 1.5 * 2^23: adding it rounds -64 ... 128 to an integer, kept in the low bits
const BYTE: usize = memory.data<i32>([255]);
const FLOAT32_BIAS: usize = memory.data<i32>([127]);
const FLOAT32_BIAS_PLUS_24: usize = memory.data<i32>([127 + 24]);
const FLOAT64_BIAS: usize = memory.data<i32>([1023]);
const MANTISSA32: usize = memory.data<i32>([0x007fffff]);
const SMALLEST_NORMAL: usize = memory.data<f32>([1.1754943508222875e-38]);
const TWO_TO_24: usize = memory.data<f32>([16777216]);
const MINUS_HALF: usize = memory.data<f32>([-0.5]);
const MINUS_ONE: usize = memory.data<f32>([-1]);

// @ts-ignore: decorator
@inline function log1pC(i: i32): v128 {
  return k64(LOG1P_C + (<usize>i << 3));
}

/** log1p of two float64 lanes f, given their table entries. */
// @ts-ignore: decorator
@inline function log1pTable64(f: v128, entry0: v128, entry1: v128): v128 {
  const inv = v128.shuffle<i64>(entry0, entry1, 0, 2);
  const r = f64x2.add(f64x2.mul(f, inv), f64x2.sub(inv, k64(ONE64)));
  const r2 = f64x2.mul(r, r);
  const low = f64x2.add(r, f64x2.mul(r2, f64x2.add(log1pC(0), f64x2.mul(r, log1pC(1)))));
  const high = f64x2.mul(f64x2.mul(r2, r2), f64x2.add(log1pC(2), f64x2.mul(r, log1pC(3))));
  return f64x2.add(v128.shuffle<i64>(entry0, entry1, 1, 3), f64x2.add(low, high));
}

/** 2^-e of two i32 lanes of e (the low two, or the high two): for the fraction of a rounded 1 + a. */
// @ts-ignore: decorator
@inline function twoToMinus(e: v128, high: bool): v128 {
  const biased = i32x4.sub(k(FLOAT64_BIAS), e);
  return i64x2.shl(high ? i64x2.extend_high_i32x4_s(biased) : i64x2.extend_low_i32x4_s(biased), 52);
}

/**
 * float32(exponent ln 2 + log1p(f)) of four lanes: f in [-1/2, 1] as float32 lanes (which give the
 * table index) and as exact float64 halves fLo, fHi; exponent as i32 lanes (ignored unless
 * `scaled`).
 */
// @ts-ignore: decorator
@inline function logOfParts(f: v128, fLo: v128, fHi: v128, exponent: v128, scaled: bool): v128 {
  const at = i32x4.shl(v128.and(f32x4.add(f32x4.mul(f, k(ONE_TWENTY_EIGHT)), k(ROUNDER)), k(BYTE)), 4);
  let lo = log1pTable64(fLo, v128.load(LOG1P_TABLE + <usize>i32x4.extract_lane(at, 0)), v128.load(LOG1P_TABLE + <usize>i32x4.extract_lane(at, 1)));
  let hi = log1pTable64(fHi, v128.load(LOG1P_TABLE + <usize>i32x4.extract_lane(at, 2)), v128.load(LOG1P_TABLE + <usize>i32x4.extract_lane(at, 3)));
  if (scaled) {
    lo = f64x2.add(lo, f64x2.mul(f64x2.convert_low_i32x4_s(exponent), k64(LN2)));
    hi = f64x2.add(hi, f64x2.mul(f64x2.convert_low_i32x4_s(highHalf(exponent)), k64(LN2)));
  }
  return joinHalves(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi));
}

/** logOfParts for an f that is exact in float32. */
// @ts-ignore: decorator
@inline function logOfFloat32Parts(f: v128, exponent: v128, scaled: bool): v128 {
  return logOfParts(f, f64x2.promote_low_f32x4(f), f64x2.promote_low_f32x4(highHalf(f)), exponent, scaled);
}

/** The fraction m - 1 of float32 lanes t = 2^e m, m in [1, 2) (exact). */
// @ts-ignore: decorator
@inline function mantissaFraction(t: v128): v128 {
  return f32x4.sub(v128.or(v128.and(t, k(MANTISSA32)), k(ONE)), k(ONE));
}

/** The lanes that are inf or NaN: the log and log1p of +inf and NaN are themselves. */
// @ts-ignore: decorator
@inline function infOrNaN(x: v128): v128 {
  return v128.or(f32x4.eq(x, k(INF)), f32x4.ne(x, x));
}

/** log1p of float32 lanes in [0, 1] (or NaN): the table alone. */
// @ts-ignore: decorator
@inline function log1pUnit32(x: v128): v128 {
  return logOfFloat32Parts(x, x, false);
}

/** log of float32 lanes t >= 1 (SoftMarginLoss' log(1 + e) before torch 2.0): t = 2^exponent (1 + f), f in [0, 1); inf and NaN are their own log. */
// @ts-ignore: decorator
@inline function logFromOne32(x: v128): v128 {
  const exponent = i32x4.sub(i32x4.shr_u(x, 23), k(FLOAT32_BIAS));
  return v128.bitselect(x, logOfFloat32Parts(mantissaFraction(x), exponent, true), infOrNaN(x));
}

/**
 * log of float32 lanes: t = 2^exponent (1 + f), f in [0, 1), except near 1 (t in [1/2, 2)), where
 * f = t - 1 (exact) so that the log of t just under 1 does not cancel. Subnormal t is scaled by
 * 2^24 first. 0 gives -inf, inf and NaN themselves, negatives NaN.
 */
// @ts-ignore: decorator
@inline function log32(x: v128): v128 {
  const tiny = f32x4.lt(x, k(SMALLEST_NORMAL));
  const t = v128.bitselect(f32x4.mul(x, k(TWO_TO_24)), x, tiny);
  const near = v128.and(f32x4.ge(x, k(HALF)), f32x4.lt(x, k(TWO)));
  const exponent = v128.andnot(i32x4.sub(i32x4.shr_u(t, 23), v128.bitselect(k(FLOAT32_BIAS_PLUS_24), k(FLOAT32_BIAS), tiny)), near);
  const f = v128.bitselect(f32x4.sub(x, k(ONE)), mantissaFraction(t), near);
  const withZero = v128.bitselect(k(NEG_INF), logOfFloat32Parts(f, exponent, true), f32x4.eq(x, k(ZERO)));
  const withInfNaN = v128.bitselect(x, withZero, infOrNaN(x));
  return v128.bitselect(k(NAN), withInfNaN, f32x4.lt(x, k(ZERO)));
}

/**
 * log1p of float32 lanes: the table directly on [-1/2, 1]; elsewhere log(1 + a) with
 * 1 + a = 2^exponent (1 + f). Below -1/2, 1 + a is exact (Sterbenz); above 1 it rounds in float32,
 * which then gives only the exponent and table index: the float64 fraction (1 + a) 2^-exponent - 1
 * is exact. -1 gives -inf, +-0, inf and NaN themselves, below -1 NaN.
 */
// @ts-ignore: decorator
@inline function log1p32(x: v128): v128 {
  const t = f32x4.add(k(ONE), x);
  const direct = v128.and(f32x4.ge(x, k(MINUS_HALF)), f32x4.le(x, k(ONE)));
  const exponent = v128.andnot(i32x4.sub(i32x4.shr_u(t, 23), k(FLOAT32_BIAS)), direct);
  const f = v128.bitselect(x, mantissaFraction(t), direct);
  const xLo = f64x2.promote_low_f32x4(x);
  const xHi = f64x2.promote_low_f32x4(highHalf(x));
  const aboveLo = f64x2.gt(xLo, k64(ONE64));
  const aboveHi = f64x2.gt(xHi, k64(ONE64));
  const fLo = v128.bitselect(f64x2.sub(f64x2.mul(f64x2.add(k64(ONE64), xLo), twoToMinus(exponent, false)), k64(ONE64)), f64x2.promote_low_f32x4(f), aboveLo);
  const fHi = v128.bitselect(f64x2.sub(f64x2.mul(f64x2.add(k64(ONE64), xHi), twoToMinus(exponent, true)), k64(ONE64)), f64x2.promote_low_f32x4(highHalf(f)), aboveHi);
  const log = logOfParts(f, fLo, fHi, exponent, true);
  const withMinusOne = v128.bitselect(k(NEG_INF), log, f32x4.eq(x, k(MINUS_ONE)));
  const withSelf = v128.bitselect(x, withMinusOne, v128.or(infOrNaN(x), f32x4.eq(x, k(ZERO))));
  return v128.bitselect(k(NAN), withSelf, f32x4.lt(x, k(MINUS_ONE)));
}

// ---- float32 in and out ----

// @ts-ignore: decorator
@inline function highHalf(v: v128): v128 {
  return v128.shuffle<f32>(v, v, 2, 3, 0, 1);
}

// @ts-ignore: decorator
@inline function joinHalves(lo: v128, hi: v128): v128 {
  return v128.shuffle<f32>(lo, hi, 0, 1, 4, 5);
}

const EXP = 0;
const LOG1P_UNIT = 1;
const LOG = 2;
const LOG1P = 3;
/** log on [1, inf]: for SoftMarginLoss' log(1 + e), without the general log's cases below 1. */
const LOG_GE1 = 4;

/** float32(f(x)) of each lane, f evaluated in float64. */
// @ts-ignore: decorator
@inline function float32Of(fn: i32, x: v128): v128 {
  if (fn == LOG1P_UNIT) return log1pUnit32(x);
  if (fn == LOG) return log32(x);
  if (fn == LOG1P) return log1p32(x);
  if (fn == LOG_GE1) return logFromOne32(x);
  x = f32x4.pmax(f32x4.pmin(x, k(EXP_MAX)), k(EXP_MIN)); // NaN stays NaN
  const lo = exp64(f64x2.promote_low_f32x4(x));
  return joinHalves(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(exp64(f64x2.promote_low_f32x4(highHalf(x)))));
}

/** For `npm run verify:wasm-math` and the tests: out[i] = f(input[i]) for f = EXP, LOG1P_UNIT, LOG, LOG1P, LOG_GE1; n a multiple of 4. */
export function elementary(fn: i32, input: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) {
    const at = <usize>i << 2;
    const v = v128.load(input + at);
    let result: v128;
    switch (fn) {
      case EXP: result = float32Of(EXP, v); break;
      case LOG1P_UNIT: result = float32Of(LOG1P_UNIT, v); break;
      case LOG: result = float32Of(LOG, v); break;
      case LOG1P: result = float32Of(LOG1P, v); break;
      default: result = float32Of(LOG_GE1, v); break;
    }
    v128.store(out + at, result);
  }
}

// ---- the losses, one vector of lanes at a time ----
// Formulas and the torch source they mirror: ../../losses/<stem>.ts. y is the target; a, b, c
// are the kernel's operands (see OPS below); s a scalar.

// Each flag and each kernel is declared once, here: `npm run build:wasm` reads these lines into
// ../kernel-ops.ts (KERNEL_FLAGS, KERNEL_OPS), from which ../float32-kernels.ts types its calls.
// A flag line ends in `// flag`; a kernel line names its operands by slot (y is the target;
// a, b, c the others; s the scalar) as `// kernel: y=name a=name ... s=name`, then why.

export const HAS_WEIGHT = 1; // flag
export const HAS_POS_WEIGHT = 2; // flag
/** BCEWithLogits, torch >= 2.3: built on log_sigmoid; before, on max_val and log(exp(-m) + exp(-x - m)). */
export const USES_LOG_SIGMOID = 4; // flag
/** SoftMarginLoss, torch >= 2.0: log1p(exp(-x y)); before, log(1 + exp(-x y)). */
export const USES_LOG1P = 8; // flag
/** SoftMarginLoss: the vectorized log1p is SLEEF's before 3.8, inf above 1e38 (torch 2.0 - 2.7, not 'default'). */
export const LOG1P_OVERFLOWS = 16; // flag

export const BCE_WITH_LOGITS = 0; // kernel: y=target a=weight b=posWeight
export const BCE_WITH_LOGITS_GRAD = 1; // kernel: y=target a=weight b=posWeight c=gradOutput s=meanDivisor (0 unless 'mean')
export const MULTILABEL_SOFT_MARGIN = 2; // kernel: y=target a=weight (per element, before the class sum)
export const MULTILABEL_SOFT_MARGIN_GRAD = 3; // kernel: y=target a=weight c=rowGradient (the sample's gradient / C)
export const SOFT_MARGIN = 4; // kernel: y=target
export const SOFT_MARGIN_GRAD = 5; // kernel: y=target c=gradOutput s=minusNorm
export const BINARY_CROSS_ENTROPY = 6; // kernel: y=target a=weight
export const BINARY_CROSS_ENTROPY_GRAD = 7; // kernel: y=target a=weight c=gradOutput s=meanDivisor (0 unless 'mean')

const OVERFLOW: usize = memory.data<f32>([1e38]);
const INF: usize = memory.data<f32>([Infinity]);
const LOG_FLOOR: usize = memory.data<f32>([-100]);
const EPSILON: usize = memory.data<f32>([1e-12]);

/** BCEWithLogits before the weight; e = exp(-|x|) (from the pre-pass). */
// @ts-ignore: decorator
@inline function bceWithLogitsLoss(x: v128, e: v128, y: v128, p: v128, flags: i32): v128 {
  const linear = f32x4.mul(f32x4.sub(k(ONE), y), x);
  const lw = f32x4.add(f32x4.mul(f32x4.sub(p, k(ONE)), y), k(ONE)); // (pos_weight - 1) * y + 1
  // e = exp(-|x|) serves both formulas: before 2.3, exp(-m) + exp(-x - m) is exactly 1 + e (one of
  // the two arguments is 0), except at x = -inf, where -x - m = inf - inf makes it NaN.
  if (flags & USES_LOG_SIGMOID) {
    // min(x, 0) - log1p(e): pmin keeps a NaN x (and gives -0 for -0 where ATen gives 0: the same after - log1p(1))
    const logSigmoid = f32x4.sub(f32x4.pmin(x, k(ZERO)), float32Of(LOG1P_UNIT, e));
    return f32x4.sub(linear, flags & HAS_POS_WEIGHT ? f32x4.mul(logSigmoid, lw) : logSigmoid);
  }
  const m = f32x4.pmax(f32x4.neg(x), k(ZERO)); // max(-x, 0), NaN kept (-0 for x = 0, added to a nonzero log)
  const s = v128.bitselect(k(NAN), f32x4.add(k(ONE), e), f32x4.eq(x, k(NEG_INF)));
  const logTerm = float32Of(LOG1P_UNIT, f32x4.sub(s, k(ONE))); // log(s), s in [1, 2]: s - 1 is exact
  if (flags & HAS_POS_WEIGHT) return f32x4.add(linear, f32x4.mul(lw, f32x4.add(logTerm, m)));
  return f32x4.add(f32x4.add(linear, m), logTerm);
}

/** BCEWithLogits' gradient before weight and 'mean': ((t + 1 - y) sigmoid(x) - t) g, t = pos_weight y. */
// @ts-ignore: decorator
@inline function bceWithLogitsGrad(x: v128, y: v128, p: v128, g: v128, flags: i32): v128 {
  const sigmoid = f32x4.div(k(ONE), f32x4.add(k(ONE), float32Of(EXP, f32x4.neg(x))));
  if (!(flags & HAS_POS_WEIGHT)) return f32x4.mul(f32x4.sub(sigmoid, y), g);
  const t = f32x4.mul(p, y);
  return f32x4.mul(f32x4.sub(f32x4.mul(f32x4.sub(f32x4.add(t, k(ONE)), y), sigmoid), t), g);
}

/** MultiLabelSoftMargin's element loss -(y log_sigmoid(x) + (1 - y) log_sigmoid(-x)); both share log1p(e), e = exp(-|x|) (from the pre-pass). */
// @ts-ignore: decorator
@inline function multilabelSoftMarginLoss(x: v128, e: v128, y: v128): v128 {
  const l = float32Of(LOG1P_UNIT, e);
  const pos = f32x4.sub(f32x4.pmin(x, k(ZERO)), l);
  const neg = f32x4.sub(f32x4.pmin(f32x4.neg(x), k(ZERO)), l);
  return f32x4.neg(f32x4.add(f32x4.mul(y, pos), f32x4.mul(f32x4.sub(k(ONE), y), neg)));
}

/**
 * MultiLabelSoftMargin's input gradient from the element's upstream gradient g:
 * log_sigmoid_backward(x, -g y) - log_sigmoid_backward(-x, -g (1 - y)), sharing z = exp(-|x|) and
 * q = z / (1 + z); each term takes 1 - q where its argument is negative, else q.
 */
// @ts-ignore: decorator
@inline function multilabelSoftMarginGrad(x: v128, y: v128, g: v128): v128 {
  const towardPos = f32x4.mul(f32x4.neg(g), y);
  const towardNeg = f32x4.mul(f32x4.neg(g), f32x4.sub(k(ONE), y));
  const z = float32Of(EXP, f32x4.neg(f32x4.abs(x)));
  const q = f32x4.div(z, f32x4.add(k(ONE), z));
  const p = f32x4.sub(k(ONE), q);
  const a = v128.bitselect(p, q, f32x4.lt(x, k(ZERO)));
  const b = v128.bitselect(p, q, f32x4.gt(x, k(ZERO)));
  return f32x4.sub(f32x4.mul(a, towardPos), f32x4.mul(b, towardNeg));
}

/** SoftMarginLoss: log1p(exp(-x y)) (torch >= 2.0) or log(1 + exp(-x y)). */
// @ts-ignore: decorator
@inline function softMarginLoss(x: v128, y: v128, flags: i32): v128 {
  const e = float32Of(EXP, f32x4.mul(f32x4.neg(x), y));
  if (!(flags & USES_LOG1P)) return float32Of(LOG_GE1, f32x4.add(k(ONE), e));
  const l = float32Of(LOG1P, e);
  return flags & LOG1P_OVERFLOWS ? v128.bitselect(k(INF), l, f32x4.gt(e, k(OVERFLOW))) : l;
}

/** SoftMarginLoss' gradient: z = exp(-y x); y z (-norm) / (z + 1) * g. */
// @ts-ignore: decorator
@inline function softMarginGrad(x: v128, y: v128, g: v128, minusNorm: v128): v128 {
  const z = float32Of(EXP, f32x4.mul(f32x4.neg(y), x));
  return f32x4.mul(f32x4.div(f32x4.mul(f32x4.mul(y, z), minusNorm), f32x4.add(z, k(ONE))), g);
}

/** BCELoss before the weight: (y - 1) max(log1p(-x), -100) - y max(log(x), -100); pmax is std::max. */
// @ts-ignore: decorator
@inline function binaryCrossEntropyLoss(x: v128, y: v128): v128 {
  const logOneMinus = f32x4.pmax(float32Of(LOG1P, f32x4.neg(x)), k(LOG_FLOOR));
  const logX = f32x4.pmax(float32Of(LOG, x), k(LOG_FLOOR));
  return f32x4.sub(f32x4.mul(f32x4.sub(y, k(ONE)), logOneMinus), f32x4.mul(y, logX));
}

/** BCELoss' gradient before weight and 'mean': g (x - y) / max((1 - x) x, 1e-12). */
// @ts-ignore: decorator
@inline function binaryCrossEntropyGrad(x: v128, y: v128, g: v128): v128 {
  const denominator = f32x4.pmax(f32x4.mul(f32x4.sub(k(ONE), x), x), k(EPSILON));
  return f32x4.div(f32x4.mul(g, f32x4.sub(x, y)), denominator);
}

/** Kernel `op` on one vector; `e` holds the pre-pass's lanes (see prePass) for the ops that have one. */
// @ts-ignore: decorator
@inline function kernelLanes(op: i32, x: v128, e: v128, y: v128, a: v128, b: v128, c: v128, flags: i32, s: f32): v128 {
  const weighted = flags & HAS_WEIGHT;
  let v: v128;
  switch (op) {
    case BCE_WITH_LOGITS: v = bceWithLogitsLoss(x, e, y, b, flags); break;
    case BCE_WITH_LOGITS_GRAD: v = bceWithLogitsGrad(x, y, b, c, flags); break;
    case MULTILABEL_SOFT_MARGIN: v = multilabelSoftMarginLoss(x, e, y); break;
    case MULTILABEL_SOFT_MARGIN_GRAD: return multilabelSoftMarginGrad(x, y, weighted ? f32x4.mul(c, a) : c);
    case SOFT_MARGIN: return softMarginLoss(x, y, flags);
    case SOFT_MARGIN_GRAD: return softMarginGrad(x, y, c, f32x4.splat(s));
    case BINARY_CROSS_ENTROPY: v = binaryCrossEntropyLoss(x, y); break;
    default: v = binaryCrossEntropyGrad(x, y, c); break; // BINARY_CROSS_ENTROPY_GRAD
  }
  if (weighted) v = f32x4.mul(v, a);
  // the gradients' reduction == 'mean' division by the element count
  if (s != 0 && (op == BCE_WITH_LOGITS_GRAD || op == BINARY_CROSS_ENTROPY_GRAD)) v = f32x4.div(v, f32x4.splat(s));
  return v;
}

// ---- walking a chunk ----
// JS copies a chunk of `count` elements (flat index start ... start + count - 1 of a rows x classes
// tensor) of the input into module memory and calls a kernel, which first runs its pre-pass over
// the chunk (into `pre`, a chunk-sized area), then walks it as row segments. An
// operand (target, weight, pos_weight, gradOutput) is (ptr, rowStride, colStride, elemStride) in
// floats: the value for (row, col) at chunk offset i is at ptr + 4 * (row * rowStride +
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

/** Kernel `op` over `len` elements: x, pre and out contiguous, the operands stepping by 0 or 1. */
function segment(
  op: i32, x: usize, pre: usize, out: usize, len: i32,
  y: usize, yStep: i32, a: usize, aStep: i32, b: usize, bStep: i32, c: usize, cStep: i32, flags: i32, s: f32,
): void {
  const vectorEnd = len & ~3;
  for (let i = 0; i < vectorEnd; i += 4) {
    const at = <usize>i << 2;
    const v = kernelLanes(
      op, v128.load(x + at), v128.load(pre + at), lanes(y + at * <usize>yStep, yStep), lanes(a + at * <usize>aStep, aStep),
      lanes(b + at * <usize>bStep, bStep), lanes(c + at * <usize>cStep, cStep), flags, s,
    );
    v128.store(out + at, v);
  }
  const tail = len - vectorEnd;
  if (tail) {
    const at = <usize>vectorEnd << 2;
    const v = kernelLanes(
      op, stage(0, x + at, tail, 1), stage(5, pre + at, tail, 1), stage(1, y + at * <usize>yStep, tail, yStep), stage(2, a + at * <usize>aStep, tail, aStep),
      stage(3, b + at * <usize>bStep, tail, bStep), stage(4, c + at * <usize>cStep, tail, cStep), flags, s,
    );
    unstage(v, out + at, tail);
  }
}

/** The address of an operand's value for (row, col) at chunk offset i. */
// @ts-ignore: decorator
@inline function operandAt(ptr: usize, rowStride: i32, colStride: i32, elemStride: i32, row: i32, col: i32, i: i32): usize {
  return ptr + (<usize>(row * rowStride + col * colStride + i * elemStride) << 2);
}

/**
 * The exp(-|x|) of BCEWithLogits and MultiLabelSoftMargin, in a pass of its own over the chunk:
 * the loop that follows then holds fewer values at once (the forward is about 12% faster).
 */
function prePass(op: i32, x: usize, pre: usize, count: i32): void {
  if (op != BCE_WITH_LOGITS && op != MULTILABEL_SOFT_MARGIN) return;
  for (let i = 0; i < count; i += 4) {
    const at = <usize>i << 2;
    v128.store(pre + at, float32Of(EXP, f32x4.neg(f32x4.abs(v128.load(x + at)))));
  }
}

/** Kernel `op` on a chunk, one result per element into out. */
export function elementwise(
  op: i32, x: usize, pre: usize, out: usize, start: i32, count: i32, classes: i32,
  y: usize, yRow: i32, yCol: i32, yElem: i32, a: usize, aRow: i32, aCol: i32, aElem: i32,
  b: usize, bRow: i32, bCol: i32, bElem: i32, c: usize, cRow: i32, cCol: i32, cElem: i32, flags: i32, s: f32,
): void {
  prePass(op, x, pre, count);
  let row = start / classes;
  let col = start % classes;
  for (let i = 0; i < count; row++, col = 0) {
    const len = min(classes - col, count - i);
    const at = <usize>i << 2;
    segment(
      op, x + at, pre + at, out + at, len,
      operandAt(y, yRow, yCol, yElem, row, col, i), yCol | yElem, operandAt(a, aRow, aCol, aElem, row, col, i), aCol | aElem,
      operandAt(b, bRow, bCol, bElem, row, col, i), bCol | bElem, operandAt(c, cRow, cCol, cElem, row, col, i), cCol | cElem, flags, s,
    );
    i += len;
  }
}

/**
 * Kernel `op` on a chunk of whole rows, each row's results (in scratch) summed over the classes in
 * ATen's order and divided by the class count: one result per row into out.
 */
export function rowMeans(
  op: i32, x: usize, pre: usize, out: usize, start: i32, count: i32, classes: i32,
  y: usize, yRow: i32, yCol: i32, yElem: i32, a: usize, aRow: i32, aCol: i32, aElem: i32,
  b: usize, bRow: i32, bCol: i32, bElem: i32, c: usize, cRow: i32, cCol: i32, cElem: i32, flags: i32, s: f32, scratch: usize,
): void {
  prePass(op, x, pre, count);
  const firstRow = start / classes;
  const rows = count / classes;
  for (let r = 0; r < rows; r++) {
    const i = r * classes;
    const at = <usize>i << 2;
    const row = firstRow + r;
    segment(
      op, x + at, pre + at, scratch + at, classes,
      operandAt(y, yRow, yCol, yElem, row, 0, i), yCol | yElem, operandAt(a, aRow, aCol, aElem, row, 0, i), aCol | aElem,
      operandAt(b, bRow, bCol, bElem, row, 0, i), bCol | bElem, operandAt(c, cRow, cCol, cElem, row, 0, i), cCol | cElem, flags, s,
    );
    sumBegin(classes);
    store<f32>(out + (<usize>r << 2), sumChunk(scratch + at, classes) / <f32>classes);
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

/** The index of the first of `count` floats at ptr outside [0, 1] (NaN included), or -1: BCELoss' argument check. */
export function firstOutsideUnit(ptr: usize, count: i32): i32 {
  let i = 0;
  for (const vectorEnd = count & ~3; i < vectorEnd; i += 4) {
    const v = v128.load(ptr + (<usize>i << 2));
    if (!i32x4.all_true(v128.and(f32x4.ge(v, k(ZERO)), f32x4.le(v, k(ONE))))) break;
  }
  for (; i < count; i++) {
    const v = load<f32>(ptr + (<usize>i << 2));
    if (!(v >= 0 && v <= 1)) return i;
  }
  return -1;
}

/** The first byte JS may use for arrays: everything above the kernels' static data. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}
