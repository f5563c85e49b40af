// Mixed float32 / float64 arguments (issue 15 F1, F2) in the three vector losses whose ops each run
// in their own dtype: every golden case of triplet_margin_loss, triplet_margin_with_distance_loss and
// cosine_embedding_loss, bit for bit (the golden tests allow assert_close's tolerance, under which a
// float32 intermediate of a float64 loss can hide), each gradient in its argument's dtype, through
// both float32 paths; and the dtypes torch gives, stated outright.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GOLDEN_DIR, caseArgs, gradsByName, loadGoldens, lossEntry, portOptions, toTensor } from '../ts/golden/run.ts';
import { compareTensor } from '../ts/golden/compare.ts';
import { goldenSetLabel, tensorValues, type TensorJson } from '../ts/golden/schema.ts';
import {
  binaryCrossEntropy,
  binaryCrossEntropyBackward,
  binaryCrossEntropyWithLogits,
  binaryCrossEntropyWithLogitsBackward,
  multilabelSoftMarginLoss,
  multilabelSoftMarginLossBackward,
  softMarginLoss,
  softMarginLossBackward,
  tensor,
  tripletMarginLossBackward,
  type Tensor,
} from '../ts/index.ts';
import { cosineSimilarity, cosineSimilarityBackward } from '../ts/cosine-similarity.ts';
import { cosineEmbeddingLoss, cosineEmbeddingLossBackward } from '../ts/losses/cosine_embedding_loss.ts';
import { pairwiseDistanceBackward } from '../ts/pairwise-distance.ts';
import { useFloat32Kernels } from '../ts/wasm/float32-kernels.ts';

const STEMS = ['triplet_margin_loss', 'triplet_margin_with_distance_loss', 'cosine_embedding_loss'];
const goldens = loadGoldens(GOLDEN_DIR).filter((g) => STEMS.includes(g.golden.loss));

const dtypeOf = (t: Tensor) => (t.data instanceof Float32Array ? 'float32' : t.data instanceof Float64Array ? 'float64' : 'int');

/** The first element where `got` differs from torch's (float32 values rounded from their JSON decimals), or null. */
function firstDifference(got: Tensor, want: TensorJson): string | null {
  if (dtypeOf(got) !== want.dtype) return `dtype ${dtypeOf(got)}, torch's ${want.dtype}`;
  const w = tensorValues(want);
  for (let i = 0; i < w.length; i++) {
    const g = got.data[i]!;
    const x = want.dtype === 'float32' ? Math.fround(w[i]!) : w[i]!;
    if (!(Object.is(g, x) || g === x || (g !== g && x !== x))) return `element ${i}: ${g}, torch's ${x}`;
  }
  return null;
}

test('golden files of the three losses for the four releases (and 2.14 at avx512), with mixed-dtype cases', () => {
  expect(goldens.length).toBe(15);
  for (const g of goldens) expect(g.golden.cases.filter((c) => c.tags.includes('mixed')).length, g.file).toBeGreaterThanOrEqual(25);
});

for (const kernels of [true, false]) {
  describe(`float32 path: ${kernels ? 'kernels' : 'JS loops'}`, () => {
    beforeAll(() => useFloat32Kernels(kernels));
    afterAll(() => useFloat32Kernels(true));
    for (const g of goldens) {
      test(`torch ${goldenSetLabel(g.golden)} ${g.golden.loss}: every case bit for bit`, () => {
        const entry = lossEntry(g.golden.loss);
        const differences: string[] = [];
        for (const c of g.golden.cases) {
          if (c.error || !c.output) continue;
          const options = portOptions(c.kwargs, g.golden.torch, g.golden.environment.cpu_capability, entry);
          const args = caseArgs(entry, c);
          const out = firstDifference(entry.forward(...args, options), c.output);
          if (out) differences.push(`${c.id} output: ${out}`);
          if (!c.grads || c.grad_error) continue;
          const grads = gradsByName(entry, entry.backward(toTensor(c.grad_output!) as Tensor, ...args, options));
          for (const [name, want] of Object.entries(c.grads)) {
            const d = firstDifference(grads[name]!, want);
            if (d) differences.push(`${c.id} grad ${name}: ${d}`);
          }
        }
        expect(differences).toEqual([]);
      });
    }
  });
}

describe('the dtypes torch gives (measured in 1.7, 1.13, 2.6 and 2.14.1)', () => {
  const f32 = (v: number[], shape: number[]) => ({ data: Float32Array.from(v), shape });
  const f64 = (v: number[], shape: number[]) => ({ data: Float64Array.from(v), shape });
  const a = f32([0.5, -1.25, 2, 0.1, 3, -0.7], [2, 3]);
  const p = f64([0.1, 0.2, -0.3, 1.1, -2.2, 0.3], [2, 3]);
  const n = f32([1, 0.5, -0.5, 0.25, 0.3, 0.9], [2, 3]);
  for (const torchVersion of ['1.7.0a0', '1.13.0a0', '2.6.0+debian', '2.14.1+debian']) {
    test(`torch ${torchVersion}: float64 results, each gradient in its argument's dtype`, () => {
      const g = tripletMarginLossBackward(tensor(1, { dtype: 'float64' }), a, p, n, { swap: true, torchVersion });
      expect([g.anchor, g.positive, g.negative].map(dtypeOf)).toEqual(['float32', 'float64', 'float32']);
      const go = { data: new Float64Array([1, 0.5]), shape: [2] };
      expect(Object.values(pairwiseDistanceBackward(go, a, p, { torchVersion })).map(dtypeOf)).toEqual(['float32', 'float64']);
      expect(dtypeOf(cosineSimilarity(a, p, { torchVersion }))).toBe('float64');
      expect(Object.values(cosineSimilarityBackward(go, a, p, { torchVersion })).map(dtypeOf)).toEqual(['float32', 'float64']);
      for (const target of [f32([1, -1], [2]), f64([1, -1], [2]), { data: new Int32Array([1, -1]), shape: [2] }]) {
        expect(dtypeOf(cosineEmbeddingLoss(p, n, target, { torchVersion }))).toBe('float64');
        const ge = cosineEmbeddingLossBackward(tensor(1, { dtype: 'float64' }), p, n, target, { torchVersion });
        expect([ge.input1, ge.input2].map(dtypeOf)).toEqual(['float64', 'float32']);
      }
    });
  }
});

// BCEWithLogits, BCE, SoftMargin and MultiLabelSoftMargin with an argument of the other float dtype
// (each op in its own dtype: ts/mixed-ops.ts). Measured in 1.7, 1.13, 2.6, 2.13 and 2.14.1.
describe('elementwise losses with mixed dtypes: the dtypes torch gives', () => {
  const f32 = (v: number[], shape: number[]) => ({ data: Float32Array.from(v), shape });
  const f64 = (v: number[], shape: number[]) => ({ data: Float64Array.from(v), shape });
  const x32 = f32([0.5, -1.25, 2, 0.1, 3, -0.7], [2, 3]);
  const x64 = f64([0.5, -1.25, 2, 0.1, 3, -0.7], [2, 3]);
  const p32 = f32([0.5, 0.25, 0.9, 0.1, 0.3, 0.7], [2, 3]);
  const p64 = f64([0.5, 0.25, 0.9, 0.1, 0.3, 0.7], [2, 3]);
  const t32 = f32([1, 0, 0.5, 0.25, 1, 0], [2, 3]);
  const t64 = f64([1, 0, 0.5, 0.25, 1, 0], [2, 3]);
  const w32 = f32([0.5, 2, 1.5], [3]);
  const w64 = f64([0.5, 2, 1.5], [3]);
  const go = (t: Tensor) => (t.data instanceof Float64Array ? tensor(1, { dtype: 'float64' }) : tensor(1));
  for (const torchVersion of ['1.7.0a0', '1.13.0a0', '2.6.0+debian', '2.14.1+debian']) {
    test(`torch ${torchVersion}`, () => {
      const o = { torchVersion };
      // the loss is built in place on (1 - target): the target's dtype
      for (const [x, y, opts, want] of [
        [x32, t64, {}, 'float64'],
        [x64, t32, {}, 'float32'],
        [x32, t32, { posWeight: w64 }, 'float32'],
        [x32, t32, { weight: w64 }, 'float32'],
        [x64, t64, { weight: w32, posWeight: w32 }, 'float64'],
      ] as const) {
        const out = binaryCrossEntropyWithLogits(x, y, { ...opts, ...o });
        expect(dtypeOf(out)).toBe(want);
        expect(dtypeOf(binaryCrossEntropyWithLogitsBackward(go(out), x, y, { ...opts, ...o }))).toBe(dtypeOf(x));
      }
      // in place on the input's loss: the input's dtype; a target of the other dtype is refused
      for (const [x, w] of [
        [p32, w64],
        [p64, w32],
      ] as const) {
        const y = x === p32 ? p32 : p64;
        expect(dtypeOf(binaryCrossEntropy(x, y, { weight: w, ...o }))).toBe(dtypeOf(x));
        expect(dtypeOf(binaryCrossEntropyBackward(tensor(1, { dtype: dtypeOf(x) as 'float32' }), x, y, { weight: w, ...o }))).toBe(
          dtypeOf(x),
        );
      }
      expect(() => binaryCrossEntropy(p32, p64, o)).toThrow(/Found dtype Double but expected Float/);
      expect(() => binaryCrossEntropy(p64, p32, o)).toThrow(/Found dtype Float but expected Double/);
      for (const [x, y] of [
        [x32, t64],
        [x64, t32],
      ] as const) {
        expect(dtypeOf(softMarginLoss(x, y, o))).toBe(dtypeOf(x));
        expect(dtypeOf(softMarginLossBackward(go(x), x, y, o))).toBe(dtypeOf(x));
      }
      // 1.7's backward asserts on a float64 target broadcast against a float32 input
      const broadcastTarget = () => softMarginLossBackward(tensor(1), x32, w64, o);
      if (torchVersion === '1.7.0a0') expect(broadcastTarget).toThrow(/needs_dynamic_casting/);
      else expect(dtypeOf(broadcastTarget())).toBe('float32');
      // out of place throughout: result_type of the arguments
      for (const [x, y, weight, want] of [
        [x32, t64, undefined, 'float64'],
        [x32, t32, w64, 'float64'],
        [x64, t32, w32, 'float64'],
        [x32, tensor(0.5, { dtype: 'float64' }), undefined, 'float32'],
      ] as const) {
        const opts = weight ? { weight, ...o } : o;
        const out = multilabelSoftMarginLoss(x, y, opts);
        expect(dtypeOf(out)).toBe(want);
        expect(dtypeOf(multilabelSoftMarginLossBackward(go(out), x, y, opts))).toBe(dtypeOf(x));
      }
    });
  }
});

// Their mixed golden cases: every output and gradient in torch's dtype, its values at the golden
// tolerance of the case's dtype, through both float32 paths (a mixed call never reaches the float32
// kernels). Not bit for bit: these four ports' float32 exp / log / log1p (Math's, rounded) and
// float64 ones differ from ATen's SLEEF / glibc in the last bit, in their one-dtype cases too.
const ELEMENTWISE = ['binary_cross_entropy_with_logits', 'binary_cross_entropy', 'soft_margin_loss', 'multilabel_soft_margin_loss'];
const elementwiseGoldens = loadGoldens(GOLDEN_DIR).filter((g) => ELEMENTWISE.includes(g.golden.loss));

test('golden files of the four elementwise losses for the four releases (and 2.14 at avx512), with mixed-dtype cases', () => {
  expect(elementwiseGoldens.length).toBe(20);
  for (const g of elementwiseGoldens)
    expect(g.golden.cases.filter((c) => c.tags.includes('mixed')).length, g.file).toBeGreaterThanOrEqual(30);
});

for (const kernels of [true, false]) {
  describe(`elementwise losses, float32 path: ${kernels ? 'kernels' : 'JS loops'}`, () => {
    beforeAll(() => useFloat32Kernels(kernels));
    afterAll(() => useFloat32Kernels(true));
    for (const g of elementwiseGoldens) {
      test(`torch ${goldenSetLabel(g.golden)} ${g.golden.loss}: every mixed case in torch's dtypes`, () => {
        const entry = lossEntry(g.golden.loss);
        const differences: string[] = [];
        for (const c of g.golden.cases) {
          if (!c.tags.includes('mixed') || c.error || !c.output) continue;
          const options = portOptions(c.kwargs, g.golden.torch, g.golden.environment.cpu_capability, entry);
          const args = caseArgs(entry, c);
          const tol = g.golden.tolerance[c.dtype];
          const check = (what: string, got: Tensor, want: TensorJson) => {
            if (dtypeOf(got) !== want.dtype) differences.push(`${c.id} ${what}: dtype ${dtypeOf(got)}, torch's ${want.dtype}`);
            else if (!compareTensor(got, want, tol, c.dtype).ok) differences.push(`${c.id} ${what}: beyond tolerance`);
          };
          check('output', entry.forward(...args, options), c.output);
          if (!c.grads || c.grad_error) continue;
          const grads = gradsByName(entry, entry.backward(toTensor(c.grad_output!) as Tensor, ...args, options));
          for (const [name, want] of Object.entries(c.grads)) check(`grad ${name}`, grads[name]!, want);
        }
        expect(differences).toEqual([]);
      });
    }
  });
}
