// `npm run golden` replaces golden/ at one commit point: whatever fails or is killed, and whenever,
// golden/ afterwards is the old set or the new set byte for byte, never a mix, and what the command
// printed says which. Broken the way issue 16 broke it: failures and kills injected into the
// rename syscalls with strace, SIGINT / SIGTERM / SIGKILL at every phase. Each scenario runs on a
// temporary copy of two committed torch folders; a fake interpreter (test/fixtures/fake-python.mjs
// golden) regenerates torch 1.13's results files with another Python in their header, so the new set differs.

import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { afterAll, expect, test } from 'vitest';
import { GOLDEN_DIR, PACKAGE_ROOT } from '../ts/golden/paths.ts';
import { loadGoldens } from '../ts/golden/run.ts';

type SetName = 'old' | 'new' | 'missing' | 'mixed';
const TORCH_DIRS = ['cases', 'torch-1.13.0a0', 'torch-2.6.0+debian'];
const work = mkdtempSync(join(tmpdir(), 'golden-atomic-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const sha1 = (bytes: Uint8Array) => createHash('sha1').update(bytes).digest('hex');

/** relative path -> sha1 of every file under dir. */
function hashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out[relative(dir, join(d, e.name))] = sha1(readFileSync(join(d, e.name)));
    }
  };
  walk(dir);
  return out;
}

const oldSet: Record<string, string> = {};
for (const d of TORCH_DIRS) for (const [rel, h] of Object.entries(hashes(join(GOLDEN_DIR, d)))) oldSet[join(d, rel)] = h;
// What the fake generator prints (the same rewrite as the fixture's); the cases files are the host
// Python's, the committed ones byte for byte.
const newSet = { ...oldSet };
for (const rel of Object.keys(oldSet).filter((r) => r.startsWith('torch-1.13.0a0/'))) {
  newSet[rel] = sha1(Buffer.from(readFileSync(join(GOLDEN_DIR, rel), 'utf8').replace(/"python":"[^"]*"/, '"python":"3.0.0"')));
}
expect(newSet).not.toEqual(oldSet);

function whichSet(dir: string): SetName {
  if (!existsSync(dir)) return 'missing';
  const now = JSON.stringify(hashes(dir));
  return now === JSON.stringify(oldSet) ? 'old' : now === JSON.stringify(newSet) ? 'new' : 'mixed';
}

let nextId = 0;
/** A fresh folder holding golden/ (a copy of the committed torch 1.13 and 2.6 sets) and reports/. */
function freshCopy(): string {
  const dir = join(work, `s${nextId++}`);
  for (const d of TORCH_DIRS) cpSync(join(GOLDEN_DIR, d), join(dir, 'golden', d), { recursive: true });
  return dir;
}

/** A host Python for the commit's exchange that first (or afterwards) sends `signal` to `npm run golden`. */
function signallingPython(dir: string, signal: string, when: 'before' | 'after'): string {
  const path = join(dir, `python-${signal}-${when}`);
  const body =
    when === 'before' ? `kill -${signal} $PPID\nexec /usr/bin/python3 "$@"` : `/usr/bin/python3 "$@"; s=$?; kill -${signal} $PPID; exit $s`;
  // The host Python also makes the case inputs (goldens.py --inputs): only the exchange signals.
  writeFileSync(path, `#!/bin/sh\ncase "$*" in *renameat2*) ;; *) exec /usr/bin/python3 "$@" ;; esac\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

interface Scenario {
  name: string;
  /** strace -e inject=... specs (the run is traced when given). */
  inject?: string[];
  env?: Record<string, string>;
  /** Send `signal` once a stderr line matches `at` (to the process group unless `nodeOnly`). */
  signal?: { at: RegExp; name: NodeJS.Signals; nodeOnly?: boolean };
  hostPython?: (dir: string) => string;
  expectSet: 'old' | 'new';
  expectCode: number | null;
  expectMessage: RegExp | null; // null: killed, it prints nothing about the outcome
  /** After a kill: what loadGoldens (or the next run) repairs it to. */
  recovered?: 'old' | 'new';
}

interface Outcome {
  dir: string;
  code: number | undefined;
  output: string;
  set: SetName;
  leftovers: string[];
}

async function run(s: Scenario, dir = freshCopy()): Promise<Outcome> {
  const golden = [
    process.execPath,
    '--import',
    'tsx',
    join(PACKAGE_ROOT, 'scripts/cli.ts'),
    'golden',
    '--golden-dir',
    join(dir, 'golden'),
    '--report-dir',
    join(dir, 'reports'),
  ];
  const command = s.inject
    ? ['strace', '-f', '-qq', '-o', '/dev/null', ...s.inject.flatMap((i) => ['-e', `inject=${i}`]), ...golden]
    : golden;
  const env: Record<string, string> = {
    TORCH_PYTHON: `node ${join(PACKAGE_ROOT, 'test/fixtures/fake-python.mjs')} golden`,
    CI: '1',
    FAKE_LOG: join(dir, 'fake.log'),
    ...s.env,
  };
  if (s.hostPython) env.TORCH_PARITY_HOST_PYTHON = s.hostPython(dir);
  const child = execa(command[0]!, command.slice(1), {
    cwd: PACKAGE_ROOT,
    env,
    reject: false,
    all: true,
    detached: true,
    timeout: 120_000,
  });
  if (s.signal) {
    // Watch both what the run prints and what the fake interpreter is doing (FAKE_LOG).
    const { at, name, nodeOnly } = s.signal;
    let printed = '';
    child.stderr!.on('data', (b: Buffer) => (printed += b.toString()));
    const watch = setInterval(() => {
      const seen = printed + (existsSync(env.FAKE_LOG!) ? readFileSync(env.FAKE_LOG!, 'utf8') : '');
      if (!seen.split('\n').some((l) => at.test(l))) return;
      clearInterval(watch);
      process.kill(nodeOnly ? child.pid! : -child.pid!, name);
    }, 20);
    void child.finally(() => clearInterval(watch));
  }
  const r = await child;
  await nothingLeftRunning(dir);
  const leftovers = readdirSync(dir).filter((n) => n.startsWith('.golden-'));
  return { dir, code: r.exitCode ?? undefined, output: String(r.all), set: whichSet(join(dir, 'golden')), leftovers };
}

/**
 * Waits until no process mentions `dir` in its arguments or environment: a run killed during its
 * commit leaves the exchange running (by design: it finishes the one syscall), and nothing a
 * scenario started may outlive it.
 */
async function nothingLeftRunning(dir: string): Promise<void> {
  const mentions = (pid: string) => {
    try {
      return ['cmdline', 'environ'].some((f) => readFileSync(`/proc/${pid}/${f}`).includes(dir));
    } catch {
      return false; // gone meanwhile
    }
  };
  for (let waited = 0; waited < 10_000; waited += 50) {
    if (!readdirSync('/proc').some((pid) => /^\d+$/.test(pid) && mentions(pid))) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`processes started for ${dir} are still running after 10 s`);
}

/** Whatever it printed about golden/ is what golden/ holds. */
function expectTruthful(o: Outcome, what: string): void {
  if (/golden\/ is unchanged/.test(o.output)) expect.soft(o.set, `${what}: said unchanged`).toBe('old');
  if (/golden\/ holds the new set/.test(o.output)) expect.soft(o.set, `${what}: said new`).toBe('new');
}

const exchangeUnsupported = 'renameat2:error=EINVAL:when=1'; // a filesystem without RENAME_EXCHANGE
const scenarios: Scenario[] = [
  { name: 'a clean run', expectSet: 'new', expectCode: null, expectMessage: /golden\/ holds the new set/ },
  // torch 1.7 aborts at interpreter exit after answering: its answer counts, not its exit status.
  {
    name: 'a probe that aborts after it answers',
    env: { FAKE_PROBE_ABORTS: '1' },
    expectSet: 'new',
    expectCode: null,
    expectMessage: /golden\/ holds the new set/,
  },
  {
    name: 'the exchange failing (EBUSY)',
    inject: ['renameat2:error=EBUSY:when=1'],
    expectSet: 'old',
    expectCode: 2,
    expectMessage: /could not swap[\s\S]*EBUSY[\s\S]*golden\/ is unchanged/,
  },
  {
    name: 'the exchange killed before it runs',
    inject: ['renameat2:signal=SIGKILL:when=1'],
    expectSet: 'old',
    expectCode: 2,
    expectMessage: /could not swap[\s\S]*was killed by SIGKILL[\s\S]*golden\/ is unchanged/,
  },
  {
    name: 'no exchange: two renames',
    inject: [exchangeUnsupported],
    expectSet: 'new',
    expectCode: null,
    expectMessage: /two renames[\s\S]*golden\/ holds the new set/,
  },
  {
    name: 'no exchange, the first rename failing',
    inject: [exchangeUnsupported, 'rename:error=EBUSY:when=1'],
    expectSet: 'old',
    expectCode: 2,
    expectMessage: /EBUSY[\s\S]*golden\/ is unchanged/,
  },
  {
    name: 'no exchange, the second rename failing',
    inject: [exchangeUnsupported, 'rename:error=EBUSY:when=2'],
    expectSet: 'old',
    expectCode: 2,
    expectMessage: /EBUSY[\s\S]*golden\/ is unchanged/,
  },
  {
    name: 'no exchange, killed at the first rename',
    inject: [exchangeUnsupported, 'rename:signal=SIGKILL:when=1'],
    expectSet: 'old',
    expectCode: null,
    expectMessage: null,
    recovered: 'old',
  },
  // The one window of the fallback: golden/ moved aside, not yet replaced; loadGoldens puts it back.
  {
    name: 'no exchange, killed at the second rename',
    inject: [exchangeUnsupported, 'rename:signal=SIGKILL:when=2'],
    expectSet: 'old',
    expectCode: null,
    expectMessage: null,
    recovered: 'old',
  },
  {
    name: 'SIGINT during the probe',
    env: { FAKE_SLEEP_PROBE: '1' },
    signal: { at: /fake-python: probing/, name: 'SIGINT' },
    expectSet: 'old',
    expectCode: 130,
    expectMessage: /interrupted by SIGINT.*: golden\/ is unchanged/,
  },
  {
    name: 'SIGINT during generation',
    env: { FAKE_SLEEP_BEFORE: 'multilabel_margin_loss' },
    signal: { at: /fake-python: generating multilabel_margin_loss/, name: 'SIGINT' },
    expectSet: 'old',
    expectCode: 130,
    expectMessage: /interrupted by SIGINT.*: golden\/ is unchanged/,
  },
  {
    name: 'SIGTERM to node alone during generation',
    env: { FAKE_SLEEP_BEFORE: 'soft_margin_loss' },
    signal: { at: /fake-python: generating soft_margin_loss/, name: 'SIGTERM', nodeOnly: true },
    expectSet: 'old',
    expectCode: 130,
    expectMessage: /interrupted by SIGTERM: golden\/ is unchanged/,
  },
  {
    name: 'SIGINT during the drift report',
    signal: { at: /^comparing \d+ regenerated files/, name: 'SIGINT' },
    expectSet: 'old',
    expectCode: 130,
    expectMessage: /interrupted by SIGINT: golden\/ is unchanged/,
  },
  {
    name: 'SIGINT to node alone during parity',
    signal: { at: /^running the ports/, name: 'SIGINT', nodeOnly: true },
    expectSet: 'old',
    expectCode: 130,
    expectMessage: /interrupted by SIGINT: golden\/ is unchanged/,
  },
  {
    name: 'SIGINT as the commit starts',
    hostPython: (d) => signallingPython(d, 'INT', 'before'),
    expectSet: 'new',
    expectCode: 130,
    expectMessage: /interrupted by SIGINT after the commit point: golden\/ holds the new set/,
  },
  {
    name: 'SIGHUP just after the commit',
    hostPython: (d) => signallingPython(d, 'HUP', 'after'),
    expectSet: 'new',
    expectCode: 130,
    expectMessage: /interrupted by SIGHUP after the commit point: golden\/ holds the new set/,
  },
  {
    name: 'SIGKILL as the commit starts',
    hostPython: (d) => signallingPython(d, 'KILL', 'before'),
    expectSet: 'new',
    expectCode: null,
    expectMessage: null,
    recovered: 'new',
  },
];

/** Runs at most `limit` at once (two cores, shared). */
async function pool<T, R>(items: readonly T[], limit: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await f(items[i]!);
      }
    }),
  );
  return out;
}

let outcomes: Outcome[] = [];

test('a failure or a kill at any phase leaves golden/ the old set or the new one, and says which', async () => {
  outcomes = await pool(scenarios, 4, (s) => run(s));
  outcomes.forEach((o, i) => {
    const s = scenarios[i]!;
    const what = `${s.name}\n${o.output
      .split('\n')
      .filter((l) => !/^(\||[a-z_]+ (output|grad|error) )/.test(l))
      .slice(-12)
      .join('\n')}`;
    expectTruthful(o, s.name);
    if (s.expectCode === null && s.expectMessage !== null)
      expect.soft([0, 1], what).toContain(o.code); // 1: parity failures, listed
    else if (s.expectCode !== null) expect.soft(o.code, what).toBe(s.expectCode);
    if (s.expectMessage) expect.soft(o.output, what).toMatch(s.expectMessage);
    if (s.recovered) {
      loadGoldens(join(o.dir, 'golden')); // repairs a two-rename commit cut in half
      expect.soft(whichSet(join(o.dir, 'golden')), `${what}\n(after loadGoldens)`).toBe(s.recovered);
    } else {
      expect.soft(o.set, what).toBe(s.expectSet);
      expect.soft(o.leftovers, `${what}: staging left behind`).toEqual([]);
    }
    // A run that got as far as the commit wrote the drift report, as markdown, JSON and an HTML page.
    if (s.name === 'a clean run') {
      for (const f of ['drift.md', 'drift.json', 'drift.html'])
        expect.soft(existsSync(join(o.dir, 'reports', f)), `${what}: ${f}`).toBe(true);
      expect.soft(readFileSync(join(o.dir, 'reports', 'drift.html'), 'utf8'), what).toMatch(/^<!doctype html>[\s\S]*<svg/i);
    }
    expect.soft(whichSet(join(o.dir, 'golden')), what).toBe(s.recovered ?? s.expectSet);
  });
}, 300_000); // 17 golden runs, 4 at a time, each checking all 14 losses' goldens (94-120+ s measured on 2 loaded cores)

test('the next run removes what killed runs left, and keeps golden/ as it was', async () => {
  const killed = outcomes[scenarios.findIndex((s) => s.name === 'SIGKILL as the commit starts')]!;
  const { dir } = killed;
  expect(killed.set).toBe('new');
  expect(killed.leftovers).toHaveLength(1); // the old set, swapped out, not yet removed
  const dead = killed.leftovers[0]!;
  mkdirSync(join(dir, '.golden-staging-1-alive')); // pid 1 is alive: another run's, not ours to remove
  const next = await run({ name: 'next', expectSet: 'new', expectCode: null, expectMessage: null }, dir);
  expect(next.output).toContain(`removed ${join(dir, dead)}, left by a run that was killed`);
  expect(next.leftovers).toEqual(['.golden-staging-1-alive']);
  expect(next.set).toBe('new');
  expect(statSync(join(dir, 'golden')).mode & 0o777).toBe(statSync(GOLDEN_DIR).mode & 0o777); // not mkdtemp's 0700
}, 60_000);
