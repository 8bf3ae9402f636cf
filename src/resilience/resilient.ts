import type { IPolicy } from 'cockatiel';
import { invalidOption } from '../errors.js';
import type { BreakerOptions } from './breaker-options.js';
import { BulkheadLayer, type BulkheadOptions } from './bulkhead.js';
import { CallTimers } from './call.js';
import { CallCounts } from './call-counts.js';
import { BreakerLayer } from './circuit-breaker.js';
import { ResilienceEvents } from './events.js';
import { checkKnownFields, checkNumber, checkSection } from './option-checks.js';
import { Pipeline, type ResilientPipeline } from './pipeline.js';
import { RetryLayer } from './retry.js';
import { type RetryOptions, resolveRetryOptions } from './retry-options.js';
import { PipelineTelemetry } from './telemetry.js';

/** Options of the total deadline layer (`resilient(name, { deadline })`). */
export interface DeadlineOptions {
  /** Time for the whole call, all attempts and backoffs included, in ms. Default 30_000. */
  totalTimeoutMs?: number;
}

/** Options of the attempt timeout layer (`resilient(name, { attemptTimeout })`). */
export interface AttemptTimeoutOptions {
  /** Time for one attempt, in ms; cut to what remains of the deadline. Default 10_000 (at most the deadline). */
  timeoutMs?: number;
}

/**
 * Defaults of {@link DeadlineOptions} (`totalTimeoutMs`) and
 * {@link AttemptTimeoutOptions} (`attemptTimeoutMs` is its `timeoutMs`).
 */
export const TIMEOUT_DEFAULTS = {
  totalTimeoutMs: 30_000,
  attemptTimeoutMs: 10_000,
} as const;

/**
 * Options of {@link resilient}. Every layer is on by default with settings
 * safe for a money-moving call; `false` switches a layer off.
 */
export interface ResilientOptions {
  /** Concurrency limit with a bounded queue. Default: on, see `BULKHEAD_DEFAULTS`. */
  bulkhead?: BulkheadOptions | false;
  /** Total deadline. Default: on, see {@link TIMEOUT_DEFAULTS}. */
  deadline?: DeadlineOptions | false;
  /** Retries with jittered backoff, a retry budget and `Retry-After`. Default: on, see `RETRY_DEFAULTS`. */
  retry?: RetryOptions | false;
  /** Circuit breaker, per key. Default: on, see `BREAKER_DEFAULTS`. */
  breaker?: BreakerOptions | false;
  /** Timeout of each attempt. Default: on, see {@link TIMEOUT_DEFAULTS}. */
  attemptTimeout?: AttemptTimeoutOptions | false;
  /**
   * A cockatiel policy of the application's own (a fallback, a custom
   * breaker...) run around each attempt, inside the attempt timeout.
   * Default none.
   */
  inner?: IPolicy;
  /** Report metrics and span events through the OTel API. Default true. */
  telemetry?: boolean;
}

const FIELDS = ['bulkhead', 'deadline', 'retry', 'breaker', 'attemptTimeout', 'inner', 'telemetry'];
const MAX_TIMEOUT_MS = 86_400_000;

/**
 * Creates a resilience pipeline named `name`: bulkhead → total deadline →
 * retry → circuit breaker → attempt timeout, each on with safe defaults
 * unless switched off with `false`. Options are validated here; an invalid
 * one throws `BULWARK_INVALID_OPTIONS` naming the field.
 *
 * @example
 * const bank = resilient('bank');
 * const result = await bank.execute(({ signal }) => callBank(payment, { signal }), { signal });
 */
export function resilient(name: string, options: ResilientOptions = {}): ResilientPipeline {
  return createPipeline(name, options);
}

/**
 * {@link resilient}, typed as the class it makes: `createFetch()` calls the
 * pipeline's internal form of `execute` (with a `CallEnding`).
 */
export function createPipeline(name: string, options: ResilientOptions = {}): Pipeline {
  const scope = `resilient(${JSON.stringify(name)})`;
  if (typeof name !== 'string' || name.length === 0 || name.length > 128) {
    throw invalidOption('resilient', 'name', name, 'a non-empty string of at most 128 characters');
  }
  if (typeof options !== 'object' || options === null) {
    throw invalidOption(scope, 'options', options, 'an options object');
  }
  checkKnownFields(scope, '', options, FIELDS);
  for (const field of ['bulkhead', 'deadline', 'retry', 'breaker', 'attemptTimeout'] as const) {
    checkSection(scope, field, options[field]);
  }
  const totalTimeoutMs = deadlineOf(scope, options.deadline);
  const attemptTimeoutMs = attemptTimeoutOf(scope, options.attemptTimeout, totalTimeoutMs);
  checkInner(scope, options.inner);
  const events = new ResilienceEvents(name);
  const telemetry = options.telemetry === false ? undefined : new PipelineTelemetry(name);
  const layers = {
    telemetry,
    bulkhead:
      options.bulkhead === false
        ? undefined
        : new BulkheadLayer(scope, options.bulkhead ?? {}, events),
    retry:
      options.retry === false
        ? undefined
        : new RetryLayer(resolveRetryOptions(scope, options.retry ?? {})),
    breaker:
      options.breaker === false
        ? undefined
        : new BreakerLayer(scope, options.breaker ?? {}, events),
  };
  const counts = new CallCounts();
  const timers = new CallTimers();
  const inner = options.inner;
  const settings = { name, events, totalTimeoutMs, attemptTimeoutMs, inner, counts, timers };
  return new Pipeline(settings, layers, events);
}

function deadlineOf(scope: string, options: DeadlineOptions | false | undefined) {
  if (options === false) return undefined;
  checkKnownFields(scope, 'deadline.', options ?? {}, ['totalTimeoutMs']);
  const value = options?.totalTimeoutMs ?? TIMEOUT_DEFAULTS.totalTimeoutMs;
  return checkNumber(scope, 'deadline.totalTimeoutMs', value, 1, MAX_TIMEOUT_MS);
}

function attemptTimeoutOf(
  scope: string,
  options: AttemptTimeoutOptions | false | undefined,
  totalTimeoutMs: number | undefined,
) {
  if (options === false) return undefined;
  checkKnownFields(scope, 'attemptTimeout.', options ?? {}, ['timeoutMs']);
  const value =
    options?.timeoutMs ?? Math.min(TIMEOUT_DEFAULTS.attemptTimeoutMs, totalTimeoutMs ?? Infinity);
  // An attempt longer than the whole call is a configuration mistake, not a no-op.
  return checkNumber(scope, 'attemptTimeout.timeoutMs', value, 1, totalTimeoutMs ?? MAX_TIMEOUT_MS);
}

function checkInner(scope: string, inner: unknown): void {
  if (inner === undefined) return;
  if (
    typeof inner !== 'object' ||
    inner === null ||
    typeof (inner as IPolicy).execute !== 'function'
  ) {
    throw invalidOption(scope, 'inner', inner, 'a cockatiel policy (an object with execute())');
  }
}
