import type { PreparedBody } from './body.js';
import type { Exchange } from './exchange.js';
import type { OriginScope } from './origin-scope.js';
import { type Hop, isRedirect, nextHop } from './redirects.js';
import type { OutgoingRequest } from './request.js';
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
  readonly headersFor: (hop: Hop, callOrigin: string) => Headers;
}

/**
 * Sends one attempt and follows its redirects the way `fetch` would (see
 * redirects.ts), deciding the origin-scoped headers again on every hop. With
 * the caller's `redirect: 'manual'` or `'error'`, `fetch` handles redirects
 * as asked and nothing is followed here.
 */
export async function sendAttempt(
  outgoing: Outgoing,
  sender: Sender,
  exchange: Exchange | undefined,
): Promise<Response> {
  const { request, body } = outgoing;
  const follow = (request.init.redirect ?? 'follow') === 'follow';
  const callOrigin = request.origin;
  let hop: Hop = {
    url: request.url,
    origin: callOrigin,
    method: request.method,
    body: body.body,
    headers: request.headers,
    baggage: request.baggage,
    redirects: 0,
  };
  for (;;) {
    const headers = sender.headersFor(hop, callOrigin);
    // The URL as a string: `fetch` parses its input either way, and a URL object is first serialised.
    const response = await sender.fetch(hop.url.href, {
      ...request.init,
      method: hop.method,
      headers,
      body: hop.body,
      // The exchange cancels through one of the two (see exchange.ts).
      signal: exchange?.signal,
      dispatcher: exchange?.dispatcher ?? (request.init as { dispatcher?: unknown }).dispatcher,
      duplex: 'half',
      redirect: follow ? 'manual' : request.init.redirect,
    } as RequestInit);
    if (!follow || !isRedirect(response.status)) return markRedirected(response, hop);
    const next = nextHop(hop, response, body.replayable);
    if (next === undefined || !sender.scope.mayFollow(next, callOrigin)) {
      return markRedirected(response, hop);
    }
    discard(response);
    hop = next;
  }
}

/** `fetch` sets `redirected` on a response it reached through redirects; so does this. */
function markRedirected(response: Response, hop: Hop): Response {
  if (hop.redirects > 0) Object.defineProperty(response, 'redirected', { value: true });
  return response;
}
