// The float32 WebAssembly SIMD kernels (./assembly/kernels.ts, built into ./kernels-binary.ts):
// loading, and placing a call's arrays in the module's memory. The ports call these for float32
// and keep their JS loops for float64 (and as the reference the kernels are tested against).
//
// The module cannot read JS typed arrays, so a call copies its per-element arrays in chunk by chunk
// (about CHUNK elements, which stay in cache), runs the kernel on each chunk and copies the results
// out into the call's one output-sized allocation, or sums them inside the module. Small operands
// (per-class weights) are placed whole. Memory grows when a call needs more and is kept.

import { KERNELS_WASM_BASE64 } from './kernels-binary.ts';
import type { Reduction } from '../loss-args.ts';
import { makeTensor } from '../reduction.ts';
import type { FloatArray, Tensor } from '../tensor.ts';
import type { RowColOperand } from '../broadcast.ts';

export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  readonly HAS_WEIGHT: WebAssembly.Global;
  readonly HAS_POS_WEIGHT: WebAssembly.Global;
  readonly USES_LOG_SIGMOID: WebAssembly.Global;
  readonly SUM_CHUNK_ALIGN: WebAssembly.Global;
  heapBase(): number;
  /** out[i] = exp(input[i]) (op 0) or log1p(input[i]) (op 1); n a multiple of 4. */
  elementary(op: number, input: number, out: number, n: number): void;
  bceWithLogitsForward(x: number, y: number, out: number, start: number, count: number, classes: number, ...operandsAndFlags: number[]): void;
  bceWithLogitsBackward(x: number, y: number, out: number, start: number, count: number, classes: number, ...operandsFlagsAndDivisor: number[]): void;
  multilabelSoftMarginForward(x: number, y: number, out: number, start: number, count: number, classes: number, ...operandsFlagsAndScratch: number[]): void;
  multilabelSoftMarginBackward(x: number, y: number, out: number, start: number, count: number, classes: number, ...operandsAndFlags: number[]): void;
  sumBegin(length: number): void;
  sumChunk(ptr: number, count: number): number;
  sumFloat32(ptr: number, length: number): number;
}

export type Flag = 'HAS_WEIGHT' | 'HAS_POS_WEIGHT' | 'USES_LOG_SIGMOID';

/** One kernel call over a rows x classes tensor of `count` elements. */
export interface KernelCall {
  readonly count: number;
  readonly classes: number;
  /** Per-element arrays (input, target, ...), copied in chunk by chunk. */
  readonly streams: readonly FloatArray[];
  /** Weight-like operands (null when absent), placed whole or, when shaped like the input, streamed. */
  readonly operands: readonly (RowColOperand | null)[];
  /**
   * 'elements': one result per element, chunks of CHUNK elements. 'rows': one result per row of
   * `classes` elements (a class-dim reduction), chunks of whole rows, and a scratch area of the
   * chunk's size for the kernel's per-element values.
   */
  readonly results: 'elements' | 'rows';
  /**
   * Runs the kernel on one chunk (elements start ... start + count - 1): stream pointers, four
   * numbers per operand (see assembly/kernels.ts), where its results go, the scratch area.
   */
  run(streams: readonly number[], operands: readonly number[], out: number, start: number, count: number, scratch: number): void;
}

/** Elements per chunk: its arrays stay in the L2 cache, and it is a multiple of SUM_CHUNK_ALIGN. */
export const CHUNK = 8192;

export class Float32Kernels {
  readonly exports: KernelExports;
  private readonly base: number;
  private top = 0;

  constructor(exports: KernelExports) {
    this.exports = exports;
    this.base = exports.heapBase();
    if (CHUNK % (exports.SUM_CHUNK_ALIGN.value as number) !== 0) throw new Error('CHUNK must be a multiple of SUM_CHUNK_ALIGN');
  }

  flag(name: Flag): number {
    return this.exports[name].value as number;
  }

  /**
   * Runs `call` chunk by chunk and applies apply_loss_reduction to its results: 'none' copies them
   * into the call's one output-sized allocation (shaped `shape`); 'sum' and 'mean' take ATen's
   * float32 sum of them inside the module.
   */
  run(call: KernelCall, reduction: Reduction, shape: readonly number[]): Tensor {
    const { count: n, classes } = call;
    const byRow = call.results === 'rows';
    const rows = classes === 0 ? 0 : n / classes;
    const chunk = byRow ? Math.max(1, Math.floor(CHUNK / classes)) * classes : CHUNK;
    this.top = this.base;
    // Operands shaped like the input travel with the chunks; the others are placed whole.
    const placed: { ptr: number; values: ArrayLike<number> }[] = [];
    const streams = [...call.streams];
    const operands: number[] = [];
    for (const o of call.operands) {
      if (!o) operands.push(0, 0, 0, 0);
      else if ((o.rowStride === classes && o.colStride === 1) || (classes === 1 && o.rowStride === 1)) {
        operands.push(-1 - streams.length, 0, 0, 1); // the stream's chunk buffer, set below
        streams.push(o.data);
      } else {
        const ptr = this.reserve(o.data.length);
        placed.push({ ptr, values: o.data });
        operands.push(ptr, o.rowStride, o.colStride, 0);
      }
    }
    const streamPtrs = streams.map(() => this.reserve(chunk));
    for (let i = 0; i < operands.length; i += 4) if (operands[i]! < 0) operands[i] = streamPtrs[-1 - operands[i]!]!;
    const out = this.reserve(byRow ? rows : chunk);
    const scratch = byRow ? this.reserve(chunk) : 0;
    const memory = this.exports.memory;
    const short = this.top - memory.buffer.byteLength;
    if (short > 0) memory.grow(Math.ceil(short / 65536));
    const heap = new Float32Array(memory.buffer);
    for (const { ptr, values } of placed) heap.set(values, ptr / 4);

    const results = byRow ? rows : n;
    const collect = reduction === 'none' && !byRow ? new Float32Array(n) : null;
    if (reduction !== 'none' && !byRow) this.exports.sumBegin(n);
    let sum = 0;
    for (let start = 0; start < n || (start === 0 && reduction !== 'none' && !byRow); start += chunk) {
      const count = Math.min(chunk, n - start);
      for (let s = 0; s < streams.length; s++) heap.set(streams[s]!.subarray(start, start + count), streamPtrs[s]! / 4);
      if (count > 0) call.run(streamPtrs, operands, byRow ? out + (start / classes) * 4 : out, start, count, scratch);
      if (byRow) continue;
      if (collect) collect.set(heap.subarray(out / 4, out / 4 + count), start);
      else sum = this.exports.sumChunk(out, count);
    }
    if (reduction === 'none') return makeTensor(collect ?? heap.slice(out / 4, out / 4 + rows), shape, 'float32');
    if (byRow) sum = this.exports.sumFloat32(out, rows);
    return makeTensor([reduction === 'mean' ? Math.fround(sum / results) : sum], [], 'float32');
  }

  /** Tensor.sum() of float32 values in ATen's order, streamed through the module in chunks. */
  sum(values: Float32Array): number {
    this.top = this.base;
    const buffer = this.reserve(CHUNK);
    const short = this.top - this.exports.memory.buffer.byteLength;
    if (short > 0) this.exports.memory.grow(Math.ceil(short / 65536));
    const heap = new Float32Array(this.exports.memory.buffer);
    this.exports.sumBegin(values.length);
    if (values.length === 0) return this.exports.sumChunk(buffer, 0);
    let total = 0;
    for (let start = 0; start < values.length; start += CHUNK) {
      const count = Math.min(CHUNK, values.length - start);
      heap.set(values.subarray(start, start + count), buffer / 4);
      total = this.exports.sumChunk(buffer, count);
    }
    return total;
  }

  /** Reserves `count` floats (16-byte aligned) in this call's arena; returns the byte address. */
  private reserve(count: number): number {
    const ptr = this.top;
    this.top += Math.ceil((count * 4) / 16) * 16;
    return ptr;
  }
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

let kernels: Float32Kernels | null | undefined;
let enabled = true;

/** The kernels, or null where WebAssembly SIMD is unavailable (or switched off): then the JS loops run. */
export function float32Kernels(): Float32Kernels | null {
  if (!enabled) return null;
  if (kernels === undefined) {
    try {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(decodeBase64(KERNELS_WASM_BASE64)), {});
      kernels = new Float32Kernels(instance.exports as unknown as KernelExports);
    } catch {
      kernels = null;
    }
  }
  return kernels;
}

/** Switches the float32 kernels off (false) or on: tests and the bench compare them with the JS loops. */
export function useFloat32Kernels(on: boolean): void {
  enabled = on;
}
