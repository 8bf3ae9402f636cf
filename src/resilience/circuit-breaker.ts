/**
 * The circuit breaker layer: a state machine per key ({@link CircuitBreaker})
 * and, at the end of the file, the layer that finds a call's breaker
 * ({@link BreakerLayer}); its options, defaults and checks are in
 * breaker-options.ts. Longer than most files on purpose: every transition
 * lives here, in one place, so that the states, the probe accounting and the
 * events can be read together.
 *
 * closed ──(failure ratio over ≥ minimumCalls in the window, or N consecutive failures)──▶ open
 * open ──(breakDurationMs passed, on the next call: lazy, no timer)──▶ half_open
 * half_open ──(halfOpenProbes probes all succeed)──▶ closed
 * half_open ──(a probe fails)──▶ open
 *
 * In half-open at most `halfOpenProbes` calls are let through; every other
 * caller fails fast (never queued behind a probe, unlike cockatiel). Every
 * operation is O(1): counts live in a {@link RollingWindow} whose size is
 * fixed, whatever the traffic or the window length. The window is at the end
 * of this file: the breaker counts every call in it, and the retry budget
 * (retry.ts) counts in one too; keeping it here keeps a successful call in
 * the files of its policies (test/resilience/walk.test.ts).
 *
 * A breaker shared with a fleet has a {@link BreakerLink}: it reports its own
 * transitions to it, asks it before probing, and takes the fleet's
 * transitions through `adopt`. The fleet logic itself lives in fleet-link.ts.
 */
import { type BreakerOptions, resolveBreakerOptions } from './breaker-options.js';
import { type BreakerSnapshot, entriesToRestore, takeSnapshot } from './breaker-snapshot.js';
import { now } from './clock.js';
import type { ExecuteOptions } from './context.js';
import { type BreakerOrigin, ResilienceEventName, type ResilienceEvents } from './events.js';
import { circuitKeysFull, circuitOpen } from './failures.js';
import { FleetLink } from './fleet-link.js';
import { type KeyedEntry, KeyedRegistry } from './keyed-registry.js';

/** The state of a circuit breaker. */
export type CircuitState = 'closed' | 'open' | 'half_open';

/** The validated settings a breaker runs with. */
export interface ResolvedCircuitBreakerOptions {
  readonly mode: 'ratio' | 'consecutive';
  readonly failureRatio: number;
  readonly minimumCalls: number;
  readonly windowMs: number;
  readonly consecutiveFailures: number;
  readonly breakDurationMs: number;
  readonly halfOpenProbes: number;
}

const EPSILON = 1e-9;

/** What a shared breaker's fleet side hears from and is asked by the state machine. */
export interface BreakerLink {
  /** The breaker changed state on this process's own evidence; `breakMs` is a fresh break's length. */
  changed(to: CircuitState, breakMs: number): void;
  /**
   * Asked when a call comes after the break: 0 lets this process probe now,
   * more is how long to go on failing fast, in ms (the probe is elsewhere).
   */
  probeWait(nowMs: number): number;
  /** A call was refused during the break: the downstream is wanted here. */
  refused(): void;
}

/** A breaker's state and the time left of its break, for snapshots. */
export interface BreakerStateAt {
  readonly state: CircuitState;
  /** Break left when open, in ms; 0 otherwise. */
  readonly remainingMs: number;
}

/** One breaker's state and counts at one instant (see `CircuitBreaker.reading`). */
export interface BreakerReading {
  readonly state: CircuitState;
  /** Time left before an open breaker lets a probe through, in ms; 0 unless open. */
  readonly halfOpenInMs: number;
  /** Ratio mode: calls counted in the window since the last transition. */
  readonly windowCalls: number;
  /** Ratio mode: failures among them. */
  readonly windowFailures: number;
  /** Consecutive mode: failures in a row so far. */
  readonly consecutiveFailures: number;
}

/** A permit for a normal call in the closed state; probes get their generation number (> 0). */
export const NOT_A_PROBE = 0;

/** One circuit breaker; see the state diagram at the top of this file. */
export class CircuitBreaker implements KeyedEntry {
  private state: CircuitState = 'closed';
  /** Calls admitted and not yet ended, probes included: their outcome is still to count. */
  private inFlight = 0;
  private openUntil = 0;
  /** Counts half-open periods, so a late probe of an earlier period is ignored. */
  private generation = 0;
  private probesInFlight = 0;
  private probeSuccesses = 0;
  private consecutive = 0;
  private readonly window: RollingWindow;

  constructor(
    private readonly settings: ResolvedCircuitBreakerOptions,
    private readonly events: ResilienceEvents,
    private readonly key: string | undefined,
    private readonly link?: BreakerLink,
  ) {
    this.window = new RollingWindow(settings.windowMs);
  }

  /**
   * Lets a call through and returns its permit ({@link NOT_A_PROBE} or a
   * probe's generation), or throws a stackless `BULWARK_CIRCUIT_OPEN` error
   * carrying `retryAfterMs`.
   */
  admit(nowMs: number, attempt: number): number {
    if (this.state === 'closed') {
      this.inFlight++;
      return NOT_A_PROBE;
    }
    if (this.state === 'open' && nowMs < this.openUntil) {
      this.link?.refused();
      throw this.reject(Math.ceil(this.openUntil - nowMs), attempt);
    }
    // Shared: one probe for the whole fleet, so only the lease holder goes on.
    const waitMs = this.link?.probeWait(nowMs) ?? 0;
    if (waitMs > 0) throw this.reject(waitMs, attempt);
    if (this.state === 'open') this.transition('half_open', attempt, undefined);
    if (this.probesInFlight >= this.settings.halfOpenProbes) {
      throw this.reject(this.settings.breakDurationMs, attempt);
    }
    this.probesInFlight++;
    this.inFlight++;
    return this.generation;
  }

  /** The call admitted with `permit` succeeded (or failed in a way that proves the downstream alive). */
  succeeded(permit: number, nowMs: number, attempt: number): void {
    this.inFlight--;
    if (permit !== NOT_A_PROBE) {
      if (!this.endProbe(permit)) return;
      if (++this.probeSuccesses >= this.settings.halfOpenProbes) {
        this.transition('closed', attempt, undefined);
      }
      return;
    }
    if (this.state !== 'closed') return;
    this.consecutive = 0;
    if (this.settings.mode === 'ratio') this.window.add(nowMs, 1, 0);
  }

  /** The call admitted with `permit` failed in a way that counts against the downstream. */
  failed(permit: number, nowMs: number, attempt: number, error: unknown): void {
    this.inFlight--;
    if (permit !== NOT_A_PROBE) {
      if (this.endProbe(permit)) this.open(nowMs, attempt, error);
      return;
    }
    // A call admitted before the breaker opened and ending after: already accounted for.
    if (this.state !== 'closed') return;
    if (this.settings.mode === 'consecutive') {
      if (++this.consecutive >= this.settings.consecutiveFailures) this.open(nowMs, attempt, error);
      return;
    }
    const window = this.window;
    window.add(nowMs, 1, 1);
    const { minimumCalls, failureRatio } = this.settings;
    // The epsilon keeps 3 of 30 at a 0.1 ratio from missing by a rounding error.
    if (window.total >= minimumCalls && window.marked >= failureRatio * window.total - EPSILON) {
      this.open(nowMs, attempt, error);
    }
  }

  /** The call ended without saying anything about the downstream (e.g. the caller aborted). */
  released(permit: number): void {
    this.inFlight--;
    if (permit !== NOT_A_PROBE) this.endProbe(permit);
  }

  /**
   * True while forgetting this breaker would call a failing host again or lose
   * failures still to count: open, half-open, or calls in flight.
   */
  isLive(): boolean {
    return this.state !== 'closed' || this.inFlight > 0;
  }

  /** The state as a caller would see it now: an open breaker past its break reads as half-open. */
  stateAt(nowMs: number): CircuitState {
    return this.state === 'open' && nowMs >= this.openUntil ? 'half_open' : this.state;
  }

  /** The state and break left at `nowMs`, for a snapshot. */
  snapshotAt(nowMs: number): BreakerStateAt {
    const remainingMs = this.state === 'open' ? Math.max(0, this.openUntil - nowMs) : 0;
    return { state: this.stateAt(nowMs), remainingMs };
  }

  /**
   * Takes a state decided elsewhere: by the fleet (`origin` `fleet`: an event
   * when what callers see changes) or a snapshot (no origin: no event). A
   * half-open taken this way is an open breaker whose break is over, so the
   * next call asks the link whether it may probe. Never reported to the link.
   */
  adopt(to: CircuitState, remainingMs: number, nowMs: number, origin?: BreakerOrigin): void {
    const seen = this.stateAt(nowMs);
    if (to === 'closed') {
      if (this.state !== 'closed') this.transition('closed', 0, undefined, origin);
      return;
    }
    if (this.state !== 'open') this.enter('open');
    this.openUntil = to === 'open' ? nowMs + remainingMs : Math.min(this.openUntil, nowMs);
    if (origin !== undefined && seen !== to) this.emitChange(to, 0, undefined, origin);
  }

  /** What the breaker knows now, for the status page; changes nothing the breaker decides on. */
  reading(nowMs: number): BreakerReading {
    const state = this.stateAt(nowMs);
    this.window.advance(nowMs); // expiry only, as every add does first
    return {
      state,
      halfOpenInMs: state === 'open' ? Math.ceil(this.openUntil - nowMs) : 0,
      windowCalls: this.window.total,
      windowFailures: this.window.marked,
      consecutiveFailures: this.consecutive,
    };
  }

  private endProbe(permit: number): boolean {
    if (permit !== this.generation || this.state !== 'half_open') return false;
    this.probesInFlight--;
    return true;
  }

  private open(nowMs: number, attempt: number, error: unknown): void {
    this.openUntil = nowMs + this.settings.breakDurationMs;
    this.transition('open', attempt, error);
  }

  /** Enters `to`; `origin` undefined enters silently (a snapshot restored). */
  private transition(
    to: CircuitState,
    attempt: number,
    error: unknown,
    origin: BreakerOrigin | undefined = 'local',
  ): void {
    this.enter(to);
    if (origin !== undefined) this.emitChange(to, attempt, error, origin);
    if (origin === 'local') this.link?.changed(to, this.settings.breakDurationMs);
  }

  private enter(to: CircuitState): void {
    this.state = to;
    this.consecutive = 0;
    this.window.reset();
    this.probesInFlight = 0;
    this.probeSuccesses = 0;
    if (to === 'half_open') this.generation++;
  }

  private emitChange(to: CircuitState, attempt: number, error: unknown, origin: BreakerOrigin) {
    const name =
      to === 'open'
        ? ResilienceEventName.CircuitOpened
        : to === 'closed'
          ? ResilienceEventName.CircuitClosed
          : ResilienceEventName.CircuitHalfOpened;
    this.events.emit(name, this.key, attempt, error, undefined, origin);
  }

  private reject(retryAfterMs: number, attempt: number): Error {
    const error = circuitOpen(this.events.pipeline, retryAfterMs);
    this.events.emit(ResilienceEventName.CircuitRejected, this.key, attempt, error);
    return error;
  }
}

/** The breaker layer of one pipeline: one breaker per key, at most `maxKeys` of them. */
export class BreakerLayer {
  readonly isFailure: (error: unknown) => boolean;
  /** The validated settings every breaker of this layer runs with. */
  readonly settings: ResolvedCircuitBreakerOptions;
  private readonly registry: KeyedRegistry<CircuitBreaker>;
  /** Which breaker a call uses; read by the status page to tell tenant keys. */
  readonly keyBy: (options: ExecuteOptions) => string | undefined;
  private readonly events: ResilienceEvents;
  private readonly breakDurationMs: number;
  private readonly fleet: FleetLink | undefined;

  constructor(scope: string, options: BreakerOptions, events: ResilienceEvents) {
    const { settings, maxKeys, isFailure, keyBy } = resolveBreakerOptions(scope, options);
    this.settings = settings;
    this.isFailure = isFailure;
    this.keyBy = keyBy ?? keyOfCall;
    this.events = events;
    this.breakDurationMs = settings.breakDurationMs;
    const restore = options.initialState && entriesToRestore(scope, options.initialState);
    const make = (key: string, link?: BreakerLink) =>
      new CircuitBreaker(settings, events, key === '' ? undefined : key, link);
    this.registry = new KeyedRegistry(maxKeys, (key) =>
      this.fleet === undefined ? make(key) : this.fleet.create(key, (link) => make(key, link)),
    );
    const registry = this.registry;
    this.fleet =
      options.shared &&
      new FleetLink(
        events.pipeline,
        options.shared,
        maxKeys,
        {
          peek: (key) => registry.peek(key),
          entries: () => registry.entriesView(),
        },
        events,
      );
    // Open breakers first: if the snapshot holds more keys than fit, they matter most.
    const nowMs = now();
    for (const entry of (restore ?? []).sort((a, b) => rank(a.state) - rank(b.state))) {
      this.registry.get(entry.key)?.adopt(entry.state, entry.remainingMs, nowMs);
    }
  }

  /** The key a call's breaker is found under ('' = the pipeline's unkeyed breaker). */
  keyOf(options: ExecuteOptions): string {
    return this.keyBy(options) ?? '';
  }

  /**
   * The breaker for `key`, created on first use; throws `BULWARK_CIRCUIT_OPEN`
   * when `key` is new and every breaker is live.
   */
  breakerFor(key: string, attempt: number): CircuitBreaker {
    const registry = this.registry;
    const breaker = key === '' ? (registry.unkeyed ?? registry.get(key)) : registry.get(key);
    if (breaker !== undefined) return breaker;
    const { pipeline } = this.events;
    const error = circuitKeysFull(pipeline, this.registry.maxKeys, this.breakDurationMs);
    this.events.emit(
      ResilienceEventName.CircuitRejected,
      key === '' ? undefined : key,
      attempt,
      error,
    );
    throw error;
  }

  /**
   * The state of the breaker for `key`; for a key with no breaker here, the
   * fleet's state when shared; undefined when neither knows it.
   */
  stateOf(key: string, nowMs: number): CircuitState | undefined {
    return this.registry.peek(key)?.stateAt(nowMs) ?? this.fleet?.stateOf(key, nowMs);
  }

  /** Every breaker's state and break left, as a serialisable snapshot. */
  snapshot(nowMs: number): BreakerSnapshot {
    const entries = this.registry.entriesView();
    return takeSnapshot(
      this.events.pipeline,
      mapEntries(entries, (b) => b.snapshotAt(nowMs)),
    );
  }

  /** Every live breaker's key and state, for the state gauge. */
  *states(nowMs: number): Iterable<[string, CircuitState]> {
    for (const [key, breaker] of this.registry.entriesView()) yield [key, breaker.stateAt(nowMs)];
  }

  /** Every live breaker's key and reading, least recently used first, for the status page. */
  *readings(nowMs: number): Iterable<[string, BreakerReading]> {
    for (const [key, breaker] of this.registry.entriesView()) yield [key, breaker.reading(nowMs)];
  }

  /** How many keys have a live breaker. */
  get size(): number {
    return this.registry.size;
  }
}

function rank(state: CircuitState): number {
  return state === 'closed' ? 1 : 0;
}

function* mapEntries<T, U>(entries: Iterable<[string, T]>, map: (value: T) => U) {
  for (const [key, value] of entries) yield [key, map(value)] as [string, U];
}

/** The default `keyBy`: the call's `key` (one breaker per downstream). */
function keyOfCall(options: ExecuteOptions): string | undefined {
  return options.key;
}

/**
 * Two counters (`total`, `marked`) over a sliding time window, kept in a
 * fixed ring of buckets with running sums. Every read and write first
 * expires the buckets that fell out of the window, so counts from before an
 * idle period never linger (cockatiel's SamplingBreaker rotates one bucket
 * per call, and stale buckets open the breaker after a pause). The cost of
 * each operation is bounded by the bucket count, a constant, never by the
 * number of calls or the window length.
 */
export class RollingWindow {
  private readonly totals: Float64Array;
  private readonly marks: Float64Array;
  private readonly bucketMs: number;
  private head = 0;
  private headStart = Number.NEGATIVE_INFINITY;
  /** Sum of `total` over the live buckets. */
  total = 0;
  /** Sum of `marked` over the live buckets. */
  marked = 0;

  constructor(windowMs: number, buckets = 10) {
    this.totals = new Float64Array(buckets);
    this.marks = new Float64Array(buckets);
    this.bucketMs = windowMs / buckets;
  }

  /** Adds to the current bucket after expiring stale ones. */
  add(nowMs: number, total: number, marked: number): void {
    this.advance(nowMs);
    this.totals[this.head]! += total;
    this.marks[this.head]! += marked;
    this.total += total;
    this.marked += marked;
  }

  /** Expires stale buckets so that `total` and `marked` describe the window ending now. */
  advance(nowMs: number): void {
    const elapsed = nowMs - this.headStart;
    if (elapsed < this.bucketMs) return;
    const steps = Math.floor(elapsed / this.bucketMs);
    if (steps >= this.totals.length) {
      this.reset();
      this.headStart = nowMs;
      return;
    }
    for (let i = 0; i < steps; i++) {
      this.head = (this.head + 1) % this.totals.length;
      this.total -= this.totals[this.head]!;
      this.marked -= this.marks[this.head]!;
      this.totals[this.head] = 0;
      this.marks[this.head] = 0;
    }
    this.headStart += steps * this.bucketMs;
  }

  /** Forgets every count. */
  reset(): void {
    this.totals.fill(0);
    this.marks.fill(0);
    this.total = 0;
    this.marked = 0;
  }
}
