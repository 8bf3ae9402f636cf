/**
 * The baselines of the policy scenarios, configured as a careful user would
 * configure them by hand: cockatiel's four policies wrapped in bulwark's
 * order (bulkhead, retry, breaker, cooperative timeout) and opossum's breaker
 * with a timeout. The work they wrap is an async function that resolves, or
 * rejects with a business error (402) that no layer should retry or count.
 */
import {
  bulkhead,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  retry,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel';
import CircuitBreaker from 'opossum';

/** The attempt timeout every library gets, in milliseconds. */
export const TIMEOUT_MS = 1000;

/** The error of the failing path: a declined payment, final, not transient. */
export function declined() {
  return Object.assign(new Error('card declined'), { status: 402 });
}

/** 4xx answers are final: retrying or tripping a breaker on them is wrong. */
export function isTransient(error) {
  return !(error?.status >= 400 && error?.status < 500);
}

/** The downstream call: resolves a value, or rejects with a business error. */
export const work = {
  succeed: async () => 42,
  fail: async () => {
    throw declined();
  },
};

/** Swallows the expected rejection of the failing path. */
export function ignore() {}

/**
 * cockatiel's wrap(bulkhead, retry, breaker, cooperative timeout). By default
 * cockatiel's timeout aborts its signal when the call returns (`abortOnReturn`),
 * which costs an AbortError with a stack trace per call; `tuned` turns that off.
 */
export function cockatielWrap({ tuned = false } = {}) {
  const transient = handleWhen(isTransient);
  return wrap(
    bulkhead(10, 100),
    retry(transient, { maxAttempts: 3, backoff: new ExponentialBackoff() }),
    circuitBreaker(transient, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }),
    timeout(TIMEOUT_MS, { strategy: TimeoutStrategy.Cooperative, abortOnReturn: !tuned }),
  );
}

/** opossum's breaker around `fn`, with a timeout; 4xx errors do not count. */
export function opossumBreaker(fn) {
  return new CircuitBreaker(fn, {
    timeout: TIMEOUT_MS,
    errorFilter: (error) => !isTransient(error),
  });
}
