// exp, log and log1p for the float32 path, about 5x faster than V8's Math.exp/log/log1p (which
// are not inlined). Each is accurate to about 1e-14 relative in double, so after Math.fround the
// result is the correctly rounded float32 or, within 1e-14 of a rounding midpoint, its neighbour:
// faithful, like the SLEEF u10 functions torch's float32 kernels call. float64 keeps V8's own.

const LN2_HI = 0.6931471803691238; // ln 2 split so that k * LN2_HI is exact for |k| < 2^11
const LN2_LO = 1.9082149292705877e-10;
const INV_LN2 = 1.4426950408889634;

// 2^k for k in [-1022, 1023], so exp need not build a double from bits.
const POW2 = new Float64Array(2046);
for (let k = -1022; k <= 1023; k++) POW2[k + 1022] = 2 ** k;

/** e^x: Cody-Waite reduction x = k ln2 + t, |t| <= ln2 / 2, then a degree-11 Taylor polynomial. */
export function exp32(x: number): number {
  if (!(x > -700 && x < 700)) return Math.exp(x); // NaN, +-inf, and results outside float32 anyway
  const k = Math.round(x * INV_LN2);
  const t = x - k * LN2_HI - k * LN2_LO;
  const p =
    1 + t * (1 + t * (1 / 2 + t * (1 / 6 + t * (1 / 24 + t * (1 / 120 + t * (1 / 720 + t * (1 / 5040 + t * (1 / 40320 + t * (1 / 362880 + t * (1 / 3628800 + t / 39916800))))))))));
  return p * POW2[k + 1022]!;
}

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer); // little-endian: words[1] holds sign, exponent, top mantissa

/** ln x: x = m 2^e with m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172. */
export function log32(x: number): number {
  if (!(x >= 2.2250738585072014e-308 && x < Infinity)) return Math.log(x); // 0, subnormal, negative, NaN, inf
  bits[0] = x;
  const hi = words[1]!;
  let e = (hi >>> 20) - 1023;
  words[1] = (hi & 0x000fffff) | 0x3ff00000;
  let m = bits[0]!;
  if (m > Math.SQRT2) {
    m *= 0.5;
    e += 1;
  }
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  const tail = s2 * (1 / 3 + s2 * (1 / 5 + s2 * (1 / 7 + s2 * (1 / 9 + s2 * (1 / 11 + s2 * (1 / 13 + s2 / 15))))));
  return e * LN2_HI + (2 * s + (2 * s * tail + e * LN2_LO));
}

/**
 * ln(1 + x) for a float32 x: 1 + x is exact in double when |x| >= 2^-29 (x has 24 significant
 * bits), and below that x - x^2/2 is exact to double precision.
 */
export function log1p32(x: number): number {
  if (Math.abs(x) < 1.862645149230957e-9) return x - 0.5 * x * x;
  return log32(1 + x);
}
