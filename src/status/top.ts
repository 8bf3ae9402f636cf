/**
 * Keeps the `limit` best items of a stream by `worse(a, b)` (true when `a`
 * ranks below `b`), best first, without sorting or copying the stream: an
 * item that ranks below the current last is dropped in O(1), so reading the
 * top 20 of 10,000 mostly healthy keys costs one comparison per key.
 */
export class Top<T> {
  readonly items: T[] = [];
  /** Items offered, kept or not. */
  seen = 0;

  constructor(
    private readonly limit: number,
    private readonly worse: (a: T, b: T) => boolean,
  ) {}

  offer(item: T): void {
    this.seen++;
    const items = this.items;
    if (items.length === this.limit) {
      if (!this.worse(items[items.length - 1]!, item)) return;
      items.pop();
    }
    let i = items.length;
    while (i > 0 && this.worse(items[i - 1]!, item)) i--;
    items.splice(i, 0, item);
  }

  /** Items offered but not kept. */
  get omitted(): number {
    return this.seen - this.items.length;
  }
}
