"""One sample through real torch: the code goldens.py and worker.py share (golden format 3).

A sample is OpInfo's SampleInput(args, kwargs) as JSON: tensor arguments by torch's names, in torch's
order, and keyword arguments of any kind torch takes (numbers, booleans, strings, None, tensors).
Tensors are {"shape", "dtype", "data": [numbers]} or, when large, {"shape", "dtype", "base64"}: the
little-endian bytes of the dtype, exact and compact (docs/golden-format.md).

Runs on Python 3.6+ and torch 1.5+.
"""
import base64
import math
import re
import struct
import sys
import warnings

# Tensors with more elements than this are written as base64 bytes; smaller ones stay readable.
INLINE_MAX = 32
STRUCT = {"float32": "f", "float64": "d", "int64": "q", "int32": "i", "bool": "?"}


def encode_number(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
    return v


def shortest_float32(v):
    """The shortest decimal that reads back as the same float32 (0.1f is 0.1, not 0.10000000149011612):
    exact for float32, since readers round the double they parse to float32."""
    target = struct.pack("<f", v)
    for digits in range(1, 10):
        text = "%.*g" % (digits, v)
        try:
            if struct.pack("<f", float(text)) == target:
                return float(text)
        except OverflowError:  # near FLT_MAX a short decimal (3.403e+38) is beyond float32
            continue
    return v


def decode_number(v):
    return float(v) if isinstance(v, str) else v


def dtype_name(torch, dtype):
    return str(dtype).replace("torch.", "")


def rounded(dtype, v):
    """A Python value as the dtype holds it, without torch, as torch.tensor(values, dtype=...) stores it:
    float32 by C's double -> float conversion (struct.pack('<f'): round to nearest even, subnormals kept;
    it raises OverflowError only where the rounded value is infinite, which torch stores as +-inf),
    NaN and infinities kept; float64 as the double; int64 / int32 truncated toward zero; bool as truth."""
    if dtype == "float32":
        v = float(v)
        if math.isnan(v) or math.isinf(v):
            return v
        try:
            return struct.unpack("<f", struct.pack("<f", v))[0]
        except OverflowError:
            return math.copysign(math.inf, v)
    if dtype == "float64":
        return float(v)
    if dtype in ("int64", "int32"):
        return int(v)
    if dtype == "bool":
        return bool(v)
    raise ValueError("unknown dtype %r" % dtype)


def encode_values(shape, dtype, values):
    """Flat values already of the dtype (a tensor's tolist(), or rounded(...)) as golden-format JSON."""
    out = {"shape": list(shape), "dtype": dtype}
    if len(values) > INLINE_MAX:
        raw = struct.pack("<%d%s" % (len(values), STRUCT[dtype]), *values)
        out["base64"] = base64.b64encode(raw).decode("ascii")
    else:
        if dtype == "float32":
            values = [shortest_float32(v) if math.isfinite(v) else v for v in values]
        out["data"] = [encode_number(v) for v in values]
    return out


def encode_plain(shape, dtype, values):
    """A tensor given by shape, dtype and Python values (a case module's tensor(...)) as golden-format
    JSON, torch-free: the same bytes as encode(torch, torch.tensor(values, dtype=dtype).reshape(shape))."""
    return encode_values(shape, dtype, [rounded(dtype, v) for v in values])


def encode(torch, t):
    """A torch tensor as golden-format JSON."""
    t = t.detach()
    return encode_values(list(t.shape), dtype_name(torch, t.dtype), t.reshape(-1).tolist())


def values_of(t):
    """The flat values of a golden-format tensor (either encoding)."""
    if "base64" in t:
        raw = base64.b64decode(t["base64"])
        code = STRUCT[t["dtype"]]
        return list(struct.unpack("<%d%s" % (len(raw) // struct.calcsize(code), code), raw))
    return [decode_number(v) for v in t["data"]]


def decode(torch, t):
    """A golden-format tensor as a torch tensor (None stays None)."""
    if t is None:
        return None
    return torch.tensor(values_of(t), dtype=getattr(torch, t["dtype"])).reshape(t["shape"])


def is_tensor_json(v):
    return isinstance(v, dict) and "shape" in v and "dtype" in v


def first_line(e):
    text = str(e).strip()
    return text.splitlines()[0] if text else ""


def error_record(e, regex):
    return {"type": type(e).__name__, "message": first_line(e), "regex": regex}


class RegexMismatch(Exception):
    """torch raised, but not what the case declared: the case module is wrong for this release."""


def checked_error(case_id, e, regex, what, release_regexes=(), unchecked=False):
    """The error record, with the regex that matched: the case's own, else one of the module's
    RELEASE_ERROR_REGEXES (errors one release raises for a case others accept)."""
    message = first_line(e)
    regex = next((r for r in ([regex] if regex else []) + list(release_regexes) if re.search(r, message)), regex)
    record = error_record(e, regex)
    if unchecked:
        return record
    if regex is None or not re.search(regex, record["message"]):
        raise RegexMismatch("%s: torch raised %s %s: %s%s" % (
            case_id, what, record["type"], record["message"],
            "" if regex is None else " (not matched by the declared error_regex %r)" % regex))
    return record


def call_loss(torch, F, module, args, kwargs):
    if hasattr(module, "call"):
        return module.call(F, torch, args, kwargs)
    return getattr(F, module.FUNCTION)(*[args[name] for name in module.ARGS], **kwargs)


def warning_lines(caught):
    return [first_line(w.message) for w in caught]


def run_sample(torch, F, module, sample, grad_output=None, case_id="sample", unchecked=False):
    """Runs one sample: {"args": {name: tensor json}, "kwargs": {...}, "error_regex"?}.

    grad_output: None (no backward), a golden-format tensor, or a function of the output's shape
    giving flat values (the generator's seeded draw). Returns {"output", "grad_output", "grads",
    "error", "grad_error", "warnings"}; an error that the sample's error_regex does not match raises
    RegexMismatch (the generator refuses to write it), unless `unchecked` (the live fuzzer's samples
    declare no regex: it compares error types).
    """
    grads_wanted = getattr(module, "GRADS", ("input",))
    args = {}
    for name in module.ARGS:
        t = decode(torch, sample["args"][name])
        if grad_output is not None and name in grads_wanted and t.is_floating_point():
            t.requires_grad_(True)
        args[name] = t
    kwargs = {k: decode(torch, v) if is_tensor_json(v) else v for k, v in sample["kwargs"].items()}
    regex = sample.get("error_regex")
    release_regexes = getattr(module, "RELEASE_ERROR_REGEXES", ())
    result = {"output": None, "grad_output": None, "grads": None, "error": None, "grad_error": None, "warnings": []}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = call_loss(torch, F, module, args, kwargs)
        except RegexMismatch:
            raise
        except Exception as e:  # torch rejected the arguments: the port must too
            result["error"] = checked_error(case_id, e, regex, "", release_regexes, unchecked)
            result["warnings"] = warning_lines(caught)
            return result
        result["output"] = encode(torch, out)
        differentiable = [n for n in module.ARGS if args[n].requires_grad]
        if grad_output is not None and differentiable and out.requires_grad:
            if callable(grad_output):
                go = torch.tensor(grad_output(out.numel()), dtype=out.dtype).reshape(out.shape)
            else:
                go = decode(torch, grad_output)
            result["grad_output"] = encode(torch, go)
            try:
                grads = torch.autograd.grad(out, [args[n] for n in differentiable], go, allow_unused=True)
                result["grads"] = {n: encode(torch, g if g is not None else torch.zeros_like(args[n]))
                                   for n, g in zip(differentiable, grads)}
            except Exception as e:  # e.g. mse_loss's backward with an int64 target
                result["grad_error"] = checked_error(case_id, e, regex, "in backward", release_regexes, unchecked)
        result["warnings"] = warning_lines(caught)
    return result


def main_check():
    sys.stderr.write("samples.py is a module: python/goldens.py and python/worker.py import it\n")
    sys.exit(2)


if __name__ == "__main__":
    main_check()
