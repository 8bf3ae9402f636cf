import { ErrorCode, isBulwarkError } from '../errors.js';
import type { Call } from './call.js';
import { NOT_A_PROBE } from './circuit-breaker.js';
import { now } from './clock.js';
import type { Layers } from './order.js';

/*
 * What happens around every attempt, whichever path runs it (see
 * `runLayers` in order.ts): the runnable check and the breaker's permit
 * before it, the breaker's verdict and the attempt's duration after it.
 */

/**
 * Checks the call may go on at clock time `nowMs`, asks its breaker for a
 * permit (throws when open) and starts the attempt's clock.
 */
export function openAttempt(call: Call<unknown>, layers: Layers, nowMs: number): void {
  // Before the breaker: an attempt that will not start must not take a probe or count.
  call.assertRunnable(nowMs);
  const breakers = layers.breaker;
  if (breakers !== undefined) {
    const key = breakers.keyOf(call.options);
    call.key = key === '' ? undefined : key;
    const breaker = breakers.breakerFor(key, call.attempt + 1);
    call.permit = breaker.admit(nowMs, call.attempt + 1);
    // Only once admitted: closeAttempt ends exactly the attempts a breaker let through.
    call.breaker = breaker;
  }
  call.attemptStartMs = call.metered ? nowMs : -1;
}

/** Ends the attempt: tells the breaker how it went and records its duration. */
export function closeAttempt(call: Call<unknown>, layers: Layers, error: unknown): void {
  call.endAttempt();
  const breaker = call.breaker;
  if (breaker === undefined && call.attemptStartMs < 0) return;
  const nowMs = now();
  if (breaker !== undefined) {
    const permit = call.permit;
    call.breaker = undefined;
    call.permit = NOT_A_PROBE;
    if (error === undefined) breaker.succeeded(permit, nowMs, call.attempt);
    // A caller's abort, or an error the breaker is told to ignore, says nothing about the downstream.
    else if (isBulwarkError(error, ErrorCode.Aborted) || !layers.breaker!.isFailure(error)) {
      breaker.released(permit);
    } else breaker.failed(permit, nowMs, call.attempt, error);
  }
  if (call.attemptStartMs >= 0) {
    layers.telemetry?.recordAttempt(nowMs - call.attemptStartMs, error);
  }
}
