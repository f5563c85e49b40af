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

import { prepare, type CommonOptions, type Reduction } from '../loss-args.ts';
import { glibcExpf, glibcLogf } from '../libm.ts';
import { mean, sum, useDType, type Round } from '../numerics.ts';
import { makeTensor } from '../reduction.ts';
import { LossArgumentError, allocate, formatShape, numel, type DType, type IndexTensor, type Tensor } from '../tensor.ts';
import type { TorchRelease } from '../torch-version.ts';

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

const OP = 'ctcLoss';
const SIGNATURE = { tensorOptions: [], target: 'class indices', options: ['blank', 'zeroInfinity'] } as const;
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

/** The extended target l' of sample b at s: blank at even s, the label at odd s. */
function extendedLabels(p: Plan, b: number, out: Int32Array): number {
  const n = 2 * p.targetLengths[b]! + 1;
  const base = p.offsets[b]!;
  for (let s = 0; s < n; s++) out[s] = s % 2 === 0 ? p.blank : p.labels[base + (s >> 1)]!;
  return n;
}

/**
 * exp(d) as std::exp computes it, for d = x - max: 1 at 0 and 0 at -inf (exact in glibc's expf
 * and in Math.exp), else the function.
 */
function expOfDifference(d: number, exp: (x: number) => number): number {
  return d === 0 ? 1 : d === -Infinity ? 0 : exp(d);
}

/**
 * The forward: each sample's nll, and log_alpha (N, T, W) with W = 2 * max target length + 1.
 * Row 0 is -inf but for la[0][0] and la[0][1]; rows t >= il are never read.
 */
function alphas(p: Plan): { nll: Float64Array; logAlpha: Float64Array; width: number } {
  const { T, N, C, r } = p;
  const float32 = p.dtype === 'float32';
  const exp = float32 ? glibcExpf : Math.exp;
  const log = float32 ? glibcLogf : Math.log;
  const width = 2 * p.maxTargetLength + 1;
  const logAlpha = new Float64Array(N * T * width);
  const nll = new Float64Array(N);
  const lp = p.lp;
  const ext = new Int32Array(width);
  const NC = N * C;
  for (let b = 0; b < N; b++) {
    const il = p.inputLengths[b]!;
    const tl = p.targetLengths[b]!;
    const la = b * T * width;
    logAlpha.fill(-Infinity, la, la + width);
    if (il === 0) {
      nll[b] = tl === 0 ? -0 : Infinity;
      continue;
    }
    const n = extendedLabels(p, b, ext);
    const lpb = b * C;
    logAlpha[la] = lp[lpb + p.blank]!;
    if (tl > 0) logAlpha[la + 1] = lp[lpb + ext[1]!]!;
    for (let t = 1; t < il; t++) {
      const prev = la + (t - 1) * width;
      const cur = prev + width;
      const lpt = lpb + t * NC;
      for (let s = 0; s < n; s++) {
        const la1 = logAlpha[prev + s]!;
        let lamax = la1;
        let la2 = -Infinity;
        let la3 = -Infinity;
        if (s > 0) {
          la2 = logAlpha[prev + s - 1]!;
          if (la2 > lamax) lamax = la2;
        }
        if (s > 1 && ext[s - 2] !== ext[s]) {
          la3 = logAlpha[prev + s - 2]!;
          if (la3 > lamax) lamax = la3;
        }
        if (lamax === -Infinity) lamax = 0;
        const e = r(r(expOfDifference(r(la1 - lamax), exp) + expOfDifference(r(la2 - lamax), exp)) + expOfDifference(r(la3 - lamax), exp));
        logAlpha[cur + s] = r(r(log(e) + lamax) + lp[lpt + ext[s]!]!);
      }
    }
    const last = la + (il - 1) * width;
    if (tl === 0) {
      nll[b] = -logAlpha[last]!;
    } else {
      const l1 = logAlpha[last + 2 * tl]!;
      const l2 = logAlpha[last + 2 * tl - 1]!;
      let m = l1 < l2 ? l2 : l1; // std::max(l1, l2)
      if (m === -Infinity) m = 0;
      const ll = r(log(r(expOfDifference(r(l1 - m), exp) + expOfDifference(r(l2 - m), exp))) + m);
      nll[b] = -ll;
    }
  }
  return { nll, logAlpha, width };
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
  const res = losses(p, alphas(p).nll);
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
  const { nll, logAlpha, width } = alphas(p);
  const { T, N, C, r } = p;
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
  const exp = float32 ? glibcExpf : Math.exp;
  const log = float32 ? glibcLogf : Math.log;
  const grad = allocate(p.dtype, T * N * C);
  const lp = p.lp;
  const ext = new Int32Array(width);
  const logBeta = new Float64Array(T * width);
  const NC = N * C;
  for (let b = 0; b < N; b++) {
    const nllb = nll[b]!;
    const lpb = b * C;
    if (p.zeroInfinity && nllb === Infinity) continue; // zeroed (allocate zero-fills)
    const il = p.inputLengths[b]!;
    const tl = p.targetLengths[b]!;
    const n = extendedLabels(p, b, ext);
    const la = b * T * width;
    for (let t = 0; t < il; t++) grad.fill(-Infinity, lpb + t * NC, lpb + t * NC + C);
    if (il > 0) {
      const lastB = (il - 1) * width;
      logBeta.fill(-Infinity, lastB, lastB + width);
      const lpt = lpb + (il - 1) * NC;
      logBeta[lastB + 2 * tl] = lp[lpt + p.blank]!;
      grad[lpt + p.blank] = r(logAlpha[la + lastB + 2 * tl]! + logBeta[lastB + 2 * tl]!);
      if (tl > 0) {
        const label = ext[2 * tl - 1]!;
        logBeta[lastB + 2 * tl - 1] = lp[lpt + label]!;
        grad[lpt + label] = r(logAlpha[la + lastB + 2 * tl - 1]! + logBeta[lastB + 2 * tl - 1]!);
      }
    }
    for (let t = il - 2; t >= 0; t--) {
      const next = (t + 1) * width;
      const cur = t * width;
      const lpt = lpb + t * NC;
      for (let s = n - 1; s >= 0; s--) {
        const lb1 = logBeta[next + s]!;
        let lbmax = lb1;
        let lb2 = -Infinity;
        let lb3 = -Infinity;
        const label = ext[s]!;
        if (s < n - 1) {
          lb2 = logBeta[next + s + 1]!;
          if (lb2 > lbmax) lbmax = lb2;
        }
        if (s < n - 2 && ext[s + 2] !== label) {
          lb3 = logBeta[next + s + 2]!;
          if (lb3 > lbmax) lbmax = lb3;
        }
        if (lbmax === -Infinity) lbmax = 0;
        const e = r(r(expOfDifference(r(lb1 - lbmax), exp) + expOfDifference(r(lb2 - lbmax), exp)) + expOfDifference(r(lb3 - lbmax), exp));
        const lbv = r(r(log(e) + lbmax) + lp[lpt + label]!);
        logBeta[cur + s] = lbv;
        const ab = r(logAlpha[la + cur + s]! + lbv);
        const gi = lpt + label;
        const lcab = grad[gi]!;
        if (lcab === -Infinity) {
          grad[gi] = ab;
        } else {
          const max = lcab < ab ? ab : lcab; // std::max(lcab, ab)
          grad[gi] = r(r(log(r(expOfDifference(r(lcab - max), exp) + expOfDifference(r(ab - max), exp)))) + max);
        }
      }
    }
    const g = gr[b]!;
    for (let t = 0; t < il; t++) {
      const row = lpb + t * NC;
      for (let c = 0; c < C; c++) {
        const i = row + c;
        const lpv = lp[i]!;
        grad[i] = r(r(exp(lpv) - exp(r(r(grad[i]! + nllb) - lpv))) * g);
      }
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
