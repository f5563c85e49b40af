// npm run verify:wasm-math [-- --from X --to Y]
//
// Checks the WebAssembly kernels' float32 exp, log and log1p (ts/wasm/assembly/kernels.ts) against
// Math.fround of V8's Math.exp / Math.log / Math.log1p for every float32 argument in their ranges:
// exp on [-110, 100] (beyond, the results are 0 and inf), the unit log1p on [0, 1], log on
// [0, max], log1p on [-1, max] and log on [1, max] (SoftMarginLoss' shortcut). Prints how many
// arguments round otherwise than V8 and the largest error in ULPs; exits 1 if any result is off by
// a whole ULP or more (not faithful).
// --fn exp,log1p-unit,log,log1p,log-ge1 picks some; about four minutes for all.
//
// --fma instead compares the kernels' two builds (ts/wasm/float32-kernels.ts KernelBuild) bit for
// bit on every one of the 2^32 float32 bit patterns, in SLEEF's expf and logf (one vector and two at
// a time) and log1pf (before and from SLEEF 3.8): the relaxed-SIMD build's fused multiply-adds against the plain build's float64
// emulation; exits 1 at any difference, 2 where relaxed SIMD's multiply-add is not fused here.
//
// --float64 [--count N] [--fn exp,expNonPositive,log,log1p] compares the float64 module's exp64 /
// log64 / log1p64 (ts/wasm/assembly/float64.ts) bit for bit with Math.exp / Math.log / Math.log1p
// on N (1e8) drawn doubles each (random bit patterns; values of every magnitude, both signs; near
// -1, 0 and 1; and every low word of the high words where fdlibm's branches change), and
// expNonPositive64 (log_softmax's exp) with Math.exp on the same draws, three in four made <= 0;
// exits 1 at any difference.

import { parseArgs } from 'node:util';
import { float32Kernels, loadFloat32Kernels, type Elementary } from '../ts/wasm/float32-kernels.ts';
import { loadFloat64Kernels } from '../ts/wasm/float64-kernels.ts';

const { values: opts } = parseArgs({
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    fn: { type: 'string' },
    fma: { type: 'boolean' },
    float64: { type: 'boolean' },
    count: { type: 'string' },
  },
});
if (opts.fma) process.exit(compareBuilds());
if (opts.float64) process.exit(compareFloat64(Number(opts.count ?? 1e8)));

/** --float64: the float64 module's exp, log and log1p against V8's on `count` drawn doubles each. */
function compareFloat64(count: number): number {
  const kernels = loadFloat64Kernels();
  if (!kernels) {
    process.stderr.write('verify:wasm-math --float64: WebAssembly SIMD is not available\n');
    return 2;
  }
  const chunk = 1 << 16;
  const words = new Uint32Array(2 * chunk);
  const v = new Float64Array(words.buffer);
  let seed = 12345;
  const next = () => {
    seed = (seed + 0x6d2b79f5) >>> 0; // mulberry32
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const unit = () => next() / 2 ** 32;
  const pair = new Uint32Array(2);
  const asDouble = new Float64Array(pair.buffer);
  // fdlibm's branch edges (high words): log1p's 0.41422, -0.2929, 2^-29, 2^-54, 2^53, -1; exp's ln2 / 2, 1.5 ln2, 2^-28, 709.78; log's subnormals
  const edges = [0x3fda827a, 0xbfd2bec4, 0xbfd2bec5, 0x3e200000, 0xbe200000, 0x3c900000, 0xbc900000, 0x43400000, 0xbff00000, 0xbfefffff];
  edges.push(0x3fd62e42, 0xbfd62e42, 0x3ff0a2b2, 0xbff0a2b2, 0x3e300000, 0xbe300000, 0x40862e42, 0xc0862e42, 0x00100000, 0x7ff00000);
  const draws: (() => number)[] = [
    () => {
      pair[0] = next();
      pair[1] = next();
      return asDouble[0]!;
    },
    () => (unit() - 0.5) * 2 ** ((next() % 160) - 120),
    () => -1 + unit() * 2 ** -(next() % 60),
    () => 1 + (unit() - 0.5) * 2 ** -(next() % 50),
    () => (next() & 1 ? 1 : -1) * unit() * 2 ** ((next() % 2100) - 1074),
    () => (unit() - 0.5) * 1500,
  ];
  let differ = 0;
  for (const [name, reference] of [
    ['exp', Math.exp],
    ['expNonPositive', Math.exp],
    ['log', Math.log],
    ['log1p', Math.log1p],
  ] as const) {
    if (opts.fn && !opts.fn.split(',').includes(name)) continue;
    const started = performance.now();
    let seen = 0;
    let off = 0;
    for (let round = 0; seen < count; round++) {
      const n = Math.min(chunk, count - seen);
      const edge = round < 4 * edges.length ? edges[round >> 2]! : -1;
      for (let i = 0; i < n; i++) {
        if (edge >= 0) [words[2 * i], words[2 * i + 1]] = [round % 4 ? next() : i, edge];
        else v[i] = draws[round % draws.length]!();
        if (name === 'expNonPositive' && (round + i) % 4 !== 0) v[i] = -Math.abs(v[i]!);
      }
      const got = kernels.elementary(name, v.subarray(0, n));
      for (let i = 0; i < n; i++) {
        if (Object.is(got[i], reference(v[i]!))) continue;
        if (off++ < 5) process.stdout.write(`${name}(${v[i]}): ${got[i]}, V8 ${reference(v[i]!)}\n`);
      }
      seen += n;
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    process.stdout.write(`float64 ${name}: ${seen} arguments, ${off} differ from V8's Math.${reference.name}, ${seconds} s\n`);
    differ += off;
  }
  return differ === 0 ? 0 : 1;
}

/** --fma: the two builds' SLEEF expf / logf / log1pf on every float32 bit pattern. */
function compareBuilds(): number {
  const plain = loadFloat32Kernels('plain');
  const fma = loadFloat32Kernels('fma');
  if (!plain || !fma) {
    process.stderr.write(
      `verify:wasm-math --fma: ${plain ? "relaxed SIMD's multiply-add is not fused here" : 'WebAssembly SIMD is not available'}\n`,
    );
    return 2;
  }
  const chunk = 1 << 20;
  const patterns = new Uint32Array(chunk);
  const values = new Float32Array(patterns.buffer);
  let differ = 0;
  const names: Elementary[] = (opts.fn?.split(',') as Elementary[] | undefined) ?? [
    'sleef-expf',
    'sleef-logf',
    'sleef-expf-pair',
    'sleef-logf-pair',
    'sleef-log1pf',
    'sleef-log1pf-bounded',
  ];
  for (const name of names) {
    const started = performance.now();
    let count = 0;
    for (let start = 0; start < 2 ** 32; start += chunk) {
      for (let i = 0; i < chunk; i++) patterns[i] = start + i;
      const a = new Uint32Array(plain.elementary(name, values).buffer);
      const b = new Uint32Array(fma.elementary(name, values).buffer);
      for (let i = 0; i < chunk; i++) {
        if (a[i] === b[i]) continue;
        if (count++ < 5)
          process.stdout.write(
            `${name}(bits 0x${patterns[i]!.toString(16)}): plain 0x${a[i]!.toString(16)}, fma 0x${b[i]!.toString(16)}\n`,
          );
      }
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    process.stdout.write(`${name}: 2^32 arguments, ${count} differ between the plain and the relaxed-SIMD build, ${seconds} s\n`);
    differ += count;
  }
  return differ === 0 ? 0 : 1;
}
const kernels = float32Kernels();
if (!kernels) {
  process.stderr.write('verify:wasm-math: WebAssembly SIMD is not available\n');
  process.exit(2);
}
const CHUNK = 1 << 20;
const bits = new Uint32Array(CHUNK);
const args = new Float32Array(bits.buffer);

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const bitsOf = (v: number) => {
  f32[0] = v;
  return u32[0]!;
};
/** The float32 spacing at |v|'s magnitude (the gap above it). */
function ulp(v: number): number {
  const b = bitsOf(Math.min(Math.abs(v), 3.4028234663852886e38));
  u32[0] = b + 1;
  const up = f32[0]!;
  u32[0] = b;
  return up - f32[0]!;
}

/** All float32 bit patterns from `from` to `to` (same sign), in order. */
function* ranges(from: number, to: number): Generator<[number, number]> {
  if (from < 0 && to > 0) {
    yield [bitsOf(-0) + 1, bitsOf(from)]; // negatives: bits grow with magnitude
    yield [0, bitsOf(to)];
  } else if (to <= 0) yield [bitsOf(to), bitsOf(from)];
  else yield [bitsOf(from), bitsOf(to)];
}

function check(name: Elementary, reference: (x: number) => number, from: number, to: number): boolean {
  let count = 0;
  let differ = 0;
  let worst = 0;
  let worstAt = 0;
  const started = performance.now();
  for (const [lo, hi] of ranges(from, to)) {
    for (let start = lo; start <= hi; start += CHUNK) {
      const n = Math.min(CHUNK, hi - start + 1);
      for (let i = 0; i < n; i++) bits[i] = start + i;
      const results = kernels!.elementary(name, args.subarray(0, n));
      for (let i = 0; i < n; i++) {
        const x = args[i]!;
        const got = results[i]!;
        const exact = reference(x);
        count++;
        if (got === Math.fround(exact) || (got !== got && exact !== exact)) continue;
        differ++;
        const error = Math.abs(got - exact) / ulp(exact);
        if (!(error <= worst)) [worst, worstAt] = [error, x];
      }
    }
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  process.stdout.write(
    `${name} on [${from}, ${to}]: ${count} arguments, ${differ} differ from V8's rounding, worst ${worst.toFixed(3)} ULP (at ${worstAt}), ${seconds} s\n`,
  );
  return worst < 1;
}

const from = opts.from === undefined ? undefined : Number(opts.from);
const to = opts.to === undefined ? undefined : Number(opts.to);
const MAX = 3.4028234663852886e38;
const FUNCTIONS: [name: Elementary, reference: (x: number) => number, from: number, to: number][] = [
  ['exp', Math.exp, -110, 100],
  ['log1p-unit', Math.log1p, 0, 1],
  ['log', Math.log, 0, MAX],
  ['log1p', Math.log1p, -1, MAX],
  ['log-ge1', Math.log, 1, MAX],
];
const wanted = opts.fn?.split(',');
let ok = true;
for (const [name, reference, lo, hi] of FUNCTIONS) {
  if (wanted && !wanted.includes(name)) continue;
  ok = check(name, reference, Math.max(lo, from ?? lo), Math.min(hi, to ?? hi)) && ok;
}
process.exit(ok ? 0 : 1);
