/** A tiny concurrency limiter for the workload. */

/**
 * Runs `fn` over `items`, at most `size` at a time.
 * @template T
 * @param {T[]} items
 * @param {number} size
 * @param {(item: T, index: number) => Promise<void>} fn
 */
export async function inPool(items, size, fn) {
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const index = next;
      next += 1;
      await fn(/** @type {T} */ (items[index]), index);
    }
  }
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
}
