// The WebAssembly kernels' outputs are allocated without zero-filling (ts/tensor.ts allocateWritten:
// Buffer.allocUnsafeSlow where the runtime has it), which is sound only if every path writes every
// element. Here every allocation allocateWritten makes is filled with a poison pattern first (a
// wrapped Buffer.allocUnsafeSlow), and every golden case of the losses that run the kernels, output and every
// gradient, both dtypes, one thread and useThreads(2), must give the bits it gives with zeroed
// outputs: an element a path never wrote would keep the pattern.

import { afterEach, expect, test } from 'vitest';
import { caseArgs, GOLDEN_DIR, gradsByName, loadGoldens, lossEntry, portOptions, toTensor } from '../ts/golden/run.ts';
import { goldenSetLabel } from '../ts/golden/schema.ts';
import type { Tensor } from '../ts/index.ts';
import { allocateWritten } from '../ts/tensor.ts';
import { splitTuner, useThreads } from '../ts/wasm/threads.ts';

const STEMS = [
  'binary_cross_entropy',
  'binary_cross_entropy_with_logits',
  'cross_entropy',
  'gaussian_nll_loss',
  'huber_loss',
  'kl_div',
  'l1_loss',
  'mse_loss',
  'multilabel_soft_margin_loss',
  'nll_loss',
  'poisson_nll_loss',
  'smooth_l1_loss',
  'soft_margin_loss',
];
const goldens = loadGoldens(GOLDEN_DIR).filter((g) => STEMS.includes(g.golden.loss) && g.golden.torch.startsWith('2.14'));

afterEach(() => {
  useThreads(1);
  splitTuner.force = null;
});

/**
 * Every result's bits, per case: outputs and gradients, the sign of zero included; a NaN reads as
 * NaN whatever its sign and payload (V8 gives a NaN's sign as its tier compiled the JS that made it:
 * the same call's NaN differs between a process's first and later runs, poison or not).
 */
function allBits(): { bits: string[]; elements: number } {
  const bits: string[] = [];
  let elements = 0;
  const add = (id: string, t: Tensor) => {
    const d = t.data;
    const one = d instanceof Float32Array ? new Float32Array(1) : new Float64Array(1);
    const u = new Uint32Array(one.buffer);
    const word = (v: number) => {
      one[0] = v;
      return Number.isNaN(v) ? 'nan' : Array.from(u, (w) => w.toString(16)).join(' ');
    };
    bits.push(`${id}:${Array.from(d, word).join(',')}`);
    elements += d.length;
  };
  for (const g of goldens) {
    const entry = lossEntry(g.golden.loss);
    for (const c of g.golden.cases) {
      if (c.error || !c.output) continue;
      const id = `${goldenSetLabel(g.golden)} ${c.id}`;
      const options = portOptions(c.kwargs, g.golden.torch, g.golden.environment.cpu_capability, entry);
      const args = caseArgs(entry, c);
      add(`${id} output`, entry.forward(...args, options) as Tensor);
      if (!c.grads || c.grad_error) continue;
      const grads = gradsByName(entry, entry.backward(toTensor(c.grad_output!) as Tensor, ...args, options));
      for (const name of Object.keys(c.grads).sort()) add(`${id} grad ${name}`, grads[name]!);
    }
  }
  return { bits, elements };
}

/**
 * Runs allBits with Buffer.allocUnsafeSlow's memory filled with `byte` (0x7f: float32 3.4e38,
 * float64 1.4e306), counting its calls. Any caller may get any bytes from it, so the fill is sound
 * for the test runner's own calls too; the global itself is never replaced (vitest's worker uses it).
 */
function withAllocatedBytes(byte: number): { bits: string[]; elements: number; calls: number } {
  const original = Buffer.allocUnsafeSlow;
  let calls = 0;
  Buffer.allocUnsafeSlow = (size: number) => {
    calls++;
    return original(size).fill(byte);
  };
  try {
    return { ...allBits(), calls };
  } finally {
    Buffer.allocUnsafeSlow = original;
  }
}

test.each([1, 2])(
  'kernel outputs allocated without zeroing: every element written, golden cases of the 2.14 sets bit for bit (threads %i)',
  (threads) => {
    expect(goldens.length).toBe(2 * STEMS.length); // avx2 and avx512
    useThreads(threads);
    splitTuner.force = 'split'; // every call of at least THREADS_FROM split, however fast
    const zeroed = withAllocatedBytes(0);
    const poisoned = withAllocatedBytes(0x7f);
    expect(poisoned.calls).toBeGreaterThan(1000); // the kernels' outputs went through it
    expect(poisoned.elements).toBe(zeroed.elements);
    const differ = poisoned.bits.filter((b, i) => b !== zeroed.bits[i]).map((b) => b.slice(0, 160));
    expect(differ).toEqual([]);
  },
  300_000,
);

test('without a Buffer (a browser), outputs are zeroed typed arrays; with one, never a slice of its shared pool', () => {
  const holder = globalThis as { Buffer?: unknown };
  const original = holder.Buffer;
  let a: Float32Array | Float64Array;
  holder.Buffer = undefined; // restored before anything else runs
  try {
    a = allocateWritten('float32', 5);
  } finally {
    holder.Buffer = original;
  }
  expect(a).toBeInstanceOf(Float32Array);
  expect(Array.from(a)).toEqual([0, 0, 0, 0, 0]);
  const b = allocateWritten('float64', 3);
  expect(b).toBeInstanceOf(Float64Array);
  expect(b.byteOffset).toBe(0);
  expect(b.buffer.byteLength).toBe(24);
});
