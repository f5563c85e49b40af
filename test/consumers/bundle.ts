// esbuild bundles of the library for the browser, shared by the source check
// (library-bundle.test.ts) and the packed-tarball check (../consumers.test.ts).

import { builtinModules } from 'node:module';
import * as esbuild from 'esbuild';

/**
 * The library entry with every loss, minified and gzipped. Issue 12 set 40 kB for every loss when
 * there were five (29 kB then). Fourteen, with the ported SLEEF/glibc math and float32
 * WebAssembly kernels for thirteen of them (one module, about 40 kB gzipped, that every
 * kernel-using loss brings), measured 76 kB; all 21 measure 97.1 kB (99,444 B: the seven newest
 * run as JS loops, 8-17 kB each alone): the budgets are 112 kB for the whole entry and 64 kB for
 * one loss imported alone (cross_entropy, 59 kB, the largest), so issue 12's 40 kB no longer holds
 * (see the README).
 */
export const GZIP_BUDGET_BYTES = 112 * 1024;
/** One loss function imported alone (the rest tree-shaken away), minified and gzipped. */
export const PER_LOSS_GZIP_BUDGET_BYTES = 64 * 1024;

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
