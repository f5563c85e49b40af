// The golden schema is strict: what the tests and parity would read wrongly, or not at all, is an
// error naming the file and the JSON path, on load (loadGoldens) as in `golden --check`.

import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { GOLDEN_DIR, PACKAGE_ROOT } from '../ts/golden/paths.ts';
import { loadGoldens } from '../ts/golden/run.ts';
import { joinGolden, MAX_TOLERANCE, parseCases, parseGolden, parseResults, tensorValues, type TensorJson } from '../ts/golden/schema.ts';

const work = mkdtempSync(join(tmpdir(), 'golden-schema-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const committedFile = join(GOLDEN_DIR, 'torch-1.13.0a0', 'soft_margin_loss.json');
const committedCasesFile = join(GOLDEN_DIR, 'cases', 'soft_margin_loss.json');
/** The committed results file (header + results), parsed. */
const committed = () => JSON.parse(readFileSync(committedFile, 'utf8'));
/** The committed cases file (header + cases), parsed. */
const committedCases = () => JSON.parse(readFileSync(committedCasesFile, 'utf8'));
const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

/**
 * loadGoldens on a copy of torch 1.13's folder and the cases folder, whose soft_margin_loss.json
 * results file is `bytes` (and cases file `cases`, when given); returns its error.
 */
function loadError(bytes: string | Buffer, dir = 'torch-1.13.0a0', name = 'soft_margin_loss.json', cases?: string | Buffer): string {
  const root = mkdtempSync(join(work, 'g-'));
  cpSync(join(GOLDEN_DIR, 'torch-1.13.0a0'), join(root, dir), { recursive: true });
  cpSync(join(GOLDEN_DIR, 'cases'), join(root, 'cases'), { recursive: true });
  if (name !== 'soft_margin_loss.json') rmSync(join(root, dir, 'soft_margin_loss.json'));
  writeFileSync(join(root, dir, name), bytes);
  if (cases !== undefined) writeFileSync(join(root, 'cases', 'soft_margin_loss.json'), cases);
  try {
    loadGoldens(root);
  } catch (e) {
    return (e as Error).message.replaceAll(root, '<dir>');
  }
  return 'loaded';
}

/** loadGoldens with the cases file edited (the results file unchanged, or made from the edit when `rehash`). */
function casesError(edit: (c: ReturnType<typeof committedCases>) => void, rehash = false): string {
  const c = committedCases();
  edit(c);
  const text = JSON.stringify(c);
  const results = committed();
  if (rehash) results.cases_sha256 = sha256(text);
  return loadError(JSON.stringify(results), 'torch-1.13.0a0', 'soft_margin_loss.json', text);
}

const edited = (edit: (g: ReturnType<typeof committed>) => void) => {
  const g = committed();
  edit(g);
  return JSON.stringify(g);
};

test('the committed goldens load under the strict schema', () => {
  expect(loadGoldens().length).toBeGreaterThanOrEqual(15);
  expect(loadError(readFileSync(committedFile))).toBe('loaded');
});

test('a loss without a port is rejected on load, naming the file', () => {
  expect(loadError(edited((g) => (g.loss = 'constructor')))).toMatch(
    /^<dir>\/torch-1\.13\.0a0\/soft_margin_loss\.json: invalid golden file at \$\.loss: .*soft_margin_loss/,
  );
});

test('unknown fields are rejected, at every level', () => {
  expect(loadError(edited((g) => (g.extra = 1)))).toMatch(/soft_margin_loss\.json: invalid golden file at \$: .*\(extra\)/);
  expect(casesError((c) => (c.cases[2].args.input.strides = [1]))).toMatch(
    /cases\/soft_margin_loss\.json: invalid cases file at \$\.cases\[2\]\.args\.input: .*\(strides\)/,
  );
  expect(loadError(edited((g) => (g.results[2].extra = 1)))).toMatch(/invalid golden file at \$\.results\[2\]: .*\(extra\)/);
  expect(casesError((c) => (c.extra = 1))).toMatch(/invalid cases file at \$: .*\(extra\)/);
  expect(loadError(edited((g) => (g.environment.gpu = 'none')))).toMatch(/invalid golden file at \$\.environment: .*\(gpu\)/);
});

test(`absurd tolerances are rejected (rtol and atol at most ${MAX_TOLERANCE})`, () => {
  expect(loadError(edited((g) => (g.tolerance.float32.atol = 1e300)))).toMatch(
    /invalid golden file at \$\.tolerance\.float32\.atol: Too big/,
  );
  expect(loadError(edited((g) => (g.tolerance.float64.rtol = 0.01)))).toMatch(
    /invalid golden file at \$\.tolerance\.float64\.rtol: Too big/,
  );
  expect(loadError(edited((g) => (g.tolerance.float64.rtol = MAX_TOLERANCE)))).toBe('loaded');
});

test('bytes that are not UTF-8 are rejected with their offset', () => {
  const bytes = readFileSync(committedFile);
  const at = bytes.indexOf('"python":"') + 10;
  const broken = Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff]), bytes.subarray(at)]);
  expect(loadError(broken)).toBe(
    `<dir>/torch-1.13.0a0/soft_margin_loss.json: not UTF-8 (the bytes from offset ${at} are not a valid UTF-8 sequence)`,
  );
  expect(() => parseResults(broken, 'x.json')).toThrow(/^x\.json: not UTF-8/);
  expect(() => parseGolden(broken, 'x.json', { cases: { source: readFileSync(committedCasesFile), file: 'c.json' } })).toThrow(
    /^x\.json: not UTF-8/,
  );
});

test('a torch version that is not a plain version, or not its folder, is rejected', () => {
  expect(loadError(edited((g) => (g.torch = '2.6/../../../escaped')))).toMatch(
    /invalid golden file at \$\.torch: torch must be a plain version/,
  );
  expect(loadError(edited((g) => (g.torch = '2.6.0+debian')))).toMatch(
    /soft_margin_loss\.json: invalid golden file at \$\.torch: '2\.6\.0\+debian' in the folder torch-1\.13\.0a0/,
  );
  // The CPU capability is part of the folder name (torch-<version>-avx512; avx2, pinned, unsaid).
  expect(loadError(edited((g) => (g.environment.cpu_capability = 'avx512')))).toMatch(
    /soft_margin_loss\.json: invalid golden file at \$\.environment\.cpu_capability: 'avx512' in the folder torch-1\.13\.0a0 \(torch-1\.13\.0a0-avx512 holds those\)/,
  );
  expect(loadError(readFileSync(committedFile), 'torch-1.13.0a0-avx512')).toMatch(
    /torch-1\.13\.0a0-avx512\/\w+\.json: invalid golden file at \$\.environment\.cpu_capability: 'avx2' in the folder torch-1\.13\.0a0-avx512 \(torch-1\.13\.0a0 holds those\)/,
  );
  expect(loadError(readFileSync(committedFile), 'torch-1.13.0a0-avx2')).toMatch(
    /invalid golden file at \$\.torch: '1\.13\.0a0' in the folder torch-1\.13\.0a0-avx2/,
  );
  expect(loadError(readFileSync(committedFile), 'torch-1.13.0a0', 'binary_cross_entropy_with_logits.json')).toMatch(
    /binary_cross_entropy_with_logits\.json: invalid golden file at \$\.loss: 'soft_margin_loss' in a file named binary_cross_entropy_with_logits\.json/,
  );
});

// Golden format 3's tensors (as format 2's): {shape, dtype, data | base64}.

/** The committed soft_margin_loss case 7 is float32 8x17 (base64), case 31 its float64 twin. */
const BASE64_F32 = 7;
const BASE64_F64 = 31;

test('the base64 tensors of the committed goldens decode exactly as Python decodes them for torch (float32, float64, int64)', async () => {
  // Every base64 tensor of torch 1.13's set: args, tensor kwargs, outputs, grad_outputs, grads.
  const tensors: TensorJson[] = [];
  for (const { golden } of loadGoldens().filter((g) => g.torchDir === '1.13.0a0')) {
    for (const c of golden.cases) {
      const all = [
        ...Object.values(c.args),
        ...Object.values(c.kwargs).filter((v): v is TensorJson => v !== null && typeof v === 'object'),
        c.output,
        c.grad_output,
        ...Object.values(c.grads ?? {}),
      ];
      for (const t of all) if (t?.base64 !== undefined) tensors.push(t);
    }
  }
  const dtypes = new Set(tensors.map((t) => t.dtype));
  expect([...dtypes].sort()).toEqual(['float32', 'float64', 'int64']);
  // python/samples.py values_of: the struct.unpack that feeds torch.tensor in the generator and the
  // worker (and decodes torch's results), so these are the values torch computed with and returned.
  // Floats as Python's repr (shortest round trip, '-0.0' keeps its sign), non-finite as strings.
  const script = [
    'import json, math, sys',
    `sys.path.insert(0, ${JSON.stringify(join(PACKAGE_ROOT, 'python'))})`,
    'import samples',
    'out = [[samples.encode_number(v) for v in samples.values_of(t)] for t in json.load(sys.stdin)]',
    'sys.stdout.write(json.dumps(out, allow_nan=False))',
  ].join('\n');
  const r = await execa('/usr/bin/python3', ['-c', script], { input: JSON.stringify(tensors) });
  const python = JSON.parse(r.stdout) as (number | string)[][];
  expect(python).toHaveLength(tensors.length);
  const seen = { nan: 0, inf: 0, negZero: 0, negInt: 0 };
  tensors.forEach((t, i) => {
    const got = Array.from(tensorValues(t));
    const want = python[i]!.map((v) => (typeof v === 'number' ? v : Number(v)));
    expect(got.length, `tensor ${i}`).toBe(t.shape.reduce((a, b) => a * b, 1));
    const first = got.findIndex((v, k) => !Object.is(v, want[k])); // NaN is NaN, -0 is not 0
    expect(first, `tensor ${i} (${t.dtype} [${t.shape}]) element ${first}: ${got[first]} vs Python's ${want[first]}`).toBe(-1);
    for (const v of got) {
      if (Number.isNaN(v)) seen.nan++;
      else if (!Number.isFinite(v)) seen.inf++;
      else if (Object.is(v, -0)) seen.negZero++;
      else if (t.dtype === 'int64' && v < 0) seen.negInt++;
    }
    // float32 values are float32: nothing between two float32s.
    if (t.dtype === 'float32') expect(got.every((v) => Object.is(Math.fround(v), v))).toBe(true);
  });
  // The committed values reach the edges: NaN, infinities, -0 and int64's -1 end-of-labels marker.
  for (const [what, n] of Object.entries(seen)) expect(n, what).toBeGreaterThan(0);
}, 60_000);

test('a base64 tensor whose length does not match its shape is rejected, naming the JSON path', () => {
  const c = committedCases().cases;
  expect(c[BASE64_F32].args.input.base64).toBeDefined();
  expect(c[BASE64_F32].args.input).toMatchObject({ dtype: 'float32', shape: [8, 17] });
  expect(c[BASE64_F64].args.input).toMatchObject({ dtype: 'float64', shape: [8, 17] });
  const bytes = (t: { base64: string }) => Buffer.from(t.base64, 'base64');
  const wrongLength = `invalid cases file at \\$\\.cases\\[(\\d+)\\]\\.args\\.(input|target): the number of values \\(data, or base64 bytes / dtype size\\) must equal the product of shape`;
  const at = (i: number, arg = 'input') =>
    new RegExp(`^<dir>/cases/soft_margin_loss\\.json: ${wrongLength.replace('(\\d+)', String(i)).replace('(input|target)', arg)}$`);
  // One float32 value more, one less; half a float64 value short; a 3-byte cut (not whole values).
  expect(
    casesError(
      (g) =>
        (g.cases[BASE64_F32].args.input.base64 = Buffer.concat([bytes(g.cases[BASE64_F32].args.input), Buffer.alloc(4)]).toString(
          'base64',
        )),
    ),
  ).toMatch(at(BASE64_F32));
  expect(
    casesError((g) => (g.cases[BASE64_F32].args.target.base64 = bytes(g.cases[BASE64_F32].args.target).subarray(4).toString('base64'))),
  ).toMatch(at(BASE64_F32, 'target'));
  expect(
    casesError((g) => (g.cases[BASE64_F64].args.input.base64 = bytes(g.cases[BASE64_F64].args.input).subarray(4).toString('base64'))),
  ).toMatch(at(BASE64_F64));
  expect(
    casesError((g) => (g.cases[BASE64_F32].args.input.base64 = bytes(g.cases[BASE64_F32].args.input).subarray(3).toString('base64'))),
  ).toMatch(at(BASE64_F32));
  // The same bytes under another shape or dtype: 8x17 float32 is not 8x16, nor 8x17 float64.
  expect(casesError((g) => (g.cases[BASE64_F32].args.input.shape = [8, 16]))).toMatch(at(BASE64_F32));
  expect(casesError((g) => (g.cases[BASE64_F32].args.input.dtype = 'float64'))).toMatch(at(BASE64_F32));
  // An inline list of the wrong length, too.
  expect(casesError((g) => g.cases[3].args.input.data.pop())).toMatch(at(3));
  // Not base64 at all.
  expect(casesError((g) => (g.cases[BASE64_F32].args.input.base64 = `*${g.cases[BASE64_F32].args.input.base64.slice(1)}`))).toMatch(
    /invalid cases file at \$\.cases\[7\]\.args\.input\.base64: base64 must be standard base64$/,
  );
});

test('a tensor sets exactly one of data and base64', () => {
  const both = (g: ReturnType<typeof committedCases>) =>
    (g.cases[BASE64_F32].args.input.data = Array.from(tensorValues(g.cases[BASE64_F32].args.input)));
  const neither = (g: ReturnType<typeof committedCases>) => delete g.cases[BASE64_F32].args.input.base64;
  const inlineNeither = edited((g) => delete g.results[3].output.data);
  expect(casesError(both)).toMatch(/invalid cases file at \$\.cases\[7\]\.args\.input: exactly one of data and base64 must be set$/);
  expect(casesError(neither)).toMatch(/invalid cases file at \$\.cases\[7\]\.args\.input: exactly one of data and base64 must be set$/);
  expect(loadError(inlineNeither)).toMatch(/invalid golden file at \$\.results\[3\]\.output: exactly one of data and base64 must be set$/);
  // The committed tensor itself, either way, is fine: its values as an inline list load as well
  // (with results that name the edited cases file's sha256).
  const inline = (g: ReturnType<typeof committedCases>) => {
    const t = g.cases[BASE64_F32].args.input;
    t.data = Array.from(tensorValues(t));
    delete t.base64;
  };
  expect(casesError(inline, true)).toBe('loaded');
  const c = committedCases();
  inline(c);
  const text = JSON.stringify(c);
  const results = edited((g) => (g.cases_sha256 = sha256(text)));
  expect(
    Array.from(tensorValues(parseGolden(results, 'x.json', { cases: { source: text, file: 'c.json' } }).cases[BASE64_F32]!.args.input!)),
  ).toEqual(Array.from(tensorValues(committedCases().cases[BASE64_F32].args.input)));
});

test("every case's args are the file's args, by name and in order", () => {
  const file = committedCases();
  expect(file.args).toEqual(['input', 'target']);
  const swapped = (g: ReturnType<typeof committedCases>) => {
    const { input, target } = g.cases[5].args;
    g.cases[5].args = { target, input };
  };
  expect(casesError(swapped)).toMatch(/invalid cases file at \$\.cases\[5\]\.args: target,input is not the file's input,target$/);
  expect(casesError((g) => delete g.cases[5].args.target)).toMatch(
    /invalid cases file at \$\.cases\[5\]\.args: input is not the file's input,target$/,
  );
  expect(casesError((g) => (g.cases[5].args.weight = g.cases[5].args.target))).toMatch(
    /invalid cases file at \$\.cases\[5\]\.args: input,target,weight is not the file's input,target$/,
  );
  expect(casesError((g) => (g.args = ['input', 'target', 'var']))).toMatch(
    /invalid cases file at \$\.cases\[0\]\.args: input,target is not the file's input,target,var$/,
  );
  expect(
    casesError((g) => (g.args = [])),
    'a loss takes at least one tensor',
  ).toMatch(/invalid cases file at \$\.args: /);
  // A results file whose args are not its cases file's
  expect(loadError(edited((g) => (g.args = ['target', 'input'])))).toMatch(/its args are target,input, the cases file's input,target/);
});

test('an unavailable loss (a release without it) has no cases', () => {
  const why = 'torch 1.13.0a0 has no F.soft_margin_loss';
  expect(loadError(edited((g) => (g.unavailable = why)))).toMatch(
    /^<dir>\/torch-1\.13\.0a0\/soft_margin_loss\.json: invalid golden file at \$\.results: an unavailable loss \(torch 1\.13\.0a0 has no F\.soft_margin_loss\) has no results$/,
  );
  const empty = edited((g) => {
    g.unavailable = why;
    g.results = [];
  });
  expect(loadError(empty)).toBe('loaded');
  const golden = parseGolden(empty, 'x.json', { cases: { source: readFileSync(committedCasesFile), file: 'c.json' } });
  expect(golden.unavailable).toBe(why);
  expect(golden.cases).toEqual([]);
  expect(loadError(edited((g) => delete g.unavailable))).toMatch(/invalid golden file at \$\.unavailable: /);
});

// Format 3: one cases file per loss, one results file per release, joined on load.

test('results made from other case inputs (a stale cases_sha256) fail, naming both files', () => {
  const message = loadError(edited((g) => (g.cases_sha256 = '0'.repeat(64))));
  expect(message).toMatch(
    /^<dir>\/torch-1\.13\.0a0\/soft_margin_loss\.json was made from other case inputs than <dir>\/cases\/soft_margin_loss\.json: its cases_sha256 is 0{64}, the cases file's sha256 is [0-9a-f]{64}; regenerate with npm run golden$/,
  );
  // The cases file changed (one input), the results not: the same refusal.
  expect(casesError((c) => (c.cases[0].args.input.data[0] = 0.25))).toMatch(
    /torch-1\.13\.0a0\/soft_margin_loss\.json was made from other case inputs than <dir>\/cases\/soft_margin_loss\.json: .*regenerate with npm run golden$/,
  );
  // A cases_sha256 that is not a sha256
  expect(loadError(edited((g) => (g.cases_sha256 = 'abc')))).toMatch(
    /invalid golden file at \$\.cases_sha256: cases_sha256 must be 64 lowercase hex digits/,
  );
});

test("results whose ids or order are not the cases file's fail, naming both files", () => {
  const swapped = edited((g) => {
    [g.results[3], g.results[4]] = [g.results[4], g.results[3]];
  });
  expect(loadError(swapped)).toMatch(
    /^<dir>\/torch-1\.13\.0a0\/soft_margin_loss\.json was made from other case inputs than <dir>\/cases\/soft_margin_loss\.json: \$\.results\[3\]\.id is .*, the cases file's case 3 is .*; regenerate with npm run golden$/,
  );
  expect(loadError(edited((g) => g.results.pop()))).toMatch(
    /made from other case inputs .*: it has \d+ results for the \d+ cases; regenerate with npm run golden$/,
  );
  // The same with the sha256 made to match: the ids are checked on their own.
  expect(casesError((c) => (c.cases[1].id = 'soft_margin_loss/renamed'), true)).toMatch(
    /\$\.results\[1\]\.id is soft_margin_loss\/.*, the cases file's case 1 is soft_margin_loss\/renamed/,
  );
  expect(casesError((c) => (c.cases[1].id = c.cases[0].id))).toMatch(/invalid cases file at \$\.cases\[1\]\.id: duplicate id/);
});

test('a results file without its cases file fails, and parseGolden needs the cases', () => {
  const root = mkdtempSync(join(work, 'g-'));
  cpSync(join(GOLDEN_DIR, 'torch-1.13.0a0'), join(root, 'torch-1.13.0a0'), { recursive: true });
  expect(() => loadGoldens(root)).toThrow(/its cases file .*cases\/[a-z_]+\.json does not exist/);
  expect(() => parseGolden(readFileSync(committedFile), 'x.json', undefined as never)).toThrow(/needs its cases file \(options\.cases\)/);
  // joinGolden of the two parsed files is what parseGolden returns
  const cases = parseCases(readFileSync(committedCasesFile), committedCasesFile);
  const joined = joinGolden(cases, parseResults(readFileSync(committedFile), committedFile));
  expect(joined).toEqual(
    parseGolden(readFileSync(committedFile), committedFile, {
      cases: { source: readFileSync(committedCasesFile), file: committedCasesFile },
    }),
  );
  expect(joined.cases[0]).toMatchObject({
    id: committedCases().cases[0].id,
    args: committedCases().cases[0].args,
    output: committed().results[0].output,
  });
  expect(Object.keys(joined.cases[0]!)).toEqual([
    'id',
    'dtype',
    'args',
    'kwargs',
    'output',
    'grad_output',
    'grads',
    'error',
    'grad_error',
    'warnings',
    'tags',
  ]);
});

test('every release of the committed set was made from the one cases file of its loss', () => {
  const byLoss = new Map<string, Set<string>>();
  for (const name of readdirSync(GOLDEN_DIR).filter((d) => d.startsWith('torch-'))) {
    for (const file of readdirSync(join(GOLDEN_DIR, name))) {
      const sha = /"cases_sha256":"([0-9a-f]{64})"/.exec(readFileSync(join(GOLDEN_DIR, name, file), 'utf8').split('\n')[0]!)![1]!;
      byLoss.set(file, new Set([...(byLoss.get(file) ?? []), sha]));
    }
  }
  expect(byLoss.size).toBeGreaterThanOrEqual(14);
  for (const [file, shas] of byLoss) {
    expect([...shas], file).toEqual([sha256(readFileSync(join(GOLDEN_DIR, 'cases', file)))]);
  }
});
