import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ErrorCode,
  isBulwarkError,
  keyByTenant,
  type ResilientPipeline,
  resilient,
  withTenant,
} from '../../src/index.js';
import { names, never, recordEvents, resetError, settle } from './helpers.js';

/*
 * Keyed policies keep at most `maxKeys` keys, but a key whose state is live
 * (calls running or queued, a circuit open or half-open, retries spent in the
 * budget's window) must never be forgotten to make room: a flood of other keys
 * would otherwise reset the very limits that protect the victim. When every
 * slot is live, the new key's call is refused instead.
 */

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const FLOOD = 1_000;
const ok = () => 'ok';
const fail = () => {
  throw resetError();
};

/** A task that runs until released, counting how many of its calls run at once. */
function gate() {
  const releases: Array<() => void> = [];
  let running = 0;
  let peak = 0;
  const task = () => {
    running++;
    peak = Math.max(peak, running);
    return new Promise<string>((resolve) => {
      releases.push(() => {
        running--;
        resolve('done');
      });
    });
  };
  return { task, releases, peak: () => peak };
}

function perTenantBulkhead(maxKeys: number, maxQueued = 10): ResilientPipeline {
  return resilient('bank', {
    bulkhead: { keyBy: keyByTenant, maxConcurrent: 2, maxQueued, maxKeys },
    retry: false,
    breaker: false,
  });
}

function asTenant<T>(tenantId: string, fn: () => Promise<T>) {
  return settle(withTenant({ tenantId }, fn));
}

describe('a per-tenant bulkhead under a flood of other tenants', () => {
  it('keeps the victim at maxConcurrent: its live bulkhead is never evicted', async () => {
    const pipeline = perTenantBulkhead(4);
    const victim = gate();
    const first = [1, 2].map(() => asTenant('victim', () => pipeline.execute(victim.task)));
    for (let i = 0; i < FLOOD; i++) {
      const { error } = await asTenant(`tenant-${i}`, () => pipeline.execute(ok));
      expect(error).toBeUndefined();
    }
    const later = [3, 4].map(() => asTenant('victim', () => pipeline.execute(victim.task)));
    await vi.advanceTimersByTimeAsync(0);
    expect(victim.releases).toHaveLength(2); // the later two wait in the victim's queue
    for (let i = 0; i < 4; i++) {
      victim.releases[i]!();
      await vi.advanceTimersByTimeAsync(0);
    }
    for (const outcome of [...first, ...later]) expect((await outcome).value).toBe('done');
    expect(victim.peak()).toBe(2);
  });

  it('refuses a new tenant with BULWARK_BULKHEAD_FULL when every slot is live, and admits it once one frees', async () => {
    const pipeline = perTenantBulkhead(2);
    const events = recordEvents(pipeline);
    const a = gate();
    const b = gate();
    const runningA = asTenant('a', () => pipeline.execute(a.task));
    const runningB = asTenant('b', () => pipeline.execute(b.task));
    let ran = false;
    const refused = await asTenant('c', () =>
      pipeline.execute(() => {
        ran = true;
      }),
    );
    expect(ran).toBe(false);
    expect(isBulwarkError(refused.error, ErrorCode.BulkheadFull)).toBe(true);
    expect((refused.error as Error).message).toMatch(/all 2 keys/);
    expect(events).toMatchObject([{ name: 'bulkhead_rejected', key: 'c' }]);
    b.releases[0]!();
    await runningB;
    expect((await asTenant('c', () => pipeline.execute(ok))).value).toBe('ok');
    a.releases[0]!();
    expect((await runningA).value).toBe('done');
  });

  it('counts a queued call as live too', async () => {
    const pipeline = perTenantBulkhead(2);
    const a = gate();
    const held = [1, 2, 3].map(() => asTenant('a', () => pipeline.execute(a.task)));
    const other = gate();
    const running = asTenant('b', () => pipeline.execute(other.task));
    await vi.advanceTimersByTimeAsync(0);
    // "a": 2 running and 1 queued. Draining the running ones leaves the queued one as a's only live call.
    a.releases[0]!();
    a.releases[1]!();
    await vi.advanceTimersByTimeAsync(0);
    other.releases[0]!();
    await running;
    // "b" is idle now: the flood churns through its slot and never through a's.
    for (let i = 0; i < FLOOD; i++) await asTenant(`tenant-${i}`, () => pipeline.execute(ok));
    const extra = [1, 2].map(() => asTenant('a', () => pipeline.execute(a.task)));
    await vi.advanceTimersByTimeAsync(0);
    expect(a.releases).toHaveLength(4); // the third call, then one more: 2 at once, never 3
    expect(a.peak()).toBe(2);
    for (let i = 2; i < 5; i++) {
      a.releases[i]!();
      await vi.advanceTimersByTimeAsync(0);
    }
    for (const outcome of [...held, ...extra]) expect((await outcome).value).toBe('done');
  });
});

function keyedBreaker(maxKeys: number): ResilientPipeline {
  return resilient('bank', {
    breaker: { mode: 'consecutive', consecutiveFailures: 2, breakDurationMs: 60_000, maxKeys },
    retry: false,
    bulkhead: false,
    deadline: false,
    attemptTimeout: false,
  });
}

const FAILING = 'https://failing.example';

describe('a keyed breaker under a flood of other origins', () => {
  it('still lets the calls with no key through when every keyed breaker is open', async () => {
    const breaker = keyedBreaker(1);
    await settle(breaker.execute(fail, { key: FAILING }));
    await settle(breaker.execute(fail, { key: FAILING }));
    expect(breaker.circuitState(FAILING)).toBe('open');
    // The unkeyed breaker is held beside the keyed ones: a full registry never refuses it.
    expect((await settle(breaker.execute(ok))).value).toBe('ok');
    expect(breaker.circuitState()).toBe('closed');
    expect(breaker.circuitState(FAILING)).toBe('open');
  });

  it('stays open: the failing host is not called again', async () => {
    const breaker = keyedBreaker(4);
    await settle(breaker.execute(fail, { key: FAILING }));
    await settle(breaker.execute(fail, { key: FAILING }));
    expect(breaker.circuitState(FAILING)).toBe('open');
    for (let i = 0; i < FLOOD; i++) {
      await settle(breaker.execute(ok, { key: `https://host-${i}.example` }));
    }
    let called = false;
    const { error } = await settle(
      breaker.execute(
        () => {
          called = true;
        },
        { key: FAILING },
      ),
    );
    expect(called).toBe(false);
    expect(isBulwarkError(error, ErrorCode.CircuitOpen)).toBe(true);
    expect(breaker.circuitState(FAILING)).toBe('open');
  });

  it('stays half-open: one probe, and its failure opens the circuit again', async () => {
    const breaker = keyedBreaker(4);
    await settle(breaker.execute(fail, { key: FAILING }));
    await settle(breaker.execute(fail, { key: FAILING }));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(breaker.circuitState(FAILING)).toBe('half_open');
    for (let i = 0; i < FLOOD; i++) {
      await settle(breaker.execute(ok, { key: `https://host-${i}.example` }));
    }
    expect(breaker.circuitState(FAILING)).toBe('half_open');
    await settle(breaker.execute(fail, { key: FAILING })); // the probe fails: one failure is enough
    expect(breaker.circuitState(FAILING)).toBe('open');
  });

  it('keeps a closed breaker while calls are in flight, so their failures still count', async () => {
    const breaker = keyedBreaker(4);
    const rejects: Array<(error: unknown) => void> = [];
    const slow = () => new Promise<never>((_resolve, reject) => rejects.push(reject));
    const inFlight = [1, 2].map(() => settle(breaker.execute(slow, { key: FAILING })));
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < FLOOD; i++) {
      await settle(breaker.execute(ok, { key: `https://host-${i}.example` }));
    }
    for (const reject of rejects) reject(resetError());
    await Promise.all(inFlight);
    expect(breaker.circuitState(FAILING)).toBe('open');
  });

  it('refuses a new origin with BULWARK_CIRCUIT_OPEN when every slot holds a live circuit', async () => {
    const breaker = keyedBreaker(2);
    const events = recordEvents(breaker);
    for (const key of ['https://a.example', 'https://b.example']) {
      await settle(breaker.execute(fail, { key }));
      await settle(breaker.execute(fail, { key }));
    }
    let called = false;
    const { error } = await settle(
      breaker.execute(
        () => {
          called = true;
        },
        { key: 'https://c.example' },
      ),
    );
    expect(called).toBe(false);
    expect(isBulwarkError(error, ErrorCode.CircuitOpen)).toBe(true);
    expect((error as Error).message).toMatch(/all 2 keys/);
    expect((error as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
    expect(events.at(-1)).toMatchObject({ name: 'circuit_rejected', key: 'https://c.example' });
    expect(breaker.circuitState('https://a.example')).toBe('open');
    expect(breaker.circuitState('https://c.example')).toBeUndefined();
  });

  it('still drops idle closed breakers to make room', async () => {
    const breaker = keyedBreaker(2);
    await settle(breaker.execute(fail, { key: FAILING }));
    await settle(breaker.execute(fail, { key: FAILING }));
    await settle(breaker.execute(ok, { key: 'https://b.example' }));
    await settle(breaker.execute(ok, { key: 'https://c.example' }));
    expect(breaker.circuitState('https://b.example')).toBeUndefined();
    expect(breaker.circuitState('https://c.example')).toBe('closed');
    expect(breaker.circuitState(FAILING)).toBe('open');
  });
});

describe('a per-key retry budget under a flood of other keys', () => {
  function budgeted(maxKeys: number): ResilientPipeline {
    return resilient('bank', {
      breaker: false,
      bulkhead: false,
      deadline: false,
      attemptTimeout: false,
      // Floor: 0.1/s × 10 s = 1 retry per window and per key; calls deposit nothing.
      retry: {
        maxRetries: 1,
        baseDelayMs: 1,
        budget: { ratio: 0, minRetriesPerSecond: 0.1, windowMs: 10_000, maxKeys },
      },
    });
  }

  async function attempts(pipeline: ResilientPipeline, fn: () => unknown, key: string) {
    let count = 0;
    const outcome = settle(
      pipeline.execute(
        () => {
          count++;
          return fn();
        },
        { key },
      ),
    );
    await vi.advanceTimersByTimeAsync(1_000);
    return { count, error: (await outcome).error };
  }

  it('stays spent: the flood does not hand the victim a fresh budget', async () => {
    const pipeline = budgeted(4);
    expect((await attempts(pipeline, fail, 'victim')).count).toBe(2); // the budget's one retry
    for (let i = 0; i < FLOOD; i++) await settle(pipeline.execute(ok, { key: `key-${i}` }));
    const again = await attempts(pipeline, fail, 'victim');
    expect(again.count).toBe(1);
    expect(isBulwarkError(again.error, ErrorCode.RetryBudgetExhausted)).toBe(true);
  });

  it('refuses retries to a new key when every slot holds a spent budget', async () => {
    const pipeline = budgeted(2);
    const events = recordEvents(pipeline);
    await attempts(pipeline, fail, 'a');
    await attempts(pipeline, fail, 'b');
    const refused = await attempts(pipeline, fail, 'c');
    expect(refused.count).toBe(1);
    expect(isBulwarkError(refused.error, ErrorCode.RetryBudgetExhausted)).toBe(true);
    expect(names(events).at(-1)).toBe('retry_budget_exhausted');
    // Once the spent retries leave the window, the slots free up again.
    await vi.advanceTimersByTimeAsync(11_000);
    expect((await attempts(pipeline, fail, 'c')).count).toBe(2);
  });
});

describe('the live-key bound itself', () => {
  it('never holds more than maxKeys breakers', async () => {
    const breaker = keyedBreaker(3);
    const hung = [1, 2, 3, 4].map((i) =>
      settle(breaker.execute(() => never(), { key: `https://hung-${i}.example` })),
    );
    await vi.advanceTimersByTimeAsync(0);
    const states = ['1', '2', '3', '4'].map((i) =>
      breaker.circuitState(`https://hung-${i}.example`),
    );
    expect(states).toEqual(['closed', 'closed', 'closed', undefined]);
    expect(isBulwarkError((await hung[3])!.error, ErrorCode.CircuitOpen)).toBe(true);
  });
});
