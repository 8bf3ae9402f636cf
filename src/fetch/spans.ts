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

/** The part of the API's global (proxy) provider that tells whether an SDK is behind it. */
interface DelegatingProvider extends TracerProvider {
  getDelegateTracer(name: string): Tracer | undefined;
}

let tracerProvider: TracerProvider | undefined;
let cachedTracer: Tracer | undefined;

/**
 * bulwark's tracer, or `undefined` while no SDK is registered. Without an SDK
 * the API's tracer makes a non-recording span that only carries its parent's
 * context, which the attempt's headers read from the active context directly:
 * skipping it saves building the span and its attributes on every attempt
 * (`benchmarks/scenarios/http-client.mjs`). The global provider is a proxy;
 * an SDK registered later becomes its delegate, which is noticed on the next
 * span, and once found the tracer is kept for that provider (`trace.disable()`
 * replaces the proxy, which this notices too).
 */
function sdkTracer(): Tracer | undefined {
  const provider = trace.getTracerProvider();
  if (provider === tracerProvider && cachedTracer !== undefined) return cachedTracer;
  tracerProvider = provider;
  cachedTracer =
    typeof (provider as Partial<DelegatingProvider>).getDelegateTracer === 'function'
      ? (provider as DelegatingProvider).getDelegateTracer(INSTRUMENTATION_SCOPE)
      : provider.getTracer(INSTRUMENTATION_SCOPE);
  return cachedTracer;
}

/**
 * Starts the client span of one attempt, following the HTTP client semantic
 * conventions: named by method, `http.request.resend_count` set from the
 * second attempt on (the convention omits it on the first). `undefined` while
 * no SDK is registered (see {@link sdkTracer}).
 */
export function startAttemptSpan(target: SpanTarget, attempt: number): Span | undefined {
  const tracer = sdkTracer();
  if (tracer === undefined) return undefined;
  const span = tracer.startSpan(target.method, {
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

/** Starts the internal span of one logical call (the `'call'` span mode); `undefined` without an SDK. */
export function startCallSpan(target: SpanTarget): Span | undefined {
  const tracer = sdkTracer();
  if (tracer === undefined) return undefined;
  return tracer.startSpan(`bulwark.fetch ${target.method}`, {
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
