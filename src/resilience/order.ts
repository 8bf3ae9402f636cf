import { ErrorCode, isBulwarkError } from '../errors.js';
import type { BreakerLayer } from './breaker.js';
import type { Call } from './call.js';
import { NOT_A_PROBE } from './circuit-breaker.js';
import { now } from './clock.js';
import type { Layers } from './pipeline.js';
import type { PipelineTelemetry } from './telemetry.js';

/**
 * THE order of the layers, outermost first, decided here and only here:
 *
 *   bulkhead → total deadline → retry → circuit breaker → attempt timeout → fn
 *
 * A switched-off layer (`false`) is skipped in place; the order of the
 * others never changes. The layers are steps of one call rather than nested
 * policies, so a successful call pays for a few branches, not for a promise
 * and a closure per layer.
 */
export async function runLayers<T>(
  call: Call<T>,
  layers: Layers,
  telemetry: PipelineTelemetry | undefined,
): Promise<T> {
  // 1. Bulkhead, outermost: a call holds one slot across all its attempts and
  //    backoffs, so retries can never multiply concurrency, and a rejected
  //    call costs the downstream nothing. Queue time has its own bound
  //    (queueTimeoutMs) and does not eat into the deadline.
  const bulkhead = layers.bulkhead?.bulkheadFor(call.options);
  if (bulkhead !== undefined) {
    const queued = bulkhead.acquire(call);
    if (queued !== undefined) await queued;
  }
  try {
    // 2. Total deadline, inside the bulkhead: it spans every attempt and
    //    every backoff, so retries can never outlive what the caller waits for.
    const totalMs = call.settings.totalTimeoutMs;
    if (totalMs !== undefined) call.startDeadline(now(), totalMs);
    try {
      return await retrying(call, layers, telemetry);
    } finally {
      call.stopDeadline();
    }
  } finally {
    bulkhead?.release();
  }
}

// 3. Retry, outside the breaker: every attempt asks the breaker, so a breaker
//    that opens mid-call stops the remaining retries at once (an open circuit
//    is never retried), and every attempt counts in the breaker's window.
async function retrying<T>(
  call: Call<T>,
  layers: Layers,
  telemetry: PipelineTelemetry | undefined,
): Promise<T> {
  const retry = layers.retry;
  retry?.recordCall(call, now());
  let delayMs = 0;
  for (;;) {
    try {
      return await guardedAttempt(call, layers.breaker, telemetry);
    } catch (error) {
      if (retry === undefined) throw error;
      delayMs = retry.nextDelay(call, error, delayMs);
      call.lastError = error;
      await call.sleep(delayMs);
    }
  }
}

// 4. Circuit breaker around each attempt, and 5. the attempt timeout
//    innermost (armed by `call.runAttempt()`): a timed-out attempt is a
//    failure the breaker sees, and the breaker's fast-fail never waits on a timer.
async function guardedAttempt<T>(
  call: Call<T>,
  breakers: BreakerLayer | undefined,
  telemetry: PipelineTelemetry | undefined,
): Promise<T> {
  let breaker: ReturnType<BreakerLayer['breakerFor']> | undefined;
  let permit = NOT_A_PROBE;
  if (breakers !== undefined) {
    const key = breakers.keyOf(call.options);
    call.key = key === '' ? undefined : key;
    breaker = breakers.breakerFor(key);
    permit = breaker.admit(now(), call.attempt + 1);
  }
  const startMs = telemetry?.metricsOn() === true ? now() : -1;
  try {
    const value = await call.runAttempt();
    breaker?.succeeded(permit, now(), call.attempt);
    if (startMs >= 0) telemetry?.recordAttempt(now() - startMs, undefined);
    return value;
  } catch (error) {
    if (breaker !== undefined) judge(breaker, breakers!, permit, call, error);
    if (startMs >= 0) telemetry?.recordAttempt(now() - startMs, error);
    throw error;
  } finally {
    call.endAttempt();
  }
}

function judge(
  breaker: NonNullable<ReturnType<BreakerLayer['breakerFor']>>,
  breakers: BreakerLayer,
  permit: number,
  call: Call<unknown>,
  error: unknown,
): void {
  // The caller gave up: that says nothing about the downstream.
  if (isBulwarkError(error, ErrorCode.Aborted) || !breakers.isFailure(error)) {
    breaker.released(permit);
  } else {
    breaker.failed(permit, now(), call.attempt, error);
  }
}
