// The float64 WebAssembly SIMD kernels (./assembly/float64.ts, built into ./float64-binary.ts):
// loading, and placing a call's arrays in the module's memory. They compute what the ports' JS
// float64 loops compute, bit for bit (plain IEEE double operations, in the same order, two lanes
// at a time), for the losses with no exp / log: mse, l1, smooth_l1 and huber, forward (with ATen's
// float64 cascade sum for 'mean' and 'sum', 4 lanes) and the backwards' vectorized lambdas; and
// poisson_nll's forward (every form) and backward, whose exp and log are V8's Math.exp and
// Math.log (fdlibm's e_exp.c, e_log.c) in f64x2, bit for bit (the float64 JS loops use them:
// ../unary-ops.ts). The JS
// loops stay the reference (test/wasm-float64.test.ts compares the two) and the fallback: tryRun
// returns null, before any work, for every call these kernels cannot compute exactly so.
//
// The same interface as ./float32-kernels.ts (KernelCall, tryRun, tryRunBoth), so a port asks
// kernelsFor(dtype) and runs whichever it gets: the call's arrays go into the module chunk by chunk
// (CHUNK elements, which stay in cache), the results come out into the call's one output-sized
// allocation ('none') or are summed inside the module ('mean', 'sum': no allocation).

import { FLOAT64_WASM_BASE64 } from './float64-binary.ts';
import { KERNEL_OPS } from './kernel-ops.ts';
import { Arena, MODULE_CAP_BYTES, instantiate, type ModuleExports } from './module.ts';
import type { KernelCall, Op } from './float32-kernels.ts';
import type { RowColOperand } from '../broadcast.ts';
import type { Reduction } from '../loss-args.ts';
import { makeTensor } from '../reduction.ts';
import { allocate, type FloatArray, type Tensor } from '../tensor.ts';

type Args = [op: number, x: number, y: number, g: number, gStep: number, gValue: number, out: number, count: number, s: number, a: number];

export type Float64Exports = ModuleExports & {
  readonly SUM_CHUNK_ALIGN: WebAssembly.Global;
  /** Kernel `op` on `count` elements: x, y (the target) and out contiguous; g contiguous (gStep 1) or its one value gValue (gStep 0). */
  elementwise(...args: Args): void;
  /** As elementwise, the results summed into the stream sumBegin started: sumChunk's result for the chunk. */
  elementwiseSum(...args: Args): number;
  /** out[i] = f(input[i]), f 0: exp, 2: log, 3: log1p (V8's Math.exp, Math.log, Math.log1p: fdlibm's); count rounded up to pairs. */
  elementary(fn: number, input: number, out: number, count: number): void;
  sumBegin(length: number): void;
  sumChunk(ptr: number, count: number): number;
  sumFloat64(ptr: number, length: number): number;
  /** log_softmax of `rows` rows of `dim` float64 values at x into out (4 or 8 lanes, folded in order). */
  logSoftmaxRows64(x: number, out: number, rows: number, dim: number, lanes8: boolean): void;
  /** log_softmax's backward of `rows` rows of `dim` values: grad, the forward's output, into out. */
  logSoftmaxBackwardRows64(grad: number, output: number, out: number, rows: number, dim: number, lanes8: boolean): void;
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
  'SOFT_MARGIN',
  'SOFT_MARGIN_GRAD',
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
// and soft_margin's torch >= 2.0 forms (USES_LOG1P; with LOG1P_OVERFLOWS)
export const SOFT_MARGIN_LOG1P = 44;
export const SOFT_MARGIN_LOG1P_OVERFLOWS = 45;

/** ./assembly/float64.ts elementary's function ids. */
const ELEMENTARY64 = { exp: 0, log: 2, log1p: 3 } as const;

let cap = MODULE_CAP_BYTES;

/** Sets the cap on what one call places in the module (tests use a small one); returns the previous one. */
export function useFloat64ArenaCap(bytes: number = MODULE_CAP_BYTES): number {
  const previous = cap;
  cap = bytes;
  return previous;
}

/** The module's kernel for the call: KERNEL_OPS's id, or for poisson_nll and soft_margin the module's own one for their flags. */
function opId(call: KernelCall): number {
  if (call.op === 'SOFT_MARGIN' && call.flags.includes('USES_LOG1P'))
    return call.flags.includes('LOG1P_OVERFLOWS') ? SOFT_MARGIN_LOG1P_OVERFLOWS : SOFT_MARGIN_LOG1P;
  const logInput = call.flags.includes('LOG_INPUT');
  const full = call.flags.includes('FULL');
  if (call.op === 'POISSON_NLL')
    return logInput ? (full ? POISSON_NLL_FULL : KERNEL_OPS.POISSON_NLL.id) : full ? POISSON_NLL_EPS_FULL : POISSON_NLL_EPS;
  if (call.op === 'POISSON_NLL_GRAD') return logInput ? KERNEL_OPS.POISSON_NLL_GRAD.id : POISSON_NLL_EPS_GRAD;
  return KERNEL_OPS[call.op].id;
}

/** A one-value operand (a scalar broadcast over the call), or null when `o` is not one. */
function oneValue(o: RowColOperand | null | undefined): FloatArray | null {
  return o && o.rowStride === 0 && o.colStride === 0 && o.data.length >= 1 ? o.data : null;
}

export class Float64Kernels {
  readonly exports: Float64Exports;
  private readonly arena: Arena;

  constructor(exports: Float64Exports) {
    this.exports = exports;
    this.arena = new Arena(exports);
    if (CHUNK64 % (exports.SUM_CHUNK_ALIGN.value as number) !== 0) throw new Error('CHUNK64 must be a multiple of SUM_CHUNK_ALIGN');
  }

  /**
   * Runs `call` (one of FLOAT64_OPS, one result per element) chunk by chunk and applies
   * apply_loss_reduction: 'none' copies the results into one new Float64Array (shaped `shape`);
   * 'sum' and 'mean' take ATen's float64 sum (4 lanes) inside the module. Null, before any work,
   * for what the module does not compute exactly as the JS float64 loops: another op, 'row means',
   * another sum lane count, an operand laid out otherwise than per element (the target; gradOutput
   * may also be one value), a one-value operand in a Float32Array (the float32 form of a port's
   * call), or more than the cap.
   */
  tryRun(call: KernelCall, reduction: Reduction, shape: readonly number[]): Tensor | null {
    if (!SUPPORTED.has(call.op) || call.results !== 'elements') return null;
    if (reduction !== 'none' && (call.sumLanes ?? FLOAT64_SUM_LANES) !== FLOAT64_SUM_LANES) return null;
    const { input } = call;
    const n = input.length;
    const given = call.operands as Readonly<Record<string, RowColOperand | null | undefined>>;
    const perElement = (o: RowColOperand | null | undefined): FloatArray | null =>
      o && o.data.length === n && (o.colStride === 1 || call.classes <= 1) && (o.rowStride === call.classes || n <= call.classes)
        ? o.data
        : null;
    const target = perElement(given.target);
    if (!target) return null;
    const reads = KERNEL_OPS[call.op].operands as readonly { name: string; slot: string }[];
    let g: FloatArray | null = null;
    let gValue = 0;
    let a = 0;
    for (const { name, slot } of reads) {
      const o = given[name];
      if (slot === 'c') {
        g = perElement(o);
        if (g) continue;
        const one = oneValue(o);
        if (!(one instanceof Float64Array)) return null;
        gValue = one[0]!;
      } else if (slot === 'a') {
        const one = oneValue(o);
        if (!(one instanceof Float64Array)) return null;
        a = one[0]!;
      } else if (slot !== 'y') {
        return null;
      }
    }
    const arena = this.arena.reset();
    const bytes = CHUNK64 * 8;
    const [x, y] = [arena.reserve(bytes), arena.reserve(bytes)];
    const gp = g ? arena.reserve(bytes) : 0;
    const out = arena.reserve(bytes);
    if (!arena.fits(cap)) return null;
    const heap = new Float64Array(arena.buffer());

    const op = opId(call);
    const gStep = g ? 1 : 0;
    const s = call.scalar ?? 0;
    const { elementwise, elementwiseSum, sumBegin, sumChunk } = this.exports;
    const collect = reduction === 'none' ? (allocate('float64', n) as Float64Array) : null; // allocate: ../allocator.ts's warm-up
    const outView = heap.subarray(out / 8, out / 8 + CHUNK64);
    if (!collect) sumBegin(n);
    let sum = !collect && n === 0 ? sumChunk(out, 0) : 0;
    for (let start = 0; start < n; start += CHUNK64) {
      const count = Math.min(CHUNK64, n - start);
      const end = start + count;
      heap.set(count === n ? input : input.subarray(start, end), x / 8);
      heap.set(count === n ? target : target.subarray(start, end), y / 8);
      if (g) heap.set(count === n ? g : g.subarray(start, end), gp / 8);
      if (collect) {
        elementwise(op, x, y, gp, gStep, gValue, out, count, s, a);
        collect.set(count === CHUNK64 ? outView : outView.subarray(0, count), start);
      } else {
        sum = elementwiseSum(op, x, y, gp, gStep, gValue, out, count, s, a);
      }
    }
    if (collect) return makeTensor(collect, shape, 'float64');
    return makeTensor([reduction === 'mean' ? sum / n : sum], [], 'float64');
  }

  /**
   * log_softmax over the last dim of `rows` rows of `dim` float64 values with `lanes` (4 or 8) lanes
   * folded in order (../softmax.ts logSoftmax's float64 loops, bit for bit), into one new
   * Float64Array; null, before any work, for other lanes or where a chunk of whole rows would place
   * more than the cap.
   */
  logSoftmaxRows(x: Float64Array, rows: number, dim: number, lanes: number): Float64Array | null {
    if (lanes !== 4 && lanes !== 8) return null;
    return this.byRows([x], rows, dim, (at, out, count) => this.exports.logSoftmaxRows64(at[0]!, out, count, dim, lanes === 8));
  }

  /** log_softmax's backward over the last dim (../softmax.ts logSoftmaxBackward's float64 loops, bit for bit), as logSoftmaxRows. */
  logSoftmaxBackwardRows(grad: Float64Array, output: Float64Array, rows: number, dim: number, lanes: number): Float64Array | null {
    if (lanes !== 4 && lanes !== 8) return null;
    return this.byRows([grad, output], rows, dim, (at, out, count) =>
      this.exports.logSoftmaxBackwardRows64(at[0]!, at[1]!, out, count, dim, lanes === 8),
    );
  }

  /** `run` over chunks of whole rows of the inputs (copied in at `at`), its results copied out into one new array. */
  private byRows(
    inputs: Float64Array[],
    rows: number,
    dim: number,
    run: (at: number[], out: number, rows: number) => void,
  ): Float64Array | null {
    const perChunk = Math.max(1, Math.floor(CHUNK64 / dim));
    const arena = this.arena.reset();
    const bytes = perChunk * dim * 8;
    const at = inputs.map(() => arena.reserve(bytes));
    const out = arena.reserve(bytes);
    if (!arena.fits(cap)) return null;
    const heap = new Float64Array(arena.buffer());
    const result = allocate('float64', rows * dim) as Float64Array; // allocate: ../allocator.ts's warm-up
    for (let row = 0; row < rows; row += perChunk) {
      const count = Math.min(perChunk, rows - row);
      const from = row * dim;
      const to = from + count * dim;
      for (let i = 0; i < inputs.length; i++) heap.set(inputs[i]!.subarray(from, to), at[i]! / 8);
      run(at, out, count);
      result.set(heap.subarray(out / 8, out / 8 + (to - from)), from);
    }
    return result;
  }

  /** Two kernels on the same arrays: none of FLOAT64_OPS needs it (GaussianNLLLoss' gradients do), so null, for the JS loops. */
  tryRunBoth(_call: KernelCall, _second: Op, _shape: readonly number[], _secondShape: readonly number[]): [Tensor, Tensor] | null {
    return null;
  }

  /** The module's exp, log or log1p (V8's Math.exp / Math.log / Math.log1p, fdlibm's e_exp.c / e_log.c / s_log1p.c, in f64x2) of every value (for checks). */
  elementary(fn: 'exp' | 'log' | 'log1p', values: Float64Array): Float64Array {
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

/** A fresh instance of the kernels (its own memory), or null where WebAssembly SIMD is unavailable. */
export function loadFloat64Kernels(): Float64Kernels | null {
  const exports = instantiate<Float64Exports>(FLOAT64_WASM_BASE64);
  return exports && new Float64Kernels(exports);
}

let kernels: Float64Kernels | null | undefined;

/**
 * The float64 kernels, loaded on first use, or null where WebAssembly SIMD is unavailable. The
 * ports reach them through ./float32-kernels.ts kernelsFor('float64'), which useFloat32Kernels(false)
 * switches off with the float32 ones.
 */
export function float64Kernels(): Float64Kernels | null {
  if (kernels === undefined) kernels = loadFloat64Kernels();
  return kernels;
}
