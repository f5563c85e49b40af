// The suite Stryker runs per mutant: everything but the suites that spawn processes (the live
// torch fuzzer and worker, PyTorch's own tests run in a torch worker, the golden CLI and its atomic-commit probes, the CLI, the live integer
// target checks, the allocator probe, headless Chromium and the packed consumers), which cost
// seconds per run and cover no mutated line in-process. npm test runs them all. Two tests of
// hardening.test.ts spawn a process too (Node building a 1.2e8-element tensor, and tsc checking
// that ts/ is erasable): they cover nothing in this process and time out on a loaded machine, so
// they skip when TORCH_PARITY_MUTATION_SUITE is set. (Stryker's runner overrides testNamePattern.)
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [
      'test/live-torch.test.ts',
      'test/pytorch-tests.test.ts',
      'test/live-int-targets.test.ts',
      'test/torch-worker.test.ts',
      'test/golden-cli.test.ts',
      'test/golden-atomic.test.ts',
      'test/cli.test.ts',
      'test/allocator.test.ts',
      'test/html-report.test.ts',
      'test/consumers.test.ts',
      'test/consumers/**',
    ],
    env: { TORCH_PARITY_MUTATION_SUITE: '1' },
    testTimeout: 60_000,
  },
});
