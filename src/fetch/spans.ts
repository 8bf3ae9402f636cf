import {
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { errorType, httpStatusType, OTHER_ERROR_TYPE } from '../resilience/error-type.js';
import { Attr, INSTRUMENTATION_SCOPE } from '../telemetry/attributes.js';

/** The parts of a request its client span describes. */
export interface SpanTarget {
  readonly method: string;
  readonly url: URL;
}

let tracerProvider: TracerProvider | undefined;
let cachedTracer: Tracer | undefined;

/**
 * bulwark's tracer, asked for once per global provider instead of once per
 * span: without an SDK, every `getTracer()` builds a new proxy tracer
 * (`benchmarks/scenarios/http-client.mjs`). A provider registered later is
 * still picked up: the global provider is a proxy that delegates to it, and
 * `trace.disable()` replaces the proxy, which this notices.
 */
function tracer(): Tracer {
  const provider = trace.getTracerProvider();
  if (provider !== tracerProvider || cachedTracer === undefined) {
    tracerProvider = provider;
    cachedTracer = provider.getTracer(INSTRUMENTATION_SCOPE);
  }
  return cachedTracer;
}

/**
 * Starts the client span of one attempt, following the HTTP client semantic
 * conventions: named by method, `http.request.resend_count` set from the
 * second attempt on (the convention omits it on the first).
 */
export function startAttemptSpan(target: SpanTarget, attempt: number): Span {
  const span = tracer().startSpan(target.method, {
    kind: SpanKind.CLIENT,
    attributes: {
      [Attr.HttpRequestMethod]: target.method,
      [Attr.ServerAddress]: target.url.hostname,
      [Attr.ServerPort]: portOf(target.url),
      // Never the query string: it may hold tokens or account numbers.
      'url.full': `${target.url.origin}${target.url.pathname}`,
    },
  });
  if (attempt > 1) span.setAttribute(Attr.HttpRequestResendCount, attempt - 1);
  return span;
}

/** Starts the internal span of one logical call (the `'call'` span mode). */
export function startCallSpan(target: SpanTarget): Span {
  return tracer().startSpan(`bulwark.fetch ${target.method}`, {
    kind: SpanKind.INTERNAL,
    attributes: {
      [Attr.HttpRequestMethod]: target.method,
      [Attr.ServerAddress]: target.url.hostname,
    },
  });
}

/** Ends `span` with the response status or the error. */
export function endSpan(span: Span, outcome: { status?: number; error?: unknown }): void {
  if (outcome.status !== undefined) {
    span.setAttribute(Attr.HttpResponseStatusCode, outcome.status);
    if (outcome.status >= 400) {
      span.setAttribute(Attr.ErrorType, httpStatusType(outcome.status) ?? OTHER_ERROR_TYPE);
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
  } else if (outcome.error !== undefined) {
    // Bounded: a metric-grade value from a fixed set, never a code made up from data.
    span.setAttribute(Attr.ErrorType, errorType(outcome.error));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

/** Runs `fn` with `span` active, so headers injected inside carry its ids. */
export function withSpan<T>(span: Span | undefined, fn: () => T): T {
  return span === undefined ? fn() : context.with(trace.setSpan(context.active(), span), fn);
}

function portOf(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}
