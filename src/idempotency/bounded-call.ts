import { BulwarkError, ErrorCode, isBulwarkError } from '../errors.js';

/**
 * Runs one store call with a time bound. A store that throws, rejects or does
 * not answer within `timeoutMs` becomes a `BULWARK_IDEMPOTENCY_STORE_UNAVAILABLE`
 * error carrying `retryAfterMs`, so a slow store fails closed in bounded time
 * instead of hanging the request. The late answer of a timed-out call is ignored.
 *
 * Written with one explicit promise rather than `Promise.race` in an async
 * function: this runs two or three times per idempotent request, and every
 * promise saved counts once async hooks (OTel context, tenant) are active.
 */
export function boundedStoreCall<T>(
  operation: string,
  call: () => Promise<T>,
  timeoutMs: number,
  retryAfterMs: number,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new BulwarkError(
          ErrorCode.IdempotencyStoreUnavailable,
          `idempotency store did not answer ${operation} within ${timeoutMs} ms`,
          { retryAfterMs },
        ),
      );
    }, timeoutMs);
    const fail = (error: unknown): void => {
      clearTimeout(timer);
      reject(unavailable(error, operation, retryAfterMs));
    };
    let answer: Promise<T>;
    try {
      answer = call();
    } catch (error) {
      fail(error);
      return;
    }
    // Once the timeout rejected, these settle nothing: the late answer is ignored.
    Promise.resolve(answer).then((value) => {
      clearTimeout(timer);
      resolve(value);
    }, fail);
  });
}

/** Every failure carries a Retry-After, whether the store said so or not. */
function unavailable(error: unknown, operation: string, retryAfterMs: number): BulwarkError {
  const isUnavailable = isBulwarkError(error, ErrorCode.IdempotencyStoreUnavailable);
  if (isUnavailable && error.retryAfterMs !== undefined) return error;
  return new BulwarkError(
    ErrorCode.IdempotencyStoreUnavailable,
    isUnavailable ? error.message : `idempotency store failed on ${operation}`,
    { cause: error, retryAfterMs },
  );
}
