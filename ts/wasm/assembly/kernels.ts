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
// Evaluated in float64 (two f64x2 halves per f32x4) to a relative error below 1e-10 and rounded
// once, so they return the correctly rounded float32 except within that of a rounding midpoint:
// `npm run verify:wasm-math` finds 20 of all 2.2e9 exp arguments, 6 of the 1.1e9 log1p arguments
// in [0, 1], 2408 of 2.1e9 log and 3106 of 3.2e9 log1p arguments rounded otherwise than V8's
// Math.exp / Math.log1p / Math.log, each a tie within 0.501 ULP.

// @ts-ignore: decorator
@inline function k64(at: usize): v128 {
  return v128.load64_splat(at);
}

const EXP_MAX: usize = memory.data<f32>([120]); // beyond +-120 float32 results are inf or 0 anyway
const EXP_MIN: usize = memory.data<f32>([-120]);
const SHIFTER: usize = memory.data<f64>([6755399441055744]); // 1.5 * 2^52: adding it rounds to an integer, kept in the low bits
const LOG2E_64: usize = memory.data<f64>([92.33248261689366]); // 64 / ln 2
const LN2_64: usize = memory.data<f64>([0.010830424696249145]); // ln 2 / 64
const SIX_BITS: usize = memory.data<i64>([63]);
// exp(r) = sum r^i / i!, i <= 4: truncation below 4e-14 for |r| <= ln 2 / 128
const EXP_C2: usize = memory.data<f64>([1 / 2.0]);
const EXP_C3: usize = memory.data<f64>([1 / 6.0]);
const EXP_C4: usize = memory.data<f64>([1 / 24.0]);
// 2^(j / 64), j = 0 ... 63, correctly rounded (from 60-digit decimals; the exp checks in
// test/wasm-kernels.test.ts and `npm run verify:wasm-math` visit every entry) ...
const EXP2_SIXTYFOURTHS: usize = memory.data<f64>([
  1.0, 1.0108892860517005, 1.0218971486541166, 1.0330248790212284,
  1.0442737824274138, 1.0556451783605572, 1.0671404006768237, 1.0787607977571199,
  1.0905077326652577, 1.102382583307841, 1.1143867425958924, 1.1265216186082418,
  1.1387886347566916, 1.1511892299529827, 1.1637248587775775, 1.1763969916502812,
  1.189207115002721, 1.202156731452703, 1.215247359980469, 1.22848053610687,
  1.241857812073484, 1.255380757024691, 1.2690509571917332, 1.2828700160787783,
  1.2968395546510096, 1.3109612115247644, 1.3252366431597413, 1.339667524053303,
  1.3542555469368927, 1.3690024229745905, 1.383909881963832, 1.3989796725383112,
  1.4142135623730951, 1.42961333839197, 1.4451808069770467, 1.460917794180647,
  1.4768261459394993, 1.4929077282912648, 1.5091644275934228, 1.5255981507445384,
  1.5422108254079407, 1.559004400237837, 1.5759808451078865, 1.593142151342267,
  1.6104903319492543, 1.6280274218573478, 1.645755478153965, 1.6636765803267364,
  1.681792830507429, 1.7001063537185235, 1.718619298122478, 1.7373338352737062,
  1.7562521603732995, 1.7753764925265212, 1.7947090750031072, 1.8142521755003989,
  1.8340080864093424, 1.8539791250833855, 1.8741676341103, 1.8945759815869656,
  1.9152065613971474, 1.9360617934922943, 1.9571441241754002, 1.978456026387951,
]);
// ... and with j << 46 taken off their bits, so that adding (64 n + j) << 46 multiplies by 2^n.
const EXP2_SCALED: usize = memory.data(64 * 8, 8);
for (let j: i64 = 0; j < 64; j++) {
  const at = EXP2_SIXTYFOURTHS + (<usize>j << 3);
  store<i64>(EXP2_SCALED + (<usize>j << 3), load<i64>(at) - (j << 46));
}

/**
 * exp of each f64 lane (|v| <= 120): v = (64 n + j) ln 2 / 64 + r, |r| <= ln 2 / 128, and
 * exp(v) = 2^n 2^(j / 64) exp(r) (Tang's method). n ln 2 / 64 is rounded once: below 2^-46 of
 * the result, like the truncation.
 */
// @ts-ignore: decorator
@inline function exp64(v: v128): v128 {
  const t = f64x2.add(f64x2.mul(v, k64(LOG2E_64)), k64(SHIFTER)); // 64 n + j in the low bits
  const r = f64x2.sub(v, f64x2.mul(f64x2.sub(t, k64(SHIFTER)), k64(LN2_64)));
  const j = v128.and(t, k64(SIX_BITS));
  let scale = v128.load64_zero(EXP2_SCALED + (<usize>i64x2.extract_lane(j, 0) << 3));
  scale = v128.load64_lane(EXP2_SCALED + (<usize>i64x2.extract_lane(j, 1) << 3), scale, 1);
  scale = i64x2.add(scale, i64x2.shl(t, 46));
  const r2 = f64x2.mul(r, r);
  const low = f64x2.add(k64(ONE64), r);
  const high = f64x2.add(k64(EXP_C2), f64x2.add(f64x2.mul(r, k64(EXP_C3)), f64x2.mul(r2, k64(EXP_C4))));
  return f64x2.mul(f64x2.add(low, f64x2.mul(r2, high)), scale);
}

// 2 atanh(u) = sum 2 u^(2i+1) / (2i + 1), i <= 5: relative truncation below 5e-11 for |u| <= 0.172
const ATANH_C: usize = memory.data<f64>([2, 2 / 3.0, 2 / 5.0, 2 / 7.0, 2 / 9.0, 2 / 11.0]);
const ZERO64: usize = memory.data<f64>([0]);
const ONE64: usize = memory.data<f64>([1]);
const HALF64: usize = memory.data<f64>([0.5]);
const TWO64: usize = memory.data<f64>([2]);
const LN2: usize = memory.data<f64>([0.6931471805599453]);
const SQRT2_M1: usize = memory.data<f64>([0.41421356237309503]);
const SQRT2: usize = memory.data<f64>([1.4142135623730951]);
const MANTISSA: usize = memory.data<i64>([0x000fffffffffffff]);
const ONE_BITS: usize = memory.data<i64>([0x3ff0000000000000]);
const EXPONENT_TO_FLOAT: usize = memory.data<i64>([0x4330000000000000]); // 2^52: an exponent field or-ed in is exact
const EXPONENT_OFFSET: usize = memory.data<f64>([4503599627371519]); // 2^52 + 1023
const INF64: usize = memory.data<f64>([Infinity]);
const NEG_INF64: usize = memory.data<f64>([-Infinity]);
const NAN64: usize = memory.data<f64>([NaN]);

// @ts-ignore: decorator
@inline function atanhC(i: i32): v128 {
  return k64(ATANH_C + (<usize>i << 3));
}

/** log1p(f) = 2 atanh(f / (2 + f)) for f in [sqrt 2 / 2 - 1, sqrt 2 - 1]. */
// @ts-ignore: decorator
@inline function log1pCore(f: v128): v128 {
  const u = f64x2.div(f, f64x2.add(k64(TWO64), f));
  const w = f64x2.mul(u, u);
  const w2 = f64x2.mul(w, w);
  const w4 = f64x2.mul(w2, w2);
  const q0 = f64x2.add(atanhC(0), f64x2.mul(w, atanhC(1)));
  const q1 = f64x2.add(atanhC(2), f64x2.mul(w, atanhC(3)));
  const q2 = f64x2.add(atanhC(4), f64x2.mul(w, atanhC(5)));
  return f64x2.mul(f64x2.add(f64x2.add(q0, f64x2.mul(q1, w2)), f64x2.mul(w4, q2)), u);
}

// log1p on [0, 1], by a table like exp's: with j = f * 128 rounded (0 ... 128) and inv the
// inverse of 1 + j / 128 rounded to 12 bits, log1p(f) = -log(inv) + log1p(r), where
// r = (1 + f) inv - 1 = f inv + (inv - 1) is exact (both terms are, and so is their sum: 36 bits)
// and |r| < 2^-8 + 2^-12; j = 0 has inv = 1, r = f. log1p(r) = r - r^2/2 + ... + r^5/5 leaves
// below 2^-42 of the result. No division (the atanh series' costs as much as the rest).
const LOG1P_C: usize = memory.data<f64>([-1 / 2.0, 1 / 3.0, -1 / 4.0, 1 / 5.0]);
/** {inv, -log(inv)} for j = 0 ... 255; j > 128 (only a NaN's bits give one) as j = 0. */
const LOG1P_TABLE: usize = memory.data(256 * 16, 16);
for (let j = 0; j < 256; j++) {
  const inv = j == 0 || j > 128 ? 1.0 : Math.round(4096 / (1 + j / 128.0)) / 4096;
  store<f64>(LOG1P_TABLE + (<usize>j << 4), inv);
  store<f64>(LOG1P_TABLE + (<usize>j << 4) + 8, -Math.log(inv));
}
const ONE_TWENTY_EIGHT: usize = memory.data<f32>([128]);
const ROUNDER: usize = memory.data<f32>([8388608]); // 2^23: adding it rounds to an integer, kept in the low bits
const BYTE: usize = memory.data<i32>([255]);

// @ts-ignore: decorator
@inline function log1pC(i: i32): v128 {
  return k64(LOG1P_C + (<usize>i << 3));
}

/** The byte offsets of four float32 lanes' table entries, f in [0, 1] (a NaN's is in the table too). */
// @ts-ignore: decorator
@inline function log1pOffsets(f: v128): v128 {
  return i32x4.shl(v128.and(f32x4.add(f32x4.mul(f, k(ONE_TWENTY_EIGHT)), k(ROUNDER)), k(BYTE)), 4);
}

/** log1p of two lanes f in [0, 1] (or NaN), given their table entries. */
// @ts-ignore: decorator
@inline function log1pUnit64(f: v128, entry0: v128, entry1: v128): v128 {
  const inv = v128.shuffle<i64>(entry0, entry1, 0, 2);
  const r = f64x2.add(f64x2.mul(f, inv), f64x2.sub(inv, k64(ONE64)));
  const r2 = f64x2.mul(r, r);
  const low = f64x2.add(r, f64x2.mul(r2, f64x2.add(log1pC(0), f64x2.mul(r, log1pC(1)))));
  const high = f64x2.mul(f64x2.mul(r2, r2), f64x2.add(log1pC(2), f64x2.mul(r, log1pC(3))));
  return f64x2.add(v128.shuffle<i64>(entry0, entry1, 1, 3), f64x2.add(low, high));
}

const ONE_TWENTY_EIGHT64: usize = memory.data<f64>([128]);
const FLOAT32_BIAS: usize = memory.data<i32>([127]);
const MANTISSA32: usize = memory.data<i32>([0x007fffff]);
const BYTE64: usize = memory.data<i64>([255]);

/**
 * log1p(a) for a >= 0 of float32 precision, by the same table: 1 + a = 2^k m, m in [1, 2),
 * log1p(a) = k ln 2 + log1p(m - 1), with m - 1 replaced by a itself below 2 (where 1 + a may
 * have rounded). inf and NaN, which the exponent field cannot take apart, are their own log1p.
 * No division, one polynomial (the general log1p takes both of log's and the series near 0).
 */
// @ts-ignore: decorator
@inline function log1pFromZero64(a: v128): v128 {
  const t = f64x2.add(k64(ONE64), a);
  const k = f64x2.sub(v128.or(i64x2.shr_u(t, 52), k64(EXPONENT_TO_FLOAT)), k64(EXPONENT_OFFSET));
  const fraction = f64x2.sub(v128.or(v128.and(t, k64(MANTISSA)), k64(ONE_BITS)), k64(ONE64));
  const f = v128.bitselect(a, fraction, f64x2.lt(t, k64(TWO64)));
  const at = i64x2.shl(v128.and(f64x2.add(f64x2.mul(f, k64(ONE_TWENTY_EIGHT64)), k64(SHIFTER)), k64(BYTE64)), 4);
  const e0 = v128.load(LOG1P_TABLE + <usize>i64x2.extract_lane(at, 0));
  const e1 = v128.load(LOG1P_TABLE + <usize>i64x2.extract_lane(at, 1));
  const log = f64x2.add(log1pUnit64(f, e0, e1), f64x2.mul(k, k64(LN2)));
  return v128.bitselect(a, log, v128.or(f64x2.eq(a, k64(INF64)), f64x2.ne(a, a)));
}

/**
 * log(t) for any t of float32 precision: t = 2^k m with m in [sqrt 2 / 2, sqrt 2), log t =
 * k ln 2 + log1p(m - 1), m - 1 exact; 0, inf and NaN (which the exponent field cannot take
 * apart) give -inf, inf and NaN, negative t NaN.
 */
// @ts-ignore: decorator
@inline function logAny64(t: v128): v128 {
  const exponent = f64x2.sub(v128.or(i64x2.shr_u(t, 52), k64(EXPONENT_TO_FLOAT)), k64(EXPONENT_OFFSET));
  const m1 = v128.or(v128.and(t, k64(MANTISSA)), k64(ONE_BITS)); // in [1, 2)
  const halve = f64x2.gt(m1, k64(SQRT2));
  const m = v128.bitselect(f64x2.mul(m1, k64(HALF64)), m1, halve);
  const n = f64x2.add(exponent, v128.and(halve, k64(ONE64)));
  const log = f64x2.add(log1pCore(f64x2.sub(m, k64(ONE64))), f64x2.mul(n, k64(LN2)));
  const withZero = v128.bitselect(k64(NEG_INF64), log, f64x2.eq(t, k64(ZERO64)));
  const withInfNaN = v128.bitselect(t, withZero, v128.or(f64x2.eq(t, k64(INF64)), f64x2.ne(t, t)));
  return v128.bitselect(k64(NAN64), withInfNaN, f64x2.lt(t, k64(ZERO64)));
}

/** log1p(a) for any a >= -1 of float32 precision: the series near 0, else log(1 + a) (1 + a exact unless a is huge). */
// @ts-ignore: decorator
@inline function log1pAny64(a: v128): v128 {
  const near = v128.and(f64x2.gt(a, k64(SQRT2_M1_NEG)), f64x2.le(a, k64(SQRT2_M1)));
  return v128.bitselect(log1pCore(a), logAny64(f64x2.add(k64(ONE64), a)), near);
}
const SQRT2_M1_NEG: usize = memory.data<f64>([-0.2928932188134524]); // sqrt 2 / 2 - 1

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
/** log on [1, inf]: SoftMarginLoss' log(1 + e) before torch 2.0. */
const LOG_GE1 = 4;
/** log1p on [0, inf]: SoftMarginLoss' log1p(e) from torch 2.0. */
const LOG1P_GE0 = 5;

/** float32(f(x)) of each lane, f evaluated in float64. */
// @ts-ignore: decorator
@inline function float32Of(fn: i32, x: v128): v128 {
  if (fn == EXP) x = f32x4.pmax(f32x4.pmin(x, k(EXP_MAX)), k(EXP_MIN)); // NaN stays NaN
  const lo = f64x2.promote_low_f32x4(x);
  const hi = f64x2.promote_low_f32x4(highHalf(x));
  if (fn == EXP) return joinHalves(f32x4.demote_f64x2_zero(exp64(lo)), f32x4.demote_f64x2_zero(exp64(hi)));
  if (fn == LOG1P_UNIT) {
    const at = log1pOffsets(x);
    const e0 = v128.load(LOG1P_TABLE + <usize>i32x4.extract_lane(at, 0));
    const e1 = v128.load(LOG1P_TABLE + <usize>i32x4.extract_lane(at, 1));
    const e2 = v128.load(LOG1P_TABLE + <usize>i32x4.extract_lane(at, 2));
    const e3 = v128.load(LOG1P_TABLE + <usize>i32x4.extract_lane(at, 3));
    return joinHalves(f32x4.demote_f64x2_zero(log1pUnit64(lo, e0, e1)), f32x4.demote_f64x2_zero(log1pUnit64(hi, e2, e3)));
  }
  if (fn == LOG) return joinHalves(f32x4.demote_f64x2_zero(logAny64(lo)), f32x4.demote_f64x2_zero(logAny64(hi)));
  if (fn == LOG_GE1) {
    // t = 2^exponent m, m in [1, 2): log t = exponent ln 2 + log1p(m - 1), m - 1 exact; inf and NaN are their own log
    const exponent = i32x4.sub(i32x4.shr_u(x, 23), k(FLOAT32_BIAS));
    const f = f32x4.sub(v128.or(v128.and(x, k(MANTISSA32)), k(ONE)), k(ONE));
    const at = log1pOffsets(f);
    const e0 = v128.load(LOG1P_TABLE + <usize>i32x4.extract_lane(at, 0));
    const e1 = v128.load(LOG1P_TABLE + <usize>i32x4.extract_lane(at, 1));
    const e2 = v128.load(LOG1P_TABLE + <usize>i32x4.extract_lane(at, 2));
    const e3 = v128.load(LOG1P_TABLE + <usize>i32x4.extract_lane(at, 3));
    const loLog = f64x2.add(log1pUnit64(f64x2.promote_low_f32x4(f), e0, e1), f64x2.mul(f64x2.convert_low_i32x4_s(exponent), k64(LN2)));
    const hiLog = f64x2.add(log1pUnit64(f64x2.promote_low_f32x4(highHalf(f)), e2, e3), f64x2.mul(f64x2.convert_low_i32x4_s(highHalf(exponent)), k64(LN2)));
    return v128.bitselect(x, joinHalves(f32x4.demote_f64x2_zero(loLog), f32x4.demote_f64x2_zero(hiLog)), v128.or(f32x4.eq(x, k(INF)), f32x4.ne(x, x)));
  }
  if (fn == LOG1P_GE0) return joinHalves(f32x4.demote_f64x2_zero(log1pFromZero64(lo)), f32x4.demote_f64x2_zero(log1pFromZero64(hi)));
  return joinHalves(f32x4.demote_f64x2_zero(log1pAny64(lo)), f32x4.demote_f64x2_zero(log1pAny64(hi)));
}

/** For `npm run verify:wasm-math` and the tests: out[i] = f(input[i]) for f = EXP ... LOG1P_GE0; n a multiple of 4. */
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
      case LOG_GE1: result = float32Of(LOG_GE1, v); break;
      default: result = float32Of(LOG1P_GE0, v); break;
    }
    v128.store(out + at, result);
  }
}

// ---- the losses, one vector of lanes at a time ----
// Formulas and the torch source they mirror: ../../losses/<stem>.ts. y is the target; a, b, c
// are the kernel's operands (see OPS below); s a scalar.

export const HAS_WEIGHT = 1;
export const HAS_POS_WEIGHT = 2;
/** BCEWithLogits, torch >= 2.3: built on log_sigmoid; before, on max_val and log(exp(-m) + exp(-x - m)). */
export const USES_LOG_SIGMOID = 4;
/** SoftMarginLoss, torch >= 2.0: log1p(exp(-x y)); before, log(1 + exp(-x y)). */
export const USES_LOG1P = 8;
/** SoftMarginLoss: the vectorized log1p is SLEEF's before 3.8, inf above 1e38 (torch 2.0 - 2.7, not 'default'). */
export const LOG1P_OVERFLOWS = 16;

// The kernels (`op`), with their operands:
export const BCE_WITH_LOGITS = 0; // a weight, b pos_weight
export const BCE_WITH_LOGITS_GRAD = 1; // a weight, b pos_weight, c gradOutput, s the divisor for 'mean' (else 0)
export const MULTILABEL_SOFT_MARGIN = 2; // a weight (per element, before the class sum)
export const MULTILABEL_SOFT_MARGIN_GRAD = 3; // a weight, c the sample's gradient / C
export const SOFT_MARGIN = 4;
export const SOFT_MARGIN_GRAD = 5; // c gradOutput, s -norm
export const BINARY_CROSS_ENTROPY = 6; // a weight
export const BINARY_CROSS_ENTROPY_GRAD = 7; // a weight, c gradOutput, s the divisor for 'mean' (else 0)

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
  const l = float32Of(LOG1P_GE0, e);
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

/** The first byte JS may use for arrays: everything above the kernels' static data. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}
