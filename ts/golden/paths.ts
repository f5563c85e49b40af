// Where the package's own files are (golden/, python/): found from this module's location by
// walking up to the package.json named torch-loss-parity, so the same code works from the sources
// (tsx, vitest), from the build (dist/) and from an installed copy under node_modules.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function packageRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'torch-loss-parity') return dir;
    if (dirname(dir) === dir) throw new Error(`torch-loss-parity: no package.json of torch-loss-parity above ${start}`);
  }
}

export const PACKAGE_ROOT = packageRoot();
export const GOLDEN_DIR = join(PACKAGE_ROOT, 'golden');
export const PYTHON_DIR = join(PACKAGE_ROOT, 'python');
