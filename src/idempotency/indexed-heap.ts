/** Something an {@link IndexedMaxHeap} can hold: it carries its own position (-1 when in none). */
export interface HeapItem {
  /** The item's index in the heap's array, kept by the heap; -1 when it is not in the heap. */
  heapIndex: number;
}

/**
 * A binary max-heap whose items know their own index, so a changed score is
 * re-sifted and an item removed in O(log n) without searching for it. An item
 * sits in at most one such heap. Scores are read live: call {@link update}
 * after an item's score changed.
 */
export class IndexedMaxHeap<T extends HeapItem> {
  readonly #items: T[] = [];
  readonly #score: (item: T) => number;

  constructor(score: (item: T) => number) {
    this.#score = score;
  }

  /** The item with the highest score, or `undefined` when empty. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** Adds `item`, or re-sifts it when it is already in the heap. */
  upsert(item: T): void {
    if (item.heapIndex >= 0) {
      this.#siftDown(this.#siftUp(item.heapIndex));
      return;
    }
    item.heapIndex = this.#items.length;
    this.#items.push(item);
    this.#siftUp(item.heapIndex);
  }

  /** Removes `item` if it is in the heap. */
  remove(item: T): void {
    const index = item.heapIndex;
    if (index < 0) return;
    item.heapIndex = -1;
    const last = this.#items.pop() as T;
    if (index === this.#items.length) return; // it was the last one
    this.#items[index] = last;
    last.heapIndex = index;
    this.#siftDown(this.#siftUp(index));
  }

  #siftUp(start: number): number {
    let index = start;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.#above(index, parent)) break;
      this.#swap(index, parent);
      index = parent;
    }
    return index;
  }

  #siftDown(start: number): void {
    let index = start;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let top = index;
      if (left < this.#items.length && this.#above(left, top)) top = left;
      if (right < this.#items.length && this.#above(right, top)) top = right;
      if (top === index) return;
      this.#swap(index, top);
      index = top;
    }
  }

  #above(a: number, b: number): boolean {
    return this.#score(this.#items[a] as T) > this.#score(this.#items[b] as T);
  }

  #swap(a: number, b: number): void {
    const items = this.#items;
    const itemA = items[a] as T;
    const itemB = items[b] as T;
    items[a] = itemB;
    items[b] = itemA;
    itemA.heapIndex = b;
    itemB.heapIndex = a;
  }
}
