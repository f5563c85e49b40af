"""Cases for F.multilabel_soft_margin_loss, in the manner of an OpInfo sample_inputs_ function.

The class dim is the last one; a 1-D input is one sample (torch >= 1.11). The target broadcasts
against the input, as torch's composite does.
"""
from itertools import product

from cases.common import (NONFINITE, SCALES, case, class_layouts, extremes, logits, positive,
                          quantized_logits, targets)

FUNCTION = "multilabel_soft_margin_loss"
ARGS = ("input", "target")
GRADS = ("input",)
# 0-d input (every release), and 1-D input before 1.11 (which summed over dim 1).
DIM_RANGE = (r"Dimension specified as -1 but tensor has no dimensions"
             r"|Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)")
RELEASE_ERROR_REGEXES = (r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)",)
BENCH_KWARGS = ("weight",)  # the worker's benchmark passes these (per-class tensors)
DTYPES = ("float32", "float64")
REDUCTIONS = ("none", "mean", "sum")
SHAPES = [(5,), (1,), (0,), (4, 3), (1, 1), (6, 1), (2, 3, 4), (0, 3), (3, 0), (12, 20)]



def cases(rng):
    for dtype, reduction, shape in product(DTYPES, REDUCTIONS, SHAPES):
        r = rng("basic", dtype, reduction, shape)
        kind = "soft" if len(shape) % 2 else "hard"
        tags = [kind + "-target"] + (["empty"] if 0 in shape else []) + (["1-d"] if len(shape) == 1 else [])
        yield case("basic", dtype, reduction, (shape, logits(r, shape)), (shape, targets(r, shape, kind)), tags=tags)

    for dtype, reduction, shape in product(DTYPES, REDUCTIONS, [(6,), (4, 5), (2, 3, 5)]):
        for name, wshape in class_layouts(shape):
            r = rng("weight", dtype, reduction, shape, name)
            yield case("weight-" + name, dtype, reduction, (shape, logits(r, shape)), (shape, targets(r, shape, "soft")),
                       weight=(wshape, positive(r, wshape)), tags=["weight", "soft-target"])

    for dtype, reduction in product(DTYPES, REDUCTIONS):
        for name, tshape in [("C", (5,)), ("1xC", (1, 5)), ("Nx1", (4, 1))]:
            r = rng("target-broadcast", dtype, reduction, name)
            yield case("target-broadcast-" + name, dtype, reduction, ((4, 5), logits(r, (4, 5))),
                       (tshape, targets(r, tshape, "hard")), tags=["broadcast", "hard-target"])
        r = rng("outside-01", dtype, reduction)
        yield case("outside-01", dtype, reduction, ((6, 4), logits(r, (6, 4))), ((6, 4), targets(r, (6, 4), "outside")),
                   weight=((4,), positive(r, (4,))), tags=["outside-01"])
        x = [0.8, 0.9, 0.3] * 4
        yield case("classic", dtype, reduction, ((4, 3), x), ((4, 3), [1.0, 1.0, 0.0] * 4),
                   weight=((3,), [0.8, 1.0, 0.8]), tags=["weight", "hard-target", "classic"])

    # A target or weight that grows the input: torch broadcasts, sums over dim input.dim() - 1 of
    # the grown loss, and autograd sums the gradient back to the input's shape.
    for dtype, reduction in product(DTYPES, REDUCTIONS):
        for name, ishape, tshape, wshape in [("target-grows-input", (5,), (4, 5), None),
                                             ("weight-grows-input", (4, 5), (4, 5), (3, 4, 5)),
                                             ("both-grow-input", (5,), (3, 5), (2, 1, 5))]:
            r = rng(name, dtype, reduction)
            yield case(name, dtype, reduction, (ishape, logits(r, ishape)), (tshape, targets(r, tshape, "soft")),
                       weight=(wshape, positive(r, wshape)) if wshape else None, tags=["broadcast"])

    for dtype, scale, kind in product(DTYPES, SCALES, ("hard", "soft")):
        r = rng("scale", dtype, scale, kind)
        yield case("scale-%g-%s" % (scale, kind), dtype, "none", ((8, 6), logits(r, (8, 6), scale)),
                   ((8, 6), targets(r, (8, 6), kind)), tags=["scale", kind + "-target"])
        r = rng("scale-mean", dtype, scale, kind)
        yield case("scale-%g-%s" % (scale, kind), dtype, "mean", ((8, 6), logits(r, (8, 6), scale)),
                   ((8, 6), targets(r, (8, 6), kind)), weight=((6,), positive(r, (6,))), tags=["scale", kind + "-target", "weight"])

    for dtype, target, reduction in product(DTYPES, (0.0, 1.0, 0.3), ("none", "sum")):
        values = extremes(dtype)
        shape = (len(values) // 4, 4)
        yield case("extreme-t%g" % target, dtype, reduction, (shape, values), (shape, [target] * len(values)),
                   tags=["extreme"])

    for dtype, reduction in product(DTYPES, REDUCTIONS):
        yield case("nonfinite", dtype, reduction, ((3, 3), NONFINITE * 3), ((3, 3), [0.0] * 3 + [1.0] * 3 + [0.5] * 3),
                   tags=["nonfinite"])
        r = rng("nonfinite-weight", dtype, reduction)
        yield case("nonfinite-weight", dtype, reduction, ((2, 3), logits(r, (2, 3))), ((2, 3), targets(r, (2, 3), "hard")),
                   weight=((3,), [float("inf"), 0.0, 1.0]), tags=["nonfinite", "weight"])

    # Large cases, where the order of float32 accumulation matters.
    r = rng("large")
    yield case("large", "float32", "mean", ((32, 200), quantized_logits(r, (32, 200))), ((32, 200), targets(r, (32, 200), "hard")),
               weight=((200,), [1.0 + (i % 7) / 8 for i in range(200)]), tags=["large", "weight"])
    for dtype, reduction in product(DTYPES, ("none", "sum")):
        r = rng("medium", dtype, reduction)
        yield case("medium", dtype, reduction, ((16, 64), quantized_logits(r, (16, 64))), ((16, 64), targets(r, (16, 64), "hard")),
                   tags=["large"])

    # Arguments torch rejects: the port must reject them too.
    for name, ishape, tshape, wshape, reduction, regex in [
            ("0-d-input", (), (), None, "mean", DIM_RANGE),
            ("target-shape", (4, 3), (4, 2), None, "mean",
             r"The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 1"),
            ("weight-shape", (4, 3), (4, 3), (2,), "none",
             r"The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 1"),
            ("reduction", (4, 3), (4, 3), None, "average", r"average is not valid")]:
        r = rng("error", name)
        yield case("error-" + name, "float32", reduction, (ishape, logits(r, ishape)), (tshape, targets(r, tshape, "hard")),
                   weight=(wshape, positive(r, wshape)) if wshape else None, tags=["error"], error_regex=regex)

    # mixed float32 / float64: functional.py's ops out of place, each in its operands' result_type
    # (the loss float64 wherever a dimensioned float64 argument enters); the gradient cast to the input's
    for dtype, reduction in product(DTYPES, REDUCTIONS):
        o = _other(dtype)
        for name, td, ws, wd in [("target", o, None, None), ("weight-C", None, (5,), o), ("weight", None, (4, 5), o),
                                 ("weight-0d", None, (), o), ("target-weight", o, (5,), dtype), ("all", o, (1, 5), o)]:
            r = rng("mixed", dtype, reduction, name)
            yield case("mixed-" + name, dtype, reduction, ((4, 5), logits(r, (4, 5), 4.0)), ((4, 5), targets(r, (4, 5), "soft")),
                       weight=(ws, positive(r, ws), wd) if ws is not None else None, target_dtype=td, tags=["dtype", "mixed"])
    for dtype in DTYPES:
        o = _other(dtype)
        r = rng("mixed-bcast", dtype)
        yield case("mixed-target-C", dtype, "mean", ((3, 6), logits(r, (3, 6), 4.0)), ((6,), targets(r, (6,), "soft")),
                   target_dtype=o, tags=["dtype", "mixed", "broadcast"])
        yield case("mixed-target-0d", dtype, "sum", ((3, 6), logits(r, (3, 6), 4.0)), ((), [0.3]),
                   weight=((6,), positive(r, (6,)), o), target_dtype=o, tags=["dtype", "mixed", "broadcast"])
        yield case("mixed-3d", dtype, "none", ((2, 3, 4), logits(r, (2, 3, 4), 4.0)), ((2, 3, 4), targets(r, (2, 3, 4), "soft")),
                   weight=((4,), positive(r, (4,)), o), tags=["dtype", "mixed"])
    r = rng("mixed-large")
    yield case("mixed-large", "float32", "mean", ((12, 70), logits(r, (12, 70), 4.0)), ((12, 70), targets(r, (12, 70), "soft")),
               weight=((70,), positive(r, (70,)), "float64"), tags=["dtype", "mixed", "large"])


def _other(dtype):
    return "float64" if dtype == "float32" else "float32"
