// Why the first large output also allocates, and drops, a 32 MB ArrayBuffer.
//
// V8 frees an ArrayBuffer's memory only after a GC, several at once, from a helper thread. glibc's
// malloc then hands the top of its heap back to the kernel whenever more than its trim threshold
// is free (2 x its mmap threshold: 8 MB once a 4 MB output has been freed), so each new output of a
// training loop lands on fresh pages and page-faults at its first write. A 4 MB gradient took 887
// of its 977 pages as faults per call on this machine, about 2 ns per float32 element: as long as
// the backward kernel itself (see the README's Performance).
//
// glibc raises both thresholds by itself whenever a program frees an mmapped block larger than
// the current mmap threshold, to that block's size, up to 32 MB (malloc.c, "dynamic mmap
// threshold"). Freeing one block just under 32 MB does it once: freed outputs up to 64 MB are then
// kept and reused, as torch's tensors are, and the same loop took 16 faults per call. The block is
// never written, so no page of it is touched; other allocators just free it.

/** The block's size: its chunk must not exceed glibc's DEFAULT_MMAP_THRESHOLD_MAX (32 MB on 64-bit). */
const BLOCK_BYTES = 32 * 1024 * 1024 - 64 * 1024;
/** Outputs from glibc's initial mmap threshold on warm the allocator (smaller ones come from its heap and are reused anyway). */
const WARM_FROM_BYTES = 128 * 1024;

let warmed = false;
let enabled = true;

/** Called before allocating an output of `bytes`: the first large one drops the 32 MB block. */
export function beforeOutput(bytes: number): void {
  if (warmed || !enabled || bytes < WARM_FROM_BYTES) return;
  warmed = true;
  void new ArrayBuffer(BLOCK_BYTES); // garbage at once: freed (and the thresholds raised) at the next GC
}

/** Switches the warm-up off (false) or on, for `npm run bench -- --cold-allocator`; it takes effect only before the first large output. */
export function useAllocatorWarmup(on: boolean): void {
  enabled = on;
}
