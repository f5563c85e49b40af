"""A long-running torch process for live differential tests and benchmarks: JSON lines in and out.

First line out: {"ready": true, "torch": ..., "python": ..., "cpu_capability": ..., "threads": ...}.
Then one reply per request line:
  {"id", "op": "run", "loss", "args": {name: tensor}, "kwargs", "grad_output"?}
      -> {"id", "output", "grads", "error", "grad_error", "warnings"} as a golden case records them
      (grad_output: a tensor shaped like the output; omitted means no backward)
  {"id", "op": "bench", "loss", "dtype", "numel", "classes", "shape"?, "threads", "repeats", "backward"}
      -> {"id", "seconds": [...]}   (timed inside torch, per call)
  {"id", "op": "pytorch_test", "index"}
      -> {"id", "count", "test", ...}   (PyTorch's own loss tests re-created, the index-th call;
      python/pytorch_tests.py, whose tensors are base64 bytes, not golden-format)
Tensors are golden-format {"shape", "dtype", "data" | "base64"} (python/samples.py). The process ends at end of input.
"""
import importlib
import json
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import samples  # noqa: E402
from goldens import EXIT_NO_TORCH, cpu_capability_in_use, run_then_exit  # noqa: E402
from cases import LOSSES  # noqa: E402


def run(torch, F, request):
    """One sample through torch, as the golden generator runs it (python/samples.py)."""
    module = importlib.import_module("cases." + request["loss"])
    sample = {"args": request["args"], "kwargs": request.get("kwargs", {}), "error_regex": None}
    result = samples.run_sample(torch, F, module, sample, request.get("grad_output"), unchecked=True)
    return {k: result[k] for k in ("output", "grads", "error", "grad_error", "warnings")}


def bench_args(torch, module, gen, shape, dtype):
    """The benchmark's inputs: the case module's bench_args, else logits * 3, 0/1 targets and the
    module's BENCH_KWARGS per-class tensors."""
    if hasattr(module, "bench_args"):
        return module.bench_args(torch, gen, shape, dtype)
    c = shape[-1]
    args = {"input": torch.randn(shape, generator=gen, dtype=dtype) * 3,
            "target": (torch.rand(shape, generator=gen, dtype=dtype) < 0.5).to(dtype)}
    make = {"weight": lambda: torch.rand((c,), generator=gen, dtype=dtype) + 0.5,
            "pos_weight": lambda: torch.rand((c,), generator=gen, dtype=dtype) * 3}
    return args, {name: make[name]() for name in getattr(module, "BENCH_KWARGS", ())}


def bench(torch, F, request):
    module = importlib.import_module("cases." + request["loss"])
    dtype = getattr(torch, request["dtype"])
    n, c = request["numel"], request["classes"]
    gen = torch.Generator().manual_seed(0)
    args, kwargs = bench_args(torch, module, gen, tuple(request.get("shape") or (n // c, c)), dtype)
    grads = [args[name] for name in getattr(module, "GRADS", ("input",)) if args[name].is_floating_point()]
    for t in grads:
        t.requires_grad_(request["backward"])
    kwargs["reduction"] = "mean"
    previous = torch.get_num_threads()
    torch.set_num_threads(request["threads"] or previous)
    seconds = []
    try:
        for _ in range(request["repeats"]):
            start = time.perf_counter()
            out = samples.call_loss(torch, F, module, args, kwargs)
            if request["backward"]:
                torch.autograd.grad(out, grads)
            seconds.append(time.perf_counter() - start)
    finally:
        torch.set_num_threads(previous)
    # the tensor keyword arguments timed, for the bench to check against the port's row
    return {"seconds": seconds, "tensor_kwargs": sorted(k for k, v in kwargs.items() if torch.is_tensor(v))}


def pytorch_test(torch, F, request):
    import pytorch_tests
    return pytorch_tests.run(torch, F, torch.nn, request["index"])


def main():
    try:
        import torch
        import torch.nn.functional as F
    except ImportError as e:
        sys.stdout.write(json.dumps({"ready": False, "error": "torch is not importable by %s: %s" % (sys.executable, e)}) + "\n")
        sys.exit(EXIT_NO_TORCH)
    threads = int(os.environ.get("TORCH_PARITY_THREADS", "1"))
    torch.set_num_threads(threads)
    hello = {"ready": True, "torch": torch.__version__, "python": platform.python_version(),
             "cpu_capability": cpu_capability_in_use(torch, os.environ.get("ATEN_CPU_CAPABILITY", "default")),
             "threads": torch.get_num_threads(), "max_threads": os.cpu_count(), "losses": list(LOSSES)}
    sys.stdout.write(json.dumps(hello) + "\n")
    sys.stdout.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            handler = {"bench": bench, "pytorch_test": pytorch_test}.get(request.get("op"), run)
            reply = handler(torch, F, request)
        except Exception as e:  # a bug in the request or the worker, not torch's verdict on the arguments
            reply = {"crash": "%s: %s" % (type(e).__name__, e)}
        reply["id"] = request.get("id")
        sys.stdout.write(json.dumps(reply, allow_nan=False) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    run_then_exit(main)
