// Shared numerics: float32 rounding, ATen's log_sigmoid and sigmoid kernels, reductions.
//
// Parity with torch's float32 means rounding after every tensor op ATen performs, in ATen's order.
// Formulas round with `round`, so one formula serves both dtypes: useDType() switches it before an
// op runs. (One function object that branches is what keeps V8 fast: a round parameter that sees
// both Math.fround and an identity goes megamorphic and runs about 50x slower.) log_sigmoid's exp,
// log and log1p are its LogSigmoidMath's (../unary-ops.ts logSigmoidMath: SLEEF's for float32 under
// avx2 / avx512; V8's for float64 and under 'default', correctly rounded after fround in practice).

import type { DType } from './tensor.ts';
import type { CpuCapability, TorchRelease } from './torch-version.ts';
import { log1pOp, V8_MATH, type LogSigmoidMath } from './unary-ops.ts';

export type Round = (x: number) => number;

let float32 = true;

/** Rounds to the dtype of the op being computed (set by useDType). */
export function round(x: number): number {
  return float32 ? Math.fround(x) : x;
}

/** Selects the dtype that round/exp/log/log1p compute in, for the op about to run. */
export function useDType(dtype: DType): Round {
  float32 = dtype === 'float32';
  return round;
}

/** vec::minimum / maximum: NaN-propagating, unlike a bare comparison. */
export function minimum(a: number, b: number): number {
  return a !== a ? a : a < b ? a : b;
}
export function maximum(a: number, b: number): number {
  return a !== a ? a : a > b ? a : b;
}

/** The buffer z that ATen's log_sigmoid stores for its backward. */
function logSigmoidBuffer(x: number, r: Round, torch: TorchRelease, m: LogSigmoidMath): number {
  if (torch.logSigmoidUsesLog1p) return r(m.exp(-Math.abs(x)));
  const mx = maximum(-x, 0);
  return r(r(m.exp(-mx)) + r(m.exp(r(-x - mx))));
}

/**
 * log(sigmoid(x)) as aten/src/ATen/native/cpu/Activation.cpp log_sigmoid_cpu_kernel computes it:
 * torch >= 1.11: min(x, 0) - log1p(z), z = exp(-|x|);
 * before: -(m + log(z)), m = max(-x, 0), z = exp(-m) + exp(-x - m).
 * exp, log and log1p are `m`'s (../unary-ops.ts logSigmoidMath: SLEEF's for float32 under avx2 / avx512).
 */
export function logSigmoid(x: number, r: Round, torch: TorchRelease, m: LogSigmoidMath = V8_MATH): number {
  const z = logSigmoidBuffer(x, r, torch, m);
  if (torch.logSigmoidUsesLog1p) return r(minimum(x, 0) - r(m.log1p(z)));
  return -r(maximum(-x, 0) + r(m.log(z)));
}

/** log_sigmoid(-x), set by logSigmoidPair. */
export let logSigmoidOfNegative = 0;

/**
 * log_sigmoid(x), and log_sigmoid(-x) in logSigmoidOfNegative: from torch 1.11 both share
 * z = exp(-|x|) and log1p(z), so this costs one exp and one log1p, not two of each.
 */
export function logSigmoidPair(x: number, r: Round, torch: TorchRelease, m: LogSigmoidMath = V8_MATH): number {
  // Stryker disable next-line ConditionalExpression: two logSigmoid calls compute the same pair (only slower)
  if (!torch.logSigmoidUsesLog1p) {
    logSigmoidOfNegative = logSigmoid(-x, r, torch, m);
    return logSigmoid(x, r, torch, m);
  }
  const l = r(m.log1p(r(m.exp(-Math.abs(x)))));
  logSigmoidOfNegative = r(minimum(-x, 0) - l);
  return r(minimum(x, 0) - l);
}

/**
 * log_sigmoid_backward_cpu_kernel: (max_deriv - sign * q) * grad, with max_deriv, sign = 1, 1 for
 * x < 0 and 0, -1 otherwise; q = z / (1 + z) (torch >= 1.11) or (z - 1) / z (before); z the
 * forward's buffer (`m`'s exp).
 */
export function logSigmoidBackward(x: number, grad: number, r: Round, torch: TorchRelease, m: LogSigmoidMath = V8_MATH): number {
  const z = logSigmoidBuffer(x, r, torch, m);
  const q = torch.logSigmoidUsesLog1p ? r(z / r(1 + z)) : r(r(z - 1) / z);
  // Stryker disable next-line EqualityOperator: at x = 0 both branches give 0.5
  const d = x < 0 ? r(1 - q) : q;
  return r(d * grad);
}

/**
 * log_sigmoid_backward(x, gradPos) - log_sigmoid_backward(-x, gradNeg): the two paths by which
 * MultiLabelSoftMarginLoss's gradient reaches x (the second through NegBackward). From torch 1.11
 * both terms share z = exp(-|x|) and q = z / (1 + z).
 */
export function logSigmoidBackwardDifference(
  x: number,
  gradPos: number,
  gradNeg: number,
  r: Round,
  torch: TorchRelease,
  m: LogSigmoidMath = V8_MATH,
): number {
  if (!torch.logSigmoidUsesLog1p) return r(logSigmoidBackward(x, gradPos, r, torch, m) - logSigmoidBackward(-x, gradNeg, r, torch, m));
  const z = r(m.exp(-Math.abs(x)));
  const q = r(z / r(1 + z));
  const p = r(1 - q);
  return r(r((x < 0 ? p : q) * gradPos) - r((-x < 0 ? p : q) * gradNeg));
}

/**
 * The log1p_ / log1p tensor op: vectorized (SLEEF) for every element under avx2/avx512, std::log1p
 * under 'default'. Old SLEEF overflows to inf above 1e38 (float32) and 1e307 (float64).
 */
export function tensorLog1p(v: number, dtype: DType, torch: TorchRelease, capability: CpuCapability, r: Round): number {
  if (dtype === 'float32' && capability !== 'default') return log1pOp(dtype, capability, torch)(v); // SLEEF's log1pf
  if (torch.sleefLog1pOverflows && capability !== 'default' && v > (dtype === 'float32' ? 1e38 : 1e307)) return Infinity;
  return r(Math.log1p(v));
}

/** sigmoid_kernel (cpu/UnaryOpsKernel.cpp): 1 / (1 + exp(-x)), exp its vectorized or scalar lambda's (../unary-ops.ts sigmoidExps). */
export function sigmoid(x: number, r: Round, exp: (v: number) => number = Math.exp): number {
  return r(1 / r(1 + r(exp(-x))));
}

// ATen's float sum (aten/src/ATen/native/cpu/SumKernel.cpp, cascade_sum). The accumulator has the
// input's dtype, so float32 sums round after every add, in this order. Scratch accumulators are
// module-level: [level][ilp row][lane], at most 4 x 4 x 16.
const LEVELS = 4;
const ILP = 4;
const acc = new Float64Array(LEVELS * ILP * 16);

/**
 * multi_row_sum over `rows` groups of ILP vectors (vector vi = row * ILP + k holds values
 * offset + vi * lanes ... + lanes - 1), lane-wise: a 4-level cascade over chunks of 2^level_power
 * rows. Leaves the ILP partial sums in acc[k * lanes + lane] (level 0).
 */
function multiRowSum(v: ArrayLike<number>, offset: number, rows: number, lanes: number, r: Round): void {
  const width = ILP * lanes; // values per row
  acc.fill(0, 0, LEVELS * width);
  const levelPower = Math.max(4, Math.floor(ceilLog2(rows) / LEVELS));
  const levelStep = 2 ** levelPower;
  const levelMask = levelStep - 1;
  let i = 0;
  while (i + levelStep <= rows) {
    for (let j = 0; j < levelStep; j++, i++) {
      const base = offset + i * width;
      for (let k = 0; k < width; k++) acc[k] = r(acc[k]! + v[base + k]!);
    }
    for (let level = 1; level < LEVELS; level++) {
      const to = level * width;
      const from = to - width;
      for (let k = 0; k < width; k++) {
        acc[to + k] = r(acc[to + k]! + acc[from + k]!);
        acc[from + k] = 0;
      }
      if ((i & (levelMask * 2 ** (level * levelPower))) !== 0) break;
    }
  }
  for (; i < rows; i++) {
    const base = offset + i * width;
    for (let k = 0; k < width; k++) acc[k] = r(acc[k]! + v[base + k]!);
  }
  for (let level = 1; level < LEVELS; level++) {
    // Stryker disable next-line EqualityOperator: the extra pass changes acc[width], which nothing reads afterwards
    for (let k = 0; k < width; k++) acc[k] = r(acc[k]! + acc[level * width + k]!);
  }
}

/**
 * row_sum (of vectors when lanes > 1): four interleaved partial sums, the tail vectors into the
 * first, then combined. Leaves the lane sums in acc[0 .. lanes).
 */
function rowSum(v: ArrayLike<number>, offset: number, vectors: number, lanes: number, r: Round): void {
  const rows = Math.floor(vectors / ILP);
  multiRowSum(v, offset, rows, lanes, r);
  for (let vi = rows * ILP; vi < vectors; vi++) {
    const base = offset + vi * lanes;
    for (let lane = 0; lane < lanes; lane++) acc[lane] = r(acc[lane]! + v[base + lane]!);
  }
  for (let k = 1; k < ILP; k++) {
    // Stryker disable next-line EqualityOperator: the extra pass changes acc[lanes], already added and not read again
    for (let lane = 0; lane < lanes; lane++) acc[lane] = r(acc[lane]! + acc[k * lanes + lane]!);
  }
}

/**
 * One contiguous row summed as cascade_sum does: a row of at least one vector (`lanes` values)
 * goes lane by lane (vectorized_inner_sum), then the scalar tail, then the lanes are added; a
 * shorter row goes through the scalar row_sum.
 */
export function atenRowSum(values: ArrayLike<number>, offset: number, length: number, lanes: number, r: Round): number {
  if (length < lanes) {
    rowSum(values, offset, length, 1, r);
    return r(0 + acc[0]!);
  }
  const vectors = Math.floor(length / lanes);
  rowSum(values, offset, vectors, lanes, r);
  let total = 0;
  for (let k = vectors * lanes; k < length; k++) total = r(total + values[offset + k]!);
  for (let lane = 0; lane < lanes; lane++) total = r(total + acc[lane]!);
  return r(0 + total); // CastStoreAccumulate: the output was zero-filled, then += (so -0 becomes +0)
}

/** c10 utils::CeilLog2: ceil(log2(x)), 0 for x <= 1. */
function ceilLog2(x: number): number {
  return x <= 1 ? 0 : Math.ceil(Math.log2(x));
}

/** Tensor.sum() of a contiguous tensor (or its first `length` values): one row. */
export function sum(values: ArrayLike<number>, lanes: number, r: Round, length = values.length): number {
  return atenRowSum(values, 0, length, lanes, r);
}

/**
 * ATen's mean from its sum: sum, then div_ by the count, rounded to the dtype (NaN for an empty
 * tensor, as torch). The one place a 'mean' reduction divides: applyReduction's JS path and the
 * float32 kernels' both come here.
 */
export function meanOf(total: number, count: number, r: Round): number {
  return r(total / count);
}

/** Tensor.mean() on CPU: sum, then div_ by the count. */
export function mean(values: ArrayLike<number>, lanes: number, r: Round, length = values.length): number {
  return meanOf(sum(values, lanes, r, length), length, r);
}

// The same sum for the hot loops of JS losses: one class per dtype (each call site monomorphic,
// the rounding in the typed array's store: a Float32Array element of a + b is Math.fround(a + b)),
// fed chunk by chunk through a small reused buffer, so a 'mean' or 'sum' needs no input-sized
// temporary. Same order, same values as atenRowSum(values, 0, length, lanes).
const STREAM_CHUNK = 4096; // a multiple of every ILP * lanes row width (at most 4 x 32)

/**
 * Tensor.sum() of `length` values of the dtype, fed in order a chunk at a time (the same order and
 * values as atenRowSum(values, 0, length, lanes)):
 *   const c = stream.begin(length, lanes);
 *   for (let n = stream.next(); n > 0; n = stream.next()) { write values stream.start .. + n into c; stream.push(n); }
 *   total = stream.end();
 * The writer is best a top-level function taking its arrays as arguments (a closure's captured
 * arrays ran about 3x slower in V8 here).
 */
export class CascadeStream32 {
  /** Where the values go (STREAM_CHUNK long, or the whole length where the 8-column loop does not fit the lanes). */
  chunk: Float32Array = new Float32Array(STREAM_CHUNK);
  /** The index of the next chunk's first value. */
  start = 0;
  private readonly acc = new Float32Array(LEVELS * ILP * 32);
  private length = 0;
  private lanes = 8;
  private width = 32;
  private vectors = 0;
  private rowEnd = 0;
  private levelPower = 4;
  private levelMask = 15;
  private rowsDone = 0;
  private direct = false;
  private total = 0;

  begin(length: number, lanes: number): Float32Array {
    this.length = length;
    this.lanes = lanes;
    this.start = 0;
    this.total = 0;
    this.direct = length <= STREAM_CHUNK || lanes % 2 !== 0;
    if (this.direct) {
      if (this.chunk.length < length) this.chunk = new Float32Array(length);
      return this.chunk;
    }
    if (this.chunk.length !== STREAM_CHUNK) this.chunk = new Float32Array(STREAM_CHUNK);
    const width = ILP * lanes;
    this.width = width;
    this.vectors = Math.floor(length / lanes);
    const rows = Math.floor(this.vectors / ILP);
    this.rowEnd = rows * width;
    this.levelPower = Math.max(4, Math.floor(ceilLog2(rows) / LEVELS));
    this.levelMask = 2 ** this.levelPower - 1;
    this.rowsDone = 0;
    this.acc.fill(0, 0, LEVELS * width);
    return this.chunk;
  }

  /** How many values the next chunk holds (0: all were pushed). The tail after the rows never spans two chunks. */
  next(): number {
    const left = this.length - this.start;
    if (left <= 0) return 0;
    if (this.direct || left <= STREAM_CHUNK) return left;
    return this.start + STREAM_CHUNK <= this.rowEnd ? STREAM_CHUNK : this.rowEnd - this.start;
  }

  /** Adds the chunk's `count` values (next()'s count). */
  push(count: number): void {
    const at = this.start;
    this.start += count;
    if (this.direct) return;
    const { acc, width, lanes } = this;
    const c = this.chunk;
    const rowsHere = Math.min(count, this.rowEnd - at) / width;
    this.rowsDone = addRows32(acc, c, 0, rowsHere, width, this.rowsDone, this.levelMask, this.levelPower);
    if (this.start < this.length) return;
    // multi_row_sum's last combine, the tail vectors into lane 0's row, the ILP rows, the scalars, the lanes
    for (let level = 1; level < LEVELS; level++) {
      for (let k = 0; k < width; k++) acc[k] = acc[k]! + acc[level * width + k]!;
    }
    let b = rowsHere * width;
    const vecEnd = this.vectors * lanes - at;
    for (; b < vecEnd; b += lanes) {
      for (let lane = 0; lane < lanes; lane++) acc[lane] = acc[lane]! + c[b + lane]!;
    }
    for (let k = 1; k < ILP; k++) {
      for (let lane = 0; lane < lanes; lane++) acc[lane] = acc[lane]! + acc[k * lanes + lane]!;
    }
    let total = 0;
    for (; b < count; b++) total = Math.fround(total + c[b]!);
    for (let lane = 0; lane < lanes; lane++) total = Math.fround(total + acc[lane]!);
    this.total = Math.fround(0 + total);
  }

  /** The sum. */
  end(): number {
    return this.direct ? atenRowSum(this.chunk, 0, this.length, this.lanes, useDType('float32')) : this.total;
  }
}

/** The one float32 stream (JS runs one loss at a time). */
export const stream32 = new CascadeStream32();

/**
 * Tensor.sum() of `length` values of the dtype, fed in order a chunk at a time (the same order and
 * values as atenRowSum(values, 0, length, lanes)):
 *   const c = stream.begin(length, lanes);
 *   for (let n = stream.next(); n > 0; n = stream.next()) { write values stream.start .. + n into c; stream.push(n); }
 *   total = stream.end();
 * The writer is best a top-level function taking its arrays as arguments (a closure's captured
 * arrays ran about 3x slower in V8 here).
 */
export class CascadeStream64 {
  /** Where the values go (STREAM_CHUNK long, or the whole length where the 8-column loop does not fit the lanes). */
  chunk: Float64Array = new Float64Array(STREAM_CHUNK);
  /** The index of the next chunk's first value. */
  start = 0;
  private readonly acc = new Float64Array(LEVELS * ILP * 32);
  private length = 0;
  private lanes = 8;
  private width = 32;
  private vectors = 0;
  private rowEnd = 0;
  private levelPower = 4;
  private levelMask = 15;
  private rowsDone = 0;
  private direct = false;
  private total = 0;

  begin(length: number, lanes: number): Float64Array {
    this.length = length;
    this.lanes = lanes;
    this.start = 0;
    this.total = 0;
    this.direct = length <= STREAM_CHUNK || lanes % 2 !== 0;
    if (this.direct) {
      if (this.chunk.length < length) this.chunk = new Float64Array(length);
      return this.chunk;
    }
    if (this.chunk.length !== STREAM_CHUNK) this.chunk = new Float64Array(STREAM_CHUNK);
    const width = ILP * lanes;
    this.width = width;
    this.vectors = Math.floor(length / lanes);
    const rows = Math.floor(this.vectors / ILP);
    this.rowEnd = rows * width;
    this.levelPower = Math.max(4, Math.floor(ceilLog2(rows) / LEVELS));
    this.levelMask = 2 ** this.levelPower - 1;
    this.rowsDone = 0;
    this.acc.fill(0, 0, LEVELS * width);
    return this.chunk;
  }

  /** How many values the next chunk holds (0: all were pushed). The tail after the rows never spans two chunks. */
  next(): number {
    const left = this.length - this.start;
    if (left <= 0) return 0;
    if (this.direct || left <= STREAM_CHUNK) return left;
    return this.start + STREAM_CHUNK <= this.rowEnd ? STREAM_CHUNK : this.rowEnd - this.start;
  }

  /** Adds the chunk's `count` values (next()'s count). */
  push(count: number): void {
    const at = this.start;
    this.start += count;
    if (this.direct) return;
    const { acc, width, lanes } = this;
    const c = this.chunk;
    const rowsHere = Math.min(count, this.rowEnd - at) / width;
    this.rowsDone = addRows64(acc, c, 0, rowsHere, width, this.rowsDone, this.levelMask, this.levelPower);
    if (this.start < this.length) return;
    // multi_row_sum's last combine, the tail vectors into lane 0's row, the ILP rows, the scalars, the lanes
    for (let level = 1; level < LEVELS; level++) {
      for (let k = 0; k < width; k++) acc[k] = acc[k]! + acc[level * width + k]!;
    }
    let b = rowsHere * width;
    const vecEnd = this.vectors * lanes - at;
    for (; b < vecEnd; b += lanes) {
      for (let lane = 0; lane < lanes; lane++) acc[lane] = acc[lane]! + c[b + lane]!;
    }
    for (let k = 1; k < ILP; k++) {
      for (let lane = 0; lane < lanes; lane++) acc[lane] = acc[lane]! + acc[k * lanes + lane]!;
    }
    let total = 0;
    for (; b < count; b++) total = total + c[b]!;
    for (let lane = 0; lane < lanes; lane++) total = total + acc[lane]!;
    this.total = 0 + total;
  }

  /** The sum. */
  end(): number {
    return this.direct ? atenRowSum(this.chunk, 0, this.length, this.lanes, useDType('float64')) : this.total;
  }
}

/** The one float64 stream (JS runs one loss at a time). */
export const stream64 = new CascadeStream64();

function cascadeLevels32(acc: Float32Array, width: number, i: number, levelMask: number, levelPower: number): void {
  for (let level = 1; level < LEVELS; level++) {
    const to = level * width;
    const from = to - width;
    for (let k = 0; k < width; k++) {
      acc[to + k] = acc[to + k]! + acc[from + k]!;
      acc[from + k] = 0;
    }
    if ((i & (levelMask * 2 ** (level * levelPower))) !== 0) break;
  }
}

function cascadeLevels64(acc: Float64Array, width: number, i: number, levelMask: number, levelPower: number): void {
  for (let level = 1; level < LEVELS; level++) {
    const to = level * width;
    const from = to - width;
    for (let k = 0; k < width; k++) {
      acc[to + k] = acc[to + k]! + acc[from + k]!;
      acc[from + k] = 0;
    }
    if ((i & (levelMask * 2 ** (level * levelPower))) !== 0) break;
  }
}

/**
 * multi_row_sum's adds of `rows` rows of `width` values from c[b], the rows after row i of the
 * whole sum: level 0 += each row, the cascade after every 2^levelPower rows. Each column is one
 * chain of adds in row order, so the columns go 8 at a time in locals, a block of rows at a time.
 * Returns the rows done.
 */
function addRows32(
  acc: Float32Array,
  c: Float32Array,
  b: number,
  rows: number,
  width: number,
  i: number,
  levelMask: number,
  levelPower: number,
): number {
  let row = i;
  let at = b;
  for (let left = rows; left > 0; ) {
    const block = Math.min(left, levelMask + 1 - (row & levelMask));
    const end = at + block * width;
    for (let k = 0; k < width; k += 8) {
      let a0 = acc[k + 0]!,
        a1 = acc[k + 1]!,
        a2 = acc[k + 2]!,
        a3 = acc[k + 3]!,
        a4 = acc[k + 4]!,
        a5 = acc[k + 5]!,
        a6 = acc[k + 6]!,
        a7 = acc[k + 7]!;
      for (let j = at + k; j < end; j += width) {
        a0 = Math.fround(a0 + c[j + 0]!);
        a1 = Math.fround(a1 + c[j + 1]!);
        a2 = Math.fround(a2 + c[j + 2]!);
        a3 = Math.fround(a3 + c[j + 3]!);
        a4 = Math.fround(a4 + c[j + 4]!);
        a5 = Math.fround(a5 + c[j + 5]!);
        a6 = Math.fround(a6 + c[j + 6]!);
        a7 = Math.fround(a7 + c[j + 7]!);
      }
      acc[k + 0] = a0;
      acc[k + 1] = a1;
      acc[k + 2] = a2;
      acc[k + 3] = a3;
      acc[k + 4] = a4;
      acc[k + 5] = a5;
      acc[k + 6] = a6;
      acc[k + 7] = a7;
    }
    at = end;
    row += block;
    left -= block;
    if ((row & levelMask) === 0) cascadeLevels32(acc, width, row, levelMask, levelPower);
  }
  return row;
}

/**
 * multi_row_sum's adds of `rows` rows of `width` values from c[b], the rows after row i of the
 * whole sum: level 0 += each row, the cascade after every 2^levelPower rows. Each column is one
 * chain of adds in row order, so the columns go 8 at a time in locals, a block of rows at a time.
 * Returns the rows done.
 */
function addRows64(
  acc: Float64Array,
  c: Float64Array,
  b: number,
  rows: number,
  width: number,
  i: number,
  levelMask: number,
  levelPower: number,
): number {
  let row = i;
  let at = b;
  for (let left = rows; left > 0; ) {
    const block = Math.min(left, levelMask + 1 - (row & levelMask));
    const end = at + block * width;
    for (let k = 0; k < width; k += 8) {
      let a0 = acc[k + 0]!,
        a1 = acc[k + 1]!,
        a2 = acc[k + 2]!,
        a3 = acc[k + 3]!,
        a4 = acc[k + 4]!,
        a5 = acc[k + 5]!,
        a6 = acc[k + 6]!,
        a7 = acc[k + 7]!;
      for (let j = at + k; j < end; j += width) {
        a0 = a0 + c[j + 0]!;
        a1 = a1 + c[j + 1]!;
        a2 = a2 + c[j + 2]!;
        a3 = a3 + c[j + 3]!;
        a4 = a4 + c[j + 4]!;
        a5 = a5 + c[j + 5]!;
        a6 = a6 + c[j + 6]!;
        a7 = a7 + c[j + 7]!;
      }
      acc[k + 0] = a0;
      acc[k + 1] = a1;
      acc[k + 2] = a2;
      acc[k + 3] = a3;
      acc[k + 4] = a4;
      acc[k + 5] = a5;
      acc[k + 6] = a6;
      acc[k + 7] = a7;
    }
    at = end;
    row += block;
    left -= block;
    if ((row & levelMask) === 0) cascadeLevels64(acc, width, row, levelMask, levelPower);
  }
  return row;
}
