import type { LinkedList, ListNode } from './linked-list.js';
import type { StoredResponse } from './store.js';

/*
 * One record of a MemoryStore, the tenant holding it, and what it costs in
 * bytes by the store's accounting (see MemoryStoreOptions.maxBytes).
 */

/**
 * What one record costs beyond the characters of its strings and its body
 * bytes: the record and response objects, the Uint8Array, string headers, its
 * Map entry and list nodes. Measured on Node 20 with 200 000 records
 * (64-character keys and fingerprints): about 830 bytes per lease and 710 per
 * small completed record in all, against 836 and 990 accounted with this
 * value. An estimate, not a promise: `maxBytes` bounds the accounted bytes.
 */
const RECORD_OVERHEAD_BYTES = 672;
/** The same for one stored response header (the property and its two strings). */
const HEADER_OVERHEAD_BYTES = 64;

/** A tenant's holdings; `id` is `''` for records claimed outside any tenant. */
export interface TenantUsage {
  readonly id: string;
  bytes: number;
  records: number;
  /** Completed records, least recently used first. */
  readonly completed: LinkedList<CompletedRecord>;
  heapIndex: number;
}

interface RecordBase {
  readonly key: string;
  readonly tenant: TenantUsage;
  readonly fingerprint: string;
  expiresAt: number;
  bytes: number;
  /**
   * Its place in the expiry order of its state (the leases, or the completed
   * records). Set once it is added; the same node moves along when a lease completes.
   */
  age: ListNode<MemoryRecord> | undefined;
}

/**
 * A live or lapsed lease. It has every field of a completed record (unset), so
 * completing it turns this very object into one (`MemoryLedger.complete`):
 * one shape for every record, and no second object, node or map entry per
 * completion (`benchmarks/scenarios/idempotency-stores.mjs`).
 */
export interface LeaseRecord extends RecordBase {
  state: 'in_flight';
  ownerToken: string;
  response: undefined;
  lru: undefined;
}

/** A stored response, kept for replay until `expiresAt`. */
export interface CompletedRecord extends RecordBase {
  state: 'completed';
  ownerToken: undefined;
  response: StoredResponse;
  /** Its place in its tenant's LRU order. Set once it is added. */
  lru: ListNode<CompletedRecord> | undefined;
}

export type MemoryRecord = LeaseRecord | CompletedRecord;

// String lengths count one byte per character: keys, fingerprints and tokens
// are ASCII, and Node keeps HTTP header values as one-byte (latin1) strings.

/** The bytes a lease takes. */
export function leaseBytes(key: string, fingerprint: string, ownerToken: string): number {
  return RECORD_OVERHEAD_BYTES + key.length + fingerprint.length + ownerToken.length;
}

/** The bytes a completed record takes, its response included. */
export function completedBytes(key: string, fingerprint: string, response: StoredResponse): number {
  let bytes = RECORD_OVERHEAD_BYTES + key.length + fingerprint.length + response.body.byteLength;
  for (const name in response.headers) {
    bytes += HEADER_OVERHEAD_BYTES + name.length + (response.headers[name]?.length ?? 0);
  }
  return bytes;
}
