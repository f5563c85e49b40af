// The harness entry (`torch-loss-parity/harness`), for test suites that check a port against
// torch: golden loading and validation, torch.testing.assert_close's comparison, ULP distance and
// running a golden case through a port. Unlike the library entry it uses Node (node:fs, node:path).

export { GOLDEN_DIR, loadGoldens, lossEntry, portOptions, runCase, toTarget, toTensor } from './golden/run.ts';
export type { CaseResult, LoadedGolden } from './golden/run.ts';
export { compareTensor, ulpDistance } from './golden/compare.ts';
export type { Comparison } from './golden/compare.ts';
export { decodeNumber, GoldenCase, GoldenFile, parseGolden, TensorJson } from './golden/schema.ts';
export type { Tolerance } from './golden/schema.ts';
export { LOSSES, LOSS_STEMS } from './losses/registry.ts';
export type { LossEntry, LossStem } from './losses/registry.ts';
