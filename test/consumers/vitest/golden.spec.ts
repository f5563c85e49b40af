// A user's vitest suite in a fresh project: torch-loss-parity/vitest's goldenCases and
// toMatchTorch over the shipped goldens, and torch-loss-parity/arbitraries in a property test.
// Type-checked by tsc (moduleResolution node16, strict), then run by vitest.
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { softMarginLoss, softMarginLossBackward, type Tensor } from 'torch-loss-parity';
import { broadcastPair, logit, shape, tensorOf } from 'torch-loss-parity/arbitraries';
import { goldenCases, type TorchCase } from 'torch-loss-parity/vitest';

const cases: TorchCase[] = goldenCases('soft_margin_loss', { torch: '2.14' });
const tensors = (c: TorchCase) => c.tensors as [Tensor, Tensor];

test('the shipped goldens hold the loss for torch 2.14', () => {
  expect(cases.length).toBeGreaterThan(100);
});

test.each(cases)('$name', (c) => {
  const [input, target] = tensors(c);
  if (c.error) {
    expect(() => softMarginLoss(input, target, c.options)).toMatchTorch(c);
    return;
  }
  expect(softMarginLoss(input, target, c.options)).toMatchTorch(c);
  const gradOutput = c.gradOutput;
  if (gradOutput && c.grads.length > 0)
    expect(softMarginLossBackward(gradOutput, input, target, c.options)).toMatchTorch(c, { grad: 'input' });
});

test('a wrong result fails, naming the element, got, want, tolerance and ULP', () => {
  const c = cases.find((k) => !k.error && k.dtype === 'float32' && (k.output?.data.length ?? 0) > 1)!;
  const [input, target] = tensors(c);
  const out = softMarginLoss(input, target, c.options);
  const data = Float32Array.from(out.data);
  data[1] = data[1]! + 1;
  expect({ shape: out.shape, data }).not.toMatchTorch(c);
  expect(() => expect({ shape: out.shape, data }).toMatchTorch(c)).toThrow(
    /element 1 \[[\d, ]*\]: got .*, want .*, \|diff\| .* > tolerance .* ULP/,
  );
});

test('the arbitraries drive a property test', () => {
  fc.assert(
    fc.property(
      shape(1, 3).chain((s) => tensorOf(s, 'float32', logit('float32', 50))),
      broadcastPair(),
      (x, pair) => {
        const y = { shape: x.shape, data: Float32Array.from(x.data, (v) => (v > 0 ? 1 : -1)) };
        const loss = softMarginLoss(x, y, { reduction: 'none' });
        expect(loss.data.every((v) => v >= 0)).toBe(true);
        expect(pair.shape.length).toBe(Math.max(pair.a.length, pair.b.length));
      },
    ),
    { numRuns: 50 },
  );
});
