// ts/pairwise-distance.ts against torch's F.pairwise_distance on adversarial rows
// (test/fixtures/pairwise-distance-<torch>.json, written by python/pairwise_fixture.py with torch 1.7,
// 1.13, 2.6 and 2.14.1 under ATEN_CPU_CAPABILITY=avx2, one thread): the forward bit for bit for
// p = 2, 1, inf, -inf and 0 (the norm kernels' orders and fused multiply-adds), within 1 ULP (float32)
// / 4 ULP (float64) for the powf / pow-based p, the gradients at assert_close's tolerances, and the
// errors with torch's type and message. Also the distance functions of triplet_margin_with_distance_loss.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import {
  cosineDistanceFunction,
  distanceFunctionByName,
  pairwiseDistanceFunction,
  tripletMarginWithDistanceLoss,
  tripletMarginWithDistanceLossBackward,
} from '../ts/losses/triplet_margin_with_distance_loss.ts';
import { tripletMarginLoss, tripletMarginLossBackward } from '../ts/losses/triplet_margin_loss.ts';
import { pairwiseDistance, pairwiseDistanceBackward } from '../ts/pairwise-distance.ts';
import { LossArgumentError, type Tensor } from '../ts/tensor.ts';

const fixtures = join(import.meta.dirname, 'fixtures');
const files = readdirSync(fixtures).filter((f) => f.startsWith('pairwise-distance-'));

interface FixtureCase {
  dtype: 'float32' | 'float64';
  p: number | string;
  eps: number;
  keepdim: boolean;
  kind: string;
  x1: { shape: number[]; b64: string };
  x2: { shape: number[]; b64: string };
  y?: string;
  y_shape?: number[];
  grad_output?: string;
  g1?: string | null;
  g2?: string | null;
  error?: { type: string; message: string };
}

function unpack(b64: string, dtype: 'float32' | 'float64'): Float32Array | Float64Array {
  const bytes = Buffer.from(b64, 'base64');
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return dtype === 'float32' ? new Float32Array(copy.buffer) : new Float64Array(copy.buffer);
}

function ulps(a: number, b: number, dtype: 'float32' | 'float64'): number {
  if (Object.is(a, b) || (a !== a && b !== b) || a === b) return 0;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Infinity;
  if (dtype === 'float32') {
    const i = new Int32Array(new Float32Array([a, b]).buffer);
    return Math.abs(i[0]! - i[1]!);
  }
  const i = new BigInt64Array(new Float64Array([a, b]).buffer);
  return Number(i[0]! > i[1]! ? i[0]! - i[1]! : i[1]! - i[0]!);
}

function close(a: number, b: number, dtype: 'float32' | 'float64'): boolean {
  if ((a !== a && b !== b) || a === b) return true;
  const [rtol, atol] = dtype === 'float32' ? [1.3e-6, 1e-5] : [1e-7, 1e-7];
  return Number.isFinite(a) && Number.isFinite(b) && Math.abs(a - b) <= atol + rtol * Math.abs(b);
}

for (const file of files) {
  const fixture = JSON.parse(readFileSync(join(fixtures, file), 'utf8')) as { torch: string; cases: FixtureCase[] };
  test(`pairwise_distance matches torch ${fixture.torch} (${fixture.cases.length} cases)`, () => {
    const problems: string[] = [];
    for (const [n, c] of fixture.cases.entries()) {
      const p = typeof c.p === 'string' ? Number(c.p.replace('inf', 'Infinity')) : c.p;
      const x1: Tensor = { data: unpack(c.x1.b64, c.dtype), shape: c.x1.shape };
      const x2: Tensor = { data: unpack(c.x2.b64, c.dtype), shape: c.x2.shape };
      const options = { p, eps: c.eps, keepdim: c.keepdim, torchVersion: fixture.torch, cpuCapability: 'avx2' as const };
      const where = `#${n} ${c.dtype} p=${c.p} ${JSON.stringify(c.x1.shape)} ${JSON.stringify(c.x2.shape)} ${c.kind}`;
      if (c.error) {
        try {
          pairwiseDistance(x1, x2, options);
          problems.push(`${where}: no error, torch raised ${c.error.type}: ${c.error.message}`);
        } catch (e) {
          if (!(e instanceof LossArgumentError) || e.torchErrorType !== c.error.type || !e.message.includes(c.error.message)) {
            problems.push(`${where}: threw ${String(e)}, torch raised ${c.error.type}: ${c.error.message}`);
          }
        }
        continue;
      }
      const y = pairwiseDistance(x1, x2, options);
      const want = unpack(c.y!, c.dtype);
      expect(y.shape, where).toEqual(c.y_shape);
      const exactP = [0, 1, 2, Infinity, -Infinity].includes(p);
      const allowed = exactP ? 0 : c.dtype === 'float32' ? 1 : 4;
      for (let i = 0; i < want.length; i++) {
        const u = ulps(y.data[i]!, want[i]!, c.dtype);
        if (u > allowed) problems.push(`${where}: output[${i}] ${y.data[i]} vs torch ${want[i]} (${u} ULP)`);
      }
      const g = pairwiseDistanceBackward({ data: unpack(c.grad_output!, c.dtype), shape: c.y_shape! }, x1, x2, options);
      for (const [name, got, w] of [
        ['x1', g.x1, c.g1],
        ['x2', g.x2, c.g2],
      ] as const) {
        const wantG = w === null || w === undefined ? new Float64Array(got.data.length) : unpack(w, c.dtype);
        for (let i = 0; i < wantG.length; i++) {
          if (!close(got.data[i]!, wantG[i]!, c.dtype)) problems.push(`${where}: grad ${name}[${i}] ${got.data[i]} vs torch ${wantG[i]}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
}

const t = (values: number[], shape: number[]): Tensor => ({ data: Float32Array.from(values), shape });

test('the built-in distance functions: the default is pairwise_distance, cosine is 1 - cosine_similarity, both differentiable', () => {
  const a = t([1, 2, 3, 4, 5, 6], [2, 3]);
  const p = t([1, 2.5, 3, 4, 4, 7], [2, 3]);
  const n = t([-1, 0, 3, 0, 5, -6], [2, 3]);
  const byDefault = tripletMarginWithDistanceLoss(a, p, n, { reduction: 'none' });
  expect(
    Array.from(tripletMarginWithDistanceLoss(a, p, n, { reduction: 'none', distanceFunction: pairwiseDistanceFunction }).data),
  ).toEqual(Array.from(byDefault.data));
  // the default distance is triplet_margin_loss's (p = 2, eps = 1e-6); the order of the sum differs from 2.0 on only
  expect(Array.from(tripletMarginWithDistanceLoss(a, p, n, { reduction: 'none', torchVersion: '2.6.0' }).data)).toEqual(
    Array.from(tripletMarginLoss(a, p, n, { reduction: 'none', torchVersion: '2.6.0' }).data),
  );
  const gradOutput = t([1, -0.5], [2]);
  const g1 = tripletMarginWithDistanceLossBackward(gradOutput, a, p, n, { reduction: 'none', torchVersion: '2.6.0' });
  const g2 = tripletMarginLossBackward(gradOutput, a, p, n, { reduction: 'none', torchVersion: '2.6.0' });
  for (const k of ['anchor', 'positive', 'negative'] as const) expect(Array.from(g1[k].data)).toEqual(Array.from(g2[k].data));
  const d = cosineDistanceFunction(a, n);
  expect(d.shape).toEqual([2]);
  expect(distanceFunctionByName('cosine')).toBe(cosineDistanceFunction);
  expect(distanceFunctionByName('pairwise')).toBe(pairwiseDistanceFunction);
  expect(distanceFunctionByName(null)).toBe(null);
  const gc = tripletMarginWithDistanceLossBackward(t([1], []), a, p, n, { distanceFunction: cosineDistanceFunction, swap: true });
  expect(gc.anchor.shape).toEqual([2, 3]);
});

test('a distance function without a backward: the forward runs, the backward names the op and the argument', () => {
  const a = t([1, 2, 3, 4, 5, 6], [2, 3]);
  const p = t([1, 2.5, 3, 4, 4, 7], [2, 3]);
  const n = t([-1, 0, 3, 0, 5, -6], [2, 3]);
  const l1 = (x1: Tensor, x2: Tensor) => pairwiseDistance(x1, x2, { p: 1 });
  const y = tripletMarginWithDistanceLoss(a, p, n, { distanceFunction: l1 });
  expect(y.shape).toEqual([]);
  let thrown: unknown;
  try {
    tripletMarginWithDistanceLossBackward(t([1], []), a, p, n, { distanceFunction: l1 });
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(LossArgumentError);
  expect((thrown as LossArgumentError).torchErrorType).toBe('TypeError');
  expect((thrown as LossArgumentError).message).toMatch(/^tripletMarginWithDistanceLossBackward: distanceFunction has no backward/);
  // with a backward attached, it differentiates
  const l1WithBackward = Object.assign(l1, {
    backward: (g: Tensor, x1: Tensor, x2: Tensor) => pairwiseDistanceBackward(g, x1, x2, { p: 1 }),
  });
  const g = tripletMarginWithDistanceLossBackward(t([1], []), a, p, n, { distanceFunction: l1WithBackward });
  expect(g.negative.shape).toEqual([2, 3]);
  expect(() => tripletMarginWithDistanceLoss(a, p, n, { distanceFunction: 3 as never })).toThrow(/distanceFunction must be a function/);
});

test('triplet_margin_with_distance_loss is in every release from 1.7; before, an AttributeError', () => {
  const a = t([1, 2, 3], [1, 3]);
  expect(() => tripletMarginWithDistanceLoss(a, a, a, { torchVersion: '1.6.0' })).toThrow(
    expect.objectContaining({ torchErrorType: 'AttributeError' }),
  );
  expect(tripletMarginWithDistanceLoss(a, a, a, { torchVersion: '1.7.0' }).shape).toEqual([]);
});

test('swap never lowers the triplet loss (min(d(a, n), d(p, n)) <= d(a, n)); beyond the margin the loss and its gradient are 0', () => {
  const a = t([0, 0, 1, 1, 2, -1], [3, 2]);
  const p = t([0.1, 0, 1, 1.5, 2, -1.2], [3, 2]);
  const n = t([3, 3, -4, 1, 2.1, -0.9], [3, 2]);
  const plain = tripletMarginLoss(a, p, n, { reduction: 'none' }).data;
  const swapped = tripletMarginLoss(a, p, n, { reduction: 'none', swap: true }).data;
  for (let i = 0; i < plain.length; i++) expect(swapped[i]!).toBeGreaterThanOrEqual(plain[i]!);
  const far = t([100, 100, -100, 100, 100, -100], [3, 2]);
  expect(Array.from(tripletMarginLoss(a, p, far, { reduction: 'none' }).data)).toEqual([0, 0, 0]);
  const g = tripletMarginLossBackward(t([1, 1, 1], [3]), a, p, far, { reduction: 'none' });
  expect(Array.from(g.anchor.data).every((v) => v === 0)).toBe(true);
});
