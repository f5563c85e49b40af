// The float32 WebAssembly SIMD kernels (./assembly/kernels.ts, built into ./kernels-binary.ts):
// loading, and placing a call's arrays in the module's memory. The ports call these for float32
// and keep their JS loops for float64 (and as the reference the kernels are tested against).
//
// The module cannot read JS typed arrays, so a call copies its per-element arrays in chunk by chunk
// (about CHUNK elements, which stay in cache), runs the kernel on each chunk and copies the results
// out into the call's one output-sized allocation, or sums them inside the module. Small operands
// (per-class weights) are placed whole. Memory grows when a call needs more and is kept, up to
// ARENA_CAP_BYTES: WebAssembly memory cannot shrink, so a call that would need more (a huge
// per-row weight, or 'row means' of more than 16M rows) is left to the ports' JS loops (tryRun
// returns null), which compute the same values, and the module never holds more than that.

import { KERNELS_WASM_DEFLATED } from './kernels-binary.ts';
import { KERNELS_FMA_WASM_DEFLATED } from './kernels-fma-binary.ts';
import { wasmBytes, relaxedSimdFused } from './module.ts';
import { KERNEL_FLAGS, KERNEL_OPS } from './kernel-ops.ts';
import { parallelCall, splitElementsOr, splitRowsOr, threadPool, tuneKind, worthSplitting } from './threads.ts';
import { float64Kernels } from './float64-kernels.ts';
import { kernelBuildChoice, kernelsEnabled, preferredKernelBuild, type KernelBuild } from './kernel-switch.ts';
import { meanOf } from '../numerics.ts';
import type { Reduction } from '../loss-args.ts';
import { makeTensor } from '../reduction.ts';
import { allocateWritten, type DType, type FloatArray, type Tensor } from '../tensor.ts';
import { travelsWithChunks, type RowColOperand } from '../broadcast.ts';
import { RowStatsCache, STATS_WORDS } from './row-stats.ts';

// The switch and the build choice live in ./kernel-switch.ts (the other modules read them there,
// without importing these kernels); re-exported for the tests, scripts and ../index.ts.
export { preferredKernelBuild, useFloat32KernelBuild, useFloat32Kernels, type KernelBuild } from './kernel-switch.ts';

/** A kernel, as ./assembly/kernels.ts declares it (generated into ./kernel-ops.ts). */
export type Op = keyof typeof KERNEL_OPS;
export type Flag = keyof typeof KERNEL_FLAGS;
/** The operand names kernel `O` takes (its declaration's `y=target a=weight ...`). */
export type OperandName<O extends Op> = (typeof KERNEL_OPS)[O]['operands'][number]['name'];
type Slot = (typeof KERNEL_OPS)[Op]['operands'][number]['slot'];
const SLOTS: readonly Slot[] = ['y', 'a', 'b', 'c'];

/** One operand in the module's argument order: its address, row, column and element strides. */
type OperandArgs = [ptr: number, rowStride: number, colStride: number, elemStride: number];
type KernelArgs = [
  op: number,
  x: number,
  pre: number,
  out: number,
  start: number,
  count: number,
  classes: number,
  ...y: OperandArgs,
  ...a: OperandArgs,
  ...b: OperandArgs,
  ...c: OperandArgs,
  flags: number,
  scalar: number,
];

export type KernelExports = {
  readonly memory: WebAssembly.Memory;
  readonly SUM_CHUNK_ALIGN: WebAssembly.Global;
  heapBase(): number;
  /** out[i] = f(input[i]) for f = 0 exp, 1 log1p on [0, 1], 2 log, 3 log1p, 4 log on [1, inf], 5-8 SLEEF's expf, logf, glibc's expf, logf, 9-10 SLEEF's expf, logf two vectors at a time, 11-12 SLEEF's log1pf before / from 3.8, 13 SLEEF's logf two at a time on [1, inf] (ELEMENTARY); n a multiple of 8. */
  elementary(fn: number, input: number, out: number, n: number): void;
  /** Kernel `op` on a chunk of `count` elements from `start`, one result per element into out. */
  elementwise(...args: KernelArgs): void;
  /** As elementwise, each row's results averaged over its classes (in the scratch area): one result per row. */
  rowMeans(...args: [...KernelArgs, scratch: number]): void;
  /** As elementwise, the results summed into the stream sumBegin started (in blocks, in cache): sumChunk's result for the chunk. */
  elementwiseSum(...args: KernelArgs): number;
  sumBegin(length: number): void;
  sumChunk(ptr: number, count: number): number;
  sumFloat32(ptr: number, length: number): number;
  firstOutsideUnit(ptr: number, count: number): number;
  firstNegative(ptr: number, count: number): number;
  /** log_softmax of `rows` rows of `dim` values at x into out (flags: SOFTMAX_*, USES_GLIBC). */
  logSoftmaxRows(x: number, out: number, rows: number, dim: number, flags: number): void;
  /** log_softmax's backward of `rows` rows of `dim` values: grad, the forward's output, into out. */
  logSoftmaxBackwardRows(grad: number, output: number, out: number, rows: number, dim: number, flags: number): void;
  /** logSoftmaxRows' value of each row at its column (i32 cols; outside [0, dim) skipped) into out[row]. */
  logSoftmaxRowsPicked(x: number, cols: number, out: number, rows: number, dim: number, flags: number): void;
  /** logSoftmaxBackwardRows(grad, logSoftmaxRows(x)) for a grad +0 but at one column per row (vals[row] at cols[row]). */
  logSoftmaxNllBackwardRows(x: number, cols: number, vals: number, out: number, rows: number, dim: number, flags: number): void;
  /** logSoftmaxRowsPicked, each row's statistics and fingerprint also written to stats (STATS_BYTES a row, ./row-stats.ts). */
  logSoftmaxRowsPickedSaving(x: number, cols: number, out: number, rows: number, dim: number, flags: number, stats: number): void;
  /** logSoftmaxNllBackwardRows, each row whose fingerprint matches its saved one taking its statistics from stats. */
  logSoftmaxNllBackwardRowsSaved(
    x: number,
    cols: number,
    vals: number,
    out: number,
    rows: number,
    dim: number,
    flags: number,
    stats: number,
  ): void;
} & { readonly [name in Op | Flag]: WebAssembly.Global };

/** The kernels' exp, log and log1p, in their `elementary` numbering. */
export const ELEMENTARY = [
  'exp',
  'log1p-unit',
  'log',
  'log1p',
  'log-ge1',
  'sleef-expf',
  'sleef-logf',
  'glibc-expf',
  'glibc-logf',
  'sleef-expf-pair',
  'sleef-logf-pair',
  'sleef-log1pf',
  'sleef-log1pf-bounded',
  'sleef-logf-pair-ge1',
] as const;
export type Elementary = (typeof ELEMENTARY)[number];

/**
 * One call of kernel `O` over a rows x classes input of `count` elements. For a union of ops (a
 * port's forward and backward built by one function) the operand names are those of any of them.
 */
export interface KernelCall<O extends Op = Op> {
  readonly op: O;
  readonly input: FloatArray;
  readonly classes: number;
  /** The kernel's operands by name (see its declaration); absent or null when not given. */
  readonly operands: { readonly [name in OperandName<O>]?: RowColOperand | null };
  readonly flags: readonly Flag[];
  /** The kernel's scalar (KERNEL_OPS[op].scalar says what it is), 0 when it has none. */
  readonly scalar?: number;
  /**
   * 'elements': one result per element, in chunks of CHUNK elements. 'row means': one per row of
   * `classes` elements (a class-dim sum / classes), in chunks of whole rows.
   */
  readonly results: 'elements' | 'row means';
  /**
   * ATen's sum lanes for the call's release and capability (sumLanes; 8 when absent): the module
   * sums 8 lanes, so a 'mean' or 'sum' (or 'row means') over another count (16 under avx512 for
   * torch 1.10 to 2.0) returns null, for the JS loops.
   */
  readonly sumLanes?: number;
}

/** Each op's operand name per slot (y, a, b, c; null where it has none), worked out once per op. */
const SLOT_NAMES = new Map<Op, readonly (string | null)[]>();

/** A call's operands in the module's slot order (y, a, b, c), null where absent. */
export function operandsBySlot(call: KernelCall): (RowColOperand | null)[] {
  const given = call.operands as Readonly<Record<string, RowColOperand | null | undefined>>;
  let names = SLOT_NAMES.get(call.op);
  if (names === undefined) {
    const declared = KERNEL_OPS[call.op].operands as readonly { name: string; slot: Slot }[];
    names = SLOTS.map((slot) => declared.find((o) => o.slot === slot)?.name ?? null);
    SLOT_NAMES.set(call.op, names);
  }
  const out: (RowColOperand | null)[] = [null, null, null, null];
  for (let i = 0; i < 4; i++) {
    const name = names[i]!;
    if (name !== null) out[i] = given[name] ?? null;
  }
  return out;
}

/** a[from, to): `a` itself when that is all of it (a subarray is a new object, ~70 ns). */
function span<A extends Float32Array | Int32Array>(a: A, from: number, to: number): A {
  return (from === 0 && to === a.length ? a : a.subarray(from, to)) as A;
}

/** The bits of `flags` (a loop: reduce's closure is made on every call). */
function flagBits(flags: readonly Flag[]): number {
  let bits = 0;
  for (let i = 0; i < flags.length; i++) bits |= KERNEL_FLAGS[flags[i]!];
  return bits;
}

/** A tensor with one value per element of the input (the target; gradOutput for 'none') as an operand. */
export function perElement(t: Tensor, classes: number): RowColOperand {
  return { data: t.data, rowStride: classes, colStride: 1 };
}

/** A backward's gradOutput as an operand: one value per element for 'none', else its one value. */
export function gradOutputOperand(gradOutput: Tensor, reduction: Reduction, classes: number): RowColOperand {
  return reduction === 'none' ? perElement(gradOutput, classes) : { data: gradOutput.data, rowStride: 0, colStride: 0 };
}

/** Elements per chunk: its arrays stay in the L2 cache, and it is a multiple of SUM_CHUNK_ALIGN. */
export const CHUNK = 8192;

/** The most one call may place in the module's memory (which never shrinks): 64 MB. */
export const ARENA_CAP_BYTES = 64 * 1024 * 1024;
let arenaCap = ARENA_CAP_BYTES;

/** Sets the cap (tests use a small one to reach it cheaply); returns the previous one. */
export function useKernelArenaCap(bytes: number = ARENA_CAP_BYTES): number {
  const previous = arenaCap;
  arenaCap = bytes;
  return previous;
}

/** What runOps hands runChunks: the call's layout in the module, its output arrays and the streamed sum so far. */
interface ChunkRun {
  readonly chunk: number;
  readonly n: number;
  readonly classes: number;
  readonly streams: readonly { ptr: number; values: FloatArray }[];
  readonly heap: Float32Array;
  readonly byRow: boolean;
  readonly streamSum: boolean;
  readonly op: number;
  readonly op2: number;
  readonly x: number;
  readonly pre: number;
  readonly out: number;
  readonly out2: number;
  readonly scratch: number;
  readonly flags: number;
  readonly scalar: number;
  readonly operands: readonly [...OperandArgs, ...OperandArgs, ...OperandArgs, ...OperandArgs];
  readonly collect: Float32Array | null;
  readonly collect2: Float32Array | null;
  readonly outView: Float32Array | null;
  readonly outView2: Float32Array | null;
  sum: number;
}

export class Float32Kernels {
  readonly exports: KernelExports;
  /** Which build of the module this is (see KernelBuild). */
  readonly build: KernelBuild;
  private readonly base: number;
  private top = 0;
  /** The last one-thread logSoftmaxRowsAt's row statistics, for logSoftmaxNllBackwardRows. */
  private readonly saved = new RowStatsCache();

  constructor(exports: KernelExports, build: KernelBuild = 'plain') {
    this.exports = exports;
    this.build = build;
    this.base = exports.heapBase();
    if (CHUNK % (exports.SUM_CHUNK_ALIGN.value as number) !== 0) throw new Error('CHUNK must be a multiple of SUM_CHUNK_ALIGN');
  }

  /**
   * Runs `call` chunk by chunk and applies apply_loss_reduction to its results: 'none' copies them
   * into the call's one output-sized allocation (shaped `shape`); 'sum' and 'mean' take ATen's
   * float32 sum of them inside the module.
   */
  run(call: KernelCall, reduction: Reduction, shape: readonly number[]): Tensor {
    const out = this.tryRun(call, reduction, shape);
    if (!out)
      throw new RangeError(`Float32Kernels.run: ${call.op} needs more than ${arenaCap} bytes of module memory (use tryRun and fall back)`);
    return out;
  }

  /** As run, or null (before any work) when the call would place more than the cap (ARENA_CAP_BYTES) in the module. */
  tryRun(call: KernelCall, reduction: Reduction, shape: readonly number[]): Tensor | null {
    return this.runOps(call, reduction, shape, null)?.[0] ?? null;
  }

  /**
   * tryRun of `call` and of kernel `second` on the same arrays, one result per element each
   * ('none'): each chunk is copied into the module once for both (GaussianNLL's two gradients).
   */
  tryRunBoth(call: KernelCall, second: Op, shape: readonly number[], secondShape: readonly number[]): [Tensor, Tensor] | null {
    if (call.results !== 'elements') throw new RangeError('Float32Kernels.tryRunBoth: one result per element only');
    const both = this.runOps(call, 'none', shape, { op: second, shape: secondShape });
    return both && [both[0], both[1]!];
  }

  private runOps(
    call: KernelCall,
    reduction: Reduction,
    shape: readonly number[],
    second: { op: Op; shape: readonly number[] } | null,
  ): [Tensor, Tensor?] | null {
    const { input, classes } = call;
    if ((reduction !== 'none' || call.results === 'row means') && (call.sumLanes ?? 8) !== 8) return null;
    const n = input.length;
    const byRow = call.results === 'row means';
    const rows = classes === 0 ? 0 : n / classes;
    const chunk = byRow ? Math.max(1, Math.floor(CHUNK / classes)) * classes : CHUNK;
    this.top = this.base;
    // Operands shaped like the input travel with the chunks; the others are placed whole.
    const placed: { ptr: number; values: FloatArray }[] = [];
    const streams: { ptr: number; values: FloatArray }[] = [{ ptr: this.reserve(chunk), values: input }];
    const operands = [] as number[] as [...OperandArgs, ...OperandArgs, ...OperandArgs, ...OperandArgs];
    for (const o of operandsBySlot(call)) {
      if (!o) operands.push(0, 0, 0, 0);
      else if (travelsWithChunks(o, n, classes)) {
        const ptr = this.reserve(chunk);
        streams.push({ ptr, values: o.data });
        operands.push(ptr, 0, 0, 1);
      } else {
        const ptr = this.reserve(o.data.length);
        placed.push({ ptr, values: o.data });
        operands.push(ptr, o.rowStride, o.colStride, 0);
      }
    }
    const pre = this.reserve(chunk);
    const out = this.reserve(byRow ? rows : chunk);
    const scratch = byRow ? this.reserve(chunk) : 0;
    const out2 = second ? this.reserve(chunk) : 0;
    if (this.top - this.base > arenaCap) return null;
    const heap = this.heap();
    for (const { ptr, values } of placed) heap.set(values, ptr / 4);

    const op = KERNEL_OPS[call.op].id;
    const flags = flagBits(call.flags);
    const scalar = call.scalar ?? 0;
    const collect = reduction === 'none' && !byRow ? (allocateWritten('float32', n) as Float32Array) : null;
    const op2 = second ? KERNEL_OPS[second.op].id : 0;
    const collect2 = second ? (allocateWritten('float32', n) as Float32Array) : null;
    // views of a chunk's results, one chunk long (or the whole call's, when shorter: then no view per chunk)
    const outView2 = second ? heap.subarray(out2 / 4, out2 / 4 + Math.min(chunk, n)) : null;
    const streamSum = reduction !== 'none' && !byRow;
    if (streamSum) this.exports.sumBegin(n);
    let sum = streamSum && n === 0 ? this.exports.sumChunk(out, 0) : 0;
    const x = streams[0]!.ptr;
    const outView = collect ? heap.subarray(out / 4, out / 4 + Math.min(chunk, n)) : null;
    // the chunks' state for runChunks (a method, not a closure made per call)
    const st: ChunkRun = {
      chunk,
      n,
      classes,
      streams,
      heap,
      byRow,
      streamSum,
      op,
      op2,
      x,
      pre,
      out,
      out2,
      scratch,
      flags,
      scalar,
      operands,
      collect,
      collect2,
      outView,
      outView2,
      sum,
    };
    const pool = threadPool();
    // useThreads: split where the tuner finds it faster (./threads.ts SplitTuner), timed either way
    const kind =
      pool && !second && !byRow && worthSplitting(call.op, 'float32', n, collect !== null)
        ? tuneKind(collect ? `${call.op} none` : call.op, 'float32', n)
        : null;
    if (kind)
      splitElementsOr(
        pool!,
        kind,
        n,
        () => parallelCall(call, chunk),
        (from, to) => this.runChunks(st, from, to),
        (split) => {
          // this thread ran the first chunks straight from the call's arrays (the sum streaming
          // from element 0); the workers' results follow in order
          for (let start = split.from; start < n; start += chunk) {
            const results = split.results.subarray(start, Math.min(n, start + chunk));
            if (collect) collect.set(results, start);
            else {
              heap.set(results, out / 4);
              st.sum = this.exports.sumChunk(out, results.length);
            }
          }
        },
        () => this.runChunks(st, 0, n),
      );
    else this.runChunks(st, 0, n);
    sum = st.sum;
    if (reduction === 'none') {
      const first = makeTensor(collect ?? heap.slice(out / 4, out / 4 + rows), shape, 'float32');
      return collect2 ? [first, makeTensor(collect2, second!.shape, 'float32')] : [first];
    }
    if (byRow) sum = this.exports.sumFloat32(out, rows);
    const results = byRow ? rows : n;
    return [makeTensor([reduction === 'mean' ? meanOf(sum, results, Math.fround) : sum], [], 'float32')];
  }

  /** runOps' chunks from `from` to `to` (a chunk boundary or n) on this thread; the streamed sum into st.sum. */
  private runChunks(st: ChunkRun, from: number, to: number): void {
    const { chunk, n, classes, streams, heap, byRow, streamSum, op, op2, x, pre, out, out2, scratch, flags, scalar } = st;
    const { collect, collect2, outView, outView2 } = st;
    // The module's functions called with their arguments listed (a spread call of a wasm export
    // takes V8's generic path: 0.2 ns per element at 8192-element chunks), the operands in locals.
    const [y, yRow, yCol, yElem, a, aRow, aCol, aElem, b, bRow, bCol, bElem, c, cRow, cCol, cElem] = st.operands;
    const { elementwise, elementwiseSum, rowMeans } = this.exports;
    let sum = st.sum;
    for (let start = from; start < to; start += chunk) {
      const count = Math.min(chunk, n - start);
      for (let s = 0; s < streams.length; s++) {
        const { ptr, values } = streams[s]!;
        heap.set(count === values.length ? values : values.subarray(start, start + count), ptr / 4);
      }
      if (byRow) {
        rowMeans(
          op,
          x,
          pre,
          out + (start / classes) * 4,
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
          scalar,
          scratch,
        );
      } else if (streamSum) {
        sum = elementwiseSum(
          op,
          x,
          pre,
          out,
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
          scalar,
        );
      } else {
        elementwise(
          op,
          x,
          pre,
          out,
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
          scalar,
        );
      }
      if (collect) collect.set(count === outView!.length ? outView! : outView!.subarray(0, count), start);
      if (collect2) {
        elementwise(
          op2,
          x,
          pre,
          out2,
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
          scalar,
        );
        collect2.set(count === outView2!.length ? outView2! : outView2!.subarray(0, count), start);
      }
    }
    st.sum = sum;
  }

  /**
   * log_softmax over the last dim of `rows` rows of `dim` float32 values (dim at least the flags'
   * lane count, 8 or 16), as ../softmax.ts computes it, into one new array; null (before any work)
   * past the arena cap. Flags: SOFTMAX_PAIRWISE, SOFTMAX_LANES16, USES_GLIBC.
   */
  logSoftmaxRows(x: Float32Array, rows: number, dim: number, flags: readonly Flag[]): Float32Array | null {
    return this.rows([x], rows, dim, flags, (ptrs, out, count, bits) => this.exports.logSoftmaxRows(ptrs[0]!, out, count, dim, bits));
  }

  /** log_softmax's backward over the last dim (as logSoftmaxRows): grad - exp(output) * sum(grad), SOFTMAX_FUSED as one FMA. */
  logSoftmaxBackwardRows(grad: Float32Array, output: Float32Array, rows: number, dim: number, flags: readonly Flag[]): Float32Array | null {
    return this.rows([grad, output], rows, dim, flags, (ptrs, out, count, bits) =>
      this.exports.logSoftmaxBackwardRows(ptrs[0]!, ptrs[1]!, out, count, dim, bits),
    );
  }

  /**
   * logSoftmaxRows, of which only each row's value at its target class (targets[row], where in
   * [0, dim)) leaves the module, into into[row]: all that nll_loss reads of the log-probabilities
   * of class-index targets (into[row] of a row whose target is outside [0, dim) is left as it
   * is). No output-sized allocation or copy. false (before any work) past the arena cap.
   */
  logSoftmaxRowsAt(x: Float32Array, rows: number, dim: number, flags: readonly Flag[], targets: Int32Array, into: Float32Array): boolean {
    // logSoftmaxRowsPicked: each row's max, exp-sum and log, and only its target's value computed
    const perChunk = Math.max(1, Math.floor(CHUNK / dim));
    const length = perChunk * dim;
    this.top = this.base;
    const [xPtr, colPtr, outPtr] = [this.reserve(length + 4), this.reserve(perChunk), this.reserve(perChunk)];
    if (this.top - this.base > arenaCap) return false;
    const bits = flagBits(flags);
    // each row's statistics saved too, for the backward (./row-stats.ts)
    let stats = this.saved.begin(rows);
    const statsPtr = stats ? this.reserve(perChunk * STATS_WORDS) : 0;
    if (this.top - this.base > arenaCap) stats = null;
    // useThreads (./threads.ts): this thread's first rows, the workers' after them
    const run = (from: number, to: number) =>
      this.rowsPicked(x, targets, into, dim, bits, perChunk, xPtr, colPtr, outPtr, from, to, statsPtr, stats);
    splitRowsOr(threadPool(), { kind: 'picked', x, cols: targets, vals: into, rows, dim, flags: bits, perChunk }, into, run, stats);
    if (stats) this.saved.commit(x, rows, dim, bits & ~KERNEL_FLAGS.SOFTMAX_FUSED);
    return true;
  }

  /** logSoftmaxRowsAt's chunks of rows [from, to) (from a chunk boundary) on this thread. */
  private rowsPicked(
    x: Float32Array,
    targets: Int32Array,
    into: Float32Array,
    dim: number,
    bits: number,
    perChunk: number,
    xPtr: number,
    colPtr: number,
    outPtr: number,
    from: number,
    to: number,
    statsPtr = 0,
    stats: Int32Array | null = null,
  ): void {
    const heap = this.heap();
    const cols = new Int32Array(heap.buffer, colPtr, perChunk);
    const outView = heap.subarray(outPtr / 4, outPtr / 4 + Math.min(perChunk, to - from));
    const statsView = stats ? new Int32Array(heap.buffer, statsPtr, Math.min(perChunk, to - from) * STATS_WORDS) : null;
    for (let row = from; row < to; row += perChunk) {
      const count = Math.min(perChunk, to - row);
      heap.set(span(x, row * dim, (row + count) * dim), xPtr / 4);
      cols.set(span(targets, row, row + count));
      // the rows' values in the module hold what `into` held where a row has no target value
      heap.set(span(into, row, row + count), outPtr / 4);
      if (statsView) {
        this.exports.logSoftmaxRowsPickedSaving(xPtr, colPtr, outPtr, count, dim, bits, statsPtr);
        stats!.set(count * STATS_WORDS === statsView.length ? statsView : statsView.subarray(0, count * STATS_WORDS), row * STATS_WORDS);
      } else this.exports.logSoftmaxRowsPicked(xPtr, colPtr, outPtr, count, dim, bits);
      into.set(count === outView.length ? outView : outView.subarray(0, count), row);
    }
  }

  /**
   * logSoftmaxBackwardOfInputRows(grad, x) for a grad that is +0 but at one column per row,
   * vals[row] at cols[row] (a column outside [0, dim): none): nll_loss's gradient, never
   * materialized (the same values; x, the columns and values go in, the result out). null
   * (before any work) past the arena cap.
   */
  logSoftmaxNllBackwardRows(
    x: Float32Array,
    cols: Int32Array,
    vals: Float32Array,
    rows: number,
    dim: number,
    flags: readonly Flag[],
  ): Float32Array | null {
    const perChunk = Math.max(1, Math.floor(CHUNK / dim));
    const length = perChunk * dim;
    this.top = this.base;
    const [xPtr, colPtr, valPtr, outPtr] = [
      this.reserve(length + 4),
      this.reserve(perChunk),
      this.reserve(perChunk),
      this.reserve(length + 4),
    ];
    if (this.top - this.base > arenaCap) return null;
    const bits = flagBits(flags);
    const result = allocateWritten('float32', rows * dim) as Float32Array;
    // the forward's row statistics where it saved them for x (./row-stats.ts)
    let stats = this.saved.lookup(x, rows, dim, bits & ~KERNEL_FLAGS.SOFTMAX_FUSED);
    const statsPtr = stats ? this.reserve(perChunk * STATS_WORDS) : 0;
    if (this.top - this.base > arenaCap) stats = null;
    // useThreads (./threads.ts): this thread's first rows, the workers' after them
    const run = (from: number, to: number) =>
      this.rowsNllBackward(x, cols, vals, dim, bits, perChunk, xPtr, colPtr, valPtr, outPtr, result, from, to, statsPtr, stats);
    splitRowsOr(threadPool(), { kind: 'nllBackward', x, cols, vals, rows, dim, flags: bits, perChunk }, result, run, stats);
    return result;
  }

  /** logSoftmaxNllBackwardRows' chunks of rows [from, to) (from a chunk boundary) on this thread, into `result`. */
  private rowsNllBackward(
    x: Float32Array,
    cols: Int32Array,
    vals: Float32Array,
    dim: number,
    bits: number,
    perChunk: number,
    xPtr: number,
    colPtr: number,
    valPtr: number,
    outPtr: number,
    result: Float32Array,
    first: number,
    to: number,
    statsPtr = 0,
    stats: Int32Array | null = null,
  ): void {
    const heap = this.heap();
    const colView = new Int32Array(heap.buffer, colPtr, perChunk);
    const statsView = stats ? new Int32Array(heap.buffer, statsPtr, perChunk * STATS_WORDS) : null;
    // one chunk long, or the whole call's when shorter (then no subarray per chunk)
    const outView = heap.subarray(outPtr / 4, outPtr / 4 + Math.min(perChunk * dim, (to - first) * dim));
    for (let row = first; row < to; row += perChunk) {
      const count = Math.min(perChunk, to - row);
      const [from, end] = [row * dim, (row + count) * dim];
      heap.set(span(x, from, end), xPtr / 4);
      colView.set(span(cols, row, row + count));
      heap.set(span(vals, row, row + count), valPtr / 4);
      if (statsView) {
        statsView.set(stats!.subarray(row * STATS_WORDS, (row + count) * STATS_WORDS));
        this.exports.logSoftmaxNllBackwardRowsSaved(xPtr, colPtr, valPtr, outPtr, count, dim, bits, statsPtr);
      } else this.exports.logSoftmaxNllBackwardRows(xPtr, colPtr, valPtr, outPtr, count, dim, bits);
      result.set(end - from === outView.length ? outView : outView.subarray(0, end - from), from);
    }
  }

  /**
   * logSoftmaxBackwardRows(grad, logSoftmaxRows(x)), the forward's output kept in the module:
   * each chunk's log_softmax into module memory, then its backward (the same kernels, so the same
   * values, without the forward's output-sized array and its copies).
   */
  logSoftmaxBackwardOfInputRows(
    grad: Float32Array,
    x: Float32Array,
    rows: number,
    dim: number,
    flags: readonly Flag[],
  ): Float32Array | null {
    const perChunk = Math.max(1, Math.floor(CHUNK / dim));
    const output = () => this.reserve(perChunk * dim + 4);
    return this.rows(
      [grad, x],
      rows,
      dim,
      flags,
      (ptrs, out, count, bits, scratch) => {
        this.exports.logSoftmaxRows(ptrs[1]!, scratch, count, dim, bits);
        this.exports.logSoftmaxBackwardRows(ptrs[0]!, scratch, out, count, dim, bits);
      },
      undefined,
      output,
    );
  }

  /**
   * Whole rows of the `inputs` through the module, chunk by chunk, into one new output array, or
   * each chunk's output handed to `collect` (then an empty array is returned); null past the cap.
   */
  private rows(
    inputs: readonly Float32Array[],
    rows: number,
    dim: number,
    flags: readonly Flag[],
    run: (ptrs: number[], out: number, count: number, bits: number, scratch: number) => void,
    collect?: (heap: Float32Array, out: number, row: number, count: number) => void,
    reserveScratch?: () => number,
  ): Float32Array | null {
    const perChunk = Math.max(1, Math.floor(CHUNK / dim));
    const length = perChunk * dim;
    this.top = this.base;
    // 4 floats of slack: a row's tail is read as a whole vector (and masked)
    const ptrs = inputs.map(() => this.reserve(length + 4));
    const out = this.reserve(length + 4);
    const scratch = reserveScratch ? reserveScratch() : 0;
    if (this.top - this.base > arenaCap) return null;
    const heap = this.heap();
    const bits = flagBits(flags);
    const n = rows * dim;
    const result = collect ? null : (allocateWritten('float32', n) as Float32Array);
    const outView = heap.subarray(out / 4, out / 4 + Math.min(length, n));
    for (let row = 0; row < rows; row += perChunk) {
      const count = Math.min(perChunk, rows - row);
      const [from, to] = [row * dim, (row + count) * dim];
      for (let i = 0; i < inputs.length; i++) heap.set(span(inputs[i]!, from, to), ptrs[i]! / 4);
      run(ptrs, out, count, bits, scratch);
      if (result) result.set(to - from === outView.length ? outView : outView.subarray(0, to - from), from);
      else collect!(heap, out, row, count);
    }
    return result ?? heap.subarray(0, 0);
  }

  /** Tensor.sum() of float32 values in ATen's order, streamed through the module in chunks. */
  sum(values: Float32Array): number {
    this.exports.sumBegin(values.length);
    const ptr = this.chunkBuffer();
    let total = values.length === 0 ? this.exports.sumChunk(this.base, 0) : 0;
    for (let start = 0; start < values.length; start += CHUNK)
      total = this.exports.sumChunk(ptr, this.copyChunk(values, start, values.length));
    return total;
  }

  /**
   * The index of the first value outside [0, 1] (NaN included) before `end`, or -1: BCELoss'
   * argument check, streamed through the module (4-5x faster than the JS loop, 1.2 ns/el).
   */
  firstOutsideUnit(values: Float32Array, end = Infinity): number {
    const n = Math.min(values.length, end);
    const ptr = this.chunkBuffer();
    for (let start = 0; start < n; start += CHUNK) {
      const at = this.exports.firstOutsideUnit(ptr, this.copyChunk(values, start, n));
      if (at >= 0) return start + at;
    }
    return -1;
  }

  /** The index of the first value below 0 (NaN is not), or -1: GaussianNLLLoss' var check, streamed through the module. */
  firstNegative(values: Float32Array): number {
    const ptr = this.chunkBuffer();
    for (let start = 0; start < values.length; start += CHUNK) {
      const at = this.exports.firstNegative(ptr, this.copyChunk(values, start, values.length));
      if (at >= 0) return start + at;
    }
    return -1;
  }

  /** One CHUNK-sized buffer of the module (this call's arena), for copyChunk. */
  private chunkBuffer(): number {
    this.top = this.base;
    const ptr = this.reserve(CHUNK);
    this.heap();
    return ptr;
  }

  /** values[start, min(start + CHUNK, n)) copied to chunkBuffer()'s buffer; returns how many (a loop, not a generator: one fewer object per call). */
  private copyChunk(values: Float32Array, start: number, n: number): number {
    const count = Math.min(CHUNK, n - start);
    this.heap().set(count === values.length ? values : values.subarray(start, start + count), this.base / 4);
    return count;
  }

  /** One of ELEMENTARY (exp, log, log1p; SLEEF's and glibc's expf / logf) of every value, as the kernels compute them (for checks). */
  elementary(fn: Elementary, values: Float32Array): Float32Array {
    this.top = this.base;
    const count = Math.ceil(values.length / 8) * 8; // the -pair functions take 8 at a time
    const [input, out] = [this.reserve(count), this.reserve(count)];
    this.heap().set(values, input / 4);
    this.exports.elementary(ELEMENTARY.indexOf(fn), input, out, count);
    return new Float32Array(this.exports.memory.buffer, out, values.length).slice();
  }

  /** The last heap() view: kept while the memory does not grow (a grow detaches it: length 0). */
  private view = new Float32Array(0);

  /** The module's memory as floats, grown first to hold everything reserved. */
  private heap(): Float32Array {
    const view = this.view;
    if (view.length !== 0 && this.top <= view.length * 4) return view;
    const memory = this.exports.memory;
    const short = this.top - memory.buffer.byteLength;
    if (short > 0) memory.grow(Math.ceil(short / 65536));
    this.view = new Float32Array(memory.buffer);
    return this.view;
  }

  /** Reserves `count` floats (16-byte aligned) in this call's arena; returns the byte address. */
  private reserve(count: number): number {
    const ptr = this.top;
    this.top += Math.ceil((count * 4) / 16) * 16;
    return ptr;
  }
}

/**
 * A fresh instance of the kernels (its own memory) of `build` (by default the preferred one), or
 * null where WebAssembly SIMD is unavailable (and for 'fma' where relaxedSimdFused() is false).
 */
export function loadFloat32Kernels(build: KernelBuild = preferredKernelBuild()): Float32Kernels | null {
  if (build === 'fma' && !relaxedSimdFused()) return null;
  try {
    const bytes = wasmBytes(build === 'fma' ? KERNELS_FMA_WASM_DEFLATED : KERNELS_WASM_DEFLATED);
    return new Float32Kernels(new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as KernelExports, build);
  } catch {
    return null;
  }
}

let kernels: Float32Kernels | null | undefined;
/** The generation of the build choice (./kernel-switch.ts) `kernels` was loaded under. */
let kernelsGeneration = -1;

/** The kernels the ports use, or null where WebAssembly SIMD is unavailable (or switched off): then the JS loops run. */
export function float32Kernels(): Float32Kernels | null {
  if (!kernelsEnabled()) return null;
  const { choice, generation } = kernelBuildChoice();
  if (kernels === undefined || kernelsGeneration !== generation) {
    kernels = choice === 'auto' ? loadFloat32Kernels() : loadFloat32Kernels(choice);
    kernelsGeneration = generation;
  }
  return kernels;
}

/** Which build float32Kernels() runs ('fma' or 'plain'), or null where it is null (no WebAssembly SIMD, or switched off). */
export function float32KernelBuild(): KernelBuild | null {
  return float32Kernels()?.build ?? null;
}

/** The kernels for an op that computes in `dtype`: float32 only (float64 runs the JS loops). */
export function kernelsFor(dtype: DType): Float32Kernels | null {
  // float64: ./float64-kernels.ts, whose tryRun / tryRunBoth (all a port calls on what it gets for
  // float64) take the same calls and return null for the ops it lacks
  if (dtype === 'float64') return kernelsEnabled() ? (float64Kernels() as unknown as Float32Kernels | null) : null;
  return dtype === 'float32' ? float32Kernels() : null;
}
