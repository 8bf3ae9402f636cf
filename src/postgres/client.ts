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
  /**
   * Listens for the client's `'error'` event (its connection died). A checked-out
   * `pg` client has no listener of its own, so an unheard one would crash the
   * process; bulwark listens while it holds the client. Optional only so that a
   * client which is no event emitter (and so never emits) still fits.
   */
  on?(event: 'error', listener: (error: Error) => void): unknown;
  /** Stops listening; the counterpart of {@link PgPoolClient.on}. */
  removeListener?(event: 'error', listener: (error: Error) => void): unknown;
}

/** A connection pool, as `pg.Pool`. */
export interface PgPool extends PgQueryable {
  /** Checks a client out for a transaction. */
  connect(): Promise<PgPoolClient>;
}
