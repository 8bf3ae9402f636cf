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

/** Something a timer entry calls back when its time has come. */
export interface TimerOwner {
  onTimer(kind: number): void;
}

/** A scheduled deadline; `cancel()` it when the guarded work ends first. */
export class TimerEntry {
  bucket: Set<TimerEntry> | undefined;

  constructor(
    readonly owner: TimerOwner,
    readonly kind: number,
  ) {}

  /** Removes the entry; a no-op once fired or cancelled. */
  cancel(): void {
    this.bucket?.delete(this);
    this.bucket = undefined;
  }
}

const buckets = new Map<number, Set<TimerEntry>>();
let interval: ReturnType<typeof setInterval> | undefined;
let nextTick = 0;
let lastSweepMs = 0;
/** The `setInterval` our interval came from: a different one means fake timers came or went. */
let armedWith: typeof setInterval | undefined;

/** Beyond this many ticks behind, a sweep scans the buckets instead of walking every tick. */
const WALK_LIMIT = 1_000;
/** An interval silent for this long was lost (or the loop was blocked): start a new one. */
const STALL_MS = 100 * RESOLUTION_MS;

/** Schedules `owner.onTimer(kind)` at clock time `atMs` (or up to one tick later). */
export function schedule(atMs: number, owner: TimerOwner, kind: number): TimerEntry {
  const tick = Math.ceil(atMs / RESOLUTION_MS);
  let bucket = buckets.get(tick);
  if (bucket === undefined) {
    bucket = new Set();
    buckets.set(tick, bucket);
    // Checked once per new bucket, not per entry: cheap, and enough to recover
    // when a test installs or removes fake timers while deadlines are pending.
    if (interval === undefined || setInterval !== armedWith || now() - lastSweepMs > STALL_MS) {
      start();
    }
    if (tick < nextTick) nextTick = tick;
  }
  const entry = new TimerEntry(owner, kind);
  entry.bucket = bucket;
  bucket.add(entry);
  return entry;
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
  for (const entry of bucket) {
    entry.bucket = undefined;
    try {
      entry.owner.onTimer(entry.kind);
    } catch {
      // An owner's callback must not stop the other deadlines of this tick.
    }
  }
}
