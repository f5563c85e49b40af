"""Golden generator (format 3): a loss's case inputs without torch, or one torch's results for them.

    python python/goldens.py binary_cross_entropy_with_logits --inputs [--seed 1234] > cases.json
    python python/goldens.py binary_cross_entropy_with_logits --from-cases cases.json [--cpu-capability avx2]
    python python/goldens.py --cases path/to/sigmoid_focal_loss.py --inputs   (a user's own case module)

--inputs never imports torch and runs on any Python 3.6+; torch-loss-parity runs it once, with the
host's Python, so every torch release evaluates the same bytes. --from-cases runs on torch 1.5+ and
Python 3.6+; its output depends only on the torch build, the cases file and the two pins below: ATen's CPU kernels (the vector width sets the float summation order) and one thread
(parallel reductions split sums by thread). Both are recorded in the file's "environment".
"""
import argparse
import hashlib
import importlib
import importlib.util
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
from samples import RegexMismatch, encode_plain, run_sample  # noqa: E402

FORMAT = 3
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


def described_tensor(t, case_dtype):
    """A case module's tensor(...) as golden JSON, its values rounded to the dtype without torch
    (samples.encode_plain: the bytes torch's own rounding gives)."""
    return encode_plain(t.shape, t.dtype or case_dtype, t.values)


def case_json(spec, case_id):
    """A case module's sample(...) as a line of the cases file: its tensors as golden JSON."""
    as_json = lambda v: described_tensor(v, spec["dtype"]) if isinstance(v, Tensor) else v
    return {"id": case_id, "dtype": spec["dtype"],
            "args": {name: as_json(v) for name, v in spec["args"].items()},
            "kwargs": {name: as_json(v) for name, v in spec["kwargs"].items()},
            "tags": spec["tags"], "error_regex": spec["error_regex"]}


def grad_output_draw(rng):
    # On a 1/1024 grid: exact in float32, and short in JSON.
    return lambda n: [round(rng.gauss(0.0, 1.0) * 1024) / 1024 for _ in range(n)]


STEM = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# torch-loss-parity golden --cases sends a user's module with our sources, as user_cases/<stem>.py.
USER_PACKAGE = "user_cases"


def user_stem(path):
    """The stem of a user's case module: its file name without .py (an identifier)."""
    name = os.path.basename(path)
    stem = name[:-3] if name.endswith(".py") else name
    if not name.endswith(".py") or not STEM.match(stem):
        raise SystemExit("--cases %s: a case module is a .py file whose name is an identifier (it names the loss "
                         "and its golden file <stem>.json)" % path)
    return stem


def load_user_module(path):
    """A user's case module (the API of cases/*, docs/case-modules.md): served from memory when
    torch-loss-parity sent it with our sources (user_cases.<stem>), else read from the file."""
    stem = user_stem(path)
    name = "%s.%s" % (USER_PACKAGE, stem)
    if importlib.util.find_spec(USER_PACKAGE) is not None:
        return stem, importlib.import_module(name)
    if not os.path.isfile(path):
        raise SystemExit("--cases %s: no such file" % path)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return stem, module


def check_module(stem, module):
    """What the generator needs of a case module, said plainly (a user's module may lack it)."""
    missing = [a for a in ("FUNCTION", "ARGS", "cases") if not hasattr(module, a)]
    if missing:
        raise SystemExit("case module %s has no %s (see docs/case-modules.md)" % (stem, ", ".join(missing)))
    if not callable(module.cases):
        raise SystemExit("case module %s: cases must be a function cases(rng) yielding sample(...)" % stem)
    for name in ("ARGS", "GRADS"):
        value = getattr(module, name, ())
        if isinstance(value, str) or not all(isinstance(v, str) for v in value) or (name == "ARGS" and not value):
            raise SystemExit("case module %s: %s must be a tuple of argument names, e.g. (\"input\", \"target\")"
                             % (stem, name))
    bad = [g for g in getattr(module, "GRADS", ("input",)) if g not in module.ARGS]
    if bad:
        raise SystemExit("case module %s: GRADS names %s, which ARGS does not" % (stem, ", ".join(bad)))


def check_spec(module, spec):
    """A record cases(rng) yielded: sample(...)'s, with the module's ARGS (a user's mistake, said plainly)."""
    where = "%s: cases(rng) yielded" % module.__name__
    if not isinstance(spec, dict) or not all(k in spec for k in ("id", "dtype", "args", "kwargs", "tags", "error_regex")):
        raise SystemExit("%s %r, not a sample(id, dtype, args, kwargs, tags, error_regex) record" % (where, spec))
    if not isinstance(spec["id"], str) or not spec["id"]:
        raise SystemExit("%s a sample whose id %r is not a non-empty string" % (where, spec["id"]))
    if spec["dtype"] not in TOLERANCE:
        raise SystemExit("%s %s with dtype %r: a case's dtype is float32 or float64" % (where, spec["id"], spec["dtype"]))
    if list(spec["args"]) != list(module.ARGS):
        raise SystemExit("%s %s with args %s, not ARGS %s in that order" % (
            where, spec["id"], ", ".join(spec["args"]), ", ".join(module.ARGS)))
    if not all(isinstance(v, Tensor) for v in spec["args"].values()):
        raise SystemExit("%s %s with an argument that is not tensor(shape, values)" % (where, spec["id"]))


def module_header(stem, module):
    return {"format": FORMAT, "loss": stem, "function": module.FUNCTION, "args": list(module.ARGS),
            "grads": list(getattr(module, "GRADS", ("input",)))}


def inputs(stem, seed, module=None):
    """The cases file: every case's inputs, made by this Python without torch (torch is never imported),
    so that every torch release evaluates the same bytes (docs/golden-format.md: the host-Python rule)."""
    if module is None:
        module = importlib.import_module("cases." + stem)
    check_module(stem, module)
    header = module_header(stem, module)
    header.update({"seed": seed, "python": platform.python_version()})
    rng = rng_factory(seed)
    cases = []
    seen = set()
    for spec in module.cases(rng):
        check_spec(module, spec)
        case_id = "%s/%s" % (stem, spec["id"])
        if case_id in seen:
            raise SystemExit("%s: duplicate case id %s (ids must say what a case is, and be unique)" % (module.__name__, case_id))
        seen.add(case_id)
        cases.append(case_json(spec, case_id))
    return header, cases


def read_cases(source, where):
    """The text of a cases file, parsed; a file of another format or loss is refused plainly."""
    try:
        data = json.loads(source)
    except ValueError as e:
        raise SystemExit("%s: not a cases file (not JSON: %s)" % (where, e))
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("cases"), list):
        raise SystemExit("%s: not a cases file of golden format %d (python/goldens.py STEM --inputs makes one)" % (where, FORMAT))
    return data


def results(stem, source, where, cpu_capability, module=None):
    """One torch release's results for the cases in `source` (a cases file's text), in its order."""
    cases_file = read_cases(source, where)
    if module is None:
        module = importlib.import_module("cases." + stem)
    check_module(stem, module)
    expected = module_header(stem, module)
    for key in ("loss", "function", "args", "grads"):
        if cases_file.get(key) != expected[key]:
            raise SystemExit("%s: its %s is %r, but the case module's is %r: the cases file is of another module "
                             "(regenerate it: python/goldens.py %s --inputs)" % (where, key, cases_file.get(key), expected[key], stem))
    seed = cases_file["seed"]
    torch, F = import_torch(cpu_capability)
    in_use = cpu_capability_in_use(torch, cpu_capability)
    if in_use != cpu_capability:
        # Where the CPU lacks it, torch quietly runs narrower kernels: such results are not that capability's.
        raise SystemExit("ATEN_CPU_CAPABILITY=%s: torch %s runs its %s kernels here (this CPU lacks %s)"
                         % (cpu_capability, torch.__version__, in_use, cpu_capability))
    header = expected
    header.update({"torch": torch.__version__, "python": platform.python_version(), "seed": seed,
                   "environment": environment(torch, cpu_capability), "tolerance": TOLERANCE, "unavailable": None,
                   "cases_sha256": hashlib.sha256(source.encode("utf-8")).hexdigest()})
    available = getattr(module, "available", lambda torch, F: True)
    if not available(torch, F):
        header["unavailable"] = "torch %s has no F.%s" % (torch.__version__, module.FUNCTION)
        sys.stderr.write("total %s 0\n" % stem)
        return header, []
    rng = rng_factory(seed)
    out = []
    sys.stderr.write("total %s %d\n" % (stem, len(cases_file["cases"])))
    for case in cases_file["cases"]:
        case_id = case["id"]
        sample = {"args": case["args"], "kwargs": case["kwargs"], "error_regex": case["error_regex"]}
        try:
            body = run_sample(torch, F, module, sample, grad_output_draw(rng("grad_output", case_id)), case_id)
        except RegexMismatch as e:
            raise SystemExit("%s: %s" % (module.__name__, e))
        result = {"id": case_id}
        result.update(body)
        out.append(result)
        sys.stderr.write("progress %s %d\n" % (stem, len(out)))
    return header, out


def dumps(header, key, items):
    """One case (or result) per line, so a diff of two files reads case by case."""
    dump = lambda obj: json.dumps(obj, separators=(",", ":"), allow_nan=False)
    head = dump(header)[:-1]
    lines = [head + ',"%s":[' % key]
    lines += [dump(c) + ("," if i + 1 < len(items) else "") for i, c in enumerate(items)]
    lines.append("]}")
    return "\n".join(lines) + "\n"


def read_source(path):
    """A cases file's text: from the file, or from stdin ('-'; torch-loss-parity sends it after our sources)."""
    if path == "-":
        return sys.stdin.read(), "the cases file on stdin"
    with open(path, "rb") as f:
        return f.read().decode("utf-8"), path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("loss", nargs="?", choices=LOSSES, help="a loss of this repository (python/cases/<stem>.py)")
    parser.add_argument("--cases", metavar="FILE", help="a user's own case module instead; its file name is the stem")
    parser.add_argument("--inputs", action="store_true", help="print the cases file (the inputs; no torch)")
    parser.add_argument("--from-cases", metavar="FILE", help="print this torch's results for a cases file ('-': stdin)")
    parser.add_argument("--seed", type=int, default=1234, help="with --inputs (the results take the cases file's)")
    parser.add_argument("--cpu-capability", default="avx2", choices=("default", "avx2", "avx512"))
    args = parser.parse_args(argv)
    if (args.loss is None) == (args.cases is None):
        parser.error("give one loss, or --cases FILE")
    if args.inputs == (args.from_cases is not None):
        parser.error("give --inputs (the cases file) or --from-cases FILE (a torch's results for it)")
    stem, module = (args.loss, None) if args.cases is None else load_user_module(args.cases)
    if args.inputs:
        header, cases = inputs(stem, args.seed, module)
        sys.stdout.write(dumps(header, "cases", cases))
    else:
        source, where = read_source(args.from_cases)
        header, out = results(stem, source, where, args.cpu_capability, module)
        sys.stdout.write(dumps(header, "results", out))


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
