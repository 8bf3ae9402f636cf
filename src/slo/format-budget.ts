import type { SloSnapshot } from './snapshot.js';

/**
 * One human line about an SLO's error budget, for logs and reports. Pure.
 *
 * @example
 * formatBudget(slo.snapshot());
 * // 'transfers-availability: error budget left 75.0% (30 more bad requests allowed);
 * //  SLI 99.9750% of 40000 requests vs objective 99.9% over 28d; burn 1h 0.00x, 6h 0.25x; no alert'
 */
export function formatBudget(snapshot: SloSnapshot): string {
  const head = `${snapshot.name}: error budget left ${percent(snapshot.budgetRemaining, 1)}`;
  const objective = `objective ${percent(snapshot.objective)} over ${snapshot.windowDays}d`;
  if (snapshot.total === 0) return `${head} (no requests yet); ${objective}`;
  const spare = snapshot.badEventsAllowedRemaining;
  const room =
    spare >= 0
      ? `${Math.floor(spare)} more bad requests allowed`
      : `over by ${Math.ceil(-spare)} bad requests`;
  const state = snapshot.budgetExhausted ? 'EXHAUSTED, ' : '';
  const sli = `SLI ${percent(snapshot.sli ?? 1, 4)} of ${snapshot.total} requests`;
  const burn = `burn 1h ${rate(snapshot.burnRates['1h'])}, 6h ${rate(snapshot.burnRates['6h'])}`;
  const alert = snapshot.paging ? 'PAGE' : snapshot.ticketing ? 'ticket' : 'no alert';
  return `${head} (${state}${room}); ${sli} vs ${objective}; ${burn}; ${alert}`;
}

function percent(share: number, digits?: number): string {
  const value = share * 100;
  return `${digits === undefined ? Number(value.toPrecision(10)) : value.toFixed(digits)}%`;
}

function rate(burnRate: number): string {
  return `${burnRate.toFixed(2)}x`;
}
