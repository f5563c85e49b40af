"""Shared pieces of the case modules: seeded values, special values, layouts.

Values come from Python's random.Random, seeded per case from (seed, case id), so the same case
has the same inputs on every torch version (drift reports compare like with like) and adding a
case does not reshuffle the others.
"""
import math
import random

FLOAT32_EXTREMES = [0.0, -0.0, 1e-45, -1e-45, 1e-40, -1e-40, 17.0, -17.0, 88.7, -88.7, 103.9,
                    -103.9, 3e38, -3e38, 1.0, -1.0]
FLOAT64_EXTREMES = [0.0, -0.0, 5e-324, -5e-324, 1e-310, -1e-310, 17.0, -17.0, 36.8, -36.8,
                    709.0, -709.0, 745.2, -745.2, 1e300, -1e300]
NONFINITE = [math.inf, -math.inf, math.nan]
SCALES = [0.5, 1.0, 5.0, 30.0, 100.0, 1e4]


def extremes(dtype):
    return FLOAT32_EXTREMES if dtype == "float32" else FLOAT64_EXTREMES


def rng_factory(seed):
    """rng(*key): a Random seeded by the run's seed and the key (string seeds are stable)."""
    return lambda *key: random.Random("%d:%r" % (seed, key))


class Tensor(object):
    """A tensor a case module describes: shape, flat values and dtype (None: the case's dtype)."""
    __slots__ = ("shape", "values", "dtype")

    def __init__(self, shape, values, dtype=None):
        shape = tuple(int(d) for d in shape)
        values = list(values)
        if len(values) != numel(shape):
            raise ValueError("tensor of shape %r given %d values" % (shape, len(values)))
        self.shape, self.values, self.dtype = shape, values, dtype


def tensor(shape, values, dtype=None):
    return Tensor(shape, values, dtype)


def sample(id, dtype, args, kwargs=None, tags=(), error_regex=None):
    """One case, as OpInfo's SampleInput(args, kwargs): `args` maps torch's names to tensor(...),
    in torch's order; `kwargs` holds plain values and tensor(...)s. `id` (without the stem) says what
    the case is; `error_regex` is a stable part of the message torch raises, where it raises."""
    return {"id": id, "dtype": dtype, "args": dict(args), "kwargs": dict(kwargs or {}), "tags": list(tags),
            "error_regex": error_regex}


def case(variant, dtype, reduction, input, target, weight=None, pos_weight=None, tags=(), error_regex=None,
         target_dtype=None):
    """A sample of an (input, target) loss from (shape, flat values) pairs; weight and pos_weight
    are passed only when given. The id: dtype/reduction/variant/input shape."""
    kwargs = {"reduction": reduction}
    if weight is not None:
        kwargs["weight"] = tensor(*weight)
    if pos_weight is not None:
        kwargs["pos_weight"] = tensor(*pos_weight)
    return sample("%s/%s/%s/%s" % (dtype, reduction, variant, shape_id(input[0])), dtype,
                  {"input": tensor(*input), "target": tensor(target[0], target[1], target_dtype)}, kwargs,
                  tags=tags, error_regex=error_regex)


def shape_id(shape):
    """A shape in a case id: (4, 3) -> '4x3', () -> '0d'."""
    return "x".join(str(d) for d in shape) if len(shape) else "0d"


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def logits(rng, shape, scale=2.0):
    return [rng.gauss(0.0, 1.0) * scale for _ in range(numel(shape))]


def targets(rng, shape, kind):
    """'hard' 0/1 labels, 'soft' probabilities, or 'outside' values torch accepts outside [0, 1]."""
    n = numel(shape)
    if kind == "hard":
        return [float(rng.random() < 0.5) for _ in range(n)]
    if kind == "soft":
        return [rng.random() for _ in range(n)]
    return [rng.uniform(-0.5, 1.5) for _ in range(n)]


def positive(rng, shape, low=0.1, high=3.0):
    return [rng.uniform(low, high) for _ in range(numel(shape))]


def quantized_logits(rng, shape, scale=4.0):
    """Logits on a 1/64 grid: exact in float32 with short decimal forms, for the large cases."""
    return [round(rng.gauss(0.0, 1.0) * scale * 64) / 64 for _ in range(numel(shape))]


def class_layouts(shape):
    """Shapes a per-class weight may take for `shape`: name -> shape (all broadcast to it)."""
    c = shape[-1] if shape else 1
    layouts = [("scalar", ()), ("C", (c,))]
    if len(shape) >= 2:
        layouts += [("1xC", (1, c)), ("full", tuple(shape)), ("Nx1", tuple(shape[:-1]) + (1,))]
    if len(shape) >= 3:
        layouts += [("1x1xC", (1, 1, c)), ("Nx1xC", (shape[0], 1, c))]
    return layouts


def probabilities(rng, shape):
    """Inputs for BCELoss: uniform in (0, 1), with exact 0 and 1 and the ends of the range mixed in."""
    specials = [0.0, 1.0, 1e-45, 1e-40, 3e-44, 1e-7, 0.5, 1 - 1e-7, 0.99999994]
    return [rng.choice(specials) if rng.random() < 0.15 else rng.random() for _ in range(numel(shape))]


def signs(rng, shape):
    return [rng.choice((-1.0, 1.0)) for _ in range(numel(shape))]


def label_rows(rng, rows, classes, style="random"):
    """MultiLabelMarginLoss targets: per row, distinct class indices then -1, padded with valid
    indices that torch must ignore ('random'), or all classes ('full'), or none ('empty')."""
    out = []
    for _ in range(rows):
        if style == "full":
            row = rng.sample(range(classes), classes)
        elif style == "empty":
            row = [-1] + [rng.randrange(classes) for _ in range(classes - 1)]
        else:
            k = rng.randrange(0, classes)
            row = rng.sample(range(classes), k)
            if k < classes:
                row = row + [-1] + [rng.randrange(classes) for _ in range(classes - k - 1)]
        out.extend(row)
    return out
