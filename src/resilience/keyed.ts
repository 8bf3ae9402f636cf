/**
 * A map of per-key state (a breaker per host, a bulkhead per tenant) that
 * keeps at most `maxKeys` live keys and evicts the least recently used one,
 * so memory never grows with the number of hosts or tenants. A Map keeps
 * insertion order, so moving a key to the back on use makes its first key the
 * least recently used. Calls in flight keep their own reference to an evicted
 * entry and finish on it; the next call for that key starts fresh.
 */
export class KeyedRegistry<T> {
  private readonly entries = new Map<string, T>();
  // The last key used is already the most recent: skip the Map reorder for it.
  private lastKey: string | undefined;
  private lastEntry: T | undefined;

  constructor(
    private readonly maxKeys: number,
    private readonly create: (key: string) => T,
  ) {}

  /** The entry for `key`, created on first use; marks it most recently used. */
  get(key: string): T {
    if (key === this.lastKey) return this.lastEntry as T;
    const entries = this.entries;
    let entry = entries.get(key);
    if (entry !== undefined) {
      entries.delete(key);
    } else {
      entry = this.create(key);
      if (entries.size >= this.maxKeys) {
        const oldest = entries.keys().next();
        if (oldest.done !== true) entries.delete(oldest.value);
      }
    }
    entries.set(key, entry);
    this.lastKey = key;
    this.lastEntry = entry;
    return entry;
  }

  /** The entry for `key` if live, without creating it or changing its recency. */
  peek(key: string): T | undefined {
    return this.entries.get(key);
  }

  /** The live keys and entries, least recently used first. */
  entriesView(): IterableIterator<[string, T]> {
    return this.entries.entries();
  }

  /** How many keys are live. */
  get size(): number {
    return this.entries.size;
  }
}
