import type { PipelineView } from '../resilience/inspect.js';
import type { Pipeline } from '../resilience/pipeline.js';
import type {
  BreakerKeyReport,
  BreakerReport,
  BulkheadReport,
  ListedKey,
  PipelineReport,
  RetryBudgetReport,
  Trend,
} from './report-types.js';
import { pipelineHistory, SAMPLE_INTERVAL_MS } from './sampler.js';
import { Top } from './top.js';

/** What a pipeline report may show. */
export interface KeyPolicy {
  readonly maxKeys: number;
  readonly showTenants: boolean;
}

const STATE_RANK = { open: 2, half_open: 1, closed: 0 } as const;

/** Reads one pipeline into its report: O(keys) with at most `maxKeys` kept per layer. */
export function pipelineReport(
  pipeline: Pipeline,
  policy: KeyPolicy,
  nowMs: number,
): PipelineReport {
  const view = pipeline.inspect();
  const history = pipelineHistory(pipeline);
  return {
    name: view.name,
    calls: view.counts.calls,
    failures: view.counts.failures,
    trend: trendOf(history.calls, history.failures),
    history: { intervalMs: SAMPLE_INTERVAL_MS, ...history },
    breaker: view.breaker ? breakerReport(view.breaker, policy, nowMs) : null,
    bulkhead: view.bulkhead ? bulkheadReport(view.bulkhead, policy) : null,
    retryBudget: view.retryBudget ? budgetReport(view.retryBudget, policy, nowMs) : null,
  };
}

function listed(key: string, tenantKeyed: boolean, policy: KeyPolicy): ListedKey {
  return tenantKeyed && !policy.showTenants && key !== '' ? null : key;
}

function breakerReport(
  breaker: NonNullable<PipelineView['breaker']>,
  policy: KeyPolicy,
  nowMs: number,
): BreakerReport {
  const states = { closed: 0, open: 0, half_open: 0 };
  const top = new Top<BreakerKeyReport>(policy.maxKeys, (a, b) => {
    const byState = STATE_RANK[a.state] - STATE_RANK[b.state];
    if (byState !== 0) return byState < 0;
    return (
      (a.failureRatio ?? 0) + a.consecutiveFailures < (b.failureRatio ?? 0) + b.consecutiveFailures
    );
  });
  for (const [key, reading] of breaker.readings(nowMs)) {
    states[reading.state]++;
    top.offer({
      key: listed(key, breaker.tenantKeyed, policy),
      state: reading.state,
      halfOpenInMs: reading.halfOpenInMs,
      failureRatio: reading.windowCalls > 0 ? reading.windowFailures / reading.windowCalls : null,
      windowCalls: reading.windowCalls,
      windowFailures: reading.windowFailures,
      consecutiveFailures: reading.consecutiveFailures,
    });
  }
  return {
    mode: breaker.mode,
    failureRatioThreshold: breaker.failureRatio,
    minimumCalls: breaker.minimumCalls,
    consecutiveFailuresThreshold: breaker.consecutiveFailures,
    breakDurationMs: breaker.breakDurationMs,
    keys: top.seen,
    states,
    listed: top.items,
    omitted: top.omitted,
  };
}

function bulkheadReport(
  bulkhead: NonNullable<PipelineView['bulkhead']>,
  policy: KeyPolicy,
): BulkheadReport {
  let active = 0;
  let queued = 0;
  let saturated = 0;
  const top = new Top<BulkheadReport['listed'][number]>(
    policy.maxKeys,
    (a, b) => a.active + a.queued < b.active + b.queued,
  );
  for (const [key, entry] of bulkhead.entries()) {
    active += entry.active;
    queued += entry.queued;
    if (entry.active >= bulkhead.maxConcurrent) saturated++;
    top.offer({
      key: listed(key, bulkhead.tenantKeyed, policy),
      active: entry.active,
      queued: entry.queued,
    });
  }
  return {
    maxConcurrent: bulkhead.maxConcurrent,
    maxQueued: bulkhead.maxQueued,
    keys: top.seen,
    active,
    queued,
    saturated,
    listed: top.items,
    omitted: top.omitted,
  };
}

function budgetReport(
  budget: NonNullable<PipelineView['retryBudget']>,
  policy: KeyPolicy,
  nowMs: number,
): RetryBudgetReport {
  let exhausted = 0;
  const share = (entry: { remaining: number; allowed: number }) =>
    entry.allowed > 0 ? entry.remaining / entry.allowed : 0;
  const top = new Top<RetryBudgetReport['listed'][number]>(
    policy.maxKeys,
    (a, b) => share(a) > share(b),
  );
  for (const [key, reading] of budget.readings(nowMs)) {
    if (reading.remaining < 1) exhausted++;
    top.offer({
      key: listed(key, budget.tenantKeyed, policy),
      remaining: round(reading.remaining),
      allowed: round(reading.allowed),
    });
  }
  return { keys: top.seen, exhausted, listed: top.items, omitted: top.omitted };
}

/** Failure ratio over the last 6 points (about a minute) against the 6 before. */
function trendOf(calls: readonly number[], failures: readonly number[]): Trend {
  const sum = (values: readonly number[], from: number, to: number) =>
    values.slice(Math.max(0, from), Math.max(0, to)).reduce((a, b) => a + b, 0);
  const n = calls.length;
  const recentCalls = sum(calls, n - 6, n);
  const recentFailures = sum(failures, n - 6, n);
  const earlierCalls = sum(calls, n - 12, n - 6);
  const earlierFailures = sum(failures, n - 12, n - 6);
  if (recentFailures === 0 && earlierFailures === 0) return 'quiet';
  const recent = recentCalls > 0 ? recentFailures / recentCalls : 0;
  const earlier = earlierCalls > 0 ? earlierFailures / earlierCalls : 0;
  if (recent < earlier * 0.8) return 'better';
  if (recent > earlier * 1.25 || earlierCalls === 0) return 'worse';
  return 'steady';
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
