// The float32 SIMD loops of pairwise_distance's p = 2 last-dim norm and of the triplet losses'
// backward (./assembly/distance.ts, built into ./distance-binary.ts and, with relaxed SIMD, into
// ./distance-fma-binary.ts): loading (lazily, once per build; off with useFloat32Kernels(false), and
// where WebAssembly SIMD is unavailable) and placing a call's arrays in the module's memory. The
// ports call these for float32, and the *64 twins (the plain build's: distanceKernels64) for
// float64, and keep their JS loops for the layouts and releases these do not take, and as the
// reference they are tested against (bit for bit).
//
// The build follows the float32 kernels' (./kernel-switch.ts kernelBuild()): 'fma', whose
// fused multiply-adds (torch 1.13's fused lanes, every release's fused tail) are relaxed SIMD's,
// only where ./module.ts relaxedSimdFused() has proven them fused; else 'plain', which computes them
// exactly in float64 (slower where they are needed: under 1.13's rules).
//
// The module cannot read JS typed arrays, so a call copies its rows in about CHUNK floats at a time
// (they stay in cache), runs the loop on them, and copies the results out. Past MODULE_CAP_BYTES (a
// row of millions of floats) the ports run their JS loops (false / null here).

import { DISTANCE_WASM_DEFLATED } from './distance-binary.ts';
import { DISTANCE_FMA_WASM_DEFLATED } from './distance-fma-binary.ts';
import { kernelBuild, type KernelBuild } from './kernel-switch.ts';
import { Arena, MODULE_CAP_BYTES, instantiate, type ModuleExports } from './module.ts';

export interface DistanceExports extends ModuleExports {
  readonly FUSED_LANES: WebAssembly.Global;
  readonly FUSED_TAIL: WebAssembly.Global;
  readonly LANES16: WebAssembly.Global;
  readonly OLD_ORDER: WebAssembly.Global;
  readonly STRICT: WebAssembly.Global;
  readonly PER_ROW: WebAssembly.Global;
  readonly EXACT_LANES: WebAssembly.Global;
  rowNorms(x1: number, x2: number, rows: number, D: number, eps: number, flags: number, out: number): void;
  tripletNorms(a: number, p: number, n: number, rows: number, D: number, eps: number, flags: number, outPos: number, outNeg: number): void;
  tripletGrads(
    a: number,
    p: number,
    n: number,
    rows: number,
    D: number,
    eps: number,
    margin: number,
    g: number,
    go: number,
    flags: number,
    ga: number,
    gp: number,
    gn: number,
  ): void;
  pairwiseGrads(x1: number, x2: number, rows: number, D: number, eps: number, flags: number, go: number, g1: number, g2: number): void;
  readonly SERIAL: WebAssembly.Global;
  rowNorms64(x1: number, x2: number, rows: number, D: number, eps: number, flags: number, out: number): void;
  tripletNorms64(
    a: number,
    p: number,
    n: number,
    rows: number,
    D: number,
    eps: number,
    flags: number,
    outPos: number,
    outNeg: number,
  ): void;
  tripletGrads64(
    a: number,
    p: number,
    n: number,
    rows: number,
    D: number,
    eps: number,
    margin: number,
    g: number,
    go: number,
    flags: number,
    np: number,
    nn: number,
    ga: number,
    gp: number,
    gn: number,
  ): void;
  pairwiseGrads64(x1: number, x2: number, rows: number, D: number, eps: number, go: number, nrm: number, g1: number, g2: number): void;
}

/** How a release computes the p = 2 norm (see ./assembly/distance.ts). */
export interface NormRule {
  /** 8 (AVX2) or 16 (the AVX-512 kernels). */
  readonly lanes: number;
  /** Each lane's x * x + acc one fused multiply-add (Debian's 1.13). */
  readonly fusedLanes: boolean;
  /** The tail's last (tail % 4) squares fused into the sum (every capability but 'default'). */
  readonly fusedTail: boolean;
}

/**
 * How a release computes the float64 p = 2 norm over the last dim (see ./assembly/distance.ts'
 * float64 section): binary_kernel_reduce's serial fma chain per row (torch < 2.0), or the
 * Vectorized<double> lanes (4, or 8 for the AVX-512 kernels) with the tail's last (tail % 4) squares
 * fused where `fusedTail`.
 */
export interface NormRule64 {
  readonly serial: boolean;
  readonly lanes: number;
  readonly fusedTail: boolean;
}

/** How triplet_margin_loss combines the distances and passes the gradient (see tripletGrads). */
export interface TripletRule {
  /** (d_pos - d_neg) + margin (triplet_margin_with_distance_loss before 2.0), else (d_pos + margin) - d_neg. */
  readonly oldOrder: boolean;
  /** The clamp passes the gradient where its input > 0 (else >= 0). */
  readonly strict: boolean;
}

/** Floats per chunk: rows of D floats, about this many (at least one row). */
export const CHUNK = 8192;
/** float64s per chunk of the float64 loops (the same bytes' worth as CHUNK floats: half). */
export const CHUNK64 = 4096;

export class DistanceKernels {
  readonly exports: DistanceExports;
  readonly build: KernelBuild;
  private readonly arena: Arena;
  private cap = MODULE_CAP_BYTES;
  private extraFlags = 0;

  constructor(exports: DistanceExports, build: KernelBuild) {
    this.exports = exports;
    this.build = build;
    this.arena = new Arena(exports);
  }

  /** Sets the cap on one call's module memory (tests reach it cheaply); returns the previous one. */
  useCap(bytes: number = MODULE_CAP_BYTES): number {
    const previous = this.cap;
    this.cap = bytes;
    return previous;
  }

  /** (tests) Makes the plain build redo every fused-lane row with its exact scalar fma (the path of a row whose float64 sums may round twice otherwise); returns the previous setting. */
  useExactLanes(on: boolean): boolean {
    const previous = this.extraFlags !== 0;
    this.extraFlags = on ? (this.exports.EXACT_LANES.value as number) : 0;
    return previous;
  }

  /** Whether this module computes the norm of `rule` (8 or 16 lanes). */
  takes(rule: NormRule): boolean {
    return rule.lanes === 8 || rule.lanes === 16;
  }

  private normFlags(rule: NormRule): number {
    const e = this.exports;
    return (
      (rule.fusedLanes ? (e.FUSED_LANES.value as number) : 0) |
      (rule.fusedTail ? (e.FUSED_TAIL.value as number) : 0) |
      (rule.lanes === 16 ? (e.LANES16.value as number) : 0) |
      this.extraFlags
    );
  }

  private floats(count: number): number {
    return this.arena.reserve(count * 4);
  }

  /** Rows per chunk of rows of D floats. */
  private static rowsPer(D: number, rows: number): number {
    return Math.min(rows, Math.max(1, Math.floor(CHUNK / D)));
  }

  /**
   * The p = 2 norms of the rows of D floats of (x1 - x2) + eps (x1, x2 of rows * D floats) into out
   * (one per row); false (before any work) past the cap.
   */
  rowNorms(x1: Float32Array, x2: Float32Array, rows: number, D: number, eps: number, rule: NormRule, out: Float64Array): boolean {
    this.arena.reset();
    const per = DistanceKernels.rowsPer(D, rows);
    const [p1, p2, po] = [this.floats(per * D), this.floats(per * D), this.floats(per)];
    if (!this.arena.fits(this.cap)) return false;
    const heap = new Float32Array(this.arena.buffer());
    const flags = this.normFlags(rule);
    const run = this.exports.rowNorms;
    const o = po >> 2;
    for (let row = 0; row < rows; row += per) {
      const count = Math.min(per, rows - row);
      const [from, to] = [row * D, (row + count) * D];
      heap.set(x1.subarray(from, to), p1 >> 2);
      heap.set(x2.subarray(from, to), p2 >> 2);
      run(p1, p2, count, D, eps, flags, po);
      for (let i = 0; i < count; i++) out[row + i] = heap[o + i]!;
    }
    return true;
  }

  /**
   * The triplet losses' two norms per row (p = 2): of (a - p) + eps into dPos and of (a - n) + eps
   * into dNeg (one per row; anchor, positive and negative of rows * D floats); false (before any
   * work) past the cap.
   */
  tripletNorms(
    a: Float32Array,
    p: Float32Array,
    n: Float32Array,
    rows: number,
    D: number,
    eps: number,
    rule: NormRule,
    dPos: Float64Array,
    dNeg: Float64Array,
  ): boolean {
    this.arena.reset();
    const per = DistanceKernels.rowsPer(D, rows);
    const [pa, pp, pn, o1, o2] = [this.floats(per * D), this.floats(per * D), this.floats(per * D), this.floats(per), this.floats(per)];
    if (!this.arena.fits(this.cap)) return false;
    const heap = new Float32Array(this.arena.buffer());
    const flags = this.normFlags(rule);
    const run = this.exports.tripletNorms;
    const [q1, q2] = [o1 >> 2, o2 >> 2];
    for (let row = 0; row < rows; row += per) {
      const count = Math.min(per, rows - row);
      const [from, to] = [row * D, (row + count) * D];
      heap.set(a.subarray(from, to), pa >> 2);
      heap.set(p.subarray(from, to), pp >> 2);
      heap.set(n.subarray(from, to), pn >> 2);
      run(pa, pp, pn, count, D, eps, flags, o1, o2);
      for (let i = 0; i < count; i++) {
        dPos[row + i] = heap[q1 + i]!;
        dNeg[row + i] = heap[q2 + i]!;
      }
    }
    return true;
  }

  /**
   * triplet_margin_loss's gradients (p = 2, no swap; ./assembly/distance.ts tripletGrads) of the rows
   * of D floats of anchor, positive and negative into ga, gp and gn: g the gradient of every row's
   * loss, or (go given) go's value per row. false (before any work) past the cap.
   */
  tripletGrads(
    a: Float32Array,
    p: Float32Array,
    n: Float32Array,
    rows: number,
    D: number,
    eps: number,
    margin: number,
    g: number,
    go: Float32Array | null,
    norm: NormRule,
    rule: TripletRule,
    ga: Float32Array,
    gp: Float32Array,
    gn: Float32Array,
  ): boolean {
    this.arena.reset();
    const per = DistanceKernels.rowsPer(D, rows);
    const len = per * D;
    const [pa, pp, pn, oa, op, on] = [0, 0, 0, 0, 0, 0].map(() => this.floats(len)) as [number, number, number, number, number, number];
    const pg = go ? this.floats(per) : 0;
    if (!this.arena.fits(this.cap)) return false;
    const heap = new Float32Array(this.arena.buffer());
    const e = this.exports;
    const flags =
      this.normFlags(norm) |
      (rule.oldOrder ? (e.OLD_ORDER.value as number) : 0) |
      (rule.strict ? (e.STRICT.value as number) : 0) |
      (go ? (e.PER_ROW.value as number) : 0);
    const run = e.tripletGrads;
    const va = heap.subarray(oa >> 2, (oa >> 2) + len);
    const vp = heap.subarray(op >> 2, (op >> 2) + len);
    const vn = heap.subarray(on >> 2, (on >> 2) + len);
    for (let row = 0; row < rows; row += per) {
      const count = Math.min(per, rows - row);
      const [from, to] = [row * D, (row + count) * D];
      heap.set(a.subarray(from, to), pa >> 2);
      heap.set(p.subarray(from, to), pp >> 2);
      heap.set(n.subarray(from, to), pn >> 2);
      if (go) heap.set(go.subarray(row, row + count), pg >> 2);
      run(pa, pp, pn, count, D, eps, margin, g, pg, flags, oa, op, on);
      const whole = to - from === len;
      ga.set(whole ? va : va.subarray(0, to - from), from);
      gp.set(whole ? vp : vp.subarray(0, to - from), from);
      gn.set(whole ? vn : vn.subarray(0, to - from), from);
    }
    return true;
  }

  /**
   * pairwise_distance's gradients (p = 2, the newer norm_backward) of the rows of D floats of x1 and
   * x2 for go (one float per row) into g1 and g2; false (before any work) past the cap.
   */
  pairwiseGrads(
    x1: Float32Array,
    x2: Float32Array,
    rows: number,
    D: number,
    eps: number,
    norm: NormRule,
    go: Float32Array,
    g1: Float32Array,
    g2: Float32Array,
  ): boolean {
    this.arena.reset();
    const per = DistanceKernels.rowsPer(D, rows);
    const len = per * D;
    const [p1, p2, o1, o2] = [0, 0, 0, 0].map(() => this.floats(len)) as [number, number, number, number];
    const pg = this.floats(per);
    if (!this.arena.fits(this.cap)) return false;
    const heap = new Float32Array(this.arena.buffer());
    const flags = this.normFlags(norm);
    const run = this.exports.pairwiseGrads;
    const v1 = heap.subarray(o1 >> 2, (o1 >> 2) + len);
    const v2 = heap.subarray(o2 >> 2, (o2 >> 2) + len);
    for (let row = 0; row < rows; row += per) {
      const count = Math.min(per, rows - row);
      const [from, to] = [row * D, (row + count) * D];
      heap.set(x1.subarray(from, to), p1 >> 2);
      heap.set(x2.subarray(from, to), p2 >> 2);
      heap.set(go.subarray(row, row + count), pg >> 2);
      run(p1, p2, count, D, eps, flags, pg, o1, o2);
      const whole = to - from === len;
      g1.set(whole ? v1 : v1.subarray(0, to - from), from);
      g2.set(whole ? v2 : v2.subarray(0, to - from), from);
    }
    return true;
  }
  private flags64(rule: NormRule64): number {
    const e = this.exports;
    return (
      (rule.serial ? (e.SERIAL.value as number) : 0) |
      (rule.lanes === 8 ? (e.LANES16.value as number) : 0) |
      (rule.fusedTail ? (e.FUSED_TAIL.value as number) : 0)
    );
  }

  /** Rows per chunk of rows of D float64s. */
  private static rowsPer64(D: number, rows: number): number {
    return Math.min(rows, Math.max(1, Math.floor(CHUNK64 / D)));
  }

  /** Whether this module computes the float64 norm of `rule` (4 or 8 lanes, or the serial chain). */
  takes64(rule: NormRule64): boolean {
    return rule.serial || rule.lanes === 4 || rule.lanes === 8;
  }

  /**
   * rowNorms in float64 (x1, x2 of rows * D float64s; ./assembly/distance.ts rowNorms64); false
   * (before any work) past the cap.
   */
  rowNorms64(x1: Float64Array, x2: Float64Array, rows: number, D: number, eps: number, rule: NormRule64, out: Float64Array): boolean {
    this.arena.reset();
    const per = DistanceKernels.rowsPer64(D, rows);
    const len = per * D * 8;
    const [p1, p2, po] = [this.arena.reserve(len), this.arena.reserve(len), this.arena.reserve(per * 8)];
    if (!this.arena.fits(this.cap)) return false;
    const heap = new Float64Array(this.arena.buffer());
    const flags = this.flags64(rule);
    const run = this.exports.rowNorms64;
    const o = po >> 3;
    for (let row = 0; row < rows; row += per) {
      const count = Math.min(per, rows - row);
      const [from, to] = [row * D, (row + count) * D];
      heap.set(x1.subarray(from, to), p1 >> 3);
      heap.set(x2.subarray(from, to), p2 >> 3);
      run(p1, p2, count, D, eps, flags, po);
      for (let i = 0; i < count; i++) out[row + i] = heap[o + i]!;
    }
    return true;
  }

  /** tripletNorms in float64 (./assembly/distance.ts tripletNorms64); false (before any work) past the cap. */
  tripletNorms64(
    a: Float64Array,
    p: Float64Array,
    n: Float64Array,
    rows: number,
    D: number,
    eps: number,
    rule: NormRule64,
    dPos: Float64Array,
    dNeg: Float64Array,
  ): boolean {
    this.arena.reset();
    const per = DistanceKernels.rowsPer64(D, rows);
    const len = per * D * 8;
    const [pa, pp, pn] = [this.arena.reserve(len), this.arena.reserve(len), this.arena.reserve(len)];
    const [o1, o2] = [this.arena.reserve(per * 8), this.arena.reserve(per * 8)];
    if (!this.arena.fits(this.cap)) return false;
    const heap = new Float64Array(this.arena.buffer());
    const flags = this.flags64(rule);
    const run = this.exports.tripletNorms64;
    const [q1, q2] = [o1 >> 3, o2 >> 3];
    for (let row = 0; row < rows; row += per) {
      const count = Math.min(per, rows - row);
      const [from, to] = [row * D, (row + count) * D];
      heap.set(a.subarray(from, to), pa >> 3);
      heap.set(p.subarray(from, to), pp >> 3);
      heap.set(n.subarray(from, to), pn >> 3);
      run(pa, pp, pn, count, D, eps, flags, o1, o2);
      for (let i = 0; i < count; i++) {
        dPos[row + i] = heap[q1 + i]!;
        dNeg[row + i] = heap[q2 + i]!;
      }
    }
    return true;
  }

  /**
   * tripletGrads in float64 (./assembly/distance.ts tripletNorms64, then tripletGrads64, per chunk):
   * g the gradient of every row's loss, or (go given) go's value per row. false (before any work)
   * past the cap.
   */
  tripletGrads64(
    a: Float64Array,
    p: Float64Array,
    n: Float64Array,
    rows: number,
    D: number,
    eps: number,
    margin: number,
    g: number,
    go: Float64Array | null,
    norm: NormRule64,
    rule: TripletRule,
    ga: Float64Array,
    gp: Float64Array,
    gn: Float64Array,
  ): boolean {
    this.arena.reset();
    const per = DistanceKernels.rowsPer64(D, rows);
    const len = per * D;
    const [pa, pp, pn, oa, op, on] = [0, 0, 0, 0, 0, 0].map(() => this.arena.reserve(len * 8)) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const [q1, q2] = [this.arena.reserve(per * 8), this.arena.reserve(per * 8)];
    const pg = go ? this.arena.reserve(per * 8) : 0;
    if (!this.arena.fits(this.cap)) return false;
    const heap = new Float64Array(this.arena.buffer());
    const e = this.exports;
    const normFlags = this.flags64(norm);
    const flags =
      (rule.oldOrder ? (e.OLD_ORDER.value as number) : 0) |
      (rule.strict ? (e.STRICT.value as number) : 0) |
      (go ? (e.PER_ROW.value as number) : 0);
    const norms = e.tripletNorms64;
    const run = e.tripletGrads64;
    const va = heap.subarray(oa >> 3, (oa >> 3) + len);
    const vp = heap.subarray(op >> 3, (op >> 3) + len);
    const vn = heap.subarray(on >> 3, (on >> 3) + len);
    for (let row = 0; row < rows; row += per) {
      const count = Math.min(per, rows - row);
      const [from, to] = [row * D, (row + count) * D];
      heap.set(a.subarray(from, to), pa >> 3);
      heap.set(p.subarray(from, to), pp >> 3);
      heap.set(n.subarray(from, to), pn >> 3);
      if (go) heap.set(go.subarray(row, row + count), pg >> 3);
      norms(pa, pp, pn, count, D, eps, normFlags, q1, q2);
      run(pa, pp, pn, count, D, eps, margin, g, pg, flags, q1, q2, oa, op, on);
      const whole = to - from === len;
      ga.set(whole ? va : va.subarray(0, to - from), from);
      gp.set(whole ? vp : vp.subarray(0, to - from), from);
      gn.set(whole ? vn : vn.subarray(0, to - from), from);
    }
    return true;
  }

  /**
   * pairwiseGrads in float64 (./assembly/distance.ts rowNorms64, then pairwiseGrads64, per chunk);
   * false (before any work) past the cap.
   */
  pairwiseGrads64(
    x1: Float64Array,
    x2: Float64Array,
    rows: number,
    D: number,
    eps: number,
    norm: NormRule64,
    go: Float64Array,
    g1: Float64Array,
    g2: Float64Array,
  ): boolean {
    this.arena.reset();
    const per = DistanceKernels.rowsPer64(D, rows);
    const len = per * D;
    const [p1, p2, o1, o2] = [0, 0, 0, 0].map(() => this.arena.reserve(len * 8)) as [number, number, number, number];
    const [pg, pn] = [this.arena.reserve(per * 8), this.arena.reserve(per * 8)];
    if (!this.arena.fits(this.cap)) return false;
    const heap = new Float64Array(this.arena.buffer());
    const flags = this.flags64(norm);
    const e = this.exports;
    const v1 = heap.subarray(o1 >> 3, (o1 >> 3) + len);
    const v2 = heap.subarray(o2 >> 3, (o2 >> 3) + len);
    for (let row = 0; row < rows; row += per) {
      const count = Math.min(per, rows - row);
      const [from, to] = [row * D, (row + count) * D];
      heap.set(x1.subarray(from, to), p1 >> 3);
      heap.set(x2.subarray(from, to), p2 >> 3);
      heap.set(go.subarray(row, row + count), pg >> 3);
      e.rowNorms64(p1, p2, count, D, eps, flags, pn);
      e.pairwiseGrads64(p1, p2, count, D, eps, pg, pn, o1, o2);
      const whole = to - from === len;
      g1.set(whole ? v1 : v1.subarray(0, to - from), from);
      g2.set(whole ? v2 : v2.subarray(0, to - from), from);
    }
    return true;
  }
}

const loaded: Partial<Record<KernelBuild, DistanceKernels | null>> = {};

/** The module of `build`, or null where it cannot be instantiated. */
export function loadDistanceKernels(build: KernelBuild): DistanceKernels | null {
  if (!(build in loaded)) {
    const exports = instantiate<DistanceExports>(build === 'fma' ? DISTANCE_FMA_WASM_DEFLATED : DISTANCE_WASM_DEFLATED);
    loaded[build] = exports && new DistanceKernels(exports, build);
  }
  return loaded[build] ?? null;
}

/**
 * The module the ports use (the build of the float32 kernels), or null where WebAssembly SIMD is
 * unavailable or the float32 kernels are switched off (useFloat32Kernels(false)): then the JS loops run.
 */
export function distanceKernels(): DistanceKernels | null {
  const build = kernelBuild();
  return build === null ? null : loadDistanceKernels(build);
}

/**
 * The module of the float64 loops (*64): the plain build, whichever build the float32 loops use
 * (the relaxed-SIMD build leaves them out: the same code, no relaxed SIMD in it), or null where
 * WebAssembly SIMD is unavailable or the kernels are switched off (useFloat32Kernels(false)).
 */
export function distanceKernels64(): DistanceKernels | null {
  return kernelBuild() === null ? null : loadDistanceKernels('plain');
}
