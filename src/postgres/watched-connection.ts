import { BulwarkError, ErrorCode } from '../errors.js';
import type { PgPoolClient } from './client.js';

/** A watch on a checked-out client: `lost` is the first `'error'` it emitted, if any. */
export interface ConnectionWatch {
  /** The error the connection died with; `undefined` while it is healthy. */
  readonly lost: Error | undefined;
  /** Stops listening. Call it after `release()`, which attaches the pool's own listener. */
  stop(): void;
}

/**
 * Listens for the checked-out client's `'error'` event until `stop()`. pg-pool
 * removes its idle-client listener at checkout, so a connection that dies
 * while `work` awaits something else (the backend terminated, a network cut)
 * would emit an unheard `'error'` and crash the process, `pool.on('error')` or
 * not. Here the first such error is kept in `lost` instead.
 */
export function watchConnection(client: PgPoolClient): ConnectionWatch {
  const state: { lost: Error | undefined; stop(): void } = {
    lost: undefined,
    stop: () => client.removeListener?.('error', onError),
  };
  function onError(error: Error): void {
    state.lost ??= error;
  }
  client.on?.('error', onError);
  return state;
}

/** The error `withIdempotentTransaction` rejects with once its connection died before `COMMIT`. */
export function connectionLost(error: Error): BulwarkError {
  return new BulwarkError(
    ErrorCode.IdempotencyStoreUnavailable,
    `withIdempotentTransaction: the connection was lost during the transaction (${error.message}); nothing was committed and the key was not completed`,
    { cause: error },
  );
}
