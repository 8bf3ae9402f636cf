import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../errors.js';
import { keyByTenant } from '../resilience/key-by-tenant.js';
import { type ResilientOptions, TIMEOUT_DEFAULTS } from '../resilience/resilient.js';
import { isTransientError } from '../resilience/transient.js';
import type { HeaderRecord } from './header-record.js';
import { FETCH_DEFAULTS, type FetchOptions, validateFetchOptions } from './options.js';
import { OriginScope } from './origin-scope.js';
import { RetryableResponseError } from './retryable-response.js';

/** {@link FetchOptions} validated, with every default applied: made once per `createFetch()`. */
export interface ResolvedFetchOptions {
  readonly name: string;
  readonly resilience: ResilientOptions;
  readonly addIdempotencyKey: boolean;
  /** Lower-case, as the names of a {@link HeaderRecord}. */
  readonly idempotencyKeyHeader: string;
  readonly generateKey: () => string;
  readonly maxBufferedBodyBytes: number;
  /** Lower-case, as the names of a {@link HeaderRecord}. */
  readonly deadlineHeader: string | false;
  readonly spans: 'attempt' | 'call' | false;
  /** Where the origin-scoped headers may go. */
  readonly scope: OriginScope;
  /** The pipeline's total deadline in ms, or undefined with that layer off. */
  readonly totalTimeoutMs: number | undefined;
  /**
   * How long reading the caller's request stream may take before the first
   * attempt (it is part of sending that attempt): the attempt timeout, cut to
   * the deadline, as the pipeline cuts it; Infinity with both layers off.
   */
  readonly uploadLimitMs: number;
  /** Which of the two bounds {@link uploadLimitMs} is, for its error's code. */
  readonly uploadLimitCode: typeof ErrorCode.AttemptTimeout | typeof ErrorCode.DeadlineExceeded;
}

/**
 * Validates `options` (throwing an error that names the field) and applies
 * the defaults; `createFetch()` calls it once.
 */
export function resolveFetchOptions(options: FetchOptions): ResolvedFetchOptions {
  validateFetchOptions(options);
  const resilience = options.resilience ?? {};
  const userRetry = resilience.retry;
  const idempotencyKeyHeader = (
    options.idempotencyKeyHeader ?? FETCH_DEFAULTS.idempotencyKeyHeader
  ).toLowerCase();
  const deadlineHeader = options.deadlineHeader ?? FETCH_DEFAULTS.deadlineHeader;
  // The same defaults `resilient()` applies; it validates these values itself.
  const totalTimeoutMs =
    resilience.deadline === false
      ? undefined
      : (resilience.deadline?.totalTimeoutMs ?? TIMEOUT_DEFAULTS.totalTimeoutMs);
  const attemptTimeoutMs =
    resilience.attemptTimeout === false
      ? undefined
      : (resilience.attemptTimeout?.timeoutMs ??
        Math.min(TIMEOUT_DEFAULTS.attemptTimeoutMs, totalTimeoutMs ?? Number.POSITIVE_INFINITY));
  const total = totalTimeoutMs ?? Number.POSITIVE_INFINITY;
  const attemptFirst = attemptTimeoutMs !== undefined && attemptTimeoutMs < total;
  return {
    name: options.name ?? FETCH_DEFAULTS.name,
    resilience: {
      ...resilience,
      bulkhead:
        resilience.bulkhead === false
          ? false
          : { ...FETCH_DEFAULTS.bulkhead, keyBy: keyByTenant, ...resilience.bulkhead },
      retry: userRetry === false ? false : { shouldRetry: retryableFailure, ...userRetry },
    },
    addIdempotencyKey: options.addIdempotencyKey ?? FETCH_DEFAULTS.addIdempotencyKey,
    idempotencyKeyHeader,
    generateKey: options.generateKey ?? randomUUID,
    maxBufferedBodyBytes: options.maxBufferedBodyBytes ?? FETCH_DEFAULTS.maxBufferedBodyBytes,
    deadlineHeader: deadlineHeader === false ? false : deadlineHeader.toLowerCase(),
    spans: options.spans ?? FETCH_DEFAULTS.spans,
    scope: new OriginScope(
      options.baggageOrigins ?? FETCH_DEFAULTS.baggageOrigins,
      options.idempotencyKeyOrigins ?? FETCH_DEFAULTS.idempotencyKeyOrigins,
      idempotencyKeyHeader,
    ),
    totalTimeoutMs,
    uploadLimitMs: attemptFirst ? attemptTimeoutMs : total,
    uploadLimitCode: attemptFirst ? ErrorCode.AttemptTimeout : ErrorCode.DeadlineExceeded,
  };
}

/** A status that says "try again" is retried like a transient network error. */
function retryableFailure(error: unknown): boolean {
  return error instanceof RetryableResponseError || isTransientError(error);
}
