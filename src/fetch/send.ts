import type { PreparedBody } from './body.js';
import type { Exchange } from './exchange.js';
import type { OriginScope } from './origin-scope.js';
import { type Hop, isRedirect, nextHop } from './redirects.js';
import { NO_INIT, type OutgoingRequest } from './request.js';
import { discard } from './retryable-response.js';

/** What one attempt sends: fixed for the whole call before its first attempt. */
export interface Outgoing {
  readonly request: OutgoingRequest;
  readonly body: PreparedBody;
}

/** How an attempt reaches the network. */
export interface Sender {
  readonly fetch: typeof fetch;
  readonly scope: OriginScope;
  /** The headers `hop` goes out with (see hop-headers.ts). */
  readonly headersFor: (hop: Hop, callOrigin: string) => Headers | undefined;
}

/**
 * Sends one attempt and follows its redirects the way `fetch` would (see
 * redirects.ts), deciding the origin-scoped headers again on every hop. With
 * the caller's `redirect: 'manual'` or `'error'`, `fetch` handles redirects
 * as asked and nothing is followed here. Rejects, never throws.
 */
export function sendAttempt(
  outgoing: Outgoing,
  sender: Sender,
  exchange: Exchange | undefined,
): Promise<Response> {
  const { request, body } = outgoing;
  const first: Hop = {
    url: request.url,
    origin: request.origin,
    method: request.method,
    body: body.body,
    headers: request.headers,
    baggage: request.baggage,
    redirects: 0,
  };
  return sendHop(first, outgoing, sender, exchange);
}

/**
 * Sends `hop`, then the hop its redirect asks for, if followed. Chained
 * promises rather than an async loop: a call that is not redirected (nearly
 * every one) keeps no suspended frame (`benchmarks/scenarios/http-client.mjs`).
 */
function sendHop(
  hop: Hop,
  outgoing: Outgoing,
  sender: Sender,
  exchange: Exchange | undefined,
): Promise<Response> {
  const { request, body } = outgoing;
  const follow = (request.init.redirect ?? 'follow') === 'follow';
  let sent: Promise<Response>;
  try {
    const headers = sender.headersFor(hop, request.origin);
    // The URL as a string: `fetch` parses its input either way, and a URL object is first serialised.
    sent = sender.fetch(hop.url.href, fetchInit(request, hop, headers, exchange, follow));
  } catch (error) {
    return Promise.reject(error);
  }
  if (!follow) return sent;
  return sent.then((response) => {
    if (!isRedirect(response.status)) return markRedirected(response, hop);
    const next = nextHop(hop, response, body.replayable);
    if (next === undefined || !sender.scope.mayFollow(next, request.origin)) {
      return markRedirected(response, hop);
    }
    discard(response);
    return sendHop(next, outgoing, sender, exchange);
  });
}

/**
 * The `RequestInit` of one hop. A call that gave no other field gets a
 * literal of one fixed shape, not a spread: `fetch` reads the same fields
 * from every call (`benchmarks/scenarios/http-client.mjs`).
 */
function fetchInit(
  request: OutgoingRequest,
  hop: Hop,
  headers: Headers | undefined,
  exchange: Exchange | undefined,
  follow: boolean,
): RequestInit {
  const given = request.init;
  // The exchange cancels through one of the two (see exchange.ts).
  const signal = exchange?.signal;
  const dispatcher = exchange?.dispatcher ?? (given as { dispatcher?: unknown }).dispatcher;
  const redirect = follow ? 'manual' : given.redirect;
  if (given === NO_INIT) {
    return {
      method: hop.method,
      headers,
      body: hop.body,
      signal,
      dispatcher,
      duplex: 'half',
      redirect,
    } as RequestInit;
  }
  return {
    ...given,
    method: hop.method,
    headers,
    body: hop.body,
    signal,
    dispatcher,
    duplex: 'half',
    redirect,
  } as RequestInit;
}

/** `fetch` sets `redirected` on a response it reached through redirects; so does this. */
function markRedirected(response: Response, hop: Hop): Response {
  if (hop.redirects > 0) Object.defineProperty(response, 'redirected', { value: true });
  return response;
}
