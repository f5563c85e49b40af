// The conformance protocol, version 1 (docs/conformance-spec.md): what `torch-loss-parity check`
// sends an implementation and accepts back, one JSON object per line over stdin / stdout, and the
// process that speaks it (ImplementationProcess: per-request timeouts, a crash or hang is an answer
// naming what happened, never a hung run). `check --impl MODULE` speaks it too: check-runner.ts is
// a --command that loads a JavaScript module and calls its functions with typed arrays.

import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { TENSOR_DTYPES, type TensorJson, tensorValues } from '../../ts/golden/schema.ts';

export const SPEC_VERSION = 1;

// ---- numbers and tensors on the wire ------------------------------------------------------------

/** A value as JSON text: the three values JSON lacks as the strings "NaN", "Infinity", "-Infinity"; -0 as -0.0. */
export function encodeNumber(v: number, dtype: string): string {
  if (Number.isNaN(v)) return '"NaN"';
  if (v === Infinity) return '"Infinity"';
  if (v === -Infinity) return '"-Infinity"';
  if (Object.is(v, -0)) return '-0.0';
  if (dtype !== 'float32') return String(v);
  // float32: the shortest decimal that reads back (rounded to float32) as the same value. A decimal
  // of fewer than 6 digits that does is also the value rounded to 6 digits, so the search starts there.
  for (let p = 6; p < 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(Number(v.toPrecision(9)));
}

/**
 * A tensor as the wire's JSON text: {"shape", "dtype", "data"}, values inline. Finite values go
 * through JSON.stringify at once (a float32 value as its exact double's shortest form); NaN,
 * the infinities and -0, which JSON.stringify would lose, value by value.
 */
export function encodeTensor(shape: readonly number[], dtype: string, values: ArrayLike<number>): string {
  let plain = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v) || (v === 0 && 1 / v < 0)) {
      plain = false;
      break;
    }
  }
  let data: string;
  if (plain) data = JSON.stringify(Array.from(values));
  else {
    const parts: string[] = new Array(values.length);
    for (let i = 0; i < values.length; i++) parts[i] = encodeNumber(values[i]!, dtype);
    data = `[${parts.join(',')}]`;
  }
  return `{"shape":[${shape.join(',')}],"dtype":"${dtype}","data":${data}}`;
}

/**
 * A golden tensor as the wire's JSON text: values inline, or (`base64`: the implementation's hello
 * accepted it) as the golden holds it, base64 above 32 elements.
 */
export function encodeGoldenTensor(t: TensorJson, base64 = false): string {
  return base64 ? JSON.stringify(t) : encodeTensor(t.shape, t.dtype, tensorValues(t));
}

/** A keyword argument as JSON text: tensors as tensors, the rest as they are (numbers through encodeNumber). */
export function encodeKwarg(v: unknown, base64 = false): string {
  if (v !== null && typeof v === 'object') return encodeGoldenTensor(v as TensorJson, base64);
  if (typeof v === 'number') return encodeNumber(v, 'float64');
  return JSON.stringify(v);
}

/** A tensor in a reply: dtype may be left out (the case's dtype); base64 (little-endian bytes) is accepted too. */
export const WireTensor = z
  .strictObject({
    shape: z.array(z.number().int().nonnegative()),
    dtype: z.enum(['float32', 'float64', 'int64', 'int32', 'bool']).optional(),
    // Each value is checked by wireValues (a zod union per element is slow on large tensors).
    data: z.array(z.unknown()).optional(),
    base64: z
      .string()
      .regex(/^[A-Za-z0-9+/]*={0,2}$/, { message: 'base64 must be standard base64' })
      .optional(),
  })
  .refine((t) => (t.data === undefined) !== (t.base64 === undefined), { message: 'a tensor needs exactly one of data and base64' });
export type WireTensor = z.infer<typeof WireTensor>;

const WireError = z.looseObject({ type: z.string().optional(), message: z.string().optional() });

/** A reply to a case request. Extra fields are ignored (room for an implementation's own notes). */
export const CaseReply = z.looseObject({
  seq: z.number().int(),
  output: WireTensor.nullish(),
  /** One tensor (a loss with one gradient) or {argument name: tensor}. */
  grads: z.union([WireTensor, z.record(z.string(), WireTensor)]).nullish(),
  error: WireError.nullish(),
  grad_error: WireError.nullish(),
  /** The implementation does not handle this case (a dtype or option it lacks): counted apart, not failed. */
  unsupported: z.union([z.string(), z.literal(true)]).nullish(),
  /** The adapter could not answer (its function returned something that is not a tensor, ...): a broken implementation. */
  broken: z.string().nullish(),
});
export type CaseReply = z.infer<typeof CaseReply>;

export const HelloReply = z.looseObject({
  spec: z.literal(SPEC_VERSION),
  /** The function names it implements: torch's (binary_cross_entropy_with_logits), and <name>_backward for gradients. */
  functions: z.array(z.string()),
  name: z.string().optional(),
  /** The torch release it follows (held to, unless --torch says otherwise). */
  torch: z.string().optional(),
  /** check-runner's diagnosis of exports under a loss's name that are not functions ({name: what it is}). */
  invalid_exports: z.record(z.string(), z.string()).optional(),
  /** It reads base64 tensors in requests too (the golden's encoding above 32 elements): sent as the goldens hold them. */
  base64: z.boolean().optional(),
});
export type HelloReply = z.infer<typeof HelloReply>;

/** A wire tensor's values (NaN and infinities decoded), or why it is malformed. */
export function wireValues(t: WireTensor, fallbackDtype: string): { values: Float64Array; dtype: string } | { why: string } {
  const dtype = t.dtype ?? fallbackDtype;
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (t.base64 !== undefined) {
    const width = TENSOR_DTYPES[dtype as keyof typeof TENSOR_DTYPES];
    const bytes = (t.base64.length / 4) * 3 - (t.base64.endsWith('==') ? 2 : t.base64.endsWith('=') ? 1 : 0);
    if (bytes !== n * width) return { why: `base64 holds ${bytes} bytes; shape [${t.shape.join(', ')}] of ${dtype} needs ${n * width}` };
    return { values: decodeBase64(t.base64, dtype, n), dtype };
  }
  const data = t.data!;
  if (data.length !== n) return { why: `data holds ${data.length} values; shape [${t.shape.join(', ')}] needs ${n}` };
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (typeof v === 'number') values[i] = v;
    else if (typeof v === 'boolean') values[i] = Number(v);
    else if (v === 'NaN') values[i] = NaN;
    else if (v === 'Infinity') values[i] = Infinity;
    else if (v === '-Infinity') values[i] = -Infinity;
    else return { why: `data[${i}] is ${JSON.stringify(v)}, not a number (or "NaN", "Infinity", "-Infinity")` };
  }
  return { values, dtype };
}

/** Little-endian values of a dtype from base64, as float64 (Buffer's decoder: atob is slow on megabytes). */
export function decodeBase64(b64: string, dtype: string, n: number): Float64Array {
  if (!littleEndian || (dtype !== 'float32' && dtype !== 'float64')) {
    return tensorValues({ shape: [n], dtype: dtype as TensorJson['dtype'], base64: b64 });
  }
  // Copied to an aligned buffer: a Buffer's bytes may start anywhere in its pool.
  const buffer = new Uint8Array(Buffer.from(b64, 'base64')).buffer;
  return Float64Array.from(dtype === 'float32' ? new Float32Array(buffer, 0, n) : new Float64Array(buffer, 0, n));
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A float tensor's bytes as base64 (little-endian). */
export function encodeBase64(data: Float32Array | Float64Array): string {
  const copy = data.slice();
  if (!littleEndian) {
    const view = new DataView(copy.buffer);
    const w = copy.BYTES_PER_ELEMENT;
    for (let i = 0; i < copy.length; i++) w === 4 ? view.setFloat32(4 * i, data[i]!, true) : view.setFloat64(8 * i, data[i]!, true);
  }
  return Buffer.from(copy.buffer, copy.byteOffset, copy.byteLength).toString('base64');
}

/**
 * One line of JSON. Python's json.dumps writes NaN, Infinity and -Infinity bare (allow_nan): read
 * as the strings the protocol uses, outside string literals.
 */
export function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch (e) {
    if (!/NaN|Infinity/.test(line)) throw e;
    const quoted = line.replace(/("(?:[^"\\]|\\.)*")|(-?Infinity|NaN)/g, (m, str: string | undefined) => (str ? m : `"${m}"`));
    return JSON.parse(quoted);
  }
}

/** The first problem zod found, as "at <path>: <message>". */
export function zodProblem(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  return `at ${path || '(the reply)'}: ${issue.message}`;
}

// ---- the process --------------------------------------------------------------------------------

/** What came back for one request. */
export type Answer =
  | { kind: 'reply'; value: unknown; line: string }
  | { kind: 'malformed'; line: string; why: string }
  | { kind: 'timeout'; seconds: number }
  | { kind: 'exit'; code: number | null; signal: NodeJS.Signals | null };

export interface ProcessOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

const STDERR_KEPT = 4000;

/**
 * An implementation's process: the command (run by /bin/sh -c when it is a string, so quoting
 * and pipes work as in a shell; in its own process group, which kill() ends as a whole), one
 * request line in, one reply line out.
 */
export class ImplementationProcess {
  private readonly child: ChildProcess;
  private readonly lines: string[] = [];
  private waiting: ((line: string | null) => void) | null = null;
  private exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private stderr = '';
  private spawnError: Error | null = null;

  constructor(command: string | readonly string[], options: ProcessOptions = {}) {
    const [file, ...args] = typeof command === 'string' ? ['/bin/sh', '-c', command] : command;
    this.child = spawn(file!, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    this.child.on('error', (e) => {
      this.spawnError = e;
      this.exited ??= { code: null, signal: null };
      this.flush(null);
    });
    this.child.stdin!.on('error', () => {}); // EPIPE when it died: seen as its exit
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-STDERR_KEPT);
    });
    const rl = createInterface({ input: this.child.stdout!, crlfDelay: Infinity });
    rl.on('line', (line) => {
      if (line.trim() === '') return; // blank lines are not replies
      if (this.waiting) this.flush(line);
      else this.lines.push(line);
    });
    // Its exit counts once stdout and stderr are drained: replies written just before exiting are
    // still read, and its last words are in the report (a loaded machine delivered the exit first
    // and lost "sh: 1: no-such-program: not found").
    let closed = 0;
    const onClosed = () => {
      if (++closed === 3) this.flush(null);
    };
    rl.on('close', onClosed);
    this.child.stderr!.on('close', onClosed);
    this.child.on('exit', (code, signal) => {
      this.exited = { code, signal };
      onClosed();
    });
  }

  private flush(line: string | null): void {
    const w = this.waiting;
    this.waiting = null;
    w?.(line);
  }

  /** The last few kB the process wrote to stderr, trimmed. */
  stderrTail(max = 600): string {
    const s = this.stderr.trim();
    return s.length > max ? `…${s.slice(-max)}` : s;
  }

  get alive(): boolean {
    return this.exited === null;
  }

  /** Why it could not be started, if it could not (spawn failed). */
  get startError(): Error | null {
    return this.spawnError;
  }

  /** Sends one line and waits for one line back, at most `seconds`. */
  async request(line: string, seconds: number): Promise<Answer> {
    if (this.exited) return { kind: 'exit', ...this.exited };
    this.send(line);
    return this.receive(seconds);
  }

  /** Sends one line (a request); replies are read with receive(), in order. */
  send(line: string): void {
    if (!this.exited) this.child.stdin!.write(`${line}\n`);
  }

  /** The next line it writes, at most `seconds` from now. */
  async receive(seconds: number): Promise<Answer> {
    const got = await this.nextLine(seconds);
    if (got === 'timeout') return { kind: 'timeout', seconds };
    if (got === null) {
      // Its exit status arrives with (or just after) the end of stdout.
      if (!this.exited) await new Promise((r) => setTimeout(r, 50));
      return { kind: 'exit', ...(this.exited ?? { code: null, signal: null }) };
    }
    try {
      return { kind: 'reply', value: parseLine(got), line: got };
    } catch (e) {
      return { kind: 'malformed', line: got, why: `not JSON (${(e as Error).message})` };
    }
  }

  private nextLine(seconds: number): Promise<string | null | 'timeout'> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.exited && this.child.stdout!.readableEnded) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        resolve('timeout');
      }, seconds * 1000);
      this.waiting = (line) => {
        clearTimeout(timer);
        resolve(line);
      };
    });
  }

  /** Ends the process and everything it started (its process group); waits for its exit briefly. */
  async kill(): Promise<void> {
    if (this.exited) return;
    const pid = this.child.pid;
    try {
      if (pid !== undefined) process.kill(-pid, 'SIGKILL');
    } catch {
      this.child.kill('SIGKILL');
    }
    await new Promise<void>((resolve) => {
      if (this.exited) resolve();
      else {
        const t = setTimeout(resolve, 2000);
        this.child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
      }
    });
  }

  /** Closes its stdin (the end of the requests) and waits up to `seconds` for it to exit, then kills it. */
  async close(seconds = 2): Promise<void> {
    if (this.exited) return;
    this.child.stdin!.end();
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, seconds * 1000);
      this.child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
    await this.kill();
  }
}

/** How an answer that is not a usable reply reads in the report. */
export function describeAnswer(a: Exclude<Answer, { kind: 'reply' }>, proc: ImplementationProcess): string {
  const tail = proc.stderrTail();
  const stderr = tail ? `; its stderr ends: ${tail.replace(/\s*\n\s*/g, ' | ')}` : '';
  if (a.kind === 'timeout')
    return `no reply within ${a.seconds} s (timed out; the implementation was killed. A reply is one line, ended by a newline and flushed)${stderr}`;
  if (a.kind === 'malformed') return `malformed reply: ${a.why}: ${JSON.stringify(a.line.slice(0, 200))}${stderr}`;
  const how = a.signal ? `was killed by ${a.signal}` : a.code === null ? 'could not run' : `exited with status ${a.code}`;
  const spawn = proc.startError ? ` (${proc.startError.message})` : '';
  return `the implementation ${how}${spawn} before replying${stderr}`;
}
