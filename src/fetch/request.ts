import { emptyHeaders, type HeaderRecord, toHeaderRecord } from './header-record.js';
import type { LastUrl } from './last-url.js';

/** The `RequestInit` fields passed on to `fetch` as given (redirect, credentials, ...). */
export type PassedInit = Omit<RequestInit, 'body' | 'headers' | 'signal' | 'method'>;

/** One outgoing call, normalised from `fetch`'s two argument shapes. */
export interface OutgoingRequest {
  readonly url: URL;
  /** `url.origin`, read once (the breaker key, the origin-scoped headers). */
  readonly origin: string;
  /** Upper-case method. */
  readonly method: string;
  /**
   * A private copy, as a record (see header-record.ts): the wrapper adds its
   * headers here, never to the caller's object. `undefined` while there are
   * none (see {@link writableHeaders}).
   */
  headers: HeaderRecord | undefined;
  /** True when the caller's headers carry `baggage` (it goes only to `baggageOrigins`). */
  readonly baggage: boolean;
  readonly body: BodyInit | null;
  readonly signal: AbortSignal | undefined;
  /** The remaining `RequestInit` fields, passed on as given; {@link NO_INIT} when there are none. */
  readonly init: PassedInit;
}

/** The {@link OutgoingRequest.init} of a call that gave no other field (the common one). */
export const NO_INIT: PassedInit = Object.freeze({});

/** The fields of `RequestInit` read here rather than passed on. */
const READ_HERE = new Set(['body', 'headers', 'signal', 'method']);

/**
 * Reads `fetch(input, init)` the way `fetch` does: `init` fields win over the
 * `Request`'s, and `init.headers`, when given, replaces the request's headers.
 * The address is parsed through `urls`, which keeps the last one parsed.
 */
export function normaliseRequest(
  input: RequestInfo | URL,
  init: RequestInit | undefined,
  urls: LastUrl,
): OutgoingRequest {
  const request = input instanceof Request ? input : undefined;
  const url = urls.url(request ? request.url : input instanceof URL ? input.href : String(input));
  const given = init?.headers ?? request?.headers;
  // No headers given, none copied (the common GET): `fetch` is then given none either.
  const headers = given === undefined ? undefined : toHeaderRecord(given);
  const rest = passedInit(init);
  return {
    url,
    origin: urls.origin,
    method: (init?.method ?? request?.method ?? 'GET').toUpperCase(),
    headers,
    baggage: headers?.baggage !== undefined,
    body: init !== undefined && 'body' in init ? (init.body ?? null) : (request?.body ?? null),
    signal: init?.signal ?? request?.signal ?? undefined,
    // The redirect mode decides who follows redirects (see send.ts): a Request's counts too.
    init:
      request !== undefined && rest.redirect === undefined
        ? { ...rest, redirect: request.redirect }
        : rest,
  };
}

/** The request's headers, made (empty) when it had none, to add one of the wrapper's. */
export function writableHeaders(request: OutgoingRequest): HeaderRecord {
  request.headers ??= emptyHeaders();
  return request.headers;
}

/**
 * The fields of `init` to pass on, copied now (a field changed by the caller
 * later must not reach a retry); {@link NO_INIT} without any, which spares
 * a copy on the common call (`benchmarks/scenarios/http-client.mjs`).
 */
function passedInit(init: RequestInit | undefined): PassedInit {
  if (init === undefined) return NO_INIT;
  for (const field in init) {
    if (!READ_HERE.has(field)) {
      const { body, headers, signal, method, ...rest } = init;
      return rest;
    }
  }
  return NO_INIT;
}
