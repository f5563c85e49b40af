// The suite Stryker runs per mutant: everything but the suites that spawn processes (the live
// torch fuzzer, the golden CLI and the allocator probe), which cost seconds per run. npm test
// runs them all.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/live-torch.test.ts', 'test/golden-cli.test.ts', 'test/allocator.test.ts'],
    testTimeout: 60_000,
  },
});
