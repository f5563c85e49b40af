// CTC loss (../../losses/ctc_loss.ts) in WebAssembly: the alpha recursion and nll (forward), the
// beta recursion, the log-additions into grad and the gradient's last pass (backward), per sample,
// the same operations in the same order as the JS loops, which stay the reference and fallback.
// What it saves over them: V8's typed-array bounds and map checks, a call per exp / log, the
// mispredicted branches of each state's maximum, and (SIMD) most of the exp / log work.
//
// float32: glibc's expf / logf (std::exp / std::log of a float, what torch's CPU loop calls), as
// ../../libm.ts glibcExpf / glibcLogf: scalar versions and four-lane ones (the latter copied from
// kernels.ts glibcExp32 / glibcLog32, not shared: to dedupe). float64: the JS loops call V8's
// Math.exp / Math.log, which on Node 20 (V8 11.3) are fdlibm's exp and log (v8/src/base/ieee754.cc):
// ported here, scalar and two-lane, so the module's float64 results are bit for bit the JS loops'
// (not glibc's exp / log, which torch's float64 loop calls).
//
// float32 runs four states of a row per f32x4 (a row's states depend on the row before only), the
// grad log-additions four rows at a time (a row's blanks share one grad entry, in descending s) and
// the last pass four classes at a time; float64 two states (and classes) per f64x2, the grad
// log-additions scalar.
//
// Memory: every array is placed by the caller (ts/wasm/ctc.ts) above heapBase(); nothing allocates.
// Layout as the JS: log_alpha (N, T, stride) with row t of sample b at (b T + t) stride, a -inf
// pad, then the states; log_beta one sample at a time (T, stride), the states then a -inf pad.
//
// The memory starts at 4 MiB (lazily backed by the OS): calls whose log-probabilities and states take up to ~4 MB
// never grow it. A grow detaches the old buffer, which slows every JS typed-array loop of the
// process from then on (V8's detach protector; ../../../scripts/build-wasm.ts).
// wasm-initial-pages: 64

// ---- glibc expf / logf (e_expf.c, e_logf.c; ../../libm.ts) ----

// e_exp2f_data.c's table: asuint64(2^(i/32)) - (i << 47).
const EXP2F_T: usize = memory.data<u64>([
  0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51, 0x3fef72b83c7d517b, 0x3fef54873168b9aa,
  0x3fef387a6e756238, 0x3fef1e9df51fdee1, 0x3fef06fe0a31b715, 0x3feef1a7373aa9cb, 0x3feedea64c123422, 0x3feece086061892d,
  0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429, 0x3feea47eb03a5585, 0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74,
  0x3feea11473eb0187, 0x3feea589994cce13, 0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d,
  0x3feee89f995ad3ad, 0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069, 0x3fef5818dcfba487, 0x3fef7c97337b9b5f,
  0x3fefa4afa2a490da, 0x3fefd0765b6e4540,
], 16);
const EXPF_INVLN2N: f64 = 46.16624130844683; // 32 / ln 2
const EXPF_SHIFT: f64 = 6755399441055744; // 1.5 * 2^52
const EXPF_C0: f64 = 0.0000016938359250920212;
const EXPF_C1: f64 = 0.00023459809789509004;
const EXPF_C2: f64 = 0.021660849396613134;
const EXPF_OVERFLOW: f32 = 88.72283172607422; // 0x1.62e42ep6
const EXPF_UNDERFLOW: f32 = -103.97207641601562; // -0x1.9fe368p6

/** glibc's expf (../../libm.ts glibcExpf): double arithmetic, rounded once; the FMA build's two other roundings. */
// @ts-ignore: decorator
@inline function expf(x: f32): f32 {
  if (!(x >= EXPF_UNDERFLOW && x <= EXPF_OVERFLOW)) return x != x ? x : x > 0 ? Infinity : 0;
  const bits = reinterpret<u32>(x);
  if (bits == 0x4202422f) return reinterpret<f32>(<u32>0x56fc9f1c);
  if (bits == 0xc27c65d9) return reinterpret<f32>(<u32>0x11fa2993);
  const z = EXPF_INVLN2N * <f64>x;
  let kd = z + EXPF_SHIFT;
  const ki = reinterpret<u64>(kd);
  kd -= EXPF_SHIFT;
  const r = z - kd;
  const s = reinterpret<f64>(load<u64>(EXP2F_T + (<usize>(ki & 31) << 3)) + (ki << 47));
  const zz = EXPF_C0 * r + EXPF_C1;
  const r2 = r * r;
  let y = EXPF_C2 * r + 1;
  y = zz * r2 + y;
  return <f32>(y * s);
}

// e_logf_data.c: {1/c, log(c)} for the 16 subintervals, ln 2 and the polynomial.
const LOGF_T: usize = memory.data<f64>([
  1.398907162146528, -0.33569133332882284, 1.3403141896637998, -0.2929040563774074, 1.286432210124115, -0.2518726580937369,
  1.2367150214269895, -0.21245868807117255, 1.1906977166711752, -0.17453945183745634, 1.1479821020556429, -0.1380057072319758,
  1.1082251448272158, -0.10275976698545139, 1.0711297413057381, -0.06871392447020525, 1.036437278977283, -0.0357891387398228,
  1, 0, 0.9492859795739057, 0.05204517742929496, 0.8951049428609004, 0.11081431298787942, 0.8476821620351103,
  0.1652495223695143, 0.8050314851692001, 0.21687389031699977, 0.7664671008843108, 0.2659635028121397, 0.731428603316328,
  0.3127556664073557,
], 16);
const LOGF_LN2: f64 = 0.6931471805599453;
const LOGF_A0: f64 = -0.25089342214237154;
const LOGF_A1: f64 = 0.333456765744066;
const LOGF_A2: f64 = -0.4999997485802103;

/** glibc's logf (../../libm.ts glibcLogf). */
// @ts-ignore: decorator
@inline function logf(x: f32): f32 {
  let ix = reinterpret<u32>(x);
  if (ix == 0x3f800000) return 0;
  if (ix - 0x00800000 >= 0x7f800000 - 0x00800000) {
    if (ix << 1 == 0) return -Infinity;
    if (ix == 0x7f800000) return x;
    if ((ix & 0x80000000) != 0 || ix << 1 >= 0xff000000) return NaN;
    ix = reinterpret<u32>(x * <f32>8388608) - (23 << 23); // subnormal: normalize
  }
  const tmp = ix - 0x3f330000;
  const at = LOGF_T + (<usize>((tmp >> 19) & 15) << 4);
  const k = <i32>tmp >> 23;
  const z = <f64>reinterpret<f32>(ix - (tmp & 0xff800000));
  const r = z * load<f64>(at) - 1;
  const y0 = load<f64>(at, 8) + <f64>k * LOGF_LN2;
  const r2 = r * r;
  let y = LOGF_A1 * r + LOGF_A2;
  y = LOGF_A0 * r2 + y;
  y = y * r2 + (y0 + r);
  return <f32>y;
}

// ---- fdlibm's exp / log as V8 11.3 has them (src/base/ieee754.cc): Math.exp / Math.log ----

const EXP_O_THRESHOLD: f64 = 7.09782712893383973096e2;
const EXP_U_THRESHOLD: f64 = -7.45133219101941108420e2;
const LN2_HI: f64 = 6.93147180369123816490e-1;
const LN2_LO: f64 = 1.90821492927058770002e-10;
const INVLN2: f64 = 1.44269504088896338700;
const P1: f64 = 1.66666666666666019037e-1;
const P2: f64 = -2.77777777770155933842e-3;
const P3: f64 = 6.61375632143793436117e-5;
const P4: f64 = -1.65339022054652515390e-6;
const P5: f64 = 4.13813679705723846039e-8;
const E: f64 = 2.718281828459045;
const TWOM1000: f64 = 9.33263618503218878990e-302;
const TWO1023: f64 = 8.988465674311579539e307;

/** V8's Math.exp (fdlibm's exp). */
function fdExp(x: f64): f64 {
  let hx = <u32>(reinterpret<u64>(x) >> 32);
  const xsb = <i32>(hx >> 31);
  hx &= 0x7fffffff;
  let hi: f64 = 0;
  let lo: f64 = 0;
  let k: i32 = 0;
  if (hx >= 0x40862e42) {
    if (hx >= 0x7ff00000) {
      const lx = <u32>reinterpret<u64>(x);
      if (((hx & 0xfffff) | lx) != 0) return x + x; // NaN
      return xsb == 0 ? x : 0;
    }
    if (x > EXP_O_THRESHOLD) return Infinity;
    if (x < EXP_U_THRESHOLD) return 0;
  }
  if (hx > 0x3fd62e42) {
    if (hx < 0x3ff0a2b2) {
      if (x == 1.0) return E;
      hi = x - (xsb != 0 ? -LN2_HI : LN2_HI);
      lo = xsb != 0 ? -LN2_LO : LN2_LO;
      k = 1 - xsb - xsb;
    } else {
      k = <i32>(INVLN2 * x + (xsb != 0 ? -0.5 : 0.5));
      const t = <f64>k;
      hi = x - t * LN2_HI;
      lo = t * LN2_LO;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {
    return 1.0 + x;
  }
  const t = x * x;
  const twopk = reinterpret<f64>(<u64>(<u32>(0x3ff00000 + ((k >= -1021 ? k : k + 1000) << 20))) << 32);
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k == 0) return 1.0 - ((x * c) / (c - 2.0) - x);
  const y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi);
  if (k >= -1021) {
    if (k == 1024) return y * 2.0 * TWO1023;
    return y * twopk;
  }
  return y * twopk * TWOM1000;
}

const TWO54: f64 = 1.80143985094819840000e16;
const LG1: f64 = 6.666666666666735130e-1;
const LG2: f64 = 3.999999999940941908e-1;
const LG3: f64 = 2.857142874366239149e-1;
const LG4: f64 = 2.222219843214978396e-1;
const LG5: f64 = 1.818357216161805012e-1;
const LG6: f64 = 1.531383769920937332e-1;
const LG7: f64 = 1.479819860511658591e-1;

/** V8's Math.log (fdlibm's log). */
function fdLog(x: f64): f64 {
  let bits = reinterpret<u64>(x);
  let hx = <i32>(bits >> 32);
  const lx = <u32>bits;
  let k: i32 = 0;
  if (hx < 0x00100000) {
    if (((hx & 0x7fffffff) | lx) == 0) return -Infinity;
    if (hx < 0) return NaN;
    k -= 54;
    x *= TWO54; // subnormal: scale up
    hx = <i32>(reinterpret<u64>(x) >> 32);
  }
  if (hx >= 0x7ff00000) return x + x;
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  let i = (hx + 0x95f64) & 0x100000;
  x = reinterpret<f64>((reinterpret<u64>(x) & 0xffffffff) | (<u64>(<u32>(hx | (i ^ 0x3ff00000))) << 32)); // normalize x or x/2
  k += i >> 20;
  const f = x - 1.0;
  if ((0x000fffff & (2 + hx)) < 3) {
    if (f == 0) {
      if (k == 0) return 0;
      const dk = <f64>k;
      return dk * LN2_HI + dk * LN2_LO;
    }
    const R = f * f * (0.5 - 0.33333333333333333 * f);
    if (k == 0) return f - R;
    const dk = <f64>k;
    return dk * LN2_HI - ((R - dk * LN2_LO) - f);
  }
  const s = f / (2.0 + f);
  const dk = <f64>k;
  const z = s * s;
  i = hx - 0x6147a;
  const w = z * z;
  const j = 0x6b851 - hx;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  i |= j;
  const R = t2 + t1;
  if (i > 0) {
    const hfsq = 0.5 * f * f;
    if (k == 0) return f - (hfsq - s * (hfsq + R));
    return dk * LN2_HI - ((hfsq - (s * (hfsq + R) + dk * LN2_LO)) - f);
  }
  if (k == 0) return f - s * (f - R);
  return dk * LN2_HI - ((s * (f - R) - dk * LN2_LO) - f);
}

// The same two on two float64 lanes, every branch computed and the lane's own chosen: exp's
// |x| <= 0.5 ln2 (k = 0) and 0.5 ln2 < |x| < 1.5 ln2 (k = +-1) cases are its general formula with
// that k (t ln2HI and t ln2LO exact; a / (c - 2) = -(a / (2 - c)); 0 - q = -q), and log's k = 0
// returns its general ones with dk = 0 (0 - (A - f) = f - A, A - 0 = A for the nonzero A there).

const FD_EXP_C: usize = memory.data<f64>([
  1.44269504088896338700, 0.5, 6.93147180369123816490e-1, 1.90821492927058770002e-10, 1.66666666666666019037e-1,
  -2.77777777770155933842e-3, 6.61375632143793436117e-5, -1.65339022054652515390e-6, 4.13813679705723846039e-8, 2.0, 1.0,
  6755399441055744, 8.988465674311579539e307, 9.33263618503218878990e-302, 7.09782712893383973096e2, -7.45133219101941108420e2,
  2.718281828459045, Infinity,
], 16);
const FD_I64: usize = memory.data<i64>([1023, 2023, 1024, -1021, 0x7fffffffffffffff, 0x3e30000000000000, 0x8000000000000000], 16);

// @ts-ignore: decorator
@inline function c64(i: i32): v128 {
  return v128.load64_splat(FD_EXP_C + (<usize>i << 3));
}
// @ts-ignore: decorator
@inline function i64c(i: i32): v128 {
  return v128.load64_splat(FD_I64 + (<usize>i << 3));
}

/** fdExp of two lanes. */
// @ts-ignore: decorator
@inline function fdExpV(x: v128): v128 {
  const half = v128.or(c64(1), v128.and(x, i64c(6))); // halF[xsb]: 0.5 with x's sign
  const kf = f64x2.trunc(f64x2.add(f64x2.mul(c64(0), x), half));
  const hi = f64x2.sub(x, f64x2.mul(kf, c64(2)));
  const lo = f64x2.mul(kf, c64(3));
  const xr = f64x2.sub(hi, lo);
  const t = f64x2.mul(xr, xr);
  const poly = f64x2.add(c64(4), f64x2.mul(t, f64x2.add(c64(5), f64x2.mul(t, f64x2.add(c64(6), f64x2.mul(t, f64x2.add(c64(7), f64x2.mul(t, c64(8)))))))));
  const c = f64x2.sub(xr, f64x2.mul(t, poly));
  const y = f64x2.sub(c64(10), f64x2.sub(f64x2.sub(lo, f64x2.div(f64x2.mul(xr, c), f64x2.sub(c64(9), c))), hi));
  const ki = i64x2.sub(f64x2.add(kf, c64(11)), c64(11)); // k, from the bits of kf + 1.5 * 2^52
  let v = f64x2.mul(y, i64x2.shl(i64x2.add(ki, i64c(0)), 52));
  v = v128.bitselect(f64x2.mul(f64x2.mul(y, c64(9)), c64(12)), v, i64x2.eq(ki, i64c(2))); // k = 1024
  v = v128.bitselect(f64x2.mul(f64x2.mul(y, i64x2.shl(i64x2.add(ki, i64c(1)), 52)), c64(13)), v, i64x2.lt_s(ki, i64c(3))); // k < -1021
  v = v128.bitselect(f64x2.add(c64(10), x), v, i64x2.lt_s(v128.and(x, i64c(4)), i64c(5))); // |x| < 2^-28
  v = v128.bitselect(c64(16), v, f64x2.eq(x, c64(10))); // exp(1) = E
  v = v128.bitselect(c64(17), v, f64x2.gt(x, c64(14)));
  v = v128.bitselect(i64x2.splat(0), v, f64x2.lt(x, c64(15)));
  return v128.bitselect(f64x2.add(x, x), v, f64x2.ne(x, x));
}

const FD_LOG_C: usize = memory.data<f64>([
  1.80143985094819840000e16, 1.0, 2.0, 0.5, 0.33333333333333333, 6.93147180369123816490e-1, 1.90821492927058770002e-10,
  6.666666666666735130e-1, 3.999999999940941908e-1, 2.857142874366239149e-1, 2.222219843214978396e-1, 1.818357216161805012e-1,
  1.531383769920937332e-1, 1.479819860511658591e-1, -Infinity, NaN,
], 16);
const FD_LOG_I: usize = memory.data<i64>([0x00100000, -54, 1023, 0xfffff, 0x95f64, 0x100000, 0x3ff00000, 0xffffffff, 0x6147a, 0x6b851, 3, 0x7ff00000, 2, 0x7fffffffffffffff], 16);

// @ts-ignore: decorator
@inline function l64(i: i32): v128 {
  return v128.load64_splat(FD_LOG_C + (<usize>i << 3));
}
// @ts-ignore: decorator
@inline function li(i: i32): v128 {
  return v128.load64_splat(FD_LOG_I + (<usize>i << 3));
}

/** fdLog of two lanes. */
// @ts-ignore: decorator
@inline function fdLogV(x: v128): v128 {
  const hx = i64x2.shr_s(x, 32); // the high word, signed
  const sub = v128.and(i64x2.lt_s(hx, li(0)), i64x2.ge_s(hx, i64x2.splat(0))); // subnormal (or zero: chosen below)
  const xs = v128.bitselect(f64x2.mul(x, l64(0)), x, sub);
  const hs = i64x2.shr_s(xs, 32);
  let k = i64x2.add(v128.and(sub, li(1)), i64x2.sub(i64x2.shr_s(hs, 20), li(2)));
  const hm = v128.and(hs, li(3));
  const i = v128.and(i64x2.add(hm, li(4)), li(5));
  const xn = v128.or(v128.and(xs, li(7)), i64x2.shl(v128.or(hm, v128.xor(i, li(6))), 32));
  k = i64x2.add(k, i64x2.shr_s(i, 20));
  const f = f64x2.sub(xn, l64(1));
  const dk = f64x2.convert_low_i32x4_s(v128.shuffle<i32>(k, k, 0, 2, 0, 2));
  const dkHi = f64x2.mul(dk, l64(5));
  const dkLo = f64x2.mul(dk, l64(6));
  // |f| < 2^-20
  const r1 = f64x2.mul(f64x2.mul(f, f), f64x2.sub(l64(3), f64x2.mul(l64(4), f)));
  let vSmall = f64x2.sub(dkHi, f64x2.sub(f64x2.sub(r1, dkLo), f));
  vSmall = v128.bitselect(f64x2.add(dkHi, dkLo), vSmall, f64x2.eq(f, i64x2.splat(0)));
  // the general case
  const s = f64x2.div(f, f64x2.add(l64(2), f));
  const z = f64x2.mul(s, s);
  const w = f64x2.mul(z, z);
  const t1 = f64x2.mul(w, f64x2.add(l64(8), f64x2.mul(w, f64x2.add(l64(10), f64x2.mul(w, l64(12))))));
  const t2 = f64x2.mul(z, f64x2.add(l64(7), f64x2.mul(w, f64x2.add(l64(9), f64x2.mul(w, f64x2.add(l64(11), f64x2.mul(w, l64(13))))))));
  const R = f64x2.add(t2, t1);
  const ii = v128.or(i64x2.sub(hm, li(8)), i64x2.sub(li(9), hm));
  const hfsq = f64x2.mul(f64x2.mul(l64(3), f), f);
  const vA = f64x2.sub(dkHi, f64x2.sub(f64x2.sub(hfsq, f64x2.add(f64x2.mul(s, f64x2.add(hfsq, R)), dkLo)), f));
  const vB = f64x2.sub(dkHi, f64x2.sub(f64x2.sub(f64x2.mul(s, f64x2.sub(f, R)), dkLo), f));
  let v = v128.bitselect(vA, vB, i64x2.gt_s(ii, i64x2.splat(0)));
  v = v128.bitselect(vSmall, v, i64x2.lt_s(v128.and(i64x2.add(hm, li(12)), li(3)), li(10)));
  // specials: +-0 -inf, negative NaN, inf / NaN x + x
  v = v128.bitselect(f64x2.add(x, x), v, i64x2.ge_s(hs, li(11)));
  v = v128.bitselect(l64(15), v, i64x2.lt_s(hx, i64x2.splat(0)));
  return v128.bitselect(l64(14), v, i64x2.eq(v128.and(x, li(13)), i64x2.splat(0)));
}

/**
 * fdExpV for arguments <= 0 (and -inf, NaN): a state's terms where its maximum is finite. There k
 * <= 0, so exp(1), k = 1024 and overflow cannot occur; the rest is fdExpV's.
 */
// @ts-ignore: decorator
@inline function fdExpNonPositiveV(x: v128): v128 {
  const half = v128.or(c64(1), v128.and(x, i64c(6)));
  const kf = f64x2.trunc(f64x2.add(f64x2.mul(c64(0), x), half));
  const hi = f64x2.sub(x, f64x2.mul(kf, c64(2)));
  const lo = f64x2.mul(kf, c64(3));
  const xr = f64x2.sub(hi, lo);
  const t = f64x2.mul(xr, xr);
  const poly = f64x2.add(c64(4), f64x2.mul(t, f64x2.add(c64(5), f64x2.mul(t, f64x2.add(c64(6), f64x2.mul(t, f64x2.add(c64(7), f64x2.mul(t, c64(8)))))))));
  const c = f64x2.sub(xr, f64x2.mul(t, poly));
  const y = f64x2.sub(c64(10), f64x2.sub(f64x2.sub(lo, f64x2.div(f64x2.mul(xr, c), f64x2.sub(c64(9), c))), hi));
  const ki = i64x2.sub(f64x2.add(kf, c64(11)), c64(11));
  let v = f64x2.mul(y, i64x2.shl(i64x2.add(ki, i64c(0)), 52));
  v = v128.bitselect(f64x2.mul(f64x2.mul(y, i64x2.shl(i64x2.add(ki, i64c(1)), 52)), c64(13)), v, i64x2.lt_s(ki, i64c(3)));
  v = v128.bitselect(f64x2.add(c64(10), x), v, i64x2.lt_s(v128.and(x, i64c(4)), i64c(5)));
  v = v128.bitselect(i64x2.splat(0), v, f64x2.lt(x, c64(15)));
  return v128.bitselect(f64x2.add(x, x), v, f64x2.ne(x, x));
}

/**
 * fdLogV for arguments in [1, 3] (and NaN): a state's sum where its maximum is finite. There is no
 * subnormal, zero, negative or infinite argument; the rest is fdLogV's.
 */
// @ts-ignore: decorator
@inline function fdLogOneToThreeV(x: v128): v128 {
  const hs = i64x2.shr_s(x, 32);
  const k = i64x2.sub(i64x2.shr_s(hs, 20), li(2));
  const hm = v128.and(hs, li(3));
  const i = v128.and(i64x2.add(hm, li(4)), li(5));
  const xn = v128.or(v128.and(x, li(7)), i64x2.shl(v128.or(hm, v128.xor(i, li(6))), 32));
  const kk = i64x2.add(k, i64x2.shr_s(i, 20));
  const f = f64x2.sub(xn, l64(1));
  const dk = f64x2.convert_low_i32x4_s(v128.shuffle<i32>(kk, kk, 0, 2, 0, 2));
  const dkHi = f64x2.mul(dk, l64(5));
  const dkLo = f64x2.mul(dk, l64(6));
  const r1 = f64x2.mul(f64x2.mul(f, f), f64x2.sub(l64(3), f64x2.mul(l64(4), f)));
  let vSmall = f64x2.sub(dkHi, f64x2.sub(f64x2.sub(r1, dkLo), f));
  vSmall = v128.bitselect(f64x2.add(dkHi, dkLo), vSmall, f64x2.eq(f, i64x2.splat(0)));
  const s = f64x2.div(f, f64x2.add(l64(2), f));
  const z = f64x2.mul(s, s);
  const w = f64x2.mul(z, z);
  const t1 = f64x2.mul(w, f64x2.add(l64(8), f64x2.mul(w, f64x2.add(l64(10), f64x2.mul(w, l64(12))))));
  const t2 = f64x2.mul(z, f64x2.add(l64(7), f64x2.mul(w, f64x2.add(l64(9), f64x2.mul(w, f64x2.add(l64(11), f64x2.mul(w, l64(13))))))));
  const R = f64x2.add(t2, t1);
  const ii = v128.or(i64x2.sub(hm, li(8)), i64x2.sub(li(9), hm));
  const hfsq = f64x2.mul(f64x2.mul(l64(3), f), f);
  const vA = f64x2.sub(dkHi, f64x2.sub(f64x2.sub(hfsq, f64x2.add(f64x2.mul(s, f64x2.add(hfsq, R)), dkLo)), f));
  const vB = f64x2.sub(dkHi, f64x2.sub(f64x2.sub(f64x2.mul(s, f64x2.sub(f, R)), dkLo), f));
  let v = v128.bitselect(vA, vB, i64x2.gt_s(ii, i64x2.splat(0)));
  v = v128.bitselect(vSmall, v, i64x2.lt_s(v128.and(i64x2.add(hm, li(12)), li(3)), li(10)));
  return v128.bitselect(f64x2.add(x, x), v, f64x2.ne(x, x));
}

/** The two restricted ones, for the tests (two lanes at ptr, in place; their arguments in range). */
export function mathExpNonPositive2(ptr: usize): void {
  v128.store(ptr, fdExpNonPositiveV(v128.load(ptr)));
}
export function mathLogOneToThree2(ptr: usize): void {
  v128.store(ptr, fdLogOneToThreeV(v128.load(ptr)));
}

/** fdExpV / fdLogV for the tests (two lanes at ptr, in place). */
export function mathExp2(ptr: usize): void {
  v128.store(ptr, fdExpV(v128.load(ptr)));
}
export function mathLog2(ptr: usize): void {
  v128.store(ptr, fdLogV(v128.load(ptr)));
}

/** fdExp / fdLog for the tests (against Math.exp / Math.log). */
export function mathExp(x: f64): f64 {
  return fdExp(x);
}
export function mathLog(x: f64): f64 {
  return fdLog(x);
}
/** expf / logf for the tests (against ../../libm.ts). */
export function glibcExpf(x: f32): f32 {
  return expf(x);
}
export function glibcLogf(x: f32): f32 {
  return logf(x);
}

// ---- glibc expf / logf of four float32 lanes (as kernels.ts glibcExp32 / glibcLog32; copied, not shared) ----

// @ts-ignore: decorator
@inline function k(at: usize): v128 {
  return v128.load32_splat(at);
}
// @ts-ignore: decorator
@inline function k64(at: usize): v128 {
  return v128.load64_splat(at);
}
const ZERO: usize = memory.data<f32>([0]);
const ONE: usize = memory.data<f32>([1]);
const NAN: usize = memory.data<f32>([NaN]);
const INF: usize = memory.data<f32>([Infinity]);
const NEG_INF: usize = memory.data<f32>([-Infinity]);
const ONE64: usize = memory.data<f64>([1]);
const EXP_MAX: usize = memory.data<f32>([120]); // keeps the table index and scale in range; the selects decide beyond
const EXP_MIN: usize = memory.data<f32>([-120]);
const EXPF_C: usize = memory.data<f64>([46.16624130844683, 6755399441055744, 0.0000016938359250920212, 0.00023459809789509004, 0.021660849396613134]);
const EXPF_LIMITS: usize = memory.data<f32>([88.72283172607422, -103.97207641601562]);
const EXPF_FMA: usize = memory.data<u32>([0x4202422f, 0x56fc9f1c, 0xc27c65d9, 0x11fa2993]);
const FIVE_BITS64: usize = memory.data<i64>([31]);
const LOGF_C: usize = memory.data<f64>([0.6931471805599453, -0.25089342214237154, 0.333456765744066, -0.4999997485802103]);
const LOGF_OFF: usize = memory.data<i32>([0x3f330000]);
const LOGF_EXPONENT: usize = memory.data<i32>([0xff800000]);
const FOUR_BITS: usize = memory.data<i32>([15]);
const TWO_TO_23: usize = memory.data<f32>([8388608]);
const TWENTY_THREE_EXP: usize = memory.data<i32>([23 << 23]);
const IOTA: usize = memory.data<i32>([0, 1, 2, 3], 16);
const SMALLEST_NORMAL: usize = memory.data<f32>([1.1754943508222875e-38]);

// @ts-ignore: decorator
@inline function highHalf(v: v128): v128 {
  return v128.shuffle<f32>(v, v, 2, 3, 0, 1);
}
// @ts-ignore: decorator
@inline function join64(lo: v128, hi: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

// @ts-ignore: decorator
@inline function expHalf(x: v128): v128 {
  const z = f64x2.mul(k64(EXPF_C), x);
  const shifted = f64x2.add(z, k64(EXPF_C + 8));
  const kd = f64x2.sub(shifted, k64(EXPF_C + 8));
  const r = f64x2.sub(z, kd);
  const ki = i64x2.sub(shifted, k64(EXPF_C + 8)); // the integer kd, from the bits
  const i = v128.and(ki, k64(FIVE_BITS64));
  // 2^(k/32) as glibc's scalar code forms it: asdouble(T[k % 32] + (k << 47))
  let table = v128.load64_zero(EXP2F_T + (<usize>i64x2.extract_lane(i, 0) << 3));
  table = v128.load64_lane(EXP2F_T + (<usize>i64x2.extract_lane(i, 1) << 3), table, 1);
  const scale = i64x2.add(table, i64x2.shl(ki, 47));
  const zz = f64x2.add(f64x2.mul(k64(EXPF_C + 16), r), k64(EXPF_C + 24));
  const r2 = f64x2.mul(r, r);
  let y = f64x2.add(f64x2.mul(k64(EXPF_C + 32), r), k64(ONE64));
  y = f64x2.add(f64x2.mul(zz, r2), y);
  return f64x2.mul(y, scale);
}

/** glibc's expf of four lanes (expf above, lane by lane). */
// @ts-ignore: decorator
@inline function expV(x: v128): v128 {
  const clamped = f32x4.pmax(f32x4.pmin(x, k(EXP_MAX)), k(EXP_MIN));
  let y = join64(expHalf(f64x2.promote_low_f32x4(clamped)), expHalf(f64x2.promote_low_f32x4(highHalf(clamped))));
  y = v128.bitselect(k(ZERO), y, f32x4.lt(x, k(EXPF_LIMITS + 4)));
  y = v128.bitselect(k(INF), y, f32x4.gt(x, k(EXPF_LIMITS)));
  y = v128.bitselect(k(EXPF_FMA + 4), y, i32x4.eq(x, k(EXPF_FMA)));
  y = v128.bitselect(k(EXPF_FMA + 12), y, i32x4.eq(x, k(EXPF_FMA + 8)));
  return v128.bitselect(x, y, f32x4.ne(x, x));
}

// @ts-ignore: decorator
@inline function logHalf(z: v128, kd: v128, entry0: v128, entry1: v128): v128 {
  const invc = v128.shuffle<i64>(entry0, entry1, 0, 2);
  const logc = v128.shuffle<i64>(entry0, entry1, 1, 3);
  const r = f64x2.sub(f64x2.mul(z, invc), k64(ONE64));
  const y0 = f64x2.add(logc, f64x2.mul(kd, k64(LOGF_C)));
  const r2 = f64x2.mul(r, r);
  let y = f64x2.add(f64x2.mul(k64(LOGF_C + 16), r), k64(LOGF_C + 24));
  y = f64x2.add(f64x2.mul(k64(LOGF_C + 8), r2), y);
  return f64x2.add(f64x2.mul(y, r2), f64x2.add(y0, r));
}

/** glibc's logf of four lanes (logf above, lane by lane). */
// @ts-ignore: decorator
@inline function logV(x: v128): v128 {
  const subnormal = v128.and(f32x4.lt(x, k(SMALLEST_NORMAL)), f32x4.gt(x, k(ZERO)));
  const ix = v128.bitselect(i32x4.sub(f32x4.mul(x, k(TWO_TO_23)), k(TWENTY_THREE_EXP)), x, subnormal);
  const tmp = i32x4.sub(ix, k(LOGF_OFF));
  const at = i32x4.shl(v128.and(i32x4.shr_s(tmp, 19), k(FOUR_BITS)), 4);
  const kf = i32x4.shr_s(tmp, 23);
  const z = i32x4.sub(ix, v128.and(tmp, k(LOGF_EXPONENT)));
  const lo = logHalf(
    f64x2.promote_low_f32x4(z), f64x2.convert_low_i32x4_s(kf),
    v128.load(LOGF_T + <usize>i32x4.extract_lane(at, 0)), v128.load(LOGF_T + <usize>i32x4.extract_lane(at, 1)),
  );
  const hi = logHalf(
    f64x2.promote_low_f32x4(highHalf(z)), f64x2.convert_low_i32x4_s(highHalf(kf)),
    v128.load(LOGF_T + <usize>i32x4.extract_lane(at, 2)), v128.load(LOGF_T + <usize>i32x4.extract_lane(at, 3)),
  );
  let y = join64(lo, hi);
  y = v128.bitselect(k(ZERO), y, f32x4.eq(x, k(ONE)));
  y = v128.bitselect(x, y, f32x4.eq(x, k(INF)));
  y = v128.bitselect(k(NAN), y, v128.or(f32x4.lt(x, k(ZERO)), f32x4.ne(x, x)));
  return v128.bitselect(k(NEG_INF), y, f32x4.eq(x, k(ZERO)));
}

/** expV for arguments <= 0 (and -inf, NaN): a state's terms where its maximum is finite (no overflow, and one FMA argument). */
// @ts-ignore: decorator
@inline function expNonPositiveV(x: v128): v128 {
  const clamped = f32x4.pmax(x, k(EXP_MIN));
  let y = join64(expHalf(f64x2.promote_low_f32x4(clamped)), expHalf(f64x2.promote_low_f32x4(highHalf(clamped))));
  y = v128.bitselect(k(ZERO), y, f32x4.lt(x, k(EXPF_LIMITS + 4)));
  y = v128.bitselect(k(EXPF_FMA + 12), y, i32x4.eq(x, k(EXPF_FMA + 8)));
  return v128.bitselect(x, y, f32x4.ne(x, x));
}

/** logV for arguments in [1, 3] (and NaN): a state's sum where its maximum is finite (no subnormal, zero, negative or inf). */
// @ts-ignore: decorator
@inline function logOneToThreeV(x: v128): v128 {
  const tmp = i32x4.sub(x, k(LOGF_OFF));
  const at = i32x4.shl(v128.and(i32x4.shr_s(tmp, 19), k(FOUR_BITS)), 4);
  const kf = i32x4.shr_s(tmp, 23);
  const z = i32x4.sub(x, v128.and(tmp, k(LOGF_EXPONENT)));
  const lo = logHalf(
    f64x2.promote_low_f32x4(z), f64x2.convert_low_i32x4_s(kf),
    v128.load(LOGF_T + <usize>i32x4.extract_lane(at, 0)), v128.load(LOGF_T + <usize>i32x4.extract_lane(at, 1)),
  );
  const hi = logHalf(
    f64x2.promote_low_f32x4(highHalf(z)), f64x2.convert_low_i32x4_s(highHalf(kf)),
    v128.load(LOGF_T + <usize>i32x4.extract_lane(at, 2)), v128.load(LOGF_T + <usize>i32x4.extract_lane(at, 3)),
  );
  let y = join64(lo, hi);
  y = v128.bitselect(k(ZERO), y, f32x4.eq(x, k(ONE)));
  return v128.bitselect(k(NAN), y, f32x4.ne(x, x));
}

/** The two restricted ones, for the tests (four lanes at ptr, in place; their arguments in range). */
export function glibcExpfNonPositive4(ptr: usize): void {
  v128.store(ptr, expNonPositiveV(v128.load(ptr)));
}
export function glibcLogfOneToThree4(ptr: usize): void {
  v128.store(ptr, logOneToThreeV(v128.load(ptr)));
}

/** expV / logV for the tests (four lanes at ptr, in place). */
export function glibcExpf4(ptr: usize): void {
  v128.store(ptr, expV(v128.load(ptr)));
}
export function glibcLogf4(ptr: usize): void {
  v128.store(ptr, logV(v128.load(ptr)));
}

// ---- shared by both dtypes ----

// @ts-ignore: decorator
@inline function i32At(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

/**
 * Sample b's extended target l' into ext (blank at even s, the label at odd s; then 4 blanks, so
 * that four-lane reads past n stay in the row), and each state's lack of a third predecessor as
 * masks (-1 where the JS extendedLabels has a3[s] = -1, or b3[s] = n; else 0). Returns n = 2 tl + 1.
 */
function extendedLabels(tl: i32, labels: usize, base: i32, blank: i32, ext: usize, a3: usize, b3: usize): i32 {
  const n = 2 * tl + 1;
  for (let s = 0; s < n; s++) store<i32>(ext + (<usize>s << 2), (s & 1) == 0 ? blank : i32At(labels, base + (s >> 1)));
  for (let s = n; s < n + 4; s++) store<i32>(ext + (<usize>s << 2), blank);
  for (let s = 0; s < n + 4; s++) {
    store<i32>(a3 + (<usize>s << 2), s < n && s >= 2 && i32At(ext, s - 2) != i32At(ext, s) ? 0 : -1);
    store<i32>(b3 + (<usize>s << 2), s + 2 < n && i32At(ext, s + 2) != i32At(ext, s) ? 0 : -1);
  }
  return n;
}

/** Whether no log_prob is NaN, +inf or above 1e30 (the JS bandSafe, but the T <= 1e6 its caller checks). */
export function bandSafe32(lp: usize, count: i32): i32 {
  // a float32 is <= 1e30 exactly where it is below float32(1e30) = 1.0000000150474662e30 (NaN is neither)
  const limit = f32x4.splat(<f32>1e30);
  let ok = i32x4.splat(-1);
  let i = 0;
  for (const end = count & ~3; i < end; i += 4) ok = v128.and(ok, f32x4.lt(v128.load(lp + (<usize>i << 2)), limit));
  if (!v128.all_true<i32>(ok)) return 0;
  for (; i < count; i++) if (!(<f64>load<f32>(lp + (<usize>i << 2)) <= 1e30)) return 0;
  return 1;
}
export function bandSafe64(lp: usize, count: i32): i32 {
  const limit = f64x2.splat(1e30);
  let ok = i32x4.splat(-1);
  let i = 0;
  for (const end = count & ~1; i < end; i += 2) ok = v128.and(ok, f64x2.le(v128.load(lp + (<usize>i << 3)), limit));
  if (!v128.all_true<i64>(ok)) return 0;
  for (; i < count; i++) if (!(load<f64>(lp + (<usize>i << 3)) <= 1e30)) return 0;
  return 1;
}

/** Whether the `bytes` bytes at p and q are the same (the backward's check that its log_probs are the forward's). */
export function sameBytes(p: usize, q: usize, bytes: i32): i32 {
  let i = 0;
  let diff = i32x4.splat(0);
  for (const end = bytes & ~15; i < end; i += 16) diff = v128.or(diff, v128.xor(v128.load(p + <usize>i), v128.load(q + <usize>i)));
  if (v128.any_true(diff)) return 0;
  for (; i < bytes; i++) if (load<u8>(p + <usize>i) != load<u8>(q + <usize>i)) return 0;
  return 1;
}

// ================= float32: four states (or four rows) at a time =================
//
// A state's value in every case the JS distinguishes (a finite maximum, whose own term it takes as
// exactly 1; all -inf; a NaN or +inf maximum, term by term) is the C++ formula
//   log((exp(x1 - m) + exp(x2 - m)) + exp(x3 - m)) + m,  m the maximum by `>` from x1, 0 for -inf:
// exp(0) = 1, exp(-inf) = 0 and log(1) = 0 exactly, and 1 + e = e + 1, so the JS's skipped
// calls and its sum orders give these bits. The states of a row depend on the row before only.

// @ts-ignore: decorator
@inline function f32At(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}
// @ts-ignore: decorator
@inline function f32Put(p: usize, i: i32, v: f32): void {
  store<f32>(p + (<usize>i << 2), v);
}
// @ts-ignore: decorator
@inline function vAt(p: usize, i: i32): v128 {
  return v128.load(p + (<usize>i << 2));
}

/** The formula above for four states: all three terms where a maximum is not finite (NaN, +-inf). */
// @ts-ignore: decorator
@inline function slowStateV(x1: v128, x2: v128, x3: v128, mx: v128): v128 {
  const m = v128.bitselect(k(ZERO), mx, f32x4.eq(mx, k(NEG_INF)));
  const e1 = expV(f32x4.sub(x1, m));
  const e2 = expV(f32x4.sub(x2, m));
  const e3 = expV(f32x4.sub(x3, m));
  return f32x4.add(logV(f32x4.add(f32x4.add(e1, e2), e3)), m);
}

/**
 * Four states: where the maximum is finite, as the JS's fast path (the two terms but the maximum's,
 * in the sum's order; the maximum's own term 1); -inf where every term is; else the formula above
 * (`care`: the lanes that are states of the row, not past its end).
 */
// @ts-ignore: decorator
@inline function stateV(x1: v128, x2: v128, x3: v128, care: v128): v128 {
  let mx = x1;
  mx = v128.bitselect(x2, mx, f32x4.gt(x2, mx));
  mx = v128.bitselect(x3, mx, f32x4.gt(x3, mx));
  const isX1 = f32x4.eq(mx, x1);
  const isX1or2 = v128.or(isX1, f32x4.eq(mx, x2));
  const a = v128.bitselect(x2, x1, isX1);
  const b = v128.bitselect(x3, x2, isX1or2);
  // where mx is finite (the lanes this result is used for) the terms are <= 0 (or NaN) and the sum in [1, 3] (or NaN)
  const ea = expNonPositiveV(f32x4.sub(a, mx));
  const eb = expNonPositiveV(f32x4.sub(b, mx));
  const sum = v128.bitselect(f32x4.add(f32x4.add(k(ONE), ea), eb), f32x4.add(f32x4.add(ea, eb), k(ONE)), isX1or2);
  const finite = f32x4.eq(f32x4.sub(mx, mx), k(ZERO));
  // every term -inf: -inf (as the JS; the formula gives it too)
  const none = v128.and(v128.and(f32x4.eq(mx, k(NEG_INF)), f32x4.eq(x2, k(NEG_INF))), f32x4.eq(x3, k(NEG_INF)));
  const v = v128.bitselect(k(NEG_INF), f32x4.add(logOneToThreeV(sum), mx), none);
  // the formula term by term only where a lane the caller uses has a NaN or +inf maximum (rare)
  if (!v128.any_true(v128.andnot(v128.andnot(care, finite), none))) return v;
  return v128.bitselect(v, slowStateV(x1, x2, x3, mx), v128.or(finite, none));
}

/** lp[lpt + ext[s + j]] for the four j. */
// @ts-ignore: decorator
@inline function lpGather(lp: usize, lpt: i32, ext: usize, s: i32): v128 {
  const e = vAt(ext, s);
  const row = lp + (<usize>lpt << 2);
  let v = v128.load32_zero(row + (<usize>i32x4.extract_lane(e, 0) << 2));
  v = v128.load32_lane(row + (<usize>i32x4.extract_lane(e, 1) << 2), v, 1);
  v = v128.load32_lane(row + (<usize>i32x4.extract_lane(e, 2) << 2), v, 2);
  return v128.load32_lane(row + (<usize>i32x4.extract_lane(e, 3) << 2), v, 3);
}

/**
 * Rows 1 .. il - 1 of one sample's log_alpha. The last four states of a row may run past n: they
 * write up to three values past the row's states (unused states, the next row's pad and first
 * states, written again before they are read; the caller leaves room after the last row).
 */
function alphaRows32(la: usize, row0: i32, stride: i32, n: i32, il: i32, ext: usize, a3: usize, lp: usize, lpb: i32, NC: i32, banded: bool): void {
  for (let t = 1; t < il; t++) {
    const prev = row0 + (t - 1) * stride + 1;
    const cur = prev + stride;
    f32Put(la, cur - 1, -Infinity);
    const lpt = lpb + t * NC;
    const s0 = banded ? max(0, n - 2 - 2 * (il - 1 - t)) : 0;
    // banded: the states the first two cannot reach by t (s > 2 t + 1) are -inf (as the JS computes them: see `bandSafe`)
    const end = banded ? min(n, 2 * t + 2) : n;
    for (let s = s0; s < end; s += 4) {
      const x1 = vAt(la, prev + s);
      const x2 = vAt(la, prev + s - 1); // the pad before the row at s = 0
      const x3 = v128.bitselect(k(NEG_INF), vAt(la, prev + s - 2), vAt(a3, s));
      const care = i32x4.lt_s(i32x4.add(i32x4.splat(s), v128.load(IOTA)), i32x4.splat(end));
      v128.store(la + (<usize>(cur + s) << 2), f32x4.add(stateV(x1, x2, x3, care), lpGather(lp, lpt, ext, s)));
    }
    for (let s = max(s0, end); s < n; s++) f32Put(la, cur + s, -Infinity);
  }
}

/** log(exp(a - m) + exp(b - m)) + m, m = std::max(a, b) or 0 for -inf (JS logAddExp, zeroMax). */
function nllLogAdd32(a: f32, b: f32): f32 {
  let m = a < b ? b : a;
  if (m == -Infinity) m = 0;
  const d1 = a - m;
  const d2 = b - m;
  const e1: f32 = d1 == 0 ? 1 : d1 == -Infinity ? 0 : expf(d1);
  const e2: f32 = d2 == 0 ? 1 : d2 == -Infinity ? 0 : expf(d2);
  return logf(e1 + e2) + m;
}

/**
 * The forward (JS alphas) for float32: each sample's log_alpha rows into la (and up to three
 * values past it) and its nll (float64) into nll; ext, a3, b3 scratch of 2 maxTargetLength + 5 ints.
 */
export function forward32(
  lp: usize, T: i32, N: i32, C: i32, blank: i32, labels: usize, offsets: usize, inputLengths: usize, targetLengths: usize,
  stride: i32, banded: bool, la: usize, nll: usize, ext: usize, a3: usize, b3: usize,
): void {
  const NC = N * C;
  for (let b = 0; b < N; b++) {
    const il = i32At(inputLengths, b);
    const tl = i32At(targetLengths, b);
    const row0 = b * T * stride;
    for (let i = 0; i < stride; i++) f32Put(la, row0 + i, -Infinity);
    if (il == 0) {
      store<f64>(nll + (<usize>b << 3), tl == 0 ? -0.0 : Infinity);
      continue;
    }
    const n = extendedLabels(tl, labels, i32At(offsets, b), blank, ext, a3, b3);
    const lpb = b * C;
    f32Put(la, row0 + 1, f32At(lp, lpb + blank));
    if (tl > 0) f32Put(la, row0 + 2, f32At(lp, lpb + i32At(ext, 1)));
    alphaRows32(la, row0, stride, n, il, ext, a3, lp, lpb, NC, banded);
    const last = row0 + (il - 1) * stride + 1;
    const v: f32 = tl == 0 ? -f32At(la, last) : -nllLogAdd32(f32At(la, last + 2 * tl), f32At(la, last + 2 * tl - 1));
    store<f64>(nll + (<usize>b << 3), <f64>v);
  }
}

/**
 * Rows il - 2 .. 0 of one sample's log_beta (row t at t lbStride: the states, a -inf pad at n, room
 * for the three values four-lane rows write past the states; the pad is written after them).
 */
function betaRows32(lb: usize, lbStride: i32, n: i32, il: i32, ext: usize, b3: usize, lp: usize, lpb: i32, NC: i32, banded: bool): void {
  for (let t = il - 2; t >= 0; t--) {
    const cur = t * lbStride;
    const next = cur + lbStride;
    const lpt = lpb + t * NC;
    const s1 = banded ? min(n - 1, 2 * t + 1) : n - 1;
    // banded: the states that cannot reach the last two by il - 1 (s < n - 2 - 2 (il - 1 - t)) are -inf (as the JS computes them)
    const start = banded ? max(0, n - 2 - 2 * (il - 1 - t)) : 0;
    for (let s = start; s <= s1; s += 4) {
      const x1 = vAt(lb, next + s);
      const x2 = vAt(lb, next + s + 1); // the pad after the row at s = n - 1
      const x3 = v128.bitselect(k(NEG_INF), vAt(lb, next + s + 2), vAt(b3, s));
      const care = i32x4.le_s(i32x4.add(i32x4.splat(s), v128.load(IOTA)), i32x4.splat(s1));
      v128.store(lb + (<usize>(cur + s) << 2), f32x4.add(stateV(x1, x2, x3, care), lpGather(lp, lpt, ext, s)));
    }
    for (let s = min(start, s1 + 1) - 1; s >= 0; s--) f32Put(lb, cur + s, -Infinity);
    f32Put(lb, cur + n, -Infinity);
  }
}

/**
 * grad[t][l's] "log+=" la[t][s] + lb[t][s] for rows t < il - 1 (JS gradLogAdd32), four rows at a
 * time (rows touch disjoint grad entries; within a row, descending s as the C++ loop): assigned
 * while -inf, else log(exp(g - M) + exp(ab - M)) + M, M = std::max(g, ab) (the JS's exactly-1 term
 * of a finite M, as above). A lane outside its row's band (or past row 0) keeps its entry.
 */
function gradLogAdd32(lb: usize, lbStride: i32, la: usize, row0: i32, stride: i32, n: i32, il: i32, ext: usize, grad: usize, lpb: i32, NC: i32, banded: bool): void {
  for (let t = il - 2; t >= 0; t -= 4) {
    // lane j: row t - j (clamped to 0 for its addresses where it is below 0, and then inactive)
    const t1 = max(t - 1, 0);
    const t2 = max(t - 2, 0);
    const t3 = max(t - 3, 0);
    const lo0 = banded ? max(0, n - 2 - 2 * (il - 1 - t)) : 0;
    const lo1 = t >= 1 ? (banded ? max(0, n - 2 - 2 * (il - 1 - t1)) : 0) : n;
    const lo2 = t >= 2 ? (banded ? max(0, n - 2 - 2 * (il - 1 - t2)) : 0) : n;
    const lo3 = t >= 3 ? (banded ? max(0, n - 2 - 2 * (il - 1 - t3)) : 0) : n;
    const hi0 = banded ? min(n - 1, 2 * t + 1) : n - 1;
    const hi1 = banded ? min(n - 1, 2 * t1 + 1) : n - 1;
    const hi2 = banded ? min(n - 1, 2 * t2 + 1) : n - 1;
    const hi3 = banded ? min(n - 1, 2 * t3 + 1) : n - 1;
    const lo = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(lo0), 1, lo1), 2, lo2), 3, lo3);
    const hi = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(hi0), 1, hi1), 2, hi2), 3, hi3);
    const a0 = la + (<usize>(row0 + t * stride + 1) << 2);
    const a1 = la + (<usize>(row0 + t1 * stride + 1) << 2);
    const a2 = la + (<usize>(row0 + t2 * stride + 1) << 2);
    const a3 = la + (<usize>(row0 + t3 * stride + 1) << 2);
    const b0 = lb + (<usize>(t * lbStride) << 2);
    const b1 = lb + (<usize>(t1 * lbStride) << 2);
    const b2 = lb + (<usize>(t2 * lbStride) << 2);
    const b3 = lb + (<usize>(t3 * lbStride) << 2);
    const g0 = grad + (<usize>(lpb + t * NC) << 2);
    const g1 = grad + (<usize>(lpb + t1 * NC) << 2);
    const g2 = grad + (<usize>(lpb + t2 * NC) << 2);
    const g3 = grad + (<usize>(lpb + t3 * NC) << 2);
    const sMin = min(min(lo0, lo1), min(lo2, lo3));
    for (let s = hi0; s >= sMin; s--) {
      const sv = i32x4.splat(s);
      const active = v128.and(i32x4.le_s(lo, sv), i32x4.ge_s(hi, sv));
      const off = <usize>s << 2;
      let va = v128.load32_zero(a0 + off);
      va = v128.load32_lane(a1 + off, va, 1);
      va = v128.load32_lane(a2 + off, va, 2);
      va = v128.load32_lane(a3 + off, va, 3);
      let vb = v128.load32_zero(b0 + off);
      vb = v128.load32_lane(b1 + off, vb, 1);
      vb = v128.load32_lane(b2 + off, vb, 2);
      vb = v128.load32_lane(b3 + off, vb, 3);
      const goff = <usize>i32At(ext, s) << 2;
      let lcab = v128.load32_zero(g0 + goff);
      lcab = v128.load32_lane(g1 + goff, lcab, 1);
      lcab = v128.load32_lane(g2 + goff, lcab, 2);
      lcab = v128.load32_lane(g3 + goff, lcab, 3);
      const ab = f32x4.add(va, vb);
      const m = v128.bitselect(ab, lcab, f32x4.lt(lcab, ab));
      const isG = f32x4.eq(m, lcab);
      // a finite M: its own term 1, the other's exp (the JS's fast path); else both terms
      // (where M is finite: the other's difference <= 0, the sum in [1, 2])
      let v = f32x4.add(logOneToThreeV(f32x4.add(k(ONE), expNonPositiveV(f32x4.sub(v128.bitselect(ab, lcab, isG), m)))), m);
      const finite = f32x4.eq(f32x4.sub(m, m), k(ZERO));
      const negInfG = f32x4.eq(lcab, k(NEG_INF));
      if (v128.any_true(v128.andnot(v128.andnot(active, finite), negInfG))) {
        const slow = f32x4.add(logV(f32x4.add(expV(f32x4.sub(lcab, m)), expV(f32x4.sub(ab, m)))), m);
        v = v128.bitselect(v, slow, finite);
      }
      v = v128.bitselect(ab, v, negInfG);
      v = v128.bitselect(v, lcab, active);
      // lanes 3 .. 0: a lane past row 0 (clamped to it, inactive) stores before row 0's own lane
      v128.store32_lane(g3 + goff, v, 3);
      v128.store32_lane(g2 + goff, v, 2);
      v128.store32_lane(g1 + goff, v, 1);
      v128.store32_lane(g0 + goff, v, 0);
    }
  }
}

/** grad[t][c] = (exp(lp) - exp(grad + nll - lp)) * gr over rows t < il of one sample (JS finishGrad32). */
function finishGrad32(grad: usize, lp: usize, lpb: i32, il: i32, C: i32, NC: i32, nll: f32, g: f32): void {
  const nllv = f32x4.splat(nll);
  const gv = f32x4.splat(g);
  for (let t = 0; t < il; t++) {
    const row = lpb + t * NC;
    let c = row;
    for (const end = row + C - 3; c < end; c += 4) {
      const lpv = vAt(lp, c);
      const d = f32x4.sub(f32x4.add(vAt(grad, c), nllv), lpv);
      v128.store(grad + (<usize>c << 2), f32x4.mul(f32x4.sub(expV(lpv), expV(d)), gv));
    }
    for (; c < row + C; c++) {
      const lpv = f32At(lp, c);
      const d = f32At(grad, c) + nll - lpv;
      f32Put(grad, c, (expf(lpv) - expf(d)) * g);
    }
  }
}

/**
 * The backward (JS ctcLossBackward's sample loop) for float32: grad (T N C, zeroed here) from the
 * forward's la and nll and each sample's incoming gradient gr (float64); lb scratch of
 * T (stride + 4) + 4 floats.
 */
export function backward32(
  lp: usize, T: i32, N: i32, C: i32, blank: i32, labels: usize, offsets: usize, inputLengths: usize, targetLengths: usize,
  stride: i32, banded: bool, zeroInfinity: bool, la: usize, nll: usize, gr: usize, grad: usize, lb: usize, ext: usize, a3: usize, b3: usize,
): void {
  const NC = N * C;
  const lbStride = stride + 4;
  memory.fill(grad, 0, <usize>T * <usize>NC << 2);
  for (let b = 0; b < N; b++) {
    const nllb = load<f64>(nll + (<usize>b << 3));
    const lpb = b * C;
    if (zeroInfinity && nllb == Infinity) continue;
    const il = i32At(inputLengths, b);
    if (il == 0) continue;
    const tl = i32At(targetLengths, b);
    const n = extendedLabels(tl, labels, i32At(offsets, b), blank, ext, a3, b3);
    const row0 = b * T * stride;
    for (let t = 0; t < il; t++) {
      const at = lpb + t * NC;
      for (let c = 0; c < C; c++) f32Put(grad, at + c, -Infinity);
    }
    const lastB = (il - 1) * lbStride;
    const lastA = row0 + (il - 1) * stride + 1;
    for (let i = 0; i < lbStride; i++) f32Put(lb, lastB + i, -Infinity);
    const lpt = lpb + (il - 1) * NC;
    f32Put(lb, lastB + 2 * tl, f32At(lp, lpt + blank));
    f32Put(grad, lpt + blank, f32At(la, lastA + 2 * tl) + f32At(lb, lastB + 2 * tl));
    if (tl > 0) {
      const label = i32At(ext, 2 * tl - 1);
      f32Put(lb, lastB + 2 * tl - 1, f32At(lp, lpt + label));
      f32Put(grad, lpt + label, f32At(la, lastA + 2 * tl - 1) + f32At(lb, lastB + 2 * tl - 1));
    }
    betaRows32(lb, lbStride, n, il, ext, b3, lp, lpb, NC, banded);
    gradLogAdd32(lb, lbStride, la, row0, stride, n, il, ext, grad, lpb, NC, banded);
    finishGrad32(grad, lp, lpb, il, C, NC, <f32>nllb, <f32>load<f64>(gr + (<usize>b << 3)));
  }
}

// ================= float64 =================

// @ts-ignore: decorator
@inline function f64At(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}
// @ts-ignore: decorator
@inline function f64Put(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), v);
}
// @ts-ignore: decorator
@inline function exp64(d: f64): f64 {
  return d == -Infinity ? 0 : d == 0 ? 1 : fdExp(d);
}

// Two states (or classes) per f64x2, as the float32 code above with four.

const NEG_INF64: usize = memory.data<f64>([-Infinity]);
const ZERO64: usize = memory.data<f64>([0]);
const IOTA64: usize = memory.data<i64>([0, 1], 16);

// @ts-ignore: decorator
@inline function v64At(p: usize, i: i32): v128 {
  return v128.load(p + (<usize>i << 3));
}

/** The two states' masks (-1 where there is no third predecessor), from the int masks at s. */
// @ts-ignore: decorator
@inline function mask64(m: usize, s: i32): v128 {
  return i64x2.extend_low_i32x4_s(v128.load64_zero(m + (<usize>s << 2)));
}

// @ts-ignore: decorator
@inline function slowStateV64(x1: v128, x2: v128, x3: v128, mx: v128): v128 {
  const m = v128.bitselect(k64(ZERO64), mx, f64x2.eq(mx, k64(NEG_INF64)));
  const e1 = fdExpV(f64x2.sub(x1, m));
  const e2 = fdExpV(f64x2.sub(x2, m));
  const e3 = fdExpV(f64x2.sub(x3, m));
  return f64x2.add(fdLogV(f64x2.add(f64x2.add(e1, e2), e3)), m);
}

/** stateV for two float64 states. */
// @ts-ignore: decorator
@inline function stateV64(x1: v128, x2: v128, x3: v128, care: v128): v128 {
  let mx = x1;
  mx = v128.bitselect(x2, mx, f64x2.gt(x2, mx));
  mx = v128.bitselect(x3, mx, f64x2.gt(x3, mx));
  const isX1 = f64x2.eq(mx, x1);
  const isX1or2 = v128.or(isX1, f64x2.eq(mx, x2));
  const a = v128.bitselect(x2, x1, isX1);
  const b = v128.bitselect(x3, x2, isX1or2);
  // where mx is finite (the lanes this result is used for) the terms are <= 0 (or NaN) and the sum in [1, 3] (or NaN)
  const ea = fdExpNonPositiveV(f64x2.sub(a, mx));
  const eb = fdExpNonPositiveV(f64x2.sub(b, mx));
  const sum = v128.bitselect(f64x2.add(f64x2.add(k64(ONE64), ea), eb), f64x2.add(f64x2.add(ea, eb), k64(ONE64)), isX1or2);
  const finite = f64x2.eq(f64x2.sub(mx, mx), k64(ZERO64));
  const none = v128.and(v128.and(f64x2.eq(mx, k64(NEG_INF64)), f64x2.eq(x2, k64(NEG_INF64))), f64x2.eq(x3, k64(NEG_INF64)));
  // log(1) is 0 in fdlibm's log too
  const v = v128.bitselect(k64(NEG_INF64), f64x2.add(fdLogOneToThreeV(sum), mx), none);
  if (!v128.any_true(v128.andnot(v128.andnot(care, finite), none))) return v;
  return v128.bitselect(v, slowStateV64(x1, x2, x3, mx), v128.or(finite, none));
}

/** lp[lpt + ext[s]], lp[lpt + ext[s + 1]]. */
// @ts-ignore: decorator
@inline function lpGather64(lp: usize, lpt: i32, ext: usize, s: i32): v128 {
  const row = lp + (<usize>lpt << 3);
  const v = v128.load64_zero(row + (<usize>i32At(ext, s) << 3));
  return v128.load64_lane(row + (<usize>i32At(ext, s + 1) << 3), v, 1);
}

/** alphaRows32 for float64, two states at a time (one value written past a row's states at most). */
function alphaRows64(la: usize, row0: i32, stride: i32, n: i32, il: i32, ext: usize, a3: usize, lp: usize, lpb: i32, NC: i32, banded: bool): void {
  for (let t = 1; t < il; t++) {
    const prev = row0 + (t - 1) * stride + 1;
    const cur = prev + stride;
    f64Put(la, cur - 1, -Infinity);
    const lpt = lpb + t * NC;
    const s0 = banded ? max(0, n - 2 - 2 * (il - 1 - t)) : 0;
    const end = banded ? min(n, 2 * t + 2) : n;
    for (let s = s0; s < end; s += 2) {
      const x1 = v64At(la, prev + s);
      const x2 = v64At(la, prev + s - 1);
      const x3 = v128.bitselect(k64(NEG_INF64), v64At(la, prev + s - 2), mask64(a3, s));
      const care = i64x2.lt_s(i64x2.add(i64x2.splat(s), v128.load(IOTA64)), i64x2.splat(end));
      v128.store(la + (<usize>(cur + s) << 3), f64x2.add(stateV64(x1, x2, x3, care), lpGather64(lp, lpt, ext, s)));
    }
    for (let s = max(s0, end); s < n; s++) f64Put(la, cur + s, -Infinity);
  }
}

function nllLogAdd64(a: f64, b: f64): f64 {
  let m = a < b ? b : a;
  if (m == -Infinity) m = 0;
  const d1 = a - m;
  const d2 = b - m;
  const e1: f64 = d1 == 0 ? 1 : d1 == -Infinity ? 0 : fdExp(d1);
  const e2: f64 = d2 == 0 ? 1 : d2 == -Infinity ? 0 : fdExp(d2);
  return fdLog(e1 + e2) + m;
}

/** forward32 for float64. */
export function forward64(
  lp: usize, T: i32, N: i32, C: i32, blank: i32, labels: usize, offsets: usize, inputLengths: usize, targetLengths: usize,
  stride: i32, banded: bool, la: usize, nll: usize, ext: usize, a3: usize, b3: usize,
): void {
  const NC = N * C;
  for (let b = 0; b < N; b++) {
    const il = i32At(inputLengths, b);
    const tl = i32At(targetLengths, b);
    const row0 = b * T * stride;
    for (let i = 0; i < stride; i++) f64Put(la, row0 + i, -Infinity);
    if (il == 0) {
      f64Put(nll, b, tl == 0 ? -0.0 : Infinity);
      continue;
    }
    const n = extendedLabels(tl, labels, i32At(offsets, b), blank, ext, a3, b3);
    const lpb = b * C;
    f64Put(la, row0 + 1, f64At(lp, lpb + blank));
    if (tl > 0) f64Put(la, row0 + 2, f64At(lp, lpb + i32At(ext, 1)));
    alphaRows64(la, row0, stride, n, il, ext, a3, lp, lpb, NC, banded);
    const last = row0 + (il - 1) * stride + 1;
    f64Put(nll, b, tl == 0 ? -f64At(la, last) : -nllLogAdd64(f64At(la, last + 2 * tl), f64At(la, last + 2 * tl - 1)));
  }
}

/** betaRows32 for float64, two states at a time (row t at t stride; the one value past s1 is at most the pad, written after). */
function betaRows64(lb: usize, stride: i32, n: i32, il: i32, ext: usize, b3: usize, lp: usize, lpb: i32, NC: i32, banded: bool): void {
  for (let t = il - 2; t >= 0; t--) {
    const cur = t * stride;
    const next = cur + stride;
    const lpt = lpb + t * NC;
    const s1 = banded ? min(n - 1, 2 * t + 1) : n - 1;
    const start = banded ? max(0, n - 2 - 2 * (il - 1 - t)) : 0;
    for (let s = start; s <= s1; s += 2) {
      const x1 = v64At(lb, next + s);
      const x2 = v64At(lb, next + s + 1);
      const x3 = v128.bitselect(k64(NEG_INF64), v64At(lb, next + s + 2), mask64(b3, s));
      const care = i64x2.le_s(i64x2.add(i64x2.splat(s), v128.load(IOTA64)), i64x2.splat(s1));
      v128.store(lb + (<usize>(cur + s) << 3), f64x2.add(stateV64(x1, x2, x3, care), lpGather64(lp, lpt, ext, s)));
    }
    for (let s = min(start, s1 + 1) - 1; s >= 0; s--) f64Put(lb, cur + s, -Infinity);
    f64Put(lb, cur + n, -Infinity);
  }
}

function slowLogAdd64(a: f64, b: f64): f64 {
  const m = a < b ? b : a;
  const d1 = a - m;
  const d2 = b - m;
  const e1: f64 = d1 == 0 ? 1 : d1 == -Infinity ? 0 : fdExp(d1);
  const e2: f64 = d2 == 0 ? 1 : d2 == -Infinity ? 0 : fdExp(d2);
  return fdLog(e1 + e2) + m;
}

function gradLogAdd64(lb: usize, la: usize, row0: i32, stride: i32, n: i32, il: i32, ext: usize, grad: usize, lpb: i32, NC: i32, banded: bool): void {
  for (let t = il - 2; t >= 0; t--) {
    const cur = t * stride;
    const lpt = lpb + t * NC;
    const arow = row0 + cur + 1;
    const s0 = banded ? max(0, n - 2 - 2 * (il - 1 - t)) : 0;
    const s1 = banded ? min(n - 1, 2 * t + 1) : n - 1;
    for (let s = s1; s >= s0; s--) {
      const ab = f64At(la, arow + s) + f64At(lb, cur + s);
      const gi = lpt + i32At(ext, s);
      const lcab = f64At(grad, gi);
      if (lcab == -Infinity) {
        f64Put(grad, gi, ab);
      } else {
        const m = lcab < ab ? ab : lcab;
        if (m - m == 0) {
          const e = exp64((m == lcab ? ab : lcab) - m);
          const sum: f64 = 1 + e;
          f64Put(grad, gi, (sum == 1 ? 0 : fdLog(sum)) + m);
        } else {
          f64Put(grad, gi, slowLogAdd64(lcab, ab));
        }
      }
    }
  }
}

function finishGrad64(grad: usize, lp: usize, lpb: i32, il: i32, C: i32, NC: i32, nll: f64, g: f64): void {
  const nllv = f64x2.splat(nll);
  const gv = f64x2.splat(g);
  for (let t = 0; t < il; t++) {
    const row = lpb + t * NC;
    let c = row;
    for (const end = row + C - 1; c < end; c += 2) {
      const lpv = v64At(lp, c);
      const d = f64x2.sub(f64x2.add(v64At(grad, c), nllv), lpv);
      v128.store(grad + (<usize>c << 3), f64x2.mul(f64x2.sub(fdExpV(lpv), fdExpV(d)), gv));
    }
    for (; c < row + C; c++) {
      const lpv = f64At(lp, c);
      const d = f64At(grad, c) + nll - lpv;
      f64Put(grad, c, (exp64(lpv) - exp64(d)) * g);
    }
  }
}

/** backward32 for float64. */
export function backward64(
  lp: usize, T: i32, N: i32, C: i32, blank: i32, labels: usize, offsets: usize, inputLengths: usize, targetLengths: usize,
  stride: i32, banded: bool, zeroInfinity: bool, la: usize, nll: usize, gr: usize, grad: usize, lb: usize, ext: usize, a3: usize, b3: usize,
): void {
  const NC = N * C;
  memory.fill(grad, 0, <usize>T * <usize>NC << 3);
  for (let b = 0; b < N; b++) {
    const nllb = f64At(nll, b);
    const lpb = b * C;
    if (zeroInfinity && nllb == Infinity) continue;
    const il = i32At(inputLengths, b);
    if (il == 0) continue;
    const tl = i32At(targetLengths, b);
    const n = extendedLabels(tl, labels, i32At(offsets, b), blank, ext, a3, b3);
    const row0 = b * T * stride;
    for (let t = 0; t < il; t++) {
      const at = lpb + t * NC;
      for (let c = 0; c < C; c++) f64Put(grad, at + c, -Infinity);
    }
    const lastB = (il - 1) * stride;
    const lastA = row0 + lastB + 1;
    for (let i = 0; i < stride; i++) f64Put(lb, lastB + i, -Infinity);
    const lpt = lpb + (il - 1) * NC;
    f64Put(lb, lastB + 2 * tl, f64At(lp, lpt + blank));
    f64Put(grad, lpt + blank, f64At(la, lastA + 2 * tl) + f64At(lb, lastB + 2 * tl));
    if (tl > 0) {
      const label = i32At(ext, 2 * tl - 1);
      f64Put(lb, lastB + 2 * tl - 1, f64At(lp, lpt + label));
      f64Put(grad, lpt + label, f64At(la, lastA + 2 * tl - 1) + f64At(lb, lastB + 2 * tl - 1));
    }
    betaRows64(lb, stride, n, il, ext, b3, lp, lpb, NC, banded);
    gradLogAdd64(lb, la, row0, stride, n, il, ext, grad, lpb, NC, banded);
    finishGrad64(grad, lp, lpb, il, C, NC, nllb, f64At(gr, b));
  }
}

/** The first byte JS may use for arrays: everything above the module's static data. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}
