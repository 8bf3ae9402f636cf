/**
 * A FIFO of waiters as a doubly linked list: push, shift and removal of any
 * waiter are O(1), so an aborted or timed-out waiter leaves at once instead
 * of blocking the queue until its turn (cockatiel's starvation bug, #112).
 */

/** One waiting call; `grant()` hands it a slot. */
export interface Waiter {
  readonly grant: () => void;
  prev: Waiter | undefined;
  next: Waiter | undefined;
  queued: boolean;
}

/** See the file comment. */
export class WaitQueue {
  private head: Waiter | undefined;
  private tail: Waiter | undefined;
  length = 0;

  /** Appends a waiter and returns it (keep it to remove it later). */
  push(grant: () => void): Waiter {
    const waiter: Waiter = { grant, prev: this.tail, next: undefined, queued: true };
    if (this.tail === undefined) this.head = waiter;
    else this.tail.next = waiter;
    this.tail = waiter;
    this.length++;
    return waiter;
  }

  /** Removes and returns the first waiter. */
  shift(): Waiter | undefined {
    const waiter = this.head;
    if (waiter !== undefined) this.remove(waiter);
    return waiter;
  }

  /** Removes `waiter`; a no-op when it already left. */
  remove(waiter: Waiter): void {
    if (!waiter.queued) return;
    waiter.queued = false;
    if (waiter.prev === undefined) this.head = waiter.next;
    else waiter.prev.next = waiter.next;
    if (waiter.next === undefined) this.tail = waiter.prev;
    else waiter.next.prev = waiter.prev;
    waiter.prev = undefined;
    waiter.next = undefined;
    this.length--;
  }
}
