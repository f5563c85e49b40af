// CommonJS: require() of the ES-module package (Node >= 20.19 loads synchronous ES modules).
const { binaryCrossEntropyWithLogits, multilabelSoftMarginLoss, tensor } = require('torch-loss-parity');

const x = tensor([[0.8, 0.9, 0.3], [0.8, 0.9, 0.3], [0.8, 0.9, 0.3], [0.8, 0.9, 0.3]]);
const y = tensor([[1, 1, 0], [1, 1, 0], [1, 1, 0], [1, 1, 0]]);
const weight = tensor([0.8, 1, 0.8]);

const out = {};
for (const torchVersion of ['1.13.0a0', '2.14.1']) {
  const options = { weight, reduction: 'mean', torchVersion };
  out[torchVersion] = {
    multilabelSoftMargin: multilabelSoftMarginLoss(x, y, options).data[0],
    bceWithLogits: binaryCrossEntropyWithLogits(x, y, options).data[0],
  };
}
console.log(JSON.stringify(out));
