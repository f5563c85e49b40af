// Integer (torch.long) targets and torch's check order, against a running torch (python/worker.py,
// an int64 target tensor): SoftMarginLoss and MultiLabelSoftMarginLoss convert such targets to the
// input's dtype (forward and backward must agree with torch), BCELoss and BCEWithLogitsLoss raise
// RuntimeError, and an invalid reduction is a ValueError before any dtype check. Without torch, it
// skips and says why (TORCH_PYTHON picks another torch, e.g. 'chroot /var/cache/torch-parity/roots/trixie python3').

import { afterAll, beforeAll, expect, test } from 'vitest';
import { compareTensor } from '../ts/golden/compare.ts';
import { gradsByName, portOptions, toTensor } from '../ts/golden/run.ts';
import type { TensorDType, TensorJson } from '../ts/golden/schema.ts';
import { LOSSES, type LossEntry, type LossStem } from '../ts/losses/registry.ts';
import { LossArgumentError, type Tensor } from '../ts/tensor.ts';
import { useFloat32Kernels } from '../ts/wasm/float32-kernels.ts';
import { TorchWorker, findTorchInterpreter, type RunRequest } from '../scripts/lib/torch-worker.ts';

const { interp, why } = await findTorchInterpreter();
const TOLERANCE = { float32: { rtol: 1.3e-6, atol: 1e-5 }, float64: { rtol: 1e-7, atol: 1e-7 } };
const DTYPES = ['float32', 'float64'] as const;
const REDUCTIONS = ['none', 'mean', 'sum'] as const;
/** input shape, target shape (SoftMarginLoss and MultiLabelSoftMarginLoss broadcast the target) */
const SHAPES: [number[], number[]][] = [
  [[1], [1]],
  [[5], [5]],
  [
    [3, 4],
    [3, 4],
  ],
  [[3, 4], [4]],
  [
    [3, 4],
    [3, 1],
  ],
  [
    [2, 3, 4],
    [2, 3, 4],
  ],
  [
    [0, 3],
    [0, 3],
  ],
  [
    [40, 33],
    [40, 33],
  ],
];
let worker: TorchWorker;

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const json = (data: number[], shape: number[], dtype: TensorDType): TensorJson => ({ shape, dtype, data });
const logits = (shape: number[], seed: number) =>
  Array.from({ length: numel(shape) }, (_, i) => Math.round(Math.sin(i * 1.7 + seed) * 4000) / 1000);
const labels = (shape: number[], seed: number) => Array.from({ length: numel(shape) }, (_, i) => ((i * 7 + seed) % 7) - 3); // -3..3

/** The port's output and input gradient, or the Python exception type its LossArgumentError names. */
function port(stem: LossStem, req: RunRequest, gradOutput: TensorJson | null): { output?: Tensor; grad?: Tensor; error?: string } {
  const entry: LossEntry = LOSSES[stem];
  // An int64 target is an IndexTensor (Int32Array), as the golden runner gives it.
  const args = entry.args.map((name) => toTensor(req.args[name]!));
  const options = portOptions(req.kwargs, worker.hello.torch, worker.hello.cpu_capability, entry);
  try {
    const output = entry.forward(...args, options);
    const grad = gradOutput ? gradsByName(entry, entry.backward(toTensor(gradOutput), ...args, options)).input : undefined;
    return { output, ...(grad ? { grad } : {}) };
  } catch (e) {
    if (!(e instanceof LossArgumentError)) throw e;
    return { error: e.torchErrorType };
  }
}

if (!interp) {
  test.skip(`live torch integer-target tests skipped: ${why}`, () => {});
} else {
  beforeAll(async () => {
    worker = await TorchWorker.start(interp);
  });
  afterAll(async () => {
    await worker?.close();
  });

  for (const stem of ['soft_margin_loss', 'multilabel_soft_margin_loss'] as const) {
    for (const kernels of [true, false]) {
      test(`${stem}: int64 targets agree with torch, forward and backward, over shapes, dtypes and reductions [${kernels ? 'kernels' : 'JS loops'}]`, async () => {
        useFloat32Kernels(kernels);
        try {
          let compared = 0;
          for (const [dtype, reduction, [shape, targetShape]] of DTYPES.flatMap((d) =>
            REDUCTIONS.flatMap((r) => SHAPES.map((s) => [d, r, s] as const)),
          )) {
            const where = `${dtype} ${reduction} input ${JSON.stringify(shape)} target ${JSON.stringify(targetShape)}`;
            const request: RunRequest = {
              loss: stem,
              dtype,
              args: {
                input: json(logits(shape, shape.length), shape, dtype),
                target: json(labels(targetShape, shape.length), targetShape, 'int64'),
              },
              kwargs: { reduction },
            };
            const forward = await worker.request(request);
            expect(forward.error, `${where}: torch raised ${JSON.stringify(forward.error)}`).toBeNull();
            const out = forward.output!;
            expect(out.dtype, where).toBe(dtype);
            const gradOutput = json(
              Array.from({ length: numel(out.shape) }, (_, i) => 0.5 + 0.125 * i),
              out.shape,
              dtype,
            );
            const reply = await worker.request({ ...request, grad_output: gradOutput });
            expect(reply.grad_error, where).toBeNull();
            // Only the input is differentiable: torch records no gradient for an integer target.
            expect(Object.keys(reply.grads ?? {}), where).toEqual(['input']);
            const mine = port(stem, request, gradOutput);
            expect(mine.error, where).toBeUndefined();
            const o = compareTensor(mine.output!, reply.output!, TOLERANCE[dtype], dtype);
            expect(o.ok, `${where} output: ${o.message}`).toBe(true);
            const g = compareTensor(mine.grad!, reply.grads!.input!, TOLERANCE[dtype], dtype);
            expect(g.ok, `${where} grad: ${g.message}`).toBe(true);
            compared++;
          }
          expect(compared).toBe(DTYPES.length * REDUCTIONS.length * SHAPES.length);
        } finally {
          useFloat32Kernels(true);
        }
      }, 60_000);
    }
  }

  test("torch's error types for integer targets and for a bad reduction, port and torch alike", async () => {
    const cases: [LossStem, TensorDType | undefined, string][] = [];
    for (const stem of ['binary_cross_entropy_with_logits', 'binary_cross_entropy'] as const)
      cases.push([stem, 'int64', 'mean'], [stem, 'int64', 'abc']);
    for (const stem of ['soft_margin_loss', 'multilabel_soft_margin_loss'] as const)
      cases.push([stem, 'int64', 'abc'], [stem, 'int64', 'elementwise_mean']);
    cases.push(
      ['multilabel_margin_loss', 'float32', 'abc'],
      ['multilabel_margin_loss', 'float32', 'sum'],
      ['multilabel_margin_loss', 'int64', 'elementwise_mean'],
    );
    for (const stem of ['binary_cross_entropy_with_logits', 'binary_cross_entropy', 'soft_margin_loss'] as const)
      cases.push([stem, undefined, 'elementwise_mean']);
    for (const [stem, targetDtype, reduction] of cases) {
      for (const dtype of DTYPES) {
        const shape = [2, 3];
        const target =
          stem === 'binary_cross_entropy' || stem === 'binary_cross_entropy_with_logits'
            ? [1, 0, 1, 0, 0, 1]
            : stem === 'multilabel_margin_loss'
              ? [2, 0, -1, 1, -1, 0]
              : [1, -1, 1, 1, -1, -1];
        const input = stem === 'binary_cross_entropy' ? [0.25, 0.5, 0.75, 0.125, 0.5, 0.875] : logits(shape, 1);
        const request: RunRequest = {
          loss: stem,
          dtype,
          args: { input: json(input, shape, dtype), target: json(target, shape, targetDtype ?? dtype) },
          kwargs: { reduction },
        };
        const where = `${stem} ${dtype} target ${targetDtype ?? dtype} reduction ${reduction}`;
        const reply = await worker.request(request);
        const mine = port(stem, request, null);
        expect(mine.error, `${where}: torch ${reply.error ? `raised ${reply.error.type}: ${reply.error.message}` : 'computed'}`).toBe(
          reply.error?.type,
        );
        if (!reply.error) expect(compareTensor(mine.output!, reply.output!, TOLERANCE[dtype], dtype).ok, where).toBe(true);
      }
    }
  }, 60_000);
}
