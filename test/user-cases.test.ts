// Goldens for losses this library does not port: `golden --cases FILE.py --golden-dir DIR` runs a
// user's own case module (docs/case-modules.md) through real torch, with the format, drift report,
// atomic commit and --check of the repository's goldens; the schema takes any loss name there
// (parseGolden's anyLoss) and stays strict for golden/. The torch runs use Debian's torch 1.13
// (/usr/bin/python3, or TORCH_PYTHON) and skip, saying so, without it.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { GOLDEN_DIR, PACKAGE_ROOT } from '../ts/golden/paths.ts';
import { loadGoldens } from '../ts/golden/run.ts';
import { parseGolden, parseResults } from '../ts/golden/schema.ts';

const work = mkdtempSync(join(tmpdir(), 'user-cases-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const torchPython = process.env.TORCH_PYTHON || '/usr/bin/python3';
const hasTorch =
  (await execa(torchPython.split(/\s+/)[0]!, [...torchPython.split(/\s+/).slice(1), '-c', 'import torch'], { reject: false })).exitCode ===
  0;

function cli(args: string[], env: Record<string, string> = {}) {
  return execa(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', ...args], {
    cwd: PACKAGE_ROOT,
    env: { TORCH_PYTHON: torchPython, ...env },
    reject: false,
    all: true,
    timeout: 240_000,
  });
}

/** A committed cases file of this repository, as JSON, renamed to another loss. */
function renamedCases(loss: string): string {
  const json = JSON.parse(readFileSync(join(GOLDEN_DIR, 'cases', 'soft_margin_loss.json'), 'utf8')) as { loss: string };
  json.loss = loss;
  return JSON.stringify(json);
}

/** A committed results file of this repository, as JSON, renamed to another loss (made from renamedCases(loss)). */
function renamed(loss: string): string {
  const file = join(GOLDEN_DIR, 'torch-1.13.0a0', 'soft_margin_loss.json');
  const json = JSON.parse(readFileSync(file, 'utf8')) as { loss: string; cases_sha256: string };
  json.loss = loss;
  json.cases_sha256 = createHash('sha256').update(renamedCases(loss)).digest('hex');
  return JSON.stringify(json);
}
const casesOf = (loss: string) => ({ cases: { source: renamedCases(loss), file: 'c.json' } });

describe('the schema: any loss name for a user folder, registered stems for golden/', () => {
  test('parseGolden rejects a loss without a port, unless anyLoss', () => {
    expect(() => parseGolden(renamed('sigmoid_focal_loss'), 'f.json', casesOf('sigmoid_focal_loss'))).toThrow(
      /^c\.json: invalid cases file at \$\.loss: /,
    );
    expect(() => parseResults(renamed('sigmoid_focal_loss'), 'f.json')).toThrow(/^f\.json: invalid golden file at \$\.loss: /);
    expect(parseGolden(renamed('sigmoid_focal_loss'), 'f.json', { anyLoss: true, ...casesOf('sigmoid_focal_loss') }).loss).toBe(
      'sigmoid_focal_loss',
    );
  });

  test('with anyLoss, a loss name must still be an identifier (it names a file)', () => {
    for (const bad of ['../escape', 'a/b', '', 'focal.loss', '1abc']) {
      expect(() => parseResults(renamed(bad), 'f.json', { anyLoss: true }), bad).toThrow(
        /f\.json: invalid golden file at \$\.loss: loss must be an identifier/,
      );
      expect(() => parseGolden(renamed(bad), 'f.json', { anyLoss: true, ...casesOf(bad) }), bad).toThrow(
        /c\.json: invalid cases file at \$\.loss: loss must be an identifier/,
      );
    }
  });

  test('loadGoldens: a folder with a user loss loads with anyLoss only; loss picks one loss', () => {
    const dir = join(work, 'schema', 'torch-1.13.0a0');
    mkdirSync(dir, { recursive: true });
    mkdirSync(join(work, 'schema', 'cases'), { recursive: true });
    for (const loss of ['my_loss', 'soft_margin_loss']) {
      writeFileSync(join(dir, `${loss}.json`), renamed(loss));
      writeFileSync(join(work, 'schema', 'cases', `${loss}.json`), renamedCases(loss));
    }
    expect(() => loadGoldens(join(work, 'schema'))).toThrow(/torch-1\.13\.0a0\/my_loss\.json: invalid golden file at \$\.loss/);
    expect(loadGoldens(join(work, 'schema'), { anyLoss: true }).map((g) => g.golden.loss)).toEqual(['my_loss', 'soft_margin_loss']);
    expect(loadGoldens(join(work, 'schema'), { anyLoss: true, loss: 'my_loss' }).map((g) => g.golden.loss)).toEqual(['my_loss']);
    expect(loadGoldens(join(work, 'schema'), { loss: 'soft_margin_loss' }).map((g) => g.golden.loss)).toEqual(['soft_margin_loss']);
  });
});

describe('golden --cases: usage errors', () => {
  test('--cases needs --golden-dir (a user module never writes golden/)', async () => {
    const r = await cli(['golden', '--cases', 'examples/focal/sigmoid_focal_loss.py']);
    expect(r.exitCode).toBe(2);
    expect(r.all).toMatch(/option '--cases <file>' needs --golden-dir DIR/);
  });

  test('a file whose name is no identifier, or no file, exits 2 naming it', async () => {
    const odd = join(work, 'focal-loss.py');
    writeFileSync(odd, 'FUNCTION = "x"\n');
    const [named, missing] = await Promise.all([
      cli(['golden', '--cases', odd, '--golden-dir', join(work, 'never')]),
      cli(['golden', '--cases', join(work, 'absent.py'), '--golden-dir', join(work, 'never')]),
    ]);
    expect(named.exitCode).toBe(2);
    expect(named.all).toMatch(/--cases .*focal-loss\.py: a case module is a \.py file whose name is an identifier/);
    expect(missing.exitCode).toBe(2);
    expect(missing.all).toMatch(/--cases .*absent\.py: cannot read it: ENOENT/);
    expect(existsSync(join(work, 'never'))).toBe(false);
  });
});

// margin_ranking_loss: three tensor arguments, a number keyword (margin), gradients of two inputs;
// a case module outside python/cases, importing cases.common as the repository's do.
const MODULE = `"""A user's case module: F.margin_ranking_loss."""
from cases.common import logits, sample, shape_id, signs, tensor

FUNCTION = "margin_ranking_loss"
ARGS = ("input1", "input2", "target")
GRADS = ("input1", "input2")


def cases(rng):
    for dtype in ("float32", "float64"):
        for reduction in ("none", "mean", "sum"):
            for margin in (0.0, 0.5):
                for shape in ((), (5,), (0,)):
                    r = rng(dtype, reduction, margin, shape)
                    yield sample("%s/%s/margin%s/%s" % (dtype, reduction, margin, shape_id(shape)), dtype,
                                 args={"input1": tensor(shape, logits(r, shape)), "input2": tensor(shape, logits(r, shape)),
                                       "target": tensor(shape, signs(r, shape))},
                                 kwargs={"margin": margin, "reduction": reduction})
    yield sample("float32/mean/error-reduction/3", "float32",
                 args={"input1": tensor((3,), [1, 2, 3]), "input2": tensor((3,), [3, 2, 1]), "target": tensor((3,), [1, -1, 1])},
                 kwargs={"reduction": "average"}, error_regex=r"average is not a valid value for reduction")
`;

describe.skipIf(!hasTorch)(`golden --cases with real torch (${torchPython})`, () => {
  const dir = join(work, 'mine', 'golden');
  const reports = join(work, 'mine', 'reports');
  const module = join(work, 'mine', 'margin_ranking_loss.py');
  const file = () => join(dir, 'torch-1.13.0a0', 'margin_ranking_loss.json');

  test('generates golden files of format 3 for an unported function, reports its drift, and --check passes', async () => {
    mkdirSync(join(work, 'mine'), { recursive: true });
    writeFileSync(module, MODULE);
    const r = await cli(['golden', '--cases', module, '--golden-dir', dir, '--report-dir', reports]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toMatch(/margin_ranking_loss has no port in this library/);
    expect(r.all).toMatch(/## margin_ranking_loss: nothing committed -> torch 1\.13\.0a0/);
    expect(r.all).toMatch(/golden\/ holds the new set/);
    const casesFile = join(dir, 'cases', 'margin_ranking_loss.json');
    const golden = parseGolden(readFileSync(file()), file(), {
      anyLoss: true,
      cases: { source: readFileSync(casesFile), file: casesFile },
    });
    expect(golden).toMatchObject({
      format: 3,
      loss: 'margin_ranking_loss',
      function: 'margin_ranking_loss',
      args: ['input1', 'input2', 'target'],
      grads: ['input1', 'input2'],
      torch: '1.13.0a0',
    });
    expect(golden.cases).toHaveLength(37);
    const c = golden.cases.find((k) => k.id === 'margin_ranking_loss/float64/sum/margin0.5/5')!;
    expect(Object.keys(c.grads!)).toEqual(['input1', 'input2']);
    expect(c.kwargs).toEqual({ margin: 0.5, reduction: 'sum' });
    expect(golden.cases.at(-1)!.error).toMatchObject({ type: 'ValueError', regex: 'average is not a valid value for reduction' });
    for (const name of ['drift.md', 'drift.json', 'drift.html']) expect(existsSync(join(reports, name)), name).toBe(true);

    const check = await cli(['golden', '--check', '--cases', module, '--golden-dir', dir]);
    expect(check.exitCode, check.all).toBe(0);
    expect(check.all).toMatch(/check: torch-1\.13\.0a0\/margin_ranking_loss\.json is byte-identical/);
    expect(check.all).toMatch(/check: cases\/margin_ranking_loss\.json is byte-identical/);
  }, 300_000);

  test('--check fails naming the case that differs (results or inputs); a regeneration puts it right at one commit point', async () => {
    const id = 'margin_ranking_loss/float32/mean/margin0.0/5';
    const edit = (path: string, from: RegExp, to: string) => {
      const lines = readFileSync(path, 'utf8').split('\n');
      const at = lines.findIndex((l) => l.includes(`"id":"${id}"`));
      lines[at] = lines[at]!.replace(from, to);
      writeFileSync(path, lines.join('\n'));
    };
    // A result edited: the set still loads (its cases file is the one it was made from).
    const bytes = readFileSync(file(), 'utf8');
    edit(file(), /"warnings":\[\]/, '"warnings":["edited"]');
    const check = await cli(['golden', '--check', '--cases', module, '--golden-dir', dir]);
    expect(check.exitCode, check.all).toBe(1);
    expect(check.all).toContain(`torch-1.13.0a0/margin_ranking_loss.json differs from the regenerated file in 1 case(s):\n  ${id}`);
    expect(check.all).toMatch(/check: cases\/margin_ranking_loss\.json is byte-identical/);
    expect(check.all).toMatch(/check failed: golden\/ was not modified/);

    const again = await cli(['golden', '--cases', module, '--golden-dir', dir, '--report-dir', reports]);
    expect(again.exitCode, again.all).toBe(0);
    expect(again.all).toMatch(/## margin_ranking_loss: torch 1\.13\.0a0 \(Python [^)]+\) -> torch 1\.13\.0a0/);
    expect(readFileSync(file(), 'utf8')).toBe(bytes);

    // An input edited: --check names the case in the cases file; the results no longer join it.
    const casesFile = join(dir, 'cases', 'margin_ranking_loss.json');
    const casesBytes = readFileSync(casesFile, 'utf8');
    edit(casesFile, /"tags":\[\]/, '"tags":["edited"]');
    const inputs = await cli(['golden', '--check', '--cases', module, '--golden-dir', dir]);
    expect(inputs.exitCode, inputs.all).toBe(1);
    expect(inputs.all).toContain(
      `check FAILED: cases/margin_ranking_loss.json (the case inputs) differs from the regenerated file in 1 case(s):\n  ${id}`,
    );
    expect(inputs.all).toMatch(/margin_ranking_loss\.json was made from other case inputs than .*cases\/margin_ranking_loss\.json/);
    const repaired = await cli(['golden', '--cases', module, '--golden-dir', dir, '--report-dir', reports]);
    expect(repaired.exitCode, repaired.all).toBe(0);
    expect(readFileSync(casesFile, 'utf8')).toBe(casesBytes);
    expect(readFileSync(file(), 'utf8')).toBe(bytes);
  }, 300_000);

  test("a module's mistakes are one clear message each, and the golden folder is left alone", async () => {
    const broken: Record<string, [string, RegExp]> = {
      no_args: [
        'FUNCTION = "mse_loss"\ndef cases(rng):\n    return []\n',
        /case module no_args has no ARGS \(see docs\/case-modules\.md\)/,
      ],
      wrong_args: [
        'from cases.common import sample, tensor\nFUNCTION = "mse_loss"\nARGS = ("input", "target")\n' +
          'def cases(rng):\n    yield sample("x", "float32", {"target": tensor((1,), [1]), "input": tensor((1,), [1])})\n',
        /user_cases\.wrong_args: cases\(rng\) yielded x with args target, input, not ARGS input, target in that order/,
      ],
      unmatched: [
        'from cases.common import sample, tensor\nFUNCTION = "mse_loss"\nARGS = ("input", "target")\n' +
          'def cases(rng):\n    yield sample("bad", "float32", {"input": tensor((2,), [1, 2]), "target": tensor((2,), [1, 2])}, ' +
          '{"reduction": "nope"}, error_regex="will not match")\n',
        /user_cases\.unmatched: unmatched\/bad: torch raised\s+ValueError: nope is not a valid value for reduction \(not matched by the declared error_regex 'will not match'\)/,
      ],
    };
    const before = readFileSync(file());
    const runs = await Promise.all(
      Object.entries(broken).map(async ([stem, [source, message]]) => {
        const path = join(work, 'mine', `${stem}.py`);
        writeFileSync(path, source);
        return { stem, message, r: await cli(['golden', '--cases', path, '--golden-dir', dir, '--report-dir', reports]) };
      }),
    );
    for (const { stem, message, r } of runs) {
      expect.soft(r.exitCode, `${stem}\n${r.all}`).toBe(2);
      expect.soft(r.all, stem).toMatch(message);
      expect.soft(r.all, stem).toMatch(/golden\/ is unchanged/);
    }
    expect(readFileSync(file())).toEqual(before);
  }, 300_000);
});
