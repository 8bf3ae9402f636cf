import { randomUUID } from 'node:crypto';
import { type Attributes, context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader, type SumMetricData } from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { idempotency } from '../../src/express/index.js';
import { Attr, MemoryStore, Metric } from '../../src/index.js';
import { FaultyStore } from '../idempotency/faulty-store.js';
import { closeAll, listen, postJson, tenantApp } from './idempotency-helpers.js';
import { majors } from './serve.js';

class TestReader extends MetricReader {
  protected override async onShutdown() {}
  protected override async onForceFlush() {}
}

let reader = new TestReader();
const spans = new InMemorySpanExporter();
const tracerProvider = new TracerProvider({
  spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
});

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(tracerProvider);
});

// A fresh meter provider and span list per test: each major counts from zero.
beforeEach(() => {
  metrics.disable();
  reader = new TestReader();
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  spans.reset();
});

afterAll(async () => {
  await closeAll();
  metrics.disable();
  trace.disable();
  context.disable();
});

async function counted(): Promise<Attributes[]> {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .find((m) => m.descriptor.name === Metric.IdempotencyRequests) as SumMetricData | undefined;
  return (metric?.dataPoints ?? []).flatMap((p) =>
    Array.from({ length: p.value }, () => p.attributes),
  );
}

describe.each(majors)('idempotency() on $name: telemetry', ({ express }) => {
  it('counts every outcome with its jurisdiction, stamps it on the active span, and never records the key', async () => {
    const store = new FaultyStore(new MemoryStore());
    const app = tenantApp(express);
    const tracer = trace.getTracer('test');
    app.use((_req, res, next) => {
      tracer.startActiveSpan('request', (span) => {
        res.on('close', () => span.end());
        next();
      });
    });
    app.post('/t', express.json(), idempotency({ store }), (req, res) => {
      res.status(201).json(req.body);
    });
    const { url } = await listen(app);
    const key = `secret-key-${randomUUID()}`;
    const tenant = { 'x-tenant': 'acme' };
    await postJson(`${url}/t`, key, { a: 1 }, tenant); // executed
    await postJson(`${url}/t`, key, { a: 1 }, tenant); // replayed
    await postJson(`${url}/t`, key, { a: 2 }, tenant); // mismatch
    await postJson(`${url}/t`, undefined, { a: 1 }, tenant); // rejected
    store.faults.claim = 'throw';
    await postJson(`${url}/t`, randomUUID(), { a: 1 }, tenant); // store_unavailable

    const points = await counted();
    expect(points.map((p) => p[Attr.IdempotencyOutcome])).toEqual([
      'executed',
      'replayed',
      'mismatch',
      'rejected',
      'store_unavailable',
    ]);
    expect(points.every((p) => p[Attr.TenantJurisdiction] === 'DE')).toBe(true);
    expect(JSON.stringify(points)).not.toContain('secret-key');

    await expect
      .poll(() => spans.getFinishedSpans().map((s) => s.attributes[Attr.IdempotencyOutcome]))
      .toEqual(['executed', 'replayed', 'mismatch', 'rejected', 'store_unavailable']);
  });
});
