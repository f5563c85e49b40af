// Inputs torch accepts that the ports once rejected, torch's error order, and bad or enormous input
// that must be a clear LossArgumentError before any work (issue 16, sections 3 and 4). Expected
// values come from torch 1.13 (/usr/bin/python3, Debian's python3-torch) unless computed by a port.

import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, test } from 'vitest';
import {
  BCELoss,
  BCEWithLogitsLoss,
  LossArgumentError,
  MAX_ELEMENTS,
  MultiLabelMarginLoss,
  MultiLabelSoftMarginLoss,
  SoftMarginLoss,
  binaryCrossEntropy,
  binaryCrossEntropyBackward,
  binaryCrossEntropyWithLogits as bce,
  binaryCrossEntropyWithLogitsBackward as bceBackward,
  huberLoss,
  multilabelMarginLoss,
  multilabelMarginLossBackward,
  multilabelSoftMarginLoss as mlsml,
  multilabelSoftMarginLossBackward as mlsmlBackward,
  softMarginLoss,
  softMarginLossBackward,
  tensor,
  torchRelease,
  type Tensor,
} from '../ts/index.ts';
import { ARENA_CAP_BYTES, float32Kernels, useFloat32Kernels, useKernelArenaCap } from '../ts/wasm/float32-kernels.ts';
import { captureWarnings } from '../ts/warnings.ts';

// Tests that spawn a process cover nothing Stryker can mutate in this one (and time out on a loaded
// machine): the mutation suite (vitest.mutation.config.ts sets TORCH_PARITY_MUTATION_SUITE) leaves them out.
const spawning = test.skipIf(process.env.TORCH_PARITY_MUTATION_SUITE === '1');

const ROOT = new URL('..', import.meta.url).pathname;

afterEach(() => useFloat32Kernels(true));

/** The LossArgumentError `call` throws (fails the test if it throws anything else or nothing). */
function thrown(call: () => unknown): LossArgumentError {
  try {
    call();
  } catch (e) {
    expect(e).toBeInstanceOf(LossArgumentError);
    return e as LossArgumentError;
  }
  throw new Error('expected a LossArgumentError, nothing was thrown');
}

const bothPaths = (name: string, body: () => void) => {
  for (const kernels of [true, false]) {
    test(`${name} [${kernels ? 'kernels' : 'JS loops'}]`, () => {
      useFloat32Kernels(kernels);
      body();
    });
  }
};

describe('integer (torch.long) targets', () => {
  bothPaths('soft_margin_loss and multilabel_soft_margin_loss convert them to the input dtype (torch 1.13 values)', () => {
    const torch113 = { torchVersion: '1.13.0a0' };
    expect(softMarginLoss(tensor([0.5]), tensor([1], { dtype: 'int64' }), torch113).data[0]).toBe(0.4740769863128662);
    const x = tensor([[0.5, -1, 2]]);
    expect(mlsml(x, tensor([[1, 0, 1]], { dtype: 'int64' }), torch113).data[0]).toBe(0.3047555685043335);
    expect(Array.from(mlsmlBackward(tensor(1), x, tensor([[1, 0, 1]], { dtype: 'int64' }), torch113).data)).toEqual([
      -0.12584689259529114, 0.08964714407920837, -0.039734307676553726,
    ]);
    const s = tensor([0.5, -1, 2]);
    const labels = tensor([1, -1, 3], { dtype: 'int64' });
    const sum113 = { ...torch113, reduction: 'sum' } as const;
    expect(softMarginLoss(s, labels, sum113).data[0]).toBe(0.789814293384552);
    expect(Array.from(softMarginLossBackward(tensor(1), s, labels, sum113).data)).toEqual([
      -0.3775406777858734, 0.2689414322376251, -0.007417870219796896,
    ]);
    // a float64 input computes in float64, as the same float target does
    const x64 = tensor([[0.5, -1, 2]], { dtype: 'float64' });
    expect(mlsml(x64, tensor([[1, 0, 1]], { dtype: 'int64' })).data).toEqual(mlsml(x64, tensor([[1, 0, 1]], { dtype: 'float64' })).data);
    expect(new SoftMarginLoss().forward(s, labels).data).toEqual(softMarginLoss(s, tensor([1, -1, 3])).data);
    expect(
      new MultiLabelSoftMarginLoss({ reduction: 'none' }).backward(tensor([2]), x, tensor([[1, 0, 1]], { dtype: 'int64' })).data,
    ).toEqual(mlsmlBackward(tensor([2]), x, tensor([[1, 0, 1]]), { reduction: 'none' }).data);
  });

  test('BCELoss and BCEWithLogitsLoss reject them with RuntimeError, in torch wording', () => {
    const long = (values: number[]) => tensor(values, { dtype: 'int64' }) as unknown as Tensor; // their types say Tensor; JS callers can pass anything
    const e1 = thrown(() => binaryCrossEntropy(tensor([0.5]), long([1])));
    expect(e1.torchErrorType).toBe('RuntimeError');
    expect(e1.message).toMatch(/^binaryCrossEntropy: Found dtype Long but expected Float/);
    const e2 = thrown(() => bce(tensor([0.5]), long([1])));
    expect(e2.torchErrorType).toBe('RuntimeError');
    expect(e2.message).toMatch(/^binaryCrossEntropyWithLogits: result type Float can't be cast to the desired output type Long/);
    expect(thrown(() => bceBackward(tensor(1), tensor([0.5]), long([1]))).message).toMatch(
      /^binaryCrossEntropyWithLogitsBackward: result type/,
    );
    expect(thrown(() => binaryCrossEntropyBackward(tensor(1), tensor([0.5], { dtype: 'float64' }), long([1]))).message).toMatch(
      /expected Double/,
    );
    // the shape check (functional.py, ValueError) comes before ATen's dtype check
    expect(thrown(() => bce(tensor([0.5]), long([1, 1]))).torchErrorType).toBe('ValueError');
    expect(thrown(() => binaryCrossEntropy(tensor([0.5]), long([1, 1]))).torchErrorType).toBe('ValueError');
    // and before the input range check
    expect(thrown(() => binaryCrossEntropy(tensor([1.5]), long([1]))).message).toMatch(/Found dtype Long/);
  });
});

describe("torch's check order: the reduction before dtypes", () => {
  test('multilabel_margin_loss: reduction before the target dtype (ValueError, as error_inputs asserts)', () => {
    const e = thrown(() => multilabelMarginLoss(tensor([[0.5]]), tensor([[0]]) as never, { reduction: 'abc' as 'sum' }));
    expect([e.torchErrorType, e.message]).toEqual([
      'ValueError',
      `multilabelMarginLoss: abc is not a valid value for reduction (reduction must be 'none', 'mean' or 'sum', got "abc")`,
    ]);
    const f = thrown(() => multilabelMarginLoss(tensor([[0.5]]), tensor([[0]]) as never));
    expect([f.torchErrorType, f.message]).toEqual([
      'RuntimeError',
      "multilabelMarginLoss: argument 'target' must hold class indices (Int32Array data, torch.long), got a float tensor (torch: expected scalar type Long but found Float)",
    ]);
  });

  test('get_enum runs first in BCELoss, BCEWithLogitsLoss and SoftMarginLoss; MultiLabelSoftMarginLoss checks it last', () => {
    const bad = { reduction: 'abc' as 'sum' };
    expect(thrown(() => binaryCrossEntropy(tensor([0.5]), tensor([1, 2]), bad)).torchErrorType).toBe('ValueError');
    expect(thrown(() => bce(tensor([0.5]), tensor([1], { dtype: 'int64' }) as never, bad)).torchErrorType).toBe('ValueError');
    expect(thrown(() => softMarginLoss(tensor([0.5]), tensor([1, 2]), bad)).torchErrorType).toBe('ValueError');
    // functional.py computes MultiLabelSoftMarginLoss before looking at reduction
    expect(thrown(() => mlsml(tensor([[0.5, -1]]), tensor([1, 0, 1]), bad)).torchErrorType).toBe('RuntimeError');
    expect(thrown(() => mlsml(tensor(0.5), tensor(1), bad)).torchErrorType).toBe('IndexError');
    const e = thrown(() => mlsml(tensor([[0.5, -1]]), tensor([[1, 0]]), bad));
    expect([e.torchErrorType, e.message]).toEqual([
      'ValueError',
      `multilabelSoftMarginLoss: abc is not valid (reduction must be 'none', 'mean' or 'sum', got "abc")`,
    ]);
    expect(thrown(() => mlsmlBackward(tensor(1), tensor([[0.5, -1]]), tensor([[1, 0]]), bad)).torchErrorType).toBe('ValueError');
  });
});

describe('legacy reductions', () => {
  const x = tensor([
    [0.5, -1, 2],
    [0.25, 3, -2],
  ]);
  const p = tensor([
    [0.2, 0.7, 0.9],
    [0.5, 0.1, 0.3],
  ]);
  const y = tensor([
    [1, 0, 1],
    [0, 0.5, 1],
  ]);
  const signs = tensor([
    [1, -1, 1],
    [-1, -1, 1],
  ]);
  const labels = tensor(
    [
      [2, 0, -1],
      [1, -1, 0],
    ],
    { dtype: 'int64' },
  );
  const mean = { reduction: 'elementwise_mean' as const };

  test("'elementwise_mean' is 'mean' (get_enum), except in multilabel_soft_margin_loss, which knows no such value (ValueError)", () => {
    expect(bce(x, y, mean).data).toEqual(bce(x, y).data);
    expect(bceBackward(tensor(1), x, y, mean).data).toEqual(bceBackward(tensor(1), x, y).data);
    expect(binaryCrossEntropy(p, y, mean).data).toEqual(binaryCrossEntropy(p, y).data);
    expect(softMarginLoss(x, signs, mean).data).toEqual(softMarginLoss(x, signs).data);
    expect(multilabelMarginLoss(x, labels, mean).data).toEqual(multilabelMarginLoss(x, labels).data);
    expect(multilabelMarginLossBackward(tensor(1), x, labels, mean).data).toEqual(multilabelMarginLossBackward(tensor(1), x, labels).data);
    const e = thrown(() => mlsml(x, y, mean as never));
    expect([e.torchErrorType, e.message]).toMatchObject([
      'ValueError',
      `multilabelSoftMarginLoss: elementwise_mean is not valid (reduction must be 'none', 'mean' or 'sum', got "elementwise_mean")`,
    ]);
  });

  // nn.<Loss>(size_average=sa, reduce=rd).reduction in torch 1.13, for every class
  const LEGACY: [boolean | null, boolean | null, string][] = [
    [null, null, 'mean'],
    [null, true, 'mean'],
    [null, false, 'none'],
    [true, null, 'mean'],
    [true, true, 'mean'],
    [true, false, 'none'],
    [false, null, 'sum'],
    [false, true, 'sum'],
    [false, false, 'none'],
  ];
  test.each(LEGACY)(
    'module classes map sizeAverage=%s, reduce=%s to %s (legacy_get_string), over any reduction',
    (sizeAverage, reduce, reduction) => {
      const legacy = { sizeAverage, reduce, reduction: 'sum' as const };
      const expected = sizeAverage === null && reduce === null ? 'sum' : reduction; // neither given: reduction stands
      const r = { reduction: expected as 'sum' };
      expect(new BCEWithLogitsLoss(legacy).forward(x, y).data).toEqual(bce(x, y, r).data);
      expect(new BCELoss(legacy).forward(p, y).data).toEqual(binaryCrossEntropy(p, y, r).data);
      expect(new SoftMarginLoss(legacy).forward(x, signs).data).toEqual(softMarginLoss(x, signs, r).data);
      expect(new MultiLabelSoftMarginLoss(legacy).forward(x, y).data).toEqual(mlsml(x, y, r).data);
      expect(new MultiLabelMarginLoss(legacy).forward(x, labels).data).toEqual(multilabelMarginLoss(x, labels, r).data);
      expect(new BCEWithLogitsLoss({ sizeAverage, reduce }).options.reduction).toBe(
        sizeAverage === null && reduce === null ? undefined : reduction,
      );
    },
  );

  test('sizeAverage and reduce must be booleans (or null); the functions take them as torch F.<loss> does, but for the four without them', () => {
    expect(thrown(() => new BCELoss({ sizeAverage: 1 as never })).message).toBe(
      'BCELoss: sizeAverage must be a boolean (or null), got number',
    );
    expect(thrown(() => bce(x, y, { reduce: 1 as never })).message).toBe(
      'binaryCrossEntropyWithLogits: reduce must be a boolean (or null), got number',
    );
    // F.binary_cross_entropy_with_logits(x, y, reduce=False, reduction='bogus'): legacy_get_string wins, with its warning
    const { warnings } = captureWarnings(() => {
      expect(bce(x, y, { reduce: false, reduction: 'bogus' as never }).data).toEqual(bce(x, y, { reduction: 'none' }).data);
      expect(bce(x, y, { sizeAverage: false }).data).toEqual(bce(x, y, { reduction: 'sum' }).data);
      expect(bce(x, y, { sizeAverage: null, reduce: null, reduction: 'sum' }).data).toEqual(bce(x, y, { reduction: 'sum' }).data);
    });
    expect(warnings).toContain("size_average and reduce args will be deprecated, please use reduction='none' instead.");
    expect(warnings).toContain("size_average and reduce args will be deprecated, please use reduction='sum' instead.");
    expect(thrown(() => huberLoss(x, y, { reduce: false })).message).toMatch(/^huberLoss: unknown option 'reduce'/);
  });
});

describe('missing and malformed arguments', () => {
  const x = tensor([[0.5, -1]]);
  const y = tensor([[1, 0]]);
  test('a missing argument names the op and the argument', () => {
    const cases: [() => unknown, string][] = [
      [() => (bce as (a: Tensor) => Tensor)(x), "binaryCrossEntropyWithLogits: argument 'target' is missing"],
      [() => (bce as () => Tensor)(), "binaryCrossEntropyWithLogits: argument 'input' is missing"],
      [() => bceBackward(undefined as never, x, y), "binaryCrossEntropyWithLogitsBackward: argument 'gradOutput' is missing"],
      [() => (bceBackward as (a: Tensor, b: Tensor) => Tensor)(x, y), "binaryCrossEntropyWithLogitsBackward: argument 'target' is missing"],
      [() => mlsmlBackward(undefined as never, x, y), "multilabelSoftMarginLossBackward: argument 'gradOutput' is missing"],
      [() => binaryCrossEntropyBackward(undefined as never, x, y), "binaryCrossEntropyBackward: argument 'gradOutput' is missing"],
      [() => softMarginLossBackward(undefined as never, x, y), "softMarginLossBackward: argument 'gradOutput' is missing"],
      [
        () => multilabelMarginLossBackward(undefined as never, x, tensor([[0, -1]], { dtype: 'int64' })),
        "multilabelMarginLossBackward: argument 'gradOutput' is missing",
      ],
      [() => (multilabelMarginLoss as (a: Tensor) => Tensor)(x), "multilabelMarginLoss: argument 'target' is missing"],
      [() => new BCEWithLogitsLoss().forward(x, undefined as never), "binaryCrossEntropyWithLogits: argument 'target' is missing"],
    ];
    for (const [call, message] of cases) {
      const e = thrown(call);
      expect([e.message, e.torchErrorType]).toEqual([message, 'TypeError']);
    }
  });

  test('null and [] are not the defaults: reduction None is rejected as torch rejects it', () => {
    const e = thrown(() => bce(x, y, { reduction: null as never }));
    expect([e.torchErrorType, e.message]).toEqual([
      'ValueError',
      "binaryCrossEntropyWithLogits: None is not a valid value for reduction (reduction must be 'none', 'mean' or 'sum', got null)",
    ]);
    expect(thrown(() => multilabelMarginLoss(x, tensor([[0, -1]], { dtype: 'int64' }), { reduction: null as never })).torchErrorType).toBe(
      'ValueError',
    );
    // functional.py: reduction + " is not valid" on None is a TypeError
    const n = thrown(() => mlsml(x, y, { reduction: null as never }));
    expect([n.torchErrorType, n.message]).toEqual([
      'TypeError',
      `multilabelSoftMarginLoss: unsupported operand type(s) for +: 'NoneType' and 'str' (functional.py: reduction + " is not valid"; reduction must be 'none', 'mean' or 'sum', got null)`,
    ]);
    // torch 1.13 to 2.14: 'int', 'float', 'bool' for 5, 1.5, True; a list cannot be concatenated with a str
    expect(thrown(() => mlsml(x, y, { reduction: 5 as never })).message).toMatch(
      /: unsupported operand type\(s\) for \+: 'int' and 'str' \(/,
    );
    expect(thrown(() => mlsml(x, y, { reduction: 1.5 as never })).message).toMatch(
      /: unsupported operand type\(s\) for \+: 'float' and 'str' \(/,
    );
    expect(thrown(() => mlsml(x, y, { reduction: true as never })).message).toMatch(
      /: unsupported operand type\(s\) for \+: 'bool' and 'str' \(/,
    );
    expect(thrown(() => mlsml(x, y, { reduction: [1] as never })).message).toMatch(/: can only concatenate list \(not "str"\) to list \(/);
    // get_enum's "{} is not a valid value for reduction" shows Python's str() of the value
    expect(thrown(() => bce(x, y, { reduction: 5 as never })).message).toMatch(
      /^binaryCrossEntropyWithLogits: 5 is not a valid value for reduction \(/,
    );
    expect(thrown(() => bce(x, y, { reduction: true as never })).message).toMatch(
      /^binaryCrossEntropyWithLogits: True is not a valid value/,
    );
    expect(thrown(() => bce(x, y, { reduction: '' as never })).message).toMatch(
      /^binaryCrossEntropyWithLogits: {2}is not a valid value for reduction \(.*got ""\)$/,
    );
    expect(thrown(() => bce(x, y, { cpuCapability: null as never })).message).toBe(
      'binaryCrossEntropyWithLogits: cpuCapability null is not one of default, avx2, avx512',
    );
    expect(thrown(() => bce(x, y, { torchVersion: null as never })).message).toMatch(
      /^binaryCrossEntropyWithLogits: torchVersion null is not a torch.__version__ string/,
    );
    expect(thrown(() => bce(x, y, [] as never)).message).toBe('binaryCrossEntropyWithLogits: options must be an object, got an array');
    expect(thrown(() => new SoftMarginLoss([] as never)).message).toBe('SoftMarginLoss: options must be an object, got an array');
    // weight=None is torch's default
    expect(bce(x, y, { weight: null as never }).data).toEqual(bce(x, y).data);
  });

  test('tensor() rejects an unknown dtype instead of making float64', () => {
    for (const dtype of ['float16', 'Float32', 'int32', null, 5]) {
      expect(thrown(() => tensor([1.1], { dtype: dtype as never })).message).toBe(
        `tensor: dtype ${JSON.stringify(dtype)} is not one of float32, float64, int64`,
      );
    }
    expect(thrown(() => tensor([1.1], [] as never)).message).toBe(
      'tensor: options must be an object, got an array (wrap it with tensor())',
    );
  });
});

describe('enormous inputs: bounded before any work', () => {
  const empty = (rows: number) => tensor(new Float32Array(0), { shape: [rows, 0] });
  test('an empty [2^40, 0] input: MultiLabelSoftMarginLoss needs 2^40 per-sample values (torch cannot allocate them either)', () => {
    const start = performance.now();
    for (const call of [
      () => mlsml(empty(2 ** 40), empty(2 ** 40)),
      () => mlsml(empty(2 ** 40), empty(2 ** 40), { reduction: 'none' }),
      () => mlsmlBackward(tensor(1), empty(2 ** 40), empty(2 ** 40)),
    ]) {
      const e = thrown(call);
      expect(e.message).toMatch(
        /^multilabelSoftMarginLoss(Backward)?: the per-sample loss of shape \[1099511627776\] would hold 1099511627776 elements, more than the 4294967296 \(2\^32\) a typed array can$/,
      );
      expect(e.torchErrorType).toBe('RuntimeError');
    }
    expect(performance.now() - start).toBeLessThan(100);
    // what torch computes for these shapes (mean of nothing: NaN) stays
    expect(softMarginLoss(empty(2 ** 40), empty(2 ** 40)).data[0]).toBeNaN();
    expect(bce(empty(2 ** 40), empty(2 ** 40)).data[0]).toBeNaN();
    expect(mlsmlBackward(tensor([1, 2]), empty(2), empty(2), { reduction: 'none' }).shape).toEqual([2, 0]);
  });

  test('broadcasting that would grow past MAX_ELEMENTS, and shapes that are not safe integers, are named', () => {
    const column = tensor(new Float32Array(2 ** 17), { shape: [2 ** 17, 1] });
    const row = tensor(new Float32Array(2 ** 17), { shape: [1, 2 ** 17] });
    expect(thrown(() => mlsml(column, row)).message).toMatch(
      /^multilabelSoftMarginLoss: the broadcast loss \(input, target and weight\) of shape \[131072, 131072\] would hold 17179869184 elements/,
    );
    expect(thrown(() => tensor([], { shape: [2 ** 53, 0] })).message).toMatch(/^tensor: shape must be an array of non-negative integers/);
    expect(thrown(() => tensor([], { shape: [2 ** 20, 2 ** 20, 2 ** 20] })).message).toMatch(
      /^tensor: a tensor of shape \[1048576, 1048576, 1048576\] would hold/,
    );
    expect(thrown(() => bce({ data: new Float32Array(0), shape: [2 ** 60, 0, 1.5] } as Tensor, empty(0))).message).toMatch(
      /argument 'input' has an invalid shape/,
    );
    expect(MAX_ELEMENTS).toBe(2 ** 32);
  });

  spawning(
    'tensor() of a 1.2e8-element nested array builds the tensor (it aborted Node: "invalid size error")',
    () => {
      const script = `
      import { tensor } from './ts/index.ts';
      const rows = Array.from({ length: 12000 }, (_, i) => new Array(10000).fill(i % 7));
      const t = tensor(rows);
      console.log(JSON.stringify({ shape: t.shape, last: t.data[t.data.length - 1] }));`;
      const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(JSON.parse(out)).toEqual({ shape: [12000, 10000], last: 11999 % 7 });
    },
    60_000,
  );

  test(`the kernels' memory stays under a cap (ARENA_CAP_BYTES, ${ARENA_CAP_BYTES / 2 ** 20} MB): a call that needs more runs the JS loops`, () => {
    const kernels = float32Kernels()!;
    const rows = 300_000; // one class: 'row means' holds one value per row (1.2 MB)
    const x = tensor(
      Float32Array.from({ length: rows }, (_, i) => Math.sin(i) * 3),
      { shape: [rows, 1] },
    );
    const y = tensor(
      Float32Array.from({ length: rows }, (_, i) => (i % 3) / 2),
      { shape: [rows, 1] },
    );
    const before = kernels.exports.memory.buffer.byteLength;
    const cap = useKernelArenaCap(2 ** 20);
    try {
      const fast = mlsml(x, y, { reduction: 'sum' });
      const grad = mlsmlBackward(tensor(1), x, y, { reduction: 'sum' });
      expect(kernels.exports.memory.buffer.byteLength).toBe(before); // grown by neither call
      useFloat32Kernels(false);
      expect(fast.data).toEqual(mlsml(x, y, { reduction: 'sum' }).data);
      expect(grad.data).toEqual(mlsmlBackward(tensor(1), x, y, { reduction: 'sum' }).data);
    } finally {
      useKernelArenaCap(cap);
    }
    expect(cap).toBe(ARENA_CAP_BYTES);
  }, 30_000);
});

describe('options are read once', () => {
  test('a getter that answers differently on later reads cannot slip a bad weight past the checks', () => {
    const x = tensor([
      [0.5, -1, 2],
      [0.25, 3, -2],
    ]);
    const y = tensor([
      [1, 0, 1],
      [0, 0.5, 1],
    ]);
    const good = tensor([1, 2, 3]);
    const short = tensor([4]);
    for (const kernels of [true, false]) {
      useFloat32Kernels(kernels);
      for (const [name, call] of [
        ['bce', bce],
        ['mlsml', mlsml],
        ['bceBackward', (a: Tensor, b: Tensor, o: object) => bceBackward(tensor(1), a, b, o)],
      ] as const) {
        let reads = 0;
        const options = {
          get weight() {
            return reads++ === 0 ? good : short;
          },
          get reduction() {
            return 'sum' as const;
          },
        };
        expect(call(x, y, options).data, `${name} ${kernels}`).toEqual(call(x, y, { weight: good, reduction: 'sum' }).data);
        expect(reads).toBe(1);
      }
    }
  });
});

describe('shared state cannot be changed from outside', () => {
  test('torchRelease() results are frozen, and the cache is bounded', () => {
    const release = torchRelease('2.6.0+debian');
    expect(Object.isFrozen(release)).toBe(true);
    expect(() => {
      (release as { sleefLog1pOverflows: boolean }).sleefLog1pOverflows = false;
    }).toThrow(TypeError);
    expect(softMarginLoss(tensor([-88]), tensor([1]), { torchVersion: '2.6.0+debian', reduction: 'none' }).data[0]).toBe(Infinity);
    expect(torchRelease('2.6.0+debian')).toBe(release); // cached
    for (let i = 0; i < 1000; i++) torchRelease(`2.6.0+build${i}`);
    expect(torchRelease('2.6.0+debian')).not.toBe(release); // evicted: the cache does not keep every version string it saw
    expect(torchRelease('2.6.0+debian')).toEqual(release);
  });

  test('module classes copy and freeze their options at construction (tensors kept by reference)', () => {
    const weight = tensor([1, 2]);
    const options: { weight?: Tensor; reduction?: 'sum' | 'none' } = { weight, reduction: 'sum' };
    const m = new BCEWithLogitsLoss(options);
    const x = tensor([[0.5, -1]]);
    const y = tensor([[1, 0]]);
    const before = m.forward(x, y).data;
    options.reduction = 'none';
    options.weight = tensor([5, 6]);
    expect(m.forward(x, y).data).toEqual(before);
    expect(Object.isFrozen(m.options)).toBe(true);
    expect(m.options.weight).toBe(weight);
    expect(m.options).not.toBe(options);
  });
});

spawning(
  'ts/ is erasable TypeScript (no parameter properties, enums or namespaces), so Node can strip its types',
  () => {
    // Node 20 has no --experimental-strip-types; tsc's erasableSyntaxOnly flags exactly what stripping cannot run.
    const args = [
      'tsc',
      '--ignoreConfig',
      '--noEmit',
      '--erasableSyntaxOnly',
      '--strict',
      '--target',
      'es2022',
      '--module',
      'nodenext',
      '--allowImportingTsExtensions',
      '--skipLibCheck',
      '--types',
      'node',
      'ts/index.ts',
    ];
    expect(() => execFileSync('npx', args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000, stdio: 'pipe' })).not.toThrow();
  },
  60_000,
);
