// The one stem rule: every loss has a TS port, a Python case module and goldens, under one stem.

import { existsSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import { expect, test } from 'vitest';
import { loadGoldens } from '../ts/golden/run.ts';
import { LOSSES, LOSS_STEMS, optionName, type LossDomain } from '../ts/losses/registry.ts';

const root = new URL('..', import.meta.url).pathname;

test('the TypeScript and Python registries list the same stems', () => {
  const py = readFileSync(`${root}/python/cases/__init__.py`, 'utf8');
  const tuple = /LOSSES = \(([^)]*)\)/.exec(py)?.[1] ?? '';
  const pyStems = [...tuple.matchAll(/"([a-z0-9_]+)"/g)].map((m) => m[1]);
  expect([...pyStems].sort(), 'python/cases/__init__.py LOSSES vs ts/losses/registry.ts').toEqual([...LOSS_STEMS].sort());
});

test.each(LOSS_STEMS)('%s has its port and its case module', (stem) => {
  expect(existsSync(`${root}/ts/losses/${stem}.ts`), `ts/losses/${stem}.ts`).toBe(true);
  expect(existsSync(`${root}/python/cases/${stem}.py`), `python/cases/${stem}.py`).toBe(true);
});

// What each case module declares (FUNCTION, ARGS, GRADS), read by Python itself (no torch needed).
const declared = JSON.parse(
  (
    await execa(
      '/usr/bin/python3',
      [
        '-c',
        [
          'import importlib, json, sys',
          'from cases import LOSSES',
          'mods = {s: importlib.import_module("cases." + s) for s in LOSSES}',
          'sys.stdout.write(json.dumps({s: {"function": m.FUNCTION, "args": list(m.ARGS), "grads": list(getattr(m, "GRADS", ("input",)))} for s, m in mods.items()}))',
        ].join('\n'),
      ],
      { cwd: `${root}/python` },
    )
  ).stdout,
) as Record<string, { function: string; args: string[]; grads: string[] }>;

test.each(LOSS_STEMS)("%s: the registry's args and grads are the case module's ARGS and GRADS, and its FUNCTION is the stem", (stem) => {
  const entry = LOSSES[stem];
  expect(declared[stem], `python/cases/${stem}.py`).toEqual({ function: stem, args: [...entry.args], grads: [...entry.grads] });
  expect(new Set(entry.args).size, 'argument names are unique').toBe(entry.args.length);
  // The fuzzers draw the first argument, a 'target' when the domain has one, the rest as extraArgs.
  const domain: LossDomain = entry.domain;
  if (domain.layout !== 'ctc')
    expect((entry.args as readonly string[]).includes('target'), "args has 'target' iff the domain draws one").toBe(domain.target !== null);
  for (const name of Object.keys(domain.extraArgs ?? {})) expect(entry.args.slice(1), `extraArgs ${name}`).toContain(name);
  for (const g of entry.grads) expect(entry.args, `grad ${g}`).toContain(g);
});

test("every committed golden file's header names the registry's function, args and grads", () => {
  const goldens = loadGoldens();
  expect(goldens.length).toBeGreaterThan(0);
  for (const { file, golden } of goldens) {
    const entry = LOSSES[golden.loss as keyof typeof LOSSES];
    expect({ function: golden.function, args: golden.args, grads: golden.grads }, file).toEqual({
      function: golden.loss,
      args: [...entry.args],
      grads: [...entry.grads],
    });
  }
});

test("optionName: torch's keyword names as the ports' camelCase option names", () => {
  const names = {
    reduction: 'reduction',
    weight: 'weight',
    pos_weight: 'posWeight',
    ignore_index: 'ignoreIndex',
    label_smoothing: 'labelSmoothing',
    log_target: 'logTarget',
    log_input: 'logInput',
    size_average: 'sizeAverage',
    beta: 'beta',
    eps: 'eps',
  };
  for (const [torch, ours] of Object.entries(names)) expect(optionName(torch), torch).toBe(ours);
});
