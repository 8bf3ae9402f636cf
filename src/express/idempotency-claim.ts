import type { ServerResponse } from 'node:http';
import type { IdempotencyClaim } from '../idempotency/engine.js';
import type { StoredResponse } from '../idempotency/store.js';
import type { CaptureResult, ResponseCapture } from './idempotency-capture.js';
import { sendStored } from './idempotency-reply.js';

/*
 * The transactional mode behind `idempotency()`: the handler completes the
 * record in its own business transaction (`withIdempotentTransaction` from
 * `bulwark/postgres`), fenced on the owner token of the claim it runs under,
 * and the middleware then sends exactly the response that committed.
 */

/** The claim one request runs under inside `idempotency()`; see {@link idempotencyClaim}. */
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
 * record in the same transaction as the business write; `undefined` when
 * `idempotency()` is not handling this request (another method, or no key
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

/**
 * Sends the committed response, so the first answer is the one every retry
 * replays. When the handler's buffered answer has the committed status and
 * body bytes, it is sent as written, with the committed headers in place of
 * its replayable ones; otherwise the committed response is sent instead. A
 * streamed or aborted answer is left alone: its bytes are gone, or nobody
 * listens, and the retry replays the record.
 */
export function sendCommitted(
  res: ServerResponse,
  capture: ResponseCapture,
  captured: CaptureResult,
  committed: StoredResponse,
  replayHeaders: readonly string[],
): void {
  if (captured.kind !== 'complete') return;
  if (captured.status !== committed.status || Buffer.compare(captured.body, committed.body) !== 0) {
    capture.discard();
    sendStored(res, committed);
    return;
  }
  capture.flush(() => {
    const names = new Set(Object.keys(committed.headers).map((name) => name.toLowerCase()));
    for (const name of replayHeaders) if (!names.has(name)) res.removeHeader(name);
    for (const [name, value] of Object.entries(committed.headers)) res.setHeader(name, value);
  });
}
