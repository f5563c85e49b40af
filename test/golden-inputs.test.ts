// Golden format 3's case inputs are made once, without torch, by the host's Python
// (python/goldens.py STEM --inputs): the torch-free encoder must round as torch does, and the
// generator must never import torch.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, expect, test } from 'vitest';
import { GOLDEN_DIR, PACKAGE_ROOT } from '../ts/golden/paths.ts';
import { LOSS_STEMS } from '../ts/losses/registry.ts';

const PYTHON = '/usr/bin/python3';
const work = mkdtempSync(join(tmpdir(), 'golden-inputs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const hasTorch = (await execa(PYTHON, ['-c', 'import torch'], { reject: false })).exitCode === 0;

test.skipIf(!hasTorch)(
  "the torch-free encoder gives torch's bytes: float32 rounding near FLT_MAX, subnormals, -0.0, NaN, inf, ints, bools",
  async () => {
    const script = String.raw`
import json, math, struct, sys
sys.path.insert(0, ${JSON.stringify(join(PACKAGE_ROOT, 'python'))})
import torch, samples
FLT_MAX = struct.unpack("<f", struct.pack("<I", 0x7f7fffff))[0]
ulp = 2.0 ** 104                                   # float32's ulp at FLT_MAX
f32 = [0.0, -0.0, 1.0, -1.0, 0.1, 1 / 3, 1e-45, -1e-45, 7e-46, 7.1e-46, 1.4e-45, 2.1e-45, 1e-40, -1e-40,
       1.1754942e-38, 1.17549435e-38, 5e-324, -5e-324, 1e-300, -1e-300,
       FLT_MAX, -FLT_MAX, FLT_MAX + ulp / 2 - 1e22, FLT_MAX + ulp / 2, -(FLT_MAX + ulp / 2), FLT_MAX + ulp,
       3.4028235e38, 3.4028236e38, 3.5e38, 1e39, -1e39, 1e300, -1e300, math.inf, -math.inf, math.nan, -math.nan,
       1 + 2.0 ** -24, 1 + 3 * 2.0 ** -24, 16777217.0, 2.0 ** 127 * 1.9999999]
f64 = [0.0, -0.0, 5e-324, -5e-324, 1e-310, 1e308, -1e308, math.inf, -math.inf, math.nan, 0.1, 1 / 3]
i64 = [0, 1, -1, 2 ** 62, -(2 ** 62), 3.0, -3.0, 2.7, -2.7, True, False]
bools = [True, False, 1, 0, 0.5, -0.0, 2.0]
out = []
for dtype, values in (("float32", f32), ("float64", f64), ("int64", i64), ("int32", i64[:2] + i64[5:]), ("bool", bools)):
    for chunk in ([v] for v in values):                       # inline, one value each
        out.append((dtype, chunk))
    out.append((dtype, (values * 4)[: max(33, len(values))]))  # base64 (more than 32 values)
bad = []
for dtype, values in out:
    want = samples.encode(torch, torch.tensor(values, dtype=getattr(torch, dtype)).reshape(len(values)))
    got = samples.encode_plain((len(values),), dtype, values)
    if json.dumps(got) != json.dumps(want):
        bad.append([dtype, repr(values), got, want])
print(json.dumps({"checked": len(out), "bad": bad}))
`;
    const r = await execa(PYTHON, ['-c', script]);
    const { checked, bad } = JSON.parse(r.stdout) as { checked: number; bad: unknown[] };
    expect(checked).toBeGreaterThan(60);
    expect(bad).toEqual([]);
  },
  60_000,
);

test.skipIf(!hasTorch)(
  'the overflow rule: struct.pack raises only where the rounded float32 is infinite, and torch stores +-inf there',
  async () => {
    const script = String.raw`
import struct, torch, math
FLT_MAX = struct.unpack("<f", struct.pack("<I", 0x7f7fffff))[0]
half = 2.0 ** 103
for v, inf in ((FLT_MAX + half - 2.0 ** 75, False), (FLT_MAX + half, True), (-(FLT_MAX + half), True)):
    try:
        struct.pack("<f", v); raised = False
    except OverflowError:
        raised = True
    t = torch.tensor([v], dtype=torch.float32).item()
    print(raised, math.isinf(t), inf)
`;
    const r = await execa(PYTHON, ['-c', script]);
    expect(r.stdout.trim().split('\n')).toEqual(['False False False', 'True True True', 'True True True']);
  },
);

test('goldens.py --inputs never imports torch, and makes the committed cases files byte for byte', async () => {
  // A torch that cannot be imported, first on the path: --inputs must not notice it.
  const fakeTorch = join(work, 'no-torch');
  rmSync(fakeTorch, { recursive: true, force: true });
  await execa('mkdir', ['-p', fakeTorch]);
  writeFileSync(join(fakeTorch, 'torch.py'), 'raise ImportError("torch must not be imported by --inputs")\n');
  // Every registered loss: a case module that imports torch (at its top, or in cases(rng)) fails here.
  for (const stem of LOSS_STEMS) {
    const r = await execa(PYTHON, [join(PACKAGE_ROOT, 'python/goldens.py'), stem, '--inputs'], {
      env: { PYTHONPATH: fakeTorch },
      encoding: 'buffer',
      stripFinalNewline: false,
    });
    expect(Buffer.from(r.stdout).equals(readFileSync(join(GOLDEN_DIR, 'cases', `${stem}.json`))), stem).toBe(true);
  }
  const results = await execa(
    PYTHON,
    [join(PACKAGE_ROOT, 'python/goldens.py'), 'kl_div', '--from-cases', join(GOLDEN_DIR, 'cases/kl_div.json')],
    {
      env: { PYTHONPATH: fakeTorch },
      reject: false,
    },
  );
  expect(results.exitCode).toBe(3); // the results need torch: "torch is not importable"
  expect(results.stderr).toMatch(/torch is not importable/);
}, 60_000);

test.skipIf(!hasTorch)(
  "goldens.py --from-cases gives torch 1.13's committed results byte for byte, and refuses a cases file of another module",
  async () => {
    const r = await execa(
      PYTHON,
      [join(PACKAGE_ROOT, 'python/goldens.py'), 'soft_margin_loss', '--from-cases', join(GOLDEN_DIR, 'cases/soft_margin_loss.json')],
      {
        encoding: 'buffer',
        stripFinalNewline: false,
      },
    );
    expect(Buffer.from(r.stdout).equals(readFileSync(join(GOLDEN_DIR, 'torch-1.13.0a0/soft_margin_loss.json')))).toBe(true);
    const other = await execa(
      PYTHON,
      [join(PACKAGE_ROOT, 'python/goldens.py'), 'l1_loss', '--from-cases', join(GOLDEN_DIR, 'cases/soft_margin_loss.json')],
      {
        reject: false,
      },
    );
    expect(other.exitCode).not.toBe(0);
    expect(other.stderr).toMatch(/its loss is 'soft_margin_loss', but the case module's is 'l1_loss'/);
  },
  60_000,
);
