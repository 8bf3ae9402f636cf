import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, isBulwarkError, resilient } from '../../src/index.js';
import { names, never, recordEvents, resetError, settle } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('resilient() with no options', () => {
  it('returns the result of fn and passes attempt 1 and a signal that is not aborted', async () => {
    const pipeline = resilient('bank');
    let seen: { attempt: number; aborted: boolean } | undefined;
    const result = await pipeline.execute(({ attempt, signal }) => {
      seen = { attempt, aborted: signal.aborted };
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(seen).toEqual({ attempt: 1, aborted: false });
  });

  it('tells each attempt how much of the 30 s deadline remains', async () => {
    const pipeline = resilient('bank', { retry: { random: () => 0 } });
    const remaining: number[] = [];
    const outcome = pipeline.execute((context) => {
      remaining.push(context.remainingMs);
      if (context.attempt === 1) throw resetError();
      return 'ok';
    });
    await vi.advanceTimersByTimeAsync(200);
    expect(await outcome).toBe('ok');
    expect(remaining).toEqual([30_000, 29_800]);
  });

  it('never aborts the signal of a successful attempt', async () => {
    const pipeline = resilient('bank');
    let signal: AbortSignal | undefined;
    await pipeline.execute((context) => {
      signal = context.signal;
      return 1;
    });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(signal?.aborted).toBe(false);
  });

  it('makes 4 attempts (3 retries) on transient errors, then fails with the last error', async () => {
    const pipeline = resilient('bank');
    const events = recordEvents(pipeline);
    const errors = [resetError('1'), resetError('2'), resetError('3'), resetError('4')];
    const attempts: number[] = [];
    const outcome = settle(
      pipeline.execute(({ attempt }) => {
        attempts.push(attempt);
        throw errors[attempt - 1];
      }),
    );
    await vi.advanceTimersByTimeAsync(29_000);
    expect((await outcome).error).toBe(errors[3]);
    expect(attempts).toEqual([1, 2, 3, 4]);
    expect(names(events)).toEqual(['retry', 'retry', 'retry']);
  });

  it('waits at least 200 ms before a retry (never a zero delay)', async () => {
    const pipeline = resilient('bank', { retry: { random: () => 0 } });
    const attemptsAt: number[] = [];
    const outcome = pipeline.execute(({ attempt }) => {
      attemptsAt.push(performance.now());
      if (attempt === 1) throw resetError();
      return attempt;
    });
    await vi.advanceTimersByTimeAsync(199);
    expect(attemptsAt).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await outcome).toBe(2);
    expect(attemptsAt[1]! - attemptsAt[0]!).toBe(200);
  });

  it('keeps backoff delays under the 20 s cap with jitter', async () => {
    const pipeline = resilient('bank', { retry: { random: () => 0.999999 } });
    const events = recordEvents(pipeline);
    const outcome = settle(
      pipeline.execute(() => {
        throw resetError();
      }),
    );
    await vi.advanceTimersByTimeAsync(30_000);
    await outcome;
    const delays = events.filter((e) => e.name === 'retry').map((e) => e.delayMs!);
    // Decorrelated jitter: min(cap, previous × 3) = 600, 1800 ms; then the deadline intervenes.
    expect(delays[0]).toBe(600);
    expect(delays[1]).toBe(1800);
    for (const delay of delays) expect(delay).toBeLessThanOrEqual(20_000);
  });

  it('times an attempt out after 10 s and retries it', async () => {
    const pipeline = resilient('bank', { retry: { random: () => 0 } });
    const events = recordEvents(pipeline);
    const signals: AbortSignal[] = [];
    const outcome = pipeline.execute(({ attempt, signal }) => {
      signals.push(signal);
      return attempt === 1 ? never<string>() : 'second';
    });
    await vi.advanceTimersByTimeAsync(9_990);
    expect(signals[0]?.aborted).toBe(false);
    // Deadlines run on a shared 10 ms timer: they fire up to one tick late, never early.
    await vi.advanceTimersByTimeAsync(20);
    expect(signals[0]?.aborted).toBe(true);
    expect(isBulwarkError(signals[0]?.reason, ErrorCode.AttemptTimeout)).toBe(true);
    await vi.advanceTimersByTimeAsync(250);
    expect(await outcome).toBe('second');
    expect(names(events)).toEqual(['attempt_timeout', 'retry']);
  });

  it('fails with BULWARK_DEADLINE_EXCEEDED at 30 s, cutting the last attempt short', async () => {
    const pipeline = resilient('bank', { retry: { random: () => 0 } });
    const events = recordEvents(pipeline);
    const startedAt: number[] = [];
    const outcome = settle(
      pipeline.execute(() => {
        startedAt.push(performance.now());
        return never();
      }),
    );
    await vi.advanceTimersByTimeAsync(30_100);
    const { error } = await outcome;
    expect(isBulwarkError(error, ErrorCode.DeadlineExceeded)).toBe(true);
    // Attempts at 0, 10.2 s, 20.4 s; the third is cut by the deadline at 30 s, not at 30.4 s.
    expect(startedAt).toHaveLength(3);
    expect(names(events).at(-1)).toBe('deadline_exceeded');
    expect((error as Error).cause).toMatchObject({ code: ErrorCode.AttemptTimeout });
  });

  it('does not retry an error that is not transient', async () => {
    const pipeline = resilient('bank');
    let calls = 0;
    const failure = new Error('insufficient funds');
    await expect(
      pipeline.execute(() => {
        calls++;
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(calls).toBe(1);
  });

  it('runs one attempt only when execute is given { retry: false }', async () => {
    const pipeline = resilient('bank');
    let calls = 0;
    await expect(
      pipeline.execute(
        () => {
          calls++;
          throw resetError();
        },
        { retry: false },
      ),
    ).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(calls).toBe(1);
  });
});

describe('events', () => {
  it('a throwing listener neither breaks the call nor keeps the event from other listeners', async () => {
    const pipeline = resilient('bank', { retry: { random: () => 0 } });
    pipeline.onEvent(() => {
      throw new Error('bad listener');
    });
    const seen: string[] = [];
    const subscription = pipeline.onEvent((event) => seen.push(event.name));
    const outcome = pipeline.execute(({ attempt }) => {
      if (attempt === 1) throw resetError();
      return 'ok';
    });
    await vi.advanceTimersByTimeAsync(200);
    expect(await outcome).toBe('ok');
    expect(seen).toEqual(['retry']);
    subscription.dispose();
    const again = pipeline.execute(({ attempt }) => {
      if (attempt === 1) throw resetError();
      return 'ok';
    });
    await vi.advanceTimersByTimeAsync(200);
    await again;
    expect(seen).toEqual(['retry']);
  });

  it('ignores onSuccess and onFailure listeners that throw', async () => {
    const pipeline = resilient('bank');
    pipeline.onSuccess(() => {
      throw new Error('bad listener');
    });
    pipeline.onFailure(() => {
      throw new Error('bad listener');
    });
    const declined = new Error('declined');
    expect(await pipeline.execute(() => 'ok')).toBe('ok');
    await expect(pipeline.execute(() => Promise.reject(declined))).rejects.toBe(declined);
  });

  it('carries the pipeline name, the call key and the attempt number', async () => {
    const pipeline = resilient('bank', { retry: { random: () => 0 } });
    const events = recordEvents(pipeline);
    const outcome = pipeline.execute(
      ({ attempt }) => {
        if (attempt < 3) throw resetError();
        return 'ok';
      },
      { key: 'https://bank.example' },
    );
    await vi.advanceTimersByTimeAsync(1_000);
    await outcome;
    expect(events.map(({ pipeline, key, attempt }) => ({ pipeline, key, attempt }))).toEqual([
      { pipeline: 'bank', key: 'https://bank.example', attempt: 1 },
      { pipeline: 'bank', key: 'https://bank.example', attempt: 2 },
    ]);
  });
});
