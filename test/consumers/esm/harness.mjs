// The ./harness entry from an installed copy: the shipped goldens, validated, and the classic
// case run through the port. Prints { goldenDir, results: [{ torch, ok, output }] }.
import { GOLDEN_DIR, loadGoldens, runCase, tensorValues } from 'torch-loss-parity/harness';

const results = [];
for (const { golden } of loadGoldens()) {
  const c = golden.cases.find((k) => k.id === 'multilabel_soft_margin_loss/float32/mean/classic/4x3');
  if (!c) continue;
  const runs = runCase(golden.loss, c, golden);
  // float32 values are stored as the shortest decimal that reads back as the same float32
  results.push({ torch: golden.torch, ok: runs.length > 0 && runs.every((r) => r.ok), output: Math.fround(tensorValues(c.output)[0]) });
}
console.log(JSON.stringify({ goldenDir: GOLDEN_DIR, results }));
