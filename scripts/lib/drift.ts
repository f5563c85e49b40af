// What moved between two golden files of one loss (regenerated vs committed, or one torch version
// vs another): case by case, by id.

import { compareTensor, type ErrorDistribution } from '../../ts/golden/compare.ts';
import { toTensor } from '../../ts/golden/run.ts';
import { type GoldenCase, type GoldenFile, goldenSetLabel, type TensorJson } from '../../ts/golden/schema.ts';
import type { Tensor } from '../../ts/tensor.ts';

export type DriftStatus = 'unchanged' | 'within' | 'beyond' | 'added' | 'removed';

export interface PartDrift {
  part: 'output' | 'grad';
  status: DriftStatus;
  maxAbs: number;
  maxRel: number;
  maxUlp: number;
  note: string;
  /** For a part that changed (within or beyond): how its elements moved, for the HTML report. */
  distribution?: ErrorDistribution;
}

export interface CaseDrift {
  id: string;
  dtype: string;
  parts: PartDrift[];
}

export interface FileDrift {
  loss: string;
  /** torch: the release, with its CPU capability off the pinned avx2 ('2.14.1+debian avx512': goldenSetLabel). */
  before: { torch: string; python: string } | null;
  after: { torch: string; python: string };
  cases: CaseDrift[];
}

function comparePart(
  part: 'output' | 'grad',
  before: TensorJson | null,
  after: TensorJson | null,
  c: GoldenCase,
  golden: GoldenFile,
): PartDrift {
  const base = { part, maxAbs: 0, maxRel: 0, maxUlp: 0, note: '' };
  if (!before && !after) return { ...base, status: 'unchanged' };
  if (!before || !after)
    return { ...base, status: 'beyond', maxAbs: Infinity, maxRel: Infinity, note: before ? 'now raises' : 'no longer raises' };
  if (JSON.stringify(before) === JSON.stringify(after)) return { ...base, status: 'unchanged' };
  const cmp = compareTensor(toTensor(after) as Tensor, before, golden.tolerance[c.dtype], c.dtype, { distribution: true });
  const moved: PartDrift = {
    part,
    status: cmp.ok ? 'within' : 'beyond',
    maxAbs: cmp.maxAbs,
    maxRel: cmp.maxRel,
    maxUlp: cmp.maxUlp,
    note: cmp.message,
  };
  if (cmp.distribution) moved.distribution = cmp.distribution;
  return moved;
}

const RANK: Record<DriftStatus, number> = { unchanged: 0, within: 1, added: 2, removed: 2, beyond: 3 };

/** The gradients' drift: every differentiated argument compared, the worst reported (its name in the note). */
function gradDrift(prev: GoldenCase, c: GoldenCase, golden: GoldenFile): PartDrift {
  const names = [...new Set([...Object.keys(prev.grads ?? {}), ...Object.keys(c.grads ?? {})])];
  const parts = names.map((name) => {
    const part = comparePart('grad', prev.grads?.[name] ?? null, c.grads?.[name] ?? null, c, golden);
    return names.length > 1 && part.status !== 'unchanged' ? { ...part, note: `${name}: ${part.note}` } : part;
  });
  if (parts.length === 0) return comparePart('grad', null, null, c, golden);
  const worst = parts.reduce((a, b) =>
    RANK[b.status] > RANK[a.status] || (RANK[b.status] === RANK[a.status] && b.maxUlp > a.maxUlp) ? b : a,
  );
  return {
    ...worst,
    maxAbs: Math.max(...parts.map((p) => p.maxAbs)),
    maxRel: Math.max(...parts.map((p) => p.maxRel)),
    maxUlp: Math.max(...parts.map((p) => p.maxUlp)),
  };
}

export function driftBetween(before: GoldenFile | null, after: GoldenFile): FileDrift {
  const old = new Map((before?.cases ?? []).map((c) => [c.id, c]));
  const cases: CaseDrift[] = [];
  for (const c of after.cases) {
    const prev = old.get(c.id);
    old.delete(c.id);
    if (!prev) {
      cases.push({
        id: c.id,
        dtype: c.dtype,
        parts: (['output', 'grad'] as const).map((part) => ({ part, status: 'added', maxAbs: 0, maxRel: 0, maxUlp: 0, note: '' })),
      });
      continue;
    }
    const inputsMoved = JSON.stringify(prev.args) !== JSON.stringify(c.args) || JSON.stringify(prev.kwargs) !== JSON.stringify(c.kwargs);
    const parts = [comparePart('output', prev.output, c.output, c, after), gradDrift(prev, c, after)];
    if (inputsMoved) for (const p of parts) if (p.status === 'unchanged') p.status = 'within';
    if (inputsMoved) parts[0]!.note = `inputs changed; ${parts[0]!.note}`;
    cases.push({ id: c.id, dtype: c.dtype, parts });
  }
  for (const c of old.values()) {
    cases.push({
      id: c.id,
      dtype: c.dtype,
      parts: (['output', 'grad'] as const).map((part) => ({ part, status: 'removed', maxAbs: 0, maxRel: 0, maxUlp: 0, note: '' })),
    });
  }
  return {
    loss: after.loss,
    before: before ? { torch: goldenSetLabel(before), python: before.python } : null,
    after: { torch: goldenSetLabel(after), python: after.python },
    cases,
  };
}

const STATUSES: DriftStatus[] = ['unchanged', 'within', 'beyond', 'added', 'removed'];
const fmt = (v: number) => (v === 0 ? '0' : v.toExponential(2));

/** Markdown: versions, a summary per loss x dtype x part, and the worst cases beyond tolerance. */
export function driftMarkdown(drifts: readonly FileDrift[], worstShown = 10): string {
  const out: string[] = [];
  for (const d of drifts) {
    const from = d.before ? `torch ${d.before.torch} (Python ${d.before.python})` : 'nothing committed';
    out.push(`## ${d.loss}: ${from} -> torch ${d.after.torch} (Python ${d.after.python})`, '');
    out.push(
      '| dtype | part | unchanged | changed within tolerance | changed beyond tolerance | added | removed | max abs | max rel | max ULP |',
    );
    out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const dtype of ['float32', 'float64']) {
      for (const part of ['output', 'grad'] as const) {
        const parts = d.cases.filter((c) => c.dtype === dtype).map((c) => c.parts.find((p) => p.part === part)!);
        if (parts.length === 0) continue;
        const count = (s: DriftStatus) => parts.filter((p) => p.status === s).length;
        const finite = parts.filter((p) => p.status === 'within' || p.status === 'beyond');
        const max = (k: 'maxAbs' | 'maxRel' | 'maxUlp') => {
          const m = Math.max(0, ...finite.map((p) => p[k]));
          return k === 'maxUlp' ? String(m) : fmt(m);
        };
        out.push(
          `| ${dtype} | ${part} | ${STATUSES.map((s) => count(s)).join(' | ')} | ${max('maxAbs')} | ${max('maxRel')} | ${max('maxUlp')} |`,
        );
      }
    }
    const beyond = d.cases
      .flatMap((c) => c.parts.filter((p) => p.status === 'beyond').map((p) => ({ id: c.id, ...p })))
      .sort((a, b) => b.maxRel - a.maxRel);
    if (beyond.length > 0) {
      out.push('', `Changed beyond tolerance (${beyond.length}; worst ${Math.min(worstShown, beyond.length)} by relative error):`, '');
      for (const b of beyond.slice(0, worstShown)) {
        out.push(
          `- \`${b.id}\` ${b.part}: max abs ${fmt(b.maxAbs)}, max rel ${fmt(b.maxRel)}, max ULP ${b.maxUlp}${b.note ? ` (${b.note})` : ''}`,
        );
      }
    }
    out.push('');
  }
  return out.join('\n');
}

export function countStatus(drifts: readonly FileDrift[], status: DriftStatus): string[] {
  return drifts.flatMap((d) => d.cases.filter((c) => c.parts.some((p) => p.status === status)).map((c) => c.id));
}
