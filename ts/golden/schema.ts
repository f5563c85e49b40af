// The golden file format (version 1, DESIGN.md), validated with zod on every load.

import { z } from 'zod';

const number = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]);

export const TensorJson = z
  .object({ shape: z.array(z.number().int().nonnegative()), data: z.array(number) })
  .refine((t) => t.data.length === t.shape.reduce((a, b) => a * b, 1), { message: 'data length must equal the product of shape' });

const Tolerance = z.object({ rtol: z.number().nonnegative(), atol: z.number().nonnegative() });

export const GoldenCase = z.object({
  id: z.string().min(1),
  dtype: z.enum(['float32', 'float64']),
  args: z.object({ input: TensorJson, target: TensorJson }),
  kwargs: z.record(z.string(), z.union([TensorJson, z.string(), z.null()])).refine((k) => typeof k.reduction === 'string', {
    message: 'kwargs.reduction must be a string',
  }),
  output: TensorJson.nullable(),
  grad: z.object({ grad_output: TensorJson, input: TensorJson }).nullable(),
  error: z.object({ type: z.string(), message: z.string() }).nullable(),
  tags: z.array(z.string()),
});

export const GoldenFile = z.object({
  format: z.literal(1),
  loss: z.string(),
  torch: z.string(),
  python: z.string(),
  seed: z.number().int(),
  environment: z.object({ cpu_capability: z.enum(['default', 'avx2', 'avx512']), threads: z.number().int(), machine: z.string() }),
  tolerance: z.object({ float32: Tolerance, float64: Tolerance }),
  cases: z.array(GoldenCase),
});

export type TensorJson = z.infer<typeof TensorJson>;
export type GoldenCase = z.infer<typeof GoldenCase>;
export type GoldenFile = z.infer<typeof GoldenFile>;
export type Tolerance = z.infer<typeof Tolerance>;

/** Parses and validates golden JSON; a failure names the file and the JSON path of the first problem. */
export function parseGolden(text: string, file: string): GoldenFile {
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
    throw new Error(`${file}: invalid golden file at $${path}: ${issue.message}`);
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

export function decodeNumber(v: number | 'NaN' | 'Infinity' | '-Infinity'): number {
  return typeof v === 'number' ? v : v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : -Infinity;
}
