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

/** The Python exception type torch raises for an argument. */
/** The Python exception type torch raises ('AttributeError': the function is not in that release's torch.nn.functional). */
/** ('NotImplementedError': an ATen kernel without the dtype, from torch 2.8: TorchRelease.dispatchRaisesNotImplementedError.) */
export type TorchErrorType = 'ValueError' | 'RuntimeError' | 'IndexError' | 'TypeError' | 'AttributeError' | 'NotImplementedError';

/** An argument a loss rejects, with the Python exception type torch raises for it. */
export class LossArgumentError extends Error {
  // A field, not a constructor parameter property, so that Node's type stripping runs this file.
  readonly torchErrorType: TorchErrorType;
  constructor(message: string, torchErrorType: TorchErrorType = 'RuntimeError') {
    super(message);
    this.name = 'LossArgumentError';
    this.torchErrorType = torchErrorType;
  }
}

/**
 * The most elements one tensor (an argument, an output or a temporary) may hold: V8's longest typed
 * array (2^32 elements; `new Float32Array(2 ** 32 + 1)` throws "Invalid typed array length").
 * Shapes that would need more are rejected before any work, as torch rejects what it cannot
 * allocate ("DefaultCPUAllocator: can't allocate memory"). Below it, running out of memory is the
 * engine's RangeError.
 */
export const MAX_ELEMENTS = 2 ** 32;

/** Throws unless a tensor of `shape` can exist here (at most MAX_ELEMENTS elements); `what` names it. */
export function checkElementCount(op: string, what: string, shape: readonly number[]): void {
  const n = numel(shape);
  if (n > MAX_ELEMENTS) {
    throw new LossArgumentError(
      `${op}: ${what} of shape ${formatShape(shape)} would hold ${n} elements, more than the ${MAX_ELEMENTS} (2^32) a typed array can`,
    );
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

/** Node's (and Bun's, Deno's) Buffer, where the runtime has one: read per call, never imported (browser bundles stay free of Node). */
type UnsafeAllocator = { allocUnsafeSlow?: (size: number) => Uint8Array };

/**
 * An output whose every element the caller writes before anything reads it (the WebAssembly
 * kernels' results, copied out chunk by chunk): not zeroed where the runtime can skip it
 * (Buffer.allocUnsafeSlow, an ArrayBuffer of its own, never the shared pool), else as allocate.
 * new Float32Array(1e6) spends about 0.44 ms zero-filling 4 MB that the kernel then overwrites,
 * allocUnsafeSlow 0.02-0.09 ms (docs/performance.md, 2026-12-03 third session): 0.4 ns per element of every
 * float32 backward at 1e6 (float64's 8 MB not timed apart).
 */
export function allocateWritten(dtype: DType, length: number): FloatArray {
  const unsafe = (globalThis as { Buffer?: UnsafeAllocator }).Buffer?.allocUnsafeSlow;
  if (typeof unsafe !== 'function') return allocate(dtype, length);
  const width = dtype === 'float32' ? 4 : 8;
  beforeOutput(length * width);
  const bytes = unsafe(length * width);
  return dtype === 'float32'
    ? new Float32Array(bytes.buffer, bytes.byteOffset, length)
    : new Float64Array(bytes.buffer, bytes.byteOffset, length);
}

/** The shape nested arrays claim: their lengths along the first elements (checked in full by fillNested). */
function nestedShape(values: NestedNumbers): number[] {
  const shape: number[] = [];
  for (let v: unknown = values; Array.isArray(v); v = v[0]) {
    shape.push(v.length);
    if (v.length === 0) break;
  }
  return shape;
}

/**
 * Writes the numbers of `values` (nested `shape.length` deep) into `out` from `at`, checking the
 * nesting against `shape` and each value with `accept`; returns the next offset. No intermediate
 * array: a flat JS array of 1.2e8 numbers is past V8's array limit (a fatal, uncatchable error).
 */
function fillNested(
  values: unknown,
  shape: readonly number[],
  depth: number,
  out: FloatArray | Int32Array,
  at: number,
  accept: (v: unknown) => boolean,
): number {
  if (depth === shape.length) {
    if (typeof values !== 'number' || !accept(values)) {
      if (Array.isArray(values)) throw raggedError(shape, depth, values.length);
      throw new LossArgumentError(
        `tensor: values must be numbers${out instanceof Int32Array ? ' (int64: integers that fit in 32 bits)' : ''}, got ${typeof values === 'number' ? values : describe(values)} at element ${at}`,
        'TypeError',
      );
    }
    out[at] = values;
    return at + 1;
  }
  if (!Array.isArray(values) || values.length !== shape[depth])
    throw raggedError(shape, depth, Array.isArray(values) ? values.length : null);
  if (depth === shape.length - 1) {
    for (let i = 0; i < values.length; i++) {
      const v: unknown = values[i];
      if (typeof v !== 'number' || !accept(v)) return fillNested(v, shape, depth + 1, out, at + i, accept); // throws
      out[at + i] = v;
    }
    return at + values.length;
  }
  for (const v of values) at = fillNested(v, shape, depth + 1, out, at, accept);
  return at;
}

function raggedError(shape: readonly number[], depth: number, got: number | null): LossArgumentError {
  // torch.tensor: "expected sequence of length 2 at dim 1 (got 1)"
  const found = got === null ? 'a number' : `length ${got}`;
  const expected = depth === shape.length ? 'a number' : `a sequence of length ${shape[depth]}`;
  return new LossArgumentError(`tensor: nested arrays are ragged: expected ${expected} at dim ${depth} (got ${found})`, 'ValueError');
}

const anyNumber = () => true;
const int32 = (v: unknown) => Number.isInteger(v) && Math.abs(v as number) <= 2 ** 31 - 1;

/** An array of non-negative safe integers (a loop: this runs for every tensor argument of every call). */
function isShape(shape: unknown): shape is readonly number[] {
  if (!Array.isArray(shape)) return false;
  for (let i = 0; i < shape.length; i++) if (!Number.isSafeInteger(shape[i]) || shape[i] < 0) return false;
  return true;
}

function checkShape(shape: unknown, where: string): asserts shape is readonly number[] {
  if (!isShape(shape)) {
    throw new LossArgumentError(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`, 'TypeError');
  }
  checkElementCount(where, 'a tensor', shape);
}

const DTYPES = ['float32', 'float64', 'int64'] as const;
type TensorDType = (typeof DTYPES)[number];

export interface TensorOptions {
  shape?: readonly number[];
  dtype?: TensorDType;
}

/**
 * Builds a tensor like torch.tensor: nested arrays or a number default to float32 (torch's default
 * dtype); a typed array keeps its own dtype unless `dtype` says otherwise, and is 1-D unless `shape`
 * is given. dtype 'int64' (or an Int32Array) makes an IndexTensor.
 */
export function tensor(values: Int32Array, options?: { shape?: readonly number[]; dtype?: 'int64' }): IndexTensor;
export function tensor(
  values: NestedNumbers | FloatArray | Int32Array,
  options: { shape?: readonly number[]; dtype: 'int64' },
): IndexTensor;
export function tensor(values: NestedNumbers | FloatArray | Int32Array, options?: { shape?: readonly number[]; dtype?: DType }): Tensor;
export function tensor(values: NestedNumbers | FloatArray | Int32Array, options: TensorOptions = {}): Tensor | IndexTensor {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new LossArgumentError(`tensor: options must be an object, got ${describe(options)}`, 'TypeError');
  }
  const given = options.shape; // each option read once
  const requested: unknown = options.dtype;
  if (requested !== undefined && !DTYPES.includes(requested as TensorDType)) {
    throw new LossArgumentError(`tensor: dtype ${JSON.stringify(requested)} is not one of ${DTYPES.join(', ')}`, 'TypeError');
  }
  const typed = values instanceof Float32Array || values instanceof Float64Array || values instanceof Int32Array;
  if (!typed && typeof values !== 'number' && !Array.isArray(values)) {
    throw new LossArgumentError(
      `tensor: values must be a number, nested number arrays or a Float32Array/Float64Array/Int32Array, got ${describe(values)}`,
      'TypeError',
    );
  }
  const own = typed ? [values.length] : nestedShape(values);
  const shape = given ?? own;
  checkShape(shape, 'tensor');
  checkElementCount('tensor', 'the values', own);
  const length = numel(own);
  if (numel(shape) !== length)
    throw new LossArgumentError(`tensor: shape ${formatShape(shape)} holds ${numel(shape)} values, got ${length}`, 'ValueError');
  const dtype: TensorDType =
    (requested as TensorDType | undefined) ??
    (values instanceof Float64Array ? 'float64' : values instanceof Int32Array ? 'int64' : 'float32');
  const data = dtype === 'int64' ? new Int32Array(length) : allocate(dtype, length);
  const accept = dtype === 'int64' ? int32 : anyNumber;
  if (!typed) fillNested(values, own, 0, data, 0, accept);
  else if (dtype !== 'int64' || values instanceof Int32Array) data.set(values);
  else fillNested(Array.from(values), own, 0, data, 0, accept);
  return Object.freeze({ data, shape: Object.freeze([...shape]) }) as Tensor | IndexTensor;
}

/** Whether `value` is shaped like a tensor: typed-array data and a shape whose element count matches it. */
function checkStructure(value: unknown, op: string, arg: string, data: 'float' | 'index' | 'either'): void {
  const t = value as Partial<Tensor | IndexTensor> | null | undefined;
  const float = t?.data instanceof Float32Array || t?.data instanceof Float64Array;
  const index = t?.data instanceof Int32Array;
  if (value === undefined) throw new LossArgumentError(`${op}: argument '${arg}' is missing`, 'TypeError');
  if (t === null || typeof t !== 'object' || !(data === 'float' ? float : data === 'index' ? index : float || index)) {
    const found = data === 'index' && float ? 'a float tensor' : describe(value);
    if (data === 'index')
      throw new LossArgumentError(`${op}: argument '${arg}' must hold class indices (Int32Array data, torch.long), got ${found}`);
    const kinds = data === 'float' ? 'Float32Array or Float64Array data' : 'Float32Array, Float64Array or Int32Array (int64) data';
    throw new LossArgumentError(`${op}: argument '${arg}' must be a Tensor (${kinds}), got ${found}`, 'TypeError');
  }
  const shape: unknown = t.shape;
  if (!isShape(shape)) {
    throw new LossArgumentError(`${op}: argument '${arg}' has an invalid shape ${JSON.stringify(shape)}`, 'TypeError');
  }
  if (numel(shape) !== t.data!.length) {
    throw new LossArgumentError(`${op}: argument '${arg}' has shape ${formatShape(shape)} but ${t.data!.length} values`, 'RuntimeError');
  }
}

/** Checks that `value` is a Tensor (a float typed array and a matching shape); `op` and `arg` name it in errors. */
export function checkTensor(value: unknown, op: string, arg: string): asserts value is Tensor {
  checkStructure(value, op, arg, 'float');
}

/** Checks that `value` is a float Tensor or an IndexTensor (torch.long). */
export function checkAnyTensor(value: unknown, op: string, arg: string): asserts value is Tensor | IndexTensor {
  checkStructure(value, op, arg, 'either');
}

export function isIndexTensor(t: Tensor | IndexTensor): t is IndexTensor {
  return t.data instanceof Int32Array;
}

/** Checks an index tensor (torch.long): Int32Array data; a float tensor is torch's "expected scalar type Long". */
export function checkIndexTensor(value: unknown, op: string, arg: string): asserts value is IndexTensor {
  checkStructure(value, op, arg, 'index');
}

/** An IndexTensor's values as a float tensor of `dtype` (torch's type promotion of a long operand). */
export function toFloatTensor(t: IndexTensor, dtype: DType): Tensor {
  const data = allocate(dtype, t.data.length);
  data.set(t.data);
  return { data, shape: t.shape };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array (wrap it with tensor())';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}
