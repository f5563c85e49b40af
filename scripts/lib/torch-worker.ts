// Drives python/worker.py: one long-running torch process, JSON lines both ways. Every request
// has a timeout; a crash or a hang rejects every pending request with a clear message and never
// leaves a run waiting.

import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { KwargJson, TensorJson, TorchError } from '../../ts/golden/schema.ts';
import { ROOTS_DIR, defaultTimeoutSeconds, howItEnded, interpreterFromEnv, startPython, type Interpreter } from './torch-python.ts';

export interface WorkerHello {
  ready: boolean;
  torch: string;
  python: string;
  cpu_capability: 'default' | 'avx2' | 'avx512';
  threads: number;
  max_threads: number;
  losses: string[];
  error?: string;
}

export interface RunRequest {
  op?: 'run';
  loss: string;
  /** The case's dtype (what the port's tolerance follows); each tensor carries its own. */
  dtype: 'float32' | 'float64';
  /** The loss's positional tensors by torch's names (golden format). */
  args: Record<string, TensorJson>;
  kwargs: Record<string, KwargJson>;
  grad_output?: TensorJson | null;
}

/** One of PyTorch's own loss tests re-created in python/pytorch_tests.py, by its index there. */
export interface PytorchTestRequest {
  op: 'pytorch_test';
  index: number;
}

export interface BenchRequest {
  op: 'bench';
  loss: string;
  dtype: 'float32' | 'float64';
  numel: number;
  classes: number;
  threads: number;
  repeats: number;
  backward: boolean;
}

/** As a golden case records them (python/samples.py run_sample). */
export interface RunReply {
  output: TensorJson | null;
  grads: Record<string, TensorJson> | null;
  error: TorchError | null;
  grad_error: TorchError | null;
  warnings: string[];
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

export class TorchWorker {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private stderrTail: string[] = [];
  private exited: Error | null = null;

  private readonly child: ReturnType<typeof startPython>;
  readonly hello: WorkerHello;

  private constructor(child: ReturnType<typeof startPython>, hello: WorkerHello) {
    this.child = child;
    this.hello = hello;
  }

  static async start(interp: Interpreter, options: { readyTimeoutMs?: number; env?: Record<string, string> } = {}): Promise<TorchWorker> {
    const child = startPython(interp, 'worker.py', [], { keepStdinOpen: true, ...(options.env ? { env: options.env } : {}) });
    const lines = createInterface({ input: child.stdout });
    const tail: string[] = [];
    child.stderr.on('data', (b: Buffer) => tail.push(...b.toString().split('\n').filter(Boolean)));
    // A minute to import torch, unless TORCH_PARITY_TIMEOUT says otherwise.
    const readyMs = options.readyTimeoutMs ?? (process.env.TORCH_PARITY_TIMEOUT ? defaultTimeoutSeconds() * 1000 : 60_000);
    const hello = await new Promise<WorkerHello>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`torch worker (${interp.command.join(' ')}) did not start within ${readyMs} ms; killed it`));
      }, readyMs);
      lines.once('line', (line) => {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line) as WorkerHello);
        } catch {
          reject(new Error(`torch worker printed '${line.slice(0, 200)}' instead of its ready line`));
        }
      });
      child.then((r) => {
        clearTimeout(timer);
        reject(
          new Error(
            `torch worker: ${howItEnded(r, interp.command)} before it was ready${tail.length ? `; the end of its stderr:\n${tail.slice(-10).join('\n')}` : ''}`,
          ),
        );
      });
    });
    if (!hello.ready) {
      child.kill('SIGKILL');
      throw new Error(hello.error ?? 'torch worker is not ready');
    }
    const worker = new TorchWorker(child, hello);
    worker.stderrTail = tail;
    lines.on('line', (line) => worker.onLine(line));
    child.then((r) => worker.onExit(`torch worker exited: ${howItEnded(r, interp.command)}`));
    return worker;
  }

  private onLine(line: string): void {
    let reply: { id: number; crash?: string };
    try {
      reply = JSON.parse(line);
    } catch {
      this.stderrTail.push(`unparseable reply: ${line.slice(0, 200)}`);
      return;
    }
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    clearTimeout(p.timer);
    if (reply.crash) p.reject(new Error(`torch worker failed on request ${reply.id}: ${reply.crash}`));
    else p.resolve(reply);
  }

  private onExit(reason: string): void {
    this.exited = new Error(`${reason}; stderr: ${this.stderrTail.slice(-10).join('\n')}`);
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(this.exited);
      this.pending.delete(id);
    }
  }

  request<T = RunReply>(body: RunRequest | BenchRequest | PytorchTestRequest, timeoutMs = 30_000): Promise<T> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`torch worker did not answer request ${id} within ${timeoutMs} ms; killed it`));
        this.child.kill('SIGKILL');
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.child.stdin.write(`${JSON.stringify({ id, ...body })}\n`);
    });
  }

  async close(timeoutMs = 5000): Promise<void> {
    if (this.exited) return;
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.child;
    clearTimeout(timer);
  }
}

/**
 * A Python with torch for live tests, without provisioning anything: TORCH_PYTHON, else Debian's
 * /usr/bin/python3 if it has torch, else a chroot that `npm run golden` built. Null when none.
 */
export async function findTorchInterpreter(): Promise<{ interp: Interpreter | null; why: string }> {
  const env = interpreterFromEnv();
  if (env) return { interp: env, why: '' };
  const { execa } = await import('execa');
  const candidates: Interpreter[] = [{ command: ['/usr/bin/python3'], origin: 'Debian python3-torch' }];
  for (const suite of ['sid', 'trixie']) {
    const root = `${ROOTS_DIR}/${suite}`;
    if (existsSync(`${root}/proc/self`)) candidates.push({ command: ['chroot', root, 'python3'], origin: `chroot ${root}` });
  }
  for (const c of candidates) {
    const r = await execa(c.command[0]!, [...c.command.slice(1), '-c', 'import torch'], {
      reject: false,
      timeout: defaultTimeoutSeconds() * 1000,
    });
    if (r.exitCode === 0) return { interp: c, why: '' };
  }
  return { interp: null, why: 'no torch found: set TORCH_PYTHON, or apt-get install python3-torch (see README)' };
}
