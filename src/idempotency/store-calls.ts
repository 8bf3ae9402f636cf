import { BulwarkError, ErrorCode, isBulwarkError } from '../errors.js';
import { now } from '../resilience/clock.js';
import { TimerSlot } from '../resilience/timer-wheel.js';
import type { IdempotencyStore } from './store.js';

/*
 * Every call the engine makes to the store, bounded in time: the claim, the
 * completion and the release through {@link boundedStoreCall} (or
 * {@link settledStoreCall} for a store that cannot hang), and the renewal of
 * the lease while the operation runs ({@link startLeaseRenewal}). Each one
 * fails closed: a store that errs or does not answer becomes
 * `BULWARK_IDEMPOTENCY_STORE_UNAVAILABLE`, never a hung request.
 */

/**
 * Runs one store call with a time bound. A store that throws, rejects or does
 * not answer within `timeoutMs` (up to one tick of the shared timer later)
 * becomes a `BULWARK_IDEMPOTENCY_STORE_UNAVAILABLE` error carrying
 * `retryAfterMs`, so a slow store fails closed in bounded time instead of
 * hanging the request. The late answer of a timed-out call is ignored.
 *
 * Written with one explicit promise rather than `Promise.race` in an async
 * function, and bounded by the process-wide timer wheel (the one resilience
 * pipelines use) rather than a `setTimeout` per call: this runs two or three
 * times per idempotent request (see `benchmarks/scenarios/idempotency-stores.mjs`
 * and `http-server.mjs`).
 */
export function boundedStoreCall<T>(
  operation: string,
  call: () => Promise<T>,
  timeoutMs: number,
  retryAfterMs: number,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const bound = new TimerSlot(() => reject(timedOut(operation, timeoutMs, retryAfterMs)));
    const fail = (error: unknown): void => {
      bound.cancel();
      reject(storeUnavailable(error, operation, retryAfterMs));
    };
    bound.schedule(now() + timeoutMs);
    let answer: Promise<T>;
    try {
      answer = call();
    } catch (error) {
      fail(error);
      return;
    }
    // Once the bound rejected, these settle nothing: the late answer is ignored.
    Promise.resolve(answer).then((value) => {
      bound.cancel();
      resolve(value);
    }, fail);
  });
}

/**
 * A call to a store that settles before its promise is handed back
 * (`MemoryStore`, whose methods are async and run to completion): it cannot
 * hang, so no time bound is armed, and its promise is returned as it is: no
 * promise, closure or async frame of its own on each of the two or three store
 * calls of a request, each of which every AsyncLocalStorage of the process
 * tracks (`benchmarks/profile/in-process.mjs`, `--alloc`). It never throws
 * (the methods are async: they reject); the caller turns a rejection into
 * `BULWARK_IDEMPOTENCY_STORE_UNAVAILABLE` with {@link storeUnavailable}, as
 * {@link boundedStoreCall} does (fail closed).
 */
export function settledStoreCall<T>(call: () => Promise<T>): Promise<T> {
  return call();
}

function timedOut(operation: string, timeoutMs: number, retryAfterMs: number): BulwarkError {
  return new BulwarkError(
    ErrorCode.IdempotencyStoreUnavailable,
    `idempotency store did not answer ${operation} within ${timeoutMs} ms`,
    { retryAfterMs },
  );
}

/**
 * A store call's failure as `BULWARK_IDEMPOTENCY_STORE_UNAVAILABLE`, carrying a
 * Retry-After whether the store said so or not; an error that already is one
 * (from {@link boundedStoreCall}) is returned as it is.
 */
export function storeUnavailable(
  error: unknown,
  operation: string,
  retryAfterMs: number,
): BulwarkError {
  const isUnavailable = isBulwarkError(error, ErrorCode.IdempotencyStoreUnavailable);
  if (isUnavailable && error.retryAfterMs !== undefined) return error;
  return new BulwarkError(
    ErrorCode.IdempotencyStoreUnavailable,
    isUnavailable ? error.message : `idempotency store failed on ${operation}`,
    { cause: error, retryAfterMs },
  );
}

/**
 * What {@link startLeaseRenewal} needs of the engine: its store and resolved
 * timing (`leaseMs`, `renewIntervalMs`, validated by `resolveEngineOptions`).
 * One per engine, shared by its renewals, so a request adds only its key and token.
 */
export interface LeaseRenewalSettings {
  readonly store: IdempotencyStore;
  readonly leaseMs: number;
  readonly renewIntervalMs: number;
  /** Bounds each renew call; see `boundedStoreCall`. */
  readonly call: <T>(operation: string, fn: () => Promise<T>) => Promise<T>;
}

/** A running renewal: its signal aborts when the lease is lost. */
export interface LeaseRenewal {
  /** Aborts (reason: `BULWARK_IDEMPOTENCY_LEASE_LOST`) once another owner holds the key. */
  readonly signal: AbortSignal;
  /** Stops renewing; safe to call twice. */
  stop(): void;
}

/**
 * Renews the lease every `renewIntervalMs` while the operation runs, so a slow
 * handler keeps its key and a crashed one loses it after one lease. One renew
 * is in flight at a time (the next is scheduled when the last settles). A
 * renew that fails (store down) is retried at the next tick; one answered
 * `false` means the token was fenced out, which aborts `signal`.
 */
export function startLeaseRenewal(
  settings: LeaseRenewalSettings,
  key: string,
  ownerToken: string,
): LeaseRenewal {
  return new RenewingLease(settings, key, ownerToken);
}

/**
 * The renewal's deadline is a slot on the process-wide timer wheel
 * (`src/resilience/timer-wheel.ts`), not a `setTimeout` of its own: most
 * operations end long before their first renewal, so the slot is armed and
 * cancelled in O(1) without a Node timer per request (the engine's path in
 * `benchmarks/scenarios/http-server-fastify.mjs`, profiled by
 * `benchmarks/profile/fastify-cpu.mjs`). The wheel fires up to one tick
 * late, far inside the lease's margin. The renewal is its own slot (it
 * overrides `due`): no second object and closure per request.
 */
class RenewingLease extends TimerSlot implements LeaseRenewal {
  readonly #settings: LeaseRenewalSettings;
  readonly #key: string;
  readonly #ownerToken: string;
  /** Made when first needed: most operations never read the signal (see `executeLean`). */
  #controller: AbortController | undefined;
  #stopped = false;

  constructor(settings: LeaseRenewalSettings, key: string, ownerToken: string) {
    super();
    this.#settings = settings;
    this.#key = key;
    this.#ownerToken = ownerToken;
    this.#schedule();
  }

  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    return this.#controller.signal;
  }

  stop(): void {
    this.#stopped = true;
    this.cancel();
  }

  protected override due(): void {
    void this.#renew();
  }

  #schedule(): void {
    if (!this.#stopped) this.schedule(now() + this.#settings.renewIntervalMs);
  }

  async #renew(): Promise<void> {
    const { store, leaseMs, call } = this.#settings;
    const key = this.#key;
    const ownerToken = this.#ownerToken;
    try {
      const owned = await call('renew', () => store.renew(key, ownerToken, leaseMs));
      if (!owned && !this.#stopped) {
        this.#stopped = true;
        this.#controller ??= new AbortController();
        this.#controller.abort(
          new BulwarkError(ErrorCode.IdempotencyLeaseLost, 'the idempotency lease was taken over'),
        );
        return;
      }
    } catch {
      // The store is unreachable: keep trying; fencing protects the record.
    }
    this.#schedule();
  }
}
