// The classic example through the installed package (shared by Node, Bun, Deno and the browser).
import { binaryCrossEntropyWithLogits, multilabelSoftMarginLoss, tensor } from 'torch-loss-parity';

const x = tensor([
  [0.8, 0.9, 0.3],
  [0.8, 0.9, 0.3],
  [0.8, 0.9, 0.3],
  [0.8, 0.9, 0.3],
]);
const y = tensor([
  [1, 1, 0],
  [1, 1, 0],
  [1, 1, 0],
  [1, 1, 0],
]);
const weight = tensor([0.8, 1, 0.8]);

/** { [torchVersion]: { multilabelSoftMargin, bceWithLogits } }, the mean losses as float32 values. */
export function classicValues() {
  const out = {};
  for (const torchVersion of ['1.13.0a0', '2.14.1']) {
    const options = { weight, reduction: 'mean', torchVersion };
    out[torchVersion] = {
      multilabelSoftMargin: multilabelSoftMarginLoss(x, y, options).data[0],
      bceWithLogits: binaryCrossEntropyWithLogits(x, y, options).data[0],
    };
  }
  return out;
}
