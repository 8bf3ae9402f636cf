import { now } from '../resilience/clock.js';
import { resilient } from '../resilience/resilient.js';
import { type PreparedBody, prepareBody, preparedAtOnce } from './body.js';
import {
  bodyAborted,
  bodyDeadlineExceeded,
  requestBodyAborted,
  requestBodyStalled,
} from './failures.js';
import { FetchCall, type FetchRuntime } from './fetch-call.js';
import { Limit, type LimitCauses } from './limit.js';
import { isRepeatable, needsIdempotencyKey } from './methods.js';
import { operationKey } from './operation-key.js';
import type { FetchOptions } from './options.js';
import { normaliseRequest, type OutgoingRequest } from './request.js';
import { type ResolvedFetchOptions, resolveFetchOptions } from './resolved-options.js';
import { finalResponseOf } from './retryable-response.js';
import { endSpan, startCallSpan, withSpan } from './spans.js';

/**
 * Creates a drop-in replacement for the global `fetch` that runs every call
 * through a `resilient()` pipeline: a per-tenant bulkhead, a total deadline,
 * jittered retries with a budget and `Retry-After`, a breaker per origin and a
 * timeout per attempt. POST and PATCH get one `Idempotency-Key` per logical
 * call, identical on every attempt, and are retried only with it. Every
 * attempt sends the same body bytes. `traceparent` always goes out; `baggage`
 * only to `baggageOrigins`, and the key only to the call's origin and
 * `idempotencyKeyOrigins`, decided again on every redirect hop. The deadline
 * and the caller's signal cover the whole exchange: reading the caller's
 * request stream, and reading the response body after this resolved. Read
 * what happened with `fetchMeta(response)`.
 *
 * Differences from plain `fetch`: a call that cannot finish rejects with a
 * `BulwarkError` (`BULWARK_DEADLINE_EXCEEDED`, `BULWARK_CIRCUIT_OPEN` with
 * `retryAfterMs`, `BULWARK_BULKHEAD_FULL`, `BULWARK_ABORTED`, ...) instead of
 * a bare `TypeError`/`AbortError`, and so does a body read cut by the
 * deadline or the caller's abort; a final 5xx/429 is returned as a response.
 *
 * @example
 * const bankFetch = createFetch({ resilience: { deadline: { totalTimeoutMs: 10_000 } } });
 * const res = await bankFetch('https://bank.example/payments', { method: 'POST', body });
 */
export function createFetch(options: FetchOptions = {}): typeof fetch {
  const resolved = resolveFetchOptions(options);
  const pipeline = resilient(resolved.name, resolved.resilience);
  const { name } = resolved;
  const uploadCauses: LimitCauses = {
    timedOut: () => requestBodyStalled(name, resolved.uploadLimitCode, resolved.uploadLimitMs),
    aborted: (reason) => requestBodyAborted(name, reason),
  };
  const bodyCauses: LimitCauses = {
    timedOut: () => bodyDeadlineExceeded(name, resolved.totalTimeoutMs ?? 0),
    aborted: (reason) => bodyAborted(name, reason),
  };

  const runtime: FetchRuntime = { resolved, bodyCauses, timed: hasTimers(resolved) };

  return async function bulwarkFetch(
    input: RequestInfo | URL,
    init?: RequestInit,
  ): Promise<Response> {
    const request = normaliseRequest(input, init);
    const body: PreparedBody =
      preparedAtOnce(request.body) ??
      (await prepareBody(
        request.body,
        resolved.maxBufferedBodyBytes,
        new Limit(request.signal, now() + resolved.uploadLimitMs, uploadCauses),
      ));
    if (body.contentType !== undefined && !request.headers.has('content-type')) {
      request.headers.set('content-type', body.contentType);
    }
    const key = ensureKey(request, resolved);
    const repeatable = body.replayable && isRepeatable(request.method, key !== undefined);
    const call = new FetchCall(runtime, request, body, key, options.fetch ?? globalThis.fetch);
    const callSpan = resolved.spans === 'call' ? startCallSpan(request) : undefined;
    try {
      const response = await withSpan(callSpan, () =>
        pipeline.execute(call.attempt, {
          signal: request.signal,
          key: request.origin,
          retry: repeatable,
        }),
      );
      if (callSpan) endSpan(callSpan, { status: response.status });
      return call.deliver(response);
    } catch (error) {
      const response = finalResponseOf(error);
      if (callSpan) endSpan(callSpan, response ? { status: response.status } : { error });
      if (response !== undefined) return call.deliver(response);
      call.discardHeld();
      throw error;
    }
  };
}

/**
 * True when an attempt's signal can fire without the caller: a total deadline,
 * an attempt timeout, or an inner cockatiel policy (which may time out).
 */
function hasTimers({ resilience }: ResolvedFetchOptions): boolean {
  return (
    resilience.deadline !== false ||
    resilience.attemptTimeout !== false ||
    resilience.inner !== undefined
  );
}

/**
 * The key of this call: the caller's; for a POST/PATCH without one, the key
 * derived from the operation being executed (the same in every execution) or,
 * outside an operation, a new one; else none.
 */
function ensureKey(request: OutgoingRequest, resolved: ResolvedFetchOptions): string | undefined {
  // No headers given, none to look in (the common GET).
  const existing = request.headersGiven ? request.headers.get(resolved.idempotencyKeyHeader) : null;
  if (existing !== null) return existing;
  if (!resolved.addIdempotencyKey || !needsIdempotencyKey(request.method)) return undefined;
  const key = operationKey(request) ?? resolved.generateKey();
  request.headers.set(resolved.idempotencyKeyHeader, key);
  return key;
}
