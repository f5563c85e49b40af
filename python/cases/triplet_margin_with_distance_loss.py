"""Cases for F.triplet_margin_with_distance_loss (nn.TripletMarginWithDistanceLoss): anchor, positive
and negative vectors, (N, D) and unbatched (D); the default distance (pairwise_distance), the
distance_function recorded by name ("cosine": lambda a, b: 1.0 - F.cosine_similarity(a, b);
"pairwise": F.pairwise_distance), margin, swap (with ties), extreme and non-finite values, mixed float32 /
float64 arguments, errors.

torch 1.7's pairwise_distance reduces dim 1 and cosine_similarity's default dim 1 needs 2-D inputs, so
1-D inputs raise IndexError there; torch >= 2.0 checks the reduction and the dims first, >= 2.3 margin > 0.
"""
from itertools import product

from cases.common import NONFINITE, logits, numel, sample, shape_id, tensor

FUNCTION = "triplet_margin_with_distance_loss"
ARGS = ("anchor", "positive", "negative")
GRADS = ("anchor", "positive", "negative")
DTYPES = ("float32", "float64")
REDUCTIONS = ("none", "mean", "sum")

RELEASE_ERROR_REGEXES = (
    r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)",
    r"margin must be greater than 0",
    r"expected to have the same number of dimensions",
    r"elementwise_mean is not a valid value for reduction",
)


def available(torch, F):
    return hasattr(F, "triplet_margin_with_distance_loss")


def call(F, torch, args, kwargs):
    """distance_function is recorded by name: "cosine" is 1 - cosine_similarity, "pairwise" F.pairwise_distance."""
    kw = dict(kwargs)
    name = kw.pop("distance_function", None)
    if name == "cosine":
        kw["distance_function"] = lambda a, b: 1.0 - F.cosine_similarity(a, b)
    elif name == "pairwise":
        kw["distance_function"] = F.pairwise_distance
    elif name is not None:
        raise ValueError("unknown distance_function %r" % (name,))
    return F.triplet_margin_with_distance_loss(args["anchor"], args["positive"], args["negative"], **kw)


def bench_args(torch, gen, shape, dtype):
    """Three tensors of one shape."""
    return {"anchor": torch.randn(shape, generator=gen, dtype=dtype),
            "positive": torch.randn(shape, generator=gen, dtype=dtype),
            "negative": torch.randn(shape, generator=gen, dtype=dtype)}, {}


def tcase(variant, dtype, reduction, shapes, rng, kwargs=None, tags=(), error_regex=None, values=None,
          dtypes=(None, None, None)):
    kw = {"reduction": reduction}
    kw.update(kwargs or {})
    vals = values or [logits(rng, s) for s in shapes]
    args = {name: tensor(s, v, d) for name, s, v, d in zip(ARGS, shapes, vals, dtypes)}
    dist = kw.get("distance_function") or "default"
    return sample("%s/%s/%s-%s/%s" % (dtype, reduction, dist, variant, shape_id(shapes[0])), dtype, args, kw,
                  tags=tags, error_regex=error_regex)


SHAPES = [(3, 5), (1, 5), (7,), (2, 9), (0, 4), (3, 1)]
DISTANCES = (None, "cosine")
# anchor, positive, negative dtypes of the mixed cases (the case's dtype is the anchor's)
MIXED = [d for d in product(DTYPES, repeat=3) if len(set(d)) > 1]


def mixed_id(dtypes):
    """('float32', 'float64', 'float32') -> 'a32-p64-n32'."""
    return "-".join(n + d[-2:] for n, d in zip("apn", dtypes))


def cases(rng):
    for dist, dtype, reduction, shape in product(DISTANCES, DTYPES, REDUCTIONS, SHAPES):
        if dtype == "float64" and reduction != "mean":
            continue
        r = rng("basic", dist, dtype, reduction, shape)
        yield tcase("basic", dtype, reduction, [shape] * 3, r, {"distance_function": dist},
                    tags=["basic"] + (["empty"] if numel(shape) == 0 else []))
    for dtype in DTYPES:
        r = rng("explicit-pairwise", dtype)
        yield tcase("basic", dtype, "mean", [(4, 6)] * 3, r, {"distance_function": "pairwise"}, tags=["basic"])

    for dist, dtype, swap in product(DISTANCES, DTYPES, (False, True)):
        r = rng("swap", dist, dtype, swap)
        yield tcase("swap%s" % swap, dtype, "none", [(5, 7)] * 3, r, {"distance_function": dist, "swap": swap},
                    tags=["swap"])

    for dist, (mname, margin) in product(DISTANCES, [("margin0.5", 0.5), ("margin3", 3.0), ("margin0", 0.0),
                                                     ("margin-1", -1.0)]):
        r = rng("margin", dist, mname)
        regex = r"margin must be greater than 0" if margin <= 0 else None
        yield tcase(mname, "float32", "none", [(4, 3)] * 3, r, {"distance_function": dist, "margin": margin},
                    tags=["margin"], error_regex=regex)

    # ties between the two negative distances, zero distances, the clamp's boundary
    for dist, dtype, swap in product(DISTANCES, DTYPES, (False, True)):
        r = rng("ties", dist, dtype, swap)
        a = logits(r, (3, 4))
        n = logits(r, (3, 4))
        kw = {"distance_function": dist, "swap": swap}
        yield tcase("ties-swap%s" % swap, dtype, "none", [(3, 4)] * 3, r, kw, values=[a, list(a), n], tags=["ties"])
        yield tcase("zero-dist-swap%s" % swap, dtype, "sum", [(3, 4)] * 3, r, kw, values=[a, list(a), list(a)],
                    tags=["ties"])
    for swap in (False, True):
        r = rng("at-margin", swap)
        # default distance (eps 1e-6) away from the boundary; cosine: d_pos 0, d_neg 1 (orthogonal) -> 0 exactly
        yield tcase("at-margin-swap%s" % swap, "float32", "none", [(2, 2)] * 3, r,
                    {"distance_function": "cosine", "swap": swap},
                    values=[[1.0, 0.0, 0.0, 2.0], [2.0, 0.0, 0.0, 3.0], [0.0, 1.0, 5.0, 0.0]], tags=["ties"])

    # broadcasting within one number of dims
    for dist, (name, shapes) in product(DISTANCES, [("bcast-1xD-anchor", [(1, 6), (4, 6), (4, 6)]),
                                                    ("bcast-1xD-negative", [(4, 6), (4, 6), (1, 6)])]):
        r = rng("bcast", dist, name)
        yield tcase(name, "float32", "mean", shapes, r, {"distance_function": dist, "swap": True}, tags=["broadcast"])

    # extreme and non-finite values
    for dist, (dtype, reduction) in product(DISTANCES, (("float32", "none"), ("float64", "sum"))):
        big = 3e38 if dtype == "float32" else 1e300
        a = [0.0, -0.0, 1e-30, big, 1.0, 2.0, 1e4, -1e4, 1e19, 1e-3, 5.0, 0.5]
        p_ = [0.0, 0.0, -1e-30, -big, 1.0, 2.0, 1e4, 1e4, -1e19, 0.0, 5.0, 0.25]
        n_ = [1.0, 1e-20, 1e-30, big, -1.0, 2.0, 0.0, -1e4, 1e19, 1e-3, -5.0, 0.5]
        kw = {"distance_function": dist, "swap": True}
        yield tcase("extreme", dtype, reduction, [(4, 3)] * 3, rng("extreme"), kw, values=[a, p_, n_], tags=["extreme"])
        a = NONFINITE * 2 + [1.0, 2.0, 3.0] + [0.5] * 3
        p_ = [0.0] * 3 + NONFINITE + [1.0, float("inf"), 3.0] + [0.5] * 3
        n_ = [1.0] * 6 + NONFINITE + NONFINITE
        yield tcase("nonfinite", dtype, reduction, [(4, 3)] * 3, rng("nonfinite"), kw, values=[a, p_, n_],
                    tags=["nonfinite"])

    # larger cases: the norms' lanes and tails, the mean's cascade
    for dist, (dtype, name, shape) in product(DISTANCES, [("float32", "large-8x40", (8, 40)),
                                                          ("float32", "large-1x203", (1, 203)),
                                                          ("float64", "large-2x40", (2, 40))]):
        r = rng("large", dist, dtype, name)
        yield tcase(name, dtype, "mean", [shape] * 3, r, {"distance_function": dist, "swap": True}, tags=["large"])

    # mixed float32 / float64 arguments: each distance in its own dtype (pairwise: its pair's promotion;
    # cosine: per release, 1.7's sums and 2.x's norms in each operand's dtype, 1.13's converted), every
    # gradient in its argument's dtype
    for dist, dts, swap in product(DISTANCES, MIXED, (False, True)):
        r = rng("mixed", dist, dts, swap)
        yield tcase("mixed-%s-swap%s" % (mixed_id(dts), swap), dts[0], "none", [(3, 5)] * 3, r,
                    {"distance_function": dist, "swap": swap, "margin": 0.3}, tags=["mixed"], dtypes=dts)
    r = rng("mixed-pairwise")
    yield tcase("mixed-a32-p64-n64", "float32", "sum", [(4, 6)] * 3, r, {"distance_function": "pairwise", "swap": True},
                tags=["mixed"], dtypes=("float32", "float64", "float64"))
    for dist, (i, (name, shapes)) in product(DISTANCES, enumerate([("bcast-1xD-anchor", [(1, 6), (4, 6), (4, 6)]),
                                                                   ("bcast-1xD-negative", [(4, 6), (4, 6), (1, 6)])])):
        dts = MIXED[(i + 2) % len(MIXED)]
        r = rng("mixed-bcast", dist, dts, name)
        yield tcase("mixed-%s-%s" % (mixed_id(dts), name), dts[0], "mean", shapes, r,
                    {"distance_function": dist, "swap": True}, tags=["mixed", "broadcast"], dtypes=dts)
    # where the dtype decides: squares that overflow or underflow float32 but not float64
    a = [3e19, 0.0, 0.0, 1e-25, 0.0, 0.0, 1.0, 2.0, 3.0, 1e19, -1e19, 1.0]
    p_ = [-3e19, 1.0, 0.0, -1e-25, 0.0, 0.0, 1.0, 2.5, 3.0, 0.0, 0.0, 1.0]
    n_ = [1.0, 0.0, 0.0, 1e-25, 2e-25, 0.0, -1.0, 2.0, 3.0, 1e19, 1e19, 0.0]
    for dist, dts in product(DISTANCES, [("float32", "float32", "float64"), ("float64", "float32", "float32")]):
        yield tcase("mixed-%s-extreme" % mixed_id(dts), dts[0], "none", [(4, 3)] * 3, rng("mixed-extreme", dist, dts),
                    {"distance_function": dist, "swap": True}, values=[a, p_, n_], tags=["mixed", "extreme"],
                    dtypes=dts)
    for dist in DISTANCES:
        r = rng("mixed-large", dist)
        yield tcase("mixed-a64-p32-n32-large", "float64", "mean", [(4, 40)] * 3, r,
                    {"distance_function": dist, "swap": True}, tags=["mixed", "large"],
                    dtypes=("float64", "float32", "float32"))

    # errors
    for dist, (name, shapes, kwargs, regex) in product(DISTANCES, [
            ("error-dims-2-1-2", [(3, 4), (4,), (3, 4)], {},
             r"expected to have the same number of dimensions|Dimension out of range"),
            ("error-shape", [(3, 4), (3, 5), (3, 4)], {},
             r"The size of tensor a \(4\) must match the size of tensor b \(5\) at non-singleton dimension 1"),
            ("error-reduction", [(3, 4)] * 3, {"reduction": "abc"}, r"abc is not a valid value for reduction"),
            ("error-reduction-elementwise-mean", [(3, 4)] * 3, {"reduction": "elementwise_mean"}, None),
            ("error-reduction-and-shape", [(3, 4), (3, 5), (3, 4)], {"reduction": "abc"},
             r"abc is not a valid value for reduction|The size of tensor a \(4\) must match the size of tensor b \(5\)"),
            ("error-reduction-and-margin", [(3, 4)] * 3, {"reduction": "abc", "margin": 0.0},
             r"abc is not a valid value for reduction")]):
        r = rng("error", dist, name)
        kwargs = dict(kwargs)
        red = kwargs.pop("reduction", "mean")
        kwargs["distance_function"] = dist
        yield tcase(name, "float32", red, shapes, r, kwargs, tags=["error"], error_regex=regex)
