import { BulwarkError, ErrorCode, invalidOption } from '../errors.js';
import { assertDurationMs, assertNonEmpty } from '../idempotency/durations.js';
import type {
  ClaimRequest,
  ClaimResult,
  CompleteRequest,
  IdempotencyStore,
} from '../idempotency/store.js';
import type { PgPool, PgQueryResult } from './client.js';
import { type StoreQueries, storeQueries } from './queries.js';
import { completeOn, type LookupRow, toClaimResult } from './record-row.js';
import { DEFAULT_TABLE, idempotencySchemaSql, quoteTable } from './schema.js';

/** Options of {@link PostgresStore}. */
export interface PostgresStoreOptions {
  /** The application's `pg.Pool` (or anything with its `query` and `connect`). Required. */
  readonly pool: PgPool;
  /** The table, `name` or `schema.name`. Default `'bulwark_idempotency'`. */
  readonly table?: string;
  /**
   * Run {@link idempotencySchemaSql} before the first operation. Default `false`:
   * the table is expected to come from your migrations.
   */
  readonly createTable?: boolean;
}

/** Options of {@link PostgresStore.cleanup}. */
export interface CleanupOptions {
  /** Most rows deleted by this call. Default 1 000. */
  readonly limit?: number;
}

const DEFAULTS = { table: DEFAULT_TABLE, createTable: false, cleanupLimit: 1_000 } as const;
const SCOPE = 'PostgresStore';
/** A claim that keeps losing races (row deleted or expired between statements) gives up. */
const CLAIM_ATTEMPTS = 5;

/** Internals shared with `withIdempotentTransaction`, kept off the public surface. */
export const storeInternals = new WeakMap<PostgresStore, { pool: PgPool; sql: StoreQueries }>();

/**
 * An idempotency store on PostgreSQL. Claim is one `INSERT ... ON CONFLICT DO
 * UPDATE ... WHERE expired` that atomically takes over an expired lease or an
 * expired completed record; renew, complete and release are `UPDATE`/`DELETE`
 * fenced on the owner token; every time comes from the database's `now()`.
 * Expired rows stay until {@link PostgresStore.cleanup} deletes them (they
 * are ignored and taken over meanwhile). Database errors reject with
 * `BULWARK_IDEMPOTENCY_STORE_UNAVAILABLE`, the `pg` error as `cause`.
 */
export class PostgresStore implements IdempotencyStore {
  readonly #pool: PgPool;
  readonly #sql: StoreQueries;
  readonly #schemaSql: string;
  #ready: Promise<void> | undefined;

  constructor(options: PostgresStoreOptions) {
    const pool = options?.pool;
    if (typeof pool?.query !== 'function' || typeof pool.connect !== 'function') {
      throw invalidOption(SCOPE, 'pool', pool, 'a pg Pool (with query and connect)');
    }
    const table = options.table ?? DEFAULTS.table;
    const quoted = quoteTable(SCOPE, table);
    const createTable = options.createTable ?? DEFAULTS.createTable;
    if (typeof createTable !== 'boolean') {
      throw invalidOption(SCOPE, 'createTable', createTable, 'a boolean');
    }
    this.#pool = pool;
    this.#sql = storeQueries(quoted);
    // The advisory lock stops two processes racing on CREATE TABLE IF NOT EXISTS.
    this.#schemaSql = `SELECT pg_advisory_xact_lock(hashtext('bulwark:' || '${table}'));\n${idempotencySchemaSql(table)}`;
    this.#ready = createTable ? undefined : Promise.resolve();
    storeInternals.set(this, { pool, sql: this.#sql });
  }

  /** Creates the table and its index if missing (the same SQL as `idempotencySchemaSql`). */
  async migrate(): Promise<void> {
    await this.#query('migrate', this.#schemaSql);
  }

  /** Atomically claims `key` (taking over an expired record), or reports the live one. */
  async claim(request: ClaimRequest): Promise<ClaimResult> {
    assertNonEmpty(SCOPE, 'key', request.key);
    assertNonEmpty(SCOPE, 'ownerToken', request.ownerToken);
    assertDurationMs(SCOPE, 'leaseMs', request.leaseMs);
    const { key, fingerprint, ownerToken, leaseMs } = request;
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      const claimed = await this.#query('claim', this.#sql.claim, [
        key,
        fingerprint,
        ownerToken,
        leaseMs,
      ]);
      const owner = (claimed.rows[0] as { owner_token?: string } | undefined)?.owner_token;
      if (owner === ownerToken) return { outcome: 'claimed' };
      const found = await this.#query('claim', this.#sql.lookup, [key]);
      const row = found.rows[0] as LookupRow | undefined;
      // No live row: it was released or expired between the two statements; claim again.
      if (row) return toClaimResult(row);
    }
    throw new BulwarkError(
      ErrorCode.IdempotencyStoreUnavailable,
      `${SCOPE}: claim lost ${CLAIM_ATTEMPTS} races in a row for one key`,
    );
  }

  /** Extends the lease to `leaseMs` from the database's now while `ownerToken` holds it. */
  async renew(key: string, ownerToken: string, leaseMs: number): Promise<boolean> {
    assertDurationMs(SCOPE, 'leaseMs', leaseMs);
    const result = await this.#query('renew', this.#sql.renew, [key, ownerToken, leaseMs]);
    return result.rowCount === 1;
  }

  /** Stores the response while `ownerToken` holds the lease. */
  async complete(request: CompleteRequest): Promise<boolean> {
    await this.#ensureTable().catch((error: unknown) => {
      throw this.#wrap('complete', error);
    });
    return completeOn(this.#pool, this.#sql, request, (error) => this.#wrap('complete', error));
  }

  /** Deletes the in-flight record while `ownerToken` holds the lease. */
  async release(key: string, ownerToken: string): Promise<boolean> {
    const result = await this.#query('release', this.#sql.release, [key, ownerToken]);
    return result.rowCount === 1;
  }

  /**
   * Deletes up to `limit` expired rows (leases and retentions past the
   * database's now) and returns how many. Call it on a schedule; rows locked
   * by a concurrent claim are skipped, never deleted.
   */
  async cleanup(options: CleanupOptions = {}): Promise<number> {
    const limit = options.limit ?? DEFAULTS.cleanupLimit;
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw invalidOption(`${SCOPE}.cleanup`, 'limit', limit, 'a positive integer');
    }
    const result = await this.#query('cleanup', this.#sql.cleanup, [limit]);
    return result.rowCount ?? 0;
  }

  async #query(op: string, text: string, values?: unknown[]): Promise<PgQueryResult> {
    try {
      if (op !== 'migrate') await this.#ensureTable();
      return await this.#pool.query(text, values);
    } catch (error) {
      throw this.#wrap(op, error);
    }
  }

  #ensureTable(): Promise<void> {
    this.#ready ??= this.migrate().catch((error: unknown) => {
      this.#ready = undefined; // try again on the next call
      throw error;
    });
    return this.#ready;
  }

  #wrap(op: string, error: unknown): BulwarkError {
    if (error instanceof BulwarkError) return error;
    const reason = error instanceof Error ? error.message : String(error);
    return new BulwarkError(
      ErrorCode.IdempotencyStoreUnavailable,
      `${SCOPE}: ${op} failed: ${reason}`,
      {
        cause: error,
      },
    );
  }
}
