// Runs every case of a set of golden files through the ports and summarises per
// torch version x loss x dtype x kind (output, grad, error).

import { runCase, type CaseResult, type LoadedGolden } from '../../ts/golden/run.ts';

export interface ParityRow {
  torch: string;
  loss: string;
  dtype: string;
  kind: CaseResult['kind'];
  cases: number;
  passed: number;
  maxAbs: number;
  maxRel: number;
  maxUlp: number;
  worst: string;
  failures: { id: string; message: string }[];
}

export function parity(goldens: readonly LoadedGolden[]): ParityRow[] {
  const rows = new Map<string, ParityRow & { worstScore: number }>();
  for (const { golden } of goldens) {
    for (const c of golden.cases) {
      for (const r of runCase(golden.loss, c, golden)) {
        const key = [golden.torch, golden.loss, c.dtype, r.kind].join('|');
        let row = rows.get(key);
        if (!row) {
          row = { torch: golden.torch, loss: golden.loss, dtype: c.dtype, kind: r.kind, cases: 0, passed: 0, maxAbs: 0, maxRel: 0, maxUlp: 0, worst: '', worstScore: -1, failures: [] };
          rows.set(key, row);
        }
        row.cases++;
        if (r.ok) row.passed++;
        else row.failures.push({ id: r.id, message: r.message });
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
      }
    }
  }
  return [...rows.values()].map(({ worstScore: _, ...row }) => row);
}

const fmt = (v: number) => (v === 0 ? '0' : v.toExponential(2));

export function parityTable(rows: readonly ParityRow[]): string {
  const header = ['torch', 'loss', 'dtype', 'kind', 'cases', 'passed', 'max abs', 'max rel', 'max ULP', 'worst case'];
  const body = rows.map((r) => [r.torch, r.loss, r.dtype, r.kind, String(r.cases), String(r.passed), fmt(r.maxAbs), fmt(r.maxRel), String(r.maxUlp), r.worst]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
