import { metrics } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterAll, describe, expect, it } from 'vitest';
import { defineSlo, type SliEvent } from '../../src/slo/index.js';

const T0 = Date.UTC(2026, 10, 26);
const ok: SliEvent = { method: 'POST', route: '/transfers', statusCode: 201, durationSeconds: 0.1 };

// Defined before any SDK exists, as a module-level SLO would be.
const clock = { nowMs: T0 };
const slo = defineSlo({
  name: 'transfers-availability',
  sli: { kind: 'availability' },
  objective: 0.999,
  now: () => clock.nowMs,
});

const exporter = new PrometheusExporter({ preventServerStart: true });
const provider = new MeterProvider({ readers: [exporter] });

afterAll(async () => {
  metrics.disable();
  await provider.shutdown();
});

async function scrape(): Promise<string> {
  const { resourceMetrics } = await exporter.collect();
  return new PrometheusSerializer().serialize(resourceMetrics);
}

describe('SLO metrics through the OTel API', () => {
  it('reports budget, burn rates, events and alerts as gauges labelled by SLO name', async () => {
    slo.record(ok); // a no-op meter is all there is yet
    metrics.setGlobalMeterProvider(provider);
    for (let i = 0; i < 9_996; i++) slo.record(ok);
    for (let i = 0; i < 3; i++) slo.record({ ...ok, statusCode: 500 });
    // 10 000 events (the first one too), 3 bad: 10 allowed, 1 − 3/10 = 0.7 left; burn 0.0003/0.001 = 0.3.
    const text = await scrape();
    const name = 'slo_name="transfers-availability"';
    expect(text).toMatch(
      new RegExp(`bulwark_slo_error_budget_remaining\\{${name}[^}]*\\} 0\\.7\\b`),
    );
    expect(text).toMatch(
      new RegExp(`bulwark_slo_burn_rate\\{${name},slo_window="1h"[^}]*\\} 0\\.3\\b`),
    );
    expect(text).toMatch(
      new RegExp(`bulwark_slo_burn_rate\\{${name},slo_window="3d"[^}]*\\} 0\\.3\\b`),
    );
    expect(text).toMatch(
      new RegExp(`bulwark_slo_events\\{${name},slo_outcome="good"[^}]*\\} 9997\\b`),
    );
    expect(text).toMatch(new RegExp(`bulwark_slo_events\\{${name},slo_outcome="bad"[^}]*\\} 3\\b`));
    expect(text).toMatch(
      new RegExp(`bulwark_slo_alert_firing\\{${name},slo_severity="page"[^}]*\\} 0\\b`),
    );
  });

  it('reports the page alert while a fast burn goes on', async () => {
    for (let i = 0; i < 2_000; i++) slo.record({ ...ok, statusCode: 503 });
    const text = await scrape();
    expect(text).toMatch(
      /bulwark_slo_alert_firing\{slo_name="transfers-availability",slo_severity="page"[^}]*\} 1\b/,
    );
  });
});
