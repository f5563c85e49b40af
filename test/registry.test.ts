// The one stem rule: every loss has a TS port, a Python case module and goldens, under one stem.

import { existsSync, readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { LOSS_STEMS } from '../ts/losses/registry.ts';

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
