// Runs golden cases through the ports: the one place that turns a golden case into a port call.

import { existsSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LOSSES, type LossEntry, type LossStem } from '../losses/registry.ts';
import { LossArgumentError, type IndexTensor, type Tensor } from '../tensor.ts';
import { compareTorchVersions } from '../torch-version.ts';
import { compareTensor, type CompareOptions, type Comparison } from './compare.ts';
import { decodeNumber, parseGolden, type GoldenCase, type GoldenFile, type TensorJson } from './schema.ts';

export { GOLDEN_DIR } from './paths.ts';
import { GOLDEN_DIR } from './paths.ts';

export interface LoadedGolden {
  file: string;
  /** The folder name's version, e.g. '1.13.0a0' from golden/torch-1.13.0a0/. */
  torchDir: string;
  golden: GoldenFile;
}

/**
 * Every golden file under `dir` (golden/torch-<version>/<stem>.json), validated: the folder names
 * the file's torch version and the file name its loss. First repairs a commit of `npm run golden`
 * that was killed between its two renames (see recoverInterruptedCommit).
 */
export function loadGoldens(dir = GOLDEN_DIR): LoadedGolden[] {
  recoverInterruptedCommit(dir);
  if (!existsSync(dir)) return [];
  const out: LoadedGolden[] = [];
  const dirs = readdirSync(dir).sort((a, b) => compareTorchVersions(a, b) || a.localeCompare(b));
  for (const sub of dirs) {
    if (!sub.startsWith('torch-')) continue;
    for (const name of readdirSync(join(dir, sub)).sort()) {
      if (!name.endsWith('.json')) continue;
      const file = join(dir, sub, name);
      const golden = parseGolden(readFileSync(file), file);
      const torchDir = sub.slice('torch-'.length);
      if (golden.torch !== torchDir)
        throw new Error(`${file}: invalid golden file at $.torch: '${golden.torch}' in the folder of torch ${torchDir}`);
      if (`${golden.loss}.json` !== name)
        throw new Error(`${file}: invalid golden file at $.loss: '${golden.loss}' in a file named ${name}`);
      out.push({ file, torchDir, golden });
    }
  }
  return out;
}

/**
 * The record `npm run golden` writes beside golden/ before it swaps sets with two renames (where
 * the filesystem cannot exchange two directories in one step): { "old": <where golden/ is moved> }.
 */
export function commitRecordPath(dir: string): string {
  return join(dirname(dir), `.${basename(dir)}-commit.json`);
}

/**
 * Finishes what a killed two-rename commit left: golden/ moved aside and the new set not yet in
 * its place. The old set goes back (the commit never happened); otherwise the record is stale.
 * Returns what it did, for messages, or null when there was nothing to repair.
 */
export function recoverInterruptedCommit(dir: string): string | null {
  const record = commitRecordPath(dir);
  if (!existsSync(record)) return null;
  let old: string | undefined;
  try {
    old = (JSON.parse(readFileSync(record, 'utf8')) as { old?: string }).old;
  } catch {
    old = undefined; // written only partly: the record is written in full before the first rename
  }
  let done = `removed the stale commit record ${record}`;
  if (old && !existsSync(dir) && existsSync(old)) {
    renameSync(old, dir);
    done = `restored ${dir} from ${old}, where an interrupted commit had moved it`;
  }
  rmSync(record, { force: true });
  return done;
}

export function toTensor(t: TensorJson, dtype: 'float32' | 'float64'): Tensor {
  const data = dtype === 'float32' ? new Float32Array(t.data.length) : new Float64Array(t.data.length);
  for (let i = 0; i < data.length; i++) data[i] = decodeNumber(t.data[i]!);
  return { data, shape: t.shape };
}

/** A golden target: class indices for losses whose target is labels, else like the input. */
export function toTarget(entry: LossEntry, t: TensorJson, dtype: 'float32' | 'float64'): Tensor & IndexTensor {
  if (entry.domain.target === 'labels' && t.data.every((v) => Number.isInteger(v))) {
    return { data: Int32Array.from(t.data as number[]), shape: t.shape } as unknown as Tensor & IndexTensor;
  }
  return toTensor(t, dtype) as Tensor & IndexTensor;
}

export interface CaseResult {
  id: string;
  ok: boolean;
  /** 'error' cases pass when the port throws the same Python exception type torch raised. */
  kind: 'output' | 'grad' | 'error';
  comparison: Comparison | null;
  message: string;
}

export function lossEntry(stem: string): LossEntry {
  const entry = (LOSSES as Record<string, LossEntry>)[stem];
  if (!entry) throw new Error(`golden file for loss '${stem}' has no TypeScript port registered in ts/losses/registry.ts`);
  return entry;
}

/** Golden-format kwargs (torch's names) as a port's options, for the given torch and capability. */
export function portOptions(
  entry: LossEntry,
  kwargs: Record<string, TensorJson | string | null>,
  dtype: 'float32' | 'float64',
  torchVersion: string,
  cpuCapability: string,
): Record<string, unknown> {
  const opts: Record<string, unknown> = { reduction: kwargs.reduction, torchVersion, cpuCapability };
  for (const [torchName, portName] of Object.entries(entry.tensorOptions)) {
    const t = kwargs[torchName];
    if (t !== undefined && t !== null && typeof t !== 'string') opts[portName] = toTensor(t, dtype);
  }
  return opts;
}

/** Output and gradient results of one case (one result for an error case); `compare` goes to compareTensor. */
export function runCase(stem: LossStem | string, c: GoldenCase, golden: GoldenFile, compare: CompareOptions = {}): CaseResult[] {
  const entry = lossEntry(stem);
  const input = toTensor(c.args.input, c.dtype);
  const target = toTarget(entry, c.args.target, c.dtype);
  const tol = golden.tolerance[c.dtype];
  const options = portOptions(entry, c.kwargs, c.dtype, golden.torch, golden.environment.cpu_capability);
  if (c.error) {
    try {
      entry.forward(input, target, options);
    } catch (e) {
      const type = e instanceof LossArgumentError ? e.torchErrorType : (e as Error).name;
      const ok = type === c.error.type;
      return [
        {
          id: c.id,
          kind: 'error',
          ok,
          comparison: null,
          message: ok ? '' : `threw ${type} (${(e as Error).message}), torch raised ${c.error.type}`,
        },
      ];
    }
    return [
      { id: c.id, kind: 'error', ok: false, comparison: null, message: `did not throw; torch raised ${c.error.type}: ${c.error.message}` },
    ];
  }
  const results: CaseResult[] = [];
  const check = (kind: 'output' | 'grad', compute: () => Tensor, want: TensorJson) => {
    try {
      const cmp = compareTensor(compute(), want, tol, c.dtype, compare);
      results.push({ id: c.id, kind, ok: cmp.ok, comparison: cmp, message: cmp.message });
    } catch (e) {
      results.push({ id: c.id, kind, ok: false, comparison: null, message: `threw ${(e as Error).message}` });
    }
  };
  check('output', () => entry.forward(input, target, options), c.output!);
  if (c.grad) {
    const go = toTensor(c.grad.grad_output, c.dtype);
    check('grad', () => entry.backward(go, input, target, options), c.grad.input);
  }
  return results;
}
