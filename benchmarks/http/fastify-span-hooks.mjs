/**
 * The Fastify baseline's OTel span: hooks as hand-written instrumentation
 * does it, one server span per request. Shared by the Fastify server variants
 * (`fastify-server.mjs`) and the in-process profile (`profile/fastify-in-process.mjs`).
 */
import { SpanKind, trace } from '@opentelemetry/api';

const spans = new WeakMap();

/** A span per request, as hand-written OTel hooks do it. */
export function addSpanHooks(app) {
  const tracer = trace.getTracer('bench-http');
  app.addHook('onRequest', (request, _reply, done) => {
    const span = tracer.startSpan(`${request.method} /transfers`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': request.method },
    });
    spans.set(request, span);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const span = spans.get(request);
    span?.setAttribute('http.response.status_code', reply.statusCode);
    span?.end();
    done();
  });
}
