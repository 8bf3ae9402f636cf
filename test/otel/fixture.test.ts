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
  it('is http/protobuf, posted to <endpoint>/v1/traces', async () => {
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
      // Protobuf carries strings as raw UTF-8: the tenant attribute is in the wire bytes.
      expect(Buffer.concat(traces.map((t) => t.body)).includes('tenant.jurisdiction')).toBe(true);
    } finally {
      await receiver.close();
    }
  });
});
