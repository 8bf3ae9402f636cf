/** What a {@link KeyedRegistry} asks of its entries. */
export interface KeyedEntry {
  /**
   * True while the entry holds state that forgetting would reset: calls
   * running or queued, an open or half-open circuit, retries spent in the
   * window. A live entry is never evicted.
   */
  isLive(): boolean;
}

/**
 * A map of per-key state (a breaker per host, a bulkhead per tenant) that
 * keeps at most `maxKeys` keys, so memory never grows with the number of
 * hosts or tenants. A new key takes the slot of the least recently used
 * entry that is not live; when every entry is live, the new key gets no
 * entry at all and the caller refuses its call. Evicting a live entry would
 * let a flood of other keys reset the victim's limits (a bulkhead forgetting
 * its running calls, a breaker its open circuit), so the policy fails safe
 * instead.
 *
 * Calls with no key (the key `''`) share one entry held beside the keyed
 * ones, in {@link KeyedRegistry.unkeyed}: it is never evicted and does not
 * count against `maxKeys`, so keyed traffic can never refuse the pipeline's
 * unkeyed calls, and a layer finds it with a field read (a pipeline's default
 * calls then run no code of this file: test/resilience/walk.test.ts).
 *
 * A Map keeps insertion order, so moving a key to the back on use makes its
 * first key the least recently used. Making room walks from that end and
 * stops at the first idle entry: O(1) unless live entries pile up at that end,
 * O(maxKeys) when every slot is live (the MemoryStore's trade-off too).
 */
export class KeyedRegistry<T extends KeyedEntry> {
  private readonly entries = new Map<string, T>();
  /** The entry of the calls with no key, once one came; read directly by the layers. */
  unkeyed: T | undefined;
  // The last key used is already the most recent: skip the Map reorder for it.
  private lastKey: string | undefined;
  private lastEntry: T | undefined;

  constructor(
    /** The most keys held at once. */
    readonly maxKeys: number,
    private readonly create: (key: string) => T,
  ) {}

  /**
   * The entry for `key`, created on first use, and marked most recently used;
   * `undefined` when `key` is new and every one of the `maxKeys` slots is live.
   */
  get(key: string): T | undefined {
    if (key === '') {
      this.unkeyed ??= this.create('');
      return this.unkeyed;
    }
    if (key === this.lastKey) return this.lastEntry;
    const entries = this.entries;
    let entry = entries.get(key);
    if (entry !== undefined) {
      entries.delete(key);
    } else {
      if (entries.size >= this.maxKeys && !this.evictIdle()) return undefined;
      entry = this.create(key);
    }
    entries.set(key, entry);
    this.lastKey = key;
    this.lastEntry = entry;
    return entry;
  }

  /** The entry for `key` if held, without creating it or changing its recency. */
  peek(key: string): T | undefined {
    return key === '' ? this.unkeyed : this.entries.get(key);
  }

  /**
   * The held keys and entries, least recently used first; the unkeyed one
   * (`''`), whose recency is not tracked, last, as the one most likely in use.
   */
  *entriesView(): IterableIterator<[string, T]> {
    yield* this.entries.entries();
    if (this.unkeyed !== undefined) yield ['', this.unkeyed];
  }

  /** How many entries are held, the unkeyed one included. */
  get size(): number {
    return this.entries.size + (this.unkeyed === undefined ? 0 : 1);
  }

  /** Drops the least recently used entry that is not live; false when every entry is live. */
  private evictIdle(): boolean {
    for (const [key, entry] of this.entries) {
      if (entry.isLive()) continue;
      this.entries.delete(key);
      if (key === this.lastKey) {
        this.lastKey = undefined;
        this.lastEntry = undefined;
      }
      return true;
    }
    return false;
  }
}
