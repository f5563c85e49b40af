// nn.PoissonNLLLoss / F.poisson_nll_loss, forward and input gradient.
//
// functional.py checks the reduction itself (reduction + " is not valid"; from 2.0 "... is not a
// valid value for reduction": a ValueError, a TypeError for a non-string), then the argument parser
// (log_input and full must be bool, eps a float), then ATen's composite
// (aten/src/ATen/native/Loss.cpp poisson_nll_loss, the same in torch 1.7 to 2.14), op by op:
//   log_input: loss = exp(input) - target * input
//   else:      loss = input - target * log(input + eps)          (eps a double Scalar: rounded to the dtype)
//   full:      stirling = target * log(target) - target + 0.5 * log(2 * pi * target)
//                (2 * c10::pi<double> is a double Scalar, rounded to the target's dtype before the multiply)
//              loss += stirling.masked_fill(target <= 1, 0)
//   then apply_loss_reduction (mean: sum / numel; ATen's cascade sum). Broadcasts input and target.
// exp and log are ATen's vectorized ops (SLEEF under avx2 / avx512, glibc under 'default':
// ../unary-ops.ts). Ops on one tensor run in its dtype (an int64 target's log in float32, the
// default dtype; before 1.8 it raised "log_vml_cpu not implemented for 'Long'"), the rest promoted.
//
// Backward, autograd through those ops (the Stirling term has no gradient):
//   MeanBackward g / numel;  log_input: SubBackward gives exp(input) g (ExpBackward: grad * result)
//   and -g, MulBackward (-g) * target;  else SubBackward g and -g, MulBackward (-g) * target,
//   LogBackward / (input + eps), AddBackward passes it on. Each path's gradient is summed to the
//   input's shape (ATen's order) and cast to the input's dtype where it enters its node, and the two
//   paths are added (the engine's InputBuffer) in the input's dtype.
// float32 input and target of one shape run as WebAssembly SIMD (../wasm/assembly/kernels.ts
// POISSON_NLL, POISSON_NLL_GRAD: the same ops lane-wise, exp and log SLEEF's or glibc's bit for bit).

import {
  LossArgumentError,
  allocate,
  checkElementCount,
  isIndexTensor,
  toFloatTensor,
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
import { expOp, logOp } from '../unary-ops.ts';
import { gradOutputOperand, kernelsFor, perElement, type Flag, type Float32Kernels } from '../wasm/float32-kernels.ts';

export interface PoissonNllOptions extends CommonOptions {
  /** The input is the log of the rate (default true): exp(input) - target * input. */
  logInput?: boolean;
  /** Add the Stirling approximation term for targets > 1 (default false). */
  full?: boolean;
  /** Added to the input before its log when logInput is false (default 1e-8). */
  eps?: number;
}

const OP = 'poissonNllLoss';
const SIGNATURE = {
  tensorOptions: [],
  target: 'float or integer',
  // functional.py validates the reduction itself (no 'elementwise_mean'), before the argument parser.
  reductionCheckedLast: true,
  options: ['logInput', 'full', 'eps'],
} as const satisfies LossSignature;

const OPTION_NAMES = ['reduction', 'torchVersion', 'cpuCapability', 'logInput', 'full', 'eps'];
const TWO_PI = 2 * Math.PI; // 2 * c10::pi<double>

/** Python's type name of a JS value, as the argument parser's TypeError shows it. */
function pythonTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string') return 'str';
  if (Array.isArray(value)) return 'list';
  return typeof value === 'object' ? ((value as object).constructor?.name ?? 'object') : typeof value;
}

function flag(op: string, name: string, torchName: string, position: number, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new LossArgumentError(
      `${op}: ${name} must be a boolean (torch: poisson_nll_loss(): argument '${torchName}' (position ${position}) must be bool, not ${pythonTypeName(value)})`,
      'TypeError',
    );
  }
  return value;
}

function check(
  op: string,
  args: { input: Tensor; target: Tensor | IndexTensor; gradOutput?: Tensor },
  options: PoissonNllOptions | undefined,
) {
  // One plain copy of the options (each getter read once), so that the reduction can be quoted as torch does.
  const copy = copyOptions(options, OPTION_NAMES);
  const integerTarget = isIndexTensor(args.target);
  const c = prepare(op, SIGNATURE, args, copy);
  const torch = c.torch;
  if (c.reductionError) {
    const value = (copy as { reduction?: unknown }).reduction;
    if (typeof value !== 'string') throw c.reductionError;
    throw new LossArgumentError(
      torch.poissonNllReductionErrorSaysValidValue
        ? `${op}: ${value} is not a valid value for reduction (expected 'none', 'mean' or 'sum')`
        : `${op}: ${value} is not valid (expected 'none', 'mean' or 'sum')`,
      'ValueError',
    );
  }
  const logInput = flag(op, 'logInput', 'log_input', 3, c.extra.logInput, true);
  const full = flag(op, 'full', 'full', 4, c.extra.full, false);
  let eps = c.extra.eps;
  if (eps === undefined) eps = 1e-8;
  else if (typeof eps === 'boolean') eps = Number(eps);
  else if (typeof eps !== 'number') {
    throw new LossArgumentError(
      `${op}: eps must be a number (torch: poisson_nll_loss(): argument 'eps' (position 5) must be float, not ${pythonTypeName(eps)})`,
      'TypeError',
    );
  }
  // torch broadcasts target (tensor a) with input (tensor b) in target * input / target * log(input + eps).
  const shape = broadcastInputTarget(op, c.target.shape, c.input.shape);
  checkElementCount(op, 'the broadcast loss', shape);
  if (full && integerTarget && !torch.logPromotesIntegerTensors) {
    throw new LossArgumentError(`${op}: full needs a float target before torch 1.8 (torch: log_vml_cpu not implemented for 'Long')`);
  }
  const inputDtype: DType = c.input.data instanceof Float32Array ? 'float32' : 'float64';
  // The dtype of the ops that mix input and target (a dimensioned tensor outranks a 0-d one; an
  // int64 target takes the input's), and that of the target's own ops (log, the Stirling term):
  // an int64 target's is float32, the default dtype.
  const dtype = resultType(c.input, args.target);
  const target = integerTarget ? toFloatTensor(args.target as IndexTensor, dtype) : (args.target as Tensor);
  const targetDtype: DType = integerTarget || target.data instanceof Float32Array ? 'float32' : 'float64';
  return Object.assign(c, {
    dtype,
    round: useDType(dtype),
    lanes: sumLanes(dtype, c.torch, c.capability),
    target,
    logInput,
    full,
    eps: eps as number,
    shape,
    inputDtype,
    targetDtype,
  });
}

type Args = ReturnType<typeof check>;

/** The target broadcast to the loss's shape: as it enters the mixed ops (cast to their dtype), and as its own ops read it. */
function targetValues(a: Args): { tP: ArrayLike<number>; tOwn: ArrayLike<number> } {
  const tOwn = expanded(a.target, a.shape);
  const cast = castTo(a.target, a.dtype);
  return { tOwn, tP: cast === a.target ? tOwn : expanded(cast, a.shape) };
}

/** The kernels, for input and target (as its ops read it) of one float dtype and one shape; with the call's flags. */
function kernels(a: Args): { k: Float32Kernels; flags: Flag[] } | null {
  const floats = a.dtype === 'float32' ? Float32Array : Float64Array;
  if (a.inputDtype !== a.dtype || a.targetDtype !== a.dtype || !(a.target.data instanceof floats)) return null;
  if (!sameShape(a.input.shape, a.shape) || !sameShape(a.target.shape, a.shape)) return null;
  const k = kernelsFor(a.dtype); // float64: ../wasm/float64-kernels.ts (log_input without full; null for the rest)
  if (!k) return null;
  const flags: Flag[] = a.capability === 'default' ? ['USES_GLIBC'] : [];
  if (a.logInput) flags.push('LOG_INPUT');
  if (a.full) flags.push('FULL');
  return { k, flags };
}

/** F.poisson_nll_loss. An int64 target (an IndexTensor) is converted as torch promotes it. */
export function poissonNllLoss(input: Tensor, target: Tensor | IndexTensor, options?: PoissonNllOptions): Tensor {
  const a = check(OP, { input, target }, options);
  const { shape, dtype, lanes, round: r, capability } = a;
  const fast = kernels(a);
  if (fast) {
    const n = a.input.data.length;
    const out = fast.k.tryRun(
      {
        op: 'POISSON_NLL',
        input: a.input.data,
        classes: n,
        operands: { target: perElement(a.target, n) },
        flags: fast.flags,
        scalar: dtype === 'float32' ? Math.fround(a.eps) : a.eps,
        results: 'elements',
        sumLanes: lanes,
      },
      a.reduction,
      shape,
    );
    if (out) return out;
  }
  // The input as its own ops read it (exp, + eps, log) and as it enters the mixed ops.
  const xOwn = expanded(input, shape);
  const xCast = castTo(input, dtype);
  const x = xCast === input ? xOwn : expanded(xCast, shape);
  const { tP, tOwn } = targetValues(a);
  const n = x.length;
  const losses = allocate(dtype, n);
  const rx = roundFor(a.inputDtype, dtype, r);
  // r(v) of a value of one argument's own dtype: its cast into the mixed op.
  if (a.logInput) {
    const exp = expOp(a.inputDtype, capability);
    for (let i = 0; i < n; i++) losses[i] = r(r(exp(xOwn[i]!)) - r(tP[i]! * x[i]!));
  } else {
    const log = logOp(a.inputDtype, capability);
    const eps = rx(a.eps);
    for (let i = 0; i < n; i++) losses[i] = r(x[i]! - r(tP[i]! * r(log(rx(xOwn[i]! + eps)))));
  }
  if (a.full) {
    const rs = roundFor(a.targetDtype, dtype, r);
    const log = logOp(a.targetDtype, capability);
    const twoPi = rs(TWO_PI);
    for (let i = 0; i < n; i++) {
      const ti = rs(tOwn[i]!); // an int64 target as the float32 its log reads
      if (ti <= 1) continue; // masked_fill(target <= 1, 0) adds 0
      const stirling = rs(rs(rs(ti * log(ti)) - ti) + rs(0.5 * log(rs(twoPi * ti))));
      losses[i] = r(losses[i]! + r(stirling));
    }
  }
  return applyReduction(losses, shape, a.reduction, dtype, lanes, r);
}

/** `grad` (shaped as the broadcast loss, in the promoted dtype) summed to the input's shape and cast to its dtype. */
function toInputShape(a: Args, grad: ArrayLike<number>): ArrayLike<number> {
  const xs = a.input.shape;
  const out = sameShape(a.shape, xs) ? grad : atenSumTo(grad, a.shape, xs, a.dtype, a.lanes, a.round);
  return a.inputDtype === 'float32' && a.dtype === 'float64' ? Float32Array.from(out) : out;
}

/** d loss / d input for a gradOutput shaped like the forward output. */
export function poissonNllLossBackward(
  gradOutput: Tensor,
  input: Tensor,
  target: Tensor | IndexTensor,
  options?: PoissonNllOptions,
): Tensor {
  const op = `${OP}Backward`;
  const a = check(op, { input, target, gradOutput }, options);
  const { shape, dtype, round: r, capability } = a;
  const none = a.reduction === 'none';
  checkGradOutput(op, gradOutput, none ? shape : []);
  const go = gradOutput.data;
  const { tP: t } = targetValues(a);
  const n = t.length;
  const g = a.reduction === 'mean' ? r(go[0]! / n) : go[0]!;
  const x = input.data;
  const m = x.length;
  const fast = kernels(a);
  if (fast && gradOutput.data instanceof (dtype === 'float32' ? Float32Array : Float64Array)) {
    const out = fast.k.tryRun(
      {
        op: 'POISSON_NLL_GRAD',
        input: x,
        classes: m,
        operands: {
          target: perElement(a.target, m),
          gradOutput: none
            ? gradOutputOperand(gradOutput, 'none', m)
            : { data: dtype === 'float32' ? new Float32Array([g]) : new Float64Array([g]), rowStride: 0, colStride: 0 },
        },
        flags: fast.flags.filter((f) => f !== 'FULL'),
        scalar: dtype === 'float32' ? Math.fround(a.eps) : a.eps,
        results: 'elements',
      },
      'none',
      input.shape,
    );
    if (out) return out;
  }
  const rx = roundFor(a.inputDtype, dtype, r);
  const grad = allocate(a.inputDtype, m);
  if (sameShape(shape, input.shape) && a.inputDtype === dtype) {
    // No broadcast, one dtype: both paths element by element.
    if (a.logInput) {
      const exp = expOp(a.inputDtype, capability);
      for (let i = 0; i < m; i++) {
        const gi = none ? go[i]! : g;
        grad[i] = r(r(gi * exp(x[i]!)) + r(-gi * t[i]!));
      }
    } else {
      const eps = r(a.eps);
      for (let i = 0; i < m; i++) {
        const gi = none ? go[i]! : g;
        grad[i] = r(gi + r(r(-gi * t[i]!) / r(x[i]! + eps)));
      }
    }
    return makeTensor(grad, input.shape, a.inputDtype);
  }
  // The direct path (g) and the path through target * (...) ((-g) * target), each summed to the input's shape.
  const direct = allocate(dtype, n);
  const scaled = allocate(dtype, n);
  for (let i = 0; i < n; i++) {
    const gi = none ? go[i]! : g;
    direct[i] = gi;
    scaled[i] = r(-gi * t[i]!);
  }
  const gDirect = toInputShape(a, direct);
  const gScaled = toInputShape(a, scaled);
  if (a.logInput) {
    const exp = expOp(a.inputDtype, capability);
    for (let i = 0; i < m; i++) grad[i] = rx(rx(gDirect[i]! * exp(x[i]!)) + gScaled[i]!);
  } else {
    const eps = rx(a.eps);
    for (let i = 0; i < m; i++) grad[i] = rx(gDirect[i]! + rx(gScaled[i]! / rx(x[i]! + eps)));
  }
  return makeTensor(grad, input.shape, a.inputDtype);
}

/** nn.PoissonNLLLoss: the options fixed at construction, as torch's module. */
export const PoissonNLLLoss = lossModule<PoissonNllOptions, Tensor | IndexTensor>('PoissonNLLLoss', poissonNllLoss, poissonNllLossBackward);
export type PoissonNLLLoss = InstanceType<typeof PoissonNLLLoss>;
