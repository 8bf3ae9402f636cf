import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFixture } from './support/fixture-process.js';
import { type OtlpReceiver, startOtlpReceiver } from './support/otlp-receiver.js';
import { buildPackageCopy, type PackageCopy } from './support/package-copy.js';

const FIXTURE = 'traced-app.cjs';
const TENANT = { 'tenant.id': 'acme', 'tenant.jurisdiction': 'DE', 'transaction.type': 'payout' };
const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;

let copy: PackageCopy;

beforeAll(async () => {
  copy = await buildPackageCopy([FIXTURE]);
}, 120_000);

afterAll(async () => {
  await copy?.remove();
});

/** Spans can only leave the fixture through the SIGTERM flush: the batch delay is a minute. */
const ONLY_FLUSH_EXPORTS = { OTEL_BSP_SCHEDULE_DELAY: '60000' };

describe('a child process using the installed package, exporting to a real OTLP/HTTP receiver', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(() => receiver.close());

  it('stamps the tenant inside withTenant only, sets the resource, and flushes on SIGTERM', async () => {
    const fixture = runFixture(copy.root, FIXTURE, {
      ...ONLY_FLUSH_EXPORTS,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    const ready = await fixture.ready;
    expect(ready.status).toBe('started');
    expect(ready.signals).toEqual({ traces: ['otlp'], metrics: ['otlp'], logs: [] });
    expect(receiver.spans()).toEqual([]);

    fixture.child.kill('SIGTERM');
    // Nobody else listens for SIGTERM: after the flush the process dies of the signal, as without bulwark.
    expect(await fixture.exited).toEqual({ code: null, signal: 'SIGTERM' });
    const spans = await receiver.waitFor((all) =>
      all.some((s) => s.name === 'last-before-sigterm'),
    );

    const byName = (name: string) => spans.find((span) => span.name === name);
    expect(spans.map((span) => span.name)).toEqual(
      expect.arrayContaining(['outside', 'inside', 'last-before-sigterm']),
    );
    expect(byName('inside')?.attributes).toMatchObject(TENANT);
    expect(byName('outside')?.attributes).not.toHaveProperty('tenant.id');
    expect(byName('last-before-sigterm')?.attributes).not.toHaveProperty('tenant.id');
    // The http instrumentation's client span, started inside withTenant, carries the tenant;
    // its server span runs in the incoming request's context, which no middleware set.
    const httpSpans = spans.filter((span) => span.scope === '@opentelemetry/instrumentation-http');
    expect(httpSpans.map((span) => span.kind).sort()).toEqual([SPAN_KIND_SERVER, SPAN_KIND_CLIENT]);
    expect(httpSpans.find((s) => s.kind === SPAN_KIND_CLIENT)?.attributes).toMatchObject(TENANT);
    expect(httpSpans.find((s) => s.kind === SPAN_KIND_SERVER)?.attributes).not.toHaveProperty(
      'tenant.id',
    );
    expect(byName('inside')?.resource).toMatchObject({
      'service.name': 'fixture-svc',
      'service.version': '1.2.3',
      'deployment.environment.name': 'test',
    });
  });
});

describe('the default OTLP encoding', () => {
  it('is http/protobuf, posted to <endpoint>/v1/traces, carrying the tenant attributes', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const fixture = runFixture(copy.root, FIXTURE, {
        ...ONLY_FLUSH_EXPORTS,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      });
      await fixture.ready;
      fixture.child.kill('SIGTERM');
      await fixture.exited;
      const traces = receiver.requests.filter((request) => request.path === '/v1/traces');
      expect(traces.length).toBeGreaterThan(0);
      expect(traces[0]?.contentType).toBe('application/x-protobuf');
      const spans = receiver.spans();
      expect(spans.find((span) => span.name === 'inside')?.attributes).toMatchObject(TENANT);
      expect(spans.find((span) => span.name === 'outside')?.attributes).toEqual({});
      expect(spans.find((span) => span.name === 'inside')?.resource).toMatchObject({
        'service.name': 'fixture-svc',
      });
    } finally {
      await receiver.close();
    }
  });
});

describe('a process that runs out of work', () => {
  it('flushes on beforeExit, then exits normally', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const fixture = runFixture(copy.root, FIXTURE, {
        ...ONLY_FLUSH_EXPORTS,
        FIXTURE_MODE: 'natural-exit',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      });
      expect(await fixture.exited).toEqual({ code: 0, signal: null });
      const names = receiver.spans().map((span) => span.name);
      expect(names).toEqual(expect.arrayContaining(['inside', 'last-before-sigterm']));
    } finally {
      await receiver.close();
    }
  });
});

describe('SIGTERM when the application has its own listener', () => {
  it('flushes, and leaves exiting to the application', async () => {
    const receiver = await startOtlpReceiver();
    const fixture = runFixture(copy.root, FIXTURE, {
      ...ONLY_FLUSH_EXPORTS,
      FIXTURE_MODE: 'own-sigterm',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    try {
      await fixture.ready;
      fixture.child.kill('SIGTERM');
      await receiver.waitFor((all) => all.some((s) => s.name === 'last-before-sigterm'));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(fixture.output()).toContain('app-sigterm');
      expect(fixture.child.exitCode).toBeNull();
      expect(fixture.child.signalCode).toBeNull();
    } finally {
      fixture.child.kill('SIGKILL');
      await fixture.exited;
      await receiver.close();
    }
  });
});

describe('a collector that is down or stuck for the whole run', () => {
  const REQUESTS = 60;

  async function closedPortUrl(): Promise<{ url: string; close(): Promise<void> }> {
    const probe = await startOtlpReceiver();
    await probe.close(); // the port is free again: connections are refused
    return { url: probe.url, close: async () => undefined };
  }

  it.each([
    ['down (connection refused)', closedPortUrl],
    ['stuck (accepts, never answers)', () => startOtlpReceiver({ hang: true })],
  ])(
    '%s: every request succeeds, none waits on export, exit is bounded',
    async (_name, collector) => {
      const dead = await collector();
      const fixture = runFixture(copy.root, FIXTURE, {
        FIXTURE_MODE: 'load',
        FIXTURE_FLUSH_TIMEOUT_MS: '1000',
        OTEL_EXPORTER_OTLP_ENDPOINT: dead.url,
        OTEL_BSP_SCHEDULE_DELAY: '10', // export (and fail) all the time
        OTEL_METRIC_EXPORT_INTERVAL: '100',
      });
      try {
        const { port } = await fixture.ready;
        const latenciesMs: number[] = [];
        for (let i = 0; i < REQUESTS; i++) {
          const startedAt = performance.now();
          const response = await fetch(`http://127.0.0.1:${port}/work`);
          expect(await response.text()).toBe('done');
          latenciesMs.push(performance.now() - startedAt);
        }
        // A request held by an export would wait for the 10 s OTLP timeout; allow a slow shared machine.
        expect(Math.max(...latenciesMs)).toBeLessThan(3000);
        const signalledAt = performance.now();
        fixture.child.kill('SIGTERM');
        expect((await fixture.exited).signal).toBe('SIGTERM');
        // The exit flush is bounded by flushTimeoutMs (1 s), not by the exporter's 10 s timeout and retries.
        expect(performance.now() - signalledAt).toBeLessThan(8000);
      } finally {
        fixture.child.kill('SIGKILL');
        await dead.close();
      }
    },
  );
});
