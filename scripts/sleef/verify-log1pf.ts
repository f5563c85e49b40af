// npx tsx scripts/sleef/verify-log1pf.ts [js|plain|fma] START END STEP | /tmp/log1pf-ref START END STEP OLD.so NEW.so
//
// Writes, for every float32 bit pattern u = START, START + STEP, ... < END, the port's SLEEF log1pf
// before 3.8 and from 3.8 as two float32 values to stdout, for scripts/sleef/log1pf-ref.c to compare
// with two libsleef builds: `js` ts/libm.ts sleefLog1pf, `plain` / `fma` the WebAssembly kernels'
// builds (ts/wasm/assembly/kernels.ts sleefLog1p32). 2026-12-02: 0 differences with Debian's 3.6.1 and
// 3.9.0 (from the chroots' apt caches: dpkg-deb -x libsleef3_*.deb) on all 2^32 arguments for both
// builds (about 2.5 minutes each), and for js on [0, 1] (0 0x3f800001 1), [-1, -0.125]
// (0xbe000000 0xbf800001 1) and every 31st pattern.

import { sleefLog1pfBounded, sleefLog1pfOverflowing } from '../../ts/libm.ts';
import { loadFloat32Kernels } from '../../ts/wasm/float32-kernels.ts';

const [source = 'js', ...range] = process.argv.slice(2);
const [start = 0, end = 2 ** 32, step = 1] = range.map(Number);
const chunk = 1 << 16;
const out = new Float32Array(2 * chunk);
const write = async (count: number) => {
  if (!process.stdout.write(Buffer.from(out.buffer, 0, count * 8))) await new Promise((r) => process.stdout.once('drain', r));
};
if (source === 'js') {
  const u32 = new Uint32Array(1);
  const f32 = new Float32Array(u32.buffer);
  let n = 0;
  for (let u = start; u < end; u += step) {
    u32[0] = u;
    out[2 * n] = sleefLog1pfOverflowing(f32[0]!);
    out[2 * n + 1] = sleefLog1pfBounded(f32[0]!);
    if (++n === chunk) {
      await write(n);
      n = 0;
    }
  }
  await write(n);
} else {
  const kernels = loadFloat32Kernels(source as 'plain' | 'fma');
  if (!kernels) throw new Error(`verify-log1pf: the ${source} build does not load here`);
  const bits = new Uint32Array(chunk);
  const values = new Float32Array(bits.buffer);
  for (let u = start; u < end; u += chunk * step) {
    let n = 0;
    for (; n < chunk && u + n * step < end; n++) bits[n] = u + n * step;
    const before = kernels.elementary('sleef-log1pf', values);
    const from38 = kernels.elementary('sleef-log1pf-bounded', values);
    for (let i = 0; i < n; i++) {
      out[2 * i] = before[i]!;
      out[2 * i + 1] = from38[i]!;
    }
    await write(n);
  }
}
