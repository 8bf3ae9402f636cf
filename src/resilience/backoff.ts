/**
 * Jittered exponential backoff. Both kinds draw from `[baseDelayMs, cap]`, so
 * a delay is never below the base and never zero, whatever the random source
 * returns, and the exponent is bounded so the math stays integer-safe
 * (cockatiel's decorrelated jitter once returned NaN after ~1,025 attempts).
 */

/** `full`: uniform in [base, min(cap, base·2^retry)]; `decorrelated`: uniform in [base, min(cap, previous·3)]. */
export type Jitter = 'full' | 'decorrelated';

/** Inputs of one backoff computation. */
export interface BackoffInput {
  readonly jitter: Jitter;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** 1 for the delay before the first retry. */
  readonly retry: number;
  /** The previous delay (decorrelated jitter), or 0 before the first retry. */
  readonly previousMs: number;
  /** A source of uniform numbers in [0, 1). */
  readonly random: () => number;
}

const MAX_EXPONENT = 30;

/** The delay before the next retry, in whole milliseconds, within [baseDelayMs, maxDelayMs]. */
export function backoffDelay(input: BackoffInput): number {
  const { baseDelayMs: base, maxDelayMs: cap } = input;
  const ceiling =
    input.jitter === 'full'
      ? base * 2 ** Math.min(input.retry, MAX_EXPONENT)
      : Math.max(base, input.previousMs) * 3;
  const high = Math.min(cap, ceiling);
  const unit = clampUnit(input.random());
  return Math.round(base + unit * (high - base));
}

function clampUnit(value: number): number {
  // A broken random source must not produce NaN or negative delays.
  if (!(value >= 0)) return 0;
  return Math.min(value, 1);
}
