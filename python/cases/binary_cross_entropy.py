"""Cases for F.binary_cross_entropy (nn.BCELoss): inputs are probabilities in [0, 1]."""
from itertools import product

from cases.common import case, class_layouts, numel, positive, probabilities, targets

TENSOR_KWARGS = ("weight",)  # the golden file's kwargs, besides reduction
DTYPES = ("float32", "float64")
REDUCTIONS = ("none", "mean", "sum")
SHAPES = [(), (1,), (7,), (4, 3), (2, 3, 4), (0,), (0, 3), (8, 17)]


def call(F, input, target, weight, pos_weight, reduction):
    return F.binary_cross_entropy(input, target, weight=weight, reduction=reduction)


def bench_input(torch, gen, shape, dtype):
    return torch.rand(shape, generator=gen, dtype=dtype)


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

    for name, x, t, w, reduction in [
            ("input-above-1", [0.5, 1.5], [0.0, 1.0], None, "mean"),
            ("input-negative", [-0.25, 0.5], [0.0, 1.0], None, "none"),
            ("input-nan", [float("nan"), 0.5], [0.0, 1.0], None, "sum"),
            ("target-shape", [0.5, 0.5], [[0.0, 1.0]], None, "mean"),
            ("weight-shape", [[0.5, 0.5, 0.5]], [[0.0, 1.0, 1.0]], [1.0, 2.0], "mean"),
            ("reduction", [0.5, 0.5], [0.0, 1.0], None, "average")]:
        def shaped(v):
            return (((len(v), len(v[0])) if isinstance(v[0], list) else (len(v),)), [e for row in v for e in row] if isinstance(v[0], list) else v)
        yield case("error-" + name, "float32", reduction, shaped(x), shaped(t), weight=shaped(w) if w else None, tags=["error"])
