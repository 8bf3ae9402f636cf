import { type Attributes, createNoopMeter, trace } from '@opentelemetry/api';
import { Attr, INSTRUMENTATION_SCOPE, Metric } from '../telemetry/attributes.js';
import { lazyInstruments } from '../telemetry/instruments.js';
import { createJurisdictionGuard } from '../telemetry/jurisdiction-guard.js';
import type { LabelGuard } from '../telemetry/label-guard.js';
import { createTenantGuard } from '../telemetry/tenant-guard.js';
import { getTenant } from '../tenant/context.js';
import { errorType } from './error-type.js';
import type { ResilienceEvent } from './events.js';
import { observeGauges } from './gauges.js';

/**
 * Turns a pipeline's events and timings into OTel metrics and span events.
 * With no SDK registered the meter is the API's no-op one: then `metricsOn()`
 * is false, the pipeline skips its clock reads and never calls this file on
 * success, and an event costs a counter call on a no-op instrument and a
 * look-up of the (non-recording) active span.
 *
 * With an SDK, a call that succeeds at its first attempt is one recording (its
 * duration), with an attribute set built once per pipeline and tenant labels:
 * each recording costs the SDK a hash of its attributes, which is most of what
 * telemetry costs per call (the `policy-otel` scenario,
 * benchmarks/scenarios/policy-otel.mjs).
 */

const noopHistogram = createNoopMeter().createHistogram('noop');

/** Seconds buckets for call durations: 5 ms to 60 s (a deadline is 30 s by default). */
const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

const instruments = lazyInstruments((meter) => {
  observeGauges(meter);
  return {
    events: meter.createCounter(Metric.ResilienceEvents, {
      description: 'Resilience events: retries, timeouts, breaker transitions, rejections.',
    }),
    attempt: meter.createHistogram(Metric.AttemptDuration, {
      description:
        'Duration of each attempt of a resilient call that failed or needed more than one attempt; a call that succeeds at its first attempt is in the pipeline duration.',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    }),
    pipeline: meter.createHistogram(Metric.PipelineDuration, {
      description: 'Duration of a resilient call, all attempts and backoffs included.',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    }),
  };
});

/** The guards of one metric's request-derived labels. */
interface Guards {
  readonly tenant: LabelGuard;
  readonly jurisdiction: LabelGuard;
}

// One pair per metric, so a busy metric cannot take the slots of another. The
// tenant comes from the request: both labels go through a guard, never raw.
const guards = (): Guards => ({
  tenant: createTenantGuard(),
  jurisdiction: createJurisdictionGuard(),
});
const eventsGuards = guards();
const attemptGuards = guards();
const pipelineGuards = guards();

/** Telemetry of one pipeline. */
export class PipelineTelemetry {
  /** The attributes of a successful call outside any tenant. */
  private readonly plain: Attributes;
  /** The attributes of a successful call per guarded tenant labels; bounded by the guards. */
  private readonly tenantSets = new Map<string, Attributes>();

  constructor(readonly pipeline: string) {
    this.plain = Object.freeze({ [Attr.PipelineName]: pipeline });
  }

  /** True when an SDK records metrics; when false, callers skip timing altogether. */
  metricsOn(): boolean {
    return instruments().pipeline !== noopHistogram;
  }

  /** Records one attempt's duration; `error` undefined on success. */
  recordAttempt(durationMs: number, error: unknown): void {
    try {
      instruments().attempt.record(durationMs / 1000, this.attributes(attemptGuards, error));
    } catch {
      // Telemetry never throws into the call.
    }
  }

  /** Records one call's total duration; `error` undefined on success. */
  recordCall(durationMs: number, error: unknown): void {
    try {
      const attributes =
        error === undefined ? this.successSet() : this.attributes(pipelineGuards, error);
      instruments().pipeline.record(durationMs / 1000, attributes);
    } catch {
      // Telemetry never throws into the call.
    }
  }

  /** The event listener: a counter increment and a span event on the active span. */
  readonly observe = (event: ResilienceEvent): void => {
    try {
      const attributes = this.attributes(eventsGuards, event.error);
      attributes[Attr.EventName] = event.name;
      if (event.origin !== undefined) attributes[Attr.BreakerOrigin] = event.origin;
      instruments().events.add(1, attributes);
      const spanEvent = {
        [Attr.PipelineName]: this.pipeline,
        [Attr.Attempt]: event.attempt,
        ...(event.error === undefined ? {} : { [Attr.ErrorType]: errorType(event.error) }),
        ...(event.delayMs === undefined ? {} : { [Attr.RetryDelayMs]: event.delayMs }),
        ...(event.origin === undefined ? {} : { [Attr.BreakerOrigin]: event.origin }),
      };
      const span = trace.getActiveSpan();
      if (span?.isRecording()) span.addEvent(`bulwark.resilience.${event.name}`, spanEvent);
      else if (event.origin === 'fleet') {
        // Received from the fleet, outside any call: a span of its own carries it.
        const own = trace.getTracer(INSTRUMENTATION_SCOPE).startSpan('bulwark.breaker.fleet', {
          attributes: {
            [Attr.PipelineName]: this.pipeline,
            ...(event.key === undefined ? {} : { [Attr.ResilienceKey]: event.key }),
          },
        });
        own.addEvent(`bulwark.resilience.${event.name}`, spanEvent);
        own.end();
      }
    } catch {
      // Telemetry never throws into the call.
    }
  };

  /**
   * The attribute set of a successful call, built once per pipeline and tenant
   * labels: a guard's answer for a value never changes once given, so the set
   * for the same labels is always the same.
   */
  private successSet(): Attributes {
    const tenant = getTenant();
    if (tenant === undefined) return this.plain;
    const jurisdiction = pipelineGuards.jurisdiction(tenant.jurisdiction);
    const tenantLabel = pipelineGuards.tenant(tenant.tenantId);
    const id = `${jurisdiction ?? ''}\u0000${tenantLabel ?? ''}`;
    let attributes = this.tenantSets.get(id);
    if (attributes === undefined) {
      attributes = { ...this.plain };
      if (jurisdiction !== undefined) attributes[Attr.TenantJurisdiction] = jurisdiction;
      if (tenantLabel !== undefined) attributes[Attr.TenantId] = tenantLabel;
      this.tenantSets.set(id, Object.freeze(attributes));
    }
    return attributes;
  }

  private attributes(guards: Guards, error: unknown) {
    const attributes: Attributes = { [Attr.PipelineName]: this.pipeline };
    if (error !== undefined) attributes[Attr.ErrorType] = errorType(error);
    const tenant = getTenant();
    if (tenant !== undefined) {
      const jurisdiction = guards.jurisdiction(tenant.jurisdiction);
      if (jurisdiction !== undefined) attributes[Attr.TenantJurisdiction] = jurisdiction;
      const tenantLabel = guards.tenant(tenant.tenantId);
      if (tenantLabel !== undefined) attributes[Attr.TenantId] = tenantLabel;
    }
    return attributes;
  }
}
