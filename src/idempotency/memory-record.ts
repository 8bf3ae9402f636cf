import type { LinkedList, Links } from './linked-list.js';
import type { PackedResponse } from './packed-response.js';
import type { StoredResponse } from './store.js';

/*
 * One record of a MemoryStore, the tenant holding it, and what it costs in
 * bytes by the store's accounting (see MemoryStoreOptions.maxBytes).
 */

/**
 * What one record costs beyond the characters of its strings and its body
 * bytes: the record object (its own list node), its response's string, its
 * Map entry. Measured on Node 20 with 200 000
 * records (64-character keys and fingerprints): about 830 bytes per lease and
 * 710 per small completed record in all, against 836 and 990 accounted with
 * this value; on Node 22, since responses are packed into strings and
 * records are their own list nodes, about 770 per small completed record
 * (1 060 before). An estimate, not a promise: `maxBytes` bounds the accounted bytes.
 */
const RECORD_OVERHEAD_BYTES = 672;
/** The same for one stored response header (the property and its two strings). */
const HEADER_OVERHEAD_BYTES = 64;

/** A tenant's holdings; `id` is `''` for records claimed outside any tenant. */
export interface TenantUsage {
  readonly id: string;
  bytes: number;
  records: number;
  /** Completed records (only), least recently used first: the `use` order. */
  readonly completed: LinkedList<MemoryRecord>;
  heapIndex: number;
}

/**
 * What every record holds. Its links (see `linked-list.ts`) place it in the
 * expiry order of its state (the leases, or the completed records: `older`,
 * `newer`) and, once completed, in its tenant's use order (`lessRecent`,
 * `moreRecent`).
 */
interface RecordBase extends Links<MemoryRecord> {
  readonly key: string;
  readonly tenant: TenantUsage;
  readonly fingerprint: string;
  expiresAt: number;
  bytes: number;
}

/**
 * A live or lapsed lease. It has every field of a completed record (unset), so
 * completing it turns this very object into one (`MemoryLedger.complete`):
 * one shape for every record, and no second object or map entry per
 * completion (`benchmarks/scenarios/idempotency-stores.mjs`).
 */
export interface LeaseRecord extends RecordBase {
  state: 'in_flight';
  /** Cleared once the lease is removed (`MemoryLedger.remove`), for whoever still holds it. */
  ownerToken: string;
  response: undefined;
}

/** A stored response, kept for replay until `expiresAt`. */
export interface CompletedRecord extends RecordBase {
  state: 'completed';
  ownerToken: undefined;
  /** Packed (see `packed-response.ts`): private and immutable, never handed out. */
  response: PackedResponse;
}

export type MemoryRecord = LeaseRecord | CompletedRecord;

// String lengths count one byte per character: keys, fingerprints and tokens
// are ASCII, and Node keeps HTTP header values as one-byte (latin1) strings.

/** The bytes a lease takes. */
export function leaseBytes(key: string, fingerprint: string, ownerToken: string): number {
  return RECORD_OVERHEAD_BYTES + key.length + fingerprint.length + ownerToken.length;
}

/** The bytes a completed record takes, its response's headers and body included. */
export function completedBytes(
  key: string,
  fingerprint: string,
  headers: StoredResponse['headers'],
  body: Uint8Array,
): number {
  let bytes = RECORD_OVERHEAD_BYTES + key.length + fingerprint.length + body.byteLength;
  for (const name in headers) {
    bytes += HEADER_OVERHEAD_BYTES + name.length + (headers[name]?.length ?? 0);
  }
  return bytes;
}
