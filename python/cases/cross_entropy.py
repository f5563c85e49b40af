"""Cases for F.cross_entropy (nn.CrossEntropyLoss): logits with class-index targets (torch.long) or,
shaped like the input, class-probability targets (torch >= 1.10); every shape it takes ((C) with a
0-d target, (N, C), (N, C, d1, ..., dk), empty batches and maps), weight, ignore_index,
label_smoothing (torch >= 1.10), every reduction, both dtypes; rows long and short enough to show
log_softmax's lane order (8-lane vectors, the tail, the pairwise fold), K-dim maps with a vector
part and a scalar tail (the inner-dim kernel), extremes and non-finite logits, and every argument
error, with the messages 1.7 (functional.py: nll_loss(log_softmax(input, 1))) raises instead."""
import math
from itertools import product

from cases.common import FLOAT32_EXTREMES, FLOAT64_EXTREMES, NONFINITE, numel, sample, shape_id, tensor

FUNCTION = "cross_entropy"
ARGS = ("input", "target")
GRADS = ("input",)
DTYPES = ("float32", "float64")
REDUCTIONS = ("none", "mean", "sum")

# What older releases raise for cases newer ones accept:
RELEASE_ERROR_REGEXES = (
    # < 1.10: no label_smoothing keyword
    r"cross_entropy\(\) got an unexpected keyword argument 'label_smoothing'",
    # log_softmax(input, 1) of a (C) input: before 1.11 (class indices) / 1.12 (probabilities)
    r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)",
    # < 1.10: a float target shaped like the input reaches nll_loss / nll_loss2d
    r"1D target tensor expected, multi-target not supported",
    r"Expected target size \(\d+(, \d+)*\), got torch\.Size",
    r"only batches of spatial targets supported \(3D tensors\) but got targets of dimension: \d",
    r"expected scalar type Long but found (Float|Double)",
)

# (input shape, class-index target shape)
SHAPES = [((5,), ()), ((1,), ()), ((4, 3), (4,)), ((3, 13), (3,)), ((2, 40), (2,)), ((0, 3), (0,)), ((2, 5, 9), (2, 9)),
          ((2, 3, 2, 3), (2, 2, 3)), ((2, 3, 2, 1, 2), (2, 2, 1, 2)), ((2, 3, 0), (2, 0)), ((0, 3, 4), (0, 4))]
SMOOTHING_SHAPES = [((5,), ()), ((4, 3), (4,)), ((3, 13), (3,)), ((2, 40), (2,)), ((0, 3), (0,)), ((2, 5, 9), (2, 9)),
                    ((2, 3, 2, 3), (2, 2, 3))]
PROBABILITY_SHAPES = [(5,), (4, 3), (3, 13), (2, 40), (0, 3), (2, 5, 9), (2, 3, 2, 3), (2, 3, 0)]
# The shapes the less central variants (float64, the second options) run on.
FEW = [(5,), (4, 3), (2, 40), (0, 3), (2, 5, 9), (2, 3, 2, 3)]
FEW64 = [(5,), (4, 3), (2, 40), (2, 5, 9)]  # float64: 'none' and 'mean' only


def bench_args(torch, gen, shape, dtype):
    """As scripts/bench.ts draws them: logits (randn * 3), uniform class indices, a per-class weight
    in [0.5, 1.5) (the registry's tensorKwargs: the port's row passes one)."""
    rows, classes = shape
    return ({"input": torch.randn(shape, generator=gen, dtype=dtype) * 3,
             "target": torch.randint(0, classes, (rows,), generator=gen)},
            {"weight": torch.rand((classes,), generator=gen, dtype=dtype) + 0.5})


def classes_of(shape):
    return shape[0] if len(shape) == 1 else shape[1]


def logit_values(r, n, scale=3.0):
    return [r.gauss(0.0, 1.0) * scale for _ in range(n)]


def labels(r, n, classes, ignore, p_ignored=0.2):
    return [ignore if classes == 0 or r.random() < p_ignored else r.randrange(classes) for _ in range(n)]


def weights(r, classes):
    return [round(r.uniform(0.1, 3.0) * 64) / 64 for _ in range(classes)]


def distributions(r, shape, kind):
    """Probability targets shaped like the input: 'softmax' rows over the class dim (Python's exp,
    normalized), 'uniform' values in [0, 1) (torch does not require them to sum to 1), 'signed'."""
    n = numel(shape)
    if kind == "uniform":
        return [r.random() for _ in range(n)]
    if kind == "signed":
        return [r.uniform(-0.5, 1.5) for _ in range(n)]
    if n == 0:
        return []
    cdim = 0 if len(shape) == 1 else 1
    classes = shape[cdim]
    inner = numel(shape[cdim + 1:])
    raw = [math.exp(r.gauss(0.0, 1.5)) for _ in range(n)]
    out = list(raw)
    for o in range(n // (classes * inner)):
        for j in range(inner):
            idx = [o * classes * inner + c * inner + j for c in range(classes)]
            total = sum(raw[i] for i in idx)
            for i in idx:
                out[i] = raw[i] / total
    return out


DEFAULT = "(default)"


def ce(id, dtype, input, target, reduction=DEFAULT, weight=None, tags=(), error_regex=None, target_dtype="int64", **kwargs):
    """A sample from (shape, values) pairs (or tensor(...)s); the target is int64 unless target_dtype
    says otherwise (None: the case's dtype, a probability target); reduction DEFAULT passes none."""
    kw = {} if reduction == DEFAULT else {"reduction": reduction}
    if weight is not None:
        kw["weight"] = weight if not isinstance(weight, tuple) else tensor(*weight)
    kw.update(kwargs)
    target = target if not isinstance(target, tuple) else tensor(target[0], target[1], target_dtype)
    input = input if not isinstance(input, tuple) else tensor(*input)
    return sample(id, dtype, {"input": input, "target": target}, kw, tags=tags, error_regex=error_regex)


def shape_tags(shape):
    tags = ["empty"] if numel(shape) == 0 else []
    tags += ["no-batch"] if len(shape) == 1 else ["k-dim"] if len(shape) > 2 else []
    return tags


def cases(rng):
    # Class indices: weight, ignore_index (the default -100, a class, a negative one).
    for dtype, reduction, (ishape, tshape) in product(DTYPES, REDUCTIONS, SHAPES):
        for wkind, ignore in [("noweight", None), ("weight", 1), ("noweight", -1)]:
            if (dtype == "float64" and ((wkind, ignore) != ("weight", 1) or ishape not in FEW64 or reduction == "sum")) or (
                    ignore == -1 and ishape not in FEW):
                continue
            classes = classes_of(ishape)
            if classes == 0 and wkind != "noweight":
                continue
            r = rng("indices", dtype, reduction, ishape, wkind, ignore)
            target = labels(r, numel(tshape), classes, -100 if ignore is None else ignore)
            weight = None if wkind == "noweight" else ((classes,), weights(r, classes))
            kw = {} if ignore is None else {"ignore_index": ignore}
            variant = wkind + ("" if ignore is None else "/ignore%d" % ignore)
            yield ce("%s/%s/indices/%s/%s" % (dtype, reduction, variant, shape_id(ishape)), dtype,
                     (ishape, logit_values(r, numel(ishape))), (tshape, target), reduction, weight,
                     tags=["indices", "weight" if weight else "no-weight"] + (["ignore-index"] if ignore is not None else []) +
                     shape_tags(ishape), **kw)

    # Class indices with label smoothing: the smoothing term per release (ignored targets, the
    # 'mean' divisor, the gradient's scalar products).
    for dtype, reduction, (ishape, tshape), ls in product(DTYPES, REDUCTIONS, SMOOTHING_SHAPES, (0.1, 0.5, 1.0)):
        options = {0.1: [("noweight", None), ("weight", 2), ("noweight", -1)], 0.5: [("weight", None)], 1.0: [("noweight", 2)]}[ls]
        if dtype == "float64":
            options = [("weight", 2)] if ls == 0.1 else []
        if ls != 0.1:
            options = options if ishape in FEW else []
        if dtype == "float64" and (ishape not in FEW64 or reduction == "sum"):
            options = []
        for wkind, ignore in options:
            if ignore == -1 and ishape not in FEW:
                continue
            classes = classes_of(ishape)
            r = rng("smoothing", dtype, reduction, ishape, ls, wkind, ignore)
            target = labels(r, numel(tshape), classes, -100 if ignore is None else ignore, 0.25)
            weight = None if wkind == "noweight" else ((classes,), weights(r, classes))
            kw = {"label_smoothing": ls}
            if ignore is not None:
                kw["ignore_index"] = ignore
            variant = "smoothing%g/%s%s" % (ls, wkind, "" if ignore is None else "/ignore%d" % ignore)
            yield ce("%s/%s/%s/%s" % (dtype, reduction, variant, shape_id(ishape)), dtype,
                     (ishape, logit_values(r, numel(ishape))), (tshape, target), reduction, weight,
                     tags=["label-smoothing", "weight" if weight else "no-weight"] + shape_tags(ishape), **kw)

    # Class probabilities (torch >= 1.10), with and without weight and label smoothing.
    for dtype, reduction, ishape in product(DTYPES, REDUCTIONS, PROBABILITY_SHAPES):
        for kind, wkind, ls in [("softmax", "noweight", None), ("uniform", "weight", None),
                                ("softmax" if len(ishape) != 2 else "signed", "weight", 0.25)]:
            if (dtype == "float64" and (kind != "uniform" or ishape not in FEW64 or reduction == "sum")) or (
                    kind == "uniform" and ishape not in FEW):
                continue
            classes = classes_of(ishape)
            r = rng("probabilities", dtype, reduction, ishape, kind, wkind, ls)
            weight = None if wkind == "noweight" else ((classes,), weights(r, classes))
            kw = {} if ls is None else {"label_smoothing": ls}
            variant = "probabilities-%s/%s%s" % (kind, wkind, "" if ls is None else "/smoothing%g" % ls)
            yield ce("%s/%s/%s/%s" % (dtype, reduction, variant, shape_id(ishape)), dtype,
                     (ishape, logit_values(r, numel(ishape))), (ishape, distributions(r, ishape, kind)), reduction, weight,
                     tags=["probabilities", "weight" if weight else "no-weight"] + shape_tags(ishape), target_dtype=None, **kw)

    # Logit scales: rows dominated by one class, nearly uniform rows.
    for dtype, scale in [("float32", 0.01), ("float32", 30.0), ("float32", 1e3), ("float64", 1e3)]:
        r = rng("scale", dtype, scale)
        yield ce("%s/mean/scale-%g/indices/6x17" % (dtype, scale), dtype, ((6, 17), logit_values(r, 102, scale)),
                 ((6,), labels(r, 6, 17, -100, 0.0)), "mean", tags=["scale"])
        yield ce("%s/none/scale-%g/smoothing0.2/3x5x10" % (dtype, scale), dtype, ((3, 5, 10), logit_values(r, 150, scale)),
                 ((3, 10), labels(r, 30, 5, -100, 0.1)), "none", tags=["scale", "label-smoothing", "k-dim"], label_smoothing=0.2)

    # Extremes and non-finite logits, each in a row (and a map) of its own with ordinary values.
    for dtype, reduction in product(DTYPES, REDUCTIONS):
        if dtype == "float64" and reduction == "sum":
            continue
        values = (FLOAT32_EXTREMES if dtype == "float32" else FLOAT64_EXTREMES) + NONFINITE
        n = len(values)
        r = rng("extreme", dtype, reduction)
        rows = []
        for v in values:
            rows += [v] + logit_values(r, 3)
        yield ce("%s/%s/extreme/indices/%s" % (dtype, reduction, shape_id((n, 4))), dtype, ((n, 4), rows),
                 ((n,), [i % 4 for i in range(n)]), reduction, tags=["extreme", "nonfinite"])
        yield ce("%s/%s/extreme/smoothing0.3/%s" % (dtype, reduction, shape_id((n, 4))), dtype, ((n, 4), rows),
                 ((n,), [(i + 1) % 4 for i in range(n)]), reduction, tags=["extreme", "nonfinite", "label-smoothing"],
                 label_smoothing=0.3)
        yield ce("%s/%s/extreme/probabilities/%s" % (dtype, reduction, shape_id((n, 4))), dtype, ((n, 4), rows),
                 ((n, 4), distributions(r, (n, 4), "softmax")), reduction, tags=["extreme", "nonfinite", "probabilities"],
                 target_dtype=None)
        # the extremes along the class dim of a K-dim input (the inner-dim kernel's max and sum)
        yield ce("%s/%s/extreme/indices-k-dim/%s" % (dtype, reduction, shape_id((1, 4, n))), dtype, ((1, 4, n), rows),
                 ((1, n), [i % 4 for i in range(n)]), reduction, tags=["extreme", "nonfinite", "k-dim"])
    for dtype in DTYPES:
        big = 3e38 if dtype == "float32" else 1e308
        for name, row in [("all-minus-inf", [-math.inf] * 4), ("plus-inf-twice", [math.inf, 0.0, math.inf, 1.0]),
                          ("minus-inf-target", [-math.inf, 0.0, 1.0, 2.0]), ("huge-spread", [big, -big, 0.0, 1.0]),
                          ("nan-first", [math.nan, 0.0, 1.0, 2.0]), ("signed-zeros", [0.0, -0.0, -0.0, 0.0])]:
            yield ce("%s/mean/row-%s/indices/2x4" % (dtype, name), dtype, ((2, 4), row + [0.5, -0.5, 1.5, 0.0]), ((2,), [0, 3]),
                     "mean", tags=["extreme", "nonfinite"])
            yield ce("%s/sum/row-%s/indices-k-dim/1x4x2" % (dtype, name), dtype,
                     ((1, 4, 2), [v for pair in zip(row, [0.5, -0.5, 1.5, 0.0]) for v in pair]), ((1, 2), [0, 3]), "sum",
                     tags=["extreme", "nonfinite", "k-dim"])
        for wname, w in [("inf", math.inf), ("nan", math.nan), ("zero", 0.0), ("negative", -1.25)]:
            r = rng("weight-extreme", dtype, wname)
            yield ce("%s/mean/weight-%s/smoothing0.1/4x3" % (dtype, wname), dtype, ((4, 3), logit_values(r, 12)), ((4,), [0, 1, 2, 1]),
                     "mean", ((3,), [w, 0.5, 1.5]), tags=["extreme", "weight", "label-smoothing"], label_smoothing=0.1)
            yield ce("%s/sum/weight-%s/probabilities/4x3" % (dtype, wname), dtype, ((4, 3), logit_values(r, 12)),
                     ((4, 3), distributions(r, (4, 3), "softmax")), "sum", ((3,), [w, 0.5, 1.5]),
                     tags=["extreme", "weight", "probabilities"], target_dtype=None)

    # Every target ignored, an empty target, zero weights: NaN / 0 means.
    for dtype, reduction in product(DTYPES, ("mean", "sum")):
        r = rng("all-ignored", dtype, reduction)
        x = ((4, 3), logit_values(r, 12))
        yield ce("%s/%s/all-ignored/indices/4x3" % (dtype, reduction), dtype, x, ((4,), [-100] * 4), reduction, tags=["all-ignored"])
        yield ce("%s/%s/all-ignored/smoothing0.2/4x3" % (dtype, reduction), dtype, x, ((4,), [-100] * 4), reduction,
                 tags=["all-ignored", "label-smoothing"], label_smoothing=0.2)
        yield ce("%s/%s/all-ignored/smoothing0.2-weight/4x3" % (dtype, reduction), dtype, x, ((4,), [1] * 4), reduction,
                 ((3,), [0.5, 2.0, 1.0]), tags=["all-ignored", "label-smoothing"], label_smoothing=0.2, ignore_index=1)
        yield ce("%s/%s/zero-weight/smoothing0.2/4x3" % (dtype, reduction), dtype, x, ((4,), [0, 1, 2, 0]), reduction,
                 ((3,), [0.0, 0.0, 0.0]), tags=["zero-total", "label-smoothing"], label_smoothing=0.2)

    # Larger cases, float32, where the order of every sum shows: log_softmax rows of 300 (lanes and
    # fold), nll's cascade over 200 targets, the smoothing sums, K-dim maps with vectors and a tail.
    for name, ishape, tshape, reduction, kw in [
            ("indices", (20, 100), (20,), "mean", {}),
            ("smoothing-weight", (7, 300), (7,), "mean", {"label_smoothing": 0.1, "weight": True}),
            ("smoothing-k-dim", (2, 9, 70), (2, 70), "none", {"label_smoothing": 0.3})]:
        r = rng("large", name)
        classes = classes_of(ishape)
        kw = dict(kw)
        weight = ((classes,), weights(r, classes)) if kw.pop("weight", False) else None
        yield ce("float32/%s/large-%s/%s" % (reduction, name, shape_id(ishape)), "float32",
                 (ishape, [r.gauss(0.0, 1.0) * 4 for _ in range(numel(ishape))]),
                 (tshape, labels(r, numel(tshape), classes, -100, 0.1)), reduction, weight, tags=["large"], **kw)
    for name, ishape, reduction, ls in [("probabilities-k-dim", (2, 15, 40), "sum", 0.2)]:
        r = rng("large", name)
        yield ce("float32/%s/large-%s/%s" % (reduction, name, shape_id(ishape)), "float32",
                 (ishape, [r.gauss(0.0, 1.0) * 4 for _ in range(numel(ishape))]), (ishape, distributions(r, ishape, "softmax")),
                 reduction, tags=["large", "probabilities"], target_dtype=None, **({} if ls is None else {"label_smoothing": ls}))

    # label_smoothing values torch takes without a check (negative: the plain path; NaN too, but
    # golden kwargs hold no NaN), 0 given, options left to their defaults, 'elementwise_mean'.
    r = rng("options")
    x = ((4, 3), logit_values(r, 12))
    t = ((4,), [1, 2, 0, 1])
    for value in (0.0, -0.5):
        yield ce("float32/mean/smoothing%s/4x3" % value, "float32", x, t, "mean", tags=["label-smoothing"], label_smoothing=value)
    yield ce("float32/mean/default-options/4x3", "float32", x, t, tags=["defaults"])
    yield ce("float32/elementwise_mean/indices/4x3", "float32", x, t, "elementwise_mean", tags=["deprecated"])
    yield ce("float32/mean/smoothing-true/4x3", "float32", x, t, "mean", tags=["label-smoothing"], label_smoothing=True)
    # No classes: every target ignored, or empty probability rows.
    for reduction in REDUCTIONS:
        yield ce("float32/%s/no-classes/indices-ignored/3x0" % reduction, "float32", ((3, 0), []), ((3,), [-100] * 3), reduction,
                 tags=["empty", "all-ignored"])
        yield ce("float32/%s/no-classes/smoothing0.2-ignored/3x0" % reduction, "float32", ((3, 0), []), ((3,), [-100] * 3), reduction,
                 tags=["empty", "all-ignored", "label-smoothing"], label_smoothing=0.2)
        yield ce("float32/%s/no-classes/probabilities/3x0" % reduction, "float32", ((3, 0), []), ((3, 0), []), reduction,
                 tags=["empty", "probabilities"], target_dtype=None)
    # Mixed dtypes of the probability path (type promotion op by op) and of the weight.
    yield ce("float32/mean/probabilities-float64-target/4x3", "float32", x, tensor((4, 3), distributions(r, (4, 3), "softmax"), "float64"),
             "mean", tags=["probabilities", "dtype"])
    yield ce("float32/none/probabilities-float64-weight/4x3", "float32", x, ((4, 3), distributions(r, (4, 3), "softmax")), "none",
             tensor((3,), [0.5, 1.25, 2.0], "float64"), tags=["probabilities", "dtype", "weight"], target_dtype=None)

    # Argument errors, in torch's order.
    long_prob = r"Expected floating point type for target with class probabilities, got Long"
    errors = [
        # (id, input, target, target dtype, kwargs, regex)
        ("smoothing-above-1", x, t, "int64", {"label_smoothing": 1.5}, r"label_smoothing must be between 0\.0 and 1\.0\. Got: 1\.5"),
        ("smoothing-huge", x, t, "int64", {"label_smoothing": 1e300}, r"label_smoothing must be between 0\.0 and 1\.0\. Got: 1e\+300"),
        ("smoothing-above-1-probabilities", x, ((4, 3), [0.25] * 12), None, {"label_smoothing": 2.0},
         r"label_smoothing must be between 0\.0 and 1\.0\. Got: 2"),
        ("smoothing-str", x, t, "int64", {"label_smoothing": "0.1"},
         r"argument 'label_smoothing' \(position 6\) must be float, not str"),
        ("ignore-index-probabilities", x, ((4, 3), [0.25] * 12), None, {"ignore_index": 1},
         r"ignore_index is not supported for floating point target"),
        ("ignore-index-float", x, t, "int64", {"ignore_index": 1.5},
         r"argument 'ignore_index' \(position 5\) must be int, not float"),
        ("long-target-like-input", x, ((4, 3), [0] * 12), "int64", {}, long_prob),
        ("long-target-0d-input", ((), [0.5]), ((), [0]), "int64", {}, long_prob),
        ("float-target-0d-input", ((), [0.5]), ((), [1.0]), None, {},
         r"Dimension specified as 1 but tensor has no dimensions|Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)"),
        ("probabilities-weight-shape", x, ((4, 3), [0.25] * 12), None, {"weight": tensor((2,), [1.0, 2.0])},
         r"cross_entropy: weight tensor should be defined either for all 3 classes or no classes but got weight tensor of shape: \[2\]"),
        ("weight-shape", x, t, "int64", {"weight": tensor((2,), [1.0, 2.0])},
         r"weight tensor should be defined either for all 3 classes or no classes"),
        ("smoothing-weight-shape", x, t, "int64", {"weight": tensor((4,), [1.0, 2.0, 1.0, 1.0]), "label_smoothing": 0.1},
         r"weight tensor should be defined either for all 3 classes or no classes"),
        ("out-of-bounds", x, ((4,), [1, 3, 0, 2]), "int64", {}, r"Target 3 is out of bounds\."),
        ("out-of-bounds-smoothing", x, ((4,), [1, -2, 0, 2]), "int64", {"label_smoothing": 0.2}, r"Target -2 is out of bounds\."),
        ("batch-mismatch", x, ((3,), [0, 1, 2]), "int64", {}, r"Expected input batch_size \(4\) to match target batch_size \(3\)\."),
        ("batch-mismatch-smoothing", x, ((5,), [0, 1, 2, 0, 1]), "int64", {"label_smoothing": 0.4},
         r"Expected input batch_size \(4\) to match target batch_size \(5\)\."),
        ("k-dim-target-size", ((2, 3, 4), logit_values(r, 24)), ((2, 5), [0] * 10), "int64", {},
         r"Expected target size \[2, 4\], got \[2, 5\]|Expected target size \(2, 4\), got torch\.Size\(\[2, 5\]\)"),
        ("float-target-indices-shape", x, ((4,), [1.0, 2.0, 0.0, 1.0]), None, {},
         r"expected scalar type Long but found Float|expected target dtype to be Long or Byte, but got Float"),
        ("probabilities-shape-mismatch", x, ((4, 2), [0.5] * 8), None, {},
         r"1D target tensor expected, multi-target not supported|0D or 1D target tensor expected, multi-target not supported"),
        ("ignore-index-bool", x, t, "int64", {"ignore_index": True}, r"argument 'ignore_index' \(position 5\) must be int, not bool"),
        # a (C) input with a (1) target: nll_loss_nd takes it from 2.10, smooth_loss.masked_fill_ (0-d) does not
        ("smoothing-no-batch-target-1d", ((3,), [0.5, -1.0, 2.0]), ((1,), [2]), "int64", {"label_smoothing": 0.1},
         r"output with shape \[\] doesn't match the broadcast shape \[1\]|size mismatch \(got input: \[3\], target: \[1\]\)"),
        ("reduction", x, t, "int64", {"reduction": "avg"}, r"avg is not a valid value for reduction"),
        ("reduction-smoothing", x, t, "int64", {"reduction": "avg", "label_smoothing": 0.2}, r"avg is not a valid value for reduction"),
    ]
    for name, inp, tgt, tdtype, kw, regex in errors:
        kw = dict(kw)
        reduction = kw.pop("reduction", "mean")
        yield ce("float32/%s/error-%s/%s" % (reduction, name, shape_id(inp[0] if isinstance(inp, tuple) else inp.shape)), "float32",
                 inp, tgt, reduction, tags=["error"], error_regex=regex, target_dtype=tdtype, **kw)
