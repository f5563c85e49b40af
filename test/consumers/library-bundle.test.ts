// The library entry as a browser bundler sees it: nothing from Node (so bundlers need no shims),
// and within the size budgets (./bundle.ts: 240 kB minified + gzipped with every loss; one loss
// imported alone 160 kB if it runs the elementwise kernels, else 42 kB).
// Part of `npm test`; test/consumers.test.ts checks the same bundle built from the packed tarball.

import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import * as library from '../../ts/index.ts';
import { LOSS_STEMS } from '../../ts/losses/registry.ts';
import {
  bundleLibrary,
  ELEMENTWISE_KERNEL_LOSSES,
  GZIP_BUDGET_BYTES,
  OTHER_LOSS_GZIP_BUDGET_BYTES,
  PER_LOSS_GZIP_BUDGET_BYTES,
} from './bundle.ts';

test('ts/index.ts bundles for the browser without any Node module, within the gzip budget', async () => {
  const entry = fileURLToPath(new URL('../../ts/index.ts', import.meta.url));
  const { code, nodeImports } = await bundleLibrary(`export * from ${JSON.stringify(entry)};`);
  expect(nodeImports).toEqual([]);
  const gzipped = gzipSync(code, { level: 9 }).length;
  console.log(`library entry, esbuild --bundle --minify (browser): ${code.length} B, gzip -9 ${gzipped} B`);
  expect(gzipped).toBeLessThanOrEqual(GZIP_BUDGET_BYTES);
});

// Every loss function of the public API (its backward and module class tree-shake the same way).
const lossFunctions = Object.keys(library).filter((name) => /^[a-z]\w*Loss$|^binaryCrossEntropy(WithLogits)?$/.test(name));

test.each(lossFunctions)('%s imported alone bundles within the per-loss budget', async (name) => {
  const entry = fileURLToPath(new URL('../../ts/index.ts', import.meta.url));
  const { code, nodeImports } = await bundleLibrary(`export { ${name} } from ${JSON.stringify(entry)};`);
  expect(nodeImports).toEqual([]);
  const gzipped = gzipSync(code, { level: 9 }).length;
  console.log(`${name} alone: gzip -9 ${gzipped} B`);
  expect(gzipped).toBeLessThanOrEqual(ELEMENTWISE_KERNEL_LOSSES.includes(name) ? PER_LOSS_GZIP_BUDGET_BYTES : OTHER_LOSS_GZIP_BUDGET_BYTES);
});

test('every loss has its function in the per-loss bundle checks', () => {
  expect(lossFunctions).toHaveLength(LOSS_STEMS.length);
  expect(lossFunctions).toEqual(expect.arrayContaining([...ELEMENTWISE_KERNEL_LOSSES]));
});
