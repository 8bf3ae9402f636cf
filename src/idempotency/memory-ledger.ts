import { IndexedMaxHeap } from './indexed-heap.js';
import { LinkedList } from './linked-list.js';
import type { CompletedRecord, LeaseRecord, MemoryRecord, TenantUsage } from './memory-record.js';
import type { PackedResponse } from './packed-response.js';

/*
 * The records of a MemoryStore with their cost in bytes, per tenant, and the
 * choice of what to evict. The store decides when; the ledger decides whom:
 *
 * 1. a record already expired (free to drop: a claim would take it over anyway);
 * 2. else the least recently used completed record of the tenant holding the
 *    largest share of the store, if that share is at least a fair one
 *    (1 / tenants): a tenant flooding the store pushes out its own records;
 * 3. else the requester's own least recently used completed record;
 * 4. else nothing: only live leases are left, which are never evicted.
 *
 * A tenant's share is its dominant one: the larger of its fraction of
 * `maxBytes` and its fraction of `maxEntries`. Finding the largest is a peek
 * at an indexed max-heap (O(1)); keeping it costs O(log tenants) per change.
 * Every other step is O(1): linked lists keep the LRU and expiry orders
 * (see linked-list.ts for why not Maps).
 */

/** See the module comment. */
export class MemoryLedger {
  readonly #records = new Map<string, MemoryRecord>();
  /** Leases in the order they were (re)armed: about their expiry order. */
  readonly #leases = new LinkedList<MemoryRecord>('expiry');
  /** Completed records in completion order: about their expiry order. */
  readonly #retained = new LinkedList<MemoryRecord>('expiry');
  readonly #tenants = new Map<string, TenantUsage>();
  /** Tenants holding at least one completed record (the evictable ones), by dominant share. */
  readonly #heap: IndexedMaxHeap<TenantUsage>;
  readonly maxEntries: number;
  readonly maxBytes: number;
  #bytes = 0;

  constructor(maxEntries: number, maxBytes: number) {
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
    this.#heap = new IndexedMaxHeap((t) => Math.max(t.bytes / maxBytes, t.records / maxEntries));
  }

  get records(): number {
    return this.#records.size;
  }
  get bytes(): number {
    return this.#bytes;
  }
  get inFlight(): number {
    return this.#leases.size;
  }
  get tenants(): number {
    return this.#tenants.size;
  }

  get(key: string): MemoryRecord | undefined {
    return this.#records.get(key);
  }

  /** Marks a completed record most recently used within its tenant. */
  touch(record: CompletedRecord): void {
    record.tenant.completed.moveToBack(record);
  }

  /** True when `bytes` and `records` more stay within both bounds. */
  fits(bytes: number, records: number): boolean {
    return this.#bytes + bytes <= this.maxBytes && this.#records.size + records <= this.maxEntries;
  }

  /** Adds a lease of `bytes` (its `leaseBytes`, which the store already counted to make room). */
  addLease(
    key: string,
    tenantId: string,
    fingerprint: string,
    ownerToken: string,
    expiresAt: number,
    bytes: number,
  ): LeaseRecord {
    const tenant = this.#tenant(tenantId);
    const lease: LeaseRecord = {
      state: 'in_flight',
      key,
      tenant,
      fingerprint,
      ownerToken,
      expiresAt,
      bytes,
      response: undefined,
      older: undefined,
      newer: undefined,
      lessRecent: undefined,
      moreRecent: undefined,
    };
    this.#records.set(key, lease);
    this.#leases.push(lease);
    this.#account(tenant, bytes, 1);
    return lease;
  }

  /** Moves the lease's end; it moves to the back of the expiry order too. */
  rearm(lease: LeaseRecord, expiresAt: number): void {
    lease.expiresAt = expiresAt;
    this.#leases.moveToBack(lease);
  }

  /**
   * Turns `lease` into its completed record, in place, holding `response`
   * (packed: see `CompletedRecord`); `bytes` is its `completedBytes`, which the store already counted to make room. The
   * lease itself moves to the completed records' expiry order, and the map
   * entry stays: see `LeaseRecord`.
   */
  complete(lease: LeaseRecord, response: PackedResponse, expiresAt: number, bytes: number): void {
    const growth = bytes - lease.bytes;
    const done = lease as unknown as CompletedRecord;
    done.state = 'completed';
    done.ownerToken = undefined;
    done.response = response;
    done.expiresAt = expiresAt;
    done.bytes = bytes;
    this.#leases.remove(done);
    this.#retained.push(done);
    done.tenant.completed.push(done);
    this.#account(done.tenant, growth, 0);
  }

  /** Drops `record`; a lease's owner token is cleared, so a holder of the record sees it gone. */
  remove(record: MemoryRecord): void {
    this.#records.delete(record.key);
    if (record.state === 'in_flight') {
      this.#leases.remove(record);
      (record as { ownerToken: string | undefined }).ownerToken = undefined;
    } else {
      this.#retained.remove(record);
      record.tenant.completed.remove(record);
    }
    this.#account(record.tenant, -record.bytes, -1);
  }

  /** Drops the record first in line to expire, if it has; true when it dropped one. */
  dropExpired(now: number): boolean {
    const lease = this.#leases.first();
    const expired = lease !== undefined && lease.expiresAt <= now ? lease : this.#retained.first();
    if (expired === undefined || expired.expiresAt > now) return false;
    this.remove(expired);
    return true;
  }

  /** The completed record to evict for `requesterId` (see the module comment), if any. */
  victim(requesterId: string): CompletedRecord | undefined {
    const top = this.#heap.peek();
    if (top !== undefined) {
      const tenants = this.#tenants.size + (this.#tenants.has(requesterId) ? 0 : 1);
      const fair = top.bytes * tenants >= this.maxBytes || top.records * tenants >= this.maxEntries;
      if (fair) return top.completed.first() as CompletedRecord | undefined;
    }
    const own = this.#tenants.get(requesterId);
    // A tenant's use order holds completed records only.
    return own?.completed.first() as CompletedRecord | undefined;
  }

  /** When the first lease in line ends (by the store's clock), if any lease is held. */
  soonestLeaseEnd(): number | undefined {
    return this.#leases.first()?.expiresAt;
  }

  #tenant(id: string): TenantUsage {
    let tenant = this.#tenants.get(id);
    if (tenant === undefined) {
      tenant = { id, bytes: 0, records: 0, completed: new LinkedList('use'), heapIndex: -1 };
      this.#tenants.set(id, tenant);
    }
    return tenant;
  }

  #account(tenant: TenantUsage, bytes: number, records: number): void {
    this.#bytes += bytes;
    tenant.bytes += bytes;
    tenant.records += records;
    if (tenant.records === 0) this.#tenants.delete(tenant.id);
    if (tenant.completed.size > 0) this.#heap.upsert(tenant);
    else this.#heap.remove(tenant);
  }
}
