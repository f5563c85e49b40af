// torch.testing.assert_close's rule: |got - want| <= atol + rtol * |want|, NaN only matches NaN,
// an infinity only itself; shapes exact. Reports the worst element in absolute, relative and ULP terms
// and, when asked, how every element's error is distributed (fixed-bin histograms, for the HTML report).

import type { Tensor } from '../tensor.ts';
import { tensorValues, type TensorJson, type Tolerance } from './schema.ts';

export interface Comparison {
  ok: boolean;
  maxAbs: number;
  maxRel: number;
  /** Largest distance in units in the last place among elements where rtol governs (rtol*|want| > atol). */
  maxUlp: number;
  /** Index of the element furthest outside (or closest to) the tolerance. */
  worst: number;
  message: string;
  /** Only when compareTensor was asked for it ({ distribution: true }). */
  distribution?: ErrorDistribution;
}

/** One element of a comparison, as the report shows it. */
export interface ElementError {
  index: number;
  got: number;
  want: number;
  absDiff: number;
  /** atol + rtol * |want|: what |diff| may reach. */
  tolerance: number;
  /** ULP distance, or null where atol governs (rtol * |want| <= atol) or a value is not finite. */
  ulp: number | null;
}

/**
 * Counts of elements per fixed bin (ULP_UPPER, RATIO_UPPER), so that histograms of many comparisons
 * add up bin by bin and stay a few numbers long; plus the element with the largest |diff| / tolerance.
 */
export interface ErrorDistribution {
  ulp: number[];
  ratio: number[];
  worst: ElementError | null;
}

// Both histograms' bins are given by their upper edges: bin 0 holds exactly 0, bin i > 0 the values
// in (upper[i-1], upper[i]]; the last edge is Infinity.
//
// ULP: 0, 1, 2, then (2^(k-1), 2^k] up to 2^40. Within tolerance a float32 element is at most ~22 ULP
// off (rtol 1.3e-6 * 2^24) and a float64 one ~9e8 (rtol 1e-7 * 2^53), so the doubling bins cover both.
const ULP_TOP = 40;
export const ULP_UPPER: readonly number[] = [0, ...Array.from({ length: ULP_TOP + 1 }, (_, k) => 2 ** k), Infinity];

export function ulpBin(ulp: number): number {
  if (ulp <= 2) return ulp;
  const k = Math.ceil(Math.log2(ulp));
  return k > ULP_TOP ? ULP_UPPER.length - 1 : k + 1;
}

// |diff| / tolerance: 0, (0, 1e-10], a decade each up to 1 (within tolerance), then (1, 10] and beyond.
const RATIO_DECADES = 10;
export const RATIO_UPPER: readonly number[] = [
  0,
  ...Array.from({ length: RATIO_DECADES + 2 }, (_, j) => Number(`1e${j - RATIO_DECADES}`)),
  Infinity,
];
/** Index of the first ratio bin beyond tolerance, (1, 10]. */
export const RATIO_BEYOND = RATIO_DECADES + 2;

export function ratioBin(ratio: number): number {
  if (ratio === 0) return 0;
  if (ratio > 10) return RATIO_BEYOND + 1;
  if (ratio > 1) return RATIO_BEYOND;
  // The small shift keeps a decade edge in its own bin: 1e-3 falls in (1e-4, 1e-3].
  return Math.max(1, Math.ceil(Math.log10(ratio) - 1e-9) + RATIO_DECADES + 1);
}

/** |diff| / tolerance of one element: 0 when exact, Infinity for a non-finite mismatch. */
export function elementRatio(e: ElementError): number {
  if (e.absDiff === 0) return 0;
  return Number.isFinite(e.absDiff) ? e.absDiff / e.tolerance : Infinity;
}

export function emptyDistribution(): ErrorDistribution {
  return { ulp: new Array<number>(ULP_UPPER.length).fill(0), ratio: new Array<number>(RATIO_UPPER.length).fill(0), worst: null };
}

export interface CompareOptions {
  /** Also fill Comparison.distribution (costs a logarithm per element, so off by default). */
  distribution?: boolean;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const u64 = new BigInt64Array(f64.buffer);

/** Monotone integer image of a float, so that ULP distance is a subtraction. */
function ordinal(v: number, dtype: 'float32' | 'float64'): bigint {
  if (dtype === 'float32') {
    f32[0] = v;
    const bits = u32[0]!;
    return BigInt(bits & 0x80000000 ? -(bits & 0x7fffffff) : bits);
  }
  f64[0] = v;
  const bits = u64[0]!;
  return bits < 0n ? -(bits & 0x7fffffffffffffffn) : bits;
}

export function ulpDistance(a: number, b: number, dtype: 'float32' | 'float64'): number {
  const d = ordinal(a, dtype) - ordinal(b, dtype);
  return Number(d < 0n ? -d : d);
}

export function compareTensor(
  got: Tensor,
  want: TensorJson,
  tol: Tolerance,
  dtype: 'float32' | 'float64',
  options: CompareOptions = {},
): Comparison {
  const result: Comparison = { ok: true, maxAbs: 0, maxRel: 0, maxUlp: 0, worst: -1, message: '' };
  if (got.shape.length !== want.shape.length || got.shape.some((d, i) => d !== want.shape[i])) {
    return { ...result, ok: false, message: `shape [${got.shape.join(', ')}] != expected [${want.shape.join(', ')}]` };
  }
  const gotDtype = got.data instanceof Float32Array ? 'float32' : got.data instanceof Float64Array ? 'float64' : 'an integer dtype';
  if (gotDtype !== want.dtype) {
    // assert_close checks dtypes too (check_dtype=True).
    return { ...result, ok: false, message: `dtype ${gotDtype} != expected ${want.dtype}` };
  }
  const wanted = tensorValues(want);
  // A tensor's own dtype, not the case's: a float32 gradient of a float64 case (mixed arguments) is
  // its float32 value (JSON holds its shortest decimal) and is counted in float32 ULP.
  const own = want.dtype === 'float32' || want.dtype === 'float64' ? want.dtype : dtype;
  const dist = options.distribution ? emptyDistribution() : null;
  if (dist) result.distribution = dist;
  let worstRatio = -1;
  let worstExcess = -Infinity;
  for (let i = 0; i < wanted.length; i++) {
    const w = own === 'float32' ? Math.fround(wanted[i]!) : wanted[i]!;
    const g = got.data[i]!;
    let excess: number;
    if (Number.isNaN(w) || Number.isNaN(g) || !Number.isFinite(w) || !Number.isFinite(g)) {
      const same = Object.is(w, g) || (Number.isNaN(w) && Number.isNaN(g)) || w === g;
      excess = same ? -Infinity : Infinity;
      if (!same) {
        result.maxAbs = Infinity;
        result.maxRel = Infinity;
      }
      if (dist) {
        // A matching NaN or infinity is exact; a mismatch is infinitely far.
        const ratio = same ? 0 : Infinity;
        dist.ratio[ratioBin(ratio)]!++;
        if (ratio > worstRatio) {
          worstRatio = ratio;
          dist.worst = { index: i, got: g, want: w, absDiff: same ? 0 : Infinity, tolerance: tol.atol + tol.rtol * Math.abs(w), ulp: null };
        }
      }
    } else {
      const abs = Math.abs(g - w);
      const allowed = tol.atol + tol.rtol * Math.abs(w);
      result.maxAbs = Math.max(result.maxAbs, abs);
      if (w !== 0) result.maxRel = Math.max(result.maxRel, abs / Math.abs(w));
      let ulp: number | null = null;
      if (tol.rtol * Math.abs(w) > tol.atol) {
        ulp = ulpDistance(g, w, own);
        result.maxUlp = Math.max(result.maxUlp, ulp);
      }
      excess = abs - allowed;
      if (dist) {
        const ratio = abs === 0 ? 0 : abs / allowed;
        dist.ratio[ratioBin(ratio)]!++;
        if (ulp !== null) dist.ulp[ulpBin(ulp)]!++;
        if (ratio > worstRatio) {
          worstRatio = ratio;
          dist.worst = { index: i, got: g, want: w, absDiff: abs, tolerance: allowed, ulp };
        }
      }
    }
    if (excess > worstExcess) {
      worstExcess = excess;
      result.worst = i;
    }
    if (excess > 0 && result.ok) {
      result.ok = false;
      result.message = `element ${i}: got ${g}, expected ${w} (|diff| ${Math.abs(g - w)} > atol ${tol.atol} + rtol ${tol.rtol} * |expected|)`;
    }
  }
  return result;
}
