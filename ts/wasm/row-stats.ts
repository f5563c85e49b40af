// The last cross_entropy forward's per-row statistics, for its backward (issue 17).
//
// torch's cross_entropy backward (class indices) is log_softmax_backward of nll_loss's gradient,
// and ATen's log_softmax_backward takes the forward's saved output (autograd keeps
// log_softmax(x)): one exp pass. The ports' backward takes the input, not the forward's output, so
// it would recompute each row's max and log-sum (a max pass and an exp pass) before its own exp
// pass. The float32 and float64 kernels' forward (logSoftmaxRowsPickedSaving /
// logSoftmaxRowsPickedSaving64) instead writes, per row, what the backward reads of it (max, min,
// log-sum; the float64 one max and log-sum) and a 64-bit fingerprint of the row's bits; they land
// here, and a backward on the same array, shape and kernel mode hands them to
// logSoftmaxNllBackwardRowsSaved(64), which takes a row's saved values only where the row's
// fingerprint is unchanged (a row changed in place is recomputed, as before). So the results are
// those of recomputing every row, bit for bit.
//
// One slot per kernel instance (so per build), the array held weakly; its buffer grows and is
// reused (no allocation per call once grown). A forward whose rows would need more than
// MAX_STATS_BYTES saves nothing (the backward then recomputes every row).
//
// Saving costs the forward a fingerprint pass (about 1.17x the float32 forward's time, 1.11x the
// float64 one's: docs/performance.md, 2026-12-03 third session), which only a backward pays back. So a forward saves
// only while backwards are asking: once a forward finds that what the one before it saved was never
// looked up (a caller that runs forwards only, as in evaluation), the forwards stop saving until a
// backward looks again (the next forward after it saves).

/** Bytes of statistics per row in both kernels' layouts (the modules' STATS_BYTES, STATS_BYTES64). */
export const STATS_BYTES = 32;
/** Int32 words per row. */
export const STATS_WORDS = STATS_BYTES / 4;
/** The most the slot keeps: 16 MiB, 512Ki rows. */
export const MAX_STATS_BYTES = 16 * 1024 * 1024;

export class RowStatsCache {
  private ref: WeakRef<object> | null = null;
  private rows = -1;
  private dim = -1;
  private key = -1;
  private buffer = new Int32Array(0);
  /** Whether forwards save: a backward has looked since the last statistics saved went unread. */
  private wanted = true;
  /** The slot holds statistics no backward has looked for since they were saved. */
  private unread = false;

  /**
   * Forgets what the slot holds and returns a buffer for `rows` rows of statistics (STATS_WORDS
   * words each) for a forward to fill, or null where that is more than MAX_STATS_BYTES or forwards
   * are not saving (no backward looked for the last ones saved).
   */
  begin(rows: number): Int32Array | null {
    this.rows = -1;
    if (this.unread) this.wanted = false;
    this.unread = false;
    if (!this.wanted || rows * STATS_BYTES > MAX_STATS_BYTES) return null;
    if (this.buffer.length < rows * STATS_WORDS) this.buffer = new Int32Array(rows * STATS_WORDS);
    return this.buffer;
  }

  /** The buffer begin returned now holds the statistics of array x's `rows` rows of `dim`, under kernel mode `key`. */
  commit(x: object, rows: number, dim: number, key: number): void {
    if (this.ref === null || this.ref.deref() !== x) this.ref = new WeakRef(x);
    this.rows = rows;
    this.dim = dim;
    this.key = key;
    this.unread = true;
  }

  /** The statistics of x's rows (STATS_WORDS words each) saved under the same shape and mode, or null. A backward asking makes the next forward save. */
  lookup(x: object, rows: number, dim: number, key: number): Int32Array | null {
    this.wanted = true;
    this.unread = false;
    if (this.rows !== rows || this.dim !== dim || this.key !== key || this.ref === null || this.ref.deref() !== x) return null;
    return this.buffer;
  }

  /** Forgets what the slot holds. */
  clear(): void {
    this.rows = -1;
    this.unread = false;
  }
}
