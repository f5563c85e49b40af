// Finding and provisioning a Python with torch, and running our Python code in it.
//
// The interpreter is any command (TORCH_PYTHON, e.g. a venv's python or `chroot /srv/x python3`),
// so our Python sources travel on stdin: a short bootstrap reads them as one JSON line and runs
// the script from memory. Nothing depends on paths inside a chroot and nothing is written there;
// results come back on stdout. Every spawn has a timeout.

import { existsSync, readFileSync, readdirSync, renameSync, rmSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { execa } from 'execa';

export { PYTHON_DIR } from '../../ts/golden/paths.ts';
import { PYTHON_DIR } from '../../ts/golden/paths.ts';
import { TORCH_VERSION } from '../../ts/golden/schema.ts';
import type { CpuCapability } from '../../ts/torch-version.ts';

/**
 * Each torch version we keep goldens for, by the Debian suite that ships it, and the CPU
 * capabilities (ATEN_CPU_CAPABILITY) its goldens are made at: avx2 for all (the pinned one), and
 * avx512 too for the newest, whose AVX-512 kernels most servers and the official PyPI build run
 * (16 float32 lanes: log_softmax's lane sums, SmoothL1/Huber's vector/tail split; the 2-norms and
 * the sums keep AVX2's 8 there, measured).
 */
export const TORCH_TARGETS = [
  { id: '1.7', suite: 'bullseye', note: "Debian 11's python3-torch", capabilities: ['avx2'] },
  { id: '1.13', suite: 'bookworm', note: "Debian 12's python3-torch", capabilities: ['avx2'] },
  { id: '2.6', suite: 'trixie', note: "Debian 13's python3-torch", capabilities: ['avx2'] },
  { id: 'sid', suite: 'sid', note: 'the newest torch Debian ships', capabilities: ['avx2', 'avx512'] },
] as const satisfies readonly { id: string; suite: string; note: string; capabilities: readonly CpuCapability[] }[];
export type TorchTarget = (typeof TORCH_TARGETS)[number];

/**
 * The host's Python, which makes the case inputs (torch-free, once for every release) and swaps
 * golden/ at the commit: TORCH_PARITY_HOST_PYTHON, else /usr/bin/python3, else PATH's python3.
 */
export function hostPython(env = process.env): Interpreter {
  if (env.TORCH_PARITY_HOST_PYTHON) return { command: [env.TORCH_PARITY_HOST_PYTHON], origin: 'TORCH_PARITY_HOST_PYTHON' };
  if (existsSync('/usr/bin/python3')) return { command: ['/usr/bin/python3'], origin: "the host's /usr/bin/python3" };
  return { command: ['python3'], origin: "the host's python3 (PATH)" };
}

export interface Interpreter {
  command: readonly string[];
  /** Where it came from, for messages: 'TORCH_PYTHON', 'apt (bookworm)', 'chroot /var/...'. */
  origin: string;
}

export class HarnessError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.exitCode = exitCode;
    this.name = 'HarnessError';
  }
}

export const ROOTS_DIR = process.env.TORCH_PARITY_ROOTS ?? '/var/cache/torch-parity/roots';

export function findTarget(id: string): TorchTarget {
  const aliases: Record<string, string> = { bullseye: '1.7', bookworm: '1.13', trixie: '2.6', newest: 'sid' };
  const target = TORCH_TARGETS.find((t) => t.id === (aliases[id] ?? id));
  if (!target) throw new HarnessError(`unknown torch version '${id}': expected one of ${TORCH_TARGETS.map((t) => t.id).join(', ')}`);
  return target;
}

/** TORCH_PYTHON split into a command (whitespace-separated; quote nothing). */
export function interpreterFromEnv(env = process.env): Interpreter | null {
  const raw = env.TORCH_PYTHON?.trim();
  if (!raw) return null;
  return { command: raw.split(/\s+/), origin: 'TORCH_PYTHON' };
}

function hostSuite(): string | null {
  try {
    const m = /^VERSION_CODENAME=(\w+)/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return m ? m[1]! : null;
  } catch {
    return null;
  }
}

/** Every spawned interpreter and provisioning command is killed after this long (TORCH_PARITY_TIMEOUT, seconds). */
export function defaultTimeoutSeconds(env = process.env): number {
  const raw = env.TORCH_PARITY_TIMEOUT;
  if (raw === undefined || raw === '') return 1800;
  const seconds = Number(raw);
  if (!(seconds > 0)) throw new HarnessError(`TORCH_PARITY_TIMEOUT must be a positive number of seconds, got '${raw}'`);
  return seconds;
}

/** A run stopped by SIGINT, SIGTERM or SIGHUP (a Ctrl-C reaches the interpreters too): exit 130. */
export class Interrupted extends HarnessError {
  readonly signal: string;
  readonly during: string;
  constructor(signal: string, during: string) {
    super(`interrupted by ${signal} (${during})`, 130);
    this.signal = signal;
    this.during = during;
    this.name = 'Interrupted';
  }
}

/** The signal that stopped a subprocess, when it was one of those a user sends to stop a run (not a timeout). */
export function interruptedBy(r: Ending): string | null {
  return !r.timedOut && r.signal && ['SIGINT', 'SIGTERM', 'SIGHUP'].includes(r.signal) ? r.signal : null;
}

/** The parts of an execa result that say how a subprocess ended. */
export interface Ending {
  exitCode?: number | undefined;
  signal?: string | undefined;
  code?: string | undefined;
  timedOut?: boolean;
  failed?: boolean;
  originalMessage?: string | undefined;
}

const START_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  ENOTDIR: 'a path component is not a directory',
};

/** How a subprocess ended, for messages: could not start (and why), killed by a signal, or its exit code. */
export function howItEnded(r: Ending, command: readonly string[]): string {
  const shown = `'${command.join(' ')}'`;
  if (r.exitCode === undefined && !r.signal && r.code) {
    return `${shown} could not be started: ${r.code}${START_ERRORS[r.code] ? ` (${START_ERRORS[r.code]})` : ''}`;
  }
  if (r.signal) return `${shown} was killed by ${r.signal}`;
  return `${shown} exited with status ${r.exitCode}`;
}

async function run(cmd: string, args: string[], log: (line: string) => void, timeoutSeconds: number): Promise<void> {
  log(`$ ${cmd} ${args.join(' ')}`);
  const r = await execa(cmd, args, {
    reject: false,
    all: true,
    env: { DEBIAN_FRONTEND: 'noninteractive' },
    timeout: timeoutSeconds * 1000,
  });
  if (r.timedOut) throw new HarnessError(`${cmd} ${args.join(' ')} did not finish within ${timeoutSeconds} s; killed it`);
  if (r.exitCode !== 0) {
    const tail = String(r.all ?? '')
      .split('\n')
      .slice(-15)
      .join('\n');
    throw new HarnessError(`${cmd} ${args.join(' ')} failed: ${howItEnded(r, [cmd])}:\n${tail}`);
  }
}

/**
 * The torch version an interpreter imports, or null. Judged by what it prints, not by its exit
 * status: torch 1.7 aborts at interpreter exit ("terminate called without an active exception"),
 * so the one-liner flushes and leaves with os._exit(0) before torch's teardown runs.
 */
async function importedTorchVersion(command: readonly string[], timeoutSeconds: number): Promise<string | null> {
  const code = 'import os, sys, torch; sys.stdout.write("torch " + torch.__version__ + "\\n"); sys.stdout.flush(); os._exit(0)';
  const r = await execa(command[0]!, [...command.slice(1), '-c', code], { reject: false, timeout: timeoutSeconds * 1000 });
  if (r.timedOut) throw new HarnessError(`'${command.join(' ')} -c "import torch"' did not finish within ${timeoutSeconds} s; killed it`);
  return /^torch (\S+)$/m.exec(String(r.stdout))?.[1] ?? null;
}

/**
 * Repairs a root whose debootstrap failed in a known, harmless way, before it is judged by
 * `import torch`. bullseye: python3-torch pulls OpenCV, OpenCV pulls GTK, and dconf-service fails
 * to configure in a minbase root: it needs a D-Bus session bus, which minbase leaves out. Naming
 * dbus-user-session to apt is refused while packages are half-configured ("unmet dependencies"),
 * so apt's --fix-broken installs it (the default session bus, with dbus and systemd), and dpkg
 * configures what is left. Either may still fail on a GUI package; `import torch` has the last word.
 */
type RootRepair = (root: string, log: (line: string) => void, timeoutSeconds: number) => Promise<void>;
const DEBOOTSTRAP_REPAIRS: Partial<Record<TorchTarget['suite'], RootRepair>> = {
  bullseye: async (root, log, timeoutSeconds) => {
    await mountProc(root, log, timeoutSeconds);
    for (const args of [
      ['apt-get', 'install', '-y', '--fix-broken', '--no-install-recommends'],
      ['dpkg', '--configure', '-a'],
    ]) {
      try {
        await run('chroot', [root, ...args], log, timeoutSeconds);
      } catch (e) {
        log(`(${args[0]} failed; the root is judged by import torch next: ${(e as Error).message.split('\n').slice(-3).join(' ')})`);
      }
    }
  },
};

async function mountProc(root: string, log: (line: string) => void, timeoutSeconds: number): Promise<void> {
  if (!existsSync(join(root, 'proc/self'))) await run('mount', ['-t', 'proc', 'proc', join(root, 'proc')], log, timeoutSeconds);
}

/**
 * An interpreter with the target's torch: the host's python3-torch from apt where the host runs
 * that suite, otherwise a debootstrap chroot under ROOTS_DIR (outside the repository).
 */
export async function provision(
  target: TorchTarget,
  log: (line: string) => void,
  timeoutSeconds = defaultTimeoutSeconds(),
): Promise<Interpreter> {
  const byHand =
    `to provision torch ${target.id} by hand: on Debian ${target.suite}, apt-get install python3-torch; ` +
    `elsewhere, debootstrap --variant=minbase --include=python3-torch ${target.suite} DIR and set ` +
    `TORCH_PYTHON='chroot DIR python3' (mount proc in DIR first${DEBOOTSTRAP_REPAIRS[target.suite] ? '; if debootstrap fails configuring packages, run apt-get install -y --fix-broken --no-install-recommends and dpkg --configure -a inside DIR' : ''}); ` +
    `or any Python with torch ${target.id}.`;
  try {
    if (hostSuite() === target.suite) {
      const native = ['/usr/bin/python3'];
      if (!(await importedTorchVersion(native, timeoutSeconds))) {
        await run('apt-get', ['update', '-qq'], log, timeoutSeconds);
        await run('apt-get', ['install', '-y', '-qq', 'python3-torch'], log, timeoutSeconds);
      }
      return { command: native, origin: `apt (${target.suite})` };
    }
    const root = join(ROOTS_DIR, target.suite);
    if (!existsSync(join(root, 'usr/bin/python3'))) {
      const partial = `${root}.partial`;
      if (existsSync(join(partial, 'proc/self'))) await run('umount', [join(partial, 'proc')], log, timeoutSeconds); // never rm -r a live /proc
      rmSync(partial, { recursive: true, force: true });
      mkdirSync(ROOTS_DIR, { recursive: true });
      if (!existsSync('/usr/sbin/debootstrap')) await run('apt-get', ['install', '-y', '-qq', 'debootstrap'], log, timeoutSeconds);
      log(`building a ${target.suite} root with python3-torch in ${root} (a few minutes)`);
      const repair = DEBOOTSTRAP_REPAIRS[target.suite];
      try {
        await run(
          'debootstrap',
          ['--variant=minbase', '--include=python3-torch', target.suite, partial, 'http://deb.debian.org/debian'],
          log,
          timeoutSeconds,
        );
      } catch (e) {
        if (!repair || !existsSync(join(partial, 'usr/bin/python3'))) throw e;
        log(`debootstrap failed; repairing the ${target.suite} root: ${(e as Error).message.split('\n')[0]}`);
        await repair(partial, log, timeoutSeconds);
      }
      await mountProc(partial, log, timeoutSeconds);
      const version = await importedTorchVersion(['chroot', partial, 'python3'], timeoutSeconds);
      await run('umount', [join(partial, 'proc')], log, timeoutSeconds); // renamed next; mounted again under its final name
      if (!version) throw new HarnessError(`the ${target.suite} root in ${partial} was built, but its python3 cannot import torch`);
      log(`the ${target.suite} root imports torch ${version}`);
      renameSync(partial, root);
    }
    await mountProc(root, log, timeoutSeconds);
    return { command: ['chroot', root, 'python3'], origin: `chroot ${root}` };
  } catch (e) {
    throw new HarnessError(`provisioning torch ${target.id} failed: ${(e as Error).message}\n${byHand}`);
  }
}

/** Every .py file under python/, relative path -> source. */
export function pythonSources(dir = PYTHON_DIR): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, name.name);
      if (name.isDirectory() && name.name !== '__pycache__') walk(path);
      else if (name.name.endsWith('.py')) out[relative(dir, path)] = readFileSync(path, 'utf8');
    }
  };
  walk(dir);
  return out;
}

// Reads the sources (first stdin line) and runs the script from memory: a meta-path finder serves
// python/'s modules from the dict, so nothing is written inside the interpreter's world and a
// killed process leaves nothing behind. Paths are the host's python/ (argv[1]), which tracebacks
// show; their lines come from linecache, filled here. A module from elsewhere (a user's case
// module, StartOptions.extraSources) is shown under its own path (the ":paths" entry: rel -> path).
// Python 3.6+ (torch 1.5's oldest Python).
const BOOTSTRAP = [
  'import sys, json, types, linecache, importlib.abc, importlib.util',
  'files = json.loads(sys.stdin.readline())',
  'shown = files.pop(":paths", {})',
  'back = dict((path, rel) for rel, path in shown.items())',
  'root, script = sys.argv[1], sys.argv[2]',
  'where = lambda rel: shown.get(rel, root + "/" + rel)',
  'for rel, src in files.items():',
  '    linecache.cache[where(rel)] = (len(src), None, src.splitlines(True), where(rel))',
  'class Sources(importlib.abc.MetaPathFinder, importlib.abc.Loader):',
  '    def find_spec(self, name, path=None, target=None):',
  '        base = name.replace(".", "/")',
  '        if base + "/__init__.py" in files:',
  '            return importlib.util.spec_from_file_location(name, where(base + "/__init__.py"), loader=self, submodule_search_locations=[where(base)])',
  '        if base + ".py" in files:',
  '            return importlib.util.spec_from_file_location(name, where(base + ".py"), loader=self)',
  '        return None',
  '    def create_module(self, spec):',
  '        return None',
  '    def exec_module(self, module):',
  '        rel = back.get(module.__file__, module.__file__[len(root) + 1:])',
  '        exec(compile(files[rel], module.__file__, "exec"), module.__dict__)',
  'sys.meta_path.insert(0, Sources())',
  'main = types.ModuleType("__main__")',
  'main.__file__ = where(script)',
  'sys.argv = [main.__file__] + sys.argv[3:]',
  'sys.modules["__main__"] = main',
  'exec(compile(files[script], main.__file__, "exec"), main.__dict__)',
].join('\n');

export interface StartOptions {
  /** Keep stdin open after the sources line (the worker reads requests from it). */
  keepStdinOpen?: boolean;
  /** Kill it after this long (execa's timeout: the result's timedOut is then true). */
  timeoutMs?: number;
  /** stdout as bytes (the generator: decoded strictly by the caller), not a string. */
  stdoutBytes?: boolean;
  /** Variables added to the interpreter's environment (e.g. ATEN_CPU_CAPABILITY, TORCH_PARITY_THREADS). */
  env?: Readonly<Record<string, string>>;
  /**
   * Modules sent beside python/'s, by the relative path they are imported as
   * ('user_cases/sigmoid_focal_loss.py' is `import user_cases.sigmoid_focal_loss`), each with the
   * path tracebacks show for it (the user's file).
   */
  extraSources?: Readonly<Record<string, { source: string; path: string }>>;
  /** Written to stdin after the sources line, before it is closed (the generator's cases file: `--from-cases -`). */
  input?: string | Uint8Array;
}

/** Starts python/<script> under the interpreter; write further stdin after the sources line. */
export function startPython(interp: Interpreter, script: string, args: readonly string[], options: StartOptions = {}) {
  const child = execa(interp.command[0]!, [...interp.command.slice(1), '-c', BOOTSTRAP, PYTHON_DIR, script, ...args], {
    reject: false,
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: { stdout: !options.keepStdinOpen },
    maxBuffer: 1e9,
    stripFinalNewline: false,
    ...(options.stdoutBytes ? { encoding: 'buffer' as const } : {}),
    ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
  child.stdin.on('error', () => {}); // a command that failed to start: its result says why
  const sources: Record<string, unknown> = pythonSources();
  if (options.extraSources) {
    const paths: Record<string, string> = {};
    for (const [rel, { source, path }] of Object.entries(options.extraSources)) {
      sources[rel] = source;
      paths[rel] = path;
    }
    sources[':paths'] = paths;
  }
  child.stdin.write(`${JSON.stringify(sources)}\n`);
  if (options.input !== undefined) child.stdin.write(options.input);
  if (!options.keepStdinOpen) child.stdin.end();
  return child;
}

/** torch and Python versions of an interpreter, with clear errors for a missing command, torch or a hang. */
export async function probeTorch(
  interp: Interpreter,
  timeoutSeconds = defaultTimeoutSeconds(),
): Promise<{ torch: string; python: string }> {
  const code =
    'import os, sys, json\ntry:\n import torch\nexcept ImportError as e:\n print(json.dumps({"error": str(e)})); sys.exit(0)\nprint(json.dumps({"torch": torch.__version__, "python": sys.version.split()[0]}))\nsys.stdout.flush()\nos._exit(0)';
  const shown = interp.command.join(' ');
  const r = await execa(interp.command[0]!, [...interp.command.slice(1), '-c', code], { reject: false, timeout: timeoutSeconds * 1000 });
  if (r.timedOut)
    throw new HarnessError(`the torch probe ('${shown}', ${interp.origin}) did not finish within ${timeoutSeconds} s; killed it`);
  if (interruptedBy(r)) throw new Interrupted(interruptedBy(r)!, 'the torch probe');
  if (r.exitCode === undefined && r.code === 'ENOENT') {
    throw new HarnessError(`the Python command '${shown}' (${interp.origin}) does not exist`);
  }
  // Judged by its one line of output, then by its exit status: torch 1.7 may abort at exit after
  // answering (the probe leaves by os._exit to avoid that), and the answer is complete without it.
  type ProbeAnswer = { torch?: unknown; python?: unknown; error?: string };
  let info: ProbeAnswer | null = null;
  try {
    const parsed: unknown = JSON.parse(String(r.stdout).trim().split('\n').pop() ?? '');
    if (parsed && typeof parsed === 'object' && ('torch' in parsed || 'error' in parsed)) info = parsed as ProbeAnswer;
  } catch {}
  if (!info && r.exitCode !== 0) {
    throw new HarnessError(
      `'${shown}' (${interp.origin}) failed to start: ${howItEnded(r, interp.command)}:\n${String(r.stderr).split('\n').slice(-10).join('\n')}`,
    );
  }
  if (!info) throw new HarnessError(`'${shown}' (${interp.origin}) printed something unexpected: ${String(r.stdout).slice(0, 200)}`);
  if (info.error !== undefined || !info.torch) {
    throw new HarnessError(
      `torch is not importable by ${shown}: pip install -r requirements.txt, or apt-get install python3-torch (${info.error ?? 'no torch'})`,
    );
  }
  if (typeof info.torch !== 'string' || !TORCH_VERSION.test(info.torch)) {
    throw new HarnessError(
      `'${shown}' (${interp.origin}) reports torch version ${JSON.stringify(info.torch).slice(0, 200)}, which is not a plain version like 2.6.0+debian`,
    );
  }
  const [major, minor] = info.torch.split('.').map(Number);
  if (major! < 1 || (major === 1 && minor! < 5)) {
    throw new HarnessError(`torch ${info.torch} (from ${shown}) is older than 1.5, the oldest the harness supports`);
  }
  return { torch: info.torch, python: typeof info.python === 'string' ? info.python : '?' };
}
