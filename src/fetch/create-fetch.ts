import type { AttemptContext } from '../resilience/context.js';
import { resilient } from '../resilience/resilient.js';
import { prepareBody } from './body.js';
import { attachMeta } from './meta.js';
import { isRepeatable, isRetryableStatus, needsIdempotencyKey } from './methods.js';
import { FETCH_DEFAULTS, type FetchOptions, validateFetchOptions } from './options.js';
import { createOriginAllowList, injectTraceHeaders } from './propagation.js';
import { normaliseRequest, type OutgoingRequest } from './request.js';
import { parseRetryAfter } from './retry-after.js';
import { discard, finalResponseOf, RetryableResponseError } from './retryable-response.js';
import { type FetchSettings, resolveSettings } from './settings.js';
import { endSpan, startAttemptSpan, startCallSpan, withSpan } from './spans.js';

/**
 * Creates a drop-in replacement for the global `fetch` that runs every call
 * through a `resilient()` pipeline: a per-tenant bulkhead, a total deadline,
 * jittered retries with a budget and `Retry-After`, a breaker per origin and a
 * timeout per attempt. POST and PATCH get one `Idempotency-Key` per logical
 * call, identical on every attempt, and are retried only with it. Every
 * attempt sends the same body bytes. `traceparent` always goes out; `baggage`
 * only to `baggageOrigins`. Read what happened with `fetchMeta(response)`.
 *
 * Differences from plain `fetch`: a call that cannot finish rejects with a
 * `BulwarkError` (`BULWARK_DEADLINE_EXCEEDED`, `BULWARK_CIRCUIT_OPEN` with
 * `retryAfterMs`, `BULWARK_BULKHEAD_FULL`, `BULWARK_ABORTED`, ...) instead of
 * a bare `TypeError`/`AbortError`; a final 5xx/429 is returned as a response.
 *
 * @example
 * const bankFetch = createFetch({ resilience: { deadline: { totalTimeoutMs: 10_000 } } });
 * const res = await bankFetch('https://bank.example/payments', { method: 'POST', body });
 */
export function createFetch(options: FetchOptions = {}): typeof fetch {
  validateFetchOptions(options);
  const settings = resolveSettings(options);
  const pipeline = resilient(settings.name, settings.resilience);
  const timed = hasTimers(settings);
  const isBaggageOrigin = createOriginAllowList(
    options.baggageOrigins ?? FETCH_DEFAULTS.baggageOrigins,
  );

  return async function bulwarkFetch(
    input: RequestInfo | URL,
    init?: RequestInit,
  ): Promise<Response> {
    const request = normaliseRequest(input, init);
    const body = await prepareBody(request.body, settings.maxBufferedBodyBytes);
    if (body.contentType !== undefined && !request.headers.has('content-type')) {
      request.headers.set('content-type', body.contentType);
    }
    const key = ensureKey(request, settings);
    const repeatable = body.replayable && isRepeatable(request.method, key !== undefined);
    let attempts = 0;
    let held: Response | undefined;

    // Read the attempt's signal only when something can abort it: undici's
    // fetch pays ~10 µs and a FinalizationRegistry entry per request given one.
    const abortable = timed || request.signal !== undefined;
    const attemptOnce = async (context: AttemptContext): Promise<Response> => {
      const attempt = context.attempt;
      attempts = attempt;
      discard(held);
      held = undefined;
      const headers = new Headers(request.headers);
      const span = settings.spans === 'attempt' ? startAttemptSpan(request, attempt) : undefined;
      withSpan(span, () => injectTraceHeaders(headers, isBaggageOrigin(request.url.origin)));
      const remainingMs = settings.deadlineHeader ? context.remainingMs : Number.NaN;
      if (settings.deadlineHeader && Number.isFinite(remainingMs)) {
        headers.set(settings.deadlineHeader, String(Math.max(0, Math.floor(remainingMs))));
      }
      let response: Response;
      try {
        const fetchImpl = options.fetch ?? globalThis.fetch;
        response = await fetchImpl(request.url, {
          ...request.init,
          method: request.method,
          headers,
          body: body.body,
          signal: abortable ? context.signal : undefined,
          duplex: 'half',
        } as RequestInit);
      } catch (error) {
        if (span) endSpan(span, { error });
        throw error;
      }
      if (span) endSpan(span, { status: response.status });
      if (isRetryableStatus(response.status, key !== undefined)) {
        held = response;
        throw new RetryableResponseError(
          response,
          parseRetryAfter(response.headers.get('retry-after')),
        );
      }
      return response;
    };

    const callSpan = settings.spans === 'call' ? startCallSpan(request) : undefined;
    const meta = () => ({ idempotencyKey: key, attempts, bodyNotReplayable: !body.replayable });
    try {
      const response = await withSpan(callSpan, () =>
        pipeline.execute(attemptOnce, {
          signal: request.signal,
          key: request.url.origin,
          retry: repeatable,
        }),
      );
      if (callSpan) endSpan(callSpan, { status: response.status });
      return attachMeta(response, { ...meta(), replayed: wasReplayed(response) });
    } catch (error) {
      const response = finalResponseOf(error);
      if (callSpan) endSpan(callSpan, response ? { status: response.status } : { error });
      if (response !== undefined)
        return attachMeta(response, { ...meta(), replayed: wasReplayed(response) });
      discard(held);
      throw error;
    }
  };
}

/**
 * True when an attempt's signal can fire without the caller: a total deadline,
 * an attempt timeout, or an inner cockatiel policy (which may time out).
 */
function hasTimers({ resilience }: FetchSettings): boolean {
  return (
    resilience.deadline !== false ||
    resilience.attemptTimeout !== false ||
    resilience.inner !== undefined
  );
}

/** The key of this call: the caller's, a new one for POST/PATCH, or none. */
function ensureKey(request: OutgoingRequest, settings: FetchSettings): string | undefined {
  const existing = request.headers.get(settings.idempotencyKeyHeader);
  if (existing !== null) return existing;
  if (!settings.addIdempotencyKey || !needsIdempotencyKey(request.method)) return undefined;
  const key = settings.generateKey();
  request.headers.set(settings.idempotencyKeyHeader, key);
  return key;
}

function wasReplayed(response: Response): boolean {
  return response.headers.get('idempotent-replayed')?.toLowerCase() === 'true';
}
