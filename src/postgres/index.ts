/**
 * `bulwark/postgres`: the PostgreSQL idempotency store, its schema, and the
 * transactional mode that commits the stored response with the business write.
 * It loads nothing at run time; pass the `pg.Pool` your application already has.
 */

export type { PgPool, PgPoolClient, PgQueryable, PgQueryResult } from './client.js';
export type { CleanupOptions, PostgresStoreOptions } from './postgres-store.js';
export { PostgresStore } from './postgres-store.js';
export { DEFAULT_TABLE, idempotencySchemaSql } from './schema.js';
export type {
  IdempotentTransactionOutcome,
  IdempotentTransactionRequest,
} from './transaction.js';
export { withIdempotentTransaction } from './transaction.js';
