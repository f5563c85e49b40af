// npm run golden [-- --torch 1.13|2.6|sid ...] [--check] [--against VERSION] [--seed N] [--timeout S] [--golden-dir DIR] [--report-dir DIR]
//
// Regenerates goldens with real torch, prints what moved, runs the ports against the new set and
// replaces golden/ at one commit point (scripts/lib/golden-run.ts says how); --check writes nothing.
// Run as one process (node --import tsx): tsx's relay would kill it before its signal handler ends.

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultGoldenRunOptions, runGolden, type GoldenRunOptions } from './lib/golden-run.ts';
import { HarnessError } from './lib/torch-python.ts';

const USAGE = 'usage: npm run golden [-- --torch 1.13|2.6|sid ...] [--check] [--against VERSION] [--seed N] [--timeout SECONDS] [--golden-dir DIR] [--report-dir DIR]';
const log = (line: string) => process.stderr.write(`${line}\n`);

function options(): GoldenRunOptions | null {
  const { values } = parseArgs({
    options: {
      torch: { type: 'string', multiple: true },
      check: { type: 'boolean', default: false },
      against: { type: 'string' },
      seed: { type: 'string' },
      timeout: { type: 'string' },
      'golden-dir': { type: 'string' },
      'report-dir': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return null;
  const opts = defaultGoldenRunOptions();
  const integer = (flag: string, raw: string, min: number) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new HarnessError(`--${flag} must be an integer >= ${min}, got '${raw}'`);
    return n;
  };
  opts.check = values.check;
  if (values.torch) opts.torch = values.torch;
  if (values.against !== undefined) opts.against = values.against;
  if (values.seed !== undefined) opts.seed = integer('seed', values.seed, 0);
  if (values.timeout !== undefined) opts.timeoutSeconds = integer('timeout', values.timeout, 1);
  if (values['golden-dir'] !== undefined) opts.goldenDir = resolve(values['golden-dir']);
  if (values['report-dir'] !== undefined) opts.reportDir = resolve(values['report-dir']);
  return opts;
}

try {
  const opts = options();
  if (!opts) log(USAGE);
  process.exitCode = opts ? await runGolden(opts, log) : 0;
} catch (e) {
  log(`golden: ${(e as Error).message}\n${USAGE}`);
  process.exitCode = 2;
}
