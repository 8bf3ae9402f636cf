import { now } from '../resilience/clock.js';
import type { ExecuteOptions } from '../resilience/context.js';
import type { Pipeline } from '../resilience/pipeline.js';
import { createPipeline } from '../resilience/resilient.js';
import { type PreparedBody, prepareBody, preparedAtOnce } from './body.js';
import {
  bodyAborted,
  bodyDeadlineExceeded,
  requestBodyAborted,
  requestBodyStalled,
} from './failures.js';
import { FetchCall, type FetchRuntime } from './fetch-call.js';
import { setHeader } from './header-record.js';
import { LastUrl } from './last-url.js';
import { Limit, type LimitCauses } from './limit.js';
import { isRepeatable, needsIdempotencyKey } from './methods.js';
import { operationKey } from './operation-key.js';
import type { FetchOptions } from './options.js';
import { normaliseRequest, type OutgoingRequest, writableHeaders } from './request.js';
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
 * request stream, and reading the response body after this resolved (a body
 * already received in full, on a call without a signal, has nothing left to
 * wait for and is not cut). Read what happened with `fetchMeta(response)`.
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
  const pipeline = createPipeline(resolved.name, resolved.resilience);
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
  const urls = new LastUrl();

  /** One logical call, once its body is ready to send. */
  const call = (request: OutgoingRequest, body: PreparedBody): Promise<Response> => {
    if (body.contentType !== undefined && request.headers?.['content-type'] === undefined) {
      setHeader(writableHeaders(request), 'content-type', body.contentType);
    }
    const key = ensureKey(request, resolved);
    const repeatable = body.replayable && isRepeatable(request.method, key !== undefined);
    const fetchCall = new FetchCall(runtime, request, body, key, options.fetch ?? globalThis.fetch);
    const executeOptions = { signal: request.signal, key: request.origin, retry: repeatable };
    if (resolved.spans === 'call') return inCallSpan(pipeline, fetchCall, executeOptions);
    // The call hands over its response in the pipeline's own last `then`.
    return pipeline.execute(fetchCall.attempt, executeOptions, fetchCall);
  };

  /**
   * A call whose body must be read first (a stream). Its own function: the
   * closure here, in `bulwarkFetch`, would make every call allocate the
   * variable it captures (benchmarks/scenarios/http-client.mjs).
   */
  const callWhenPrepared = (request: OutgoingRequest): Promise<Response> => {
    const limit = new Limit(request.signal, now() + resolved.uploadLimitMs, uploadCauses);
    return prepareBody(request.body, resolved.maxBufferedBodyBytes, limit).then((body) =>
      call(request, body),
    );
  };

  // Not an async function: the call settles in the pipeline's last `then` (see
  // call above), no suspended frame per call (benchmarks/scenarios/http-client.mjs).
  return function bulwarkFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    try {
      const request = normaliseRequest(input, init, urls);
      const ready = preparedAtOnce(request.body);
      if (ready !== undefined) return call(request, ready);
      return callWhenPrepared(request);
    } catch (error) {
      // As from `fetch`: a bad argument rejects, it never throws.
      return Promise.reject(error);
    }
  };
}

/**
 * The `'call'` span mode: the whole call inside one internal span (when an
 * SDK records). Its own function, so that the closure it needs is made only
 * in this mode: a closure in `call` above would make every call allocate the
 * variables it captures (benchmarks/scenarios/http-client.mjs).
 */
async function inCallSpan(
  pipeline: Pipeline,
  fetchCall: FetchCall,
  executeOptions: ExecuteOptions,
): Promise<Response> {
  const span = startCallSpan(fetchCall.request);
  try {
    const response = await withSpan(span, () =>
      pipeline.execute(fetchCall.attempt, executeOptions),
    );
    if (span) endSpan(span, { status: response.status });
    return fetchCall.deliver(response);
  } catch (error) {
    const response = finalResponseOf(error);
    if (span) endSpan(span, response ? { status: response.status } : { error });
    return fetchCall.fail(error);
  }
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
  const existing = request.headers?.[resolved.idempotencyKeyHeader];
  if (existing !== undefined) return existing;
  if (!resolved.addIdempotencyKey || !needsIdempotencyKey(request.method)) return undefined;
  const key = operationKey(request) ?? resolved.generateKey();
  setHeader(writableHeaders(request), resolved.idempotencyKeyHeader, key);
  return key;
}
