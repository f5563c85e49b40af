// useThreads: the float32 and float64 kernels' elementwise work split across worker threads gives
// the same bits as one thread (outputs and gradients, every reduction, chunk boundaries that do not
// divide the input), the pool never keeps a process alive, and bad arguments are refused.

import { execFileSync } from 'node:child_process';
import { afterAll, expect, test } from 'vitest';
import {
  binaryCrossEntropy,
  binaryCrossEntropyBackward,
  binaryCrossEntropyWithLogits,
  binaryCrossEntropyWithLogitsBackward,
  crossEntropyLoss,
  crossEntropyLossBackward,
  gaussianNllLoss,
  gaussianNllLossBackward,
  huberLoss,
  huberLossBackward,
  klDivLoss,
  klDivLossBackward,
  mseLoss,
  mseLossBackward,
  poissonNllLoss,
  poissonNllLossBackward,
  smoothL1Loss,
  smoothL1LossBackward,
  softMarginLoss,
  softMarginLossBackward,
  tensor,
  useThreads,
  type Tensor,
} from '../ts/index.ts';
import { PARK_MS, SplitTuner, splitTuner, THREADS_FROM, threadPool } from '../ts/wasm/threads.ts';

// every call of at least THREADS_FROM elements split, whatever the tuner would find faster
splitTuner.force = 'split';
afterAll(() => {
  useThreads(1);
  splitTuner.force = null;
});

let seed = 12345;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
/** THREADS_FROM * 3 + 4099 elements (not a multiple of the chunk), 101 columns, extremes and non-finite values among them. */
const n = THREADS_FROM * 3 + 4099 - ((THREADS_FROM * 3 + 4099) % 101);
const shape = [n / 101, 101];
const floats = (f: () => number): Tensor => {
  const data = Float32Array.from({ length: n }, f);
  for (const [i, v] of [
    [5, Number.NaN],
    [n - 1, Number.POSITIVE_INFINITY],
    [n >> 1, -1e30],
    [(n >> 1) + 1, 88.7],
  ] as const)
    data[i] = v;
  return { data, shape };
};
const float32Inputs = {
  logits: floats(() => (random() - 0.5) * 40),
  labels: { data: Float32Array.from({ length: n }, () => (random() < 0.5 ? 0 : 1)), shape } as Tensor,
  probabilities: { data: Float32Array.from({ length: n }, () => random()), shape } as Tensor,
  positive: { data: Float32Array.from({ length: n }, () => random() * 3 + 1e-3), shape } as Tensor,
  weight: { data: Float32Array.from({ length: 101 }, () => random() + 0.5), shape: [101] } as Tensor,
};
type Inputs = typeof float32Inputs & { signs: Tensor; one: (v: number) => Tensor };
const withSigns = (i: typeof float32Inputs, one: (v: number) => Tensor): Inputs => ({
  ...i,
  signs: { data: i.labels.data.map((v) => v * 2 - 1), shape },
  one,
});
/** The same values in each dtype (the float64 kernels split as the float32 ones). */
const inputsOf: Record<'float32' | 'float64', Inputs> = {
  float32: withSigns(float32Inputs, (v) => ({ data: new Float32Array([v]), shape: [] })),
  float64: withSigns(
    Object.fromEntries(
      Object.entries(float32Inputs).map(([k, t]) => [k, { data: Float64Array.from(t.data), shape: t.shape }]),
    ) as typeof float32Inputs,
    (v) => ({ data: new Float64Array([v]), shape: [] }),
  ),
};

type Reduction = 'none' | 'mean' | 'sum';
const cases: [string, (reduction: Reduction, i: Inputs) => Tensor[]][] = [
  [
    'binary_cross_entropy_with_logits (weight, pos_weight)',
    (reduction, { logits, probabilities, weight, one }) => {
      const o = { reduction, weight, posWeight: weight };
      const g = reduction === 'none' ? probabilities : one(0.5);
      return [binaryCrossEntropyWithLogits(logits, probabilities, o), binaryCrossEntropyWithLogitsBackward(g, logits, probabilities, o)];
    },
  ],
  [
    'binary_cross_entropy',
    (reduction, { probabilities, labels, positive, one }) => [
      binaryCrossEntropy(probabilities, labels, { reduction }),
      binaryCrossEntropyBackward(reduction === 'none' ? positive : one(2), probabilities, labels, { reduction }),
    ],
  ],
  [
    'soft_margin_loss',
    (reduction, { logits, signs, probabilities, one }) => [
      softMarginLoss(logits, signs, { reduction }),
      softMarginLossBackward(reduction === 'none' ? probabilities : one(1), logits, signs, { reduction }),
    ],
  ],
  [
    'mse_loss',
    (reduction, { logits, probabilities, positive, one }) => [
      mseLoss(logits, probabilities, { reduction }),
      mseLossBackward(reduction === 'none' ? positive : one(1), logits, probabilities, { reduction }),
    ],
  ],
  [
    'smooth_l1_loss, huber_loss',
    (reduction, { logits, probabilities, positive, one }) => [
      smoothL1Loss(logits, probabilities, { reduction, beta: 0.7 }),
      smoothL1LossBackward(reduction === 'none' ? positive : one(1), logits, probabilities, { reduction, beta: 0.7 }),
      huberLoss(logits, probabilities, { reduction, delta: 1.3 }),
      huberLossBackward(reduction === 'none' ? positive : one(1), logits, probabilities, { reduction, delta: 1.3 }),
    ],
  ],
  [
    'kl_div, poisson_nll_loss, gaussian_nll_loss',
    (reduction, { logits, probabilities, positive, one }) => {
      const g = reduction === 'none' ? probabilities : one(1);
      const gaussian = gaussianNllLossBackward(g, logits, probabilities, positive, { reduction });
      return [
        klDivLoss(logits, probabilities, { reduction, logTarget: false }),
        klDivLossBackward(g, logits, probabilities, { reduction, logTarget: false }),
        poissonNllLoss(logits, positive, { reduction }),
        poissonNllLossBackward(g, logits, positive, { reduction }),
        gaussianNllLoss(logits, probabilities, positive, { reduction }),
        gaussian.input,
        gaussian.var,
      ];
    },
  ],
];

/** The cases whose every kernel is in ONE_THREAD_OPS. */
const stayOnOneThread = new Set(['mse_loss', 'smooth_l1_loss, huber_loss']);

/** Each result's bits (float64 results as two 32-bit words per value). */
const bits = (ts: Tensor[]) =>
  ts.map((t) => Array.from(new Uint32Array((t.data instanceof Float64Array ? t.data.slice() : Float32Array.from(t.data)).buffer)));

for (const [name, run] of cases)
  for (const dtype of ['float32', 'float64'] as const) {
    test(`${name}, ${dtype}: 2 threads give the bits of 1 (every reduction)`, () => {
      for (const reduction of ['none', 'mean', 'sum'] as const) {
        expect(useThreads(1)).toBe(1);
        const single = bits(run(reduction, inputsOf[dtype]));
        expect(useThreads(2)).toBe(2);
        // (useThreads(1) parks the pool and useThreads(2) takes it back: its counts go on)
        const calls = threadPool()!.calls;
        const workers = threadPool()!.chunksRun.workers;
        // as the chunks fall (this thread and the worker claiming them as they go), then with this
        // thread taking at most 0 or 1 chunks (the worker the rest: a prefix of any length is this thread's)
        for (const callerChunks of [Number.POSITIVE_INFINITY, 0, 1]) {
          threadPool()!.callerChunks = callerChunks;
          const threaded = bits(run(reduction, inputsOf[dtype]));
          threadPool()!.callerChunks = Number.POSITIVE_INFINITY;
          // the cheap pointwise kernels stay on this thread (ONE_THREAD_OPS); every other case splits
          if (stayOnOneThread.has(name)) expect(threadPool()!.calls - calls, 'calls split across the threads').toBe(0);
          else expect(threadPool()!.calls - calls, 'calls split across the threads').toBeGreaterThan(0);
          expect(threaded.length).toBe(single.length);
          for (let k = 0; k < single.length; k++)
            expect(
              threaded[k]!.every((v, i) => v === single[k]![i]),
              `${name} ${dtype} ${reduction} result ${k} (this thread at most ${callerChunks} chunks)`,
            ).toBe(true);
        }
        if (!stayOnOneThread.has(name)) expect(threadPool()!.chunksRun.workers - workers, 'chunks the worker ran').toBeGreaterThan(0);
      }
    }, 60_000);
  }

for (const dtype of ['float32', 'float64'] as const)
  test(`cross_entropy, ${dtype} (class indices, weight, ignore_index): 2 threads give the bits of 1 (its log_softmax rows split)`, () => {
    const { logits, weight, one } = inputsOf[dtype];
    const rows = shape[0]!;
    // class indices, every 17th row ignored (ignore_index 3 and some rows' class 3)
    const target = tensor(
      Int32Array.from({ length: rows }, (_, r) => (r % 17 === 0 ? 3 : Math.floor(random() * 101))),
      { dtype: 'int64' },
    );
    const run = (reduction: Reduction) => {
      const o = { reduction, weight, ignoreIndex: 3 };
      const values = Array.from({ length: rows }, () => random());
      const g =
        reduction === 'none'
          ? { data: dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values), shape: [rows] }
          : one(0.75);
      return [crossEntropyLoss(logits, target, o), crossEntropyLossBackward(g, logits, target, o)];
    };
    for (const reduction of ['none', 'mean', 'sum'] as const) {
      expect(useThreads(1)).toBe(1);
      const state = seed;
      const single = bits(run(reduction));
      seed = state; // the same gradOutput
      expect(useThreads(2)).toBe(2);
      const calls = threadPool()!.calls;
      const workers = threadPool()!.chunksRun.workers;
      // the forward saves its rows' statistics (both threads' rows), the backward reads them
      for (const callerChunks of [Number.POSITIVE_INFINITY, 0, 1]) {
        threadPool()!.callerChunks = callerChunks;
        seed = state;
        const threaded = bits(run(reduction));
        threadPool()!.callerChunks = Number.POSITIVE_INFINITY;
        expect(threadPool()!.calls - calls, 'calls split across the threads').toBeGreaterThan(0);
        for (let k = 0; k < single.length; k++)
          expect(
            threaded[k]!.every((v, i) => v === single[k]![i]),
            `cross_entropy ${dtype} ${reduction} result ${k} (this thread at most ${callerChunks} chunks)`,
          ).toBe(true);
      }
      expect(threadPool()!.chunksRun.workers - workers, 'chunks the worker ran').toBeGreaterThan(0);
    }
  }, 60_000);

test('useThreads refuses what is not a positive integer', () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => useThreads(bad)).toThrow(/useThreads: threads must be a positive integer/);
});

test('the pool never keeps the process alive', () => {
  const script = [
    "import { useThreads, mseLoss } from './ts/index.ts';",
    'const n = 1 << 18;',
    'const t = { data: new Float32Array(n).fill(0.5), shape: [n] };',
    'if (useThreads(2) !== 2) throw new Error("no pool");',
    'console.log(mseLoss(t, { data: new Float32Array(n), shape: [n] }).data[0]);',
    'useThreads(1);', // the pool parked, its workers stopped by an unref'd timer
  ].join('\n');
  const start = performance.now();
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: new URL('..', import.meta.url),
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(out.trim()).toBe('0.25');
  expect(performance.now() - start).toBeLessThan(30_000);
}, 40_000);

test('the split tuner: two calls each way first, then the faster way, the other every 8th call; its force overrides', () => {
  const t = new SplitTuner();
  const ways: boolean[] = [];
  for (let i = 0; i < 24; i++) {
    const split = t.split('k');
    ways.push(split);
    t.record('k', split, split ? 1 : 2, 1e6); // splitting twice as fast
  }
  expect(ways.slice(0, 4)).toEqual([true, true, false, false]);
  expect(ways.slice(4).map((w, i) => w === ((i + 4) % 8 !== 0))).toEqual(Array(20).fill(true));
  const slow = new SplitTuner();
  const slowWays: boolean[] = [];
  for (let i = 0; i < 24; i++) {
    const split = slow.split('k');
    slowWays.push(split);
    slow.record('k', split, split ? 3 : 2, 1e6); // splitting slower
  }
  expect(slowWays.slice(4).map((w, i) => w === ((i + 4) % 8 === 0))).toEqual(Array(20).fill(true));
  slow.force = 'split';
  expect(slow.split('k')).toBe(true);
  slow.force = 'one';
  expect(slow.split('k')).toBe(false);
});

test('the split tuner: a split call that waited for a descheduled worker does not turn it to one thread; a declined split is timed as one thread', () => {
  const t = new SplitTuner();
  const ways: boolean[] = [];
  for (let i = 0; i < 24; i++) {
    const split = t.split('k');
    ways.push(split);
    // splitting twice as fast, but the 6th and 7th calls (split) took 10x as long
    t.record('k', split, split ? (i === 5 || i === 6 ? 10 : 1) : 2, 1e6);
  }
  expect(ways.slice(4).map((w, i) => w === ((i + 4) % 8 !== 0))).toEqual(Array(20).fill(true));
  // the pool declines the splits (its workers still booting): the calls ran on one thread, and the
  // tuner keeps asking for a split until two were timed
  const booting = new SplitTuner();
  for (let i = 0; i < 5; i++) {
    expect(booting.split('k')).toBe(true);
    booting.record('k', false, 2, 1e6);
  }
  booting.record('k', true, 1, 1e6);
  expect(booting.split('k')).toBe(true);
  booting.record('k', true, 1, 1e6);
  expect(booting.split('k')).toBe(true); // split now faster; call 7 is no probe (7 % 8)
});

test('useThreads(1) parks the pool: useThreads(2) within PARK_MS takes it back (booted), later makes a new one', async () => {
  useThreads(1);
  useThreads(2);
  const first = threadPool();
  expect(first).not.toBeNull();
  useThreads(1);
  expect(threadPool()).toBeNull();
  expect(useThreads(2)).toBe(2);
  expect(threadPool()).toBe(first);
  useThreads(1);
  await new Promise((r) => setTimeout(r, PARK_MS + 200));
  useThreads(2);
  expect(threadPool()).not.toBe(first);
  useThreads(1);
}, 15_000);
