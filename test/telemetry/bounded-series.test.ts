import { randomBytes } from 'node:crypto';
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idempotency, requestMetrics, tenant } from '../../src/express/index.js';
import { MemoryStore, resilient } from '../../src/index.js';
import { type Served, serve } from '../express/serve.js';
import { parseExposition } from '../slo/exposition.js';

/*
 * An adversarial client picks every tenant header value: 10,000 random tenant
 * ids, 10,000 random (well-formed) jurisdictions and random transaction types,
 * on requests answered 201, 400 by the application, 400 by tenant() itself and
 * 404. What bulwark's metrics remember of them must stay under a fixed bound:
 * the series count and the size of the Prometheus exposition must not grow
 * with the number of distinct values a client sends.
 */

const MAX_TENANTS = 20;
const MAX_JURISDICTIONS = 20;
const ROUND = 5_000;
const CONCURRENCY = 32;

/** Label keys a metric may carry; each value must come from a bounded set. */
const BOUNDED_LABELS = new Set([
  'http_request_method',
  'http_route',
  'http_response_status_code',
  'error_type',
  'tenant_id',
  'tenant_jurisdiction',
  'pipeline_name',
  'event_name',
  'bulwark_resilience_key',
  'bulwark_circuit_state',
  'bulwark_idempotency_outcome',
  'le',
  'otel_scope_name',
  'otel_scope_version',
  'otel_scope_schema_url',
]);

/*
 * The bounds asserted below. With 21 tenant labels (20 + `other`) and 21
 * jurisdiction labels on the HTTP histogram, and the resilience metrics' own
 * guards (100 + `other` each), the series count is bounded by the guards, not
 * by the traffic: 230 series and about 0.6 MB when this test was written.
 * Before the jurisdiction guard it was 6,004 series and 16.8 MB after the
 * first 5,000 requests, 12,000 series and 33.6 MB after 10,000.
 */
const MAX_SERIES = 1_000;
const MAX_EXPOSITION_BYTES = 1_000_000;

let exporter: PrometheusExporter;
let provider: MeterProvider;
let served: Served;

beforeAll(async () => {
  exporter = new PrometheusExporter({ preventServerStart: true });
  provider = new MeterProvider({ readers: [exporter] });
  metrics.setGlobalMeterProvider(provider);
  const bank = resilient('bounded-bank', { retry: false });
  const app = express();
  app.use(
    requestMetrics({ maxTenants: MAX_TENANTS, maxJurisdictions: MAX_JURISDICTIONS }),
    tenant(),
  );
  app.post('/transfers', async (_req, res) => {
    res.status(201).json({ id: await bank.execute(async () => 'tr-1') });
  });
  app.post('/keyed', idempotency({ store: new MemoryStore() }), (_req, res) => {
    res.status(201).json({ id: 'k-1' });
  });
  app.post('/refused', (_req, res) => {
    res.status(400).json({ error: 'bad amount' });
  });
  served = await serve(app);
});

afterAll(async () => {
  await served?.close();
  metrics.disable();
  await provider?.shutdown();
});

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ALNUM = `${LETTERS}0123456789`;
const pick = (alphabet: string) => alphabet[Math.floor(Math.random() * alphabet.length)]!;

/** A well-formed ISO 3166 code nobody has sent yet: `XX` or `XX-Y`, `XX-YY`, `XX-YYY`. */
function jurisdictionSource() {
  const seen = new Set<string>();
  return function nextJurisdiction(): string {
    for (;;) {
      const length = Math.floor(Math.random() * 4);
      const suffix = Array.from({ length }, () => pick(ALNUM)).join('');
      const code = pick(LETTERS) + pick(LETTERS) + (length === 0 ? '' : `-${suffix}`);
      if (!seen.has(code)) {
        seen.add(code);
        return code;
      }
    }
  };
}
const nextJurisdiction = jurisdictionSource();

/** One request of the flood: a fresh tenant, jurisdiction and transaction type every time. */
function floodRequest(i: number): { path: string; headers: Record<string, string> } {
  const headers: Record<string, string> = {
    'X-Tenant-Id': `t-${hex(6)}`,
    'X-Jurisdiction': nextJurisdiction(),
    'X-Transaction-Type': `type.${hex(4)}`,
  };
  switch (i % 10) {
    case 7: // refused by the application
      return { path: '/refused', headers };
    case 8: // refused by tenant(): an ill-formed jurisdiction, or a dot-only tenant
      return {
        path: '/transfers',
        headers: i % 20 === 8 ? { ...headers, 'X-Jurisdiction': hex(5) } : { 'X-Tenant-Id': '..' },
      };
    case 9: // no route
      return { path: `/nowhere/${hex(4)}`, headers };
    default:
      return { path: '/transfers', headers };
  }
}

async function flood(from: number, count: number): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = from;
  const end = from + count;
  const worker = async () => {
    while (next < end) {
      const { path, headers } = floodRequest(next++);
      const response = await fetch(`${served.url}${path}`, { method: 'POST', headers });
      await response.arrayBuffer();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return statuses;
}

interface Scrape {
  bytes: number;
  series: number;
  labelValues: Map<string, Set<string>>;
}

/** What a Prometheus scrape would get now: its size, its series and every label's values. */
async function scrape(): Promise<Scrape> {
  const { resourceMetrics } = await exporter.collect();
  const text = new PrometheusSerializer().serialize(resourceMetrics);
  const labelValues = new Map<string, Set<string>>();
  const series = new Set<string>();
  for (const sample of parseExposition(text)) {
    if (sample.name === 'target_info') continue; // the resource, one series, not request data
    const { le: _bucket, ...labels } = sample.labels;
    const name = sample.name.replace(/_(bucket|sum|count)$/, '');
    series.add(`${name}${JSON.stringify(labels)}`);
    for (const [key, value] of Object.entries(sample.labels)) {
      if (!labelValues.has(key)) labelValues.set(key, new Set());
      labelValues.get(key)!.add(value);
    }
  }
  return { bytes: Buffer.byteLength(text), series: series.size, labelValues };
}

describe('metrics under 10,000 random tenants and jurisdictions', () => {
  it('keep the series count and the exposition size under a fixed bound, and stop growing', async () => {
    const firstStatuses = await flood(0, ROUND);
    const first = await scrape();
    const secondStatuses = await flood(ROUND, ROUND);
    const second = await scrape();

    // The flood reached every kind of answer.
    for (const statuses of [firstStatuses, secondStatuses]) {
      expect([...statuses.keys()].sort()).toEqual([201, 400, 404]);
    }
    console.info(
      `after ${ROUND}: ${first.series} series, ${first.bytes} bytes; ` +
        `after ${2 * ROUND}: ${second.series} series, ${second.bytes} bytes`,
    );

    // Every label is one bulwark knows to be bounded; transaction types never become labels.
    expect([...second.labelValues.keys()].filter((key) => !BOUNDED_LABELS.has(key))).toEqual([]);
    expect(second.labelValues.get('tenant_id')?.size).toBeLessThanOrEqual(100 + 1);
    expect(second.labelValues.get('tenant_jurisdiction')?.size).toBeLessThanOrEqual(100 + 1);

    expect(second.series).toBeLessThanOrEqual(MAX_SERIES);
    expect(second.bytes).toBeLessThanOrEqual(MAX_EXPOSITION_BYTES);
    // The second 5,000 fresh values added no series: everything new folds into `other`.
    expect(second.series).toBe(first.series);
  }, 120_000);

  it('keeps the HTTP histogram to maxTenants / maxJurisdictions values plus `other`', async () => {
    const { resourceMetrics } = await exporter.collect();
    const http = resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .find((metric) => metric.descriptor.name === 'http.server.request.duration');
    const points = http?.dataPoints ?? [];
    const tenants = new Set(points.map((point) => point.attributes['tenant.id']));
    const jurisdictions = new Set(points.map((point) => point.attributes['tenant.jurisdiction']));
    tenants.delete(undefined);
    jurisdictions.delete(undefined);
    expect(tenants.size).toBeLessThanOrEqual(MAX_TENANTS + 1);
    expect(jurisdictions.size).toBeLessThanOrEqual(MAX_JURISDICTIONS + 1);
    expect(jurisdictions.has('other')).toBe(true);
  });

  it('keeps the jurisdictions of requests idempotency() refused off its outcome counter', async () => {
    const jurisdictionsOf = async () => {
      const { resourceMetrics } = await exporter.collect();
      const counter = resourceMetrics.scopeMetrics
        .flatMap((scope) => scope.metrics)
        .find((metric) => metric.descriptor.name === 'bulwark.idempotency.requests');
      return new Set(
        (counter?.dataPoints ?? [])
          .filter((point) => point.attributes['bulwark.idempotency.outcome'] === 'rejected')
          .map((point) => point.attributes['tenant.jurisdiction']),
      );
    };
    for (let i = 0; i < 300; i++) {
      // No Idempotency-Key: refused with 400 before anything runs.
      const headers = { 'X-Tenant-Id': 't-keyed', 'X-Jurisdiction': nextJurisdiction() };
      const response = await fetch(`${served.url}/keyed`, { method: 'POST', headers });
      await response.arrayBuffer();
      expect(response.status).toBe(400);
    }
    // 300 fresh codes, none of them served: they fold into `other` and take no slot.
    expect([...(await jurisdictionsOf())]).toEqual(['other']);
  });
});
