"""Cases for F.multilabel_margin_loss (nn.MultiLabelMarginLoss): targets are class indices (long),
each row ended by the first -1; entries after it are ignored but must still be in range."""
from itertools import product

from cases import common
from cases.common import NONFINITE, SCALES, extremes, label_rows, logits

FUNCTION = "multilabel_margin_loss"
ARGS = ("input", "target")
GRADS = ("input",)
BENCH_KWARGS = ()  # the worker's benchmark passes these (per-class tensors)
DTYPES = ("float32", "float64")
REDUCTIONS = ("none", "mean", "sum")
SHAPES = [(), (1,), (5,), (1, 1), (4, 3), (6, 8), (8, 17)]



def bench_args(torch, gen, shape, dtype):
    """Label rows ended by -1 a quarter of the way along."""
    rows, classes = shape
    labels = torch.randint(0, classes, shape, generator=gen)
    labels[:, classes // 4] = -1
    return {"input": torch.randn(shape, generator=gen, dtype=dtype) * 3, "target": labels}, {}


# 1.7: "non-empty vector or matrix expected, got size: "; from 1.8 (pytorch#46975) the 0-dim batch is allowed.
NOT_A_MATRIX = r"(?:non-empty vector or matrix expected, got size: |Expected non-empty vector or matrix with optional 0-dim batch size, but got: )"
RELEASE_ERROR_REGEXES = (r"non-empty vector or matrix expected, got size: \[0, 4\]",)


def case(*args, **kwargs):
    """Targets are class indices: torch.long."""
    return common.case(*args, target_dtype="int64", **kwargs)


def rows_classes(shape):
    return (shape[0], shape[1]) if len(shape) == 2 else (1, shape[0] if shape else 1)


def cases(rng):
    for dtype, reduction, shape in product(DTYPES, REDUCTIONS, SHAPES):
        for style in ("random", "full", "empty"):
            r = rng("basic", dtype, reduction, shape, style)
            rows, classes = rows_classes(shape)
            yield case("basic-" + style, dtype, reduction, (shape, logits(r, shape)), (shape, label_rows(r, rows, classes, style)),
                       tags=["labels-" + style] + (["0-d"] if shape == () else []))

    for dtype, scale in product(DTYPES, SCALES):
        for reduction in ("none", "mean"):
            r = rng("scale", dtype, scale, reduction)
            yield case("scale-%g" % scale, dtype, reduction, ((8, 6), logits(r, (8, 6), scale)), ((8, 6), label_rows(r, 8, 6)),
                       tags=["scale"])

    for dtype, reduction in product(DTYPES, ("none", "sum")):
        values = extremes(dtype)
        shape = (len(values) // 4, 4)
        r = rng("extreme", dtype, reduction)
        yield case("extreme", dtype, reduction, (shape, values), (shape, label_rows(r, shape[0], 4)), tags=["extreme"])
        yield case("nonfinite", dtype, reduction, ((3, 3), NONFINITE * 3), ((3, 3), [0, -1, 2, 2, 1, -1, 1, 0, 2]),
                   tags=["nonfinite"])
        yield case("duplicate-labels", dtype, reduction, ((2, 4), [0.1, 0.2, 0.4, 0.8, -1.0, 2.0, 0.5, 0.0]),
                   ((2, 4), [3, 3, -1, 1, 0, 0, 0, 0]), tags=["duplicates"])

    # An empty batch: 'none' only (torch's mean and sum of an empty batch read uninitialised memory).
    for dtype in DTYPES:
        yield case("empty-batch", dtype, "none", ((0, 4), []), ((0, 4), []), tags=["empty"])

    r = rng("large")
    yield case("large", "float32", "mean", ((16, 128), [round(v * 64) / 64 for v in logits(r, (16, 128))]),
               ((16, 128), label_rows(r, 16, 128)), tags=["large"])

    out_of_range = r"argument #2 'target' is out of range"
    for name, ishape, labels, tshape, reduction, regex in [
            ("index-equals-C", (1, 4), [4, 0, -1, 1], (1, 4), "mean", out_of_range),
            ("index-below-minus-1", (1, 4), [-2, 0, -1, 1], (1, 4), "mean", out_of_range),
            ("index-after-end-out-of-range", (1, 4), [1, -1, 7, 0], (1, 4), "sum", out_of_range),
            # 1.x: "inconsistent size [2, 4] for argument #2 'target'"; 2.x names both shapes.
            ("target-shape", (2, 3), [0, -1, 1, 2, 0, -1, 1, 1], (2, 4), "mean",
             r"inconsistent size \[2, 4\] for argument #2 'target'|inconsistent target size: \[2, 4\] for input of size: \[2, 3\]"),
            ("input-3-d", (2, 3, 4), [0] * 24, (2, 3, 4), "mean", NOT_A_MATRIX + r"\[2, 3, 4\]"),
            ("empty-classes", (2, 0), [], (2, 0), "mean", NOT_A_MATRIX + r"\[2, 0\]"),
            ("reduction", (2, 3), [0, -1, 1, 2, 0, -1], (2, 3), "average", r"average is not a valid value for reduction")]:
        r = rng("error", name)
        yield case("error-" + name, "float32", reduction, (ishape, logits(r, ishape)), (tshape, labels), tags=["error"], error_regex=regex)
