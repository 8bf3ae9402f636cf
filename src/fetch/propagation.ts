import { context, propagation, type Span, trace } from '@opentelemetry/api';

/**
 * Adds trace context to outbound headers. `traceparent` (and `tracestate`)
 * always go out when a span is active: they identify a trace, not a customer.
 * `baggage` goes only to allow-listed origins, because baggage carries tenant
 * and business data that must never reach a third party. Done by hand rather
 * than through the global propagator, which would send baggage everywhere.
 * `span`, when given, is the parent to announce instead of the active span.
 */
export function injectTraceHeaders(headers: Headers, baggageAllowed: boolean, span?: Span): void {
  const active = context.active();
  // The attempt's span is the parent the server sees; read directly, not made active for this.
  const spanContext = span === undefined ? trace.getSpanContext(active) : span.spanContext();
  if (spanContext !== undefined && trace.isSpanContextValid(spanContext)) {
    const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0');
    headers.set('traceparent', `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`);
    const state = spanContext.traceState?.serialize();
    if (state) headers.set('tracestate', state);
  }
  if (!baggageAllowed) {
    headers.delete('baggage');
    return;
  }
  const baggage = propagation.getBaggage(active);
  if (baggage === undefined) return;
  const entries = baggage.getAllEntries();
  if (entries.length === 0) return;
  const value = entries
    .map(([key, entry]) => `${encodeURIComponent(key)}=${encodeURIComponent(entry.value)}`)
    .join(',');
  headers.set('baggage', value);
}

/**
 * Builds the origin allow-list check. Entries are origins (`https://bank.example`)
 * compared exactly after URL normalisation; nothing else (no wildcards), so a
 * look-alike host can never match.
 */
export function createOriginAllowList(origins: readonly string[]): (origin: string) => boolean {
  const allowed = new Set(origins.map((origin) => new URL(origin).origin));
  return function isAllowedOrigin(origin) {
    return allowed.has(origin);
  };
}
