import { BulwarkError, ErrorCode, invalidOption } from '../errors.js';
import { assertDurationMs, assertNonEmpty } from './durations.js';
import type {
  ClaimRequest,
  ClaimResult,
  CompleteRequest,
  IdempotencyStore,
  StoredResponse,
} from './store.js';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Most records kept at once. When full, the least recently used record that
   * is expired or completed is evicted; a live in-progress record is
   * never evicted (that would let a second execution start silently), so when
   * every record is in progress the claim is rejected with
   * `BULWARK_IDEMPOTENCY_STORE_UNAVAILABLE`. Default 10 000.
   */
  readonly maxEntries?: number;
  /**
   * The store's clock in milliseconds. It must not go backwards; only
   * differences matter. Default `performance.now()` (monotonic, so a change of
   * the wall clock has no effect). Inject one in tests to move time.
   */
  readonly clock?: () => number;
}

const DEFAULTS = {
  maxEntries: 10_000,
  clock: (): number => performance.now(),
} as const;

const SCOPE = 'MemoryStore';

type MemoryRecord =
  | { state: 'in_progress'; fingerprint: string; ownerToken: string; expiresAt: number }
  | { state: 'completed'; fingerprint: string; response: StoredResponse; expiresAt: number };

let warnedInProduction = false;

/**
 * The embedded idempotency store: a bounded in-process map with the same
 * semantics as the shared stores (atomic claim, owner-token fencing, lease and
 * retention expiry on the store's own clock).
 *
 * Not durable: records live in this process only and vanish on restart, and two
 * processes never see each other's keys. Use `RedisStore` (`bulwark/redis`) or
 * `PostgresStore` (`bulwark/postgres`) when more than one process serves the
 * same keys. Constructing one with `NODE_ENV=production` emits a process
 * warning once.
 *
 * Each method runs synchronously to completion before its promise settles, so
 * no other call can interleave between its read and its write.
 */
export class MemoryStore implements IdempotencyStore {
  readonly #records = new Map<string, MemoryRecord>();
  readonly #maxEntries: number;
  readonly #clock: () => number;

  constructor(options: MemoryStoreOptions = {}) {
    const maxEntries = options.maxEntries ?? DEFAULTS.maxEntries;
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw invalidOption(SCOPE, 'maxEntries', maxEntries, 'a positive integer');
    }
    const clock = options.clock ?? DEFAULTS.clock;
    if (typeof clock !== 'function') {
      throw invalidOption(SCOPE, 'clock', clock, 'a function returning milliseconds');
    }
    this.#maxEntries = maxEntries;
    this.#clock = clock;
    warnOnceInProduction();
  }

  /** Atomically claims `key`, or reports the live record that is there. */
  async claim(request: ClaimRequest): Promise<ClaimResult> {
    assertNonEmpty(SCOPE, 'key', request.key);
    assertNonEmpty(SCOPE, 'ownerToken', request.ownerToken);
    assertDurationMs(SCOPE, 'leaseMs', request.leaseMs);
    const now = this.#clock();
    const existing = this.#live(request.key, now);
    if (existing?.state === 'in_progress' && existing.ownerToken === request.ownerToken) {
      existing.expiresAt = now + request.leaseMs;
      return { outcome: 'claimed' };
    }
    if (existing) return toClaimResult(existing, now);
    this.#makeRoom(now);
    this.#records.set(request.key, {
      state: 'in_progress',
      fingerprint: request.fingerprint,
      ownerToken: request.ownerToken,
      expiresAt: now + request.leaseMs,
    });
    return { outcome: 'claimed' };
  }

  /** Extends the lease to `leaseMs` from now while `ownerToken` holds a live lease. */
  async renew(key: string, ownerToken: string, leaseMs: number): Promise<boolean> {
    assertDurationMs(SCOPE, 'leaseMs', leaseMs);
    const now = this.#clock();
    const record = this.#owned(key, ownerToken, now);
    if (!record) return false;
    record.expiresAt = now + leaseMs;
    return true;
  }

  /** Replaces the in-progress record with the response while `ownerToken` holds a live lease. */
  async complete(request: CompleteRequest): Promise<boolean> {
    assertDurationMs(SCOPE, 'retentionMs', request.retentionMs);
    const now = this.#clock();
    const record = this.#owned(request.key, request.ownerToken, now);
    if (!record) return false;
    this.#records.set(request.key, {
      state: 'completed',
      fingerprint: record.fingerprint,
      response: copyResponse(request.response),
      expiresAt: now + request.retentionMs,
    });
    return true;
  }

  /** Deletes the in-progress record while `ownerToken` holds a live lease. */
  async release(key: string, ownerToken: string): Promise<boolean> {
    const record = this.#owned(key, ownerToken, this.#clock());
    if (!record) return false;
    this.#records.delete(key);
    return true;
  }

  /** The unexpired record under `key`, marked most recently used; drops an expired one. */
  #live(key: string, now: number): MemoryRecord | undefined {
    const record = this.#records.get(key);
    if (!record) return undefined;
    this.#records.delete(key);
    if (record.expiresAt <= now) return undefined;
    this.#records.set(key, record);
    return record;
  }

  #owned(key: string, ownerToken: string, now: number) {
    const record = this.#live(key, now);
    if (record?.state !== 'in_progress' || record.ownerToken !== ownerToken) return undefined;
    return record;
  }

  /**
   * Frees one slot when full: the least recently used record that is expired
   * or completed. The walk starts at the LRU end and stops at the first such
   * record, so it costs O(1) unless live leases pile up at that end (it then
   * steps over them, never evicting one). Scanning the whole map for an
   * expired record instead made every claim O(maxEntries) once full.
   */
  #makeRoom(now: number): void {
    if (this.#records.size < this.#maxEntries) return;
    let soonestLeaseEnd = Number.POSITIVE_INFINITY;
    for (const [key, record] of this.#records) {
      if (record.expiresAt <= now || record.state === 'completed') {
        this.#records.delete(key);
        return;
      }
      soonestLeaseEnd = Math.min(soonestLeaseEnd, record.expiresAt);
    }
    throw new BulwarkError(
      ErrorCode.IdempotencyStoreUnavailable,
      `${SCOPE}: all ${this.#maxEntries} records are in progress; refusing to evict a live lease`,
      { retryAfterMs: Math.max(1, Math.ceil(soonestLeaseEnd - now)) },
    );
  }
}

function toClaimResult(record: MemoryRecord, now: number): ClaimResult {
  if (record.state === 'completed') {
    return {
      outcome: 'completed',
      fingerprint: record.fingerprint,
      response: copyResponse(record.response),
    };
  }
  return {
    outcome: 'in_progress',
    fingerprint: record.fingerprint,
    leaseRemainingMs: Math.max(1, Math.ceil(record.expiresAt - now)),
  };
}

/** Copies the bytes both ways so no caller can change a stored response after the fact. */
function copyResponse(response: StoredResponse): StoredResponse {
  return {
    status: response.status,
    headers: { ...response.headers },
    body: new Uint8Array(response.body),
  };
}

function warnOnceInProduction(): void {
  if (warnedInProduction || process.env.NODE_ENV !== 'production') return;
  warnedInProduction = true;
  process.emitWarning(
    'MemoryStore keeps idempotency records in this process only: they are lost on restart ' +
      'and not shared between processes. Use RedisStore or PostgresStore in production.',
    { type: 'BulwarkWarning', code: 'BULWARK_MEMORY_STORE_NOT_DURABLE' },
  );
}
