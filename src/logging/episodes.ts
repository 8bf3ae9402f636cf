/**
 * Turns an event that can repeat on every call (a bulkhead rejecting, a
 * retry budget spent) into two transitions: the first occurrence starts an
 * episode, and `quietMs` without one ends it, reporting how many there were.
 * So a storm of 1,000 rejections logs two lines, not 1,000. Each hit is O(1)
 * (a Map look-up and a timer refresh); the number of open episodes is
 * bounded, the oldest ending early beyond it. Timers are unref'd.
 */
export class Episodes<T> {
  private readonly open = new Map<string, { count: number; timer: NodeJS.Timeout; about: T }>();

  constructor(
    private readonly quietMs: number,
    private readonly maxOpen: number,
    private readonly onEnd: (about: T, count: number) => void,
  ) {}

  /** Counts one occurrence of `id` (`about` says what it concerns); true when it starts an episode. */
  hit(id: string, about: T): boolean {
    const episode = this.open.get(id);
    if (episode !== undefined) {
      episode.count++;
      episode.timer.refresh();
      return false;
    }
    if (this.open.size >= this.maxOpen) {
      const oldest = this.open.keys().next();
      if (oldest.done !== true) this.end(oldest.value);
    }
    const timer = setTimeout(() => this.end(id), this.quietMs);
    timer.unref();
    this.open.set(id, { count: 1, timer, about });
    return true;
  }

  /** True while `id` has an open episode. */
  has(id: string): boolean {
    return this.open.has(id);
  }

  /** Ends every open episode now, without reporting them. */
  clear(): void {
    for (const { timer } of this.open.values()) clearTimeout(timer);
    this.open.clear();
  }

  private end(id: string): void {
    const episode = this.open.get(id);
    if (episode === undefined) return;
    clearTimeout(episode.timer);
    this.open.delete(id);
    this.onEnd(episode.about, episode.count);
  }
}
