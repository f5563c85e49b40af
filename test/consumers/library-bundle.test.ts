// The library entry as a browser bundler sees it: nothing from Node (so bundlers need no shims),
// and within the size budget (issue 12: at most 40 kB minified + gzipped, every loss included).
// Part of `npm test`; test/consumers.test.ts checks the same bundle built from the packed tarball.

import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { bundleLibrary, GZIP_BUDGET_BYTES } from './bundle.ts';

test('ts/index.ts bundles for the browser without any Node module, within the gzip budget', async () => {
  const entry = fileURLToPath(new URL('../../ts/index.ts', import.meta.url));
  const { code, nodeImports } = await bundleLibrary(`export * from ${JSON.stringify(entry)};`);
  expect(nodeImports).toEqual([]);
  const gzipped = gzipSync(code, { level: 9 }).length;
  console.log(`library entry, esbuild --bundle --minify (browser): ${code.length} B, gzip -9 ${gzipped} B`);
  expect(gzipped).toBeLessThanOrEqual(GZIP_BUDGET_BYTES);
});
