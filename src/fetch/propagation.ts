import { type Context, propagation, type Span, type SpanContext, trace } from '@opentelemetry/api';
import { type HeaderRecord, setHeader } from './header-record.js';

/*
 * Trace context for outbound headers. `traceparent` (and `tracestate`)
 * always go out when a span is active: they identify a trace, not a customer.
 * `baggage` goes only to allow-listed origins, because baggage carries tenant
 * and business data that must never reach a third party. Done by hand rather
 * than through the global propagator, which would send baggage everywhere.
 * The values are computed first and written by the caller (hop-headers.ts),
 * which copies the headers only when a hop changes them.
 */

/**
 * The span context to announce: `span`'s (the attempt's, read directly
 * rather than made active for this) or else the active one's; `undefined`
 * when there is no valid one.
 */
export function announcedSpanContext(active: Context, span?: Span): SpanContext | undefined {
  const spanContext = span === undefined ? trace.getSpanContext(active) : span.spanContext();
  return spanContext !== undefined && trace.isSpanContextValid(spanContext)
    ? spanContext
    : undefined;
}

/** Writes `traceparent` (and `tracestate`, when there is one) for `spanContext`. */
export function setTraceContext(headers: HeaderRecord, spanContext: SpanContext): void {
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0');
  headers.traceparent = `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
  const state = spanContext.traceState?.serialize();
  if (state) setHeader(headers, 'tracestate', state);
}

/** The `baggage` header value of the active context; `undefined` when it holds none. */
export function baggageValue(active: Context): string | undefined {
  const baggage = propagation.getBaggage(active);
  if (baggage === undefined) return undefined;
  const entries = baggage.getAllEntries();
  if (entries.length === 0) return undefined;
  return entries
    .map(([key, entry]) => `${encodeURIComponent(key)}=${encodeURIComponent(entry.value)}`)
    .join(',');
}

/**
 * Builds the origin allow-list check. Entries are origins (`https://bank.example`)
 * compared exactly after URL normalisation; nothing else (no wildcards), so a
 * look-alike host can never match.
 */
export function createOriginAllowList(origins: readonly string[]): (origin: string) => boolean {
  const allowed = new Set(origins.map((origin) => new URL(origin).origin));
  // The default (no origins) needs no look-up of an origin string made for this call.
  if (allowed.size === 0) return () => false;
  return function isAllowedOrigin(origin) {
    return allowed.has(origin);
  };
}
