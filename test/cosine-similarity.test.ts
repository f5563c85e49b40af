// cosineSimilarity and cosineSimilarityBackward against F.cosine_similarity's values and gradients
// computed by real torch 1.7, 1.13, 2.6 and 2.14 (test/fixtures/cosine-similarity-*.json, written by
// python/cosine_similarity_fixture.py under ATEN_CPU_CAPABILITY=avx2, one thread): every value and
// gradient bit for bit (the sign of zero included), and torch's errors with its type and message.

import { readFileSync, readdirSync } from 'node:fs';
import { expect, test } from 'vitest';
import { cosineSimilarity, cosineSimilarityBackward, type CosineSimilarityOptions } from '../ts/cosine-similarity.ts';
import { LossArgumentError, type Tensor } from '../ts/tensor.ts';

type Encoded = number | 'nan' | 'inf' | '-inf';
interface FixtureCase {
  name: string;
  dtype: 'float32' | 'float64';
  kwargs: { dim: number; eps?: number };
  x1: { shape: number[]; values: Encoded[] };
  x2: { shape: number[]; values: Encoded[] };
  output?: { shape: number[]; values: Encoded[] };
  grad_output?: Encoded[];
  grads?: { x1: Encoded[]; x2: Encoded[] };
  error?: { type: string; message: string };
}

const decode = (v: Encoded): number => (v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v);
const fixtures = new URL('./fixtures/', import.meta.url).pathname;
const files = readdirSync(fixtures).filter((f) => f.startsWith('cosine-similarity-'));

test('a fixture for each of the four torch releases', () => {
  expect(files.sort()).toEqual([
    'cosine-similarity-1.13.json',
    'cosine-similarity-1.7.json',
    'cosine-similarity-2.14.json',
    'cosine-similarity-2.6.json',
  ]);
});

function tensorOf(dtype: 'float32' | 'float64', t: { shape: number[]; values: Encoded[] }): Tensor {
  const data = dtype === 'float32' ? Float32Array.from(t.values, decode) : Float64Array.from(t.values, decode);
  return { data, shape: t.shape };
}

function expectBits(got: ArrayLike<number>, want: Encoded[], what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const w = decode(want[i]!);
    if (!Object.is(got[i], w)) expect.fail(`${what}[${i}]: ${got[i]} !== torch's ${w}`);
  }
}

for (const file of files) {
  const fixture = JSON.parse(readFileSync(fixtures + file, 'utf8')) as { torch: string; cpu_capability: string; cases: FixtureCase[] };
  for (const c of fixture.cases) {
    test(`torch ${fixture.torch}: ${c.dtype}/${c.name}/${c.x1.shape.join('x') || '0d'}-${c.x2.shape.join('x') || '0d'}/dim=${c.kwargs.dim}`, () => {
      const x1 = tensorOf(c.dtype, c.x1);
      const x2 = tensorOf(c.dtype, c.x2);
      const options: CosineSimilarityOptions = { dim: c.kwargs.dim, torchVersion: fixture.torch, cpuCapability: 'avx2' };
      if (c.kwargs.eps !== undefined) options.eps = c.kwargs.eps;
      if (c.error) {
        let thrown: unknown;
        try {
          cosineSimilarity(x1, x2, options);
        } catch (e) {
          thrown = e;
        }
        expect(thrown).toBeInstanceOf(LossArgumentError);
        const error = thrown as LossArgumentError;
        expect(error.torchErrorType).toBe(c.error.type);
        expect(error.message).toContain(c.error.message);
        return;
      }
      const y = cosineSimilarity(x1, x2, options);
      expect(y.shape).toEqual(c.output!.shape);
      expectBits(y.data, c.output!.values, 'output');
      const g = tensorOf(c.dtype, { shape: c.output!.shape, values: c.grad_output! });
      const grads = cosineSimilarityBackward(g, x1, x2, options);
      expect(grads.x1.shape).toEqual(c.x1.shape);
      expect(grads.x2.shape).toEqual(c.x2.shape);
      expectBits(grads.x1.data, c.grads!.x1, 'grad x1');
      expectBits(grads.x2.data, c.grads!.x2, 'grad x2');
    });
  }
}

test('defaults: dim 1, eps 1e-8, the newest torch', () => {
  const x1 = { data: Float32Array.of(3, 4, 0, 0), shape: [2, 2] };
  const x2 = { data: Float32Array.of(3, 4, 1, 0), shape: [2, 2] };
  const y = cosineSimilarity(x1, x2);
  expect(y.shape).toEqual([2]);
  expect(Array.from(y.data)).toEqual([1, 0]);
});

test('argument errors: TypeError for a non-integer dim, an eps that is not a number and unknown options', () => {
  const x = { data: Float32Array.of(1, 2), shape: [1, 2] };
  const typeOf = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as LossArgumentError).torchErrorType;
    }
    return null;
  };
  expect(typeOf(() => cosineSimilarity(x, x, { dim: 1.5 }))).toBe('TypeError');
  expect(typeOf(() => cosineSimilarity(x, x, { eps: null as unknown as number }))).toBe('TypeError');
  expect(typeOf(() => cosineSimilarity(x, x, { keepdim: true } as unknown as CosineSimilarityOptions))).toBe('TypeError');
  expect(typeOf(() => cosineSimilarityBackward({ data: Float32Array.of(1, 2), shape: [2] }, x, x))).toBe('RuntimeError');
});
