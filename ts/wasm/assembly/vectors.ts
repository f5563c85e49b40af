// AssemblyScript, compiled by `npm run build:wasm` into ../vectors-binary.ts: float32 SIMD loops of
// margin_ranking_loss, hinge_embedding_loss and cosine_embedding_loss, and nll_loss's reduction, loaded by
// ../vectors.ts. Each f32x4 operation is one float32 tensor op of ATen's, in the order the JS loops
// of ../../losses/*.ts compute it (those loops are the reference these are tested against, and run
// for float64), so every lane rounds where torch rounds. The module allocates nothing: the JS side
// places a call's arrays above heapBase().
//
// The memory starts at 4 MiB (lazily backed by the OS), which nll_loss's calls take past only from
// ~3e5 targets (~12.5 bytes a target) and the chunked loops (a few chunks of 8192 values, plus
// cosine's three per-row sums) from ~3e5 rows: a grow detaches the old buffer, which slows every JS
// typed-array loop of the process from then on (V8's detach protector; nll_loss's gather of 1e4
// values 8.8 -> 12.9 us; see ../../../scripts/build-wasm.ts).
// wasm-initial-pages: 64

const LEVELS = 4;
const ILP = 4;

// ---- Tensor.sum() of float32 values, streamed: ATen's cascade_sum (../../numerics.ts atenRowSum) ----
// sumBegin(length, lanes) (8 or 16 lanes, length >= lanes), then sumAdd for consecutive blocks of
// the values, each but the last a multiple of 4 * lanes values (so that the tail after the last
// whole ILP row lies in the last block). The same order and values as CascadeStream32.

/** acc[level][ilp row][lane], lanes <= 16: the cascade's partial sums. */
const ACC: usize = memory.data(LEVELS * ILP * 16 * 4, 16);

let sumLength = 0;
let sumSeen = 0;
let sumLanes = 8;
let sumWidth = 32;
let sumVectors = 0;
let sumRows = 0;
let sumLevelPower = 4;
let sumRowsDone = 0;

/** c10 CeilLog2. */
function ceilLog2(x: i32): i32 {
  return x <= 1 ? 0 : 32 - clz(x - 1);
}

/** Starts Tensor.sum() of `length` float32 values over `lanes` (8 or 16) lanes; length >= lanes. */
export function sumBegin(length: i32, lanes: i32): void {
  sumLength = length;
  sumSeen = 0;
  sumLanes = lanes;
  sumWidth = ILP * lanes;
  sumVectors = length / lanes;
  sumRows = sumVectors / ILP;
  sumLevelPower = max(4, ceilLog2(sumRows) / LEVELS);
  sumRowsDone = 0;
  memory.fill(ACC, 0, LEVELS * ILP * 16 * 4);
}

/** acc[0][k] += value k of each of `rows` rows of `stride` bytes from ptr, for the 32 columns k at acc (8 vectors). */
function addRows32(acc: usize, ptr: usize, rows: i32, stride: usize): void {
  let a0 = v128.load(acc, 0), a1 = v128.load(acc, 16), a2 = v128.load(acc, 32), a3 = v128.load(acc, 48);
  let a4 = v128.load(acc, 64), a5 = v128.load(acc, 80), a6 = v128.load(acc, 96), a7 = v128.load(acc, 112);
  for (let j = 0; j < rows; j++, ptr += stride) {
    a0 = f32x4.add(a0, v128.load(ptr, 0));
    a1 = f32x4.add(a1, v128.load(ptr, 16));
    a2 = f32x4.add(a2, v128.load(ptr, 32));
    a3 = f32x4.add(a3, v128.load(ptr, 48));
    a4 = f32x4.add(a4, v128.load(ptr, 64));
    a5 = f32x4.add(a5, v128.load(ptr, 80));
    a6 = f32x4.add(a6, v128.load(ptr, 96));
    a7 = f32x4.add(a7, v128.load(ptr, 112));
  }
  v128.store(acc, a0, 0); v128.store(acc, a1, 16); v128.store(acc, a2, 32); v128.store(acc, a3, 48);
  v128.store(acc, a4, 64); v128.store(acc, a5, 80); v128.store(acc, a6, 96); v128.store(acc, a7, 112);
}

/** Level 0 += `rows` rows at ptr (every column group of 32). */
function addRows(ptr: usize, rows: i32): void {
  const stride = <usize>sumWidth << 2;
  for (let g = 0; g < sumWidth; g += 32) addRows32(ACC + (<usize>g << 2), ptr + (<usize>g << 2), rows, stride);
}

/** acc[to] += acc[from] over the width; then acc[from] = 0 when `clear`. */
function addLevel(to: i32, from: i32, clear: bool): void {
  const width = sumWidth;
  const t = ACC + (<usize>(to * width) << 2);
  const f = ACC + (<usize>(from * width) << 2);
  for (let i = 0; i < width; i += 4) {
    const at = <usize>i << 2;
    v128.store(t + at, f32x4.add(v128.load(t + at), v128.load(f + at)));
    if (clear) v128.store(f + at, f32x4.splat(0));
  }
}

/** Adds the next `count` values, at ptr; after the last block, returns the sum (else 0). */
export function sumAdd(ptr: usize, count: i32): f32 {
  const width = sumWidth;
  const lanes = sumLanes;
  const levelPower = sumLevelPower;
  const levelMask = (1 << levelPower) - 1;
  const blockStart = sumSeen;
  sumSeen += count;
  // multi_row_sum: the whole rows of this block, level 0 += each, the cascade after every 2^levelPower rows
  let row = sumRowsDone;
  let at = ptr + (<usize>(row * width - blockStart) << 2);
  let left = min(sumSeen / width, sumRows) - row;
  while (left > 0) {
    const block = min(left, levelMask + 1 - (row & levelMask));
    addRows(at, block);
    at += <usize>(block * width) << 2;
    row += block;
    left -= block;
    if ((row & levelMask) == 0) {
      for (let level = 1; level < LEVELS; level++) {
        addLevel(level, level - 1, true);
        if ((row & (levelMask << (level * levelPower))) != 0) break;
      }
    }
  }
  sumRowsDone = row;
  if (sumSeen < sumLength) return 0;
  // the levels folded into level 0, row_sum's vectors after the last whole row into the first ILP
  // accumulator, the ILP accumulators added together (lane-wise), the scalar tail, then the lanes
  for (let level = 1; level < LEVELS; level++) addLevel(0, level, false);
  for (let vi = sumRows * ILP; vi < sumVectors; vi++) {
    const v = ptr + (<usize>(vi * lanes - blockStart) << 2);
    for (let l = 0; l < lanes; l += 4) {
      const a = ACC + (<usize>l << 2);
      v128.store(a, f32x4.add(v128.load(a), v128.load(v + (<usize>l << 2))));
    }
  }
  for (let k = 1; k < ILP; k++) {
    for (let l = 0; l < lanes; l += 4) {
      const a = ACC + (<usize>l << 2);
      v128.store(a, f32x4.add(v128.load(a), v128.load(ACC + (<usize>(k * lanes + l) << 2))));
    }
  }
  let total: f32 = 0;
  for (let i = sumVectors * lanes; i < sumLength; i++) total += load<f32>(ptr + (<usize>(i - blockStart) << 2));
  for (let l = 0; l < lanes; l++) total += load<f32>(ACC + (<usize>l << 2));
  return <f32>0 + total; // the zero-filled output accumulated into (-0 becomes +0)
}

/** The sub-blocks the fused sums compute and then sum (their values stay in L1 between the two): a multiple of 64. */
const SUM_BLOCK = 2048;

// ---- margin_ranking_loss: max(0, -target * (input1 - input2) + margin) ----

/** gradient flags */
export const STRICT = 1; // torch >= 2.14: the clamp passes the gradient where u > 0 (else u >= 0)
export const PER_ELEMENT = 2; // reduction 'none': the gradient per element at go

/** The losses of `count` elements at a, b, t into out. */
export function marginRankingLosses(a: usize, b: usize, t: usize, out: usize, count: i32, margin: f32): void {
  const m = f32x4.splat(margin);
  const zero = f32x4.splat(0);
  const end = count & ~3;
  for (let i = 0; i < end; i += 4) {
    const at = <usize>i << 2;
    const u = f32x4.add(f32x4.mul(f32x4.neg(v128.load(t + at)), f32x4.sub(v128.load(a + at), v128.load(b + at))), m);
    v128.store(out + at, v128.andnot(u, f32x4.lt(u, zero))); // u < 0 ? 0 : u (NaN stays NaN)
  }
  for (let i = end; i < count; i++) {
    const at = <usize>i << 2;
    const u: f32 = -load<f32>(t + at) * (load<f32>(a + at) - load<f32>(b + at)) + margin;
    store<f32>(out + at, u < 0 ? <f32>0 : u);
  }
}

/** The losses of `count` elements streamed into the sum sumBegin started (through scratch): sumAdd's result. */
export function marginRankingSum(a: usize, b: usize, t: usize, scratch: usize, count: i32, margin: f32): f32 {
  let sum: f32 = 0;
  for (let i = 0; i < count; i += SUM_BLOCK) {
    const n = min(SUM_BLOCK, count - i);
    const at = <usize>i << 2;
    marginRankingLosses(a + at, b + at, t + at, scratch, n, margin);
    sum = sumAdd(scratch, n);
  }
  return sum;
}

/**
 * The gradients of input1 (g1) and input2 (g2 = -g1): (clamp passes ? g : 0) * (-target), g the
 * gradient `g` or (PER_ELEMENT) go's value.
 */
export function marginRankingGrad(
  a: usize, b: usize, t: usize, go: usize, g1: usize, g2: usize, count: i32, margin: f32, g: f32, flags: i32,
): void {
  if (flags & STRICT) {
    if (flags & PER_ELEMENT) marginRankingGradOf(true, true, a, b, t, go, g1, g2, count, margin, g);
    else marginRankingGradOf(true, false, a, b, t, go, g1, g2, count, margin, g);
  } else if (flags & PER_ELEMENT) marginRankingGradOf(false, true, a, b, t, go, g1, g2, count, margin, g);
  else marginRankingGradOf(false, false, a, b, t, go, g1, g2, count, margin, g);
}

// @ts-ignore: decorator
@inline function marginRankingGradOf(
  strict: bool, perElement: bool, a: usize, b: usize, t: usize, go: usize, g1: usize, g2: usize, count: i32, margin: f32, g: f32,
): void {
  const m = f32x4.splat(margin);
  const zero = f32x4.splat(0);
  const gv = f32x4.splat(g);
  const end = count & ~3;
  for (let i = 0; i < end; i += 4) {
    const at = <usize>i << 2;
    const nt = f32x4.neg(v128.load(t + at));
    const u = f32x4.add(f32x4.mul(nt, f32x4.sub(v128.load(a + at), v128.load(b + at))), m);
    const passes = strict ? f32x4.gt(u, zero) : f32x4.ge(u, zero);
    const v = f32x4.mul(v128.and(perElement ? v128.load(go + at) : gv, passes), nt);
    v128.store(g1 + at, v);
    v128.store(g2 + at, f32x4.neg(v));
  }
  for (let i = end; i < count; i++) {
    const at = <usize>i << 2;
    const nt: f32 = -load<f32>(t + at);
    const u: f32 = nt * (load<f32>(a + at) - load<f32>(b + at)) + margin;
    const gi: f32 = perElement ? load<f32>(go + at) : g;
    const v: f32 = (strict ? u > 0 : u >= 0) ? gi * nt : <f32>0 * nt;
    store<f32>(g1 + at, v);
    store<f32>(g2 + at, -v);
  }
}

// ---- hinge_embedding_loss: where(target != 1, max(0, margin - x), 0) + where(target != -1, x, 0) ----

/** The losses of `count` elements at x, t into out. */
export function hingeLosses(x: usize, t: usize, out: usize, count: i32, margin: f32): void {
  const m = f32x4.splat(margin);
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  const minusOne = f32x4.splat(-1);
  const end = count & ~3;
  for (let i = 0; i < end; i += 4) {
    const at = <usize>i << 2;
    const xv = v128.load(x + at);
    const tv = v128.load(t + at);
    const u = f32x4.sub(m, xv);
    const clamped = v128.andnot(u, f32x4.lt(u, zero)); // clamp_min_(0): NaN stays NaN
    v128.store(out + at, f32x4.add(v128.andnot(clamped, f32x4.eq(tv, one)), v128.andnot(xv, f32x4.eq(tv, minusOne))));
  }
  for (let i = end; i < count; i++) {
    const at = <usize>i << 2;
    const xi = load<f32>(x + at);
    const ti = load<f32>(t + at);
    const u: f32 = margin - xi;
    const clamped: f32 = u < 0 ? 0 : u;
    store<f32>(out + at, (ti == 1 ? <f32>0 : clamped) + (ti == -1 ? <f32>0 : xi));
  }
}

/** The losses of `count` elements streamed into the sum sumBegin started (through scratch): sumAdd's result. */
export function hingeSum(x: usize, t: usize, scratch: usize, count: i32, margin: f32): f32 {
  let sum: f32 = 0;
  for (let i = 0; i < count; i += SUM_BLOCK) {
    const n = min(SUM_BLOCK, count - i);
    const at = <usize>i << 2;
    hingeLosses(x + at, t + at, scratch, n, margin);
    sum = sumAdd(scratch, n);
  }
  return sum;
}

/** The input's gradient: (t != -1 ? g : 0) + -(t != 1 and the clamp passes ? g : 0), g the gradient `g` or (PER_ELEMENT) go's value. */
export function hingeGrad(x: usize, t: usize, go: usize, grad: usize, count: i32, margin: f32, g: f32, flags: i32): void {
  if (flags & STRICT) {
    if (flags & PER_ELEMENT) hingeGradOf(true, true, x, t, go, grad, count, margin, g);
    else hingeGradOf(true, false, x, t, go, grad, count, margin, g);
  } else if (flags & PER_ELEMENT) hingeGradOf(false, true, x, t, go, grad, count, margin, g);
  else hingeGradOf(false, false, x, t, go, grad, count, margin, g);
}

// @ts-ignore: decorator
@inline function hingeGradOf(strict: bool, perElement: bool, x: usize, t: usize, go: usize, grad: usize, count: i32, margin: f32, g: f32): void {
  const m = f32x4.splat(margin);
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  const minusOne = f32x4.splat(-1);
  const gv = f32x4.splat(g);
  const end = count & ~3;
  for (let i = 0; i < end; i += 4) {
    const at = <usize>i << 2;
    const tv = v128.load(t + at);
    const u = f32x4.sub(m, v128.load(x + at));
    const passes = strict ? f32x4.gt(u, zero) : f32x4.ge(u, zero);
    const gi = perElement ? v128.load(go + at) : gv;
    const gm = v128.and(v128.andnot(gi, f32x4.eq(tv, one)), passes);
    v128.store(grad + at, f32x4.add(v128.andnot(gi, f32x4.eq(tv, minusOne)), f32x4.neg(gm)));
  }
  for (let i = end; i < count; i++) {
    const at = <usize>i << 2;
    const ti = load<f32>(t + at);
    const u: f32 = margin - load<f32>(x + at);
    const gi: f32 = perElement ? load<f32>(go + at) : g;
    const gm: f32 = ti != 1 && (strict ? u > 0 : u >= 0) ? gi : 0;
    store<f32>(grad + at, (ti != -1 ? gi : <f32>0) + -gm);
  }
}

// ---- cosine_embedding_loss: the three row sums, and the gradients from per-row scalars ----

/** The ILP columns (4 x at most 16 lanes) of the three sums. */
const CP: usize = memory.data(64 * 4, 16);
const C1: usize = memory.data(64 * 4, 16);
const C2: usize = memory.data(64 * 4, 16);

/**
 * prod_sum, mag_square1 and mag_square2 (each + eps) of `rows` rows of D values at x1 and x2, as
 * ../../losses/cosine_embedding_loss.ts rowSums32 sums them (atenRowSum's order for a row of at
 * least one vector whose multi_row_sum stays below its first cascade level: D >= lanes and
 * D / lanes / 4 < 16): column k of the 4 x lanes ILP columns adds values k, k + 4 lanes, ... from 0;
 * the vectors after the last whole ILP row add to the first lanes columns; the four columns of each
 * lane are added in order; then the scalar tail from 0, then the lanes in order; 0 + that.
 */
export function cosineRowSums(x1: usize, x2: usize, rows: i32, D: i32, lanes: i32, prodSum: usize, mag1: usize, mag2: usize, eps: f32): void {
  const width = ILP * lanes;
  const vectors = D / lanes;
  const ilpRows = vectors / ILP;
  const stride = <usize>width << 2;
  const zero = f32x4.splat(0);
  for (let n = 0; n < rows; n++) {
    const p1 = x1 + (<usize>(n * D) << 2);
    const p2 = x2 + (<usize>(n * D) << 2);
    for (let g = 0; g < width; g += 16) {
      let sp0 = zero, sp1 = zero, sp2 = zero, sp3 = zero;
      let sa0 = zero, sa1 = zero, sa2 = zero, sa3 = zero;
      let sb0 = zero, sb1 = zero, sb2 = zero, sb3 = zero;
      let q1 = p1 + (<usize>g << 2);
      let q2 = p2 + (<usize>g << 2);
      for (let j = 0; j < ilpRows; j++, q1 += stride, q2 += stride) {
        const a0 = v128.load(q1, 0), a1 = v128.load(q1, 16), a2 = v128.load(q1, 32), a3 = v128.load(q1, 48);
        const b0 = v128.load(q2, 0), b1 = v128.load(q2, 16), b2 = v128.load(q2, 32), b3 = v128.load(q2, 48);
        sp0 = f32x4.add(sp0, f32x4.mul(a0, b0));
        sp1 = f32x4.add(sp1, f32x4.mul(a1, b1));
        sp2 = f32x4.add(sp2, f32x4.mul(a2, b2));
        sp3 = f32x4.add(sp3, f32x4.mul(a3, b3));
        sa0 = f32x4.add(sa0, f32x4.mul(a0, a0));
        sa1 = f32x4.add(sa1, f32x4.mul(a1, a1));
        sa2 = f32x4.add(sa2, f32x4.mul(a2, a2));
        sa3 = f32x4.add(sa3, f32x4.mul(a3, a3));
        sb0 = f32x4.add(sb0, f32x4.mul(b0, b0));
        sb1 = f32x4.add(sb1, f32x4.mul(b1, b1));
        sb2 = f32x4.add(sb2, f32x4.mul(b2, b2));
        sb3 = f32x4.add(sb3, f32x4.mul(b3, b3));
      }
      const c = <usize>g << 2;
      v128.store(CP + c, sp0, 0); v128.store(CP + c, sp1, 16); v128.store(CP + c, sp2, 32); v128.store(CP + c, sp3, 48);
      v128.store(C1 + c, sa0, 0); v128.store(C1 + c, sa1, 16); v128.store(C1 + c, sa2, 32); v128.store(C1 + c, sa3, 48);
      v128.store(C2 + c, sb0, 0); v128.store(C2 + c, sb1, 16); v128.store(C2 + c, sb2, 32); v128.store(C2 + c, sb3, 48);
    }
    // the vectors after the last whole ILP row, into the first `lanes` columns
    for (let vi = ilpRows * ILP; vi < vectors; vi++) {
      const o = <usize>(vi * lanes) << 2;
      for (let l = 0; l < lanes; l += 4) {
        const c = <usize>l << 2;
        const a = v128.load(p1 + o + c);
        const b = v128.load(p2 + o + c);
        v128.store(CP + c, f32x4.add(v128.load(CP + c), f32x4.mul(a, b)));
        v128.store(C1 + c, f32x4.add(v128.load(C1 + c), f32x4.mul(a, a)));
        v128.store(C2 + c, f32x4.add(v128.load(C2 + c), f32x4.mul(b, b)));
      }
    }
    let tp: f32 = 0;
    let t1: f32 = 0;
    let t2: f32 = 0;
    for (let j = vectors * lanes; j < D; j++) {
      const a = load<f32>(p1 + (<usize>j << 2));
      const b = load<f32>(p2 + (<usize>j << 2));
      tp += a * b;
      t1 += a * a;
      t2 += b * b;
    }
    const l1 = <usize>lanes << 2;
    for (let l = 0; l < lanes; l += 4) {
      const c = <usize>l << 2;
      const fp = f32x4.add(f32x4.add(f32x4.add(v128.load(CP + c), v128.load(CP + c + l1)), v128.load(CP + c + 2 * l1)), v128.load(CP + c + 3 * l1));
      const f1 = f32x4.add(f32x4.add(f32x4.add(v128.load(C1 + c), v128.load(C1 + c + l1)), v128.load(C1 + c + 2 * l1)), v128.load(C1 + c + 3 * l1));
      const f2 = f32x4.add(f32x4.add(f32x4.add(v128.load(C2 + c), v128.load(C2 + c + l1)), v128.load(C2 + c + 2 * l1)), v128.load(C2 + c + 3 * l1));
      tp += f32x4.extract_lane(fp, 0);
      tp += f32x4.extract_lane(fp, 1);
      tp += f32x4.extract_lane(fp, 2);
      tp += f32x4.extract_lane(fp, 3);
      t1 += f32x4.extract_lane(f1, 0);
      t1 += f32x4.extract_lane(f1, 1);
      t1 += f32x4.extract_lane(f1, 2);
      t1 += f32x4.extract_lane(f1, 3);
      t2 += f32x4.extract_lane(f2, 0);
      t2 += f32x4.extract_lane(f2, 1);
      t2 += f32x4.extract_lane(f2, 2);
      t2 += f32x4.extract_lane(f2, 3);
    }
    const at = <usize>n << 2;
    store<f32>(prodSum + at, <f32>0 + tp);
    store<f32>(mag1 + at, (<f32>0 + t1) + eps);
    store<f32>(mag2 + at, (<f32>0 + t2) + eps);
  }
}

/** cosineRowSums64's ILP columns (4 x at most 8 float64 lanes). */
const CP64: usize = memory.data(32 * 8, 16);
const C164: usize = memory.data(32 * 8, 16);
const C264: usize = memory.data(32 * 8, 16);

/**
 * cosineRowSums in float64 (lanes 4, or 8 for the AVX-512 kernels), as
 * ../../losses/cosine_embedding_loss.ts rowSums64 sums them: the same columns, in the same order.
 */
export function cosineRowSums64(x1: usize, x2: usize, rows: i32, D: i32, lanes: i32, prodSum: usize, mag1: usize, mag2: usize, eps: f64): void {
  const width = ILP * lanes;
  const vectors = D / lanes;
  const ilpRows = vectors / ILP;
  const stride = <usize>width << 3;
  const zero = f64x2.splat(0);
  for (let n = 0; n < rows; n++) {
    const p1 = x1 + (<usize>(n * D) << 3);
    const p2 = x2 + (<usize>(n * D) << 3);
    for (let g = 0; g < width; g += 8) {
      let sp0 = zero, sp1 = zero, sp2 = zero, sp3 = zero;
      let sa0 = zero, sa1 = zero, sa2 = zero, sa3 = zero;
      let sb0 = zero, sb1 = zero, sb2 = zero, sb3 = zero;
      let q1 = p1 + (<usize>g << 3);
      let q2 = p2 + (<usize>g << 3);
      for (let j = 0; j < ilpRows; j++, q1 += stride, q2 += stride) {
        const a0 = v128.load(q1, 0), a1 = v128.load(q1, 16), a2 = v128.load(q1, 32), a3 = v128.load(q1, 48);
        const b0 = v128.load(q2, 0), b1 = v128.load(q2, 16), b2 = v128.load(q2, 32), b3 = v128.load(q2, 48);
        sp0 = f64x2.add(sp0, f64x2.mul(a0, b0));
        sp1 = f64x2.add(sp1, f64x2.mul(a1, b1));
        sp2 = f64x2.add(sp2, f64x2.mul(a2, b2));
        sp3 = f64x2.add(sp3, f64x2.mul(a3, b3));
        sa0 = f64x2.add(sa0, f64x2.mul(a0, a0));
        sa1 = f64x2.add(sa1, f64x2.mul(a1, a1));
        sa2 = f64x2.add(sa2, f64x2.mul(a2, a2));
        sa3 = f64x2.add(sa3, f64x2.mul(a3, a3));
        sb0 = f64x2.add(sb0, f64x2.mul(b0, b0));
        sb1 = f64x2.add(sb1, f64x2.mul(b1, b1));
        sb2 = f64x2.add(sb2, f64x2.mul(b2, b2));
        sb3 = f64x2.add(sb3, f64x2.mul(b3, b3));
      }
      const c = <usize>g << 3;
      v128.store(CP64 + c, sp0, 0); v128.store(CP64 + c, sp1, 16); v128.store(CP64 + c, sp2, 32); v128.store(CP64 + c, sp3, 48);
      v128.store(C164 + c, sa0, 0); v128.store(C164 + c, sa1, 16); v128.store(C164 + c, sa2, 32); v128.store(C164 + c, sa3, 48);
      v128.store(C264 + c, sb0, 0); v128.store(C264 + c, sb1, 16); v128.store(C264 + c, sb2, 32); v128.store(C264 + c, sb3, 48);
    }
    // the vectors after the last whole ILP row, into the first `lanes` columns
    for (let vi = ilpRows * ILP; vi < vectors; vi++) {
      const o = <usize>(vi * lanes) << 3;
      for (let l = 0; l < lanes; l += 2) {
        const c = <usize>l << 3;
        const a = v128.load(p1 + o + c);
        const b = v128.load(p2 + o + c);
        v128.store(CP64 + c, f64x2.add(v128.load(CP64 + c), f64x2.mul(a, b)));
        v128.store(C164 + c, f64x2.add(v128.load(C164 + c), f64x2.mul(a, a)));
        v128.store(C264 + c, f64x2.add(v128.load(C264 + c), f64x2.mul(b, b)));
      }
    }
    let tp: f64 = 0;
    let t1: f64 = 0;
    let t2: f64 = 0;
    for (let j = vectors * lanes; j < D; j++) {
      const a = load<f64>(p1 + (<usize>j << 3));
      const b = load<f64>(p2 + (<usize>j << 3));
      tp += a * b;
      t1 += a * a;
      t2 += b * b;
    }
    const l1 = <usize>lanes << 3;
    for (let l = 0; l < lanes; l += 2) {
      const c = <usize>l << 3;
      const fp = f64x2.add(f64x2.add(f64x2.add(v128.load(CP64 + c), v128.load(CP64 + c + l1)), v128.load(CP64 + c + 2 * l1)), v128.load(CP64 + c + 3 * l1));
      const f1 = f64x2.add(f64x2.add(f64x2.add(v128.load(C164 + c), v128.load(C164 + c + l1)), v128.load(C164 + c + 2 * l1)), v128.load(C164 + c + 3 * l1));
      const f2 = f64x2.add(f64x2.add(f64x2.add(v128.load(C264 + c), v128.load(C264 + c + l1)), v128.load(C264 + c + 2 * l1)), v128.load(C264 + c + 3 * l1));
      tp += f64x2.extract_lane(fp, 0);
      tp += f64x2.extract_lane(fp, 1);
      t1 += f64x2.extract_lane(f1, 0);
      t1 += f64x2.extract_lane(f1, 1);
      t2 += f64x2.extract_lane(f2, 0);
      t2 += f64x2.extract_lane(f2, 1);
    }
    const at = <usize>n << 3;
    store<f64>(prodSum + at, <f64>0 + tp);
    store<f64>(mag1 + at, (<f64>0 + t1) + eps);
    store<f64>(mag2 + at, (<f64>0 + t2) + eps);
  }
}

/**
 * Each row's loss from its sums (cosAndLosses): denom = sqrt(mag1 * mag2), cos = prod_sum / denom,
 * (t == 1 ? 1 - cos : 0) + (t == -1 ? max(cos - margin, 0) : 0) (NaN stays NaN), t the row's target.
 */
export function cosineLosses(prodSum: usize, mag1: usize, mag2: usize, t: usize, rows: i32, margin: f32, out: usize): void {
  for (let n = 0; n < rows; n++) {
    const at = <usize>n << 2;
    const dn = sqrt<f32>(load<f32>(mag1 + at) * load<f32>(mag2 + at));
    const cos = load<f32>(prodSum + at) / dn;
    const tn = load<f32>(t + at);
    const pos: f32 = tn == 1 ? <f32>1 - cos : 0;
    const v: f32 = cos - margin;
    const neg: f32 = tn == -1 ? (v < 0 ? <f32>0 : v) : 0;
    store<f32>(out + at, pos + neg);
  }
}

/**
 * rowsBackward's chain per row (rowScalars) from its sums to its magnitude and prod_sum gradients:
 * g (the gradient `g`, or PER_ELEMENT go's row value), the where()s on the row's target t,
 * clamp_min_ (STRICT: > 0, else >= 0), 1 - cos, the division, sqrt_ and the magnitudes' product.
 */
export function cosineRowScalars(
  prodSum: usize, mag1: usize, mag2: usize, t: usize, go: usize, rows: i32, g: f32, margin: f32, flags: i32, gM1: usize, gM2: usize, gPs: usize,
): void {
  const strict = (flags & STRICT) != 0;
  const perElement = (flags & PER_ELEMENT) != 0;
  for (let n = 0; n < rows; n++) {
    const at = <usize>n << 2;
    const gn: f32 = perElement ? load<f32>(go + at) : g;
    const tn = load<f32>(t + at);
    const gPos: f32 = tn == 1 ? gn : 0;
    const gNeg: f32 = tn == -1 ? gn : 0;
    const m1 = load<f32>(mag1 + at);
    const m2 = load<f32>(mag2 + at);
    const dn = sqrt<f32>(m1 * m2);
    const ps = load<f32>(prodSum + at);
    const v: f32 = ps / dn - margin;
    const gCos: f32 = ((strict ? v > 0 : v >= 0) ? gNeg : <f32>0) + -gPos;
    store<f32>(gPs + at, gCos / dn);
    const gm: f32 = (-gCos * (ps / dn / dn)) / (<f32>2 * dn);
    store<f32>(gM1 + at, gm * m2);
    store<f32>(gM2 + at, gm * m1);
  }
}

/**
 * input1's gradient g1 = (q1 + q1) + ps * x2, q1 = a1 * x1, and input2's g2 = (q2 + q2) + ps * x1,
 * q2 = a2 * x2, of `rows` rows of D values, each row's a1, a2, ps at gM1, gM2, gPs (rowGrads32).
 */
export function cosineRowGrads(x1: usize, x2: usize, rows: i32, D: i32, gM1: usize, gM2: usize, gPs: usize, g1: usize, g2: usize): void {
  const end = D & ~3;
  for (let n = 0; n < rows; n++) {
    const r = <usize>n << 2;
    const s1 = load<f32>(gM1 + r);
    const s2 = load<f32>(gM2 + r);
    const sp = load<f32>(gPs + r);
    const a1 = f32x4.splat(s1);
    const a2 = f32x4.splat(s2);
    const ps = f32x4.splat(sp);
    const base = <usize>(n * D) << 2;
    const p1 = x1 + base;
    const p2 = x2 + base;
    const o1 = g1 + base;
    const o2 = g2 + base;
    for (let j = 0; j < end; j += 4) {
      const at = <usize>j << 2;
      const u = v128.load(p1 + at);
      const v = v128.load(p2 + at);
      const q1 = f32x4.mul(a1, u);
      const q2 = f32x4.mul(a2, v);
      v128.store(o1 + at, f32x4.add(f32x4.add(q1, q1), f32x4.mul(ps, v)));
      v128.store(o2 + at, f32x4.add(f32x4.add(q2, q2), f32x4.mul(ps, u)));
    }
    for (let j = end; j < D; j++) {
      const at = <usize>j << 2;
      const u = load<f32>(p1 + at);
      const v = load<f32>(p2 + at);
      const q1 = s1 * u;
      const q2 = s2 * v;
      store<f32>(o1 + at, (q1 + q1) + sp * v);
      store<f32>(o2 + at, (q2 + q2) + sp * u);
    }
  }
}

// ---- multi_margin_loss: per row, the terms of the classes d != y where z = (margin - x[y]) + x[d] > 0 ----
// Four rows at a time, one per lane (each row's sum its own chain of adds, in class order, as
// ../../losses/multi_margin_loss.ts rowLosses32 / gradRows32): four classes of the four rows are
// loaded as row vectors and transposed into class vectors; the other rows one at a time.

export const P2 = 4; // flag: p = 2 (else 1)
export const WEIGHTED = 8; // flag: a per-class weight (else 1, which changes no value)

// @ts-ignore: decorator
@inline function lo(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(a, b, 0, 4, 1, 5);
}
// @ts-ignore: decorator
@inline function hi(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(a, b, 2, 6, 3, 7);
}
// @ts-ignore: decorator
@inline function lowHalves(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(a, b, 0, 1, 4, 5);
}
// @ts-ignore: decorator
@inline function highHalves(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(a, b, 2, 3, 6, 7);
}

/** Lane r of each of 4 values at ptr + r * stride (one per row). */
// @ts-ignore: decorator
@inline function gather(ptr: usize, stride: usize): v128 {
  let v = v128.load32_zero(ptr);
  v = v128.load32_lane(ptr + stride, v, 1);
  v = v128.load32_lane(ptr + 2 * stride, v, 2);
  return v128.load32_lane(ptr + 3 * stride, v, 3);
}

/** The four rows' targets y, h = margin - x[y] and weight[y], as three vectors at out. */
// @ts-ignore: decorator
@inline function rowsTarget(x: usize, labels: usize, w: usize, weighted: bool, row: i32, C: i32, margin: f32, out: usize): void {
  for (let r = 0; r < 4; r++) {
    const t = load<i32>(labels + (<usize>(row + r) << 2));
    store<i32>(out + (<usize>r << 2), t);
    store<f32>(out + 16 + (<usize>r << 2), margin - load<f32>(x + (<usize>((row + r) * C + t) << 2)));
    store<f32>(out + 32 + (<usize>r << 2), weighted ? load<f32>(w + (<usize>t << 2)) : <f32>1);
  }
}

const ROWS4: usize = memory.data(48, 16);

/** Row losses sum / C of `rows` rows of C classes at x (targets at labels, i32) into out. */
export function multiMarginRows(x: usize, labels: usize, w: usize, rows: i32, C: i32, margin: f32, flags: i32, out: usize): void {
  const weighted = (flags & WEIGHTED) != 0;
  if (flags & P2) multiMarginRowsOf(true, x, labels, w, weighted, rows, C, margin, out);
  else multiMarginRowsOf(false, x, labels, w, weighted, rows, C, margin, out);
}

// @ts-ignore: decorator
@inline function multiMarginRowsOf(p2: bool, x: usize, labels: usize, w: usize, weighted: bool, rows: i32, C: i32, margin: f32, out: usize): void {
  const c = <f32>C; // sum /= dim
  const zero = f32x4.splat(0);
  const stride = <usize>C << 2;
  const body = C & ~3;
  let row = 0;
  for (; row + 4 <= rows; row += 4) {
    rowsTarget(x, labels, w, weighted, row, C, margin, ROWS4);
    const y = v128.load(ROWS4);
    const h = v128.load(ROWS4, 16);
    const wy = v128.load(ROWS4, 32);
    const base = x + (<usize>(row * C) << 2);
    let sum = zero;
    let k = 0;
    for (; k < body; k += 4) {
      const at = base + (<usize>k << 2);
      const r0 = v128.load(at);
      const r1 = v128.load(at + stride);
      const r2 = v128.load(at + 2 * stride);
      const r3 = v128.load(at + 3 * stride);
      const t0 = lo(r0, r1);
      const t1 = lo(r2, r3);
      const t2 = hi(r0, r1);
      const t3 = hi(r2, r3);
      sum = multiMarginTerm(p2, sum, h, wy, y, lowHalves(t0, t1), k);
      sum = multiMarginTerm(p2, sum, h, wy, y, highHalves(t0, t1), k + 1);
      sum = multiMarginTerm(p2, sum, h, wy, y, lowHalves(t2, t3), k + 2);
      sum = multiMarginTerm(p2, sum, h, wy, y, highHalves(t2, t3), k + 3);
    }
    for (; k < C; k++) sum = multiMarginTerm(p2, sum, h, wy, y, gather(base + (<usize>k << 2), stride), k);
    v128.store(out + (<usize>row << 2), f32x4.div(sum, f32x4.splat(c)));
  }
  for (; row < rows; row++) {
    const t = load<i32>(labels + (<usize>row << 2));
    const base = x + (<usize>(row * C) << 2);
    const h: f32 = margin - load<f32>(base + (<usize>t << 2));
    const wt: f32 = weighted ? load<f32>(w + (<usize>t << 2)) : 1;
    let sum: f32 = 0;
    for (let k = 0; k < C; k++) {
      const z: f32 = h + load<f32>(base + (<usize>k << 2));
      const term: f32 = p2 ? z * z * wt : z * wt;
      sum += z > 0 && k != t ? term : <f32>0;
    }
    store<f32>(out + (<usize>row << 2), sum / c);
  }
}

/** sum + (z > 0 and k != y ? the term : 0), z = h + xk, for the four rows' class k. */
// @ts-ignore: decorator
@inline function multiMarginTerm(p2: bool, sum: v128, h: v128, wy: v128, y: v128, xk: v128, k: i32): v128 {
  const z = f32x4.add(h, xk);
  const term = p2 ? f32x4.mul(f32x4.mul(z, z), wy) : f32x4.mul(z, wy);
  const passes = v128.andnot(f32x4.gt(z, f32x4.splat(0)), i32x4.eq(y, i32x4.splat(k)));
  return f32x4.add(sum, v128.and(term, passes));
}

/**
 * The input's gradient of `rows` rows: per class d != y with z > 0, h = g (p = 1) or (2 g) z
 * (p = 2), times weight[y]; grad[d] = h * go, grad[y] = (0 - the h's, in class order) * go; go the
 * row's gradOutput at go (PER_ELEMENT) or its one value go[0].
 */
export function multiMarginGrad(x: usize, labels: usize, w: usize, rows: i32, C: i32, margin: f32, g: f32, go: usize, flags: i32, grad: usize): void {
  const weighted = (flags & WEIGHTED) != 0;
  const perRow = (flags & PER_ELEMENT) != 0;
  if (flags & P2) multiMarginGradOf(true, x, labels, w, weighted, rows, C, margin, g, go, perRow, grad);
  else multiMarginGradOf(false, x, labels, w, weighted, rows, C, margin, g, go, perRow, grad);
}

// @ts-ignore: decorator
@inline function multiMarginGradOf(
  p2: bool, x: usize, labels: usize, w: usize, weighted: bool, rows: i32, C: i32, margin: f32, g: f32, go: usize, perRow: bool, grad: usize,
): void {
  const zero = f32x4.splat(0);
  const stride = <usize>C << 2;
  const body = C & ~3;
  const g2 = f32x4.splat(2 * g);
  let row = 0;
  for (; row + 4 <= rows; row += 4) {
    rowsTarget(x, labels, w, weighted, row, C, margin, ROWS4);
    const y = v128.load(ROWS4);
    const h = v128.load(ROWS4, 16);
    const wy = v128.load(ROWS4, 32);
    const hw = f32x4.mul(f32x4.splat(g), wy);
    const out = perRow ? v128.load(go + (<usize>row << 2)) : v128.load32_splat(go);
    const base = x + (<usize>(row * C) << 2);
    const gBase = grad + (<usize>(row * C) << 2);
    let gy = zero;
    let k = 0;
    for (; k < body; k += 4) {
      const at = <usize>k << 2;
      const r0 = v128.load(base + at);
      const r1 = v128.load(base + at + stride);
      const r2 = v128.load(base + at + 2 * stride);
      const r3 = v128.load(base + at + 3 * stride);
      const t0 = lo(r0, r1);
      const t1 = lo(r2, r3);
      const t2 = hi(r0, r1);
      const t3 = hi(r2, r3);
      const e0 = multiMarginGradTerm(p2, h, hw, g2, wy, y, lowHalves(t0, t1), k);
      const e1 = multiMarginGradTerm(p2, h, hw, g2, wy, y, highHalves(t0, t1), k + 1);
      const e2 = multiMarginGradTerm(p2, h, hw, g2, wy, y, lowHalves(t2, t3), k + 2);
      const e3 = multiMarginGradTerm(p2, h, hw, g2, wy, y, highHalves(t2, t3), k + 3);
      gy = f32x4.sub(f32x4.sub(f32x4.sub(f32x4.sub(gy, e0), e1), e2), e3);
      const o0 = f32x4.mul(e0, out);
      const o1 = f32x4.mul(e1, out);
      const o2 = f32x4.mul(e2, out);
      const o3 = f32x4.mul(e3, out);
      // back to rows: the transpose of o0 .. o3
      const u0 = lo(o0, o1);
      const u1 = lo(o2, o3);
      const u2 = hi(o0, o1);
      const u3 = hi(o2, o3);
      v128.store(gBase + at, lowHalves(u0, u1));
      v128.store(gBase + at + stride, highHalves(u0, u1));
      v128.store(gBase + at + 2 * stride, lowHalves(u2, u3));
      v128.store(gBase + at + 3 * stride, highHalves(u2, u3));
    }
    for (; k < C; k++) {
      const at = <usize>k << 2;
      const e = multiMarginGradTerm(p2, h, hw, g2, wy, y, gather(base + at, stride), k);
      gy = f32x4.sub(gy, e);
      const o = f32x4.mul(e, out);
      store<f32>(gBase + at, f32x4.extract_lane(o, 0));
      store<f32>(gBase + at + stride, f32x4.extract_lane(o, 1));
      store<f32>(gBase + at + 2 * stride, f32x4.extract_lane(o, 2));
      store<f32>(gBase + at + 3 * stride, f32x4.extract_lane(o, 3));
    }
    const gyo = f32x4.mul(gy, out);
    store<f32>(gBase + (<usize>i32x4.extract_lane(y, 0) << 2), f32x4.extract_lane(gyo, 0));
    store<f32>(gBase + stride + (<usize>i32x4.extract_lane(y, 1) << 2), f32x4.extract_lane(gyo, 1));
    store<f32>(gBase + 2 * stride + (<usize>i32x4.extract_lane(y, 2) << 2), f32x4.extract_lane(gyo, 2));
    store<f32>(gBase + 3 * stride + (<usize>i32x4.extract_lane(y, 3) << 2), f32x4.extract_lane(gyo, 3));
  }
  const g2s: f32 = 2 * g;
  for (; row < rows; row++) {
    const t = load<i32>(labels + (<usize>row << 2));
    const base = x + (<usize>(row * C) << 2);
    const gBase = grad + (<usize>(row * C) << 2);
    const h: f32 = margin - load<f32>(base + (<usize>t << 2));
    const wt: f32 = weighted ? load<f32>(w + (<usize>t << 2)) : 1;
    const hw: f32 = g * wt;
    const o: f32 = perRow ? load<f32>(go + (<usize>row << 2)) : load<f32>(go);
    let gy: f32 = 0;
    for (let k = 0; k < C; k++) {
      const z: f32 = h + load<f32>(base + (<usize>k << 2));
      const term: f32 = p2 ? g2s * z * wt : hw;
      const e: f32 = z > 0 && k != t ? term : <f32>0;
      gy -= e;
      store<f32>(gBase + (<usize>k << 2), e * o);
    }
    store<f32>(gBase + (<usize>t << 2), gy * o);
  }
}

/** z > 0 and k != y ? h : 0, with h = g weight[y] (p = 1) or ((2 g) z) weight[y] (p = 2), z = h0 + xk. */
// @ts-ignore: decorator
@inline function multiMarginGradTerm(p2: bool, h: v128, hw: v128, g2: v128, wy: v128, y: v128, xk: v128, k: i32): v128 {
  const z = f32x4.add(h, xk);
  const term = p2 ? f32x4.mul(f32x4.mul(g2, z), wy) : hw;
  const passes = v128.andnot(f32x4.gt(z, f32x4.splat(0)), i32x4.eq(y, i32x4.splat(k)));
  return v128.and(term, passes);
}

// ---- nll_loss's reduction: torch's cascade over the picked values (../../losses/nll_loss.ts accumulate) ----
// LossNLL.cpp nll_loss_out_frame (torch >= 1.9): loss_partial[0] -= x * w[t], weight_partial[0] +=
// w[t] per target not ignored, and a level up after every such target i that is a multiple of
// 2^levelPower. Level 0 restarts from 0 after a level up, so the blocks of 2^levelPower targets
// (block k >= 1: targets S (k - 1) + 1 ... S k; block 0: target 0) are summed from 0 four at a
// time (four dependency chains), then go up the levels in order; a block after one that ended on
// an ignored target is summed again from where that one left level 0. The same sums, in the same
// order and dtype, as accumulate's JS loops (the reference, tested against this bit for bit).

const NLL_LEVELS = 8;
/** The levels' partial sums: loss [0, 8), weight [8, 16), of the call's dtype (at most f64). */
const NLL_PARTIALS: usize = memory.data(2 * NLL_LEVELS * 8, 16);
/** nllCascade's results: the loss and total weight, as f64. */
export const NLL_RESULT: usize = memory.data(16, 16);
let nllLoss0: f64 = 0;
let nllWeight0: f64 = 0;
let nllOutOfBounds = false;

/** Level 0's sums continued from (l, w) over targets [from, to) into nllLoss0 / nllWeight0; returns how many are ignored. */
// @ts-ignore: decorator
@inline function nllSerial<T>(
  labels: usize, vals: usize, weights: usize, classes: i32, ignore: i32, from: i32, to: i32, l: T, w: T, weighted: bool,
): i32 {
  let ignored = 0;
  for (let i = from; i < to; i++) {
    const t = load<i32>(labels + (<usize>i << 2));
    if (t == ignore) {
      ignored++;
      continue;
    }
    if (<u32>t >= <u32>classes) {
      nllOutOfBounds = true;
      continue;
    }
    const v = load<T>(vals + <usize>i * sizeof<T>());
    if (weighted) {
      const wt = load<T>(weights + <usize>t * sizeof<T>());
      l = l - v * wt;
      w = w + wt;
    } else {
      l = l - v;
    }
  }
  nllLoss0 = <f64>l;
  nllWeight0 = <f64>w;
  return ignored;
}

/** A block chain's loss after target t of value v: l - v w[t] (or l - v). */
// @ts-ignore: decorator
@inline function nllBlockTarget<T>(t: i32, v: T, weights: usize, weighted: bool, l: T): T {
  return weighted ? l - v * load<T>(weights + <usize>t * sizeof<T>()) : l - v;
}

/** Blocks k ... k + 3 summed from 0 (four chains) into bl / bw; returns how many of their targets are ignored. */
// @ts-ignore: decorator
@inline function nllBlocks4<T>(
  labels: usize, vals: usize, weights: usize, classes: i32, ignore: i32, levelPower: i32, k: i32, bl: usize, bw: usize, weighted: bool,
): i32 {
  const S = 1 << levelPower;
  const a = S * (k - 1) + 1;
  let ignored = 0;
  let la: T = 0, lb: T = 0, lc: T = 0, ld: T = 0;
  let wa: T = 0, wb: T = 0, wc: T = 0, wd: T = 0;
  for (let i = a; i < a + S; i++) {
    const ta = load<i32>(labels + (<usize>i << 2));
    const tb = load<i32>(labels + (<usize>(i + S) << 2));
    const tc = load<i32>(labels + (<usize>(i + 2 * S) << 2));
    const td = load<i32>(labels + (<usize>(i + 3 * S) << 2));
    if (ta == ignore) ignored++;
    else if (<u32>ta >= <u32>classes) nllOutOfBounds = true;
    else {
      la = nllBlockTarget<T>(ta, load<T>(vals + <usize>i * sizeof<T>()), weights, weighted, la);
      if (weighted) wa = wa + load<T>(weights + <usize>ta * sizeof<T>());
    }
    if (tb == ignore) ignored++;
    else if (<u32>tb >= <u32>classes) nllOutOfBounds = true;
    else {
      lb = nllBlockTarget<T>(tb, load<T>(vals + <usize>(i + S) * sizeof<T>()), weights, weighted, lb);
      if (weighted) wb = wb + load<T>(weights + <usize>tb * sizeof<T>());
    }
    if (tc == ignore) ignored++;
    else if (<u32>tc >= <u32>classes) nllOutOfBounds = true;
    else {
      lc = nllBlockTarget<T>(tc, load<T>(vals + <usize>(i + 2 * S) * sizeof<T>()), weights, weighted, lc);
      if (weighted) wc = wc + load<T>(weights + <usize>tc * sizeof<T>());
    }
    if (td == ignore) ignored++;
    else if (<u32>td >= <u32>classes) nllOutOfBounds = true;
    else {
      ld = nllBlockTarget<T>(td, load<T>(vals + <usize>(i + 3 * S) * sizeof<T>()), weights, weighted, ld);
      if (weighted) wd = wd + load<T>(weights + <usize>td * sizeof<T>());
    }
  }
  const sz = <usize>sizeof<T>();
  const at = <usize>k * sz;
  store<T>(bl + at, la);
  store<T>(bl + at + sz, lb);
  store<T>(bl + at + 2 * sz, lc);
  store<T>(bl + at + 3 * sz, ld);
  store<T>(bw + at, wa);
  store<T>(bw + at + sz, wb);
  store<T>(bw + at + 2 * sz, wc);
  store<T>(bw + at + 3 * sz, wd);
  return ignored;
}

/** Four f32 rows (row j: block k + j's four targets of one column group) as four columns (column e: target e of each block). */
// @ts-ignore: decorator
@inline function nllColumn(a: v128, b: v128, e: i32): v128 {
  // a = (r0[0], r1[0], r0[1], r1[1]) or (r0[2], r1[2], r0[3], r1[3]); b the same of rows 2 and 3
  return e == 0 ? v128.shuffle<i32>(a, b, 0, 1, 4, 5) : v128.shuffle<i32>(a, b, 2, 3, 6, 7);
}

/**
 * nllBlocks4<f32> for blocks of 16 in f32x4 lanes (lane j: block k + j), the same sums bit for bit:
 * each lane's chain is l - v * w[t] (f32 mul, then f32 sub) and w + w[t] over its block's targets
 * in order, and an ignored or out-of-bounds target's lanes subtract and add +0 (l - +0 is l, -0
 * included; a weight sum from +0 is never -0, so w + +0 is w). The 4 x 16 targets are read a
 * column group (4 targets of each block) at a time and transposed in registers. Blocks k ... k + 3
 * (k >= 1) into bl / bw [k ... k + 3]; returns how many of their targets are ignored.
 */
// @ts-ignore: decorator
@inline function nllBlocks4x32(
  labels: usize, vals: usize, weights: usize, classes: i32, ignore: i32, k: i32, bl: usize, bw: usize, weighted: bool,
): i32 {
  const C = i32x4.splat(classes);
  const IG = i32x4.splat(ignore);
  const zero = f32x4.splat(0);
  let ok = i32x4.splat(-1);
  let ignored = i32x4.splat(0);
  let l = zero;
  let w = zero;
  const first = <usize>(16 * (k - 1) + 1) << 2;
  for (let g: usize = 0; g < 64; g += 16) {
    const at = first + g;
    const t0 = v128.load(labels + at);
    const in0 = i32x4.lt_u(t0, C);
    const ig0 = i32x4.eq(t0, IG);
    const take0 = v128.andnot(in0, ig0);
    ok = v128.and(ok, v128.or(in0, ig0));
    ignored = i32x4.sub(ignored, ig0);
    const v0 = v128.load(vals + at);
    let p0 = v128.and(v0, take0);
    let w0 = zero;
    if (weighted) {
      const c0 = v128.and(t0, in0);
      let u0 = v128.load32_zero(weights + (<usize>i32x4.extract_lane(c0, 0) << 2));
      u0 = v128.load32_lane(weights + (<usize>i32x4.extract_lane(c0, 1) << 2), u0, 1);
      u0 = v128.load32_lane(weights + (<usize>i32x4.extract_lane(c0, 2) << 2), u0, 2);
      u0 = v128.load32_lane(weights + (<usize>i32x4.extract_lane(c0, 3) << 2), u0, 3);
      p0 = v128.and(f32x4.mul(v0, u0), take0);
      w0 = v128.and(u0, take0);
    }
    const t1 = v128.load(labels + at + 64);
    const in1 = i32x4.lt_u(t1, C);
    const ig1 = i32x4.eq(t1, IG);
    const take1 = v128.andnot(in1, ig1);
    ok = v128.and(ok, v128.or(in1, ig1));
    ignored = i32x4.sub(ignored, ig1);
    const v1 = v128.load(vals + at + 64);
    let p1 = v128.and(v1, take1);
    let w1 = zero;
    if (weighted) {
      const c1 = v128.and(t1, in1);
      let u1 = v128.load32_zero(weights + (<usize>i32x4.extract_lane(c1, 0) << 2));
      u1 = v128.load32_lane(weights + (<usize>i32x4.extract_lane(c1, 1) << 2), u1, 1);
      u1 = v128.load32_lane(weights + (<usize>i32x4.extract_lane(c1, 2) << 2), u1, 2);
      u1 = v128.load32_lane(weights + (<usize>i32x4.extract_lane(c1, 3) << 2), u1, 3);
      p1 = v128.and(f32x4.mul(v1, u1), take1);
      w1 = v128.and(u1, take1);
    }
    const t2 = v128.load(labels + at + 128);
    const in2 = i32x4.lt_u(t2, C);
    const ig2 = i32x4.eq(t2, IG);
    const take2 = v128.andnot(in2, ig2);
    ok = v128.and(ok, v128.or(in2, ig2));
    ignored = i32x4.sub(ignored, ig2);
    const v2 = v128.load(vals + at + 128);
    let p2 = v128.and(v2, take2);
    let w2 = zero;
    if (weighted) {
      const c2 = v128.and(t2, in2);
      let u2 = v128.load32_zero(weights + (<usize>i32x4.extract_lane(c2, 0) << 2));
      u2 = v128.load32_lane(weights + (<usize>i32x4.extract_lane(c2, 1) << 2), u2, 1);
      u2 = v128.load32_lane(weights + (<usize>i32x4.extract_lane(c2, 2) << 2), u2, 2);
      u2 = v128.load32_lane(weights + (<usize>i32x4.extract_lane(c2, 3) << 2), u2, 3);
      p2 = v128.and(f32x4.mul(v2, u2), take2);
      w2 = v128.and(u2, take2);
    }
    const t3 = v128.load(labels + at + 192);
    const in3 = i32x4.lt_u(t3, C);
    const ig3 = i32x4.eq(t3, IG);
    const take3 = v128.andnot(in3, ig3);
    ok = v128.and(ok, v128.or(in3, ig3));
    ignored = i32x4.sub(ignored, ig3);
    const v3 = v128.load(vals + at + 192);
    let p3 = v128.and(v3, take3);
    let w3 = zero;
    if (weighted) {
      const c3 = v128.and(t3, in3);
      let u3 = v128.load32_zero(weights + (<usize>i32x4.extract_lane(c3, 0) << 2));
      u3 = v128.load32_lane(weights + (<usize>i32x4.extract_lane(c3, 1) << 2), u3, 1);
      u3 = v128.load32_lane(weights + (<usize>i32x4.extract_lane(c3, 2) << 2), u3, 2);
      u3 = v128.load32_lane(weights + (<usize>i32x4.extract_lane(c3, 3) << 2), u3, 3);
      p3 = v128.and(f32x4.mul(v3, u3), take3);
      w3 = v128.and(u3, take3);
    }
    // transposed: column e holds target e of each block's four
    const pa = v128.shuffle<i32>(p0, p1, 0, 4, 1, 5);
    const pb = v128.shuffle<i32>(p2, p3, 0, 4, 1, 5);
    const pc = v128.shuffle<i32>(p0, p1, 2, 6, 3, 7);
    const pd = v128.shuffle<i32>(p2, p3, 2, 6, 3, 7);
    l = f32x4.sub(l, v128.shuffle<i32>(pa, pb, 0, 1, 4, 5));
    l = f32x4.sub(l, v128.shuffle<i32>(pa, pb, 2, 3, 6, 7));
    l = f32x4.sub(l, v128.shuffle<i32>(pc, pd, 0, 1, 4, 5));
    l = f32x4.sub(l, v128.shuffle<i32>(pc, pd, 2, 3, 6, 7));
    if (weighted) {
      const wa = v128.shuffle<i32>(w0, w1, 0, 4, 1, 5);
      const wb = v128.shuffle<i32>(w2, w3, 0, 4, 1, 5);
      const wc = v128.shuffle<i32>(w0, w1, 2, 6, 3, 7);
      const wd = v128.shuffle<i32>(w2, w3, 2, 6, 3, 7);
      w = f32x4.add(w, v128.shuffle<i32>(wa, wb, 0, 1, 4, 5));
      w = f32x4.add(w, v128.shuffle<i32>(wa, wb, 2, 3, 6, 7));
      w = f32x4.add(w, v128.shuffle<i32>(wc, wd, 0, 1, 4, 5));
      w = f32x4.add(w, v128.shuffle<i32>(wc, wd, 2, 3, 6, 7));
    }
  }
  v128.store(bl + (<usize>k << 2), l);
  v128.store(bw + (<usize>k << 2), w);
  if (!i32x4.all_true(ok)) nllOutOfBounds = true;
  const n = ignored;
  return i32x4.extract_lane(n, 0) + i32x4.extract_lane(n, 1) + i32x4.extract_lane(n, 2) + i32x4.extract_lane(n, 3);
}

/**
 * nllBlocks4<f64> for blocks of 16 in two f64x2 vectors (a: blocks k, k + 1; b: k + 2, k + 3), the
 * same sums bit for bit: each lane's chain is l - v * w[t] (f64 mul, then f64 sub) and w + w[t]
 * over its block's targets in order; an ignored or out-of-bounds target's lane subtracts and adds
 * +0 (as nllBlocks4x32). Blocks k ... k + 3 (k >= 1) into bl / bw [k ... k + 3]; returns how many
 * of their targets are ignored.
 */
// @ts-ignore: decorator
@inline function nllBlocks4x64(
  labels: usize, vals: usize, weights: usize, classes: i32, ignore: i32, k: i32, bl: usize, bw: usize, weighted: bool,
): i32 {
  const C = i32x4.splat(classes);
  const IG = i32x4.splat(ignore);
  const zero = f64x2.splat(0);
  let ok = i32x4.splat(-1);
  let ignored = i32x4.splat(0);
  let la = zero;
  let lb = zero;
  let wa = zero;
  let wb = zero;
  const first = <usize>(16 * (k - 1) + 1);
  for (let j: usize = 0; j < 16; j++) {
    const i = first + j;
    // target j of blocks k ... k + 3 (16 apart)
    let t = v128.load32_zero(labels + (i << 2));
    t = v128.load32_lane(labels + ((i + 16) << 2), t, 1);
    t = v128.load32_lane(labels + ((i + 32) << 2), t, 2);
    t = v128.load32_lane(labels + ((i + 48) << 2), t, 3);
    const inb = i32x4.lt_u(t, C);
    const ig = i32x4.eq(t, IG);
    const take = v128.andnot(inb, ig);
    ok = v128.and(ok, v128.or(inb, ig));
    ignored = i32x4.sub(ignored, ig);
    const ta = i64x2.extend_low_i32x4_s(take);
    const tb = i64x2.extend_high_i32x4_s(take);
    let va = v128.load64_zero(vals + (i << 3));
    va = v128.load64_lane(vals + ((i + 16) << 3), va, 1);
    let vb = v128.load64_zero(vals + ((i + 32) << 3));
    vb = v128.load64_lane(vals + ((i + 48) << 3), vb, 1);
    if (weighted) {
      const c = v128.and(t, inb);
      let ua = v128.load64_zero(weights + (<usize>i32x4.extract_lane(c, 0) << 3));
      ua = v128.load64_lane(weights + (<usize>i32x4.extract_lane(c, 1) << 3), ua, 1);
      let ub = v128.load64_zero(weights + (<usize>i32x4.extract_lane(c, 2) << 3));
      ub = v128.load64_lane(weights + (<usize>i32x4.extract_lane(c, 3) << 3), ub, 1);
      la = f64x2.sub(la, v128.and(f64x2.mul(va, ua), ta));
      lb = f64x2.sub(lb, v128.and(f64x2.mul(vb, ub), tb));
      wa = f64x2.add(wa, v128.and(ua, ta));
      wb = f64x2.add(wb, v128.and(ub, tb));
    } else {
      la = f64x2.sub(la, v128.and(va, ta));
      lb = f64x2.sub(lb, v128.and(vb, tb));
    }
  }
  v128.store(bl + (<usize>k << 3), la);
  v128.store(bl + (<usize>k << 3) + 16, lb);
  v128.store(bw + (<usize>k << 3), wa);
  v128.store(bw + (<usize>k << 3) + 16, wb);
  if (!i32x4.all_true(ok)) nllOutOfBounds = true;
  const n = ignored;
  return i32x4.extract_lane(n, 0) + i32x4.extract_lane(n, 1) + i32x4.extract_lane(n, 2) + i32x4.extract_lane(n, 3);
}

/**
 * The cascade above level 1 after level 1 took target i's block (i a multiple of 2^levelPower):
 * level 1's sums (l1, w1, kept in the caller's locals, then 0 there) into level 2, then up while
 * the next levelPower bits of i / 2^levelPower are zero (levels 2 ... 7 in NLL_PARTIALS).
 */
// @ts-ignore: decorator
@inline function nllLevelsUp<T>(l1: T, w1: T, i: i32, levelPower: i32): void {
  const sz = <usize>sizeof<T>();
  const lp = NLL_PARTIALS;
  const wp = NLL_PARTIALS + <usize>NLL_LEVELS * sz;
  store<T>(wp + 2 * sz, load<T>(wp + 2 * sz) + w1);
  store<T>(lp + 2 * sz, load<T>(lp + 2 * sz) + l1);
  const mask = (1 << levelPower) - 1;
  let q = i >> (2 * levelPower);
  for (let j = 2; j + 1 < NLL_LEVELS; j++) {
    if ((q & mask) != 0) break;
    const at = <usize>j * sz;
    store<T>(wp + at + sz, load<T>(wp + at + sz) + load<T>(wp + at));
    store<T>(lp + at + sz, load<T>(lp + at + sz) + load<T>(lp + at));
    store<T>(wp + at, 0);
    store<T>(lp + at, 0);
    q >>= levelPower;
  }
}

// @ts-ignore: decorator
@inline function nllCascadeOf<T>(
  labels: usize, vals: usize, weights: usize, count: i32, classes: i32, ignore: i32, levelPower: i32, blocks: usize, weighted: bool,
): i32 {
  const sz = <usize>sizeof<T>();
  for (let j = 0; j < 2 * NLL_LEVELS; j++) store<T>(NLL_PARTIALS + <usize>j * sz, 0);
  nllOutOfBounds = false;
  const S = 1 << levelPower;
  const full = count > 0 ? (count - 1) >> levelPower : 0;
  const bl = blocks;
  const bw = blocks + <usize>(full + 1) * sz;
  let ignored = 0;
  let k = 1;
  if (sizeof<T>() == 4 && levelPower == 4) {
    for (; k + 3 <= full; k += 4) ignored += nllBlocks4x32(labels, vals, weights, classes, ignore, k, bl, bw, weighted);
  }
  if (sizeof<T>() == 8 && levelPower == 4) {
    for (; k + 3 <= full; k += 4) ignored += nllBlocks4x64(labels, vals, weights, classes, ignore, k, bl, bw, weighted);
  }
  for (; k + 3 <= full; k += 4) ignored += nllBlocks4<T>(labels, vals, weights, classes, ignore, levelPower, k, bl, bw, weighted);
  for (; k <= full; k++) {
    ignored += nllSerial<T>(labels, vals, weights, classes, ignore, S * (k - 1) + 1, S * k + 1, 0, 0, weighted);
    store<T>(bl + <usize>k * sz, <T>nllLoss0);
    store<T>(bw + <usize>k * sz, <T>nllWeight0);
  }
  let carrying = false;
  let cl: T = 0;
  let cw: T = 0;
  let l1: T = 0;
  let w1: T = 0;
  for (k = 0; S * (k - 1) + 1 < count; k++) {
    const from = k == 0 ? 0 : S * (k - 1) + 1;
    let l: T;
    let w: T;
    if (k == 0 || k > full) {
      const to = min(S * k + 1, count);
      ignored += nllSerial<T>(labels, vals, weights, classes, ignore, from, to, carrying ? cl : 0, carrying ? cw : 0, weighted);
      l = <T>nllLoss0;
      w = <T>nllWeight0;
    } else if (carrying) {
      nllSerial<T>(labels, vals, weights, classes, ignore, from, S * k + 1, cl, cw, weighted); // its ignored ones are counted
      l = <T>nllLoss0;
      w = <T>nllWeight0;
    } else {
      l = load<T>(bl + <usize>k * sz);
      w = load<T>(bw + <usize>k * sz);
    }
    const end = S * k;
    if (end < count && load<i32>(labels + (<usize>end << 2)) != ignore) {
      // level 0 into level 1 (locals: a chain through memory cost ~8 cycles a block), and on up
      l1 = l1 + l;
      w1 = w1 + w;
      if (((end >> levelPower) & (S - 1)) == 0) {
        nllLevelsUp<T>(l1, w1, end, levelPower);
        l1 = 0;
        w1 = 0;
      }
      carrying = false;
    } else {
      cl = l;
      cw = w;
      carrying = true;
    }
  }
  store<T>(NLL_PARTIALS, carrying ? cl : 0);
  store<T>(NLL_PARTIALS + <usize>NLL_LEVELS * sz, carrying ? cw : 0);
  store<T>(NLL_PARTIALS + sz, l1);
  store<T>(NLL_PARTIALS + <usize>(NLL_LEVELS + 1) * sz, w1);
  let loss: T = 0;
  let total: T = 0;
  for (let j = 0; j < NLL_LEVELS; j++) {
    loss = loss + load<T>(NLL_PARTIALS + <usize>j * sz);
    total = total + load<T>(NLL_PARTIALS + <usize>(NLL_LEVELS + j) * sz);
  }
  store<f64>(NLL_RESULT, <f64>loss);
  store<f64>(NLL_RESULT + 8, <f64>total);
  return nllOutOfBounds ? -1 : ignored;
}

/**
 * idx[i] = i * rowStride + labels[i] where that is a class (in [0, classes)), else i * rowStride
 * (its row's first value, never summed): the flat indices the JS gather reads, each within its row
 * (the caller keeps (count - 1) * rowStride + classes within i32).
 */
export function nllIndices(labels: usize, idx: usize, count: i32, classes: i32, rowStride: i32): void {
  const C = i32x4.splat(classes);
  const step = i32x4.splat(rowStride << 2);
  let rows = i32x4.mul(i32x4(0, 1, 2, 3), i32x4.splat(rowStride));
  let i = 0;
  for (; i + 8 <= count; i += 8) {
    const at = <usize>i << 2;
    const a = v128.load(labels + at);
    const b = v128.load(labels + at + 16);
    const next = i32x4.add(rows, step);
    v128.store(idx + at, i32x4.add(rows, v128.and(a, i32x4.lt_u(a, C))));
    v128.store(idx + at + 16, i32x4.add(next, v128.and(b, i32x4.lt_u(b, C))));
    rows = i32x4.add(next, step);
  }
  for (; i < count; i++) {
    const t = load<i32>(labels + (<usize>i << 2));
    store<i32>(idx + (<usize>i << 2), i * rowStride + (<u32>t < <u32>classes ? t : 0));
  }
}

/**
 * nll_loss's 'mean' / 'sum' reduction of `count` targets (i32 labels), each target i's value at
 * vals[i] (float32), weights[t] the class weights (0: none): the loss and total weight into
 * NLL_RESULT; returns how many targets are ignored, or -1 when one is neither ignored nor in [0,
 * classes). `blocks`: scratch of 2 ((count - 1) >> levelPower) + 2 values.
 */
export function nllCascade32(
  labels: usize, vals: usize, weights: usize, count: i32, classes: i32, ignore: i32, levelPower: i32, blocks: usize,
): i32 {
  return weights != 0
    ? nllCascadeOf<f32>(labels, vals, weights, count, classes, ignore, levelPower, blocks, true)
    : nllCascadeOf<f32>(labels, vals, weights, count, classes, ignore, levelPower, blocks, false);
}

/** nllCascade32 for float64 values and weights. */
export function nllCascade64(
  labels: usize, vals: usize, weights: usize, count: i32, classes: i32, ignore: i32, levelPower: i32, blocks: usize,
): i32 {
  return weights != 0
    ? nllCascadeOf<f64>(labels, vals, weights, count, classes, ignore, levelPower, blocks, true)
    : nllCascadeOf<f64>(labels, vals, weights, count, classes, ignore, levelPower, blocks, false);
}

/** The first byte JS may use for arrays: everything above the module's static data. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}
