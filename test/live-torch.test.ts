// Differential fuzzing against a running torch (scripts/lib/fuzz.ts, also the `fuzz` command):
// fast-check draws arbitrary cases, the ports and torch (python/worker.py) compute, and the results
// must agree at the golden tolerance. A failure prints the shrunk case as a golden-format case for
// test/regressions/. Without torch, it skips and says why; CI installs torch 1.13 so that it runs there.

import { afterAll, beforeAll, expect, test } from 'vitest';
import { describeFailure, encode, fuzzLoss } from '../scripts/lib/fuzz.ts';
import { portOptions, runCase, toTarget, toTensor } from '../ts/golden/run.ts';
import type { GoldenFile, TensorJson } from '../ts/golden/schema.ts';
import { LOSSES, LOSS_STEMS, type LossEntry } from '../ts/losses/registry.ts';
import { LossArgumentError, type Tensor } from '../ts/tensor.ts';
import { TorchWorker, findTorchInterpreter, type RunReply, type RunRequest, type WorkerHello } from '../scripts/lib/torch-worker.ts';
import { FC_RUNS } from './arbitraries.ts';

const { interp, why } = await findTorchInterpreter();
const RUNS = Math.max(50, Math.ceil(FC_RUNS / 4)); // per loss; 250 by default
let worker: TorchWorker;

/**
 * A "torch" that computes with the port itself but returns every gradient off by one: the fuzzer
 * must report a gradient disagreement, and its golden-format case must carry the gradient.
 */
function gradientOffByOne(): TorchWorker {
  const hello: WorkerHello = {
    ready: true,
    torch: '2.6.0+fake',
    python: '3.0.0',
    cpu_capability: 'avx2',
    threads: 1,
    max_threads: 1,
    losses: [],
  };
  const json = (t: Tensor, shift = 0): TensorJson =>
    encode(
      Array.from(t.data, (v) => v + shift),
      [...t.shape],
    );
  const request = async (req: RunRequest): Promise<RunReply> => {
    const entry: LossEntry = LOSSES[req.loss as keyof typeof LOSSES];
    const opts = portOptions(entry, req.kwargs, req.dtype, hello.torch, hello.cpu_capability);
    const input = toTensor(req.input, req.dtype);
    const target = toTarget(entry, req.target, req.dtype);
    try {
      const output = entry.forward(input, target, opts);
      if (!req.grad_output) return { output: json(output) };
      return { output: json(output), grad: json(entry.backward(toTensor(req.grad_output, req.dtype), input, target, opts), 1) };
    } catch (e) {
      if (!(e instanceof LossArgumentError)) throw e;
      return { error: { type: e.torchErrorType, message: e.message } };
    }
  };
  return { hello, request } as unknown as TorchWorker;
}

test('a gradient disagreement comes back shrunk, as a golden case with the gradient that reproduces it', async () => {
  const result = await fuzzLoss(gradientOffByOne(), 'soft_margin_loss', { runs: 100, seed: 1 });
  expect(result.failure?.message).toMatch(/^grad: /);
  const c = result.failure!.golden;
  expect(c.grad).not.toBeNull();
  const golden: GoldenFile = {
    format: 1,
    loss: 'soft_margin_loss',
    torch: '2.6.0+fake',
    python: '3.0.0',
    seed: 1,
    environment: { cpu_capability: 'avx2', threads: 1, machine: 'x86_64' },
    tolerance: { float32: { rtol: 1.3e-6, atol: 1e-5 }, float64: { rtol: 1e-7, atol: 1e-7 } },
    cases: [c],
  };
  expect(runCase('soft_margin_loss', c, golden).map((r) => [r.kind, r.ok])).toEqual([
    ['output', true],
    ['grad', false],
  ]);
  expect(describeFailure(result.failure!)).toContain(JSON.stringify(c));
});

if (!interp) {
  test.skip(`live torch differential tests skipped: ${why}`, () => {});
} else {
  beforeAll(async () => {
    worker = await TorchWorker.start(interp);
  });
  afterAll(async () => {
    await worker?.close();
  });

  test('the worker reports its torch and returns outputs, gradients and torch errors', async () => {
    expect(worker.hello.torch).toMatch(/^\d+\.\d+/);
    const ok = await worker.request({
      loss: 'binary_cross_entropy_with_logits',
      dtype: 'float32',
      input: encode([1, -2], [2]),
      target: encode([1, 0], [2]),
      kwargs: { reduction: 'sum' },
      grad_output: encode([1], []),
    });
    expect(ok.output?.shape).toEqual([]);
    expect(ok.grad?.shape).toEqual([2]);
    const bad = await worker.request({
      loss: 'binary_cross_entropy_with_logits',
      dtype: 'float32',
      input: encode([1, -2], [2]),
      target: encode([1], [1]),
      kwargs: { reduction: 'sum' },
    });
    expect(bad.error?.type).toBe('ValueError');
  });

  for (const stem of LOSS_STEMS) {
    test(`${stem} agrees with torch on arbitrary cases`, async () => {
      // A failure's shrinking is bounded too; an interrupted run still reports.
      const result = await fuzzLoss(worker, stem, { runs: RUNS, timeLimitMs: 90_000 });
      if (result.failure) throw new Error(`live differential fuzzing failed: ${describeFailure(result.failure)}`);
      if (!result.interrupted) expect(result.cases).toHaveLength(RUNS); // every drawn case was compared
    }, 150_000);
  }

  test('a hung or crashed worker fails clearly instead of hanging the run', async () => {
    const doomed = await TorchWorker.start(interp);
    await expect(
      doomed.request({ loss: 'no_such_loss', dtype: 'float32', input: encode([1], [1]), target: encode([1], [1]), kwargs: {} }),
    ).rejects.toThrow(/torch worker failed on request/);
    await expect(
      doomed.request(
        { op: 'bench', loss: 'binary_cross_entropy_with_logits', dtype: 'float32', numel: 4e6, classes: 100, threads: 1, repeats: 50, backward: true },
        5,
      ),
    ).rejects.toThrow(/did not answer request \d+ within 5 ms; killed it/);
    await expect(
      doomed.request({ loss: 'binary_cross_entropy_with_logits', dtype: 'float32', input: encode([1], [1]), target: encode([1], [1]), kwargs: {} }),
    ).rejects.toThrow(/torch worker exited/);
  });
}
