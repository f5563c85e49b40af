// The arbitraries entry (`torch-loss-parity/arbitraries`): the fast-check arbitraries this
// project's property tests and live fuzzer draw from, for users' own property tests: logits over
// the whole float range weighted toward the values where exp / log1p / sigmoid change regime
// (logit, EXTREMES), targets, weights, shapes 0-d to 3-D and the layouts that broadcast to them
// (classLayout, broadcastLayout, broadcastPair), and tensors of them (tensorOf).
//
//   import fc from 'fast-check';
//   import { logit, shape, tensorOf } from 'torch-loss-parity/arbitraries';
//   fc.assert(fc.property(shape().chain((s) => tensorOf(s, 'float32', logit('float32'))), (x) => ...));

export {
  EXTREMES,
  FC_RUNS,
  broadcastLayout,
  broadcastPair,
  classLayout,
  dtype,
  dyadicTarget,
  logit,
  numel,
  posWeightValue,
  reduction,
  shape,
  target,
  tensorOf,
  torchVersion,
  values,
  weightValue,
} from '../scripts/lib/arbitraries.ts';
