"""Cases for F.l1_loss (nn.L1Loss): the cases mse_loss.py's `pointwise_cases` builds (shapes,
broadcasts both ways, int64 and mixed-dtype targets, weight from torch 2.6, extremes, errors), with
ties and -0 where the gradient is sgn(0) = 0, NaN differences (sign(NaN) = 0), and float64
differences below float32's range (1.7 rounds the difference to float32 before its sign; 1.13's
composite l1_loss does not). Every release computes the gradient for any target dtype."""
from cases.mse_loss import pointwise_cases

FUNCTION = "l1_loss"
ARGS = ("input", "target")
GRADS = ("input",)


def bench_args(torch, gen, shape, dtype):
    """The benchmark's inputs: logits and real-valued targets (randn * 3, as scripts/bench.ts draws)."""
    return {"input": torch.randn(shape, generator=gen, dtype=dtype) * 3,
            "target": torch.randn(shape, generator=gen, dtype=dtype) * 3}, {}


def cases(rng):
    for c in pointwise_cases(rng, None):
        yield c
