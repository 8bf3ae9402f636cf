import {
  ConsecutiveBreaker,
  circuitBreaker,
  fallback,
  handleAll,
  isBrokenCircuitError,
  wrap,
} from 'cockatiel';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resilient } from '../../src/index.js';
import { retryPolicy } from '../../src/resilience/index.js';
import { resetError, settle } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('composition with cockatiel', () => {
  it('sits inside cockatiel wrap() as an IPolicy, receiving the signal', async () => {
    const pipeline = resilient('bank');
    const policy = wrap(fallback(handleAll, 'fallback'), pipeline);
    const controller = new AbortController();
    let sawSignal = false;
    const result = await policy.execute(({ signal, attempt }) => {
      sawSignal = signal instanceof AbortSignal && attempt === 1;
      throw new Error('not transient');
    }, controller.signal);
    expect(result).toBe('fallback');
    expect(sawSignal).toBe(true);
  });

  it('runs an application cockatiel policy around each attempt with `inner`', async () => {
    const appBreaker = circuitBreaker(handleAll, {
      halfOpenAfter: 60_000,
      breaker: new ConsecutiveBreaker(2),
    });
    const pipeline = resilient('bank', { inner: appBreaker, retry: { random: () => 0 } });
    let calls = 0;
    const outcome = settle(
      pipeline.execute(({ attempt, remainingMs }) => {
        calls++;
        expect(attempt).toBe(calls);
        expect(remainingMs).toBeGreaterThan(0);
        throw resetError();
      }),
    );
    await vi.advanceTimersByTimeAsync(30_000);
    const { error } = await outcome;
    // cockatiel's breaker opened after 2 failures; its BrokenCircuitError is not retried.
    expect(isBrokenCircuitError(error)).toBe(true);
    expect(calls).toBe(2);
  });

  it('lets a single layer be wrapped with a cockatiel policy', async () => {
    const retry = retryPolicy('bank', { maxRetries: 1, random: () => 0 });
    const policy = wrap(retry, fallback(handleAll, 'inner fallback'));
    expect(await policy.execute(() => Promise.reject(resetError()))).toBe('inner fallback');
  });
});
