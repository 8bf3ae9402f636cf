import { closeAttempt, openAttempt } from './attempt-steps.js';
import type { BreakerLayer } from './breaker.js';
import type { Bulkhead, BulkheadLayer } from './bulkhead.js';
import type { Call } from './call.js';
import { now } from './clock.js';
import type { RetryLayer } from './retry.js';
import type { PipelineTelemetry } from './telemetry.js';

/** The resolved layers of a pipeline; `undefined` = switched off. */
export interface Layers {
  readonly bulkhead: BulkheadLayer | undefined;
  readonly retry: RetryLayer | undefined;
  readonly breaker: BreakerLayer | undefined;
  readonly telemetry: PipelineTelemetry | undefined;
}

/**
 * THE order of the layers, outermost first, decided here and only here:
 *
 *   bulkhead → total deadline → retry → circuit breaker → attempt timeout → fn
 *
 * A switched-off layer (`false`) is skipped in place; the order of the
 * others never changes. The layers are steps of plain functions rather than
 * nested policies: a call pays for a few branches, not for a promise, a
 * closure and a rethrow per layer (a rejected promise costs ~1 µs here).
 */
export function runLayers<T>(call: Call<T>, layers: Layers): Promise<T> {
  // 1. Bulkhead, outermost: a call holds one slot across all its attempts and
  //    backoffs, so retries can never multiply concurrency, and a rejected
  //    call costs the downstream nothing. Queue time has its own bound
  //    (queueTimeoutMs) and does not eat into the deadline.
  call.settings.counts.calls++;
  let bulkhead: Bulkhead | undefined;
  try {
    bulkhead = layers.bulkhead?.bulkheadFor(call.options);
    const queued = bulkhead?.acquire(call);
    // A waiter that is not granted a slot (timeout, abort) has none to release.
    if (queued !== undefined) {
      return queued.then(() => startCall(call, layers, bulkhead), countFailure(call));
    }
  } catch (error) {
    call.settings.counts.failures++;
    return Promise.reject(error);
  }
  return startCall(call, layers, bulkhead);
}

/**
 * Starts the deadline and runs the first attempt. Not an async function on
 * purpose: a successful first attempt (the common case) settles through one
 * `then`, ~30 ns cheaper than an async frame and its await. A failed one
 * goes on in {@link retryLoop}. Every path ends in {@link endCall}.
 */
function startCall<T>(call: Call<T>, layers: Layers, bulkhead: Bulkhead | undefined): Promise<T> {
  // 2. Total deadline, inside the bulkhead: it spans every attempt and every
  //    backoff, so retries can never outlive what the caller waits for.
  const totalMs = call.settings.totalTimeoutMs;
  const startMs = now();
  if (totalMs !== undefined) call.startDeadline(startMs, totalMs);
  let first: Promise<T>;
  try {
    // 3. Retry, outside the breaker: every attempt asks the breaker, so a
    //    breaker that opens mid-call stops the remaining retries at once (an
    //    open circuit is never retried), and every attempt counts in its window.
    layers.retry?.recordCall(call, startMs);
    // 4. Circuit breaker around each attempt, and 5. the attempt timeout
    //    innermost (armed by runAttempt): a timed-out attempt is a failure
    //    the breaker sees, and the breaker's fast-fail never waits on a timer.
    //    The first attempt opens at the call's start: only bookkeeping ran
    //    since, and a clock read costs ~50 ns, a tenth of the whole call.
    openAttempt(call, layers, startMs);
    first = call.runAttempt(startMs);
  } catch (error) {
    call.settings.counts.failures++;
    endCall(call, bulkhead);
    return Promise.reject(error);
  }
  return first.then(
    (value) => {
      try {
        closeAttempt(call, layers, undefined);
      } finally {
        endCall(call, bulkhead);
      }
      return value;
    },
    (error: unknown) => {
      let delayMs: number;
      try {
        delayMs = afterFailure(call, layers, error, 0);
      } catch (final) {
        // Thrown from the handler, not returned as a rejected async result:
        // a promise rejected before anyone handles it costs ~1 µs in Node.
        call.settings.counts.failures++;
        endCall(call, bulkhead);
        throw final;
      }
      return retryLoop(call, layers, bulkhead, delayMs);
    },
  );
}

/**
 * Backs off `firstDelayMs` and runs the next attempt (steps 3-5, as in
 * {@link startCall}), and so on until one succeeds or the retry layer says stop.
 */
async function retryLoop<T>(
  call: Call<T>,
  layers: Layers,
  bulkhead: Bulkhead | undefined,
  firstDelayMs: number,
): Promise<T> {
  try {
    for (let delayMs = firstDelayMs; ; ) {
      await call.sleep(delayMs);
      const openedMs = now();
      openAttempt(call, layers, openedMs);
      try {
        const value = await call.runAttempt(openedMs);
        closeAttempt(call, layers, undefined);
        return value;
      } catch (error) {
        delayMs = afterFailure(call, layers, error, delayMs);
      }
    }
  } catch (error) {
    call.settings.counts.failures++;
    throw error;
  } finally {
    endCall(call, bulkhead);
  }
}

/**
 * Closes a failed attempt and returns the delay before the next one, or
 * throws the error the call fails with (no retry layer, or it says stop).
 */
function afterFailure(call: Call<unknown>, layers: Layers, error: unknown, previousMs: number) {
  closeAttempt(call, layers, error);
  if (layers.retry === undefined) throw error;
  const delayMs = layers.retry.nextDelay(call, error, previousMs);
  call.lastError = error;
  return delayMs;
}

/** Counts a call that failed before it started (a queued call refused a slot), and rethrows. */
function countFailure(call: Call<unknown>): (error: unknown) => never {
  return (error) => {
    call.settings.counts.failures++;
    throw error;
  };
}

/** The call settled: its timer goes, and its bulkhead slot passes on. */
function endCall(call: Call<unknown>, bulkhead: Bulkhead | undefined): void {
  call.stopTimers();
  bulkhead?.release();
}
