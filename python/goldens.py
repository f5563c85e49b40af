"""Golden generator: runs every case of one loss through real torch, prints the golden file on stdout.

    python python/goldens.py binary_cross_entropy_with_logits [--seed 1234] [--cpu-capability avx2]

Runs on torch 1.5+ and Python 3.6+. Output depends only on the torch build, the seed and the two
pins below: ATen's CPU kernels (the vector width sets the float summation order) and one thread
(parallel reductions split sums by thread). Both are recorded in the file's "environment".
"""
import argparse
import importlib
import json
import math
import os
import platform
import re
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from cases import LOSSES  # noqa: E402
from cases.common import rng_factory  # noqa: E402

FORMAT = 1
TOLERANCE = {"float32": {"rtol": 1.3e-6, "atol": 1e-5}, "float64": {"rtol": 1e-7, "atol": 1e-7}}
EXIT_NO_TORCH, EXIT_OLD_TORCH = 3, 4


def import_torch(cpu_capability):
    """Pins what makes torch's float results machine-dependent, then imports it."""
    os.environ["ATEN_CPU_CAPABILITY"] = cpu_capability
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        import torch
        import torch.nn.functional as F
    except ImportError as e:
        sys.stderr.write("torch is not importable by %s: %s\n" % (sys.executable, e))
        sys.exit(EXIT_NO_TORCH)
    major, minor = (int(p) for p in torch.__version__.split(".")[:2])
    if (major, minor) < (1, 5):
        sys.stderr.write("torch %s is older than 1.5, the oldest the harness supports\n" % torch.__version__)
        sys.exit(EXIT_OLD_TORCH)
    torch.set_num_threads(1)
    return torch, F


def cpu_capability_in_use(torch, fallback):
    """The kernels ATen dispatches to: torch.backends.cpu (2.x) or torch.__config__.show() (1.x)."""
    get_capability = getattr(getattr(torch.backends, "cpu", None), "get_cpu_capability", None)
    if get_capability:
        name = get_capability()
    else:
        match = re.search(r"CPU capability usage: ([\w ]+)", torch.__config__.show())
        name = match.group(1) if match else fallback
    # ATEN_CPU_CAPABILITY=default reports "NO AVX" (1.x's config, 2.x before 2.13): the scalar kernels.
    name = name.strip().lower()
    return "default" if name in ("no avx", "default") else name


def environment(torch, cpu_capability):
    return {"cpu_capability": cpu_capability_in_use(torch, cpu_capability),
            "threads": torch.get_num_threads(), "machine": platform.machine()}


def encode_number(v):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def encode(t):
    t = t.detach()
    return {"shape": list(t.shape), "data": [encode_number(v) for v in t.reshape(-1).tolist()]}


def make(torch, pair, dtype):
    shape, values = pair
    return torch.tensor(values, dtype=dtype).reshape(shape)


def run_case(torch, F, module, spec, rng):
    dtype = getattr(torch, spec["dtype"])
    x = make(torch, spec["input"], dtype).requires_grad_(True)
    t = make(torch, spec["target"], getattr(torch, getattr(module, "TARGET_DTYPE", spec["dtype"])))
    w = make(torch, spec["weight"], dtype) if spec["weight"] else None
    pw = make(torch, spec["pos_weight"], dtype) if spec["pos_weight"] else None
    given = {"weight": w, "pos_weight": pw}
    kwargs = {name: encode(given[name]) if given[name] is not None else None for name in module.TENSOR_KWARGS}
    kwargs["reduction"] = spec["reduction"]
    result = {"args": {"input": encode(x), "target": encode(t)}, "kwargs": kwargs,
              "output": None, "grad": None, "error": None}
    try:
        out = module.call(F, x, t, w, pw, spec["reduction"])
    except Exception as e:  # torch rejected the arguments: the port must too
        result["error"] = {"type": type(e).__name__, "message": str(e).strip().splitlines()[0]}
        return result
    # On a 1/1024 grid: exact in float32, and short in JSON.
    grad_output = torch.tensor([round(rng.gauss(0.0, 1.0) * 1024) / 1024 for _ in range(out.numel())],
                               dtype=dtype).reshape(out.shape)
    out.backward(grad_output)
    result["output"] = encode(out)
    result["grad"] = {"grad_output": encode(grad_output), "input": encode(x.grad)}
    return result


def generate(stem, seed, cpu_capability):
    torch, F = import_torch(cpu_capability)
    module = importlib.import_module("cases." + stem)
    rng = rng_factory(seed)
    counts = {}
    cases = []
    specs = list(module.cases(rng))
    sys.stderr.write("total %s %d\n" % (stem, len(specs)))
    for spec in specs:
        key = (spec["dtype"], spec["reduction"], spec["variant"])
        counts[key] = counts.get(key, 0) + 1
        case_id = "%s/%s/%s/%s/%d" % (stem, spec["dtype"], spec["reduction"], spec["variant"], counts[key])
        body = run_case(torch, F, module, spec, rng("grad_output", case_id))
        case = {"id": case_id, "dtype": spec["dtype"]}
        case.update(body)
        case["tags"] = spec["tags"]
        cases.append(case)
        sys.stderr.write("progress %s %d\n" % (stem, len(cases)))
    header = {"format": FORMAT, "loss": stem, "torch": torch.__version__, "python": platform.python_version(),
              "seed": seed, "environment": environment(torch, cpu_capability), "tolerance": TOLERANCE}
    return header, cases


def dumps(header, cases):
    """One case per line, so a diff of two golden files reads case by case."""
    dump = lambda obj: json.dumps(obj, separators=(",", ":"), allow_nan=False)
    head = dump(header)[:-1]
    lines = [head + ',"cases":[']
    lines += [dump(c) + ("," if i + 1 < len(cases) else "") for i, c in enumerate(cases)]
    lines.append("]}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("loss", choices=LOSSES)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--cpu-capability", default="avx2", choices=("default", "avx2", "avx512"))
    args = parser.parse_args(argv)
    header, cases = generate(args.loss, args.seed, args.cpu_capability)
    sys.stdout.write(dumps(header, cases))


def run_then_exit(main):
    """Runs main, flushes, and leaves by os._exit, skipping interpreter teardown: torch 1.7 aborts
    there ("terminate called without an active exception") and can hang when stdout is a pipe.
    The status is still main's: 0, its SystemExit code, or 1 after printing the traceback."""
    try:
        main()
        code = 0
    except SystemExit as e:
        if e.code is not None and not isinstance(e.code, int):
            sys.stderr.write("%s\n" % e.code)
        code = e.code if isinstance(e.code, int) else int(e.code is not None)
    except Exception:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run_then_exit(main)
