// nll_loss's reductions (torch >= 1.9's cascade of partial sums) against a plain transcription of
// torch's loop (LossNLL.cpp nll_loss_out_frame, one target after another): the port sums level 0
// a block at a time, two blocks at once, and redoes a block that continues the one before it (an
// ignored target at a level-up). Bit for bit, float32 and float64, with and without a weight.

import { describe, expect, test } from 'vitest';
import { nllLoss } from '../ts/losses/nll_loss.ts';
import type { IndexTensor, Tensor } from '../ts/tensor.ts';

const LEVELS = 8;
const ceilLog2 = (x: number) => (x <= 2 ? 1 : Math.ceil(Math.log2(x)));

/** torch's loop as written: [loss, total weight] ('mean' divides them). */
function reference(
  x: ArrayLike<number>,
  labels: Int32Array,
  w: ArrayLike<number> | null,
  C: number,
  ignore: number,
  r: (v: number) => number,
) {
  const count = labels.length;
  const levelPower = Math.max(4, Math.floor(ceilLog2(count) / LEVELS));
  const levelMask = 2 ** levelPower - 1;
  const lossP = new Array<number>(LEVELS).fill(0);
  const weightP = new Array<number>(LEVELS).fill(0);
  let ignored = 0;
  for (let b = 0; b < count; b++) {
    const t = labels[b]!;
    if (t === ignore) {
      ignored++;
      continue;
    }
    const v = x[b * C + t]!;
    if (w) {
      lossP[0] = r(lossP[0]! - r(v * w[t]!));
      weightP[0] = r(weightP[0]! + w[t]!);
    } else lossP[0] = r(lossP[0]! - v);
    for (let j = 0; j + 1 < LEVELS; j++) {
      if (Math.floor(b / 2 ** (j * levelPower)) % (levelMask + 1) !== 0) break;
      weightP[j + 1] = r(weightP[j + 1]! + weightP[j]!);
      lossP[j + 1] = r(lossP[j + 1]! + lossP[j]!);
      weightP[j] = 0;
      lossP[j] = 0;
    }
  }
  let loss = 0;
  let total = 0;
  for (let j = 0; j < LEVELS; j++) {
    loss = r(loss + lossP[j]!);
    total = r(total + weightP[j]!);
  }
  return [loss, w ? total : r(count - ignored)] as const;
}

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const bits = (v: number) => (Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : String(v));

describe('nll_loss cascade sums', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    test(`${dtype}: blocks summed two at a time equal torch's one loop`, () => {
      const r = dtype === 'float32' ? Math.fround : (v: number) => v;
      const Arr = dtype === 'float32' ? Float32Array : Float64Array;
      const rand = rng(dtype === 'float32' ? 7 : 8);
      const C = 5;
      // counts around the 16-target blocks and past a level-power change (ceilLog2 >= 40 is out of reach; 16 throughout)
      const counts = [0, 1, 2, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 65, 255, 256, 257, 1000, 4111, 4113, 20000];
      let checked = 0;
      for (const count of counts) {
        for (let trial = 0; trial < 6; trial++) {
          const x = new Arr(count * C);
          for (let i = 0; i < x.length; i++) x[i] = (rand() - 0.5) * 10 ** Math.floor(rand() * 8 - 4);
          if (trial === 5) for (let i = 0; i < x.length; i += 97) x[i] = [Infinity, -Infinity, NaN, -0][i % 4]!;
          const ignore = trial % 2 === 0 ? -100 : 2;
          // ignored targets: none, random, at every level-up (multiples of 16), or runs of them
          const labels = new Int32Array(count);
          for (let i = 0; i < count; i++) {
            let t = Math.floor(rand() * C);
            if (trial === 1 && rand() < 0.3) t = ignore;
            if (trial === 2 && i % 16 === 0 && rand() < 0.7) t = -100;
            if (trial === 3 && Math.floor(i / 16) % 3 === 1) t = ignore;
            if (trial === 4 && (i % 16 === 0 || rand() < 0.1)) t = ignore;
            labels[i] = t;
          }
          let w: Float32Array | Float64Array | null = null;
          if (trial % 3 !== 2) {
            w = new Arr(C);
            for (let c = 0; c < C; c++) w[c] = c === 4 ? -0 : rand() * 3;
          }
          const input: Tensor = { data: x, shape: [count, C] };
          const target: IndexTensor = { data: labels, shape: [count] };
          const weight: Tensor | null = w && { data: w, shape: [C] };
          const [loss, total] = reference(x, labels, w, C, ignore, r);
          for (const reduction of ['sum', 'mean'] as const) {
            const got = nllLoss(input, target, { reduction, weight, ignoreIndex: ignore, torchVersion: '2.6.0' }).data[0]!;
            const want = reduction === 'sum' ? loss : r(loss / total);
            expect(bits(got), `${dtype} count ${count} trial ${trial} ${reduction}`).toBe(bits(want));
            checked++;
          }
        }
      }
      expect(checked).toBe(counts.length * 6 * 2);
    });
  }

  test('a target out of bounds anywhere (a block, the tail, a block summed again) raises the first one, as before the loop', () => {
    const C = 3;
    for (const count of [1, 17, 70, 1000]) {
      for (const at of [0, 1, 16, 17, 18, ...[1, 2, 3, 4, 5, 6, 7].map((e) => Math.floor((count * e) / 8)), count - 1]) {
        if (at >= count) continue;
        for (const bad of [-1, C, 7, -101]) {
          const labels = new Int32Array(count).fill(1);
          labels[at] = bad;
          if (at + 1 < count && bad === 7) labels[count - 1] = 99; // a later bad one: not the one reported
          if (at === 17) labels[16] = -100; // block 2 continues block 1 (summed again)
          const x = new Float32Array(count * C).fill(-0.5);
          for (const weight of [null, { data: new Float32Array(C).fill(2), shape: [C] }]) {
            for (const reduction of ['mean', 'sum', 'none'] as const) {
              expect(
                () => nllLoss({ data: x, shape: [count, C] }, { data: labels, shape: [count] }, { reduction, weight }),
                `count ${count} at ${at} bad ${bad} ${reduction}`,
              ).toThrow(`Target ${bad} is out of bounds.`);
            }
          }
        }
      }
    }
  });
});
