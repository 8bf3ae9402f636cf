import { now } from './clock.js';

/**
 * A coarse timer shared by every pipeline in the process.
 *
 * Why not one `setTimeout` per call: arming and clearing a Node timer costs
 * about 0.6 µs, which is more than the rest of a successful call's overhead.
 * Here a deadline is an entry in the bucket of its tick (`RESOLUTION_MS`),
 * added and removed in O(1); one unref'd interval runs only while entries
 * exist and fires each bucket once its tick has passed. A deadline therefore
 * fires up to one tick late, never early; callers that must not start work
 * past a deadline also compare against the clock themselves.
 */

/** Granularity of the shared timer, in milliseconds. */
export const RESOLUTION_MS = 10;

/**
 * Something that can be scheduled: a subclass (a call) is its own entry, so
 * scheduling allocates nothing. An entry is in at most one bucket at a time.
 */
export abstract class TimerEntry {
  /** The bucket holding this entry while it is scheduled, and its index there (wheel-owned). */
  timerBucket: TimerEntry[] | undefined = undefined;
  timerIndex = 0;

  /** Called once the time given to {@link schedule} has passed. */
  abstract onTimer(): void;

  /**
   * Removes the entry; a no-op once fired or cancelled. O(1) and garbage
   * free: the bucket's last entry takes this one's place.
   */
  cancelTimer(): void {
    const bucket = this.timerBucket;
    if (bucket === undefined) return;
    this.timerBucket = undefined;
    const last = bucket.pop() as TimerEntry;
    if (last !== this) {
      bucket[this.timerIndex] = last;
      last.timerIndex = this.timerIndex;
    }
  }
}

const buckets = new Map<number, TimerEntry[]>();
let interval: ReturnType<typeof setInterval> | undefined;
let nextTick = 0;
let lastSweepMs = 0;
/** The `setInterval` our interval came from: a different one means fake timers came or went. */
let armedWith: typeof setInterval | undefined;
// Calls made within one tick share a bucket: remembering the last one skips the Map look-up.
let lastTick = Number.NaN;
let lastBucket: TimerEntry[] = [];

/** Beyond this many ticks behind, a sweep scans the buckets instead of walking every tick. */
const WALK_LIMIT = 1_000;
/** An interval silent for this long was lost (or the loop was blocked): start a new one. */
const STALL_MS = 100 * RESOLUTION_MS;

/** Schedules `entry.onTimer()` at clock time `atMs` (or up to one tick later). */
export function schedule(entry: TimerEntry, atMs: number): void {
  const tick = Math.ceil(atMs / RESOLUTION_MS);
  if (tick !== lastTick) {
    let bucket = buckets.get(tick);
    if (bucket === undefined) {
      bucket = [];
      buckets.set(tick, bucket);
      // Checked once per new bucket, not per entry: cheap, and enough to recover
      // when a test installs or removes fake timers while deadlines are pending.
      if (interval === undefined || setInterval !== armedWith || now() - lastSweepMs > STALL_MS) {
        start();
      }
      if (tick < nextTick) nextTick = tick;
    }
    lastTick = tick;
    lastBucket = bucket;
  }
  entry.timerBucket = lastBucket;
  entry.timerIndex = lastBucket.length;
  lastBucket.push(entry);
}

function start(): void {
  if (interval !== undefined) clearInterval(interval);
  lastSweepMs = now();
  // Buckets left from before a restart must still fire: start from the oldest.
  nextTick = Math.floor(lastSweepMs / RESOLUTION_MS);
  for (const tick of buckets.keys()) nextTick = Math.min(nextTick, tick);
  armedWith = setInterval;
  interval = setInterval(sweep, RESOLUTION_MS);
  interval.unref?.();
}

function sweep(): void {
  lastSweepMs = now();
  const current = Math.floor(lastSweepMs / RESOLUTION_MS);
  if (current - nextTick > WALK_LIMIT) {
    for (const tick of [...buckets.keys()]) if (tick <= current) fireBucket(tick);
  } else {
    for (; nextTick <= current && buckets.size > 0; nextTick++) fireBucket(nextTick);
  }
  nextTick = Math.max(nextTick, current + 1);
  if (buckets.size === 0 && interval !== undefined) {
    clearInterval(interval);
    interval = undefined;
  }
}

function fireBucket(tick: number): void {
  const bucket = buckets.get(tick);
  if (bucket === undefined) return;
  buckets.delete(tick);
  if (tick === lastTick) lastTick = Number.NaN;
  // By index, not for-of: a callback may cancel a later entry of this bucket
  // (its swap-remove moves the last entry into its place, still ahead of i).
  for (let i = 0; i < bucket.length; i++) {
    const entry = bucket[i] as TimerEntry;
    entry.timerBucket = undefined;
    try {
      entry.onTimer();
    } catch {
      // An owner's callback must not stop the other deadlines of this tick.
    }
  }
}
