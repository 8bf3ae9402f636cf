/**
 * Jittered exponential backoff. Both kinds draw from `[baseDelayMs, cap]`, so
 * a delay is never below the base and never zero, whatever the random source
 * returns, and the exponent is bounded so the math stays integer-safe
 * (cockatiel's decorrelated jitter once returned NaN after ~1,025 attempts).
 */

/** `full`: uniform in [base, min(cap, base·2^retry)]; `decorrelated`: uniform in [base, min(cap, previous·3)]. */
export type Jitter = 'full' | 'decorrelated';

/** The settings a backoff is computed from. */
export interface ResolvedBackoffOptions {
  readonly jitter: Jitter;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A source of uniform numbers in [0, 1). */
  readonly random: () => number;
}

const MAX_EXPONENT = 30;

/**
 * The delay before retry number `retry` (1 = first retry), in whole
 * milliseconds within [baseDelayMs, maxDelayMs]; `previousMs` is the delay
 * before the previous retry (decorrelated jitter), or 0.
 */
export function backoffDelay(
  config: ResolvedBackoffOptions,
  retry: number,
  previousMs: number,
): number {
  const { baseDelayMs: base, maxDelayMs: cap } = config;
  const ceiling =
    config.jitter === 'full'
      ? base * 2 ** Math.min(retry, MAX_EXPONENT)
      : Math.max(base, previousMs) * 3;
  const high = Math.min(cap, ceiling);
  const unit = clampUnit(config.random());
  return Math.round(base + unit * (high - base));
}

function clampUnit(value: number): number {
  // A broken random source must not produce NaN or negative delays.
  if (!(value >= 0)) return 0;
  return Math.min(value, 1);
}
