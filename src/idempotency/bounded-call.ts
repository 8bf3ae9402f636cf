import { BulwarkError, ErrorCode, isBulwarkError } from '../errors.js';
import { now } from '../resilience/clock.js';
import { TimerSlot } from '../resilience/timer-wheel.js';

/**
 * Runs one store call with a time bound. A store that throws, rejects or does
 * not answer within `timeoutMs` (up to one tick of the shared timer later)
 * becomes a `BULWARK_IDEMPOTENCY_STORE_UNAVAILABLE` error carrying
 * `retryAfterMs`, so a slow store fails closed in bounded time instead of
 * hanging the request. The late answer of a timed-out call is ignored.
 *
 * Written with one explicit promise rather than `Promise.race` in an async
 * function, and bounded by the process-wide timer wheel (the one resilience
 * pipelines use) rather than a `setTimeout` per call: this runs two or three
 * times per idempotent request (see `benchmarks/scenarios/idempotency-stores.mjs`
 * and `http-server.mjs`).
 */
export function boundedStoreCall<T>(
  operation: string,
  call: () => Promise<T>,
  timeoutMs: number,
  retryAfterMs: number,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const bound = new TimerSlot(() => reject(timedOut(operation, timeoutMs, retryAfterMs)));
    const fail = (error: unknown): void => {
      bound.cancel();
      reject(unavailable(error, operation, retryAfterMs));
    };
    bound.schedule(now() + timeoutMs);
    let answer: Promise<T>;
    try {
      answer = call();
    } catch (error) {
      fail(error);
      return;
    }
    // Once the bound rejected, these settle nothing: the late answer is ignored.
    Promise.resolve(answer).then((value) => {
      bound.cancel();
      resolve(value);
    }, fail);
  });
}

/**
 * A store call to a store that settles before its promise is handed back
 * (`MemoryStore`, whose methods run synchronously to completion): it cannot
 * hang, so no time bound is armed, and a failure still becomes
 * `BULWARK_IDEMPOTENCY_STORE_UNAVAILABLE` (fail closed), as with
 * {@link boundedStoreCall}. It saves a timer-wheel slot, an explicit promise
 * and their closures on each of the two or three store calls of a request
 * (`benchmarks/scenarios/http-server-fastify.mjs`, profiled by
 * `benchmarks/profile/fastify-cpu.mjs`).
 */
export async function settledStoreCall<T>(
  operation: string,
  call: () => Promise<T>,
  retryAfterMs: number,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw unavailable(error, operation, retryAfterMs);
  }
}

function timedOut(operation: string, timeoutMs: number, retryAfterMs: number): BulwarkError {
  return new BulwarkError(
    ErrorCode.IdempotencyStoreUnavailable,
    `idempotency store did not answer ${operation} within ${timeoutMs} ms`,
    { retryAfterMs },
  );
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
