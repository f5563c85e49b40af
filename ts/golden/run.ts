// Runs golden cases through the ports: the one place that turns a golden case into a port call.

import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { LOSSES, type LossEntry, type LossStem } from '../losses/registry.ts';
import { LossArgumentError, type IndexTensor, type Tensor } from '../tensor.ts';
import { compareTorchVersions } from '../torch-version.ts';
import { compareTensor, type Comparison } from './compare.ts';
import { decodeNumber, parseGolden, type GoldenCase, type GoldenFile, type TensorJson } from './schema.ts';

export { GOLDEN_DIR } from './paths.ts';
import { GOLDEN_DIR } from './paths.ts';

export interface LoadedGolden {
  file: string;
  /** The folder name's version, e.g. '1.13.0a0' from golden/torch-1.13.0a0/. */
  torchDir: string;
  golden: GoldenFile;
}

/** Every golden file under `dir` (golden/torch-<version>/<stem>.json), validated. */
export function loadGoldens(dir = GOLDEN_DIR): LoadedGolden[] {
  if (!existsSync(dir)) return [];
  const out: LoadedGolden[] = [];
  const dirs = readdirSync(dir).sort((a, b) => compareTorchVersions(a, b) || a.localeCompare(b));
  for (const sub of dirs) {
    if (!sub.startsWith('torch-')) continue;
    for (const name of readdirSync(join(dir, sub)).sort()) {
      if (!name.endsWith('.json')) continue;
      const file = join(dir, sub, name);
      out.push({ file, torchDir: sub.slice('torch-'.length), golden: parseGolden(readFileSync(file, 'utf8'), file) });
    }
  }
  return out;
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

/** Output and gradient results of one case (one result for an error case). */
export function runCase(stem: LossStem | string, c: GoldenCase, golden: GoldenFile): CaseResult[] {
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
      return [{ id: c.id, kind: 'error', ok, comparison: null, message: ok ? '' : `threw ${type} (${(e as Error).message}), torch raised ${c.error.type}` }];
    }
    return [{ id: c.id, kind: 'error', ok: false, comparison: null, message: `did not throw; torch raised ${c.error.type}: ${c.error.message}` }];
  }
  const results: CaseResult[] = [];
  const check = (kind: 'output' | 'grad', compute: () => Tensor, want: TensorJson) => {
    try {
      const cmp = compareTensor(compute(), want, tol, c.dtype);
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
