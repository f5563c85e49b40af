// The ./harness entry from an installed copy: the shipped goldens (golden format 3: each release's
// results joined with the loss's cases file), validated, and the classic case run through the port;
// one results file joined by hand (parseGolden with its cases) is the same file.
// Prints { goldenDir, results: [{ torch, ok, output }], joined }.
import { readFileSync } from 'node:fs';
import { GOLDEN_DIR, loadGoldens, parseGolden, runCase, tensorValues } from 'torch-loss-parity/harness';

const results = [];
for (const { golden } of loadGoldens()) {
  const c = golden.cases.find((k) => k.id === 'multilabel_soft_margin_loss/float32/mean/classic/4x3');
  if (!c) continue;
  const runs = runCase(golden.loss, c, golden);
  // float32 values are stored as the shortest decimal that reads back as the same float32
  results.push({ torch: golden.torch, ok: runs.length > 0 && runs.every((r) => r.ok), output: Math.fround(tensorValues(c.output)[0]) });
}
const [first] = loadGoldens(GOLDEN_DIR, { loss: 'multilabel_soft_margin_loss' });
const byHand = parseGolden(readFileSync(first.file), first.file, {
  cases: { source: readFileSync(first.casesFile), file: first.casesFile },
});
const joined = JSON.stringify(byHand) === JSON.stringify(first.golden) && byHand.format === 3;
console.log(JSON.stringify({ goldenDir: GOLDEN_DIR, results, joined }));
