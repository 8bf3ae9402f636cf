/**
 * Every error bulwark throws is a {@link BulwarkError} with a stable `code`.
 * The `code` is the contract; `instanceof` is a convenience that fails when two
 * copies of the package are loaded, which is why {@link isBulwarkError} checks a
 * `Symbol.for` brand instead.
 */

/** The stable error codes. New codes are added; existing ones never change meaning. */
export const ErrorCode = {
  /** A tenant id failed validation (1-64 characters of `[A-Za-z0-9._:-]`, not dots alone). */
  InvalidTenantId: 'BULWARK_INVALID_TENANT_ID',
  /** A jurisdiction failed validation (ISO 3166-1 alpha-2, or a subdivision such as `US-NY`). */
  InvalidJurisdiction: 'BULWARK_INVALID_JURISDICTION',
  /** A transaction type failed validation (1-64 characters of `[a-z0-9_.-]`). */
  InvalidTransactionType: 'BULWARK_INVALID_TRANSACTION_TYPE',
  /** An options object passed to a bulwark factory is invalid. */
  InvalidOptions: 'BULWARK_INVALID_OPTIONS',
  /** The total deadline of a resilient call passed. */
  DeadlineExceeded: 'BULWARK_DEADLINE_EXCEEDED',
  /** One attempt ran past its own timeout. */
  AttemptTimeout: 'BULWARK_ATTEMPT_TIMEOUT',
  /** The circuit breaker is open (or its half-open probes are taken): fail fast. */
  CircuitOpen: 'BULWARK_CIRCUIT_OPEN',
  /** The bulkhead is full and its queue too, or the queue wait timed out. */
  BulkheadFull: 'BULWARK_BULKHEAD_FULL',
  /** The retry budget is spent: the call fails with its original error as cause. */
  RetryBudgetExhausted: 'BULWARK_RETRY_BUDGET_EXHAUSTED',
  /** The server asked to wait longer than the remaining deadline. */
  RetryAfterExceedsDeadline: 'BULWARK_RETRY_AFTER_EXCEEDS_DEADLINE',
  /** The caller's AbortSignal aborted the call. */
  Aborted: 'BULWARK_ABORTED',
  /** An idempotency key is missing where one is required. */
  IdempotencyKeyMissing: 'BULWARK_IDEMPOTENCY_KEY_MISSING',
  /** An idempotency key is malformed. */
  IdempotencyKeyInvalid: 'BULWARK_IDEMPOTENCY_KEY_INVALID',
  /** The same key was reused with a different request. */
  IdempotencyMismatch: 'BULWARK_IDEMPOTENCY_MISMATCH',
  /** The original request with this key is still in flight. */
  IdempotencyInFlight: 'BULWARK_IDEMPOTENCY_IN_FLIGHT',
  /** The idempotency store could not be reached in time; nothing was executed. */
  IdempotencyStoreUnavailable: 'BULWARK_IDEMPOTENCY_STORE_UNAVAILABLE',
  /** The handler ran but its outcome could not be recorded; retry with the same key. */
  IdempotencyOutcomeUnknown: 'BULWARK_IDEMPOTENCY_OUTCOME_UNKNOWN',
  /** A compare-and-set on the owner token failed: another worker owns the key now. */
  IdempotencyLeaseLost: 'BULWARK_IDEMPOTENCY_LEASE_LOST',
  /** The request body is larger than the configured cap. */
  PayloadTooLarge: 'BULWARK_PAYLOAD_TOO_LARGE',
  /**
   * A shared breaker state (`RedisBreakerState`) could not be read or written
   * in time. Reported to its `onError`, never to a call: the breakers decide
   * alone meanwhile.
   */
  BreakerStateUnavailable: 'BULWARK_BREAKER_STATE_UNAVAILABLE',
  /** `bulwark/otel` was imported without the OpenTelemetry SDK packages it needs. */
  OtelSdkMissing: 'BULWARK_OTEL_SDK_MISSING',
} as const;

/** One of the {@link ErrorCode} values. */
export type BulwarkErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const BRAND = Symbol.for('bulwark.error');

/** Options accepted by every {@link BulwarkError} constructor. */
export interface BulwarkErrorOptions {
  /** The underlying error, kept as the ES2022 `cause`. */
  cause?: unknown;
  /** How long the caller should wait before trying again, in milliseconds. */
  retryAfterMs?: number;
}

/** The one base class of bulwark's errors. */
export class BulwarkError extends Error {
  /** Stable machine-readable code; see {@link ErrorCode}. */
  readonly code: BulwarkErrorCode;
  /** When set, how long to wait before trying again, in milliseconds. */
  readonly retryAfterMs: number | undefined;

  constructor(code: BulwarkErrorCode, message: string, options: BulwarkErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BulwarkError';
    this.code = code;
    this.retryAfterMs = options.retryAfterMs;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/**
 * True when `error` is a bulwark error, from this or any other copy of the
 * package, and (when given) has the given `code`.
 */
export function isBulwarkError(error: unknown, code?: BulwarkErrorCode): error is BulwarkError {
  if (typeof error !== 'object' || error === null) return false;
  if ((error as Record<symbol, unknown>)[BRAND] !== true) return false;
  return code === undefined || (error as BulwarkError).code === code;
}

/** Builds the error for an invalid option: it names the field, the value and what was expected. */
export function invalidOption(scope: string, field: string, value: unknown, expected: string) {
  return new BulwarkError(
    ErrorCode.InvalidOptions,
    `${scope}: option "${field}" must be ${expected}, got ${describe(value)}`,
  );
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  try {
    return String(JSON.stringify(value) ?? value);
  } catch {
    return String(value);
  }
}
