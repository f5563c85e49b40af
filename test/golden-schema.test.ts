// The golden schema is strict: what the tests and parity would read wrongly, or not at all, is an
// error naming the file and the JSON path, on load (loadGoldens) as in `golden --check`.

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, expect, test } from 'vitest';
import { GOLDEN_DIR, PACKAGE_ROOT } from '../ts/golden/paths.ts';
import { loadGoldens } from '../ts/golden/run.ts';
import { MAX_TOLERANCE, parseGolden, tensorValues, type TensorJson } from '../ts/golden/schema.ts';

const work = mkdtempSync(join(tmpdir(), 'golden-schema-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const committedFile = join(GOLDEN_DIR, 'torch-1.13.0a0', 'soft_margin_loss.json');
const committed = () => JSON.parse(readFileSync(committedFile, 'utf8'));

/** loadGoldens on a copy of torch 1.13's folder whose soft_margin_loss.json is `bytes`; returns its error. */
function loadError(bytes: string | Buffer, dir = 'torch-1.13.0a0', name = 'soft_margin_loss.json'): string {
  const root = mkdtempSync(join(work, 'g-'));
  cpSync(join(GOLDEN_DIR, 'torch-1.13.0a0'), join(root, dir), { recursive: true });
  if (name !== 'soft_margin_loss.json') rmSync(join(root, dir, 'soft_margin_loss.json'));
  writeFileSync(join(root, dir, name), bytes);
  try {
    loadGoldens(root);
  } catch (e) {
    return (e as Error).message.replace(root, '<dir>');
  }
  return 'loaded';
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
  expect(loadError(edited((g) => (g.cases[2].args.input.strides = [1])))).toMatch(
    /invalid golden file at \$\.cases\[2\]\.args\.input: .*\(strides\)/,
  );
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
  expect(() => parseGolden(broken, 'x.json')).toThrow(/^x\.json: not UTF-8/);
});

test('a torch version that is not a plain version, or not its folder, is rejected', () => {
  expect(loadError(edited((g) => (g.torch = '2.6/../../../escaped')))).toMatch(
    /invalid golden file at \$\.torch: torch must be a plain version/,
  );
  expect(loadError(edited((g) => (g.torch = '2.6.0+debian')))).toMatch(
    /soft_margin_loss\.json: invalid golden file at \$\.torch: '2\.6\.0\+debian' in the folder of torch 1\.13\.0a0/,
  );
  expect(loadError(readFileSync(committedFile), 'torch-1.13.0a0', 'binary_cross_entropy_with_logits.json')).toMatch(
    /binary_cross_entropy_with_logits\.json: invalid golden file at \$\.loss: 'soft_margin_loss' in a file named binary_cross_entropy_with_logits\.json/,
  );
});

// Golden format 2's tensors: {shape, dtype, data | base64}.

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
  const c = committed().cases;
  expect(c[BASE64_F32].args.input.base64).toBeDefined();
  expect(c[BASE64_F32].args.input).toMatchObject({ dtype: 'float32', shape: [8, 17] });
  expect(c[BASE64_F64].args.input).toMatchObject({ dtype: 'float64', shape: [8, 17] });
  const bytes = (t: { base64: string }) => Buffer.from(t.base64, 'base64');
  const wrongLength = `invalid golden file at \\$\\.cases\\[(\\d+)\\]\\.args\\.(input|target): the number of values \\(data, or base64 bytes / dtype size\\) must equal the product of shape`;
  const at = (i: number, arg = 'input') =>
    new RegExp(
      `^<dir>/torch-1\\.13\\.0a0/soft_margin_loss\\.json: ${wrongLength.replace('(\\d+)', String(i)).replace('(input|target)', arg)}$`,
    );
  // One float32 value more, one less; half a float64 value short; a 3-byte cut (not whole values).
  expect(
    loadError(
      edited(
        (g) =>
          (g.cases[BASE64_F32].args.input.base64 = Buffer.concat([bytes(g.cases[BASE64_F32].args.input), Buffer.alloc(4)]).toString(
            'base64',
          )),
      ),
    ),
  ).toMatch(at(BASE64_F32));
  expect(
    loadError(
      edited((g) => (g.cases[BASE64_F32].args.target.base64 = bytes(g.cases[BASE64_F32].args.target).subarray(4).toString('base64'))),
    ),
  ).toMatch(at(BASE64_F32, 'target'));
  expect(
    loadError(
      edited((g) => (g.cases[BASE64_F64].args.input.base64 = bytes(g.cases[BASE64_F64].args.input).subarray(4).toString('base64'))),
    ),
  ).toMatch(at(BASE64_F64));
  expect(
    loadError(
      edited((g) => (g.cases[BASE64_F32].args.input.base64 = bytes(g.cases[BASE64_F32].args.input).subarray(3).toString('base64'))),
    ),
  ).toMatch(at(BASE64_F32));
  // The same bytes under another shape or dtype: 8x17 float32 is not 8x16, nor 8x17 float64.
  expect(loadError(edited((g) => (g.cases[BASE64_F32].args.input.shape = [8, 16])))).toMatch(at(BASE64_F32));
  expect(loadError(edited((g) => (g.cases[BASE64_F32].args.input.dtype = 'float64')))).toMatch(at(BASE64_F32));
  // An inline list of the wrong length, too.
  expect(loadError(edited((g) => g.cases[3].args.input.data.pop()))).toMatch(at(3));
  // Not base64 at all.
  expect(loadError(edited((g) => (g.cases[BASE64_F32].args.input.base64 = `*${g.cases[BASE64_F32].args.input.base64.slice(1)}`)))).toMatch(
    /invalid golden file at \$\.cases\[7\]\.args\.input\.base64: base64 must be standard base64$/,
  );
});

test('a tensor sets exactly one of data and base64', () => {
  const both = edited((g) => (g.cases[BASE64_F32].args.input.data = Array.from(tensorValues(g.cases[BASE64_F32].args.input))));
  const neither = edited((g) => delete g.cases[BASE64_F32].args.input.base64);
  const inlineNeither = edited((g) => delete g.cases[3].output.data);
  expect(loadError(both)).toMatch(/invalid golden file at \$\.cases\[7\]\.args\.input: exactly one of data and base64 must be set$/);
  expect(loadError(neither)).toMatch(/invalid golden file at \$\.cases\[7\]\.args\.input: exactly one of data and base64 must be set$/);
  expect(loadError(inlineNeither)).toMatch(/invalid golden file at \$\.cases\[3\]\.output: exactly one of data and base64 must be set$/);
  // The committed tensor itself, either way, is fine: its values as an inline list load as well.
  const inlined = edited((g) => {
    const t = g.cases[BASE64_F32].args.input;
    t.data = Array.from(tensorValues(t));
    delete t.base64;
  });
  expect(loadError(inlined)).toBe('loaded');
  expect(Array.from(tensorValues(parseGolden(inlined, 'x.json').cases[BASE64_F32]!.args.input!))).toEqual(
    Array.from(tensorValues(committed().cases[BASE64_F32].args.input)),
  );
});

test("every case's args are the file's args, by name and in order", () => {
  const file = committed();
  expect(file.args).toEqual(['input', 'target']);
  const swapped = edited((g) => {
    const { input, target } = g.cases[5].args;
    g.cases[5].args = { target, input };
  });
  expect(loadError(swapped)).toMatch(/invalid golden file at \$\.cases\[5\]\.args: target,input is not the file's input,target$/);
  expect(loadError(edited((g) => delete g.cases[5].args.target))).toMatch(
    /invalid golden file at \$\.cases\[5\]\.args: input is not the file's input,target$/,
  );
  expect(loadError(edited((g) => (g.cases[5].args.weight = g.cases[5].args.target)))).toMatch(
    /invalid golden file at \$\.cases\[5\]\.args: input,target,weight is not the file's input,target$/,
  );
  expect(loadError(edited((g) => (g.args = ['input', 'target', 'var'])))).toMatch(
    /invalid golden file at \$\.cases\[0\]\.args: input,target is not the file's input,target,var$/,
  );
  expect(loadError(edited((g) => (g.args = []))), 'a loss takes at least one tensor').toMatch(/invalid golden file at \$\.args: /);
});

test('an unavailable loss (a release without it) has no cases', () => {
  const why = 'torch 1.13.0a0 has no F.soft_margin_loss';
  expect(loadError(edited((g) => (g.unavailable = why)))).toMatch(
    /^<dir>\/torch-1\.13\.0a0\/soft_margin_loss\.json: invalid golden file at \$\.cases: an unavailable loss \(torch 1\.13\.0a0 has no F\.soft_margin_loss\) has no cases$/,
  );
  const empty = edited((g) => {
    g.unavailable = why;
    g.cases = [];
  });
  expect(loadError(empty)).toBe('loaded');
  expect(parseGolden(empty, 'x.json').unavailable).toBe(why);
  expect(loadError(edited((g) => delete g.unavailable))).toMatch(/invalid golden file at \$\.unavailable: /);
});
