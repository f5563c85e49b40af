// A TypeScript consumer: type-checked with moduleResolution node16 and bundler (strict,
// noUncheckedIndexedAccess), then run by Node 24's type stripping. Prints the classic values.
import {
  binaryCrossEntropyWithLogits,
  LossArgumentError,
  MultiLabelSoftMarginLoss,
  tensor,
  type Reduction,
  type Tensor,
} from 'torch-loss-parity';
import { compareTensor, type GoldenFile, ulpDistance } from 'torch-loss-parity/harness';

const x: Tensor = tensor([
  [0.8, 0.9, 0.3],
  [0.8, 0.9, 0.3],
  [0.8, 0.9, 0.3],
  [0.8, 0.9, 0.3],
]);
const y: Tensor = tensor([
  [1, 1, 0],
  [1, 1, 0],
  [1, 1, 0],
  [1, 1, 0],
]);
const weight = tensor([0.8, 1, 0.8]);
const reduction: Reduction = 'mean';

type BceOptions = NonNullable<Parameters<typeof binaryCrossEntropyWithLogits>[2]>;
// @ts-expect-error: the types are real (not any): 'avg' is no Reduction.
const notAReduction: BceOptions = { reduction: 'avg' };
void notAReduction;

function first(t: Tensor): number {
  const v = t.data[0]; // number | undefined under noUncheckedIndexedAccess
  if (v === undefined) throw new Error('empty output');
  return v;
}

const out: Record<string, { multilabelSoftMargin: number; bceWithLogits: number }> = {};
for (const torchVersion of ['1.13.0a0', '2.14.1']) {
  const loss = new MultiLabelSoftMarginLoss({ weight, reduction, torchVersion });
  out[torchVersion] = {
    multilabelSoftMargin: first(loss.forward(x, y)),
    bceWithLogits: first(binaryCrossEntropyWithLogits(x, y, { weight, reduction, torchVersion })),
  };
}

try {
  binaryCrossEntropyWithLogits(x, tensor([1, 0]));
} catch (e) {
  if (!(e instanceof LossArgumentError)) throw e;
}

const tolerance: GoldenFile['tolerance']['float32'] = { rtol: 1.3e-6, atol: 1e-5 };
const self = compareTensor(x, { shape: [4, 3], dtype: 'float32', data: Array.from(x.data) }, tolerance, 'float32');
if (!self.ok || ulpDistance(1, 1, 'float32') !== 0) throw new Error('harness comparison of a tensor with itself failed');

console.log(JSON.stringify(out));
