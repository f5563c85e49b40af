// Worker threads for the float32 and float64 kernels' elementwise work (useThreads): results
// bit-identical to one thread by construction. Every thread runs the same module's `elementwise` on
// whole chunks with the same `start` as the one-thread loop (../float32-kernels.ts runOps,
// ../float64-kernels.ts runPlaced), so each element's value is the same; a 'mean' / 'sum' is then
// taken by the calling thread alone, streamed through sumBegin / sumChunk in the one-thread order.
//
// WebAssembly memory here is each instance's own (the kernels are not built for shared memory), so
// the workers' share of a call's per-element arrays goes through one growable SharedArrayBuffer:
// the calling thread copies the workers' chunks in (workers cannot read its typed arrays), each
// worker copies its chunks from there into its module, runs the kernel and writes the results
// back. The chunks are claimed as they go (ThreadPool.share): the calling thread takes them from
// the start, straight from the call's arrays as one thread would (its sum streaming from element
// 0), the workers from the end, each claim one compareExchange of a shared word; the calling thread
// copies a chunk in only just ahead of the workers' claims. So a worker that starts late, or runs
// slowly on a busy core, leaves its chunks to the calling thread instead of keeping it waiting, and
// the calling thread then takes the workers' results in order. The copies cost ~0.12-0.45 ns per
// float each; the kernels' 1-10 ns per element are what is split (the cheap ones, ONE_THREAD_OPS,
// stay on one thread). Splitting still only pays where the other core is free: SplitTuner times
// each kind of call both ways and runs the faster. A call waits for the workers with Atomics.wait
// (allowed on Node's main thread, not in a browser's: there, and wherever worker_threads is
// missing, useThreads keeps one thread).
//
// The pool starts once (useThreads), its workers are unref'd (they never keep the process alive)
// and, after spinning ~1 ms for a next call, block in Atomics.wait between calls. A call never
// waits for a worker still booting (~100 ms) or one that never reached its first claim
// (idleWorkers); useThreads(1) parks the pool for 5 s (PARK_MS) before stopping its workers,
// so a useThreads(2) meanwhile takes it back booted.

import { KERNEL_FLAGS, KERNEL_OPS } from './kernel-ops.ts';
import { KERNELS_WASM_DEFLATED } from './kernels-binary.ts';
import { KERNELS_FMA_WASM_DEFLATED } from './kernels-fma-binary.ts';
import { kernelBuild, type KernelBuild } from './kernel-switch.ts';
import { travelsWithChunks } from '../broadcast.ts';
import { operandsBySlot } from './float32-kernels.ts';
import { STATS_WORDS } from './row-stats.ts';
import { wasmBytes } from './module.ts';
import type { KernelCall, KernelExports, Op } from './float32-kernels.ts';
import type { Float64Exports } from './float64-kernels.ts';

/** Int32 slots per worker in the control block. */
const CONTROL_INTS = 64;
/** Control slots: generation posted, generation done, then the job. */
const GEN = 0;
const DONE = 1;
const OP = 2;
const FLAGS = 3;
const CLASSES = 4;
// 5: unused (was START)
const COUNT = 6;
const CHUNK_SIZE = 7;
const OUT = 8;
const SCALAR = 9; // as float32 bits
const X = 10;
/** Then 4 operand slots (y, a, b, c) of 5 ints each: kind (0 none, 1 per element, 2 placed), offset, length, rowStride, colStride. */
const SLOT0 = 11;
/** After the 4 operand slots: 1 when the job is the float64 module's (its floats are doubles). */
const FLOAT64 = SLOT0 + 20;
/** The float64 job's scalar, as a double (index in the control block's Float64Array view). */
const SCALAR64 = 16;
/** What the job is: ELEMENTWISE, or one of the float32 module's row kernels (ROWS_PICKED, ROWS_NLL_BACKWARD). */
const JOB = 34;
const ELEMENTWISE = 0;
/** logSoftmaxRowsPicked: per row, log_softmax's value at the row's column (cross_entropy's forward). */
const ROWS_PICKED = 1;
/** logSoftmaxNllBackwardRows: log_softmax's backward of nll_loss's one-column-per-row gradient. */
const ROWS_NLL_BACKWARD = 2;
/** A rows job's shared-buffer offsets of its columns (int32) and values (float32). */
const COLS = 11;
const VALS = 12;
/** A rows job's shared-buffer int32 offset of its rows' statistics (STATS_WORDS a row, ./row-stats.ts), or -1: none. */
const STATS = 13;
/** The job's tag (its claims are the workers' only while the claims word holds it) and its chunks. */
const TAG = 35;
const TOTAL = 36;
/** 1 once the worker has instantiated its modules (before, a call runs on this thread rather than wait ~80 ms for it to boot). */
const BOOTED = 37;
/** The tag of the last job the worker tried to claim a chunk of (set before each claim: a worker that never got this far for a job is not waited for). */
const ENGAGED = 38;
/**
 * Block 0 of the control buffer (this thread's, otherwise unused) holds the current job's claims:
 * one 64-bit word (int32 slots 0-1) of tag << 40 | chunks the workers took from the end << 20 |
 * chunks this thread took from the start, changed only by compareExchange; and READY (int32 slot
 * 2), the lowest chunk whose inputs this thread has copied into the shared buffer.
 */
const READY = 2;
const CLAIM_BITS = 20n;
const CLAIM_MASK = (1n << CLAIM_BITS) - 1n;
/** Chunks this thread keeps copied ahead of the workers' claims (more are copied only as they claim). */
const AHEAD = 2;
/** Turns (an Atomics.load each, ~8 ns) a worker spins after a job before sleeping until the next. */
const IDLE_SPINS = 131072;
/** Turns the calling thread spins for a worker's last chunk before sleeping (its core is idle meanwhile). */
const JOIN_SPINS = 65536;
/** DONE when a worker failed. */
const WORKER_FAILED = -1;
/** The most the shared buffer may hold: 256 MB (a bigger call runs on one thread). */
const SHARED_CAP_BYTES = 256 * 1024 * 1024;

/**
 * A worker's next chunk of the job tagged `tag` (of `total` chunks): the highest one not yet
 * claimed, taken from the end; -1 once the claims meet (or the job is no longer this one). Waits
 * while that chunk's inputs are not yet in the shared buffer. Self-contained: no imports.
 */
function claimFromEnd(claims: BigInt64Array, ctl0: Int32Array, ctl: Int32Array, tag: number, total: number): number {
  Atomics.store(ctl, 38, tag); // ENGAGED: before any claim, so the caller sees it once the claims have met
  let spins = 0;
  for (;;) {
    const s = Atomics.load(claims, 0);
    if (Number(s >> 40n) !== tag) return -1;
    const k = total - 1 - Number((s >> 20n) & 0xfffffn);
    if (k < Number(s & 0xfffffn)) return -1;
    const ready = Atomics.load(ctl0, 2); // READY
    if (k < ready) {
      // the caller copies the next chunk within one of its own chunks: spin (~20 ns a turn) that long
      // before sleeping (a sleeping thread's wake-up took up to milliseconds on this VM)
      if (++spins > 4096) Atomics.wait(ctl0, 2, ready, 1);
      continue;
    }
    if (Atomics.compareExchange(claims, 0, s, s + 0x100000n) === s) return k;
  }
}

/** What runRange needs of a worker's kernels instance (the float32 module's elementwise has a `pre` buffer, the float64 module's none). */
interface RangeExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  elementwise(...args: number[]): void;
}

/**
 * Runs the job in `ctl` on a worker's instance of its module (`ex32`, or `ex64` for a float64 job):
 * the chunks of `chunk` elements (of COUNT) it claims (`claim`, claimFromEnd), each copied from the
 * shared buffer into the module, the kernel run with the chunk's global start, and the results
 * written back at OUT. Self-contained (its source is the workers' code): no imports.
 */
function runRange(
  ex32: RangeExports,
  ex64: RangeExports | null,
  data: SharedArrayBuffer,
  ctl: Int32Array,
  ctlF: Float32Array,
  ctlD: Float64Array,
  claims: BigInt64Array,
  ctl0: Int32Array,
  claim: typeof claimFromEnd,
): void {
  const double = ctl[31] === 1; // FLOAT64
  const ex = double ? ex64! : ex32;
  const bytes = double ? 8 : 4;
  const shared = double ? new Float64Array(data) : new Float32Array(data);
  const op = ctl[2]!;
  const flags = ctl[3]!;
  const classes = ctl[4]!;
  const n = ctl[6]!;
  const chunk = ctl[7]!;
  const tag = ctl[35]!; // TAG
  const total = ctl[36]!; // TOTAL
  const outOff = ctl[8]!;
  const scalar = double ? ctlD[16]! : ctlF[9]!;
  let top = ex.heapBase();
  const reserve = (floats: number) => {
    const p = top;
    top += Math.ceil((floats * bytes) / 16) * 16;
    return p;
  };
  const x = reserve(chunk + 2); // the float64 module reads an odd chunk's last pair whole
  const args: number[] = [];
  const streams: number[] = [ctl[10]!, x];
  const placed: number[] = [];
  const zeros: number[] = [];
  for (let s = 0; s < 4; s++) {
    const at = 11 + 5 * s;
    const kind = ctl[at]!;
    if (kind === 0) {
      // absent: the float32 module never reads it; the float64 one reads a pair of zeros
      const ptr = double ? reserve(2) : 0;
      if (double) zeros.push(ptr);
      args.push(ptr, 0, 0, 0);
    } else if (kind === 1) {
      const ptr = reserve(chunk + 2);
      streams.push(ctl[at + 1]!, ptr);
      args.push(ptr, 0, 0, 1);
    } else {
      const ptr = reserve(ctl[at + 2]! + 2);
      placed.push(ctl[at + 1]!, ctl[at + 2]!, ptr);
      args.push(ptr, ctl[at + 3]!, ctl[at + 4]!, 0);
    }
  }
  const pre = double ? 0 : reserve(chunk);
  const out = reserve(chunk + 2);
  const short = top - ex.memory.buffer.byteLength;
  if (short > 0) ex.memory.grow(Math.ceil(short / 65536));
  const heap = double ? new Float64Array(ex.memory.buffer) : new Float32Array(ex.memory.buffer);
  for (const ptr of zeros) heap.fill(0, ptr / bytes, ptr / bytes + 2);
  for (let p = 0; p < placed.length; p += 3) heap.set(shared.subarray(placed[p]!, placed[p]! + placed[p + 1]!), placed[p + 2]! / bytes);
  const [y, yR, yC, yE, a, aR, aC, aE, b, bR, bC, bE, c, cR, cC, cE] = args as [number, ...number[]];
  for (let k = claim(claims, ctl0, ctl, tag, total); k >= 0; k = claim(claims, ctl0, ctl, tag, total)) {
    const start = k * chunk;
    const count = Math.min(chunk, n - start);
    for (let s = 0; s < streams.length; s += 2)
      heap.set(shared.subarray(streams[s]! + start, streams[s]! + start + count), streams[s + 1]! / bytes);
    if (double)
      ex.elementwise(op, x, out, start, count, classes, y, yR, yC, yE, a, aR, aC, aE, b, bR, bC, bE, c, cR, cC, cE, flags, scalar);
    else ex.elementwise(op, x, pre, out, start, count, classes, y, yR, yC, yE, a, aR, aC, aE, b, bR, bC, bE, c, cR, cC, cE, flags, scalar);
    shared.set(heap.subarray(out / bytes, out / bytes + count), outOff + start);
  }
}

/** What runRows needs of a worker's float64 kernels instance (mode: ../float64-kernels.ts softmaxMode). */
type RowsExports64 = Pick<
  Float64Exports,
  | 'memory'
  | 'heapBase'
  | 'logSoftmaxRowsPicked64'
  | 'logSoftmaxNllBackwardRows64'
  | 'logSoftmaxRowsPickedSaving64'
  | 'logSoftmaxNllBackwardRowsSaved64'
>;

/** What runRows needs of a worker's float32 kernels instance. */
type RowsExports = Pick<
  KernelExports,
  | 'memory'
  | 'heapBase'
  | 'logSoftmaxRowsPicked'
  | 'logSoftmaxNllBackwardRows'
  | 'logSoftmaxRowsPickedSaving'
  | 'logSoftmaxNllBackwardRowsSaved'
>;

/**
 * Runs the rows job in `ctl` (ROWS_PICKED or ROWS_NLL_BACKWARD) on a worker's float32 instance
 * (or its float64 one's logSoftmaxRowsPicked64 / logSoftmaxNllBackwardRows64 for a float64 job):
 * the chunks of CHUNK_SIZE rows (of COUNT; the chunks the one-thread loop takes) it claims, each
 * chunk's x rows, columns and values copied in from the shared buffer, the kernel run, and its
 * results (one per row, or the rows' gradients) written back at OUT. With STATS, the picked rows'
 * statistics are written back too (the Saving kernels), or the backward reads them (the Saved
 * ones), as the one-thread loops do. Self-contained: no imports.
 */
function runRows(
  ex32: RowsExports,
  ex64: RowsExports64 | null,
  data: SharedArrayBuffer,
  ctl: Int32Array,
  claims: BigInt64Array,
  ctl0: Int32Array,
  claim: typeof claimFromEnd,
): void {
  const picked = ctl[34] === 1; // JOB: ROWS_PICKED
  const double = ctl[31] === 1; // FLOAT64
  const ex = double ? ex64! : ex32;
  const bytes = double ? 8 : 4;
  const ints = bytes / 4; // int32s per element: the columns' offsets are in elements of the dtype
  const flags = ctl[3]!;
  const dim = ctl[4]!;
  const rows = ctl[6]!;
  const per = ctl[7]!;
  const statsOff = ctl[13]!; // STATS
  const words = 8; // STATS_WORDS
  const tag = ctl[35]!; // TAG
  const total = ctl[36]!; // TOTAL
  const outOff = ctl[8]!;
  const xOff = ctl[10]!;
  const colOff = ctl[11]!;
  const valOff = ctl[12]!;
  const shared = double ? new Float64Array(data) : new Float32Array(data);
  const sharedCols = new Int32Array(data);
  let top = ex.heapBase();
  const reserve = (values: number) => {
    const p = top;
    top += Math.ceil((values * bytes) / 16) * 16;
    return p;
  };
  const xPtr = reserve(per * dim + 4);
  const colPtr = reserve(per);
  const valPtr = reserve(per);
  const outPtr = reserve(picked ? per : per * dim + 4);
  const statsPtr = statsOff >= 0 ? reserve((per * words) / ints) : 0;
  const short = top - ex.memory.buffer.byteLength;
  if (short > 0) ex.memory.grow(Math.ceil(short / 65536));
  const heap = double ? new Float64Array(ex.memory.buffer) : new Float32Array(ex.memory.buffer);
  const heapCols = new Int32Array(ex.memory.buffer);
  for (let k = claim(claims, ctl0, ctl, tag, total); k >= 0; k = claim(claims, ctl0, ctl, tag, total)) {
    const row = k * per;
    const count = Math.min(per, rows - row);
    heap.set(shared.subarray(xOff + row * dim, xOff + (row + count) * dim), xPtr / bytes);
    heapCols.set(sharedCols.subarray(colOff * ints + row, colOff * ints + row + count), colPtr / 4);
    // picked: the rows' values start as what the caller's array held (a row without a target keeps it)
    heap.set(shared.subarray(valOff + row, valOff + row + count), (picked ? outPtr : valPtr) / bytes);
    const statsAt = statsOff + row * words;
    if (picked) {
      if (statsOff < 0) {
        if (double) ex64!.logSoftmaxRowsPicked64(xPtr, colPtr, outPtr, count, dim, flags);
        else ex32.logSoftmaxRowsPicked(xPtr, colPtr, outPtr, count, dim, flags);
      } else {
        if (double) ex64!.logSoftmaxRowsPickedSaving64(xPtr, colPtr, outPtr, count, dim, flags, statsPtr);
        else ex32.logSoftmaxRowsPickedSaving(xPtr, colPtr, outPtr, count, dim, flags, statsPtr);
        sharedCols.set(heapCols.subarray(statsPtr / 4, statsPtr / 4 + count * words), statsAt);
      }
      shared.set(heap.subarray(outPtr / bytes, outPtr / bytes + count), outOff + row);
    } else {
      if (statsOff < 0) {
        if (double) ex64!.logSoftmaxNllBackwardRows64(xPtr, colPtr, valPtr, outPtr, count, dim, flags);
        else ex32.logSoftmaxNllBackwardRows(xPtr, colPtr, valPtr, outPtr, count, dim, flags);
      } else {
        heapCols.set(sharedCols.subarray(statsAt, statsAt + count * words), statsPtr / 4);
        if (double) ex64!.logSoftmaxNllBackwardRowsSaved64(xPtr, colPtr, valPtr, outPtr, count, dim, flags, statsPtr);
        else ex32.logSoftmaxNllBackwardRowsSaved(xPtr, colPtr, valPtr, outPtr, count, dim, flags, statsPtr);
      }
      shared.set(heap.subarray(outPtr / bytes, outPtr / bytes + count * dim), outOff + row * dim);
    }
  }
}

/**
 * The workers' code, plain JS for either module type (`eval`, with no flags of the parent's:
 * `--input-type=module` would make it ESM): instantiate the module, then run each posted job. A
 * failure is posted as DONE = -1 (the caller is blocked in Atomics.wait: an 'error' event would
 * never reach it). __name: what esbuild's keepNames (tsx, vitest) calls inside runRange's source.
 */
const WORKER_SOURCE = `
const { workerData } = process.getBuiltinModule('node:worker_threads');
const { module, module64, control, data, index } = workerData;
const ctl = new Int32Array(control, index * ${CONTROL_INTS * 4}, ${CONTROL_INTS});
const ctlF = new Float32Array(control, index * ${CONTROL_INTS * 4}, ${CONTROL_INTS});
const ctlD = new Float64Array(control, index * ${CONTROL_INTS * 4}, ${CONTROL_INTS / 2});
const claims = new BigInt64Array(control, 0, 1);
const ctl0 = new Int32Array(control, 0, ${CONTROL_INTS});
try {
  const __name = (f) => f;
  const claimFromEnd = ${claimFromEnd.toString()};
  const runRange = ${runRange.toString()};
  const runRows = ${runRows.toString()};
  const ex = new WebAssembly.Instance(module, {}).exports;
  const ex64 = module64 ? new WebAssembly.Instance(module64, {}).exports : null;
  Atomics.store(ctl, ${BOOTED}, 1);
  let gen = 0;
  for (;;) {
    // a caller's next call often follows within microseconds: spin ${IDLE_SPINS} turns (~1 ms) before sleeping
    for (let i = 0; i < ${IDLE_SPINS} && Atomics.load(ctl, ${GEN}) === gen; i++);
    Atomics.wait(ctl, ${GEN}, gen);
    gen = Atomics.load(ctl, ${GEN});
    if (ctl[${JOB}] === ${ELEMENTWISE}) runRange(ex, ex64, data, ctl, ctlF, ctlD, claims, ctl0, claimFromEnd);
    else runRows(ex, ex64, data, ctl, claims, ctl0, claimFromEnd);
    Atomics.store(ctl, ${DONE}, gen);
    Atomics.notify(ctl, ${DONE});
  }
} catch (e) {
  Atomics.store(ctl, ${DONE}, ${WORKER_FAILED});
  Atomics.notify(ctl, ${DONE});
  throw e;
}
`;

/** One operand of a parallel call, in the module's slot order. */
export type ParallelOperand =
  | null
  | { kind: 'element'; values: Float32Array | Float64Array }
  | {
      kind: 'placed';
      values: Float32Array | Float64Array;
      rowStride: number;
      colStride: number;
    };

/** An elementwise kernel call, as ../float32-kernels.ts runOps or ../float64-kernels.ts runPlaced lays it out. */
export interface ParallelCall {
  /** Which module's kernel: the float32 one's (the shared buffer holds floats) or the float64 one's (doubles). */
  dtype: 'float32' | 'float64';
  op: number;
  flags: number;
  scalar: number;
  classes: number;
  chunk: number;
  input: Float32Array | Float64Array;
  /** y, a, b, c. */
  operands: readonly ParallelOperand[];
}

/**
 * A log_softmax rows call (./float32-kernels.ts and ./float64-kernels.ts logSoftmaxRowsAt,
 * logSoftmaxNllBackwardRows): x and vals both Float32Array or both Float64Array.
 */
export interface RowsCall {
  kind: 'picked' | 'nllBackward';
  /** rows x dim inputs. */
  x: Float32Array | Float64Array;
  /** One column per row (outside [0, dim): none). */
  cols: Int32Array;
  /** picked: what each row's result starts as; nllBackward: each row's gradient value at its column. */
  vals: Float32Array | Float64Array;
  rows: number;
  dim: number;
  /** The float32 module's flag bits; for float64 its log_softmax mode (8 lanes, USES_GLIBC). */
  flags: number;
  /** Rows per chunk, as the one-thread loop takes them. */
  perChunk: number;
}

/** What the pool uses of Node's worker_threads (declared here: the library's types need no @types/node). */
interface WorkerModule {
  Worker: new (
    code: string,
    options: { eval: boolean; execArgv: string[]; workerData: unknown },
  ) => { unref(): void; terminate(): Promise<number> };
}

export class ThreadPool {
  readonly threads: number;
  private readonly control: SharedArrayBuffer;
  private readonly data: SharedArrayBuffer;
  private readonly shared: Float32Array;
  private readonly shared64: Float64Array;
  /** Whether the workers hold the float64 module (float64 calls run on one thread without it). */
  readonly float64: boolean;
  private readonly generations: number[];
  /** Each worker's control block as ints, floats and doubles (index 0, this thread, unused). */
  private readonly controls: { ints: Int32Array; floats: Float32Array; doubles: Float64Array }[];
  /** Whether worker t was given the current call's work (wait() waits for those). */
  private readonly busy: boolean[];
  private readonly workers: { terminate(): Promise<number> }[] = [];
  /** Calls run split across the threads (tests check that the split path ran). */
  calls = 0;
  /** Block 0 of the control buffer: the current job's claims word and READY (share). */
  private readonly claims: BigInt64Array;
  private readonly ctl0: Int32Array;
  /** The current job's tag (23 bits). */
  private tag = 0;

  constructor(workerThreads: WorkerModule, module: WebAssembly.Module, module64: WebAssembly.Module | null, threads: number) {
    this.threads = threads;
    this.float64 = module64 !== null;
    this.control = new SharedArrayBuffer(CONTROL_INTS * 4 * threads);
    this.claims = new BigInt64Array(this.control, 0, 1);
    this.ctl0 = new Int32Array(this.control, 0, CONTROL_INTS);
    this.data = new (SharedArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => SharedArrayBuffer)(0, {
      maxByteLength: SHARED_CAP_BYTES,
    });
    this.shared = new Float32Array(this.data);
    this.shared64 = new Float64Array(this.data);
    this.generations = new Array<number>(threads).fill(0);
    this.busy = new Array<boolean>(threads).fill(false);
    this.controls = Array.from({ length: threads }, (_, t) => ({
      ints: new Int32Array(this.control, t * CONTROL_INTS * 4, CONTROL_INTS),
      floats: new Float32Array(this.control, t * CONTROL_INTS * 4, CONTROL_INTS),
      doubles: new Float64Array(this.control, t * CONTROL_INTS * 4, CONTROL_INTS / 2),
    }));
    for (let index = 1; index < threads; index++) {
      const worker = new workerThreads.Worker(WORKER_SOURCE, {
        eval: true,
        execArgv: [],
        workerData: { module, module64, control: this.control, data: this.data, index },
      });
      worker.unref();
      this.workers.push(worker);
    }
  }

  /** Stops the workers (useThreads(1)). */
  close(): void {
    for (const w of this.workers) void w.terminate();
  }

  /**
   * Splits `call` into its chunks: this thread takes them from the start, running `own(from, to)`
   * on one chunk at a time straight from the call's arrays (as one thread would, its sum streaming
   * from element 0), while the workers take them from the end; each worker chunk's inputs are copied
   * into the shared buffer by this thread just ahead of the workers' claims (share). Returns the
   * n-element view of the shared results (the workers' chunks, from `from` on; a Float64Array for
   * a float64 call), or null (before any work) when the call does not fit the shared buffer or is
   * float64 and the workers lack that module.
   */
  split(call: ParallelCall, own: (from: number, to: number) => void): { results: Float32Array | Float64Array; from: number } | null {
    const double = call.dtype === 'float64';
    if (double && !this.float64) return null;
    const bytes = double ? 8 : 4;
    const n = call.input.length;
    const { chunk } = call;
    const chunks = Math.ceil(n / chunk);
    if (chunks > Number(CLAIM_MASK)) return null;
    // layout in the shared buffer: input, per-element operands, placed operands, results (each
    // element at its own index; this thread's chunks are never copied in)
    let top = 0;
    const take = (length: number) => {
      const at = top;
      top += Math.ceil(length / 4) * 4;
      return at;
    };
    const xOff = take(n);
    const slots = call.operands.map((o) => (o ? { o, off: take(o.values.length) } : null));
    const outOff = take(n);
    if (!this.holds(top * bytes)) return null;
    const workers = this.idleWorkers();
    if (workers.length === 0) return null;
    this.calls++;
    const shared = double ? this.shared64 : this.shared;
    const copy = (k: number) => {
      const start = k * chunk;
      const end = Math.min(n, start + chunk);
      shared.set(call.input.subarray(start, end), xOff + start);
      for (const s of slots) if (s?.o.kind === 'element') shared.set(s.o.values.subarray(start, end), s.off + start);
    };
    const post = (tag: number) => {
      for (const s of slots) if (s?.o.kind === 'placed') shared.set(s.o.values, s.off);
      for (const t of workers) {
        const { ints: ctl, floats: ctlF, doubles: ctlD } = this.controls[t]!;
        ctl[JOB] = ELEMENTWISE;
        ctl[FLOAT64] = double ? 1 : 0;
        if (double) ctlD[SCALAR64] = call.scalar;
        ctl[OP] = call.op;
        ctl[FLAGS] = call.flags;
        ctl[CLASSES] = call.classes;
        ctl[COUNT] = n;
        ctl[CHUNK_SIZE] = chunk;
        ctl[OUT] = outOff;
        ctlF[SCALAR] = call.scalar;
        ctl[X] = xOff;
        ctl[TAG] = tag;
        ctl[TOTAL] = chunks;
        slots.forEach((s, k) => {
          const at = SLOT0 + 5 * k;
          ctl[at] = s === null ? 0 : s.o.kind === 'element' ? 1 : 2;
          ctl[at + 1] = s?.off ?? 0;
          ctl[at + 2] = s?.o.values.length ?? 0;
          ctl[at + 3] = s?.o.kind === 'placed' ? s.o.rowStride : 0;
          ctl[at + 4] = s?.o.kind === 'placed' ? s.o.colStride : 0;
        });
        this.post(t);
      }
    };
    const mine = this.share(chunks, workers, copy, (k) => own(k * chunk, Math.min(n, (k + 1) * chunk)), post);
    return { results: shared.subarray(outOff, outOff + n), from: Math.min(n, mine * chunk) };
  }

  /**
   * Splits a rows call (cross_entropy's log_softmax row kernels) of at least THREADS_FROM values
   * into its chunks of `perChunk` rows as split does: this thread runs `own(from, to)` on its rows
   * (taken from the start, a chunk at a time, from the call's arrays straight into `into`), the
   * workers take chunks from the end (x rows, columns, values and, for a backward, `stats` copied
   * into the shared buffer just ahead of them), then their results are copied into `into` after
   * this thread's (one per row for 'picked', rows x dim for 'nllBackward'), and for a forward with
   * `stats` their rows' statistics into `stats`. false (before any work) for a smaller call, one
   * that does not fit the shared buffer, or a float64 one the workers lack the module of: then the
   * caller runs it on this thread.
   */
  splitRows(
    call: RowsCall,
    into: Float32Array | Float64Array,
    own: (from: number, to: number) => void,
    stats: Int32Array | null = null,
  ): boolean {
    const { rows, dim, perChunk } = call;
    const picked = call.kind === 'picked';
    const double = call.x instanceof Float64Array;
    const chunks = Math.ceil(rows / perChunk);
    if (rows * dim < THREADS_FROM || (double && !this.float64) || chunks > Number(CLAIM_MASK)) return false;
    const bytes = double ? 8 : 4;
    const ints = bytes / 4; // int32s per element: the columns' and statistics' offsets are in elements of the dtype
    let top = 0;
    const take = (length: number) => {
      const at = top;
      top += Math.ceil(length / 4) * 4;
      return at;
    };
    const xOff = take(rows * dim);
    const colOff = take(rows);
    const valOff = take(rows);
    const outOff = take(picked ? rows : rows * dim);
    const statsOff = stats ? take((rows * STATS_WORDS) / ints) * ints : -1;
    if (!this.holds(top * bytes)) return false;
    const workers = this.idleWorkers();
    if (workers.length === 0) return false;
    this.calls++;
    const shared = double ? this.shared64 : this.shared;
    const sharedInts = new Int32Array(this.data);
    const copy = (k: number) => {
      const start = k * perChunk;
      const end = Math.min(rows, start + perChunk);
      shared.set(call.x.subarray(start * dim, end * dim), xOff + start * dim);
      sharedInts.set(call.cols.subarray(start, end), colOff * ints + start);
      shared.set(call.vals.subarray(start, end), valOff + start);
      if (stats && !picked) sharedInts.set(stats.subarray(start * STATS_WORDS, end * STATS_WORDS), statsOff + start * STATS_WORDS);
    };
    const post = (tag: number) => {
      for (const t of workers) {
        const ctl = this.controls[t]!.ints;
        ctl[JOB] = picked ? ROWS_PICKED : ROWS_NLL_BACKWARD;
        ctl[FLOAT64] = double ? 1 : 0;
        ctl[FLAGS] = call.flags;
        ctl[CLASSES] = dim;
        ctl[COUNT] = rows;
        ctl[CHUNK_SIZE] = perChunk;
        ctl[OUT] = outOff;
        ctl[X] = xOff;
        ctl[COLS] = colOff;
        ctl[VALS] = valOff;
        ctl[STATS] = statsOff;
        ctl[TAG] = tag;
        ctl[TOTAL] = chunks;
        this.post(t);
      }
    };
    const mine = Math.min(
      rows,
      perChunk * this.share(chunks, workers, copy, (k) => own(k * perChunk, Math.min(rows, (k + 1) * perChunk)), post),
    );
    const from = mine * (picked ? 1 : dim);
    into.set(shared.subarray(outOff + from, outOff + (picked ? rows : rows * dim)), from);
    if (stats && picked) stats.set(sharedInts.subarray(statsOff + mine * STATS_WORDS, statsOff + rows * STATS_WORDS), mine * STATS_WORDS);
    return true;
  }

  /** Chunks this thread ran and the workers ran, over every split call (tests check both took some). */
  readonly chunksRun = { caller: 0, workers: 0 };
  /** The most chunks of a call this thread claims (tests: 0 leaves every chunk to the workers, as a late caller would). */
  callerChunks = Number.POSITIVE_INFINITY;

  /**
   * Runs a job of `chunks` chunks: this thread claims them from the start and runs `own(k)` on
   * each, the workers (started by `post(tag)`) claim them from the end, each claim a
   * compareExchange of the one claims word, so every chunk runs exactly once and this thread's are
   * a prefix. `copy(k)` puts chunk k's inputs in the shared buffer for the workers: this thread
   * copies the last chunk before posting, then keeps AHEAD chunks copied beyond the workers'
   * claims, so a worker that starts late (or never, before the chunks run out) costs this thread
   * at most AHEAD chunks' copies, and the chunks it does not take this thread runs itself. Returns
   * the chunks this thread ran (the workers ran the rest); waits for the workers of `workers`
   * (idleWorkers' at the post) that reached a claim (ENGAGED) when the workers ran some; one that
   * did not stays busy until idleWorkers finds it done.
   */
  private share(
    chunks: number,
    workers: readonly number[],
    copy: (k: number) => void,
    own: (k: number) => void,
    post: (tag: number) => void,
  ): number {
    this.tag = (this.tag + 1) & 0x7fffff;
    const tag = BigInt(this.tag) << 40n;
    const { claims, ctl0 } = this;
    Atomics.store(claims, 0, tag);
    let ready = chunks;
    if (chunks > 1) copy(--ready);
    Atomics.store(ctl0, READY, ready);
    post(this.tag);
    let mine = 0;
    let theirs = 0;
    for (;;) {
      const s = Atomics.load(claims, 0);
      mine = Number(s & CLAIM_MASK);
      theirs = Number((s >> CLAIM_BITS) & CLAIM_MASK);
      if (mine + theirs >= chunks) break;
      const capped = mine >= this.callerChunks;
      if (capped ? ready > mine : chunks - theirs - ready < AHEAD && ready - 1 > mine) {
        copy(--ready);
        Atomics.store(ctl0, READY, ready);
        Atomics.notify(ctl0, READY);
      } else if (!capped && Atomics.compareExchange(claims, 0, s, s + 1n) === s) own(mine);
    }
    Atomics.notify(ctl0, READY); // a worker waiting for inputs: the claims have met
    this.chunksRun.caller += mine;
    this.chunksRun.workers += theirs;
    // wait for the workers that may hold a claim (ENGAGED: one that never reached its first claim is
    // left busy, and skipped by the next calls until it is done: idleWorkers)
    if (theirs > 0) for (const t of workers) if (Atomics.load(this.controls[t]!.ints, ENGAGED) === this.tag) this.settle(t);
    return mine;
  }

  /**
   * The workers free for a new job: booted, and done with the job post() last gave them. A worker
   * still booting (~80 ms after useThreads) or still in a job it took no chunk of (descheduled
   * before it woke) is not waited for: the call runs without it (on this thread alone when none is
   * free, with no copies), and it is free again for a later call. A failed worker throws. Under
   * `splitTuner.force = 'split'` (tests) every worker is waited for, so a forced call does split.
   */
  private idleWorkers(): number[] {
    const free: number[] = [];
    const wait = splitTuner.force === 'split';
    for (let t = 1; t < this.threads; t++) {
      const ctl = this.controls[t]!.ints;
      const done = Atomics.load(ctl, DONE);
      if (done === WORKER_FAILED) throw workerFailed(t);
      if (wait) this.settle(t);
      else if (Atomics.load(ctl, BOOTED) !== 1) continue;
      else if (this.busy[t]) {
        if (done !== this.generations[t]) continue;
        this.busy[t] = false;
      }
      free.push(t);
    }
    return free;
  }

  /** Whether every worker has booted (useThreads starts them; until then calls run on this thread). */
  get ready(): boolean {
    for (let t = 1; t < this.threads; t++) if (Atomics.load(this.controls[t]!.ints, BOOTED) !== 1) return false;
    return true;
  }

  /** Whether `bytes` fit the shared buffer's cap; if so it is grown to hold them. */
  private holds(bytes: number): boolean {
    if (bytes > SHARED_CAP_BYTES) return false;
    const grow = this.data as unknown as { byteLength: number; grow(bytes: number): void };
    if (grow.byteLength < bytes) grow.grow(bytes);
    return true;
  }

  /** Starts worker t on the job its control block holds. */
  private post(t: number): void {
    const ctl = this.controls[t]!.ints;
    this.busy[t] = true;
    Atomics.store(ctl, GEN, ++this.generations[t]!);
    Atomics.notify(ctl, GEN);
  }

  /** Worker t's control block, once it has finished the job post() last gave it (a worker's failure throws). */
  private settle(t: number): { ints: Int32Array; floats: Float32Array; doubles: Float64Array } {
    const control = this.controls[t]!;
    if (!this.busy[t]) return control;
    this.busy[t] = false;
    const w = control.ints;
    let spins = 0;
    for (let done = Atomics.load(w, DONE); done !== this.generations[t]; done = Atomics.load(w, DONE)) {
      if (done === WORKER_FAILED) throw workerFailed(t);
      if (++spins > JOIN_SPINS) Atomics.wait(w, DONE, done);
    }
    return control;
  }
}

/** The error of a call that finds worker t failed (its uncaught exception is on stderr). */
function workerFailed(t: number): Error {
  return new Error(`useThreads: worker ${t} failed (see its uncaught exception); useThreads(1) runs on one thread`);
}

/**
 * Node's worker_threads, where there is one (not in browsers; no static import: the library is
 * bundled for them). process.getBuiltinModule: Node 20.16+, 22.3+ (the workers use it too).
 */
export function workerThreads(): WorkerModule | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return (proc?.getBuiltinModule?.('node:worker_threads') as WorkerModule | undefined) ?? null;
}

/** Elements from which a kernel call is split across the threads (below, one thread is faster). */
export const THREADS_FROM = 65536;

/**
 * A pool's first split calls, not timed for the tuner: they touch the shared buffer's and the
 * workers' memory for the first time and run the workers' code cold (measured: soft_margin_loss
 * float32 forward at 1e6, 29 and 11 ms, then 4-5 ms; one thread 5-7 ms).
 */
const COLD_SPLITS = 2;

/** Every PROBE_EVERY-th call of a kind runs the way the tuner did not choose (so its time stays current). */
const PROBE_EVERY = 8;
/** The calls of each way whose times the tuner keeps (the lower median of them is the way's time). */
const TUNE_WINDOW = 5;

/**
 * Which way a kind of call runs under useThreads, split or on this thread, by their recent times
 * (results are the same bits either way). A split only pays where the other core is free: on a
 * machine whose cores other work holds, the two threads run at half speed each and a split call
 * costs the copies on top of one thread's time (measured: docs/performance.md, 2026-12-03 fourth
 * session). So per kind (kernel, dtype, results collected or summed, size to a power of 2) both
 * ways are timed: two calls each first (split until two split calls were timed: a call the pool
 * declines, its workers still booting, is timed as one thread's), then the way whose last
 * TUNE_WINDOW calls' lower median of ns per element is lower, the other every PROBE_EVERY-th call.
 * A median, not an average: on a shared machine a split call now and then waits milliseconds for a
 * descheduled worker, and an average of such calls kept a faster split off for tens of calls
 * (docs/performance.md, 2026-12-03 fifth session).
 */
export class SplitTuner {
  private readonly kinds = new Map<string, { calls: number; split: number[]; one: number[] }>();
  /** Tests: 'split' or 'one' runs every call that way; null tunes. */
  force: 'split' | 'one' | null = null;

  /** Whether this call of `kind` runs split. */
  split(kind: string): boolean {
    if (this.force) return this.force === 'split';
    let k = this.kinds.get(kind);
    if (!k) {
      k = { calls: 0, split: [], one: [] };
      this.kinds.set(kind, k);
    }
    const call = k.calls++;
    // two timed calls each way first (a call the pool declined, its workers still booting, is timed as one thread's)
    if (k.split.length < 2) return true;
    if (k.one.length < 2) return false;
    const faster = lowerMedian(k.split) <= lowerMedian(k.one);
    return call % PROBE_EVERY === 0 ? !faster : faster;
  }

  /** A call of `kind` of `n` elements took `ms`, split or not. */
  record(kind: string, split: boolean, ms: number, n: number): void {
    const k = this.kinds.get(kind);
    if (!k) return;
    const times = split ? k.split : k.one;
    times.push((ms * 1e6) / n);
    if (times.length > TUNE_WINDOW) times.shift();
  }
}

/** The lower median of a few numbers (of two, the smaller). */
function lowerMedian(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1]!;
}

/** The tuner of every pool (kept across useThreads calls). */
export const splitTuner = new SplitTuner();

/**
 * A rows call (RowsCall) split by `pool` where there is one and the tuner chooses it (and
 * splitRows takes it), else `run(0, rows)` on this thread; timed either way for the tuner.
 */
export function splitRowsOr(
  pool: ThreadPool | null,
  call: RowsCall,
  into: Float32Array | Float64Array,
  run: (from: number, to: number) => void,
  stats: Int32Array | null,
): void {
  const n = call.rows * call.dim;
  if (!pool || n < THREADS_FROM) {
    run(0, call.rows);
    return;
  }
  const kind = tuneKind(`rows ${call.kind}${stats ? ' saved' : ''} ${call.dim}`, call.x instanceof Float64Array ? 'float64' : 'float32', n);
  const began = performance.now();
  const split = splitTuner.split(kind) && pool.splitRows(call, into, run, stats);
  if (!split) run(0, call.rows);
  if (!split || pool.calls > COLD_SPLITS) splitTuner.record(kind, split, performance.now() - began, n);
}

/**
 * An elementwise kernel call of `n` elements (tuner kind `kind`) split by `pool` where the tuner
 * chooses it and split takes it (then `merge` takes the workers' results), else `whole()` runs it
 * on this thread; timed either way for the tuner. splitRowsOr's twin for ../float32-kernels.ts
 * runOps and ../float64-kernels.ts runPlaced.
 */
export function splitElementsOr(
  pool: ThreadPool,
  kind: string,
  n: number,
  call: () => ParallelCall,
  own: (from: number, to: number) => void,
  merge: (split: { results: Float32Array | Float64Array; from: number }) => void,
  whole: () => void,
): void {
  const began = performance.now();
  const split = splitTuner.split(kind) ? pool.split(call(), own) : null;
  if (split) merge(split);
  else whole();
  if (!split || pool.calls > COLD_SPLITS) splitTuner.record(kind, split !== null, performance.now() - began, n);
}

/** A tuner kind: what is split, its dtype and its size to a power of 2. */
export function tuneKind(what: string, dtype: 'float32' | 'float64', n: number): string {
  return `${what} ${dtype} ${Math.round(Math.log2(n))}`;
}

/**
 * The kernels that stay on the calling thread under useThreads: their work per element (a few
 * adds, compares and multiplies: 0.1-0.3 ns per element) is less than the copies through the shared
 * buffer, which stay on the calling thread, so splitting them only adds work. Measured at 1e6
 * float32, useThreads(2) against 1 in one process (the rounds interleaved): huber_loss forward
 * 2.23 vs 0.73 ns per element, backward 2.66 vs 1.26; mse_loss 1.89 vs 0.47 / 2.44 vs 0.75; l1_loss
 * 1.98 vs 0.47 / 2.20 vs 0.99; smooth_l1_loss 1.70 vs 0.64 / 2.41 vs 1.07 (a loaded machine, load
 * 2.3 on 2 cores; on a quieter one last session: smooth_l1_loss forward 4.4 vs 2.3 with the old
 * copies, docs/performance.md).
 */
export const ONE_THREAD_OPS: ReadonlySet<Op> = new Set<Op>([
  'MSE',
  'MSE_GRAD',
  'L1',
  'L1_GRAD',
  'SMOOTH_L1',
  'SMOOTH_L1_GRAD',
  'HUBER',
  'HUBER_GRAD',
]);

/**
 * The kernels whose per-element results stay on the calling thread when they are collected (a
 * gradient, or a 'none' output) rather than summed: a split call also copies the workers' results
 * back out of the shared buffer, which costs these more than their work saves. Measured at 1e6
 * with gradOutput one value, useThreads(2) against 1 in one process, rounds interleaved, min of 6
 * (/tmp/lead/thrx.mts, load ~1, 2026-12-02): float32 binary_cross_entropy backward 1.27x,
 * soft_margin 1.33x, kl_div 1.25x (while binary_cross_entropy_with_logits' backward took 0.73x and
 * poisson_nll's 0.87x); float64 (8-byte copies) every backward 1.07-1.74x but bcewl's (0.95x):
 * float64 collected results of any *_GRAD kernel stay on this thread (../float64-kernels.ts).
 */
export const ONE_THREAD_COLLECTED_OPS: ReadonlySet<Op> = new Set<Op>(['BINARY_CROSS_ENTROPY_GRAD', 'SOFT_MARGIN_GRAD', 'KL_DIV_GRAD']);

/**
 * Whether an elementwise kernel call of `n` elements is worth splitting across the threads:
 * from THREADS_FROM elements, not a cheap kernel (ONE_THREAD_OPS), and, when its results are
 * collected rather than summed, not one whose copies back cost more than its work saves
 * (ONE_THREAD_COLLECTED_OPS; in float64 every *_GRAD kernel).
 */
export function worthSplitting(op: Op, dtype: 'float32' | 'float64', n: number, collected: boolean): boolean {
  if (n < THREADS_FROM || ONE_THREAD_OPS.has(op)) return false;
  if (!collected) return true;
  return dtype === 'float64' ? !op.endsWith('_GRAD') : !ONE_THREAD_COLLECTED_OPS.has(op);
}

let pool: ThreadPool | null = null;

/** The float32 kernels' module the workers instantiate, per build (kept across useThreads calls). */
const workerModules = new Map<KernelBuild, WebAssembly.Module>();

/** The build the pool's workers loaded (threadPool() gives the pool only while this thread loads the same). */
let poolBuild: KernelBuild | null = null;

/**
 * The float64 kernels' compiled module of a build, registered by ../float64-kernels.ts when it loads
 * (this file does not import it: a float32-only bundle keeps the float64 module out). Null until
 * then, or where it does not compile: float64 calls then stay on one thread.
 */
let float64Module: ((build: KernelBuild) => WebAssembly.Module | null) | null = null;

/** Registers the float64 kernels' module for the pools made from now on (../float64-kernels.ts). */
export function provideFloat64Module(compiled: (build: KernelBuild) => WebAssembly.Module | null): void {
  float64Module = compiled;
}

/**
 * Runs the float32 and float64 kernels' elementwise work on `threads` threads (this one and
 * threads - 1 workers) for calls of at least THREADS_FROM elements; 1 (the default) runs everything on this
 * thread and stops the workers (PARK_MS later: a useThreads(2) meanwhile takes them back, booted).
 * Results are bit-identical either way. Where worker_threads or
 * SharedArrayBuffer is missing (browsers without cross-origin isolation), it stays 1. Returns the
 * threads in use.
 */
export function useThreads(threads: number): number {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`useThreads: threads must be a positive integer, got ${threads}`);
  if ((pool?.threads ?? 1) === threads) return threads;
  if (pool) park(pool, poolBuild!);
  pool = null;
  const wt = workerThreads();
  if (threads > 1 && wt && typeof SharedArrayBuffer === 'function') {
    // the build this thread loads (the relaxed-SIMD one where its fused multiply-add was proven:
    // kernelBuild() runs that probe, and V8's flag for it is process-wide, so it holds in the
    // workers); the float32 builds give the same bits, the float64 ones not (SLEEF's exp with and
    // without its FMAs), so the workers must hold this thread's
    const build = kernelBuild() ?? 'plain';
    // compiled once per build: a new pool's workers share the code V8 has already tiered up
    let module = workerModules.get(build);
    if (!module) {
      module = new WebAssembly.Module(wasmBytes(build === 'fma' ? KERNELS_FMA_WASM_DEFLATED : KERNELS_WASM_DEFLATED));
      workerModules.set(build, module);
    }
    const module64 = float64Module?.(build) ?? null;
    const p = parked?.pool;
    if (p && p.threads === threads && parked!.build === build && p.float64 === (module64 !== null)) {
      clearTimeout(parked!.timer);
      parked = null;
      pool = p;
    } else pool = new ThreadPool(wt, module, module64, threads);
    poolBuild = build;
  }
  return pool?.threads ?? 1;
}

/** How long a pool useThreads let go of keeps its workers for a useThreads that takes it back. */
export const PARK_MS = 5000;

/** The pool useThreads last let go of, its workers stopped at `timer` unless taken back. */
let parked: { pool: ThreadPool; build: KernelBuild; timer: ReturnType<typeof setTimeout> } | null = null;

/**
 * Lets go of pool `p`: its workers stop in PARK_MS (an unref'd timer: it keeps no process alive),
 * unless useThreads takes it back first. A new pool's workers take ~100 ms to boot and their first
 * calls run cold (the bench switches useThreads(2) and useThreads(1) every round: each round's
 * split calls ran on a pool booting meanwhile); a pool taken back has neither.
 */
function park(p: ThreadPool, build: KernelBuild): void {
  if (parked) {
    clearTimeout(parked.timer);
    parked.pool.close();
  }
  const timer = setTimeout(() => {
    if (parked?.pool !== p) return;
    parked = null;
    p.close();
  }, PARK_MS);
  (timer as { unref?: () => void }).unref?.();
  parked = { pool: p, build, timer };
}

/**
 * Resolves once the pool's workers have booted (~80-100 ms after useThreads; at once without a
 * pool, or after `timeoutMs`): calls before then run on this thread. The bench waits for it, so its
 * useThreads rows time a user's steady use rather than a pool's first 100 ms.
 */
export async function threadsBooted(timeoutMs = 5000): Promise<void> {
  const began = performance.now();
  while (pool && !pool.ready && performance.now() - began < timeoutMs) await new Promise((r) => setTimeout(r, 2));
}

/** The pool, when more than one thread is in use (and its workers hold the build this thread loads). */
export function threadPool(): ThreadPool | null {
  return pool !== null && poolBuild === kernelBuild() ? pool : null;
}

/**
 * A kernel call of one result per element as the pool runs it: operands shaped like the input
 * travel with the chunks ('element'), the others are placed whole, as runOps decides.
 */
export function parallelCall(call: KernelCall, chunk: number): ParallelCall {
  const n = call.input.length;
  const operands = operandsBySlot(call).map((o): ParallelOperand => {
    if (!o) return null;
    return travelsWithChunks(o, n, call.classes)
      ? { kind: 'element', values: o.data }
      : { kind: 'placed', values: o.data, rowStride: o.rowStride, colStride: o.colStride };
  });
  return {
    dtype: 'float32',
    op: KERNEL_OPS[call.op].id,
    flags: call.flags.reduce((bits, f) => bits | KERNEL_FLAGS[f], 0),
    scalar: call.scalar ?? 0,
    classes: call.classes,
    chunk,
    input: call.input,
    operands,
  };
}
