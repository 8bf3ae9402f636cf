import { BulwarkError, type BulwarkErrorCode, ErrorCode } from '../errors.js';

/**
 * Constructors of the errors the resilience layers throw. Fast-fail
 * rejections (open breaker, full bulkhead) are built without a stack trace:
 * capturing one costs more than the rejection itself (the open-breaker case
 * of `benchmarks/scenarios/policy-shared.mjs`), and the stack would only show
 * bulwark's own frames.
 */

function fastError(
  code: BulwarkErrorCode,
  message: string,
  cause?: unknown,
  retryAfterMs?: number,
): BulwarkError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new BulwarkError(code, message, { cause, retryAfterMs });
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** The breaker of `pipeline` is open or its probes are taken; `retryAfterMs` says when to come back. */
export function circuitOpen(pipeline: string, retryAfterMs: number): BulwarkError {
  return fastError(
    ErrorCode.CircuitOpen,
    `${pipeline}: circuit open, retry after ${retryAfterMs} ms`,
    undefined,
    retryAfterMs,
  );
}

/** The bulkhead of `pipeline` is full, or the queue wait ran out. */
export function bulkheadFull(pipeline: string, why: string): BulwarkError {
  return fastError(ErrorCode.BulkheadFull, `${pipeline}: bulkhead full (${why})`);
}

/**
 * Every one of the `maxKeys` breakers of `pipeline` holds a live circuit (open,
 * half-open, or calls in flight): a new key is refused rather than one forgotten.
 */
export function circuitKeysFull(
  pipeline: string,
  maxKeys: number,
  retryAfterMs: number,
): BulwarkError {
  return fastError(
    ErrorCode.CircuitOpen,
    `${pipeline}: circuit open for new keys (all ${maxKeys} keys hold live circuits), retry after ${retryAfterMs} ms`,
    undefined,
    retryAfterMs,
  );
}

/** The total deadline passed; `cause` is the last attempt's error, if any. */
export function deadlineExceeded(pipeline: string, totalMs: number, cause?: unknown) {
  return new BulwarkError(
    ErrorCode.DeadlineExceeded,
    `${pipeline}: total deadline of ${totalMs} ms exceeded`,
    { cause },
  );
}

/** The deadline leaves no room for the next backoff; `cause` is the last attempt's error. */
export function noTimeForRetry(
  pipeline: string,
  delayMs: number,
  remainingMs: number,
  cause: unknown,
) {
  return new BulwarkError(
    ErrorCode.DeadlineExceeded,
    `${pipeline}: next retry in ${delayMs} ms would pass the deadline (${Math.floor(remainingMs)} ms left)`,
    { cause },
  );
}

/** One attempt ran past its own timeout (transient: the retry layer may try again). */
export function attemptTimedOut(pipeline: string, timeoutMs: number): BulwarkError {
  return fastError(
    ErrorCode.AttemptTimeout,
    `${pipeline}: attempt timed out after ${timeoutMs} ms`,
  );
}

/** The retry budget of the key is spent; `cause` is the error that would have been retried. */
export function budgetExhausted(pipeline: string, cause: unknown): BulwarkError {
  return new BulwarkError(
    ErrorCode.RetryBudgetExhausted,
    `${pipeline}: retry budget exhausted, not retrying`,
    { cause },
  );
}

/** The server asked for a longer wait than the deadline leaves. */
export function retryAfterTooLong(
  pipeline: string,
  retryAfterMs: number,
  remainingMs: number,
  cause: unknown,
): BulwarkError {
  return new BulwarkError(
    ErrorCode.RetryAfterExceedsDeadline,
    `${pipeline}: server asked to retry after ${retryAfterMs} ms, only ${Math.floor(remainingMs)} ms left`,
    { cause, retryAfterMs },
  );
}

/** The caller's signal aborted; `cause` is the signal's reason. */
export function aborted(pipeline: string, reason: unknown): BulwarkError {
  return new BulwarkError(ErrorCode.Aborted, `${pipeline}: aborted by the caller`, {
    cause: reason,
  });
}
