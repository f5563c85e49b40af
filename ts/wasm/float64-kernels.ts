// The float64 WebAssembly SIMD kernels (./assembly/float64.ts, built into ./float64-binary.ts):
// loading, and placing a call's arrays in the module's memory. They compute what the ports' JS
// float64 loops compute, bit for bit (plain IEEE double operations, in the same order, two lanes
// at a time), for the losses with no exp / log: mse, l1, smooth_l1 and huber, forward (with ATen's
// float64 cascade sum for 'mean' and 'sum', 4 lanes) and the backwards' vectorized lambdas; and
// poisson_nll's forward (every form) and backward, whose exp and log are V8's Math.exp and
// Math.log (fdlibm's e_exp.c, e_log.c) in f64x2, bit for bit (the float64 JS loops use them:
// ../unary-ops.ts); binary_cross_entropy_with_logits (weight and pos_weight in any broadcast
// layout), kl_div and gaussian_nll_loss (both gradients at once: tryRunBoth); soft_margin,
// binary_cross_entropy and multilabel_soft_margin (per-sample means: tryRunRowMeans), also with
// Math.log1p (fdlibm's s_log1p.c). Without USES_GLIBC (avx2, avx512) the exp of poisson_nll,
// soft_margin, kl_div (log_target) and log_softmax is SLEEF's double exp instead (torch's bits in
// the relaxed-SIMD build, ./float64-fma-binary.ts; within a few ULP of the JS loops). The JS
// loops stay the reference (test/wasm-float64.test.ts compares the two) and the fallback: tryRun
// returns null, before any work, for every call these kernels cannot compute exactly so.
//
// The same interface as ./float32-kernels.ts (KernelCall, tryRun, tryRunBoth), so a port asks
// kernelsFor(dtype) and runs whichever it gets: the call's arrays go into the module chunk by chunk
// (CHUNK elements, which stay in cache), the results come out into the call's one output-sized
// allocation ('none') or are summed inside the module ('mean', 'sum': no allocation). Under
// useThreads, tryRun's elementwise calls split across ./threads.ts's workers as the float32 ones do.

import { FLOAT64_WASM_DEFLATED } from './float64-binary.ts';
import { FLOAT64_FMA_WASM_DEFLATED } from './float64-fma-binary.ts';
import { kernelBuildChoice, preferredKernelBuild, type KernelBuild } from './kernel-switch.ts';
import { KERNEL_FLAGS, KERNEL_OPS } from './kernel-ops.ts';
import { Arena, MODULE_CAP_BYTES, wasmBytes, relaxedSimdFused, type ModuleExports } from './module.ts';
import {
  provideFloat64Module,
  splitElementsOr,
  splitRowsOr,
  threadPool,
  tuneKind,
  worthSplitting,
  type ParallelOperand,
} from './threads.ts';
import type { KernelCall, Op } from './float32-kernels.ts';
import { travelsWithChunks, type RowColOperand } from '../broadcast.ts';
import { RowStatsCache, STATS_BYTES, STATS_WORDS } from './row-stats.ts';
import type { Reduction } from '../loss-args.ts';
import { makeTensor } from '../reduction.ts';
import { allocate, allocateWritten, type FloatArray, type Tensor } from '../tensor.ts';

/** One operand in the module's argument order: its address, row, column and element strides (in f64s). */
type OperandArgs = [ptr: number, rowStride: number, colStride: number, elemStride: number];
type Args = [
  op: number,
  x: number,
  out: number,
  start: number,
  count: number,
  classes: number,
  ...y: OperandArgs,
  ...a: OperandArgs,
  ...b: OperandArgs,
  ...c: OperandArgs,
  flags: number,
  s: number,
];

export type Float64Exports = ModuleExports & {
  readonly SUM_CHUNK_ALIGN: WebAssembly.Global;
  /** Kernel `op` on a chunk of `count` elements from element `start` of rows of `classes`: x and out contiguous, each operand as its strides say. */
  elementwise(...args: Args): void;
  /** As elementwise, the results summed into the stream sumBegin started: sumChunk's result for the chunk. */
  elementwiseSum(...args: Args): number;
  /** out[i] = f(input[i]), f 0: exp, 1: exp by log_softmax's path (for x <= 0), 2: log, 3: log1p (V8's Math.exp, Math.log, Math.log1p: fdlibm's), 4: SLEEF's exp (xexp u10); count rounded up to pairs. */
  elementary(fn: number, input: number, out: number, count: number): void;
  sumBegin(length: number): void;
  sumChunk(ptr: number, count: number): number;
  /** The index of the first of `count` values at ptr outside [0, 1] (NaN included), or -1. */
  firstOutsideUnit64(ptr: number, count: number): number;
  sumFloat64(ptr: number, length: number): number;
  /** out[r] = the sum of row r (4 lanes, as sumFloat64) / classes, for `rows` contiguous rows of `classes` values at ptr. */
  rowMeans64(ptr: number, out: number, rows: number, classes: number): void;
  /** log_softmax of `rows` rows of `dim` float64 values at x into out (4 or 8 lanes, folded in order). */
  logSoftmaxRows64(x: number, out: number, rows: number, dim: number, mode: number): void;
  /** log_softmax's backward of `rows` rows of `dim` values: grad, the forward's output, into out. */
  logSoftmaxBackwardRows64(grad: number, output: number, out: number, rows: number, dim: number, mode: number): void;
  /** logSoftmaxRows64's value of each row at its column (i32 cols; outside [0, dim) skipped) into out[row]. */
  logSoftmaxRowsPicked64(x: number, cols: number, out: number, rows: number, dim: number, mode: number): void;
  /** logSoftmaxBackwardRows64(grad, logSoftmaxRows64(x)) for a grad +0 but at one column per row (vals[row] at cols[row]). */
  logSoftmaxNllBackwardRows64(x: number, cols: number, vals: number, out: number, rows: number, dim: number, mode: number): void;
  /** logSoftmaxRowsPicked64, each row's max, lse and fingerprint also written to stats (STATS_BYTES a row, ./row-stats.ts). */
  logSoftmaxRowsPickedSaving64(x: number, cols: number, out: number, rows: number, dim: number, mode: number, stats: number): void;
  /** logSoftmaxNllBackwardRows64, each row whose fingerprint matches its saved one taking its max and lse from stats. */
  logSoftmaxNllBackwardRowsSaved64(
    x: number,
    cols: number,
    vals: number,
    out: number,
    rows: number,
    dim: number,
    mode: number,
    stats: number,
  ): void;
} & { readonly [name in Float64Op]: WebAssembly.Global };

/** The kernels of ./kernel-ops.ts the float64 module computes. */
export const FLOAT64_OPS = [
  'MSE',
  'MSE_GRAD',
  'L1',
  'L1_GRAD',
  'SMOOTH_L1',
  'SMOOTH_L1_GRAD',
  'HUBER',
  'HUBER_GRAD',
  'POISSON_NLL',
  'POISSON_NLL_GRAD',
  'BCE_WITH_LOGITS',
  'BCE_WITH_LOGITS_GRAD',
  'KL_DIV',
  'KL_DIV_GRAD',
  'GAUSSIAN_NLL',
  'GAUSSIAN_NLL_GRAD',
  'GAUSSIAN_NLL_VAR_GRAD',
  'SOFT_MARGIN',
  'SOFT_MARGIN_GRAD',
  'BINARY_CROSS_ENTROPY',
  'BINARY_CROSS_ENTROPY_GRAD',
  'MULTILABEL_SOFT_MARGIN',
  'MULTILABEL_SOFT_MARGIN_GRAD',
] as const;
export type Float64Op = (typeof FLOAT64_OPS)[number];
const SUPPORTED: ReadonlySet<Op> = new Set<Op>(FLOAT64_OPS);

/** ATen's float64 sum lanes the module sums in (Vectorized<double> under AVX2). */
export const FLOAT64_SUM_LANES = 4;

/** Elements per chunk: a chunk's four arrays (x, y, g, out: 4 x 64 kB) stay in the L2 cache. */
export const CHUNK64 = 8192;

// ./assembly/float64.ts's ids of poisson_nll's other forms (the test checks them against its exports).
export const POISSON_NLL_EPS = 40;
export const POISSON_NLL_FULL = 41;
export const POISSON_NLL_EPS_FULL = 42;
export const POISSON_NLL_EPS_GRAD = 43;
// and soft_margin's torch >= 2.0 form (USES_LOG1P; LOG1P_OVERFLOWS read from the flags)
export const SOFT_MARGIN_LOG1P = 44;

/** ./assembly/float64.ts elementary's function ids. */
const ELEMENTARY64 = { exp: 0, expNonPositive: 1, log: 2, log1p: 3, sleefExp: 4, sleefLog: 5, sleefLog1p: 6 } as const;

/**
 * The log_softmax exports' mode: LANES8 (1) for 8 lanes, and USES_GLIBC for the 'default' capability's
 * exp (fdlibm's, Math.exp: the JS loops' bits); without it SLEEF's (avx2 / avx512: torch's).
 */
const softmaxMode = (lanes: number, glibcExp: boolean) => (lanes === 8 ? 1 : 0) | (glibcExp ? KERNEL_FLAGS.USES_GLIBC : 0);

let cap = MODULE_CAP_BYTES;

/** Sets the cap on what one call places in the module (tests use a small one); returns the previous one. */
export function useFloat64ArenaCap(bytes: number = MODULE_CAP_BYTES): number {
  const previous = cap;
  cap = bytes;
  return previous;
}

/** The module's kernel for the call: KERNEL_OPS's id, or for poisson_nll and soft_margin the module's own one for their flags. */
function opId(call: KernelCall): number {
  if (call.op === 'SOFT_MARGIN' && call.flags.includes('USES_LOG1P')) return SOFT_MARGIN_LOG1P;
  const logInput = call.flags.includes('LOG_INPUT');
  const full = call.flags.includes('FULL');
  if (call.op === 'POISSON_NLL')
    return logInput ? (full ? POISSON_NLL_FULL : KERNEL_OPS.POISSON_NLL.id) : full ? POISSON_NLL_EPS_FULL : POISSON_NLL_EPS;
  if (call.op === 'POISSON_NLL_GRAD') return logInput ? KERNEL_OPS.POISSON_NLL_GRAD.id : POISSON_NLL_EPS_GRAD;
  return KERNEL_OPS[call.op].id;
}

/** The module's argument slots of the operands, in its order. */
const SLOT_INDEX: Readonly<Record<string, number>> = { y: 0, a: 1, b: 2, c: 3 };

/** Operands a port leaves out (null) when the loss has none: the kernels read them as 0, their flag off. */
const OPTIONAL: ReadonlySet<string> = new Set(['weight', 'posWeight']);
const ZERO_PAIR = new Float64Array(2);

/** A call's arrays in the module: the chunk buffers (the input first), the operands' arguments, the outputs. */
interface Placed {
  readonly heap: Float64Array;
  readonly streams: readonly { ptr: number; values: FloatArray }[];
  readonly args: readonly number[];
  readonly out: readonly number[];
  /** The row length the module walks segments of: the call's classes, or the whole call when nothing varies by row or column. */
  readonly classes: number;
  readonly flags: number;
  /** The operands as a worker places them (useThreads), in slot order: null where absent (a pair of zeros). */
  readonly operands: readonly ParallelOperand[];
}

export class Float64Kernels {
  readonly exports: Float64Exports;
  private readonly arena: Arena;
  /** The last one-thread logSoftmaxRowsAt's row statistics, for logSoftmaxNllBackwardRows. */
  private readonly saved = new RowStatsCache();

  constructor(exports: Float64Exports) {
    this.exports = exports;
    this.arena = new Arena(exports);
    if (CHUNK64 % (exports.SUM_CHUNK_ALIGN.value as number) !== 0) throw new Error('CHUNK64 must be a multiple of SUM_CHUNK_ALIGN');
  }

  /**
   * Runs `call` (one of FLOAT64_OPS, one result per element) chunk by chunk and applies
   * apply_loss_reduction: 'none' copies the results into one new Float64Array (shaped `shape`);
   * 'sum' and 'mean' take ATen's float64 sum (4 lanes) inside the module. Every operand (y, a, b,
   * c) may be per element (copied with the chunks, as the input), one value, or any RowColOperand
   * layout of the input's rows x classes (per class, per row, ...: placed whole); weight and
   * posWeight may be absent. Null, before any work, for what the module does not compute exactly as
   * the JS float64 loops: another op, 'row means' of another op than MULTILABEL_SOFT_MARGIN (its
   * per-sample means: tryRunRowMeans), another sum lane count, a missing operand, a
   * one-value operand in a Float32Array (the float32 form of a port's call, its value rounded), or
   * more than the cap.
   */
  tryRun(call: KernelCall, reduction: Reduction, shape: readonly number[]): Tensor | null {
    if (call.results === 'row means') return call.op === 'MULTILABEL_SOFT_MARGIN' ? this.tryRunRowMeans(call, reduction, shape) : null;
    if (call.results !== 'elements' || !SUPPORTED.has(call.op)) return null;
    if (reduction !== 'none' && (call.sumLanes ?? FLOAT64_SUM_LANES) !== FLOAT64_SUM_LANES) return null;
    const plan = this.place(call, 1);
    if (!plan) return null;
    const collect = reduction === 'none' ? (allocateWritten('float64', call.input.length) as Float64Array) : null; // every element written: not zeroed (../tensor.ts)
    const sum = this.runPlaced(plan, call, opId(call), collect, null, 0);
    if (collect) return makeTensor(collect, shape, 'float64');
    return makeTensor([reduction === 'mean' ? sum / call.input.length : sum], [], 'float64');
  }

  /**
   * A 'row means' call (multilabel_soft_margin's forward): each row's `classes` results summed as
   * Tensor.sum() sums a row (4 lanes) and divided by classes, then apply_loss_reduction over the
   * rows ('none': the per-row values shaped `shape`). Chunks of whole rows; null (before any work)
   * as tryRun, and for rows longer than a chunk, no classes, or other than 4 sum lanes.
   */
  private tryRunRowMeans(call: KernelCall, reduction: Reduction, shape: readonly number[]): Tensor | null {
    const n = call.input.length;
    const classes = call.classes;
    if ((call.sumLanes ?? FLOAT64_SUM_LANES) !== FLOAT64_SUM_LANES || !(classes >= 1 && classes <= CHUNK64)) return null;
    const plan = this.place(call, 2); // the elements' results, then the rows' means
    if (!plan) return null;
    const { heap, streams, out, flags } = plan;
    const [y, yRow, yCol, yElem, a, aRow, aCol, aElem, b, bRow, bCol, bElem, c, cRow, cCol, cElem] = plan.args as number[] as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const { elementwise, rowMeans64 } = this.exports;
    const op = opId(call);
    const s = call.scalar ?? 0;
    const rows = n / classes;
    const perChunk = Math.floor(CHUNK64 / classes);
    const [o, means] = out as [number, number];
    const perRow = allocate('float64', rows) as Float64Array; // allocate: ../allocator.ts's warm-up
    for (let row = 0; row < rows; row += perChunk) {
      const count = Math.min(perChunk, rows - row);
      const start = row * classes;
      const end = start + count * classes;
      for (let k = 0; k < streams.length; k++) {
        const { ptr, values } = streams[k]!;
        heap.set(end - start === n ? values : values.subarray(start, end), ptr / 8);
      }
      elementwise(
        op,
        streams[0]!.ptr,
        o,
        start,
        end - start,
        plan.classes,
        y,
        yRow,
        yCol,
        yElem,
        a,
        aRow,
        aCol,
        aElem,
        b,
        bRow,
        bCol,
        bElem,
        c,
        cRow,
        cCol,
        cElem,
        flags,
        s,
      );
      rowMeans64(o, means, count, classes);
      perRow.set(heap.subarray(means / 8, means / 8 + count), row);
    }
    if (reduction === 'none') return makeTensor(perRow, shape, 'float64');
    const total = this.sum(perRow);
    return makeTensor([reduction === 'mean' ? total / rows : total], [], 'float64');
  }

  /**
   * The call's arrays placed in the module (the per-element ones as chunk buffers, the others whole),
   * with `outputs` output buffers; null (before any work) where an operand cannot be or the cap is passed.
   */
  private place(call: KernelCall, outputs: number): Placed | null {
    const { input } = call;
    const n = input.length;
    const classes = Math.max(1, call.classes);
    const given = call.operands as Readonly<Record<string, RowColOperand | null | undefined>>;
    const declared = KERNEL_OPS[call.op].operands as readonly { name: string; slot: string }[];
    const arena = this.arena.reset();
    const bytes = CHUNK64 * 8 + 16; // a pair of slack: an odd segment's last pair
    const x = arena.reserve(bytes);
    const streams: { ptr: number; values: FloatArray }[] = [{ ptr: x, values: input }];
    const placed: { ptr: number; values: FloatArray }[] = [];
    const args = new Array<number>(16).fill(0);
    const operands: ParallelOperand[] = [null, null, null, null];
    let byRows = false;
    for (const { name, slot } of declared) {
      const at = SLOT_INDEX[slot]! * 4;
      const o = given[name];
      if (!o) {
        if (!OPTIONAL.has(name)) return null;
        args[at] = this.zeroPair(arena, placed); // read as 0 (its flag off: not used)
      } else if (o.rowStride === 0 && o.colStride === 0) {
        if (!(o.data instanceof Float64Array) || o.data.length < 1) return null;
        const ptr = arena.reserve(16);
        const values = o.data.subarray(0, 1);
        placed.push({ ptr, values });
        args[at] = ptr;
        operands[at / 4] = { kind: 'placed', values, rowStride: 0, colStride: 0 };
      } else if (travelsWithChunks(o, n, classes)) {
        const ptr = arena.reserve(bytes);
        streams.push({ ptr, values: o.data });
        args[at] = ptr;
        args[at + 3] = 1;
        operands[at / 4] = { kind: 'element', values: o.data };
      } else {
        // placed whole: every (row, col) of the call must read inside it
        const rows = Math.ceil(n / classes);
        if (n > 0 && (rows - 1) * o.rowStride + (classes - 1) * o.colStride >= o.data.length) return null;
        const ptr = arena.reserve(o.data.length * 8 + 16);
        placed.push({ ptr, values: o.data });
        args.splice(at, 3, ptr, o.rowStride, o.colStride);
        operands[at / 4] = { kind: 'placed', values: o.data, rowStride: o.rowStride, colStride: o.colStride };
        byRows = true;
      }
    }
    const out = Array.from({ length: outputs }, () => arena.reserve(bytes));
    if (!arena.fits(cap)) return null;
    const heap = new Float64Array(arena.buffer());
    for (const { ptr, values } of placed) heap.set(values, ptr / 8);
    const flags = call.flags.reduce((bits, f) => bits | KERNEL_FLAGS[f], 0);
    // no operand varying by row or column: each chunk one segment
    return { heap, streams, args, out, classes: byRows ? classes : Math.max(1, n), flags, operands };
  }

  /** A pair of zeros in this call's arena, for an absent operand. */
  private zeroPair(arena: Arena, placed: { ptr: number; values: FloatArray }[]): number {
    const ptr = arena.reserve(16);
    placed.push({ ptr, values: ZERO_PAIR });
    return ptr;
  }

  /**
   * Kernel `op` (and `op2`, into `collect2`, when given) over the placed call, chunk by chunk: the
   * results copied into `collect`, or summed in the module (then the sum is returned). Under
   * useThreads (./threads.ts) a call of one kernel from THREADS_FROM elements is split: this thread
   * runs the first chunks straight from the call's arrays (the sum streaming from element 0), the
   * workers the rest, whose results follow in order (into `collect`, or through sumChunk).
   */
  private runPlaced(
    plan: Placed,
    call: KernelCall,
    op: number,
    collect: Float64Array | null,
    collect2: Float64Array | null,
    op2: number,
  ): number {
    const n = call.input.length;
    const { sumBegin, sumChunk } = this.exports;
    const o = plan.out[0]!;
    if (!collect) sumBegin(n);
    let sum = !collect && n === 0 ? sumChunk(o, 0) : 0;
    const pool = collect2 ? null : threadPool();
    if (!pool || !worthSplitting(call.op, 'float64', n, collect !== null))
      return this.runChunks(plan, call, op, collect, collect2, op2, 0, n, sum);
    // useThreads: split where the tuner finds it faster (./threads.ts SplitTuner), timed either way
    // (collect2 is null here: a call of two kernels stays on this thread)
    splitElementsOr(
      pool,
      tuneKind(collect ? `${call.op} none` : call.op, 'float64', n),
      n,
      () => ({
        dtype: 'float64',
        op,
        flags: plan.flags,
        scalar: call.scalar ?? 0,
        classes: plan.classes,
        chunk: CHUNK64,
        input: call.input,
        operands: plan.operands,
      }),
      (from, to) => {
        sum = this.runChunks(plan, call, op, collect, null, 0, from, to, sum);
      },
      (split) => {
        for (let start = split.from; start < n; start += CHUNK64) {
          const results = split.results.subarray(start, Math.min(n, start + CHUNK64));
          if (collect) collect.set(results, start);
          else {
            plan.heap.set(results, o / 8);
            sum = sumChunk(o, results.length);
          }
        }
      },
      () => {
        sum = this.runChunks(plan, call, op, collect, null, 0, 0, n, sum);
      },
    );
    return sum;
  }

  /** runPlaced's chunks from `from` to `to` (a chunk boundary or n) on this thread, the sum streamed on from `sum`. */
  private runChunks(
    plan: Placed,
    call: KernelCall,
    op: number,
    collect: Float64Array | null,
    collect2: Float64Array | null,
    op2: number,
    from: number,
    to: number,
    sum: number,
  ): number {
    const { heap, streams, out, classes, flags } = plan;
    const n = call.input.length;
    const s = call.scalar ?? 0;
    const { elementwise, elementwiseSum } = this.exports;
    // The module's functions called with their arguments listed (a spread call of a wasm export
    // takes V8's generic path), the operands in locals.
    const [y, yRow, yCol, yElem, a, aRow, aCol, aElem, b, bRow, bCol, bElem, c, cRow, cCol, cElem] = plan.args as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const o = out[0]!;
    const o2 = out[1] ?? 0;
    const outView = heap.subarray(o / 8, o / 8 + CHUNK64);
    const outView2 = collect2 ? heap.subarray(o2 / 8, o2 / 8 + CHUNK64) : null;
    for (let start = from; start < to; start += CHUNK64) {
      const count = Math.min(CHUNK64, n - start);
      const end = start + count;
      for (let k = 0; k < streams.length; k++) {
        const { ptr, values } = streams[k]!;
        heap.set(count === n ? values : values.subarray(start, end), ptr / 8);
      }
      const x = streams[0]!.ptr;
      if (collect) {
        elementwise(
          op,
          x,
          o,
          start,
          count,
          classes,
          y,
          yRow,
          yCol,
          yElem,
          a,
          aRow,
          aCol,
          aElem,
          b,
          bRow,
          bCol,
          bElem,
          c,
          cRow,
          cCol,
          cElem,
          flags,
          s,
        );
        collect.set(count === CHUNK64 ? outView : outView.subarray(0, count), start);
      } else {
        sum = elementwiseSum(
          op,
          x,
          o,
          start,
          count,
          classes,
          y,
          yRow,
          yCol,
          yElem,
          a,
          aRow,
          aCol,
          aElem,
          b,
          bRow,
          bCol,
          bElem,
          c,
          cRow,
          cCol,
          cElem,
          flags,
          s,
        );
      }
      if (collect2) {
        elementwise(
          op2,
          x,
          o2,
          start,
          count,
          classes,
          y,
          yRow,
          yCol,
          yElem,
          a,
          aRow,
          aCol,
          aElem,
          b,
          bRow,
          bCol,
          bElem,
          c,
          cRow,
          cCol,
          cElem,
          flags,
          s,
        );
        collect2.set(count === CHUNK64 ? outView2! : outView2!.subarray(0, count), start);
      }
    }
    return sum;
  }

  /**
   * log_softmax over the last dim of `rows` rows of `dim` float64 values with `lanes` (4 or 8) lanes
   * folded in order (../softmax.ts logSoftmax's float64 loops, bit for bit), into one new
   * Float64Array; null, before any work, for other lanes or where a chunk of whole rows would place
   * more than the cap.
   */
  logSoftmaxRows(x: Float64Array, rows: number, dim: number, lanes: number, glibcExp = true): Float64Array | null {
    if (lanes !== 4 && lanes !== 8) return null;
    const mode = softmaxMode(lanes, glibcExp);
    return this.byRows([x], rows, dim, (at, out, count) => this.exports.logSoftmaxRows64(at[0]!, out, count, dim, mode));
  }

  /** log_softmax's backward over the last dim (../softmax.ts logSoftmaxBackward's float64 loops, bit for bit), as logSoftmaxRows. */
  logSoftmaxBackwardRows(
    grad: Float64Array,
    output: Float64Array,
    rows: number,
    dim: number,
    lanes: number,
    glibcExp = true,
  ): Float64Array | null {
    if (lanes !== 4 && lanes !== 8) return null;
    const mode = softmaxMode(lanes, glibcExp);
    return this.byRows([grad, output], rows, dim, (at, out, count) =>
      this.exports.logSoftmaxBackwardRows64(at[0]!, at[1]!, out, count, dim, mode),
    );
  }

  /**
   * logSoftmaxBackwardRows(grad, logSoftmaxRows(x)), the forward's output kept in the module: each
   * chunk's log_softmax into module memory, then its backward (the same kernels, so the same values,
   * without the forward's output-sized array and its copies).
   */
  logSoftmaxBackwardOfInputRows(
    grad: Float64Array,
    x: Float64Array,
    rows: number,
    dim: number,
    lanes: number,
    glibcExp = true,
  ): Float64Array | null {
    if (lanes !== 4 && lanes !== 8) return null;
    const mode = softmaxMode(lanes, glibcExp);
    return this.byRows(
      [grad, x],
      rows,
      dim,
      (at, out, count, scratch) => {
        this.exports.logSoftmaxRows64(at[1]!, scratch, count, dim, mode);
        this.exports.logSoftmaxBackwardRows64(at[0]!, scratch, out, count, dim, mode);
      },
      true,
    );
  }

  /**
   * logSoftmaxRows, of which only each row's value at its target class (targets[row], where in
   * [0, dim)) leaves the module, into into[row] (a row's whose target is outside [0, dim) left as it
   * is): all nll_loss reads of the log-probabilities of class-index targets, without the
   * output-sized array. false (before any work) for other lanes or past the arena cap.
   */
  logSoftmaxRowsAt(
    x: Float64Array,
    rows: number,
    dim: number,
    lanes: number,
    targets: Int32Array,
    into: Float64Array,
    glibcExp = true,
  ): boolean {
    if (lanes !== 4 && lanes !== 8) return false;
    const perChunk = Math.max(1, Math.floor(CHUNK64 / dim));
    const arena = this.arena.reset();
    const [xPtr, colPtr, outPtr] = [arena.reserve(perChunk * dim * 8), arena.reserve(perChunk * 4), arena.reserve(perChunk * 8)];
    if (!arena.fits(cap)) return false;
    const mode = softmaxMode(lanes, glibcExp);
    // each row's statistics saved too, for the backward (./row-stats.ts)
    let stats = this.saved.begin(rows);
    const statsPtr = stats ? arena.reserve(perChunk * STATS_BYTES) : 0;
    if (!arena.fits(cap)) stats = null;
    // useThreads (./threads.ts): this thread's first rows, the workers' after them
    const run = (from: number, to: number) =>
      this.rowsPicked(x, targets, into, dim, mode, perChunk, xPtr, colPtr, outPtr, from, to, statsPtr, stats);
    splitRowsOr(threadPool(), { kind: 'picked', x, cols: targets, vals: into, rows, dim, flags: mode, perChunk }, into, run, stats);
    if (stats) this.saved.commit(x, rows, dim, mode);
    return true;
  }

  /** logSoftmaxRowsAt's chunks of rows [from, to) (from a chunk boundary) on this thread. */
  private rowsPicked(
    x: Float64Array,
    targets: Int32Array,
    into: Float64Array,
    dim: number,
    mode: number,
    perChunk: number,
    xPtr: number,
    colPtr: number,
    outPtr: number,
    from: number,
    to: number,
    statsPtr = 0,
    stats: Int32Array | null = null,
  ): void {
    const buffer = this.arena.buffer();
    const heap = new Float64Array(buffer);
    const cols = new Int32Array(buffer, colPtr, perChunk);
    const statsView = stats ? new Int32Array(buffer, statsPtr, Math.min(perChunk, to - from) * STATS_WORDS) : null;
    for (let row = from; row < to; row += perChunk) {
      const count = Math.min(perChunk, to - row);
      heap.set(x.subarray(row * dim, (row + count) * dim), xPtr / 8);
      cols.set(targets.subarray(row, row + count));
      heap.set(into.subarray(row, row + count), outPtr / 8); // what `into` holds where a row has no target value
      if (statsView) {
        this.exports.logSoftmaxRowsPickedSaving64(xPtr, colPtr, outPtr, count, dim, mode, statsPtr);
        stats!.set(count * STATS_WORDS === statsView.length ? statsView : statsView.subarray(0, count * STATS_WORDS), row * STATS_WORDS);
      } else this.exports.logSoftmaxRowsPicked64(xPtr, colPtr, outPtr, count, dim, mode);
      into.set(heap.subarray(outPtr / 8, outPtr / 8 + count), row);
    }
  }

  /**
   * logSoftmaxBackwardOfInputRows(grad, x) for a grad that is +0 but at one column per row,
   * vals[row] at cols[row] (a column outside [0, dim): none): nll_loss's gradient, never
   * materialized (the same values: x, the columns and values go in, the result out). null (before
   * any work) for other lanes or past the arena cap.
   */
  logSoftmaxNllBackwardRows(
    x: Float64Array,
    cols: Int32Array,
    vals: Float64Array,
    rows: number,
    dim: number,
    lanes: number,
    glibcExp = true,
  ): Float64Array | null {
    if (lanes !== 4 && lanes !== 8) return null;
    const perChunk = Math.max(1, Math.floor(CHUNK64 / dim));
    const arena = this.arena.reset();
    const length = perChunk * dim;
    const [xPtr, colPtr, valPtr, outPtr] = [
      arena.reserve(length * 8),
      arena.reserve(perChunk * 4),
      arena.reserve(perChunk * 8),
      arena.reserve(length * 8),
    ];
    if (!arena.fits(cap)) return null;
    const result = allocateWritten('float64', rows * dim) as Float64Array; // every element written: not zeroed (../tensor.ts)
    const mode = softmaxMode(lanes, glibcExp);
    // the forward's row statistics where it saved them for x (./row-stats.ts)
    let stats = this.saved.lookup(x, rows, dim, mode);
    const statsPtr = stats ? arena.reserve(perChunk * STATS_BYTES) : 0;
    if (!arena.fits(cap)) stats = null;
    // useThreads (./threads.ts): this thread's first rows, the workers' after them
    const run = (from: number, to: number) =>
      this.rowsNllBackward(x, cols, vals, dim, mode, perChunk, xPtr, colPtr, valPtr, outPtr, result, from, to, statsPtr, stats);
    splitRowsOr(threadPool(), { kind: 'nllBackward', x, cols, vals, rows, dim, flags: mode, perChunk }, result, run, stats);
    return result;
  }

  /** logSoftmaxNllBackwardRows' chunks of rows [from, to) (from a chunk boundary) on this thread, into `result`. */
  private rowsNllBackward(
    x: Float64Array,
    cols: Int32Array,
    vals: Float64Array,
    dim: number,
    mode: number,
    perChunk: number,
    xPtr: number,
    colPtr: number,
    valPtr: number,
    outPtr: number,
    result: Float64Array,
    first: number,
    to: number,
    statsPtr = 0,
    stats: Int32Array | null = null,
  ): void {
    const length = perChunk * dim;
    const buffer = this.arena.buffer();
    const heap = new Float64Array(buffer);
    const colView = new Int32Array(buffer, colPtr, perChunk);
    const statsView = stats ? new Int32Array(buffer, statsPtr, perChunk * STATS_WORDS) : null;
    const outView = heap.subarray(outPtr / 8, outPtr / 8 + length);
    for (let row = first; row < to; row += perChunk) {
      const count = Math.min(perChunk, to - row);
      const [from, end] = [row * dim, (row + count) * dim];
      heap.set(x.subarray(from, end), xPtr / 8);
      colView.set(cols.subarray(row, row + count));
      heap.set(vals.subarray(row, row + count), valPtr / 8);
      if (statsView) {
        statsView.set(stats!.subarray(row * STATS_WORDS, (row + count) * STATS_WORDS));
        this.exports.logSoftmaxNllBackwardRowsSaved64(xPtr, colPtr, valPtr, outPtr, count, dim, mode, statsPtr);
      } else this.exports.logSoftmaxNllBackwardRows64(xPtr, colPtr, valPtr, outPtr, count, dim, mode);
      result.set(end - from === length ? outView : outView.subarray(0, end - from), from);
    }
  }

  /** `run` over chunks of whole rows of the inputs (copied in at `at`; with `scratch`, a chunk-sized buffer for it), its results copied out into one new array. */
  private byRows(
    inputs: Float64Array[],
    rows: number,
    dim: number,
    run: (at: number[], out: number, rows: number, scratch: number) => void,
    scratch = false,
  ): Float64Array | null {
    const perChunk = Math.max(1, Math.floor(CHUNK64 / dim));
    const arena = this.arena.reset();
    const bytes = perChunk * dim * 8;
    const at = inputs.map(() => arena.reserve(bytes));
    const out = arena.reserve(bytes);
    const scratchPtr = scratch ? arena.reserve(bytes) : 0;
    if (!arena.fits(cap)) return null;
    const heap = new Float64Array(arena.buffer());
    const result = allocateWritten('float64', rows * dim) as Float64Array; // every element written: not zeroed (../tensor.ts)
    for (let row = 0; row < rows; row += perChunk) {
      const count = Math.min(perChunk, rows - row);
      const from = row * dim;
      const to = from + count * dim;
      for (let i = 0; i < inputs.length; i++) heap.set(inputs[i]!.subarray(from, to), at[i]! / 8);
      run(at, out, count, scratchPtr);
      result.set(heap.subarray(out / 8, out / 8 + (to - from)), from);
    }
    return result;
  }

  /**
   * tryRun of `call` and of kernel `second` on the same arrays, one result per element each
   * ('none'): each chunk is copied into the module once for both (GaussianNLLLoss' two gradients).
   * Null as tryRun.
   */
  tryRunBoth(call: KernelCall, second: Op, shape: readonly number[], secondShape: readonly number[]): [Tensor, Tensor] | null {
    if (call.results !== 'elements' || !SUPPORTED.has(call.op) || !SUPPORTED.has(second)) return null;
    const plan = this.place(call, 2);
    if (!plan) return null;
    const n = call.input.length;
    const first = allocateWritten('float64', n) as Float64Array;
    const other = allocateWritten('float64', n) as Float64Array;
    this.runPlaced(plan, call, opId(call), first, other, opId({ ...call, op: second }));
    return [makeTensor(first, shape, 'float64'), makeTensor(other, secondShape, 'float64')];
  }

  /**
   * The module's exp, log or log1p (V8's Math.exp / Math.log / Math.log1p, fdlibm's e_exp.c / e_log.c
   * / s_log1p.c, in f64x2) of every value (for checks); expNonPositive: exp through log_softmax's
   * path for arguments <= 0 (every other pair through exp's); sleefExp: SLEEF's exp (the calls
   * without USES_GLIBC), fused multiply-adds in the 'fma' build.
   */
  /**
   * The index of the first value outside [0, 1] (NaN included) before `end`, or -1: BCELoss'
   * argument check, streamed through the module a chunk at a time (about 0.6 ns per value at 1e6,
   * against the JS loop's 1.7-2.0: ../losses/binary_cross_entropy.ts firstOutside64).
   */
  firstOutsideUnit(values: Float64Array, end = Infinity): number {
    const n = Math.min(values.length, end);
    const arena = this.arena.reset();
    const ptr = arena.reserve(CHUNK64 * 8);
    const heap = new Float64Array(arena.buffer());
    for (let start = 0; start < n; start += CHUNK64) {
      const count = Math.min(CHUNK64, n - start);
      heap.set(count === values.length ? values : values.subarray(start, start + count), ptr / 8);
      const at = this.exports.firstOutsideUnit64(ptr, count);
      if (at >= 0) return start + at;
    }
    return -1;
  }

  elementary(fn: 'exp' | 'expNonPositive' | 'log' | 'log1p' | 'sleefExp' | 'sleefLog' | 'sleefLog1p', values: Float64Array): Float64Array {
    const arena = this.arena.reset();
    const [input, out] = [arena.reserve(values.length * 8 + 16), arena.reserve(values.length * 8 + 16)];
    if (!arena.fits(cap)) throw new RangeError('Float64Kernels.elementary: too many values for the module');
    new Float64Array(arena.buffer()).set(values, input / 8);
    this.exports.elementary(ELEMENTARY64[fn], input, out, values.length);
    return new Float64Array(this.exports.memory.buffer, out, values.length).slice();
  }

  /** Tensor.sum() of float64 values as ATen sums them (cascade_sum, 4 lanes), streamed through the module (for checks). */
  sum(values: Float64Array): number {
    const arena = this.arena.reset();
    const ptr = arena.reserve(CHUNK64 * 8);
    const heap = new Float64Array(arena.buffer());
    const n = values.length;
    this.exports.sumBegin(n);
    let total = n === 0 ? this.exports.sumChunk(ptr, 0) : 0;
    for (let start = 0; start < n; start += CHUNK64) {
      const count = Math.min(CHUNK64, n - start);
      heap.set(values.subarray(start, start + count), ptr / 8);
      total = this.exports.sumChunk(ptr, count);
    }
    return total;
  }
}

/**
 * A fresh instance of the kernels (its own memory) of `build` (./kernel-switch.ts; by default the
 * preferred one: 'fma', SLEEF's exp with fused multiply-adds, where relaxedSimdFused()), or null
 * where WebAssembly SIMD is unavailable (and for 'fma' where relaxedSimdFused() is false).
 */
export function loadFloat64Kernels(build: KernelBuild = preferredKernelBuild()): Float64Kernels | null {
  if (build === 'fma' && !relaxedSimdFused()) return null;
  const module = float64Module(build);
  if (!module) return null;
  try {
    return new Float64Kernels(new WebAssembly.Instance(module, {}).exports as unknown as Float64Exports);
  } catch {
    return null;
  }
}

const compiled = new Map<KernelBuild, WebAssembly.Module | null>();

/** The build's module, compiled once (null where WebAssembly SIMD is unavailable): this thread's instances and useThreads' workers'. */
function float64Module(build: KernelBuild): WebAssembly.Module | null {
  let module = compiled.get(build);
  if (module === undefined) {
    try {
      module = new WebAssembly.Module(wasmBytes(build === 'fma' ? FLOAT64_FMA_WASM_DEFLATED : FLOAT64_WASM_DEFLATED));
    } catch {
      module = null;
    }
    compiled.set(build, module);
  }
  return module;
}
// the workers load the build this thread's float64Kernels() loads (threadPool() is null when they differ)
provideFloat64Module(float64Module);

let kernels: Float64Kernels | null | undefined;
/** The generation of the build choice (./kernel-switch.ts) `kernels` was loaded under. */
let kernelsGeneration = -1;

/**
 * The float64 kernels, loaded on first use, or null where WebAssembly SIMD is unavailable. The
 * ports reach them through ./float32-kernels.ts kernelsFor('float64'), which useFloat32Kernels(false)
 * switches off with the float32 ones.
 */
export function float64Kernels(): Float64Kernels | null {
  const { choice, generation } = kernelBuildChoice();
  if (kernels === undefined || kernelsGeneration !== generation) {
    kernels = choice === 'auto' ? loadFloat64Kernels() : loadFloat64Kernels(choice);
    kernelsGeneration = generation;
  }
  return kernels;
}
