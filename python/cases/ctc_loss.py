"""Cases for F.ctc_loss (nn.CTCLoss): log_probs (T, N, C) or unbatched (T, C), targets padded (N, S)
or concatenated (sum of the target lengths), input and target lengths as int64 (or int32) tensors;
blank, zero_infinity, the three reductions; impossible alignments (targets longer than the input,
repeated labels that need a blank between them), empty targets, T = 1, -inf / NaN / extreme
log-probabilities, float and int32 targets, and every error torch raises.

log_probs are log_softmax of seeded logits computed in Python's double arithmetic (never torch's
log_softmax, whose last bits differ between builds), then rounded to the dtype by torch.tensor.

Not covered (no defined result to compare): input lengths of 0 (1.7 and 1.13 read log_alpha they
never wrote), negative lengths (1.13 aborts, 1.7 computes garbage; 2.6+ raise), labels outside
[0, C) (torch reads out of bounds), and Python int lists for the lengths (the golden format passes
tensors only; torch's IntArrayRef overload computes the same).
"""
import math

from cases.common import sample, tensor

FUNCTION = "ctc_loss"
ARGS = ("log_probs", "targets", "input_lengths", "target_lengths")
GRADS = ("log_probs",)
DTYPES = ("float32", "float64")
REDUCTIONS = ("none", "mean", "sum")
# Most variants run every reduction in float32 and one in float64 (the golden size budget).
SMALL_GRID = [("float32", "none"), ("float32", "mean"), ("float32", "sum"), ("float64", "mean")]

# Errors one release raises for cases the others compute: unbatched input before 1.11 (pytorch#70092),
# an empty log_probs from 2.8 (pytorch#150981).
RELEASE_ERROR_REGEXES = (
    r"Expected 3-dimensional tensor, but got 2-dimensional tensor for argument #1 'log_probs'",
    r"log_probs tensor must not be empty",
)

WHILE = r" \(while checking arguments for ctc_loss_(cpu|allocate_outputs)\)"


def bench_args(torch, gen, shape, dtype):
    """shape (T, N, C): log_softmax of random logits, padded targets of S = min(10, T // 2 - 1)
    labels in [1, C) (the benchmark's T=50, N=16, C=20 gives S = 10), full input lengths, target
    lengths S."""
    t, n, c = shape
    s = max(1, min(10, t // 2 - 1))
    lp = torch.randn(shape, generator=gen, dtype=dtype).log_softmax(2)
    targets = torch.randint(1, c, (n, s), generator=gen, dtype=torch.long)
    return {"log_probs": lp, "targets": targets,
            "input_lengths": torch.full((n,), t, dtype=torch.long),
            "target_lengths": torch.full((n,), s, dtype=torch.long)}, {}


def T(shape, values, dtype=None):
    return tensor(shape, values, dtype)


def log_softmax_rows(logits, c):
    """log_softmax over each row of c values, in Python's double arithmetic."""
    out = []
    for i in range(0, len(logits), c):
        row = logits[i:i + c]
        m = max(row)
        if m == -math.inf:
            out.extend([-math.inf] * c)
            continue
        lse = m + math.log(sum(math.exp(v - m) for v in row))
        out.extend(v - lse for v in row)
    return out


def log_probs(rng, t, n, c, scale=2.0):
    return log_softmax_rows([rng.gauss(0.0, 1.0) * scale for _ in range(t * n * c)], c)


def labels_for(rng, c, blank, k, repeat=0.0):
    """k labels in [0, c) other than blank; with probability `repeat` a label repeats the one before."""
    choices = [j for j in range(c) if j != blank]
    out = []
    for _ in range(k):
        if out and rng.random() < repeat:
            out.append(out[-1])
        else:
            out.append(rng.choice(choices))
    return out


def ctc_sample(variant, dtype, reduction, lp, lp_shape, target_rows, il, layout="padded", s=None, blank=0,
               zero_infinity=None, tags=(), error_regex=None, target_dtype="int64", length_dtype="int64",
               unbatched=False, kwargs=None, pad=0):
    """A sample from log-probabilities (flat, of lp_shape), each sample's labels (target_rows) and the
    input lengths; target lengths are the rows' lengths; padded targets are (N, s) with `pad` after each row."""
    tl = [len(row) for row in target_rows]
    if layout == "padded":
        width = s if s is not None else max(tl + [0])
        flat = []
        for row in target_rows:
            flat.extend(row + [pad] * (width - len(row)))
        tg = T((1, width) if unbatched else (len(target_rows), width), flat, target_dtype)
    else:
        flat = [v for row in target_rows for v in row]
        tg = T((len(flat),), flat, target_dtype)
    if unbatched:
        ilt, tlt = T((), il, length_dtype), T((), tl, length_dtype)
    else:
        ilt, tlt = T((len(il),), il, length_dtype), T((len(tl),), tl, length_dtype)
    kw = {"reduction": reduction}
    if blank != 0 or zero_infinity is not None:
        kw["blank"] = blank
    if zero_infinity is not None:
        kw["zero_infinity"] = zero_infinity
    kw.update(kwargs or {})
    shape_name = "x".join(str(d) for d in lp_shape)
    return sample("%s/%s/%s/%s" % (dtype, reduction, variant, shape_name), dtype,
                  {"log_probs": T(lp_shape, lp), "targets": tg, "input_lengths": ilt, "target_lengths": tlt},
                  kw, tags=tags, error_regex=error_regex)


def cases(rng):
    # basic: random lengths (some alignments impossible), both layouts, zero_infinity both ways
    for dtype, reduction in SMALL_GRID:
        for layout in ("padded", "concat"):
            for zi in (False, True):
                r = rng("basic", dtype, reduction, layout, zi)
                t, n, c, s = 5, 4, 4, 3
                rows = [labels_for(r, c, 0, r.randrange(0, s + 1), 0.3) for _ in range(n)]
                il = [r.randrange(1, t + 1) for _ in range(n)]
                yield ctc_sample("basic-%s-zi%d" % (layout, zi), dtype, reduction, log_probs(r, t, n, c), (t, n, c),
                                 rows, il, layout, s=s, zero_infinity=zi, tags=["basic"])

    # blank other than 0: the last class, a middle one; and a label equal to the blank
    for dtype in DTYPES:
        for blank in (4, 2):
            for reduction in ("none", "mean") if dtype == "float32" else ("none",):
                r = rng("blank", dtype, blank, reduction)
                t, n, c = 7, 3, 5
                rows = [labels_for(r, c, blank, k, 0.3) for k in (3, 1, 2)]
                yield ctc_sample("blank%d" % blank, dtype, reduction, log_probs(r, t, n, c), (t, n, c), rows,
                                 [7, 5, 6], "padded", s=4, blank=blank, pad=blank, tags=["blank"])
        r = rng("label-is-blank", dtype)
        yield ctc_sample("label-equals-blank", dtype, "none", log_probs(r, 5, 2, 4), (5, 2, 4), [[1, 0, 2], [0, 0]],
                         [5, 4], "padded", s=3, tags=["blank"])

    # repeated labels: each repeat needs a blank between; exactly enough frames, one too few, zero_infinity
    for dtype, reduction in SMALL_GRID:
        for zi in (False, True):
            r = rng("repeats", dtype, zi, reduction)
            rows = [[1, 1, 1], [2, 2], [1, 2, 1], [3, 3, 3]]
            il = [5, 3, 3, 4]  # needs 5, 3, 3, 5: the last is impossible
            yield ctc_sample("repeats-zi%d" % zi, dtype, reduction, log_probs(r, 5, 4, 4), (5, 4, 4), rows, il,
                             "concat", zero_infinity=zi, tags=["repeats", "impossible"])

    # targets longer than the input: inf (or 0 with zero_infinity), in every reduction
    for dtype, reduction in SMALL_GRID:
        for zi in (False, True):
            r = rng("too-long", dtype, zi, reduction)
            rows = [labels_for(r, 6, 0, 5), labels_for(r, 6, 0, 2), labels_for(r, 6, 0, 4)]
            yield ctc_sample("target-longer-than-input-zi%d" % zi, dtype, reduction, log_probs(r, 4, 3, 6),
                             (4, 3, 6), rows, [4, 4, 3], "padded", s=5, zero_infinity=zi, tags=["impossible"])

    # empty targets: all target lengths 0 (padded (N, 0), padded (N, 2), concatenated (0,)); some empty
    for dtype, reduction in SMALL_GRID:
        r = rng("empty-targets", dtype, reduction)
        lp = log_probs(r, 4, 3, 3)
        yield ctc_sample("empty-targets-padded0", dtype, reduction, lp, (4, 3, 3), [[], [], []], [4, 2, 1],
                         "padded", s=0, tags=["empty-target"])
        yield ctc_sample("empty-targets-padded2", dtype, reduction, lp, (4, 3, 3), [[], [], []], [4, 3, 1],
                         "padded", s=2, pad=1, tags=["empty-target"])
        yield ctc_sample("empty-targets-concat", dtype, reduction, lp, (4, 3, 3), [[], [], []], [3, 4, 2],
                         "concat", tags=["empty-target"])
        yield ctc_sample("some-empty-targets", dtype, reduction, lp, (4, 3, 3), [[1, 2], [], [2]], [4, 4, 2],
                         "concat", zero_infinity=True, tags=["empty-target"])

    # T = 1: one frame holds an empty target or one label; two labels are impossible
    for dtype in DTYPES:
        for reduction in ("none", "sum"):
            r = rng("t1", dtype, reduction)
            yield ctc_sample("t1", dtype, reduction, log_probs(r, 1, 3, 4), (1, 3, 4), [[], [2], [1, 3]], [1, 1, 1],
                             "padded", s=2, tags=["t1"])

    # unbatched (T, C) with 1-D targets (concatenated, one sample) or (1, S); 0-d lengths (torch >= 1.11)
    for dtype, reduction in SMALL_GRID:
        for layout in ("concat", "padded"):
            r = rng("unbatched", dtype, reduction, layout)
            t, c = 6, 5
            row = labels_for(r, c, 0, 3, 0.3)
            yield ctc_sample("unbatched-%s" % layout, dtype, reduction, log_probs(r, t, 1, c), (t, c), [row], [5],
                             layout, s=4, unbatched=True, tags=["unbatched"])
    for dtype in DTYPES:
        r = rng("unbatched-impossible", dtype)
        yield ctc_sample("unbatched-impossible", dtype, "mean", log_probs(r, 3, 1, 4), (3, 4), [[1, 1, 2]], [3],
                         "concat", unbatched=True, zero_infinity=True, tags=["unbatched", "impossible"])

    # input lengths below T (gradient 0 beyond), one frame short, per-sample variety
    for dtype in DTYPES:
        r = rng("lengths", dtype)
        t, n, c = 8, 5, 4
        rows = [labels_for(r, c, 0, k, 0.2) for k in (2, 3, 1, 4, 0)]
        yield ctc_sample("input-lengths-below-T", dtype, "mean", log_probs(r, t, n, c), (t, n, c), rows,
                         [8, 3, 1, 6, 2], "padded", s=4, tags=["lengths"])

    # int32 lengths and targets; float targets (torch converts them with .to(long))
    for reduction in ("mean",):
        r = rng("int32", reduction)
        rows = [labels_for(r, 4, 0, 2), labels_for(r, 4, 0, 3)]
        lp = log_probs(r, 5, 2, 4)
        yield ctc_sample("int32-lengths", "float32", reduction, lp, (5, 2, 4), rows, [5, 4], "padded", s=3,
                         length_dtype="int32", tags=["dtypes"])
        yield ctc_sample("int32-targets", "float32", reduction, lp, (5, 2, 4), rows, [5, 4], "concat",
                         target_dtype="int32", tags=["dtypes"])
        yield ctc_sample("float32-targets", "float32", reduction, lp, (5, 2, 4), rows, [5, 4], "padded", s=3,
                         target_dtype="float32", tags=["dtypes"])
        yield ctc_sample("float64-targets", "float32", reduction, lp, (5, 2, 4), rows, [5, 4], "concat",
                         target_dtype="float64", tags=["dtypes"])

    # non-finite and extreme log-probabilities: -inf (probability 0) on some labels, NaN, tiny probabilities
    inf = math.inf
    for dtype in DTYPES:
        for reduction in ("none", "sum") if dtype == "float32" else ("sum",):
            for zi in (False, True):
                r = rng("neginf", dtype, reduction, zi)
                t, n, c = 5, 3, 4
                lp = log_probs(r, t, n, c)
                for i in range(len(lp)):
                    if r.random() < 0.25:
                        lp[i] = -inf
                rows = [[1, 2], [3], [2, 2]]
                yield ctc_sample("neginf-zi%d" % zi, dtype, reduction, lp, (t, n, c), rows, [5, 5, 4], "padded", s=2,
                                 zero_infinity=zi, tags=["nonfinite"])
        r = rng("nan", dtype)
        lp = log_probs(r, 4, 2, 3)
        lp[4] = math.nan
        yield ctc_sample("nan", dtype, "none", lp, (4, 2, 3), [[1], [2, 1]], [4, 4], "padded", s=2, tags=["nonfinite"])
        big = 1e30 if dtype == "float32" else 1e300
        for name, values in [("tiny-probabilities", [-80.0, -95.0, -103.0, -60.0]),
                             ("huge-negative", [-big, -1.0, -2.0, -big]),
                             ("positive-logprobs", [3.0, 50.0, -1.0, 80.0])]:
            r = rng("extreme", dtype, name)
            lp = [r.choice(values) + r.random() for _ in range(5 * 2 * 4)]
            yield ctc_sample(name, dtype, "none", lp, (5, 2, 4), [[1, 3], [2]], [5, 4], "padded", s=2,
                             zero_infinity=True, tags=["extreme"])

    # empty batch: 'none' is empty, 'mean' NaN, 'sum' 0 (torch >= 2.8: log_probs tensor must not be empty)
    for dtype in DTYPES:
        for reduction in REDUCTIONS:
            for layout in ("padded", "concat"):
                yield ctc_sample("empty-batch-%s" % layout, dtype, reduction, [], (3, 0, 4), [], [], layout, s=2,
                                 tags=["empty"])

    # larger cases: the 'mean' sum order and long alpha / beta recursions
    r = rng("large", "float32")
    t, n, c, s = 50, 2, 16, 10
    rows = [labels_for(r, c, 0, r.randrange(5, s + 1), 0.1) for _ in range(n)]
    yield ctc_sample("large", "float32", "mean", log_probs(r, t, n, c), (t, n, c), rows,
                     [50, 37], "padded", s=s, tags=["large"])
    r = rng("large", "float32-batch")
    t, n, c, s = 10, 16, 3, 4
    rows = [labels_for(r, c, 0, r.randrange(0, s + 1), 0.3) for _ in range(n)]
    yield ctc_sample("large-batch", "float32", "mean", log_probs(r, t, n, c), (t, n, c), rows,
                     [r.randrange(1, t + 1) for _ in range(n)], "concat", zero_infinity=True, tags=["large"])
    r = rng("large", "float64")
    t, n, c, s = 24, 2, 8, 8
    rows = [labels_for(r, c, 0, k, 0.1) for k in (8, 5)]
    yield ctc_sample("large", "float64", "sum", log_probs(r, t, n, c), (t, n, c), rows, [24, 19], "padded",
                     s=s, tags=["large"])

    # errors, in torch's check order
    def err(variant, regex, lp_shape=(3, 2, 4), rows=([1, 2], [3]), il=(3, 3), layout="padded", s=2, **kw):
        return ctc_sample("error-" + variant, "float32", "mean", _lp(rng, variant, lp_shape), lp_shape, list(rows),
                          list(il), layout, s=s, tags=["error"], error_regex=regex, **kw)

    yield err("reduction", r"bad is not a valid value for reduction", kwargs={"reduction": "bad"})
    yield err("reduction-none", r"None is not a valid value for reduction", kwargs={"reduction": None})
    yield err("blank-float", r"received an invalid combination of arguments", kwargs={"blank": 1.5})
    yield err("blank-bool", r"received an invalid combination of arguments", kwargs={"blank": True})
    yield err("zero-infinity-int", r"received an invalid combination of arguments", kwargs={"zero_infinity": 1})
    yield err("zero-infinity-none", r"received an invalid combination of arguments", kwargs={"zero_infinity": None})
    yield err("float-input-lengths", r"input_lengths must be integral", length_dtype="float32")
    yield err("blank-out-of-range", r"blank must be in label range", blank=4)
    yield err("blank-negative", r"blank must be in label range", blank=-1)
    yield err("input-lengths-size", r"input_lengths must be of size batch_size", il=(3, 3, 3))
    yield err("input-length-beyond-T", r"Expected input_lengths to have value at most 3, but got value 4" + WHILE,
              il=(3, 4))
    yield _raw("targets-short", (3, 2, 4), _lp(rng, "targets-short", (3, 2, 4)), T((2, 2), [1, 2, 3, 1], "int64"),
               T((2,), [3, 3], "int64"), T((2,), [3, 1], "int64"),
               r"Expected tensor to have size at least 3 at dimension 1, but got size 2 for argument #2 'targets'" + WHILE)
    yield _concat_size_error(rng)
    yield _raw("target-lengths-size", (3, 2, 4), _lp(rng, "tl-size", (3, 2, 4)), T((2, 2), [1, 2, 3, 1], "int64"),
               T((2,), [3, 3], "int64"), T((3,), [2, 1, 1], "int64"), r"target_lengths must be of size batch_size")
    yield _raw("float-target-lengths", (3, 2, 4), _lp(rng, "tl-float", (3, 2, 4)), T((2, 2), [1, 2, 3, 1], "int64"),
               T((2,), [3, 3], "int64"), T((2,), [2.0, 1.0], "float32"), r"target_lengths must be integral")
    yield _rows_error(rng)
    yield _targets_dim_error(rng, (1, 2, 1))
    yield _targets_dim_error(rng, ())
    for shape, regex in [((3, 2, 4, 1), r"Expected 3-dimensional tensor, but got [45]-dimensional tensor for argument "
                          r"#1 'log_probs'" + WHILE),
                         ((4,), r"Expected 3-dimensional tensor, but got [12]-dimensional tensor for argument "
                          r"#1 'log_probs'" + WHILE),
                         ((), r"Expected 3-dimensional tensor, but got 0-dimensional tensor|Dimension out of range")]:
        yield _lp_dim_error(rng, shape, regex)
    yield _long_log_probs_error(rng)
    yield _empty_error(rng, (0, 2, 4), r"start \(0\) \+ length \(1\) exceeds dimension size \(0\)|"
                       r"log_probs tensor must not be empty", "T0")
    yield _empty_error(rng, (3, 1, 0), r"blank must be in label range|log_probs tensor must not be empty", "C0")


def _numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _lp(rng, key, shape):
    r = rng("error", key)
    return [r.gauss(0, 1) for _ in range(_numel(shape))]


def _raw(variant, lp_shape, lp, tg, il, tl, regex, dtype="float32", kwargs=None, lp_dtype=None):
    kw = {"reduction": "mean"}
    kw.update(kwargs or {})
    return sample("%s/mean/error-%s/%s" % (dtype, variant, "x".join(str(d) for d in lp_shape) or "0d"), dtype,
                  {"log_probs": T(lp_shape, lp, lp_dtype), "targets": tg, "input_lengths": il, "target_lengths": tl},
                  kw, tags=["error"], error_regex=regex)


def _concat_size_error(rng):
    return _raw("concat-size", (3, 2, 4), _lp(rng, "concat-size", (3, 2, 4)), T((2,), [1, 2], "int64"),
                T((2,), [3, 3], "int64"), T((2,), [2, 1], "int64"),
                r"Expected tensor to have size 3 at dimension 0, but got size 2 for argument #2 'targets'" + WHILE)


def _rows_error(rng):
    return _raw("targets-rows", (3, 2, 4), _lp(rng, "targets-rows", (3, 2, 4)), T((3, 2), [1, 2, 3, 1, 2, 2], "int64"),
                T((2,), [3, 3], "int64"), T((2,), [2, 1], "int64"),
                r"Expected tensor to have size 2 at dimension 0, but got size 3 for argument #2 'targets'" + WHILE)


def _targets_dim_error(rng, shape):
    n = _numel(shape)
    return _raw("targets-%dd" % len(shape), (3, 1, 4), _lp(rng, "targets-dim", (3, 1, 4)), T(shape, [1] * n, "int64"),
                T((1,), [3], "int64"), T((1,), [1], "int64"),
                r"Expected 1 to 2 dimensions, but got %d-dimensional tensor for argument #2 'targets'" % len(shape) + WHILE)


def _lp_dim_error(rng, shape, regex):
    return _raw("log-probs-%dd" % len(shape), shape, _lp(rng, "lp-dim", shape), T((1, 1), [1], "int64"),
                T((1,), [1], "int64"), T((1,), [1], "int64"), regex)


def _long_log_probs_error(rng):
    return _raw("long-log-probs", (3, 1, 4), [-1] * 12, T((1, 1), [1], "int64"), T((1,), [3], "int64"),
                T((1,), [1], "int64"), r"\"ctc_loss_cpu\" not implemented for 'Long'", lp_dtype="int64")


def _empty_error(rng, shape, regex, name):
    n = shape[1]
    return _raw("empty-" + name, shape, [], T((n, 1), [1] * n, "int64"), T((n,), [0] * n, "int64"),
                T((n,), [1] * n, "int64"), regex)
