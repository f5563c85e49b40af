// A row's fingerprint, for cross_entropy's backward to reuse its forward's row statistics where the
// row is unchanged (kernels.ts logSoftmaxRowsPickedSaving, float64.ts logSoftmaxRowsPickedSaving64;
// ../../row-stats.ts). Four 128-bit states, seeded apart, each take one vector of every four
// (16 floats or 8 doubles a step); per 64-bit lane h = rotl(t ^ (t >> 29), 32) with t = h + bits.
// Each step is a bijection of the state for fixed bits and of the bits for a fixed state, so a
// change of any one element changes its lane's final state and the 64-bit xor of all eight lanes
// (fingerprintFold); several changes collide only by accident (add, xor-shift and rotate mixed:
// linear over neither the integers nor GF(2)). Not cryptographic. The rows' loops, and how each
// pads a row's tail with zeros, stay in their modules. Its own loop, not rowMax's: four
// independent states of a 5-op chain per 64 bytes cost far less than the two multiply chains per
// vector rowMax's two-vector steps allow (h-ce2 measured 1 ns / float of the forward for those).

/** The four states' seeds (the first hex digits of pi). */
export const FP_SEEDS: usize = memory.data<u32>(
  [
    0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0x082efa98, 0xec4e6c89,
    0x452821e6, 0x38d01377, 0xbe5466cf, 0x34e90c6c, 0xc0ac29b7, 0xc97c50dd, 0x3f84d5b5, 0xb5470917,
  ],
  16,
);

/**
 * One step of a state h by the next vector v of its row. The rotation is by 32 (SipHash's rotl
 * 32): a swap of each lane's halves, one shuffle (pshufd) where rotl 17's two shifts and an or
 * were three more operations on the vector ports, where the pass is bound (four loads and 24
 * operations per 64 bytes before, 16 now).
 */
// @ts-ignore: decorator
@inline export function fpStep(h: v128, v: v128): v128 {
  const t = i64x2.add(h, v);
  const u = v128.xor(t, i64x2.shr_u(t, 29));
  return v128.shuffle<i32>(u, u, 1, 0, 3, 2);
}

/** The two 32-bit halves of the fingerprint fingerprintFold last folded. */
export let rowFpA: i32 = 0;
export let rowFpB: i32 = 0;

/** The 64-bit xor of the four states' eight lanes, into rowFpA (low half) and rowFpB. */
// @ts-ignore: decorator
@inline export function fingerprintFold(h0: v128, h1: v128, h2: v128, h3: v128): void {
  const x = v128.xor(v128.xor(h0, h1), v128.xor(h2, h3));
  const f = i64x2.extract_lane(x, 0) ^ i64x2.extract_lane(x, 1);
  rowFpA = <i32>f;
  rowFpB = <i32>(f >>> 32);
}
