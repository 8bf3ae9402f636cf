import { hashFields } from './hash-fields.js';

/** What a storage key is derived from. Absent optional fields are encoded distinctly from empty ones. */
export interface StorageKeyParts {
  /** The tenant the request is for (from `getTenant()`), when there is one. */
  readonly tenantId?: string | undefined;
  /** The authenticated caller within the tenant, when the application supplies one. */
  readonly principal?: string | undefined;
  /** HTTP method (or any operation verb); upper-cased before hashing. */
  readonly method: string;
  /** The route template (`/transfers/:id`), so one key never spans two endpoints. */
  readonly route: string;
  /** The client's idempotency key, already validated. */
  readonly clientKey: string;
}

const KEY_DOMAIN = 'bulwark.idempotency.storage-key.v1';

/**
 * The key a record is stored under: hex SHA-256 over the length-prefixed
 * tenant, principal, method, route and client key. Length prefixes (never a
 * `:`-join) make (`a:b`, `c`) and (`a`, `b:c`) different keys, and hashing
 * keeps the client's raw key out of the store and bounds the key's size.
 * Tenant B therefore never addresses tenant A's record, whatever key it sends.
 */
export function idempotencyStorageKey(parts: StorageKeyParts): string {
  return hashFields([
    KEY_DOMAIN,
    parts.tenantId,
    parts.principal,
    parts.method.toUpperCase(),
    parts.route,
    parts.clientKey,
  ]);
}
