// Runs golden cases through the ports: the one place that turns a golden case into a port call.

import { existsSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LOSSES, optionName, type LossEntry, type LossStem } from '../losses/registry.ts';
import { LossArgumentError, type IndexTensor, type Tensor } from '../tensor.ts';
import { compareTorchVersions } from '../torch-version.ts';
import { compareTensor, type CompareOptions, type Comparison } from './compare.ts';
import { captureWarnings } from '../warnings.ts';
import {
  GOLDEN_FORMAT,
  joinGolden,
  parseCases,
  parseResults,
  parseTorchFolder,
  tensorValues,
  torchFolder,
  type ParseOptions,
  type ParsedCases,
  type GoldenCase,
  type GoldenFile,
  type KwargJson,
  type TensorJson,
  type TorchError,
} from './schema.ts';

export { GOLDEN_DIR } from './paths.ts';
import { GOLDEN_DIR } from './paths.ts';

export interface LoadedGolden {
  /** The results file (torch-<version>/<stem>.json). */
  file: string;
  /** The cases file it was joined with (cases/<stem>.json beside the torch folders). */
  casesFile: string;
  /** The folder's name after 'torch-': '1.13.0a0' from golden/torch-1.13.0a0/, '2.14.1+debian-avx512' (schema.ts torchFolder). */
  torchDir: string;
  /** The two joined: every case with its inputs and this release's results. */
  golden: GoldenFile;
}

/** The folder of the cases files in a golden folder (golden/cases/). */
export const CASES_DIR = 'cases';

/** The cases file of a loss in a golden folder: <dir>/cases/<stem>.json. */
export function casesFileOf(dir: string, stem: string): string {
  return join(dir, CASES_DIR, `${stem}.json`);
}

/**
 * One results file (<dir>/torch-<version>/<stem>.json) joined with its cases file
 * (<dir>/cases/<stem>.json), validated (parseGolden). `cache` keeps parsed cases files by path.
 */
export function loadGoldenFile(file: string, options: ParseOptions = {}, cache = new Map<string, ParsedCases>()): LoadedGolden {
  const anyLoss = options.anyLoss ? { anyLoss: true } : {};
  const results = parseResults(readFileSync(file), file, anyLoss);
  const name = basename(file);
  const folder = basename(dirname(file));
  const torchDir = folder.replace(/^torch-/, '');
  // Where it is must be what it says, before it is joined (the cases file is found by its name).
  if (folder.startsWith('torch-')) {
    const says = parseTorchFolder(folder);
    const { torch, environment } = results.results;
    if (says?.torch !== torch) throw new Error(`${file}: invalid golden file at $.torch: '${torch}' in the folder ${folder}`);
    if (says.capability !== environment.cpu_capability)
      throw new Error(
        `${file}: invalid golden file at $.environment.cpu_capability: '${environment.cpu_capability}' in the folder ${folder} (${torchFolder(torch, environment.cpu_capability)} holds those)`,
      );
  }
  if (`${results.results.loss}.json` !== name)
    throw new Error(`${file}: invalid golden file at $.loss: '${results.results.loss}' in a file named ${name}`);
  const casesFile = casesFileOf(dirname(dirname(file)), basename(file, '.json'));
  let cases = cache.get(casesFile);
  if (!cases) {
    if (!existsSync(casesFile)) {
      throw new Error(
        `${file}: its cases file ${casesFile} does not exist (golden format ${GOLDEN_FORMAT}: the inputs are stored once per loss; regenerate with npm run golden)`,
      );
    }
    cases = parseCases(readFileSync(casesFile), casesFile, anyLoss);
    cache.set(casesFile, cases);
  }
  return { file, casesFile, torchDir, golden: joinGolden(cases, results) };
}

/**
 * Every golden file under `dir` (golden/torch-<version>/<stem>.json, each joined with
 * golden/cases/<stem>.json), validated: the folder names the file's torch version and the file
 * name its loss, and the results were made from that cases file (its sha256, ids and order). First
 * repairs a commit of `npm run golden` that was killed between its two renames (see
 * recoverInterruptedCommit).
 */
export function loadGoldens(dir = GOLDEN_DIR, options: LoadOptions = {}): LoadedGolden[] {
  recoverInterruptedCommit(dir);
  if (!existsSync(dir)) return [];
  const out: LoadedGolden[] = [];
  const cache = new Map<string, ParsedCases>();
  const dirs = readdirSync(dir).sort((a, b) => compareTorchVersions(a, b) || a.localeCompare(b));
  for (const sub of dirs) {
    if (!sub.startsWith('torch-')) continue;
    for (const name of readdirSync(join(dir, sub)).sort()) {
      if (!name.endsWith('.json') || (options.loss !== undefined && name !== `${options.loss}.json`)) continue;
      const file = join(dir, sub, name);
      if (options.onOtherFormat) {
        const format = formatOf(readFileSync(file));
        if (format !== GOLDEN_FORMAT) {
          options.onOtherFormat(file, format);
          continue;
        }
      }
      out.push(loadGoldenFile(file, options.anyLoss ? { anyLoss: true } : {}, cache));
    }
  }
  return out;
}

export interface LoadOptions {
  /** Skip files of another format version (called with each), instead of failing on them: the
   *  golden command's drift baseline, when the committed set predates a format change. */
  onOtherFormat?: (file: string, format: unknown) => void;
  /** Only the files of this loss (<loss>.json in each torch folder). */
  loss?: string;
  /** Files of losses without a registered port too (parseGolden's anyLoss): a user's own goldens. */
  anyLoss?: boolean;
}

/** The `format` a golden file declares (its header comes first), or undefined. */
export function formatOf(bytes: Uint8Array): unknown {
  const head = new TextDecoder().decode(bytes.subarray(0, 64));
  const m = /^\{\s*"format"\s*:\s*(\d+)/.exec(head);
  return m ? Number(m[1]) : undefined;
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

/**
 * A golden tensor as a port's argument: float32/float64 as a Tensor of that dtype, integer and
 * bool dtypes (torch.long class indices, ...) as an IndexTensor.
 */
export function toTensor(t: TensorJson): Tensor | IndexTensor {
  const values = tensorValues(t);
  if (t.dtype === 'float32') return { data: Float32Array.from(values), shape: t.shape };
  if (t.dtype === 'float64') return { data: values, shape: t.shape };
  return { data: Int32Array.from(values), shape: t.shape };
}

export interface CaseResult {
  id: string;
  ok: boolean;
  /** 'error' cases pass when the port throws torch's Python exception type with a message the case's regex matches. */
  kind: 'output' | 'grad' | 'error';
  /** For 'grad': the argument whose gradient this is. */
  arg?: string;
  comparison: Comparison | null;
  message: string;
}

export function lossEntry(stem: string): LossEntry {
  const entry = (LOSSES as Record<string, LossEntry>)[stem];
  if (!entry) throw new Error(`golden file for loss '${stem}' has no TypeScript port registered in ts/losses/registry.ts`);
  return entry;
}

/**
 * Golden-format kwargs (torch's names) as a port's options (camelCase names), for the given torch
 * and capability; with the loss's entry, a kwarg it decodes (a distance function's name) becomes
 * what the port takes.
 */
export function portOptions(
  kwargs: Readonly<Record<string, KwargJson>>,
  torchVersion: string,
  cpuCapability: string,
  entry?: LossEntry,
): Record<string, unknown> {
  const opts: Record<string, unknown> = { torchVersion, cpuCapability };
  for (const [torchName, value] of Object.entries(kwargs)) {
    const decode = entry?.kwargDecoders?.[torchName];
    opts[optionName(torchName)] = decode ? decode(value) : value !== null && typeof value === 'object' ? toTensor(value) : value;
  }
  return opts;
}

/** A case's positional tensors, in the loss's argument order. */
export function caseArgs(entry: LossEntry, c: GoldenCase): (Tensor | IndexTensor)[] {
  return entry.args.map((name) => {
    const t = c.args[name];
    if (!t) throw new Error(`${c.id}: the case has no argument '${name}'`);
    return toTensor(t);
  });
}

/** A backward's result by argument name (a one-gradient loss returns the Tensor itself). */
export function gradsByName(entry: LossEntry, result: Tensor | Readonly<Record<string, Tensor>>): Readonly<Record<string, Tensor>> {
  return entry.grads.length === 1 && 'data' in result
    ? { [entry.grads[0]!]: result as Tensor }
    : (result as Readonly<Record<string, Tensor>>);
}

/** Checks a thrown error against what torch raised: the Python type, and the case's regex over the message. */
export function matchError(e: unknown, want: TorchError): { ok: boolean; message: string } {
  const type = e instanceof LossArgumentError ? e.torchErrorType : (e as Error).name;
  const message = (e as Error).message;
  if (type !== want.type) return { ok: false, message: `threw ${type} (${message}), torch raised ${want.type}: ${want.message}` };
  if (want.regex !== null && !new RegExp(want.regex).test(message)) {
    return { ok: false, message: `threw ${type} '${message}', which does not match /${want.regex}/ (torch: ${want.message})` };
  }
  return { ok: true, message: '' };
}

/** Output and gradient results of one case (one result for an error case); `compare` goes to compareTensor. */
export function runCase(stem: LossStem | string, c: GoldenCase, golden: GoldenFile, compare: CompareOptions = {}): CaseResult[] {
  const entry = lossEntry(stem);
  const args = caseArgs(entry, c);
  const tol = golden.tolerance[c.dtype];
  const options = portOptions(c.kwargs, golden.torch, golden.environment.cpu_capability, entry);
  const expectThrow = (kind: 'error' | 'grad', want: TorchError, run: () => unknown): CaseResult => {
    try {
      run();
    } catch (e) {
      const { ok, message } = matchError(e, want);
      return { id: c.id, kind, ok, comparison: null, message };
    }
    return { id: c.id, kind, ok: false, comparison: null, message: `did not throw; torch raised ${want.type}: ${want.message}` };
  };
  // An error case's warnings are not compared (torch may warn before it raises), only kept quiet.
  if (c.error) return [expectThrow('error', c.error, () => captureWarnings(() => entry.forward(...args, options)))];
  const results: CaseResult[] = [];
  const check = (kind: 'output' | 'grad', compute: () => Tensor, want: TensorJson, arg?: string) => {
    const named = arg === undefined ? {} : { arg };
    try {
      const cmp = compareTensor(compute(), want, tol, c.dtype, compare);
      results.push({ id: c.id, kind, ...named, ok: cmp.ok, comparison: cmp, message: cmp.message });
    } catch (e) {
      results.push({ id: c.id, kind, ...named, ok: false, comparison: null, message: `threw ${(e as Error).message}` });
    }
  };
  // The warnings torch emitted (recorded "always"; its losses warn in the forward) and the port's
  // forward's; the backward's are kept quiet (the ports' backwards re-check their arguments).
  const warned: string[] = [];
  const quietly = <T>(fn: () => T): T => captureWarnings(fn).result;
  check(
    'output',
    () => {
      const { result, warnings } = captureWarnings(() => entry.forward(...args, options));
      warned.push(...warnings);
      return result;
    },
    c.output!,
  );
  if (c.grad_output && c.grad_error) {
    const go = toTensor(c.grad_output);
    results.push(expectThrow('grad', c.grad_error, () => quietly(() => entry.backward(go, ...args, options))));
  } else if (c.grad_output && c.grads) {
    const go = toTensor(c.grad_output);
    let grads: Readonly<Record<string, Tensor>> | Error;
    try {
      grads = gradsByName(
        entry,
        quietly(() => entry.backward(go, ...args, options)),
      );
    } catch (e) {
      grads = e as Error;
    }
    for (const [arg, want] of Object.entries(c.grads)) {
      check(
        'grad',
        () => {
          if (grads instanceof Error) throw grads;
          const got = grads[arg];
          if (!got) throw new Error(`backward returned no gradient for '${arg}'`);
          return got;
        },
        want,
        arg,
      );
    }
  }
  const output = results[0]!;
  if (output.ok && JSON.stringify(warned) !== JSON.stringify(c.warnings)) {
    output.ok = false;
    output.message = `warned ${JSON.stringify(warned)}; torch warned ${JSON.stringify(c.warnings)}`;
  }
  return results;
}
