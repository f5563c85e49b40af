"""Cases for F.huber_loss (nn.HuberLoss, torch >= 1.9): delta on both sides of the kink, broadcast
input and target, int64 and float64 targets (the forward runs, the backward raises), inner rows
whose tails run ATen's scalar lambda, weight (torch >= 2.6) and the errors. The cases it shares
with smooth_l1_loss come from cases/smooth_l1_loss.py."""
from itertools import product

from cases.common import logits, positive, sample, tensor
from cases.smooth_l1_loss import DTYPES, REDUCTIONS, kink_cases, pointwise_cases

FUNCTION = "huber_loss"
ARGS = ("input", "target")
GRADS = ("input",)
BENCH_KWARGS = ()
# huber_loss's backward never promotes an int64 or float64 target; weight is an unexpected
# keyword argument before torch 2.6 (pytorch#132049).
RELEASE_ERROR_REGEXES = (r"Found dtype (Long|Double|Float) but expected (Float|Double)",
                         r"huber_loss\(\) got an unexpected keyword argument 'weight'")


def available(torch, F):
    return hasattr(F, "huber_loss")  # pytorch#50553, torch 1.9


def bench_args(torch, gen, shape, dtype):
    """What scripts/bench.ts draws for logit inputs and real targets: (rand - 0.5) * 6."""
    return {"input": (torch.rand(shape, generator=gen, dtype=dtype) - 0.5) * 6,
            "target": (torch.rand(shape, generator=gen, dtype=dtype) - 0.5) * 6}, {}


def cases(rng):
    for c in pointwise_cases(rng, FUNCTION, "delta", (1e-3, 0.5, 0.7, 0.3, 2.0, 10.0, 1e30, 1e39), (1.0, 0.5)):
        yield c
    for c in kink_cases(FUNCTION, "delta", (1.0, 0.7, 0.3, 0.1)):
        yield c
    non_positive = r"huber_loss does not support non-positive values for delta\."
    for name, delta in (("zero", 0.0), ("negative-zero", -0.0), ("negative", -1.0), ("tiny-negative", -1e-30)):
        r = rng("error", "delta", name)
        yield sample("float32/mean/error-delta-%s/2x3" % name, "float32",
                     {"input": tensor((2, 3), logits(r, (2, 3))), "target": tensor((2, 3), logits(r, (2, 3)))},
                     {"delta": delta}, tags=["error"], error_regex=non_positive)

    # weight (torch >= 2.6; before, each of these is TypeError "unexpected keyword argument 'weight'").
    for dtype, reduction, (name, ishape, tshape) in product(DTYPES, REDUCTIONS, [
            ("same", (3, 19), (3, 19)), ("target-grows", (2, 20), (20,)), ("input-grows", (20,), (2, 20)),
            ("0d", (), ())]):
        r = rng("weight", dtype, reduction, name)
        yield sample("%s/%s/weight-%s/%s" % (dtype, reduction, name, "x".join(map(str, ishape)) or "0d"), dtype,
                     {"input": tensor(ishape, logits(r, ishape)), "target": tensor(tshape, logits(r, tshape))},
                     {"reduction": reduction, "weight": tensor(ishape, positive(r, ishape, 0.0, 2.0)), "delta": 0.7},
                     tags=["weight"])
    # A float64 weight: the product is float64; a 0-d one (a 0-d input) times float32 losses of a
    # broadcast shape stays float32 (a 0-d tensor does not raise a dimensioned one's dtype).
    for reduction, (ishape, tshape) in product(("none", "mean"), (((3, 7), (3, 7)), ((), (3, 7)), ((), ()))):
        r = rng("weight-float64", reduction, ishape, tshape)
        yield sample("float32/%s/weight-float64-target-%s/%s" % (reduction, "x".join(map(str, tshape)) or "0d",
                                                                 "x".join(map(str, ishape)) or "0d"), "float32",
                     {"input": tensor(ishape, logits(r, ishape)), "target": tensor(tshape, logits(r, tshape))},
                     {"reduction": reduction, "weight": tensor(ishape, [v / 3 for v in positive(r, ishape)], "float64")},
                     tags=["weight", "mixed-dtype"])

    weight_errors = [
        ("weight-shape", (2, 3), {"weight": (3,)}, r"Weights and input must have the same size\."),
        ("weight-shape-before-delta", (2, 3), {"weight": (3,), "delta": 0.0}, r"Weights and input must have the same size\."),
        ("weight-delta", (2, 3), {"weight": (2, 3), "delta": -1.0}, non_positive),
        ("weight-reduction", (2, 3), {"weight": (2, 3), "reduction": "average"},
         r"Invalid reduction mode: average\. Expected one of 'none', 'mean', 'sum'\."),
        ("weight-delta-before-reduction", (2, 3), {"weight": (2, 3), "reduction": "average", "delta": 0.0}, non_positive),
        ("weight-elementwise_mean", (2, 3), {"weight": (2, 3), "reduction": "elementwise_mean"},
         r"Invalid reduction mode: elementwise_mean\. Expected one of 'none', 'mean', 'sum'\."),
    ]
    for name, shape, kwargs, regex in weight_errors:
        r = rng("error", name)
        kw = dict(kwargs, weight=tensor(kwargs["weight"], positive(r, kwargs["weight"])))
        yield sample("float32/%s/error-%s/%s" % (kw.get("reduction", "mean"), name, "x".join(map(str, shape))), "float32",
                     {"input": tensor(shape, logits(r, shape)), "target": tensor(shape, logits(r, shape))}, kw,
                     tags=["error", "weight"], error_regex=regex)
