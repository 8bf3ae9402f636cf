import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { requestMetrics, tenant } from '../../src/express/index.js';
import { BURN_RATE_ALERT_NAME, defineSlo, prometheusRules } from '../../src/slo/index.js';
import { HTTP_DURATION_SERIES } from '../../src/slo/promql.js';
import { parseExposition, seriesSelector } from './exposition.js';
import { promtool, requirePromtool } from './promtool.js';

// End to end: the real requestMetrics() feeds the SLO in process and writes the
// histogram the generated rules read; both must count the same requests.
const slo = defineSlo({
  name: 'transfers-availability',
  sli: { kind: 'availability' },
  objective: 0.999,
  selector: { routes: ['/transfers'], methods: ['POST'], jurisdictions: ['DE'] },
});
const exporter = new PrometheusExporter({ preventServerStart: true });
const provider = new MeterProvider({ readers: [exporter] });
let server: ReturnType<ReturnType<typeof express>['listen']>;
let url: string;

beforeAll(async () => {
  metrics.setGlobalMeterProvider(provider);
  const app = express();
  app.use(requestMetrics({ slos: [slo] }), tenant());
  let calls = 0;
  // Every 20th transfer fails with 503: 5 of 100.
  app.post('/transfers', (_req, res) => {
    calls += 1;
    res.status(calls % 20 === 0 ? 503 : 201).end();
  });
  app.get('/transfers', (_req, res) => res.status(500).end()); // another method: not selected
  await new Promise<void>((resolve) => {
    server = app.listen(0, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  metrics.disable();
  await provider.shutdown();
});

const headers = { 'X-Tenant-Id': 'acme', 'X-Jurisdiction': 'DE' };

describe('requestMetrics() → SLO and Prometheus series', () => {
  it('counts the same requests in process and in the exported histogram', async () => {
    for (let i = 0; i < 100; i++) await fetch(`${url}/transfers`, { method: 'POST', headers });
    for (let i = 0; i < 10; i++) await fetch(`${url}/transfers`, { headers });
    await vi.waitFor(() => expect(slo.snapshot().total).toBe(100));
    expect(slo.snapshot()).toMatchObject({ total: 100, bad: 5 });

    const { resourceMetrics } = await exporter.collect();
    const series = parseExposition(new PrometheusSerializer().serialize(resourceMetrics));
    const s = HTTP_DURATION_SERIES;
    const selected = series.filter(
      (one) =>
        one.name === s.count &&
        one.labels[s.scope] === s.scopeName &&
        one.labels[s.route] === '/transfers' &&
        one.labels[s.method] === 'POST' &&
        one.labels[s.jurisdiction] === 'DE',
    );
    const sum = (list: typeof selected) => list.reduce((total, one) => total + one.value, 0);
    expect(sum(selected)).toBe(100);
    expect(sum(selected.filter((one) => /^5..$/.test(one.labels[s.statusCode] ?? '')))).toBe(5);
  });

  it.skipIf(!requirePromtool())(
    'pages under promtool when that traffic repeats every minute',
    async () => {
      const { resourceMetrics } = await exporter.collect();
      const series = parseExposition(new PrometheusSerializer().serialize(resourceMetrics)).filter(
        (one) =>
          one.name === HTTP_DURATION_SERIES.count || one.name === HTTP_DURATION_SERIES.bucket,
      );
      const dir = await mkdtemp(join(tmpdir(), 'bulwark-slo-e2e-'));
      try {
        await writeFile(join(dir, 'rules.yml'), prometheusRules([slo]));
        // Each scraped series grows by its scraped value every minute: 5% of POSTs fail, a 50x burn.
        const test = {
          rule_files: ['rules.yml'],
          evaluation_interval: '1m',
          tests: [
            {
              interval: '1m',
              input_series: series.map((one) => ({
                series: seriesSelector(one),
                values: `0+${one.value}x30`,
              })),
              alert_rule_test: [
                {
                  eval_time: '15m',
                  alertname: BURN_RATE_ALERT_NAME,
                  exp_alerts: ['page', 'ticket'].map((severity) => ({
                    exp_labels: { severity, slo: slo.definition.name },
                    exp_annotations: {
                      summary: `SLO transfers-availability is burning its error budget too fast (${severity})`,
                      description: `SLO transfers-availability: objective 99.9% over 28d; burn-rate windows ${
                        severity === 'page'
                          ? '1h/5m at 14.4x, 6h/30m at 6x'
                          : '1d/2h at 3x, 3d/6h at 1x'
                      }.`,
                    },
                  })),
                },
              ],
            },
          ],
        };
        await writeFile(join(dir, 'e2e.test.yml'), JSON.stringify(test, null, 2));
        expect(await promtool(['test', 'rules', 'e2e.test.yml'], dir)).toContain('SUCCESS');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
