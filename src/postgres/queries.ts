/*
 * Every statement PostgresStore runs, for one quoted table. All times come
 * from the database's now(); the application only passes durations ($n ms).
 * The fenced statements all require a live in-flight row owned by the token.
 */

const ms = (param: string) => `(now() + ${param}::float8 * interval '1 millisecond')`;
const OWNED = `key = $1 AND owner_token = $2 AND state = 'in_flight' AND expires_at > now()`;

/** The SQL of one table. */
export interface StoreQueries {
  /** $1 key, $2 fingerprint, $3 owner token, $4 lease ms. Returns a row only when claimed. */
  readonly claim: string;
  /** $1 key. The live record, with the lease left by the database clock. */
  readonly lookup: string;
  /** $1 key, $2 owner token, $3 lease ms. */
  readonly renew: string;
  /** $1 key, $2 owner token, $3 status, $4 headers json, $5 body, $6 retention ms. */
  readonly complete: string;
  /** $1 key, $2 owner token. */
  readonly release: string;
  /** $1 key, $2 owner token. Read without locking, to fail early. */
  readonly isOwned: string;
  /** $1 batch size. */
  readonly cleanup: string;
}

/** Builds the statements for `table` (already quoted). */
export function storeQueries(table: string): StoreQueries {
  return {
    // The conflict row lock makes "is it expired?" and the takeover one atomic
    // step; concurrent claimers wait on it and re-check the new row version.
    claim: `INSERT INTO ${table} AS r (key, fingerprint, state, owner_token, expires_at, created_at)
VALUES ($1, $2, 'in_flight', $3, ${ms('$4')}, now())
ON CONFLICT (key) DO UPDATE SET
  fingerprint = EXCLUDED.fingerprint, state = 'in_flight', owner_token = EXCLUDED.owner_token,
  expires_at = EXCLUDED.expires_at, created_at = now(), completed_at = NULL,
  response_status = NULL, response_headers = NULL, response_body = NULL
WHERE r.expires_at <= now() OR (r.state = 'in_flight' AND r.owner_token = EXCLUDED.owner_token)
RETURNING r.owner_token`,
    lookup: `SELECT state, fingerprint, response_status, response_headers, response_body,
  GREATEST(1, CEIL(EXTRACT(EPOCH FROM (expires_at - now())) * 1000))::float8 AS remaining_ms
FROM ${table} WHERE key = $1 AND expires_at > now()`,
    renew: `UPDATE ${table} SET expires_at = ${ms('$3')} WHERE ${OWNED}`,
    complete: `UPDATE ${table} SET state = 'completed', owner_token = NULL,
  response_status = $3, response_headers = $4::jsonb, response_body = $5,
  completed_at = now(), expires_at = ${ms('$6')}
WHERE ${OWNED}`,
    release: `DELETE FROM ${table} WHERE ${OWNED}`,
    isOwned: `SELECT 1 FROM ${table} WHERE ${OWNED}`,
    // Re-checking expiry in the outer WHERE matters: it is re-evaluated on the
    // latest row version, so a row taken over meanwhile is never deleted.
    cleanup: `DELETE FROM ${table} WHERE key IN (
  SELECT key FROM ${table} WHERE expires_at <= now() LIMIT $1 FOR UPDATE SKIP LOCKED
) AND expires_at <= now()`,
  };
}
