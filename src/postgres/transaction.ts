import { BulwarkError, ErrorCode, isBulwarkError } from '../errors.js';
import { assertNonEmpty } from '../idempotency/durations.js';
import type { StoredResponse } from '../idempotency/store.js';
import type { PgPoolClient, PgQueryable } from './client.js';
import { type PostgresStore, storeInternals } from './postgres-store.js';
import { completeOn } from './record-row.js';
import { connectionLost, watchConnection } from './watched-connection.js';

/** Which claimed record the transaction completes. */
export interface IdempotentTransactionRequest {
  /** The storage key the caller claimed. */
  readonly key: string;
  /** The owner token the claim was made with. */
  readonly ownerToken: string;
  /** How long the completed record is kept for replay, in milliseconds. */
  readonly retentionMs: number;
  /**
   * Called once, after `COMMIT` succeeded, with the response that committed.
   * The claim from `idempotencyClaim(res)` (`bulwark/express`) carries it, so
   * `idempotency()` records nothing more and sends exactly that response.
   * Default none. It must not throw (an error from it is ignored: the commit stands).
   */
  readonly onCommitted?: (response: StoredResponse) => void;
}

/** What the transaction's work returns: the response to store, and a value for the caller. */
export interface IdempotentTransactionOutcome<T> {
  /** The response recorded for replay, committed with the business writes. */
  readonly response: StoredResponse;
  /** Handed back to the caller of `withIdempotentTransaction`. */
  readonly result: T;
}

const SCOPE = 'withIdempotentTransaction';

/**
 * Runs `work` inside one transaction on a pooled client and, in that same
 * transaction, completes the claimed record, fenced on the owner token. Either
 * the business writes and the stored response commit together, or neither
 * does: a crash between the side effect and the record is impossible.
 *
 * - `work` throws: the transaction rolls back and the error is rethrown (the
 *   record stays in flight; release it or let the lease lapse).
 * - The fence fails (the lease was lost to a takeover, or the record is gone):
 *   the transaction rolls back and it rejects with `BULWARK_IDEMPOTENCY_LEASE_LOST`.
 * - `COMMIT` itself fails: it rejects with `BULWARK_IDEMPOTENCY_OUTCOME_UNKNOWN`.
 * - The connection dies before `COMMIT` (the backend is terminated, the network
 *   drops), even while `work` awaits something else: once `work` settles, it
 *   rejects with `BULWARK_IDEMPOTENCY_STORE_UNAVAILABLE` (the connection's
 *   error as `cause`); the server rolled the transaction back, the key is not
 *   completed, and the client is released with the error so the pool discards
 *   it. The process never sees an unhandled `'error'` from this client.
 *
 * The fenced `UPDATE` runs last, so the row is locked only briefly before the
 * commit; a concurrent takeover waits for it and then sees the completed row.
 * Do the business writes on the `client` given to `work`, never on the pool.
 *
 * Behind `idempotency()` (`bulwark/express`), pass `idempotencyClaim(res)` as
 * `request`: the middleware then sends the committed response and completes nothing itself.
 */
export async function withIdempotentTransaction<T>(
  store: PostgresStore,
  request: IdempotentTransactionRequest,
  work: (client: PgQueryable) => Promise<IdempotentTransactionOutcome<T>>,
): Promise<T> {
  const internals = storeInternals.get(store);
  if (!internals) throw new TypeError(`${SCOPE}: the first argument must be a PostgresStore`);
  assertNonEmpty(SCOPE, 'key', request.key);
  assertNonEmpty(SCOPE, 'ownerToken', request.ownerToken);
  const client = await internals.pool.connect().catch((error: unknown) => {
    throw unavailable('connect', error);
  });
  const connection = watchConnection(client);
  let broken: Error | undefined;
  try {
    await client.query('BEGIN').catch((error: unknown) => {
      throw unavailable('BEGIN', error);
    });
    // Fail early, before any business write, when the lease is already lost.
    const owned = await client
      .query(internals.sql.isOwned, [request.key, request.ownerToken])
      .catch((error: unknown) => {
        throw unavailable('ownership check', error);
      });
    if (owned.rows.length === 0) throw leaseLost(request.key);
    const outcome = await work(client);
    // The server rolled the transaction back when the connection died; say so plainly.
    if (connection.lost) throw connectionLost(connection.lost);
    const completed = await completeOn(
      client,
      internals.sql,
      { ...request, response: outcome.response },
      (e) => unavailable('complete', e),
    );
    if (!completed) throw leaseLost(request.key);
    await client.query('COMMIT').catch((error: unknown) => {
      broken = error instanceof Error ? error : new Error(String(error));
      throw new BulwarkError(
        ErrorCode.IdempotencyOutcomeUnknown,
        `${SCOPE}: COMMIT failed; the outcome is unknown, retry with the same key`,
        { cause: error },
      );
    });
    notifyCommitted(request, outcome.response);
    return outcome.result;
  } catch (error) {
    if (!broken && !connection.lost) broken = await rollback(client);
    // A dead connection (seen before, or while rolling back) rolled the transaction back itself.
    if (connection.lost && !isBulwarkError(error, ErrorCode.IdempotencyOutcomeUnknown)) {
      broken = connection.lost;
      throw connectionLost(connection.lost);
    }
    throw error;
  } finally {
    // Release first: the pool attaches its own listener, so no 'error' goes unheard in between.
    client.release(broken ?? connection.lost ?? false);
    connection.stop();
  }
}

/** Tells the claim's owner what committed; the commit stands whatever the listener does. */
function notifyCommitted(request: IdempotentTransactionRequest, response: StoredResponse): void {
  try {
    request.onCommitted?.(response);
  } catch {
    // A failing listener cannot undo a commit; the record replays `response` to every retry.
  }
}

/** Rolls back; returns the error when even that fails, so the connection is destroyed. */
async function rollback(client: PgPoolClient): Promise<Error | undefined> {
  try {
    await client.query('ROLLBACK');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

function leaseLost(key: string): BulwarkError {
  return new BulwarkError(
    ErrorCode.IdempotencyLeaseLost,
    `${SCOPE}: the lease on key ${key} is no longer held by this owner; the transaction was rolled back`,
  );
}

function unavailable(op: string, error: unknown): BulwarkError {
  const reason = error instanceof Error ? error.message : String(error);
  return new BulwarkError(
    ErrorCode.IdempotencyStoreUnavailable,
    `${SCOPE}: ${op} failed: ${reason}`,
    {
      cause: error,
    },
  );
}
