// What `torch-loss-parity check --impl` loads (docs/conformance-spec.md, version 1): a JavaScript /
// TypeScript module exporting functions under torch's functional names, or a config file
// (torch-loss-parity.config.ts / .mjs / .js / .json) mapping torch's names to a library's own
// functions through small adapters. Both validated with zod; a problem names the file and the field.

import { z } from 'zod';

/** A tensor as an implementation receives and returns it. */
export interface SpecTensor {
  readonly shape: readonly number[];
  /** float32: Float32Array, float64: Float64Array, int64 / int32: Int32Array, bool: Uint8Array. */
  readonly dtype: 'float32' | 'float64' | 'int64' | 'int32' | 'bool';
  readonly data: Float32Array | Float64Array | Int32Array | Uint8Array;
}

/** A returned tensor: dtype may be left out (from the typed array; a plain number[] is the case's dtype). */
export interface ResultTensor {
  readonly shape: readonly number[];
  readonly dtype?: 'float32' | 'float64';
  readonly data: Float32Array | Float64Array | readonly number[];
}

/** Keyword arguments by torch's names: tensors as SpecTensor, the rest as given (numbers, booleans, strings, null). */
export type SpecKwargs = Readonly<Record<string, SpecTensor | number | boolean | string | null>>;

/** The third argument: which golden case this is (an implementation that follows one release may ignore it). */
export interface CaseContext {
  /** The golden case's id, e.g. 'binary_cross_entropy_with_logits/float32/mean/basic/4x3'. */
  readonly case: string;
  /** torch.__version__ of the golden file, e.g. '2.14.1+debian'. */
  readonly torch: string;
  /** The ATen CPU capability the golden was made with: 'avx2', 'default' or 'avx512'. */
  readonly cpuCapability: string;
  readonly dtype: 'float32' | 'float64';
  /** The functional name called. */
  readonly function: string;
}

export type ForwardFunction = (
  args: readonly SpecTensor[],
  kwargs: SpecKwargs,
  context: CaseContext,
) => ResultTensor | Promise<ResultTensor>;
export type BackwardFunction = (
  gradOutput: SpecTensor,
  args: readonly SpecTensor[],
  kwargs: SpecKwargs,
  context: CaseContext,
) => ResultTensor | Readonly<Record<string, ResultTensor>> | Promise<ResultTensor | Readonly<Record<string, ResultTensor>>>;

/** A config module's default export (torch-loss-parity.config.ts). */
export interface CheckConfig {
  readonly spec: 1;
  /** Shown in the report. */
  readonly name?: string;
  /** The torch release the implementation follows (held to its goldens); `--torch` overrides. */
  readonly torch?: string;
  /** torch's functional name -> the forward, or { forward, backward }. */
  readonly functions: Readonly<Record<string, ForwardFunction | { forward: ForwardFunction; backward?: BackwardFunction }>>;
}

/** Types a config in an editor; returns it unchanged. */
export function defineConfig(config: CheckConfig): CheckConfig {
  return config;
}

const fn = z.custom<(...a: unknown[]) => unknown>((v) => typeof v === 'function', { message: 'expected a function' });

/** A module config (the default export of torch-loss-parity.config.ts / .mjs / .js). */
export const ModuleConfig = z.strictObject({
  spec: z.literal(1, { message: 'spec must be 1 (the conformance spec version this config follows)' }),
  name: z.string().optional(),
  torch: z.string().optional(),
  functions: z.record(z.string(), z.union([fn, z.strictObject({ forward: fn, backward: fn.optional() })])),
});

/**
 * How a JSON config calls a function of its module: 'args-kwargs' as the spec does
 * (fn(args, kwargs, context)); 'positional' as this library's ports do (fn(...args, options), and
 * backward fn(gradOutput, ...args, options)), options being the kwargs under camelCase names
 * (ignore_index -> ignoreIndex) unless `names` is 'torch'.
 */
const JsonFunction = z.strictObject({
  forward: z.string().min(1),
  backward: z.string().min(1).optional(),
  call: z.enum(['args-kwargs', 'positional']).default('args-kwargs'),
  names: z.enum(['torch', 'camelCase']).default('camelCase'),
});

/** torch-loss-parity.config.json: a module and which of its exports is which torch function, or a command. */
export const JsonConfig = z
  .strictObject({
    spec: z.literal(1, { message: 'spec must be 1 (the conformance spec version this config follows)' }),
    name: z.string().optional(),
    torch: z.string().optional(),
    /** The module (relative to the config file) whose exports `functions` names. */
    module: z.string().min(1).optional(),
    functions: z.record(z.string(), z.union([z.string().min(1), JsonFunction])).optional(),
    /** Or: a command speaking the JSON-lines protocol (run in the config file's folder). */
    command: z.string().min(1).optional(),
    /** Seconds per request (default 10). */
    timeout: z.number().positive().optional(),
  })
  .refine((c) => (c.command === undefined) !== (c.module === undefined), { message: 'set exactly one of module and command' })
  .refine((c) => c.module === undefined || c.functions !== undefined, { message: 'a module config needs functions' });
export type JsonConfig = z.infer<typeof JsonConfig>;

/** The first zod problem as "<file>: invalid config at <path>: <message>". */
export function configProblem(file: string, error: z.ZodError): string {
  const issue = error.issues[0]!;
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  return `${file}: invalid config at $${path}: ${issue.message}`;
}

/** The file names `check` looks for in the current folder when given neither --impl nor --command. */
export const CONFIG_NAMES = [
  'torch-loss-parity.config.ts',
  'torch-loss-parity.config.mts',
  'torch-loss-parity.config.mjs',
  'torch-loss-parity.config.js',
  'torch-loss-parity.config.json',
];
