// `torch-loss-parity check` as a user runs it (node --import tsx scripts/cli.ts check ...): the four
// examples under examples/, each with its verdict asserted exactly — which cases fail on which
// torch release, computed from the goldens' own content by the rule that explains them, never a
// list of ids — and broken implementations (not a function, a crash, a hang, a line that is not
// JSON, a tensor whose data does not fill its shape, ...), each a failure naming its case, never a hang.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { type CheckOptions, loadCheckGoldens, runCheck } from '../scripts/lib/check.ts';
import type { GoldenCase, TensorJson } from '../ts/golden/schema.ts';
import { tensorValues } from '../ts/golden/schema.ts';

const root = new URL('..', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'check-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function check(args: string[], env: Record<string, string> = {}) {
  return execa(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', 'check', ...args], {
    cwd: root,
    reject: false,
    env: { CI: '1', ...env },
    timeout: 150_000,
  });
}

interface Report {
  held: string;
  exitCode: number;
  losses: string[];
  problems: string[];
  torch: {
    torch: string;
    held: boolean;
    cases: number;
    passedCases: number;
    failedCases: number;
    brokenCases: number;
    unsupportedCases: number;
  }[];
  failures: {
    torch: string;
    id: string;
    kind: string;
    status: string;
    message: string;
    element: { index: number; ulp: number | null } | null;
  }[];
  unsupported: { torch: string; id: string; kind: string; reason: string }[];
}
const report = (r: { stdout: string }) => JSON.parse(r.stdout) as Report;
const key = (torch: string, id: string, kind: string) => `${torch}|${id}|${kind}`;
const failedSet = (r: Report) => new Set(r.failures.map((f) => key(f.torch, f.id, f.kind)));
const sorted = (s: Set<string>) => [...s].sort();

const BCE = 'binary_cross_entropy_with_logits';
const goldens = loadCheckGoldens(join(root, 'golden'));
const bce = goldens.filter((g) => g.golden.loss === BCE).map((g) => g.golden);
const NEWEST = bce
  .map((g) => g.torch)
  .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
  .pop()!;
/** The newest BCEWithLogits golden's cases (the broken-implementation runs check that file alone). */
const CASES = bce.find((g) => g.torch === NEWEST)!.cases.length;
/**
 * A mixed-dtype case whose output torch gives in another dtype than the input's (BCEWithLogits'
 * loss is built in place on (1 - target): the target's dtype). The textbook port answers in the
 * input's dtype, so its output fails there.
 */
const outputDtypeNotInput = (c: GoldenCase, kind: string) => kind === 'output' && c.output !== null && c.output.dtype !== c.dtype;
const numpy = (await execa('/usr/bin/python3', ['-c', 'import numpy'], { reject: false })).exitCode === 0;

// The examples run at once, each a CLI and the implementation's process; each test awaits its own.
const runs = {
  library: check(['--impl', 'examples/this-library/torch-loss-parity.config.ts', '--json']),
  publicApi: check(['--impl', 'examples/this-library/public-api.config.json', '--loss', 'cross_entropy,mse_loss', '--json']),
  textbook: check(['--impl', 'examples/textbook-bce/bce.mjs', '--json', '--html', join(scratch, 'textbook.html')]),
  textbookText: check(['--impl', 'examples/textbook-bce/bce.mjs', '--torch', '1.13', '--loss', BCE]),
  numpy: numpy ? check(['--command', '/usr/bin/python3 examples/numpy/bce_numpy.py', '--strict-errors', '--json']) : null,
  tfjs: check(['--impl', 'examples/tfjs/tfjs-bce.mjs', '--json']),
};

// ---- the rules --------------------------------------------------------------------------------------

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** A tensor kwarg's values broadcast to `shape` (NumPy's rules), or null when it is not given. */
function expand(t: TensorJson | null | undefined, shape: readonly number[]): Float64Array | null {
  if (!t) return null;
  const v = tensorValues(t);
  const out = new Float64Array(numel(shape));
  const offset = shape.length - t.shape.length;
  for (let i = 0; i < out.length; i++) {
    let rest = i;
    let src = 0;
    let stride = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      const coord = rest % shape[d]!;
      rest = Math.floor(rest / shape[d]!);
      const k = d - offset;
      if (k >= 0) {
        if (t.shape[k] !== 1) src += coord * stride;
        stride *= t.shape[k]!;
      }
    }
    out[i] = v[src]!;
  }
  return out;
}

const kwarg = (c: GoldenCase, name: string) => c.kwargs[name] as TensorJson | null | undefined;

interface Tol {
  rtol: number;
  atol: number;
}

/** torch.testing.assert_close's rule, element by element. */
function within(got: ArrayLike<number>, want: ArrayLike<number>, tol: Tol): boolean {
  for (let i = 0; i < want.length; i++) {
    const a = got[i]!;
    const b = want[i]!;
    if (!Number.isFinite(a) || !Number.isFinite(b)) {
      if (!(a === b || (Number.isNaN(a) && Number.isNaN(b)))) return false;
    } else if (Math.abs(a - b) > tol.atol + tol.rtol * Math.abs(b)) return false;
  }
  return true;
}

/** reduction 'none' | 'sum' | 'mean' of per-element values, in float64. */
function reduce(values: number[], reduction: unknown): number[] {
  if (reduction === 'none') return values;
  const sum = values.reduce((a, b) => a + b, 0);
  return [reduction === 'sum' ? sum : sum / values.length];
}

/**
 * torch's BCEWithLogits exactly (float64 arithmetic, then rounded once to the case's dtype):
 * w ((1 - y) x + L (log1p(exp(-|x|)) + max(-x, 0))), L = 1 + (p - 1) y, and its gradient
 * w g (L sigmoid(x) - p y), from the case's inputs.
 */
function exactBce(c: GoldenCase): { output: number[]; grad: number[] | null } {
  const x = tensorValues(c.args.input!);
  const y = tensorValues(c.args.target!);
  const shape = c.args.input!.shape;
  const w = expand(kwarg(c, 'weight'), shape);
  const p = expand(kwarg(c, 'pos_weight'), shape);
  const reduction = c.kwargs.reduction ?? 'mean';
  const n = x.length;
  const loss: number[] = [];
  const slope: number[] = [];
  for (let i = 0; i < n; i++) {
    const pw = p ? p[i]! : 1;
    const L = 1 + (pw - 1) * y[i]!;
    const wi = w ? w[i]! : 1;
    loss.push(wi * ((1 - y[i]!) * x[i]! + L * (Math.log1p(Math.exp(-Math.abs(x[i]!))) + Math.max(-x[i]!, 0))));
    slope.push(wi * (L / (1 + Math.exp(-x[i]!)) - pw * y[i]!));
  }
  const g = c.grad_output ? tensorValues(c.grad_output) : null;
  const round = c.dtype === 'float32' ? Math.fround : (v: number) => v;
  const grad = g && slope.map((s, i) => round((s * (reduction === 'none' ? g[i]! : g[0]!)) / (reduction === 'mean' ? n : 1)));
  return { output: reduce(loss, reduction).map(round), grad };
}

/**
 * What applying pos_weight to the whole loss adds to torch's: (p - 1) y (1 - y) x w per loss
 * element (reduced as the loss is) and (p - 1) y (1 - y) w g per gradient element; zero for hard
 * targets, p = 1 or x = 0. Null without pos_weight.
 */
function wholeLossFactorError(c: GoldenCase): { output: number[]; grad: number[] | null } | null {
  const shape = c.args.input!.shape;
  const p = expand(kwarg(c, 'pos_weight'), shape);
  if (!p) return null;
  const x = tensorValues(c.args.input!);
  const y = tensorValues(c.args.target!);
  const w = expand(kwarg(c, 'weight'), shape);
  const reduction = c.kwargs.reduction ?? 'mean';
  const e = Array.from(x, (_, i) => (p[i]! - 1) * y[i]! * (1 - y[i]!) * (w ? w[i]! : 1));
  const g = c.grad_output ? tensorValues(c.grad_output) : null;
  return {
    output: reduce(
      e.map((ei, i) => ei * x[i]!),
      reduction,
    ),
    grad: g && e.map((ei, i) => (ei * (reduction === 'none' ? g[i]! : g[0]!)) / (reduction === 'mean' ? x.length : 1)),
  };
}

/** Whether an added error exceeds the tolerance somewhere torch's value is finite. */
const exceeds = (error: number[], torch: Float64Array, tol: Tol) =>
  error.some((d, i) => Number.isFinite(torch[i]!) && !(Math.abs(d) <= tol.atol + tol.rtol * Math.abs(torch[i]!)));

/** An input of +inf where y != 1: x * y is inf - inf or inf * 0 there (NaN), where torch's (1 - y) x is +inf; torch's output is not NaN. */
function infiniteLogitNotOne(c: GoldenCase): boolean {
  const x = tensorValues(c.args.input!);
  const y = tensorValues(c.args.target!);
  const out = tensorValues(c.output!);
  return Array.from(x).some((v, i) => v === Infinity && y[i] !== 1 && !Number.isNaN(out[c.output!.shape.length ? i : 0]!));
}

/** The checks a case makes ('grad' only where torch recorded a gradient). */
const kindsOf = (c: GoldenCase) => (c.error ? ['error'] : c.grads ? ['output', 'grad'] : ['output']) as ('output' | 'grad' | 'error')[];

// ---- the examples -----------------------------------------------------------------------------------

test('example 1: this library through a config file (every registered loss, each release followed) passes every case of every release', async () => {
  const r = await runs.library;
  expect(r.stderr).toBe('');
  const rep = report(r);
  expect(rep.exitCode).toBe(0);
  expect(r.exitCode).toBe(0);
  expect(rep.failures).toEqual([]);
  expect(rep.losses.sort()).toEqual([...new Set(goldens.map((g) => g.golden.loss))].sort());
  expect(rep.held).toBe(NEWEST);
  const releases = new Set(goldens.map((g) => g.golden.torch));
  expect(rep.torch.map((t) => t.torch).sort()).toEqual([...releases].sort());
  for (const t of rep.torch) {
    const cases = goldens.filter((g) => g.golden.torch === t.torch).reduce((n, g) => n + g.golden.cases.length, 0);
    expect(t, t.torch).toMatchObject({ cases, passedCases: cases, failedCases: 0, brokenCases: 0, unsupportedCases: 0 });
  }
}, 150_000);

test('a JSON config over the public API (positional calls, camelCase options, no torchVersion) passes the newest release', async () => {
  const r = await runs.publicApi;
  const rep = report(r);
  expect(r.exitCode).toBe(0);
  expect(rep.failures.filter((f) => f.torch === rep.held)).toEqual([]);
  expect(rep.losses).toEqual(['cross_entropy', 'mse_loss']);
  // following the newest release, it differs from older ones where their behaviour differs
  expect(rep.torch.find((t) => t.torch === '1.7.0a0')?.failedCases).toBeGreaterThan(0);
}, 150_000);

test('example 2: the textbook BCEWithLogits fails exactly where its formula departs from torch (pos_weight on the whole loss, +inf logits, torch float32 rounding) on every release, and passes the rest', async () => {
  const r = await runs.textbook;
  const rep = report(r);
  expect(r.exitCode).toBe(1);
  expect(rep.failures.every((f) => f.status === 'fail')).toBe(true);
  const want = new Set<string>();
  const why = { factor: 0, infinity: 0, rounding: 0, dtype: 0 };
  for (const g of bce) {
    for (const c of g.cases) {
      if (c.error) continue; // it raises for each of torch's argument errors
      const tol = g.tolerance[c.dtype];
      const exact = exactBce(c);
      const factor = wholeLossFactorError(c);
      for (const kind of kindsOf(c)) {
        const torch = tensorValues(kind === 'output' ? c.output! : c.grads!.input!);
        const rule = {
          // 1. the pos_weight factor applied to the whole loss, beyond the tolerance
          factor: factor !== null && exceeds(kind === 'output' ? factor.output : factor.grad!, torch, tol),
          // 2. x * y of an infinite logit
          infinity: kind === 'output' && infiniteLogitNotOne(c),
          // 3. torch's own float32 rounding shows: its value is beyond tolerance of the exact one (the textbook computes in float64)
          rounding: !within(kind === 'output' ? exact.output : exact.grad!, torch, tol),
          // 4. a mixed-dtype case's output in torch's dtype, not the input's
          dtype: outputDtypeNotInput(c, kind),
        };
        if (rule.factor || rule.infinity || rule.rounding || rule.dtype) want.add(key(g.torch, c.id, kind));
        for (const k of ['factor', 'infinity', 'rounding', 'dtype'] as const) if (rule[k]) why[k]++;
      }
    }
  }
  expect(sorted(failedSet(rep))).toEqual(sorted(want));
  // each mechanism shows, and torch 1.13's float32 rounding fails a case 2.14's does not
  expect(why.factor).toBeGreaterThan(100);
  expect(why.infinity).toBeGreaterThan(0);
  expect(why.rounding).toBeGreaterThan(0);
  expect(why.dtype).toBeGreaterThan(0);
  const only113 = [...want].filter((k) => k.startsWith('1.13.0a0|') && !want.has(k.replace('1.13.0a0', NEWEST)));
  expect(only113.length).toBeGreaterThan(0);
  // the HTML report: the parity page's layout, red banner, the failing cases
  const html = readFileSync(join(scratch, 'textbook.html'), 'utf8');
  expect(html).toMatch(/<div class="banner fail">[\d,]+ passed, [\d,]+ failed<\/div>/);
  expect(html).toContain('pos_weight-scalar/4x5');
  expect(html).toContain(`Held to torch ${NEWEST}`);
  // the text report, held to 1.13 (a prefix), names the failing cases with the worst element, got, want and ULP
  const text = await runs.textbookText;
  expect(text.exitCode).toBe(1);
  expect(text.stdout).toMatch(/^held to torch 1\.13\.0a0 \(\* in the table\); also shown: 1\.7\.0a0, 2\.6\.0\+debian, 2\.14\.1\+debian$/m);
  expect(text.stdout).toMatch(
    /^FAIL output binary_cross_entropy_with_logits\/float32\/none\/pos_weight-scalar\/4x5: output: element \d+ \[\d, \d\]: got [\d.]+, want [\d.]+ \(\|diff\| [\d.e-]+ > tolerance [\d.e-]+, \d+ ULP\)$/m,
  );
  expect(text.stdout).toMatch(new RegExp(`^torch 1\\.13\\.0a0 \\(held\\): \\d+ of ${CASES} cases pass, \\d+ fail`, 'm'));
  expect(text.stdout).toMatch(/^verdict: FAIL against torch 1\.13\.0a0/m);
}, 150_000);

test.skipIf(!numpy)(
  'example 3: the NumPy port through --command passes every case of the release whose formula it ports (with torch error types and messages), and fails the older releases exactly where their goldens differ from it',
  async () => {
    const r = await runs.numpy!;
    const rep = report(r);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(rep.held).toBe(NEWEST);
    const held = bce.find((g) => g.torch === NEWEST)!;
    const want = new Set<string>();
    for (const g of bce) {
      for (const c of g.cases) {
        const h = held.cases.find((x) => x.id === c.id)!;
        const tol = g.tolerance[c.dtype];
        for (const kind of kindsOf(c)) {
          const differs =
            kind === 'error'
              ? h.error === null || h.error.type !== c.error!.type || !new RegExp(c.error!.regex ?? '').test(h.error.message)
              : !within(
                  tensorValues(kind === 'output' ? h.output! : h.grads!.input!),
                  tensorValues(kind === 'output' ? c.output! : c.grads!.input!),
                  tol,
                );
          if (differs) want.add(key(g.torch, c.id, kind));
        }
      }
    }
    expect(sorted(failedSet(rep))).toEqual(sorted(want));
    expect([...want].filter((k) => k.startsWith('1.13.0a0|')).length).toBeGreaterThan(0);
  },
  150_000,
);

/**
 * TensorFlow.js's tf.losses.sigmoidCrossEntropy as its cpu backend evaluates it (its source):
 * relu(x) - x * y + log1p(exp(-|x|)) with each op rounded to float32, times the weights; 'sum' adds
 * the float32 losses in float64 and rounds once, 'mean' divides each by n first.
 */
function tfjsModel(c: GoldenCase): number[] {
  const f = Math.fround;
  const x = tensorValues(c.args.input!);
  const y = tensorValues(c.args.target!);
  const w = expand(kwarg(c, 'weight'), c.args.input!.shape);
  const loss = Array.from(x, (xi, i) => {
    const l = f(f(f(Math.max(xi, 0)) - f(xi * y[i]!)) + f(Math.log1p(f(Math.exp(f(-Math.abs(xi)))))));
    return w ? f(l * w[i]!) : l;
  });
  const reduction = c.kwargs.reduction ?? 'mean';
  if (reduction === 'none') return loss;
  const n = loss.length;
  return [f(loss.reduce((a, l) => a + (reduction === 'mean' ? f(l / n) : l), 0))];
}

test('example 4: TensorFlow.js fails exactly where its float32 formula departs from torch (an empty mean, +inf logits, x*y rounding), broadcasts a weight torch rejects, and declines float64 and pos_weight', async () => {
  const r = await runs.tfjs;
  const rep = report(r);
  expect(r.exitCode).toBe(1);
  const want = new Set<string>();
  const unsupported = new Set<string>();
  for (const g of bce) {
    for (const c of g.cases) {
      const declined =
        c.dtype === 'float64' ||
        Boolean(kwarg(c, 'pos_weight')) ||
        c.args.target!.dtype === 'float64' ||
        kwarg(c, 'weight')?.dtype === 'float64';
      for (const kind of kindsOf(c)) {
        if (declined) unsupported.add(key(g.torch, c.id, kind));
        else if (kind === 'error') {
          // torch rejects a weight that broadcasts the loss to a larger shape; TensorFlow broadcasts it
          const weight = kwarg(c, 'weight');
          const input = c.args.input!.shape;
          const grows = weight && weight.shape.length > input.length && c.args.target!.shape.join() === input.join();
          if (grows) want.add(key(g.torch, c.id, kind));
        } else if (kind === 'output' && !within(tfjsModel(c), tensorValues(c.output!), g.tolerance[c.dtype]))
          want.add(key(g.torch, c.id, kind));
        // gradients: tf.grad gives (sigmoid(x) - y) w g, within tolerance everywhere
      }
    }
  }
  expect(sorted(failedSet(rep))).toEqual(sorted(want));
  expect(sorted(new Set(rep.unsupported.map((u) => key(u.torch, u.id, u.kind))))).toEqual(sorted(unsupported));
  const held = rep.torch.find((t) => t.held)!;
  expect(held).toMatchObject({ cases: CASES, failedCases: 6, brokenCases: 0 });
}, 150_000);

// ---- broken implementations -------------------------------------------------------------------------

describe.concurrent('a broken implementation is a failure naming its case (exit 2), never a hang', () => {
  // One golden file (the newest BCEWithLogits) keeps each run short; the fixtures misbehave on the
  // cases of a plan, one way each, and answer every other case correctly. These run runCheck in
  // this process (the examples above run the CLI); each implementation runs in a process of its own.
  const dir = join(scratch, 'one', `torch-${NEWEST}`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(root, 'golden', `torch-${NEWEST}`, `${BCE}.json`), join(dir, `${BCE}.json`));
  mkdirSync(join(scratch, 'one', 'cases'), { recursive: true });
  copyFileSync(join(root, 'golden', 'cases', `${BCE}.json`), join(scratch, 'one', 'cases', `${BCE}.json`));
  const golden = join(scratch, 'one');
  const newest = bce.find((g) => g.torch === NEWEST)!;
  // cases torch computes with a gradient, whose output is not [7] (the 'other-shape' reply)
  const targets = newest.cases.filter((c) => c.grads && c.output!.shape.join() !== '7').map((c) => c.id);
  const planOf = (modes: string[]) => Object.fromEntries(modes.map((m, i) => [targets[i * 7]!, m]));
  const protocol = `${process.execPath} --import tsx test/fixtures/check/protocol.mjs`;

  async function run(o: Partial<CheckOptions>, plan: Record<string, string> = {}) {
    let stdout = '';
    let stderr = '';
    const exitCode = await runCheck(
      {
        golden,
        json: false,
        strictErrors: false,
        maxBroken: 10,
        cwd: root,
        ...o,
        env: { ...process.env, CHECK_FIXTURE_PLAN: JSON.stringify(plan) },
        print: (t) => {
          stdout += t;
        },
      },
      (line) => {
        stderr += `${line}\n`;
      },
    );
    return { exitCode, stdout, stderr };
  }

  /** The plan's cases, and only they, are not passed: each with its status and a message matching its pattern. */
  async function onlyPlanned(
    o: Partial<CheckOptions>,
    plan: Record<string, string>,
    expected: Record<string, { status: string; why: RegExp; kinds?: string[] }>,
    exitCode: number,
  ) {
    const r = await run({ ...o, json: true }, plan);
    expect(r.exitCode, r.stderr).toBe(exitCode);
    const rep = report(r);
    const want = Object.entries(plan).flatMap(([id, mode]) =>
      (expected[mode]!.kinds ?? ['output', 'grad']).map((k) => `${id}|${k}|${expected[mode]!.status}`),
    );
    expect(rep.failures.map((f) => `${f.id}|${f.kind}|${f.status}`).sort()).toEqual(want.sort());
    for (const f of rep.failures) expect(f.message, f.id).toMatch(expected[plan[f.id]!]!.why);
    expect(rep.torch[0]).toMatchObject({ cases: CASES, passedCases: CASES - Object.keys(plan).length });
  }

  test('--impl: a crash (process.exit), a hang (killed after --timeout), a tensor whose data does not fill its shape, a string for a tensor, a missing gradient', () =>
    onlyPlanned(
      { impl: 'test/fixtures/check/broken.mjs', timeout: 2 },
      planOf(['crash', 'hang', 'bad-tensor', 'not-a-tensor', 'grad-missing']),
      {
        crash: { status: 'broken', why: /^the implementation exited with status 7 before replying/ },
        hang: {
          status: 'broken',
          why: /^no reply within 2 s \(timed out; the implementation was killed\. A reply is one line, ended by a newline and flushed\)/,
        },
        'bad-tensor': {
          status: 'broken',
          why: /^output: malformed tensor: data holds 5 values; shape \[2, 3\] needs 6$/,
          kinds: ['output'],
        },
        'not-a-tensor': { status: 'broken', why: /binary_cross_entropy_with_logits returned a string, not a tensor \{ shape, data \}/ },
        'grad-missing': { status: 'broken', why: /^grad input: gradients were asked for; no gradient for 'input'$/, kinds: ['grad'] },
      },
      2,
    ));

  test('--impl: a well-formed tensor of another shape, and a throw where torch returns, are failing cases (exit 1)', () =>
    onlyPlanned(
      { impl: 'test/fixtures/check/broken.mjs' },
      planOf(['other-shape', 'throws']),
      {
        'other-shape': { status: 'fail', why: /^output: shape \[7\] != torch's \[[\d, ]*\]$/, kinds: ['output'] },
        throws: {
          status: 'fail',
          why: /^raised TypeError: cannot read properties of undefined; torch returned a \[[\d, ]*\] float(32|64) tensor$/,
        },
      },
      1,
    ));

  test('--command: a line that is not JSON, a reply out of step, an exit without a reply', () =>
    onlyPlanned(
      { command: protocol, timeout: 2 },
      planOf(['malformed', 'out-of-step', 'exit']),
      {
        malformed: { status: 'broken', why: /^malformed reply: not JSON .*"Traceback: this is not JSON"$/ },
        'out-of-step': { status: 'broken', why: /^a reply for request \d+ where request \d+ was due \(the replies are out of step\)$/ },
        exit: { status: 'broken', why: /^the implementation exited with status 3 before replying/ },
      },
      2,
    ));

  test('--max-broken: after n broken cases in a row the rest are not run, and say why', async () => {
    const r = await run({ impl: 'test/fixtures/check/broken.mjs', maxBroken: 3, json: true }, { '*': 'crash' });
    expect(r.exitCode).toBe(2);
    const rep = report(r);
    const first = newest.cases.slice(0, 3).flatMap((c) => kindsOf(c).map(() => `${c.id}|broken`));
    expect(rep.failures.filter((f) => f.status === 'broken').map((f) => `${f.id}|${f.status}`)).toEqual(first);
    const notRun = rep.failures.filter((f) => f.status === 'not-run');
    expect(new Set(notRun.map((f) => f.id)).size).toBe(CASES - 3);
    expect(notRun[0]!.message).toBe('not run: the implementation broke on 3 cases in a row (--max-broken 3)');
  });

  test('--impl: an export under a loss name that is not a function: every case of that loss, one line', async () => {
    const r = await run({ impl: 'test/fixtures/check/not-a-function.mjs' });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toMatch(
      /^BROKEN: test\/fixtures\/check\/not-a-function\.mjs exports binary_cross_entropy_with_logits as a number, not a function$/m,
    );
    expect(r.stdout).toMatch(new RegExp(`^ {2}\\.\\.\\. and ${CASES - 1} more broken checks with the same message`, 'm'));
    expect(r.stdout).toMatch(/^verdict: BROKEN/m);
  });

  test('it does not start: a module that throws on import (through the CLI), stdout noise before the hello, a hello of another spec, a command that does not exist', async () => {
    const results = await Promise.all([
      check(['--impl', 'test/fixtures/check/throws-on-import.mjs', '--golden', golden]),
      run({ command: `${protocol} noise` }),
      run({ command: `${protocol} bad-hello` }),
      run({ command: 'no-such-program-for-check --flag' }),
    ]);
    const messages = [
      /could not be loaded: this module cannot be loaded/,
      /malformed reply: not JSON .*"starting up\.\.\."/,
      /malformed hello reply at \.spec/,
      /the implementation exited with status 127 before replying; its stderr ends: .*not found/,
    ];
    results.forEach((r, i) => {
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/is broken: it did not start: /);
      expect(r.stderr).toMatch(messages[i]!);
    });
  });

  test('usage: both --impl and --command, an unknown --loss or --torch, no goldens, an invalid config, nothing to check', async () => {
    const bad = join(scratch, 'bad.config.json');
    writeFileSync(
      bad,
      JSON.stringify({ spec: 1, module: './x.mjs', functions: { binary_cross_entropy_with_logits: { forward: 'f', call: 'sideways' } } }),
    );
    const textbook = 'examples/textbook-bce/bce.mjs';
    const cases: [Partial<CheckOptions>, RegExp][] = [
      [{ impl: textbook, command: 'true' }, /give one of --impl and --command, not both/],
      [{ impl: textbook, losses: ['nope'] }, /--loss nope: no golden files for it/],
      [{ impl: textbook, torch: '9.9' }, /--torch 9\.9: no golden files of it .*there: 2\.14\.1\+debian/],
      [{ impl: textbook, golden: join(scratch, 'nothing-here') }, /does not exist/],
      [{ impl: bad }, /bad\.config\.json: invalid config at \$\.functions\.binary_cross_entropy_with_logits/],
      [{ cwd: scratch }, /give --impl MODULE or --command "CMD" \(or put a torch-loss-parity\.config\.ts/],
    ];
    const results = await Promise.all(cases.map(([o]) => run(o)));
    results.forEach((r, i) => {
      expect(r.exitCode, JSON.stringify(cases[i]![0])).toBe(2);
      expect(r.stderr, JSON.stringify(cases[i]![0])).toMatch(cases[i]![1]);
    });
  });

  test('a torch-loss-parity.config.json in the current folder is found without --impl (here: a command config)', async () => {
    const dir = join(scratch, 'project');
    mkdirSync(dir, { recursive: true });
    const fixture = join(root, 'test/fixtures/check/protocol.mjs');
    writeFileSync(
      join(dir, 'torch-loss-parity.config.json'),
      JSON.stringify({ spec: 1, name: 'found', command: `${process.execPath} --import ${import.meta.resolve('tsx')} ${fixture}` }),
    );
    const r = await run({ cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^check: found against /m);
    expect(r.stdout).toMatch(new RegExp(`^torch 2\\.14\\.1\\+debian \\(held\\): ${CASES} of ${CASES} cases pass, 0 fail`, 'm'));
  });
});
