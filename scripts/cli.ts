#!/usr/bin/env node
// torch-loss-parity: the package's command line (its bin; npm run parity / golden / bench / fuzz).
// commander parses and writes the help. Exit codes: 0 done and everything agrees, 1 a port disagrees
// with torch (a failing case), 2 bad usage or a harness problem (no torch, a malformed golden file),
// always as one line on stderr, never a stack trace; golden: 130 after a signal.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { GOLDEN_DIR, PACKAGE_ROOT } from '../ts/golden/paths.ts';
import { LOSS_STEMS, type LossStem } from '../ts/losses/registry.ts';
import { CLASSES, type BenchTorch } from './bench.ts';
import type { ParityOptions } from './parity.ts';
import { WHOLE, parseShard, type Shard } from './lib/shard.ts';
import type { HarnessError, Interpreter } from './lib/torch-python.ts';
import { CPU_CAPABILITIES, type CpuCapability } from '../ts/torch-version.ts';
// Each subcommand loads its modules when it runs (execa, fast-check, zod, the golden pipeline take
// seconds to load on a busy machine): --help and usage errors answer at once.

const NAME = 'torch-loss-parity';

/** parity --json (scripts/parity.ts writes it). */
const PARITY_JSON = `{ "goldenFiles": N, "shard": "i/n", "passed": N, "failed": N, "seconds": S,
    "rows": [{ torch, loss, dtype, kind, cases, passed, maxAbs, maxRel, maxUlp, worst }],
    "cases": [{ torch, loss, dtype, id, kind, ok }],   (one per check: kind output | grad | error)
    "failures": [{ torch, loss, dtype, kind, id, message }] }
  (torch: the release, with its CPU capability where it is not the pinned avx2: "2.14.1+debian avx512")`;

/** fuzz --json (runFuzz in scripts/lib/fuzz.ts writes it). */
const FUZZ_JSON = `{ "torch": { torch, python, cpu_capability, threads }, "seed": N, "runs": N, "shard": "i/n",
    "agreed": N, "failed": N, "seconds": S,
    "losses": [{ loss, agreed, interrupted, failed }],   (failed: one case disagreed, in "failures")
    "cases": [{ loss, run, key }],   (each case that agreed: its run and a hash of the drawn case)
    "failures": [{ loss, seed, run, shrinks, path, message, golden, regressionFile }] }`;

const log = (line: string) => process.stderr.write(`${line}\n`);

// A reader that stops early (`| head`) closes the pipe: that ends the run quietly, not in a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(process.exitCode ?? 0);
});

// Value parsers (commander argParser): a bad value is a one-line usage error naming the option.
function integer(min: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected a whole number >= ${min}.`);
    return n;
  };
}

/** --loss a,b (repeatable): registered stems only. */
function lossList(raw: string, previous: LossStem[] | undefined): LossStem[] {
  const stems = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (stems.length === 0) throw new InvalidArgumentError(`expected one or more of ${LOSS_STEMS.join(', ')}.`);
  for (const s of stems) {
    if (!(LOSS_STEMS as string[]).includes(s)) throw new InvalidArgumentError(`unknown loss '${s}': expected ${LOSS_STEMS.join(', ')}.`);
  }
  return [...new Set([...(previous ?? []), ...(stems as LossStem[])])];
}

/** --sizes 1e3,1e5: whole numbers of elements, each a multiple of the benchmark's row length. */
function sizeList(raw: string): number[] {
  return raw.split(',').map((s) => {
    const n = Number(s);
    if (s.trim() === '' || !Number.isSafeInteger(n) || n < CLASSES || n % CLASSES !== 0) {
      throw new InvalidArgumentError(`'${s}' is not a whole number of elements >= ${CLASSES} and a multiple of ${CLASSES}.`);
    }
    return n;
  });
}

/** --cpu-capability avx2,avx512: ATEN_CPU_CAPABILITY values. */
function capabilityList(raw: string): CpuCapability[] {
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = list.find((c) => !(CPU_CAPABILITIES as readonly string[]).includes(c));
  if (list.length === 0 || bad !== undefined) throw new InvalidArgumentError(`expected one or more of ${CPU_CAPABILITIES.join(', ')}.`);
  return [...new Set(list as CpuCapability[])];
}

function repeatable(raw: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), raw];
}

function command(raw: string): string {
  if (raw.trim() === '') throw new InvalidArgumentError('expected a command, e.g. /usr/bin/python3 or "chroot /srv/trixie python3".');
  return raw.trim();
}

function shardOption(): Option {
  return new Option(
    '--shard <i/n>',
    'run only shard i of n (1-based); the n shards are disjoint and together make the whole run',
  ).argParser(parseShard);
}

function torchPythonOption(): Option {
  return new Option('--torch-python <cmd>', 'the Python with torch to run (a command, split at spaces; overrides TORCH_PYTHON)').argParser(
    command,
  );
}

/**
 * The torch for fuzz and bench: --torch-python, else TORCH_PYTHON, else Debian's python3-torch or
 * a chroot `golden` built. When it does not start, the torch probe says why in plain words.
 */
async function startTorch(torchPython: string | undefined): Promise<BenchTorch> {
  const { TorchWorker, findTorchInterpreter } = await import('./lib/torch-worker.ts');
  const { probeTorch } = await import('./lib/torch-python.ts');
  const given: Interpreter | null = torchPython ? { command: torchPython.split(/\s+/), origin: '--torch-python' } : null;
  const { interp, why } = given ? { interp: given, why: '' } : await findTorchInterpreter(); // TORCH_PYTHON first
  if (!interp) return { worker: null, why };
  try {
    return { worker: await TorchWorker.start(interp) };
  } catch (e) {
    try {
      await probeTorch(interp);
    } catch (probe) {
      return { worker: null, why: (probe as Error).message };
    }
    return { worker: null, why: (e as Error).message };
  }
}

/** A usage error as one line, and where to read more. */
function oneLineErrors(cmd: Command, name: string): Command {
  return cmd.configureOutput({ outputError: (text, write) => write(`${text.trim().replace(/\s*\n\s*/g, ' ')} (see ${name} --help)\n`) });
}

/** A subcommand's help ends with its exit codes, notes and an example; its errors point at that help. */
function example(cmd: Command, lines: string): Command {
  return oneLineErrors(cmd, `${NAME} ${cmd.name()}`).addHelpText('after', `\n${lines}`);
}

function cli(): Command {
  const version = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const program = new Command(NAME)
    .description('TypeScript ports of PyTorch losses, checked against real torch: goldens, fuzzing, benchmarks')
    .version(version)
    .showHelpAfterError(false)
    .exitOverride();
  oneLineErrors(program, NAME);
  program.addHelpText(
    'after',
    `\nExit status: 0 all agree, 1 a port disagrees with torch, 2 bad usage or a harness problem.\n\nExample:\n  $ ${NAME} parity --torch 2.6 --loss binary_cross_entropy_with_logits`,
  );

  example(
    program
      .command('parity')
      .description(
        'run every golden case of every torch version through the ports; a table per torch x loss x dtype x kind (output, grad, error)',
      )
      .option('--json', 'write the results as JSON on stdout (schema below)')
      .option('--torch <version>', 'only this torch version (or prefix at a version boundary: 2.6 is 2.6.0+debian)')
      .addOption(new Option('--loss <stems>', `only these losses (comma list or repeated): ${LOSS_STEMS.join(', ')}`).argParser(lossList))
      .addOption(shardOption())
      .option('--html <file>', 'also write a self-contained HTML report to this file')
      .option(
        '--golden-dir <dir>',
        'the golden folder (cases/<stem>.json and torch-<version>/<stem>.json: golden format 3)',
        process.env.TORCH_PARITY_GOLDEN_DIR || GOLDEN_DIR,
      )
      .action(async (o: { json?: boolean; torch?: string; loss?: LossStem[]; shard?: Shard; html?: string; goldenDir: string }) => {
        const options: ParityOptions = { goldenDir: resolve(o.goldenDir), shard: o.shard ?? WHOLE, json: o.json === true };
        if (o.torch !== undefined) options.torch = o.torch;
        if (o.loss) options.losses = o.loss;
        if (o.html !== undefined) options.html = resolve(o.html);
        const { runParity } = await import('./parity.ts');
        process.exitCode = await runParity(options, log);
      }),
    `Exit status: 0 all pass, 1 any case fails, 2 bad usage or a malformed golden file.\n\nJSON (--json):\n  ${PARITY_JSON}\nThrough npm, add -s (npm run -s parity -- --json): npm prints a banner on stdout otherwise.\n\nExample:\n  $ ${NAME} parity --torch 1.13 --loss soft_margin_loss,binary_cross_entropy_with_logits --shard 1/2 --json > shard-1.json`,
  );

  example(
    program
      .command('golden')
      .description('regenerate the goldens with real torch (or --check them), print what moved, run the ports against the new set')
      .addOption(
        new Option(
          '--torch <id>',
          'a torch version to regenerate: 1.7, 1.13, 2.6 or sid (repeatable; default all; ignored when TORCH_PYTHON is set)',
        ).argParser(repeatable),
      )
      .addOption(
        new Option(
          '--cpu-capability <list>',
          "the ATEN_CPU_CAPABILITY sets to make (comma list of default, avx2, avx512; default each version's own: avx2, and avx512 too for sid)",
        ).argParser(capabilityList),
      )
      .option('--check', 'write nothing; fail unless the regenerated goldens are byte-identical')
      .option('--against <version>', 'the committed torch version the drift report compares with')
      .addOption(new Option('--seed <n>', 'the generator seed').argParser(integer(0)).default(1234))
      .addOption(
        new Option('--timeout <seconds>', 'kill each torch process after this long (default TORCH_PARITY_TIMEOUT or 1800)').argParser(
          integer(1),
        ),
      )
      .option('--golden-dir <dir>', 'the golden folder to regenerate (default golden/, or TORCH_PARITY_GOLDEN_DIR)')
      .option(
        '--report-dir <dir>',
        'where drift.md, drift.json and drift.html go (default reports/ of the package; with --cases, ./reports)',
      )
      .option(
        '--cases <file>',
        "a case module of your own (docs/case-modules.md) instead of this library's losses: goldens for any torch function, into --golden-dir",
      )
      .action(
        async (
          o: {
            torch?: string[];
            cpuCapability?: CpuCapability[];
            check?: boolean;
            against?: string;
            seed: number;
            timeout?: number;
            goldenDir?: string;
            reportDir?: string;
            cases?: string;
          },
          cmd: Command,
        ) => {
          const { findTarget } = await import('./lib/torch-python.ts');
          for (const id of o.torch ?? []) {
            try {
              findTarget(id);
            } catch (e) {
              cmd.error(`error: option '--torch <id>' argument '${id}' is invalid. ${(e as Error).message}.`);
            }
          }
          const { defaultGoldenRunOptions, runGolden } = await import('./lib/golden-run.ts');
          const options = defaultGoldenRunOptions();
          options.check = o.check === true;
          options.seed = o.seed;
          if (o.torch) options.torch = o.torch;
          if (o.cpuCapability) options.cpuCapabilities = o.cpuCapability;
          if (o.against !== undefined) options.against = o.against;
          if (o.timeout !== undefined) options.timeoutSeconds = o.timeout;
          if (o.goldenDir !== undefined) options.goldenDir = resolve(o.goldenDir);
          if (o.cases !== undefined) {
            if (o.goldenDir === undefined)
              cmd.error("error: option '--cases <file>' needs --golden-dir DIR: a case module's goldens go to a folder of yours");
            options.cases = resolve(o.cases);
            if (o.reportDir === undefined && !process.env.TORCH_PARITY_REPORT_DIR) options.reportDir = resolve('reports');
          }
          if (o.reportDir !== undefined) options.reportDir = resolve(o.reportDir);
          process.exitCode = await runGolden(options, log);
        },
      ),
    `Exit status: 0 done (or --check: identical), 1 a difference or a failing case, 2 a harness problem, 130 interrupted.\n\nExample:\n  $ ${NAME} golden --torch 1.13 --check\n  $ TORCH_PYTHON=/usr/bin/python3 ${NAME} golden --cases sigmoid_focal_loss.py --golden-dir golden`,
  );

  example(
    program
      .command('bench')
      .description(
        'time forward and forward + backward of the ports against torch (1 and all threads) and TensorFlow.js, in ns per element',
      )
      .addOption(
        new Option('--sizes <list>', 'elements per input, comma list').argParser(sizeList).default([1e3, 1e5, 1e6, 1e7], '1e3,1e5,1e6,1e7'),
      )
      .addOption(
        new Option('--repeats <n>', 'timed calls per measurement below 1e6 elements (1e6: 5, 1e7: 3)').argParser(integer(1)).default(7),
      )
      .option('--json <file>', 'where the rows go as JSON', 'reports/bench.json')
      .addOption(
        new Option('--losses <stems>', `the losses to time (comma list; default all): ${LOSS_STEMS.join(', ')}`).argParser(lossList),
      )
      .option('--js-loops', 'time float32 through the JS loops instead of the WebAssembly kernels')
      .option('--cold-allocator', 'time the ports without the allocator warm-up (fresh memory page-faults)')
      .addOption(torchPythonOption())
      .action(
        async (o: {
          sizes: number[];
          repeats: number;
          json: string;
          losses?: LossStem[];
          jsLoops?: boolean;
          coldAllocator?: boolean;
          torchPython?: string;
        }) => {
          const { runBench } = await import('./bench.ts');
          const torch = await startTorch(o.torchPython);
          try {
            process.exitCode = await runBench(
              {
                sizes: o.sizes,
                repeats: o.repeats,
                json: resolve(o.json),
                losses: o.losses ?? LOSS_STEMS,
                jsLoops: o.jsLoops === true,
                coldAllocator: o.coldAllocator === true,
              },
              torch,
              log,
            );
          } finally {
            await torch.worker?.close();
          }
        },
      ),
    `Without torch the torch columns are empty, without TensorFlow.js (a devDependency) the tfjs column; the output says why.\n\nExample:\n  $ ${NAME} bench --sizes 1e3,1e5 --losses soft_margin_loss --repeats 3 --json /tmp/bench.json`,
  );

  example(
    program
      .command('fuzz')
      .description(
        'live differential fuzzing: arbitrary cases through the ports and a running torch; prints each disagreement shrunk, as a golden-format case',
      )
      .addOption(torchPythonOption())
      .addOption(new Option('--runs <n>', 'cases drawn per loss').argParser(integer(1)).default(250))
      .addOption(
        new Option('--loss <stems>', `only these losses (comma list or repeated; default all): ${LOSS_STEMS.join(', ')}`).argParser(
          lossList,
        ),
      )
      .addOption(
        new Option('--seed <n>', "fast-check's seed (default: a random one, printed); required with --shard").argParser(integer(0)),
      )
      .addOption(shardOption())
      .option('--json', 'write the results as JSON on stdout (schema below)')
      .action(async (o: { torchPython?: string; runs: number; loss?: LossStem[]; seed?: number; shard?: Shard; json?: boolean }) => {
        const shard = o.shard ?? WHOLE;
        if (shard.count > 1 && o.seed === undefined)
          throw new UsageError("option '--shard' needs --seed N: every shard must draw the same cases (see torch-loss-parity fuzz --help)");
        const torch = await startTorch(o.torchPython);
        if (!torch.worker) throw new Error(`fuzz: no torch to fuzz against: ${torch.why}`);
        try {
          const { runFuzz } = await import('./lib/fuzz.ts');
          const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
          process.exitCode = await runFuzz(
            torch.worker,
            { losses: o.loss ?? LOSS_STEMS, runs: o.runs, seed, shard, json: o.json === true },
            log,
          );
        } finally {
          await torch.worker.close();
        }
      }),
    `Exit status: 0 all agree, 1 any disagreement, 2 no torch, bad usage or a torch worker failure.\n\nJSON (--json):\n  ${FUZZ_JSON}\nThrough npm, add -s (npm run -s fuzz -- --json): npm prints a banner on stdout otherwise.\n\nExample:\n  $ ${NAME} fuzz --torch-python /usr/bin/python3 --loss soft_margin_loss --runs 500 --seed 7 --shard 1/4`,
  );
  example(
    program
      .command('check')
      .description(
        'check any implementation against the torch goldens: a JS/TS module (--impl) or a program in any language (--command, JSON lines; docs/conformance-spec.md)',
      )
      .option('--impl <module>', 'an ES module exporting torch functional names (or a torch-loss-parity.config.ts / .json)')
      .option('--command <cmd>', 'a program speaking the JSON-lines protocol on stdin / stdout (run by /bin/sh -c)')
      .option(
        '--golden <dir>',
        'the golden folder (torch-<version>/<stem>.json; default golden/ of the package, or TORCH_PARITY_GOLDEN_DIR)',
      )
      .addOption(
        new Option('--loss <stems>', 'only these losses (comma list or repeated; default every loss the implementation has)').argParser(
          (raw: string, previous: string[] | undefined) => [
            ...new Set([
              ...(previous ?? []),
              ...raw
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean),
            ]),
          ],
        ),
      )
      .option('--torch <version>', 'the torch release the implementation is held to (prefix: 2.6 is 2.6.0+debian; default the newest)')
      .addOption(
        new Option(
          '--cpu-capability <c>',
          "whose goldens: avx2 (default; torch-<version>/) or avx512 (torch-<version>-avx512/, the newest torch's AVX-512 kernels)",
        ).choices(CPU_CAPABILITIES),
      )
      .option('--json', 'write the report as JSON on stdout')
      .option('--html <file>', 'also write a self-contained HTML report to this file')
      .addOption(
        new Option('--timeout <seconds>', 'seconds each case may take before the implementation is killed (default 10)').argParser(
          integer(1),
        ),
      )
      .option('--strict-errors', "error cases pass only with torch's exception type and a message its regex matches")
      .addOption(
        new Option('--max-broken <n>', 'after n broken cases in a row (crash, hang, malformed reply) run no more')
          .argParser(integer(1))
          .default(10),
      )
      .action(
        async (o: {
          impl?: string;
          command?: string;
          golden?: string;
          loss?: string[];
          torch?: string;
          cpuCapability?: CpuCapability;
          json?: boolean;
          html?: string;
          timeout?: number;
          strictErrors?: boolean;
          maxBroken: number;
        }) => {
          const { runCheck } = await import('./lib/check.ts');
          process.exitCode = await runCheck(
            {
              ...(o.impl === undefined ? {} : { impl: o.impl }),
              ...(o.command === undefined ? {} : { command: o.command }),
              golden: o.golden ?? (process.env.TORCH_PARITY_GOLDEN_DIR || GOLDEN_DIR),
              ...(o.loss === undefined ? {} : { losses: o.loss }),
              ...(o.torch === undefined ? {} : { torch: o.torch }),
              ...(o.cpuCapability === undefined ? {} : { cpuCapability: o.cpuCapability }),
              json: o.json === true,
              ...(o.html === undefined ? {} : { html: o.html }),
              ...(o.timeout === undefined ? {} : { timeout: o.timeout }),
              strictErrors: o.strictErrors === true,
              maxBroken: o.maxBroken,
              cwd: process.cwd(),
            },
            log,
          );
        },
      ),
    `Exit status: 0 every case of the held torch release passes, 1 a case fails, 2 a broken implementation (it does not start, crashes, hangs, answers outside the protocol, a function is not a function) or bad usage.\n\nExample:\n  $ ${NAME} check --impl examples/textbook-bce/bce.mjs --torch 2.14\n  $ ${NAME} check --command "python3 examples/numpy/bce_numpy.py" --html report.html`,
  );
  return program;
}

/** A usage problem found after parsing (options that only make sense together). */
class UsageError extends Error {}

async function main(argv = process.argv): Promise<number> {
  try {
    await cli().parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2; // commander has printed it (help: 0)
    const message = e instanceof Error ? e.message : String(e);
    log(e instanceof UsageError ? `error: ${message}` : message);
    return e instanceof Error && e.name === 'HarnessError' ? (e as HarnessError).exitCode : 2;
  }
}

process.exitCode = await main();
