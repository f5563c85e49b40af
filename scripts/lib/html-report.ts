// The parity and drift reports as self-contained HTML pages: inline CSS, inline SVG charts, no
// script, no network. d3-scale places the bars (band scale) and sizes them (symlog, so that a bin
// of 1 element stays visible beside one of 25 000); d3-format writes the numbers.

import { scaleBand, scaleSymlog } from 'd3-scale';
import { format } from 'd3-format';
import { elementRatio, emptyDistribution, RATIO_BEYOND, RATIO_UPPER, ULP_UPPER, type ElementError } from '../../ts/golden/compare.ts';
import type { DriftStatus, FileDrift, PartDrift } from './drift.ts';
import type { ParityRow, TensorSummary, WorstCase } from './parity.ts';

export interface ReportMeta {
  /** The page's heading; each page has its own default. */
  title?: string;
  /** When the data was made, as shown (the caller's clock, so that pages are reproducible). */
  generatedAt?: string;
  /** The command that made the page. */
  command?: string;
  /** How many golden files the data came from. */
  goldenFiles?: number;
  /** The run's shard, 'i/n' (shown unless '1/1'). */
  shard?: string;
  /** How long the run took. */
  seconds?: number;
  /** Further lines under the heading. */
  notes?: string[];
}

// ---- text -------------------------------------------------------------------------------------

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML and SVG, in element content and in quoted attributes alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const sci = format('.3~e');
const plain = format('.4~g');
const count = format(',');
const countShort = format('.3~s');

/** A measured quantity: 0, a short scientific form, or the non-finite values by name. */
function num(v: number): string {
  if (v === 0) return '0';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? plain(v) : sci(v);
}

/** A value as stored (shortest round-trip form), so got and want can be read digit by digit. */
const exact = (v: number) => (Number.isNaN(v) ? 'NaN' : !Number.isFinite(v) ? (v > 0 ? 'Infinity' : '-Infinity') : String(v));

/** A case id that may wrap after each '/'. */
const breakable = (id: string) => escapeHtml(id).replaceAll('/', '/<wbr>');

const superscript = (n: number) => [...String(n)].map((d) => '⁰¹²³⁴⁵⁶⁷⁸⁹'[Number(d)]).join('');

// ---- charts -----------------------------------------------------------------------------------

interface Bar {
  count: number;
  /** Under the bar; '' for none (where bars are crowded). */
  label: string;
  /** The bin in words, for the tooltip. */
  bin: string;
  fill: string;
}

interface ChartOptions {
  width?: number;
  height?: number;
  /** Draw a dashed line before this bar (the tolerance). */
  markerBefore?: number;
  markerLabel?: string;
  /** What is counted, for tooltips: 'elements', 'cases'. */
  unit?: string;
}

const COLOURS = { bar: '#4c78a8', exact: '#9aa5b1', beyond: '#d1432f', axis: '#8a94a0', text: '#52606d' };

/** A bar chart of histogram bins as inline SVG; bars with a count of 0 are not drawn. */
export function histogramSvg(bars: readonly Bar[], options: ChartOptions = {}): string {
  const { width = 270, height = 78, unit = 'elements' } = options;
  const total = bars.reduce((n, b) => n + b.count, 0);
  const margin = { top: 12, right: 4, bottom: 16, left: 4 };
  const x = scaleBand<number>()
    .domain(bars.map((_, i) => i))
    .range([margin.left, width - margin.right])
    .paddingInner(0.18)
    .paddingOuter(0.1);
  const maxCount = Math.max(1, ...bars.map((b) => b.count));
  const y = scaleSymlog()
    .domain([0, maxCount])
    .range([height - margin.bottom, margin.top]);
  const base = height - margin.bottom;
  const parts: string[] = [];
  parts.push(`<line class="axis" x1="${margin.left}" x2="${width - margin.right}" y1="${base + 0.5}" y2="${base + 0.5}"/>`);
  bars.forEach((b, i) => {
    const left = x(i)!;
    const centre = left + x.bandwidth() / 2;
    if (b.count > 0) {
      const top = y(b.count);
      const tip = `${b.bin}: ${count(b.count)} ${unit}`;
      parts.push(
        `<rect class="bar" data-count="${b.count}" x="${left.toFixed(2)}" y="${top.toFixed(2)}" width="${x.bandwidth().toFixed(2)}" height="${(base - top).toFixed(2)}" fill="${b.fill}"><title>${escapeHtml(tip)}</title></rect>`,
      );
    }
    if (b.label) {
      parts.push(`<text class="tick" x="${centre.toFixed(2)}" y="${height - 4}">${escapeHtml(b.label)}</text>`);
    }
  });
  if (options.markerBefore !== undefined && options.markerBefore < bars.length) {
    const at = x(options.markerBefore)! - (x.step() * x.paddingInner()) / 2;
    parts.push(`<line class="marker" x1="${at.toFixed(2)}" x2="${at.toFixed(2)}" y1="${margin.top - 6}" y2="${base}"/>`);
    if (options.markerLabel)
      parts.push(`<text class="marker-label" x="${(at - 2).toFixed(2)}" y="${margin.top - 3}">${escapeHtml(options.markerLabel)}</text>`);
  }
  parts.push(`<text class="peak" x="${margin.left}" y="${margin.top - 3}">max ${countShort(maxCount)}</text>`);
  const label = `${count(total)} ${unit}; ${bars
    .filter((b) => b.count > 0)
    .map((b) => `${b.bin}: ${b.count}`)
    .join(', ')}`;
  return `<svg class="histogram" role="img" aria-label="${escapeHtml(label)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}

/** The ULP bins from 0 through the last one holding anything (at least through 32 ULP). */
function ulpBars(counts: readonly number[]): Bar[] {
  let last = counts.length - 1;
  while (last > 6 && counts[last] === 0) last--;
  const upperLabel = (u: number) =>
    u === Infinity ? `>2${superscript(ULP_UPPER.length - 3)}` : u < 1024 ? String(u) : `2${superscript(Math.log2(u))}`;
  const labelEvery = Math.ceil((last + 1) / 9);
  return counts.slice(0, last + 1).map((n, i) => {
    const hi = ULP_UPPER[i]!;
    const lo = i === 0 ? 0 : ULP_UPPER[i - 1]! + 1;
    const bin = hi === lo ? `${hi} ULP` : hi === Infinity ? `more than ${ULP_UPPER[i - 1]} ULP` : `${lo}–${hi} ULP`;
    const label = i % labelEvery === 0 || i === last ? upperLabel(hi) : '';
    return { count: n, label, bin, fill: COLOURS.bar };
  });
}

/** The |diff| / tolerance bins; past 1 the elements are beyond tolerance. */
function ratioBars(counts: readonly number[]): Bar[] {
  const edge = (v: number) => (v >= 0.01 ? String(v) : `1e${Math.round(Math.log10(v))}`);
  return counts.map((n, i) => {
    const hi = RATIO_UPPER[i]!;
    // Labelled: 0, every other decade from 1e-8, 1 (the tolerance) and the last bin.
    const label = i === 0 ? '0' : hi === Infinity ? `>${edge(RATIO_UPPER[i - 1]!)}` : i >= 3 && i % 2 === 1 ? edge(hi) : '';
    const bin =
      i === 0
        ? 'exact'
        : hi === Infinity
          ? `|diff|/tol > ${edge(RATIO_UPPER[i - 1]!)}`
          : `|diff|/tol in (${edge(RATIO_UPPER[i - 1]!)}, ${edge(hi)}]`;
    const fill = i === 0 ? COLOURS.exact : i >= RATIO_BEYOND ? COLOURS.beyond : COLOURS.bar;
    return { count: n, label, bin, fill };
  });
}

function ulpChart(counts: readonly number[], unit = 'elements'): string {
  if (!counts.some((n) => n > 0)) return '<span class="none">no element where rtol governs</span>';
  return histogramSvg(ulpBars(counts), { unit });
}

function ratioChart(counts: readonly number[], unit = 'elements'): string {
  if (!counts.some((n) => n > 0)) return '<span class="none">no elements</span>';
  return histogramSvg(ratioBars(counts), { unit, markerBefore: RATIO_BEYOND, markerLabel: 'tol' });
}

// ---- page -------------------------------------------------------------------------------------

const CSS = `
:root { color-scheme: light; --pass: #1e7b34; --pass-bg: #e3f4e6; --fail: #b3261e; --fail-bg: #fde7e4; --line: #d9dee3; --muted: #5f6b76; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: #1f2933; background: #fbfcfd; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 32px 0 8px; }
h3 { font-size: 14px; margin: 18px 0 6px; }
.meta { color: var(--muted); margin: 0 0 2px; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
.banner { display: inline-block; margin: 12px 0 4px; padding: 6px 14px; border-radius: 6px; font-weight: 600; font-size: 15px; }
.banner.pass { background: var(--pass-bg); color: var(--pass); }
.banner.fail { background: var(--fail-bg); color: var(--fail); }
table { border-collapse: collapse; background: #fff; border: 1px solid var(--line); }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: middle; }
th { background: #f1f4f7; font-weight: 600; font-size: 12.5px; color: #3e4c59; white-space: nowrap; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.group th { background: #e4e9ee; font-size: 13.5px; color: #1f2933; text-align: left; }
td.pass { background: var(--pass-bg); color: var(--pass); font-weight: 600; }
td.fail { background: var(--fail-bg); color: var(--fail); font-weight: 600; }
tr.row-fail > td:first-child { box-shadow: inset 4px 0 var(--fail); }
tr.row-pass > td:first-child { box-shadow: inset 4px 0 var(--pass); }
td.chart { padding: 2px 6px; }
.nowrap { white-space: nowrap; }
.none { color: #9aa5b1; font-size: 12px; font-style: italic; }
svg.histogram { display: block; }
svg .bar:hover { opacity: 0.75; }
svg .axis { stroke: ${COLOURS.axis}; stroke-width: 1; }
svg .marker { stroke: ${COLOURS.beyond}; stroke-width: 1; stroke-dasharray: 3 2; }
svg text { font: 9.5px system-ui, "DejaVu Sans", sans-serif; fill: ${COLOURS.text}; }
svg .tick { text-anchor: middle; }
svg .marker-label { text-anchor: end; fill: ${COLOURS.beyond}; }
svg .peak { fill: #7b8794; }
details { margin: 2px 0; }
summary { cursor: pointer; color: #2f5f8f; font-size: 12.5px; }
table.inner { margin: 4px 0 8px; font-size: 12px; width: 100%; }
table.inner td { vertical-align: top; padding: 3px 6px; }
table.inner td.id { max-width: 250px; overflow-wrap: break-word; }
table.inner .mono { font-size: 11.5px; }
tr.more > td { padding-left: 24px; }
.legend { display: flex; gap: 28px; flex-wrap: wrap; margin: 12px 0 4px; color: var(--muted); font-size: 12.5px; max-width: 1400px; }
.legend > div { max-width: 460px; }
.legend.wide > div { max-width: 900px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; vertical-align: -1px; margin: 0 3px 0 8px; }
.badge { display: inline-block; white-space: nowrap; padding: 0 7px; border-radius: 9px; font-size: 12px; font-weight: 600; }
.s-unchanged { background: #eef1f4; color: #52606d; }
.s-within { background: #e1ecf7; color: #2b5d8c; }
.s-beyond { background: var(--fail-bg); color: var(--fail); }
.s-added { background: var(--pass-bg); color: var(--pass); }
.s-removed { background: #fdf0dc; color: #9a5b00; }
.overview td.cell { text-align: center; font-variant-numeric: tabular-nums; min-width: 120px; }
tr.note-row td { font-size: 11.5px; color: var(--muted); padding: 0 8px 5px 24px; overflow-wrap: anywhere; }
tr.drift-case:has(+ tr.note-row) td { border-bottom: none; }
tr.more td { padding-top: 0; }
.tally { font-size: 11.5px; color: var(--muted); margin-top: 2px; white-space: nowrap; }
.fail-list { color: var(--fail); margin: 4px 0; padding-left: 18px; font-size: 12.5px; }
`;

function page(title: string, meta: ReportMeta, body: string): string {
  const lines = [
    meta.generatedAt ? `generated ${escapeHtml(meta.generatedAt)}` : '',
    meta.command ? `by <code>${escapeHtml(meta.command)}</code>` : '',
    meta.goldenFiles !== undefined ? `from ${count(meta.goldenFiles)} golden files` : '',
    meta.shard && meta.shard !== '1/1' ? `shard ${escapeHtml(meta.shard)}` : '',
    meta.seconds !== undefined ? `in ${meta.seconds.toFixed(1)} s` : '',
  ].filter(Boolean);
  const notes = (meta.notes ?? []).map((n) => `<p class="meta">${escapeHtml(n)}</p>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${lines.length ? `<p class="meta">${lines.join(' ')}</p>` : ''}${notes}
${body}
</body>
</html>
`;
}

const shape = (dims: readonly number[]) => `<span class="mono nowrap">[${dims.join(', ')}]</span>`;

/** Shape, the first values (4 digits: enough to recognise them) and the range. */
function tensorSummary(t: TensorSummary): string {
  const head = t.head.map(num).join(', ');
  const more = t.shape.reduce((a, b) => a * b, 1) > t.head.length ? ', …' : '';
  const range = [t.min === null ? '' : `min ${num(t.min)} · max ${num(t.max!)}`, t.nans ? `${t.nans} NaN` : ''].filter(Boolean).join(' · ');
  return `${shape(t.shape)} ${escapeHtml(head + more)}${range ? `<br><span class="meta">${escapeHtml(range)}</span>` : ''}`;
}

function elementCells(e: ElementError): string {
  const ratio = elementRatio(e);
  return [
    `<td class="n">${e.index}</td>`,
    `<td class="n mono">${exact(e.got)}</td>`,
    `<td class="n mono">${exact(e.want)}</td>`,
    `<td class="n">${num(e.absDiff)}</td>`,
    `<td class="n">${num(e.tolerance)}</td>`,
    `<td class="n${ratio > 1 ? ' fail' : ''}">${num(ratio)}</td>`,
    `<td class="n">${e.ulp === null ? '–' : count(e.ulp)}</td>`,
  ].join('');
}

function worstCasesTable(cases: readonly WorstCase[], dtype: string): string {
  const rows = cases.map(
    (w) =>
      `<tr><td class="mono id">${breakable(w.id)}</td><td>${tensorSummary(w.input)}</td><td>${shape(w.target.shape)}</td><td class="mono nowrap">${w.kwargs.map(escapeHtml).join('<br>')}</td>${elementCells(w.element)}</tr>`,
  );
  return `<table class="inner"><thead><tr><th>case</th><th>input (${escapeHtml(dtype)}): shape, first values</th><th>target shape</th><th>kwargs</th><th class="n">element</th><th class="n">got</th><th class="n">want (torch)</th><th class="n">|diff|</th><th class="n">tolerance</th><th class="n">|diff|/tol</th><th class="n">ULP</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const PARITY_COLUMNS = 9;
/** Failures listed open per row; the rest behind a disclosure. */
const FAILURES_SHOWN = 8;

function parityRowHtml(r: ParityRow): string {
  const ok = r.passed === r.cases;
  const data = `data-torch="${escapeHtml(r.torch)}" data-loss="${escapeHtml(r.loss)}" data-dtype="${escapeHtml(r.dtype)}" data-kind="${escapeHtml(r.kind)}"`;
  const charts =
    r.kind === 'unavailable'
      ? `<td class="chart"><span class="none">${escapeHtml(r.worst)}</span></td><td class="chart"></td>`
      : r.kind === 'error'
        ? '<td class="chart"><span class="none">error cases: the exception type and the message regex are compared</span></td><td class="chart"></td>'
        : r.detail
          ? `<td class="chart">${ulpChart(r.detail.ulp)}</td><td class="chart">${ratioChart(r.detail.ratio)}</td>`
          : '<td class="chart"><span class="none">no detail collected</span></td><td class="chart"></td>';
  const main = `<tr class="parity ${ok ? 'row-pass' : 'row-fail'}" ${data}><td>${escapeHtml(r.loss)}</td><td>${escapeHtml(r.dtype)}</td><td>${escapeHtml(r.kind)}</td><td class="n ${ok ? 'pass' : 'fail'}">${count(r.passed)} / ${count(r.cases)}</td><td class="n">${num(r.maxAbs)}</td><td class="n">${num(r.maxRel)}</td><td class="n">${count(r.maxUlp)}</td>${charts}</tr>`;
  const extra: string[] = [];
  if (r.failures.length > 0) {
    const item = (f: { id: string; message: string }) => `<li><code>${escapeHtml(f.id)}</code>: ${escapeHtml(f.message)}</li>`;
    const first = r.failures.slice(0, FAILURES_SHOWN);
    const rest = r.failures.slice(FAILURES_SHOWN);
    extra.push(`<ul class="fail-list">${first.map(item).join('')}</ul>`);
    if (rest.length)
      extra.push(
        `<details><summary>${count(rest.length)} more failures</summary><ul class="fail-list">${rest.map(item).join('')}</ul></details>`,
      );
  }
  const worst = r.detail?.worstCases ?? [];
  if (worst.length > 0) {
    extra.push(
      `<details${ok ? '' : ' open'}><summary>worst ${worst.length} cases by |diff| / tolerance: <code>${escapeHtml(worst[0]!.id)}</code>, …</summary>${worstCasesTable(worst, r.dtype)}</details>`,
    );
  }
  return extra.length ? `${main}<tr class="more"><td colspan="${PARITY_COLUMNS}">${extra.join('')}</td></tr>` : main;
}

function overview(rows: readonly ParityRow[]): string {
  const torches = [...new Set(rows.map((r) => r.torch))];
  const losses = [...new Set(rows.map((r) => r.loss))].sort();
  const head = `<tr><th>loss</th>${torches.map((t) => `<th class="n">torch ${escapeHtml(t)}</th>`).join('')}</tr>`;
  const body = losses.map((loss) => {
    const cells = torches.map((torch) => {
      const mine = rows.filter((r) => r.torch === torch && r.loss === loss);
      if (mine.length === 0) return '<td class="cell none">no goldens</td>';
      const cases = mine.reduce((n, r) => n + r.cases, 0);
      const passed = mine.reduce((n, r) => n + r.passed, 0);
      return `<td class="cell ${passed === cases ? 'pass' : 'fail'}">${count(passed)} / ${count(cases)}</td>`;
    });
    return `<tr><td>${escapeHtml(loss)}</td>${cells.join('')}</tr>`;
  });
  return `<table class="overview"><thead>${head}</thead><tbody>${body.join('')}</tbody></table>`;
}

const LEGEND = `<div class="legend">
<div><b>ULP histogram</b>: per element, the distance in units in the last place between the port's value and torch's, counted where rtol governs the tolerance (rtol·|want| &gt; atol). A bar's label is the top of its bin (4 = 3–4 ULP). Heights are on a symmetric log scale; hover a bar for its count.</div>
<div><b>|diff| / tolerance histogram</b>: per element, |got − want| / (atol + rtol·|want|), torch.testing.assert_close's rule; decades up to 1, past the dashed line the element fails.<span class="swatch" style="background:${COLOURS.exact}"></span>exact<span class="swatch" style="background:${COLOURS.bar}"></span>within<span class="swatch" style="background:${COLOURS.beyond}"></span>beyond</div>
</div>`;

/** The parity report: rows from parity(goldens, { detail: true }) (rows without detail get no charts). */
export function parityHtml(rows: readonly ParityRow[], meta: ReportMeta = {}): string {
  const title = meta.title ?? 'torch-loss-parity: the ports against torch';
  const cases = rows.reduce((n, r) => n + r.cases, 0);
  const failed = rows.reduce((n, r) => n + r.cases - r.passed, 0);
  const banner = `<div class="banner ${failed ? 'fail' : 'pass'}">${count(cases - failed)} passed, ${count(failed)} failed</div>`;
  const header = `<tr><th>loss</th><th>dtype</th><th>kind</th><th class="n">passed</th><th class="n">max abs</th><th class="n">max rel</th><th class="n">max ULP</th><th>ULP distance (elements)</th><th>|diff| / tolerance (elements)</th></tr>`;
  const groups = [...new Set(rows.map((r) => r.torch))].map((torch) => {
    const mine = rows.filter((r) => r.torch === torch);
    return `<tbody><tr class="group"><th colspan="${PARITY_COLUMNS}">torch ${escapeHtml(torch)}</th></tr>${mine.map(parityRowHtml).join('')}</tbody>`;
  });
  const body = `${banner}
<h2>Overview: checks passed per loss and torch version</h2>
${overview(rows)}
<h2>Per torch version, loss, dtype and kind</h2>
${LEGEND}
<table class="parity-table"><thead>${header}</thead>${groups.join('')}</table>`;
  return page(title, meta, body);
}

// ---- drift ------------------------------------------------------------------------------------

const STATUSES: readonly DriftStatus[] = ['unchanged', 'within', 'beyond', 'added', 'removed'];
const STATUS_WORDS: Record<DriftStatus, string> = {
  unchanged: 'unchanged',
  within: 'changed within tolerance',
  beyond: 'changed beyond tolerance',
  added: 'added',
  removed: 'removed',
};
const STATUS_FILL: Record<DriftStatus, string> = {
  unchanged: '#c3cad1',
  within: '#4c78a8',
  beyond: '#d1432f',
  added: '#3f9b52',
  removed: '#e39b2b',
};
const SEVERITY: Record<DriftStatus, number> = { beyond: 0, removed: 1, added: 2, within: 3, unchanged: 4 };

const DRIFT_CASE_COLUMNS = 10;
/** How far a part moved, in tolerances: its element nearest (or furthest past) the tolerance. */
const ratioOf = (p: PartDrift) => (p.distribution?.worst ? elementRatio(p.distribution.worst) : p.status === 'beyond' ? Infinity : 0);

const badge = (s: DriftStatus) => `<span class="badge s-${s}">${s}</span>`;

/** One horizontal bar split by status, as inline SVG. */
function statusBar(counts: Record<DriftStatus, number>, width = 220, height = 16): string {
  const total = STATUSES.reduce((n, s) => n + counts[s], 0);
  let at = 0;
  const rects = STATUSES.filter((s) => counts[s] > 0).map((s) => {
    const w = (counts[s] / total) * width;
    const rect = `<rect class="bar" data-status="${s}" x="${at.toFixed(2)}" y="0" width="${w.toFixed(2)}" height="${height}" fill="${STATUS_FILL[s]}"><title>${STATUS_WORDS[s]}: ${counts[s]}</title></rect>`;
    at += w;
    return rect;
  });
  const label = STATUSES.map((s) => `${STATUS_WORDS[s]} ${counts[s]}`).join(', ');
  return `<svg class="status-bar" role="img" aria-label="${escapeHtml(label)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${rects.join('')}</svg>`;
}

function driftSection(d: FileDrift): string {
  const from = d.before ? `torch ${d.before.torch} (Python ${d.before.python})` : 'nothing committed';
  const to = `torch ${d.after.torch} (Python ${d.after.python})`;
  const flat = d.cases.flatMap((c) => c.parts.map((p) => ({ id: c.id, dtype: c.dtype, ...p })));
  const summary: string[] = [];
  for (const dtype of ['float32', 'float64']) {
    for (const part of ['output', 'grad'] as const) {
      const mine = flat.filter((p) => p.dtype === dtype && p.part === part);
      if (mine.length === 0) continue;
      const counts = Object.fromEntries(STATUSES.map((s) => [s, mine.filter((p) => p.status === s).length])) as Record<DriftStatus, number>;
      const moved = mine.filter((p) => p.status === 'within' || p.status === 'beyond');
      const max = (k: 'maxAbs' | 'maxRel' | 'maxUlp') => Math.max(0, ...moved.map((p) => p[k]));
      const sum = emptyDistribution();
      for (const p of moved) {
        p.distribution?.ulp.forEach((n, i) => (sum.ulp[i]! += n));
        p.distribution?.ratio.forEach((n, i) => (sum.ratio[i]! += n));
      }
      const moves = moved.length > 0;
      const tally = STATUSES.filter((s) => counts[s] > 0)
        .map((s) => `${count(counts[s])} ${s}`)
        .join(' · ');
      summary.push(
        `<tr class="drift-summary" data-dtype="${dtype}" data-part="${part}"><td>${dtype}</td><td>${part}</td><td>${statusBar(counts)}<div class="tally">${tally}</div></td><td class="n">${num(max('maxAbs'))}</td><td class="n">${num(max('maxRel'))}</td><td class="n">${count(max('maxUlp'))}</td><td class="chart">${moves ? ulpChart(sum.ulp) : '<span class="none">nothing moved</span>'}</td><td class="chart">${moves ? ratioChart(sum.ratio) : ''}</td></tr>`,
      );
    }
  }
  const changed = flat
    .filter((p) => p.status !== 'unchanged')
    .sort((a, b) => SEVERITY[a.status] - SEVERITY[b.status] || ratioOf(b) - ratioOf(a) || b.maxUlp - a.maxUlp || a.id.localeCompare(b.id));
  const caseRow = (p: (typeof flat)[number]) => {
    const e = p.distribution?.worst;
    const element = e
      ? `<td class="n">${e.index}</td><td class="n mono">${exact(e.want)}</td><td class="n mono">${exact(e.got)}</td><td class="n">${num(elementRatio(e))}</td>`
      : '<td></td><td></td><td></td><td></td>';
    const row = `<tr class="drift-case" data-status="${p.status}"><td class="mono">${escapeHtml(p.id)}</td><td>${p.part}</td><td>${badge(p.status)}</td><td class="n">${num(p.maxAbs)}</td><td class="n">${num(p.maxRel)}</td><td class="n">${count(p.maxUlp)}</td>${element}</tr>`;
    // The note (compareTensor's message for the first failing element, or what changed) on a line of its own.
    return p.note ? `${row}<tr class="note-row"><td colspan="${DRIFT_CASE_COLUMNS}">${escapeHtml(p.note)}</td></tr>` : row;
  };
  const unchanged = d.cases.filter((c) => c.parts.every((p) => p.status === 'unchanged'));
  const summaryHead = `<tr><th>dtype</th><th>part</th><th>cases by status</th><th class="n">max abs</th><th class="n">max rel</th><th class="n">max ULP</th><th>ULP distance of changed elements</th><th>|diff| / tolerance of changed elements</th></tr>`;
  const caseHead = `<tr><th>case</th><th>part</th><th>status</th><th class="n">max abs</th><th class="n">max rel</th><th class="n">max ULP</th><th class="n">element</th><th class="n">before</th><th class="n">after</th><th class="n">|diff|/tol</th></tr>`;
  return `<section class="drift" data-loss="${escapeHtml(d.loss)}">
<h2>${escapeHtml(d.loss)}: ${escapeHtml(from)} → ${escapeHtml(to)}</h2>
<table class="drift-summary-table"><thead>${summaryHead}</thead><tbody>${summary.join('')}</tbody></table>
<h3>Case by case: ${count(changed.length)} parts moved${changed.length ? ', worst first' : ''}</h3>
${changed.length ? `<table class="drift-cases"><thead>${caseHead}</thead><tbody>${changed.map(caseRow).join('')}</tbody></table>` : '<p class="none">nothing moved</p>'}
<details><summary>${count(unchanged.length)} cases unchanged in output and gradient</summary><p class="mono">${unchanged.map((c) => escapeHtml(c.id)).join('<br>')}</p></details>
</section>`;
}

/** The drift report: what moved between two golden sets (torch versions, or a regeneration), case by case. */
export function driftHtml(drifts: readonly FileDrift[], meta: ReportMeta = {}): string {
  const title = meta.title ?? 'torch-loss-parity: golden drift';
  const parts = drifts.flatMap((d) => d.cases.flatMap((c) => c.parts));
  const beyond = parts.filter((p: PartDrift) => p.status === 'beyond' || p.status === 'removed').length;
  const banner = `<div class="banner ${beyond ? 'fail' : 'pass'}">${count(parts.length)} parts compared: ${STATUSES.map((s) => `${count(parts.filter((p) => p.status === s).length)} ${STATUS_WORDS[s]}`).join(', ')}</div>`;
  const legend = `<div class="legend wide"><div>Each case has two parts, its output and its input gradient. <b>before</b> is the first golden set's value, <b>after</b> the second's; the tolerance is the second file's (torch.testing.assert_close's rule, |diff| &le; atol + rtol·|before|). ${STATUSES.map((s) => `<span class="swatch" style="background:${STATUS_FILL[s]}"></span>${s}${s === STATUS_WORDS[s] ? '' : ` (${STATUS_WORDS[s]})`}`).join('')}</div></div>`;
  return page(title, meta, `${banner}${legend}${drifts.map(driftSection).join('\n')}`);
}
