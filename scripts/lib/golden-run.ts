// Regenerating goldens with real torch (every configured version, the --torch ones, or the one
// interpreter in TORCH_PYTHON): prints what moved against the committed goldens, runs the ports
// against the new set, then replaces golden/ as a whole at one commit point; --check writes nothing
// and fails on any difference.
//
// A user's own case module (`golden --cases FILE.py --golden-dir DIR`, docs/case-modules.md) takes
// the place of the registered losses: its source goes to the interpreter with ours (imported as
// user_cases.<stem>, shown in tracebacks under its own path), its goldens are validated with any
// loss name (parseGolden's anyLoss), and no port runs them (there is none); the rest is the same.
//
// The commit: the new golden/ tree is staged complete in a sibling folder (hard links for the files
// that did not change), and the two folders are swapped by one renameat2(RENAME_EXCHANGE), so at any
// instant golden/ is the old set or the new one, byte for byte. Node has no renameat2: a host Python
// calls it through ctypes. Where the exchange is not available (not Linux, an old kernel or glibc, a
// filesystem without it) golden/ is swapped by two renames, after a record that loadGoldens and the
// next run use to put the old set back if the process dies between them (ts/golden/run.ts).
// Everything that can fail (generation, validation, drift report, parity) happens before the
// commit; after it, only cleanup. A signal before the commit removes the staging folder and exits
// 130 with golden/ unchanged; a signal after it lets the cleanup finish and says so.

import { execa } from 'execa';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { GOLDEN_DIR, PACKAGE_ROOT } from '../../ts/golden/paths.ts';
import { CASES_DIR, commitRecordPath, loadGoldens, recoverInterruptedCommit, type LoadedGolden } from '../../ts/golden/run.ts';
import {
  type CaseInputs,
  type GoldenFile,
  goldenSetLabel,
  joinGolden,
  LOSS_NAME,
  type ParsedCases,
  parseCases,
  parseResults,
  PINNED_CAPABILITY,
  torchFolder,
  torchSetLabel,
} from '../../ts/golden/schema.ts';
import { LOSS_STEMS } from '../../ts/losses/registry.ts';
import { compareTorchVersions, type CpuCapability } from '../../ts/torch-version.ts';
import { driftBetween, driftMarkdown, type FileDrift } from './drift.ts';
import { driftHtml } from './html-report.ts';
import { parity, parityTable, type ParityRow } from './parity.ts';
import { progress, type Progress } from './progress.ts';
import {
  HarnessError,
  Interrupted,
  PYTHON_DIR,
  TORCH_TARGETS,
  defaultTimeoutSeconds,
  findTarget,
  hostPython,
  howItEnded,
  interpreterFromEnv,
  interruptedBy,
  probeTorch,
  provision,
  startPython,
  type Interpreter,
  type TorchTarget,
} from './torch-python.ts';
import { TorchWorker } from './torch-worker.ts';

export interface GoldenRunOptions {
  /** --torch ids (1.7, 1.13, 2.6, sid); ignored when TORCH_PYTHON is set. */
  torch?: string[];
  /** --cpu-capability: the ATEN_CPU_CAPABILITY sets to make for every version (default each target's own; TORCH_PYTHON: avx2). */
  cpuCapabilities?: CpuCapability[];
  /** --check: write nothing, fail unless byte-identical. */
  check: boolean;
  /** --against VERSION: the committed torch the drift report compares with. */
  against?: string;
  seed: number;
  /** Per spawned interpreter (probe, provisioning, each generator). */
  timeoutSeconds: number;
  goldenDir: string;
  /** drift.md, drift.json and drift.html (the HTML page) are written here (not with --check). */
  reportDir: string;
  /** Receives the drift of every regenerated file, before the commit (an HTML page, a test). */
  onDrift?: (drifts: FileDrift[]) => void;
  /** --cases FILE.py: a user's own case module, the only loss generated (its stem is its file name). */
  cases?: string;
}

/** A user's case module, as the generator receives it: its stem, its absolute path and its source. */
export interface UserCases {
  stem: string;
  path: string;
  source: string;
}

/** Reads a user's case module for --cases; its file name without .py is the loss's stem (an identifier). */
export function readUserCases(file: string): UserCases {
  const path = resolve(file);
  const name = basename(path);
  const stem = name.replace(/\.py$/, '');
  if (!name.endsWith('.py') || !LOSS_NAME.test(stem)) {
    throw new HarnessError(
      `--cases ${file}: a case module is a .py file whose name is an identifier (it names the loss, its case ids and its golden file <stem>.json)`,
    );
  }
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (e) {
    throw new HarnessError(`--cases ${file}: cannot read it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return { stem, path, source };
}

/** The defaults: golden/ and reports/ (or TORCH_PARITY_GOLDEN_DIR, TORCH_PARITY_REPORT_DIR), seed 1234, TORCH_PARITY_TIMEOUT or 1800 s. */
export function defaultGoldenRunOptions(env = process.env): GoldenRunOptions {
  return {
    check: false,
    seed: 1234,
    timeoutSeconds: defaultTimeoutSeconds(env),
    goldenDir: env.TORCH_PARITY_GOLDEN_DIR || GOLDEN_DIR,
    reportDir: env.TORCH_PARITY_REPORT_DIR || join(PACKAGE_ROOT, 'reports'),
  };
}

/** One release's goldens at one CPU capability: what one interpreter run of goldens.py per loss makes. */
interface GoldenSet {
  interp: Interpreter;
  torch: string;
  capability: CpuCapability;
  /** torch-<version> or torch-<version>-<capability> (schema.ts torchFolder). */
  dir: string;
}

interface Generated {
  dir: string; // torch-<version>[-<capability>]
  stem: string;
  /** The results file's bytes. */
  bytes: Uint8Array;
  /** Joined with the new cases file. */
  golden: GoldenFile;
}

/** A cases file made by the host's Python (cases/<stem>.json). */
interface GeneratedCases {
  stem: string;
  bytes: Uint8Array;
  parsed: ParsedCases;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** The least time the host's Python gets to make one loss's cases file (torch-free). */
const INPUTS_TIMEOUT_FLOOR_SECONDS = 120;

/** Regenerates, reports, checks parity and commits; returns the exit code. Owns SIGINT/SIGTERM/SIGHUP while it runs. */
export async function runGolden(options: GoldenRunOptions, log: (line: string) => void): Promise<number> {
  const run = new GoldenRun(options, log);
  return run.main();
}

class GoldenRun {
  /** 'prepare': a signal aborts with golden/ unchanged; 'commit' and 'done': the signal waits for the end. */
  private phase: 'prepare' | 'commit' | 'done' = 'prepare';
  private signal: string | null = null;
  private staging: string | null = null;
  private readonly children = new Set<{ kill(signal: NodeJS.Signals): unknown }>();
  private readonly label: string;
  private readonly opts: GoldenRunOptions;
  private readonly log: (line: string) => void;

  constructor(opts: GoldenRunOptions, log: (line: string) => void) {
    this.opts = opts;
    this.log = log;
    this.label = `${basename(opts.goldenDir)}/`;
  }

  async main(): Promise<number> {
    const onSignal = (signal: string) => this.onSignal(signal);
    for (const s of SIGNALS) process.on(s, onSignal);
    try {
      return await this.regenerate();
    } catch (e) {
      this.removeStaging();
      if (e instanceof Interrupted && this.phase === 'prepare') {
        // Ctrl-C reached a child first (same process group); our own handler is about to say the same
        this.log(`interrupted by ${e.signal} (${e.during}): ${this.label} is unchanged`);
        return 130;
      }
      const message = e instanceof Error ? e.message : String(e);
      this.log(`golden: ${message}\n${this.phase === 'prepare' ? `${this.label} is unchanged.` : this.truth()}`);
      if (this.signal) this.log(`interrupted by ${this.signal}`);
      return this.signal ? 130 : e instanceof HarnessError ? e.exitCode : 2;
    } finally {
      for (const s of SIGNALS) process.off(s, onSignal);
    }
  }

  private onSignal(signal: string): void {
    if (this.phase !== 'prepare') {
      this.signal ??= signal; // the commit is one syscall away or done: finish, then tell the truth
      return;
    }
    for (const child of this.children) child.kill('SIGKILL');
    this.removeStaging();
    this.log(`interrupted by ${signal}: ${this.label} is unchanged`);
    process.exit(130);
  }

  /** What golden/ holds now, said from the folder itself (its inode), not from what we meant to do. */
  private truth(): string {
    return this.committed ? `${this.label} holds the new set.` : `${this.label} is unchanged.`;
  }

  private stagedInode = -1;
  private get committed(): boolean {
    try {
      return statSync(this.opts.goldenDir).ino === this.stagedInode;
    } catch {
      return false;
    }
  }

  /** Before the commit it holds the new set, after it the old one: either way, no longer needed. */
  private removeStaging(): void {
    if (this.staging) rmSync(this.staging, { recursive: true, force: true });
    this.staging = null;
  }

  private async regenerate(): Promise<number> {
    const { opts, log } = this;
    const fromEnv = interpreterFromEnv();
    if (fromEnv && opts.torch) log(`TORCH_PYTHON is set: using '${fromEnv.command.join(' ')}' and ignoring --torch`);
    const targets = fromEnv ? [null] : (opts.torch ?? TORCH_TARGETS.map((t) => t.id)).map(findTarget);
    const user = opts.cases === undefined ? null : readUserCases(opts.cases);
    const stems: readonly string[] = user ? [user.stem] : LOSS_STEMS;
    const anyLoss = user ? { anyLoss: true } : {};
    if (!opts.check) removeStaleFolders(opts.goldenDir, log);

    const sets = await this.goldenSets(targets, fromEnv);
    // The inputs, once, by the host's Python without torch, before any results: every release
    // evaluates these bytes. (After the probes, so that a missing torch fails fast.)
    const host = hostPython();
    log(`case inputs (${CASES_DIR}/<stem>.json) from ${host.origin}: ${host.command.join(' ')}`);
    const newCases = new Map<string, GeneratedCases>();
    for (const g of await Promise.all(stems.map((stem) => this.generateInputs(host, stem, user)))) {
      const parsed = parseCases(g.bytes, `generated ${CASES_DIR}/${g.stem}.json`, anyLoss);
      if (parsed.cases.loss !== g.stem) throw new HarnessError(`the generator for ${g.stem} wrote cases for loss '${parsed.cases.loss}'`);
      newCases.set(g.stem, { ...g, parsed });
    }

    if (!opts.check) this.refuseStaleResults(newCases, new Set(sets.map((set) => set.dir)));

    const generated: Generated[] = [];
    for (const set of sets) {
      const { torch, capability, dir } = set;
      for (const stem of stems) {
        const cases = newCases.get(stem)!;
        const bytes = await this.generate(set, stem, user, cases.bytes);
        const where = `generated ${dir}/${stem}.json`;
        const results = parseResults(bytes, where, anyLoss);
        if (results.results.loss !== stem)
          throw new HarnessError(`the generator for ${stem} wrote a file for loss '${results.results.loss}'`);
        if (results.results.torch !== torch)
          throw new HarnessError(
            `the generator for ${stem} wrote a file for torch ${results.results.torch}, but the interpreter has torch ${torch}`,
          );
        if (results.results.environment.cpu_capability !== capability)
          throw new HarnessError(
            `the generator for ${stem} under torch ${torch} ran its ${results.results.environment.cpu_capability} kernels, not the ${capability} asked for`,
          );
        let golden: GoldenFile;
        try {
          golden = joinGolden(cases.parsed, results);
        } catch (e) {
          throw new HarnessError(`the generator for ${stem} under torch ${torch}: ${(e as Error).message}`);
        }
        generated.push({ dir, stem, bytes, golden });
      }
    }

    // Loaded only now, so that a missing interpreter or a failing generator fails fast.
    log(`comparing ${generated.length} regenerated files with ${this.label}`);
    const older: string[] = [];
    let committed: LoadedGolden[] = [];
    try {
      committed = loadGoldens(opts.goldenDir, {
        onOtherFormat: (file, format) => older.push(`${file} (format ${String(format)})`),
        ...anyLoss,
      });
    } catch (e) {
      // A committed set that does not load (a cases file edited by hand, results made from other
      // inputs) is what a regeneration repairs, and what --check reports byte by byte: no baseline.
      log(`the committed set in ${this.label} does not load, so there is no drift baseline: ${(e as Error).message}`);
    }
    if (older.length > 0) {
      log(`${older.length} committed files are of another golden format and are no baseline for the drift report: ${older.join(', ')}`);
    }
    const drifts: FileDrift[] = [];
    for (const g of generated) {
      await yieldToEvents(); // long phases yield between files, so a signal is handled promptly
      drifts.push(driftBetween(this.baselineFor(g, committed)?.golden ?? null, g.golden));
    }
    const markdown = `# Golden drift report\n\n${driftMarkdown(drifts)}`;
    process.stdout.write(`\n${markdown}\n`);
    opts.onDrift?.(drifts);

    if (opts.check) return this.check([...newCases.values()], generated, committed, anyLoss);

    const rows: ParityRow[] = [];
    if (user)
      log(`(${user.stem} has no port in this library: its goldens are checked against an implementation by \`check --golden DIR\`)`);
    else {
      log('running the ports against the new goldens');
      for (const g of generated) {
        await yieldToEvents();
        const torchDir = g.dir.replace(/^torch-/, '');
        rows.push(
          ...parity([{ file: join(g.dir, `${g.stem}.json`), casesFile: join(CASES_DIR, `${g.stem}.json`), torchDir, golden: g.golden }]),
        );
      }
      process.stdout.write(`TypeScript ports against the new goldens:\n\n${parityTable(rows)}\n\n`);
    }
    const failing = rows.flatMap((r) => r.failures.map((f) => `${r.loss} ${r.kind} ${f.id}: ${f.message}`));

    mkdirSync(opts.reportDir, { recursive: true });
    writeFileSync(join(opts.reportDir, 'drift.md'), markdown);
    writeFileSync(join(opts.reportDir, 'drift.json'), `${JSON.stringify(drifts, null, 1)}\n`);
    writeFileSync(
      join(opts.reportDir, 'drift.html'),
      driftHtml(drifts, { command: 'torch-loss-parity golden', generatedAt: new Date().toISOString() }),
    );

    await this.stage([...newCases.values()], generated);
    this.validateStaged(anyLoss);
    await yieldToEvents();
    await this.commit();

    log(
      `wrote ${newCases.size} cases files and ${generated.length} results files: ${this.label} holds the new set; the drift report is in ${join(opts.reportDir, 'drift.md')} and drift.html`,
    );
    if (this.signal) {
      log(`interrupted by ${this.signal} after the commit point: ${this.label} holds the new set`);
      return 130;
    }
    if (failing.length > 0) {
      log(`\n${failing.length} checks now fail parity (the list to work through):\n${failing.join('\n')}`);
      return 1;
    }
    return 0;
  }

  /**
   * The refusal before anything is written: results files of releases this run does not regenerate
   * that were made from other inputs than the new cases files (their cases_sha256) would be stale.
   */
  private refuseStaleResults(newCases: ReadonlyMap<string, GeneratedCases>, regenerated: ReadonlySet<string>): void {
    const { goldenDir } = this.opts;
    if (!existsSync(goldenDir)) return;
    const stale = new Map<string, string[]>(); // torch folder -> stems
    for (const sub of readdirSync(goldenDir).sort()) {
      if (!sub.startsWith('torch-') || regenerated.has(sub)) continue;
      for (const [stem, cases] of newCases) {
        const file = join(goldenDir, sub, `${stem}.json`);
        if (!existsSync(file)) continue;
        const head = readFileSync(file).subarray(0, 4096).toString('latin1').split('\n')[0]!;
        const sha = /"cases_sha256":"([0-9a-f]{64})"/.exec(head)?.[1];
        if (sha !== cases.parsed.sha256) stale.set(sub, [...(stale.get(sub) ?? []), stem]);
      }
    }
    if (stale.size === 0) return;
    const releases = [...stale.keys()].map((d) => d.slice('torch-'.length));
    throw new HarnessError(
      `the case inputs changed, and the committed results of torch ${releases.join(', ')} were made from other inputs ` +
        `(${[...stale].map(([d, stems]) => `${d}: ${stems.join(', ')}`).join('; ')}): they would be stale. ` +
        `Regenerate those releases too (--torch for each, or no --torch for all; a -avx512 folder on a machine with AVX-512); nothing was written`,
    );
  }

  /** Runs python/goldens.py --inputs for one loss under the host's Python (no torch); returns the cases file's bytes. */
  private async generateInputs(host: Interpreter, stem: string, user: UserCases | null): Promise<{ stem: string; bytes: Uint8Array }> {
    // Plain Python, no torch, a second or two: a --timeout meant for torch's probe or generator
    // (seconds) does not cut it short on a loaded machine; it is killed after the larger of the two.
    const timeoutSeconds = Math.max(this.opts.timeoutSeconds, INPUTS_TIMEOUT_FLOOR_SECONDS);
    const which = user ? ['--cases', user.path] : [stem];
    const child = startPython(host, 'goldens.py', [...which, '--inputs', '--seed', String(this.opts.seed)], {
      timeoutMs: timeoutSeconds * 1000,
      stdoutBytes: true,
      ...userSources(user, stem),
    });
    this.children.add(child);
    const result = await child;
    this.children.delete(child);
    if (result.timedOut) throw new HarnessError(`the inputs generator for ${stem} did not finish within ${timeoutSeconds} s; killed it`);
    if (interruptedBy(result)) throw new Interrupted(interruptedBy(result)!, `the inputs generator for ${stem}`);
    if (result.exitCode !== 0) {
      const tail = Buffer.from(result.stderr as unknown as Uint8Array)
        .toString()
        .trim()
        .split('\n')
        .slice(-30)
        .join('\n');
      throw new HarnessError(
        `the inputs generator crashed for ${stem} under the host's Python (${howItEnded(result, host.command)}); the end of its stderr:\n${tail}`,
      );
    }
    return { stem, bytes: result.stdout as Uint8Array };
  }

  /** Runs python/goldens.py --from-cases - for one loss (the cases file on stdin), showing progress on a terminal (./progress.ts); returns its stdout bytes. */
  private async generate(set: GoldenSet, stem: string, user: UserCases | null, cases: Uint8Array): Promise<Uint8Array> {
    const { timeoutSeconds } = this.opts;
    const { interp, capability } = set;
    const torch = torchSetLabel(set.torch, capability); // for messages
    const which = user ? ['--cases', user.path] : [stem];
    const child = startPython(interp, 'goldens.py', [...which, '--from-cases', '-', '--cpu-capability', capability], {
      timeoutMs: timeoutSeconds * 1000,
      stdoutBytes: true,
      input: cases,
      ...userSources(user, stem),
    });
    this.children.add(child);
    const tail: string[] = [];
    let shown: Progress | null = null; // from the generator's "total" line on (a terminal only)
    let pending = '';
    child.stderr.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const m = /^(total|progress) \S+ (\d+)$/.exec(line);
        if (!m) {
          tail.push(line);
          if (tail.length > 30) tail.shift();
        } else if (m[1] === 'total') shown = progress(`[torch ${torch}] ${stem}`, Number(m[2]));
        else shown?.tick();
      }
    });
    const result = await child.finally(() => shown?.done());
    this.children.delete(child);
    if (result.timedOut) {
      throw new HarnessError(`the generator for ${stem} under torch ${torch} did not finish within ${timeoutSeconds} s; killed it`);
    }
    if (interruptedBy(result)) throw new Interrupted(interruptedBy(result)!, `the generator for ${stem}`);
    if (result.exitCode !== 0) {
      throw new HarnessError(
        `the generator crashed for ${stem} under torch ${torch} (${howItEnded(result, interp.command)}); the end of its stderr:\n` +
          [...tail, pending].filter(Boolean).join('\n'),
      );
    }
    return result.stdout as Uint8Array;
  }

  /**
   * The committed file a regenerated one is compared with, at the same CPU capability: the same
   * torch, --against, or the newest older one; a capability no committed file has yet (the first
   * avx512 set) is compared with the same torch at the pinned avx2, so the report shows what the
   * wider kernels move.
   */
  private baselineFor(g: Generated, committed: readonly LoadedGolden[]): LoadedGolden | null {
    const { against } = this.opts;
    const capability = g.golden.environment.cpu_capability;
    const loss = committed.filter((c) => c.golden.loss === g.stem);
    const same = loss.filter((c) => c.golden.environment.cpu_capability === capability);
    const pinned = loss.filter((c) => c.golden.environment.cpu_capability === PINNED_CAPABILITY);
    const matching = (list: readonly LoadedGolden[]) =>
      list.find((c) => c.golden.torch === against || c.torchDir.startsWith(against!)) ?? null;
    if (against) return matching(same) ?? matching(pinned);
    const exact = same.find((c) => c.golden.torch === g.golden.torch);
    if (exact) return exact;
    const older = same.filter((c) => compareTorchVersions(c.golden.torch, g.golden.torch) < 0);
    older.sort((a, b) => compareTorchVersions(b.golden.torch, a.golden.torch)); // newest first
    return older[0] ?? pinned.find((c) => c.golden.torch === g.golden.torch) ?? null;
  }

  /**
   * Each interpreter (provisioned, probed) at each CPU capability asked for. A capability the CPU
   * lacks (torch falls back to narrower kernels) is an error when --cpu-capability asked for it;
   * a target's own avx512 is skipped with a note, and its committed folder stays as it is.
   */
  private async goldenSets(targets: readonly (TorchTarget | null)[], fromEnv: Interpreter | null): Promise<GoldenSet[]> {
    const { opts, log } = this;
    const sets: GoldenSet[] = [];
    for (const target of targets) {
      const interp = target ? await provision(target, log, opts.timeoutSeconds) : fromEnv!;
      const { torch, python } = await probeTorch(interp, opts.timeoutSeconds);
      log(`torch ${torch} (Python ${python}) from ${interp.origin}: ${interp.command.join(' ')}`);
      for (const capability of opts.cpuCapabilities ?? target?.capabilities ?? [PINNED_CAPABILITY]) {
        const dir = torchFolder(torch, capability);
        // avx2 is not probed: every x86-64 machine of this decade has it, and goldens.py refuses where it is absent.
        const inUse = capability === PINNED_CAPABILITY ? capability : await capabilityInUse(interp, capability, opts.timeoutSeconds);
        if (inUse !== capability) {
          const why = `under ATEN_CPU_CAPABILITY=${capability} torch ${torch} runs its ${inUse} kernels: this CPU lacks ${capability}`;
          if (opts.cpuCapabilities) throw new HarnessError(`--cpu-capability ${capability}: ${why}; ${this.label} is unchanged`);
          log(`skipping ${dir}/ (${why}): its committed files stay as they are`);
          continue;
        }
        sets.push({ interp, torch, capability, dir });
      }
    }
    return sets;
  }

  /**
   * The new golden/ tree, complete, in a sibling folder (same filesystem, so it can be swapped in):
   * the regenerated files written, every other file hard-linked from the current set.
   */
  private async stage(cases: readonly GeneratedCases[], generated: readonly Generated[]): Promise<void> {
    const { goldenDir } = this.opts;
    this.staging = mkdtempSync(join(dirname(goldenDir), `.${basename(goldenDir)}-staging-${process.pid}-`));
    const fresh = new Map<string, Uint8Array>([
      ...cases.map((c) => [join(CASES_DIR, `${c.stem}.json`), c.bytes] as const),
      ...generated.map((g) => [join(g.dir, `${g.stem}.json`), g.bytes] as const),
    ]);
    if (existsSync(goldenDir)) {
      chmodSync(this.staging, statSync(goldenDir).mode & 0o7777); // mkdtemp's 0700 must not become golden/'s
      linkTree(goldenDir, this.staging, '', fresh);
    } else chmodSync(this.staging, statSync(dirname(goldenDir)).mode & 0o777); // a new folder: its parent's permissions
    for (const [rel, bytes] of fresh) {
      await yieldToEvents();
      mkdirSync(dirname(join(this.staging, rel)), { recursive: true });
      writeFileSync(join(this.staging, rel), bytes);
    }
    this.stagedInode = statSync(this.staging).ino;
  }

  /**
   * The staged tree as loadGoldens will read it: every results file joins its cases file (a stale
   * one, made from other inputs, fails here, before the commit). Files of another format are left out.
   */
  private validateStaged(anyLoss: { anyLoss?: boolean }): void {
    const other: string[] = [];
    try {
      loadGoldens(this.staging!, { ...anyLoss, onOtherFormat: (file) => other.push(file) });
    } catch (e) {
      throw new HarnessError(`the new set does not validate: ${(e as Error).message}`);
    }
    if (other.length > 0) this.log(`(${other.length} files of another golden format stay as they are: ${other.join(', ')})`);
  }

  /** The commit point: golden/ becomes the staged tree in one step; the old tree is then removed. */
  private async commit(): Promise<void> {
    const { goldenDir } = this.opts;
    const staging = this.staging!;
    this.phase = 'commit';
    if (!existsSync(goldenDir)) renameSync(staging, goldenDir);
    else {
      const exchange = await exchangeDirectories(goldenDir, staging);
      if (exchange === 'unsupported') {
        this.log(`(this system cannot exchange two folders in one step: replacing ${this.label} with two renames and a recovery record)`);
        twoRenameSwap(goldenDir, staging);
      } else if (exchange !== 'exchanged' && !this.committed) {
        throw new HarnessError(`could not swap the new set into ${goldenDir}: ${exchange}`);
      }
    }
    if (!this.committed) throw new HarnessError(`the commit reported success, but ${goldenDir} is not the staged folder`);
    this.phase = 'done';
    rmSync(staging, { recursive: true, force: true }); // now the old set
    this.staging = null;
  }

  private check(
    cases: readonly GeneratedCases[],
    generated: readonly Generated[],
    committed: readonly LoadedGolden[],
    anyLoss: { anyLoss?: boolean },
  ): number {
    const { log } = this;
    let failed = false;
    for (const c of cases) {
      const rel = join(CASES_DIR, `${c.stem}.json`);
      const path = join(this.opts.goldenDir, rel);
      if (!existsSync(path)) {
        failed = true;
        log(`check FAILED: no committed ${rel} (the case inputs) to check against`);
        continue;
      }
      const before = readFileSync(path);
      if (before.equals(c.bytes)) {
        log(`check: ${rel} is byte-identical`);
        continue;
      }
      failed = true;
      let ids: string[];
      try {
        ids = differingInputs(parseCases(before, path, anyLoss).cases.cases, c.parsed.cases.cases);
      } catch (e) {
        ids = [`(the committed file does not parse: ${(e as Error).message})`];
      }
      log(
        `check FAILED: ${rel} (the case inputs) differs from the regenerated file in ${ids.length} case(s):\n  ${ids.slice(0, 50).join('\n  ')}`,
      );
      if (ids.length === 0) log('  (the header or formatting differs)');
    }
    for (const g of generated) {
      const path = join(this.opts.goldenDir, g.dir, `${g.stem}.json`);
      if (existsSync(path)) {
        const before = readFileSync(path);
        if (before.equals(g.bytes)) {
          log(`check: ${g.dir}/${g.stem}.json is byte-identical`);
          continue;
        }
        failed = true;
        const was = committed.find((c) => resolve(c.file) === resolve(path));
        const ids = was ? differingCases(was.golden, g.golden) : [];
        log(
          `check FAILED: ${g.dir}/${g.stem}.json differs from the regenerated file in ${ids.length} case(s):\n  ${ids.slice(0, 50).join('\n  ')}`,
        );
        if (ids.length === 0) log('  (the header or formatting differs)');
        continue;
      }
      const base = this.baselineFor(g, committed);
      if (!base) {
        failed = true;
        log(`check FAILED: no committed goldens for torch ${goldenSetLabel(g.golden)} (${g.stem}) to check against`);
        continue;
      }
      const beyond = driftBetween(base.golden, g.golden).cases.filter((c) =>
        c.parts.some((p) => p.status === 'beyond' || p.status === 'removed'),
      );
      if (beyond.length > 0) {
        failed = true;
        log(
          `check FAILED: torch ${goldenSetLabel(g.golden)} moved beyond tolerance from committed torch ${goldenSetLabel(base.golden)} in ${beyond.length} case(s):\n  ${beyond
            .slice(0, 50)
            .map((c) => c.id)
            .join('\n  ')}`,
        );
      } else
        log(`check: torch ${goldenSetLabel(g.golden)} ${g.stem} is within tolerance of committed torch ${goldenSetLabel(base.golden)}`);
    }
    log(failed ? `check failed: ${this.label} was not modified` : 'check passed');
    return failed ? 1 : 0;
  }
}

/** Ids of cases whose inputs differ between two cases files. */
function differingInputs(before: readonly CaseInputs[], after: readonly CaseInputs[]): string[] {
  const old = new Map(before.map((c) => [c.id, JSON.stringify(c)]));
  const ids = after.filter((c) => old.get(c.id) !== JSON.stringify(c)).map((c) => (old.has(c.id) ? c.id : `${c.id} (added)`));
  const now = new Set(after.map((c) => c.id));
  return ids.concat(before.filter((c) => !now.has(c.id)).map((c) => `${c.id} (removed)`));
}

/** A user's case module, sent with our sources (imported as user_cases.<stem>). */
function userSources(user: UserCases | null, stem: string) {
  return user
    ? {
        extraSources: {
          'user_cases/__init__.py': { source: '', path: join(PYTHON_DIR, 'user_cases', '__init__.py') },
          [`user_cases/${stem}.py`]: { source: user.source, path: user.path },
        },
      }
    : {};
}

/** Ids of cases whose JSON differs between two files of the same torch version. */
function differingCases(before: GoldenFile, after: GoldenFile): string[] {
  const old = new Map(before.cases.map((c) => [c.id, JSON.stringify(c)]));
  const ids = after.cases.filter((c) => old.get(c.id) !== JSON.stringify(c)).map((c) => c.id);
  const now = new Set(after.cases.map((c) => c.id));
  return ids.concat(before.cases.filter((c) => !now.has(c.id)).map((c) => `${c.id} (removed)`));
}

/** Mirrors `from` into `to` with hard links (the same bytes, no copy), leaving out the files in `skip`. */
function linkTree(from: string, to: string, rel: string, skip: ReadonlyMap<string, unknown>): void {
  for (const entry of readdirSync(join(from, rel), { withFileTypes: true })) {
    const r = join(rel, entry.name);
    if (entry.isDirectory()) {
      mkdirSync(join(to, r), { mode: statSync(join(from, r)).mode & 0o7777 });
      linkTree(from, to, r, skip);
    } else if (entry.isSymbolicLink()) symlinkSync(readlinkSync(join(from, r)), join(to, r));
    else if (!skip.has(r)) linkOrCopy(join(from, r), join(to, r));
  }
}

function linkOrCopy(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch (e) {
    if (!['EPERM', 'EMLINK', 'ENOTSUP', 'EOPNOTSUPP'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
    copyFileSync(from, to); // a filesystem without hard links
  }
}

/** Staging folders (and the old sets of two-rename commits) of runs that are no longer alive. */
function removeStaleFolders(goldenDir: string, log: (line: string) => void): void {
  const repaired = recoverInterruptedCommit(goldenDir);
  if (repaired) log(`an earlier run was killed during its commit: ${repaired}`);
  const parent = dirname(goldenDir);
  if (!existsSync(parent)) return;
  const pattern = new RegExp(`^\\.${basename(goldenDir).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-staging-(\\d+)-`);
  for (const name of readdirSync(parent)) {
    const pid = pattern.exec(name)?.[1];
    if (pid === undefined || (Number(pid) !== process.pid && isAlive(Number(pid)))) continue;
    rmSync(join(parent, name), { recursive: true, force: true });
    log(`removed ${join(parent, name)}, left by a run that was killed`);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) (Linux 3.15+, glibc 2.28+). Exit 3: this
// system has no exchange (no symbol; EINVAL: the filesystem cannot; ENOSYS); exit 1: it failed.
// Signals are ignored: it is one syscall, and the caller reads the outcome from the folders. The
// host's Python, not TORCH_PYTHON's: TORCH_PARITY_HOST_PYTHON, else /usr/bin/python3, else PATH's.
const EXCHANGE_PY = [
  'import ctypes, errno, os, signal, sys',
  'for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP): signal.signal(s, signal.SIG_IGN)',
  'libc = ctypes.CDLL(None, use_errno=True)',
  'if not hasattr(libc, "renameat2"): print("no renameat2 in the C library"); sys.exit(3)',
  'if libc.renameat2(-100, os.fsencode(sys.argv[1]), -100, os.fsencode(sys.argv[2]), 2) == 0: sys.exit(0)',
  'e = ctypes.get_errno()',
  'print("renameat2(RENAME_EXCHANGE): %s (%s)" % (errno.errorcode.get(e, e), os.strerror(e)))',
  'sys.exit(3 if e in (errno.EINVAL, errno.ENOSYS) else 1)',
].join('\n');

/** Swaps two directories in one syscall; 'exchanged', 'unsupported', or why it failed. */
async function exchangeDirectories(a: string, b: string): Promise<string> {
  if (process.platform !== 'linux') return 'unsupported';
  const python = hostPython().command[0]!;
  // Its own process group: a Ctrl-C to ours does not reach it.
  const r = await execa(python, ['-c', EXCHANGE_PY, a, b], { reject: false, all: true, detached: true, timeout: 60_000 });
  if (r.exitCode === 0) return 'exchanged';
  if (r.exitCode === 3 || r.code === 'ENOENT') return 'unsupported';
  return `${howItEnded(r, [python, '-c', '<renameat2>'])}: ${String(r.all).trim()}`;
}

/**
 * golden/ -> <staging>.old, then <staging> -> golden/, after a record naming <staging>.old: a kill
 * between the two renames leaves no golden/ for an instant, and loadGoldens or the next run puts
 * the old set back. A failed second rename puts it back at once.
 */
function twoRenameSwap(goldenDir: string, staging: string): void {
  const old = `${staging}.old`;
  const record = commitRecordPath(goldenDir);
  writeFileSync(record, JSON.stringify({ old }));
  try {
    renameSync(goldenDir, old);
    try {
      renameSync(staging, goldenDir);
    } catch (e) {
      renameSync(old, goldenDir);
      throw e;
    }
  } finally {
    rmSync(record, { force: true });
  }
  rmSync(old, { recursive: true, force: true });
}

/** The kernels torch runs under ATEN_CPU_CAPABILITY=`capability` (the worker's hello): narrower where the CPU lacks it. */
async function capabilityInUse(interp: Interpreter, capability: CpuCapability, timeoutSeconds: number): Promise<CpuCapability> {
  const worker = await TorchWorker.start(interp, { env: { ATEN_CPU_CAPABILITY: capability }, readyTimeoutMs: timeoutSeconds * 1000 });
  try {
    return worker.hello.cpu_capability;
  } finally {
    await worker.close();
  }
}
