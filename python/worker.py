"""A long-running torch process for live differential tests and benchmarks: JSON lines in and out.

First line out: {"ready": true, "torch": ..., "python": ..., "cpu_capability": ..., "threads": ...}.
Then one reply per request line:
  {"id", "op": "run", "loss", "dtype", "input", "target", "kwargs", "grad_output"?, "target_dtype"?}
      -> {"id", "output", "grad"} or {"id", "error": {"type", "message"}}
      (grad_output: a tensor shaped like the output; omitted means no backward. target_dtype: the
      target's torch dtype, e.g. "int64"; omitted means the loss's TARGET_DTYPE, else dtype)
  {"id", "op": "bench", "loss", "dtype", "numel", "classes", "threads", "repeats", "backward"}
      -> {"id", "seconds": [...]}   (timed inside torch, per call)
  {"id", "op": "pytorch_test", "index"}
      -> {"id", "count", "test", ...}   (PyTorch's own loss tests re-created, the index-th call;
      python/pytorch_tests.py, whose tensors are base64 bytes, not golden-format)
Tensors are golden-format {"shape", "data"}. The process ends at end of input.
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

from goldens import EXIT_NO_TORCH, cpu_capability_in_use, encode, run_then_exit  # noqa: E402
from cases import LOSSES  # noqa: E402


def decode(torch, t, dtype):
    if t is None:
        return None
    values = [float(v) if isinstance(v, str) else v for v in t["data"]]
    return torch.tensor(values, dtype=dtype).reshape(t["shape"])


def run(torch, F, request):
    module = importlib.import_module("cases." + request["loss"])
    dtype = getattr(torch, request["dtype"])
    x = decode(torch, request["input"], dtype).requires_grad_(request.get("grad_output") is not None)
    target_dtype = request.get("target_dtype") or getattr(module, "TARGET_DTYPE", request["dtype"])
    t = decode(torch, request["target"], getattr(torch, target_dtype))
    kwargs = request.get("kwargs", {})
    w = decode(torch, kwargs.get("weight"), dtype)
    pw = decode(torch, kwargs.get("pos_weight"), dtype)
    try:
        out = module.call(F, x, t, w, pw, kwargs.get("reduction", "mean"))
    except Exception as e:
        return {"error": {"type": type(e).__name__, "message": str(e).strip().splitlines()[0]}}
    reply = {"output": encode(out)}
    if request.get("grad_output") is not None:
        out.backward(decode(torch, request["grad_output"], dtype))
        reply["grad"] = encode(x.grad)
    return reply


def bench(torch, F, request):
    module = importlib.import_module("cases." + request["loss"])
    dtype = getattr(torch, request["dtype"])
    n, c = request["numel"], request["classes"]
    shape = (n // c, c)
    gen = torch.Generator().manual_seed(0)
    x = (torch.randn(shape, generator=gen, dtype=dtype) * 3).requires_grad_(request["backward"])
    t = module.bench_target(torch, gen, shape, dtype) if hasattr(module, "bench_target") else (
        torch.rand(shape, generator=gen, dtype=dtype) < 0.5).to(dtype)
    if hasattr(module, "bench_input"):
        x = module.bench_input(torch, gen, shape, dtype).requires_grad_(request["backward"])
    w = torch.rand((c,), generator=gen, dtype=dtype) + 0.5 if "weight" in module.TENSOR_KWARGS else None
    pw = torch.rand((c,), generator=gen, dtype=dtype) * 3 if "pos_weight" in module.TENSOR_KWARGS else None
    previous = torch.get_num_threads()
    torch.set_num_threads(request["threads"] or previous)
    seconds = []
    try:
        for _ in range(request["repeats"]):
            start = time.perf_counter()
            out = module.call(F, x, t, w, pw, "mean")
            if request["backward"]:
                x.grad = None
                out.backward()
            seconds.append(time.perf_counter() - start)
    finally:
        torch.set_num_threads(previous)
    return {"seconds": seconds}


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
