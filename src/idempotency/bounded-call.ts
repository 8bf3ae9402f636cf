import { BulwarkError, ErrorCode, isBulwarkError } from '../errors.js';

/**
 * Runs one store call with a time bound. A store that throws, rejects or does
 * not answer within `timeoutMs` becomes a `BULWARK_IDEMPOTENCY_STORE_UNAVAILABLE`
 * error carrying `retryAfterMs`, so a slow store fails closed in bounded time
 * instead of hanging the request. The late answer of a timed-out call is ignored.
 */
export async function boundedStoreCall<T>(
  operation: string,
  call: () => Promise<T>,
  timeoutMs: number,
  retryAfterMs: number,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new BulwarkError(
          ErrorCode.IdempotencyStoreUnavailable,
          `idempotency store did not answer ${operation} within ${timeoutMs} ms`,
          { retryAfterMs },
        ),
      );
    }, timeoutMs);
  });
  const answer = Promise.resolve().then(call);
  answer.catch(() => {}); // a rejection after the timeout must not go unhandled
  try {
    return await Promise.race([answer, timeout]);
  } catch (error) {
    const unavailable = isBulwarkError(error, ErrorCode.IdempotencyStoreUnavailable);
    if (unavailable && error.retryAfterMs !== undefined) throw error;
    // Every failure carries a Retry-After, whether the store said so or not.
    throw new BulwarkError(
      ErrorCode.IdempotencyStoreUnavailable,
      unavailable ? error.message : `idempotency store failed on ${operation}`,
      { cause: error, retryAfterMs },
    );
  } finally {
    clearTimeout(timer);
  }
}
