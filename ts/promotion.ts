// torch's type promotion between two tensors (c10 result_type / TensorIterator's common dtype), for
// the losses that mix float32 and float64 arguments.
//
// Dimensioned tensors outrank 0-d ones of the same category: a float64 0-d input with a float32 (2,)
// target computes in float32 (the float64 value rounded to float32 as it enters the op), while two
// dimensioned (or two 0-d) tensors compute in the wider dtype. A float tensor outranks an integer one
// whatever their dims. Each op promotes its own operands, so an op on one tensor alone stays in that
// tensor's dtype (torch.exp(target) of a float32 target is float32 inside a float64 loss).

import type { Round } from './numerics.ts';
import type { DType, FloatArray, IndexTensor, Tensor } from './tensor.ts';

const fround = Math.fround;
const keep: Round = (x) => x;

export function dtypeOfData(data: FloatArray | Int32Array): DType | 'int64' {
  return data instanceof Float32Array ? 'float32' : data instanceof Float64Array ? 'float64' : 'int64';
}

/** result_type(a, b) for tensors a and b (an int64 tensor is an IndexTensor). */
export function resultType(a: Tensor | IndexTensor, b: Tensor | IndexTensor): DType {
  const da = dtypeOfData(a.data);
  const db = dtypeOfData(b.data);
  if (da === 'int64') return db === 'int64' ? 'float32' : db;
  if (db === 'int64') return da;
  if (da === db) return da;
  const dimA = a.shape.length > 0;
  const dimB = b.shape.length > 0;
  if (dimA === dimB) return 'float64';
  return dimA ? da : db;
}

/** A tensor's values as they enter an op of `dtype`: rounded when a float64 tensor meets a float32 op. */
export function castTo(t: Tensor, dtype: DType): Tensor {
  if (dtype === 'float64' || t.data instanceof Float32Array) return t;
  return { data: Float32Array.from(t.data), shape: t.shape };
}

/**
 * The rounding of an op in `own` dtype while the loss computes in `common` (whose rounding `r` is):
 * `r` itself when they agree (one function object: see numerics.ts useDType), else fround or none.
 */
export function roundFor(own: DType, common: DType, r: Round): Round {
  if (own === common) return r;
  return own === 'float32' ? fround : keep;
}
