// The warnings torch's Python code emits (functional.py's size-mismatch UserWarning, kl_div's
// 'mean' warning, _Reduction's 'elementwise_mean' deprecation), as Node process warnings where
// there is a process. As Python's default warning filter does, each distinct message is shown once
// per process: a training loop does not print one per call.

/** Python's warning category, as the Node warning's type. */
export type WarningCategory = 'UserWarning' | 'DeprecationWarning';

// Distinct messages shown so far (bounded: a message names shapes, and shapes vary).
const shown = new Set<string>();
const SHOWN_MAX = 1024;
let sink: string[] | null = null;

/** Emits a torch warning: once per distinct message, or into the capture of captureWarnings. */
export function warn(message: string, category: WarningCategory): void {
  if (sink) {
    sink.push(message);
    return;
  }
  if (shown.has(message)) return;
  if (shown.size >= SHOWN_MAX) shown.clear();
  shown.add(message);
  globalThis.process?.emitWarning?.(message, category);
}

/**
 * Runs fn with every warning recorded instead of shown, as Python's
 * `warnings.catch_warnings(record=True)` with `simplefilter("always")`, which is how the golden
 * generator records torch's: what the golden checks compare, case by case.
 */
export function captureWarnings<T>(fn: () => T): { result: T; warnings: string[] } {
  const outer = sink;
  const warnings: string[] = [];
  sink = warnings;
  try {
    return { result: fn(), warnings };
  } finally {
    sink = outer;
  }
}
