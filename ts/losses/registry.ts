// Every ported loss, by stem. python/cases/__init__.py LOSSES lists the same stems; the golden
// tests fail when either side lacks the other's entry, and the harness (golden tests, parity
// report) finds a loss only through here.

import type { Tensor } from '../tensor.ts';
import { binaryCrossEntropyWithLogits, binaryCrossEntropyWithLogitsBackward } from './bce_with_logits.ts';
import { multilabelSoftMarginLoss, multilabelSoftMarginLossBackward } from './multilabel_soft_margin.ts';

type Options = Record<string, unknown>;

export interface LossEntry {
  forward(input: Tensor, target: Tensor, options: Options): Tensor;
  backward(gradOutput: Tensor, input: Tensor, target: Tensor, options: Options): Tensor;
  /** Golden-file kwargs (torch's names) to the port's option names, besides reduction. */
  readonly tensorOptions: Readonly<Record<string, string>>;
}

export const LOSSES = {
  bce_with_logits: {
    forward: binaryCrossEntropyWithLogits,
    backward: binaryCrossEntropyWithLogitsBackward,
    tensorOptions: { weight: 'weight', pos_weight: 'posWeight' },
  },
  multilabel_soft_margin: {
    forward: multilabelSoftMarginLoss,
    backward: multilabelSoftMarginLossBackward,
    tensorOptions: { weight: 'weight' },
  },
} as const satisfies Record<string, LossEntry>;

export type LossStem = keyof typeof LOSSES;
export const LOSS_STEMS = Object.keys(LOSSES) as LossStem[];
