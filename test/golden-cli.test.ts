// `npm run golden` failures: each exits non-zero with a clear message and leaves golden/ untouched.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { expect, test } from 'vitest';
import { loadGoldens } from '../ts/golden/run.ts';

const root = new URL('..', import.meta.url).pathname;
const fake = (mode: string) => `node ${root}test/fixtures/fake-python.mjs ${mode}`;

function goldenHash(): string {
  const h = createHash('sha256');
  for (const g of loadGoldens()) h.update(g.file).update(readFileSync(g.file));
  return h.digest('hex');
}

const scenarios: [string, string, RegExp][] = [
  ['a TORCH_PYTHON that does not exist', '/nonexistent/python3', /the Python command '\/nonexistent\/python3' \(TORCH_PYTHON\) does not exist/],
  ['a Python without torch', fake('no-torch'), /torch is not importable by .*fake-python\.mjs no-torch: pip install -r requirements\.txt, or apt-get install python3-torch/],
  ['torch older than 1.5', fake('old-torch'), /torch 1\.4\.0 .* is older than 1\.5/],
  ['the generator crashing', fake('crash'), /the generator crashed for bce_with_logits[^]*RuntimeError: simulated generator crash/],
  ['output that is not a valid golden file', fake('bad-json'), /invalid golden file at \$\.cases\[0\]\.dtype/],
];

test('npm run golden fails clearly, leaving golden/ byte-identical', async () => {
  const before = goldenHash();
  const results = await Promise.all(
    scenarios.map(([, python]) =>
      execa(process.execPath, ['--import', 'tsx', 'scripts/golden.ts'], { cwd: root, env: { TORCH_PYTHON: python }, reject: false, all: true }),
    ),
  );
  results.forEach((r, i) => {
    const [what, , message] = scenarios[i]!;
    expect(r.exitCode, what).not.toBe(0);
    expect(r.all, what).toMatch(message);
    expect(r.all, what).toMatch(/golden\/ is unchanged/);
  });
  expect(goldenHash()).toBe(before);
});
