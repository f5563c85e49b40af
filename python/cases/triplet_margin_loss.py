"""Cases for F.triplet_margin_loss (nn.TripletMarginLoss): anchor, positive and negative vectors,
(N, D) and unbatched (D), margin, p (2, 1, inf, 3, 1.5, 0.5, 0), eps, swap (with ties between the
two negative distances), broadcasting within one number of dims, extreme and non-finite values, the
errors torch raises; mixed float32 / float64 arguments.

torch 1.7's pairwise_distance reduces dim 1, so a 1-D input raises IndexError there
(RELEASE_ERROR_REGEXES); torch >= 2.6 rejects margin <= 0 in functional.py; from some release ATen
checks that the three tensors have one number of dims.
"""
from itertools import product

from cases.common import NONFINITE, logits, numel, sample, shape_id, tensor

FUNCTION = "triplet_margin_loss"
ARGS = ("anchor", "positive", "negative")
GRADS = ("anchor", "positive", "negative")
DTYPES = ("float32", "float64")
REDUCTIONS = ("none", "mean", "sum")

RELEASE_ERROR_REGEXES = (
    r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)",
    r"margin must be greater than 0",
    r"All inputs should have same dimension|expected to have the same number of dimensions",
    r"cannot compute the -?inf norm on the dimension|cannot compute the -?[0-9.]+ norm on the dimension",
)


def call(F, torch, args, kwargs):
    """p = inf is recorded as the string "inf" (JSON has no infinity)."""
    kw = dict(kwargs)
    if isinstance(kw.get("p"), str):
        kw["p"] = float(kw["p"])
    return F.triplet_margin_loss(args["anchor"], args["positive"], args["negative"], **kw)


def bench_args(torch, gen, shape, dtype):
    """Three tensors of one shape."""
    return {"anchor": torch.randn(shape, generator=gen, dtype=dtype),
            "positive": torch.randn(shape, generator=gen, dtype=dtype),
            "negative": torch.randn(shape, generator=gen, dtype=dtype)}, {}


def tcase(variant, dtype, reduction, shapes, rng, kwargs=None, tags=(), error_regex=None, values=None, scale=2.0,
          dtypes=(None, None, None)):
    kw = {"reduction": reduction}
    kw.update(kwargs or {})
    vals = values or [logits(rng, s, scale) for s in shapes]
    args = {name: tensor(s, v, d) for name, s, v, d in zip(ARGS, shapes, vals, dtypes)}
    return sample("%s/%s/%s/%s" % (dtype, reduction, variant, shape_id(shapes[0])), dtype, args, kw, tags=tags,
                  error_regex=error_regex)


SHAPES = [(4, 6), (1, 5), (7,), (2, 11), (0, 4), (5, 0), (2, 1)]
P_VALUES = [2, 1, "inf", 3, 1.5, 0.5, 0]
# anchor, positive, negative dtypes of the mixed cases (the case's dtype is the anchor's)
MIXED = [d for d in product(DTYPES, repeat=3) if len(set(d)) > 1]


def mixed_id(dtypes):
    """('float32', 'float64', 'float32') -> 'a32-p64-n32'."""
    return "-".join(n + d[-2:] for n, d in zip("apn", dtypes))


def cases(rng):
    for dtype, reduction, shape in product(DTYPES, REDUCTIONS, SHAPES):
        if dtype == "float64" and reduction == "sum":
            continue
        r = rng("basic", dtype, reduction, shape)
        yield tcase("basic", dtype, reduction, [shape] * 3, r, tags=["basic"] + (["empty"] if numel(shape) == 0 else []))

    for dtype, p, swap in product(DTYPES, P_VALUES, (False, True)):
        for reduction in (("none",) if dtype == "float32" else ("sum",)):
            r = rng("p", dtype, p, swap, reduction)
            yield tcase("p%s-swap%s" % (p, swap), dtype, reduction, [(2, 5)] * 3, r, {"p": p, "swap": swap},
                        tags=["p"])
    for dtype, p in product(DTYPES, (2, 1, "inf")):
        r = rng("p-unbatched", dtype, p)
        yield tcase("p%s-unbatched" % p, dtype, "none", [(6,)] * 3, r, {"p": p, "swap": True}, tags=["unbatched"])

    for dtype, (mname, margin) in product(DTYPES, [("margin0.5", 0.5), ("margin3", 3.0), ("margin0.01", 0.01),
                                                    ("margin0", 0.0), ("margin-1", -1.0)]):
        r = rng("margin", dtype, mname)
        regex = r"margin must be greater than 0" if margin <= 0 else None
        # margin <= 0 is computed before 2.6 and a ValueError from 2.6 (RELEASE_ERROR_REGEXES)
        yield tcase(mname, dtype, "none", [(4, 3)] * 3, r, {"margin": margin}, tags=["margin"], error_regex=regex)

    for dtype, (ename, eps) in product(DTYPES, [("eps0", 0.0), ("eps1e-3", 1e-3), ("eps0.5", 0.5)]):
        r = rng("eps", dtype, ename)
        yield tcase(ename, dtype, "mean", [(3, 4)] * 3, r, {"eps": eps}, tags=["eps"])

    # swap ties (positive == anchor gives d(a, n) == d(p, n)) and exact zero distances
    for dtype, swap in product(DTYPES, (False, True)):
        r = rng("ties", dtype, swap)
        a = logits(r, (3, 4))
        n = logits(r, (3, 4))
        yield tcase("ties-swap%s" % swap, dtype, "none", [(3, 4)] * 3, r, {"swap": swap, "eps": 0.0},
                    values=[a, list(a), n], tags=["ties"])
        yield tcase("zero-dist-swap%s" % swap, dtype, "sum", [(3, 4)] * 3, r, {"swap": swap, "eps": 0.0},
                    values=[a, list(a), list(a)], tags=["ties"])
        # at the clamp's boundary: margin + d_pos - d_neg == 0 exactly (d_pos 0, d_neg == margin 1)
        yield tcase("at-margin-swap%s" % swap, dtype, "none", [(2, 2)] * 3, r, {"swap": swap, "eps": 0.0},
                    values=[[0.0, 0.0, 1.0, 2.0], [0.0, 0.0, 1.0, 2.0], [1.0, 0.0, 1.0, 3.0]], tags=["ties"])

    # broadcasting within one number of dims
    for dtype, (name, shapes) in product(DTYPES, [("bcast-1xD-anchor", [(1, 6), (4, 6), (4, 6)]),
                                                   ("bcast-1xD-negative", [(4, 6), (4, 6), (1, 6)]),
                                                   ("bcast-Nx1", [(4, 1), (4, 6), (4, 6)])]):
        r = rng("bcast", dtype, name)
        yield tcase(name, dtype, "mean", shapes, r, {"swap": True}, tags=["broadcast"])

    # 3-D inputs (torch 1.7 reduces dim 1, later the last dim)
    for dtype in DTYPES:
        r = rng("3d", dtype)
        yield tcase("3d", dtype, "none", [(2, 3, 4)] * 3, r, tags=["3d"])

    # extreme and non-finite values
    for dtype, reduction in (("float32", "none"), ("float64", "sum")):
        big = 3e38 if dtype == "float32" else 1e300
        a = [0.0, -0.0, 1e-30, big, 1.0, 2.0, 1e4, -1e4, 1e19, 1e-3, 5.0, 0.5]
        p_ = [0.0, 0.0, -1e-30, -big, 1.0, 2.0, 1e4, 1e4, -1e19, 0.0, 5.0, 0.25]
        n_ = [1.0, 1e-20, 1e-30, big, -1.0, 2.0, 0.0, -1e4, 1e19, 1e-3, -5.0, 0.5]
        yield tcase("extreme", dtype, reduction, [(4, 3)] * 3, rng("extreme"), {"swap": True}, values=[a, p_, n_],
                    tags=["extreme"])
        a = NONFINITE * 2 + [1.0, 2.0, 3.0] + [0.5] * 3
        p_ = [0.0] * 3 + NONFINITE + [1.0, float("inf"), 3.0] + [0.5] * 3
        n_ = [1.0] * 6 + NONFINITE + NONFINITE
        for p in (2, 1, "inf"):
            yield tcase("nonfinite-p%s" % p, dtype, reduction, [(4, 3)] * 3, rng("nonfinite"), {"p": p, "swap": True},
                        values=[a, p_, n_], tags=["nonfinite"])

    # larger cases: the norm's lanes and tail, the mean's cascade
    for dtype, (name, shape) in [("float32", ("large-8x40", (8, 40))), ("float32", ("large-1x403", (1, 403))),
                                 ("float64", ("large-2x40", (2, 40)))]:
        r = rng("large", dtype, name)
        yield tcase(name, dtype, "mean", [shape] * 3, r, {"swap": True}, tags=["large"])
    r = rng("large-mixed")
    mixed = [[v * 10 ** r.choice([-3, 0, 3]) for v in logits(r, (6, 37))] for _ in range(3)]
    yield tcase("large-mixed-6x37", "float32", "sum", [(6, 37)] * 3, r, values=mixed, tags=["large"])

    # mixed float32 / float64 arguments: each distance in its pair's promoted dtype, margin + d(a, p) in
    # d(a, p)'s (margin 0.3 rounds differently in each), the rest and the output in float64; every
    # gradient in its argument's dtype, the two contributions of an argument added in it
    for dts, swap in product(MIXED, (False, True)):
        r = rng("mixed", dts, swap)
        yield tcase("mixed-%s-swap%s" % (mixed_id(dts), swap), dts[0], "none", [(3, 5)] * 3, r,
                    {"swap": swap, "margin": 0.3}, tags=["mixed"], dtypes=dts)
    for i, p in enumerate(P_VALUES[1:]):
        dts = MIXED[i % len(MIXED)]
        r = rng("mixed-p", dts, p)
        yield tcase("mixed-%s-p%s" % (mixed_id(dts), p), dts[0], "sum", [(2, 5)] * 3, r, {"p": p, "swap": True},
                    tags=["mixed", "p"], dtypes=dts)
    for i, (ename, eps) in enumerate([("eps0", 0.0), ("eps1e-3", 1e-3)]):
        dts = MIXED[(2 * i + 1) % len(MIXED)]
        r = rng("mixed-eps", dts, ename)
        yield tcase("mixed-%s-%s" % (mixed_id(dts), ename), dts[0], "mean", [(3, 4)] * 3, r, {"eps": eps},
                    tags=["mixed", "eps"], dtypes=dts)
    for i, (name, shapes) in enumerate([("bcast-1xD-anchor", [(1, 6), (4, 6), (4, 6)]),
                                        ("bcast-1xD-negative", [(4, 6), (4, 6), (1, 6)]),
                                        ("bcast-Nx1", [(4, 1), (4, 6), (4, 6)])]):
        dts = MIXED[(i + 3) % len(MIXED)]
        r = rng("mixed-bcast", dts, name)
        yield tcase("mixed-%s-%s" % (mixed_id(dts), name), dts[0], "mean", shapes, r, {"swap": True},
                    tags=["mixed", "broadcast"], dtypes=dts)
    # where the dtype decides: squares that overflow or underflow float32 but not float64
    a = [3e19, 0.0, 0.0, 1e-25, 0.0, 0.0, 1.0, 2.0, 3.0, 1e19, -1e19, 1.0]
    p_ = [-3e19, 0.0, 0.0, -1e-25, 0.0, 0.0, 1.0, 2.5, 3.0, 0.0, 0.0, 0.0]
    n_ = [1.0, 0.0, 0.0, 1e-25, 2e-25, 0.0, -1.0, 2.0, 3.0, 1e19, 1e19, 0.0]
    for dts in [("float32", "float32", "float64"), ("float64", "float32", "float32"), ("float32", "float64", "float64")]:
        yield tcase("mixed-%s-extreme" % mixed_id(dts), dts[0], "none", [(4, 3)] * 3, rng("mixed-extreme", dts),
                    {"swap": True, "eps": 0.0}, values=[a, p_, n_], tags=["mixed", "extreme"], dtypes=dts)
    r = rng("mixed-large")
    yield tcase("mixed-a64-p32-n32-large", "float64", "mean", [(4, 40)] * 3, r, {"swap": True}, tags=["mixed", "large"],
                dtypes=("float64", "float32", "float32"))

    # errors
    for name, shapes, kwargs, regex in [
            ("error-dims-2-1-2", [(3, 4), (4,), (3, 4)], {},
             r"All inputs should have same dimension|expected to have the same number of dimensions|"
             r"Dimension out of range"),
            ("error-shape", [(3, 4), (3, 5), (3, 4)], {},
             r"The size of tensor a \(4\) must match the size of tensor b \(5\) at non-singleton dimension 1"),
            ("error-reduction", [(3, 4)] * 3, {"reduction": "abc"}, r"abc is not a valid value for reduction"),
            ("error-reduction-none", [(3, 4)] * 3, {"reduction": None}, r"None is not a valid value for reduction"),
            ("error-reduction-and-margin", [(3, 4)] * 3, {"reduction": "abc", "margin": 0.0},
             r"abc is not a valid value for reduction")]:
        r = rng("error", name)
        red = kwargs.pop("reduction", "mean")
        yield tcase(name, "float32", red, shapes, r, kwargs, tags=["error"], error_regex=regex)
