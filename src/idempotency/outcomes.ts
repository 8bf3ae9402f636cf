import { ErrorCode, isBulwarkError } from '../errors.js';

/**
 * What became of each request the idempotency engine saw, counted since the
 * process started: plain counters bumped once per request (no clock, no
 * allocation) that the status page samples to chart outcomes per minute, and
 * a hook the event logger listens on for store outages and lost outcomes.
 */

/** How one `engine.execute()` ended. */
export type IdempotencyOutcomeKind =
  | 'executed'
  | 'replayed'
  | 'in_flight'
  | 'mismatch'
  | 'store_unavailable'
  | 'outcome_unknown'
  | 'lease_lost'
  | 'failed';

/** Every {@link IdempotencyOutcomeKind}, in report order. */
export const IDEMPOTENCY_OUTCOME_KINDS: readonly IdempotencyOutcomeKind[] = [
  'executed',
  'replayed',
  'in_flight',
  'mismatch',
  'store_unavailable',
  'outcome_unknown',
  'lease_lost',
  'failed',
];

/** Requests per outcome since the process started. */
export const outcomeTotals: Record<IdempotencyOutcomeKind, number> = {
  executed: 0,
  replayed: 0,
  in_flight: 0,
  mismatch: 0,
  store_unavailable: 0,
  outcome_unknown: 0,
  lease_lost: 0,
  failed: 0,
};

type Listener = (kind: IdempotencyOutcomeKind, error: unknown) => void;
const listeners = new Set<Listener>();

/**
 * Calls `listener` after each request, inside that request's context, with
 * its outcome (and the error, for a thrown one). Returns the unsubscriber.
 */
export function onOutcome(listener: Listener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

/** Counts an outcome the engine returns, and returns it. */
export function tallyOutcome<T extends { readonly kind: IdempotencyOutcomeKind }>(result: T): T {
  tally(result.kind, undefined);
  return result;
}

/** Counts a request that ends with `error` thrown, and returns the error. */
export function tallyError(error: unknown): unknown {
  tally(kindOfError(error), error);
  return error;
}

function kindOfError(error: unknown): IdempotencyOutcomeKind {
  if (!isBulwarkError(error)) return 'failed';
  if (error.code === ErrorCode.IdempotencyStoreUnavailable) return 'store_unavailable';
  if (error.code === ErrorCode.IdempotencyOutcomeUnknown) return 'outcome_unknown';
  if (error.code === ErrorCode.IdempotencyLeaseLost) return 'lease_lost';
  return 'failed';
}

function tally(kind: IdempotencyOutcomeKind, error: unknown): void {
  outcomeTotals[kind]++;
  if (listeners.size === 0) return;
  for (const listener of listeners) {
    try {
      listener(kind, error);
    } catch {
      // Observation never breaks a request.
    }
  }
}
