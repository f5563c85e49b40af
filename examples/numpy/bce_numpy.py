#!/usr/bin/env python3
"""Example 3: BCEWithLogitsLoss ported to NumPy, checked through `check --command`.

A port of torch >= 2.3's formula (aten/src/ATen/native/Loss.cpp binary_cross_entropy_with_logits,
pytorch#115539), op by op, each in the dtype torch computes it in (the loss, built in place on
1 - y, has the target's):

    log_sigmoid = min(x, 0) - log1p(exp(-|x|))
    log_sigmoid *= 1 + (pos_weight - 1) * y          (pos_weight given)
    loss = (1 - y) * x - log_sigmoid;  loss *= weight (weight given);  then the reduction

and its gradient as binary_cross_entropy_with_logits_backward computes it. The argument errors
are torch's, with torch's messages. It speaks the conformance protocol (docs/conformance-spec.md,
version 1): one JSON request per line on stdin, one reply per line on stdout.

    npx torch-loss-parity check --command "python3 examples/numpy/bce_numpy.py"

Needs NumPy (Debian: apt-get install python3-numpy).
"""

import json
import sys

import numpy as np

DTYPES = {"float32": np.float32, "float64": np.float64, "int64": np.int64, "int32": np.int32, "bool": np.bool_}


class TorchError(Exception):
    def __init__(self, type_, message):
        super().__init__(message)
        self.type = type_


def tensor(t):
    """A protocol tensor as an ndarray ("NaN", "Infinity", "-Infinity" read by float())."""
    values = [float(v) for v in t["data"]]
    return np.array(values, dtype=DTYPES[t["dtype"]]).reshape(t["shape"])


def wire(a):
    """An ndarray as a protocol tensor: the exact values as doubles (NaN and the infinities by json.dumps)."""
    return {"shape": list(a.shape), "dtype": str(a.dtype), "data": a.astype(np.float64).ravel().tolist()}


def torch_size(shape):
    return "torch.Size([%s])" % ", ".join(str(d) for d in shape)


def broadcast_shape(a, b):
    """torch's broadcasting; its RuntimeError when sizes differ (a and b as torch names them)."""
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + tuple(a)
    b = (1,) * (n - len(b)) + tuple(b)
    out = []
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and x != 1 and y != 1:
            raise TorchError(
                "RuntimeError",
                "The size of tensor a (%d) must match the size of tensor b (%d) at non-singleton dimension %d" % (x, y, i),
            )
        out.append(y if x == 1 else x)
    return tuple(out)


def in_place(out_shape, other_shape):
    """out.mul_(other): other must broadcast to out's shape."""
    b = broadcast_shape(out_shape, other_shape)
    if b != tuple(out_shape):
        raise TorchError(
            "RuntimeError",
            "output with shape [%s] doesn't match the broadcast shape [%s]"
            % (", ".join(map(str, out_shape)), ", ".join(map(str, b))),
        )


def check(x, y, kwargs):
    reduction = kwargs.get("reduction", "mean")
    if reduction not in ("none", "mean", "sum"):
        raise TorchError("ValueError", "%s is not a valid value for reduction" % reduction)
    if x.shape != y.shape:
        raise TorchError("ValueError", "Target size (%s) must be the same as input size (%s)" % (torch_size(y.shape), torch_size(x.shape)))
    return reduction


def reduce(loss, reduction):
    if reduction == "none":
        return loss
    total = np.sum(loss, dtype=loss.dtype)
    if reduction == "sum":
        return np.asarray(total, dtype=loss.dtype)
    return np.asarray(total / loss.dtype.type(loss.size), dtype=loss.dtype)


def forward(args, kwargs):
    x, y = args
    reduction = check(x, y, kwargs)
    weight, pos_weight = kwargs.get("weight"), kwargs.get("pos_weight")
    with np.errstate(all="ignore"):
        log_sigmoid = np.asarray(np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x))), dtype=x.dtype)  # 0-d stays an array
        # torch's in-place ops (a.mul_(b)) compute in the promoted dtype and keep a's, as NumPy's
        # a *= b does: with arguments of both float dtypes each op then rounds where torch's does
        if pos_weight is not None:
            in_place(log_sigmoid.shape, broadcast_shape(pos_weight.shape, y.shape))
            log_weight = np.asarray((pos_weight - pos_weight.dtype.type(1)) * y)
            log_weight += log_weight.dtype.type(1)
            log_sigmoid *= log_weight
        loss = np.asarray(y.dtype.type(1) - y, dtype=y.dtype)  # the loss is built on (1 - target): the target's dtype
        loss *= x
        loss -= log_sigmoid
        if weight is not None:
            in_place(loss.shape, weight.shape)
            loss *= weight
        return reduce(loss, reduction)


def backward(grad_output, args, kwargs):
    x, y = args
    reduction = check(x, y, kwargs)
    weight, pos_weight = kwargs.get("weight"), kwargs.get("pos_weight")
    one = x.dtype.type(1)
    with np.errstate(all="ignore"):
        sigmoid = one / (one + np.exp(-x))
        if pos_weight is not None:
            t = pos_weight * y
            grad = (t + one - y) * sigmoid - t
        else:
            grad = sigmoid - y
        grad = grad * grad_output
        if weight is not None:
            grad = grad * weight
        if reduction == "mean":
            grad = grad / x.dtype.type(x.size)
        return np.broadcast_to(grad, x.shape).astype(x.dtype)


def answer(request):
    seq = request["seq"]
    if request["function"] != "binary_cross_entropy_with_logits":
        return {"seq": seq, "broken": "no function %s" % request["function"]}
    args = [tensor(t) for t in request["args"]]
    kwargs = {k: tensor(v) if isinstance(v, dict) else v for k, v in request["kwargs"].items()}
    try:
        output = forward(args, kwargs)
    except TorchError as e:
        return {"seq": seq, "error": {"type": e.type, "message": str(e)}}
    reply = {"seq": seq, "output": wire(output)}
    if "grad_output" in request:
        try:
            reply["grads"] = {"input": wire(backward(tensor(request["grad_output"]), args, kwargs))}
        except TorchError as e:
            reply["grad_error"] = {"type": e.type, "message": str(e)}
    return reply


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        if request.get("op") == "hello":
            reply = {
                "spec": 1,
                "name": "NumPy %s BCEWithLogits (torch >= 2.3's formula)" % np.__version__,
                "functions": ["binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits_backward"],
            }
        else:
            reply = answer(request)
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
