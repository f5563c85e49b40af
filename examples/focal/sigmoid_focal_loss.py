"""Cases for the sigmoid focal loss of detection models (RetinaNet; Lin et al. 2017), a loss
torch-loss-parity does not port: a user's own case module (docs/case-modules.md).

torchvision.ops.sigmoid_focal_loss's formula, written with torch ops (torchvision need not be
installed): p = sigmoid(x); ce = BCE-with-logits(x, t); p_t = p*t + (1-p)*(1-t);
loss = ce * (1 - p_t)**gamma; with alpha >= 0, loss = (alpha*t + (1-alpha)*(1-t)) * loss; then the
reduction (checked last, as torchvision does). alpha and gamma are keyword arguments.

    torch-loss-parity golden --cases examples/focal/sigmoid_focal_loss.py --golden-dir examples/focal/golden --torch 1.13
"""
from itertools import product

from cases.common import FLOAT32_EXTREMES, FLOAT64_EXTREMES, NONFINITE, logits, quantized_logits, sample, shape_id, targets, \
    tensor

FUNCTION = "sigmoid_focal_loss"  # not in torch.nn.functional: call() below computes it
ARGS = ("inputs", "targets")  # torchvision's names
GRADS = ("inputs",)

SHAPES = [(), (0,), (1,), (7,), (4, 3), (2, 3, 4), (0, 3), (3, 1, 5)]
REDUCTIONS = ("none", "mean", "sum")
# (alpha, gamma): torchvision's defaults first, then each regime of each.
OPTIONS = [(None, None), (0.25, 2), (0.5, 2.0), (-1, 2), (0.0, 2), (1.0, 2), (0.25, 0), (0.25, 1), (0.25, 1.5),
           (0.25, 3), (0.75, 0.5), (-1, 0)]


def sigmoid_focal_loss(F, torch, inputs, targets, alpha=0.25, gamma=2, reduction="none"):
    """torchvision.ops.sigmoid_focal_loss (torchvision/ops/focal_loss.py), op for op."""
    p = torch.sigmoid(inputs)
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    if reduction == "none":
        pass
    elif reduction == "mean":
        loss = loss.mean()
    elif reduction == "sum":
        loss = loss.sum()
    else:
        raise ValueError("Invalid Value for arg 'reduction': '%s \n Supported reduction modes: 'none', 'mean', 'sum'"
                         % reduction)
    return loss


def call(F, torch, args, kwargs):
    return sigmoid_focal_loss(F, torch, args["inputs"], args["targets"], **kwargs)


def options_id(alpha, gamma):
    return "default" if alpha is None else "alpha%s-gamma%s" % (alpha, gamma)


def options_kwargs(alpha, gamma, reduction):
    kwargs = {} if alpha is None else {"alpha": alpha, "gamma": gamma}
    if reduction != "none":
        kwargs["reduction"] = reduction
    return kwargs


def basic(rng, dtype, reduction, shape, alpha, gamma, kind):
    r = rng("basic", dtype, reduction, shape, alpha, gamma, kind)
    return sample("%s/%s/%s-%s/%s" % (dtype, reduction, options_id(alpha, gamma), kind, shape_id(shape)), dtype,
                  args={"inputs": tensor(shape, logits(r, shape)), "targets": tensor(shape, targets(r, shape, kind))},
                  kwargs=options_kwargs(alpha, gamma, reduction), tags=["basic", kind])


def cases(rng):
    # Every shape (0-d, empty, 1-D to 3-D) with torchvision's defaults, hard and soft targets.
    for dtype, reduction, shape, kind in product(("float32", "float64"), REDUCTIONS, SHAPES, ("hard", "soft")):
        yield basic(rng, dtype, reduction, shape, None, None, kind)
    # Every alpha / gamma regime on two shapes.
    for dtype, reduction, (alpha, gamma) in product(("float32", "float64"), REDUCTIONS, OPTIONS[1:]):
        yield basic(rng, dtype, reduction, (4, 3), alpha, gamma, "soft")
        yield basic(rng, dtype, reduction, (2, 3, 4), alpha, gamma, "hard")

    # Logits where sigmoid, exp and log change regime, with every target; and inf / NaN.
    for dtype, reduction in product(("float32", "float64"), REDUCTIONS):
        values = (FLOAT32_EXTREMES if dtype == "float32" else FLOAT64_EXTREMES) + NONFINITE
        for t in (0.0, 1.0, 0.5):
            for alpha, gamma in ((None, None), (-1, 0), (0.25, 1.5)):
                shape = (len(values),)
                yield sample("%s/%s/extreme-t%s-%s/%s" % (dtype, reduction, t, options_id(alpha, gamma), shape_id(shape)),
                             dtype, args={"inputs": tensor(shape, values), "targets": tensor(shape, [t] * len(values))},
                             kwargs=options_kwargs(alpha, gamma, reduction), tags=["extreme", "nonfinite"])

    # Large enough that the sum's order shows (ATen's cascade sum against a port's own).
    for dtype, reduction, shape in (("float32", "mean", (32, 64)), ("float32", "sum", (2049,)), ("float64", "mean", (600,))):
        r = rng("large", dtype, reduction, shape)
        yield sample("%s/%s/large/%s" % (dtype, reduction, shape_id(shape)), dtype,
                     args={"inputs": tensor(shape, quantized_logits(r, shape)),
                           "targets": tensor(shape, targets(r, shape, "hard"))},
                     kwargs=options_kwargs(None, None, reduction), tags=["large"])

    # What torch rejects: a target of another shape (BCE-with-logits checks it), an integer target
    # (its in-place (1 - t).mul_(x) cannot hold a float), a reduction torchvision does not know.
    r = rng("error")
    yield sample("float32/mean/error-target-shape/2x4", "float32",
                 args={"inputs": tensor((2, 4), logits(r, (2, 4))), "targets": tensor((2, 3), targets(r, (2, 3), "hard"))},
                 kwargs={"reduction": "mean"}, tags=["error"],
                 error_regex=r"Target size \(torch\.Size\(\[2, 3\]\)\) must be the same as input size \(torch\.Size\(\[2, 4\]\)\)")
    yield sample("float32/none/error-target-broadcast/4x3", "float32",
                 args={"inputs": tensor((4, 3), logits(r, (4, 3))), "targets": tensor((3,), targets(r, (3,), "hard"))},
                 tags=["error"],
                 error_regex=r"Target size \(torch\.Size\(\[3\]\)\) must be the same as input size \(torch\.Size\(\[4, 3\]\)\)")
    yield sample("float32/none/error-int64-target/4x3", "float32",
                 args={"inputs": tensor((4, 3), logits(r, (4, 3))), "targets": tensor((4, 3), [1, 0, 1] * 4, "int64")},
                 tags=["error"], error_regex=r"result type Float can't be cast to the desired output type Long")
    for bad in ("average", "batchmean"):
        yield sample("float32/%s/error-reduction/4x3" % bad, "float32",
                     args={"inputs": tensor((4, 3), logits(r, (4, 3))), "targets": tensor((4, 3), targets(r, (4, 3), "soft"))},
                     kwargs={"reduction": bad}, tags=["error"],
                     error_regex=r"Invalid Value for arg 'reduction': '%s" % bad)
