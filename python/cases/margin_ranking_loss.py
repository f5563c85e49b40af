"""Cases for F.margin_ranking_loss (nn.MarginRankingLoss): input1, input2 and a +-1 target, margin;
broadcasting between the three (of one dim from torch 1.11, pytorch#64975), 0-d tensors (rejected
before 1.11), ties at the clamp (whose gradient changed in 2.14), soft, int64 and float64 targets,
extreme and non-finite values, the errors torch raises.
"""
from itertools import product

from cases.common import NONFINITE, extremes, logits, numel, quantized_logits, sample, shape_id, signs, tensor

FUNCTION = "margin_ranking_loss"
ARGS = ("input1", "input2", "target")
GRADS = ("input1", "input2")
DTYPES = ("float32", "float64")
REDUCTIONS = ("none", "mean", "sum")
SHAPES = [(), (1,), (7,), (4, 3), (2, 3, 4), (0,), (0, 3), (5, 7)]

# 1.7 rejects 0-d tensors and broadcasts across dims; 1.11+ takes 0-d and requires one dim.
RELEASE_ERROR_REGEXES = (r"margin_ranking_loss does not support scalars",
                         r"margin_ranking_loss : All input tensors should have same dimension")


def bench_args(torch, gen, shape, dtype):
    """Two score tensors and +-1 targets."""
    signs_ = (torch.rand(shape, generator=gen, dtype=dtype) < 0.5).to(dtype) * 2 - 1
    return {"input1": torch.randn(shape, generator=gen, dtype=dtype), "input2": torch.randn(shape, generator=gen, dtype=dtype),
            "target": signs_}, {}


def mcase(variant, dtype, reduction, shapes, rng, margin=None, values=None, target_dtype=None, input2_dtype=None,
          tags=(), error_regex=None, kwargs=None):
    """A sample: input1, input2 and target of the given shapes (seeded logits and signs unless given)."""
    s1, s2, st = shapes
    v1, v2, vt = values or (None, None, None)
    kw = {"reduction": reduction}
    if margin is not None:
        kw["margin"] = margin
    kw.update(kwargs or {})
    # float64 draws on a 1/64 grid keep the file small (short decimals); "random-f64" cases round
    draw = quantized_logits if dtype == "float64" and "random" not in variant else logits
    args = {"input1": tensor(s1, v1 if v1 is not None else draw(rng, s1)),
            "input2": tensor(s2, v2 if v2 is not None else draw(rng, s2), input2_dtype),
            "target": tensor(st, vt if vt is not None else signs(rng, st), target_dtype)}
    return sample("%s/%s/%s/%s" % (dtype, reduction, variant, shape_id(s1)), dtype, args, kw, tags=tags,
                  error_regex=error_regex)


# (name, input1, input2, target): broadcast layouts (all of one dim unless named cross-dim).
BROADCASTS = [
    ("input2-4x1", (4, 5), (4, 1), (4, 5)),
    ("target-4x1", (4, 5), (4, 5), (4, 1)),
    ("target-1", (5,), (5,), (1,)),
    ("input2-1x5-target-4x1", (4, 5), (1, 5), (4, 1)),
    ("inputs-grow-1x5-4x1", (1, 5), (4, 1), (4, 5)),
    ("input1-1-grows", (1,), (6,), (6,)),
    ("3d-2x1x4-1x3x1", (2, 3, 4), (2, 1, 4), (1, 3, 1)),
    ("3d-target-2x3x1", (2, 3, 4), (1, 3, 4), (2, 3, 1)),
    ("empty-0x5-1x5", (0, 5), (1, 5), (0, 1)),
    # across dims: 1.7 broadcasts, 1.11+ raise (RELEASE_ERROR_REGEXES)
    ("cross-dim-target-5", (4, 5), (4, 5), (5,)),
    ("cross-dim-input2-5", (4, 5), (5,), (4, 5)),
]


def cases(rng):
    for dtype, reduction, shape in product(DTYPES, REDUCTIONS, SHAPES):
        if dtype == "float64" and reduction == "sum":
            continue  # float64 sums: random-f64 and large below
        r = rng("basic", dtype, reduction, shape)
        yield mcase("basic", dtype, reduction, (shape, shape, shape), r,
                    tags=["basic"] + (["empty"] if numel(shape) == 0 else []))

    for reduction in REDUCTIONS:
        r = rng("random-f64", reduction)
        yield mcase("random-f64", "float64", reduction, ((5, 4), (5, 4), (5, 4)), r, margin=0.3, tags=["basic"])
        r = rng("random-f64-broadcast", reduction)
        yield mcase("random-f64-broadcast-input2-1x4-target-5x1", "float64", reduction, ((5, 4), (1, 4), (5, 1)), r,
                    margin=0.3, tags=["broadcast"])

    for dtype, (reduction, margins) in product(DTYPES, [("none", (0.0, 0.5, 1.0, -0.5, 2.0, 0.1)), ("mean", (0.5, -0.5)),
                                                        ("sum", (1.0,))]):
        for margin in margins if dtype == "float32" else (margins[:2] + (-0.5,) if reduction == "none" else ()):
            r = rng("margin", dtype, reduction, margin)
            yield mcase("margin-%g" % margin, dtype, reduction, ((5, 4), (5, 4), (5, 4)), r, margin=margin, tags=["margin"])
    for dtype in DTYPES:
        yield mcase("margin-int-1", dtype, "none", ((6,), (6,), (6,)), rng("margin-int", dtype), margin=1, tags=["margin"])
        yield mcase("margin-true", dtype, "sum", ((6,), (6,), (6,)), rng("margin-true", dtype), margin=True, tags=["margin"])

    # ties: u = -y (x1 - x2) + margin exactly 0 (the clamp's boundary: gradient 1 before 2.14, 0 from 2.14)
    grid = [-1.0, -0.5, 0.0, 0.5, 1.0]
    for dtype, reduction, margin in product(DTYPES, ("none", "mean"), (0.0, 1.0)):
        r = rng("tie", dtype, reduction, margin)
        n = 20
        yield mcase("tie-margin-%g" % margin, dtype, reduction, ((n,), (n,), (n,)), r, margin=margin,
                    values=([r.choice(grid) for _ in range(n)], [r.choice(grid) for _ in range(n)], signs(r, (n,))),
                    tags=["tie"])

    for dtype, reduction in [("float32", "none"), ("float64", "mean")]:
        for name, s1, s2, st in BROADCASTS:
            r = rng("broadcast", dtype, reduction, name)
            yield mcase("broadcast-" + name, dtype, reduction, (s1, s2, st), r, margin=0.5, tags=["broadcast"])

    for dtype, reduction in product(DTYPES, ("none", "mean")):
        r = rng("soft-target", dtype, reduction)
        yield mcase("soft-target", dtype, reduction, ((5, 4), (5, 4), (5, 4)), r, margin=0.3,
                    values=(None, None, [r.choice([0.0, 0.5, -2.0, 3.0, r.uniform(-2, 2)]) for _ in range(20)]),
                    tags=["soft-target"])
        if dtype == "float64":
            continue
        r = rng("int-target", dtype, reduction)
        yield mcase("int64-target", dtype, reduction, ((5, 4), (5, 4), (5, 4)), r, margin=0.5,
                    values=(None, None, [r.choice([-1, 1, 0, 2]) for _ in range(20)]), target_dtype="int64",
                    tags=["int-target"])
        r = rng("int-target-broadcast", dtype, reduction)
        yield mcase("int64-target-4x1", dtype, reduction, ((4, 5), (4, 5), (4, 1)), r, margin=0.5,
                    values=(None, None, [-1, 1, 1, -1]), target_dtype="int64", tags=["int-target", "broadcast"])
    # float32 inputs with a float64 target or input2 (the loss is float64; input1 - input2's dtype differs)
    for reduction in ("none", "sum"):
        r = rng("f64-target", reduction)
        yield mcase("float64-target", "float32", reduction, ((12,), (12,), (12,)), r, margin=0.1, target_dtype="float64",
                    values=(None, None, [r.choice([-1.0, 1.0, 1.0 + 1e-12, 0.3]) for _ in range(12)]), tags=["mixed-dtype"])
        r = rng("f64-input2", reduction)
        yield mcase("float64-input2", "float32", reduction, ((12,), (12,), (12,)), r, margin=0.1, input2_dtype="float64",
                    tags=["mixed-dtype"])
    # ... broadcast: the gradients' sums to a smaller shape, in which dtype
    r = rng("f64-target-broadcast")
    yield mcase("float64-target-4x1", "float32", "none", ((4, 5), (4, 5), (4, 1)), r, margin=0.1, target_dtype="float64",
                tags=["mixed-dtype", "broadcast"])
    r = rng("f64-input2-broadcast")
    yield mcase("float64-input2-4x1", "float32", "mean", ((4, 5), (4, 1), (1, 5)), r, margin=0.1, input2_dtype="float64",
                tags=["mixed-dtype", "broadcast"])

    for dtype, reduction in product(DTYPES, ("none", "sum")):
        values = extremes(dtype)
        n = len(values)
        yield mcase("extreme", dtype, reduction, ((n,), (n,), (n,)), rng("extreme", dtype),
                    values=(values, list(reversed(values)), [1.0, -1.0] * (n // 2)), margin=1.0, tags=["extreme"])
        big = 3e38 if dtype == "float32" else 1e308
        yield mcase("overflow", dtype, reduction, ((6,), (6,), (6,)), rng("overflow", dtype),
                    values=([big, -big, big, 1.0, -big, 0.0], [-big, big, big, -1.0, -big, big], [-1.0, 1.0, -1.0, -1.0, 1.0, -1.0]),
                    margin=1.0, tags=["extreme"])

    for dtype, reduction in product(DTYPES, REDUCTIONS):
        x1 = NONFINITE * 3 + [1.0, 0.0, 2.0]
        x2 = [0.0] * 3 + NONFINITE + NONFINITE + [1.0, 0.0, 2.0]
        t = [1.0] * 3 + [-1.0] * 3 + [1.0, -1.0, 0.0] + NONFINITE
        yield mcase("nonfinite", dtype, reduction, ((12,), (12,), (12,)), rng("nonfinite", dtype), values=(x1, x2, t),
                    margin=0.5, tags=["nonfinite"])
    # a huge margin (the golden format keeps kwargs finite: JSON has no inf / NaN numbers)
    for dtype, margin in product(DTYPES, (1e30, -1e30)):
        yield mcase("margin-%g" % margin, dtype, "none", ((6,), (6,), (6,)), rng("huge-margin", dtype, margin),
                    margin=margin, tags=["extreme"])

    # larger cases: the order of the sums (forward and the broadcast gradients) shows
    r = rng("large", "mean")
    yield mcase("large-input2-1-target-1", "float32", "mean", ((2000,), (1,), (1,)), r, margin=0.25, tags=["large"],
                values=(quantized_logits(r, (2000,)), [0.5], [1.0]))
    r = rng("large", "input2-grows")
    yield mcase("large-input2-1x100-target-8x1", "float32", "sum", ((8, 100), (1, 100), (8, 1)), r, margin=0.5,
                tags=["large", "broadcast"])
    r = rng("large", "f64")
    yield mcase("large-random-input2-1-target-1", "float64", "sum", ((400,), (1,), (1,)), r, margin=0.5, tags=["large"],
                values=(None, [0.125], [-1.0]))

    # errors
    for name, shapes, kwargs, regex in [
            ("error-input2-size", ((3,), (2,), (3,)), {},
             r"The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 0"),
            ("error-target-size", ((2, 3), (2, 3), (2, 2)), {},
             r"The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 1"),
            ("error-dims", ((3,), (1, 3), (3,)), {},
             r"margin_ranking_loss : All input tensors should have same dimension"),
            ("error-0d-with-1d", ((), (1,), (1,)), {},
             r"margin_ranking_loss : All input tensors should have same dimension|does not support scalars"),
            ("error-0d-target", ((3,), (3,), ()), {},
             r"margin_ranking_loss : All input tensors should have same dimension|does not support scalars"),
            ("error-reduction", ((3,), (3,), (3,)), {"reduction": "avg"}, r"avg is not a valid value for reduction"),
            ("error-reduction-and-dims", ((3,), (1, 3), (3,)), {"reduction": "avg"}, r"avg is not a valid value for reduction"),
            ("error-reduction-none-value", ((3,), (3,), (3,)), {"reduction": None}, r"None is not a valid value for reduction"),
            ("error-margin-str", ((3,), (3,), (3,)), {"margin": "a"},
             r"argument 'margin' \(position 4\) must be float, not str"),
            ("error-margin-none", ((3,), (3,), (3,)), {"margin": None},
             r"argument 'margin' \(position 4\) must be float, not NoneType"),
            ("error-margin-and-size", ((3,), (2,), (3,)), {"margin": "a"},
             r"argument 'margin' \(position 4\) must be float, not str")]:
        r = rng("error", name)
        red = kwargs.pop("reduction", "mean")
        yield mcase(name, "float32", red, shapes, r, kwargs=kwargs, tags=["error"], error_regex=regex)
