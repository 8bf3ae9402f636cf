/**
 * The time source of every resilience layer. A monotonic clock, not
 * `Date.now()`, because a wall-clock step (NTP, daylight saving) must never
 * fire or extend a deadline. Tests drive it with fake timers, which fake
 * `performance.now()` too.
 */
export function now(): number {
  return performance.now();
}
