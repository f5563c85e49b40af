// Finding and provisioning a Python with torch, and running our Python code in it.
//
// The interpreter is any command (TORCH_PYTHON, e.g. a venv's python or `chroot /srv/x python3`),
// so our Python sources travel on stdin: a short bootstrap reads them as one JSON line, writes
// them to a temporary folder inside that interpreter's world, and runs the script. Nothing
// depends on paths inside a chroot; results come back on stdout.

import { existsSync, readFileSync, readdirSync, renameSync, rmSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { execa } from 'execa';

export { PYTHON_DIR } from '../../ts/golden/paths.ts';
import { PYTHON_DIR } from '../../ts/golden/paths.ts';

/** Each torch version we keep goldens for, by the Debian suite that ships it. */
export const TORCH_TARGETS = [
  { id: '1.13', suite: 'bookworm', note: "Debian 12's python3-torch" },
  { id: '2.6', suite: 'trixie', note: "Debian 13's python3-torch" },
  { id: 'sid', suite: 'sid', note: 'the newest torch Debian ships' },
] as const;
export type TorchTarget = (typeof TORCH_TARGETS)[number];

export interface Interpreter {
  command: readonly string[];
  /** Where it came from, for messages: 'TORCH_PYTHON', 'apt (bookworm)', 'chroot /var/...'. */
  origin: string;
}

export class HarnessError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = 'HarnessError';
  }
}

export const ROOTS_DIR = process.env.TORCH_PARITY_ROOTS ?? '/var/cache/torch-parity/roots';

export function findTarget(id: string): TorchTarget {
  const aliases: Record<string, string> = { bookworm: '1.13', trixie: '2.6', newest: 'sid' };
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

async function run(cmd: string, args: string[], log: (line: string) => void): Promise<void> {
  log(`$ ${cmd} ${args.join(' ')}`);
  const r = await execa(cmd, args, { reject: false, all: true, env: { DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.exitCode !== 0) {
    const tail = String(r.all ?? '').split('\n').slice(-15).join('\n');
    throw new HarnessError(`${cmd} ${args.join(' ')} failed (exit ${r.exitCode}):\n${tail}`);
  }
}

async function torchImportable(command: readonly string[]): Promise<boolean> {
  const r = await execa(command[0]!, [...command.slice(1), '-c', 'import torch'], { reject: false });
  return r.exitCode === 0;
}

/**
 * An interpreter with the target's torch: the host's python3-torch from apt where the host runs
 * that suite, otherwise a debootstrap chroot under ROOTS_DIR (outside the repository).
 */
export async function provision(target: TorchTarget, log: (line: string) => void): Promise<Interpreter> {
  const byHand =
    `to provision torch ${target.id} by hand: on Debian ${target.suite}, apt-get install python3-torch; ` +
    `elsewhere, debootstrap --variant=minbase --include=python3-torch ${target.suite} DIR and set ` +
    `TORCH_PYTHON='chroot DIR python3' (mount proc in DIR first); or any Python with torch ${target.id}.`;
  try {
    if (hostSuite() === target.suite) {
      const native = ['/usr/bin/python3'];
      if (!(await torchImportable(native))) {
        await run('apt-get', ['update', '-qq'], log);
        await run('apt-get', ['install', '-y', '-qq', 'python3-torch'], log);
      }
      return { command: native, origin: `apt (${target.suite})` };
    }
    const root = join(ROOTS_DIR, target.suite);
    if (!existsSync(join(root, 'usr/bin/python3'))) {
      const partial = `${root}.partial`;
      rmSync(partial, { recursive: true, force: true });
      mkdirSync(ROOTS_DIR, { recursive: true });
      if (!existsSync('/usr/sbin/debootstrap')) await run('apt-get', ['install', '-y', '-qq', 'debootstrap'], log);
      log(`building a ${target.suite} root with python3-torch in ${root} (about two minutes)`);
      await run('debootstrap', ['--variant=minbase', '--include=python3-torch', target.suite, partial, 'http://deb.debian.org/debian'], log);
      renameSync(partial, root);
    }
    if (!existsSync(join(root, 'proc/self'))) await run('mount', ['-t', 'proc', 'proc', join(root, 'proc')], log);
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

// Reads the sources (first stdin line), writes them to a temporary folder, runs the script there.
const BOOTSTRAP = [
  'import sys, json, os, shutil, tempfile, atexit, runpy',
  'files = json.loads(sys.stdin.readline())',
  'root = tempfile.mkdtemp(prefix="torch-parity-")',
  'atexit.register(shutil.rmtree, root, True)',
  'for rel, src in files.items():',
  '    path = os.path.join(root, rel)',
  '    os.makedirs(os.path.dirname(path), exist_ok=True)',
  '    open(path, "w").write(src)',
  'sys.argv = [os.path.join(root, sys.argv[1])] + sys.argv[2:]',
  'sys.path.insert(0, root)',
  'runpy.run_path(sys.argv[0], run_name="__main__")',
].join('\n');

/** Starts python/<script> under the interpreter; write further stdin after the sources line. */
export function startPython(interp: Interpreter, script: string, args: readonly string[], options: { keepStdinOpen?: boolean } = {}) {
  const child = execa(interp.command[0]!, [...interp.command.slice(1), '-c', BOOTSTRAP, script, ...args], {
    reject: false,
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: { stdout: !options.keepStdinOpen },
    maxBuffer: 1e9,
    stripFinalNewline: false,
  });
  child.stdin.write(JSON.stringify(pythonSources()) + '\n');
  if (!options.keepStdinOpen) child.stdin.end();
  return child;
}

/** torch and Python versions of an interpreter, with clear errors for a missing command or torch. */
export async function probeTorch(interp: Interpreter): Promise<{ torch: string; python: string }> {
  const code = 'import sys, json\ntry:\n import torch\nexcept ImportError as e:\n print(json.dumps({"error": str(e)})); sys.exit(0)\nprint(json.dumps({"torch": torch.__version__, "python": sys.version.split()[0]}))';
  const shown = interp.command.join(' ');
  const r = await execa(interp.command[0]!, [...interp.command.slice(1), '-c', code], { reject: false });
  if (r.exitCode === undefined && /ENOENT/.test(String(r.message))) {
    throw new HarnessError(`the Python command '${shown}' (${interp.origin}) does not exist`);
  }
  if (r.exitCode !== 0) {
    throw new HarnessError(`'${shown}' (${interp.origin}) failed to start (exit ${r.exitCode}):\n${String(r.stderr).split('\n').slice(-10).join('\n')}`);
  }
  let info: { torch?: string; python?: string; error?: string };
  try {
    info = JSON.parse(String(r.stdout).trim().split('\n').pop() ?? '');
  } catch {
    throw new HarnessError(`'${shown}' (${interp.origin}) printed something unexpected: ${String(r.stdout).slice(0, 200)}`);
  }
  if (info.error !== undefined || !info.torch) {
    throw new HarnessError(`torch is not importable by ${shown}: pip install -r requirements.txt, or apt-get install python3-torch (${info.error ?? 'no torch'})`);
  }
  const [major, minor] = info.torch.split('.').map(Number);
  if (major! < 1 || (major === 1 && minor! < 5)) {
    throw new HarnessError(`torch ${info.torch} (from ${shown}) is older than 1.5, the oldest the harness supports`);
  }
  return { torch: info.torch, python: info.python ?? '?' };
}
