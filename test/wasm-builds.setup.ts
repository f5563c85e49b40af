// vitest globalSetup: starts compiling the WebAssembly builds the "*-binary.ts is the build" tests
// compare with (../scripts/build-wasm.ts buildWasm) in the background, one at a time, as the run
// starts, so that they compile on the core vitest's one worker leaves free (2 cores: one worker)
// while the other test files run, instead of inside those tests. A test that needs a build waits
// for it (or finds it in node_modules/.cache/torch-loss-parity/wasm from an earlier run of the same
// sources, and then nothing compiles at all); it compiles a build itself that is not started yet.
// What a test compares is the same either way: the compiler's output for the current sources.
//
// When the run ends, a build still compiling (a run of other tests, after a source changed) is
// stopped: nothing is left running and nothing half-written is kept.

import { allBuilds, buildWasm } from '../scripts/build-wasm.ts';

export default function setup(): () => Promise<void> {
  const stop = new AbortController();
  const background = (async () => {
    for (const { name, fma } of allBuilds()) {
      if (stop.signal.aborted) return;
      try {
        await buildWasm(name, fma, stop.signal);
      } catch {
        // aborted, or the compile failed: the test that needs this build compiles it and reports why
      }
    }
  })();
  return async () => {
    stop.abort();
    await background;
  };
}
