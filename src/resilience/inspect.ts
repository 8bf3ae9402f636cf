import type { Bulkhead, BulkheadLayer } from './bulkhead.js';
import type { CallCounts } from './call-counts.js';
import type { BreakerLayer, BreakerReading } from './circuit-breaker.js';
import { keyByTenant } from './key-by-tenant.js';
import type { RetryLayer } from './retry.js';

/**
 * A read-only view of one pipeline's layers, for the status page: settings,
 * counters, and per-key readings as lazy iterables (least recently used
 * first), so a reader that keeps only the top N keys never copies them all.
 * Building the view reads nothing; each iteration reads the live state.
 */
export interface PipelineView {
  readonly name: string;
  /** Calls and failures since the pipeline was created. */
  readonly counts: Readonly<CallCounts>;
  readonly breaker: BreakerView | undefined;
  readonly bulkhead: BulkheadView | undefined;
  readonly retryBudget: RetryBudgetView | undefined;
}

/** The breaker layer: its settings and one reading per live key. */
export interface BreakerView {
  readonly mode: 'ratio' | 'consecutive';
  /** Ratio mode: the failure ratio that opens a breaker. */
  readonly failureRatio: number;
  /** Ratio mode: fewest calls in the window before the ratio counts. */
  readonly minimumCalls: number;
  /** Consecutive mode: failures in a row that open a breaker. */
  readonly consecutiveFailures: number;
  readonly breakDurationMs: number;
  /** True when keys are tenant ids (`keyBy: keyByTenant`). */
  readonly tenantKeyed: boolean;
  readonly size: number;
  readings(nowMs: number): Iterable<[string, BreakerReading]>;
}

/** The bulkhead layer: its limits and each live key's bulkhead. */
export interface BulkheadView {
  readonly maxConcurrent: number;
  readonly maxQueued: number;
  readonly tenantKeyed: boolean;
  readonly size: number;
  entries(): Iterable<[string, Pick<Bulkhead, 'active' | 'queued'>]>;
}

/** The retry budgets: one reading per live key. */
export interface RetryBudgetView {
  readonly tenantKeyed: boolean;
  readonly size: number;
  readings(nowMs: number): Iterable<[string, { remaining: number; allowed: number }]>;
}

/** Builds the view of a pipeline's layers (see {@link PipelineView}). */
export function inspectLayers(
  name: string,
  counts: CallCounts,
  layers: {
    readonly breaker: BreakerLayer | undefined;
    readonly bulkhead: BulkheadLayer | undefined;
    readonly retry: RetryLayer | undefined;
  },
): PipelineView {
  const { breaker, bulkhead } = layers;
  const budgets = layers.retry?.settings.budgets;
  return {
    name,
    counts,
    breaker: breaker && {
      ...breaker.settings,
      tenantKeyed: breaker.keyBy === keyByTenant,
      get size() {
        return breaker.size;
      },
      readings: (nowMs) => breaker.readings(nowMs),
    },
    bulkhead: bulkhead && {
      maxConcurrent: bulkhead.settings.maxConcurrent,
      maxQueued: bulkhead.settings.maxQueued,
      tenantKeyed: bulkhead.keyBy === keyByTenant,
      get size() {
        return bulkhead.size;
      },
      entries: () => bulkhead.entries(),
    },
    retryBudget: budgets && {
      tenantKeyed: layers.retry?.settings.budgetKey === keyByTenant,
      get size() {
        return budgets.size;
      },
      readings: (nowMs) => budgetReadings(budgets.entriesView(), nowMs),
    },
  };
}

function* budgetReadings(
  entries: Iterable<[string, { reading(nowMs: number): { remaining: number; allowed: number } }]>,
  nowMs: number,
): Iterable<[string, { remaining: number; allowed: number }]> {
  for (const [key, budget] of entries) yield [key, budget.reading(nowMs)];
}
