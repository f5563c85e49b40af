// Argument checks every loss shares. They all run before any arithmetic, in torch's order (the
// Python signature, then torch/nn/functional.py, then ATen), and every message names the op and
// the argument. Options are read once each, into locals: what was checked is what is used.

import {
  LossArgumentError,
  checkAnyTensor,
  checkTensor,
  dtypeOf,
  formatShape,
  isIndexTensor,
  toFloatTensor,
  type DType,
  type IndexTensor,
  type Tensor,
} from './tensor.ts';
import { useDType, type Round } from './numerics.ts';
import { CPU_CAPABILITIES, sumLanes, torchRelease, type CpuCapability, type TorchRelease } from './torch-version.ts';
import { warn } from './warnings.ts';

export type Reduction = 'none' | 'mean' | 'sum';
export const REDUCTIONS: readonly Reduction[] = ['none', 'mean', 'sum'];

export interface CommonOptions {
  /** 'elementwise_mean' is torch's deprecated spelling of 'mean' (torch/nn/_reduction.py get_enum). */
  reduction?: Reduction | 'elementwise_mean';
  /** The torch release whose arithmetic to follow (a torch.__version__ string); default the newest. */
  torchVersion?: string;
  /** The ATEN_CPU_CAPABILITY torch ran with; default what that release picks on an AVX-512 machine. */
  cpuCapability?: CpuCapability;
  /**
   * torch's deprecated size_average and reduce keywords of F.<loss> (null is None): either given
   * sets the reduction (_Reduction.legacy_get_string: reduce false gives 'none', else size_average
   * false 'sum', else 'mean'), with torch's UserWarning. huberLoss, gaussianNllLoss, ctcLoss and
   * tripletMarginWithDistanceLoss take neither (a TypeError, as torch's unexpected keyword).
   */
  sizeAverage?: boolean | null;
  reduce?: boolean | null;
}

/** The tensor options a loss takes besides its positional tensors. */
export type TensorOption = 'weight' | 'posWeight';

/**
 * How a loss takes its target: 'float' (a float tensor; torch rejects torch.long), 'float or
 * integer' (torch.long is converted to the input's dtype, as ATen's type promotion does) or
 * 'class indices' (torch.long only).
 */
export type TargetKind = 'float' | 'float or integer' | 'class indices';

export interface LossSignature {
  readonly tensorOptions: readonly TensorOption[];
  readonly target: TargetKind;
  /**
   * multilabel_soft_margin_loss checks its reduction in Python after computing the loss
   * (functional.py: `raise ValueError(reduction + " is not valid")`), so after the shape checks;
   * every other loss calls _Reduction.get_enum first.
   */
  readonly reductionCheckedLast?: boolean;
  /**
   * An invalid reduction (parsed as _Reduction.get_enum does) comes back in Checked.reductionError
   * instead of being thrown, for a loss whose functional.py validates it after shape checks in some
   * releases (nll_loss before 1.9); the loss throws it where that release does.
   */
  readonly reductionDeferred?: boolean;
  /**
   * The loss's other options by their camelCase names (torch's keyword names: ignore_index ->
   * ignoreIndex), read once each into Checked.extra; the loss validates them in torch's order.
   */
  readonly options?: readonly string[];
  /**
   * false for the losses whose functional.py takes no size_average / reduce (huber_loss,
   * gaussian_nll_loss, ctc_loss, triplet_margin_with_distance_loss): there sizeAverage and reduce
   * are unknown options, as torch's "unexpected keyword argument".
   */
  readonly legacyReduction?: false;
}

export interface Prepared {
  readonly reduction: Reduction;
  readonly torch: TorchRelease;
  /** float64 if any float tensor argument is float64 (torch's type promotion), else float32. */
  readonly dtype: DType;
  readonly round: Round;
  /** Vector width of ATen's sum kernel for this dtype (sets float summation order). */
  readonly lanes: number;
  readonly capability: CpuCapability;
}

/** What prepare checked: the arguments and options as read (once), and the op's dtype. */
export interface Checked<Target> extends Prepared {
  readonly input: Tensor;
  /** 'float or integer': converted to the dtype; otherwise as given (the loss checks its dtype in torch's order). */
  readonly target: Target;
  readonly gradOutput: Tensor | null;
  readonly weight: Tensor | null;
  readonly posWeight: Tensor | null;
  /** With reductionCheckedLast or reductionDeferred, the error an invalid reduction raises, for the loss to throw where torch does. */
  readonly reductionError: LossArgumentError | null;
  /**
   * The reduction option as given (read once; undefined when absent), or the one sizeAverage and
   * reduce give, for a loss whose Python code compares it itself (mse_loss with weight).
   */
  readonly reductionGiven: unknown;
  /** sizeAverage or reduce was given (not null): they set the reduction, as functional.py's legacy_get_string. */
  readonly legacyReduction: boolean;
  /** The signature's `options`, each as read (once); undefined when not given. */
  readonly extra: Readonly<Record<string, unknown>>;
}

type TargetOf<S extends LossSignature> = S['target'] extends 'float or integer' ? Tensor : Tensor | IndexTensor;

const COMMON_OPTIONS = ['reduction', 'torchVersion', 'cpuCapability'] as const;

/**
 * Checks a loss call: the options object (each option read once), the tensors (a backward passes
 * `gradOutput`, and then it is required), the reduction, torchVersion and cpuCapability; returns
 * them with the dtype the op computes in.
 */
export function prepare<S extends LossSignature>(
  op: string,
  signature: S,
  args: { input: unknown; target: unknown; gradOutput?: unknown },
  options: unknown,
): Checked<TargetOf<S>> {
  const legacyNames = signature.legacyReduction === false ? [] : LEGACY_OPTIONS;
  const opts = readOptions(op, options, signature.tensorOptions, [...(signature.options ?? []), ...legacyNames]);
  // Python binds and type-checks the arguments before functional.py runs.
  checkTensor(args.input, op, 'input');
  checkAnyTensor(args.target, op, 'target');
  const gradOutput = 'gradOutput' in args ? args.gradOutput : undefined;
  if ('gradOutput' in args) checkTensor(gradOutput, op, 'gradOutput');
  const weight = optionalTensor(opts.weight, op, 'weight');
  const posWeight = optionalTensor(opts.posWeight, op, 'posWeight');
  // functional.py: `if size_average is not None or reduce is not None: reduction =
  // _Reduction.legacy_get_string(size_average, reduce)` first, so the reduction given is not read
  const legacy = legacyNames.length > 0 ? legacyOption(op, opts.extra.sizeAverage, opts.extra.reduce) : null;
  const reduction = legacy ?? parseReduction(op, opts.reduction, signature.reductionCheckedLast === true);
  if (reduction instanceof LossArgumentError && !signature.reductionCheckedLast && !signature.reductionDeferred) throw reduction;
  const torch = torchRelease(opts.torchVersion as string | undefined, op);
  if (legacy) warn(`size_average and reduce args will be deprecated, please use reduction='${legacy}' instead.`, 'UserWarning');
  if (!legacy && opts.reduction === 'elementwise_mean' && !(reduction instanceof LossArgumentError)) {
    warn(
      torch.elementwiseMeanWarningIsTwoSentences
        ? "reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead."
        : "reduction='elementwise_mean' is deprecated, please use reduction='mean' instead.",
      'DeprecationWarning',
    );
  }
  const capability = opts.cpuCapability === undefined ? torch.defaultCpuCapability : opts.cpuCapability;
  if (!CPU_CAPABILITIES.includes(capability as CpuCapability)) {
    throw new LossArgumentError(
      `${op}: cpuCapability ${JSON.stringify(capability)} is not one of ${CPU_CAPABILITIES.join(', ')}`,
      'ValueError',
    );
  }
  const input = args.input;
  const target = args.target;
  const dtype: DType =
    isFloat64(input) || isFloat64(target) || isFloat64(gradOutput as Tensor | undefined) || isFloat64(weight) || isFloat64(posWeight)
      ? 'float64'
      : 'float32';
  const converted = signature.target === 'float or integer' && isIndexTensor(target) ? toFloatTensor(target, dtype) : target;
  return {
    reduction: reduction instanceof LossArgumentError ? 'mean' : reduction,
    reductionError: reduction instanceof LossArgumentError ? reduction : null,
    reductionGiven: legacy ?? opts.reduction,
    legacyReduction: legacy !== null,
    torch,
    dtype,
    round: useDType(dtype),
    lanes: sumLanes(dtype, torch, capability as CpuCapability),
    capability: capability as CpuCapability,
    input,
    target: converted as TargetOf<S>,
    gradOutput: (gradOutput as Tensor | undefined) ?? null,
    weight,
    posWeight,
    extra: opts.extra,
  };
}

/** torch's type promotion: float64 if any float tensor argument is. */
function isFloat64(t: Tensor | IndexTensor | null | undefined): boolean {
  return t !== null && t !== undefined && t.data instanceof Float64Array;
}

/** A tensor option: absent when undefined or null (torch's None), else a Tensor. */
function optionalTensor(value: unknown, op: string, arg: string): Tensor | null {
  if (value === undefined || value === null) return null;
  checkTensor(value, op, arg);
  return value;
}

interface ReadOptions {
  readonly reduction: unknown;
  readonly torchVersion: unknown;
  readonly cpuCapability: unknown;
  readonly weight: unknown;
  readonly posWeight: unknown;
  readonly extra: Readonly<Record<string, unknown>>;
}

const NO_OPTIONS: ReadOptions = Object.freeze({
  reduction: undefined,
  torchVersion: undefined,
  cpuCapability: undefined,
  weight: undefined,
  posWeight: undefined,
  extra: Object.freeze({}),
});

/** Each option read once (a getter may answer differently each time); unknown names rejected. */
function readOptions(op: string, options: unknown, tensorOptions: readonly TensorOption[], extraNames: readonly string[]): ReadOptions {
  if (options === undefined) return NO_OPTIONS;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    const found = options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options;
    throw new LossArgumentError(`${op}: options must be an object, got ${found}`, 'TypeError');
  }
  const given = options as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (
      !(COMMON_OPTIONS as readonly string[]).includes(key) &&
      !(tensorOptions as readonly string[]).includes(key) &&
      !extraNames.includes(key) &&
      given[key] !== undefined
    ) {
      throw new LossArgumentError(
        `${op}: unknown option '${key}' (expected ${[...tensorOptions, ...extraNames, ...COMMON_OPTIONS].join(', ')})`,
        'TypeError',
      );
    }
  }
  return {
    reduction: given.reduction,
    torchVersion: given.torchVersion,
    cpuCapability: given.cpuCapability,
    weight: tensorOptions.includes('weight') ? given.weight : undefined,
    posWeight: tensorOptions.includes('posWeight') ? given.posWeight : undefined,
    extra: extraOptions(given, extraNames),
  };
}

/** The loss's own options, by name (a loop of plain stores: Object.freeze(Object.fromEntries(...)) made a slow object, ~0.5 us of mse_loss's call at 1e3). */
function extraOptions(given: Record<string, unknown>, names: readonly string[]): Readonly<Record<string, unknown>> {
  const extra: Record<string, unknown> = {};
  for (const name of names) extra[name] = given[name];
  return extra;
}

/** Python's str() of an option value as torch's messages show it (null is None; other objects as JSON). */
function pythonStr(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
  return JSON.stringify(value) ?? String(value);
}

/** What reduction was given, for a message: JSON (a string in quotes), or undefined/null as such. */
function given(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** Python's TypeError for `value + " is not valid"` on a non-string value. */
function pythonConcatError(value: unknown): string {
  if (Array.isArray(value)) return 'can only concatenate list (not "str") to list';
  const number = Number.isInteger(value) ? 'int' : 'float';
  const types: Record<string, string> = { boolean: 'bool', number, bigint: 'int', object: 'dict' };
  const type = value === null ? 'NoneType' : (types[typeof value] ?? typeof value);
  return `unsupported operand type(s) for +: '${type}' and 'str'`;
}

/**
 * torch/nn/_reduction.py get_enum: 'none', 'mean', 'sum', and 'elementwise_mean' as 'mean' (with
 * torch's deprecation warning, once); anything else (None included) is a ValueError, returned for
 * the caller to throw when torch would. `inPython`:
 * multilabel_soft_margin_loss's own check, which knows no 'elementwise_mean' and raises TypeError
 * for a non-string (`reduction + " is not valid"`).
 */
function parseReduction(op: string, value: unknown, inPython: boolean): Reduction | LossArgumentError {
  if (value === undefined) return 'mean';
  if (REDUCTIONS.includes(value as Reduction)) return value as Reduction;
  if (inPython) {
    if (typeof value !== 'string') {
      return new LossArgumentError(
        `${op}: ${pythonConcatError(value)} (functional.py: reduction + " is not valid"; reduction must be 'none', 'mean' or 'sum', got ${given(value)})`,
        'TypeError',
      );
    }
    return new LossArgumentError(
      `${op}: ${value} is not valid (reduction must be 'none', 'mean' or 'sum', got ${given(value)})`,
      'ValueError',
    );
  }
  if (value === 'elementwise_mean') {
    return 'mean'; // prepare warns, in the words of the release
  }
  return new LossArgumentError(
    `${op}: ${pythonStr(value)} is not a valid value for reduction (reduction must be 'none', 'mean' or 'sum', got ${given(value)})`,
    'ValueError',
  );
}

/** The deprecated size_average and reduce, as options of the functions (torch's keywords of F.<loss>). */
const LEGACY_OPTIONS = ['sizeAverage', 'reduce'] as const;

/**
 * sizeAverage and reduce as the functions and the module classes take them (`op` names the one in
 * errors): the reduction they give, or null when neither is given (both null or absent).
 */
export function legacyOption(op: string, sizeAverage: unknown, reduce: unknown): Reduction | null {
  for (const [name, value] of [
    ['sizeAverage', sizeAverage],
    ['reduce', reduce],
  ] as const) {
    if (value !== undefined && value !== null && typeof value !== 'boolean')
      throw new LossArgumentError(`${op}: ${name} must be a boolean (or null), got ${typeof value}`, 'TypeError');
  }
  if ((sizeAverage ?? null) === null && (reduce ?? null) === null) return null;
  return legacyReduction(sizeAverage as boolean | null | undefined, reduce as boolean | null | undefined);
}

/**
 * torch/nn/_reduction.py legacy_get_string: the module classes' deprecated size_average and
 * reduce (None when absent, as in torch) to a reduction. reduce=False gives 'none' whatever
 * size_average says.
 */
export function legacyReduction(sizeAverage: boolean | null | undefined, reduce: boolean | null | undefined): Reduction {
  const average = sizeAverage ?? true;
  if (!(reduce ?? true)) return 'none';
  return average ? 'mean' : 'sum';
}

/** torch's name of a dtype in its messages. */
export function torchDTypeName(t: Tensor | IndexTensor): 'Float' | 'Double' | 'Long' {
  return isIndexTensor(t) ? 'Long' : dtypeOf(t) === 'float64' ? 'Double' : 'Float';
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** A shape as Python prints a torch.Size: torch.Size([2, 3]). */
export function torchSize(shape: readonly number[]): string {
  return `torch.Size(${formatShape(shape)})`;
}

/**
 * The BCE losses' functional.py check: the target must have the input's shape (a ValueError).
 * `torchMessage` is the loss's own wording, given both sizes as torch.Size strings; the default is
 * binary_cross_entropy_with_logits'.
 */
export function checkTargetShapeEqualsInput(
  op: string,
  target: { readonly shape: readonly number[] },
  input: Tensor,
  torchMessage: (targetSize: string, inputSize: string) => string = (t, i) => `Target size (${t}) must be the same as input size (${i})`,
): void {
  if (!sameShape(target.shape, input.shape)) {
    throw new LossArgumentError(`${op}: ${torchMessage(torchSize(target.shape), torchSize(input.shape))}`, 'ValueError');
  }
}

/** A backward's gradOutput must have the forward output's shape. */
export function checkGradOutput(op: string, gradOutput: Tensor, outputShape: readonly number[]): void {
  if (!sameShape(gradOutput.shape, outputShape)) {
    throw new LossArgumentError(
      `${op}: gradOutput shape ${formatShape(gradOutput.shape)} must equal the forward output's shape ${formatShape(outputShape)} ` +
        `(torch.autograd: Mismatch in shape: grad_output[0] has a shape of ${torchSize(gradOutput.shape)} and output[0] has a shape of ${torchSize(outputShape)}.)`,
    );
  }
}

/**
 * An options object as a plain copy, each option read once: its own keys (what prepare checks for
 * unknown names) and, where not own, the `names` a loss reads (a getter on a prototype is read once
 * too). Anything else (undefined, null, an array, a primitive) is returned as it is, for prepare to
 * accept or reject. For a loss that looks at an option before prepare (kl_div's 'batchmean').
 */
export function copyOptions(options: unknown, names: readonly string[]): unknown {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) return options;
  const given = options as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(given)) copy[key] = given[key];
  for (const name of names) {
    if (Object.hasOwn(copy, name)) continue;
    const value = given[name];
    if (value !== undefined) copy[name] = value;
  }
  return copy;
}

/**
 * The release a call's options name (torchVersion; the newest when absent), or null where the options
 * or the version are malformed (prepare reports those): for a loss a release lacks, whose
 * AttributeError (module 'torch.nn.functional' has no attribute ...) comes before Python binds or checks
 * any argument. Pass a copyOptions copy, so that prepare reads the same values.
 */
export function releaseNamed(op: string, options: unknown): TorchRelease | null {
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) return null;
  const version = options === undefined ? undefined : (options as { torchVersion?: unknown }).torchVersion;
  if (version !== undefined && typeof version !== 'string') return null;
  try {
    return torchRelease(version, op);
  } catch {
    return null;
  }
}
