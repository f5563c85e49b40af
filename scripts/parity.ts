// npm run parity [-- --json] [--torch VERSION] [--loss STEM]
//
// The main job: every golden case of every torch version through the ports, summarised as a table
// per torch version x loss x dtype x kind (output, grad, error). Exits non-zero on any failure.

import { parseArgs } from 'node:util';
import { loadGoldens } from '../ts/golden/run.ts';
import { parity, parityTable } from './lib/parity.ts';

const { values: opts } = parseArgs({
  options: { json: { type: 'boolean', default: false }, torch: { type: 'string' }, loss: { type: 'string' } },
});

const started = performance.now();
const goldens = loadGoldens().filter(
  (g) => (!opts.torch || g.golden.torch.startsWith(opts.torch)) && (!opts.loss || g.golden.loss === opts.loss),
);
if (goldens.length === 0) {
  process.stderr.write('npm run parity: no golden files matched (golden/torch-<version>/<stem>.json)\n');
  process.exit(2);
}
const rows = parity(goldens);
const failures = rows.flatMap((r) => r.failures.map((f) => ({ torch: r.torch, loss: r.loss, kind: r.kind, ...f })));
const seconds = (performance.now() - started) / 1000;

if (opts.json) {
  process.stdout.write(`${JSON.stringify({ rows: rows.map(({ failures: _, ...r }) => r), failures, seconds }, null, 2)}\n`);
} else {
  process.stdout.write(`${parityTable(rows)}\n\n`);
  for (const f of failures) process.stdout.write(`FAIL torch ${f.torch} ${f.kind} ${f.id}: ${f.message}\n`);
  const total = rows.reduce((n, r) => n + r.cases, 0);
  process.stdout.write(`${total - failures.length} passed, ${failures.length} failed (${goldens.length} golden files, ${seconds.toFixed(1)} s)\n`);
}
process.exit(failures.length > 0 ? 1 : 0);
