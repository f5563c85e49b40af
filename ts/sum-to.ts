// autograd's sum_to (ExpandBackward0: a gradient summed back to the shape of an operand that
// broadcasting grew), in ATen's summation order.
//
// at::sum_to (aten/src/ATen/ExpandUtils.h) calls tensor.sum(reduce_dims, keepdim=true): the leading
// dims and every dim where the operand has size 1. That sum is a TensorIterator reduction
// (TensorIterator::reduce_op) run by cascade_sum (aten/src/ATen/native/cpu/SumKernel.cpp), with an
// accumulator of the tensor's dtype (float32 rounds after every add). The order follows from:
//   - reorder_dimensions: the reduced dims first (the output's stride there is 0), then by input
//     stride, as its insertion sort with should_swap orders them (size-1 dims included);
//   - coalesce_dimensions: adjacent dims merged where every operand's strides allow;
//   - serial_for_each (one thread): one 2-D loop per index of the outer dims (dim 2 fastest);
//   - cascade_sum's 2-D loop: a contiguous reduced dim 0 sums as vectorized_inner_sum (a row of at
//     least one vector, lane by lane, then the scalar tail, then the lanes) or scalar_inner_sum;
//     otherwise the columns of dim 1 sum down dim 0 as vectorized_outer_sum (blocks of 4 vectors
//     as multi_row_sum, then single vectors and scalar columns as row_sum) or scalar_outer_sum
//     (groups of 4 columns as multi_row_sum, the rest as row_sum). Every result is added to the
//     zero-filled output (CastStoreAccumulate), so later 2-D loops add to what earlier ones stored
//     (and -0 becomes +0).
// multi_row_sum is a 4-level cascade over rows (level_power = max(4, ceil(log2 n) / 4)); row_sum
// interleaves the rows 4 ways (ILP), cascades each, adds the tail to the first and combines them.
// Checked exactly against Tensor.sum(dims, keepdim=True) of torch 1.7, 1.13, 2.6 and 2.14 (AVX2),
// 2.14 (ATEN_CPU_CAPABILITY=default) and the PyPI 2.13 build (AVX-512): 76 shapes and dim sets,
// float32 and float64, every value equal; all use 8 float32 / 4 float64 lanes (vectorLanes).

import { allocate, numel, type DType, type FloatArray } from './tensor.ts';
import type { Round } from './numerics.ts';

/** multi_row_sum for one column: `size` values `stride` apart from `offset`, a 4-level cascade. */
function cascadeColumn(v: ArrayLike<number>, offset: number, stride: number, size: number, r: Round): number {
  const levelPower = Math.max(4, Math.floor((size <= 1 ? 0 : Math.ceil(Math.log2(size))) / 4));
  const levelStep = 2 ** levelPower;
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  let i = 0;
  while (i + levelStep <= size) {
    for (let j = 0; j < levelStep; j++, i++) a0 = r(a0 + v[offset + i * stride]!);
    a1 = r(a1 + a0);
    a0 = 0;
    // (i & (level_mask << (j * level_power))) != 0: stop cascading at level j
    if (Math.floor(i / levelStep) % levelStep !== 0) continue;
    a2 = r(a2 + a1);
    a1 = 0;
    if (Math.floor(i / levelStep ** 2) % levelStep !== 0) continue;
    a3 = r(a3 + a2);
    a2 = 0;
  }
  for (; i < size; i++) a0 = r(a0 + v[offset + i * stride]!);
  a0 = r(a0 + a1);
  a0 = r(a0 + a2);
  return r(a0 + a3);
}

/** row_sum for one column: four interleaved cascades, the tail into the first, then combined. */
function rowSumColumn(v: ArrayLike<number>, offset: number, stride: number, size: number, r: Round): number {
  const sizeIlp = Math.floor(size / 4);
  let p0 = cascadeColumn(v, offset, 4 * stride, sizeIlp, r);
  const p1 = cascadeColumn(v, offset + stride, 4 * stride, sizeIlp, r);
  const p2 = cascadeColumn(v, offset + 2 * stride, 4 * stride, sizeIlp, r);
  const p3 = cascadeColumn(v, offset + 3 * stride, 4 * stride, sizeIlp, r);
  for (let i = sizeIlp * 4; i < size; i++) p0 = r(p0 + v[offset + i * stride]!);
  p0 = r(p0 + p1);
  p0 = r(p0 + p2);
  return r(p0 + p3);
}

/** vectorized_inner_sum's row: `size` (>= lanes) contiguous values, lane by lane, then the tail, then the lanes. */
function innerVectorRow(v: ArrayLike<number>, offset: number, size: number, lanes: number, r: Round): number {
  const vectors = Math.floor(size / lanes);
  let total = 0;
  for (let k = vectors * lanes; k < size; k++) total = r(total + v[offset + k]!);
  for (let lane = 0; lane < lanes; lane++) total = r(total + rowSumColumn(v, offset + lane, lanes, vectors, r));
  return total;
}

/** TensorIterator's reorder_dimensions for a reduction: the permutation (iterator dim -> tensor dim). */
function reorder(shape: readonly number[], outStrides: readonly number[], inStrides: readonly number[]): number[] {
  const n = shape.length;
  const perm = Array.from({ length: n }, (_, i) => n - 1 - i);
  const operands = [outStrides, inStrides];
  const shouldSwap = (d0: number, d1: number): number => {
    for (let arg = 0; arg < operands.length; arg++) {
      const s0 = operands[arg]![d0]!;
      const s1 = operands[arg]![d1]!;
      // the output: move reduced dims (stride 0) to the front
      if (arg === 0 && (s0 === 0) !== (s1 === 0)) return s1 === 0 ? 1 : -1;
      if (s0 === 0 || s1 === 0) continue;
      if (s0 < s1) return -1;
      if (s0 > s1) return 1;
      if (shape[d0]! > shape[d1]!) return 1;
    }
    return 0;
  };
  for (let i = 1; i < n; i++) {
    let d1 = i;
    for (let d0 = i - 1; d0 >= 0; d0--) {
      const c = shouldSwap(perm[d0]!, perm[d1]!);
      if (c > 0) {
        [perm[d0], perm[d1]] = [perm[d1]!, perm[d0]!];
        d1 = d0;
      } else if (c < 0) break;
    }
  }
  return perm;
}

/**
 * `values` (a contiguous tensor of shape `full`) summed down to `shape` (which broadcasts to
 * `full`), as autograd's sum_to does, in ATen's order; `lanes` is ATen's vector width for the dtype
 * (vectorLanes). Returns a new array of `dtype` (the values, copied, when nothing is reduced).
 */
export function atenSumTo(
  values: ArrayLike<number>,
  full: readonly number[],
  shape: readonly number[],
  dtype: DType,
  lanes: number,
  r: Round,
): FloatArray {
  const out = allocate(dtype, numel(shape));
  const nd = full.length;
  const lead = nd - shape.length;
  const reduced = full.map((d, i) => i < lead || (shape[i - lead] === 1 && d !== 1));
  if (!reduced.some(Boolean)) {
    out.set(values as ArrayLike<number>);
    return out;
  }
  if (numel(full) === 0) return out; // fill_(0), nothing to add
  // Strides in elements: the input contiguous; the keepdim output contiguous, 0 where reduced.
  const outShape = full.map((d, i) => (reduced[i] ? 1 : d));
  const inStrides = new Array<number>(nd);
  const outStrides = new Array<number>(nd);
  for (let i = nd - 1, si = 1, so = 1; i >= 0; i--) {
    inStrides[i] = si;
    outStrides[i] = outShape[i] === 1 && full[i] !== 1 ? 0 : so;
    si *= full[i]!;
    so *= outShape[i]!;
  }
  const perm = reorder(full, outStrides, inStrides);
  let dims = perm.map((p) => full[p]!);
  let is = perm.map((p) => inStrides[p]!);
  let os = perm.map((p) => outStrides[p]!);
  // coalesce_dimensions
  if (dims.length > 1) {
    let prev = 0;
    for (let d = 1; d < dims.length; d++) {
      const can = dims[prev] === 1 || dims[d] === 1 || (dims[prev]! * is[prev]! === is[d] && dims[prev]! * os[prev]! === os[d]);
      if (can) {
        if (dims[prev] === 1) {
          is[prev] = is[d]!;
          os[prev] = os[d]!;
        }
        dims[prev] = dims[prev]! * dims[d]!;
      } else {
        prev++;
        if (prev !== d) {
          is[prev] = is[d]!;
          os[prev] = os[d]!;
          dims[prev] = dims[d]!;
        }
      }
    }
    dims = dims.slice(0, prev + 1);
    is = is.slice(0, prev + 1);
    os = os.slice(0, prev + 1);
  }
  const size0 = dims[0]!;
  const size1 = dims.length > 1 ? dims[1]! : 1;
  const in0 = is[0]!;
  const out0 = os[0]!;
  const in1 = dims.length > 1 ? is[1]! : 0;
  const out1 = dims.length > 1 ? os[1]! : 0;
  const outer = dims.slice(2);
  const counter = new Array<number>(outer.length).fill(0);
  let inBase = 0;
  let outBase = 0;
  for (let block = 0, blocks = numel(outer); block < blocks; block++) {
    loop2d(values, out, inBase, outBase, [in0, in1], [out0, out1], size0, size1, lanes, r);
    for (let k = 0; k < outer.length; k++) {
      inBase += is[k + 2]!;
      outBase += os[k + 2]!;
      if (++counter[k]! < outer[k]!) break;
      inBase -= is[k + 2]! * outer[k]!;
      outBase -= os[k + 2]! * outer[k]!;
      counter[k] = 0;
    }
  }
  return out;
}

/** cascade_sum's 2-D loop (SumKernel.cpp) over size0 x size1 values from inBase, added into out from outBase. */
function loop2d(
  v: ArrayLike<number>,
  out: FloatArray,
  inBase: number,
  outBase: number,
  inStrides: readonly [number, number],
  outStrides: readonly [number, number],
  size0: number,
  size1: number,
  lanes: number,
  r: Round,
): void {
  let [i0, i1] = inStrides;
  let [o0, o1] = outStrides;
  let n0 = size0;
  let n1 = size1;
  if (o0 !== 0 && o1 === 0) {
    [i0, i1, o0, o1, n0, n1] = [i1, i0, o1, o0, n1, n0];
  }
  const store = (j: number, value: number) => {
    out[outBase + j * o1] = r(out[outBase + j * o1]! + value);
  };
  if (o0 !== 0 && o1 !== 0) {
    // not a reduction: out += in, element by element
    for (let j = 0; j < n1; j++) {
      for (let i = 0; i < n0; i++) {
        const at = outBase + j * o1 + i * o0;
        out[at] = r(out[at]! + v[inBase + j * i1 + i * i0]!);
      }
    }
    return;
  }
  if (i0 === 1 && n0 >= lanes) {
    for (let j = 0; j < n1; j++) store(j, innerVectorRow(v, inBase + j * i1, n0, lanes, r));
  } else if (i1 === 1 && n1 >= lanes) {
    let j = 0;
    for (; j + 4 * lanes <= n1; j += 4 * lanes) {
      for (let c = j; c < j + 4 * lanes; c++) store(c, cascadeColumn(v, inBase + c, i0, n0, r));
    }
    for (; j < n1; j++) store(j, rowSumColumn(v, inBase + j, i0, n0, r));
  } else if (i0 < i1) {
    for (let j = 0; j < n1; j++) store(j, rowSumColumn(v, inBase + j * i1, i0, n0, r));
  } else {
    let j = 0;
    for (; j + 3 < n1; j += 4) {
      for (let c = j; c < j + 4; c++) store(c, cascadeColumn(v, inBase + c * i1, i0, n0, r));
    }
    for (; j < n1; j++) store(j, rowSumColumn(v, inBase + j * i1, i0, n0, r));
  }
}
