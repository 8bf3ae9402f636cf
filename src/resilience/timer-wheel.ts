import { now } from './clock.js';

/**
 * A coarse timer shared by every pipeline in the process.
 *
 * Why not one `setTimeout` per call: arming and clearing a Node timer costs
 * more than the rest of a successful call's overhead (the success path of
 * `benchmarks/scenarios/policy.mjs` shows it when a call arms its own timer).
 * Here a deadline is a {@link TimerSlot} in the bucket of its tick
 * (`RESOLUTION_MS`), added and removed in O(1); one unref'd interval runs
 * only while slots are scheduled and fires each bucket once its tick has passed. A deadline therefore
 * fires up to one tick late, never early; callers that must not start work
 * past a deadline also compare against the clock themselves.
 */

/** Granularity of the shared timer, in milliseconds. */
export const RESOLUTION_MS = 10;

/**
 * One timer of its owner's, on the shared wheel: the owner keeps it (say, as
 * a field) and arms it as often as it likes; it is in at most one bucket at a
 * time. The wheel's bookkeeping (bucket, index) lives here, not on the owner.
 *
 * @example
 * const slot = new TimerSlot(() => attempt.fail(timedOut()));
 * slot.schedule(now() + 10_000);
 * // ... the attempt settled first:
 * slot.cancel();
 */
export class TimerSlot {
  /** The bucket holding this slot while it is scheduled, and its index there. */
  private bucket: TimerSlot[] | undefined = undefined;
  private index = 0;

  /**
   * @param onDue Called once each time a scheduled time has passed. Its throw
   * is ignored. A subclass may leave it out and override {@link TimerSlot.due}.
   */
  constructor(private readonly onDue?: () => void) {}

  /**
   * What the slot does once due: calls `onDue`. A subclass that is its own
   * slot overrides this instead, and saves the closure and the second object
   * a slot per owner costs (the engine's lease renewal, made on every
   * idempotent request: `benchmarks/profile/fastify-in-process.mjs --alloc`).
   */
  protected due(): void {
    this.onDue?.();
  }

  /**
   * Calls `onDue` at clock time `atMs` ({@link now}), or up to one tick later;
   * replaces any time this slot was scheduled for. O(1), allocates nothing
   * unless `atMs` opens a new tick.
   */
  schedule(atMs: number): void {
    this.cancel();
    const bucket = bucketFor(atMs);
    this.bucket = bucket;
    this.index = bucket.length;
    bucket.push(this);
  }

  /**
   * Unschedules the slot; a no-op once fired or cancelled. O(1) and garbage
   * free: the bucket's last slot takes this one's place.
   */
  cancel(): void {
    const bucket = this.bucket;
    if (bucket === undefined) return;
    this.bucket = undefined;
    const last = bucket.pop() as TimerSlot;
    if (last !== this) {
      bucket[this.index] = last;
      last.index = this.index;
    }
  }

  /** Called by the wheel when this slot's bucket is due. */
  fire(): void {
    if (this.bucket === undefined) return;
    this.bucket = undefined;
    this.due();
  }
}

const buckets = new Map<number, TimerSlot[]>();
let interval: ReturnType<typeof setInterval> | undefined;
let nextTick = 0;
let lastSweepMs = 0;
/** The `setInterval` our interval came from: a different one means fake timers came or went. */
let armedWith: typeof setInterval | undefined;
// Calls made within one tick share a bucket: remembering the last one skips the Map look-up.
let lastTick = Number.NaN;
let lastBucket: TimerSlot[] = [];

/** Beyond this many ticks behind, a sweep scans the buckets instead of walking every tick. */
const WALK_LIMIT = 1_000;
/** An interval silent for this long was lost (or the loop was blocked): start a new one. */
const STALL_MS = 100 * RESOLUTION_MS;

/** The bucket of the tick `atMs` falls in, created (and the interval started) when new. */
function bucketFor(atMs: number): TimerSlot[] {
  // Fake timers came or went: the interval and the buckets it would have
  // fired belong to a clock that no longer runs. Checked on every schedule,
  // as a slot may be re-armed into a bucket left from that clock.
  if (setInterval !== armedWith && armedWith !== undefined) start();
  const tick = Math.ceil(atMs / RESOLUTION_MS);
  if (tick === lastTick) return lastBucket;
  let bucket = buckets.get(tick);
  if (bucket === undefined) {
    bucket = [];
    buckets.set(tick, bucket);
    // Checked once per new bucket, not per slot: a lost or blocked interval.
    if (interval === undefined || now() - lastSweepMs > STALL_MS) {
      start();
    }
    if (tick < nextTick) nextTick = tick;
  }
  lastTick = tick;
  lastBucket = bucket;
  return bucket;
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
  // By index, not for-of: a callback may cancel a later slot of this bucket
  // (its swap-remove moves the last slot into its place, still ahead of i).
  for (let i = 0; i < bucket.length; i++) {
    try {
      (bucket[i] as TimerSlot).fire();
    } catch {
      // An owner's callback must not stop the other deadlines of this tick.
    }
  }
}
