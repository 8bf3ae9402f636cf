import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { trace } from '@opentelemetry/api';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { Attr, Metric } from '../../src/index.js';
import { resetError, settle } from '../resilience/helpers.js';
import { requireService, services } from '../support/services.js';
import {
  dataPoints,
  disableTelemetry,
  installMeterProvider,
  installTracerProvider,
} from '../support/telemetry.js';
import { type FleetInstance, startInstance } from './fleet-helpers.js';

/*
 * A transition received from the fleet is observed like a local one: the
 * events counter and a span event, each marked bulwark.breaker.origin.
 */

const up = await requireService('redis');
const keyPrefix = `bulwark-test:breaker-otel:${randomBytes(6).toString('hex')}:`;
const reader = installMeterProvider();
const spans = installTracerProvider();
const instances: FleetInstance[] = [];

afterAll(async () => {
  await Promise.all(instances.map((i) => i.close()));
  disableTelemetry();
  if (!up) return;
  const admin = new Redis(services.redis.port, '127.0.0.1');
  const keys = await admin.keys(`${keyPrefix}*`);
  if (keys.length > 0) await admin.del(...keys);
  admin.disconnect();
});

const points = (name: string) => dataPoints(reader, name);

describe.skipIf(!up)('telemetry of shared breakers', () => {
  it('counts local and fleet transitions apart, and gives a fleet transition its span event', async () => {
    const breaker = {
      mode: 'consecutive',
      consecutiveFailures: 1,
      breakDurationMs: 5_000,
      telemetry: true,
    } as const;
    const a = await startInstance('ioredis', keyPrefix, 'otel-bank', breaker);
    const b = await startInstance('ioredis', keyPrefix, 'otel-bank', breaker);
    instances.push(a, b);
    const tracer = trace.getTracer('test');
    await tracer.startActiveSpan('call', async (span) => {
      await settle(
        a.pipeline.execute(() => {
          throw resetError();
        }),
      );
      span.end();
    });
    for (let i = 0; i < 100 && b.pipeline.circuitState() !== 'open'; i++) await sleep(10);
    expect(b.pipeline.circuitState()).toBe('open');

    const opened = (await points(Metric.ResilienceEvents)).filter(
      (p) =>
        p.attributes[Attr.EventName] === 'circuit_opened' &&
        p.attributes[Attr.PipelineName] === 'otel-bank',
    );
    const byOrigin = Object.fromEntries(
      opened.map((p) => [String(p.attributes[Attr.BreakerOrigin]), p.value]),
    );
    expect(byOrigin).toEqual({ local: 1, fleet: 1 });

    const finished = spans.getFinishedSpans();
    const local = finished.find((s) => s.name === 'call');
    expect(local?.events.map((e) => [e.name, e.attributes?.[Attr.BreakerOrigin]])).toContainEqual([
      'bulwark.resilience.circuit_opened',
      'local',
    ]);
    const fleet = finished.find((s) => s.name === 'bulwark.breaker.fleet');
    expect(fleet?.attributes[Attr.PipelineName]).toBe('otel-bank');
    expect(fleet?.events.map((e) => [e.name, e.attributes?.[Attr.BreakerOrigin]])).toEqual([
      ['bulwark.resilience.circuit_opened', 'fleet'],
    ]);
  });
});
