// nn.CosineEmbeddingLoss / F.cosine_embedding_loss, forward and the gradients of input1 and input2.
//
// Checks, in torch's order: torch/nn/functional.py's reduction (_Reduction.get_enum: ValueError),
// then torch.cosine_embedding_loss's argument parser (margin must be a float: TypeError), then
// aten/src/ATen/native/Loss.cpp cosine_embedding_loss:
//   torch >= 1.11 (pytorch#64590, cosineEmbeddingAccepts1d): target.dim() 0 or 1 ("0D or 1D target
//     tensor expected, multi-target not supported"); a 1-D target needs 2-D input1 ("1D target tensor
//     expects 2D input tensors, but found inputs with sizes [..] and [..]."), a 0-d target 1-D input1
//     ("0D target tensor expects 1D input tensors ..."); from 2.2 input2 too (pytorch#112782,
//     cosineEmbeddingChecksInput2Dim); the sums run over targ_dim = target.dim().
//   1.9, 1.10 (pytorch#53110, cosineEmbeddingChecksTargetDim): target.dim() == 1 ("1D target tensor
//     expected, multi-target not supported"); the sums over dim 1.
//   1.7: no check; the sums over dim 1 (a 1-D input raises IndexError), any target broadcast by where().
// Then the composite, each op rounded to its dtype (EPSILON is Loss.cpp's float 1e-12f):
//   prod_sum = (input1 * input2).sum(d)          (input1 * input2 broadcast; ATen's cascade sum; in the
//                                                 promotion of the two dtypes, as all ops below but:)
//   mag_square1 = (input1 * input1).sum(d) + EPSILON;  mag_square2 likewise (each over its own shape, in
//                                                 its own operand's dtype: float32 for a float32 input1)
//   denom = (mag_square1 * mag_square2).sqrt_();  cos = prod_sum / denom
//   pos = 1 - cos;  neg = (cos - margin).clamp_min_(0)   (margin a Scalar rounded to the dtype; NaN stays NaN)
//   output = where(target == 1, pos, 0) + where(target == -1, neg, 0)   (target broadcast with cos;
//     compared exactly in its own dtype: other targets give 0), then apply_loss_reduction.
// Backward: autograd through those ops (tools/autograd/derivatives.yaml), in ATen's rounding order:
//   mean: g / numel (MeanBackward);  AddBackward passes g to both wheres;  where: g where the
//   condition holds, else 0, summed to cos's shape;  clamp_min_: where(cos - margin >= 0, g, 0), from
//   2.14 where(> 0) (clampMinGradZeroAtMin);  1 - cos: -g;  cos's two gradients added;
//   div: prod_sum's g / denom, denom's -g * ((prod_sum / denom) / denom) (summed to denom's shape);
//   sqrt_: g / (2 * denom);  mul: g * mag_square2 (summed to mag_square1's shape), g * mag_square1;
//   + EPSILON passes g;  sum: g expanded along d;  input1 * input1: g * input1 twice (added first:
//   the engine runs the later-created magnitude branches before prod_sum's), then prod_sum's
//   g * input2 (summed to input1's shape) added to them; input2 likewise. Each gradient summed to its
//   tensor's shape in its op's dtype, then cast to the tensor's (validate_outputs): mag_square1's and
//   prod_sum's to input1's dtype, in which input1's terms run and are added (measured in 1.7, 1.13, 2.6
//   and 2.14.1 with float32 and float64 inputs mixed, float32 / float64 / int64 targets: the target is
//   only compared, in its own dtype, and never changes the output's dtype).
// (round is one function whose dtype useDType switches: every op of another dtype than the last is
// preceded by its useDType.)
// The sums and sums-to-shape follow ATen's order (../sum-to.ts atenSumTo).
// Speed: inputs of one shape and dtype reduced over the last dim sum each row's three sums in one
// pass (rowSums32/64: atenRowSum's order, each ILP column one chain), and backpropagate a block
// of rows at a time as per-row scalars then one loop over the values (rowsBackward). float32 rows
// of at least one vector below the sum's first cascade level run the row sums and the gradients as
// WebAssembly SIMD (../wasm/vectors.ts, ../wasm/assembly/vectors.ts; the per-row chain stays here),
// bit for bit the JS loops' values; float64 rows so too for the forward's row sums (cosineRowSums64).

import { broadcastOrThrow, expandTo } from '../broadcast.ts';
import { wrapDim } from '../cosine-similarity.ts';
import { checkGradOutput, prepare, sameShape, type CommonOptions, type LossSignature } from '../loss-args.ts';
import { lossModule3 } from '../loss-module.ts';
import { atenRowSum, useDType, type Round } from '../numerics.ts';
import { floatArgument } from '../pointwise-loss.ts';
import { applyReduction, makeTensor, reducedTotal } from '../reduction.ts';
import { atenSumTo } from '../sum-to.ts';
import {
  LossArgumentError,
  allocate,
  checkAnyTensor,
  checkElementCount,
  checkTensor,
  formatShape,
  numel,
  type DType,
  type FloatArray,
  type IndexTensor,
  type Tensor,
} from '../tensor.ts';
import { sumLanes, type TorchRelease } from '../torch-version.ts';
import { vectorKernels, type CosineRowRule, type CosineRowScalars } from '../wasm/vectors.ts';

export interface CosineEmbeddingOptions extends CommonOptions {
  /** The margin for the target -1 pairs (torch's default 0). */
  margin?: number;
}

/** The gradients by torch's argument names. */
export type CosineEmbeddingGrads = {
  readonly input1: Tensor;
  readonly input2: Tensor;
};

const OP = 'cosineEmbeddingLoss';
const SIGNATURE = { tensorOptions: [], target: 'float', options: ['margin'] } as const satisfies LossSignature;

/** Loss.cpp's `constexpr float EPSILON = 1e-12;`, added as a Scalar (the float's value, in either dtype). */
const EPSILON = Math.fround(1e-12);

const dtypeOf = (t: Tensor): DType => (t.data instanceof Float64Array ? 'float64' : 'float32');

interface Plan {
  readonly torch: TorchRelease;
  readonly reduction: 'none' | 'mean' | 'sum';
  readonly dtype: DType;
  readonly d1: DType;
  readonly d2: DType;
  /** useDType(dtype): `round` switched to the promoted dtype (call useDType again after another dtype's ops). */
  readonly r: Round;
  readonly lanes: number;
  readonly lanes1: number;
  readonly lanes2: number;
  readonly margin: number;
  readonly input1: Tensor;
  readonly input2: Tensor;
  readonly target: Tensor | IndexTensor;
  /** The reduced dim of the broadcast product, and of input1 and input2 (each wrapped for its rank). */
  readonly dS: number;
  readonly dA: number;
  readonly dB: number;
  /** Shapes: the product S, prod_sum P, mag_square1 M1 / 2 M2, denom Dn, cos C, output O. */
  readonly S: readonly number[];
  readonly P: readonly number[];
  readonly M1: readonly number[];
  readonly M2: readonly number[];
  readonly Dn: readonly number[];
  readonly C: readonly number[];
  readonly O: readonly number[];
  readonly gradOutput: Tensor | null;
}

const sizes = (a: Tensor, b: Tensor) => `${formatShape(a.shape)} and ${formatShape(b.shape)}`;

function dropDim(shape: readonly number[], d: number): number[] {
  return shape.length === 0 ? [] : shape.filter((_, i) => i !== d);
}

function keepDim(shape: readonly number[], d: number): number[] {
  return shape.length === 0 ? [] : shape.map((s, i) => (i === d ? 1 : s));
}

function plan(
  op: string,
  args: { input1: unknown; input2: unknown; target: unknown; gradOutput?: unknown },
  options: CosineEmbeddingOptions | undefined,
): Plan {
  checkTensor(args.input1, op, 'input1');
  checkTensor(args.input2, op, 'input2');
  checkAnyTensor(args.target, op, 'target');
  const c = prepare(
    op,
    SIGNATURE,
    { input: args.input1, target: args.target, ...('gradOutput' in args ? { gradOutput: args.gradOutput } : {}) },
    options,
  );
  const input1 = args.input1;
  const input2 = args.input2;
  const target = args.target;
  const torch = c.torch;
  const given = c.extra.margin;
  const margin = floatArgument(op, 'cosine_embedding_loss', 'margin', 4, given === undefined ? 0 : given);
  const tdim = target.shape.length;
  let d = 1;
  if (torch.cosineEmbeddingAccepts1d) {
    if (tdim !== 0 && tdim !== 1) throw new LossArgumentError(`${op}: 0D or 1D target tensor expected, multi-target not supported`);
    const both = torch.cosineEmbeddingChecksInput2Dim;
    if (tdim === 1 && (input1.shape.length !== 2 || (both && input2.shape.length !== 2))) {
      throw new LossArgumentError(
        `${op}: 1D target tensor expects 2D input tensors, but found inputs with sizes ${sizes(input1, input2)}.`,
      );
    }
    if (tdim === 0 && (input1.shape.length !== 1 || (both && input2.shape.length !== 1))) {
      throw new LossArgumentError(
        `${op}: 0D target tensor expects 1D input tensors, but found inputs with sizes ${sizes(input1, input2)}.`,
      );
    }
    d = tdim;
  } else if (torch.cosineEmbeddingChecksTargetDim && tdim !== 1) {
    throw new LossArgumentError(`${op}: 1D target tensor expected, multi-target not supported`);
  }
  // (input1 * input2).sum(d), (input1 * input1).sum(d), (input2 * input2).sum(d): broadcast, then each dim wrapped
  const S = broadcastOrThrow(op, input1.shape, input2.shape, 'input1 * input2');
  const dS = wrapDim(op, d, S.length);
  const dA = wrapDim(op, d, input1.shape.length);
  const dB = wrapDim(op, d, input2.shape.length);
  const P = dropDim(S, dS);
  const M1 = dropDim(input1.shape, dA);
  const M2 = dropDim(input2.shape, dB);
  const Dn = broadcastOrThrow(op, M1, M2, 'mag_square1 * mag_square2');
  const C = broadcastOrThrow(op, P, Dn, 'prod_sum / denom');
  const O = broadcastOrThrow(op, target.shape, C, 'where(target == 1, ...)');
  checkElementCount(op, 'the broadcast shape', S);
  checkElementCount(op, 'the output', O);
  const d1 = dtypeOf(input1);
  const d2 = dtypeOf(input2);
  const dtype: DType = d1 === 'float64' || d2 === 'float64' ? 'float64' : 'float32';
  const r = useDType(dtype);
  return {
    torch,
    reduction: c.reduction,
    dtype,
    d1,
    d2,
    r,
    lanes: sumLanes(dtype, torch, c.capability),
    lanes1: sumLanes(d1, torch, c.capability),
    lanes2: sumLanes(d2, torch, c.capability),
    margin: r(margin),
    input1,
    input2,
    target,
    dS,
    dA,
    dB,
    S,
    P,
    M1,
    M2,
    Dn,
    C,
    O,
    gradOutput: (c.gradOutput as Tensor | null) ?? null,
  };
}

/** values (laid out as `from`, which broadcasts to `to`) read over `to`. */
function over(values: ArrayLike<number>, from: readonly number[], to: readonly number[]): ArrayLike<number> {
  return sameShape(from, to) ? values : expandTo({ data: values as FloatArray, shape: from }, to);
}

/** Tensor.sum(d) (keepdim's layout) in ATen's order: a dim of one element adds it to the zero-filled output. */
function sumDim(values: ArrayLike<number>, shape: readonly number[], d: number, dtype: DType, lanes: number, r: Round): FloatArray {
  if (shape.length === 0 || shape[d] === 1) {
    const out = allocate(dtype, values.length);
    for (let i = 0; i < out.length; i++) out[i] = r(0 + values[i]!);
    return out;
  }
  return atenSumTo(values, shape, keepDim(shape, d), dtype, lanes, r);
}

/** autograd's sum_to (the values themselves when the shapes agree). */
function sumTo(values: FloatArray, full: readonly number[], shape: readonly number[], dtype: DType, lanes: number, r: Round): FloatArray {
  return sameShape(full, shape) ? values : atenSumTo(values, full, shape, dtype, lanes, r);
}

/** The forward's intermediates. */
interface Forward {
  readonly prodSum: FloatArray; // P
  readonly mag1: FloatArray; // M1
  readonly mag2: FloatArray; // M2
  readonly denom: FloatArray; // Dn
  readonly cos: FloatArray; // C
  readonly losses: FloatArray; // O
}

/**
 * input1 and input2 of one shape and dtype, reduced over their last (contiguous) dim: the three
 * sums row by row (ATen's inner cascade sum of each row, ../numerics.ts atenRowSum), no
 * input-sized temporaries. Null otherwise.
 */
/** input1 and input2 of one shape and dtype, reduced over their last dim. */
function oneShapeRows(p: Plan): boolean {
  const shape = p.input1.shape;
  return sameShape(shape, p.input2.shape) && p.d1 === p.d2 && shape.length > 0 && p.dS === shape.length - 1;
}

function rowSums(p: Plan): { prodSum: FloatArray; mag1: FloatArray; mag2: FloatArray } | null {
  const shape = p.input1.shape;
  if (!oneShapeRows(p)) return null;
  const { r, dtype, lanes } = p;
  const D = shape[shape.length - 1]!;
  const rows = D === 0 ? numel(shape.slice(0, -1)) : p.input1.data.length / D;
  const x1 = p.input1.data;
  const x2 = p.input2.data;
  if (dtype === 'float64') {
    // float64: the same sums in WebAssembly SIMD (../wasm/assembly/vectors.ts cosineRowSums64: rowSums64's order)
    const k64 = vectorKernels();
    if (k64?.cosineRows64(D, lanes)) {
      const sums = k64.cosineRowSums64(x1 as Float64Array, x2 as Float64Array, rows, D, lanes, EPSILON);
      if (sums) return sums;
    }
  }
  const k = dtype === 'float32' ? vectorKernels() : null;
  if (k?.cosineRows(D, lanes)) {
    // the same sums in WebAssembly SIMD (../wasm/assembly/vectors.ts cosineRowSums: rowSums32's order)
    const sums = k.cosineRowSums(x1 as Float32Array, x2 as Float32Array, rows, D, lanes, EPSILON);
    if (sums) return { prodSum: sums.prodSum.slice(), mag1: sums.mag1.slice(), mag2: sums.mag2.slice() };
  }
  const prodSum = allocate(dtype, rows);
  const mag1 = allocate(dtype, rows);
  const mag2 = allocate(dtype, rows);
  const vectors = Math.floor(D / lanes);
  if (D >= lanes && Math.floor(vectors / 4) < 16) {
    // no cascade level is reached: each ILP column one chain of adds (rowSums32 / rowSums64)
    if (dtype === 'float32')
      rowSums32(
        x1 as Float32Array,
        x2 as Float32Array,
        D,
        lanes,
        prodSum as Float32Array,
        mag1 as Float32Array,
        mag2 as Float32Array,
        0,
        rows,
      );
    else
      rowSums64(
        x1 as Float64Array,
        x2 as Float64Array,
        D,
        lanes,
        prodSum as Float64Array,
        mag1 as Float64Array,
        mag2 as Float64Array,
        0,
        rows,
      );
    return { prodSum, mag1, mag2 };
  }
  const row = allocate(dtype, D);
  for (let n = 0; n < rows; n++) {
    const base = n * D;
    for (let j = 0; j < D; j++) row[j] = r(x1[base + j]! * x2[base + j]!);
    prodSum[n] = atenRowSum(row, 0, D, lanes, r);
    for (let j = 0; j < D; j++) row[j] = r(x1[base + j]! * x1[base + j]!);
    mag1[n] = r(atenRowSum(row, 0, D, lanes, r) + EPSILON);
    for (let j = 0; j < D; j++) row[j] = r(x2[base + j]! * x2[base + j]!);
    mag2[n] = r(atenRowSum(row, 0, D, lanes, r) + EPSILON);
  }
  return { prodSum, mag1, mag2 };
}

/** rowSums32 / rowSums64's ILP columns (4 x at most 16 lanes) of the three sums. */
const cols32 = [0, 1, 2].map(() => new Float32Array(64));
const cols64 = [0, 1, 2].map(() => new Float64Array(64));

/**
 * The three row sums of each row of D values (prod_sum, mag_square1, mag_square2 with EPSILON
 * added), as atenRowSum sums a row of at least one vector whose multi_row_sum stays below its
 * first cascade level (fewer than 16 ILP rows): column k of the 4 x lanes ILP columns adds the
 * rows' values k in row order from 0; lane l's tail vectors add to column l, then columns l,
 * lanes + l, 2 lanes + l, 3 lanes + l are added; the scalar tail, then the lanes, to 0.
 */
function rowSums32(
  x1: Float32Array,
  x2: Float32Array,
  D: number,
  lanes: number,
  prodSum: Float32Array,
  mag1: Float32Array,
  mag2: Float32Array,
  n0: number,
  n1: number,
): void {
  const f = Math.fround;
  const width = 4 * lanes;
  const vectors = Math.floor(D / lanes);
  const ilpEnd = Math.floor(vectors / 4) * width;
  const cp = cols32[0]!;
  const c1 = cols32[1]!;
  const c2 = cols32[2]!;
  for (let n = n0; n < n1; n++) {
    const base = n * D;
    for (let k = 0; k < width; k++) {
      let sp = 0;
      let s1 = 0;
      let s2 = 0;
      for (let j = base + k; j < base + ilpEnd; j += width) {
        const a = x1[j]!;
        const b = x2[j]!;
        sp = f(sp + f(a * b));
        s1 = f(s1 + f(a * a));
        s2 = f(s2 + f(b * b));
      }
      cp[k] = sp;
      c1[k] = s1;
      c2[k] = s2;
    }
    for (let j = base + ilpEnd; j < base + vectors * lanes; j += lanes) {
      for (let l = 0; l < lanes; l++) {
        const a = x1[j + l]!;
        const b = x2[j + l]!;
        cp[l] = f(cp[l]! + f(a * b));
        c1[l] = f(c1[l]! + f(a * a));
        c2[l] = f(c2[l]! + f(b * b));
      }
    }
    let tp = 0;
    let t1 = 0;
    let t2 = 0;
    for (let j = base + vectors * lanes; j < base + D; j++) {
      const a = x1[j]!;
      const b = x2[j]!;
      tp = f(tp + f(a * b));
      t1 = f(t1 + f(a * a));
      t2 = f(t2 + f(b * b));
    }
    for (let l = 0; l < lanes; l++) {
      tp = f(tp + f(f(f(cp[l]! + cp[lanes + l]!) + cp[2 * lanes + l]!) + cp[3 * lanes + l]!));
      t1 = f(t1 + f(f(f(c1[l]! + c1[lanes + l]!) + c1[2 * lanes + l]!) + c1[3 * lanes + l]!));
      t2 = f(t2 + f(f(f(c2[l]! + c2[lanes + l]!) + c2[2 * lanes + l]!) + c2[3 * lanes + l]!));
    }
    prodSum[n] = 0 + tp;
    mag1[n] = f(0 + t1) + EPSILON;
    mag2[n] = f(0 + t2) + EPSILON;
  }
}

/**
 * The three row sums of each row of D values (prod_sum, mag_square1, mag_square2 with EPSILON
 * added), as atenRowSum sums a row of at least one vector whose multi_row_sum stays below its
 * first cascade level (fewer than 16 ILP rows): column k of the 4 x lanes ILP columns adds the
 * rows' values k in row order from 0; lane l's tail vectors add to column l, then columns l,
 * lanes + l, 2 lanes + l, 3 lanes + l are added; the scalar tail, then the lanes, to 0.
 */
function rowSums64(
  x1: Float64Array,
  x2: Float64Array,
  D: number,
  lanes: number,
  prodSum: Float64Array,
  mag1: Float64Array,
  mag2: Float64Array,
  n0: number,
  n1: number,
): void {
  const width = 4 * lanes;
  const vectors = Math.floor(D / lanes);
  const ilpEnd = Math.floor(vectors / 4) * width;
  const cp = cols64[0]!;
  const c1 = cols64[1]!;
  const c2 = cols64[2]!;
  for (let n = n0; n < n1; n++) {
    const base = n * D;
    for (let k = 0; k < width; k++) {
      let sp = 0;
      let s1 = 0;
      let s2 = 0;
      for (let j = base + k; j < base + ilpEnd; j += width) {
        const a = x1[j]!;
        const b = x2[j]!;
        sp = sp + a * b;
        s1 = s1 + a * a;
        s2 = s2 + b * b;
      }
      cp[k] = sp;
      c1[k] = s1;
      c2[k] = s2;
    }
    for (let j = base + ilpEnd; j < base + vectors * lanes; j += lanes) {
      for (let l = 0; l < lanes; l++) {
        const a = x1[j + l]!;
        const b = x2[j + l]!;
        cp[l] = cp[l]! + a * b;
        c1[l] = c1[l]! + a * a;
        c2[l] = c2[l]! + b * b;
      }
    }
    let tp = 0;
    let t1 = 0;
    let t2 = 0;
    for (let j = base + vectors * lanes; j < base + D; j++) {
      const a = x1[j]!;
      const b = x2[j]!;
      tp = tp + a * b;
      t1 = t1 + a * a;
      t2 = t2 + b * b;
    }
    for (let l = 0; l < lanes; l++) {
      tp += cp[l]! + cp[lanes + l]! + cp[2 * lanes + l]! + cp[3 * lanes + l]!;
      t1 += c1[l]! + c1[lanes + l]! + c1[2 * lanes + l]! + c1[3 * lanes + l]!;
      t2 += c2[l]! + c2[lanes + l]! + c2[2 * lanes + l]! + c2[3 * lanes + l]!;
    }
    prodSum[n] = 0 + tp;
    mag1[n] = 0 + t1 + EPSILON;
    mag2[n] = 0 + t2 + EPSILON;
  }
}

function forward(p: Plan): Forward {
  const fast = rowSums(p);
  return fast ? cosAndLosses(p, fast.prodSum, fast.mag1, fast.mag2) : cosAndLosses(p, ...sums(p));
}

/** The three sums of the general case (broadcast, each over its own shape and dim). */
function sums(p: Plan): [FloatArray, FloatArray, FloatArray] {
  const { dtype, S } = p;
  const r = useDType(dtype);
  const x1 = p.input1.data;
  const x2 = p.input2.data;
  const a = over(x1, p.input1.shape, S);
  const b = over(x2, p.input2.shape, S);
  const prod = allocate(dtype, numel(S));
  for (let i = 0; i < prod.length; i++) prod[i] = r(a[i]! * b[i]!);
  const prodSum = sumDim(prod, S, p.dS, dtype, p.lanes, r);
  // each magnitude in its own operand's dtype (round is one function: switched per op)
  const r1 = useDType(p.d1);
  const q1 = allocate(p.d1, x1.length);
  for (let i = 0; i < q1.length; i++) q1[i] = r1(x1[i]! * x1[i]!);
  const mag1 = sumDim(q1, p.input1.shape, p.dA, p.d1, p.lanes1, r1);
  for (let i = 0; i < mag1.length; i++) mag1[i] = r1(mag1[i]! + EPSILON);
  const r2 = useDType(p.d2);
  const q2 = allocate(p.d2, x2.length);
  for (let i = 0; i < q2.length; i++) q2[i] = r2(x2[i]! * x2[i]!);
  const mag2 = sumDim(q2, p.input2.shape, p.dB, p.d2, p.lanes2, r2);
  for (let i = 0; i < mag2.length; i++) mag2[i] = r2(mag2[i]! + EPSILON);
  return [prodSum, mag1, mag2];
}

/** denom, cos and the losses from the sums. */
function cosAndLosses(p: Plan, prodSum: FloatArray, mag1: FloatArray, mag2: FloatArray): Forward {
  const { dtype } = p;
  const r = useDType(dtype);
  const m1 = over(mag1, p.M1, p.Dn);
  const m2 = over(mag2, p.M2, p.Dn);
  const denom = allocate(dtype, numel(p.Dn));
  for (let i = 0; i < denom.length; i++) denom[i] = r(Math.sqrt(r(m1[i]! * m2[i]!)));
  const ps = over(prodSum, p.P, p.C);
  const dn = over(denom, p.Dn, p.C);
  const cos = allocate(dtype, numel(p.C));
  for (let i = 0; i < cos.length; i++) cos[i] = r(ps[i]! / dn[i]!);
  const cs = over(cos, p.C, p.O);
  const t = over(p.target.data, p.target.shape, p.O);
  const losses = allocate(dtype, numel(p.O));
  for (let i = 0; i < losses.length; i++) {
    const ti = t[i]!;
    const ci = cs[i]!;
    const pos = ti === 1 ? r(1 - ci) : 0;
    let neg = 0;
    if (ti === -1) {
      const v = r(ci - p.margin);
      neg = v < 0 ? 0 : v; // clamp_min_(0): NaN stays NaN
    }
    losses[i] = r(pos + neg);
  }
  return { prodSum, mag1, mag2, denom, cos, losses };
}

/**
 * The cosine embedding loss: 1 - cos(input1, input2) where target is 1, max(0, cos - margin) where
 * it is -1 (0 elsewhere), cos along dim 1 of (N, D) inputs with an (N) target, or of (D) inputs
 * with a 0-d target (torch >= 1.11), reduced.
 */
export function cosineEmbeddingLoss(
  input1: Tensor,
  input2: Tensor,
  target: Tensor | IndexTensor,
  options?: CosineEmbeddingOptions,
): Tensor {
  const p = plan(OP, { input1, input2, target }, options);
  const fast = rowLosses32(p);
  if (typeof fast === 'number') return reducedTotal(fast, numel(p.O), p.reduction as 'mean' | 'sum', 'float32');
  if (fast) return applyReduction(fast, p.O, p.reduction, p.dtype, p.lanes, useDType(p.dtype));
  const f = forward(p);
  return applyReduction(f.losses, p.O, p.reduction, p.dtype, p.lanes, useDType(p.dtype));
}

/**
 * float32 of one shape reduced over the last dim with a float32 target per row: the row sums and
 * cosAndLosses' chain per row in WebAssembly SIMD (../wasm/assembly/vectors.ts cosineRowSums,
 * cosineLosses: the same ops, so the same values), one loss per row, or for a 'mean' / 'sum' over
 * at least one vector their sum (the module's cascade, atenRowSum's order); null otherwise.
 */
function rowLosses32(p: Plan): Float32Array | number | null {
  const t = p.target;
  if (p.dtype !== 'float32' || !(t.data instanceof Float32Array) || !sameShape(t.shape, p.C) || !sameShape(p.O, p.C)) return null;
  if (!oneShapeRows(p)) return null;
  const shape = p.input1.shape;
  const D = shape[shape.length - 1]!;
  const k = vectorKernels();
  if (!k?.cosineRows(D, p.lanes)) return null;
  const rows = p.input1.data.length / D;
  const [x1, x2] = [p.input1.data as Float32Array, p.input2.data as Float32Array];
  if (p.reduction !== 'none' && k.sums(rows, p.lanes)) return k.cosineLossSum(x1, x2, rows, D, p.lanes, EPSILON, t.data, p.margin);
  return k.cosineLosses(x1, x2, rows, D, p.lanes, EPSILON, t.data, p.margin);
}

/**
 * input1's gradient g * x1 twice (added) plus prod_sum's g * x2, and input2's likewise, row by row
 * (each row's magnitude and prod_sum gradients a1, a2, ps).
 */
function rowGrads32(
  x1: Float32Array,
  x2: Float32Array,
  D: number,
  gM1: ArrayLike<number>,
  gM2: ArrayLike<number>,
  gPs: ArrayLike<number>,
  g1: Float32Array,
  g2: Float32Array,
  n0: number,
  n1: number,
): void {
  const f = Math.fround;
  for (let n = n0, i = n0 * D; n < n1; n++) {
    const a1 = gM1[n]!;
    const a2 = gM2[n]!;
    const ps = gPs[n]!;
    for (let j = 0; j < D; j++, i++) {
      const u = x1[i]!;
      const v = x2[i]!;
      const q1 = f(a1 * u);
      const q2 = f(a2 * v);
      g1[i] = f(q1 + q1) + f(ps * v);
      g2[i] = f(q2 + q2) + f(ps * u);
    }
  }
}

function rowGrads64(
  x1: Float64Array,
  x2: Float64Array,
  D: number,
  gM1: ArrayLike<number>,
  gM2: ArrayLike<number>,
  gPs: ArrayLike<number>,
  g1: Float64Array,
  g2: Float64Array,
  n0: number,
  n1: number,
): void {
  for (let n = n0, i = n0 * D; n < n1; n++) {
    const a1 = gM1[n]!;
    const a2 = gM2[n]!;
    const ps = gPs[n]!;
    for (let j = 0; j < D; j++, i++) {
      const u = x1[i]!;
      const v = x2[i]!;
      const q1 = a1 * u;
      const q2 = a2 * v;
      g1[i] = q1 + q1 + ps * v;
      g2[i] = q2 + q2 + ps * u;
    }
  }
}

/**
 * rowsBackward's chain per row n in [n0, n1), from the row's sums to its magnitude and prod_sum
 * gradients (the arrays indexed from row `base`): the where()s, clamp_min_, 1 - cos, the division,
 * sqrt_ and the magnitudes' product, each rounded to the dtype.
 */
function rowScalars(
  p: Plan,
  t: ArrayLike<number>,
  go: FloatArray,
  gMean: number,
  n0: number,
  n1: number,
  base: number,
  prodSum: FloatArray,
  mag1: FloatArray,
  mag2: FloatArray,
  gM1: FloatArray,
  gM2: FloatArray,
  gPs: FloatArray,
): void {
  const { margin } = p;
  const strict = p.torch.clampMinGradZeroAtMin;
  const perElement = p.reduction === 'none';
  const r = useDType(p.dtype);
  for (let n = n0; n < n1; n++) {
    const i = n - base;
    const g = perElement ? r(go[n]!) : gMean;
    const tn = t[n]!;
    const gPos = tn === 1 ? g : 0;
    const gNeg = tn === -1 ? g : 0;
    const dn = r(Math.sqrt(r(mag1[i]! * mag2[i]!)));
    const ps = prodSum[i]!;
    const v = r(r(ps / dn) - margin);
    const gCos = r(((strict ? v > 0 : v >= 0) ? gNeg : 0) + -gPos);
    gPs[i] = r(gCos / dn);
    const gm = r(r(-gCos * r(r(ps / dn) / dn)) / r(2 * dn));
    gM1[i] = r(gm * mag2[i]!);
    gM2[i] = r(gm * mag1[i]!);
  }
}

/** rowsBackward's rows at a time: their inputs stay in L1 from the sums to the gradients. */
const ROW_BLOCK = 32;

/**
 * The backward of one shape and dtype reduced over the last dim, with an output of cos's shape:
 * every sum to a shape is the identity, so each row's chain (the where()s, clamp_min_, 1 - cos,
 * the division, sqrt_, the magnitudes' product) is a few scalars, then rowGrads over its values.
 * A block of rows at a time: the forward's row sums, the scalars, the gradients.
 */
function rowsBackward(p: Plan, go: FloatArray, gMean: number): CosineEmbeddingGrads {
  const { dtype, lanes } = p;
  const shape = p.input1.shape;
  const D = shape[shape.length - 1]!;
  const x1 = p.input1.data;
  const x2 = p.input2.data;
  const rows = D === 0 ? numel(shape.slice(0, -1)) : x1.length / D;
  const columns = D >= lanes && Math.floor(Math.floor(D / lanes) / 4) < 16;
  const t = over(p.target.data, p.target.shape, p.O);
  const k = dtype === 'float32' && columns ? vectorKernels() : null;
  if (k?.cosineRows(D, lanes)) {
    // WebAssembly SIMD (../wasm/assembly/vectors.ts): per block of rows the sums, the same per-row chain here, the gradients
    const g1 = allocate(dtype, x1.length) as Float32Array;
    const g2 = allocate(dtype, x2.length) as Float32Array;
    // a float32 target per row: the chain in the module too (cosineRowScalars); else here (rowScalars)
    const target = p.target.data;
    const scalars: CosineRowScalars | CosineRowRule =
      target instanceof Float32Array && sameShape(p.target.shape, p.O)
        ? { target, go: p.reduction === 'none' ? go : null, g: gMean, margin: p.margin, strict: p.torch.clampMinGradZeroAtMin }
        : (n0, count, sums, out) =>
            rowScalars(p, t, go, gMean, n0, n0 + count, n0, sums.prodSum, sums.mag1, sums.mag2, out.gM1, out.gM2, out.gPs);
    if (k.cosineBackward(x1 as Float32Array, x2 as Float32Array, rows, D, lanes, EPSILON, scalars, g1, g2)) {
      return { input1: makeTensor(g1, shape, dtype), input2: makeTensor(g2, p.input2.shape, dtype) };
    }
  }
  const all = columns ? null : rowSums(p)!;
  const prodSum = all ? all.prodSum : allocate(dtype, rows);
  const mag1 = all ? all.mag1 : allocate(dtype, rows);
  const mag2 = all ? all.mag2 : allocate(dtype, rows);
  const gM1 = allocate(dtype, rows);
  const gM2 = allocate(dtype, rows);
  const gPs = allocate(dtype, rows);
  const g1 = allocate(dtype, x1.length);
  const g2 = allocate(dtype, x2.length);
  const f32 = dtype === 'float32';
  for (let n0 = 0; n0 < rows; n0 += ROW_BLOCK) {
    const n1 = Math.min(rows, n0 + ROW_BLOCK);
    if (columns && f32) {
      rowSums32(
        x1 as Float32Array,
        x2 as Float32Array,
        D,
        lanes,
        prodSum as Float32Array,
        mag1 as Float32Array,
        mag2 as Float32Array,
        n0,
        n1,
      );
    } else if (columns) {
      rowSums64(
        x1 as Float64Array,
        x2 as Float64Array,
        D,
        lanes,
        prodSum as Float64Array,
        mag1 as Float64Array,
        mag2 as Float64Array,
        n0,
        n1,
      );
    }
    rowScalars(p, t, go, gMean, n0, n1, 0, prodSum, mag1, mag2, gM1, gM2, gPs);
    if (f32) rowGrads32(x1 as Float32Array, x2 as Float32Array, D, gM1, gM2, gPs, g1 as Float32Array, g2 as Float32Array, n0, n1);
    else rowGrads64(x1 as Float64Array, x2 as Float64Array, D, gM1, gM2, gPs, g1 as Float64Array, g2 as Float64Array, n0, n1);
  }
  return { input1: makeTensor(g1, shape, dtype), input2: makeTensor(g2, p.input2.shape, dtype) };
}

/** d loss / d input1 and d loss / d input2 for a gradOutput shaped like the forward output. */
export function cosineEmbeddingLossBackward(
  gradOutput: Tensor,
  input1: Tensor,
  input2: Tensor,
  target: Tensor | IndexTensor,
  options?: CosineEmbeddingOptions,
): CosineEmbeddingGrads {
  const op = `${OP}Backward`;
  const p = plan(op, { input1, input2, target, gradOutput }, options);
  checkGradOutput(op, gradOutput, p.reduction === 'none' ? p.O : []);
  const { dtype, lanes } = p;
  const r = useDType(dtype);
  const go = gradOutput.data;
  const nO = numel(p.O);
  const gMean = p.reduction === 'mean' ? r(r(go[0]!) / r(nO)) : p.reduction === 'sum' ? r(go[0]!) : 0;
  if (oneShapeRows(p) && sameShape(p.O, p.C)) return rowsBackward(p, go, gMean);
  const f = forward(p);
  useDType(dtype); // the sums switched round to each operand's dtype
  // the two where()s, summed to cos's shape
  const t = over(p.target.data, p.target.shape, p.O);
  const gPos = allocate(dtype, nO);
  const gNeg = allocate(dtype, nO);
  for (let i = 0; i < nO; i++) {
    const g = p.reduction === 'none' ? r(go[i]!) : gMean;
    gPos[i] = t[i] === 1 ? g : 0;
    gNeg[i] = t[i] === -1 ? g : 0;
  }
  const gp = sumTo(gPos, p.O, p.C, dtype, lanes, r);
  const gn = sumTo(gNeg, p.O, p.C, dtype, lanes, r);
  const nC = numel(p.C);
  const strict = p.torch.clampMinGradZeroAtMin;
  const gCos = allocate(dtype, nC);
  for (let i = 0; i < nC; i++) {
    const v = r(f.cos[i]! - p.margin);
    const gv = (strict ? v > 0 : v >= 0) ? gn[i]! : 0;
    gCos[i] = r(gv + -gp[i]!); // neg's branch and 1 - cos's -g
  }
  // cos = prod_sum / denom
  const ps = over(f.prodSum, p.P, p.C);
  const dn = over(f.denom, p.Dn, p.C);
  const gPsFull = allocate(dtype, nC);
  const gDnFull = allocate(dtype, nC);
  for (let i = 0; i < nC; i++) {
    const g = gCos[i]!;
    gPsFull[i] = r(g / dn[i]!);
    gDnFull[i] = r(-g * r(r(ps[i]! / dn[i]!) / dn[i]!));
  }
  const gPs = sumTo(gPsFull, p.C, p.P, dtype, lanes, r);
  const gDn = sumTo(gDnFull, p.C, p.Dn, dtype, lanes, r);
  // denom = sqrt_(m), m = mag1 * mag2
  const nD = numel(p.Dn);
  const m1 = over(f.mag1, p.M1, p.Dn);
  const m2 = over(f.mag2, p.M2, p.Dn);
  const gM1Full = allocate(dtype, nD);
  const gM2Full = allocate(dtype, nD);
  for (let i = 0; i < nD; i++) {
    const gm = r(gDn[i]! / r(2 * f.denom[i]!));
    gM1Full[i] = r(gm * m2[i]!);
    gM2Full[i] = r(gm * m1[i]!);
  }
  // summed to each magnitude's shape, in its dtype (the engine casts a gradient to its input's dtype)
  const sM1 = sumTo(gM1Full, p.Dn, p.M1, dtype, lanes, r);
  const sM2 = sumTo(gM2Full, p.Dn, p.M2, dtype, lanes, useDType(dtype));
  const gM1 = sM1.map(useDType(p.d1));
  const gM2 = sM2.map(useDType(p.d2));
  // + EPSILON passes, the sums expand along d, input * input gives g * input twice
  if (sameShape(p.input1.shape, p.input2.shape) && p.d1 === p.d2 && p.S.length > 0 && p.dS === p.S.length - 1) {
    // one shape, the last dim: every sum to a shape is the identity, the expansions are per row
    const D = p.S[p.S.length - 1]!;
    const x1 = p.input1.data;
    const x2 = p.input2.data;
    const g1 = allocate(p.d1, x1.length);
    const g2 = allocate(p.d2, x2.length);
    const rows = D === 0 ? 0 : x1.length / D;
    if (dtype === 'float32')
      rowGrads32(x1 as Float32Array, x2 as Float32Array, D, gM1, gM2, gPs, g1 as Float32Array, g2 as Float32Array, 0, rows);
    else rowGrads64(x1 as Float64Array, x2 as Float64Array, D, gM1, gM2, gPs, g1 as Float64Array, g2 as Float64Array, 0, rows);
    return { input1: makeTensor(g1, p.input1.shape, p.d1), input2: makeTensor(g2, p.input2.shape, p.d2) };
  }
  const gq1 = over(gM1, keepDim(p.input1.shape, p.dA), p.input1.shape);
  const gq2 = over(gM2, keepDim(p.input2.shape, p.dB), p.input2.shape);
  // prod_sum = (input1 * input2).sum(d)
  const S = p.S;
  const nS = numel(S);
  useDType(dtype);
  const gpS = over(gPs, keepDim(S, p.dS), S);
  const a = over(p.input1.data, p.input1.shape, S);
  const b = over(p.input2.data, p.input2.shape, S);
  const g1Full = allocate(dtype, nS);
  const g2Full = allocate(dtype, nS);
  for (let i = 0; i < nS; i++) {
    g1Full[i] = r(gpS[i]! * b[i]!);
    g2Full[i] = r(gpS[i]! * a[i]!);
  }
  const g1p = sumTo(g1Full, S, p.input1.shape, dtype, lanes, r);
  const g2p = sumTo(g2Full, S, p.input2.shape, dtype, lanes, r);
  const x1 = p.input1.data;
  const x2 = p.input2.data;
  const g1 = allocate(p.d1, x1.length);
  const g2 = allocate(p.d2, x2.length);
  // each operand's terms in its dtype (prod_sum's cast to it), added in its buffer
  const r1 = useDType(p.d1);
  for (let i = 0; i < g1.length; i++) {
    const q = r1(gq1[i]! * x1[i]!);
    g1[i] = r1(r1(q + q) + r1(g1p[i]!));
  }
  const r2 = useDType(p.d2);
  for (let i = 0; i < g2.length; i++) {
    const q = r2(gq2[i]! * x2[i]!);
    g2[i] = r2(r2(q + q) + r2(g2p[i]!));
  }
  return { input1: makeTensor(g1, p.input1.shape, p.d1), input2: makeTensor(g2, p.input2.shape, p.d2) };
}

/** nn.CosineEmbeddingLoss(margin, size_average, reduce, reduction): the options fixed at construction, as torch's module. */
export const CosineEmbeddingLoss = lossModule3<CosineEmbeddingOptions, Tensor, Tensor | IndexTensor, CosineEmbeddingGrads>(
  'CosineEmbeddingLoss',
  cosineEmbeddingLoss,
  cosineEmbeddingLossBackward,
  true, // nn.CosineEmbeddingLoss's __init__ takes size_average and reduce
);
export type CosineEmbeddingLoss = InstanceType<typeof CosineEmbeddingLoss>;
