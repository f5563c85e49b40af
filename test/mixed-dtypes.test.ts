// Mixed float32 / float64 arguments (issue 15 F1, F2) in the three vector losses whose ops each run
// in their own dtype: every golden case of triplet_margin_loss, triplet_margin_with_distance_loss and
// cosine_embedding_loss, bit for bit (the golden tests allow assert_close's tolerance, under which a
// float32 intermediate of a float64 loss can hide), each gradient in its argument's dtype, through
// both float32 paths; and the dtypes torch gives, stated outright.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GOLDEN_DIR, caseArgs, gradsByName, loadGoldens, lossEntry, portOptions, toTensor } from '../ts/golden/run.ts';
import { tensorValues, type TensorJson } from '../ts/golden/schema.ts';
import { tensor, tripletMarginLossBackward, type Tensor } from '../ts/index.ts';
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

test('golden files of the three losses for the four releases, with mixed-dtype cases', () => {
  expect(goldens.length).toBe(12);
  for (const g of goldens) expect(g.golden.cases.filter((c) => c.tags.includes('mixed')).length, g.file).toBeGreaterThanOrEqual(25);
});

for (const kernels of [true, false]) {
  describe(`float32 path: ${kernels ? 'kernels' : 'JS loops'}`, () => {
    beforeAll(() => useFloat32Kernels(kernels));
    afterAll(() => useFloat32Kernels(true));
    for (const g of goldens) {
      test(`torch ${g.golden.torch} ${g.golden.loss}: every case bit for bit`, () => {
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
