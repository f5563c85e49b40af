"""SLEEF's double exp (xexp, u10) and log (xlog_u1) of random and edge doubles, recorded from the host's libsleef
(Debian's libsleef3, installed with python3-torch), for test/wasm-float64.test.ts: the float64
kernels' sleefExp64 (ts/wasm/assembly/float64.ts) must give these bits.

    python3 python/sleef_exp64_fixture.py > test/fixtures/sleef-exp64.json

- "fma": Sleef_expd1_u10purecfma, SLEEF's FMA form (ENABLE_FMA_DP), whose bits are
  Sleef_expd4_u10avx2's and Sleef_expd8_u10avx512f's (torch's Vectorized<double>::exp under avx2 /
  avx512; checked equal over 1.6 million doubles, and to torch 1.13's float64 exp): the relaxed-SIMD build.
- "plain": Sleef_expd1_u10purec, the form for hardware without FMA (Sleef_expd2_u10sse2's bits):
  the plain build.
- "log_fma": Sleef_logd1_u10purecfma (Sleef_logd4_u10avx2's, Sleef_logd8_u10avx512f's and torch's
  bits, checked the same way): the relaxed-SIMD build's sleefLog64 (the plain build keeps fdlibm's log).
- "log1p_fma": Sleef_log1pd1_u10purecfma (= Sleef_log1pd4_u10avx2, torch's) of arguments up to 1e307.
Values as the 16 hex digits of their IEEE bits (NaNs too).
"""
import ctypes
import ctypes.util
import json
import math
import random
import struct
import subprocess

N_RANDOM = 1500


def bits(v):
    return struct.pack(">d", v).hex()


def inputs():
    rng = random.Random(6417)
    xs = [0.0, -0.0, math.inf, -math.inf, math.nan, 1.0, -1.0, 5e-324, -5e-324, 2.0 ** -28, -(2.0 ** -28), 2.0 ** -54]
    # SLEEF's limits (inf above 709.78271114955742909217217426, +0 below -1000), the fast path's
    # [-708, 709], fdlibm's overflow / underflow thresholds, subnormal results
    for edge in [709.78271114955742909217217426, 709.782712893384, -1000.0, -708.0, 709.0, -745.1332191019411, -744.44, -720.5, -1022 * math.log(2)]:
        xs += [edge, math.nextafter(edge, math.inf), math.nextafter(edge, -math.inf)]
    # rint(d / ln2)'s half-way points
    for k in range(-1080, 1030, 37):
        v = (k + 0.5) * math.log(2)
        xs += [v, math.nextafter(v, math.inf), math.nextafter(v, -math.inf)]
    for i in range(N_RANDOM):
        u = i % 5
        if u == 0:
            xs.append(rng.uniform(-750, 720))
        elif u == 1:
            xs.append(rng.uniform(-1, 1))
        elif u == 2:
            xs.append(rng.uniform(-40, 0))
        elif u == 3:
            xs.append(rng.uniform(-1100, -700))
        else:
            xs.append(struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0])
    return xs


def log_inputs():
    rng = random.Random(6418)
    xs = [0.0, -0.0, math.inf, -math.inf, math.nan, 1.0, -1.0, 5e-324, 2.2250738585072014e-308, 0.75, 1.5, 0.5, 2.0, 1.7976931348623157e308]
    xs += [math.nextafter(v, d) for v in [1.0, 0.75, 1.5, 2.2250738585072014e-308] for d in (math.inf, 0.0)]
    for i in range(N_RANDOM):
        u = i % 4
        if u == 0:
            xs.append(math.exp(rng.uniform(-745, 709.7)))
        elif u == 1:
            xs.append(rng.uniform(0.5, 2))
        elif u == 2:
            xs.append(struct.unpack("<d", rng.getrandbits(52).to_bytes(8, "little"))[0])  # subnormal
        else:
            xs.append(struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0])
    return xs


def log1p_inputs():
    """log1p's arguments up to 1e307 (above it SLEEF < 3.8 returns inf: the kernels' LOG1P_OVERFLOWS select)."""
    rng = random.Random(6419)
    xs = [0.0, -0.0, math.inf, -math.inf, math.nan, -1.0, -2.0, 1e307, 5e-324, -5e-324, -0.5, 1.0, math.nextafter(-1.0, 0.0)]
    for i in range(N_RANDOM):
        u = i % 4
        if u == 0:
            xs.append(math.exp(rng.uniform(-745, 706)))
        elif u == 1:
            xs.append(-math.exp(rng.uniform(-745, 0)))
        elif u == 2:
            xs.append(rng.uniform(-1, 3))
        else:
            v = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
            xs.append(v if not v > 1e307 else v / 1e10)
    return xs


def main():
    lib = ctypes.CDLL(ctypes.util.find_library("sleef") or "libsleef.so.3")
    fns = {}
    for name, symbol in [("fma", "Sleef_expd1_u10purecfma"), ("plain", "Sleef_expd1_u10purec")]:
        f = getattr(lib, symbol)
        f.restype = ctypes.c_double
        f.argtypes = [ctypes.c_double]
        fns[name] = f
    xs = inputs()
    try:
        version = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "libsleef3"], capture_output=True, text=True).stdout
    except OSError:
        version = ""
    out = {"source": f"libsleef3 {version or '?'}: Sleef_expd1_u10purecfma (fma), Sleef_expd1_u10purec (plain), Sleef_logd1_u10purecfma (log_fma), Sleef_log1pd1_u10purecfma (log1p_fma)",
           "x": [bits(v) for v in xs]}
    for name, f in fns.items():
        out[name] = [bits(f(v)) for v in xs]
    log = lib.Sleef_logd1_u10purecfma
    log.restype = ctypes.c_double
    log.argtypes = [ctypes.c_double]
    ys = log_inputs()
    out["log_x"] = [bits(v) for v in ys]
    out["log_fma"] = [bits(log(v)) for v in ys]
    log1p = lib.Sleef_log1pd1_u10purecfma
    log1p.restype = ctypes.c_double
    log1p.argtypes = [ctypes.c_double]
    zs = log1p_inputs()
    out["log1p_x"] = [bits(v) for v in zs]
    out["log1p_fma"] = [bits(log1p(v)) for v in zs]
    print(json.dumps(out, indent=0))


if __name__ == "__main__":
    main()
