// PyTorch's own tests of the ported losses (test_nn.py's tests that call them, common_nn.py's
// criterion and *_no_reduce tests, common_modules.py's ModuleInfo inputs, the OpInfo samples,
// references and error inputs), re-created in python/pytorch_tests.py and run in a real torch
// (python/worker.py, op "pytorch_test"). Each call must come out of the port as torch computed it,
// at assert_close's default tolerances: the output, the gradients (input, and gaussian_nll_loss's
// var) for a seeded grad_output, and torch's exception type as a LossArgumentError's torchErrorType
// whose message matches the test's regex. Where the PyTorch test has its own check (a reference
// formula, the other side of an assertEqual, a finite or non-negative output, a bounded gradient, a
// warning), torch must pass it here and the port must too. One vitest test per PyTorch test, named
// after it. The five original losses come from the public API (ts/index.ts); issue 14's nine from
// ts/losses/<stem>.ts until index.ts exports them. Issue 15's seven (SEVEN below: calls of any
// arity, their tensors by torch's argument names, CTC's int-list lengths, the gradient of each
// differentiable argument) are imported from ts/losses/<stem>.ts at run time, so a port not yet
// written fails its own tests only.
// Without torch, it skips and says why (TORCH_PYTHON picks another torch, e.g.
// 'chroot /var/cache/torch-parity/roots/trixie python3').

import { afterAll, expect, test } from 'vitest';
import { TorchWorker, findTorchInterpreter, type WorkerHello } from '../scripts/lib/torch-worker.ts';
import { compareTensor } from '../ts/golden/compare.ts';
import { captureWarnings } from '../ts/warnings.ts';
import type { TensorJson, Tolerance } from '../ts/golden/schema.ts';
import { LOSSES, optionName, type LossEntry } from '../ts/losses/registry.ts';
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
  CrossEntropyLoss,
  crossEntropyLoss,
  crossEntropyLossBackward,
  GaussianNLLLoss,
  gaussianNllLoss,
  gaussianNllLossBackward,
  HuberLoss,
  huberLoss,
  huberLossBackward,
  KLDivLoss,
  klDivLoss,
  klDivLossBackward,
  L1Loss,
  l1Loss,
  l1LossBackward,
  MSELoss,
  mseLoss,
  mseLossBackward,
  NLLLoss,
  nllLoss,
  nllLossBackward,
  PoissonNLLLoss,
  poissonNllLoss,
  poissonNllLossBackward,
  SmoothL1Loss,
  smoothL1Loss,
  smoothL1LossBackward,
} from '../ts/index.ts';

/** A tensor as python/pytorch_tests.py sends it: little-endian float64 (int64 for integer dtypes) bytes. */
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
  /** gaussian_nll_loss's var: a tensor, or a Python number. */
  var: Encoded | { number: number } | null;
  options: Record<string, Encoded | string | number | boolean | null>;
  /** regex: the part of torch's message the test asserts (null where the test gives none, or not on this release). */
  expected_error: { type: string; regex: string | null } | null;
  /** A regex the test asserts one of the call's warnings matches. */
  expected_warning: string | null;
  /** The feature (python/pytorch_tests.py FEATURES) this torch lacks: the call is then torch's error for it. */
  feature_missing: string | null;
  check: 'finite' | 'nonnegative' | 'grad_abs_le_1' | null;
  torch_checks: { what: string; ok: boolean; message: string }[];
  warnings: string[];
  output?: Encoded;
  grad?: Encoded;
  grad_var?: Encoded;
  grad_output?: Encoded;
  error?: { type: string; message: string };
  reference_output?: Encoded;
  reference_grad?: Encoded;
  reference_tolerance?: Tolerance;
  // issue 15's seven (python/pytorch_tests.py run_case7): input/target/var are absent
  /** torch's positional arguments in order: a tensor, or an int list (CTC's lengths). */
  args?: { name: string; tensor?: Encoded; list?: number[] }[];
  /** The gradient of each differentiable argument, by torch's name. */
  grads?: Record<string, Encoded>;
  reference_grads?: Record<string, Encoded>;
  /** Why torch's result is not compared (the release reads memory it does not own), or null. */
  undefined?: string | null;
}

type Stem =
  | 'binary_cross_entropy'
  | 'binary_cross_entropy_with_logits'
  | 'soft_margin_loss'
  | 'multilabel_margin_loss'
  | 'multilabel_soft_margin_loss'
  | 'cross_entropy'
  | 'nll_loss'
  | 'mse_loss'
  | 'l1_loss'
  | 'smooth_l1_loss'
  | 'huber_loss'
  | 'kl_div'
  | 'poisson_nll_loss'
  | 'gaussian_nll_loss'
  | SevenStem;
type Options = Record<string, unknown>;
type AnyTarget = Tensor & IndexTensor;
/** A port's gradients: a Tensor (d input), or gaussian_nll_loss's { input, var }. */
type Grads = Tensor | { input: Tensor; var: Tensor | null };

/** A loss's forward and backward, the functional and the module form, over torch's positional tensors. */
interface PortLoss {
  forward(...args: unknown[]): Tensor;
  backward(gradOutput: Tensor, ...args: unknown[]): Grads;
  Module: new (options: Options) => { forward(...args: unknown[]): Tensor; backward(g: Tensor, ...args: unknown[]): Grads };
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
  cross_entropy: { forward: crossEntropyLoss, backward: crossEntropyLossBackward, Module: CrossEntropyLoss },
  nll_loss: { forward: nllLoss, backward: nllLossBackward, Module: NLLLoss },
  mse_loss: { forward: mseLoss, backward: mseLossBackward, Module: MSELoss },
  l1_loss: { forward: l1Loss, backward: l1LossBackward, Module: L1Loss },
  smooth_l1_loss: { forward: smoothL1Loss, backward: smoothL1LossBackward, Module: SmoothL1Loss },
  huber_loss: { forward: huberLoss, backward: huberLossBackward, Module: HuberLoss },
  kl_div: { forward: klDivLoss, backward: klDivLossBackward, Module: KLDivLoss },
  poisson_nll_loss: { forward: poissonNllLoss, backward: poissonNllLossBackward, Module: PoissonNLLLoss },
  gaussian_nll_loss: { forward: gaussianNllLoss, backward: gaussianNllLossBackward, Module: GaussianNLLLoss },
} as unknown as Record<Exclude<Stem, SevenStem>, PortLoss>;

/** Issue 15's seven: the function, backward and module class names each ts/losses/<stem>.ts exports. */
const SEVEN = {
  margin_ranking_loss: ['marginRankingLoss', 'MarginRankingLoss'],
  hinge_embedding_loss: ['hingeEmbeddingLoss', 'HingeEmbeddingLoss'],
  cosine_embedding_loss: ['cosineEmbeddingLoss', 'CosineEmbeddingLoss'],
  multi_margin_loss: ['multiMarginLoss', 'MultiMarginLoss'],
  triplet_margin_loss: ['tripletMarginLoss', 'TripletMarginLoss'],
  triplet_margin_with_distance_loss: ['tripletMarginWithDistanceLoss', 'TripletMarginWithDistanceLoss'],
  ctc_loss: ['ctcLoss', 'CTCLoss'],
} as const;
type SevenStem = keyof typeof SEVEN;
/** torch's positional arguments of the seven, as the replies name them. */
const SEVEN_ARG_NAMES: Record<SevenStem, string[]> = {
  margin_ranking_loss: ['input1', 'input2', 'target'],
  hinge_embedding_loss: ['input', 'target'],
  cosine_embedding_loss: ['input1', 'input2', 'target'],
  multi_margin_loss: ['input', 'target'],
  triplet_margin_loss: ['anchor', 'positive', 'negative'],
  triplet_margin_with_distance_loss: ['anchor', 'positive', 'negative'],
  ctc_loss: ['log_probs', 'targets', 'input_lengths', 'target_lengths'],
};
/** A port's gradients for the seven: a Tensor (one differentiable argument), or keyed by torch's names. */
type Grads7 = Tensor | Readonly<Record<string, Tensor>>;
interface PortLoss7 {
  forward(...args: unknown[]): Tensor;
  backward(gradOutput: Tensor, ...args: unknown[]): Grads7;
  Module: new (options: Options) => { forward(...args: unknown[]): Tensor; backward(g: Tensor, ...args: unknown[]): Grads7 };
}

/** Each of the seven's port, or why it cannot be used (not written yet, an export missing). */
async function loadSeven(): Promise<Record<SevenStem, PortLoss7 | string>> {
  const out = {} as Record<SevenStem, PortLoss7 | string>;
  for (const [stem, [fn, Module]] of Object.entries(SEVEN) as [SevenStem, readonly [string, string]][]) {
    try {
      const m = (await import(`../ts/losses/${stem}.ts`)) as Record<string, unknown>;
      const missing = [fn, `${fn}Backward`, Module].filter((name) => typeof m[name] !== 'function');
      out[stem] = missing.length
        ? `ts/losses/${stem}.ts does not export ${missing.join(', ')}`
        : ({ forward: m[fn], backward: m[`${fn}Backward`], Module: m[Module] } as PortLoss7);
    } catch (e) {
      out[stem] = `ts/losses/${stem}.ts cannot be imported: ${(e as Error).message.split('\n')[0]}`;
    }
  }
  return out;
}
const SEVEN_PORTS = await loadSeven();

/** torch.testing.assert_close's defaults, as the PyTorch tests' assertEqual uses them. */
const TOLERANCE: Record<'float32' | 'float64', Tolerance> = { float32: { rtol: 1.3e-6, atol: 1e-5 }, float64: { rtol: 1e-7, atol: 1e-7 } };
/** torch's option names to the port's (camelCase). */
const OPTION_NAMES: Record<string, string> = {
  weight: 'weight',
  pos_weight: 'posWeight',
  reduction: 'reduction',
  size_average: 'sizeAverage',
  reduce: 'reduce',
  ignore_index: 'ignoreIndex',
  label_smoothing: 'labelSmoothing',
  log_target: 'logTarget',
  log_input: 'logInput',
  full: 'full',
  eps: 'eps',
  beta: 'beta',
  delta: 'delta',
};
/** The integer dtypes torch's tests give targets; the port's one integer type (IndexTensor) takes each. */
const INTEGER_DTYPES = new Set(['int64', 'int32', 'int16', 'int8', 'uint8']);

const { interp, why } = await findTorchInterpreter();
/**
 * PYTORCH_TESTS_ONLY=seven (read by python/pytorch_tests.py too): issue 15's seven alone, for a torch
 * the fourteen's groups do not support (1.7: TORCH_PYTHON='chroot /var/cache/torch-parity/roots/bullseye python3').
 */
const ONLY_SEVEN = process.env.PYTORCH_TESTS_ONLY === 'seven';

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
  return INTEGER_DTYPES.has(e.dtype) ? Array.from(new BigInt64Array(bytes(e)), Number) : Array.from(new Float64Array(bytes(e)));
}

/** The port's tensor for an encoded one: float32/float64 data, or an IndexTensor for an integer dtype. */
function toPort(e: Encoded): Tensor | IndexTensor {
  if (INTEGER_DTYPES.has(e.dtype)) return tensor(Int32Array.from(values(e)), { shape: e.shape, dtype: 'int64' });
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
  const v = r.var === null ? [] : 'number' in r.var ? [`var=${r.var.number}`] : [`var ${r.var.dtype}[${r.var.shape.join(', ')}]`];
  return [
    r.dtype,
    r.style,
    `input [${r.input.shape.join(', ')}]`,
    `target ${r.target.dtype}[${r.target.shape.join(', ')}]`,
    ...v,
    ...parts,
  ].join(' ');
}

interface PortResult {
  output?: Tensor;
  grad?: Tensor;
  gradVar?: Tensor | null;
  error?: string;
  message?: string;
  /** The warnings the port emitted, recorded rather than shown (captureWarnings). */
  warnings: string[];
}

/** The port's output and gradients for one call, or the torch error type its LossArgumentError names. */
function port(r: PytorchTestReply): PortResult {
  const loss = PORTS[r.loss as Exclude<Stem, SevenStem>];
  const input = toPort(r.input) as Tensor;
  const target = toPort(r.target) as AnyTarget;
  const args: unknown[] = [input, target];
  if (r.var !== null) args.push('number' in r.var ? r.var.number : toPort(r.var));
  const options: Options = { torchVersion: hello!.torch, cpuCapability: hello!.cpu_capability };
  for (const [k, v] of Object.entries(r.options)) options[OPTION_NAMES[k]!] = v !== null && typeof v === 'object' ? toPort(v) : v;
  // torch's F.* take the legacy size_average / reduce too; the port keeps them on the module classes
  // (both go through _Reduction.legacy_get_string), so a legacy call is a module call here.
  const legacy = 'sizeAverage' in options || 'reduce' in options;
  // The port's warnings, recorded as the PyTorch test records torch's (every one, not once per message).
  const { result, warnings } = captureWarnings((): Omit<PortResult, 'warnings'> => {
    try {
      const grads = (g: Grads): Pick<PortResult, 'grad' | 'gradVar'> =>
        'data' in g ? { grad: g as Tensor } : { grad: g.input, gradVar: g.var };
      if (r.style === 'module' || legacy) {
        const m = new loss.Module(options);
        const output = m.forward(...args);
        return r.grad_output ? { output, ...grads(m.backward(toPort(r.grad_output) as Tensor, ...args)) } : { output };
      }
      const output = loss.forward(...args, options);
      return r.grad_output ? { output, ...grads(loss.backward(toPort(r.grad_output) as Tensor, ...args, options)) } : { output };
    } catch (e) {
      if (!(e instanceof LossArgumentError))
        return { error: `not a LossArgumentError: ${(e as Error).name}`, message: (e as Error).message };
      return { error: e.torchErrorType, message: e.message };
    }
  });
  return { ...result, warnings };
}

/**
 * Whether the port's error is torch's: the same Python type, or, for torch's AttributeError (a
 * release without the feature reads an attribute the argument lacks, e.g. a number's .size()), a
 * TypeError whose message names the AttributeError (docs: the port's TorchErrorType has no
 * AttributeError).
 */
function sameErrorType(torchType: string, port: PortResult): boolean {
  if (port.error === torchType) return true;
  return torchType === 'AttributeError' && port.error === 'TypeError' && /AttributeError/.test(port.message ?? '');
}

/** What differs between the port and torch (and the PyTorch test's own checks) for one call; empty when nothing does. */
function differences(r: PytorchTestReply, path: string): string[] {
  const out: string[] = [];
  for (const c of r.torch_checks) if (!c.ok) out.push(`torch itself fails the test's check "${c.what}": ${c.message}`);
  const mine = port(r);
  if (r.error) {
    if (!sameErrorType(r.error.type, mine))
      out.push(
        `torch raised ${r.error.type}: ${r.error.message.split('\n')[0]}; the port ${mine.error ? `raised ${mine.error}: ${mine.message}` : 'computed a result'}`,
      );
    else if (r.expected_error?.regex && !new RegExp(r.expected_error.regex).test(mine.message ?? ''))
      out.push(`the test expects a message matching /${r.expected_error.regex}/; the port's: ${mine.message}`);
    return out.map((d) => `${path}: ${d}`);
  }
  if (mine.error) return [`${path}: torch computed a result; the port raised ${mine.error}: ${mine.message}`];
  const tol = TOLERANCE[r.dtype];
  const compare = (what: string, got: Tensor | null | undefined, want: Encoded | undefined, t: Tolerance = tol) => {
    if (!want) return;
    if (!got) return void out.push(`${what}: the port gave none`);
    const c = compareTensor(got, json(want), t, r.dtype);
    if (!c.ok) out.push(`${what}: ${c.message}`);
  };
  compare('output vs torch', mine.output, r.output);
  compare('input gradient vs torch', mine.grad, r.grad);
  compare('var gradient vs torch', mine.gradVar, r.grad_var);
  // the tests' references are compared as torch compares them (assert_close check_dtype=False): in the port's dtype
  const refTol = r.reference_tolerance ?? tol;
  const asPort = (e: Encoded | undefined, got: Tensor | null | undefined): Encoded | undefined =>
    e && got ? { ...e, dtype: got.data instanceof Float32Array ? 'float32' : 'float64' } : e;
  compare("output vs the test's reference", mine.output, asPort(r.reference_output, mine.output), refTol);
  compare("input gradient vs the test's reference", mine.grad, asPort(r.reference_grad, mine.grad), refTol);
  const data = Array.from(mine.output!.data);
  if (r.check === 'finite' && !data.every(Number.isFinite)) out.push(`the test asserts a finite output; the port gave ${data}`);
  if (r.check === 'nonnegative' && data.some((v) => v < 0)) out.push(`the test asserts a non-negative output; the port gave ${data}`);
  if (r.check === 'grad_abs_le_1' && mine.grad && Array.from(mine.grad.data).some((v) => !(Math.abs(v) <= 1)))
    out.push('the test asserts an input gradient of at most 1 in absolute value; the port gave more');
  if (r.expected_warning !== null && !mine.warnings.some((w) => new RegExp(r.expected_warning!).test(w)))
    out.push(`the test asserts a warning matching /${r.expected_warning}/; the port emitted ${JSON.stringify(mine.warnings)}`);
  return out.map((d) => `${path}: ${d}`);
}

/** triplet_margin_with_distance_loss's distance_function as python/pytorch_tests.py names it (distance_function()), for the port. */
function distanceFunction(stem: SevenStem, name: string): unknown {
  const decode = (LOSSES as unknown as Record<string, LossEntry>)[stem]?.kwargDecoders?.distance_function;
  if (!decode) throw new Error(`the registry has no distance_function decoder for ${stem} (pytorch_tests.py names '${name}')`);
  return decode(name);
}

function describeOptions7(r: PytorchTestReply): string {
  const args = (r.args ?? []).map((a) =>
    a.tensor ? `${a.name} ${a.tensor.dtype}[${a.tensor.shape.join(', ')}]` : `${a.name} [${(a.list ?? []).join(', ')}]`,
  );
  const opts = Object.entries(r.options).map(([k, v]) =>
    v !== null && typeof v === 'object' ? `${k}=tensor[${v.shape.join(', ')}]` : `${k}=${JSON.stringify(v)}`,
  );
  return [r.dtype, r.style, ...args, ...opts].join(' ');
}

interface PortResult7 {
  output?: Tensor;
  grads?: Record<string, Tensor>;
  error?: string;
  message?: string;
  warnings: string[];
}

/** One call of the seven through its port: output and the gradient of each differentiable argument, or its error. */
function port7(r: PytorchTestReply, loss: PortLoss7): PortResult7 {
  const args = (r.args ?? []).map((a) => (a.tensor ? toPort(a.tensor) : [...(a.list ?? [])]));
  const options: Options = { torchVersion: hello!.torch, cpuCapability: hello!.cpu_capability };
  for (const [k, v] of Object.entries(r.options)) {
    if (v === null) continue; // torch's None: the default
    if (k === 'distance_function' && typeof v === 'string') options.distanceFunction = distanceFunction(r.loss as SevenStem, v);
    else options[optionName(k)] = typeof v === 'object' ? toPort(v) : v;
  }
  const legacy = 'sizeAverage' in options || 'reduce' in options;
  const names = (r.args ?? []).map((a) => a.name);
  const wanted = Object.keys(r.grads ?? {});
  const { result, warnings } = captureWarnings((): Omit<PortResult7, 'warnings'> => {
    try {
      const byName = (g: Grads7): Record<string, Tensor> => {
        if ('data' in g && 'shape' in g) return { [wanted[0] ?? names[0]!]: g as Tensor };
        return { ...(g as Record<string, Tensor>) };
      };
      const go = r.grad_output ? (toPort(r.grad_output) as Tensor) : null;
      if (r.style === 'module' || legacy) {
        const m = new loss.Module(options);
        const output = m.forward(...args);
        return go ? { output, grads: byName(m.backward(go, ...args)) } : { output };
      }
      const output = loss.forward(...args, options);
      return go ? { output, grads: byName(loss.backward(go, ...args, options)) } : { output };
    } catch (e) {
      if (!(e instanceof LossArgumentError))
        return { error: `not a LossArgumentError: ${(e as Error).name}`, message: (e as Error).message };
      return { error: e.torchErrorType, message: e.message };
    }
  });
  return { ...result, warnings };
}

/** What differs between a port of the seven and torch (and the PyTorch test's own checks) for one call. */
function differences7(r: PytorchTestReply, path: string): string[] {
  const out: string[] = [];
  for (const c of r.torch_checks) if (!c.ok) out.push(`torch itself fails the test's check "${c.what}": ${c.message}`);
  if (r.undefined) return out.map((d) => `${path}: ${d}`); // nothing defined to compare with
  const loss = SEVEN_PORTS[r.loss as SevenStem];
  if (typeof loss === 'string') return [...out, `the port is not available: ${loss}`].map((d) => `${path}: ${d}`);
  const mine = port7(r, loss);
  if (r.error) {
    if (!sameErrorType(r.error.type, mine))
      out.push(
        `torch raised ${r.error.type}: ${r.error.message.split('\n')[0]}; the port ${mine.error ? `raised ${mine.error}: ${mine.message}` : 'computed a result'}`,
      );
    else if (r.expected_error?.regex && !new RegExp(r.expected_error.regex).test(mine.message ?? ''))
      out.push(`the test expects a message matching /${r.expected_error.regex}/; the port's: ${mine.message}`);
    return out.map((d) => `${path}: ${d}`);
  }
  if (mine.error) return [...out, `torch computed a result; the port raised ${mine.error}: ${mine.message}`].map((d) => `${path}: ${d}`);
  const tol = TOLERANCE[r.dtype];
  const compare = (what: string, got: Tensor | null | undefined, want: Encoded | undefined, t: Tolerance = tol) => {
    if (!want) return;
    if (!got) return void out.push(`${what}: the port gave none`);
    const c = compareTensor(got, json(want), t, r.dtype);
    if (!c.ok) out.push(`${what}: ${c.message}`);
  };
  const asPort = (e: Encoded | undefined, got: Tensor | null | undefined): Encoded | undefined =>
    e && got ? { ...e, dtype: got.data instanceof Float32Array ? 'float32' : 'float64' } : e;
  const refTol = r.reference_tolerance ?? tol;
  compare('output vs torch', mine.output, r.output);
  compare("output vs the test's reference", mine.output, asPort(r.reference_output, mine.output), refTol);
  for (const [name, g] of Object.entries(r.grads ?? {})) compare(`${name} gradient vs torch`, mine.grads?.[name], g);
  for (const [name, g] of Object.entries(r.reference_grads ?? {}))
    compare(`${name} gradient vs the test's reference`, mine.grads?.[name], asPort(g, mine.grads?.[name]), refTol);
  const data = mine.output ? Array.from(mine.output.data) : [];
  if (r.check === 'finite' && !data.every(Number.isFinite)) out.push(`the test asserts a finite output; the port gave ${data}`);
  if (r.check === 'nonnegative' && data.some((v) => v < 0)) out.push(`the test asserts a non-negative output; the port gave ${data}`);
  if (r.expected_warning !== null && !mine.warnings.some((w) => new RegExp(r.expected_warning!).test(w)))
    out.push(`the test asserts a warning matching /${r.expected_warning}/; the port emitted ${JSON.stringify(mine.warnings)}`);
  return out.map((d) => `${path}: ${d}`);
}

if (!interp) {
  test.skip(`PyTorch's own loss tests skipped: ${why}`, () => {});
} else {
  const byTest = new Map<string, { r: PytorchTestReply; index: number }[]>();
  // the seven's calls are grouped per PyTorch test and loss, so a port not yet written fails its own tests only
  const testName = (r: PytorchTestReply) => (r.args ? `${r.test} [${r.loss}]` : r.test);
  replies.forEach((r, index) => byTest.set(testName(r), [...(byTest.get(testName(r)) ?? []), { r, index }]));
  const failedCalls = new Set<number>();
  const failedByLoss = new Map<string, number>();

  test(`the worker re-created PyTorch's loss tests in torch ${hello!.torch} (${hello!.cpu_capability})`, () => {
    expect(replies.length).toBe(replies[0]?.count);
    expect(new Set(replies.map((r) => r.loss))).toEqual(new Set([...(ONLY_SEVEN ? [] : Object.keys(PORTS)), ...Object.keys(SEVEN)]));
    const all = replies;
    const seven = all.filter((r) => r.args);
    {
      // issue 15's seven: 1180 calls (python/pytorch_tests.py GROUPS_SEVEN), each with its arguments by name
      const count = (p: (r: PytorchTestReply) => unknown) => seven.filter(p).length;
      expect(seven.length).toBe(1180);
      // (a call whose result this release does not define may compute where the test expects an error)
      expect(count((r) => r.error)).toBe(count((r) => r.expected_error && !r.undefined));
      expect(count((r) => r.expected_error)).toBeGreaterThanOrEqual(45);
      expect(count((r) => r.reference_output || r.reference_grads)).toBeGreaterThan(400);
      expect(count((r) => r.grads && Object.keys(r.grads).length > 1)).toBeGreaterThan(300);
      expect(count((r) => r.args!.some((a) => a.list))).toBeGreaterThan(30);
      expect(count((r) => 'size_average' in r.options || 'reduce' in r.options)).toBeGreaterThan(50);
      for (const r of seven)
        expect(
          r.args!.map((a) => a.name),
          r.test,
        ).toEqual(SEVEN_ARG_NAMES[r.loss as SevenStem]);
    }
    // what the re-creation holds the ports to: none of it may silently go missing (the five: 465
    // calls, 243 with the test's own reference, 16 errors, 134 integer targets, 68 legacy
    // size_average / reduce; with the nine: 2981 calls)
    const fourteen = all.filter((r) => !r.args);
    expect(fourteen.length).toBe(ONLY_SEVEN ? 0 : 2981);
    if (ONLY_SEVEN) return;
    const count = (p: (r: PytorchTestReply) => unknown) => fourteen.filter(p).length;
    const five = new Set([
      'binary_cross_entropy',
      'binary_cross_entropy_with_logits',
      'soft_margin_loss',
      'multilabel_margin_loss',
      'multilabel_soft_margin_loss',
    ]);
    expect(count((r) => five.has(r.loss))).toBe(465);
    expect(count((r) => r.reference_output || r.reference_grad)).toBeGreaterThan(1200);
    expect(count((r) => r.error)).toBe(count((r) => r.expected_error));
    expect(count((r) => r.expected_error)).toBeGreaterThanOrEqual(60);
    expect(count((r) => r.expected_error?.regex)).toBeGreaterThanOrEqual(35);
    expect(count((r) => INTEGER_DTYPES.has(r.target.dtype))).toBeGreaterThan(900);
    expect(count((r) => 'size_average' in r.options || 'reduce' in r.options)).toBeGreaterThan(150);
    expect(count((r) => r.var !== null)).toBeGreaterThan(600);
    expect(count((r) => r.grad_var)).toBeGreaterThan(600);
    expect(count((r) => r.expected_warning !== null)).toBeGreaterThanOrEqual(1);
    // features this release lacks are error cases, named (python/pytorch_tests.py FEATURES)
    for (const r of all) if (r.feature_missing) expect(r.error ?? r.output, `${r.test}: ${r.feature_missing}`).toBeTruthy();
  });

  for (const [name, calls] of byTest) {
    test(`${name} (${calls.length} call${calls.length > 1 ? 's' : ''})`, () => {
      const failures: string[] = [];
      for (const { r, index } of calls) {
        // float32 runs through both paths, the WebAssembly kernels and the JS loops
        for (const kernels of r.dtype === 'float32' ? [true, false] : [true]) {
          useFloat32Kernels(kernels);
          try {
            const found = r.args
              ? differences7(r, `${name} [#${index} ${describeOptions7(r)}${kernels ? '' : ', JS loops'}]`)
              : differences(r, `${name} [#${index} ${describeOptions(r)}${kernels ? '' : ', JS loops'}]`);
            if (found.length && !failedCalls.has(index)) {
              failedCalls.add(index);
              failedByLoss.set(r.loss, (failedByLoss.get(r.loss) ?? 0) + 1);
            }
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
    const undefinedCalls = replies.filter((r) => r.undefined).length;
    const missing = new Map<string, number>();
    for (const r of replies) if (r.feature_missing) missing.set(r.feature_missing, (missing.get(r.feature_missing) ?? 0) + 1);
    console.info(
      `PyTorch's loss tests on torch ${hello!.torch} (${hello!.cpu_capability}): ${byTest.size} tests, ${replies.length} calls, ` +
        `${replies.length - failedCalls.size} passed, ${failedCalls.size} failed` +
        (failedByLoss.size ? ` (${[...failedByLoss].map(([l, n]) => `${l} ${n}`).join(', ')})` : '') +
        (missing.size ? `; features this torch lacks (its error cases): ${[...missing].map(([f, n]) => `${f} ${n}`).join(', ')}` : '') +
        (undefinedCalls ? `; ${undefinedCalls} call(s) whose torch result this release does not define (not compared)` : ''),
    );
  });
}
