"""Cases for F.binary_cross_entropy_with_logits, in the manner of an OpInfo sample_inputs_ function.

cases(rng) yields case dicts; rng(*key) gives a Random seeded by the run's seed and the key, so a
case's values do not depend on the cases before it.
"""
from itertools import product

from cases.common import (NONFINITE, SCALES, case, class_layouts, extremes, logits, numel, positive,
                          quantized_logits, targets)

FUNCTION = "binary_cross_entropy_with_logits"
ARGS = ("input", "target")
GRADS = ("input",)
BENCH_KWARGS = ("weight", "pos_weight")  # the worker's benchmark passes these (per-class tensors)
DTYPES = ("float32", "float64")
REDUCTIONS = ("none", "mean", "sum")
SHAPES = [(), (1,), (7,), (4, 3), (2, 3, 4), (5, 1), (1, 6), (0,), (0, 3), (3, 0), (12, 20)]



def cases(rng):
    for dtype, reduction, shape in product(DTYPES, REDUCTIONS, SHAPES):
        r = rng("basic", dtype, reduction, shape)
        tags = ["soft-target"] + (["empty"] if numel(shape) == 0 else []) + (["0-d"] if shape == () else [])
        yield case("basic", dtype, reduction, (shape, logits(r, shape)), (shape, targets(r, shape, "soft")), tags=tags)

    for dtype, reduction, shape in product(DTYPES, REDUCTIONS, [(6,), (4, 5), (2, 3, 5)]):
        for name, wshape in class_layouts(shape):
            r = rng("weight", dtype, reduction, shape, name)
            yield case("weight-" + name, dtype, reduction, (shape, logits(r, shape)), (shape, targets(r, shape, "hard")),
                       weight=(wshape, positive(r, wshape)), tags=["weight", "hard-target"])

    for dtype, reduction in product(DTYPES, REDUCTIONS):
        shape = (4, 5)
        for name, pshape in [("scalar", ()), ("C", (5,)), ("1xC", (1, 5)), ("full", shape)]:
            r = rng("pos_weight", dtype, reduction, name)
            yield case("pos_weight-" + name, dtype, reduction, (shape, logits(r, shape)), (shape, targets(r, shape, "soft")),
                       pos_weight=(pshape, positive(r, pshape, 0.1, 10.0)), tags=["pos_weight", "soft-target"])
        for value in (0.0, 1e3):
            r = rng("pos_weight-value", dtype, reduction, value)
            yield case("pos_weight-%g" % value, dtype, reduction, (shape, logits(r, shape, 8.0)),
                       (shape, targets(r, shape, "soft")), pos_weight=((5,), [value] * 5), tags=["pos_weight", "soft-target"])
        for kind in ("hard", "soft"):
            r = rng("weight+pos_weight", dtype, reduction, kind)
            shape3 = (3, 4, 5)
            yield case("weight+pos_weight-" + kind, dtype, reduction, (shape3, logits(r, shape3)),
                       (shape3, targets(r, shape3, kind)), weight=((4, 5), positive(r, (4, 5))),
                       pos_weight=((5,), positive(r, (5,), 0.1, 10.0)), tags=["weight", "pos_weight", kind + "-target"])
        r = rng("outside-01", dtype, reduction)
        yield case("outside-01", dtype, reduction, ((6, 4), logits(r, (6, 4))), ((6, 4), targets(r, (6, 4), "outside")),
                   pos_weight=((4,), positive(r, (4,))), tags=["soft-target", "outside-01"])

    for dtype, scale, kind in product(DTYPES, SCALES, ("hard", "soft")):
        for reduction, with_pw in (("none", False), ("mean", True)):
            r = rng("scale", dtype, scale, kind, reduction)
            yield case("scale-%g-%s" % (scale, kind), dtype, reduction, ((8, 6), logits(r, (8, 6), scale)),
                       ((8, 6), targets(r, (8, 6), kind)),
                       pos_weight=((6,), positive(r, (6,), 0.1, 10.0)) if with_pw else None, tags=["scale", kind + "-target"])

    for dtype, target, pos_weight, reduction in product(DTYPES, (0.0, 1.0, 0.3), (None, 1e3), ("none", "sum")):
        values = extremes(dtype)
        yield case("extreme-t%g-pw%s" % (target, pos_weight), dtype, reduction, ((len(values),), values),
                   ((len(values),), [target] * len(values)),
                   pos_weight=((), [pos_weight]) if pos_weight is not None else None, tags=["extreme"])

    for dtype, reduction in product(DTYPES, REDUCTIONS):
        yield case("nonfinite", dtype, reduction, ((9,), NONFINITE * 3), ((9,), [0.0] * 3 + [1.0] * 3 + [0.5] * 3),
                   tags=["nonfinite"])
        r = rng("nonfinite-weight", dtype, reduction)
        yield case("nonfinite-weight", dtype, reduction, ((2, 3), logits(r, (2, 3))), ((2, 3), targets(r, (2, 3), "hard")),
                   weight=((3,), [float("inf"), 0.0, 1.0]), pos_weight=((3,), [1.0, float("inf"), 2.0]),
                   tags=["nonfinite", "weight", "pos_weight"])

    # Large cases, where the order of float32 accumulation matters.
    r = rng("large")
    yield case("large", "float32", "mean", ((32, 200), quantized_logits(r, (32, 200))), ((32, 200), targets(r, (32, 200), "hard")),
               weight=((200,), [1.0 + (i % 7) / 8 for i in range(200)]),
               pos_weight=((200,), [0.5 + (i % 5) / 4 for i in range(200)]), tags=["large", "weight", "pos_weight"])
    for dtype, reduction in product(DTYPES, ("mean", "sum")):
        r = rng("medium", dtype, reduction)
        yield case("medium", dtype, reduction, ((16, 64), quantized_logits(r, (16, 64))), ((16, 64), targets(r, (16, 64), "hard")),
                   tags=["large"])

    # Arguments torch rejects: the port must reject them too.
    for name, ishape, tshape, wshape, pshape, reduction, regex in [
            ("target-shape", (2, 4), (2, 3), None, None, "mean",
             r"Target size \(torch\.Size\(\[2, 3\]\)\) must be the same as input size \(torch\.Size\(\[2, 4\]\)\)"),
            ("target-numel", (6,), (2, 3), None, None, "none",
             r"Target size \(torch\.Size\(\[2, 3\]\)\) must be the same as input size \(torch\.Size\(\[6\]\)\)"),
            ("reduction", (2, 3), (2, 3), None, None, "average", r"average is not a valid value for reduction"),
            ("weight-shape", (2, 3), (2, 3), (4,), None, "mean",
             r"The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1"),
            ("weight-grows-input", (3,), (3,), (2, 3), None, "none",
             r"output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"),
            ("pos_weight-shape", (2, 3), (2, 3), None, (2,), "sum",
             r"The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 1")]:
        r = rng("error", name)
        yield case("error-" + name, "float32", reduction, (ishape, logits(r, ishape)), (tshape, targets(r, tshape, "hard")),
                   weight=(wshape, positive(r, wshape)) if wshape else None,
                   pos_weight=(pshape, positive(r, pshape)) if pshape else None, tags=["error"], error_regex=regex)

    # mixed float32 / float64 arguments: the loss is built in place on (1 - target), so it has the
    # target's dtype; log_weight = (pos_weight - 1) * target + 1 in result_type(pos_weight, target);
    # each op in its own dtype, the gradient cast to the input's
    for dtype, reduction in product(DTYPES, REDUCTIONS):
        o = _other(dtype)
        for name, td, ws, wd, ps, pd in [("target", o, None, None, None, None),
                                         ("weight", None, (4, 5), o, None, None),
                                         ("weight-C", None, (5,), o, None, None),
                                         ("pos_weight-C", None, None, None, (5,), o),
                                         ("target-pos_weight", o, None, None, (5,), dtype),
                                         ("all", o, (4, 1), o, (5,), o)]:
            r = rng("mixed", dtype, reduction, name)
            yield case("mixed-" + name, dtype, reduction, ((4, 5), logits(r, (4, 5), 4.0)), ((4, 5), targets(r, (4, 5), "soft")),
                       weight=(ws, positive(r, ws), wd) if ws else None, pos_weight=(ps, positive(r, ps), pd) if ps else None,
                       target_dtype=td, tags=["dtype", "mixed"])
    for dtype in DTYPES:
        o = _other(dtype)
        r = rng("mixed-0d", dtype)
        # 0-d pos_weight and weight of the other dtype against a dimensioned target: they enter the target's dtype
        yield case("mixed-0d-weights", dtype, "none", ((3, 4), logits(r, (3, 4), 4.0)), ((3, 4), targets(r, (3, 4), "soft")),
                   weight=((), [1.7], o), pos_weight=((), [3.3], o), tags=["dtype", "mixed"])
        yield case("mixed-0d-all", dtype, "mean", ((), [0.7]), ((), [0.3]), weight=((), [1.3], o), pos_weight=((), [2.9], o),
                   target_dtype=o, tags=["dtype", "mixed"])
        r = rng("mixed-extreme", dtype)
        values = extremes(dtype)
        yield case("mixed-extreme", dtype, "none", ((len(values),), values), ((len(values),), targets(r, (len(values),), "soft")),
                   pos_weight=((len(values),), positive(r, (len(values),)), o), target_dtype=o, tags=["dtype", "mixed", "extreme"])
    r = rng("mixed-large")
    yield case("mixed-large", "float32", "mean", ((16, 64), logits(r, (16, 64), 4.0)), ((16, 64), targets(r, (16, 64), "soft")),
               weight=((64,), positive(r, (64,)), "float64"), pos_weight=((64,), positive(r, (64,)), "float64"),
               tags=["dtype", "mixed", "large"])


def _other(dtype):
    return "float64" if dtype == "float32" else "float32"
