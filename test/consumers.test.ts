// The package as its users get it: `npm pack` (which builds dist/ through prepack), the tarball
// installed into fresh projects outside the repository (test/consumers/esm and cjs), and each
// consumer computing the classic example exactly: Node 20 import and require(), TypeScript with
// moduleResolution node16 and bundler, an esbuild bundle in headless Chromium (WebAssembly kernels
// and JS loops), Bun, Deno and Node 24. Also: the tarball's contents and size, publint, attw, the
// browser bundle's size and the CLI bin. Run with `npm run test:consumers` (needs the npm registry:
// the tarball's dependencies, and Bun, Deno and Node 24, installed once into a cache folder).

import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadGoldens, tensorValues, type LoadedGolden } from '../ts/harness.ts';
import { binaryCrossEntropyWithLogits, multilabelSoftMarginLoss, tensor } from '../ts/index.ts';
import { launchChromium } from './chromium.ts';
import { bundleLibrary, GZIP_BUDGET_BYTES } from './consumers/bundle.ts';
import { CLASSIC_EXPECTED, CLASSIC_TORCH_VERSIONS } from './consumers/classic.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = join(ROOT, 'test', 'consumers');
const TARBALL_BUDGET_BYTES = 8 * 1024 * 1024;
/** Bun, Deno and Node 24 from npm, kept between runs (about 400 MB). */
const RUNTIMES = process.env.TORCH_PARITY_RUNTIMES ?? join(tmpdir(), 'torch-loss-parity-runtimes');
const CLASSIC_CASE = 'multilabel_soft_margin_loss/float32/mean/classic/4x3';

/** What a user's tarball may hold: the build (JS and declarations), goldens, the Python generator, docs. */
const SHIPPED =
  /^(LICENSE|README\.md|PORTING\.md|package\.json|dist\/(ts|scripts)\/.+\.(js|d\.ts)|golden\/(torch-[^/]+|cases)\/[a-z0-9_]+\.json|python\/.+\.py|docs\/.+\.md)$/;
const NEVER_SHIPPED =
  /(^|\/)(test|tests|\.ci|\.github|reports|node_modules)\/|\.test\.|stryker|vitest[^/]*\.config|tsconfig|biome|\.attw|sum_fixture/;

// npm's own variables from `npm run` (its prefix, the package's fields) must not reach the nested
// npm installs or the consumers; the registry and cache settings may.
const KEEP_NPM = /^npm_config_(registry|cache|userconfig|globalconfig|proxy|https_proxy|noproxy|strict_ssl|cafile)$/i;
const ENV = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !(/^npm_/i.test(k) && !KEEP_NPM.test(k)) && k !== 'NODE_OPTIONS' && !k.startsWith('VITEST')),
);

/** Runs a command with a time limit; throws with its output unless it exits 0. */
async function run(file: string, args: string[], cwd: string, timeoutMs = 120_000, env: Record<string, string> = {}) {
  const r = await execa(file, args, { cwd, timeout: timeoutMs, reject: false, stdin: 'ignore', extendEnv: false, env: { ...ENV, ...env } });
  if (r.exitCode !== 0) {
    const why = r.timedOut ? `timed out after ${timeoutMs} ms` : r.exitCode !== undefined ? `exited ${r.exitCode}` : r.shortMessage;
    throw new Error(`${file} ${args.join(' ')} (in ${cwd}) ${why}\n${r.stderr}\n${r.stdout}`);
  }
  return r;
}

let goldens: LoadedGolden[] | undefined;
/** The repository's goldens (loaded once: 11 MB of JSON, validated). */
const repoGoldens = () => (goldens ??= loadGoldens(join(ROOT, 'golden')));

const runtimeBin = (name: 'bun' | 'deno' | 'node') => join(RUNTIMES, 'node_modules', '.bin', name);

/** Bun, Deno and Node 24 from npm (their packages need no install scripts), installed once. */
async function installRuntimes(): Promise<void> {
  if ((['bun', 'deno', 'node'] as const).every((n) => existsSync(runtimeBin(n)))) return;
  const node = `node-${process.platform}-${process.arch}@24`;
  await run('npm', ['install', '--prefix', RUNTIMES, '--no-audit', '--no-fund', 'bun@1', 'deno@2', node], tmpdir(), 600_000);
}

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string; size: number }[];
}

let work: string;
let tarball: string;
let pack: PackResult;
let esm: string;
let cjs: string;
let vitestProject: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'torch-loss-parity-consumers-'));
  const runtimes = installRuntimes();
  // prepack builds dist/ (its output goes to stderr; stdout is npm's JSON).
  const packed = await run('npm', ['pack', '--pack-destination', work, '--json'], ROOT, 300_000);
  pack = (JSON.parse(packed.stdout) as PackResult[])[0]!;
  tarball = join(work, pack.filename);
  esm = join(work, 'esm');
  cjs = join(work, 'cjs');
  vitestProject = join(work, 'vitest');
  for (const [from, to] of [
    ['esm', esm],
    ['cjs', cjs],
    ['vitest', vitestProject],
  ] as const)
    cpSync(join(FIXTURES, from), to, { recursive: true });
  await Promise.all([esm, cjs, vitestProject].map((dir) => run('npm', ['install', '--no-audit', '--no-fund', tarball], dir, 300_000)));
  await runtimes;
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the fixture holds the torch values: the goldens of MultiLabelSoftMarginLoss, and what the sources compute (test/classic.test.ts)', () => {
  for (const [torch, dir] of [
    ['1.13.0a0', '1.13.0a0'],
    ['2.14.1', '2.14.1+debian'],
  ] as const) {
    const golden = repoGoldens().find((g) => g.torchDir === dir && g.golden.loss === 'multilabel_soft_margin_loss');
    const c = golden?.golden.cases.find((k) => k.id === CLASSIC_CASE);
    expect(c, `${CLASSIC_CASE} in golden/torch-${dir}`).toBeDefined();
    // float32 values are stored as the shortest decimal that reads back as the same float32
    expect(Math.fround(tensorValues(c!.output!)[0]!), dir).toBe(CLASSIC_EXPECTED[torch].multilabelSoftMargin);
  }
  const x = tensor(Array.from({ length: 4 }, () => [0.8, 0.9, 0.3]));
  const y = tensor(Array.from({ length: 4 }, () => [1, 1, 0]));
  const weight = tensor([0.8, 1, 0.8]);
  for (const torchVersion of CLASSIC_TORCH_VERSIONS) {
    const options = { weight, reduction: 'mean', torchVersion } as const;
    expect({
      multilabelSoftMargin: multilabelSoftMarginLoss(x, y, options).data[0],
      bceWithLogits: binaryCrossEntropyWithLogits(x, y, options).data[0],
    }).toStrictEqual(CLASSIC_EXPECTED[torchVersion]);
  }
});

test('the tarball holds what users run and nothing else, within 8 MB', () => {
  const files = pack.files.map((f) => f.path).sort();
  console.log(`npm pack: ${pack.filename}, ${pack.size} B packed, ${pack.unpackedSize} B unpacked, ${pack.entryCount} files`);
  expect(files.filter((f) => !SHIPPED.test(f) || NEVER_SHIPPED.test(f))).toEqual([]);
  const goldens = readdirSync(join(ROOT, 'golden')).flatMap((d) => readdirSync(join(ROOT, 'golden', d)).map((f) => `golden/${d}/${f}`));
  const required = [
    'LICENSE',
    'README.md',
    'package.json',
    'dist/ts/index.js',
    'dist/ts/index.d.ts',
    'dist/ts/harness.js',
    'dist/ts/harness.d.ts',
    'dist/ts/vitest.js',
    'dist/ts/vitest.d.ts',
    'dist/ts/arbitraries.js',
    'dist/ts/arbitraries.d.ts',
  ];
  expect(files).toEqual(expect.arrayContaining([...required, 'dist/scripts/cli.js', 'python/goldens.py', 'python/worker.py', ...goldens]));
  expect(pack.size).toBeLessThanOrEqual(TARBALL_BUDGET_BYTES);
});

test('publint finds nothing in the tarball', async () => {
  const bytes = new Uint8Array(readFileSync(tarball));
  const { messages, pkg } = await publint({ pack: { tarball: bytes.buffer }, level: 'suggestion', strict: true });
  expect(messages.map((m) => `${m.type}: ${formatMessage(m, pkg)}`)).toEqual([]);
});

test('arethetypeswrong finds nothing in the tarball (an ES-module-only package)', async () => {
  // esm-only: CommonJS consumers require() the ES module (Node >= 20.19, tested below), and
  // TypeScript's node10 resolution (which ignores "exports") is gone from TypeScript 7.
  const attw = join(ROOT, 'node_modules', '.bin', 'attw');
  await run(attw, [tarball, '--profile', 'esm-only', '--no-definitely-typed', '--format', 'table-flipped', '--no-color'], work);
});

test('Node (plain ES module import) computes the classic values exactly', async () => {
  const { stdout } = await run(process.execPath, ['main.mjs'], esm);
  console.log(`Node ${process.version}: ${stdout}`);
  expect(JSON.parse(stdout)).toStrictEqual(CLASSIC_EXPECTED);
});

test('Node (CommonJS require) computes the classic values exactly', async () => {
  // Node 20.19+ and 22.12+ require() synchronous ES modules without a flag; 20.17-20.18 need it.
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const flags = major > 20 || (major === 20 && minor >= 19) ? [] : ['--experimental-require-module'];
  const { stdout } = await run(process.execPath, [...flags, 'main.cjs'], cjs);
  expect(JSON.parse(stdout)).toStrictEqual(CLASSIC_EXPECTED);
});

test('the harness entry loads the shipped goldens and the classic case passes through the port', async () => {
  const { stdout } = await run(process.execPath, ['harness.mjs'], esm);
  const { goldenDir, results, joined } = JSON.parse(stdout) as {
    goldenDir: string;
    results: { torch: string; ok: boolean }[];
    joined: boolean;
  };
  expect(joined).toBe(true);
  expect(realpathSync(goldenDir)).toBe(realpathSync(join(esm, 'node_modules', 'torch-loss-parity', 'golden')));
  const torches = repoGoldens().filter(({ golden }) => golden.cases.some((c) => c.id === CLASSIC_CASE));
  expect(torches.length, `golden files with ${CLASSIC_CASE}`).toBeGreaterThanOrEqual(CLASSIC_TORCH_VERSIONS.length);
  expect(results).toEqual(
    torches.map(({ golden }) => ({ torch: golden.torch, ok: true, output: CLASSIC_EXPECTED['1.13.0a0'].multilabelSoftMargin })),
  );
});

test('torch-loss-parity/vitest and /arbitraries in a fresh vitest project: tsc accepts toMatchTorch, the golden cases pass, a wrong result names its element', async () => {
  // test/consumers/vitest: vitest (the optional peer dependency) installed beside the tarball.
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  await run(process.execPath, [tsc, '-p', 'tsconfig.json'], vitestProject);
  const report = join(vitestProject, 'report.json');
  await run(
    join(vitestProject, 'node_modules', '.bin', 'vitest'),
    ['run', '--reporter=json', `--outputFile=${report}`],
    vitestProject,
    300_000,
  );
  const result = JSON.parse(readFileSync(report, 'utf8')) as { numPassedTests: number; numFailedTests: number; numTotalTests: number };
  console.log(`consumer vitest suite: ${result.numPassedTests} of ${result.numTotalTests} passed`);
  // goldenCases('soft_margin_loss', { torch: '2.14' }) runs every 2.14 set: avx2 and avx512.
  const sets = repoGoldens().filter((g) => g.golden.loss === 'soft_margin_loss' && g.golden.torch.startsWith('2.14'));
  expect(sets.map((g) => g.golden.environment.cpu_capability).sort()).toEqual(['avx2', 'avx512']);
  const cases = sets.reduce((n, g) => n + g.golden.cases.length, 0);
  expect(result).toMatchObject({ numFailedTests: 0, numTotalTests: cases + 3, numPassedTests: cases + 3 });
});

test.each(['node16', 'bundler'])(
  'TypeScript (moduleResolution %s, strict, noUncheckedIndexedAccess) type-checks a consumer',
  async (resolution) => {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [tsc, '-p', `tsconfig.${resolution}.json`], esm);
  },
);

test('Node 24 runs the TypeScript consumer (type stripping) and plain import, exactly', async () => {
  const node24 = runtimeBin('node');
  expect((await run(node24, ['--version'], esm)).stdout).toMatch(/^v24\./);
  expect(JSON.parse((await run(node24, ['main.ts'], esm)).stdout)).toStrictEqual(CLASSIC_EXPECTED);
  expect(JSON.parse((await run(node24, ['main.mjs'], esm)).stdout)).toStrictEqual(CLASSIC_EXPECTED);
});

test('Bun imports the tarball and computes the classic values exactly', async () => {
  const { stdout } = await run(runtimeBin('bun'), ['main.mjs'], esm);
  expect(JSON.parse(stdout)).toStrictEqual(CLASSIC_EXPECTED);
});

test('Deno imports the tarball and computes the classic values exactly', async () => {
  const env = { DENO_DIR: join(RUNTIMES, 'deno-dir'), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' };
  const { stdout } = await run(runtimeBin('deno'), ['run', '--no-prompt', 'main.mjs'], esm, 120_000, env);
  expect(JSON.parse(stdout)).toStrictEqual(CLASSIC_EXPECTED);
});

test('the installed library entry bundles for the browser without Node modules, within its gzip budget', async () => {
  const { code, nodeImports } = await bundleLibrary(`export * from 'torch-loss-parity';`, esm);
  expect(nodeImports).toEqual([]);
  const gzipped = gzipSync(code, { level: 9 }).length;
  console.log(`installed library entry, esbuild --bundle --minify (browser): ${code.length} B, gzip -9 ${gzipped} B`);
  expect(gzipped).toBeLessThanOrEqual(GZIP_BUDGET_BYTES);
});

test('an esbuild bundle in headless Chromium computes the classic values exactly, with the kernels and the JS loops', async () => {
  const { code, nodeImports } = await bundleLibrary(`import './browser.mjs';`, esm, 'iife');
  expect(nodeImports).toEqual([]);
  writeFileSync(join(esm, 'bundle.js'), code);
  const profile = mkdtempSync(join(work, 'chromium-'));
  const browser = await launchChromium(profile);
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(pathToFileURL(join(esm, 'index.html')).href, { timeout: 60_000 });
    await page.waitForFunction('globalThis.classic !== undefined', { timeout: 60_000 });
    const got = (await page.evaluate('({ classic: globalThis.classic, wasmInstances: globalThis.wasmInstances })')) as {
      classic: { kernels: unknown; loops: unknown };
      wasmInstances: number;
    };
    expect(errors).toEqual([]);
    // the kernels, and where relaxed SIMD validates (Chromium: on) the probe of its fused multiply-add (ts/wasm/module.ts)
    expect(got.wasmInstances, 'the float32 kernels were instantiated').toBeGreaterThanOrEqual(1);
    expect(got.wasmInstances).toBeLessThanOrEqual(2);
    expect(got.classic.kernels).toStrictEqual(CLASSIC_EXPECTED);
    expect(got.classic.loops).toStrictEqual(CLASSIC_EXPECTED);
  } finally {
    await browser.close();
  }
});

test('the bin: help for the CLI and each subcommand; parity --json from the installed goldens is pure JSON and all agree', async () => {
  const bin = join(esm, 'node_modules', '.bin', 'torch-loss-parity');
  const { stdout } = await run(bin, ['--help'], esm);
  for (const command of ['parity', 'golden', 'bench', 'fuzz']) {
    expect(stdout).toContain(command);
    expect((await run(bin, [command, '--help'], esm)).stdout).toMatch(/^Usage: torch-loss-parity /);
  }
  // Exit status 0: every golden case of the shipped goldens agrees with the installed ports.
  const parity = await run(bin, ['parity', '--json'], esm, 300_000);
  expect(JSON.parse(parity.stdout)).toBeTypeOf('object');
});
