"""Cases for F.kl_div (nn.KLDivLoss): log-probability inputs against probability targets (or
log-probability targets with log_target), every reduction including 'batchmean', 0-d / empty /
K-dim shapes, zero, negative and non-finite targets (0 in torch 1.7, NaN from 1.13), broadcast
targets and inputs (torch 1.7's backward refuses most of them), mixed float dtypes, an int64
target, and the argument errors."""
import math
from itertools import product

from cases.common import FLOAT32_EXTREMES, FLOAT64_EXTREMES, NONFINITE, numel, sample, shape_id, tensor

FUNCTION = "kl_div"
ARGS = ("input", "target")
GRADS = ("input",)
BENCH_KWARGS = ()
DTYPES = ("float32", "float64")
REDUCTIONS = ("none", "mean", "sum", "batchmean")
SHAPES = [(), (1,), (7,), (4, 3), (2, 3, 4), (0,), (0, 3), (3, 19)]
# Errors one release raises for cases others accept: torch 1.7's kl_div_backward_cpu expands the
# gradient to the input's shape and pairs target and input element by element in their dtype.
RELEASE_ERROR_REGEXES = (
    r"the number of sizes provided \(\d+\) must be greater or equal to the number of dimensions in the tensor",
    r"The expanded size of the tensor \(\d+\) must match the existing size \(\d+\) at non-singleton dimension",
    r"inconsistent tensor size, expected .* to have the same number of elements",
    r"expected scalar type (Float|Double) but found (Float|Double)",
)


def bench_args(torch, gen, shape, dtype):
    """scripts/bench.ts's draws for kl_div's domain: logit inputs, hard 0/1 probability targets."""
    return {"input": (torch.rand(shape, generator=gen, dtype=dtype) - 0.5) * 6,
            "target": (torch.rand(shape, generator=gen, dtype=dtype) < 0.5).to(dtype)}, {}


def log_softmax_rows(rng, shape, scale=2.0):
    """Log-probabilities along the last dim, computed with Python's doubles."""
    n = numel(shape)
    if n == 0:
        return []
    c = shape[-1] if shape else 1
    out = []
    for _ in range(n // c):
        row = [rng.gauss(0.0, 1.0) * scale for _ in range(c)]
        m = max(row)
        lse = m + math.log(sum(math.exp(v - m) for v in row))
        out.extend(v - lse for v in row)
    return out


def probability_rows(rng, shape, zeros=0.0):
    """Probabilities along the last dim (a fraction `zeros` of them exactly 0)."""
    n = numel(shape)
    if n == 0:
        return []
    c = shape[-1] if shape else 1
    out = []
    for _ in range(n // c):
        row = [0.0 if rng.random() < zeros else rng.random() + 1e-3 for _ in range(c)]
        s = sum(row) or 1.0
        out.extend(v / s for v in row)
    return out


def targets_for(rng, shape, log_target, zeros=0.2):
    if log_target:
        return log_softmax_rows(rng, shape)
    return probability_rows(rng, shape, zeros)


def kl(id, dtype, reduction, log_target, input, target, tags=(), error_regex=None, target_dtype=None, kwargs=None):
    kw = {"reduction": reduction, "log_target": log_target}
    kw.update(kwargs or {})
    return sample("%s/%s/%s%s/%s" % (dtype, reduction, "log-target/" if log_target else "", id, shape_id(input[0])), dtype,
                  {"input": tensor(*input), "target": tensor(target[0], target[1], target_dtype)}, kw,
                  tags=list(tags) + (["log-target"] if log_target else []), error_regex=error_regex)


def cases(rng):
    for dtype, reduction, log_target, shape in product(DTYPES, REDUCTIONS, (False, True), SHAPES):
        r = rng("basic", dtype, reduction, log_target, shape)
        yield kl("basic", dtype, reduction, log_target, (shape, log_softmax_rows(r, shape)),
                 (shape, targets_for(r, shape, log_target)), tags=["basic"] + (["empty"] if numel(shape) == 0 else []))

    # Targets torch 1.7 masks (target > 0) and later releases compute with: 0, -0, negative, NaN, inf, tiny.
    special = [0.0, -0.0, -0.25, math.nan, math.inf, 1e-45, 1e-38, 0.5, 1.0, 2.0, -math.inf, 3.0]
    for dtype, reduction in product(DTYPES, ("none", "sum")):
        r = rng("special-target", dtype, reduction)
        values = [v if dtype == "float32" or abs(v) != 1e-45 else 5e-324 for v in special]
        yield kl("special-target", dtype, reduction, False, ((len(values),), log_softmax_rows(r, (len(values),))),
                 ((len(values),), values), tags=["special-target"])
        yield kl("special-target", dtype, reduction, True, ((len(values),), log_softmax_rows(r, (len(values),))),
                 ((len(values),), values), tags=["special-target"])

    # Non-finite and extreme inputs against zero and positive targets.
    for dtype, reduction, log_target in product(DTYPES, ("none", "mean"), (False, True)):
        ext = FLOAT32_EXTREMES if dtype == "float32" else FLOAT64_EXTREMES
        values = NONFINITE * 2 + ext
        n = len(values)
        r = rng("extreme", dtype, reduction, log_target)
        t = [0.0] * 3 + [0.25] * 3 + targets_for(r, (n - 6,), log_target, zeros=0.0)
        if log_target:
            t[:3] = [-1.0] * 3
        yield kl("extreme-input", dtype, reduction, log_target, ((n,), values), ((n,), t), tags=["extreme", "nonfinite"])
        # Extreme log targets (exp overflows / underflows) and extreme probability targets.
        tv = ext if log_target else [abs(v) for v in ext]
        r = rng("extreme-target", dtype, reduction, log_target)
        yield kl("extreme-target", dtype, reduction, log_target, ((len(tv),), log_softmax_rows(r, (len(tv),))),
                 ((len(tv),), tv), tags=["extreme"])

    # Broadcasting: (input shape, target shape). torch 1.7's backward raises for most (RELEASE_ERROR_REGEXES).
    layouts = [("target-grows", (3,), (2, 3)), ("input-grows", (2, 3), (3,)), ("both-grow", (2, 1), (1, 3)),
               ("target-unsqueezed", (1, 3), (3,)), ("target-1xC", (3,), (1, 3)), ("scalar-target", (4, 3), ()),
               ("rank-grows", (1, 4, 3), (2, 1, 3))]
    for dtype, reduction, log_target in product(DTYPES, ("none", "mean", "batchmean"), (False, True)):
        for name, ishape, tshape in layouts:
            r = rng("broadcast", dtype, reduction, log_target, name)
            t = targets_for(r, tshape, log_target, zeros=0.0) if numel(tshape) > 1 else ([-0.7] if log_target else [0.3])
            yield kl("broadcast-" + name, dtype, reduction, log_target, (ishape, log_softmax_rows(r, ishape)), (tshape, t),
                     tags=["broadcast"])

    # Mixed float dtypes: the loss promotes; the gradient has the input's dtype.
    for (dtype, tdtype), reduction, log_target in product((("float32", "float64"), ("float64", "float32")),
                                                         ("none", "mean", "batchmean"), (False, True)):
        r = rng("mixed", dtype, reduction, log_target)
        yield kl("target-" + tdtype, dtype, reduction, log_target, ((4, 5), log_softmax_rows(r, (4, 5))),
                 ((4, 5), targets_for(r, (4, 5), log_target)), target_dtype=tdtype, tags=["mixed-dtype"])

    # A 0-d tensor of the wider dtype ranks below a dimensioned one: these compute in float32.
    for (dtype, tdtype, ishape, tshape), log_target in product(
            (("float64", "float32", (), (5,)), ("float32", "float64", (4, 3), ())), (False, True)):
        for reduction in ("none", "sum"):
            r = rng("mixed-0d", dtype, reduction, log_target)
            yield kl("target-%s-%s" % (tdtype, shape_id(tshape)), dtype, reduction, log_target, (ishape, log_softmax_rows(r, ishape)),
                     (tshape, targets_for(r, tshape, log_target, zeros=0.0) if tshape else [0.37]), target_dtype=tdtype,
                     tags=["mixed-dtype"])

    # Larger inputs, where the order of the cascade sum shows; logits on a 1/64 grid.
    for reduction, log_target in (("sum", False), ("batchmean", False), ("mean", True)):
        r = rng("large", reduction, log_target)
        shape = (16, 160)
        x = [round(v * 64) / 64 for v in log_softmax_rows(r, shape)]
        yield kl("large", "float32", reduction, log_target, (shape, x), (shape, targets_for(r, shape, log_target)), tags=["large"])

    # Wide logits: large negative log-probabilities, targets near 0 and 1.
    for dtype, scale in product(DTYPES, (10.0, 100.0, 1e4)):
        r = rng("scale", dtype, scale)
        shape = (6, 8)
        yield kl("scale-%g" % scale, dtype, "sum", False, (shape, log_softmax_rows(r, shape, scale)),
                 (shape, [math.exp(v) for v in log_softmax_rows(r, shape, scale)]), tags=["scale"])

    # The deprecated 'elementwise_mean' (a mean, with a DeprecationWarning rather than kl_div's own warning).
    r = rng("elementwise-mean")
    yield kl("elementwise-mean", "float32", "elementwise_mean", False, ((3, 4), log_softmax_rows(r, (3, 4))),
             ((3, 4), probability_rows(r, (3, 4))), tags=["legacy"])

    # An int64 target: ATen refuses it (1.13: "Integral inputs"; 1.7: log / exp of a Long tensor).
    for log_target in (False, True):
        r = rng("int-target", log_target)
        yield kl("int64-target", "float32", "sum", log_target, ((4,), log_softmax_rows(r, (4,))), ((4,), [1, 0, 2, 0]),
                 target_dtype="int64", tags=["error"],
                 error_regex=r"Integral inputs not supported|(log|exp)_vml_cpu not implemented for 'Long'")

    errors = [
        ("error-shape", (2, 3), (2,), "mean", False, {},
         r"The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 1"),
        ("error-reduction", (2, 3), (2, 3), "average", False, {}, r"average is not a valid value for reduction"),
        ("error-reduction-none", (2, 3), (2, 3), None, False, {}, r"None.* is not a valid value for reduction"),
        ("error-log-target-int", (2, 3), (2, 3), "sum", 1, {}, r"argument 'log_target' must be bool, not int"),
        ("error-log-target-str", (2, 3), (2, 3), "sum", "yes", {}, r"argument 'log_target' must be bool, not str"),
    ]
    for name, ishape, tshape, reduction, log_target, kwargs, regex in errors:
        r = rng("error", name)
        yield sample("float32/%s/%s" % (name, shape_id(ishape)), "float32",
                     {"input": tensor(ishape, log_softmax_rows(r, ishape)), "target": tensor(tshape, probability_rows(r, tshape))},
                     dict(kwargs, reduction=reduction, log_target=log_target), tags=["error"], error_regex=regex)
