import { needsIdempotencyKey } from './methods.js';
import { createOriginAllowList } from './propagation.js';
import type { Hop } from './redirects.js';

/**
 * Which origins may receive the headers that belong to one party, decided
 * for every hop of a call (the request and each redirect it follows):
 *
 * - `baggage` (tenant and business data): only `baggageOrigins`, whatever
 *   the hop.
 * - the idempotency key: the origin the call was made to, and
 *   `idempotencyKeyOrigins`. A key is meaningful only to the server that
 *   stores it: a same-origin redirect keeps it (so a 307/308 resent there is
 *   still deduplicated), another origin gets it only when allow-listed (for
 *   example a second host of the same bank).
 * - `traceparent`/`tracestate` go everywhere: they name a trace, not a
 *   customer (see propagation.ts).
 */
export class OriginScope {
  /** True when `origin` may receive `baggage`. */
  readonly isBaggageOrigin: (origin: string) => boolean;
  private readonly isKeyOrigin: (origin: string) => boolean;

  constructor(
    baggageOrigins: readonly string[],
    keyOrigins: readonly string[],
    /** The header that carries the idempotency key, lower-case. */
    readonly keyHeader: string,
  ) {
    this.isBaggageOrigin = createOriginAllowList(baggageOrigins);
    this.isKeyOrigin = createOriginAllowList(keyOrigins);
  }

  /**
   * False when following to `hop` would send a keyed POST/PATCH, body and
   * all, to an origin the key may not go to. Such a redirect is not
   * followed: the other server could not deduplicate the request, so a retry
   * or a re-run of the call could execute it twice there.
   */
  mayFollow(hop: Hop, callOrigin: string): boolean {
    if (!needsIdempotencyKey(hop.method) || hop.headers?.[this.keyHeader] === undefined)
      return true;
    return this.keyMayGo(hop.origin, callOrigin);
  }

  /** True when the key of a call to `callOrigin` may go to `origin`. */
  keyMayGo(origin: string, callOrigin: string): boolean {
    return origin === callOrigin || this.isKeyOrigin(origin);
  }
}
