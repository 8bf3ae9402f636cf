import { ErrorCode, invalidOption, isBulwarkError } from '../errors.js';
import type { BreakerSnapshot } from './breaker-snapshot.js';
import type { ResolvedCircuitBreakerOptions } from './circuit-breaker.js';
import type { ExecuteOptions } from './context.js';
import { checkFunction, checkKnownFields, checkNumber, definedFields } from './option-checks.js';
import type { SharedBreakerState } from './shared-state.js';
import { isTransientError } from './transient.js';

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

/** The default {@link BreakerOptions.isFailure}: transient errors and deadlines. */
export function countsAgainstDownstream(error: unknown): boolean {
  return isTransientError(error) || isBulwarkError(error, ErrorCode.DeadlineExceeded);
}

const FIELDS = [...Object.keys(BREAKER_DEFAULTS), 'isFailure', 'keyBy', 'shared', 'initialState'];

/** Breaker options validated once, at construction. */
export interface ResolvedBreakerOptions {
  readonly settings: ResolvedCircuitBreakerOptions;
  readonly maxKeys: number;
  readonly isFailure: (error: unknown) => boolean;
  /** Undefined: the call's `key`. */
  readonly keyBy: ((options: ExecuteOptions) => string | undefined) | undefined;
}

/** Validates breaker options at construction; the errors name the field. */
export function resolveBreakerOptions(
  scope: string,
  options: BreakerOptions,
): ResolvedBreakerOptions {
  checkKnownFields(scope, 'breaker.', options, FIELDS);
  const o = { ...BREAKER_DEFAULTS, ...definedFields(options) };
  const settings = resolveCircuitBreakerOptions(scope, o);
  const maxKeys = checkNumber(scope, 'breaker.maxKeys', o.maxKeys, 1, 1e6, true);
  checkFunction(scope, 'breaker.isFailure', options.isFailure);
  checkFunction(scope, 'breaker.keyBy', options.keyBy);
  checkShared(scope, options.shared);
  return {
    settings,
    maxKeys,
    isFailure: options.isFailure ?? countsAgainstDownstream,
    keyBy: options.keyBy,
  };
}

function checkShared(scope: string, shared: unknown): void {
  if (shared === undefined) return;
  if (typeof (shared as Partial<SharedBreakerState> | null)?.attach !== 'function') {
    throw invalidOption(scope, 'breaker.shared', shared, 'a shared breaker state (attach())');
  }
}

function resolveCircuitBreakerOptions(
  scope: string,
  o: Required<Omit<BreakerOptions, 'isFailure' | 'keyBy' | 'shared' | 'initialState'>>,
): ResolvedCircuitBreakerOptions {
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
