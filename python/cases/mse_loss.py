"""Cases for F.mse_loss (nn.MSELoss): every reduction, 0-d / empty / K-dim shapes, input and target
broadcast both ways (the gradient summed back to a grown input in ATen's order), int64 and mixed
float32 / float64 targets (the backward raises before torch 2.12), weight (torch >= 2.6), extreme
and non-finite values, large tensors, and the errors in functional.py's order.

l1_loss.py builds its cases from `pointwise_cases` here."""
from itertools import product

from cases.common import NONFINITE, extremes, numel, positive, sample, shape_id, tensor
from cases.common import logits as gaussian_logits

FUNCTION = "mse_loss"
ARGS = ("input", "target")
GRADS = ("input",)


def bench_args(torch, gen, shape, dtype):
    """The benchmark's inputs: logits and real-valued targets (randn * 3, as scripts/bench.ts draws)."""
    return {"input": torch.randn(shape, generator=gen, dtype=dtype) * 3,
            "target": torch.randn(shape, generator=gen, dtype=dtype) * 3}, {}
DTYPES = ("float32", "float64")
REDUCTIONS = ("none", "mean", "sum")
SHAPES = [(), (1,), (7,), (17,), (4, 3), (2, 3, 4), (2, 3, 2, 5), (0,), (0, 3), (3, 0, 2), (3, 33)]
# mse_loss_backward before torch 2.12 (pytorch#175743) wants target and grad_output in the input's dtype.
BACKWARD_DTYPE_REGEX = r"Found dtype (Long|Double|Float) but expected (Float|Double)"
WEIGHT_MISSING = r"unexpected keyword argument 'weight'"  # torch < 2.6
SHAPE_REGEX = r"The size of tensor a \(%d\) must match the size of tensor b \(%d\) at non-singleton dimension %d"

# (name, input shape, target shape): the target grows, the input grows (its gradient is summed
# back: leading dims, inner rows, outer columns of 1 to 40), both grow.
BROADCASTS = [
    ("target-0d", (4, 5), ()), ("target-C", (4, 5), (5,)), ("target-1xC", (4, 5), (1, 5)),
    ("target-Nx1", (4, 5), (4, 1)), ("input-C", (5,), (4, 5)), ("input-Nx1", (4, 1), (4, 5)),
    ("input-0d", (), (4, 5)), ("input-1", (1,), (6,)), ("both", (1, 5), (3, 1)),
    ("input-2x1x4", (2, 1, 4), (3, 1)), ("input-3x1x5", (3, 1, 5), (1, 4, 5)),
    ("input-rows-17", (2, 3, 1), (2, 3, 17)), ("input-leading-17", (17,), (3, 2, 17)),
    ("input-columns-40", (1, 40), (12, 40)), ("input-1x3x1", (1, 3, 1), (2, 3, 9)), ("empty-grows", (1,), (0,)),
]


def logits(rng, shape, scale=2.0):
    """Gaussian values (times scale) to 5 significant digits: short in the golden JSON, still
    inexact in binary (so every op rounds)."""
    return [float("%.5g" % v) for v in gaussian_logits(rng, shape, scale)]


def pointwise_cases(rng, backward_dtype_regex):
    """The cases mse_loss and l1_loss share; `backward_dtype_regex` is what a release's backward
    raises for an int64 or other-dtype target (None where every release computes it)."""
    for dtype, reduction, shape in product(DTYPES, REDUCTIONS, SHAPES):
        r = rng("basic", dtype, reduction, shape)
        yield sample("%s/%s/basic/%s" % (dtype, reduction, shape_id(shape)), dtype,
                     {"input": tensor(shape, logits(r, shape)), "target": tensor(shape, logits(r, shape))},
                     {"reduction": reduction}, tags=["basic"] + (["empty"] if numel(shape) == 0 else []))

    # Half of the elements equal (|a - t| and its sign at 0), on a grid with ties and -0.
    for dtype, reduction in product(DTYPES, REDUCTIONS):
        r = rng("equal", dtype, reduction)
        shape = (3, 11)
        t = [r.choice((0.0, -0.0, 0.5, -1.25, 3.0)) for _ in range(numel(shape))]
        x = [v if i % 2 == 0 else r.choice((0.0, -0.0, 0.5, 2.0)) for i, v in enumerate(t)]
        yield sample("%s/%s/equal/%s" % (dtype, reduction, shape_id(shape)), dtype,
                     {"input": tensor(shape, x), "target": tensor(shape, t)}, {"reduction": reduction}, tags=["equal"])

    for (dtype, reduction), (name, ishape, tshape) in product(
            (("float32", "none"), ("float32", "mean"), ("float64", "none")), BROADCASTS):
        r = rng("broadcast", dtype, reduction, name)
        yield sample("%s/%s/broadcast-%s/%s" % (dtype, reduction, name, shape_id(ishape)), dtype,
                     {"input": tensor(ishape, logits(r, ishape)), "target": tensor(tshape, logits(r, tshape))},
                     {"reduction": reduction}, tags=["broadcast"])

    for dtype, reduction, scale in product(DTYPES, ("none", "mean"), (1e-20, 30.0, 1e4, 1e18)):
        r = rng("scale", dtype, reduction, scale)
        shape = (4, 7)
        yield sample("%s/%s/scale-%g/%s" % (dtype, reduction, scale, shape_id(shape)), dtype,
                     {"input": tensor(shape, logits(r, shape, scale)), "target": tensor(shape, logits(r, shape, scale))},
                     {"reduction": reduction}, tags=["scale"])

    # torch.long targets are converted to the input's dtype (the backward may raise, per release).
    for dtype, reduction, (name, ishape, tshape) in product(
            DTYPES, REDUCTIONS, [("same", (3, 9), (3, 9)), ("broadcast", (3, 9), (9,)), ("input-grows", (9,), (3, 9))]):
        r = rng("int-target", dtype, reduction, name)
        yield sample("%s/%s/int64-target-%s/%s" % (dtype, reduction, name, shape_id(ishape)), dtype,
                     {"input": tensor(ishape, logits(r, ishape)),
                      "target": tensor(tshape, [r.randrange(-3, 4) for _ in range(numel(tshape))], "int64")},
                     {"reduction": reduction}, tags=["int64-target"], error_regex=backward_dtype_regex)

    # Mixed float32 / float64: computed in float64, the gradient in the input's dtype.
    for (idt, tdt), reduction, (name, ishape, tshape) in product(
            (("float32", "float64"), ("float64", "float32")), REDUCTIONS,
            [("same", (3, 7), (3, 7)), ("input-grows", (7,), (3, 7))]):
        r = rng("mixed", idt, tdt, reduction, name)
        yield sample("%s/%s/%s-target-%s/%s" % (idt, reduction, tdt, name, shape_id(ishape)), idt,
                     {"input": tensor(ishape, logits(r, ishape)), "target": tensor(tshape, logits(r, tshape), tdt)},
                     {"reduction": reduction}, tags=["mixed-dtype"], error_regex=backward_dtype_regex)
    # float32 values whose float64 difference is below float32's range: 1.7's l1_loss_backward
    # rounds the difference to float32 before its sign.
    for reduction in ("none", "sum"):
        x = [1e-45, -1e-45, 1e-45, 0.0, 1.0, 3e38]
        t = [1.401298464324818e-45 + 1e-60, -1.401298464324818e-45 - 1e-60, 1.401298464324817e-45 - 1e-60, 1e-300, 1.0 + 1e-12, -3e38]
        yield sample("float32/%s/float64-target-tiny-differences/6" % reduction, "float32",
                     {"input": tensor((6,), x), "target": tensor((6,), t, "float64")}, {"reduction": reduction},
                     tags=["mixed-dtype"], error_regex=backward_dtype_regex)

    for dtype, reduction, side in product(DTYPES, ("none", "sum"), ("input", "target")):
        values = extremes(dtype) + NONFINITE * 2 + [0.5, -2.0, 1e-3]
        r = rng("extreme", dtype, reduction, side)
        other = [r.choice((0.0, 1.0, -1.0, 0.25)) for _ in values]
        args = (values, other) if side == "input" else (other, values)
        yield sample("%s/%s/extreme-%s/%d" % (dtype, reduction, side, len(values)), dtype,
                     {"input": tensor((len(values),), args[0]), "target": tensor((len(values),), args[1])},
                     {"reduction": reduction}, tags=["extreme", "nonfinite"])
    for dtype, reduction in product(DTYPES, REDUCTIONS):
        values = extremes(dtype)
        yield sample("%s/%s/extreme-pairs/%d" % (dtype, reduction, len(values)), dtype,
                     {"input": tensor((len(values),), values), "target": tensor((len(values),), values[::-1])},
                     {"reduction": reduction}, tags=["extreme"])
        x = NONFINITE * 3
        t = [NONFINITE[i // 3] for i in range(9)]
        yield sample("%s/%s/nonfinite-pairs/9" % (dtype, reduction), dtype,
                     {"input": tensor((9,), x), "target": tensor((9,), t)}, {"reduction": reduction}, tags=["nonfinite"])

    # Accumulation order: ATen's cascade sum over 1200 float32 losses; gradients summed over 40 rows
    # (vectorized_outer_sum's blocks of 4 vectors, single vectors and scalar columns) or 100 columns.
    for name, ishape, tshape, reduction, dtype in [
            ("flat", (1200,), (1200,), "mean", "float32"), ("tall", (60, 13), (60, 13), "sum", "float32"),
            ("wide", (3, 200), (3, 200), "mean", "float64"), ("input-C-large", (100,), (40, 100), "mean", "float32"),
            ("input-Nx1-large", (40, 1), (40, 50), "sum", "float32")]:
        r = rng("large", name, ishape, reduction, dtype)
        grid = lambda shape: [round(v * 64) / 64 for v in logits(r, shape)]
        yield sample("%s/%s/large-%s/%s" % (dtype, reduction, name, shape_id(ishape)), dtype,
                     {"input": tensor(ishape, grid(ishape)), "target": tensor(tshape, grid(tshape))}, {"reduction": reduction},
                     tags=["large"])

    yield sample("float32/elementwise_mean/deprecated-reduction/4x3", "float32",
                 {"input": tensor((4, 3), logits(rng("elementwise_mean"), (4, 3))), "target": tensor((4, 3), [0.5] * 12)},
                 {"reduction": "elementwise_mean"}, tags=["legacy"])

    # weight (F.mse_loss / F.l1_loss from torch 2.6): of the input's shape; 'mean' divides by its sum.
    for dtype, reduction, (name, ishape, tshape) in product(
            DTYPES, REDUCTIONS, [("same", (3, 6), (3, 6)), ("target-C", (3, 5), (5,)), ("input-grows", (5,), (3, 5))]):
        r = rng("weight", dtype, reduction, name)
        yield sample("%s/%s/weight-%s/%s" % (dtype, reduction, name, shape_id(ishape)), dtype,
                     {"input": tensor(ishape, logits(r, ishape)), "target": tensor(tshape, logits(r, tshape))},
                     {"reduction": reduction, "weight": tensor(ishape, positive(r, ishape))}, tags=["weight"],
                     error_regex=WEIGHT_MISSING)
    for (idt, wdt, tdt), reduction in product(
            (("float32", "float64", "float32"), ("float64", "float32", "float64"), ("float32", "float32", "int64"),
             ("float32", "float32", "float64")), REDUCTIONS):
        r = rng("weight-dtype", idt, wdt, tdt, reduction)
        shape = (3, 4)
        t = [r.randrange(-2, 3) for _ in range(12)] if tdt == "int64" else logits(r, shape)
        yield sample("%s/%s/weight-%s-target-%s/%s" % (idt, reduction, wdt, tdt, shape_id(shape)), idt,
                     {"input": tensor(shape, logits(r, shape)), "target": tensor(shape, t, tdt)},
                     {"reduction": reduction, "weight": tensor(shape, positive(r, shape), wdt)}, tags=["weight", "mixed-dtype"],
                     error_regex=WEIGHT_MISSING)
    # A 0-d input's 0-d weight does not raise the dtype of the dimensioned errors (torch's result_type):
    # float32 errors times a float64 weight stay float32; 'mean' divides by its float64 sum.
    for (idt, wdt), reduction in product((("float32", "float64"), ("float64", "float32")), REDUCTIONS):
        r = rng("weight-0d", idt, wdt, reduction)
        yield sample("%s/%s/weight-0d-%s-target-6/0d" % (idt, reduction, wdt), idt,
                     {"input": tensor((), logits(r, ())), "target": tensor((6,), logits(r, (6,)))},
                     {"reduction": reduction, "weight": tensor((), [1.7], wdt)}, tags=["weight", "mixed-dtype"],
                     error_regex=WEIGHT_MISSING)
    for dtype, reduction in product(DTYPES, REDUCTIONS):
        r = rng("weight-special", dtype, reduction)
        w = [0.0, 0.0, 1.0, 2.5, float("inf"), 0.0, 1e-30, 3.0]
        yield sample("%s/%s/weight-zero-inf/8" % (dtype, reduction), dtype,
                     {"input": tensor((8,), logits(r, (8,))), "target": tensor((8,), logits(r, (8,)))},
                     {"reduction": reduction, "weight": tensor((8,), w)}, tags=["weight", "nonfinite"], error_regex=WEIGHT_MISSING)
        if reduction != "mean":
            continue
        yield sample("%s/%s/weight-none/4x3" % (dtype, reduction), dtype,
                     {"input": tensor((4, 3), logits(r, (4, 3))), "target": tensor((4, 3), logits(r, (4, 3)))},
                     {"reduction": reduction, "weight": None}, tags=["weight"], error_regex=WEIGHT_MISSING)
    r = rng("weight-empty")
    yield sample("float32/mean/weight-empty/0x3", "float32",
                 {"input": tensor((0, 3), []), "target": tensor((0, 3), [])},
                 {"reduction": "mean", "weight": tensor((0, 3), [])}, tags=["weight", "empty"], error_regex=WEIGHT_MISSING)

    # Errors, in functional.py's order: broadcast_tensors, then the weight's size, then the reduction.
    def error(name, ishape, tshape, kwargs, regex, wshape=None):
        r = rng("error", name)
        if wshape is not None:
            kwargs = dict(kwargs, weight=tensor(wshape, positive(r, wshape)))
        return sample("float32/%s/error-%s/%s" % (kwargs.get("reduction", "mean"), name, shape_id(ishape)), "float32",
                      {"input": tensor(ishape, logits(r, ishape)), "target": tensor(tshape, logits(r, tshape))},
                      kwargs, tags=["error"], error_regex=regex)

    yield error("target-shape", (3,), (2,), {"reduction": "mean"}, SHAPE_REGEX % (3, 2, 0))
    yield error("target-shape-2d", (2, 3), (3, 2), {"reduction": "none"}, SHAPE_REGEX % (3, 2, 1))
    yield error("target-shape-3d", (2, 5, 3), (4, 3), {"reduction": "sum"}, SHAPE_REGEX % (5, 4, 1))
    yield error("shape-before-reduction", (3,), (2,), {"reduction": "average"}, SHAPE_REGEX % (3, 2, 0))
    yield error("reduction", (2, 3), (2, 3), {"reduction": "average"}, r"is not a valid value for reduction")
    yield error("reduction-none-value", (2, 3), (2, 3), {"reduction": None}, r"None.* is not a valid value for reduction")
    yield error("weight-shape", (2, 3), (2, 3), {"reduction": "mean"},
                r"Weights and input must have the same size|" + WEIGHT_MISSING, wshape=(3,))
    yield error("weight-broadcast-shape", (3,), (2, 3), {"reduction": "sum"},
                r"Weights and input must have the same size|" + WEIGHT_MISSING, wshape=(2, 3))
    yield error("shape-before-weight", (3,), (2,), {"reduction": "mean"}, SHAPE_REGEX % (3, 2, 0) + "|" + WEIGHT_MISSING, wshape=(5,))
    yield error("weight-reduction", (2, 3), (2, 3), {"reduction": "average"},
                r"Invalid reduction mode: average|" + WEIGHT_MISSING, wshape=(2, 3))
    yield error("weight-elementwise_mean", (2, 3), (2, 3), {"reduction": "elementwise_mean"},
                r"Invalid reduction mode: elementwise_mean|" + WEIGHT_MISSING, wshape=(2, 3))
    yield error("weight-shape-before-reduction", (2, 3), (2, 3), {"reduction": "average"},
                r"Weights and input must have the same size|" + WEIGHT_MISSING, wshape=(3, 2))


def cases(rng):
    for c in pointwise_cases(rng, BACKWARD_DTYPE_REGEX):
        yield c
