import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The packed-tarball consumers run on their own: `npm run test:consumers`.
    exclude: [...configDefaults.exclude, 'test/consumers.test.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    // The WebAssembly builds the "*-binary.ts is the build" tests compare with, compiled in the
    // background from the start (or read from node_modules/.cache when the sources are unchanged).
    globalSetup: ['./test/wasm-builds.setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
