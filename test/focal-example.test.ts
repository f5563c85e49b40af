// examples/focal, end to end: a user's case module for a loss this library does not port
// (torchvision's sigmoid focal loss, sigmoid_focal_loss.py), its goldens made by torch 1.13 and
// committed (examples/focal/golden), and a plain JavaScript port of it (focal.mjs). The goldens
// regenerate byte-identical (golden --cases --check; needs torch 1.13: /usr/bin/python3 or
// TORCH_PYTHON, else skipped saying so), and the port matches every case, through the vitest
// matcher users get, and through `check --impl` (docs/conformance-spec.md), which also names exactly
// the cases a buggy variant of the port gets wrong.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { PACKAGE_ROOT } from '../ts/golden/paths.ts';
import { goldenCases, matchTorch, type TorchCase } from '../ts/vitest.ts';
// @ts-expect-error: a plain JavaScript module without declarations, as a user's port may be
import { sigmoid_focal_loss, sigmoid_focal_loss_backward } from '../examples/focal/focal.mjs';

const EXAMPLE = 'examples/focal';
const torchPython = process.env.TORCH_PYTHON || '/usr/bin/python3';
const torchVersion = (
  await execa(torchPython.split(/\s+/)[0]!, [...torchPython.split(/\s+/).slice(1), '-c', 'import torch; print(torch.__version__)'], {
    reject: false,
  })
).stdout.trim();

const cases = goldenCases('sigmoid_focal_loss', { dir: `${PACKAGE_ROOT}/${EXAMPLE}/golden` });

test('the committed goldens: torch 1.13, every kind of case', () => {
  expect(new Set(cases.map((c) => c.torch))).toEqual(new Set(['1.13.0a0']));
  expect(cases.length).toBeGreaterThanOrEqual(250);
  expect(cases.filter((c) => c.error).map((c) => c.error!.type)).toEqual([
    'ValueError',
    'ValueError',
    'RuntimeError',
    'ValueError',
    'ValueError',
  ]);
  expect(cases.some((c) => c.case.kwargs.alpha === -1)).toBe(true);
  expect(cases.some((c) => c.case.args.inputs!.base64 !== undefined)).toBe(true); // the large cases
});

describe.skipIf(!torchVersion.startsWith('1.13'))(`regenerated with torch ${torchVersion || '(none)'} from ${torchPython}`, () => {
  test('golden --cases --check: byte-identical to the committed file', async () => {
    const r = await execa(
      process.execPath,
      [
        '--import',
        'tsx',
        'scripts/cli.ts',
        'golden',
        '--check',
        '--cases',
        `${EXAMPLE}/sigmoid_focal_loss.py`,
        '--golden-dir',
        `${EXAMPLE}/golden`,
      ],
      { cwd: PACKAGE_ROOT, env: { TORCH_PYTHON: torchPython }, reject: false, all: true, timeout: 240_000 },
    );
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toContain('check: torch-1.13.0a0/sigmoid_focal_loss.json is byte-identical');
  }, 300_000);
});

describe('the JavaScript port (focal.mjs) against torch 1.13', () => {
  test.each(cases)('$name', (c) => {
    const forward = () => sigmoid_focal_loss(c.args, c.kwargs);
    if (c.error) {
      expect(forward).toMatchTorch(c);
      return;
    }
    expect.soft(forward).toMatchTorch(c);
    if (c.gradOutput) expect.soft(() => sigmoid_focal_loss_backward(c.gradOutput, c.args, c.kwargs)).toMatchTorch(c, { grad: 'inputs' });
  });
});

const work = mkdtempSync(join(tmpdir(), 'focal-example-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface CheckReport {
  exitCode: number;
  held: string;
  torch: { torch: string; cases: number; passedCases: number; failedCases: number; brokenCases: number }[];
  failures: { id: string; kind: string; status: string }[];
}

async function check(impl: string, extra: string[] = []): Promise<{ exitCode: number | undefined; report: CheckReport }> {
  const r = await execa(
    process.execPath,
    ['--import', 'tsx', 'scripts/cli.ts', 'check', '--impl', impl, '--golden', `${EXAMPLE}/golden`, '--json', ...extra],
    { cwd: PACKAGE_ROOT, reject: false, timeout: 240_000 },
  );
  return { exitCode: r.exitCode, report: JSON.parse(r.stdout) as CheckReport };
}

describe('check --impl against the example goldens', () => {
  test('the port passes every case, errors included with torch types and messages (--strict-errors)', async () => {
    const { exitCode, report } = await check(`${EXAMPLE}/focal.mjs`, ['--strict-errors']);
    expect(exitCode).toBe(0);
    expect(report.held).toBe('1.13.0a0');
    expect(report.torch).toEqual([
      expect.objectContaining({ torch: '1.13.0a0', cases: cases.length, passedCases: cases.length, failedCases: 0 }),
    ]);
  }, 300_000);

  test("a variant that forgets torchvision's default alpha fails exactly the cases the matcher rejects", async () => {
    // alpha defaults to -1 (no weighting) instead of 0.25: every case without an alpha keyword moves.
    const buggy = join(work, 'focal-no-default-alpha.mjs');
    const port = pathToFileURL(join(PACKAGE_ROOT, EXAMPLE, 'focal.mjs')).href;
    writeFileSync(
      buggy,
      `import * as port from '${port}';\n` +
        'const k = (kwargs) => ({ alpha: -1, ...kwargs });\n' +
        'export const sigmoid_focal_loss = (args, kwargs) => port.sigmoid_focal_loss(args, k(kwargs));\n' +
        'export const sigmoid_focal_loss_backward = (g, args, kwargs) => port.sigmoid_focal_loss_backward(g, args, k(kwargs));\n',
    );
    const { sigmoid_focal_loss: forward, sigmoid_focal_loss_backward: backward } = (await import(pathToFileURL(buggy).href)) as {
      sigmoid_focal_loss: (a: unknown, k: unknown) => unknown;
      sigmoid_focal_loss_backward: (g: unknown, a: unknown, k: unknown) => unknown;
    };
    const wrong = (c: TorchCase) =>
      !matchTorch(() => forward(c.args, c.kwargs), c).pass ||
      (c.gradOutput !== null && !matchTorch(() => backward(c.gradOutput, c.args, c.kwargs), c, { grad: 'inputs' }).pass);
    const expected = cases.filter(wrong).map((c) => c.id);
    expect(expected.length).toBeGreaterThan(50);
    expect(expected.every((id) => !cases.find((c) => c.id === id)!.case.kwargs.alpha)).toBe(true);

    const { exitCode, report } = await check(buggy);
    expect(exitCode).toBe(1);
    expect([...new Set(report.failures.map((f) => f.id))].sort()).toEqual(expected.sort());
    expect(report.failures.every((f) => f.status === 'fail')).toBe(true);
  }, 300_000);
});
