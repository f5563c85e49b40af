// npm run bench [-- --sizes 1e3,1e5,1e6,1e7] [--repeats N] [--json FILE] [--losses a,b] [--js-loops] [--cold-allocator]
//
// Forward, and forward + backward, of every registered loss, float32 and float64, with weight and
// pos_weight where the loss has them, reduction 'mean', shape (n / 100, 100): the TypeScript
// ports, torch on CPU through python/worker.py (timed inside torch; one thread and all threads)
// and, for BCEWithLogits, TensorFlow.js's CPU backend (tf.losses.sigmoidCrossEntropy). Medians of
// several runs after a warm-up, in ns per element. Without torch, the torch columns are empty.
// --cold-allocator times the ports without the allocator warm-up of ts/allocator.ts (each large
// output then page-faults on fresh memory).

import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { resourceUsage } from 'node:process';
import { LOSSES, LOSS_STEMS, type LossEntry } from '../ts/losses/registry.ts';
import type { Tensor } from '../ts/tensor.ts';
import { TorchWorker, findTorchInterpreter } from './lib/torch-worker.ts';
import { useFloat32Kernels } from '../ts/wasm/float32-kernels.ts';
import { useAllocatorWarmup } from '../ts/allocator.ts';

const { values: opts } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1e3,1e5,1e6,1e7' },
    repeats: { type: 'string', default: '7' },
    json: { type: 'string', default: 'reports/bench.json' },
    losses: { type: 'string' },
    'js-loops': { type: 'boolean', default: false },
    'cold-allocator': { type: 'boolean', default: false },
  },
});
// float32 runs the WebAssembly SIMD kernels; --js-loops times the JS loops they replace instead.
useFloat32Kernels(!opts['js-loops']);
useAllocatorWarmup(!opts['cold-allocator']);
const SIZES = opts.sizes!.split(',').map(Number);
const CLASSES = 100;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const repeatsFor = (n: number) => (n >= 1e7 ? 3 : n >= 1e6 ? 5 : Number(opts.repeats));

/** Inputs drawn from a loss's registry domain (the same distributions the worker draws for torch). */
function inputs(entry: LossEntry, n: number, dtype: 'float32' | 'float64') {
  const Arr = dtype === 'float32' ? Float32Array : Float64Array;
  const rows = n / CLASSES;
  const shape = [rows, CLASSES];
  const x = new Arr(n);
  const labels = entry.domain.target === 'labels';
  const y = labels ? new Int32Array(n) : new Arr(n);
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < n; i++) {
    x[i] = entry.domain.input === 'probability' ? rand() : (rand() - 0.5) * 6;
    const col = i % CLASSES;
    y[i] = labels ? (col === CLASSES / 4 ? -1 : Math.floor(rand() * CLASSES)) : entry.domain.target === 'sign' ? (rand() < 0.5 ? -1 : 1) : rand() < 0.5 ? 1 : 0;
  }
  const options: Record<string, unknown> = { reduction: 'mean' };
  for (const [torchName, portName] of Object.entries(entry.tensorOptions)) {
    const v = new Arr(CLASSES);
    for (let c = 0; c < CLASSES; c++) v[c] = torchName === 'pos_weight' ? rand() * 3 : rand() + 0.5;
    options[portName] = { data: v, shape: [CLASSES] };
  }
  return { input: { data: x, shape } as Tensor, target: { data: y, shape } as unknown as Tensor & { data: never }, options };
}

/** Calls fn for at least `ms` milliseconds and 3 calls. */
function warmUp(fn: () => void, ms: number): void {
  const start = performance.now();
  for (let calls = 0; calls < 3 || performance.now() - start < ms; calls++) fn();
}

/** The median seconds per call, and the minor page faults per timed call (fresh output memory shows there). */
function timeIt(fn: () => void, repeats: number): { seconds: number; pageFaults: number } {
  // Warm-up, at least 3 calls and 200 ms: V8 optimizes the JS and tiers the WebAssembly kernels
  // up from its baseline compiler while they run.
  warmUp(fn, 200);
  const t: number[] = [];
  const faults = resourceUsage().minorPageFault;
  for (let i = 0; i < repeats; i++) {
    const s = performance.now();
    fn();
    t.push((performance.now() - s) / 1000);
  }
  return { seconds: median(t), pageFaults: (resourceUsage().minorPageFault - faults) / repeats };
}

type TF = typeof import('@tensorflow/tfjs-core');

/** TensorFlow.js with its CPU backend (the full package: tfjs-core alone registers no gradients for tf.grad). */
async function loadTfjs(): Promise<TF | null> {
  try {
    const tf = createRequire(import.meta.url)('@tensorflow/tfjs') as TF;
    await tf.setBackend('cpu');
    return tf;
  } catch {
    return null;
  }
}

async function tfjsBce(n: number, repeats: number): Promise<{ forward: number; backward: number } | null> {
  const tf = await loadTfjs();
  if (!tf) return null;
  const rows = n / CLASSES;
  const x = tf.randomNormal([rows, CLASSES]);
  const y = tf.cast(tf.greater(tf.randomUniform([rows, CLASSES]), 0.5), 'float32');
  const w = tf.randomUniform([CLASSES], 0.5, 1.5);
  const loss = (logits: import('@tensorflow/tfjs-core').Tensor) => tf.losses.sigmoidCrossEntropy(y, logits, w);
  const grad = tf.grad((logits: import('@tensorflow/tfjs-core').Tensor) => loss(logits));
  const forward = timeIt(() => tf.tidy(() => { loss(x).dataSync(); }), repeats).seconds;
  const backward = timeIt(() => tf.tidy(() => { loss(x).dataSync(); grad(x).dataSync(); }), repeats).seconds;
  tf.dispose([x, y, w]);
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
  torch1: number | null;
  torchAll: number | null;
  tfjs: number | null;
}

async function main(): Promise<void> {
  const { interp, why } = await findTorchInterpreter();
  const worker = interp ? await TorchWorker.start(interp) : null;
  if (!worker) process.stderr.write(`torch columns empty: ${why}\n`);
  else process.stderr.write(`torch ${worker.hello.torch} (${worker.hello.cpu_capability}), all threads = ${worker.hello.max_threads}\n`);
  const rows: Row[] = [];
  const stems = opts.losses ? opts.losses.split(',') : LOSS_STEMS;
  for (const stem of stems) {
    const entry: LossEntry = (LOSSES as Record<string, LossEntry>)[stem]!;
    for (const dtype of ['float32', 'float64'] as const) {
      for (const n of SIZES) {
        if (entry.domain.target === 'labels' && n > 1e6) continue; // O(n * C) pairs: 1e7 takes minutes
        const repeats = repeatsFor(n);
        const { input, target, options } = inputs(entry, n, dtype);
        const opt = { ...options, torchVersion: worker?.hello.torch ?? '2.14.1' };
        const go: Tensor = { data: dtype === 'float32' ? new Float32Array([1]) : new Float64Array([1]), shape: [] };
        const forwardBackward = () => {
          entry.forward(input, target, opt);
          entry.backward(go, input, target, opt);
        };
        // Both passes first, for 500 ms, before either is timed: with only the forward's own
        // warm-up, the float64 BCEWithLogits forward timed about as long as the forward + backward
        // after it (70 vs 73 ns per element at 1e5 in one run, 72 vs 74 at 1e3 in another; V8
        // still settling the JS for the new dtype).
        warmUp(forwardBackward, 500);
        const fwd = timeIt(() => entry.forward(input, target, opt), repeats);
        const fb = timeIt(forwardBackward, repeats);
        const torchTime = async (threads: number, backward: boolean) => {
          if (!worker) return null;
          const r = await worker.request<{ seconds: number[] }>({ op: 'bench', loss: stem, dtype, numel: n, classes: CLASSES, threads, repeats: repeats + 2, backward }, 600_000);
          return median(r.seconds.slice(2));
        };
        const tf = stem === 'bce_with_logits' && dtype === 'float32' ? await tfjsBce(n, repeats) : null;
        rows.push({ loss: stem, dtype, n, pass: 'forward', port: fwd.seconds, portPageFaults: fwd.pageFaults, torch1: await torchTime(1, false), torchAll: await torchTime(worker?.hello.max_threads ?? 1, false), tfjs: tf?.forward ?? null });
        rows.push({ loss: stem, dtype, n, pass: 'forward+backward', port: fb.seconds, portPageFaults: fb.pageFaults, torch1: await torchTime(1, true), torchAll: await torchTime(worker?.hello.max_threads ?? 1, true), tfjs: tf?.backward ?? null });
        const last = rows.slice(-2).map((r) => `${r.pass} ${((r.port / n) * 1e9).toFixed(1)} ns/el (torch 1t ${r.torch1 ? ((r.torch1 / n) * 1e9).toFixed(1) : '-'})`);
        process.stderr.write(`  ${stem} ${dtype} n=${n}: ${last.join(', ')}; ${fb.pageFaults.toFixed(0)} page faults per forward+backward\n`);
      }
    }
  }
  await worker?.close();
  const ns = (s: number | null, n: number) => (s === null ? '-' : ((s / n) * 1e9).toFixed(2));
  const ratio = (a: number | null, b: number | null) => (a === null || b === null ? '-' : `${(a / b).toFixed(2)}x`);
  const header = ['loss', 'dtype', 'n', 'pass', 'port ns/el', 'torch 1t', 'torch all', 'tfjs', 'port/torch1t', 'tfjs/port'];
  const body = rows.map((r) => [r.loss, r.dtype, String(r.n), r.pass, ns(r.port, r.n), ns(r.torch1, r.n), ns(r.torchAll, r.n), ns(r.tfjs, r.n), ratio(r.port, r.torch1), ratio(r.tfjs, r.port)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write([line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n');
  mkdirSync(dirname(opts.json!), { recursive: true });
  writeFileSync(opts.json!, `${JSON.stringify({ torch: worker?.hello ?? null, node: process.version, classes: CLASSES, float32: opts['js-loops'] ? 'js loops' : 'wasm kernels', allocatorWarmup: !opts['cold-allocator'], rows }, null, 1)}\n`);
  process.stderr.write(`wrote ${opts.json}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`npm run bench: ${(e as Error).message}\n`);
  process.exit(2);
});
