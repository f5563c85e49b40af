// Differential fuzzing against a running torch (scripts/lib/fuzz.ts, also the `fuzz` command):
// fast-check draws arbitrary cases, the ports and torch (python/worker.py) compute, and the results
// must agree at the golden tolerance. A failure prints the shrunk case as a golden-format case for
// test/regressions/. Without torch, it skips and says why; CI installs torch 1.13 so that it runs there.

import { afterAll, beforeAll, expect, test } from 'vitest';
import { describeFailure, encode, fuzzLoss } from '../scripts/lib/fuzz.ts';
import { LOSS_STEMS } from '../ts/losses/registry.ts';
import { TorchWorker, findTorchInterpreter } from '../scripts/lib/torch-worker.ts';
import { FC_RUNS } from './arbitraries.ts';

const { interp, why } = await findTorchInterpreter();
const RUNS = Math.max(50, Math.ceil(FC_RUNS / 4)); // per loss; 250 by default
let worker: TorchWorker;

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
    const ok = await worker.request({ loss: 'bce_with_logits', dtype: 'float32', input: encode([1, -2], [2]), target: encode([1, 0], [2]), kwargs: { reduction: 'sum' }, grad_output: encode([1], []) });
    expect(ok.output?.shape).toEqual([]);
    expect(ok.grad?.shape).toEqual([2]);
    const bad = await worker.request({ loss: 'bce_with_logits', dtype: 'float32', input: encode([1, -2], [2]), target: encode([1], [1]), kwargs: { reduction: 'sum' } });
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
    await expect(doomed.request({ loss: 'no_such_loss', dtype: 'float32', input: encode([1], [1]), target: encode([1], [1]), kwargs: {} })).rejects.toThrow(/torch worker failed on request/);
    await expect(doomed.request({ op: 'bench', loss: 'bce_with_logits', dtype: 'float32', numel: 4e6, classes: 100, threads: 1, repeats: 50, backward: true }, 5)).rejects.toThrow(/did not answer request \d+ within 5 ms; killed it/);
    await expect(doomed.request({ loss: 'bce_with_logits', dtype: 'float32', input: encode([1], [1]), target: encode([1], [1]), kwargs: {} })).rejects.toThrow(/torch worker exited/);
  });
}
