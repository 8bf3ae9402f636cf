import { type BulwarkErrorCode, ErrorCode } from '../errors.js';

/*
 * The table of what each known error becomes: status, problem type, and
 * whether the client may retry later (then `Retry-After` is sent). The
 * idempotency rows use the same types and statuses as `idempotency()`
 * (express/idempotency-reply.ts), so a client sees one contract whichever
 * of the two answers.
 */

/** What one kind of error becomes on the wire. */
export interface ErrorKind {
  /** HTTP status. */
  readonly status: number;
  /** The problem `type` slug. */
  readonly slug: string;
  /** The problem `title`. */
  readonly title: string;
  /** The problem `detail`: fixed text. */
  readonly detail: string;
  /** Whether the answer carries `Retry-After`. */
  readonly retry?: true;
}

function final(status: number, slug: string, title: string, detail: string): ErrorKind {
  return { status, slug, title, detail };
}

function retryable(status: number, slug: string, title: string, detail: string): ErrorKind {
  return { status, slug, title, detail, retry: true };
}

// Details are fixed text, never the error's message: messages name hosts,
// breakers and values that are nobody's business outside the service.
const UNAVAILABLE = 'a downstream service is unavailable; retry later';
const OUTCOME_UNKNOWN =
  'the request did not complete within its deadline; retry with the same Idempotency-Key';

/**
 * A network failure of a downstream call (a reset, a refused or dropped
 * connection) that reached the error handler: the downstream may or may not
 * have acted, so the client retries with the same key rather than giving up.
 */
export const DOWNSTREAM_UNREACHABLE: ErrorKind = retryable(
  503,
  'downstream-unreachable',
  'Service unavailable',
  'a downstream call failed and its outcome is unknown; retry with the same Idempotency-Key',
);
/** Bulwark error codes the error handler maps; the rest become a plain 500. */
export const KINDS_BY_CODE: Partial<Record<BulwarkErrorCode, ErrorKind>> = {
  [ErrorCode.CircuitOpen]: retryable(503, 'circuit-open', 'Service unavailable', UNAVAILABLE),
  [ErrorCode.BulkheadFull]: retryable(
    503,
    'overloaded',
    'Service overloaded',
    'too many requests are in progress; retry later',
  ),
  [ErrorCode.RetryBudgetExhausted]: retryable(
    503,
    'retry-budget-exhausted',
    'Service unavailable',
    UNAVAILABLE,
  ),
  [ErrorCode.RetryAfterExceedsDeadline]: retryable(
    503,
    'downstream-busy',
    'Service unavailable',
    'a downstream service asked to wait longer than this request may take',
  ),
  // A deadline may pass while a downstream call is in flight: money may have
  // moved or not. 503 + Retry-After tells the client to retry with the same
  // key, and the re-run sends the downstream the same derived key and payment.
  [ErrorCode.DeadlineExceeded]: retryable(
    503,
    'deadline-exceeded',
    'Deadline exceeded',
    OUTCOME_UNKNOWN,
  ),
  [ErrorCode.AttemptTimeout]: retryable(
    503,
    'deadline-exceeded',
    'Deadline exceeded',
    OUTCOME_UNKNOWN,
  ),
  [ErrorCode.Aborted]: retryable(
    503,
    'aborted',
    'Request aborted',
    'the work was cancelled before it completed',
  ),
  [ErrorCode.PayloadTooLarge]: final(
    413,
    'payload-too-large',
    'Request body too large',
    'the request body is larger than allowed',
  ),
  [ErrorCode.IdempotencyKeyMissing]: final(
    400,
    'idempotency-key-missing',
    'Idempotency key required',
    'this request needs an Idempotency-Key header',
  ),
  [ErrorCode.IdempotencyKeyInvalid]: final(
    400,
    'idempotency-key-invalid',
    'Idempotency key invalid',
    'the Idempotency-Key header is malformed',
  ),
  [ErrorCode.IdempotencyMismatch]: final(
    422,
    'idempotency-mismatch',
    'Idempotency key reused with another request',
    'this Idempotency-Key was used with a different request',
  ),
  [ErrorCode.IdempotencyInFlight]: retryable(
    409,
    'idempotency-in-flight',
    'Request with this key in flight',
    'a request with this Idempotency-Key is still in progress',
  ),
  [ErrorCode.IdempotencyStoreUnavailable]: retryable(
    503,
    'idempotency-store-unavailable',
    'Idempotency store unavailable',
    'the request was not executed; retry with the same Idempotency-Key',
  ),
  [ErrorCode.IdempotencyOutcomeUnknown]: retryable(
    500,
    'idempotency-outcome-unknown',
    'Outcome unknown: retry with the same key',
    'retry with the same Idempotency-Key to learn the outcome',
  ),
  [ErrorCode.IdempotencyLeaseLost]: retryable(
    500,
    'idempotency-lease-lost',
    'Outcome unknown: retry with the same key',
    'retry with the same Idempotency-Key to learn the outcome',
  ),
};

/** cockatiel's own errors pass through bulwark unwrapped; they carry these flags. */
export const COCKATIEL_FLAGS: ReadonlyArray<readonly [flag: string, code: BulwarkErrorCode]> = [
  ['isBrokenCircuitError', ErrorCode.CircuitOpen],
  ['isBulkheadRejectedError', ErrorCode.BulkheadFull],
  ['isTaskCancelledError', ErrorCode.DeadlineExceeded],
];

/** body-parser (`express.json()` and friends) marks its errors with `type`. */
export const BODY_PARSER_KINDS: Readonly<Record<string, ErrorKind>> = {
  'entity.too.large': final(
    413,
    'payload-too-large',
    'Request body too large',
    'the request body is larger than allowed',
  ),
  'parameters.too.many': final(
    413,
    'payload-too-large',
    'Request body too large',
    'the request body has too many parameters',
  ),
  'entity.parse.failed': final(
    400,
    'malformed-body',
    'Malformed body',
    'the request body could not be parsed',
  ),
  'request.size.invalid': final(
    400,
    'malformed-body',
    'Malformed body',
    'the request body does not match its Content-Length',
  ),
  'request.aborted': final(
    400,
    'request-aborted',
    'Request aborted',
    'the client aborted the request body',
  ),
  'encoding.unsupported': final(
    415,
    'unsupported-encoding',
    'Unsupported encoding',
    'the Content-Encoding is not supported',
  ),
  'charset.unsupported': final(
    415,
    'unsupported-encoding',
    'Unsupported charset',
    'the charset is not supported',
  ),
};
