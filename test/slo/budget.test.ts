import { describe, expect, it } from 'vitest';
import { defineSlo, type SliEvent } from '../../src/slo/index.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** A bucket-aligned start (midnight UTC), so window edges fall where the comments say. */
const T0 = Date.UTC(2026, 10, 26);

function manualClock(start = T0) {
  const clock = { nowMs: start, now: () => clock.nowMs };
  return clock;
}

const ok: SliEvent = { method: 'POST', route: '/transfers', statusCode: 201, durationSeconds: 0.1 };
const failed: SliEvent = { ...ok, statusCode: 503 };

/** Records `total` requests of which `bad` failed, all at the clock's current time. */
function feed(slo: { record(event: SliEvent): void }, total: number, bad: number) {
  for (let i = 0; i < total; i++) slo.record(i < bad ? failed : ok);
}

describe('error budget arithmetic', () => {
  it('reports good/total, budget left and bad events allowed, by hand', () => {
    const clock = manualClock();
    const slo = defineSlo({
      name: 'transfers',
      sli: { kind: 'availability' },
      objective: 0.999,
      now: clock.now,
    });
    feed(slo, 10_000, 4);
    const snapshot = slo.snapshot();
    // total 10 000, bad 4, good 9 996; SLI = 9 996 / 10 000 = 0.9996.
    // allowed bad = 10 000 × (1 − 0.999) = 10; remaining = 1 − 4/10 = 0.6; 10 − 4 = 6 to spare.
    expect(snapshot).toMatchObject({ total: 10_000, good: 9_996, bad: 4, windowDays: 28 });
    expect(snapshot.sli).toBeCloseTo(0.9996, 12);
    expect(snapshot.budgetRemaining).toBeCloseTo(0.6, 12);
    expect(snapshot.badEventsAllowedRemaining).toBeCloseTo(6, 9);
    expect(snapshot.budgetExhausted).toBe(false);
    // Every window holds the same events: error rate 0.0004 → burn 0.0004 / 0.001 = 0.4.
    for (const rate of Object.values(snapshot.burnRates)) expect(rate).toBeCloseTo(0.4, 12);
    expect(snapshot.paging || snapshot.ticketing).toBe(false);
  });

  it('is untouched with no events', () => {
    const slo = defineSlo({ name: 'idle', sli: { kind: 'availability' }, objective: 0.99 });
    const snapshot = slo.snapshot();
    expect(snapshot).toMatchObject({ total: 0, sli: undefined, budgetRemaining: 1 });
    expect(snapshot.burnRates['1h']).toBe(0);
    expect(slo.budgetExhausted).toBe(false);
  });

  it('reads each burn window over the right events and fires only the pairs that burn', () => {
    const clock = manualClock();
    const slo = defineSlo({
      name: 'windows',
      sli: { kind: 'availability' },
      objective: 0.999,
      now: clock.now,
    });
    clock.nowMs = T0 - 48 * HOUR; // E1: in 3d and 28d only
    feed(slo, 100_000, 50);
    clock.nowMs = T0 - 3 * HOUR; // E2: in 6h, 1d, 3d (the 2h window reaches back 115-120 min)
    feed(slo, 10_000, 30);
    clock.nowMs = T0 - 20 * MINUTE; // E3: in 30m, 1h, 2h and longer, not in 5m
    feed(slo, 1_000, 5);
    clock.nowMs = T0 - MINUTE; // E4: in every window
    feed(slo, 100, 2);
    clock.nowMs = T0;
    const { burnRates, alerts, ...snapshot } = slo.snapshot();
    // 5m:            E4           2 / 100     = 0.02       → burn 20
    // 30m, 1h, 2h:   E3+E4        7 / 1 100   = 0.0063636  → burn 6.363636...
    // 6h, 1d:        E2+E3+E4    37 / 11 100  = 0.0033333  → burn 3.333333...
    // 3d:            all         87 / 111 100 = 0.00078308 → burn 0.7830783...
    expect(burnRates['5m']).toBeCloseTo(20, 9);
    for (const w of ['30m', '1h', '2h'] as const) expect(burnRates[w]).toBeCloseTo(70 / 11, 9);
    for (const w of ['6h', '1d'] as const) expect(burnRates[w]).toBeCloseTo(10 / 3, 9);
    expect(burnRates['3d']).toBeCloseTo(87 / 111_100 / 0.001, 9);
    // page 1h/5m > 14.4: 6.36 no. page 6h/30m > 6: 3.33 no.
    // ticket 1d/2h > 3: 3.33 and 6.36 yes. ticket 3d/6h > 1: 0.78 no.
    expect(alerts.map((alert) => alert.firing)).toEqual([false, false, true, false]);
    expect(snapshot.paging).toBe(false);
    expect(snapshot.ticketing).toBe(true);
    // 28d budget: allowed bad = 111 100 × 0.001 = 111.1; 1 − 87/111.1 = 0.2169217; 24.1 to spare.
    expect(snapshot.total).toBe(111_100);
    expect(snapshot.budgetRemaining).toBeCloseTo(1 - 87 / 111.1, 12);
    expect(snapshot.badEventsAllowedRemaining).toBeCloseTo(24.1, 9);
  });

  it('drops events from the SLO window once they are older than it', () => {
    const clock = manualClock(T0 - 48 * HOUR);
    const slo = defineSlo({
      name: 'aging',
      sli: { kind: 'availability' },
      objective: 0.999,
      now: clock.now,
    });
    feed(slo, 1_000, 10);
    clock.nowMs = T0 - 3 * HOUR;
    feed(slo, 100, 1);
    // The first batch sits in the 5-minute bucket of T0 − 48 h; a 28-day window is 8 064 buckets
    // including the current one, so that bucket is in until 8 064 − 1 buckets later:
    // T0 − 48 h + 8 063 × 5 min = T0 + 26 d − 5 min, and out from T0 + 26 d.
    clock.nowMs = T0 + 26 * DAY - 1;
    expect(slo.snapshot()).toMatchObject({ total: 1_100, bad: 11 });
    clock.nowMs = T0 + 26 * DAY;
    expect(slo.snapshot()).toMatchObject({ total: 100, bad: 1 });
  });

  it('stops the page on the 1h/5m pair within 5 minutes of a fast burn ending', () => {
    const clock = manualClock();
    const slo = defineSlo({
      name: 'fast',
      sli: { kind: 'availability' },
      objective: 0.999,
      now: clock.now,
    });
    for (let minute = 0; minute < 70; minute++) {
      clock.nowMs = T0 + minute * MINUTE;
      feed(slo, 100, minute < 60 ? 20 : 0); // 20% errors for an hour, then clean
      if (minute === 59) {
        // 6 000 requests, 1 200 bad in every window: burn 0.2 / 0.001 = 200 → both page pairs.
        expect(slo.snapshot().burnRates['1h']).toBeCloseTo(200, 9);
        expect(slo.snapshot().paging).toBe(true);
      }
    }
    const { burnRates, alerts } = slo.snapshot(); // now T0 + 69 min = T0 + 4 140 s
    // 5m  = 30 ten-second buckets back to T0 + 3 850 s: minutes 65-69, all clean → burn 0.
    // 1h  = 360 buckets back to T0 + 550 s: minutes 10-69, 1 000 bad / 6 000 → burn 166.67.
    // 30m = 180 buckets back to T0 + 2 350 s: minutes 40-69, 400 bad / 3 000 → burn 133.33.
    // 6h  = 72 five-minute buckets: all 70 minutes, 1 200 bad / 7 000 → burn 171.43.
    expect(burnRates['5m']).toBe(0);
    expect(burnRates['1h']).toBeCloseTo(1000 / 6000 / 0.001, 9);
    expect(burnRates['30m']).toBeCloseTo(400 / 3000 / 0.001, 9);
    expect(burnRates['6h']).toBeCloseTo(1200 / 7000 / 0.001, 9);
    // The 1h/5m pair resets; the 6h/30m pair keeps paging until its 30m window clears.
    expect(alerts.map((alert) => alert.firing)).toEqual([false, true, true, true]);
  });
});

describe('latency SLI', () => {
  it('counts a duration at or under the threshold as good, whatever the status', () => {
    const clock = manualClock();
    const slo = defineSlo({
      name: 'transfers-latency',
      sli: { kind: 'latency', thresholdSeconds: 0.25 },
      objective: 0.99,
      now: clock.now,
    });
    slo.record({ ...ok, durationSeconds: 0.25 }); // good: le="0.25" includes 0.25
    slo.record({ ...failed, durationSeconds: 0.1 }); // good: latency ignores status
    slo.record({ ...ok, durationSeconds: 0.2501 }); // bad
    slo.record({ ...ok, durationSeconds: Number.NaN }); // not counted
    expect(slo.snapshot()).toMatchObject({ total: 3, good: 2, bad: 1 });
  });
});
