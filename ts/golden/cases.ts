// Golden cases as a test suite uses them (torch-loss-parity/vitest, and the harness entry for any
// framework): goldenCases(loss, { torch, dir }) for test.each, and matchTorch(result, case, part),
// the comparison behind expect(...).toMatchTorch(case): torch.testing.assert_close's rule at the
// golden file's tolerance (./compare.ts), errors judged by torch's Python type and the case's regex
// (matchError). A failure names the case, the elements beyond tolerance (index, position, got, want,
// tolerance, ULP) and how many there are. Node only (it reads golden files).

import { compareTensor, ulpDistance, type Comparison } from './compare.ts';
import { GOLDEN_DIR } from './paths.ts';
import { loadGoldens, matchError, portOptions, toTensor } from './run.ts';
import { LOSSES, type LossEntry } from '../losses/registry.ts';
import type { IndexTensor, Tensor } from '../tensor.ts';
import { torchMatches, type CpuCapability } from '../torch-version.ts';
import {
  goldenSetLabel,
  tensorValues,
  type GoldenCase,
  type GoldenFile,
  type TensorJson,
  type Tolerance,
  type TorchError,
} from './schema.ts';

/** A tensor as a case hands it out: float32 Float32Array, float64 Float64Array, int64 / int32 Int32Array, bool Uint8Array. */
export interface CaseTensor {
  readonly shape: number[];
  readonly dtype: TensorJson['dtype'];
  readonly data: Float32Array | Float64Array | Int32Array | Uint8Array;
}

/** A floating-point CaseTensor (an output, a gradient): also this library's Tensor. */
export interface FloatCaseTensor extends CaseTensor {
  readonly dtype: 'float32' | 'float64';
  readonly data: Float32Array | Float64Array;
}

/** What toMatchTorch compares: the output (default) or the gradient of one argument. */
export type TorchPart = 'output' | { grad: string };

/** What a result may be: a tensor ({ data, shape }, dtype optional), or a backward's tensors by argument name. */
export type TorchResult =
  | { readonly shape: readonly number[]; readonly data: ArrayLike<number>; readonly dtype?: string }
  | Readonly<Record<string, { readonly shape: readonly number[]; readonly data: ArrayLike<number>; readonly dtype?: string }>>;

function caseTensor(t: TensorJson): CaseTensor {
  if (t.dtype === 'bool') return { shape: [...t.shape], dtype: t.dtype, data: Uint8Array.from(tensorValues(t)) };
  return { shape: [...t.shape], dtype: t.dtype, data: toTensor(t).data };
}

/**
 * One golden case, ready to call an implementation with. Every getter decodes afresh, so a function
 * that writes into its arguments cannot change another call's.
 */
export class TorchCase {
  /** `torch <version> <id>`: a test name (test.each's '$name'). */
  readonly name: string;
  readonly id: string;
  readonly loss: string;
  /** torch.__version__ of the golden file. */
  readonly torch: string;
  /** The CPU capability torch ran with ('avx2', 'default', 'avx512'). */
  readonly cpuCapability: string;
  readonly dtype: 'float32' | 'float64';
  /** The golden file's tolerance for this case's dtype. */
  readonly tolerance: Tolerance;
  /** The golden file it came from. */
  readonly file: string;
  /** The case as the golden file records it. */
  readonly case: GoldenCase;
  /** What torch raised, else null (then `output` holds what it returned). */
  readonly error: TorchError | null;
  /** What torch's backward raised after the forward ran, else null. */
  readonly gradError: TorchError | null;
  /** The arguments whose gradients the case records (empty without a backward). */
  readonly grads: readonly string[];
  /** The positional tensor argument names, in torch's order. */
  readonly argNames: readonly string[];

  constructor(golden: GoldenFile, c: GoldenCase, file: string) {
    // The set label ("2.14.1+debian avx512") keeps names unique across a version's capability sets.
    this.name = `torch ${goldenSetLabel(golden)} ${c.id}`;
    this.id = c.id;
    this.loss = golden.loss;
    this.torch = golden.torch;
    this.cpuCapability = golden.environment.cpu_capability;
    this.dtype = c.dtype;
    this.tolerance = golden.tolerance[c.dtype];
    this.file = file;
    this.case = c;
    this.error = c.error;
    this.gradError = c.grad_error;
    this.grads = c.grads ? Object.keys(c.grads) : [];
    this.argNames = golden.args;
  }

  /** The positional tensors, in torch's order (spread them into this library's ports: `port(...c.args, c.options)`). */
  get args(): CaseTensor[] {
    return this.argNames.map((name) => caseTensor(this.case.args[name]!));
  }

  /**
   * The positional tensors as this library's ports take them (Tensor; integer and bool dtypes as
   * IndexTensor), in torch's order: what runCase passes.
   */
  get tensors(): (Tensor | IndexTensor)[] {
    return this.argNames.map((name) => toTensor(this.case.args[name]!));
  }

  /** The positional tensors by torch's names. */
  get argsByName(): Record<string, CaseTensor> {
    return Object.fromEntries(this.argNames.map((name) => [name, caseTensor(this.case.args[name]!)]));
  }

  /** Keyword arguments by torch's names (tensors decoded; numbers, booleans, strings and null as given). */
  get kwargs(): Record<string, CaseTensor | number | boolean | string | null> {
    return Object.fromEntries(
      Object.entries(this.case.kwargs).map(([k, v]) => [k, v !== null && typeof v === 'object' ? caseTensor(v) : v]),
    );
  }

  /** This library's options for the case: the kwargs under camelCase names, with torchVersion and cpuCapability. */
  get options(): Record<string, unknown> {
    return portOptions(this.case.kwargs, this.torch, this.cpuCapability, (LOSSES as Record<string, LossEntry>)[this.loss]);
  }

  /** The gradient passed to torch.autograd.grad (shaped like the output), or null without a backward. */
  get gradOutput(): FloatCaseTensor | null {
    return this.case.grad_output ? (caseTensor(this.case.grad_output) as FloatCaseTensor) : null;
  }

  /** torch's output, or null for an error case. */
  get output(): FloatCaseTensor | null {
    return this.case.output ? (caseTensor(this.case.output) as FloatCaseTensor) : null;
  }
}

export interface GoldenCasesOptions {
  /** A torch version, or its prefix at a version boundary ('2.6' is 2.6.0+debian, not 2.60); default every version. */
  torch?: string;
  /** The golden folder (DIR/torch-<version>/<loss>.json); default this package's golden/. Any loss name is read there. */
  dir?: string;
  /** Only this dtype's cases. */
  dtype?: 'float32' | 'float64';
  /** Only the sets torch made at this CPU capability (golden/torch-<version>-avx512/); default every set. */
  cpuCapability?: CpuCapability;
}

/**
 * Every golden case of `loss` (a torch.nn.functional name, or a user case module's stem), for
 * test.each. Throws when no golden file of it is there: a suite never passes by running nothing.
 */
export function goldenCases(loss: string, options: GoldenCasesOptions = {}): TorchCase[] {
  const dir = options.dir ?? GOLDEN_DIR;
  const files = loadGoldens(dir, { loss, ...(options.dir !== undefined ? { anyLoss: true } : {}) }).filter(
    (g) =>
      (options.torch === undefined || torchMatches(g.golden.torch, options.torch)) &&
      (options.cpuCapability === undefined || g.golden.environment.cpu_capability === options.cpuCapability),
  );
  if (files.length === 0) {
    throw new Error(
      `goldenCases: no golden file of '${loss}' in ${dir}${options.torch === undefined ? '' : ` for torch ${options.torch}`}${options.cpuCapability === undefined ? '' : ` at ${options.cpuCapability}`} (expected ${dir}/torch-<version>/${loss}.json)`,
    );
  }
  return files.flatMap(({ golden, file }) =>
    golden.cases.filter((c) => options.dtype === undefined || c.dtype === options.dtype).map((c) => new TorchCase(golden, c, file)),
  );
}

// ---- the comparison -------------------------------------------------------------------------------

export interface TorchMatch {
  pass: boolean;
  message: string;
}

const f32 = new Float32Array(1);
/** The shortest decimal that reads back as the same value in the dtype (float32: 0.1, not 0.10000000149011612). */
function shown(v: number, dtype: string): string {
  if (!Number.isFinite(v) || dtype !== 'float32') return String(v);
  f32[0] = v;
  for (let digits = 1; digits <= 9; digits++) {
    const text = v.toPrecision(digits);
    if (Math.fround(Number(text)) === f32[0]) return String(Number(text));
  }
  return String(v);
}

function position(index: number, shape: readonly number[]): string {
  const at: number[] = [];
  let rest = index;
  for (let d = shape.length - 1; d >= 0; d--) {
    at.unshift(rest % shape[d]!);
    rest = Math.floor(rest / shape[d]!);
  }
  return `[${at.join(', ')}]`;
}

const SHOWN_ELEMENTS = 5;

/** A difference or a tolerance, short: 7.34e-4, 1e-5, 1.3e-6. */
const sci = (v: number) => (v === 0 || !Number.isFinite(v) ? String(v) : v.toExponential(2).replace(/\.?0+e/, 'e'));

/** The elements beyond tolerance, each as compareTensor judges it alone: index, position, got, want, tolerance, ULP. */
function elementLines(got: { data: ArrayLike<number> }, want: TensorJson, tol: Tolerance, dtype: 'float32' | 'float64'): string[] {
  const wanted = tensorValues(want);
  const lines: string[] = [];
  let beyond = 0;
  for (let i = 0; i < wanted.length; i++) {
    const g = got.data[i]!;
    const w = wanted[i]!;
    const one = compareTensor(
      { shape: [1], data: dtype === 'float32' ? Float32Array.of(g) : Float64Array.of(g) },
      { shape: [1], dtype, data: [Number.isNaN(w) ? 'NaN' : w === Infinity ? 'Infinity' : w === -Infinity ? '-Infinity' : w] },
      tol,
      dtype,
    );
    if (one.ok) continue;
    beyond++;
    if (lines.length >= SHOWN_ELEMENTS) continue;
    const allowed = tol.atol + tol.rtol * Math.abs(w);
    const finite = Number.isFinite(g) && Number.isFinite(w);
    const why = finite
      ? `|diff| ${sci(Math.abs(g - w))} > tolerance ${sci(allowed)} (atol ${sci(tol.atol)} + rtol ${sci(tol.rtol)} * |want|), ${ulpDistance(g, w, dtype)} ULP`
      : 'not the same non-finite value, ULP n/a';
    lines.push(`  element ${i} ${position(i, want.shape)}: got ${shown(g, dtype)}, want ${shown(w, dtype)}, ${why}`);
  }
  lines.push(
    `  ${beyond} of ${wanted.length} elements beyond tolerance${beyond > SHOWN_ELEMENTS ? ` (the first ${SHOWN_ELEMENTS} shown)` : ''}`,
  );
  return lines;
}

/** A result's data as the typed array of its dtype (a plain number[] takes the declared dtype, else the case's). */
function asTensor(
  v: unknown,
  caseDtype: 'float32' | 'float64',
): { shape: number[]; data: Float32Array | Float64Array | Int32Array } | string {
  if (v === null || typeof v !== 'object' || !('data' in v) || !('shape' in v)) return `not a tensor { shape, data }: ${describe(v)}`;
  const { shape, data, dtype } = v as { shape: unknown; data: unknown; dtype?: unknown };
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) return `a tensor whose shape is ${String(shape)}`;
  if (data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array) return { shape, data };
  if (Array.isArray(data) && data.every((x) => typeof x === 'number')) {
    const d = dtype === 'float32' || dtype === 'float64' ? dtype : caseDtype;
    return { shape, data: d === 'float32' ? Float32Array.from(data) : Float64Array.from(data) };
  }
  return `a tensor whose data is ${describe(data)}, not a Float32Array, Float64Array or number[]`;
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return 'an array';
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  if (typeof v === 'object') return `an object (${Object.keys(v).join(', ') || 'no keys'})`;
  return `a ${typeof v}`;
}

const errorText = (e: TorchError) => `${e.type}: ${e.message}${e.regex === null ? '' : ` (matching /${e.regex}/)`}`;

/**
 * Compares a result (or a function, called here, and what it returns or throws) with the golden
 * case's output or one gradient: the matcher's logic, for any test framework.
 */
export function matchTorch(received: unknown, c: TorchCase, part: TorchPart = 'output'): TorchMatch {
  if (!(c instanceof TorchCase)) {
    return { pass: false, message: `toMatchTorch: expected a golden case from goldenCases(), got ${describe(c)}` };
  }
  const grad = typeof part === 'object' ? part.grad : null;
  const what = `${c.name} ${grad === null ? 'output' : `gradient of '${grad}'`}`;
  let value: unknown = received;
  let thrown: { error: unknown } | null = null;
  if (typeof received === 'function') {
    try {
      value = (received as () => unknown)();
    } catch (e) {
      thrown = { error: e };
    }
  }
  // torch raised: in the forward (no gradient either), or in the backward.
  const wantError = c.error ?? (grad !== null ? c.gradError : null);
  if (wantError) {
    if (!thrown) {
      return {
        pass: false,
        message: `expected ${what} to throw as torch raised ${errorText(wantError)}; ${typeof received === 'function' ? 'it returned' : 'got a value, not a function to call:'} ${describe(value)}`,
      };
    }
    const m = matchError(thrown.error, wantError);
    return m.ok
      ? { pass: true, message: `expected ${what} not to throw as torch did (${errorText(wantError)}), but it did` }
      : { pass: false, message: `${what}: ${m.message}` };
  }
  let want: TensorJson | undefined;
  if (grad === null) want = c.case.output ?? undefined;
  else {
    if (!c.case.grads) return { pass: false, message: `${what}: the golden case records no gradient (torch ran no backward for it)` };
    want = c.case.grads[grad];
    if (!want) return { pass: false, message: `${what}: the golden case has no gradient of '${grad}' (it has ${c.grads.join(', ')})` };
  }
  if (!want) return { pass: false, message: `${what}: the golden case records no output` };
  if (thrown) {
    const e = thrown.error as { name?: unknown; message?: unknown };
    return {
      pass: false,
      message: `${what}: threw ${String(e?.name ?? 'Error')}: ${String(e?.message ?? e)}, but torch returned a tensor of shape [${want.shape.join(', ')}]`,
    };
  }
  // A backward's tensors by name: take the one asked for.
  if (grad !== null && value !== null && typeof value === 'object' && !('data' in value) && grad in value) {
    value = (value as Record<string, unknown>)[grad];
  }
  const got = asTensor(value, c.dtype);
  if (typeof got === 'string') return { pass: false, message: `${what}: ${got}` };
  // an Int32Array result is reported by compareTensor as a dtype mismatch
  const cmp: Comparison = compareTensor(got as Tensor, want, c.tolerance, c.dtype);
  if (cmp.ok) {
    return { pass: true, message: `expected ${what} not to match torch's, but it does (max ULP ${cmp.maxUlp}, max |diff| ${cmp.maxAbs})` };
  }
  const sameShape = got.shape.length === want.shape.length && got.shape.every((d, i) => d === want.shape[i]);
  const details = sameShape && cmp.message.startsWith('element') ? elementLines(got, want, c.tolerance, c.dtype) : [`  ${cmp.message}`];
  return {
    pass: false,
    message: [
      `expected ${what} to match torch's (${c.dtype}, rtol ${sci(c.tolerance.rtol)}, atol ${sci(c.tolerance.atol)}; ${c.file}):`,
      ...details,
    ].join('\n'),
  };
}
