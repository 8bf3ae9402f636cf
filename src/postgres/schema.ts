import { invalidOption } from '../errors.js';

/** The table name used when none is given. */
export const DEFAULT_TABLE = 'bulwark_idempotency';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Quotes a table name, `name` or `schema.name`, after checking each part is a
 * plain identifier (it is spliced into SQL, so nothing else is accepted).
 */
export function quoteTable(scope: string, table: string): string {
  const parts = typeof table === 'string' ? table.split('.') : [];
  const valid = parts.length >= 1 && parts.length <= 2 && parts.every((p) => IDENTIFIER.test(p));
  if (!valid) {
    throw invalidOption(
      scope,
      'table',
      table,
      'an identifier or schema.identifier of [A-Za-z0-9_]',
    );
  }
  return parts.map((p) => `"${p}"`).join('.');
}

/**
 * The migration that creates the idempotency table: LOGGED (an UNLOGGED table
 * loses claims on a crash), keyed by the engine's hashed key (`text`, so no
 * length limit truncates a key), one `expires_at` that is the lease end while
 * in flight and the retention end once completed, and an index for cleanup.
 * Idempotent (`IF NOT EXISTS`); run it from your migrations, or let
 * `PostgresStore` run it on first use with `createTable: true`.
 */
export function idempotencySchemaSql(table: string = DEFAULT_TABLE): string {
  const quoted = quoteTable('idempotencySchemaSql', table);
  const index = `"${table.split('.').pop()}_expires_at_idx"`;
  return `CREATE TABLE IF NOT EXISTS ${quoted} (
  key text PRIMARY KEY,
  fingerprint text NOT NULL,
  state text NOT NULL CHECK (state IN ('in_flight', 'completed')),
  owner_token text,
  expires_at timestamptz NOT NULL,
  response_status integer,
  response_headers jsonb,
  response_body bytea,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  CHECK ((state = 'in_flight') = (owner_token IS NOT NULL)),
  CHECK (state = 'in_flight' OR response_status IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS ${index} ON ${quoted} (expires_at);
`;
}
