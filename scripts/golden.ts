// npm run golden [-- --torch 1.13|2.6|sid ...] [--check] [--against VERSION] [--seed N]
//
// Regenerates goldens with real torch (every configured version, the --torch ones, or the one
// interpreter in TORCH_PYTHON), prints what moved against the committed goldens, then runs the
// ports against the new goldens. Files are staged outside golden/, validated, and moved in by
// rename only when all are complete; --check writes nothing and fails on any difference.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { GOLDEN_DIR, loadGoldens, type LoadedGolden } from '../ts/golden/run.ts';
import { parseGolden, type GoldenFile } from '../ts/golden/schema.ts';
import { LOSS_STEMS } from '../ts/losses/registry.ts';
import { compareTorchVersions } from '../ts/torch-version.ts';
import { driftBetween, driftMarkdown, type FileDrift } from './lib/drift.ts';
import { parity, parityTable } from './lib/parity.ts';
import {
  HarnessError, TORCH_TARGETS, findTarget, interpreterFromEnv, probeTorch, provision, startPython, type Interpreter,
} from './lib/torch-python.ts';

const REPO = new URL('..', import.meta.url).pathname;
const REPORT = join(REPO, 'reports', 'drift.md');

const { values: opts } = parseArgs({
  options: {
    torch: { type: 'string', multiple: true },
    check: { type: 'boolean', default: false },
    against: { type: 'string' },
    seed: { type: 'string', default: '1234' },
    help: { type: 'boolean', default: false },
  },
});

interface Generated {
  dir: string; // torch-<version>
  stem: string;
  text: string;
  golden: GoldenFile;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Runs python/goldens.py for one loss, showing progress; returns its stdout. */
async function generate(interp: Interpreter, torch: string, stem: string): Promise<string> {
  const started = Date.now();
  const child = startPython(interp, 'goldens.py', [stem, '--seed', opts.seed!]);
  const tail: string[] = [];
  let total = 0;
  let lastShown = 0;
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
      } else if (m[1] === 'total') total = Number(m[2]);
      else if (Date.now() - lastShown > 1000 || Number(m[2]) === total) {
        lastShown = Date.now();
        log(`  [torch ${torch}] ${stem}: ${m[2]}/${total} cases, ${((Date.now() - started) / 1000).toFixed(1)} s`);
      }
    }
  });
  const result = await child;
  if (result.exitCode !== 0) {
    throw new HarnessError(
      `the generator crashed for ${stem} under torch ${torch} (exit ${result.exitCode ?? result.signal}); the end of its stderr:\n` +
        [...tail, pending].filter(Boolean).join('\n'),
    );
  }
  return String(result.stdout);
}

/** The committed file a regenerated one is compared with: same torch, --against, or the newest older one. */
function baselineFor(g: Generated, committed: readonly LoadedGolden[]): LoadedGolden | null {
  const same = committed.filter((c) => c.golden.loss === g.stem);
  if (opts.against) return same.find((c) => c.golden.torch === opts.against || c.torchDir.startsWith(opts.against!)) ?? null;
  const exact = same.find((c) => c.golden.torch === g.golden.torch);
  if (exact) return exact;
  const older = same.filter((c) => compareTorchVersions(c.golden.torch, g.golden.torch) < 0);
  older.sort((a, b) => compareTorchVersions(b.golden.torch, a.golden.torch)); // newest first
  return older[0] ?? null;
}

/** Ids of cases whose JSON differs between two files of the same torch version. */
function differingCases(before: GoldenFile, after: GoldenFile): string[] {
  const old = new Map(before.cases.map((c) => [c.id, JSON.stringify(c)]));
  const ids = after.cases.filter((c) => old.get(c.id) !== JSON.stringify(c)).map((c) => c.id);
  const now = new Set(after.cases.map((c) => c.id));
  return ids.concat(before.cases.filter((c) => !now.has(c.id)).map((c) => `${c.id} (removed)`));
}

async function main(): Promise<number> {
  if (opts.help) {
    log('usage: npm run golden [-- --torch 1.13|2.6|sid ...] [--check] [--against VERSION] [--seed N]');
    return 0;
  }
  const fromEnv = interpreterFromEnv();
  if (fromEnv && opts.torch) log(`TORCH_PYTHON is set: using '${fromEnv.command.join(' ')}' and ignoring --torch`);
  const targets = fromEnv ? [null] : (opts.torch ?? TORCH_TARGETS.map((t) => t.id)).map(findTarget);

  const staging = mkdtempSync(join(REPO, '.golden-staging-'));
  const cleanup = () => rmSync(staging, { recursive: true, force: true });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      cleanup();
      log(`interrupted by ${signal}: golden/ is unchanged`);
      process.exit(130);
    });
  }
  try {
    const generated: Generated[] = [];
    for (const target of targets) {
      const interp = target ? await provision(target, log) : fromEnv!;
      const { torch, python } = await probeTorch(interp);
      log(`torch ${torch} (Python ${python}) from ${interp.origin}: ${interp.command.join(' ')}`);
      for (const stem of LOSS_STEMS) {
        const text = await generate(interp, torch, stem);
        const golden = parseGolden(text, `generated ${stem}.json for torch ${torch}`);
        if (golden.loss !== stem) throw new HarnessError(`the generator for ${stem} wrote a file for loss '${golden.loss}'`);
        const dir = `torch-${golden.torch}`;
        mkdirSync(join(staging, dir), { recursive: true });
        writeFileSync(join(staging, dir, `${stem}.json`), text);
        generated.push({ dir, stem, text, golden });
      }
    }

    // Loaded only now, so that a missing interpreter or a failing generator fails fast.
    const committed = loadGoldens();
    const drifts: FileDrift[] = generated.map((g) => driftBetween(baselineFor(g, committed)?.golden ?? null, g.golden));
    const markdown = `# Golden drift report\n\n${driftMarkdown(drifts)}`;
    process.stdout.write(`\n${markdown}\n`);

    if (opts.check) return check(generated, committed);

    const rows = parity(generated.map((g) => ({ file: g.dir, torchDir: g.dir, golden: g.golden })));
    process.stdout.write(`TypeScript ports against the new goldens:\n\n${parityTable(rows)}\n\n`);
    const failing = rows.flatMap((r) => r.failures.map((f) => `${r.loss} ${r.kind} ${f.id}: ${f.message}`));

    // Every file is complete and valid: move them in, each by one rename.
    for (const g of generated) {
      mkdirSync(join(GOLDEN_DIR, g.dir), { recursive: true });
      renameSync(join(staging, g.dir, `${g.stem}.json`), join(GOLDEN_DIR, g.dir, `${g.stem}.json`));
    }
    mkdirSync(dirname(REPORT), { recursive: true });
    writeFileSync(REPORT, markdown);
    log(`wrote ${generated.length} golden files under golden/ and the drift report to reports/drift.md`);
    if (failing.length > 0) {
      log(`\n${failing.length} checks now fail parity (the list to work through):\n${failing.join('\n')}`);
      return 1;
    }
    return 0;
  } finally {
    cleanup();
  }
}

function check(generated: readonly Generated[], committed: readonly LoadedGolden[]): number {
  let failed = false;
  for (const g of generated) {
    const path = join(GOLDEN_DIR, g.dir, `${g.stem}.json`);
    if (existsSync(path)) {
      const before = readFileSync(path, 'utf8');
      if (before === g.text) {
        log(`check: ${g.dir}/${g.stem}.json is byte-identical`);
        continue;
      }
      failed = true;
      const ids = differingCases(parseGolden(before, path), g.golden);
      log(`check FAILED: ${g.dir}/${g.stem}.json differs from the regenerated file in ${ids.length} case(s):\n  ${ids.slice(0, 50).join('\n  ')}`);
      if (ids.length === 0) log('  (the header or formatting differs)');
      continue;
    }
    const base = baselineFor(g, committed);
    if (!base) {
      failed = true;
      log(`check FAILED: no committed goldens for torch ${g.golden.torch} (${g.stem}) to check against`);
      continue;
    }
    const beyond = driftBetween(base.golden, g.golden).cases.filter((c) => c.parts.some((p) => p.status === 'beyond' || p.status === 'removed'));
    if (beyond.length > 0) {
      failed = true;
      log(`check FAILED: torch ${g.golden.torch} moved beyond tolerance from committed torch ${base.golden.torch} in ${beyond.length} case(s):\n  ${beyond.slice(0, 50).map((c) => c.id).join('\n  ')}`);
    } else log(`check: torch ${g.golden.torch} ${g.stem} is within tolerance of committed torch ${base.golden.torch}`);
  }
  log(failed ? 'check failed: golden/ was not modified' : 'check passed');
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    log(e instanceof HarnessError || e instanceof Error ? `npm run golden: ${(e as Error).message}\ngolden/ is unchanged.` : String(e));
    process.exit(e instanceof HarnessError ? e.exitCode : 2);
  },
);
