import { createHash } from 'node:crypto';

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
  const hash = createHash('sha256');
  writeField(hash, KEY_DOMAIN);
  writeField(hash, parts.tenantId);
  writeField(hash, parts.principal);
  writeField(hash, parts.method.toUpperCase());
  writeField(hash, parts.route);
  writeField(hash, parts.clientKey);
  return hash.digest('hex');
}

/** Anything with `update(bytes)`, so fingerprints share the same framing. */
export interface HashSink {
  update(data: Uint8Array): unknown;
}

/**
 * Writes one field as a presence byte, a 4-byte big-endian length and the bytes
 * themselves; `undefined` is a lone 0 byte, so "absent" never equals "empty".
 */
export function writeField(hash: HashSink, value: string | Uint8Array | undefined): void {
  if (value === undefined) {
    hash.update(Uint8Array.of(0));
    return;
  }
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const header = Buffer.alloc(5);
  header.writeUInt8(1, 0);
  header.writeUInt32BE(bytes.byteLength, 1);
  hash.update(header);
  hash.update(bytes);
}
