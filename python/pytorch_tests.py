"""PyTorch's own tests of the ported losses (the fourteen, and issue 15's seven), re-created as data and run in the torch at hand.

test/pytorch-tests.test.ts asks python/worker.py for them one at a time ({"op": "pytorch_test",
"index": i}) and holds the ports to what torch computed, and to each test's own check where it has
one (a reference formula, an equality between two calls, a finite or non-negative output, a bounded
gradient, a warning, an error type and message). The tensors the tests draw with torch.rand/randn/
make_tensor are drawn here the same way from a seed per test, so every build gets the same shapes and
options, and the port gets exactly the values torch got.

Where each group comes from (read in the torch releases installed here, and pytorch/pytorch main):
  TEST_NN        test/test_nn.py TestNN.test_bce_* (pytorch/pytorch 74f2fa66; the same in 1.13), and
                 TestNNDeviceType.test_nn_scalars_reductions / test_invalid_reduction_strings
  NO_REDUCE      torch/testing/_internal/common_nn.py, the *_no_reduce tests of new_module_tests
                 (1.13.0 and 2.14.1 define them alike; 2.x adds default_dtype=torch.double)
  CRITERION      torch/testing/_internal/common_nn.py criterion_tests (1.13.0: BCELoss, weights,
                 scalar_weights, MultiLabelMarginLoss 1d/2d, MultiLabelSoftMarginLoss, weights,
                 SoftMarginLoss, BCEWithLogitsLoss, weights, scalar_weights), and the no-batch-dim
                 tests classification_criterion_no_batch (2.14.1, also in 1.13.0)
  MODULE_INFO    torch/testing/_internal/common_modules.py module_inputs_torch_nn_<Loss> (2.14.1, 2.6.0)
  OP_INFO        torch/testing/_internal/common_methods_invocations.py sample_inputs_*, reference_inputs_*
                 and error_inputs_* of the five nn.functional ops (2.14.1, 2.6.0)
The legacy size_average / reduce variants exercise what CriterionTest's check_sum_reduction and the
legacy-enum tests reach: torch/nn/_reduction.py legacy_get_string on the module classes.

Issue 14's nine (cross_entropy, nll_loss, mse_loss, l1_loss, smooth_l1_loss, huber_loss, kl_div,
poisson_nll_loss, gaussian_nll_loss), the same way, in the *_nine groups:
  test_nn_nine   test/test_nn.py TestNN (pytorch/pytorch 74f2fa66): test_loss_equal_input_target_shape,
                 test_mse_loss_size_warning, test_weighted_{mse,l1,huber}_loss*, test_gaussian_nll_loss_
                 {broadcasting,args,scalar_var}, test_KLDivLoss_batch_mean[_log_target],
                 test_kl_div_with_diff_type[_log_target], test_kl_div_log_softmax_target,
                 test_pointwise_loss_{target_grad_none_reduction,broadcast}, test_smoothl1loss_
                 {intergral_target,negative_beta_not_supported}, test_huber_loss_invalid_delta,
                 test_cross_entropy_loss_zero_div
  test_nn_device_type_nine  TestNNDeviceType: test_invalid_reduction_strings (the nine's calls),
                 test_smooth_l1_loss_vs_huber_loss, test_nll_loss_{mismatched_batch,
                 out_of_bounds_ignore_index, invalid_target_dim, invalid_weights, empty_tensor_reduction_*,
                 total_weight_is_zero, all_ignored, byte_target_matches_long}, test_cross_entropy_loss_
                 {prob_target_all_reductions, prob_target_unit_weights, prob_target_no_batch_dim_*,
                 index_target_unit_weights, one_hot_target}, test_cross_entropy_label_smoothing_{errors,
                 consistent_index_target_and_probs, with_probs, weight_ignore_indices},
                 test_smoothl1loss_backward_zero_beta, test_nn_scalars_reductions (L1/MSE/SmoothL1)
  no_reduce_nine common_nn.py PoissonNLLLoss_no_reduce, KLDivLoss_*no_reduce* (6), L1Loss_no_reduce[_scalar],
                 MSELoss_no_reduce[_scalar], NLLLoss{,2d,Nd}_no_reduce* (11), SmoothL1Loss_no_reduce[_scalar],
                 SmoothL1Loss_{beta,zero_beta}, HuberLoss_delta (1.13.0 and 2.14.1 alike), with
                 kldivloss_reference, nllloss_reference, nlllossNd_reference, smoothl1loss_reference,
                 huberloss_reference written as formulas (see the reference functions below)
  criterion_nine common_nn.py criterion_tests of the nine (1.13.0; cross_entropy_loss_reference), and
                 regression_criterion_no_batch, KLDivLoss_no_batch_dim_*, NLLLoss of
                 classification_criterion_no_batch (2.14.1; 1.13.0 alike)
  module_info_nine  common_modules.py module_inputs_torch_nn_{KLDivLoss, NLLLoss, GaussianNLLLoss (2.14.1
                 and 2.6.0's), PoissonNLLLoss, MSELoss, L1Loss, SmoothL1Loss, CrossEntropyLoss, HuberLoss}
                 and module_error_inputs_torch_nn_{CrossEntropyLoss (2.13+), NLLLoss}
  op_info_nine   common_methods_invocations.py sample_inputs_{cross_entropy, loss (mse/l1/smooth_l1),
                 smooth_l1_loss, nll_loss, gaussian_nll_loss, huber_loss, poisson_nll_loss, kl_div}, the
                 NumPy refs of mse_loss / l1_loss / smooth_l1_loss, error_inputs_{l1_loss,
                 gaussian_nll_loss, huber_loss, poisson_nll_loss} (2.14.1; 2.6.0 alike)
A call may need what some releases lack (FEATURES: weight= of mse/l1/huber, a number var, a var with
one other dim of 1): detected in the torch at hand, and there the call is that release's error,
which the port must raise for that torchVersion too (the reply names the missing feature).
Not re-created: test_l1_loss_correct and test_cross_entropy_loss_precision (3M to 150M-element
tensors), the bfloat16/float16/complex tests and samples (no such port dtypes), CUDA-only tests,
gradcheck/gradgradcheck (numerical differentiation of torch: the port is held to torch's autograd
gradient instead), module_error_inputs_torch_nn_HuberLoss (a complex delta, not expressible), and
1.13's test_nn.py TestNN tests that 74f2fa66 no longer has (that release's file was not available).

Issue 15's seven (margin_ranking_loss, hinge_embedding_loss, cosine_embedding_loss, multi_margin_loss,
triplet_margin_loss, triplet_margin_with_distance_loss, ctc_loss) in the *_seven groups, calls of any
arity (case7 / run_case7: torch's positional arguments by name, CTC's lengths as int lists or int
tensors, the gradient of every differentiable argument):
  test_nn_seven  test/test_nn.py TestNN (pytorch/pytorch 74f2fa66): test_cosine_embedding_loss_
                 {with_diff_type, error_on_diff_shapes, error_on_nonexpandable_shapes, no_reduce,
                 margin_no_reduce, invalid_shape}, test_margin_ranking_loss_{no_reduce, margin_no_reduce},
                 test_triplet_margin_loss{, _swap, _no_reduce, _swap_no_reduce}, test_CTCLoss_
                 {typechecks, lengthchecks_cpu, zero_lengths}
  test_nn_device_type_seven  TestNNDeviceType: test_invalid_reduction_strings (the seven's calls),
                 test_MarginLoss_empty (MultiMarginLoss's half), test_CTCLoss_empty_target, test_ctc_loss,
                 test_CTCLoss_no_batch_dim (reduction x use_module_form), test_triplet_margin_with_
                 distance_loss_default_parity, test_triplet_margin_with_distance_loss
  no_reduce_seven  common_nn.py HingeEmbeddingLoss_{,margin_}no_reduce, MultiMarginLoss_{,1d_,p_,margin_,
                 weights_}no_reduce, multimarginloss_1d_input_0d_target_no_reduce (1.13.0 and 2.14.1 alike)
  criterion_seven  common_nn.py criterion_tests (1.13.0): HingeEmbeddingLoss{,_margin,_scalar_margin},
                 MultiMarginLoss{,_1d,_p,_margin,_weights}, CosineEmbeddingLoss{,_margin},
                 MarginRankingLoss{,_margin}, CTCLoss_{lengths_intlists, lengths_tensors,
                 2d_int_target_lengths_intlists, 2d_int_target_lengths_tensors, 2d_lengths_tensors}
                 (forward only, as check_forward_only), and classification_criterion_no_batch's
                 HingeEmbeddingLoss, CosineEmbeddingLoss, MarginRankingLoss, TripletMarginLoss (and
                 2.14.1's CosineEmbeddingLoss, whose 0-d target is float64)
  module_info_seven  common_modules.py module_inputs_torch_nn_{CosineEmbeddingLoss, CTCLoss,
                 HingeEmbeddingLoss, MarginRankingLoss, MultiMarginLoss} (2.14.1; 2.6.0 alike; there is no
                 ModuleInfo of TripletMarginLoss or TripletMarginWithDistanceLoss) and
                 module_error_inputs_torch_nn_MultiMarginLoss (2.13+)
  op_info_seven  common_methods_invocations.py sample_inputs_ / reference_inputs_ / error_inputs_ of
                 nn.functional.{margin_ranking_loss, multi_margin_loss, hinge_embedding_loss,
                 cosine_embedding_loss, ctc_loss, triplet_margin_loss, triplet_margin_with_distance_loss}
                 (2.14.1; 2.6.0 alike), with test_python_ref's other side (torch._refs.nn.functional's
                 margin_ranking_loss, hinge_embedding_loss, triplet_margin_loss) where the torch has it
with reference_fns hingeembeddingloss_reference, multimarginloss_reference, cosineembeddingloss_reference,
tripletmarginloss_reference, marginrankingloss_reference, ctcloss_reference written as formulas.
A Python distance_function is named (distance_function()): nn.PairwiseDistance() and the tests'
1 - F.cosine_similarity (their cosine_distance function and their lambda alike) are the ports'
built-in pairwise and cosine distances. Where a release's torch reads memory it does not own (torch
1.13's CTC with negative lengths or an input length of 0: DEFINED), the call is made but not compared.
A test's expected error that holds from a later release (error=(type, regex, release)) is, before it,
the call as that torch makes it.
Not re-created (the seven): gradcheck/gradgradcheck (the ports are held to torch's autograd gradients
instead), test_triplet_margin_with_distance_loss's torch.jit.trace half (no TorchScript in JS),
test_cosine_embedding_loss_with_diff_type's integer, half, bfloat16 and complex inputs (the port's
inputs are float32/float64; its integer targets are), the CUDA-only tests (test_CTCLoss_lengthchecks_cuda,
_long_targets, _critical_target_len, _zero_infinity, test_CTCLoss_cudnn, test_ctc_loss_cudnn*,
test_MarginLoss_race, test_MarginLoss_warnings), module_inputs_torch_nn_MultiMarginLoss's reference_fn for
'p' and 'weights' (it does not hold: torch itself fails it on make_tensor's [-9, 9] inputs; those two
calls are held to torch only), and torch 1.7 (its torch.testing has no make_tensor, which the whole
file uses).
"""
import base64
import inspect
import math
import random
import re
import sys
import warnings
import zlib
from array import array
from itertools import product

S, M = 5, 10  # common_methods_invocations.py's sizes
# error_inputs_multilabel_margin_loss is not in 1.13.0 (its messages then were "inconsistent size [4]
# for argument #2 'target'"); its regexes hold from the releases that have it (2.6.0 here)
SINCE_2_6 = (2, 6)
SINCE_1_13 = (1, 13)  # the seven's: measured in 1.13, not in 1.7 (the boundary in between not measured)
FLOATS = ("float32", "float64")
REDUCTIONS = ("none", "mean", "sum")

# stem -> (torch.nn.functional name, torch.nn module class)
OPS = {
    "binary_cross_entropy": ("binary_cross_entropy", "BCELoss"),
    "binary_cross_entropy_with_logits": ("binary_cross_entropy_with_logits", "BCEWithLogitsLoss"),
    "soft_margin_loss": ("soft_margin_loss", "SoftMarginLoss"),
    "multilabel_margin_loss": ("multilabel_margin_loss", "MultiLabelMarginLoss"),
    "multilabel_soft_margin_loss": ("multilabel_soft_margin_loss", "MultiLabelSoftMarginLoss"),
    # issue 14's nine
    "cross_entropy": ("cross_entropy", "CrossEntropyLoss"),
    "nll_loss": ("nll_loss", "NLLLoss"),
    "mse_loss": ("mse_loss", "MSELoss"),
    "l1_loss": ("l1_loss", "L1Loss"),
    "smooth_l1_loss": ("smooth_l1_loss", "SmoothL1Loss"),
    "huber_loss": ("huber_loss", "HuberLoss"),
    "kl_div": ("kl_div", "KLDivLoss"),
    "poisson_nll_loss": ("poisson_nll_loss", "PoissonNLLLoss"),
    "gaussian_nll_loss": ("gaussian_nll_loss", "GaussianNLLLoss"),
}


def case(test, loss, x, t, style="functional", dtypes=FLOATS, error=None, reference=None, check=None,
         grad_output=None, v=None, fixed=(), requires=None, ref_requires=None, warning=None, ref_tol=None, forward_only=False,
         **options):
    """One call of a loss as a PyTorch test makes it.

    x, t: tensors as the test draws them (float inputs are cast to each of dtypes; a float target
    too, an integer target keeps its dtype). v: gaussian_nll_loss's var (a tensor cast like x, whose
    gradient is recorded too, or a Python number). options: the loss's keyword arguments in torch's
    names (reduction, weight, ignore_index, label_smoothing, ...; float tensors cast like x).
    fixed: names ('t', 'v', option names) whose tensors keep the dtype the test gave them.
    error: (exception type, regex or None[, release the regex holds from]) the test expects; type
    'Exception' is the test's assertRaises(Exception). reference: fn(torch, F, nn, x, t, options) ->
    (output, grad or None), the test's own expected result (its reference_fn, or the other side of
    its assertEqual), compared at ref_tol (rtol, atol) when the test gives its own. check: 'finite',
    'nonnegative' or 'grad_abs_le_1', the test's assertion on the output or gradient. warning: a
    regex the test asserts a warning matches. requires: a FEATURES name the call needs (a keyword or
    a var form some releases lack); where the torch at hand lacks it, the call is torch's error for
    that release and the port must raise the same; ref_requires: a feature only the reference needs
    (where it is missing, the call is still made, without the reference). grad_output: 'ones' for a test that calls
    .backward() on the output or its .sum(); otherwise a seeded randn like the output.
    forward_only: the test checks the forward only (no backward).
    """
    return dict(test=test, loss=loss, x=x, t=t, v=v, style=style, dtypes=dtypes, error=error, reference=reference,
                check=check, grad_output=grad_output, fixed=fixed, requires=requires, ref_requires=ref_requires, warning=warning, ref_tol=ref_tol,
                forward_only=forward_only, options=options)


def make_tensor_of(torch):
    """torch.testing.make_tensor; in a torch without it (1.7), the same kind of draws: floats uniform
    in [low, high) (default [-9, 9)), integers in [low, high) (default [-9, 10)), from the global
    generator (other values than a newer torch's make_tensor, the same shapes and ranges)."""
    try:
        from torch.testing import make_tensor
        return make_tensor
    except ImportError:
        pass

    def make_tensor(*shape, dtype, device="cpu", low=None, high=None, requires_grad=False):
        if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
            shape = tuple(shape[0])
        if dtype.is_floating_point:
            t = torch.empty(shape, dtype=dtype, device=device).uniform_(-9 if low is None else low, 9 if high is None else high)
        else:
            t = torch.randint(-9 if low is None else int(low), 10 if high is None else int(high), shape, dtype=dtype, device=device)
        return t.requires_grad_(True) if requires_grad else t
    return make_tensor


def seeded(torch, name):
    """The global generator seeded per test, as the tests draw from the global generator."""
    torch.manual_seed(zlib.crc32(name.encode()))


def output_of(loss, style="module", **fixed):
    """A reference that is torch's own result for another call (the other side of an assertEqual)."""
    def reference(torch, F, nn, x, t, options, transform=None):
        return call(torch, F, nn, loss, style, x if transform is None else transform(x), t, dict(options, **fixed)), None
    return reference


# ---- torch/testing/_internal/common_nn.py reference functions (2.14.1; 1.13.0 alike) ----------------

def _multilabelmarginloss_reference(input, target):
    targets = []
    for target_index in target:
        if target_index < 0:
            break
        targets.append(target_index)
    total = 0
    for target_index in targets:
        for i in range(len(input)):
            if i not in targets:
                total += max(0, 1 - input[target_index] + input[i])
    return total


def multilabelmarginloss_reference(input, target, reduction="mean"):
    input_dim = input.dim()
    if input.dim() < 2:
        input = input.unsqueeze(0) if input.dim() == 1 else input.unsqueeze(0).unsqueeze(0)
        target = target.unsqueeze(0) if target.dim() == 1 else target.unsqueeze(0).unsqueeze(0)
    n, dim = input.size(0), input.size(1)
    output = input.new(n).zero_()
    for i in range(n):
        output[i] = _multilabelmarginloss_reference(input[i], target[i])
    if reduction == "mean":
        return output.mean() / dim
    if reduction == "sum":
        return output.sum() / dim
    if input_dim < 2:
        return output.squeeze() / dim
    return output / dim


def softmarginloss_reference(input, target, reduction="mean"):
    output = (1 + (-input * target).exp()).log()
    return output.mean() if reduction == "mean" else output.sum() if reduction == "sum" else output


def reduce_as(result, reduction):
    return result if reduction == "none" else result.sum() / result.numel() if reduction == "mean" else result.sum()


def formula(fn):
    """A reference formula of (torch, x, t, options) -> output, without a gradient."""
    return lambda torch, F, nn, x, t, options: (fn(torch, x, t, options), None)


def bce_formula(torch, i, t, o):
    result = -(t * i.log() + (1 - t) * (1 - i).log())
    if o.get("weight") is not None:
        result = result * o["weight"]
    return reduce_as(result, o.get("reduction", "mean"))


def bce_logits_formula(torch, i, t, o):
    # common_modules.py bce_withlogitsloss_reference_fn
    max_val = (-i).clamp(min=0)
    result = (1 - t).mul(i).add(max_val).add((-max_val).exp().add((-i - max_val).exp()).log())
    if o.get("weight") is not None:
        result = result * o["weight"]
    return reduce_as(result, o.get("reduction", "mean"))


def bce_sigmoid_formula(torch, i, t, o):
    # common_nn.py bce_with_logistic_no_reduce_test's reference_fn
    return -(t * torch.sigmoid(i).log() + (1 - t) * (1 - torch.sigmoid(i)).log())


def mlsm_formula(torch, i, t, o):
    # common_modules.py multilabelsoftmargin_loss_reference_fn
    result = t * i.sigmoid().log() + (1 - t) * (-i).sigmoid().log()
    if o.get("weight") is not None:
        result = result * o["weight"]
    result = (-result).sum(i.dim() - 1) / i.size(-1)
    reduction = o.get("reduction", "mean")
    return result if reduction == "none" else result.mean() if reduction == "mean" else result.sum()


def mlm_formula(torch, i, t, o):
    return multilabelmarginloss_reference(i, t, o.get("reduction", "mean"))


def sm_formula(torch, i, t, o):
    return softmarginloss_reference(i, t.type_as(i), o.get("reduction", "mean"))


def single_batch(loss):
    """common_nn.py single_batch_reference_criterion_fn: the module on a batch of one, squeezed."""
    def reference(torch, F, nn, x, t, options):
        return call(torch, F, nn, loss, "module", x.unsqueeze(0), t.unsqueeze(0), options).squeeze(0), None
    return reference


# ---- the groups ------------------------------------------------------------------------------------

def test_nn(torch):
    """test/test_nn.py TestNN (pytorch/pytorch 74f2fa66, and 1.13.0), float32 as the tests run."""
    F32 = ("float32",)
    sig = torch.sigmoid
    name = "test_nn.py TestNN.test_bce_loss_always_nonnegative"
    yield case(name, "binary_cross_entropy", torch.ones(5), torch.ones(5), "module", F32, check="nonnegative")
    yield case(name, "binary_cross_entropy", torch.zeros(5), torch.zeros(5), "module", F32, check="nonnegative")

    name = "test_nn.py TestNN.test_bce_with_logits_raises_if_target_and_input_are_different_size"
    seeded(torch, name)
    yield case(name, "binary_cross_entropy_with_logits", torch.rand(5, 1), torch.rand(5), "module", F32, error=("ValueError", None))
    yield case(name, "binary_cross_entropy_with_logits", torch.rand(5), torch.rand(5, 1), "module", F32, error=("ValueError", None))

    name = "test_nn.py TestNN.test_bce_with_logits_gives_same_result_as_sigmoid_and_bce_loss"
    seeded(torch, name)
    target, output = torch.rand(64, 4), torch.rand(64, 4) - 0.5
    weight = torch.rand(4)
    # assertEqual(BCEWithLogitsLoss()(output, target), BCELoss()(sigmoid(output), target)): each side is
    # the other's reference
    bce_of_sigmoid = lambda torch, F, nn, x, t, o: output_of("binary_cross_entropy")(torch, F, nn, x, t, o, sig)  # noqa: E731
    for w in (None, weight):
        opts = {} if w is None else {"weight": w}
        yield case(name, "binary_cross_entropy_with_logits", output, target, "module", F32, reference=bce_of_sigmoid, **opts)
        yield case(name, "binary_cross_entropy", sig(output), target, "module", F32,
                   reference=lambda torch, F, nn, x, t, o, logits=output: output_of("binary_cross_entropy_with_logits")(torch, F, nn, logits.to(x.dtype), t, o),
                   **opts)
    target, output = torch.zeros(4, 1), torch.empty(4, 1).fill_(-100)
    for opts in ({}, {"reduction": "none"}, {"weight": torch.rand(1)}):
        yield case(name, "binary_cross_entropy_with_logits", output, target, "module", F32, reference=bce_of_sigmoid, **opts)

    name = "test_nn.py TestNN.test_bce_loss_input_range"
    seeded(torch, name)
    target, valid = torch.rand(25, 25), torch.rand(25, 25)
    yield case(name, "binary_cross_entropy", valid, target, "module", F32)
    yield case(name, "binary_cross_entropy", valid - 1.0, target, "module", F32, error=("RuntimeError", "between 0 and 1"))
    yield case(name, "binary_cross_entropy", valid + 1.0, target, "module", F32, error=("RuntimeError", "between 0 and 1"))

    name = "test_nn.py TestNN.test_bce_loss_size_mismatch"
    seeded(torch, name)
    yield case(name, "binary_cross_entropy", torch.rand(25), torch.rand(25, 1), "module", F32,
               error=("ValueError", r"Using a target size \("))

    name = "test_nn.py TestNN.test_bce_with_logits_gives_same_result_as_sigmoid_and_bce_loss_large_tensors_with_grad"
    seeded(torch, name)
    target = torch.rand(1024, 256)
    for reduction in REDUCTIONS:
        output, weight = torch.rand(1024, 256) - 0.5, torch.rand(256)
        through_sigmoid = output_of("binary_cross_entropy")

        def reference(torch, F, nn, x, t, o, through_sigmoid=through_sigmoid):
            # loss_sig = nn.BCELoss(weight)(torch.sigmoid(output_sig)): its value and its gradient wrt output_sig
            xs = x.detach().clone().requires_grad_(True)
            out, _ = through_sigmoid(torch, F, nn, xs, t, o, torch.sigmoid)
            out.backward(o["__grad_output"])
            return out.detach(), xs.grad
        yield case(name, "binary_cross_entropy_with_logits", output, target, "module", F32, reference=reference,
                   grad_output=None if reduction == "none" else "ones", weight=weight, reduction=reduction)

    name = "test_nn.py TestNN.test_bce_with_logits_has_correct_grad_at_zero"
    half = lambda torch, F, nn, x, t, o: (None, torch.empty(3, 1).fill_(0.5))  # noqa: E731
    yield case(name, "binary_cross_entropy_with_logits", torch.zeros(3, 1), torch.zeros(3, 1), "module", F32, reference=half,
               grad_output="ones", reduction="sum")

    for loss, through in (("binary_cross_entropy_with_logits", None), ("binary_cross_entropy", sig)):
        name = "test_nn.py TestNN.test_%s_broadcasts_weights" % ("binary_cross_entropy_with_logits" if through is None else "bce_loss")
        seeded(torch, name)
        target, output = torch.rand(16, 4), torch.rand(16, 4) - 0.5
        x = output if through is None else through(output)
        for weight in (torch.rand(4), torch.rand(16, 1)):
            yield case(name, loss, x, target, "module", F32, weight=weight)
            yield case(name, loss, x, target, "module", F32, reference=output_of(loss, weight=weight),
                       weight=weight.expand(16, 4).contiguous())

    name = "test_nn.py TestNN.test_bce_with_logits_ones_in_pos_weights_are_the_same_as_none"
    seeded(torch, name)
    target, output = torch.rand(64, 4), torch.rand(64, 4) - 0.5
    yield case(name, "binary_cross_entropy_with_logits", output, target, "module", F32,
               reference=lambda torch, F, nn, x, t, o: (call(torch, F, nn, "binary_cross_entropy_with_logits", "module", x, t, {}), None),
               pos_weight=torch.ones(64, 4))

    name = "test_nn.py TestNN.test_bce_with_logits_broadcasts_pos_weights"
    seeded(torch, name)
    target, output, pos_weight = torch.rand(64, 4), torch.rand(64, 4) - 0.5, torch.rand(4)
    yield case(name, "binary_cross_entropy_with_logits", output, target, "module", F32, pos_weight=pos_weight)
    for expanded in (pos_weight.expand(1, 4), pos_weight.expand(64, 4)):
        yield case(name, "binary_cross_entropy_with_logits", output, target, "module", F32,
                   reference=output_of("binary_cross_entropy_with_logits", pos_weight=pos_weight), pos_weight=expanded)

    name = "test_nn.py TestNN.test_bce_with_logits_with_pos_weight_has_correct_grad_at_zero"
    yield case(name, "binary_cross_entropy_with_logits", torch.zeros(3, 1), torch.zeros(3, 1), "module", F32, reference=half,
               grad_output="ones", pos_weight=torch.ones(3, 1), reduction="sum")

    name = "test_nn.py TestNN.test_bce_with_logits_stability"
    output, target = torch.tensor([0., -120.]), torch.tensor([0., 1.])
    yield case(name, "binary_cross_entropy_with_logits", output, target, "module", F32, check="finite")
    yield case(name, "binary_cross_entropy_with_logits", output, target, "module", F32, check="finite", pos_weight=torch.tensor([1., 1.]))


def test_nn_device_type(torch):
    """test/test_nn.py TestNNDeviceType (on CPU), the tests that call the five losses."""
    F32 = ("float32",)
    name = "test_nn.py TestNNDeviceType.test_nn_scalars_reductions"
    seeded(torch, name)
    # the losses take sigmoid(input); shapes as torch's (a 0-dim output unless reduction='none')
    for shape, reduction, loss in product([(5, 6), ()], REDUCTIONS, ["binary_cross_entropy", "soft_margin_loss"]):
        target = torch.empty(shape).random_(2)
        yield case(name, loss, torch.sigmoid(torch.randn(shape)), target, "module", F32, reduction=reduction)

    # as in pytorch/pytorch 74f2fa66 (older releases' test passed the randn input as BCE's target and
    # also called multilabel_margin_loss; torch 2.x rejects a target outside [0, 1])
    name = "test_nn.py TestNNDeviceType.test_invalid_reduction_strings"
    seeded(torch, name)
    x = torch.randn(3, 5)
    zeros = torch.zeros_like(x).to(torch.int64)
    for reduction in ("none", "invalid"):
        error = ("ValueError", None) if reduction == "invalid" else None
        for loss, i, t in (("binary_cross_entropy", torch.sigmoid(x), x.gt(0).float()), ("binary_cross_entropy_with_logits", x, x),
                           ("multilabel_soft_margin_loss", x, zeros), ("soft_margin_loss", x, x.sign())):
            yield case(name, loss, i, t, "functional", F32, error=error, reduction=reduction)


def no_reduce(torch):
    """common_nn.py new_module_tests' *_no_reduce tests: F.<loss>(i, t, reduction='none') against reference_fn."""
    D = torch.double

    def named(fullname, loss, input_fn, t, reference, **options):
        return case("common_nn.py " + fullname, loss, input_fn(), t, reference=formula(reference),
                    **dict({"reduction": "none"}, **options))

    seeded(torch, "BCELoss_no_reduce")
    t = torch.randn(15, 10).gt(0).to(D)
    yield named("BCELoss_no_reduce", "binary_cross_entropy", lambda: torch.rand(15, 10).clamp_(2.8e-2, 1 - 2.8e-2), t, bce_formula)
    seeded(torch, "BCELoss_no_reduce_scalar")
    t = torch.randn(()).gt(0).to(D)
    yield named("BCELoss_no_reduce_scalar", "binary_cross_entropy", lambda: torch.rand(()).clamp_(2.8e-2, 1 - 2.8e-2), t, bce_formula)
    seeded(torch, "BCELoss_weights_no_reduce")
    t, weights = torch.randn(15, 10, dtype=D).gt(0).to(D), torch.rand(10, dtype=D)
    yield named("BCELoss_weights_no_reduce", "binary_cross_entropy", lambda: torch.rand(15, 10).clamp_(2.8e-2, 1 - 2.8e-2), t,
                bce_formula, weight=weights)
    seeded(torch, "BCELoss_weights_no_reduce_scalar")
    t, weights = torch.randn(()).gt(0).to(D), torch.rand((), dtype=D)
    yield named("BCELoss_weights_no_reduce_scalar", "binary_cross_entropy", lambda: torch.rand(()).clamp_(2.8e-2, 1 - 2.8e-2), t,
                bce_formula, weight=weights)

    # F.binary_cross_entropy_with_logits(i, t, reduce=False): the legacy enum, reduction 'none'
    seeded(torch, "BCEWithLogitsLoss_legacy_enum")
    t = torch.randn(15, 10).gt(0).to(D)
    yield case("common_nn.py BCEWithLogitsLoss_legacy_enum", "binary_cross_entropy_with_logits", torch.rand(15, 10).clamp_(2.8e-2, 1 - 2.8e-2), t,
               reference=formula(bce_sigmoid_formula), reduce=False)
    for fullname, shape in (("BCEWithLogitsLoss_no_reduce", (15, 10)), ("BCEWithLogitsLoss_no_reduce_scalar", ())):
        seeded(torch, fullname)
        t = torch.randn(shape).gt(0).to(D)
        yield named(fullname, "binary_cross_entropy_with_logits", lambda: torch.rand(shape).clamp_(2.8e-2, 1 - 2.8e-2), t, bce_sigmoid_formula)

    seeded(torch, "MultiLabelMarginLoss_0d_no_reduce")
    yield named("MultiLabelMarginLoss_0d_no_reduce", "multilabel_margin_loss", lambda: torch.randn(()), torch.zeros(()).long(), mlm_formula)
    seeded(torch, "MultiLabelMarginLoss_1d_no_reduce")
    t = torch.rand(10).mul(10).floor().long()
    yield named("MultiLabelMarginLoss_1d_no_reduce", "multilabel_margin_loss", lambda: torch.randn(10), t, mlm_formula)
    seeded(torch, "MultiLabelMarginLoss_index_neg")
    t = torch.clamp(torch.rand(5, 10).add(-.5).mul(20).floor().long(), min=-1)
    yield named("MultiLabelMarginLoss_index_neg", "multilabel_margin_loss", lambda: torch.randn(5, 10), t, mlm_formula)
    seeded(torch, "MultiLabelMarginLoss_no_reduce")
    t = torch.rand(5, 10).mul(10).floor().long()
    yield named("MultiLabelMarginLoss_no_reduce", "multilabel_margin_loss", lambda: torch.randn(5, 10), t, mlm_formula)

    seeded(torch, "SoftMarginLoss_no_reduce")
    t = torch.randn(5, 5, dtype=D)
    yield named("SoftMarginLoss_no_reduce", "soft_margin_loss", lambda: torch.randn(5, 5), t, sm_formula)

    seeded(torch, "MultiLabelSoftMarginLoss_no_reduce")
    t = torch.rand(5, 10).mul(2).floor()
    yield named("MultiLabelSoftMarginLoss_no_reduce", "multilabel_soft_margin_loss", lambda: torch.randn(5, 10), t, mlsm_formula)
    seeded(torch, "MultiLabelSoftMarginLoss_weights_no_reduce")
    t, weights = torch.rand(5, 10).mul(2).floor(), torch.rand(10)
    yield named("MultiLabelSoftMarginLoss_weights_no_reduce", "multilabel_soft_margin_loss", lambda: torch.randn(5, 10), t,
                mlsm_formula, weight=weights)


def criterion(torch):
    """common_nn.py criterion_tests (1.13.0) on the module classes: the default reduction against
    reference_fn, 'sum' where check_sum_reduction, 'none', and the legacy size_average / reduce."""
    D = torch.double
    # any_reduction: the reference_fn holds for every reduction (check_sum_reduction); otherwise it
    # is the mean only (1.13's BCELoss and MultiLabelSoftMarginLoss reference_fn)

    def variants(fullname, loss, x, t, reference, any_reduction=False, **ctor):
        for reduction, legacy in (("mean", {}), ("sum", {}), ("none", {}), ("sum", {"size_average": False}),
                                  ("none", {"reduce": False}), ("mean", {"size_average": True, "reduce": True})):
            opts = dict(ctor, **legacy) if legacy else dict(ctor, reduction=reduction)
            has_ref = reference is not None and (reduction == "mean" or any_reduction)
            yield case("common_nn.py criterion_tests %s%s" % (fullname, " " + str(legacy) if legacy else ""), loss, x, t, "module",
                       reference=formula(lambda torch, i, t, o, r=reduction: reference(torch, i, t, dict(o, reduction=r)))
                       if has_ref else None, **opts)

    seeded(torch, "BCELoss")
    yield from variants("BCELoss", "binary_cross_entropy", torch.rand(15, 10).clamp_(1e-2, 1 - 1e-2),
                        torch.randn(15, 10).gt(0).to(D), bce_formula)
    seeded(torch, "BCELoss_weights")
    w = torch.rand(10)
    yield from variants("BCELoss_weights", "binary_cross_entropy", torch.rand(15, 10).clamp_(1e-2, 1 - 1e-2),
                        torch.randn(15, 10).gt(0).to(D), bce_formula, weight=w)
    seeded(torch, "BCELoss_scalar_weights")
    w = torch.rand(())
    yield from variants("BCELoss_scalar_weights", "binary_cross_entropy", torch.rand(()).clamp_(1e-2, 1 - 1e-2),
                        torch.rand(()).gt(0).to(D), bce_formula, any_reduction=True, weight=w)
    seeded(torch, "MultiLabelMarginLoss_1d")
    yield from variants("MultiLabelMarginLoss_1d", "multilabel_margin_loss", torch.randn(10), torch.rand(10).mul(10).floor().long(),
                        mlm_formula, any_reduction=True)
    seeded(torch, "MultiLabelMarginLoss")
    yield from variants("MultiLabelMarginLoss", "multilabel_margin_loss", torch.randn(5, 10), torch.rand(5, 10).mul(10).floor().long(),
                        mlm_formula, any_reduction=True)
    seeded(torch, "MultiLabelSoftMarginLoss")
    yield from variants("MultiLabelSoftMarginLoss", "multilabel_soft_margin_loss", torch.randn(5, 10), torch.rand(5, 10).mul(2).floor(),
                        lambda torch, i, t, o: -(t * i.sigmoid().log() + (1 - t) * (-i).sigmoid().log()).sum() / i.numel())
    seeded(torch, "MultiLabelSoftMarginLoss_weights")
    w = torch.rand(10)
    yield from variants("MultiLabelSoftMarginLoss_weights", "multilabel_soft_margin_loss", torch.randn(5, 10),
                        torch.rand(5, 10).mul(2).floor(), mlsm_formula, any_reduction=True, weight=w)
    seeded(torch, "SoftMarginLoss")
    yield from variants("SoftMarginLoss", "soft_margin_loss", torch.randn(5, 5), torch.randn(5, 5).sign(), sm_formula, any_reduction=True)
    for fullname, shape, ctor in (("BCEWithLogitsLoss", (15, 10), {}), ("BCEWithLogitsLoss_weights", (15, 10), {"weight": (10,)}),
                                  ("BCEWithLogitsLoss_scalar_weights", (), {"weight": ()})):
        seeded(torch, fullname)
        ctor = {k: torch.rand(v) for k, v in ctor.items()}
        yield from variants(fullname, "binary_cross_entropy_with_logits", torch.rand(shape).clamp_(1e-2, 1 - 1e-2), torch.randn(shape).gt(0).to(D),
                            bce_logits_formula, any_reduction=True, **ctor)

    # classification_criterion_no_batch (2.14.1; 1.13.0 alike): no batch dimension, each reduction,
    # against the module on a batch of one (single_batch_reference_criterion_fn)
    for fullname, loss, input_fn, target_fn in (
        ("BCELoss", "binary_cross_entropy", lambda: torch.sigmoid(torch.randn(9, dtype=D)), lambda: torch.randn(9, dtype=D).gt(0).to(D)),
        ("BCEWithLogitsLoss", "binary_cross_entropy_with_logits", lambda: torch.randn(9, dtype=D), lambda: torch.randn(9, dtype=D)),
        ("MultiLabelMarginLoss", "multilabel_margin_loss", lambda: torch.randn(4, dtype=D), lambda: torch.tensor([3, 0, -1, 1])),
        ("SoftMarginLoss", "soft_margin_loss", lambda: torch.randn(9, dtype=D), lambda: torch.tensor([-1, 1, 1] * 3)),
        ("MultiLabelSoftMarginLoss", "multilabel_soft_margin_loss", lambda: torch.randn(9, dtype=D), lambda: torch.randn(9)),
    ):
        for reduction in REDUCTIONS:
            test = "common_nn.py %s_no_batch_dim_%s" % (fullname, reduction)
            seeded(torch, test)
            yield case(test, loss, input_fn(), target_fn(), "module", reference=single_batch(loss), reduction=reduction)


def module_info(torch):
    """common_modules.py module_inputs_torch_nn_<Loss> (2.14.1; 2.6.0 alike), each case's reference_fn."""
    make_tensor = make_tensor_of(torch)
    make = lambda shape, **kw: make_tensor(shape, dtype=torch.float64, device="cpu", **kw)  # noqa: E731
    long = lambda shape, **kw: make_tensor(shape, dtype=torch.long, device="cpu", **kw)  # noqa: E731
    reductions = [("", {}), ("reduction_sum", {"reduction": "sum"}), ("reduction_mean", {"reduction": "mean"}),
                  ("reduction_none", {"reduction": "none"})]
    for loss, fullname, formula_fn in (("binary_cross_entropy", "BCELoss", bce_formula), ("binary_cross_entropy_with_logits", "BCEWithLogitsLoss", bce_logits_formula)):
        seeded(torch, fullname)
        cases = reductions + [("weights", {"weight": make((10,))})]
        if loss == "binary_cross_entropy_with_logits":
            cases.append(("scalar_weights", {"weight": make(())}))
        for desc, ctor in cases:
            yield case("common_modules.py module_inputs_torch_nn_%s %s" % (fullname, desc or "default"), loss,
                       make((15, 10), low=1e-2, high=1 - 1e-2), make((15, 10)).gt(0).to(torch.float64), "module",
                       reference=formula(formula_fn), **ctor)
        if loss == "binary_cross_entropy":
            w = make(())
            yield case("common_modules.py module_inputs_torch_nn_BCELoss scalar_weight", loss, make((), low=1e-2, high=1 - 1e-2),
                       make(()).gt(0).to(torch.float64), "module", reference=formula(formula_fn), weight=w)
    seeded(torch, "MultiLabelMarginLoss")
    for desc, ctor in reductions:
        for prefix, shape in (("1d_", (10,)), ("", (5, 10))):
            yield case("common_modules.py module_inputs_torch_nn_MultiLabelMarginLoss %s%s" % (prefix, desc), "multilabel_margin_loss",
                       make(shape), long(shape, low=0, high=10), "module", reference=formula(mlm_formula), **ctor)
    seeded(torch, "MultiLabelSoftMarginLoss")
    for desc, ctor in reductions + [("weight", {"weight": make(10)})]:
        # an integer (torch.long) target, which torch converts to the input's dtype
        yield case("common_modules.py module_inputs_torch_nn_MultiLabelSoftMarginLoss %s" % (desc or "default"), "multilabel_soft_margin_loss",
                   make((5, 10)), long((5, 10), low=0, high=2), "module", reference=formula(mlsm_formula), **ctor)
    seeded(torch, "SoftMarginLoss")
    for desc, ctor in reductions:
        yield case("common_modules.py module_inputs_torch_nn_SoftMarginLoss %s" % (desc or "default"), "soft_margin_loss",
                   make((5, 5)), make((5, 5)).sign(), "module", reference=formula(sm_formula), **ctor)


def op_info(torch):
    """common_methods_invocations.py OpInfo samples and error inputs of the five ops (2.14.1; 2.6.0 alike)."""
    make_tensor = make_tensor_of(torch)
    make = lambda shape, **kw: make_tensor(shape, dtype=torch.float64, device="cpu", **kw)  # noqa: E731
    long = lambda shape, **kw: make_tensor(shape, dtype=torch.long, device="cpu", **kw)  # noqa: E731
    ops = "common_methods_invocations.py "

    seeded(torch, "binary_cross_entropy")
    prob = lambda shape: make(shape, low=1e-6, high=1)  # noqa: E731
    for shape, kw in [*[(s, {}) for s in ((), (1,), (S,), (S, S), (S, S, S))], *[((S, S), {"reduction": r}) for r in REDUCTIONS],
                      *[((S, S), {"reduction": r, "weight": make((S, S))}) for r in REDUCTIONS]]:
        yield case(ops + "sample_inputs_binary_cross_entropy %s %s" % (list(shape), sorted(kw)), "binary_cross_entropy",
                   prob(shape), prob(shape), **kw)

    seeded(torch, "binary_cross_entropy_with_logits")
    weights = [((S, S), {"reduction": r, "weight": make(w)}) for w in ((1,), (1, S), (S,), (S, S)) for r in REDUCTIONS]
    for shape, kw in [*[(s, {}) for s in ((), (1,), (S,), (S, S), (S, S, S))], *[((S, S), {"reduction": r}) for r in REDUCTIONS],
                      *weights, *[((S, S), {"reduction": r, "pos_weight": make((S,), low=0)}) for r in REDUCTIONS],
                      *[((S, S), {"reduction": r, "weight": make((S, S)), "pos_weight": make((S,), low=0)}) for r in REDUCTIONS]]:
        yield case(ops + "sample_inputs_binary_cross_entropy_with_logits %s %s" % (list(shape), sorted(kw)), "binary_cross_entropy_with_logits",
                   make(shape), make(shape, low=0, high=1), **kw)

    seeded(torch, "soft_margin_loss")  # sample_inputs_loss, rhs_requires_grad=False
    for shape, kw in (((), {}), ((S,), {"reduction": "mean"}), ((S,), {"reduction": "sum"}), ((S,), {"reduction": "none"}),
                      ((S, S), {}), ((S, S, S), {})):
        yield case(ops + "sample_inputs_loss (soft_margin_loss) %s %s" % (list(shape), sorted(kw.values())), "soft_margin_loss",
                   make(shape), make(shape), **kw)
    f32 = lambda *shape: make_tensor(shape, dtype=torch.float32, device="cpu")  # noqa: E731
    yield case(ops + "error_inputs_soft_margin_loss invalid reduction", "soft_margin_loss", f32(5, 4), f32(5, 4), dtypes=("float32",),
               error=("ValueError", "abc is not a valid value for reduction"), reduction="abc")
    yield case(ops + "error_inputs_soft_margin_loss invalid input shapes", "soft_margin_loss", f32(5, 4), f32(5), dtypes=("float32",),
               error=("RuntimeError", r"(Attempting to broadcast a dimension of length|The size of tensor a \(4\) must match the "
                                      r"size of tensor b \(5\) at non-singleton dimension 1)"))

    seeded(torch, "multilabel_margin_loss")
    samples = [([], long([], low=0, high=1), {}), ([S], long([S], low=0, high=S), {}), ([M, S], long([M, S], low=0, high=S), {}),
               *[([M, S], long([M, S], low=0, high=S), {"reduction": r}) for r in REDUCTIONS],
               ([5], torch.tensor([0, 1, -1, -1, -1]), {})]
    for shape, target, kw in samples:
        yield case(ops + "sample_inputs_multilabel_margin_loss %s %s" % (shape, sorted(kw.values())), "multilabel_margin_loss",
                   make(shape), target, **kw)
    references = [([], long([], low=-1, high=1)), ([S], long([S], low=-1, high=S)), ([M, S], long([M, S], low=-1, high=S)),
                  ([], torch.tensor(-1)), ([7], torch.tensor([2, 0, 6, -1, 4, -1, 6])),
                  ([4, 5], torch.tensor([[4, -1, 0, -1, 2], [0, 0, 4, 1, 4], [-1, 3, -1, 1, 0], [4, 3, 2, 1, 0]]))]
    for (shape, target), reduction in product(references, (None, *REDUCTIONS)):
        kw = {} if reduction is None else {"reduction": reduction}
        yield case(ops + "reference_inputs_multilabel_margin_loss %s %s %s" % (shape, target.tolist(), reduction), "multilabel_margin_loss",
                   make(shape), target, **kw)
    err = ops + "error_inputs_multilabel_margin_loss "
    yield case(err + "invalid reduction", "multilabel_margin_loss", f32(5, 4), f32(5, 4), dtypes=("float32",),
               error=("ValueError", "abc is not a valid value for reduction"), reduction="abc")
    yield case(err + "input [5, 0]", "multilabel_margin_loss", f32(5, 0), f32(5, 4), dtypes=("float32",),
               error=("RuntimeError", r"Expected non-empty vector or matrix with optional 0-dim batch size, but got: \[5, 0\]", SINCE_2_6))
    yield case(err + "input [0]", "multilabel_margin_loss", f32(0), f32(0), dtypes=("float32",),
               error=("RuntimeError", r"Expected non-empty vector or matrix with optional 0-dim batch size, but got: \[0\]", SINCE_2_6))
    yield case(err + "target [4]", "multilabel_margin_loss", f32(5, 4), f32(4), dtypes=("float32",),
               error=("RuntimeError", r"inconsistent target size: \[4\] for input of size: \[5, 4\]", SINCE_2_6))
    yield case(err + "target []", "multilabel_margin_loss", f32(5, 4), f32(), dtypes=("float32",),
               error=("RuntimeError", r"inconsistent target size: \[\] for input of size: \[5, 4\]", SINCE_2_6))

    seeded(torch, "multilabel_soft_margin_loss")
    for shape in ((S,), (S, S)):
        yield case(ops + "sample_inputs_multilabel_soft_margin_loss %s" % [*shape], "multilabel_soft_margin_loss", make(shape), make(shape))
        yield case(ops + "sample_inputs_multilabel_soft_margin_loss %s weight" % [*shape], "multilabel_soft_margin_loss",
                   make(shape), make(shape), weight=make(shape))


# ---- issue 14's nine losses: reference functions ----------------------------------------------------
# After torch/testing/_internal/common_nn.py's (2.14.1; 1.13.0 alike, where kldivloss_reference had no
# log_target and kldivloss_log_target_reference was its own function), written as formulas here.

DROP = "__drop__"  # an option a reference's call leaves out


def with_options(o, fixed):
    merged = dict(o, **fixed)
    return {k: v for k, v in merged.items() if not (isinstance(v, str) and v == DROP)}


def mean_sum(result, reduction):
    return result.mean() if reduction == "mean" else result.sum() if reduction == "sum" else result


def constant(value):
    """A reference that is a number the test writes down (assertEqual(loss, torch.tensor(value)))."""
    return lambda torch, F, nn, x, t, o: (torch.tensor(value, dtype=x.dtype), None)


def kl_formula(torch, i, t, o):
    """kldivloss_reference (and 1.13's kldivloss_log_target_reference)."""
    result = torch.exp(t) * (t - i) if o.get("log_target") else t * (t.log() - i)
    reduction = o.get("reduction", "mean")
    if reduction == "batchmean":
        return result.sum() / result.size(0) if result.dim() != 0 else result
    return mean_sum(result, reduction)


def nll_formula(torch, i, t, o):
    """nllloss_reference for an (N, C) input, nlllossNd_reference for (N, C, d1, ...)."""
    weight, ignore, reduction = o.get("weight"), o.get("ignore_index", -100), o.get("reduction", "mean")
    if i.dim() >= 3:
        out_size = (i.size(0),) + tuple(i.shape[2:])
        output = torch.zeros(out_size, dtype=i.dtype)
        w = torch.ones(i.size(1), dtype=i.dtype) if weight is None else weight
        total = 0
        for idx in product(*[range(n) for n in out_size]):
            k = int(t[idx])
            if k == ignore:
                continue
            norm = w[k].item()
            output[idx] = -i[(idx[0], k) + tuple(idx[1:])] * norm
            total += norm
        return output.sum() / total if reduction == "mean" else output.sum() if reduction == "sum" else output
    losses, weights = [], []
    for row, k in zip(i, t):
        k = int(k)
        if k == ignore:
            losses.append(0.)
            weights.append(0)
            continue
        norm = 1 if weight is None else weight[k]
        losses.append(float(-row[k] * norm))
        weights.append(norm)
    losses = i.new_tensor(losses)
    return sum(losses) / sum(weights) if reduction == "mean" else sum(losses) if reduction == "sum" else losses


def ce_formula(torch, i, t, o):
    """cross_entropy_loss_reference: the probability-target form when target and input shapes agree,
    else the class-index form (nll_loss of log_softmax, plus the label-smoothing term)."""
    F = torch.nn.functional
    weight, reduction, ls = o.get("weight"), o.get("reduction", "mean"), o.get("label_smoothing", 0.0)
    C = i.size(1)
    logp = torch.log_softmax(i, 1)
    view = (1, C) + tuple(1 for _ in i.shape[2:])
    if i.shape == t.shape:
        w = (torch.ones(C, dtype=i.dtype) if weight is None else weight).view(view)
        target = t * (1 - ls) + ls / C if ls > 0.0 else t
        return mean_sum(-(logp * target * w).sum(dim=1), reduction)
    ignore = o.get("ignore_index", -100)
    nll = F.nll_loss(logp, t, weight, ignore_index=ignore, reduction=reduction)
    if ls == 0.0:
        return nll
    smooth = -torch.sum(logp if weight is None else logp * weight.view(view), 1)
    mask = t == ignore
    smooth = smooth.masked_fill(mask, 0.0)
    if reduction == "mean":
        ret = (smooth.sum() / weight.gather(0, t.masked_select(~mask).flatten()).sum() if weight is not None
               else smooth.masked_select(~mask).mean())
    else:
        ret = smooth.sum() if reduction == "sum" else smooth
    return (1 - ls) * nll + ret * (ls / C)


def smoothl1_formula(torch, i, t, o):
    """smoothl1loss_reference."""
    beta, d = o.get("beta", 1.0), (i - t).abs()
    out = d if beta == 0 else (d >= beta).type_as(d) * (d - 0.5 * beta) + (d < beta).type_as(d) * 0.5 * (d ** 2) / beta
    return mean_sum(out, o.get("reduction", "mean"))


def huber_formula(torch, i, t, o):
    """huberloss_reference."""
    delta, d = o.get("delta", 1.0), (i - t).abs()
    return mean_sum((d >= delta) * delta * (d - 0.5 * delta) + (d < delta) * 0.5 * (d ** 2), o.get("reduction", "mean"))


def poisson_formula(torch, i, t, o):
    """common_modules.py poissonnllloss_reference_fn (common_nn.py's criterion references alike, eps 1e-8)."""
    result = i.exp() - t.mul(i) if o.get("log_input", True) else i - t.mul((i + o.get("eps", 1e-8)).log())
    if o.get("full", False):
        result = result + (t.mul(t.log()) - t + 0.5 * (2. * math.pi * t).log()).masked_fill(t <= 1, 0)
    reduction = o.get("reduction", "mean")
    return result.sum() / i.numel() if reduction == "mean" else result.sum() if reduction == "sum" else result


def l1_formula(torch, i, t, o):
    return mean_sum((i - t).abs(), o.get("reduction", "mean"))


def mse_formula(torch, i, t, o):
    return mean_sum((i - t).pow(2), o.get("reduction", "mean"))


def gaussian_formula(var, target=None):
    """test_nn.py's component_wise_loss: 0.5 * (log(var) + (input - target)**2 / var), unreduced."""
    def reference(torch, F, nn, x, t, o):
        v = var.to(x.dtype) if hasattr(var, "dtype") else var * torch.ones_like(x)
        y = (t if target is None else target).to(x.dtype)
        return 0.5 * (torch.log(v) + (x - y) ** 2 / v), None
    return reference


def numpy_ref(fn):
    """An OpInfo's NumPy ref (common_methods_invocations.py loss_reference_reduction_wrapper)."""
    def reference(torch, F, nn, x, t, o):
        import numpy as np
        out = fn(np, x.numpy(), t.numpy(), {k: v for k, v in o.items() if not k.startswith("__") and k != "reduction"})
        reduction = o.get("reduction", "mean")
        out = np.mean(out) if reduction == "mean" else np.sum(out) if reduction == "sum" else out
        return torch.from_numpy(np.asarray(out, dtype=x.numpy().dtype)), None
    return reference


def np_smooth_l1(np, i, t, o):
    """common_methods_invocations.py reference_smooth_l1_loss."""
    beta = o.get("beta", 1.0)
    diff = i - t
    above = np.abs(diff) >= beta
    loss = np.empty_like(i)
    loss[above] = np.abs(diff)[above] - 0.5 * beta
    loss[~above] = diff[~above] ** 2 / (2 * beta)
    return loss


def batch_of_one(loss, squeeze_none=True):
    """single_batch_reference_criterion_fn / no_batch_dim_reference_fn(is_criterion=True): the module
    on a batch of one (every tensor argument unsqueezed at 0), the 'none' output squeezed."""
    def reference(torch, F, nn, x, t, o):
        opts = dict(o)
        if hasattr(o.get("__var"), "dtype"):
            opts["__var"] = o["__var"].unsqueeze(0)
        out = call(torch, F, nn, loss, "module", x.unsqueeze(0), t.unsqueeze(0), opts)
        return (out.squeeze(0) if squeeze_none or o.get("reduction", "mean") == "none" else out), None
    return reference


def times(loss, factor, style="module", **fixed):
    """The other side of assertEqual(a * factor, b): torch's output of another call, scaled."""
    def reference(torch, F, nn, x, t, o):
        return call(torch, F, nn, loss, style, x, t, with_options(o, fixed)) * factor, None
    return reference


def on(loss, x2, t2, style="module", keep_dtype=False, **fixed):
    """The other side of assertEqual(loss(x, t), loss(x2, t2)): the same call on other tensors (in the
    case's dtype, or keep_dtype: in their own, as the test computed its expected value)."""
    def reference(torch, F, nn, x, t, o):
        xx = x2 if keep_dtype else x2.to(x.dtype)
        tt = t2 if keep_dtype or not t2.is_floating_point() else t2.to(x.dtype)
        return call(torch, F, nn, loss, style, xx, tt, with_options(o, fixed)), None
    return reference


def grad_of(loss, style, transform_target=None, **fixed):
    """The other side of assertEqual(input.grad, other_input.grad) (and of the outputs): another call's
    output and input gradient, for the same grad_output."""
    def reference(torch, F, nn, x, t, o):
        xs = x.detach().clone().requires_grad_(True)
        out = call(torch, F, nn, loss, style, xs, t if transform_target is None else transform_target(t), with_options(o, fixed))
        out.backward(o["__grad_output"])
        return out.detach(), xs.grad
    return reference


# ---- issue 14's nine losses: the groups ---------------------------------------------------------------

def test_nn_nine(torch):
    """test/test_nn.py TestNN (pytorch/pytorch 74f2fa66), the tests that call the nine losses, float32
    as the tests run unless they set another dtype."""
    F32, F64 = ("float32",), ("float64",)
    F = torch.nn.functional

    name = "test_nn.py TestNN.test_loss_equal_input_target_shape"
    seeded(torch, name)
    x, t = torch.randn(3, 5), torch.randn(5, 3)
    for loss in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "poisson_nll_loss"):
        yield case(name, loss, x, t, "functional", F32, error=("Exception", None))

    name = "test_nn.py TestNN.test_mse_loss_size_warning"
    seeded(torch, name)
    yield case(name, "mse_loss", torch.randn((10, 1)), torch.randn((10,)), "functional", F32,
               warning=r"Please ensure they have the same size\.")

    inputs, targets, weight = torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([1.5, 2.5, 3.5, 4.5]), torch.tensor([1.0, 2.0, 3.0, 4.0])
    for loss, test, expected, extra in (("mse_loss", "test_weighted_mse_loss", 0.25, {}),
                                        ("l1_loss", "test_weighted_l1_loss_with_weights", 0.5, {}),
                                        ("huber_loss", "test_weighted_huber_loss", None, {"delta": 1.0})):
        # test_weighted_huber_loss only prints torch.isclose(loss, 0.25): no assertion to re-create
        yield case("test_nn.py TestNN." + test, loss, inputs, targets, "functional", F32, requires=loss + "_weight",
                   reference=None if expected is None else constant(expected), weight=weight, reduction="mean", **extra)

    name = "test_nn.py TestNN.test_gaussian_nll_loss_broadcasting"
    x = torch.tensor([[0.5, 1.5, 2.5], [2., 4., 6.]])
    target_full, target_part = torch.tensor([[1., 2., 3.], [1., 2., 3.]]), torch.tensor([[1., 2., 3.]])
    var_full = torch.tensor([[0.5, 0.5, 0.5], [1.5, 1.5, 1.5]])
    var_part1, var_part2 = torch.tensor([[0.5], [1.5]]), torch.tensor([0.5, 1.5])
    for t, v in ((target_part, var_full), (target_full, var_part1), (target_full, var_part2), (target_part, var_part1),
                 (target_part, var_part2)):
        yield case(name, "gaussian_nll_loss", x, t, "functional", F32, v=v, reference=gaussian_formula(var_full, target_full),
                   reduction="none")

    name = "test_nn.py TestNN.test_gaussian_nll_loss_args"
    seeded(torch, name)
    x = torch.randn(3, 5)
    t = torch.randn(3, 5)
    yield case(name, "gaussian_nll_loss", x, t, "functional", F32, v=torch.ones(3, 3), error=("ValueError", "var is of incorrect size"))
    yield case(name, "gaussian_nll_loss", x, t, "functional", F32, v=-1 * torch.ones(3, 5),
               error=("ValueError", "var has negative entry/entries"))
    yield case(name, "gaussian_nll_loss", x, t, "functional", F32, v=-1.0, requires="gaussian_float_var",
               error=("ValueError", "var has negative entry/entries"))

    name = "test_nn.py TestNN.test_gaussian_nll_loss_scalar_var"
    x, t = torch.tensor([[0.5, 1.5, 2.5], [2., 4., 6.]]), torch.tensor([[1., 2., 3.], [1., 2., 3.]])
    yield case(name, "gaussian_nll_loss", x, t, "functional", F32, v=0.5, requires="gaussian_float_var",
               reference=gaussian_formula(0.5), reduction="none")
    yield case(name, "gaussian_nll_loss", x, t, "functional", F32, v=0.5 * torch.ones_like(x), ref_requires="gaussian_float_var",
               reference=output_of("gaussian_nll_loss", "functional", __var=0.5), reduction="none")

    for log_target in (False, True):
        name = "test_nn.py TestNN.test_KLDivLoss_batch_mean" + ("_log_target" if log_target else "")
        seeded(torch, name)
        log_prob1 = F.log_softmax(torch.randn((2, 5)), 1)
        target = F.log_softmax(torch.randn((2, 5)), 1) if log_target else F.softmax(torch.randn((2, 5)), 1)
        yield case(name, "kl_div", log_prob1, target, "module", F32, reference=times("kl_div", 1 / 2, reduction="sum"),
                   reduction="batchmean", **({"log_target": True} if log_target else {}))

    # input_dtype x target_dtype over float32 and float64 (the test's float16 input needs a half port;
    # its float16 target is skipped on CPU by the test itself); assertEqual(.item()) at atol 1e-3
    for log_target in (False, True):
        name = "test_nn.py TestNN.test_kl_div_with_diff_type" + ("_log_target" if log_target else "")
        x = torch.tensor([[2, 3, 5], [3, 2, 1]], dtype=torch.double)
        t = torch.tensor([[1, 2, 3], [4, 5, 6]], dtype=torch.double)
        t = t.log() if log_target else t
        opts = {"log_target": True} if log_target else {}
        for x_dtype, t_dtype in product(FLOATS, repeat=2):
            yield case(name, "kl_div", x.to(getattr(torch, x_dtype)), t.to(getattr(torch, t_dtype)), "functional", (x_dtype,),
                       fixed=("t",), ref_tol=(0, 1e-3), reference=on("kl_div", x, t, "functional", keep_dtype=True), **opts)

    name = "test_nn.py TestNN.test_kl_div_log_softmax_target"
    a = torch.tensor([[1.0, 2, 3], [5.0, 5, 5]])
    yield case(name, "kl_div", F.log_softmax(a, 1), F.log_softmax(a.clone(), 1), "functional", F32,
               reference=lambda torch, F, nn, x, t, o: (torch.zeros_like(x), None), reduction="none", log_target=True)

    name = "test_nn.py TestNN.test_pointwise_loss_target_grad_none_reduction"
    seeded(torch, name)
    x, t = torch.randn(5, 10), torch.randn(5, 10)
    for loss in ("mse_loss", "l1_loss"):
        yield case(name, loss, x, t, "functional", F32, reduction="none")

    # gradcheck(fn, (input, target, reduction)) is numerical differentiation of torch: here the
    # port's gradient is held to torch's instead; the target's own requires_grad is not ported
    name = "test_nn.py TestNN.test_pointwise_loss_broadcast"
    seeded(torch, name)
    x = torch.randn(2, 1, dtype=torch.double)
    for loss in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"):
        for _ in (True, False):
            t = torch.randn(2, 10, dtype=torch.double)
            for reduction in REDUCTIONS:
                yield case(name, loss, x, t, "functional", F64, reduction=reduction)

    # integral_types(): the port's one integer tensor type (IndexTensor) takes each of torch's
    name = "test_nn.py TestNN.test_smoothl1loss_intergral_target"
    seeded(torch, name)
    for int_dtype, reduction in product((torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64), ("none", "sum", "mean")):
        x = torch.randn(2, 2)
        t = torch.randint(0, 9, (2, 2), dtype=int_dtype)
        yield case(name, "smooth_l1_loss", x, t, "functional", F32, grad_output="ones",
                   reference=grad_of("smooth_l1_loss", "functional", transform_target=lambda t: t.float()),
                   reduction=reduction, beta=0.5)

    name = "test_nn.py TestNN.test_smoothl1loss_negative_beta_not_supported"
    seeded(torch, name)
    yield case(name, "smooth_l1_loss", torch.randn(2, 2), torch.randn(2, 2), "functional", F32, error=("RuntimeError", None), beta=-1.0)

    name = "test_nn.py TestNN.test_huber_loss_invalid_delta"
    seeded(torch, name)
    for delta in (-0.5, 0.0):
        yield case(name, "huber_loss", torch.randn(2, 2), torch.randn(2, 2), "module", F32, error=("RuntimeError", None), delta=delta)

    name = "test_nn.py TestNN.test_cross_entropy_loss_zero_div"
    seeded(torch, name)
    yield case(name, "cross_entropy", torch.rand([5, 0]), torch.rand([5, 0]), "module", F32)


def test_nn_device_type_nine(torch):
    """test/test_nn.py TestNNDeviceType (on CPU; pytorch/pytorch 74f2fa66), the tests that call the nine."""
    F32, F64 = ("float32",), ("float64",)
    F = torch.nn.functional

    # the same x as the five's calls of this test (test_nn_device_type), the nine losses' calls
    name = "test_nn.py TestNNDeviceType.test_invalid_reduction_strings"
    seeded(torch, name)
    x = torch.randn(3, 5)
    target, var = torch.tensor([1, 0, 4]), torch.ones(3, 5)
    for reduction in ("none", "invalid"):
        error = ("ValueError", None) if reduction == "invalid" else None
        for loss, t, v in (("nll_loss", target, None), ("cross_entropy", target, None), ("kl_div", x, None), ("huber_loss", x, None),
                           ("smooth_l1_loss", x, None), ("l1_loss", x, None), ("mse_loss", x, None), ("poisson_nll_loss", x, None),
                           ("gaussian_nll_loss", x, var)):
            yield case(name, loss, x, t, "functional", F32, v=v, error=error, reduction=reduction)

    # the non-contiguous inputs ([..., ::2] of a doubled tensor) reach the port as their values
    name = "test_nn.py TestNNDeviceType.test_smooth_l1_loss_vs_huber_loss"
    seeded(torch, name)
    for beta in (1.0, 0.5, 1.5):
        for shape, contiguous in (((2, 2), True), ((64, 64), True), ((64, 64), False)):
            doubled = shape if contiguous else shape[:-1] + (shape[-1] * 2,)
            x = torch.randn(doubled)[..., ::2].contiguous() if not contiguous else torch.randn(shape)
            t = torch.randn(doubled)[..., ::2].contiguous() if not contiguous else torch.randn(shape)
            for reduction in ("mean", "sum", "none"):
                yield case(name, "smooth_l1_loss", x, t, "module", F32, reduction=reduction, beta=beta,
                           reference=times("huber_loss", 1.0, delta=beta, beta=DROP) if beta == 1.0 else None)
                yield case(name, "huber_loss", x, t, "module", F32, reduction=reduction, delta=beta,
                           reference=times("smooth_l1_loss", beta, beta=beta, delta=DROP))

    name = "test_nn.py TestNNDeviceType.test_nll_loss_mismatched_batch"
    seeded(torch, name)
    yield case(name, "nll_loss", torch.randn((10, 3)), torch.zeros((3,), dtype=torch.int64), "functional", F32,
               error=("ValueError", "Expected.*batch_size"))

    name = "test_nn.py TestNNDeviceType.test_nll_loss_out_of_bounds_ignore_index"
    seeded(torch, name)
    x, t = torch.randn(6, 3), torch.tensor([0, 1, 255, 0, 1, 2], dtype=torch.int64)
    for reduction in ("mean", "none"):
        yield case(name, "nll_loss", x, t, "functional", F32, grad_output="ones", ignore_index=255, reduction=reduction)

    name = "test_nn.py TestNNDeviceType.test_nll_loss_invalid_target_dim"
    seeded(torch, name)
    yield case(name, "nll_loss", torch.randn((10, 3)), torch.zeros((10, 2), dtype=torch.int64), "functional", F32,
               error=("RuntimeError", "1D target tensor expected"))

    name = "test_nn.py TestNNDeviceType.test_nll_loss_invalid_weights"
    seeded(torch, name)
    x, t = torch.randn((10, 3)), torch.empty(10, dtype=torch.int64).random_(0, 3)
    for weight in (torch.randn(4), torch.randn(1, 3)):
        yield case(name, "nll_loss", x, t, "functional", F32, weight=weight,
                   error=("RuntimeError", "weight tensor should be defined either for all 3 classes or no classes"))

    sizes = ([0, 3], [0, 3, 5, 7], [2, 3, 0, 7], [2, 3, 5, 0], [2, 3, 5, 7, 0])
    for reduction in ("none", "mean", "sum"):
        name = "test_nn.py TestNNDeviceType.test_nll_loss_empty_tensor_reduction_" + reduction
        seeded(torch, name)
        for size in sizes:
            x = torch.rand(size)
            target_size = (size[0],) + tuple(size[2:])
            t = torch.randint(size[1], target_size)
            expected = {"none": lambda s=target_size: torch.empty(s), "mean": lambda: torch.tensor(float("nan")),
                        "sum": lambda: torch.tensor(0.)}[reduction]
            yield case(name, "nll_loss", x, t, "functional", F32, grad_output="ones", reduction=reduction,
                       reference=lambda torch, F, nn, x, t, o, e=expected: (e().to(x.dtype), None))

    for ignored in (False, True):
        name = "test_nn.py TestNNDeviceType.test_nll_loss_" + ("all_ignored" if ignored else "total_weight_is_zero")
        for size in ([2, 3], [2, 3, 5, 7], [2, 3, 5, 7, 9]):
            x = torch.ones(size)
            t = torch.zeros((size[0],) + tuple(size[2:]), dtype=torch.long)
            opts = {"ignore_index": 0} if ignored else {"weight": torch.zeros([size[1]])}
            for reduction, expected in (("sum", lambda x, t: torch.tensor(0.)), ("mean", lambda x, t: torch.tensor(float("nan"))),
                                        ("none", lambda x, t: torch.zeros(t.shape))):
                yield case(name, "nll_loss", x, t, "functional", F32, reduction=reduction,
                           reference=lambda torch, F, nn, x, t, o, e=expected: (e(x, t).to(x.dtype), None), **opts)

    # the test's gradient is d/d input through log_softmax; here the port gets prob = log_softmax(input)
    # itself, the gradient d/d prob, and its one integer type for torch's uint8 target
    name = "test_nn.py TestNNDeviceType.test_nll_loss_byte_target_matches_long"
    seeded(torch, name)
    N, C = 10, 4
    x = torch.randn(N, C)
    t = torch.empty(N, dtype=torch.long).random_(0, C)
    prob = F.log_softmax(x, dim=-1)
    for reduction in ("none", "mean", "sum"):
        yield case(name, "nll_loss", prob, t, "module", F32, grad_output="ones", reduction=reduction)
        yield case(name, "nll_loss", prob, t.to(torch.uint8), "module", F32, grad_output="ones", reduction=reduction,
                   reference=grad_of("nll_loss", "module", transform_target=lambda t: t.long()))

    def other_dims(k):
        return [torch.randint(2, 5, size=(1,)).item() for _ in range(k)]

    name = "test_nn.py TestNNDeviceType.test_cross_entropy_loss_prob_target_all_reductions"
    seeded(torch, name)
    for k in range(5):
        N, C = 5, 4
        dims = other_dims(k)
        x, t = torch.randn(N, C, *dims), torch.randn(N, C, *dims)
        weight = torch.randn(C).abs()
        for reduction, w in product(REDUCTIONS, (None, weight)):
            yield case(name, "cross_entropy", x, t, "module", F32, reference=formula(ce_formula), reduction=reduction,
                       **({} if w is None else {"weight": w}))

    for what in ("prob", "index"):
        name = "test_nn.py TestNNDeviceType.test_cross_entropy_loss_%s_target_unit_weights" % what
        seeded(torch, name)
        for k in range(5):
            N, C = 5, 4
            dims = other_dims(k)
            x = torch.randn(N, C, *dims)
            t = torch.randn(N, C, *dims) if what == "prob" else torch.empty(N, *dims, dtype=torch.long).random_(0, C)
            for reduction in REDUCTIONS:
                yield case(name, "cross_entropy", x, t, "module", F32, reduction=reduction)
                yield case(name, "cross_entropy", x, t, "module", F32, reduction=reduction, weight=torch.ones(C),
                           reference=output_of("cross_entropy", weight=None))

    for reduction, weighted in product(REDUCTIONS, (False, True)):
        name = "test_nn.py TestNNDeviceType.test_cross_entropy_loss_prob_target_no_batch_dim_reduction_%s_weighted_%s" % (reduction, weighted)
        seeded(torch, name)
        C = 5
        x, t = torch.randn(C).log_softmax(dim=-1), torch.randn(C).softmax(dim=-1)
        opts = {"weight": torch.randn(C)} if weighted else {}
        yield case(name, "cross_entropy", x, t, "module", F32, reference=batch_of_one("cross_entropy", squeeze_none=False),
                   reduction=reduction, **opts)

    name = "test_nn.py TestNNDeviceType.test_cross_entropy_loss_one_hot_target"
    seeded(torch, name)
    for k in range(5):
        N, C = 5, 4
        dims = other_dims(k)
        x = torch.randn(N, C, *dims)
        t = torch.empty(N, *dims, dtype=torch.long).random_(0, C)
        weight = torch.randn(C).abs()
        one_hot = F.one_hot(t, num_classes=C).to(x.dtype)
        one_hot = one_hot.permute(0, -1, *range(1, one_hot.dim() - 1))
        for reduction, w in product(REDUCTIONS, (None, weight)):
            if reduction == "mean" and w is not None:
                continue  # the test skips it (pytorch#61309)
            opts = {} if w is None else {"weight": w}
            yield case(name, "cross_entropy", x, t, "module", F32, reference=on("cross_entropy", x, one_hot), reduction=reduction, **opts)
            yield case(name, "cross_entropy", x, one_hot, "module", F32, reference=on("cross_entropy", x, t), reduction=reduction, **opts)

    name = "test_nn.py TestNNDeviceType.test_cross_entropy_label_smoothing_errors"
    seeded(torch, name)
    N, C = 3, 4
    for x, t in ((torch.randn((N, C)), torch.arange(0, C)), (torch.randn((N, C)), torch.randn(N, C))):
        yield case(name, "cross_entropy", x, t, "module", F32, error=("RuntimeError", r"label_smoothing must be between 0\.0"),
                   label_smoothing=1.2)

    # @set_default_dtype(torch.double): float64, at the test's rtol=1e-07, atol=1e-05
    name = "test_nn.py TestNNDeviceType.test_cross_entropy_label_smoothing_consistent_index_target_and_probs"
    seeded(torch, name)
    N, C = 10, 4
    for k, reduction, ls in product(range(5), REDUCTIONS, (0.05, 0.15)):
        dims = other_dims(k)
        x = torch.randn(N, C, *dims, dtype=torch.double)
        t = torch.empty(N, *dims, dtype=torch.long).random_(0, C)
        proba = F.one_hot(t, num_classes=C)
        proba = proba.permute(0, -1, *range(1, proba.dim() - 1))
        mask = proba == 1
        proba = proba.to(dtype=x.dtype)
        proba.masked_fill_(mask, 1 - ls + ls / C)
        proba.masked_fill_(~mask, ls / C)
        yield case(name, "cross_entropy", x, proba, "module", F64, ref_tol=(1e-7, 1e-5), reduction=reduction,
                   reference=on("cross_entropy", x, t, label_smoothing=ls))
        yield case(name, "cross_entropy", x, t, "module", F64, ref_tol=(1e-7, 1e-5), reduction=reduction, label_smoothing=ls,
                   reference=on("cross_entropy", x, proba, label_smoothing=0.0))

    name = "test_nn.py TestNNDeviceType.test_cross_entropy_label_smoothing_with_probs"
    seeded(torch, name)
    N, C = 10, 4
    for k, ls in product(range(5), (0.05, 0.15)):
        dims = other_dims(k)
        x = torch.randn(N, C, *dims)
        t = F.log_softmax(torch.randn(N, C, *dims), dim=1)
        for reduction in REDUCTIONS:
            yield case(name, "cross_entropy", x, t, "module", F32, reduction=reduction, label_smoothing=ls,
                       reference=on("cross_entropy", x, t * (1 - ls) + ls / C, label_smoothing=0.0))

    name = "test_nn.py TestNNDeviceType.test_cross_entropy_label_smoothing_weight_ignore_indices"
    wgt = torch.tensor([0.3, 0.6])
    inp1, inp2 = torch.tensor([[0.3, 0.4], [1, 2]]), torch.tensor([[0.3, 0.6], [1, 2]])
    for reduction, ls, weight in product(("none", "sum", "mean"), (0.05, 0.15), (None, wgt)):
        for ignore, targ in ((None, torch.tensor([-100, 1])), (-2, torch.tensor([-2, 1])), (2, torch.tensor([2, 1]))):
            opts = dict({} if weight is None else {"weight": weight}, **({} if ignore is None else {"ignore_index": ignore}))
            yield case(name, "cross_entropy", inp1, targ, "module", F32, reduction=reduction, label_smoothing=ls,
                       reference=on("cross_entropy", inp2, targ), **opts)
            if reduction != "none":
                yield case(name, "cross_entropy", inp1, targ, "module", F32, reduction=reduction, label_smoothing=ls,
                           reference=on("cross_entropy", inp2[1:], targ[1:]), **opts)

    name = "test_nn.py TestNNDeviceType.test_smoothl1loss_backward_zero_beta"
    seeded(torch, name)
    x = torch.randn(300, 256)
    yield case(name, "smooth_l1_loss", x, x.detach().clone(), "functional", F32, grad_output="ones", check="grad_abs_le_1",
               beta=0.0, reduction="sum")

    # test_nn_scalars_reductions's other three modules (L1Loss, MSELoss, SmoothL1Loss) on sigmoid(input)
    name = "test_nn.py TestNNDeviceType.test_nn_scalars_reductions"
    seeded(torch, name + " (L1Loss, MSELoss, SmoothL1Loss)")
    for shape, reduction, loss in product([(5, 6), ()], REDUCTIONS, ["l1_loss", "mse_loss", "smooth_l1_loss"]):
        target = torch.empty(shape).random_(2)
        yield case(name, loss, torch.sigmoid(torch.randn(shape)), target, "module", F32, reduction=reduction)


def no_reduce_nine(torch):
    """common_nn.py new_module_tests' *_no_reduce tests of the nine (1.13.0 and 2.14.1 alike; 2.x adds
    default_dtype=torch.double): F.<loss>(i, t, reduction='none', ...) against reference_fn."""
    D = torch.double

    def named(fullname, loss, t, input_fn, reference, **options):
        return case("common_nn.py " + fullname, loss, input_fn(), t, reference=formula(reference),
                    **dict({"reduction": "none"}, **options))

    seeded(torch, "PoissonNLLLoss_no_reduce")
    t = torch.randn(10, 10)
    yield named("PoissonNLLLoss_no_reduce", "poisson_nll_loss", t, lambda: torch.rand(10, 10),
                lambda torch, i, t, o: i.exp() - t.mul(i))
    for fullname, shape, log_target in (("KLDivLoss_with_target_no_reduce", (10, 10), False), ("KLDivLoss_no_reduce", (10, 10), False),
                                        ("KLDivLoss_no_reduce_scalar", (), False),
                                        ("KLDivLoss_with_log_target_no_reduce", (10, 10), True),
                                        ("KLDivLoss_no_reduce_log_target", (10, 10), True),
                                        ("KLDivLoss_no_reduce_scalar_log_target", (), True)):
        seeded(torch, fullname)
        t = torch.rand(shape, dtype=D)
        t = t.log() if log_target else t
        yield named(fullname, "kl_div", t, lambda: torch.rand(shape).log(), kl_formula, **({"log_target": True} if log_target else {}))
    for fullname, shape in (("L1Loss_no_reduce", (2, 3, 4)), ("L1Loss_no_reduce_scalar", ())):
        seeded(torch, fullname)
        t = torch.randn(shape, dtype=D)
        yield named(fullname, "l1_loss", t, lambda: torch.randn(shape), l1_formula)
    for fullname, shape in (("MSELoss_no_reduce", (2, 3, 4, 5)), ("MSELoss_no_reduce_scalar", ())):
        seeded(torch, fullname)
        t = torch.randn(shape, dtype=D)
        yield named(fullname, "mse_loss", t, lambda: torch.randn(shape), mse_formula)
    for fullname, extra in (("NLLLoss_no_reduce", {}), ("NLLLoss_no_reduce_ignore_index", {"ignore_index": 2}),
                            ("NLLLoss_no_reduce_weights", {"weight": (10,)}),
                            ("NLLLoss_no_reduce_weights_ignore_index", {"weight": (10,), "ignore_index": 2}),
                            ("NLLLoss_no_reduce_weights_ignore_index_neg", {"weight": (10,), "ignore_index": -1})):
        seeded(torch, fullname)
        t = torch.empty(15).uniform_().mul(10).floor().long()
        opts = {k: torch.rand(v) if k == "weight" else v for k, v in extra.items()}
        shift = 1e-2 if "weight" in extra else 0
        yield named(fullname, "nll_loss", t, lambda: torch.rand(15, 10).add(shift).log(), nll_formula, **opts)
    for fullname, extra, shape in (("NLLLoss2d_no_reduce", {}, (2, 3, 5, 5)), ("NLLLoss2d_no_reduce_weights", {"weight": (3,)}, (2, 3, 5, 5)),
                                   ("NLLLoss2d_no_reduce_ignore_index", {"ignore_index": 1}, (2, 3, 5, 5)),
                                   ("NLLLossNd_no_reduce", {}, (2, 3, 5, 5, 2, 2)),
                                   ("NLLLossNd_no_reduce_weights", {"weight": (3,)}, (2, 3, 5, 5, 2, 2)),
                                   ("NLLLossNd_no_reduce_ignore_index", {"ignore_index": 1}, (2, 3, 5, 5, 2, 2))):
        seeded(torch, fullname)
        t = torch.rand((shape[0],) + shape[2:]).mul(3).floor().long()
        opts = {k: torch.rand(v) if k == "weight" else v for k, v in extra.items()}
        yield named(fullname, "nll_loss", t, lambda: torch.rand(shape).log(), nll_formula, **opts)
    for fullname, shape, beta in (("SmoothL1Loss_no_reduce", (2, 3, 4), None), ("SmoothL1Loss_no_reduce_scalar", (), None),
                                  ("SmoothL1Loss_beta", (2, 3, 4), 0.5), ("SmoothL1Loss_zero_beta", (2, 3, 4), 0)):
        seeded(torch, fullname)
        t = torch.randn(shape, dtype=D)
        yield named(fullname, "smooth_l1_loss", t, lambda: torch.randn(shape), smoothl1_formula, **({} if beta is None else {"beta": beta}))
    seeded(torch, "HuberLoss_delta")
    t = torch.randn(2, 3, 4)
    yield named("HuberLoss_delta", "huber_loss", t, lambda: torch.randn(2, 3, 4), huber_formula, delta=0.5)


def criterion_nine(torch):
    """common_nn.py criterion_tests of the nine (1.13.0) on the module classes, as the five's (criterion):
    the default reduction against reference_fn, 'sum' where check_sum_reduction, 'none', the legacy
    size_average / reduce; the constructor-fixed tests (fullname=...) once; and the no-batch-dim
    tests regression_criterion_no_batch, KLDivLoss_no_batch_dim_* and NLLLoss of
    classification_criterion_no_batch (2.14.1; 1.13.0 alike) against the module on a batch of one."""
    D = torch.double
    MEAN, MEAN_SUM, ALL = ("mean",), ("mean", "sum"), ("mean", "sum", "none")

    # ref_for: the reductions the test's reference_fn holds for: the default ('mean'), 'sum' too where
    # check_sum_reduction, 'none' too where the reference computes it
    # legacy: the module takes size_average / reduce (all but HuberLoss)
    def variants(fullname, loss, x, t, reference, ref_for=MEAN, legacy_too=True, **ctor):
        for reduction, legacy in (("mean", {}), ("sum", {}), ("none", {}), ("sum", {"size_average": False}),
                                  ("none", {"reduce": False}), ("mean", {"size_average": True, "reduce": True})):
            if legacy and not legacy_too:
                continue
            opts = dict(ctor, **legacy) if legacy else dict(ctor, reduction=reduction)
            has_ref = reference is not None and reduction in ref_for
            yield case("common_nn.py criterion_tests %s%s" % (fullname, " " + str(legacy) if legacy else ""), loss, x, t, "module",
                       reference=formula(lambda torch, i, t, o, r=reduction: reference(torch, i, t, dict(o, reduction=r)))
                       if has_ref else None, **opts)

    seeded(torch, "L1Loss")
    yield from variants("L1Loss", "l1_loss", torch.randn(2, 3, 4), torch.randn((2, 3, 4)),
                        lambda torch, i, t, o: 1. / i.numel() * sum((a - b).abs().sum() for a, b in zip(i, t)))
    seeded(torch, "NLLLoss")
    yield from variants("NLLLoss", "nll_loss", torch.rand(15, 10).log(), torch.empty(15).uniform_().mul(10).floor().long(),
                        nll_formula, ref_for=ALL)
    for desc, ctor, shift, neg in (("ignore_index", {"ignore_index": 2}, 0, False), ("weights", {"weight": True}, 1e-2, False),
                                   ("weights_ignore_index", {"weight": True, "ignore_index": 2}, 1e-2, False),
                                   ("weights_ignore_index_neg", {"weight": True, "ignore_index": -1}, 1e-2, True)):
        seeded(torch, "NLLLoss_" + desc)
        ctor = {k: torch.rand(10) if k == "weight" else v for k, v in ctor.items()}  # constructor_args_fn, first
        x = torch.rand(15, 10).add(shift).log()
        t = torch.empty(15).uniform_().mul(10 + 1).floor().long() - 1 if neg else torch.empty(15).uniform_().mul(10).floor().long()
        yield from variants("NLLLoss_" + desc, "nll_loss", x, t, nll_formula, **ctor)
    for desc, log_target, shape in (("", False, (10, 10)), ("_log_target", True, (10, 10)), ("_scalar", False, ()),
                                    ("_scalar_log_target", True, ())):
        seeded(torch, "KLDivLoss" + desc)
        x = torch.rand(shape).log()
        t = torch.rand(shape).log() if log_target else torch.rand(shape)
        yield from variants("KLDivLoss" + desc, "kl_div", x, t, kl_formula, ref_for=ALL,
                            **({"log_target": True} if log_target else {}))
    for desc, shape in (("", (2, 3, 4, 5)), ("_scalar", ())):
        seeded(torch, "MSELoss" + desc)
        yield from variants("MSELoss" + desc, "mse_loss", torch.randn(shape), torch.randn(shape),
                            lambda torch, i, t, o: (i - t).abs().pow(2).sum() / (i.numel() if o["reduction"] == "mean" else 1),
                            ref_for=MEAN_SUM)
    # MSELoss prec: check_forward_only, a 1.39M-element mean of 0.01
    seeded(torch, "MSELoss_prec")
    x, t = torch.ones(5, 68, 64, 64, dtype=torch.float) / 10, torch.zeros(5, 68, 64, 64, dtype=torch.float)
    yield case("common_nn.py criterion_tests MSELoss_prec", "mse_loss", x, t, "module", ("float32",), forward_only=True,
               reference=formula(lambda torch, i, t, o: (i - t).abs().pow(2).sum() / i.numel()))
    seeded(torch, "CrossEntropyLoss")
    yield from variants("CrossEntropyLoss", "cross_entropy", torch.randn(15, 10), torch.empty(15).uniform_().mul(10).floor().long(), None)
    seeded(torch, "CrossEntropyLoss_weights")
    w = torch.rand(10)
    yield from variants("CrossEntropyLoss_weights", "cross_entropy", torch.randn(15, 10), torch.empty(15).uniform_().mul(10).floor().long(),
                        None, weight=w)
    for desc, shape in (("", (5, 10)), ("_scalar", ())):
        for fullname, loss, ref in (("SmoothL1Loss", "smooth_l1_loss", smoothl1_formula), ("HuberLoss", "huber_loss", huber_formula)):
            if loss == "huber_loss" and desc:
                continue  # no HuberLoss scalar criterion test
            seeded(torch, fullname + desc)
            yield from variants(fullname + desc, loss, torch.randn(shape), torch.randn(shape), ref, ref_for=ALL,
                                legacy_too=loss != "huber_loss")
    seeded(torch, "L1Loss_scalar")
    yield from variants("L1Loss_scalar", "l1_loss", torch.randn(()), torch.randn(()),
                        lambda torch, i, t, o: 1. / i.numel() * (i - t).abs().sum())
    for desc, ctor, shape, target_fn in (("2d", {}, (2, 3, 5, 5), lambda: torch.rand(2, 5, 5).mul(3).floor().long()),
                                         ("2d_weights", {"weight": (3,)}, (2, 3, 5, 5), lambda: torch.rand(2, 5, 5).mul(3).floor().long()),
                                         ("2d_ignore_index", {"ignore_index": 1}, (2, 3, 5, 5), lambda: torch.rand(2, 5, 5).mul(3).floor().long()),
                                         ("higher_dim", {}, (2, 3, 5, 5, 2, 2), lambda: torch.rand(2, 5, 5, 2, 2).mul(3).floor().long()),
                                         ("dim_is_3", {}, (2, 3, 5), lambda: torch.rand(2, 5).mul(3).floor().long())):
        for fullname, loss, ref in (("NLLLoss", "nll_loss", nll_formula), ("CrossEntropyLoss", "cross_entropy", ce_formula)):
            seeded(torch, "%s_%s" % (fullname, desc))
            opts = {k: torch.rand(v) if k == "weight" else v for k, v in ctor.items()}
            if desc == "2d_weights":
                t = target_fn()  # target=..., drawn when the test list is built
                x = torch.randn(shape)
            else:
                x = torch.randn(shape)
                t = target_fn()
            yield from variants("%s_%s" % (fullname, desc), loss, x, t, ref, ref_for=ALL if desc in ("2d", "higher_dim", "dim_is_3") else MEAN,
                               **opts)
    for desc, shape, weighted in (("2d_prob_target", (5, 3), False), ("3d_prob_target", (5, 3, 4), False),
                                  ("4d_prob_target", (5, 3, 4, 2), False), ("2d_prob_target_weights", (5, 3), True),
                                  ("3d_prob_target_weights", (5, 3, 4), True), ("4d_prob_target_weights", (5, 3, 4, 2), True)):
        seeded(torch, "CrossEntropyLoss_" + desc)
        opts = {"weight": torch.rand(3)} if weighted else {}
        x = torch.randn(shape)
        yield from variants("CrossEntropyLoss_" + desc, "cross_entropy", x, torch.rand(shape).softmax(dim=1), ce_formula,
                            ref_for=ALL, **opts)
    for fullname, shape, indices, ctor in (
            ("CrossEntropyLoss_2d_prob_target_smoothing_sum_reduction", (5, 3), False, {"reduction": "sum"}),
            ("CrossEntropyLoss_2d_prob_target_smoothing", (5, 3), False, {}),
            ("CrossEntropyLoss_2d_prob_target_smoothing_weight", (5, 3), False, {"weight": "abs"}),
            ("CrossEntropyLoss_3d_prob_target_smoothing_sum_reduction", (5, 3, 4), False, {"reduction": "sum"}),
            ("CrossEntropyLoss_3d_prob_target_smoothing", (5, 3, 4), False, {}),
            ("CrossEntropyLoss_3d_indices_target_smoothing", (2, 3, 5), True, {}),
            ("CrossEntropyLoss_3d_indices_target_smoothing_ignore_index", (2, 3, 5), True, {"ignore_index": 1}),
            ("CrossEntropyLoss_3d_indices_target_smoothing_sum_reduction", (2, 3, 5), True, {"reduction": "sum"}),
            ("CrossEntropyLoss_3d_indices_target_smoothing_sum_reduction_ignore_index", (2, 3, 5), True,
             {"reduction": "sum", "ignore_index": 1}),
            ("CrossEntropyLoss_2d_indices_target_smoothing", (15, 10), True, {}),
            ("CrossEntropyLoss_2d_indices_target_smoothing_sum_reduction", (15, 10), True, {"reduction": "sum"}),
            ("CrossEntropyLoss_2d_indices_target_smoothing_ignore_index", (15, 10), True, {"ignore_index": 3}),
            ("CrossEntropyLoss_2d_indices_target_smoothing_weight", (15, 10), True, {"weight": "abs"})):
        seeded(torch, fullname)
        opts = {k: torch.rand(shape[1]).abs() if k == "weight" else v for k, v in ctor.items()}
        x = torch.randn(shape)
        if not indices:
            t = torch.rand(shape).softmax(dim=1)
        elif shape == (15, 10):
            t = torch.empty(15).uniform_().mul(10).floor().long()
        else:
            t = torch.rand(2, 5).mul(3).floor().long()
        yield case("common_nn.py criterion_tests " + fullname, "cross_entropy", x, t, "module", reference=formula(ce_formula),
                   label_smoothing=0.15, **opts)
    for desc, log_input, full in (("no_full_loss", True, False), ("no_full_loss_no_log_input", False, False),
                                  ("full_loss", True, True), ("full_loss_no_log_input", False, True)):
        seeded(torch, "PoissonNLLLoss_" + desc)
        x = torch.randn(2, 3, 4, 5) if log_input else torch.randn(2, 3, 4, 5).abs_().add_(0.001)
        t = torch.randn(2, 3, 4, 5).floor_().abs_()
        # reference_fn ignores the reduction (the mean)
        yield from variants("PoissonNLLLoss_" + desc, "poisson_nll_loss", x, t, poisson_formula, log_input=log_input, full=full)

    for name, loss in (("L1Loss", "l1_loss"), ("MSELoss", "mse_loss"), ("PoissonNLLLoss", "poisson_nll_loss"),
                       ("HuberLoss", "huber_loss"), ("SmoothL1Loss", "smooth_l1_loss")):
        for reduction in REDUCTIONS:
            test = "common_nn.py %s_no_batch_dim_%s" % (name, reduction)
            seeded(torch, test)
            yield case(test, loss, torch.randn(3, dtype=D), torch.randn(3, dtype=D), "module", reference=batch_of_one(loss),
                       reduction=reduction)
    for reduction in REDUCTIONS:
        test = "common_nn.py KLDivLoss_no_batch_dim_%s" % reduction
        seeded(torch, test)
        yield case(test, "kl_div", torch.rand((3,), dtype=D).log(), torch.rand((3,), dtype=D), "module", reference=batch_of_one("kl_div"),
                   reduction=reduction)
        test = "common_nn.py NLLLoss_no_batch_dim_%s" % reduction
        seeded(torch, test)
        yield case(test, "nll_loss", F_log_softmax(torch, torch.randn(3, dtype=D)), torch.tensor(1), "module",
                   reference=batch_of_one("nll_loss", squeeze_none=False), reduction=reduction)


def F_log_softmax(torch, x):
    return torch.nn.functional.log_softmax(x, dim=0)


def module_info_nine(torch):
    """common_modules.py module_inputs_torch_nn_<Loss> of the nine (2.14.1; 2.6.0 alike except
    GaussianNLLLoss, whose 2.6.0 inputs are re-created too), each case's reference_fn, and
    module_error_inputs_torch_nn_CrossEntropyLoss (2.14.1) / _NLLLoss."""
    make_tensor = make_tensor_of(torch)
    make = lambda *shape, **kw: make_tensor(*shape, dtype=torch.float64, device="cpu", **kw)  # noqa: E731
    long = lambda shape, **kw: make_tensor(shape, dtype=torch.long, device="cpu", **kw)  # noqa: E731
    mi = "common_modules.py module_inputs_torch_nn_"
    reductions4 = [("", {}), ("reduction_sum", {"reduction": "sum"}), ("reduction_mean", {"reduction": "mean"}),
                   ("reduction_none", {"reduction": "none"})]

    seeded(torch, "KLDivLoss")
    for desc, ctor in [("", {}), ("reduction_sum", {"reduction": "sum"}), ("reduction_batchmean", {"reduction": "batchmean"}),
                       ("reduction_none", {"reduction": "none"}), ("log_target", {"log_target": True})]:
        # the target is make_input(...).log() (kwargs never hold log_target): NaN where negative
        x, t = make((10, 10)).log(), make((10, 10)).log()
        yield case(mi + "KLDivLoss " + (desc or "default"), "kl_div", x, t, "module", reference=formula(kl_formula), **ctor)
        scalar = make(()).log()
        make(()).log()  # scalar_target: drawn, unused (FIXME(rec) in common_modules.py)
        yield case(mi + "KLDivLoss scalar_" + desc, "kl_div", scalar, scalar.clone(), "module", reference=formula(kl_formula), **ctor)

    seeded(torch, "NLLLoss")
    nll_input = lambda *shape: make(*shape).log_softmax(dim=1)  # noqa: E731
    for desc, ctor in [("", {}), ("reduction_sum", {"reduction": "sum"}), ("reduction_none", {"reduction": "none"}),
                       ("ignore_index", {"ignore_index": 2}), ("weights", {"weight": "w"}),
                       ("weights_ignore_index", {"weight": "w", "ignore_index": 2}),
                       ("weights_ignore_index_neg", {"weight": "w", "ignore_index": -1})]:
        ctor = {k: make(4).abs() if k == "weight" else v for k, v in ctor.items()}
        for prefix, shape in (("", (15, 4)), ("nd_", (2, 4, 5, 5)), ("higher_dim_", (2, 4, 5, 5, 2, 2)), ("3d_", (2, 4, 5))):
            x = nll_input(shape)
            t = torch.empty((shape[0],) + shape[2:]).uniform_().mul(4).floor().long()
            yield case(mi + "NLLLoss " + prefix + desc, "nll_loss", x, t, "module", reference=formula(nll_formula), **ctor)

    # 2.14.1: input (4, 3), var (4, 1), or (1, 3) 'homoscedastic' (var of the input's shape with one
    # other dim of 1: torch >= 2.7); 2.6.0: input (3), target (3), var (1)
    seeded(torch, "GaussianNLLLoss")
    for desc, ctor in reductions4 + [("homoscedastic", {"homoscedastic": True})]:
        homoscedastic = ctor.pop("homoscedastic", False)
        v = make(1, 3).abs() if homoscedastic else make(4, 1).abs()
        x, t = make(4, 3), make(4, 3)
        yield case(mi + "GaussianNLLLoss " + (desc or "default"), "gaussian_nll_loss", x, t, "module", v=v,
                   requires="gaussian_var_broadcast" if homoscedastic else None, reference=batch_of_one("gaussian_nll_loss"), **ctor)
    seeded(torch, "GaussianNLLLoss (2.6.0)")
    for desc, ctor in reductions4:
        x, t, v = make(3), make(3), make(1).abs()
        yield case(mi + "GaussianNLLLoss (2.6.0) " + (desc or "default"), "gaussian_nll_loss", x, t, "module", v=v,
                   reference=batch_of_one("gaussian_nll_loss"), **ctor)

    seeded(torch, "PoissonNLLLoss")
    for desc, ctor in reductions4 + [("full", {"full": True}), ("no_log_input", {"log_input": False}),
                                     ("full_no_log_input", {"full": True, "log_input": False})]:
        x = make((2, 3, 4, 5)) if ctor.get("log_input", True) else make((2, 3, 4, 5)).abs().add(0.001)
        t = make((2, 3, 4, 5)).floor_().abs_()
        yield case(mi + "PoissonNLLLoss " + (desc or "default"), "poisson_nll_loss", x, t, "module", reference=formula(poisson_formula), **ctor)

    seeded(torch, "MSELoss")
    for desc, ctor in reductions4:
        yield case(mi + "MSELoss " + (desc or "default"), "mse_loss", make((2, 3, 4, 5)), make((2, 3, 4, 5)), "module",
                   reference=formula(mse_formula), **ctor)
        yield case(mi + "MSELoss %s_scalar" % desc, "mse_loss", make(()), make(()), "module", reference=formula(mse_formula), **ctor)

    seeded(torch, "L1Loss")
    yield case(mi + "L1Loss default", "l1_loss", make((2, 3, 4)), make((2, 3, 4)), "module",
               reference=formula(lambda torch, i, t, o: 1. / i.numel() * sum((a - b).abs().sum() for a, b in zip(i, t))))
    yield case(mi + "L1Loss scalar", "l1_loss", make(()), make(()), "module",
               reference=formula(lambda torch, i, t, o: 1. / i.numel() * (i - t).abs().sum()))
    for reduction in REDUCTIONS:  # generate_regression_criterion_inputs
        yield case(mi + "L1Loss no_batch_dim_" + reduction, "l1_loss", make((4,)), make(4,), "module",
                   reference=batch_of_one("l1_loss"), reduction=reduction)

    seeded(torch, "SmoothL1Loss")
    for desc, ctor in reductions4:
        yield case(mi + "SmoothL1Loss " + (desc or "default"), "smooth_l1_loss", make((5, 10)), make((5, 10)), "module",
                   reference=formula(smoothl1_formula), **ctor)
        yield case(mi + "SmoothL1Loss scalar_" + desc, "smooth_l1_loss", make(()), make(()), "module",
                   reference=formula(smoothl1_formula), **ctor)

    seeded(torch, "CrossEntropyLoss")
    ce_cases = [("", {}), ("weights", {"weight": "w"}), ("ignore_index", {"ignore_index": 1}), ("label_smoothing", {"label_smoothing": 0.15}),
                ("ignore_index_label_smoothing", {"ignore_index": 1, "label_smoothing": 0.15})]
    for reduction, (desc, ctor) in product(("mean", "sum", "none"), ce_cases):
        ctor = {k: make((3,)) if k == "weight" else v for k, v in ctor.items()}
        for prefix, shape in (("4d", (2, 3, 5, 5)), ("3d", (2, 3, 5)), ("2d", (2, 3)), ("higher_dim", (2, 3, 5, 5, 2, 2))):
            x = make(shape)
            t = long((shape[0],) + shape[2:], low=0, high=3)
            yield case(mi + "CrossEntropyLoss %s_%s_%s" % (prefix, desc, reduction), "cross_entropy", x, t, "module",
                       reference=formula(ce_formula), reduction=reduction, **ctor)
        if ctor.get("ignore_index") is None:
            for prefix, shape in (("4d", (5, 3, 4, 2)), ("3d", (5, 3, 4)), ("2d", (5, 3)), ("higher_dim", (2, 3, 5, 5, 2, 2))):
                x = make(shape)
                t = make(shape).softmax(dim=1)
                yield case(mi + "CrossEntropyLoss %s_prob_target_%s_%s" % (prefix, desc, reduction), "cross_entropy", x, t, "module",
                           reference=formula(ce_formula), reduction=reduction, **ctor)
            x, t = make((3,)), long((), low=0, high=3)
            yield case(mi + "CrossEntropyLoss no_batch_dim_%s_%s" % (desc, reduction), "cross_entropy", x, t, "module",
                       reference=batch_of_one("cross_entropy", squeeze_none=False), reduction=reduction, **ctor)

    seeded(torch, "HuberLoss")
    for desc, ctor in reductions4:
        yield case(mi + "HuberLoss " + (desc or "default"), "huber_loss", make((5, 10)), make((5, 10)), "module",
                   reference=formula(huber_formula), **ctor)

    # module_error_inputs_torch_nn_CrossEntropyLoss (2.14.1, 2.13.0; not in 2.6.0): its regexes
    # hold from 2.13 (older releases raise the same types with other words for the float target)
    err = "common_modules.py module_error_inputs_torch_nn_CrossEntropyLoss "
    seeded(torch, "CrossEntropyLoss errors")
    F32 = ("float32",)
    for desc, x, t, ctor, error in (
            ("long target of the input's shape", make((2, 3)), torch.zeros((2, 3), dtype=torch.long), {},
             ("RuntimeError", "Expected floating point type for target with class probabilities")),
            ("float class-index target", make((2, 3)), make((2,)), {}, ("RuntimeError", "expected target dtype to be Long or Byte", (2, 13))),
            ("batch size mismatch", make((2, 3)), torch.tensor([0, 1, 2]), {},
             ("ValueError", "Expected input batch_size .* to match target batch_size")),
            ("weight of 2 classes", make((2, 3)), torch.tensor([0, 1]), {"weight": make((2,))},
             ("RuntimeError", "weight tensor should be defined either for all .* classes or no classes")),
            ("probability target with ignore_index", make((2, 3)), make((2, 3)).softmax(dim=1), {"ignore_index": 1},
             ("RuntimeError", "ignore_index is not supported for floating point target")),
            ("label_smoothing 1.5", make((2, 3)), torch.tensor([0, 1]), {"label_smoothing": 1.5},
             ("RuntimeError", "label_smoothing must be between 0.0 and 1.0")),
            ("target spatial size", make((2, 3, 5)), torch.zeros((2, 4), dtype=torch.long), {}, ("RuntimeError", "Expected target size"))):
        yield case(err + desc, "cross_entropy", x, t, "module", F32, error=error, **ctor)
    # module_error_inputs_torch_nn_NLLLoss: a weight of another dtype than the input; the test's
    # float16 weight needs a half port, so float64 for a float32 input and float32 for float64
    err = "common_modules.py module_error_inputs_torch_nn_NLLLoss "
    for in_dtype, w_dtype in (("float32", torch.float64), ("float64", torch.float32)):
        yield case(err + "weight of another dtype", "nll_loss", torch.tensor([]).reshape((0, 0)), torch.tensor([], dtype=torch.long),
                   "module", (in_dtype,), fixed=("weight",), error=("RuntimeError", r"expected scalar type \w+ but found \w+"),
                   weight=torch.tensor([], dtype=w_dtype))


def op_info_nine(torch):
    """common_methods_invocations.py OpInfo samples, references and error inputs of the nine
    nn.functional ops (2.14.1; 2.6.0 alike but where said). Python's random (eps, delta, the
    ignore_index fix) is seeded per op like the global torch generator."""
    make_tensor = make_tensor_of(torch)
    make = lambda shape, **kw: make_tensor(shape, dtype=torch.float64, device="cpu", **kw)  # noqa: E731
    long = lambda shape, **kw: make_tensor(shape, dtype=torch.long, device="cpu", **kw)  # noqa: E731
    f32 = lambda *shape, **kw: make_tensor(shape, dtype=torch.float32, device="cpu", **kw)  # noqa: E731
    ops = "common_methods_invocations.py "
    F32 = ("float32",)

    def seed(name):
        seeded(torch, name)
        random.seed(zlib.crc32(name.encode()))

    def kw_id(kw):
        return ", ".join("%s=%s" % (k, "tensor%s" % list(v.shape) if hasattr(v, "shape") else v) for k, v in sorted(kw.items()))

    seed("cross_entropy")
    batch_size, num_classes = shape = (2, 3)
    shapes_kwargs = [(shape, {}), ((*shape, 1), {}), ((*shape, 1, 2), {}), ((*shape, 1, 2, 3), {}),
                     *[(shape, dict(reduction=r)) for r in ("mean", "sum", "none")],
                     *[(shape, dict(weight=make((num_classes,)), reduction=r)) for r in ("mean", "sum", "none")],
                     (shape, dict(ignore_index=1))]
    for (input_shape, kwargs), probabilities in product(shapes_kwargs, (False, True)):
        x = make(input_shape)
        if probabilities:
            if "ignore_index" in kwargs:
                continue
            t = make(input_shape, low=0, high=1)
        else:
            t = long((batch_size, *input_shape[2:]), low=0, high=num_classes)
            if "ignore_index" in kwargs and torch.all(t == kwargs["ignore_index"]):
                t[0] = random.sample(sorted(set(range(num_classes)) - {kwargs["ignore_index"]}), 1)[0]
        yield case(ops + "sample_inputs_cross_entropy %s %s%s" % (list(input_shape), kw_id(kwargs), " probabilities" if probabilities else ""),
                   "cross_entropy", x, t, **kwargs)

    for op in ("mse_loss", "l1_loss", "smooth_l1_loss"):
        seed(op)
        ref = {"mse_loss": numpy_ref(lambda np, i, t, o: (i - t) ** 2), "l1_loss": numpy_ref(lambda np, i, t, o: np.abs(i - t)),
               "smooth_l1_loss": numpy_ref(np_smooth_l1)}[op]
        for shp, kw in (((), {}), ((S,), {"reduction": "mean"}), ((S,), {"reduction": "sum"}), ((S,), {"reduction": "none"}),
                        ((S, S), {}), ((S, S, S), {})):
            yield case(ops + "sample_inputs_loss (%s) %s %s" % (op, list(shp), kw_id(kw)), op, make(shp), make(shp), reference=ref, **kw)
        if op == "smooth_l1_loss":
            yield case(ops + "sample_inputs_smooth_l1_loss [5, 5] beta=5", op, make((S, S), low=0, high=2), make((S, S), low=-2, high=0),
                       reference=ref, beta=5)
            yield case(ops + "sample_inputs_smooth_l1_loss [5, 5] beta=0", op, make((S, S)), make((S, S)), reference=ref, beta=0)
    err = ops + "error_inputs_l1_loss "
    yield case(err + "invalid reduction", "l1_loss", f32(5, 4), f32(5, 4), dtypes=F32,
               error=("ValueError", "abc is not a valid value for reduction"), reduction="abc")
    yield case(err + "invalid input shapes", "l1_loss", f32(5, 4), f32(5), dtypes=F32,
               error=("RuntimeError", r"(Attempting to broadcast a dimension of length|The size of tensor a \(4\) must match the "
                                      r"size of tensor b \(5\) at non-singleton dimension 1)"))

    seed("nll_loss")
    shape, num_classes = (2, 3), 3

    def make_target(s, zeros=False):
        ts = (s[0], *s[2:]) if len(s) > 1 else ()
        return torch.zeros(ts, dtype=torch.long) if zeros else long(ts, low=0, high=s[1] if len(s) > 1 else s[0])

    make_weight = lambda **kw: make_tensor(num_classes, dtype=torch.float64, device="cpu", **kw)  # noqa: E731
    for reduction, s in product(("none", "mean", "sum"), (shape, (num_classes,), shape + (2, 2))):
        sample = ops + "sample_inputs_nll_loss %s reduction=%s" % (list(s), reduction)
        yield case(sample, "nll_loss", make(s), make_target(s), reduction=reduction)
        yield case(sample, "nll_loss", make(s), make_target(s), weight=make_weight(), reduction=reduction)
        yield case(sample, "nll_loss", make(s), make_target(s), weight=make_weight(low=0), reduction=reduction)
        yield case(sample, "nll_loss", make(s), make_target(s), weight=make_weight(high=0), reduction=reduction)
        t = make_target(s)
        ignore = num_classes // 2
        if t.eq(ignore).all() and reduction == "mean":
            t.fill_(0)
        yield case(sample, "nll_loss", make(s), t, ignore_index=ignore, reduction=reduction)
        yield case(sample, "nll_loss", make(s), t, ignore_index=ignore, reduction=reduction, weight=make_weight())
        if reduction != "mean":
            yield case(sample, "nll_loss", make(s), make_target(s, zeros=True), ignore_index=0, reduction=reduction)
    yield case(ops + "sample_inputs_nll_loss [2, 3] target [-1, 2] ignore_index=-1", "nll_loss", make(shape),
               torch.tensor([-1, 2], dtype=torch.long), ignore_index=-1)

    seed("gaussian_nll_loss")
    make_var = lambda shp: make_tensor(shp, dtype=torch.float64, device="cpu", low=0.1)  # noqa: E731

    def gen_shape(s):
        return (s, (*s[:-1], 1), s[:-1])

    for s, r in product(((S,), (S, S), (S, S, S)), ("none", "mean", "sum")):
        sample = ops + "sample_inputs_gaussian_nll_loss %s reduction=%s" % (list(s), r)
        for t_s, v_s in product(gen_shape(s), gen_shape(s)):
            yield case(sample, "gaussian_nll_loss", make(s), make(t_s), v=make_var(v_s), reduction=r)
            yield case(sample, "gaussian_nll_loss", make(s), make(t_s), v=make_var(v_s), full=True, reduction=r)
            yield case(sample, "gaussian_nll_loss", make(s), make(t_s), v=make_var(v_s), eps=random.uniform(1e-6, 1e-3), reduction=r)
            yield case(sample, "gaussian_nll_loss", make(s), make(t_s), v=make_var(v_s), full=True, eps=random.uniform(1e-6, 1e-3),
                       reduction=r)
    err = ops + "error_inputs_gaussian_nll_loss "  # (2.6.0, 2.14.1; not in 1.13.0)
    yield case(err + "invalid reduction", "gaussian_nll_loss", f32(10, 2, 3), f32(10, 2, 3), v=f32(10, 2, 3, low=0), dtypes=F32,
               error=("ValueError", "abc is not valid"), reduction="abc")
    yield case(err + "var of incorrect shape", "gaussian_nll_loss", f32(10, 2, 3), f32(10, 2, 3), v=f32(10, 2, 2, low=0), dtypes=F32,
               error=("ValueError", "var is of incorrect size"))
    yield case(err + "target of incorrect shape", "gaussian_nll_loss", f32(10, 2, 3), f32(10, 2, 2), v=f32(10, 2, 3, low=0), dtypes=F32,
               error=("RuntimeError", r"The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 2"))

    seed("huber_loss")
    for s, r in product(((S,), (S, S), (S, S, S)), ("none", "mean", "sum")):
        delta = random.uniform(1e-3, 9)
        yield case(ops + "sample_inputs_huber_loss %s reduction=%s" % (list(s), r), "huber_loss", make(s), make(s), reduction=r, delta=delta)
    err = ops + "error_inputs_huber_loss "
    yield case(err + "invalid reduction", "huber_loss", f32(5, 4), f32(5, 4), dtypes=F32,
               error=("ValueError", "is not a valid value for reduction"), reduction="abc")
    for delta in (0, -1):
        yield case(err + "delta=%d" % delta, "huber_loss", f32(5, 4), f32(5, 4), dtypes=F32,
                   error=("RuntimeError", r"huber_loss does not support non-positive values for delta\."), delta=delta)

    seed("poisson_nll_loss")
    for s, r in product(((S,), (S, S), (S, S, S)), ("none", "mean", "sum")):
        sample = ops + "sample_inputs_poisson_nll_loss %s reduction=%s" % (list(s), r)
        for li, f in product((True, False), (True, False)):
            i1, i2, t1, t2 = make(s), make(s), make(s, low=0), make(s, low=0)
            if not li:
                i1.abs_()
                i2.abs_()
            t1.abs_()
            t2.abs_()
            yield case(sample, "poisson_nll_loss", i1, t1, log_input=li, full=f, reduction=r)
            yield case(sample, "poisson_nll_loss", i2, t2, log_input=li, full=f, eps=random.uniform(1e-8, 1e-3), reduction=r)
    err = ops + "error_inputs_poisson_nll_loss "
    yield case(err + "invalid reduction", "poisson_nll_loss", f32(5, 4), f32(5, 4), dtypes=F32,
               error=("ValueError", "abc is not a valid value for reduction|abc is not valid"), reduction="abc")
    yield case(err + "invalid input shapes", "poisson_nll_loss", f32(5, 4), f32(5), dtypes=F32,
               error=("RuntimeError", r"(Attempting to broadcast a dimension of length|The size of tensor a \(5\) must match the "
                                      r"size of tensor b \(4\) at non-singleton dimension 1)"))

    seed("kl_div")
    F = torch.nn.functional
    for shp, reduction, log_target in product(((2,), (2, 3)), ("none", "mean", "batchmean", "sum"), (True, False)):
        x = F.log_softmax(make(shp, low=0.), -1)
        t = F.log_softmax(make(shp, low=0.), -1) if log_target else F.softmax(make(shp, low=0.), -1)
        yield case(ops + "sample_inputs_kl_div %s reduction=%s log_target=%s" % (list(shp), reduction, log_target), "kl_div", x, t,
                   reduction=reduction, log_target=log_target)


# ---- issue 15's seven losses: calls of any arity ------------------------------------------------------
# margin_ranking_loss, hinge_embedding_loss, cosine_embedding_loss, multi_margin_loss,
# triplet_margin_loss, triplet_margin_with_distance_loss, ctc_loss: their tensors are positional
# arguments by torch's names (SEVEN), each cast like the input unless fixed, an integer tensor
# keeping its dtype, CTC's lengths an int list or an int tensor. A reply lists them in torch's
# order ("args") with the gradient of each differentiable one ("grads").

SEVEN = {  # stem -> (torch's positional arguments, the ones the ports differentiate)
    "margin_ranking_loss": (("input1", "input2", "target"), ("input1", "input2")),
    "hinge_embedding_loss": (("input", "target"), ("input",)),
    "cosine_embedding_loss": (("input1", "input2", "target"), ("input1", "input2")),
    "multi_margin_loss": (("input", "target"), ("input",)),
    "triplet_margin_loss": (("anchor", "positive", "negative"), ("anchor", "positive", "negative")),
    "triplet_margin_with_distance_loss": (("anchor", "positive", "negative"), ("anchor", "positive", "negative")),
    "ctc_loss": (("log_probs", "targets", "input_lengths", "target_lengths"), ("log_probs",)),
}
OPS.update({
    "margin_ranking_loss": ("margin_ranking_loss", "MarginRankingLoss"),
    "hinge_embedding_loss": ("hinge_embedding_loss", "HingeEmbeddingLoss"),
    "cosine_embedding_loss": ("cosine_embedding_loss", "CosineEmbeddingLoss"),
    "multi_margin_loss": ("multi_margin_loss", "MultiMarginLoss"),
    "triplet_margin_loss": ("triplet_margin_loss", "TripletMarginLoss"),
    "triplet_margin_with_distance_loss": ("triplet_margin_with_distance_loss", "TripletMarginWithDistanceLoss"),
    "ctc_loss": ("ctc_loss", "CTCLoss"),
})


def distance_function(torch, name):
    """triplet_margin_with_distance_loss's distance_function, by the name a case records (the names of
    python/cases/triplet_margin_with_distance_loss.py and the registry's decoder, the ports' built-in
    distances): 'pairwise' nn.PairwiseDistance() (F.pairwise_distance's defaults, the loss's
    default), 'cosine' 1 - F.cosine_similarity(x, y) (the tests' cosine_distance function and their
    lambda alike)."""
    if name == "pairwise":
        return torch.nn.PairwiseDistance()
    if name == "cosine":
        return lambda x, y: 1.0 - torch.nn.functional.cosine_similarity(x, y)
    raise ValueError("unknown distance_function %r" % (name,))


def case7(test, loss, args, style="functional", dtypes=FLOATS, error=None, reference=None, check=None, grad_output=None,
          fixed=(), requires=None, ref_requires=None, defined_if=None, output_defined=True, warning=None, ref_tol=None,
          forward_only=False, **options):
    """One call of one of the seven as a PyTorch test makes it (see case for the shared fields).

    args: torch's positional arguments in order (SEVEN's names): tensors (a float one cast to each
    dtype unless its name is in fixed), or CTC's int lists. error: (type, regex or None[, release the
    test holds from]); before that release the call is made without the expectation (the port must do
    what that torch does). reference: fn(torch, F, nn, args, options) -> (output, {arg index: gradient}
    or None). defined_if: a DEFINED name: where the torch at hand lacks it, torch's result is not
    defined (it reads memory it does not own) and is not compared. output_defined=False: the output
    is never defined (torch's 'mean' of an empty batch), the gradients are. options: keyword arguments
    in torch's names; distance_function a name (distance_function())."""
    return dict(test=test, loss=loss, args=tuple(args), style=style, dtypes=dtypes, error=error, reference=reference,
                check=check, grad_output=grad_output, fixed=fixed, requires=requires, ref_requires=ref_requires,
                defined_if=defined_if, output_defined=output_defined, warning=warning, ref_tol=ref_tol,
                forward_only=forward_only, options=options, seven=True)


def call7(torch, F, nn, loss, style, args, options):
    """torch's output for one call of the seven ('__'-prefixed options are not torch's)."""
    function, module = OPS[loss]
    kwargs = {k: v for k, v in options.items() if not k.startswith("__")}
    if isinstance(kwargs.get("distance_function"), str):
        kwargs["distance_function"] = distance_function(torch, kwargs["distance_function"])
    if style == "module":
        return getattr(nn, module)(**kwargs)(*args)
    return getattr(F, function)(*args, **kwargs)


def formula7(fn):
    """A reference formula of (torch, args, options) -> output, without a gradient."""
    return lambda torch, F, nn, a, o: (fn(torch, a, o), None)


def via(loss, style="functional", make_args=None, out_fn=None, **fixed):
    """The other side of assertEqual(this call, another call): torch's output of `loss` on
    make_args(this call's arguments) (default: the same), and the gradient of this call's
    differentiable arguments through it for the same grad_output."""
    def reference(torch, F, nn, a, o):
        leaves = [x.detach().clone().requires_grad_(True) if i in o["__diff"] else x for i, x in enumerate(a)]
        args2 = leaves if make_args is None else make_args(leaves)
        out = call7(torch, F, nn, loss, style, args2, with_options(o, fixed))
        if out_fn is not None:
            out = out_fn(out)
        grads = None
        if o.get("__grad_output") is not None and out.requires_grad:
            out.backward(o["__grad_output"].reshape(out.shape))
            grads = {i: leaves[i].grad for i in o["__diff"] if leaves[i].grad is not None}
        return out.detach(), grads
    return reference


def single_batch7(loss):
    """single_batch_reference_criterion_fn: the module on every argument unsqueezed at 0, 'none' squeezed."""
    return via(loss, "module", make_args=lambda a: [x.unsqueeze(0) for x in a],
               out_fn=None)


def single_batch7_squeezed(loss):
    def reference(torch, F, nn, a, o):
        out, grads = single_batch7(loss)(torch, F, nn, a, o)
        return (out.squeeze(0) if o.get("reduction", "mean") == "none" else out), grads
    return reference


# torch/testing/_internal/common_nn.py's reference functions of the seven (2.14.1; 1.13.0 alike),
# written as formulas of (torch, args, options)

def hinge_formula(torch, a, o):
    """hingeembeddingloss_reference."""
    i, t = a
    margin_clamp = (o.get("margin", 1.0) - i).clamp(min=0).type_as(i)
    return mean_sum(torch.where(t == 1, i, margin_clamp), o.get("reduction", "mean"))


def multimargin_formula(torch, a, o):
    """multimarginloss_reference (and _multimarginloss_reference per row)."""
    input, target = a
    p, margin, weight, reduction = o.get("p", 1), o.get("margin", 1), o.get("weight"), o.get("reduction", "mean")
    if input.dim() < 2:
        input = input.unsqueeze(0) if input.dim() == 1 else input.unsqueeze(0).unsqueeze(0)
    target_dim = target.dim()
    if target.dim() == 0:
        target = target.unsqueeze(0)
    n, dim = input.size(0), input.size(1)
    output = input.new(n)
    for x in range(n):
        row, target_idx = input[x], target[x]
        w = input.new(len(row)).fill_(1) if weight is None else weight
        total = 0
        for i in range(len(row)):
            if i != target_idx:
                total += max(0, w[target_idx] * (margin - row[target_idx] + row[i]) ** p)
        output[x] = total
    if reduction == "mean":
        return output.mean() / dim
    if reduction == "sum":
        return output.sum() / dim
    return output.squeeze(0) / dim if target_dim == 0 else output / dim


def cosine_formula(torch, a, o):
    """cosineembeddingloss_reference."""
    input1, input2, target = a

    def _cos(x, y):
        cos = x.new(x.size(0))
        for i in range(x.size(0)):
            cos[i] = (x[i] * y[i]).sum() / ((((x[i] * x[i]).sum() + 1e-12) * ((y[i] * y[i]).sum() + 1e-12)) ** 0.5)
        return cos
    output = torch.where(target == 1, 1 - _cos(input1, input2), (_cos(input1, input2) - o.get("margin", 0)).clamp(min=0))
    return mean_sum(output, o.get("reduction", "mean"))


def triplet_formula(torch, a, o):
    """tripletmarginloss_reference."""
    anchor, positive, negative = a
    p, eps, margin = o.get("p", 2), o.get("eps", 1e-6), o.get("margin", 1.0)
    d_p = torch.pairwise_distance(anchor, positive, p, eps)
    d_n = torch.pairwise_distance(anchor, negative, p, eps)
    if o.get("swap", False):
        d_n = torch.min(d_n, torch.pairwise_distance(positive, negative, p, eps))
    return mean_sum(torch.clamp(margin + d_p - d_n, min=0.0), o.get("reduction", "mean"))


def margin_ranking_formula(torch, a, o):
    """marginrankingloss_reference."""
    input1, input2, target = a
    return mean_sum((-target * (input1 - input2) + o.get("margin", 0)).clamp(min=0), o.get("reduction", "mean"))


def ctc_formula(torch, a, o):
    """ctcloss_reference (Graves et al.'s recursion in probability space, in float64)."""
    log_probs, targets, input_lengths, target_lengths = a
    blank, reduction = o.get("blank", 0), o.get("reduction", "mean")
    input_lengths = torch.as_tensor(input_lengths, dtype=torch.long)
    target_lengths = torch.as_tensor(target_lengths, dtype=torch.long)
    dt = log_probs.dtype
    log_probs = log_probs.double()
    targets = targets.long()
    cum_target_lengths = target_lengths.cumsum(0)
    losses = []
    for i in range(log_probs.size(1)):
        input_length, target_length = input_lengths[i].item(), target_lengths[i].item()
        cum_target_length = cum_target_lengths[i].item()
        targets_prime = targets.new_full((2 * target_length + 1,), blank)
        if targets.dim() == 2:
            targets_prime[1::2] = targets[i, :target_length]
        else:
            targets_prime[1::2] = targets[cum_target_length - target_length:cum_target_length]
        probs = log_probs[:input_length, i].exp()
        alpha = log_probs.new_zeros((target_length * 2 + 1,))
        alpha[0] = probs[0, blank]
        alpha[1] = probs[0, targets_prime[1]]
        mask_third = (targets_prime[:-2] != targets_prime[2:])
        for t in range(1, input_length):
            alpha_next = alpha.clone()
            alpha_next[1:] += alpha[:-1]
            alpha_next[2:] += torch.where(mask_third, alpha[:-2], alpha.new_zeros(1))
            alpha = probs[t, targets_prime] * alpha_next
        losses.append(-alpha[-2:].sum().log()[None])
    output = torch.cat(losses, 0)
    if reduction == "mean":
        return (output / target_lengths.to(dtype=output.dtype, device=output.device)).mean()
    if reduction == "sum":
        return output.sum()
    return output.to(dt)


def python_ref(op):
    """test_python_ref's other side: torch._refs.nn.functional.<op> on the same arguments (torch >= 1.13/2.x)."""
    def reference(torch, F, nn, a, o):
        import torch._refs.nn.functional as refs  # noqa: F401
        kwargs = {k: v for k, v in o.items() if not k.startswith("__")}
        return getattr(torch._refs.nn.functional, op)(*a, **kwargs), None
    return reference


# ---- issue 15's seven losses: the groups --------------------------------------------------------------

def test_nn_seven(torch):
    """test/test_nn.py TestNN (pytorch/pytorch 74f2fa66), the tests that call the seven, float32 as the
    tests run unless they set another dtype."""
    F32, F64 = ("float32",), ("float64",)
    D = torch.double

    # get_all_math_dtypes: the port's float inputs are float32/float64 and its one integer tensor type
    # takes the integer targets (uint8 the test itself skips; half, bfloat16, complex and integer
    # inputs have no port dtype); assertEqual(.item()) at atol 1e-3
    name = "test_nn.py TestNN.test_cosine_embedding_loss_with_diff_type"
    i1 = torch.tensor([[2, 3, 4], [6, 2, 4]], dtype=D)
    i2 = torch.tensor([[2, 3, 5], [3, 2, 1]], dtype=D)
    t = torch.tensor([1, -1], dtype=torch.int)
    for dt1, dt2, dt3 in product(FLOATS, FLOATS, ("float32", "float64", "int8", "int16", "int32", "int64")):
        yield case7(name, "cosine_embedding_loss", (i1.to(getattr(torch, dt1)), i2.to(getattr(torch, dt2)), t.to(getattr(torch, dt3))),
                    dtypes=(dt1,), fixed=("input1", "input2", "target"), ref_tol=(0, 1e-3),
                    reference=via("cosine_embedding_loss", make_args=lambda a, i1=i1, i2=i2, t=t: (i1, i2, t)))

    name = "test_nn.py TestNN.test_cosine_embedding_loss_error_on_diff_shapes"
    yield case7(name, "cosine_embedding_loss", (torch.zeros((0, 0), dtype=D), torch.zeros((0,), dtype=D), torch.zeros((0,), dtype=torch.int)),
                dtypes=F64, error=("RuntimeError", ".*expects 2D.*", SINCE_2_6))
    name = "test_nn.py TestNN.test_cosine_embedding_loss_error_on_nonexpandable_shapes"
    yield case7(name, "cosine_embedding_loss", (torch.zeros((1, 5), dtype=D), torch.zeros((1, 6), dtype=D), torch.ones((1,), dtype=torch.int)),
                dtypes=F64, error=("RuntimeError", ".*must match the size.*"))

    # gradcheck (numerical differentiation of torch): the port's gradients are held to torch's instead
    for suffix, extra in (("", {}), ("margin_", {"margin": 0.5})):
        name = "test_nn.py TestNN.test_cosine_embedding_loss_%sno_reduce" % suffix
        seeded(torch, name)
        args = (torch.randn(15, 10, dtype=D), torch.randn(15, 10, dtype=D), torch.randn(15, dtype=D).sign())
        yield case7(name, "cosine_embedding_loss", args, dtypes=F64, reference=formula7(cosine_formula), reduction="none", **extra)

    # (1.13 and later; torch 1.7 takes the first two and fails the third otherwise)
    name = "test_nn.py TestNN.test_cosine_embedding_loss_invalid_shape"
    seeded(torch, name)
    i1, i2, t = torch.randn(15, 10), torch.randn(15, 10), torch.randn(15, 1).sign()
    yield case7(name, "cosine_embedding_loss", (i1, i2, t), dtypes=F32, error=("RuntimeError", "1D target tensor expected", SINCE_1_13))
    yield case7(name, "cosine_embedding_loss", (torch.randn(10), torch.randn(10), torch.randn(10)), dtypes=F32,
                error=("RuntimeError", "1D target tensor expects 2D input tensors", SINCE_1_13))
    yield case7(name, "cosine_embedding_loss", (torch.randn(2, 5), torch.randn(2, 5), torch.randn(())), dtypes=F32,
                error=("RuntimeError", "0D target tensor expects 1D input tensors", SINCE_1_13))

    for suffix, extra in (("", {}), ("margin_", {"margin": 0.5})):
        name = "test_nn.py TestNN.test_margin_ranking_loss_%sno_reduce" % suffix
        seeded(torch, name)
        args = (torch.randn(15, dtype=D).mul_(10), torch.randn(15, dtype=D).mul_(10), torch.randn(15, dtype=D).sign())
        yield case7(name, "margin_ranking_loss", args, dtypes=F64, reference=formula7(margin_ranking_formula), reduction="none", **extra)

    for suffix, extra in (("", {}), ("_swap", {"swap": True}), ("_no_reduce", {"reduction": "none"}),
                          ("_swap_no_reduce", {"swap": True, "reduction": "none"})):
        name = "test_nn.py TestNN.test_triplet_margin_loss" + suffix
        seeded(torch, name)
        args = (torch.randn(5, 10, dtype=D), torch.randn(5, 10, dtype=D), torch.randn(5, 10, dtype=D))
        yield case7(name, "triplet_margin_loss", args, dtypes=F64, reference=formula7(triplet_formula), **extra)

    name = "test_nn.py TestNN.test_CTCLoss_typechecks"
    seeded(torch, name)
    target_lengths, input_lengths = torch.tensor([30, 25, 20]), torch.tensor([50, 50, 50])
    targets = torch.randint(1, 15, (int(target_lengths.sum()),), dtype=torch.int)
    log_probs = torch.randn(50, 3, 15, dtype=torch.float).log_softmax(2)
    yield case7(name, "ctc_loss", (log_probs, targets, input_lengths.to(dtype=torch.float), target_lengths), dtypes=F32,
                fixed=("input_lengths",), error=("RuntimeError", None))
    yield case7(name, "ctc_loss", (log_probs, targets, input_lengths, target_lengths.to(dtype=torch.float)), dtypes=F32,
                fixed=("target_lengths",), error=("RuntimeError", None))

    # torch 1.13 does not check negative lengths (it reads memory it does not own): not compared there
    name = "test_nn.py TestNN.test_CTCLoss_lengthchecks_cpu"
    seeded(torch, name)
    for target_lengths in ([30, 25, 20], [-1, -1, -1]):
        for input_lengths in ([50, 50, 50], [-1, -1, -1]):
            targets = torch.randint(1, 15, (3, 29), dtype=torch.int)
            log_probs = torch.randn(50, 3, 15, dtype=torch.float).log_softmax(2)
            yield case7(name, "ctc_loss", (log_probs, targets, input_lengths, target_lengths), dtypes=F32, error=("RuntimeError", None),
                        defined_if="ctc_negative_lengths_checked" if target_lengths[0] < 0 else None)

    # torch 1.13's loss of an input length 0 reads memory it does not own (both calls)
    name = "test_nn.py TestNN.test_CTCLoss_zero_lengths"
    seeded(torch, name)
    N, S, C, T = 3, 2, 200, 1
    target = torch.randint(low=1, high=C, size=(N, S), dtype=torch.int)
    input_lengths = torch.full(size=(N,), fill_value=0, dtype=torch.int)
    target_lengths = torch.full(size=(N,), fill_value=0, dtype=torch.int)
    inp = torch.randn(T, N, C, dtype=torch.float).log_softmax(2)
    zeros = lambda torch, F, nn, a, o: (torch.zeros(N, dtype=a[0].dtype), {0: torch.zeros_like(a[0])})  # noqa: E731
    yield case7(name, "ctc_loss", (inp, target, input_lengths, target_lengths), dtypes=F32, grad_output="ones", reference=zeros,
                defined_if="ctc_zero_input_length", reduction="none")
    target_lengths = torch.full(size=(N,), fill_value=1, dtype=torch.int)
    inp = torch.randn(T, N, C, dtype=torch.float).log_softmax(2)
    infs = lambda torch, F, nn, a, o: (torch.full((N,), math.inf, dtype=a[0].dtype), {0: torch.zeros_like(a[0])})  # noqa: E731
    yield case7(name, "ctc_loss", (inp, target, input_lengths, target_lengths), dtypes=F32, grad_output="ones", reference=infs,
                defined_if="ctc_zero_input_length", reduction="none")


def test_nn_device_type_seven(torch):
    """test/test_nn.py TestNNDeviceType (on CPU; pytorch/pytorch 74f2fa66), the tests that call the seven."""
    F32, F64 = ("float32",), ("float64",)
    D = torch.double

    name = "test_nn.py TestNNDeviceType.test_invalid_reduction_strings"
    seeded(torch, name + " (the seven)")
    x = torch.randn(3, 5)
    for reduction in ("none", "invalid"):
        error = ("ValueError", None) if reduction == "invalid" else None
        yield case7(name, "hinge_embedding_loss", (x, x), dtypes=F32, error=error, reduction=reduction)
        yield case7(name, "triplet_margin_loss", (x, x, x), dtypes=F32, error=error, reduction=reduction)
        yield case7(name, "triplet_margin_with_distance_loss", (x, x, x), dtypes=F32, error=error, requires="twd", reduction=reduction)
        yield case7(name, "margin_ranking_loss", (x, x, x.sign()), dtypes=F32, error=error, reduction=reduction)
        yield case7(name, "cosine_embedding_loss", (x, x, x[:, 0].sign()), dtypes=F32, error=error, reduction=reduction)
        log_probs = torch.randn(50, 16, 20).log_softmax(2)
        targets = torch.randint(1, 20, (16, 30), dtype=torch.long)
        input_lengths = torch.full((16,), 50, dtype=torch.long)
        target_lengths = torch.randint(10, 30, (16,), dtype=torch.long)
        yield case7(name, "ctc_loss", (log_probs, targets, input_lengths, target_lengths), dtypes=F32, error=error, reduction=reduction)

    # MultiMarginLoss's half (MultiLabelMarginLoss is one of the five); the 'mean' of the empty batch
    # is not defined (torch reads uninitialised memory), its gradient is
    name = "test_nn.py TestNNDeviceType.test_MarginLoss_empty"
    seeded(torch, name)
    for dtype in FLOATS:
        dt = getattr(torch, dtype)
        x, y = torch.randn(0, 10, dtype=dt), torch.ones(0).type(torch.long)
        yield case7(name, "multi_margin_loss", (x, y), "module", (dtype,), grad_output="ones", output_defined=False,
                    requires="multi_margin_empty_batch",
                    reference=lambda torch, F, nn, a, o: (None, {0: torch.zeros_like(a[0])}))
        yield case7(name, "multi_margin_loss", (torch.randn(0, dtype=dt), torch.ones(10).type(torch.long)), "module", (dtype,),
                    error=("RuntimeError", "Expected", SINCE_1_13))
        yield case7(name, "multi_margin_loss", (torch.randn(10, 0, dtype=dt), torch.ones(10, 0).type(torch.long)), "module", (dtype,),
                    error=("RuntimeError", "Expected", SINCE_1_13))

    name = "test_nn.py TestNNDeviceType.test_CTCLoss_empty_target"
    seeded(torch, name)
    targets = torch.randint(1, 15, (0,), dtype=torch.long)
    log_probs = torch.randn(50, 3, 15, dtype=D).log_softmax(2)
    yield case7(name, "ctc_loss", (log_probs, targets, [50, 50, 50], [0, 0, 0]), dtypes=F64, check="nonnegative", reduction="none",
                reference=lambda torch, F, nn, a, o: (-a[0].sum(0)[:, 0], None))
    targets = torch.randint(1, 15, (9,), dtype=torch.long)
    log_probs = torch.randn(50, 3, 15, dtype=D).log_softmax(2)

    def rows_0_2(torch, F, nn, a, o):
        # assertEqual(-log_probs.sum(0)[[0, 2], 0], loss[[0, 2]]): the other row is torch's own
        out = call7(torch, F, nn, "ctc_loss", "functional", a, o).detach().clone()
        out[[0, 2]] = -a[0].sum(0)[[0, 2], 0]
        return out, None
    yield case7(name, "ctc_loss", (log_probs, targets, [50, 50, 50], [0, 9, 0]), dtypes=F64, check="nonnegative", reduction="none",
                reference=rows_0_2)

    # gradcheck of ctc_loss(log_softmax(tiled x)): here the port gets log_probs itself and its
    # gradient is held to torch's (d/d log_probs)
    name = "test_nn.py TestNNDeviceType.test_ctc_loss"
    seeded(torch, name)
    batch_size, num_labels, target_length, gradcheck_input_size = 64, 101, 15, 10
    for input_length, vary_lengths, zero_mode in ((150, False, 0), (150, True, 0), (50, True, 1), (50, True, 2)):
        targets = torch.randint(1, num_labels, (batch_size, target_length), dtype=torch.long)
        x = torch.randn(gradcheck_input_size, dtype=D)
        tile_factors = torch.randn(input_length * batch_size * num_labels // gradcheck_input_size + 1)
        input_lengths = [(torch.randint(input_length // 2, input_length + 1, ()).item() if vary_lengths or i == 0 else input_length)
                         for i in range(batch_size)]
        if zero_mode == 2:
            target_lengths = [0 for _ in range(batch_size)]
        else:
            target_lengths = [(torch.randint(target_length // 2, target_length + 1, ()).item() if vary_lengths else target_length)
                              for _ in range(batch_size)]
            if zero_mode == 1:
                for i in torch.randint(0, batch_size, (10,)):
                    target_lengths[i] = 0
        x_full = ((x[:, None] * tile_factors[None, :]).view(-1)[:input_length * batch_size * num_labels]
                  .view(input_length, batch_size, num_labels))
        yield case7(name, "ctc_loss", (torch.log_softmax(x_full, 2), targets, input_lengths, target_lengths), dtypes=F64)

    for reduction, use_module_form in product(("none", "mean", "sum"), (True, False)):
        name = "test_nn.py TestNNDeviceType.test_CTCLoss_no_batch_dim_reduction_%s_use_module_form_%s" % (reduction, use_module_form)
        seeded(torch, name)
        input_length, vocab_size, target_length = 40, 3, 12
        log_probs = torch.randn(input_length, 1, vocab_size, dtype=torch.float).log_softmax(2)
        targets = torch.randint(low=1, high=vocab_size - 1, size=(1, target_length), dtype=torch.int)
        style = "module" if use_module_form else "functional"
        opts = dict(reduction=reduction, zero_infinity=True)
        batched = (log_probs, targets, [input_length], [target_length])
        yield case7(name, "ctc_loss", batched, style, F32, **opts)
        yield case7(name, "ctc_loss", (log_probs, targets.squeeze(0), [input_length], [target_length]), style, F32, ref_tol=(0, 1e-4),
                    reference=via("ctc_loss", style, make_args=lambda a: (a[0], a[1].unsqueeze(0), a[2], a[3])), **opts)
        yield case7(name, "ctc_loss", (log_probs.squeeze(1), targets.squeeze(0), torch.tensor(input_length), torch.tensor(target_length)),
                    style, F32, ref_tol=(0, 1e-4), requires="ctc_unbatched",
                    reference=via("ctc_loss", style, make_args=lambda a: (a[0].unsqueeze(1), a[1].unsqueeze(0), [int(a[2])], [int(a[3])]),
                                  out_fn=lambda out: out.squeeze(0)), **opts)

    name = "test_nn.py TestNNDeviceType.test_triplet_margin_with_distance_loss_default_parity"
    seeded(torch, name)
    for margin, swap, reduction in product((0.5, 1, 1.5), (True, False), ("none", "mean", "sum")):
        args = (torch.randn(5, 10, dtype=D), torch.randn(5, 10, dtype=D), torch.randn(5, 10, dtype=D))
        for style in ("functional", "module"):
            yield case7(name, "triplet_margin_with_distance_loss", args, style, F64, requires="twd", ref_tol=(1e-6, 1e-6),
                        reference=via("triplet_margin_loss", style), margin=margin, swap=swap, reduction=reduction)

    # distance_function: nn.PairwiseDistance(), the test's cosine_distance and its lambda (the same
    # function: the ports' built-in cosine distance); functional == modular (the jit.trace half is
    # not re-created: no TorchScript in JS)
    name = "test_nn.py TestNNDeviceType.test_triplet_margin_with_distance_loss"
    seeded(torch, name)
    for distance, reduction, margin, swap in product(("pairwise", "cosine", "cosine"), ("mean", "none", "sum"),
                                                     (1.0, 1.5, 0.5), (True, False)):
        args = (torch.randn(5, 10, dtype=D), torch.randn(5, 10, dtype=D), torch.randn(5, 10, dtype=D))
        opts = dict(distance_function=distance, reduction=reduction, margin=margin, swap=swap)
        yield case7(name, "triplet_margin_with_distance_loss", args, "functional", F64, requires="twd", ref_tol=(1e-6, 1e-6),
                    reference=via("triplet_margin_with_distance_loss", "module"), **opts)
        yield case7(name, "triplet_margin_with_distance_loss", args, "module", F64, requires="twd", ref_tol=(1e-6, 1e-6),
                    reference=via("triplet_margin_with_distance_loss", "functional"), **opts)


def no_reduce_seven(torch):
    """common_nn.py new_module_tests' *_no_reduce tests of the seven (1.13.0 and 2.14.1 alike; 2.x adds
    default_dtype=torch.double): F.<loss>(i, t, reduction='none', ...) against reference_fn."""
    for fullname, extra in (("HingeEmbeddingLoss_no_reduce", {}), ("HingeEmbeddingLoss_margin_no_reduce", {"margin": 0.5})):
        seeded(torch, fullname)
        t = torch.randn(10).gt(0).double().mul_(2).sub(1)
        yield case7("common_nn.py " + fullname, "hinge_embedding_loss", (torch.randn(10), t), reference=formula7(hinge_formula),
                    reduction="none", **extra)
    for fullname, target_shape, input_fn, extra in (
            ("MultiMarginLoss_no_reduce", (5,), lambda: torch.randn(5, 10), {}),
            ("MultiMarginLoss_1d_no_reduce", (1,), lambda: torch.randn(10), {}),
            ("multimarginloss_1d_input_0d_target_no_reduce", (), lambda: torch.randn(10), {}),
            ("MultiMarginLoss_p_no_reduce", (5,), lambda: torch.randn(5, 10).clamp_(1e-2, 1 - 1e-2), {"p": 2}),
            ("MultiMarginLoss_margin_no_reduce", (5,), lambda: torch.randn(5, 10), {"margin": 0.5}),
            ("MultiMarginLoss_weights_no_reduce", (5,), lambda: torch.randn(5, 10), {"weight": True})):
        seeded(torch, fullname)
        t = torch.rand(target_shape).mul(8).floor().long()
        extra = {k: torch.rand(10) if k == "weight" else v for k, v in extra.items()}
        yield case7("common_nn.py " + fullname, "multi_margin_loss", (input_fn(), t), reference=formula7(multimargin_formula),
                    reduction="none", **extra)


def criterion_seven(torch):
    """common_nn.py criterion_tests of the seven (1.13.0) on the module classes: each reduction
    against reference_fn (all have check_sum_reduction and a reference of the module's reduction),
    the legacy size_average / reduce (not CTCLoss, which takes neither), CTCLoss forward only
    (check_forward_only); and classification_criterion_no_batch's four (1.13.0; 2.14.1 alike in
    float64) against the module on a batch of one."""
    D = torch.double

    def variants(fullname, loss, args, reference, legacy_too=True, forward_only=False, **ctor):
        for reduction, legacy in (("mean", {}), ("sum", {}), ("none", {}), ("sum", {"size_average": False}),
                                  ("none", {"reduce": False}), ("mean", {"size_average": True, "reduce": True})):
            if legacy and not legacy_too:
                continue
            opts = dict(ctor, **legacy) if legacy else dict(ctor, reduction=reduction)
            yield case7("common_nn.py criterion_tests %s%s" % (fullname, " " + str(legacy) if legacy else ""), loss, args, "module",
                        forward_only=forward_only,
                        reference=None if reference is None else
                        formula7(lambda torch, a, o, r=reduction: reference(torch, a, dict(o, reduction=r))), **opts)

    for fullname, ctor in (("HingeEmbeddingLoss", {}), ("HingeEmbeddingLoss_margin", {"margin": 0.5})):
        seeded(torch, fullname)
        x = torch.randn(10)
        yield from variants(fullname, "hinge_embedding_loss", (x, torch.randn(10).gt(0).double().mul_(2).sub(1)), hinge_formula, **ctor)
    seeded(torch, "HingeEmbeddingLoss_scalar_margin")
    x = torch.randn(())
    yield from variants("HingeEmbeddingLoss_scalar_margin", "hinge_embedding_loss", (x, torch.randn(()).gt(0).double().mul_(2).sub(1)),
                        None, margin=0.5)
    for fullname, input_fn, target_fn, ctor in (
            ("MultiMarginLoss", lambda: torch.randn(5, 10), lambda: torch.rand(5).mul(8).floor().long(), {}),
            ("MultiMarginLoss_1d", lambda: torch.randn(10), lambda: torch.rand(1).mul(8).floor().long(), {}),
            ("MultiMarginLoss_p", lambda: torch.rand(5, 10).clamp_(1e-2, 1 - 1e-2), lambda: torch.rand(5).mul(8).floor().long(), {"p": 2}),
            ("MultiMarginLoss_margin", lambda: torch.randn(5, 10), lambda: torch.rand(5).mul(8).floor().long(), {"p": 1, "margin": 0.5}),
            ("MultiMarginLoss_weights", lambda: torch.randn(5, 10), lambda: torch.rand(5).mul(8).floor().long(),
             {"p": 1, "margin": 1., "weight": True})):
        seeded(torch, fullname)
        ctor = {k: torch.rand(10).double() if k == "weight" else v for k, v in ctor.items()}  # constructor_args, first
        x = input_fn()
        yield from variants(fullname, "multi_margin_loss", (x, target_fn()), multimargin_formula, **ctor)
    for fullname, ctor in (("CosineEmbeddingLoss", {}), ("CosineEmbeddingLoss_margin", {"margin": 0.7})):
        seeded(torch, fullname)
        x1, x2 = torch.rand(15, 10), torch.rand(15, 10)
        yield from variants(fullname, "cosine_embedding_loss", (x1, x2, torch.randn(15).sign()), cosine_formula, **ctor)
    for fullname, ctor in (("MarginRankingLoss", {}), ("MarginRankingLoss_margin", {"margin": 0.5})):
        seeded(torch, fullname)
        x1, x2 = torch.randn(50).mul(10), torch.randn(50).mul(10)
        yield from variants(fullname, "margin_ranking_loss", (x1, x2, torch.randn(50).sign()), margin_ranking_formula, **ctor)
    for desc, blank, target_fn, lengths in (
            ("lengths_intlists", 14, lambda: torch.randint(0, 14, (3, 30), dtype=torch.long), "lists"),
            ("lengths_tensors", 14, lambda: torch.randint(0, 14, (3, 30), dtype=torch.long), "tensors"),
            ("2d_int_target_lengths_intlists", 0, lambda: torch.randint(1, 15, (3, 30), dtype=torch.int), "lists"),
            ("2d_int_target_lengths_tensors", 0, lambda: torch.randint(1, 15, (3, 30), dtype=torch.int), "tensors"),
            ("2d_lengths_tensors", 0, lambda: torch.randint(1, 15, (3, 30), dtype=torch.int), "tensors")):
        fullname = "CTCLoss_" + desc
        seeded(torch, fullname)
        il, tl = ([50, 50, 50], [30, 25, 20]) if lengths == "lists" else (torch.tensor([50, 50, 50]), torch.tensor([30, 25, 20]))
        x = torch.randn(50, 3, 15).log_softmax(2)
        yield from variants(fullname, "ctc_loss", (x, target_fn(), il, tl), ctc_formula, legacy_too=False, forward_only=True, blank=blank)

    for fullname, loss, args_fn in (
            ("HingeEmbeddingLoss", "hinge_embedding_loss", lambda: (torch.randn(9, dtype=D), torch.tensor([-1, 1, 1] * 3))),
            ("CosineEmbeddingLoss", "cosine_embedding_loss", lambda: (torch.randn(9, dtype=D), torch.randn(9, dtype=D), torch.tensor(1))),
            ("MarginRankingLoss", "margin_ranking_loss", lambda: (torch.randn(()), torch.randn(()), torch.randn(()).sign())),
            ("TripletMarginLoss", "triplet_margin_loss", lambda: (torch.randn(9, dtype=D), torch.randn(9, dtype=D), torch.randn(9, dtype=D))),
            # 2.14.1's CosineEmbeddingLoss entry: a float64 0-d target (1.13.0's is int64)
            ("CosineEmbeddingLoss (2.14.1)", "cosine_embedding_loss",
             lambda: (torch.randn(9, dtype=D), torch.randn(9, dtype=D), torch.tensor(1, dtype=D)))):
        for reduction in REDUCTIONS:
            test = "common_nn.py %s_no_batch_dim_%s" % (fullname.split(" ")[0], reduction) + (" (2.14.1)" if " " in fullname else "")
            seeded(torch, test)
            yield case7(test, loss, args_fn(), "module", reference=single_batch7_squeezed(loss), reduction=reduction,
                        requires={"cosine_embedding_loss": "cosine_unbatched", "margin_ranking_loss": "margin_ranking_scalars",
                                  "triplet_margin_loss": "triplet_unbatched"}.get(loss))


def module_info_seven(torch):
    """common_modules.py module_inputs_torch_nn_<Loss> of the seven's ModuleInfos (CosineEmbeddingLoss,
    CTCLoss, HingeEmbeddingLoss, MarginRankingLoss, MultiMarginLoss; 2.14.1 and 2.6.0 alike; no
    ModuleInfo of TripletMarginLoss or TripletMarginWithDistanceLoss), each case's reference_fn, and
    module_error_inputs_torch_nn_MultiMarginLoss (2.13+)."""
    make_tensor = make_tensor_of(torch)
    make = lambda *shape, **kw: make_tensor(*shape, dtype=torch.float64, device="cpu", **kw)  # noqa: E731
    mi = "common_modules.py module_inputs_torch_nn_"
    reductions4 = [("", {}), ("reduction_sum", {"reduction": "sum"}), ("reduction_mean", {"reduction": "mean"}),
                   ("reduction_none", {"reduction": "none"})]

    seeded(torch, "CosineEmbeddingLoss")
    for desc, ctor in reductions4 + [("margin", {"margin": 0.7})]:
        args = (make((15, 10)), make((15, 10)), make((15,)).sign())
        yield case7(mi + "CosineEmbeddingLoss " + (desc or "default"), "cosine_embedding_loss", args, "module",
                    reference=formula7(cosine_formula), **ctor)

    seeded(torch, "CTCLoss")
    for target_dtype, (desc, ctor) in product((torch.int, torch.long), reductions4 + [("blank", {"blank": 14})]):
        blank = ctor.get("blank", 0)
        low, high = (0, 14) if blank == 14 else (1, 15)
        target = lambda shape, low=low, high=high, td=target_dtype: make_tensor(shape, dtype=td, device="cpu", low=low, high=high)  # noqa: E731
        for form, target_shape, lengths in (("lengths_intlists", (3, 30), "lists"), ("lengths_tensors", (3, 30), "tensors"),
                                            ("1d_target_lengths_intlists", (75,), "lists"), ("1d_target_lengths_tensors", (75,), "tensors")):
            il, tl = ([50, 50, 50], [30, 25, 20]) if lengths == "lists" else (torch.tensor((50, 50, 50)), torch.tensor((30, 25, 20)))
            args = (make((50, 3, 15)).log_softmax(2), target(target_shape), il, tl)
            yield case7(mi + "CTCLoss %s_%s %s" % (desc, form, str(target_dtype).replace("torch.", "")), "ctc_loss", args, "module",
                        reference=formula7(ctc_formula), **ctor)

    seeded(torch, "HingeEmbeddingLoss")
    for desc, ctor in reductions4 + [("margin", {"margin": 0.5})]:
        for prefix, shape in (("", (10,)), ("scalar_", ())):
            args = (make(shape), make(shape).gt(0).to(torch.float64).mul_(2).sub_(1))
            yield case7(mi + "HingeEmbeddingLoss " + (prefix + desc or "default"), "hinge_embedding_loss", args, "module",
                        reference=formula7(hinge_formula), **ctor)

    seeded(torch, "MarginRankingLoss")
    for desc, ctor in reductions4 + [("margin", {"margin": 0.5})]:
        args = (make((50,)), make((50,)), make_tensor((50,), dtype=torch.long, device="cpu").sign())
        yield case7(mi + "MarginRankingLoss " + (desc or "default"), "margin_ranking_loss", args, "module",
                    reference=formula7(margin_ranking_formula), **ctor)

    # reference_fn does not hold for 'p' and 'weights' (torch itself fails it on these inputs):
    # multimarginloss_reference squares the negative hinge terms for p=2 (make_tensor's [-9, 9]
    # inputs, where criterion_tests' were in (0, 1)) and clamps after weighting (negative weights);
    # those two are held to torch only
    seeded(torch, "MultiMarginLoss")
    for desc, ctor in reductions4 + [("p", {"p": 2}), ("margin", {"margin": 0.5}), ("weights", {"weight": "w"})]:
        ctor = {k: make(10) if k == "weight" else v for k, v in ctor.items()}
        args = (make((5, 10)), make_tensor((5,), dtype=torch.long, device="cpu", low=0, high=10))
        yield case7(mi + "MultiMarginLoss " + (desc or "default"), "multi_margin_loss", args, "module",
                    reference=None if desc in ("p", "weights") else formula7(multimargin_formula), **ctor)

    # issue #106251's message (2.13, 2.14.1; older releases raise the same type with other words)
    seeded(torch, "MultiMarginLoss errors")
    yield case7("common_modules.py module_error_inputs_torch_nn_MultiMarginLoss target size", "multi_margin_loss",
                (make((5, 10)), torch.tensor([0, 1, 2], dtype=torch.long)), "module", ("float32",),
                error=("RuntimeError", r"target tensor should be 1-D with size equal to.*Expected target size \[5\].*but got \[3\]", (2, 13)))


def op_info_seven(torch):
    """common_methods_invocations.py OpInfo samples, reference inputs and error inputs of the seven
    nn.functional ops (2.14.1; 2.6.0 alike but where said), and test_python_ref's other side where
    torch has a torch._refs of the op. Python's random (margins) is seeded per op."""
    make_tensor = make_tensor_of(torch)
    make = lambda shape, **kw: make_tensor(shape, dtype=torch.float64, device="cpu", **kw)  # noqa: E731
    long = lambda shape, **kw: make_tensor(shape, dtype=torch.long, device="cpu", **kw)  # noqa: E731
    f32 = lambda *shape, **kw: make_tensor(shape, dtype=torch.float32, device="cpu", **kw)  # noqa: E731
    ops = "common_methods_invocations.py "
    F32 = ("float32",)

    def seed(name):
        seeded(torch, name)
        random.seed(zlib.crc32(name.encode()))

    def kw_id(kw):
        return ", ".join("%s=%s" % (k, "tensor%s" % list(v.shape) if hasattr(v, "shape") else v) for k, v in sorted(kw.items()))

    seed("margin_ranking_loss")
    ref = python_ref("margin_ranking_loss")
    for shape in ((), (S,), (S, S), (S, S, S)):
        for margin, reduction in product((0., 1.), ("sum", "mean", "none")):
            yield case7(ops + "sample_inputs_margin_ranking_loss %s margin=%s reduction=%s" % (list(shape), margin, reduction),
                        "margin_ranking_loss", (make(shape), make(shape), make(shape)), reference=ref, ref_requires="refs_margin_ranking_loss",
                        requires="margin_ranking_scalars" if shape == () else None, margin=margin, reduction=reduction)
    for reduction in ("sum", "mean", "none"):
        inp1 = make((10,))
        inp1[2] = float("nan")
        inp2 = make((10,))
        inp2[4] = float("nan")
        target = make((10,))
        inp2[9] = float("nan")
        yield case7(ops + "reference_inputs_margin_ranking_loss NaN reduction=%s" % reduction, "margin_ranking_loss", (inp1, inp2, target),
                    reference=ref, ref_requires="refs_margin_ranking_loss", reduction=reduction)
        inp1 = make((10,))
        inp2[1] = float("inf")  # (the previous inp2, as the source writes it)
        inp2 = make((10,))
        inp2[4] = float("inf")
        target = make((10,))
        inp2[7] = float("inf")
        yield case7(ops + "reference_inputs_margin_ranking_loss Inf reduction=%s" % reduction, "margin_ranking_loss", (inp1, inp2, target),
                    reference=ref, ref_requires="refs_margin_ranking_loss", reduction=reduction)
        yield case7(ops + "reference_inputs_margin_ranking_loss broadcasting reduction=%s" % reduction, "margin_ranking_loss",
                    (make((5, 2)), make((5, 1)), make((1, 2))), reference=ref, ref_requires="refs_margin_ranking_loss", reduction=reduction)
    err = ops + "error_inputs_margin_ranking_loss "
    yield case7(err + "invalid reduction", "margin_ranking_loss", (f32(5, 4), f32(5, 4), f32(5, 4)), dtypes=F32,
                error=("ValueError", "is not a valid value"), reduction="abc")
    yield case7(err + "invalid input shapes", "margin_ranking_loss", (f32(5, 4), f32(5, 4), f32(5)), dtypes=F32,
                error=("RuntimeError", "margin_ranking_loss : All input tensors should", SINCE_1_13))

    seed("multi_margin_loss")
    make_weight = make
    for shape, target, kw in (((), long([], low=0, high=1), {}), ((S,), long([], low=0, high=S), {"p": 1}),
                              ((S,), long([1], low=0, high=S), {"p": 2}), ((S, M), long([S], low=0, high=M), {"margin": 1.0}),
                              ((S, M), long([S], low=0, high=M), {"margin": -3.14}), ((M, S), long([M], low=0, high=S), {"weight": None}),
                              ((M, S), long([M], low=0, high=S), {"weight": make_weight([S], low=-10., high=10.)}),
                              ((M, S), long([M], low=0, high=S), {"reduction": "none"}),
                              ((M, S), long([M], low=0, high=S), {"reduction": "mean"}),
                              ((M, S), long([M], low=0, high=S), {"reduction": "sum"})):
        yield case7(ops + "sample_inputs_multi_margin_loss %s target%s %s" % (list(shape), list(target.shape), kw_id(kw)), "multi_margin_loss",
                    (make(shape), target), **kw)
    inputs = (((), long([], low=0, high=1)), ((S,), long([], low=0, high=S)), ((S,), long([1], low=0, high=S)),
              ((M, S), long([M], low=0, high=S)))
    for (shape, target), p, margin, weighted, reduction in product(inputs, (1, 2), (0, 7, -3.14), (False, True), (None, "none", "mean", "sum")):
        x = make(shape)
        weight = make_weight([x.size(-1)] if x.ndim > 0 else [1], low=-10., high=10.) if weighted else None
        kw = {"p": p, "margin": margin, "weight": weight}
        if reduction is not None:
            kw["reduction"] = reduction
        yield case7(ops + "reference_inputs_multi_margin_loss %s target%s %s" % (list(shape), list(target.shape), kw_id(kw)),
                    "multi_margin_loss", (x, target), **kw)
    # (2.6.0, 2.14.1; not in 1.13.0, whose messages differ)
    err = ops + "error_inputs_multi_margin_loss "
    for desc, x, t, kw, error in (
            ("invalid reduction", f32(5, 4), f32(5), {"reduction": "abc"}, ("ValueError", "abc is not a valid value for reduction")),
            ("input [5, 0]", f32(5, 0), f32(5), {},
             ("RuntimeError", r"Expected non-empty vector or matrix with optional 0-dim batch size, but got: \[5, 0\]", SINCE_2_6)),
            ("input [0]", f32(0), f32(5), {},
             ("RuntimeError", r"Expected non-empty vector or matrix with optional 0-dim batch size, but got: \[0\]", SINCE_2_6)),
            ("target [5, 4]", f32(5, 4), f32(5, 4), {},
             ("RuntimeError", r"inconsistent target size, expected 5 but got \[5, 4\]|"
                              r"target tensor should be 1-D with size equal to.*Expected target size \[5\].*but got \[5, 4\]", SINCE_2_6)),
            ("float target", f32(5, 4), f32(5), {}, ("RuntimeError", "expected scalar type Long but found Float", SINCE_2_6)),
            ("weight []", f32(5, 4), f32(5), {"weight": f32()}, ("ValueError", "weight must be one-dimensional", SINCE_2_6)),
            ("weight [5, 4]", f32(5, 4), f32(5), {"weight": f32(5, 4)}, ("ValueError", "weight must be one-dimensional", SINCE_2_6)),
            ("weight [5]", f32(5, 4), f32(5), {"weight": f32(5)}, ("RuntimeError", r"inconsistent weight size, expected 4 but got \[5\]", SINCE_2_6)),
            ("p=3", f32(5, 4), f32(5), {"p": 3}, ("ValueError", "only p == 1 and p == 2 supported", SINCE_2_6))):
        yield case7(err + desc, "multi_margin_loss", (x, t), dtypes=F32, fixed=("target",), error=error, **kw)

    seed("hinge_embedding_loss")
    ref = python_ref("hinge_embedding_loss")
    for s, r in product(((S,), (S, S), (S, S, S)), ("none", "mean", "sum")):
        x, target = make(s), make(s)
        mask = torch.rand_like(target) > 0.5
        target[mask] = 1
        target[~mask] = -1
        margin = random.uniform(-9, 9)
        yield case7(ops + "sample_inputs_hinge_embedding_loss %s reduction=%s" % (list(s), r), "hinge_embedding_loss", (x, target),
                    reference=ref, ref_requires="refs_hinge_embedding_loss", reduction=r, margin=margin)
    yield case7(ops + "sample_inputs_hinge_embedding_loss [] (scalar input and target)", "hinge_embedding_loss", (make(()), make(())),
                reference=ref, ref_requires="refs_hinge_embedding_loss")
    for reduction in ("sum", "mean", "none"):
        for what, index, value in (("NaN", 2, float("nan")), ("Inf", 4, float("inf"))):
            inp = make((10,))
            inp[index] = value
            target = make((10,))
            mask = torch.rand_like(target) > 0.5
            target[mask] = -1
            target[~mask] = 1
            yield case7(ops + "reference_inputs_hinge_embedding_loss %s reduction=%s" % (what, reduction), "hinge_embedding_loss",
                        (inp, target), reference=ref, ref_requires="refs_hinge_embedding_loss", reduction=reduction)
    yield case7(ops + "error_inputs_hinge_embedding_loss invalid reduction", "hinge_embedding_loss", (f32(5, 4), f32(5, 4)), dtypes=F32,
                error=("ValueError", "is not a valid value"), reduction="abc")

    seed("cosine_embedding_loss")
    for s, r in product(((S, S), (S,)), ("none", "mean", "sum")):
        x1, x2 = make(s), make(s)
        t = torch.randint(0, 2, () if len(s) == 1 else (s[0],), dtype=torch.long) * 2 - 1
        yield case7(ops + "sample_inputs_cosine_embedding_loss %s reduction=%s" % (list(s), r), "cosine_embedding_loss",
                    (x1, x2, t.to(torch.float64)), requires="cosine_unbatched" if len(s) == 1 else None,
                    reduction=r, margin=random.uniform(-1, 1))

    seed("ctc_loss")
    for r, z, lt in product(("none", "mean", "sum"), (True, False), ("list", "tensor")):
        log_probs = make((50, 16, 20)).log_softmax(2)
        targets = torch.randint(1, 20, (16, 30), dtype=torch.long)
        input_lengths = torch.full((16,), 50, dtype=torch.long)
        target_lengths = torch.randint(10, 30, (16,), dtype=torch.long)
        if lt == "list" and r in ("none", "sum"):
            input_lengths, target_lengths = input_lengths.tolist(), target_lengths.tolist()
        yield case7(ops + "sample_inputs_ctc_loss reduction=%s zero_infinity=%s lengths %s" % (r, z, lt), "ctc_loss",
                    (log_probs, targets, input_lengths, target_lengths), reduction=r, zero_infinity=z)

    for op in ("triplet_margin_loss", "triplet_margin_with_distance_loss"):
        seed(op)
        twd = op == "triplet_margin_with_distance_loss"
        ref = None if twd else python_ref("triplet_margin_loss")
        for kw in (*[dict(margin=margin) for margin in (1e-6, 1.0, 10.0)], dict(swap=True),
                   *[dict(reduction=reduction) for reduction in ("mean", "sum", "none")]):
            args = (make((S, M)), make((S, M)), make((S, M)))
            if twd:
                kw["distance_function"] = "pairwise"
            yield case7(ops + "sample_inputs_triplet_margin_loss (%s) %s" % (op, kw_id(kw)), op, args, requires="twd" if twd else None,
                        reference=ref, ref_requires=None if twd else "refs_triplet_margin_loss", **kw)
        # (2.6.0, 2.14.1; not in 1.13.0, which takes a negative margin and words the dims check otherwise)
        err = ops + "error_inputs_triplet_margin_loss (%s) " % op
        broadcast = r"(Attempting to broadcast a dimension of length|The size of tensor a \(%d\) must match the size of tensor b \(%d\) at non-singleton dimension 1)"
        dims = r"The anchor, positive, and negative tensors are expected to have the same number of dimensions, but got: anchor %s, positive %s, and negative %s inputs"
        for desc, args, kw, error in (
                ("invalid reduction", (f32(3, 4), f32(3, 4), f32(3, 4)), {"reduction": "abc"}, ("ValueError", "abc is not a valid value for reduction")),
                ("invalid margin", (f32(3, 4), f32(3, 4), f32(3, 4)), {"margin": -1.0}, ("ValueError", "margin must be greater than 0, got -1.0", SINCE_2_6)),
                ("anchor [3, 5]", (f32(3, 5), f32(3, 4), f32(3, 4)), {}, ("RuntimeError", broadcast % (5, 4))),
                ("positive [3, 5]", (f32(3, 4), f32(3, 5), f32(3, 4)), {}, ("RuntimeError", broadcast % (4, 5))),
                ("negative [3, 5]", (f32(3, 4), f32(3, 4), f32(3, 5)), {}, ("RuntimeError", broadcast % (4, 5))),
                ("anchor 1D", (f32(3), f32(3, 4), f32(3, 4)), {}, ("RuntimeError", dims % ("1D", "2D", "2D"), SINCE_2_6)),
                ("positive 1D", (f32(3, 4), f32(3), f32(3, 4)), {}, ("RuntimeError", dims % ("2D", "1D", "2D"), SINCE_2_6)),
                ("negative 1D", (f32(3, 4), f32(3, 4), f32(3)), {}, ("RuntimeError", dims % ("2D", "2D", "1D"), SINCE_2_6))):
            yield case7(err + desc, op, args, dtypes=F32, error=error, requires="twd" if twd else None, **kw)


GROUPS_SEVEN = (test_nn_seven, test_nn_device_type_seven, no_reduce_seven, criterion_seven, module_info_seven, op_info_seven)


def _raises(fn):
    try:
        fn()
        return False
    except Exception:
        return True


# torch's results some releases do not define (the call reads memory torch does not own), detected in
# the torch at hand: where missing, the call's result is not compared (the reply says why)
DEFINED = {
    # torch 1.13's CPU kernel takes negative lengths and reads out of bounds; 2.x checks them
    "ctc_negative_lengths_checked": lambda torch, F: _raises(lambda: F.ctc_loss(
        torch.zeros(2, 1, 3).log_softmax(2), torch.ones(1, 1, dtype=torch.long), [2], [-1])),
    # torch 1.13's loss of a sample with input length 0 and target length 1 (T = 1) reads log_probs
    # it does not own; 2.x gives inf
    "ctc_zero_input_length": lambda torch, F: math.isinf(F.ctc_loss(
        torch.zeros(1, 1, 5).log_softmax(2), torch.ones(1, 1, dtype=torch.long), torch.tensor([0]), torch.tensor([1]),
        reduction="none").item()),
}


def _features_seven():
    return {
        # the whole loss (torch >= 1.9 per issue 15; detected)
        "twd": (lambda torch, F: hasattr(F, "triplet_margin_with_distance_loss"),
                ("AttributeError", "has no attribute 'triplet_margin_with_distance_loss'")),
        # inputs without a batch dim (torch 1.7 lacks them; 1.13 has them): cosine_embedding_loss's 1-D
        # inputs with a 0-d target, triplet_margin_loss's 1-D inputs, margin_ranking_loss's 0-d inputs
        # (pytorch#64975), multi_margin_loss's empty batch
        "cosine_unbatched": (lambda torch, F: _accepts(lambda: F.cosine_embedding_loss(torch.ones(3), torch.ones(3), torch.tensor(1.))),
                             ("Exception", None)),
        "triplet_unbatched": (lambda torch, F: _accepts(lambda: F.triplet_margin_loss(torch.ones(3), torch.ones(3), torch.ones(3))),
                              ("Exception", None)),
        "margin_ranking_scalars": (lambda torch, F: _accepts(lambda: F.margin_ranking_loss(torch.ones(()), torch.ones(()), torch.ones(()))),
                                   ("Exception", None)),
        "multi_margin_empty_batch": (lambda torch, F: _accepts(lambda: F.multi_margin_loss(torch.ones(0, 3), torch.ones(0).long())),
                                     ("RuntimeError", None)),
        # unbatched (T, C) log_probs with 0-d lengths
        "ctc_unbatched": (lambda torch, F: _accepts(lambda: F.ctc_loss(torch.zeros(2, 3).log_softmax(1), torch.ones(1, dtype=torch.long),
                                                                     torch.tensor(2), torch.tensor(1))), ("Exception", None)),
        # torch._refs.nn.functional.<op> (test_python_ref's other side): only the reference needs it
        "refs_margin_ranking_loss": (lambda torch, F: _has_ref(torch, "margin_ranking_loss"), ("Exception", None)),
        "refs_hinge_embedding_loss": (lambda torch, F: _has_ref(torch, "hinge_embedding_loss"), ("Exception", None)),
        "refs_triplet_margin_loss": (lambda torch, F: _has_ref(torch, "triplet_margin_loss"), ("Exception", None)),
    }


def _has_ref(torch, op):
    try:
        import torch._refs.nn.functional as refs
        return hasattr(refs, op)
    except Exception:
        return False


def encode_arg(name, v):
    if hasattr(v, "dtype"):
        return {"name": name, "tensor": encode(v)}
    return {"name": name, "list": [int(x) for x in v]}


def run_case7(torch, F, nn, index, c, dtype_name, count):
    """One call of the seven as torch computes it (see run_case)."""
    dtype = getattr(torch, dtype_name)
    names, diff_names = SEVEN[c["loss"]]
    fixed = c["fixed"]

    def cast(name, v):
        return v.to(dtype) if hasattr(v, "dtype") and v.dtype.is_floating_point and name not in fixed else v

    error, reference, check = c["error"], c["reference"], c["check"]
    if error is not None and len(error) > 2 and release(torch) < error[2]:
        error = "before"  # the test does not hold in this release: the call is made as it is
    missing = None
    if c["requires"] is not None and not FEATURES[c["requires"]][0](torch, F):
        missing = c["requires"]
        error, reference, check = FEATURES[missing][1], None, None
    elif c["ref_requires"] is not None and not FEATURES[c["ref_requires"]][0](torch, F):
        missing, reference = c["ref_requires"], None
    undefined = None
    if c["defined_if"] is not None and not DEFINED[c["defined_if"]](torch, F):
        undefined = "torch %s reads memory it does not own here (%s)" % (torch.__version__, c["defined_if"])
    wants_grad = error is None or error == "before"
    args, diff = [], []
    for i, (name, v) in enumerate(zip(names, c["args"])):
        if hasattr(v, "dtype"):
            v = cast(name, v).detach().clone()
            if wants_grad and name in diff_names and v.is_floating_point():
                v.requires_grad_(True)
                diff.append(i)
        args.append(v)
    options = {k: cast(k, o) for k, o in c["options"].items()}
    regex = None if error in (None, "before") else error[1]
    reply = {"count": count, "test": c["test"], "loss": c["loss"], "style": c["style"], "dtype": dtype_name,
             "args": [encode_arg(n, v) for n, v in zip(names, args)],
             "options": {k: encode(o) if hasattr(o, "dtype") else o for k, o in options.items()},
             "expected_error": None if error in (None, "before") else {"type": error[0], "regex": regex},
             "expected_warning": c["warning"], "feature_missing": missing, "undefined": undefined,
             "check": check, "torch_checks": []}
    try:
        out = call7(torch, F, nn, c["loss"], c["style"], args, options)
    except Exception as e:  # torch's verdict on the arguments
        reply["error"] = {"type": type(e).__name__, "message": str(e).strip()}
        if error == "before":
            reply["expected_error"] = {"type": type(e).__name__, "regex": None}
        elif error is not None:
            ok = (error[0] == "Exception" or type(e).__name__ == error[0]) and (regex is None or re.search(regex, str(e)) is not None)
            reply["torch_checks"].append({"what": "raises %s%s" % (error[0], "" if regex is None else " matching /%s/" % regex),
                                          "ok": ok, "message": "" if ok else "%s: %s" % (type(e).__name__, e)})
        return reply
    if error not in (None, "before") and undefined is None:
        reply["torch_checks"].append({"what": "raises %s" % error[0], "ok": False, "message": "torch computed a result"})
    if undefined is not None:
        return reply
    if c["output_defined"]:
        reply["output"] = encode(out)
    grad_output = None
    if not c["forward_only"] and diff and out.requires_grad:
        if c["grad_output"] == "ones":
            grad_output = torch.ones_like(out)
        else:
            g = torch.Generator().manual_seed(zlib.crc32(("%s %d" % (c["test"], index)).encode()))
            grad_output = torch.randn(out.shape, generator=g, dtype=out.dtype)
        out.backward(grad_output)
        reply["grad_output"] = encode(grad_output)
        reply["grads"] = {names[i]: encode(args[i].grad) for i in diff if args[i].grad is not None}
    if check == "finite":
        reply["torch_checks"].append({"what": "output is finite", "ok": bool(torch.isfinite(out).all()), "message": ""})
    elif check == "nonnegative":
        reply["torch_checks"].append({"what": "output is non-negative", "ok": bool((out < 0).sum() == 0), "message": ""})
    if reference is not None:
        ref_options = dict(options, __grad_output=grad_output, __diff=diff)
        ref_out, ref_grads = reference(torch, F, nn, [a.detach() if hasattr(a, "dtype") else a for a in args], ref_options)
        tol = c["ref_tol"]
        if tol is not None:
            reply["reference_tolerance"] = {"rtol": tol[0], "atol": tol[1]}
        if ref_out is not None and c["output_defined"]:
            ref_out = ref_out.detach()
            reply["reference_output"] = encode(ref_out)
            reply["torch_checks"].append(torch_check(torch, "output equals the test's reference", out.detach(), ref_out, tol))
        if ref_grads and grad_output is not None:
            reply["reference_grads"] = {}
            for i, g in ref_grads.items():
                if args[i].grad is None:
                    continue
                reply["reference_grads"][names[i]] = encode(g)
                reply["torch_checks"].append(torch_check(torch, "%s gradient equals the test's reference" % names[i], args[i].grad, g, tol))
    return reply


GROUPS = (test_nn, test_nn_device_type, no_reduce, criterion, module_info, op_info,
          test_nn_nine, test_nn_device_type_nine, no_reduce_nine, criterion_nine, module_info_nine, op_info_nine,
          *GROUPS_SEVEN)

# ---- running them ----------------------------------------------------------------------------------

def _has_kwarg(fn, name):
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _accepts(fn):
    try:
        fn()
        return True
    except Exception:  # the release rejects the call: the feature is missing
        return False


# What some releases lack, detected in the torch at hand (never assumed from its version), and the
# error those releases raise for a call that needs it (the PRs as ts/torch-version.ts cites them; here:
# 1.13 lacks the first four, 2.6 the last).
FEATURES = {
    # pytorch#132049 (2.6): F.mse_loss / F.l1_loss / F.huber_loss take weight=
    "mse_loss_weight": (lambda torch, F: _has_kwarg(F.mse_loss, "weight"),
                        ("TypeError", "unexpected keyword argument 'weight'")),
    "l1_loss_weight": (lambda torch, F: _has_kwarg(F.l1_loss, "weight"),
                       ("TypeError", "unexpected keyword argument 'weight'")),
    "huber_loss_weight": (lambda torch, F: _has_kwarg(F.huber_loss, "weight"),
                          ("TypeError", "unexpected keyword argument 'weight'")),
    # pytorch#138931 (2.6): var may be a Python number
    "gaussian_float_var": (lambda torch, F: _accepts(lambda: F.gaussian_nll_loss(torch.zeros(2), torch.zeros(2), 1.0)),
                           ("AttributeError", "'float' object has no attribute 'size'")),
    # pytorch#147522 (2.7): var of the input's shape but one other dim of 1 (homoscedastic var)
    "gaussian_var_broadcast": (lambda torch, F: _accepts(lambda: F.gaussian_nll_loss(torch.zeros(4, 3), torch.zeros(4, 3), torch.ones(1, 3))),
                               ("ValueError", "var is of incorrect size")),
}
FEATURES.update(_features_seven())


def call(torch, F, nn, loss, style, x, t, options):
    """torch's output for one call (options in torch's names; '__'-prefixed entries are not torch's,
    except '__var': gaussian_nll_loss's var, its third positional argument)."""
    function, module = OPS[loss]
    kwargs = {k: v for k, v in options.items() if not k.startswith("__")}
    args = (x, t) if "__var" not in options else (x, t, options["__var"])
    if style == "module":
        return getattr(nn, module)(**kwargs)(*args)
    return getattr(F, function)(*args, **kwargs)


def release(torch):
    return tuple(int(p) for p in re.match(r"(\d+)\.(\d+)", torch.__version__).groups())


def encode(t):
    """A tensor as {shape, dtype, b64}: little-endian float64 (int64 for integer dtypes) bytes, exact for float32."""
    if t is None:
        return None
    t = t.detach().contiguous()
    values = t.reshape(-1).tolist()
    data = array("d", values) if t.is_floating_point() else array("q", [int(v) for v in values])
    if sys.byteorder != "little":
        data.byteswap()
    return {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""), "b64": base64.b64encode(data.tobytes()).decode()}


_CASES = None


def all_cases(torch):
    """(case, dtype) pairs, drawn once per process in a fixed order. PYTORCH_TESTS_ONLY=seven draws
    issue 15's seven alone (for a torch the fourteen's groups do not support: 1.7)."""
    global _CASES
    if _CASES is None:
        import os
        groups = GROUPS_SEVEN if os.environ.get("PYTORCH_TESTS_ONLY") == "seven" else GROUPS
        _CASES = [(c, d) for group in groups for c in group(torch) for d in c["dtypes"]]
    return _CASES


def torch_check(torch, what, got, want, tol=None):
    """The PyTorch test's own assertEqual (assert_close's default tolerances for the dtype, or the test's own)."""
    try:
        extra = {} if tol is None else {"rtol": tol[0], "atol": tol[1]}
        if hasattr(torch.testing, "assert_close"):
            torch.testing.assert_close(got, want, check_dtype=False, equal_nan=True, **extra)
        else:  # torch 1.7: assert_allclose, at assert_close's defaults for the dtype unless the test's own
            rtol, atol = (extra["rtol"], extra["atol"]) if extra else {torch.float32: (1.3e-6, 1e-5)}.get(got.dtype, (1e-7, 1e-7))
            torch.testing.assert_allclose(got, want.to(got.dtype), rtol=rtol, atol=atol, equal_nan=True)
        return {"what": what, "ok": True, "message": ""}
    except AssertionError as e:
        return {"what": what, "ok": False, "message": " ".join(str(e).strip().splitlines()[0:6])}


def run(torch, F, nn, index):
    """Case `index` as torch computes it, with the warnings it emits (recorded, not shown)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reply = run_case(torch, F, nn, index)
    reply["warnings"] = [str(w.message).splitlines()[0] for w in caught]
    if reply.get("expected_warning") is not None:
        regex = reply["expected_warning"]
        ok = any(re.search(regex, m) for m in reply["warnings"])
        reply["torch_checks"].append({"what": "warns matching /%s/" % regex, "ok": ok,
                                      "message": "" if ok else "warnings: %s" % reply["warnings"]})
    return reply


def run_case(torch, F, nn, index):
    cases = all_cases(torch)
    c, dtype_name = cases[index]
    if c.get("seven"):
        return run_case7(torch, F, nn, index, c, dtype_name, len(cases))
    dtype = getattr(torch, dtype_name)
    fixed = c["fixed"]

    def cast(name, v):
        return v.to(dtype) if hasattr(v, "dtype") and v.dtype.is_floating_point and name not in fixed else v

    error, reference, check = c["error"], c["reference"], c["check"]
    missing = None
    if c["requires"] is not None and not FEATURES[c["requires"]][0](torch, F):
        missing = c["requires"]
        error, reference, check = FEATURES[missing][1], None, None
    elif c["ref_requires"] is not None and not FEATURES[c["ref_requires"]][0](torch, F):
        missing, reference = c["ref_requires"], None
    x = cast("x", c["x"]).detach().clone().requires_grad_(error is None and c["x"].is_floating_point())
    t = cast("t", c["t"])
    v = c["v"]
    if hasattr(v, "dtype"):
        v = cast("v", v).detach().clone().requires_grad_(error is None and v.is_floating_point())
    options = {k: cast(k, o) for k, o in c["options"].items()}
    regex = None if error is None else error[1]
    regex_applies = regex is not None and not (len(error) > 2 and release(torch) < error[2])
    reply = {"count": len(cases), "test": c["test"], "loss": c["loss"], "style": c["style"], "dtype": dtype_name,
             "input": encode(x), "target": encode(t),
             "var": None if v is None else encode(v) if hasattr(v, "dtype") else {"number": v},
             "options": {k: encode(o) if hasattr(o, "dtype") else o for k, o in options.items()},
             "expected_error": None if error is None else {"type": error[0], "regex": regex if regex_applies else None},
             "expected_warning": c["warning"], "feature_missing": missing,
             "check": check, "torch_checks": []}
    if v is not None:
        options["__var"] = v
    try:
        out = call(torch, F, nn, c["loss"], c["style"], x, t, options)
    except Exception as e:  # torch's verdict on the arguments
        reply["error"] = {"type": type(e).__name__, "message": str(e).strip()}
        if error is not None:
            want_type = error[0]
            ok = (want_type == "Exception" or type(e).__name__ == want_type) and (
                not regex_applies or re.search(regex, str(e)) is not None)
            reply["torch_checks"].append({"what": "raises %s%s" % (want_type, "" if not regex_applies else " matching /%s/" % regex),
                                          "ok": ok, "message": "" if ok else "%s: %s" % (type(e).__name__, e)})
        return reply
    if error is not None:
        reply["torch_checks"].append({"what": "raises %s" % error[0], "ok": False, "message": "torch computed a result"})
    reply["output"] = encode(out)
    grad_output = None
    if not c["forward_only"]:
        if c["grad_output"] == "ones":
            grad_output = torch.ones_like(out)
        else:
            g = torch.Generator().manual_seed(zlib.crc32(("%s %d" % (c["test"], index)).encode()))
            grad_output = torch.randn(out.shape, generator=g, dtype=out.dtype)
        out.backward(grad_output)
        reply.update(grad=encode(x.grad), grad_output=encode(grad_output))
        if hasattr(v, "dtype") and v.requires_grad:
            reply["grad_var"] = encode(v.grad)
    if check == "finite":
        reply["torch_checks"].append({"what": "output is finite", "ok": bool(torch.isfinite(out).all()), "message": ""})
    elif check == "nonnegative":
        reply["torch_checks"].append({"what": "output is non-negative", "ok": bool((out < 0).sum() == 0), "message": ""})
    elif check == "grad_abs_le_1":
        reply["torch_checks"].append({"what": "input gradient is at most 1 in absolute value",
                                      "ok": bool(x.grad.abs().max().item() <= 1.0), "message": ""})
    if reference is not None:
        ref_options = dict(options, __grad_output=grad_output)
        if v is not None:
            ref_options["__var"] = v.detach() if hasattr(v, "dtype") else v
        ref_out, ref_grad = reference(torch, F, nn, x.detach(), t, ref_options)
        tol = c["ref_tol"]
        if tol is not None:
            reply["reference_tolerance"] = {"rtol": tol[0], "atol": tol[1]}
        if ref_out is not None:
            ref_out = ref_out.detach()
            reply["reference_output"] = encode(ref_out)
            reply["torch_checks"].append(torch_check(torch, "output equals the test's reference", out.detach(), ref_out, tol))
        if ref_grad is not None:
            reply["reference_grad"] = encode(ref_grad)
            reply["torch_checks"].append(torch_check(torch, "input gradient equals the test's reference", x.grad, ref_grad, tol))
    return reply
