"""Cases for F.hinge_embedding_loss (nn.HingeEmbeddingLoss): +-1 targets, margin; the target
broadcasting with (and growing) the input, inputs exactly at the margin (the clamp's gradient
changed in 2.14), targets other than +-1 (both terms), int64 and float64 targets (compared exactly,
never rounded to the input's dtype), extreme and non-finite values, the errors torch raises.
"""
from itertools import product

from cases.common import NONFINITE, extremes, logits, numel, quantized_logits, sample, shape_id, signs, tensor

FUNCTION = "hinge_embedding_loss"
ARGS = ("input", "target")
GRADS = ("input",)
DTYPES = ("float32", "float64")
REDUCTIONS = ("none", "mean", "sum")
SHAPES = [(), (1,), (7,), (4, 3), (2, 3, 4), (0,), (0, 3), (5, 7)]


def bench_args(torch, gen, shape, dtype):
    """Distances (any float) and +-1 targets."""
    signs_ = (torch.rand(shape, generator=gen, dtype=dtype) < 0.5).to(dtype) * 2 - 1
    return {"input": torch.randn(shape, generator=gen, dtype=dtype) * 2, "target": signs_}, {}


def hcase(variant, dtype, reduction, ishape, tshape, rng, margin=None, x=None, t=None, target_dtype=None, tags=(),
          error_regex=None, kwargs=None):
    kw = {"reduction": reduction}
    if margin is not None:
        kw["margin"] = margin
    kw.update(kwargs or {})
    # float64 draws on a 1/64 grid keep the file small (short decimals); "random-f64" cases round
    draw = quantized_logits if dtype == "float64" and "random" not in variant else logits
    args = {"input": tensor(ishape, x if x is not None else draw(rng, ishape)),
            "target": tensor(tshape, t if t is not None else signs(rng, tshape), target_dtype)}
    return sample("%s/%s/%s/%s" % (dtype, reduction, variant, shape_id(ishape)), dtype, args, kw, tags=tags,
                  error_regex=error_regex)


# (name, input shape, target shape)
BROADCASTS = [
    ("target-0d", (4, 5), ()),
    ("target-5", (4, 5), (5,)),
    ("target-4x1", (4, 5), (4, 1)),
    ("target-1x5", (4, 5), (1, 5)),
    ("target-grows-5-to-4x5", (5,), (4, 5)),
    ("target-grows-4x1-to-4x5", (4, 1), (4, 5)),
    ("target-grows-0d-to-6", (), (6,)),
    ("target-grows-1x5-to-3x4x5", (1, 5), (3, 4, 5)),
    ("target-grows-empty", (0, 1), (0, 5)),
]


def cases(rng):
    for dtype, reduction, shape in product(DTYPES, REDUCTIONS, SHAPES):
        r = rng("basic", dtype, reduction, shape)
        yield hcase("basic", dtype, reduction, shape, shape, r, tags=["basic"] + (["empty"] if numel(shape) == 0 else []))

    for reduction in REDUCTIONS:
        r = rng("random-f64", reduction)
        yield hcase("random-f64", "float64", reduction, (5, 4), (5, 4), r, margin=0.3, tags=["basic"])
        r = rng("random-f64-broadcast", reduction)
        yield hcase("random-f64-target-grows-4-to-5x4", "float64", reduction, (4,), (5, 4), r, margin=0.3, tags=["broadcast"])

    for dtype, (reduction, margins) in product(DTYPES, [("none", (1.0, 0.5, 0.0, -1.0, 2.0, 0.1)), ("mean", (0.5, -1.0)),
                                                        ("sum", (2.0,))]):
        for margin in margins if dtype == "float32" or reduction == "none" else ():
            r = rng("margin", dtype, reduction, margin)
            yield hcase("margin-%g" % margin, dtype, reduction, (5, 4), (5, 4), r, margin=margin, tags=["margin"])
    for dtype in DTYPES:
        yield hcase("margin-int-2", dtype, "none", (6,), (6,), rng("margin-int", dtype), margin=2, tags=["margin"])
        yield hcase("margin-true", dtype, "sum", (6,), (6,), rng("margin-true", dtype), margin=True, tags=["margin"])

    # inputs exactly at the margin (margin - x == 0: the clamp's boundary), with +-1 and other targets
    for dtype, reduction, margin in product(DTYPES, ("none", "mean"), (1.0, 0.5, 0.0)):
        r = rng("tie", dtype, reduction, margin)
        n = 20
        yield hcase("tie-margin-%g" % margin, dtype, reduction, (n,), (n,), r, margin=margin,
                    x=[r.choice([margin, margin, -margin, 0.0, 1.0, 2.0]) for _ in range(n)],
                    t=[r.choice([1.0, -1.0, -1.0, 0.5, 0.0]) for _ in range(n)], tags=["tie"])

    for dtype, reduction in [("float32", "none"), ("float32", "sum"), ("float64", "none"), ("float64", "mean")]:
        for name, ishape, tshape in BROADCASTS:
            r = rng("broadcast", dtype, reduction, name)
            yield hcase("broadcast-" + name, dtype, reduction, ishape, tshape, r, margin=0.75, tags=["broadcast"])

    for dtype, reduction in product(DTYPES, ("none", "mean")):
        r = rng("soft-target", dtype, reduction)
        yield hcase("soft-target", dtype, reduction, (5, 4), (5, 4), r,
                    t=[r.choice([0.0, 0.5, -2.0, 3.0, 1.0, -1.0, r.uniform(-2, 2)]) for _ in range(20)], tags=["soft-target"])
        r = rng("int-target", dtype, reduction)
        yield hcase("int64-target", dtype, reduction, (5, 4), (5, 4), r, t=[r.choice([-1, 1, 0, 2]) for _ in range(20)],
                    target_dtype="int64", tags=["int-target"])
        r = rng("int-target-grows", dtype, reduction)
        yield hcase("int64-target-grows-5-to-3x5", dtype, reduction, (5,), (3, 5), r,
                    t=[r.choice([-1, 1]) for _ in range(15)], target_dtype="int64", tags=["int-target", "broadcast"])
    for reduction in ("none", "sum"):
        # a float64 target near 1 and -1: compared exactly, not rounded to float32
        r = rng("f64-target", reduction)
        yield hcase("float64-target", "float32", reduction, (12,), (12,), r, target_dtype="float64",
                    t=[r.choice([-1.0, 1.0, 1.0 + 1e-12, -1.0 - 1e-12, 0.3]) for _ in range(12)], tags=["mixed-dtype"])
        r = rng("f32-target", reduction)
        yield hcase("float32-target", "float64", reduction, (12,), (12,), r, target_dtype="float32",
                    t=[r.choice([-1.0, 1.0, 0.3]) for _ in range(12)], tags=["mixed-dtype"])

    for dtype, reduction, target in product(DTYPES, ("none", "sum"), (1.0, -1.0, 0.0)):
        values = extremes(dtype)
        big = 3e38 if dtype == "float32" else 1e308
        values = values + [big, -big]
        yield hcase("extreme-t%g" % target, dtype, reduction, (len(values),), (len(values),), rng("extreme", dtype),
                    x=values, t=[target] * len(values), tags=["extreme"])

    for dtype, reduction in product(DTYPES, REDUCTIONS):
        x = NONFINITE * 4 + [1.0, 0.0, 2.0]
        t = [1.0] * 3 + [-1.0] * 3 + [0.0] * 3 + [2.0] * 3 + NONFINITE
        yield hcase("nonfinite", dtype, reduction, (15,), (15,), rng("nonfinite", dtype), x=x, t=t, tags=["nonfinite"])
    # a huge margin (the golden format keeps kwargs finite: JSON has no inf / NaN numbers)
    for dtype, margin in product(DTYPES, (1e30, -1e30)):
        yield hcase("margin-%g" % margin, dtype, "none", (6,), (6,), rng("huge-margin", dtype, margin),
                    margin=margin, tags=["extreme"])

    r = rng("large", "mean")
    yield hcase("large", "float32", "mean", (2000,), (2000,), r, margin=1.5, x=quantized_logits(r, (2000,)), tags=["large"])
    r = rng("large", "target-grows")
    yield hcase("large-target-grows-256-to-6x256", "float32", "sum", (256,), (6, 256), r, tags=["large", "broadcast"])

    for name, ishape, tshape, kwargs, regex in [
            ("error-target-size", (3,), (2,), {},
             r"The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 0"),
            ("error-target-size-2d", (2, 3), (2, 2), {},
             r"The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 1"),
            ("error-reduction", (3,), (3,), {"reduction": "avg"}, r"avg is not a valid value for reduction"),
            ("error-reduction-and-size", (3,), (2,), {"reduction": "avg"}, r"avg is not a valid value for reduction"),
            ("error-margin-str", (3,), (3,), {"margin": "a"},
             r"argument 'margin' \(position 3\) must be float, not str"),
            ("error-margin-none", (3,), (3,), {"margin": None},
             r"argument 'margin' \(position 3\) must be float, not NoneType"),
            ("error-margin-and-size", (3,), (2,), {"margin": "a"},
             r"argument 'margin' \(position 3\) must be float, not str")]:
        r = rng("error", name)
        red = kwargs.pop("reduction", "mean")
        yield hcase(name, "float32", red, ishape, tshape, r, kwargs=kwargs, tags=["error"], error_regex=regex)
