// The dtype each ATen op computes in, and stores in, when a loss's arguments mix float32 and
// float64 (for the elementwise losses whose ops run one after another on whole tensors: BCE,
// BCEWithLogits, SoftMargin, MultiLabelSoftMargin).
//
// An out-of-place op (a * b) computes in result_type(a, b) and returns that dtype. An in-place op
// (a.mul_(b)) computes in result_type(a, b) too, then casts the result to a's dtype: the product of
// a float32 tensor and a float64 one, rounded once to float32. In a float32 computation a float64
// operand (a 0-d one meeting a dimensioned float32 tensor) is rounded to float32 as it enters.
// A Python scalar (1 - target, / numel) never promotes: the op stays in the tensor's dtype.
// The rounding functions here are Math.fround or the identity, each bound to its dtype (not the
// `round` of numerics.ts, whose dtype useDType switches globally).

import type { Round } from './numerics.ts';
import type { DType, Tensor } from './tensor.ts';

/** What type promotion reads of a tensor: its dtype and whether it is 0-d. */
export interface Meta {
  readonly dtype: DType;
  readonly zeroDim: boolean;
}

export const metaOf = (t: Tensor): Meta => ({
  dtype: t.data instanceof Float64Array ? 'float64' : 'float32',
  zeroDim: t.shape.length === 0,
});

/** c10 result_type of two float tensors: a dimensioned tensor outranks a 0-d one, else the wider dtype. */
export function commonDType(a: Meta, b: Meta): DType {
  if (a.dtype === b.dtype) return a.dtype;
  if (a.zeroDim === b.zeroDim) return 'float64';
  return a.zeroDim ? b.dtype : a.dtype;
}

/** The result of an out-of-place binary op (its shape is 0-d only if both operands are). */
export const binaryMeta = (a: Meta, b: Meta): Meta => ({ dtype: commonDType(a, b), zeroDim: a.zeroDim && b.zeroDim });

const keep: Round = (x) => x;

/** Rounding to a dtype, bound to it. */
export const roundingOf = (dtype: DType): Round => (dtype === 'float32' ? Math.fround : keep);

/** Whether any of the tensors has another float dtype than the first. */
export function mixesDTypes(first: Tensor, ...others: (Tensor | null | undefined)[]): boolean {
  const f64 = first.data instanceof Float64Array;
  for (const t of others) {
    if (!t || !(t.data instanceof Float32Array || t.data instanceof Float64Array)) continue;
    if (t.data instanceof Float64Array !== f64) return true;
  }
  return false;
}
