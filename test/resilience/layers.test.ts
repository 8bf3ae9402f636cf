import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, isBulwarkError, resilient } from '../../src/index.js';
import {
  attemptTimeoutPolicy,
  bulkheadPolicy,
  deadlinePolicy,
  retryPolicy,
} from '../../src/resilience/index.js';
import { httpError, never, recordEvents, resetError, settle } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('single layers', () => {
  it('retryPolicy retries alone, asking shouldRetry with the error and the attempt', async () => {
    const asked: Array<[string, number]> = [];
    const retry = retryPolicy('bank', {
      maxRetries: 2,
      random: () => 0,
      shouldRetry: (error, attempt) => {
        asked.push([(error as Error).message, attempt]);
        return true;
      },
    });
    let calls = 0;
    const outcome = settle(
      retry.execute(() => {
        calls++;
        throw new Error(`fail ${calls}`);
      }),
    );
    await vi.advanceTimersByTimeAsync(5_000);
    expect((await outcome).error).toMatchObject({ message: 'fail 3' });
    expect(asked).toEqual([
      ['fail 1', 1],
      ['fail 2', 2],
    ]);
  });

  it('retryPolicy without a deadline refuses a server delay beyond maxDelayMs', async () => {
    const retry = retryPolicy('bank', { maxDelayMs: 5_000 });
    const outcome = settle(retry.execute(() => Promise.reject(httpError(503, 3_600_000))));
    await vi.advanceTimersByTimeAsync(0);
    const { error } = await outcome;
    expect(isBulwarkError(error, ErrorCode.RetryAfterExceedsDeadline)).toBe(true);
  });

  it('full jitter stays within [base, base·2^retry]', async () => {
    const retry = retryPolicy('bank', {
      jitter: 'full',
      baseDelayMs: 100,
      maxRetries: 3,
      random: () => 0.999999,
    });
    const events = recordEvents(retry);
    const outcome = settle(retry.execute(() => Promise.reject(resetError())));
    await vi.advanceTimersByTimeAsync(5_000);
    await outcome;
    expect(events.map((e) => e.delayMs)).toEqual([200, 400, 800]);
  });

  it('deadlinePolicy fails a slow call with BULWARK_DEADLINE_EXCEEDED and aborts its signal', async () => {
    const deadline = deadlinePolicy('report', { totalTimeoutMs: 1_000 });
    let signal: AbortSignal | undefined;
    const outcome = settle(
      deadline.execute((context) => {
        signal = context.signal;
        return never();
      }),
    );
    await vi.advanceTimersByTimeAsync(1_010);
    expect((await outcome).error).toMatchObject({ code: ErrorCode.DeadlineExceeded });
    expect(signal?.aborted).toBe(true);
  });

  it('attemptTimeoutPolicy times out one attempt and does not retry it', async () => {
    const timeout = attemptTimeoutPolicy('ledger', { timeoutMs: 500 });
    let calls = 0;
    const outcome = settle(
      timeout.execute(() => {
        calls++;
        return never();
      }),
    );
    await vi.advanceTimersByTimeAsync(2_000);
    expect((await outcome).error).toMatchObject({ code: ErrorCode.AttemptTimeout });
    expect(calls).toBe(1);
  });

  it('bulkheadPolicy bounds its keys and refuses a new key rather than forget a busy one', async () => {
    const bulkhead = bulkheadPolicy('ledger', {
      maxConcurrent: 1,
      maxQueued: 0,
      maxKeys: 2,
      keyBy: (options) => options.key,
    });
    const hold: Array<() => void> = [];
    const task = () => new Promise<void>((resolve) => hold.push(resolve));
    const a = settle(bulkhead.execute(task, { key: 'a' }));
    const b = settle(bulkhead.execute(task, { key: 'b' }));
    const c = await settle(bulkhead.execute(task, { key: 'c' })); // both slots busy: refused
    expect(isBulwarkError(c.error, ErrorCode.BulkheadFull)).toBe(true);
    // "a" keeps its bulkhead: its running call still counts, so a second one is refused.
    const again = await settle(bulkhead.execute(task, { key: 'a' }));
    expect(isBulwarkError(again.error, ErrorCode.BulkheadFull)).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(hold).toHaveLength(2);
    for (const release of hold) release();
    await Promise.all([a, b]);
    // Both idle now: "c" takes the least recently used slot.
    const later = settle(bulkhead.execute(task, { key: 'c' }));
    await vi.advanceTimersByTimeAsync(0);
    hold[2]!();
    expect((await later).error).toBeUndefined();
  });
});

describe('layers switched off', () => {
  it('runs fn once with no timers when every layer is off', async () => {
    const pipeline = resilient('bare', {
      bulkhead: false,
      deadline: false,
      retry: false,
      breaker: false,
      attemptTimeout: false,
    });
    let calls = 0;
    const outcome = settle(
      pipeline.execute(() => {
        calls++;
        throw resetError();
      }),
    );
    expect((await outcome).error).toMatchObject({ code: 'ECONNRESET' });
    expect(calls).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('with the deadline off, the attempt timeout alone bounds each attempt', async () => {
    const pipeline = resilient('bank', {
      deadline: false,
      attemptTimeout: { timeoutMs: 100 },
      retry: { maxRetries: 1, random: () => 0 },
    });
    let calls = 0;
    const outcome = settle(
      pipeline.execute(() => {
        calls++;
        return never();
      }),
    );
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await outcome).error).toMatchObject({ code: ErrorCode.AttemptTimeout });
    expect(calls).toBe(2);
  });
});
