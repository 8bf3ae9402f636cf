import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, isBulwarkError, resilient } from '../../src/index.js';
import { breakerPolicy } from '../../src/resilience/index.js';
import { names, never, recordEvents, resetError, settle } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const fail = () => {
  throw resetError();
};
const ok = () => 'ok';

async function run(pipeline: ReturnType<typeof breakerPolicy>, fn: () => unknown, key?: string) {
  return settle(pipeline.execute(fn, { key }));
}

describe('circuit breaker, ratio mode (defaults: 10 % over ≥ 100 calls in 30 s, open 5 s)', () => {
  it('stays closed below 100 calls, opens at a 10 % failure ratio once 100 calls are in', async () => {
    const breaker = breakerPolicy('bank');
    const events = recordEvents(breaker);
    for (let i = 0; i < 9; i++) await run(breaker, fail);
    for (let i = 0; i < 90; i++) await run(breaker, ok);
    expect(breaker.circuitState()).toBe('closed');
    await run(breaker, fail); // 10 failures / 100 calls
    expect(breaker.circuitState()).toBe('open');
    expect(names(events)).toEqual(['circuit_opened']);
  });

  it('fails fast while open with BULWARK_CIRCUIT_OPEN carrying retryAfterMs, without calling fn', async () => {
    const breaker = breakerPolicy('bank', { mode: 'consecutive', consecutiveFailures: 1 });
    await run(breaker, fail);
    await vi.advanceTimersByTimeAsync(1_000);
    let called = false;
    const { error } = await run(breaker, () => {
      called = true;
    });
    expect(called).toBe(false);
    expect(isBulwarkError(error, ErrorCode.CircuitOpen)).toBe(true);
    expect((error as { retryAfterMs: number }).retryAfterMs).toBe(4_000);
  });

  it('expires stale buckets after an idle period: old failures do not count (cockatiel #64)', async () => {
    const breaker = breakerPolicy('bank', { minimumCalls: 5, failureRatio: 0.5 });
    for (let i = 0; i < 4; i++) await run(breaker, fail);
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    await run(breaker, fail);
    await run(breaker, fail);
    // With the 4 stale failures this would be 6 / 6: open. Fresh: 2 calls, below minimumCalls.
    expect(breaker.circuitState()).toBe('closed');
    for (let i = 0; i < 3; i++) await run(breaker, ok);
    expect(breaker.circuitState()).toBe('closed'); // 2 / 5 = 40 % < 50 %
    await run(breaker, fail);
    expect(breaker.circuitState()).toBe('open'); // 3 / 6 = 50 %
  });

  it('counts errors that are not failures (e.g. a 400) neither as failures nor as successes in the ratio', async () => {
    const breaker = breakerPolicy('bank', { minimumCalls: 4, failureRatio: 0.5 });
    const badRequest = () => {
      throw Object.assign(new Error('bad request'), { status: 400 });
    };
    await run(breaker, fail);
    await run(breaker, fail);
    for (let i = 0; i < 5; i++) await run(breaker, badRequest);
    await run(breaker, ok);
    // As failures: 7 / 8, open. Ignored: 3 calls, below minimumCalls.
    expect(breaker.circuitState()).toBe('closed');
    await run(breaker, fail);
    // Ignored: 3 / 4 = 75 %, open. As successes: 3 / 9 = 33 %, closed.
    expect(breaker.circuitState()).toBe('open');
  });
});

describe('circuit breaker, consecutive mode and half-open', () => {
  it('opens after N consecutive failures; a success resets the count', async () => {
    const breaker = breakerPolicy('bank', { mode: 'consecutive', consecutiveFailures: 3 });
    await run(breaker, fail);
    await run(breaker, fail);
    await run(breaker, ok);
    await run(breaker, fail);
    await run(breaker, fail);
    expect(breaker.circuitState()).toBe('closed');
    await run(breaker, fail);
    expect(breaker.circuitState()).toBe('open');
  });

  it('after the break lets at most halfOpenProbes calls through; the others fail fast, not queued', async () => {
    const breaker = breakerPolicy('bank', {
      mode: 'consecutive',
      consecutiveFailures: 1,
      halfOpenProbes: 2,
    });
    const events = recordEvents(breaker);
    await run(breaker, fail);
    await vi.advanceTimersByTimeAsync(5_000);
    const releases: Array<() => void> = [];
    const probe = () =>
      new Promise<string>((resolve) => {
        releases.push(() => resolve('probe'));
      });
    const first = run(breaker, probe);
    const second = run(breaker, probe);
    const third = await run(breaker, probe);
    expect(isBulwarkError(third.error, ErrorCode.CircuitOpen)).toBe(true);
    expect(releases).toHaveLength(2);
    releases[0]!();
    await first;
    expect(breaker.circuitState()).toBe('half_open');
    releases[1]!();
    await second;
    expect(breaker.circuitState()).toBe('closed');
    expect(names(events)).toEqual([
      'circuit_opened',
      'circuit_half_opened',
      'circuit_rejected',
      'circuit_closed',
    ]);
  });

  it('reopens for another break when a probe fails', async () => {
    const breaker = breakerPolicy('bank', { mode: 'consecutive', consecutiveFailures: 1 });
    await run(breaker, fail);
    await vi.advanceTimersByTimeAsync(5_000);
    await run(breaker, fail);
    expect(breaker.circuitState()).toBe('open');
    const { error } = await run(breaker, ok);
    expect((error as { retryAfterMs: number }).retryAfterMs).toBe(5_000);
  });

  it('is not retried by the retry layer: an open circuit ends the call at once', async () => {
    const pipeline = resilient('bank', {
      breaker: { mode: 'consecutive', consecutiveFailures: 1 },
    });
    let calls = 0;
    const outcome = settle(
      pipeline.execute(() => {
        calls++;
        throw resetError();
      }),
    );
    await vi.advanceTimersByTimeAsync(1_000);
    const { error } = await outcome;
    expect(isBulwarkError(error, ErrorCode.CircuitOpen)).toBe(true);
    expect(calls).toBe(1);
  });

  it('counts an attempt timeout as a failure', async () => {
    const pipeline = resilient('bank', {
      retry: false,
      attemptTimeout: { timeoutMs: 100 },
      breaker: { mode: 'consecutive', consecutiveFailures: 1 },
    });
    const outcome = settle(pipeline.execute(() => never()));
    await vi.advanceTimersByTimeAsync(200);
    expect((await outcome).error).toMatchObject({ code: ErrorCode.AttemptTimeout });
    expect(pipeline.circuitState()).toBe('open');
  });
});

describe('keyed breakers', () => {
  it('keeps one breaker per call key: a failing host does not open the others', async () => {
    const breaker = breakerPolicy('bank', { mode: 'consecutive', consecutiveFailures: 1 });
    const events = recordEvents(breaker);
    await run(breaker, fail, 'https://a.example');
    expect(breaker.circuitState('https://a.example')).toBe('open');
    expect((await run(breaker, ok, 'https://b.example')).value).toBe('ok');
    expect(events[0]).toMatchObject({ name: 'circuit_opened', key: 'https://a.example' });
  });

  it('bounds the keys: the least recently used idle breaker is dropped, an open one never', async () => {
    const breaker = breakerPolicy('bank', {
      mode: 'consecutive',
      consecutiveFailures: 1,
      maxKeys: 2,
    });
    await run(breaker, fail, 'a');
    await run(breaker, ok, 'b');
    await run(breaker, ok, 'a'); // rejected fast, but touches "a": "b" is now least recent
    await run(breaker, ok, 'c');
    expect(breaker.circuitState('b')).toBeUndefined();
    expect(breaker.circuitState('a')).toBe('open');
    expect(breaker.circuitState('c')).toBe('closed');
    await run(breaker, ok, 'd'); // "a" is the least recent, but open: "c" goes instead
    expect(breaker.circuitState('a')).toBe('open');
    expect(breaker.circuitState('c')).toBeUndefined();
    expect(breaker.circuitState('d')).toBe('closed');
  });

  it('takes its key from keyBy when given', async () => {
    const breaker = breakerPolicy('bank', {
      mode: 'consecutive',
      consecutiveFailures: 1,
      keyBy: () => 'fixed',
    });
    await run(breaker, fail, 'ignored');
    expect(breaker.circuitState('fixed')).toBe('open');
  });
});

describe('ratio arithmetic', () => {
  it('opens at exactly the ratio even when it is not representable in binary (3 of 30 at 0.1)', async () => {
    const breaker = breakerPolicy('bank', { minimumCalls: 30 });
    for (let i = 0; i < 27; i++) await run(breaker, ok);
    await run(breaker, fail);
    await run(breaker, fail);
    expect(breaker.circuitState()).toBe('closed');
    await run(breaker, fail);
    expect(breaker.circuitState()).toBe('open');
  });
});
