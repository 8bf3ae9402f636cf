import { trace } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getTenant, isBulwarkError, withTenant } from '../../src/index.js';
import { startTelemetry, type TelemetryHandle } from '../../src/otel/index.js';
import { type OtlpReceiver, startOtlpReceiver } from './support/otlp-receiver.js';

const OTEL_ENV = [
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_METRICS_EXPORTER',
  'OTEL_TRACES_EXPORTER',
  'OTEL_LOGS_EXPORTER',
  'OTEL_SDK_DISABLED',
  'OTEL_SERVICE_NAME',
];

let receiver: OtlpReceiver;
let handle: TelemetryHandle | undefined;

beforeEach(async () => {
  receiver = await startOtlpReceiver();
  for (const name of OTEL_ENV) delete process.env[name];
});

afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
  await receiver.close();
});

/** Telemetry exporting OTLP/JSON to the test's receiver, no exit hooks, no metrics push. */
function start(extra: Partial<Parameters<typeof startTelemetry>[0]> = {}) {
  return startTelemetry({
    serviceName: 'in-process',
    otlp: { endpoint: receiver.url, protocol: 'http/json' },
    otlpMetrics: false,
    flushOnExit: false,
    ...extra,
  });
}

describe('startTelemetry', () => {
  it('starts, says which signals are on, and stamps the tenant on spans inside withTenant', async () => {
    handle = await start({ serviceVersion: '9.9.9', environment: 'test' });
    expect(handle.status).toBe('started');
    expect(handle.signals).toEqual({ traces: ['otlp'], metrics: [], logs: [] });
    const tracer = trace.getTracer('test');
    tracer.startSpan('outside').end();
    await withTenant(
      { tenantId: 'acme', jurisdiction: 'de', transactionType: 'payout' },
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        expect(getTenant()?.tenantId).toBe('acme');
        tracer.startSpan('inside').end();
      },
    );
    await handle.forceFlush();
    const spans = await receiver.waitFor((all) => all.length >= 2);
    const inside = spans.find((span) => span.name === 'inside');
    const outside = spans.find((span) => span.name === 'outside');
    expect(inside?.attributes).toMatchObject({
      'tenant.id': 'acme',
      'tenant.jurisdiction': 'DE',
      'transaction.type': 'payout',
    });
    expect(outside?.attributes).not.toHaveProperty('tenant.id');
    expect(inside?.resource).toMatchObject({
      'service.name': 'in-process',
      'service.version': '9.9.9',
      'deployment.environment.name': 'test',
    });
  });

  it('rejects invalid options with BULWARK_INVALID_OPTIONS naming the field', async () => {
    const bad = startTelemetry({ serviceName: '' });
    await expect(bad).rejects.toSatisfy((error) =>
      isBulwarkError(error, 'BULWARK_INVALID_OPTIONS'),
    );
    await expect(bad).rejects.toThrow(/serviceName/);
  });
});
