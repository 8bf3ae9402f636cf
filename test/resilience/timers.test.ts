import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, resilient } from '../../src/index.js';
import { names, never, recordEvents, settle } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('shared deadline timer', () => {
  it('arms one process timer for many calls in flight, not one per call', async () => {
    vi.useFakeTimers();
    const pipeline = resilient('bank');
    const releases: Array<() => void> = [];
    const calls = Array.from({ length: 100 }, () =>
      pipeline.execute(() => new Promise<string>((resolve) => releases.push(() => resolve('ok')))),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(releases).toHaveLength(100);
    expect(vi.getTimerCount()).toBe(1);
    for (const release of releases) release();
    expect(await Promise.all(calls)).toHaveLength(100);
  });

  it('fires deadlines up to one 10 ms tick late, never early', async () => {
    vi.useFakeTimers();
    const pipeline = resilient('bank', { deadline: { totalTimeoutMs: 1_234 }, retry: false });
    const outcome = settle(pipeline.execute(() => never()));
    let settled = false;
    void outcome.then(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(1_233);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(11);
    expect((await outcome).error).toMatchObject({ code: ErrorCode.DeadlineExceeded });
  });

  it('fires each deadline at its own time when calls start apart and the first one settled', async () => {
    vi.useFakeTimers();
    const pipeline = resilient('bank', { deadline: { totalTimeoutMs: 1_000 }, retry: false });
    const settledAt: Record<string, number> = {};
    const start = (name: string, task: () => Promise<string>) =>
      void settle(pipeline.execute(task)).then(() => {
        settledAt[name] = performance.now();
      });
    let releaseFirst = () => {};
    start('first', () => new Promise<string>((resolve) => (releaseFirst = () => resolve('ok'))));
    await vi.advanceTimersByTimeAsync(100);
    releaseFirst();
    await vi.advanceTimersByTimeAsync(400);
    start('second', () => never()); // due at 1,500
    await vi.advanceTimersByTimeAsync(200);
    start('third', () => never()); // due at 1,700
    await vi.advanceTimersByTimeAsync(1_100);
    expect(settledAt.first).toBe(100);
    expect(settledAt.second).toBeGreaterThanOrEqual(1_500);
    expect(settledAt.second).toBeLessThanOrEqual(1_510);
    expect(settledAt.third).toBeGreaterThanOrEqual(1_700);
    expect(settledAt.third).toBeLessThanOrEqual(1_710);
  });

  it('still fires the deadlines of a tick after other calls of that tick settled', async () => {
    vi.useFakeTimers();
    const pipeline = resilient('bank', { deadline: { totalTimeoutMs: 1_000 }, retry: false });
    const events = recordEvents(pipeline);
    const releases: Array<() => void> = [];
    const outcomes = Array.from({ length: 6 }, () =>
      settle(
        pipeline.execute(
          () => new Promise<string>((resolve) => releases.push(() => resolve('ok'))),
        ),
      ),
    );
    await vi.advanceTimersByTimeAsync(0);
    // First, last and a middle call of the same tick settle: the others must keep their deadline.
    for (const index of [0, 5, 2]) releases[index]?.();
    await vi.advanceTimersByTimeAsync(1_010);
    const results = await Promise.all(outcomes);
    expect(
      results.map((result) => result.value ?? (result.error as { code?: string }).code),
    ).toEqual([
      'ok',
      ErrorCode.DeadlineExceeded,
      'ok',
      ErrorCode.DeadlineExceeded,
      ErrorCode.DeadlineExceeded,
      'ok',
    ]);
    expect(names(events)).toEqual(Array(3).fill('deadline_exceeded'));
  });

  it('keeps firing when fake timers are swapped while a deadline is pending (as test suites do)', async () => {
    vi.useFakeTimers();
    const first = resilient('first', { deadline: { totalTimeoutMs: 60_000 }, retry: false });
    void settle(first.execute(() => never()));
    vi.useRealTimers();
    vi.useFakeTimers();
    const second = resilient('second', { deadline: { totalTimeoutMs: 1_000 }, retry: false });
    const outcome = settle(second.execute(() => never()));
    await vi.advanceTimersByTimeAsync(1_010);
    expect((await outcome).error).toMatchObject({ code: ErrorCode.DeadlineExceeded });
  });
});
