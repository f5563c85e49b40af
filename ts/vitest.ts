// The vitest entry (`torch-loss-parity/vitest`): torch's golden cases inside a test suite.
//
//   import { goldenCases } from 'torch-loss-parity/vitest';   // registers expect(...).toMatchTorch
//   test.each(goldenCases('mse_loss', { torch: '2.6' }))('$name', (c) => {
//     if (c.error) expect(() => myMse(...c.args, c.kwargs)).toMatchTorch(c);
//     else expect(myMse(...c.args, c.kwargs)).toMatchTorch(c);
//     if (c.grads.length) expect(() => myMseBackward(c.gradOutput, ...c.args, c.kwargs)).toMatchTorch(c, { grad: 'input' });
//   });
//
// A case's tensors are { shape, dtype, data } (typed arrays: docs/conformance-spec.md's form, which
// is also this library's Tensor / IndexTensor). The comparison is ts/golden/cases.ts's matchTorch
// (also in the harness entry, for other test frameworks). Node only (it reads golden files).

import { expect } from 'vitest';
import { matchTorch, type TorchCase, type TorchPart } from './golden/cases.ts';

export { goldenCases, matchTorch, TorchCase } from './golden/cases.ts';
export type { CaseTensor, FloatCaseTensor, GoldenCasesOptions, TorchMatch, TorchPart, TorchResult } from './golden/cases.ts';

/** The matcher, for expect.extend (registered by importing this module). */
export function toMatchTorch(received: unknown, c: TorchCase, part: TorchPart = 'output'): { pass: boolean; message: () => string } {
  const { pass, message } = matchTorch(received, c, part);
  return { pass, message: () => message };
}

expect.extend({ toMatchTorch });

declare module 'vitest' {
  // biome-ignore lint/suspicious/noExplicitAny: the augmentation repeats vitest's own declaration, Matchers<T = any>
  interface Matchers<T = any> {
    /**
     * The result (or the function, called: what it returns or throws) matches the golden case's
     * output, or `{ grad: name }`'s gradient, at the golden's tolerance; an error case passes when
     * it throws torch's Python type (the error's torchErrorType or name) with a message the case's regex matches.
     */
    toMatchTorch(c: TorchCase, part?: TorchPart): T;
  }
}
