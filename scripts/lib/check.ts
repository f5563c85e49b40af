// `torch-loss-parity check`: any implementation of torch losses against the torch goldens, through
// the conformance protocol (docs/conformance-spec.md, version 1; check-protocol.ts). --impl MODULE
// (a JavaScript / TypeScript module or a config file: check-runner.ts loads it in a process of its
// own) or --command "CMD" (any language, JSON lines over stdin / stdout). It runs every golden case
// of the losses the implementation has (or --loss), holds it to one torch release (--torch, default
// the newest in the golden folder) and shows how it fares against the others; prints the parity
// table and every failing case (id, element, got, want, ULP); --json, --html.
//
// Exit status: 0 every check of the held release passes; 1 a case of the held release fails (or
// none was checked); 2 a broken implementation (it does not start, crashes, hangs past the
// timeout, answers what is not the protocol, or a function is not a function) or a usage / golden
// problem. A broken case is restarted past: one crash names its case and the run goes on.

import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import {
  type Comparison,
  compareTensor,
  type ElementError,
  elementRatio,
  emptyDistribution,
  ulpDistance,
} from '../../ts/golden/compare.ts';
import {
  type GoldenCase,
  type GoldenFile,
  PINNED_CAPABILITY,
  type ParsedCases,
  parseTorchFolder,
  type TensorJson,
  torchFolder,
  type TorchError,
} from '../../ts/golden/schema.ts';
import { loadGoldenFile } from '../../ts/golden/run.ts';
import type { Tensor } from '../../ts/tensor.ts';
import { compareTorchVersions, torchMatches, type CpuCapability } from '../../ts/torch-version.ts';
import { CONFIG_NAMES, configProblem, JsonConfig } from './check-config.ts';
import {
  CaseReply,
  describeAnswer,
  encodeGoldenTensor,
  encodeKwarg,
  HelloReply,
  ImplementationProcess,
  SPEC_VERSION,
  type WireTensor,
  wireValues,
  zodProblem,
} from './check-protocol.ts';
import { runnerCommand } from './check-runner.ts';
import type { ParityRow, WorstCase } from './parity.ts';
import { summarizeTensor } from './parity.ts';
import { progress } from './progress.ts';

export interface CheckOptions {
  /** A module or config file (check-runner.ts loads it). */
  impl?: string;
  /** A command speaking the protocol (run by /bin/sh -c). */
  command?: string;
  /** A golden folder (torch-<version>/<stem>.json inside), one torch-<version> folder, or one golden file. */
  golden: string;
  losses?: string[];
  /** The release held to: a version or its prefix at a boundary (2.6 = 2.6.0+debian). Default: the config's, else the newest. */
  torch?: string;
  /** Which CPU capability's goldens a folder of torch folders gives (default avx2, the pinned one). */
  cpuCapability?: CpuCapability;
  json: boolean;
  html?: string;
  /** Seconds per request. */
  timeout?: number;
  /** Error cases pass only with torch's exception type and a message its regex matches. */
  strictErrors: boolean;
  /** After this many broken cases in a row (the implementation is unusable) the rest are not run. */
  maxBroken: number;
  /** Where --impl / --command paths are relative to and where a config file is looked for. */
  cwd: string;
  /** Where the report goes (default stdout). */
  print?: (text: string) => void;
  /** The implementation's environment (default this process's). */
  env?: NodeJS.ProcessEnv;
}

export const DEFAULT_TIMEOUT = 10;

// ---- goldens --------------------------------------------------------------------------------------

type AnyGolden = GoldenFile;

interface Loaded {
  file: string;
  golden: AnyGolden;
}

/** One results file joined with its cases file (../cases/<stem>.json), validated; any loss name (a folder a user's case module made). */
function parseAnyGolden(file: string, cache: Map<string, ParsedCases>): AnyGolden {
  try {
    return loadGoldenFile(file, { anyLoss: true }, cache).golden;
  } catch (e) {
    throw new CheckUsageError((e as Error).message);
  }
}

/**
 * Every golden file at `path`: a folder of torch-<version>/ folders, one such folder, or one file.
 * A folder of folders gives the sets of one CPU capability (torch-<version>/ at the pinned avx2,
 * torch-<version>-avx512/ for 'avx512'), so that each release is held to once.
 */
export function loadCheckGoldens(path: string, capability: CpuCapability = PINNED_CAPABILITY): Loaded[] {
  if (!existsSync(path)) throw new CheckUsageError(`no golden files: ${path} does not exist`);
  const files: string[] = [];
  if (statSync(path).isFile()) files.push(path);
  else {
    const folders = basename(path).startsWith('torch-')
      ? [path]
      : readdirSync(path)
          .filter((d) => parseTorchFolder(d)?.capability === capability && statSync(join(path, d)).isDirectory())
          .sort(compareTorchVersions)
          .map((d) => join(path, d));
    for (const f of folders) for (const n of readdirSync(f).sort()) if (n.endsWith('.json')) files.push(join(f, n));
  }
  const cache = new Map<string, ParsedCases>();
  // loadGoldenFile checks that a torch-* folder's name says the file's torch and CPU capability.
  return files.map((file) => ({ file, golden: parseAnyGolden(file, cache) }));
}

// ---- the implementation ---------------------------------------------------------------------------

class CheckUsageError extends Error {}

interface Target {
  /** What the report calls it. */
  label: string;
  kind: 'impl' | 'command';
  command: string | string[];
  cwd: string;
  torch?: string;
  timeout?: number;
  env?: NodeJS.ProcessEnv;
}

function findTarget(options: CheckOptions): Target {
  if (options.impl !== undefined && options.command !== undefined) throw new CheckUsageError('give one of --impl and --command, not both');
  if (options.command !== undefined) return { label: options.command, kind: 'command', command: options.command, cwd: options.cwd };
  let file = options.impl === undefined ? undefined : resolve(options.cwd, options.impl);
  if (file === undefined) {
    const found = CONFIG_NAMES.map((n) => join(options.cwd, n)).find((f) => existsSync(f));
    if (!found) throw new CheckUsageError(`give --impl MODULE or --command "CMD" (or put a ${CONFIG_NAMES.join(' / ')} in ${options.cwd})`);
    file = found;
  }
  if (!existsSync(file)) throw new CheckUsageError(`--impl ${options.impl}: no such file`);
  if (file.endsWith('.json')) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new CheckUsageError(`${file}: not JSON: ${(e as Error).message}`);
    }
    const parsed = JsonConfig.safeParse(json);
    if (!parsed.success) throw new CheckUsageError(configProblem(file, parsed.error));
    const c = parsed.data;
    const extra = { ...(c.torch === undefined ? {} : { torch: c.torch }), ...(c.timeout === undefined ? {} : { timeout: c.timeout }) };
    if (c.command !== undefined) return { label: c.name ?? c.command, kind: 'command', command: c.command, cwd: dirname(file), ...extra };
    return { label: c.name ?? file, kind: 'impl', command: runnerCommand(file), cwd: options.cwd, ...extra };
  }
  return { label: options.impl ?? file, kind: 'impl', command: runnerCommand(file), cwd: options.cwd };
}

/** One case to send: its request line for a sequence number. */
interface Job {
  request: (seq: number) => string;
  golden: AnyGolden;
  c: GoldenCase;
  withGrads: boolean;
}

/** Requests sent ahead of the replies. */
const WINDOW = 8;

/** The implementation's process, restarted after a crash, a hang or a reply out of step. */
class Session {
  proc: ImplementationProcess | null = null;
  hello: HelloReply | null = null;
  /** Why the last start failed. */
  startProblem = '';
  private seq = 0;

  readonly target: Target;
  readonly timeout: number;

  constructor(target: Target, timeout: number) {
    this.target = target;
    this.timeout = timeout;
  }

  /** Starts it and says hello; false (and startProblem) when that fails. */
  async start(): Promise<boolean> {
    await this.proc?.kill();
    this.proc = new ImplementationProcess(this.target.command, {
      cwd: this.target.cwd,
      ...(this.target.env ? { env: this.target.env } : {}),
    });
    // Starting (an interpreter, tsx, TensorFlow.js) takes longer than a case.
    const seconds = Math.max(30, 3 * this.timeout);
    const a = await this.proc.request(JSON.stringify({ op: 'hello', spec: SPEC_VERSION }), seconds);
    if (a.kind !== 'reply') {
      this.startProblem = describeAnswer(a, this.proc);
      await this.proc.kill();
      return false;
    }
    const broken = (a.value as { broken?: unknown } | null)?.broken;
    if (typeof broken === 'string') {
      this.startProblem = broken;
      await this.proc.kill();
      return false;
    }
    const h = HelloReply.safeParse(a.value);
    if (!h.success) {
      this.startProblem = `malformed hello reply ${zodProblem(h.error)}: ${JSON.stringify(a.line.slice(0, 200))}`;
      await this.proc.kill();
      return false;
    }
    this.hello = h.data;
    return true;
  }

  /**
   * Runs the jobs in order, up to WINDOW requests ahead of the replies (the implementation reads
   * the next request while the checker judges the last reply). A reply that does not come within
   * the timeout, a crash, a line that is not JSON or a reply out of step is blamed on the oldest
   * unanswered request; the process is restarted and the requests after it are sent again.
   */
  async run(
    jobs: readonly Job[],
    onReply: (job: Job, reply: CaseReply) => void,
    onBroken: (job: Job, why: string) => boolean,
  ): Promise<void> {
    let next = 0;
    let inflight: { job: Job; seq: number }[] = [];
    while (next < jobs.length || inflight.length > 0) {
      if (!this.proc?.alive) {
        inflight = [];
        if (!(await this.start())) {
          // Every job left is broken the same way (the caller may stop counting them).
          for (; next < jobs.length; next++) if (!onBroken(jobs[next]!, `the implementation did not restart: ${this.startProblem}`)) return;
          return;
        }
      }
      const proc = this.proc!;
      while (inflight.length < WINDOW && next < jobs.length) {
        const job = jobs[next++]!;
        const seq = ++this.seq;
        proc.send(job.request(seq));
        inflight.push({ job, seq });
      }
      const head = inflight[0]!;
      const a = await proc.receive(this.timeout);
      let why: string | null = null;
      let restart = true;
      if (a.kind !== 'reply') why = describeAnswer(a, proc);
      else {
        const r = CaseReply.safeParse(a.value);
        const seq = (a.value as { seq?: unknown } | null)?.seq;
        if (typeof seq === 'number' && seq !== head.seq)
          why = `a reply for request ${seq} where request ${head.seq} was due (the replies are out of step)`;
        else if (!r.success) {
          why = `malformed reply ${zodProblem(r.error)}: ${JSON.stringify(a.line.slice(0, 200))}`;
          restart = typeof seq !== 'number';
        } else {
          inflight.shift();
          onReply(head.job, r.data);
          continue;
        }
      }
      inflight.shift();
      if (restart) {
        await proc.kill();
        // The requests sent after the blamed one are sent again to the new process.
        next = inflight.length > 0 ? jobs.indexOf(inflight[0]!.job) : next;
        inflight = [];
      }
      if (!onBroken(head.job, why)) return;
    }
  }

  async close(): Promise<void> {
    await this.proc?.close();
  }
}

// ---- one case -------------------------------------------------------------------------------------

export type CheckStatus = 'pass' | 'fail' | 'broken' | 'unsupported' | 'not-run';

export interface CheckResult {
  torch: string;
  loss: string;
  id: string;
  dtype: 'float32' | 'float64';
  kind: 'output' | 'grad' | 'error';
  /** For 'grad': the argument whose gradient this is. */
  arg?: string;
  status: CheckStatus;
  message: string;
  comparison: Comparison | null;
  /** The element furthest outside (or nearest to) the tolerance. */
  element: ElementError | null;
}

function buildRequest(golden: AnyGolden, c: GoldenCase, fn: string, withGrads: boolean, base64: boolean): (seq: number) => string {
  const args = golden.args.map((name) => encodeGoldenTensor(c.args[name]!, base64)).join(',');
  const kwargs = Object.entries(c.kwargs)
    .map(([k, v]) => `${JSON.stringify(k)}:${encodeKwarg(v, base64)}`)
    .join(',');
  const grads =
    withGrads && c.grad_output ? `,"grad_output":${encodeGoldenTensor(c.grad_output, base64)},"grads":${JSON.stringify(golden.grads)}` : '';
  const head = `"op":"case","case":${JSON.stringify(c.id)},"function":${JSON.stringify(fn)},"dtype":"${c.dtype}","torch":${JSON.stringify(golden.torch)},"cpu_capability":"${golden.environment.cpu_capability}"`;
  const body = `"args":[${args}],"arg_names":${JSON.stringify(golden.args)},"kwargs":{${kwargs}}${grads}`;
  return (seq) => `{"seq":${seq},${head},${body}}`;
}

const shapeText = (s: readonly number[]) => `[${s.join(', ')}]`;

/** A flat index as coordinates in `shape` (row-major). */
function coordinates(index: number, shape: readonly number[]): number[] {
  const out: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    out.unshift(index % shape[d]!);
    index = Math.floor(index / shape[d]!);
  }
  return out;
}

function errorText(e: { type?: string | undefined; message?: string | undefined }): string {
  return `${e.type ?? 'an error'}${e.message ? `: ${e.message}` : ''}`;
}

/** An error the implementation raised against what torch raised. */
function judgeError(
  got: { type?: string | undefined; message?: string | undefined },
  want: TorchError,
  strict: boolean,
): { ok: boolean; message: string } {
  const torch = `torch raised ${want.type}: ${want.message}`;
  if (!strict) {
    const same = got.type === want.type && (want.regex === null || new RegExp(want.regex).test(got.message ?? ''));
    return { ok: true, message: same ? '' : `raised ${errorText(got)} (${torch}; --strict-errors checks the type and message)` };
  }
  if (got.type !== want.type) return { ok: false, message: `raised ${errorText(got)}; ${torch}` };
  if (want.regex !== null && !new RegExp(want.regex).test(got.message ?? ''))
    return { ok: false, message: `raised ${errorText(got)}, whose message does not match /${want.regex}/; ${torch}` };
  return { ok: true, message: '' };
}

/** A replied tensor against torch's: dtype, shape, then assert_close's rule; the worst element with its ULP distance. */
function judgeTensor(
  got: WireTensor,
  want: TensorJson,
  c: GoldenCase,
  golden: AnyGolden,
  what: string,
): { status: CheckStatus; message: string; comparison: Comparison | null; element: ElementError | null } {
  const decoded = wireValues(got, c.dtype);
  if ('why' in decoded) return { status: 'broken', message: `${what}: malformed tensor: ${decoded.why}`, comparison: null, element: null };
  if (decoded.dtype !== want.dtype)
    return { status: 'fail', message: `${what}: dtype ${decoded.dtype} != torch's ${want.dtype}`, comparison: null, element: null };
  const data = want.dtype === 'float32' ? Float32Array.from(decoded.values) : decoded.values;
  const tensor: Tensor = { data, shape: got.shape };
  const cmp = compareTensor(tensor, want, golden.tolerance[c.dtype], c.dtype, { distribution: true });
  if (cmp.message.startsWith('shape'))
    return {
      status: 'fail',
      message: `${what}: shape ${shapeText(got.shape)} != torch's ${shapeText(want.shape)}`,
      comparison: null,
      element: null,
    };
  const e = cmp.distribution?.worst ?? null;
  const element =
    e && e.ulp === null && Number.isFinite(e.got) && Number.isFinite(e.want) ? { ...e, ulp: ulpDistance(e.got, e.want, c.dtype) } : e;
  if (cmp.ok) return { status: 'pass', message: '', comparison: cmp, element };
  const at = element ? `element ${element.index} ${shapeText(coordinates(element.index, want.shape))}` : 'an element';
  const finite = element !== null && Number.isFinite(element.got) && Number.isFinite(element.want);
  const detail = !element
    ? cmp.message
    : finite
      ? `${at}: got ${element.got}, want ${element.want} (|diff| ${element.absDiff} > tolerance ${element.tolerance.toPrecision(3)}${element.ulp === null ? '' : `, ${element.ulp} ULP`})`
      : `${at}: got ${element.got}, want ${element.want} (NaN matches only NaN, an infinity only itself)`;
  return { status: 'fail', message: `${what}: ${detail}`, comparison: cmp, element };
}

/** The checks of one case from its reply. */
function judgeCase(golden: AnyGolden, c: GoldenCase, reply: CaseReply, withGrads: boolean, strict: boolean): CheckResult[] {
  const base = { torch: golden.torch, loss: golden.loss, id: c.id, dtype: c.dtype, comparison: null, element: null };
  const kinds = checkKinds(c, withGrads);
  const all = (status: CheckStatus, message: string): CheckResult[] => kinds.map((k) => ({ ...base, ...k, status, message }));
  if (reply.broken) return all('broken', `the implementation's adapter says: ${reply.broken}`);
  if (reply.unsupported) return all('unsupported', typeof reply.unsupported === 'string' ? reply.unsupported : 'unsupported');
  const wantText = (t: TensorJson) => `a ${shapeText(t.shape)} ${t.dtype} tensor`;
  if (c.error) {
    if (reply.error) {
      const { ok, message } = judgeError(reply.error, c.error, strict);
      return all(ok ? 'pass' : 'fail', message);
    }
    if (reply.output)
      return all('fail', `returned a ${shapeText(reply.output.shape)} tensor; torch raised ${c.error.type}: ${c.error.message}`);
    return all('broken', 'the reply has neither output nor error');
  }
  if (reply.error) return all('fail', `raised ${errorText(reply.error)}; torch returned ${wantText(c.output!)}`);
  if (!reply.output) return all('broken', 'the reply has neither output nor error');
  const results: CheckResult[] = [{ ...base, kind: 'output', ...judgeTensor(reply.output, c.output!, c, golden, 'output') }];
  if (!withGrads || !c.grad_output) return results;
  if (c.grad_error) {
    const k = { kind: 'grad' as const };
    if (reply.grad_error) {
      const { ok, message } = judgeError(reply.grad_error, c.grad_error, strict);
      results.push({ ...base, ...k, status: ok ? 'pass' : 'fail', message });
    } else if (reply.grads)
      results.push({
        ...base,
        ...k,
        status: 'fail',
        message: `backward returned; torch raised ${c.grad_error.type}: ${c.grad_error.message}`,
      });
    else results.push({ ...base, ...k, status: 'broken', message: 'gradients were asked for; the reply has neither grads nor grad_error' });
    return results;
  }
  for (const [arg, want] of Object.entries(c.grads ?? {})) {
    const k = { kind: 'grad' as const, arg };
    const what = `grad ${arg}`;
    if (reply.grad_error) {
      results.push({
        ...base,
        ...k,
        status: 'fail',
        message: `${what}: backward raised ${errorText(reply.grad_error)}; torch returned ${wantText(want)}`,
      });
      continue;
    }
    const g = reply.grads;
    const single = g && 'shape' in g && Array.isArray(g.shape) ? (g as WireTensor) : null;
    const t = single ? (golden.grads.length === 1 ? single : null) : ((g as Record<string, WireTensor> | null | undefined)?.[arg] ?? null);
    if (!t) {
      const why = !g
        ? 'the reply has no grads'
        : single
          ? `one gradient came back; torch has ${golden.grads.join(', ')}`
          : `no gradient for '${arg}'`;
      results.push({ ...base, ...k, status: 'broken', message: `${what}: gradients were asked for; ${why}` });
      continue;
    }
    results.push({ ...base, ...k, ...judgeTensor(t, want, c, golden, what) });
  }
  return results;
}

/** Every check of a case with one status. */
function resultsOf(golden: AnyGolden, c: GoldenCase, withGrads: boolean, status: CheckStatus, message: string): CheckResult[] {
  const base = { torch: golden.torch, loss: golden.loss, id: c.id, dtype: c.dtype, comparison: null, element: null };
  return checkKinds(c, withGrads).map((k) => ({ ...base, ...k, status, message }));
}

/** The checks a case makes: its error, or its output and (when gradients are asked for) one per gradient. */
function checkKinds(c: GoldenCase, withGrads: boolean): { kind: CheckResult['kind']; arg?: string }[] {
  if (c.error) return [{ kind: 'error' }];
  if (!withGrads || !c.grad_output) return [{ kind: 'output' }];
  if (c.grad_error) return [{ kind: 'output' }, { kind: 'grad' }];
  return [{ kind: 'output' }, ...Object.keys(c.grads ?? {}).map((arg) => ({ kind: 'grad' as const, arg }))];
}

// ---- the report -----------------------------------------------------------------------------------

interface Row {
  torch: string;
  loss: string;
  dtype: string;
  kind: CheckResult['kind'];
  checks: number;
  passed: number;
  failed: number;
  broken: number;
  unsupported: number;
  notRun: number;
  maxAbs: number;
  maxRel: number;
  maxUlp: number;
  worst: string;
  worstScore: number;
  results: CheckResult[];
}

function rowsOf(results: readonly CheckResult[]): Row[] {
  const rows = new Map<string, Row>();
  for (const r of results) {
    const key = [r.torch, r.loss, r.dtype, r.kind].join('|');
    let row = rows.get(key);
    if (!row) {
      row = {
        torch: r.torch,
        loss: r.loss,
        dtype: r.dtype,
        kind: r.kind,
        checks: 0,
        passed: 0,
        failed: 0,
        broken: 0,
        unsupported: 0,
        notRun: 0,
        maxAbs: 0,
        maxRel: 0,
        maxUlp: 0,
        worst: '',
        worstScore: -1,
        results: [],
      };
      rows.set(key, row);
    }
    row.results.push(r);
    if (r.status === 'unsupported') {
      row.unsupported++;
      continue;
    }
    row.checks++;
    if (r.status === 'pass') row.passed++;
    else if (r.status === 'fail') row.failed++;
    else if (r.status === 'broken') row.broken++;
    else row.notRun++;
    const cmp = r.comparison;
    if (cmp) {
      row.maxAbs = Math.max(row.maxAbs, cmp.maxAbs);
      row.maxRel = Math.max(row.maxRel, cmp.maxRel);
      row.maxUlp = Math.max(row.maxUlp, cmp.maxUlp);
    }
    const score = r.status === 'pass' ? (cmp ? cmp.maxUlp + cmp.maxRel : 0) : Infinity;
    if (score > row.worstScore) {
      row.worstScore = score;
      row.worst = r.id;
    }
  }
  return [...rows.values()];
}

const fmt = (v: number) => (v === 0 ? '0' : v.toExponential(2));

function table(rows: readonly Row[], held: string): string {
  const header = ['torch', 'loss', 'dtype', 'kind', 'checks', 'passed', 'failed', 'unsupp.', 'max abs', 'max rel', 'max ULP', 'worst case'];
  const body = rows.map((r) => [
    r.torch === held ? `${r.torch} *` : r.torch,
    r.loss,
    r.dtype,
    r.kind,
    String(r.checks),
    String(r.passed),
    String(r.failed + r.broken + r.notRun),
    String(r.unsupported),
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

/** Per torch version: cases (a case passes when all its checks do) and checks by status. */
export interface TorchSummary {
  torch: string;
  held: boolean;
  cases: number;
  passedCases: number;
  failedCases: number;
  brokenCases: number;
  unsupportedCases: number;
  notRunCases: number;
  checks: number;
  passedChecks: number;
  failedChecks: number;
}

function summarize(results: readonly CheckResult[], held: string): TorchSummary[] {
  const byTorch = new Map<string, Map<string, CheckStatus[]>>();
  for (const r of results) {
    const cases = byTorch.get(r.torch) ?? new Map<string, CheckStatus[]>();
    byTorch.set(r.torch, cases);
    const key = `${r.loss}|${r.id}`;
    cases.set(key, [...(cases.get(key) ?? []), r.status]);
  }
  return [...byTorch].map(([torch, cases]) => {
    const s: TorchSummary = {
      torch,
      held: torch === held,
      cases: cases.size,
      passedCases: 0,
      failedCases: 0,
      brokenCases: 0,
      unsupportedCases: 0,
      notRunCases: 0,
      checks: 0,
      passedChecks: 0,
      failedChecks: 0,
    };
    for (const statuses of cases.values()) {
      if (statuses.includes('broken')) s.brokenCases++;
      else if (statuses.includes('not-run')) s.notRunCases++;
      else if (statuses.includes('fail')) s.failedCases++;
      else if (statuses.includes('unsupported')) s.unsupportedCases++;
      else s.passedCases++;
      for (const st of statuses) {
        if (st === 'unsupported') continue;
        s.checks++;
        if (st === 'pass') s.passedChecks++;
        else s.failedChecks++;
      }
    }
    return s;
  });
}

const jsonNumber = (v: number) => (Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity');
const elementJson = (e: ElementError | null) =>
  e && {
    index: e.index,
    got: jsonNumber(e.got),
    want: jsonNumber(e.want),
    absDiff: jsonNumber(e.absDiff),
    tolerance: e.tolerance,
    ulp: e.ulp,
  };

/** Rows as scripts/lib/parity.ts makes them, for the HTML report (html-report.ts parityHtml). */
function parityRows(rows: readonly Row[], goldens: readonly Loaded[]): ParityRow[] {
  const caseOf = new Map<string, { c: GoldenCase; golden: AnyGolden }>();
  for (const { golden } of goldens) for (const c of golden.cases) caseOf.set(`${golden.torch}|${c.id}`, { c, golden });
  return rows.map((r) => {
    const dist = emptyDistribution();
    const worstCases: WorstCase[] = [];
    for (const res of r.results) {
      const d = res.comparison?.distribution;
      if (d) {
        d.ulp.forEach((n, i) => (dist.ulp[i]! += n));
        d.ratio.forEach((n, i) => (dist.ratio[i]! += n));
      }
      const e = res.element;
      const ratio = e ? elementRatio(e) : 0;
      const found = caseOf.get(`${res.torch}|${res.id}`);
      if (e && ratio > 0 && found) {
        const args = found.golden.args.map((a) => found.c.args[a]!);
        const kwargs = Object.entries(found.c.kwargs)
          .filter(([, v]) => v !== null)
          .map(([k, v]) => (typeof v === 'object' && v !== null ? `${k}: [${v.shape.join(', ')}]` : `${k}=${String(v)}`));
        worstCases.push({
          id: res.id,
          input: summarizeTensor(args[0]!),
          target: summarizeTensor(args[1] ?? args[0]!),
          kwargs,
          element: e,
          ratio,
        });
      }
    }
    worstCases.sort((a, b) => b.ratio - a.ratio);
    return {
      torch: r.torch,
      loss: r.loss,
      dtype: r.dtype,
      kind: r.kind,
      cases: r.checks,
      passed: r.passed,
      maxAbs: r.maxAbs,
      maxRel: r.maxRel,
      maxUlp: r.maxUlp,
      worst: r.worst,
      failures: r.results
        .filter((x) => x.status !== 'pass' && x.status !== 'unsupported')
        .map((x) => ({ id: x.id, message: `${x.status}: ${x.message}` })),
      detail: { ulp: dist.ulp, ratio: dist.ratio, worstCases: worstCases.slice(0, 5) },
    };
  });
}

// ---- the run --------------------------------------------------------------------------------------

/** Runs the check; prints the report (or JSON) and returns the exit code. */
export async function runCheck(options: CheckOptions, log: (line: string) => void): Promise<number> {
  try {
    return await check(options, log);
  } catch (e) {
    if (e instanceof CheckUsageError) {
      log(`check: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

async function check(options: CheckOptions, log: (line: string) => void): Promise<number> {
  const started = performance.now();
  const target = findTarget(options);
  if (options.env) target.env = options.env;
  const goldenPath = resolve(options.cwd, options.golden);
  const goldens = loadCheckGoldens(goldenPath, options.cpuCapability);
  if (goldens.length === 0) {
    const folder = torchFolder('<version>', options.cpuCapability ?? PINNED_CAPABILITY);
    throw new CheckUsageError(`no golden files in ${goldenPath} (expected ${folder}/<stem>.json)`);
  }
  const timeout = options.timeout ?? target.timeout ?? DEFAULT_TIMEOUT;
  const session = new Session(target, timeout);
  const print = options.print ?? ((text: string) => process.stdout.write(text));
  const out = (line: string) => {
    if (!options.json) print(`${line}\n`);
  };
  try {
    if (!(await session.start())) {
      log(`check: ${target.label} is broken: it did not start: ${session.startProblem}`);
      if (options.json)
        print(
          `${JSON.stringify({ spec: SPEC_VERSION, implementation: target.label, broken: session.startProblem, exitCode: 2 }, null, 2)}\n`,
        );
      return 2;
    }
    const hello = session.hello!;
    const functions = new Set(hello.functions);
    const invalid = hello.invalid_exports ?? {};
    const lossNames = [...new Set(goldens.map((g) => g.golden.loss))];
    const fnOf = (g: AnyGolden) => (functions.has(g.function) ? g.function : functions.has(g.loss) ? g.loss : null);
    const problems: string[] = [];
    // Exports under a loss's name that are not functions: that loss is broken.
    const invalidLosses = new Set<string>();
    for (const { golden } of goldens) {
      for (const name of [golden.function, golden.loss, `${golden.function}_backward`]) {
        if (invalid[name] !== undefined && !invalidLosses.has(golden.loss)) {
          invalidLosses.add(golden.loss);
          problems.push(`${target.label} exports ${name} as ${invalid[name]}, not a function`);
        }
      }
    }
    let selected: string[];
    if (options.losses) {
      for (const l of options.losses) {
        if (!lossNames.includes(l))
          throw new CheckUsageError(`--loss ${l}: no golden files for it in ${goldenPath} (there: ${lossNames.join(', ')})`);
      }
      selected = options.losses;
      for (const l of selected) {
        const g = goldens.find((x) => x.golden.loss === l)!.golden;
        if (!fnOf(g) && !invalidLosses.has(l)) {
          invalidLosses.add(l);
          problems.push(`${target.label} has no function ${g.function} (it has: ${hello.functions.join(', ') || 'none'})`);
        }
      }
    } else {
      selected = lossNames.filter((l) => invalidLosses.has(l) || fnOf(goldens.find((x) => x.golden.loss === l)!.golden));
      if (selected.length === 0) {
        log(
          `check: ${target.label} implements none of the losses in ${goldenPath} (${lossNames.join(', ')}); it has: ${hello.functions.join(', ') || 'no functions'}`,
        );
        return 2;
      }
    }
    const chosen = goldens.filter((g) => selected.includes(g.golden.loss));
    const versions = [...new Set(chosen.map((g) => g.golden.torch))].sort(compareTorchVersions);
    const wanted = options.torch ?? target.torch ?? hello.torch;
    const held = wanted === undefined ? versions[versions.length - 1]! : versions.filter((v) => torchMatches(v, wanted)).pop();
    if (held === undefined)
      throw new CheckUsageError(
        `${options.torch !== undefined ? '--torch' : "the implementation's torch"} ${wanted}: no golden files of it in ${goldenPath} (there: ${versions.join(', ')})`,
      );
    // The held release first: its verdict is the exit status, and a --max-broken stop leaves the others unrun first.
    const order = [...chosen].sort((a, b) => Number(b.golden.torch === held) - Number(a.golden.torch === held));
    const total = order.reduce((n, g) => n + g.golden.cases.length, 0);

    const results: CheckResult[] = [];
    const bar = progress('check', total);
    const jobs: Job[] = [];
    for (const { golden } of order) {
      if (golden.unavailable !== null) continue;
      const fn = fnOf(golden);
      const withGrads = fn !== null && functions.has(`${fn}_backward`);
      for (const c of golden.cases) {
        if (fn === null || invalidLosses.has(golden.loss)) {
          const why = problems.find((p) => p.includes(golden.function) || p.includes(golden.loss)) ?? `no function ${golden.function}`;
          results.push(...resultsOf(golden, c, withGrads, 'broken', why));
          bar.tick(c.id);
        } else jobs.push({ request: buildRequest(golden, c, fn, withGrads, hello.base64 === true), golden, c, withGrads });
      }
    }
    // Broken cases in a row: one that breaks on some cases runs on; one that breaks on every case is stopped.
    let broken = 0;
    let stopped = -1;
    await session.run(
      jobs,
      (job, reply) => {
        bar.tick(job.c.id);
        const judged = judgeCase(job.golden, job.c, reply, job.withGrads, options.strictErrors);
        broken = judged.some((r) => r.status === 'broken') ? broken + 1 : 0;
        results.push(...judged);
      },
      (job, why) => {
        bar.tick(job.c.id);
        broken++;
        results.push(...resultsOf(job.golden, job.c, job.withGrads, 'broken', why));
        // At once (the report lists it again): above the progress line on a terminal, else through log.
        const notice = `BROKEN torch ${job.golden.torch} ${job.c.id}: ${why}`;
        if (process.stderr.isTTY && !process.env.CI) bar.log(notice);
        else log(notice);
        if (broken >= options.maxBroken) stopped = jobs.indexOf(job);
        return broken < options.maxBroken;
      },
    );
    if (stopped >= 0) {
      const why = `not run: the implementation broke on ${broken} cases in a row (--max-broken ${options.maxBroken})`;
      for (const job of jobs.slice(stopped + 1)) results.push(...resultsOf(job.golden, job.c, job.withGrads, 'not-run', why));
    }
    bar.done();
    const seconds = (performance.now() - started) / 1000;
    const rows = rowsOf(results);
    const summaries = summarize(results, held);
    const heldSummary = summaries.find((s) => s.held);
    const anyBroken = problems.length > 0 || results.some((r) => r.status === 'broken' || r.status === 'not-run');
    const heldFailed = results.some((r) => r.torch === held && r.status === 'fail');
    const nothingChecked = !heldSummary || heldSummary.checks === 0;
    const exitCode = anyBroken ? 2 : heldFailed || nothingChecked ? 1 : 0;
    const noBackward = selected.filter((l) => {
      const g = chosen.find((x) => x.golden.loss === l)!.golden;
      const fn = fnOf(g);
      return fn !== null && g.grads.length > 0 && !functions.has(`${fn}_backward`);
    });
    const failures = results.filter((r) => r.status !== 'pass' && r.status !== 'unsupported');

    if (options.html) {
      const { parityHtml } = await import('./html-report.ts');
      const notes = [
        `Implementation: ${target.label}${hello.name && hello.name !== target.label ? ` (${hello.name})` : ''}, through ${target.kind === 'impl' ? '--impl' : '--command'}; conformance spec version ${SPEC_VERSION}.`,
        `Held to torch ${held}; the other releases are shown for information. ${summaries.map((s) => `torch ${s.torch}${s.held ? ' (held)' : ''}: ${s.passedCases} of ${s.cases} cases pass, ${s.failedCases} fail, ${s.brokenCases + s.notRunCases} broken or not run, ${s.unsupportedCases} unsupported.`).join(' ')}`,
        ...problems,
        ...(noBackward.length ? [`Gradients not checked (no _backward): ${noBackward.join(', ')}.`] : []),
      ];
      const meta = {
        title: `torch-loss-parity check: ${target.label}`,
        command: `torch-loss-parity ${process.argv.slice(2).join(' ')}`,
        generatedAt: new Date().toISOString(),
        goldenFiles: chosen.length,
        seconds,
        notes,
      };
      writeFileSync(resolve(options.cwd, options.html), parityHtml(parityRows(rows, chosen), meta));
      log(`wrote ${resolve(options.cwd, options.html)}`);
    }

    if (options.json) {
      const report = {
        spec: SPEC_VERSION,
        implementation: { label: target.label, kind: target.kind, name: hello.name ?? null, functions: hello.functions },
        golden: goldenPath,
        held,
        exitCode,
        problems,
        losses: selected,
        noBackward,
        seconds,
        torch: summaries,
        rows: rows.map(({ results: _, worstScore: __, ...r }) => r),
        failures: failures.map((r) => ({
          torch: r.torch,
          loss: r.loss,
          dtype: r.dtype,
          id: r.id,
          kind: r.kind,
          arg: r.arg ?? null,
          status: r.status,
          held: r.torch === held,
          message: r.message,
          element: elementJson(r.element),
        })),
        unsupported: results
          .filter((r) => r.status === 'unsupported')
          .map((r) => ({ torch: r.torch, id: r.id, kind: r.kind, reason: r.message })),
      };
      print(`${JSON.stringify(report, null, 2)}\n`);
      return exitCode;
    }

    out(`check: ${target.label}${hello.name && hello.name !== target.label ? ` (${hello.name})` : ''} against ${goldenPath}`);
    out(`held to torch ${held} (* in the table); also shown: ${versions.filter((v) => v !== held).join(', ') || 'no other release'}`);
    out(`losses: ${selected.join(', ')}${noBackward.length ? `; gradients not checked (no _backward): ${noBackward.join(', ')}` : ''}`);
    for (const p of problems) out(`BROKEN: ${p}`);
    out('');
    out(table(rows, held));
    for (const s of [...summaries].sort((a, b) => Number(b.held) - Number(a.held) || compareTorchVersions(a.torch, b.torch))) {
      const mine = failures.filter((r) => r.torch === s.torch);
      if (mine.length === 0) continue;
      out('');
      out(`Failing checks, torch ${s.torch}${s.held ? ' (held)' : ' (not held: for information)'}:`);
      // Many checks broken alike (a loss that is not a function, the rest not run) are one line and a count.
      for (let i = 0; i < mine.length; ) {
        const r = mine[i]!;
        let same = i + 1;
        while (same < mine.length && r.status !== 'fail' && mine[same]!.status === r.status && mine[same]!.message === r.message) same++;
        out(`${r.status === 'fail' ? 'FAIL' : r.status === 'broken' ? 'BROKEN' : 'NOT RUN'} ${r.kind} ${r.id}: ${r.message}`);
        if (same - i > 3) {
          out(`  ... and ${same - i - 1} more ${r.status} checks with the same message (--json lists each)`);
          i = same;
        } else i++;
      }
    }
    const otherErrors = results.filter((r) => r.status === 'pass' && r.message !== '');
    if (otherErrors.length > 0) {
      out('');
      out(
        `Note: ${otherErrors.length} error checks pass with an exception type or message other than torch's (--strict-errors fails them), e.g. ${otherErrors[0]!.id}: ${otherErrors[0]!.message}`,
      );
    }
    const unsupported = results.filter((r) => r.status === 'unsupported');
    if (unsupported.length > 0) {
      const reasons = new Map<string, number>();
      for (const r of unsupported) reasons.set(r.message, (reasons.get(r.message) ?? 0) + 1);
      out('');
      out(`Unsupported (the implementation declined; not failures): ${[...reasons].map(([m, n]) => `${n} checks: ${m}`).join('; ')}`);
    }
    out('');
    for (const s of [...summaries].sort((a, b) => Number(b.held) - Number(a.held) || compareTorchVersions(a.torch, b.torch))) {
      const extra = [
        s.brokenCases ? `${s.brokenCases} broken` : '',
        s.notRunCases ? `${s.notRunCases} not run` : '',
        s.unsupportedCases ? `${s.unsupportedCases} unsupported` : '',
      ].filter(Boolean);
      out(
        `torch ${s.torch}${s.held ? ' (held)' : ''}: ${s.passedCases} of ${s.cases} cases pass, ${s.failedCases} fail${extra.length ? `, ${extra.join(', ')}` : ''} (${s.passedChecks} of ${s.checks} checks pass)`,
      );
    }
    const verdict = exitCode === 0 ? 'PASS' : exitCode === 1 ? (nothingChecked ? 'NOTHING CHECKED' : 'FAIL') : 'BROKEN';
    out(`verdict: ${verdict} against torch ${held} (${chosen.length} golden files, ${seconds.toFixed(1)} s)`);
    return exitCode;
  } finally {
    await session.close();
  }
}
