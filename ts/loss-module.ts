// torch.nn-style module classes: the options fixed at construction, forward and backward calls.

import type { Tensor } from './tensor.ts';

export interface LossModule<Options, Target> {
  readonly options: Options;
  forward(input: Tensor, target: Target): Tensor;
  backward(gradOutput: Tensor, input: Tensor, target: Target): Tensor;
}

/** A module class over a loss function and its backward, e.g. nn.BCEWithLogitsLoss. */
export function lossModule<Options, Target>(
  forward: (input: Tensor, target: Target, options?: Options) => Tensor,
  backward: (gradOutput: Tensor, input: Tensor, target: Target, options?: Options) => Tensor,
): new (options?: Options) => LossModule<Options, Target> {
  return class {
    readonly options: Options;
    constructor(options?: Options) {
      this.options = options ?? ({} as Options);
    }
    forward(input: Tensor, target: Target): Tensor {
      return forward(input, target, this.options);
    }
    backward(gradOutput: Tensor, input: Tensor, target: Target): Tensor {
      return backward(gradOutput, input, target, this.options);
    }
  };
}
