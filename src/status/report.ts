import { IDEMPOTENCY_OUTCOME_KINDS, outcomeTotals } from '../idempotency/outcomes.js';
import { now } from '../resilience/clock.js';
import type { Pipeline } from '../resilience/pipeline.js';
import { livePipelines } from '../resilience/registry.js';
import type { Slo } from '../slo/define-slo.js';
import { liveSlos } from '../slo/registry.js';
import type { ResolvedStatusOptions } from './options.js';
import { pipelineReport } from './pipeline-report.js';
import {
  type IdempotencyReport,
  type OutcomeCounts,
  type SloReport,
  STATUS_SCHEMA_VERSION,
  type StatusReport,
} from './report-types.js';
import { outcomeHistory } from './sampler.js';

/** Points of 10 s per minute bucket. */
const POINTS_PER_MINUTE = 6;

/**
 * Builds the report from live state, when asked: nothing is gathered in
 * between. O(pipelines × keys + SLOs), with at most `maxKeys` keys kept per
 * layer, so its size is bounded whatever the number of keys.
 */
export function buildReport(options: ResolvedStatusOptions, nowMs = now()): StatusReport {
  const pipelines = (options.pipelines ?? livePipelines.live()) as Pipeline[];
  const slos = options.slos ?? liveSlos.live();
  const shownPipelines = pipelines.slice(0, options.maxPipelines);
  const shownSlos = slos.slice(0, options.maxSlos);
  return {
    schemaVersion: STATUS_SCHEMA_VERSION,
    generatedAt: new Date().toISOString(),
    updateIntervalMs: options.updateIntervalMs,
    tenantsShown: options.showTenants,
    pipelines: shownPipelines.map((pipeline) => pipelineReport(pipeline, options, nowMs)),
    pipelinesOmitted: pipelines.length - shownPipelines.length,
    slos: shownSlos.map(sloReport),
    slosOmitted: slos.length - shownSlos.length,
    idempotency: idempotencyReport(),
  };
}

function sloReport(slo: Slo): SloReport {
  const s = slo.snapshot();
  return {
    name: s.name,
    objective: s.objective,
    windowDays: s.windowDays,
    total: s.total,
    bad: s.bad,
    sli: s.sli ?? null,
    budgetRemaining: finite(s.budgetRemaining),
    budgetExhausted: s.budgetExhausted,
    burnRates: { ...s.burnRates },
    paging: s.paging,
    ticketing: s.ticketing,
  };
}

function idempotencyReport(): IdempotencyReport {
  const series = outcomeHistory();
  const points = series[0]?.length ?? 0;
  const perMinute: OutcomeCounts[] = [];
  // Minutes end at the newest point (the interval in progress) and go back six points each.
  for (let end = points; end > 0; end -= POINTS_PER_MINUTE) {
    const start = Math.max(0, end - POINTS_PER_MINUTE);
    const minute = {} as Record<(typeof IDEMPOTENCY_OUTCOME_KINDS)[number], number>;
    IDEMPOTENCY_OUTCOME_KINDS.forEach((kind, i) => {
      minute[kind] = series[i]!.slice(start, end).reduce((a, b) => a + b, 0);
    });
    perMinute.unshift(minute);
  }
  return { totals: { ...outcomeTotals }, perMinute };
}

/** JSON has no Infinity: an overspent budget over few events stays a finite number. */
function finite(value: number): number {
  return Number.isFinite(value) ? value : value > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE;
}
