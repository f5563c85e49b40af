// Every ported loss, by stem. python/cases/__init__.py LOSSES lists the same stems; the tests fail
// when either side lacks the other's entry. The golden tests, the parity report, the live
// differential fuzzer and the benchmark find a loss only through here.

import type { IndexTensor, Tensor } from '../tensor.ts';
import { binaryCrossEntropy, binaryCrossEntropyBackward } from './binary_cross_entropy.ts';
import { binaryCrossEntropyWithLogits, binaryCrossEntropyWithLogitsBackward } from './binary_cross_entropy_with_logits.ts';
import { multilabelMarginLoss, multilabelMarginLossBackward } from './multilabel_margin_loss.ts';
import { multilabelSoftMarginLoss, multilabelSoftMarginLossBackward } from './multilabel_soft_margin_loss.ts';
import { softMarginLoss, softMarginLossBackward } from './soft_margin_loss.ts';

type Options = Record<string, unknown>;
type Target = Tensor & IndexTensor; // each port narrows this to what it takes

/** What a loss accepts, for the fuzzers and the benchmark to draw valid (and invalid) cases. */
export interface LossDomain {
  /** 'logit': any float; 'probability': [0, 1]. */
  readonly input: 'logit' | 'probability';
  /** 'probability': [0, 1]; 'sign': +-1; 'labels': class indices ended by -1 (an index tensor). */
  readonly target: 'probability' | 'sign' | 'labels';
  readonly minRank: number;
  readonly maxRank: number;
  /** The target may broadcast to the input (else it must have the input's shape). */
  readonly targetBroadcasts: boolean;
  /** torch's 'mean'/'sum' of an empty batch reads uninitialised memory: nothing to compare with. */
  readonly emptyBatchReductionUndefined?: boolean;
}

export interface LossEntry {
  forward(input: Tensor, target: Target, options: Options): Tensor;
  backward(gradOutput: Tensor, input: Tensor, target: Target, options: Options): Tensor;
  /** Golden-file kwargs (torch's names) to the port's option names, besides reduction. */
  readonly tensorOptions: Readonly<Record<string, string>>;
  readonly domain: LossDomain;
}

export const LOSSES = {
  binary_cross_entropy_with_logits: {
    forward: binaryCrossEntropyWithLogits,
    backward: binaryCrossEntropyWithLogitsBackward,
    tensorOptions: { weight: 'weight', pos_weight: 'posWeight' },
    domain: { input: 'logit', target: 'probability', minRank: 0, maxRank: 3, targetBroadcasts: false },
  },
  multilabel_soft_margin_loss: {
    forward: multilabelSoftMarginLoss,
    backward: multilabelSoftMarginLossBackward,
    tensorOptions: { weight: 'weight' },
    domain: { input: 'logit', target: 'probability', minRank: 1, maxRank: 3, targetBroadcasts: true },
  },
  binary_cross_entropy: {
    forward: binaryCrossEntropy,
    backward: binaryCrossEntropyBackward,
    tensorOptions: { weight: 'weight' },
    domain: { input: 'probability', target: 'probability', minRank: 0, maxRank: 3, targetBroadcasts: false },
  },
  soft_margin_loss: {
    forward: softMarginLoss,
    backward: softMarginLossBackward,
    tensorOptions: {},
    domain: { input: 'logit', target: 'sign', minRank: 0, maxRank: 3, targetBroadcasts: true },
  },
  multilabel_margin_loss: {
    forward: multilabelMarginLoss,
    backward: multilabelMarginLossBackward,
    tensorOptions: {},
    domain: { input: 'logit', target: 'labels', minRank: 0, maxRank: 2, targetBroadcasts: false, emptyBatchReductionUndefined: true },
  },
} as const satisfies Record<string, LossEntry>;

export type LossStem = keyof typeof LOSSES;
export const LOSS_STEMS = Object.keys(LOSSES) as LossStem[];
