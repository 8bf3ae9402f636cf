/**
 * The contract every idempotency store implements (MemoryStore, RedisStore,
 * PostgresStore). A record moves through two states:
 *
 *   (absent) --claim--> in_flight(ownerToken, lease) --complete--> completed(response, retention)
 *                                                  \----release----> (absent)
 *
 * - `claim` is atomic. It creates the record when the key is absent, when an
 *   `in_flight` lease has expired (takeover by a new owner) or when a
 *   `completed` record's retention has expired. Otherwise it reports what is there.
 * - `renew`, `complete` and `release` are compare-and-set on `ownerToken`: a
 *   worker whose lease was taken over cannot touch the new owner's record.
 * - Expiry is decided by the store's clock (Redis server time, PostgreSQL
 *   `now()`), never by the application's clock. Durations are passed in, not
 *   instants.
 * - Keys arrive already hashed by the engine (a hex SHA-256 string); stores may
 *   prefix them but never parse them.
 * - A `claim` carrying the `ownerToken` that already owns the live in-flight
 *   record reports `claimed` again (and refreshes the lease), so a claim retried
 *   after a client-side timeout recognises itself instead of seeing a conflict.
 * - `leaseMs` and `retentionMs` must be positive integers; stores reject other
 *   values (a record without expiry would lock its key forever).
 */

/** A response as stored for replay: status, an allow-listed set of headers, and body bytes. */
export interface StoredResponse {
  /** HTTP status code. */
  readonly status: number;
  /** Allow-listed response headers, lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The exact body bytes sent. */
  readonly body: Uint8Array;
}

/** What `claim` found. */
export type ClaimResult =
  /** The caller now owns the key and must run the operation. */
  | { readonly outcome: 'claimed' }
  /** Another owner holds a live lease. `leaseRemainingMs` is by the store's clock. */
  | {
      readonly outcome: 'in_flight';
      readonly fingerprint: string;
      readonly leaseRemainingMs: number;
    }
  /** The operation finished before; replay `response` if `fingerprint` matches. */
  | {
      readonly outcome: 'completed';
      readonly fingerprint: string;
      readonly response: StoredResponse;
    };

/** Arguments of {@link IdempotencyStore.claim}. */
export interface ClaimRequest {
  /** The storage key (already hashed by the engine). */
  readonly key: string;
  /** SHA-256 fingerprint of the request, hex. */
  readonly fingerprint: string;
  /** A fresh random token naming this owner. */
  readonly ownerToken: string;
  /** How long the lease lasts before another worker may take over, in milliseconds. */
  readonly leaseMs: number;
  /**
   * The tenant the claim is for, when there is one (the engine passes
   * `getTenant()?.tenantId`). Informational: the key already scopes the record
   * to its tenant. `MemoryStore` uses it to share its capacity fairly between
   * tenants; `RedisStore` and `PostgresStore` ignore it. Optional, so stores
   * written before it existed, and callers that do not set it, still fit.
   */
  readonly tenantId?: string | undefined;
}

/** Arguments of {@link IdempotencyStore.complete}. */
export interface CompleteRequest {
  readonly key: string;
  readonly ownerToken: string;
  readonly response: StoredResponse;
  /** How long the completed record is kept for replay, from now, in milliseconds. */
  readonly retentionMs: number;
}

/** A place to keep idempotency records; see the module comment for the contract. */
export interface IdempotencyStore {
  /** Atomically claims `key`, or reports the record that is there. */
  claim(request: ClaimRequest): Promise<ClaimResult>;
  /** Extends the lease to `leaseMs` from now if `ownerToken` still owns it; false otherwise. */
  renew(key: string, ownerToken: string, leaseMs: number): Promise<boolean>;
  /** Stores the response if `ownerToken` still owns the in-flight record; false otherwise. */
  complete(request: CompleteRequest): Promise<boolean>;
  /** Deletes the in-flight record if `ownerToken` still owns it; false otherwise. */
  release(key: string, ownerToken: string): Promise<boolean>;
}
