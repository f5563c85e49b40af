// Every case of every golden file, through the ports, at the file's tolerance.

import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GOLDEN_DIR, gradsByName, loadGoldens, lossEntry, runCase } from '../ts/golden/run.ts';
import { parseGolden } from '../ts/golden/schema.ts';
import { LOSS_STEMS } from '../ts/losses/registry.ts';
import { TORCH_TARGETS } from '../scripts/lib/torch-python.ts';
import { compareTorchVersions } from '../ts/torch-version.ts';
import { float32Kernels, useFloat32Kernels } from '../ts/wasm/float32-kernels.ts';
import { TorchCase } from '../ts/vitest.ts'; // registers expect(...).toMatchTorch, as users' suites do

const REGRESSIONS = new URL('./regressions/', import.meta.url).pathname;
// TORCH_PARITY_GOLDEN_DIR: another golden folder (a new loss's goldens before they are committed).
const GOLDENS = process.env.TORCH_PARITY_GOLDEN_DIR ?? GOLDEN_DIR;
const goldens = loadGoldens(GOLDENS);
// Cases that fuzzing found, in golden format (test/regressions/torch-<version>/<stem>.json).
const regressions = loadGoldens(REGRESSIONS);
const cases = [...goldens, ...regressions].flatMap((g) => g.golden.cases.map((c) => new TorchCase(g.golden, c, g.file)));

test('golden files exist for every torch version and every registered loss', () => {
  const dirs = readdirSync(GOLDENS).filter((d) => d.startsWith('torch-'));
  expect(dirs.length).toBeGreaterThanOrEqual(TORCH_TARGETS.length); // 1.7, 1.13, 2.6, sid
  for (const dir of dirs) {
    for (const stem of LOSS_STEMS) {
      expect(existsSync(`${GOLDENS}/${dir}/${stem}.json`), `${dir}/${stem}.json`).toBe(true);
    }
  }
});

// torch 1.7 rejects an (0, C) input (input.numel() > 0); from 1.8 only C must be > 0 (mlmlAcceptsEmptyBatch).
test("multilabel_margin_loss's empty batch: torch 1.7's golden holds an error, 1.13's a result, and the port follows each", () => {
  const emptyBatch = (torch: string) =>
    goldens
      .filter((g) => g.golden.torch === torch && g.golden.loss === 'multilabel_margin_loss')
      .flatMap((g) => g.golden.cases.filter((c) => c.id.includes('/empty-batch/')).map((c) => ({ c, golden: g.golden })));
  const old = emptyBatch('1.7.0a0');
  const newer = emptyBatch('1.13.0a0');
  expect(old.length).toBeGreaterThan(0);
  expect(newer.length).toBe(old.length);
  expect(old.map(({ c }) => c.error?.type)).toEqual(old.map(() => 'RuntimeError'));
  expect(newer.map(({ c }) => c.error)).toEqual(newer.map(() => null));
  for (const { c, golden } of [...old, ...newer]) expect(runCase(golden.loss, c, golden).filter((r) => !r.ok)).toEqual([]);
});

// The newest torch's goldens at both CPU capabilities its targets name (TORCH_TARGETS: sid at
// avx2 and avx512); loadGoldens has checked that each folder's name says its file's capability.
test('each torch release has goldens at every capability its target names (the newest at avx2 and avx512)', () => {
  const newest = TORCH_TARGETS[TORCH_TARGETS.length - 1]!;
  expect(newest.capabilities).toEqual(['avx2', 'avx512']);
  const sets = new Map<string, Set<string>>();
  for (const g of goldens) {
    const caps = sets.get(g.golden.torch) ?? new Set<string>();
    caps.add(g.golden.environment.cpu_capability);
    sets.set(g.golden.torch, caps);
  }
  const releases = [...sets.keys()].sort(compareTorchVersions);
  expect(releases).toHaveLength(TORCH_TARGETS.length);
  releases.forEach((torch, i) => expect([...sets.get(torch)!].sort(), torch).toEqual([...TORCH_TARGETS[i]!.capabilities]));
  const avx512 = goldens.filter((g) => g.golden.environment.cpu_capability === 'avx512');
  expect(avx512.map((g) => g.golden.loss).sort()).toEqual([...LOSS_STEMS].sort());
});

test('regression files load', () => {
  expect(regressions.length).toBeGreaterThan(0);
});

test('each golden file holds at least 100 cases, unless the loss is not in that release', () => {
  for (const g of goldens) {
    if (g.golden.unavailable === null) expect(g.golden.cases.length, g.file).toBeGreaterThanOrEqual(100);
    else expect(g.golden.cases, g.file).toEqual([]);
  }
});

// Every case through both float32 paths: the WebAssembly kernels and the ports' JS loops (float64
// cases run the JS loops either way). The kernels must be in use where they are switched on.
const PATHS = [
  { path: 'kernels', kernels: true },
  { path: 'JS loops', kernels: false },
] as const;
test('the float32 kernels load here, so the kernels path below runs them', () => {
  expect(float32Kernels()).not.toBeNull();
});
for (const { path, kernels } of PATHS) {
  describe(`float32 path: ${path}`, () => {
    beforeAll(() => useFloat32Kernels(kernels));
    afterAll(() => useFloat32Kernels(true));
    // Through the matcher users get (torch-loss-parity/vitest), checking what runCase checks: the
    // error torch raised, else the output, then the backward's error or every recorded gradient.
    for (const c of cases) {
      test(`${c.name} [${path}]`, () => {
        const entry = lossEntry(c.loss);
        const forward = () => entry.forward(...c.tensors, c.options);
        if (c.error) {
          expect(forward).toMatchTorch(c);
          return;
        }
        expect.soft(forward).toMatchTorch(c);
        const gradOutput = c.gradOutput;
        if (!gradOutput) return;
        const backward = () => gradsByName(entry, entry.backward(gradOutput, ...c.tensors, c.options));
        if (c.gradError) {
          expect.soft(backward).toMatchTorch(c, { grad: entry.grads[0]! });
          return;
        }
        let grads: ReturnType<typeof backward> = {};
        let failure: unknown = null;
        try {
          grads = backward();
        } catch (e) {
          failure = e;
        }
        for (const name of c.grads) {
          const grad = () => {
            if (failure !== null) throw failure;
            const g = grads[name];
            if (!g) throw new Error(`backward returned no gradient for '${name}'`);
            return g;
          };
          expect.soft(grad).toMatchTorch(c, { grad: name });
        }
      });
    }
  });
}

test('a malformed golden file fails naming the file and the JSON path', () => {
  const g = goldens[0]!;
  const cases = { source: readFileSync(g.casesFile), file: g.casesFile };
  const json = JSON.parse(readFileSync(g.file, 'utf8'));
  json.results[3].output = { shape: [2], dtype: 'float32', data: [1, 'oops'] };
  expect(() => parseGolden(JSON.stringify(json), g.file, { cases })).toThrow(`${g.file}: invalid golden file at $.results[3].output`);
  json.results[3].output = { shape: [2], dtype: 'float32', data: [1] };
  expect(() => parseGolden(JSON.stringify(json), g.file, { cases })).toThrow(/\$\.results\[3\]\.output: the number of values/);
  expect(() => parseGolden('{"format": 1,', 'x.json', { cases })).toThrow(/^x\.json: not JSON/);
  expect(parseGolden(readFileSync(g.file), g.file, { cases })).toEqual(g.golden);
});
