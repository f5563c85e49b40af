// The suite Stryker runs per mutant: everything but the two suites that spawn processes (the live
// torch fuzzer and the golden CLI), which cost seconds per run. npm test runs them all.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/live-torch.test.ts', 'test/golden-cli.test.ts'],
    testTimeout: 60_000,
  },
});
