// nn.KLDivLoss / F.kl_div, forward and input gradient.
//
// functional.py (every release): reduction 'mean' (the default) warns that it divides by the batch
// and support sizes; 'batchmean' runs ATen's kl_div with 'sum' and divides the result by
// input.size(0) (a Python int: true division in the dtype; not for a 0-d input); then ATen:
//
// torch >= 1.13 (aten/src/ATen/native/Loss.cpp kl_div, a composite since pytorch#80334):
//   integral input or target: "kl_div: Integral inputs not supported."
//   log_target: out = exp(target) * (target - input)
//   else:       out = xlogy(target, target) - target * input
//                 (xlogy's scalar kernel: NaN if target is NaN, 0 if target == 0, else target * std::log(target);
//                  a negative target gives NaN)
//   then apply_loss_reduction (mean: sum / numel; ATen's cascade sum). Broadcasts input and target.
//   Backward is autograd through those ops: MeanBackward g / numel, DivBackward g / N (batchmean),
//   SubBackward -g, MulBackward (-g) * target (log_target: -(g * exp(target))), summed to the
//   input's shape in ATen's order where the target grew it, then cast to the input's dtype.
// torch 1.6 to 1.12 (log_target from pytorch#34586):
//   log_target: out = exp(target) * (target - input)
//   else:       out = where(target > 0, target * (log(target) - input), 0)   (negative or NaN target: 0)
//   Backward kl_div_backward_cpu: grad_expand = grad.expand_as(input), then
//     log_target: -exp(target) * grad_expand, else target > 0 ? -target * grad : 0 (CPU_tensor_apply3:
//     target and input of equal numel and dtype), and for 'mean' / input.numel() (the input's, not the
//     output's); so 'none' needs the output shaped as the input, and a target that grows the input
//     fails there. An integer target fails in log / exp ("log_vml_cpu not implemented for 'Long'").
// exp and log are ATen's vectorized ops (SLEEF under avx2 / avx512, glibc under 'default': ../unary-ops.ts).
// Ops on the target alone (exp, xlogy) run in the target's dtype; the rest in the promoted dtype.
// float32 input and target of one shape run as WebAssembly SIMD (../wasm/assembly/kernels.ts KL_DIV,
// KL_DIV_GRAD: the same ops lane-wise, exp and log SLEEF's or glibc's bit for bit); float64 ones of
// one shape as ../wasm/assembly/float64.ts's (Math.exp and Math.log's bits, two lanes at a time).

import {
  LossArgumentError,
  allocate,
  checkElementCount,
  formatShape,
  isIndexTensor,
  numel,
  type DType,
  type IndexTensor,
  type Tensor,
} from '../tensor.ts';
import { checkGradOutput, copyOptions, prepare, sameShape, type CommonOptions, type LossSignature } from '../loss-args.ts';
import { lossModule } from '../loss-module.ts';
import { broadcastInputTarget, expanded } from '../pointwise-loss.ts';
import { applyReduction, makeTensor } from '../reduction.ts';
import { atenSumTo } from '../sum-to.ts';
import { useDType } from '../numerics.ts';
import { castTo, resultType, roundFor } from '../promotion.ts';
import { sumLanes } from '../torch-version.ts';
import { expOp, logOp, scalarLogOp, xlogx } from '../unary-ops.ts';
import { warn as emitWarning } from '../warnings.ts';
import { gradOutputOperand, kernelsFor, perElement, type Flag, type Float32Kernels } from '../wasm/float32-kernels.ts';

export interface KlDivOptions extends Omit<CommonOptions, 'reduction'> {
  /** torch's reductions, and 'batchmean' (the sum divided by input.size(0)). Default 'mean' (with torch's warning). */
  reduction?: 'none' | 'mean' | 'sum' | 'batchmean' | 'elementwise_mean';
  /** The target holds log-probabilities (torch >= 1.6; default false). */
  logTarget?: boolean;
}

const OP = 'klDivLoss';
const SIGNATURE = { tensorOptions: [], target: 'float', options: ['logTarget'] } as const satisfies LossSignature;
const OPTION_NAMES = ['reduction', 'torchVersion', 'cpuCapability', 'logTarget'];

const MEAN_WARNING =
  "reduction: 'mean' divides the total loss by both the batch size and the support size." +
  "'batchmean' divides only by the batch size, and aligns with the KL div math definition." +
  "'mean' will be changed to behave the same as 'batchmean' in the next major release.";

/** Python's type name of a JS value, as the argument parser's TypeError shows it. */
function pythonTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string') return 'str';
  if (Array.isArray(value)) return 'list';
  return typeof value === 'object' ? ((value as object).constructor?.name ?? 'object') : typeof value;
}

/**
 * The options as read once (a plain copy, each getter called once), with 'batchmean' passed on as
 * 'sum', and whether functional.py warns about 'mean'.
 */
function readKlDivOptions(options: unknown): { options: unknown; batchmean: boolean; warnMean: boolean } {
  if (options === undefined) return { options, batchmean: false, warnMean: true };
  if (options === null || typeof options !== 'object' || Array.isArray(options)) return { options, batchmean: false, warnMean: false };
  const copy = copyOptions(options, OPTION_NAMES) as Record<string, unknown>;
  const reduction = copy.reduction;
  const batchmean = reduction === 'batchmean';
  if (batchmean) copy.reduction = 'sum';
  return { options: copy, batchmean, warnMean: reduction === undefined || reduction === 'mean' };
}

function check(
  op: string,
  args: { input: Tensor; target: Tensor | IndexTensor; gradOutput?: Tensor },
  options: KlDivOptions | undefined,
  warn: boolean,
) {
  const read = readKlDivOptions(options);
  const c = prepare(op, SIGNATURE, args, read.options);
  const torch = c.torch;
  const given = c.extra.logTarget;
  if (given !== undefined && !torch.klDivHasLogTarget) {
    throw new LossArgumentError(
      `${op}: logTarget needs torch >= 1.6 (pytorch#34586; torch ${torch.version}: kl_div() got an unexpected keyword argument 'log_target')`,
      'TypeError',
    );
  }
  // functional.py warns about 'mean' only where size_average / reduce did not set the reduction
  if (warn && read.warnMean && !c.legacyReduction) emitWarning(MEAN_WARNING, 'UserWarning');
  if (given !== undefined && typeof given !== 'boolean') {
    throw new LossArgumentError(
      `${op}: logTarget must be a boolean (torch: kl_div(): argument 'log_target' must be bool, not ${pythonTypeName(given)})`,
      'TypeError',
    );
  }
  const logTarget = given === true;
  const target = c.target;
  if (isIndexTensor(target)) {
    throw new LossArgumentError(
      torch.klDivIsComposite
        ? `${op}: the target must be a float tensor (torch: kl_div: Integral inputs not supported.)`
        : `${op}: the target must be a float tensor (torch: ${logTarget ? 'exp' : 'log'}_vml_cpu not implemented for 'Long')`,
    );
  }
  // torch broadcasts target (tensor a) with input (tensor b) in its first binary op.
  const shape = broadcastInputTarget(op, target.shape, c.input.shape);
  checkElementCount(op, 'the broadcast loss', shape);
  // The dtype of the ops that mix input and target (a dimensioned tensor outranks a 0-d one).
  const dtype = resultType(c.input, target);
  return Object.assign(c, {
    dtype,
    round: useDType(dtype),
    lanes: sumLanes(dtype, c.torch, c.capability),
    target,
    logTarget,
    batchmean: read.batchmean,
    shape,
    inputDtype: (c.input.data instanceof Float32Array ? 'float32' : 'float64') as DType,
    targetDtype: (target.data instanceof Float32Array ? 'float32' : 'float64') as DType,
  });
}

type Args = ReturnType<typeof check>;

/** The target broadcast to the loss's shape: as it enters the mixed ops (cast to their dtype), and as its own ops read it. */
function targetValues(a: Args): { tP: ArrayLike<number>; tOwn: ArrayLike<number> } {
  const tOwn = expanded(a.target, a.shape);
  const cast = castTo(a.target, a.dtype);
  return { tOwn, tP: cast === a.target ? tOwn : expanded(cast, a.shape) };
}

/**
 * The kernels for input and target of one shape and one dtype (float32, or float64: exp and log
 * Math.exp / Math.log there under every capability); with the call's flags.
 */
function kernels(a: Args): { k: Float32Kernels; flags: Flag[] } | null {
  if (a.inputDtype !== a.dtype || a.targetDtype !== a.dtype) return null;
  if (!sameShape(a.input.shape, a.shape) || !sameShape(a.target.shape, a.shape)) return null;
  const k = kernelsFor(a.dtype);
  if (!k) return null;
  const flags: Flag[] = a.capability === 'default' ? ['USES_GLIBC'] : []; // float64: fdlibm's exp (else SLEEF's) in ../wasm/assembly/float64.ts
  if (a.logTarget) flags.push('LOG_TARGET');
  if (!a.torch.klDivIsComposite) flags.push('KL_DIV_WHERE');
  return { k, flags };
}

/** KL_DIV_GRAD over the input, `g` the one value of a reduction's gradient; norm: KL_DIV_WHERE's 'mean' divisor (else 0). */
function kernelGradient(a: Args, fast: { k: Float32Kernels; flags: Flag[] }, gradOutput: Tensor, g: number, norm: number): Tensor | null {
  const n = a.input.data.length;
  const none = a.reduction === 'none';
  return fast.k.tryRun(
    {
      op: 'KL_DIV_GRAD',
      input: a.input.data,
      classes: n,
      operands: {
        target: perElement(a.target, n),
        gradOutput: none
          ? gradOutputOperand(gradOutput, 'none', n)
          : { data: a.dtype === 'float32' ? new Float32Array([g]) : new Float64Array([g]), rowStride: 0, colStride: 0 },
      },
      flags: fast.flags,
      scalar: norm,
      results: 'elements',
    },
    'none',
    a.input.shape,
  );
}

/** F.kl_div: torch's reductions and 'batchmean'; `logTarget` for a target of log-probabilities. */
export function klDivLoss(input: Tensor, target: Tensor, options?: KlDivOptions): Tensor {
  const a = check(OP, { input, target }, options, true);
  const { shape, dtype, lanes, round: r } = a;
  const fast = kernels(a);
  const n0 = numel(shape);
  const reducedByKernel = fast?.k.tryRun(
    {
      op: 'KL_DIV',
      input: a.input.data,
      classes: n0,
      operands: { target: perElement(a.target, n0) },
      flags: fast.flags,
      results: 'elements',
      sumLanes: lanes,
    },
    a.reduction,
    shape,
  );
  if (reducedByKernel) return batchmeanOf(a, reducedByKernel);
  const x = expanded(castTo(input, dtype), shape);
  const { tP, tOwn } = targetValues(a);
  const n = x.length;
  const losses = allocate(dtype, n);
  // r(v) of a value of the target's dtype: its cast into the mixed op.
  if (a.logTarget) {
    const exp = expOp(a.targetDtype, a.capability);
    for (let i = 0; i < n; i++) losses[i] = r(r(exp(tOwn[i]!)) * r(tP[i]! - x[i]!));
  } else if (a.torch.klDivIsComposite) {
    const log = scalarLogOp(a.targetDtype);
    const rt = roundFor(a.targetDtype, dtype, r);
    for (let i = 0; i < n; i++) losses[i] = r(r(xlogx(tOwn[i]!, log, rt)) - r(tP[i]! * x[i]!));
  } else {
    const log = logOp(a.targetDtype, a.capability);
    for (let i = 0; i < n; i++) {
      const ti = tOwn[i]!;
      losses[i] = ti > 0 ? r(tP[i]! * r(r(log(ti)) - x[i]!)) : 0;
    }
  }
  return batchmeanOf(a, applyReduction(losses, shape, a.reduction, dtype, lanes, r));
}

/**
 * functional.py's `if reduction == "batchmean" and input.dim() != 0: reduced = reduced /
 * input.size()[0]`: of the sum, or of every loss where size_average / reduce made it 'none'.
 */
function batchmeanOf(a: Args, reduced: Tensor): Tensor {
  if (!a.batchmean || a.input.shape.length === 0) return reduced;
  const batch = a.input.shape[0]!;
  return makeTensor(
    reduced.data.map((v) => a.round(v / batch)),
    reduced.shape,
    a.dtype,
  );
}

/** torch 1.6 to 1.12: the checks kl_div_backward_cpu makes (grad.expand_as(input), CPU_tensor_apply3), in its order. */
function checkOldBackward(op: string, a: Args, gradShape: readonly number[]): void {
  const xs = a.input.shape;
  if (gradShape.length > xs.length) {
    throw new LossArgumentError(
      `${op}: torch < 1.13 expands the gradient to the input's shape and cannot (torch: expand(torch.${a.dtype === 'float32' ? 'Float' : 'Double'}Tensor{${formatShape(gradShape)}}, size=${formatShape(xs)}): the number of sizes provided (${xs.length}) must be greater or equal to the number of dimensions in the tensor (${gradShape.length}))`,
    );
  }
  for (let i = gradShape.length - 1; i >= 0; i--) {
    const j = xs.length - gradShape.length + i;
    const have = gradShape[i]!;
    if (have !== 1 && have !== xs[j]) {
      throw new LossArgumentError(
        `${op}: torch < 1.13 expands the gradient to the input's shape and cannot (torch: The expanded size of the tensor (${xs[j]}) must match the existing size (${have}) at non-singleton dimension ${j}.  Target sizes: ${formatShape(xs)}.  Tensor sizes: ${formatShape(gradShape)})`,
      );
    }
  }
  if (a.logTarget) return;
  const ts = a.target.shape;
  if (numel(ts) !== numel(xs)) {
    throw new LossArgumentError(
      `${op}: torch < 1.13 needs a target with the input's number of elements for the gradient (torch: inconsistent tensor size, expected ${formatShape(xs)}, ${formatShape(ts)}, and ${formatShape(xs)} to have the same number of elements, but got ${numel(xs)}, ${numel(ts)}, and ${numel(xs)} elements respectively)`,
    );
  }
  // CPU_tensor_apply3's preamble returns before touching the data of an empty tensor: no dtype check then.
  if (a.inputDtype !== a.targetDtype && numel(xs) > 0) {
    const name = (d: DType) => (d === 'float32' ? 'Float' : 'Double');
    throw new LossArgumentError(
      `${op}: torch < 1.13 needs a target of the input's dtype for the gradient (torch: expected scalar type ${name(a.inputDtype)} but found ${name(a.targetDtype)})`,
    );
  }
}

/** A gradient (in the promoted dtype, shaped `from`) as autograd hands it to the input: summed to its shape, cast to its dtype. */
function toInput(a: Args, grad: ArrayLike<number>, from: readonly number[] = a.shape): Tensor {
  const xs = a.input.shape;
  const out = sameShape(from, xs) ? grad : atenSumTo(grad, from, xs, a.dtype, a.lanes, a.round);
  return makeTensor(out, xs, a.inputDtype); // makeTensor casts to the input's dtype
}

/** d loss / d input for a gradOutput shaped like the forward output. */
export function klDivLossBackward(gradOutput: Tensor, input: Tensor, target: Tensor, options?: KlDivOptions): Tensor {
  const op = `${OP}Backward`;
  const a = check(op, { input, target, gradOutput }, options, false);
  const { shape, dtype, round: r, torch } = a;
  const none = a.reduction === 'none';
  checkGradOutput(op, gradOutput, none ? shape : []);
  // 'batchmean': DivBackward (grad / N) before the sum's backward (of every element where
  // size_average / reduce made it 'none')
  const divided = a.batchmean && input.shape.length > 0 ? batchmeanOf(a, gradOutput) : gradOutput;
  const go = divided.data;
  const { tP, tOwn } = targetValues(a);
  const n = tP.length;
  const g0 = go[0]!;
  if (!torch.klDivIsComposite) return oldBackward(op, { ...a, gradOutput: divided }, none ? go : null, g0, tOwn);
  const g = a.reduction === 'mean' ? r(g0 / n) : g0;
  const fast = gradOutput.data instanceof Float32Array || dtype === 'float64' ? kernels(a) : null;
  const byKernel = fast && kernelGradient(a, fast, divided, g, 0);
  if (byKernel) return byKernel;
  const grad = allocate(dtype, n);
  if (a.logTarget) {
    const exp = expOp(a.targetDtype, a.capability);
    for (let i = 0; i < n; i++) grad[i] = -r((none ? go[i]! : g) * r(exp(tOwn[i]!)));
  } else {
    for (let i = 0; i < n; i++) grad[i] = -r((none ? go[i]! : g) * tP[i]!);
  }
  return toInput(a, grad);
}

/** kl_div_backward_cpu (torch 1.6 to 1.12). `go`: the 'none' gradient (output-shaped), else null and `g` the scalar one. */
function oldBackward(op: string, a: Args, go: ArrayLike<number> | null, g: number, t: ArrayLike<number>): Tensor {
  checkOldBackward(op, a, go ? a.shape : []);
  const { dtype, round: r } = a;
  const norm = a.reduction === 'mean' ? numel(a.input.shape) : 0;
  // the float32 kernel divides by the float32 norm: only where that is the double one
  const fast =
    (a.gradOutput?.data instanceof Float32Array && Math.fround(norm) === norm) || (dtype === 'float64' && a.gradOutput) ? kernels(a) : null;
  const byKernel = fast && kernelGradient(a, fast, a.gradOutput!, g, norm);
  if (byKernel) return byKernel;
  if (a.logTarget) {
    // -exp(target) * grad_expand: over broadcast(target, input), then summed to the input's shape.
    const n = t.length;
    const grad = allocate(dtype, n);
    const exp = expOp(a.targetDtype, a.capability);
    for (let i = 0; i < n; i++) {
      const v = -r(r(exp(t[i]!)) * (go ? go[i]! : g));
      grad[i] = norm ? r(v / norm) : v;
    }
    return toInput(a, grad);
  }
  // Input-shaped; the target paired with the input element by element (equal numel), zero where target <= 0.
  const td = a.target.data;
  const n = td.length;
  const grad = allocate(dtype, n);
  for (let i = 0; i < n; i++) {
    const ti = td[i]!;
    if (!(ti > 0)) continue;
    const v = -r(ti * (go ? go[i]! : g));
    grad[i] = norm ? r(v / norm) : v;
  }
  return toInput(a, grad, a.input.shape);
}

/** nn.KLDivLoss: the options fixed at construction, as torch's module. */
export const KLDivLoss = lossModule<KlDivOptions, Tensor>('KLDivLoss', klDivLoss, klDivLossBackward);
export type KLDivLoss = InstanceType<typeof KLDivLoss>;
