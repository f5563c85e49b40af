// The HTML reports in real headless Chromium (Debian's /usr/bin/chromium through puppeteer-core):
// the parity page of the committed goldens and the drift page between two committed torch versions
// load without console errors and without a single request beyond the page itself, list every row
// the goldens hold, and draw their histograms. Screenshots go to reports/ for a person to look at.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium } from './chromium.ts';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { PACKAGE_ROOT } from '../ts/golden/paths.ts';
import { loadGoldens } from '../ts/golden/run.ts';
import { goldenSetLabel, tensorValues, type GoldenCase, type GoldenFile, type TensorJson } from '../ts/golden/schema.ts';
import { driftBetween } from '../scripts/lib/drift.ts';
import { driftHtml, escapeHtml, parityHtml } from '../scripts/lib/html-report.ts';
import { parity } from '../scripts/lib/parity.ts';

const REPORTS = join(PACKAGE_ROOT, 'reports');
const goldens = loadGoldens();
let browser: Browser;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'html-report-'));
  browser = await launchChromium(join(work, 'profile'));
});

afterAll(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});

/** Opens `html` as a file, as a person would, recording console errors and every request. */
async function open(html: string, name: string): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const file = join(work, name);
  writeFileSync(file, html);
  const url = pathToFileURL(file).href;
  const page = await browser.newPage();
  await page.setViewport({ width: 1500, height: 1000 });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
  page.on('request', (r) => {
    if (r.url() !== url) requests.push(r.url());
  });
  await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
  return { page, errors, requests };
}

/**
 * What runCase checks in a case, read from the golden file itself: the error; or the output, then
 * the backward's error or each recorded gradient (one result per argument), with the tensor to compare.
 */
function checksOf(c: GoldenCase): { kind: string; want: TensorJson | null }[] {
  if (c.error) return [{ kind: 'error', want: null }];
  const checks: { kind: string; want: TensorJson | null }[] = [{ kind: 'output', want: c.output! }];
  if (c.grad_output && c.grad_error) checks.push({ kind: 'grad', want: null });
  else if (c.grad_output && c.grads) for (const want of Object.values(c.grads)) checks.push({ kind: 'grad', want });
  return checks;
}
const numel = (t: TensorJson) => t.shape.reduce((a, b) => a * b, 1);

test('the parity page of the committed goldens: every row, its counts and its histograms, no errors, no network', async () => {
  // Expected from the golden files alone: rows, cases per row, elements compared, and elements
  // where rtol governs (what the ULP histogram counts).
  const expected = new Map<string, { cases: number; elements: number; rtolGoverns: number }>();
  for (const { golden } of goldens) {
    // A release without the loss is one row of no cases.
    if (golden.unavailable !== null)
      expected.set([goldenSetLabel(golden), golden.loss, '-', 'unavailable'].join('|'), { cases: 0, elements: 0, rtolGoverns: 0 });
    for (const c of golden.cases) {
      const counted = new Set<string>(); // a case counts once per kind (its grad row: every gradient's elements)
      for (const { kind, want: wanted } of checksOf(c)) {
        const key = [goldenSetLabel(golden), golden.loss, c.dtype, kind].join('|');
        const e = expected.get(key) ?? { cases: 0, elements: 0, rtolGoverns: 0 };
        if (!counted.has(kind)) e.cases++;
        counted.add(kind);
        if (wanted) {
          const { rtol, atol } = golden.tolerance[c.dtype];
          const want = Array.from(tensorValues(wanted));
          e.elements += want.length;
          e.rtolGoverns += want.filter((w) => Number.isFinite(w) && rtol * Math.abs(w) > atol).length;
        }
        expected.set(key, e);
      }
    }
  }
  expect(expected.size).toBeGreaterThanOrEqual(goldens.length * 3);

  const rows = parity(goldens, { detail: true });
  const { page, errors, requests } = await open(
    parityHtml(rows, { goldenFiles: goldens.length, command: 'npx vitest run test/html-report.test.ts' }),
    'parity.html',
  );
  const shown = await page.$$eval('tr.parity', (trs) =>
    trs.map((tr) => {
      const d = (tr as HTMLElement).dataset;
      const sum = (svg: Element | undefined) =>
        [...(svg?.querySelectorAll('rect.bar') ?? [])].reduce((n, r) => n + Number(r.getAttribute('data-count')), 0);
      const tallest = (svg: Element | undefined) =>
        Math.max(0, ...[...(svg?.querySelectorAll('rect.bar') ?? [])].map((r) => (r as SVGRectElement).getBBox().height));
      const charts = [...tr.querySelectorAll('td.chart')].map((td) => td.querySelector('svg.histogram') ?? undefined);
      return {
        key: [d.torch, d.loss, d.dtype, d.kind].join('|'),
        passed: tr.querySelector('td.pass, td.fail')?.textContent ?? '',
        ulp: sum(charts[0]),
        ratio: sum(charts[1]),
        ulpHeight: tallest(charts[0]),
        ratioHeight: tallest(charts[1]),
      };
    }),
  );
  expect(errors).toEqual([]);
  expect(requests).toEqual([]);
  expect(shown.map((s) => s.key).sort()).toEqual([...expected.keys()].sort());
  for (const s of shown) {
    const e = expected.get(s.key)!;
    expect(s.passed, s.key).toBe(`${e.cases.toLocaleString('en-US')} / ${e.cases.toLocaleString('en-US')}`);
    expect(s.ratio, `${s.key}: |diff|/tolerance bars count every element`).toBe(e.elements);
    expect(s.ulp, `${s.key}: ULP bars count the elements where rtol governs`).toBe(e.rtolGoverns);
    if (e.elements > 0) expect(s.ratioHeight, s.key).toBeGreaterThan(0);
    if (e.rtolGoverns > 0) expect(s.ulpHeight, s.key).toBeGreaterThan(0);
  }
  // The worst cases of the first row, opened for the screenshot.
  await page.evaluate(() => {
    const first = document.querySelector('tr.more details') as HTMLDetailsElement | null;
    if (first) first.open = true;
  });
  expect(await page.$$eval('table.inner tbody tr', (trs) => trs.length)).toBeGreaterThan(0);
  mkdirSync(REPORTS, { recursive: true });
  await page.screenshot({ path: join(REPORTS, 'parity-report.png'), clip: { x: 0, y: 0, width: 1500, height: 1700 } });
  await page.close();
});

const golden = (torch: string, loss: string): GoldenFile =>
  goldens.find((g) => g.torchDir.startsWith(torch) && g.golden.loss === loss)!.golden;

test('the drift page between torch 1.13 and 2.6 (binary_cross_entropy_with_logits): every case, what moved and by how much', async () => {
  const before = golden('1.13', 'binary_cross_entropy_with_logits');
  const after = golden('2.6', 'binary_cross_entropy_with_logits');
  const drift = driftBetween(before, after);
  const { page, errors, requests } = await open(driftHtml([drift], { command: 'npx vitest run test/html-report.test.ts' }), 'drift.html');
  expect(errors).toEqual([]);
  expect(requests).toEqual([]);

  // From the two files alone: which outputs differ (a gradient too), and how many elements they hold.
  const old = new Map(before.cases.map((c) => [c.id, c]));
  const moved = new Map<string, number>();
  for (const c of after.cases) {
    const prev = old.get(c.id);
    expect(Object.keys(c.grads ?? { input: null }), 'one gradient: the drift page shows it whole').toEqual(['input']);
    for (const part of ['output', 'grad'] as const) {
      const [a, b] = part === 'output' ? [prev?.output, c.output] : [prev?.grads?.input, c.grads?.input];
      if (a && b && JSON.stringify(a) !== JSON.stringify(b)) {
        const key = `${c.dtype}|${part}`;
        moved.set(key, (moved.get(key) ?? 0) + numel(b));
      }
    }
  }
  expect(moved.size).toBeGreaterThan(0);

  const listed = await page.$$eval('tr.drift-case td:first-child', (tds) => tds.map((td) => td.textContent));
  const unchanged = await page.$eval('section.drift details p', (p) => p.innerHTML.split('<br>').filter(Boolean));
  const ids = new Set([...before.cases, ...after.cases].map((c) => c.id));
  expect(new Set([...listed, ...unchanged])).toEqual(ids);
  const summary = await page.$$eval('tr.drift-summary', (trs) =>
    trs.map((tr) => {
      const d = (tr as HTMLElement).dataset;
      const bars = [...tr.querySelectorAll('svg.histogram')].map((svg) =>
        [...svg.querySelectorAll('rect.bar')].reduce((n, r) => n + Number(r.getAttribute('data-count')), 0),
      );
      const status = [...tr.querySelectorAll('svg.status-bar rect')].map((r) => (r as SVGRectElement).getBBox().width);
      return { key: `${d.dtype}|${d.part}`, ratio: bars[1] ?? 0, status };
    }),
  );
  expect(summary.map((s) => s.key).sort()).toEqual(['float32|grad', 'float32|output', 'float64|grad', 'float64|output']);
  for (const s of summary) {
    expect(s.ratio, `${s.key}: the |diff|/tolerance bars count the moved elements`).toBe(moved.get(s.key) ?? 0);
    expect(
      s.status.reduce((a, b) => a + b, 0),
      `${s.key}: the status bar is drawn in full`,
    ).toBeGreaterThan(200);
  }
  mkdirSync(REPORTS, { recursive: true });
  await page.screenshot({ path: join(REPORTS, 'drift-report.png'), clip: { x: 0, y: 0, width: 1500, height: 1300 } });
  await page.close();
});

test('case ids and messages are text, never markup: a hostile id renders literally and loads nothing', async () => {
  const before = golden('1.13', 'soft_margin_loss');
  const hostile = `soft_margin_loss/<img src="x" onerror="document.title='owned'">&'/1`;
  const after: GoldenFile = { ...before, cases: before.cases.map((c, i) => (i === 0 ? { ...c, id: hostile } : c)) };
  const { page, errors, requests } = await open(driftHtml([driftBetween(before, after)], { command: '<b>not bold</b>' }), 'hostile.html');
  expect(errors).toEqual([]);
  expect(requests).toEqual([]);
  expect(await page.$$eval('img', (els) => els.length)).toBe(0);
  expect(await page.$eval('p.meta code', (code) => code.textContent)).toBe('<b>not bold</b>');
  expect(await page.title()).not.toBe('owned');
  expect(await page.$$eval('tr.drift-case td:first-child', (tds) => tds.map((td) => td.textContent))).toContain(hostile);
  expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  await page.close();
});
