// Public API: TypeScript ports of PyTorch losses with torch's float32 arithmetic.

export { tensor, LossArgumentError, dtypeOf, MAX_ELEMENTS } from './tensor.ts';
export type { DType, Tensor, IndexTensor, NestedNumbers, FloatArray, TensorOptions, TorchErrorType } from './tensor.ts';
export type { LegacyReductionOptions, LossModule, LossModule3 } from './loss-module.ts';
export type { CpuCapability } from './torch-version.ts';
export type { Reduction } from './loss-args.ts';
export { NEWEST_TORCH, torchRelease } from './torch-version.ts';
export {
  binaryCrossEntropyWithLogits,
  binaryCrossEntropyWithLogitsBackward,
  BCEWithLogitsLoss,
  type BCEWithLogitsOptions,
} from './losses/binary_cross_entropy_with_logits.ts';
export {
  multilabelSoftMarginLoss,
  multilabelSoftMarginLossBackward,
  MultiLabelSoftMarginLoss,
  type MultiLabelSoftMarginOptions,
} from './losses/multilabel_soft_margin_loss.ts';
export { binaryCrossEntropy, binaryCrossEntropyBackward, BCELoss, type BCELossOptions } from './losses/binary_cross_entropy.ts';
export { softMarginLoss, softMarginLossBackward, SoftMarginLoss, type SoftMarginOptions } from './losses/soft_margin_loss.ts';
export {
  multilabelMarginLoss,
  multilabelMarginLossBackward,
  MultiLabelMarginLoss,
  type MultiLabelMarginOptions,
} from './losses/multilabel_margin_loss.ts';
export { crossEntropyLoss, crossEntropyLossBackward, CrossEntropyLoss, type CrossEntropyOptions } from './losses/cross_entropy.ts';
export { nllLoss, nllLossBackward, NLLLoss, type NllLossOptions } from './losses/nll_loss.ts';
export { mseLoss, mseLossBackward, MSELoss, type MseLossOptions } from './losses/mse_loss.ts';
export { l1Loss, l1LossBackward, L1Loss, type L1LossOptions } from './losses/l1_loss.ts';
export { smoothL1Loss, smoothL1LossBackward, SmoothL1Loss, type SmoothL1LossOptions } from './losses/smooth_l1_loss.ts';
export { huberLoss, huberLossBackward, HuberLoss, type HuberLossOptions } from './losses/huber_loss.ts';
export { klDivLoss, klDivLossBackward, KLDivLoss, type KlDivOptions } from './losses/kl_div.ts';
export { poissonNllLoss, poissonNllLossBackward, PoissonNLLLoss, type PoissonNllOptions } from './losses/poisson_nll_loss.ts';
export {
  gaussianNllLoss,
  gaussianNllLossBackward,
  GaussianNLLLoss,
  type GaussianNllOptions,
  type GaussianNllVar,
  type GaussianNllGrads,
} from './losses/gaussian_nll_loss.ts';
export { ctcLoss, ctcLossBackward, CTCLoss, type CtcLossOptions, type CtcLengths } from './losses/ctc_loss.ts';
export { multiMarginLoss, multiMarginLossBackward, MultiMarginLoss, type MultiMarginOptions } from './losses/multi_margin_loss.ts';
export {
  marginRankingLoss,
  marginRankingLossBackward,
  MarginRankingLoss,
  type MarginRankingOptions,
  type MarginRankingGrads,
} from './losses/margin_ranking_loss.ts';
export {
  hingeEmbeddingLoss,
  hingeEmbeddingLossBackward,
  HingeEmbeddingLoss,
  type HingeEmbeddingOptions,
} from './losses/hinge_embedding_loss.ts';
export {
  cosineEmbeddingLoss,
  cosineEmbeddingLossBackward,
  CosineEmbeddingLoss,
  type CosineEmbeddingOptions,
  type CosineEmbeddingGrads,
} from './losses/cosine_embedding_loss.ts';
export {
  cosineSimilarity,
  cosineSimilarityBackward,
  type CosineSimilarityOptions,
  type CosineSimilarityGrads,
} from './cosine-similarity.ts';
export {
  pairwiseDistance,
  pairwiseDistanceBackward,
  type PairwiseDistanceOptions,
} from './pairwise-distance.ts';
export {
  tripletMarginLoss,
  tripletMarginLossBackward,
  TripletMarginLoss,
  type TripletMarginOptions,
  type TripletGrads,
} from './losses/triplet_margin_loss.ts';
export {
  tripletMarginWithDistanceLoss,
  tripletMarginWithDistanceLossBackward,
  TripletMarginWithDistanceLoss,
  pairwiseDistanceFunction,
  cosineDistanceFunction,
  distanceFunctionByName,
  type TripletMarginWithDistanceOptions,
  type DistanceFunction,
  type DistanceContext,
  type DistanceGrads,
} from './losses/triplet_margin_with_distance_loss.ts';
// A testing and fallback switch: useFloat32Kernels(false) runs float32 ops in the JS loops instead
// of the WebAssembly kernels (the results are the same; tests compare the two).
export { useFloat32Kernels } from './wasm/kernel-switch.ts';
export { useThreads } from './wasm/threads.ts';
