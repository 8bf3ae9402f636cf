import { BulwarkError, ErrorCode } from '../errors.js';
import { now } from '../resilience/clock.js';
import { TimerSlot } from '../resilience/timer-wheel.js';
import type { IdempotencyStore } from './store.js';

/**
 * What {@link startLeaseRenewal} needs: one claim and the engine's resolved
 * timing (`leaseMs`, `renewIntervalMs`, validated by `resolveEngineOptions`).
 */
export interface ResolvedLeaseRenewalOptions {
  readonly store: IdempotencyStore;
  readonly key: string;
  readonly ownerToken: string;
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
export function startLeaseRenewal(options: ResolvedLeaseRenewalOptions): LeaseRenewal {
  return new RenewingLease(options);
}

/**
 * The renewal's deadline is a slot on the process-wide timer wheel
 * (`src/resilience/timer-wheel.ts`), not a `setTimeout` of its own: most
 * operations end long before their first renewal, so the slot is armed and
 * cancelled in O(1) without a Node timer per request (the engine's path in
 * `benchmarks/scenarios/http-server-fastify.mjs`, profiled by
 * `benchmarks/profile/fastify-cpu.mjs`). The wheel fires up to one tick
 * late, far inside the lease's margin.
 */
class RenewingLease implements LeaseRenewal {
  readonly #options: ResolvedLeaseRenewalOptions;
  readonly #controller = new AbortController();
  readonly #slot: TimerSlot;
  #stopped = false;

  constructor(options: ResolvedLeaseRenewalOptions) {
    this.#options = options;
    this.#slot = new TimerSlot(() => void this.#renew());
    this.#schedule();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  stop(): void {
    this.#stopped = true;
    this.#slot.cancel();
  }

  #schedule(): void {
    if (!this.#stopped) this.#slot.schedule(now() + this.#options.renewIntervalMs);
  }

  async #renew(): Promise<void> {
    const { store, key, ownerToken, leaseMs, call } = this.#options;
    try {
      const owned = await call('renew', () => store.renew(key, ownerToken, leaseMs));
      if (!owned && !this.#stopped) {
        this.#stopped = true;
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
