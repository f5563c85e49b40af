// Dense row-major tensors: just enough of torch.Tensor for the loss ports.

export type DType = 'float32' | 'float64';
export type FloatArray = Float32Array | Float64Array;
export type NestedNumbers = number | readonly NestedNumbers[];

export interface Tensor {
  readonly data: FloatArray;
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

export function allocate(dtype: DType, length: number): FloatArray {
  return dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
}

function inferShape(values: NestedNumbers, where: string): number[] {
  if (typeof values === 'number') return [];
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
  if (typeof values === 'number') out.push(values);
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
export function tensor(
  values: NestedNumbers | Float32Array | Float64Array,
  options: { shape?: readonly number[]; dtype?: DType } = {},
): Tensor {
  let flat: ArrayLike<number>;
  let shape: readonly number[];
  let dtype: DType;
  if (values instanceof Float32Array || values instanceof Float64Array) {
    flat = values;
    shape = options.shape ?? [values.length];
    dtype = options.dtype ?? (values instanceof Float32Array ? 'float32' : 'float64');
  } else if (typeof values === 'number' || Array.isArray(values)) {
    const out: number[] = [];
    flatten(values, out);
    if (out.some((v) => typeof v !== 'number')) throw new LossArgumentError('tensor: values must be numbers', 'TypeError');
    flat = out;
    shape = options.shape ?? inferShape(values, 'tensor');
    dtype = options.dtype ?? 'float32';
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
