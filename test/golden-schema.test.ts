// The golden schema is strict: what the tests and parity would read wrongly, or not at all, is an
// error naming the file and the JSON path, on load (loadGoldens) as in `golden --check`.

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { GOLDEN_DIR } from '../ts/golden/paths.ts';
import { loadGoldens } from '../ts/golden/run.ts';
import { MAX_TOLERANCE, parseGolden } from '../ts/golden/schema.ts';

const work = mkdtempSync(join(tmpdir(), 'golden-schema-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const committedFile = join(GOLDEN_DIR, 'torch-1.13.0a0', 'soft_margin_loss.json');
const committed = () => JSON.parse(readFileSync(committedFile, 'utf8'));

/** loadGoldens on a copy of torch 1.13's folder whose soft_margin_loss.json is `bytes`; returns its error. */
function loadError(bytes: string | Buffer, dir = 'torch-1.13.0a0', name = 'soft_margin_loss.json'): string {
  const root = mkdtempSync(join(work, 'g-'));
  cpSync(join(GOLDEN_DIR, 'torch-1.13.0a0'), join(root, dir), { recursive: true });
  if (name !== 'soft_margin_loss.json') rmSync(join(root, dir, 'soft_margin_loss.json'));
  writeFileSync(join(root, dir, name), bytes);
  try {
    loadGoldens(root);
  } catch (e) {
    return (e as Error).message.replace(root, '<dir>');
  }
  return 'loaded';
}

const edited = (edit: (g: ReturnType<typeof committed>) => void) => {
  const g = committed();
  edit(g);
  return JSON.stringify(g);
};

test('the committed goldens load under the strict schema', () => {
  expect(loadGoldens().length).toBeGreaterThanOrEqual(15);
  expect(loadError(readFileSync(committedFile))).toBe('loaded');
});

test('a loss without a port is rejected on load, naming the file', () => {
  expect(loadError(edited((g) => (g.loss = 'constructor')))).toMatch(
    /^<dir>\/torch-1\.13\.0a0\/soft_margin_loss\.json: invalid golden file at \$\.loss: .*soft_margin_loss/,
  );
});

test('unknown fields are rejected, at every level', () => {
  expect(loadError(edited((g) => (g.extra = 1)))).toMatch(/soft_margin_loss\.json: invalid golden file at \$: .*\(extra\)/);
  expect(loadError(edited((g) => (g.cases[2].args.input.strides = [1])))).toMatch(
    /invalid golden file at \$\.cases\[2\]\.args\.input: .*\(strides\)/,
  );
  expect(loadError(edited((g) => (g.environment.gpu = 'none')))).toMatch(/invalid golden file at \$\.environment: .*\(gpu\)/);
});

test(`absurd tolerances are rejected (rtol and atol at most ${MAX_TOLERANCE})`, () => {
  expect(loadError(edited((g) => (g.tolerance.float32.atol = 1e300)))).toMatch(
    /invalid golden file at \$\.tolerance\.float32\.atol: Too big/,
  );
  expect(loadError(edited((g) => (g.tolerance.float64.rtol = 0.01)))).toMatch(
    /invalid golden file at \$\.tolerance\.float64\.rtol: Too big/,
  );
  expect(loadError(edited((g) => (g.tolerance.float64.rtol = MAX_TOLERANCE)))).toBe('loaded');
});

test('bytes that are not UTF-8 are rejected with their offset', () => {
  const bytes = readFileSync(committedFile);
  const at = bytes.indexOf('"python":"') + 10;
  const broken = Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff]), bytes.subarray(at)]);
  expect(loadError(broken)).toBe(
    `<dir>/torch-1.13.0a0/soft_margin_loss.json: not UTF-8 (the bytes from offset ${at} are not a valid UTF-8 sequence)`,
  );
  expect(() => parseGolden(broken, 'x.json')).toThrow(/^x\.json: not UTF-8/);
});

test('a torch version that is not a plain version, or not its folder, is rejected', () => {
  expect(loadError(edited((g) => (g.torch = '2.6/../../../escaped')))).toMatch(
    /invalid golden file at \$\.torch: torch must be a plain version/,
  );
  expect(loadError(edited((g) => (g.torch = '2.6.0+debian')))).toMatch(
    /soft_margin_loss\.json: invalid golden file at \$\.torch: '2\.6\.0\+debian' in the folder of torch 1\.13\.0a0/,
  );
  expect(loadError(readFileSync(committedFile), 'torch-1.13.0a0', 'binary_cross_entropy_with_logits.json')).toMatch(
    /binary_cross_entropy_with_logits\.json: invalid golden file at \$\.loss: 'soft_margin_loss' in a file named binary_cross_entropy_with_logits\.json/,
  );
});
