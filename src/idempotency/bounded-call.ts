import { BulwarkError, ErrorCode, isBulwarkError } from '../errors.js';
import { now } from '../resilience/clock.js';
import { schedule, TimerEntry } from '../resilience/timer-wheel.js';

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
 * times per idempotent request, and every promise and timer saved counts.
 */
export function boundedStoreCall<T>(
  operation: string,
  call: () => Promise<T>,
  timeoutMs: number,
  retryAfterMs: number,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const bound = new StoreCallBound(reject, operation, timeoutMs, retryAfterMs);
    schedule(bound, now() + timeoutMs);
    let answer: Promise<T>;
    try {
      answer = call();
    } catch (error) {
      bound.fail(error);
      return;
    }
    // Once the bound rejected, these settle nothing: the late answer is ignored.
    Promise.resolve(answer).then((value) => {
      bound.cancelTimer();
      resolve(value);
    }, bound.fail);
  });
}

/** The deadline of one store call: its own timer entry, so scheduling allocates nothing more. */
class StoreCallBound extends TimerEntry {
  readonly reject: (error: BulwarkError) => void;
  readonly operation: string;
  readonly timeoutMs: number;
  readonly retryAfterMs: number;

  constructor(
    reject: (error: BulwarkError) => void,
    operation: string,
    timeoutMs: number,
    retryAfterMs: number,
  ) {
    super();
    this.reject = reject;
    this.operation = operation;
    this.timeoutMs = timeoutMs;
    this.retryAfterMs = retryAfterMs;
  }

  onTimer(): void {
    this.reject(
      new BulwarkError(
        ErrorCode.IdempotencyStoreUnavailable,
        `idempotency store did not answer ${this.operation} within ${this.timeoutMs} ms`,
        { retryAfterMs: this.retryAfterMs },
      ),
    );
  }

  readonly fail = (error: unknown): void => {
    this.cancelTimer();
    this.reject(unavailable(error, this.operation, this.retryAfterMs));
  };
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
