// `check --impl MODULE` runs this file as the implementation's process: it loads MODULE (a module
// exporting torch's functional names, or a config file, check-config.ts) and answers the JSON-lines
// protocol (check-protocol.ts) by calling its functions with typed arrays. A separate process, so
// that a function that never returns, or calls process.exit, is a timeout or a crash the checker
// reports, not a hung check. Its own stdout carries the protocol: the module's console.log goes to stderr.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type BackwardFunction,
  type CaseContext,
  configProblem,
  type ForwardFunction,
  JsonConfig,
  ModuleConfig,
  type SpecKwargs,
  type SpecTensor,
} from './check-config.ts';
import { encodeBase64, encodeTensor, parseLine, SPEC_VERSION } from './check-protocol.ts';

interface Loaded {
  /** The config's name, else the file. */
  name: string;
  /** Whether a config named it (then the hello says the name). */
  named: boolean;
  /** The config's torch release. */
  torch?: string | undefined;
  functions: Map<string, { forward: ForwardFunction; backward?: BackwardFunction | undefined }>;
  /** Exports under names that are not functions: {name: what they are}. */
  invalid: Record<string, string>;
}

const isTs = (file: string) => /\.[mc]?ts$/.test(file);

/**
 * The command that runs this file on `target`: this Node with its loader flags (tsx in a
 * checkout), and tsx added when the target is TypeScript and no loader is there yet.
 */
export function runnerCommand(target: string): string[] {
  const self = fileURLToPath(import.meta.url);
  const execArgv = [...process.execArgv];
  const hasTsx = execArgv.some((a) => a.includes('tsx'));
  if ((isTs(target) || isTs(self)) && !hasTsx) {
    let tsx: string | null = null;
    for (const from of [target, self]) {
      try {
        tsx = createRequire(from).resolve('tsx');
        break;
      } catch {
        // not installed there
      }
    }
    if (tsx) execArgv.push('--import', pathToFileURL(tsx).href);
  }
  return [process.execPath, ...execArgv, self, target];
}

const describe = (v: unknown) =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'an array'
      : typeof v === 'object'
        ? `an object (${Object.keys(v as object).join(', ') || 'no keys'})`
        : `a ${typeof v}`;

function fromModuleConfig(config: unknown, file: string): Loaded {
  const parsed = ModuleConfig.safeParse(config);
  if (!parsed.success) throw new Error(configProblem(file, parsed.error));
  const functions: Loaded['functions'] = new Map();
  for (const [name, entry] of Object.entries(parsed.data.functions)) {
    functions.set(
      name,
      typeof entry === 'function'
        ? { forward: entry as ForwardFunction }
        : { forward: entry.forward as ForwardFunction, backward: entry.backward as BackwardFunction | undefined },
    );
  }
  return { name: parsed.data.name ?? file, named: parsed.data.name !== undefined, torch: parsed.data.torch, functions, invalid: {} };
}

const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

async function fromJsonConfig(file: string): Promise<Loaded> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not JSON: ${(e as Error).message}`);
  }
  const parsed = JsonConfig.safeParse(json);
  if (!parsed.success) throw new Error(configProblem(file, parsed.error));
  const config = parsed.data;
  if (!config.module) throw new Error(`${file}: a command config is run by the checker, not loaded`);
  const mod = (await import(pathToFileURL(resolve(dirname(file), config.module)).href)) as Record<string, unknown>;
  const exportOf = (name: string, what: string) => {
    const f = mod[name] ?? (mod.default as Record<string, unknown> | undefined)?.[name];
    if (typeof f !== 'function') throw new Error(`${file}: ${what}: ${config.module} has no function '${name}' (it is ${describe(f)})`);
    return f as (...a: unknown[]) => unknown;
  };
  const functions: Loaded['functions'] = new Map();
  for (const [torchName, entry] of Object.entries(config.functions!)) {
    const e = typeof entry === 'string' ? { forward: entry, call: 'args-kwargs' as const, names: 'camelCase' as const } : entry;
    const forward = exportOf(e.forward, `functions.${torchName}.forward`);
    const backward = 'backward' in e && e.backward ? exportOf(e.backward, `functions.${torchName}.backward`) : undefined;
    if (e.call === 'args-kwargs') {
      functions.set(torchName, { forward: forward as ForwardFunction, backward: backward as BackwardFunction | undefined });
      continue;
    }
    const options = (kwargs: SpecKwargs) =>
      e.names === 'torch' ? { ...kwargs } : Object.fromEntries(Object.entries(kwargs).map(([k, v]) => [camel(k), v]));
    functions.set(torchName, {
      forward: ((args, kwargs) => forward(...args, options(kwargs))) as ForwardFunction,
      backward: backward && (((g, args, kwargs) => backward(g, ...args, options(kwargs))) as BackwardFunction),
    });
  }
  return { name: config.name ?? file, named: config.name !== undefined, torch: config.torch, functions, invalid: {} };
}

async function load(target: string): Promise<Loaded> {
  const file = resolve(target);
  if (extname(file) === '.json') return fromJsonConfig(file);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const def = mod.default as Record<string, unknown> | undefined;
  if (def && typeof def === 'object' && 'functions' in def) return fromModuleConfig(def, file);
  // Named exports, or a default export object of them (a CommonJS module.exports).
  const exports: Record<string, unknown> = { ...(def && typeof def === 'object' ? def : {}), ...mod };
  delete exports.default;
  const functions: Loaded['functions'] = new Map();
  const invalid: Record<string, string> = {};
  for (const [name, value] of Object.entries(exports)) {
    if (name.endsWith('_backward')) continue;
    if (typeof value !== 'function') {
      invalid[name] = describe(value);
      continue;
    }
    const backward = exports[`${name}_backward`];
    if (backward !== undefined && typeof backward !== 'function') invalid[`${name}_backward`] = describe(backward);
    functions.set(name, {
      forward: value as ForwardFunction,
      backward: typeof backward === 'function' ? (backward as BackwardFunction) : undefined,
    });
  }
  return { name: file, named: false, functions, invalid };
}

// ---- tensors --------------------------------------------------------------------------------------

interface RequestTensor {
  shape: number[];
  dtype: SpecTensor['dtype'];
  data?: (number | string | boolean)[];
  base64?: string;
}

const num = (v: number | string | boolean) =>
  typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : -Infinity;

/** A request tensor as typed arrays: int64 / int32 as Int32Array (a Float64Array of the exact integers if one is outside int32). */
function toSpec(t: RequestTensor): SpecTensor {
  if (t.base64 !== undefined) return fromBase64(t);
  const values = t.data!.map(num);
  let data: SpecTensor['data'];
  if (t.dtype === 'float32') data = Float32Array.from(values);
  else if (t.dtype === 'float64') data = Float64Array.from(values);
  else if (t.dtype === 'bool') data = Uint8Array.from(values);
  else data = values.every((v) => v === (v | 0)) ? Int32Array.from(values) : Float64Array.from(values);
  return { shape: t.shape, dtype: t.dtype, data };
}

/** A base64 request tensor (little-endian bytes) as typed arrays, by the same rules. */
function fromBase64(t: RequestTensor): SpecTensor {
  const bytes = new Uint8Array(Buffer.from(t.base64!, 'base64')); // aligned: a copy
  const b = bytes.buffer;
  let data: SpecTensor['data'];
  if (t.dtype === 'float32') data = new Float32Array(b);
  else if (t.dtype === 'float64') data = new Float64Array(b);
  else if (t.dtype === 'bool') data = bytes;
  else if (t.dtype === 'int32') data = new Int32Array(b);
  else {
    const wide = new BigInt64Array(b);
    const small = wide.every((v) => v >= -(2n ** 31n) && v < 2n ** 31n);
    data = small ? Int32Array.from(wide, Number) : Float64Array.from(wide, Number);
  }
  return { shape: t.shape, dtype: t.dtype, data };
}

const isTensorJson = (v: unknown): v is RequestTensor =>
  v !== null && typeof v === 'object' && 'shape' in v && ('data' in v || 'base64' in v);

/** A returned value as a wire tensor's JSON text, or why it is not a tensor (BrokenReply). */
function resultTensor(v: unknown, what: string): string {
  // A number is a 0-d tensor of the case's dtype (what a JavaScript loss returns for a reduction).
  if (typeof v === 'number') return encodeTensor([], 'float64', [v]).replace(/,"dtype":"float64"/, '');
  if (v === null || typeof v !== 'object' || !('shape' in v) || !('data' in v)) {
    throw new BrokenReply(`${what} returned ${describe(v)}, not a tensor { shape, data }`);
  }
  const { shape, data, dtype } = v as { shape: unknown; data: unknown; dtype?: unknown };
  const dims = ArrayBuffer.isView(shape) ? Array.from(shape as unknown as ArrayLike<number>) : shape;
  if (!Array.isArray(dims) || dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new BrokenReply(`${what} returned a tensor whose shape is ${JSON.stringify(shape)}, not a list of sizes`);
  }
  let values: ArrayLike<number>;
  let declared: string | null = typeof dtype === 'string' ? dtype : null;
  if (data instanceof Float32Array) declared ??= 'float32';
  else if (data instanceof Float64Array) declared ??= 'float64';
  else if (data instanceof Int32Array) declared ??= 'int32';
  if (data instanceof BigInt64Array) {
    values = Array.from(data, Number);
    declared ??= 'int64';
  } else if (ArrayBuffer.isView(data)) values = data as unknown as ArrayLike<number>;
  else if (Array.isArray(data) && data.every((x) => typeof x === 'number')) values = data as number[];
  else throw new BrokenReply(`${what} returned a tensor whose data is ${describe(data)}, not a typed array or an array of numbers`);
  // Large float tensors as base64 (exact, and a quarter of the decimal text to write and read).
  if (
    (data instanceof Float32Array || data instanceof Float64Array) &&
    data.length > 32 &&
    declared === (data instanceof Float32Array ? 'float32' : 'float64')
  ) {
    return `{"shape":[${(dims as number[]).join(',')}],"dtype":"${declared}","base64":"${encodeBase64(data)}"}`;
  }
  // Without a dtype, the checker takes the case's.
  const text = encodeTensor(dims as number[], declared ?? 'float64', values);
  return declared ? text : text.replace(/,"dtype":"float64"/, '');
}

class BrokenReply extends Error {}

function errorJson(e: unknown): Record<string, unknown> {
  if (e !== null && typeof e === 'object') {
    const err = e as { torchErrorType?: unknown; name?: unknown; message?: unknown };
    const type = typeof err.torchErrorType === 'string' ? err.torchErrorType : typeof err.name === 'string' ? err.name : 'Error';
    return { type, message: String(err.message ?? e) };
  }
  return { type: 'Error', message: String(e) };
}

const isUnsupported = (e: unknown) => e !== null && typeof e === 'object' && (e as { unsupported?: unknown }).unsupported;

// ---- the loop -------------------------------------------------------------------------------------

interface CaseRequest {
  op: 'case';
  seq: number;
  case: string;
  function: string;
  dtype: 'float32' | 'float64';
  torch: string;
  cpu_capability: string;
  args: RequestTensor[];
  kwargs: Record<string, unknown>;
  grad_output?: RequestTensor;
  grads?: string[];
}

async function answer(loaded: Loaded, r: CaseRequest): Promise<string> {
  const f = loaded.functions.get(r.function);
  if (!f) return JSON.stringify({ seq: r.seq, broken: `no function '${r.function}' in ${loaded.name}` });
  const context: CaseContext = { case: r.case, torch: r.torch, cpuCapability: r.cpu_capability, dtype: r.dtype, function: r.function };
  // Fresh arrays for each call: a function that writes into its arguments cannot change the next call's.
  const args = () => r.args.map(toSpec);
  const kwargs = () =>
    Object.fromEntries(Object.entries(r.kwargs).map(([k, v]) => [k, isTensorJson(v) ? toSpec(v) : v])) as unknown as SpecKwargs;
  const parts = [`"seq":${r.seq}`];
  try {
    let out: unknown;
    try {
      out = await f.forward(args(), kwargs(), context);
    } catch (e) {
      if (isUnsupported(e)) return JSON.stringify({ seq: r.seq, unsupported: String((e as Error).message ?? true) });
      return JSON.stringify({ seq: r.seq, error: errorJson(e) });
    }
    parts.push(`"output":${resultTensor(out, r.function)}`);
    if (r.grad_output && f.backward) {
      let g: unknown;
      try {
        g = await f.backward(toSpec(r.grad_output), args(), kwargs(), context);
      } catch (e) {
        if (isUnsupported(e)) return JSON.stringify({ seq: r.seq, unsupported: String((e as Error).message ?? true) });
        parts.push(`"grad_error":${JSON.stringify(errorJson(e))}`);
        return `{${parts.join(',')}}`;
      }
      const what = `${r.function}_backward`;
      if (g !== null && typeof g === 'object' && !('data' in g)) {
        const named = Object.entries(g).map(([k, t]) => `${JSON.stringify(k)}:${resultTensor(t, `${what} (its '${k}')`)}`);
        parts.push(`"grads":{${named.join(',')}}`);
      } else parts.push(`"grads":${resultTensor(g, what)}`);
    }
  } catch (e) {
    if (e instanceof BrokenReply) return JSON.stringify({ seq: r.seq, broken: e.message });
    throw e;
  }
  return `{${parts.join(',')}}`;
}

async function main(target: string): Promise<void> {
  // Only protocol lines reach stdout: anything the module prints goes to stderr.
  const protocolOut = process.stdout.write.bind(process.stdout);
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  const send = (line: string) => new Promise<void>((done) => protocolOut(`${line}\n`, () => done()));
  let loaded: Loaded | null = null;
  let loadError: string | null = null;
  try {
    loaded = await load(target);
  } catch (e) {
    loadError = `${target} could not be loaded: ${(e as Error).message}`;
  }
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (line.trim() === '') continue;
    const request = parseLine(line) as { op?: string; seq?: number };
    if (loadError || !loaded) {
      // Said in the hello (and on stderr), then the process ends: the checker reports it as broken.
      process.stderr.write(`${loadError}\n`);
      await send(JSON.stringify({ spec: SPEC_VERSION, functions: [], broken: loadError }));
      process.exit(3);
    }
    if (request.op === 'hello') {
      const functions = [...loaded.functions].flatMap(([name, f]) => (f.backward ? [name, `${name}_backward`] : [name]));
      await send(
        JSON.stringify({
          spec: SPEC_VERSION,
          ...(loaded.named ? { name: loaded.name } : {}),
          functions,
          invalid_exports: loaded.invalid,
          base64: true,
        }),
      );
    } else if (request.op === 'case') {
      await send(await answer(loaded, request as CaseRequest));
    } else {
      await send(JSON.stringify({ seq: request.seq ?? -1, broken: `unknown op ${JSON.stringify(request.op)}` }));
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main(process.argv[2] ?? '');
}
