// The reference half of `npx tsx scripts/sleef/verify-log1pf.ts`: reads, for every float32 bit
// pattern u = start, start + step, ... < end, two float32 results from stdin (the port's SLEEF
// log1pf before 3.8 and from 3.8) and compares them with Sleef_finz_log1pf1_u10purecfma (the FMA
// scalar build: equal to Sleef_log1pf8_u10avx2 and log1pf16_u10avx512f on all 2^32 arguments) of
// two libsleef builds given by path: one before 3.8 (Debian's 3.6.1, torch 2.6's) and one from 3.8
// (Debian's 3.9.0, torch 2.14's). Any NaN matches any NaN. Exits 1 at a difference.
// Build: gcc -O2 -o /tmp/log1pf-ref scripts/sleef/log1pf-ref.c -ldl
// Run:   /tmp/log1pf-ref START END STEP OLD_LIBSLEEF.so NEW_LIBSLEEF.so < results
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef float (*f1)(float);
static float fb(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t bf(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

static f1 load(const char *path) {
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  f1 f = h ? (f1)dlsym(h, "Sleef_finz_log1pf1_u10purecfma") : 0;
  if (!f) { fprintf(stderr, "%s: %s\n", path, dlerror()); exit(2); }
  return f;
}

int main(int argc, char **argv) {
  if (argc != 6) { fprintf(stderr, "usage: %s START END STEP OLD.so NEW.so < results\n", argv[0]); return 2; }
  uint64_t start = strtoull(argv[1], 0, 0), end = strtoull(argv[2], 0, 0), step = strtoull(argv[3], 0, 0);
  f1 lib[2] = {load(argv[4]), load(argv[5])};
  static float buf[2 * 65536];
  uint64_t n = 0, bad[2] = {0, 0};
  int shown = 0;
  for (uint64_t u = start; u < end;) {
    size_t want = 0;
    for (uint64_t v = u; v < end && want < 65536; v += step) want++;
    if (fread(buf, 8, want, stdin) != want) { fprintf(stderr, "short read at 0x%llx\n", (unsigned long long)u); return 2; }
    for (size_t i = 0; i < want; i++, u += step, n++) {
      float x = fb((uint32_t)u);
      for (int k = 0; k < 2; k++) {
        float want1 = lib[k](x), got = buf[2 * i + k];
        if ((want1 != want1 && got != got) || bf(want1) == bf(got)) continue;
        bad[k]++;
        if (shown++ < 20) printf("%s 0x%08x (%.9g): port 0x%08x, libsleef 0x%08x\n", k ? "from 3.8" : "before 3.8", (uint32_t)u, x, bf(got), bf(want1));
      }
    }
  }
  printf("%llu arguments: %llu differ from %s, %llu from %s\n", (unsigned long long)n, (unsigned long long)bad[0], argv[4], (unsigned long long)bad[1], argv[5]);
  return bad[0] || bad[1];
}
