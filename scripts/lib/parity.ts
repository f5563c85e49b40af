// Runs every case of a set of golden files through the ports and summarises per
// torch version x loss x dtype x kind (output, grad, error).

import { elementRatio, emptyDistribution, type ElementError } from '../../ts/golden/compare.ts';
import { runCase, type CaseResult, type LoadedGolden } from '../../ts/golden/run.ts';
import { goldenSetLabel, tensorValues, type GoldenCase, type TensorJson } from '../../ts/golden/schema.ts';

export interface ParityRow {
  /** The release, with its CPU capability off the pinned avx2 ('2.14.1+debian avx512': goldenSetLabel). */
  torch: string;
  loss: string;
  dtype: string;
  /** 'unavailable': the release lacks the loss (the golden file says why, in `worst`; no cases). */
  kind: CaseResult['kind'] | 'unavailable';
  cases: number;
  passed: number;
  maxAbs: number;
  maxRel: number;
  maxUlp: number;
  worst: string;
  failures: { id: string; message: string }[];
  /** Only from parity(goldens, { detail: true }): what the HTML report draws. */
  detail?: RowDetail;
}

/** How a row's elements are off, summed over its cases (bins: ULP_UPPER, RATIO_UPPER in compare.ts). */
export interface RowDetail {
  /** Elements per ULP bin, where rtol governs (rtol * |want| > atol). */
  ulp: number[];
  /** Elements per |diff| / (atol + rtol * |want|) bin. */
  ratio: number[];
  /** The cases whose worst element came closest to (or went past) the tolerance, worst first. */
  worstCases: WorstCase[];
}

export interface WorstCase {
  id: string;
  /** The case's first positional tensor (the input). */
  input: TensorSummary;
  /** Its second (the target), or the first again for a one-tensor function. */
  target: TensorSummary;
  /** kwargs given a value (tensors by shape), e.g. 'reduction=none', 'weight: [3]'. */
  kwargs: string[];
  element: ElementError;
  /** element.absDiff / element.tolerance. */
  ratio: number;
}

export interface TensorSummary {
  shape: number[];
  /** The first few values, in order. */
  head: number[];
  /** Over the values that are not NaN; null for an empty (or all-NaN) tensor. */
  min: number | null;
  max: number | null;
  nans: number;
}

export interface ParityDetailOptions {
  /** Also collect RowDetail (histograms and worst cases) per row; slower, for the HTML report. */
  detail?: boolean;
  /** Worst cases kept per row (detail only). */
  worstShown?: number;
}

const HEAD = 4;

export function summarizeTensor(t: TensorJson): TensorSummary {
  let min: number | null = null;
  let max: number | null = null;
  let nans = 0;
  const values = tensorValues(t);
  for (const v of values) {
    if (Number.isNaN(v)) nans++;
    else {
      if (min === null || v < min) min = v;
      if (max === null || v > max) max = v;
    }
  }
  return { shape: t.shape, head: Array.from(values.subarray(0, HEAD)), min, max, nans };
}

function kwargsGiven(c: GoldenCase): string[] {
  return Object.entries(c.kwargs)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => (typeof v === 'object' && v !== null ? `${k}: [${v.shape.join(', ')}]` : `${k}=${String(v)}`));
}

/** Keeps the `keep` largest by ratio in `list`, largest first. */
function keepWorst(list: WorstCase[], candidate: WorstCase, keep: number): void {
  if (list.length >= keep && candidate.ratio <= list[list.length - 1]!.ratio) return;
  const at = list.findIndex((w) => candidate.ratio > w.ratio);
  list.splice(at === -1 ? list.length : at, 0, candidate);
  if (list.length > keep) list.pop();
}

export function parity(goldens: readonly LoadedGolden[], options: ParityDetailOptions = {}): ParityRow[] {
  const detail = options.detail ?? false;
  const worstShown = options.worstShown ?? 5;
  const rows = new Map<string, ParityRow & { worstScore: number }>();
  for (const { golden } of goldens) {
    const torch = goldenSetLabel(golden);
    if (golden.unavailable !== null) {
      const row = { torch, loss: golden.loss, dtype: '-', kind: 'unavailable' as const, cases: 0, passed: 0 };
      rows.set([torch, golden.loss, 'unavailable'].join('|'), {
        ...row,
        maxAbs: 0,
        maxRel: 0,
        maxUlp: 0,
        worst: golden.unavailable,
        worstScore: -1,
        failures: [],
      });
      continue;
    }
    for (const c of golden.cases) {
      // A case counts once per kind: its grad passes when every argument's gradient does.
      const results = runCase(golden.loss, c, golden, { distribution: detail });
      const failed = new Map<string, string[]>();
      for (const r of results) {
        if (!failed.has(r.kind)) failed.set(r.kind, []);
        if (!r.ok) failed.get(r.kind)!.push(r.arg === undefined ? r.message : `${r.arg}: ${r.message}`);
      }
      const counted = new Set<string>();
      for (const r of results) {
        const key = [torch, golden.loss, c.dtype, r.kind].join('|');
        let row = rows.get(key);
        if (!row) {
          row = {
            torch,
            loss: golden.loss,
            dtype: c.dtype,
            kind: r.kind,
            cases: 0,
            passed: 0,
            maxAbs: 0,
            maxRel: 0,
            maxUlp: 0,
            worst: '',
            worstScore: -1,
            failures: [],
          };
          if (detail) {
            const empty = emptyDistribution();
            row.detail = { ulp: empty.ulp, ratio: empty.ratio, worstCases: [] };
          }
          rows.set(key, row);
        }
        if (!counted.has(r.kind)) {
          counted.add(r.kind);
          row.cases++;
          const messages = failed.get(r.kind)!;
          if (messages.length === 0) row.passed++;
          else row.failures.push({ id: r.id, message: messages.join('; ') });
        }
        const cmp = r.comparison;
        if (cmp) {
          row.maxAbs = Math.max(row.maxAbs, cmp.maxAbs);
          row.maxRel = Math.max(row.maxRel, cmp.maxRel);
          row.maxUlp = Math.max(row.maxUlp, cmp.maxUlp);
        }
        const score = r.ok ? (cmp ? cmp.maxUlp + cmp.maxRel : 0) : Infinity;
        if (score > row.worstScore) {
          row.worstScore = score;
          row.worst = r.id;
        }
        const dist = cmp?.distribution;
        if (row.detail && dist) {
          dist.ulp.forEach((n, i) => (row.detail!.ulp[i]! += n));
          dist.ratio.forEach((n, i) => (row.detail!.ratio[i]! += n));
          const e = dist.worst;
          // Exact cases are no one's worst; a non-finite mismatch has an infinite ratio.
          const ratio = e ? elementRatio(e) : 0;
          if (e && ratio > 0) {
            const candidate = {
              id: c.id,
              // The first two positional tensors, whatever the loss names them (input/target, inputs/targets).
              input: summarizeTensor(Object.values(c.args)[0]!),
              target: summarizeTensor(Object.values(c.args)[1] ?? Object.values(c.args)[0]!),
              kwargs: kwargsGiven(c),
              element: e,
              ratio,
            };
            keepWorst(row.detail.worstCases, candidate, worstShown);
          }
        }
      }
    }
  }
  return [...rows.values()].map(({ worstScore: _, ...row }) => row);
}

const fmt = (v: number) => (v === 0 ? '0' : v.toExponential(2));

export function parityTable(rows: readonly ParityRow[]): string {
  const header = ['torch', 'loss', 'dtype', 'kind', 'cases', 'passed', 'max abs', 'max rel', 'max ULP', 'worst case'];
  const body = rows.map((r) => [
    r.torch,
    r.loss,
    r.dtype,
    r.kind,
    String(r.cases),
    String(r.passed),
    fmt(r.maxAbs),
    fmt(r.maxRel),
    String(r.maxUlp),
    r.worst,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
