import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, isBulwarkError, resilient } from '../../src/index.js';
import { httpError, names, recordEvents, resetError, settle } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('server-directed delays (retryAfterMs on any thrown error)', () => {
  it('waits the server delay when it is longer than the backoff', async () => {
    const pipeline = resilient('bank', { retry: { random: () => 0 } });
    const startedAt: number[] = [];
    const outcome = pipeline.execute(({ attempt }) => {
      startedAt.push(performance.now());
      if (attempt === 1) throw httpError(503, 3_000);
      return 'ok';
    });
    await vi.advanceTimersByTimeAsync(2_999);
    expect(startedAt).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await outcome).toBe('ok');
  });

  it('honours retryAfterMs on an error of any kind, not only HTTP ones', async () => {
    const pipeline = resilient('bank', { retry: { random: () => 0 } });
    const events = recordEvents(pipeline);
    const outcome = pipeline.execute(({ attempt }) => {
      if (attempt === 1) throw Object.assign(resetError(), { retryAfterMs: 1_500 });
      return 'ok';
    });
    await vi.advanceTimersByTimeAsync(1_500);
    expect(await outcome).toBe('ok');
    expect(events[0]).toMatchObject({ name: 'retry', delayMs: 1_500, attempt: 1 });
  });

  it('fails at once with BULWARK_RETRY_AFTER_EXCEEDS_DEADLINE when the server asks for more than remains', async () => {
    const pipeline = resilient('bank');
    const served = httpError(429, 60_000);
    let calls = 0;
    const outcome = settle(
      pipeline.execute(() => {
        calls++;
        throw served;
      }),
    );
    await vi.advanceTimersByTimeAsync(0);
    const { error } = await outcome;
    expect(isBulwarkError(error, ErrorCode.RetryAfterExceedsDeadline)).toBe(true);
    expect((error as Error).cause).toBe(served);
    expect((error as { retryAfterMs?: number }).retryAfterMs).toBe(60_000);
    expect(calls).toBe(1);
  });

  it('clamps to the remaining deadline: a delay that fits late in the call still fails fast', async () => {
    const pipeline = resilient('bank', { deadline: { totalTimeoutMs: 5_000 } });
    let calls = 0;
    const outcome = settle(
      pipeline.execute(async () => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        throw httpError(503, 2_500);
      }),
    );
    await vi.advanceTimersByTimeAsync(3_000);
    const { error } = await outcome;
    expect(isBulwarkError(error, ErrorCode.RetryAfterExceedsDeadline)).toBe(true);
    expect(calls).toBe(1);
  });

  it('fails at once with BULWARK_DEADLINE_EXCEEDED when the deadline is shorter than one backoff', async () => {
    const pipeline = resilient('bank', {
      deadline: { totalTimeoutMs: 150 },
      retry: { baseDelayMs: 200 },
    });
    const events = recordEvents(pipeline);
    const failure = resetError();
    const outcome = settle(
      pipeline.execute(() => {
        throw failure;
      }),
    );
    await vi.advanceTimersByTimeAsync(0);
    const { error } = await outcome;
    expect(isBulwarkError(error, ErrorCode.DeadlineExceeded)).toBe(true);
    expect((error as Error).cause).toBe(failure);
    expect(names(events)).toEqual(['deadline_exceeded']);
  });

  it('ignores retryAfterMs when honorRetryAfter is false', async () => {
    const pipeline = resilient('bank', { retry: { honorRetryAfter: false, random: () => 0 } });
    const outcome = pipeline.execute(({ attempt }) => {
      if (attempt === 1) throw httpError(503, 60_000);
      return 'ok';
    });
    await vi.advanceTimersByTimeAsync(200);
    expect(await outcome).toBe('ok');
  });
});
