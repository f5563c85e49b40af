// PyTorch's own tests of the five losses (test_nn.py's test_bce_*, common_nn.py's criterion and
// *_no_reduce tests, common_modules.py's ModuleInfo inputs, the OpInfo samples and error inputs),
// re-created in python/pytorch_tests.py and run in a real torch (python/worker.py, op
// "pytorch_test"). Each call must come out of the public API (ts/index.ts) as torch computed it, at
// assert_close's default tolerances: the output, the input gradient for a seeded grad_output, and
// torch's exception type as a LossArgumentError's torchErrorType. Where the PyTorch test has its own
// check (a reference formula, the other side of an assertEqual, a finite or non-negative output),
// torch must pass it here and the port must too. One vitest test per PyTorch test, named after it.
// Without torch, it skips and says why (TORCH_PYTHON picks another torch, e.g.
// 'chroot /var/cache/torch-parity/roots/trixie python3').

import { afterAll, expect, test } from 'vitest';
import { TorchWorker, findTorchInterpreter, type WorkerHello } from '../scripts/lib/torch-worker.ts';
import { compareTensor } from '../ts/golden/compare.ts';
import type { TensorJson, Tolerance } from '../ts/golden/schema.ts';
import {
  BCELoss,
  BCEWithLogitsLoss,
  LossArgumentError,
  MultiLabelMarginLoss,
  MultiLabelSoftMarginLoss,
  SoftMarginLoss,
  binaryCrossEntropy,
  binaryCrossEntropyBackward,
  binaryCrossEntropyWithLogits,
  binaryCrossEntropyWithLogitsBackward,
  multilabelMarginLoss,
  multilabelMarginLossBackward,
  multilabelSoftMarginLoss,
  multilabelSoftMarginLossBackward,
  softMarginLoss,
  softMarginLossBackward,
  tensor,
  useFloat32Kernels,
  type IndexTensor,
  type Tensor,
} from '../ts/index.ts';

/** A tensor as python/pytorch_tests.py sends it: little-endian float64 (int64 for torch.long) bytes. */
interface Encoded {
  shape: number[];
  dtype: string;
  b64: string;
}

/** One re-created call and what torch made of it (python/pytorch_tests.py run_case). */
interface PytorchTestReply {
  count: number;
  test: string;
  loss: Stem;
  style: 'functional' | 'module';
  dtype: 'float32' | 'float64';
  input: Encoded;
  target: Encoded;
  options: Record<string, Encoded | string | boolean | null>;
  expected_error: { type: string; regex: string | null } | null;
  check: 'finite' | 'nonnegative' | null;
  torch_checks: { what: string; ok: boolean; message: string }[];
  output?: Encoded;
  grad?: Encoded;
  grad_output?: Encoded;
  error?: { type: string; message: string };
  reference_output?: Encoded;
  reference_grad?: Encoded;
}

type Stem =
  | 'binary_cross_entropy'
  | 'binary_cross_entropy_with_logits'
  | 'soft_margin_loss'
  | 'multilabel_margin_loss'
  | 'multilabel_soft_margin_loss';
type Options = Record<string, unknown>;
type AnyTarget = Tensor & IndexTensor;

interface PortLoss {
  forward(input: Tensor, target: AnyTarget, options: Options): Tensor;
  backward(gradOutput: Tensor, input: Tensor, target: AnyTarget, options: Options): Tensor;
  Module: new (
    options: Options,
  ) => { forward(input: Tensor, target: AnyTarget): Tensor; backward(g: Tensor, input: Tensor, target: AnyTarget): Tensor };
}

const PORTS = {
  binary_cross_entropy: { forward: binaryCrossEntropy, backward: binaryCrossEntropyBackward, Module: BCELoss },
  binary_cross_entropy_with_logits: {
    forward: binaryCrossEntropyWithLogits,
    backward: binaryCrossEntropyWithLogitsBackward,
    Module: BCEWithLogitsLoss,
  },
  soft_margin_loss: { forward: softMarginLoss, backward: softMarginLossBackward, Module: SoftMarginLoss },
  multilabel_margin_loss: { forward: multilabelMarginLoss, backward: multilabelMarginLossBackward, Module: MultiLabelMarginLoss },
  multilabel_soft_margin_loss: {
    forward: multilabelSoftMarginLoss,
    backward: multilabelSoftMarginLossBackward,
    Module: MultiLabelSoftMarginLoss,
  },
} as unknown as Record<Stem, PortLoss>;

/** torch.testing.assert_close's defaults, as the PyTorch tests' assertEqual uses them. */
const TOLERANCE: Record<'float32' | 'float64', Tolerance> = { float32: { rtol: 1.3e-6, atol: 1e-5 }, float64: { rtol: 1e-7, atol: 1e-7 } };
/** torch's option names to the port's. */
const OPTION_NAMES: Record<string, string> = {
  weight: 'weight',
  pos_weight: 'posWeight',
  reduction: 'reduction',
  size_average: 'sizeAverage',
  reduce: 'reduce',
};

const { interp, why } = await findTorchInterpreter();

/** Every re-created call, asked of one worker before the tests are collected (so each PyTorch test gets its own vitest test). */
async function fetchAll(): Promise<{ hello: WorkerHello; replies: PytorchTestReply[] }> {
  const worker = await TorchWorker.start(interp!);
  try {
    const ask = (index: number) => worker.request<PytorchTestReply>({ op: 'pytorch_test', index }, 60_000);
    const first = await ask(0);
    const replies = [first];
    for (let i = 1; i < first.count; i++) replies.push(await ask(i));
    return { hello: worker.hello, replies };
  } finally {
    await worker.close();
  }
}

const { hello, replies } = interp ? await fetchAll() : { hello: null, replies: [] as PytorchTestReply[] };

function bytes(e: Encoded): ArrayBuffer {
  const b = Buffer.from(e.b64, 'base64');
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

function values(e: Encoded): number[] {
  return e.dtype === 'int64' ? Array.from(new BigInt64Array(bytes(e)), Number) : Array.from(new Float64Array(bytes(e)));
}

/** The port's tensor for an encoded one: float32/float64 data, or an IndexTensor for torch.long. */
function toPort(e: Encoded): Tensor | IndexTensor {
  if (e.dtype === 'int64') return tensor(Int32Array.from(values(e)), { shape: e.shape, dtype: 'int64' });
  const data = new Float64Array(bytes(e));
  if (e.dtype === 'float32') return tensor(Float32Array.from(data), { shape: e.shape });
  if (e.dtype === 'float64') return tensor(data, { shape: e.shape });
  throw new Error(`pytorch_tests.py sent a ${e.dtype} tensor`);
}

/** As golden-format JSON (compareTensor checks its dtype too, as assert_close does). */
const json = (e: Encoded): TensorJson => ({ shape: e.shape, dtype: e.dtype as TensorJson['dtype'], data: values(e) });

function describeOptions(r: PytorchTestReply): string {
  const parts = Object.entries(r.options).map(([k, v]) =>
    v !== null && typeof v === 'object' ? `${k}=tensor[${v.shape.join(', ')}]` : `${k}=${JSON.stringify(v)}`,
  );
  return [r.dtype, r.style, `input [${r.input.shape.join(', ')}]`, `target ${r.target.dtype}[${r.target.shape.join(', ')}]`, ...parts].join(
    ' ',
  );
}

/** The port's output and input gradient for one call, or the torch error type its LossArgumentError names. */
function port(r: PytorchTestReply): { output?: Tensor; grad?: Tensor; error?: string; message?: string } {
  const loss = PORTS[r.loss];
  const input = toPort(r.input) as Tensor;
  const target = toPort(r.target) as AnyTarget;
  const options: Options = { torchVersion: hello!.torch, cpuCapability: hello!.cpu_capability };
  for (const [k, v] of Object.entries(r.options)) options[OPTION_NAMES[k]!] = v !== null && typeof v === 'object' ? toPort(v) : v;
  // torch's F.* take the legacy size_average / reduce too; the port keeps them on the module classes
  // (both go through _Reduction.legacy_get_string), so a legacy call is a module call here.
  const legacy = 'sizeAverage' in options || 'reduce' in options;
  try {
    if (r.style === 'module' || legacy) {
      const m = new loss.Module(options);
      const output = m.forward(input, target);
      return r.grad_output ? { output, grad: m.backward(toPort(r.grad_output) as Tensor, input, target) } : { output };
    }
    const output = loss.forward(input, target, options);
    return r.grad_output ? { output, grad: loss.backward(toPort(r.grad_output) as Tensor, input, target, options) } : { output };
  } catch (e) {
    if (!(e instanceof LossArgumentError)) return { error: `not a LossArgumentError: ${(e as Error).name}`, message: (e as Error).message };
    return { error: e.torchErrorType, message: e.message };
  }
}

/** What differs between the port and torch (and the PyTorch test's own checks) for one call; empty when nothing does. */
function differences(r: PytorchTestReply, path: string): string[] {
  const out: string[] = [];
  for (const c of r.torch_checks) if (!c.ok) out.push(`torch itself fails the test's check "${c.what}": ${c.message}`);
  const mine = port(r);
  if (r.error) {
    if (mine.error !== r.error.type)
      out.push(
        `torch raised ${r.error.type}: ${r.error.message.split('\n')[0]}; the port ${mine.error ? `raised ${mine.error}: ${mine.message}` : 'computed a result'}`,
      );
    return out.map((d) => `${path}: ${d}`);
  }
  if (mine.error) return [`${path}: torch computed a result; the port raised ${mine.error}: ${mine.message}`];
  const tol = TOLERANCE[r.dtype];
  const compare = (what: string, got: Tensor | undefined, want: Encoded | undefined) => {
    if (!want) return;
    if (!got) return void out.push(`${what}: the port gave none`);
    const c = compareTensor(got, json(want), tol, r.dtype);
    if (!c.ok) out.push(`${what}: ${c.message}`);
  };
  compare('output vs torch', mine.output, r.output);
  compare('input gradient vs torch', mine.grad, r.grad);
  compare("output vs the test's reference", mine.output, r.reference_output);
  compare("input gradient vs the test's reference", mine.grad, r.reference_grad);
  const data = Array.from(mine.output!.data);
  if (r.check === 'finite' && !data.every(Number.isFinite)) out.push(`the test asserts a finite output; the port gave ${data}`);
  if (r.check === 'nonnegative' && data.some((v) => v < 0)) out.push(`the test asserts a non-negative output; the port gave ${data}`);
  return out.map((d) => `${path}: ${d}`);
}

if (!interp) {
  test.skip(`PyTorch's own loss tests skipped: ${why}`, () => {});
} else {
  const byTest = new Map<string, { r: PytorchTestReply; index: number }[]>();
  replies.forEach((r, index) => byTest.set(r.test, [...(byTest.get(r.test) ?? []), { r, index }]));
  const failedCalls = new Set<number>();

  test(`the worker re-created PyTorch's loss tests in torch ${hello!.torch} (${hello!.cpu_capability})`, () => {
    expect(replies.length).toBe(replies[0]?.count);
    expect(replies.length).toBeGreaterThan(400);
    expect(new Set(replies.map((r) => r.loss))).toEqual(new Set(Object.keys(PORTS)));
    // what the re-creation holds the ports to (465 calls: 243 with the test's own reference, 16 errors,
    // 134 integer targets, 68 legacy size_average / reduce): none of it may silently go missing
    const count = (p: (r: PytorchTestReply) => unknown) => replies.filter(p).length;
    expect(count((r) => r.reference_output || r.reference_grad)).toBeGreaterThan(200);
    expect(count((r) => r.error)).toBe(count((r) => r.expected_error));
    expect(count((r) => r.expected_error)).toBeGreaterThanOrEqual(16);
    expect(count((r) => r.target.dtype === 'int64')).toBeGreaterThan(100);
    expect(count((r) => 'size_average' in r.options || 'reduce' in r.options)).toBeGreaterThan(50);
  });

  for (const [name, calls] of byTest) {
    test(`${name} (${calls.length} call${calls.length > 1 ? 's' : ''})`, () => {
      const failures: string[] = [];
      for (const { r, index } of calls) {
        // float32 runs through both paths, the WebAssembly kernels and the JS loops
        for (const kernels of r.dtype === 'float32' ? [true, false] : [true]) {
          useFloat32Kernels(kernels);
          try {
            const found = differences(r, `${name} [#${index} ${describeOptions(r)}${kernels ? '' : ', JS loops'}]`);
            if (found.length) failedCalls.add(index);
            failures.push(...found);
          } finally {
            useFloat32Kernels(true);
          }
        }
      }
      if (failures.length) throw new Error(`${failures.length} difference(s) from PyTorch's ${name}:\n${failures.join('\n')}`);
    });
  }

  afterAll(() => {
    console.info(
      `PyTorch's loss tests on torch ${hello!.torch} (${hello!.cpu_capability}): ${byTest.size} tests, ${replies.length} calls, ` +
        `${replies.length - failedCalls.size} passed, ${failedCalls.size} failed`,
    );
  });
}
