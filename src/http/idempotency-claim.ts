import type { ServerResponse } from 'node:http';
import type { IdempotencyClaim } from '../idempotency/engine.js';
import type { StoredResponse } from '../idempotency/store.js';

/*
 * The transactional mode behind `idempotency()`: the handler completes the
 * record in its own business transaction (`withIdempotentTransaction` from
 * `bulwark/postgres`), fenced on the owner token of the claim it runs under,
 * and the adapter then sends exactly the response that committed. Keyed by
 * the Node response (Express's `res`, Fastify's `reply.raw`).
 */

/** The claim one request runs under (Express `idempotency()`, the Fastify plugin); see {@link idempotencyClaim}. */
export interface IdempotencyRequestClaim extends IdempotencyClaim {
  /**
   * Tells `idempotency()` that `response` committed as this request's record;
   * `withIdempotentTransaction` calls it after `COMMIT`. The middleware then
   * completes nothing itself and sends exactly `response`. Calls after the
   * handler has answered are ignored.
   */
  readonly onCommitted: (response: StoredResponse) => void;
}

/** A claim open while the handler runs. */
export interface OpenClaim {
  /** Stops accepting `onCommitted`; returns the response that committed, if one did. */
  close(): StoredResponse | undefined;
}

const claims = new WeakMap<ServerResponse, IdempotencyRequestClaim>();

/**
 * The idempotency claim the current request runs under, for completing the
 * record in the same transaction as the business write (pass Express's `res`
 * or Fastify's `reply.raw`); `undefined` when idempotency is not handling this request (another method, or no key
 * with `required: false`).
 *
 * @example
 * const claim = idempotencyClaim(res);
 * if (claim === undefined) throw new Error('mount idempotency() before this handler');
 * const stored = await withIdempotentTransaction(store, claim, async (tx) => { ... });
 * res.status(stored.status).set(stored.headers).end(stored.body);
 */
export function idempotencyClaim(res: ServerResponse): IdempotencyRequestClaim | undefined {
  return claims.get(res);
}

/** Makes `claim` visible to the handler of `res` until {@link OpenClaim.close}. */
export function openClaim(res: ServerResponse, claim: IdempotencyClaim): OpenClaim {
  let open = true;
  let committed: StoredResponse | undefined;
  claims.set(res, {
    key: claim.key,
    ownerToken: claim.ownerToken,
    retentionMs: claim.retentionMs,
    operationId: claim.operationId,
    onCommitted(response) {
      if (open && committed === undefined) committed = response;
    },
  });
  return {
    close() {
      open = false;
      claims.delete(res);
      return committed;
    },
  };
}
