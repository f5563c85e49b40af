// Every ported loss, by stem: its torch.nn.functional name, which is also its file (ts/losses/<stem>.ts,
// python/cases/<stem>.py) and golden (golden/torch-<v>/<stem>.json) name. python/cases/__init__.py
// LOSSES lists the same stems; the tests fail when either side lacks the other's entry. The golden
// tests, the parity report, the live differential fuzzer and the benchmark find a loss only here.
//
// A golden case calls `forward(...tensors, options)`: the tensors of `args` in torch's order, then
// the keyword arguments under their camelCase names (optionName: ignore_index -> ignoreIndex).

import type { Tensor } from '../tensor.ts';
import { binaryCrossEntropy, binaryCrossEntropyBackward } from './binary_cross_entropy.ts';
import { binaryCrossEntropyWithLogits, binaryCrossEntropyWithLogitsBackward } from './binary_cross_entropy_with_logits.ts';
import { multilabelMarginLoss, multilabelMarginLossBackward } from './multilabel_margin_loss.ts';
import { multilabelSoftMarginLoss, multilabelSoftMarginLossBackward } from './multilabel_soft_margin_loss.ts';
import { softMarginLoss, softMarginLossBackward } from './soft_margin_loss.ts';

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
  /** The per-class tensor keyword arguments (torch's names) the fuzzers and the benchmark draw. */
  readonly tensorKwargs: readonly string[];
}

export interface LossEntry {
  /** torch's positional tensor arguments, in torch's order. */
  readonly args: readonly string[];
  /** The arguments backward differentiates: one gives a Tensor, more an object keyed by these names. */
  readonly grads: readonly string[];
  /** (...the tensors of args, options) */
  forward(...argsThenOptions: unknown[]): Tensor;
  /** (gradOutput, ...the tensors of args, options) */
  backward(...argsThenOptions: unknown[]): Tensor | Readonly<Record<string, Tensor>>;
  readonly domain: LossDomain;
}

/** A golden keyword argument's name (torch's) as the ports' option name: ignore_index -> ignoreIndex. */
export function optionName(torchName: string): string {
  return torchName.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

const INPUT_TARGET = { args: ['input', 'target'], grads: ['input'] } as const;

export const LOSSES = {
  binary_cross_entropy_with_logits: {
    ...INPUT_TARGET,
    forward: binaryCrossEntropyWithLogits,
    backward: binaryCrossEntropyWithLogitsBackward,
    domain: { tensorKwargs: ['weight', 'pos_weight'], input: 'logit', target: 'probability', minRank: 0, maxRank: 3, targetBroadcasts: false },
  },
  multilabel_soft_margin_loss: {
    ...INPUT_TARGET,
    forward: multilabelSoftMarginLoss,
    backward: multilabelSoftMarginLossBackward,
    domain: { tensorKwargs: ['weight'], input: 'logit', target: 'probability', minRank: 1, maxRank: 3, targetBroadcasts: true },
  },
  binary_cross_entropy: {
    ...INPUT_TARGET,
    forward: binaryCrossEntropy,
    backward: binaryCrossEntropyBackward,
    domain: { tensorKwargs: ['weight'], input: 'probability', target: 'probability', minRank: 0, maxRank: 3, targetBroadcasts: false },
  },
  soft_margin_loss: {
    ...INPUT_TARGET,
    forward: softMarginLoss,
    backward: softMarginLossBackward,
    domain: { tensorKwargs: [], input: 'logit', target: 'sign', minRank: 0, maxRank: 3, targetBroadcasts: true },
  },
  multilabel_margin_loss: {
    ...INPUT_TARGET,
    forward: multilabelMarginLoss,
    backward: multilabelMarginLossBackward,
    domain: { tensorKwargs: [], input: 'logit', target: 'labels', minRank: 0, maxRank: 2, targetBroadcasts: false, emptyBatchReductionUndefined: true },
  },
} as const satisfies Record<string, LossEntry>;

export type LossStem = keyof typeof LOSSES;
export const LOSS_STEMS = Object.keys(LOSSES) as LossStem[];
