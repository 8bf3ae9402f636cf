/**
 * The JSON the status handler serves (`Accept: application/json`) and
 * streams to its page: schema version 1, documented in docs/status-schema.md
 * and docs/status-schema.json. Fields are only ever added within a version;
 * a removal or a change of meaning bumps `schemaVersion`.
 */

import type { IdempotencyOutcomeKind } from '../idempotency/outcomes.js';
import type { CircuitState } from '../resilience/circuit-breaker.js';

/** The schema version this build serves. */
export const STATUS_SCHEMA_VERSION = 1;

/** The whole report. */
export interface StatusReport {
  readonly schemaVersion: typeof STATUS_SCHEMA_VERSION;
  /** When the report was built, ISO 8601 UTC. */
  readonly generatedAt: string;
  /** How often the live page is updated, in ms. */
  readonly updateIntervalMs: number;
  /** True when tenant ids are shown (`showTenants: true`). */
  readonly tenantsShown: boolean;
  readonly pipelines: readonly PipelineReport[];
  /** Pipelines beyond `maxPipelines`, not listed. */
  readonly pipelinesOmitted: number;
  readonly slos: readonly SloReport[];
  /** SLOs beyond `maxSlos`, not listed. */
  readonly slosOmitted: number;
  readonly idempotency: IdempotencyReport;
}

/** Calls over time, oldest first; the last point is the interval in progress. */
export interface CallHistory {
  /** Width of each point, in ms (10 s). */
  readonly intervalMs: number;
  readonly calls: readonly number[];
  readonly failures: readonly number[];
}

/** Whether failures are easing: last minute against the minute before. */
export type Trend = 'better' | 'worse' | 'steady' | 'quiet';

/** One `resilient()` pipeline. */
export interface PipelineReport {
  readonly name: string;
  /** Calls since the pipeline was created. */
  readonly calls: number;
  /** Calls that failed since the pipeline was created. */
  readonly failures: number;
  readonly trend: Trend;
  /** The last 15 minutes, by 10 s. */
  readonly history: CallHistory;
  readonly breaker: BreakerReport | null;
  readonly bulkhead: BulkheadReport | null;
  readonly retryBudget: RetryBudgetReport | null;
}

/**
 * A key as listed: the key itself, `""` for the pipeline's shared (unkeyed)
 * breaker, bulkhead or budget, or `null` for a tenant id when tenants are hidden.
 */
export type ListedKey = string | null;

/** The breaker layer of a pipeline. */
export interface BreakerReport {
  readonly mode: 'ratio' | 'consecutive';
  readonly failureRatioThreshold: number;
  readonly minimumCalls: number;
  readonly consecutiveFailuresThreshold: number;
  readonly breakDurationMs: number;
  /** Keys with a live breaker. */
  readonly keys: number;
  /** Breakers per state, over every key. */
  readonly states: { readonly closed: number; readonly open: number; readonly half_open: number };
  /** The worst keys first (open, then half-open, then by failure ratio), at most `maxKeys`. */
  readonly listed: readonly BreakerKeyReport[];
  /** Keys not listed. */
  readonly omitted: number;
}

/** One breaker. */
export interface BreakerKeyReport {
  readonly key: ListedKey;
  readonly state: CircuitState;
  /** Time left before an open breaker lets a probe through, in ms; 0 unless open. */
  readonly halfOpenInMs: number;
  /** Recent failure ratio: failures / calls in the window (ratio mode), null with no calls. */
  readonly failureRatio: number | null;
  readonly windowCalls: number;
  readonly windowFailures: number;
  readonly consecutiveFailures: number;
}

/** The bulkhead layer of a pipeline. */
export interface BulkheadReport {
  readonly maxConcurrent: number;
  readonly maxQueued: number;
  readonly keys: number;
  /** Calls running, over every key. */
  readonly active: number;
  /** Calls queued, over every key. */
  readonly queued: number;
  /** Keys whose bulkhead has no free slot. */
  readonly saturated: number;
  /** The fullest keys first, at most `maxKeys`. */
  readonly listed: readonly {
    readonly key: ListedKey;
    readonly active: number;
    readonly queued: number;
  }[];
  readonly omitted: number;
}

/** The retry budgets of a pipeline. */
export interface RetryBudgetReport {
  readonly keys: number;
  /** Keys with less than one retry left. */
  readonly exhausted: number;
  /** The emptiest budgets first, at most `maxKeys`. */
  readonly listed: readonly {
    readonly key: ListedKey;
    /** Retries left in the window now. */
    readonly remaining: number;
    /** Retries the window allows now (floor + ratio × calls). */
    readonly allowed: number;
  }[];
  readonly omitted: number;
}

/** One SLO, as its snapshot reads now. */
export interface SloReport {
  readonly name: string;
  readonly objective: number;
  readonly windowDays: number;
  readonly total: number;
  readonly bad: number;
  readonly sli: number | null;
  /** Share of the error budget left: 1 untouched, 0 spent, negative overspent. */
  readonly budgetRemaining: number;
  readonly budgetExhausted: boolean;
  readonly burnRates: Readonly<Record<'5m' | '30m' | '1h' | '2h' | '6h' | '1d' | '3d', number>>;
  /** A page alert pair fires. */
  readonly paging: boolean;
  /** A ticket alert pair fires. */
  readonly ticketing: boolean;
}

/** Counts per idempotency outcome. */
export type OutcomeCounts = Readonly<Record<IdempotencyOutcomeKind, number>>;

/** What the idempotency engine did. */
export interface IdempotencyReport {
  /** Requests per outcome since the process started. */
  readonly totals: OutcomeCounts;
  /** Requests per outcome per minute, oldest first, the last minute ending now; up to 15. */
  readonly perMinute: readonly OutcomeCounts[];
}
