// Which torch release's arithmetic to follow. Formulas changed between releases; each change is a
// named predicate here, so a port reads `if (v.bceUsesLogSigmoid)` rather than comparing numbers.

import { LossArgumentError } from './tensor.ts';

export interface TorchRelease {
  readonly version: string;
  readonly major: number;
  readonly minor: number;
  /** log_sigmoid computes min(x, 0) - log1p(exp(-|x|)) (torch >= 1.11); before, -(m + log(exp(-m) + exp(-x - m))). */
  readonly logSigmoidUsesLog1p: boolean;
  /** binary_cross_entropy_with_logits is built on log_sigmoid (pytorch#115539, torch >= 2.3); before, on max_val and log(exp + exp). */
  readonly bceUsesLogSigmoid: boolean;
  /** multilabel_soft_margin_loss accepts 1-D input (torch >= 1.11; before it summed over dim 1). */
  readonly mlsmlAccepts1d: boolean;
  /**
   * multilabel_margin_loss accepts an (0, C) input (pytorch#46975, reviewed after 1.7.0 shipped:
   * assumed from 1.8). 1.7's LossMultiLabelMargin.cpp checks `input.numel() > 0 && ndims <= 2`
   * ("non-empty vector or matrix expected"); 1.13 checks only C > 0 ("optional 0-dim batch size").
   */
  readonly mlmlAcceptsEmptyBatch: boolean;
  /** soft_margin_loss computes log1p(exp(-x * y)) (pytorch#92145, torch >= 2.0); before, log(1 + exp(-x * y)). */
  readonly softMarginUsesLog1p: boolean;
  /**
   * Vectorized log1p is SLEEF's, which returned inf above 1e38 (float32) / 1e307 (float64) until
   * SLEEF 3.8 (sleef#473, #606); torch bundles 3.8 from 2.8 (pytorch#151955). Seen in torch 2.6.
   */
  readonly sleefLog1pOverflows: boolean;
  /** binary_cross_entropy rejects targets outside [0, 1] (2.6 does, 1.13 computes with them; assumed from 2.0). */
  readonly bceChecksTargetRange: boolean;
  /** The CPU kernels torch dispatches to by default on an AVX-512 machine: 1.x kept AVX-512 opt-in, 2.x uses it. */
  readonly defaultCpuCapability: CpuCapability;
}

/** ATEN_CPU_CAPABILITY values: 'default' runs scalar std:: math, the others SLEEF's vectorized math. */
export type CpuCapability = 'default' | 'avx2' | 'avx512';
export const CPU_CAPABILITIES: readonly CpuCapability[] = ['default', 'avx2', 'avx512'];

/**
 * Elements per vector in ATen's float sum kernel: 32 bytes under every capability. Measured, not
 * assumed: torch 1.13, 2.6 and 2.14 sum exactly as 8 float32 / 4 float64 lanes under AVX2,
 * AVX-512 and 'default' alike, and never as 16 / 8 (test/fixtures/torch-sums-*.json).
 */
export function vectorLanes(dtype: 'float32' | 'float64'): number {
  return dtype === 'float32' ? 8 : 4;
}

/** Orders torch.__version__ strings (or golden folder names) by major, minor, patch. */
export function compareTorchVersions(a: string, b: string): number {
  const key = (v: string) =>
    v
      .split(/[^0-9]+/)
      .filter(Boolean)
      .slice(0, 3)
      .map(Number);
  const [x, y] = [key(a), key(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** The behaviour used when no torchVersion is given: the newest release. */
export const NEWEST_TORCH = '2.14.1';

/** Parsed releases by version string: valid ones only, at most CACHE_SIZE (the oldest entry goes first). */
const cache = new Map<string, TorchRelease>();
const CACHE_SIZE = 64;

/** Parses a torch.__version__ string ('1.13.0a0', '2.6.0+debian', '2.14.1+debian', '1.5.0'); the result is frozen (shared by every caller). */
export function torchRelease(version: string = NEWEST_TORCH, op = 'torchVersion'): TorchRelease {
  const hit = cache.get(version);
  if (hit) return hit;
  const m = typeof version === 'string' ? /^(\d+)\.(\d+)(?:\.\d+)?(?:[a-z]+\d*)?(?:\.\w+)*(?:\+[\w.]+)?$/.exec(version) : null;
  if (!m) {
    throw new LossArgumentError(
      `${op}: torchVersion ${JSON.stringify(version)} is not a torch.__version__ string such as '2.6.0+debian'`,
      'ValueError',
    );
  }
  const major = Number(m[1]);
  const minor = Number(m[2]);
  const atLeast = (a: number, b: number) => major > a || (major === a && minor >= b);
  if (!atLeast(1, 5)) {
    throw new LossArgumentError(`${op}: torchVersion '${version}' is older than 1.5, the oldest release the ports follow`, 'ValueError');
  }
  const release: TorchRelease = Object.freeze({
    version,
    major,
    minor,
    logSigmoidUsesLog1p: atLeast(1, 11),
    bceUsesLogSigmoid: atLeast(2, 3),
    mlsmlAccepts1d: atLeast(1, 11),
    mlmlAcceptsEmptyBatch: atLeast(1, 8),
    bceChecksTargetRange: atLeast(2, 0),
    softMarginUsesLog1p: atLeast(2, 0),
    sleefLog1pOverflows: atLeast(2, 0) && !atLeast(2, 8),
    defaultCpuCapability: atLeast(2, 0) ? 'avx512' : 'avx2',
  });
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(version, release);
  return release;
}
