// nn.CTCLoss / F.ctc_loss, forward and the gradient of log_probs.
//
// functional.py: _Reduction.get_enum(reduction) (ValueError), then torch.ctc_loss, whose Python
// signatures take the lengths as two tensors or two int lists (IntArrayRef), blank an int and
// zero_infinity a bool (else TypeError "ctc_loss() received an invalid combination of arguments").
// aten/src/ATen/native/LossCTC.cpp, every release from 1.7 to 2.14:
//   ctc_loss (Tensor lengths): "input_lengths must be integral", "target_lengths must be integral",
//     then the lengths as int64 lists (any shape: their numel values).
//   ctc_loss_impl: a log_probs of other than 3 dims is unsqueezed at dim 1 (unbatched (T, C),
//     pytorch#70092, torch >= 1.11: ctcAcceptsUnbatched); targets.to(kLong) (float targets
//     truncated); res = _ctc_loss(...)[0]; zero_infinity: where(res == inf, 0, res);
//     'mean': (res / at::tensor(target_lengths, res.options()).clamp_min(1)).mean() (a division in
//     the dtype, then ATen's cascade sum / N); 'sum': res.sum(); 'none': res (squeezed for unbatched).
//   ctc_loss_cpu: AT_DISPATCH_FLOATING_TYPES ("ctc_loss_cpu" not implemented for 'Long'); from 2.8
//     (pytorch#150981) "log_probs tensor must not be empty"; then the argument checks (named
//     ctc_loss_cpu, or ctc_loss_allocate_outputs from 2.x, which also rejects negative lengths):
//     log_probs 3-D, targets 1-D or 2-D, 0 <= blank < C, input_lengths / target_lengths of size N,
//     concatenated targets of sum(target_lengths) values or padded (N, >= max target length),
//     every input length <= T; then log_alpha.narrow(1, 0, 1) (T = 0: "start (0) + length (1)
//     exceeds dimension size (0)." before 2.8).
//   ctc_loss_cpu_template, per batch element (at::parallel_for over the batch: elements are
//   independent, so thread count changes nothing), all in scalar_t (float for float32: std::exp
//   and std::log of a float are glibc's expf / logf, whatever ATEN_CPU_CAPABILITY says):
//     la[0][0] = lp[0][blank]; la[0][1] = lp[0][l'1] (target length > 0); the rest of row 0 -inf;
//     la[t][s] = log(exp(la1 - m) + exp(la2 - m) + exp(la3 - m)) + m + lp[t][l's]   (t >= 1)
//       la1 = la[t-1][s], la2 = la[t-1][s-1] (s > 0, else -inf), la3 = la[t-1][s-2] (s > 1 and
//       l's-2 != l's, else -inf); m their max by `>` from la1 (0 when -inf);
//     nll = -la[il-1][0] (target length 0), else -(log(exp(l1 - m) + exp(l2 - m)) + m) with
//       l1 = la[il-1][2 tl], l2 = la[il-1][2 tl - 1], m = std::max(l1, l2) (0 when -inf);
//     input length 0 (2.x): nll = -0 (target length 0) or inf. 1.7 and 1.13 read log_alpha they
//     never wrote there; the port gives 2.x's values.
// Backward (derivatives.yaml: _ctc_loss_backward; the reduction's MeanBackward g / N, DivBackward
// g / clamp_min(tl, 1), where's 0 at the zeroed entries), ctc_loss_backward_cpu_template:
//   grad = -inf; zero_infinity and nll == inf: the element's gradient is 0 everywhere;
//   lb[il-1][2 tl] = lp[il-1][blank], lb[il-1][2 tl - 1] = lp[il-1][l'tl], grad[il-1][c] = la + lb
//   there (assigned, not log-added); for t = il-2 .. 0, s = 2 tl .. 0: lb as la mirrored, then
//   grad[t][l's] log+= la[t][s] + lb[t][s] (assigned when still -inf, else
//   log(exp(g - M) + exp(ab - M)) + M with M = std::max(g, ab));
//   grad[t][c] = (exp(lp) - exp(grad + nll - lp)) * gr for t < il; 0 for t >= il.
// Labels outside [0, C) are read out of bounds by torch (no check); the port rejects them. Negative
// lengths are rejected in every release (1.7 and 1.13 compute garbage or abort).
//
// The port computes the same operations in the same order as the C++ loops, one function per
// dtype and loop (monomorphic typed arrays, glibc's expf / logf inlined): a state reads its
// predecessors from -inf pads where it has none, and exp / log are skipped where their result is
// exactly 1, 0 or -inf (the maximum's own term when the maximum is finite, a -inf difference,
// log(1)); a state whose maximum is NaN or +inf takes the C++ formula term by term. When no
// log_prob is NaN, +inf or above 1e30, the states that cannot matter (alpha's that cannot reach
// the end in time, beta's the start cannot reach) are skipped, with the same results (bandSafe).
// Where the WebAssembly module is on (../wasm/ctc.ts: ../wasm/assembly/ctc.ts, float32 four states or
// four rows per f32x4 with glibc's expf / logf, float64 two states per f64x2 with V8's fdlibm exp /
// log ported),
// the forward and backward run there, with the same results bit for bit (test/wasm-ctc.test.ts);
// the loops below are its reference and fallback (no WebAssembly, useFloat32Kernels(false), calls
// beyond the module's memory cap).
// The backward's beta rows are computed before the log-additions into grad (which read them row by
// row, in the C++ loop's descending s). A backward whose arguments are bit for bit those of the last forward reuses
// its log_alpha and nll, as autograd keeps _ctc_loss's outputs; otherwise it computes them again.

import { prepare, type CommonOptions, type Reduction } from '../loss-args.ts';
import { glibcExpf as importedExpf, glibcLogf as importedLogf } from '../libm.ts';
import { mean, sum, useDType, type Round } from '../numerics.ts';
import { makeTensor } from '../reduction.ts';
import { LossArgumentError, allocate, formatShape, numel, type DType, type FloatArray, type IndexTensor, type Tensor } from '../tensor.ts';
import type { TorchRelease } from '../torch-version.ts';
import { ctcBackward, ctcForward, sameInts32, type CtcCall } from '../wasm/ctc.ts';

export interface CtcLossOptions extends CommonOptions {
  /** The blank label (default 0), an integer in [0, C). */
  blank?: number;
  /** Infinite losses (no alignment) and their gradients become 0 (default false). */
  zeroInfinity?: boolean;
}

/**
 * Per-sample lengths: an int64 tensor (IndexTensor, any shape: its values in order; a float
 * Tensor is torch's "must be integral") or an int list (number[] / Int32Array: torch's IntArrayRef
 * overload). Both lengths must be tensors, or both lists, as torch's two signatures.
 */
export type CtcLengths = IndexTensor | Tensor | Int32Array | readonly number[];

// Local bindings: a call through an imported binding can cost a getter call per element (tsx's CommonJS interop).
const glibcExpf = importedExpf;
const glibcLogf = importedLogf;
const fr = Math.fround;

const OP = 'ctcLoss';
// F.ctc_loss has no size_average / reduce
const SIGNATURE = { tensorOptions: [], target: 'class indices', options: ['blank', 'zeroInfinity'], legacyReduction: false } as const;
const EMPTY: Tensor = Object.freeze({ data: new Float32Array(0), shape: Object.freeze([0]) });

const invalidCombination = (op: string, why: string) =>
  new LossArgumentError(`${op}: ctc_loss() received an invalid combination of arguments (${why})`, 'TypeError');

interface Plan {
  readonly dtype: DType;
  readonly r: Round;
  readonly reduction: Reduction;
  readonly lanes: number;
  readonly batched: boolean;
  readonly T: number;
  readonly N: number;
  readonly C: number;
  readonly blank: number;
  readonly zeroInfinity: boolean;
  readonly lp: ArrayLike<number>;
  /** Each sample's labels: flat, sample b's from offsets[b]. */
  readonly labels: Int32Array;
  readonly offsets: Int32Array;
  readonly inputLengths: Int32Array;
  readonly targetLengths: Int32Array;
  readonly maxTargetLength: number;
  readonly outShape: readonly number[];
  readonly gradOutput: Tensor | null;
  readonly logProbsShape: readonly number[];
}

function isList(v: unknown): v is Int32Array | readonly number[] {
  return v instanceof Int32Array || Array.isArray(v);
}

function isTensorLike(v: unknown): v is Tensor | IndexTensor {
  if (v === null || typeof v !== 'object' || isList(v)) return false;
  const t = v as Partial<Tensor | IndexTensor>;
  return (t.data instanceof Float32Array || t.data instanceof Float64Array || t.data instanceof Int32Array) && Array.isArray(t.shape);
}

/** Python's type name of a value as torch's argument parser shows it. */
function pyType(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  if (isList(v)) return 'list';
  if (isTensorLike(v)) return 'Tensor';
  return typeof v;
}

function checkTensorShape(t: Tensor | IndexTensor, op: string, arg: string): void {
  const shape = t.shape as unknown;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new LossArgumentError(`${op}: argument '${arg}' has an invalid shape ${JSON.stringify(shape)}`, 'TypeError');
  }
  if (numel(shape) !== t.data.length) {
    throw new LossArgumentError(`${op}: argument '${arg}' has shape ${formatShape(shape)} but ${t.data.length} values`);
  }
}

/** A length list's values as int64 (Int32Array here). */
function lengthValues(v: CtcLengths, op: string, arg: string): Int32Array {
  if (isList(v)) {
    if (v instanceof Int32Array) return v;
    const out = new Int32Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x !== 'number' || !Number.isInteger(x) || Math.abs(x) > 2 ** 31 - 1) {
        throw invalidCombination(op, `${arg} must be a list of integers, got ${JSON.stringify(x)} at ${i}`);
      }
      out[i] = x;
    }
    return out;
  }
  if (!(v.data instanceof Int32Array)) throw new LossArgumentError(`${op}: ${arg} must be integral`);
  return v.data;
}

const whileChecking = (torch: TorchRelease) =>
  ` (while checking arguments for ${torch.ctcChecksInAllocateOutputs ? 'ctc_loss_allocate_outputs' : 'ctc_loss_cpu'})`;

function plan(
  op: string,
  logProbs: unknown,
  targets: unknown,
  inputLengths: unknown,
  targetLengths: unknown,
  options: CtcLossOptions | undefined,
  gradOutput?: unknown,
): Plan {
  const c = prepare(op, SIGNATURE, { input: EMPTY, target: EMPTY, ...(gradOutput !== undefined ? { gradOutput } : {}) }, options);
  const torch = c.torch;
  // torch.ctc_loss's signatures: (Tensor, Tensor, Tensor, Tensor, int, int, bool) or (Tensor, Tensor, int[], int[], int, int, bool).
  const blank = c.extra.blank === undefined ? 0 : c.extra.blank;
  const zeroInfinity = c.extra.zeroInfinity === undefined ? false : c.extra.zeroInfinity;
  if (!isTensorLike(logProbs)) throw invalidCombination(op, `log_probs must be a Tensor, got ${pyType(logProbs)}`);
  if (!isTensorLike(targets)) throw invalidCombination(op, `targets must be a Tensor, got ${pyType(targets)}`);
  const lengthsAreTensors = isTensorLike(inputLengths) && isTensorLike(targetLengths);
  const lengthsAreLists = isList(inputLengths) && isList(targetLengths);
  if (!lengthsAreTensors && !lengthsAreLists) {
    throw invalidCombination(
      op,
      `input_lengths and target_lengths must be two tensors or two int lists, got ${pyType(inputLengths)} and ${pyType(targetLengths)}`,
    );
  }
  if (typeof blank !== 'number' || !Number.isInteger(blank)) throw invalidCombination(op, `blank must be an int, got ${pyType(blank)}`);
  if (typeof zeroInfinity !== 'boolean') throw invalidCombination(op, `zero_infinity must be a bool, got ${pyType(zeroInfinity)}`);
  checkTensorShape(logProbs, op, 'log_probs');
  checkTensorShape(targets, op, 'targets');
  if (lengthsAreTensors) {
    checkTensorShape(inputLengths as Tensor, op, 'input_lengths');
    checkTensorShape(targetLengths as Tensor, op, 'target_lengths');
  }
  const il = lengthValues(inputLengths as CtcLengths, op, 'input_lengths');
  const tl = lengthValues(targetLengths as CtcLengths, op, 'target_lengths');

  // ctc_loss_impl: unbatched (T, C) input is unsqueezed to (T, 1, C).
  const given = logProbs.shape;
  const batched = given.length === 3;
  let shape = given;
  if (!batched && torch.ctcAcceptsUnbatched) {
    if (given.length === 0) {
      throw new LossArgumentError(
        `${op}: log_probs.unsqueeze(1): Dimension out of range (expected to be in range of [-1, 0], but got 1)`,
        'IndexError',
      );
    }
    shape = [given[0]!, 1, ...given.slice(1)];
  }
  // _ctc_loss: the dtype dispatch, then the checks.
  if (logProbs.data instanceof Int32Array) {
    throw new LossArgumentError(
      `${op}: "ctc_loss_cpu" not implemented for 'Long' (log_probs must be float32 or float64)`,
      torch.dispatchRaisesNotImplementedError ? 'NotImplementedError' : 'RuntimeError',
    );
  }
  if (torch.ctcRejectsEmptyLogProbs && logProbs.data.length === 0) throw new LossArgumentError(`${op}: log_probs tensor must not be empty`);
  const w = whileChecking(torch);
  if (shape.length !== 3) {
    throw new LossArgumentError(
      `${op}: Expected 3-dimensional tensor, but got ${shape.length}-dimensional tensor for argument #1 'log_probs'${w}`,
    );
  }
  const tdim = targets.shape.length;
  if (tdim < 1 || tdim > 2) {
    throw new LossArgumentError(`${op}: Expected 1 to 2 dimensions, but got ${tdim}-dimensional tensor for argument #2 'targets'${w}`);
  }
  const [T, N, C] = shape as [number, number, number];
  if (!(blank >= 0 && blank < C)) throw new LossArgumentError(`${op}: blank must be in label range`);
  if (il.length !== N) throw new LossArgumentError(`${op}: input_lengths must be of size batch_size`);
  if (tl.length !== N) throw new LossArgumentError(`${op}: target_lengths must be of size batch_size`);
  const negative = (what: string, v: number) =>
    new LossArgumentError(`${op}: Expected ${what} to have value at least 0, but got value ${v}${w}`);
  let maxTargetLength = 0;
  const offsets = new Int32Array(N);
  if (tdim === 1) {
    let pos = 0;
    for (let i = 0; i < N; i++) {
      if (tl[i]! < 0) throw negative('target_lengths', tl[i]!);
      offsets[i] = pos;
      pos += tl[i]!;
      if (maxTargetLength < tl[i]!) maxTargetLength = tl[i]!;
    }
    if (targets.shape[0] !== pos) {
      throw new LossArgumentError(
        `${op}: Expected tensor to have size ${pos} at dimension 0, but got size ${targets.shape[0]} for argument #2 'targets'${w}`,
      );
    }
  } else {
    const S = targets.shape[1]!;
    for (let i = 0; i < N; i++) {
      if (tl[i]! < 0) throw negative('target_lengths', tl[i]!);
      offsets[i] = i * S;
      if (maxTargetLength < tl[i]!) maxTargetLength = tl[i]!;
    }
    if (targets.shape[0] !== N) {
      throw new LossArgumentError(
        `${op}: Expected tensor to have size ${N} at dimension 0, but got size ${targets.shape[0]} for argument #2 'targets'${w}`,
      );
    }
    if (S < maxTargetLength) {
      throw new LossArgumentError(
        `${op}: Expected tensor to have size at least ${maxTargetLength} at dimension 1, but got size ${S} for argument #2 'targets'${w}`,
      );
    }
  }
  for (let b = 0; b < N; b++) {
    if (il[b]! < 0) throw negative('input_lengths', il[b]!);
    if (il[b]! > T) throw new LossArgumentError(`${op}: Expected input_lengths to have value at most ${T}, but got value ${il[b]}${w}`);
  }
  if (T === 0) throw new LossArgumentError(`${op}: start (0) + length (1) exceeds dimension size (0).`);
  // targets.to(kLong): float labels truncated toward zero.
  const labels =
    targets.data instanceof Int32Array ? targets.data : Int32Array.from(targets.data, (v) => (Number.isFinite(v) ? Math.trunc(v) : -1));
  for (let b = 0; b < N; b++) {
    for (let k = 0; k < tl[b]!; k++) {
      const label = labels[offsets[b]! + k]!;
      if (label < 0 || label >= C) {
        throw new LossArgumentError(
          `${op}: target label ${label} of sample ${b} is outside [0, ${C}) (torch does not check it and reads memory out of bounds)`,
          'IndexError',
        );
      }
    }
  }
  const dtype: DType = logProbs.data instanceof Float64Array ? 'float64' : 'float32';
  const reduction = c.reduction;
  return {
    dtype,
    r: useDType(dtype),
    reduction,
    lanes: c.lanes,
    batched,
    T,
    N,
    C,
    blank,
    zeroInfinity,
    lp: logProbs.data,
    labels,
    offsets,
    inputLengths: il,
    targetLengths: tl,
    maxTargetLength,
    outShape: reduction !== 'none' ? [] : batched ? [N] : [],
    gradOutput: c.gradOutput,
    logProbsShape: given,
  };
}

/**
 * Sample b's extended target l' (blank at even s, the label at odd s) into ext, and each state's
 * third predecessor: a3[s] = s - 2 for the alpha recursion, or -1 (the -inf pad before the row)
 * where s < 2 or l'[s - 2] = l'[s]; b3[s] = s + 2 for the beta recursion, or n (the -inf pad after
 * the row) where s + 2 >= n or l'[s + 2] = l'[s]. Returns n = 2 tl + 1.
 */
function extendedLabels(p: Plan, b: number, ext: Int32Array, a3: Int32Array, b3: Int32Array): number {
  const n = 2 * p.targetLengths[b]! + 1;
  const base = p.offsets[b]!;
  const blank = p.blank;
  for (let s = 0; s < n; s++) ext[s] = s % 2 === 0 ? blank : p.labels[base + (s >> 1)]!;
  for (let s = 0; s < n; s++) {
    a3[s] = s >= 2 && ext[s - 2] !== ext[s] ? s - 2 : -1;
    b3[s] = s + 2 < n && ext[s + 2] !== ext[s] ? s + 2 : n;
  }
  return n;
}

/** log(exp(a - m) + exp(b - m)) + m, m = std::max(a, b) (or 0 for -inf when `zeroMax`), as the CPU kernels compute it. */
function logAddExp(a: number, b: number, float32: boolean, r: Round, zeroMax: boolean): number {
  let m = a < b ? b : a;
  if (zeroMax && m === -Infinity) m = 0;
  const d1 = r(a - m);
  const d2 = r(b - m);
  if (float32) {
    const e1 = d1 === 0 ? 1 : d1 === -Infinity ? 0 : glibcExpf(d1);
    const e2 = d2 === 0 ? 1 : d2 === -Infinity ? 0 : glibcExpf(d2);
    return r(glibcLogf(r(e1 + e2)) + m);
  }
  const e1 = d1 === 0 ? 1 : d1 === -Infinity ? 0 : Math.exp(d1);
  const e2 = d2 === 0 ? 1 : d2 === -Infinity ? 0 : Math.exp(d2);
  return r(Math.log(e1 + e2) + m);
}

/** The forward's results: each sample's nll, and log_alpha (N, T, stride): row t of sample b at (b T + t) stride, a -inf pad, then the states. */
interface Alphas {
  readonly nll: Float64Array;
  readonly logAlpha: FloatArray;
  readonly stride: number;
  /** Computed (and to be used) only in the band of states that matter: see bandSafe. */
  readonly banded: boolean;
}

/**
 * Whether the recursions may skip the states that cannot matter: alpha's states that can no
 * longer reach the last two by t = il - 1 (s < n - 2 - 2 (il - 1 - t)), beta's that the first two
 * cannot reach by t (s > 2 t + 1), and the grad log-additions of either. With every log_prob
 * <= 1e30 (no NaN, no +inf) and T <= 1e6, every alpha and beta is finite or -inf (no NaN, no
 * overflow), so those alphas never reach the loss, those betas are exactly -inf (and those alphas
 * too), and their la + lb is -inf: a log-addition of -inf leaves a grad entry as it was (but a
 * -0 made +0, which exp(grad + nll - lp) cannot tell apart). Otherwise (NaN / +inf anywhere) every
 * state is computed, as the C++ loops do.
 */
function bandSafe(p: Plan): boolean {
  if (p.T > 1e6) return false;
  const lp = p.lp;
  for (let i = 0; i < lp.length; i++) if (!(lp[i]! <= 1e30)) return false;
  return true;
}

// The recursions, one function per dtype (monomorphic: Float32Array with Math.fround and glibc's
// expf / logf, or Float64Array with Math.exp / Math.log). A state's value is, as in the C++ loop,
//   log(exp(x1 - m) + exp(x2 - m) + exp(x3 - m)) + m + lp[t][l's]
// with x2, x3 read from the -inf pads where the state has no such predecessor (the same values as
// the C++ code's -inf: x - m is then -inf, or NaN when m is NaN or +inf, as there), m the maximum
// by `>` from x1 (0 when -inf). exp(0) = 1 and exp(-inf) = 0 and log(1) = 0 and log(0) = -inf
// exactly, without a call (glibc's expf / logf return these too).

/** A state whose maximum is not finite (NaN, +inf, or -inf with a NaN predecessor): the C++ formula with its three exps (float32), but lp. */
function slowState32(x1: number, x2: number, x3: number, max: number): number {
  const m = max === -Infinity ? 0 : max;
  const d1 = fr(x1 - m);
  const d2 = fr(x2 - m);
  const d3 = fr(x3 - m);
  const e1 = d1 === 0 ? 1 : d1 === -Infinity ? 0 : glibcExpf(d1);
  const e2 = d2 === 0 ? 1 : d2 === -Infinity ? 0 : glibcExpf(d2);
  const e3 = d3 === 0 ? 1 : d3 === -Infinity ? 0 : glibcExpf(d3);
  return fr(glibcLogf(fr(fr(e1 + e2) + e3)) + m);
}

/** Rows 1 .. il - 1 of one sample's log_alpha (float32); row 0 is set by the caller. */
function alphaRows32(
  la: Float32Array,
  row0: number,
  stride: number,
  n: number,
  il: number,
  ext: Int32Array,
  a3: Int32Array,
  lp: Float32Array,
  lpb: number,
  NC: number,
  banded: boolean,
): void {
  for (let t = 1; t < il; t++) {
    const prev = row0 + (t - 1) * stride + 1;
    const cur = prev + stride;
    la[cur - 1] = -Infinity;
    const lpt = lpb + t * NC;
    // banded: only the states that can still reach the last two by il - 1 (see `bandSafe`)
    const s0 = banded ? Math.max(0, n - 2 - 2 * (il - 1 - t)) : 0;
    let x2 = s0 >= 1 ? la[prev + s0 - 1]! : -Infinity; // la[t - 1][s - 1], carried over from the last state
    let x2prev = s0 >= 2 ? la[prev + s0 - 2]! : -Infinity; // la[t - 1][s - 2]
    for (let s = s0; s < n; s++) {
      const x1 = la[prev + s]!;
      const x3 = a3[s]! < 0 ? -Infinity : x2prev;
      let max = x1;
      if (x2 > max) max = x2;
      if (x3 > max) max = x3;
      let v: number;
      if (max - max === 0) {
        // the two terms but the maximum's, in the sum's order
        let a = x1;
        let b = x2;
        if (max === x1) {
          a = x2;
          b = x3;
        } else if (max === x2) {
          b = x3;
        }
        const da = fr(a - max);
        const db = fr(b - max);
        const ea = da === -Infinity ? 0 : da === 0 ? 1 : glibcExpf(da);
        const eb = db === -Infinity ? 0 : db === 0 ? 1 : glibcExpf(db);
        const sum = max === x3 && max !== x1 && max !== x2 ? fr(fr(ea + eb) + 1) : fr(fr(1 + ea) + eb);
        v = fr((sum === 1 ? 0 : glibcLogf(sum)) + max);
      } else if (max === -Infinity && x2 === -Infinity && x3 === -Infinity) {
        v = -Infinity;
      } else {
        v = slowState32(x1, x2, x3, max);
      }
      la[cur + s] = v + lp[lpt + ext[s]!]!;
      x2prev = x2;
      x2 = x1;
    }
  }
}

/** log(exp(a - m) + exp(b - m)) + m with m = std::max(a, b) not finite (float32): both exps. */
function slowLogAdd32(a: number, b: number): number {
  const m = a < b ? b : a;
  const d1 = fr(a - m);
  const d2 = fr(b - m);
  const e1 = d1 === 0 ? 1 : d1 === -Infinity ? 0 : glibcExpf(d1);
  const e2 = d2 === 0 ? 1 : d2 === -Infinity ? 0 : glibcExpf(d2);
  return fr(glibcLogf(fr(e1 + e2)) + m);
}

/** Rows il - 2 .. 0 of one sample's log_beta (float32; row t at t stride, the states then a -inf pad at n; row il - 1 set by the caller). */
function betaRows32(
  lb: Float32Array,
  stride: number,
  n: number,
  il: number,
  ext: Int32Array,
  b3: Int32Array,
  lp: Float32Array,
  lpb: number,
  NC: number,
  banded: boolean,
): void {
  for (let t = il - 2; t >= 0; t--) {
    const cur = t * stride;
    const next = cur + stride;
    lb[cur + n] = -Infinity;
    const lpt = lpb + t * NC;
    // banded: only the states reachable from the first two at t (see `bandSafe`)
    const s1 = banded ? Math.min(n - 1, 2 * t + 1) : n - 1;
    let x2 = s1 + 1 < n ? lb[next + s1 + 1]! : -Infinity; // lb[t + 1][s + 1], carried over from the last state (s descending)
    let x2prev = s1 + 2 < n ? lb[next + s1 + 2]! : -Infinity; // lb[t + 1][s + 2]
    for (let s = s1; s >= 0; s--) {
      const x1 = lb[next + s]!;
      const x3 = b3[s]! === n ? -Infinity : x2prev;
      let max = x1;
      if (x2 > max) max = x2;
      if (x3 > max) max = x3;
      let v: number;
      if (max - max === 0) {
        // the two terms but the maximum's, in the sum's order
        let a = x1;
        let b = x2;
        if (max === x1) {
          a = x2;
          b = x3;
        } else if (max === x2) {
          b = x3;
        }
        const da = fr(a - max);
        const db = fr(b - max);
        const ea = da === -Infinity ? 0 : da === 0 ? 1 : glibcExpf(da);
        const eb = db === -Infinity ? 0 : db === 0 ? 1 : glibcExpf(db);
        const sum = max === x3 && max !== x1 && max !== x2 ? fr(fr(ea + eb) + 1) : fr(fr(1 + ea) + eb);
        v = fr((sum === 1 ? 0 : glibcLogf(sum)) + max);
      } else if (max === -Infinity && x2 === -Infinity && x3 === -Infinity) {
        v = -Infinity;
      } else {
        v = slowState32(x1, x2, x3, max);
      }
      lb[cur + s] = v + lp[lpt + ext[s]!]!;
      x2prev = x2;
      x2 = x1;
    }
  }
}

/**
 * grad[t][l's] "log+=" la[t][s] + lb[t][s] for rows t < il - 1 of one sample (float32), in descending s
 * within a row as the C++ loop (rows touch disjoint grad entries): assigned while still -inf, else
 * log(exp(g - M) + exp(ab - M)) + M with M = std::max(g, ab) (M's own term exactly 1 when M is finite).
 */
function gradLogAdd32(
  lb: Float32Array,
  la: Float32Array,
  row0: number,
  stride: number,
  n: number,
  il: number,
  ext: Int32Array,
  grad: Float32Array,
  lpb: number,
  NC: number,
  banded: boolean,
): void {
  for (let t = il - 2; t >= 0; t--) {
    const cur = t * stride;
    const lpt = lpb + t * NC;
    const arow = row0 + cur + 1;
    // banded: la + lb is -inf outside the band, which changes no grad entry's value (see `bandSafe`)
    const s0 = banded ? Math.max(0, n - 2 - 2 * (il - 1 - t)) : 0;
    const s1 = banded ? Math.min(n - 1, 2 * t + 1) : n - 1;
    for (let s = s1; s >= s0; s--) {
      const ab = fr(la[arow + s]! + lb[cur + s]!);
      const gi = lpt + ext[s]!;
      const lcab = grad[gi]!;
      if (lcab === -Infinity) {
        grad[gi] = ab;
      } else {
        const m = lcab < ab ? ab : lcab;
        if (m - m === 0) {
          const d = fr((m === lcab ? ab : lcab) - m);
          const e = d === -Infinity ? 0 : d === 0 ? 1 : glibcExpf(d);
          const sum = fr(1 + e);
          grad[gi] = (sum === 1 ? 0 : glibcLogf(sum)) + m;
        } else {
          grad[gi] = slowLogAdd32(lcab, ab);
        }
      }
    }
  }
}

/** grad[t][c] = (exp(lp) - exp(grad + nll - lp)) * gr over rows t < il of one sample (float32). */
function finishGrad32(grad: Float32Array, lp: Float32Array, lpb: number, il: number, C: number, NC: number, nll: number, g: number): void {
  for (let t = 0; t < il; t++) {
    const row = lpb + t * NC;
    for (let c = row; c < row + C; c++) {
      const lpv = lp[c]!;
      const d = fr(fr(grad[c]! + nll) - lpv);
      const e1 = lpv === 0 ? 1 : lpv === -Infinity ? 0 : glibcExpf(lpv);
      const e2 = d === 0 ? 1 : d === -Infinity ? 0 : glibcExpf(d);
      grad[c] = fr(e1 - e2) * g;
    }
  }
}

/** A state whose maximum is not finite (NaN, +inf, or -inf with a NaN predecessor): the C++ formula with its three exps (float64), but lp. */
function slowState64(x1: number, x2: number, x3: number, max: number): number {
  const m = max === -Infinity ? 0 : max;
  const d1 = x1 - m;
  const d2 = x2 - m;
  const d3 = x3 - m;
  const e1 = d1 === 0 ? 1 : d1 === -Infinity ? 0 : Math.exp(d1);
  const e2 = d2 === 0 ? 1 : d2 === -Infinity ? 0 : Math.exp(d2);
  const e3 = d3 === 0 ? 1 : d3 === -Infinity ? 0 : Math.exp(d3);
  return Math.log(e1 + e2 + e3) + m;
}

/** Rows 1 .. il - 1 of one sample's log_alpha (float64); row 0 is set by the caller. */
function alphaRows64(
  la: Float64Array,
  row0: number,
  stride: number,
  n: number,
  il: number,
  ext: Int32Array,
  a3: Int32Array,
  lp: Float64Array,
  lpb: number,
  NC: number,
  banded: boolean,
): void {
  for (let t = 1; t < il; t++) {
    const prev = row0 + (t - 1) * stride + 1;
    const cur = prev + stride;
    la[cur - 1] = -Infinity;
    const lpt = lpb + t * NC;
    // banded: only the states that can still reach the last two by il - 1 (see `bandSafe`)
    const s0 = banded ? Math.max(0, n - 2 - 2 * (il - 1 - t)) : 0;
    let x2 = s0 >= 1 ? la[prev + s0 - 1]! : -Infinity; // la[t - 1][s - 1], carried over from the last state
    let x2prev = s0 >= 2 ? la[prev + s0 - 2]! : -Infinity; // la[t - 1][s - 2]
    for (let s = s0; s < n; s++) {
      const x1 = la[prev + s]!;
      const x3 = a3[s]! < 0 ? -Infinity : x2prev;
      let max = x1;
      if (x2 > max) max = x2;
      if (x3 > max) max = x3;
      let v: number;
      if (max - max === 0) {
        // the two terms but the maximum's, in the sum's order
        let a = x1;
        let b = x2;
        if (max === x1) {
          a = x2;
          b = x3;
        } else if (max === x2) {
          b = x3;
        }
        const da = a - max;
        const db = b - max;
        const ea = da === -Infinity ? 0 : da === 0 ? 1 : Math.exp(da);
        const eb = db === -Infinity ? 0 : db === 0 ? 1 : Math.exp(db);
        const sum = max === x3 && max !== x1 && max !== x2 ? ea + eb + 1 : 1 + ea + eb;
        v = (sum === 1 ? 0 : Math.log(sum)) + max;
      } else if (max === -Infinity && x2 === -Infinity && x3 === -Infinity) {
        v = -Infinity;
      } else {
        v = slowState64(x1, x2, x3, max);
      }
      la[cur + s] = v + lp[lpt + ext[s]!]!;
      x2prev = x2;
      x2 = x1;
    }
  }
}

/** log(exp(a - m) + exp(b - m)) + m with m = std::max(a, b) not finite (float64): both exps. */
function slowLogAdd64(a: number, b: number): number {
  const m = a < b ? b : a;
  const d1 = a - m;
  const d2 = b - m;
  const e1 = d1 === 0 ? 1 : d1 === -Infinity ? 0 : Math.exp(d1);
  const e2 = d2 === 0 ? 1 : d2 === -Infinity ? 0 : Math.exp(d2);
  return Math.log(e1 + e2) + m;
}

/** Rows il - 2 .. 0 of one sample's log_beta (float64; row t at t stride, the states then a -inf pad at n; row il - 1 set by the caller). */
function betaRows64(
  lb: Float64Array,
  stride: number,
  n: number,
  il: number,
  ext: Int32Array,
  b3: Int32Array,
  lp: Float64Array,
  lpb: number,
  NC: number,
  banded: boolean,
): void {
  for (let t = il - 2; t >= 0; t--) {
    const cur = t * stride;
    const next = cur + stride;
    lb[cur + n] = -Infinity;
    const lpt = lpb + t * NC;
    // banded: only the states reachable from the first two at t (see `bandSafe`)
    const s1 = banded ? Math.min(n - 1, 2 * t + 1) : n - 1;
    let x2 = s1 + 1 < n ? lb[next + s1 + 1]! : -Infinity; // lb[t + 1][s + 1], carried over from the last state (s descending)
    let x2prev = s1 + 2 < n ? lb[next + s1 + 2]! : -Infinity; // lb[t + 1][s + 2]
    for (let s = s1; s >= 0; s--) {
      const x1 = lb[next + s]!;
      const x3 = b3[s]! === n ? -Infinity : x2prev;
      let max = x1;
      if (x2 > max) max = x2;
      if (x3 > max) max = x3;
      let v: number;
      if (max - max === 0) {
        // the two terms but the maximum's, in the sum's order
        let a = x1;
        let b = x2;
        if (max === x1) {
          a = x2;
          b = x3;
        } else if (max === x2) {
          b = x3;
        }
        const da = a - max;
        const db = b - max;
        const ea = da === -Infinity ? 0 : da === 0 ? 1 : Math.exp(da);
        const eb = db === -Infinity ? 0 : db === 0 ? 1 : Math.exp(db);
        const sum = max === x3 && max !== x1 && max !== x2 ? ea + eb + 1 : 1 + ea + eb;
        v = (sum === 1 ? 0 : Math.log(sum)) + max;
      } else if (max === -Infinity && x2 === -Infinity && x3 === -Infinity) {
        v = -Infinity;
      } else {
        v = slowState64(x1, x2, x3, max);
      }
      lb[cur + s] = v + lp[lpt + ext[s]!]!;
      x2prev = x2;
      x2 = x1;
    }
  }
}

/**
 * grad[t][l's] "log+=" la[t][s] + lb[t][s] for rows t < il - 1 of one sample (float64), in descending s
 * within a row as the C++ loop (rows touch disjoint grad entries): assigned while still -inf, else
 * log(exp(g - M) + exp(ab - M)) + M with M = std::max(g, ab) (M's own term exactly 1 when M is finite).
 */
function gradLogAdd64(
  lb: Float64Array,
  la: Float64Array,
  row0: number,
  stride: number,
  n: number,
  il: number,
  ext: Int32Array,
  grad: Float64Array,
  lpb: number,
  NC: number,
  banded: boolean,
): void {
  for (let t = il - 2; t >= 0; t--) {
    const cur = t * stride;
    const lpt = lpb + t * NC;
    const arow = row0 + cur + 1;
    // banded: la + lb is -inf outside the band, which changes no grad entry's value (see `bandSafe`)
    const s0 = banded ? Math.max(0, n - 2 - 2 * (il - 1 - t)) : 0;
    const s1 = banded ? Math.min(n - 1, 2 * t + 1) : n - 1;
    for (let s = s1; s >= s0; s--) {
      const ab = la[arow + s]! + lb[cur + s]!;
      const gi = lpt + ext[s]!;
      const lcab = grad[gi]!;
      if (lcab === -Infinity) {
        grad[gi] = ab;
      } else {
        const m = lcab < ab ? ab : lcab;
        if (m - m === 0) {
          const d = (m === lcab ? ab : lcab) - m;
          const e = d === -Infinity ? 0 : d === 0 ? 1 : Math.exp(d);
          const sum = 1 + e;
          grad[gi] = (sum === 1 ? 0 : Math.log(sum)) + m;
        } else {
          grad[gi] = slowLogAdd64(lcab, ab);
        }
      }
    }
  }
}

/** grad[t][c] = (exp(lp) - exp(grad + nll - lp)) * gr over rows t < il of one sample (float64). */
function finishGrad64(grad: Float64Array, lp: Float64Array, lpb: number, il: number, C: number, NC: number, nll: number, g: number): void {
  for (let t = 0; t < il; t++) {
    const row = lpb + t * NC;
    for (let c = row; c < row + C; c++) {
      const lpv = lp[c]!;
      const d = grad[c]! + nll - lpv;
      const e1 = lpv === 0 ? 1 : lpv === -Infinity ? 0 : Math.exp(lpv);
      const e2 = d === 0 ? 1 : d === -Infinity ? 0 : Math.exp(d);
      grad[c] = (e1 - e2) * g;
    }
  }
}

/** The forward: each sample's nll and log_alpha. Row 0 is -inf but for la[0][0] and la[0][1]; rows t >= il are never read. */
function alphas(p: Plan): Alphas {
  const { T, N, C, r, blank } = p;
  const float32 = p.dtype === 'float32';
  const width = 2 * p.maxTargetLength + 1;
  const stride = width + 1;
  const logAlpha = reusableAlphas(float32, N * T * stride);
  const nll = new Float64Array(N);
  // the WebAssembly module (../wasm/ctc.ts), the same operations: where it is on and the call fits
  const viaModule = ctcForward(moduleCall(p, stride), p.T <= 1e6, logAlpha, nll);
  if (viaModule !== null) return { nll, logAlpha, stride, banded: viaModule };
  const lp = p.lp;
  const ext = new Int32Array(width);
  const a3 = new Int32Array(width);
  const b3 = new Int32Array(width);
  const NC = N * C;
  const banded = bandSafe(p);
  for (let b = 0; b < N; b++) {
    const il = p.inputLengths[b]!;
    const tl = p.targetLengths[b]!;
    const row0 = b * T * stride;
    logAlpha.fill(-Infinity, row0, row0 + stride);
    if (il === 0) {
      nll[b] = tl === 0 ? -0 : Infinity;
      continue;
    }
    const n = extendedLabels(p, b, ext, a3, b3);
    const lpb = b * C;
    logAlpha[row0 + 1] = lp[lpb + blank]!;
    if (tl > 0) logAlpha[row0 + 2] = lp[lpb + ext[1]!]!;
    if (float32) alphaRows32(logAlpha as Float32Array, row0, stride, n, il, ext, a3, lp as Float32Array, lpb, NC, banded);
    else alphaRows64(logAlpha as Float64Array, row0, stride, n, il, ext, a3, lp as Float64Array, lpb, NC, banded);
    const last = row0 + (il - 1) * stride + 1;
    nll[b] = tl === 0 ? -logAlpha[last]! : -logAddExp(logAlpha[last + 2 * tl]!, logAlpha[last + 2 * tl - 1]!, float32, r, true);
  }
  return { nll, logAlpha, stride, banded };
}

/** The plan's arrays as ../wasm/ctc.ts takes them. */
function moduleCall(p: Plan, stride: number): CtcCall {
  return {
    float32: p.dtype === 'float32',
    lp: p.lp as FloatArray,
    T: p.T,
    N: p.N,
    C: p.C,
    blank: p.blank,
    labels: p.labels,
    offsets: p.offsets,
    inputLengths: p.inputLengths,
    targetLengths: p.targetLengths,
    stride,
  };
}

/**
 * A log_alpha buffer of n values: the previous forward's when it has that length and dtype (it is
 * internal, and the backward's cache is then replaced), else a new one.
 */
function reusableAlphas(float32: boolean, n: number): FloatArray {
  const old = lastForward?.result.logAlpha;
  if (old !== undefined && old.length === n && old instanceof Float32Array === float32) {
    lastForward = null;
    return old;
  }
  return float32 ? new Float32Array(n) : new Float64Array(n);
}

/**
 * The last forward's alphas, for the backward of the same arguments (as autograd keeps _ctc_loss's
 * log_alpha): kept with bitwise copies of everything they depend on, and used only when the
 * backward's arguments are bit for bit the same.
 */
let lastForward: {
  readonly key: readonly (number | string | boolean)[];
  readonly lpBits: Int32Array;
  readonly labels: Int32Array;
  readonly offsets: Int32Array;
  readonly inputLengths: Int32Array;
  readonly targetLengths: Int32Array;
  readonly result: ReturnType<typeof alphas>;
} | null = null;

function bitsOf(data: ArrayLike<number>): Int32Array {
  const a = data as Float32Array | Float64Array;
  return new Int32Array(a.buffer, a.byteOffset, a.byteLength / 4);
}

function sameInts(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function planKey(p: Plan): (number | string | boolean)[] {
  return [p.dtype, p.T, p.N, p.C, p.blank, p.maxTargetLength, p.labels.length];
}

/** The forward's alphas, always computed, kept for a backward of the same arguments. */
function rememberAlphas(p: Plan): ReturnType<typeof alphas> {
  const oldBits = lastForward?.lpBits; // the copy being replaced: refilled when it fits
  const result = alphas(p);
  const bits = bitsOf(p.lp);
  let lpBits: Int32Array;
  if (oldBits !== undefined && oldBits.length === bits.length) {
    oldBits.set(bits);
    lpBits = oldBits;
  } else {
    lpBits = bits.slice();
  }
  lastForward = {
    key: planKey(p),
    lpBits,
    labels: p.labels.slice(),
    offsets: p.offsets.slice(),
    inputLengths: p.inputLengths.slice(),
    targetLengths: p.targetLengths.slice(),
    result,
  };
  return result;
}

/** alphas(p), from the last forward when its arguments were these (bit for bit), else computed. */
function cachedAlphas(p: Plan): ReturnType<typeof alphas> {
  const key = planKey(p);
  const last = lastForward;
  if (
    last?.key.every((v, i) => v === key[i]) &&
    sameInts(last.inputLengths, p.inputLengths) &&
    sameInts(last.targetLengths, p.targetLengths) &&
    sameInts(last.labels, p.labels) &&
    sameInts(last.offsets, p.offsets) &&
    (sameInts32(last.lpBits, bitsOf(p.lp)) ?? sameInts(last.lpBits, bitsOf(p.lp)))
  ) {
    return last.result;
  }
  return alphas(p);
}

/** The per-sample losses after zero_infinity's where. */
function losses(p: Plan, nll: Float64Array): Float64Array {
  if (!p.zeroInfinity) return nll;
  const out = new Float64Array(nll.length);
  for (let b = 0; b < nll.length; b++) out[b] = nll[b] === Infinity ? 0 : nll[b]!;
  return out;
}

/** F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity). */
export function ctcLoss(
  logProbs: Tensor,
  targets: IndexTensor | Tensor,
  inputLengths: CtcLengths,
  targetLengths: CtcLengths,
  options?: CtcLossOptions,
): Tensor {
  const p = plan(OP, logProbs, targets, inputLengths, targetLengths, options);
  const res = losses(p, rememberAlphas(p).nll);
  const { r, dtype } = p;
  if (p.reduction === 'none') return makeTensor(res, p.outShape, dtype);
  if (p.reduction === 'sum') return makeTensor([sum(res, p.lanes, r)], [], dtype);
  const divided = new Float64Array(p.N);
  for (let b = 0; b < p.N; b++) divided[b] = r(res[b]! / Math.max(p.targetLengths[b]!, 1));
  return makeTensor([mean(divided, p.lanes, r)], [], dtype);
}

/** The gradient of ctcLoss's output (weighted by gradOutput) with respect to logProbs (shaped like it). */
export function ctcLossBackward(
  gradOutput: Tensor,
  logProbs: Tensor,
  targets: IndexTensor | Tensor,
  inputLengths: CtcLengths,
  targetLengths: CtcLengths,
  options?: CtcLossOptions,
): Tensor {
  const p = plan(`${OP}Backward`, logProbs, targets, inputLengths, targetLengths, options, gradOutput);
  const go = p.gradOutput!;
  const outShape = p.outShape;
  if (go.shape.length !== outShape.length || go.shape.some((d, i) => d !== outShape[i])) {
    throw new LossArgumentError(
      `${OP}Backward: gradOutput shape ${formatShape(go.shape)} must equal the forward output's shape ${formatShape(outShape)}`,
    );
  }
  const { nll, logAlpha, stride, banded } = cachedAlphas(p);
  const { T, N, C, r, blank } = p;
  // The gradient reaching _ctc_loss_backward, per sample.
  const gr = new Float64Array(N);
  const g0 = r(go.data[0] ?? 0);
  const meanGrad = p.reduction === 'mean' ? r(g0 / N) : g0;
  for (let b = 0; b < N; b++) {
    let g = p.reduction === 'none' ? r(go.data[b]!) : p.reduction === 'mean' ? r(meanGrad / Math.max(p.targetLengths[b]!, 1)) : g0;
    if (p.zeroInfinity && nll[b] === Infinity) g = 0; // where's backward
    gr[b] = g;
  }
  const float32 = p.dtype === 'float32';
  const grad = allocate(p.dtype, T * N * C);
  if (ctcBackward(moduleCall(p, stride), banded, p.zeroInfinity, logAlpha, nll, gr, grad))
    return makeTensor(grad, p.logProbsShape, p.dtype);
  const lp = p.lp;
  const width = stride - 1;
  const ext = new Int32Array(width);
  const a3 = new Int32Array(width);
  const b3 = new Int32Array(width);
  const logBeta = float32 ? new Float32Array(T * stride) : new Float64Array(T * stride);
  const NC = N * C;
  for (let b = 0; b < N; b++) {
    const nllb = nll[b]!;
    const lpb = b * C;
    if (p.zeroInfinity && nllb === Infinity) continue; // zeroed (allocate zero-fills)
    const il = p.inputLengths[b]!;
    if (il === 0) continue;
    const tl = p.targetLengths[b]!;
    const n = extendedLabels(p, b, ext, a3, b3);
    const row0 = b * T * stride;
    for (let t = 0; t < il; t++) grad.fill(-Infinity, lpb + t * NC, lpb + t * NC + C);
    const lastB = (il - 1) * stride;
    const lastA = row0 + lastB + 1;
    logBeta.fill(-Infinity, lastB, lastB + stride);
    const lpt = lpb + (il - 1) * NC;
    logBeta[lastB + 2 * tl] = lp[lpt + blank]!;
    grad[lpt + blank] = r(logAlpha[lastA + 2 * tl]! + logBeta[lastB + 2 * tl]!);
    if (tl > 0) {
      const label = ext[2 * tl - 1]!;
      logBeta[lastB + 2 * tl - 1] = lp[lpt + label]!;
      grad[lpt + label] = r(logAlpha[lastA + 2 * tl - 1]! + logBeta[lastB + 2 * tl - 1]!);
    }
    if (float32) {
      const g32 = grad as Float32Array;
      betaRows32(logBeta as Float32Array, stride, n, il, ext, b3, lp as Float32Array, lpb, NC, banded);
      gradLogAdd32(logBeta as Float32Array, logAlpha as Float32Array, row0, stride, n, il, ext, g32, lpb, NC, banded);
      finishGrad32(g32, lp as Float32Array, lpb, il, C, NC, nllb, gr[b]!);
    } else {
      const g64 = grad as Float64Array;
      betaRows64(logBeta as Float64Array, stride, n, il, ext, b3, lp as Float64Array, lpb, NC, banded);
      gradLogAdd64(logBeta as Float64Array, logAlpha as Float64Array, row0, stride, n, il, ext, g64, lpb, NC, banded);
      finishGrad64(g64, lp as Float64Array, lpb, il, C, NC, nllb, gr[b]!);
    }
  }
  return makeTensor(grad, p.logProbsShape, p.dtype);
}

/** nn.CTCLoss(blank, reduction, zero_infinity): the options fixed at construction. */
export class CTCLoss {
  readonly options: Readonly<CtcLossOptions>;
  constructor(options: CtcLossOptions = {}) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new LossArgumentError('CTCLoss: options must be an object', 'TypeError');
    }
    for (const key of ['sizeAverage', 'reduce'] as const) {
      if ((options as Record<string, unknown>)[key] !== undefined) {
        throw new LossArgumentError(`CTCLoss: unknown option '${key}' (torch: __init__() got an unexpected keyword argument)`, 'TypeError');
      }
    }
    this.options = Object.freeze({ ...options });
  }
  forward(logProbs: Tensor, targets: IndexTensor | Tensor, inputLengths: CtcLengths, targetLengths: CtcLengths): Tensor {
    return ctcLoss(logProbs, targets, inputLengths, targetLengths, this.options);
  }
  backward(
    gradOutput: Tensor,
    logProbs: Tensor,
    targets: IndexTensor | Tensor,
    inputLengths: CtcLengths,
    targetLengths: CtcLengths,
  ): Tensor {
    return ctcLossBackward(gradOutput, logProbs, targets, inputLengths, targetLengths, this.options);
  }
}
