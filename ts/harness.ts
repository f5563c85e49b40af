// The harness entry (`torch-loss-parity/harness`), for test suites that check a port against
// torch: golden loading and validation, torch.testing.assert_close's comparison, ULP distance and
// running a golden case through a port. Unlike the library entry it uses Node (node:fs, node:path).

export {
  caseArgs,
  casesFileOf,
  GOLDEN_DIR,
  gradsByName,
  loadGoldenFile,
  loadGoldens,
  lossEntry,
  matchError,
  portOptions,
  runCase,
  toTensor,
} from './golden/run.ts';
export type { CaseResult, LoadedGolden } from './golden/run.ts';
export { goldenCases, matchTorch, TorchCase } from './golden/cases.ts';
export type { CaseTensor, FloatCaseTensor, GoldenCasesOptions, TorchMatch, TorchPart, TorchResult } from './golden/cases.ts';
export { compareTensor, ulpDistance } from './golden/compare.ts';
export type { Comparison } from './golden/compare.ts';
export {
  CaseInputs,
  CaseOutcome,
  CasesFile,
  decodeNumber,
  GOLDEN_FORMAT,
  GoldenCase,
  GoldenFile,
  joinGolden,
  parseCases,
  parseGolden,
  parseResults,
  ResultsFile,
  sha256Hex,
  TensorJson,
  tensorValues,
} from './golden/schema.ts';
export type { GoldenParseOptions, ParsedCases, ParsedResults, Tolerance } from './golden/schema.ts';
export { LOSSES, LOSS_STEMS, optionName } from './losses/registry.ts';
export type { LossDomain, LossEntry, LossStem } from './losses/registry.ts';
