// The golden file format (version 3, docs/golden-format.md), validated with zod on every load. Strict: an
// unknown field, a loss without a port, a torch version that is not a plain version, an absurd
// tolerance or bytes that are not UTF-8 are errors naming the file and the JSON path.
//
// On disk a loss has one cases file (cases/<stem>.json: every case's inputs, made once without torch)
// and one results file per torch release and CPU capability (torch-<version>/<stem>.json at the
// pinned avx2, torch-<version>-avx512/<stem>.json: what that torch returned for them, with the
// sha256 of the cases file's bytes). In memory they are joined into one GoldenFile
// (cases with their inputs and results), the shape everything downstream reads.

import { createHash } from 'node:crypto';
import { z } from 'zod';
import { LOSS_STEMS } from '../losses/registry.ts';
import type { CpuCapability } from '../torch-version.ts';

/**
 * What a torch version may look like (PEP 440: release, a/b/rc, .post, .dev, +local such as
 * 1.13.0a0, 2.6.0+debian, 2.1.0.dev20230801+cpu). It names a folder under golden/, so nothing else
 * ('/', '..') may reach a path.
 */
export const TORCH_VERSION = /^\d+(\.\d+)+((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?(\+[A-Za-z0-9]+([._][A-Za-z0-9]+)*)?$/;

/**
 * The loosest rtol or atol a golden file may ask for. The generator writes 1.3e-6 / 1e-5 (float32)
 * and 1e-7 (float64): a float32 result within 1e-3 relative is already about 8000 ulps off, so a
 * file looser than this no longer shows that a port computes what torch computes.
 */
export const MAX_TOLERANCE = 1e-3;

// z.literal, not z.enum: TypeScript 7 declares z.enum's { '-Infinity': ... } key as [-Infinity],
// which a consumer's tsc rejects (TS1170) in the published schema.d.ts.
const number = z.union([z.number(), z.literal(['NaN', 'Infinity', '-Infinity'])]);

/** The dtypes a golden tensor may have, and their sizes in bytes (the base64 form's element width). */
export const TENSOR_DTYPES = { float32: 4, float64: 8, int64: 8, int32: 4, bool: 1 } as const;
export type TensorDType = keyof typeof TENSOR_DTYPES;

/**
 * A tensor: its values inline (`data`, readable; float32 values as the shortest decimal that reads
 * back as the same float32) or, when large, `base64`: the little-endian bytes of the dtype, exact.
 */
export const TensorJson = z
  .strictObject({
    shape: z.array(z.number().int().nonnegative()),
    dtype: z.enum(Object.keys(TENSOR_DTYPES) as [TensorDType, ...TensorDType[]]),
    data: z.array(z.union([number, z.boolean()])).optional(),
    base64: z
      .string()
      .regex(/^[A-Za-z0-9+/]*={0,2}$/, { message: 'base64 must be standard base64' })
      .optional(),
  })
  .refine((t) => (t.data === undefined) !== (t.base64 === undefined), { message: 'exactly one of data and base64 must be set' })
  .refine((t) => storedLength(t) === t.shape.reduce((a, b) => a * b, 1), {
    message: 'the number of values (data, or base64 bytes / dtype size) must equal the product of shape',
  });

function storedLength(t: { dtype: TensorDType; data?: unknown[] | undefined; base64?: string | undefined }): number {
  if (t.data) return t.data.length;
  if (t.base64 === undefined) return NaN; // neither: the refinement before this one says so (zod runs both)
  const b64 = t.base64;
  const bytes = (b64.length / 4) * 3 - (b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0);
  return bytes / TENSOR_DTYPES[t.dtype];
}

const bound = z.number().nonnegative().max(MAX_TOLERANCE);
const Tolerance = z.strictObject({ rtol: bound, atol: bound });

/** What torch raised: its Python type, the message's first line, and the case's regex over it. */
const TorchError = z.strictObject({ type: z.string(), message: z.string(), regex: z.string().nullable() });

/** A keyword argument: a tensor, or a plain value torch takes (number, boolean, string, None). */
const KwargJson = z.union([TensorJson, z.string(), z.number(), z.boolean(), z.null()]);

export const GoldenCase = z.strictObject({
  /** `<stem>/<what the case is>`: dtype, reduction, variant and shape, unique in its file. */
  id: z.string().min(1),
  dtype: z.enum(['float32', 'float64']),
  /** torch's positional tensor arguments by name, in torch's order. */
  args: z.record(z.string(), TensorJson),
  kwargs: z.record(z.string(), KwargJson),
  output: TensorJson.nullable(),
  grad_output: TensorJson.nullable(),
  /** The gradient of every argument in the file's `grads` (null without a backward). */
  grads: z.record(z.string(), TensorJson).nullable(),
  error: TorchError.nullable(),
  /** The backward raised (e.g. mse_loss's with an int64 target) after the forward ran. */
  grad_error: TorchError.nullable(),
  /** The first lines of the warnings torch emitted (UserWarning of a broadcast target, ...). */
  warnings: z.array(z.string()),
  tags: z.array(z.string()),
});

/** One case's inputs, a line of the cases file (torch-free: the same bytes for every release). */
export const CaseInputs = z.strictObject({
  id: z.string().min(1),
  dtype: z.enum(['float32', 'float64']),
  args: z.record(z.string(), TensorJson),
  kwargs: z.record(z.string(), KwargJson),
  tags: z.array(z.string()),
  /** A stable part of the message torch raises for this case (the case module's), else null. */
  error_regex: z.string().nullable(),
});

/** One case's results under one torch release, a line of a results file (in the cases file's order). */
export const CaseOutcome = z.strictObject({
  id: z.string().min(1),
  output: TensorJson.nullable(),
  grad_output: TensorJson.nullable(),
  grads: z.record(z.string(), TensorJson).nullable(),
  error: TorchError.nullable(),
  grad_error: TorchError.nullable(),
  warnings: z.array(z.string()),
});

export const GOLDEN_FORMAT = 3;

/**
 * The name of a loss whose goldens a user's own case module made (`golden --cases FILE.py`: the
 * file's stem): an identifier, as torch's functional names are. It names a file, so nothing else
 * ('/', '..', '.') may reach a path.
 */
export const LOSS_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const lossName = z.enum(LOSS_STEMS as [string, ...string[]]);
const anyLossName = z.string().regex(LOSS_NAME, { message: 'loss must be an identifier (the case module file name without .py)' });
const torchVersion = z.string().regex(TORCH_VERSION, { message: 'torch must be a plain version like 2.6.0+debian' });
/** The capability a torch folder's name leaves unsaid: the generator pins ATEN_CPU_CAPABILITY=avx2 unless asked for another. */
export const PINNED_CAPABILITY: CpuCapability = 'avx2';

/**
 * A release's results folder in a golden folder: torch-<version> at the pinned avx2, and
 * torch-<version>-<capability> at another (torch-2.14.1+debian-avx512). A version has no '-'
 * (TORCH_VERSION), so the name reads back unambiguously (parseTorchFolder).
 */
export function torchFolder(torch: string, capability: CpuCapability): string {
  return capability === PINNED_CAPABILITY ? `torch-${torch}` : `torch-${torch}-${capability}`;
}

/** What a torch folder's name says (its version and capability), or null for a name of another form. */
export function parseTorchFolder(name: string): { torch: string; capability: CpuCapability } | null {
  const m = /^torch-([^-]+)(?:-(default|avx512))?$/.exec(name);
  return m ? { torch: m[1]!, capability: (m[2] as CpuCapability | undefined) ?? PINNED_CAPABILITY } : null;
}

/** How reports name one release's goldens at one capability: '2.14.1+debian', or '2.14.1+debian avx512' off the pinned avx2. */
export function torchSetLabel(torch: string, capability: CpuCapability): string {
  return capability === PINNED_CAPABILITY ? torch : `${torch} ${capability}`;
}

/** torchSetLabel of a golden file (its torch and environment.cpu_capability). */
export function goldenSetLabel(golden: { torch: string; environment: { cpu_capability: CpuCapability } }): string {
  return torchSetLabel(golden.torch, golden.environment.cpu_capability);
}

const Environment = z.strictObject({
  cpu_capability: z.enum(['default', 'avx2', 'avx512'] as const satisfies readonly CpuCapability[]),
  threads: z.number().int(),
  machine: z.string(),
});
const Tolerances = z.strictObject({ float32: Tolerance, float64: Tolerance });

/** The in-memory golden file: a cases file joined with one release's results file (joinGolden). */
export const GoldenFile = z.strictObject({
  format: z.literal(GOLDEN_FORMAT),
  loss: lossName,
  /** The torch.nn.functional name the cases call. */
  function: z.string(),
  /** The positional tensor arguments, in torch's order. */
  args: z.array(z.string()).min(1),
  /** The arguments whose gradients the cases record. */
  grads: z.array(z.string()),
  torch: torchVersion,
  /** The Python that ran torch (the results file's). */
  python: z.string(),
  seed: z.number().int(),
  environment: Environment,
  tolerance: Tolerances,
  /** Why this release has no cases (the loss is not in it), else null. */
  unavailable: z.string().nullable(),
  cases: z.array(GoldenCase),
});

/** golden/cases/<stem>.json: every case's inputs, made once by the host's Python without torch. */
export const CasesFile = z.strictObject({
  format: z.literal(GOLDEN_FORMAT),
  loss: lossName,
  function: z.string(),
  args: z.array(z.string()).min(1),
  grads: z.array(z.string()),
  seed: z.number().int(),
  /** The Python that made the inputs (platform.python_version()). */
  python: z.string(),
  cases: z.array(CaseInputs),
});

/** golden/torch-<version>/<stem>.json: one release's results for the cases file whose sha256 it names. */
export const ResultsFile = z.strictObject({
  format: z.literal(GOLDEN_FORMAT),
  loss: lossName,
  function: z.string(),
  args: z.array(z.string()).min(1),
  grads: z.array(z.string()),
  torch: torchVersion,
  python: z.string(),
  seed: z.number().int(),
  environment: Environment,
  tolerance: Tolerances,
  unavailable: z.string().nullable(),
  /** The sha256 (hex) of the cases file's bytes these results were made from. */
  cases_sha256: z.string().regex(/^[0-9a-f]{64}$/, { message: 'cases_sha256 must be 64 lowercase hex digits' }),
  results: z.array(CaseOutcome),
});

/** The same files of any loss (a user's case module's): `loss` any LOSS_NAME. */
export const UserGoldenFile = GoldenFile.extend({ loss: anyLossName });
export const UserCasesFile = CasesFile.extend({ loss: anyLossName });
export const UserResultsFile = ResultsFile.extend({ loss: anyLossName });

export type TensorJson = z.infer<typeof TensorJson>;
export type GoldenCase = z.infer<typeof GoldenCase>;
export type GoldenFile = z.infer<typeof GoldenFile>;
export type CasesFile = z.infer<typeof CasesFile>;
export type ResultsFile = z.infer<typeof ResultsFile>;
export type CaseInputs = z.infer<typeof CaseInputs>;
export type CaseOutcome = z.infer<typeof CaseOutcome>;
export type Tolerance = z.infer<typeof Tolerance>;
export type TorchError = z.infer<typeof TorchError>;
export type KwargJson = z.infer<typeof KwargJson>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface ParseOptions {
  /**
   * Accept a `loss` with no port registered in ts/losses/registry.ts (any LOSS_NAME): goldens a
   * user's own case module generated (`golden --cases FILE.py --golden-dir DIR`). This
   * repository's golden/ is always read strictly.
   */
  anyLoss?: boolean;
}

export interface GoldenParseOptions extends ParseOptions {
  /** The cases file the results file was made from (its bytes, and its path for messages). */
  cases: { source: string | Uint8Array; file: string };
}

/** A cases file, validated and with the sha256 of its bytes (what a results file must name). */
export interface ParsedCases {
  file: string;
  sha256: string;
  cases: CasesFile;
}

/** A results file, validated (not yet joined with its cases). */
export interface ParsedResults {
  file: string;
  results: ResultsFile;
}

function decodeText(source: string | Uint8Array, file: string): string {
  if (typeof source === 'string') return source;
  try {
    return utf8.decode(source);
  } catch {
    throw new Error(`${file}: not UTF-8 (the bytes from offset ${firstInvalidUtf8(source)} are not a valid UTF-8 sequence)`);
  }
}

function validated<T>(schema: z.ZodType<T>, source: string | Uint8Array, file: string, what: string): T {
  const text = decodeText(source, file);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not JSON: ${(e as Error).message}`);
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    const keys = 'keys' in issue && Array.isArray(issue.keys) ? ` (${issue.keys.join(', ')})` : '';
    throw new Error(`${file}: invalid ${what} at $${path}: ${issue.message}${keys}`);
  }
  return result.data;
}

/** The sha256 (hex) of a file's bytes, as a results file's cases_sha256 names its cases file. */
export function sha256Hex(source: string | Uint8Array): string {
  return createHash('sha256').update(source).digest('hex');
}

/** Parses and validates a cases file (cases/<stem>.json); a failure names the file and the JSON path. */
export function parseCases(source: string | Uint8Array, file: string, options: ParseOptions = {}): ParsedCases {
  const cases = validated<CasesFile>(options.anyLoss ? UserCasesFile : CasesFile, source, file, 'cases file');
  const ids = new Set<string>();
  for (const [i, c] of cases.cases.entries()) {
    if (ids.has(c.id)) throw new Error(`${file}: invalid cases file at $.cases[${i}].id: duplicate id ${c.id}`);
    ids.add(c.id);
    const argNames = Object.keys(c.args).join(',');
    if (argNames !== cases.args.join(',')) {
      throw new Error(`${file}: invalid cases file at $.cases[${i}].args: ${argNames} is not the file's ${cases.args.join(',')}`);
    }
  }
  return { file, sha256: sha256Hex(source), cases };
}

/** Parses and validates a results file (torch-<version>/<stem>.json) on its own, not yet joined. */
export function parseResults(source: string | Uint8Array, file: string, options: ParseOptions = {}): ParsedResults {
  const results = validated<ResultsFile>(options.anyLoss ? UserResultsFile : ResultsFile, source, file, 'golden file');
  for (const [i, r] of results.results.entries()) {
    if ((r.error === null) === (r.output === null)) {
      throw new Error(`${file}: invalid golden file at $.results[${i}]: exactly one of output and error must be set`);
    }
  }
  if (results.unavailable !== null && results.results.length > 0) {
    throw new Error(`${file}: invalid golden file at $.results: an unavailable loss (${results.unavailable}) has no results`);
  }
  return { file, results };
}

/**
 * One release's golden file in memory: its results joined with the inputs of the cases file they
 * were made from. Fails, naming both files, when the results name another cases file (its sha256),
 * another loss, function, arguments or seed, or other case ids or another order.
 */
export function joinGolden(cases: ParsedCases, results: ParsedResults): GoldenFile {
  const c = cases.cases;
  const r = results.results;
  const both = `${results.file} (made from ${cases.file}?)`;
  const stale = `${results.file} was made from other case inputs than ${cases.file}`;
  const regenerate = 'regenerate with npm run golden';
  if (r.cases_sha256 !== cases.sha256) {
    throw new Error(`${stale}: its cases_sha256 is ${r.cases_sha256}, the cases file's sha256 is ${cases.sha256}; ${regenerate}`);
  }
  for (const key of ['loss', 'function', 'seed'] as const) {
    if (r[key] !== c[key]) throw new Error(`${both}: its ${key} is ${JSON.stringify(r[key])}, the cases file's ${JSON.stringify(c[key])}`);
  }
  for (const key of ['args', 'grads'] as const) {
    if (r[key].join(',') !== c[key].join(',')) {
      throw new Error(`${both}: its ${key} are ${r[key].join(',')}, the cases file's ${c[key].join(',')}`);
    }
  }
  const joined: GoldenCase[] = [];
  if (r.unavailable === null) {
    if (r.results.length !== c.cases.length) {
      throw new Error(`${stale}: it has ${r.results.length} results for the ${c.cases.length} cases; ${regenerate}`);
    }
    for (const [i, inputs] of c.cases.entries()) {
      const outcome = r.results[i]!;
      if (outcome.id !== inputs.id) {
        throw new Error(`${stale}: $.results[${i}].id is ${outcome.id}, the cases file's case ${i} is ${inputs.id}; ${regenerate}`);
      }
      joined.push({
        id: inputs.id,
        dtype: inputs.dtype,
        args: inputs.args,
        kwargs: inputs.kwargs,
        output: outcome.output,
        grad_output: outcome.grad_output,
        grads: outcome.grads,
        error: outcome.error,
        grad_error: outcome.grad_error,
        warnings: outcome.warnings,
        tags: inputs.tags,
      });
    }
  }
  return {
    format: GOLDEN_FORMAT,
    loss: r.loss,
    function: r.function,
    args: r.args,
    grads: r.grads,
    torch: r.torch,
    python: r.python,
    seed: r.seed,
    environment: r.environment,
    tolerance: r.tolerance,
    unavailable: r.unavailable,
    cases: joined,
  };
}

/**
 * Parses and validates one release's results file and joins it with the cases file it was made
 * from (options.cases), as loadGoldens does; a failure names the file and the JSON path of the
 * first problem, or both files when they do not belong together.
 */
export function parseGolden(source: string | Uint8Array, file: string, options: GoldenParseOptions): GoldenFile {
  if (!options?.cases) {
    throw new Error(
      `${file}: a golden file of format ${GOLDEN_FORMAT} holds results only: parseGolden needs its cases file (options.cases)`,
    );
  }
  const anyLoss = options.anyLoss ? { anyLoss: true } : {};
  return joinGolden(parseCases(options.cases.source, options.cases.file, anyLoss), parseResults(source, file, anyLoss));
}

/** Offset of the first byte that does not decode as UTF-8 (binary search on the fatal decoder). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let lo = 0; // bytes[0, lo) are a valid prefix, up to a sequence cut at the end
  let hi = bytes.length;
  const validPrefix = (n: number) => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (validPrefix(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

export function decodeNumber(v: number | boolean | 'NaN' | 'Infinity' | '-Infinity'): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  return typeof v === 'number' ? v : v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : -Infinity;
}

/** A golden tensor's values, from either encoding (int64 as numbers: exact up to 2^53). */
export function tensorValues(t: TensorJson): Float64Array {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  if (t.data) {
    for (let i = 0; i < n; i++) out[i] = decodeNumber(t.data[i]!);
    return out;
  }
  const binary = atob(t.base64!);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  const view = new DataView(bytes.buffer);
  const width = TENSOR_DTYPES[t.dtype];
  for (let i = 0; i < n; i++) {
    const at = i * width;
    out[i] =
      t.dtype === 'float32'
        ? view.getFloat32(at, true)
        : t.dtype === 'float64'
          ? view.getFloat64(at, true)
          : t.dtype === 'int64'
            ? Number(view.getBigInt64(at, true))
            : t.dtype === 'int32'
              ? view.getInt32(at, true)
              : bytes[at]!;
  }
  return out;
}
