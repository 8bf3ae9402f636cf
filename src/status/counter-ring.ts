/**
 * The recent history of a few cumulative counters, as one value per interval:
 * each `sample()` stores how much every counter grew since the previous one,
 * in a fixed ring, so memory is `counters × points` numbers whatever the
 * traffic. `series()` adds the interval in progress as a last, partial point.
 */
export class CounterRing {
  private readonly rings: Float64Array[];
  private readonly last: number[];
  private head = 0;
  private filled = 0;

  /** `initial`: the counters' values now (what the first interval grows from). */
  constructor(
    private readonly points: number,
    initial: readonly number[],
  ) {
    this.rings = initial.map(() => new Float64Array(points));
    this.last = [...initial];
  }

  /** Closes an interval: stores each counter's growth since the previous sample. */
  sample(values: readonly number[]): void {
    for (let i = 0; i < this.rings.length; i++) {
      this.rings[i]![this.head] = Math.max(0, (values[i] ?? 0) - this.last[i]!);
      this.last[i] = values[i] ?? 0;
    }
    this.head = (this.head + 1) % this.points;
    this.filled = Math.min(this.filled + 1, this.points);
  }

  /**
   * Per counter, the closed intervals oldest first, then the interval in
   * progress (`values` now minus the last sample): at most `points` values,
   * the oldest closed one dropped to make room.
   */
  series(values: readonly number[]): number[][] {
    const closed = Math.min(this.filled, this.points - 1);
    return this.rings.map((ring, i) => {
      const out: number[] = [];
      for (let k = closed; k >= 1; k--)
        out.push(ring[(this.head - k + this.points) % this.points]!);
      out.push(Math.max(0, (values[i] ?? 0) - this.last[i]!));
      return out;
    });
  }
}
