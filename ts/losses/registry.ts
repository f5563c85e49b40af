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
import { gaussianNllLoss, gaussianNllLossBackward } from './gaussian_nll_loss.ts';
import { smoothL1Loss, smoothL1LossBackward } from './smooth_l1_loss.ts';
import { huberLoss, huberLossBackward } from './huber_loss.ts';
import { klDivLoss, klDivLossBackward } from './kl_div.ts';
import { poissonNllLoss, poissonNllLossBackward } from './poisson_nll_loss.ts';
import { nllLoss, nllLossBackward } from './nll_loss.ts';
import { crossEntropyLoss, crossEntropyLossBackward } from './cross_entropy.ts';
import { mseLoss, mseLossBackward } from './mse_loss.ts';
import { l1Loss, l1LossBackward } from './l1_loss.ts';
import { marginRankingLoss, marginRankingLossBackward } from './margin_ranking_loss.ts';
import { hingeEmbeddingLoss, hingeEmbeddingLossBackward } from './hinge_embedding_loss.ts';
import { multiMarginLoss, multiMarginLossBackward } from './multi_margin_loss.ts';
import { ctcLoss, ctcLossBackward } from './ctc_loss.ts';
import { decodeP, tripletMarginLoss, tripletMarginLossBackward } from './triplet_margin_loss.ts';
import {
  distanceFunctionByName,
  tripletMarginWithDistanceLoss,
  tripletMarginWithDistanceLossBackward,
} from './triplet_margin_with_distance_loss.ts';
import { cosineEmbeddingLoss, cosineEmbeddingLossBackward } from './cosine_embedding_loss.ts';

/**
 * Values a tensor argument holds, for the fuzzers and the benchmark: 'logit' any float (extremes
 * and non-finite included); 'probability' [0, 1]; 'sign' +-1; 'real' any float (a regression
 * target); 'positive' > 0 (a variance, a rate); 'count' a non-negative integer-valued float (a
 * Poisson count: poisson_nll_loss's target).
 */
export type ValueKind = 'logit' | 'probability' | 'sign' | 'real' | 'positive' | 'count';

/** What a loss accepts, for the fuzzers and the benchmark to draw valid (and invalid) cases. */
export interface LossDomain {
  readonly input: ValueKind;
  /**
   * A ValueKind (shaped like the input, or broadcast to it when targetBroadcasts), or 'labels':
   * class indices ended by -1 per row (an index tensor shaped like the input), or 'classes': one
   * class index per sample (an index tensor shaped like the input without its class dim 1).
   */
  readonly target: ValueKind | 'labels' | 'classes' | null;
  readonly minRank: number;
  readonly maxRank: number;
  /** The target may broadcast to the input (else it must have the input's shape). */
  readonly targetBroadcasts: boolean;
  /** torch's 'mean'/'sum' of an empty batch reads uninitialised memory: nothing to compare with. */
  readonly emptyBatchReductionUndefined?: boolean;
  /** The per-class tensor keyword arguments (torch's names) the fuzzers and the benchmark draw. */
  readonly tensorKwargs: readonly string[];
  /** Tensor arguments after the target (gaussian_nll_loss's var) and their kinds; shaped like the input. */
  readonly extraArgs?: Readonly<Record<string, ValueKind>>;
  /** Other keyword arguments (torch's names) and the values the fuzzers draw for each. */
  readonly kwargs?: Readonly<Record<string, readonly (number | boolean | string | null)[]>>;
  /** The reductions to draw, when not 'none', 'mean' and 'sum' (kl_div adds 'batchmean'). */
  readonly reductions?: readonly string[];
  /**
   * How the arguments are shaped, when not elementwise (the first argument of any shape from
   * minRank to maxRank, extraArgs like it, the target per `target`): 'vectors', the first argument
   * and the extraArgs (N, D) or unbatched (D), a target one value per vector ((N) or 0-d; the
   * embedding losses, the triplet losses with target null); 'ctc', CTC's log-probabilities,
   * targets and lengths (the fuzzers draw them by their own rules).
   */
  readonly layout?: 'vectors' | 'ctc';
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
  /**
   * Keyword arguments a golden case records as a name, decoded to what the port takes (torch's
   * names: triplet_margin_with_distance_loss's distance_function "cosine" -> the JS function).
   */
  readonly kwargDecoders?: Readonly<Record<string, (value: unknown) => unknown>>;
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
    domain: {
      tensorKwargs: ['weight', 'pos_weight'],
      input: 'logit',
      target: 'probability',
      minRank: 0,
      maxRank: 3,
      targetBroadcasts: false,
    },
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
    domain: {
      tensorKwargs: [],
      input: 'logit',
      target: 'labels',
      minRank: 0,
      maxRank: 2,
      targetBroadcasts: false,
      emptyBatchReductionUndefined: true,
    },
  },
  gaussian_nll_loss: {
    args: ['input', 'target', 'var'],
    grads: ['input', 'var'],
    forward: gaussianNllLoss,
    backward: gaussianNllLossBackward,
    // var: positive variances of input's shape (it may also be a number from torch 2.6, or broadcast: see the port)
    domain: {
      tensorKwargs: [],
      input: 'logit',
      target: 'real',
      minRank: 0,
      maxRank: 3,
      targetBroadcasts: true,
      extraArgs: { var: 'positive' },
      kwargs: { full: [false, true], eps: [1e-6, 0, 0.25] },
    },
  },
  smooth_l1_loss: {
    ...INPUT_TARGET,
    forward: smoothL1Loss,
    backward: smoothL1LossBackward,
    domain: {
      tensorKwargs: [],
      input: 'logit',
      target: 'real',
      minRank: 0,
      maxRank: 3,
      targetBroadcasts: true,
      kwargs: { beta: [1, 0, 0.5, 0.7, 2] },
    },
  },
  // weight (torch >= 2.6) is per element of the input's shape, not per class: not a tensorKwarg.
  mse_loss: {
    ...INPUT_TARGET,
    forward: mseLoss,
    backward: mseLossBackward,
    domain: { tensorKwargs: [], input: 'logit', target: 'real', minRank: 0, maxRank: 3, targetBroadcasts: true },
  },
  l1_loss: {
    ...INPUT_TARGET,
    forward: l1Loss,
    backward: l1LossBackward,
    domain: { tensorKwargs: [], input: 'logit', target: 'real', minRank: 0, maxRank: 3, targetBroadcasts: true },
  },
  huber_loss: {
    ...INPUT_TARGET,
    forward: huberLoss,
    backward: huberLossBackward,
    domain: {
      tensorKwargs: [],
      input: 'logit',
      target: 'real',
      minRank: 0,
      maxRank: 3,
      targetBroadcasts: true,
      kwargs: { delta: [1, 0.5, 0.7, 2] },
    },
  },
  kl_div: {
    ...INPUT_TARGET,
    forward: klDivLoss,
    backward: klDivLossBackward,
    // input: log-probabilities; target: probabilities (log-probabilities with log_target)
    domain: {
      tensorKwargs: [],
      input: 'logit',
      target: 'probability',
      minRank: 0,
      maxRank: 3,
      targetBroadcasts: true,
      kwargs: { log_target: [false, true] },
      reductions: ['none', 'mean', 'sum', 'batchmean'],
    },
  },
  poisson_nll_loss: {
    ...INPUT_TARGET,
    forward: poissonNllLoss,
    backward: poissonNllLossBackward,
    // input: log-rates (rates with log_input=False: a negative one gives NaN, as in torch)
    domain: {
      tensorKwargs: [],
      input: 'logit',
      target: 'count',
      minRank: 0,
      maxRank: 3,
      targetBroadcasts: true,
      kwargs: { log_input: [true, false], full: [false, true], eps: [1e-8, 0.001] },
    },
  },
  nll_loss: {
    ...INPUT_TARGET,
    forward: nllLoss,
    backward: nllLossBackward,
    // input: log-probabilities (any float): (C) with a 0-d target, (N, C), or (N, C, d1, ..., dk)
    domain: {
      tensorKwargs: ['weight'],
      input: 'logit',
      target: 'classes',
      minRank: 1,
      maxRank: 5,
      targetBroadcasts: false,
      kwargs: { ignore_index: [-100, 0, 1, -1] },
    },
  },
  cross_entropy: {
    ...INPUT_TARGET,
    forward: crossEntropyLoss,
    backward: crossEntropyLossBackward,
    // input: logits, (C) with a 0-d target, (N, C), or (N, C, d1, ..., dk); target: class indices
    // (or, shaped like the input, class probabilities: not drawn by the fuzzers yet)
    domain: {
      tensorKwargs: ['weight'],
      input: 'logit',
      target: 'classes',
      minRank: 1,
      maxRank: 5,
      targetBroadcasts: false,
      kwargs: { ignore_index: [-100, 0, 1, -1], label_smoothing: [0, 0.1, 0.5, 1] },
    },
  },
  // log_probs (T, N, C) or unbatched (T, C); targets padded (N, S) or concatenated; lengths int64 (N) or 0-d
  ctc_loss: {
    args: ['log_probs', 'targets', 'input_lengths', 'target_lengths'],
    grads: ['log_probs'],
    forward: ctcLoss,
    backward: ctcLossBackward,
    domain: {
      tensorKwargs: [],
      input: 'logit',
      target: 'classes',
      minRank: 2,
      maxRank: 3,
      targetBroadcasts: false,
      layout: 'ctc',
      kwargs: { blank: [0, 1], zero_infinity: [false, true] },
    },
  },
  // input: scores, (C) with a 0-d target, (N, C) with (N), or 0-d; target: one class index per sample
  multi_margin_loss: {
    ...INPUT_TARGET,
    forward: multiMarginLoss,
    backward: multiMarginLossBackward,
    domain: {
      tensorKwargs: ['weight'],
      input: 'logit',
      target: 'classes',
      minRank: 0,
      maxRank: 2,
      targetBroadcasts: false,
      emptyBatchReductionUndefined: true,
      kwargs: { p: [1, 2], margin: [1, 0.5, 2, 0, -1, 30] },
    },
  },
  // input1, input2: scores; target +-1; all three broadcast (of one dim from torch 1.11; before, none 0-d)
  margin_ranking_loss: {
    args: ['input1', 'input2', 'target'],
    grads: ['input1', 'input2'],
    forward: marginRankingLoss,
    backward: marginRankingLossBackward,
    domain: {
      tensorKwargs: [],
      input: 'logit',
      target: 'sign',
      minRank: 0,
      maxRank: 3,
      targetBroadcasts: true,
      extraArgs: { input2: 'logit' },
      kwargs: { margin: [0, 0.5, 1, -0.5, 2] },
    },
  },
  // input: distances (any float); target +-1 (others add both terms), broadcast with the input
  hinge_embedding_loss: {
    ...INPUT_TARGET,
    forward: hingeEmbeddingLoss,
    backward: hingeEmbeddingLossBackward,
    domain: {
      tensorKwargs: [],
      input: 'logit',
      target: 'sign',
      minRank: 0,
      maxRank: 3,
      targetBroadcasts: true,
      kwargs: { margin: [1, 0.5, 0, -1, 2] },
    },
  },
  // anchor, positive, negative: (N, D) vectors or unbatched (D), any floats; no target
  triplet_margin_loss: {
    args: ['anchor', 'positive', 'negative'],
    grads: ['anchor', 'positive', 'negative'],
    forward: tripletMarginLoss,
    backward: tripletMarginLossBackward,
    domain: {
      tensorKwargs: [],
      input: 'logit',
      target: null,
      minRank: 1,
      maxRank: 2,
      targetBroadcasts: false,
      layout: 'vectors',
      extraArgs: { positive: 'logit', negative: 'logit' },
      kwargs: { margin: [1, 0.5, 2], p: [2, 1, 3, 1.5], eps: [1e-6, 0, 1e-3], swap: [false, true] },
    },
    // p = inf is recorded as "inf" (JSON has no infinity)
    kwargDecoders: { p: decodeP },
  },
  // input1, input2: (N, D) embeddings with an (N) target, or unbatched (D) with a 0-d target (torch >= 1.11); target +-1
  cosine_embedding_loss: {
    args: ['input1', 'input2', 'target'],
    grads: ['input1', 'input2'],
    forward: cosineEmbeddingLoss,
    backward: cosineEmbeddingLossBackward,
    domain: {
      tensorKwargs: [],
      input: 'logit',
      target: 'sign',
      minRank: 1,
      maxRank: 2,
      targetBroadcasts: false,
      layout: 'vectors',
      extraArgs: { input2: 'logit' },
      kwargs: { margin: [0, 0.5, -0.5, 1] },
    },
  },
  // anchor, positive, negative as for triplet_margin_loss; distance_function recorded by name
  triplet_margin_with_distance_loss: {
    args: ['anchor', 'positive', 'negative'],
    grads: ['anchor', 'positive', 'negative'],
    forward: tripletMarginWithDistanceLoss,
    backward: tripletMarginWithDistanceLossBackward,
    domain: {
      tensorKwargs: [],
      input: 'logit',
      target: null,
      minRank: 1,
      maxRank: 2,
      targetBroadcasts: false,
      layout: 'vectors',
      extraArgs: { positive: 'logit', negative: 'logit' },
      kwargs: { distance_function: [null, 'cosine'], margin: [1, 0.5, 2], swap: [false, true] },
    },
    // "cosine" -> 1 - cosine_similarity, "pairwise" -> pairwise_distance, null -> the default
    kwargDecoders: { distance_function: distanceFunctionByName },
  },
} as const satisfies Record<string, LossEntry>;

export type LossStem = keyof typeof LOSSES;
export const LOSS_STEMS = Object.keys(LOSSES) as LossStem[];
