import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFetch } from '../../src/fetch/index.js';
import { startScriptedServer } from '../support/scripted-server.js';

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({
  spanProcessors: [new SimpleSpanProcessor({ exporter: exporter })],
});
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(provider);
});
afterAll(() => {
  trace.disable();
  context.disable();
});
beforeEach(() => exporter.reset());

/** Runs `fn` inside an active span carrying tenant baggage, as an instrumented service would. */
function inTracedContext<T>(fn: () => Promise<T>): Promise<T> {
  const span = trace.getTracer('test').startSpan('handler');
  const baggage = propagation.createBaggage({ 'tenant.id': { value: 'acme' } });
  const ctx = propagation.setBaggage(trace.setSpan(context.active(), span), baggage);
  return context.with(ctx, fn).finally(() => span.end());
}

describe('trace propagation', () => {
  it('always sends traceparent, and baggage only to allow-listed origins', async () => {
    const partner = await startScriptedServer([{ status: 200 }]);
    const thirdParty = await startScriptedServer([{ status: 200 }]);
    const f = createFetch({ baggageOrigins: [partner.origin] });
    await inTracedContext(async () => {
      await f(partner.url);
      await f(thirdParty.url, { headers: { baggage: 'tenant.id=leaked' } });
    });
    const [toPartner] = partner.received;
    const [toThirdParty] = thirdParty.received;
    expect(toPartner?.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect(toPartner?.headers.baggage).toBe('tenant.id=acme');
    expect(toThirdParty?.headers.traceparent).toMatch(/^00-/);
    expect(toThirdParty?.headers.baggage).toBeUndefined();
    await partner.close();
    await thirdParty.close();
  });

  it('makes one client span per attempt with http.request.resend_count, parent of the traceparent sent', async () => {
    const s = await startScriptedServer([{ status: 503 }, { status: 503 }, { status: 200 }]);
    const f = createFetch({ resilience: { retry: { baseDelayMs: 5, maxDelayMs: 10 } } });
    await inTracedContext(() => f(s.url));
    const attempts = exporter.getFinishedSpans().filter((span) => span.name === 'GET');
    expect(attempts.map((span) => span.attributes['http.request.resend_count'])).toEqual([
      undefined,
      1,
      2,
    ]);
    expect(attempts.map((span) => span.attributes['http.response.status_code'])).toEqual([
      503, 503, 200,
    ]);
    const sentParents = s.received.map((r) => String(r.headers.traceparent).split('-')[2]);
    expect(sentParents).toEqual(attempts.map((span) => span.spanContext().spanId));
    await s.close();
  });

  it("in 'call' mode makes one internal span and no client spans", async () => {
    const s = await startScriptedServer([{ status: 200 }]);
    const f = createFetch({ spans: 'call' });
    await inTracedContext(() => f(s.url));
    const names = exporter.getFinishedSpans().map((span) => span.name);
    expect(names).toEqual(['bulwark.fetch GET', 'handler']);
    await s.close();
  });
});
