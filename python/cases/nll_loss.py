"""Cases for F.nll_loss (nn.NLLLoss): log-probabilities and class-index targets (torch.long), every
shape nll_loss_nd takes ((C) with a 0-d target, (N, C), (N, C, d1, ..., dk)), weight, ignore_index
(the default -100, a class index, a negative one), the zero-total means (0 in 1.7, NaN from 1.11)
and the argument errors of each release."""
import math
from itertools import product

from cases.common import FLOAT32_EXTREMES, FLOAT64_EXTREMES, NONFINITE, numel, sample, shape_id, tensor

FUNCTION = "nll_loss"
ARGS = ("input", "target")
GRADS = ("input",)
BENCH_KWARGS = ("weight",)
DTYPES = ("float32", "float64")
REDUCTIONS = ("none", "mean", "sum")

# (input shape, target shape): (C) with a 0-d target, (N, C), K-dim (nll_loss2d for 4-D, views for
# the other ranks), empty batches and maps, C = 1 and C = 0 (every target ignored).
SHAPES = [((5,), ()), ((1,), ()), ((4, 3), (4,)), ((1, 1), (1,)), ((7, 1), (7,)), ((0, 3), (0,)), ((3, 0), (3,)),
          ((2, 3, 4), (2, 4)), ((2, 4, 3), (2, 3)), ((2, 3, 2, 3), (2, 2, 3)), ((1, 4, 1, 1), (1, 1, 1)),
          ((2, 3, 2, 1, 2), (2, 2, 1, 2)), ((0, 3, 4), (0, 4)), ((2, 3, 0), (2, 0)), ((2, 3, 0, 4), (2, 0, 4))]

# (weight, ignore_index) per dtype
OPTIONS = {"float32": [("noweight", None), ("weight", None), ("weight-mixed", 1), ("noweight", -1)],
           "float64": [("noweight", None), ("weight-mixed", 1)]}

# Torch 1.7's functional.py takes no (C) input: every case with one raises this there.
RELEASE_ERROR_REGEXES = (r"Expected 2 or more dimensions \(got 1\)",)

OUT_OF_BOUNDS = r"Target %d is out of bounds\."


def bench_args(torch, gen, shape, dtype):
    """As scripts/bench.ts draws them: logits * 3 as the input (nll_loss reads any float), uniform
    class indices, a per-class weight in [0.5, 1.5)."""
    rows, classes = shape
    target = torch.randint(0, classes, (rows,), generator=gen)
    return ({"input": torch.randn(shape, generator=gen, dtype=dtype) * 3, "target": target},
            {"weight": torch.rand((classes,), generator=gen, dtype=dtype) + 0.5})


def classes_of(shape):
    return shape[0] if len(shape) == 1 else shape[1]


def log_probs(r, n, scale=3.0):
    """Values like log-probabilities (<= 0), on a 1/256 grid."""
    return [-round(abs(r.gauss(0.0, 1.0)) * scale * 256) / 256 for _ in range(n)]


def labels(r, n, classes, ignore, p_ignored=0.2):
    return [ignore if classes == 0 or r.random() < p_ignored else r.randrange(classes) for _ in range(n)]


def weights(r, classes, kind):
    if kind == "weight":
        return [round(r.uniform(0.1, 3.0) * 64) / 64 for _ in range(classes)]
    return [r.choice([0.0, -1.5, 2.0, round(r.uniform(-2.0, 3.0) * 64) / 64]) for _ in range(classes)]


DEFAULT = "(default)"


def nll(id, dtype, input, target, reduction=DEFAULT, weight=None, ignore_index=None, tags=(), error_regex=None, **kwargs):
    """A sample from (shape, values) pairs (or tensor(...)s); the target is int64 unless given as a
    tensor; reduction DEFAULT passes none (None is passed: torch rejects it)."""
    kw = {} if reduction == DEFAULT else {"reduction": reduction}
    if weight is not None:
        kw["weight"] = weight if not isinstance(weight, tuple) else tensor(*weight)
    if ignore_index is not None:
        kw["ignore_index"] = ignore_index
    kw.update(kwargs)
    target = target if not isinstance(target, tuple) else tensor(target[0], target[1], "int64")
    return sample(id, dtype, {"input": input if not isinstance(input, tuple) else tensor(*input), "target": target}, kw,
                  tags=tags, error_regex=error_regex)


def cases(rng):
    for dtype, reduction, (ishape, tshape) in product(DTYPES, REDUCTIONS, SHAPES):
        for wkind, ignore in OPTIONS[dtype]:
            classes = classes_of(ishape)
            if classes == 0 and wkind != "noweight":
                continue
            r = rng("basic", dtype, reduction, ishape, wkind, ignore)
            n = numel(tshape)
            target = labels(r, n, classes, -100 if ignore is None else ignore)
            weight = None if wkind == "noweight" else ((classes,), weights(r, classes, wkind))
            variant = wkind + ("" if ignore is None else "/ignore%d" % ignore)
            tags = ["basic", "weight" if weight else "no-weight"] + (["ignore-index"] if ignore is not None else [])
            tags += ["empty"] if numel(ishape) == 0 else []
            tags += ["no-batch"] if len(ishape) == 1 else ["k-dim"] if len(ishape) > 2 else []
            yield nll("%s/%s/%s/%s" % (dtype, reduction, variant, shape_id(ishape)), dtype, (ishape, log_probs(r, numel(ishape))),
                      (tshape, target), reduction, weight, ignore, tags)

    # Zero totals: every target ignored ('mean' 0 in 1.7, NaN from 1.11), zero weights (NaN grads
    # from 1.11), negative totals (1.7's backward gives zeros for a total <= 0).
    for dtype, reduction, (ishape, tshape) in product(DTYPES, ("mean", "sum"), [((4, 3), (4,)), ((2, 3, 2, 2), (2, 2, 2)),
                                                                               ((2, 3, 2), (2, 2)), ((3,), ())]):
        classes = classes_of(ishape)
        n = numel(tshape)
        r = rng("zero-total", dtype, reduction, ishape)
        x = (ishape, log_probs(r, numel(ishape)))
        sid = shape_id(ishape)
        yield nll("%s/%s/all-ignored/%s" % (dtype, reduction, sid), dtype, x, (tshape, [-100] * n), reduction,
                  tags=["zero-total", "all-ignored"])
        yield nll("%s/%s/all-ignored-index-0/%s" % (dtype, reduction, sid), dtype, x, (tshape, [0] * n), reduction,
                  ((classes,), weights(r, classes, "weight")), 0, tags=["zero-total", "all-ignored", "ignore-index"])
        yield nll("%s/%s/zero-weight/%s" % (dtype, reduction, sid), dtype, x, (tshape, labels(r, n, classes, -100, 0.0)),
                  reduction, ((classes,), [0.0] * classes), tags=["zero-total", "weight"])
        yield nll("%s/%s/negative-total/%s" % (dtype, reduction, sid), dtype, x, (tshape, labels(r, n, classes, -100, 0.0)),
                  reduction, ((classes,), [-1.0 - i / 4 for i in range(classes)]), tags=["zero-total", "weight"])
        yield nll("%s/%s/cancelling-weight/%s" % (dtype, reduction, sid), dtype, x, (tshape, [i % 2 for i in range(n)]),
                  reduction, ((classes,), [1.5, -1.5] + [1.0] * (classes - 2)), tags=["zero-total", "weight"])

    # Sums where the order shows: the cascade (from 1.9) against 1.7's running sum, float32.
    for name, ishape, tshape, reduction, weighted in [("classes", (500, 2), (500,), "mean", True),
                                                      ("classes", (500, 2), (500,), "sum", False),
                                                      ("spatial", (2, 2, 10, 25), (2, 10, 25), "mean", True),
                                                      ("k-dim", (2, 2, 250), (2, 250), "sum", False)]:
        r = rng("large", name, reduction)
        classes = classes_of(ishape)
        x = [r.gauss(0.0, 1.0) * 8 for _ in range(numel(ishape))]  # off any grid: every add rounds
        weight = ((classes,), [round(r.uniform(0.1, 3.0) * 1024) / 1024 for _ in range(classes)]) if weighted else None
        yield nll("float32/%s/large-%s%s/%s" % (reduction, name, "-weight" if weighted else "", shape_id(ishape)), "float32",
                  (ishape, x), (tshape, labels(r, numel(tshape), classes, -100, 0.1)), reduction, weight, tags=["large"])

    # Extremes and non-finite values, in the input and in the weight.
    for dtype, reduction in product(DTYPES, REDUCTIONS):
        values = (FLOAT32_EXTREMES if dtype == "float32" else FLOAT64_EXTREMES) + NONFINITE
        n = len(values)
        yield nll("%s/%s/extreme/%s" % (dtype, reduction, shape_id((n, 1))), dtype, ((n, 1), values), ((n,), [0] * n), reduction,
                  tags=["extreme", "nonfinite"])
        yield nll("%s/%s/extreme-weight/%s" % (dtype, reduction, shape_id((n, 2))), dtype, ((n, 2), values + values[::-1]),
                  ((n,), [i % 2 for i in range(n)]), reduction, ((2,), [2.5, 0.75]), tags=["extreme", "nonfinite", "weight"])
        for wname, w in [("inf", math.inf), ("nan", math.nan), ("huge", 3e38 if dtype == "float32" else 1e308)]:
            r = rng("weight-extreme", dtype, reduction, wname)
            yield nll("%s/%s/weight-%s/4x3" % (dtype, reduction, wname), dtype, ((4, 3), log_probs(r, 12)), ((4,), [0, 1, 2, 1]),
                      reduction, ((3,), [w, 0.5, -0.0]), tags=["extreme", "weight"])

    # Weights nll_loss2d takes by their numel (any shape); nll_loss wants 1-D from 1.10 (1.7 took any).
    for dtype in DTYPES:
        r = rng("weight-shape", dtype)
        yield nll("%s/mean/weight-2x2/2x4x3x2" % dtype, dtype, ((2, 4, 3, 2), log_probs(r, 48)), ((2, 3, 2), labels(r, 12, 4, -100)),
                  "mean", ((2, 2), weights(r, 4, "weight")), tags=["weight-shape", "k-dim"])
        yield nll("%s/sum/weight-2x2/2x4x3" % dtype, dtype, ((2, 4, 3), log_probs(r, 24)), ((2, 3), labels(r, 6, 4, -100)),
                  "sum", ((2, 2), weights(r, 4, "weight")), tags=["weight-shape", "k-dim"])
        yield nll("%s/mean/weight-2x2/3x4" % dtype, dtype, ((3, 4), log_probs(r, 12)), ((3,), [1, 2, 0]), "mean",
                  ((2, 2), [1.0, 2.0, 3.0, 4.0]), tags=["weight-shape", "error"],
                  error_regex=r"weight tensor should be defined either for all 4 classes or no classes but got weight tensor of shape: \[2, 2\]")
        yield nll("%s/mean/weight-0d/3x1" % dtype, dtype, ((3, 1), log_probs(r, 3)), ((3,), [0, 0, 0]), "mean", ((), [2.0]),
                  tags=["weight-shape", "error"],
                  error_regex=r"weight tensor should be defined either for all 1 classes or no classes but got weight tensor of shape: \[\]")

    # ignore_index: any int64 (beyond int32, the extremes), the default spelled out, a class index
    # everywhere; reduction: the deprecated 'elementwise_mean'.
    r = rng("ignore-values")
    x = ((4, 3), log_probs(r, 12))
    for value in (-100, 2 ** 40, 2 ** 62, -2 ** 63, 2 ** 63 - 1024):
        yield nll("float32/mean/ignore%s/4x3" % value, "float32", x, ((4,), [1, 2, 0, -100 if value == -100 else 1]), "mean", ignore_index=value,
                  tags=["ignore-index"])
    yield nll("float32/elementwise_mean/basic/4x3", "float32", x, ((4,), [1, 2, 0, 1]), "elementwise_mean", tags=["deprecated"])
    yield nll("float32/mean/default-options/4x3", "float32", x, ((4,), [1, 2, 0, 1]), tags=["defaults"])

    # A (C) input with a 1-D target: 1.10 to 2.9 take size C (and read its first value), from 2.10
    # the forward takes size 1 (ValueError otherwise) but the backward still wants size C.
    for dtype in DTYPES:
        r = rng("1d-target", dtype)
        x = ((3,), log_probs(r, 3))
        yield nll("%s/mean/target-1d-size-C/3" % dtype, dtype, x, ((3,), [1, 7, 0]), "mean", tags=["no-batch", "error"],
                  error_regex=r"For 1D input, 1D target must have size 1, but got target size: 3|Expected 2 or more dimensions \(got 1\)")
        yield nll("%s/none/target-1d-size-1/3" % dtype, dtype, x, ((1,), [2]), "none", tags=["no-batch", "error"],
                  error_regex=r"size mismatch \(got input: \[3\], target: \[1\]\)|Expected 2 or more dimensions \(got 1\)")
        yield nll("%s/sum/target-1d-size-1/1" % dtype, dtype, ((1,), [-0.25]), ((1,), [0]), "sum", tags=["no-batch"])
        yield nll("%s/mean/empty-target-ignored/0" % dtype, dtype, ((0,), []), ((), [-100]), "mean", tags=["no-batch", "empty"])

    float_target = r"expected scalar type Long but found Float|expected target dtype to be Long or Byte, but got Float"
    r = rng("errors")
    x43 = ((4, 3), log_probs(r, 12))
    x2322 = ((2, 3, 2, 2), log_probs(r, 24))
    x234 = ((2, 3, 4), log_probs(r, 24))
    errors = [
        # (id, input, target, kwargs, regex)
        ("input-0d", ((), [-0.5]), ((), [0]), {}, r"Expected [12] or more dimensions \(got 0\)"),
        ("batch-mismatch", x43, ((3,), [0, 1, 2]), {}, r"Expected input batch_size \(4\) to match target batch_size \(3\)\."),
        ("batch-mismatch-k-dim", x234, ((3, 4), [0] * 12), {}, r"Expected input batch_size \(2\) to match target batch_size \(3\)\."),
        ("batch-mismatch-5d", ((2, 3, 2, 2, 2), log_probs(r, 48)), ((3, 2, 2, 2), [0] * 24), {},
         r"Expected input batch_size \(2\) to match target batch_size \(3\)\."),
        # 1.7: functional.py's target.size(0); from 1.9 ATen reads a 0-d target's batch size as 0.
        ("target-0d", x43, ((), [1]), {},
         r"[Dd]imension specified as 0 but tensor has no dimensions|Expected input batch_size \(4\) to match target batch_size"),
        ("target-0d-empty-batch", ((0, 3), []), ((), [1]), {}, r"[Dd]imension specified as 0 but tensor has no dimensions"),
        ("target-0d-empty-batch-4d", ((0, 3, 2, 2), []), ((), [1]), {},
         r"[Dd]imension specified as 0 but tensor has no dimensions|only batches of spatial targets supported \(3D tensors\) but got targets of dimension: 0"),
        ("target-2d", x43, ((4, 2), [0] * 8), {}, r"target tensor expected, multi-target not supported"),
        ("target-2d-no-batch", ((3,), [-1.0, -2.0, -0.5]), ((1, 1), [0]), {},
         r"0D or 1D target tensor expected, multi-target not supported|Expected 2 or more dimensions \(got 1\)"),
        ("out-of-bounds", x43, ((4,), [1, 3, 0, 2]), {}, OUT_OF_BOUNDS % 3),
        ("out-of-bounds-none", x43, ((4,), [1, 5, 0, 2]), {"reduction": "none"}, OUT_OF_BOUNDS % 5),
        ("out-of-bounds-negative", x43, ((4,), [1, -1, 0, 2]), {}, OUT_OF_BOUNDS % -1),
        ("out-of-bounds-after-ignored", x43, ((4,), [-100, 9, 8, 0]), {"reduction": "sum"}, OUT_OF_BOUNDS % 9),
        ("out-of-bounds-ignore-index", x43, ((4,), [1, -100, 0, 2]), {"ignore_index": 1}, OUT_OF_BOUNDS % -100),
        ("out-of-bounds-no-batch", ((3,), [-1.0, -2.0, -0.5]), ((), [3]), {},
         r"Target 3 is out of bounds\.|Expected 2 or more dimensions \(got 1\)"),
        ("out-of-bounds-empty-no-batch", ((0,), []), ((), [0]), {},
         r"Target 0 is out of bounds\.|Expected 2 or more dimensions \(got 1\)"),
        ("out-of-bounds-4d", x2322, ((2, 2, 2), [0] * 7 + [3]), {}, OUT_OF_BOUNDS % 3),
        ("out-of-bounds-4d-none", x2322, ((2, 2, 2), [3] + [0] * 7), {"reduction": "none"}, OUT_OF_BOUNDS % 3),
        ("out-of-bounds-k-dim", ((2, 3, 2, 2, 2), log_probs(r, 48)), ((2, 2, 2, 2), [0] * 15 + [5]), {}, OUT_OF_BOUNDS % 5),
        ("out-of-bounds-no-classes", ((2, 0), []), ((2,), [-100, 0]), {}, OUT_OF_BOUNDS % 0),
        ("weight-size", x43, ((4,), [1, 2, 0, 1]), {"weight": ((4,), [1.0] * 4)},
         r"weight tensor should be defined either for all 3 classes or no classes but got weight tensor of shape: \[4\]"),
        ("weight-size-before-bounds", x43, ((4,), [1, 9, 0, 1]), {"weight": ((2,), [1.0] * 2)},
         r"weight tensor should be defined either for all 3 classes or no classes but got weight tensor of shape: \[2\]"),
        ("weight-size-no-batch", ((3,), [-1.0, -2.0, -0.5]), ((), [1]), {"weight": ((2,), [1.0, 2.0])},
         r"weight tensor should be defined either for all 3 classes or no classes but got weight tensor of shape: \[2\]|Expected 2 or more dimensions \(got 1\)"),
        ("weight-size-4d", x2322, ((2, 2, 2), [0] * 8), {"weight": ((4,), [1.0] * 4)},
         r"weight tensor should be defined either for all or no classes"),
        ("weight-size-k-dim", x234, ((2, 4), [0] * 8), {"weight": ((2,), [1.0] * 2)}, r"weight tensor should be defined either for all or no classes"),
        ("target-size-k-dim", x234, ((2, 5), [0] * 10), {},
         r"Expected target size [\[(]2, 4[\])], got (?:torch\.Size\(\[2, 5\]\)|\[2, 5\])"),
        ("target-rank-k-dim", x234, ((2, 4, 1), [0] * 8), {},
         r"Expected target size [\[(]2, 4[\])], got (?:torch\.Size\(\[2, 4, 1\]\)|\[2, 4, 1\])"),
        ("target-size-5d", ((2, 3, 2, 2, 2), log_probs(r, 48)), ((2, 2, 2, 3), [0] * 24), {},
         r"Expected target size [\[(]2, 2, 2, 2[\])], got (?:torch\.Size\(\[2, 2, 2, 3\]\)|\[2, 2, 2, 3\])"),
        ("target-size-4d", x2322, ((2, 2, 3), [0] * 12), {}, r"size mismatch \(got input: \[2, 3, 2, 2\] , target: \[2, 2, 3\]"),
        ("target-rank-4d", x2322, ((2, 4), [0] * 8), {},
         r"only batches of spatial targets supported \(3D tensors\) but got targets of dimension: 2"),
        ("no-classes-k-dim", ((2, 0, 5), []), ((2, 5), [0] * 10), {}, r"size mismatch \(got input: \[2, 0, 0, 0\] , target: \[2, 1, 5\]"),
        ("reduction", x43, ((4,), [1, 2, 0, 1]), {"reduction": "avg"}, r"is not a valid value for reduction"),
        ("reduction-none-value", x43, ((4,), [1, 2, 0, 1]), {"reduction": None}, r"is not a valid value for reduction"),
        # 1.7 checks shapes in functional.py before the reduction; from 1.9 the reduction comes first.
        ("reduction-after-batch", x234, ((3, 4), [0] * 12), {"reduction": "avg"},
         r"is not a valid value for reduction|Expected input batch_size \(2\) to match target batch_size \(3\)\."),
        ("reduction-after-target-size", x234, ((2, 5), [0] * 10), {"reduction": "avg"},
         r"is not a valid value for reduction|Expected target size \(2, 4\), got torch\.Size\(\[2, 5\]\)"),
        ("reduction-after-dims", ((), [-0.5]), ((), [0]), {"reduction": "avg"},
         r"is not a valid value for reduction|Expected 2 or more dimensions \(got 0\)"),
        ("ignore-index-float", x43, ((4,), [1, 2, 0, 1]), {"ignore_index": 1.5},
         r"argument 'ignore_index' \(position 5\) must be int, not float"),
        ("ignore-index-bool", x43, ((4,), [1, 2, 0, 1]), {"ignore_index": True},
         r"argument 'ignore_index' \(position 5\) must be int, not bool"),
        ("ignore-index-str", x43, ((4,), [1, 2, 0, 1]), {"ignore_index": "1"},
         r"argument 'ignore_index' \(position 5\) must be int, not str"),
        ("ignore-index-none", x43, ((4,), [1, 2, 0, 1]), {"ignore_index": None},
         r"argument 'ignore_index' \(position 5\) must be int, not NoneType"),
        ("ignore-index-overflow", x43, ((4,), [1, 2, 0, 1]), {"ignore_index": 2 ** 63}, r"Overflow when unpacking long"),
        ("ignore-index-overflow-4d", x2322, ((2, 2, 2), [0] * 8), {"ignore_index": 2 ** 64}, r"Overflow when unpacking long"),
        ("ignore-index-float-4d", x2322, ((2, 2, 2), [0] * 8), {"ignore_index": 0.5},
         r"argument 'ignore_index' \(position 5\) must be int, not float"),
        ("ignore-index-after-reduction", x43, ((4,), [1, 2, 0, 1]), {"ignore_index": 1.5, "reduction": "avg"},
         r"is not a valid value for reduction"),
        ("ignore-index-after-batch", x43, ((3,), [1, 2, 0]), {"ignore_index": 1.5},
         r"argument 'ignore_index' \(position 5\) must be int, not float|Expected input batch_size \(4\) to match target batch_size \(3\)\."),
        ("float-target", x43, tensor((4,), [1.0, 2.0, 0.0, 1.0], "float32"), {}, float_target),
        ("double-target", x43, tensor((4,), [1.0, 2.0, 0.0, 1.0], "float64"), {},
         r"expected scalar type Long but found Double|expected target dtype to be Long or Byte, but got Double"),
        ("float-target-none", x43, tensor((4,), [1.0, 2.0, 0.0, 1.0], "float32"), {"reduction": "none"}, float_target),
        ("float-target-4d", x2322, tensor((2, 2, 2), [0.0] * 8, "float32"), {}, float_target),
        ("float-target-k-dim", x234, tensor((2, 4), [0.0] * 8, "float32"), {"reduction": "sum"}, float_target),
        ("float-target-no-batch", ((3,), [-1.0, -2.0, -0.5]), tensor((), [1.0], "float32"), {},
         float_target + r"|Expected 2 or more dimensions \(got 1\)"),
        # 1.11 to 2.9: a reduction over an empty target returns before reading it (its backward reads it).
        ("float-target-empty", ((0, 3), []), tensor((0,), [], "float32"), {}, float_target),
        ("float-target-empty-sum-4d", ((2, 3, 0, 4), []), tensor((2, 0, 4), [], "float32"), {"reduction": "sum"}, float_target),
        ("float-target-empty-none", ((0, 3), []), tensor((0,), [], "float32"), {"reduction": "none"}, float_target),
        # From 2.11 the target's dtype is checked before the weight; before, the kernel read it after.
        ("float-target-and-weight-size", x43, tensor((4,), [1.0, 9.0, 0.0, 1.0], "float32"), {"weight": ((2,), [1.0, 1.0])},
         r"weight tensor should be defined either for all 3 classes or no classes but got weight tensor of shape: \[2\]|" + float_target),
        ("float-target-and-weight-size-4d", x2322, tensor((2, 2, 2), [0.0] * 8, "float32"), {"weight": ((2,), [1.0, 1.0])},
         r"weight tensor should be defined either for all or no classes|" + float_target),
        ("float-target-and-weight-dtype", x43, tensor((4,), [1.0, 2.0, 0.0, 1.0], "float32"),
         {"weight": tensor((3,), [1.0, 1.0, 1.0], "float64")},
         r"expected scalar type Float but found Double|" + float_target),
        ("weight-dtype", x43, ((4,), [1, 2, 0, 1]), {"weight": tensor((3,), [1.0, 2.0, 3.0], "float64")},
         r"expected scalar type Float but found Double"),
        ("weight-dtype-before-bounds", x43, ((4,), [1, 7, 0, 1]), {"weight": tensor((3,), [1.0, 2.0, 3.0], "float64")},
         r"expected scalar type Float but found Double"),
        ("weight-dtype-empty", ((0, 3), []), ((0,), []), {"weight": tensor((3,), [1.0, 2.0, 3.0], "float64")},
         r"expected scalar type Float but found Double"),
        ("weight-dtype-4d", x2322, ((2, 2, 2), [0] * 8), {"weight": tensor((3,), [1.0, 2.0, 3.0], "float64")},
         r"expected scalar type Float but found Double"),
    ]
    for name, input, target, kwargs, regex in errors:
        kw = dict(kwargs)
        if isinstance(kw.get("weight"), tuple):
            kw["weight"] = tensor(*kw["weight"])
        reduction = kw.pop("reduction", "mean")
        ishape = input[0]
        yield nll("float32/%s/error-%s/%s" % (reduction, name, shape_id(ishape)), "float32", input, target, reduction,
                  tags=["error"], error_regex=regex, **kw)
    r = rng("errors-float64")
    yield nll("float64/mean/error-weight-dtype/4x3", "float64", ((4, 3), log_probs(r, 12)), ((4,), [1, 2, 0, 1]), "mean",
              tensor((3,), [1.0, 2.0, 3.0], "float32"), tags=["error"], error_regex=r"expected scalar type Double but found Float")
