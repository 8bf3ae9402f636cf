import { trace } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { Attr, ErrorCode, Metric, resilient, withTenant } from '../../src/index.js';
import {
  dataPoints,
  disableTelemetry,
  installMeterProvider,
  installTracerProvider,
} from '../support/telemetry.js';
import { resetError, settle } from './helpers.js';

const reader = installMeterProvider();
const spans = installTracerProvider();
afterAll(disableTelemetry);

const points = (name: string) => dataPoints(reader, name);

/** Fails once with a reset connection, then succeeds. */
function flaky() {
  return ({ attempt }: { attempt: number }) => {
    if (attempt === 1) throw resetError();
    return 'ok';
  };
}

const fastRetry = { retry: { baseDelayMs: 1, maxDelayMs: 1 } };

describe('telemetry through the OTel API', () => {
  it('counts events with pipeline, event, error type, jurisdiction and guarded tenant', async () => {
    const pipeline = resilient('bank-events', fastRetry);
    await withTenant({ tenantId: 'acme', jurisdiction: 'de' }, () => pipeline.execute(flaky()));
    const retry = (await points(Metric.ResilienceEvents)).find(
      (p) => p.attributes[Attr.PipelineName] === 'bank-events',
    );
    expect(retry?.value).toBe(1);
    expect(retry?.attributes).toEqual({
      [Attr.PipelineName]: 'bank-events',
      [Attr.EventName]: 'retry',
      [Attr.ErrorType]: 'ECONNRESET',
      [Attr.TenantJurisdiction]: 'DE',
      [Attr.TenantId]: 'acme',
    });
  });

  it('records attempt and pipeline durations in seconds, with error.type on failures', async () => {
    const pipeline = resilient('bank-durations', fastRetry);
    await pipeline.execute(flaky());
    const attempts = (await points(Metric.AttemptDuration)).filter(
      (p) => p.attributes[Attr.PipelineName] === 'bank-durations',
    );
    expect(attempts.map((p) => p.attributes[Attr.ErrorType]).sort()).toEqual([
      'ECONNRESET',
      undefined,
    ]);
    const calls = (await points(Metric.PipelineDuration)).filter(
      (p) => p.attributes[Attr.PipelineName] === 'bank-durations',
    );
    expect(calls).toHaveLength(1);
    const histogram = calls[0]!.value as { count: number; sum: number };
    expect(histogram.count).toBe(1);
    expect(histogram.sum).toBeLessThan(5); // seconds, not milliseconds
  });

  it('records a call that succeeds at its first attempt once, as the pipeline duration', async () => {
    const pipeline = resilient('bank-first-time');
    await withTenant({ tenantId: 'acme', jurisdiction: 'de' }, () => pipeline.execute(() => 'ok'));
    await pipeline.execute(() => 'ok');
    const mine = (p: { attributes: Record<string, unknown> }) =>
      p.attributes[Attr.PipelineName] === 'bank-first-time';
    expect((await points(Metric.AttemptDuration)).filter(mine)).toEqual([]);
    const calls = (await points(Metric.PipelineDuration)).filter(mine);
    expect(calls.map((p) => p.attributes)).toEqual([
      {
        [Attr.PipelineName]: 'bank-first-time',
        [Attr.TenantJurisdiction]: 'DE',
        [Attr.TenantId]: 'acme',
      },
      { [Attr.PipelineName]: 'bank-first-time' },
    ]);
    expect(calls.map((p) => (p.value as { count: number }).count)).toEqual([1, 1]);
  });

  it('adds span events with the attempt number to the active span', async () => {
    const pipeline = resilient('bank-spans', fastRetry);
    const tracer = trace.getTracer('test');
    await tracer.startActiveSpan('payout', async (span) => {
      await pipeline.execute(flaky());
      span.end();
    });
    const payout = spans.getFinishedSpans().find((s) => s.name === 'payout');
    const event = payout?.events.find((e) => e.name === 'bulwark.resilience.retry');
    expect(event?.attributes).toMatchObject({
      [Attr.PipelineName]: 'bank-spans',
      [Attr.Attempt]: 1,
      [Attr.ErrorType]: 'ECONNRESET',
    });
  });

  it('observes the breaker state per key and the bulkhead occupancy as gauges', async () => {
    const pipeline = resilient('bank-gauges', {
      retry: false,
      breaker: { mode: 'consecutive', consecutiveFailures: 1 },
    });
    await settle(pipeline.execute(() => Promise.reject(resetError()), { key: 'https://a.test' }));
    await pipeline.execute(() => 'ok', { key: 'https://b.test' });
    const states = (await points(Metric.CircuitState)).filter(
      (p) => p.attributes[Attr.PipelineName] === 'bank-gauges' && p.value === 1,
    );
    expect(
      states.map((p) => [p.attributes[Attr.ResilienceKey], p.attributes[Attr.CircuitState]]),
    ).toEqual([
      ['https://a.test', 'open'],
      ['https://b.test', 'closed'],
    ]);
    const occupancy = (await points(Metric.BulkheadOccupancy)).find(
      (p) => p.attributes[Attr.PipelineName] === 'bank-gauges',
    );
    expect(occupancy?.value).toBe(0);
  });

  it('counts rejections by their stable code', async () => {
    const pipeline = resilient('bank-rejections', {
      retry: false,
      breaker: { mode: 'consecutive', consecutiveFailures: 1 },
    });
    await settle(pipeline.execute(() => Promise.reject(resetError())));
    await settle(pipeline.execute(() => 'never runs'));
    const rejected = (await points(Metric.ResilienceEvents)).find(
      (p) =>
        p.attributes[Attr.PipelineName] === 'bank-rejections' &&
        p.attributes[Attr.EventName] === 'circuit_rejected',
    );
    expect(rejected?.attributes[Attr.ErrorType]).toBe(ErrorCode.CircuitOpen);
  });

  it('records nothing and keeps working with telemetry: false', async () => {
    const pipeline = resilient('bank-quiet', { ...fastRetry, telemetry: false });
    expect(await pipeline.execute(flaky())).toBe('ok');
    const any = (await points(Metric.ResilienceEvents)).some(
      (p) => p.attributes[Attr.PipelineName] === 'bank-quiet',
    );
    expect(any).toBe(false);
  });
});
