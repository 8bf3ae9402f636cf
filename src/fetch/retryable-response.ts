import { ErrorCode, isBulwarkError } from '../errors.js';

/**
 * Thrown inside an attempt when the server answered with a status that says
 * "try again" (503, 429, 409 in flight, ...), so that the pipeline's retry,
 * budget and breaker see it. Carries `status` (which the shared transient
 * predicate reads) and `retryAfterMs` (which the retry layer honours). When
 * no retry follows, the wrapper hands the held response back to the caller,
 * as plain `fetch` would have: a status is an answer, not an exception.
 */
export class RetryableResponseError extends Error {
  readonly status: number;
  readonly retryAfterMs: number | undefined;
  readonly response: Response;

  constructor(response: Response, retryAfterMs: number | undefined) {
    super(`HTTP ${response.status} from ${new URL(response.url || 'http://unknown').origin}`);
    this.name = 'RetryableResponseError';
    this.status = response.status;
    this.retryAfterMs = retryAfterMs;
    this.response = response;
  }
}

/**
 * The response to give the caller when a call ended on a retryable status:
 * the retries ran out (the last attempt's error) or the retry budget was spent
 * (which keeps the original error as its cause). Any other failure (deadline,
 * open breaker, abort, a `Retry-After` past the deadline) stays an error.
 */
export function finalResponseOf(error: unknown): Response | undefined {
  if (error instanceof RetryableResponseError) return error.response;
  if (
    isBulwarkError(error, ErrorCode.RetryBudgetExhausted) &&
    error.cause instanceof RetryableResponseError
  ) {
    return error.cause.response;
  }
  return undefined;
}

/** Frees the connection behind a response nobody will read. */
export function discard(response: Response | undefined): void {
  if (response?.body && !response.bodyUsed) response.body.cancel().catch(() => {});
}
