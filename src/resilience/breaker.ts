import { ErrorCode, invalidOption, isBulwarkError } from '../errors.js';
import {
  type BreakerReading,
  type BreakerSettings,
  CircuitBreaker,
  type CircuitState,
} from './circuit-breaker.js';
import type { ExecuteOptions } from './context.js';
import type { ResilienceEvents } from './events.js';
import { KeyedRegistry } from './keyed.js';
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
  /** Most keys with a live breaker; the least recently used is dropped beyond it. Default 1_000. */
  maxKeys?: number;
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

const FIELDS = [...Object.keys(BREAKER_DEFAULTS), 'isFailure', 'keyBy'];

/** The default {@link BreakerOptions.isFailure}: transient errors and deadlines. */
export function countsAgainstDownstream(error: unknown): boolean {
  return isTransientError(error) || isBulwarkError(error, ErrorCode.DeadlineExceeded);
}

/** The breaker layer of one pipeline: one breaker per key, LRU-bounded. */
export class BreakerLayer {
  readonly isFailure: (error: unknown) => boolean;
  /** The validated settings every breaker of this layer runs with. */
  readonly settings: BreakerSettings;
  private readonly registry: KeyedRegistry<CircuitBreaker>;
  /** Which breaker a call uses; read by the status page to tell tenant keys. */
  readonly keyBy: (options: ExecuteOptions) => string | undefined;

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
    this.registry = new KeyedRegistry(maxKeys, (key) => {
      return new CircuitBreaker(settings, events, key === '' ? undefined : key);
    });
  }

  /** The key a call's breaker is found under ('' = the pipeline's unkeyed breaker). */
  keyOf(options: ExecuteOptions): string {
    return this.keyBy(options) ?? '';
  }

  /** The breaker for `key`, created on first use. */
  breakerFor(key: string): CircuitBreaker {
    return this.registry.get(key);
  }

  /** The state of the breaker for `key`, or undefined when it has no live breaker. */
  stateOf(key: string, nowMs: number): CircuitState | undefined {
    return this.registry.peek(key)?.stateAt(nowMs);
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

function resolveSettings(
  scope: string,
  o: Required<Omit<BreakerOptions, 'isFailure' | 'keyBy'>>,
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
