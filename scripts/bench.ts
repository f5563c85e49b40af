// `torch-loss-parity bench` (npm run bench): forward, and forward + backward, of every registered
// loss, float32 and float64, with weight and pos_weight where the loss has them, reduction 'mean',
// shape (n / 100, 100): the TypeScript ports, torch on CPU through python/worker.py (timed inside
// torch; one thread and all threads) and, for the losses tf.losses has (TFJS_COUNTERPARTS), TensorFlow.js's
// CPU backend, float32. Medians of several runs after a warm-up, in ns per element.
// Without torch the torch columns are empty, without TensorFlow.js (a devDependency: not there in
// an installed package) its column; the output says why. coldAllocator times the ports without the
// allocator warm-up of ts/allocator.ts (each large output then page-faults on fresh memory).

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { memoryUsage, resourceUsage } from 'node:process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { useAllocatorWarmup } from '../ts/allocator.ts';
import { LOSSES, optionName, type LossDomain, type LossEntry, type LossStem, type ValueKind } from '../ts/losses/registry.ts';
import type { IndexTensor, Tensor } from '../ts/tensor.ts';
import { float32KernelBuild, useFloat32Kernels } from '../ts/wasm/float32-kernels.ts';
import { threadsBooted, useThreads } from '../ts/wasm/threads.ts';
import { progress } from './lib/progress.ts';
import type { TorchWorker } from './lib/torch-worker.ts';

export interface BenchOptions {
  /** Elements per input, each a multiple of CLASSES. */
  sizes: number[];
  /** Timed calls per measurement below 1e6 elements (1e6: 5, 1e7: 3); a short call gets more (callsPerRound). */
  repeats: number;
  /** Where the rows go as JSON. */
  json: string;
  losses: LossStem[];
  /** float32 through the JS loops instead of the WebAssembly SIMD kernels. */
  jsLoops: boolean;
  coldAllocator: boolean;
}

/** The torch to time against: a started worker, or why there is none. */
export type BenchTorch = { worker: TorchWorker; why?: undefined } | { worker: null; why: string };

/** Columns of every benchmark input (rows = n / CLASSES). */
export const CLASSES = 100;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** CTC's benchmark shape (issue 15): T = 50 frames, N = 16 samples, C = 20 classes, S = 10 labels. */
export const CTC_SHAPE = { t: 50, n: 16, c: 20, s: 10 } as const;

/**
 * Inputs drawn from a loss's registry domain (the same distributions the worker's bench_args draws
 * for torch), by the loss's argument names: the first argument (n / CLASSES, CLASSES), a target per
 * the domain (per element, a class per row, or one per row for the 'vectors' layout), the other
 * arguments like the first; CTC at CTC_SHAPE whatever n.
 */
export function benchInputs(entry: LossEntry, n: number, dtype: 'float32' | 'float64') {
  const Arr = dtype === 'float32' ? Float32Array : Float64Array;
  const rows = n / CLASSES;
  const shape = [rows, CLASSES];
  const { domain } = entry;
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const draw: Record<ValueKind, () => number> = {
    logit: () => (rand() - 0.5) * 6,
    real: () => (rand() - 0.5) * 6,
    probability: () => rand(),
    sign: () => (rand() < 0.5 ? -1 : 1),
    positive: () => rand() * 2 + 0.1,
    count: () => Math.floor(rand() * 5),
  };
  const floats = (kind: ValueKind, length: number, s: number[] = length === n ? shape : [length]) => {
    const v = new Arr(length);
    for (let i = 0; i < length; i++) v[i] = draw[kind]();
    return { data: v, shape: s } as Tensor;
  };
  const options: Record<string, unknown> = { reduction: 'mean' };
  if (domain.layout === 'ctc') {
    const { t, n: batch, c, s } = CTC_SHAPE;
    const logProbs = floats('logit', t * batch * c, [t, batch, c]);
    for (let row = 0; row < t * batch; row++) {
      // log_softmax over the classes
      const at = row * c;
      let max = -Infinity;
      for (let j = 0; j < c; j++) max = Math.max(max, logProbs.data[at + j]!);
      let sum = 0;
      for (let j = 0; j < c; j++) sum += Math.exp(logProbs.data[at + j]! - max);
      for (let j = 0; j < c; j++) logProbs.data[at + j] = logProbs.data[at + j]! - max - Math.log(sum);
    }
    const targets: IndexTensor = {
      data: Int32Array.from({ length: batch * s }, () => 1 + Math.floor(rand() * (c - 1))),
      shape: [batch, s],
    };
    const lengths = (v: number): IndexTensor => ({ data: new Int32Array(batch).fill(v), shape: [batch] });
    return { args: [logProbs, targets, lengths(t), lengths(s)], options };
  }
  let target: Tensor | IndexTensor | null = null;
  if (domain.target === 'labels') {
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) y[i] = i % CLASSES === CLASSES / 4 ? -1 : Math.floor(rand() * CLASSES);
    target = { data: y, shape };
  } else if (domain.target === 'classes') {
    const y = new Int32Array(rows);
    for (let i = 0; i < rows; i++) y[i] = Math.floor(rand() * CLASSES);
    target = { data: y, shape: [rows] };
  } else if (domain.target !== null && domain.layout === 'vectors') {
    target = floats(domain.target, rows, [rows]);
  } else if (domain.target === 'probability' && domain.input !== 'probability') {
    target = floats('probability', n);
    for (let i = 0; i < n; i++) target.data[i] = target.data[i]! < 0.5 ? 1 : 0; // hard 0/1 labels
  } else if (domain.target !== null) {
    target = floats(domain.target, n);
  }
  const [first, ...rest] = entry.args;
  const byName: Record<string, Tensor | IndexTensor> = { [first!]: floats(domain.input, n) };
  if (target) byName.target = target;
  for (const name of rest) if (name !== 'target') byName[name] = floats(domain.extraArgs?.[name] ?? domain.input, n);
  for (const torchName of domain.tensorKwargs) {
    const v = new Arr(CLASSES);
    for (let c = 0; c < CLASSES; c++) v[c] = torchName === 'pos_weight' ? rand() * 3 : rand() + 0.5;
    options[optionName(torchName)] = { data: v, shape: [CLASSES] };
  }
  return { args: entry.args.map((name) => byName[name]!), options };
}

/** Calls fn for at least `ms` milliseconds and 3 calls; returns the milliseconds per call. */
function warmUp(fn: () => void, ms: number): number {
  const start = performance.now();
  let calls = 0;
  for (; calls < 3 || performance.now() - start < ms; calls++) fn();
  return (performance.now() - start) / calls;
}

/**
 * Timed calls per round of a pass taking `msPerCall`: `perRound`, or, for a short call, as many as
 * fill ROUND_MS, up to MAX_CALLS_PER_ROUND. A row of 1e6 elements used to be the median of 6 calls
 * whatever their length: nll_loss's forward takes 35-100 us there, so its row was 6 calls within
 * a millisecond or so, and this 2-core machine's other work moved it by 2-4x between runs (port
 * medians of 84-430 us per call against 42-107 us for the median of 300 in the same process,
 * docs/performance.md h-nll3). Torch's rows time the same number of calls.
 */
function callsPerRound(msPerCall: number, perRound: number): number {
  return Math.max(perRound, Math.min(MAX_CALLS_PER_ROUND, Math.ceil(ROUND_MS / msPerCall)));
}

/** The median seconds per call, and the minor page faults per timed call (fresh output memory shows there). */
function timeIt(fn: () => void, repeats: number): { seconds: number; pageFaults: number } {
  // Warm-up, at least 3 calls and 200 ms: V8 optimizes the JS and tiers the WebAssembly kernels
  // up from its baseline compiler while they run.
  warmUp(fn, 200);
  const { samples, pageFaults } = sampleCalls(fn, repeats);
  return { seconds: median(samples), pageFaults };
}

/** Seconds of each of `repeats` calls (no warm-up), and the minor page faults per call. */
function sampleCalls(fn: () => void, repeats: number): { samples: number[]; pageFaults: number } {
  const samples: number[] = [];
  const faults = resourceUsage().minorPageFault;
  for (let i = 0; i < repeats; i++) {
    const s = performance.now();
    fn();
    samples.push((performance.now() - s) / 1000);
  }
  return { samples, pageFaults: (resourceUsage().minorPageFault - faults) / repeats };
}

/** A full garbage collection (V8's gc(), exposed for this process only when the bench first needs it). */
let collectGarbage: (() => void) | null = null;
function fullGc(): void {
  if (!collectGarbage) {
    setFlagsFromString('--expose-gc');
    collectGarbage = runInNewContext('gc') as () => void;
  }
  collectGarbage();
}

/**
 * Bytes one call allocates and still holds when it returns (its result alive): ArrayBuffer memory
 * (typed arrays live outside V8's heap) plus JS heap, from a collected heap. A collection inside the
 * call could only lower the difference, so the largest of three tries is taken.
 */
function bytesPerCall(fn: () => unknown): number {
  let most = 0;
  for (let i = 0; i < 3; i++) {
    fullGc();
    const before = memoryUsage();
    const kept = fn();
    const after = memoryUsage();
    most = Math.max(most, after.arrayBuffers - before.arrayBuffers + after.heapUsed - before.heapUsed);
    if (kept === fullGc) throw new Error('unreachable'); // keeps the result alive until measured
  }
  return most;
}

/**
 * The port and torch are timed in ROUNDS alternating rounds (the port's forward and forward +
 * backward, then torch's), each of a third of the calls, and every median is taken over all its
 * rounds' calls: on this shared 2-core machine the load changes within seconds, and timing the
 * port once and then torch once let a burst of other work fall on one side only.
 */
const ROUNDS = 3;
/** Milliseconds of timed calls per round a short pass gets at least (callsPerRound). */
const ROUND_MS = 10;
const MAX_CALLS_PER_ROUND = 100;

type TF = typeof import('@tensorflow/tfjs-core');
type TFTensor = import('@tensorflow/tfjs-core').Tensor;

/**
 * TensorFlow.js with its CPU backend (the full package: tfjs-core alone registers no gradients for
 * tf.grad), or why not: it is a devDependency, so an installed package has none.
 */
export async function loadTfjs(): Promise<{ tf: TF; why?: undefined } | { tf: null; why: string }> {
  try {
    const tf = (await import('@tensorflow/tfjs')) as unknown as TF;
    await tf.setBackend('cpu');
    return { tf };
  } catch (e) {
    const missing = (e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND';
    return {
      tf: null,
      why: missing
        ? '@tensorflow/tfjs is not installed (a devDependency of torch-loss-parity)'
        : `@tensorflow/tfjs failed to load: ${(e as Error).message}`,
    };
  }
}

/** A TF.js counterpart's loss of the bench's input (a scalar), and the tensors it holds. */
interface TfjsCase {
  input: TFTensor;
  loss: (input: TFTensor) => TFTensor;
  held: TFTensor[];
}

/** A tf.losses function's name, and its case built from the port's inputs (args, options). */
interface TfjsCounterpart {
  fn: string;
  build: (tf: TF, args: Tensor[], options: Record<string, unknown>) => TfjsCase;
}

/**
 * The tf.losses function that computes each torch loss as the bench calls it (reduction 'mean',
 * (n / CLASSES, CLASSES), defaults otherwise), built from the port's own float32 inputs. float32
 * only: TF.js's cpu backend has no float64 tensors. Not here: tf.losses.hingeLoss (max(0, 1 -
 * (2y - 1) x), which no torch loss is: hinge_embedding_loss is x at y = 1, max(0, margin - x) at
 * y = -1), tf.losses.cosineDistance (1 - sum(a * b) along an axis, unnormalized and with no y = -1
 * branch, unlike cosine_embedding_loss); nll_loss (softmaxCrossEntropy takes logits, not log-probabilities).
 */
export const TFJS_COUNTERPARTS: Partial<Record<LossStem, TfjsCounterpart>> = {
  // no pos_weight in TF.js: the port's row has it, this one has only the per-class weight
  binary_cross_entropy_with_logits: {
    fn: 'sigmoidCrossEntropy',
    build: (tf, [x, y], o) => tfjsElementwise(tf, x!, y!, o, (t, input, w) => tf.losses.sigmoidCrossEntropy(t, input, w)),
  },
  // torch: mean over rows of (1/C) sum_c w_c l; TF.js: sum(w l) / (its nonzero weights: every one of N * C here)
  multilabel_soft_margin_loss: {
    fn: 'sigmoidCrossEntropy',
    build: (tf, [x, y], o) => tfjsElementwise(tf, x!, y!, o, (t, input, w) => tf.losses.sigmoidCrossEntropy(t, input, w)),
  },
  // log(1 + exp(-y x)) is the logistic loss of the 0/1 label (y + 1) / 2 for torch's +-1 targets (mapped once, untimed)
  soft_margin_loss: {
    fn: 'sigmoidCrossEntropy',
    build: (tf, [x, y], o) =>
      tfjsElementwise(tf, x!, { data: y!.data.map((v) => (v + 1) / 2), shape: y!.shape }, o, (t, input) =>
        tf.losses.sigmoidCrossEntropy(t, input),
      ),
  },
  // logLoss takes log(p + 1e-7) and log(1 - p + 1e-7) where torch clamps each log at -100
  binary_cross_entropy: {
    fn: 'logLoss',
    build: (tf, [x, y], o) => tfjsElementwise(tf, x!, y!, o, (t, input, w) => tf.losses.logLoss(t, input, w)),
  },
  mse_loss: {
    fn: 'meanSquaredError',
    build: (tf, [x, y], o) => tfjsElementwise(tf, x!, y!, o, (t, input) => tf.losses.meanSquaredError(t, input)),
  },
  l1_loss: {
    fn: 'absoluteDifference',
    build: (tf, [x, y], o) => tfjsElementwise(tf, x!, y!, o, (t, input) => tf.losses.absoluteDifference(t, input)),
  },
  // 0.5 min(|d|, delta)^2 + delta (|d| - min(|d|, delta)): torch's huber_loss, the same delta (1, torch's default)
  huber_loss: {
    fn: 'huberLoss',
    build: (tf, [x, y], o) =>
      tfjsElementwise(tf, x!, y!, o, (t, input) => tf.losses.huberLoss(t, input, undefined, (o.delta as number | undefined) ?? 1)),
  },
  // smooth_l1_loss(beta) = huber_loss(delta = beta) / beta: the same function at the bench's beta = 1
  smooth_l1_loss: {
    fn: 'huberLoss',
    build: (tf, [x, y], o) => {
      if (((o.beta as number | undefined) ?? 1) !== 1) throw new Error('smooth_l1_loss has a TF.js counterpart at beta = 1 only');
      return tfjsElementwise(tf, x!, y!, o, (t, input) => tf.losses.huberLoss(t, input, undefined, 1));
    },
  },
  // TF.js takes one-hot labels (N, C), not class indices, and weights per row, not per class: both
  // made once, untimed (labels[i] one-hot at target[i], weights[i] = weight[target[i]]); its MEAN
  // reduction is then torch's sum_i w_i l_i / sum_i w_i. No ignore_index (the bench's targets hit none).
  cross_entropy: {
    fn: 'softmaxCrossEntropy',
    build: (tf, [x, target], o) => {
      const [rows, classes] = x!.shape as [number, number];
      const classOf = target!.data as unknown as Int32Array;
      const oneHot = new Float32Array(rows * classes);
      for (let i = 0; i < rows; i++) oneHot[i * classes + classOf[i]!] = 1;
      const classWeight = (o.weight as Tensor | undefined)?.data;
      const input = float32Tensor(tf, x!);
      const labels = tf.tensor(oneHot, [rows, classes], 'float32');
      const weights = classWeight
        ? tf.tensor(
            Float32Array.from(classOf, (c) => classWeight[c]!),
            [rows],
            'float32',
          )
        : undefined;
      return {
        input,
        loss: (logits) => tf.losses.softmaxCrossEntropy(labels, logits, weights, 0, tf.Reduction.MEAN),
        held: weights ? [input, labels, weights] : [input, labels],
      };
    },
  },
};

/**
 * An elementwise counterpart: input and target as TF.js tensors, the per-class weight (the port's
 * options.weight, shape (CLASSES)) broadcast over the rows; tf.losses' default reduction (the sum
 * over the nonzero weights, or the mean without weights: torch's 'mean' for weights all nonzero).
 */
function tfjsElementwise(
  tf: TF,
  x: Tensor,
  y: Tensor,
  o: Record<string, unknown>,
  f: (target: TFTensor, input: TFTensor, weight: TFTensor | undefined) => TFTensor,
): TfjsCase {
  const input = float32Tensor(tf, x);
  const target = float32Tensor(tf, y);
  const w = o.weight as Tensor | undefined;
  const weight = w ? float32Tensor(tf, w) : undefined;
  return { input, loss: (v) => f(target, v, weight), held: weight ? [input, target, weight] : [input, target] };
}

const float32Tensor = (tf: TF, t: Tensor) => tf.tensor(t.data, [...t.shape], 'float32');

/** Seconds per call of a counterpart's forward, and of its forward + tf.grad w.r.t. the input. */
function timeTfjs(tf: TF, c: TfjsCase, repeats: number): { forward: number; backward: number } {
  const grad = tf.grad((v: TFTensor) => c.loss(v));
  const forward = timeIt(
    () =>
      tf.tidy(() => {
        c.loss(c.input).dataSync();
      }),
    repeats,
  ).seconds;
  const backward = timeIt(
    () =>
      tf.tidy(() => {
        c.loss(c.input).dataSync();
        grad(c.input).dataSync();
      }),
    repeats,
  ).seconds;
  tf.dispose(c.held);
  return { forward, backward };
}

interface Row {
  loss: string;
  dtype: string;
  n: number;
  pass: 'forward' | 'forward+backward';
  port: number;
  /** Minor page faults per call of the port. */
  portPageFaults: number;
  /** Bytes a call of the port allocates (its result included). */
  portBytes: number;
  /** The port with useThreads(torch's all threads): null when that is one thread (or no torch). */
  portAll: number | null;
  torch1: number | null;
  torchAll: number | null;
  tfjs: number | null;
}

/** The (loss, dtype, n) measurements a run makes, in order. */
function plan(options: BenchOptions) {
  return options.losses.flatMap((stem) => {
    const domain: LossDomain = LOSSES[stem].domain;
    // CTC runs at CTC_SHAPE only, once, labelled with its log_probs' element count.
    const sizes =
      domain.layout === 'ctc'
        ? [CTC_SHAPE.t * CTC_SHAPE.n * CTC_SHAPE.c]
        : options.sizes.filter((n) => !(domain.target === 'labels' && n > 1e6)); // O(n * C) pairs: 1e7 takes minutes
    return (['float32', 'float64'] as const).flatMap((dtype) => sizes.map((n) => ({ stem, dtype, n })));
  });
}

/** Runs the benchmark; prints the table on stdout (what it ran against first) and writes the JSON. */
export async function runBench(options: BenchOptions, torch: BenchTorch, log: (line: string) => void): Promise<number> {
  // float32 runs the WebAssembly SIMD kernels; jsLoops times the JS loops they replace instead.
  useFloat32Kernels(!options.jsLoops);
  useAllocatorWarmup(!options.coldAllocator);
  const { worker } = torch;
  const peers = options.losses.filter((stem) => TFJS_COUNTERPARTS[stem]);
  const tfjs =
    peers.length > 0
      ? await loadTfjs()
      : { tf: null, why: `none of these losses has a tf.losses counterpart (${Object.keys(TFJS_COUNTERPARTS).join(', ')} do)` };
  const others = options.losses.length - peers.length;
  const ranAgainst = [
    worker
      ? `torch ${worker.hello.torch} (Python ${worker.hello.python}), CPU capability ${worker.hello.cpu_capability}, torch 1t = 1 thread, torch all = ${worker.hello.max_threads} threads, port all = useThreads(${worker.hello.max_threads}) (the float32 and float64 kernels' elementwise work and cross_entropy's log_softmax rows)`
      : `torch columns empty: ${torch.why}`,
    tfjs.tf
      ? `TensorFlow.js ${tfjs.tf.version_core} (cpu backend), float32 only (it has no float64 tensors): ${peers.map((stem) => `${stem} as tf.losses.${TFJS_COUNTERPARTS[stem]!.fn}`).join(', ')}${others > 0 ? `; tfjs column empty for the other ${others} (no tf.losses counterpart)` : ''}`
      : `tfjs column empty: ${tfjs.why}`,
    `Node ${process.version}; float32 ports: ${options.jsLoops ? 'JS loops' : `WebAssembly kernels${float32KernelBuild() === 'fma' ? ' (relaxed-SIMD FMA)' : ''}`}; allocator warm-up ${options.coldAllocator ? 'off' : 'on'}`,
  ];
  for (const line of ranAgainst) log(line);
  const repeatsFor = (n: number) => (n >= 1e7 ? 3 : n >= 1e6 ? 5 : options.repeats);
  const rows: Row[] = [];
  const steps = plan(options);
  const status = progress('bench', steps.length);
  for (const { stem, dtype, n } of steps) {
    const entry: LossEntry = LOSSES[stem];
    const repeats = repeatsFor(n);
    const { args, options: lossOptions } = benchInputs(entry, n, dtype);
    const opt = { ...lossOptions, torchVersion: worker?.hello.torch ?? '2.14.1' };
    const go: Tensor = { data: dtype === 'float32' ? new Float32Array([1]) : new Float64Array([1]), shape: [] };
    const forwardBackward = () => [entry.forward(...args, opt), entry.backward(go, ...args, opt)];
    // Both passes first, for 500 ms, before either is timed: with only the forward's own
    // warm-up, the float64 BCEWithLogits forward timed about as long as the forward + backward
    // after it (70 vs 73 ns per element at 1e5 in one run, 72 vs 74 at 1e3 in another; V8
    // still settling the JS for the new dtype).
    warmUp(forwardBackward, 500);
    const forward = () => entry.forward(...args, opt);
    const perRound = Math.max(1, Math.ceil(repeats / ROUNDS));
    const fwdCalls = callsPerRound(warmUp(forward, 200), perRound);
    const fbCalls = callsPerRound(warmUp(forwardBackward, 200), perRound);
    const allThreads = worker?.hello.max_threads ?? 1;
    const torchSamples = async (threads: number, backward: boolean): Promise<number[]> => {
      if (!worker) return [];
      const r = await worker.request<{ seconds: number[]; tensor_kwargs: string[] }>(
        {
          op: 'bench',
          loss: stem,
          dtype,
          numel: n,
          classes: CLASSES,
          ...(entry.domain.layout === 'ctc' ? { shape: [CTC_SHAPE.t, CTC_SHAPE.n, CTC_SHAPE.c] } : {}),
          threads,
          repeats: (backward ? fbCalls : fwdCalls) + 2,
          backward,
        },
        600_000,
      );
      // Both rows must time the same work: the same per-class tensors (a weighted port against an
      // unweighted torch once made cross_entropy's ratio meaningless).
      const ported = [...entry.domain.tensorKwargs].sort();
      if (r.tensor_kwargs.join() !== ported.join()) {
        throw new Error(
          `bench: torch's ${stem} row passes the tensor keyword arguments [${r.tensor_kwargs.join(', ')}], the port's [${ported.join(', ')}] (python/cases/${stem}.py bench_args / BENCH_KWARGS)`,
        );
      }
      return r.seconds.slice(2);
    };
    const samples = {
      fwd: [] as number[],
      fb: [] as number[],
      allFwd: [] as number[],
      allFb: [] as number[],
      t1f: [] as number[],
      t1b: [] as number[],
      taf: [] as number[],
      tab: [] as number[],
    };
    let fwdFaults = 0;
    let fbFaults = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // each pass briefly run on its own first: the garbage collections the previous pass's
      // outputs (4 MB gradients at 1e6) left pending are then not charged to the forward
      warmUp(forward, 50);
      const f = sampleCalls(forward, fwdCalls);
      warmUp(forwardBackward, 50);
      const b = sampleCalls(forwardBackward, fbCalls);
      samples.fwd.push(...f.samples);
      samples.fb.push(...b.samples);
      if (allThreads > 1 && useThreads(allThreads) > 1) {
        // a new pool's workers boot in ~100 ms (calls meanwhile run on this thread): time them booted
        await threadsBooted();
        warmUp(forward, 50);
        samples.allFwd.push(...sampleCalls(forward, fwdCalls).samples);
        warmUp(forwardBackward, 50);
        samples.allFb.push(...sampleCalls(forwardBackward, fbCalls).samples);
        useThreads(1);
      }
      fwdFaults += f.pageFaults / ROUNDS;
      fbFaults += b.pageFaults / ROUNDS;
      samples.t1f.push(...(await torchSamples(1, false)));
      samples.t1b.push(...(await torchSamples(1, true)));
      samples.taf.push(...(await torchSamples(allThreads, false)));
      samples.tab.push(...(await torchSamples(allThreads, true)));
    }
    const orNull = (xs: number[]) => (xs.length > 0 ? median(xs) : null);
    const fwd = { seconds: median(samples.fwd), pageFaults: fwdFaults };
    const fb = { seconds: median(samples.fb), pageFaults: fbFaults };
    const [fwdBytes, fbBytes] = [bytesPerCall(forward), bytesPerCall(forwardBackward)];
    const peer = dtype === 'float32' ? TFJS_COUNTERPARTS[stem] : undefined;
    const tf = tfjs.tf && peer ? timeTfjs(tfjs.tf, peer.build(tfjs.tf, args as Tensor[], lossOptions), repeats) : null;
    rows.push({
      loss: stem,
      dtype,
      n,
      pass: 'forward',
      port: fwd.seconds,
      portPageFaults: fwd.pageFaults,
      portBytes: fwdBytes,
      portAll: orNull(samples.allFwd),
      torch1: orNull(samples.t1f),
      torchAll: orNull(samples.taf),
      tfjs: tf?.forward ?? null,
    });
    rows.push({
      loss: stem,
      dtype,
      n,
      pass: 'forward+backward',
      port: fb.seconds,
      portPageFaults: fb.pageFaults,
      portBytes: fbBytes,
      portAll: orNull(samples.allFb),
      torch1: orNull(samples.t1b),
      torchAll: orNull(samples.tab),
      tfjs: tf?.backward ?? null,
    });
    const last = rows
      .slice(-2)
      .map((r) => `${r.pass} ${((r.port / n) * 1e9).toFixed(1)} ns/el (torch 1t ${r.torch1 ? ((r.torch1 / n) * 1e9).toFixed(1) : '-'})`);
    status.log(`  ${stem} ${dtype} n=${n}: ${last.join(', ')}; ${fb.pageFaults.toFixed(0)} page faults per forward+backward`);
    status.tick(`${stem} ${dtype} n=${n}`);
  }
  status.done();
  const ns = (s: number | null, n: number) => (s === null ? '-' : ((s / n) * 1e9).toFixed(2));
  const bytes = (b: number) =>
    b < 1024 ? `${b} B` : b < 1024 * 1024 ? `${(b / 1024).toFixed(1)} kB` : `${(b / 1024 / 1024).toFixed(2)} MB`;
  const ratio = (a: number | null, b: number | null) => (a === null || b === null ? '-' : `${(a / b).toFixed(2)}x`);
  const header = [
    'loss',
    'dtype',
    'n',
    'pass',
    'port ns/el',
    'torch 1t',
    'port all',
    'torch all',
    'tfjs',
    'port/torch1t',
    'all/torch all',
    'tfjs/port',
    'port bytes/call',
  ];
  const body = rows.map((r) => [
    r.loss,
    r.dtype,
    String(r.n),
    r.pass,
    ns(r.port, r.n),
    ns(r.torch1, r.n),
    ns(r.portAll, r.n),
    ns(r.torchAll, r.n),
    ns(r.tfjs, r.n),
    ratio(r.port, r.torch1),
    ratio(r.portAll, r.torchAll),
    ratio(r.tfjs, r.port),
    bytes(r.portBytes),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${[...ranAgainst, '', line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n')}\n`);
  mkdirSync(dirname(options.json), { recursive: true });
  const report = {
    torch: worker?.hello ?? null,
    torchMissing: worker ? null : torch.why,
    tfjs: tfjs.tf ? tfjs.tf.version_core : null,
    tfjsMissing: tfjs.why ?? null,
    node: process.version,
    classes: CLASSES,
    float32: options.jsLoops ? 'js loops' : 'wasm kernels',
    allocatorWarmup: !options.coldAllocator,
    rows,
  };
  writeFileSync(options.json, `${JSON.stringify(report, null, 1)}\n`);
  log(`wrote ${options.json}`);
  return 0;
}
