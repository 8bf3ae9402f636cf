/**
 * The baseline of the Express scenarios: a span per request, as hand-written
 * OTel middleware does it. Shared by the socket servers (`server.mjs`) and the
 * in-process profile (`../profile/in-process.mjs`), so both compare with the same span.
 */
import { SpanKind, trace } from '@opentelemetry/api';

/** Express middleware: one active SERVER span per request, ended on `finish`. */
export function spanMiddleware() {
  const tracer = trace.getTracer('bench-http');
  return function otelSpan(req, res, next) {
    tracer.startActiveSpan(
      `${req.method} /transfers`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method } },
      (span) => {
        res.on('finish', () => {
          span.setAttribute('http.response.status_code', res.statusCode);
          span.end();
        });
        next();
      },
    );
  };
}
