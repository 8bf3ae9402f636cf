import { context, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetch } from '../../src/fetch/index.js';
import { startScriptedServer } from '../support/scripted-server.js';

// A context manager and no tracer provider: an application that forwards a trace context it
// received, without an SDK of its own. No span is made, and the context still goes out.
const contextManager = new AsyncLocalStorageContextManager();
beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(() => {
  context.disable();
});

const incoming = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
};

describe('trace propagation without an SDK', () => {
  it('sends the active trace context as traceparent on every attempt', async () => {
    const s = await startScriptedServer([{ status: 503 }, { status: 200 }]);
    const f = createFetch({ resilience: { retry: { baseDelayMs: 5, maxDelayMs: 10 } } });
    const ctx = trace.setSpanContext(ROOT_CONTEXT, incoming);
    const res = await context.with(ctx, () => f(s.url));
    expect(res.status).toBe(200);
    expect(s.received.map((r) => r.headers.traceparent)).toEqual([
      `00-${incoming.traceId}-${incoming.spanId}-01`,
      `00-${incoming.traceId}-${incoming.spanId}-01`,
    ]);
    await s.close();
  });

  it('sends none outside a trace', async () => {
    const s = await startScriptedServer([{ status: 200 }]);
    await createFetch()(s.url);
    expect(s.received[0]?.headers.traceparent).toBeUndefined();
    await s.close();
  });
});
