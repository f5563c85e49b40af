// Which torch release's arithmetic to follow. Formulas changed between releases; each change is a
// named predicate here, so a port reads `if (v.bceUsesLogSigmoid)` rather than comparing numbers.

import { LossArgumentError } from './tensor.ts';

export interface TorchRelease {
  readonly version: string;
  readonly major: number;
  readonly minor: number;
  /** log_sigmoid computes min(x, 0) - log1p(exp(-|x|)) (torch >= 1.11); before, -(m + log(exp(-m) + exp(-x - m))). */
  readonly logSigmoidUsesLog1p: boolean;
  /** binary_cross_entropy_with_logits is built on log_sigmoid (pytorch#115539, torch >= 2.3); before, on max_val and log(exp + exp). */
  readonly bceUsesLogSigmoid: boolean;
  /** multilabel_soft_margin_loss accepts 1-D input (torch >= 1.11; before it summed over dim 1). */
  readonly mlsmlAccepts1d: boolean;
  /**
   * multilabel_margin_loss accepts an (0, C) input (pytorch#46975, reviewed after 1.7.0 shipped:
   * assumed from 1.8). 1.7's LossMultiLabelMargin.cpp checks `input.numel() > 0 && ndims <= 2`
   * ("non-empty vector or matrix expected"); 1.13 checks only C > 0 ("optional 0-dim batch size").
   */
  readonly mlmlAcceptsEmptyBatch: boolean;
  /** soft_margin_loss computes log1p(exp(-x * y)) (pytorch#92145, torch >= 2.0); before, log(1 + exp(-x * y)). */
  readonly softMarginUsesLog1p: boolean;
  /**
   * Vectorized log1p is SLEEF's, which returned inf above 1e38 (float32) / 1e307 (float64) until
   * SLEEF 3.8 (sleef#473, #606); torch bundles 3.8 from 2.8 (pytorch#151955). Seen in torch 2.6.
   */
  readonly sleefLog1pOverflows: boolean;
  /** binary_cross_entropy rejects targets outside [0, 1] (2.6 does, 1.13 computes with them; assumed from 2.0). */
  readonly bceChecksTargetRange: boolean;
  /**
   * binary_cross_entropy's element loss (Loss.cpp binary_cross_entropy_out_cpu, a scalar cpu_kernel:
   * glibc's logf / log) takes std::log1p(-x); before, std::log(1 - x), 1 - x rounded first (so 0 for
   * x below 2^-25 in float32). Measured bit for bit on 10^4 float32 inputs: 1.7 and 1.13 log(1 - x),
   * 2.6 and 2.14 log1p(-x); the PR between is not identified: 2.0 assumed, as bceChecksTargetRange.
   */
  readonly bceUsesLog1p: boolean;
  /** The CPU kernels torch dispatches to by default on an AVX-512 machine: 1.x kept AVX-512 opt-in, 2.x uses it. */
  readonly defaultCpuCapability: CpuCapability;
  /** F.cross_entropy takes label_smoothing (pytorch#63122, torch >= 1.10); before, TypeError "got an unexpected keyword argument". */
  readonly crossEntropyHasLabelSmoothing: boolean;
  /**
   * F.cross_entropy takes class-probability targets shaped like the input (pytorch#61044, torch >= 1.10,
   * ATen's cross_entropy_loss); before, functional.py ran nll_loss(log_softmax(input, 1), target), which
   * rejects a float target ("expected scalar type Long but found Float").
   */
  readonly crossEntropyProbabilityTargets: boolean;
  /** F.cross_entropy takes a (C) input with a 0-d class-index target (pytorch#71055, torch >= 1.11); before, log_softmax over dim 1 raised IndexError. */
  readonly crossEntropyAcceptsNoBatchDim: boolean;
  /** ... and a (C) input with a (C) probability target (pytorch#77653, torch >= 1.12). */
  readonly crossEntropyNoBatchDimProbTargets: boolean;
  /**
   * label_smoothing's 'mean' with a weight divides by the weights of the targets not ignored
   * (pytorch#69511, torch >= 1.11); 1.10 gathered every target's weight (an ignore_index outside
   * [0, C) raised "index -1 is out of bounds for dimension 0 with size C").
   */
  readonly crossEntropySmoothingGathersKeptWeights: boolean;
  /**
   * label_smoothing's smoothing term is 0 at every ignored target and its unweighted 'mean' averages
   * the kept ones, smooth_loss.masked_select(~ignore_mask).mean() (fix of pytorch#73205, assumed
   * from 1.12; seen in 1.13). Before, it was zeroed only for ignore_index >= 0 and averaged over all.
   */
  readonly crossEntropySmoothingExcludesIgnored: boolean;
  /**
   * ... as smooth_loss.masked_fill_(ignore_mask, 0).sum() / (~ignore_mask).sum() (a different sum
   * order; assumed from 2.0, seen in 2.6 and 2.14); 1.12 / 1.13 sum the masked_select-ed values.
   */
  readonly crossEntropySmoothingMaskedFill: boolean;
  /**
   * autograd's MulBackward1 (tensor * Python scalar) multiplies the gradient by the scalar as a
   * wrapped number (rounded to the tensor's dtype; seen in 2.6 and 2.14, assumed from 2.0); before,
   * by at::scalar_to_tensor(other), a 0-d double tensor, so a 0-d float gradient times it computed
   * in double (seen in 1.13: cross_entropy's label-smoothing gradient for 'mean' and 'sum').
   */
  readonly mulScalarBackwardWrapsScalar: boolean;
  /**
   * ATEN_CPU_CAPABILITY=avx512 runs 16-lane AVX-512 builds of log_softmax's kernels (AVX-512 ATen
   * kernels from pytorch#61903, torch 1.10; all eight softmax stubs have an AVX-512 entry in the
   * libtorch_cpu of Debian's 1.13, 2.6 and 2.14). 1.7 has no AVX-512 kernels: avx512 runs avx2's.
   */
  readonly avx512Kernels: boolean;
  /**
   * ... and of the sum kernel (cascade_sum with 16 float lanes): registered for AVX-512 in 1.13's
   * libtorch_cpu, not in 2.6's or 2.14's, where pytorch#104165 (torch 2.1) made REGISTER_DISPATCH
   * leave AVX-512 to the kernels that opt in (sum falls back to its AVX2 build, 8 lanes).
   */
  readonly avx512SumKernel: boolean;
  /**
   * log_softmax over a dim other than the last runs cpu/SoftMaxKernel.cpp _vec_logsoftmax (float sums,
   * vectorized across the inner size; pytorch#64726, landed Feb 2022: assumed from 1.12; seen in 1.13).
   * Before, SoftMax.cpp host_softmax: scalar, a double accumulator, std::exp / std::log (seen in 1.7).
   */
  readonly logSoftmaxInnerVectorized: boolean;
  /** Its backward is _vec_log_softmax_backward (pytorch#80114, torch >= 1.13); before, host_softmax_backward (double sum). */
  readonly logSoftmaxBackwardInnerVectorized: boolean;
  /**
   * vec::reduce_all / map_reduce_all fold the 8 (avx2) or 16 (avx512) float lanes pairwise
   * (VecReduceAllSIMD, pytorch#73953, May 2022: assumed from 1.12; seen in 1.13, 2.6, 2.14; never for
   * double or 'default'); before, in lane order (seen in 1.7). log_softmax's row max and sums use it.
   */
  readonly vecReduceAllPairwise: boolean;
  /**
   * nll_loss's dimension, batch-size and K-dim target-size checks run in ATen's nll_loss_nd, after
   * _Reduction.get_enum and the argument parser (pytorch#53789, torch >= 1.9); before, functional.py
   * ran them first (ValueErrors; the K-dim target size as "Expected target size (2, 4), got torch.Size([2, 5])").
   */
  readonly nllLossNdInAten: boolean;
  /**
   * nll_loss takes a (C) input with a 0-d target (pytorch#62651, torch >= 1.10): "Expected 1 or more
   * dimensions", "0D or 1D target tensor expected"; before, "Expected 2 or more dimensions", "1D target tensor expected".
   */
  readonly nllLossAcceptsNoBatchDim: boolean;
  /** nll_loss's weight must be 1-D (the structured meta function; assumed from 1.10, seen in 1.13); 1.7 checked only numel == C. */
  readonly nllLossWeightMustBe1d: boolean;
  /**
   * nll_loss's and nll_loss2d's reductions add in an 8-level cascade (and count the non-ignored
   * targets instead of adding 1s when there is no weight) (pytorch#55841, torch >= 1.9); before, one
   * running sum in the dtype.
   */
  readonly nllLossUsesCascadeSum: boolean;
  /**
   * nll_loss's 'mean' over a zero total weight (all targets ignored) is NaN, was 0 unless the input
   * was empty; its backward no longer returns zeros for a total weight <= 0 and computes
   * w * -(grad / total_weight) (was -w * grad / total_weight); a reduction over an empty target
   * returns before reading it (pytorch#64572, torch >= 1.11).
   */
  readonly nllLossMeanOfNothingIsNan: boolean;
  /**
   * nll_loss rejects a 1-D target of size != 1 with a (C) input (ValueError "For 1D input, 1D target
   * must have size 1"; pytorch#157420); before it needed size C and read only its first value.
   * Seen in 2.13, not in 2.6; assumed from 2.10.
   */
  readonly nllLoss1dTargetMustBeSize1: boolean;
  /**
   * nll_loss's and nll_loss2d's meta checks the target dtype first ("expected target dtype to be Long
   * or Byte, but got Float"; pytorch#175151); before, the kernel's data_ptr did ("expected scalar type
   * Long but found Float"), after the weight checks. Seen in 2.13, not in 2.6; assumed from 2.11.
   */
  readonly nllLossChecksTargetDtype: boolean;
  /**
   * The Python argument parser raises ValueError "Overflow when unpacking long long" for an int
   * argument outside int64 (seen in 2.13 and 2.14; assumed from 2.10); RuntimeError "Overflow when
   * unpacking long" before (seen in 1.7 to 2.6).
   */
  readonly intArgOverflowIsValueError: boolean;
  /** smooth_l1_loss takes beta (pytorch#44433, torch >= 1.7); before, TypeError "got an unexpected keyword argument 'beta'". */
  readonly smoothL1HasBeta: boolean;
  /**
   * smooth_l1_loss with beta == 0 is l1_loss inside ATen, forward and backward (Loss.cpp,
   * pytorch#45532, torch 1.7) until l1_loss became a composite without its own backward
   * (pytorch#79804, torch 1.13). From 1.13 beta == 0 runs the smooth_l1 kernels, whose backward
   * gives -grad where input == target, until functional.py calls l1_loss (smoothL1ZeroBetaCallsL1Loss).
   */
  readonly smoothL1ZeroBetaIsL1InAten: boolean;
  /** functional.py's smooth_l1_loss calls l1_loss for beta == 0 (pytorch#97022, torch >= 2.1). */
  readonly smoothL1ZeroBetaCallsL1Loss: boolean;
  /**
   * smooth_l1_loss_backward promotes input, target and grad_output to a common dtype (an int64 or
   * float64 target with a float32 input; pytorch#61112, torch >= 1.10); before, its TensorIterator
   * raised "Found dtype Long but expected Float" (seen in 1.7).
   */
  readonly smoothL1BackwardPromotes: boolean;
  /** F.huber_loss and nn.HuberLoss exist (pytorch#50553, torch >= 1.9). */
  readonly huberLossExists: boolean;
  /** F.huber_loss takes weight (pytorch#132049, torch >= 2.6; nn.HuberLoss does not, still in 2.14). */
  readonly huberLossHasWeight: boolean;
  /**
   * F.mse_loss and F.l1_loss take weight (pytorch#132049; assumed from 2.6 as huberLossHasWeight:
   * 2.6 and 2.14 have it, 1.13 raises TypeError "got an unexpected keyword argument 'weight'").
   * nn.MSELoss and nn.L1Loss do not take it (still in 2.14).
   */
  readonly mseAndL1LossHaveWeight: boolean;
  /**
   * l1_loss is a composite (pytorch#79804, torch >= 1.13): sub, abs, mean / sum, differentiated by
   * autograd (sgn of the difference in the promoted dtype). Before, ATen's l1_loss_backward:
   * sign(input - target) computed into the input's dtype, times grad (/ numel).
   */
  readonly l1LossIsComposite: boolean;
  /**
   * mse_loss_backward promotes input, target and grad_output to a common dtype (pytorch#175743,
   * reviewed March 2026: assumed from 2.12; 2.13 and 2.14 promote, 2.6 does not). Before, an int64
   * or other-dtype target raised "Found dtype Long but expected Float" in the backward.
   */
  readonly mseLossBackwardPromotes: boolean;
  /** F.gaussian_nll_loss and nn.GaussianNLLLoss exist (pytorch#49807, torch >= 1.8). */
  readonly gaussianNllLossExists: boolean;
  /**
   * gaussian_nll_loss is elementwise, var broadcasting (one dim fewer: unsqueezed; or last dim 1),
   * input and target broadcasting (pytorch#56469, torch >= 1.9; assumed from 1.9). 1.8 viewed input,
   * target and var as (N, -1), required input.size() == target.size() ("input and target must have
   * same size"), summed each row (dim 1) and added 0.5 * D * log(2 pi) with full.
   */
  readonly gaussianNllElementwise: boolean;
  /**
   * gaussian_nll_loss takes a Python float var (as var * ones_like(input)) and checks var for
   * negative entries before its size (pytorch#138931, torch >= 2.6); before, var.size() on a float
   * raised AttributeError and the size check came first.
   */
  readonly gaussianNllAcceptsFloatVar: boolean;
  /**
   * gaussian_nll_loss accepts a var of input's rank whose sizes at the dims where it differs from
   * input add up to 1 (one dim of size 1, e.g. (4, 1, 32, 32) for (4, 3, 32, 32); pytorch#147522,
   * seen in 2.13 and 2.14, not in 2.6; assumed from 2.7); before, only var.shape == input.shape[:-1] + (1,).
   */
  readonly gaussianNllVarOneMismatchedDim: boolean;
  /**
   * Tensor.clamp_(min=nan) with no max gives NaN everywhere (pytorch#172200; seen in 2.13 and 2.14,
   * not in 2.6; assumed from 2.11); before, a NaN min left the tensor unchanged (std::max(a, nan) is a).
   */
  readonly clampNanMinIsNan: boolean;
  /**
   * _Reduction's deprecation warning reads "reduction='elementwise_mean' is deprecated. Please use
   * reduction='mean' instead." (seen in 2.6 and 2.14; assumed from 2.0); before, "is deprecated,
   * please use" (seen in 1.7 and 1.13).
   */
  readonly elementwiseMeanWarningIsTwoSentences: boolean;
  /** F.kl_div takes log_target (pytorch#34586, torch >= 1.6); before, TypeError "got an unexpected keyword argument 'log_target'". */
  readonly klDivHasLogTarget: boolean;
  /**
   * kl_div is a composite (pytorch#80334, torch >= 1.13): xlogy(target, target) - target * input (a
   * negative or NaN target gives NaN), differentiated by autograd, and integral inputs raise "kl_div:
   * Integral inputs not supported."; before, where(target > 0, target * (log(target) - input), 0) with
   * kl_div_backward_cpu (grad.expand_as(input); 'mean' divides by input.numel()).
   */
  readonly klDivIsComposite: boolean;
  /**
   * poisson_nll_loss's reduction error says "<r> is not a valid value for reduction" (seen in 2.6 and
   * 2.14; assumed from 2.0); "<r> is not valid" before (seen in 1.7 and 1.13).
   */
  readonly poissonNllReductionErrorSaysValidValue: boolean;
  /**
   * log of an integer tensor promotes it to the default float dtype (seen in 1.13, not in 1.7;
   * assumed from 1.8): poisson_nll_loss(full=True) with an int64 target computes its Stirling term in
   * float32; before, "log_vml_cpu not implemented for 'Long'".
   */
  readonly logPromotesIntegerTensors: boolean;
  /**
   * multilabel_margin_loss's target-size check names both shapes, "inconsistent target size: [2, 4]
   * for input of size: [2, 3]" (pytorch#105645, July 2023: assumed from 2.1; seen in 2.6 and 2.14);
   * before, "inconsistent size [2, 4] for argument #2 'target'" (seen in 1.7 and 1.13).
   */
  readonly mlmlTargetSizeNamesInput: boolean;
  /**
   * binary_cross_entropy's functional.py broadcasts weight with torch.broadcast_shapes (pytorch#180583,
   * April 2026: assumed from 2.12; seen in 2.13 and 2.14): "Attempting to broadcast a dimension of
   * length 2 at -1! ..."; before, with _infer_size: "The size of tensor a (3) must match the size of
   * tensor b (2) at non-singleton dimension 1" (seen in 1.7 to 2.6).
   */
  readonly bceWeightUsesBroadcastShapes: boolean;
  /**
   * multi_margin_loss takes an (0, C) input, an empty batch (pytorch#46975, the PR that let
   * multilabel_margin_loss take one: torch >= 1.8; seen in 1.13, not 1.7): 'none' gives (0,), 'mean'
   * and 'sum' return memory never written; before, "non-empty vector or matrix expected, got size: [0, 4]".
   */
  readonly multiMarginAcceptsEmptyBatch: boolean;
  /**
   * multi_margin_loss's target-size message says what it expected, "inconsistent target size,
   * expected 3 but got [2]" (pytorch#104851, July 2023: assumed from 2.1; seen in 2.6); before,
   * "inconsistent target size, got: [2]" (seen in 1.7 and 1.13).
   */
  readonly multiMarginTargetSizeSaysExpected: boolean;
  /**
   * multi_margin_loss checks weight.numel() == C after the target's size, before any dtype check, and
   * makes the weight contiguous ("inconsistent weight size, expected 4 but got [3]"; pytorch#104852,
   * July 2023: assumed from 2.1; seen in 2.6 and 2.14); before, only weight[target] was read, past the
   * end of a short weight too (seen in 1.7 and 1.13).
   */
  readonly multiMarginChecksWeightSize: boolean;
  /**
   * multi_margin_loss's target-size message reads "multi_margin_loss: target tensor should be 1-D with
   * size equal to the number of input samples (batch size). Expected target size [3], but got [2].
   * Input has shape [3, 4]." (pytorch#174072, Feb 2026: assumed from 2.11; seen in 2.14, not 2.6).
   */
  readonly multiMarginTargetSizeMessageDescriptive: boolean;
  /**
   * clamp_min's (and clamp_min_'s) gradient is 0 where self equals min: where(self > min, grad, 0)
   * (the minimum-norm subgradient, pytorch#191142 for issue #184572; seen in 2.14.1, not in 2.13 or
   * 2.6; assumed from 2.14); before, where(self >= min, grad, 0) passed the gradient at the boundary
   * (pytorch#7049). NaN gets 0 either way. Margin ranking ties, hinge inputs exactly at the margin.
   */
  readonly clampMinGradZeroAtMin: boolean;
  /**
   * F.margin_ranking_loss requires input1, input2 and target of one dim (a RuntimeError "All input
   * tensors should have same dimension"; broadcasting within that dim is kept) and accepts 0-d
   * tensors (pytorch#64975, merged Oct 2021: torch >= 1.11, measured in 1.13); before, any 0-d one
   * raised "margin_ranking_loss does not support scalars" and dims could differ (measured in 1.7).
   */
  readonly marginRankingSameDim: boolean;
  /**
   * pairwise_distance reduces the broadcast shape's last dim ("innermost_dim", which takes 1-D and
   * 0-d inputs; pytorch#64882, Sep 2021: torch >= 1.11; measured in 1.13); before, dim 1 (1.7: a 1-D or 0-d input raises
   * IndexError "Dimension out of range", a 3-D input reduces dim 1).
   */
  readonly pairwiseDistanceInnermostDim: boolean;
  /**
   * at::norm's CPU kernel reads p as a C float (norm_kernel_tensor_iterator_impl's `float val`, so a
   * float64 norm's p is float(p); measured in 1.7 and 1.13: p = 0.3 on float64 differs from 2.6 by
   * 2e-7 relative); later, a double (assumed from 2.0, with linalg_vector_norm; measured in 2.6).
   */
  readonly normKernelFloatP: boolean;
  /**
   * The inf-norm's max starts at numeric_limits<acc_t>::min() (the smallest normal) and the -inf
   * norm's min at numeric_limits<acc_t>::max() (measured in 1.7: -inf norm of all-inf rows is
   * FLT_MAX); later 0 and inf (assumed from 1.8, measured in 1.13).
   */
  readonly normMaxFromSmallestNormal: boolean;
  /**
   * norm with p = 2 over a contiguous last dim runs binary_kernel_reduce_lastdim's vectorized loop
   * (lanes of x * x, folded in order, then the scalar tail); before, binary_kernel_reduce's one
   * sequential accumulator (measured: 1.7 sequential, 1.13 vectorized; assumed from 1.11).
   */
  readonly normTwoLastDimVectorized: boolean;
  /** ... for float64 too (measured in 2.6 and 2.14; 1.13 runs float64 through the sequential loop; assumed from 2.0). */
  readonly normTwoLastDimVectorizedDouble: boolean;
  /**
   * The p = 2 last-dim loop's lane accumulation acc_vec += x * x is one fused multiply-add per lane
   * in Debian's 1.13 build (measured), two roundings in 2.6's and 2.14's (measured; GCC's contraction
   * of the Vectorized ops differs by build; assumed for 1.11 to 1.13). Its scalar tail adds whole
   * groups of 4 squares as plain products and fuses the rest (measured in 1.13, 2.6, 2.14).
   */
  readonly normTwoLanesFused: boolean;
  /** linalg_vector_norm over a dim of size 1 is |x| without the kernel (assumed from 2.0, measured in 2.6 and 2.14). */
  readonly vectorNormOfOneIsAbs: boolean;
  /**
   * at::norm is linalg_vector_norm underneath (torch >= 2.0, assumed; measured in 2.6 and 2.14), which
   * raises "linalg.vector_norm cannot compute the inf norm on the dimension 1because this dimension
   * is empty ..." for p < 0 or inf over an empty dim; 1.13's norm returns 0 / inf there.
   */
  readonly vectorNormRejectsEmpty: boolean;
  /**
   * norm_backward's newer form: p = 2 as grad * (self / norm).masked_fill_(norm == 0, 0), inf as
   * sgn(self) * (grad / mask.sum(dim)) * mask with mask = |self| == norm or NaN, p < 1 as its own
   * branch (assumed from 1.10; measured in 1.13); before, self * (grad / norm masked) etc. (1.7).
   */
  readonly normBackwardMaskedTwo: boolean;
  /** F.triplet_margin_loss and F.triplet_margin_with_distance_loss raise ValueError "margin must be greater than 0, got ..." for margin <= 0 (pytorch#121978, March 2024: torch >= 2.3; measured in 2.6 and 2.14, not in 1.13). */
  readonly tripletMarginRejectsNonPositiveMargin: boolean;
  /** ATen's triplet_margin_loss checks that anchor, positive and negative have one number of dims (pytorch#64882, Sep 2021: torch >= 1.11; measured in 1.13, not in 1.7). */
  readonly tripletMarginChecksDims: boolean;
  /** ... in the words "The anchor, positive, and negative tensors are expected to have the same number of dimensions, but got: ..." (pytorch#85614, Oct 2022: torch >= 2.0; measured in 2.6); before, "All inputs should have same dimension but got 2D, 1D and 2D inputs." (measured in 1.13). */
  readonly tripletMarginDimsMessageNamesTensors: boolean;
  /** min/minimum's gradient splits ties, grad / 2 to each (assumed from 1.10; measured in 1.13); before, other (the second operand) took a tie's whole gradient (measured in 1.7). */
  readonly minimumGradSplitsTies: boolean;
  /** F.triplet_margin_with_distance_loss and nn.TripletMarginWithDistanceLoss exist (pytorch#43680, torch >= 1.7; measured in 1.7). */
  readonly tripletMarginWithDistanceExists: boolean;
  /**
   * F.triplet_margin_with_distance_loss checks reduction and the dims first and computes
   * clamp_min(margin + d_pos - d_neg, 0) (pytorch#85614, Oct 2022: torch >= 2.0; measured in 2.6 and 2.14); before, it
   * computed clamp(d_pos - d_neg + margin, min=0) and parsed the reduction last (1.7, 1.13).
   */
  readonly tripletWithDistanceChecksFirst: boolean;
  /**
   * F.ctc_loss takes an unbatched (T, C) log_probs with 1-D (or (1, S)) targets and 0-d lengths,
   * unsqueezed to (T, 1, C) (pytorch#70092, Dec 2021: assumed from 1.11; seen in 1.13, not 1.7).
   */
  readonly ctcAcceptsUnbatched: boolean;
  /**
   * ctc_loss's CPU checks live in ctc_loss_allocate_outputs (named in their messages: "while
   * checking arguments for ctc_loss_allocate_outputs"), which also rejects negative input and
   * target lengths, and an input length of 0 gives a loss of 0 or inf (pytorch#81459's case):
   * seen in 2.6 and 2.14, not in 1.13 ("for ctc_loss_cpu"; negative or zero lengths read memory
   * never written); assumed from 2.1, one boundary for the three.
   */
  readonly ctcChecksInAllocateOutputs: boolean;
  /** ctc_loss raises "log_probs tensor must not be empty" (pytorch#150981, April 2025: assumed from 2.8; seen in 2.13 and 2.14, not 2.6). */
  readonly ctcRejectsEmptyLogProbs: boolean;
  /**
   * An ATen kernel dispatched on a dtype it lacks raises NotImplementedError ("\"ctc_loss_cpu\" not
   * implemented for 'Long'"; pytorch#155470, June 2025: assumed from 2.8; seen in 2.13 and 2.14);
   * before, RuntimeError (seen in 1.7 to 2.6).
   */
  readonly dispatchRaisesNotImplementedError: boolean;
  /**
   * F.cosine_similarity divides each (broadcast) input by its own norm before the product:
   * ((x1 / n1) * (x2 / n2)).sum(dim), n = sqrt(max(pow(x, 2).sum(dim, keepdim), eps * eps))
   * (pytorch#31378, merged Apr 2022: assumed from 1.12, measured in 1.13); before,
   * sum(x1 * x2) / sqrt(max(sum(x1 * x1) * sum(x2 * x2), eps * eps)) (measured in 1.7).
   */
  readonly cosineSimilarityNormalizesFirst: boolean;
  /**
   * F.cosine_similarity's norms are linalg_vector_norm(x, 2, dim, keepdim).clone() clamped to eps
   * (the follow-up of pytorch#78064 on values above 1: assumed from 2.0, measured in 2.6 and 2.14);
   * before, the square root of the clamped cascade sum of squares (1.12, 1.13).
   */
  readonly cosineSimilarityUsesVectorNorm: boolean;
  /**
   * F.cosine_similarity raises RuntimeError "eps must be non-negative, got: <eps>" for eps < 0 or NaN,
   * before broadcasting (seen in 2.13 and 2.14.1, not in 2.6; the PR not located: assumed from 2.10).
   */
  readonly cosineSimilarityRejectsNegativeEps: boolean;
  /**
   * cosine_embedding_loss requires a 1-D target ("1D target tensor expected, multi-target not
   * supported"; pytorch#53110 for issue #53030, merged Mar 2021: assumed from 1.9); torch 1.7 checks
   * nothing and lets where() broadcast any target.
   */
  readonly cosineEmbeddingChecksTargetDim: boolean;
  /**
   * cosine_embedding_loss takes unbatched (D) inputs with a 0-d target, and checks input1's dim
   * against the target's ("0D or 1D target tensor expected", "1D target tensor expects 2D input
   * tensors", "0D target tensor expects 1D input tensors"), summing over target.dim()
   * (pytorch#64590, Sep 2021: assumed from 1.11, measured in 1.13); before, dim 1 always.
   */
  readonly cosineEmbeddingAccepts1d: boolean;
  /**
   * cosine_embedding_loss's dim check covers input2 too (pytorch#112782 for issue #112732, Nov 2023:
   * assumed from 2.2, measured in 2.6); 1.13 checks input1 alone (input2 (D) with (N, D) input1 and a
   * 1-D target raises IndexError from sum; (D) input1 with an (N, D) input2 and 0-d target computes).
   */
  readonly cosineEmbeddingChecksInput2Dim: boolean;
}

/** ATEN_CPU_CAPABILITY values: 'default' runs scalar std:: math, the others SLEEF's vectorized math. */
export type CpuCapability = 'default' | 'avx2' | 'avx512';
export const CPU_CAPABILITIES: readonly CpuCapability[] = ['default', 'avx2', 'avx512'];

/**
 * Elements per vector in ATen's float sum kernel's AVX2 build: 32 bytes. Measured: torch 2.6 and
 * 2.14 sum exactly as 8 float32 / 4 float64 lanes under AVX2, AVX-512 and 'default' alike
 * (test/fixtures/torch-sums-*.json; 1.13 under AVX2 and 'default'). See sumLanes for AVX-512.
 */
export function vectorLanes(dtype: 'float32' | 'float64'): number {
  return dtype === 'float32' ? 8 : 4;
}

/**
 * The sum kernel's lanes for a release and capability: vectorLanes, doubled under avx512 where
 * the release registers an AVX-512 build of the sum kernel (avx512SumKernel: 1.10 to 2.0, read in
 * 1.13's libtorch_cpu dispatch tables; unmeasured, as no AVX-512 CPU was at hand).
 */
export function sumLanes(dtype: 'float32' | 'float64', torch: TorchRelease, capability: CpuCapability): number {
  return vectorLanes(dtype) * (capability === 'avx512' && torch.avx512SumKernel ? 2 : 1);
}

/** Whether torch version `version` is `wanted`, or starts with it at a boundary (. + or a pre-release letter): '2.6' is 2.6.0+debian, not 2.60. */
export function torchMatches(version: string, wanted: string): boolean {
  return version.startsWith(wanted) && !/^\d/.test(version.slice(wanted.length));
}

/** Orders torch.__version__ strings (or golden folder names) by major, minor, patch. */
export function compareTorchVersions(a: string, b: string): number {
  const key = (v: string) =>
    v
      .split(/[^0-9]+/)
      .filter(Boolean)
      .slice(0, 3)
      .map(Number);
  const [x, y] = [key(a), key(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** The behaviour used when no torchVersion is given: the newest release. */
export const NEWEST_TORCH = '2.14.1';

/** Parsed releases by version string: valid ones only, at most CACHE_SIZE (the oldest entry goes first). */
const cache = new Map<string, TorchRelease>();
const CACHE_SIZE = 64;

/** Parses a torch.__version__ string ('1.13.0a0', '2.6.0+debian', '2.14.1+debian', '1.5.0'); the result is frozen (shared by every caller). */
export function torchRelease(version: string = NEWEST_TORCH, op = 'torchVersion'): TorchRelease {
  const hit = cache.get(version);
  if (hit) return hit;
  const m = typeof version === 'string' ? /^(\d+)\.(\d+)(?:\.\d+)?(?:[a-z]+\d*)?(?:\.\w+)*(?:\+[\w.]+)?$/.exec(version) : null;
  if (!m) {
    throw new LossArgumentError(
      `${op}: torchVersion ${JSON.stringify(version)} is not a torch.__version__ string such as '2.6.0+debian'`,
      'ValueError',
    );
  }
  const major = Number(m[1]);
  const minor = Number(m[2]);
  const atLeast = (a: number, b: number) => major > a || (major === a && minor >= b);
  if (!atLeast(1, 5)) {
    throw new LossArgumentError(`${op}: torchVersion '${version}' is older than 1.5, the oldest release the ports follow`, 'ValueError');
  }
  const release: TorchRelease = Object.freeze({
    version,
    major,
    minor,
    logSigmoidUsesLog1p: atLeast(1, 11),
    bceUsesLogSigmoid: atLeast(2, 3),
    mlsmlAccepts1d: atLeast(1, 11),
    mlmlAcceptsEmptyBatch: atLeast(1, 8),
    bceChecksTargetRange: atLeast(2, 0),
    bceUsesLog1p: atLeast(2, 0),
    softMarginUsesLog1p: atLeast(2, 0),
    sleefLog1pOverflows: atLeast(2, 0) && !atLeast(2, 8),
    defaultCpuCapability: atLeast(2, 0) ? 'avx512' : 'avx2',
    crossEntropyHasLabelSmoothing: atLeast(1, 10),
    crossEntropyProbabilityTargets: atLeast(1, 10),
    crossEntropyAcceptsNoBatchDim: atLeast(1, 11),
    crossEntropyNoBatchDimProbTargets: atLeast(1, 12),
    crossEntropySmoothingGathersKeptWeights: atLeast(1, 11),
    crossEntropySmoothingExcludesIgnored: atLeast(1, 12),
    crossEntropySmoothingMaskedFill: atLeast(2, 0),
    mulScalarBackwardWrapsScalar: atLeast(2, 0),
    avx512Kernels: atLeast(1, 10),
    avx512SumKernel: atLeast(1, 10) && !atLeast(2, 1),
    logSoftmaxInnerVectorized: atLeast(1, 12),
    logSoftmaxBackwardInnerVectorized: atLeast(1, 13),
    vecReduceAllPairwise: atLeast(1, 12),
    nllLossNdInAten: atLeast(1, 9),
    nllLossAcceptsNoBatchDim: atLeast(1, 10),
    nllLossWeightMustBe1d: atLeast(1, 10),
    nllLossUsesCascadeSum: atLeast(1, 9),
    nllLossMeanOfNothingIsNan: atLeast(1, 11),
    nllLoss1dTargetMustBeSize1: atLeast(2, 10),
    nllLossChecksTargetDtype: atLeast(2, 11),
    intArgOverflowIsValueError: atLeast(2, 10),
    smoothL1HasBeta: atLeast(1, 7),
    smoothL1ZeroBetaIsL1InAten: atLeast(1, 7) && !atLeast(1, 13),
    smoothL1ZeroBetaCallsL1Loss: atLeast(2, 1),
    smoothL1BackwardPromotes: atLeast(1, 10),
    huberLossExists: atLeast(1, 9),
    huberLossHasWeight: atLeast(2, 6),
    mseAndL1LossHaveWeight: atLeast(2, 6),
    l1LossIsComposite: atLeast(1, 13),
    mseLossBackwardPromotes: atLeast(2, 12),
    gaussianNllLossExists: atLeast(1, 8),
    gaussianNllElementwise: atLeast(1, 9),
    gaussianNllAcceptsFloatVar: atLeast(2, 6),
    gaussianNllVarOneMismatchedDim: atLeast(2, 7),
    clampNanMinIsNan: atLeast(2, 11),
    elementwiseMeanWarningIsTwoSentences: atLeast(2, 0),
    klDivHasLogTarget: atLeast(1, 6),
    klDivIsComposite: atLeast(1, 13),
    poissonNllReductionErrorSaysValidValue: atLeast(2, 0),
    logPromotesIntegerTensors: atLeast(1, 8),
    mlmlTargetSizeNamesInput: atLeast(2, 1),
    bceWeightUsesBroadcastShapes: atLeast(2, 12),
    multiMarginAcceptsEmptyBatch: atLeast(1, 8),
    multiMarginTargetSizeSaysExpected: atLeast(2, 1),
    multiMarginChecksWeightSize: atLeast(2, 1),
    multiMarginTargetSizeMessageDescriptive: atLeast(2, 11),
    clampMinGradZeroAtMin: atLeast(2, 14),
    marginRankingSameDim: atLeast(1, 11),
    pairwiseDistanceInnermostDim: atLeast(1, 11),
    normKernelFloatP: !atLeast(2, 0),
    normMaxFromSmallestNormal: !atLeast(1, 8),
    normTwoLastDimVectorized: atLeast(1, 11),
    normTwoLastDimVectorizedDouble: atLeast(2, 0),
    normTwoLanesFused: atLeast(1, 11) && !atLeast(2, 0),
    vectorNormOfOneIsAbs: atLeast(2, 0),
    vectorNormRejectsEmpty: atLeast(2, 0),
    normBackwardMaskedTwo: atLeast(1, 10),
    tripletMarginRejectsNonPositiveMargin: atLeast(2, 3),
    tripletMarginChecksDims: atLeast(1, 11),
    tripletMarginDimsMessageNamesTensors: atLeast(2, 0),
    minimumGradSplitsTies: atLeast(1, 10),
    tripletMarginWithDistanceExists: atLeast(1, 7),
    tripletWithDistanceChecksFirst: atLeast(2, 0),
    ctcAcceptsUnbatched: atLeast(1, 11),
    ctcChecksInAllocateOutputs: atLeast(2, 1),
    ctcRejectsEmptyLogProbs: atLeast(2, 8),
    dispatchRaisesNotImplementedError: atLeast(2, 8),
    cosineSimilarityNormalizesFirst: atLeast(1, 12),
    cosineSimilarityUsesVectorNorm: atLeast(2, 0),
    cosineSimilarityRejectsNegativeEps: atLeast(2, 10),
    cosineEmbeddingChecksTargetDim: atLeast(1, 9),
    cosineEmbeddingAccepts1d: atLeast(1, 11),
    cosineEmbeddingChecksInput2Dim: atLeast(2, 2),
  });
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(version, release);
  return release;
}
