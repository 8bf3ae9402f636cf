import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, metrics, trace } from '@opentelemetry/api';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getTenant, isBulwarkError, withTenant } from '../../src/index.js';
import {
  startTelemetry,
  type TelemetryHandle,
  type TelemetryOptions,
} from '../../src/otel/index.js';
import { type OtlpReceiver, startOtlpReceiver } from './support/otlp-receiver.js';

let receiver: OtlpReceiver;
let handle: TelemetryHandle | undefined;
const savedEnv = { ...process.env };

beforeEach(async () => {
  receiver = await startOtlpReceiver();
  for (const name of Object.keys(process.env))
    if (name.startsWith('OTEL_')) delete process.env[name];
});

afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
  await receiver.close();
  process.env = { ...savedEnv };
});

/** Telemetry exporting OTLP/JSON to the test's receiver, without exit hooks or a metrics push. */
function start(extra: Partial<TelemetryOptions> = {}) {
  return startTelemetry({
    serviceName: 'in-process',
    otlp: { endpoint: receiver.url, protocol: 'http/json' },
    otlpMetrics: false,
    flushOnExit: false,
    ...extra,
  });
}

/** Collects the process warnings bulwark/otel emits while `work` runs. */
async function warningsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const listener = (warning: Error & { code?: string }) => {
    if (warning.code === 'BULWARK_OTEL') seen.push(warning.message);
  };
  process.on('warning', listener);
  try {
    await work();
    await new Promise((resolve) => setTimeout(resolve, 10)); // warnings are emitted on next tick
  } finally {
    process.off('warning', listener);
  }
  return seen;
}

describe('startTelemetry: spans', () => {
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
    expect(inside?.attributes).toMatchObject({
      'tenant.id': 'acme',
      'tenant.jurisdiction': 'DE',
      'transaction.type': 'payout',
    });
    expect(spans.find((span) => span.name === 'outside')?.attributes).toEqual({});
    expect(inside?.resource).toMatchObject({
      'service.name': 'in-process',
      'service.version': '9.9.9',
      'deployment.environment.name': 'test',
    });
  });

  it('takes the tenant from the context a span is explicitly started in', async () => {
    handle = await start();
    const captured = withTenant({ tenantId: 'later' }, () => context.active());
    trace.getTracer('test').startSpan('explicit-parent', {}, captured).end();
    await handle.forceFlush();
    const [span] = await receiver.waitFor((all) => all.length >= 1);
    expect(span?.attributes).toEqual({ 'tenant.id': 'later' });
  });

  it('lets OTEL_SERVICE_NAME override serviceName, and otlp.endpoint override the environment', async () => {
    process.env.OTEL_SERVICE_NAME = 'renamed-by-ops';
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = 'http://127.0.0.1:9'; // nothing listens there
    handle = await start();
    trace.getTracer('test').startSpan('named').end();
    await handle.forceFlush();
    const [span] = await receiver.waitFor((all) => all.length >= 1);
    expect(span?.resource['service.name']).toBe('renamed-by-ops');
  });
});

describe('startTelemetry: the OTEL_* variables keep their meaning', () => {
  it('merges OTLP headers from the environment under the ones given in code', async () => {
    process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-env=1,x-both=env';
    handle = await start({
      otlp: {
        endpoint: receiver.url,
        protocol: 'http/json',
        headers: { 'x-both': 'code', 'x-code': '1' },
      },
    });
    trace.getTracer('test').startSpan('headers').end();
    await handle.forceFlush();
    await receiver.waitFor((all) => all.length >= 1);
    expect(receiver.requests[0]?.headers).toMatchObject({
      'x-env': '1',
      'x-both': 'code',
      'x-code': '1',
    });
  });

  it('samples as OTEL_TRACES_SAMPLER says', async () => {
    process.env.OTEL_TRACES_SAMPLER = 'always_off';
    handle = await start();
    const span = trace.getTracer('test').startSpan('dropped-by-sampler');
    expect(span.isRecording()).toBe(false);
    span.end();
    await handle.forceFlush();
    expect(receiver.spans()).toEqual([]);
  });
});

describe('startTelemetry: what happened', () => {
  it('rejects invalid options with BULWARK_INVALID_OPTIONS naming the field', async () => {
    const bad = startTelemetry({ serviceName: '' });
    await expect(bad).rejects.toSatisfy((error) =>
      isBulwarkError(error, 'BULWARK_INVALID_OPTIONS'),
    );
    await expect(bad).rejects.toThrow(/serviceName/);
    await expect(start({ otlp: { endpoint: 'not a url' } })).rejects.toThrow(/otlp\.endpoint/);
    await expect(start({ prometheus: { port: 70000 } })).rejects.toThrow(/prometheus\.port/);
  });

  it('a second call warns once and returns a handle that controls the running telemetry', async () => {
    handle = await start();
    let second: TelemetryHandle | undefined;
    const warnings = await warningsDuring(async () => {
      second = await start();
      await start();
    });
    expect(second?.status).toBe('already-started');
    expect(second?.signals).toEqual(handle.signals);
    expect(warnings).toHaveLength(1);
    await second?.shutdown(); // shuts the one SDK down
    expect((await start()).status).toBe('started');
    handle = undefined;
    await (await start()).shutdown();
  });

  it('beside another SDK it registers nothing, warns, and says so', async () => {
    const foreign = new TracerProvider();
    trace.setGlobalTracerProvider(foreign);
    try {
      const warnings = await warningsDuring(async () => {
        handle = await start();
      });
      expect(handle?.status).toBe('foreign-sdk');
      expect(handle?.reason).toMatch(/trace/);
      expect(handle?.signals).toEqual({ traces: [], metrics: [], logs: [] });
      expect(warnings.join()).toMatch(/another OpenTelemetry SDK/);
      expect(
        (trace.getTracerProvider() as unknown as { getDelegate(): unknown }).getDelegate(),
      ).toBe(foreign);
    } finally {
      trace.disable();
    }
  });

  it('OTEL_SDK_DISABLED=true starts nothing and the tenant context still works', async () => {
    process.env.OTEL_SDK_DISABLED = 'true';
    handle = await start();
    expect(handle.status).toBe('disabled');
    expect(handle.signals).toEqual({ traces: [], metrics: [], logs: [] });
    expect(withTenant({ tenantId: 'still' }, () => getTenant()?.tenantId)).toBe('still');
  });

  it('a setup that throws yields status "failed" and a warning, never an exception', async () => {
    const broken = { instrumentationName: 'broken' } as never; // not an Instrumentation
    const warnings = await warningsDuring(async () => {
      handle = await start({ instrumentations: [broken] });
    });
    expect(handle?.status).toBe('failed');
    expect(handle?.reason).toMatch(/could not start/);
    expect(warnings.join()).toMatch(/could not start/);
    await expect(handle?.forceFlush()).resolves.toBeUndefined();
    handle = await start();
    expect(handle.status).toBe('started');
  });

  it('with logs off leaves the global logger provider free; with logs on, frees it at shutdown', async () => {
    const API_GLOBALS = Symbol.for('opentelemetry.js.api.1');
    const registered = () =>
      (globalThis as Record<symbol, { logs?: unknown } | undefined>)[API_GLOBALS]?.logs !==
      undefined;
    handle = await start();
    expect(registered()).toBe(false);
    await handle.shutdown();
    handle = await start({ logs: true });
    expect(registered()).toBe(true);
    await handle.shutdown();
    expect(registered()).toBe(false);
  });

  it('shutdown is idempotent, and telemetry can start again afterwards', async () => {
    const first = await start();
    const a = first.shutdown();
    expect(first.shutdown()).toBe(a);
    await a;
    await first.forceFlush(); // after shutdown: resolves, does nothing
    handle = await start();
    expect(handle.status).toBe('started');
  });
});

describe('startTelemetry: exporter failures stay out of the application', () => {
  it('bounds forceFlush and shutdown by flushTimeoutMs when the collector hangs', async () => {
    const stuck = await startOtlpReceiver({ hang: true });
    try {
      // Without the bound, each flush would wait for the 60 s export timeout (past the test's 20 s).
      handle = await start({
        otlp: { endpoint: stuck.url, protocol: 'http/json', timeoutMs: 60_000 },
        flushTimeoutMs: 300,
      });
      trace.getTracer('test').startSpan('stuck').end();
      await expect(handle.forceFlush()).resolves.toBeUndefined();
      await expect(handle.shutdown()).resolves.toBeUndefined();
      expect(stuck.requests.length).toBeGreaterThan(0);
    } finally {
      await stuck.close();
    }
  });

  it('a collector answering 500 never reaches the application', async () => {
    const failing = await startOtlpReceiver({ status: 500 });
    try {
      handle = await start({ otlp: { endpoint: failing.url, protocol: 'http/json' } });
      trace.getTracer('test').startSpan('refused').end();
      await expect(handle.forceFlush()).resolves.toBeUndefined();
      expect(failing.requests.map((request) => request.path)).toContain('/v1/traces');
    } finally {
      await failing.close();
    }
  });

  it('counts the spans it drops when the export queue is full, and warns', async () => {
    process.env.OTEL_BSP_MAX_QUEUE_SIZE = '5';
    const stuck = await startOtlpReceiver({ hang: true });
    try {
      handle = await start({
        otlp: { endpoint: stuck.url, protocol: 'http/json' },
        flushTimeoutMs: 200,
      });
      const warnings = await warningsDuring(async () => {
        for (let i = 0; i < 50; i++) trace.getTracer('test').startSpan(`s${i}`).end();
      });
      // At most two batches of 5 fit (one exporting, one queued); every other span is dropped.
      expect(handle.droppedSpans()).toBeGreaterThanOrEqual(40);
      expect(handle.droppedSpans()).toBeLessThanOrEqual(45);
      expect(warnings.join()).toMatch(/dropping spans/);
    } finally {
      await handle?.shutdown();
      await stuck.close();
    }
  });
});

describe('startTelemetry: metrics', () => {
  async function scrape(url: string): Promise<{ status: number; text: string }> {
    const response = await fetch(url);
    return { status: response.status, text: await response.text() };
  }

  it('serves Prometheus text through metricsHandler on the application port, with HTTP buckets', async () => {
    handle = await start({ prometheus: { listen: false } });
    expect(handle.signals.metrics).toEqual(['prometheus']);
    expect(handle.prometheusUrl).toBeUndefined();
    const meter = metrics.getMeter('test');
    meter.createCounter('fixture.calls').add(3, { 'tenant.jurisdiction': 'DE' });
    meter.createHistogram('http.server.request.duration', { unit: 's' }).record(0.02);
    const app = createServer(handle.metricsHandler).listen(0, '127.0.0.1');
    await new Promise((resolve) => app.once('listening', resolve));
    try {
      const { port } = app.address() as AddressInfo;
      const { status, text } = await scrape(`http://127.0.0.1:${port}/metrics`);
      expect(status).toBe(200);
      expect(text).toMatch(/^fixture_calls_total\{.*tenant_jurisdiction="DE".*\} 3$/m);
      expect(text).toMatch(/^http_server_request_duration_bucket\{.*le="0.025".*\} 1$/m);
      expect(text).toMatch(/^target_info\{.*service_name="in-process".*\} 1$/m);
    } finally {
      app.close();
    }
  });

  it('runs its own scrape server on a free port when asked', async () => {
    handle = await start({ prometheus: { port: 0, host: '127.0.0.1' } });
    expect(handle.prometheusUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const url = handle.prometheusUrl ?? '';
    expect((await scrape(url)).status).toBe(200);
    expect((await scrape(url.replace('/metrics', '/other'))).status).toBe(404);
    await handle.shutdown();
    await expect(fetch(url)).rejects.toThrow();
  });

  it('answers 404 on metricsHandler when Prometheus is off', async () => {
    handle = await start();
    const app = createServer(handle.metricsHandler).listen(0, '127.0.0.1');
    await new Promise((resolve) => app.once('listening', resolve));
    try {
      const { port } = app.address() as AddressInfo;
      expect((await scrape(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
    } finally {
      app.close();
    }
  });
});

describe('startTelemetry: options win over OTEL_* variables, which win over defaults', () => {
  const cases: Array<[string, Record<string, string>, Partial<TelemetryOptions>, object]> = [
    ['defaults', {}, { otlpMetrics: undefined }, { traces: ['otlp'], metrics: ['otlp'], logs: [] }],
    ['OTEL_TRACES_EXPORTER=none', { OTEL_TRACES_EXPORTER: 'none' }, {}, { traces: [] }],
    [
      'traces: true over none',
      { OTEL_TRACES_EXPORTER: 'none' },
      { traces: true },
      { traces: ['otlp'] },
    ],
    ['traces: false', {}, { traces: false }, { traces: [] }],
    [
      'OTEL_METRICS_EXPORTER=prometheus',
      { OTEL_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_PORT: '0' },
      { otlpMetrics: undefined },
      { metrics: ['prometheus'] },
    ],
    [
      'prometheus: false over the variable',
      { OTEL_METRICS_EXPORTER: 'otlp,prometheus' },
      { otlpMetrics: undefined, prometheus: false },
      { metrics: ['otlp'] },
    ],
    [
      'OTEL_METRICS_EXPORTER=none',
      { OTEL_METRICS_EXPORTER: 'none' },
      { otlpMetrics: undefined },
      { metrics: [] },
    ],
    ['logs: true', {}, { logs: true }, { logs: ['otlp'] }],
    ['OTEL_LOGS_EXPORTER=console', { OTEL_LOGS_EXPORTER: 'console' }, {}, { logs: ['console'] }],
    [
      'logs: false over the variable',
      { OTEL_LOGS_EXPORTER: 'otlp' },
      { logs: false },
      { logs: [] },
    ],
  ];
  it.each(cases)('%s', async (_name, env, options, expected) => {
    Object.assign(process.env, env);
    handle = await start({ metricExportIntervalMs: 3_600_000, ...options });
    expect(handle.signals).toMatchObject(expected);
  });
});
