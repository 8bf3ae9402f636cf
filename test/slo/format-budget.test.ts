import { describe, expect, it } from 'vitest';
import { defineSlo, formatBudget, type SliEvent } from '../../src/slo/index.js';

const ok: SliEvent = { method: 'POST', route: '/transfers', statusCode: 201, durationSeconds: 0.1 };

function sloWith(total: number, bad: number) {
  const slo = defineSlo({
    name: 'transfers-availability',
    sli: { kind: 'availability' },
    objective: 0.999,
    now: () => Date.UTC(2026, 10, 26),
  });
  for (let i = 0; i < total; i++) slo.record(i < bad ? { ...ok, statusCode: 500 } : ok);
  return slo;
}

describe('formatBudget', () => {
  it('says how much budget is left, in one line', () => {
    // 40 000 requests, 10 bad: 40 allowed, 1 − 10/40 = 75% left, 30 to spare; burn 0.00025/0.001 = 0.25.
    expect(formatBudget(sloWith(40_000, 10).snapshot())).toBe(
      'transfers-availability: error budget left 75.0% (30 more bad requests allowed); ' +
        'SLI 99.9750% of 40000 requests vs objective 99.9% over 28d; burn 1h 0.25x, 6h 0.25x; no alert',
    );
  });

  it('says when the budget is spent and a page would fire', () => {
    // 1 000 requests, 100 bad: 1 allowed, 1 − 100 = −9 900% left, over by 99; burn 100 → page.
    expect(formatBudget(sloWith(1_000, 100).snapshot())).toBe(
      'transfers-availability: error budget left -9900.0% (EXHAUSTED, over by 99 bad requests); ' +
        'SLI 90.0000% of 1000 requests vs objective 99.9% over 28d; burn 1h 100.00x, 6h 100.00x; PAGE',
    );
  });

  it('says when nothing was counted yet', () => {
    expect(formatBudget(sloWith(0, 0).snapshot())).toBe(
      'transfers-availability: error budget left 100.0% (no requests yet); objective 99.9% over 28d',
    );
  });
});
