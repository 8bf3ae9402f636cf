import type { EventCounts } from './bucket-ring.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/**
 * The windows burn rates are read over, by their Prometheus duration, in
 * milliseconds: the long and short windows of the four standard alert pairs.
 */
export const BURN_RATE_WINDOWS_MS = {
  '5m': 5 * MINUTE_MS,
  '30m': 30 * MINUTE_MS,
  '1h': HOUR_MS,
  '2h': 2 * HOUR_MS,
  '6h': 6 * HOUR_MS,
  '1d': 24 * HOUR_MS,
  '3d': 72 * HOUR_MS,
} as const;

/** One of the burn-rate windows, spelled as a Prometheus duration. */
export type BurnRateWindow = keyof typeof BURN_RATE_WINDOWS_MS;

/** Who an alert goes to: a page wakes someone, a ticket waits for working hours. */
export type AlertSeverity = 'page' | 'ticket';

/** One multi-window burn-rate alert condition. */
export interface BurnRateAlertRule {
  /** Where the alert goes. */
  readonly severity: AlertSeverity;
  /** The window that proves the burn is significant. */
  readonly longWindow: BurnRateWindow;
  /** The window (1/12 of the long one) that proves it is still going on, so alerts reset fast. */
  readonly shortWindow: BurnRateWindow;
  /** Both windows must burn faster than this many times the sustainable rate. */
  readonly factor: number;
}

/**
 * The multi-window, multi-burn-rate alerts of the Google SRE workbook
 * ("Alerting on SLOs"): over a 30-day window, 14.4× spends 2% of the budget in
 * one hour and 6× spends 5% in six hours (both page); 3× spends 10% in a day
 * and 1× 10% in three days (both open a ticket). An alert fires when any of its
 * pairs fires; a pair fires when both its windows burn faster than the factor.
 */
export const BURN_RATE_ALERTS: readonly BurnRateAlertRule[] = [
  { severity: 'page', longWindow: '1h', shortWindow: '5m', factor: 14.4 },
  { severity: 'page', longWindow: '6h', shortWindow: '30m', factor: 6 },
  { severity: 'ticket', longWindow: '1d', shortWindow: '2h', factor: 3 },
  { severity: 'ticket', longWindow: '3d', shortWindow: '6h', factor: 1 },
];

/**
 * The share of events the objective allows to be bad, `1 - objective`, rounded
 * to 12 significant digits so that `1 - 0.999` is exactly `0.001`.
 */
export function allowedBadShare(objective: number): number {
  return Number((1 - objective).toPrecision(12));
}

/**
 * How fast the budget burns: the bad share observed divided by the bad share
 * the objective allows. 1 spends the budget exactly over the SLO window; 0
 * when nothing was counted.
 */
export function burnRate(counts: EventCounts, objective: number): number {
  if (counts.total === 0) return 0;
  return (counts.total - counts.good) / counts.total / allowedBadShare(objective);
}

/** What is left of an error budget. */
export interface BudgetReading {
  /** Share of the budget left: 1 untouched, 0 spent, negative overspent. 1 with no events. */
  readonly budgetRemaining: number;
  /** Bad events the window may still take before the budget is spent (negative when overspent). */
  readonly badEventsAllowedRemaining: number;
}

/** The error budget of `counts` (over the SLO window) under `objective`. */
export function errorBudget(counts: EventCounts, objective: number): BudgetReading {
  const allowedBad = counts.total * allowedBadShare(objective);
  const bad = counts.total - counts.good;
  return {
    budgetRemaining: counts.total === 0 ? 1 : 1 - bad / allowedBad,
    badEventsAllowedRemaining: allowedBad - bad,
  };
}
