// AssemblyScript, compiled by `npm run build:wasm` into ../float64-binary.ts: the float64 hot loops
// of the ports with no exp / log (mse, l1, smooth_l1, huber; forward and backward), and
// poisson_nll's (every form), binary_cross_entropy_with_logits', kl_div's and gaussian_nll_loss's
// with V8's Math.exp, Math.log and Math.log1p in f64x2 (bit for bit), as WebAssembly
// SIMD, two f64 lanes at a time, and ATen's float64 sum (cascade_sum, 4 lanes: Vectorized<double>
// under AVX2). Each f64x2 operation is one of the JS float64 loops' IEEE double operations, in
// their order, so every lane gives the JS loops' bits (../../losses/*.ts document the formulas and
// the torch source they mirror; ../float64-kernels.ts loads this and places a call's arrays).
//
// A chunk's arrays are read and written in whole pairs: for an odd count the pair after the last
// element is computed from whatever the buffers hold there (the loader reserves it) and not used.
// The kernels allocate nothing (runtime stub).
//
// Also with V8's Math.log1p (log1p64): soft_margin_loss (every release's form), binary_cross_entropy
// and multilabel_soft_margin_loss (torch >= 1.11; its per-sample class sums by rowMeans64), forward
// and backward.
//
// The memory starts at 4 MiB (lazily backed by the OS): a call's chunks (8192 doubles an operand) and placed operands up to ~3.5 MB
// never grow it. A grow detaches the old buffer, which slows every JS typed-array loop of the
// process from then on (V8's detach protector; ../../../scripts/build-wasm.ts).
// wasm-initial-pages: 64

// wasm-variant: fma
//
// Also SLEEF's double exp (sleefExp64, xexp u10: torch's Vectorized<double>::exp under avx2 and
// avx512) for the calls without USES_GLIBC (the 'default' capability keeps fdlibm's, V8's
// Math.exp): in the relaxed-SIMD build (ASC_FEATURE_RELAXED_SIMD, ../float64-fma-binary.ts, loaded
// only where ../module.ts relaxedSimdFused()) SLEEF's FMA form, each vfmadd*pd one
// f64x2.relaxed_madd, Sleef_expd4_u10avx2's bits; in the plain build SLEEF's form for hardware
// without FMA (Sleef_expd2_u10sse2's bits), within 1 ULP of the FMA one. In the relaxed-SIMD build
// also SLEEF's log and log1p (sleefLog64, sleefLog1p64: xlog_u1, xlog1p with FMA double-doubles,
// Sleef_logd4_u10avx2's / Sleef_log1pd4_u10avx2's bits) for the same calls; the plain build keeps
// fdlibm's log64 / log1p64 there.

import { FP_SEEDS, fingerprintFold, fpStep, rowFpA, rowFpB } from './lib/fingerprint';

// @ts-ignore: decorator
@inline function k64(at: usize): v128 {
  return v128.load64_splat(at);
}

const ZERO: usize = memory.data<f64>([0]);
const HALF: usize = memory.data<f64>([0.5]);
const ONE: usize = memory.data<f64>([1]);
const ONE_AND_HALF: usize = memory.data<f64>([1.5]);
const MINUS_ONE: usize = memory.data<f64>([-1]);

// The kernels, by the ids of ../kernel-ops.ts (KERNEL_OPS) for the same ops.
export const MSE = 8;
export const MSE_GRAD = 9;
export const L1 = 10;
export const L1_GRAD = 11;
export const SMOOTH_L1 = 15;
export const SMOOTH_L1_GRAD = 16;
export const HUBER = 17;
export const HUBER_GRAD = 18;
export const POISSON_NLL = 19; // log_input, not full: exp(x) - y x
export const POISSON_NLL_GRAD = 20; // log_input: g exp(x) + (-g) y
// poisson_nll's other forms (ids of this module only; ../float64-kernels.ts picks them by the call's flags)
export const POISSON_NLL_EPS = 40; // not log_input: x - y log(x + eps), s = eps
export const POISSON_NLL_FULL = 41; // log_input, full: exp(x) - y x + stirling(y) where !(y <= 1)
export const POISSON_NLL_EPS_FULL = 42; // not log_input, full
export const POISSON_NLL_EPS_GRAD = 43; // not log_input: g + ((-g) y) / (x + eps)

// ../kernel-ops.ts KERNEL_FLAGS' bits (the call's flags, passed through).
const HAS_WEIGHT = 1;
const HAS_POS_WEIGHT = 2;
const USES_LOG_SIGMOID = 4;
const FULL = 64;
const USES_GLIBC = 32; // 'default': exp is fdlibm's (Math.exp), else SLEEF's (sleefExp64)
const LOG_TARGET = 256;
const KL_DIV_WHERE = 512;
const BCE_LOG_ONE_MINUS = 8192;
const BETA_ONE = 16384; // SmoothL1Loss' beta is 1: its divisions by beta (exact) are left out

// binary_cross_entropy_with_logits, kl_div, gaussian_nll_loss (../kernel-ops.ts ids)
export const BCE_WITH_LOGITS = 0; // y=target a=weight b=posWeight; HAS_WEIGHT, HAS_POS_WEIGHT, USES_LOG_SIGMOID
export const BCE_WITH_LOGITS_GRAD = 1; // y=target a=weight b=posWeight c=gradOutput s=meanDivisor (0 unless 'mean')
export const GAUSSIAN_NLL = 12; // y=target a=var b=eps s=fullConstant (with FULL)
export const GAUSSIAN_NLL_GRAD = 13; // y=target a=var b=eps c=gradOutput (each element's: for 'mean' grad_output / numel)
export const GAUSSIAN_NLL_VAR_GRAD = 14; // as GAUSSIAN_NLL_GRAD: var's gradient
export const KL_DIV = 21; // y=target; LOG_TARGET, KL_DIV_WHERE
export const KL_DIV_GRAD = 22; // y=target c=gradOutput s=norm (KL_DIV_WHERE's numel for 'mean', else 0)

const TWO_PI: usize = memory.data<f64>([6.283185307179586]); // 2 * c10::pi<double>

/** loss + the Stirling term ((y log y - y) + 0.5 log(2 pi y)) where !(y <= 1) (masked_fill(target <= 1, 0) adds nothing there). */
// @ts-ignore: decorator
@inline function withStirling(loss: v128, y: v128, flags: i32): v128 {
  const stirling = f64x2.add(f64x2.sub(f64x2.mul(y, logOf64(y, flags)), y), f64x2.mul(k64(HALF), logOf64(f64x2.mul(k64(TWO_PI), y), flags)));
  return v128.bitselect(loss, f64x2.add(loss, stirling), f64x2.le(y, k64(ONE)));
}

// ---- exp: fdlibm's e_exp.c as V8's ieee754::exp (Math.exp) computes it, two lanes at a time ----
// Each lane takes the branch the scalar code takes for its argument (the branches' results are
// selected per lane); within a branch every operation is the scalar code's, in its order. The
// argument reduction's three cases share one formula (k = 0 for |x| <= ln2 / 2, +-1 below
// 1.5 ln2, else trunc(x / ln2 +- 0.5)): k * ln2HI and k * ln2LO are exact for |k| <= 1, and the
// k = 0 case's (x c) / (c - 2) - x is -(x c) / (2 - c) - x exactly. The scaling by 2^k is split
// in two multiplies, the first exact, as the scalar code's.

// splatted constants, loaded (V8 rebuilds a v128.const in a loop at every use)
const I_1000: usize = memory.data<i64>([1000]);
const I_1023: usize = memory.data<i64>([1023]);
const I_0X000FFFFF: usize = memory.data<i64>([0x000fffff]);
const I_0X95F64: usize = memory.data<i64>([0x95f64]);
const I_0X100000: usize = memory.data<i64>([0x100000]);
const I_MINUS_54: usize = memory.data<i64>([-54]);
const I_0XFFFFFFFF: usize = memory.data<i64>([0xffffffff]);
const I_0X3FF00000: usize = memory.data<i64>([0x3ff00000]);
const I_0X6147A: usize = memory.data<i64>([0x6147a]);
const I_0X6B851: usize = memory.data<i64>([0x6b851]);
const I_0: usize = memory.data<i64>([0]);
const I_2: usize = memory.data<i64>([2]);
const I_3: usize = memory.data<i64>([3]);
const F_0: usize = memory.data<f64>([0]);
const F_MINUS_HALF: usize = memory.data<f64>([-0.5]);
const F_MINUS_1021: usize = memory.data<f64>([-1021]);
const F_1024: usize = memory.data<f64>([1024]);
const EXP_O_THRESHOLD: usize = memory.data<f64>([7.09782712893383973096e+02]);
const EXP_U_THRESHOLD: usize = memory.data<f64>([-7.45133219101941108420e+02]);
const EXP_LN2_HI: usize = memory.data<f64>([6.93147180369123816490e-01]);
const EXP_LN2_LO: usize = memory.data<f64>([1.90821492927058770002e-10]);
const EXP_INV_LN2: usize = memory.data<f64>([1.44269504088896338700e+00]);
const EXP_P1: usize = memory.data<f64>([1.66666666666666019037e-01]);
const EXP_P2: usize = memory.data<f64>([-2.77777777770155933842e-03]);
const EXP_P3: usize = memory.data<f64>([6.61375632143793436117e-05]);
const EXP_P4: usize = memory.data<f64>([-1.65339022054652515390e-06]);
const EXP_P5: usize = memory.data<f64>([4.13813679705723846039e-08]);
const EXP_E: usize = memory.data<f64>([2.718281828459045]);
const MAGIC: usize = memory.data<f64>([6755399441055744]); // 1.5 * 2^52: k + 1.5 * 2^52 (|k| < 2^51) holds k in its low bits
const TWO: usize = memory.data<f64>([2]);
const TWO_M1000: usize = memory.data<f64>([9.33263618503218878990e-302]);
const TWO_1023: usize = memory.data<f64>([8.988465674311579539e307]);
const INF: usize = memory.data<f64>([Infinity]);
const ABS_MASK: usize = memory.data<i64>([0x7fffffffffffffff]);
const HALF_LN2_BITS: usize = memory.data<i64>([0x3fd62e42ffffffff]); // |x| > this: high word > 0x3FD62E42
const ONE_HALF_LN2_BITS: usize = memory.data<i64>([0x3ff0a2b200000000]); // |x| < this: high word < 0x3FF0A2B2
const TINY_BITS: usize = memory.data<i64>([0x3e30000000000000]); // |x| < 2^-28: high word < 0x3E300000
const BIG_BITS: usize = memory.data<i64>([0x40862e4200000000]); // |x| >= 709.78: high word >= 0x40862E42
const INF_BITS: usize = memory.data<i64>([0x7ff0000000000000]);

const RARE_EXP_BITS: usize = memory.data<i64>([0x4086180000000000]); // |x| > 707: k may leave [-1021, 1023]

/**
 * Math.exp of each lane (V8's fdlibm exp), bit for bit. Inlined: the pairs of ordinary arguments
 * (2^-28 <= |x| <= 707, x != 1), whose 2^k is one exact multiply and which take none of the
 * special cases' results; a pair with another lane calls exp64Full, which selects every case.
 */
// @ts-ignore: decorator
@inline function exp64(x: v128): v128 {
  const bits = v128.and(x, k64(ABS_MASK));
  const rare = v128.or(v128.or(i64x2.gt_s(bits, k64(RARE_EXP_BITS)), i64x2.lt_s(bits, k64(TINY_BITS))), f64x2.eq(x, k64(ONE)));
  if (v128.any_true(rare)) return exp64Full(x);
  const negative = i64x2.lt_s(x, k64(F_0));
  const beyondHalf = i64x2.gt_s(bits, k64(HALF_LN2_BITS));
  const belowOneHalf = i64x2.lt_s(bits, k64(ONE_HALF_LN2_BITS));
  const signedHalf = v128.bitselect(k64(F_MINUS_HALF), k64(HALF), negative);
  const kFar = f64x2.trunc(f64x2.add(f64x2.mul(k64(EXP_INV_LN2), x), signedHalf));
  const kNear = v128.bitselect(k64(MINUS_ONE), k64(ONE), negative);
  const kf = v128.and(v128.bitselect(kNear, kFar, belowOneHalf), beyondHalf);
  const hi = f64x2.sub(x, f64x2.mul(kf, k64(EXP_LN2_HI)));
  const lo = f64x2.mul(kf, k64(EXP_LN2_LO));
  const r = f64x2.sub(hi, lo);
  const t = f64x2.mul(r, r);
  const p = f64x2.add(k64(EXP_P1), f64x2.mul(t, f64x2.add(k64(EXP_P2), f64x2.mul(t, f64x2.add(k64(EXP_P3),
    f64x2.mul(t, f64x2.add(k64(EXP_P4), f64x2.mul(t, k64(EXP_P5)))))))));
  const c = f64x2.sub(r, f64x2.mul(t, p));
  const y = f64x2.sub(k64(ONE), f64x2.sub(f64x2.sub(lo, f64x2.div(f64x2.mul(r, c), f64x2.sub(k64(TWO), c))), hi));
  // |k| <= 1020: y * 2^k is one exact multiply (exp64Full's second factor is 1 here)
  const k = i64x2.sub(f64x2.add(kf, k64(MAGIC)), k64(MAGIC));
  return f64x2.mul(y, i64x2.shl(i64x2.add(k, k64(I_1023)), 52));
}

/** Math.exp of each lane, every case selected lane by lane (exp64's pairs with a special lane). */
function exp64Full(x: v128): v128 {
  const bits = v128.and(x, k64(ABS_MASK)); // |x|'s bits: as integers they order as |x| does
  const negative = i64x2.lt_s(x, k64(F_0) /* bits of +0 */);
  const beyondHalf = i64x2.gt_s(bits, k64(HALF_LN2_BITS));
  const belowOneHalf = i64x2.lt_s(bits, k64(ONE_HALF_LN2_BITS));
  // k: 0 within ln2 / 2, +-1 up to 1.5 ln2, else trunc(invln2 x +- 0.5) (as an integer, in two i32 lanes)
  const signedHalf = v128.bitselect(k64(F_MINUS_HALF), k64(HALF), negative);
  const kFar = f64x2.trunc(f64x2.add(f64x2.mul(k64(EXP_INV_LN2), x), signedHalf)); // C's (int) cast, as a double
  const kNear = v128.bitselect(k64(MINUS_ONE), k64(ONE), negative);
  const kf = v128.and(v128.bitselect(kNear, kFar, belowOneHalf), beyondHalf); // 0 within ln2 / 2
  const hi = f64x2.sub(x, f64x2.mul(kf, k64(EXP_LN2_HI)));
  const lo = f64x2.mul(kf, k64(EXP_LN2_LO));
  const r = f64x2.sub(hi, lo);
  const t = f64x2.mul(r, r);
  const p = f64x2.add(k64(EXP_P1), f64x2.mul(t, f64x2.add(k64(EXP_P2), f64x2.mul(t, f64x2.add(k64(EXP_P3),
    f64x2.mul(t, f64x2.add(k64(EXP_P4), f64x2.mul(t, k64(EXP_P5)))))))));
  const c = f64x2.sub(r, f64x2.mul(t, p));
  const y = f64x2.sub(k64(ONE), f64x2.sub(f64x2.sub(lo, f64x2.div(f64x2.mul(r, c), f64x2.sub(k64(TWO), c))), hi));
  // y * 2^k: k >= -1021 (and not 1024) one exact multiply by 2^k; 1024: by 2 then 2^1023; below -1021: by 2^(k + 1000) then 2^-1000
  const k = i64x2.sub(f64x2.add(kf, k64(MAGIC)), k64(MAGIC)); // the integer k (|k| < 2^51): 1.5 * 2^52 + k's bits less 1.5 * 2^52's
  const low = f64x2.lt(kf, k64(F_MINUS_1021));
  const top = f64x2.eq(kf, k64(F_1024));
  const firstK = v128.bitselect(i64x2.add(k, k64(I_1000)), k, low);
  const first = v128.bitselect(k64(TWO), i64x2.shl(i64x2.add(firstK, k64(I_1023)), 52), top);
  const second = v128.bitselect(k64(TWO_M1000), v128.bitselect(k64(TWO_1023), k64(ONE), top), low);
  let e = f64x2.mul(f64x2.mul(y, first), second);
  // |x| < 2^-28: 1 + x; x == 1: E; |x| >= 709.78: inf above o_threshold, 0 below u_threshold; NaN: x + x; +-inf: inf, 0
  // (only where a lane is one of these: the selects change nothing elsewhere)
  const tiny = i64x2.lt_s(bits, k64(TINY_BITS));
  const isOne = f64x2.eq(x, k64(ONE));
  const big = i64x2.ge_s(bits, k64(BIG_BITS));
  if (v128.any_true(v128.or(v128.or(tiny, isOne), big))) {
    e = v128.bitselect(f64x2.add(k64(ONE), x), e, tiny);
    e = v128.bitselect(k64(EXP_E), e, isOne);
    e = v128.bitselect(k64(INF), e, v128.and(big, f64x2.gt(x, k64(EXP_O_THRESHOLD))));
    e = v128.bitselect(k64(ZERO), e, v128.and(big, f64x2.lt(x, k64(EXP_U_THRESHOLD))));
    e = v128.bitselect(f64x2.add(x, x), e, i64x2.gt_s(bits, k64(INF_BITS)));
  }
  return e;
}


// ---- exp: SLEEF's xexp (u10, sleefsimddp.c), two lanes at a time ----
// q = rint(d / ln2); s = d - q L2U - q L2L (two multiply-adds); exp(s) by a degree-10 polynomial in
// Estrin's form (POLY10 with s2, s4, s8), then 1 + s (1/2 + s u) (FMA: three multiply-adds with its
// own coefficients); times 2^q as two exact factors (vldexp2: 2^(q >> 1) 2^(q - (q >> 1))), inf above
// 709.78..., +0 below -1000. No division: about a third of fdlibm's cost.
const SLEEF_R_LN2: usize = memory.data<f64>([1.442695040888963407359924681001892137426645954152985934135449406931]);
const SLEEF_MINUS_L2U: usize = memory.data<f64>([-0.69314718055966295651160180568695068359375]);
const SLEEF_MINUS_L2L: usize = memory.data<f64>([-0.28235290563031577122588448175013436025525412068e-12]);
// POLY10's c9 .. c0: the FMA form's (ENABLE_FMA_DP), then the other's
const SLEEF_EXP_C: usize = ASC_FEATURE_RELAXED_SIMD
  ? memory.data<f64>([
    0.2081276378237164457e-8, 0.2511210703042288022e-7, 0.2755762628169491192e-6, 0.2755723402025388239e-5,
    0.2480158687479686264e-4, 0.1984126989855865850e-3, 0.1388888888914497797e-2, 0.8333333333314938210e-2,
    0.4166666666666602598e-1, 0.1666666666666669072e+0,
  ])
  : memory.data<f64>([
    2.08860621107283687536341e-09, 2.51112930892876518610661e-08, 2.75573911234900471893338e-07, 2.75572362911928827629423e-06,
    2.4801587159235472998791e-05, 0.000198412698960509205564975, 0.00138888888889774492207962, 0.00833333333331652721664984,
    0.0416666666666665047591422, 0.166666666666666851703837,
  ]);
const SLEEF_EXP_HIGH: usize = memory.data<f64>([709.78271114955742909217217426]); // above: inf
const SLEEF_EXP_LOW: usize = memory.data<f64>([-1000]); // below: +0
const SLEEF_EXP_FAST_LOW: usize = memory.data<f64>([-708]); // [-708, 709]: q in [-1021, 1023], 2^q one normal factor
const SLEEF_EXP_FAST_HIGH: usize = memory.data<f64>([709]);

/** SLEEF's vmla / vfma: a b + c, rounded once in the relaxed-SIMD build (fused there), twice in the plain one (SLEEF's non-FMA vmla). */
// @ts-ignore: decorator
@inline function mla64(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(f64x2.mul(a, b), c);
}

// @ts-ignore: decorator
@inline function sleefC(i: i32): v128 {
  return v128.load64_splat(SLEEF_EXP_C + (<usize>i << 3));
}

/** xexp before its scaling: the polynomial's 1 + s + ... for d and q = rint(d / ln2). */
// @ts-ignore: decorator
@inline function sleefExpReduced64(d: v128, q: v128): v128 {
  let s = mla64(q, k64(SLEEF_MINUS_L2U), d);
  s = mla64(q, k64(SLEEF_MINUS_L2L), s);
  const s2 = f64x2.mul(s, s);
  const s4 = f64x2.mul(s2, s2);
  const s8 = f64x2.mul(s4, s4);
  const p4a = mla64(s2, mla64(s, sleefC(2), sleefC(3)), mla64(s, sleefC(4), sleefC(5))); // POLY4(c7 .. c4)
  const p4b = mla64(s2, mla64(s, sleefC(6), sleefC(7)), mla64(s, sleefC(8), sleefC(9))); // POLY4(c3 .. c0)
  let u = mla64(s8, mla64(s, sleefC(0), sleefC(1)), mla64(s4, p4a, p4b)); // POLY10
  u = mla64(u, s, k64(HALF));
  if (ASC_FEATURE_RELAXED_SIMD) {
    u = mla64(u, s, k64(ONE));
    return mla64(u, s, k64(ONE));
  }
  return f64x2.add(k64(ONE), mla64(f64x2.mul(s, s), u, s));
}

/**
 * SLEEF's exp of each lane (xexp). Inlined: pairs within [-708, 709], where 2^q is one normal
 * factor (the same product as vldexp2's two exact ones) and no limit applies; any other pair
 * (NaN included) calls sleefExp64Full.
 */
// @ts-ignore: decorator
@inline function sleefExp64(d: v128): v128 {
  if (!i64x2.all_true(v128.and(f64x2.ge(d, k64(SLEEF_EXP_FAST_LOW)), f64x2.le(d, k64(SLEEF_EXP_FAST_HIGH))))) return sleefExp64Full(d);
  const q = f64x2.nearest(f64x2.mul(d, k64(SLEEF_R_LN2)));
  // 2^q: (q + 1023) << 52, from q + 1.5 * 2^52 (its bits q more than that's, which end in 12 zero bits: the shift drops them)
  return f64x2.mul(sleefExpReduced64(d, q), i64x2.shl(i64x2.add(f64x2.add(q, k64(MAGIC)), k64(I_1023)), 52));
}

/** sleefExp64 of every lane, the scaling in vldexp2's two factors and both limits selected. */
function sleefExp64Full(d: v128): v128 {
  const q = f64x2.nearest(f64x2.mul(d, k64(SLEEF_R_LN2)));
  const u = sleefExpReduced64(d, q);
  // the integer q (|q| < 2^51 where the result is used; the limits replace the rest)
  const qi = i64x2.sub(f64x2.add(q, k64(MAGIC)), k64(MAGIC));
  const half = i64x2.shr_s(qi, 1);
  const first = i64x2.shl(i64x2.add(half, k64(I_1023)), 52);
  const second = i64x2.shl(i64x2.add(i64x2.sub(qi, half), k64(I_1023)), 52);
  let e = f64x2.mul(f64x2.mul(u, first), second);
  e = v128.bitselect(k64(INF), e, f64x2.gt(d, k64(SLEEF_EXP_HIGH)));
  return v128.andnot(e, f64x2.lt(d, k64(SLEEF_EXP_LOW)));
}

/** at::exp of float64 lanes: fdlibm's (Math.exp) with USES_GLIBC ('default'), else SLEEF's. */
// @ts-ignore: decorator
@inline function expOf64(x: v128, flags: i32): v128 {
  return flags & USES_GLIBC ? exp64(x) : sleefExp64(x);
}

// ---- log: fdlibm's e_log.c as V8's ieee754::log (Math.log) computes it, two lanes at a time ----
// Each lane's branch selected as above. log(1 + f)'s k = 0 forms are the general ones with
// dk = 0 exactly (0 - (a - f) is f - a, zeros included), and f = 0 is the small-f form's
// R = 0, so three formulas remain: |f| < 2^-20, and the two of the main one (i > 0 or not).

const LOG_LN2_HI: usize = memory.data<f64>([6.93147180369123816490e-01]);
const LOG_LN2_LO: usize = memory.data<f64>([1.90821492927058770002e-10]);
const LOG_TWO54: usize = memory.data<f64>([1.80143985094819840000e+16]);
const LG1: usize = memory.data<f64>([6.666666666666735130e-01]);
const LG2: usize = memory.data<f64>([3.999999999940941908e-01]);
const LG3: usize = memory.data<f64>([2.857142874366239149e-01]);
const LG4: usize = memory.data<f64>([2.222219843214978396e-01]);
const LG5: usize = memory.data<f64>([1.818357216161805012e-01]);
const LG6: usize = memory.data<f64>([1.531383769920937332e-01]);
const LG7: usize = memory.data<f64>([1.479819860511658591e-01]);
const THIRD: usize = memory.data<f64>([0.33333333333333333]);
const NEG_INF: usize = memory.data<f64>([-Infinity]);
const NAN: usize = memory.data<f64>([NaN]);

const MANTISSA_BITS: usize = memory.data<i64>([0x000fffffffffffff]);
const MAGIC_LESS_1023: usize = memory.data<i64>([0x4337fffffffffc01]); // MAGIC's bits (0x4338000000000000) - 1023
const B_2_M1022: usize = memory.data<i64>([0x0010000000000000]); // hx < 0x00100000: below 2^-1022 (and the negatives)
const B_BELOW_INF: usize = memory.data<i64>([0x7fefffffffffffff]); // hx >= 0x7ff00000 above: inf, NaN

/**
 * Math.log of each lane (V8's fdlibm log), bit for bit. Inlined: the pairs of normal positive
 * finite arguments not within 2^-20 of a power of two (no scaling of subnormals, one of the two
 * main forms, none of the special results); a pair with another lane (0, negative, subnormal, inf,
 * NaN, near a power of two: 1 itself) calls log64Full, which selects every case.
 */
// @ts-ignore: decorator
@inline function log64(x: v128): v128 {
  const hx = v128.and(i64x2.shr_u(x, 32), k64(I_0X000FFFFF));
  const special = v128.or(i64x2.lt_s(x, k64(B_2_M1022)), i64x2.gt_s(x, k64(B_BELOW_INF)));
  const nearPowerOfTwo = i64x2.lt_s(v128.and(i64x2.add(hx, k64(I_2)), k64(I_0X000FFFFF)), k64(I_3)); // |f| < 2^-20: fdlibm's other form
  if (v128.any_true(v128.or(special, nearPowerOfTwo))) return log64Full(x);
  const i = v128.and(i64x2.add(hx, k64(I_0X95F64)), k64(I_0X100000));
  // x's mantissa with the high word's exponent bits i ^ 0x3ff00000 (hx's bits and i's do not overlap)
  const normalized = v128.or(v128.and(x, k64(MANTISSA_BITS)), i64x2.shl(v128.xor(i, k64(I_0X3FF00000)), 32));
  const f = f64x2.sub(normalized, k64(ONE));
  // dk = (double)k, k = (x >> 52) - 1023 + (i >> 20): the bits of MAGIC + k, less MAGIC
  const dk = f64x2.sub(i64x2.add(i64x2.add(k64(MAGIC_LESS_1023), i64x2.shr_u(x, 52)), i64x2.shr_u(i, 20)), k64(MAGIC));
  const s = f64x2.div(f, f64x2.add(k64(TWO), f));
  const z = f64x2.mul(s, s);
  const w = f64x2.mul(z, z);
  const t1 = f64x2.mul(w, f64x2.add(k64(LG2), f64x2.mul(w, f64x2.add(k64(LG4), f64x2.mul(w, k64(LG6))))));
  const t2 = f64x2.mul(z, f64x2.add(k64(LG1), f64x2.mul(w, f64x2.add(k64(LG3), f64x2.mul(w, f64x2.add(k64(LG5), f64x2.mul(w, k64(LG7))))))));
  const r = f64x2.add(t2, t1);
  const hi = f64x2.mul(dk, k64(LOG_LN2_HI));
  const lo = f64x2.mul(dk, k64(LOG_LN2_LO));
  const without = f64x2.sub(hi, f64x2.sub(f64x2.sub(f64x2.mul(s, f64x2.sub(f, r)), lo), f));
  // fdlibm's hfsq form only where hx lies in [0x6147a, 0x6b851] (4% of mantissas): computed only for a pair with such a lane
  const positive = i64x2.gt_s(v128.or(i64x2.sub(hx, k64(I_0X6147A)), i64x2.sub(k64(I_0X6B851), hx)), k64(I_0));
  if (!v128.any_true(positive)) return without;
  const hfsq = f64x2.mul(f64x2.mul(k64(HALF), f), f);
  const withHfsq = f64x2.sub(hi, f64x2.sub(f64x2.sub(hfsq, f64x2.add(f64x2.mul(s, f64x2.add(hfsq, r)), lo)), f));
  return v128.bitselect(withHfsq, without, positive);
}

/** Math.log of each lane, every case selected lane by lane (log64's pairs with a special lane). */
function log64Full(x0: v128): v128 {
  // the high word hx's tests on all 64 bits (hx < H: bits < H << 32; see log1p64), its fields by unsigned shifts (x64 has no i64x2.shr_s)
  const subnormal = i64x2.lt_s(x0, k64(B_2_M1022)); // hx < 0x00100000, with zero and the negatives: their results are selected below
  const x = v128.bitselect(f64x2.mul(x0, k64(LOG_TWO54)), x0, subnormal);
  const hx = v128.and(i64x2.shr_u(x, 32), k64(I_0X000FFFFF));
  const i = v128.and(i64x2.add(hx, k64(I_0X95F64)), k64(I_0X100000));
  const k = i64x2.add(
    i64x2.add(i64x2.sub(i64x2.shr_u(x, 52), k64(I_1023)), i64x2.shr_u(i, 20)), // x > 0 where it matters
    v128.and(subnormal, k64(I_MINUS_54)),
  );
  const normalized = v128.or(v128.and(x, k64(I_0XFFFFFFFF)), i64x2.shl(v128.or(hx, v128.xor(i, k64(I_0X3FF00000))), 32));
  const f = f64x2.sub(normalized, k64(ONE));
  const dk = f64x2.sub(i64x2.add(k64(MAGIC), k), k64(MAGIC));
  const s = f64x2.div(f, f64x2.add(k64(TWO), f));
  const z = f64x2.mul(s, s);
  const w = f64x2.mul(z, z);
  const t1 = f64x2.mul(w, f64x2.add(k64(LG2), f64x2.mul(w, f64x2.add(k64(LG4), f64x2.mul(w, k64(LG6))))));
  const t2 = f64x2.mul(z, f64x2.add(k64(LG1), f64x2.mul(w, f64x2.add(k64(LG3), f64x2.mul(w, f64x2.add(k64(LG5), f64x2.mul(w, k64(LG7))))))));
  const r = f64x2.add(t2, t1);
  const hfsq = f64x2.mul(f64x2.mul(k64(HALF), f), f);
  const hi = f64x2.mul(dk, k64(LOG_LN2_HI));
  const lo = f64x2.mul(dk, k64(LOG_LN2_LO));
  // i > 0: dk ln2_hi - ((hfsq - (s (hfsq + R) + dk ln2_lo)) - f); else dk ln2_hi - ((s (f - R) - dk ln2_lo) - f)
  const withHfsq = f64x2.sub(hi, f64x2.sub(f64x2.sub(hfsq, f64x2.add(f64x2.mul(s, f64x2.add(hfsq, r)), lo)), f));
  const without = f64x2.sub(hi, f64x2.sub(f64x2.sub(f64x2.mul(s, f64x2.sub(f, r)), lo), f));
  const positive = i64x2.gt_s(v128.or(i64x2.sub(hx, k64(I_0X6147A)), i64x2.sub(k64(I_0X6B851), hx)), k64(I_0));
  let out = v128.bitselect(withHfsq, without, positive);
  // |f| < 2^-20: R = f f (0.5 - f / 3); dk ln2_hi - ((R - dk ln2_lo) - f) (computed only where a lane takes it, as the cases below)
  const smallF = i64x2.lt_s(v128.and(i64x2.add(hx, k64(I_2)), k64(I_0X000FFFFF)), k64(I_3));
  if (v128.any_true(smallF)) {
    const rSmall = f64x2.mul(f64x2.mul(f, f), f64x2.sub(k64(HALF), f64x2.mul(k64(THIRD), f)));
    const small = f64x2.sub(hi, f64x2.sub(f64x2.sub(rSmall, lo), f));
    out = v128.bitselect(small, out, smallF);
  }
  // inf and NaN: x + x; below 2^-1022: -inf for +-0, NaN for the negatives
  const beyond = i64x2.gt_s(x0, k64(B_BELOW_INF));
  if (v128.any_true(v128.or(subnormal, beyond))) {
    out = v128.bitselect(f64x2.add(x0, x0), out, beyond);
    out = v128.bitselect(k64(NAN), out, i64x2.lt_s(x0, k64(I_0)));
    out = v128.bitselect(k64(NEG_INF), out, f64x2.eq(x0, k64(ZERO)));
  }
  return out;
}


// ---- log: SLEEF's xlog_u1 (u10, sleefsimddp.c) with its FMA double-double ops, relaxed-SIMD build only ----
// m = d 2^-e in [0.75, 1.5) (d below DBL_MIN first scaled by 2^64); x = (m - 1) / (m + 1) as a
// double-double (dddiv of ddadd2's); log d = e ln2 + 2x + x^3 t(x^2) summed as double-doubles, a
// degree-6 Estrin polynomial t. Each vfma / vfmapn / vfmanp of dd.h's ENABLE_FMA_DP forms is one
// f64x2.relaxed_madd / relaxed_nmadd: Sleef_logd4_u10avx2's bits (torch's Vectorized<double>::log).
// The plain build keeps fdlibm's log64 (SLEEF's non-FMA double-doubles are not ported).
const SLEEF_LOG_C: usize = ASC_FEATURE_RELAXED_SIMD
  ? memory.data<f64>([
    0.1532076988502701353e+0, 0.1525629051003428716e+0, 0.1818605932937785996e+0, 0.2222214519839380009e+0,
    0.2857142932794299317e+0, 0.3999999999635251990e+0, 0.6666666666667333541e+0,
  ])
  : 0;
const SLEEF_LN2_HI: usize = memory.data<f64>([0.693147180559945286226764]);
const SLEEF_LN2_LO: usize = memory.data<f64>([2.319046813846299558417771e-17]);
const SLEEF_DBL_MIN: usize = memory.data<f64>([2.2250738585072014e-308]);
const SLEEF_TWO_64: usize = memory.data<f64>([18446744073709551616.0]);
const SLEEF_INV_075: usize = memory.data<f64>([1.0 / 0.75]);
const I_0X7FF: usize = memory.data<i64>([0x7ff]);
const I_64: usize = memory.data<i64>([64]);

// @ts-ignore: decorator
@inline function sleefLogC(i: i32): v128 {
  return v128.load64_splat(SLEEF_LOG_C + (<usize>i << 3));
}

/** x y - z rounded once (vfmapn). */
// @ts-ignore: decorator
@inline function fmapn64(x: v128, y: v128, z: v128): v128 {
  return f64x2.relaxed_madd(x, y, f64x2.neg(z));
}

/** z - x y rounded once (vfmanp). */
// @ts-ignore: decorator
@inline function fmanp64(x: v128, y: v128, z: v128): v128 {
  return f64x2.relaxed_nmadd(x, y, z);
}

/**
 * xlog_u1's value for d (normal, or scaled by 2^64 with o set: its e less 64), before the special
 * cases' selects.
 */
// @ts-ignore: decorator
@inline function sleefLogCore64(d: v128, o: v128): v128 {
  // e = ilogb(d / 0.75) (vilogb2k), m = d 2^-e (vldexp3: e off the exponent bits)
  let e = i64x2.sub(v128.and(i64x2.shr_u(f64x2.mul(d, k64(SLEEF_INV_075)), 52), k64(I_0X7FF)), k64(I_1023));
  const m = i64x2.sub(d, i64x2.shl(e, 52));
  e = v128.bitselect(i64x2.sub(e, k64(I_64)), e, o);
  const ef = f64x2.sub(i64x2.add(k64(MAGIC), e), k64(MAGIC)); // (double)e: 1.5 * 2^52 + e's bits
  // ddadd2(-1, m), ddadd2(1, m)
  const ns = f64x2.add(k64(MINUS_ONE), m);
  const nv = f64x2.sub(ns, k64(MINUS_ONE));
  const ny = f64x2.add(f64x2.sub(k64(MINUS_ONE), f64x2.sub(ns, nv)), f64x2.sub(m, nv));
  const ds = f64x2.add(k64(ONE), m);
  const dv = f64x2.sub(ds, k64(ONE));
  const dy = f64x2.add(f64x2.sub(k64(ONE), f64x2.sub(ds, dv)), f64x2.sub(m, dv));
  // dddiv
  const t = f64x2.div(k64(ONE), ds);
  const xx = f64x2.mul(ns, t);
  const u = fmapn64(t, ns, xx);
  const v = fmanp64(dy, t, fmanp64(ds, t, k64(ONE)));
  const xy = mla64(xx, v, mla64(ny, t, u));
  const x2 = f64x2.mul(xx, xx);
  const x4 = f64x2.mul(x2, x2);
  const x8 = f64x2.mul(x4, x4);
  // POLY7(x2, x4, x8, c6 .. c0)
  const p = mla64(x8, mla64(x4, sleefLogC(0), mla64(x2, sleefLogC(1), sleefLogC(2))),
    mla64(x4, mla64(x2, sleefLogC(3), sleefLogC(4)), mla64(x2, sleefLogC(5), sleefLogC(6))));
  // s = ddmul((ln2 hi, lo), e)
  let sx = f64x2.mul(k64(SLEEF_LN2_HI), ef);
  let sy = mla64(k64(SLEEF_LN2_LO), ef, fmapn64(k64(SLEEF_LN2_HI), ef, sx));
  // s = ddadd(s, ddscale(x, 2))
  const x2x = f64x2.add(xx, xx);
  const x2y = f64x2.add(xy, xy);
  let s2 = f64x2.add(sx, x2x);
  sy = f64x2.add(f64x2.add(f64x2.add(f64x2.sub(sx, s2), x2x), sy), x2y);
  sx = s2;
  // s = ddadd(s, x2 x t)
  const w = f64x2.mul(f64x2.mul(x2, xx), p);
  s2 = f64x2.add(sx, w);
  sy = f64x2.add(f64x2.add(f64x2.sub(sx, s2), w), sy);
  return f64x2.add(s2, sy);
}

const SLEEF_DBL_MAX: usize = memory.data<f64>([1.7976931348623157e308]);

/**
 * SLEEF's log of each lane (xlog_u1, FMA forms; only in the relaxed-SIMD build). Inlined: pairs of
 * normal positive finite lanes (no scaling, no special case); any other pair calls sleefLog64Full.
 */
// @ts-ignore: decorator
@inline function sleefLog64(d: v128): v128 {
  if (!i64x2.all_true(v128.and(f64x2.ge(d, k64(SLEEF_DBL_MIN)), f64x2.le(d, k64(SLEEF_DBL_MAX))))) return sleefLog64Full(d);
  return sleefLogCore64(d, f64x2.splat(0));
}

/** sleefLog64 of every lane: subnormals scaled by 2^64 first, and inf, NaN (negatives), -inf (zeros) selected. */
function sleefLog64Full(d0: v128): v128 {
  const o = f64x2.lt(d0, k64(SLEEF_DBL_MIN));
  const d = v128.bitselect(f64x2.mul(d0, k64(SLEEF_TWO_64)), d0, o);
  let r = sleefLogCore64(d, o);
  r = v128.bitselect(k64(INF), r, f64x2.eq(d, k64(INF)));
  r = v128.bitselect(k64(NAN), r, v128.or(f64x2.lt(d, k64(F_0)), f64x2.ne(d, d)));
  return v128.bitselect(k64(NEG_INF), r, f64x2.eq(d, k64(F_0)));
}

// ---- log1p: SLEEF's xlog1p (u10), the same double-doubles, relaxed-SIMD build only ----
// e = ilogb((1 + d) / 0.75), m = d 2^-e + (2^-e - 1) (one multiply-add), x = m / (2 + m) as a
// double-double; then as xlog_u1. SLEEF < 3.8's inf above 1e307 is the kernels' LOG1P_OVERFLOWS select.

const SLEEF_LOG1P_HIGH: usize = memory.data<f64>([1e307]);
const TWO_F: usize = memory.data<f64>([2]);

/** xlog1p's value for d in (-1, 1e307], before its special cases' selects. */
// @ts-ignore: decorator
@inline function sleefLog1pCore64(d: v128): v128 {
  const dp1 = f64x2.add(d, k64(ONE));
  const e = i64x2.sub(v128.and(i64x2.shr_u(f64x2.mul(dp1, k64(SLEEF_INV_075)), 52), k64(I_0X7FF)), k64(I_1023));
  const t = i64x2.sub(k64(ONE), i64x2.shl(e, 52)); // vldexp3(1, -e)
  const m = mla64(d, t, f64x2.sub(t, k64(ONE)));
  const ef = f64x2.sub(i64x2.add(k64(MAGIC), e), k64(MAGIC));
  let sx = f64x2.mul(k64(SLEEF_LN2_HI), ef);
  let sy = mla64(k64(SLEEF_LN2_LO), ef, fmapn64(k64(SLEEF_LN2_HI), ef, sx));
  // dddiv((m, 0), ddadd(2, m))
  const ds = f64x2.add(k64(TWO_F), m);
  const dy = f64x2.add(f64x2.sub(k64(TWO_F), ds), m);
  const q = f64x2.div(k64(ONE), ds);
  const xx = f64x2.mul(m, q);
  const u = fmapn64(q, m, xx);
  const v = fmanp64(dy, q, fmanp64(ds, q, k64(ONE)));
  const xy = mla64(xx, v, mla64(f64x2.splat(0), q, u));
  const x2 = f64x2.mul(xx, xx);
  const x4 = f64x2.mul(x2, x2);
  const x8 = f64x2.mul(x4, x4);
  const p = mla64(x8, mla64(x4, sleefLogC(0), mla64(x2, sleefLogC(1), sleefLogC(2))),
    mla64(x4, mla64(x2, sleefLogC(3), sleefLogC(4)), mla64(x2, sleefLogC(5), sleefLogC(6))));
  const x2x = f64x2.add(xx, xx);
  const x2y = f64x2.add(xy, xy);
  let s2 = f64x2.add(sx, x2x);
  sy = f64x2.add(f64x2.add(f64x2.add(f64x2.sub(sx, s2), x2x), sy), x2y);
  sx = s2;
  const w = f64x2.mul(f64x2.mul(x2, xx), p);
  s2 = f64x2.add(sx, w);
  sy = f64x2.add(f64x2.add(f64x2.sub(sx, s2), w), sy);
  return f64x2.add(s2, sy);
}

/**
 * SLEEF's log1p of each lane (xlog1p, FMA forms; relaxed-SIMD build only). Inlined: pairs within
 * (-1, 1e307], +-0 kept; any other pair calls sleefLog1p64Full.
 */
// @ts-ignore: decorator
@inline function sleefLog1p64(d: v128): v128 {
  if (!i64x2.all_true(v128.and(f64x2.gt(d, k64(MINUS_ONE)), f64x2.le(d, k64(SLEEF_LOG1P_HIGH))))) return sleefLog1p64Full(d);
  return v128.bitselect(d, sleefLog1pCore64(d), f64x2.eq(d, k64(F_0)));
}

/**
 * sleefLog1p64 of every lane: NaN below -1 (and for NaN), -inf at -1, +-0 kept; above 1e307 (SLEEF
 * < 3.8's inf, which LOG1P_OVERFLOWS selects; 3.8's form is not ported) fdlibm's log1p64.
 */
function sleefLog1p64Full(d: v128): v128 {
  let r = v128.bitselect(d, sleefLog1pCore64(d), f64x2.eq(d, k64(F_0)));
  r = v128.bitselect(log1p64(d), r, f64x2.gt(d, k64(SLEEF_LOG1P_HIGH)));
  r = v128.bitselect(k64(NAN), r, v128.or(f64x2.lt(d, k64(MINUS_ONE)), f64x2.ne(d, d)));
  return v128.bitselect(k64(NEG_INF), r, f64x2.eq(d, k64(MINUS_ONE)));
}

/** at::log1p of float64 lanes: SLEEF's in the relaxed-SIMD build without USES_GLIBC, else fdlibm's (Math.log1p). */
// @ts-ignore: decorator
@inline function log1pOf64(x: v128, flags: i32): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return flags & USES_GLIBC ? log1p64(x) : sleefLog1p64(x);
  return log1p64(x);
}

/** at::log of float64 lanes: SLEEF's in the relaxed-SIMD build without USES_GLIBC, else fdlibm's (Math.log). */
// @ts-ignore: decorator
@inline function logOf64(x: v128, flags: i32): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return flags & USES_GLIBC ? log64(x) : sleefLog64(x);
  return log64(x);
}

// ---- log1p: fdlibm's s_log1p.c as V8's ieee754::log1p (Math.log1p) computes it, two lanes at a time ----
// Each lane's branch selected as exp64's and log64's are. The k = 0 case (-0.2929 <= x < 0.41422:
// f = x, c = 0, hu = 1) and the general one (u = 1 + x, or x itself from 2^53 on, k its exponent,
// c the rounding error of 1 + x over u; u normalized to [sqrt(2)/2, sqrt(2))) share f, k, c and hu;
// each of the scalar code's returns is computed (k == 0 or not, hu == 0 or not) and selected.

const LOG1P_TWO_THIRDS: usize = memory.data<f64>([0.66666666666666666]);
const LOG1P_LP1: usize = memory.data<f64>([6.666666666666735130e-01]);
const LOG1P_LP2: usize = memory.data<f64>([3.999999999940941908e-01]);
const LOG1P_LP3: usize = memory.data<f64>([2.857142874366239149e-01]);
const LOG1P_LP4: usize = memory.data<f64>([2.222219843214978396e-01]);
const LOG1P_LP5: usize = memory.data<f64>([1.818357216161805012e-01]);
const LOG1P_LP6: usize = memory.data<f64>([1.531383769920937332e-01]);
const LOG1P_LP7: usize = memory.data<f64>([1.479819860511658591e-01]);
// fdlibm's tests of the high word hx (an int32) as tests of all 64 bits (as signed integers they
// order as hx does): hx < H is bits < H << 32, hx > H is bits > (H << 32 | 0xffffffff).
const B_LOG1P_SQRT2: usize = memory.data<i64>([0x3fda827a00000000]); // hx < 0x3fda827a: 1 + x < sqrt(2)+
const B_LOG1P_MINUS_SQRT1_2: usize = memory.data<i64>([-4624424114038243328]); // 0xbfd2bec500000000: hx <= (int32_t)0xbfd2bec4 (1 + x >= sqrt(2)/2-)
const B_LOW_WORD: usize = memory.data<i64>([0xffffffff]); // hx > 0
const B_BELOW_2_53: usize = memory.data<i64>([0x433fffffffffffff]); // hx >= 0x43400000 above: x >= 2^53, u = x
const B_2_M29: usize = memory.data<i64>([0x3e20000000000000]); // |x| < 2^-29 below
const B_2_M54: usize = memory.data<i64>([0x3c90000000000000]); // |x| < 2^-54 below
const B_BELOW_ONE: usize = memory.data<i64>([0x3fefffffffffffff]); // |x| >= 1 above
const I_0X6A09D: usize = memory.data<i64>([0x6a09d]); // hu above: u ~>= sqrt(2)
const I_0X3FE00000: usize = memory.data<i64>([0x3fe00000]);
const I_1: usize = memory.data<i64>([1]);

/**
 * Math.log1p of each lane (V8's fdlibm log1p), bit for bit. Inlined: the pairs of ordinary
 * arguments (2^-29 <= |x|, -1 < x < 2^53, finite, |f| >= 2^-20: the main forms, k = 0 or not); a
 * pair with another lane calls log1p64Full, which selects every case.
 */
// @ts-ignore: decorator
@inline function log1p64(x: v128): v128 {
  const ax = v128.and(x, k64(ABS_MASK)); // |x|'s bits
  const belowSqrt2 = i64x2.lt_s(x, k64(B_LOG1P_SQRT2));
  const kZero = v128.and(belowSqrt2, v128.or(i64x2.gt_s(x, k64(B_LOW_WORD)), i64x2.lt_s(x, k64(B_LOG1P_MINUS_SQRT1_2))));
  // x <= -1 or |x| < 2^-29 (below sqrt(2) - 1), x >= 2^53 (+inf, NaN): log1p64Full
  const special = v128.or(
    v128.and(belowSqrt2, v128.or(i64x2.gt_s(ax, k64(B_BELOW_ONE)), i64x2.lt_s(ax, k64(B_2_M29)))),
    i64x2.gt_s(x, k64(B_BELOW_2_53)),
  );
  const u = f64x2.add(k64(ONE), x);
  const k0 = i64x2.sub(i64x2.shr_u(u, 52), k64(I_1023));
  const correction = v128.bitselect(f64x2.sub(k64(ONE), f64x2.sub(u, x)), f64x2.sub(x, f64x2.sub(u, k64(ONE))), i64x2.gt_s(k0, k64(I_0)));
  const huLow = v128.and(i64x2.shr_u(u, 32), k64(I_0X000FFFFF));
  const half = i64x2.gt_s(huLow, k64(I_0X6A09D)); // u ~>= sqrt(2): normalize u / 2, k + 1
  const huGeneral = v128.bitselect(i64x2.shr_u(i64x2.sub(k64(I_0X100000), huLow), 2), huLow, half);
  // hu == 0 (|f| < 2^-20) only where k != 0 (the k = 0 lanes have hu = 1): log1p64Full
  if (v128.any_true(v128.or(special, v128.andnot(i64x2.eq(huGeneral, k64(I_0)), kZero)))) return log1p64Full(x);
  const kGeneral = i64x2.sub(k0, half); // half is -1 where set
  const uHigh = v128.or(huLow, v128.bitselect(k64(I_0X3FE00000), k64(I_0X3FF00000), half));
  const uNormal = v128.or(v128.and(u, k64(I_0XFFFFFFFF)), i64x2.shl(uHigh, 32));
  const f = v128.bitselect(x, f64x2.sub(uNormal, k64(ONE)), kZero);
  const k = v128.andnot(kGeneral, kZero);
  const c = v128.andnot(f64x2.div(correction, u), kZero);
  const dk = f64x2.sub(i64x2.add(k64(MAGIC), k), k64(MAGIC));
  const hfsq = f64x2.mul(f64x2.mul(k64(HALF), f), f);
  const hi = f64x2.mul(dk, k64(LOG_LN2_HI));
  const lo = f64x2.add(f64x2.mul(dk, k64(LOG_LN2_LO)), c);
  const s = f64x2.div(f, f64x2.add(k64(TWO), f));
  const z = f64x2.mul(s, s);
  const r = f64x2.mul(z, f64x2.add(k64(LOG1P_LP1), f64x2.mul(z, f64x2.add(k64(LOG1P_LP2), f64x2.mul(z, f64x2.add(k64(LOG1P_LP3),
    f64x2.mul(z, f64x2.add(k64(LOG1P_LP4), f64x2.mul(z, f64x2.add(k64(LOG1P_LP5), f64x2.mul(z, f64x2.add(k64(LOG1P_LP6),
    f64x2.mul(z, k64(LOG1P_LP7))))))))))))));
  const sr = f64x2.mul(s, f64x2.add(hfsq, r));
  return v128.bitselect(f64x2.sub(f, f64x2.sub(hfsq, sr)), f64x2.sub(hi, f64x2.sub(f64x2.sub(hfsq, f64x2.add(sr, lo)), f)), i64x2.eq(k, k64(I_0)));
}

/** Math.log1p of each lane, every case selected lane by lane (log1p64's pairs with a special lane). */
function log1p64Full(x: v128): v128 {
  const ax = v128.and(x, k64(ABS_MASK)); // |x|'s bits
  const belowSqrt2 = i64x2.lt_s(x, k64(B_LOG1P_SQRT2));
  const kZero = v128.and(belowSqrt2, v128.or(i64x2.gt_s(x, k64(B_LOW_WORD)), i64x2.lt_s(x, k64(B_LOG1P_MINUS_SQRT1_2))));
  // k != 0: u = 1 + x below 2^53 (c = (k > 0 ? 1 - (u - x) : x - (u - 1)) / u), else u = x (c = 0); u > 0 (other lanes: selected below)
  const huge = i64x2.gt_s(x, k64(B_BELOW_2_53));
  const u = v128.bitselect(x, f64x2.add(k64(ONE), x), huge);
  const k0 = i64x2.sub(i64x2.shr_u(u, 52), k64(I_1023));
  const correction = v128.bitselect(f64x2.sub(k64(ONE), f64x2.sub(u, x)), f64x2.sub(x, f64x2.sub(u, k64(ONE))), i64x2.gt_s(k0, k64(I_0)));
  const c0 = v128.andnot(f64x2.div(correction, u), huge);
  const huLow = v128.and(i64x2.shr_u(u, 32), k64(I_0X000FFFFF));
  const half = i64x2.gt_s(huLow, k64(I_0X6A09D)); // u ~>= sqrt(2): normalize u / 2, k + 1
  const kGeneral = i64x2.sub(k0, half); // half is -1 where set
  const uHigh = v128.or(huLow, v128.bitselect(k64(I_0X3FE00000), k64(I_0X3FF00000), half));
  const uNormal = v128.or(v128.and(u, k64(I_0XFFFFFFFF)), i64x2.shl(uHigh, 32));
  const huGeneral = v128.bitselect(i64x2.shr_u(i64x2.sub(k64(I_0X100000), huLow), 2), huLow, half);
  // the two cases' f, k, c, hu
  const f = v128.bitselect(x, f64x2.sub(uNormal, k64(ONE)), kZero);
  const k = v128.andnot(kGeneral, kZero);
  const c = v128.andnot(c0, kZero);
  const hu = v128.bitselect(k64(I_1), huGeneral, kZero);
  const dk = f64x2.sub(i64x2.add(k64(MAGIC), k), k64(MAGIC));
  const kIsZero = i64x2.eq(k, k64(I_0));
  const hfsq = f64x2.mul(f64x2.mul(k64(HALF), f), f);
  const hi = f64x2.mul(dk, k64(LOG_LN2_HI));
  const lo = f64x2.add(f64x2.mul(dk, k64(LOG_LN2_LO)), c);
  // hu != 0: s = f / (2 + f), R = z (Lp1 + ... ); k == 0: f - (hfsq - s (hfsq + R)); else k ln2_hi - ((hfsq - (s (hfsq + R) + (k ln2_lo + c))) - f)
  const s = f64x2.div(f, f64x2.add(k64(TWO), f));
  const z = f64x2.mul(s, s);
  const r = f64x2.mul(z, f64x2.add(k64(LOG1P_LP1), f64x2.mul(z, f64x2.add(k64(LOG1P_LP2), f64x2.mul(z, f64x2.add(k64(LOG1P_LP3),
    f64x2.mul(z, f64x2.add(k64(LOG1P_LP4), f64x2.mul(z, f64x2.add(k64(LOG1P_LP5), f64x2.mul(z, f64x2.add(k64(LOG1P_LP6),
    f64x2.mul(z, k64(LOG1P_LP7))))))))))))));
  const sr = f64x2.mul(s, f64x2.add(hfsq, r));
  let out = v128.bitselect(f64x2.sub(f, f64x2.sub(hfsq, sr)), f64x2.sub(hi, f64x2.sub(f64x2.sub(hfsq, f64x2.add(sr, lo)), f)), kIsZero);
  // hu == 0 (|f| < 2^-20): f == 0: k == 0 ? 0 : k ln2_hi + (c + k ln2_lo); else R = hfsq (1 - 2/3 f), k == 0 ? f - R : k ln2_hi - ((R - (k ln2_lo + c)) - f)
  // (this and the cases below computed only where a lane takes them: their selects change nothing elsewhere)
  const huZero = i64x2.eq(hu, k64(I_0));
  if (v128.any_true(huZero)) {
    const rSmall = f64x2.mul(hfsq, f64x2.sub(k64(ONE), f64x2.mul(k64(LOG1P_TWO_THIRDS), f)));
    let small = v128.bitselect(f64x2.sub(f, rSmall), f64x2.sub(hi, f64x2.sub(f64x2.sub(rSmall, lo), f)), kIsZero);
    small = v128.bitselect(v128.andnot(f64x2.add(hi, lo), kIsZero), small, f64x2.eq(f, k64(ZERO)));
    out = v128.bitselect(small, out, huZero);
  }
  // +inf and NaN (not negative): x + x; |x| < 2^-29: x below 2^-54, else x - x x 0.5; x <= -1: -inf at -1, else NaN
  const beyond = i64x2.gt_s(x, k64(B_BELOW_INF));
  const tiny = i64x2.lt_s(ax, k64(B_2_M29));
  const atMostMinusOne = v128.and(belowSqrt2, i64x2.gt_s(ax, k64(B_BELOW_ONE)));
  if (v128.any_true(v128.or(v128.or(beyond, tiny), atMostMinusOne))) {
    out = v128.bitselect(f64x2.add(x, x), out, beyond);
    out = v128.bitselect(v128.bitselect(x, f64x2.sub(x, f64x2.mul(f64x2.mul(x, x), k64(HALF))), i64x2.lt_s(ax, k64(B_2_M54))), out, tiny);
    out = v128.bitselect(v128.bitselect(k64(NEG_INF), k64(NAN), f64x2.eq(x, k64(MINUS_ONE))), out, atMostMinusOne);
  }
  return out;
}

// ---- soft_margin_loss and binary_cross_entropy (../../losses/soft_margin_loss.ts, binary_cross_entropy.ts) ----
// The JS float64 loops' operations in their order, with exp64 / log64 / log1p64 for Math.exp /
// Math.log / Math.log1p.

export const SOFT_MARGIN = 4; // torch < 2.0: log(1 + exp(-x y))
export const SOFT_MARGIN_GRAD = 5; // s = -norm: ((y z) s) / (z + 1) * g, z = exp(-y x)
// soft_margin's other forms (ids of this module only; ../float64-kernels.ts picks them by the call's flags)
export const SOFT_MARGIN_LOG1P = 44; // torch >= 2.0 (USES_LOG1P): log1p(exp(-x y)); with LOG1P_OVERFLOWS (SLEEF's log1p before 3.8, not 'default') inf where exp(-x y) > 1e307
/** KERNEL_FLAGS.LOG1P_OVERFLOWS. */
const LOG1P_OVERFLOWS = 16;

const SOFT_MARGIN_OVERFLOW: usize = memory.data<f64>([1e307]);

export const BINARY_CROSS_ENTROPY = 6; // a = weight (HAS_WEIGHT)
export const BINARY_CROSS_ENTROPY_GRAD = 7; // a = weight (HAS_WEIGHT), c = gradOutput, s = the 'mean' divisor (0: none)

const BCE_LOG_MIN: usize = memory.data<f64>([-100]);
const BCE_EPSILON: usize = memory.data<f64>([9.999999960041972e-13]); // Loss.cpp's `constexpr float EPSILON = 1e-12`, a float

/** std::max(a, b): b only where a < b (a NaN a stays). */
// @ts-ignore: decorator
@inline function stdMax64(a: v128, b: v128): v128 {
  return v128.bitselect(b, a, f64x2.lt(a, b));
}

/** binary_cross_entropy_backward: ((g (x - y)) / max((1 - x) x, 1e-12)) w, then / n for 'mean' (n = s, else 0). */
// @ts-ignore: decorator
@inline function binaryCrossEntropyGrad64(x: v128, y: v128, w: v128, g: v128, s: v128, flags: i32): v128 {
  const denominator = stdMax64(f64x2.mul(f64x2.sub(k64(ONE), x), x), k64(BCE_EPSILON));
  let v = f64x2.div(f64x2.mul(g, f64x2.sub(x, y)), denominator);
  if (flags & HAS_WEIGHT) v = f64x2.mul(v, w);
  return f64x2.extract_lane(s, 0) != 0 ? f64x2.div(v, s) : v;
}

// ---- multilabel_soft_margin_loss, torch >= 1.11 (../../losses/multilabel_soft_margin_loss.ts, rowwise) ----
// log_sigmoid(x) and log_sigmoid(-x) share l = log1p(exp(-|x|)) (../../numerics.ts logSigmoidPair);
// the backward both log_sigmoid_backward terms' q = z / (1 + z) (logSigmoidBackwardDifference).
// The forward's per-sample class sums: rowMeans64.

export const MULTILABEL_SOFT_MARGIN = 2; // a = weight (HAS_WEIGHT): the element loss, before the class sum
export const MULTILABEL_SOFT_MARGIN_GRAD = 3; // a = weight (HAS_WEIGHT), c = the sample's gradient / C (per row)

/** at::minimum(a, b): a where a is NaN or a < b, else b. */
// @ts-ignore: decorator
@inline function minimum64(a: v128, b: v128): v128 {
  return v128.bitselect(a, b, v128.or(f64x2.lt(a, b), f64x2.ne(a, a)));
}

// These kernels run in two passes over a segment (twoPass): the exp / log1p they start with, then
// the rest from its result: one loop of both inlined bodies ran ~1.6x slower (V8's register
// allocation), e.g. soft_margin's 2.x forward 16.6 -> 10.2 ns/el.

/** The first pass of two-pass kernel `op` (a constant where inlined) on a pair. */
// @ts-ignore: decorator
@inline function firstPass(op: i32, x: v128, y: v128, flags: i32): v128 {
  if (op == SOFT_MARGIN || op == SOFT_MARGIN_LOG1P) return expOf64(f64x2.mul(f64x2.neg(x), y), flags); // e = exp((-x) y)
  if (op == SOFT_MARGIN_GRAD) return expOf64(f64x2.mul(f64x2.neg(y), x), flags); // z = exp((-y) x)
  if (op == BINARY_CROSS_ENTROPY) {
    // max(log1p(-x), -100), or before torch 2.0 (BCE_LOG_ONE_MINUS) max(log(1 - x), -100)
    const oneMinus = flags & BCE_LOG_ONE_MINUS ? log64(f64x2.sub(k64(ONE), x)) : log1p64(f64x2.neg(x));
    return stdMax64(oneMinus, k64(BCE_LOG_MIN));
  }
  return exp64(f64x2.neg(f64x2.abs(x))); // MULTILABEL_SOFT_MARGIN(_GRAD): z = exp(-|x|)
}

/** The second pass of two-pass kernel `op` on a pair: t the first pass's result; a, c, s, flags as lanes'. */
// @ts-ignore: decorator
@inline function secondPass(op: i32, t: v128, x: v128, y: v128, a: v128, c: v128, s: v128, flags: i32): v128 {
  // soft_margin_loss: log(1 + e), or (torch >= 2.0) log1p(e), inf above 1e307 under LOG1P_OVERFLOWS
  if (op == SOFT_MARGIN) return logOf64(f64x2.add(k64(ONE), t), flags);
  if (op == SOFT_MARGIN_LOG1P) {
    const l = log1pOf64(t, flags);
    return flags & LOG1P_OVERFLOWS ? v128.bitselect(k64(INF), l, f64x2.gt(t, k64(SOFT_MARGIN_OVERFLOW))) : l;
  }
  // soft_margin_loss_backward: ((y z) minusNorm) / (z + 1) * g
  if (op == SOFT_MARGIN_GRAD) return f64x2.mul(f64x2.div(f64x2.mul(f64x2.mul(y, t), s), f64x2.add(t, k64(ONE))), c);
  // binary_cross_entropy: ((y - 1) max(log1p(-x), -100)) - y max(log(x), -100), times the weight under HAS_WEIGHT
  if (op == BINARY_CROSS_ENTROPY) {
    const loss = f64x2.sub(f64x2.mul(f64x2.sub(y, k64(ONE)), t), f64x2.mul(y, stdMax64(log64(x), k64(BCE_LOG_MIN))));
    return flags & HAS_WEIGHT ? f64x2.mul(loss, a) : loss;
  }
  // multilabel_soft_margin: -((y (min(x, 0) - l)) + ((1 - y) (min(-x, 0) - l))), l = log1p(z), times the weight under HAS_WEIGHT
  if (op == MULTILABEL_SOFT_MARGIN) {
    const l = log1p64(t);
    const pos = f64x2.sub(minimum64(x, k64(ZERO)), l);
    const neg = f64x2.sub(minimum64(f64x2.neg(x), k64(ZERO)), l);
    const loss = f64x2.neg(f64x2.add(f64x2.mul(y, pos), f64x2.mul(f64x2.sub(k64(ONE), y), neg)));
    return flags & HAS_WEIGHT ? f64x2.mul(loss, a) : loss;
  }
  // MULTILABEL_SOFT_MARGIN_GRAD: gl = -(g w) (g where no weight); q = z / (1 + z), p = 1 - q;
  // (x < 0 ? p : q) (gl y) - (-x < 0 ? p : q) (gl (1 - y))
  const gl = f64x2.neg(flags & HAS_WEIGHT ? f64x2.mul(c, a) : c);
  const q = f64x2.div(t, f64x2.add(k64(ONE), t));
  const p = f64x2.sub(k64(ONE), q);
  const towardPos = f64x2.mul(v128.bitselect(p, q, f64x2.lt(x, k64(ZERO))), f64x2.mul(gl, y));
  const towardNeg = f64x2.mul(v128.bitselect(p, q, f64x2.lt(f64x2.neg(x), k64(ZERO))), f64x2.mul(gl, f64x2.sub(k64(ONE), y)));
  return f64x2.sub(towardPos, towardNeg);
}

/** Two-pass kernel `op` (a constant) over a segment, its operands addressed as segmentOf's: first into out, then over out. */
// @ts-ignore: decorator
@inline function twoPass(op: i32, x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  const end = <usize>((count + 1) >> 1) << 4;
  if (op == SOFT_MARGIN || op == SOFT_MARGIN_LOG1P) {
    softMarginPasses(op, x, out, end, y, yMask, flags);
    return;
  }
  const sv = f64x2.splat(s);
  const none = f64x2.splat(0);
  const readsWeight = op == BINARY_CROSS_ENTROPY || op == MULTILABEL_SOFT_MARGIN || op == MULTILABEL_SOFT_MARGIN_GRAD;
  const readsGrad = op == SOFT_MARGIN_GRAD || op == MULTILABEL_SOFT_MARGIN_GRAD;
  for (let at: usize = 0; at < end; at += 16) v128.store(out + at, firstPass(op, v128.load(x + at), v128.load(y + (at & yMask)), flags));
  for (let at: usize = 0; at < end; at += 16) {
    const v = secondPass(
      op, v128.load(out + at), v128.load(x + at), v128.load(y + (at & yMask)), readsWeight ? v128.load(a + (at & aMask)) : none,
      readsGrad ? v128.load(c + (at & cMask)) : none, sv, flags,
    );
    v128.store(out + at, v);
  }
}

/** The second vector of expOfPair64 / logOfPair64. */
let pairSecond64: v128 = f64x2.splat(0);

/** expOf64 of two vectors (the second in pairSecond64): SLEEF's fast path for both where every lane of both lies in [-708, 709] (one test), else each on its own. */
// @ts-ignore: decorator
@inline function expOfPair64(a: v128, b: v128, flags: i32): v128 {
  if (flags & USES_GLIBC) {
    pairSecond64 = exp64(b);
    return exp64(a);
  }
  const inA = v128.and(f64x2.ge(a, k64(SLEEF_EXP_FAST_LOW)), f64x2.le(a, k64(SLEEF_EXP_FAST_HIGH)));
  const inB = v128.and(f64x2.ge(b, k64(SLEEF_EXP_FAST_LOW)), f64x2.le(b, k64(SLEEF_EXP_FAST_HIGH)));
  if (!i64x2.all_true(v128.and(inA, inB))) {
    pairSecond64 = sleefExp64(b);
    return sleefExp64(a);
  }
  const qA = f64x2.nearest(f64x2.mul(a, k64(SLEEF_R_LN2)));
  const qB = f64x2.nearest(f64x2.mul(b, k64(SLEEF_R_LN2)));
  pairSecond64 = f64x2.mul(sleefExpReduced64(b, qB), i64x2.shl(i64x2.add(f64x2.add(qB, k64(MAGIC)), k64(I_1023)), 52));
  return f64x2.mul(sleefExpReduced64(a, qA), i64x2.shl(i64x2.add(f64x2.add(qA, k64(MAGIC)), k64(I_1023)), 52));
}

/** logOf64 of two vectors (the second in pairSecond64): SLEEF's inlined path for both where every lane of both is normal, positive and finite (one test), else each on its own. */
// @ts-ignore: decorator
@inline function logOfPair64(a: v128, b: v128, flags: i32): v128 {
  if (!ASC_FEATURE_RELAXED_SIMD || flags & USES_GLIBC) {
    pairSecond64 = log64(b);
    return log64(a);
  }
  const inA = v128.and(f64x2.ge(a, k64(SLEEF_DBL_MIN)), f64x2.le(a, k64(SLEEF_DBL_MAX)));
  const inB = v128.and(f64x2.ge(b, k64(SLEEF_DBL_MIN)), f64x2.le(b, k64(SLEEF_DBL_MAX)));
  if (!i64x2.all_true(v128.and(inA, inB))) {
    pairSecond64 = sleefLog64(b);
    return sleefLog64(a);
  }
  pairSecond64 = sleefLogCore64(b, f64x2.splat(0));
  return sleefLogCore64(a, f64x2.splat(0));
}

/**
 * soft_margin_loss' two passes (twoPass: e = exp((-x) y), then log(1 + e) or log1p(e)) over `end`
 * bytes, two vectors an iteration (each lane's ops as firstPass / secondPass's).
 */
// @ts-ignore: decorator
@inline function softMarginPasses(op: i32, x: usize, out: usize, end: usize, y: usize, yMask: usize, flags: i32): void {
  let at: usize = 0;
  // (the plain build's log(1 + e) measured slower with its exps paired: one at a time there)
  if (ASC_FEATURE_RELAXED_SIMD || op == SOFT_MARGIN_LOG1P) for (; at + 32 <= end; at += 32) {
    const e0 = expOfPair64(f64x2.mul(f64x2.neg(v128.load(x + at)), v128.load(y + (at & yMask))), f64x2.mul(f64x2.neg(v128.load(x + at, 16)), v128.load(y + ((at + 16) & yMask))), flags);
    v128.store(out + at, e0);
    v128.store(out + at, pairSecond64, 16);
  }
  for (; at < end; at += 16) v128.store(out + at, firstPass(op, v128.load(x + at), v128.load(y + (at & yMask)), flags));
  const none = f64x2.splat(0);
  at = 0;
  // (fdlibm's log64 two at a time measured slower: the plain build and 'default' keep one)
  if (op == SOFT_MARGIN && ASC_FEATURE_RELAXED_SIMD && !(flags & USES_GLIBC)) {
    for (; at + 32 <= end; at += 32) {
      const r0 = logOfPair64(f64x2.add(k64(ONE), v128.load(out + at)), f64x2.add(k64(ONE), v128.load(out + at, 16)), flags);
      v128.store(out + at, r0);
      v128.store(out + at, pairSecond64, 16);
    }
  }
  for (; at < end; at += 16) v128.store(out + at, secondPass(op, v128.load(out + at), none, none, none, none, none, flags));
}

/** sign of each lane: d > 0 ? 1 : d < 0 ? -1 : 0 (0 for -0 and NaN). */
// @ts-ignore: decorator
@inline function sign64(d: v128): v128 {
  return v128.bitselect(k64(ONE), v128.bitselect(k64(MINUS_ONE), k64(ZERO), f64x2.lt(d, k64(ZERO))), f64x2.gt(d, k64(ZERO)));
}

// ---- binary_cross_entropy_with_logits, kl_div, gaussian_nll_loss (../../losses/*.ts's float64 loops) ----

/**
 * BCEWithLogits (../../losses/binary_cross_entropy_with_logits.ts elementLoss), then * weight, from
 * e = exp(-|x|) (segmentBceWithLogits' first pass): from torch 2.3 (USES_LOG_SIGMOID)
 * (1 - y) x - lw log_sigmoid(x), log_sigmoid(x) = min(x, 0) - log1p(e) (NaN kept); before,
 * m = max(-x, 0) (NaN kept) and log(exp(-m) + exp(-x - m)), whose sum is exactly 1 + e (one of the
 * two exps is of +-0: 1) but at x = -inf (inf - inf: NaN) and NaN: without pos_weight
 * ((1 - y) x + m) + log, with it (1 - y) x + lw (log + m); lw = (p - 1) y + 1.
 */
// @ts-ignore: decorator
@inline function bceWithLogits64(x: v128, e: v128, y: v128, w: v128, p: v128, flags: i32, logSigmoid: bool): v128 {
  const linear = f64x2.mul(f64x2.sub(k64(ONE), y), x);
  if (logSigmoid) {
    const min = v128.bitselect(x, k64(ZERO), v128.or(f64x2.lt(x, k64(ZERO)), f64x2.ne(x, x)));
    const ls = f64x2.sub(min, log1p64(e));
    const lw = f64x2.add(f64x2.mul(f64x2.sub(p, k64(ONE)), y), k64(ONE));
    const loss = f64x2.sub(linear, flags & HAS_POS_WEIGHT ? f64x2.mul(ls, lw) : ls);
    return flags & HAS_WEIGHT ? f64x2.mul(loss, w) : loss;
  }
  const nx = f64x2.neg(x);
  const m = v128.bitselect(nx, k64(ZERO), v128.or(f64x2.gt(nx, k64(ZERO)), f64x2.ne(nx, nx)));
  const sum = v128.bitselect(k64(NAN), f64x2.add(k64(ONE), e), f64x2.eq(x, k64(NEG_INF)));
  const logTerm = log64(sum);
  let loss: v128;
  if (flags & HAS_POS_WEIGHT) {
    const lw = f64x2.add(f64x2.mul(f64x2.sub(p, k64(ONE)), y), k64(ONE));
    loss = f64x2.add(linear, f64x2.mul(lw, f64x2.add(logTerm, m)));
  } else {
    loss = f64x2.add(f64x2.add(linear, m), logTerm);
  }
  return flags & HAS_WEIGHT ? f64x2.mul(loss, w) : loss;
}

/**
 * BCE_WITH_LOGITS over a segment in two passes over it (each loop holds fewer values at once): exp(-|x|)
 * into out, then the loss from it, in place.
 */
function segmentBceWithLogitsPasses(
  x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, flags: i32,
): void {
  const end = <usize>((count + 1) >> 1) << 4;
  for (let at: usize = 0; at < end; at += 16) v128.store(out + at, exp64(f64x2.neg(f64x2.abs(v128.load(x + at)))));
  if (flags & USES_LOG_SIGMOID) {
    for (let at: usize = 0; at < end; at += 16) {
      const v = bceWithLogits64(
        v128.load(x + at), v128.load(out + at), v128.load(y + (at & yMask)), v128.load(a + (at & aMask)), v128.load(b + (at & bMask)), flags, true,
      );
      v128.store(out + at, v);
    }
  } else {
    for (let at: usize = 0; at < end; at += 16) {
      const v = bceWithLogits64(
        v128.load(x + at), v128.load(out + at), v128.load(y + (at & yMask)), v128.load(a + (at & aMask)), v128.load(b + (at & bMask)), flags, false,
      );
      v128.store(out + at, v);
    }
  }
}

/**
 * BCEWithLogits' gradient (every release): s = 1 / (1 + exp(-x)); ((t + 1 - y) s - t) g with
 * t = pos_weight y, else (s - y) g; then * weight; / n for 'mean' (n the scalar, else 0).
 */
// @ts-ignore: decorator
@inline function bceWithLogitsGrad64(x: v128, y: v128, w: v128, p: v128, g: v128, n: v128, flags: i32): v128 {
  const s = f64x2.div(k64(ONE), f64x2.add(k64(ONE), exp64(f64x2.neg(x))));
  let v: v128;
  if (flags & HAS_POS_WEIGHT) {
    const t = f64x2.mul(p, y);
    v = f64x2.sub(f64x2.mul(f64x2.sub(f64x2.add(t, k64(ONE)), y), s), t);
  } else {
    v = f64x2.sub(s, y);
  }
  v = f64x2.mul(v, g);
  if (flags & HAS_WEIGHT) v = f64x2.mul(v, w);
  return f64x2.extract_lane(n, 0) != 0 ? f64x2.div(v, n) : v;
}

/**
 * KLDivLoss (../../losses/kl_div.ts): exp(y) (y - x) (log_target); from 1.13 xlogy(y, y) - y x
 * (NaN where y is, 0 where y == 0, else y log(y)); before (KL_DIV_WHERE) y > 0 ? y (log(y) - x) : 0.
 */
// @ts-ignore: decorator
@inline function klDiv64(x: v128, y: v128, flags: i32): v128 {
  if (flags & LOG_TARGET) return f64x2.mul(expOf64(y, flags), f64x2.sub(y, x));
  // the log of 1.5 where its value is not used (y <= 0 or NaN before 1.13, y == 0 or NaN after) and
  // where y is 1 (log(1) = +0, selected): 1 itself is one of log64Full's arguments (f within 2^-20
  // of 0), so a target of zeros and ones (hard labels) keeps log64's inlined path
  const one = f64x2.eq(y, k64(ONE));
  if (flags & KL_DIV_WHERE) {
    const positive = f64x2.gt(y, k64(ZERO));
    const logY = v128.andnot(log64(v128.bitselect(y, k64(ONE_AND_HALF), v128.andnot(positive, one))), one);
    return v128.and(f64x2.mul(y, f64x2.sub(logY, x)), positive);
  }
  const unused = v128.or(v128.or(f64x2.eq(y, k64(ZERO)), one), f64x2.ne(y, y));
  const logY = log64(v128.bitselect(k64(ONE_AND_HALF), y, unused));
  // y log(y) is +0 where y is 0 or 1 (1 x log(1) = 1 x +0)
  const xlogy = v128.bitselect(k64(NAN), v128.andnot(f64x2.mul(y, logY), v128.or(f64x2.eq(y, k64(ZERO)), one)), f64x2.ne(y, y));
  return f64x2.sub(xlogy, f64x2.mul(y, x));
}

/**
 * KLDivLoss' gradient: from 1.13 -(g exp(y)) (log_target) or -(g y); before (KL_DIV_WHERE)
 * -(exp(y) g) or (y > 0 ? -(y g) : +0), each / norm where norm != 0 ('mean': numel).
 */
// @ts-ignore: decorator
@inline function klDivGrad64(y: v128, g: v128, norm: v128, flags: i32): v128 {
  if (!(flags & KL_DIV_WHERE)) return f64x2.neg(f64x2.mul(g, flags & LOG_TARGET ? expOf64(y, flags) : y));
  let v = f64x2.neg(f64x2.mul(flags & LOG_TARGET ? expOf64(y, flags) : y, g));
  if (f64x2.extract_lane(norm, 0) != 0) v = f64x2.div(v, norm);
  return flags & LOG_TARGET ? v : v128.and(v, f64x2.gt(y, k64(ZERO)));
}

/** GaussianNLL's var.clamp_(min=eps): std::max(var, eps) (a NaN var stays NaN; a NaN eps leaves var). */
// @ts-ignore: decorator
@inline function clampVar64(v: v128, eps: v128): v128 {
  return v128.bitselect(eps, v, f64x2.lt(v, eps));
}

/** GaussianNLL (../../losses/gaussian_nll_loss.ts forwardLoss): 0.5 (log(v) + (x - y)^2 / v) (+ s with FULL), v = max(var, eps). */
// @ts-ignore: decorator
@inline function gaussianNll64(x: v128, y: v128, variance: v128, eps: v128, s: v128, flags: i32): v128 {
  const v = clampVar64(variance, eps);
  const d = f64x2.sub(x, y);
  const loss = f64x2.mul(k64(HALF), f64x2.add(logOf64(v, flags), f64x2.div(f64x2.mul(d, d), v)));
  return flags & FULL ? f64x2.add(loss, s) : loss;
}

/**
 * GaussianNLL's gradients from each element's g: gb = g 0.5; input (gb / v) (2 (x - y)); var
 * gb / v + (-gb) (((x - y)^2 / v) / v).
 */
// @ts-ignore: decorator
@inline function gaussianNllGrad64(x: v128, y: v128, variance: v128, eps: v128, g: v128, ofVar: bool): v128 {
  const v = clampVar64(variance, eps);
  const d = f64x2.sub(x, y);
  const gb = f64x2.mul(g, k64(HALF));
  const gs = f64x2.div(gb, v);
  if (!ofVar) return f64x2.mul(gs, f64x2.mul(k64(TWO), d));
  return f64x2.add(gs, f64x2.mul(f64x2.neg(gb), f64x2.div(f64x2.div(f64x2.mul(d, d), v), v)));
}

/**
 * One pair of results of kernel `op` (a constant where inlined): x the input, y the target, a, b
 * and c the operands of those slots (../kernel-ops.ts: c the gradOutput; a beta / delta of the
 * backwards), s the scalar, flags KERNEL_FLAGS' bits; each lane its element's.
 */
// @ts-ignore: decorator
@inline function lanes(op: i32, x: v128, y: v128, a: v128, b: v128, c: v128, s: v128, flags: i32): v128 {
  if (cheap(op)) return cheapLanes64(op, x, y, a, f64x2.neg(a), c, s, f64x2.mul(k64(HALF), s), flags);
  if (op == POISSON_NLL) return f64x2.sub(expOf64(x, flags), f64x2.mul(y, x));
  if (op == POISSON_NLL_GRAD) return f64x2.add(f64x2.mul(c, expOf64(x, flags)), f64x2.mul(f64x2.neg(c), y));
  if (op == POISSON_NLL_EPS) return f64x2.sub(x, f64x2.mul(y, logOf64(f64x2.add(x, s), flags)));
  if (op == POISSON_NLL_FULL) return withStirling(f64x2.sub(expOf64(x, flags), f64x2.mul(y, x)), y, flags);
  if (op == POISSON_NLL_EPS_FULL) return withStirling(f64x2.sub(x, f64x2.mul(y, logOf64(f64x2.add(x, s), flags))), y, flags);
  if (op == POISSON_NLL_EPS_GRAD) return f64x2.add(c, f64x2.div(f64x2.mul(f64x2.neg(c), y), f64x2.add(x, s)));
  // ---- more kernels (each its own block; ids from ../kernel-ops.ts or this module's own) ----
  if (op == BCE_WITH_LOGITS_GRAD) return bceWithLogitsGrad64(x, y, a, b, c, s, flags);
  if (op == KL_DIV) return klDiv64(x, y, flags);
  if (op == KL_DIV_GRAD) return klDivGrad64(y, c, s, flags);
  if (op == GAUSSIAN_NLL) return gaussianNll64(x, y, a, b, s, flags);
  if (op == GAUSSIAN_NLL_GRAD) return gaussianNllGrad64(x, y, a, b, c, false);
  if (op == GAUSSIAN_NLL_VAR_GRAD) return gaussianNllGrad64(x, y, a, b, c, true);
  return binaryCrossEntropyGrad64(x, y, a, c, s, flags); // BINARY_CROSS_ENTROPY_GRAD
}

/**
 * m ? a : b lane-wise for a comparison's mask m (each lane all ones or all zeros): in the
 * relaxed-SIMD build relaxed_laneselect (one blendvpd on x86), which for such masks is exactly
 * bitselect (three instructions in V8).
 */
// @ts-ignore: decorator
@inline function select64(a: v128, b: v128, m: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i64x2.relaxed_laneselect(a, b, m);
  return v128.bitselect(a, b, m);
}

/**
 * The cheap kernels (see cheap()) on one pair, given their loop-invariant pairs made once per
 * loop: s the scalar's (beta / delta of the forwards, norm of the backwards), hs = 0.5 * s, a
 * operand a's (beta / delta of the backwards) and na = -a.
 */
// @ts-ignore: decorator
@inline function cheapLanes64(op: i32, x: v128, y: v128, a: v128, na: v128, c: v128, s: v128, hs: v128, flags: i32): v128 {
  if (op == MSE) {
    // diff = a - t; diff * diff
    const d = f64x2.sub(x, y);
    return f64x2.mul(d, d);
  }
  if (op == MSE_GRAD) {
    // (norm * (a - t)) * grad_output
    return f64x2.mul(f64x2.mul(s, f64x2.sub(x, y)), c);
  }
  if (op == L1) return f64x2.abs(f64x2.sub(x, y));
  if (op == L1_GRAD) {
    // grad * sgn(a - t)
    return f64x2.mul(c, sign64(f64x2.sub(x, y)));
  }
  if (op == SMOOTH_L1) {
    // z = |a - t|; z < b ? ((0.5 * z) * z) / b : z - 0.5 * b
    const z = f64x2.abs(f64x2.sub(x, y));
    const square = f64x2.mul(f64x2.mul(k64(HALF), z), z);
    const quadratic = flags & BETA_ONE ? square : f64x2.div(square, s);
    return select64(quadratic, f64x2.sub(z, hs), f64x2.lt(z, s));
  }
  if (op == SMOOTH_L1_GRAD) {
    // the vectorized lambda: d = a - t; (norm * (|d| >= b ? (d > 0 ? 1 : -1) : d / b)) * g
    const d = f64x2.sub(x, y);
    const sign = select64(k64(ONE), k64(MINUS_ONE), f64x2.gt(d, k64(ZERO)));
    return f64x2.mul(f64x2.mul(s, select64(sign, flags & BETA_ONE ? d : f64x2.div(d, a), f64x2.ge(f64x2.abs(d), a))), c);
  }
  if (op == HUBER) {
    // z = |a - t|; z < delta ? (0.5 * z) * z : delta * (z - 0.5 * delta)
    const z = f64x2.abs(f64x2.sub(x, y));
    return select64(f64x2.mul(f64x2.mul(k64(HALF), z), z), f64x2.mul(s, f64x2.sub(z, hs)), f64x2.lt(z, s));
  }
  // HUBER_GRAD, the vectorized lambda: d = a - t; (norm * (|d| >= delta ? (d > 0 ? delta : -delta) : d)) * g
  const d = f64x2.sub(x, y);
  const clipped = select64(a, na, f64x2.gt(d, k64(ZERO)));
  return f64x2.mul(f64x2.mul(s, select64(clipped, d, f64x2.ge(f64x2.abs(d), a))), c);
}

/** Whether kernel `op` (a constant where inlined) reads operand a, b or c: an unread one is not loaded. */
// @ts-ignore: decorator
@inline function readsA(op: i32): bool {
  return op == SMOOTH_L1_GRAD || op == HUBER_GRAD || op == BCE_WITH_LOGITS || op == BCE_WITH_LOGITS_GRAD ||
    (op >= GAUSSIAN_NLL && op <= GAUSSIAN_NLL_VAR_GRAD) || op == BINARY_CROSS_ENTROPY_GRAD;
}
// @ts-ignore: decorator
@inline function readsB(op: i32): bool {
  return op == BCE_WITH_LOGITS || op == BCE_WITH_LOGITS_GRAD || (op >= GAUSSIAN_NLL && op <= GAUSSIAN_NLL_VAR_GRAD);
}
// @ts-ignore: decorator
@inline function readsC(op: i32): bool {
  return op == MSE_GRAD || op == L1_GRAD || op == SMOOTH_L1_GRAD || op == HUBER_GRAD || op == POISSON_NLL_GRAD || op == POISSON_NLL_EPS_GRAD ||
    op == BCE_WITH_LOGITS_GRAD || op == KL_DIV_GRAD || op == GAUSSIAN_NLL_GRAD || op == GAUSSIAN_NLL_VAR_GRAD ||
    op == BINARY_CROSS_ENTROPY_GRAD;
}

/** Whether kernel `op` is a few operations a pair (no exp / log): its loop keeps one-value operands in registers. */
// @ts-ignore: decorator
@inline function cheap(op: i32): bool {
  return op == MSE || op == MSE_GRAD || op == L1 || op == L1_GRAD || op == SMOOTH_L1 || op == SMOOTH_L1_GRAD || op == HUBER || op == HUBER_GRAD;
}

/**
 * Kernel `op` (a constant: each kernel its own loop) over `count` contiguous elements, in pairs:
 * each operand's pair at its address plus (the pair's offset & its mask): a mask of -1 steps with
 * the elements, 0 reads one pair (a value splat into both lanes) throughout.
 */
// @ts-ignore: decorator
@inline function segmentOf(
  op: i32, x: usize, out: usize, count: i32,
  y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64,
): void {
  const sv = f64x2.splat(s);
  const none = f64x2.splat(0);
  const end = <usize>((count + 1) >> 1) << 4;
  if (cheap(op) && (aMask | bMask) == 0) {
    // a few operations a pair: the one-value operands and the constants held in registers (a load
    // each pair costs ~10%), a loop for c per element and one for c one value
    const av = readsA(op) ? v128.load(a) : none;
    const na = readsA(op) ? f64x2.neg(av) : none;
    const hs = f64x2.mul(k64(HALF), sv);
    if (!readsC(op) || cMask == 0) {
      const cv = readsC(op) ? v128.load(c) : none;
      for (let at: usize = 0; at < end; at += 16) {
        v128.store(out + at, cheapLanes64(op, v128.load(x + at), v128.load(y + (at & yMask)), av, na, cv, sv, hs, flags));
      }
    } else {
      for (let at: usize = 0; at < end; at += 16) {
        v128.store(out + at, cheapLanes64(op, v128.load(x + at), v128.load(y + (at & yMask)), av, na, v128.load(c + at), sv, hs, flags));
      }
    }
    return;
  }
  for (let at: usize = 0; at < end; at += 16) {
    const v = lanes(
      op, v128.load(x + at), v128.load(y + (at & yMask)), readsA(op) ? v128.load(a + (at & aMask)) : none,
      readsB(op) ? v128.load(b + (at & bMask)) : none, readsC(op) ? v128.load(c + (at & cMask)) : none, sv, flags,
    );
    v128.store(out + at, v);
  }
}

// One function per kernel (each its own loop, the op a constant there), chosen once per segment.
function segmentMse(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  segmentOf(MSE, x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s);
}
function segmentMseGrad(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  segmentOf(MSE_GRAD, x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s);
}
function segmentL1(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  segmentOf(L1, x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s);
}
function segmentL1Grad(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  segmentOf(L1_GRAD, x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s);
}
function segmentSmoothL1(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  // BETA_ONE (its only flag) a constant in each loop: no branch on it per pair
  if (flags & BETA_ONE) segmentOf(SMOOTH_L1, x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, BETA_ONE, s);
  else segmentOf(SMOOTH_L1, x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, 0, s);
}
function segmentSmoothL1Grad(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  // BETA_ONE (its only flag) a constant in each loop: no branch on it per pair
  if (flags & BETA_ONE) segmentOf(SMOOTH_L1_GRAD, x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, BETA_ONE, s);
  else segmentOf(SMOOTH_L1_GRAD, x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, 0, s);
}
function segmentHuber(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  segmentOf(HUBER, x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s);
}
function segmentHuberGrad(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  segmentOf(HUBER_GRAD, x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s);
}
function segmentPoissonNll(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  segmentOf(POISSON_NLL, x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s);
}
function segmentPoissonNllGrad(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  segmentOf(POISSON_NLL_GRAD, x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s);
}
function segmentPoissonNllEps(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  segmentOf(POISSON_NLL_EPS, x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s);
}
function segmentPoissonNllFull(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  segmentOf(POISSON_NLL_FULL, x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s);
}
function segmentPoissonNllEpsFull(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  segmentOf(POISSON_NLL_EPS_FULL, x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s);
}
function segmentPoissonNllEpsGrad(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  segmentOf(POISSON_NLL_EPS_GRAD, x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s);
}
// binary_cross_entropy_with_logits, kl_div, gaussian_nll_loss
function segmentBceWithLogits(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  segmentBceWithLogitsPasses(x, out, count, y, yMask, a, aMask, b, bMask, flags);
}
function segmentBceWithLogitsGrad(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  segmentOf(BCE_WITH_LOGITS_GRAD, x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s);
}
function segmentKlDiv(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  segmentOf(KL_DIV, x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s);
}
function segmentKlDivGrad(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  segmentOf(KL_DIV_GRAD, x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s);
}
function segmentGaussianNll(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  segmentOf(GAUSSIAN_NLL, x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s);
}
function segmentGaussianNllGrad(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  segmentOf(GAUSSIAN_NLL_GRAD, x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s);
}
function segmentGaussianNllVarGrad(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  segmentOf(GAUSSIAN_NLL_VAR_GRAD, x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s);
}
function segmentSoftMargin(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  // USES_GLIBC (its only flag) a constant in each loop: no branch on it per vector
  if (flags & USES_GLIBC) twoPass(SOFT_MARGIN, x, out, count, y, yMask, a, aMask, c, cMask, USES_GLIBC, s);
  else twoPass(SOFT_MARGIN, x, out, count, y, yMask, a, aMask, c, cMask, 0, s);
}
function segmentSoftMarginLog1p(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  // USES_GLIBC and LOG1P_OVERFLOWS (its only flags) constants in each loop
  if (flags & USES_GLIBC) twoPass(SOFT_MARGIN_LOG1P, x, out, count, y, yMask, a, aMask, c, cMask, USES_GLIBC, s);
  else if (flags & LOG1P_OVERFLOWS) twoPass(SOFT_MARGIN_LOG1P, x, out, count, y, yMask, a, aMask, c, cMask, LOG1P_OVERFLOWS, s);
  else twoPass(SOFT_MARGIN_LOG1P, x, out, count, y, yMask, a, aMask, c, cMask, 0, s);
}
function segmentSoftMarginGrad(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  twoPass(SOFT_MARGIN_GRAD, x, out, count, y, yMask, a, aMask, c, cMask, flags, s);
}
function segmentBinaryCrossEntropy(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  twoPass(BINARY_CROSS_ENTROPY, x, out, count, y, yMask, a, aMask, c, cMask, flags, s);
}
function segmentBinaryCrossEntropyGrad(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  segmentOf(BINARY_CROSS_ENTROPY_GRAD, x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s);
}
function segmentMultilabelSoftMargin(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  twoPass(MULTILABEL_SOFT_MARGIN, x, out, count, y, yMask, a, aMask, c, cMask, flags, s);
}
function segmentMultilabelSoftMarginGrad(x: usize, out: usize, count: i32, y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64): void {
  twoPass(MULTILABEL_SOFT_MARGIN_GRAD, x, out, count, y, yMask, a, aMask, c, cMask, flags, s);
}

/** Kernel `op` over one segment of `count` contiguous elements (see segmentOf). */
function segment(
  op: i32, x: usize, out: usize, count: i32,
  y: usize, yMask: usize, a: usize, aMask: usize, b: usize, bMask: usize, c: usize, cMask: usize, flags: i32, s: f64,
): void {
  switch (op) {
    case MSE: segmentMse(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    case MSE_GRAD: segmentMseGrad(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    case L1: segmentL1(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    case L1_GRAD: segmentL1Grad(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    case SMOOTH_L1: segmentSmoothL1(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    case SMOOTH_L1_GRAD: segmentSmoothL1Grad(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    case HUBER: segmentHuber(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    case HUBER_GRAD: segmentHuberGrad(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    case POISSON_NLL: segmentPoissonNll(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    case POISSON_NLL_GRAD: segmentPoissonNllGrad(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    case POISSON_NLL_EPS: segmentPoissonNllEps(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    case POISSON_NLL_FULL: segmentPoissonNllFull(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    case POISSON_NLL_EPS_FULL: segmentPoissonNllEpsFull(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    case POISSON_NLL_EPS_GRAD: segmentPoissonNllEpsGrad(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    // ---- more kernels' cases ----
    case BCE_WITH_LOGITS: segmentBceWithLogits(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    case BCE_WITH_LOGITS_GRAD: segmentBceWithLogitsGrad(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    case KL_DIV: segmentKlDiv(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    case KL_DIV_GRAD: segmentKlDivGrad(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    case GAUSSIAN_NLL: segmentGaussianNll(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    case GAUSSIAN_NLL_GRAD: segmentGaussianNllGrad(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    case GAUSSIAN_NLL_VAR_GRAD: segmentGaussianNllVarGrad(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    case SOFT_MARGIN: segmentSoftMargin(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    case SOFT_MARGIN_LOG1P: segmentSoftMarginLog1p(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    case SOFT_MARGIN_GRAD: segmentSoftMarginGrad(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    case BINARY_CROSS_ENTROPY: segmentBinaryCrossEntropy(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    case BINARY_CROSS_ENTROPY_GRAD: segmentBinaryCrossEntropyGrad(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    case MULTILABEL_SOFT_MARGIN: segmentMultilabelSoftMargin(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    case MULTILABEL_SOFT_MARGIN_GRAD: segmentMultilabelSoftMarginGrad(x, out, count, y, yMask, a, aMask, b, bMask, c, cMask, flags, s); break;
    default: unreachable();
  }
}

// ---- walking a chunk ----
// An operand (y the target, a, b, c) is (ptr, rowStride, colStride, elemStride) in f64s: the value
// for (row, col) at chunk offset i is at ptr + 8 * (row * rowStride + col * colStride + i *
// elemStride): copied with the chunk (0, 0, 1), one value (0, 0, 0), per class (0, 1, 0), per row
// (k, 0, 0), or any rows x classes layout (rowStride, colStride, 0), placed whole. A chunk is walked
// as row segments (the call's `classes` elements; JS passes the chunk's length as `classes` when
// no operand varies by row or column: one segment); along a segment an operand steps by
// colStride + elemStride, 1 (its pairs) or 0 (its value, splat into a pair of SPLATS first). A
// segment of odd length computes one more lane, from what follows in memory (the loader leaves a
// pair of slack after each array), which the next segment overwrites or nobody reads.

/** A splat pair per operand slot: a value that is the same along a segment. */
const SPLATS: usize = memory.data(4 * 16, 16);

/** The address a segment reads operand `slot` from: its pairs, or its one value splat into the slot's pair. */
// @ts-ignore: decorator
@inline function operandAt(slot: i32, ptr: usize, rowStride: i32, colStride: i32, elemStride: i32, row: i32, col: i32, i: i32): usize {
  const at = ptr + (<usize>(row * rowStride + col * colStride + i * elemStride) << 3);
  if (colStride | elemStride) return at;
  const pair = SPLATS + (<usize>slot << 4);
  v128.store(pair, v128.load64_splat(at));
  return pair;
}

// @ts-ignore: decorator
@inline function maskOf(colStride: i32, elemStride: i32): usize {
  return colStride | elemStride ? <usize>-1 : 0;
}

/**
 * Kernel `op` on a chunk of `count` elements from the call's element `start` (of rows of `classes`):
 * x and out contiguous float64, the operands laid out as above, flags KERNEL_FLAGS' bits, s the
 * kernel's scalar (../kernel-ops.ts says what it is).
 */
export function elementwise(
  op: i32, x: usize, out: usize, start: i32, count: i32, classes: i32,
  y: usize, yRow: i32, yCol: i32, yElem: i32, a: usize, aRow: i32, aCol: i32, aElem: i32,
  b: usize, bRow: i32, bCol: i32, bElem: i32, c: usize, cRow: i32, cCol: i32, cElem: i32, flags: i32, s: f64,
): void {
  let row = start / classes;
  let col = start % classes;
  const yMask = maskOf(yCol, yElem), aMask = maskOf(aCol, aElem), bMask = maskOf(bCol, bElem), cMask = maskOf(cCol, cElem);
  for (let i = 0; i < count; row++, col = 0) {
    const len = min(classes - col, count - i);
    const at = <usize>i << 3;
    segment(
      op, x + at, out + at, len,
      operandAt(0, y, yRow, yCol, yElem, row, col, i), yMask, operandAt(1, a, aRow, aCol, aElem, row, col, i), aMask,
      operandAt(2, b, bRow, bCol, bElem, row, col, i), bMask, operandAt(3, c, cRow, cCol, cElem, row, col, i), cMask, flags, s,
    );
    i += len;
  }
}

/** Whether forward kernel `op` has a sum fused into its loop (addRowsFor): it reads x, y (per element) and s only. */
// @ts-ignore: decorator
@inline function fusedSum(op: i32): bool {
  return op == MSE || op == L1 || op == SMOOTH_L1 || op == HUBER || op == POISSON_NLL || op == POISSON_NLL_EPS || op == POISSON_NLL_FULL ||
    op == POISSON_NLL_EPS_FULL;
}

/**
 * elementwise on a chunk (a multiple of SUM_CHUNK_ALIGN elements but for the call's last), its
 * results summed into the stream sumBegin started; returns sumChunk's result (the sum after the
 * call's last chunk, else 0). The fused forwards (fusedSum, a target per element) sum multi_row_sum's
 * rows of 16 straight into the accumulators as they are computed (the call's last few elements,
 * after its last whole row, through out); the others are computed into out, then summed.
 */
export function elementwiseSum(
  op: i32, x: usize, out: usize, start: i32, count: i32, classes: i32,
  y: usize, yRow: i32, yCol: i32, yElem: i32, a: usize, aRow: i32, aCol: i32, aElem: i32,
  b: usize, bRow: i32, bCol: i32, bElem: i32, c: usize, cRow: i32, cCol: i32, cElem: i32, flags: i32, s: f64,
): f64 {
  const chunkStart = sumSeen;
  if (!(fusedSum(op) && yElem == 1 && yRow == 0 && yCol == 0)) {
    elementwise(op, x, out, start, count, classes, y, yRow, yCol, yElem, a, aRow, aCol, aElem, b, bRow, bCol, bElem, c, cRow, cCol, cElem, flags, s);
    return sumChunk(out, count);
  }
  sumRowsOf(op, x, y, flags, s, count);
  if (sumSeen < sumLength) return 0;
  const tail = max(0, sumRows * WIDTH - chunkStart);
  const at = <usize>tail << 3;
  elementwise(op, x + at, out + at, 0, count - tail, max(1, count - tail), y + at, 0, 0, 1, a, aRow, aCol, aElem, b, bRow, bCol, bElem, c, cRow, cCol, cElem, flags, s);
  return sumFinish(out, chunkStart);
}

/** A forward kernel's pair for addRowsOf: the cheap ones given their hoisted pairs (sv, hs = 0.5 * sv). */
// @ts-ignore: decorator
@inline function rowLanes(op: i32, x: v128, y: v128, none: v128, sv: v128, hs: v128, flags: i32): v128 {
  return cheap(op) ? cheapLanes64(op, x, y, none, none, none, sv, hs, flags) : lanes(op, x, y, none, none, none, sv, flags);
}

/** Adds `block` rows of 16 results of forward kernel `op` (a constant where inlined) into acc[0]. */
// @ts-ignore: decorator
@inline function addRowsOf(op: i32, x: usize, y: usize, flags: i32, s: f64, block: i32): void {
  const sv = f64x2.splat(s);
  const hs = f64x2.mul(k64(HALF), sv);
  const none = f64x2.splat(0);
  let a0 = v128.load(ACC, 0), a1 = v128.load(ACC, 16), a2 = v128.load(ACC, 32), a3 = v128.load(ACC, 48);
  let a4 = v128.load(ACC, 64), a5 = v128.load(ACC, 80), a6 = v128.load(ACC, 96), a7 = v128.load(ACC, 112);
  for (let j = 0; j < block; j++, x += 128, y += 128) {
    a0 = f64x2.add(a0, rowLanes(op, v128.load(x, 0), v128.load(y, 0), none, sv, hs, flags));
    a1 = f64x2.add(a1, rowLanes(op, v128.load(x, 16), v128.load(y, 16), none, sv, hs, flags));
    a2 = f64x2.add(a2, rowLanes(op, v128.load(x, 32), v128.load(y, 32), none, sv, hs, flags));
    a3 = f64x2.add(a3, rowLanes(op, v128.load(x, 48), v128.load(y, 48), none, sv, hs, flags));
    a4 = f64x2.add(a4, rowLanes(op, v128.load(x, 64), v128.load(y, 64), none, sv, hs, flags));
    a5 = f64x2.add(a5, rowLanes(op, v128.load(x, 80), v128.load(y, 80), none, sv, hs, flags));
    a6 = f64x2.add(a6, rowLanes(op, v128.load(x, 96), v128.load(y, 96), none, sv, hs, flags));
    a7 = f64x2.add(a7, rowLanes(op, v128.load(x, 112), v128.load(y, 112), none, sv, hs, flags));
  }
  v128.store(ACC, a0, 0); v128.store(ACC, a1, 16); v128.store(ACC, a2, 32); v128.store(ACC, a3, 48);
  v128.store(ACC, a4, 64); v128.store(ACC, a5, 80); v128.store(ACC, a6, 96); v128.store(ACC, a7, 112);
}

function addRowsMse(x: usize, y: usize, flags: i32, s: f64, block: i32): void {
  addRowsOf(MSE, x, y, flags, s, block);
}
function addRowsL1(x: usize, y: usize, flags: i32, s: f64, block: i32): void {
  addRowsOf(L1, x, y, flags, s, block);
}
function addRowsSmoothL1(x: usize, y: usize, flags: i32, s: f64, block: i32): void {
  // BETA_ONE (its only flag) a constant in each loop: no branch on it per pair
  if (flags & BETA_ONE) addRowsOf(SMOOTH_L1, x, y, BETA_ONE, s, block);
  else addRowsOf(SMOOTH_L1, x, y, 0, s, block);
}
function addRowsHuber(x: usize, y: usize, flags: i32, s: f64, block: i32): void {
  addRowsOf(HUBER, x, y, flags, s, block);
}
function addRowsPoissonNll(x: usize, y: usize, flags: i32, s: f64, block: i32): void {
  addRowsOf(POISSON_NLL, x, y, flags, s, block);
}
function addRowsPoissonNllEps(x: usize, y: usize, flags: i32, s: f64, block: i32): void {
  addRowsOf(POISSON_NLL_EPS, x, y, flags, s, block);
}
function addRowsPoissonNllFull(x: usize, y: usize, flags: i32, s: f64, block: i32): void {
  addRowsOf(POISSON_NLL_FULL, x, y, flags, s, block);
}
function addRowsPoissonNllEpsFull(x: usize, y: usize, flags: i32, s: f64, block: i32): void {
  addRowsOf(POISSON_NLL_EPS_FULL, x, y, flags, s, block);
}

/** op's results over whole rows at x, y (op < 0: the values at x themselves) into acc[0]. */
function addRowsFor(op: i32, x: usize, y: usize, flags: i32, s: f64, block: i32): void {
  switch (op) {
    case MSE: addRowsMse(x, y, flags, s, block); break;
    case L1: addRowsL1(x, y, flags, s, block); break;
    case SMOOTH_L1: addRowsSmoothL1(x, y, flags, s, block); break;
    case HUBER: addRowsHuber(x, y, flags, s, block); break;
    case POISSON_NLL: addRowsPoissonNll(x, y, flags, s, block); break;
    case POISSON_NLL_EPS: addRowsPoissonNllEps(x, y, flags, s, block); break;
    case POISSON_NLL_FULL: addRowsPoissonNllFull(x, y, flags, s, block); break;
    case POISSON_NLL_EPS_FULL: addRowsPoissonNllEpsFull(x, y, flags, s, block); break;
    default: addRows(x, block);
  }
}

// ---- Tensor.sum() of float64: ATen's cascade_sum with 4 lanes (../../numerics.ts atenRowSum) ----
// multi_row_sum's rows are ILP (4) vectors of 4 lanes: 16 values, 8 f64x2 columns, each column
// one chain of adds in row order, so two columns go at once.

const LEVELS = 4;
const WIDTH = 16;
/** acc[level][16]: the cascade's partial sums. */
const ACC: usize = memory.data(LEVELS * WIDTH * 8, 16);

/** Every chunk given to sumChunk but the last holds a multiple of this many values (whole rows). */
export const SUM_CHUNK_ALIGN = WIDTH;

let sumLength = 0;
let sumSeen = 0;
let sumVectors = 0;
let sumRows = 0;
let sumLevelPower = 4;
let sumRowsDone = 0;

/** c10 CeilLog2. */
function ceilLog2(x: i32): i32 {
  return x <= 1 ? 0 : 32 - clz(x - 1);
}

/** Starts Tensor.sum() of `length` float64 values, in ATen's order (cascade_sum, 4 lanes). */
export function sumBegin(length: i32): void {
  sumLength = length;
  sumSeen = 0;
  sumVectors = length >> 2;
  sumRows = sumVectors >> 2;
  sumLevelPower = max(4, ceilLog2(sumRows) / LEVELS);
  sumRowsDone = 0;
  memory.fill(ACC, 0, LEVELS * WIDTH * 8);
}

/** acc[0] += each of `count` rows of 16 values at ptr. */
function addRows(ptr: usize, count: i32): void {
  let a0 = v128.load(ACC, 0), a1 = v128.load(ACC, 16), a2 = v128.load(ACC, 32), a3 = v128.load(ACC, 48);
  let a4 = v128.load(ACC, 64), a5 = v128.load(ACC, 80), a6 = v128.load(ACC, 96), a7 = v128.load(ACC, 112);
  for (let j = 0; j < count; j++, ptr += 128) {
    a0 = f64x2.add(a0, v128.load(ptr, 0));
    a1 = f64x2.add(a1, v128.load(ptr, 16));
    a2 = f64x2.add(a2, v128.load(ptr, 32));
    a3 = f64x2.add(a3, v128.load(ptr, 48));
    a4 = f64x2.add(a4, v128.load(ptr, 64));
    a5 = f64x2.add(a5, v128.load(ptr, 80));
    a6 = f64x2.add(a6, v128.load(ptr, 96));
    a7 = f64x2.add(a7, v128.load(ptr, 112));
  }
  v128.store(ACC, a0, 0); v128.store(ACC, a1, 16); v128.store(ACC, a2, 32); v128.store(ACC, a3, 48);
  v128.store(ACC, a4, 64); v128.store(ACC, a5, 80); v128.store(ACC, a6, 96); v128.store(ACC, a7, 112);
}

/** acc[to] += acc[from]; then acc[from] = 0 when `clear`. */
function addLevel(to: i32, from: i32, clear: bool): void {
  const t = ACC + (<usize>(to * WIDTH) << 3);
  const f = ACC + (<usize>(from * WIDTH) << 3);
  for (let at: usize = 0; at < <usize>(WIDTH * 8); at += 16) {
    v128.store(t + at, f64x2.add(v128.load(t + at), v128.load(f + at)));
    if (clear) v128.store(f + at, f64x2.splat(0));
  }
}

/**
 * multi_row_sum over the chunk's whole rows (the next `count` values; op's results over x and y,
 * or for op < 0 the values at x): level steps of rows into acc[0], carried up a level at each
 * step's end.
 */
function sumRowsOf(op: i32, x: usize, y: usize, flags: i32, s: f64, count: i32): void {
  const levelStep = 1 << sumLevelPower;
  const levelMask = levelStep - 1;
  const chunkStart = sumSeen;
  sumSeen += count;
  const rowsEnd = min(sumRows, sumSeen / WIDTH);
  let row = sumRowsDone;
  while (row < rowsEnd) {
    const block = min(rowsEnd - row, levelStep - (row & levelMask));
    const at = <usize>(row * WIDTH - chunkStart) << 3;
    addRowsFor(op, x + at, y + at, flags, s, block);
    row += block;
    if ((row & levelMask) == 0) {
      for (let level = 1; level < LEVELS; level++) {
        addLevel(level, level - 1, true);
        if ((row & (levelMask << (level * sumLevelPower))) != 0) break;
      }
    }
  }
  sumRowsDone = row;
}

/** The sum, once every row is in: ptr holds the last chunk (from the call's element chunkStart), whose values after the last whole row it reads. */
function sumFinish(ptr: usize, chunkStart: i32): f64 {
  if (sumLength < 4) {
    // a row shorter than one vector: the scalar row_sum (one lane: its tail into the first of the ILP accumulators)
    let t: f64 = 0;
    for (let i = 0; i < sumLength; i++) t += load<f64>(ptr + (<usize>(i - chunkStart) << 3));
    t += 0;
    t += 0;
    t += 0;
    return <f64>0 + t;
  }
  // The levels folded into acc[0], row_sum's vectors after the last whole row into the first ILP
  // accumulator, the ILP accumulators added together ...
  for (let level = 1; level < LEVELS; level++) addLevel(0, level, false);
  let l0 = v128.load(ACC, 0), l1 = v128.load(ACC, 16);
  for (let vi = sumRows * 4; vi < sumVectors; vi++) {
    const at = ptr + (<usize>(vi * 4 - chunkStart) << 3);
    l0 = f64x2.add(l0, v128.load(at, 0));
    l1 = f64x2.add(l1, v128.load(at, 16));
  }
  for (let i = 1; i < 4; i++) {
    l0 = f64x2.add(l0, v128.load(ACC + (<usize>i << 5), 0));
    l1 = f64x2.add(l1, v128.load(ACC + (<usize>i << 5), 16));
  }
  // ... the scalar tail, then the lanes. The output was zero-filled and accumulated into (so -0 becomes +0).
  let total: f64 = 0;
  for (let i = sumVectors * 4; i < sumLength; i++) total += load<f64>(ptr + (<usize>(i - chunkStart) << 3));
  total += f64x2.extract_lane(l0, 0);
  total += f64x2.extract_lane(l0, 1);
  total += f64x2.extract_lane(l1, 0);
  total += f64x2.extract_lane(l1, 1);
  return <f64>0 + total;
}

/** Adds the next `count` values, at ptr; after the last chunk, returns the sum (else 0). */
export function sumChunk(ptr: usize, count: i32): f64 {
  const chunkStart = sumSeen;
  sumRowsOf(-1, ptr, ptr, 0, 0, count);
  return sumSeen < sumLength ? 0 : sumFinish(ptr, chunkStart);
}

/** Tensor.sum() of `length` contiguous float64 values at ptr, in one chunk. */
export function sumFloat64(ptr: usize, length: i32): f64 {
  sumBegin(length);
  return sumChunk(ptr, length);
}

/**
 * out[r] = Tensor.sum() of row r / classes for `rows` contiguous rows of `classes` (>= 1) float64
 * values at ptr (../../numerics.ts atenRowSum with 4 lanes, as sumFloat64; rows under 16 values,
 * which leave the cascade's accumulators at zero, without clearing them). multilabel_soft_margin's
 * per-sample losses.
 */
export function rowMeans64(ptr: usize, out: usize, rows: i32, classes: i32): void {
  const c = <f64>classes;
  const bytes = <usize>classes << 3;
  for (let r = 0; r < rows; r++, ptr += bytes) {
    let total: f64;
    if (classes >= WIDTH) total = sumFloat64(ptr, classes);
    else if (classes < 4) {
      // sumFinish's row shorter than one vector
      let t: f64 = 0;
      for (let i = 0; i < classes; i++) t += load<f64>(ptr + (<usize>i << 3));
      t += 0;
      t += 0;
      t += 0;
      total = <f64>0 + t;
    } else {
      // sumFinish with no whole row of 16: the vectors into the first ILP accumulator (from +0), the three others' zeros, the tail, the lanes
      let l0 = f64x2.splat(0), l1 = f64x2.splat(0);
      const vectors = classes >> 2;
      for (let vi = 0; vi < vectors; vi++) {
        const at = ptr + (<usize>vi << 5);
        l0 = f64x2.add(l0, v128.load(at, 0));
        l1 = f64x2.add(l1, v128.load(at, 16));
      }
      for (let i = 1; i < 4; i++) {
        l0 = f64x2.add(l0, f64x2.splat(0));
        l1 = f64x2.add(l1, f64x2.splat(0));
      }
      let t: f64 = 0;
      for (let i = vectors * 4; i < classes; i++) t += load<f64>(ptr + (<usize>i << 3));
      t += f64x2.extract_lane(l0, 0);
      t += f64x2.extract_lane(l0, 1);
      t += f64x2.extract_lane(l1, 0);
      t += f64x2.extract_lane(l1, 1);
      total = <f64>0 + t;
    }
    store<f64>(out + (<usize>r << 3), total / c);
  }
}

/** out[i] = f(input[i]) for `count` float64 values (count even, or the pair after read and written): f 0 exp (Math.exp's bits), 1 exp by expNonPositive64 (the same bits), 2 log (Math.log's), 3 log1p (Math.log1p's), 4 SLEEF's exp (sleefExp64), 5 / 6 SLEEF's log / log1p in the relaxed-SIMD build (fdlibm's in the plain one); for checks. */
/** The index of the first of `count` float64 values at ptr outside [0, 1] (NaN included), or -1: BCELoss' argument check. */
export function firstOutsideUnit64(ptr: usize, count: i32): i32 {
  let i = 0;
  for (const pairEnd = count & ~3; i < pairEnd; i += 4) {
    const v = v128.load(ptr + (<usize>i << 3));
    const w = v128.load(ptr + (<usize>i << 3), 16);
    const inside = v128.and(v128.and(f64x2.ge(v, k64(ZERO)), f64x2.le(v, k64(ONE))), v128.and(f64x2.ge(w, k64(ZERO)), f64x2.le(w, k64(ONE))));
    if (!i64x2.all_true(inside)) break;
  }
  for (; i < count; i++) {
    const v = load<f64>(ptr + (<usize>i << 3));
    if (!(v >= 0 && v <= 1)) return i;
  }
  return -1;
}

export function elementary(fn: i32, input: usize, out: usize, count: i32): void {
  const end = <usize>((count + 1) >> 1) << 4;
  if (fn == 0) for (let at: usize = 0; at < end; at += 16) v128.store(out + at, exp64(v128.load(input + at)));
  else if (fn == 1) for (let at: usize = 0; at < end; at += 16) v128.store(out + at, expNonPositive64(v128.load(input + at)));
  else if (fn == 2) for (let at: usize = 0; at < end; at += 16) v128.store(out + at, log64(v128.load(input + at)));
  else if (fn == 3) for (let at: usize = 0; at < end; at += 16) v128.store(out + at, log1p64(v128.load(input + at)));
  else if (fn == 4) for (let at: usize = 0; at < end; at += 16) v128.store(out + at, sleefExp64(v128.load(input + at)));
  else if (fn == 5) for (let at: usize = 0; at < end; at += 16) v128.store(out + at, logOf64(v128.load(input + at), 0));
  else if (fn == 6) for (let at: usize = 0; at < end; at += 16) v128.store(out + at, log1pOf64(v128.load(input + at), 0));
}

// ---- log_softmax over the last dim, float64 (../../softmax.ts logSoftmax, logSoftmaxBackward) ----
// _vec_log_softmax_lastdim with Vectorized<double> of 4 lanes (avx2, 'default') or 8 (avx512), lanes
// folded in order: max = reduce_all(maximum), sum = map_reduce_all(exp(x - max), +),
// out = (x - max) - log(sum); the backward grad - exp(output) * reduce_all(+, grad). The lanes are
// two or four f64x2. exp and log are exp64 / log64 (Math.exp / Math.log): the JS float64 loops'
// values bit for bit. reduceRow64 / rowMax64 are called with literal flags (lanes8 ? f(true) :
// f(false)) so that each inlined copy is compiled for its lane count.

/** vec::maximum of f64 lanes: NaN if either is NaN, else a > b ? a : b. */
// @ts-ignore: decorator
@inline function vmax64(a: v128, b: v128): v128 {
  return v128.bitselect(k64(NAN), v128.bitselect(a, b, f64x2.gt(a, b)), v128.or(f64x2.ne(a, a), f64x2.ne(b, b)));
}

// @ts-ignore: decorator
@inline function combine64(a: v128, b: v128, add: bool): v128 {
  return add ? f64x2.add(a, b) : vmax64(a, b);
}

const EXP_NP_LOW: usize = memory.data<f64>([-707]); // exp64's ordinary range, negative side
const EXP_NP_TINY: usize = memory.data<i64>([0xbe30000000000000]); // -2^-28
const NEG_HALF_LN2_BITS: usize = memory.data<i64>([0xbfd62e42ffffffff]); // x < this: |x|'s high word > 0x3FD62E42

/**
 * exp64 for log_softmax's arguments, x - max and (x - max) - lse, which are <= 0: a pair in
 * [-707, -2^-28] or +-0 takes exp64's ordinary path with the sign known (k = trunc(invln2 x - 0.5),
 * which is -1 throughout fdlibm's |x| < 1.5 ln2 case, so its select is not needed; +-0 gives 1 there
 * as fdlibm's 1 + x); any other pair is exp64's.
 */
// @ts-ignore: decorator
@inline function expNonPositive64(x: v128): v128 {
  const ordinary = v128.and(f64x2.ge(x, k64(EXP_NP_LOW)), v128.or(f64x2.le(x, k64(EXP_NP_TINY)), f64x2.eq(x, k64(F_0))));
  if (!i64x2.all_true(ordinary)) return exp64(x);
  const beyondHalf = f64x2.lt(x, k64(NEG_HALF_LN2_BITS));
  const kf = v128.and(f64x2.trunc(f64x2.add(f64x2.mul(k64(EXP_INV_LN2), x), k64(F_MINUS_HALF))), beyondHalf);
  const hi = f64x2.sub(x, f64x2.mul(kf, k64(EXP_LN2_HI)));
  const lo = f64x2.mul(kf, k64(EXP_LN2_LO));
  const r = f64x2.sub(hi, lo);
  const t = f64x2.mul(r, r);
  const p = f64x2.add(k64(EXP_P1), f64x2.mul(t, f64x2.add(k64(EXP_P2), f64x2.mul(t, f64x2.add(k64(EXP_P3),
    f64x2.mul(t, f64x2.add(k64(EXP_P4), f64x2.mul(t, k64(EXP_P5)))))))));
  const c = f64x2.sub(r, f64x2.mul(t, p));
  const y = f64x2.sub(k64(ONE), f64x2.sub(f64x2.sub(lo, f64x2.div(f64x2.mul(r, c), f64x2.sub(k64(TWO), c))), hi));
  // 2^k: (k + 1023) << 52, from kf + 1.5 * 2^52 (whose bits are k more than its own, which end in 12 zero bits: the shift drops them)
  return f64x2.mul(y, i64x2.shl(i64x2.add(f64x2.add(kf, k64(MAGIC)), k64(I_1023)), 52));
}

/** The exp of the log_softmax call running: fdlibm's (mode USES_GLIBC, 'default') or SLEEF's; set by each export from its mode. */
let SOFTMAX_GLIBC: bool = true;

/** exp of log_softmax's arguments (<= 0): expNonPositive64 (Math.exp's bits) with SOFTMAX_GLIBC, else sleefExp64. */
// @ts-ignore: decorator
@inline function softmaxExp64(x: v128): v128 {
  return SOFTMAX_GLIBC ? expNonPositive64(x) : sleefExp64(x);
}

/** A scalar through softmaxExp64's exp (exp64 or sleefExp64), as lane 0. */
// @ts-ignore: decorator
@inline function softmaxExpScalar64(x: f64): f64 {
  const v = f64x2.splat(x);
  return f64x2.extract_lane(SOFTMAX_GLIBC ? exp64(v) : sleefExp64(v), 0);
}

// @ts-ignore: decorator
@inline function mapped64(v: v128, expShifted: bool, shift: v128): v128 {
  return expShifted ? softmaxExp64(f64x2.sub(v, shift)) : v;
}

/** The lanes of reduceRow64, stored for its tail and its fold. */
const ROW_LANES: usize = memory.data(8 * 8, 16);

/** f(a) combined into lane `lane` of ROW_LANES (scalar, as an f64x2's lane 0). */
// @ts-ignore: decorator
@inline function intoLane(lane: i32, v: f64, add: bool, expShifted: bool, shift: v128): void {
  const at = ROW_LANES + (<usize>lane << 3);
  store<f64>(at, f64x2.extract_lane(combine64(f64x2.splat(load<f64>(at)), mapped64(f64x2.splat(v), expShifted, shift), add), 0));
}

/**
 * A row's L (4 or 8: lanes8) lanes of f(v) (v, or exp(v - shift)) reduced by + or vec::maximum,
 * then folded in order: the first L values as the lanes, each next L into them, the tail (n % L)
 * into the first lanes; a row under L values folds in order from its first.
 */
// @ts-ignore: decorator
@inline function reduceRow64(p: usize, n: i32, lanes8: bool, add: bool, expShifted: bool, shift: v128): f64 {
  const L = lanes8 ? 8 : 4;
  if (n < L) {
    let acc = mapped64(f64x2.splat(load<f64>(p)), expShifted, shift);
    for (let i = 1; i < n; i++) acc = combine64(acc, mapped64(f64x2.splat(load<f64>(p + (<usize>i << 3))), expShifted, shift), add);
    return f64x2.extract_lane(acc, 0);
  }
  const none = f64x2.splat(0);
  let a01 = mapped64(v128.load(p), expShifted, shift);
  let a23 = mapped64(v128.load(p, 16), expShifted, shift);
  let a45 = lanes8 ? mapped64(v128.load(p, 32), expShifted, shift) : none;
  let a67 = lanes8 ? mapped64(v128.load(p, 48), expShifted, shift) : none;
  const full = n - n % L;
  let d = L;
  for (; d < full; d += L) {
    const q = p + (<usize>d << 3);
    a01 = combine64(a01, mapped64(v128.load(q), expShifted, shift), add);
    a23 = combine64(a23, mapped64(v128.load(q, 16), expShifted, shift), add);
    if (lanes8) {
      a45 = combine64(a45, mapped64(v128.load(q, 32), expShifted, shift), add);
      a67 = combine64(a67, mapped64(v128.load(q, 48), expShifted, shift), add);
    }
  }
  v128.store(ROW_LANES, a01);
  v128.store(ROW_LANES, a23, 16);
  v128.store(ROW_LANES, a45, 32);
  v128.store(ROW_LANES, a67, 48);
  for (let l = 0; d + l < n; l++) intoLane(l, load<f64>(p + (<usize>(d + l) << 3)), add, expShifted, shift);
  let acc = f64x2.splat(load<f64>(ROW_LANES));
  for (let l = 1; l < L; l++) acc = combine64(acc, f64x2.splat(load<f64>(ROW_LANES + (<usize>l << 3))), add);
  return f64x2.extract_lane(acc, 0);
}

// A row's fingerprint (./lib/fingerprint.ts): a last odd double zero-padded.

/** The fingerprint of the row of n (>= 1) doubles at p: into rowFpA, rowFpB. */
function rowFingerprint64(p: usize, n: i32): void {
  let h0 = v128.load(FP_SEEDS), h1 = v128.load(FP_SEEDS, 16), h2 = v128.load(FP_SEEDS, 32), h3 = v128.load(FP_SEEDS, 48);
  const full = n & ~7;
  let i = 0;
  for (; i < full; i += 8) {
    const q = p + (<usize>i << 3);
    h0 = fpStep(h0, v128.load(q));
    h1 = fpStep(h1, v128.load(q, 16));
    h2 = fpStep(h2, v128.load(q, 32));
    h3 = fpStep(h3, v128.load(q, 48));
  }
  const rest = n - i;
  const q = p + (<usize>i << 3);
  if (rest > 0) h0 = fpStep(h0, rest >= 2 ? v128.load(q) : v128.load64_zero(q));
  if (rest > 2) h1 = fpStep(h1, rest >= 4 ? v128.load(q, 16) : v128.load64_zero(q, 16));
  if (rest > 4) h2 = fpStep(h2, rest >= 6 ? v128.load(q, 32) : v128.load64_zero(q, 32));
  if (rest > 6) h3 = fpStep(h3, v128.load64_zero(q, 48));
  fingerprintFold(h0, h1, h2, h3);
}

/**
 * reduceRow64's vec::maximum of a row, the lanes kept by pmax (v < acc ? acc : v: vmax(acc, v) of
 * values without NaN) and the row's NaNs tracked apart: vmax makes every later maximum NaN, so the
 * row's is NaN exactly where it holds one. The same structure, so the same zero where +0 and -0 tie.
 */
// @ts-ignore: decorator
@inline function rowMax64(p: usize, n: i32, lanes8: bool): f64 {
  const L = lanes8 ? 8 : 4;
  if (n < L) {
    let acc = load<f64>(p);
    let nan = acc != acc;
    for (let i = 1; i < n; i++) {
      const v = load<f64>(p + (<usize>i << 3));
      nan = nan || v != v;
      acc = v < acc ? acc : v;
    }
    return nan ? NaN : acc;
  }
  let a01 = v128.load(p);
  let a23 = v128.load(p, 16);
  let a45 = lanes8 ? v128.load(p, 32) : a01;
  let a67 = lanes8 ? v128.load(p, 48) : a23;
  let nan = v128.or(v128.or(f64x2.ne(a01, a01), f64x2.ne(a23, a23)), v128.or(f64x2.ne(a45, a45), f64x2.ne(a67, a67)));
  const full = n - n % L;
  let d = L;
  for (; d < full; d += L) {
    const q = p + (<usize>d << 3);
    const v01 = v128.load(q);
    const v23 = v128.load(q, 16);
    a01 = f64x2.pmax(v01, a01);
    a23 = f64x2.pmax(v23, a23);
    nan = v128.or(nan, v128.or(f64x2.ne(v01, v01), f64x2.ne(v23, v23)));
    if (lanes8) {
      const v45 = v128.load(q, 32);
      const v67 = v128.load(q, 48);
      a45 = f64x2.pmax(v45, a45);
      a67 = f64x2.pmax(v67, a67);
      nan = v128.or(nan, v128.or(f64x2.ne(v45, v45), f64x2.ne(v67, v67)));
    }
  }
  let rest = false;
  for (let l = 0; d + l < n; l++) {
    const v = load<f64>(p + (<usize>(d + l) << 3));
    rest = rest || v != v;
  }
  if (rest || v128.any_true(nan)) return NaN;
  v128.store(ROW_LANES, a01);
  v128.store(ROW_LANES, a23, 16);
  v128.store(ROW_LANES, a45, 32);
  v128.store(ROW_LANES, a67, 48);
  for (let l = 0; d + l < n; l++) {
    const at = ROW_LANES + (<usize>l << 3);
    const v = load<f64>(p + (<usize>(d + l) << 3));
    const lane = load<f64>(at);
    store<f64>(at, v < lane ? lane : v);
  }
  let acc = load<f64>(ROW_LANES);
  for (let l = 1; l < L; l++) {
    const v = load<f64>(ROW_LANES + (<usize>l << 3));
    acc = v < acc ? acc : v;
  }
  return acc;
}

/** A row's max and log(sum(exp(x - max))), as logSoftmaxRows64 computes them: into ROW_MAX and ROW_LSE. */
// @ts-ignore: decorator
@inline function rowStats64(p: usize, dim: i32, lanes8: bool): void {
  const top = lanes8 ? rowMax64(p, dim, true) : rowMax64(p, dim, false);
  const max = f64x2.splat(top);
  const sum = lanes8 ? reduceRow64(p, dim, true, true, true, max) : reduceRow64(p, dim, false, true, true, max);
  ROW_MAX = top;
  ROW_LSE = f64x2.extract_lane(log64(f64x2.splat(sum)), 0);
}

let ROW_MAX: f64 = 0;
/** The exports' mode bits: LANES8 (8 lanes, avx512; else 4) and USES_GLIBC (fdlibm's exp: 'default'; else SLEEF's). */
export const LANES8 = 1;
let ROW_LSE: f64 = 0;

/** log_softmax of `rows` contiguous rows of `dim` (>= 1) float64 values at x, into out; lanes8: 8 lanes (avx512), else 4. */
export function logSoftmaxRows64(x: usize, out: usize, rows: i32, dim: i32, mode: i32): void {
  const lanes8 = (mode & LANES8) != 0;
  SOFTMAX_GLIBC = (mode & USES_GLIBC) != 0;
  for (let r = 0; r < rows; r++) {
    const p = x + (<usize>(r * dim) << 3);
    const o = out + (<usize>(r * dim) << 3);
    rowStats64(p, dim, lanes8);
    const max = f64x2.splat(ROW_MAX);
    const lse = f64x2.splat(ROW_LSE);
    let i = 0;
    for (; i + 2 <= dim; i += 2) {
      const at = <usize>i << 3;
      v128.store(o + at, f64x2.sub(f64x2.sub(v128.load(p + at), max), lse));
    }
    if (i < dim) store<f64>(o + (<usize>i << 3), (load<f64>(p + (<usize>i << 3)) - ROW_MAX) - ROW_LSE);
  }
}

/**
 * logSoftmaxRows64's value of each row at its column cols[r] (i32; a row whose column is outside
 * [0, dim) is skipped, out[r] untouched), into out[r]: the same max, exp-sum and log, none of the
 * row's other outputs (cross_entropy's forward with class indices reads no other).
 */
export function logSoftmaxRowsPicked64(x: usize, cols: usize, out: usize, rows: i32, dim: i32, mode: i32): void {
  pickedRows64(x, cols, out, rows, dim, mode, 0);
}

// cross_entropy's backward with class indices is log_softmax's backward of nll_loss's gradient, and
// ATen's log_softmax_backward takes the forward's saved output (torch keeps log_softmax(x) for
// autograd): one exp pass. This port's backward takes the input and would recompute each row's max
// and log-sum (a max pass and an exp pass) first; the forward instead saves them per row with the
// row's fingerprint, and the backward takes them for each row whose fingerprint still matches
// (recomputing any other): the same values as recomputing every row.

/** Per row in a stats area (STATS_BYTES64 each): f64 max, lse, i32 fingerprint A, B, i32 saved (1, else 0: not computed), unused. */
const STATS_BYTES64: usize = 32;

/** logSoftmaxRowsPicked64, which also writes each row's max, lse and fingerprint to stats (row r at stats + r * STATS_BYTES64; a row whose column is outside [0, dim) is marked not saved). */
export function logSoftmaxRowsPickedSaving64(x: usize, cols: usize, out: usize, rows: i32, dim: i32, mode: i32, stats: usize): void {
  pickedRows64(x, cols, out, rows, dim, mode, stats);
}

/** logSoftmaxRowsPicked64 (stats 0) or logSoftmaxRowsPickedSaving64: one body, one copy of its inlined exps. */
function pickedRows64(x: usize, cols: usize, out: usize, rows: i32, dim: i32, mode: i32, stats: usize): void {
  const lanes8 = (mode & LANES8) != 0;
  SOFTMAX_GLIBC = (mode & USES_GLIBC) != 0;
  for (let r = 0; r < rows; r++) {
    const col = load<i32>(cols + (<usize>r << 2));
    const st = stats + <usize>r * STATS_BYTES64;
    if (col < 0 || col >= dim) {
      if (stats != 0) store<i32>(st, 0, 24);
      continue;
    }
    const p = x + (<usize>(r * dim) << 3);
    rowStats64(p, dim, lanes8);
    store<f64>(out + (<usize>r << 3), (load<f64>(p + (<usize>col << 3)) - ROW_MAX) - ROW_LSE);
    if (stats == 0) continue;
    rowFingerprint64(p, dim);
    store<f64>(st, ROW_MAX);
    store<f64>(st, ROW_LSE, 8);
    store<i32>(st, rowFpA, 16);
    store<i32>(st, rowFpB, 20);
    store<i32>(st, 1, 24);
  }
}

/** log_softmax's backward over `rows` rows of `dim` (>= 1) float64 values: grad - exp(output) * sum(grad row), into out. */
export function logSoftmaxBackwardRows64(grad: usize, output: usize, out: usize, rows: i32, dim: i32, mode: i32): void {
  const lanes8 = (mode & LANES8) != 0;
  SOFTMAX_GLIBC = (mode & USES_GLIBC) != 0;
  for (let r = 0; r < rows; r++) {
    const row = <usize>(r * dim) << 3;
    const g = grad + row;
    const y = output + row;
    const o = out + row;
    const s = f64x2.splat(lanes8 ? reduceRow64(g, dim, true, true, false, k64(ZERO)) : reduceRow64(g, dim, false, true, false, k64(ZERO)));
    let i = 0;
    for (; i + 2 <= dim; i += 2) {
      const at = <usize>i << 3;
      v128.store(o + at, f64x2.sub(v128.load(g + at), f64x2.mul(softmaxExp64(v128.load(y + at)), s)));
    }
    if (i < dim) {
      const at = <usize>i << 3;
      const e = softmaxExpScalar64(load<f64>(y + at));
      store<f64>(o + at, load<f64>(g + at) - e * f64x2.extract_lane(s, 0));
    }
  }
}

/**
 * logSoftmaxBackwardRows64(grad, logSoftmaxRows64(x)) for a grad that is +0 but at one column per
 * row: vals[r] at cols[r] (i32; outside [0, dim): none), nll_loss's gradient. The row's sum is then
 * vals[r] + 0 (+0 for none; vals[r] itself when dim is 1, the sum's one term), every output
 * 0 - exp(y) s with y = (x - max) - lse the forward's value (computed here, not stored), and the
 * target column's vals[r] - exp(y) s: the two kernels' values on the materialized gradient.
 */
export function logSoftmaxNllBackwardRows64(x: usize, cols: usize, vals: usize, out: usize, rows: i32, dim: i32, mode: i32): void {
  nllBackwardRows64(x, cols, vals, out, rows, dim, mode, 0);
}

/**
 * logSoftmaxNllBackwardRows64 with the forward's statistics (logSoftmaxRowsPickedSaving64's, same
 * mode, row r at stats + r * STATS_BYTES64): a row saved with the fingerprint it has now takes its
 * max and lse from there, any other is recomputed.
 */
export function logSoftmaxNllBackwardRowsSaved64(x: usize, cols: usize, vals: usize, out: usize, rows: i32, dim: i32, mode: i32, stats: usize): void {
  nllBackwardRows64(x, cols, vals, out, rows, dim, mode, stats);
}

/** logSoftmaxNllBackwardRows64 (stats 0) or logSoftmaxNllBackwardRowsSaved64: one body, so one copy of its inlined exps in the module. */
function nllBackwardRows64(x: usize, cols: usize, vals: usize, out: usize, rows: i32, dim: i32, mode: i32, stats: usize): void {
  const lanes8 = (mode & LANES8) != 0;
  SOFTMAX_GLIBC = (mode & USES_GLIBC) != 0;
  for (let r = 0; r < rows; r++) {
    const row = <usize>(r * dim) << 3;
    const p = x + row;
    const o = out + row;
    let reuse = false;
    if (stats != 0) {
      const st = stats + <usize>r * STATS_BYTES64;
      if (load<i32>(st, 24) == 1) {
        rowFingerprint64(p, dim);
        if (rowFpA == load<i32>(st, 16) && rowFpB == load<i32>(st, 20)) {
          ROW_MAX = load<f64>(st);
          ROW_LSE = load<f64>(st, 8);
          reuse = true;
        }
      }
    }
    if (!reuse) rowStats64(p, dim, lanes8);
    const top = ROW_MAX;
    const l = ROW_LSE;
    const max = f64x2.splat(top);
    const lse = f64x2.splat(l);
    const col = load<i32>(cols + (<usize>r << 2));
    const hit = col >= 0 && col < dim;
    const v = hit ? load<f64>(vals + (<usize>r << 3)) : 0;
    const sum: f64 = hit ? (dim == 1 ? v : v + 0) : 0;
    const s = f64x2.splat(sum);
    const zero = f64x2.splat(0);
    // the mode tested once a row, not at every vector (softmaxExp64 reads it from a global)
    let i = 0;
    if (SOFTMAX_GLIBC) {
      for (; i + 2 <= dim; i += 2) {
        const at = <usize>i << 3;
        v128.store(o + at, f64x2.sub(zero, f64x2.mul(expNonPositive64(f64x2.sub(f64x2.sub(v128.load(p + at), max), lse)), s)));
      }
    } else {
      for (; i + 2 <= dim; i += 2) {
        const at = <usize>i << 3;
        v128.store(o + at, f64x2.sub(zero, f64x2.mul(sleefExp64(f64x2.sub(f64x2.sub(v128.load(p + at), max), lse)), s)));
      }
    }
    if (i < dim) {
      const at = <usize>i << 3;
      const e = softmaxExpScalar64((load<f64>(p + at) - top) - l);
      store<f64>(o + at, 0 - e * sum);
    }
    if (hit) {
      const at = <usize>col << 3;
      const e = softmaxExpScalar64((load<f64>(p + at) - top) - l);
      store<f64>(o + at, v - e * sum);
    }
  }
}

/** The first byte JS may use for arrays: everything above the kernels' static data. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}
