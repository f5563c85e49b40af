// torch-loss-parity/vitest: goldenCases for test.each and expect(...).toMatchTorch(case), whose
// failure names the element (index and position), got, want, tolerance and ULP; and
// torch-loss-parity/arbitraries for users' property tests.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { broadcastLayout, broadcastPair, logit, shape, tensorOf } from '../ts/arbitraries.ts';
import { lossEntry } from '../ts/golden/run.ts';
import { softMarginLoss, softMarginLossBackward } from '../ts/index.ts';
import { goldenCases, matchTorch, TorchCase } from '../ts/vitest.ts';

const FOCAL = new URL('../examples/focal/golden/', import.meta.url).pathname;
const cases = goldenCases('soft_margin_loss', { torch: '1.13' });
const byId = (id: string) => cases.find((c) => c.id === id)!;
const basic = cases.find((c) => !c.error && c.case.output!.shape.length === 2 && c.dtype === 'float32' && c.grads.length > 0)!;
const errorCase = cases.find((c) => c.error !== null)!;

describe('goldenCases', () => {
  test('every case of a loss for one torch (a version prefix at a boundary), named for test.each', () => {
    expect(cases.length).toBeGreaterThanOrEqual(100);
    expect(new Set(cases.map((c) => c.torch))).toEqual(new Set(['1.13.0a0']));
    expect(cases.every((c) => c instanceof TorchCase && c.loss === 'soft_margin_loss')).toBe(true);
    expect(basic.name).toBe(`torch 1.13.0a0 ${basic.id}`);
    // 1.13.0a0 is not torch '1.1' (a prefix counts only at a version boundary)
    expect(() => goldenCases('soft_margin_loss', { torch: '1.1' })).toThrow(/no golden file of 'soft_margin_loss' in .* for torch 1\.1 /);
  });

  test('without torch: every version; dtype filters', () => {
    const all = goldenCases('soft_margin_loss');
    expect(new Set(all.map((c) => c.torch)).size).toBeGreaterThanOrEqual(4);
    expect(goldenCases('soft_margin_loss', { dtype: 'float64' }).every((c) => c.dtype === 'float64')).toBe(true);
  });

  test("a version's capability sets: every set by default, named apart; cpuCapability picks one, and its options carry it", () => {
    const both = goldenCases('cross_entropy', { torch: '2.14' });
    expect(new Set(both.map((c) => c.cpuCapability))).toEqual(new Set(['avx2', 'avx512']));
    expect(new Set(both.map((c) => c.name)).size).toBe(both.length);
    const avx512 = goldenCases('cross_entropy', { torch: '2.14', cpuCapability: 'avx512' });
    expect(avx512.length).toBeGreaterThan(0);
    expect(avx512.every((c) => c.cpuCapability === 'avx512' && c.options.cpuCapability === 'avx512')).toBe(true);
    expect(avx512[0]!.name).toMatch(/^torch 2\.14\.\S+ avx512 /);
    expect(() => goldenCases('cross_entropy', { torch: '1.13', cpuCapability: 'avx512' })).toThrow(/for torch 1\.13 at avx512 /);
  });

  test('no golden file of the loss is an error, never an empty suite', () => {
    expect(() => goldenCases('no_such_loss')).toThrow(/goldenCases: no golden file of 'no_such_loss' in .*golden/);
    expect(() => goldenCases('soft_margin_loss', { dir: FOCAL })).toThrow(/no golden file of 'soft_margin_loss'/);
  });

  test("a user's golden folder (dir) holds any loss name", () => {
    const focal = goldenCases('sigmoid_focal_loss', { dir: FOCAL });
    expect(focal.length).toBeGreaterThan(200);
    expect(focal[0]!.argNames).toEqual(['inputs', 'targets']);
  });

  test('a case decodes afresh: tensors as { shape, dtype, data }, kwargs by torch names, options in camelCase', () => {
    const c = byId(basic.id);
    const [input] = c.args;
    expect(input!.dtype).toBe('float32');
    expect(input!.data).toBeInstanceOf(Float32Array);
    input!.data[0] = 12345;
    expect(c.args[0]!.data[0]).not.toBe(12345);
    expect(Object.keys(c.argsByName)).toEqual(['input', 'target']);
    expect(c.options).toMatchObject({ torchVersion: '1.13.0a0', cpuCapability: 'avx2', reduction: c.case.kwargs.reduction });
    expect(c.gradOutput!.shape).toEqual(c.case.grad_output!.shape);
  });
});

describe('toMatchTorch', () => {
  const forward = (c: TorchCase) => softMarginLoss(...(c.args as [never, never]), c.options);
  const backward = (c: TorchCase) => softMarginLossBackward(c.gradOutput as never, ...(c.args as [never, never]), c.options);

  test('the port matches its golden case: output, gradient, error (a function that throws)', () => {
    expect(forward(basic)).toMatchTorch(basic);
    expect(forward(basic)).toMatchTorch(basic, 'output');
    expect(backward(basic)).toMatchTorch(basic, { grad: 'input' });
    expect({ input: backward(basic) }).toMatchTorch(basic, { grad: 'input' });
    expect(() => forward(basic)).toMatchTorch(basic);
    expect(() => forward(errorCase)).toMatchTorch(errorCase);
  });

  test('a wrong element: the failure names it, its position, got, want, tolerance and ULP', () => {
    const out = forward(basic);
    const data = Float32Array.from(out.data);
    const i = data.length - 1;
    data[i] = Math.fround(data[i]! * (1 + 1e-4));
    const m = matchTorch({ shape: out.shape, data }, basic);
    expect(m.pass).toBe(false);
    const want = out.data[i]!;
    expect(m.message).toContain(`expected ${basic.name} output to match torch's (float32, rtol 1.3e-6, atol 1e-5; ${basic.file}):`);
    expect(m.message).toMatch(
      new RegExp(
        `\\n  element ${i} \\[\\d+, \\d+\\]: got [-\\d.e]+, want [-\\d.e]+, \\|diff\\| [\\d.e-]+ > tolerance [\\d.e-]+ \\(atol 1e-5 \\+ rtol 1\\.3e-6 \\* \\|want\\|\\), \\d+ ULP\\n`,
      ),
    );
    expect(m.message).toContain(`1 of ${data.length} elements beyond tolerance`);
    expect(() => expect({ shape: out.shape, data }).toMatchTorch(basic)).toThrow(/elements beyond tolerance/);
    expect({ shape: out.shape, data }).not.toMatchTorch(basic);
    expect(Math.abs(data[i]! - want)).toBeGreaterThan(0);
  });

  test('many wrong elements: five shown and the count; NaN for a number has no ULP', () => {
    const out = forward(basic);
    const data = Float32Array.from(out.data, () => NaN);
    const m = matchTorch({ shape: out.shape, data }, basic);
    expect(m.message.match(/element \d+/g)!.length).toBe(Math.min(5, data.length));
    expect(m.message).toMatch(/got NaN, want [-\d.e]+, not the same non-finite value, ULP n\/a/);
  });

  test('shape, dtype and type of the result', () => {
    const out = forward(basic);
    expect(matchTorch({ shape: [out.data.length], data: out.data }, basic).message).toMatch(/shape \[\d+\] != expected \[\d+, \d+\]/);
    expect(matchTorch({ shape: out.shape, data: Float64Array.from(out.data) }, basic).message).toMatch(/dtype float64 != expected float32/);
    expect(matchTorch({ shape: out.shape, data: Array.from(out.data) }, basic).pass).toBe(true); // number[]: the case's dtype
    expect(matchTorch(42, basic).message).toMatch(/not a tensor \{ shape, data \}: a number/);
    expect(matchTorch(out, {} as TorchCase).message).toMatch(/expected a golden case from goldenCases\(\)/);
  });

  test('error cases: not throwing, the wrong type or a message the regex does not match fail, saying what torch raised', () => {
    const e = errorCase.error!;
    expect(matchTorch(() => forward(basic), errorCase).message).toContain(`to throw as torch raised ${e.type}: ${e.message}`);
    const wrongType = Object.assign(new Error(e.message), { name: e.type === 'ValueError' ? 'RuntimeError' : 'ValueError' });
    expect(
      matchTorch(() => {
        throw wrongType;
      }, errorCase).message,
    ).toMatch(/threw \w+Error .*torch raised/);
    const badMessage = Object.assign(new Error('something else'), { name: e.type });
    expect(
      matchTorch(() => {
        throw badMessage;
      }, errorCase).message,
    ).toMatch(/'something else', which does not match/);
    expect(
      matchTorch(() => {
        throw new TypeError('boom');
      }, basic).message,
    ).toMatch(/threw TypeError: boom, but torch returned a tensor of shape/);
  });

  test('a gradient the case does not record', () => {
    expect(matchTorch(backward(basic), basic, { grad: 'target' }).message).toMatch(/has no gradient of 'target' \(it has input\)/);
    const noBackward = cases.find((c) => !c.error && !c.case.grads);
    if (noBackward) expect(matchTorch(forward(noBackward), noBackward, { grad: 'input' }).message).toMatch(/records no gradient/);
  });

  test.each(goldenCases('soft_margin_loss', { torch: '2.6', dtype: 'float64' }).slice(0, 20))('$name (test.each)', (c) => {
    const entry = lossEntry(c.loss);
    if (c.error) expect(() => entry.forward(...c.args, c.options)).toMatchTorch(c);
    else expect(entry.forward(...c.args, c.options)).toMatchTorch(c);
  });
});

describe('arbitraries', () => {
  test('broadcastLayout: every drawn shape broadcasts to the full shape', () => {
    fc.assert(
      fc.property(
        shape(0, 4).chain((full) => broadcastLayout(full).map((s) => ({ full, s }))),
        ({ full, s }) => {
          expect(s.length).toBeLessThanOrEqual(full.length);
          s.forEach((d, i) => expect([1, full[full.length - s.length + i]]).toContain(d));
        },
      ),
      { numRuns: 200 },
    );
  });

  test('broadcastPair: the broadcast shape is torch.broadcast_shapes of the two', () => {
    fc.assert(
      fc.property(broadcastPair(), ({ a, b, shape: out }) => {
        expect(out.length).toBe(Math.max(a.length, b.length));
        for (const s of [a, b]) s.forEach((d, i) => expect([1, out[out.length - s.length + i]]).toContain(d));
      }),
      { numRuns: 200 },
    );
  });

  test('tensorOf: a typed array of the shape, float32 values exact', () => {
    fc.assert(
      fc.property(
        shape().chain((s) => tensorOf(s, 'float32', logit('float32'))),
        (t) => {
          expect(t.data).toBeInstanceOf(Float32Array);
          expect(t.data.length).toBe(t.shape.reduce((x, y) => x * y, 1));
        },
      ),
      { numRuns: 100 },
    );
  });
});
