// The consumer tests (`npm run test:consumers`): the packed tarball installed into fresh projects
// and run by Node, TypeScript, Chromium, Bun and Deno. Kept out of `npm test` (about a minute,
// needs the npm registry).

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/consumers.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 600_000,
  },
});
