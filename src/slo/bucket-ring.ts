/** Good and total event counts over a span of time. */
export interface EventCounts {
  /** Events that met the SLI. */
  readonly good: number;
  /** All events counted. */
  readonly total: number;
}

/**
 * Good/total counts in fixed time buckets held in a ring: memory is fixed at
 * construction (three typed arrays of `size` slots) whatever the traffic.
 * Each slot remembers which bucket it holds, so a slot left over from an
 * earlier lap reads as empty without any sweeping.
 *
 * It also keeps running totals over the newest `trackedBuckets` buckets, so the
 * SLO window can be read in O(1) on every request (for `budgetExhausted`)
 * instead of summing thousands of buckets.
 *
 * Time only moves forward: an event stamped before the newest bucket seen (a
 * clock stepped back) is counted in the newest bucket.
 */
export class BucketRing {
  readonly #bucketMs: number;
  readonly #size: number;
  readonly #tracked: number;
  readonly #held: Float64Array;
  readonly #good: Float64Array;
  readonly #total: Float64Array;
  #head = Number.NEGATIVE_INFINITY;
  #trackedGood = 0;
  #trackedTotal = 0;

  constructor(bucketMs: number, size: number, trackedBuckets = size) {
    this.#bucketMs = bucketMs;
    this.#size = size;
    this.#tracked = Math.min(trackedBuckets, size);
    this.#held = new Float64Array(size).fill(-1);
    this.#good = new Float64Array(size);
    this.#total = new Float64Array(size);
  }

  /** Bytes held by the ring's arrays: fixed at construction. */
  get byteLength(): number {
    return this.#held.byteLength + this.#good.byteLength + this.#total.byteLength;
  }

  /** Counts one event at `atMs`. */
  add(atMs: number, good: boolean): void {
    const index = this.#advance(atMs);
    const slot = index % this.#size;
    if (this.#held[slot] !== index) {
      this.#held[slot] = index;
      this.#good[slot] = 0;
      this.#total[slot] = 0;
    }
    this.#total[slot]! += 1;
    this.#trackedTotal += 1;
    if (good) {
      this.#good[slot]! += 1;
      this.#trackedGood += 1;
    }
  }

  /** Counts over the newest `trackedBuckets` buckets as of `atMs`, in O(1) amortised. */
  tracked(atMs: number): EventCounts {
    this.#advance(atMs);
    return { good: this.#trackedGood, total: this.#trackedTotal };
  }

  /** Counts over the `buckets` buckets ending with the one holding `atMs`, in O(buckets). */
  sum(atMs: number, buckets: number): EventCounts {
    const newest = this.#advance(atMs);
    let good = 0;
    let total = 0;
    for (let index = newest; index > newest - Math.min(buckets, this.#size); index--) {
      if (index < 0) break;
      const slot = index % this.#size;
      if (this.#held[slot] !== index) continue;
      good += this.#good[slot]!;
      total += this.#total[slot]!;
    }
    return { good, total };
  }

  /** Moves the head to the bucket of `atMs` (never back) and drops what leaves the tracked span. */
  #advance(atMs: number): number {
    const index = Math.max(0, Math.floor(atMs / this.#bucketMs));
    if (index <= this.#head) return this.#head;
    if (index - this.#head >= this.#tracked) {
      this.#trackedGood = 0;
      this.#trackedTotal = 0;
    } else {
      for (let gone = this.#head - this.#tracked + 1; gone <= index - this.#tracked; gone++) {
        const slot = gone % this.#size;
        if (gone < 0 || this.#held[slot] !== gone) continue;
        this.#trackedGood -= this.#good[slot]!;
        this.#trackedTotal -= this.#total[slot]!;
      }
    }
    this.#head = index;
    return index;
  }
}
