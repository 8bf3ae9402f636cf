import { invalidOption } from '../errors.js';
import { isHeaderName } from '../header-name.js';
import type { ResilientOptions } from '../resilience/resilient.js';

/** Options of {@link createFetch}. Every field is optional; the defaults are safe for a money-moving call. */
export interface FetchOptions {
  /** The pipeline name (`pipeline.name` on metrics and spans). Default `'fetch'`. */
  name?: string;
  /**
   * Options of the `resilient()` pipeline every call runs through. Breakers and
   * retry budgets are keyed by origin; the bulkhead is keyed by tenant. Default:
   * `resilient()` defaults with a per-tenant bulkhead of 100 running + 100 queued.
   */
  resilience?: ResilientOptions;
  /**
   * Add an `Idempotency-Key` (a random UUID) to a POST or PATCH that has none,
   * so it may be retried. With `false`, such a request is sent exactly once.
   * Default true.
   */
  addIdempotencyKey?: boolean;
  /** The header that carries the key. Default `'Idempotency-Key'`. */
  idempotencyKeyHeader?: string;
  /** Makes a new key. Default a random UUID (v4) from `node:crypto`'s `randomUUID()`. */
  generateKey?: () => string;
  /**
   * Largest one-shot body (`ReadableStream`, async iterable) buffered so that
   * every attempt sends the same bytes, in bytes; above it the call runs once.
   * Default 1 MiB.
   */
  maxBufferedBodyBytes?: number;
  /**
   * Origins (`https://api.partner.example`) that may receive `baggage`.
   * Baggage carries tenant and business data: it goes nowhere else. Default none.
   */
  baggageOrigins?: readonly string[];
  /**
   * Origins, besides the one a call is made to, that a redirect may carry the
   * idempotency key to (for example a second host of the same bank). The key
   * is decided on every redirect hop: the call's own origin always gets it,
   * any other origin only when listed here; a POST or PATCH with a key is not
   * redirected (307/308) to an unlisted origin, and its 3xx is returned as
   * the response, because a server that cannot see the key cannot
   * deduplicate it. Default none.
   */
  idempotencyKeyOrigins?: readonly string[];
  /**
   * A header that tells the server how many milliseconds of the total deadline
   * remain (for example `'X-Request-Timeout-Ms'`), or false to send none. Default false.
   */
  deadlineHeader?: string | false;
  /**
   * Spans: `'attempt'` makes one client span per attempt with
   * `http.request.resend_count` (do not also enable OTel's undici
   * instrumentation, or each attempt gets two client spans); `'call'` makes one
   * internal span per logical call and leaves the client spans to the undici
   * instrumentation; `false` makes none. Default `'attempt'`.
   */
  spans?: 'attempt' | 'call' | false;
  /** The fetch implementation to call. Default the global `fetch`, looked up on every call. */
  fetch?: typeof fetch;
}

/** Defaults of {@link FetchOptions}. */
export const FETCH_DEFAULTS = {
  name: 'fetch',
  addIdempotencyKey: true,
  idempotencyKeyHeader: 'Idempotency-Key',
  maxBufferedBodyBytes: 1024 * 1024,
  baggageOrigins: [] as readonly string[],
  idempotencyKeyOrigins: [] as readonly string[],
  deadlineHeader: false,
  spans: 'attempt',
  bulkhead: { maxConcurrent: 100, maxQueued: 100 },
} as const;

/** Validates {@link FetchOptions} once, when the fetch function is created. */
export function validateFetchOptions(options: FetchOptions): void {
  const scope = 'createFetch';
  if (typeof options !== 'object' || options === null) {
    throw invalidOption(scope, 'options', options, 'an options object');
  }
  const { maxBufferedBodyBytes, generateKey, fetch, spans, deadlineHeader, baggageOrigins } =
    options;
  if (
    maxBufferedBodyBytes !== undefined &&
    !(Number.isInteger(maxBufferedBodyBytes) && maxBufferedBodyBytes >= 0)
  ) {
    throw invalidOption(
      scope,
      'maxBufferedBodyBytes',
      maxBufferedBodyBytes,
      'a non-negative integer',
    );
  }
  if (generateKey !== undefined && typeof generateKey !== 'function') {
    throw invalidOption(scope, 'generateKey', generateKey, 'a function returning a string');
  }
  if (fetch !== undefined && typeof fetch !== 'function') {
    throw invalidOption(scope, 'fetch', fetch, 'a fetch function');
  }
  if (spans !== undefined && spans !== 'attempt' && spans !== 'call' && spans !== false) {
    throw invalidOption(scope, 'spans', spans, "'attempt', 'call' or false");
  }
  if (deadlineHeader !== undefined && deadlineHeader !== false && !isHeaderName(deadlineHeader)) {
    throw invalidOption(scope, 'deadlineHeader', deadlineHeader, 'a header name or false');
  }
  if (options.idempotencyKeyHeader !== undefined && !isHeaderName(options.idempotencyKeyHeader)) {
    throw invalidOption(
      scope,
      'idempotencyKeyHeader',
      options.idempotencyKeyHeader,
      'a header name',
    );
  }
  checkOrigins(scope, 'baggageOrigins', baggageOrigins);
  checkOrigins(scope, 'idempotencyKeyOrigins', options.idempotencyKeyOrigins);
}

function checkOrigins(scope: string, field: string, origins: unknown): void {
  if (origins === undefined) return;
  if (!Array.isArray(origins)) throw invalidOption(scope, field, origins, 'an array of origins');
  for (const origin of origins) {
    if (typeof origin !== 'string' || !URL.canParse(origin) || new URL(origin).origin === 'null') {
      throw invalidOption(scope, field, origin, 'absolute http(s) origins');
    }
  }
}
