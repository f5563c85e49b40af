// NumPy/torch broadcasting (torch.broadcast_shapes, Tensor.expand, autograd's sum_to).

import { LossArgumentError, formatShape, numel, type FloatArray, type Tensor } from './tensor.ts';

/** The broadcast shape of two shapes, or null when torch would refuse them. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  // Stryker disable next-line ArrayDeclaration: an empty array grows to the same contents
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * ATen's infer_size message for shapes that do not broadcast, or null when they do: it names the
 * last mismatching dimension (numbered in the broadcast shape), tensor a being the op's first operand.
 */
export function inferSizeMismatch(a: readonly number[], b: readonly number[]): string | null {
  const n = Math.max(a.length, b.length);
  for (let i = n - 1; i >= 0; i--) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      return `The size of tensor a (${da}) must match the size of tensor b (${db}) at non-singleton dimension ${i}`;
    }
  }
  return null;
}

/**
 * torch.broadcast_shapes' message (torch/_refs/__init__.py _broadcast_shapes, torch >= 2.0) for
 * shapes that do not broadcast, or null when they do. It walks the shapes in order, each from its
 * last dim, growing the common shape as it goes, and reports the first dim that cannot join it.
 */
export function broadcastShapesMismatch(...shapes: readonly (readonly number[])[]): string | null {
  const common = new Array<number>(Math.max(0, ...shapes.map((s) => s.length))).fill(1);
  for (let arg = 0; arg < shapes.length; arg++) {
    const shape = shapes[arg]!;
    for (let idx = -1; idx >= -shape.length; idx--) {
      const d = shape[shape.length + idx]!;
      const c = common.length + idx;
      if (d === common[c]) continue;
      if (common[c] === 1) common[c] = d;
      if (d !== 1 && d !== common[c]) {
        return (
          `Attempting to broadcast a dimension of length ${d} at ${idx}! Mismatching argument at index ${arg} had ` +
          `torch.Size(${formatShape(shape)}); but expected shape should be broadcastable to ${formatShape(common)}`
        );
      }
    }
  }
  return null;
}

/**
 * Like broadcastShapes, but throws torch's RuntimeError (ATen's infer_size message, `a` being the
 * op's first operand) naming the op and the argument.
 */
export function broadcastOrThrow(op: string, a: readonly number[], b: readonly number[], arg: string): number[] {
  const out = broadcastShapes(a, b);
  if (out === null) {
    throw new LossArgumentError(
      `${op}: ${arg}: shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast: ${inferSizeMismatch(a, b)}`,
    );
  }
  return out;
}

/**
 * Throws unless `shape` broadcasts *to* `target` without growing it (what an in-place op such as
 * mul_ needs), with TensorIterator's messages: infer_size's (tensor a is the in-place `target`), or
 * "output with shape ... doesn't match the broadcast shape ..." when `shape` would grow it.
 */
export function checkBroadcastableTo(op: string, arg: string, shape: readonly number[], target: readonly number[]): void {
  const out = broadcastShapes(target, shape);
  if (out === null) {
    throw new LossArgumentError(
      `${op}: ${arg} shape ${formatShape(shape)} must broadcast to input shape ${formatShape(target)}: ${inferSizeMismatch(target, shape)}`,
    );
  }
  if (out.length !== target.length || out.some((d, i) => d !== target[i])) {
    throw new LossArgumentError(
      `${op}: ${arg} shape ${formatShape(shape)} must broadcast to input shape ${formatShape(target)} without growing it: ` +
        `output with shape ${formatShape(target)} doesn't match the broadcast shape ${formatShape(out)}`,
    );
  }
}

/** Element strides of `shape` read as if expanded to `full` (0 along broadcast dims). */
function expandedStrides(shape: readonly number[], full: readonly number[]): number[] {
  const strides = new Array<number>(full.length).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const j = full.length - shape.length + i;
    strides[j] = shape[i] === 1 && full[j] !== 1 ? 0 : stride;
    stride *= shape[i]!;
  }
  return strides;
}

/** Calls visit(outerIndex, source offset) once per row of the last dim, so inner loops stay index-free. */
function forEachRow(
  shape: readonly number[],
  full: readonly number[],
  visit: (row: number, offset: number, innerStride: number) => void,
): void {
  const rank = full.length;
  // Stryker disable next-line ConditionalExpression,BlockStatement: unreachable: a 0-d full shape means both shapes are [], which expandTo and sumTo return early
  if (rank === 0) {
    visit(0, 0, 0);
    return;
  }
  const strides = expandedStrides(shape, full);
  const rows = numel(full.slice(0, -1));
  // Stryker disable next-line ConditionalExpression,LogicalOperator,ArithmeticOperator: without the early return the loops visit no element
  if (rows === 0 || full[rank - 1] === 0) return;
  // Stryker disable next-line ArithmeticOperator: a longer counter has unused entries
  const counter = new Array<number>(rank - 1).fill(0);
  let offset = 0;
  for (let row = 0; row < rows; row++) {
    visit(row, offset, strides[rank - 1]!);
    for (let d = rank - 2; d >= 0; d--) {
      offset += strides[d]!;
      if (++counter[d]! < full[d]!) break;
      offset -= strides[d]! * full[d]!;
      counter[d] = 0;
    }
  }
}

/** The values of `t` expanded to `full` (which must be a broadcast of t's shape), as float64. */
export function expandTo(t: Tensor, full: readonly number[]): Float64Array {
  const out = new Float64Array(numel(full));
  const src = t.data;
  // Stryker disable next-line ConditionalExpression,ArrowFunction,BlockStatement: forEachRow copies the same values (only slower)
  if (t.shape.length === full.length && t.shape.every((d, i) => d === full[i])) {
    out.set(src);
    return out;
  }
  // Stryker disable next-line ConditionalExpression: unreachable: a 0-d full shape returned early above
  const inner = full.length === 0 ? 1 : full[full.length - 1]!;
  forEachRow(t.shape, full, (row, offset, stride) => {
    const base = row * inner;
    // Stryker disable next-line EqualityOperator: the extra value lands on the next row's first slot, which that row overwrites (or past the end)
    for (let j = 0; j < inner; j++) out[base + j] = src[offset + j * stride]!;
  });
  return out;
}

/**
 * autograd's sum_to: sums `values` (laid out as `full`) down to `shape`, accumulating in float64
 * and rounding once with `round`. ATen's own order for these (outer) reductions is not followed:
 * within a few ULP, and used only where a broadcast operand grew the input.
 */
export function sumTo(values: Float64Array, full: readonly number[], shape: readonly number[], round: (x: number) => number): Float64Array {
  if (shape.length === full.length && shape.every((d, i) => d === full[i])) return values;
  const out = new Float64Array(numel(shape));
  // Stryker disable next-line ConditionalExpression: unreachable: a 0-d full shape returned early above
  const inner = full.length === 0 ? 1 : full[full.length - 1]!;
  forEachRow(shape, full, (row, offset, stride) => {
    const base = row * inner;
    for (let j = 0; j < inner; j++) out[offset + j * stride] += values[base + j]!;
  });
  for (let i = 0; i < out.length; i++) out[i] = round(out[i]!);
  return out;
}

/**
 * A tensor read as if broadcast to `full`, seen as rows x classes (classes = the last dim): the
 * value at (row, col) is data[row * rowStride + col * colStride]. Scalars, per-class vectors
 * (C, 1xC, ...), per-row columns (Nx1) and full tensors need no copy; any other layout is
 * expanded once. Hot loops then index without per-element broadcasting arithmetic.
 */
export interface RowColOperand {
  readonly data: FloatArray;
  readonly rowStride: number;
  readonly colStride: number;
}

/** Whether an operand is laid out as a kernel call's `n`-element input of `classes` columns: then it travels with the kernels' chunks (./wasm/float32-kernels.ts, float64-kernels.ts, threads.ts); else it is placed whole. */
export function travelsWithChunks(o: RowColOperand, n: number, classes: number): boolean {
  const rows = classes === 0 ? 0 : n / classes;
  return (o.colStride === 1 || classes <= 1) && (o.rowStride === classes || rows <= 1) && o.data.length === n;
}

export function rowColOperand(t: Tensor, full: readonly number[]): RowColOperand {
  const classes = full.length === 0 ? 1 : full[full.length - 1]!;
  const s = t.shape;
  const own = s.length === 0 ? 1 : s[s.length - 1]!;
  const colStride = own === classes ? 1 : 0;
  const lead = s.slice(0, -1);
  const fullLead = full.slice(0, -1);
  if (lead.every((d) => d === 1)) return { data: t.data, rowStride: 0, colStride };
  if (lead.length === fullLead.length && lead.every((d, i) => d === fullLead[i])) return { data: t.data, rowStride: own, colStride };
  return { data: expandTo(t, full), rowStride: classes, colStride: 1 };
}

/**
 * An operand's data and strides as three values, for a JS loop to keep in locals; a missing
 * operand reads as the constant `absent`. Loading them from the operand object at every element
 * (its fields hold Float32Array or Float64Array, so V8 cannot keep one map for it) cost the
 * float64 BCEWithLogits backward 40% of its time.
 */
export function loopOperand(o: RowColOperand | null, absent: number): [data: FloatArray, rowStride: number, colStride: number] {
  return o ? [o.data, o.rowStride, o.colStride] : [new Float64Array([absent]), 0, 0];
}

/** rows x classes of a shape (a 0-d tensor is one row of one class). */
export function rowsAndClasses(shape: readonly number[]): { rows: number; classes: number } {
  const classes = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  return { rows: classes === 0 ? 0 : numel(shape) / classes, classes };
}
