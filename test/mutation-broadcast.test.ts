// The broadcast helpers (ts/broadcast.ts) against broadcasting written out index by index, as
// torch.broadcast_shapes / Tensor.expand / autograd's sum_to define it: every output element reads
// the source element whose index is the output's with the broadcast (size-1 or missing) dims set
// to 0. The ports reach these helpers only through layouts the goldens cover at a tolerance; here
// each helper is checked exactly, over every rank and layout up to 4-D.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  broadcastOrThrow,
  broadcastShapes,
  broadcastShapesMismatch,
  checkBroadcastableTo,
  inferSizeMismatch,
  expandTo,
  loopOperand,
  rowColOperand,
  rowsAndClasses,
  sumTo,
} from '../ts/broadcast.ts';
import { LossArgumentError, numel, tensor, type Tensor } from '../ts/tensor.ts';
import { FC_RUNS } from './arbitraries.ts';

/** The multi-index of flat index `flat` in a row-major `shape`. */
function unravel(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return index;
}

/** The flat index in `shape` that element `index` of the broadcast shape `full` reads. */
function sourceIndex(index: readonly number[], shape: readonly number[], full: readonly number[]): number {
  let flat = 0;
  for (let d = 0; d < shape.length; d++) {
    const i = shape[d] === 1 ? 0 : index[full.length - shape.length + d]!;
    flat = flat * shape[d]! + i;
  }
  return flat;
}

function referenceExpand(t: Tensor, full: readonly number[]): number[] {
  return Array.from({ length: numel(full) }, (_, k) => t.data[sourceIndex(unravel(k, full), t.shape, full)]!);
}

function referenceSumTo(values: ArrayLike<number>, full: readonly number[], shape: readonly number[]): number[] {
  const out = new Array<number>(numel(shape)).fill(0);
  for (let k = 0; k < values.length; k++) out[sourceIndex(unravel(k, full), shape, full)]! += values[k]!;
  return out;
}

/** A full shape (0-D to 4-D, dims 1..4, some 0) and a shape that broadcasts to it (dims dropped from the front or set to 1). */
const layout = fc
  .array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 })
  .chain((full) =>
    fc
      .tuple(fc.integer({ min: 0, max: full.length }), fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }))
      .map(([drop, ones]) => ({ full, shape: full.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)) })),
  );

const RUNS = { numRuns: Math.max(200, FC_RUNS) };

/** Distinct values 1, 2, 3 ... so a misplaced read shows. */
const iota = (shape: readonly number[], dtype: 'float32' | 'float64' = 'float64') =>
  tensor(
    Float64Array.from({ length: numel(shape) }, (_, i) => i + 1),
    { shape, dtype },
  );

describe('broadcastShapes', () => {
  test('is the shape torch.broadcast_shapes gives, in either order, and null where torch refuses', () => {
    expect(broadcastShapes([4, 1, 3], [2, 1])).toEqual([4, 2, 3]);
    expect(broadcastShapes([2, 1], [4, 1, 3])).toEqual([4, 2, 3]);
    expect(broadcastShapes([], [2, 3])).toEqual([2, 3]);
    expect(broadcastShapes([0, 1], [1, 5])).toEqual([0, 5]);
    expect(broadcastShapes([1], [0])).toEqual([0]);
    expect(broadcastShapes([], [])).toEqual([]);
    // torch.broadcast_shapes((4, 3), (2, 3)): RuntimeError, "The size of tensor a (4) must match ..."
    expect(broadcastShapes([4, 3], [2, 3])).toBeNull();
    expect(broadcastShapes([3], [4, 2])).toBeNull();
    expect(broadcastShapes([0], [2])).toBeNull();
  });

  test('every layout broadcasts to its full shape, both ways round', () => {
    fc.assert(
      fc.property(layout, ({ full, shape }) => {
        expect(broadcastShapes(full, shape)).toEqual(full);
        expect(broadcastShapes(shape, full)).toEqual(full);
      }),
      RUNS,
    );
  });

  test('broadcastOrThrow names the op and the argument; checkBroadcastableTo refuses a shape that would grow the input', () => {
    expect(broadcastOrThrow('op', [2, 1], [3], 'target')).toEqual([2, 3]);
    const refused = () => broadcastOrThrow('multilabelSoftMarginLoss', [4, 3], [4, 2], 'target');
    expect(refused).toThrow(LossArgumentError);
    expect(refused).toThrow(
      'multilabelSoftMarginLoss: target: shapes [4, 3] and [4, 2] do not broadcast: The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1',
    );
    expect(() => checkBroadcastableTo('op', 'weight', [3], [2, 3])).not.toThrow();
    expect(() => checkBroadcastableTo('op', 'weight', [2, 1], [2, 3])).not.toThrow();
    expect(() => checkBroadcastableTo('op', 'weight', [], [])).not.toThrow();
    // torch 1.13 and 2.14: torch.zeros(target).mul_(torch.zeros(shape))
    for (const [shape, target, torch] of [
      [[2, 3], [3], "output with shape [3] doesn't match the broadcast shape [2, 3]"], // grows the rank
      [[4, 3], [1, 3], "output with shape [1, 3] doesn't match the broadcast shape [4, 3]"], // grows a dim
      [[2], [3], 'The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0'], // not broadcastable
      [[1, 1, 3], [2, 3], "output with shape [2, 3] doesn't match the broadcast shape [1, 2, 3]"],
      [[2], [], "output with shape [] doesn't match the broadcast shape [2]"],
      [[3, 4], [2, 1], 'The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0'],
    ] as const) {
      const grows = torch.startsWith('output') ? ' without growing it' : '';
      expect(() => checkBroadcastableTo('bce', 'weight', shape, target)).toThrow(
        `bce: weight shape [${shape.join(', ')}] must broadcast to input shape [${target.join(', ')}]${grows}: ${torch}`,
      );
    }
  });

  // torch._C._infer_size (1.13 and 2.14 alike) and torch.broadcast_shapes (2.14) on the same pairs
  const TORCH_MISMATCHES: [number[], number[], string | null, string | null][] = [
    [
      [4, 3],
      [2, 3],
      'The size of tensor a (4) must match the size of tensor b (2) at non-singleton dimension 0',
      'Attempting to broadcast a dimension of length 2 at -2! Mismatching argument at index 1 had torch.Size([2, 3]); but expected shape should be broadcastable to [4, 3]',
    ],
    [
      [3],
      [4, 2],
      'The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1',
      'Attempting to broadcast a dimension of length 2 at -1! Mismatching argument at index 1 had torch.Size([4, 2]); but expected shape should be broadcastable to [1, 3]',
    ],
    [
      [0],
      [2],
      'The size of tensor a (0) must match the size of tensor b (2) at non-singleton dimension 0',
      'Attempting to broadcast a dimension of length 2 at -1! Mismatching argument at index 1 had torch.Size([2]); but expected shape should be broadcastable to [0]',
    ],
    [
      [3, 1],
      [2, 5],
      'The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0',
      'Attempting to broadcast a dimension of length 2 at -2! Mismatching argument at index 1 had torch.Size([2, 5]); but expected shape should be broadcastable to [3, 5]',
    ],
    [
      [4, 3],
      [2, 1, 2],
      'The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 2',
      'Attempting to broadcast a dimension of length 2 at -1! Mismatching argument at index 1 had torch.Size([2, 1, 2]); but expected shape should be broadcastable to [1, 4, 3]',
    ],
    [
      [2, 1, 4],
      [3, 5],
      'The size of tensor a (4) must match the size of tensor b (5) at non-singleton dimension 2',
      'Attempting to broadcast a dimension of length 5 at -1! Mismatching argument at index 1 had torch.Size([3, 5]); but expected shape should be broadcastable to [2, 1, 4]',
    ],
    [[], [2], null, null],
    [[5, 1, 3], [4, 1], null, null],
  ];
  test.each(TORCH_MISMATCHES)(
    '%j with %j: infer_size and broadcast_shapes say what torch says',
    (a, b, inferSize, broadcastShapesMessage) => {
      expect(inferSizeMismatch(a, b)).toBe(inferSize);
      expect(broadcastShapesMismatch(a, b)).toBe(broadcastShapesMessage);
    },
  );

  test('the mismatch messages are null exactly where broadcastShapes broadcasts', () => {
    const shape = fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 4 });
    fc.assert(
      fc.property(shape, shape, (a, b) => {
        const refused = broadcastShapes(a, b) === null;
        expect(inferSizeMismatch(a, b) !== null).toBe(refused);
        expect(broadcastShapesMismatch(a, b) !== null).toBe(refused);
      }),
      RUNS,
    );
  });
});

describe('expandTo and sumTo', () => {
  test('expandTo reads, for every element of the full shape, the source element broadcasting names', () => {
    fc.assert(
      fc.property(layout, fc.constantFrom('float32' as const, 'float64' as const), ({ full, shape }, dtype) => {
        const t = iota(shape, dtype);
        const out = expandTo(t, full);
        expect(out).toBeInstanceOf(Float64Array);
        expect(Array.from(out)).toEqual(referenceExpand(t, full));
      }),
      RUNS,
    );
  });

  test('expandTo of a tensor already of the full shape is a float64 copy', () => {
    const t = iota([2, 3], 'float32');
    const out = expandTo(t, [2, 3]);
    expect(Array.from(out)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(out.buffer).not.toBe(t.data.buffer);
  });

  test('sumTo adds every element of the full shape into the one it broadcast from, then rounds once', () => {
    fc.assert(
      fc.property(layout, ({ full, shape }) => {
        const values = Float64Array.from({ length: numel(full) }, (_, i) => (i % 7) + 0.25 * i);
        const calls: number[] = [];
        const out = sumTo(values, full, shape, (x) => {
          calls.push(x);
          return x;
        });
        expect(Array.from(out)).toEqual(referenceSumTo(values, full, shape));
        if (!(shape.length === full.length && shape.every((d, i) => d === full[i]))) expect(calls).toEqual(Array.from(out));
      }),
      RUNS,
    );
    // rounding happens after the float64 sum: 1 + 2^-24 + 2^-24 in float64, then fround
    const tiny = 2 ** -24;
    expect(Array.from(sumTo(new Float64Array([1, tiny, tiny]), [3], [1], Math.fround))).toEqual([Math.fround(1 + 2 * tiny)]);
  });

  test('sumTo to the same shape returns the values themselves (nothing to sum, nothing rounded)', () => {
    const values = new Float64Array([0.1, 0.2]);
    expect(sumTo(values, [2], [2], Math.fround)).toBe(values);
  });
});

describe('rowColOperand, loopOperand and rowsAndClasses', () => {
  test('element (row, col) of the operand is element (row, col) of the tensor broadcast to the full shape', () => {
    fc.assert(
      fc.property(layout, ({ full, shape }) => {
        const t = iota(shape);
        const o = rowColOperand(t, full);
        const { rows, classes } = rowsAndClasses(full);
        const expanded = referenceExpand(t, full);
        const [data, rowStride, colStride] = loopOperand(o, 1);
        for (let row = 0; row < rows; row++) {
          for (let col = 0; col < classes; col++) {
            expect(o.data[row * o.rowStride + col * o.colStride]).toBe(expanded[row * classes + col]);
            expect(data[row * rowStride + col * colStride]).toBe(expanded[row * classes + col]);
          }
        }
      }),
      RUNS,
    );
  });

  test('scalars, per-class vectors, per-row columns and full tensors are read in place; other layouts are expanded once', () => {
    const full = [2, 3, 4];
    for (const shape of [[], [4], [1, 4], [1, 1, 4], [2, 3, 1], [2, 3, 4], [1], [3, 1]]) {
      const t = iota(shape);
      const o = rowColOperand(t, full);
      const inPlace = !(shape.length === 2 && shape[0] === 3);
      expect(o.data === t.data, `shape [${shape}]`).toBe(inPlace);
    }
    expect(rowColOperand(iota([3, 1]), full)).toMatchObject({ rowStride: 4, colStride: 1 });
    expect(rowColOperand(iota([2, 3, 1]), full)).toMatchObject({ rowStride: 1, colStride: 0 });
    expect(rowColOperand(iota([4]), full)).toMatchObject({ rowStride: 0, colStride: 1 });
    expect(rowColOperand(iota([]), [])).toMatchObject({ rowStride: 0, colStride: 1 });
  });

  test('a missing operand reads as the constant; rows x classes of 0-d, empty and N-D shapes', () => {
    const [data, rowStride, colStride] = loopOperand(null, 1);
    expect([Array.from(data), rowStride, colStride]).toEqual([[1], 0, 0]);
    expect(Array.from(loopOperand(null, 0.5)[0])).toEqual([0.5]);
    expect(rowsAndClasses([])).toEqual({ rows: 1, classes: 1 });
    expect(rowsAndClasses([5])).toEqual({ rows: 1, classes: 5 });
    expect(rowsAndClasses([2, 3, 4])).toEqual({ rows: 6, classes: 4 });
    expect(rowsAndClasses([3, 0])).toEqual({ rows: 0, classes: 0 });
    expect(rowsAndClasses([0, 3])).toEqual({ rows: 0, classes: 3 });
  });
});
