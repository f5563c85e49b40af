// `torch-loss-parity parity` (npm run parity): the main job. Every golden case of every torch
// version through the ports, summarised as a table per torch version x loss x dtype x kind (output,
// grad, error); exit 1 on any failure. --shard i/n takes the cases whose hash of torch version,
// loss and case id falls in shard i of n. The --json output is described in scripts/cli.ts (PARITY_JSON):
// keep the two in step (test/cli.test.ts checks the keys).

import { writeFileSync } from 'node:fs';
import { loadGoldens, type LoadedGolden } from '../ts/golden/run.ts';
import { goldenSetLabel, type GoldenCase } from '../ts/golden/schema.ts';
import type { LossStem } from '../ts/losses/registry.ts';
import { parity, parityTable } from './lib/parity.ts';
import { torchMatches } from '../ts/torch-version.ts';
import { describeShard, keyInShard, type Shard } from './lib/shard.ts';

export interface ParityOptions {
  goldenDir: string;
  /** A torch version or its prefix at a version boundary: 2.6 matches 2.6.0+debian, not 2.60. */
  torch?: string;
  losses?: LossStem[];
  shard: Shard;
  json: boolean;
  /** Also write the HTML report here. */
  html?: string;
}

/** What runCase checks in a case, in its order: the error, or the output and (with a backward) the gradients. */
const kindsOf = (c: GoldenCase) =>
  c.error ? (['error'] as const) : c.grads || c.grad_error ? (['output', 'grad'] as const) : (['output'] as const);

/** Runs the golden cases the options select; prints the table (or JSON) and returns the exit code. */
export async function runParity(options: ParityOptions, log: (line: string) => void): Promise<number> {
  const started = performance.now();
  const all = loadGoldens(options.goldenDir);
  const versions = [...new Set(all.map((g) => g.golden.torch))];
  const selected = all.filter(
    (g) =>
      (!options.torch || torchMatches(g.golden.torch, options.torch)) &&
      (!options.losses || options.losses.includes(g.golden.loss as LossStem)),
  );
  if (selected.length === 0) {
    const wanted = [options.torch && `--torch ${options.torch}`, options.losses && `--loss ${options.losses.join(',')}`]
      .filter(Boolean)
      .join(' ');
    log(
      `parity: no golden files in ${options.goldenDir} match ${wanted || 'golden/torch-<version>/<stem>.json'} (torch versions there: ${versions.join(', ') || 'none'})`,
    );
    return 2;
  }
  const goldens: LoadedGolden[] = selected.map((g) => ({
    ...g,
    golden: { ...g.golden, cases: g.golden.cases.filter((c) => keyInShard(`${g.golden.torch}/${g.golden.loss}/${c.id}`, options.shard)) },
  }));
  // The HTML report draws histograms and worst cases: collected only when asked for (slower).
  const rows = parity(goldens, { detail: options.html !== undefined });
  const failures = rows.flatMap((r) => r.failures.map((f) => ({ torch: r.torch, loss: r.loss, dtype: r.dtype, kind: r.kind, ...f })));
  const failed = new Set(failures.map((f) => [f.torch, f.loss, f.id, f.kind].join('|')));
  const cases = goldens.flatMap(({ golden }) => {
    const torch = goldenSetLabel(golden);
    return golden.cases.flatMap((c) =>
      kindsOf(c).map((kind) => ({
        torch,
        loss: golden.loss,
        dtype: c.dtype,
        id: c.id,
        kind,
        ok: !failed.has([torch, golden.loss, c.id, kind].join('|')),
      })),
    );
  });
  const seconds = (performance.now() - started) / 1000;
  if (options.html) {
    // The report module is loaded only when asked for: the table and JSON need none of it.
    const { parityHtml } = await import('./lib/html-report.ts');
    const meta = {
      command: `torch-loss-parity ${process.argv.slice(2).join(' ')}`,
      generatedAt: new Date().toISOString(),
      shard: describeShard(options.shard),
      goldenFiles: goldens.length,
      seconds,
    };
    writeFileSync(options.html, parityHtml(rows, meta));
    log(`wrote ${options.html}`);
  }
  const passed = cases.length - failures.length;
  if (options.json) {
    const report = {
      goldenFiles: goldens.length,
      shard: describeShard(options.shard),
      passed,
      failed: failures.length,
      seconds,
      rows: rows.map(({ failures: _, detail: __, ...r }) => r),
      cases,
      failures,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    process.stdout.write(`${parityTable(rows)}\n\n`);
    for (const f of failures) process.stdout.write(`FAIL torch ${f.torch} ${f.kind} ${f.id}: ${f.message}\n`);
    const shard = options.shard.count > 1 ? `, shard ${describeShard(options.shard)}` : '';
    process.stdout.write(`${passed} passed, ${failures.length} failed (${goldens.length} golden files${shard}, ${seconds.toFixed(1)} s)\n`);
  }
  return failures.length > 0 ? 1 : 0;
}
