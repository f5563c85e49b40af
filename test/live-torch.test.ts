// Differential fuzzing against a running torch (scripts/lib/fuzz.ts, also the `fuzz` command):
// fast-check draws arbitrary cases, the ports and torch (python/worker.py) compute, and the results
// must agree at the golden tolerance. A failure prints the shrunk case as a golden-format case for
// test/regressions/. Without torch, it skips and says why; CI installs torch 1.13 so that it runs there.

import { afterAll, beforeAll, expect, test } from 'vitest';
import { describeFailure, encode, fuzzLoss, LIVE_TOLERANCE } from '../scripts/lib/fuzz.ts';
import { compareTensor } from '../ts/golden/compare.ts';
import { gradsByName, portOptions, runCase, toTensor } from '../ts/golden/run.ts';
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
      t.data instanceof Float32Array ? 'float32' : 'float64',
    );
  const reply = { output: null, grads: null, error: null, grad_error: null, warnings: [] };
  const request = async (req: RunRequest): Promise<RunReply> => {
    const entry: LossEntry = LOSSES[req.loss as keyof typeof LOSSES];
    const opts = portOptions(req.kwargs, hello.torch, hello.cpu_capability, entry);
    const args = entry.args.map((name) => toTensor(req.args[name]!));
    try {
      const output = entry.forward(...args, opts);
      if (!req.grad_output) return { ...reply, output: json(output) };
      const grads = gradsByName(entry, entry.backward(toTensor(req.grad_output), ...args, opts));
      return { ...reply, output: json(output), grads: Object.fromEntries(Object.entries(grads).map(([name, g]) => [name, json(g, 1)])) };
    } catch (e) {
      if (!(e instanceof LossArgumentError)) throw e;
      return { ...reply, error: { type: e.torchErrorType, message: e.message, regex: null } };
    }
  };
  return { hello, request } as unknown as TorchWorker;
}

test('a gradient disagreement comes back shrunk, as a golden case with the gradient that reproduces it', async () => {
  const result = await fuzzLoss(gradientOffByOne(), 'soft_margin_loss', { runs: 100, seed: 1 });
  expect(result.failure?.message).toMatch(/^grad input: /);
  const c = result.failure!.golden;
  expect(c.grad_output).not.toBeNull();
  expect(Object.keys(c.grads ?? {})).toEqual(['input']);
  const golden: GoldenFile = {
    format: 3,
    loss: 'soft_margin_loss',
    function: 'soft_margin_loss',
    args: ['input', 'target'],
    grads: ['input'],
    torch: '2.6.0+fake',
    python: '3.0.0',
    seed: 1,
    environment: { cpu_capability: 'avx2', threads: 1, machine: 'x86_64' },
    tolerance: { float32: { rtol: 1.3e-6, atol: 1e-5 }, float64: { rtol: 1e-7, atol: 1e-7 } },
    unavailable: null,
    cases: [c],
  };
  expect(runCase('soft_margin_loss', c, golden).map((r) => [r.kind, r.ok])).toEqual([
    ['output', true],
    ['grad', false],
  ]);
  expect(describeFailure(result.failure!)).toContain(`{"id":${JSON.stringify(c.id)},"dtype":`);
  expect(describeFailure(result.failure!)).toContain(`{"id":${JSON.stringify(c.id)},"output":${JSON.stringify(c.output)}`);
  expect(describeFailure(result.failure!)).toContain('test/regressions/cases/soft_margin_loss.json');
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
      args: { input: encode([1, -2], [2], 'float32'), target: encode([1, 0], [2], 'float32') },
      kwargs: { reduction: 'sum', pos_weight: encode([2, 3], [2], 'float32') },
      grad_output: encode([1], [], 'float32'),
    });
    expect(ok.error).toBeNull();
    expect(ok.output).toMatchObject({ shape: [], dtype: 'float32' });
    expect(Object.keys(ok.grads ?? {})).toEqual(['input']);
    expect(ok.grads?.input).toMatchObject({ shape: [2], dtype: 'float32' });
    // The port computes the same from the same request (a tensor kwarg included).
    const entry: LossEntry = LOSSES.binary_cross_entropy_with_logits;
    const opts = portOptions(
      { reduction: 'sum', pos_weight: encode([2, 3], [2], 'float32') },
      worker.hello.torch,
      worker.hello.cpu_capability,
    );
    const x = toTensor(encode([1, -2], [2], 'float32'));
    const y = toTensor(encode([1, 0], [2], 'float32'));
    expect(compareTensor(entry.forward(x, y, opts), ok.output!, LIVE_TOLERANCE.float32, 'float32').ok).toBe(true);
    const bad = await worker.request({
      loss: 'binary_cross_entropy_with_logits',
      dtype: 'float32',
      args: { input: encode([1, -2], [2], 'float32'), target: encode([1], [1], 'float32') },
      kwargs: { reduction: 'sum' },
    });
    expect(bad.output).toBeNull();
    expect(bad.error?.type).toBe('ValueError');
    expect(bad.error?.message).toMatch(/must be the same as input size/);
    // A large tensor in base64, as the goldens hold them: torch decodes the same values.
    const big = Array.from({ length: 100 }, (_, i) => (i % 7) / 8 - 0.375);
    const b64 = (values: number[]): TensorJson => ({
      shape: [values.length],
      dtype: 'float64',
      base64: Buffer.from(Float64Array.from(values).buffer).toString('base64'),
    });
    const [inline, packed] = await Promise.all(
      [encode(big, [100], 'float64'), b64(big)].map((input) =>
        worker.request({
          loss: 'soft_margin_loss',
          dtype: 'float64',
          args: {
            input,
            target: encode(
              big.map((v) => (v < 0 ? -1 : 1)),
              [100],
              'float64',
            ),
          },
          kwargs: { reduction: 'none' },
        }),
      ),
    );
    expect(inline!.output).toEqual(packed!.output);
    expect(packed!.output!.base64).toBeDefined(); // above 32 elements the worker answers in base64 too
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
      doomed.request({
        loss: 'no_such_loss',
        dtype: 'float32',
        args: { input: encode([1], [1], 'float32'), target: encode([1], [1], 'float32') },
        kwargs: {},
      }),
    ).rejects.toThrow(/torch worker failed on request/);
    await expect(
      doomed.request(
        {
          op: 'bench',
          loss: 'binary_cross_entropy_with_logits',
          dtype: 'float32',
          numel: 4e6,
          classes: 100,
          threads: 1,
          repeats: 50,
          backward: true,
        },
        5,
      ),
    ).rejects.toThrow(/did not answer request \d+ within 5 ms; killed it/);
    await expect(
      doomed.request({
        loss: 'binary_cross_entropy_with_logits',
        dtype: 'float32',
        args: { input: encode([1], [1], 'float32'), target: encode([1], [1], 'float32') },
        kwargs: {},
      }),
    ).rejects.toThrow(/torch worker exited/);
  });
}
