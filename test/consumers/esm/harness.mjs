// The ./harness entry from an installed copy: the shipped goldens, validated, and the classic
// case run through the port. Prints { goldenDir, results: [{ torch, ok, output }] }.
import { GOLDEN_DIR, decodeNumber, loadGoldens, runCase } from 'torch-loss-parity/harness';

const results = [];
for (const { golden } of loadGoldens()) {
  const c = golden.cases.find((k) => k.id === 'multilabel_soft_margin/float32/mean/classic/1');
  if (!c) continue;
  const runs = runCase(golden.loss, c, golden);
  results.push({ torch: golden.torch, ok: runs.length > 0 && runs.every((r) => r.ok), output: decodeNumber(c.output.data[0]) });
}
console.log(JSON.stringify({ goldenDir: GOLDEN_DIR, results }));
