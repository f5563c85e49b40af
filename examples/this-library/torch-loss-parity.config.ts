// Example 1: this library's own ports, checked the way any implementation is: a config file
// (docs/conformance-spec.md) mapping torch's functional names to the ports through a small adapter.
// Every loss in the registry is listed; each call passes the golden's torch release and CPU
// capability as the ports' torchVersion / cpuCapability options, so it passes every release.
//
//   npx torch-loss-parity check --impl examples/this-library/torch-loss-parity.config.ts
//
// Verdict: every case of every loss with goldens passes, on every torch release.

import type {
  BackwardFunction,
  CaseContext,
  CheckConfig,
  ForwardFunction,
  SpecKwargs,
  SpecTensor,
} from '../../scripts/lib/check-config.ts';
import { LOSSES, type LossEntry, optionName } from '../../ts/losses/registry.ts';

/**
 * torch's keyword names as the ports' options (ignore_index -> ignoreIndex), plus the release to
 * follow; a keyword the spec passes by name (distance_function "cosine", p "inf") decoded by the
 * loss's registry entry.
 */
function options(entry: LossEntry, kwargs: SpecKwargs, context: CaseContext): Record<string, unknown> {
  const o: Record<string, unknown> = { torchVersion: context.torch, cpuCapability: context.cpuCapability };
  for (const [name, value] of Object.entries(kwargs)) {
    const decode = entry.kwargDecoders?.[name];
    o[optionName(name)] = decode ? decode(value) : value;
  }
  return o;
}

// The spec's tensors ({ shape, dtype, data } with Float32Array / Float64Array / Int32Array data) are
// already the ports' Tensor and IndexTensor; their results ({ data, shape }) are the spec's results.
const functions: Record<string, { forward: ForwardFunction; backward: BackwardFunction }> = {};
for (const [stem, entry] of Object.entries(LOSSES) as [string, LossEntry][]) {
  functions[stem] = {
    forward: (args: readonly SpecTensor[], kwargs, context) => entry.forward(...args, options(entry, kwargs, context)),
    backward: (gradOutput, args, kwargs, context) => entry.backward(gradOutput, ...args, options(entry, kwargs, context)),
  };
}

const config: CheckConfig = { spec: 1, name: 'torch-loss-parity (this library, through its registry)', functions };
export default config;
