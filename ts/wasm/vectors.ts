// The float32 SIMD loops of margin_ranking_loss, hinge_embedding_loss, multi_margin_loss and
// cosine_embedding_loss (./assembly/vectors.ts,
// built into ./vectors-binary.ts): loading (lazily, once; off with useFloat32Kernels(false), and
// where WebAssembly SIMD is unavailable) and placing a call's arrays in the module's memory. The
// ports call these for float32 and keep their JS loops for float64, for the layouts these do not
// take, and as the reference they are tested against (bit for bit).
//
// The module cannot read JS typed arrays, so a call copies its inputs in CHUNK elements at a time
// (they stay in cache), runs the loop on each chunk, and copies the results out into the call's
// output arrays, or sums them inside the module (ATen's cascade order, streamed). A call needs at
// most a few chunks of module memory, plus cosine's per-row sums: past MODULE_CAP_BYTES the ports
// run their JS loops (null here).

import { Arena, MODULE_CAP_BYTES, instantiate, type ModuleExports } from './module.ts';
import { VECTORS_WASM_DEFLATED } from './vectors-binary.ts';
import { kernelsEnabled } from './kernel-switch.ts';

export interface VectorExports extends ModuleExports {
  readonly STRICT: WebAssembly.Global;
  readonly PER_ELEMENT: WebAssembly.Global;
  sumBegin(length: number, lanes: number): void;
  sumAdd(ptr: number, count: number): number;
  marginRankingLosses(a: number, b: number, t: number, out: number, count: number, margin: number): void;
  marginRankingSum(a: number, b: number, t: number, scratch: number, count: number, margin: number): number;
  marginRankingGrad(
    a: number,
    b: number,
    t: number,
    go: number,
    g1: number,
    g2: number,
    count: number,
    margin: number,
    g: number,
    flags: number,
  ): void;
  hingeLosses(x: number, t: number, out: number, count: number, margin: number): void;
  hingeSum(x: number, t: number, scratch: number, count: number, margin: number): number;
  hingeGrad(x: number, t: number, go: number, grad: number, count: number, margin: number, g: number, flags: number): void;
  readonly P2: WebAssembly.Global;
  readonly WEIGHTED: WebAssembly.Global;
  multiMarginRows(x: number, labels: number, w: number, rows: number, C: number, margin: number, flags: number, out: number): void;
  multiMarginGrad(
    x: number,
    labels: number,
    w: number,
    rows: number,
    C: number,
    margin: number,
    g: number,
    go: number,
    flags: number,
    grad: number,
  ): void;
  cosineRowSums(
    x1: number,
    x2: number,
    rows: number,
    D: number,
    lanes: number,
    prodSum: number,
    mag1: number,
    mag2: number,
    eps: number,
  ): void;
  cosineRowSums64(
    x1: number,
    x2: number,
    rows: number,
    D: number,
    lanes: number,
    prodSum: number,
    mag1: number,
    mag2: number,
    eps: number,
  ): void;
  cosineLosses(prodSum: number, mag1: number, mag2: number, t: number, rows: number, margin: number, out: number): void;
  cosineRowScalars(
    prodSum: number,
    mag1: number,
    mag2: number,
    t: number,
    go: number,
    rows: number,
    g: number,
    margin: number,
    flags: number,
    gM1: number,
    gM2: number,
    gPs: number,
  ): void;
  cosineRowGrads(x1: number, x2: number, rows: number, D: number, gM1: number, gM2: number, gPs: number, g1: number, g2: number): void;

  readonly NLL_RESULT: WebAssembly.Global;
  nllIndices(labels: number, idx: number, count: number, classes: number, rowStride: number): void;
  nllCascade32(
    labels: number,
    vals: number,
    weights: number,
    count: number,
    classes: number,
    ignore: number,
    levelPower: number,
    blocks: number,
  ): number;
  nllCascade64(
    labels: number,
    vals: number,
    weights: number,
    count: number,
    classes: number,
    ignore: number,
    levelPower: number,
    blocks: number,
  ): number;
}

/** Elements per chunk: a multiple of every sum's ILP row (4 x 16 lanes), small enough for the L2 cache. */
export const CHUNK = 8192;

/** The sums' lane counts the module takes (ATen's float32 sum lanes: avx2 8, avx512 16). */
const SUM_LANES = [8, 16];

/**
 * The same per-row scalars computed in the module, for a float32 target per row: the gradient g,
 * or (go given, reduction 'none') go's row value (rounded to float32 on the way in); strict: torch
 * >= 2.14's clamp.
 */
export interface CosineRowRule {
  readonly target: Float32Array;
  readonly go: Float32Array | Float64Array | null;
  readonly g: number;
  readonly margin: number;
  readonly strict: boolean;
}

/** The per-row scalars of cosine_embedding_loss's backward for rows n0 .. n0 + count - 1 (views indexed from 0). */
export type CosineRowScalars = (
  n0: number,
  count: number,
  sums: { prodSum: Float32Array; mag1: Float32Array; mag2: Float32Array },
  out: { gM1: Float32Array; gM2: Float32Array; gPs: Float32Array },
) => void;

export class VectorKernels {
  readonly exports: VectorExports;
  private readonly arena: Arena;
  private cap = MODULE_CAP_BYTES;

  constructor(exports: VectorExports) {
    this.exports = exports;
    this.arena = new Arena(exports);
  }

  /** Sets the cap on one call's module memory (tests reach it cheaply); returns the previous one. */
  useCap(bytes: number = MODULE_CAP_BYTES): number {
    const previous = this.cap;
    this.cap = bytes;
    return previous;
  }

  private heap(): Float32Array {
    return new Float32Array(this.arena.buffer());
  }

  /** Reserves `count` floats; returns the byte address. */
  private floats(count: number): number {
    return this.arena.reserve(count * 4);
  }

  /** Whether a Tensor.sum() over `lanes` of `length` values runs here. */
  sums(length: number, lanes: number): boolean {
    return length >= lanes && SUM_LANES.includes(lanes);
  }

  /** margin_ranking_loss's losses, one per element (reduction 'none'), into out. */
  marginRankingLosses(a: Float32Array, b: Float32Array, t: Float32Array, margin: number, out: Float32Array): void {
    const n = a.length;
    this.arena.reset();
    const chunk = Math.min(CHUNK, n);
    const [pa, pb, pt, po] = [this.floats(chunk), this.floats(chunk), this.floats(chunk), this.floats(chunk)];
    const heap = this.heap();
    const view = heap.subarray(po / 4, po / 4 + chunk);
    const run = this.exports.marginRankingLosses;
    for (let start = 0; start < n; start += chunk) {
      const count = Math.min(chunk, n - start);
      const end = start + count;
      heap.set(a.subarray(start, end), pa / 4);
      heap.set(b.subarray(start, end), pb / 4);
      heap.set(t.subarray(start, end), pt / 4);
      run(pa, pb, pt, po, count, margin);
      out.set(count === chunk ? view : view.subarray(0, count), start);
    }
  }

  /** Tensor.sum() over `lanes` (sums(n, lanes) must hold) of margin_ranking_loss's losses. */
  marginRankingSum(a: Float32Array, b: Float32Array, t: Float32Array, margin: number, lanes: number): number {
    const n = a.length;
    this.arena.reset();
    const chunk = Math.min(CHUNK, n);
    const [pa, pb, pt, ps] = [this.floats(chunk), this.floats(chunk), this.floats(chunk), this.floats(2048)];
    const heap = this.heap();
    const { sumBegin, marginRankingSum: run } = this.exports;
    sumBegin(n, lanes);
    let sum = 0;
    for (let start = 0; start < n; start += chunk) {
      const count = Math.min(chunk, n - start);
      const end = start + count;
      heap.set(a.subarray(start, end), pa / 4);
      heap.set(b.subarray(start, end), pb / 4);
      heap.set(t.subarray(start, end), pt / 4);
      sum = run(pa, pb, pt, ps, count, margin);
    }
    return sum;
  }

  /**
   * margin_ranking_loss's gradients of input1 and input2 into g1 and g2: the gradient g, or (go
   * given, reduction 'none') go's value per element (rounded to float32 on the way in); strict:
   * torch >= 2.14's clamp (passes where u > 0).
   */
  marginRankingGrads(
    a: Float32Array,
    b: Float32Array,
    t: Float32Array,
    go: Float32Array | Float64Array | null,
    g: number,
    margin: number,
    strict: boolean,
    g1: Float32Array,
    g2: Float32Array,
  ): void {
    const n = a.length;
    this.arena.reset();
    const chunk = Math.min(CHUNK, n);
    const [pa, pb, pt] = [this.floats(chunk), this.floats(chunk), this.floats(chunk)];
    const pg = go ? this.floats(chunk) : 0;
    const [p1, p2] = [this.floats(chunk), this.floats(chunk)];
    const heap = this.heap();
    const e = this.exports;
    const flags = (strict ? (e.STRICT.value as number) : 0) | (go ? (e.PER_ELEMENT.value as number) : 0);
    const v1 = heap.subarray(p1 / 4, p1 / 4 + chunk);
    const v2 = heap.subarray(p2 / 4, p2 / 4 + chunk);
    const run = e.marginRankingGrad;
    for (let start = 0; start < n; start += chunk) {
      const count = Math.min(chunk, n - start);
      const end = start + count;
      heap.set(a.subarray(start, end), pa / 4);
      heap.set(b.subarray(start, end), pb / 4);
      heap.set(t.subarray(start, end), pt / 4);
      if (go) heap.set(go.subarray(start, end), pg / 4);
      run(pa, pb, pt, pg, p1, p2, count, margin, g, flags);
      g1.set(count === chunk ? v1 : v1.subarray(0, count), start);
      g2.set(count === chunk ? v2 : v2.subarray(0, count), start);
    }
  }

  /** hinge_embedding_loss's losses, one per element (reduction 'none'), into out. */
  hingeLosses(x: Float32Array, t: Float32Array, margin: number, out: Float32Array): void {
    const n = x.length;
    this.arena.reset();
    const chunk = Math.min(CHUNK, n);
    const [px, pt, po] = [this.floats(chunk), this.floats(chunk), this.floats(chunk)];
    const heap = this.heap();
    const view = heap.subarray(po / 4, po / 4 + chunk);
    const run = this.exports.hingeLosses;
    for (let start = 0; start < n; start += chunk) {
      const count = Math.min(chunk, n - start);
      const end = start + count;
      heap.set(x.subarray(start, end), px / 4);
      heap.set(t.subarray(start, end), pt / 4);
      run(px, pt, po, count, margin);
      out.set(count === chunk ? view : view.subarray(0, count), start);
    }
  }

  /** Tensor.sum() over `lanes` (sums(n, lanes) must hold) of hinge_embedding_loss's losses. */
  hingeSum(x: Float32Array, t: Float32Array, margin: number, lanes: number): number {
    const n = x.length;
    this.arena.reset();
    const chunk = Math.min(CHUNK, n);
    const [px, pt, ps] = [this.floats(chunk), this.floats(chunk), this.floats(2048)];
    const heap = this.heap();
    const { sumBegin, hingeSum: run } = this.exports;
    sumBegin(n, lanes);
    let sum = 0;
    for (let start = 0; start < n; start += chunk) {
      const count = Math.min(chunk, n - start);
      const end = start + count;
      heap.set(x.subarray(start, end), px / 4);
      heap.set(t.subarray(start, end), pt / 4);
      sum = run(px, pt, ps, count, margin);
    }
    return sum;
  }

  /** hinge_embedding_loss's input gradient into grad (g, go and strict as marginRankingGrads). */
  hingeGrads(
    x: Float32Array,
    t: Float32Array,
    go: Float32Array | Float64Array | null,
    g: number,
    margin: number,
    strict: boolean,
    grad: Float32Array,
  ): void {
    const n = x.length;
    this.arena.reset();
    const chunk = Math.min(CHUNK, n);
    const [px, pt] = [this.floats(chunk), this.floats(chunk)];
    const pg = go ? this.floats(chunk) : 0;
    const po = this.floats(chunk);
    const heap = this.heap();
    const e = this.exports;
    const flags = (strict ? (e.STRICT.value as number) : 0) | (go ? (e.PER_ELEMENT.value as number) : 0);
    const view = heap.subarray(po / 4, po / 4 + chunk);
    const run = e.hingeGrad;
    for (let start = 0; start < n; start += chunk) {
      const count = Math.min(chunk, n - start);
      const end = start + count;
      heap.set(x.subarray(start, end), px / 4);
      heap.set(t.subarray(start, end), pt / 4);
      if (go) heap.set(go.subarray(start, end), pg / 4);
      run(px, pt, pg, po, count, margin, g, flags);
      grad.set(count === chunk ? view : view.subarray(0, count), start);
    }
  }

  /** Whole rows of C per chunk: a multiple of 4 (the module's rows go four at a time). */
  private static rowsPerChunk(C: number): number {
    return Math.max(4, Math.floor(CHUNK / C / 4) * 4);
  }

  private multiMarginFlags(w: Float32Array | null, p2: boolean, perRow: boolean): number {
    const e = this.exports;
    return (p2 ? (e.P2.value as number) : 0) | (w ? (e.WEIGHTED.value as number) : 0) | (perRow ? (e.PER_ELEMENT.value as number) : 0);
  }

  /**
   * multi_margin_loss's row losses (sum / C, as rowLosses32) of the rows of C float32 values in x,
   * targets in labels (each in [0, C)), into out (one per row); false (before any work) past the cap.
   */
  multiMarginRows(
    x: Float32Array,
    labels: Int32Array,
    C: number,
    w: Float32Array | null,
    margin: number,
    p2: boolean,
    out: Float32Array,
  ): boolean {
    const rows = labels.length;
    this.arena.reset();
    const per = VectorKernels.rowsPerChunk(C);
    const [px, pl, po] = [this.floats(per * C), this.floats(per), this.floats(per)];
    const pw = w ? this.floats(w.length) : 0;
    if (!this.arena.fits(this.cap)) return false;
    const buffer = this.arena.buffer();
    const heap = new Float32Array(buffer);
    const ints = new Int32Array(buffer);
    if (w) heap.set(w, pw / 4);
    const flags = this.multiMarginFlags(w, p2, false);
    const run = this.exports.multiMarginRows;
    for (let row = 0; row < rows; row += per) {
      const count = Math.min(per, rows - row);
      heap.set(x.subarray(row * C, (row + count) * C), px / 4);
      ints.set(labels.subarray(row, row + count), pl / 4);
      run(px, pl, pw, count, C, margin, flags, po);
      out.set(heap.subarray(po / 4, po / 4 + count), row);
    }
    return true;
  }

  /**
   * multi_margin_loss's input gradient (as gradRows32) into grad: g the per-term gradient, go the
   * gradOutput (one value per row when perRow, else its one value); false (before any work) past the cap.
   */
  multiMarginGrad(
    x: Float32Array,
    labels: Int32Array,
    C: number,
    w: Float32Array | null,
    margin: number,
    p2: boolean,
    g: number,
    go: Float32Array,
    perRow: boolean,
    grad: Float32Array,
  ): boolean {
    const rows = labels.length;
    this.arena.reset();
    const per = VectorKernels.rowsPerChunk(C);
    const [px, pl, pg, po] = [this.floats(per * C), this.floats(per), this.floats(perRow ? per : 1), this.floats(per * C)];
    const pw = w ? this.floats(w.length) : 0;
    if (!this.arena.fits(this.cap)) return false;
    const buffer = this.arena.buffer();
    const heap = new Float32Array(buffer);
    const ints = new Int32Array(buffer);
    if (w) heap.set(w, pw / 4);
    if (!perRow) heap[pg / 4] = go[0]!;
    const flags = this.multiMarginFlags(w, p2, perRow);
    const run = this.exports.multiMarginGrad;
    for (let row = 0; row < rows; row += per) {
      const count = Math.min(per, rows - row);
      const [from, to] = [row * C, (row + count) * C];
      heap.set(x.subarray(from, to), px / 4);
      ints.set(labels.subarray(row, row + count), pl / 4);
      if (perRow) heap.set(go.subarray(row, row + count), pg / 4);
      run(px, pl, pw, count, C, margin, g, pg, flags, po);
      grad.set(heap.subarray(po / 4, po / 4 + (to - from)), from);
    }
    return true;
  }

  /** Whether cosine's row sums of rows of D values over `lanes` run here (a row of at least one vector below the first cascade level). */
  cosineRows(D: number, lanes: number): boolean {
    return SUM_LANES.includes(lanes) && D >= lanes && Math.floor(Math.floor(D / lanes) / 4) < 16;
  }

  /**
   * cosine_embedding_loss's three row sums (prod_sum, mag_square1 + eps, mag_square2 + eps) of
   * `rows` rows of D values (cosineRows(D, lanes) must hold), as views of the module's memory
   * (valid until the next call); null past the cap.
   */
  cosineRowSums(
    x1: Float32Array,
    x2: Float32Array,
    rows: number,
    D: number,
    lanes: number,
    eps: number,
  ): { prodSum: Float32Array; mag1: Float32Array; mag2: Float32Array } | null {
    const at = this.rowSums(x1, x2, rows, D, lanes, eps, 0);
    if (at === null) return null;
    const heap = this.heap();
    const [ps, m1, m2] = at;
    return {
      prodSum: heap.subarray(ps / 4, ps / 4 + rows),
      mag1: heap.subarray(m1 / 4, m1 / 4 + rows),
      mag2: heap.subarray(m2 / 4, m2 / 4 + rows),
    };
  }

  /**
   * cosine_embedding_loss's losses, one per row, of `rows` rows of D values (cosineRows(D, lanes)
   * must hold) with one float32 target per row, into one new array; null past the cap.
   */
  cosineLosses(
    x1: Float32Array,
    x2: Float32Array,
    rows: number,
    D: number,
    lanes: number,
    eps: number,
    t: Float32Array,
    margin: number,
  ): Float32Array | null {
    const po = this.rowLosses(x1, x2, rows, D, lanes, eps, t, margin);
    return po === null ? null : this.heap().slice(po / 4, po / 4 + rows);
  }

  /** Tensor.sum() over `lanes` (sums(rows, lanes) must hold) of cosineLosses' losses, summed in the module; null past the cap. */
  cosineLossSum(
    x1: Float32Array,
    x2: Float32Array,
    rows: number,
    D: number,
    lanes: number,
    eps: number,
    t: Float32Array,
    margin: number,
  ): number | null {
    const po = this.rowLosses(x1, x2, rows, D, lanes, eps, t, margin);
    if (po === null) return null;
    this.exports.sumBegin(rows, lanes);
    return this.exports.sumAdd(po, rows);
  }

  /** Whether cosineRowSums64 sums rows of D float64s over `lanes` (4 or 8; a row of at least one vector below the first cascade level). */
  cosineRows64(D: number, lanes: number): boolean {
    return (lanes === 4 || lanes === 8) && D >= lanes && Math.floor(Math.floor(D / lanes) / 4) < 16;
  }

  /**
   * cosineRowSums in float64 (../losses/cosine_embedding_loss.ts rowSums64's order; cosineRows64(D,
   * lanes) must hold) into new arrays; null past the cap.
   */
  cosineRowSums64(
    x1: Float64Array,
    x2: Float64Array,
    rows: number,
    D: number,
    lanes: number,
    eps: number,
  ): { prodSum: Float64Array; mag1: Float64Array; mag2: Float64Array } | null {
    this.arena.reset();
    const per = Math.max(1, Math.floor(CHUNK / D));
    const length = per * D * 8;
    const [p1, p2] = [this.arena.reserve(length), this.arena.reserve(length)];
    const [ps, m1, m2] = [this.arena.reserve(rows * 8), this.arena.reserve(rows * 8), this.arena.reserve(rows * 8)];
    if (!this.arena.fits(this.cap)) return null;
    const heap = new Float64Array(this.arena.buffer());
    const run = this.exports.cosineRowSums64;
    for (let n0 = 0; n0 < rows; n0 += per) {
      const count = Math.min(per, rows - n0);
      const [from, to] = [n0 * D, (n0 + count) * D];
      heap.set(x1.subarray(from, to), p1 / 8);
      heap.set(x2.subarray(from, to), p2 / 8);
      run(p1, p2, count, D, lanes, ps + n0 * 8, m1 + n0 * 8, m2 + n0 * 8, eps);
    }
    return {
      prodSum: heap.slice(ps / 8, ps / 8 + rows),
      mag1: heap.slice(m1 / 8, m1 / 8 + rows),
      mag2: heap.slice(m2 / 8, m2 / 8 + rows),
    };
  }

  /** cosineLosses in the module: the losses' address, or null past the cap. */
  private rowLosses(
    x1: Float32Array,
    x2: Float32Array,
    rows: number,
    D: number,
    lanes: number,
    eps: number,
    t: Float32Array,
    margin: number,
  ): number | null {
    const at = this.rowSums(x1, x2, rows, D, lanes, eps, 2);
    if (at === null) return null;
    const [ps, m1, m2, pt, po] = at as [number, number, number, number, number];
    this.heap().set(t, pt / 4);
    this.exports.cosineLosses(ps, m1, m2, pt, rows, margin, po);
    return po;
  }

  /** The three row sums of all rows in the module (and `extra` more arrays of `rows` floats): their addresses, or null past the cap. */
  private rowSums(x1: Float32Array, x2: Float32Array, rows: number, D: number, lanes: number, eps: number, extra: number): number[] | null {
    this.arena.reset();
    const per = Math.max(1, Math.floor(CHUNK / D));
    const length = per * D;
    const [p1, p2] = [this.floats(length), this.floats(length)];
    const sums = Array.from({ length: 3 + extra }, () => this.floats(rows));
    if (!this.arena.fits(this.cap)) return null;
    const [ps, m1, m2] = sums as [number, number, number];
    const heap = this.heap();
    const run = this.exports.cosineRowSums;
    for (let n0 = 0; n0 < rows; n0 += per) {
      const count = Math.min(per, rows - n0);
      const [from, to] = [n0 * D, (n0 + count) * D];
      heap.set(x1.subarray(from, to), p1 / 4);
      heap.set(x2.subarray(from, to), p2 / 4);
      run(p1, p2, count, D, lanes, ps + n0 * 4, m1 + n0 * 4, m2 + n0 * 4, eps);
    }
    return sums;
  }

  /**
   * cosine_embedding_loss's backward of one shape reduced over the last dim: a block of rows at a
   * time, their three sums, `scalars` (the JS chain from the sums to each row's magnitude and
   * prod_sum gradients), then the gradients into g1 and g2. false (before any work) past the cap.
   */
  cosineBackward(
    x1: Float32Array,
    x2: Float32Array,
    rows: number,
    D: number,
    lanes: number,
    eps: number,
    scalars: CosineRowScalars | CosineRowRule,
    g1: Float32Array,
    g2: Float32Array,
  ): boolean {
    this.arena.reset();
    const per = Math.max(1, Math.floor(CHUNK / D));
    const length = per * D;
    const [p1, p2, o1, o2] = [this.floats(length), this.floats(length), this.floats(length), this.floats(length)];
    const [ps, m1, m2, a1, a2, gp, pt, pg] = Array.from({ length: 8 }, () => this.floats(per)) as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    if (!this.arena.fits(this.cap)) return false;
    const heap = this.heap();
    const view = (ptr: number, count: number) => heap.subarray(ptr / 4, ptr / 4 + count);
    const e = this.exports;
    const { cosineRowSums, cosineRowGrads, cosineRowScalars } = e;
    const rule = typeof scalars === 'function' ? null : scalars;
    const flags = rule ? (rule.strict ? (e.STRICT.value as number) : 0) | (rule.go ? (e.PER_ELEMENT.value as number) : 0) : 0;
    for (let n0 = 0; n0 < rows; n0 += per) {
      const count = Math.min(per, rows - n0);
      const [from, to] = [n0 * D, (n0 + count) * D];
      heap.set(x1.subarray(from, to), p1 / 4);
      heap.set(x2.subarray(from, to), p2 / 4);
      cosineRowSums(p1, p2, count, D, lanes, ps, m1, m2, eps);
      if (rule) {
        heap.set(rule.target.subarray(n0, n0 + count), pt / 4);
        if (rule.go) heap.set(rule.go.subarray(n0, n0 + count), pg / 4);
        cosineRowScalars(ps, m1, m2, pt, pg, count, rule.g, rule.margin, flags, a1, a2, gp);
      } else {
        (scalars as CosineRowScalars)(
          n0,
          count,
          { prodSum: view(ps, count), mag1: view(m1, count), mag2: view(m2, count) },
          { gM1: view(a1, count), gM2: view(a2, count), gPs: view(gp, count) },
        );
      }
      cosineRowGrads(p1, p2, count, D, a1, a2, gp, o1, o2);
      g1.set(view(o1, to - from), from);
      g2.set(view(o2, to - from), from);
    }
    return true;
  }

  /**
   * nll_loss's 'mean' / 'sum' reduction (torch >= 1.9's cascade) of the first `count` targets, target
   * i's value at x[i * rowStride + labels[i]] (rowStride 0: at x[i], one value per target), as
   * ../losses/nll_loss.ts accumulate computes it in x's dtype: [loss, total weight (0 without a
   * weight), targets ignored], or null when a target is neither ignored nor a class (the caller
   * raises torch's IndexError) or past the cap. Only the picked values are read (gathered here).
   */
  nllCascade(
    labels: Int32Array,
    x: Float32Array | Float64Array,
    rowStride: number,
    weights: Float32Array | Float64Array | null,
    count: number,
    classes: number,
    ignoreIndex: number,
    levelPower: number,
  ): [loss: number, total: number, ignored: number] | null {
    const f64 = x instanceof Float64Array;
    const size = f64 ? 8 : 4;
    const full = count > 0 ? (count - 1) >> levelPower : 0;
    this.arena.reset();
    const pl = this.arena.reserve(count * 4);
    const pv = this.arena.reserve(count * size);
    const pw = weights ? this.arena.reserve(classes * size) : 0;
    const pb = this.arena.reserve((2 * full + 2) * size);
    const pc = rowStride === 0 ? 0 : this.arena.reserve(count * 4);
    // the gather's flat indices are i32 (nllIndices)
    if (!this.arena.fits(this.cap) || (count - 1) * rowStride + classes > 0x7fffffff) return null;
    const { i32, f32, f64: f64s } = this.nllViews();
    i32.set(labels.length === count ? labels : labels.subarray(0, count), pl >> 2);
    if (rowStride === 0) {
      const picked = x.length === count ? x : x.subarray(0, count);
      if (f64) f64s.set(picked, pv >> 3);
      else f32.set(picked, pv >> 2);
    } else {
      this.exports.nllIndices(pl, pc, count, classes, rowStride);
      if (count <= SMALL_GATHER) {
        // a few targets: through the kept views, no two views made per call (~0.1 us each)
        const c = pc >> 2;
        if (f64) for (let i = 0, v = pv >> 3; i < count; i++) f64s[v + i] = (x as Float64Array)[i32[c + i]!]!;
        else for (let i = 0, v = pv >> 2; i < count; i++) f32[v + i] = (x as Float32Array)[i32[c + i]!]!;
      } else {
        const idx = new Int32Array(i32.buffer, pc, count);
        if (f64) gather64(x as Float64Array, idx, new Float64Array(i32.buffer, pv, count), count);
        else gather32(x as Float32Array, idx, new Float32Array(i32.buffer, pv, count), count);
      }
    }
    if (weights) {
      const w = weights.length === classes ? weights : weights.subarray(0, classes);
      if (f64) f64s.set(w, pw >> 3);
      else f32.set(w, pw >> 2);
    }
    const run = f64 ? this.exports.nllCascade64 : this.exports.nllCascade32;
    const ignored = run(pl, pv, pw, count, classes, ignoreIndex, levelPower, pb);
    if (ignored < 0) return null;
    const at = (this.exports.NLL_RESULT.value as number) >> 3;
    return [f64s[at]!, f64s[at + 1]!, ignored];
  }

  /** The module's memory as i32 / f32 / f64, kept while it does not grow (a grow detaches them: length 0). */
  private views = { i32: new Int32Array(0), f32: new Float32Array(0), f64: new Float64Array(0) };

  /**
   * nllCascade's views of the memory, grown first to hold the call's arena; kept between calls
   * (the copies in and out need no views made per call).
   */
  private nllViews(): { i32: Int32Array; f32: Float32Array; f64: Float64Array } {
    const buffer = this.arena.buffer();
    if (this.views.i32.buffer !== buffer || this.views.i32.length === 0) {
      this.views = { i32: new Int32Array(buffer), f32: new Float32Array(buffer), f64: new Float64Array(buffer) };
    }
    return this.views;
  }
}

/** Targets up to which nllCascade gathers through its kept views (above: gather32 / gather64 on views of the call's arrays). */
const SMALL_GATHER = 64;

/**
 * vals[i] = x[idx[i]] for i < count, idx the flat indices from the module's nllIndices (each within
 * its row: a target outside [0, classes) reads its row's first value, which is never summed).
 * Eight targets an iteration: V8 reloads each typed array's length and data pointer after every
 * loop back edge (its interrupt check): one an iteration took 15 us for 1e4 targets, four 10, eight 8
 * (not inlined, as in the call). Absolute indices made in the module and views from 0 took the loop
 * from 12 to 8 us (from 17 in the call): no row arithmetic, overflow checks or bounds clamp
 * (`t >>> 0 < classes ? t : 0` on each of the eight had cost 13 vs 5 us). One function per dtype,
 * each monomorphic.
 */
function gather32(x: Float32Array, idx: Int32Array, vals: Float32Array, count: number): void {
  let i = 0;
  for (; i + 8 <= count; i += 8) {
    vals[i] = x[idx[i]!]!;
    vals[i + 1] = x[idx[i + 1]!]!;
    vals[i + 2] = x[idx[i + 2]!]!;
    vals[i + 3] = x[idx[i + 3]!]!;
    vals[i + 4] = x[idx[i + 4]!]!;
    vals[i + 5] = x[idx[i + 5]!]!;
    vals[i + 6] = x[idx[i + 6]!]!;
    vals[i + 7] = x[idx[i + 7]!]!;
  }
  for (; i < count; i++) vals[i] = x[idx[i]!]!;
}

/** gather32 for float64. */
function gather64(x: Float64Array, idx: Int32Array, vals: Float64Array, count: number): void {
  let i = 0;
  for (; i + 8 <= count; i += 8) {
    vals[i] = x[idx[i]!]!;
    vals[i + 1] = x[idx[i + 1]!]!;
    vals[i + 2] = x[idx[i + 2]!]!;
    vals[i + 3] = x[idx[i + 3]!]!;
    vals[i + 4] = x[idx[i + 4]!]!;
    vals[i + 5] = x[idx[i + 5]!]!;
    vals[i + 6] = x[idx[i + 6]!]!;
    vals[i + 7] = x[idx[i + 7]!]!;
  }
  for (; i < count; i++) vals[i] = x[idx[i]!]!;
}

let loaded: VectorKernels | null | undefined;

/** The module the ports use, or null where WebAssembly SIMD is unavailable or the float32 kernels are switched off (useFloat32Kernels(false)): then the JS loops run. */
export function vectorKernels(): VectorKernels | null {
  if (!kernelsEnabled()) return null;
  if (loaded === undefined) {
    const exports = instantiate<VectorExports>(VECTORS_WASM_DEFLATED);
    loaded = exports && new VectorKernels(exports);
  }
  return loaded;
}
