import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, isBulwarkError, resilient } from '../../src/index.js';
import { recordEvents, resetError, settle } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('retry budget (defaults: +20 % of calls, floor 10 retries/s, 10 s window)', () => {
  it('caps retries under a burst of failures and fails the rest with the original error as cause', async () => {
    const pipeline = resilient('bank', { breaker: false });
    const events = recordEvents(pipeline);
    let attempts = 0;
    const failure = resetError();
    const calls = Array.from({ length: 200 }, () =>
      settle(
        pipeline.execute(() => {
          attempts++;
          throw failure;
        }),
      ),
    );
    await vi.advanceTimersByTimeAsync(30_000);
    const outcomes = await Promise.all(calls);
    // 200 calls deposit 40 retries, plus the floor of 100 in the window: 140 retries, not 600.
    expect(attempts).toBe(340);
    const exhausted = events.filter((e) => e.name === 'retry_budget_exhausted');
    expect(exhausted).toHaveLength(200);
    for (const { error } of outcomes) {
      expect(isBulwarkError(error, ErrorCode.RetryBudgetExhausted)).toBe(true);
      expect((error as Error).cause).toBe(failure);
    }
  });

  it('refills as the window slides', async () => {
    const pipeline = resilient('bank', {
      breaker: false,
      retry: { maxRetries: 1, budget: { ratio: 0, minRetriesPerSecond: 0.1 } },
    });
    const failing = () => {
      throw resetError();
    };
    // Floor: 0.1/s × 10 s = 1 retry per window.
    const first = settle(pipeline.execute(failing));
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await first).error).toMatchObject({ code: 'ECONNRESET' });
    const second = await settle(pipeline.execute(failing));
    expect((second.error as { code: string }).code).toBe(ErrorCode.RetryBudgetExhausted);
    await vi.advanceTimersByTimeAsync(11_000);
    const third = settle(pipeline.execute(failing));
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await third).error).toMatchObject({ code: 'ECONNRESET' });
  });

  it('keeps one budget per call key', async () => {
    const pipeline = resilient('bank', {
      breaker: false,
      retry: { maxRetries: 1, budget: { ratio: 0, minRetriesPerSecond: 0.1 } },
    });
    const failing = () => {
      throw resetError();
    };
    const a1 = settle(pipeline.execute(failing, { key: 'a' }));
    await vi.advanceTimersByTimeAsync(1_000);
    await a1;
    const a2 = await settle(pipeline.execute(failing, { key: 'a' }));
    expect((a2.error as { code: string }).code).toBe(ErrorCode.RetryBudgetExhausted);
    const b1 = settle(pipeline.execute(failing, { key: 'b' }));
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await b1).error).toMatchObject({ code: 'ECONNRESET' });
  });

  it('can be switched off', async () => {
    const pipeline = resilient('bank', { breaker: false, retry: { budget: false } });
    let attempts = 0;
    const calls = Array.from({ length: 200 }, () =>
      settle(
        pipeline.execute(() => {
          attempts++;
          throw resetError();
        }),
      ),
    );
    await vi.advanceTimersByTimeAsync(30_000);
    await Promise.all(calls);
    expect(attempts).toBe(800);
  });
});
