// torch.testing.assert_close's rule: |got - want| <= atol + rtol * |want|, NaN only matches NaN,
// an infinity only itself; shapes exact. Reports the worst element in absolute, relative and ULP terms.

import type { Tensor } from '../tensor.ts';
import { decodeNumber, type TensorJson, type Tolerance } from './schema.ts';

export interface Comparison {
  ok: boolean;
  maxAbs: number;
  maxRel: number;
  /** Largest distance in units in the last place among elements where rtol governs (rtol*|want| > atol). */
  maxUlp: number;
  /** Index of the element furthest outside (or closest to) the tolerance. */
  worst: number;
  message: string;
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

export function compareTensor(got: Tensor, want: TensorJson, tol: Tolerance, dtype: 'float32' | 'float64'): Comparison {
  const result: Comparison = { ok: true, maxAbs: 0, maxRel: 0, maxUlp: 0, worst: -1, message: '' };
  if (got.shape.length !== want.shape.length || got.shape.some((d, i) => d !== want.shape[i])) {
    return { ...result, ok: false, message: `shape [${got.shape.join(', ')}] != expected [${want.shape.join(', ')}]` };
  }
  let worstExcess = -Infinity;
  for (let i = 0; i < want.data.length; i++) {
    const w = decodeNumber(want.data[i]!);
    const g = got.data[i]!;
    let excess: number;
    if (Number.isNaN(w) || Number.isNaN(g) || !Number.isFinite(w) || !Number.isFinite(g)) {
      const same = Object.is(w, g) || (Number.isNaN(w) && Number.isNaN(g)) || w === g;
      excess = same ? -Infinity : Infinity;
      if (!same) {
        result.maxAbs = Infinity;
        result.maxRel = Infinity;
      }
    } else {
      const abs = Math.abs(g - w);
      const allowed = tol.atol + tol.rtol * Math.abs(w);
      result.maxAbs = Math.max(result.maxAbs, abs);
      if (w !== 0) result.maxRel = Math.max(result.maxRel, abs / Math.abs(w));
      if (tol.rtol * Math.abs(w) > tol.atol) result.maxUlp = Math.max(result.maxUlp, ulpDistance(g, w, dtype));
      excess = abs - allowed;
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
