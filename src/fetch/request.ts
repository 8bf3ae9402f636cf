/** One outgoing call, normalised from `fetch`'s two argument shapes. */
export interface OutgoingRequest {
  readonly url: URL;
  /** `url.origin`, read once (the breaker key, the origin-scoped headers). */
  readonly origin: string;
  /** Upper-case method. */
  readonly method: string;
  /** A private copy: the wrapper adds its headers here, never to the caller's object. */
  readonly headers: Headers;
  /** False when the caller gave no headers at all: nothing to look up in {@link headers}. */
  readonly headersGiven: boolean;
  /** True when the caller's headers carry `baggage` (it goes only to `baggageOrigins`). */
  readonly baggage: boolean;
  readonly body: BodyInit | null;
  readonly signal: AbortSignal | undefined;
  /** The remaining `RequestInit` fields (redirect, credentials, ...), passed on as given. */
  readonly init: Omit<RequestInit, 'body' | 'headers' | 'signal' | 'method'>;
}

/**
 * Reads `fetch(input, init)` the way `fetch` does: `init` fields win over the
 * `Request`'s, and `init.headers`, when given, replaces the request's headers.
 */
export function normaliseRequest(
  input: RequestInfo | URL,
  init: RequestInit | undefined,
): OutgoingRequest {
  const request = input instanceof Request ? input : undefined;
  const url = new URL(request ? request.url : input instanceof URL ? input.href : String(input));
  const { body, headers, signal, method, ...rest } = init ?? {};
  const given = headers ?? request?.headers;
  const copy = new Headers(given);
  return {
    url,
    origin: url.origin,
    method: (method ?? request?.method ?? 'GET').toUpperCase(),
    headers: copy,
    headersGiven: given !== undefined,
    baggage: given !== undefined && copy.has('baggage'),
    body: init !== undefined && 'body' in init ? (body ?? null) : (request?.body ?? null),
    signal: signal ?? request?.signal ?? undefined,
    // The redirect mode decides who follows redirects (see send.ts): a Request's counts too.
    init:
      request !== undefined && rest.redirect === undefined
        ? { ...rest, redirect: request.redirect }
        : rest,
  };
}
