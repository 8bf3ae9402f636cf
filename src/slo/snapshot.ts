import type { EventCounts } from './bucket-ring.js';
import {
  BURN_RATE_ALERTS,
  BURN_RATE_WINDOWS_MS,
  type BurnRateAlertRule,
  type BurnRateWindow,
  burnRate,
  errorBudget,
} from './burn-rate.js';

/** One burn-rate alert condition, read at one instant. */
export interface BurnRateAlertReading extends BurnRateAlertRule {
  /** Burn rate over the long window. */
  readonly longBurnRate: number;
  /** Burn rate over the short window. */
  readonly shortBurnRate: number;
  /** True when both burn rates exceed `factor`. */
  readonly firing: boolean;
}

/** Everything an SLO knows at one instant; a plain, serialisable object. */
export interface SloSnapshot {
  /** The SLO's name. */
  readonly name: string;
  /** The objective, e.g. `0.999`. */
  readonly objective: number;
  /** The rolling window, in days. */
  readonly windowDays: number;
  /** When the snapshot was taken, in epoch milliseconds (from the SLO's clock). */
  readonly atMs: number;
  /** Good events in the window. */
  readonly good: number;
  /** All counted events in the window. */
  readonly total: number;
  /** Bad events in the window (`total - good`). */
  readonly bad: number;
  /** Observed share of good events in the window; undefined with no events. */
  readonly sli: number | undefined;
  /** Share of the error budget left: 1 untouched, 0 spent, negative overspent. */
  readonly budgetRemaining: number;
  /** Bad events the window can still take before the budget is spent. */
  readonly badEventsAllowedRemaining: number;
  /** True when the budget is spent and the window holds at least `minEventsToExhaust` events. */
  readonly budgetExhausted: boolean;
  /** Burn rate over each standard window (1 = spending exactly the budget over the SLO window). */
  readonly burnRates: Readonly<Record<BurnRateWindow, number>>;
  /** Each standard alert pair with its readings and whether it fires. */
  readonly alerts: readonly BurnRateAlertReading[];
  /** True when a page alert pair fires. */
  readonly paging: boolean;
  /** True when a ticket alert pair fires. */
  readonly ticketing: boolean;
}

/** What {@link buildSnapshot} reads. */
export interface SnapshotInput {
  /** The SLO's name. */
  readonly name: string;
  /** The objective, strictly between 0 and 1. */
  readonly objective: number;
  /** The rolling window, in days. */
  readonly windowDays: number;
  /** The instant read, in epoch milliseconds. */
  readonly atMs: number;
  /** Counts over the whole SLO window. */
  readonly window: EventCounts;
  /** Whether the budget counts as exhausted (the SLO applies `minEventsToExhaust`). */
  readonly budgetExhausted: boolean;
  /** Counts over one burn-rate window ending at `atMs`. */
  readonly countsOver: (window: BurnRateWindow) => EventCounts;
}

/** Computes a {@link SloSnapshot} from window counts: pure arithmetic. */
export function buildSnapshot(input: SnapshotInput): SloSnapshot {
  const { objective, window } = input;
  const burnRates = {} as Record<BurnRateWindow, number>;
  for (const key of Object.keys(BURN_RATE_WINDOWS_MS) as BurnRateWindow[]) {
    burnRates[key] = burnRate(input.countsOver(key), objective);
  }
  const alerts = BURN_RATE_ALERTS.map((rule): BurnRateAlertReading => {
    const longBurnRate = burnRates[rule.longWindow];
    const shortBurnRate = burnRates[rule.shortWindow];
    const firing = longBurnRate > rule.factor && shortBurnRate > rule.factor;
    return { ...rule, longBurnRate, shortBurnRate, firing };
  });
  return {
    name: input.name,
    objective,
    windowDays: input.windowDays,
    atMs: input.atMs,
    good: window.good,
    total: window.total,
    bad: window.total - window.good,
    sli: window.total === 0 ? undefined : window.good / window.total,
    ...errorBudget(window, objective),
    budgetExhausted: input.budgetExhausted,
    burnRates,
    alerts,
    paging: alerts.some((alert) => alert.firing && alert.severity === 'page'),
    ticketing: alerts.some((alert) => alert.firing && alert.severity === 'ticket'),
  };
}
