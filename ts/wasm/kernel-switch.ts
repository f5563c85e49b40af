// The WebAssembly modules' on/off switch (useFloat32Kernels) and the build they load (plain or
// relaxed-SIMD FMA), on their own: every module (./float32-kernels.ts, ./float64-kernels.ts through
// it, ./vectors.ts, ./distance.ts, ./ctc.ts, ./threads.ts) reads them here, so that a port which
// runs only one of them (a triplet loss: ./distance.ts) does not import the elementwise kernels'
// two builds (./kernels-binary.ts, ./kernels-fma-binary.ts, about 90 kB gzipped) for the switch.
// No module is loaded here: the switch only says whether and which.

import { relaxedSimdFused } from './module.ts';

/**
 * The two builds of the kernels (and of ./assembly/distance.ts), from the same source, which
 * return the same floats:
 * - 'fma': compiled with relaxed SIMD (./kernels-fma-binary.ts, ./distance-fma-binary.ts), SLEEF's
 *   fused multiply-adds (torch's vfmadd*ps under avx2 / avx512) each one f32x4.relaxed_madd.
 *   Relaxed SIMD lets the engine round that once or twice (it is fused on x86 with FMA3 and on
 *   ARM, not on x86 without it), and only the fused one is torch's: so this build runs only where
 *   ./module.ts relaxedSimdFused() has validated relaxed SIMD (on Node 20 after enabling its V8
 *   flag) and proven the fused rounding on this machine. exp and log cost about a quarter of the
 *   plain build's.
 * - 'plain': baseline WebAssembly SIMD (./kernels-binary.ts, ./distance-binary.ts), each FMA
 *   emulated in float64 halves: everywhere else.
 */
export type KernelBuild = 'plain' | 'fma';

/** The build the ports load: 'fma' where relaxedSimdFused(), else 'plain'. */
export function preferredKernelBuild(): KernelBuild {
  return relaxedSimdFused() ? 'fma' : 'plain';
}

let enabled = true;
/** 'auto' (the preferred build), or the build tests and the bench force; TORCH_PARITY_WASM_BUILD=plain in the environment forces the plain one. */
let buildChoice: KernelBuild | 'auto' = environmentBuild();
/** Bumped by every change of buildChoice: a module loaded under an older one is loaded again. */
let buildGeneration = 0;

/** TORCH_PARITY_WASM_BUILD=plain, where the environment can be read (Deno without --allow-env throws: then 'auto'). */
function environmentBuild(): KernelBuild | 'auto' {
  try {
    return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.TORCH_PARITY_WASM_BUILD === 'plain'
      ? 'plain'
      : 'auto';
  } catch {
    return 'auto';
  }
}

/** Switches the float32 kernels off (false) or on: tests and the bench compare them with the JS loops. */
export function useFloat32Kernels(on: boolean): void {
  enabled = on;
}

/**
 * Whether the WebAssembly modules are switched on (useFloat32Kernels). Each module is still null
 * where it cannot be instantiated (no WebAssembly SIMD, which all of them use): then the JS loops run.
 */
export function kernelsEnabled(): boolean {
  return enabled;
}

/**
 * Forces a build of the kernels ('plain', or 'fma', which throws where relaxedSimdFused() is false),
 * or 'auto' again; returns the previous choice. Tests run the kernels under both; the bench's
 * --plain-wasm times the plain one.
 */
export function useFloat32KernelBuild(build: KernelBuild | 'auto'): KernelBuild | 'auto' {
  if (build === 'fma' && !relaxedSimdFused())
    throw new Error("useFloat32KernelBuild('fma'): relaxed SIMD's multiply-add is not fused here");
  const previous = buildChoice;
  if (build !== buildChoice) buildGeneration++;
  buildChoice = build;
  return previous;
}

/** The build choice ('auto' or a forced one) and its generation (which changes with it). */
export function kernelBuildChoice(): { readonly choice: KernelBuild | 'auto'; readonly generation: number } {
  return { choice: buildChoice, generation: buildGeneration };
}

/**
 * The build the modules load now ('auto' resolved: preferredKernelBuild()), or null when they are
 * switched off (useFloat32Kernels(false)).
 */
export function kernelBuild(): KernelBuild | null {
  if (!enabled) return null;
  return buildChoice === 'auto' ? preferredKernelBuild() : buildChoice;
}
