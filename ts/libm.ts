// The float32 exp and log that torch's CPU kernels call, bit for bit.
//
// ATen's Vectorized<float>::exp() / log() are SLEEF's Sleef_expf8_u10 / Sleef_logf8_u10 under
// ATEN_CPU_CAPABILITY=avx2 (expf16 / logf16 under avx512: the same algorithm lane by lane), and
// std::exp / std::log (glibc's expf / logf) under 'default' and in the kernels' scalar tails. None
// of them is correctly rounded: measured on 6e6 arguments, fround(Math.exp(x)) differs from SLEEF's
// expf8_u10 for 8.3% of them and from glibc's expf for 0.05%; Math.log from SLEEF's logf for 0.28%
// and glibc's logf for 0.17% (the same under torch 1.7, 1.13, 2.6 and 2.14). So they are ported:
//
// - sleefExpf / sleefLogf: SLEEF's xexpf and xlogf_u1 (src/libm/sleefsimdsp.c) as the AVX2 build
//   compiles them, every vmla a fused multiply-add (ENABLE_FMA_SP), the df* double-float helpers
//   of src/common/df.h's FMA branch. Float32 arithmetic: fround after each op, fma32 rounds once.
// - glibcExpf / glibcLogf: glibc's expf / logf (sysdeps/ieee754/flt-32/e_expf.c, e_logf.c, from
//   Arm's optimized-routines): double arithmetic rounded to float at the end, with the tables of
//   e_exp2f_data.c / e_logf_data.c. The FMA build (what an AVX2 machine runs) rounds two expf
//   arguments otherwise; they are listed.
//
// Checked bit for bit against the libraries (Debian's libsleef 3.5.1 and glibc 2.36, through a C
// harness): every float32 in [-104, 0] (expf, every third one) and [1, 2^24] (logf), and every
// 4099th bit pattern of the whole range; test/libm.test.ts keeps spot values. Used by ./softmax.ts
// (log_softmax) and ./unary-ops.ts (the pointwise exp / log of kl_div and poisson_nll_loss).
//
// - sleefLog1pf: SLEEF's xlog1pf (Vectorized<float>::log1p: log_sigmoid's, soft_margin_loss's), in
//   the two versions torch links: before SLEEF 3.8 (inf above 1e38) and after (logf there). Checked
//   against libsleef 3.6.1 (Debian torch 2.6's; 3.5.1 equals it on all 2^32 arguments) and 3.9.0
//   (torch 2.14's) on every float32 in [0, 1] and [-1, -0.125] and every 31st bit pattern.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const u64 = new Uint32Array(f64.buffer); // [low, high] on little-endian hosts (every engine this runs on)
const fr = Math.fround;

/** A C hexadecimal floating literal ('-0x1.57bf7808caadep-2') as the double it denotes. */
function hexFloat(literal: string): number {
  const m = /^(-?)0x([0-9a-f])(?:\.([0-9a-f]*))?p([+-]?\d+)$/i.exec(literal);
  if (!m) throw new Error(`hexFloat: ${literal}`);
  const digits = m[3] ?? '';
  const mantissa = parseInt(m[2]! + digits, 16); // at most 53 bits: exact
  return (m[1] ? -1 : 1) * mantissa * 2 ** (Number(m[4]) - 4 * digits.length);
}

/** The float32 whose bits are `bits`. */
function fromBits(bits: number): number {
  u32[0] = bits;
  return f32[0]!;
}

/** The bits of a float32 value. */
function bitsOf(x: number): number {
  f32[0] = x;
  return u32[0]!;
}

/**
 * fma(a, b, c) for doubles (vfmadd*pd; pairwise_distance's and cosine_similarity's norm tails):
 * Dekker's exact product and a two-sum, then one addition, which rounds once in all but contrived
 * double-rounding cases.
 */
export function fma64(a: number, b: number, c: number): number {
  const p = a * b;
  if (!Number.isFinite(p) || !Number.isFinite(c) || p === 0) return p + c;
  // Dekker's split of a and b into 26-bit halves, in locals (an array per call cost pairwise
  // distance's float64 lanes 40x: measured by triplet-perf)
  let t = 134217729 * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = 134217729 * b;
  const bh = t - (t - b);
  const bl = b - bh;
  const e = ah * bh - p + ah * bl + al * bh + al * bl;
  const s = p + c;
  const bb = s - p;
  const u = p - (s - bb) + (c - bb);
  return s + (u + e);
}

/**
 * fma(a, b, c) for float32 a, b, c, rounded once to float32 (vfmadd*ps). a * b is exact in double;
 * a * b + c rounded to double and then to float32 rounds twice, which differs from one rounding
 * only where the double lands exactly on a float32 midpoint without being exact.
 */
export function fma32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const f = fr(s);
  if (f === s || s !== s || f === Infinity || f === -Infinity) return f;
  // Is s a midpoint between two float32 neighbours? Then t = 2 s - f (exact in double: f + 2 (s - f),
  // within 53 bits) is the other one, a float32; otherwise t lies strictly between f and it.
  const t = 2 * s - f;
  if (fr(t) !== t) return f;
  const bb = s - p;
  const err = p - (s - bb) + (c - bb);
  if (err === 0) return f;
  // The exact value lies beyond s in the direction of err: take the neighbour on that side.
  return err > 0 === f > s ? f : t;
}

/** 2^k for k in [-200, 199]: exact, and a table read is cheaper than ** or building the bits. */
const POW2 = new Float64Array(400);
for (let k = -200; k < 200; k++) POW2[k + 200] = 2 ** k;

// SLEEF's float literals, as the float32 words they denote.
const R_LN2F = fromBits(0x3fb8aa3b); // 1 / ln 2
const L2UF = fromBits(0x3f317200); // ln 2, upper bits
const L2LF = fromBits(0x35bfbe8e); // ln 2, lower bits
const E0 = fromBits(0x39502bda); // 0.000198527617612853646278381f
const E1 = fromBits(0x3ab696c9); // 0.00139304355252534151077271f
const E2 = fromBits(0x3c0888a6); // 0.00833336077630519866943359f
const E3 = fromBits(0x3d2aaa7a); // 0.0416664853692054748535156f
const E4 = fromBits(0x3e2aaaab); // 0.166666671633720397949219f

// C_i = 1.5 * 2^(e_i + 29), E_i's binade [2^e_i, 2^(e_i+1)) (e = -10, -7, -5, -3), and E_i + C_i (exact)
const EXP_C1 = 786432;
const EXP_C2 = 6291456;
const EXP_C3 = 25165824;
const EXP_C4 = 100663296;
const E1C = E1 + EXP_C1;
const E2C = E2 + EXP_C2;
const E3C = E3 + EXP_C3;
const E4C = E4 + EXP_C4;

/** SLEEF xexpf (Sleef_expf8_u10 on AVX2, expf16_u10 on AVX-512) of a float32. */
export function sleefExpf(d: number): number {
  // The masks first (as the kernel's last two selects): below -104 +0 (-inf included), above 100 inf.
  if (!(d >= -104)) return d !== d ? d : 0;
  if (d > 100) return Infinity;
  // q = vrint_vi2_vf(d * R_LN2f): |d * R_LN2f| <= 151, so adding 1.5 * 2^52 rounds it to nearest even.
  const q = fr(d * R_LN2F) + 6755399441055744 - 6755399441055744;
  let s = fr(d - q * L2UF); // fma(q, -L2U, d): q L2U is exact (a float32), and so is the double difference
  s = fma32(q, -L2LF, s);
  // fma(u, s, E_i), i = 1 ... 4, rounded once in two double additions, as the kernels' sleefExpStep:
  // u s + E_i stays in E_i's binade (|s| <= 0.3466), where E_i + C_i's double step is float32's.
  let u = E0 * s + E1C - EXP_C1;
  u = u * s + E2C - EXP_C2;
  u = u * s + E3C - EXP_C3;
  u = u * s + E4C - EXP_C4;
  u = fma32(u, s, 0.5);
  u = fr(1 + fma32(fr(s * s), u, s));
  const h = q >> 1;
  return fr(fr(u * POW2[h + 200]!) * POW2[q - h + 200]!); // vldexp2_vf_vf_vi2: u * 2^(q >> 1) * 2^(q - (q >> 1))
}

const FLT_MIN = 1.1754943508222875e-38;
const TWO64 = 2 ** 64;
const INV075 = fr(1 / 0.75);
const LN2_HI = fromBits(0x3f317218); // 0.69314718246459960938f
const LN2_LO = fromBits(0xb102e308); // -1.904654323148236017e-09f
const L0 = fromBits(0x3e9aff5c); // 0.3027294874f
const L1 = fromBits(0x3ecc99ca); // 0.3996108174f
const L2 = fromBits(0x3f2aaada); // 0.6666694880f

/** SLEEF xlogf_u1 (Sleef_logf8_u10 on AVX2, logf16_u10 on AVX-512) of a float32. */
export function sleefLogf(d0: number): number {
  const o = d0 < FLT_MIN;
  const d = o ? fr(d0 * TWO64) : d0;
  let e = ((bitsOf(fr(d * INV075)) >>> 23) & 0xff) - 0x7f; // vilogb2k_vi2_vf
  const m = fromBits((bitsOf(d) + (-e << 23)) >>> 0); // vldexp3_vf_vf_vi2
  if (o) e -= 64;
  const ef = fr(e);
  // s = dfmul_vf2_vf2_vf((LN2_HI, LN2_LO), e)
  let sx = fr(LN2_HI * ef);
  let sy = fma32(LN2_LO, ef, fma32(LN2_HI, ef, -sx));
  // n = dfadd2_vf2_vf_vf(-1, m), dd = dfadd2_vf2_vf_vf(1, m)
  let t1 = fr(-1 + m);
  let v = fr(t1 - -1);
  const nx = t1;
  const ny = fr(fr(-1 - fr(t1 - v)) + fr(m - v));
  t1 = fr(1 + m);
  v = fr(t1 - 1);
  const dx = t1;
  const dy = fr(fr(1 - fr(t1 - v)) + fr(m - v));
  // x = dfdiv_vf2_vf2_vf2(n, dd)
  const t = fr(1 / dx);
  const xx = fr(nx * t);
  const u = fma32(t, nx, -xx);
  const w = fma32(-dy, t, fma32(-dx, t, 1));
  const xy = fma32(xx, w, fma32(ny, t, u));
  const x2 = fr(xx * xx);
  let p = fma32(L0, x2, L1);
  p = fma32(p, x2, L2);
  // s = dfadd_vf2_vf2_vf2(s, dfscale(x, 2))
  const ax = fr(xx * 2);
  const ay = fr(xy * 2);
  let ss = fr(sx + ax);
  sy = fr(fr(fr(fr(sx - ss) + ax) + sy) + ay);
  sx = ss;
  // s = dfadd_vf2_vf2_vf(s, x2 * x * t)
  const b = fr(fr(x2 * xx) * p);
  ss = fr(sx + b);
  sy = fr(fr(fr(sx - ss) + b) + sy);
  let r = fr(ss + sy);
  if (d === Infinity) r = Infinity;
  if (d < 0 || d !== d) r = NaN;
  if (d === 0) r = -Infinity;
  return r;
}

const LOG1P_OVERFLOW = fromBits(0x7e967699); // 1e38f: SLEEF's log1pf bound
/** dfmul_vf2_vf2_vf((LN2_HI, LN2_LO), e) for e = -127 ... 128 (at e + 127): sx, sy. */
const LOG1P_E_LN2 = new Float64Array(2 * 256);
for (let e = -127; e <= 128; e++) {
  const sx = fr(LN2_HI * e);
  LOG1P_E_LN2[2 * (e + 127)] = sx;
  LOG1P_E_LN2[2 * (e + 127) + 1] = fma32(LN2_LO, e, LN2_HI * e - sx); // the inner fma exact: a float32 product's error
}

/**
 * SLEEF xlog1pf (Sleef_log1pf8_u10 on AVX2, log1pf16_u10 on AVX-512: the two agree with the FMA
 * scalar build on all 2^32 arguments) of a float32: log(1 + d) as e ln 2 + 2 atanh(m / (2 + m)),
 * 1 + d = 2^e (1 + m), in double-float (df.h's FMA branch). `overflows`: SLEEF before 3.8 returns
 * inf above 1e38 (its bound); 3.8 (sleef#606) returns xlogf_u1(d) there instead. The FMAs whose
 * exact value a double holds (d t + (t - 1), the errors of a float32 product and of the reciprocal)
 * round once from it; e ln 2 comes from a table.
 */
export function sleefLog1pf(d0: number, overflows: boolean): number {
  const d = fr(d0); // a float32 argument (the loops pass float32 values: a no-op there)
  if (d > LOG1P_OVERFLOW) return overflows ? Infinity : sleefLogf(d);
  if (!(d > -1)) return d === -1 ? -Infinity : NaN; // below -1 and NaN
  // 1 + d >= 2^-24 here (exact near -1), so SLEEF's 2^64 rescaling below FLT_MIN never applies
  const e = ((bitsOf(fr(fr(d + 1) * INV075)) >>> 23) & 0xff) - 0x7f; // vilogb2k_vi2_vf
  const t = POW2[200 - e]!; // vldexp3_vf_vf_vi2(1, -e)
  const m = fr(d * t + fr(t - 1)); // fma(d, t, t - 1): d t is exact (t a power of two), and so is the double sum
  // s = dfmul_vf2_vf2_vf((LN2_HI, LN2_LO), e)
  let sx = LOG1P_E_LN2[2 * (e + 127)]!;
  let sy = LOG1P_E_LN2[2 * (e + 127) + 1]!;
  // x = dfdiv_vf2_vf2_vf2((m, 0), dfadd_vf2_vf_vf(2, m))
  const dx = fr(2 + m);
  const dy = fr(fr(2 - dx) + m);
  const q = fr(1 / dx);
  const xx = fr(m * q);
  const u = fr(q * m - xx); // fma(q, m, -xx): exact in double, rounded for a subnormal m; fma(0, q, u) is u (never -0)
  const w = fma32(-dy, q, 1 - dx * q); // fma(-dx, q, 1) exact
  const xy = fma32(xx, w, u);
  const x2 = fr(xx * xx);
  let p = fma32(L0, x2, L1);
  p = fma32(p, x2, L2);
  // s = dfadd_vf2_vf2_vf2(s, dfscale(x, 2))
  const ax = xx * 2;
  const ay = xy * 2;
  let ss = fr(sx + ax);
  sy = fr(fr(fr(fr(sx - ss) + ax) + sy) + ay);
  sx = ss;
  // s = dfadd_vf2_vf2_vf(s, x2 * x * t)
  const b = fr(fr(x2 * xx) * p);
  ss = fr(sx + b);
  sy = fr(fr(fr(sx - ss) + b) + sy);
  const r = fr(ss + sy);
  return d === 0 ? d : r; // +-0 themselves
}

/** sleefLog1pf of SLEEF before 3.8: inf above 1e38. */
export function sleefLog1pfOverflowing(d: number): number {
  return sleefLog1pf(d, true);
}

/** sleefLog1pf of SLEEF 3.8 and later: xlogf_u1 above 1e38. */
export function sleefLog1pfBounded(d: number): number {
  return sleefLog1pf(d, false);
}

// glibc expf: 2^(i/32) for i < 32 (e_exp2f_data.c's words, their i << 47 put back), the scaled
// polynomial, 32 / ln 2 and the rounding shift.
const EXP2F_WORDS = [
  0x3ff00000, 0x00000000, 0x3fefd9b0, 0xd3158574, 0x3fefb558, 0x6cf9890f, 0x3fef9301, 0xd0125b51, 0x3fef72b8, 0x3c7d517b, 0x3fef5487,
  0x3168b9aa, 0x3fef387a, 0x6e756238, 0x3fef1e9d, 0xf51fdee1, 0x3fef06fe, 0x0a31b715, 0x3feef1a7, 0x373aa9cb, 0x3feedea6, 0x4c123422,
  0x3feece08, 0x6061892d, 0x3feebfda, 0xd5362a27, 0x3feeb42b, 0x569d4f82, 0x3feeab07, 0xdd485429, 0x3feea47e, 0xb03a5585, 0x3feea09e,
  0x667f3bcd, 0x3fee9f75, 0xe8ec5f74, 0x3feea114, 0x73eb0187, 0x3feea589, 0x994cce13, 0x3feeace5, 0x422aa0db, 0x3feeb737, 0xb0cdc5e5,
  0x3feec491, 0x82a3f090, 0x3feed503, 0xb23e255d, 0x3feee89f, 0x995ad3ad, 0x3feeff76, 0xf2fb5e47, 0x3fef199b, 0xdd85529c, 0x3fef3720,
  0xdcef9069, 0x3fef5818, 0xdcfba487, 0x3fef7c97, 0x337b9b5f, 0x3fefa4af, 0xa2a490da, 0x3fefd076, 0x5b6e4540,
];
const EXP2F_TABLE = new Float64Array(32);
for (let i = 0; i < 32; i++) {
  u64[1] = (EXP2F_WORDS[2 * i]! + (i << 15)) >>> 0; // i << 47 is i << 15 in the high word
  u64[0] = EXP2F_WORDS[2 * i + 1]!;
  EXP2F_TABLE[i] = f64[0]!;
}
const INVLN2N = hexFloat('0x1.71547652b82fep+0') * 32;
const SHIFT = hexFloat('0x1.8p+52');
const C0 = hexFloat('0x1.c6af84b912394p-5') / 32 / 32 / 32;
const C1 = hexFloat('0x1.ebfce50fac4f3p-3') / 32 / 32;
const C2 = hexFloat('0x1.62e42ff0c52d6p-1') / 32;
const EXPF_OVERFLOW = hexFloat('0x1.62e42ep6'); // log(0x1p128)
const EXPF_UNDERFLOW = hexFloat('-0x1.9fe368p6'); // log(0x1p-150)
// The two arguments where glibc's FMA build of expf rounds otherwise than plain double arithmetic
// (its results, read from glibc 2.36).
const EXPF_FMA_X1 = fromBits(0x4202422f);
const EXPF_FMA_Y1 = fromBits(0x56fc9f1c);
const EXPF_FMA_X2 = fromBits(0xc27c65d9);
const EXPF_FMA_Y2 = fromBits(0x11fa2993);

/** glibc's expf (std::exp of a float) of a float32. */
export function glibcExpf(x: number): number {
  // One range test on the common path (NaN fails it): then NaN, above, below.
  if (!(x >= EXPF_UNDERFLOW && x <= EXPF_OVERFLOW)) return x !== x ? x : x > 0 ? Infinity : 0;
  if (x === EXPF_FMA_X1) return EXPF_FMA_Y1;
  if (x === EXPF_FMA_X2) return EXPF_FMA_Y2;
  const z = INVLN2N * x;
  let kd = z + SHIFT;
  kd -= SHIFT;
  const r = z - kd;
  const ki = kd | 0; // |kd| <= 32 * 150: an int32
  const s = EXP2F_TABLE[ki & 31]! * POW2[(ki >> 5) + 200]!; // T[ki % N] + (ki << 47): 2^(i/32) * 2^(k >> 5)
  const zz = C0 * r + C1;
  const r2 = r * r;
  let y = C2 * r + 1;
  y = zz * r2 + y;
  return fr(y * s);
}

// e_logf_data.c: 1/c and log(c) for the 16 subintervals, ln 2 and the polynomial (first coefficient 1).
const LOGF_INVC = Float64Array.from(
  [
    '0x1.661ec79f8f3bep+0',
    '0x1.571ed4aaf883dp+0',
    '0x1.49539f0f010bp+0',
    '0x1.3c995b0b80385p+0',
    '0x1.30d190c8864a5p+0',
    '0x1.25e227b0b8eap+0',
    '0x1.1bb4a4a1a343fp+0',
    '0x1.12358f08ae5bap+0',
    '0x1.0953f419900a7p+0',
    '0x1p+0',
    '0x1.e608cfd9a47acp-1',
    '0x1.ca4b31f026aap-1',
    '0x1.b2036576afce6p-1',
    '0x1.9c2d163a1aa2dp-1',
    '0x1.886e6037841edp-1',
    '0x1.767dcf5534862p-1',
  ].map(hexFloat),
);
const LOGF_LOGC = Float64Array.from(
  [
    '-0x1.57bf7808caadep-2',
    '-0x1.2bef0a7c06ddbp-2',
    '-0x1.01eae7f513a67p-2',
    '-0x1.b31d8a68224e9p-3',
    '-0x1.6574f0ac07758p-3',
    '-0x1.1aa2bc79c81p-3',
    '-0x1.a4e76ce8c0e5ep-4',
    '-0x1.1973c5a611cccp-4',
    '-0x1.252f438e10c1ep-5',
    '0x0p+0',
    '0x1.aa5aa5df25984p-5',
    '0x1.c5e53aa362eb4p-4',
    '0x1.526e57720db08p-3',
    '0x1.bc2860d22477p-3',
    '0x1.1058bc8a07ee1p-2',
    '0x1.4043057b6ee09p-2',
  ].map(hexFloat),
);
const LOGF_LN2 = hexFloat('0x1.62e42fefa39efp-1');
const A0 = hexFloat('-0x1.00ea348b88334p-2');
const A1 = hexFloat('0x1.5575b0be00b6ap-2');
const A2 = hexFloat('-0x1.ffffef20a4123p-2');
const i32 = new Int32Array(f32.buffer); // the bits as a signed int32: glibcLogf stays in int32 arithmetic

/** glibc's logf (std::log of a float) of a float32. */
export function glibcLogf(x: number): number {
  f32[0] = x;
  let ix = i32[0]!; // negative for a set sign bit
  if (ix === 1065353216) return 0;
  if (ix < 8388608 || ix >= 2139095040) {
    if ((ix & 2147483647) === 0) return -Infinity;
    if (ix === 2139095040) return x;
    if (ix < 0 || ix >= 2139095040) return NaN;
    f32[0] = fr(x * 8388608); // subnormal: normalize
    ix = i32[0]! - (23 << 23);
  }
  const tmp = (ix - 1060306944) | 0;
  const i = (tmp >>> 19) & 15;
  const k = tmp >> 23;
  i32[0] = ix - (tmp & -8388608);
  const z = f32[0]!;
  const r = z * LOGF_INVC[i]! - 1;
  const y0 = LOGF_LOGC[i]! + k * LOGF_LN2;
  const r2 = r * r;
  let y = A1 * r + A2;
  y = A0 * r2 + y;
  y = y * r2 + (y0 + r);
  return fr(y);
}
