// npm run build:wasm [-- --check]
//
// Compiles each AssemblyScript module (every ts/wasm/assembly/<name>.ts; code they share lives in
// ts/wasm/assembly/lib/) and writes it, raw-deflated then base64, into ts/wasm/<name>-binary.ts
// as <NAME>_WASM_DEFLATED, so the library loads it synchronously with no file access
// (ts/wasm/module.ts wasmBytes inflates it); kernels.ts's declarations also go into
// ts/wasm/kernel-ops.ts. --check compiles and exits 1 if a committed
// file differs (a source was edited without rebuilding).
//
// A module with the line `// wasm-variant: fma` is also compiled with `--enable relaxed-simd`
// (ASC_FEATURE_RELAXED_SIMD true: f32x4.relaxed_madd and friends) into ts/wasm/<name>-fma-binary.ts
// as <NAME>_FMA_WASM_DEFLATED; its loader uses that build only where ts/wasm/module.ts
// relaxedSimdFused() is true (see ts/wasm/kernel-switch.ts KernelBuild).
//
// Each build is kept in node_modules/.cache/torch-loss-parity/wasm/, named by a hash of all that
// decides its bytes (the module's source, ts/wasm/assembly/lib/, the flags, the compiler's and
// Node's versions): a build of the same inputs is read from there (buildWasm), and one being
// compiled by another process (the test suite's background builds, ../test/wasm-builds.setup.ts)
// is waited for. The modules are compiled in parallel, up to one per core. `rm -rf
// node_modules/.cache/torch-loss-parity` forgets them (npm ci does too).

import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { deflateSync } from 'fflate';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCE = 'ts/wasm/assembly/kernels.ts';
/** The modules: every .ts directly in ts/wasm/assembly (by name, without .ts). */
export const MODULES = readdirSync(join(ROOT, 'ts/wasm/assembly'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))
  .sort();
const sourceOf = (name: string) => `ts/wasm/assembly/${name}.ts`;
const targetOf = (name: string, fma = false) => join(ROOT, `ts/wasm/${name}${fma ? '-fma' : ''}-binary.ts`);
/** The modules that ask for a relaxed-SIMD build too (a line `// wasm-variant: fma`). */
export const FMA_MODULES = MODULES.filter((name) => /^\/\/ wasm-variant: fma$/m.test(readFileSync(join(ROOT, sourceOf(name)), 'utf8')));
/** --runtime stub: no GC (the kernels allocate nothing); --use abort=: no imports. */
const FLAGS = ['--runtime', 'stub', '-O3', '--noAssert', '--enable', 'simd', '--use', 'abort='];
/**
 * A module's line `// wasm-initial-pages: N`: its memory starts at N pages of 64 KiB (asc
 * --initialMemory), so that the calls it is sized for never grow it. A grow detaches the old
 * buffer, and the first detach in a process makes V8 check every typed array's buffer for
 * detachment on each access in optimized code from then on (its ArrayBufferDetaching protector):
 * every JS typed-array loop of the process gets slower (docs/performance.md, 2026-12-02 h-nll2).
 */
const initialPagesOf = (name: string): string[] => {
  const m = /^\/\/ wasm-initial-pages: (\d+)$/m.exec(readFileSync(join(ROOT, sourceOf(name)), 'utf8'));
  return m ? ['--initialMemory', m[1]!] : [];
};
const flagsOf = (fma: boolean, name: string) => [...FLAGS, ...(fma ? ['--enable', 'relaxed-simd'] : []), ...initialPagesOf(name)];
const ASC_PACKAGE = join(ROOT, 'node_modules/assemblyscript/package.json');

/** The compiler that made the bytes: assemblyscript and the binaryen it optimizes with (the one it resolves). */
export function compilerVersions(): string {
  const version = (manifest: string) => (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  const binaryen = createRequire(ASC_PACKAGE).resolve('binaryen/package.json');
  return `assemblyscript ${version(ASC_PACKAGE)}, binaryen ${version(binaryen)}`;
}

/**
 * Node's arguments for asc's build of the module. --enable-source-maps: without it asc's bin runs
 * itself again with it, in a child of its own (which a stopped build would leave running).
 */
const ascArgs = (name: string, fma: boolean, out: string) => [
  '--enable-source-maps',
  join(ROOT, 'node_modules/assemblyscript/bin/asc.js'),
  sourceOf(name),
  ...flagsOf(fma, name),
  '--outFile',
  out,
];

/** The module's build: the plain one, or (fma) the relaxed-SIMD one, compiled now (synchronously; buildWasm reuses and shares builds). */
export function compileKernels(name = 'kernels', fma = false): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'kernels-'));
  try {
    const out = join(dir, 'kernels.wasm');
    execFileSync(process.execPath, ascArgs(name, fma, out), { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const run = promisify(execFile);

/** As compileKernels, in a child process this one does not wait in (so several compile at once). */
export async function compileKernelsAsync(name = 'kernels', fma = false, signal?: AbortSignal): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'kernels-'));
  try {
    const out = join(dir, 'kernels.wasm');
    try {
      await run(process.execPath, ascArgs(name, fma, out), { cwd: ROOT, signal, maxBuffer: 64 * 1024 * 1024 });
    } catch (e) {
      const stderr = (e as { stderr?: string }).stderr;
      throw new Error(`asc ${sourceOf(name)}${fma ? ' (fma)' : ''} failed${stderr ? `:\n${stderr}` : `: ${(e as Error).message}`}`);
    }
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Where the builds are kept. */
export const CACHE_DIR = join(ROOT, 'node_modules/.cache/torch-loss-parity/wasm');
const LIB_DIR = join(ROOT, 'ts/wasm/assembly/lib');

/** Every file under ts/wasm/assembly/lib/ (code the modules share: fingerprint.ts), sorted. */
function libFiles(dir = LIB_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((e) => (e.isDirectory() ? libFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

/** The cache file of the module's build: named by a hash of everything that decides its bytes. */
export function cachedBuildPath(name = 'kernels', fma = false): string {
  const hash = createHash('sha256');
  for (const part of [compilerVersions(), `node ${process.version}`, flagsOf(fma, name).join(' '), sourceOf(name)])
    hash.update(`${part}\0`);
  hash.update(readFileSync(join(ROOT, sourceOf(name))));
  for (const file of libFiles()) hash.update(`\0${file.slice(ROOT.length)}\0`).update(readFileSync(file));
  return join(CACHE_DIR, `${name}${fma ? '-fma' : ''}-${hash.digest('hex').slice(0, 24)}.wasm`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The lock's state: 'held' by a process that may still be compiling (its pid, written right after the lock was created), 'gone', or 'stale' (its process died). */
function lockState(lock: string): 'held' | 'gone' | 'stale' {
  let text: string;
  let created: number;
  try {
    text = readFileSync(lock, 'utf8');
    created = statSync(lock).mtimeMs;
  } catch {
    return 'gone'; // its build is done (or failed)
  }
  const pid = Number.parseInt(text, 10);
  // created, its pid not written yet (a writer that died there leaves it: stale after 10 s)
  if (!Number.isInteger(pid) || pid <= 0) return Date.now() - created < 10_000 ? 'held' : 'stale';
  try {
    process.kill(pid, 0);
    return 'held';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? 'held' : 'stale';
  }
}

/**
 * The module's build (plain, or fma), as compileKernels makes it: from the cache when these exact
 * inputs were compiled before; else compiled in a child process (one compile per build at a time
 * across processes: one compiling elsewhere is waited for) and kept. `signal` aborts a compile
 * this call started (the lock is then released and nothing is kept).
 */
export async function buildWasm(name = 'kernels', fma = false, signal?: AbortSignal): Promise<Buffer> {
  const file = cachedBuildPath(name, fma);
  const lock = `${file}.lock`;
  mkdirSync(CACHE_DIR, { recursive: true });
  for (;;) {
    if (existsSync(file)) return readFileSync(file);
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const state = lockState(lock);
      if (state === 'held') await sleep(100);
      else if (state === 'stale') rmSync(lock, { force: true }); // its process died: take over
      signal?.throwIfAborted();
      continue;
    }
    try {
      writeSync(fd, String(process.pid));
      closeSync(fd);
      if (existsSync(file)) return readFileSync(file); // kept between the check and the lock
      const wasm = await compileKernelsAsync(name, fma, signal);
      const partial = `${file}.${process.pid}.partial`;
      writeFileSync(partial, wasm);
      renameSync(partial, file);
      pruneBuilds(name, fma);
      return wasm;
    } finally {
      rmSync(lock, { force: true });
    }
  }
}

/** Keeps the KEEP_BUILDS newest builds of (name, fma) in the cache (older sources' builds go). */
const KEEP_BUILDS = 4;
function pruneBuilds(name: string, fma: boolean): void {
  const own = new RegExp(`^${name}${fma ? '-fma' : ''}-[0-9a-f]{24}\\.wasm$`);
  const builds = readdirSync(CACHE_DIR)
    .filter((f) => own.test(f))
    .map((f) => ({ path: join(CACHE_DIR, f), time: statSync(join(CACHE_DIR, f)).mtimeMs }))
    .sort((a, b) => b.time - a.time);
  for (const { path } of builds.slice(KEEP_BUILDS)) rmSync(path, { force: true });
}

/**
 * buildWasm started now, for a test to await later (its compile runs while other tests do): a
 * failure is kept for that await, not reported as an unhandled rejection meanwhile.
 */
export function startBuild(name = 'kernels', fma = false): Promise<Buffer> {
  const build = buildWasm(name, fma);
  build.catch(() => {});
  return build;
}

/** Every build (name, fma) the committed *-binary.ts files hold, the biggest first. */
export function allBuilds(): { name: string; fma: boolean }[] {
  const builds = [...MODULES.map((name) => ({ name, fma: false })), ...FMA_MODULES.map((name) => ({ name, fma: true }))];
  const size = (b: { name: string }) => statSync(join(ROOT, sourceOf(b.name))).size;
  return builds.sort((a, b) => size(b) - size(a) || Number(a.fma) - Number(b.fma));
}

/** Runs `jobs` at most `limit` at a time; their results in order. */
export async function inParallel<T>(jobs: (() => Promise<T>)[], limit = availableParallelism()): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}

const OPS_TARGET = join(ROOT, 'ts/wasm/kernel-ops.ts');
const SLOTS = ['y', 'a', 'b', 'c'] as const;

/**
 * The flags and kernels the AssemblyScript source declares (`export const NAME = n; // flag` and
 * `export const NAME = n; // kernel: y=target a=weight ... s=scalarName`), as a TypeScript module
 * of `as const` tables: the one declaration the TS side types its kernel calls from.
 */
export function kernelOpsSource(assembly: string): string {
  const flags: string[] = [];
  const ops: string[] = [];
  for (const line of assembly.split('\n')) {
    const flag = /^export const (\w+) = (\d+); \/\/ flag$/.exec(line);
    if (flag) flags.push(`  ${flag[1]}: ${flag[2]},`);
    const op = /^export const (\w+) = (\d+); \/\/ kernel:((?: [yabcs]=\w+)*)/.exec(line);
    if (!op) continue;
    const named = new Map(
      op[3]!
        .trim()
        .split(' ')
        .filter(Boolean)
        .map((pair) => pair.split('=') as [string, string]),
    );
    const operands = SLOTS.filter((slot) => named.has(slot)).map((slot) => `{ name: '${named.get(slot)}', slot: '${slot}' }`);
    const scalar = named.has('s') ? `'${named.get('s')}'` : 'null';
    ops.push(`  ${op[1]}: { id: ${op[2]}, operands: [${operands.join(', ')}], scalar: ${scalar} },`);
  }
  return [
    `// Generated by \`npm run build:wasm\` from the declarations in ${SOURCE}. Do not edit.`,
    '',
    '/** Flag bits of the kernels. */',
    'export const KERNEL_FLAGS = {',
    ...flags,
    '} as const;',
    '',
    '/** The kernels: id (the `op` argument), named operands by argument slot (y the target; a, b, c), and what the scalar is. */',
    'export const KERNEL_OPS = {',
    ...ops,
    '} as const;',
    '',
  ].join('\n');
}

/**
 * The <name>-binary.ts of a build: the module raw-deflated (by fflate, pure JS, so the same bytes
 * under every Node; ts/wasm/module.ts wasmBytes inflates them), in base64.
 */
export function kernelsModuleSource(wasm: Buffer, name = 'kernels', fma = false): string {
  const deflated = Buffer.from(deflateSync(wasm, { level: 9, mem: 12 }));
  const lines = deflated.toString('base64').match(/.{1,100}/g) ?? [];
  return [
    `// Generated by \`npm run build:wasm\` from ${sourceOf(name)}. Do not edit.`,
    `// Compiler: ${compilerVersions()}; flags: asc ${flagsOf(fma, name).join(' ')}; ${wasm.length} B, raw-deflated (fflate level 9), base64.`,
    '',
    `export const ${name.toUpperCase().replace(/-/g, '_')}${fma ? '_FMA' : ''}_WASM_DEFLATED =`,
    `${lines.map((l) => `  '${l}'`).join(' +\n')};`,
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // `npm run build:wasm -- vectors ctc`: only the modules named (each compile takes 2-60 s)
  const named = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  for (const name of named) if (!MODULES.includes(name)) throw new Error(`build:wasm: no module ts/wasm/assembly/${name}.ts`);
  const chosen = (name: string) => named.length === 0 || named.includes(name);
  const builds = allBuilds().filter((b) => chosen(b.name));
  const wasm = await inParallel(builds.map((b) => () => buildWasm(b.name, b.fma)));
  const files: [string, string][] = builds.map((b, i) => [targetOf(b.name, b.fma), kernelsModuleSource(wasm[i]!, b.name, b.fma)]);
  if (chosen('kernels')) files.push([OPS_TARGET, kernelOpsSource(readFileSync(join(ROOT, SOURCE), 'utf8'))]);
  const relative = (file: string) => file.slice(ROOT.length);
  if (process.argv.includes('--check')) {
    const stale = files.filter(([file, text]) => readFileSync(file, 'utf8') !== text);
    for (const [file] of stale) process.stdout.write(`${relative(file)} is stale: run npm run build:wasm\n`);
    if (stale.length === 0) process.stdout.write(`${files.map(([f]) => relative(f)).join(', ')} are up to date\n`);
    process.exit(stale.length === 0 ? 0 : 1);
  }
  for (const [file, text] of files) writeFileSync(file, text);
  process.stdout.write(`wrote ${files.map(([f]) => relative(f)).join(', ')}\n`);
}
