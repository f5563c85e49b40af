// wasm-variant: fma
// AssemblyScript, compiled by `npm run build:wasm` into ../distance-binary.ts (and, with relaxed SIMD,
// ../distance-fma-binary.ts: the line above asks for it), loaded by ../distance.ts: float32 SIMD loops
// of pairwise_distance's p = 2 norm over the last dim and of triplet_margin_loss's whole backward
// (and, in the plain build, their float64 twins: the float64 section at the end).
// Each f32x4 operation is one float32 op of ATen's in the order ../../pairwise-distance.ts and
// ../../losses/triplet_margin_loss.ts compute it (those JS loops are the reference these are tested
// against, and run for float64 and every layout these do not take), so every lane rounds where torch
// rounds:
//   diff = (x1 - x2) + eps;  the norm: binary_kernel_reduce_lastdim's Vectorized lanes (8, or 16 for
//   the AVX-512 kernels) accumulating diff * diff (two roundings; one fused multiply-add per lane in
//   Debian's 1.13: FUSED_LANES), the lanes folded into lane 0 in order, the scalar tail added to it
//   (whole groups of 4 squares as plain products, the last (tail % 4) fused: FUSED_TAIL), then sqrt.
// A fused multiply-add is f32x4.relaxed_madd in the relaxed-SIMD build, which ../distance.ts loads only
// where ../module.ts relaxedSimdFused() has proven it rounds once; the plain build computes it in
// float64 (the square is exact there, so only the sum rounds, and then to float32: twice), checks
// each lane's float64 sum for a float32 rounding midpoint (or a float32 subnormal) where rounding
// twice can differ from once, and redoes such a row with the exact scalar fma. The module allocates
// nothing: the JS side places a call's arrays above heapBase().
//
// The memory starts at 4 MiB (lazily backed by the OS): calls of up to ~4e5 float32 elements an operand
// never grow it. A grow detaches the old buffer, which slows every JS typed-array loop of the
// process from then on (V8's detach protector; ../../../scripts/build-wasm.ts).
// wasm-initial-pages: 64

// @ts-ignore: decorator
@inline function k(at: usize): v128 {
  return v128.load32_splat(at);
}

// @ts-ignore: decorator
@inline function k64(at: usize): v128 {
  return v128.load64_splat(at);
}

const ZERO: usize = memory.data<f32>([0]);
/** A float64's bits below a float32's last bit, and the pattern of a float32 rounding midpoint. */
const BELOW_FLOAT: usize = memory.data<i64>([0x1fffffff]);
const MIDPOINT: usize = memory.data<i64>([0x10000000]);
const FLT_MIN64: usize = memory.data<f64>([1.1754943508222875e-38]);

/** flags */
export const FUSED_LANES = 1; // flag: the lanes' x * x + acc is one fused multiply-add (Debian's 1.13)
export const FUSED_TAIL = 2; // flag: the tail's last (tail % 4) squares are fused into the sum (not under 'default')
export const LANES16 = 4; // flag: 16 lanes (the AVX-512 kernels), else 8
export const OLD_ORDER = 8; // flag: triplet's (d_pos - d_neg) + margin (triplet_margin_with_distance_loss before 2.0), else (d_pos + margin) - d_neg
export const STRICT = 16; // flag: the clamp passes the gradient where its input > 0 (torch 2.14's clamp_min), else >= 0
export const PER_ROW = 32; // flag: reduction 'none': the gradient of each row's loss at go, else g for every row
export const EXACT_LANES = 64; // flag: (tests) the plain build redoes every fused row with the exact scalar fma, as for a flagged one

// @ts-ignore: decorator
@inline function highHalf(v: v128): v128 {
  return v128.shuffle<f32>(v, v, 2, 3, 0, 1);
}

// @ts-ignore: decorator
@inline function joinHalves(lo: v128, hi: v128): v128 {
  return v128.shuffle<f32>(lo, hi, 0, 1, 4, 5);
}

/** fmaf(a, b, c) rounded once, for float32 scalars (what ../../libm.ts fma32 computes). */
function fma32(a: f32, b: f32, c: f32): f32 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.extract_lane(f32x4.relaxed_madd(f32x4.splat(a), f32x4.splat(b), f32x4.splat(c)), 0);
  }
  const p = <f64>a * <f64>b;
  const s = p + <f64>c;
  const f = <f32>s;
  if (<f64>f == s || s != s || f == Infinity || f == -Infinity) return f;
  const bb = s - p;
  const err = p - (s - bb) + (<f64>c - bb);
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
  // the exact value lies beyond s in the direction of err: the float32 neighbour on that side
  return err > 0 == <f64>f > s ? f : <f32>(2 * s - <f64>f);
}

/** The plain build's midpoint check: set when some lane's float64 sum may round otherwise twice than once. */
let inexactTwice: v128 = i64x2.splat(0);

/** acc + v * v rounded once, lane by lane (plain build: in float64, noting where twice may differ). */
// @ts-ignore: decorator
@inline function madd2(v: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(v, v, acc);
  const vl = f64x2.promote_low_f32x4(v);
  const vh = f64x2.promote_low_f32x4(highHalf(v));
  const sl = f64x2.add(f64x2.mul(vl, vl), f64x2.promote_low_f32x4(acc));
  const sh = f64x2.add(f64x2.mul(vh, vh), f64x2.promote_low_f32x4(highHalf(acc)));
  const mask = k64(BELOW_FLOAT);
  const mid = k64(MIDPOINT);
  const tiny = k64(FLT_MIN64);
  const flagged = v128.or(
    v128.or(i64x2.eq(v128.and(sl, mask), mid), i64x2.eq(v128.and(sh, mask), mid)),
    v128.or(f64x2.lt(f64x2.abs(sl), tiny), f64x2.lt(f64x2.abs(sh), tiny)),
  );
  inexactTwice = v128.or(inexactTwice, flagged);
  return joinHalves(f32x4.demote_f64x2_zero(sl), f32x4.demote_f64x2_zero(sh));
}

/** (x1 - x2) + eps of the 4 floats at byte offset `at`. */
// @ts-ignore: decorator
@inline function diff4(x1: usize, x2: usize, at: usize, eps: v128): v128 {
  return f32x4.add(f32x4.sub(v128.load(x1 + at), v128.load(x2 + at)), eps);
}

// @ts-ignore: decorator
@inline function diff1(x1: usize, x2: usize, at: usize, eps: f32): f32 {
  return load<f32>(x1 + at) - load<f32>(x2 + at) + eps;
}

/** The sum of the lanes of v into total, lane 0 first. */
// @ts-ignore: decorator
@inline function fold(total: f32, v: v128): f32 {
  total += f32x4.extract_lane(v, 0);
  total += f32x4.extract_lane(v, 1);
  total += f32x4.extract_lane(v, 2);
  return total + f32x4.extract_lane(v, 3);
}

/** The lanes' sums of one row redone with the exact scalar fma (plain build, a flagged row), folded. */
function exactLanes(x1: usize, x2: usize, vec: i32, lanes: i32, eps: f32): f32 {
  let total: f32 = 0;
  for (let l = 0; l < lanes; l++) {
    let acc: f32 = 0;
    for (let d = l; d < vec; d += lanes) {
      const v = diff1(x1, x2, <usize>d << 2, eps);
      acc = fma32(v, v, acc);
    }
    total = l == 0 ? acc : total + acc;
  }
  return total;
}

/** The p = 2 norm of the row (x1 - x2) + eps of D floats at x1, x2, as ../../pairwise-distance.ts computeNorms. */
// @ts-ignore: decorator
@inline function rowNorm(x1: usize, x2: usize, D: i32, eps: f32, epsv: v128, flags: i32): f32 {
  const lanes = flags & LANES16 ? 16 : 8;
  const vec = D - D % lanes;
  let total: f32;
  if (flags & FUSED_LANES) {
    if (!ASC_FEATURE_RELAXED_SIMD) inexactTwice = i64x2.splat(0);
    let a0 = k(ZERO), a1 = k(ZERO), a2 = k(ZERO), a3 = k(ZERO);
    if (lanes == 8) {
      for (let d = 0; d < vec; d += 8) {
        const at = <usize>d << 2;
        a0 = madd2(diff4(x1, x2, at, epsv), a0);
        a1 = madd2(diff4(x1, x2, at + 16, epsv), a1);
      }
    } else {
      for (let d = 0; d < vec; d += 16) {
        const at = <usize>d << 2;
        a0 = madd2(diff4(x1, x2, at, epsv), a0);
        a1 = madd2(diff4(x1, x2, at + 16, epsv), a1);
        a2 = madd2(diff4(x1, x2, at + 32, epsv), a2);
        a3 = madd2(diff4(x1, x2, at + 48, epsv), a3);
      }
    }
    if (!ASC_FEATURE_RELAXED_SIMD && (v128.any_true(inexactTwice) || flags & EXACT_LANES)) {
      total = exactLanes(x1, x2, vec, lanes, eps);
    } else {
      total = laneSum(a0, a1, a2, a3, lanes);
    }
  } else {
    let a0 = k(ZERO), a1 = k(ZERO), a2 = k(ZERO), a3 = k(ZERO);
    if (lanes == 8) {
      for (let d = 0; d < vec; d += 8) {
        const at = <usize>d << 2;
        const v0 = diff4(x1, x2, at, epsv);
        const v1 = diff4(x1, x2, at + 16, epsv);
        a0 = f32x4.add(a0, f32x4.mul(v0, v0));
        a1 = f32x4.add(a1, f32x4.mul(v1, v1));
      }
    } else {
      for (let d = 0; d < vec; d += 16) {
        const at = <usize>d << 2;
        const v0 = diff4(x1, x2, at, epsv);
        const v1 = diff4(x1, x2, at + 16, epsv);
        const v2 = diff4(x1, x2, at + 32, epsv);
        const v3 = diff4(x1, x2, at + 48, epsv);
        a0 = f32x4.add(a0, f32x4.mul(v0, v0));
        a1 = f32x4.add(a1, f32x4.mul(v1, v1));
        a2 = f32x4.add(a2, f32x4.mul(v2, v2));
        a3 = f32x4.add(a3, f32x4.mul(v3, v3));
      }
    }
    total = laneSum(a0, a1, a2, a3, lanes);
  }
  // the scalar tail: whole groups of 4 as plain products, the rest fused (FUSED_TAIL)
  const plainEnd = vec + ((D - vec) >> 2 << 2);
  for (let d = vec; d < D; d++) {
    const v = diff1(x1, x2, <usize>d << 2, eps);
    total = flags & FUSED_TAIL && d >= plainEnd ? fma32(v, v, total) : total + v * v;
  }
  return Mathf.sqrt(total);
}

/** rowNormPair's second norm (of x1 - x3). */
let pairSecond: f32 = 0;

/**
 * rowNorm of the rows x1 - x2 and x1 - x3 at once (the triplet losses' d(a, p) and d(a, n)): the
 * same ops, the two norms' chains interleaved (each lane's sum waits on its last add: two rows in
 * flight keep the adder busy). Returns the first; the second in pairSecond.
 */
// @ts-ignore: decorator
@inline function rowNormPair(x1: usize, x2: usize, x3: usize, D: i32, eps: f32, epsv: v128, flags: i32): f32 {
  const lanes = flags & LANES16 ? 16 : 8;
  const vec = D - D % lanes;
  let a0 = k(ZERO), a1 = k(ZERO), a2 = k(ZERO), a3 = k(ZERO);
  let b0 = k(ZERO), b1 = k(ZERO), b2 = k(ZERO), b3 = k(ZERO);
  let t1: f32, t2: f32;
  if (flags & FUSED_LANES) {
    if (!ASC_FEATURE_RELAXED_SIMD) inexactTwice = i64x2.splat(0);
    if (lanes == 8) {
      for (let d = 0; d < vec; d += 8) {
        const at = <usize>d << 2;
        const u0 = v128.load(x1 + at);
        const u1 = v128.load(x1 + at, 16);
        a0 = madd2(f32x4.add(f32x4.sub(u0, v128.load(x2 + at)), epsv), a0);
        b0 = madd2(f32x4.add(f32x4.sub(u0, v128.load(x3 + at)), epsv), b0);
        a1 = madd2(f32x4.add(f32x4.sub(u1, v128.load(x2 + at, 16)), epsv), a1);
        b1 = madd2(f32x4.add(f32x4.sub(u1, v128.load(x3 + at, 16)), epsv), b1);
      }
    } else {
      for (let d = 0; d < vec; d += 16) {
        const at = <usize>d << 2;
        a0 = madd2(diff4(x1, x2, at, epsv), a0);
        b0 = madd2(diff4(x1, x3, at, epsv), b0);
        a1 = madd2(diff4(x1, x2, at + 16, epsv), a1);
        b1 = madd2(diff4(x1, x3, at + 16, epsv), b1);
        a2 = madd2(diff4(x1, x2, at + 32, epsv), a2);
        b2 = madd2(diff4(x1, x3, at + 32, epsv), b2);
        a3 = madd2(diff4(x1, x2, at + 48, epsv), a3);
        b3 = madd2(diff4(x1, x3, at + 48, epsv), b3);
      }
    }
  } else {
    if (lanes == 8) {
      for (let d = 0; d < vec; d += 8) {
        const at = <usize>d << 2;
        const u0 = v128.load(x1 + at);
        const u1 = v128.load(x1 + at, 16);
        const v0 = f32x4.add(f32x4.sub(u0, v128.load(x2 + at)), epsv);
        const w0 = f32x4.add(f32x4.sub(u0, v128.load(x3 + at)), epsv);
        const v1 = f32x4.add(f32x4.sub(u1, v128.load(x2 + at, 16)), epsv);
        const w1 = f32x4.add(f32x4.sub(u1, v128.load(x3 + at, 16)), epsv);
        a0 = f32x4.add(a0, f32x4.mul(v0, v0));
        b0 = f32x4.add(b0, f32x4.mul(w0, w0));
        a1 = f32x4.add(a1, f32x4.mul(v1, v1));
        b1 = f32x4.add(b1, f32x4.mul(w1, w1));
      }
    } else {
      for (let d = 0; d < vec; d += 16) {
        const at = <usize>d << 2;
        const v0 = diff4(x1, x2, at, epsv);
        const w0 = diff4(x1, x3, at, epsv);
        const v1 = diff4(x1, x2, at + 16, epsv);
        const w1 = diff4(x1, x3, at + 16, epsv);
        const v2 = diff4(x1, x2, at + 32, epsv);
        const w2 = diff4(x1, x3, at + 32, epsv);
        const v3 = diff4(x1, x2, at + 48, epsv);
        const w3 = diff4(x1, x3, at + 48, epsv);
        a0 = f32x4.add(a0, f32x4.mul(v0, v0));
        b0 = f32x4.add(b0, f32x4.mul(w0, w0));
        a1 = f32x4.add(a1, f32x4.mul(v1, v1));
        b1 = f32x4.add(b1, f32x4.mul(w1, w1));
        a2 = f32x4.add(a2, f32x4.mul(v2, v2));
        b2 = f32x4.add(b2, f32x4.mul(w2, w2));
        a3 = f32x4.add(a3, f32x4.mul(v3, v3));
        b3 = f32x4.add(b3, f32x4.mul(w3, w3));
      }
    }
  }
  if (flags & FUSED_LANES && !ASC_FEATURE_RELAXED_SIMD && (v128.any_true(inexactTwice) || flags & EXACT_LANES)) {
    t1 = exactLanes(x1, x2, vec, lanes, eps);
    t2 = exactLanes(x1, x3, vec, lanes, eps);
  } else {
    // the two folds interleaved
    t1 = f32x4.extract_lane(a0, 0);
    t2 = f32x4.extract_lane(b0, 0);
    t1 += f32x4.extract_lane(a0, 1);
    t2 += f32x4.extract_lane(b0, 1);
    t1 += f32x4.extract_lane(a0, 2);
    t2 += f32x4.extract_lane(b0, 2);
    t1 += f32x4.extract_lane(a0, 3);
    t2 += f32x4.extract_lane(b0, 3);
    t1 += f32x4.extract_lane(a1, 0);
    t2 += f32x4.extract_lane(b1, 0);
    t1 += f32x4.extract_lane(a1, 1);
    t2 += f32x4.extract_lane(b1, 1);
    t1 += f32x4.extract_lane(a1, 2);
    t2 += f32x4.extract_lane(b1, 2);
    t1 += f32x4.extract_lane(a1, 3);
    t2 += f32x4.extract_lane(b1, 3);
    if (lanes == 16) {
      t1 = fold(fold(t1, a2), a3);
      t2 = fold(fold(t2, b2), b3);
    }
  }
  const plainEnd = vec + ((D - vec) >> 2 << 2);
  for (let d = vec; d < D; d++) {
    const at = <usize>d << 2;
    const u = load<f32>(x1 + at);
    const v = u - load<f32>(x2 + at) + eps;
    const w = u - load<f32>(x3 + at) + eps;
    if (flags & FUSED_TAIL && d >= plainEnd) {
      t1 = fma32(v, v, t1);
      t2 = fma32(w, w, t2);
    } else {
      t1 += v * v;
      t2 += w * w;
    }
  }
  pairSecond = Mathf.sqrt(t2);
  return Mathf.sqrt(t1);
}

/** The lanes folded into lane 0 in order: acc[0] + acc[1] + ... (8 or 16 lanes). */
// @ts-ignore: decorator
@inline function laneSum(a0: v128, a1: v128, a2: v128, a3: v128, lanes: i32): f32 {
  let total = f32x4.extract_lane(a0, 0);
  total += f32x4.extract_lane(a0, 1);
  total += f32x4.extract_lane(a0, 2);
  total += f32x4.extract_lane(a0, 3);
  total = fold(total, a1);
  if (lanes == 16) total = fold(fold(total, a2), a3);
  return total;
}

/** The p = 2 norms of `rows` rows of D floats of (x1 - x2) + eps into out (one float per row). */
export function rowNorms(x1: usize, x2: usize, rows: i32, D: i32, eps: f32, flags: i32, out: usize): void {
  const epsv = f32x4.splat(eps);
  const stride = <usize>D << 2;
  for (let i = 0; i < rows; i++) {
    store<f32>(out + (<usize>i << 2), rowNorm(x1, x2, D, eps, epsv, flags));
    x1 += stride;
    x2 += stride;
  }
}

/** The two norms per row of the triplet losses: of (a - p) + eps into outPos and of (a - n) + eps into outNeg. */
export function tripletNorms(a: usize, p: usize, n: usize, rows: i32, D: i32, eps: f32, flags: i32, outPos: usize, outNeg: usize): void {
  const epsv = f32x4.splat(eps);
  const stride = <usize>D << 2;
  for (let i = 0; i < rows; i++) {
    const at = <usize>i << 2;
    store<f32>(outPos + at, rowNormPair(a, p, n, D, eps, epsv, flags));
    store<f32>(outNeg + at, pairSecond);
    a += stride;
    p += stride;
    n += stride;
  }
}

/**
 * triplet_margin_loss's backward (p = 2, no swap) of `rows` rows of D floats: per row the two norms
 * of (anchor - positive) + eps and (anchor - negative) + eps, the clamp's input (d_pos + margin) -
 * d_neg (OLD_ORDER: (d_pos - d_neg) + margin), the gradient g (go's float at the row under PER_ROW)
 * where it passes the clamp (STRICT: > 0, else >= 0), else 0, then norm_backward's
 * g * (diff / norm) (g * 0 for a zero norm) of each difference, d_neg's with -g: the anchor's
 * gradient their sum, the positive's and the negative's their negations.
 */
export function tripletGrads(
  a: usize,
  p: usize,
  n: usize,
  rows: i32,
  D: i32,
  eps: f32,
  margin: f32,
  g: f32,
  go: usize,
  flags: i32,
  ga: usize,
  gp: usize,
  gn: usize,
): void {
  const epsv = f32x4.splat(eps);
  const stride = <usize>D << 2;
  const D4 = D & ~3;
  for (let i = 0; i < rows; i++) {
    const np = rowNormPair(a, p, n, D, eps, epsv, flags);
    const nn = pairSecond;
    const pre = flags & OLD_ORDER ? np - nn + margin : np + margin - nn;
    const g0 = flags & PER_ROW ? load<f32>(go + (<usize>i << 2)) : g;
    const gPos: f32 = (flags & STRICT ? pre > 0 : pre >= 0) ? g0 : 0;
    const gNeg = -gPos;
    const vPos = f32x4.splat(gPos);
    const vNeg = f32x4.splat(gNeg);
    const vnp = f32x4.splat(np);
    const vnn = f32x4.splat(nn);
    const zp = f32x4.splat(gPos * 0);
    const zn = f32x4.splat(gNeg * 0);
    const zeroP = np == 0;
    const zeroN = nn == 0;
    for (let d = 0; d < D4; d += 4) {
      const at = <usize>d << 2;
      const dp = zeroP ? zp : f32x4.mul(vPos, f32x4.div(diff4(a, p, at, epsv), vnp));
      const dn = zeroN ? zn : f32x4.mul(vNeg, f32x4.div(diff4(a, n, at, epsv), vnn));
      v128.store(ga + at, f32x4.add(dp, dn));
      v128.store(gp + at, f32x4.neg(dp));
      v128.store(gn + at, f32x4.neg(dn));
    }
    for (let d = D4; d < D; d++) {
      const at = <usize>d << 2;
      const dp: f32 = zeroP ? gPos * 0 : gPos * (diff1(a, p, at, eps) / np);
      const dn: f32 = zeroN ? gNeg * 0 : gNeg * (diff1(a, n, at, eps) / nn);
      store<f32>(ga + at, dp + dn);
      store<f32>(gp + at, -dp);
      store<f32>(gn + at, -dn);
    }
    a += stride;
    p += stride;
    n += stride;
    ga += stride;
    gp += stride;
    gn += stride;
  }
}

/**
 * pairwise_distance's backward (p = 2, the newer norm_backward) of `rows` rows of D floats: go's
 * float per row g, then g * (diff / norm) (g * 0 for a zero norm) into g1 and its negation into g2.
 */
export function pairwiseGrads(x1: usize, x2: usize, rows: i32, D: i32, eps: f32, flags: i32, go: usize, g1: usize, g2: usize): void {
  const epsv = f32x4.splat(eps);
  const stride = <usize>D << 2;
  const D4 = D & ~3;
  for (let i = 0; i < rows; i++) {
    const nrm = rowNorm(x1, x2, D, eps, epsv, flags);
    const g = load<f32>(go + (<usize>i << 2));
    const vg = f32x4.splat(g);
    const vn = f32x4.splat(nrm);
    const z = f32x4.splat(g * 0);
    const zero = nrm == 0;
    for (let d = 0; d < D4; d += 4) {
      const at = <usize>d << 2;
      const v = zero ? z : f32x4.mul(vg, f32x4.div(diff4(x1, x2, at, epsv), vn));
      v128.store(g1 + at, v);
      v128.store(g2 + at, f32x4.neg(v));
    }
    for (let d = D4; d < D; d++) {
      const at = <usize>d << 2;
      const v: f32 = zero ? g * 0 : g * (diff1(x1, x2, at, eps) / nrm);
      store<f32>(g1 + at, v);
      store<f32>(g2 + at, -v);
    }
    x1 += stride;
    x2 += stride;
    g1 += stride;
    g2 += stride;
  }
}

// ---- float64 ----
// The float64 twins of the loops above, for pairwise_distance's p = 2 norm over the last dim as
// ../../pairwise-distance.ts computeNorms runs it in float64 (those JS loops stay the reference):
//   SERIAL (torch < 2.0, normTwoLastDimVectorizedDouble false): binary_kernel_reduce's one
//     accumulator per row, fma(x, x, acc) element by element, then sqrt. A row's chain cannot be
//     split, so each f64x2 holds two rows (element k of each: a group of 4 rows, two chains per norm).
//   else (torch >= 2.0): Vectorized<double> lanes (4, or 8 for the AVX-512 kernels: LANES16)
//     accumulating x * x (a product then a sum), folded into lane 0 in order, the scalar tail added
//     (whole groups of 4 plain, the last (tail % 4) fused: FUSED_TAIL), then sqrt.
// Every fused multiply-add is ../../libm.ts fma64's: Dekker's split product and a two-sum, the same
// float64 ops in the same order (so the same bits as the JS loops, in both builds: no relaxed SIMD),
// p + c where p = x * x is 0 or either is not finite. Only the plain build holds them (they use no
// relaxed SIMD; ../distance.ts runs float64 there whatever the float32 build): the relaxed-SIMD
// build's float64 exports return at once.
export const SERIAL = 128; // flag: float64's serial fma chain per row (torch < 2.0), else the lanes

const SPLIT64: usize = memory.data<f64>([134217729]);
const ZERO64: usize = memory.data<f64>([0]);

/** fma64(v, v, c) of ../../libm.ts, lane by lane. */
// @ts-ignore: decorator
@inline function fmaSq(v: v128, c: v128): v128 {
  const p = f64x2.mul(v, v);
  const t = f64x2.mul(k64(SPLIT64), v);
  const ah = f64x2.sub(t, f64x2.sub(t, v));
  const al = f64x2.sub(v, ah);
  const h = f64x2.mul(ah, al);
  const e = f64x2.add(f64x2.add(f64x2.add(f64x2.sub(f64x2.mul(ah, ah), p), h), h), f64x2.mul(al, al));
  const s = f64x2.add(p, c);
  const bb = f64x2.sub(s, p);
  const u = f64x2.add(f64x2.sub(p, f64x2.sub(s, bb)), f64x2.sub(c, bb));
  const r = f64x2.add(s, f64x2.add(u, e));
  const zero = k64(ZERO64);
  const ok = v128.and(f64x2.eq(f64x2.add(f64x2.sub(p, p), f64x2.sub(c, c)), zero), f64x2.ne(p, zero));
  return v128.bitselect(r, s, ok);
}

/** fma64(v, v, c) of ../../libm.ts for one float64. */
function fmaSq1(v: f64, c: f64): f64 {
  const p = v * v;
  if (!(p - p == 0) || !(c - c == 0) || p == 0) return p + c;
  const t = 134217729 * v;
  const ah = t - (t - v);
  const al = v - ah;
  const h = ah * al;
  const e = ah * ah - p + h + h + al * al;
  const s = p + c;
  const bb = s - p;
  const u = p - (s - bb) + (c - bb);
  return s + (u + e);
}

/** Element k (byte offset `at`) of rows r0 and r1 (byte offsets) of x1 - x2, + eps. */
// @ts-ignore: decorator
@inline function diff2rows(x1: usize, x2: usize, r0: usize, r1: usize, at: usize, epsv: v128): v128 {
  const a = v128.load64_lane(x1 + r1 + at, v128.load64_zero(x1 + r0 + at), 1);
  const b = v128.load64_lane(x2 + r1 + at, v128.load64_zero(x2 + r0 + at), 1);
  return f64x2.add(f64x2.sub(a, b), epsv);
}

// @ts-ignore: decorator
@inline function diff64x2(x1: usize, x2: usize, at: usize, epsv: v128): v128 {
  return f64x2.add(f64x2.sub(v128.load(x1 + at), v128.load(x2 + at)), epsv);
}

// @ts-ignore: decorator
@inline function diff64(x1: usize, x2: usize, at: usize, eps: f64): f64 {
  return load<f64>(x1 + at) - load<f64>(x2 + at) + eps;
}

// @ts-ignore: decorator
@inline function rowAt(i: i32, rows: i32, stride: usize): usize {
  return <usize>(i < rows ? i : rows - 1) * stride;
}

/** The lanes' sums of one row (torch >= 2.0), folded, its tail added: the float64 lanes path before sqrt. */
function laneRow64(x1: usize, x2: usize, D: i32, eps: f64, epsv: v128, flags: i32): f64 {
  const lanes = flags & LANES16 ? 8 : 4;
  const vec = D - D % lanes;
  let a0 = k64(ZERO64), a1 = k64(ZERO64), a2 = k64(ZERO64), a3 = k64(ZERO64);
  let total: f64;
  if (lanes == 4) {
    for (let d = 0; d < vec; d += 4) {
      const at = <usize>d << 3;
      const v0 = diff64x2(x1, x2, at, epsv);
      const v1 = diff64x2(x1, x2, at + 16, epsv);
      a0 = f64x2.add(a0, f64x2.mul(v0, v0));
      a1 = f64x2.add(a1, f64x2.mul(v1, v1));
    }
    total = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1) + f64x2.extract_lane(a1, 0) + f64x2.extract_lane(a1, 1);
  } else {
    for (let d = 0; d < vec; d += 8) {
      const at = <usize>d << 3;
      const v0 = diff64x2(x1, x2, at, epsv);
      const v1 = diff64x2(x1, x2, at + 16, epsv);
      const v2 = diff64x2(x1, x2, at + 32, epsv);
      const v3 = diff64x2(x1, x2, at + 48, epsv);
      a0 = f64x2.add(a0, f64x2.mul(v0, v0));
      a1 = f64x2.add(a1, f64x2.mul(v1, v1));
      a2 = f64x2.add(a2, f64x2.mul(v2, v2));
      a3 = f64x2.add(a3, f64x2.mul(v3, v3));
    }
    total = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1) + f64x2.extract_lane(a1, 0) + f64x2.extract_lane(a1, 1);
    total = total + f64x2.extract_lane(a2, 0) + f64x2.extract_lane(a2, 1) + f64x2.extract_lane(a3, 0) + f64x2.extract_lane(a3, 1);
  }
  const plainEnd = vec + ((D - vec) >> 2 << 2);
  for (let d = vec; d < D; d++) {
    const v = diff64(x1, x2, <usize>d << 3, eps);
    total = flags & FUSED_TAIL && d >= plainEnd ? fmaSq1(v, total) : total + v * v;
  }
  return total;
}

/** The p = 2 norms of `rows` rows of D float64s of (x1 - x2) + eps into out (one float64 per row). */
export function rowNorms64(x1: usize, x2: usize, rows: i32, D: i32, eps: f64, flags: i32, out: usize): void {
  if (ASC_FEATURE_RELAXED_SIMD) return;
  const epsv = f64x2.splat(eps);
  const stride = <usize>D << 3;
  if (flags & SERIAL) {
    for (let i = 0; i < rows; i += 4) {
      const r0 = rowAt(i, rows, stride), r1 = rowAt(i + 1, rows, stride);
      const r2 = rowAt(i + 2, rows, stride), r3 = rowAt(i + 3, rows, stride);
      let s0 = k64(ZERO64), s1 = k64(ZERO64);
      for (let d = 0; d < D; d++) {
        const at = <usize>d << 3;
        s0 = fmaSq(diff2rows(x1, x2, r0, r1, at, epsv), s0);
        s1 = fmaSq(diff2rows(x1, x2, r2, r3, at, epsv), s1);
      }
      s0 = f64x2.sqrt(s0);
      s1 = f64x2.sqrt(s1);
      const o = out + (<usize>i << 3);
      store<f64>(o, f64x2.extract_lane(s0, 0));
      if (i + 1 < rows) store<f64>(o, f64x2.extract_lane(s0, 1), 8);
      if (i + 2 < rows) store<f64>(o, f64x2.extract_lane(s1, 0), 16);
      if (i + 3 < rows) store<f64>(o, f64x2.extract_lane(s1, 1), 24);
    }
    return;
  }
  for (let i = 0; i < rows; i++) {
    store<f64>(out + (<usize>i << 3), Math.sqrt(laneRow64(x1, x2, D, eps, epsv, flags)));
    x1 += stride;
    x2 += stride;
  }
}

/** The two norms per row of the triplet losses in float64: of (a - p) + eps into outPos and of (a - n) + eps into outNeg. */
export function tripletNorms64(a: usize, p: usize, n: usize, rows: i32, D: i32, eps: f64, flags: i32, outPos: usize, outNeg: usize): void {
  if (ASC_FEATURE_RELAXED_SIMD) return;
  const epsv = f64x2.splat(eps);
  const stride = <usize>D << 3;
  if (flags & SERIAL) {
    for (let i = 0; i < rows; i += 4) {
      const r0 = rowAt(i, rows, stride), r1 = rowAt(i + 1, rows, stride);
      const r2 = rowAt(i + 2, rows, stride), r3 = rowAt(i + 3, rows, stride);
      let s0 = k64(ZERO64), s1 = k64(ZERO64), t0 = k64(ZERO64), t1 = k64(ZERO64);
      for (let d = 0; d < D; d++) {
        const at = <usize>d << 3;
        const u0 = v128.load64_lane(a + r1 + at, v128.load64_zero(a + r0 + at), 1);
        const u1 = v128.load64_lane(a + r3 + at, v128.load64_zero(a + r2 + at), 1);
        const p0 = v128.load64_lane(p + r1 + at, v128.load64_zero(p + r0 + at), 1);
        const p1 = v128.load64_lane(p + r3 + at, v128.load64_zero(p + r2 + at), 1);
        const n0 = v128.load64_lane(n + r1 + at, v128.load64_zero(n + r0 + at), 1);
        const n1 = v128.load64_lane(n + r3 + at, v128.load64_zero(n + r2 + at), 1);
        s0 = fmaSq(f64x2.add(f64x2.sub(u0, p0), epsv), s0);
        t0 = fmaSq(f64x2.add(f64x2.sub(u0, n0), epsv), t0);
        s1 = fmaSq(f64x2.add(f64x2.sub(u1, p1), epsv), s1);
        t1 = fmaSq(f64x2.add(f64x2.sub(u1, n1), epsv), t1);
      }
      s0 = f64x2.sqrt(s0);
      s1 = f64x2.sqrt(s1);
      t0 = f64x2.sqrt(t0);
      t1 = f64x2.sqrt(t1);
      const o = <usize>i << 3;
      store<f64>(outPos + o, f64x2.extract_lane(s0, 0));
      store<f64>(outNeg + o, f64x2.extract_lane(t0, 0));
      if (i + 1 < rows) {
        store<f64>(outPos + o, f64x2.extract_lane(s0, 1), 8);
        store<f64>(outNeg + o, f64x2.extract_lane(t0, 1), 8);
      }
      if (i + 2 < rows) {
        store<f64>(outPos + o, f64x2.extract_lane(s1, 0), 16);
        store<f64>(outNeg + o, f64x2.extract_lane(t1, 0), 16);
      }
      if (i + 3 < rows) {
        store<f64>(outPos + o, f64x2.extract_lane(s1, 1), 24);
        store<f64>(outNeg + o, f64x2.extract_lane(t1, 1), 24);
      }
    }
    return;
  }
  for (let i = 0; i < rows; i++) {
    const at = <usize>i << 3;
    store<f64>(outPos + at, Math.sqrt(laneRow64(a, p, D, eps, epsv, flags)));
    store<f64>(outNeg + at, Math.sqrt(laneRow64(a, n, D, eps, epsv, flags)));
    a += stride;
    p += stride;
    n += stride;
  }
}

/**
 * tripletGrads in float64, with the rows' norms already in np / nn (tripletNorms64): the clamp's
 * input, the gradient where it passes, norm_backward's g * (diff / norm) of each difference, the
 * anchor's gradient their sum, the positive's and the negative's their negations.
 */
export function tripletGrads64(
  a: usize,
  p: usize,
  n: usize,
  rows: i32,
  D: i32,
  eps: f64,
  margin: f64,
  g: f64,
  go: usize,
  flags: i32,
  np: usize,
  nn: usize,
  ga: usize,
  gp: usize,
  gn: usize,
): void {
  if (ASC_FEATURE_RELAXED_SIMD) return;
  const epsv = f64x2.splat(eps);
  const stride = <usize>D << 3;
  const D2 = D & ~1;
  for (let i = 0; i < rows; i++) {
    const at0 = <usize>i << 3;
    const dPos = load<f64>(np + at0);
    const dNeg = load<f64>(nn + at0);
    const pre = flags & OLD_ORDER ? dPos - dNeg + margin : dPos + margin - dNeg;
    const g0 = flags & PER_ROW ? load<f64>(go + at0) : g;
    const gPos: f64 = (flags & STRICT ? pre > 0 : pre >= 0) ? g0 : 0;
    const gNeg = -gPos;
    const vPos = f64x2.splat(gPos);
    const vNeg = f64x2.splat(gNeg);
    const vnp = f64x2.splat(dPos);
    const vnn = f64x2.splat(dNeg);
    const zp = f64x2.splat(gPos * 0);
    const zn = f64x2.splat(gNeg * 0);
    const zeroP = dPos == 0;
    const zeroN = dNeg == 0;
    for (let d = 0; d < D2; d += 2) {
      const at = <usize>d << 3;
      const dp = zeroP ? zp : f64x2.mul(vPos, f64x2.div(diff64x2(a, p, at, epsv), vnp));
      const dn = zeroN ? zn : f64x2.mul(vNeg, f64x2.div(diff64x2(a, n, at, epsv), vnn));
      v128.store(ga + at, f64x2.add(dp, dn));
      v128.store(gp + at, f64x2.neg(dp));
      v128.store(gn + at, f64x2.neg(dn));
    }
    if (D2 < D) {
      const at = <usize>D2 << 3;
      const dp: f64 = zeroP ? gPos * 0 : gPos * (diff64(a, p, at, eps) / dPos);
      const dn: f64 = zeroN ? gNeg * 0 : gNeg * (diff64(a, n, at, eps) / dNeg);
      store<f64>(ga + at, dp + dn);
      store<f64>(gp + at, -dp);
      store<f64>(gn + at, -dn);
    }
    a += stride;
    p += stride;
    n += stride;
    ga += stride;
    gp += stride;
    gn += stride;
  }
}

/**
 * pairwiseGrads in float64, with the rows' norms already in nrm (rowNorms64): go's float64 per row
 * g, then g * (diff / norm) (g * 0 for a zero norm) into g1 and its negation into g2.
 */
export function pairwiseGrads64(x1: usize, x2: usize, rows: i32, D: i32, eps: f64, go: usize, nrm: usize, g1: usize, g2: usize): void {
  if (ASC_FEATURE_RELAXED_SIMD) return;
  const epsv = f64x2.splat(eps);
  const stride = <usize>D << 3;
  const D2 = D & ~1;
  for (let i = 0; i < rows; i++) {
    const at0 = <usize>i << 3;
    const nr = load<f64>(nrm + at0);
    const g = load<f64>(go + at0);
    const vg = f64x2.splat(g);
    const vn = f64x2.splat(nr);
    const z = f64x2.splat(g * 0);
    const zero = nr == 0;
    for (let d = 0; d < D2; d += 2) {
      const at = <usize>d << 3;
      const v = zero ? z : f64x2.mul(vg, f64x2.div(diff64x2(x1, x2, at, epsv), vn));
      v128.store(g1 + at, v);
      v128.store(g2 + at, f64x2.neg(v));
    }
    if (D2 < D) {
      const at = <usize>D2 << 3;
      const v: f64 = zero ? g * 0 : g * (diff64(x1, x2, at, eps) / nr);
      store<f64>(g1 + at, v);
      store<f64>(g2 + at, -v);
    }
    x1 += stride;
    x2 += stride;
    g1 += stride;
    g2 += stride;
  }
}

/** The first byte JS may use for arrays: everything above the module's static data. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}
