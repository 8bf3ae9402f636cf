import { context, type Span } from '@opentelemetry/api';
import type { AttemptContext } from '../resilience/context.js';
import { copyHeaders, type HeaderRecord, setHeader } from './header-record.js';
import { announcedSpanContext, baggageValue, setTraceContext } from './propagation.js';
import type { Hop } from './redirects.js';
import type { ResolvedFetchOptions } from './resolved-options.js';

/**
 * The headers one hop of an attempt goes out with: the caller's as they stand
 * at this hop, minus the idempotency key where it may not go (see
 * origin-scope.ts) and `baggage` where it may not go, plus this attempt's
 * trace context, the active baggage (allow-listed origins only) and the
 * remaining deadline (when `deadlineHeader` is set).
 *
 * Copied only when the hop changes something: a hop that adds and removes
 * nothing (no SDK, no baggage, no deadline header) sends the call's own
 * private copy as it is (none when the caller gave none), and `fetch` copies
 * it into its request anyway. A
 * copy per hop was a measurable part of `createFetch()`'s cost per call
 * (`benchmarks/scenarios/http-client.mjs`).
 *
 * @param span The attempt's span, whose context is announced; without one, the active span's.
 */
export function hopHeaders(
  hop: Hop,
  callOrigin: string,
  resolved: ResolvedFetchOptions,
  span: Span | undefined,
  attempt: AttemptContext,
): HeaderRecord | undefined {
  const { scope, deadlineHeader } = resolved;
  const dropKey =
    !scope.keyMayGo(hop.origin, callOrigin) && hop.headers?.[scope.keyHeader] !== undefined;
  const active = context.active();
  const spanContext = announcedSpanContext(active, span);
  const baggageAllowed = scope.isBaggageOrigin(hop.origin);
  const baggage = baggageAllowed ? baggageValue(active) : undefined;
  const dropBaggage = !baggageAllowed && hop.baggage;
  const remainingMs = deadlineHeader ? attempt.remainingMs : Number.POSITIVE_INFINITY;
  const deadline = Number.isFinite(remainingMs);
  if (!dropKey && spanContext === undefined && baggage === undefined && !dropBaggage && !deadline) {
    return hop.headers;
  }
  const headers = copyHeaders(hop.headers);
  if (dropKey) delete headers[scope.keyHeader];
  if (spanContext !== undefined) setTraceContext(headers, spanContext);
  if (baggage !== undefined) setHeader(headers, 'baggage', baggage);
  if (dropBaggage) delete headers.baggage;
  if (deadline && deadlineHeader) {
    headers[deadlineHeader] = String(Math.max(0, Math.floor(remainingMs)));
  }
  return headers;
}
