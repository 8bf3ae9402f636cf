/** A node of a {@link LinkedList}; its holder keeps it to remove or move the value in O(1). */
export interface ListNode<T> {
  value: T;
  prev: ListNode<T> | undefined;
  next: ListNode<T> | undefined;
}

/**
 * A doubly linked list whose callers keep the nodes, so reading the first
 * value, removing a value and moving one to the back are all O(1). It stands
 * where an insertion-ordered Map would serve as an LRU list: a Map keeps its
 * deleted entries as holes at the front until it rehashes, so reading its
 * first entry while deleting at the front and adding at the back skipped
 * thousands of holes per call (two thirds of a full MemoryStore's time in a
 * CPU profile).
 */
export class LinkedList<T> {
  #head: ListNode<T> | undefined;
  #tail: ListNode<T> | undefined;
  #size = 0;

  /** How many values the list holds. */
  get size(): number {
    return this.#size;
  }

  /** The value at the front (the oldest pushed or moved), or `undefined` when empty. */
  first(): T | undefined {
    return this.#head?.value;
  }

  /** Appends `value`; keep the node to remove or move it later. */
  push(value: T): ListNode<T> {
    const node: ListNode<T> = { value, prev: undefined, next: undefined };
    this.#link(node);
    return node;
  }

  /** Appends a node taken out of another list (`remove`), so moving a value allocates nothing. */
  append(node: ListNode<T>): void {
    this.#link(node);
  }

  /** Unlinks `node`, which must be in this list. */
  remove(node: ListNode<T>): void {
    if (node.prev) node.prev.next = node.next;
    else this.#head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.#tail = node.prev;
    node.prev = undefined;
    node.next = undefined;
    this.#size -= 1;
  }

  /** Moves `node`, which must be in this list, to the back. */
  moveToBack(node: ListNode<T>): void {
    if (this.#tail === node) return;
    this.remove(node);
    this.#link(node);
  }

  #link(node: ListNode<T>): void {
    node.prev = this.#tail;
    if (this.#tail) this.#tail.next = node;
    else this.#head = node;
    this.#tail = node;
    this.#size += 1;
  }
}
