"""F.cosine_similarity's values and gradients from real torch, for test/cosine-similarity.test.ts:
(N, D) over dim 1, 1-D over dim 0, 0-d, middle and first dims, broadcasting, empty dims, zero
vectors (eps), tiny, huge and non-finite values, both dtypes, and the errors torch raises.

    ATEN_CPU_CAPABILITY=avx2 OMP_NUM_THREADS=1 python python/cosine_similarity_fixture.py \
        > test/fixtures/cosine-similarity-<torch>.json
Values come from a seeded Python generator (no torch ops); each input is stored as torch rounded it.
"""
import json
import os
import random
import sys


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def values(rng, shape, kind):
    out = []
    for _ in range(numel(shape)):
        if kind == "spread":
            out.append(rng.uniform(-1, 1) * 10.0 ** rng.randint(-4, 4))
        elif kind == "normal":
            out.append(rng.gauss(0, 1))
        elif kind == "zeros":
            out.append(0.0)
        elif kind == "tiny":
            out.append(rng.uniform(-1, 1) * 1e-6)
        elif kind == "huge":
            out.append(rng.uniform(-1, 1) * 1e20)
    return out


def cases():
    rng = random.Random(20260)
    out = []

    def add(name, s1, s2, dim, dtype="float32", k1="spread", k2="spread", eps=None, x1=None, x2=None):
        out.append({"name": name, "dtype": dtype, "dim": dim, "eps": eps, "s1": list(s1), "s2": list(s2),
                    "x1": x1 if x1 is not None else values(rng, s1, k1),
                    "x2": x2 if x2 is not None else values(rng, s2, k2)})

    for shape in [(4, 5), (3, 8), (2, 37), (5, 1), (3, 0), (0, 4)]:
        for dtype in ("float32", "float64"):
            add("2d", shape, shape, 1, dtype)
    for shape in [(7,), (16,), (1,), (0,)]:
        add("1d", shape, shape, 0)
    add("1d-dim-neg1", (13,), (13,), -1)
    add("0d", (), (), 0, x1=[2.5], x2=[-1.5])
    add("0d-dim-neg1", (), (), -1, x1=[0.0], x2=[3.0])
    add("broadcast-row", (3, 6), (1, 6), 1)
    add("broadcast-1d-dim-neg1", (3, 6), (6,), -1)
    add("broadcast-1d-dim1", (3, 6), (6,), 1)
    add("broadcast-col", (3, 1), (3, 6), 1)
    for dim in (0, 1, 2):
        add("broadcast-3d", (4, 1, 5), (1, 3, 5), dim)
    for dim in (0, 1, 2, -1):
        add("3d", (2, 3, 4), (2, 3, 4), dim)
        add("3d-last3", (2, 10, 3), (2, 10, 3), dim)
    add("dim0-2d", (5, 3), (5, 3), 0)
    add("zero-row", (3, 4), (3, 4), 1, x1=[0.0] * 4 + values(rng, (8,), "spread"), x2=values(rng, (12,), "spread"))
    add("both-zero", (2, 4), (2, 4), 1, k1="zeros", k2="zeros")
    add("eps-0-zero-row", (2, 4), (2, 4), 1, k1="zeros", eps=0.0)
    add("eps-0.5-tiny", (3, 4), (3, 4), 1, k1="tiny", eps=0.5)
    add("eps-negative", (2, 3), (2, 3), 1, k1="zeros", eps=-1.0)
    add("eps-overflow", (2, 3), (2, 3), 1, eps=1e39)
    add("tiny", (3, 9), (3, 9), 1, k1="tiny", k2="tiny")
    add("huge", (3, 9), (3, 9), 1, k1="huge")
    inf = float("inf")
    add("nonfinite", (4, 3), (4, 3), 1, x1=[float("nan"), 1.0, 2.0, inf, 1.0, 1.0, -inf, 0.0, 0.0, 1.0, 2.0, 3.0],
        x2=values(rng, (12,), "spread"))
    add("signed-zero", (2, 1), (2, 1), 1, x1=[-1.0, -0.0], x2=[0.0, 2.0])
    add("large", (2, 150), (2, 150), 1, k1="normal", k2="normal")
    add("error-broadcast", (3, 4), (2, 4), 1)
    add("error-dim", (3, 4), (3, 4), 2)
    add("error-dim-neg", (3, 4), (3, 4), -3)
    return out


def encode(v):
    if v != v:
        return "nan"
    if v in (float("inf"), float("-inf")):
        return "inf" if v > 0 else "-inf"
    return v


def main():
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(1)
    grads = random.Random(7)
    out = {"torch": torch.__version__, "cpu_capability": os.environ.get("ATEN_CPU_CAPABILITY", ""), "cases": []}
    for c in cases():
        dtype = getattr(torch, c["dtype"])
        x1 = torch.tensor(c["x1"], dtype=dtype).reshape(c["s1"]).requires_grad_()
        x2 = torch.tensor(c["x2"], dtype=dtype).reshape(c["s2"]).requires_grad_()
        kwargs = {"dim": c["dim"]}
        if c["eps"] is not None:
            kwargs["eps"] = c["eps"]
        rec = {"name": c["name"], "dtype": c["dtype"], "kwargs": kwargs,
               "x1": {"shape": c["s1"], "values": [encode(v) for v in x1.detach().flatten().tolist()]},
               "x2": {"shape": c["s2"], "values": [encode(v) for v in x2.detach().flatten().tolist()]}}
        try:
            y = F.cosine_similarity(x1, x2, **kwargs)
            g = torch.tensor([grads.uniform(-2, 2) for _ in range(y.numel())], dtype=dtype).reshape(y.shape)
            g1, g2 = torch.autograd.grad(y, (x1, x2), g)
            rec.update(output={"shape": list(y.shape), "values": [encode(v) for v in y.detach().flatten().tolist()]},
                       grad_output=[encode(v) for v in g.flatten().tolist()],
                       grads={"x1": [encode(v) for v in g1.flatten().tolist()],
                              "x2": [encode(v) for v in g2.flatten().tolist()]})
        except Exception as e:  # torch's error: its type and first line
            rec["error"] = {"type": type(e).__name__, "message": str(e).split("\n")[0]}
        out["cases"].append(rec)
    json.dump(out, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")
    sys.stdout.flush()
    os._exit(0)  # torch 1.7 can hang or abort in teardown


if __name__ == "__main__":
    main()
