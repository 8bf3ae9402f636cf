import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, isBulwarkError, keyByTenant, withTenant } from '../../src/index.js';
import { bulkheadPolicy } from '../../src/resilience/index.js';
import { names, recordEvents, settle } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A task that runs until released. */
function gate() {
  const releases: Array<() => void> = [];
  const task = () =>
    new Promise<string>((resolve) => {
      releases.push(() => resolve('done'));
    });
  return { task, releases };
}

describe('bulkhead', () => {
  it('runs at most maxConcurrent calls, queues up to maxQueued, rejects the rest at once', async () => {
    const bulkhead = bulkheadPolicy('ledger', { maxConcurrent: 2, maxQueued: 1 });
    const events = recordEvents(bulkhead);
    const { task, releases } = gate();
    const running = [settle(bulkhead.execute(task)), settle(bulkhead.execute(task))];
    const queued = settle(bulkhead.execute(task));
    const rejected = await settle(bulkhead.execute(task));
    expect(isBulwarkError(rejected.error, ErrorCode.BulkheadFull)).toBe(true);
    expect(names(events)).toEqual(['bulkhead_rejected']);
    await vi.advanceTimersByTimeAsync(0);
    expect(releases).toHaveLength(2);
    releases[0]!();
    await running[0];
    await vi.advanceTimersByTimeAsync(0);
    expect(releases).toHaveLength(3); // the queued call got the freed slot
    releases[1]!();
    releases[2]!();
    expect((await queued).value).toBe('done');
    expect(bulkhead.bulkheadOccupancy()).toBe(0);
  });

  it('rejects a queued call when the queue wait times out', async () => {
    const bulkhead = bulkheadPolicy('ledger', {
      maxConcurrent: 1,
      maxQueued: 5,
      queueTimeoutMs: 500,
    });
    const { task, releases } = gate();
    void settle(bulkhead.execute(task));
    const waiting = settle(bulkhead.execute(task));
    await vi.advanceTimersByTimeAsync(499);
    expect(bulkhead.bulkheadOccupancy()).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    const { error } = await waiting;
    expect(isBulwarkError(error, ErrorCode.BulkheadFull)).toBe(true);
    expect(bulkhead.bulkheadOccupancy()).toBe(1);
    releases[0]!();
  });

  it('removes an aborted waiter from the queue at once, so it never takes a slot', async () => {
    const bulkhead = bulkheadPolicy('ledger', { maxConcurrent: 1, maxQueued: 1 });
    const { task, releases } = gate();
    const first = settle(bulkhead.execute(task));
    const controller = new AbortController();
    let abortedRan = false;
    const aborted = settle(
      bulkhead.execute(
        () => {
          abortedRan = true;
        },
        { signal: controller.signal },
      ),
    );
    controller.abort();
    expect((await aborted).error).toMatchObject({ code: ErrorCode.Aborted });
    // The queue has room again right away: this call is queued, not rejected.
    const next = settle(bulkhead.execute(task));
    expect(bulkhead.bulkheadOccupancy()).toBe(2);
    releases[0]!();
    await first;
    await vi.advanceTimersByTimeAsync(0);
    releases[1]!();
    expect((await next).value).toBe('done');
    expect(abortedRan).toBe(false);
  });

  it('keeps one bulkhead per tenant with keyByTenant', async () => {
    const bulkhead = bulkheadPolicy('ledger', {
      maxConcurrent: 1,
      maxQueued: 0,
      keyBy: keyByTenant,
    });
    const { task, releases } = gate();
    const acme = withTenant({ tenantId: 'acme' }, () => settle(bulkhead.execute(task)));
    const globex = withTenant({ tenantId: 'globex' }, () => settle(bulkhead.execute(task)));
    const acmeAgain = await withTenant({ tenantId: 'acme' }, () => settle(bulkhead.execute(task)));
    expect(isBulwarkError(acmeAgain.error, ErrorCode.BulkheadFull)).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(releases).toHaveLength(2);
    for (const release of releases) release();
    expect((await acme).value).toBe('done');
    expect((await globex).value).toBe('done');
  });

  it('fires onSuccess and onFailure for every call (cockatiel bulkhead never does)', async () => {
    const bulkhead = bulkheadPolicy('ledger');
    const seen: string[] = [];
    bulkhead.onSuccess(() => seen.push('success'));
    bulkhead.onFailure(() => seen.push('failure'));
    await bulkhead.execute(() => 1);
    await settle(
      bulkhead.execute(() => {
        throw new Error('x');
      }),
    );
    expect(seen).toEqual(['success', 'failure']);
  });
});
