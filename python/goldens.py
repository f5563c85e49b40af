"""Golden generator: runs every case of one loss through real torch, prints the golden file on stdout.

    python python/goldens.py binary_cross_entropy_with_logits [--seed 1234] [--cpu-capability avx2]

Runs on torch 1.5+ and Python 3.6+. Output depends only on the torch build, the seed and the two
pins below: ATen's CPU kernels (the vector width sets the float summation order) and one thread
(parallel reductions split sums by thread). Both are recorded in the file's "environment".
"""
import argparse
import importlib
import json
import os
import platform
import re
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from cases import LOSSES  # noqa: E402
from cases.common import Tensor, rng_factory  # noqa: E402
from samples import RegexMismatch, encode, run_sample  # noqa: E402

FORMAT = 2
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


def described_tensor(torch, t, case_dtype):
    """A case module's tensor(...) as golden JSON, its values rounded to the dtype by torch."""
    dtype = getattr(torch, t.dtype or case_dtype)
    return encode(torch, torch.tensor(t.values, dtype=dtype).reshape(t.shape))


def sample_json(torch, spec):
    """A case module's sample(...) with its tensors as golden JSON."""
    as_json = lambda v: described_tensor(torch, v, spec["dtype"]) if isinstance(v, Tensor) else v
    return {"args": {name: as_json(v) for name, v in spec["args"].items()},
            "kwargs": {name: as_json(v) for name, v in spec["kwargs"].items()},
            "error_regex": spec["error_regex"]}


def grad_output_draw(rng):
    # On a 1/1024 grid: exact in float32, and short in JSON.
    return lambda n: [round(rng.gauss(0.0, 1.0) * 1024) / 1024 for _ in range(n)]


def generate(stem, seed, cpu_capability):
    torch, F = import_torch(cpu_capability)
    module = importlib.import_module("cases." + stem)
    header = {"format": FORMAT, "loss": stem, "function": module.FUNCTION, "args": list(module.ARGS),
              "grads": list(getattr(module, "GRADS", ("input",))), "torch": torch.__version__,
              "python": platform.python_version(), "seed": seed, "environment": environment(torch, cpu_capability),
              "tolerance": TOLERANCE, "unavailable": None}
    available = getattr(module, "available", lambda torch, F: True)
    if not available(torch, F):
        header["unavailable"] = "torch %s has no F.%s" % (torch.__version__, module.FUNCTION)
        sys.stderr.write("total %s 0\n" % stem)
        return header, []
    rng = rng_factory(seed)
    cases = []
    seen = set()
    specs = list(module.cases(rng))
    sys.stderr.write("total %s %d\n" % (stem, len(specs)))
    for spec in specs:
        case_id = "%s/%s" % (stem, spec["id"])
        if case_id in seen:
            raise SystemExit("cases.%s: duplicate case id %s (ids must say what a case is, and be unique)" % (stem, case_id))
        seen.add(case_id)
        sample = sample_json(torch, spec)
        try:
            body = run_sample(torch, F, module, sample, grad_output_draw(rng("grad_output", case_id)), case_id)
        except RegexMismatch as e:
            raise SystemExit("cases.%s: %s" % (stem, e))
        case = {"id": case_id, "dtype": spec["dtype"], "args": sample["args"], "kwargs": sample["kwargs"]}
        case.update(body)
        case["tags"] = spec["tags"]
        cases.append(case)
        sys.stderr.write("progress %s %d\n" % (stem, len(cases)))
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
