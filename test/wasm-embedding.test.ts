// The WebAssembly modules as the library embeds them (ts/wasm/<name>-binary.ts: raw-deflated, then
// base64; scripts/build-wasm.ts kernelsModuleSource): both inflaters of ts/wasm/module.ts wasmBytes
// (Node's zlib, and fflate's for browsers) give the same bytes, of the size the file's header
// names, and a module that compiles. That the bytes are the build's: test/wasm-*.test.ts.

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { relaxedSimdFused, wasmBytes } from '../ts/wasm/module.ts';

const dir = fileURLToPath(new URL('../ts/wasm/', import.meta.url));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('-binary.ts'))
  .sort();

test('every module is embedded', () => {
  expect(files).toEqual(
    expect.arrayContaining(['kernels-binary.ts', 'kernels-fma-binary.ts', 'float64-binary.ts', 'float64-fma-binary.ts', 'ctc-binary.ts']),
  );
});

test.each(files)('%s inflates to the same module by Node zlib and by fflate', async (file) => {
  const text = readFileSync(`${dir}${file}`, 'utf8');
  const size = Number(/; (\d+) B, raw-deflated/.exec(text)?.[1]);
  const deflated = Object.values(await import(`${dir}${file}`))[0] as string;
  const byZlib = wasmBytes(deflated);
  const byFflate = wasmBytes(deflated, null);
  expect(byZlib.length).toBe(size);
  expect(Buffer.from(byFflate).equals(Buffer.from(byZlib))).toBe(true);
  if (file.includes('-fma-') && !relaxedSimdFused()) return; // relaxed SIMD not here: nothing to compile it with
  expect(new WebAssembly.Module(byFflate)).toBeInstanceOf(WebAssembly.Module);
});
