import { hash } from 'node:crypto';

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

/** One field of {@link hashFields}: `undefined` means absent, never equal to empty. */
export type HashField = string | Uint8Array | undefined;

/**
 * Hex SHA-256 over `fields`, each framed as a presence byte, a 4-byte
 * big-endian length and the bytes themselves (`undefined` is a lone 0 byte, so
 * "absent" never equals "empty"). The frames are written into one buffer and
 * hashed in one call: this runs on every idempotent request, and a hasher fed
 * two small updates per field cost more than the hashing itself.
 */
export function hashFields(fields: readonly HashField[]): string {
  let size = 0;
  for (const field of fields) size += frameSize(field);
  const frames = Buffer.allocUnsafe(size);
  let offset = 0;
  for (const field of fields) {
    if (field === undefined) {
      frames[offset++] = 0;
      continue;
    }
    frames[offset] = 1;
    let length: number;
    if (typeof field === 'string') {
      length = frames.write(field, offset + 5, 'utf8');
    } else {
      frames.set(field, offset + 5);
      length = field.byteLength;
    }
    frames.writeUInt32BE(length, offset + 1);
    offset += 5 + length;
  }
  return hash('sha256', frames, 'hex');
}

function frameSize(field: HashField): number {
  if (field === undefined) return 1;
  return 5 + (typeof field === 'string' ? Buffer.byteLength(field, 'utf8') : field.byteLength);
}
