// The golden file format (version 1, DESIGN.md), validated with zod on every load. Strict: an
// unknown field, a loss without a port, a torch version that is not a plain version, an absurd
// tolerance or bytes that are not UTF-8 are errors naming the file and the JSON path.

import { z } from 'zod';
import { LOSS_STEMS } from '../losses/registry.ts';

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

export const TensorJson = z
  .strictObject({ shape: z.array(z.number().int().nonnegative()), data: z.array(number) })
  .refine((t) => t.data.length === t.shape.reduce((a, b) => a * b, 1), { message: 'data length must equal the product of shape' });

const bound = z.number().nonnegative().max(MAX_TOLERANCE);
const Tolerance = z.strictObject({ rtol: bound, atol: bound });

export const GoldenCase = z.strictObject({
  id: z.string().min(1),
  dtype: z.enum(['float32', 'float64']),
  args: z.strictObject({ input: TensorJson, target: TensorJson }),
  kwargs: z.record(z.string(), z.union([TensorJson, z.string(), z.null()])).refine((k) => typeof k.reduction === 'string', {
    message: 'kwargs.reduction must be a string',
  }),
  output: TensorJson.nullable(),
  grad: z.strictObject({ grad_output: TensorJson, input: TensorJson }).nullable(),
  error: z.strictObject({ type: z.string(), message: z.string() }).nullable(),
  tags: z.array(z.string()),
});

export const GoldenFile = z.strictObject({
  format: z.literal(1),
  loss: z.enum(LOSS_STEMS as [string, ...string[]]),
  torch: z.string().regex(TORCH_VERSION, { message: 'torch must be a plain version like 2.6.0+debian' }),
  python: z.string(),
  seed: z.number().int(),
  environment: z.strictObject({ cpu_capability: z.enum(['default', 'avx2', 'avx512']), threads: z.number().int(), machine: z.string() }),
  tolerance: z.strictObject({ float32: Tolerance, float64: Tolerance }),
  cases: z.array(GoldenCase),
});

export type TensorJson = z.infer<typeof TensorJson>;
export type GoldenCase = z.infer<typeof GoldenCase>;
export type GoldenFile = z.infer<typeof GoldenFile>;
export type Tolerance = z.infer<typeof Tolerance>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses and validates golden JSON (bytes are decoded as strict UTF-8); a failure names the file
 * and the JSON path of the first problem.
 */
export function parseGolden(source: string | Uint8Array, file: string): GoldenFile {
  let text: string;
  if (typeof source === 'string') text = source;
  else {
    try {
      text = utf8.decode(source);
    } catch {
      throw new Error(`${file}: not UTF-8 (the bytes from offset ${firstInvalidUtf8(source)} are not a valid UTF-8 sequence)`);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not JSON: ${(e as Error).message}`);
  }
  const result = GoldenFile.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    const keys = 'keys' in issue && Array.isArray(issue.keys) ? ` (${issue.keys.join(', ')})` : '';
    throw new Error(`${file}: invalid golden file at $${path}: ${issue.message}${keys}`);
  }
  const ids = new Set<string>();
  for (const [i, c] of result.data.cases.entries()) {
    if (ids.has(c.id)) throw new Error(`${file}: invalid golden file at $.cases[${i}].id: duplicate id ${c.id}`);
    ids.add(c.id);
    if ((c.error === null) === (c.output === null)) {
      throw new Error(`${file}: invalid golden file at $.cases[${i}]: exactly one of output and error must be set`);
    }
  }
  return result.data;
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

export function decodeNumber(v: number | 'NaN' | 'Infinity' | '-Infinity'): number {
  return typeof v === 'number' ? v : v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : -Infinity;
}
