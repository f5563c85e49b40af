// torch.nn-style module classes: the options fixed at construction, forward and backward calls.

import { legacyOption } from './loss-args.ts';
import { LossArgumentError, type Tensor } from './tensor.ts';

/** The module classes' deprecated size_average and reduce (torch.nn.modules.loss._Loss), None when absent. */
export interface LegacyReductionOptions {
  sizeAverage?: boolean | null;
  reduce?: boolean | null;
}

export interface LossModule<Options, Target> {
  /** The options as read at construction: a frozen copy (tensors in it kept by reference, as torch keeps its buffers). */
  readonly options: Readonly<Options>;
  forward(input: Tensor, target: Target): Tensor;
  backward(gradOutput: Tensor, input: Tensor, target: Target): Tensor;
}

/**
 * The options a module keeps: each read once into a frozen copy, so that later changes to the
 * caller's object do not reach the module. As torch's _Loss.__init__, a sizeAverage or reduce that
 * is given (not null) replaces reduction with _Reduction.legacy_get_string(size_average, reduce).
 */
function moduleOptions<Options>(name: string, options: unknown): Readonly<Options> {
  if (options === undefined) return Object.freeze({}) as Readonly<Options>;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new LossArgumentError(
      `${name}: options must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`,
      'TypeError',
    );
  }
  const { sizeAverage, reduce, ...rest } = options as Record<string, unknown>;
  const legacy = legacyOption(name, sizeAverage, reduce);
  if (legacy) rest.reduction = legacy;
  return Object.freeze(rest) as Readonly<Options>;
}

/** A module class over a loss function and its backward, e.g. nn.BCEWithLogitsLoss. */
export function lossModule<Options, Target>(
  name: string,
  forward: (input: Tensor, target: Target, options?: Options) => Tensor,
  backward: (gradOutput: Tensor, input: Tensor, target: Target, options?: Options) => Tensor,
): new (
  options?: Options & LegacyReductionOptions,
) => LossModule<Options, Target> {
  const module = class {
    readonly options: Readonly<Options>;
    constructor(options?: Options & LegacyReductionOptions) {
      this.options = moduleOptions<Options>(name, options);
    }
    forward(input: Tensor, target: Target): Tensor {
      return forward(input, target, this.options as Options);
    }
    backward(gradOutput: Tensor, input: Tensor, target: Target): Tensor {
      return backward(gradOutput, input, target, this.options as Options);
    }
  };
  Object.defineProperty(module, 'name', { value: name });
  return module;
}

/** A module over a loss of three tensors (input, target and a third, e.g. GaussianNLLLoss's var). */
export interface LossModule3<Options, Target, Third, Grads> {
  /** The options as read at construction: a frozen copy. */
  readonly options: Readonly<Options>;
  forward(input: Tensor, target: Target, third: Third): Tensor;
  backward(gradOutput: Tensor, input: Tensor, target: Target, third: Third): Grads;
}

/**
 * A module class over a three-tensor loss, e.g. nn.GaussianNLLLoss(input, target, var). Its
 * __init__ takes no size_average / reduce (torch: "got an unexpected keyword argument"), so
 * sizeAverage and reduce are TypeErrors here, unless `legacyReduction` (nn.MarginRankingLoss's
 * __init__ takes them, as lossModule's losses do).
 */
export function lossModule3<Options, Target, Third, Grads>(
  name: string,
  forward: (input: Tensor, target: Target, third: Third, options?: Options) => Tensor,
  backward: (gradOutput: Tensor, input: Tensor, target: Target, third: Third, options?: Options) => Grads,
  legacyReduction = false,
): new (
  options?: Options & LegacyReductionOptions,
) => LossModule3<Options, Target, Third, Grads> {
  const module = class {
    readonly options: Readonly<Options>;
    constructor(options?: Options) {
      for (const [key, torchName] of [
        ['sizeAverage', 'size_average'],
        ['reduce', 'reduce'],
      ] as const) {
        if (
          !legacyReduction &&
          options !== null &&
          typeof options === 'object' &&
          (options as Record<string, unknown>)[key] !== undefined
        ) {
          throw new LossArgumentError(
            `${name}: unknown option '${key}' (torch: __init__() got an unexpected keyword argument '${torchName}')`,
            'TypeError',
          );
        }
      }
      this.options = moduleOptions<Options>(name, options);
    }
    forward(input: Tensor, target: Target, third: Third): Tensor {
      return forward(input, target, third, this.options as Options);
    }
    backward(gradOutput: Tensor, input: Tensor, target: Target, third: Third): Grads {
      return backward(gradOutput, input, target, third, this.options as Options);
    }
  };
  Object.defineProperty(module, 'name', { value: name });
  return module;
}
