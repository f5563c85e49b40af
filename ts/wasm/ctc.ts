// The CTC loss's WebAssembly module (./assembly/ctc.ts, built into ./ctc-binary.ts): loading it,
// and placing a call's arrays in its memory. ../losses/ctc_loss.ts calls it for both dtypes (its
// float64 exp / log are V8's Math.exp / Math.log, ported) and keeps its JS loops as the reference
// and the fallback: where WebAssembly is unavailable, where the float32 kernels are switched off
// (useFloat32Kernels(false): the tests and `bench --js-loops` compare the two), and where a call's
// arrays would not fit under MODULE_CAP_BYTES (forward / backward then return false).

import { CTC_WASM_DEFLATED } from './ctc-binary.ts';
import { kernelsEnabled } from './kernel-switch.ts';
import { Arena, instantiate, type ModuleExports } from './module.ts';
import type { FloatArray } from '../tensor.ts';

type Sizes = [T: number, N: number, C: number, blank: number, labels: number, offsets: number, inputLengths: number, targetLengths: number];
type ForwardArgs = [lp: number, ...Sizes, stride: number, banded: number, la: number, nll: number, ext: number, a3: number, b3: number];
type BackwardArgs = [
  lp: number,
  ...Sizes,
  stride: number,
  banded: number,
  zeroInfinity: number,
  la: number,
  nll: number,
  gr: number,
  grad: number,
  lb: number,
  ext: number,
  a3: number,
  b3: number,
];

interface CtcExports extends ModuleExports {
  bandSafe32(lp: number, count: number): number;
  bandSafe64(lp: number, count: number): number;
  forward32(...args: ForwardArgs): void;
  forward64(...args: ForwardArgs): void;
  backward32(...args: BackwardArgs): void;
  backward64(...args: BackwardArgs): void;
  sameBytes(p: number, q: number, bytes: number): number;
  /** The module's V8 Math.exp / Math.log and glibc expf / logf, for the tests. */
  mathExp(x: number): number;
  mathLog(x: number): number;
  glibcExpf(x: number): number;
  glibcLogf(x: number): number;
  /** Two-lane V8 Math.exp / Math.log of the two float64 at ptr, in place, for the tests. */
  mathExp2(ptr: number): void;
  mathLog2(ptr: number): void;
  /** The two-lane exp of arguments <= 0 and log of [1, 3] the float64 states use, for the tests. */
  mathExpNonPositive2(ptr: number): void;
  mathLogOneToThree2(ptr: number): void;
  /** Four-lane glibc expf / logf of the four float32 at ptr, in place, for the tests. */
  glibcExpf4(ptr: number): void;
  glibcLogf4(ptr: number): void;
  /** The four-lane expf of arguments <= 0 and logf of [1, 3] the float32 states use, for the tests. */
  glibcExpfNonPositive4(ptr: number): void;
  glibcLogfOneToThree4(ptr: number): void;
}

/** A call's arguments (ctc_loss.ts's plan, flattened). */
export interface CtcCall {
  readonly float32: boolean;
  readonly lp: FloatArray;
  readonly T: number;
  readonly N: number;
  readonly C: number;
  readonly blank: number;
  readonly labels: Int32Array;
  readonly offsets: Int32Array;
  readonly inputLengths: Int32Array;
  readonly targetLengths: Int32Array;
  /** 2 maxTargetLength + 2: a row's states and its -inf pad. */
  readonly stride: number;
}

let loaded: { readonly exports: CtcExports; readonly arena: Arena } | null | undefined;

function module(): { readonly exports: CtcExports; readonly arena: Arena } | null {
  if (!kernelsEnabled()) return null; // switched off: the JS loops (and where WebAssembly SIMD is unavailable, below)
  if (loaded === undefined) {
    const exports = instantiate<CtcExports>(CTC_WASM_DEFLATED);
    loaded = exports === null ? null : { exports, arena: new Arena(exports) };
  }
  return loaded;
}

/** The module's exports (null where it is off), for the tests. */
export function ctcExports(): CtcExports | null {
  return module()?.exports ?? null;
}

/** Whether the module runs CTC calls now (WebAssembly available and the kernels switched on). */
export function ctcModuleOn(): boolean {
  return module() !== null;
}

/** The addresses of one call's common arrays (reserved first, in this order, by forward and backward). */
function reserveCommon(arena: Arena, c: CtcCall) {
  const bytes = c.float32 ? 4 : 8;
  const width = c.stride - 1;
  return {
    lp: arena.reserve(c.lp.length * bytes),
    labels: arena.reserve(c.labels.length * 4),
    offsets: arena.reserve(c.N * 4),
    inputLengths: arena.reserve(c.N * 4),
    targetLengths: arena.reserve(c.N * 4),
    ext: arena.reserve((width + 4) * 4),
    a3: arena.reserve((width + 4) * 4),
    b3: arena.reserve((width + 4) * 4),
    la: arena.reserve(c.N * c.T * c.stride * bytes + 16), // four-lane rows write up to three values past the states
    nll: arena.reserve(c.N * 8),
  };
}

type Common = ReturnType<typeof reserveCommon>;

function place(buffer: ArrayBuffer, at: Common, c: CtcCall): void {
  (c.float32 ? new Float32Array(buffer, at.lp, c.lp.length) : new Float64Array(buffer, at.lp, c.lp.length)).set(c.lp);
  new Int32Array(buffer, at.labels, c.labels.length).set(c.labels);
  new Int32Array(buffer, at.offsets, c.N).set(c.offsets);
  new Int32Array(buffer, at.inputLengths, c.N).set(c.inputLengths);
  new Int32Array(buffer, at.targetLengths, c.N).set(c.targetLengths);
}

function sizes(at: Common, c: CtcCall): Sizes {
  return [c.T, c.N, c.C, c.blank, at.labels, at.offsets, at.inputLengths, at.targetLengths];
}

function view(buffer: ArrayBuffer, float32: boolean, ptr: number, length: number): FloatArray {
  return float32 ? new Float32Array(buffer, ptr, length) : new Float64Array(buffer, ptr, length);
}

/**
 * The forward in the module: log_alpha into logAlpha (N T stride values), each sample's nll into
 * nll; `banded` as ctc_loss.ts's bandSafe (the T <= 1e6 part decided by the caller: bandedAllowed).
 * Returns whether the band was used, or null where the module is off or the call does not fit.
 */
export function ctcForward(c: CtcCall, bandedAllowed: boolean, logAlpha: FloatArray, nll: Float64Array): boolean | null {
  const m = module();
  if (m === null) return null;
  const arena = m.arena.reset();
  const at = reserveCommon(arena, c);
  if (!arena.fits()) return null;
  const buffer = arena.buffer();
  place(buffer, at, c);
  const e = m.exports;
  const banded = bandedAllowed && (c.float32 ? e.bandSafe32(at.lp, c.lp.length) : e.bandSafe64(at.lp, c.lp.length)) === 1;
  (c.float32 ? e.forward32 : e.forward64)(at.lp, ...sizes(at, c), c.stride, banded ? 1 : 0, at.la, at.nll, at.ext, at.a3, at.b3);
  logAlpha.set(view(buffer, c.float32, at.la, logAlpha.length));
  nll.set(new Float64Array(buffer, at.nll, c.N));
  return banded;
}

/**
 * The backward in the module, from the forward's logAlpha and nll: the gradient (T N C values,
 * zero for the samples zero_infinity zeroes and rows t >= input length) into grad, each sample's
 * incoming gradient gr. Returns false where the module is off or the call does not fit.
 */
export function ctcBackward(
  c: CtcCall,
  banded: boolean,
  zeroInfinity: boolean,
  logAlpha: FloatArray,
  nll: Float64Array,
  gr: Float64Array,
  grad: FloatArray,
): boolean {
  const m = module();
  if (m === null) return false;
  const bytes = c.float32 ? 4 : 8;
  const arena = m.arena.reset();
  const at = reserveCommon(arena, c);
  const grPtr = arena.reserve(c.N * 8);
  const gradPtr = arena.reserve(grad.length * bytes);
  const lb = arena.reserve((c.T * (c.stride + 4) + 8) * bytes); // float32: rows of stride + 4, four-lane reads past the last
  if (!arena.fits()) return false;
  const buffer = arena.buffer();
  place(buffer, at, c);
  view(buffer, c.float32, at.la, logAlpha.length).set(logAlpha);
  new Float64Array(buffer, at.nll, c.N).set(nll);
  new Float64Array(buffer, grPtr, c.N).set(gr);
  const e = m.exports;
  (c.float32 ? e.backward32 : e.backward64)(
    at.lp,
    ...sizes(at, c),
    c.stride,
    banded ? 1 : 0,
    zeroInfinity ? 1 : 0,
    at.la,
    at.nll,
    grPtr,
    gradPtr,
    lb,
    at.ext,
    at.a3,
    at.b3,
  );
  grad.set(view(buffer, c.float32, gradPtr, grad.length));
  return true;
}

/** Whether a and b hold the same ints, compared in the module (null where it is off or they do not fit). */
export function sameInts32(a: Int32Array, b: Int32Array): boolean | null {
  if (a.length !== b.length) return false;
  const m = module();
  if (m === null) return null;
  const arena = m.arena.reset();
  const pa = arena.reserve(a.length * 4);
  const pb = arena.reserve(b.length * 4);
  if (!arena.fits()) return null;
  const buffer = arena.buffer();
  new Int32Array(buffer, pa, a.length).set(a);
  new Int32Array(buffer, pb, b.length).set(b);
  return m.exports.sameBytes(pa, pb, a.length * 4) === 1;
}
