import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import type { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { idempotency } from '../../src/express/index.js';
import { Attr, MemoryStore } from '../../src/index.js';
import { FaultyStore } from '../idempotency/faulty-store.js';
import { disableTelemetry, installTracerProvider } from '../support/telemetry.js';
import { closeAll, listen, postJson, tenantApp } from './idempotency-helpers.js';
import { majors } from './serve.js';

/*
 * The outcome on the span the application made active around the request.
 * The outcome counter (every outcome, its jurisdiction, never the key) is the
 * contract's: test/contract/idempotency-telemetry.contract.test.ts.
 */

let spans: InMemorySpanExporter;
beforeAll(() => {
  spans = installTracerProvider();
});
beforeEach(() => {
  spans.reset();
});
afterAll(async () => {
  await closeAll();
  disableTelemetry();
});

describe.each(majors)('idempotency() on $name: telemetry', ({ express }) => {
  it('stamps every outcome on the active span, and never the key', async () => {
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

    await expect
      .poll(() => spans.getFinishedSpans().map((s) => s.attributes[Attr.IdempotencyOutcome]))
      .toEqual(['executed', 'replayed', 'mismatch', 'rejected', 'store_unavailable']);
    expect(JSON.stringify(spans.getFinishedSpans().map((s) => s.attributes))).not.toContain(
      'secret-key',
    );
  });
});
