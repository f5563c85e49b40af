// wasm-variant: fma
// AssemblyScript, compiled by `npm run build:wasm` into ../kernels-binary.ts (and, with relaxed SIMD,
// ../kernels-fma-binary.ts: the line above asks for it): the float32 hot loops
// of the ports as WebAssembly SIMD. Each f32x4 operation is one float32 tensor op of ATen's, in
// ATen's order, so every lane rounds where torch rounds; the formulas, and the torch source they
// mirror, are documented in ../../losses/*.ts, whose JS loops compute the same ops (for float64,
// and as the reference these kernels are tested against).
//
// Constants are loaded from memory (v128.load32_splat, one instruction): V8 rebuilds a v128.const
// inside a loop with three instructions at every use, which cost a third of the exp's time.
//
// The memory starts at 4 MiB (lazily backed by the OS): a call's chunks (8192 floats an operand) and placed operands up to ~3.5 MB
// never grow it. A grow detaches the old buffer, which slows every JS typed-array loop of the
// process from then on (V8's detach protector; ../../../scripts/build-wasm.ts).
// wasm-initial-pages: 64

import { FP_SEEDS, fingerprintFold, fpStep, rowFpA, rowFpB } from './lib/fingerprint';

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

// ---- SLEEF's expf / logf (u10) and glibc's expf / logf, bit for bit ----
// The float32 exp and log of ATen's vectorized kernels (SLEEF under avx2 / avx512) and of its
// scalar code and 'default' build (glibc), as ../../libm.ts ports them: the same operations in the
// same order, so every lane returns exactly what the JS functions (and the libraries) return.
// SLEEF's fused multiply-adds (vfmadd*ps) have no baseline WebAssembly counterpart: each is
// a * b + c in float64 (the product of two float32 values is exact there), rounded to float64 and
// then once to float32. That rounds twice, which could only differ from one rounding where the
// float64 sum falls exactly on a float32 midpoint without being exact; a C harness compared this
// emulation with the hardware FMA and with Debian's libsleef 3.5.1 (Sleef_expf8_u10 /
// Sleef_logf8_u10) over all 2^32 float32 arguments of each function: identical everywhere. The
// two FMAs whose product is exact in float32 (q * L2U and E0 * s, checked the same way, every
// argument) are a float32 multiply and add. glibc's expf / logf compute in double and round once,
// as f64x2 does here.

/** Two f64 lanes rounded to float32 and back: a float32 op's result held as float64. */
// @ts-ignore: decorator
@inline function r32(v: v128): v128 {
  return f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(v));
}

/** The low / high two float32 lanes as float64 lanes (exact). */
// @ts-ignore: decorator
@inline function low64(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}
// @ts-ignore: decorator
@inline function high64(v: v128): v128 {
  return f64x2.promote_low_f32x4(highHalf(v));
}

/** Four float32 lanes from two float64 halves (each rounded once). */
// @ts-ignore: decorator
@inline function join64(lo: v128, hi: v128): v128 {
  return joinHalves(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi));
}

/** fmaf(a, b, c) of float32 values held in f64 lanes, as float64 (round with r32 or join64). */
// @ts-ignore: decorator
@inline function fma64(a: v128, b: v128, c: v128): v128 {
  return f64x2.add(f64x2.mul(a, b), c);
}

const SLEEF_R_LN2F: usize = memory.data<f32>([1.4426950216293335]); // 0x3fb8aa3b
const SLEEF_MINUS_L2UF: usize = memory.data<f32>([-0.693145751953125]); // -0x3f317200
const SLEEF_MINUS_L2LF: usize = memory.data<f64>([-0.000001428606765330187]); // -0x35bfbe8e
/** E0 (float32), then E1 ... E4 and 0.5 as float64. */
const SLEEF_E0: usize = memory.data<f32>([0.00019852761761285365]);
const SLEEF_E: usize = memory.data<f64>([0.00019852761761285365, 0.0013930435525253415, 0.008333360776305199, 0.041666485369205475, 0.1666666716337204, 0.5]);
const SLEEF_EXP_LOW: usize = memory.data<f32>([-104]);
const SLEEF_EXP_HIGH: usize = memory.data<f32>([100]);

// @ts-ignore: decorator
@inline function sleefE(i: i32): v128 {
  return k64(SLEEF_E + (<usize>i << 3));
}

// The FMAs u = fma(u, s, E_i), i = 1 ... 4, rounded once, in two float64 additions. Over every
// argument (|s| <= 0.3466), u s + E_i lies in E_i's binade [2^e, 2^(e+1)): [0.00132, 0.00146],
// [0.00782, 0.00884], [0.0386, 0.0447], [0.151, 0.183] (e = -10, -7, -5, -3), where float32's step
// is 2^(e-23). With C_i = 1.5 * 2^(e+29) (the sum's float64 step is then 2^(e-23) too, and C_i an
// even multiple of it), u s + (E_i + C_i) rounds the exact fma (u s is exact in float64, E_i + C_i
// is exact: 53 bits) once to float32's step, ties to even, as the hardware FMA does, and
// subtracting C_i is exact. (E_5 = 0.5 is a binade boundary, u5 lies on both sides: r32 there.)
/** E_i + C_i, then C_i, for i = 1 ... 4. */
const SLEEF_E_ROUNDED: usize = memory.data<f64>([
  786432.0013930436, 786432, 6291456.008333361, 6291456, 25165824.041666485, 25165824, 100663296.16666667, 100663296,
]);

/** fma(u, s, E_i) rounded to float32, for i = 1 ... 4 (u, s float32 values in float64 lanes). */
// @ts-ignore: decorator
@inline function sleefExpStep(u: v128, s: v128, i: i32): v128 {
  const at = SLEEF_E_ROUNDED + (<usize>(i - 1) << 4);
  return f64x2.sub(f64x2.add(f64x2.mul(u, s), k64(at)), k64(at + 8));
}

/** The SLEEF expf polynomial of one half: s0 = d - q L2U (float64 lanes) to the unrounded fma of s + s^2 u. */
// @ts-ignore: decorator
@inline function sleefExpHalf(q: v128, s0: v128): v128 {
  const s = r32(fma64(q, k64(SLEEF_MINUS_L2LF), s0));
  let u = sleefExpStep(sleefE(0), s, 1);
  u = sleefExpStep(u, s, 2);
  u = sleefExpStep(u, s, 3);
  u = sleefExpStep(u, s, 4);
  u = r32(fma64(u, s, sleefE(5)));
  return fma64(r32(f64x2.mul(s, s)), u, s);
}

const ROUNDER23: usize = memory.data<f32>([12582912]); // 1.5 * 2^23: adding it rounds |v| < 2^22 to an integer (ties even), kept in the low bits

/** SLEEF's q = rint(d / ln 2) (through the rounder, exact for |d| <= 2^21: the lanes past +-104 are replaced at the end) and ldexp's 2^(q >> 1), 2^(q - (q >> 1)). */
// @ts-ignore: decorator
@inline function sleefExpScale(u: v128, t: v128): v128 {
  const qi = i32x4.sub(t, k(ROUNDER23));
  const h = i32x4.shr_s(qi, 1);
  u = f32x4.mul(u, i32x4.shl(i32x4.add(h, k(FLOAT32_BIAS)), 23));
  return f32x4.mul(u, i32x4.shl(i32x4.add(i32x4.sub(qi, h), k(FLOAT32_BIAS)), 23));
}

/** SLEEF's range cases: above 100 inf, below -104 (and -inf) +0, NaN itself. */
// @ts-ignore: decorator
@inline function sleefExpRange(u: v128, d: v128): v128 {
  u = v128.bitselect(k(INF), u, f32x4.gt(d, k(SLEEF_EXP_HIGH)));
  return v128.bitselect(u, v128.bitselect(d, k(ZERO), f32x4.ne(d, d)), f32x4.ge(d, k(SLEEF_EXP_LOW)));
}

/**
 * SLEEF xexpf (Sleef_expf8_u10) of four float32 lanes: ../../libm.ts sleefExpf. `direct`: the
 * caller knows every lane lies in [-87, 88] (see sleefExp32Fused): u 2^q in one multiply, none of
 * the range cases (the same floats).
 */
// @ts-ignore: decorator
@inline function sleefExp32(d: v128, direct: bool = false): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return sleefExp32Fused(d, direct);
  const t = f32x4.add(f32x4.mul(d, k(SLEEF_R_LN2F)), k(ROUNDER23));
  const q = f32x4.sub(t, k(ROUNDER23));
  const s0 = f32x4.add(f32x4.mul(q, k(SLEEF_MINUS_L2UF)), d);
  const lo = sleefExpHalf(low64(q), low64(s0));
  const hi = sleefExpHalf(high64(q), high64(s0));
  if (direct) return f32x4.mul(f32x4.add(k(ONE), join64(lo, hi)), sleefTwoToQ(t));
  return sleefExpRange(sleefExpScale(f32x4.add(k(ONE), join64(lo, hi)), t), d);
}

/** 127 less ROUNDER23's bits (0x4b400000): t's bits plus this are q + 127 (i32 arithmetic wraps alike). */
const TWO_TO_Q_BIAS: usize = memory.data<i32>([-1262485377]);

/** 2^q as float32 lanes, for q = rint(d / ln 2) in [-126, 127] (held in t's low bits, as sleefExpScale reads it): (q + 127) << 23. */
// @ts-ignore: decorator
@inline function sleefTwoToQ(t: v128): v128 {
  return i32x4.shl(i32x4.add(t, k(TWO_TO_Q_BIAS)), 23);
}

/** sleefExp32, not inlined (one copy: MultiLabelSoftMargin's backward, where the bundle's size counts more than a call). */
function sleefExp32Call(d: v128): v128 {
  return sleefExp32(d);
}

/** sleefExp32 of a second vector, set by sleefExpPair. */
let expPairSecond: v128 = f32x4.splat(0);

/**
 * sleefExp32 of two vectors at once, the four float64 halves' chains interleaved (each step waits
 * on the one before: four chains in flight keep the multiplier busy); returns the first, the second
 * in expPairSecond.
 */
// @ts-ignore: decorator
@inline function sleefExpPair(d: v128, e: v128, direct: bool = false): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return sleefExpPairFused(d, e, direct);
  const td = f32x4.add(f32x4.mul(d, k(SLEEF_R_LN2F)), k(ROUNDER23));
  const te = f32x4.add(f32x4.mul(e, k(SLEEF_R_LN2F)), k(ROUNDER23));
  const qd = f32x4.sub(td, k(ROUNDER23));
  const qe = f32x4.sub(te, k(ROUNDER23));
  const sd = f32x4.add(f32x4.mul(qd, k(SLEEF_MINUS_L2UF)), d);
  const se = f32x4.add(f32x4.mul(qe, k(SLEEF_MINUS_L2UF)), e);
  const l2l = k64(SLEEF_MINUS_L2LF);
  const s0 = r32(fma64(low64(qd), l2l, low64(sd)));
  const s1 = r32(fma64(high64(qd), l2l, high64(sd)));
  const s2 = r32(fma64(low64(qe), l2l, low64(se)));
  const s3 = r32(fma64(high64(qe), l2l, high64(se)));
  const e0 = sleefE(0);
  let u0 = sleefExpStep(e0, s0, 1);
  let u1 = sleefExpStep(e0, s1, 1);
  let u2 = sleefExpStep(e0, s2, 1);
  let u3 = sleefExpStep(e0, s3, 1);
  // written out: binaryen leaves a `for` over the steps a loop (V8 then runs it with its stack checks)
  u0 = sleefExpStep(u0, s0, 2);
  u1 = sleefExpStep(u1, s1, 2);
  u2 = sleefExpStep(u2, s2, 2);
  u3 = sleefExpStep(u3, s3, 2);
  u0 = sleefExpStep(u0, s0, 3);
  u1 = sleefExpStep(u1, s1, 3);
  u2 = sleefExpStep(u2, s2, 3);
  u3 = sleefExpStep(u3, s3, 3);
  u0 = sleefExpStep(u0, s0, 4);
  u1 = sleefExpStep(u1, s1, 4);
  u2 = sleefExpStep(u2, s2, 4);
  u3 = sleefExpStep(u3, s3, 4);
  const c = sleefE(5);
  u0 = r32(fma64(u0, s0, c));
  u1 = r32(fma64(u1, s1, c));
  u2 = r32(fma64(u2, s2, c));
  u3 = r32(fma64(u3, s3, c));
  const w0 = fma64(r32(f64x2.mul(s0, s0)), u0, s0);
  const w1 = fma64(r32(f64x2.mul(s1, s1)), u1, s1);
  const w2 = fma64(r32(f64x2.mul(s2, s2)), u2, s2);
  const w3 = fma64(r32(f64x2.mul(s3, s3)), u3, s3);
  if (direct) {
    expPairSecond = f32x4.mul(f32x4.add(k(ONE), join64(w2, w3)), sleefTwoToQ(te));
    return f32x4.mul(f32x4.add(k(ONE), join64(w0, w1)), sleefTwoToQ(td));
  }
  expPairSecond = sleefExpRange(sleefExpScale(f32x4.add(k(ONE), join64(w2, w3)), te), e);
  return sleefExpRange(sleefExpScale(f32x4.add(k(ONE), join64(w0, w1)), td), d);
}

const SLEEF_TWO64: usize = memory.data<f32>([1.8446744073709552e19]) // 2^64;
const SLEEF_INV075: usize = memory.data<f32>([1.3333333730697632]); // fround(1 / 0.75)
const SIXTY_FOUR: usize = memory.data<i32>([64]);
const SLEEF_LN2_HI: usize = memory.data<f32>([0.6931471824645996]); // 0x3f317218
/** LN2_HI, LN2_LO, L0, L1, L2 as float64. */
const SLEEF_LOG: usize = memory.data<f64>([0.6931471824645996, -1.9046542121259336e-9, 0.3027294874191284, 0.39961081743240356, 0.666669487953186]);

/** 1.5 * 2^27: adding and subtracting it rounds float64 values in [1/4, 1/2) to float32's step there. */
const SLEEF_LOG_ROUNDER: usize = memory.data<f64>([201326592]);

// @ts-ignore: decorator
@inline function sleefL(i: i32): v128 {
  return k64(SLEEF_LOG + (<usize>i << 3));
}

/** SLEEF xlogf_u1 (Sleef_logf8_u10) of four float32 lanes: ../../libm.ts sleefLogf. */
// @ts-ignore: decorator
@inline function sleefLog32(d0: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return sleefLog32Fused(d0);
  const o = f32x4.lt(d0, k(SMALLEST_NORMAL));
  const d = v128.bitselect(f32x4.mul(d0, k(SLEEF_TWO64)), d0, o);
  let e = i32x4.sub(v128.and(i32x4.shr_u(f32x4.mul(d, k(SLEEF_INV075)), 23), k(BYTE)), k(FLOAT32_BIAS));
  const m = i32x4.add(d, i32x4.shl(i32x4.neg(e), 23));
  e = i32x4.sub(e, v128.and(o, k(SIXTY_FOUR)));
  const ef = f32x4.convert_i32x4_s(e);
  const sx0 = f32x4.mul(k(SLEEF_LN2_HI), ef);
  // n = dfadd2(-1, m): nx = -1 + m is exact for m in [0.75, 1.5) (Sterbenz), so its low part ny is
  // +0 (the JS computes (-1 - (nx - (nx + 1))) + (m - (nx + 1)) = +0 + +0), and fma(ny, t, u) below is
  // u (u, the error of t * nx, is never -0): both left out. dd = dfadd2(1, m).
  // (Other lanes, d <= 0, inf, NaN, are replaced at the end.)
  const nx = f32x4.add(k(MINUS_ONE), m);
  const dx = f32x4.add(k(ONE), m);
  const v = f32x4.sub(dx, k(ONE));
  const dy = f32x4.add(f32x4.sub(k(ONE), f32x4.sub(dx, v)), f32x4.sub(m, v));
  const t = f32x4.div(k(ONE), dx);
  const xx = f32x4.mul(nx, t);
  const x2 = f32x4.mul(xx, xx);
  // the FMAs, in float64 halves
  const efL = low64(ef), efH = high64(ef);
  // Three inner FMAs are exact, their float32 rounding a no-op, left out: LN2_HI ef - sx0 and
  // t nx - xx are the errors of float32 products, 1 - dx t the remainder of t = 1 / dx rounded
  // (each a float32; over every argument the results equal ../../libm.ts's).
  const syL = fma64(sleefL(1), efL, f64x2.sub(f64x2.mul(sleefL(0), efL), low64(sx0)));
  const syH = fma64(sleefL(1), efH, f64x2.sub(f64x2.mul(sleefL(0), efH), high64(sx0)));
  const tL = low64(t), tH = high64(t), nxL = low64(nx), nxH = high64(nx), xxL = low64(xx), xxH = high64(xx);
  const uL = f64x2.sub(f64x2.mul(tL, nxL), xxL);
  const uH = f64x2.sub(f64x2.mul(tH, nxH), xxH);
  // fma(-dy, t, fma(-dx, t, 1)) as w0 - dy t, w0 = 1 - dx t (the same float64 values: negation is exact)
  const wL = r32(f64x2.sub(f64x2.sub(k64(ONE64), f64x2.mul(low64(dx), tL)), f64x2.mul(low64(dy), tL)));
  const wH = r32(f64x2.sub(f64x2.sub(k64(ONE64), f64x2.mul(high64(dx), tH)), f64x2.mul(high64(dy), tH)));
  const xyL = fma64(xxL, wL, uL);
  const xyH = fma64(xxH, wH, uH);
  const x2L = low64(x2), x2H = high64(x2);
  // L0 x2 + L1 lies in [0.3996, 0.4119] (x2 <= 0.041), one binade, [1/4, 1/2): adding and
  // subtracting 1.5 * 2^27 rounds to float32's step there, ties to even, as r32 does, in two additions
  const pL = fma64(f64x2.sub(f64x2.add(fma64(sleefL(2), x2L, sleefL(3)), k64(SLEEF_LOG_ROUNDER)), k64(SLEEF_LOG_ROUNDER)), x2L, sleefL(4));
  const pH = fma64(f64x2.sub(f64x2.add(fma64(sleefL(2), x2H, sleefL(3)), k64(SLEEF_LOG_ROUNDER)), k64(SLEEF_LOG_ROUNDER)), x2H, sleefL(4));
  let sy = join64(syL, syH);
  const xy = join64(xyL, xyH);
  const p = join64(pL, pH);
  // s = dfadd(s, dfscale(x, 2)); s = dfadd(s, x2 * x * p)
  const ax = f32x4.mul(xx, k(TWO));
  const ay = f32x4.mul(xy, k(TWO));
  let ss = f32x4.add(sx0, ax);
  sy = f32x4.add(f32x4.add(f32x4.add(f32x4.sub(sx0, ss), ax), sy), ay);
  const sx = ss;
  const b = f32x4.mul(f32x4.mul(x2, xx), p);
  ss = f32x4.add(sx, b);
  sy = f32x4.add(f32x4.add(f32x4.sub(sx, ss), b), sy);
  let r = f32x4.add(ss, sy);
  r = v128.bitselect(k(INF), r, f32x4.eq(d, k(INF)));
  r = v128.bitselect(k(NAN), r, v128.or(f32x4.lt(d, k(ZERO)), f32x4.ne(d, d)));
  return v128.bitselect(k(NEG_INF), r, f32x4.eq(d, k(ZERO)));
}

/**
 * sleefLog32's special lanes of two vectors r (lanes d): +inf itself, below 0 and NaN NaN, 0 -inf;
 * `fromOne` (every lane >= 1 or NaN) only inf and NaN. Returns the first, the second in logPairSecond.
 */
// @ts-ignore: decorator
@inline function sleefLogPairEnds(rA: v128, rB: v128, dA: v128, dB: v128, fromOne: bool): v128 {
  rA = v128.bitselect(k(INF), rA, f32x4.eq(dA, k(INF)));
  rB = v128.bitselect(k(INF), rB, f32x4.eq(dB, k(INF)));
  if (fromOne) {
    logPairSecond = v128.bitselect(k(NAN), rB, f32x4.ne(dB, dB));
    return v128.bitselect(k(NAN), rA, f32x4.ne(dA, dA));
  }
  rA = v128.bitselect(k(NAN), rA, v128.or(f32x4.lt(dA, k(ZERO)), f32x4.ne(dA, dA)));
  rB = v128.bitselect(k(NAN), rB, v128.or(f32x4.lt(dB, k(ZERO)), f32x4.ne(dB, dB)));
  logPairSecond = v128.bitselect(k(NEG_INF), rB, f32x4.eq(dB, k(ZERO)));
  return v128.bitselect(k(NEG_INF), rA, f32x4.eq(dA, k(ZERO)));
}

/** sleefLog32 of a second vector, set by sleefLogPair. */
let logPairSecond: v128 = f32x4.splat(0);

/** sleefLog32 of two vectors, sleefLog32's statements for each in turn (A, B): the first returned, the second in logPairSecond. */
// @ts-ignore: decorator
@inline function sleefLogPair(d0A: v128, d0B: v128, fromOne: bool = false): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return sleefLogPairFused(d0A, d0B, fromOne);
  // fromOne: no lane below FLT_MIN (o all false: no rescale), none <= 0
  const oA = f32x4.lt(d0A, k(SMALLEST_NORMAL));
  const oB = f32x4.lt(d0B, k(SMALLEST_NORMAL));
  const dA = fromOne ? d0A : v128.bitselect(f32x4.mul(d0A, k(SLEEF_TWO64)), d0A, oA);
  const dB = fromOne ? d0B : v128.bitselect(f32x4.mul(d0B, k(SLEEF_TWO64)), d0B, oB);
  let eA = i32x4.sub(v128.and(i32x4.shr_u(f32x4.mul(dA, k(SLEEF_INV075)), 23), k(BYTE)), k(FLOAT32_BIAS));
  let eB = i32x4.sub(v128.and(i32x4.shr_u(f32x4.mul(dB, k(SLEEF_INV075)), 23), k(BYTE)), k(FLOAT32_BIAS));
  const mA = i32x4.add(dA, i32x4.shl(i32x4.neg(eA), 23));
  const mB = i32x4.add(dB, i32x4.shl(i32x4.neg(eB), 23));
  if (!fromOne) {
    eA = i32x4.sub(eA, v128.and(oA, k(SIXTY_FOUR)));
    eB = i32x4.sub(eB, v128.and(oB, k(SIXTY_FOUR)));
  }
  const efA = f32x4.convert_i32x4_s(eA);
  const efB = f32x4.convert_i32x4_s(eB);
  const sx0A = f32x4.mul(k(SLEEF_LN2_HI), efA);
  const sx0B = f32x4.mul(k(SLEEF_LN2_HI), efB);
  const nxA = f32x4.add(k(MINUS_ONE), mA);
  const nxB = f32x4.add(k(MINUS_ONE), mB);
  const dxA = f32x4.add(k(ONE), mA);
  const dxB = f32x4.add(k(ONE), mB);
  const vA = f32x4.sub(dxA, k(ONE));
  const vB = f32x4.sub(dxB, k(ONE));
  const dyA = f32x4.add(f32x4.sub(k(ONE), f32x4.sub(dxA, vA)), f32x4.sub(mA, vA));
  const dyB = f32x4.add(f32x4.sub(k(ONE), f32x4.sub(dxB, vB)), f32x4.sub(mB, vB));
  const tA = f32x4.div(k(ONE), dxA);
  const tB = f32x4.div(k(ONE), dxB);
  const xxA = f32x4.mul(nxA, tA);
  const xxB = f32x4.mul(nxB, tB);
  const x2A = f32x4.mul(xxA, xxA);
  const x2B = f32x4.mul(xxB, xxB);
  const efLA = low64(efA), efHA = high64(efA);
  const efLB = low64(efB), efHB = high64(efB);
  const syLA = fma64(sleefL(1), efLA, f64x2.sub(f64x2.mul(sleefL(0), efLA), low64(sx0A)));
  const syLB = fma64(sleefL(1), efLB, f64x2.sub(f64x2.mul(sleefL(0), efLB), low64(sx0B)));
  const syHA = fma64(sleefL(1), efHA, f64x2.sub(f64x2.mul(sleefL(0), efHA), high64(sx0A)));
  const syHB = fma64(sleefL(1), efHB, f64x2.sub(f64x2.mul(sleefL(0), efHB), high64(sx0B)));
  const tLA = low64(tA), tHA = high64(tA), nxLA = low64(nxA), nxHA = high64(nxA), xxLA = low64(xxA), xxHA = high64(xxA);
  const tLB = low64(tB), tHB = high64(tB), nxLB = low64(nxB), nxHB = high64(nxB), xxLB = low64(xxB), xxHB = high64(xxB);
  const uLA = f64x2.sub(f64x2.mul(tLA, nxLA), xxLA);
  const uLB = f64x2.sub(f64x2.mul(tLB, nxLB), xxLB);
  const uHA = f64x2.sub(f64x2.mul(tHA, nxHA), xxHA);
  const uHB = f64x2.sub(f64x2.mul(tHB, nxHB), xxHB);
  const wLA = r32(f64x2.sub(f64x2.sub(k64(ONE64), f64x2.mul(low64(dxA), tLA)), f64x2.mul(low64(dyA), tLA)));
  const wLB = r32(f64x2.sub(f64x2.sub(k64(ONE64), f64x2.mul(low64(dxB), tLB)), f64x2.mul(low64(dyB), tLB)));
  const wHA = r32(f64x2.sub(f64x2.sub(k64(ONE64), f64x2.mul(high64(dxA), tHA)), f64x2.mul(high64(dyA), tHA)));
  const wHB = r32(f64x2.sub(f64x2.sub(k64(ONE64), f64x2.mul(high64(dxB), tHB)), f64x2.mul(high64(dyB), tHB)));
  const xyLA = fma64(xxLA, wLA, uLA);
  const xyLB = fma64(xxLB, wLB, uLB);
  const xyHA = fma64(xxHA, wHA, uHA);
  const xyHB = fma64(xxHB, wHB, uHB);
  const x2LA = low64(x2A), x2HA = high64(x2A);
  const x2LB = low64(x2B), x2HB = high64(x2B);
  const pLA = fma64(f64x2.sub(f64x2.add(fma64(sleefL(2), x2LA, sleefL(3)), k64(SLEEF_LOG_ROUNDER)), k64(SLEEF_LOG_ROUNDER)), x2LA, sleefL(4));
  const pLB = fma64(f64x2.sub(f64x2.add(fma64(sleefL(2), x2LB, sleefL(3)), k64(SLEEF_LOG_ROUNDER)), k64(SLEEF_LOG_ROUNDER)), x2LB, sleefL(4));
  const pHA = fma64(f64x2.sub(f64x2.add(fma64(sleefL(2), x2HA, sleefL(3)), k64(SLEEF_LOG_ROUNDER)), k64(SLEEF_LOG_ROUNDER)), x2HA, sleefL(4));
  const pHB = fma64(f64x2.sub(f64x2.add(fma64(sleefL(2), x2HB, sleefL(3)), k64(SLEEF_LOG_ROUNDER)), k64(SLEEF_LOG_ROUNDER)), x2HB, sleefL(4));
  let syA = join64(syLA, syHA);
  let syB = join64(syLB, syHB);
  const xyA = join64(xyLA, xyHA);
  const xyB = join64(xyLB, xyHB);
  const pA = join64(pLA, pHA);
  const pB = join64(pLB, pHB);
  const axA = f32x4.mul(xxA, k(TWO));
  const axB = f32x4.mul(xxB, k(TWO));
  const ayA = f32x4.mul(xyA, k(TWO));
  const ayB = f32x4.mul(xyB, k(TWO));
  let ssA = f32x4.add(sx0A, axA);
  let ssB = f32x4.add(sx0B, axB);
  syA = f32x4.add(f32x4.add(f32x4.add(f32x4.sub(sx0A, ssA), axA), syA), ayA);
  syB = f32x4.add(f32x4.add(f32x4.add(f32x4.sub(sx0B, ssB), axB), syB), ayB);
  const sxA = ssA;
  const sxB = ssB;
  const bA = f32x4.mul(f32x4.mul(x2A, xxA), pA);
  const bB = f32x4.mul(f32x4.mul(x2B, xxB), pB);
  ssA = f32x4.add(sxA, bA);
  ssB = f32x4.add(sxB, bB);
  syA = f32x4.add(f32x4.add(f32x4.sub(sxA, ssA), bA), syA);
  syB = f32x4.add(f32x4.add(f32x4.sub(sxB, ssB), bB), syB);
  let rA = f32x4.add(ssA, syA);
  let rB = f32x4.add(ssB, syB);
  return sleefLogPairEnds(rA, rB, dA, dB, fromOne);
}

// ---- SLEEF's expf / logf with the hardware's fused multiply-add (the relaxed-SIMD build) ----
// Built with `--enable relaxed-simd` (ASC_FEATURE_RELAXED_SIMD) into ../kernels-fma-binary.ts, which
// ../float32-kernels.ts loads only where ../module.ts relaxedSimdFused() has proven that
// f32x4.relaxed_madd / relaxed_nmadd round once (x86 with FMA3, ARM), so each vfmadd*ps of SLEEF is
// one f32x4 instruction: ../../libm.ts sleefExpf / sleefLogf op for op (the plain build's float64
// emulation above returns the same floats; `npm run verify:wasm-math -- --fma` compares the two builds
// over every float32 argument). The plain build never compiles these (the branches are static, and
// its constants are 0: its binary is byte for byte what it was before this build existed).

const SLEEF_MINUS_L2LF32: usize = ASC_FEATURE_RELAXED_SIMD ? memory.data<f32>([-0.000001428606765330187]) : 0; // -0x35bfbe8e
/** E0 ... E4 and 0.5 as float32. */
const SLEEF_E32: usize = ASC_FEATURE_RELAXED_SIMD ? memory.data<f32>([0.00019852761761285365, 0.0013930435525253415, 0.008333360776305199, 0.041666485369205475, 0.1666666716337204, 0.5]) : 0;
/** LN2_HI, LN2_LO, L0, L1, L2 as float32. */
const SLEEF_LOG32: usize = ASC_FEATURE_RELAXED_SIMD ? memory.data<f32>([0.6931471824645996, -1.9046542121259336e-9, 0.3027294874191284, 0.39961081743240356, 0.666669487953186]) : 0;

const SLEEF_EXP_DIRECT_LOW: usize = ASC_FEATURE_RELAXED_SIMD ? memory.data<f32>([-87]) : 0;
const SLEEF_EXP_DIRECT_HIGH: usize = ASC_FEATURE_RELAXED_SIMD ? memory.data<f32>([88]) : 0;

/** fma(a, b, c) rounded once (only where relaxed_madd is fused: the relaxed-SIMD build). */
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  return f32x4.relaxed_madd(a, b, c);
}

// @ts-ignore: decorator
@inline function sleefE32(i: i32): v128 {
  return k(SLEEF_E32 + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline function sleefL32(i: i32): v128 {
  return k(SLEEF_LOG32 + (<usize>i << 2));
}

/** sleefExp32 with fused multiply-adds: ../../libm.ts sleefExpf (`direct`: as sleefExp32's). */
// @ts-ignore: decorator
@inline function sleefExp32Fused(d: v128, direct: bool = false): v128 {
  const t = f32x4.add(f32x4.mul(d, k(SLEEF_R_LN2F)), k(ROUNDER23));
  const q = f32x4.sub(t, k(ROUNDER23));
  let s = madd(q, k(SLEEF_MINUS_L2UF), d);
  s = madd(q, k(SLEEF_MINUS_L2LF32), s);
  let u = madd(sleefE32(0), s, sleefE32(1));
  u = madd(u, s, sleefE32(2));
  u = madd(u, s, sleefE32(3));
  u = madd(u, s, sleefE32(4));
  u = madd(u, s, sleefE32(5));
  u = f32x4.add(k(ONE), madd(f32x4.mul(s, s), u, s));
  // For d in [-87, 88] (every lane; NaN is not) q lies in [-126, 127], where 2^q is a normal float32
  // and u 2^(q >> 1) is exact: u 2^(q >> 1) 2^(q - (q >> 1)) is then u 2^q rounded once, one multiply,
  // and none of SLEEF's range cases applies.
  if (direct || i32x4.all_true(v128.and(f32x4.ge(d, k(SLEEF_EXP_DIRECT_LOW)), f32x4.le(d, k(SLEEF_EXP_DIRECT_HIGH))))) {
    return f32x4.mul(u, sleefTwoToQ(t));
  }
  return sleefExpRange(sleefExpScale(u, t), d);
}

/** sleefLog32 with fused multiply-adds: ../../libm.ts sleefLogf (ny = +0 left out, as sleefLog32 says). */
// @ts-ignore: decorator
@inline function sleefLog32Fused(d0: v128): v128 {
  const o = f32x4.lt(d0, k(SMALLEST_NORMAL));
  const d = v128.bitselect(f32x4.mul(d0, k(SLEEF_TWO64)), d0, o);
  let e = i32x4.sub(v128.and(i32x4.shr_u(f32x4.mul(d, k(SLEEF_INV075)), 23), k(BYTE)), k(FLOAT32_BIAS));
  const m = i32x4.add(d, i32x4.shl(i32x4.neg(e), 23));
  e = i32x4.sub(e, v128.and(o, k(SIXTY_FOUR)));
  const ef = f32x4.convert_i32x4_s(e);
  const sx0 = f32x4.mul(sleefL32(0), ef);
  let sy = madd(sleefL32(1), ef, madd(sleefL32(0), ef, f32x4.neg(sx0)));
  const nx = f32x4.add(k(MINUS_ONE), m);
  const dx = f32x4.add(k(ONE), m);
  const v = f32x4.sub(dx, k(ONE));
  const dy = f32x4.add(f32x4.sub(k(ONE), f32x4.sub(dx, v)), f32x4.sub(m, v));
  const t = f32x4.div(k(ONE), dx);
  const xx = f32x4.mul(nx, t);
  const u = madd(t, nx, f32x4.neg(xx));
  const w = f32x4.relaxed_nmadd(dy, t, f32x4.relaxed_nmadd(dx, t, k(ONE)));
  const xy = madd(xx, w, u);
  const x2 = f32x4.mul(xx, xx);
  const p = madd(madd(sleefL32(2), x2, sleefL32(3)), x2, sleefL32(4));
  const ax = f32x4.mul(xx, k(TWO));
  const ay = f32x4.mul(xy, k(TWO));
  let ss = f32x4.add(sx0, ax);
  sy = f32x4.add(f32x4.add(f32x4.add(f32x4.sub(sx0, ss), ax), sy), ay);
  const sx = ss;
  const b = f32x4.mul(f32x4.mul(x2, xx), p);
  ss = f32x4.add(sx, b);
  sy = f32x4.add(f32x4.add(f32x4.sub(sx, ss), b), sy);
  let r = f32x4.add(ss, sy);
  r = v128.bitselect(k(INF), r, f32x4.eq(d, k(INF)));
  r = v128.bitselect(k(NAN), r, v128.or(f32x4.lt(d, k(ZERO)), f32x4.ne(d, d)));
  return v128.bitselect(k(NEG_INF), r, f32x4.eq(d, k(ZERO)));
}

/** sleefExpPair with fused multiply-adds: sleefExp32Fused of d and e, their steps interleaved; one range test for both. */
// @ts-ignore: decorator
@inline function sleefExpPairFused(dA: v128, dB: v128, direct: bool): v128 {
  const tA = f32x4.add(f32x4.mul(dA, k(SLEEF_R_LN2F)), k(ROUNDER23));
  const tB = f32x4.add(f32x4.mul(dB, k(SLEEF_R_LN2F)), k(ROUNDER23));
  const qA = f32x4.sub(tA, k(ROUNDER23));
  const qB = f32x4.sub(tB, k(ROUNDER23));
  let sA = madd(qA, k(SLEEF_MINUS_L2UF), dA);
  let sB = madd(qB, k(SLEEF_MINUS_L2UF), dB);
  sA = madd(qA, k(SLEEF_MINUS_L2LF32), sA);
  sB = madd(qB, k(SLEEF_MINUS_L2LF32), sB);
  let uA = madd(sleefE32(0), sA, sleefE32(1));
  let uB = madd(sleefE32(0), sB, sleefE32(1));
  // written out: binaryen leaves a `for` over the coefficients a loop (V8 then runs it with its stack checks)
  uA = madd(uA, sA, sleefE32(2));
  uB = madd(uB, sB, sleefE32(2));
  uA = madd(uA, sA, sleefE32(3));
  uB = madd(uB, sB, sleefE32(3));
  uA = madd(uA, sA, sleefE32(4));
  uB = madd(uB, sB, sleefE32(4));
  uA = madd(uA, sA, sleefE32(5));
  uB = madd(uB, sB, sleefE32(5));
  uA = f32x4.add(k(ONE), madd(f32x4.mul(sA, sA), uA, sA));
  uB = f32x4.add(k(ONE), madd(f32x4.mul(sB, sB), uB, sB));
  // as sleefExp32Fused: u 2^q in one multiply where every lane of both lies in [-87, 88]
  if (
    direct ||
    i32x4.all_true(v128.and(
      v128.and(f32x4.ge(dA, k(SLEEF_EXP_DIRECT_LOW)), f32x4.le(dA, k(SLEEF_EXP_DIRECT_HIGH))),
      v128.and(f32x4.ge(dB, k(SLEEF_EXP_DIRECT_LOW)), f32x4.le(dB, k(SLEEF_EXP_DIRECT_HIGH))),
    ))
  ) {
    expPairSecond = f32x4.mul(uB, sleefTwoToQ(tB));
    return f32x4.mul(uA, sleefTwoToQ(tA));
  }
  expPairSecond = sleefExpRange(sleefExpScale(uB, tB), dB);
  return sleefExpRange(sleefExpScale(uA, tA), dA);
}

/** sleefLogPair with fused multiply-adds: sleefLog32Fused of two vectors, their steps interleaved (`fromOne` as sleefLogPair's). */
// @ts-ignore: decorator
@inline function sleefLogPairFused(d0A: v128, d0B: v128, fromOne: bool): v128 {
  const oA = f32x4.lt(d0A, k(SMALLEST_NORMAL));
  const oB = f32x4.lt(d0B, k(SMALLEST_NORMAL));
  const dA = fromOne ? d0A : v128.bitselect(f32x4.mul(d0A, k(SLEEF_TWO64)), d0A, oA);
  const dB = fromOne ? d0B : v128.bitselect(f32x4.mul(d0B, k(SLEEF_TWO64)), d0B, oB);
  let eA = i32x4.sub(v128.and(i32x4.shr_u(f32x4.mul(dA, k(SLEEF_INV075)), 23), k(BYTE)), k(FLOAT32_BIAS));
  let eB = i32x4.sub(v128.and(i32x4.shr_u(f32x4.mul(dB, k(SLEEF_INV075)), 23), k(BYTE)), k(FLOAT32_BIAS));
  const mA = i32x4.add(dA, i32x4.shl(i32x4.neg(eA), 23));
  const mB = i32x4.add(dB, i32x4.shl(i32x4.neg(eB), 23));
  if (!fromOne) {
    eA = i32x4.sub(eA, v128.and(oA, k(SIXTY_FOUR)));
    eB = i32x4.sub(eB, v128.and(oB, k(SIXTY_FOUR)));
  }
  const efA = f32x4.convert_i32x4_s(eA);
  const efB = f32x4.convert_i32x4_s(eB);
  const sx0A = f32x4.mul(sleefL32(0), efA);
  const sx0B = f32x4.mul(sleefL32(0), efB);
  let syA = madd(sleefL32(1), efA, madd(sleefL32(0), efA, f32x4.neg(sx0A)));
  let syB = madd(sleefL32(1), efB, madd(sleefL32(0), efB, f32x4.neg(sx0B)));
  const nxA = f32x4.add(k(MINUS_ONE), mA);
  const nxB = f32x4.add(k(MINUS_ONE), mB);
  const dxA = f32x4.add(k(ONE), mA);
  const dxB = f32x4.add(k(ONE), mB);
  const vA = f32x4.sub(dxA, k(ONE));
  const vB = f32x4.sub(dxB, k(ONE));
  const dyA = f32x4.add(f32x4.sub(k(ONE), f32x4.sub(dxA, vA)), f32x4.sub(mA, vA));
  const dyB = f32x4.add(f32x4.sub(k(ONE), f32x4.sub(dxB, vB)), f32x4.sub(mB, vB));
  const tA = f32x4.div(k(ONE), dxA);
  const tB = f32x4.div(k(ONE), dxB);
  const xxA = f32x4.mul(nxA, tA);
  const xxB = f32x4.mul(nxB, tB);
  const uA = madd(tA, nxA, f32x4.neg(xxA));
  const uB = madd(tB, nxB, f32x4.neg(xxB));
  const wA = f32x4.relaxed_nmadd(dyA, tA, f32x4.relaxed_nmadd(dxA, tA, k(ONE)));
  const wB = f32x4.relaxed_nmadd(dyB, tB, f32x4.relaxed_nmadd(dxB, tB, k(ONE)));
  const xyA = madd(xxA, wA, uA);
  const xyB = madd(xxB, wB, uB);
  const x2A = f32x4.mul(xxA, xxA);
  const x2B = f32x4.mul(xxB, xxB);
  const pA = madd(madd(sleefL32(2), x2A, sleefL32(3)), x2A, sleefL32(4));
  const pB = madd(madd(sleefL32(2), x2B, sleefL32(3)), x2B, sleefL32(4));
  const axA = f32x4.mul(xxA, k(TWO));
  const axB = f32x4.mul(xxB, k(TWO));
  const ayA = f32x4.mul(xyA, k(TWO));
  const ayB = f32x4.mul(xyB, k(TWO));
  let ssA = f32x4.add(sx0A, axA);
  let ssB = f32x4.add(sx0B, axB);
  syA = f32x4.add(f32x4.add(f32x4.add(f32x4.sub(sx0A, ssA), axA), syA), ayA);
  syB = f32x4.add(f32x4.add(f32x4.add(f32x4.sub(sx0B, ssB), axB), syB), ayB);
  const sxA = ssA;
  const sxB = ssB;
  const bA = f32x4.mul(f32x4.mul(x2A, xxA), pA);
  const bB = f32x4.mul(f32x4.mul(x2B, xxB), pB);
  ssA = f32x4.add(sxA, bA);
  ssB = f32x4.add(sxB, bB);
  syA = f32x4.add(f32x4.add(f32x4.sub(sxA, ssA), bA), syA);
  syB = f32x4.add(f32x4.add(f32x4.sub(sxB, ssB), bB), syB);
  return sleefLogPairEnds(f32x4.add(ssA, syA), f32x4.add(ssB, syB), dA, dB, fromOne);
}

// glibc expf (e_expf.c): 2^(i/32) (e_exp2f_data.c, its i << 47 put back), 32 / ln 2, the shift
// 1.5 * 2^52, the scaled polynomial, the range limits, and the two arguments where glibc's FMA
// build rounds otherwise (../../libm.ts).
const GLIBC_EXP2F: usize = memory.data<f64>([
  1, 1.0218971486541166, 1.0442737824274138, 1.0671404006768237, 1.0905077326652577, 1.1143867425958924, 1.1387886347566916,
  1.1637248587775775, 1.189207115002721, 1.215247359980469, 1.241857812073484, 1.2690509571917332, 1.2968395546510096,
  1.3252366431597413, 1.3542555469368927, 1.383909881963832, 1.4142135623730951, 1.4451808069770467, 1.4768261459394993,
  1.5091644275934228, 1.5422108254079407, 1.5759808451078865, 1.6104903319492543, 1.645755478153965, 1.681792830507429,
  1.718619298122478, 1.7562521603732995, 1.7947090750031072, 1.8340080864093424, 1.8741676341103, 1.9152065613971474,
  1.9571441241754002,
], 16);
const GLIBC_EXPF_C: usize = memory.data<f64>([46.16624130844683, 6755399441055744, 0.0000016938359250920212, 0.00023459809789509004, 0.021660849396613134]);
const GLIBC_EXPF_OVERFLOW: usize = memory.data<f32>([88.72283172607422]);
const GLIBC_EXPF_UNDERFLOW: usize = memory.data<f32>([-103.97207641601562]);
const GLIBC_EXPF_FMA: usize = memory.data<u32>([0x4202422f, 0x56fc9f1c, 0xc27c65d9, 0x11fa2993]);
const FIVE_BITS64: usize = memory.data<i64>([31]);
const FLOAT64_BIAS64: usize = memory.data<i64>([1023]);

// @ts-ignore: decorator
@inline function glibcExpC(i: i32): v128 {
  return k64(GLIBC_EXPF_C + (<usize>i << 3));
}

/** glibc expf of two float64 lanes holding float32 values, as float64 (rounded by the caller). */
// @ts-ignore: decorator
@inline function glibcExpHalf(x: v128): v128 {
  const z = f64x2.mul(glibcExpC(0), x);
  const shifted = f64x2.add(z, glibcExpC(1));
  const kd = f64x2.sub(shifted, glibcExpC(1));
  const r = f64x2.sub(z, kd);
  const ki = i64x2.sub(shifted, glibcExpC(1)); // the integer kd, from the bits (|kd| < 2^31)
  const i = v128.and(ki, k64(FIVE_BITS64));
  let table = v128.load64_zero(GLIBC_EXP2F + (<usize>i64x2.extract_lane(i, 0) << 3));
  table = v128.load64_lane(GLIBC_EXP2F + (<usize>i64x2.extract_lane(i, 1) << 3), table, 1);
  const scale = f64x2.mul(table, i64x2.shl(i64x2.add(i64x2.shr_s(ki, 5), k64(FLOAT64_BIAS64)), 52));
  const zz = f64x2.add(f64x2.mul(glibcExpC(2), r), glibcExpC(3));
  const r2 = f64x2.mul(r, r);
  let y = f64x2.add(f64x2.mul(glibcExpC(4), r), k64(ONE64));
  y = f64x2.add(f64x2.mul(zz, r2), y);
  return f64x2.mul(y, scale);
}

/** glibc's expf of four float32 lanes: ../../libm.ts glibcExpf. */
// @ts-ignore: decorator
@inline function glibcExp32(x: v128): v128 {
  const clamped = f32x4.pmax(f32x4.pmin(x, k(EXP_MAX)), k(EXP_MIN)); // keeps the table index and scale in range; the selects below decide there
  let y = join64(glibcExpHalf(low64(clamped)), glibcExpHalf(high64(clamped)));
  y = v128.bitselect(k(ZERO), y, f32x4.lt(x, k(GLIBC_EXPF_UNDERFLOW)));
  y = v128.bitselect(k(INF), y, f32x4.gt(x, k(GLIBC_EXPF_OVERFLOW)));
  y = v128.bitselect(k(GLIBC_EXPF_FMA + 4), y, i32x4.eq(x, k(GLIBC_EXPF_FMA)));
  y = v128.bitselect(k(GLIBC_EXPF_FMA + 12), y, i32x4.eq(x, k(GLIBC_EXPF_FMA + 8)));
  return v128.bitselect(x, y, f32x4.ne(x, x));
}

// glibc logf (e_logf.c): {1/c, log(c)} for 16 subintervals (e_logf_data.c), ln 2 and the polynomial.
const GLIBC_LOGF_TABLE: usize = memory.data<f64>([
  1.398907162146528, -0.33569133332882284, 1.3403141896637998, -0.2929040563774074, 1.286432210124115, -0.2518726580937369,
  1.2367150214269895, -0.21245868807117255, 1.1906977166711752, -0.17453945183745634, 1.1479821020556429, -0.1380057072319758,
  1.1082251448272158, -0.10275976698545139, 1.0711297413057381, -0.06871392447020525, 1.036437278977283, -0.0357891387398228,
  1, 0, 0.9492859795739057, 0.05204517742929496, 0.8951049428609004, 0.11081431298787942, 0.8476821620351103,
  0.1652495223695143, 0.8050314851692001, 0.21687389031699977, 0.7664671008843108, 0.2659635028121397, 0.731428603316328,
  0.3127556664073557,
], 16);
/** ln 2, A0, A1, A2. */
const GLIBC_LOGF_C: usize = memory.data<f64>([0.6931471805599453, -0.25089342214237154, 0.333456765744066, -0.4999997485802103]);
const GLIBC_LOGF_OFF: usize = memory.data<i32>([0x3f330000]);
const GLIBC_LOGF_EXPONENT: usize = memory.data<i32>([0xff800000]);
const FOUR_BITS: usize = memory.data<i32>([15]);
const TWO_TO_23: usize = memory.data<f32>([8388608]);
const TWENTY_THREE_EXP: usize = memory.data<i32>([23 << 23]);

// @ts-ignore: decorator
@inline function glibcLogC(i: i32): v128 {
  return k64(GLIBC_LOGF_C + (<usize>i << 3));
}

/** glibc logf of two lanes: iz (as float32 bits, low two i32 lanes), k (float64), table entries. */
// @ts-ignore: decorator
@inline function glibcLogHalf(z: v128, kd: v128, entry0: v128, entry1: v128): v128 {
  const invc = v128.shuffle<i64>(entry0, entry1, 0, 2);
  const logc = v128.shuffle<i64>(entry0, entry1, 1, 3);
  const r = f64x2.sub(f64x2.mul(z, invc), k64(ONE64));
  const y0 = f64x2.add(logc, f64x2.mul(kd, glibcLogC(0)));
  const r2 = f64x2.mul(r, r);
  let y = f64x2.add(f64x2.mul(glibcLogC(2), r), glibcLogC(3));
  y = f64x2.add(f64x2.mul(glibcLogC(1), r2), y);
  return f64x2.add(f64x2.mul(y, r2), f64x2.add(y0, r));
}

/** glibc's logf of four float32 lanes: ../../libm.ts glibcLogf. */
// @ts-ignore: decorator
@inline function glibcLog32(x: v128): v128 {
  const subnormal = v128.and(f32x4.lt(x, k(SMALLEST_NORMAL)), f32x4.gt(x, k(ZERO)));
  const ix = v128.bitselect(i32x4.sub(f32x4.mul(x, k(TWO_TO_23)), k(TWENTY_THREE_EXP)), x, subnormal);
  const tmp = i32x4.sub(ix, k(GLIBC_LOGF_OFF));
  const at = i32x4.shl(v128.and(i32x4.shr_s(tmp, 19), k(FOUR_BITS)), 4);
  const kf = i32x4.shr_s(tmp, 23);
  const z = i32x4.sub(ix, v128.and(tmp, k(GLIBC_LOGF_EXPONENT)));
  const lo = glibcLogHalf(
    low64(z), f64x2.convert_low_i32x4_s(kf),
    v128.load(GLIBC_LOGF_TABLE + <usize>i32x4.extract_lane(at, 0)), v128.load(GLIBC_LOGF_TABLE + <usize>i32x4.extract_lane(at, 1)),
  );
  const hi = glibcLogHalf(
    high64(z), f64x2.convert_low_i32x4_s(highHalf(kf)),
    v128.load(GLIBC_LOGF_TABLE + <usize>i32x4.extract_lane(at, 2)), v128.load(GLIBC_LOGF_TABLE + <usize>i32x4.extract_lane(at, 3)),
  );
  let y = join64(lo, hi);
  y = v128.bitselect(k(ZERO), y, f32x4.eq(x, k(ONE)));
  y = v128.bitselect(x, y, f32x4.eq(x, k(INF)));
  y = v128.bitselect(k(NAN), y, v128.or(f32x4.lt(x, k(ZERO)), f32x4.ne(x, x)));
  return v128.bitselect(k(NEG_INF), y, f32x4.eq(x, k(ZERO)));
}

/**
 * at::exp / at::log of float32 lanes: glibc's under the 'default' capability (flag USES_GLIBC), else
 * SLEEF's (`direct`: every lane known to lie in [-87, 88], as sleefExp32's).
 */
// @ts-ignore: decorator
@inline function atenExp32(x: v128, flags: i32, direct: bool = false): v128 {
  return flags & USES_GLIBC ? glibcExp32(x) : sleefExp32(x, direct);
}
/** atenExp32 of two vectors (SLEEF's interleaved): the first returned, the second in expPairSecond. */
// @ts-ignore: decorator
@inline function atenExpPair(x: v128, y: v128, flags: i32, direct: bool = false): v128 {
  if (flags & USES_GLIBC) {
    expPairSecond = glibcExp32(y);
    return glibcExp32(x);
  }
  return sleefExpPair(x, y, direct);
}
/** atenLog32 of two vectors (SLEEF's interleaved): the first returned, the second in logPairSecond. */
// @ts-ignore: decorator
@inline function atenLogPair(x: v128, y: v128, flags: i32, fromOne: bool = false): v128 {
  if (flags & USES_GLIBC) {
    logPairSecond = glibcLog32(y);
    return glibcLog32(x);
  }
  return sleefLogPair(x, y, fromOne);
}
// @ts-ignore: decorator
@inline function atenLog32(x: v128, flags: i32): v128 {
  return flags & USES_GLIBC ? glibcLog32(x) : sleefLog32(x);
}

// ---- SLEEF's log1pf (u10), bit for bit ----
// xlog1pf (src/libm/sleefsimdsp.c, the non-AVX-512 branch; Sleef_log1pf16_u10's getexp branch
// returns the same floats: a C harness found the FMA scalar, AVX2 and AVX-512F builds of libsleef
// 3.5.1, 3.6.1 and 3.9.0 equal on all 2^32 arguments), as ../../libm.ts sleefLog1pf computes it:
// log(1 + d) = e ln 2 + 2 atanh(m / (2 + m)), 1 + d = 2^e (1 + m), in double-float. The FMAs in
// float64 as in sleefLog32 (fma(d, t, t - 1) needs none: t is a power of two, d t exact in float32);
// the 2^64 rescaling of a 1 + d below FLT_MIN is left out (it only happens for d <= -1, whose lanes
// are replaced at the end).

/**
 * SLEEF xlog1pf of four float32 lanes. `large`: lanes may exceed 1e38, where SLEEF before 3.8
 * returns inf (flag LOG1P_OVERFLOWS) and 3.8 on xlogf_u1 (sleefLog32); without it every lane is
 * known to be at most 1e38 (log_sigmoid's exp(-|x|) in [0, 1]).
 */
// (Not inlined: one copy per build keeps the bundle within its budget; a call costs little beside it.)
function sleefLog1p32(d: v128, flags: i32, large: bool): v128 {
  const dp1 = f32x4.add(d, k(ONE));
  const e = i32x4.sub(v128.and(i32x4.shr_u(f32x4.mul(dp1, k(SLEEF_INV075)), 23), k(BYTE)), k(FLOAT32_BIAS));
  const t = i32x4.add(k(ONE), i32x4.shl(i32x4.neg(e), 23)); // vldexp3_vf_vf_vi2(1, -e)
  const m = f32x4.add(f32x4.mul(d, t), f32x4.sub(t, k(ONE)));
  const ef = f32x4.convert_i32x4_s(e);
  const sx0 = f32x4.mul(k(SLEEF_LN2_HI), ef);
  const dx = f32x4.add(k(TWO), m); // dfadd_vf2_vf_vf(2, m)
  const dy = f32x4.add(f32x4.sub(k(TWO), dx), m);
  const q = f32x4.div(k(ONE), dx); // dfdiv_vf2_vf2_vf2((m, 0), (dx, dy))
  const xx = f32x4.mul(m, q);
  const x2 = f32x4.mul(xx, xx);
  let sy: v128, xy: v128, p: v128;
  if (ASC_FEATURE_RELAXED_SIMD) {
    sy = madd(sleefL32(1), ef, madd(sleefL32(0), ef, f32x4.neg(sx0)));
    const u = madd(q, m, f32x4.neg(xx)); // fma(0, q, u) is u: never -0
    const w = f32x4.relaxed_nmadd(dy, q, f32x4.relaxed_nmadd(dx, q, k(ONE)));
    xy = madd(xx, w, u);
    p = madd(madd(sleefL32(2), x2, sleefL32(3)), x2, sleefL32(4));
  } else {
    const efL = low64(ef), efH = high64(ef);
    const syL = fma64(sleefL(1), efL, f64x2.sub(f64x2.mul(sleefL(0), efL), low64(sx0)));
    const syH = fma64(sleefL(1), efH, f64x2.sub(f64x2.mul(sleefL(0), efH), high64(sx0)));
    const qL = low64(q), qH = high64(q), xxL = low64(xx), xxH = high64(xx);
    // u = q m - xx, the error of a float32 product, is exact in float64 (and never -0)
    const uL = f64x2.sub(f64x2.mul(qL, low64(m)), xxL);
    const uH = f64x2.sub(f64x2.mul(qH, high64(m)), xxH);
    // fma(-dy, q, fma(-dx, q, 1)): 1 - dx q, the remainder of q = 1 / dx rounded, is exact
    const wL = r32(f64x2.sub(f64x2.sub(k64(ONE64), f64x2.mul(low64(dx), qL)), f64x2.mul(low64(dy), qL)));
    const wH = r32(f64x2.sub(f64x2.sub(k64(ONE64), f64x2.mul(high64(dx), qH)), f64x2.mul(high64(dy), qH)));
    const x2L = low64(x2), x2H = high64(x2);
    // x2 <= 0.041 here too (|m / (2 + m)| <= 0.2): L0 x2 + L1 in [1/4, 1/2), rounded as in sleefLog32
    const pL = fma64(f64x2.sub(f64x2.add(fma64(sleefL(2), x2L, sleefL(3)), k64(SLEEF_LOG_ROUNDER)), k64(SLEEF_LOG_ROUNDER)), x2L, sleefL(4));
    const pH = fma64(f64x2.sub(f64x2.add(fma64(sleefL(2), x2H, sleefL(3)), k64(SLEEF_LOG_ROUNDER)), k64(SLEEF_LOG_ROUNDER)), x2H, sleefL(4));
    sy = join64(syL, syH);
    xy = join64(fma64(xxL, wL, uL), fma64(xxH, wH, uH));
    p = join64(pL, pH);
  }
  // s = dfadd(s, dfscale(x, 2)); s = dfadd(s, x2 * x * p)
  const ax = f32x4.mul(xx, k(TWO));
  const ay = f32x4.mul(xy, k(TWO));
  const s1 = f32x4.add(sx0, ax);
  sy = f32x4.add(f32x4.add(f32x4.add(f32x4.sub(sx0, s1), ax), sy), ay);
  const b = f32x4.mul(f32x4.mul(x2, xx), p);
  const s2 = f32x4.add(s1, b);
  sy = f32x4.add(f32x4.add(f32x4.sub(s1, s2), b), sy);
  let r = f32x4.add(s2, sy);
  r = v128.bitselect(k(NAN), r, v128.or(f32x4.lt(d, k(MINUS_ONE)), f32x4.ne(d, d)));
  r = v128.bitselect(k(NEG_INF), r, f32x4.eq(d, k(MINUS_ONE)));
  r = v128.bitselect(d, r, f32x4.eq(d, k(ZERO))); // +-0 themselves
  if (large) {
    const over = f32x4.gt(d, k(OVERFLOW));
    if (v128.any_true(over)) r = v128.bitselect(flags & LOG1P_OVERFLOWS ? k(INF) : sleefLog32(d), r, over);
  }
  return r;
}

/**
 * at::log1p of float32 lanes: SLEEF's log1pf (sleefLog1p32) but under 'default' (USES_GLIBC), where
 * std::log1p is glibc's, not ported: there float32Of's log1p (`unit`: LOG1P_UNIT, lanes in [0, 1]),
 * as the JS loops' fround(Math.log1p(v)).
 */
// @ts-ignore: decorator
@inline function atenLog1p32(x: v128, flags: i32, unit: bool): v128 {
  if (flags & USES_GLIBC) return float32Of(unit ? LOG1P_UNIT : LOG1P, x);
  return sleefLog1p32(x, flags, !unit);
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

/**
 * For `npm run verify:wasm-math` and the tests: out[i] = f(input[i]) for f = EXP, LOG1P_UNIT, LOG,
 * LOG1P, LOG_GE1, and 5 SLEEF's expf, 6 SLEEF's logf, 7 glibc's expf, 8 glibc's logf, 9 / 10 SLEEF's
 * expf / logf two vectors at a time (sleefExpPair, sleefLogPair), 11 / 12 SLEEF's log1pf before 3.8
 * (inf above 1e38) / from 3.8 (sleefLog1p32), 13 SLEEF's logf two vectors at a time for arguments >= 1
 * or NaN (sleefLogPair's `fromOne`: SoftMarginLoss' log(1 + e)); n a multiple of 4 (8 for 9, 10 and 13).
 */
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
      case 5: result = sleefExp32(v); break;
      case 6: result = sleefLog32(v); break;
      case 7: result = glibcExp32(v); break;
      case 8: result = glibcLog32(v); break;
      case 11: result = sleefLog1p32(v, LOG1P_OVERFLOWS, true); break;
      case 12: result = sleefLog1p32(v, 0, true); break;
      case 13: {
        result = sleefLogPair(v, v128.load(input + at, 16), true);
        v128.store(out + at, logPairSecond, 16);
        i += 4;
        break;
      }
      case 10: {
        result = sleefLogPair(v, v128.load(input + at, 16));
        v128.store(out + at, logPairSecond, 16);
        i += 4;
        break;
      }
      default: {
        // 9: SLEEF's expf two vectors at a time (sleefExpPair; n a multiple of 8)
        result = sleefExpPair(v, v128.load(input + at, 16));
        v128.store(out + at, expPairSecond, 16);
        i += 4;
        break;
      }
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
/** The 'default' CPU capability: at::exp / at::log are glibc's expf / logf, not SLEEF's. */
export const USES_GLIBC = 32; // flag
/** GaussianNLLLoss' full: the constant term added to each element's loss; PoissonNLLLoss' full: the Stirling term. */
export const FULL = 64; // flag
/** PoissonNLLLoss' log_input (the input is the log of the rate). */
export const LOG_INPUT = 128; // flag
/** KLDivLoss' log_target. */
export const LOG_TARGET = 256; // flag
/** KLDivLoss before torch 1.13: where(target > 0, target * (log(target) - input), 0) and kl_div_backward_cpu. */
export const KL_DIV_WHERE = 512; // flag
/** SmoothL1Loss' beta is 1: its divisions by beta (exact: x / 1 is x) are left out. */
export const BETA_ONE = 16384; // flag

export const BCE_WITH_LOGITS = 0; // kernel: y=target a=weight b=posWeight
export const BCE_WITH_LOGITS_GRAD = 1; // kernel: y=target a=weight b=posWeight c=gradOutput s=meanDivisor (0 unless 'mean')
export const MULTILABEL_SOFT_MARGIN = 2; // kernel: y=target a=weight (per element, before the class sum)
export const MULTILABEL_SOFT_MARGIN_GRAD = 3; // kernel: y=target a=weight c=rowGradient (the sample's gradient / C)
export const SOFT_MARGIN = 4; // kernel: y=target
export const SOFT_MARGIN_GRAD = 5; // kernel: y=target c=gradOutput s=minusNorm
export const BINARY_CROSS_ENTROPY = 6; // kernel: y=target a=weight
export const BINARY_CROSS_ENTROPY_GRAD = 7; // kernel: y=target a=weight c=gradOutput s=meanDivisor (0 unless 'mean')
export const MSE = 8; // kernel: y=target
export const MSE_GRAD = 9; // kernel: y=target c=gradOutput s=norm (2 / numel for 'mean', else 2)
export const L1 = 10; // kernel: y=target
export const L1_GRAD = 11; // kernel: y=target c=gradOutput (for 'mean' the one value grad_output / numel)
export const GAUSSIAN_NLL = 12; // kernel: y=target a=var b=eps s=fullConstant (with FULL)
export const GAUSSIAN_NLL_GRAD = 13; // kernel: y=target a=var b=eps c=gradOutput (each element's: for 'mean' grad_output / numel), input's gradient
export const GAUSSIAN_NLL_VAR_GRAD = 14; // kernel: y=target a=var b=eps c=gradOutput (as GAUSSIAN_NLL_GRAD), var's gradient
export const SMOOTH_L1 = 15; // kernel: y=target s=beta (rounded to float32)
export const SMOOTH_L1_GRAD = 16; // kernel: y=target a=beta c=gradOutput s=norm (the vectorized lambda only: the port redoes the scalar tail)
export const HUBER = 17; // kernel: y=target s=delta (rounded to float32)
export const HUBER_GRAD = 18; // kernel: y=target a=delta c=gradOutput s=norm (the vectorized lambda only: the port redoes the scalar tail)
export const POISSON_NLL = 19; // kernel: y=target s=eps (rounded to float32)
export const POISSON_NLL_GRAD = 20; // kernel: y=target c=gradOutput (for 'mean' the one value grad_output / numel) s=eps
export const KL_DIV = 21; // kernel: y=target
export const KL_DIV_GRAD = 22; // kernel: y=target c=gradOutput (its one value already / numel or / N, except with KL_DIV_WHERE) s=norm (KL_DIV_WHERE's numel for 'mean', else 0)

const OVERFLOW: usize = memory.data<f32>([1e38]);
const INF: usize = memory.data<f32>([Infinity]);
const LOG_FLOOR: usize = memory.data<f32>([-100]);
const EPSILON: usize = memory.data<f32>([1e-12]);

/** BCEWithLogits before the weight; e = exp(-|x|) (from the pre-pass: at::exp's, log_sigmoid's SLEEF exp, V8-like under 'default'). */
// @ts-ignore: decorator
@inline function bceWithLogitsLoss(x: v128, e: v128, y: v128, p: v128, flags: i32): v128 {
  const linear = f32x4.mul(f32x4.sub(k(ONE), y), x);
  const lw = f32x4.add(f32x4.mul(f32x4.sub(p, k(ONE)), y), k(ONE)); // (pos_weight - 1) * y + 1
  // e = exp(-|x|) serves both formulas: before 2.3, exp(-m) + exp(-x - m) is exactly 1 + e (one of
  // the two arguments is 0), except at x = -inf, where -x - m = inf - inf makes it NaN.
  if (flags & USES_LOG_SIGMOID) {
    // min(x, 0) - log1p(e): pmin keeps a NaN x (and gives -0 for -0 where ATen gives 0: the same after - log1p(1))
    const logSigmoid = f32x4.sub(f32x4.pmin(x, k(ZERO)), atenLog1p32(e, flags, true));
    return f32x4.sub(linear, flags & HAS_POS_WEIGHT ? f32x4.mul(logSigmoid, lw) : logSigmoid);
  }
  const m = f32x4.pmax(f32x4.neg(x), k(ZERO)); // max(-x, 0), NaN kept (-0 for x = 0, added to a nonzero log)
  const s = v128.bitselect(k(NAN), f32x4.add(k(ONE), e), f32x4.eq(x, k(NEG_INF)));
  const logTerm = atenLog32(s, flags); // .log_()
  if (flags & HAS_POS_WEIGHT) return f32x4.add(linear, f32x4.mul(lw, f32x4.add(logTerm, m)));
  return f32x4.add(f32x4.add(linear, m), logTerm);
}

/** BCEWithLogits' gradient before weight and 'mean': ((t + 1 - y) sigmoid(x) - t) g, t = pos_weight y. */
// @ts-ignore: decorator
@inline function bceWithLogitsGrad(x: v128, y: v128, p: v128, g: v128, flags: i32): v128 {
  // input.sigmoid()'s vectorized lambda (the tensor's last elements, its scalar lambda's, the port redoes)
  const sigmoid = f32x4.div(k(ONE), f32x4.add(k(ONE), atenExp32(f32x4.neg(x), flags)));
  if (!(flags & HAS_POS_WEIGHT)) return f32x4.mul(f32x4.sub(sigmoid, y), g);
  const t = f32x4.mul(p, y);
  return f32x4.mul(f32x4.sub(f32x4.mul(f32x4.sub(f32x4.add(t, k(ONE)), y), sigmoid), t), g);
}

/** MultiLabelSoftMargin's element loss -(y log_sigmoid(x) + (1 - y) log_sigmoid(-x)); both share log1p(e), e = exp(-|x|) (from the pre-pass). */
// @ts-ignore: decorator
@inline function multilabelSoftMarginLoss(x: v128, e: v128, y: v128, flags: i32): v128 {
  const l = atenLog1p32(e, flags, true);
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
@inline function multilabelSoftMarginGrad(x: v128, y: v128, g: v128, flags: i32): v128 {
  const towardPos = f32x4.mul(f32x4.neg(g), y);
  const towardNeg = f32x4.mul(f32x4.neg(g), f32x4.sub(k(ONE), y));
  // the forward's buffer: SLEEF's exp, V8-like under 'default' (USES_GLIBC)
  const z = flags & USES_GLIBC ? float32Of(EXP, f32x4.neg(f32x4.abs(x))) : sleefExp32Call(f32x4.neg(f32x4.abs(x)));
  const q = f32x4.div(z, f32x4.add(k(ONE), z));
  const p = f32x4.sub(k(ONE), q);
  const a = v128.bitselect(p, q, f32x4.lt(x, k(ZERO)));
  const b = v128.bitselect(p, q, f32x4.gt(x, k(ZERO)));
  return f32x4.sub(f32x4.mul(a, towardPos), f32x4.mul(b, towardNeg));
}

/** SoftMarginLoss: log1p(exp(-x y)) (torch >= 2.0) or log(1 + exp(-x y)); exp_ and log_ are at::exp / at::log (vec::map: SLEEF, glibc under 'default'). */
// @ts-ignore: decorator
@inline function softMarginLoss(x: v128, y: v128, flags: i32): v128 {
  const e = atenExp32(f32x4.mul(f32x4.neg(x), y), flags);
  if (!(flags & USES_LOG1P)) return atenLog32(f32x4.add(k(ONE), e), flags);
  return atenLog1p32(e, flags, false); // SLEEF's log1pf (inf above 1e38 under LOG1P_OVERFLOWS)
}

/** SoftMarginLoss' gradient: z = at::exp(-y x); y z (-norm) / (z + 1) * g. */
// @ts-ignore: decorator
@inline function softMarginGrad(x: v128, y: v128, g: v128, minusNorm: v128, flags: i32): v128 {
  const z = atenExp32(f32x4.mul(f32x4.neg(y), x), flags);
  return f32x4.mul(f32x4.div(f32x4.mul(f32x4.mul(y, z), minusNorm), f32x4.add(z, k(ONE))), g);
}

/** BCELoss before the weight: (y - 1) max(log1p(-x), -100) - y max(log(x), -100); pmax is std::max. */
// @ts-ignore: decorator
@inline function binaryCrossEntropyLoss(x: v128, y: v128, flags: i32): v128 {
  // a scalar cpu_kernel in torch: glibc's logf (and log1pf, which log1p rounded once matches) under every capability
  const oneMinus = flags & BCE_LOG_ONE_MINUS ? glibcLog32(f32x4.sub(k(ONE), x)) : float32Of(LOG1P, f32x4.neg(x));
  const logOneMinus = f32x4.pmax(oneMinus, k(LOG_FLOOR));
  const logX = f32x4.pmax(glibcLog32(x), k(LOG_FLOOR));
  return f32x4.sub(f32x4.mul(f32x4.sub(y, k(ONE)), logOneMinus), f32x4.mul(y, logX));
}

/** BCELoss' gradient before weight and 'mean': g (x - y) / max((1 - x) x, 1e-12). */
// @ts-ignore: decorator
@inline function binaryCrossEntropyGrad(x: v128, y: v128, g: v128): v128 {
  const denominator = f32x4.pmax(f32x4.mul(f32x4.sub(k(ONE), x), x), k(EPSILON));
  return f32x4.div(f32x4.mul(g, f32x4.sub(x, y)), denominator);
}

/** sign / sgn of float32 lanes: (0 < v) - (v < 0), so +0 for -0 and NaN. */
// @ts-ignore: decorator
@inline function sign32(v: v128): v128 {
  return f32x4.sub(v128.and(f32x4.gt(v, k(ZERO)), k(ONE)), v128.and(f32x4.lt(v, k(ZERO)), k(ONE)));
}

/** GaussianNLL's clamp_(min=eps): std::max(var, eps) (a NaN var stays NaN; a NaN eps leaves var). */
// @ts-ignore: decorator
@inline function clampVar(v: v128, eps: v128): v128 {
  return v128.bitselect(eps, v, f32x4.lt(v, eps));
}

/** GaussianNLL: 0.5 * (log(v) + (x - y)^2 / v) (+ the full constant), v = max(var, eps); log(v) from the pre-pass. */
// @ts-ignore: decorator
@inline function gaussianNllLoss(x: v128, logV: v128, y: v128, variance: v128, eps: v128, flags: i32, s: f32): v128 {
  const v = clampVar(variance, eps);
  const d = f32x4.sub(x, y);
  const q = f32x4.div(f32x4.mul(d, d), v);
  const loss = f32x4.mul(k(HALF), f32x4.add(logV, q));
  return flags & FULL ? f32x4.add(loss, f32x4.splat(s)) : loss;
}

/**
 * GaussianNLL's gradients from each element's g (grad_output, / numel for 'mean'): gb = g * 0.5;
 * input: (gb / v) * (2 * (x - y)); var: gb / v + (-gb) * (((x - y)^2 / v) / v).
 */
// @ts-ignore: decorator
@inline function gaussianNllGrad(x: v128, y: v128, variance: v128, eps: v128, g: v128, ofVar: bool): v128 {
  const v = clampVar(variance, eps);
  const d = f32x4.sub(x, y);
  const gb = f32x4.mul(g, k(HALF));
  const gs = f32x4.div(gb, v);
  if (!ofVar) return f32x4.mul(gs, f32x4.mul(k(TWO), d));
  const q = f32x4.div(f32x4.mul(d, d), v);
  return f32x4.add(gs, f32x4.mul(f32x4.neg(gb), f32x4.div(q, v)));
}

const ABS_MASK: usize = memory.data<i32>([0x7fffffff]);

/** |v| of float32 lanes: the sign bits cleared, as f32x4.abs does (which V8 builds as three instructions, the mask made again at each use). */
// @ts-ignore: decorator
@inline function abs32(v: v128): v128 {
  return v128.and(v, k(ABS_MASK));
}

/**
 * m ? a : b lane-wise for a comparison's mask m (each lane all ones or all zeros): in the
 * relaxed-SIMD build relaxed_laneselect (one blendvps on x86), which for such masks is exactly
 * bitselect (three instructions in V8).
 */
// @ts-ignore: decorator
@inline function select32(a: v128, b: v128, m: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i32x4.relaxed_laneselect(a, b, m);
  return v128.bitselect(a, b, m);
}

/**
 * The cheap kernels (see cheap()) on one vector, given their loop-invariant vectors made once
 * per loop: sv = splat(s) (beta / delta of the forwards, norm of the backwards), hv = 0.5 * sv,
 * a operand a's lanes (beta / delta of the backwards) and na = -a.
 *   MSE: (x - y)^2. MSE_GRAD: (norm * (x - y)) * g. L1: |x - y|. L1_GRAD: sgn(x - y) * g.
 *   SMOOTH_L1: z = |x - y|; z < b ? ((0.5 * z) * z) / b : z - 0.5 * b.
 *   SMOOTH_L1_GRAD (smooth_l1_backward's vectorized lambda): d = x - y; (norm * (|d| >= b ? (d > 0 ? 1 : -1) : d / b)) * g.
 *   HUBER: z = |x - y|; z < delta ? (0.5 * z) * z : delta * (z - 0.5 * delta).
 *   HUBER_GRAD (huber_backward's vectorized lambda): d = x - y; (norm * (|d| >= delta ? (d > 0 ? delta : -delta) : d)) * g.
 */
// @ts-ignore: decorator
@inline function cheapLanes(op: i32, x: v128, y: v128, a: v128, na: v128, c: v128, sv: v128, hv: v128, flags: i32): v128 {
  if (op == MSE) {
    const d = f32x4.sub(x, y);
    return f32x4.mul(d, d);
  }
  if (op == MSE_GRAD) return f32x4.mul(f32x4.mul(sv, f32x4.sub(x, y)), c);
  if (op == L1) return abs32(f32x4.sub(x, y));
  if (op == L1_GRAD) return f32x4.mul(sign32(f32x4.sub(x, y)), c);
  if (op == SMOOTH_L1) {
    const z = abs32(f32x4.sub(x, y));
    const square = f32x4.mul(f32x4.mul(k(HALF), z), z);
    const quadratic = flags & BETA_ONE ? square : f32x4.div(square, sv);
    return select32(quadratic, f32x4.sub(z, hv), f32x4.lt(z, sv));
  }
  if (op == SMOOTH_L1_GRAD) {
    const d = f32x4.sub(x, y);
    const sign = select32(k(ONE), k(MINUS_ONE), f32x4.gt(d, k(ZERO)));
    return f32x4.mul(f32x4.mul(sv, select32(sign, flags & BETA_ONE ? d : f32x4.div(d, a), f32x4.ge(abs32(d), a))), c);
  }
  if (op == HUBER) {
    const z = abs32(f32x4.sub(x, y));
    return select32(f32x4.mul(f32x4.mul(k(HALF), z), z), f32x4.mul(sv, f32x4.sub(z, hv)), f32x4.lt(z, sv));
  }
  // HUBER_GRAD
  const d = f32x4.sub(x, y);
  const clipped = select32(a, na, f32x4.gt(d, k(ZERO)));
  return f32x4.mul(f32x4.mul(sv, select32(clipped, d, f32x4.ge(abs32(d), a))), c);
}

const TWO_PI_F32: usize = memory.data<f32>([6.2831854820251465]); // fround(2 * pi)

/** PoissonNLLLoss: exp(x) - y * x (log_input) or x - y * log(x + eps); full adds the Stirling term where y > 1 (or NaN). */
// @ts-ignore: decorator
@inline function poissonNllLoss(x: v128, e: v128, y: v128, flags: i32): v128 {
  // e: exp(x) or log(x + eps), from the pre-pass
  const loss = flags & LOG_INPUT ? f32x4.sub(e, f32x4.mul(y, x)) : f32x4.sub(x, f32x4.mul(y, e));
  if (!(flags & FULL)) return loss;
  // y * log(y) - y + 0.5 * log(2 pi y), masked_fill(y <= 1, 0): skipped there
  const stirling = f32x4.add(f32x4.sub(f32x4.mul(y, atenLog32(y, flags)), y), f32x4.mul(k(HALF), atenLog32(f32x4.mul(k(TWO_PI_F32), y), flags)));
  return v128.bitselect(loss, f32x4.add(loss, stirling), f32x4.le(y, k(ONE)));
}

/** PoissonNLLLoss' gradient: g * exp(x) + (-g) * y (log_input) or g + ((-g) * y) / (x + eps). */
// @ts-ignore: decorator
@inline function poissonNllGrad(x: v128, e: v128, y: v128, g: v128, eps: v128, flags: i32): v128 {
  const scaled = f32x4.mul(f32x4.neg(g), y);
  if (flags & LOG_INPUT) return f32x4.add(f32x4.mul(g, e), scaled); // e = exp(x), from the pre-pass
  return f32x4.add(g, f32x4.div(scaled, f32x4.add(x, eps)));
}

/**
 * KLDivLoss: exp(y) * (y - x) (log_target); from 1.13 xlogy(y, y) - y * x (xlogy's scalar kernel:
 * glibc's logf, 0 where y == 0, NaN where y is); before, y > 0 ? y * (log(y) - x) : 0.
 */
// @ts-ignore: decorator
@inline function klDivLoss(x: v128, e: v128, y: v128, flags: i32): v128 {
  // e: exp(y), log(y) or glibc's log(y), from the pre-pass
  if (flags & LOG_TARGET) return f32x4.mul(e, f32x4.sub(y, x));
  if (flags & KL_DIV_WHERE) return v128.bitselect(f32x4.mul(y, f32x4.sub(e, x)), k(ZERO), f32x4.gt(y, k(ZERO)));
  const xlogy = v128.bitselect(y, v128.bitselect(k(ZERO), f32x4.mul(y, e), f32x4.eq(y, k(ZERO))), f32x4.ne(y, y));
  return f32x4.sub(xlogy, f32x4.mul(y, x));
}

/**
 * KLDivLoss' gradient: from 1.13 -(g * exp(y)) (log_target) or -(g * y); before (KL_DIV_WHERE)
 * -(exp(y) * g) or (y > 0 ? -(y * g) : 0), each divided by numel for 'mean' (norm != 0).
 */
// @ts-ignore: decorator
@inline function klDivGrad(e: v128, y: v128, g: v128, norm: f32, flags: i32): v128 {
  // e = exp(y) (log_target), from the pre-pass
  if (!(flags & KL_DIV_WHERE)) return f32x4.neg(f32x4.mul(g, flags & LOG_TARGET ? e : y));
  let v = f32x4.neg(f32x4.mul(flags & LOG_TARGET ? e : y, g));
  if (norm != 0) v = f32x4.div(v, f32x4.splat(norm));
  return flags & LOG_TARGET ? v : v128.and(v, f32x4.gt(y, k(ZERO)));
}

/** Kernel `op` on one vector; `e` holds the pre-pass's lanes (see prePass) for the ops that have one. */
// @ts-ignore: decorator
@inline function kernelLanes(op: i32, x: v128, e: v128, y: v128, a: v128, b: v128, c: v128, flags: i32, s: f32): v128 {
  const weighted = flags & HAS_WEIGHT;
  let v: v128;
  switch (op) {
    case BCE_WITH_LOGITS: v = bceWithLogitsLoss(x, e, y, b, flags); break;
    case BCE_WITH_LOGITS_GRAD: v = bceWithLogitsGrad(x, y, b, c, flags); break;
    case MULTILABEL_SOFT_MARGIN: v = multilabelSoftMarginLoss(x, e, y, flags); break;
    case MULTILABEL_SOFT_MARGIN_GRAD: return multilabelSoftMarginGrad(x, y, weighted ? f32x4.mul(c, a) : c, flags);
    case SOFT_MARGIN: return softMarginLoss(x, y, flags);
    case SOFT_MARGIN_GRAD: return softMarginGrad(x, y, c, f32x4.splat(s), flags);
    case BINARY_CROSS_ENTROPY: v = binaryCrossEntropyLoss(x, y, flags); break;
    case MSE:
    case MSE_GRAD:
    case L1:
    case L1_GRAD:
    case SMOOTH_L1:
    case SMOOTH_L1_GRAD:
    case HUBER:
    case HUBER_GRAD:
      return cheapLanes(op, x, y, a, f32x4.neg(a), c, f32x4.splat(s), f32x4.mul(k(HALF), f32x4.splat(s)), flags);
    case GAUSSIAN_NLL: return gaussianNllLoss(x, e, y, a, b, flags, s);
    case GAUSSIAN_NLL_GRAD: return gaussianNllGrad(x, y, a, b, c, false);
    case GAUSSIAN_NLL_VAR_GRAD: return gaussianNllGrad(x, y, a, b, c, true);
    case POISSON_NLL: return poissonNllLoss(x, e, y, flags);
    case POISSON_NLL_GRAD: return poissonNllGrad(x, e, y, c, f32x4.splat(s), flags);
    case KL_DIV: return klDivLoss(x, e, y, flags);
    case KL_DIV_GRAD: return klDivGrad(e, y, c, s, flags);
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

/** Whether kernel `op` reads its pre-pass, operand a, b or c (a constant once `op` is: unread operands are not loaded). */
// @ts-ignore: decorator
@inline function readsPre(op: i32): bool {
  return op == BCE_WITH_LOGITS || op == MULTILABEL_SOFT_MARGIN || op == POISSON_NLL || op == POISSON_NLL_GRAD || op == KL_DIV ||
    op == KL_DIV_GRAD || op == GAUSSIAN_NLL;
}
// @ts-ignore: decorator
@inline function readsA(op: i32): bool {
  return op <= MULTILABEL_SOFT_MARGIN_GRAD || op == BINARY_CROSS_ENTROPY || op == BINARY_CROSS_ENTROPY_GRAD ||
    (op >= GAUSSIAN_NLL && op <= GAUSSIAN_NLL_VAR_GRAD) || op == SMOOTH_L1_GRAD || op == HUBER_GRAD;
}
// @ts-ignore: decorator
@inline function readsB(op: i32): bool {
  return op == BCE_WITH_LOGITS || op == BCE_WITH_LOGITS_GRAD || (op >= GAUSSIAN_NLL && op <= GAUSSIAN_NLL_VAR_GRAD);
}
// @ts-ignore: decorator
@inline function readsC(op: i32): bool {
  return op == BCE_WITH_LOGITS_GRAD || op == MULTILABEL_SOFT_MARGIN_GRAD || op == SOFT_MARGIN_GRAD || op == BINARY_CROSS_ENTROPY_GRAD ||
    op == MSE_GRAD || op == L1_GRAD || op == GAUSSIAN_NLL_GRAD || op == GAUSSIAN_NLL_VAR_GRAD || op == SMOOTH_L1_GRAD || op == HUBER_GRAD ||
    op == POISSON_NLL_GRAD || op == KL_DIV_GRAD;
}

/** Whether kernel `op` is a few operations a vector (no exp / log, no pre-pass): segmentOf unrolls its loop. */
// @ts-ignore: decorator
@inline function cheap(op: i32): bool {
  return op == MSE || op == MSE_GRAD || op == L1 || op == L1_GRAD || op == SMOOTH_L1 || op == SMOOTH_L1_GRAD || op == HUBER || op == HUBER_GRAD;
}

/**
 * segmentOf's loop for a cheap kernel over the first `end` elements (a multiple of 4), two vectors
 * an iteration, y per element, a one value (av, na = -av), c per element (cVec) or one value (cv):
 * each a constant where inlined. Returns how many elements it did (a multiple of 8).
 */
// @ts-ignore: decorator
@inline function cheapLoop(
  op: i32, x: usize, out: usize, end: i32, y: usize, av: v128, na: v128, c: usize, cv: v128, cVec: bool, sv: v128, hv: v128, flags: i32,
): i32 {
  let i = 0;
  for (; i + 8 <= end; i += 8) {
    const at = <usize>i << 2;
    const c0 = readsC(op) && cVec ? v128.load(c + at) : cv;
    const c1 = readsC(op) && cVec ? v128.load(c + at, 16) : cv;
    v128.store(out + at, cheapLanes(op, v128.load(x + at), v128.load(y + at), av, na, c0, sv, hv, flags));
    v128.store(out + at, cheapLanes(op, v128.load(x + at, 16), v128.load(y + at, 16), av, na, c1, sv, hv, flags), 16);
  }
  return i;
}

/**
 * SoftMarginLoss' loop over the first `end` elements (a multiple of 4), two vectors an iteration,
 * their exp and log interleaved (softMarginLoss's ops, lane for lane); returns how many it did (a
 * multiple of 8). y per element (yStep) or one value.
 */
// @ts-ignore: decorator
@inline function softMarginLoop(x: usize, out: usize, end: i32, y: usize, yStep: i32, flags: i32): i32 {
  const yv = v128.load32_splat(y);
  let i = 0;
  for (; i + 8 <= end; i += 8) {
    const at = <usize>i << 2;
    const y0 = yStep ? v128.load(y + at) : yv;
    const y1 = yStep ? v128.load(y + at, 16) : yv;
    const e0 = atenExpPair(f32x4.mul(f32x4.neg(v128.load(x + at)), y0), f32x4.mul(f32x4.neg(v128.load(x + at, 16)), y1), flags);
    const e1 = expPairSecond;
    let r0: v128, r1: v128;
    if (!(flags & USES_LOG1P)) {
      r0 = atenLogPair(f32x4.add(k(ONE), e0), f32x4.add(k(ONE), e1), flags, true); // 1 + e >= 1 (or NaN)
      r1 = logPairSecond;
    } else {
      r0 = atenLog1p32(e0, flags, false);
      r1 = atenLog1p32(e1, flags, false);
    }
    v128.store(out + at, r0);
    v128.store(out + at, r1, 16);
  }
  return i;
}

/** Kernel `op` (a constant: each kernel gets its own loop) over `len` elements: x, pre and out contiguous, the operands stepping by 0 or 1. */
// @ts-ignore: decorator
@inline function segmentOf(
  op: i32, x: usize, pre: usize, out: usize, len: i32,
  y: usize, yStep: i32, a: usize, aStep: i32, b: usize, bStep: i32, c: usize, cStep: i32, flags: i32, s: f32,
): void {
  const none = f32x4.splat(0);
  const vectorEnd = len & ~3;
  let i = 0;
  if (cheap(op)) {
    // A few operations a vector, so the loop's own work is most of the time: two vectors an
    // iteration, one-value operands splat once, the constants made once (each lane's arithmetic
    // is unchanged), and for the usual layout (a target per element, a one-value a) a loop of
    // its own for c per element or one value, without a branch per operand inside.
    const yv = v128.load32_splat(y);
    const av = readsA(op) ? v128.load32_splat(a) : none;
    const na = readsA(op) ? f32x4.neg(av) : none;
    const cv = readsC(op) ? v128.load32_splat(c) : none;
    const sv = f32x4.splat(s);
    const hv = f32x4.mul(k(HALF), sv);
    if (yStep && !(readsA(op) && aStep)) {
      i = readsC(op) && cStep
        ? cheapLoop(op, x, out, vectorEnd, y, av, na, c, cv, true, sv, hv, flags)
        : cheapLoop(op, x, out, vectorEnd, y, av, na, c, cv, false, sv, hv, flags);
    } else {
      for (; i + 8 <= vectorEnd; i += 8) {
        const at = <usize>i << 2;
        const y0 = yStep ? v128.load(y + at) : yv;
        const y1 = yStep ? v128.load(y + at, 16) : yv;
        const a0 = readsA(op) && aStep ? v128.load(a + at) : av;
        const a1 = readsA(op) && aStep ? v128.load(a + at, 16) : av;
        const c0 = readsC(op) && cStep ? v128.load(c + at) : cv;
        const c1 = readsC(op) && cStep ? v128.load(c + at, 16) : cv;
        const v0 = cheapLanes(op, v128.load(x + at), y0, a0, readsA(op) && aStep ? f32x4.neg(a0) : na, c0, sv, hv, flags);
        const v1 = cheapLanes(op, v128.load(x + at, 16), y1, a1, readsA(op) && aStep ? f32x4.neg(a1) : na, c1, sv, hv, flags);
        v128.store(out + at, v0);
        v128.store(out + at, v1, 16);
      }
    }
  }
  if (op == SOFT_MARGIN) i = softMarginLoop(x, out, vectorEnd, y, yStep, flags);
  for (; i < vectorEnd; i += 4) {
    const at = <usize>i << 2;
    const v = kernelLanes(
      op, v128.load(x + at), readsPre(op) ? v128.load(pre + at) : none, lanes(y + at * <usize>yStep, yStep),
      readsA(op) ? lanes(a + at * <usize>aStep, aStep) : none, readsB(op) ? lanes(b + at * <usize>bStep, bStep) : none,
      readsC(op) ? lanes(c + at * <usize>cStep, cStep) : none, flags, s,
    );
    v128.store(out + at, v);
  }
  const tail = len - vectorEnd;
  if (tail) {
    const at = <usize>vectorEnd << 2;
    const v = kernelLanes(
      op, stage(0, x + at, tail, 1), readsPre(op) ? stage(5, pre + at, tail, 1) : none, stage(1, y + at * <usize>yStep, tail, yStep),
      readsA(op) ? stage(2, a + at * <usize>aStep, tail, aStep) : none, readsB(op) ? stage(3, b + at * <usize>bStep, tail, bStep) : none,
      readsC(op) ? stage(4, c + at * <usize>cStep, tail, cStep) : none, flags, s,
    );
    unstage(v, out + at, tail);
  }
}

// One function per kernel (each its own loop, the op a constant there), chosen once per segment.
function segmentBceWithLogits(x: usize, pre: usize, out: usize, len: i32, y: usize, yStep: i32, a: usize, aStep: i32, b: usize, bStep: i32, c: usize, cStep: i32, flags: i32, s: f32,): void {
  segmentOf(BCE_WITH_LOGITS, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s);
}
function segmentBceWithLogitsGrad(x: usize, pre: usize, out: usize, len: i32, y: usize, yStep: i32, a: usize, aStep: i32, b: usize, bStep: i32, c: usize, cStep: i32, flags: i32, s: f32,): void {
  segmentOf(BCE_WITH_LOGITS_GRAD, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s);
}
function segmentMultilabelSoftMargin(x: usize, pre: usize, out: usize, len: i32, y: usize, yStep: i32, a: usize, aStep: i32, b: usize, bStep: i32, c: usize, cStep: i32, flags: i32, s: f32,): void {
  segmentOf(MULTILABEL_SOFT_MARGIN, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s);
}
function segmentMultilabelSoftMarginGrad(x: usize, pre: usize, out: usize, len: i32, y: usize, yStep: i32, a: usize, aStep: i32, b: usize, bStep: i32, c: usize, cStep: i32, flags: i32, s: f32,): void {
  segmentOf(MULTILABEL_SOFT_MARGIN_GRAD, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s);
}
function segmentSoftMargin(x: usize, pre: usize, out: usize, len: i32, y: usize, yStep: i32, a: usize, aStep: i32, b: usize, bStep: i32, c: usize, cStep: i32, flags: i32, s: f32,): void {
  // SLEEF's flags constants in each loop (no branch on them per vector); 'default' (glibc) as given
  if (flags & USES_GLIBC) segmentOf(SOFT_MARGIN, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s);
  else if (!(flags & USES_LOG1P)) segmentOf(SOFT_MARGIN, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, 0, s);
  else if (flags & LOG1P_OVERFLOWS) segmentOf(SOFT_MARGIN, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, USES_LOG1P | LOG1P_OVERFLOWS, s);
  else segmentOf(SOFT_MARGIN, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, USES_LOG1P, s);
}
function segmentSoftMarginGrad(x: usize, pre: usize, out: usize, len: i32, y: usize, yStep: i32, a: usize, aStep: i32, b: usize, bStep: i32, c: usize, cStep: i32, flags: i32, s: f32,): void {
  segmentOf(SOFT_MARGIN_GRAD, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s);
}
function segmentBinaryCrossEntropy(x: usize, pre: usize, out: usize, len: i32, y: usize, yStep: i32, a: usize, aStep: i32, b: usize, bStep: i32, c: usize, cStep: i32, flags: i32, s: f32,): void {
  segmentOf(BINARY_CROSS_ENTROPY, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s);
}
function segmentBinaryCrossEntropyGrad(x: usize, pre: usize, out: usize, len: i32, y: usize, yStep: i32, a: usize, aStep: i32, b: usize, bStep: i32, c: usize, cStep: i32, flags: i32, s: f32,): void {
  segmentOf(BINARY_CROSS_ENTROPY_GRAD, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s);
}
function segmentMse(x: usize, pre: usize, out: usize, len: i32, y: usize, yStep: i32, a: usize, aStep: i32, b: usize, bStep: i32, c: usize, cStep: i32, flags: i32, s: f32,): void {
  segmentOf(MSE, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s);
}
function segmentMseGrad(x: usize, pre: usize, out: usize, len: i32, y: usize, yStep: i32, a: usize, aStep: i32, b: usize, bStep: i32, c: usize, cStep: i32, flags: i32, s: f32,): void {
  segmentOf(MSE_GRAD, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s);
}
function segmentL1(x: usize, pre: usize, out: usize, len: i32, y: usize, yStep: i32, a: usize, aStep: i32, b: usize, bStep: i32, c: usize, cStep: i32, flags: i32, s: f32,): void {
  segmentOf(L1, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s);
}
function segmentL1Grad(x: usize, pre: usize, out: usize, len: i32, y: usize, yStep: i32, a: usize, aStep: i32, b: usize, bStep: i32, c: usize, cStep: i32, flags: i32, s: f32,): void {
  segmentOf(L1_GRAD, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s);
}
function segmentGaussianNll(x: usize, pre: usize, out: usize, len: i32, y: usize, yStep: i32, a: usize, aStep: i32, b: usize, bStep: i32, c: usize, cStep: i32, flags: i32, s: f32,): void {
  segmentOf(GAUSSIAN_NLL, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s);
}
function segmentGaussianNllGrad(x: usize, pre: usize, out: usize, len: i32, y: usize, yStep: i32, a: usize, aStep: i32, b: usize, bStep: i32, c: usize, cStep: i32, flags: i32, s: f32,): void {
  segmentOf(GAUSSIAN_NLL_GRAD, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s);
}
function segmentGaussianNllVarGrad(x: usize, pre: usize, out: usize, len: i32, y: usize, yStep: i32, a: usize, aStep: i32, b: usize, bStep: i32, c: usize, cStep: i32, flags: i32, s: f32,): void {
  segmentOf(GAUSSIAN_NLL_VAR_GRAD, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s);
}
function segmentPoissonNll(x: usize, pre: usize, out: usize, len: i32, y: usize, yStep: i32, a: usize, aStep: i32, b: usize, bStep: i32, c: usize, cStep: i32, flags: i32, s: f32,): void {
  segmentOf(POISSON_NLL, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s);
}
function segmentPoissonNllGrad(x: usize, pre: usize, out: usize, len: i32, y: usize, yStep: i32, a: usize, aStep: i32, b: usize, bStep: i32, c: usize, cStep: i32, flags: i32, s: f32,): void {
  segmentOf(POISSON_NLL_GRAD, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s);
}
function segmentKlDiv(x: usize, pre: usize, out: usize, len: i32, y: usize, yStep: i32, a: usize, aStep: i32, b: usize, bStep: i32, c: usize, cStep: i32, flags: i32, s: f32,): void {
  segmentOf(KL_DIV, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s);
}
function segmentKlDivGrad(x: usize, pre: usize, out: usize, len: i32, y: usize, yStep: i32, a: usize, aStep: i32, b: usize, bStep: i32, c: usize, cStep: i32, flags: i32, s: f32,): void {
  segmentOf(KL_DIV_GRAD, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s);
}
function segmentSmoothL1(x: usize, pre: usize, out: usize, len: i32, y: usize, yStep: i32, a: usize, aStep: i32, b: usize, bStep: i32, c: usize, cStep: i32, flags: i32, s: f32,): void {
  // BETA_ONE (its only flag) a constant in each loop: no branch on it per vector
  if (flags & BETA_ONE) segmentOf(SMOOTH_L1, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, BETA_ONE, s);
  else segmentOf(SMOOTH_L1, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, 0, s);
}
function segmentSmoothL1Grad(x: usize, pre: usize, out: usize, len: i32, y: usize, yStep: i32, a: usize, aStep: i32, b: usize, bStep: i32, c: usize, cStep: i32, flags: i32, s: f32,): void {
  // BETA_ONE (its only flag) a constant in each loop: no branch on it per vector
  if (flags & BETA_ONE) segmentOf(SMOOTH_L1_GRAD, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, BETA_ONE, s);
  else segmentOf(SMOOTH_L1_GRAD, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, 0, s);
}
function segmentHuber(x: usize, pre: usize, out: usize, len: i32, y: usize, yStep: i32, a: usize, aStep: i32, b: usize, bStep: i32, c: usize, cStep: i32, flags: i32, s: f32,): void {
  segmentOf(HUBER, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s);
}
function segmentHuberGrad(x: usize, pre: usize, out: usize, len: i32, y: usize, yStep: i32, a: usize, aStep: i32, b: usize, bStep: i32, c: usize, cStep: i32, flags: i32, s: f32,): void {
  segmentOf(HUBER_GRAD, x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s);
}

/** Kernel `op` over `len` elements (see segmentOf). */
function segment(
  op: i32, x: usize, pre: usize, out: usize, len: i32,
  y: usize, yStep: i32, a: usize, aStep: i32, b: usize, bStep: i32, c: usize, cStep: i32, flags: i32, s: f32,
): void {
  switch (op) {
    case BCE_WITH_LOGITS: segmentBceWithLogits(x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s); break;
    case BCE_WITH_LOGITS_GRAD: segmentBceWithLogitsGrad(x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s); break;
    case MULTILABEL_SOFT_MARGIN: segmentMultilabelSoftMargin(x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s); break;
    case MULTILABEL_SOFT_MARGIN_GRAD: segmentMultilabelSoftMarginGrad(x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s); break;
    case SOFT_MARGIN: segmentSoftMargin(x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s); break;
    case SOFT_MARGIN_GRAD: segmentSoftMarginGrad(x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s); break;
    case BINARY_CROSS_ENTROPY: segmentBinaryCrossEntropy(x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s); break;
    case BINARY_CROSS_ENTROPY_GRAD: segmentBinaryCrossEntropyGrad(x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s); break;
    case MSE: segmentMse(x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s); break;
    case MSE_GRAD: segmentMseGrad(x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s); break;
    case L1: segmentL1(x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s); break;
    case L1_GRAD: segmentL1Grad(x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s); break;
    case GAUSSIAN_NLL: segmentGaussianNll(x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s); break;
    case GAUSSIAN_NLL_GRAD: segmentGaussianNllGrad(x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s); break;
    case GAUSSIAN_NLL_VAR_GRAD: segmentGaussianNllVarGrad(x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s); break;
    case SMOOTH_L1: segmentSmoothL1(x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s); break;
    case SMOOTH_L1_GRAD: segmentSmoothL1Grad(x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s); break;
    case HUBER: segmentHuber(x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s); break;
    case HUBER_GRAD: segmentHuberGrad(x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s); break;
    case POISSON_NLL: segmentPoissonNll(x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s); break;
    case POISSON_NLL_GRAD: segmentPoissonNllGrad(x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s); break;
    case KL_DIV: segmentKlDiv(x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s); break;
    default: segmentKlDivGrad(x, pre, out, len, y, yStep, a, aStep, b, bStep, c, cStep, flags, s); break;
  }
}

/** The address of an operand's value for (row, col) at chunk offset i. */
// @ts-ignore: decorator
@inline function operandAt(ptr: usize, rowStride: i32, colStride: i32, elemStride: i32, row: i32, col: i32, i: i32): usize {
  return ptr + (<usize>(row * rowStride + col * colStride + i * elemStride) << 2);
}

/** What a kernel's pre-pass computes (a constant per op and flags): nothing, or f(argument) per element. */
const PRE_NONE = 0;
const PRE_EXP_NEG_ABS_X = 1; // exp(-|x|): BCEWithLogits' and MultiLabelSoftMargin's log_sigmoid under 'default' (the Tang exp)
const PRE_EXP_X = 2; // at::exp(x)
const PRE_EXP_Y = 3; // at::exp(target)
const PRE_LOG_X_EPS = 4; // at::log(x + s)
const PRE_LOG_Y = 5; // at::log(target)
const PRE_GLIBC_LOG_Y = 6; // glibc's logf(target) (xlogy's scalar kernel)
const PRE_LOG_VAR = 7; // at::log(max(a, b)) (GaussianNLL's clamped var)
const PRE_ATEN_EXP_NEG_ABS_X = 8; // at::exp(-|x|): BCEWithLogits before 2.3; log_sigmoid's (SLEEF) but under 'default'

// @ts-ignore: decorator
@inline function preOf(op: i32, flags: i32): i32 {
  if (op == BCE_WITH_LOGITS) return flags & USES_LOG_SIGMOID && flags & USES_GLIBC ? PRE_EXP_NEG_ABS_X : PRE_ATEN_EXP_NEG_ABS_X;
  if (op == MULTILABEL_SOFT_MARGIN) return flags & USES_GLIBC ? PRE_EXP_NEG_ABS_X : PRE_ATEN_EXP_NEG_ABS_X;
  if (op == POISSON_NLL) return flags & LOG_INPUT ? PRE_EXP_X : PRE_LOG_X_EPS;
  if (op == POISSON_NLL_GRAD) return flags & LOG_INPUT ? PRE_EXP_X : PRE_NONE;
  if (op == KL_DIV) return flags & LOG_TARGET ? PRE_EXP_Y : flags & KL_DIV_WHERE ? PRE_LOG_Y : PRE_GLIBC_LOG_Y;
  if (op == KL_DIV_GRAD) return flags & LOG_TARGET ? PRE_EXP_Y : PRE_NONE;
  if (op == GAUSSIAN_NLL) return PRE_LOG_VAR;
  return PRE_NONE;
}

/** The pre-pass function `what` of one vector (x, y, a, b its arguments' lanes). */
// @ts-ignore: decorator
@inline function preLanes(what: i32, x: v128, y: v128, a: v128, b: v128, flags: i32, s: f32): v128 {
  switch (what) {
    case PRE_EXP_NEG_ABS_X: return float32Of(EXP, f32x4.neg(f32x4.abs(x)));
    case PRE_EXP_X: return atenExp32(x, flags);
    case PRE_ATEN_EXP_NEG_ABS_X: return atenExp32(f32x4.neg(f32x4.abs(x)), flags);
    case PRE_EXP_Y: return atenExp32(y, flags);
    case PRE_LOG_X_EPS: return atenLog32(f32x4.add(x, f32x4.splat(s)), flags);
    case PRE_LOG_Y: return atenLog32(y, flags);
    case PRE_GLIBC_LOG_Y: return glibcLog32(y);
    default: return atenLog32(clampVar(a, b), flags); // PRE_LOG_VAR
  }
}

/**
 * A kernel's exp or log, in a pass of its own over the chunk (into pre), for `count` elements of x
 * and the per-element operands y and a (b a single value): the loop that follows holds fewer values
 * at once, and SLEEF's exp and log run two vectors at a time, interleaved (their chains of
 * dependent float64 steps, four in flight, keep the multiplier busy: about 1.6x faster).
 */
function prePass(op: i32, x: usize, pre: usize, count: i32, y: usize, a: usize, b: usize, flags: i32, s: f32): void {
  const what = preOf(op, flags);
  if (what == PRE_NONE) return;
  let i = 0;
  const pairs = what == PRE_EXP_X || what == PRE_EXP_Y || what == PRE_ATEN_EXP_NEG_ABS_X || what == PRE_LOG_X_EPS || what == PRE_LOG_Y || what == PRE_LOG_VAR;
  if (pairs) {
    const bv = v128.load32_splat(b);
    for (; i + 8 <= count; i += 8) {
      const at = <usize>i << 2;
      let first: v128;
      let second: v128;
      if (what == PRE_EXP_X || what == PRE_EXP_Y) {
        const p = what == PRE_EXP_X ? x : y;
        first = atenExpPair(v128.load(p + at), v128.load(p + at, 16), flags);
        second = expPairSecond;
      } else if (what == PRE_ATEN_EXP_NEG_ABS_X) {
        first = atenExpPair(f32x4.neg(f32x4.abs(v128.load(x + at))), f32x4.neg(f32x4.abs(v128.load(x + at, 16))), flags);
        second = expPairSecond;
      } else {
        let u: v128, w: v128;
        if (what == PRE_LOG_X_EPS) {
          u = f32x4.add(v128.load(x + at), f32x4.splat(s));
          w = f32x4.add(v128.load(x + at, 16), f32x4.splat(s));
        } else if (what == PRE_LOG_Y) {
          u = v128.load(y + at);
          w = v128.load(y + at, 16);
        } else {
          u = clampVar(v128.load(a + at), bv);
          w = clampVar(v128.load(a + at, 16), bv);
        }
        first = atenLogPair(u, w, flags);
        second = logPairSecond;
      }
      v128.store(pre + at, first);
      v128.store(pre + at, second, 16);
    }
  }
  for (; i < count; i += 4) {
    const at = <usize>i << 2;
    const none = f32x4.splat(0);
    v128.store(
      pre + at,
      preLanes(
        what, v128.load(x + at), what == PRE_EXP_Y || what == PRE_LOG_Y || what == PRE_GLIBC_LOG_Y ? v128.load(y + at) : none,
        what == PRE_LOG_VAR ? v128.load(a + at) : none, what == PRE_LOG_VAR ? v128.load32_splat(b) : none, flags, s,
      ),
    );
  }
}

/** Kernel `op` on a chunk, one result per element into out. */
export function elementwise(
  op: i32, x: usize, pre: usize, out: usize, start: i32, count: i32, classes: i32,
  y: usize, yRow: i32, yCol: i32, yElem: i32, a: usize, aRow: i32, aCol: i32, aElem: i32,
  b: usize, bRow: i32, bCol: i32, bElem: i32, c: usize, cRow: i32, cCol: i32, cElem: i32, flags: i32, s: f32,
): void {
  // the pre-passes' operands are per element (streamed with the chunk: at its start) or, b, one value
  prePass(op, x, pre, count, y, a, b, flags, s);
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

/** The sub-blocks elementwiseSum computes and sums in turn (their results stay in L1 between the two). */
const SUM_BLOCK = 2048;

/**
 * elementwise on a chunk, its results streamed into the sum (sumBegin first); returns sumChunk's
 * result (the sum after the call's last chunk, else 0). The same values as elementwise then
 * sumChunk over the chunk. The fused forwards (fusedSum, a target per element) add multi_row_sum's
 * rows of 32 straight into the accumulators as they are computed (the call's last few elements,
 * after its last whole row, through out); the others are computed into out SUM_BLOCK at a time,
 * each block summed while it is in cache.
 */
export function elementwiseSum(
  op: i32, x: usize, pre: usize, out: usize, start: i32, count: i32, classes: i32,
  y: usize, yRow: i32, yCol: i32, yElem: i32, a: usize, aRow: i32, aCol: i32, aElem: i32,
  b: usize, bRow: i32, bCol: i32, bElem: i32, c: usize, cRow: i32, cCol: i32, cElem: i32, flags: i32, s: f32,
): f32 {
  if (fusedSum(op) && sumLanes == 8 && yElem == 1 && yRow == 0 && yCol == 0) {
    const chunkStart = sumSeen;
    sumRowsOf(op, x, y, flags, s, count);
    if (sumSeen < sumLength) return 0;
    const tail = max(0, sumRows * WIDTH - chunkStart);
    const at = <usize>tail << 2;
    elementwise(
      op, x + at, pre + at, out + at, 0, count - tail, max(1, count - tail), y + at, 0, 0, 1, a, aRow, aCol, aElem,
      b, bRow, bCol, bElem, c, cRow, cCol, cElem, flags, s,
    );
    return sumFinish(out, chunkStart);
  }
  let sum: f32 = 0;
  for (let i = 0; i < count; i += SUM_BLOCK) {
    const n = min(SUM_BLOCK, count - i);
    const at = <usize>i << 2;
    elementwise(
      op, x + at, pre + at, out, start + i, n, classes, y + at * <usize>yElem, yRow, yCol, yElem, a + at * <usize>aElem, aRow, aCol, aElem,
      b + at * <usize>bElem, bRow, bCol, bElem, c + at * <usize>cElem, cRow, cCol, cElem, flags, s,
    );
    sum = sumChunk(out, n);
  }
  return sum;
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
  prePass(op, x, pre, count, y, a, b, flags, s);
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
/** multi_row_sum's row: ILP vectors of 8 lanes (two v128 each), 32 values, 8 v128 columns. */
const WIDTH = ILP * 8;
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

/** Whether forward kernel `op` has a sum fused into its loop (addRowsFor): it reads x, y (per element) and s only. */
// @ts-ignore: decorator
@inline function fusedSum(op: i32): bool {
  return op == MSE || op == L1 || op == SMOOTH_L1 || op == HUBER;
}

/** Adds `block` rows of 32 results of forward kernel `op` (a constant where inlined) over x, y into acc[0]. */
// @ts-ignore: decorator
@inline function addRowsOf(op: i32, x: usize, y: usize, flags: i32, s: f32, block: i32): void {
  const none = f32x4.splat(0);
  const sv = f32x4.splat(s);
  const hv = f32x4.mul(k(HALF), sv);
  let a0 = v128.load(ACC, 0), a1 = v128.load(ACC, 16), a2 = v128.load(ACC, 32), a3 = v128.load(ACC, 48);
  let a4 = v128.load(ACC, 64), a5 = v128.load(ACC, 80), a6 = v128.load(ACC, 96), a7 = v128.load(ACC, 112);
  for (let j = 0; j < block; j++, x += 128, y += 128) {
    a0 = f32x4.add(a0, cheapLanes(op, v128.load(x, 0), v128.load(y, 0), none, none, none, sv, hv, flags));
    a1 = f32x4.add(a1, cheapLanes(op, v128.load(x, 16), v128.load(y, 16), none, none, none, sv, hv, flags));
    a2 = f32x4.add(a2, cheapLanes(op, v128.load(x, 32), v128.load(y, 32), none, none, none, sv, hv, flags));
    a3 = f32x4.add(a3, cheapLanes(op, v128.load(x, 48), v128.load(y, 48), none, none, none, sv, hv, flags));
    a4 = f32x4.add(a4, cheapLanes(op, v128.load(x, 64), v128.load(y, 64), none, none, none, sv, hv, flags));
    a5 = f32x4.add(a5, cheapLanes(op, v128.load(x, 80), v128.load(y, 80), none, none, none, sv, hv, flags));
    a6 = f32x4.add(a6, cheapLanes(op, v128.load(x, 96), v128.load(y, 96), none, none, none, sv, hv, flags));
    a7 = f32x4.add(a7, cheapLanes(op, v128.load(x, 112), v128.load(y, 112), none, none, none, sv, hv, flags));
  }
  v128.store(ACC, a0, 0); v128.store(ACC, a1, 16); v128.store(ACC, a2, 32); v128.store(ACC, a3, 48);
  v128.store(ACC, a4, 64); v128.store(ACC, a5, 80); v128.store(ACC, a6, 96); v128.store(ACC, a7, 112);
}

function addRowsMse(x: usize, y: usize, flags: i32, s: f32, block: i32): void {
  addRowsOf(MSE, x, y, flags, s, block);
}
function addRowsL1(x: usize, y: usize, flags: i32, s: f32, block: i32): void {
  addRowsOf(L1, x, y, flags, s, block);
}
function addRowsSmoothL1(x: usize, y: usize, flags: i32, s: f32, block: i32): void {
  // BETA_ONE (its only flag) a constant in each loop: no branch on it per vector
  if (flags & BETA_ONE) addRowsOf(SMOOTH_L1, x, y, BETA_ONE, s, block);
  else addRowsOf(SMOOTH_L1, x, y, 0, s, block);
}
function addRowsHuber(x: usize, y: usize, flags: i32, s: f32, block: i32): void {
  addRowsOf(HUBER, x, y, flags, s, block);
}

/** op's results over whole rows of `width` at x, y (op < 0: the values at x themselves) into acc[0]. */
function addRowsFor(op: i32, x: usize, y: usize, flags: i32, s: f32, block: i32, width: i32): void {
  switch (op) {
    case MSE: addRowsMse(x, y, flags, s, block); break;
    case L1: addRowsL1(x, y, flags, s, block); break;
    case SMOOTH_L1: addRowsSmoothL1(x, y, flags, s, block); break;
    case HUBER: addRowsHuber(x, y, flags, s, block); break;
    default: addRows(x, block, width);
  }
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
// the last holds a multiple of SUM_CHUNK_ALIGN values (whole rows of the cascade).
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

/**
 * multi_row_sum over the chunk's whole rows (the next `count` values; op's results over x and y,
 * or for op < 0 the values at x): level steps of rows into acc[0], carried up a level at each
 * step's end.
 */
function sumRowsOf(op: i32, x: usize, y: usize, flags: i32, s: f32, count: i32): void {
  const width = ILP * sumLanes;
  const levelStep = 1 << sumLevelPower;
  const levelMask = levelStep - 1;
  const chunkStart = sumSeen;
  sumSeen += count;
  const rowsEnd = min(sumRows, sumSeen / width);
  let row = sumRowsDone;
  while (row < rowsEnd) {
    const block = min(rowsEnd - row, levelStep - (row & levelMask));
    const at = <usize>(row * width - chunkStart) << 2;
    addRowsFor(op, x + at, y + at, flags, s, block, width);
    row += block;
    if ((row & levelMask) == 0) {
      for (let level = 1; level < LEVELS; level++) {
        addLevel(level, level - 1, width, true);
        if ((row & (levelMask << (level * sumLevelPower))) != 0) break;
      }
    }
  }
  sumRowsDone = row;
}

/** The sum, once every row is in: ptr holds the last chunk (from the call's element chunkStart), whose values after the last whole row it reads. */
function sumFinish(ptr: usize, chunkStart: i32): f32 {
  const lanes = sumLanes;
  const width = ILP * lanes;
  // The levels folded into acc[0], row_sum's vectors after the last full row into the first ILP
  // accumulator, then the ILP accumulators added together ...
  for (let level = 1; level < LEVELS; level++) addLevel(0, level, width, false);
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

/** Adds the next `count` values, at ptr; after the last chunk, returns the sum (else 0). */
export function sumChunk(ptr: usize, count: i32): f32 {
  const chunkStart = sumSeen;
  sumRowsOf(-1, ptr, ptr, 0, 0, count);
  return sumSeen < sumLength ? 0 : sumFinish(ptr, chunkStart);
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

// ---- log_softmax over the last dim and its backward: ../../softmax.ts, float32, rows of `dim` ----
// Rows of at least L (8 or 16: Vectorized<float>'s lanes) values, L lanes held in L / 4 f32x4
// accumulators: vec::reduce_all / map_reduce_all's lane order (the tail of a row into the first
// lanes), then the lanes folded pairwise or in order, as ../../softmax.ts foldLanes.

// The flags of logSoftmaxRows / logSoftmaxBackwardRows: these, and USES_GLIBC ('default': glibc's expf / logf).
/** vec_reduce_all folds the lanes pairwise (else in order). */
export const SOFTMAX_PAIRWISE = 1024; // flag
/** The backward's grad - exp(output) * sum is one fused multiply-add (the avx2 / avx512 builds). */
export const SOFTMAX_FUSED = 2048; // flag
/** 16 lanes (avx512 builds), else 8. */
export const SOFTMAX_LANES16 = 4096; // flag
/** BCELoss before torch 2.0 (bceUsesLog1p false): std::log(1 - x), glibc's logf of the rounded 1 - x, not log1p(-x). */
export const BCE_LOG_ONE_MINUS = 8192; // flag

/** vec::maximum: NaN if either is NaN, else a > b ? a : b. */
// @ts-ignore: decorator
@inline function vmax(a: v128, b: v128): v128 {
  return v128.bitselect(k(NAN), v128.bitselect(a, b, f32x4.gt(a, b)), v128.or(f32x4.ne(a, a), f32x4.ne(b, b)));
}

// @ts-ignore: decorator
@inline function combine(a: v128, b: v128, add: bool): v128 {
  return add ? f32x4.add(a, b) : vmax(a, b);
}

/** Lane masks: lane l < count, count = 0 ... 4. */
const LANES_BELOW: usize = memory.data<i32>([0, 0, 0, 0, -1, 0, 0, 0, -1, -1, 0, 0, -1, -1, -1, 0, -1, -1, -1, -1], 16);

// @ts-ignore: decorator
@inline function lanesBelow(count: i32): v128 {
  return v128.load(LANES_BELOW + (<usize>min(max(count, 0), 4) << 4));
}

/** The L accumulator lanes (a0 ... a3, lanes 0-3, 4-7, 8-11, 12-15) folded: pairwise, or in order from lane 0. */
function foldLanes(a0: v128, a1: v128, a2: v128, a3: v128, lanes16: bool, pairwise: bool, add: bool): f32 {
  if (pairwise) {
    if (lanes16) {
      a0 = combine(a0, a2, add);
      a1 = combine(a1, a3, add);
    }
    let b = combine(a0, a1, add);
    b = combine(b, v128.shuffle<f32>(b, b, 2, 3, 2, 3), add);
    b = combine(b, v128.shuffle<f32>(b, b, 1, 1, 1, 1), add);
    return f32x4.extract_lane(b, 0);
  }
  store<v128>(SCRATCH, a0, 0);
  store<v128>(SCRATCH, a1, 16);
  store<v128>(SCRATCH, a2, 32);
  store<v128>(SCRATCH, a3, 48);
  let acc = f32x4.splat(load<f32>(SCRATCH));
  const n = lanes16 ? 16 : 8;
  for (let i = 1; i < n; i++) acc = combine(acc, f32x4.splat(load<f32>(SCRATCH + (<usize>i << 2))), add);
  return f32x4.extract_lane(acc, 0);
}

/**
 * The L lanes of a row (n >= L values at p) reduced with `add` or vmax, of f(v) for f = identity,
 * or exp(v - shift) (`expShifted`; `direct`: every v - shift known to lie in [-87, 88], see
 * sleefExp32): the first vector as the lanes, the next ones into them, the tail (n % L values)
 * into the first lanes; then folded.
 */
// @ts-ignore: decorator
@inline function reduceRow(p: usize, n: i32, lanes16: bool, pairwise: bool, add: bool, expShifted: bool, shift: v128, flags: i32, direct: bool = false): f32 {
  const L = lanes16 ? 16 : 8;
  const none = f32x4.splat(0);
  let a0 = v128.load(p), a1 = v128.load(p, 16), a2 = lanes16 ? v128.load(p, 32) : none, a3 = lanes16 ? v128.load(p, 48) : none;
  if (expShifted) {
    a0 = atenExpPair(f32x4.sub(a0, shift), f32x4.sub(a1, shift), flags, direct);
    a1 = expPairSecond;
    if (lanes16) {
      a2 = atenExpPair(f32x4.sub(a2, shift), f32x4.sub(a3, shift), flags, direct);
      a3 = expPairSecond;
    }
  }
  const full = n - n % L;
  let d = L;
  for (; d < full; d += L) {
    const q = p + (<usize>d << 2);
    let v0 = v128.load(q), v1 = v128.load(q, 16);
    if (expShifted) {
      v0 = atenExpPair(f32x4.sub(v0, shift), f32x4.sub(v1, shift), flags, direct);
      v1 = expPairSecond;
    }
    a0 = combine(a0, v0, add);
    a1 = combine(a1, v1, add);
    if (lanes16) {
      let v2 = v128.load(q, 32), v3 = v128.load(q, 48);
      if (expShifted) {
        v2 = atenExpPair(f32x4.sub(v2, shift), f32x4.sub(v3, shift), flags, direct);
        v3 = expPairSecond;
      }
      a2 = combine(a2, v2, add);
      a3 = combine(a3, v3, add);
    }
  }
  // the tail: lanes below n - d, read past the row (within the buffer's slack) and masked
  const tail = n - d;
  for (let j = 0; j < L; j += 4) {
    if (j >= tail) break;
    let v = v128.load(p + (<usize>(d + j) << 2));
    const mask = lanesBelow(tail - j);
    if (expShifted) v = atenExp32(f32x4.sub(v, shift), flags, direct);
    if (j == 0) a0 = v128.bitselect(combine(a0, v, add), a0, mask);
    else if (j == 4) a1 = v128.bitselect(combine(a1, v, add), a1, mask);
    else if (j == 8) a2 = v128.bitselect(combine(a2, v, add), a2, mask);
    else a3 = v128.bitselect(combine(a3, v, add), a3, mask);
  }
  return foldLanes(a0, a1, a2, a3, lanes16, pairwise, add);
}

// A row's fingerprint (./lib/fingerprint.ts): the row's last elements zero-padded.

/** The fingerprint of the row of n (>= 1) floats at p (the last vector read past the row, within the buffer's slack, and masked): into rowFpA, rowFpB. */
function rowFingerprint(p: usize, n: i32): void {
  let h0 = v128.load(FP_SEEDS), h1 = v128.load(FP_SEEDS, 16), h2 = v128.load(FP_SEEDS, 32), h3 = v128.load(FP_SEEDS, 48);
  const full = n & ~15;
  let i = 0;
  for (; i < full; i += 16) {
    const q = p + (<usize>i << 2);
    h0 = fpStep(h0, v128.load(q));
    h1 = fpStep(h1, v128.load(q, 16));
    h2 = fpStep(h2, v128.load(q, 32));
    h3 = fpStep(h3, v128.load(q, 48));
  }
  const rest = n - i;
  const q = p + (<usize>i << 2);
  if (rest > 0) h0 = fpStep(h0, v128.and(v128.load(q), lanesBelow(rest)));
  if (rest > 4) h1 = fpStep(h1, v128.and(v128.load(q, 16), lanesBelow(rest - 4)));
  if (rest > 8) h2 = fpStep(h2, v128.and(v128.load(q, 32), lanesBelow(rest - 8)));
  if (rest > 12) h3 = fpStep(h3, v128.and(v128.load(q, 48), lanesBelow(rest - 12)));
  fingerprintFold(h0, h1, h2, h3);
}

/** The smallest value of the row rowMax last reduced (NaN if it held one). */
let rowMinOf: f32 = 0;

/**
 * reduceRow's max of a row (vec::reduce_all(maximum): vmax in its lane order), and its min into
 * rowMinOf. Without a NaN in the row, vmax(a, v) is a > v ? a : v, which is pmax(v, a) (one
 * instruction, where vmax takes ten); so the lanes are kept with pmax, any NaN noted aside, and
 * folded as reduceRow folds them; a row with a NaN has the max vmax gives it: NaN.
 */
// @ts-ignore: decorator
@inline function rowMax(p: usize, n: i32, lanes16: bool, pairwise: bool): f32 {
  const L = lanes16 ? 16 : 8;
  const none = f32x4.splat(0);
  let a0 = v128.load(p), a1 = v128.load(p, 16), a2 = lanes16 ? v128.load(p, 32) : none, a3 = lanes16 ? v128.load(p, 48) : none;
  let m0 = a0, m1 = a1, m2 = a2, m3 = a3;
  let nan = v128.or(f32x4.ne(a0, a0), f32x4.ne(a1, a1));
  if (lanes16) nan = v128.or(nan, v128.or(f32x4.ne(a2, a2), f32x4.ne(a3, a3)));
  const full = n - n % L;
  let d = L;
  for (; d < full; d += L) {
    const q = p + (<usize>d << 2);
    const v0 = v128.load(q), v1 = v128.load(q, 16);
    a0 = f32x4.pmax(v0, a0);
    a1 = f32x4.pmax(v1, a1);
    m0 = f32x4.pmin(v0, m0);
    m1 = f32x4.pmin(v1, m1);
    nan = v128.or(nan, v128.or(f32x4.ne(v0, v0), f32x4.ne(v1, v1)));
    if (lanes16) {
      const v2 = v128.load(q, 32), v3 = v128.load(q, 48);
      a2 = f32x4.pmax(v2, a2);
      a3 = f32x4.pmax(v3, a3);
      m2 = f32x4.pmin(v2, m2);
      m3 = f32x4.pmin(v3, m3);
      nan = v128.or(nan, v128.or(f32x4.ne(v2, v2), f32x4.ne(v3, v3)));
    }
  }
  // the tail: lanes below n - d, read past the row (within the buffer's slack) and masked
  const tail = n - d;
  for (let j = 0; j < L; j += 4) {
    if (j >= tail) break;
    const v = v128.load(p + (<usize>(d + j) << 2));
    const mask = lanesBelow(tail - j);
    nan = v128.or(nan, v128.and(f32x4.ne(v, v), mask));
    m0 = f32x4.pmin(v128.bitselect(v, m0, mask), m0);
    if (j == 0) a0 = v128.bitselect(f32x4.pmax(v, a0), a0, mask);
    else if (j == 4) a1 = v128.bitselect(f32x4.pmax(v, a1), a1, mask);
    else if (j == 8) a2 = v128.bitselect(f32x4.pmax(v, a2), a2, mask);
    else a3 = v128.bitselect(f32x4.pmax(v, a3), a3, mask);
  }
  if (v128.any_true(nan)) {
    rowMinOf = NaN;
    return NaN;
  }
  let m = f32x4.pmin(m0, m1);
  if (lanes16) m = f32x4.pmin(m, f32x4.pmin(m2, m3));
  m = f32x4.pmin(m, v128.shuffle<f32>(m, m, 2, 3, 0, 1));
  rowMinOf = f32x4.extract_lane(f32x4.pmin(m, v128.shuffle<f32>(m, m, 1, 0, 3, 2)), 0);
  return foldLanes(a0, a1, a2, a3, lanes16, pairwise, false);
}

/**
 * log_softmax of `rows` contiguous rows of `dim` (>= L) float32 values at x, into out:
 * max = reduce_all(maximum), sum = map_reduce_all(exp(x - max), +), out = (x - max) - log(sum).
 */
export function logSoftmaxRows(x: usize, out: usize, rows: i32, dim: i32, flags: i32): void {
  const lanes16 = (flags & SOFTMAX_LANES16) != 0;
  const pairwise = (flags & SOFTMAX_PAIRWISE) != 0;
  for (let r0 = 0; r0 < rows; r0 += 4) {
    const batch = min(4, rows - r0);
    v128.store(ROW_SUM, f32x4.splat(1));
    for (let j = 0; j < batch; j++) rowMaxAndSum(x + (<usize>((r0 + j) * dim) << 2), dim, lanes16, pairwise, flags, j);
    rowLogs(flags);
    for (let j = 0; j < batch; j++) logSoftmaxRowOut(x, out, r0 + j, dim, j);
  }
}

/** logSoftmaxRows' outputs of row r (its stats in lane j of ROW_MAX / ROW_LSE): (x - max) - lse. */
// @ts-ignore: decorator
@inline function logSoftmaxRowOut(x: usize, out: usize, r: i32, dim: i32, j: i32): void {
  const p = x + (<usize>(r * dim) << 2);
  const o = out + (<usize>(r * dim) << 2);
  const max = f32x4.splat(load<f32>(ROW_MAX + (<usize>j << 2)));
  const lse = f32x4.splat(load<f32>(ROW_LSE + (<usize>j << 2)));
  const vectorEnd = dim & ~3;
  for (let i = 0; i < vectorEnd; i += 4) {
    const at = <usize>i << 2;
    v128.store(o + at, f32x4.sub(f32x4.sub(v128.load(p + at), max), lse));
  }
  for (let i = vectorEnd; i < dim; i++) {
    const at = <usize>i << 2;
    store<f32>(o + at, (load<f32>(p + at) - f32x4.extract_lane(max, 0)) - f32x4.extract_lane(lse, 0));
  }
}

const MIDPOINT_MASK: usize = memory.data<i64>([0x1fffffff]);
const MIDPOINT_BITS: usize = memory.data<i64>([0x10000000]);
const SMALLEST_NORMAL64: usize = memory.data<f64>([1.1754943508222875e-38]);

/**
 * fmaf(a, b, c) of float32 values, rounded once (../../libm.ts fma32, its algorithm): a * b is exact
 * in float64; a * b + c rounded to float64 then to float32 rounds twice, which differs from one
 * rounding only where the float64 sum lies exactly on a float32 midpoint without being exact:
 * there the exact value's side (the sum's rounding error, from TwoSum) picks the neighbour.
 */
function fma32Scalar(a: f32, b: f32, c: f32): f32 {
  const p = <f64>a * <f64>b;
  const s = p + <f64>c;
  const f = <f32>s;
  if (<f64>f == s || s != s || f == Infinity || f == -Infinity) return f;
  const bb = s - p;
  const err = (p - (s - bb)) + (<f64>c - bb);
  if (err == 0) return f;
  let midpoint: bool;
  const a0 = Math.abs(s);
  if (a0 >= 1.1754943508222875e-38) {
    midpoint = (reinterpret<u64>(s) & 0x1fffffff) == 0x10000000;
  } else {
    const t = a0 * 1.42724769270596e45; // 2^150
    midpoint = Math.floor(t) == t && Math.floor(t / 2) * 2 != t;
  }
  if (!midpoint) return f;
  return (err > 0) == (<f64>f > s) ? f : <f32>(2 * s - <f64>f);
}

/** Two f64 lanes of an FMA's float64 sum that may round otherwise in float32: a float32 midpoint, or below float32's normal range. */
// @ts-ignore: decorator
@inline function suspect(s: v128): v128 {
  return v128.or(i64x2.eq(v128.and(s, k64(MIDPOINT_MASK)), k64(MIDPOINT_BITS)), f64x2.lt(f64x2.abs(s), k64(SMALLEST_NORMAL64)));
}

/**
 * fmaf(-e, s, g) lane by lane (e, g float32 lanes, s one float32): float64 products and sums, each
 * rounded to float32; a vector with a suspect lane is redone exactly by fma32Scalar.
 */
// @ts-ignore: decorator
@inline function fusedBackward(e: v128, s: v128, g: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_nmadd(e, s, g); // -(e s) + g, rounded once
  const n = f32x4.neg(e);
  const lo = fma64(low64(n), low64(s), low64(g));
  const hi = fma64(high64(n), high64(s), low64(highHalf(g)));
  if (v128.any_true(v128.or(suspect(lo), suspect(hi)))) {
    v128.store(SCRATCH, n);
    v128.store(SCRATCH, g, 16);
    const sv = f32x4.extract_lane(s, 0);
    for (let i = 0; i < 4; i++) {
      const at = SCRATCH + (<usize>i << 2);
      store<f32>(at, fma32Scalar(load<f32>(at), sv, load<f32>(at, 16)));
    }
    return v128.load(SCRATCH);
  }
  return join64(lo, hi);
}

/**
 * log_softmax's backward over `rows` rows of `dim` (>= L): s = reduce_all(+, grad row);
 * out = grad - exp(output) * s, one fused multiply-add with SOFTMAX_FUSED (avx2 / avx512 builds).
 */
export function logSoftmaxBackwardRows(grad: usize, output: usize, out: usize, rows: i32, dim: i32, flags: i32): void {
  const lanes16 = (flags & SOFTMAX_LANES16) != 0;
  const pairwise = (flags & SOFTMAX_PAIRWISE) != 0;
  const fused = (flags & SOFTMAX_FUSED) != 0;
  for (let r = 0; r < rows; r++) {
    const row = <usize>(r * dim) << 2;
    const g = grad + row;
    const y = output + row;
    const o = out + row;
    const s = f32x4.splat(reduceRow(g, dim, lanes16, pairwise, true, false, f32x4.splat(0), flags));
    const vectorEnd = dim & ~3;
    let i = 0;
    for (; i + 8 <= vectorEnd; i += 8) {
      const at = <usize>i << 2;
      const e0 = atenExpPair(v128.load(y + at), v128.load(y + at, 16), flags);
      const e1 = expPairSecond;
      const g0 = v128.load(g + at);
      const g1 = v128.load(g + at, 16);
      v128.store(o + at, fused ? fusedBackward(e0, s, g0) : f32x4.sub(g0, f32x4.mul(e0, s)));
      v128.store(o + at, fused ? fusedBackward(e1, s, g1) : f32x4.sub(g1, f32x4.mul(e1, s)), 16);
    }
    for (; i < vectorEnd; i += 4) {
      const at = <usize>i << 2;
      const e = atenExp32(v128.load(y + at), flags);
      const gv = v128.load(g + at);
      v128.store(o + at, fused ? fusedBackward(e, s, gv) : f32x4.sub(gv, f32x4.mul(e, s)));
    }
    if (vectorEnd < dim) {
      // the last dim % 4 values, staged zero-padded
      const at = <usize>vectorEnd << 2;
      const count = dim - vectorEnd;
      const e = atenExp32(stage(0, y + at, count, 1), flags);
      const gv = stage(1, g + at, count, 1);
      unstage(fused ? fusedBackward(e, s, gv) : f32x4.sub(gv, f32x4.mul(e, s)), o + at, count);
    }
  }
}

// Rows go four at a time through their max and exp-sum (rowMaxAndSum), then one vector log takes
// the four logs (rowLogs: each lane its own log, as a log of the row's sum alone gives), then each
// row's outputs: the log's latency and cost shared by four rows. Lane j of these is row j's.
const ROW_MAX: usize = memory.data(16, 16);
const ROW_MIN: usize = memory.data(16, 16);
const ROW_SUM: usize = memory.data(16, 16);
const ROW_LSE: usize = memory.data(16, 16);

/**
 * A row's max and exp-sum, as logSoftmaxRows computes them, into lane j of ROW_MAX and ROW_SUM.
 * With the max the row's min is taken (ROW_MIN): x - max lies in [min - max, 0] (rounding is
 * monotonic; no NaN, else the max is NaN), so where min - max >= -87 the exp-sum's exps skip
 * SLEEF's range checks (`direct`: the same floats).
 */
function rowMaxAndSum(p: usize, dim: i32, lanes16: bool, pairwise: bool, flags: i32, j: i32): void {
  const top = rowMax(p, dim, lanes16, pairwise);
  const max = f32x4.splat(top);
  const lowest = rowMinOf;
  // glibc's exp, SLEEF's without its range checks, or SLEEF's. (binaryen folds the three inlined
  // loops into one that tests the two flags at each vector; three functions, or pairwise folds
  // inlined, measured no faster.)
  let sum: f32;
  if (flags & USES_GLIBC) sum = reduceRow(p, dim, lanes16, pairwise, true, true, max, USES_GLIBC);
  else if (lowest - top >= <f32>-87) sum = reduceRow(p, dim, lanes16, pairwise, true, true, max, 0, true);
  else sum = reduceRow(p, dim, lanes16, pairwise, true, true, max, 0);
  const at = <usize>j << 2;
  store<f32>(ROW_MAX + at, top);
  store<f32>(ROW_MIN + at, lowest);
  store<f32>(ROW_SUM + at, sum);
}

/** ROW_LSE = log(ROW_SUM), lane by lane (lanes of absent rows hold 1). */
// @ts-ignore: decorator
@inline function rowLogs(flags: i32): void {
  v128.store(ROW_LSE, atenLog32(v128.load(ROW_SUM), flags));
}

/**
 * logSoftmaxRows' value of each row at its column cols[r] (i32; rows whose column is outside
 * [0, dim) are skipped), into out[r]: the same max, exp-sum and log, without the row's other outputs
 * (cross_entropy's forward with class indices reads nothing else).
 */
export function logSoftmaxRowsPicked(x: usize, cols: usize, out: usize, rows: i32, dim: i32, flags: i32): void {
  pickedRows(x, cols, out, rows, dim, flags, 0);
}

// cross_entropy's backward with class indices is log_softmax's backward of nll_loss's gradient, and
// ATen's log_softmax_backward takes the forward's saved output (torch keeps log_softmax(x) for
// autograd), so torch runs one exp pass in its backward. This port's backward takes the input, not
// the forward's output, and would recompute each row's max and exp-sum (a max pass and an exp pass)
// first; the forward instead saves what the backward reads of each row (its max, min and log-sum)
// with the row's fingerprint, and the backward takes them for each row whose fingerprint still
// matches (recomputing any other row): the same values as recomputing every row.

/** Per row in a stats area (STATS_BYTES each): f32 max, min, lse, i32 saved (1, else 0: not computed), i32 fingerprint A, B, 2 unused. */
const STATS_BYTES: usize = 32;

/**
 * logSoftmaxRowsPicked, which also writes each row's statistics and fingerprint to stats (row r at
 * stats + r * STATS_BYTES; a row whose column is outside [0, dim) is marked not saved).
 */
export function logSoftmaxRowsPickedSaving(x: usize, cols: usize, out: usize, rows: i32, dim: i32, flags: i32, stats: usize): void {
  pickedRows(x, cols, out, rows, dim, flags, stats);
}

/** logSoftmaxRowsPicked (stats 0) or logSoftmaxRowsPickedSaving: one body. */
function pickedRows(x: usize, cols: usize, out: usize, rows: i32, dim: i32, flags: i32, stats: usize): void {
  const lanes16 = (flags & SOFTMAX_LANES16) != 0;
  const pairwise = (flags & SOFTMAX_PAIRWISE) != 0;
  for (let r0 = 0; r0 < rows; r0 += 4) {
    const batch = min(4, rows - r0);
    v128.store(ROW_SUM, f32x4.splat(1));
    for (let j = 0; j < batch; j++) {
      const col = load<i32>(cols + (<usize>(r0 + j) << 2));
      if (col >= 0 && col < dim) rowMaxAndSum(x + (<usize>((r0 + j) * dim) << 2), dim, lanes16, pairwise, flags, j);
    }
    rowLogs(flags);
    for (let j = 0; j < batch; j++) {
      const r = r0 + j;
      const col = load<i32>(cols + (<usize>r << 2));
      const st = stats + <usize>r * STATS_BYTES;
      if (col < 0 || col >= dim) {
        if (stats != 0) store<i32>(st, 0, 12);
        continue;
      }
      const at = <usize>j << 2;
      const p = x + (<usize>(r * dim) << 2);
      store<f32>(out + (<usize>r << 2), (load<f32>(p + (<usize>col << 2)) - load<f32>(ROW_MAX + at)) - load<f32>(ROW_LSE + at));
      if (stats == 0) continue;
      rowFingerprint(p, dim);
      store<f32>(st, load<f32>(ROW_MAX + at));
      store<f32>(st, load<f32>(ROW_MIN + at), 4);
      store<f32>(st, load<f32>(ROW_LSE + at), 8);
      store<i32>(st, 1, 12);
      store<i32>(st, rowFpA, 16);
      store<i32>(st, rowFpB, 20);
    }
  }
}

/**
 * logSoftmaxNllBackwardRows with the forward's statistics (logSoftmaxRowsPickedSaving's, same
 * flags but SOFTMAX_FUSED, row r at stats + r * STATS_BYTES): a row saved with the fingerprint it
 * has now takes them, any other is recomputed (rowMaxAndSum).
 */
export function logSoftmaxNllBackwardRowsSaved(x: usize, cols: usize, vals: usize, out: usize, rows: i32, dim: i32, flags: i32, stats: usize): void {
  nllBackwardRows(x, cols, vals, out, rows, dim, flags, stats);
}

/** logSoftmaxNllBackwardRows (stats 0) or logSoftmaxNllBackwardRowsSaved: one body, so one copy of its inlined exps in the module. */
function nllBackwardRows(x: usize, cols: usize, vals: usize, out: usize, rows: i32, dim: i32, flags: i32, stats: usize): void {
  const lanes16 = (flags & SOFTMAX_LANES16) != 0;
  const pairwise = (flags & SOFTMAX_PAIRWISE) != 0;
  const fused = (flags & SOFTMAX_FUSED) != 0;
  for (let r0 = 0; r0 < rows; r0 += 4) {
    const batch = min(4, rows - r0);
    v128.store(ROW_SUM, f32x4.splat(1));
    let saved = 0;
    for (let j = 0; j < batch; j++) {
      const p = x + (<usize>((r0 + j) * dim) << 2);
      if (stats != 0) {
        const st = stats + <usize>(r0 + j) * STATS_BYTES;
        if (load<i32>(st, 12) == 1) {
          rowFingerprint(p, dim);
          if (rowFpA == load<i32>(st, 16) && rowFpB == load<i32>(st, 20)) {
            saved |= 1 << j;
            continue;
          }
        }
      }
      rowMaxAndSum(p, dim, lanes16, pairwise, flags, j);
    }
    // each lane's log is its own (rowLogs), so the recomputed rows' are those of today's path
    if (saved != (1 << batch) - 1) rowLogs(flags);
    for (let j = 0; j < batch; j++) {
      if ((saved & (1 << j)) == 0) continue;
      const st = stats + <usize>(r0 + j) * STATS_BYTES;
      const at = <usize>j << 2;
      store<f32>(ROW_MAX + at, load<f32>(st));
      store<f32>(ROW_MIN + at, load<f32>(st, 4));
      store<f32>(ROW_LSE + at, load<f32>(st, 8));
    }
    for (let j = 0; j < batch; j++) nllBackwardRowAt(x, cols, vals, out, r0 + j, dim, fused, flags, j);
  }
}

/** logSoftmaxNllBackwardRows' row (before its target column's value): fma(-exp(y), s, 0) of each y = (x - max) - lse (`direct`: as sleefExp32's). */
// @ts-ignore: decorator
@inline function nllBackwardRow(p: usize, o: usize, dim: i32, max: v128, lse: v128, s: v128, fused: bool, flags: i32, direct: bool): void {
  const zero = f32x4.splat(0);
  const vectorEnd = dim & ~3;
  let i = 0;
  for (; i + 8 <= vectorEnd; i += 8) {
    const at = <usize>i << 2;
    const y0 = f32x4.sub(f32x4.sub(v128.load(p + at), max), lse);
    const y1 = f32x4.sub(f32x4.sub(v128.load(p + at, 16), max), lse);
    const e0 = atenExpPair(y0, y1, flags, direct);
    const e1 = expPairSecond;
    v128.store(o + at, fused ? fusedBackward(e0, s, zero) : f32x4.sub(zero, f32x4.mul(e0, s)));
    v128.store(o + at, fused ? fusedBackward(e1, s, zero) : f32x4.sub(zero, f32x4.mul(e1, s)), 16);
  }
  for (; i < dim; i += 4) {
    // the last dim % 8 values, the tail read past the row (within the buffer's slack) and stored masked
    const at = <usize>i << 2;
    const e = atenExp32(f32x4.sub(f32x4.sub(v128.load(p + at), max), lse), flags, direct);
    const g = fused ? fusedBackward(e, s, zero) : f32x4.sub(zero, f32x4.mul(e, s));
    if (i + 4 <= dim) v128.store(o + at, g);
    else unstage(g, o + at, dim - i);
  }
}

/**
 * nllBackwardRow's common case in the relaxed-SIMD build, SLEEF's exp `direct` and fused (avx2 /
 * avx512): the same operations, in a loop of its own. The shared loop above tests the flags,
 * `direct` and `fused` at every vector (binaryen folds its inlined variants into one) and passes
 * the pair's second exp through a global; here each vector's exp is sleefExp32Fused's direct one,
 * two independent chains an iteration, and nothing is tested in the loop.
 */
function nllBackwardRowDirectFused(p: usize, o: usize, dim: i32, max: v128, lse: v128, s: v128): void {
  const zero = f32x4.splat(0);
  const vectorEnd = dim & ~3;
  let i = 0;
  for (; i + 8 <= vectorEnd; i += 8) {
    const at = <usize>i << 2;
    const e0 = sleefExp32Fused(f32x4.sub(f32x4.sub(v128.load(p + at), max), lse), true);
    const e1 = sleefExp32Fused(f32x4.sub(f32x4.sub(v128.load(p + at, 16), max), lse), true);
    v128.store(o + at, f32x4.relaxed_nmadd(e0, s, zero));
    v128.store(o + at, f32x4.relaxed_nmadd(e1, s, zero), 16);
  }
  for (; i < dim; i += 4) {
    // the last dim % 8 values, the tail read past the row (within the buffer's slack) and stored
    // masked; their exps by sleefExp32Call (the same floats: its range test finds them in range)
    const at = <usize>i << 2;
    const g = f32x4.relaxed_nmadd(sleefExp32Call(f32x4.sub(f32x4.sub(v128.load(p + at), max), lse)), s, zero);
    if (i + 4 <= dim) v128.store(o + at, g);
    else unstage(g, o + at, dim - i);
  }
}

/**
 * logSoftmaxBackwardRows(grad, logSoftmaxRows(x)) for a grad that is +0 but at one column per row:
 * vals[r] at cols[r] (i32, outside [0, dim): none), nll_loss's gradient. Its row sum is then
 * vals[r] + 0 (every other term is +0; dim >= 8), or +0; each output lane is
 * fma(-exp(y), s, 0) (or 0 - exp(y) s) with y the forward's value, computed here and not stored,
 * and the target column's is redone with vals[r]: the same values as the two kernels give on the
 * materialized gradient, without it.
 */
export function logSoftmaxNllBackwardRows(x: usize, cols: usize, vals: usize, out: usize, rows: i32, dim: i32, flags: i32): void {
  nllBackwardRows(x, cols, vals, out, rows, dim, flags, 0);
}

/** logSoftmaxNllBackwardRows' row r, its stats in lane j of ROW_MAX / ROW_MIN / ROW_LSE. */
// @ts-ignore: decorator
@inline function nllBackwardRowAt(x: usize, cols: usize, vals: usize, out: usize, r: i32, dim: i32, fused: bool, flags: i32, j: i32): void {
  const row = <usize>(r * dim) << 2;
  const p = x + row;
  const o = out + row;
  const lane = <usize>j << 2;
  const top = load<f32>(ROW_MAX + lane);
  const l = load<f32>(ROW_LSE + lane);
  const max = f32x4.splat(top);
  const lse = f32x4.splat(l);
  const col = load<i32>(cols + (<usize>r << 2));
  const hit = col >= 0 && col < dim;
  const v = hit ? load<f32>(vals + (<usize>r << 2)) : <f32>0;
  const s = f32x4.splat(hit ? v + <f32>0 : <f32>0);
  // y = (x - max) - lse lies in [(min - max) - lse, 0] when lse >= 0 (monotonic rounding again);
  // the exp chosen as in rowMaxAndSum
  if (flags & USES_GLIBC) nllBackwardRow(p, o, dim, max, lse, s, fused, USES_GLIBC, false);
  else if (l >= 0 && load<f32>(ROW_MIN + lane) - top - l >= <f32>-87) {
    // (the relaxed-SIMD build's SLEEF rows without SOFTMAX_FUSED, which no caller passes, take the
    // range-checked loop: the same floats, one inlined loop fewer in the module)
    if (!ASC_FEATURE_RELAXED_SIMD) nllBackwardRow(p, o, dim, max, lse, s, fused, 0, true);
    else if (fused) nllBackwardRowDirectFused(p, o, dim, max, lse, s);
    else nllBackwardRow(p, o, dim, max, lse, s, fused, 0, false);
  } else nllBackwardRow(p, o, dim, max, lse, s, fused, 0, false);
  if (hit) {
    const at = <usize>col << 2;
    // (one value a row: SLEEF's exp through sleefExp32Call, not inlined)
    const y = f32x4.splat((load<f32>(p + at) - f32x4.extract_lane(max, 0)) - f32x4.extract_lane(lse, 0));
    const e = flags & USES_GLIBC ? glibcExp32(y) : sleefExp32Call(y);
    const g = f32x4.splat(v);
    store<f32>(o + at, f32x4.extract_lane(fused ? fusedBackward(e, s, g) : f32x4.sub(g, f32x4.mul(e, s)), 0));
  }
}

/** The index of the first of `count` floats at ptr below 0 (NaN is not), or -1: GaussianNLLLoss' var check. */
export function firstNegative(ptr: usize, count: i32): i32 {
  let i = 0;
  for (const vectorEnd = count & ~3; i < vectorEnd; i += 4) {
    if (v128.any_true(f32x4.lt(v128.load(ptr + (<usize>i << 2)), k(ZERO)))) break;
  }
  for (; i < count; i++) {
    if (load<f32>(ptr + (<usize>i << 2)) < 0) return i;
  }
  return -1;
}

/** The first byte JS may use for arrays: everything above the kernels' static data. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}
