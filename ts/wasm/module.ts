// Shared by the WebAssembly modules besides the elementwise kernels (./assembly/<name>.ts, built
// into ./<name>-binary.ts by `npm run build:wasm`): instantiating one from its base64 and placing a
// call's arrays in its memory. Each module's memory starts at its heapBase() and is grown when a
// call needs more, and kept (WebAssembly memory cannot shrink), up to the cap.

import { inflateSync } from 'fflate';

/** What every such module exports: its memory and where its free space starts. */
export interface ModuleExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
}

/** The bytes of base64 text. */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export type Zlib = { inflateRawSync(data: Uint8Array): Uint8Array<ArrayBuffer> };
/** Node's zlib, through process.getBuiltinModule (Node 20.16+; no static node: import, the library is bundled for browsers). */
const nodeZlib = (): Zlib | undefined =>
  (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('node:zlib') as Zlib | undefined;

/**
 * A module's bytes from what its <name>-binary.ts holds: the base64 of the module raw-deflated
 * (../../scripts/build-wasm.ts kernelsModuleSource), inflated synchronously: by Node's zlib where
 * there is one, else by fflate's inflateSync (about 2 kB gzipped in a bundle; cold, its first
 * inflate of a kernels module takes some 20 ms, Node's under 1 ms). Deflated before base64 the
 * modules gzip about 40% smaller in a bundle than their plain base64 does (gzip finds little to
 * share across base64's 6-bit groups of the wasm). `zlib` null: fflate's, as in a browser.
 */
export function wasmBytes(deflatedBase64: string, zlib: Zlib | null = nodeZlib() ?? null): Uint8Array<ArrayBuffer> {
  const deflated = decodeBase64(deflatedBase64);
  return zlib ? zlib.inflateRawSync(deflated) : (inflateSync(deflated) as Uint8Array<ArrayBuffer>);
}

/** A fresh instance of the module, or null where WebAssembly (with SIMD) is unavailable. */
export function instantiate<E extends ModuleExports>(deflatedBase64: string): E | null {
  try {
    return new WebAssembly.Instance(new WebAssembly.Module(wasmBytes(deflatedBase64)), {}).exports as unknown as E;
  } catch {
    return null;
  }
}

/** The most one call may place in a module's memory: 64 MB (a bigger call runs the JS loops). */
export const MODULE_CAP_BYTES = 64 * 1024 * 1024;

/** A call's arrays in a module's memory: reserve them, then take views (after every reserve). */
export class Arena {
  private readonly exports: ModuleExports;
  private readonly base: number;
  private top: number;
  constructor(exports: ModuleExports) {
    this.exports = exports;
    this.base = exports.heapBase();
    this.top = this.base;
  }

  /** Starts a call: everything reserved before is free again. */
  reset(): this {
    this.top = this.base;
    return this;
  }

  /** Reserves `bytes` (16-byte aligned); returns the byte address. */
  reserve(bytes: number): number {
    const ptr = this.top;
    this.top += Math.ceil(bytes / 16) * 16;
    return ptr;
  }

  /** Whether what this call reserved fits under the cap. */
  fits(cap = MODULE_CAP_BYTES): boolean {
    return this.top - this.base <= cap;
  }

  /** The memory's buffer, grown first to hold everything reserved (views taken before a grow are detached). */
  buffer(): ArrayBuffer {
    const memory = this.exports.memory;
    const short = this.top - memory.buffer.byteLength;
    if (short > 0) memory.grow(Math.ceil(short / 65536));
    return memory.buffer;
  }
}

// ---- relaxed SIMD's fused multiply-add ----
// f32x4.relaxed_madd(a, b, c) is a * b + c rounded once where the hardware fuses it (x86 with FMA3,
// ARM) and rounded twice elsewhere (x86 without FMA3): relaxed SIMD lets the engine choose. A module
// built with `--enable relaxed-simd` that needs torch's fused results (vfmadd under avx2) may be
// used only where the probe below proves the fused one. Node 20's V8 validates relaxed SIMD only
// after `--experimental-wasm-relaxed-simd` (Node 22+ and Chrome 114+ have it by default): the flag
// is set through process.getBuiltinModule (no static node: import, the library is bundled for
// browsers), which changes nothing else.

/** (a, b, c) => lane 0 of f32x4.relaxed_madd (export m) / relaxed_nmadd (export n) of the splats. */
const PROBE_BODY = (op: number) => [20, 0, 0x20, 0, 0xfd, 0x13, 0x20, 1, 0xfd, 0x13, 0x20, 2, 0xfd, 0x13, 0xfd, op, 2, 0xfd, 0x1f, 0, 0x0b];
const RELAXED_PROBE = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
  ...[1, 8, 1, 0x60, 3, 0x7d, 0x7d, 0x7d, 1, 0x7d], // type (f32, f32, f32) -> f32
  ...[3, 3, 2, 0, 0], // two functions of it
  ...[7, 9, 2, 1, 0x6d, 0, 0, 1, 0x6e, 0, 1], // exports m, n
  ...[10, 43, 2, ...PROBE_BODY(0x85), ...PROBE_BODY(0x86)], // relaxed_madd (0xfd 0x105), relaxed_nmadd (0xfd 0x106)
]);

const A = Math.fround(1 + 2 ** -12); // A * A = 1 + 2^-11 + 2^-24: a float32 rounding midpoint
/** [fn, a, b, c, the fused result]: each differs rounded twice (and as float64 then float32 for the 2^-80 ones). */
const FUSED_CASES: [fn: 'm' | 'n', a: number, b: number, c: number, fused: number][] = [
  ['m', A, A, -(1 + 2 ** -11), 2 ** -24],
  ['m', A, A, 2 ** -80, 1 + 2 ** -11 + 2 ** -23],
  ['m', -A, A, -(2 ** -80), -(1 + 2 ** -11 + 2 ** -23)],
  ['m', A, -A, 1 + 2 ** -11, -(2 ** -24)],
  ['n', A, A, 1 + 2 ** -11, -(2 ** -24)],
  ['n', A, -A, -(1 + 2 ** -11), 2 ** -24],
];

let relaxedFused: boolean | undefined;

/** Whether relaxed SIMD validates (after enabling it on Node 20) and f32x4.relaxed_madd / relaxed_nmadd round once here. */
export function relaxedSimdFused(): boolean {
  relaxedFused ??= probeRelaxedFused();
  return relaxedFused;
}

function probeRelaxedFused(): boolean {
  try {
    if (!WebAssembly.validate(RELAXED_PROBE)) {
      type V8 = { setFlagsFromString(flags: string): void };
      const node = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
      (node?.getBuiltinModule?.('node:v8') as V8 | undefined)?.setFlagsFromString('--experimental-wasm-relaxed-simd');
      if (!WebAssembly.validate(RELAXED_PROBE)) return false;
    }
    const probe = new WebAssembly.Instance(new WebAssembly.Module(RELAXED_PROBE), {}).exports as Record<
      'm' | 'n',
      (a: number, b: number, c: number) => number
    >;
    return FUSED_CASES.every(([fn, a, b, c, fused]) => Object.is(probe[fn](a, b, c), fused));
  } catch {
    return false;
  }
}
