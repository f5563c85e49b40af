// Live differential fuzzing against a running torch (python/worker.py): fast-check draws arbitrary
// cases from each loss's registry domain, the port and torch compute, and the results must agree at
// the golden tolerance (torch.testing.assert_close's defaults). A failure is shrunk and handed back
// as a golden-format case for test/regressions/. Used by test/live-torch.test.ts and `fuzz`.

import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { compareTensor } from '../../ts/golden/compare.ts';
import { gradsByName, portOptions, toTensor } from '../../ts/golden/run.ts';
import { tensorValues, type CaseInputs, type CaseOutcome, type GoldenCase, type TensorJson } from '../../ts/golden/schema.ts';
import { LOSSES, type LossDomain, type LossEntry, type LossStem, type ValueKind } from '../../ts/losses/registry.ts';
import { LossArgumentError } from '../../ts/tensor.ts';
import {
  broadcastLayout,
  classLayout,
  dtype,
  logit,
  numel,
  posWeightValue,
  reduction,
  target,
  values,
  weightValue,
} from './arbitraries.ts';
import { progress } from './progress.ts';
import { WHOLE, describeShard, indexInShard, shardSize, type Shard } from './shard.ts';
import type { RunReply, RunRequest, TorchWorker, WorkerHello } from './torch-worker.ts';

/** The golden files' tolerance (torch.testing.assert_close's defaults). */
export const LIVE_TOLERANCE = { float32: { rtol: 1.3e-6, atol: 1e-5 }, float64: { rtol: 1e-7, atol: 1e-7 } } as const;

/** One drawn case: the worker request, and the first element of the gradient fed back. */
export interface LiveCase {
  request: RunRequest;
  go: number;
}

/** The port and torch disagree (outputs, gradients or errors). */
export class Disagreement extends Error {
  override name = 'Disagreement';
}

/** The worker crashed, hung or failed on a request: a harness problem, not a verdict on the port. */
export class WorkerFailure extends Error {
  override name = 'WorkerFailure';
}

/** A drawn tensor in golden format: readable numbers, or (holding a -0, which JSON writes as 0) its little-endian bytes. */
export function encode(data: number[], shape: number[], dtype: TensorJson['dtype']): TensorJson {
  if ((dtype === 'float32' || dtype === 'float64') && data.some((v) => Object.is(v, -0))) {
    const width = dtype === 'float32' ? 4 : 8;
    const view = new DataView(new ArrayBuffer(data.length * width));
    data.forEach((v, i) => (width === 4 ? view.setFloat32(i * width, v, true) : view.setFloat64(i * width, v, true)));
    return { shape, dtype, base64: Buffer.from(view.buffer).toString('base64') };
  }
  return {
    shape,
    dtype,
    data: data.map((v) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v)),
  };
}

/** Arbitrary values of one kind, now and then outside what torch accepts (so errors are compared too). */
function domainValue(kind: ValueKind | 'labels', d: 'float32' | 'float64', asTarget = false): fc.Arbitrary<number> {
  // Infinite targets are left out: no loss defines them, and against an exp result in the
  // subnormal range they turn SLEEF's and V8's last-bit difference into NaN vs inf (see README).
  const invalid = asTarget ? fc.constantFrom(NaN, 1.5, -0.25) : fc.constantFrom(NaN, Infinity, -Infinity, 1.5, -0.25);
  switch (kind) {
    case 'logit':
      return fc.oneof({ weight: 20, arbitrary: logit(d) }, { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity) });
    case 'real':
      return fc.oneof({ weight: 20, arbitrary: logit(d, 1e6) }, { weight: 1, arbitrary: fc.constantFrom(NaN, 0, -0) });
    case 'positive':
      return fc.oneof(
        { weight: 20, arbitrary: fc.double({ min: 1e-3, max: 100, noNaN: true }) },
        { weight: 2, arbitrary: fc.constantFrom(1e-45, 1e-8, 1e-6, 1, 1e6) },
        { weight: 1, arbitrary: fc.constantFrom(0, -1, NaN) },
      );
    case 'count':
      return fc.oneof(
        { weight: 20, arbitrary: fc.integer({ min: 0, max: 50 }) },
        { weight: 4, arbitrary: fc.double({ min: 0, max: 50, noNaN: true }) },
        { weight: 1, arbitrary: fc.constantFrom(1e6, -1, NaN) },
      );
    case 'probability':
      return fc.oneof(
        { weight: 30, arbitrary: target },
        { weight: 4, arbitrary: fc.constantFrom(0, 1, 1e-45, 1e-40, 5e-324, 1 - 2 ** -24, 1 - 2 ** -53) },
        { weight: 1, arbitrary: invalid },
      );
    case 'sign':
      return fc.oneof(
        { weight: 20, arbitrary: fc.constantFrom(-1, 1) },
        { weight: 2, arbitrary: target },
        { weight: 1, arbitrary: invalid },
      );
    case 'labels':
      return fc.integer({ min: -1, max: 5 });
  }
}

/** The target's shape and values for an input of shape `s`: like the input, broadcast, or one class index per sample. */
function targetArb(
  domain: LossDomain & { target: NonNullable<LossDomain['target']> },
  d: 'float32' | 'float64',
  s: number[],
): fc.Arbitrary<TensorJson> {
  const classes = s.length ? s[s.length === 1 ? 0 : 1]! : 1;
  if (domain.layout === 'vectors') {
    // One value per vector: (N) for (N, D), 0-d for an unbatched (D).
    const ts = s.slice(0, -1);
    return values(numel(ts), domainValue(domain.target as ValueKind, d, true)).map((v) => encode(v, ts, d));
  }
  if (domain.target === 'classes') {
    // (C) -> a 0-d target; (N, C, d1, ...) -> (N, d1, ...); now and then ignore_index's default or out of range.
    const ts = s.length <= 1 ? [] : [s[0]!, ...s.slice(2)];
    const index = fc.oneof(
      { weight: 30, arbitrary: fc.integer({ min: 0, max: Math.max(0, classes - 1) }) },
      { weight: 2, arbitrary: fc.constant(-100) },
      { weight: 1, arbitrary: fc.constantFrom(-1, classes) },
    );
    return values(numel(ts), index).map((v) => encode(v, ts, 'int64'));
  }
  const lastClasses = s.length ? s[s.length - 1]! : 1;
  const label =
    domain.target === 'labels'
      ? fc.oneof(
          { weight: 30, arbitrary: fc.integer({ min: -1, max: Math.max(0, lastClasses - 1) }) },
          { weight: 1, arbitrary: fc.constantFrom(-2, lastClasses) },
        )
      : domainValue(domain.target, d, true);
  const shapeArb = domain.targetBroadcasts
    ? fc.oneof({ weight: 3, arbitrary: fc.constant(s) }, { weight: 1, arbitrary: classLayout(s) })
    : fc.constant(s);
  return shapeArb.chain((ts) => values(numel(ts), label).map((v) => encode(v, ts, domain.target === 'labels' ? 'int64' : d)));
}

/**
 * What torch accepts beyond a loss's registry domain, drawn now and then (as a holdout of torch's
 * cases would): `inputBroadcasts` the input smaller than the target (its gradient summed back);
 * `mixedDtypes` a target or extra argument of the other float dtype (each op promotes its own
 * operands; every gradient in its argument's dtype); `elementWeight` weight of the input's shape
 * (torch >= 2.6; a TypeError before); `probabilityTargets` class probabilities shaped like the
 * input (torch >= 1.10); `varForms` gaussian_nll_loss's var shaped like the input, one dim fewer,
 * a last dim of 1, one other dim of 1 (torch >= 2.7), or broadcast (mostly errors).
 * In the 'vectors' layout (the triplet losses, cosine_embedding_loss) every argument takes either dtype
 * on its own, and a target now and then int64 (its drawn values truncated).
 */
export const DRAWN_EXTRAS: Partial<
  Record<
    LossStem,
    { inputBroadcasts?: boolean; mixedDtypes?: boolean; elementWeight?: boolean; probabilityTargets?: boolean; varForms?: boolean }
  >
> = {
  binary_cross_entropy_with_logits: { mixedDtypes: true },
  multilabel_soft_margin_loss: { mixedDtypes: true },
  binary_cross_entropy: { mixedDtypes: true },
  soft_margin_loss: { mixedDtypes: true },
  multi_margin_loss: { mixedDtypes: true },
  nll_loss: { mixedDtypes: true },
  cross_entropy: { probabilityTargets: true, mixedDtypes: true },
  mse_loss: { inputBroadcasts: true, mixedDtypes: true, elementWeight: true },
  l1_loss: { inputBroadcasts: true, mixedDtypes: true, elementWeight: true },
  huber_loss: { inputBroadcasts: true, mixedDtypes: true, elementWeight: true },
  smooth_l1_loss: { inputBroadcasts: true, mixedDtypes: true },
  kl_div: { inputBroadcasts: true, mixedDtypes: true },
  poisson_nll_loss: { inputBroadcasts: true, mixedDtypes: true },
  gaussian_nll_loss: { mixedDtypes: true, varForms: true },
  hinge_embedding_loss: { inputBroadcasts: true, mixedDtypes: true },
  margin_ranking_loss: { mixedDtypes: true },
  triplet_margin_loss: { mixedDtypes: true },
  triplet_margin_with_distance_loss: { mixedDtypes: true },
  cosine_embedding_loss: { mixedDtypes: true },
};

/** `arb` one time in `n`, else null (shrinking toward null). */
const oneIn = <T>(n: number, arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: n - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });

const otherDtype = (d: 'float32' | 'float64') => (d === 'float32' ? 'float64' : 'float32');

/** gaussian_nll_loss's var shapes for an input of shape `s` (see DRAWN_EXTRAS). */
function varShape(s: number[]): fc.Arbitrary<number[]> {
  const forms: fc.Arbitrary<number[]>[] = [fc.constant(s)];
  if (s.length) {
    forms.push(fc.constant(s.slice(0, -1)), fc.constant([...s.slice(0, -1), 1]));
    forms.push(fc.integer({ min: 0, max: s.length - 1 }).map((i) => s.map((x, j) => (j === i ? 1 : x))));
  }
  return fc.oneof({ weight: 4 * forms.length, arbitrary: fc.constant(s) }, ...forms, broadcastLayout(s));
}

/** Arbitrary live cases for any registered loss, drawn from its registry domain: shapes (some empty),
 *  every option it has, extremes, non-finite and out-of-domain values, and its DRAWN_EXTRAS. */
export function liveCase(stem: LossStem): fc.Arbitrary<LiveCase> {
  const entry: LossEntry = LOSSES[stem];
  const domain: LossDomain = entry.domain;
  if (domain.layout === 'ctc') return ctcCase(stem, domain);
  // Mostly small shapes; sometimes rows long enough for ATen's vectorized, cascaded float sums.
  const vectors = fc.oneof(
    { weight: 4, arbitrary: fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 6 })).map(([n, dd]) => [n, dd]) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 6 }).map((dd) => [dd]) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 7, max: 90 })).map(([n, dd]) => [n, dd]) },
  );
  const elementwise = fc.oneof(
    { weight: 4, arbitrary: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: domain.minRank, maxLength: domain.maxRank }) },
    {
      weight: 1,
      arbitrary: fc.array(fc.integer({ min: 1, max: 90 }), {
        minLength: Math.max(1, domain.minRank),
        maxLength: Math.min(2, domain.maxRank),
      }),
    },
  );
  const shapeArb = domain.layout === 'vectors' ? vectors : elementwise;
  const extras = DRAWN_EXTRAS[stem] ?? {};
  const [first, ...rest] = entry.args;
  const extraNames = rest.filter((name) => name !== 'target');
  const optionLayout = (s: number[], values: fc.Arbitrary<number>) =>
    fc.option(
      classLayout(s).chain((ws) => fc.tuple(fc.constant(ws), fc.array(values, { minLength: numel(ws), maxLength: numel(ws) }))),
      { nil: null },
    );
  // A per-class weight is (C,) for the class-index losses, else any layout that broadcasts to the input.
  const classWeight = (s: number[], values: fc.Arbitrary<number>) =>
    domain.target === 'classes'
      ? fc.option(
          fc
            .array(values, { minLength: s.length ? s[s.length === 1 ? 0 : 1]! : 1, maxLength: s.length ? s[s.length === 1 ? 0 : 1]! : 1 })
            .map((v) => [[v.length], v] as [number[], number[]]),
          { nil: null },
        )
      : optionLayout(s, values);
  const reductionArb = domain.reductions ? fc.constantFrom(...domain.reductions) : reduction;
  const scalarKwargs = fc.record(
    Object.fromEntries(Object.entries(domain.kwargs ?? {}).map(([name, vs]) => [name, fc.constantFrom(...vs)])),
  );
  // The input's shape: the drawn one, or (inputBroadcasts) one that broadcasts to it.
  const inputShape = (s: number[]) =>
    extras.inputBroadcasts
      ? fc.oneof({ weight: 6, arbitrary: fc.constant(s) }, { weight: 1, arbitrary: broadcastLayout(s) })
      : fc.constant(s);
  const now = (weight: number) =>
    fc.oneof({ weight: weight - 1, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });
  return fc
    .tuple(dtype, shapeArb)
    .chain(([d, s]) => inputShape(s).map((is) => [d, s, is] as const))
    .chain(([d, s, is]) =>
      fc.record({
        d: fc.constant(d),
        s: fc.constant(s),
        is: fc.constant(is),
        x: values(numel(is), domainValue(domain.input, d)),
        t: domain.target === null ? fc.constant(null) : targetArb({ ...domain, target: domain.target }, d, s),
        // Class probabilities shaped like the input instead of class indices.
        probabilities: extras.probabilityTargets ? oneIn(4, values(numel(is), domainValue('probability', d, true))) : fc.constant(null),
        // The other tensor arguments, shaped like the first (var: one of its forms): of their extraArgs kind, else of its kind.
        extra: fc.record(
          Object.fromEntries(
            extraNames.map((name) => [
              name,
              (extras.varForms && name === 'var' ? varShape(is) : fc.constant(is)).chain((es) =>
                values(numel(es), domainValue(domain.extraArgs?.[name] ?? domain.input, d)).map((v) => [es, v] as const),
              ),
            ]),
          ),
        ),
        options: fc.record(
          Object.fromEntries(
            domain.tensorKwargs.map((name) => [name, classWeight(s, name === 'pos_weight' ? posWeightValue : weightValue)]),
          ),
        ),
        elementWeight: extras.elementWeight
          ? oneIn(
              5,
              fc
                .oneof({ weight: 9, arbitrary: fc.constant(is) }, { weight: 1, arbitrary: broadcastLayout(is) })
                .chain((ws) => values(numel(ws), weightValue).map((v) => [ws, v] as const)),
            )
          : fc.constant(null),
        // Which tensors take the other float dtype.
        // (vectors layout with a target: now and then an int64 target, its values truncated)
        mixed: extras.mixedDtypes
          ? fc.record({
              target: now(12),
              ...Object.fromEntries(extraNames.map((name) => [name, now(12)])),
              weight: now(8),
              ...Object.fromEntries(domain.tensorKwargs.map((name) => [name, now(8)])),
              ...(domain.layout === 'vectors' && domain.target !== null ? { intTarget: now(12) } : {}),
            })
          : fc.constant({} as Record<string, boolean>),
        scalars: scalarKwargs,
        reduction: reductionArb,
        go: fc.double({ min: -3, max: 3, noNaN: true }),
      }),
    )
    .filter((k) => !(domain.emptyBatchReductionUndefined && k.reduction !== 'none' && numel(k.s) === 0 && k.s.length === 2))
    .map((k) => {
      const dtypeOf = (name: string) => ((k.mixed as Record<string, boolean>)[name] ? otherDtype(k.d) : k.d);
      const intTarget = (k.mixed as Record<string, boolean>).intTarget === true;
      const targetJson =
        k.probabilities !== null
          ? encode(k.probabilities, k.is, dtypeOf('target'))
          : k.t !== null && k.t.dtype !== 'int64'
            ? intTarget
              ? encode(
                  Array.from(tensorValues(k.t), (v) => (Number.isFinite(v) ? Math.trunc(v) || 0 : 0)),
                  k.t.shape,
                  'int64',
                )
              : encode(Array.from(tensorValues(k.t)), k.t.shape, dtypeOf('target'))
            : k.t;
      return {
        request: {
          loss: stem,
          dtype: k.d,
          args: {
            [first!]: encode(k.x, k.is, k.d),
            ...(targetJson === null ? {} : { target: targetJson }),
            ...Object.fromEntries(Object.entries(k.extra).map(([name, [es, v]]) => [name, encode(v, [...es], dtypeOf(name))])),
          },
          kwargs: {
            reduction: k.reduction,
            ...Object.fromEntries(Object.entries(k.options).map(([name, o]) => [name, o ? encode(o[1], o[0], dtypeOf(name)) : null])),
            ...(k.elementWeight ? { weight: encode(k.elementWeight[1], [...k.elementWeight[0]], dtypeOf('weight')) } : {}),
            ...k.scalars,
          },
        },
        go: k.go,
      };
    });
}

/**
 * CTC's arguments (domain layout 'ctc'): log-probabilities (T, N, C), or unbatched (T, C), as
 * log_softmax of drawn logits (now and then raw values, or -inf entries); targets padded (N, S) or
 * concatenated (sum of the target lengths); input lengths (1 to T) and target lengths (0 to S), int64,
 * now and then beyond T or S (torch's errors), or too short for an alignment (an infinite loss,
 * zero_infinity's case).
 */
function ctcCase(stem: LossStem, domain: LossDomain): fc.Arbitrary<LiveCase> {
  const small = fc.record({
    t: fc.integer({ min: 1, max: 12 }),
    n: fc.integer({ min: 0, max: 4 }),
    c: fc.integer({ min: 2, max: 6 }),
    s: fc.integer({ min: 0, max: 6 }),
    unbatched: fc.boolean(),
    concatenated: fc.boolean(),
  });
  // Now and then up to the benchmark's size (T 50, N 16, C 20, S 10) and beyond: long bands of states.
  const large = fc.record({
    t: fc.integer({ min: 13, max: 60 }),
    n: fc.integer({ min: 1, max: 16 }),
    c: fc.integer({ min: 2, max: 24 }),
    s: fc.integer({ min: 4, max: 24 }),
    unbatched: fc.boolean(),
    concatenated: fc.boolean(),
  });
  const sizes = fc.oneof({ weight: 5, arbitrary: small }, { weight: 1, arbitrary: large });
  const reductionArb = domain.reductions ? fc.constantFrom(...domain.reductions) : reduction;
  return fc
    .tuple(dtype, sizes)
    .chain(([d, z]) => {
      const n = z.unbatched ? 1 : z.n;
      const logit = fc.oneof(
        { weight: 30, arbitrary: fc.double({ min: -8, max: 8, noNaN: true }) },
        { weight: 1, arbitrary: fc.constantFrom(-Infinity, -1e30, 40) },
      );
      // Beyond T or S now and then (torch's errors); never an input length below 1 or a negative
      // length: torch before 2.1 reads memory it never wrote there (or aborts: free(): invalid pointer).
      const length = (min: number, max: number) =>
        fc.oneof({ weight: 12, arbitrary: fc.integer({ min: Math.min(min, max), max }) }, { weight: 1, arbitrary: fc.constant(max + 1) });
      return fc.record({
        d: fc.constant(d),
        z: fc.constant({ ...z, n }),
        logits: values(z.t * n * z.c, logit),
        normalized: fc.oneof({ weight: 6, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
        blank: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: z.c }) }),
        labels: values(n * z.s, fc.integer({ min: 0, max: z.c - 1 })),
        inputLengths: values(n, length(1, z.t)),
        targetLengths: values(n, length(0, z.s)),
        reduction: reductionArb,
        zeroInfinity: fc.boolean(),
        go: fc.double({ min: -3, max: 3, noNaN: true }),
      });
    })
    .map((k) => {
      const { t, n, c, s, unbatched, concatenated } = k.z;
      const lp = [...k.logits];
      if (k.normalized) {
        // log_softmax over the classes, in double (the worker rounds to the dtype)
        for (let row = 0; row < t * n; row++) {
          const v = lp.slice(row * c, row * c + c);
          const max = Math.max(...v);
          const lse = Number.isFinite(max) ? max + Math.log(v.reduce((a, x) => a + Math.exp(x - max), 0)) : max;
          for (let j = 0; j < c; j++) lp[row * c + j] = v[j]! - lse;
        }
      }
      const targetLengths = k.targetLengths.map((l) => Math.min(l, s + 1));
      // A sample's labels; concatenated targets hold each sample's first target_length of them.
      const labelsOf = (i: number) => k.labels.slice(i * s, i * s + Math.max(0, Math.min(s, targetLengths[i]!)));
      const targets = unbatched
        ? encode(labelsOf(0), [labelsOf(0).length], 'int64')
        : concatenated
          ? encode(
              Array.from({ length: n }, (_, i) => labelsOf(i)).flat(),
              [Array.from({ length: n }, (_, i) => labelsOf(i).length).reduce((a, b) => a + b, 0)],
              'int64',
            )
          : encode(k.labels, [n, s], 'int64');
      return {
        request: {
          loss: stem,
          dtype: k.d,
          args: {
            log_probs: encode(lp, unbatched ? [t, c] : [t, n, c], k.d),
            targets,
            input_lengths: encode(k.inputLengths, unbatched ? [] : [n], 'int64'),
            target_lengths: encode(targetLengths, unbatched ? [] : [n], 'int64'),
          },
          kwargs: { blank: k.blank, reduction: k.reduction, zero_infinity: k.zeroInfinity },
        },
        go: k.go,
      };
    });
}

/** A short, stable name for a drawn case (to tell shards' cases apart and match them up). */
export const caseKey = (c: LiveCase) => createHash('sha1').update(JSON.stringify(c)).digest('hex').slice(0, 12);

/** The gradient fed back: shaped like the output, go, go + 0.125, go + 0.25, ... */
const gradOutputFor = (output: TensorJson, go: number) =>
  encode(
    Array.from({ length: numel(output.shape) }, (_, i) => go + 0.125 * i),
    output.shape,
    output.dtype,
  );

async function ask(worker: TorchWorker, request: RunRequest): Promise<RunReply> {
  try {
    return await worker.request(request);
  } catch (e) {
    throw new WorkerFailure((e as Error).message);
  }
}

/** The port's output and gradients for a request, or the Python exception type its forward's or backward's error maps to. */
function runPort(loss: LossStem, req: RunRequest, gradOutput: TensorJson | null, hello: WorkerHello) {
  const entry: LossEntry = LOSSES[loss];
  const opts = portOptions(req.kwargs, hello.torch, hello.cpu_capability, entry);
  const args = entry.args.map((name) => toTensor(req.args[name]!));
  const attempt = <T>(run: () => T): { value: T | null; error: string | null } => {
    try {
      return { value: run(), error: null };
    } catch (e) {
      if (!(e instanceof LossArgumentError)) throw e; // a bug in the port: fails the case as it is
      return { value: null, error: e.torchErrorType };
    }
  };
  const forward = attempt(() => entry.forward(...args, opts));
  if (forward.error || !gradOutput) return { output: forward.value, grads: null, error: forward.error, gradError: null };
  const backward = attempt(() => gradsByName(entry, entry.backward(toTensor(gradOutput), ...args, opts)));
  return { output: forward.value, grads: backward.value, error: null, gradError: backward.error };
}

/** Runs one case through torch and the port; throws Disagreement when they differ. */
export async function compareWithTorch(worker: TorchWorker, loss: LossStem, c: LiveCase): Promise<void> {
  const forward = await ask(worker, c.request);
  if (forward.error) {
    const port = runPort(loss, c.request, null, worker.hello);
    if (port.error !== forward.error.type) {
      throw new Disagreement(
        `torch raised ${forward.error.type} (${forward.error.message}); the port ${port.error ? `raised ${port.error}` : 'returned a result'}`,
      );
    }
    return;
  }
  const gradOutput = gradOutputFor(forward.output!, c.go);
  const reply = await ask(worker, { ...c.request, grad_output: gradOutput });
  const port = runPort(loss, c.request, gradOutput, worker.hello);
  if (port.error) throw new Disagreement(`the port raised ${port.error}; torch did not`);
  const tol = LIVE_TOLERANCE[c.request.dtype];
  const o = compareTensor(port.output!, reply.output!, tol, c.request.dtype);
  if (!o.ok) throw new Disagreement(`output: ${o.message}`);
  // A backward torch rejects (mse_loss's with an int64 target before 2.12) must be rejected alike.
  if (reply.grad_error || port.gradError) {
    if (port.gradError !== (reply.grad_error?.type ?? null)) {
      throw new Disagreement(
        reply.grad_error
          ? `torch's backward raised ${reply.grad_error.type} (${reply.grad_error.message}); the port's ${port.gradError ? `raised ${port.gradError}` : 'returned gradients'}`
          : `the port's backward raised ${port.gradError}; torch's did not`,
      );
    }
    return;
  }
  for (const [name, want] of Object.entries(reply.grads ?? {})) {
    const got = port.grads![name];
    if (!got) throw new Disagreement(`grad ${name}: the port returned none`);
    const g = compareTensor(got, want, tol, c.request.dtype);
    if (!g.ok) throw new Disagreement(`grad ${name}: ${g.message}`);
  }
}

/** A drawn case that agreed (run: its position among the property's runs). */
export interface FuzzedCase {
  loss: LossStem;
  run: number;
  key: string;
}

export interface FuzzFailure {
  loss: LossStem;
  seed: number;
  /** The run whose case failed first, before shrinking. */
  run: number;
  shrinks: number;
  /** fast-check's counterexample path (replays the failure with the seed). */
  path: string;
  message: string;
  /** The shrunk case as torch computes it, in golden format. */
  golden: GoldenCase;
  /** Where the case belongs in this repository. */
  regressionFile: string;
}

export interface FuzzResult {
  loss: LossStem;
  seed: number;
  runs: number;
  /** The cases of this shard that agreed, in order (until the first failure). */
  cases: FuzzedCase[];
  /** The time limit stopped the runs before all were drawn. */
  interrupted: boolean;
  failure: FuzzFailure | null;
}

export interface FuzzOptions {
  /** Runs of the property (cases drawn) for this loss, across all shards. */
  runs: number;
  /** fast-check's seed; every shard of one run needs the same. Default: fast-check picks one. */
  seed?: number;
  /** The runs (by position) this process compares; the others pass without work. */
  shard?: Shard;
  /** Stops drawing after this long (an interrupted run still reports its failure, if any). */
  timeLimitMs?: number;
  /** Called after each case of this shard that agreed. */
  onCase?: (c: FuzzedCase) => void;
}

/** Fuzzes one loss against the worker's torch; a disagreement comes back shrunk, in golden format. */
export async function fuzzLoss(worker: TorchWorker, loss: LossStem, options: FuzzOptions): Promise<FuzzResult> {
  const shard = options.shard ?? WHOLE;
  const cases: FuzzedCase[] = [];
  let position = 0;
  let failedRun = -1;
  const broken: { by: WorkerFailure | null } = { by: null }; // set inside the property
  // Positions count the initial runs only: once a case fails, every later call is a shrink of it
  // and is compared whatever the shard. After a worker failure everything passes at once, so
  // fast-check stops instead of shrinking against a dead worker.
  const property = fc.asyncProperty(liveCase(loss), async (c) => {
    if (broken.by) return true;
    const run = failedRun < 0 ? position++ : -1;
    if (run >= 0 && !indexInShard(run, shard)) return true;
    try {
      await compareWithTorch(worker, loss, c);
    } catch (e) {
      if (e instanceof WorkerFailure) {
        broken.by = e;
        return true;
      }
      if (run >= 0) failedRun = run;
      throw e;
    }
    if (run >= 0) {
      const done = { loss, run, key: caseKey(c) };
      cases.push(done);
      options.onCase?.(done);
    }
    return true;
  });
  const details = await fc.check(property, {
    numRuns: options.runs,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.timeLimitMs === undefined ? {} : { interruptAfterTimeLimit: options.timeLimitMs, markInterruptAsFailure: false }),
  });
  if (broken.by) throw new WorkerFailure(`the torch worker failed while fuzzing ${loss}: ${broken.by.message}`);
  const result: FuzzResult = { loss, seed: details.seed, runs: options.runs, cases, interrupted: details.interrupted, failure: null };
  if (!details.failed) return result;
  const c = details.counterexample![0];
  result.failure = {
    loss,
    seed: details.seed,
    run: failedRun,
    shrinks: details.numShrinks,
    path: details.counterexamplePath ?? '',
    message: details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance),
    golden: await goldenCase(worker, loss, c, `regression-${details.seed}`),
    regressionFile: `test/regressions/torch-${worker.hello.torch}/${loss}.json`,
  };
  return result;
}

/** A case as torch computes it, in golden format: its output and gradient, or its error. */
async function goldenCase(worker: TorchWorker, loss: LossStem, c: LiveCase, name: string): Promise<GoldenCase> {
  const { request } = c;
  const base = {
    id: `${loss}/${request.dtype}/${String(request.kwargs.reduction)}/${name}`,
    dtype: request.dtype,
    args: request.args,
    kwargs: request.kwargs,
    tags: ['regression'],
  };
  const recorded = (r: RunReply) => ({ output: r.output, grads: r.grads, error: r.error, grad_error: r.grad_error, warnings: r.warnings });
  const forward = await ask(worker, { ...request, grad_output: null });
  if (forward.error) return { ...base, ...recorded(forward), grad_output: null };
  const gradOutput = gradOutputFor(forward.output!, c.go);
  const reply = await ask(worker, { ...request, grad_output: gradOutput });
  return { ...base, ...recorded(reply), grad_output: gradOutput };
}

/** test/regressions/torch-<v>/<stem>.json -> test/regressions/cases/<stem>.json. */
function casesFileFor(resultsFile: string): string {
  return resultsFile.replace(/\/torch-[^/]+\/([^/]+)$/, '/cases/$1');
}

/** A joined case's line of a cases file (golden format 3). */
function caseInputsOf(c: GoldenCase): CaseInputs {
  return {
    id: c.id,
    dtype: c.dtype,
    args: c.args,
    kwargs: c.kwargs,
    tags: c.tags,
    error_regex: c.error?.regex ?? c.grad_error?.regex ?? null,
  };
}

/** A joined case's line of a results file (golden format 3). */
function caseOutcomeOf(c: GoldenCase): CaseOutcome {
  return {
    id: c.id,
    output: c.output,
    grad_output: c.grad_output,
    grads: c.grads,
    error: c.error,
    grad_error: c.grad_error,
    warnings: c.warnings,
  };
}

/** A failure as the live test and the CLI print it: what differed, how to replay it, the case. */
export function describeFailure(f: FuzzFailure): string {
  return (
    `FAIL ${f.loss}: ${f.message}\n` +
    `  (seed ${f.seed}, run ${f.run}, path ${f.path}, after ${f.shrinks} shrinks; replay: fuzz --loss ${f.loss} --seed ${f.seed} --runs ${f.run + 1})\n` +
    `Add this case to the regression goldens that the golden tests run (golden format 3): its inputs as a line of ${casesFileFor(f.regressionFile)}:\n` +
    `${JSON.stringify(caseInputsOf(f.golden))}\n` +
    `and its results as the line at the same place in ${f.regressionFile}, whose cases_sha256 is then the sha256sum of the cases file:\n` +
    `${JSON.stringify(caseOutcomeOf(f.golden))}`
  );
}

export interface FuzzCommandOptions {
  losses: LossStem[];
  runs: number;
  seed: number;
  shard: Shard;
  json: boolean;
}

/** `torch-loss-parity fuzz`: every selected loss against the worker's torch; 1 on any disagreement.
 *  Its --json output is described in scripts/cli.ts (FUZZ_JSON): keep the two in step. */
export async function runFuzz(worker: TorchWorker, options: FuzzCommandOptions, log: (line: string) => void): Promise<number> {
  const started = performance.now();
  const { hello } = worker;
  const against = `torch ${hello.torch} (Python ${hello.python}, CPU capability ${hello.cpu_capability})`;
  const shard = options.shard.count > 1 ? `, shard ${describeShard(options.shard)}` : '';
  log(`fuzz: ${options.losses.join(', ')} against ${against}, ${options.runs} runs per loss, seed ${options.seed}${shard}`);
  const status = progress('fuzz', shardSize(options.runs, options.shard) * options.losses.length);
  const results: FuzzResult[] = [];
  try {
    for (const loss of options.losses) {
      const result = await fuzzLoss(worker, loss, {
        runs: options.runs,
        seed: options.seed,
        shard: options.shard,
        onCase: () => status.tick(loss),
      });
      results.push(result);
      if (!options.json)
        status.log(`${loss}: ${result.cases.length} cases agree${result.failure ? ', then one disagrees' : ''}`, process.stdout);
    }
  } finally {
    status.done();
  }
  const failures = results.flatMap((r) => (r.failure ? [r.failure] : []));
  const agreed = results.reduce((n, r) => n + r.cases.length, 0);
  const seconds = (performance.now() - started) / 1000;
  if (options.json) {
    const report = {
      torch: { torch: hello.torch, python: hello.python, cpu_capability: hello.cpu_capability, threads: hello.threads },
      seed: options.seed,
      runs: options.runs,
      shard: describeShard(options.shard),
      agreed,
      failed: failures.length,
      seconds,
      losses: results.map((r) => ({ loss: r.loss, agreed: r.cases.length, interrupted: r.interrupted, failed: r.failure !== null })),
      cases: results.flatMap((r) => r.cases),
      failures,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    for (const f of failures) process.stdout.write(`\n${describeFailure(f)}\n`);
    process.stdout.write(
      `${agreed} cases agree, ${failures.length} of ${results.length} losses disagree (${against}, seed ${options.seed}${shard}, ${seconds.toFixed(1)} s)\n`,
    );
  }
  return failures.length > 0 ? 1 : 0;
}
