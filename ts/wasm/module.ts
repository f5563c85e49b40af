// Shared by the WebAssembly modules besides the elementwise kernels (./assembly/<name>.ts, built
// into ./<name>-binary.ts by `npm run build:wasm`): instantiating one from its base64 and placing a
// call's arrays in its memory. Each module's memory starts at its heapBase() and is grown when a
// call needs more, and kept (WebAssembly memory cannot shrink), up to the cap.

/** What every such module exports: its memory and where its free space starts. */
export interface ModuleExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A fresh instance of the module, or null where WebAssembly (with SIMD) is unavailable. */
export function instantiate<E extends ModuleExports>(base64: string): E | null {
  try {
    return new WebAssembly.Instance(new WebAssembly.Module(decodeBase64(base64)), {}).exports as unknown as E;
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
