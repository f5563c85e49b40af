// The browser consumer (bundled by esbuild, run in headless Chromium): the classic values with the
// float32 WebAssembly kernels (the default) and with the JS loops they replace.
import { useFloat32Kernels } from 'torch-loss-parity';
import { classicValues } from './classic.mjs';

const kernels = classicValues();
useFloat32Kernels(false);
const loops = classicValues();
globalThis.classic = { kernels, loops };
