// Argument checks every loss shares. They all run before any arithmetic, and every message names
// the op and the argument.

import { LossArgumentError, checkTensor, dtypeOf, formatShape, type DType, type Tensor } from './tensor.ts';
import { useDType, type Round } from './numerics.ts';
import { CPU_CAPABILITIES, torchRelease, vectorLanes, type CpuCapability, type TorchRelease } from './torch-version.ts';

export type Reduction = 'none' | 'mean' | 'sum';
export const REDUCTIONS: readonly Reduction[] = ['none', 'mean', 'sum'];

export interface CommonOptions {
  reduction?: Reduction;
  /** The torch release whose arithmetic to follow (a torch.__version__ string); default the newest. */
  torchVersion?: string;
  /** The ATEN_CPU_CAPABILITY torch ran with; default what that release picks on an AVX-512 machine. */
  cpuCapability?: CpuCapability;
}

export interface Prepared {
  readonly reduction: Reduction;
  readonly torch: TorchRelease;
  /** float64 if any tensor argument is float64 (torch's type promotion), else float32. */
  readonly dtype: DType;
  readonly round: Round;
  /** Vector width of ATen's sum kernel for this dtype (sets float summation order). */
  readonly lanes: number;
  readonly capability: CpuCapability;
}

/**
 * Checks the options object, the tensors (`tensors` maps argument names to values; undefined means
 * absent) and the reduction; returns the dtype the op computes in.
 */
export function prepare(
  op: string,
  tensors: Record<string, unknown>,
  options: unknown,
  allowed: readonly string[],
): Prepared {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new LossArgumentError(`${op}: options must be an object, got ${options === null ? 'null' : typeof options}`, 'TypeError');
  }
  const opts = (options ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(opts)) {
    if (!allowed.includes(key) && opts[key] !== undefined) {
      throw new LossArgumentError(`${op}: unknown option '${key}' (expected ${allowed.join(', ')})`, 'TypeError');
    }
  }
  let dtype: DType = 'float32';
  for (const [arg, value] of Object.entries(tensors)) {
    if (value === undefined) continue;
    checkTensor(value, op, arg);
    if (dtypeOf(value) === 'float64') dtype = 'float64';
  }
  const reduction = opts.reduction ?? 'mean';
  if (!REDUCTIONS.includes(reduction as Reduction)) {
    throw new LossArgumentError(`${op}: reduction ${JSON.stringify(reduction)} is not valid; expected 'none', 'mean' or 'sum'`, 'ValueError');
  }
  const torch = torchRelease(opts.torchVersion as string | undefined, op);
  const capability = opts.cpuCapability ?? torch.defaultCpuCapability;
  if (!CPU_CAPABILITIES.includes(capability as CpuCapability)) {
    throw new LossArgumentError(`${op}: cpuCapability ${JSON.stringify(capability)} is not one of ${CPU_CAPABILITIES.join(', ')}`, 'ValueError');
  }
  return { reduction: reduction as Reduction, torch, dtype, round: useDType(dtype), lanes: vectorLanes(dtype), capability: capability as CpuCapability };
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** A backward's gradOutput must have the forward output's shape. */
export function checkGradOutput(op: string, gradOutput: Tensor, outputShape: readonly number[]): void {
  if (!sameShape(gradOutput.shape, outputShape)) {
    throw new LossArgumentError(
      `${op}: gradOutput shape ${formatShape(gradOutput.shape)} must equal the forward output's shape ${formatShape(outputShape)}`,
    );
  }
}
