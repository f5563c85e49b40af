"""Cases for F.smooth_l1_loss (nn.SmoothL1Loss): beta (torch >= 1.7) on both sides of the kink,
beta = 0 (l1_loss in 1.7-1.12 and from 2.1, the smooth_l1 kernels in 1.13-2.0), broadcast input and
target, int64 and float64 targets, inner rows whose tails run ATen's scalar lambda, and the errors.

huber_loss.py builds its cases from the helpers here (`pointwise_cases`)."""
import struct
from itertools import product

from cases.common import FLOAT32_EXTREMES, FLOAT64_EXTREMES, NONFINITE, logits, numel, sample, shape_id, tensor

FUNCTION = "smooth_l1_loss"
ARGS = ("input", "target")
GRADS = ("input",)
BENCH_KWARGS = ()
DTYPES = ("float32", "float64")
REDUCTIONS = ("none", "mean", "sum")
# 0-d, empty, K-dim; rows of 15, 16, 17, 19 and 33 elements: tails of 2 x 8 float32 / 2 x 4 float64 lanes.
SHAPES = [(), (1,), (7,), (16,), (17,), (4, 3), (2, 3, 4), (0,), (0, 3), (3, 0, 2), (3, 19), (2, 33), (2, 2, 15)]
# Where one release raises for a case the others accept: torch 1.7's smooth_l1 backward does not
# promote an int64 or float64 target (pytorch#61112, torch 1.10); huber_loss's backward never does.
RELEASE_ERROR_REGEXES = (r"Found dtype (Long|Double|Float) but expected (Float|Double)",)


def bench_args(torch, gen, shape, dtype):
    """What scripts/bench.ts draws for logit inputs and real targets: (rand - 0.5) * 6."""
    return {"input": (torch.rand(shape, generator=gen, dtype=dtype) - 0.5) * 6,
            "target": (torch.rand(shape, generator=gen, dtype=dtype) - 0.5) * 6}, {}


def f32(v):
    return struct.unpack("<f", struct.pack("<f", v))[0]


def next_float(v, dtype, direction):
    """The next float32 / float64 after v towards +inf (direction 1) or -inf (-1)."""
    if dtype == "float32":
        code, bits = "<f", "<i"
        v = f32(v)
    else:
        code, bits = "<d", "<q"
    if v == 0:
        return (1e-45 if dtype == "float32" else 5e-324) * direction
    i = struct.unpack(bits, struct.pack(code, v))[0]
    i += direction if v > 0 else -direction
    return struct.unpack(code, struct.pack(bits, i))[0]


def kink_values(threshold, dtype):
    """Differences a - t at and around +-threshold as the dtype holds it (float(0.7) < 0.7 and
    float(0.3) > 0.3: the scalar lambda compares with the double, the vectorized one with the float)."""
    b = f32(threshold) if dtype == "float32" else threshold
    near = [b, next_float(b, dtype, 1), next_float(b, dtype, -1), b / 2, 2 * b]
    return [0.0, -0.0] + near + [-v for v in near]


def kink_cases(function, option, thresholds, reductions=("none", "mean"), extra_kwargs=None):
    """Each threshold's kink values twice: as rows of 7 (every element through the scalar lambda)
    and of 32 (every element vectorized), against a zero target broadcast along the rows."""
    for dtype, threshold, reduction in product(DTYPES, thresholds, reductions):
        values = kink_values(threshold, dtype)
        kwargs = dict(extra_kwargs or {}, reduction=reduction)
        kwargs[option] = threshold
        for layout, width in (("tail", 7), ("vector", 32)):
            rows = -(-len(values) // width)
            padded = (values * (rows * width // len(values) + 1))[:rows * width]
            yield sample("%s/%s/kink-%s-%s/%g" % (dtype, reduction, option, layout, threshold), dtype,
                         {"input": tensor((rows, width), padded), "target": tensor((1, width), [0.0] * width)},
                         kwargs, tags=["kink", layout])


def broadcast_layouts():
    """(name, input shape, target shape): the target grows, the input grows, both grow."""
    return [("target-0d", (2, 20), ()), ("target-C", (2, 20), (20,)), ("target-1xC", (2, 20), (1, 20)),
            ("target-Nx1", (2, 20), (2, 1)), ("input-C", (20,), (2, 20)), ("input-0d", (), (2, 17)),
            ("input-Nx1", (3, 1), (3, 19)), ("input-1xC-target-Nx1", (1, 18), (3, 1)),
            ("input-1x3x1", (1, 3, 1), (2, 3, 20)), ("empty-grows", (1,), (0,))]


def pointwise_cases(rng, function, option, values, special):
    """The cases smooth_l1_loss and huber_loss share: `option` (beta or delta) takes `values`, and
    the two `special` values in the equal and non-finite cases."""
    for dtype, reduction, shape in product(DTYPES, REDUCTIONS, SHAPES):
        r = rng("basic", dtype, reduction, shape)
        yield sample("%s/%s/basic/%s" % (dtype, reduction, shape_id(shape)), dtype,
                     {"input": tensor(shape, logits(r, shape)), "target": tensor(shape, logits(r, shape))},
                     {"reduction": reduction}, tags=["basic"] + (["empty"] if numel(shape) == 0 else []))

    for dtype, reduction, value in product(DTYPES, ("none", "mean"), values):
        r = rng(option, dtype, reduction, value)
        shape = (2, 19)
        scale = 2.0 if value == 0 or value > 1e6 else 2.0 * value
        yield sample("%s/%s/%s/%g/%s" % (dtype, reduction, option, value, shape_id(shape)), dtype,
                     {"input": tensor(shape, logits(r, shape, scale)), "target": tensor(shape, logits(r, shape, scale))},
                     {"reduction": reduction, option: value}, tags=[option])

    # input == target (the 1.13 beta = 0 gradient), and half of the elements equal.
    for dtype, reduction, value in product(DTYPES, REDUCTIONS, special):
        r = rng("equal", dtype, reduction, value)
        shape = (3, 11)
        t = logits(r, shape)
        x = [v if i % 2 == 0 else v + r.gauss(0.0, 1.0) for i, v in enumerate(t)]
        yield sample("%s/%s/equal/%s=%g/%s" % (dtype, reduction, option, value, shape_id(shape)), dtype,
                     {"input": tensor(shape, x), "target": tensor(shape, t)}, {"reduction": reduction, option: value},
                     tags=["equal"])

    for dtype, reduction, (name, ishape, tshape) in product(DTYPES, ("none", "mean"), broadcast_layouts()):
        r = rng("broadcast", dtype, reduction, name)
        yield sample("%s/%s/broadcast-%s/%s" % (dtype, reduction, name, shape_id(ishape)), dtype,
                     {"input": tensor(ishape, logits(r, ishape)), "target": tensor(tshape, logits(r, tshape))},
                     {"reduction": reduction}, tags=["broadcast"])

    # torch.long targets are converted to the input's dtype (the backward may raise, per release).
    for dtype, reduction, (name, ishape, tshape) in product(DTYPES, REDUCTIONS, [("same", (4, 9), (4, 9)), ("broadcast", (4, 9), (9,))]):
        r = rng("int-target", dtype, reduction, name)
        yield sample("%s/%s/int64-target-%s/%s" % (dtype, reduction, name, shape_id(ishape)), dtype,
                     {"input": tensor(ishape, logits(r, ishape)),
                      "target": tensor(tshape, [r.randrange(-3, 4) for _ in range(numel(tshape))], "int64")},
                     {"reduction": reduction}, tags=["int64-target"])

    # Mixed float32 / float64 (type promotion; the backward may raise, per release).
    for (idt, tdt), reduction in product((("float32", "float64"), ("float64", "float32")), ("none", "mean")):
        r = rng("mixed", idt, tdt, reduction)
        shape = (3, 7)
        yield sample("%s/%s/mixed-%s-target/%s" % (idt, reduction, tdt, shape_id(shape)), idt,
                     {"input": tensor(shape, logits(r, shape)), "target": tensor(shape, logits(r, shape), tdt)},
                     {"reduction": reduction}, tags=["mixed-dtype"])

    for dtype, reduction, side in product(DTYPES, ("none", "sum"), ("input", "target")):
        extremes = FLOAT32_EXTREMES if dtype == "float32" else FLOAT64_EXTREMES
        values = extremes + NONFINITE * 2 + [0.5, -2.0, 1e-3]
        r = rng("extreme", dtype, reduction, side)
        other = [r.choice((0.0, 1.0, -1.0, 0.25)) for _ in values]
        args = (values, other) if side == "input" else (other, values)
        yield sample("%s/%s/extreme-%s/%d" % (dtype, reduction, side, len(values)), dtype,
                     {"input": tensor((len(values),), args[0]), "target": tensor((len(values),), args[1])},
                     {"reduction": reduction}, tags=["extreme", "nonfinite"])

    for dtype, reduction, value in product(DTYPES, ("none", "mean"), special):
        x = NONFINITE * 3
        t = [NONFINITE[i // 3] for i in range(9)]
        yield sample("%s/%s/nonfinite-pairs/%s=%g" % (dtype, reduction, option, value), dtype,
                     {"input": tensor((9,), x), "target": tensor((9,), t)}, {"reduction": reduction, option: value},
                     tags=["nonfinite"])

    # Accumulation order: ATen's cascade sum over 4000 float32 losses, and over rows of 300.
    for name, shape, reduction in [("flat", (4000,), "mean"), ("wide", (2, 300), "sum")]:
        r = rng("large", name, shape, reduction)
        grid = lambda: [round(v * 64) / 64 for v in logits(r, shape)]
        yield sample("float32/%s/large-%s/%s" % (reduction, name, shape_id(shape)), "float32",
                     {"input": tensor(shape, grid()), "target": tensor(shape, grid())}, {"reduction": reduction},
                     tags=["large"])

    yield sample("float32/elementwise_mean/deprecated-reduction/4x3", "float32",
                 {"input": tensor((4, 3), logits(rng("elementwise_mean"), (4, 3))), "target": tensor((4, 3), [0.5] * 12)},
                 {"reduction": "elementwise_mean"}, tags=["legacy"])

    # Errors, in functional.py's order: broadcast_tensors, then get_enum(reduction), then the option.
    def error(name, ishape, tshape, kwargs, regex):
        r = rng("error", name)
        return sample("float32/%s/error-%s/%s" % (kwargs.get("reduction", "mean"), name, shape_id(ishape)), "float32",
                      {"input": tensor(ishape, logits(r, ishape)), "target": tensor(tshape, logits(r, tshape))},
                      kwargs, tags=["error"], error_regex=regex)

    shape_regex = r"The size of tensor a \(%d\) must match the size of tensor b \(%d\) at non-singleton dimension %d"
    yield error("target-shape", (3,), (2,), {"reduction": "mean"}, shape_regex % (3, 2, 0))
    yield error("target-shape-2d", (2, 5, 3), (4, 3), {"reduction": "none"}, shape_regex % (5, 4, 1))
    yield error("shape-before-reduction", (3,), (2,), {"reduction": "average"}, shape_regex % (3, 2, 0))
    yield error("reduction", (2, 3), (2, 3), {"reduction": "average"}, r"average is not a valid value for reduction")
    yield error("reduction-none-value", (2, 3), (2, 3), {"reduction": None}, r"None is not a valid value for reduction")
    yield error("shape-before-" + option, (3,), (2,), {option: -1.0}, shape_regex % (3, 2, 0))
    yield error("reduction-before-" + option, (2, 3), (2, 3), {"reduction": "average", option: -1.0},
                r"average is not a valid value for reduction")
    yield error(option + "-str", (2, 3), (2, 3), {option: "1"},
                r"%s\(\): argument '%s' \(position 4\) must be float, not str" % (function, option))
    yield error(option + "-none", (2, 3), (2, 3), {option: None},
                r"%s\(\): argument '%s' \(position 4\) must be float, not NoneType" % (function, option))


def cases(rng):
    for c in pointwise_cases(rng, FUNCTION, "beta", (0.0, -0.0, 1e-3, 0.5, 0.7, 0.3, 2.0, 10.0, 1e30, 1e39), (0.0, 1.0)):
        yield c
    for c in kink_cases(FUNCTION, "beta", (1.0, 0.7, 0.3, 0.1)):
        yield c
    negative = r"smooth_l1_loss does not support negative values for beta\."
    # (Golden kwargs hold finite numbers only: beta = NaN, which fails the check too, is not a case.)
    for name, beta in (("negative", -1.0), ("tiny-negative", -1e-30), ("huge-negative", -1e39)):
        r = rng("error", "beta", name)
        yield sample("float32/mean/error-beta-%s/2x3" % name, "float32",
                     {"input": tensor((2, 3), logits(r, (2, 3))), "target": tensor((2, 3), logits(r, (2, 3)))},
                     {"beta": beta}, tags=["error"], error_regex=negative)
