import { describe, expect, it } from 'vitest';
import { defineSlo, type SliEvent } from '../../src/slo/index.js';

const T0 = Date.UTC(2026, 10, 1);
const DAY = 24 * 60 * 60_000;

describe('bounded memory', () => {
  it('keeps its counters at a fixed size through 1e6 events over a simulated month', () => {
    const clock = { nowMs: T0 };
    const slo = defineSlo({
      name: 'month',
      sli: { kind: 'availability' },
      objective: 0.999,
      now: () => clock.nowMs,
    });
    const before = slo.memoryBytes;
    // 10-second buckets for 1 h (360) + 5-minute buckets for 28 d (8 064), 3 float64 arrays each:
    // (360 + 8 064) × 3 × 8 bytes = 202 176 bytes.
    expect(before).toBe((360 + 8064) * 3 * 8);

    const events = 1_000_000;
    const stepMs = (30 * DAY) / events; // 2 592 ms apart, across 30 days
    const ok: SliEvent = {
      method: 'POST',
      route: '/transfers',
      statusCode: 201,
      durationSeconds: 0.05,
    };
    const failed: SliEvent = { ...ok, statusCode: 502 };
    for (let i = 0; i < events; i++) {
      clock.nowMs = T0 + i * stepMs;
      slo.record(i % 2_000 === 0 ? failed : ok);
    }

    expect(slo.memoryBytes).toBe(before);
    // The 28-day window spans 8 064 five-minute buckets including the current one, i.e. between
    // 28 d − 5 min and 28 d of events: (28 d − 5 min) / 2 592 ms ≈ 933 218 to 28 d / 2 592 ms ≈ 933 334.
    const { total, bad } = slo.snapshot();
    expect(total).toBeGreaterThanOrEqual(933_218);
    expect(total).toBeLessThanOrEqual(933_334);
    // One in 2 000 failed: ≈ 466.6 of them in the window.
    expect(bad).toBeGreaterThanOrEqual(466);
    expect(bad).toBeLessThanOrEqual(467);
  });

  it('sizes the ring to at least the 3-day burn window when the SLO window is shorter', () => {
    const slo = defineSlo({
      name: 'day',
      sli: { kind: 'availability' },
      objective: 0.99,
      windowDays: 1,
    });
    expect(slo.memoryBytes).toBe((360 + 864) * 3 * 8);
  });
});
