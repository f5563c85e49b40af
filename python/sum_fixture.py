"""Exact torch sums of adversarial vectors, for test/numerics.test.ts (which rebuilds the same
vectors): values spread over 10 orders of magnitude, so every change of summation order shows.

    python python/sum_fixture.py > test/fixtures/torch-sums-<torch>-<capability>.json
Run with ATEN_CPU_CAPABILITY set; one thread.
"""
import json
import os
import sys

LENGTHS = [1, 4, 5, 7, 8, 12, 15, 16, 17, 31, 40, 64, 65, 100, 256, 257, 512, 1000, 1024, 1031, 4099, 20000, 70001, 2100003]


def value(i):
    """The i-th value, the same double in Python and TypeScript."""
    e = (i % 11) - 5
    scale = 10.0 ** e if e >= 0 else 1.0 / 10.0 ** -e  # the same double in JavaScript
    return float((i * 7919) % 1000 + 1) * scale * (1.0 if i % 3 else -1.0)


def main():
    import torch
    torch.set_num_threads(1)
    out = {"torch": torch.__version__, "cpu_capability": os.environ.get("ATEN_CPU_CAPABILITY", ""), "sums": []}
    for dtype in ("float32", "float64"):
        for n in LENGTHS:
            t = torch.tensor([value(i) for i in range(n)], dtype=getattr(torch, dtype))
            rows = t[: (n // 4) * 4].reshape(4, -1) if n >= 4 else t.reshape(1, -1)
            # rows (4 x n/4) sum each row with the same kernel; the 2.1M row reaches the 4th cascade level
            out["sums"].append({"dtype": dtype, "n": n, "sum": t.sum().item(), "mean": t.mean().item(),
                                "row_sums": rows.sum(dim=1).tolist() if n < 10 ** 6 else []})
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
