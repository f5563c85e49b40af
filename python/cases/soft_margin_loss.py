"""Cases for F.soft_margin_loss (nn.SoftMarginLoss): targets +-1, broadcast to the input."""
from itertools import product

from cases.common import NONFINITE, SCALES, case, extremes, logits, numel, signs, targets

FUNCTION = "soft_margin_loss"
ARGS = ("input", "target")
GRADS = ("input",)
BENCH_KWARGS = ()  # the worker's benchmark passes these (per-class tensors)
# torch 1.7's backward asserts on a float64 target that broadcasts against a float32 input (1.13 computes).
RELEASE_ERROR_REGEXES = (r"needs_dynamic_casting",)
DTYPES = ("float32", "float64")
REDUCTIONS = ("none", "mean", "sum")
SHAPES = [(), (1,), (7,), (4, 3), (2, 3, 4), (0,), (0, 3), (8, 17)]



def bench_args(torch, gen, shape, dtype):
    """+-1 targets."""
    signs = (torch.rand(shape, generator=gen, dtype=dtype) < 0.5).to(dtype) * 2 - 1
    return {"input": torch.randn(shape, generator=gen, dtype=dtype) * 3, "target": signs}, {}


def cases(rng):
    for dtype, reduction, shape in product(DTYPES, REDUCTIONS, SHAPES):
        r = rng("basic", dtype, reduction, shape)
        yield case("basic", dtype, reduction, (shape, logits(r, shape)), (shape, signs(r, shape)),
                   tags=["sign-target"] + (["empty"] if numel(shape) == 0 else []))

    for dtype, reduction in product(DTYPES, REDUCTIONS):
        for name, tshape in [("scalar", ()), ("C", (5,)), ("1xC", (1, 5)), ("Nx1", (4, 1))]:
            r = rng("target-broadcast", dtype, reduction, name)
            yield case("target-broadcast-" + name, dtype, reduction, ((4, 5), logits(r, (4, 5))), (tshape, signs(r, tshape)),
                       tags=["broadcast", "sign-target"])
        r = rng("soft-target", dtype, reduction)
        yield case("soft-target", dtype, reduction, ((6, 4), logits(r, (6, 4))), ((6, 4), targets(r, (6, 4), "outside")),
                   tags=["soft-target"])

    for dtype, scale in product(DTYPES, SCALES):
        for reduction in ("none", "mean"):
            r = rng("scale", dtype, scale, reduction)
            yield case("scale-%g" % scale, dtype, reduction, ((8, 6), logits(r, (8, 6), scale)), ((8, 6), signs(r, (8, 6))),
                       tags=["scale"])

    for dtype, target, reduction in product(DTYPES, (1.0, -1.0), ("none", "sum")):
        values = extremes(dtype)
        yield case("extreme-t%g" % target, dtype, reduction, ((len(values),), values), ((len(values),), [target] * len(values)),
                   tags=["extreme"])

    for dtype, reduction in product(DTYPES, REDUCTIONS):
        yield case("nonfinite", dtype, reduction, ((9,), NONFINITE * 3), ((9,), [1.0] * 3 + [-1.0] * 3 + [0.0] * 3),
                   tags=["nonfinite"])

    r = rng("large")
    yield case("large", "float32", "mean", ((16, 128), [round(v * 64) / 64 for v in logits(r, (16, 128))]),
               ((16, 128), signs(r, (16, 128))), tags=["large"])

    for name, ishape, tshape, reduction, regex in [
            ("target-shape", (3,), (2,), "mean",
             r"The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 0"),
            ("target-grows-input", (3,), (2, 3), "none", r"output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"),
            ("reduction", (2, 3), (2, 3), "average", r"average is not a valid value for reduction")]:
        r = rng("error", name)
        yield case("error-" + name, "float32", reduction, (ishape, logits(r, ishape)), (tshape, signs(r, tshape)), tags=["error"],
                   error_regex=regex)

    # mixed float32 / float64: a target of the other dtype; the loss is built in place on -input
    # (the input's dtype), its .mul_(target) in result_type(input, target); the backward's z in
    # result_type(target, input). torch 1.7's backward asserts on a broadcast float64 target.
    for dtype, reduction in product(DTYPES, REDUCTIONS):
        o = _other(dtype)
        for name, shape, tshape in [("same", (4, 5), (4, 5)), ("C", (4, 5), (5,)), ("1xC", (4, 5), (1, 5)),
                                    ("0d-target", (4, 5), ()), ("0d", (), ())]:
            r = rng("mixed", dtype, reduction, name)
            yield case("mixed-" + name, dtype, reduction, (shape, logits(r, shape, 4.0)), (tshape, targets(r, tshape, "outside")),
                       target_dtype=o, tags=["dtype", "mixed"])
    for dtype in DTYPES:
        values = extremes(dtype)
        r = rng("mixed-extreme", dtype)
        yield case("mixed-extreme", dtype, "none", ((len(values),), values), ((len(values),), [1.0, -1.0, 0.5, -2.0] * (len(values) // 4) + [1.0] * (len(values) % 4)),
                   target_dtype=_other(dtype), tags=["dtype", "mixed", "extreme"])


def _other(dtype):
    return "float64" if dtype == "float32" else "float32"
