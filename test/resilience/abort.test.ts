import { ConstantBackoff, handleAll, retry } from 'cockatiel';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, isBulwarkError, resilient } from '../../src/index.js';
import { watchableAttempt } from '../../src/resilience/call.js';
import { never, recordEvents, resetError, settle } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('cancellation', () => {
  it('cockatiel 3.2.1 starts another attempt after the abort (the defect bulwark must not have)', async () => {
    const policy = retry(handleAll, { maxAttempts: 1, backoff: new ConstantBackoff(2_000) });
    const controller = new AbortController();
    let calls = 0;
    const outcome = settle(
      policy.execute(() => {
        calls++;
        throw resetError();
      }, controller.signal),
    );
    await vi.advanceTimersByTimeAsync(50);
    controller.abort();
    await vi.advanceTimersByTimeAsync(2_100);
    await outcome;
    expect(calls).toBe(2);
  });

  it('starts no attempt after the caller aborts during the backoff, and rejects at once', async () => {
    const pipeline = resilient('bank', { retry: { baseDelayMs: 2_000, random: () => 0 } });
    const controller = new AbortController();
    let calls = 0;
    const outcome = settle(
      pipeline.execute(
        () => {
          calls++;
          throw resetError();
        },
        { signal: controller.signal },
      ),
    );
    await vi.advanceTimersByTimeAsync(50);
    const reason = new Error('user left');
    controller.abort(reason);
    await vi.advanceTimersByTimeAsync(0);
    const { error } = await outcome;
    expect(isBulwarkError(error, ErrorCode.Aborted)).toBe(true);
    expect((error as Error).cause).toBe(reason);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toBe(1);
  });

  it('starts nothing when the signal is already aborted', async () => {
    const pipeline = resilient('bank');
    let calls = 0;
    await expect(
      pipeline.execute(
        () => {
          calls++;
        },
        { signal: AbortSignal.abort() },
      ),
    ).rejects.toMatchObject({ code: ErrorCode.Aborted });
    expect(calls).toBe(0);
  });

  it('aborts the attempt in flight: its signal aborts and execute rejects even if fn ignores it', async () => {
    const pipeline = resilient('bank');
    const controller = new AbortController();
    let attemptSignal: AbortSignal | undefined;
    const outcome = settle(
      pipeline.execute(
        ({ signal }) => {
          attemptSignal = signal;
          return never();
        },
        { signal: controller.signal },
      ),
    );
    await vi.advanceTimersByTimeAsync(100);
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(attemptSignal?.aborted).toBe(true);
    expect((await outcome).error).toMatchObject({ code: ErrorCode.Aborted });
  });

  it('does not count a caller abort as a breaker failure', async () => {
    const pipeline = resilient('bank', {
      breaker: { mode: 'consecutive', consecutiveFailures: 1 },
    });
    const controller = new AbortController();
    const outcome = settle(pipeline.execute(() => never(), { signal: controller.signal }));
    controller.abort();
    await outcome;
    expect(pipeline.circuitState()).toBe('closed');
  });

  it('starts no attempt once the deadline has passed, even while a backoff was due', async () => {
    const pipeline = resilient('bank', {
      deadline: { totalTimeoutMs: 1_000 },
      retry: { baseDelayMs: 300, random: () => 0 },
    });
    const events = recordEvents(pipeline);
    const startedAt: number[] = [];
    const outcome = settle(
      pipeline.execute(async () => {
        startedAt.push(performance.now());
        await new Promise((resolve) => setTimeout(resolve, 400));
        throw resetError();
      }),
    );
    await vi.advanceTimersByTimeAsync(5_000);
    const { error } = await outcome;
    expect(isBulwarkError(error, ErrorCode.DeadlineExceeded)).toBe(true);
    // 0-400 fails, retry at 700 fails at 1,100 > deadline: cut at 1,000; no third attempt.
    expect(startedAt.length).toBe(2);
    expect(events.filter((e) => e.name === 'deadline_exceeded')).toHaveLength(1);
  });

  it('ends the call when the caller aborts synchronously inside fn, even if fn ignores its signal', async () => {
    const pipeline = resilient('bank');
    const controller = new AbortController();
    const outcome = settle(
      pipeline.execute(
        () => {
          controller.abort(new Error('user left'));
          return never<number>();
        },
        { signal: controller.signal },
      ),
    );
    await vi.advanceTimersByTimeAsync(0);
    const { error } = await outcome;
    expect(isBulwarkError(error, ErrorCode.Aborted)).toBe(true);
  });

  it('ends the call when the caller aborts inside a task that settles its attempt itself, before it takes the race', async () => {
    // The internal contract createFetch() uses: the race opens when the task
    // takes it over, so a stop that came first must lose it at once.
    const pipeline = resilient('bank');
    const controller = new AbortController();
    let tookOver: boolean | undefined;
    const outcome = settle(
      pipeline.execute(
        (context) => {
          controller.abort(new Error('user left'));
          tookOver = watchableAttempt(context)?.settlesItself();
          return never<number>();
        },
        { signal: controller.signal },
      ),
    );
    await vi.advanceTimersByTimeAsync(0);
    const { error } = await outcome;
    expect(tookOver).toBe(true);
    expect(isBulwarkError(error, ErrorCode.Aborted)).toBe(true);
  });
});
