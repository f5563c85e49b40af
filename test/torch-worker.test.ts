// The torch worker's and the Python bootstrap's failure modes, without torch: a command that cannot
// start says why, and the bootstrap runs python/ from memory, leaving nothing on disk.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { startPython } from '../scripts/lib/torch-python.ts';
import { GOLDEN_DIR } from '../ts/golden/paths.ts';
import { TorchWorker, findTorchInterpreter } from '../scripts/lib/torch-worker.ts';

const python = { command: ['python3'], origin: 'PATH' }; // the host's Python, without torch

test('a worker interpreter that does not exist names the command and ENOENT', async () => {
  await expect(TorchWorker.start({ command: ['/nonexistent/python3'], origin: 'test' })).rejects.toThrow(
    "torch worker: '/nonexistent/python3' could not be started: ENOENT (no such file or directory) before it was ready",
  );
});

test('a worker interpreter that is not executable names EACCES', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'not-executable-'));
  const path = join(dir, 'python3');
  writeFileSync(path, '#!/bin/sh\n', { mode: 0o600 });
  try {
    await expect(TorchWorker.start({ command: [path], origin: 'test' })).rejects.toThrow(
      `'${path}' could not be started: EACCES (permission denied)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a worker interpreter killed by a signal names the signal', async () => {
  await expect(TorchWorker.start({ command: ['sh', '-c', 'kill -9 $$', 'sh'], origin: 'test' })).rejects.toThrow(
    /was killed by SIGKILL before it was ready/,
  );
});

test('the bootstrap imports python/ from memory and writes no temporary folder', async () => {
  const before = readdirSync(tmpdir()).filter((n) => n.startsWith('torch-parity-'));
  // goldens.py imports cases (a package) and cases.common and reads the cases file (sent on stdin
  // after the sources) before it imports torch, then exits 3 here
  const r = await startPython(python, 'goldens.py', ['soft_margin_loss', '--from-cases', '-'], {
    timeoutMs: 60_000,
    input: readFileSync(join(GOLDEN_DIR, 'cases', 'soft_margin_loss.json')),
  });
  expect(String(r.stderr)).toMatch(/torch is not importable/);
  expect(r.exitCode).toBe(3);
  const tb = await startPython(python, 'goldens.py', ['no_such_loss'], { timeoutMs: 60_000 });
  expect(readdirSync(tmpdir()).filter((n) => n.startsWith('torch-parity-'))).toEqual(before);
  expect(tb.exitCode).not.toBe(0);
});

/** A stand-in torch that announces itself on stderr and sleeps (a hung import); removed after `f`. */
async function withSleepingTorch(f: (pythonPath: string) => Promise<void>): Promise<void> {
  const fakeTorch = mkdtempSync(join(tmpdir(), 'fake-torch-'));
  writeFileSync(
    join(fakeTorch, 'torch.py'),
    'import sys, time\nsys.stderr.write("importing torch\\n"); sys.stderr.flush()\ntime.sleep(60)\n',
  );
  try {
    await f(fakeTorch);
  } finally {
    rmSync(fakeTorch, { recursive: true, force: true });
  }
}

test('a worker that hangs while starting is killed after its ready timeout, saying so', async () => {
  await withSleepingTorch(async (fakeTorch) => {
    const started = Date.now();
    await expect(
      TorchWorker.start({ command: ['env', `PYTHONPATH=${fakeTorch}`, 'python3'], origin: 'test' }, { readyTimeoutMs: 1000 }),
    ).rejects.toThrow(`torch worker (env PYTHONPATH=${fakeTorch} python3) did not start within 1000 ms; killed it`);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

test('a script killed mid-run leaves no temporary folder behind', async () => {
  // goldens.py has loaded its sources by the time it imports the sleeping torch
  await withSleepingTorch(async (fakeTorch) => {
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith('torch-parity-'));
    const child = startPython(
      { command: ['env', `PYTHONPATH=${fakeTorch}`, 'python3'], origin: 'test' },
      'goldens.py',
      ['soft_margin_loss', '--from-cases', '-'],
      {
        timeoutMs: 60_000,
        input: readFileSync(join(GOLDEN_DIR, 'cases', 'soft_margin_loss.json')),
      },
    );
    await new Promise((resolve) => child.stderr.once('data', resolve));
    child.kill('SIGKILL');
    expect((await child).signal).toBe('SIGKILL');
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith('torch-parity-'))).toEqual(before);
  });
});

// With a real torch: the worker passes its environment on, and ATEN_CPU_CAPABILITY=default (which
// torch 1.x and 2.x before 2.13 report as "NO AVX") is named 'default', a capability the ports take.
const { interp: torchPython, why: noTorch } = await findTorchInterpreter();

test.skipIf(!torchPython)(
  `a worker under ATEN_CPU_CAPABILITY=default says 'default'${torchPython ? '' : ` (skipped: ${noTorch})`}`,
  async () => {
    const worker = await TorchWorker.start(torchPython!, { env: { ATEN_CPU_CAPABILITY: 'default', TORCH_PARITY_THREADS: '2' } });
    try {
      expect(worker.hello.cpu_capability).toBe('default');
      expect(worker.hello.threads).toBe(2);
    } finally {
      await worker.close();
    }
  },
);
