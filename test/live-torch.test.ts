// Differential fuzzing against a running torch: fast-check draws arbitrary cases, the ports and
// torch (python/worker.py) compute, and the results must agree at the golden tolerance. A failure
// prints the shrunk case as a golden-format case for test/regressions/. Without torch, it skips
// and says why; CI installs torch 1.13 so that it runs there.

import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { compareTensor } from '../ts/golden/compare.ts';
import { portOptions, toTarget, toTensor } from '../ts/golden/run.ts';
import type { TensorJson } from '../ts/golden/schema.ts';
import { LOSSES, LOSS_STEMS, type LossDomain, type LossEntry, type LossStem } from '../ts/losses/registry.ts';
import { LossArgumentError } from '../ts/tensor.ts';
import { TorchWorker, findTorchInterpreter, type RunReply, type RunRequest } from '../scripts/lib/torch-worker.ts';
import { FC_RUNS, classLayout, dtype, logit, numel, posWeightValue, reduction, target, values, weightValue } from './arbitraries.ts';

const { interp, why } = await findTorchInterpreter();
const RUNS = Math.max(50, Math.ceil(FC_RUNS / 4)); // per loss; 250 by default
const TOLERANCE = { float32: { rtol: 1.3e-6, atol: 1e-5 }, float64: { rtol: 1e-7, atol: 1e-7 } };
let worker: TorchWorker;

const encode = (data: number[], shape: number[]): TensorJson => ({
  shape,
  data: data.map((v) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v)),
});

/** Arbitrary values of one kind, now and then outside what torch accepts (so errors are compared too). */
function domainValue(kind: LossDomain['input'] | LossDomain['target'], d: 'float32' | 'float64', asTarget = false): fc.Arbitrary<number> {
  // Infinite targets are left out: no loss defines them, and against an exp result in the
  // subnormal range they turn SLEEF's and V8's last-bit difference into NaN vs inf (see README).
  const invalid = asTarget ? fc.constantFrom(NaN, 1.5, -0.25) : fc.constantFrom(NaN, Infinity, -Infinity, 1.5, -0.25);
  switch (kind) {
    case 'logit':
      return fc.oneof({ weight: 20, arbitrary: logit(d) }, { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity) });
    case 'probability':
      return fc.oneof({ weight: 30, arbitrary: target }, { weight: 4, arbitrary: fc.constantFrom(0, 1, 1e-45, 1e-40, 5e-324, 1 - 2 ** -24, 1 - 2 ** -53) }, { weight: 1, arbitrary: invalid });
    case 'sign':
      return fc.oneof({ weight: 20, arbitrary: fc.constantFrom(-1, 1) }, { weight: 2, arbitrary: target }, { weight: 1, arbitrary: invalid });
    case 'labels':
      return fc.integer({ min: -1, max: 5 });
  }
}

/** Arbitrary live cases for any registered loss, drawn from its registry domain: shapes (some empty),
 *  every option it has, extremes, non-finite and out-of-domain values. */
function liveCase(stem: LossStem) {
  const entry: LossEntry = LOSSES[stem];
  const { domain } = entry;
  // Mostly small shapes; sometimes rows long enough for ATen's vectorized, cascaded float sums.
  const shapeArb = fc.oneof(
    { weight: 4, arbitrary: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: domain.minRank, maxLength: domain.maxRank }) },
    { weight: 1, arbitrary: fc.array(fc.integer({ min: 1, max: 90 }), { minLength: Math.max(1, domain.minRank), maxLength: Math.min(2, domain.maxRank) }) },
  );
  const optionLayout = (s: number[], values: fc.Arbitrary<number>) =>
    fc.option(classLayout(s).chain((ws) => fc.tuple(fc.constant(ws), fc.array(values, { minLength: numel(ws), maxLength: numel(ws) }))), { nil: null });
  return fc.tuple(dtype, shapeArb).chain(([d, s]) => {
    const n = numel(s);
    const classes = s.length ? s[s.length - 1]! : 1;
    const label = domain.target === 'labels' ? fc.oneof({ weight: 30, arbitrary: fc.integer({ min: -1, max: Math.max(0, classes - 1) }) }, { weight: 1, arbitrary: fc.constantFrom(-2, classes) }) : domainValue(domain.target, d, true);
    const targetShape = domain.targetBroadcasts ? fc.oneof({ weight: 3, arbitrary: fc.constant(s) }, { weight: 1, arbitrary: classLayout(s) }) : fc.constant(s);
    return fc.record({
      d: fc.constant(d),
      s: fc.constant(s),
      x: values(n, domainValue(domain.input, d)),
      t: targetShape.chain((ts) => fc.tuple(fc.constant(ts), values(numel(ts), label))),
      options: fc.record(Object.fromEntries(Object.keys(entry.tensorOptions).map((name) => [name, optionLayout(s, name === 'pos_weight' ? posWeightValue : weightValue)]))),
      reduction,
      go: fc.double({ min: -3, max: 3, noNaN: true }),
    });
  }).filter((k) => !(domain.emptyBatchReductionUndefined && k.reduction !== 'none' && numel(k.s) === 0 && k.s.length === 2))
    .map((k) => {
    const request: RunRequest = {
      loss: stem,
      dtype: k.d,
      input: encode(k.x, k.s),
      target: encode(k.t[1], k.t[0]),
      kwargs: {
        reduction: k.reduction,
        ...Object.fromEntries(Object.entries(k.options).map(([name, o]) => [name, o ? encode(o[1], o[0]) : null])),
      },
    };
    return { request, go: k.go };
  });
}

/** The port's output and gradient for a request, or the Python exception type it maps to. */
function runPort(entry: LossEntry, req: RunRequest, gradOutput: TensorJson | null) {
  const opts = portOptions(entry, req.kwargs, req.dtype, worker.hello.torch, worker.hello.cpu_capability);
  const input = toTensor(req.input, req.dtype);
  const target = toTarget(entry, req.target, req.dtype);
  try {
    const output = entry.forward(input, target, opts);
    const grad = gradOutput ? entry.backward(toTensor(gradOutput, req.dtype), input, target, opts) : null;
    return { output, grad, error: null };
  } catch (e) {
    if (!(e instanceof LossArgumentError)) throw e;
    return { output: null, grad: null, error: e.torchErrorType };
  }
}

async function agrees(loss: LossStem, c: { request: RunRequest; go: number }): Promise<RunReply & { grad_output?: TensorJson }> {
  const forward = await worker.request(c.request);
  if (forward.error) {
    expect(runPort(LOSSES[loss], c.request, null).error, `torch raised ${forward.error.type}: ${forward.error.message}`).toBe(forward.error.type);
    return forward;
  }
  const out = forward.output!;
  const gradOutput = encode(Array.from({ length: numel(out.shape) }, (_, i) => c.go + 0.125 * i), out.shape);
  const reply = await worker.request({ ...c.request, grad_output: gradOutput });
  const port = runPort(LOSSES[loss], c.request, gradOutput);
  expect(port.error, 'the port threw but torch did not').toBeNull();
  const tol = TOLERANCE[c.request.dtype];
  const o = compareTensor(port.output!, reply.output!, tol, c.request.dtype);
  expect(o.ok, `output: ${o.message}`).toBe(true);
  const g = compareTensor(port.grad!, reply.grad!, tol, c.request.dtype);
  expect(g.ok, `grad: ${g.message}`).toBe(true);
  return { ...reply, grad_output: gradOutput };
}

/** Runs the property; on failure, throws with the seed and the shrunk case in golden format. */
async function fuzz(loss: LossStem): Promise<void> {
  const details = await fc.check(fc.asyncProperty(liveCase(loss), (c) => agrees(loss, c).then(() => true)), {
    numRuns: RUNS,
    interruptAfterTimeLimit: 90_000, // a failure's shrinking is bounded too; an interrupted run still reports
    markInterruptAsFailure: false,
  });
  if (!details.failed) return;
  const c = details.counterexample![0];
  const reply = await worker.request({ ...c.request, grad_output: null });
  const golden = {
    id: `${loss}/${c.request.dtype}/${c.request.kwargs.reduction}/regression-${details.seed}/1`,
    dtype: c.request.dtype,
    args: { input: c.request.input, target: c.request.target },
    kwargs: c.request.kwargs,
    output: reply.output ?? null,
    grad: null,
    error: reply.error ?? null,
    tags: ['regression'],
  };
  throw new Error(
    `live differential fuzzing failed (seed ${details.seed}, path ${details.counterexamplePath}, after ${details.numShrinks} shrinks): ${String(details.errorInstance)}\n` +
      `Add this case to test/regressions/torch-${worker.hello.torch}/${loss}.json (a golden file that the golden tests run):\n${JSON.stringify(golden)}`,
  );
}

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
    test(`${stem} agrees with torch on arbitrary cases`, () => fuzz(stem), 150_000);
  }

  test('a hung or crashed worker fails clearly instead of hanging the run', async () => {
    const doomed = await TorchWorker.start(interp);
    await expect(doomed.request({ loss: 'no_such_loss', dtype: 'float32', input: encode([1], [1]), target: encode([1], [1]), kwargs: {} })).rejects.toThrow(/torch worker failed on request/);
    await expect(doomed.request({ op: 'bench', loss: 'bce_with_logits', dtype: 'float32', numel: 4e6, classes: 100, threads: 1, repeats: 50, backward: true }, 5)).rejects.toThrow(/did not answer request \d+ within 5 ms; killed it/);
    await expect(doomed.request({ loss: 'bce_with_logits', dtype: 'float32', input: encode([1], [1]), target: encode([1], [1]), kwargs: {} })).rejects.toThrow(/torch worker exited/);
  });
}
