"""torch's F.pairwise_distance on adversarial rows, for test/pairwise-distance.test.ts: values spread
over 8 orders of magnitude (so the norm kernels' order and fused multiply-adds show), row lengths
around the vector width (tails of 0 to 7), every p branch of the norm kernel and of norm_backward,
broadcasting, 1-D, 0-d, 3-D and empty inputs, non-finite values; forward output and both gradients.

    ATEN_CPU_CAPABILITY=avx2 OMP_NUM_THREADS=1 python python/pairwise_fixture.py > test/fixtures/pairwise-distance-<torch>.json
"""
import json
import math
import os
import random
import sys

SHAPES = [((3, 5), (3, 5)), ((2, 7), (2, 7)), ((4, 8), (4, 8)), ((2, 13), (2, 13)), ((3, 22), (3, 22)),
          ((2, 33), (2, 33)), ((1, 60), (1, 60)), ((2, 3, 6), (2, 3, 6)), ((6,), (6,)), ((), ()),
          ((1, 9), (4, 9)), ((9,), (4, 9)), ((4, 1), (4, 6)), ((2, 1), (2, 1)), ((3, 0), (3, 0)), ((0, 4), (0, 4))]
P_VALUES = [2, 1, "inf", "-inf", 0, 3, 1.5, 0.5, -1]


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def values(rng, n, kind):
    if kind == "nonfinite":
        return [rng.choice([math.nan, math.inf, -math.inf, 1.0, -2.0, 0.0]) for _ in range(n)]
    return [rng.gauss(0, 1) * 10.0 ** rng.choice([-3, -1, 0, 2, 4]) for _ in range(n)]


def cases():
    rng = random.Random(20261201)
    for dtype in ("float32", "float64"):
        for (s1, s2) in SHAPES:
            for p in P_VALUES:
                every_p = s1 in ((3, 5), (2, 13), (3, 22), (2, 3, 6), (9,), (4, 1), (3, 0))
                if (dtype == "float64" and (p not in (2, 3) or s1 == (1, 100))) or (not every_p and p not in (2, 1, "inf")):
                    continue
                for eps, keepdim in (((1e-6, False), (0.0, True)) if s1 == (3, 5) else ((1e-6, False),)):
                    yield {"dtype": dtype, "p": p, "eps": eps, "keepdim": keepdim, "kind": "mixed",
                           "x1": {"shape": list(s1), "data": values(rng, numel(s1), "mixed")},
                           "x2": {"shape": list(s2), "data": values(rng, numel(s2), "mixed")}}
        for p in (2, 1, "inf", "-inf", 3):
            yield {"dtype": dtype, "p": p, "eps": 1e-6, "keepdim": False, "kind": "nonfinite",
                   "x1": {"shape": [6, 6], "data": values(rng, 36, "nonfinite")},
                   "x2": {"shape": [6, 6], "data": values(rng, 36, "nonfinite")}}


def packed(t):
    """A tensor's values as base64 of little-endian float32 / float64 bytes (exact, and small)."""
    import base64
    import struct
    vals = t.detach().reshape(-1).tolist()
    fmt = "<%d%s" % (len(vals), "f" if str(t.dtype) == "torch.float32" else "d")
    return base64.b64encode(struct.pack(fmt, *vals)).decode("ascii")


def main():
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(1)
    out = {"torch": torch.__version__, "cpu_capability": os.environ.get("ATEN_CPU_CAPABILITY", ""), "cases": []}
    grng = random.Random(7)
    for c in cases():
        dt = getattr(torch, c["dtype"])
        p = float(c["p"]) if isinstance(c["p"], str) else c["p"]
        x1 = torch.tensor(c["x1"]["data"], dtype=dt).reshape(c["x1"]["shape"]).requires_grad_()
        x2 = torch.tensor(c["x2"]["data"], dtype=dt).reshape(c["x2"]["shape"]).requires_grad_()
        rec = dict(c)
        # the inputs as torch holds them (rounded to float32)
        rec["x1"] = {"shape": c["x1"]["shape"], "b64": packed(x1)}
        rec["x2"] = {"shape": c["x2"]["shape"], "b64": packed(x2)}
        try:
            y = F.pairwise_distance(x1, x2, p=p, eps=c["eps"], keepdim=c["keepdim"])
            go = torch.tensor([grng.choice([1.0, -0.5, 2.0, 0.25]) for _ in range(y.numel())], dtype=dt).reshape(y.shape)
            g1, g2 = torch.autograd.grad(y, (x1, x2), go, allow_unused=True)
            rec["y"] = packed(y)
            rec["y_shape"] = list(y.shape)
            rec["grad_output"] = packed(go)
            rec["g1"] = None if g1 is None else packed(g1)
            rec["g2"] = None if g2 is None else packed(g2)
        except Exception as e:  # noqa: BLE001 - the error torch raises is the fixture
            rec["error"] = {"type": type(e).__name__, "message": str(e).split("\n")[0]}
        out["cases"].append(rec)
    sys.stdout.write(json.dumps(out, separators=(",", ":")) + "\n")
    sys.stdout.flush()
    os._exit(0)  # torch 1.7 can abort at interpreter exit


if __name__ == "__main__":
    main()
