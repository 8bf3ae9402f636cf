/**
 * The links a value of a {@link LinkedList} carries itself: one pair per
 * order it can be in, so a value is its own node in each.
 */
export interface Links<T> {
  /** Neighbours in the expiry order (`order: 'expiry'`). */
  older: T | undefined;
  newer: T | undefined;
  /** Neighbours in the use order (`order: 'use'`). */
  lessRecent: T | undefined;
  moreRecent: T | undefined;
}

/**
 * A doubly linked list whose values are their own nodes (they carry the
 * {@link Links} of the `order` the list keeps), so reading the first value,
 * removing a value and moving one to the back are all O(1), and holding a
 * value in two orders allocates nothing. A MemoryStore keeps every record in
 * an expiry order and every completed one in its tenant's use order: a node
 * object per record per order was two more objects for the collector to
 * promote and trace per stored response (the http-server benchmark).
 *
 * It stands where an insertion-ordered Map would serve as an LRU list: a Map
 * keeps its deleted entries as holes at the front until it rehashes, so
 * reading its first entry while deleting at the front and adding at the back
 * skipped thousands of holes per call (two thirds of a full MemoryStore's time
 * in a CPU profile).
 *
 * A value sits in at most one list of each order, and the caller knows which:
 * `remove` and `moveToBack` trust that `value` is in this list.
 */
export class LinkedList<T extends Links<T>> {
  readonly #expiry: boolean;
  #head: T | undefined;
  #tail: T | undefined;
  #size = 0;

  /** `order` names the links this list uses: `older`/`newer`, or `lessRecent`/`moreRecent`. */
  constructor(order: 'expiry' | 'use') {
    this.#expiry = order === 'expiry';
  }

  /** How many values the list holds. */
  get size(): number {
    return this.#size;
  }

  /** The value at the front (the oldest pushed or moved), or `undefined` when empty. */
  first(): T | undefined {
    return this.#head;
  }

  /** Appends `value`, which must be in no list of this order. */
  push(value: T): void {
    const tail = this.#tail;
    this.#setLinks(value, tail, undefined);
    if (tail === undefined) this.#head = value;
    else this.#setNext(tail, value);
    this.#tail = value;
    this.#size += 1;
  }

  /** Unlinks `value`, which must be in this list. */
  remove(value: T): void {
    const prev = this.#expiry ? value.older : value.lessRecent;
    const next = this.#expiry ? value.newer : value.moreRecent;
    if (prev === undefined) this.#head = next;
    else this.#setNext(prev, next);
    if (next === undefined) this.#tail = prev;
    else this.#setPrev(next, prev);
    this.#setLinks(value, undefined, undefined);
    this.#size -= 1;
  }

  /** Moves `value`, which must be in this list, to the back. */
  moveToBack(value: T): void {
    if (this.#tail === value) return;
    this.remove(value);
    this.push(value);
  }

  #setLinks(value: T, prev: T | undefined, next: T | undefined): void {
    if (this.#expiry) {
      value.older = prev;
      value.newer = next;
    } else {
      value.lessRecent = prev;
      value.moreRecent = next;
    }
  }

  #setNext(value: T, next: T | undefined): void {
    if (this.#expiry) value.newer = next;
    else value.moreRecent = next;
  }

  #setPrev(value: T, prev: T | undefined): void {
    if (this.#expiry) value.older = prev;
    else value.lessRecent = prev;
  }
}
