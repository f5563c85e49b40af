"""Cases for F.multi_margin_loss (nn.MultiMarginLoss): one class index (long) per sample, p in {1, 2},
margin, a per-class weight (C); inputs (N, C), (C) and 0-d, with 0-d or 1-D targets; the empty batch
('none' only: torch's mean and sum of an empty batch return uninitialised memory); ties at the margin,
extreme and non-finite values; the errors of functional.py and ATen in their order per release."""
from itertools import product

from cases.common import NONFINITE, extremes, logits, numel, positive, sample, shape_id, tensor

FUNCTION = "multi_margin_loss"
ARGS = ("input", "target")
GRADS = ("input",)
DTYPES = ("float32", "float64")
REDUCTIONS = ("none", "mean", "sum")
# (input shape, target shape)
SHAPES = [((), ()), ((1,), ()), ((5,), ()), ((5,), (1,)), ((1, 1), (1,)), ((1, 4), ()), ((4, 3), (4,)), ((3, 6), (3,))]

# torch 1.7 rejects an empty batch ("non-empty vector or matrix expected", pytorch#46975 allowed it
# in 1.8); 2.1+ checks the weight's size (pytorch#104852), which 1.x does not: a weight longer
# than C, or shorter but never indexed past its end, computes there.
RELEASE_ERROR_REGEXES = (r"non-empty vector or matrix expected, got size: \[0, ",
                         r"inconsistent weight size, expected \d+ but got \[\d+\]")

NOT_A_MATRIX = (r"(?:non-empty vector or matrix expected, got size: "
                r"|Expected non-empty vector or matrix with optional 0-dim batch size, but got: )")
OUT_OF_RANGE = r"target out of range"
P_ERROR = r"only p == 1 and p == 2 supported"
WEIGHT_DIM = r"weight must be one-dimensional"
MARGIN_OVERFLOW = r"value cannot be converted to type float without overflow"


def target_size(expected, got, ishape):
    """1.x "inconsistent target size, got: [2]"; 2.1-2.10 "..., expected 3 but got [2]"; 2.11+ (pytorch#174072) longer."""
    return (r"inconsistent target size, got: %s|inconsistent target size, expected %d but got %s|"
            r"Expected target size \[%d\], but got %s\. Input has shape %s" % (got, expected, got, expected, got, ishape))


def bench_args(torch, gen, shape, dtype):
    """(N, C) logits * 3, uniform class indices, a per-class weight in [0.5, 1.5)."""
    rows, classes = shape
    return ({"input": torch.randn(shape, generator=gen, dtype=dtype) * 3,
             "target": torch.randint(0, classes, (rows,), generator=gen)},
            {"weight": torch.rand((classes,), generator=gen, dtype=dtype) + 0.5})


def classes_of(ishape):
    return ishape[-1] if ishape else 1


def mcase(variant, dtype, reduction, ishape, x, tshape, t, kwargs=None, tags=(), error_regex=None, target_dtype="int64",
          input_dtype=None):
    kw = {"reduction": reduction}
    kw.update(kwargs or {})
    return sample("%s/%s/%s/%s" % (dtype, reduction, variant, shape_id(ishape)), dtype,
                  {"input": tensor(ishape, x, input_dtype), "target": tensor(tshape, t, target_dtype)}, kw, tags=tags,
                  error_regex=error_regex)


def classes(rng, tshape, c):
    return [rng.randrange(c) for _ in range(numel(tshape))]


def cases(rng):
    for dtype, reduction, p, (ishape, tshape) in product(DTYPES, REDUCTIONS, (1, 2), SHAPES):
        if dtype == "float64" and (reduction == "sum" or ishape in ((1,), (3, 6))):
            continue  # float64: fewer (the budget); its arithmetic is the same code
        r = rng("basic", dtype, reduction, p, ishape, tshape)
        variant = "p%d-target-%s" % (p, shape_id(tshape))
        yield mcase(variant, dtype, reduction, ishape, logits(r, ishape), tshape, classes(r, tshape, classes_of(ishape)),
                    {"p": p}, tags=["basic"] + (["0-d"] if ishape == () else []))
    for dtype, p in product(DTYPES, (1, 2)):
        r = rng("basic-8x17", dtype, p)
        yield mcase("p%d-target-8" % p, dtype, "mean", (8, 17), logits(r, (8, 17)), (8,), classes(r, (8,), 17), {"p": p},
                    tags=["basic"])

    # margins: zero, negative, tiny, large (the golden format has no non-finite keyword values); p as 2.0 and True
    margins = [0.0, 0.5, 2.0, -1.0, 1e-3, 30.0, 1e10, -1e30, 3]
    for dtype, p, margin in product(DTYPES, (1, 2), margins):
        if dtype == "float64" and margin in (0.5, 1e-3, 3, 30.0):
            continue
        reduction = "none" if dtype == "float32" else "sum"
        r = rng("margin", dtype, p, margin)
        yield mcase("p%d-margin-%r" % (p, margin), dtype, reduction, (4, 3), logits(r, (4, 3)), (4,), classes(r, (4,), 3),
                    {"p": p, "margin": margin}, tags=["margin"])
    for dtype in DTYPES:
        r = rng("p-spelling", dtype)
        yield mcase("p-2.0", dtype, "mean", (4, 3), logits(r, (4, 3)), (4,), classes(r, (4,), 3), {"p": 2.0}, tags=["p"])
        yield mcase("p-True", dtype, "sum", (4, 3), logits(r, (4, 3)), (4,), classes(r, (4,), 3), {"p": True}, tags=["p"])
        yield mcase("margin-3.4028234663852886e38", dtype, "none", (2, 3), logits(r, (2, 3)), (2,), [0, 2],
                    {"margin": 3.4028234663852886e38}, tags=["margin"])
    yield mcase("margin-1e39", "float64", "none", (2, 3), logits(rng("m1e39"), (2, 3)), (2,), [1, 2], {"margin": 1e39},
                tags=["margin"])

    # weight (C): positive, with zeros, negative, non-finite
    for dtype, reduction, p in product(DTYPES, REDUCTIONS, (1, 2)):
        if dtype == "float64" and reduction != "mean":
            continue
        r = rng("weight", dtype, reduction, p)
        yield mcase("p%d-weight" % p, dtype, reduction, (6, 5), logits(r, (6, 5)), (6,), classes(r, (6,), 5),
                    {"p": p, "weight": tensor((5,), positive(r, (5,)))}, tags=["weight"])
        if p == 1:
            continue
        r = rng("weight-1d", dtype, reduction, p)
        yield mcase("p%d-weight" % p, dtype, reduction, (5,), logits(r, (5,)), (), [3],
                    {"p": p, "weight": tensor((5,), positive(r, (5,)))}, tags=["weight"])
    for dtype in DTYPES:
        r = rng("weight-signs", dtype)
        w = [0.0, -1.5, 2.0, float("nan"), float("inf"), -0.0]
        yield mcase("weight-signs", dtype, "none", (8, 6), logits(r, (8, 6)), (8,), [i % 6 for i in range(8)],
                    {"p": 2, "weight": tensor((6,), w)}, tags=["weight"])
        yield mcase("weight-0d-input", dtype, "mean", (), [0.5], (), [0], {"weight": tensor((1,), [3.0])}, tags=["weight"])
        # 1.x computes (only weight[target] is read), 2.1+ checks the size
        r = rng("weight-size", dtype)
        yield mcase("weight-longer", dtype, "sum", (3, 4), logits(r, (3, 4)), (3,), [0, 3, 1],
                    {"weight": tensor((5,), [1.0, 2.0, 3.0, 4.0, 5.0])}, tags=["weight"])
        yield mcase("weight-shorter-not-read-past", dtype, "none", (3, 4), logits(r, (3, 4)), (3,), [0, 2, 1],
                    {"weight": tensor((3,), [1.0, 2.0, 3.0])}, tags=["weight"])

    for dtype, scale, p in product(DTYPES, (0.5, 30.0, 1e4), (1, 2)):
        if dtype == "float64" and scale != 1e4:
            continue
        r = rng("scale", dtype, scale, p)
        yield mcase("p%d-scale-%g" % (p, scale), dtype, "mean", (8, 6), logits(r, (8, 6), scale), (8,), classes(r, (8,), 6),
                    {"p": p}, tags=["scale"])

    # ties: z = margin - x[y] + x[i] exactly 0 (no loss, no gradient) and just above
    for dtype, p in product(DTYPES, (1, 2)):
        x = [1.0, 0.0, 0.5, 1.0, 2.0, 1.0, 1.0, 0.0, 0.25, 0.25, 0.25, -0.75]
        yield mcase("p%d-ties" % p, dtype, "none", (3, 4), x, (3,), [0, 1, 0], {"p": p}, tags=["ties"])
        yield mcase("p%d-ties-margin-0" % p, dtype, "sum", (3, 4), x, (3,), [0, 3, 2], {"p": p, "margin": 0.0}, tags=["ties"])

    for dtype, reduction, p in product(DTYPES, ("none", "sum"), (1, 2)):
        if dtype == "float64" and reduction == "sum":
            continue
        values = extremes(dtype)
        shape = (len(values) // 4, 4)
        r = rng("extreme", dtype, reduction, p)
        yield mcase("p%d-extreme" % p, dtype, reduction, shape, values, (shape[0],), classes(r, (shape[0],), 4), {"p": p},
                    tags=["extreme"])
        x = NONFINITE * 4
        yield mcase("p%d-nonfinite" % p, dtype, reduction, (4, 3), x, (4,), [0, 1, 2, 1], {"p": p}, tags=["nonfinite"])
        x = [0.0, float("inf"), 1.0, 2.0, float("-inf"), 0.5, float("nan"), 1.0, 1.0]
        yield mcase("p%d-nonfinite-mixed" % p, dtype, reduction, (3, 3), x, (3,), [1, 0, 2], {"p": p}, tags=["nonfinite"])
    for dtype in DTYPES:
        big = 3e38 if dtype == "float32" else 1e300
        x = [big, -big, 0.0, -big, big, 1.0, 1e19, -1e19, 2.0]
        yield mcase("p2-overflow", dtype, "mean", (3, 3), x, (3,), [1, 1, 0], {"p": 2}, tags=["extreme"])

    # an empty batch: 'none' only (1.7 raises; mean and sum read uninitialised memory from 1.8)
    for dtype, p in product(DTYPES, (1, 2)):
        yield mcase("p%d-empty-batch" % p, dtype, "none", (0, 4), [], (0,), [], {"p": p}, tags=["empty"])
    yield mcase("empty-batch-weight", "float32", "none", (0, 3), [], (0,), [], {"weight": tensor((3,), [1.0, 2.0, 3.0])},
                tags=["empty"])

    # larger cases: a long row (float sums in order), many rows (the float64 sum of rows)
    r = rng("large", "rows")
    yield mcase("p1-large", "float32", "mean", (32, 40), logits(r, (32, 40)), (32,), classes(r, (32,), 40), {"p": 1},
                tags=["large"])
    r = rng("large", "long-rows")
    yield mcase("p2-large-long-rows", "float32", "none", (2, 600), logits(r, (2, 600)), (2,), classes(r, (2,), 600),
                {"p": 2, "margin": 3.0}, tags=["large"])
    r = rng("large", "weight")
    yield mcase("p2-large-weight", "float32", "sum", (24, 20), logits(r, (24, 20)), (24,), classes(r, (24,), 20),
                {"p": 2, "weight": tensor((20,), positive(r, (20,)))}, tags=["large"])

    # errors, in torch's order: get_enum, functional.py's p and weight.dim(), the argument parser, ATen's shape
    # checks, weight size (2.1+), target dtype, weight dtype, margin's conversion, target range
    x34 = ((3, 4), [0.5, -1.0, 2.0, 0.25, 1.5, 0.0, -0.5, 1.0, 0.75, -2.0, 0.125, 3.0])
    t3 = ((3,), [0, 1, 3])
    w4 = tensor((4,), [1.0, 2.0, 0.5, 1.5])
    w4_64 = tensor((4,), [1.0, 2.0, 0.5, 1.5], "float64")
    w3 = tensor((3,), [1.0, 2.0, 0.5])
    err = [
        ("reduction", x34, t3, {"reduction": "average"}, r"average is not a valid value for reduction"),
        ("reduction-None", x34, t3, {"reduction": None}, r"None is not a valid value for reduction"),
        ("p3", x34, t3, {"p": 3}, P_ERROR),
        ("p0", x34, t3, {"p": 0}, P_ERROR),
        ("p1.5", x34, t3, {"p": 1.5}, P_ERROR),
        ("p-None", x34, t3, {"p": None}, P_ERROR),
        ("p3-and-reduction", x34, t3, {"p": 3, "reduction": "average"}, r"average is not a valid value for reduction"),
        ("weight-2-d", x34, t3, {"weight": tensor((1, 4), [1.0] * 4)}, WEIGHT_DIM),
        ("weight-0-d", x34, t3, {"weight": tensor((), [2.0])}, WEIGHT_DIM),
        ("weight-2-d-and-p3", x34, t3, {"p": 3, "weight": tensor((1, 4), [1.0] * 4)}, P_ERROR),
        ("weight-2-d-and-input-3-d", ((2, 3, 4), [0.0] * 24), t3, {"weight": tensor((1, 4), [1.0] * 4)}, WEIGHT_DIM),
        ("margin-None", x34, t3, {"margin": None}, r"argument 'margin' \(position 4\) must be Number, not NoneType"),
        ("margin-None-and-input-3-d", ((2, 3, 4), [0.0] * 24), t3, {"margin": None},
         r"argument 'margin' \(position 4\) must be Number, not NoneType"),
        ("input-3-d", ((2, 3, 4), [0.0] * 24), t3, {}, NOT_A_MATRIX + r"\[2, 3, 4\]"),
        ("input-3-d-and-p3", ((2, 3, 4), [0.0] * 24), t3, {"p": 3}, P_ERROR),
        ("empty-classes", ((2, 0), []), ((2,), [0, 0]), {}, NOT_A_MATRIX + r"\[2, 0\]"),
        ("empty-vector", ((0,), []), ((), [0]), {}, NOT_A_MATRIX + r"\[0\]"),
        ("target-Nx1", x34, ((3, 1), [0, 1, 3]), {}, target_size(3, r"\[3, 1\]", r"\[3, 4\]")),
        ("target-numel", x34, ((2,), [0, 1]), {}, target_size(3, r"\[2\]", r"\[3, 4\]")),
        ("target-2-d", x34, ((3, 4), [0] * 12), {}, target_size(3, r"\[3, 4\]", r"\[3, 4\]")),
        ("target-2-for-vector", ((4,), [0.5, -1.0, 2.0, 0.25]), ((2,), [0, 1]), {}, target_size(1, r"\[2\]", r"\[4\]")),
        ("target-0-d-for-empty-batch", ((0, 4), []), ((), [0]), {},
         NOT_A_MATRIX + r"\[0, 4\]|" + target_size(0, r"\[\]", r"\[0, 4\]")),
        ("target-equals-C", x34, ((3,), [0, 4, 1]), {}, OUT_OF_RANGE),
        ("target-minus-1", x34, ((3,), [0, -1, 1]), {}, OUT_OF_RANGE),
        ("target-minus-100", x34, ((3,), [-100, 1, 1]), {"reduction": "none"}, OUT_OF_RANGE),
        ("target-1-for-0-d", ((), [0.5]), ((), [1]), {}, OUT_OF_RANGE),
        ("target-out-of-range-none-vector", ((4,), [0.5, -1.0, 2.0, 0.25]), ((), [4]), {"reduction": "none"}, OUT_OF_RANGE),
        ("weight-size-3", x34, ((3,), [0, 1, 2]), {"weight": w3}, r"inconsistent weight size, expected 4 but got \[3\]"),
        ("weight-size-0-d-input", ((), [0.5]), ((), [0]), {"weight": tensor((2,), [1.0, 1.0])},
         r"inconsistent weight size, expected 1 but got \[2\]"),
        ("weight-size-and-target-shape", x34, ((2,), [0, 1]), {"weight": w3}, target_size(3, r"\[2\]", r"\[3, 4\]")),
        ("weight-size-and-float-target", x34, ((3,), [0.0, 1.0, 2.0], "float32"), {"weight": w3},
         r"inconsistent weight size, expected 4 but got \[3\]|expected scalar type Long but found Float"),
        ("weight-size-and-weight-dtype", x34, ((3,), [0, 1, 2]), {"weight": tensor((3,), [1.0, 1.0, 1.0], "float64")},
         r"inconsistent weight size, expected 4 but got \[3\]|expected scalar type Float but found Double"),
        ("weight-size-and-empty-batch", ((0, 4), []), ((0,), []), {"weight": w3, "reduction": "none"},
         r"inconsistent weight size, expected 4 but got \[3\]|" + NOT_A_MATRIX + r"\[0, 4\]"),
        ("float-target", x34, ((3,), [0.0, 1.0, 3.0], "float32"), {}, r"expected scalar type Long but found Float"),
        ("float-target-and-out-of-range", x34, ((3,), [0.0, 9.0, 3.0], "float32"), {}, r"expected scalar type Long but found Float"),
        ("float-target-and-target-shape", x34, ((2,), [0.0, 1.0], "float32"), {}, target_size(3, r"\[2\]", r"\[3, 4\]")),
        ("float-target-and-weight-dtype", x34, ((3,), [0.0, 1.0, 3.0], "float32"), {"weight": w4_64},
         r"expected scalar type Long but found Float"),
        ("weight-dtype", x34, t3, {"weight": w4_64}, r"expected scalar type Float but found Double"),
        ("weight-dtype-and-out-of-range", x34, ((3,), [0, 9, 1]), {"weight": w4_64}, r"expected scalar type Float but found Double"),
        ("margin-1e39", x34, t3, {"margin": 1e39}, MARGIN_OVERFLOW),
        ("margin-minus-1e39", x34, t3, {"margin": -1e39}, MARGIN_OVERFLOW),
        ("margin-3.4028235e38", x34, t3, {"margin": 3.4028235e38}, MARGIN_OVERFLOW),
        ("margin-overflow-and-out-of-range", x34, ((3,), [0, 9, 1]), {"margin": 1e39}, MARGIN_OVERFLOW),
        ("margin-overflow-and-weight-dtype", x34, t3, {"margin": 1e39, "weight": w4_64},
         r"expected scalar type Float but found Double"),
        ("margin-overflow-and-float-target", x34, ((3,), [0.0, 1.0, 3.0], "float32"), {"margin": 1e39},
         r"expected scalar type Long but found Float"),
        ("margin-overflow-and-target-shape", x34, ((2,), [0, 1]), {"margin": 1e39}, target_size(3, r"\[2\]", r"\[3, 4\]")),
    ]
    for name, (ishape, x), target, kwargs, regex in err:
        tshape, t = target[0], target[1]
        tdtype = target[2] if len(target) > 2 else "int64"
        kw = dict(kwargs)
        red = kw.pop("reduction", "mean")
        yield mcase("error-" + name, "float32", red, ishape, x, tshape, t, kw, tags=["error"], error_regex=regex,
                    target_dtype=tdtype)
    # float64 input with a float32 weight; margin overflow and an empty batch (1.8+ returns before converting)
    x64 = x34[1]
    yield mcase("error-weight-dtype", "float64", "mean", (3, 4), x64, (3,), [0, 1, 3], {"weight": w4},
                tags=["error"], error_regex=r"expected scalar type Double but found Float")
    yield mcase("error-float64-target", "float64", "mean", (3, 4), x64, (3,), [0.0, 1.0, 3.0], tags=["error"],
                error_regex=r"expected scalar type Long but found Double", target_dtype="float64")
    # a torch.long input: the kernel's dtype dispatch (after the shape and weight-size checks); a torch.long weight
    dispatch = r"\"multi_margin_loss_cpu_kernel\" not implemented for 'Long'"
    yield mcase("error-int64-input", "float32", "mean", (3, 4), [1, 0, 2, 3, 0, 0, 1, 1, 2, 2, 0, 1], (3,), [0, 1, 3],
                tags=["error"], error_regex=dispatch, input_dtype="int64")
    yield mcase("error-int64-input-and-float-target", "float32", "mean", (3, 4), [1] * 12, (3,), [0.0, 1.0, 3.0],
                tags=["error"], error_regex=dispatch, input_dtype="int64", target_dtype="float32")
    yield mcase("error-int64-input-and-target-shape", "float32", "mean", (3, 4), [1] * 12, (2,), [0, 1],
                tags=["error"], error_regex=target_size(3, r"\[2\]", r"\[3, 4\]"), input_dtype="int64")
    yield mcase("error-int64-weight", "float32", "mean", (3, 4), x64, (3,), [0, 1, 3],
                {"weight": tensor((4,), [1, 2, 1, 1], "int64")}, tags=["error"],
                error_regex=r"expected scalar type Float but found Long")
    yield mcase("margin-overflow-empty-batch", "float32", "none", (0, 4), [], (0,), [], {"margin": 1e39}, tags=["empty"])
    yield mcase("float-target-empty-batch", "float32", "none", (0, 4), [], (0,), [], tags=["empty"], target_dtype="float32")
    yield mcase("weight-dtype-empty-batch", "float32", "none", (0, 4), [], (0,), [], {"weight": w4_64}, tags=["empty"])
