import { BulwarkError, ErrorCode } from '../errors.js';
import type { IdempotencyStore } from './store.js';

/** What {@link startLeaseRenewal} needs. */
export interface LeaseRenewalConfig {
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
 * `false` means the token was fenced out, which aborts `signal`. The timer is
 * unref'd, so it never keeps the process alive.
 */
export function startLeaseRenewal(config: LeaseRenewalConfig): LeaseRenewal {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(renew, config.renewIntervalMs);
    timer.unref();
  };
  const renew = async (): Promise<void> => {
    try {
      const { store, key, ownerToken, leaseMs } = config;
      const owned = await config.call('renew', () => store.renew(key, ownerToken, leaseMs));
      if (!owned && !stopped) {
        stopped = true;
        controller.abort(
          new BulwarkError(ErrorCode.IdempotencyLeaseLost, 'the idempotency lease was taken over'),
        );
        return;
      }
    } catch {
      // The store is unreachable: keep trying; fencing protects the record.
    }
    schedule();
  };

  schedule();
  return {
    signal: controller.signal,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
