import { assertDurationMs } from '../idempotency/durations.js';
import type { ClaimResult, CompleteRequest, StoredResponse } from '../idempotency/store.js';
import type { PgQueryable } from './client.js';
import type { StoreQueries } from './queries.js';

/*
 * Reading and writing one record's row; shared by PostgresStore and the
 * transactional mode, which completes on its own transaction's client.
 */

/** A row as the `lookup` statement returns it (`pg` decodes bytea to Buffer, jsonb to objects). */
export interface LookupRow {
  state: 'in_flight' | 'completed';
  fingerprint: string;
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: Uint8Array | null;
  remaining_ms: number;
}

/** The fenced completion, on the pool or on a transaction's client. */
export async function completeOn(
  db: PgQueryable,
  sql: StoreQueries,
  request: CompleteRequest,
  wrap: (error: unknown) => Error,
): Promise<boolean> {
  assertDurationMs('PostgresStore', 'retentionMs', request.retentionMs);
  const { key, ownerToken, response, retentionMs } = request;
  const body = Buffer.from(
    response.body.buffer,
    response.body.byteOffset,
    response.body.byteLength,
  );
  const values = [
    key,
    ownerToken,
    response.status,
    JSON.stringify(response.headers),
    body,
    retentionMs,
  ];
  try {
    const result = await db.query(sql.complete, values);
    return result.rowCount === 1;
  } catch (error) {
    throw wrap(error);
  }
}

/** Turns a live row into what `claim` reports. */
export function toClaimResult(row: LookupRow): ClaimResult {
  if (row.state === 'in_flight') {
    return {
      outcome: 'in_flight',
      fingerprint: row.fingerprint,
      leaseRemainingMs: Number(row.remaining_ms),
    };
  }
  const body = row.response_body ?? new Uint8Array(0);
  const response: StoredResponse = {
    status: Number(row.response_status),
    headers: row.response_headers ?? {},
    body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
  };
  return { outcome: 'completed', fingerprint: row.fingerprint, response };
}
