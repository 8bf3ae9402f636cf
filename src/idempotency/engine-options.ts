import { invalidOption } from '../errors.js';
import type { IdempotencyStore } from './store.js';

/** Options of {@link createIdempotencyEngine}. */
export interface IdempotencyEngineOptions {
  /** Where records live: `MemoryStore` (one process), `RedisStore` or `PostgresStore`. Required. */
  readonly store: IdempotencyStore;
  /**
   * How long a claim holds the key without renewal, in milliseconds. A crashed
   * worker's key becomes claimable after this long. Default 30 000 (30 s).
   */
  readonly leaseMs?: number;
  /**
   * How often the lease is renewed while the operation runs, in milliseconds.
   * Must be below `leaseMs`. Default a third of `leaseMs`.
   */
  readonly renewIntervalMs?: number;
  /** How long a completed response is kept for replay, from completion, in milliseconds. Default 86 400 000 (24 h). */
  readonly retentionMs?: number;
  /**
   * The most a single store call may take before the store counts as
   * unavailable, in milliseconds. Must be below `leaseMs`. Default 2 000, or
   * `renewIntervalMs` when that is smaller. Calls to a `MemoryStore` (not a
   * subclass or wrapper) are not bounded: they settle before they return.
   */
  readonly storeTimeoutMs?: number;
  /** The `Retry-After` suggested when the store is unavailable, in milliseconds. Default 1 000. */
  readonly storeRetryAfterMs?: number;
}

/** Defaults of {@link IdempotencyEngineOptions} (`renewIntervalMs` defaults to `leaseMs / 3`). */
export const IDEMPOTENCY_ENGINE_DEFAULTS = {
  leaseMs: 30_000,
  retentionMs: 86_400_000,
  storeTimeoutMs: 2_000,
  storeRetryAfterMs: 1_000,
} as const;

/** Options after defaults and validation. */
export type ResolvedEngineOptions = Required<IdempotencyEngineOptions>;

const SCOPE = 'createIdempotencyEngine';

/** Applies defaults and validates once, at construction. */
export function resolveEngineOptions(options: IdempotencyEngineOptions): ResolvedEngineOptions {
  if (typeof options !== 'object' || options === null) {
    throw invalidOption(SCOPE, 'options', options, 'an object with a "store"');
  }
  const { store } = options;
  const isStore = typeof store === 'object' && store !== null;
  if (!isStore || !['claim', 'renew', 'complete', 'release'].every((m) => m in store)) {
    throw invalidOption(
      SCOPE,
      'store',
      store,
      'an IdempotencyStore (claim, renew, complete, release)',
    );
  }
  const leaseMs = positiveInt('leaseMs', options.leaseMs ?? IDEMPOTENCY_ENGINE_DEFAULTS.leaseMs);
  const renewIntervalMs = positiveInt(
    'renewIntervalMs',
    options.renewIntervalMs ?? Math.max(1, Math.floor(leaseMs / 3)),
  );
  if (renewIntervalMs >= leaseMs) {
    throw invalidOption(SCOPE, 'renewIntervalMs', renewIntervalMs, `below leaseMs (${leaseMs})`);
  }
  const storeTimeoutMs = positiveInt(
    'storeTimeoutMs',
    options.storeTimeoutMs ?? Math.min(IDEMPOTENCY_ENGINE_DEFAULTS.storeTimeoutMs, renewIntervalMs),
  );
  if (storeTimeoutMs >= leaseMs) {
    throw invalidOption(SCOPE, 'storeTimeoutMs', storeTimeoutMs, `below leaseMs (${leaseMs})`);
  }
  return {
    store,
    leaseMs,
    renewIntervalMs,
    storeTimeoutMs,
    retentionMs: positiveInt(
      'retentionMs',
      options.retentionMs ?? IDEMPOTENCY_ENGINE_DEFAULTS.retentionMs,
    ),
    storeRetryAfterMs: positiveInt(
      'storeRetryAfterMs',
      options.storeRetryAfterMs ?? IDEMPOTENCY_ENGINE_DEFAULTS.storeRetryAfterMs,
    ),
  };
}

function positiveInt(field: string, value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  throw invalidOption(SCOPE, field, value, 'a positive integer of milliseconds');
}
