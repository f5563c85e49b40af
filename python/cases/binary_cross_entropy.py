"""Cases for F.binary_cross_entropy (nn.BCELoss): inputs are probabilities in [0, 1]."""
from itertools import product

from cases.common import case, class_layouts, numel, positive, probabilities, targets

FUNCTION = "binary_cross_entropy"
ARGS = ("input", "target")
GRADS = ("input",)
# Raised where a release checks what another does not: targets outside [0, 1] (2.x, not 1.13).
RELEASE_ERROR_REGEXES = (r"all elements of target should be between 0 and 1",)
BENCH_KWARGS = ("weight",)  # the worker's benchmark passes these (per-class tensors)
DTYPES = ("float32", "float64")
REDUCTIONS = ("none", "mean", "sum")
SHAPES = [(), (1,), (7,), (4, 3), (2, 3, 4), (0,), (0, 3), (8, 17)]



def bench_args(torch, gen, shape, dtype):
    """Probabilities in, 0/1 targets, a per-class weight."""
    args = {"input": torch.rand(shape, generator=gen, dtype=dtype),
            "target": (torch.rand(shape, generator=gen, dtype=dtype) < 0.5).to(dtype)}
    return args, {"weight": torch.rand((shape[-1],), generator=gen, dtype=dtype) + 0.5}


def cases(rng):
    for dtype, reduction, shape in product(DTYPES, REDUCTIONS, SHAPES):
        for kind in ("hard", "soft"):
            r = rng("basic", dtype, reduction, shape, kind)
            yield case("basic-" + kind, dtype, reduction, (shape, probabilities(r, shape)), (shape, targets(r, shape, kind)),
                       tags=[kind + "-target"] + (["empty"] if numel(shape) == 0 else []))

    for dtype, reduction, shape in product(DTYPES, REDUCTIONS, [(6,), (4, 5), (2, 3, 5)]):
        for name, wshape in class_layouts(shape):
            r = rng("weight", dtype, reduction, shape, name)
            yield case("weight-" + name, dtype, reduction, (shape, probabilities(r, shape)), (shape, targets(r, shape, "soft")),
                       weight=(wshape, positive(r, wshape)), tags=["weight", "soft-target"])

    # The ends of [0, 1]: log clamps at -100, the backward's denominator at 1e-12.
    ends = [0.0, 1.0, 1e-45, 1e-40, 3e-44, 1e-30, 1e-7, 0.5, 1 - 1e-7, 0.99999994, 1 - 1e-16, 2.2e-308]
    for dtype, target, reduction in product(DTYPES, (0.0, 1.0, 0.25), ("none", "sum")):
        yield case("extreme-t%g" % target, dtype, reduction, ((len(ends),), ends), ((len(ends),), [target] * len(ends)),
                   tags=["extreme"])

    # torch 1.13 computes with targets outside [0, 1]; torch 2.x rejects them.
    for dtype in DTYPES:
        r = rng("target-outside-01", dtype)
        yield case("target-outside-01", dtype, "mean", ((3, 4), probabilities(r, (3, 4))), ((3, 4), targets(r, (3, 4), "outside")),
                   tags=["outside-01"])

    r = rng("large")
    yield case("large", "float32", "mean", ((16, 128), [round(v * 256) / 256 for v in probabilities(r, (16, 128))]),
               ((16, 128), targets(r, (16, 128), "hard")), weight=((128,), [1.0 + (i % 7) / 8 for i in range(128)]),
               tags=["large", "weight"])

    # Small probabilities against a large weight: before torch 2.0 the kernel takes log(1 - x) of the
    # rounded 1 - x (0 below x = 2^-25 in float32), from 2.0 log1p(-x) (torchRelease.bceUsesLog1p).
    for dtype, reduction in product(DTYPES, ("none", "sum")):
        r = rng("small-probabilities", dtype, reduction)
        xs = [10 ** (-9 + 5 * r.random()) for _ in range(64)]
        yield case("small-probabilities", dtype, reduction, ((64,), xs), ((64,), [0.0] * 48 + [1.0] * 16),
                   weight=((64,), [1e4] * 64), tags=["extreme", "weight"])

    input_range = r"all elements of input should be between 0 and 1"
    for name, x, t, w, reduction, regex in [
            ("input-above-1", [0.5, 1.5], [0.0, 1.0], None, "mean", input_range),
            ("input-negative", [-0.25, 0.5], [0.0, 1.0], None, "none", input_range),
            ("input-nan", [float("nan"), 0.5], [0.0, 1.0], None, "sum", input_range),
            ("target-shape", [0.5, 0.5], [[0.0, 1.0]], None, "mean",
             r"Using a target size \(torch\.Size\(\[1, 2\]\)\) that is different to the input size \(torch\.Size\(\[2\]\)\) is deprecated"),
            # 1.x: the broadcast of weight * loss; 2.x: expand_as in binary_cross_entropy's weight check.
            ("weight-shape", [[0.5, 0.5, 0.5]], [[0.0, 1.0, 1.0]], [1.0, 2.0], "mean",
             r"The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 1"
             r"|Attempting to broadcast a dimension of length 2 at -1"),
            ("reduction", [0.5, 0.5], [0.0, 1.0], None, "average", r"average is not a valid value for reduction")]:
        def shaped(v):
            return (((len(v), len(v[0])) if isinstance(v[0], list) else (len(v),)), [e for row in v for e in row] if isinstance(v[0], list) else v)
        yield case("error-" + name, "float32", reduction, shaped(x), shaped(t), weight=shaped(w) if w else None, tags=["error"],
                   error_regex=regex)

    # mixed float32 / float64: a weight of the other dtype (loss.mul_(weight) in place: the input's
    # dtype); a target of the other dtype is refused by the kernel's TensorIterator
    for dtype, reduction in product(DTYPES, REDUCTIONS):
        o = _other(dtype)
        for name, shape, ws in [("weight", (4, 5), (4, 5)), ("weight-C", (4, 5), (5,)), ("weight-Nx1", (4, 5), (4, 1)),
                                ("weight-0d", (4, 5), ()), ("weight-0d-input", (), ())]:
            r = rng("mixed", dtype, reduction, name)
            yield case("mixed-" + name, dtype, reduction, (shape, probabilities(r, shape)), (shape, targets(r, shape, "soft")),
                       weight=(ws, positive(r, ws), o), tags=["dtype", "mixed"])
    for dtype in DTYPES:
        o = _other(dtype)
        r = rng("mixed-edges", dtype)
        # x where (1 - x) x falls below the float EPSILON, 0 and 1 (the -100 clamp), tiny x
        xs = [0.0, 1.0, 1e-30, 1 - 2 ** -24, 0.5, 1e-7, 0.999, 2 ** -40]
        yield case("mixed-edges", dtype, "none", ((8,), xs), ((8,), targets(r, (8,), "soft")),
                   weight=((8,), positive(r, (8,)), o), tags=["dtype", "mixed", "extreme"])
        r = rng("mixed-target", dtype)
        yield case("mixed-target", dtype, "mean", ((3, 4), probabilities(r, (3, 4))), ((3, 4), targets(r, (3, 4), "soft")),
                   target_dtype=o, tags=["dtype", "mixed", "error"],
                   error_regex=r"Found dtype %s but expected %s" % (("Double", "Float") if dtype == "float32" else ("Float", "Double")))


def _other(dtype):
    return "float64" if dtype == "float32" else "float32"
