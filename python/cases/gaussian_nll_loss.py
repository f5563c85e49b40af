"""Cases for F.gaussian_nll_loss (nn.GaussianNLLLoss): input, target and var, full, eps; var's
broadcast forms (input's shape, one dim fewer, last dim 1, and from torch 2.7 one other dim of 1),
target broadcasting, clamping at eps, extreme and non-finite values, the errors torch raises.

torch 1.7 has no gaussian_nll_loss (added in 1.8, pytorch#49807): available() is False there.
"""
from itertools import product

from cases.common import NONFINITE, logits, numel, sample, shape_id, tensor

FUNCTION = "gaussian_nll_loss"
ARGS = ("input", "target", "var")
GRADS = ("input", "var")
DTYPES = ("float32", "float64")
REDUCTIONS = ("none", "mean", "sum")
SHAPES = [(), (1,), (7,), (4, 3), (2, 3, 4), (0,), (0, 3), (8, 17)]

# var shapes one release accepts and another rejects (2.7+ takes one mismatched dim of size 1;
# 1.13 and 2.6 take a (1,) var for a 0-d input): those releases raise this for the case.
RELEASE_ERROR_REGEXES = (r"var is of incorrect size",)


def available(torch, F):
    return hasattr(F, "gaussian_nll_loss")


def bench_args(torch, gen, shape, dtype):
    """Positive variances, one per element."""
    return {"input": torch.randn(shape, generator=gen, dtype=dtype) * 2,
            "target": torch.randn(shape, generator=gen, dtype=dtype) * 2,
            "var": torch.rand(shape, generator=gen, dtype=dtype) * 3 + 0.1}, {}


def variances(rng, shape, low=0.05, high=3.0):
    return [rng.uniform(low, high) for _ in range(numel(shape))]


def gcase(variant, dtype, reduction, ishape, tshape, vshape, rng, kwargs=None, tags=(), error_regex=None,
          x=None, t=None, v=None, target_dtype=None, var_dtype=None):
    """A sample: input, target and var of the given shapes (seeded values unless given)."""
    kw = {"reduction": reduction}
    kw.update(kwargs or {})
    args = {"input": tensor(ishape, x if x is not None else logits(rng, ishape)),
            "target": tensor(tshape, t if t is not None else logits(rng, tshape), target_dtype),
            "var": tensor(vshape, v if v is not None else variances(rng, vshape), var_dtype)}
    return sample("%s/%s/%s/%s" % (dtype, reduction, variant, shape_id(ishape)), dtype, args, kw, tags=tags,
                  error_regex=error_regex)


# (name, input shape, target shape, var shape): var broadcast forms.
VAR_FORMS = [
    ("var-same", (6, 5), (6, 5), (6, 5)),
    ("var-unsqueezed-6", (6, 5), (6, 5), (6,)),
    ("var-last1-6x1", (6, 5), (6, 5), (6, 1)),
    ("var-unsqueezed-3x4", (3, 4, 5), (3, 4, 5), (3, 4)),
    ("var-last1-3x4x1", (3, 4, 5), (3, 4, 5), (3, 4, 1)),
    ("var-unsqueezed-0d", (7,), (7,), ()),
    ("var-last1-1", (7,), (7,), (1,)),
    ("var-same-0d", (), (), ()),
    ("var-unsqueezed-0", (0, 5), (0, 5), (0,)),
    ("var-last1-0x1", (0, 5), (0, 5), (0, 1)),
    # torch >= 2.7 (pytorch#147522): one other mismatched dim of size 1; earlier releases raise
    ("var-1x5", (6, 5), (6, 5), (1, 5)),
    ("var-3x1x5", (3, 4, 5), (3, 4, 5), (3, 1, 5)),
    ("var-1x4x5", (3, 4, 5), (3, 4, 5), (1, 4, 5)),
    ("var-1x5-empty", (0, 5), (0, 5), (1, 5)),
    # a (1,) var for a 0-d input: 1.13 and 2.6 accept it (the output grows to (1,)), 2.7+ raise
    ("var-1-for-0d", (), (), (1,)),
]

# (name, input shape, target shape, var shape): target (and input) broadcasting.
TARGET_FORMS = [
    ("target-6x1", (6, 5), (6, 1), (6, 5)),
    ("target-5", (6, 5), (5,), (6, 5)),
    ("target-0d", (6, 5), (), (6, 5)),
    ("target-1x5", (6, 5), (1, 5), (6,)),
    ("input-grows-5-to-6x5", (5,), (6, 5), (5,)),
    ("input-6x1-target-6x5", (6, 1), (6, 5), (6, 1)),
    ("input-6x1-target-6x5-var-6", (6, 1), (6, 5), (6,)),
    ("input-1x5-target-4x1", (1, 5), (4, 1), (1, 5)),
]


def cases(rng):
    for dtype, reduction, shape in product(DTYPES, REDUCTIONS, SHAPES):
        r = rng("basic", dtype, reduction, shape)
        yield gcase("basic", dtype, reduction, shape, shape, shape, r,
                    tags=["basic"] + (["empty"] if numel(shape) == 0 else []))

    for dtype, reduction in [("float32", "none"), ("float32", "mean"), ("float64", "mean")]:
        for name, ishape, tshape, vshape in VAR_FORMS:
            r = rng("var-form", dtype, reduction, name)
            yield gcase(name, dtype, reduction, ishape, tshape, vshape, r, tags=["var-broadcast"])

    for dtype, reduction in [("float32", "none"), ("float32", "mean"), ("float64", "none")]:
        for name, ishape, tshape, vshape in TARGET_FORMS:
            r = rng("target-form", dtype, reduction, name)
            yield gcase(name, dtype, reduction, ishape, tshape, vshape, r, tags=["target-broadcast"])

    for dtype, reduction in product(DTYPES, REDUCTIONS):
        r = rng("full", dtype, reduction)
        yield gcase("full", dtype, reduction, (5, 4), (5, 4), (5, 4), r, {"full": True}, tags=["full"])
        r = rng("full-unsqueezed", dtype, reduction)
        yield gcase("full-var-5", dtype, reduction, (5, 4), (5, 4), (5,), r, {"full": True}, tags=["full"])
    for dtype in DTYPES:
        r = rng("not-full", dtype)
        yield gcase("full-false", dtype, "sum", (3, 4), (3, 4), (3, 4), r, {"full": False}, tags=["full"])

    # clamping: var below eps (incl. 0), eps values
    for dtype, (ename, eps) in product(DTYPES, [("eps-0", 0.0), ("eps-0.25", 0.25), ("eps-1e-3", 1e-3),
                                                ("eps-1e-12", 1e-12), ("eps-2", 2.0)]):
        for reduction in ("none",) if dtype == "float32" else ("mean",):
            r = rng("eps", dtype, ename, reduction)
            v = [r.choice([0.0, 1e-13, 1e-9, 1e-6, 1e-4, 0.1, 0.25, 1.0, 3.0]) for _ in range(24)]
            yield gcase(ename, dtype, reduction, (4, 6), (4, 6), (4, 6), r, {"eps": eps}, v=v, tags=["eps"])
    for dtype in DTYPES:
        r = rng("eps-default-small-var", dtype)
        v = [0.0, 1e-45 if dtype == "float32" else 5e-324, 1e-8, 9.9e-7, 1e-6, 1.1e-6, 1e-5, 1.0] * 2
        yield gcase("small-var", dtype, "none", (16,), (16,), (16,), r, v=v, tags=["eps"])

    # extreme values: tiny and huge var, large differences, +-0
    for dtype, reduction in product(DTYPES, ("none", "sum")):
        big = 3e38 if dtype == "float32" else 1e300
        x = [0.0, -0.0, 1.0, -1.0, 1e4, -1e4, 1e19, big, -big, 17.0, 1e-3, 2.5]
        t = [0.0, 0.0, 1.0, 1.0, -1e4, 1e4, 0.0, 0.0, big, -17.0, 0.0, 2.5]
        v = [1.0, 1e-6, 1e-30, 1e30, 1.0, big, 1e-20, 1.0, 1.0, 1e-5, 1e-10, big]
        yield gcase("extreme", dtype, reduction, (12,), (12,), (12,), rng("extreme"), x=x, t=t, v=v, tags=["extreme"])

    # non-finite input, target and var
    inf = float("inf")
    nan = float("nan")
    for dtype, reduction in product(DTYPES, REDUCTIONS):
        x = NONFINITE * 3 + [1.0, 1.0, 1.0, 0.5]
        t = [0.0] * 3 + NONFINITE + [inf, inf, nan] + [1.0, inf, 1.0, 0.5]
        v = [1.0] * 9 + [inf, 1.0, nan, 0.5]
        yield gcase("nonfinite", dtype, reduction, (13,), (13,), (13,), rng("nonfinite"), x=x, t=t, v=v,
                    tags=["nonfinite"])

    # integer (torch.long) targets
    for dtype, reduction in product(DTYPES, ("none", "mean")):
        r = rng("int-target", dtype, reduction)
        yield gcase("int64-target", dtype, reduction, (4, 5), (4, 5), (4, 5), r, t=[r.randrange(-3, 4) for _ in range(20)],
                    target_dtype="int64", tags=["int-target"])

    # larger cases, where the order of the sums (forward and the broadcast gradients) shows
    r = rng("large", "var-inner")
    yield gcase("large-var-2x1", "float32", "mean", (2, 600), (2, 600), (2, 1), r, tags=["large"])
    r = rng("large", "var-unsqueezed-f64")
    yield gcase("large-var-2", "float64", "sum", (2, 300), (2, 300), (2,), r, tags=["large"])
    r = rng("large", "input-grows")
    yield gcase("large-input-grows-100-to-36x100", "float32", "sum", (100,), (36, 100), (100,), r, tags=["large"])
    r = rng("large", "var-outer")
    yield gcase("large-var-1x72", "float32", "mean", (20, 72), (20, 72), (1, 72), r, tags=["large"])
    r = rng("large", "var-middle")
    yield gcase("large-var-2x1x8x16", "float32", "sum", (2, 3, 8, 16), (2, 3, 8, 16), (2, 1, 8, 16), r, tags=["large"])
    r = rng("large", "var-0d")
    yield gcase("large-var-0d", "float32", "mean", (1000,), (1000,), (), r, tags=["large"])
    r = rng("large", "same")
    yield gcase("large-same", "float32", "mean", (8, 50), (8, 50), (8, 50), r, {"full": True}, tags=["large"])

    # errors
    for name, ishape, tshape, vshape, kwargs, v, regex in [
            ("error-var-size-3-for-2x3", (2, 3), (2, 3), (3,), {}, None, r"var is of incorrect size"),
            ("error-var-size-2x2", (2, 3), (2, 3), (2, 2), {}, None, r"var is of incorrect size"),
            ("error-var-size-1x1", (2, 3), (2, 3), (1, 1), {}, None, r"var is of incorrect size"),
            ("error-var-size-2x3x1", (2, 3), (2, 3), (2, 3, 1), {}, None, r"var is of incorrect size"),
            ("error-var-size-2x1-for-2", (2,), (2,), (2, 1), {}, None, r"var is of incorrect size"),
            ("error-var-negative", (2, 3), (2, 3), (2, 3), {}, [1.0, -0.5, 2.0, 1.0, 1.0, 1.0],
             r"var has negative entry/entries"),
            ("error-var-negative-and-size", (2, 3), (2, 3), (3,), {}, [1.0, -0.5, 2.0],
             r"var is of incorrect size|var has negative entry/entries"),
            ("error-var-negative-and-reduction", (2, 3), (2, 3), (2, 3), {"reduction": "abc"},
             [1.0, -0.5, 2.0, 1.0, 1.0, 1.0], r'abc"? is not valid|var has negative entry/entries'),
            ("error-var-size-and-reduction", (2, 3), (2, 3), (3,), {"reduction": "abc"}, None,
             r"var is of incorrect size"),
            ("error-reduction", (2, 3), (2, 3), (2, 3), {"reduction": "abc"}, None, r'abc"? is not valid'),
            ("error-reduction-elementwise-mean", (2, 3), (2, 3), (2, 3), {"reduction": "elementwise_mean"}, None,
             r'elementwise_mean"? is not valid'),
            ("error-reduction-none-value", (2, 3), (2, 3), (2, 3), {"reduction": None}, None,
             r"unsupported operand type\(s\) for \+: 'NoneType' and 'str'"),
            ("error-target-shape", (2, 3), (2, 2), (2, 3), {}, None,
             r"The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 1"),
            ("error-target-shape-3-vs-4", (3,), (4,), (3,), {}, None,
             r"The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 0"),
            # 2.7+ passes the size check (1 + 0 == 1) and fails broadcasting; before, "incorrect size"
            ("error-var-1x0", (2, 3), (2, 3), (1, 0), {}, None,
             r"var is of incorrect size|The size of tensor a \(3\) must match the size of tensor b \(0\) at non-singleton dimension 1"),
            ("error-eps-none", (2, 3), (2, 3), (2, 3), {"eps": None}, None,
             r"At least one of 'min' or 'max' must not be None")]:
        r = rng("error", name)
        red = kwargs.pop("reduction", "mean")
        yield gcase(name, "float32", red, ishape, tshape, vshape, r, kwargs, v=v, tags=["error"], error_regex=regex)
    r = rng("error", "int64-var")
    yield gcase("error-int64-var", "float32", "mean", (2, 3), (2, 3), (2, 3), r, v=[1, 2, 3, 1, 2, 3], var_dtype="int64",
                tags=["error"], error_regex=r"result type Float can't be cast to the desired output type")
