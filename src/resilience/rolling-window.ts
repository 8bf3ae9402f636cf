/**
 * Two counters (`total`, `marked`) over a sliding time window, kept in a
 * fixed ring of buckets with running sums. Every read and write first
 * expires the buckets that fell out of the window, so counts from before an
 * idle period never linger (cockatiel's SamplingBreaker rotates one bucket
 * per call, and stale buckets open the breaker after a pause). The cost of
 * each operation is bounded by the bucket count, a constant, never by the
 * number of calls or the window length.
 */
export class RollingWindow {
  private readonly totals: Float64Array;
  private readonly marks: Float64Array;
  private readonly bucketMs: number;
  private head = 0;
  private headStart = Number.NEGATIVE_INFINITY;
  /** Sum of `total` over the live buckets. */
  total = 0;
  /** Sum of `marked` over the live buckets. */
  marked = 0;

  constructor(windowMs: number, buckets = 10) {
    this.totals = new Float64Array(buckets);
    this.marks = new Float64Array(buckets);
    this.bucketMs = windowMs / buckets;
  }

  /** Adds to the current bucket after expiring stale ones. */
  add(nowMs: number, total: number, marked: number): void {
    this.advance(nowMs);
    this.totals[this.head]! += total;
    this.marks[this.head]! += marked;
    this.total += total;
    this.marked += marked;
  }

  /** Expires stale buckets so that `total` and `marked` describe the window ending now. */
  advance(nowMs: number): void {
    const elapsed = nowMs - this.headStart;
    if (elapsed < this.bucketMs) return;
    const steps = Math.floor(elapsed / this.bucketMs);
    if (steps >= this.totals.length) {
      this.reset();
      this.headStart = nowMs;
      return;
    }
    for (let i = 0; i < steps; i++) {
      this.head = (this.head + 1) % this.totals.length;
      this.total -= this.totals[this.head]!;
      this.marked -= this.marks[this.head]!;
      this.totals[this.head] = 0;
      this.marks[this.head] = 0;
    }
    this.headStart += steps * this.bucketMs;
  }

  /** Forgets every count. */
  reset(): void {
    this.totals.fill(0);
    this.marks.fill(0);
    this.total = 0;
    this.marked = 0;
  }
}
