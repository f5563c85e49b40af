// `npm run golden` failures: each exits non-zero with a clear message and leaves golden/ untouched.
// Runs on temporary copies of the committed torch 1.13 folder (--golden-dir), never on golden/.

import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, expect, test } from 'vitest';
import { GOLDEN_DIR, PACKAGE_ROOT } from '../ts/golden/paths.ts';
import { LOSS_STEMS } from '../ts/losses/registry.ts';

const fake = (mode: string) => `node ${join(PACKAGE_ROOT, 'test/fixtures/fake-python.mjs')} ${mode}`;
const work = mkdtempSync(join(tmpdir(), 'golden-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** sha256 over every path and file under dir. */
function treeHash(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      h.update(join(d, e.name));
      if (e.isDirectory()) walk(join(d, e.name));
      else h.update(readFileSync(join(d, e.name)));
    }
  };
  walk(dir);
  return h.digest('hex');
}

interface Scenario {
  what: string;
  python: string;
  message: RegExp;
  args?: string[];
  env?: Record<string, string>;
}

const scenarios: Scenario[] = [
  {
    what: 'a TORCH_PYTHON that does not exist',
    python: '/nonexistent/python3',
    message: /the Python command '\/nonexistent\/python3' \(TORCH_PYTHON\) does not exist/,
  },
  {
    what: 'a Python without torch',
    python: fake('no-torch'),
    message: /torch is not importable by .*fake-python\.mjs no-torch: pip install -r requirements\.txt, or apt-get install python3-torch/,
  },
  { what: 'torch older than 1.5', python: fake('old-torch'), message: /torch 1\.4\.0 .* is older than 1\.5/ },
  {
    what: 'the generator crashing',
    python: fake('crash'),
    message:
      /the generator crashed for binary_cross_entropy_with_logits under torch 9\.9\.0 \('node .*' exited with status 1\)[\s\S]*RuntimeError: simulated generator crash/,
  },
  { what: 'output that is not a valid golden file', python: fake('bad-json'), message: /invalid golden file at \$\.results\[0\]\.output/ },
  {
    what: 'a golden for a loss without a port',
    python: fake('bad-loss'),
    message:
      /generated torch-9\.9\.0\/binary_cross_entropy_with_logits\.json: invalid golden file at \$\.loss: .*binary_cross_entropy_with_logits/,
  },
  {
    what: 'a torch version that is a path',
    python: fake('escape'),
    message: /reports torch version "2\.6\/\.\.\/\.\.\/\.\.\/escaped", which is not a plain version/,
  },
  {
    what: 'a probe that aborts before it answers',
    python: fake('abort-probe'),
    message: /'node .*abort-probe' \(TORCH_PYTHON\) failed to start: .*SIGABRT/,
  },
  {
    what: 'a probe that hangs (--timeout)',
    python: fake('sleep-probe'),
    args: ['--timeout', '2'],
    message: /the torch probe \('node .*sleep-probe', TORCH_PYTHON\) did not finish within 2 s; killed it/,
  },
  {
    what: 'a generator that hangs (TORCH_PARITY_TIMEOUT)',
    python: fake('sleep-generator'),
    // 10 s: the probe, under the same timeout, must not expire first on a loaded machine
    env: { TORCH_PARITY_TIMEOUT: '10' },
    message: /the generator for binary_cross_entropy_with_logits under torch 9\.9\.0 did not finish within 10 s; killed it/,
  },
];

test('npm run golden fails clearly, leaving golden/ byte-identical and writing nothing outside it', async () => {
  // golden/ three folders down: a version like 2.6/../../../x must not reach anywhere under roots[i]
  const roots = scenarios.map((_, i) => join(work, `s${i}`));
  const dirs = roots.map((root) => join(root, 'a', 'b'));
  for (const dir of dirs) {
    cpSync(join(GOLDEN_DIR, 'torch-1.13.0a0'), join(dir, 'golden', 'torch-1.13.0a0'), { recursive: true });
    cpSync(join(GOLDEN_DIR, 'cases'), join(dir, 'golden', 'cases'), { recursive: true });
  }
  const before = roots.map(treeHash);
  const started = Date.now();
  const results = await Promise.all(
    scenarios.map((s, i) =>
      execa(
        process.execPath,
        [
          '--import',
          'tsx',
          'scripts/cli.ts',
          'golden',
          '--golden-dir',
          join(dirs[i]!, 'golden'),
          '--report-dir',
          join(dirs[i]!, 'reports'),
          ...(s.args ?? []),
        ],
        {
          cwd: PACKAGE_ROOT,
          env: { TORCH_PYTHON: s.python, ...s.env },
          reject: false,
          all: true,
          timeout: 90_000, // those that get past the probe make the cases files (one per loss) with the host Python
        },
      ),
    ),
  );
  results.forEach((r, i) => {
    const { what, message } = scenarios[i]!;
    expect.soft(r.exitCode, `${what}\n${r.all}`).toBe(2);
    expect.soft(r.all, what).toMatch(message);
    expect.soft(r.all, what).toMatch(/golden\/ is unchanged/);
    // the whole scenario folder: nothing escaped golden/, no staging or report was left
    expect.soft(treeHash(roots[i]!), what).toBe(before[i]);
  });
  expect(Date.now() - started).toBeLessThan(90_000); // the 2 s and 10 s timeouts fired
}, 120_000);

// Golden format 3: the case inputs (cases/) are made first, by the host's Python; each release's
// results must have been made from them.

/** A copy of the committed cases/ and the torch 1.13 and 2.6 folders. */
function twoReleases(name: string): string {
  const dir = join(work, name, 'golden');
  for (const d of ['cases', 'torch-1.13.0a0', 'torch-2.6.0+debian']) cpSync(join(GOLDEN_DIR, d), join(dir, d), { recursive: true });
  return dir;
}

const golden = (dir: string, ...args: string[]) =>
  execa(
    process.execPath,
    ['--import', 'tsx', 'scripts/cli.ts', 'golden', '--golden-dir', dir, '--report-dir', join(dir, '..', 'reports'), ...args],
    {
      cwd: PACKAGE_ROOT,
      env: { TORCH_PYTHON: fake('golden') },
      reject: false,
      all: true,
      timeout: 120_000,
    },
  );

test('--check fails on a changed cases file, naming the cases whose inputs differ', async () => {
  const dir = twoReleases('changed-cases');
  const file = join(dir, 'cases', 'soft_margin_loss.json');
  const lines = readFileSync(file, 'utf8').split('\n');
  const id = JSON.parse(lines[5]!.replace(/,$/, '')).id as string;
  lines[5] = lines[5]!.replace('"tags":[', '"tags":["edited",');
  writeFileSync(file, lines.join('\n'));
  const before = treeHash(dir);
  const r = await golden(dir, '--check');
  expect(r.exitCode, r.all).toBe(1);
  expect(r.all).toContain(
    `check FAILED: cases/soft_margin_loss.json (the case inputs) differs from the regenerated file in 1 case(s):\n  ${id}`,
  );
  expect(r.all).toMatch(/check: cases\/kl_div\.json is byte-identical/);
  expect(r.all).toMatch(/check failed: golden\/ was not modified/);
  expect(treeHash(dir)).toBe(before);
}, 120_000);

test('new case inputs with only some releases regenerated: refused before anything is written, naming the stale releases', async () => {
  const dir = twoReleases('stale');
  const before = treeHash(dir);
  // Another seed: other inputs for every loss; TORCH_PYTHON regenerates torch 1.13 only.
  const r = await golden(dir, '--seed', '7');
  expect(r.exitCode, r.all).toBe(2);
  expect(r.all).toMatch(
    /the case inputs changed, and the committed results of torch 2\.6\.0\+debian were made from other inputs \(torch-2\.6\.0\+debian: [a-z0-9_, ]*soft_margin_loss[a-z0-9_, ]*\): they would be stale\. Regenerate those releases too .*nothing was written/,
  );
  expect(r.all).not.toMatch(/fake-python: generating/);
  expect(r.all).toMatch(/golden\/ is unchanged/);
  expect(treeHash(dir)).toBe(before);
}, 120_000);

test('regenerating with the same inputs keeps the other releases, and every results file names its cases file', async () => {
  const dir = twoReleases('same-inputs');
  const r = await golden(dir);
  expect(r.exitCode, r.all).toBe(0);
  const n = LOSS_STEMS.length;
  expect(r.all).toMatch(new RegExp(`wrote ${n} cases files and ${n} results files: golden/ holds the new set`));
  // the cases files are the host Python's, byte for byte the committed ones; torch 2.6's untouched
  for (const d of ['cases', 'torch-2.6.0+debian']) {
    for (const f of readdirSync(join(dir, d)))
      expect(readFileSync(join(dir, d, f)).equals(readFileSync(join(GOLDEN_DIR, d, f))), `${d}/${f}`).toBe(true);
  }
  expect(readFileSync(join(dir, 'torch-1.13.0a0', 'kl_div.json'), 'utf8')).toMatch(/^\{"format":3,.*"python":"3\.0\.0"/);
}, 120_000);
