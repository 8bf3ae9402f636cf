import type { PreparedBody } from './body.js';
import type { Exchange } from './exchange.js';
import type { HeaderRecord } from './header-record.js';
import type { OriginScope } from './origin-scope.js';
import { type Hop, isRedirect, nextHop } from './redirects.js';
import { NO_INIT, type OutgoingRequest } from './request.js';
import { discard } from './retryable-response.js';

/** What one attempt sends: fixed for the whole call before its first attempt. */
export interface Outgoing {
  readonly request: OutgoingRequest;
  readonly body: PreparedBody;
}

/** How an attempt reaches the network, and how it ends. */
export interface Sender {
  readonly fetch: typeof fetch;
  readonly scope: OriginScope;
  /** The attempt's exchange, when it can be cancelled (see exchange.ts). */
  readonly exchange: Exchange | undefined;
  /** The headers `hop` goes out with (see hop-headers.ts). */
  headersFor(hop: Hop, callOrigin: string): HeaderRecord | undefined;
  /**
   * The attempt's final response (after the redirects followed): what the
   * attempt resolves with, unless the attempt settles itself (see fetch-call.ts).
   */
  answered(response: Response): Response;
  /**
   * The attempt failed before its final response: rethrows what stopped it,
   * or returns undefined when the attempt settles itself (see fetch-call.ts).
   */
  failed(error: unknown): undefined;
}

/**
 * Sends one attempt and follows its redirects the way `fetch` would (see
 * redirects.ts), deciding the origin-scoped headers again on every hop. With
 * the caller's `redirect: 'manual'` or `'error'`, `fetch` handles redirects
 * as asked and nothing is followed here. Settles through `sender.answered`
 * or `sender.failed`; rejects, never throws.
 */
export function sendAttempt(outgoing: Outgoing, sender: Sender): Promise<Response | undefined> {
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
  return sendHop(first, outgoing, sender);
}

/**
 * Sends `hop`, then the hop its redirect asks for, if followed. One `then`
 * per hop that also ends the attempt, rather than an async loop: a call that
 * is not redirected (nearly every one) keeps no suspended frame and takes one
 * promise step here (`benchmarks/scenarios/http-client.mjs`).
 */
function sendHop(hop: Hop, outgoing: Outgoing, sender: Sender): Promise<Response | undefined> {
  const { request } = outgoing;
  const follow = (request.init.redirect ?? 'follow') === 'follow';
  let sent: Promise<Response>;
  try {
    const headers = sender.headersFor(hop, request.origin);
    const init = fetchInit(request, hop, headers, sender.exchange, follow);
    // The URL as a string: `fetch` parses its input either way, and a URL object is first serialised.
    sent = sender.fetch(hop.url.href, init);
  } catch (error) {
    // A throwing `fetch` (one of the caller's) ends the attempt as a rejection would.
    return Promise.reject(error).catch((thrown: unknown) => sender.failed(thrown));
  }
  return sent.then(
    (response) => {
      let next: Hop | undefined;
      try {
        next = follow ? redirectToFollow(response, hop, outgoing, sender) : undefined;
        if (next === undefined) markRedirected(response, hop);
      } catch (error) {
        return sender.failed(error);
      }
      if (next === undefined) return sender.answered(response);
      discard(response);
      return sendHop(next, outgoing, sender);
    },
    (error: unknown) => sender.failed(error),
  );
}

/**
 * The hop a redirect `response` to `hop` asks for, when it is to be followed;
 * `undefined` when `response` is the attempt's answer. Throws where `fetch`
 * would fail the request (see redirects.ts).
 */
function redirectToFollow(
  response: Response,
  hop: Hop,
  outgoing: Outgoing,
  sender: Sender,
): Hop | undefined {
  if (!isRedirect(response.status)) return undefined;
  const next = nextHop(hop, response, outgoing.body.replayable);
  if (next === undefined || !sender.scope.mayFollow(next, outgoing.request.origin)) {
    return undefined;
  }
  return next;
}

/**
 * The `RequestInit` of one hop. A call that gave no other field gets a
 * literal of one fixed shape, not a spread: `fetch` reads the same fields
 * from every call (`benchmarks/scenarios/http-client.mjs`).
 */
function fetchInit(
  request: OutgoingRequest,
  hop: Hop,
  headers: HeaderRecord | undefined,
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
