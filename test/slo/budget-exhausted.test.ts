import { describe, expect, it, vi } from 'vitest';
import { defineSlo, type SliEvent, type SloSnapshot } from '../../src/slo/index.js';

const T0 = Date.UTC(2026, 10, 26);
const DAY = 24 * 60 * 60_000;
const ok: SliEvent = {
  method: 'GET',
  route: '/transfers/:id',
  statusCode: 200,
  durationSeconds: 0.01,
};
const failed: SliEvent = { ...ok, statusCode: 500 };

function setup() {
  const clock = { nowMs: T0 };
  const slo = defineSlo({
    name: 'exhaustion',
    sli: { kind: 'availability' },
    objective: 0.99,
    minEventsToExhaust: 100,
    now: () => clock.nowMs,
  });
  return { clock, slo };
}

describe('onBudgetExhausted and budgetExhausted', () => {
  it('waits for minEventsToExhaust events, then fires once on the edge', () => {
    const { slo } = setup();
    const seen: SloSnapshot[] = [];
    slo.onBudgetExhausted((snapshot) => seen.push(snapshot));
    for (let i = 0; i < 99; i++) slo.record(failed);
    // 99 bad of 99: far over budget, but fewer than 100 events: not yet exhausted.
    expect(slo.budgetExhausted).toBe(false);
    expect(seen).toHaveLength(0);
    slo.record(ok);
    // 100 events, 99 bad, 100 × 0.01 = 1 allowed: 1 − 99/1 = −98 left.
    expect(slo.budgetExhausted).toBe(true);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ total: 100, bad: 99, budgetExhausted: true });
    expect(seen[0]?.budgetRemaining).toBeCloseTo(-98, 9);
    slo.record(failed);
    expect(seen).toHaveLength(1);
  });

  it('recovers when the bad events leave the window, and fires again on the next edge', () => {
    const { clock, slo } = setup();
    const listener = vi.fn();
    slo.onBudgetExhausted(listener);
    for (let i = 0; i < 100; i++) slo.record(failed);
    expect(listener).toHaveBeenCalledTimes(1);
    clock.nowMs = T0 + 28 * DAY;
    expect(slo.budgetExhausted).toBe(false);
    for (let i = 0; i < 990; i++) slo.record(ok);
    // 990 good + 9 bad = 999 events: 9.99 allowed, 0.99 to spare.
    for (let i = 0; i < 9; i++) slo.record(failed);
    expect(slo.budgetExhausted).toBe(false);
    // The 10th bad event: 1 000 events, 10 allowed, 10 bad: exactly spent (10 − 10 = 0).
    slo.record(failed);
    expect(slo.budgetExhausted).toBe(true);
    expect(listener).toHaveBeenCalledTimes(2);
  });

  it('unsubscribes, and survives a listener that throws', () => {
    const { slo } = setup();
    const kept = vi.fn();
    const dropped = vi.fn();
    slo.onBudgetExhausted(() => {
      throw new Error('listener bug');
    });
    slo.onBudgetExhausted(kept);
    const unsubscribe = slo.onBudgetExhausted(dropped);
    unsubscribe();
    expect(() => {
      for (let i = 0; i < 100; i++) slo.record(failed);
    }).not.toThrow();
    expect(kept).toHaveBeenCalledTimes(1);
    expect(dropped).not.toHaveBeenCalled();
  });

  it('lets an application pause non-essential retries while the budget is spent', () => {
    const { clock, slo } = setup();
    // The README example: a retry predicate that gives up on optional work.
    const shouldRetryOptionalWork = () => !slo.budgetExhausted;
    expect(shouldRetryOptionalWork()).toBe(true);
    for (let i = 0; i < 100; i++) slo.record(failed);
    expect(shouldRetryOptionalWork()).toBe(false);
    clock.nowMs = T0 + 29 * DAY;
    expect(shouldRetryOptionalWork()).toBe(true);
  });
});
