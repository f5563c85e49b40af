"""Cases for F.cosine_embedding_loss (nn.CosineEmbeddingLoss): (N, D) inputs with an (N) target and,
from torch 1.11 (pytorch#64590), unbatched (D) inputs with a 0-d target; +-1 and other targets,
margins (cos exactly at the margin: the clamp's gradient changed in 2.14), broadcasting between
input1 and input2 and of the target, zero, tiny, huge and non-finite vectors (EPSILON), empty
batches and dims, int64 and float64 targets, a few larger cases where the sums' order shows, the
errors torch raises. torch 1.7 checks no dims (sums dim 1, where() broadcasts any target), 1.9
requires a 1-D target (pytorch#53110), 2.2 checks input2's dim too (pytorch#112782).
"""
from itertools import product

from cases.common import NONFINITE, logits, numel, quantized_logits, sample, shape_id, signs, tensor

FUNCTION = "cosine_embedding_loss"
ARGS = ("input1", "input2", "target")
GRADS = ("input1", "input2")
DTYPES = ("float32", "float64")
REDUCTIONS = ("none", "mean", "sum")

# Shapes one release accepts and another rejects: 1.7 takes any target (a 0-d one with (N, D)
# inputs, an (N, 1) one, 3-D inputs) and raises IndexError for 1-D inputs (sum(1)); 1.13 checks
# input1's dim only; 2.2+ both inputs'.
RELEASE_ERROR_REGEXES = (r"0D or 1D target tensor expected|1D target tensor expected, multi-target not supported",
                         r"[01]D target tensor expects [12]D input tensors",
                         r"Dimension out of range")


def bench_args(torch, gen, shape, dtype):
    """Two embedding tensors ((N, D), or (D) with a 0-d target) and +-1 targets."""
    tshape = tuple(shape[:1]) if len(shape) == 2 else ()
    t = (torch.rand(tshape, generator=gen, dtype=dtype) < 0.5).to(dtype) * 2 - 1
    return {"input1": torch.randn(shape, generator=gen, dtype=dtype), "input2": torch.randn(shape, generator=gen, dtype=dtype),
            "target": t}, {}


def ccase(variant, dtype, reduction, shapes, rng, margin=None, values=None, target_dtype=None, input2_dtype=None,
          tags=(), error_regex=None, kwargs=None, input1_dtype=None):
    """A sample: input1, input2 and target of the given shapes (seeded values and signs unless given)."""
    s1, s2, st = shapes
    v1, v2, vt = values or (None, None, None)
    kw = {"reduction": reduction}
    if margin is not None:
        kw["margin"] = margin
    kw.update(kwargs or {})
    draw = quantized_logits if dtype == "float64" and "random" not in variant and "mixed" not in variant else logits
    args = {"input1": tensor(s1, v1 if v1 is not None else draw(rng, s1), input1_dtype),
            "input2": tensor(s2, v2 if v2 is not None else draw(rng, s2), input2_dtype),
            "target": tensor(st, vt if vt is not None else signs(rng, st), target_dtype)}
    return sample("%s/%s/%s/%s" % (dtype, reduction, variant, shape_id(s1)), dtype, args, kw, tags=tags,
                  error_regex=error_regex)


# (input shape, target shape): batched and (torch >= 1.11) unbatched
LAYOUTS = [((4, 5), (4,)), ((1, 3), (1,)), ((2, 17), (2,)), ((5,), ()), ((1,), ()), ((9,), ())]
EMPTY = [((0, 5), (0,)), ((3, 0), (3,)), ((0,), ())]

# (name, input1 shape, input2 shape, target shape)
BROADCASTS = [
    ("input2-1xD", (4, 5), (1, 5), (4,)),
    ("input1-1xD", (1, 5), (4, 5), (4,)),
    ("target-1", (4, 5), (4, 5), (1,)),
    ("target-grows-1xD-to-4", (1, 5), (1, 5), (4,)),
    ("input2-Nx1", (4, 5), (4, 1), (4,)),
    # 1.7 broadcasts these (the sums over dim 1, then where()); 1.9+ / 1.11+ raise
    ("target-0d-batched", (4, 5), (4, 5), ()),
    ("target-4x1", (4, 5), (4, 5), (4, 1)),
    ("3d-inputs", (2, 3, 4), (2, 3, 4), (4,)),
    # 1.7 and 1.13 raise IndexError (sum(1) of a 1-D input2), 2.2+ the dim check
    ("input2-1d-target-1d", (3, 4), (4,), (3,)),
    # 1.13 computes (input1 1-D, the product (3, 4) summed over dim 0); 1.7 IndexError, 2.2+ the dim check
    ("input2-2d-target-0d", (4,), (3, 4), ()),
]


def cases(rng):
    # float64: 'mean' here, 'none' and 'sum' in random-f64 and below (the size budget)
    for dtype, reduction, (shape, tshape) in product(DTYPES, REDUCTIONS, LAYOUTS + EMPTY):
        if dtype == "float64" and reduction != "mean":
            continue
        r = rng("basic", dtype, reduction, shape)
        tags = ["basic"] + (["empty"] if numel(shape) == 0 or numel(tshape) == 0 else [])
        yield ccase("basic", dtype, reduction, (shape, shape, tshape), r, tags=tags)
    for reduction in REDUCTIONS:
        r = rng("random-f64", reduction)
        yield ccase("random-f64", "float64", reduction, ((5, 7), (5, 7), (5,)), r, margin=0.3, tags=["basic"])

    for dtype, (reduction, margins) in product(DTYPES, [("none", (0.0, 0.5, -0.5, 1.0, -1.0, 2.0)), ("mean", (0.5, -0.5)),
                                                        ("sum", (0.9,))]):
        for margin in margins if dtype == "float32" or reduction == "none" else ():
            r = rng("margin", dtype, reduction, margin)
            yield ccase("margin-%g" % margin, dtype, reduction, ((6, 4), (6, 4), (6,)), r, margin=margin, tags=["margin"])
    for dtype in DTYPES:
        yield ccase("margin-int-1", dtype, "none", ((3, 4), (3, 4), (3,)), rng("margin-int", dtype), margin=1, tags=["margin"])
        yield ccase("margin-true", dtype, "sum", ((3, 4), (3, 4), (3,)), rng("margin-true", dtype), margin=True,
                    tags=["margin"])
        yield ccase("margin-unbatched-0.2", dtype, "none", ((6,), (6,), ()), rng("margin-1d", dtype), margin=0.2,
                    values=(None, None, [-1.0]), tags=["margin"])

    # cos exactly at the margin (the clamp's boundary): orthogonal pairs with margin 0, equal and
    # opposite vectors with margin +-1 (cos rounds to +-1 or just inside), target -1
    for dtype, reduction, margin in product(DTYPES, ("none", "mean"), (0.0, 1.0, -1.0)):
        r = rng("tie", dtype, reduction, margin)
        v1, v2 = [], []
        for _ in range(6):
            a, b = float(r.choice((1, 2, 3, -2))), float(r.choice((1, 2, 4, -1)))
            kind = r.choice(("orthogonal", "same", "opposite"))
            v1 += [a, b]
            v2 += {"orthogonal": [-b, a], "same": [a, b], "opposite": [-a, -b]}[kind]
        yield ccase("tie-margin-%g" % margin, dtype, reduction, ((6, 2), (6, 2), (6,)), r, margin=margin,
                    values=(v1, v2, [-1.0, -1.0, -1.0, 1.0, -1.0, -1.0]), tags=["tie"])

    # targets other than +-1 (0, 0.5, 2: no term), int64 and float64 targets
    for dtype, reduction in product(DTYPES, ("none", "sum")):
        r = rng("other-targets", dtype, reduction)
        yield ccase("other-targets", dtype, reduction, ((8, 3), (8, 3), (8,)), r,
                    values=(None, None, [1.0, -1.0, 0.0, 0.5, 2.0, -2.0, 1.0, -1.0]), tags=["target"])
        r = rng("int64-target", dtype, reduction)
        yield ccase("int64-target", dtype, reduction, ((6, 3), (6, 3), (6,)), r, values=(None, None, [1, -1, 0, 1, -1, 2]),
                    target_dtype="int64", tags=["target"])
    r = rng("float64-target")
    yield ccase("float64-target", "float32", "none", ((4, 3), (4, 3), (4,)), r,
                values=(None, None, [1.0, -1.0, 1.0000000001, -1.0]), target_dtype="float64", tags=["target"])
    r = rng("mixed-dtype")
    yield ccase("input2-float64", "float32", "none", ((3, 5), (3, 5), (3,)), r, input2_dtype="float64", tags=["dtype"])

    # mixed float32 / float64 inputs: each magnitude (input * input).sum + EPSILON in its own input's
    # dtype, prod_sum, denom, cos and the output in float64; each gradient in its input's dtype; the
    # target (either float dtype or int64) only compared
    for (d1, d2), reduction, tdt in product((("float32", "float64"), ("float64", "float32")), REDUCTIONS,
                                           (None, "other", "int64")):
        r = rng("mixed", d1, d2, reduction, tdt)
        td = {"other": "float64" if d1 == "float32" else "float32"}.get(tdt, tdt)
        tv = [r.choice((1, -1, 0, 2)) for _ in range(4)] if tdt == "int64" else None
        name = "mixed-%s-%s-target-%s" % (d1, d2, td or d1)
        yield ccase(name, d1, reduction, ((4, 5), (4, 5), (4,)), r, margin=0.3, values=(None, None, tv),
                    target_dtype=td, input1_dtype=d1, input2_dtype=d2, tags=["dtype", "mixed"])
    for d1, d2 in (("float32", "float64"), ("float64", "float32")):
        yield ccase("mixed-%s-%s-unbatched" % (d1, d2), d1, "none", ((6,), (6,), ()), rng("mixed-1d", d1),
                    margin=-0.2, values=(None, None, [-1.0]), input1_dtype=d1, input2_dtype=d2, tags=["dtype", "mixed"])
        for name, s1, s2, st in BROADCASTS[:3] + BROADCASTS[4:6]:
            r = rng("mixed-broadcast", d1, name)
            yield ccase("mixed-%s-%s-%s" % (d1, d2, name), d1, "mean", (s1, s2, st), r, input1_dtype=d1,
                        input2_dtype=d2, tags=["dtype", "mixed", "broadcast"])
        # where the dtype decides: magnitudes that overflow or underflow float32 but not float64
        v1 = [3e19, 0.0, 0.0, 1.0, 0.0, 0.0, 1e-25, 1e-25, 0.0, 1e19, -1e19, 1.0, 0.0, 0.0, 0.0]
        v2 = [1.0, 0.0, 0.0, 3e19, 0.0, 0.0, 1e-25, 0.0, 0.0, 1e19, 1e19, 0.0, 1e-30, 2e-30, 0.0]
        yield ccase("mixed-%s-%s-extreme" % (d1, d2), d1, "none", ((5, 3), (5, 3), (5,)), rng("mixed-extreme", d1),
                    values=(v1, v2, [1.0, -1.0, 1.0, -1.0, 1.0]), input1_dtype=d1, input2_dtype=d2,
                    tags=["dtype", "mixed", "extreme"])
    yield ccase("mixed-float64-float32-large", "float64", "mean", ((3, 60), (3, 60), (3,)), rng("mixed-large"),
                margin=0.1, input1_dtype="float64", input2_dtype="float32", tags=["dtype", "mixed", "large"])

    for dtype, reduction in [("float32", "none"), ("float32", "mean"), ("float64", "none")]:
        for name, s1, s2, st in BROADCASTS:
            r = rng("broadcast", dtype, reduction, name)
            yield ccase(name, dtype, reduction, (s1, s2, st), r, tags=["broadcast"])

    # zero, tiny, huge and non-finite vectors
    inf, nan = float("inf"), float("nan")
    for dtype, reduction in product(DTYPES, ("none", "sum")):
        big = 3e38 if dtype == "float32" else 1e300
        tiny = 1e-30 if dtype == "float32" else 1e-200
        v1 = [0.0, 0.0, 0.0, 1.0, 2.0, 3.0, tiny, tiny, -tiny, big, 1.0, 1.0, 1e19, 1e19, 1e19, 1e-20, 1e-20, 0.0,
              -0.0, 0.0, 0.0]
        v2 = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, tiny, -tiny, tiny, 1.0, big, big, 1e19, -1e19, 1.0, 1e-20, 1e-20, 1e-20,
              1.0, -1.0, 0.0]
        yield ccase("extreme", dtype, reduction, ((7, 3), (7, 3), (7,)), rng("extreme", dtype), tags=["extreme"],
                    values=(v1, v2, [1.0, -1.0, 1.0, -1.0, 1.0, -1.0, -1.0]))
        v1 = [nan, 1.0, 1.0, inf, 1.0, 1.0, -inf, inf, 0.0, 1.0, 2.0, 3.0, 1.0, 1.0, 1.0]
        v2 = [1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 1.0, 1.0, 1.0, nan, 1.0, 0.0, inf, -inf, 1.0]
        yield ccase("nonfinite", dtype, reduction, ((5, 3), (5, 3), (5,)), rng("nonfinite", dtype), tags=["nonfinite"],
                    values=(v1, v2, [1.0, -1.0, 1.0, -1.0, 1.0]), margin=0.1)
        yield ccase("nonfinite-target", dtype, reduction, ((4, 3), (4, 3), (4,)), rng("nonfinite-target", dtype),
                    values=(None, None, NONFINITE + [1.0]), tags=["nonfinite"])

    # larger cases, where the order of the sums (rows, magnitudes, the reduction) shows
    yield ccase("large-long-rows", "float32", "mean", ((1, 700), (1, 700), (1,)), rng("large", "long"), margin=-0.2,
                tags=["large"])
    yield ccase("large-batch", "float32", "mean", ((520, 1), (520, 1), (520,)), rng("large", "batch"), tags=["large"])
    yield ccase("large-unbatched", "float32", "none", ((520,), (520,), ()), rng("large", "unbatched"), tags=["large"])
    yield ccase("large-broadcast", "float32", "sum", ((8, 40), (1, 40), (8,)), rng("large", "broadcast"), tags=["large"])

    # errors
    for name, shapes, kwargs, regex in [
            ("error-input2-rows", ((3, 4), (2, 4), (3,)), {},
             r"The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 0"),
            ("error-input2-dim", ((3, 4), (3, 5), (3,)), {},
             r"The size of tensor a \(4\) must match the size of tensor b \(5\) at non-singleton dimension 1"),
            ("error-target-size", ((3, 4), (3, 4), (2,)), {},
             r"The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 0"),
            ("error-target-2d", ((3, 4), (3, 4), (3, 2)), {},
             r"0D or 1D target tensor expected|1D target tensor expected, multi-target not supported|"
             r"The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 1"),
            ("error-0d-inputs", ((), (), ()), {}, r"0D target tensor expects 1D input tensors|Dimension out of range"),
            ("error-reduction", ((3, 4), (3, 4), (3,)), {"reduction": "abc"}, r"abc is not a valid value for reduction"),
            ("error-reduction-none-value", ((3, 4), (3, 4), (3,)), {"reduction": None},
             r"None is not a valid value for reduction"),
            ("error-margin-none", ((3, 4), (3, 4), (3,)), {"margin": None},
             r"argument 'margin' \(position 4\) must be float, not NoneType"),
            ("error-margin-none-and-reduction", ((3, 4), (3, 4), (3,)), {"margin": None, "reduction": "abc"},
             r"abc is not a valid value for reduction"),
            ("error-margin-and-shapes", ((3, 4), (2, 4), (3,)), {"margin": "x"},
             r"argument 'margin' \(position 4\) must be float, not str")]:
        kw = dict(kwargs)
        red = kw.pop("reduction", "mean")
        yield ccase(name, "float32", red, shapes, rng("error", name), kwargs=kw, tags=["error"], error_regex=regex)
