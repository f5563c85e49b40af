// Dense row-major tensors: just enough of torch.Tensor for the loss ports.

import { beforeOutput } from './allocator.ts';

export type DType = 'float32' | 'float64';
export type FloatArray = Float32Array | Float64Array;
export type NestedNumbers = number | readonly NestedNumbers[];

export interface Tensor {
  readonly data: FloatArray;
  readonly shape: readonly number[];
}

/** Integer class indices (torch.long in torch; Int32Array here), e.g. MultiLabelMarginLoss's target. */
export interface IndexTensor {
  readonly data: Int32Array;
  readonly shape: readonly number[];
}

/** An argument a loss rejects, with the Python exception type torch raises for it. */
export class LossArgumentError extends Error {
  constructor(
    message: string,
    readonly torchErrorType: 'ValueError' | 'RuntimeError' | 'IndexError' | 'TypeError' = 'RuntimeError',
  ) {
    super(message);
    this.name = 'LossArgumentError';
  }
}

export function dtypeOf(t: Tensor): DType {
  return t.data instanceof Float32Array ? 'float32' : 'float64';
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** A zeroed output (see ./allocator.ts for what the first large one also does). */
export function allocate(dtype: DType, length: number): FloatArray {
  beforeOutput(length * (dtype === 'float32' ? 4 : 8));
  return dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
}

function inferShape(values: NestedNumbers, where: string): number[] {
  if (typeof values === 'number') return [];
  if (!Array.isArray(values)) throw new LossArgumentError(`${where}: values must be numbers, got ${typeof values}`, 'TypeError');
  const shape = [values.length];
  if (values.length === 0) return shape;
  const inner = inferShape(values[0] as NestedNumbers, where);
  for (const v of values) {
    const s = inferShape(v, where);
    if (s.length !== inner.length || s.some((d, i) => d !== inner[i])) {
      throw new LossArgumentError(`${where}: nested arrays are ragged (${formatShape(s)} vs ${formatShape(inner)})`, 'ValueError');
    }
  }
  return shape.concat(inner);
}

function flatten(values: NestedNumbers, out: number[]): void {
  if (!Array.isArray(values)) out.push(values as number); // a non-number is reported by the caller
  else for (const v of values) flatten(v, out);
}

function checkShape(shape: readonly number[], where: string): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new LossArgumentError(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`, 'TypeError');
  }
}

/**
 * Builds a tensor like torch.tensor: nested arrays or a number default to float32 (torch's default
 * dtype); a typed array keeps its own dtype unless `dtype` says otherwise, and is 1-D unless `shape`
 * is given.
 */
export function tensor(values: Int32Array, options?: { shape?: readonly number[] }): IndexTensor;
export function tensor(values: NestedNumbers, options: { shape?: readonly number[]; dtype: 'int64' }): IndexTensor;
export function tensor(values: NestedNumbers | Float32Array | Float64Array, options?: { shape?: readonly number[]; dtype?: DType }): Tensor;
export function tensor(
  values: NestedNumbers | Float32Array | Float64Array | Int32Array,
  options: { shape?: readonly number[]; dtype?: DType | 'int64' } = {},
): Tensor | IndexTensor {
  if (values instanceof Int32Array || options.dtype === 'int64') {
    const flat = values instanceof Int32Array ? values : (() => {
      const out: number[] = [];
      flatten(values as NestedNumbers, out);
      if (out.some((v) => !Number.isInteger(v) || Math.abs(v) > 2 ** 31 - 1)) throw new LossArgumentError('tensor: int64 values must be integers that fit in 32 bits', 'TypeError');
      return out;
    })();
    const shape = options.shape ?? (values instanceof Int32Array ? [values.length] : inferShape(values as NestedNumbers, 'tensor'));
    checkShape(shape, 'tensor');
    if (numel(shape) !== flat.length) throw new LossArgumentError(`tensor: shape ${formatShape(shape)} holds ${numel(shape)} values, got ${flat.length}`, 'ValueError');
    return Object.freeze({ data: Int32Array.from(flat), shape: Object.freeze([...shape]) });
  }
  let flat: ArrayLike<number>;
  let shape: readonly number[];
  let dtype: DType;
  if (values instanceof Float32Array || values instanceof Float64Array) {
    flat = values;
    shape = options.shape ?? [values.length];
    dtype = (options.dtype as DType | undefined) ?? (values instanceof Float32Array ? 'float32' : 'float64');
  } else if (typeof values === 'number' || Array.isArray(values)) {
    const out: number[] = [];
    flatten(values, out);
    if (out.some((v) => typeof v !== 'number')) throw new LossArgumentError('tensor: values must be numbers', 'TypeError');
    flat = out;
    shape = options.shape ?? inferShape(values, 'tensor');
    dtype = (options.dtype as DType | undefined) ?? 'float32';
  } else {
    throw new LossArgumentError(`tensor: values must be a number, nested number arrays or a Float32Array/Float64Array`, 'TypeError');
  }
  checkShape(shape, 'tensor');
  if (numel(shape) !== flat.length) {
    throw new LossArgumentError(`tensor: shape ${formatShape(shape)} holds ${numel(shape)} values, got ${flat.length}`, 'ValueError');
  }
  const data = allocate(dtype, flat.length);
  data.set(flat);
  return Object.freeze({ data, shape: Object.freeze([...shape]) });
}

/** Checks that `value` is a Tensor (a float typed array and a matching shape); `op` and `arg` name it in errors. */
export function checkTensor(value: unknown, op: string, arg: string): asserts value is Tensor {
  const t = value as Partial<Tensor> | null;
  if (t === null || typeof t !== 'object' || !(t.data instanceof Float32Array || t.data instanceof Float64Array)) {
    throw new LossArgumentError(`${op}: argument '${arg}' must be a Tensor (Float32Array or Float64Array data), got ${describe(value)}`, 'TypeError');
  }
  if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new LossArgumentError(`${op}: argument '${arg}' has an invalid shape ${JSON.stringify(t.shape)}`, 'TypeError');
  }
  if (numel(t.shape) !== t.data.length) {
    throw new LossArgumentError(`${op}: argument '${arg}' has shape ${formatShape(t.shape)} but ${t.data.length} values`, 'RuntimeError');
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array (wrap it with tensor())';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

/** Checks an index tensor (torch.long): Int32Array data; a float tensor is torch's "expected scalar type Long". */
export function checkIndexTensor(value: unknown, op: string, arg: string): asserts value is IndexTensor {
  const t = value as Partial<IndexTensor> | null;
  if (t === null || typeof t !== 'object' || !(t.data instanceof Int32Array)) {
    const found = t && typeof t === 'object' && (t.data instanceof Float32Array || t.data instanceof Float64Array) ? 'a float tensor' : describe(value);
    throw new LossArgumentError(`${op}: argument '${arg}' must hold class indices (Int32Array data, torch.long), got ${found}`);
  }
  if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isInteger(d) || d < 0) || numel(t.shape) !== t.data.length) {
    throw new LossArgumentError(`${op}: argument '${arg}' has shape ${JSON.stringify(t.shape)} but ${t.data.length} values`);
  }
}
