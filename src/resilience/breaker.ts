import { ErrorCode, invalidOption, isBulwarkError } from '../errors.js';
import { type BreakerSnapshot, entriesToRestore, takeSnapshot } from './breaker-snapshot.js';
import {
  type BreakerLink,
  type BreakerReading,
  type BreakerSettings,
  CircuitBreaker,
  type CircuitState,
} from './circuit-breaker.js';
import { now } from './clock.js';
import type { ExecuteOptions } from './context.js';
import type { ResilienceEvents } from './events.js';
import { ResilienceEventName } from './events.js';
import { circuitKeysFull } from './failures.js';
import { FleetLink } from './fleet-link.js';
import { KeyedRegistry } from './keyed.js';
import type { SharedBreakerState } from './shared-state.js';
import { isTransientError } from './transient.js';
import { checkFunction, checkKnownFields, checkNumber, definedFields } from './validate.js';

/** Options of the circuit breaker layer (`resilient(name, { breaker })`). */
export interface BreakerOptions {
  /** `ratio` (default): open on a failure ratio over a window; `consecutive`: open after N failures in a row. */
  mode?: 'ratio' | 'consecutive';
  /** Ratio mode: failures / calls in the window that opens the breaker, 0-1. Default 0.1. */
  failureRatio?: number;
  /** Ratio mode: fewest calls in the window before the ratio counts. Default 100. */
  minimumCalls?: number;
  /** Ratio mode: the sliding window, in ms; stale buckets expire on read. Default 30_000. */
  windowMs?: number;
  /** Consecutive mode: failures in a row that open the breaker. Default 5. */
  consecutiveFailures?: number;
  /** How long the breaker stays open before letting probes through, in ms. Default 5_000. */
  breakDurationMs?: number;
  /** Probes let through at once when half-open; all must succeed to close. Default 1. */
  halfOpenProbes?: number;
  /**
   * Whether an error counts against the downstream. Default: transient errors
   * ({@link isTransientError}) and an exceeded deadline. Other errors (say a
   * 400 mapped to an error) neither count as failures nor as successes.
   */
  isFailure?: (error: unknown) => boolean;
  /**
   * Which breaker a call uses. Default: the call's `key` (e.g. the URL
   * origin), or one breaker for the pipeline when calls carry no key.
   */
  keyBy?: (options: ExecuteOptions) => string | undefined;
  /**
   * Most keys with a breaker at once. Beyond it a new key takes the slot of
   * the least recently used idle breaker; a breaker that is open, half-open or
   * has calls in flight is never dropped (that would call a failing host
   * again), and when every one is live the new key's call is refused with
   * `BULWARK_CIRCUIT_OPEN`. Size it above the number of downstreams that may
   * fail at once. Default 1_000.
   */
  maxKeys?: number;
  /**
   * Share every key's breaker with the other processes running this pipeline
   * (same name), e.g. `new RedisBreakerState({ client, subscriber })` from
   * `bulwark/redis`: a break opened anywhere holds everywhere, one probe runs
   * for the whole fleet, and a new process starts from the fleet's state.
   * Calls on a closed or open breaker never wait on it; while it is
   * unreachable each process's breaker decides alone. Default none.
   */
  shared?: SharedBreakerState;
  /**
   * Start from a snapshot taken by `pipeline.breakerSnapshot()` (say, by the
   * process this one replaces): each key's state, its break shortened by the
   * time since the snapshot. With `shared`, the fleet's state wins where it
   * has one. Default none: every breaker starts closed.
   */
  initialState?: BreakerSnapshot;
}

/** Defaults of {@link BreakerOptions}. */
export const BREAKER_DEFAULTS = {
  mode: 'ratio',
  failureRatio: 0.1,
  minimumCalls: 100,
  windowMs: 30_000,
  consecutiveFailures: 5,
  breakDurationMs: 5_000,
  halfOpenProbes: 1,
  maxKeys: 1_000,
} as const;

const FIELDS = [...Object.keys(BREAKER_DEFAULTS), 'isFailure', 'keyBy', 'shared', 'initialState'];

/** The default {@link BreakerOptions.isFailure}: transient errors and deadlines. */
export function countsAgainstDownstream(error: unknown): boolean {
  return isTransientError(error) || isBulwarkError(error, ErrorCode.DeadlineExceeded);
}

/** The breaker layer of one pipeline: one breaker per key, at most `maxKeys` of them. */
export class BreakerLayer {
  readonly isFailure: (error: unknown) => boolean;
  /** The validated settings every breaker of this layer runs with. */
  readonly settings: BreakerSettings;
  private readonly registry: KeyedRegistry<CircuitBreaker>;
  /** Which breaker a call uses; read by the status page to tell tenant keys. */
  readonly keyBy: (options: ExecuteOptions) => string | undefined;
  private readonly events: ResilienceEvents;
  private readonly breakDurationMs: number;
  private readonly fleet: FleetLink | undefined;

  constructor(scope: string, options: BreakerOptions, events: ResilienceEvents) {
    checkKnownFields(scope, 'breaker.', options, FIELDS);
    const settings = resolveSettings(scope, { ...BREAKER_DEFAULTS, ...definedFields(options) });
    this.settings = settings;
    const maxKeys = checkNumber(
      scope,
      'breaker.maxKeys',
      options.maxKeys ?? BREAKER_DEFAULTS.maxKeys,
      1,
      1e6,
      true,
    );
    checkFunction(scope, 'breaker.isFailure', options.isFailure);
    checkFunction(scope, 'breaker.keyBy', options.keyBy);
    this.isFailure = options.isFailure ?? countsAgainstDownstream;
    this.keyBy = options.keyBy ?? ((call) => call.key);
    this.events = events;
    this.breakDurationMs = settings.breakDurationMs;
    checkShared(scope, options.shared);
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
    const breaker = this.registry.get(key);
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

function checkShared(scope: string, shared: unknown): void {
  if (shared === undefined) return;
  if (typeof (shared as Partial<SharedBreakerState> | null)?.attach !== 'function') {
    throw invalidOption(scope, 'breaker.shared', shared, 'a shared breaker state (attach())');
  }
}

function rank(state: CircuitState): number {
  return state === 'closed' ? 1 : 0;
}

function* mapEntries<T, U>(entries: Iterable<[string, T]>, map: (value: T) => U) {
  for (const [key, value] of entries) yield [key, map(value)] as [string, U];
}

function resolveSettings(
  scope: string,
  o: Required<Omit<BreakerOptions, 'isFailure' | 'keyBy' | 'shared' | 'initialState'>>,
): BreakerSettings {
  if (o.mode !== 'ratio' && o.mode !== 'consecutive') {
    throw invalidOption(scope, 'breaker.mode', o.mode, '"ratio" or "consecutive"');
  }
  return {
    mode: o.mode,
    failureRatio: checkNumber(scope, 'breaker.failureRatio', o.failureRatio, 0.001, 1),
    minimumCalls: checkNumber(scope, 'breaker.minimumCalls', o.minimumCalls, 1, 1e9, true),
    windowMs: checkNumber(scope, 'breaker.windowMs', o.windowMs, 1_000, 86_400_000),
    consecutiveFailures: checkNumber(
      scope,
      'breaker.consecutiveFailures',
      o.consecutiveFailures,
      1,
      1e6,
      true,
    ),
    breakDurationMs: checkNumber(
      scope,
      'breaker.breakDurationMs',
      o.breakDurationMs,
      1,
      86_400_000,
    ),
    halfOpenProbes: checkNumber(scope, 'breaker.halfOpenProbes', o.halfOpenProbes, 1, 1_000, true),
  };
}
