// The command line, as a user runs it (node --import tsx scripts/cli.ts): help, usage errors, exit
// codes, parity's JSON and its shards, fuzz against real torch (when there is one) and a fake one.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { progress } from '../scripts/lib/progress.ts';
import { loadGoldens, runCase } from '../ts/golden/run.ts';
import { GoldenCase } from '../ts/golden/schema.ts';

const root = new URL('..', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'cli-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The CLI with these arguments; CI unset so that no progress line is drawn. */
function cli(args: string[], env: Record<string, string> = {}) {
  return execa(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', ...args], {
    cwd: root,
    reject: false,
    env: { CI: '1', ...env },
    timeout: 60_000,
  });
}

/** The top-level keys a subcommand's --help documents for its --json output ("key": ...). */
async function documentedKeys(subcommand: string): Promise<string[]> {
  const help = (await cli([subcommand, '--help'])).stdout;
  const section = help.slice(help.indexOf('JSON (--json):'), help.indexOf('Example:'));
  return [...section.matchAll(/"(\w+)":/g)].map((m) => m[1]!).sort();
}

const fake = (mode: string) => `${process.execPath} ${root}test/fixtures/fake-torch-worker.mjs ${mode}`;
const torchPython = '/usr/bin/python3';
const realTorch = (await execa(torchPython, ['-c', 'import torch'], { reject: false })).exitCode === 0;

// Every option each subcommand has, as its --help must list them.
const OPTIONS: Record<string, string[]> = {
  parity: ['--json', '--torch <version>', '--loss <stems>', '--shard <i/n>', '--html <file>', '--golden-dir <dir>'],
  golden: [
    '--torch <id>',
    '--cpu-capability <list>',
    '--check',
    '--against <version>',
    '--seed <n>',
    '--timeout <seconds>',
    '--golden-dir <dir>',
    '--report-dir <dir>',
    '--cases <file>',
  ],
  bench: ['--sizes <list>', '--repeats <n>', '--json <file>', '--losses <stems>', '--js-loops', '--cold-allocator', '--torch-python <cmd>'],
  fuzz: ['--torch-python <cmd>', '--runs <n>', '--loss <stems>', '--seed <n>', '--shard <i/n>', '--json'],
  check: [
    '--impl <module>',
    '--command <cmd>',
    '--golden <dir>',
    '--loss <stems>',
    '--torch <version>',
    '--cpu-capability <c>',
    '--json',
    '--html <file>',
    '--timeout <seconds>',
    '--strict-errors',
    '--max-broken <n>',
  ],
};

test('--help of the CLI and of every subcommand: a usage line, every option, an example', async () => {
  const [top, ...subs] = await Promise.all([cli(['--help']), ...Object.keys(OPTIONS).map((c) => cli([c, '--help']))]);
  expect(top.exitCode).toBe(0);
  expect(top.stdout).toMatch(/^Usage: torch-loss-parity \[options\] \[command\]/);
  for (const c of Object.keys(OPTIONS)) expect(top.stdout).toMatch(new RegExp(`^  ${c} \\[options\\]`, 'm'));
  Object.entries(OPTIONS).forEach(([name, options], i) => {
    const r = subs[i]!;
    expect(r.exitCode, name).toBe(0);
    expect(r.stdout, name).toMatch(new RegExp(`^Usage: torch-loss-parity ${name} \\[options\\]`));
    for (const o of options) expect(r.stdout, `${name} ${o}`).toMatch(new RegExp(`^  ${o.replace(/[<>]/g, '\\$&')}  `, 'm'));
    expect(r.stdout, name).toMatch(new RegExp(`Example:\\n  \\$ torch-loss-parity ${name} `));
    // every option listed is one we expect: a new option gets a line in OPTIONS (and a test)
    const listed = [...r.stdout.matchAll(/^ {2}(--[a-z-]+(?: <[a-z/]+>)?)/gm)].map((m) => m[1]);
    expect(listed, name).toEqual(options);
  });
}, 60_000);

test('an unknown option or a bad value: one line naming it on stderr, exit 2, no stack trace', async () => {
  const cases: [string[], RegExp][] = [
    [['parity', '--shard', '3/2'], /option '--shard <i\/n>' argument '3\/2' is invalid/],
    [['parity', '--shard', '0/2'], /option '--shard <i\/n>' argument '0\/2' is invalid/],
    [['parity', '--loss', 'nope'], /option '--loss <stems>' argument 'nope' is invalid\. unknown loss 'nope'/],
    [['parity', '--jsn'], /unknown option '--jsn' \(Did you mean --json\?\)/],
    [['fuzz', '--runs', 'abc'], /option '--runs <n>' argument 'abc' is invalid\. expected a whole number >= 1/],
    [['fuzz', '--shard', '1/2'], /option '--shard' needs --seed N/],
    [['fuzz', '--loss', 'soft_margin_loss,nope'], /unknown loss 'nope'/],
    [['bench', '--sizes', '150'], /option '--sizes <list>' argument '150' is invalid/],
    [['bench', '--repeats', '0'], /option '--repeats <n>' argument '0' is invalid/],
    [['golden', '--torch', '3.0'], /option '--torch <id>' argument '3\.0' is invalid\. unknown torch version '3\.0'/],
    [['golden', '--seed', '1.5'], /option '--seed <n>' argument '1\.5' is invalid/],
    [['nope'], /unknown command 'nope'/],
    [['parity', 'extra'], /too many arguments for 'parity'/],
  ];
  const results = await Promise.all(cases.map(([args]) => cli(args)));
  results.forEach((r, i) => {
    const [args, message] = cases[i]!;
    const what = args.join(' ');
    expect(r.exitCode, what).toBe(2);
    expect(r.stdout, what).toBe('');
    expect(r.stderr.split('\n'), what).toHaveLength(1);
    expect(r.stderr, what).toMatch(message);
    expect(r.stderr, what).toMatch(/\(see torch-loss-parity( \w+)? --help\)$/);
  });
}, 60_000);

test('a reader that stops early (| head) ends the run quietly, without a stack trace', async () => {
  const err = join(scratch, 'epipe.txt');
  const r = await execa('bash', ['-c', `node --import tsx scripts/cli.ts parity --json 2>${err} | head -c 1`], {
    cwd: root,
    reject: false,
    env: { CI: '1' },
  });
  expect(r.stdout).toBe('{');
  expect(readFileSync(err, 'utf8')).toBe('');
}, 60_000);

test('progress: a rewritten status line (cases done / total, elapsed) on a terminal; nothing in pipes or CI', () => {
  const stream = (isTTY: boolean) => {
    const written: string[] = [];
    return { written, s: { isTTY, columns: 80, write: (t: string) => written.push(t) } as unknown as NodeJS.WriteStream };
  };
  const run = (isTTY: boolean, env: Record<string, string>) => {
    const out = stream(isTTY);
    const p = progress('fuzz', 2, out.s, env);
    p.tick('soft_margin_loss');
    p.log('soft_margin_loss: 1 case agrees');
    p.tick();
    p.done();
    return out.written.join('');
  };
  // the terminal's codes made visible: \r goes to the line's start, ESC [2K clears it
  const tty = run(true, {}).replaceAll('\r', '<cr>').replaceAll('\x1b[2K', '<clear>');
  expect(tty).toMatch(
    /^<cr><clear>fuzz: 1\/2 cases, \d+\.\d s, soft_margin_loss<cr><clear>soft_margin_loss: 1 case agrees\n<cr><clear>fuzz: 1\/2 cases/,
  );
  expect(tty.endsWith('<cr><clear>')).toBe(true); // done() leaves a clean line
  for (const quiet of [run(false, {}), run(true, { CI: 'true' })]) expect(quiet).toBe('soft_margin_loss: 1 case agrees\n');
});

describe('parity', () => {
  const goldenFiles = loadGoldens().length;
  type Check = { torch: string; loss: string; dtype: string; id: string; kind: string; ok: boolean };
  type Report = {
    goldenFiles: number;
    shard: string;
    passed: number;
    failed: number;
    rows: { torch: string; loss: string; dtype: string; kind: string; cases: number; passed: number }[];
    cases: Check[];
    failures: { id: string; kind: string }[];
  };
  const json = (stdout: string) => JSON.parse(stdout) as Report;
  const unsharded = cli(['parity', '--json']); // shared by the tests below
  const name = (c: Check) => [c.torch, c.loss, c.id, c.kind].join('|');

  test('--json is pure JSON on stdout whose counts agree with each other, the table and the exit code', async () => {
    const [asJson, asTable, keys] = await Promise.all([unsharded, cli(['parity']), documentedKeys('parity')]);
    const report = json(asJson.stdout);
    expect(Object.keys(report).sort()).toEqual(keys);
    expect(report.goldenFiles).toBe(goldenFiles);
    expect(report.shard).toBe('1/1');
    expect(report.cases.length).toBeGreaterThan(1000);
    expect(report.passed + report.failed).toBe(report.cases.length);
    expect(report.rows.reduce((n, r) => n + r.cases, 0)).toBe(report.cases.length);
    expect(report.rows.reduce((n, r) => n + r.passed, 0)).toBe(report.passed);
    expect(report.cases.filter((c) => !c.ok)).toHaveLength(report.failed);
    expect(report.failures).toHaveLength(report.failed);
    expect(new Set(report.cases.map(name)).size).toBe(report.cases.length);
    expect(asJson.exitCode).toBe(report.failed > 0 ? 1 : 0);
    expect(asTable.exitCode).toBe(asJson.exitCode);
    expect(asTable.stdout).toMatch(
      new RegExp(`\\n${report.passed} passed, ${report.failed} failed \\(${goldenFiles} golden files, [\\d.]+ s\\)$`),
    );
  }, 60_000);

  test('--shard i/3: disjoint shards whose union is exactly the unsharded run, row by row', async () => {
    const [whole, ...shards] = (
      await Promise.all([unsharded, ...['1/3', '2/3', '3/3'].map((s) => cli(['parity', '--json', '--shard', s]))])
    ).map((r) => json(r.stdout));
    const union = shards.flatMap((s) => s.cases);
    for (const s of shards) expect(s.cases.length).toBeGreaterThan(whole!.cases.length / 6); // each does a real part of the work
    expect(union).toHaveLength(whole!.cases.length); // disjoint ...
    expect(new Set(union.map((c) => `${name(c)}|${c.ok}`))).toEqual(new Set(whole!.cases.map((c) => `${name(c)}|${c.ok}`))); // ... and the whole
    const perRow = (rows: Report['rows']) => {
      const m = new Map<string, number>();
      for (const r of rows)
        m.set([r.torch, r.loss, r.dtype, r.kind].join('|'), (m.get([r.torch, r.loss, r.dtype, r.kind].join('|')) ?? 0) + r.cases);
      return m;
    };
    expect(perRow(shards.flatMap((s) => s.rows))).toEqual(perRow(whole!.rows));
    expect(shards.map((s) => s.shard)).toEqual(['1/3', '2/3', '3/3']);
  }, 60_000);

  test('--torch matches a version or a prefix at a version boundary only (2.1 is not 2.14.1)', async () => {
    const versions = [...new Set(loadGoldens().map((g) => g.golden.torch))];
    expect(versions).toContain('2.14.1+debian');
    const [two6, two1] = await Promise.all([cli(['parity', '--json', '--torch', '2.6']), cli(['parity', '--json', '--torch', '2.1'])]);
    expect(new Set(json(two6.stdout).cases.map((c) => c.torch))).toEqual(new Set(['2.6.0+debian']));
    expect(two1.exitCode).toBe(2);
    expect(two1.stderr).toMatch(/^parity: no golden files in .* match --torch 2\.1 \(torch versions there: .*2\.14\.1\+debian/);
  }, 60_000);

  test('--html FILE writes the HTML report of the selected cases beside the usual table', async () => {
    const page = join(scratch, 'parity.html');
    const r = await cli(['parity', '--torch', '1.13', '--loss', 'soft_margin_loss', '--html', page]);
    expect(r.stderr).toBe(`wrote ${page}`);
    expect(r.stdout).toMatch(/\n\d+ passed, \d+ failed \(1 golden files, [\d.]+ s\)$/);
    const html = readFileSync(page, 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('torch 1.13.0a0');
    expect(html).not.toContain('2.6.0+debian');
  }, 60_000);

  test('a malformed golden file: one line naming the file and the JSON path, exit 2', async () => {
    const dir = join(scratch, 'golden');
    mkdirSync(join(dir, 'torch-1.13.0a0'), { recursive: true });
    mkdirSync(join(dir, 'cases'), { recursive: true });
    const committed = loadGoldens().find((g) => g.golden.loss === 'soft_margin_loss')!;
    const good = JSON.parse(readFileSync(committed.file, 'utf8'));
    good.results[3].output.dtype = 'float16';
    writeFileSync(join(dir, 'torch-1.13.0a0', 'soft_margin_loss.json'), JSON.stringify(good));
    writeFileSync(join(dir, 'cases', 'soft_margin_loss.json'), readFileSync(committed.casesFile));
    const r = await cli(['parity', '--golden-dir', dir]);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/torch-1\.13\.0a0\/soft_margin_loss\.json: invalid golden file at \$\.results\[3\]\.output\.dtype/);
  }, 60_000);
});

describe('fuzz', () => {
  type FuzzReport = {
    agreed: number;
    failed: number;
    seed: number;
    shard: string;
    cases: { loss: string; run: number; key: string }[];
    failures: { golden: unknown; message: string }[];
  };

  // Without torch at /usr/bin/python3 (CI installs Debian's python3-torch) this one is skipped, saying so.
  (realTorch ? test : test.skip)(
    `against real torch (${realTorch ? torchPython : `skipped: ${torchPython} has no torch`}): exit 0, and shards i/2 are disjoint and make the unsharded run`,
    async () => {
      const base = ['fuzz', '--torch-python', torchPython, '--loss', 'soft_margin_loss', '--runs', '20', '--seed', '11', '--json'];
      const runs = await Promise.all([[], ['--shard', '1/2'], ['--shard', '2/2']].map((a) => cli([...base, ...a])));
      for (const r of runs) expect(r.exitCode, r.stderr).toBe(0);
      const [whole, ...shards] = runs.map((r) => JSON.parse(r.stdout) as FuzzReport);
      expect(whole!.agreed).toBe(20);
      expect(whole!.cases.map((c) => c.run)).toEqual([...Array(20).keys()]);
      const union = shards.flatMap((s) => s.cases).sort((a, b) => a.run - b.run);
      expect(shards.map((s) => s.cases.length)).toEqual([10, 10]);
      expect(shards.map((s) => s.shard)).toEqual(['1/2', '2/2']);
      expect(union).toEqual(whole!.cases); // the same cases, drawn the same: run by run, key by key
    },
    60_000,
  );

  test('a disagreement: exit 1, the shrunk case printed in golden format, reproducing the failure through the golden runner', async () => {
    const args = ['fuzz', '--torch-python', fake('reject-all'), '--loss', 'soft_margin_loss', '--runs', '20', '--seed', '3'];
    const [text, asJson, keys] = await Promise.all([cli(args), cli([...args, '--json']), documentedKeys('fuzz')]);
    expect(text.exitCode).toBe(1);
    expect(text.stdout).toMatch(
      /^FAIL soft_margin_loss: torch raised ValueError \(the fake torch rejects every case\); the port returned a result$/m,
    );
    expect(text.stdout).toMatch(/its inputs as a line of test\/regressions\/cases\/soft_margin_loss\.json:\n/);
    expect(text.stdout).toMatch(
      /its results as the line at the same place in test\/regressions\/torch-2\.6\.0\+fake\/soft_margin_loss\.json/,
    );
    expect(text.stdout).toMatch(/\n0 cases agree, 1 of 1 losses disagree \(torch 2\.6\.0\+fake .*seed 3, [\d.]+ s\)$/);
    // The two printed lines (the cases file's and the results file's) join to the golden case.
    const [inputs, outcome] = text.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const { error_regex: _regex, ...caseInputs } = inputs!;
    const printed = JSON.stringify({ ...caseInputs, ...outcome });
    expect(asJson.exitCode).toBe(1);
    const report = JSON.parse(asJson.stdout) as FuzzReport;
    expect(Object.keys(report).sort()).toEqual(keys);
    expect(report.failed).toBe(1);
    expect(report.failures[0]!.golden).toEqual(JSON.parse(printed));
    const c = GoldenCase.parse(JSON.parse(printed));
    const golden = {
      format: 3 as const,
      loss: 'soft_margin_loss',
      function: 'soft_margin_loss',
      args: ['input', 'target'],
      grads: ['input'],
      torch: '2.6.0+fake',
      python: '3.0.0',
      seed: 3,
      environment: { cpu_capability: 'avx2' as const, threads: 1, machine: 'x86_64' },
      tolerance: { float32: { rtol: 1.3e-6, atol: 1e-5 }, float64: { rtol: 1e-7, atol: 1e-7 } },
      unavailable: null,
      cases: [c],
    };
    expect(runCase('soft_margin_loss', c, golden).map((r) => r.ok)).toEqual([false]);
  }, 60_000);

  test('no torch or a crashing worker: one line saying why, exit 2', async () => {
    const [missing, noTorch, crash] = await Promise.all([
      cli(['fuzz', '--torch-python', '/nonexistent/python3', '--runs', '5']),
      cli(['fuzz', '--runs', '5'], { TORCH_PYTHON: fake('no-torch') }),
      cli(['fuzz', '--torch-python', fake('crash'), '--runs', '5', '--loss', 'soft_margin_loss', '--json']),
    ]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toBe(
      "fuzz: no torch to fuzz against: the Python command '/nonexistent/python3' (--torch-python) does not exist",
    );
    expect(noTorch.exitCode).toBe(2);
    expect(noTorch.stderr).toMatch(
      /^fuzz: no torch to fuzz against: torch is not importable by .*fake-torch-worker\.mjs no-torch: .*No module named 'torch'/,
    );
    expect(noTorch.stderr.split('\n')).toHaveLength(1);
    expect(crash.exitCode).toBe(2);
    expect(crash.stdout).toBe('');
    expect(crash.stderr).toMatch(/the torch worker failed while fuzzing soft_margin_loss: torch worker exited/);
    expect(crash.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});

test('golden runs the golden pipeline: a Python without torch is one clear message, exit 2, golden/ unchanged', async () => {
  const r = await cli(['golden', '--check'], { TORCH_PYTHON: fake('no-torch') });
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toMatch(/torch is not importable by .*fake-torch-worker\.mjs no-torch/);
  expect(r.stderr).toMatch(/golden\/ is unchanged/);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}, 60_000);

test('bench without torch: the table says why the torch columns are empty, the JSON file has every row; TF.js fills its column for float32 where tf.losses has the loss', async () => {
  const out = join(scratch, 'bench.json');
  const bench = (losses: string, json: string) =>
    cli(['bench', '--sizes', '1e3', '--losses', losses, '--repeats', '3', '--json', json, '--torch-python', '/nonexistent/python3']);
  const [r, none] = await Promise.all([bench('soft_margin_loss,kl_div', out), bench('kl_div', join(scratch, 'bench-none.json'))]);
  expect(r.exitCode, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/^torch columns empty: the Python command '\/nonexistent\/python3' \(--torch-python\) does not exist$/m);
  expect(r.stdout).toMatch(
    /^TensorFlow\.js \d+\.\d+\.\d+ \(cpu backend\), float32 only \(it has no float64 tensors\): soft_margin_loss as tf\.losses\.sigmoidCrossEntropy; tfjs column empty for the other 1 \(no tf\.losses counterpart\)$/m,
  );
  // port ns/el, torch 1t, port all, torch all, then tfjs: filled for float32 only
  expect(r.stdout).toMatch(/^soft_margin_loss +float32 +1000 +forward +\d+\.\d+ +- +- +- +\d+\.\d+ /m);
  expect(r.stdout).toMatch(/^soft_margin_loss +float64 +1000 +forward +\d+\.\d+ +- +- +- +- /m);
  expect(none.exitCode, none.stderr).toBe(0);
  expect(none.stdout).toMatch(/^tfjs column empty: none of these losses has a tf\.losses counterpart \(.*\bcross_entropy\b.* do\)$/m);
  const report = JSON.parse(readFileSync(out, 'utf8')) as {
    torch: unknown;
    tfjs: string | null;
    rows: { loss: string; dtype: string; pass: string; port: number; portBytes: number; tfjs: number | null }[];
  };
  expect(report.torch).toBeNull();
  expect(report.tfjs).toMatch(/^\d+\.\d+\.\d+$/);
  // a forward + backward holds at least its gradient: 1000 floats of 4 or 8 bytes
  for (const row of report.rows.filter((x) => x.pass === 'forward+backward'))
    expect(row.portBytes).toBeGreaterThanOrEqual(row.dtype === 'float32' ? 4000 : 8000);
  expect(report.rows.map((x) => `${x.loss} ${x.dtype} ${x.pass} ${x.tfjs === null ? 'no tfjs' : 'tfjs'}`)).toEqual([
    'soft_margin_loss float32 forward tfjs',
    'soft_margin_loss float32 forward+backward tfjs',
    'soft_margin_loss float64 forward no tfjs',
    'soft_margin_loss float64 forward+backward no tfjs',
    'kl_div float32 forward no tfjs',
    'kl_div float32 forward+backward no tfjs',
    'kl_div float64 forward no tfjs',
    'kl_div float64 forward+backward no tfjs',
  ]);
  for (const row of report.rows) expect(row.port).toBeGreaterThan(0);
  for (const row of report.rows) if (row.tfjs !== null) expect(row.tfjs).toBeGreaterThan(0);
}, 60_000);
