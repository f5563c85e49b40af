// SmoothL1Loss and HuberLoss: what the goldens cannot hold (releases without the loss or option,
// the module classes, warnings), with values real torch gave (1.7, 1.13, 2.6, 2.14).

import { expect, test, vi } from 'vitest';
import { HuberLoss, huberLoss, huberLossBackward } from '../ts/losses/huber_loss.ts';
import { SmoothL1Loss, smoothL1Loss, smoothL1LossBackward } from '../ts/losses/smooth_l1_loss.ts';
import { scalarTail } from '../ts/pointwise-loss.ts';
import { LossArgumentError, tensor } from '../ts/tensor.ts';

const x = tensor([1, 2, 3, 0.5]);
const y = tensor([1, 0, 3.5, 0.5]);
const one = tensor(1);

function thrown(run: () => unknown): LossArgumentError {
  try {
    run();
  } catch (e) {
    if (e instanceof LossArgumentError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

test('beta = 0: the gradient where input == target is -grad in torch 1.13 (the smooth_l1 kernel), 0 in 1.7 and from 2.1 (l1_loss)', () => {
  const grad = (torchVersion: string) => [
    ...smoothL1LossBackward(tensor([1, 1, 1, 1]), x, y, { beta: 0, reduction: 'none', torchVersion }).data,
  ];
  expect(grad('1.13.0a0')).toEqual([-1, 1, -1, -1]);
  for (const v of ['1.7.0a0', '1.12.1', '2.1.0', '2.6.0+debian', '2.14.1+debian']) expect(grad(v), v).toEqual([0, 1, -1, 0]);
  expect(grad('2.0.1')).toEqual([-1, 1, -1, -1]);
  expect([...smoothL1Loss(x, y, { beta: 0, reduction: 'none' }).data]).toEqual([0, 2, 0.5, 0]);
  expect(smoothL1Loss(x, y, { beta: 0 }).data[0]).toBe(0.625);
});

test('beta before torch 1.7 and huber_loss before 1.9 are what those releases lack', () => {
  const e = thrown(() => smoothL1Loss(x, y, { beta: 0.5, torchVersion: '1.6.0' }));
  expect(e.torchErrorType).toBe('TypeError');
  expect(e.message).toMatch(/smooth_l1_loss\(\) got an unexpected keyword argument 'beta'/);
  expect(smoothL1Loss(x, y, { torchVersion: '1.6.0' }).data[0]).toBeCloseTo(0.40625, 7);
  for (const run of [() => huberLoss(x, y, { torchVersion: '1.8.1' }), () => huberLossBackward(one, x, y, { torchVersion: '1.7.0a0' })]) {
    const h = thrown(run);
    expect(h.torchErrorType).toBe('AttributeError');
    expect(h.message).toMatch(
      /huber_loss was added in torch 1\.9 \(pytorch#50553\).*module 'torch\.nn\.functional' has no attribute 'huber_loss'/,
    );
  }
  expect(huberLoss(x, y, { torchVersion: '1.9.0' }).data[0]).toBe(0.40625);
  const w = thrown(() => huberLoss(x, y, { weight: tensor([1, 1, 1, 1]), torchVersion: '2.5.1' }));
  expect([w.torchErrorType, w.message]).toEqual([
    'TypeError',
    expect.stringMatching(/huber_loss\(\) got an unexpected keyword argument 'weight'/),
  ]);
});

test('option errors carry torch type and wording, in functional.py order (shape, reduction, then beta / delta)', () => {
  const cases: [() => unknown, string, RegExp][] = [
    [() => smoothL1Loss(x, y, { beta: -1 }), 'RuntimeError', /smooth_l1_loss does not support negative values for beta\./],
    [() => smoothL1Loss(x, y, { beta: Number.NaN }), 'RuntimeError', /does not support negative values for beta/],
    [() => smoothL1Loss(x, y, { beta: '1' as unknown as number }), 'TypeError', /argument 'beta' \(position 4\) must be float, not str/],
    [() => huberLoss(x, y, { delta: 0 }), 'RuntimeError', /huber_loss does not support non-positive values for delta\./],
    [
      () => huberLoss(x, y, { delta: null as unknown as number }),
      'TypeError',
      /argument 'delta' \(position 4\) must be float, not NoneType/,
    ],
    [
      () => huberLoss(x, tensor([1, 2]), { delta: 0, reduction: 'bad' as 'sum' }),
      'RuntimeError',
      /The size of tensor a \(4\) must match the size of tensor b \(2\) at non-singleton dimension 0/,
    ],
    [() => huberLoss(x, y, { delta: 0, reduction: 'bad' as 'sum' }), 'ValueError', /bad is not a valid value for reduction/],
    [() => huberLoss(x, y, { weight: tensor([1]), delta: 0 }), 'ValueError', /Weights and input must have the same size\./],
    [
      () => huberLoss(x, y, { weight: x, reduction: 'elementwise_mean' }),
      'ValueError',
      /Invalid reduction mode: elementwise_mean\. Expected one of 'none', 'mean', 'sum'\./,
    ],
  ];
  for (const [run, type, message] of cases) {
    const e = thrown(run);
    expect([e.torchErrorType, e.message]).toEqual([type, expect.stringMatching(message)]);
  }
  // beta = True is 1.0 to Python's argument parser, as is the default.
  expect(smoothL1Loss(x, y, { beta: true as unknown as number }).data[0]).toBe(smoothL1Loss(x, y).data[0]);
});

test('int64 targets: both forwards run; huber_loss backward raises, smooth_l1 from 1.10', () => {
  const t = tensor([1, 2, 3], { dtype: 'int64' });
  const z = tensor([0, 0, 0]);
  expect(huberLoss(z, t).data[0]).toBe(1.5);
  expect(smoothL1Loss(z, t).data[0]).toBe(1.5);
  expect([...smoothL1LossBackward(one, z, t).data]).toEqual([-1 / 3, -1 / 3, -1 / 3].map(Math.fround));
  for (const run of [() => huberLossBackward(one, z, t), () => smoothL1LossBackward(one, z, t, { torchVersion: '1.7.0a0' })]) {
    const e = thrown(run);
    expect([e.torchErrorType, e.message]).toEqual(['RuntimeError', expect.stringMatching(/Found dtype Long but expected Float/)]);
  }
  // torch 1.7 with beta = 0 runs l1_loss_backward, which takes the int64 target.
  expect([...smoothL1LossBackward(one, z, t, { beta: 0, torchVersion: '1.7.0a0' }).data]).toEqual(
    [-1 / 3, -1 / 3, -1 / 3].map(Math.fround),
  );
});

test("huber_loss keeps the input's dtype: a float64 target computes in float64, rounds once to float32; its backward raises", () => {
  const a = tensor([0.1, 2.5, -3]);
  const b = tensor(new Float64Array([0.3, 0.2, 1e-9]));
  const out = huberLoss(a, b, { reduction: 'none' });
  expect(out.data).toBeInstanceOf(Float32Array);
  expect(out.data[0]).toBe(Math.fround(0.5 * (0.3 - Math.fround(0.1)) ** 2));
  expect(smoothL1Loss(a, b).data).toBeInstanceOf(Float64Array);
  const e = thrown(() => huberLossBackward(tensor(new Float32Array([1, 1, 1])), a, b, { reduction: 'none' }));
  expect(e.message).toMatch(/Found dtype Double but expected Float/);
});

test('modules: SmoothL1Loss takes the legacy size_average / reduce; HuberLoss takes neither, nor weight', () => {
  expect([...new SmoothL1Loss({ reduce: false, beta: 0.5 }).forward(x, y).data]).toEqual([
    ...smoothL1Loss(x, y, { reduction: 'none', beta: 0.5 }).data,
  ]);
  expect(new SmoothL1Loss({ sizeAverage: false }).forward(x, y).data[0]).toBe(smoothL1Loss(x, y, { reduction: 'sum' }).data[0]);
  const h = new HuberLoss({ delta: 0.5, reduction: 'sum' });
  expect(h.forward(x, y).data[0]).toBe(huberLoss(x, y, { delta: 0.5, reduction: 'sum' }).data[0]);
  expect([...h.backward(one, x, y).data]).toEqual([...huberLossBackward(one, x, y, { delta: 0.5, reduction: 'sum' }).data]);
  for (const [key, torchName] of [
    ['sizeAverage', 'size_average'],
    ['reduce', 'reduce'],
    ['weight', 'weight'],
  ] as const) {
    const e = thrown(() => new HuberLoss({ [key]: key === 'weight' ? x : true } as never));
    expect([e.torchErrorType, e.message]).toEqual(['TypeError', expect.stringContaining(`unexpected keyword argument '${torchName}'`)]);
  }
});

test("functional.py's UserWarning when the target's size differs (torch's words), from the forward only", () => {
  const emit = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
  try {
    smoothL1Loss(
      tensor([1, 2, 3]),
      tensor([
        [1, 2, 3],
        [0, 0, 0],
      ]),
    );
    huberLoss(tensor(1), tensor([1, 2]));
    huberLossBackward(one, tensor(1), tensor([1, 2]));
    smoothL1Loss(x, y);
    expect(emit.mock.calls).toEqual([
      [
        'Using a target size (torch.Size([2, 3])) that is different to the input size (torch.Size([3])). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.',
        'UserWarning',
      ],
      [
        'Using a target size (torch.Size([2])) that is different to the input size (torch.Size([])). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.',
        'UserWarning',
      ],
    ]);
  } finally {
    emit.mockRestore();
  }
});

test("cpu_kernel_vec's scalar tail: rows coalesce while every operand is contiguous; two broadcast scalars run all scalar", () => {
  expect(scalarTail([40], [[40], [40], 'dense'], 8)).toEqual({ rowLength: 40, vectorEnd: 32 });
  expect(scalarTail([3, 40], [[3, 40], [3, 40], []], 8)).toEqual({ rowLength: 120, vectorEnd: 112 });
  expect(scalarTail([3, 40], [[3, 40], [40], []], 8)).toEqual({ rowLength: 40, vectorEnd: 32 });
  expect(scalarTail([3, 40], [[3, 40], [3, 1], 'dense'], 4)).toEqual({ rowLength: 40, vectorEnd: 40 });
  expect(scalarTail([3, 40], [[3, 40], [3, 1], []], 8)).toEqual({ rowLength: 40, vectorEnd: 0 });
  expect(scalarTail([3, 1, 40], [[1, 1, 40], [3, 1, 40], 'dense'], 8)).toEqual({ rowLength: 40, vectorEnd: 32 });
  expect(scalarTail([], [[], [], []], 8)).toEqual({ rowLength: 1, vectorEnd: 0 });
});
