/*
 * The few `pg` methods bulwark calls, typed structurally so the library never
 * imports `pg` at run time. A `pg.Pool` satisfies {@link PgPool}; a
 * `pg.PoolClient` (or `pg.Client`) satisfies {@link PgQueryable}.
 */

/** The part of a `pg` query result bulwark reads. */
export interface PgQueryResult {
  /** The returned rows. */
  rows: unknown[];
  /** Rows affected by INSERT/UPDATE/DELETE; `null` for other commands. */
  rowCount: number | null;
}

/** Anything with `pg`'s parameterised `query(text, values)`: a Pool, a PoolClient or a Client. */
export interface PgQueryable {
  /** Runs one parameterised statement. */
  query(text: string, values?: unknown[]): Promise<PgQueryResult>;
}

/** A client checked out of a pool, as `pg.PoolClient`. */
export interface PgPoolClient extends PgQueryable {
  /** Returns the client to the pool; an error (or `true`) destroys it instead. */
  release(err?: Error | boolean): void;
}

/** A connection pool, as `pg.Pool`. */
export interface PgPool extends PgQueryable {
  /** Checks a client out for a transaction. */
  connect(): Promise<PgPoolClient>;
}
