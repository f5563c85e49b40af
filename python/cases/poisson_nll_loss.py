"""Cases for F.poisson_nll_loss (nn.PoissonNLLLoss): log_input (log-rates) and rates (with eps),
full (the Stirling term for targets > 1), every reduction, 0-d / empty / K-dim shapes, count and
non-integer targets, int64 and mixed float targets, broadcasting, extreme and non-finite values
(exp overflows, log of 0 and negatives), and the argument errors."""
import math
from itertools import product

from cases.common import FLOAT32_EXTREMES, FLOAT64_EXTREMES, NONFINITE, logits, numel, sample, shape_id, tensor

FUNCTION = "poisson_nll_loss"
ARGS = ("input", "target")
GRADS = ("input",)
BENCH_KWARGS = ()
DTYPES = ("float32", "float64")
REDUCTIONS = ("none", "mean", "sum")
SHAPES = [(), (1,), (7,), (4, 3), (2, 3, 4), (0,), (0, 3), (3, 19)]
# torch 1.7 cannot take the log of an int64 target (full=True); later releases promote it to float32.
RELEASE_ERROR_REGEXES = (r"log_vml_cpu not implemented for 'Long'",)


def bench_args(torch, gen, shape, dtype):
    """scripts/bench.ts's draws for poisson_nll_loss's domain: logit inputs, counts floor(rand * 5)."""
    return {"input": (torch.rand(shape, generator=gen, dtype=dtype) - 0.5) * 6,
            "target": torch.floor(torch.rand(shape, generator=gen, dtype=dtype) * 5)}, {}


def counts(rng, shape, rate=3.0):
    """Poisson-like counts (Knuth's method on the seeded Random), as floats."""
    out = []
    limit = math.exp(-rate)
    for _ in range(numel(shape)):
        k, p = 0, 1.0
        while True:
            p *= rng.random()
            if p <= limit:
                break
            k += 1
        out.append(float(k))
    return out


def rates(rng, shape, zeros=0.1):
    return [0.0 if rng.random() < zeros else rng.uniform(0.01, 6.0) for _ in range(numel(shape))]


def inputs_for(rng, shape, log_input):
    return logits(rng, shape, 1.5) if log_input else rates(rng, shape)


def pn(id, dtype, reduction, log_input, full, input, target, tags=(), error_regex=None, target_dtype=None, kwargs=None):
    kw = {"reduction": reduction, "log_input": log_input, "full": full}
    kw.update(kwargs or {})
    variant = ("log-input" if log_input else "rate") + ("-full" if full else "")
    return sample("%s/%s/%s/%s/%s" % (dtype, reduction, variant, id, shape_id(input[0])), dtype,
                  {"input": tensor(*input), "target": tensor(target[0], target[1], target_dtype)}, kw,
                  tags=list(tags) + ([variant]), error_regex=error_regex)


def cases(rng):
    for dtype, reduction, log_input, full, shape in product(DTYPES, REDUCTIONS, (True, False), (False, True), SHAPES):
        if dtype == "float64" and numel(shape) > 32:
            continue  # float32's rows of 19 cover the vector lanes; keeps the file small
        r = rng("basic", dtype, reduction, log_input, full, shape)
        yield pn("basic", dtype, reduction, log_input, full, (shape, inputs_for(r, shape, log_input)), (shape, counts(r, shape)),
                 tags=["basic"] + (["empty"] if numel(shape) == 0 else []))

    # Non-integer and large targets (the Stirling term for 1 < target, masked at target <= 1).
    for dtype, reduction, log_input, full in product(DTYPES, ("none",), (True, False), (False, True)):
        r = rng("soft-target", dtype, reduction, log_input, full)
        t = [0.0, 0.5, 1.0, 1.0000001, 1.5, 2.0, 10.0, 100.0, 1e4, 1e6] + [r.uniform(0.0, 20.0) for _ in range(6)]
        yield pn("soft-target", dtype, reduction, log_input, full, ((16,), inputs_for(r, (16,), log_input)), ((16,), t),
                 tags=["soft-target"])

    # eps: 0 (log(0) = -inf at a zero rate), larger, and a Python int.
    for dtype, eps in product(DTYPES, (0.0, 1e-3, 1)):
        r = rng("eps", dtype, eps)
        x = [0.0, 1e-9, 1e-8, 0.5, 2.0, 0.0] + rates(r, (6,))
        yield pn("eps-%g" % eps, dtype, "none", False, False, ((12,), x), ((12,), counts(r, (12,))), kwargs={"eps": eps},
                 tags=["eps"])
        yield pn("eps-%g" % eps, dtype, "mean", False, True, ((12,), x), ((12,), counts(r, (12,), 6.0)), kwargs={"eps": eps},
                 tags=["eps"])

    # Extreme and non-finite inputs (exp overflows and underflows; negative rates give NaN), and targets.
    for dtype, reduction, log_input, full in product(DTYPES, ("none", "mean"), (True, False), (False, True)):
        ext = FLOAT32_EXTREMES if dtype == "float32" else FLOAT64_EXTREMES
        values = NONFINITE * 2 + ext
        n = len(values)
        r = rng("extreme", dtype, reduction, log_input, full)
        yield pn("extreme-input", dtype, reduction, log_input, full, ((n,), values), ((n,), [0.0] * 3 + [3.0] * 3 + counts(r, (n - 6,))),
                 tags=["extreme", "nonfinite"])
        if reduction != "none":
            continue
        tv = NONFINITE + [-2.0, -0.0] + [abs(v) for v in ext]
        yield pn("extreme-target", dtype, reduction, log_input, full, ((len(tv),), inputs_for(r, (len(tv),), log_input)),
                 ((len(tv),), tv), tags=["extreme", "nonfinite"])

    # Broadcasting (input shape, target shape); the gradient is summed back to the input's shape.
    layouts = [("target-grows", (3,), (2, 3)), ("input-grows", (2, 3), (3,)), ("both-grow", (2, 1), (1, 3)),
               ("scalar-target", (4, 3), ()), ("scalar-input", (), (5,)), ("rank-grows", (1, 4, 3), (2, 1, 3))]
    for dtype, reduction, log_input, full in product(DTYPES, ("none", "mean"), (True, False), (False, True)):
        for name, ishape, tshape in layouts:
            r = rng("broadcast", dtype, reduction, log_input, full, name)
            yield pn("broadcast-" + name, dtype, reduction, log_input, full, (ishape, inputs_for(r, ishape, log_input)),
                     (tshape, counts(r, tshape, 4.0)), tags=["broadcast"])

    # int64 targets (promoted; the Stirling term's log in float32, the default dtype, even for a float64 input).
    for dtype, reduction, log_input, full in product(DTYPES, ("none",), (True, False), (False, True)):
        r = rng("int-target", dtype, reduction, log_input, full)
        yield pn("int64-target", dtype, reduction, log_input, full, ((3, 5), inputs_for(r, (3, 5), log_input)),
                 ((3, 5), [int(v) for v in counts(r, (3, 5), 5.0)] + []), target_dtype="int64", tags=["int-target"])

    # Mixed float dtypes.
    for (dtype, tdtype), reduction, log_input, full in product((("float32", "float64"), ("float64", "float32")),
                                                              ("none", "mean"), (True, False), (False, True)):
        r = rng("mixed", dtype, tdtype, reduction, log_input, full)
        t = [v + r.random() for v in counts(r, (4, 5), 4.0)]
        yield pn("target-" + tdtype, dtype, reduction, log_input, full, ((4, 5), inputs_for(r, (4, 5), log_input)),
                 ((4, 5), t), target_dtype=tdtype, tags=["mixed-dtype"])

    # A 0-d tensor of the wider dtype ranks below a dimensioned one: these compute in float32.
    for (dtype, tdtype, ishape, tshape), log_input, full in product(
            (("float64", "float32", (), (5,)), ("float32", "float64", (4, 3), ())), (True, False), (False, True)):
        r = rng("mixed-0d", dtype, log_input, full)
        yield pn("target-%s-%s" % (tdtype, shape_id(tshape)), dtype, "none", log_input, full, (ishape, inputs_for(r, ishape, log_input)),
                 (tshape, [v + r.random() for v in counts(r, tshape, 4.0)]), target_dtype=tdtype, tags=["mixed-dtype"])

    # Larger inputs, where the cascade sum's order shows (inputs on a 1/64 grid).
    for reduction, log_input, full in (("mean", True, True), ("sum", False, True)):
        r = rng("large", reduction, log_input, full)
        shape = (16, 160)
        x = [round(v * 64) / 64 for v in inputs_for(r, shape, log_input)]
        yield pn("large", "float32", reduction, log_input, full, (shape, x), (shape, counts(r, shape, 5.0)), tags=["large"])

    errors = [
        ("error-shape", (2, 3), (2,), {"reduction": "mean"},
         r"The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 1"),
        ("error-reduction", (2, 3), (2, 3), {"reduction": "average"}, r"average is not (a )?valid"),
        ("error-reduction-elementwise-mean", (2, 3), (2, 3), {"reduction": "elementwise_mean"}, r"elementwise_mean is not (a )?valid"),
        ("error-reduction-none", (2, 3), (2, 3), {"reduction": None}, r"unsupported operand type\(s\) for \+"),
        ("error-log-input-int", (2, 3), (2, 3), {"log_input": 0}, r"argument 'log_input' \(position 3\) must be bool, not int"),
        ("error-full-str", (2, 3), (2, 3), {"full": "yes"}, r"argument 'full' \(position 4\) must be bool, not str"),
        ("error-eps-str", (2, 3), (2, 3), {"eps": "small"}, r"argument 'eps' \(position 5\) must be float, not str"),
        ("error-eps-none", (2, 3), (2, 3), {"eps": None}, r"argument 'eps' \(position 5\) must be float, not NoneType"),
    ]
    for name, ishape, tshape, kwargs, regex in errors:
        r = rng("error", name)
        yield sample("float32/%s/%s" % (name, shape_id(ishape)), "float32",
                     {"input": tensor(ishape, logits(r, ishape)), "target": tensor(tshape, counts(r, tshape))},
                     kwargs, tags=["error"], error_regex=regex)
