import { redirectFailed } from './failures.js';
import { copyHeaders, type HeaderRecord } from './header-record.js';

/**
 * The redirect rules of `fetch` (WHATWG Fetch, "HTTP-redirect fetch"), applied
 * by bulwark itself: it asks `fetch` for `redirect: 'manual'` and follows each
 * hop here, so that the headers scoped to an origin (`baggage`, the
 * idempotency key) are decided again for every hop instead of travelling to
 * wherever a server points. Same limits as `fetch`: 20 redirects, http(s)
 * only, a 303 (and a 301/302 of a POST) becomes a GET without body, a stream
 * body sent once cannot follow, credentials never cross to another origin.
 */

/** The statuses `fetch` follows. */
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** At most this many redirects per attempt, as in `fetch`. */
export const MAX_REDIRECTS = 20;

/** Headers that describe the body; they go when a redirect drops the body. */
const BODY_HEADERS = ['content-encoding', 'content-language', 'content-location', 'content-type'];

/**
 * Credentials: never sent on from a hop that changed origin, and not restored
 * if a later hop comes back (as `fetch` does, which strips them in place).
 */
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];

/** One request of an attempt: the first one, or one a redirect asked for. */
export interface Hop {
  readonly url: URL;
  /** `url.origin`, read once: the URL getter builds a new string on every read. */
  readonly origin: string;
  readonly method: string;
  /** The body to send (`null` for none); a one-shot stream only on the first hop. */
  readonly body: BodyInit | null;
  /** The caller's headers as they stand at this hop, before the per-origin ones; `undefined` for none. */
  readonly headers: HeaderRecord | undefined;
  /** True when {@link headers} carry a `baggage` header (sent only to `baggageOrigins`). */
  readonly baggage: boolean;
  /** Redirects followed before this hop. */
  readonly redirects: number;
}

/** True when `status` is a redirect `fetch` would follow. */
export function isRedirect(status: number): boolean {
  return REDIRECT_STATUSES.has(status);
}

/**
 * The hop a redirect `response` to `hop` asks for, or `undefined` when it
 * names none (no `Location`: the response is final, as in `fetch`). Throws
 * `TypeError('fetch failed')` where `fetch` returns a network error.
 * `bodyReplayable` is false for a stream body that was sent once.
 */
export function nextHop(hop: Hop, response: Response, bodyReplayable: boolean): Hop | undefined {
  const location = response.headers.get('location');
  if (location === null) return undefined;
  const url = URL.canParse(location, hop.url) ? new URL(location, hop.url) : undefined;
  if (url === undefined) throw redirectFailed(`invalid Location ${JSON.stringify(location)}`);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw redirectFailed('URL scheme must be a HTTP(S) scheme');
  }
  if (hop.redirects >= MAX_REDIRECTS) throw redirectFailed('redirect count exceeded');
  const status = response.status;
  if (status !== 303 && hop.body !== null && !bodyReplayable) {
    throw redirectFailed('a redirect cannot resend a stream request body already sent');
  }
  const headers = copyHeaders(hop.headers);
  let { method, body } = hop;
  if (
    (status === 303 && method !== 'GET' && method !== 'HEAD') ||
    ((status === 301 || status === 302) && method === 'POST')
  ) {
    method = 'GET';
    body = null;
    for (const name of BODY_HEADERS) delete headers[name];
  }
  const origin = url.origin;
  if (origin !== hop.origin) {
    for (const name of CREDENTIAL_HEADERS) delete headers[name];
  }
  return {
    url,
    origin,
    method,
    body,
    headers,
    baggage: hop.baggage,
    redirects: hop.redirects + 1,
  };
}
