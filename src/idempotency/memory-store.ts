import { randomUUID } from 'node:crypto';
import { BulwarkError, ErrorCode, invalidOption } from '../errors.js';
import { WarningCode, warn } from '../warnings.js';
import { assertDurationMs, assertNonEmpty } from './durations.js';
import { MemoryLedger } from './memory-ledger.js';
import {
  completedBytes,
  type LeaseRecord,
  leaseBytes,
  type MemoryRecord,
} from './memory-record.js';
import { packResponse, unpackResponse } from './packed-response.js';
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
   * Most records kept at once. Default 10 000. See {@link MemoryStoreOptions.maxBytes}
   * for what happens when full.
   */
  readonly maxEntries?: number;
  /**
   * Most bytes the records may take, counting each stored response's body and
   * headers, each key, fingerprint and owner token, and a fixed overhead per
   * record (an accounting of the store's own data, not of the whole heap).
   * Default 67 108 864 (64 MiB); at least 65 536. When a claim would pass
   * this or `maxEntries`, records are evicted, expired ones first, then the
   * least recently used completed record of the tenant holding the largest
   * share of the store (so a tenant that floods it pushes out its own records,
   * not another's). A live in-flight record is never evicted (that would let
   * a second execution start silently): when only live leases are left to
   * evict, the claim is rejected with `BULWARK_IDEMPOTENCY_STORE_UNAVAILABLE`
   * (503 behind `idempotency()`; nothing runs). A completion is never refused
   * for space, since its operation already ran: when only live leases are left
   * to evict, it is kept over the bound until the next claim makes room.
   */
  readonly maxBytes?: number;
  /**
   * The store's clock in milliseconds. It must not go backwards; only
   * differences matter. Default `performance.now()` in whole milliseconds
   * (monotonic, so a change of the wall clock has no effect). Inject one in
   * tests to move time.
   */
  readonly clock?: () => number;
}

/** What a {@link MemoryStore} holds now, by its own accounting. */
export interface MemoryStoreUsage {
  /** Records held (in flight and completed). */
  readonly records: number;
  /** Of those, in flight (live or lapsed leases). */
  readonly inFlight: number;
  /** Bytes accounted (see {@link MemoryStoreOptions.maxBytes}). */
  readonly bytes: number;
  /** Tenants holding at least one record (records claimed without a tenant count as one). */
  readonly tenants: number;
  /** The bound on `records`. */
  readonly maxEntries: number;
  /** The bound on `bytes`. */
  readonly maxBytes: number;
}

const DEFAULTS = {
  maxEntries: 10_000,
  maxBytes: 64 * 1024 * 1024,
  // Whole milliseconds: each record keeps its end as a small integer in place,
  // where a fractional one is a number object of its own per record (the
  // http-server benchmark: thousands of records, each promoted and evicted).
  // Flooring the start puts a record's end up to 1 ms before its exact end,
  // never after: a lease of 30 s lasts between 29.999 and 30 s.
  clock: (): number => Math.floor(performance.now()),
} as const;
const MIN_MAX_BYTES = 64 * 1024;

const SCOPE = 'MemoryStore';
/** The tenant bucket of claims made outside any tenant (valid tenant ids are never empty). */
const NO_TENANT = '';

let warnedInProduction = false;

/**
 * `claim`, `complete` and `release` of an exact `MemoryStore`, answered
 * without a promise: the engine calls these for one (it checks the prototype),
 * so its first-time request awaits no store call, where each awaited promise
 * costs an async frame and a promise that every AsyncLocalStorage of the
 * process tracks (`benchmarks/profile/in-process.mjs`, `--count`). They throw
 * what the async methods reject with. Not exported from the package.
 */
export interface SettledMemoryCalls {
  /**
   * A fresh owner token for a claim on a MemoryStore: unique in this process,
   * which is as far as a MemoryStore's records reach.
   */
  ownerToken(): string;
  /** `claim(request)` with the request's fields passed one by one: no request object per claim. */
  claim(
    store: MemoryStore,
    key: string,
    fingerprint: string,
    ownerToken: string,
    leaseMs: number,
    tenantId: string | undefined,
  ): ClaimResult;
  /**
   * `complete(request)` with its fields passed one by one; `claim` is what
   * `claim` answered for this key and owner, when at hand: see {@link HeldClaim}.
   */
  complete(
    store: MemoryStore,
    key: string,
    ownerToken: string,
    response: StoredResponse,
    retentionMs: number,
    claim?: ClaimResult,
  ): boolean;
  release(store: MemoryStore, key: string, ownerToken: string): boolean;
}

/**
 * The answer of a settled claim that claimed: it holds the lease record, so
 * the completion of the same request finds it without a second lookup of its
 * key (a hash of the key and a probe of a table of thousands of entries, cold
 * in the cache: the http-server benchmark's CPU profile). The record is
 * trusted only while it is still the live lease of the same owner: a removed
 * lease has its owner token cleared (`MemoryLedger.remove`), and anything else
 * takes the lookup.
 */
interface HeldClaim {
  readonly outcome: 'claimed';
  readonly lease: LeaseRecord;
}

/** Set by `MemoryStore`'s static block, the one place that may reach its private methods. */
export let settledMemoryCalls: SettledMemoryCalls;

/**
 * The embedded idempotency store: a bounded in-process map with the same
 * semantics as the shared stores (atomic claim, owner-token fencing, lease and
 * retention expiry on the store's own clock), bounded in records and in bytes,
 * with each tenant's records protected from another tenant's flood (see
 * {@link MemoryStoreOptions.maxBytes}). The tenant comes from
 * {@link ClaimRequest.tenantId}, which the engine fills from `getTenant()`.
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
  static {
    settledMemoryCalls = {
      ownerToken,
      claim: (store, key, fingerprint, ownerToken, leaseMs, tenantId) =>
        store.#claim(key, fingerprint, ownerToken, leaseMs, tenantId),
      complete: (store, key, ownerToken, response, retentionMs, claim) =>
        store.#complete(
          key,
          ownerToken,
          response,
          retentionMs,
          (claim as Partial<HeldClaim> | undefined)?.lease,
        ),
      release: (store, key, ownerToken) => store.#release(key, ownerToken),
    };
  }

  readonly #ledger: MemoryLedger;
  readonly #clock: () => number;

  constructor(options: MemoryStoreOptions = {}) {
    const maxEntries = options.maxEntries ?? DEFAULTS.maxEntries;
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw invalidOption(SCOPE, 'maxEntries', maxEntries, 'a positive integer');
    }
    const maxBytes = options.maxBytes ?? DEFAULTS.maxBytes;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < MIN_MAX_BYTES) {
      throw invalidOption(SCOPE, 'maxBytes', maxBytes, `an integer of at least ${MIN_MAX_BYTES}`);
    }
    const clock = options.clock ?? DEFAULTS.clock;
    if (typeof clock !== 'function') {
      throw invalidOption(SCOPE, 'clock', clock, 'a function returning milliseconds');
    }
    this.#ledger = new MemoryLedger(maxEntries, maxBytes);
    this.#clock = clock;
    warnOnceInProduction();
  }

  /** What the store holds now, by its own accounting. */
  get usage(): MemoryStoreUsage {
    const ledger = this.#ledger;
    return {
      records: ledger.records,
      inFlight: ledger.inFlight,
      bytes: ledger.bytes,
      tenants: ledger.tenants,
      maxEntries: ledger.maxEntries,
      maxBytes: ledger.maxBytes,
    };
  }

  /** Atomically claims `key`, or reports the live record that is there. */
  async claim(request: ClaimRequest): Promise<ClaimResult> {
    // Its lease stays inside: a caller outside must not reach the record.
    const { key, fingerprint, ownerToken, leaseMs, tenantId } = request;
    const result = this.#claim(key, fingerprint, ownerToken, leaseMs, tenantId);
    return result.outcome === 'claimed' ? { outcome: 'claimed' } : result;
  }

  #claim(
    key: string,
    fingerprint: string,
    ownerToken: string,
    leaseMs: number,
    claimedFor: unknown,
  ): ClaimResult | HeldClaim {
    assertNonEmpty(SCOPE, 'key', key);
    assertNonEmpty(SCOPE, 'ownerToken', ownerToken);
    assertDurationMs(SCOPE, 'leaseMs', leaseMs);
    const now = this.#clock();
    const existing = this.#live(key, now);
    if (existing?.state === 'in_flight' && existing.ownerToken === ownerToken) {
      this.#ledger.rearm(existing, now + leaseMs);
      return { outcome: 'claimed', lease: existing };
    }
    if (existing) return toClaimResult(existing, now);
    const tenantId = typeof claimedFor === 'string' ? claimedFor : NO_TENANT;
    const bytes = leaseBytes(key, fingerprint, ownerToken);
    this.#makeRoom(now, tenantId, bytes, 1);
    const lease = this.#ledger.addLease(
      key,
      tenantId,
      fingerprint,
      ownerToken,
      now + leaseMs,
      bytes,
    );
    return { outcome: 'claimed', lease };
  }

  /** Extends the lease to `leaseMs` from now while `ownerToken` holds a live lease. */
  async renew(key: string, ownerToken: string, leaseMs: number): Promise<boolean> {
    assertDurationMs(SCOPE, 'leaseMs', leaseMs);
    const now = this.#clock();
    const lease = this.#owned(key, ownerToken, now);
    if (!lease) return false;
    this.#ledger.rearm(lease, now + leaseMs);
    return true;
  }

  /** Replaces the in-flight record with the response while `ownerToken` holds a live lease. */
  async complete(request: CompleteRequest): Promise<boolean> {
    const { key, ownerToken, response, retentionMs } = request;
    return this.#complete(key, ownerToken, response, retentionMs);
  }

  #complete(
    key: string,
    ownerToken: string,
    response: StoredResponse,
    retentionMs: number,
    held?: LeaseRecord,
  ): boolean {
    assertDurationMs(SCOPE, 'retentionMs', retentionMs);
    const now = this.#clock();
    const lease =
      held !== undefined && isLiveLease(held, key, ownerToken, now)
        ? held
        : this.#owned(key, ownerToken, now);
    if (!lease) return false;
    const bytes = completedBytes(lease.key, lease.fingerprint, response.headers, response.body);
    this.#makeRoom(now, lease.tenant.id, bytes - lease.bytes, 0);
    // Packed on the way in, a new copy on the way out (`toClaimResult`): no caller
    // can change a stored response after the fact.
    this.#ledger.complete(lease, packResponse(response), now + retentionMs, bytes);
    return true;
  }

  /** Deletes the in-flight record while `ownerToken` holds a live lease. */
  async release(key: string, ownerToken: string): Promise<boolean> {
    return this.#release(key, ownerToken);
  }

  #release(key: string, ownerToken: string): boolean {
    const lease = this.#owned(key, ownerToken, this.#clock());
    if (!lease) return false;
    this.#ledger.remove(lease);
    return true;
  }

  /** The unexpired record under `key` (a completed one marked most recently used); drops an expired one. */
  #live(key: string, now: number): MemoryRecord | undefined {
    const record = this.#ledger.get(key);
    if (!record) return undefined;
    if (record.expiresAt <= now) {
      this.#ledger.remove(record);
      return undefined;
    }
    if (record.state === 'completed') this.#ledger.touch(record);
    return record;
  }

  #owned(key: string, ownerToken: string, now: number): LeaseRecord | undefined {
    const record = this.#live(key, now);
    if (record?.state !== 'in_flight' || record.ownerToken !== ownerToken) return undefined;
    return record;
  }

  /**
   * Evicts until `bytes` and `records` more fit (see `memory-ledger.ts` for
   * whom). A claim (`records` 1) that only live leases stand in the way of is
   * refused; a completion (`records` 0) is kept anyway, over the bound.
   */
  #makeRoom(now: number, tenantId: string, bytes: number, records: 0 | 1): void {
    const ledger = this.#ledger;
    while (!ledger.fits(bytes, records)) {
      if (ledger.dropExpired(now)) continue;
      const victim = ledger.victim(tenantId);
      if (victim) {
        ledger.remove(victim);
        continue;
      }
      if (records === 0) return;
      const leaseEnd = ledger.soonestLeaseEnd() ?? now + 1_000;
      throw new BulwarkError(
        ErrorCode.IdempotencyStoreUnavailable,
        `${SCOPE}: full (${ledger.records} records, ${ledger.bytes} bytes) and only live leases are left to evict; refusing to evict a live lease`,
        { retryAfterMs: Math.max(1, Math.ceil(leaseEnd - now)) },
      );
    }
  }
}

/**
 * Tokens this process hands out: a random prefix drawn once, then a counter.
 * A MemoryStore's records live and die with this process, so a token unique
 * in it fences as well as a random UUID per claim does, at a fraction of its
 * cost: a UUID's string is built from some twenty pieces (the Express and
 * Fastify default stores in `benchmarks/profile/in-process.mjs --alloc`). The
 * prefix keeps these apart from any token an application picks itself.
 */
const TOKEN_PREFIX = `${randomUUID()}/`;
let tokensIssued = 0;

function ownerToken(): string {
  tokensIssued += 1;
  return TOKEN_PREFIX + tokensIssued;
}

/** Whether `lease` is still the live lease of `ownerToken` under `key` (see {@link HeldClaim}). */
function isLiveLease(lease: LeaseRecord, key: string, ownerToken: string, now: number): boolean {
  return (
    lease.state === 'in_flight' &&
    lease.ownerToken === ownerToken &&
    lease.key === key &&
    lease.expiresAt > now
  );
}

function toClaimResult(record: MemoryRecord, now: number): ClaimResult {
  if (record.state === 'completed') {
    const response = unpackResponse(record.response);
    return { outcome: 'completed', fingerprint: record.fingerprint, response };
  }
  return {
    outcome: 'in_flight',
    fingerprint: record.fingerprint,
    leaseRemainingMs: Math.max(1, Math.ceil(record.expiresAt - now)),
  };
}

function warnOnceInProduction(): void {
  if (warnedInProduction || process.env.NODE_ENV !== 'production') return;
  warnedInProduction = true;
  warn(
    WarningCode.MemoryStoreNotDurable,
    'MemoryStore keeps idempotency records in this process only: they are lost on restart ' +
      'and not shared between processes. Use RedisStore or PostgresStore in production.',
  );
}
